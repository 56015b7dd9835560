"""Transcoding across kill -9 with Redis (docs/redis.md): a call whose offer asked for
`codec: {transcode: [PCMA]}` and whose callee answered PCMA only has a codec chain each way
(media_transcode.c). The value keeps each media's chain ("chain"); a daemon restarted on the same
Redis builds them again before its worker sees the streams, so the callee still gets PCMA and
the caller PCMU, the audio intact (decoded samples correlate with what was sent). Only media is
checked, so 10.5 (whose Redis layout is another) runs it too.
"""

import audioop
import math
import shutil
import signal

import pytest

from calls import assert_ok, establish, make_sdp, media_section
from process import wait_until
from rtp import MediaPeer, build_rtp, parse_rtp, relay_through
from test_redis import CALLEE, CALLER, redis_server, standby_of, wait_written  # noqa: F401
from test_transcode import correlation

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed")

EVENT_PT = 101
FRAMES = 10             # 200 ms each way per check


def _sdp(peer, payload_type, name):
    return make_sdp(peer.host, media_section(
        peer.port, payload_types=(payload_type, EVENT_PT),
        attributes=("sendrecv", "rtpmap:%d %s/8000" % (payload_type, name),
                    "rtpmap:%d telephone-event/8000" % EVENT_PT, "fmtp:%d 0-16" % EVENT_PT)))


def _tone(first_frame, frequency):
    """FRAMES x 160 samples of a tone whose level rises, as 16-bit linear samples."""
    count = 160 * FRAMES
    start = 160 * first_frame
    return [int((2000 + 12000 * n / count) * math.sin(2 * math.pi * frequency * (start + n) / 8000))
            for n in range(count)]


def _packets(samples, encode, payload_type, ssrc, first_frame):
    pcm = b"".join(value.to_bytes(2, "little", signed=True) for value in samples)
    return [build_rtp(first_frame + n, 160 * (first_frame + n), ssrc, payload_type=payload_type,
                      payload=encode(pcm[320 * n:320 * (n + 1)], 2))
            for n in range(FRAMES)]


def _received_samples(received, payload_type, decode):
    packets = sorted((parse_rtp(data) for data, _ in received), key=lambda p: p.sequence)
    assert {p.payload_type for p in packets} == {payload_type}, [p.payload_type for p in packets]
    pcm = b"".join(decode(p.payload, 2) for p in packets)
    return [int.from_bytes(pcm[i:i + 2], "little", signed=True) for i in range(0, len(pcm), 2)]


def _check_both_ways(setup, caller, callee, first_frame):
    """The caller's PCMU reaches the callee as PCMA, the callee's PCMA the caller as PCMU."""
    sent = _tone(first_frame, 440)
    got = relay_through(caller.rtp, setup.caller_sends_to,
                        _packets(sent, audioop.lin2ulaw, 0, 0x5151, first_frame), callee.rtp)
    assert len(got) >= FRAMES - 2
    assert correlation(sent, _received_samples(got, 8, audioop.alaw2lin), 400) > 0.9
    sent = _tone(first_frame, 700)
    got = relay_through(callee.rtp, setup.callee_sends_to,
                        _packets(sent, audioop.lin2alaw, 8, 0x6262, first_frame), caller.rtp)
    assert len(got) >= FRAMES - 2
    assert correlation(sent, _received_samples(got, 0, audioop.ulaw2lin), 400) > 0.9


def test_pcmu_pcma_transcoding_survives_kill_9(rtpengine_factory, redis_server):  # noqa: F811
    active = rtpengine_factory("--redis=%s" % redis_server.url())
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    try:
        setup = establish(active, caller, callee, offer_options={"codec": {"transcode": ["PCMA"]}},
                          offer_sdp=_sdp(caller, 0, "PCMU"), answer_sdp=_sdp(callee, 8, "PCMA"))
        _check_both_ways(setup, caller, callee, 0)
        # written (the value after the answer: either layout has the call-id as its key)
        assert wait_written(client, [setup.call.call_id], lambda value: True, 5.0)
        active.stop(signal.SIGKILL)
        standby = standby_of(rtpengine_factory, active)
        setup.call.daemon = standby
        assert wait_until(lambda: standby.ng({"command": "query", "call-id": setup.call.call_id})["result"] == "ok",
                          5.0)
        _check_both_ways(setup, caller, callee, 100)
        assert_ok(setup.call.delete())
    finally:
        client.close()
        caller.close()
        callee.close()
