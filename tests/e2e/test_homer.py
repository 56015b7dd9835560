"""Homer: the relay sends every RTCP packet it relays to --homer as a HEP3 message with the
report as JSON. A HEP receiver here decodes every chunk (UDP and TCP); tshark reads a
capture of the UDP messages (with its hep dissector where it has one); a dead TCP Homer
neither stops the media nor loses count of what it could not send."""

import json
import os
import socket
import struct
import subprocess
import time

import pytest

from calls import Call, Sdp, assert_ok, simple_sdp
from process import wait_until
from rtp import MediaPeer, build_rtcp_compound, build_rtcp_sdes, build_rtp, build_rtcp_rr, build_report_block
from sip_harness import TSHARK_BINARY

SSRC = 0x11111111
CAPTURE_ID = 4242


def decode_hep(data):
    """One HEP3 message -> {chunk type: bytes}; asserts the framing is exact."""
    assert data[:4] == b"HEP3", data[:16]
    total = struct.unpack_from("!H", data, 4)[0]
    assert total == len(data), (total, len(data))
    chunks = {}
    offset = 6
    while offset < total:
        vendor, kind, length = struct.unpack_from("!HHH", data, offset)
        assert vendor == 0 and 6 <= length <= total - offset, (vendor, kind, length)
        chunks[kind] = data[offset + 6:offset + length]
        offset += length
    return chunks


def split_hep_stream(buffer):
    """HEP3 messages from the front of a TCP byte stream; returns (messages, rest)."""
    messages = []
    while len(buffer) >= 6:
        assert buffer[:4] == b"HEP3", buffer[:16]
        total = struct.unpack_from("!H", buffer, 4)[0]
        if len(buffer) < total:
            break
        messages.append(buffer[:total])
        buffer = buffer[total:]
    return messages, buffer


def relay_rtcp(daemon, caller, callee, packets):
    """A call; the caller sends RTP, then `packets` RTCP compounds from its RTCP port; the
    callee must receive them all. Returns (call, the relay's RTCP endpoint for the caller)."""
    call = Call(daemon)
    offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port)))
    answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port)))
    to_callee = Sdp(answer["sdp"]).media_address()
    assert Sdp(offer["sdp"]).media_address()
    caller.rtp.send(build_rtp(1, 160, SSRC), to_callee)
    assert callee.rtp.receive(2.0) is not None
    relay_rtcp_endpoint = (to_callee[0], to_callee[1] + 1)
    for packet in packets:
        caller.rtcp.send(packet, relay_rtcp_endpoint)
    assert len(callee.rtcp.receive_all(len(packets), 3.0)) == len(packets)
    return call, relay_rtcp_endpoint


def check_message(chunks, call_id, caller, relay_endpoint):
    assert chunks[0x0001] == b"\x02"                       # IPv4
    assert chunks[0x0002] == b"\x11"                       # UDP
    assert socket.inet_ntoa(chunks[0x0003]) == caller.host
    assert socket.inet_ntoa(chunks[0x0004]) == relay_endpoint[0]
    assert struct.unpack("!H", chunks[0x0007])[0] == caller.rtcp.port
    assert struct.unpack("!H", chunks[0x0008])[0] == relay_endpoint[1]
    assert abs(struct.unpack("!I", chunks[0x0009])[0] - time.time()) < 30
    assert struct.unpack("!I", chunks[0x000a])[0] < 1000000
    assert chunks[0x000b] == b"\x05"                       # RTCP as JSON
    assert struct.unpack("!I", chunks[0x000c])[0] == CAPTURE_ID
    assert chunks[0x0011].decode() == call_id
    return json.loads(chunks[0x000f])


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_every_rtcp_packet_reaches_homer(rtpengine_factory, protocol):
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    homer = socket.socket(socket.AF_INET, kind)
    homer.bind(("127.0.0.1", 0))
    if protocol == "tcp":
        homer.listen(1)
    homer.settimeout(5)
    daemon = rtpengine_factory("--homer=127.0.0.1:%d" % homer.getsockname()[1],
                               "--homer-protocol=%s" % protocol, "--homer-id=%d" % CAPTURE_ID)
    caller, callee = MediaPeer(), MediaPeer()
    try:
        packets = [build_rtcp_compound(SSRC, packet_count=n, octet_count=160 * n) for n in range(1, 4)]
        packets.append(build_rtcp_rr(SSRC, [build_report_block(0x22222222, fraction_lost=13, cumulative_lost=7,
                                                               jitter=40)]) + build_rtcp_sdes(SSRC))
        call, relay_endpoint = relay_rtcp(daemon, caller, callee, packets)
        messages = []
        if protocol == "udp":
            while len(messages) < len(packets):
                messages.append(homer.recvfrom(65535)[0])
        else:
            connection, _peer = homer.accept()
            connection.settimeout(5)
            buffer = b""
            while len(messages) < len(packets):
                data = connection.recv(65535)
                assert data, "Homer connection closed early"
                found, buffer = split_hep_stream(buffer + data)
                messages += found
            connection.close()
        reports = [check_message(decode_hep(message), call.call_id, caller, relay_endpoint)
                   for message in messages]
        assert [report["type"] for report in reports] == [200, 200, 200, 201]
        assert [report["sender_information"]["packets"] for report in reports[:3]] == [1, 2, 3]
        assert all(report["ssrc"] == SSRC for report in reports)
        assert reports[0]["sdes_information"][0]["text"] == "tester@127.0.0.1"
        block = reports[3]["report_blocks"][0]
        assert (block["source_ssrc"], block["fraction_lost"], block["packets_lost"], block["ia_jitter"]) == \
            (0x22222222, 13, 7, 40)
        totals = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
        assert totals["homersent"] == len(packets) and totals["homerdropped"] == 0, totals
        assert totals["homerconnects"] == (1 if protocol == "tcp" else 0)
    finally:
        caller.close()
        callee.close()
        homer.close()


def test_dead_homer_does_not_stop_media(rtpengine_factory):
    """TCP Homer that refuses connections: media and RTCP are relayed all the same, and the
    packets it could not take are counted (queued, never sent), not lost silently."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()   # nothing listens there
    daemon = rtpengine_factory("--homer=127.0.0.1:%d" % port, "--homer-protocol=tcp")
    caller, callee = MediaPeer(), MediaPeer()
    try:
        packets = [build_rtcp_compound(SSRC, packet_count=n) for n in range(1, 6)]
        relay_rtcp(daemon, caller, callee, packets)
        totals = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
        assert totals["homerqueued"] == 5 and totals["homersent"] == 0, totals
        assert wait_until(lambda: "cannot connect" in daemon.log_text(), 5), daemon.log_text()[-2000:]
    finally:
        caller.close()
        callee.close()


def write_pcap(path, datagrams):
    """A classic pcap (linktype raw IPv4) of (source, destination, payload) UDP datagrams."""
    with open(path, "wb") as handle:
        handle.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 228))
        now = time.time()
        for (source, destination, payload) in datagrams:
            udp = struct.pack("!HHHH", source[1], destination[1], 8 + len(payload), 0) + payload
            header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                                 socket.inet_aton(source[0]), socket.inet_aton(destination[0]))
            checksum = sum(struct.unpack("!10H", header))
            checksum = (checksum & 0xffff) + (checksum >> 16)
            checksum = ~((checksum & 0xffff) + (checksum >> 16)) & 0xffff
            packet = header[:10] + struct.pack("!H", checksum) + header[12:] + udp
            handle.write(struct.pack("<IIII", int(now), int(now % 1 * 1e6), len(packet), len(packet)))
            handle.write(packet)


@pytest.mark.skipif(not os.access(TSHARK_BINARY, os.X_OK), reason="needs tshark")
def test_tshark_reads_the_hep_messages(rtpengine_factory, tmp_path):
    """The HEP messages as Homer's socket received them (addresses and ports as they came),
    written to a pcap that tshark reads. (A dumpcap capture on lo is what an operator would
    take; on the shared test machine lo carries other engineers' floods and dumpcap lost the
    packets, so the test writes the capture itself.)"""
    homer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    homer.bind(("127.0.0.1", 0))
    homer_port = homer.getsockname()[1]
    homer.settimeout(5)
    daemon = rtpengine_factory("--homer=127.0.0.1:%d" % homer_port, "--homer-id=%d" % CAPTURE_ID)
    caller, callee = MediaPeer(), MediaPeer()
    try:
        call, _endpoint = relay_rtcp(daemon, caller, callee, [build_rtcp_compound(SSRC, packet_count=7)])
        message, source = homer.recvfrom(65535)
    finally:
        caller.close()
        callee.close()
        homer.close()
    capture_path = str(tmp_path / "homer.pcap")
    write_pcap(capture_path, [(source, ("127.0.0.1", homer_port), message)])
    protocols = subprocess.run([TSHARK_BINARY, "-G", "protocols"], capture_output=True, text=True,
                               timeout=30, check=False).stdout
    if any(line.split("\t")[-1] == "hep" for line in protocols.splitlines()):
        # Wireshark with its HEP dissector decodes the message itself
        result = subprocess.run([TSHARK_BINARY, "-n", "-r", capture_path, "-d",
                                 "udp.port==%d,hep" % homer_port, "-V"],
                                capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 0, result.stderr
        text = result.stdout
        assert str(CAPTURE_ID) in text and call.call_id in text, text[-3000:]
        assert '"packets":7' in text, text[-3000:]
        return
    # Debian 12's tshark (Wireshark 4.0) has no HEP dissector: it reads the capture's UDP
    # payload, which must be exactly one well-formed HEP3 message for the call
    result = subprocess.run([TSHARK_BINARY, "-n", "-r", capture_path, "-Y", "udp.dstport==%d" % homer_port,
                             "-T", "fields", "-e", "udp.payload"],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    payloads = [bytes.fromhex(line.replace(":", "")) for line in result.stdout.split()]
    assert len(payloads) == 1, result.stdout
    chunks = decode_hep(payloads[0])
    assert chunks[0x0011].decode() == call.call_id
    assert struct.unpack("!I", chunks[0x000c])[0] == CAPTURE_ID
    assert json.loads(chunks[0x000f])["sender_information"]["packets"] == 7
