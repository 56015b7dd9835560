"""Requests of upstream's t/auto-daemon-tests-dtx.pl (tag mr10.5.3.5, issue 15): the daemon runs
with --silence-detect=1 --dtx-delay=10; an AMR-WB caller (octet-aligned) is transcoded to a PCMA
callee, stops sending (DTX) and resumes, with and without a jump in its RTP timestamps.

Measured here: neither daemon can encode AMR-WB with this libavcodec (decode only), so 10.5
does not set up the transcoding at all: it answers the AMR-WB caller with the callee's PCMA
and passes the AMR-WB frames through untouched, and with nothing transcoded there is no DTX
fill in the gap. Ours does the same; the scenarios pin that down (on a build with an AMR-WB
encoder the expected output must be measured again). DTX fills on a transcoded call are
compared with 10.5 in test_dtx.py (PCMU -> PCMA).

Each scenario runs against the daemon under test; the expected SDPs and media are what Debian's
10.5 gives for the same requests (RTPENGINE_BINARY=/usr/bin/rtpengine runs the same file). The
SDP bodies and the AMR-WB frames are our own (12.65 kbit/s frames of pseudo-random bits: neither
daemon here can encode AMR-WB, both decode it with libavcodec); media is compared as payload
type, sequence and timestamp steps and counts, not as PCM bytes or exact times.

Left out, where ours still differs:
- "AMR w DTMF" and "AMR w reverse DTMF" (AMR-WB with RFC 4733 events to G.722, single codec,
  a new SSRC mid-call): they need an AMR-WB encoder for the other direction, which this build
  of libavcodec lacks (ours and 10.5 both list AMR as decode-only), so neither can run them here.
"""

import hashlib
import re
import time

import pytest

from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
DAEMON_OPTIONS = ("--silence-detect=1", "--dtx-delay=10")


def body(origin, port, formats, *lines):
    return "\r\n".join(["v=0", "o=- 5012774 1 IN IP4 %s" % origin, "s=dtx probe", "t=0 0",
                        "m=audio %d RTP/AVP %s" % (port, formats), "c=IN IP4 %s" % origin] + list(lines)) + "\r\n"


def normalise(text):
    text = re.sub(r"(?m)^m=(\w+) \d+", r"m=\1 PORT", text)
    text = re.sub(r"(?m)^a=rtcp:\d+", "a=rtcp:PORT", text)
    return [line for line in text.split("\r\n") if line]


def amr_wb_frame(index):
    """One octet-aligned AMR-WB frame (RFC 4867 section 4.4): CMR 15 (none), a TOC for mode 2
    (12.65 kbit/s, 253 bits in 32 bytes), speech bits of our own."""
    return b"\xf0\x14" + hashlib.sha256(b"dtx probe frame %d" % index).digest()


OFFER_OPTIONS = {"ICE": "remove", "replace": ["origin"],
                 "codec": {"transcode": ["PCMA"], "set": ["AMR-WB/16000/1/23850"]}}


def dtx_call(daemon, caller, callee):
    call = Call(daemon)
    offer = assert_ok(call.offer(body(CALLER, caller.port, "96", "a=rtpmap:96 AMR-WB/16000",
                                      "a=fmtp:96 octet-align=1", "a=sendrecv"), OFFER_OPTIONS))
    answer = assert_ok(call.answer(body(CALLEE, callee.port, "8", "a=sendrecv"),
                                   {"ICE": "remove", "replace": ["origin"]}))
    return call, normalise(offer["sdp"]), normalise(answer["sdp"]), Sdp(answer["sdp"]).media_address()


def collect(peer, count, timeout):
    return [parse_rtp(data) for data, _ in peer.rtp.receive_all(count, timeout)]


def run_dtx(daemon, resume_timestamp_step):
    """Two frames 20 ms apart, silence (the relay fills it after --dtx-delay), two more frames
    whose timestamps continue (step 320 at 16 kHz) or jump; what the callee gets, as steps."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, offer_sdp, answer_sdp, to_callee = dtx_call(daemon, caller, callee)
        for i in range(2):
            caller.rtp.send(build_rtp(3300 + i, 9000 + 320 * i, 0x2c2c2c2c, 96, amr_wb_frame(i)), to_callee)
            time.sleep(0.02)
        before_gap = collect(callee, 2, 1.0)
        # the caller is quiet: 10.5 and ours fill the gap with one frame per 20 ms
        in_gap = collect(callee, 3, 1.0)
        resumed_at = 9000 + 320 + resume_timestamp_step
        for i in range(2):
            caller.rtp.send(build_rtp(3302 + i, resumed_at + 320 * i, 0x2c2c2c2c, 96, amr_wb_frame(2 + i)), to_callee)
            time.sleep(0.02)
        after = collect(callee, 2, 1.0)
        call.delete()
        packets = before_gap + in_gap + after
        first = packets[0] if packets else None
        media = [(p.payload_type, (p.sequence - first.sequence) & 0xffff, (p.timestamp - first.timestamp) & 0xffffffff,
                  len(p.payload), p.ssrc == first.ssrc) for p in packets]
        return [offer_sdp, answer_sdp, [len(before_gap), len(in_gap), len(after)], media]
    finally:
        caller.close()
        callee.close()


EXPECTED = {
    'amr-sid': [
        ['v=0', 'o=- 5012774 1 IN IP4 127.0.0.1', 's=dtx probe', 't=0 0', 'm=audio PORT RTP/AVP 96 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:96 AMR-WB/16000', 'a=fmtp:96 octet-align=1', 'a=rtpmap:8 PCMA/8000',
         'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 5012774 1 IN IP4 127.0.0.1', 's=dtx probe', 't=0 0', 'm=audio PORT RTP/AVP 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [2, 0, 2],
        [(96, 0, 0, 34, True), (96, 1, 320, 34, True), (96, 2, 6720, 34, True), (96, 3, 7040, 34, True)],
    ],
    'amr-sid-timestamp-gap': [
        ['v=0', 'o=- 5012774 1 IN IP4 127.0.0.1', 's=dtx probe', 't=0 0', 'm=audio PORT RTP/AVP 96 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:96 AMR-WB/16000', 'a=fmtp:96 octet-align=1', 'a=rtpmap:8 PCMA/8000',
         'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 5012774 1 IN IP4 127.0.0.1', 's=dtx probe', 't=0 0', 'm=audio PORT RTP/AVP 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [2, 0, 2],
        [(96, 0, 0, 34, True), (96, 1, 320, 34, True), (96, 2, 640, 34, True), (96, 3, 960, 34, True)],
    ],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_requests_as_10_5(rtpengine_factory, name):
    step = {"amr-sid": 20 * 320, "amr-sid-timestamp-gap": 320}[name]
    assert run_dtx(rtpengine_factory(*DAEMON_OPTIONS), step) == EXPECTED[name]
