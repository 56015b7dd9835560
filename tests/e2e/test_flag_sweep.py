"""ng flags and keys that a Kamailio config may send, found by sending each alone to our daemon
and to Debian's rtpengine 10.5 and comparing (issue 15; the table of what stays refused is in
docs/control.md). Expectations measured against 10.5."""

import pytest

from calls import Call, Sdp, assert_error, assert_ok, establish, simple_sdp
from rtp import build_rtcp_compound, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
COUNT = 5
# how long a side waits for a packet that must not come (the other direction's packets are
# sent first, so the relay has handled them by then)
QUIET_WAIT = 0.3


@pytest.fixture
def relay(rtpengine_factory):
    return rtpengine_factory("--endpoint-learning=immediate")


def exchange(setup, caller, callee, first_sequence):
    """Both sides send COUNT RTP packets; returns (packets the callee got, the caller got)."""
    for packet in rtp_stream(0x51515151, COUNT, first_sequence=first_sequence):
        caller.rtp.send(packet, setup.caller_sends_to)
    for packet in rtp_stream(0x52525252, COUNT, first_sequence=first_sequence + 500, payload_type=8):
        callee.rtp.send(packet, setup.callee_sends_to)
    return (len(callee.rtp.receive_all(COUNT, timeout=2.0)),
            len(caller.rtp.receive_all(COUNT, timeout=QUIET_WAIT)))


def assert_flows(setup, caller, callee, first_sequence):
    assert exchange(setup, caller, callee, first_sequence) == (COUNT, COUNT)


def assert_dropped(setup, caller, callee, first_sequence):
    for packet in rtp_stream(0x51515151, COUNT, first_sequence=first_sequence):
        caller.rtp.send(packet, setup.caller_sends_to)
    for packet in rtp_stream(0x52525252, COUNT, first_sequence=first_sequence + 500, payload_type=8):
        callee.rtp.send(packet, setup.callee_sends_to)
    assert callee.rtp.receive(QUIET_WAIT) is None, "the caller's media reached the callee"
    assert caller.rtp.receive(QUIET_WAIT) is None, "the callee's media reached the caller"


# ---- drop-traffic ------------------------------------------------------------------------------

@pytest.mark.parametrize("message,key", [("offer", "drop-traffic"), ("answer", "drop-traffic"),
                                         ("offer", "drop traffic")])
def test_drop_traffic_start_drops_the_call_until_stop(relay, media_peer, message, key):
    """10.5: drop-traffic=start in an offer or an answer drops both directions; a plain
    re-offer keeps it; drop-traffic=stop lets media through again."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    options = {key: "start"}
    setup = establish(relay, caller, callee, offer_options=options if message == "offer" else None,
                      answer_options=options if message == "answer" else None)
    assert_dropped(setup, caller, callee, 1000)
    setup = establish(relay, caller, callee, call=setup.call)
    assert_dropped(setup, caller, callee, 2000)
    setup = establish(relay, caller, callee, call=setup.call, offer_options={"drop-traffic": "stop"})
    assert_flows(setup, caller, callee, 3000)


def test_drop_traffic_stop_in_an_answer(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options={"drop-traffic": "start"})
    assert_dropped(setup, caller, callee, 1000)
    setup = establish(relay, caller, callee, call=setup.call, answer_options={"drop-traffic": "stop"})
    assert_flows(setup, caller, callee, 2000)


def test_drop_traffic_drops_rtcp_too(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options={"drop-traffic": "start"})
    relay_rtcp = (setup.caller_sends_to[0], setup.caller_sends_to[1] + 1)
    caller.rtcp.send(build_rtcp_compound(0x51515151, packet_count=3, octet_count=480), relay_rtcp)
    assert callee.rtcp.receive(QUIET_WAIT) is None, "RTCP passed while traffic is dropped"
    # and it passes once stopped
    setup = establish(relay, caller, callee, call=setup.call, offer_options={"drop-traffic": "stop"})
    relay_rtcp = (setup.caller_sends_to[0], setup.caller_sends_to[1] + 1)
    caller.rtcp.send(build_rtcp_compound(0x51515151, packet_count=3, octet_count=480), relay_rtcp)
    assert callee.rtcp.receive(2.0) is not None, "RTCP did not pass after drop-traffic=stop"


@pytest.mark.parametrize("options", [{"flags": ["drop-traffic-start"]}, {"drop-traffic": "sideways"},
                                     {"drop-traffic": "stop"}])
def test_other_spellings_change_nothing(relay, media_peer, options):
    """10.5 reads only the key's values start and stop: the flag drop-traffic-start and an
    unknown value are accepted and media flows (measured); stop alone has nothing to stop."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee, offer_options=options)
    assert_flows(setup, caller, callee, 1000)


# ---- T.38 ---------------------------------------------------------------------------------------

def t38_sdp(address, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=image %d udptl t38\r\na=T38FaxVersion:0\r\na=T38FaxRateManagement:transferredTCF\r\n"
            % (address, address, port))


def media_lines(sdp):
    return [line.split(" ", 2)[0] + " " + line.split(" ", 2)[2] for line in sdp.splitlines()
            if line.startswith("m=")]


@pytest.mark.parametrize("mode,sdp,expected", [
    # decode turns a T.38 offer into audio, force an audio offer into T.38; the other kind of
    # offer is passed on unchanged (10.5 measured), so a config may send them on every call
    ("decode", simple_sdp(CALLER, 4000), ["m=audio RTP/AVP 0 8"]),
    ("force", t38_sdp(CALLER, 4000), ["m=image udptl t38"]),
])
def test_t38_gateway_keys_on_the_other_kind_of_offer_change_nothing(relay, mode, sdp, expected):
    reply = assert_ok(Call(relay).offer(sdp, {"T.38": [mode]}))
    assert media_lines(reply["sdp"]) == expected


@pytest.mark.upstream_differs("10.5 has the T.38 gateway: it rewrites the stream (decode: T.38 to audio, "
                              "force: audio to T.38)")
@pytest.mark.parametrize("mode,sdp", [("decode", t38_sdp(CALLER, 4000)), ("force", simple_sdp(CALLER, 4000))])
def test_t38_gateway_is_refused_where_it_would_act(relay, mode, sdp):
    reply = assert_error(Call(relay).offer(sdp, {"T.38": [mode]}))
    assert "T.38 gateway is not supported" in reply["error-reason"]


# ---- direction ----------------------------------------------------------------------------------

@pytest.mark.parametrize("interfaces,direction,address", [
    (("127.0.0.1",), ["internal", "external"], "127.0.0.1"),
    (("internal/127.0.0.1", "external/127.0.0.4"), ["internal", "external"], "127.0.0.4"),
    (("internal/127.0.0.1", "external/127.0.0.4"), ["internal", "elsewhere"], "127.0.0.1"),
    (("internal/127.0.0.1", "external/127.0.0.4"), ["elsewhere", "external"], "127.0.0.4"),
])
def test_direction_with_an_unknown_interface_uses_the_default(rtpengine_factory, interfaces, direction, address):
    """10.5 logs "Interface ... not found, using default" and serves the call on its first
    interface (measured), so a config that names interfaces this daemon lacks keeps working."""
    relay = rtpengine_factory(interfaces=interfaces)
    reply = assert_ok(Call(relay).offer(simple_sdp(CALLER, 4000), {"direction": direction}))
    assert Sdp(reply["sdp"]).media_address()[0] == address


# ---- codec options in an answer -------------------------------------------------------------------

@pytest.mark.parametrize("options,formats", [
    ({"codec": {"mask": ["PCMA"]}}, "0 8"),
    ({"codec": {"consume": ["PCMA"]}}, "0 8"),
    ({"flags": ["codec-mask-PCMA"]}, "0 8"),
    ({"flags": ["codec-consume-PCMA"]}, "0 8"),
    ({"codec": {"strip": ["PCMA"]}}, "0"),     # strip does act in an answer
])
def test_mask_and_consume_change_nothing_in_an_answer(relay, options, formats):
    """As 10.5 measured: mask and consume shape the offer; in an answer the SDP stays as is."""
    call = Call(relay)
    assert_ok(call.offer(simple_sdp(CALLER, 4000)))
    answer = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, 5000), options))["sdp"])
    assert answer.medias[0].formats == formats.split()
