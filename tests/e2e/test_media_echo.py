"""media-echo in offer/answer: a side's media comes back to it (or goes nowhere) instead of
reaching the peer. Expectations measured against Debian's rtpengine 10.5."""

import pytest

from calls import Call, assert_ok, establish, simple_sdp
from rtp import build_rtcp_compound, parse_rtcp, parse_rtp, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
COUNT = 5
CALLER_SSRC, CALLEE_SSRC = 0x11111111, 0x22222222
# what a silent side is given to arrive (after the other side's packets did, so the relay
# has already handled everything that was sent)
QUIET_WAIT = 0.3

# mode -> (whose packets the caller gets, whose the callee gets) when the offer carries it;
# None = nothing
OFFER_MODES = {
    "blackhole": (None, None),
    "sinkhole": (None, None),
    "forward": (None, "callee"),
    "fwd": (None, "callee"),
    "backwards": ("caller", None),
    "bkw": ("caller", None),
    "both": ("caller", "callee"),
    "off": ("callee", "caller"),
}


@pytest.fixture
def relay(rtpengine_factory):
    return rtpengine_factory("--endpoint-learning=immediate")


def rtcp_port_of(address):
    return (address[0], address[1] + 1)


def exchange(setup, caller, callee, first_sequence=1000):
    """Both sides send COUNT RTP packets; returns {side: (sent, received)}."""
    sent = {"caller": rtp_stream(CALLER_SSRC, COUNT, first_sequence=first_sequence),
            "callee": rtp_stream(CALLEE_SSRC, COUNT, first_sequence=first_sequence + 500, payload_type=8)}
    for packet in sent["caller"]:
        caller.rtp.send(packet, setup.caller_sends_to)
    for packet in sent["callee"]:
        callee.rtp.send(packet, setup.callee_sends_to)
    return sent


def check_side(peer, relay_port, expected_from, sent):
    """The peer got exactly `sent[expected_from]`, unchanged (same SSRC and sequence
    numbers), from the relay port it sends to; or nothing when expected_from is None."""
    if expected_from is None:
        assert peer.rtp.receive(QUIET_WAIT) is None, "a packet arrived where none should"
        return
    received = peer.rtp.receive_all(COUNT, timeout=3.0)
    assert sorted(data for data, _ in received) == sorted(sent[expected_from]), \
        "got %r, expected the %s's packets" % ([parse_rtp(data) for data, _ in received], expected_from)
    assert all(source == relay_port for _, source in received)
    assert peer.rtp.receive(0.05) is None, "more packets than sent"


def check_exchange(setup, caller, callee, caller_gets, callee_gets, first_sequence=1000):
    sent = exchange(setup, caller, callee, first_sequence)
    # the side that gets something first: its packets prove the relay handled the round
    order = [(caller, setup.caller_sends_to, caller_gets), (callee, setup.callee_sends_to, callee_gets)]
    order.sort(key=lambda item: item[2] is None)
    for peer, relay_port, expected in order:
        check_side(peer, relay_port, expected, sent)


@pytest.mark.parametrize("mode", sorted(OFFER_MODES))
def test_offer_mode(relay, media_peer, mode):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options={"media-echo": mode})
    check_exchange(setup, caller, callee, *OFFER_MODES[mode])


@pytest.mark.parametrize("mode,caller_gets,callee_gets", [
    ("forward", "caller", None),     # forward: the recipient of the answer, the caller
    ("backwards", None, "callee"),
])
def test_answer_mode_is_seen_from_the_answerer(relay, media_peer, mode, caller_gets, callee_gets):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, answer_options={"media-echo": mode})
    check_exchange(setup, caller, callee, caller_gets, callee_gets)


def test_rtcp_is_echoed_too(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options={"media-echo": "both"})
    for peer, relay_port, ssrc in ((caller, setup.caller_sends_to, CALLER_SSRC),
                                   (callee, setup.callee_sends_to, CALLEE_SSRC)):
        report = build_rtcp_compound(ssrc, packet_count=3, octet_count=480)
        peer.rtcp.send(report, rtcp_port_of(relay_port))
        received = peer.rtcp.receive_all(1, timeout=3.0)
        assert len(received) == 1, "the RTCP report did not come back"
        data, source = received[0]
        assert data == report and parse_rtcp(data)[0].ssrc == ssrc
        assert source == rtcp_port_of(relay_port)


def test_echo_survives_reoffers_and_off_keeps_it(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options={"media-echo": "forward"})
    check_exchange(setup, caller, callee, None, "callee")
    # a re-offer without media-echo keeps it
    setup = establish(relay, caller, callee, call=setup.call)
    check_exchange(setup, caller, callee, None, "callee", first_sequence=2000)
    # "off" does not turn it off (10.5 measured), in a re-offer or an answer
    setup = establish(relay, caller, callee, call=setup.call, offer_options={"media-echo": "off"},
                      answer_options={"media-echo": "off"})
    check_exchange(setup, caller, callee, None, "callee", first_sequence=3000)
    # another mode replaces it
    setup = establish(relay, caller, callee, call=setup.call, offer_options={"media-echo": "backwards"})
    check_exchange(setup, caller, callee, "caller", None, first_sequence=4000)


def test_answer_mode_replaces_the_offers(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options={"media-echo": "forward"},
                      answer_options={"media-echo": "both"})
    check_exchange(setup, caller, callee, "caller", "callee")


def test_spelled_with_a_space(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options={"media echo": "forward"})
    check_exchange(setup, caller, callee, None, "callee")


@pytest.mark.upstream_differs("10.5 answers ok to an unknown media-echo mode and does nothing")
def test_unknown_mode_is_refused(relay, media_peer):
    caller = media_peer(CALLER)
    reply = Call(relay).offer(simple_sdp(caller.host, caller.port), {"media-echo": "sideways"})
    assert reply["result"] == "error"
    assert "media echo" in reply["error-reason"]


@pytest.mark.upstream_differs("our Redis value schema (test_redis.py)")
def test_echo_survives_a_redis_restore(rtpengine_factory, media_peer, tmp_path):
    import shutil
    import signal
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    from test_redis import RedisServer, standby_of, wait_written
    server = RedisServer(tmp_path)
    try:
        active = rtpengine_factory("--endpoint-learning=immediate", "--redis=%s" % server.url())
        caller, callee = media_peer(CALLER), media_peer(CALLEE)
        setup = establish(active, caller, callee, offer_options={"media-echo": "forward"})
        client = server.client()
        try:
            # the side flags (call.h SIDE_ECHO 8, SIDE_ECHO_DROP 16) are in the stored value
            assert wait_written(client, [setup.call.call_id], lambda value: sorted(
                monologue["flags"] & 24 for monologue in value["monologues"]) == [8, 16])
        finally:
            client.close()
        active.stop(signal.SIGKILL)
        standby = standby_of(rtpengine_factory, active)
        assert_ok(standby.ng({"command": "query", "call-id": setup.call.call_id}))
        check_exchange(setup, caller, callee, None, "callee")
    finally:
        server.process.stop()
