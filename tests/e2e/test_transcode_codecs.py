"""Transcoding to the other encoders libavcodec has in Debian 12 (GSM, G.723.1, Speex), and the
decode-only ones refused. The offers and answers are compared with what Debian's 10.5 gives for
the same requests (RTPENGINE_BINARY=/usr/bin/rtpengine runs the same tests against it); the media
leg checks the packets each encoder produces from 20 ms PCMU: RFC 3551 sections 4.5.8 (GSM,
33-byte frames per 20 ms) and 4.5.3 (G.723.1, 24-byte frames per 30 ms), RFC 5574 (Speex)."""

import pytest

from calls import Call, Sdp, assert_error, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
OFFER = ("v=0\r\no=- 1 1 IN IP4 {a}\r\ns=-\r\nc=IN IP4 {a}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 101\r\n"
         "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
ANSWER = ("v=0\r\no=- 2 1 IN IP4 {a}\r\ns=-\r\nc=IN IP4 {a}\r\nt=0 0\r\nm=audio {port} RTP/AVP {pt}\r\n"
          "a=rtpmap:{pt} {rtpmap}\r\na=sendrecv\r\n")


def codec_lines(text):
    return [line for line in text.split("\r\n") if line.startswith(("a=rtpmap", "a=fmtp"))]


@pytest.mark.parametrize("codec, offer_formats, offer_lines, pt, rtpmap, payload_length, timestamp_step", [
    ("GSM", "0 3 101", ["a=rtpmap:0 PCMU/8000", "a=rtpmap:3 GSM/8000", "a=rtpmap:101 telephone-event/8000"],
     3, "GSM/8000", 33, 160),
    ("G723", "0 4 101", ["a=rtpmap:0 PCMU/8000", "a=rtpmap:4 G723/8000", "a=rtpmap:101 telephone-event/8000"],
     4, "G723/8000", 24, 240),
    ("speex", "0 96 97 101", ["a=rtpmap:0 PCMU/8000", "a=rtpmap:96 speex/16000",
                              "a=rtpmap:97 telephone-event/16000", "a=fmtp:97 0-15",
                              "a=rtpmap:101 telephone-event/8000"], 96, "speex/16000", None, 320),
], ids=["gsm", "g723", "speex"])
def test_transcode_to_encoder(rtpengine, codec, offer_formats, offer_lines, pt, rtpmap, payload_length,
                              timestamp_step):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(OFFER.format(a=CALLER, port=caller.port), {"codec": {"transcode": [codec]}}))
        media = Sdp(offer["sdp"]).medias[0]
        assert " ".join(media.formats) == offer_formats
        assert codec_lines(offer["sdp"]) == offer_lines
        answer = assert_ok(call.answer(ANSWER.format(a=CALLEE, port=callee.port, pt=pt, rtpmap=rtpmap)))
        assert " ".join(Sdp(answer["sdp"]).medias[0].formats) == "0"
        assert codec_lines(answer["sdp"]) == ["a=rtpmap:0 PCMU/8000"]
        destination = Sdp(answer["sdp"]).media_address()
        for i in range(30):
            caller.rtp.send(build_rtp(10 + i, 160 * i, 0x7171, 0, bytes([0x80 + (i * 7 + n) % 64 for n in range(160)])),
                            destination)
        # 600 ms of PCMU: 30 packets of 20 ms, 20 of 30 ms (an encoder may hold one back)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(30, 3.0)]
        assert len(got) >= 15, len(got)
        assert all(p.payload_type == pt for p in got)
        steps = {(b.timestamp - a.timestamp) & 0xffffffff for a, b in zip(got, got[1:])}
        # one frame each (10.5 skips a frame now and then: a step of two)
        assert all(step % timestamp_step == 0 for step in steps), steps
        assert timestamp_step in steps, steps
        if payload_length:
            assert {len(p.payload) for p in got} == {payload_length}
        call.delete()
    finally:
        caller.close()
        callee.close()


@pytest.mark.upstream_differs("10.5 ignores a transcode codec it cannot encode and answers ok")
@pytest.mark.parametrize("codec", ["iLBC", "AMR", "AMR-WB"])
def test_transcode_to_a_codec_this_build_cannot_encode_is_refused(rtpengine, codec):
    reply = assert_error(Call(rtpengine).offer(OFFER.format(a=CALLER, port=30000),
                                               {"codec": {"transcode": [codec]}}))
    assert codec in reply["error-reason"] and "--codecs" in reply["error-reason"], reply
    # beside a codec it can add, the reason names the one it cannot
    reply = assert_error(Call(rtpengine).offer(OFFER.format(a=CALLER, port=30000),
                                               {"codec": {"transcode": ["G722", codec]}}))
    assert "transcoding to %s not possible" % codec in reply["error-reason"], reply
