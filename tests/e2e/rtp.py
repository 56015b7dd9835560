"""RTP/RTCP packet builders and parsers (RFC 3550) and UDP media peers for tests."""

import collections
import socket
import struct
import time

RTP_VERSION = 2
RTCP_SR = 200
RTCP_RR = 201
RTCP_SDES = 202
RTCP_BYE = 203

RtpPacket = collections.namedtuple(
    "RtpPacket", "version padding extension marker payload_type sequence timestamp ssrc "
                 "csrcs extension_data payload")
RtcpPacket = collections.namedtuple("RtcpPacket", "packet_type count ssrc body")


# ---------------------------------------------------------------- RTP (RFC 3550 section 5.1)

def build_rtp(sequence, timestamp, ssrc, payload_type=0, payload=b"\x00" * 160, marker=False,
              csrcs=(), extension=None):
    """One RTP packet. `extension` is (profile, bytes) with len(bytes) % 4 == 0."""
    first = (RTP_VERSION << 6) | (0x10 if extension else 0) | len(csrcs)
    second = (0x80 if marker else 0) | (payload_type & 0x7f)
    header = struct.pack("!BBHII", first, second, sequence & 0xffff, timestamp & 0xffffffff,
                         ssrc & 0xffffffff)
    header += b"".join(struct.pack("!I", csrc) for csrc in csrcs)
    if extension:
        profile, data = extension
        header += struct.pack("!HH", profile, len(data) // 4) + data
    return header + payload


def parse_rtp(data):
    """Parse an RTP packet; returns RtpPacket or None when it is not valid RTP."""
    if len(data) < 12 or data[0] >> 6 != RTP_VERSION:
        return None
    first, second, sequence, timestamp, ssrc = struct.unpack_from("!BBHII", data)
    offset = 12
    csrc_count = first & 0x0f
    if len(data) < offset + 4 * csrc_count:
        return None
    csrcs = list(struct.unpack_from("!%dI" % csrc_count, data, offset))
    offset += 4 * csrc_count
    extension_data = None
    if first & 0x10:
        if len(data) < offset + 4:
            return None
        profile, words = struct.unpack_from("!HH", data, offset)
        if len(data) < offset + 4 + 4 * words:
            return None
        extension_data = (profile, data[offset + 4:offset + 4 + 4 * words])
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20:
        pad = data[-1]
        if pad == 0 or offset + pad > end:
            return None
        end -= pad
    return RtpPacket(RTP_VERSION, bool(first & 0x20), bool(first & 0x10), bool(second & 0x80),
                     second & 0x7f, sequence, timestamp, ssrc, csrcs, extension_data,
                     data[offset:end])


def rtp_stream(ssrc, count, first_sequence=1000, first_timestamp=5000, payload_type=0,
               payload_size=160):
    """`count` consecutive 20 ms packets whose payload encodes their index."""
    packets = []
    for index in range(count):
        payload = struct.pack("!I", index) + bytes((index + n) & 0xff
                                                   for n in range(payload_size - 4))
        packets.append(build_rtp(first_sequence + index, first_timestamp + 160 * index, ssrc,
                                 payload_type, payload))
    return packets


# ---------------------------------------------------------------- RTCP (RFC 3550 section 6.4)

def _rtcp_header(packet_type, count, body):
    length_words = (4 + len(body)) // 4 - 1
    return struct.pack("!BBH", (RTP_VERSION << 6) | (count & 0x1f), packet_type,
                       length_words) + body


def build_report_block(ssrc, fraction_lost=0, cumulative_lost=0, highest_sequence=0,
                       jitter=0, last_sr=0, delay_since_last_sr=0):
    return struct.pack("!IBBHIIII", ssrc, fraction_lost, (cumulative_lost >> 16) & 0xff,
                       cumulative_lost & 0xffff, highest_sequence, jitter, last_sr,
                       delay_since_last_sr)


def build_rtcp_sr(ssrc, ntp_seconds=0xe0000000, ntp_fraction=0, rtp_timestamp=0,
                  packet_count=0, octet_count=0, report_blocks=()):
    body = struct.pack("!IIIIII", ssrc, ntp_seconds, ntp_fraction, rtp_timestamp,
                       packet_count, octet_count) + b"".join(report_blocks)
    return _rtcp_header(RTCP_SR, len(report_blocks), body)


def build_rtcp_rr(ssrc, report_blocks=()):
    body = struct.pack("!I", ssrc) + b"".join(report_blocks)
    return _rtcp_header(RTCP_RR, len(report_blocks), body)


def build_rtcp_sdes(ssrc, cname=b"tester@127.0.0.1"):
    item = struct.pack("!BB", 1, len(cname)) + cname + b"\x00"  # CNAME item, end of list
    item += b"\x00" * (-(4 + len(item)) % 4)
    return _rtcp_header(RTCP_SDES, 1, struct.pack("!I", ssrc) + item)


def build_rtcp_bye(ssrc):
    return _rtcp_header(RTCP_BYE, 1, struct.pack("!I", ssrc))


def build_rtcp_compound(ssrc, packet_count=0, octet_count=0):
    """A typical compound packet: SR followed by SDES with a CNAME (RFC 3550 6.1)."""
    return build_rtcp_sr(ssrc, packet_count=packet_count, octet_count=octet_count) + \
        build_rtcp_sdes(ssrc)


def parse_rtcp(data):
    """Split a compound RTCP packet; returns a list of RtcpPacket or None if malformed."""
    packets = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 8 or data[offset] >> 6 != RTP_VERSION:
            return None
        first, packet_type, length_words = struct.unpack_from("!BBH", data, offset)
        size = 4 * (length_words + 1)
        if offset + size > len(data):
            return None
        ssrc = struct.unpack_from("!I", data, offset + 4)[0]
        packets.append(RtcpPacket(packet_type, first & 0x1f, ssrc,
                                  data[offset + 8:offset + size]))
        offset += size
    return packets or None


def is_rtcp(data):
    """RTP/RTCP demultiplexing by payload type range 64-95 (RFC 5761 section 4)."""
    return len(data) >= 2 and 192 <= data[1] <= 223


# ---------------------------------------------------------------- media peers

def _family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class MediaSocket:
    """One UDP socket of a test peer; every receive is bounded in time and count."""

    def __init__(self, host="127.0.0.1", port=0):
        self.sock = socket.socket(_family(host), socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.host = host
        self.port = self.sock.getsockname()[1]

    @property
    def address(self):
        return (self.host, self.port)

    def close(self):
        self.sock.close()

    def send(self, data, destination):
        self.sock.sendto(data, destination)

    def receive(self, timeout=1.0):
        """(data, source) of the next datagram, or None after `timeout` s."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, source = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        return data, source[:2]

    def receive_all(self, count, timeout=2.0, timestamped=False):
        """Up to `count` datagrams arriving within `timeout` s in total; each (data, source), or
        with `timestamped` (time.monotonic() when read, data, source)."""
        deadline = time.monotonic() + timeout
        received = []
        while len(received) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            item = self.receive(remaining)
            if item is None:
                break
            received.append((time.monotonic(),) + item if timestamped else item)
        return received

    def drain(self, timeout=0.05):
        """Read and drop what is queued (bounded); returns how many were dropped."""
        dropped = 0
        while dropped < 10000 and self.receive(timeout) is not None:
            dropped += 1
        return dropped


class MediaPeer:
    """A SIP endpoint's media side: an RTP socket on an even port and RTCP on port+1
    (RFC 3550 section 11), as a phone would advertise in SDP."""

    def __init__(self, host="127.0.0.1", attempts=200):
        last_error = None
        for _ in range(attempts):
            rtp = MediaSocket(host, 0)
            if rtp.port % 2:
                rtp.close()
                continue
            try:
                rtcp = MediaSocket(host, rtp.port + 1)
            except OSError as error:
                last_error = error
                rtp.close()
                continue
            self.host, self.rtp, self.rtcp = host, rtp, rtcp
            return
        raise RuntimeError("no free even/odd port pair on %s: %s" % (host, last_error))

    @property
    def port(self):
        return self.rtp.port

    def close(self):
        self.rtp.close()
        self.rtcp.close()


def relay_through(sender, destination, packets, receiver, timeout=2.0):
    """Send `packets` from MediaSocket `sender` to `destination`; return what MediaSocket
    `receiver` gets as (data, source) within `timeout` s (at most len(packets))."""
    for packet in packets:
        sender.send(packet, destination)
    return receiver.receive_all(len(packets), timeout)
