"""Memory stays flat over many calls: per-call memory is freed in one go when a call ends
(lessons: relays whose memory grows over days)."""

import time

import pytest

from calls import Call, assert_ok, simple_sdp
from rtp import MediaPeer, rtp_stream

CALLER, CALLEE = "127.0.0.2", "127.0.0.3"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def cache_kb(daemon):
    """The retransmission cache keeps every offer/answer/delete reply for 30 s: that memory
    is accounted for, not leaked."""
    control = daemon.ng({"command": "statistics"})["statistics"]["controlstatistics"]
    # reply bytes plus the per-entry cost of the cookie, the hash table and the GString
    return (control["cachedreplybytes"] + 160 * control["cachedreplies"]) // 1024


def run_calls(daemon, count, caller, callee):
    for _ in range(count):
        call = Call(daemon)
        offered = assert_ok(call.offer(simple_sdp(CALLER, caller.port)))
        answered = assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
        assert offered["sdp"] and answered["sdp"]
        assert_ok(call.delete())


@pytest.mark.slow
@pytest.mark.upstream_differs("reads cachedreplies/cachedreplybytes, which upstream does not report")
def test_memory_is_flat_over_many_calls(rtpengine_factory):
    daemon = rtpengine_factory(port_count=200)
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        run_calls(daemon, 500, caller, callee)       # warm-up: allocator pools, caches
        time.sleep(1.5)                              # retired calls are freed within a second
        before = rss_kb(daemon.pid) - cache_kb(daemon)
        run_calls(daemon, 3000, caller, callee)
        time.sleep(1.5)
        after = rss_kb(daemon.pid) - cache_kb(daemon)
    finally:
        caller.close()
        callee.close()
    # 3000 calls of about 3 KB each would be 9 MB if nothing were freed
    print("RSS growth beyond the reply cache: %d KB over 3000 calls" % (after - before))
    assert after - before < 1500, "RSS grew by %d KB over 3000 calls" % (after - before)
