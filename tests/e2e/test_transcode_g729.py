"""G.729 transcoding (daemon/codec_g729.c: bcg729, as 10.5), each test run against both daemons
(RTPENGINE_BINARY=/usr/bin/rtpengine runs the same tests).

- Offer and answer codec lines as 10.5 gives them for G.729 offers and for codecs added with
  `transcode`, `transcode-G729`, mask/strip all, strip G729, always-transcode, G729a and the
  `annexb=no` fmtp.
- Media both ways on real loopback sockets: G.729 <-> PCMU and G.729 <-> PCMA, whichever side
  offered G.729. The test encodes G.729 with bcg729 (ctypes on libbcg729.so.0) and decodes what
  the relay sends with FFmpeg's own G.729 decoder (the `ffmpeg` CLI, an implementation
  independent of the relay's), and the decoded speech must correlate with what was sent.
- Annex B: as 10.5 (measured), the relay's encoder sends every 10-ms frame, also in silence
  and whatever the answer's `annexb` says: no SID frames, no DTX."""

import audioop
import ctypes
import math
import os
import struct
import subprocess
import tempfile
import time

import numpy

import pytest

from calls import Call, Sdp, assert_ok, codec_lines, codec_sdp as sdp
from rtp import MediaPeer, build_rtp, parse_rtp
from test_transcode import speech  # noqa: F401 (a fixture: espeak-ng speech at 8 kHz)

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
PACKETS = 100           # 2 s of 20 ms packets each way


class Bcg729Encoder:
    """The test's own G.729 encoder: bcg729 (Debian libbcg729-0) through ctypes."""

    def __init__(self, vad=False):
        self.lib = ctypes.CDLL("libbcg729.so.0")
        self.lib.initBcg729EncoderChannel.restype = ctypes.c_void_p
        self.lib.initBcg729EncoderChannel.argtypes = [ctypes.c_uint8]
        self.lib.bcg729Encoder.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.closeBcg729EncoderChannel.argtypes = [ctypes.c_void_p]
        self.context = self.lib.initBcg729EncoderChannel(1 if vad else 0)
        assert self.context

    def encode(self, samples):
        """Whole 10-ms frames (80 samples each) into one payload."""
        assert len(samples) % 80 == 0
        payload = b""
        for at in range(0, len(samples), 80):
            pcm = (ctypes.c_int16 * 80)(*samples[at:at + 80])
            out = (ctypes.c_uint8 * 10)()
            length = ctypes.c_uint8()
            self.lib.bcg729Encoder(self.context, pcm, out, ctypes.byref(length))
            payload += bytes(out[:length.value])
        return payload

    def close(self):
        self.lib.closeBcg729EncoderChannel(self.context)


def ffmpeg_decode_g729(payloads):
    """FFmpeg's G.729 decoder (libavcodec, not bcg729) on the concatenated 10-byte frames."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "stream.g729")
        with open(path, "wb") as handle:
            handle.write(b"".join(payloads))
        result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "g729", "-i", path,
                                 "-f", "s16le", "-ar", "8000", "-ac", "1", "-"],
                                capture_output=True, check=True, timeout=60)
    data = result.stdout
    return list(struct.unpack("<%dh" % (len(data) // 2), data))


def best_correlation(reference, received, window=8000, skip=1600):
    """Normalised cross-correlation of a window of the reference (from `skip` on) with the
    received signal at its best offset (the relay and both codecs delay the audio, and 10.5 may
    drop the first packets while it starts its output clock)."""
    reference = numpy.asarray(reference[skip:skip + window], dtype=numpy.float64)
    received = numpy.asarray(received, dtype=numpy.float64)
    if len(received) < len(reference) or not reference.any():
        return 0.0
    products = numpy.correlate(received, reference, "valid")
    energy = numpy.convolve(received * received, numpy.ones(len(reference)), "valid")
    scores = products / numpy.sqrt(numpy.maximum(energy, 1e-9) * float(numpy.dot(reference, reference)))
    return float(scores.max())


def send_paced(sock, packets, destination):
    """One packet per 20 ms, as a phone sends (10.5's transcoder follows the input's pace)."""
    start = time.monotonic()
    for index, packet in enumerate(packets):
        delay = start + 0.02 * index - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.send(packet, destination)


def g711_encode(payload_type, pcm):
    return audioop.lin2ulaw(pcm, 2) if payload_type == 0 else audioop.lin2alaw(pcm, 2)


def g711_decode(payload_type, data):
    pcm = audioop.ulaw2lin(data, 2) if payload_type == 0 else audioop.alaw2lin(data, 2)
    return list(struct.unpack("<%dh" % (len(pcm) // 2), pcm))


G729 = ([18], ["18 G729/8000"], [])
G729_DTMF = ([18, 101], ["18 G729/8000", "101 telephone-event/8000"], [])
G729_NOB = ([18], ["18 G729/8000"], ["fmtp:18 annexb=no"])
G729A = ([96], ["96 G729a/8000"], [])
PCMU = ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], [])
PCMA = ([8], ["8 PCMA/8000"], [])
G711 = ([0, 8, 101], ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"], [])
A18 = ([18], ["18 G729/8000"], [])
A18NOB = ([18], ["18 G729/8000"], ["fmtp:18 annexb=no"])

# (id, offer, options, answer, the offer 10.5 sends, the answer 10.5 sends): recorded from 10.5
SDP_CASES = [
    ("g729-transcode-pcmu", G729, {"codec": {"transcode": ["PCMU"]}}, PCMU,
     ['m=audio PORT RTP/AVP 18 0', 'a=rtpmap:18 G729/8000', 'a=rtpmap:0 PCMU/8000'],
     ['m=audio PORT RTP/AVP 18', 'a=rtpmap:18 G729/8000']),
    ("g729dtmf-transcode-pcmu", G729_DTMF, {"codec": {"transcode": ["PCMU"]}}, PCMU,
     ['m=audio PORT RTP/AVP 18 0 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 18 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000']),
    ("g729nob-transcode-pcma", G729_NOB, {"codec": {"transcode": ["PCMA"]}}, PCMA,
     ['m=audio PORT RTP/AVP 18 8', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=rtpmap:8 PCMA/8000'],
     ['m=audio PORT RTP/AVP 18', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no']),
    ("g729-answer-g729", G729, {"codec": {"transcode": ["PCMU"]}}, A18,
     ['m=audio PORT RTP/AVP 18 0', 'a=rtpmap:18 G729/8000', 'a=rtpmap:0 PCMU/8000'],
     ['m=audio PORT RTP/AVP 18', 'a=rtpmap:18 G729/8000']),
    ("g729a-transcode-pcmu", G729A, {"codec": {"transcode": ["PCMU"]}}, PCMU,
     ['m=audio PORT RTP/AVP 96 0', 'a=rtpmap:96 G729a/8000', 'a=rtpmap:0 PCMU/8000'],
     ['m=audio PORT RTP/AVP 96', 'a=rtpmap:96 G729a/8000']),
    ("pcmu-transcode-g729", PCMU, {"codec": {"transcode": ["G729"]}}, A18,
     ['m=audio PORT RTP/AVP 0 18 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 0', 'a=rtpmap:0 PCMU/8000']),
    ("pcmu-flag-transcode-g729", PCMU, {"flags": ["transcode-G729"]}, A18NOB,
     ['m=audio PORT RTP/AVP 0 18 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 0', 'a=rtpmap:0 PCMU/8000']),
    ("g711-mask-all-transcode-g729", G711, {"codec": {"mask": ["all"], "transcode": ["G729"]}}, A18,
     ['m=audio PORT RTP/AVP 18', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no'],
     ['m=audio PORT RTP/AVP 0', 'a=rtpmap:0 PCMU/8000']),
    ("g711-strip-all-transcode-g729", G711, {"codec": {"strip": ["all"], "transcode": ["G729"]}}, A18,
     ['m=audio PORT RTP/AVP 18', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no'],
     ['m=audio PORT RTP/AVP 0', 'a=rtpmap:0 PCMU/8000']),
    ("g729-mask-g729-transcode-pcmu", G729_DTMF, {"codec": {"mask": ["G729"], "transcode": ["PCMU"]}}, PCMU,
     ['m=audio PORT RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 18 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000']),
    ("g729-strip-g729-transcode-pcmu", G729_DTMF, {"codec": {"strip": ["G729"], "transcode": ["PCMU"]}}, PCMU,
     ['m=audio PORT RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000']),
    ("g729-always-transcode", G729_DTMF, {"flags": ["always-transcode"], "codec": {"transcode": ["PCMU"]}}, PCMU,
     ['m=audio PORT RTP/AVP 18 0 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 18 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000']),
    ("pcmu-always-transcode-g729", PCMU, {"flags": ["always-transcode"], "codec": {"transcode": ["G729"]}}, A18,
     ['m=audio PORT RTP/AVP 0 18 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000']),
    ("pcmu-transcode-g729a", PCMU, {"codec": {"transcode": ["G729a"]}}, ([96], ["96 G729a/8000"], []),
     ['m=audio PORT RTP/AVP 0 96 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:96 G729a/8000', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 0', 'a=rtpmap:0 PCMU/8000']),
    ("pcmu-transcode-g729-nob-spec", PCMU, {"codec": {"transcode": ["G729/8000/1/0/20/annexb=no"]}}, A18NOB,
     ['m=audio PORT RTP/AVP 0 18 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=rtpmap:101 telephone-event/8000'],
     ['m=audio PORT RTP/AVP 0', 'a=rtpmap:0 PCMU/8000']),
    ("g729-ptime30", G729, {"codec": {"transcode": ["PCMU"]}, "ptime": 30}, PCMU,
     ['m=audio PORT RTP/AVP 18 0', 'a=rtpmap:18 G729/8000', 'a=rtpmap:0 PCMU/8000', 'a=ptime:30'],
     ['m=audio PORT RTP/AVP 18', 'a=rtpmap:18 G729/8000']),
]


@pytest.mark.parametrize("name, offer, options, answer, expected_offer, expected_answer", SDP_CASES,
                         ids=[case[0] for case in SDP_CASES])
def test_offer_and_answer_as_10_5(rtpengine, name, offer, options, answer, expected_offer, expected_answer):
    call = Call(rtpengine)
    offer_reply = assert_ok(call.offer(sdp(CALLER, 4000, *offer), options))
    assert codec_lines(offer_reply["sdp"]) == expected_offer
    answer_reply = assert_ok(call.answer(sdp(CALLEE, 5000, *answer)))
    assert codec_lines(answer_reply["sdp"]) == expected_answer
    call.delete()


# (id, offer, options, answer, the caller's payload type, the callee's)
MEDIA_CASES = [
    ("g729-offer-to-pcmu", G729, {"codec": {"transcode": ["PCMU"]}}, ([0], ["0 PCMU/8000"], []), 18, 0),
    ("g729-offer-to-pcma", G729_NOB, {"codec": {"transcode": ["PCMA"]}}, PCMA, 18, 8),
    ("pcmu-offer-to-g729", ([0], ["0 PCMU/8000"], []), {"flags": ["transcode-G729"]}, A18NOB, 0, 18),
    ("pcma-offer-to-g729", PCMA, {"codec": {"transcode": ["G729"]}}, A18, 8, 18),
]


def speak(encoder, payload_type, samples, index):
    """The index-th 20 ms of samples as a payload of the codec."""
    frame = samples[160 * index:160 * (index + 1)]
    if payload_type == 18:
        return encoder.encode(frame)
    return g711_encode(payload_type, struct.pack("<160h", *frame))


def heard(payload_type, packets):
    """What a phone plays of the packets (G.729 by FFmpeg's decoder, G.711 by table), and what
    the test checks of their framing."""
    assert packets, "nothing received"
    assert all(p.payload_type == payload_type for p in packets), [p.payload_type for p in packets[:5]]
    # 20 ms apart (10.5 skips a few at the start while its output clock settles)
    steps = [(b.timestamp - a.timestamp) & 0xffffffff for a, b in zip(packets, packets[1:])]
    assert all(step == 160 for step in steps[4:]), steps
    if payload_type == 18:
        # RFC 3551 section 4.5.6: two 10-byte frames per 20 ms, no SID frames (as 10.5)
        assert all(len(p.payload) == 20 for p in packets), sorted({len(p.payload) for p in packets})
        return ffmpeg_decode_g729([p.payload for p in packets])
    assert all(len(p.payload) == 160 for p in packets)
    return g711_decode(payload_type, b"".join(p.payload for p in packets))


@pytest.mark.parametrize("name, offer, options, answer, caller_pt, callee_pt", MEDIA_CASES,
                         ids=[case[0] for case in MEDIA_CASES])
def test_speech_both_ways(rtpengine, speech, name, offer, options, answer, caller_pt, callee_pt):
    """Speech sent in one codec is heard in the other, both ways (correlation with what was sent)."""
    samples = speech[8000][:PACKETS * 160]
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    encoder = Bcg729Encoder()
    try:
        call = Call(rtpengine)
        offered = assert_ok(call.offer(sdp(CALLER, caller.port, *offer), options))
        answered = assert_ok(call.answer(sdp(CALLEE, callee.port, *answer)))
        caller_sends_to = Sdp(answered["sdp"]).media_address()
        callee_sends_to = Sdp(offered["sdp"]).media_address()
        scores = {}
        for direction, sender, receiver, to, pt_in, pt_out, ssrc in (
                ("forward", caller, callee, caller_sends_to, caller_pt, callee_pt, 0x1111),
                ("backward", callee, caller, callee_sends_to, callee_pt, caller_pt, 0x2222)):
            packets = [build_rtp(1000 + i, 160 * i, ssrc, pt_in, speak(encoder, pt_in, samples, i))
                       for i in range(PACKETS)]
            send_paced(sender.rtp, packets, to)
            got = [parse_rtp(data) for data, _ in receiver.rtp.receive_all(PACKETS, 5.0)]
            assert len(got) >= PACKETS // 2, "%s: %d packets" % (direction, len(got))
            # what was sent, as the receiving phone would have heard it untranscoded
            reference = samples if pt_in == 18 else g711_decode(pt_in, b"".join(
                g711_encode(pt_in, struct.pack("<160h", *samples[160 * i:160 * (i + 1)])) for i in range(PACKETS)))
            scores[direction] = best_correlation(reference, heard(pt_out, got))
        print("%s: correlation %s" % (name, scores))
        # G.729 (8 kbit/s CELP) keeps the waveform loosely: measured about 0.8-0.9 here
        assert scores["forward"] > 0.6 and scores["backward"] > 0.6, scores
        call.delete()
    finally:
        encoder.close()
        caller.close()
        callee.close()


@pytest.mark.parametrize("answer_fmtp", [[], ["fmtp:18 annexb=yes"]], ids=["no-fmtp", "annexb-yes"])
def test_silence_sent_as_full_frames(rtpengine, answer_fmtp):
    """A second of tone, then three of faint noise (where bcg729's Annex B VAD would send SID
    frames, test_codec_g729.c): every packet carries two full frames, as 10.5 sends them."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        assert_ok(call.offer(sdp(CALLER, caller.port, *PCMA), {"codec": {"transcode": ["G729"]}}))
        answered = assert_ok(call.answer(sdp(CALLEE, callee.port, [18], ["18 G729/8000"], answer_fmtp)))
        noise = 1
        packets = []
        for index in range(200):
            pcm = []
            for i in range(160):
                noise = (noise * 1664525 + 1013904223) & 0xffffffff
                pcm.append(int(8000 * math.sin(2 * math.pi * 440 * (index * 160 + i) / 8000)) if index < 50
                           else (noise >> 16) % 16 - 8)
            packets.append(build_rtp(100 + index, 160 * index, 0x1234, 8, g711_encode(8, struct.pack("<160h", *pcm))))
        send_paced(caller.rtp, packets, Sdp(answered["sdp"]).media_address())
        got = [parse_rtp(data) for data, _ in callee.rtp.receive_all(len(packets), 5.0)]
        assert len(got) >= 150, len(got)
        assert {len(p.payload) for p in got} == {20}, [len(p.payload) for p in got]
        call.delete()
    finally:
        caller.close()
        callee.close()
