"""DTX on a transcoded call (--dtx-delay, --max-dtx; daemon/relay.c dtx_fire, codec_chain.c):
PCMU -> PCMA through always-transcode. The caller stops sending for 600 ms; with --dtx-delay=60
the relay fills the gap itself, one 20 ms frame per ptime with continuous sequence numbers and
timestamps, silence or, after an RFC 3389 CN packet, noise at its level; the caller's audio that
resumes joins the timeline without a second fill. Without --dtx-delay nothing is sent in the
gap. Runs against both daemons (RTPENGINE_BINARY=/usr/bin/rtpengine)."""

import audioop
import struct
import time

import pytest

from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


def sdp(address, port, payload_types):
    maps = {0: "PCMU/8000", 8: "PCMA/8000", 13: "CN/8000"}
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n"
            % (address, address, port, " ".join(map(str, payload_types)))
            + "".join("a=rtpmap:%d %s\r\n" % (pt, maps[pt]) for pt in payload_types) + "a=sendrecv\r\n")


def run_gap(daemon, send_cn):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(daemon)
        assert_ok(call.offer(sdp(CALLER, caller.port, (0, 8, 13)), {"flags": ["always-transcode"]}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (8,))))
        destination = Sdp(answer["sdp"]).media_address()
        tone = audioop.lin2ulaw(struct.pack("<160h", *([3000, -3000] * 80)), 2)
        for i in range(10):
            caller.rtp.send(build_rtp(100 + i, 160 * i, 0x4242, 0, tone), destination)
            time.sleep(0.02)
        if send_cn:
            caller.rtp.send(build_rtp(110, 1600, 0x4242, 13, bytes([40])), destination)   # -40 dBov
        time.sleep(0.6)
        for i in range(40, 45):
            caller.rtp.send(build_rtp(100 + i - 29, 160 * i, 0x4242, 0, tone), destination)
            time.sleep(0.02)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(100, 1.5)]
        call.delete()
        return got
    finally:
        caller.close()
        callee.close()


def test_no_fill_without_dtx_delay(rtpengine):
    got = run_gap(rtpengine, False)
    assert 13 <= len(got) <= 16, len(got)   # 10 + 5, an encoder may hold none (G.711)


@pytest.mark.parametrize("send_cn", [False, True], ids=["silence", "cn-params"])
def test_dtx_delay_fills_the_gap(rtpengine_factory, send_cn):
    """As 10.5 documents: silence, or with --dtx-cn-params comfort noise of that level (a CN
    packet from the sender does not change what 10.5 fills with)."""
    daemon = rtpengine_factory("--dtx-delay=60", *(["--dtx-cn-params=40"] if send_cn else []))
    got = run_gap(daemon, True)
    assert all(p.payload_type == 8 for p in got)
    levels = [max(abs(x) for x in struct.unpack("<160h", audioop.alaw2lin(p.payload, 2))) for p in got]
    print("peaks", levels, "steps", sorted({(b.timestamp - a.timestamp) & 0xffffffff for a, b in zip(got, got[1:])}))
    tone = [i for i, level in enumerate(levels) if level > 2000]
    assert tone[:10] == list(range(10)), tone
    resumed = tone[10:]
    assert len(resumed) == 5 and resumed == list(range(resumed[0], resumed[0] + 5)), tone
    # about (600 - 60) / 20 frames filled, the resumed audio right after them
    assert 20 <= resumed[0] - 10 <= 32, resumed[0]
    window = got[:resumed[-1] + 1]
    assert all((b.sequence - a.sequence) & 0xffff == 1 for a, b in zip(window, window[1:]))
    assert all((b.timestamp - a.timestamp) & 0xffffffff == 160 for a, b in zip(window, window[1:])), \
        [p.timestamp for p in window]
    # the sender's CN packet (-40 dBov) is one frame of noise: peaks of a few hundred
    assert 50 < levels[10] < 1500, levels[10]
    filled = levels[11:resumed[0]]
    if send_cn:
        # --dtx-cn-params=40: the same noise; neither silence nor the tone
        assert all(50 < level < 1500 for level in filled), filled
    else:
        assert all(level < 50 for level in filled), filled
