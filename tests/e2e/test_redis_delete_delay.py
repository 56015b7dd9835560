"""A whole-call delete waiting for its delete-delay across kill -9 with Redis (docs/redis.md):
the value keeps when the call goes (delete_at_us, wall-clock time); a daemon restarted on the
same Redis relays the call until then and ends it (and deletes the value) when the delay is
over. Debian's 10.5 (measured with this scenario) writes "deleted":"0" in its value after such a
delete and its restored call stays until a timeout ends it."""

import shutil
import signal
import time

import pytest

from calls import assert_ok
from process import wait_until
from rtp import MediaPeer, relay_through, rtp_stream
from test_redis import CALLEE, CALLER, plain_call, redis_server, standby_of, wait_written  # noqa: F401

pytestmark = [
    pytest.mark.upstream_differs("our value schema; 10.5 stores no delete time and keeps the restored call"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed"),
]

DELAY_S = 3


def test_a_delayed_delete_goes_at_its_time_after_kill_9(rtpengine_factory, redis_server):  # noqa: F811
    active = rtpengine_factory("--redis=%s" % redis_server.url(), delete_delay=DELAY_S)
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    try:
        call, to_callee, _ = plain_call(active, caller, callee)
        assert wait_written(client, [call.call_id]), client.keys()
        deleted_at = time.time()
        assert_ok(call.delete())
        assert wait_written(client, [call.call_id], lambda value: value.get("delete_at_us")), \
            client.value(call.call_id)
        due = client.value(call.call_id)["delete_at_us"] / 1e6
        assert deleted_at + DELAY_S - 0.5 <= due <= deleted_at + DELAY_S + 0.5
        active.stop(signal.SIGKILL)
        standby = standby_of(rtpengine_factory, active)
        call.daemon = standby
        assert wait_until(lambda: call.query().get("result") == "ok", 5.0)
        # not gone at once: it relays until the delay is over
        if time.time() < due - 0.5:
            packets = rtp_stream(0x77, 2)
            assert [data for data, _ in relay_through(caller.rtp, to_callee, packets, callee.rtp, 1.0)] == packets
            assert call.query().get("result") == "ok"
        assert wait_until(lambda: call.query().get("result") != "ok", DELAY_S + 3.0)
        assert time.time() >= due - 0.05, "ended %.2f s before its time" % (due - time.time())
        # ended as a delete: the value goes too, nothing is written again
        assert wait_until(lambda: client.value(call.call_id) is None, 3.0)
    finally:
        client.close()
        caller.close()
        callee.close()


def test_a_delayed_delete_already_due_ends_the_restored_call(rtpengine_factory, redis_server):  # noqa: F811
    """The standby starts after the call's time: the call is restored and ends at the standby's
    next one-second check, its value deleted (not kept until a timeout)."""
    active = rtpengine_factory("--redis=%s" % redis_server.url(), delete_delay=1)
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    try:
        call, _, _ = plain_call(active, caller, callee)
        assert wait_written(client, [call.call_id]), client.keys()
        assert_ok(call.delete({"delete-delay": 2}))
        assert wait_written(client, [call.call_id], lambda value: value.get("delete_at_us")), \
            client.value(call.call_id)
        due = client.value(call.call_id)["delete_at_us"] / 1e6
        active.stop(signal.SIGKILL)
        time.sleep(max(0.0, due + 0.2 - time.time()))   # the standby starts after the call's time
        standby = standby_of(rtpengine_factory, active)
        assert standby.wait_for_log(r"redis: call restored")
        call.daemon = standby
        assert wait_until(lambda: client.value(call.call_id) is None, 3.0)
        assert call.query().get("result") != "ok"
    finally:
        client.close()
        caller.close()
        callee.close()


def test_a_delayed_delete_is_written_at_once(rtpengine_factory, redis_server):  # noqa: F811
    """The delete is written when it is scheduled, not at the next one-second check: the delete
    is sent right after such a check (the write of the caller's latch, which only that check
    makes), and its time must be in Redis well before the next one; a kill -9 then keeps it."""
    active = rtpengine_factory("--redis=%s" % redis_server.url(), delete_delay=DELAY_S)
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    try:
        call, to_callee, _ = plain_call(active, caller, callee)
        assert wait_written(client, [call.call_id]), client.keys()
        caller.rtp.send(rtp_stream(0x78, 1)[0], to_callee)
        assert wait_written(client, [call.call_id], lambda value: value["monologues"][0]["media"][0]["streams"][0]
                            ["learned"]), client.value(call.call_id)
        deleted_at = time.time()
        assert_ok(call.delete())
        # within half a second: the one-second check that wrote the latch is not due again
        assert wait_written(client, [call.call_id], lambda value: value.get("delete_at_us"), timeout=0.5), \
            client.value(call.call_id)
        active.stop(signal.SIGKILL)
        due = client.value(call.call_id)["delete_at_us"] / 1e6
        assert deleted_at + DELAY_S - 0.5 <= due <= deleted_at + DELAY_S + 0.5
        standby = standby_of(rtpengine_factory, active)
        call.daemon = standby
        assert wait_until(lambda: call.query().get("result") == "ok", 5.0)
        assert wait_until(lambda: call.query().get("result") != "ok", DELAY_S + 3.0)
        assert time.time() >= due - 0.05, "ended %.2f s before its time" % (due - time.time())
        assert wait_until(lambda: client.value(call.call_id) is None, 3.0)
    finally:
        client.close()
        caller.close()
        callee.close()
