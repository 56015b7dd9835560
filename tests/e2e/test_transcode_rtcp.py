"""RTCP of a transcoded call (daemon/transcode_rtcp.c): PCMU <-> Opus, both sides sending RTP
and one SR (with a report block about what each hears) mid-call. As Debian's 10.5 does, the relay
forwards each compound rewritten for the leg it goes to: the SR's sender info describes the RTP
the relay sends on that leg (SSRC, RTP timestamp of the last packet, packet and octet count,
header included), the NTP time stays (so LSR/DLSR round trips stay end to end), and a report
block about the relay's output names the SSRC the relay received and its own reception (highest
sequence number, loss); jitter, LSR and DLSR pass, SDES passes. Runs against both daemons:
RTPENGINE_BINARY=/usr/bin/rtpengine checks the expectations against the reference."""

import struct
import threading
import time

from conftest import IS_UPSTREAM
from calls import Call, Sdp, assert_ok
from rtp import (MediaPeer, build_report_block, build_rtcp_sdes, build_rtcp_sr, build_rtp,
                 parse_rtcp, parse_rtp, RTCP_SDES, RTCP_SR)
from test_transcode import ANSWER, CALLEE, CALLER, OFFER, Opus

CALLER_SSRC, CALLEE_SSRC = 0x1111, 0x2222
PACKETS = 150
RTCP_AT = 100                     # both sides send their SR after this many packets
SKIPPED = range(1050, 1055)       # sequence numbers the caller never sends: the relay sees 5 lost


class Receiver:
    """Collects (arrival, data) on a socket in a thread until stopped (bounded by time)."""

    def __init__(self, sock):
        self.sock, self.items, self.running = sock, [], True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + 60
        while self.running and time.monotonic() < deadline:
            item = self.sock.receive(0.1)
            if item:
                self.items.append((time.monotonic(), item[0]))

    def stop(self):
        self.running = False
        self.thread.join(5)


def sender_info(sr):
    return dict(zip(("ntp_seconds", "ntp_fraction", "rtp_timestamp", "packets", "octets"),
                    struct.unpack_from("!IIIII", sr.body)))


def report_block(body):
    ssrc, fraction, lost_high, lost_low, highest, jitter, lsr, dlsr = struct.unpack_from("!IBBHIIII", body)
    lost = (lost_high << 16) | lost_low
    return dict(ssrc=ssrc, fraction=fraction, lost=lost - (1 << 24) if lost & 0x800000 else lost,
                highest=highest, jitter=jitter, lsr=lsr, dlsr=dlsr)


def check_sr(rtcp_items, rtp_items, ntp, expected_source):
    """The one compound that arrived, checked against the RTP that arrived on the same leg."""
    assert len(rtcp_items) == 1, "%d RTCP compounds" % len(rtcp_items)
    arrival, data = rtcp_items[0]
    parts = parse_rtcp(data)
    assert parts and parts[0].packet_type == RTCP_SR and parts[0].count == 1, parts
    sr = parts[0]
    rtp = [parse_rtp(d) for _, d in rtp_items]
    info = sender_info(sr)
    # the sender is the SSRC of the RTP this leg receives from the relay
    assert sr.ssrc == rtp[0].ssrc, (hex(sr.ssrc), hex(rtp[0].ssrc))
    assert (info["ntp_seconds"], info["ntp_fraction"]) == ntp
    # packet count: what the relay sent on this leg by then (a packet may still have been queued)
    before = sum(1 for t, _ in rtp_items if t <= arrival)
    assert before - 3 <= info["packets"] <= before + 1, (info, before)
    sent = rtp[:info["packets"]]
    assert info["octets"] == sum(12 + len(p.payload) for p in sent), info
    assert info["rtp_timestamp"] == sent[-1].timestamp, (info, sent[-1].timestamp)
    block = report_block(sr.body[20:44])
    assert block["ssrc"] == expected_source, hex(block["ssrc"])
    sdes = [p for p in parts if p.packet_type == RTCP_SDES]
    assert sdes, "SDES passes"
    return block, sdes[0]


def test_transcoded_call_rtcp_describes_each_leg(rtpengine):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    opus = Opus()
    receivers = []
    try:
        call = Call(rtpengine)
        offered = assert_ok(call.offer(OFFER.format(address=CALLER, port=caller.port),
                                       {"codec": {"transcode": ["opus"]}}))
        answered = assert_ok(call.answer(ANSWER.format(address=CALLEE, port=callee.port, opus=96, event=97)))
        to_caller_leg = Sdp(answered["sdp"]).media_address()     # where the caller sends
        to_callee_leg = Sdp(offered["sdp"]).media_address()      # where the callee sends
        caller_rtcp_to = (to_caller_leg[0], to_caller_leg[1] + 1)
        callee_rtcp_to = (to_callee_leg[0], to_callee_leg[1] + 1)
        receivers = [Receiver(s) for s in (caller.rtp, caller.rtcp, callee.rtp, callee.rtcp)]
        caller_rtp, caller_rtcp, callee_rtp, callee_rtcp = receivers
        silence = opus.encode([0] * 960)
        for i in range(PACKETS):
            if 1000 + i not in SKIPPED:
                caller.rtp.send(build_rtp(1000 + i, 160 * i, CALLER_SSRC, 0, b"\xff" * 160), to_caller_leg)
            callee.rtp.send(build_rtp(5000 + i, 960 * i, CALLEE_SSRC, 96, silence), to_callee_leg)
            if i == RTCP_AT:
                heard_by_caller = parse_rtp(caller_rtp.items[-1][1]).ssrc
                heard_by_callee = parse_rtp(callee_rtp.items[-1][1]).ssrc
                caller.rtcp.send(build_rtcp_sr(CALLER_SSRC, 0xe1000000, 0x80000000, 12345, 77, 7777,
                                               [build_report_block(heard_by_caller, 5, 3, 0x10063, 40,
                                                                   0x12345678, 0x10000)])
                                 + build_rtcp_sdes(CALLER_SSRC), caller_rtcp_to)
                callee.rtcp.send(build_rtcp_sr(CALLEE_SSRC, 0xe2000000, 0x40000000, 54321, 88, 8888,
                                               [build_report_block(heard_by_callee, 6, 4, 0x20064, 300,
                                                                   0x23456789, 0x20000)])
                                 + build_rtcp_sdes(CALLEE_SSRC, b"callee@x"), callee_rtcp_to)
            time.sleep(0.02)
        time.sleep(0.3)
        for receiver in receivers:
            receiver.stop()

        # the caller's SR as the callee gets it: about the Opus the relay sends the callee, its
        # report block about the callee's own stream as the relay received it
        block, sdes = check_sr(callee_rtcp.items, callee_rtp.items, (0xe1000000, 0x80000000), CALLEE_SSRC)
        assert 5000 + RTCP_AT - 2 <= block["highest"] <= 5000 + RTCP_AT, block
        assert (block["lost"], block["fraction"]) == (0, 0), block
        assert (block["jitter"], block["lsr"], block["dlsr"]) == (40, 0x12345678, 0x10000), block
        assert sdes.ssrc == CALLER_SSRC

        # the callee's SR as the caller gets it: about the PCMU the relay sends the caller
        block, sdes = check_sr(caller_rtcp.items, caller_rtp.items, (0xe2000000, 0x40000000), CALLER_SSRC)
        assert 1000 + RTCP_AT - 2 <= block["highest"] <= 1000 + RTCP_AT, block
        assert (block["jitter"], block["lsr"], block["dlsr"]) == (300, 0x23456789, 0x20000), block
        assert sdes.ssrc == CALLEE_SSRC
        print("caller's view of its stream: %r" % block)
        if not IS_UPSTREAM:
            # the relay's own reception: the 5 sequence numbers the caller skipped, 5 of 101
            # expected in the first report interval (RFC 3550 A.3: 5 * 256 // 101). 10.5 writes
            # 3 and 3 here whether or not any packet was missing.
            assert (block["lost"], block["fraction"]) == (5, 12), block
        call.delete()
    finally:
        for receiver in receivers:
            receiver.stop()
        opus.close()
        caller.close()
        callee.close()
