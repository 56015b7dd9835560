"""Helpers for the call recording tests: the recording dir's files, PCAP and stream-file
readers, and the normalisation that makes a pcap metadata file comparable across runs
(tests/e2e/test_recording_spool.py; the golden files are written by
tests/e2e/recording_golden/generate_golden.py with Debian's rtpengine 10.5)."""

import os
import re
import struct
import subprocess

# lib/recording_spool.h
STREAM_MAGIC = 0x53505452
STREAM_HEADER = struct.Struct("<IHHII")
FRAME_HEADER = struct.Struct("<IIQ")

PCAP_HEADER = struct.Struct("<IHHiIII")
PCAP_RECORD = struct.Struct("<IIII")


def read_pcap(path):
    """(linktype, [(seconds, microseconds, frame bytes)]) of a little-endian PCAP file; fails
    on a truncated record."""
    data = open(path, "rb").read()
    magic, major, minor, _, _, snaplen, linktype = PCAP_HEADER.unpack_from(data, 0)
    assert (magic, major, minor, snaplen) == (0xa1b2c3d4, 2, 4, 65535), (hex(magic), major, minor, snaplen)
    offset, records = PCAP_HEADER.size, []
    while offset < len(data):
        seconds, micros, caplen, length = PCAP_RECORD.unpack_from(data, offset)
        assert caplen == length
        offset += PCAP_RECORD.size
        assert offset + caplen <= len(data), "truncated record at %d" % offset
        records.append((seconds, micros, data[offset:offset + caplen]))
        offset += caplen
    return linktype, records


def read_stream_file(path):
    """[(arrival_ns, packet bytes)] of a userspace stream file (lib/recording_spool.h)."""
    data = open(path, "rb").read()
    magic, version, header_size, frame_header_size, reserved = STREAM_HEADER.unpack_from(data, 0)
    assert (magic, version, header_size, frame_header_size, reserved) == (STREAM_MAGIC, 1, 16, 16, 0)
    offset, frames = header_size, []
    while offset < len(data):
        length, flags, arrival_ns = FRAME_HEADER.unpack_from(data, offset)
        assert 0 < length <= 2048 and flags == 0
        offset += FRAME_HEADER.size
        assert offset + length <= len(data), "truncated frame"
        frames.append((arrival_ns, data[offset:offset + length]))
        offset += length
    return frames


def udp_payload(ip_packet):
    """(source port, destination port, payload) of a synthetic IPv4/IPv6 + UDP packet."""
    version = ip_packet[0] >> 4
    header = 20 if version == 4 else 40
    source, destination, length, _ = struct.unpack_from("!HHHH", ip_packet, header)
    assert length == len(ip_packet) - header
    return source, destination, ip_packet[header + 8:]


def parse_chunks(text):
    """The proc spool file's chunks: [(label, content)]; fails on a malformed file."""
    chunks, position = [], 0
    while position < len(text):
        newline = text.index(b"\n", position)
        label = text[position:newline].decode()
        colon = text.index(b":\n", newline + 1)
        length = int(text[newline + 1:colon])
        start = colon + 2
        content = text[start:start + length]
        assert len(content) == length and text[start + length:start + length + 2] == b"\n\n", label
        chunks.append((label, content.decode()))
        position = start + length + 2
    return chunks


def tshark_rtp(path, ports):
    """[(source port, destination port, sequence, ssrc)] of the RTP packets tshark decodes."""
    decode = []
    for port in ports:
        decode += ["-d", "udp.port==%d,rtp" % port]
    output = subprocess.run(["tshark", "-r", path] + decode + ["-Y", "rtp", "-T", "fields", "-e", "udp.srcport",
                            "-e", "udp.dstport", "-e", "rtp.seq", "-e", "rtp.ssrc"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    return [tuple(int(field, 0) for field in line.split("\t")) for line in output.splitlines() if line]


def tshark_rtp_streams(path, ports):
    """The lines of `tshark -q -z rtp,streams` that describe streams."""
    decode = []
    for port in ports:
        decode += ["-d", "udp.port==%d,rtp" % port]
    output = subprocess.run(["tshark", "-r", path, "-q", "-z", "rtp,streams"] + decode,
                            capture_output=True, text=True, timeout=60, check=True).stdout
    return [line for line in output.splitlines() if re.search(r"\b0x[0-9A-Fa-f]{8}\b", line)]


def normalise_pcap_metadata(text, recording_dir):
    """A pcap metadata file with what differs from run to run replaced: the recording dir,
    the random part of the names, times, dates and our ports in the SDPs."""
    text = text.replace(recording_dir.rstrip("/"), "DIR")
    text = re.sub(r"-[0-9a-f]{16}\.pcap", "-RANDOM.pcap", text)
    text = re.sub(r"(Timestamp started ms|Timestamp terminated ms\(first monologue\)): \d+\.\d{3}",
                  r"\1: T", text)
    text = re.sub(r"(call (start|end) time): \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r"\1: DATE", text)
    text = re.sub(r"m=audio \d+", "m=audio PORT", text)
    text = re.sub(r"a=rtcp:\d+", "a=rtcp:PORT", text)
    return text


def files_under(directory):
    """Relative paths of every file under directory, sorted."""
    found = []
    for root, _, names in os.walk(directory):
        for name in names:
            found.append(os.path.relpath(os.path.join(root, name), directory))
    return sorted(found)


# ---------------------------------------------------------------- the golden scenario

GOLDEN_CALL_ID = "golden-call@example.com"
GOLDEN_CALLER, GOLDEN_CALLEE = "127.0.0.2", "127.0.0.1"


def golden_scenario(ng, caller, callee, wait_written):
    """The requests whose pcap metadata file is compared with Debian's 10.5: an offer that
    asks for recording with metadata and a label, the answer, 5 RTP packets each way, a
    re-offer (new metadata) and its answer, delete. ng(dict) -> reply; caller and callee
    are rtp.MediaPeer; wait_written() returns once the 10 packets are in the file."""
    import time
    from calls import make_sdp, media_section, Sdp
    from rtp import rtp_stream

    def offer(version, metadata):
        return ng({"command": "offer", "call-id": GOLDEN_CALL_ID, "from-tag": "caller-tag",
                   "label": "caller-label", "record call": "yes", "metadata": metadata,
                   "sdp": make_sdp(GOLDEN_CALLER, media_section(caller.port), version=version)})

    def answer(version):
        return ng({"command": "answer", "call-id": GOLDEN_CALL_ID, "from-tag": "caller-tag",
                   "to-tag": "callee-tag",
                   "sdp": make_sdp(GOLDEN_CALLEE, media_section(callee.port), version=version)})

    offered = offer(1, "customer:42|region:eu")
    answered = answer(1)
    assert offered["result"] == "ok" and answered["result"] == "ok", (offered, answered)
    to_callee, to_caller = Sdp(answered["sdp"]).media_address(), Sdp(offered["sdp"]).media_address()
    for index, (a, b) in enumerate(zip(rtp_stream(0x1111, 5), rtp_stream(0x2222, 5, first_sequence=2000))):
        caller.rtp.send(a, to_callee)
        callee.rtp.send(b, to_caller)
        time.sleep(0.02)
    assert len(callee.rtp.receive_all(5, 2.0)) == 5 and len(caller.rtp.receive_all(5, 2.0)) == 5
    wait_written()
    assert offer(2, "customer:43|region:eu")["result"] == "ok"
    assert answer(2)["result"] == "ok"
    deleted = ng({"command": "delete", "call-id": GOLDEN_CALL_ID, "from-tag": "caller-tag"})
    assert deleted["result"] == "ok"
    return offered
