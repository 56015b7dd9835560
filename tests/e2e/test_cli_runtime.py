"""CLI commands that change the running daemon beyond `set`/`params`: per-call debug logging
(`debug CALLID on|off`), Redis keyspace subscriptions at run time (`ksadd`/`ksrm`/`kslist`,
with a real redis-server on loopback) and the Redis settings `set` changes. Texts are 10.5's
(test_cli.py compares them side by side); here: that they take effect."""

import os

import pytest

from calls import simple_sdp
from ports import free_tcp_port
from process import wait_until
from test_cli import OUR_CTL, ctl
from test_redis import CALLEE, CALLER, DB, MediaPeer, plain_call, redis_server  # noqa: F401


@pytest.fixture(autouse=True)
def need_ctl():
    if not os.access(OUR_CTL, os.X_OK):
        pytest.skip("utils/rtpengine-ctl is not built")


def offer(daemon, call_id, port):
    reply = daemon.ng({"command": "offer", "call-id": call_id, "from-tag": "ft",
                       "sdp": simple_sdp("127.0.0.1", port)})
    assert reply["result"] == "ok", reply


@pytest.mark.upstream_differs("10.5's log lines differ; the CLI texts are compared in test_cli.py")
def test_debug_logs_one_call_whatever_the_level(rtpengine_factory):
    cli_port = free_tcp_port()
    daemon = rtpengine_factory("--listen-cli=127.0.0.1:%d" % cli_port, "--log-level=5")
    offer(daemon, "debugged", 5000)
    offer(daemon, "quiet", 5002)
    assert ctl(cli_port, "debug", "debugged", "on") == ("Enabled debugging for call 'debugged'\n", 0)
    for call_id in ("debugged", "quiet"):
        assert daemon.ng({"command": "query", "call-id": call_id})["result"] == "ok"
    # the INFO line of the debugged call's query is written at level 5, the other call's not
    assert daemon.wait_for_log(r"\[INFO\]: \[debugged\]: Received command 'query'")
    assert "[quiet]: Received command" not in daemon.log_text()
    assert ctl(cli_port, "call", "debugged", "debug", "off") == ("Disabled debugging for call 'debugged'\n", 0)
    assert daemon.ng({"command": "query", "call-id": "debugged"})["result"] == "ok"
    assert daemon.ng({"command": "ping"})["result"] == "pong"
    assert daemon.log_text().count("[debugged]: Received command 'query'") == 1
    # debugging ends with the call: a new call of the same call-id is not debugged
    assert ctl(cli_port, "debug", "debugged")[0] == "Enabled debugging for call 'debugged'\n"
    assert daemon.ng({"command": "delete", "call-id": "debugged"})["result"] == "ok"
    offer(daemon, "debugged", 5004)
    assert daemon.ng({"command": "query", "call-id": "debugged"})["result"] == "ok"
    assert daemon.ng({"command": "ping"})["result"] == "pong"
    assert daemon.log_text().count("[debugged]: Received command 'query'") == 1
    assert ctl(cli_port, "debug", "nosuch", "on") == ("Call ID 'nosuch' not found\n", 0)


@pytest.mark.upstream_differs("10.5 crashes on ksadd without Redis")
def test_ksadd_without_redis_says_why(rtpengine_factory):
    cli_port = free_tcp_port()
    rtpengine_factory("--listen-cli=127.0.0.1:%d" % cli_port)
    assert ctl(cli_port, "ksadd", "3") == (
        "Fail adding keyspace 3 to redis notifications; no Redis configured (--redis)\n", 0)
    assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n\n"


def test_ksadd_and_ksrm_follow_a_keyspace_at_run_time(rtpengine_factory, redis_server):  # noqa: F811
    client = redis_server.client()
    client.command("CONFIG", "SET", "notify-keyspace-events", "K$gx")
    owner = rtpengine_factory("--redis=%s" % redis_server.url(), port_count=40)
    cli_port = free_tcp_port()

    def argv(ng_port, port_min, port_max):
        args = [arg for arg in owner.argv[1:] if not arg.startswith(("--listen-ng=", "--interface=", "--redis="))]
        return args + ["--listen-ng=127.0.0.1:%d" % ng_port, "--interface=127.0.0.3",
                       "--redis=%s" % redis_server.url(DB + 1), "--listen-cli=127.0.0.1:%d" % cli_port]
    follower = rtpengine_factory(argv_builder=argv)
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)

    def known_to_follower(call_id):
        return follower.ng({"command": "query", "call-id": call_id}).get("result") == "ok"
    try:
        assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n\n"
        assert ctl(cli_port, "ksadd", str(DB)) == ("Success adding keyspace %d to redis notifications.\n" % DB, 0)
        assert ctl(cli_port, "ksadd", str(DB)) == ("Keyspace %d is already among redis notifications.\n" % DB, 0)
        assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n%d \n" % DB
        assert "keyspace[0] = %d \n" % DB in ctl(cli_port, "params", "current")[0]
        # the subscription is live once the keyspace connection is up: a new call of the owner
        # reaches the follower (retry the call-id until one does: connecting takes a moment)
        first, _, _ = plain_call(owner, caller, callee)
        assert wait_until(lambda: known_to_follower(first.call_id), 5.0), follower.log_text()[-2000:]
        assert "foreign:yes" in ctl(cli_port, "list", "sessions", "foreign")[0]
        assert ctl(cli_port, "ksrm", str(DB)) == (
            "Successfully unsubscribed from keyspace %d.\nSuccessfully removed all foreign calls for keyspace %d.\n"
            % (DB, DB), 0)
        assert not known_to_follower(first.call_id)
        assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n\n"
        # unsubscribed: the owner's next call stays away
        caller2, callee2 = MediaPeer(CALLER), MediaPeer(CALLEE)
        try:
            second, _, _ = plain_call(owner, caller2, callee2)
            assert not wait_until(lambda: known_to_follower(second.call_id), 1.0)
        finally:
            caller2.close()
            callee2.close()
        assert ctl(cli_port, "ksrm", str(DB)) == ("Keyspace %d is not among redis notifications.\n" % DB, 0)
    finally:
        client.close()
        caller.close()
        callee.close()


@pytest.mark.upstream_differs("10.5 takes a word that is no number for 0")
def test_set_redis_parameters(rtpengine_factory):
    cli_port = free_tcp_port()
    rtpengine_factory("--listen-cli=127.0.0.1:%d" % cli_port, "--redis-disable-time=7")
    assert ctl(cli_port, "set", "redisdisabletime", "x") == (
        "Fail setting redis-disable-time to x; no digists found\n", 0)
    assert ctl(cli_port, "set", "redisdisabletime", "3") == ("Success setting redis-disable-time to 3\n", 0)
    assert ctl(cli_port, "get", "redisdisabletime")[0] == "3\n"
    assert "redis_disable_time = 3\n" in ctl(cli_port, "params", "current")[0]
    assert "redis_disable_time = 7\n" in ctl(cli_port, "params", "start")[0]
    assert ctl(cli_port, "params", "diff")[0] == "redis_disable_time: 7 => 3\n"


@pytest.mark.upstream_differs("10.5's log lines differ")
def test_ng_debug_flag_debugs_the_call(rtpengine_factory):
    daemon = rtpengine_factory("--log-level=5")
    reply = daemon.ng({"command": "offer", "call-id": "flagged", "from-tag": "ft", "flags": ["debug"],
                       "sdp": simple_sdp("127.0.0.1", 5000)})
    assert reply["result"] == "ok" and "warning" not in reply, reply
    offer(daemon, "plain", 5002)
    for call_id in ("flagged", "plain"):
        assert daemon.ng({"command": "query", "call-id": call_id})["result"] == "ok"
    assert daemon.wait_for_log(r"\[flagged\]: Received command 'query'")
    assert "[plain]: Received command" not in daemon.log_text()
