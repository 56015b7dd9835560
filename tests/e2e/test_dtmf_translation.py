"""DTMF translation on a transcoded call (daemon/codec_chain.c, dtmf_detect.c): the caller offers
PCMU without telephone-event, `codec: {transcode: [PCMA, telephone-event]}` adds both, the callee
answers PCMA with telephone-event. The caller's in-band tone reaches the callee as RFC 4733 events
(and --dtmf-log-dest gets the digit as JSON); the callee's RFC 4733 event reaches the caller as the
tone pair in its PCMU. Runs against both daemons (RTPENGINE_BINARY=/usr/bin/rtpengine)."""

import json
import struct
import time

from calls import Call, Sdp, assert_ok
from dtmf_tones import alaw, assert_tone_of, dtmf_sink, tone_pair, ulaw, ulaw_decode  # noqa: F401
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
OFFER = ("v=0\r\no=- 1 1 IN IP4 {a}\r\ns=-\r\nc=IN IP4 {a}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n"
         "a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
ANSWER = ("v=0\r\no=- 2 1 IN IP4 {a}\r\ns=-\r\nc=IN IP4 {a}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 {te}\r\n"
          "a=rtpmap:8 PCMA/8000\r\na=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-15\r\na=sendrecv\r\n")


def translated_call(daemon, caller, callee):
    call = Call(daemon)
    offer = assert_ok(call.offer(OFFER.format(a=CALLER, port=caller.port),
                                 {"codec": {"transcode": ["PCMA", "telephone-event"]}}))
    media = Sdp(offer["sdp"]).medias[0]
    assert media.formats == ["0", "8", "96"], media.formats
    assert "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15" in offer["sdp"]
    answer = assert_ok(call.answer(ANSWER.format(a=CALLEE, port=callee.port, te=96)))
    assert Sdp(answer["sdp"]).medias[0].formats == ["0"]
    return call, Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()


def test_inband_tone_becomes_rfc4733_events(rtpengine_factory, dtmf_sink):
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, caller_sends_to, _ = translated_call(daemon, caller, callee)
        # 300 ms silence, 200 ms of "5" at about -10 dBm0 per tone, 500 ms silence
        pcm = [0] * 2400 + tone_pair(5, 1600) + [0] * 4000
        encoded = ulaw(pcm)
        for i in range(len(pcm) // 160):
            caller.rtp.send(build_rtp(300 + i, 160 * i, 0x5555, 0, encoded[160 * i:160 * (i + 1)]), caller_sends_to)
            time.sleep(0.005)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(80, 3.0)]
        events = sorted((p for p in got if p.payload_type == 96), key=lambda p: p.sequence)
        audio = [p for p in got if p.payload_type == 8]
        assert audio, "PCMA audio"
        assert events, "no RFC 4733 events among %d packets" % len(got)
        assert {p.payload[0] for p in events} == {5}
        print("events:", [(p.sequence, p.marker, p.payload.hex()) for p in events])
        assert events[0].marker   # RFC 4733 section 2.5.1.3
        assert len({p.timestamp for p in events}) == 1, "one event, one timestamp"
        ends = [p for p in events if p.payload[1] & 0x80]
        assert ends, "the event ends"
        duration = struct.unpack("!H", ends[-1].payload[2:4])[0]
        print("event 5: %d packets, duration %d (tone: 1600)" % (len(events), duration))
        assert 1000 <= duration <= 2400, duration
        # the event starts where the tone started, within the detection delay
        start = (events[0].timestamp - audio[0].timestamp) & 0xffffffff
        assert 2400 - 160 <= start <= 2400 + 800, start
        report = json.loads(dtmf_sink.recv(4096))
        assert (report["callid"], report["event"], report["type"]) == (call.call_id, 5, "DTMF")
        assert report["source_ip"] == CALLER
        call.delete()
    finally:
        caller.close()
        callee.close()


def test_rfc4733_event_becomes_an_inband_tone(rtpengine):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, _, callee_sends_to = translated_call(rtpengine, caller, callee)
        silence = alaw([0] * 160)
        sequence = 700
        for i in range(10):
            callee.rtp.send(build_rtp(sequence, 160 * i, 0x6666, 8, silence), callee_sends_to)
            sequence += 1
            time.sleep(0.01)
        # event 7 at timestamp 1600, 160 ms (8 updates of 20 ms), the end three times
        for n in range(8):
            payload = bytes((7, 10)) + struct.pack("!H", 160 * (n + 1))
            callee.rtp.send(build_rtp(sequence, 1600, 0x6666, 96, payload, marker=(n == 0)), callee_sends_to)
            sequence += 1
            time.sleep(0.01)
        for n in range(3):
            callee.rtp.send(build_rtp(sequence, 1600, 0x6666, 96, bytes((7, 0x80 | 10)) + struct.pack("!H", 1280)),
                            callee_sends_to)
            sequence += 1
        for i in range(10):
            callee.rtp.send(build_rtp(sequence, 1600 + 1280 + 160 * i, 0x6666, 8, silence), callee_sends_to)
            sequence += 1
            time.sleep(0.01)
        got = [parse_rtp(d) for d, _ in caller.rtp.receive_all(40, 3.0)]
        assert got and all(p.payload_type == 0 for p in got), [p.payload_type for p in got]
        pcm = ulaw_decode(b"".join(p.payload for p in got))
        # "7" is 852 + 1209 Hz: strong there, nothing at the other rows and columns
        assert_tone_of(pcm, 7)
        # about 160 ms of it: samples louder than the silence around
        loud = sum(1 for x in pcm if abs(x) > 300)
        assert 600 <= loud <= 1500, loud
        call.delete()
    finally:
        caller.close()
        callee.close()
