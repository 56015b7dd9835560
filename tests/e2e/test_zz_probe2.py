import math, time, struct
import pytest
from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp
from dtmf_tones import ulaw, events_of, durations
from test_dtmf_flags import CALLER, CALLEE, sdp, send_audio, peers

@pytest.mark.parametrize("case", ["digits", "queue", "default", "int", "pause", "short"])
def test_probe(rtpengine_factory, peers, case):
    d = rtpengine_factory()
    caller, callee = peers
    call = Call(d)
    fl = {"flags": ["inject-DTMF"]}
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, 101)), fl))
    a = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 101)), fl))
    dst = Sdp(a["sdp"]).media_address()
    audio = ulaw([int(1000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160 * 120)])
    send_audio(caller, dst, audio[:160 * 10])
    cmds = {"digits": [{"code": "123", "duration": 100}],
            "queue": [{"code": "1", "duration": 100}, {"code": "2", "duration": 100}],
            "default": [{"code": "5"}],
            "int": [{"code": 12, "duration": 100}],
            "pause": [{"code": "1", "duration": 100, "pause": 200}, {"code": "2", "duration": 100, "pause": 200}],
            "short": [{"code": "3", "duration": 40, "volume": 3}]}[case]
    for c in cmds:
        r = call.command("play DTMF", **dict(c, **{"from-tag": call.from_tag}))
        print("\nreply", case, c, r)
    send_audio(caller, dst, audio[160 * 10:], first=10)
    got = sorted((parse_rtp(x) for x, _ in callee.rtp.receive_all(140, 2.0)), key=lambda p: p.sequence)
    base = got[0].timestamp
    print("\nseq", case, "".join("E" if p.payload_type == 101 else "a" for p in got))
    print("\nevents", case, [(p.timestamp - base, p.payload.hex()) for p in events_of(got, 101)])
    call.delete()
