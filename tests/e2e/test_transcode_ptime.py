"""Repacketisation on transcoded calls (daemon/media_transcode.c, codec_chain.c) and `codec set`.

Each direction of a transcoded call is packetised in the ptime its receiver gets, as Debian's
10.5 sends it (measured against it; RTPENGINE_BINARY=/usr/bin/rtpengine runs the same tests):
towards the answerer the offer's ng `ptime`, else the answer's a=ptime, else the offer's;
towards the offerer `ptime-reverse`, else its own a=ptime; else 20 ms. Real packets on loopback:
payload sizes, sequence numbers and timestamps one frame apart, and the decoded audio is the
tone that was sent. `codec set` (name/clock/channels/bit rate) sets a transcoded encoder's bit
rate and leaves the SDP as it was."""

import audioop
import math
import struct
import time

import pytest

from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp
from test_transcode import Opus

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
MAPS = {0: "PCMU/8000", 8: "PCMA/8000", 96: "opus/48000/2", 101: "telephone-event/8000"}
PACKETS = 30            # 600 ms each way


def sdp(address, port, payload_types, ptime=None):
    text = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n"
            % (address, address, port, " ".join(str(pt) for pt in payload_types)))
    text += "".join("a=rtpmap:%d %s\r\n" % (pt, MAPS[pt]) for pt in payload_types)
    if ptime:
        text += "a=ptime:%d\r\n" % ptime
    return text + "a=sendrecv\r\n"


def tone(samples, rate=8000, frequency=1000.0, amplitude=8000):
    return [int(amplitude * math.sin(2 * math.pi * frequency * n / rate)) for n in range(samples)]


def tone_share(samples, rate, frequency=1000.0):
    """The share of the signal's energy at `frequency` (Goertzel over the whole block)."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    power = previous * previous + before * before - coefficient * previous * before
    energy = sum(x * x for x in samples)
    return (2 * power / len(samples)) / energy if energy else 0.0


def g711_frames(payload_type, ptime, ssrc, sequence):
    """PACKETS frames of a 1 kHz tone in PCMU or PCMA at `ptime` ms, as RTP."""
    step = 8 * ptime
    pcm = struct.pack("<%dh" % (PACKETS * step), *tone(PACKETS * step))
    coded = audioop.lin2ulaw(pcm, 2) if payload_type == 0 else audioop.lin2alaw(pcm, 2)
    return [build_rtp(sequence + i, step * i, ssrc, payload_type, coded[step * i:step * (i + 1)])
            for i in range(PACKETS)]


def send_paced(*streams):
    """Sends (peer, destination, packets, ptime) streams interleaved at the pace of real media
    (a relay that decodes in real time, as 10.5's, drops a burst it cannot place in time)."""
    start = time.monotonic()
    queue = sorted((index * ptime / 1000.0, n, peer, destination, packet)
                   for n, (peer, destination, packets, ptime) in enumerate(streams)
                   for index, packet in enumerate(packets))
    for due, _, peer, destination, packet in queue:
        delay = start + due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        peer.rtp.send(packet, destination)


def received(peer, count, timeout=3.0):
    return [parse_rtp(data) for data, _ in peer.rtp.receive_all(count, timeout)]


def assert_packetised(packets, payload_type, payload_length, timestamp_step):
    assert packets, "nothing received"
    assert {p.payload_type for p in packets} == {payload_type}
    if payload_length:
        assert {len(p.payload) for p in packets} == {payload_length}, [len(p.payload) for p in packets]
    assert all((b.sequence - a.sequence) & 0xffff == 1 for a, b in zip(packets, packets[1:]))
    steps = [(b.timestamp - a.timestamp) & 0xffffffff for a, b in zip(packets, packets[1:])]
    # one frame apart; 10.5 leaves one longer step near the start (its output clock catching
    # up with the input's by a frame or two); this relay has none
    longer = [step for step in steps if step != timestamp_step]
    assert len(longer) <= 1 and all(timestamp_step < step <= 3 * timestamp_step for step in longer), steps


def g711_samples(packets, payload_type):
    payload = b"".join(p.payload for p in packets)
    linear = audioop.ulaw2lin(payload, 2) if payload_type == 0 else audioop.alaw2lin(payload, 2)
    return list(struct.unpack("<%dh" % (len(linear) // 2), linear))


@pytest.mark.parametrize("offer_ptime, options, answer_ptime, to_answerer, to_offerer", [
    (None, {"ptime": 30}, None, 30, 20),             # ng ptime: towards the answerer
    (None, {"ptime-reverse": 40}, None, 20, 40),     # ptime-reverse: towards the offerer
    (None, {}, 40, 40, 20),                          # the answerer's own a=ptime
    (30, {}, None, 30, 30),                          # the offer's: both ways
    (20, {}, 30, 30, 20),                            # each side its own
    (None, {"ptime": 40, "ptime-reverse": 30}, 20, 40, 30),
], ids=["ptime", "ptime-reverse", "answer-ptime", "offer-ptime", "both-ptimes", "both-options"])
def test_g711_repacketised_to_each_sides_ptime(rtpengine, offer_ptime, options, answer_ptime, to_answerer,
                                               to_offerer):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer_options = dict(options, codec={"transcode": ["PCMA"]})
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 101), offer_ptime), offer_options))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (8, 101), answer_ptime)))
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        # each side sends in the ptime it announced (20 ms without one)
        send_paced((caller, caller_sends_to, g711_frames(0, offer_ptime or 20, 0x1111, 100), offer_ptime or 20),
                   (callee, callee_sends_to, g711_frames(8, answer_ptime or 20, 0x2222, 700), answer_ptime or 20))
        expected_forward = PACKETS * (offer_ptime or 20) // to_answerer
        expected_backward = PACKETS * (answer_ptime or 20) // to_offerer
        forward = received(callee, expected_forward)
        backward = received(caller, expected_backward)
        # 10.5 may hold the last partial frame back: all but one arrive
        assert len(forward) >= expected_forward - 1, len(forward)
        assert len(backward) >= expected_backward - 1, len(backward)
        assert_packetised(forward, 8, 8 * to_answerer, 8 * to_answerer)
        assert_packetised(backward, 0, 8 * to_offerer, 8 * to_offerer)
        for packets, payload_type in ((forward, 8), (backward, 0)):
            share = tone_share(g711_samples(packets, payload_type)[200:], 8000)
            assert share > 0.9, "1 kHz share %.3f" % share
        call.delete()
    finally:
        caller.close()
        callee.close()


def test_pcmu_to_opus_in_60_ms_frames(rtpengine):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    opus = Opus()
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 101)), {"codec": {"transcode": ["opus"]},
                                                                           "ptime": 60}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (96,))))
        assert "a=ptime:60" in offer["sdp"], offer["sdp"]
        send_paced((caller, Sdp(answer["sdp"]).media_address(), g711_frames(0, 20, 0x3333, 40), 20))
        forward = received(callee, PACKETS // 3)
        # 600 ms in 60 ms frames (an encoder with look-ahead may hold the last one back)
        assert len(forward) >= PACKETS // 3 - 1, len(forward)
        assert_packetised(forward, 96, None, 2880)
        decoded = []
        for packet in forward:
            samples = opus.decode(packet.payload)
            assert len(samples) == 2880, len(samples)
            decoded += samples
        share = tone_share(decoded[2400:], 48000)
        assert share > 0.8, "1 kHz share %.3f" % share
        call.delete()
    finally:
        opus.close()
        caller.close()
        callee.close()


@pytest.mark.parametrize("options, at_most, at_least", [
    # 12 kbit/s: 30 bytes per 20 ms on average (VBR: 10.5's median is 41, ours 27)
    ({"codec": {"transcode": ["PCMU"], "set": ["opus/48000/2/12000"]}}, 45, 0),
    ({"codec": {"transcode": ["PCMU"]}, "flags": ["codec-set-opus/48000/2/12000"]}, 45, 0),
    ({"codec": {"transcode": ["PCMU"], "set": ["opus/48000/2/64000"]}}, 1000, 100),
    # a spec for another channel count leaves the encoder at its default (10.5: median 64, ours 90)
    ({"codec": {"transcode": ["PCMU"], "set": ["opus/48000/1/12000"]}}, 1000, 50),
], ids=["set-12k", "set-flag-12k", "set-64k", "other-channels"])
def test_codec_set_bit_rate_of_the_transcoded_encoder(rtpengine, options, at_most, at_least):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    opus = Opus()
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, (96,)), options))
        # the SDP is 10.5's without codec set
        assert "m=audio %d RTP/AVP 96 0\r\n" % Sdp(offer["sdp"]).medias[0].port in offer["sdp"], offer["sdp"]
        assert "12000" not in offer["sdp"] and "64000" not in offer["sdp"]
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0,))))
        assert " RTP/AVP 96\r\n" in answer["sdp"], answer["sdp"]
        send_paced((callee, Sdp(offer["sdp"]).media_address(), g711_frames(0, 20, 0x4444, 10), 20))
        back = received(caller, PACKETS)
        assert len(back) >= PACKETS - 2, len(back)
        assert_packetised(back, 96, None, 960)
        sizes = sorted(len(p.payload) for p in back)
        median = sizes[len(sizes) // 2]
        print("Opus payload median %d bytes" % median)
        assert at_least <= median <= at_most, sizes
        decoded = []
        for packet in back:
            decoded += opus.decode(packet.payload)
        share = tone_share(decoded[4800:], 48000)
        assert share > 0.8, "1 kHz share %.3f" % share
        call.delete()
    finally:
        opus.close()
        caller.close()
        callee.close()


# ---- the offerer's answer lists the answerer's other codecs of the offer (as 10.5) ----------

MAPS_ALL = dict(MAPS)
MAPS_ALL[9] = "G722/8000"


def sdp_with(address, port, payload_types):
    text = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n"
            % (address, address, port, " ".join(str(pt) for pt in payload_types)))
    text += "".join("a=rtpmap:%d %s\r\n" % (pt, MAPS_ALL[pt]) for pt in payload_types)
    return text + "a=sendrecv\r\n"


@pytest.mark.parametrize("offered, transcode, answered, offer_formats, answer_formats", [
    # the answerer took the added G722 and also accepts the offer's PCMA
    ((0, 8, 101), ["G722"], (9, 8, 101), "0 8 9 101", "0 8 101"),
    # PCMA was added by the relay, not offered: only the leg codec
    ((0, 101), ["G722", "PCMA"], (9, 8, 101), "0 9 8 101", "0 101"),
    # Opus added; PCMU of the offer accepted too, and the offer's 8 kHz telephone-event with it
    ((8, 0, 101), ["opus"], (96, 0, 101), "8 0 96 97 101", "8 0 101"),
    # 8 kHz telephone-event beside Opus is not the Opus leg's (RFC 4733 section 2.1)
    ((96, 101), ["PCMU"], (0, 101), "96 0 101", "96"),
], ids=["offered-pcma", "added-pcma", "opus-and-pcmu", "opus-with-8k-events"])
def test_answer_lists_the_answerers_other_offered_codecs(rtpengine, offered, transcode, answered, offer_formats,
                                                         answer_formats):
    call = Call(rtpengine)
    offer = assert_ok(call.offer(sdp_with(CALLER, 30000, offered), {"codec": {"transcode": transcode}}))
    assert Sdp(offer["sdp"]).medias[0].formats == offer_formats.split(), offer["sdp"]
    answer = assert_ok(call.answer(sdp_with(CALLEE, 30010, answered)))
    assert Sdp(answer["sdp"]).medias[0].formats == answer_formats.split(), answer["sdp"]
    call.delete()


def test_media_of_the_codecs_both_sides_have(rtpengine):
    """Offer PCMU/PCMA + transcode G722, answer G722/PCMA: as 10.5, whatever the offerer sends
    (PCMU or PCMA) reaches the answerer as G722; the answerer's PCMA reaches the offerer as it
    was sent, its G722 as PCMU."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp_with(CALLER, caller.port, (0, 8, 101)), {"codec": {"transcode": ["G722"]}}))
        answer = assert_ok(call.answer(sdp_with(CALLEE, callee.port, (9, 8, 101))))
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        pcm = struct.pack("<%dh" % (PACKETS * 160), *tone(PACKETS * 160))
        ulaw, alaw = audioop.lin2ulaw(pcm, 2), audioop.lin2alaw(pcm, 2)
        half = PACKETS // 2
        # first half PCMU, then PCMA, from the caller; PCMA, then G722 from the callee
        caller_packets = [build_rtp(100 + i, 160 * i, 0x5151, 0 if i < half else 8,
                                    (ulaw if i < half else alaw)[160 * i:160 * (i + 1)]) for i in range(PACKETS)]
        g722 = bytes(160)   # G.722 silence-ish: only its payload type and timing are checked
        callee_packets = [build_rtp(900 + i, 160 * i, 0x6161, 8 if i < half else 9,
                                    alaw[160 * i:160 * (i + 1)] if i < half else g722) for i in range(PACKETS)]
        send_paced((caller, caller_sends_to, caller_packets, 20), (callee, callee_sends_to, callee_packets, 20))
        forward = received(callee, PACKETS)
        backward = received(caller, PACKETS)
        assert len(forward) >= PACKETS - 2 and len(backward) >= PACKETS - 2, (len(forward), len(backward))
        # everything the caller sent arrives as G722, both halves (without the PCMA half
        # decoded too, only about half the packets would come)
        assert {p.payload_type for p in forward} == {9}, [p.payload_type for p in forward]
        assert all(len(p.payload) == 160 for p in forward)
        # the callee's PCMA passes as it was sent (payload, sequence, timestamp); G722 becomes PCMU
        passed = [p for p in backward if p.payload_type == 8]
        assert len(passed) >= half - 1, [p.payload_type for p in backward]
        for packet in passed:
            i = packet.sequence - 900
            assert packet.timestamp == 160 * i and packet.payload == alaw[160 * i:160 * (i + 1)]
        transcoded = [p for p in backward if p.payload_type == 0]
        assert len(transcoded) >= half - 2, [p.payload_type for p in backward]
        assert {p.payload_type for p in backward} == {0, 8}
        call.delete()
    finally:
        caller.close()
        callee.close()


@pytest.mark.parametrize("options, answer_ptime, to_answerer, to_offerer", [
    ({"ptime": 30}, None, 30, 20),
    ({"ptime-reverse": 40}, None, 20, 40),
    ({"ptime": 40}, 30, 40, 20),
], ids=["ptime", "ptime-reverse", "ptime-over-answer"])
def test_ptime_alone_repacketises_the_codec_both_sides_have(rtpengine, options, answer_ptime, to_answerer,
                                                           to_offerer):
    """As 10.5: ptime without any codec to transcode still engages the engine, PCMU in the
    other frame size; the SDP is plain negotiation's."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 8, 101)), options))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 101), answer_ptime)))
        assert Sdp(offer["sdp"]).medias[0].formats == ["0", "8", "101"]
        assert Sdp(answer["sdp"]).medias[0].formats == ["0", "101"]
        send_paced((caller, Sdp(answer["sdp"]).media_address(), g711_frames(0, 20, 0x7171, 300), 20),
                   (callee, Sdp(offer["sdp"]).media_address(), g711_frames(0, answer_ptime or 20, 0x7272, 800),
                    answer_ptime or 20))
        expected_forward = PACKETS * 20 // to_answerer
        expected_backward = PACKETS * (answer_ptime or 20) // to_offerer
        forward = received(callee, expected_forward)
        backward = received(caller, expected_backward)
        assert len(forward) >= expected_forward - 1 and len(backward) >= expected_backward - 1, \
            (len(forward), len(backward))
        assert_packetised(forward, 0, 8 * to_answerer, 8 * to_answerer)
        assert_packetised(backward, 0, 8 * to_offerer, 8 * to_offerer)
        for packets in (forward, backward):
            share = tone_share(g711_samples(packets, 0)[200:], 8000)
            assert share > 0.9, "1 kHz share %.3f" % share
        call.delete()
    finally:
        caller.close()
        callee.close()


# ---- what an offer that engages the transcoder keeps (as 10.5) -----------------------------

STRIP_MAPS = {0: "PCMU/8000", 8: "PCMA/8000", 18: "G729/8000", 97: "AMR/8000", 98: "AMR-WB/16000",
              99: "iLBC/8000", 100: "foo/8000", 101: "telephone-event/8000"}


@pytest.mark.parametrize("offered, options, offer_formats", [
    # a codec added: what the transcoder cannot decode and encode goes (AMR: decode only)
    ("0 97 101", {"codec": {"transcode": ["PCMA"]}}, "0 8 101"),
    ("97 0 101", {"codec": {"transcode": ["PCMA"]}}, "0 8 101"),
    ("0 98 101", {"codec": {"transcode": ["G722"]}}, "0 9 101"),
    ("0 99 101", {"codec": {"transcode": ["PCMA"]}}, "0 8 101"),
    ("0 97 100 101", {"codec": {"transcode": ["opus"]}}, "0 96 98 101"),
    ("0 97", {"codec": {"transcode": ["telephone-event"]}}, "0 96"),
    # G.729 stays (encoded and decoded with bcg729, as 10.5)
    ("0 18 101", {"codec": {"transcode": ["PCMA"]}}, "0 18 8 101"),
    # ptime alone engages the transcoder too
    ("0 97 101", {"ptime": 30}, "0 101"),
    # nothing added: nothing stripped
    ("0 97 8 101", {"codec": {"transcode": ["PCMA"]}}, "0 97 8 101"),
    ("0 97 101", {"flags": ["always-transcode"]}, "0 97 101"),
    ("0 97 101", {"codec": {"accept": ["PCMU"]}}, "0 97 101"),
    ("0 97 101", {"codec": {"transcode": ["telephone-event"]}}, "0 97 101"),
], ids=["amr", "amr-first", "amr-wb", "ilbc", "unknown-opus", "dtmf-added", "g729-kept", "ptime",
        "present", "always-transcode", "accept", "dtmf-present"])
def test_offer_engaging_the_transcoder_strips_what_it_cannot_handle(rtpengine, offered, options, offer_formats):
    text = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 30000 RTP/AVP %s\r\n"
            % (CALLER, CALLER, offered))
    text += "".join("a=rtpmap:%s %s\r\n" % (pt, STRIP_MAPS[int(pt)]) for pt in offered.split())
    call = Call(rtpengine)
    offer = assert_ok(call.offer(text + "a=sendrecv\r\n", options))
    assert Sdp(offer["sdp"]).medias[0].formats == offer_formats.split(), offer["sdp"]
    # the stripped codecs' attributes go with them
    for pt in set(offered.split()) - set(offer_formats.split()):
        assert "a=rtpmap:%s " % pt not in offer["sdp"], offer["sdp"]
    call.delete()
