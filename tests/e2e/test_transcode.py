"""Transcoding (daemon/codec_chain.c, media_transcode.c): an offer of PCMU with
`codec: {transcode: [opus]}` answered with Opus only. Speech from espeak-ng goes through the relay
on real loopback sockets in both directions and must still correlate with what was sent after
decoding (libopus through ctypes on the test side, G.711 by audioop); RFC 4733 events cross the
transcoded call with their payload type and clock mapped."""

import audioop
import ctypes
import ctypes.util
import math
import os
import struct
import subprocess
import tempfile

import pytest

from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"

OFFER = ("v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
         "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n")
ANSWER = ("v=0\r\no=- 2 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
          "m=audio {port} RTP/AVP {opus} {event}\r\na=rtpmap:{opus} opus/48000/2\r\n"
          "a=rtpmap:{event} telephone-event/48000\r\na=fmtp:{event} 0-16\r\na=sendrecv\r\n")

PACKETS = 100           # 2 s of 20 ms packets each way


class Opus:
    """libopus (Debian libopus0) for the test's own encoding and decoding."""

    def __init__(self):
        path = ctypes.util.find_library("opus") or "libopus.so.0"
        self.lib = ctypes.CDLL(path)
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_encoder_create.restype = ctypes.c_void_p
        error = ctypes.c_int()
        self.decoder = self.lib.opus_decoder_create(48000, 1, ctypes.byref(error))
        assert error.value == 0
        self.encoder = self.lib.opus_encoder_create(48000, 1, 2048, ctypes.byref(error))   # VOIP
        assert error.value == 0

    def decode(self, payload):
        pcm = (ctypes.c_int16 * 5760)()
        count = self.lib.opus_decode(ctypes.c_void_p(self.decoder), payload, len(payload), pcm, 5760, 0)
        assert count > 0, "opus_decode failed: %d" % count
        return list(pcm[:count])

    def encode(self, samples):
        pcm = (ctypes.c_int16 * len(samples))(*samples)
        out = (ctypes.c_ubyte * 4000)()
        length = self.lib.opus_encode(ctypes.c_void_p(self.encoder), pcm, len(samples), out, 4000)
        assert length > 0
        return bytes(out[:length])

    def close(self):
        self.lib.opus_decoder_destroy(ctypes.c_void_p(self.decoder))
        self.lib.opus_encoder_destroy(ctypes.c_void_p(self.encoder))


@pytest.fixture(scope="module")
def speech():
    """espeak-ng speech as 8 kHz and 48 kHz signed 16-bit mono samples (sox resamples)."""
    with tempfile.TemporaryDirectory() as directory:
        wav = os.path.join(directory, "speech.wav")
        subprocess.run(["espeak-ng", "-w", wav, "Transcoding through the relay keeps this sentence "
                        "intelligible in both directions."], check=True, timeout=30)
        rates = {}
        for rate in (8000, 48000):
            raw = os.path.join(directory, "speech%d.raw" % rate)
            subprocess.run(["sox", wav, "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed",
                            "-t", "raw", raw], check=True, timeout=30)
            with open(raw, "rb") as handle:
                data = handle.read()
            rates[rate] = list(struct.unpack("<%dh" % (len(data) // 2), data))
    assert len(rates[8000]) >= PACKETS * 160
    return rates


def correlation(reference, signal, max_lag):
    """Best normalised cross-correlation, signal delayed by 0..max_lag samples."""
    best = 0.0
    length = min(len(reference), len(signal) - max_lag)
    reference = reference[:length]
    energy_reference = sum(x * x for x in reference)
    for lag in range(0, max_lag + 1, 1):
        window = signal[lag:lag + length]
        if len(window) < length:
            break
        product = sum(a * b for a, b in zip(reference, window))
        energy = sum(x * x for x in window)
        if energy and energy_reference:
            best = max(best, product / math.sqrt(energy * energy_reference))
    return best


def transcoded_call(rtpengine, caller, callee):
    call = Call(rtpengine)
    offered = assert_ok(call.offer(OFFER.format(address=CALLER, port=caller.port),
                                   {"codec": {"transcode": ["opus"]}}))
    offer_sdp = Sdp(offered["sdp"])
    text = offered["sdp"]
    assert "a=rtpmap:96 opus/48000/2" in text, text
    assert "a=rtpmap:97 telephone-event/48000" in text, text
    assert " RTP/AVP 0 96 97 101" in text, text    # as 10.5: added codecs before the DTMF
    assert "a=fmtp:97 0-15" in text, text
    answered = assert_ok(call.answer(ANSWER.format(address=CALLEE, port=callee.port, opus=96, event=97)))
    answer_text = answered["sdp"]
    assert " RTP/AVP 0 101\r\n" in answer_text, answer_text
    assert "opus" not in answer_text, answer_text
    answer_sdp = Sdp(answer_text)
    return call, answer_sdp.media_address(), offer_sdp.media_address()


def receive_rtp(sock, count, timeout=3.0):
    return [parse_rtp(data) for data, _ in sock.receive_all(count, timeout)]


def test_pcmu_to_opus_and_back(rtpengine, speech):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    opus = Opus()
    try:
        call, caller_sends_to, callee_sends_to = transcoded_call(rtpengine, caller, callee)
        # caller -> callee: PCMU in, Opus out
        pcmu = audioop.lin2ulaw(struct.pack("<%dh" % (PACKETS * 160), *speech[8000][:PACKETS * 160]), 2)
        for i in range(PACKETS):
            caller.rtp.send(build_rtp(2000 + i, 160 * i, 0x1111, 0, pcmu[160 * i:160 * (i + 1)]), caller_sends_to)
        got = receive_rtp(callee.rtp, PACKETS)
        assert len(got) >= PACKETS - 2, "%d Opus packets" % len(got)   # libopus holds one back
        assert all(p.payload_type == 96 for p in got)
        assert all((b.sequence - a.sequence) & 0xffff == 1 for a, b in zip(got, got[1:]))
        assert all((b.timestamp - a.timestamp) & 0xffffffff == 960 for a, b in zip(got, got[1:]))
        decoded = []
        for packet in got:
            decoded += opus.decode(packet.payload)
        at_8k = decoded[::6]
        sent = list(struct.unpack("<%dh" % (PACKETS * 160), audioop.ulaw2lin(pcmu, 2)))
        forward = correlation(sent[:12000], at_8k, 120)
        print("PCMU -> Opus correlation %.3f over %d packets" % (forward, len(got)))
        assert forward > 0.9, "PCMU -> Opus correlation %.3f" % forward

        # callee -> caller: Opus in, PCMU out
        samples = speech[48000][:PACKETS * 960]
        for i in range(PACKETS):
            payload = opus.encode(samples[960 * i:960 * (i + 1)])
            callee.rtp.send(build_rtp(7000 + i, 960 * i, 0x2222, 96, payload), callee_sends_to)
        back = receive_rtp(caller.rtp, PACKETS)
        assert len(back) >= PACKETS - 2, "%d PCMU packets" % len(back)
        assert all(p.payload_type == 0 and len(p.payload) == 160 for p in back)
        assert all((b.timestamp - a.timestamp) & 0xffffffff == 160 for a, b in zip(back, back[1:]))
        received = list(struct.unpack("<%dh" % (len(back) * 160),
                                      audioop.ulaw2lin(b"".join(p.payload for p in back), 2)))
        backward = correlation(speech[8000][:12000], received, 120)
        print("Opus -> PCMU correlation %.3f" % backward)
        assert backward > 0.9, "Opus -> PCMU correlation %.3f" % backward
        call.delete()
    finally:
        opus.close()
        caller.close()
        callee.close()


def test_telephone_event_through_transcoded_call(rtpengine):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, caller_sends_to, callee_sends_to = transcoded_call(rtpengine, caller, callee)
        for i in range(5):
            caller.rtp.send(build_rtp(100 + i, 160 * i, 0x3333, 0, b"\xff" * 160), caller_sends_to)
        # digit 7, volume 10, duration 480 (8 kHz), end bit on the last
        for n, (duration, end) in enumerate(((160, False), (320, False), (480, True))):
            payload = bytes([7, (0x80 if end else 0) | 10]) + struct.pack("!H", duration)
            caller.rtp.send(build_rtp(105 + n, 800, 0x3333, 101, payload, marker=(n == 0)), caller_sends_to)
        got = receive_rtp(callee.rtp, 8)
        events = [p for p in got if p.payload_type == 97]
        audio = [p for p in got if p.payload_type == 96]
        assert len(events) == 3, got
        assert [struct.unpack("!H", e.payload[2:4])[0] for e in events] == [960, 1920, 2880]
        assert events[0].payload[0] == 7 and events[2].payload[1] & 0x80
        # the event starts where the audio stopped: 5 packets of 960 after the first audio
        assert (events[0].timestamp - audio[0].timestamp) & 0xffffffff == 5 * 960
        # and back: 48 kHz events become 8 kHz ones on the caller's payload type
        payload = bytes([3, 0x80 | 10]) + struct.pack("!H", 1920)
        callee.rtp.send(build_rtp(500, 96000, 0x4444, 97, payload, marker=True), callee_sends_to)
        back = [p for p in receive_rtp(caller.rtp, 1) if p.payload_type == 101]
        assert back and struct.unpack("!H", back[0].payload[2:4])[0] == 320
        call.delete()
    finally:
        caller.close()
        callee.close()
