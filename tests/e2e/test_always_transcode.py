"""always-transcode and codec-accept (daemon/media_transcode.c): the offerer's leg keeps the
offer's first codec (always-transcode) or the accepted one (codec accept), whatever the answerer
picks, and the relay transcodes when the two differ. The expected answers were recorded from
Debian's 10.5 for the same requests; the tests run against both daemons
(RTPENGINE_BINARY=/usr/bin/rtpengine). Media: PCMU in, PCMA out, sample for sample."""

import audioop
import math
import struct

import pytest

from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
MAPS = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 18: "G729/8000", 96: "opus/48000/2",
        101: "telephone-event/8000"}


def sdp(address, port, payload_types):
    text = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n"
            % (address, address, port, " ".join(str(pt) for pt in payload_types)))
    text += "".join("a=rtpmap:%d %s\r\n" % (pt, MAPS[pt]) for pt in payload_types)
    return text + "a=sendrecv\r\n"


def codec_lines(text):
    return [line for line in text.split("\r\n") if line.startswith(("m=audio", "a=rtpmap", "a=fmtp"))]


def formats(text):
    return codec_lines(text)[0].split(" ", 3)[3]


AT = {"flags": ["always-transcode"]}


def matches_tone(received, tone):
    """The received samples are the tone's, at some offset, within G.711's quantisation."""
    got = struct.unpack("<%dh" % (len(received) // 2), received)[:960]
    sent = struct.unpack("<%dh" % (len(tone) // 2), tone)
    best = min(sum(abs(a - b) for a, b in zip(got, sent[lag:])) / len(got) for lag in range(0, 400))
    print("mean sample error %.1f (amplitude 8000)" % best)
    return best < 200


@pytest.mark.parametrize("offered, offer_options, answered, answer_options, offer_formats, answer_formats", [
    # the offerer keeps its first codec, the answerer's is transcoded
    ((0, 8, 101), AT, (8, 101), {}, "0 8 101", "0 101"),
    ((0, 8, 101), {"flags": ["always transcode"]}, (8, 101), {}, "0 8 101", "0 101"),
    ((0, 8, 101), AT, (8, 0, 101), {}, "0 8 101", "0 101"),
    # the answerer took the offerer's first: nothing to transcode, the answer names it alone
    ((0, 8, 101), AT, (0, 8, 101), {}, "0 8 101", "0 101"),
    # 10.5 keeps the offer's telephone-event even when the answerer has none
    ((0, 8, 101), AT, (8,), {}, "0 8 101", "0 101"),
    # in an answer request it changes nothing
    ((0, 8, 101), {}, (8, 101), AT, "0 8 101", "8 101"),
    # with an added codec the answerer took
    ((0, 8, 101), {"flags": ["always-transcode"], "codec": {"transcode": ["G722"]}}, (9, 101), AT,
     "0 8 9 101", "0 101"),
    ((0, 8, 101), {"flags": ["always-transcode"], "codec": {"transcode": ["opus"]}}, (96,), {},
     "0 8 96 97 101", "0 101"),
    # codec accept: the accepted codec of the offer is the offerer's
    ((0, 8, 101), {"codec": {"accept": ["PCMA"]}}, (0, 101), {}, "0 8 101", "8 101"),
    ((0, 8, 101), {"flags": ["codec-accept-PCMA"]}, (0, 101), {}, "0 8 101", "8 101"),
    ((0, 8, 101), {"codec": {"transcode": ["G722"], "accept": ["PCMA"]}}, (9, 8), {}, "0 8 9 101", "8"),
    ((0, 8, 101), {"codec": {"transcode": ["G722"], "accept": ["PCMA"]}}, (9, 101), {}, "0 8 9 101", "8 101"),
    ((0, 8, 101), {"codec": {"transcode": ["G722"], "accept": ["PCMA"]}}, (0, 101), {}, "0 8 9 101", "8 101"),
], ids=["offer-first", "flag-with-space", "answer-order", "answer-took-first", "no-dtmf-in-answer",
        "in-answer-only", "with-transcode-g722", "with-transcode-opus", "accept", "accept-flag",
        "accept-g722-no-dtmf", "accept-g722", "accept-answer-pcmu"])
def test_answers_as_10_5(rtpengine, offered, offer_options, answered, answer_options, offer_formats,
                         answer_formats):
    call = Call(rtpengine)
    offer = assert_ok(call.offer(sdp(CALLER, 30000, offered), offer_options))
    assert formats(offer["sdp"]) == offer_formats, codec_lines(offer["sdp"])
    answer = assert_ok(call.answer(sdp(CALLEE, 30010, answered), answer_options))
    assert formats(answer["sdp"]) == answer_formats, codec_lines(answer["sdp"])
    rtpmaps = {line.split(" ", 1)[0][len("a=rtpmap:"):]: line.split(" ", 1)[1]
               for line in codec_lines(answer["sdp"]) if line.startswith("a=rtpmap")}
    assert rtpmaps == {pt: MAPS[int(pt)] for pt in answer_formats.split()}
    call.delete()


def test_always_transcode_with_g729_first(rtpengine):
    """G.729 is encoded (bcg729) as by 10.5: the offer's first codec is the offerer's leg."""
    call = Call(rtpengine)
    assert_ok(call.offer(sdp(CALLER, 30000, (18, 0)), AT))
    answer = assert_ok(call.answer(sdp(CALLEE, 30010, (0,))))
    assert formats(answer["sdp"]) == "18"


def test_always_transcode_media_pcmu_to_pcma_and_back(rtpengine):
    """The caller speaks PCMU, the callee PCMA: a 440 Hz tone crosses both ways, the payload
    A-law of the same samples (G.711 to G.711 through linear PCM is exact up to rounding)."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 8, 101)), AT))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (8, 101))))
        assert formats(answer["sdp"]) == "0 101"
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        tone = struct.pack("<1600h", *(int(8000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(1600)))
        ulaw = audioop.lin2ulaw(tone, 2)
        for i in range(10):
            caller.rtp.send(build_rtp(100 + i, 160 * i, 0x5151, 0, ulaw[160 * i:160 * (i + 1)]), caller_sends_to)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(10, 3.0)]
        assert len(got) >= 9, "%d packets" % len(got)
        assert all(p.payload_type == 8 and len(p.payload) == 160 for p in got)
        assert matches_tone(audioop.alaw2lin(b"".join(p.payload for p in got), 2), tone)
        alaw = audioop.lin2alaw(tone, 2)
        for i in range(10):
            callee.rtp.send(build_rtp(500 + i, 160 * i, 0x6161, 8, alaw[160 * i:160 * (i + 1)]), callee_sends_to)
        back = [parse_rtp(d) for d, _ in caller.rtp.receive_all(10, 3.0)]
        assert len(back) >= 9 and all(p.payload_type == 0 for p in back)
        assert matches_tone(audioop.ulaw2lin(b"".join(p.payload for p in back), 2), tone)
        call.delete()
    finally:
        caller.close()
        callee.close()
