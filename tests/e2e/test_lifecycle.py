"""Call lifetime (timeouts, delete-delay), port exhaustion and process signals."""

import os
import signal
import time

import pytest

from calls import (Call, Sdp, assert_error, assert_ok, establish, simple_sdp,
                   udp_port_bindable, wait_until)
from rtp import build_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


def listed_calls(daemon):
    return assert_ok(daemon.ng({"command": "list"}))["calls"]


def total_statistics(daemon):
    return daemon.ng({"command": "statistics"})["statistics"]["totalstatistics"]


# ---------------------------------------------------------------- timeouts

def test_timeout_deletes_call_without_media(rtpengine_factory, media_peer):
    daemon = rtpengine_factory(timeout=2)
    setup = establish(daemon, media_peer(CALLER), media_peer(CALLEE))
    started = time.monotonic()
    assert listed_calls(daemon) == [setup.call.call_id]
    assert wait_until(lambda: listed_calls(daemon) == [], timeout=8), \
        "call still there %.1f s after a 2 s timeout" % (time.monotonic() - started)
    assert time.monotonic() - started >= 1.0, "deleted before the timeout could expire"
    assert total_statistics(daemon)["timeoutsessions"] == 1
    assert_error(setup.call.query())


@pytest.mark.slow
def test_media_keeps_call_alive_past_timeout(rtpengine_factory, media_peer):
    daemon = rtpengine_factory("--endpoint-learning=immediate", timeout=2)
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(daemon, caller, callee)
    deadline = time.monotonic() + 4.5
    sequence = 0
    while time.monotonic() < deadline:  # bounded: 4.5 s of 50 ms packets in each direction
        sequence += 1
        caller.rtp.send(build_rtp(sequence, sequence * 160, 0x1), setup.caller_sends_to)
        callee.rtp.send(build_rtp(sequence, sequence * 160, 0x2), setup.callee_sends_to)
        time.sleep(0.05)  # packet pacing, not a wait for a condition
    assert listed_calls(daemon) == [setup.call.call_id]
    caller.rtp.drain()
    callee.rtp.drain()
    # once media stops the timeout applies again
    assert wait_until(lambda: listed_calls(daemon) == [], timeout=8)


def test_delete_delay_keeps_call_briefly(rtpengine_factory, media_peer):
    daemon = rtpengine_factory(delete_delay=2)
    setup = establish(daemon, media_peer(CALLER), media_peer(CALLEE))
    assert_ok(setup.call.delete())
    deleted_at = time.monotonic()
    assert listed_calls(daemon) == [setup.call.call_id]
    assert_ok(setup.call.query())
    assert wait_until(lambda: listed_calls(daemon) == [], timeout=8)
    assert time.monotonic() - deleted_at >= 0.5
    assert_error(setup.call.query())


def test_delete_delay_zero_deletes_at_once(rtpengine_factory, media_peer):
    daemon = rtpengine_factory(delete_delay=0)
    setup = establish(daemon, media_peer(CALLER), media_peer(CALLEE))
    assert_ok(setup.call.delete())
    assert listed_calls(daemon) == []


def test_delete_delay_per_request(rtpengine_factory, media_peer):
    """The delete command's own "delete delay" overrides the daemon default."""
    daemon = rtpengine_factory(delete_delay=0)
    setup = establish(daemon, media_peer(CALLER), media_peer(CALLEE))
    assert_ok(setup.call.delete({"delete delay": 2}))
    assert listed_calls(daemon) == [setup.call.call_id]
    assert wait_until(lambda: listed_calls(daemon) == [], timeout=8)


@pytest.mark.parametrize("request_after_delete", ["offer", "answer"])
def test_signalling_cancels_delayed_delete(rtpengine_factory, media_peer, request_after_delete):
    """An offer or an answer after a delayed delete keeps the call (re-INVITE, late answer)."""
    daemon = rtpengine_factory(delete_delay=1)
    setup = establish(daemon, media_peer(CALLER), media_peer(CALLEE))
    assert_ok(setup.call.delete())
    if request_after_delete == "offer":
        assert_ok(setup.call.offer(simple_sdp(CALLER, 30000)))
    else:
        assert_ok(setup.call.answer(simple_sdp(CALLEE, 30010)))
    # the delay is 1 s and the timer runs once a second: gone within 2 s unless revived
    assert not wait_until(lambda: listed_calls(daemon) == [], timeout=3)
    assert_ok(setup.call.query())


# ---------------------------------------------------------------- port exhaustion

def test_port_exhaustion(rtpengine_factory):
    daemon = rtpengine_factory(port_count=8)
    calls, error = [], None
    for _ in range(8):  # each offer needs 4 ports (RTP+RTCP on both sides): bounded
        call = Call(daemon)
        reply = call.offer(simple_sdp(CALLER, 30000))
        if reply.get("result") != "ok":
            error = reply
            break
        calls.append(call)
    assert error is not None, "%d offers fit into 8 ports" % len(calls)
    assert_error(error)
    assert 1 <= len(calls) <= 2
    assert daemon.ng({"command": "ping"}) == {"result": "pong"}
    # the failed offer left no half-made call behind
    assert sorted(listed_calls(daemon)) == sorted(call.call_id for call in calls)
    # deleting frees ports for a new call (the release may lag the delete reply a little)
    assert_ok(calls[0].delete())
    assert wait_until(lambda: daemon.ng({"command": "statistics"})["statistics"]
                      ["interfaces"][0]["ports"]["free"] >= 4, timeout=5)
    again = Call(daemon)
    offered = Sdp(assert_ok(again.offer(simple_sdp(CALLER, 30000)))["sdp"])
    assert daemon.port_min <= offered.medias[0].port <= daemon.port_max


def test_failed_offer_counts_as_ended_session(rtpengine_factory):
    """managedsessions counts calls that have ended: a call whose first offer failed is one
    (with no termination reason, no duration), a live call is not yet."""
    daemon = rtpengine_factory(port_count=6)
    live = Call(daemon)
    assert_ok(live.offer(simple_sdp(CALLER, 30000)))
    assert_error(Call(daemon).offer(simple_sdp(CALLER, 30000)))  # 4 ports per offer: 2 left
    statistics = daemon.ng({"command": "statistics"})["statistics"]
    assert statistics["currentstatistics"]["sessionsown"] == 1
    total = statistics["totalstatistics"]
    assert total["managedsessions"] == 1
    for reason in ("regularterminatedsessions", "forcedterminatedsessions", "timeoutsessions",
                   "silenttimeoutsessions", "finaltimeoutsessions"):
        assert total[reason] == 0, reason
    assert float(total["totalcallsduration"]) == 0
    assert_ok(live.delete())
    assert total_statistics(daemon)["managedsessions"] == 2


def test_ports_stay_in_range(rtpengine_factory):
    daemon = rtpengine_factory(port_count=20)
    for _ in range(4):
        call = Call(daemon)
        offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, 30000)))["sdp"])
        answered = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, 30010)))["sdp"])
        for sdp in (offered, answered):
            port = sdp.medias[0].port
            assert daemon.port_min <= port and port + 1 <= daemon.port_max


# ---------------------------------------------------------------- signals

def _relay_ports(setup):
    ports = []
    for address, port in (setup.caller_sends_to, setup.callee_sends_to):
        ports += [(address, port), (address, port + 1)]
    return ports


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_cleanly_and_frees_ports(rtpengine_factory, media_peer, sig):
    daemon = rtpengine_factory(pidfile=True)
    assert wait_until(lambda: os.path.exists(daemon.pidfile), timeout=5)
    with open(daemon.pidfile) as handle:
        assert int(handle.read().strip()) == daemon.pid
    setup = establish(daemon, media_peer(CALLER), media_peer(CALLEE))
    ports = _relay_ports(setup)
    assert not any(udp_port_bindable(*address) for address in ports), \
        "relay ports should be in use while the call exists"
    started = time.monotonic()
    assert daemon.stop(sig, timeout=5) == 0
    assert time.monotonic() - started < 5
    assert all(udp_port_bindable(*address) for address in ports)
    assert udp_port_bindable("127.0.0.1", daemon.ng_port)


@pytest.mark.upstream_differs("upstream 10.5 leaves its pidfile behind on SIGTERM")
def test_sigterm_removes_pidfile(rtpengine_factory):
    daemon = rtpengine_factory(pidfile=True)
    assert wait_until(lambda: os.path.exists(daemon.pidfile), timeout=5)
    assert daemon.stop(signal.SIGTERM) == 0
    assert not os.path.exists(daemon.pidfile)


def test_sighup_does_not_kill(rtpengine_factory):
    """Log rotation tools send SIGHUP; the relay must keep running."""
    daemon = rtpengine_factory()
    os.kill(daemon.pid, signal.SIGHUP)
    assert daemon.ng({"command": "ping"}) == {"result": "pong"}
    assert daemon.alive()
