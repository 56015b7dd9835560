"""Writes a recording spool as the daemon does (docs/recording.md, method `proc` with userspace
stream files in lib/recording_spool.h's framing), and makes the known audio the recording tests
send: two different sentences spoken by espeak-ng, made 8 kHz (or 16/48 kHz) mono by sox,
encoded by ffmpeg into RTP payloads.

Everything here is independent of the C code under test: the framing is written from the
header's documented layout, the codecs are ffmpeg's command-line encoders.
"""

import os
import random
import struct
import subprocess
import wave

SENTENCES = (
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Seven silver spoons were counted twice before dinner was served.",
)

STREAM_MAGIC = 0x53505452
STREAM_VERSION = 1


# ------------------------------------------------------------------------- audio

def speak(text, path, rate):
    """espeak-ng speaks `text`; sox makes it mono 16-bit at `rate`. Returns the samples."""
    raw = path + ".espeak.wav"
    subprocess.run(["espeak-ng", "-w", raw, text], check=True, capture_output=True)
    subprocess.run(["sox", raw, "-r", str(rate), "-c", "1", "-b", "16", path], check=True,
                   capture_output=True)
    os.unlink(raw)
    return read_wav(path)[0]


def read_wav(path):
    """(16-bit PCM frames as bytes, all channels interleaved; rate; channels). Reads the RIFF
    chunks itself: Python's wave module refuses WAVE_FORMAT_EXTENSIBLE (more than 2 channels)."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    position, rate, channels, frames = 12, None, None, None
    while position + 8 <= len(data):
        name, size = data[position:position + 4], struct.unpack("<I", data[position + 4:position + 8])[0]
        body = data[position + 8:position + 8 + size]
        if name == b"fmt ":
            channels, rate, _, _, bits = struct.unpack("<HIIHH", body[2:16])
            assert bits == 16, bits
        elif name == b"data":
            frames = body
        position += 8 + size + (size & 1)
    assert frames is not None and rate, path
    return frames, rate, channels


def samples_of(frames, channels=1, channel=0):
    count = len(frames) // 2
    values = struct.unpack("<%dh" % count, frames)
    return list(values[channel::channels])


def write_wav(path, samples, rate):
    with wave.open(path, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(struct.pack("<%dh" % len(samples), *samples))


# ------------------------------------------------------------------------- codecs

# encoding -> (RTP clock rate, sample rate of the audio fed in, payload type, rtpmap,
#              samples per 20 ms frame at the sample rate, RTP timestamp step per frame)
CODECS = {
    "PCMU": (8000, 8000, 0, "PCMU/8000", 160, 160),
    "PCMA": (8000, 8000, 8, "PCMA/8000", 160, 160),
    "G722": (8000, 16000, 9, "G722/8000", 320, 160),
    "opus": (48000, 48000, 111, "opus/48000/2", 960, 960),
    "L16": (8000, 8000, 96, "L16/8000", 160, 160),
}


def _ffmpeg(args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + args, check=True,
                   capture_output=True)


def _ogg_packets(data):
    """Packets of an Ogg stream (RFC 3533): segments of 255 continue a packet."""
    packets, current, position = [], b"", 0
    while position + 27 <= len(data):
        assert data[position:position + 4] == b"OggS"
        segments = data[position + 26]
        table = data[position + 27:position + 27 + segments]
        body = position + 27 + segments
        for size in table:
            current += data[body:body + size]
            body += size
            if size < 255:
                packets.append(current)
                current = b""
        position = body
    return packets


def encode(encoding, wav_path, workdir):
    """Returns the list of 20 ms payloads of `wav_path` (at the codec's sample rate)."""
    clock, rate, _, _, frame_samples, _ = CODECS[encoding]
    out = os.path.join(workdir, os.path.basename(wav_path) + "." + encoding)
    if encoding in ("PCMU", "PCMA", "L16", "G722"):
        fmt = {"PCMU": "mulaw", "PCMA": "alaw", "L16": "s16be", "G722": "g722"}[encoding]
        extra = ["-c:a", "g722"] if encoding == "G722" else []
        _ffmpeg(["-i", wav_path, "-ar", str(rate), "-ac", "1"] + extra + ["-f", fmt, out])
        with open(out, "rb") as handle:
            data = handle.read()
        per_frame = {"PCMU": 160, "PCMA": 160, "L16": 320, "G722": 160}[encoding]
        return [data[i:i + per_frame] for i in range(0, len(data) - per_frame + 1, per_frame)]
    if encoding == "opus":
        _ffmpeg(["-i", wav_path, "-ar", "48000", "-ac", "1", "-c:a", "libopus", "-b:a", "32000",
                 "-frame_duration", "20", "-application", "voip", "-f", "ogg", out])
        with open(out, "rb") as handle:
            packets = _ogg_packets(handle.read())
        return packets[2:]   # OpusHead, OpusTags
    raise ValueError(encoding)


# ------------------------------------------------------------------------- packets

def ipv4_udp(payload, source=("127.0.0.2", 40000), destination=("127.0.0.1", 30000)):
    """A synthetic IPv4 + UDP header as the daemon writes it (checksums 0)."""
    total = 20 + 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 17, 0,
                     bytes(map(int, source[0].split("."))), bytes(map(int, destination[0].split("."))))
    udp = struct.pack("!HHHH", source[1], destination[1], 8 + len(payload), 0)
    return ip + udp + payload


def rtp(payload_type, sequence, timestamp, ssrc, payload, marker=False):
    return struct.pack("!BBHII", 0x80, payload_type | (0x80 if marker else 0), sequence & 0xffff,
                       timestamp & 0xffffffff, ssrc) + payload


def frame(packet, arrival_ns):
    return struct.pack("<IIQ", len(packet), 0, arrival_ns) + packet


def stream_file_header():
    return struct.pack("<IHHII", STREAM_MAGIC, STREAM_VERSION, 16, 16, 0)


class Party:
    """One side's send direction: a list of (arrival_ns, packet) built from payloads."""

    def __init__(self, encoding, payloads, ssrc, start_ns, start_seq=1000, start_ts=50000,
                 lead_frames=0, total_frames=None, silence_payload=None):
        self.encoding = encoding
        _, _, self.payload_type, self.rtpmap, _, self.ts_step = CODECS[encoding]
        self.packets = []
        frames = [silence_payload] * lead_frames + list(payloads)
        if total_frames is not None:
            frames += [silence_payload] * max(0, total_frames - len(frames))
        for index, payload in enumerate(frames):
            packet = rtp(self.payload_type, start_seq + index, start_ts + index * self.ts_step, ssrc,
                         payload, marker=index == 0)
            self.packets.append((start_ns + index * 20_000_000, packet))

    def drop(self, fraction, seed):
        """Loses `fraction` of the packets (never the first)."""
        generator = random.Random(seed)
        self.packets = [self.packets[0]] + [p for p in self.packets[1:] if generator.random() >= fraction]

    def reorder(self, every, seed):
        """Swaps neighbours every `every` packets, as a network with jitter delivers them."""
        generator = random.Random(seed)
        for i in range(1, len(self.packets) - 1, every):
            if generator.random() < 0.8:
                self.packets[i], self.packets[i + 1] = self.packets[i + 1], self.packets[i]


def silence_payload(encoding, workdir):
    _, rate, _, _, frame_samples, _ = CODECS[encoding]
    path = os.path.join(workdir, "silence-%s.wav" % encoding)
    write_wav(path, [0] * (frame_samples * 3), rate)
    return encode(encoding, path, workdir)[1 if encoding == "opus" else 0]


# ------------------------------------------------------------------------- spool

def chunk(label, content=""):
    data = content.encode() if isinstance(content, str) else content
    return ("%s\n%d:\n" % (label, len(data))).encode() + data + b"\n\n"


class SpoolCall:
    """One call in the spool: DIR/PREFIX.meta and DIR/streams/PREFIX/NAME files."""

    def __init__(self, spool_dir, call_id, prefix=None):
        self.spool_dir = spool_dir
        self.call_id = call_id
        self.prefix = prefix or "%s-%016x" % (call_id.replace("@", "%40"), random.getrandbits(64))
        self.metadata = b""
        self.streams = []
        os.makedirs(os.path.join(spool_dir, "tmp"), exist_ok=True)
        os.makedirs(self.stream_dir, exist_ok=True)
        self.metadata += chunk("CALL-ID", call_id) + chunk("PARENT", self.prefix)
        self.metadata += chunk("RECORDING 1") + chunk("FORWARDING 0")

    @property
    def stream_dir(self):
        return os.path.join(self.spool_dir, "streams", self.prefix)

    @property
    def meta_path(self):
        return os.path.join(self.spool_dir, self.prefix + ".meta")

    def add_media(self, media, rtpmaps):
        for payload_type, rtpmap in rtpmaps.items():
            self.metadata += chunk("MEDIA %d PAYLOAD TYPE %d" % (media, payload_type), rtpmap)

    def add_stream(self, tag, media=1, label=None):
        """A new stream file (header only); returns its number."""
        number = len(self.streams)
        name = "tag-%d-media-1-component-1-RTP-id-%d" % (tag, number)
        path = os.path.join(self.stream_dir, name)
        with open(path, "wb") as handle:
            handle.write(stream_file_header())
        self.streams.append(path)
        if label:
            self.metadata += chunk("LABEL %d" % tag, label)
        self.metadata += chunk("STREAM %d details" % number,
                               "TAG %d MEDIA %d TAG-MEDIA 1 COMPONENT 1 FLAGS 0" % (tag, media))
        self.metadata += chunk("STREAM %d interface" % number, name)
        return number

    def append_packets(self, number, packets):
        with open(self.streams[number], "ab") as handle:
            for arrival_ns, packet in packets:
                handle.write(frame(ipv4_udp(packet), arrival_ns))

    def append_raw(self, number, data):
        with open(self.streams[number], "ab") as handle:
            handle.write(data)

    def publish(self):
        """Writes the metadata as our daemon does: whole new version, renamed over the old."""
        temporary = os.path.join(self.spool_dir, "tmp", self.prefix + ".meta.tmp")
        with open(temporary, "wb") as handle:
            handle.write(self.metadata)
        os.rename(temporary, self.meta_path)

    def end(self):
        os.unlink(self.meta_path)
