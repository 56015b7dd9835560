"""The TCP control protocol of the old SER mediaproxy-ng module on --listen-tcp (-l): request and
lookup set up a call whose media is relayed, status, delete, version, controls; the replies
compared line by line with Debian's 10.5; bad input (garbage, long lines, slow clients, too
many connections) leaves the daemon and its calls unaffected."""

import os
import re
import socket
import time

import pytest

from conftest import REFERENCE_BINARY
from ports import free_tcp_port
from process import wait_until
from rtp import relay_through, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


def command(port, data, timeout=5.0):
    """Sends data on a new connection; returns what comes back until the daemon closes it
    (None if it does not within timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data if isinstance(data, bytes) else data.encode())
        received = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            connection.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = connection.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk
        return None


def request_line(verb, call_id, streams, info):
    return "%s %s %s 127.0.0.1 example.org from example.org to agent/1.0 info=%s\n" % (
        verb, call_id, streams, info)


@pytest.fixture
def control(rtpengine_factory):
    port = free_tcp_port()
    daemon = rtpengine_factory("--listen-tcp=127.0.0.1:%d" % port, "--endpoint-learning=immediate")
    daemon.tcp_port = port
    return daemon


def relay_pair(reply):
    match = re.fullmatch(rb"(\S+) (\d+)\n", reply or b"")
    assert match, reply
    return match.group(1).decode(), int(match.group(2))


def test_request_lookup_relay_media_then_delete(control, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    streams = "%s:%d" % (caller.host, caller.port)
    callee_side = relay_pair(command(control.tcp_port, request_line("request", "tcp-call", streams, "fromtag:ft")))
    # the same request again keeps its port
    assert relay_pair(command(control.tcp_port, request_line("request", "tcp-call", streams, "fromtag:ft"))) \
        == callee_side
    caller_side = relay_pair(command(control.tcp_port, request_line(
        "lookup", "tcp-call", "%s:%d:audio" % (callee.host, callee.port), "fromtag:ft,totag:tt,other:x")))
    assert caller_side[0] == callee_side[0] == "127.0.0.1" and caller_side[1] != callee_side[1]
    forward = list(rtp_stream(0x1111, 5))
    assert sorted(d for d, _ in relay_through(caller.rtp, caller_side, forward, callee.rtp)) == sorted(forward)
    backward = list(rtp_stream(0x2222, 5))
    assert sorted(d for d, _ in relay_through(callee.rtp, callee_side, backward, caller.rtp)) == sorted(backward)
    status = command(control.tcp_port, "status\n").decode()
    assert re.fullmatch(r"proxy 1 \d+/0/0\nsession tcp-call - - - - \d+\n", status), status
    # the same call is an ng call
    assert control.ng({"command": "query", "call-id": "tcp-call"})["result"] == "ok"
    assert command(control.tcp_port, "delete tcp-call info=\n") == b""
    assert wait_until(lambda: command(control.tcp_port, "status\n").startswith(b"proxy 0 "), 5)
    assert control.ng({"command": "query", "call-id": "tcp-call"})["result"] == "error"


@pytest.mark.upstream_differs("10.5 runs the address/port pairs of several streams together")
def test_two_streams_and_failures(control):
    reply = command(control.tcp_port, request_line("request", "two", "127.0.0.1:5000,127.0.0.1:5002", "fromtag:a"))
    assert re.fullmatch(rb"127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n", reply), reply
    # no reply: unknown call, missing tags, no stream (an empty line, as 10.5)
    assert command(control.tcp_port, request_line("lookup", "nosuch", "127.0.0.1:6000", "fromtag:a,totag:b")) == b""
    assert command(control.tcp_port, request_line("lookup", "two", "127.0.0.1:6000", "fromtag:a")) == b""
    assert command(control.tcp_port, request_line("request", "notag", "127.0.0.1:6000", "")) == b""
    assert command(control.tcp_port, request_line("request", "v6", "[::1]:5000", "fromtag:a")) == b"\n"
    assert command(control.tcp_port, "version\n").startswith(b"Version: ")
    assert command(control.tcp_port, "build\r\n").startswith(b"Version: ")
    for line in ("VERSION\n", "version \n", " status\n", "delete two\n", "request x\n", "quit\n", "exit\n"):
        assert command(control.tcp_port, line) == b"", line


def test_controls_lists_open_connections(control):
    with socket.create_connection(("127.0.0.1", control.tcp_port), timeout=5) as idle:
        wait_until(lambda: True, 0)
        reply = command(control.tcp_port, "controls\n").decode()
        lines = reply.splitlines()
        assert lines[-1] == "End." and "127.0.0.1:%d" % idle.getsockname()[1] in lines, reply
        assert len(lines) == 3, reply   # the idle connection and this one


def normalise(text):
    text = re.sub(r"Version: \S+", "Version: V", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"127\.0\.0\.1 \d+", "127.0.0.1 PORT", text)
    return re.sub(r"(proxy \d+ )\d+", r"\1B", text)


# What both daemons answer alike, in this order (no stream and no from-tag differ: 10.5
# creates an empty call there, we create none).
SCRIPT = [
    "version\n", "build\n", "status\n",
    request_line("request", "c1", "127.0.0.1:5000", "fromtag:ft1"),
    request_line("request", "c1", "127.0.0.1:5000", "fromtag:ft1"),
    request_line("lookup", "c1", "127.0.0.1:6000", "fromtag:ft1,totag:tt1"),
    request_line("lookup", "c2", "127.0.0.1:6000", "fromtag:ft1,totag:tt1"),
    request_line("request", "c5", "127.0.0.1:5000:audio", "fromtag:a,totag:b,foo:bar"),
    "controls\n", "garbage\n", "VERSION\n", "version \n", "version\r\n", "quit\n", "exit\n",
    "delete nosuch info=x\n", "x" * 1000 + "\n",
]


@pytest.mark.upstream_differs("compares the daemon under test with 10.5")
def test_replies_match_upstream(control, rtpengine_factory):
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip("Debian's rtpengine is not installed")
    reference_port = free_tcp_port()
    rtpengine_factory("--listen-tcp=127.0.0.1:%d" % reference_port, binary=REFERENCE_BINARY)
    differences = []
    for line in SCRIPT:
        ours = normalise((command(control.tcp_port, line) or b"<open>").decode())
        theirs = normalise((command(reference_port, line) or b"<open>").decode())
        if ours != theirs:
            differences.append("%r:\n  ours: %r\n  10.5: %r" % (line, ours, theirs))
    assert not differences, "\n".join(differences)


@pytest.mark.upstream_differs("10.5 waits 60 s for a slow line, we 5 s; it accepts any number of connections")
def test_bad_input_leaves_calls_alone(control, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    callee_side = relay_pair(command(control.tcp_port, request_line(
        "request", "kept", "%s:%d" % (caller.host, caller.port), "fromtag:ft")))
    caller_side = relay_pair(command(control.tcp_port, request_line(
        "lookup", "kept", "%s:%d" % (callee.host, callee.port), "fromtag:ft,totag:tt")))
    # garbage, binary, a NUL byte, a line longer than 1024 bytes (closed without a reply)
    assert command(control.tcp_port, os.urandom(300).replace(b"\n", b"") + b"\n") == b""
    assert command(control.tcp_port, b"status\x00\n") == b""
    assert command(control.tcp_port, b"x" * 5000) == b""
    # slow loris: part of a line, then nothing; closed within the 5 s request deadline
    started = time.monotonic()
    assert command(control.tcp_port, b"vers", timeout=15) == b""
    assert 3 < time.monotonic() - started < 15
    # more connections than allowed: the extra ones are closed at once, the others work
    held = [socket.create_connection(("127.0.0.1", control.tcp_port), timeout=5) for _ in range(64)]
    try:
        assert command(control.tcp_port, "version\n") == b""
    finally:
        for connection in held:
            connection.close()
    assert wait_until(lambda: (command(control.tcp_port, "version\n") or b"").startswith(b"Version: "), 5)
    # the call still relays and ng still answers
    packets = list(rtp_stream(0x3333, 5))
    assert sorted(d for d, _ in relay_through(caller.rtp, caller_side, packets, callee.rtp)) == sorted(packets)
    assert sorted(d for d, _ in relay_through(callee.rtp, callee_side, packets, caller.rtp)) == sorted(packets)
    assert control.ng({"command": "ping"})["result"] == "pong"


def test_short_option(rtpengine_factory):
    port = free_tcp_port()
    rtpengine_factory("-l", "127.0.0.1:%d" % port)
    assert command(port, "version\n").startswith(b"Version: ")
