"""A scripted two-party call through the relay: RTP every 20 ms both ways with chosen loss and
added jitter (loss evenly spread, jitter seeded: the same call replays the same packets), and RTCP as real
receivers send it (RFC 3550: SR with a reception report about the other side's stream, whose
fraction lost, cumulative loss and interarrival jitter the receiver measures itself per
appendix A.3 and A.8, and LSR/DLSR of the last SR it received, so the relay can derive the
round-trip time). Used by the MOS tests against this relay and Debian's 10.5 alike."""

import heapq
import random
import struct
import time

from rtp import build_rtp, build_rtcp_sdes, parse_rtp, _rtcp_header, RTCP_SR

CLOCK_RATE = 8000
PTIME_S = 0.020
SAMPLES_PER_PACKET = 160
NTP_EPOCH_OFFSET = 2208988800


def ntp_now():
    now = time.time() + NTP_EPOCH_OFFSET
    seconds = int(now)
    return seconds, int((now - seconds) * (1 << 32)) & 0xffffffff


class Receiver:
    """What one side measures about the stream it receives (RFC 3550 A.3, A.8)."""

    def __init__(self):
        self.ssrc = None
        self.base_sequence = None
        self.highest = None
        self.received = 0
        self.expected_prior = 0
        self.received_prior = 0
        self.jitter = 0.0
        self.transit = None
        self.last_sr_middle = 0
        self.last_sr_arrival = None

    def rtp(self, packet, arrival):
        parsed = parse_rtp(packet)
        if not parsed:
            return
        self.ssrc = parsed.ssrc
        if self.base_sequence is None:
            self.base_sequence = self.highest = parsed.sequence
        elif parsed.sequence > self.highest:
            self.highest = parsed.sequence
        self.received += 1
        transit = arrival * CLOCK_RATE - parsed.timestamp
        if self.transit is not None:
            self.jitter += (abs(transit - self.transit) - self.jitter) / 16
        self.transit = transit

    def sr(self, packet, arrival):
        if len(packet) >= 16 and packet[1] == RTCP_SR:
            ntp_seconds, ntp_fraction = struct.unpack_from("!II", packet, 8)
            self.last_sr_middle = ((ntp_seconds & 0xffff) << 16) | (ntp_fraction >> 16)
            self.last_sr_arrival = arrival

    def report_block(self, now, extra_rtt_s=0.0):
        if self.ssrc is None:
            return b""
        expected = self.highest - self.base_sequence + 1
        lost = max(expected - self.received, 0)
        expected_interval = expected - self.expected_prior
        received_interval = self.received - self.received_prior
        self.expected_prior, self.received_prior = expected, self.received
        lost_interval = expected_interval - received_interval
        fraction = 0 if expected_interval <= 0 or lost_interval <= 0 else \
            (lost_interval << 8) // expected_interval
        dlsr = 0 if self.last_sr_arrival is None else max(int((now - self.last_sr_arrival - extra_rtt_s) * 65536), 0)
        return struct.pack("!IBBHIIII", self.ssrc, min(fraction, 255), (lost >> 16) & 0xff,
                           lost & 0xffff, self.highest & 0xffff, int(self.jitter),
                           self.last_sr_middle, dlsr)


class Party:
    def __init__(self, peer, ssrc, relay_address, loss, jitter_ms, seed, extra_rtt_ms=0):
        self.peer = peer                      # rtp.MediaPeer
        self.ssrc = ssrc
        self.relay_rtp = relay_address
        self.relay_rtcp = (relay_address[0], relay_address[1] + 1)
        self.loss = loss
        self.jitter_ms = jitter_ms
        self.random = random.Random(seed)
        self.receiver = Receiver()
        # reported as less delay since the last SR than really passed: the relay sees a
        # longer round trip on this leg
        self.extra_rtt_s = extra_rtt_ms / 1000.0
        self.sent_packets = 0
        self.sent_octets = 0

    def rtcp(self, now):
        seconds, fraction = ntp_now()
        timestamp = int(now * CLOCK_RATE) & 0xffffffff
        block = self.receiver.report_block(now, self.extra_rtt_s)
        body = struct.pack("!IIIIII", self.ssrc, seconds, fraction, timestamp, self.sent_packets,
                           self.sent_octets) + block
        return _rtcp_header(RTCP_SR, 1 if block else 0, body) + build_rtcp_sdes(self.ssrc)


# RTCP goes out every REPORT_PACKETS packet slots (1.2 s), the first after slot FIRST_REPORT_SLOT
# (the second party REPORT_STAGGER slots later). 60 packets hold exactly 3 losses at 5% and
# 12 at 20%, and the reports fall 2 slots after a multiple of 20 (and of 5): never next to a
# lost packet, so a packet of jitter either way does not change what a report counts, and
# every report of a call (the first, over 123 packets, too) gives the same fraction lost
# whichever relay carries it. Reports are over a second apart, so 10.5 samples each one.
REPORT_PACKETS = 60
FIRST_REPORT_SLOT = 122
REPORT_STAGGER = 30
CALL_SECONDS = 8.0


def play_call(parties, duration_s=CALL_SECONDS):
    """Plays RTP (and RTCP, see REPORT_PACKETS) for both parties for duration_s, receiving
    what the relay forwards. The share `loss` of the packets, evenly spread, is never sent;
    the others leave at their 20 ms slot plus a random (seeded) delay of up to jitter_ms.
    Returns the parties."""
    start = time.monotonic()
    events = []   # (time, order, party index, kind, sequence)
    order = 0
    packet_count = int(duration_s / PTIME_S)
    for index, party in enumerate(parties):
        for sequence in range(packet_count):
            # loss spread evenly (every 20th packet for 5%)
            if int((sequence + 1) * party.loss) > int(sequence * party.loss):
                continue
            delay = party.random.uniform(0, party.jitter_ms / 1000.0)
            heapq.heappush(events, (start + sequence * PTIME_S + delay, order, index, "rtp", sequence))
            order += 1
        slot = FIRST_REPORT_SLOT + REPORT_STAGGER * index
        while slot < packet_count:
            # half a slot after the slot's packet: what arrived by then is counted
            heapq.heappush(events, (start + (slot + 0.5) * PTIME_S + party.jitter_ms / 1000.0, order,
                                    index, "rtcp", 0))
            order += 1
            slot += REPORT_PACKETS
    sockets = [(party, party.peer.rtp, False) for party in parties] + \
              [(party, party.peer.rtcp, True) for party in parties]
    for _, sock, _ in sockets:
        sock.sock.setblocking(False)
    while events:
        due, _, index, kind, sequence = events[0]
        now = time.monotonic()
        if now >= due:
            heapq.heappop(events)
            party = parties[index]
            if kind == "rtp":
                payload = bytes(SAMPLES_PER_PACKET)
                packet = build_rtp(1000 + sequence, 5000 + SAMPLES_PER_PACKET * sequence, party.ssrc,
                                   0, payload)
                party.peer.rtp.send(packet, party.relay_rtp)
                party.sent_packets += 1
                party.sent_octets += len(payload)
            else:
                party.peer.rtcp.send(party.rtcp(time.monotonic()), party.relay_rtcp)
            continue
        _receive_ready(sockets, min(due - now, 0.005))
    _receive_ready(sockets, 0.05)
    return parties


def _receive_ready(sockets, wait_s):
    deadline = time.monotonic() + wait_s
    while True:
        got = False
        for party, sock, is_rtcp in sockets:
            try:
                data = sock.sock.recv(65535)
            except BlockingIOError:
                continue
            got = True
            now = time.monotonic()
            if is_rtcp:
                party.receiver.sr(data, now)
            else:
                party.receiver.rtp(data, now)
        if not got:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.001)
