"""RFC 4733 events whose payload type no transcoding chain maps, as 10.5 relays them (measured):
the caller offers PCMU with telephone-event 101, `codec: {transcode: [PCMA]}` adds PCMA, the
callee answers PCMA with telephone-event at 102, a type it was not offered (RFC 3264 section
6.1). The offerer's answer then has no telephone-event, yet both daemons relay the events of
either type, each way, untouched (payload type and payload as sent) between the transcoded
audio, while the audio keeps being transcoded (daemon/media_transcode.c,
pass_what_chain_does_not_decode()). Without transcoding (answer PCMU with 102) the events and
the audio pass untouched too. Runs against both daemons (RTPENGINE_BINARY=/usr/bin/rtpengine)."""

import struct
import time

import pytest

from calls import Call, Sdp, assert_ok, codec_lines, codec_sdp as sdp
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
OFFER = ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], ["fmtp:101 0-16"])
SILENCE = {0: b"\xff" * 160, 8: b"\xd5" * 160}   # G.711 zero (RFC 3551 section 4.5.14)


def event_payload(event, end, duration):
    """RFC 4733 section 2.3: event, E bit and volume (10), duration in timestamp units."""
    return struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)


def send_audio_event_audio(sender, destination, ssrc, audio_pt, event_pt):
    """Three frames of audio, digit 7 as four RFC 4733 packets (one timestamp, the last with
    E set), three frames of audio after it: a phone's stream around a key press."""
    packets = [build_rtp(2000 + i, 160 * i, ssrc, audio_pt, SILENCE[audio_pt]) for i in range(3)]
    packets += [build_rtp(2003 + i, 480, ssrc, event_pt, event_payload(7, i == 3, 160 * (i + 1)), marker=i == 0)
                for i in range(4)]
    packets += [build_rtp(2007 + i, 160 * (i + 7), ssrc, audio_pt, SILENCE[audio_pt]) for i in range(3)]
    for packet in packets:
        sender.rtp.send(packet, destination)
        time.sleep(0.02)   # paced as a phone sends


def assert_relayed(receiver, audio_pt, event_pt):
    got = [parse_rtp(data) for data, _ in receiver.rtp.receive_all(10, 2.0)]
    types = [p.payload_type for p in got]
    events = [p for p in got if p.payload_type == event_pt]
    assert [p.payload for p in events] == [event_payload(7, i == 3, 160 * (i + 1)) for i in range(4)], types
    assert events[0].marker
    # the audio before the digit, in the receiver's codec
    assert types[:3] == [audio_pt] * 3, types
    assert set(types) == {audio_pt, event_pt}, types


@pytest.mark.parametrize("direction, event_pt", [
    ("caller", 101), ("callee", 102), ("callee", 101), ("caller", 102)])
def test_events_the_chains_do_not_map_pass_untouched(rtpengine, direction, event_pt):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *OFFER), {"codec": {"transcode": ["PCMA"]}}))
        assert codec_lines(offer["sdp"]) == [
            "m=audio PORT RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"]
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [8, 102], ["8 PCMA/8000", "102 telephone-event/8000"],
                                           ["fmtp:102 0-15"])))
        # 102 was not offered to the callee: the caller is answered its PCMU alone
        assert codec_lines(answer["sdp"]) == ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]
        if direction == "caller":
            send_audio_event_audio(caller, Sdp(answer["sdp"]).media_address(), 0x7a11, 0, event_pt)
            assert_relayed(callee, 8, event_pt)
        else:
            send_audio_event_audio(callee, Sdp(offer["sdp"]).media_address(), 0x7a22, 8, event_pt)
            assert_relayed(caller, 0, event_pt)
        call.delete()
    finally:
        caller.close()
        callee.close()


@pytest.mark.parametrize("direction, event_pt", [("caller", 101), ("callee", 102)])
def test_events_answered_at_another_type_relay_without_transcoding(rtpengine, direction, event_pt):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *OFFER)))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [0, 102], ["0 PCMU/8000", "102 telephone-event/8000"],
                                           ["fmtp:102 0-15"])))
        assert codec_lines(answer["sdp"]) == ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]
        if direction == "caller":
            send_audio_event_audio(caller, Sdp(answer["sdp"]).media_address(), 0x7a33, 0, event_pt)
            receiver = callee
        else:
            send_audio_event_audio(callee, Sdp(offer["sdp"]).media_address(), 0x7a44, 0, event_pt)
            receiver = caller
        got = [parse_rtp(data) for data, _ in receiver.rtp.receive_all(10, 2.0)]
        assert [p.payload_type for p in got] == [0] * 3 + [event_pt] * 4 + [0] * 3
        assert all(p.payload == SILENCE[0] for p in got if p.payload_type == 0)
        call.delete()
    finally:
        caller.close()
        callee.close()
