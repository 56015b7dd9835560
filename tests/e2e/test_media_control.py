"""block/unblock DTMF, block/unblock media, silence/unsilence media: checked on real sockets
(the same tests run against Debian's 10.5 with RTPENGINE_BINARY=/usr/bin/rtpengine)."""

import json
import socket
import time

import pytest

from calls import assert_error, assert_ok, establish, make_sdp, media_section
from dtmf_tones import dtmf_sink  # noqa: F401
from rtp import build_rtp, parse_rtp, relay_through, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
DTMF_PT = 101


def _sdp(peer):
    return make_sdp(peer.host, media_section(peer.port, payload_types=(0, 8, DTMF_PT),
                                             attributes=("sendrecv", "rtpmap:101 telephone-event/8000",
                                                         "fmtp:101 0-16")))


@pytest.fixture
def call_setup(rtpengine, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(rtpengine, caller, callee, offer_sdp=_sdp(caller), answer_sdp=_sdp(callee))
    # both directions flow (and the relay has learned both sources) before the command
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x11, 3), callee.rtp)) == 3
    assert len(relay_through(callee.rtp, setup.callee_sends_to, rtp_stream(0x22, 3), caller.rtp)) >= 2
    return setup, caller, callee


def _dtmf_event(sequence, timestamp, ssrc, end=False):
    # RFC 4733 section 2.3: event 5, E bit, volume 10, duration 160
    payload = bytes((5, (0x80 if end else 0) | 10, 0, 160))
    return build_rtp(sequence, timestamp, ssrc, payload_type=DTMF_PT, payload=payload, marker=not end)


def _send(setup, caller, callee, packets, from_caller=True, timeout=1.0):
    if from_caller:
        return [data for data, _ in relay_through(caller.rtp, setup.caller_sends_to, packets, callee.rtp, timeout)]
    return [data for data, _ in relay_through(callee.rtp, setup.callee_sends_to, packets, caller.rtp, timeout)]


def test_block_dtmf_drops_telephone_events_only(call_setup):
    setup, caller, callee = call_setup
    assert_ok(setup.call.command("block DTMF", **{"from-tag": setup.call.from_tag}))
    audio = rtp_stream(0x33, 3, first_sequence=2000, payload_type=0)
    events = [_dtmf_event(3000 + n, 9000, 0x34, end=(n == 2)) for n in range(3)]
    received = _send(setup, caller, callee, events + audio, timeout=0.5)
    assert received == audio
    # the other direction is not blocked
    back = [_dtmf_event(4000 + n, 9000, 0x35) for n in range(2)]
    assert _send(setup, caller, callee, back, from_caller=False) == back
    assert_ok(setup.call.command("unblock DTMF", **{"from-tag": setup.call.from_tag}))
    again = [_dtmf_event(5000 + n, 9500, 0x34) for n in range(2)]
    assert _send(setup, caller, callee, again) == again


def test_block_dtmf_without_tag_blocks_both_sides(call_setup):
    setup, caller, callee = call_setup
    assert_ok(setup.call.command("block DTMF"))
    events = [_dtmf_event(3000 + n, 9000, 0x34) for n in range(2)]
    assert _send(setup, caller, callee, events, timeout=0.3) == []
    assert _send(setup, caller, callee, events, from_caller=False, timeout=0.3) == []
    assert_ok(setup.call.command("unblock DTMF"))
    assert _send(setup, caller, callee, events) == events


@pytest.mark.parametrize("mode, passed", [("drop", False), ("off", False), ("zero", True), ("DTMF", True)])
def test_block_dtmf_security_modes_of_a_call_not_transcoded(call_setup, mode, passed):
    """As 10.5 on a call it does not transcode (measured): drop and off drop the events, zero
    and DTMF let them pass. (With these two 10.5 puts the party's media through its transcoder:
    the events leave with timestamps of its own and G.711 is decoded and encoded again, a few
    codes off; we relay both untouched. The events' payloads and the audio's count compare.)"""
    setup, caller, callee = call_setup
    assert_ok(setup.call.command("block DTMF", **{"from-tag": setup.call.from_tag, "DTMF-security": mode}))
    audio = rtp_stream(0x11, 3, first_sequence=2000, payload_type=0)
    events = [_dtmf_event(3000 + n, 9000, 0x11, end=(n == 2)) for n in range(3)]
    received = [parse_rtp(p) for p in _send(setup, caller, callee, events + audio, timeout=0.5)]
    assert [p.payload for p in received if p.payload_type == DTMF_PT] == \
        ([parse_rtp(p).payload for p in events] if passed else [])
    assert [p.payload_type for p in received if p.payload_type != DTMF_PT] == [0, 0, 0]


# silence, tone and random: tests/e2e/test_dtmf_security.py


def test_block_dtmf_by_address_selects_that_party(call_setup):
    """As 10.5: without a from-tag, `address` names the party by its media address."""
    setup, caller, callee = call_setup
    assert_ok(setup.call.command("block DTMF", address=CALLER))
    events = [_dtmf_event(3000 + n, 9000, 0x11) for n in range(2)]
    assert _send(setup, caller, callee, events, timeout=0.3) == []
    back = [_dtmf_event(4000 + n, 9000, 0x22) for n in range(2)]
    assert _send(setup, caller, callee, back, from_caller=False) == back
    assert_ok(setup.call.command("unblock DTMF", address=CALLER))
    assert _send(setup, caller, callee, events) == events
    assert_error(setup.call.command("block DTMF", address="127.0.0.9"))


def test_block_media_drops_the_partys_media(call_setup):
    setup, caller, callee = call_setup
    assert_ok(setup.call.command("block media", **{"from-tag": setup.call.from_tag}))
    assert _send(setup, caller, callee, rtp_stream(0x44, 3, first_sequence=100), timeout=0.3) == []
    back = rtp_stream(0x45, 3, first_sequence=200)
    assert _send(setup, caller, callee, back, from_caller=False) == back
    assert_ok(setup.call.command("unblock media", **{"from-tag": setup.call.from_tag}))
    packets = rtp_stream(0x44, 3, first_sequence=300)
    assert _send(setup, caller, callee, packets) == packets


@pytest.mark.parametrize("payload_type, silence", [(0, 0xff), (8, 0xd5)], ids=["PCMU", "PCMA"])
def test_silence_media_replaces_g711_payload(call_setup, payload_type, silence):
    setup, caller, callee = call_setup
    assert_ok(setup.call.command("silence media", **{"from-tag": setup.call.from_tag}))
    packets = rtp_stream(0x55, 3, first_sequence=400, payload_type=payload_type)
    received = _send(setup, caller, callee, packets)
    assert len(received) == 3
    for sent, got in zip(packets, received):
        assert got[:12] == sent[:12]                    # header unchanged
        assert got[12:] == bytes([silence]) * (len(sent) - 12)
    assert_ok(setup.call.command("unsilence media", **{"from-tag": setup.call.from_tag}))
    packets = rtp_stream(0x55, 3, first_sequence=500, payload_type=payload_type)
    assert _send(setup, caller, callee, packets) == packets


@pytest.mark.parametrize("command", ["block DTMF", "block media", "silence media"])
def test_media_control_needs_a_known_call(rtpengine, command):
    reply = assert_error(rtpengine.ng({"command": command, "call-id": "no-such-call", "from-tag": "x"}))
    assert "error-reason" in reply


@pytest.mark.upstream_differs("droppedblocked is our counter")
def test_blocked_packets_are_counted(call_setup, rtpengine):
    setup, caller, callee = call_setup
    assert_ok(setup.call.command("block media", **{"from-tag": setup.call.from_tag}))
    assert _send(setup, caller, callee, rtp_stream(0x66, 2, first_sequence=600), timeout=0.3) == []
    total = assert_ok(rtpengine.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
    assert total["droppedblocked"] == 2


# ---------------------------------------------------------------- DTMF events (--dtmf-log-dest)

def test_dtmf_events_are_sent_as_json(rtpengine_factory, media_peer, dtmf_sink):
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(daemon, caller, callee, offer_sdp=_sdp(caller), answer_sdp=_sdp(callee))
    audio = rtp_stream(0x77, 2, first_sequence=10, payload_type=0)
    # event 5 of 80 ms: three updates, then the end three times (RFC 4733 section 2.5.1.4)
    events = [build_rtp(20 + n, 8000, 0x77, payload_type=DTMF_PT, marker=(n == 0),
                        payload=bytes((5, (0x80 if n >= 3 else 0) | 10)) + (160 * (n + 1 if n < 3 else 4)).to_bytes(2, "big"))
              for n in range(6)]
    received = _send(setup, caller, callee, audio + events)
    assert received == audio + events   # detection does not change the relayed packets
    report = json.loads(dtmf_sink.recv(4096))
    assert report["callid"] == setup.call.call_id
    assert report["source_tag"] == setup.call.from_tag
    assert sorted(report["tags"]) == sorted([setup.call.from_tag, setup.call.to_tag])
    assert report["type"] == "DTMF"
    assert report["source_ip"] == CALLER
    assert (report["event"], report["duration"], report["volume"]) == (5, 80, 10)
    assert abs(report["timestamp"] - time.time()) < 10
    assert list(report) == ["callid", "source_tag", "tags", "type", "timestamp", "source_ip", "event",
                            "duration", "volume"]
    # the repeated end packets are one event
    dtmf_sink.settimeout(0.3)
    with pytest.raises(socket.timeout):
        dtmf_sink.recv(4096)


# ---------------------------------------------------------------- play DTMF

# (play DTMF into a stream: test_dtmf_flags.py, test_dtmf_gaps.py)

@pytest.mark.parametrize("code", ["X", "16", ""])
def test_play_dtmf_with_an_invalid_code_is_refused(call_setup, code):
    setup, caller, callee = call_setup
    assert_error(setup.call.command("play DTMF", **{"from-tag": setup.call.from_tag, "code": code}))
    assert callee.rtp.receive_all(1, 0.2) == []
