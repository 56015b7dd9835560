"""RTP and RTCP through the relay between UDP sockets on loopback."""

import pytest

from calls import (Sdp, assert_ok, establish, make_sdp, media_section, simple_sdp,
                   skip_unless_ipv6, streams_of, udp_port_bindable, wait_until)
from rtp import (MediaSocket, RTCP_SR, build_rtcp_compound, parse_rtcp, parse_rtp,
                 relay_through, rtp_stream)

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
STRANGER = "127.0.0.4"
COUNT = 10


@pytest.fixture
def relay(rtpengine_factory):
    """A daemon that latches on the first packet, so latching is deterministic
    (upstream's default "delayed" learning keeps re-learning for about 3 s)."""
    return rtpengine_factory("--endpoint-learning=immediate")


def rtcp_port_of(address):
    return (address[0], address[1] + 1)


def assert_delivered(received, sent):
    """Every packet arrived exactly once and unchanged. Order is not checked: a relay
    with several worker threads (like the reference) may reorder the first packet of a
    stream, which its slow path handles, and UDP promises no order."""
    assert len(received) == len(sent), "%d of %d packets arrived" % (len(received), len(sent))
    assert sorted(data for data, _ in received) == sorted(sent), "payload or header changed"
    sequences = [parse_rtp(data).sequence for data, _ in received]
    assert sorted(sequences) == [parse_rtp(packet).sequence for packet in sent]


def assert_stream_intact(received, sent, expected_source):
    """assert_delivered, and every packet came from the relay port `expected_source`."""
    assert_delivered(received, sent)
    assert all(source == expected_source for _, source in received), \
        "sources %r, expected %r" % ({source for _, source in received}, expected_source)


def test_rtp_relayed_both_ways(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    forward = rtp_stream(0x11111111, COUNT)
    received = relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp)
    assert_stream_intact(received, forward, setup.callee_sends_to)
    backward = rtp_stream(0x22222222, COUNT, first_sequence=60000, payload_type=8)
    received = relay_through(callee.rtp, setup.callee_sends_to, backward, caller.rtp)
    assert_stream_intact(received, backward, setup.caller_sends_to)


def test_rtcp_relayed_both_ways(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    for sender, destination, receiver, source, ssrc in (
            (caller, setup.caller_sends_to, callee, setup.callee_sends_to, 0x1234),
            (callee, setup.callee_sends_to, caller, setup.caller_sends_to, 0x5678)):
        report = build_rtcp_compound(ssrc, packet_count=7, octet_count=1120)
        received = relay_through(sender.rtcp, rtcp_port_of(destination), [report],
                                 receiver.rtcp)
        assert len(received) == 1
        data, from_address = received[0]
        assert from_address == rtcp_port_of(source)
        packets = parse_rtcp(data)
        assert packets and packets[0].packet_type == RTCP_SR and packets[0].ssrc == ssrc
        assert data == report
        assert receiver.rtp.receive(0.05) is None, "RTCP leaked onto the RTP port"


def test_counters_in_query_after_media(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    forward = rtp_stream(0x1, COUNT, payload_size=100)
    backward = rtp_stream(0x2, COUNT // 2, payload_size=60)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp)) == COUNT
    assert len(relay_through(callee.rtp, setup.callee_sends_to, backward,
                             caller.rtp)) == COUNT // 2
    relay_through(caller.rtcp, rtcp_port_of(setup.caller_sends_to),
                  [build_rtcp_compound(0x1)], callee.rtcp)
    reply = assert_ok(setup.call.query())
    totals = reply["totals"]
    assert totals["RTP"]["packets"] == COUNT + COUNT // 2
    assert totals["RTP"]["bytes"] == sum(map(len, forward)) + sum(map(len, backward))
    assert totals["RTP"]["errors"] == 0
    assert totals["RTCP"]["packets"] == 1
    # per stream: what the relay received from that party
    caller_rtp = streams_of(reply, setup.call.from_tag)[0]
    callee_rtp = streams_of(reply, setup.call.to_tag)[0]
    assert caller_rtp["stats"]["packets"] == COUNT
    assert callee_rtp["stats"]["packets"] == COUNT // 2
    assert caller_rtp["stats"]["bytes"] == sum(map(len, forward))
    assert callee_rtp["stats"]["bytes"] == sum(map(len, backward))


def test_latching_follows_actual_source(relay, media_peer):
    """Symmetric RTP (the default): the caller is behind a NAT and sends from another
    port than its SDP says; the relay answers to where media really comes from."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    natted = MediaSocket(CALLER)
    try:
        setup = establish(relay, caller, callee)
        assert len(relay_through(natted, setup.caller_sends_to, rtp_stream(0x1, 1),
                                 callee.rtp)) == 1
        backward = rtp_stream(0x2, COUNT)
        received = relay_through(callee.rtp, setup.callee_sends_to, backward, natted)
        assert_stream_intact(received, backward, setup.caller_sends_to)
        assert caller.rtp.receive(0.05) is None
        endpoint = streams_of(setup.call.query(), setup.call.from_tag)[0]["endpoint"]
        assert (endpoint["address"], endpoint["port"]) == natted.address
    finally:
        natted.close()


def test_symmetric_flag_is_default_behaviour(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    natted = MediaSocket(CALLER)
    try:
        setup = establish(relay, caller, callee, offer_options={"flags": ["symmetric"]},
                          answer_options={"flags": ["symmetric"]})
        relay_through(natted, setup.caller_sends_to, rtp_stream(0x1, 1), callee.rtp)
        received = relay_through(callee.rtp, setup.callee_sends_to, rtp_stream(0x2, 3), natted)
        assert len(received) == 3
    finally:
        natted.close()


def _latched_call(relay, media_peer, offer_options=None):
    caller, callee, stranger = media_peer(CALLER), media_peer(CALLEE), media_peer(STRANGER)
    setup = establish(relay, caller, callee, offer_options=offer_options)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 3),
                             callee.rtp)) == 3
    return setup, caller, callee, stranger


def test_stranger_cannot_hijack_latched_stream(relay, media_peer):
    setup, caller, callee, stranger = _latched_call(relay, media_peer)
    relay_through(stranger.rtp, setup.caller_sends_to, rtp_stream(0x666, COUNT), callee.rtp,
                  timeout=0.5)
    backward = rtp_stream(0x2, COUNT)
    received = relay_through(callee.rtp, setup.callee_sends_to, backward, caller.rtp)
    assert_stream_intact(received, backward, setup.caller_sends_to)
    assert stranger.rtp.receive(0.1) is None, "return media went to the stranger"


def test_media_handover_lets_new_source_take_over(relay, media_peer):
    setup, caller, callee, stranger = _latched_call(relay, media_peer,
                                                    {"flags": ["media-handover"]})
    flags = streams_of(setup.call.query(), setup.call.from_tag)[0]["flags"]
    assert "media handover" in flags
    assert len(relay_through(stranger.rtp, setup.caller_sends_to, rtp_stream(0x7, 3),
                             callee.rtp)) == 3
    backward = rtp_stream(0x2, COUNT)
    received = relay_through(callee.rtp, setup.callee_sends_to, backward, stranger.rtp)
    assert_stream_intact(received, backward, setup.caller_sends_to)
    assert caller.rtp.receive(0.1) is None


def test_strict_source_drops_other_sources(relay, media_peer):
    setup, caller, callee, stranger = _latched_call(relay, media_peer,
                                                    {"flags": ["strict-source"]})
    received = relay_through(stranger.rtp, setup.caller_sends_to, rtp_stream(0x666, COUNT),
                             callee.rtp, timeout=0.5)
    assert received == []
    assert wait_until(lambda: streams_of(assert_ok(setup.call.query()), setup.call.from_tag)
                      [0]["stats"]["errors"] == COUNT, timeout=3)
    # the legitimate source still gets through
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 3, 2000),
                             callee.rtp)) == 3


@pytest.mark.upstream_differs("upstream 10.5 keeps forwarding a stranger's packets after a re-INVITE "
                              "that adds strict-source; here the latest offer's flags apply")
def test_reinvite_adding_strict_source_applies_to_flowing_call(relay, media_peer):
    """Flags from a re-INVITE reach the packet path of a call that is already relaying
    (the worker reads copies of them that every offer and answer refresh)."""
    setup, caller, callee, stranger = _latched_call(relay, media_peer)
    assert len(relay_through(stranger.rtp, setup.caller_sends_to, rtp_stream(0x666, 3),
                             callee.rtp)) == 3, "without strict-source a stranger's packets pass"
    assert_ok(setup.call.offer(simple_sdp(CALLER, caller.port), {"flags": ["strict-source"]}))
    assert_ok(setup.call.answer(simple_sdp(CALLEE, callee.port)))
    assert relay_through(stranger.rtp, setup.caller_sends_to, rtp_stream(0x667, COUNT),
                         callee.rtp, timeout=0.5) == []
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 3, 2000),
                             callee.rtp)) == 3


def test_asymmetric_sends_to_sdp_address(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    other_port = MediaSocket(CALLER)
    try:
        setup = establish(relay, caller, callee, offer_options={"flags": ["asymmetric"]},
                          answer_options={"flags": ["asymmetric"]})
        assert len(relay_through(other_port, setup.caller_sends_to, rtp_stream(0x1, 3),
                                 callee.rtp)) == 3
        backward = rtp_stream(0x2, COUNT)
        received = relay_through(callee.rtp, setup.callee_sends_to, backward, caller.rtp)
        assert_stream_intact(received, backward, setup.caller_sends_to)
        assert other_port.receive(0.1) is None
    finally:
        other_port.close()


@pytest.mark.parametrize("trust", [False, True])
def test_received_from_with_sip_source_address(relay, media_peer, trust):
    """SIP-source-address: media goes to the SIP source (received-from), not the SDP
    address, unless trust-address says the SDP is right."""
    behind_nat = media_peer("127.0.0.9")
    callee = media_peer(CALLEE)
    flags = ["SIP-source-address"] + (["trust-address"] if trust else [])
    sdp_peer_address = MediaSocket(CALLER, behind_nat.port) \
        if udp_port_bindable(CALLER, behind_nat.port) else None
    if sdp_peer_address is None:
        pytest.skip("port %d taken on %s" % (behind_nat.port, CALLER))
    try:
        setup = establish(relay, behind_nat, callee,
                          offer_sdp=simple_sdp(CALLER, behind_nat.port),
                          offer_options={"flags": flags, "received-from": ["IP4", "127.0.0.9"]})
        expected, other = (sdp_peer_address, behind_nat.rtp) if trust else \
            (behind_nat.rtp, sdp_peer_address)
        received = relay_through(callee.rtp, setup.callee_sends_to, rtp_stream(0x2, 3), expected)
        assert len(received) == 3
        assert other.receive(0.1) is None
    finally:
        sdp_peer_address.close()


def test_rtcp_mux_demux_media(relay, media_peer):
    """The caller muxes RTCP onto its RTP port (RFC 5761); the callee gets it demuxed
    on its own RTCP port."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee,
                      offer_sdp=simple_sdp(CALLER, caller.port, attributes=("sendrecv",
                                                                             "rtcp-mux")),
                      offer_options={"rtcp-mux": ["demux"]})
    report = build_rtcp_compound(0x4321)
    received = relay_through(caller.rtp, setup.caller_sends_to, [report], callee.rtcp)
    assert [data for data, _ in received] == [report]
    # RTP on the same muxed port still reaches the callee's RTP port
    forward = rtp_stream(0x1, 3)
    assert_stream_intact(relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp),
                         forward, setup.callee_sends_to)
    # and RTCP back to the caller arrives muxed on its RTP port
    back = build_rtcp_compound(0x8765)
    received = relay_through(callee.rtcp, rtcp_port_of(setup.callee_sends_to), [back],
                             caller.rtp)
    assert [data for data, _ in received] == [back]


def test_media_between_ipv4_and_ipv6(rtpengine_factory, media_peer):
    skip_unless_ipv6()
    daemon = rtpengine_factory("--endpoint-learning=immediate", ipv6=True)
    caller, callee = media_peer(CALLER), media_peer("::1")
    setup = establish(daemon, caller, callee, offer_sdp=simple_sdp(CALLER, caller.port),
                      answer_sdp=simple_sdp("::1", callee.port),
                      offer_options={"address family": "IP6"},
                      answer_options={"address family": "IP4"})
    assert setup.callee_sends_to[0] == "::1" and setup.caller_sends_to[0] == "127.0.0.1"
    forward = rtp_stream(0x1, COUNT)
    assert_stream_intact(relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp),
                         forward, setup.callee_sends_to)
    backward = rtp_stream(0x2, COUNT)
    assert_stream_intact(relay_through(callee.rtp, setup.callee_sends_to, backward,
                                       caller.rtp), backward, setup.caller_sends_to)


def test_ipv6_media(rtpengine_factory, media_peer):
    skip_unless_ipv6()
    daemon = rtpengine_factory("--endpoint-learning=immediate", interfaces=("::1",))
    caller, callee = media_peer("::1"), media_peer("::1")
    setup = establish(daemon, caller, callee, offer_sdp=simple_sdp("::1", caller.port),
                      answer_sdp=simple_sdp("::1", callee.port))
    forward = rtp_stream(0x1, COUNT)
    assert_stream_intact(relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp),
                         forward, setup.callee_sends_to)


def test_media_stops_after_delete(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 2),
                             callee.rtp)) == 2
    assert_ok(setup.call.delete())
    assert relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 3, 3000),
                         callee.rtp, timeout=0.3) == []
    assert wait_until(lambda: relay.ng({"command": "list"})["calls"] == [], timeout=3)


def test_two_media_sections_are_relayed_separately(relay, media_peer):
    audio_caller, audio_callee = media_peer(CALLER), media_peer(CALLEE)
    video_caller, video_callee = media_peer(CALLER), media_peer(CALLEE)

    def two_media(host, audio, video):
        return make_sdp(host, media_section(audio.port),
                        media_section(video.port, kind="video", payload_types=(96,)))
    setup = establish(relay, audio_caller, audio_callee,
                      offer_sdp=two_media(CALLER, audio_caller, video_caller),
                      answer_sdp=two_media(CALLEE, audio_callee, video_callee))
    caller_video_to = setup.answer_sdp.media_address(1)
    callee_video_to = setup.offer_sdp.media_address(1)
    assert caller_video_to != setup.caller_sends_to
    video = rtp_stream(0x5, 3, payload_type=96)
    assert_stream_intact(relay_through(video_caller.rtp, caller_video_to, video,
                                       video_callee.rtp), video, callee_video_to)
    assert_stream_intact(relay_through(video_callee.rtp, callee_video_to, video,
                                       video_caller.rtp), video, caller_video_to)
    assert audio_callee.rtp.receive(0.05) is None and audio_caller.rtp.receive(0.05) is None


def test_reinvite_moves_media_to_new_port(relay, media_peer):
    caller, callee, moved = media_peer(CALLER), media_peer(CALLEE), media_peer(CALLER)
    setup = establish(relay, caller, callee)
    assert len(relay_through(callee.rtp, setup.callee_sends_to, rtp_stream(0x2, 2),
                             caller.rtp)) == 2
    reoffer = Sdp(assert_ok(setup.call.offer(simple_sdp(CALLER, moved.port)))["sdp"])
    reanswer = Sdp(assert_ok(setup.call.answer(simple_sdp(CALLEE, callee.port)))["sdp"])
    # the caller moved but has not sent from its new port yet: the new SDP address counts
    # (which relay port the packets leave from after a re-INVITE is not checked: the
    # reference may hand out a new port pair on either side)
    backward = rtp_stream(0x2, COUNT, first_sequence=3000)
    assert_delivered(relay_through(callee.rtp, reoffer.media_address(), backward, moved.rtp),
                     backward)
    assert caller.rtp.receive(0.05) is None
    forward = rtp_stream(0x1, 3)
    assert_delivered(relay_through(moved.rtp, reanswer.media_address(), forward, callee.rtp),
                     forward)


def test_statistics_count_relayed_packets(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    forward = rtp_stream(0x1, COUNT)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp)) == COUNT
    assert_ok(setup.call.delete())
    total = relay.ng({"command": "statistics"})["statistics"]["totalstatistics"]
    assert total["relayedpackets"] == COUNT
    assert total["relayedbytes"] == sum(map(len, forward))
    assert total["relayedpacketerrors"] == 0


def test_many_concurrent_calls_do_not_cross_talk(rtpengine_factory, media_peer):
    """Twenty calls set up back to back, then media on all of them at once: each callee
    gets exactly its own caller's packets (SSRC and payload), nothing from the others."""
    daemon = rtpengine_factory("--endpoint-learning=immediate", port_count=100)
    calls = []
    for index in range(20):
        caller, callee = media_peer(CALLER), media_peer(CALLEE)
        calls.append((index, caller, callee, establish(daemon, caller, callee)))
    streams = {index: rtp_stream(0x1000 + index, 3, first_sequence=100 * index)
               for index, _, _, _ in calls}
    for index, caller, _, setup in calls:
        for packet in streams[index]:
            caller.rtp.send(packet, setup.caller_sends_to)
    for index, _, callee, setup in calls:
        assert_stream_intact(callee.rtp.receive_all(3, 2.0), streams[index],
                             setup.callee_sends_to)
        assert callee.rtp.receive(0.01) is None, "call %d got extra packets" % index
    assert len(daemon.ng({"command": "list"})["calls"]) == 20


@pytest.mark.parametrize("mode, follows_source", [
    ("off", False), ("immediate", True), ("delayed", True), ("heuristic", True)])
def test_endpoint_learning_modes(rtpengine_factory, media_peer, mode, follows_source):
    """--endpoint-learning: "off" always sends to the SDP address; the other modes send
    to where the party's media really comes from (behind a NAT)."""
    daemon = rtpengine_factory("--endpoint-learning=%s" % mode)
    caller, callee, natted = media_peer(CALLER), media_peer(CALLEE), media_peer(CALLER)
    setup = establish(daemon, caller, callee)
    assert len(relay_through(natted.rtp, setup.caller_sends_to, rtp_stream(0x1, 3),
                             callee.rtp)) == 3
    backward = rtp_stream(0x2, 3)
    expected, other = (natted, caller) if follows_source else (caller, natted)
    assert_stream_intact(relay_through(callee.rtp, setup.callee_sends_to, backward,
                                       expected.rtp), backward, setup.caller_sends_to)
    assert other.rtp.receive(0.05) is None


@pytest.mark.upstream_differs("upstream's delayed learning lets a stranger take over in the first seconds")
def test_delayed_learning_keeps_a_flowing_source(rtpengine_factory, media_peer):
    """Default (delayed) endpoint learning: while the learned source keeps sending, a
    stranger's packets inside the learning window must not move the latch."""
    daemon = rtpengine_factory()
    setup, caller, callee, stranger = _latched_call(daemon, media_peer)
    for round_number in range(3):
        relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 2, 3000 + 10 * round_number),
                      callee.rtp, timeout=0.2)
        relay_through(stranger.rtp, setup.caller_sends_to, rtp_stream(0x666, 2, 100 * round_number),
                      callee.rtp, timeout=0.2)
    backward = rtp_stream(0x2, COUNT)
    received = relay_through(callee.rtp, setup.callee_sends_to, backward, caller.rtp)
    assert_stream_intact(received, backward, setup.caller_sends_to)
    assert stranger.rtp.receive(0.1) is None, "return media went to the stranger"


def test_delayed_learning_follows_a_changed_nat_binding(rtpengine_factory, media_peer):
    """Within the learning window, a source that replaces a silent one (a NAT binding that
    changed before the call settled) is learned."""
    daemon = rtpengine_factory()
    setup, caller, callee, moved = _latched_call(daemon, media_peer)
    deadline_quiet = 0.7   # longer than the daemon's 0.5 s quiet time, well inside 3 s
    assert caller.rtp.receive(deadline_quiet) is None
    assert len(relay_through(moved.rtp, setup.caller_sends_to, rtp_stream(0x1, 3, 5000), callee.rtp)) == 3
    backward = rtp_stream(0x2, COUNT)
    received = relay_through(callee.rtp, setup.callee_sends_to, backward, moved.rtp)
    assert_stream_intact(received, backward, setup.caller_sends_to)


def test_burst_over_many_calls_in_one_round(rtpengine_factory, media_peer):
    """Many sockets ready at once, each with more than one receive batch queued: the worker
    queues more packets in one epoll round than its pool holds and must send part of them
    mid-round (with calls of both directions in the queue) without stalling."""
    import signal
    daemon = rtpengine_factory("--endpoint-learning=immediate", "--num-threads=1", port_count=100)
    calls = []
    for _ in range(10):
        caller, callee = media_peer(CALLER), media_peer(CALLEE)
        setup = establish(daemon, caller, callee)
        # latch both directions first
        assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x10, 1), callee.rtp)) == 1
        assert len(relay_through(callee.rtp, setup.callee_sends_to, rtp_stream(0x20, 1), caller.rtp)) == 1
        calls.append((setup, caller, callee))
    burst = 40
    daemon.process.send_signal(signal.SIGSTOP)
    try:
        for setup, caller, callee in calls:
            for packet in rtp_stream(0x30, burst, 100):
                caller.rtp.send(packet, setup.caller_sends_to)
            for packet in rtp_stream(0x40, burst, 100):
                callee.rtp.send(packet, setup.callee_sends_to)
    finally:
        daemon.process.send_signal(signal.SIGCONT)
    for setup, caller, callee in calls:
        assert len(callee.rtp.receive_all(burst, 3.0)) == burst
        assert len(caller.rtp.receive_all(burst, 3.0)) == burst
    assert daemon.ng({"command": "ping"})["result"] == "pong"


@pytest.mark.upstream_differs("the per-stream explanations are ours")
def test_query_explains_latching_and_kernel_state(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    stream = streams_of(assert_ok(setup.call.query()), setup.call.from_tag)[0]
    assert "no packet received" in stream["endpoint learning"]
    assert "--table=-1" in stream["kernel"]
    relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 2), callee.rtp)
    stream = streams_of(assert_ok(setup.call.query()), setup.call.from_tag)[0]
    assert stream["endpoint learning"] == "confirmed"
