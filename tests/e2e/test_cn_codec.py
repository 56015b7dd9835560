"""RFC 3389 comfort noise (CN) as a codec to add, and CN listed back to the offerer, against
Debian's 10.5 (RTPENGINE_BINARY=/usr/bin/rtpengine runs the same tests; daemon/media_transcode.c):

- `codec: {transcode: [CN]}` (or `codec-transcode-CN`) adds CN at the leg codec's clock (static
  payload type 13 at 8000, a dynamic one at other clocks; the spec's clock is not used), in the
  order of the transcode specs; the added codecs' CN and telephone-event at their clocks come
  after all specs. The added CN is not listed back to an offerer that had none.
- strip/mask CN with transcode CN: the offer's CN keeps its place.
- consume CN: the offer's CN at the leg codec's clock (13, or dynamic: CN/8000, CN/16000 beside
  speex, CN/48000 beside Opus) is hidden from the answerer, listed back to the offerer before its
  events, and the offerer's CN packets reach the answerer decoded into its codec; a CN at another
  clock (CN/16000 beside G.722, whose RTP clock is 8000) is not, and its packets pass untouched.
- always-transcode: the offer's CN at the leg's clock is in the offerer's answer whatever the
  answerer took; so it is when the answerer took our CN at its codec's clock.
- A dynamic CN we added (CN/16000 beside speex, CN/48000 beside Opus) that the answerer took:
  its CN packets reach the offerer decoded as noise in the offerer's codec.
- Media: with CN added and taken, the caller's audio (tone or digital silence) reaches the
  answerer as it was sent; with --silence-detect its silent frames go as CN packets (the
  --cn-payload level). The answerer's CN packets reach the caller decoded as noise in PCMU."""

import audioop
import struct
import time

import pytest

from calls import Call, Sdp, assert_ok, codec_lines, codec_sdp as sdp
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
# the tables here hold the m=, rtpmap and fmtp lines (no ptime)
CN_CODEC_LINES = ("m=", "a=rtpmap:", "a=fmtp:")


def m_line(*pts):
    return "m=audio PORT RTP/AVP " + " ".join(map(str, pts))


PCMU_TE = ([0, 8, 101], ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"])
CN_TE = ([0, 8, 13, 101], ["0 PCMU/8000", "8 PCMA/8000", "13 CN/8000", "101 telephone-event/8000"])
OPUS_TE = ([96, 101], ["96 opus/48000/2", "101 telephone-event/48000"])
PCMU, PCMA, G722, CN8 = "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:9 G722/8000", "a=rtpmap:13 CN/8000"
TE8 = "a=rtpmap:101 telephone-event/8000"
ANSWER_PCMU = ([0], ["0 PCMU/8000"])
ANSWER_PCMU_CN = ([0, 13], ["0 PCMU/8000", "13 CN/8000"])
CN_ADDED_OFFER = [m_line(0, 8, 13, 101), PCMU, PCMA, CN8, TE8]
OPUS, TE48 = "a=rtpmap:96 opus/48000/2", "a=rtpmap:101 telephone-event/48000"
OPUS_CN_TE = ([96, 97, 101], ["96 opus/48000/2", "97 CN/48000", "101 telephone-event/48000"])
OPUS_ANSWER = ([96, 101], ["96 opus/48000/2", "101 telephone-event/48000"])
SPEEX, TE16 = "a=rtpmap:96 speex/16000", "a=rtpmap:101 telephone-event/16000"
SPEEX_CN_TE = ([96, 98, 101], ["96 speex/16000", "98 CN/16000", "101 telephone-event/16000"])
SPEEX_ANSWER = ([96, 101], ["96 speex/16000", "101 telephone-event/16000"])
G722_CN_TE = ([9, 13, 98, 101], ["9 G722/8000", "13 CN/8000", "98 CN/16000", "101 telephone-event/8000"])
G722_ANSWER = ([9, 101], ["9 G722/8000", "101 telephone-event/8000"])

CASES = [
    ("transcode-cn", PCMU_TE, {"codec": {"transcode": ["CN"]}}, ANSWER_PCMU_CN,
     CN_ADDED_OFFER, [m_line(0), PCMU]),
    ("transcode-cn-not-taken", PCMU_TE, {"codec": {"transcode": ["CN"]}}, ANSWER_PCMU,
     CN_ADDED_OFFER, [m_line(0), PCMU]),
    ("flag-codec-transcode-cn", PCMU_TE, {"flags": ["codec-transcode-CN"]}, ANSWER_PCMU_CN,
     CN_ADDED_OFFER, [m_line(0), PCMU]),
    ("transcode-cn-16000", PCMU_TE, {"codec": {"transcode": ["CN/16000"]}}, ANSWER_PCMU,
     CN_ADDED_OFFER, [m_line(0), PCMU]),
    ("transcode-g722-cn", PCMU_TE, {"codec": {"transcode": ["G722", "CN"]}}, ([9, 13], ["9 G722/8000", "13 CN/8000"]),
     [m_line(0, 8, 9, 13, 101), PCMU, PCMA, G722, CN8, TE8], [m_line(0), PCMU]),
    ("transcode-cn-g722", PCMU_TE, {"codec": {"transcode": ["CN", "G722"]}}, ([9], ["9 G722/8000"]),
     [m_line(0, 8, 13, 9, 101), PCMU, PCMA, CN8, G722, TE8], [m_line(0), PCMU]),
    ("transcode-cn-opus-leg", OPUS_TE, {"codec": {"transcode": ["CN"]}}, ([96, 97], ["96 opus/48000/2", "97 CN/48000"]),
     [m_line(96, 97, 101), "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 CN/48000", "a=rtpmap:101 telephone-event/48000"],
     [m_line(96), "a=rtpmap:96 opus/48000/2"]),
    ("transcode-opus-cn", PCMU_TE, {"codec": {"transcode": ["opus", "CN"]}}, ANSWER_PCMU,
     [m_line(0, 8, 96, 13, 97, 98, 101), PCMU, PCMA, "a=rtpmap:96 opus/48000/2", CN8, "a=rtpmap:97 CN/48000",
      "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15", TE8], [m_line(0), PCMU]),
    ("transcode-cn-offered", CN_TE, {"codec": {"transcode": ["CN"]}}, ANSWER_PCMU,
     CN_ADDED_OFFER, [m_line(0), PCMU]),
    ("strip-cn", CN_TE, {"codec": {"strip": ["CN"]}}, ANSWER_PCMU,
     [m_line(0, 8, 101), PCMU, PCMA, TE8], [m_line(0), PCMU]),
    ("mask-cn", CN_TE, {"codec": {"mask": ["CN"]}}, ANSWER_PCMU_CN,
     [m_line(0, 8, 101), PCMU, PCMA, TE8], [m_line(0), PCMU]),
    ("consume-cn", CN_TE, {"codec": {"consume": ["CN"]}}, ANSWER_PCMU,
     [m_line(0, 8, 101), PCMU, PCMA, TE8], [m_line(0, 13), PCMU, CN8]),
    ("strip-cn-transcode-cn", CN_TE, {"codec": {"strip": ["CN"], "transcode": ["CN"]}}, ANSWER_PCMU_CN,
     CN_ADDED_OFFER, [m_line(0, 13), PCMU, CN8]),
    ("mask-cn-transcode-cn", CN_TE, {"codec": {"mask": ["CN"], "transcode": ["CN"]}}, ANSWER_PCMU_CN,
     CN_ADDED_OFFER, [m_line(0, 13), PCMU, CN8]),
    # a codec added at another clock brings its CN (dynamic); the answerer taking both gets the
    # offer's CN listed back
    ("transcode-speex-cn-taken", CN_TE, {"codec": {"transcode": ["speex"]}},
     ([96, 97, 98], ["96 speex/16000", "97 CN/16000", "98 telephone-event/16000"]),
     [m_line(0, 8, 96, 97, 98, 13, 101), PCMU, PCMA, "a=rtpmap:96 speex/16000", "a=rtpmap:97 CN/16000",
      "a=rtpmap:98 telephone-event/16000", "a=fmtp:98 0-15", CN8, TE8], [m_line(0, 13, 101), PCMU, CN8, TE8]),
    # consume CN at the leg's clock with a dynamic payload type: listed back before the events
    ("consume-cn48000-opus", OPUS_CN_TE, {"codec": {"consume": ["CN"]}}, OPUS_ANSWER,
     [m_line(96, 101), OPUS, TE48], [m_line(96, 97, 101), OPUS, "a=rtpmap:97 CN/48000", TE48]),
    ("consume-cn8000-dynamic", ([0, 98, 101], ["0 PCMU/8000", "98 CN/8000", "101 telephone-event/8000"]),
     {"codec": {"consume": ["CN"]}}, ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"]),
     [m_line(0, 101), PCMU, TE8], [m_line(0, 98, 101), PCMU, "a=rtpmap:98 CN/8000", TE8]),
    ("consume-cn16000-speex", SPEEX_CN_TE, {"codec": {"consume": ["CN"]}}, SPEEX_ANSWER,
     [m_line(96, 101), SPEEX, TE16], [m_line(96, 98, 101), SPEEX, "a=rtpmap:98 CN/16000", TE16]),
    # G.722's RTP clock is 8000 (RFC 3551 section 4.5.2): its CN is 13, CN/16000 is not consumed
    ("consume-cn-g722", G722_CN_TE, {"codec": {"consume": ["CN"]}}, G722_ANSWER,
     [m_line(9, 101), G722, TE8], [m_line(9, 13, 101), G722, CN8, TE8]),
    ("consume-cn16000-g722", ([9, 98, 101], ["9 G722/8000", "98 CN/16000", "101 telephone-event/8000"]),
     {"codec": {"consume": ["CN/16000"]}}, G722_ANSWER, [m_line(9, 101), G722, TE8], [m_line(9, 101), G722, TE8]),
    ("always-transcode-cn", CN_TE, {"flags": ["always-transcode"]}, ANSWER_PCMU,
     CN_ADDED_OFFER, [m_line(0, 13, 101), PCMU, CN8, TE8]),
    ("always-transcode-cn-answered", CN_TE, {"flags": ["always-transcode"]}, ([8, 13], ["8 PCMA/8000", "13 CN/8000"]),
     CN_ADDED_OFFER, [m_line(0, 13, 101), PCMU, CN8, TE8]),
]


@pytest.mark.parametrize("offer, options, answer, expected_offer, expected_answer",
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_sdp_as_10_5(rtpengine, offer, options, answer, expected_offer, expected_answer):
    call = Call(rtpengine)
    offer_reply = assert_ok(call.offer(sdp(CALLER, 4000, *offer), options))
    assert codec_lines(offer_reply["sdp"], CN_CODEC_LINES) == expected_offer
    answer_reply = assert_ok(call.answer(sdp(CALLEE, 5000, *answer)))
    assert codec_lines(answer_reply["sdp"], CN_CODEC_LINES) == expected_answer
    call.delete()


def test_media_with_cn_added(rtpengine):
    """transcode CN, the answerer takes PCMU and CN: the caller's tone and its digital silence
    reach the answerer as PCMU (no CN without --silence-detect); the answerer's CN packet and
    PCMU reach the caller."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *PCMU_TE), {"codec": {"transcode": ["CN"]}}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, *ANSWER_PCMU_CN)))
        to_callee = Sdp(answer["sdp"]).media_address()
        to_caller = Sdp(offer["sdp"]).media_address()
        tone = audioop.lin2ulaw(struct.pack("<160h", *([3000, -3000] * 80)), 2)
        silence = audioop.lin2ulaw(b"\x00\x00" * 160, 2)
        for i in range(10):
            caller.rtp.send(build_rtp(100 + i, 160 * i, 0x1111, 0, tone if i < 5 else silence), to_callee)
            time.sleep(0.02)   # paced as a sender would: 10.5 drops some of a burst
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(10, 3.0)]
        assert [(packet.payload_type, packet.sequence, packet.payload) for packet in got] == \
            [(0, 100 + i, tone if i < 5 else silence) for i in range(10)]
        for i in range(3):
            callee.rtp.send(build_rtp(500 + i, 160 * i, 0x2222, 0, tone), to_caller)
            time.sleep(0.02)
        callee.rtp.send(build_rtp(503, 480, 0x2222, 13, bytes([40])), to_caller)
        back = [parse_rtp(d) for d, _ in caller.rtp.receive_all(4, 3.0)]
        assert len(back) == 4
        assert [packet.payload_type for packet in back] == [0] * 4
        assert [packet.sequence for packet in back] == [500, 501, 502, 503]
        assert [packet.payload for packet in back[:3]] == [tone] * 3
        # the -40 dBov CN packet: one frame of noise at about that level (RMS ~330), neither
        # silence nor the tone (RMS 3000)
        level = audioop.rms(audioop.ulaw2lin(back[3].payload, 2), 2)
        assert len(back[3].payload) == 160 and 60 < level < 1500, level
        call.delete()
    finally:
        caller.close()
        callee.close()


@pytest.mark.parametrize("offer, options, answer, cn_type, expected_type", [
    (CN_TE, {"codec": {"transcode": ["speex"]}},
     ([96, 97, 98], ["96 speex/16000", "97 CN/16000", "98 telephone-event/16000"]), 97, 0),
    (OPUS_TE, {"codec": {"transcode": ["CN"]}}, ([96, 97], ["96 opus/48000/2", "97 CN/48000"]), 97, 96),
], ids=["cn16000-to-pcmu", "cn48000-to-opus"])
def test_dynamic_cn_decoded_towards_offerer(rtpengine, offer, options, answer, cn_type, expected_type):
    """A CN with a dynamic payload type that we added and the answerer took (CN/16000 beside an
    added speex, CN/48000 beside the offerer's Opus): the answerer's CN packets reach the
    offerer decoded, one frame of noise each in the offerer's codec, as 10.5 does."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer_reply = assert_ok(call.offer(sdp(CALLER, caller.port, *offer), options))
        assert_ok(call.answer(sdp(CALLEE, callee.port, *answer)))
        to_caller = Sdp(offer_reply["sdp"]).media_address()
        for i in range(4):
            callee.rtp.send(build_rtp(500 + i, 160 * i, 0x2222, cn_type, bytes([40])), to_caller)
            time.sleep(0.02)
        back = [parse_rtp(d) for d, _ in caller.rtp.receive_all(4, 3.0)]
        assert [(packet.payload_type, packet.sequence) for packet in back] == \
            [(expected_type, 500 + i) for i in range(4)]
        if expected_type == 0:
            # -40 dBov noise (RMS ~160 in both daemons), neither silence nor loud
            levels = [audioop.rms(audioop.ulaw2lin(packet.payload, 2), 2) for packet in back]
            assert all(60 < level < 1500 for level in levels), levels
        call.delete()
    finally:
        caller.close()
        callee.close()


def test_silence_detect_sends_cn_towards_answerer(rtpengine_factory):
    """--silence-detect with CN added and taken: the caller's digital silence reaches the
    answerer as CN packets (type 13, the --cn-payload level), its tone as PCMU."""
    daemon = rtpengine_factory("--silence-detect=1")
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(daemon)
        assert_ok(call.offer(sdp(CALLER, caller.port, *PCMU_TE), {"codec": {"transcode": ["CN"]}}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, *ANSWER_PCMU_CN)))
        to_callee = Sdp(answer["sdp"]).media_address()
        tone = audioop.lin2ulaw(struct.pack("<160h", *([3000, -3000] * 80)), 2)
        silence = audioop.lin2ulaw(b"\x00\x00" * 160, 2)
        for i in range(10):
            caller.rtp.send(build_rtp(100 + i, 160 * i, 0x1111, 0, tone if i < 5 else silence), to_callee)
            time.sleep(0.02)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(10, 3.0)]
        assert [(packet.payload_type, packet.sequence) for packet in got] == \
            [(0 if i < 5 else 13, 100 + i) for i in range(10)]
        assert [packet.payload for packet in got] == [tone] * 5 + [bytes([32])] * 5   # 10.5's default --cn-payload
        call.delete()
    finally:
        caller.close()
        callee.close()


def test_consumed_cn_decoded_towards_answerer(rtpengine):
    """consume CN: the caller's CN packet reaches the answerer (never offered CN) as one PCMU
    frame of noise; the caller's PCMU and the answerer's PCMU pass as sent."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *CN_TE), {"codec": {"consume": ["CN"]}}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, *ANSWER_PCMU)))
        to_callee = Sdp(answer["sdp"]).media_address()
        to_caller = Sdp(offer["sdp"]).media_address()
        tone = audioop.lin2ulaw(struct.pack("<160h", *([3000, -3000] * 80)), 2)
        for i in range(3):
            caller.rtp.send(build_rtp(100 + i, 160 * i, 0x1111, 0, tone), to_callee)
            time.sleep(0.02)
        caller.rtp.send(build_rtp(103, 480, 0x1111, 13, bytes([40])), to_callee)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(4, 3.0)]
        assert [(packet.payload_type, packet.sequence) for packet in got] == [(0, 100 + i) for i in range(4)]
        assert [packet.payload for packet in got[:3]] == [tone] * 3
        level = audioop.rms(audioop.ulaw2lin(got[3].payload, 2), 2)
        assert len(got[3].payload) == 160 and 60 < level < 1500, level
        for i in range(3):
            callee.rtp.send(build_rtp(500 + i, 160 * i, 0x2222, 0, tone), to_caller)
            time.sleep(0.02)
        back = [parse_rtp(d) for d, _ in caller.rtp.receive_all(3, 3.0)]
        assert [(packet.payload_type, packet.sequence, packet.payload) for packet in back] == \
            [(0, 500 + i, tone) for i in range(3)]
        call.delete()
    finally:
        caller.close()
        callee.close()


@pytest.mark.parametrize("offer, answer, cn_type, step, expected_type", [
    (OPUS_CN_TE, OPUS_ANSWER, 97, 960, 96),
    (([0, 98, 101], ["0 PCMU/8000", "98 CN/8000", "101 telephone-event/8000"]),
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"]), 98, 160, 0),
    (SPEEX_CN_TE, SPEEX_ANSWER, 98, 320, 96),
    (G722_CN_TE, G722_ANSWER, 98, 160, None),
], ids=["cn48000-to-opus", "cn8000-dynamic-to-pcmu", "cn16000-to-speex", "g722-cn16000-passes"])
def test_consumed_dynamic_cn_decoded_towards_answerer(rtpengine, offer, answer, cn_type, step, expected_type):
    """consume CN with the offer's CN at a dynamic payload type: as 10.5, each of the caller's CN
    packets reaches the answerer as one frame of its codec (noise, same sequence number); a CN
    at another clock than the codec's passes untouched (expected_type None)."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        assert_ok(call.offer(sdp(CALLER, caller.port, *offer), {"codec": {"consume": ["CN"]}}))
        answer_reply = assert_ok(call.answer(sdp(CALLEE, callee.port, *answer)))
        to_callee = Sdp(answer_reply["sdp"]).media_address()
        sent = [build_rtp(100 + i, step * i, 0x1111, cn_type, bytes([40])) for i in range(4)]
        for packet in sent:
            caller.rtp.send(packet, to_callee)
            time.sleep(0.02)
        got = [d for d, _ in callee.rtp.receive_all(4, 3.0)]
        if expected_type is None:
            # as sent but for the SSRC, which 10.5 replaces on a stream it transcodes
            assert [parse_rtp(d)[4:7] + (parse_rtp(d).payload,) for d in got] == \
                [parse_rtp(d)[4:7] + (parse_rtp(d).payload,) for d in sent]
        else:
            packets = [parse_rtp(d) for d in got]
            assert [(packet.payload_type, packet.sequence) for packet in packets] == \
                [(expected_type, 100 + i) for i in range(4)]
            assert all(len(packet.payload) > 1 for packet in packets)
            if expected_type == 0:
                levels = [audioop.rms(audioop.ulaw2lin(packet.payload, 2), 2) for packet in packets]
                assert all(60 < level < 1500 for level in levels), levels
        call.delete()
    finally:
        caller.close()
        callee.close()
