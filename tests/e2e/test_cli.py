"""The CLI socket (--listen-cli) and rtpengine-ctl: every command against the daemon under test,
with the text compared to Debian's rtpengine 10.5 (driven by Debian's Perl rtpengine-ctl) where
it is deterministic; the ng `cli` command; bad input on the CLI socket (garbage, very long
lines, slow clients, too many connections) leaving the daemon and its calls unaffected."""

import os
import re
import socket
import subprocess
import time

import pytest

from calls import simple_sdp
from conftest import IS_UPSTREAM, REFERENCE_BINARY, REPO_ROOT, free_port_range
from process import ManagedProcess, wait_until

OUR_CTL = os.path.abspath(os.environ.get("RTPENGINE_CTL")
                          or os.path.join(REPO_ROOT, "utils", "rtpengine-ctl"))
DEBIAN_CTL = "/usr/bin/rtpengine-ctl"
RUN_LIMIT = 15


def free_tcp_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def ctl(port, *words, program=None):
    """rtpengine-ctl's stdout (text) and exit status for one command."""
    program = program or (OUR_CTL if os.access(OUR_CTL, os.X_OK) else DEBIAN_CTL)
    result = subprocess.run([program, "-ip", "127.0.0.1", "-port", str(port)] + list(words),
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_LIMIT)
    return result.stdout.decode("utf-8", "replace"), result.returncode


def raw_cli(port, data, timeout=3.0):
    """Sends bytes on a fresh connection, returns everything until the daemon closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def offer_answer(daemon, call_id, offer_port=5000, answer_port=6000):
    reply = daemon.ng({"command": "offer", "call-id": call_id, "from-tag": "ft",
                       "sdp": simple_sdp("127.0.0.1", offer_port)})
    assert reply["result"] == "ok", reply
    reply = daemon.ng({"command": "answer", "call-id": call_id, "from-tag": "ft", "to-tag": "tt",
                       "sdp": simple_sdp("127.0.0.1", answer_port)})
    assert reply["result"] == "ok", reply


@pytest.fixture
def cli_daemon(rtpengine_factory):
    """Our daemon (or the reference, when it is the binary under test) with a CLI port."""
    port = free_tcp_port()
    daemon = rtpengine_factory("--listen-cli=127.0.0.1:%d" % port, port_count=100)
    daemon.cli_port = port
    return daemon


class Reference:
    """Debian's rtpengine 10.5 with a CLI port, stopped by PID at teardown."""

    def __init__(self, tmp_path, port_min, port_max):
        self.cli_port = free_tcp_port()
        self.ng_port = free_tcp_port()
        self.process = ManagedProcess(
            [REFERENCE_BINARY, "--config-file=none", "--table=-1", "--foreground", "--log-stderr",
             "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % self.ng_port,
             "--listen-cli=127.0.0.1:%d" % self.cli_port, "--port-min=%d" % port_min,
             "--port-max=%d" % port_max, "--delete-delay=0", "--log-level=7"],
            str(tmp_path / "reference.log"), name="rtpengine-10.5")

    def ready(self):
        def connectable():
            try:
                socket.create_connection(("127.0.0.1", self.cli_port), timeout=0.5).close()
                return True
            except OSError:
                return False
        return self.process.wait_ready(connectable, 10)


@pytest.fixture
def reference(tmp_path):
    if not os.access(REFERENCE_BINARY, os.X_OK) or not os.access(DEBIAN_CTL, os.X_OK):
        pytest.skip("Debian's rtpengine and rtpengine-ctl are not installed")
    port_min, port_max = free_port_range(["127.0.0.1"], 100)
    started = Reference(tmp_path, port_min, port_max)
    assert started.ready(), started.process.describe()
    started.port_min, started.port_max = port_min, port_max
    yield started
    started.process.stop()


def normalise(text):
    """What differs between two runs of the same daemon: times, pids, ports, durations."""
    text = re.sub(r"/proc/\d+/", "/proc/PID/", text)
    text = re.sub(r"\b1[0-9]{9}\b", "TIME", text)
    text = re.sub(r"callduration [0-9.]+", "callduration D", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"(Port range|Ports used|Last port used):.*", r"\1: X", text)
    return text


# Commands whose 10.5 text is deterministic, run in this order on both daemons.
COMPARED_COMMANDS = [
    "list numsessions", "list sessions all", "list sessions own", "list sessions foreign",
    "list counters", "list maxopenfiles", "list maxsessions", "list timeout",
    "list silenttimeout", "list finaltimeout", "list deletedelay", "list transcoders",
    "list interfaces", "list loglevel core", "get maxsessions", "get timeout",
    "set maxsessions 100", "get maxsessions", "set timeout 77", "list timeout",
    "set silenttimeout 99", "list silenttimeout", "set finaltimeout 9", "list finaltimeout",
    "params diff", "params revert", "params diff", "list maxsessions",
    "set deletedelay 5", "list deletedelay",
    "set maxsessions abc", "set timeout", "set", "get", "list", "params", "call", "terminate",
    "list sessions", "get bogus", "set bogus 1", "list bogus", "params bogus", "bogus",
    "terminate nosuch", "list sessions nosuch", "call nosuch info", "debug", "debug nosuch on",
    "kslist", "ksrm 5", "active", "help", "list help", "set help", "get help",
    "terminate all", "terminate own", "terminate foreign",
    # Redis settings at run time (10.5's texts and checks; the values show in params diff;
    # 10.5's diff leaves delete-delay out, hence the revert first)
    "params revert", "list redisallowederrors", "set redisallowederrors 5", "get redisallowederrors",
    "set redisallowederrors -1", "set redisdisabletime 20", "set redisdisabletime -5",
    "list redisdisabletime", "set redisconnecttimeout 500", "set redisconnecttimeout 0",
    "set redisconnecttimeout -3", "list redisconnecttimeout", "set rediscmdtimeout 300",
    "set rediscmdtimeout -3", "list rediscmdtimeout", "set redisallowederrors",
    "params diff", "params revert", "params diff", "list redisconnecttimeout",
    # keyspaces without Redis (10.5 crashes on "ksadd N" without Redis: not compared)
    "ksadd", "ksrm", "ksadd x", "ksrm x", "ksrm 3", "kslist",
]


@pytest.mark.upstream_differs("compares the daemon under test with 10.5")
def test_cli_text_matches_upstream(cli_daemon, reference):
    if not os.access(OUR_CTL, os.X_OK):
        pytest.skip("utils/rtpengine-ctl is not built")
    differences = []
    for command in COMPARED_COMMANDS:
        ours, our_status = ctl(cli_daemon.cli_port, *command.split(), program=OUR_CTL)
        theirs, their_status = ctl(reference.cli_port, *command.split(), program=DEBIAN_CTL)
        assert our_status == their_status == 0, (command, ours, theirs)
        if normalise(ours) != normalise(theirs):
            differences.append("%s:\n  ours:   %r\n  10.5:   %r" % (command, ours, theirs))
    assert not differences, "\n".join(differences)


@pytest.mark.upstream_differs("compares the daemon under test with 10.5")
def test_cli_sessions_with_a_call_match_upstream(cli_daemon, reference):
    from ng import NgClient
    reference_ng = NgClient(reference.ng_port)

    class ReferenceDaemon:
        def ng(self, message):
            return reference_ng.request(message, 3)
    try:
        offer_answer(cli_daemon, "cli-call")
        offer_answer(ReferenceDaemon(), "cli-call")
        for command in ("list numsessions", "list sessions all", "list sessions own",
                        "list sessions cli-call", "call cli-call info", "debug cli-call",
                        "debug cli-call off", "debug cli-call enable", "debug cli-call disable",
                        "debug cli-call maybe", "call cli-call debug on", "call cli-call debug",
                        "call cli-call debug off", "debug cli-call on off"):
            ours, _ = ctl(cli_daemon.cli_port, *command.split(), program=OUR_CTL)
            theirs, _ = ctl(reference.cli_port, *command.split(), program=DEBIAN_CTL)
            assert normalise(ours) == normalise(theirs), (command, ours, theirs)
    finally:
        reference_ng.close()


def test_cli_lists_and_terminates_a_call(cli_daemon):
    offer_answer(cli_daemon, "cli-one")
    text, status = ctl(cli_daemon.cli_port, "list", "numsessions")
    assert status == 0 and "Current sessions own: 1\n" in text
    text, _ = ctl(cli_daemon.cli_port, "list", "sessions", "all")
    assert re.match(r"callid: +cli-one \| deletionmark:  no \| created: +\d+ \| proxy:127\.0\.0\.1:\d+ \|", text)
    text, _ = ctl(cli_daemon.cli_port, "list", "sessions", "cli-one")
    assert "--- Tag 'ft', type: FROM_TAG" in text and "127.0.0.1:5000 " in text, text
    assert "127.0.0.1:6001  (RTCP)" in text, text
    text, _ = ctl(cli_daemon.cli_port, "terminate", "cli-one")
    assert "successfully terminated by operator" in text
    assert cli_daemon.ng({"command": "query", "call-id": "cli-one"})["result"] == "error"
    statistics = cli_daemon.ng({"command": "statistics"})["statistics"]
    assert statistics["totalstatistics"]["forcedterminatedsessions"] == 1
    assert statistics["currentstatistics"]["sessionstotal"] == 0
    text, _ = ctl(cli_daemon.cli_port, "list", "sessions", "all")
    assert text == "No sessions on this media relay.\n"


def test_cli_terminate_all(cli_daemon):
    for number in range(3):
        offer_answer(cli_daemon, "cli-all-%d" % number, 5000 + 10 * number, 6000 + 10 * number)
    text, _ = ctl(cli_daemon.cli_port, "terminate", "all")
    assert text == "All calls terminated by operator.\n"
    text, _ = ctl(cli_daemon.cli_port, "list", "numsessions")
    assert "Current sessions total: 0\n" in text
    totals, _ = ctl(cli_daemon.cli_port, "list", "totals")
    assert re.search(r" Total forced terminated sessions +:3\n", totals), totals


def test_cli_set_changes_the_running_daemon(cli_daemon):
    text, _ = ctl(cli_daemon.cli_port, "set", "maxsessions", "0")
    assert text == "Success setting maxsessions to 0\n"
    reply = cli_daemon.ng({"command": "offer", "call-id": "cli-limit", "from-tag": "ft",
                           "sdp": simple_sdp("127.0.0.1", 5000)})
    assert reply["result"] == "error" and "limit" in reply["error-reason"], reply
    text, _ = ctl(cli_daemon.cli_port, "params", "diff")
    assert text == "max-sessions: -1 => 0\n"
    text, _ = ctl(cli_daemon.cli_port, "params", "revert")
    text, _ = ctl(cli_daemon.cli_port, "params", "diff")
    assert text == ""
    offer_answer(cli_daemon, "cli-limit")


@pytest.mark.upstream_differs("10.5 lacks these loglevel and refusal texts")
def test_cli_loglevel_and_refusals(cli_daemon):
    text, _ = ctl(cli_daemon.cli_port, "set", "loglevel", "5")
    assert text == "Success setting loglevel to 5\n"
    text, _ = ctl(cli_daemon.cli_port, "list", "loglevel")
    assert "core = 5\n" in text and "control = 5\n" in text
    text, _ = ctl(cli_daemon.cli_port, "params", "current")
    assert "log-level-core = 5\n" in text
    text, _ = ctl(cli_daemon.cli_port, "set", "loglevel", "9")
    assert "Fail setting loglevel to 9" in text
    for command in ("standby", "list maxcpu", "set offertimeout 5"):
        text, status = ctl(cli_daemon.cli_port, *command.split())
        assert status == 0 and "is not supported by this relay" in text, (command, text)


@pytest.mark.upstream_differs("the ng cli command came after 10.5")
def test_ng_cli_command_gives_the_cli_text(cli_daemon):
    offer_answer(cli_daemon, "ng-cli")
    reply = cli_daemon.ng({"command": "cli", "instruction": "list numsessions"})
    assert reply["result"] == "ok", reply
    text, _ = ctl(cli_daemon.cli_port, "list", "numsessions")
    assert reply["response"] == text
    reply = cli_daemon.ng({"command": "cli", "instruction": "terminate ng-cli"})
    assert "successfully terminated" in reply["response"]
    assert cli_daemon.ng({"command": "cli"})["result"] == "error"


@pytest.mark.upstream_differs("our bounds: 5 s per request, 16 connections, 4 KB lines")
def test_cli_bad_input_leaves_daemon_and_calls_alone(cli_daemon):
    offer_answer(cli_daemon, "survivor")
    port = cli_daemon.cli_port
    assert raw_cli(port, b"\xff\x01 garbage \x00 more\n").startswith(b"Unknown or incomplete command::")
    assert raw_cli(port, b"\n") == b"More parameters required.\n"
    assert raw_cli(port, b"list numsessions\r\n").startswith(b"Current sessions own: 1\n")
    # a line longer than the limit: an error, then the connection closes
    assert raw_cli(port, b"x" * 100000, timeout=5) == b"Command line too long\n"
    # too many words
    assert b"more than" in raw_cli(port, b"list " + b"a " * 100 + b"\n")
    # slow clients: a connection that never completes its line is closed after 5 s; while
    # they wait, more connections than the limit are refused and ng is answered at once
    slow = []
    try:
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"li")
            slow.append(sock)
        started = time.monotonic()
        assert cli_daemon.ng({"command": "ping"})["result"] == "pong"
        assert time.monotonic() - started < 1
        closed = 0
        for sock in slow:
            sock.settimeout(10)
            try:
                data = sock.recv(100)
            except OSError:
                data = b""
            closed += data == b""
        assert closed == 20
        assert time.monotonic() - started < 9
    finally:
        for sock in slow:
            sock.close()
    text, _ = ctl(port, "list", "sessions", "all")
    assert "survivor" in text
    assert cli_daemon.ng({"command": "query", "call-id": "survivor"})["result"] == "ok"
    assert cli_daemon.alive()


@pytest.mark.upstream_differs("10.5 listens on every address for a bare CLI port")
def test_cli_bare_port_listens_on_loopback(rtpengine_factory):
    port = free_tcp_port()
    daemon = rtpengine_factory("--listen-cli=%d" % port)
    assert wait_until(lambda: re.search(r"listening for CLI on 127\.0\.0\.1:%d" % port, daemon.log_text()), 5)
    text, _ = ctl(port, "list", "maxsessions")
    assert text == "Maximum sessions configured on rtpengine: -1\n"


@pytest.mark.skipif(IS_UPSTREAM, reason="our rtpengine-ctl only")
def test_our_ctl_reports_errors():
    if not os.access(OUR_CTL, os.X_OK):
        pytest.skip("utils/rtpengine-ctl is not built")
    result = subprocess.run([OUR_CTL, "-ip", "127.0.0.1", "-port", str(free_tcp_port()), "list", "totals"],
                            capture_output=True, timeout=RUN_LIMIT)
    assert result.returncode != 0 and b"Cannot connect" in result.stderr
    result = subprocess.run([OUR_CTL], capture_output=True, timeout=RUN_LIMIT)
    assert result.returncode == 1 and b"rtpengine-ctl" in result.stdout
