"""utils/rtpengine-ng-client, the C ng client, against the daemon and against UDP sockets the
test owns (retransmission, cookies, malformed replies).

Nothing here depends on our daemon's own behaviour, so none of it is marked upstream_differs:
the suite runs these against /usr/bin/rtpengine too, which checks the client against the
reference.

The client runs through subprocess directly rather than tests/lib/process.py: that runner
sends stdout and stderr to one file, while which stream carries what is part of the client's
contract. Every run is bounded (RUN_LIMIT) and the client never outlives its test."""

import json
import os
import re
import socket
import subprocess
import time

import pytest

from calls import simple_sdp
from conftest import REPO_ROOT, free_udp_port
from ngclient import bdecode

# RTPENGINE_NG_CLIENT picks another build (make test-asan passes the sanitizer build).
CLIENT = os.path.abspath(os.environ.get("RTPENGINE_NG_CLIENT")
                         or os.path.join(REPO_ROOT, "utils", "rtpengine-ng-client"))
# Every run must end by itself well before this (timeouts below are a few hundred ms).
RUN_LIMIT = 20

pytestmark = pytest.mark.skipif(not os.access(CLIENT, os.X_OK),
                                reason="%s is not built (make all)" % CLIENT)


def assert_no_sanitizer_report(stderr):
    """A sanitizer build reports on stderr; an exit status alone may not show it."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    assert not re.search(r"Sanitizer|runtime error:", stderr), stderr


def run_client(*args, stdin=None):
    """Runs the client; returns CompletedProcess with text stdout/stderr."""
    result = subprocess.run([CLIENT] + [str(arg) for arg in args], input=stdin,
                            capture_output=True, text=True, timeout=RUN_LIMIT)
    assert_no_sanitizer_report(result.stderr)
    return result


def proxy_of(daemon):
    if ":" in daemon.ng_host:
        return "--proxy=[%s]:%d" % (daemon.ng_host, daemon.ng_port)
    return "--proxy=%s:%d" % (daemon.ng_host, daemon.ng_port)


def sdp_section(output):
    """The lines of the readable output after "sdp:" up to the next top-level key."""
    lines = output.splitlines()
    start = lines.index("sdp:") + 1
    body = []
    for line in lines[start:]:
        if re.match(r"^[a-z-]+: ", line) or line == "result: ok":
            break
        body.append(line.rstrip("\r"))
    return body


class FakeDaemon:
    """A UDP socket on loopback that plays the daemon: the test reads the client's requests
    and decides what to answer."""

    def __init__(self, host="127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]

    def receive(self):
        datagram, source = self.sock.recvfrom(65536)
        cookie, _, payload = datagram.partition(b" ")
        return datagram, cookie, payload, source

    def close(self):
        self.sock.close()


@pytest.fixture
def fake_daemon():
    fake = FakeDaemon()
    yield fake
    fake.close()


def start_client(*args, text=True):
    """text=False keeps the output's bytes (no newline translation)."""
    return subprocess.Popen([CLIENT] + [str(arg) for arg in args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=text)


def finish(process):
    try:
        stdout, stderr = process.communicate(timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail("client did not exit: %s %s" % (stdout, stderr))
    assert_no_sanitizer_report(stderr)
    return process.returncode, stdout, stderr


# ---------------------------------------------------------------- against the daemon

def test_ping_pong(rtpengine):
    result = run_client(proxy_of(rtpengine), "ping")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "result: pong\n"


def test_ping_over_ipv6(rtpengine_factory):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        daemon = rtpengine_factory(ng_host="::1", interfaces=("::1",))
    except OSError as error:
        pytest.skip("no IPv6 loopback: %s" % error)
    result = run_client(proxy_of(daemon), "--json", "ping")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"result": "pong"}


def test_offer_answer_query(rtpengine, tmp_path):
    offer_file = tmp_path / "offer.sdp"
    offer_file.write_text(simple_sdp("127.0.0.1", 5000))
    proxy = proxy_of(rtpengine)

    offer = run_client(proxy, "--sdp-file=%s" % offer_file, "offer", "call-id=ngclient-1",
                       "from-tag=caller", "replace=origin", "replace=session-connection")
    assert offer.returncode == 0, offer.stderr
    assert "result: ok" in offer.stdout.splitlines()
    sdp = sdp_section(offer.stdout)
    assert sdp[0] == "v=0", offer.stdout
    assert "c=IN IP4 127.0.0.1" in sdp
    media = [line for line in sdp if line.startswith("m=audio ")]
    assert len(media) == 1, offer.stdout
    port = int(media[0].split()[1])
    assert rtpengine.port_min <= port <= rtpengine.port_max, "offer did not rewrite the port"

    # The answer's SDP from standard input, and --json output.
    answer = run_client(proxy, "--sdp-file=-", "--json", "answer", "call-id=ngclient-1",
                        "from-tag=caller", "to-tag=callee",
                        stdin=simple_sdp("127.0.0.1", 6000))
    assert answer.returncode == 0, answer.stderr
    answer_reply = json.loads(answer.stdout)
    assert answer_reply["result"] == "ok"
    assert "\nm=audio " in answer_reply["sdp"]

    query = run_client(proxy, "--json", "query", "call-id=ngclient-1")
    assert query.returncode == 0, query.stderr
    reply = json.loads(query.stdout)
    assert reply["result"] == "ok"
    assert {"caller", "callee"} <= set(reply["tags"]), reply

    readable = run_client(proxy, "query", "call-id=ngclient-1")
    assert readable.returncode == 0
    assert "tags:" in readable.stdout.splitlines()
    assert "  caller:" in readable.stdout.splitlines()


def test_refused_command_exits_1_with_reason(rtpengine):
    result = run_client(proxy_of(rtpengine), "--json", "query", "call-id=no-such-call")
    assert result.returncode == 1, (result.stdout, result.stderr)
    reply = json.loads(result.stdout)
    assert reply["result"] == "error"
    assert reply["error-reason"] and reply["error-reason"] in result.stderr


# ---------------------------------------------------------------- without a daemon

def test_no_daemon_exits_3_in_bounded_time():
    port = free_udp_port()
    started = time.monotonic()
    result = run_client("--proxy=%d" % port, "--timeout=200", "--retries=2", "ping")
    elapsed = time.monotonic() - started
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "no answer from 127.0.0.1:%d after 3 attempts" % port in result.stderr
    assert result.stdout == ""
    assert elapsed < 5, "three attempts of 200 ms took %.1f s" % elapsed


def test_usage_errors_exit_2():
    for args in ([], ["ping", "not-a-pair"], ["--timeout=soon", "ping"], ["--no-such-option", "ping"],
                 ["--sdp-file=/nonexistent/offer.sdp", "offer"], ["ping", "=value"]):
        result = run_client(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "rtpengine-ng-client:" in result.stderr, args


def test_help_and_version():
    result = run_client("--help")
    assert result.returncode == 0
    assert "--proxy" in result.stdout and "COMMAND" in result.stdout and "Exit status" in result.stdout
    result = run_client("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("Version: ")


# ---------------------------------------------------------------- against a fake daemon

def test_request_encoding(fake_daemon, tmp_path):
    sdp_file = tmp_path / "offer.sdp"
    sdp_file.write_bytes(b"v=0\r\ns=-\r\n")
    client = start_client("--proxy=127.0.0.1:%d" % fake_daemon.port, "--timeout=2000",
                          "--retries=0", "--sdp-file=%s" % sdp_file, "offer", "call-id=abc",
                          "from-tag=1234", "replace=origin", "replace=session-connection",
                          "--flag=trust-address", "-f", "symmetric", "ICE=remove")
    try:
        datagram, cookie, payload, source = fake_daemon.receive()
        request = bdecode(payload)
        assert request == {
            "command": "offer", "call-id": "abc", "from-tag": "1234",
            "replace": ["origin", "session-connection"],
            "flags": ["trust-address", "symmetric"], "ICE": "remove",
            "sdp": "v=0\r\ns=-\r\n",
        }
        assert re.fullmatch(rb"[0-9a-f]+", cookie), cookie
        fake_daemon.sock.sendto(cookie + b" d6:result2:oke", source)
    finally:
        status, stdout, stderr = finish(client)
    assert status == 0, stderr
    assert stdout == "result: ok\n"


def test_retransmits_with_the_same_cookie(fake_daemon):
    client = start_client("--proxy=127.0.0.1:%d" % fake_daemon.port, "--timeout=300",
                          "--retries=3", "ping")
    try:
        first, cookie, _, _ = fake_daemon.receive()          # dropped: no answer
        second, cookie2, _, source = fake_daemon.receive()
        assert second == first and cookie2 == cookie
        # A stray reply under another cookie is not the answer.
        fake_daemon.sock.sendto(b"other d6:result5:errore", source)
        fake_daemon.sock.sendto(cookie + b" d6:result4:ponge", source)
    finally:
        status, stdout, stderr = finish(client)
    assert status == 0, stderr
    assert stdout == "result: pong\n"


def test_retries_exhausted_exits_3(fake_daemon):
    client = start_client("--proxy=127.0.0.1:%d" % fake_daemon.port, "--timeout=100",
                          "--retries=1", "ping")
    try:
        first = fake_daemon.receive()[0]
        assert fake_daemon.receive()[0] == first
    finally:
        status, stdout, stderr = finish(client)
    assert status == 3
    assert "after 2 attempts of 100 ms each" in stderr


@pytest.mark.parametrize("payload", [b"d6:result", b"l2:oke", b"d5:other2:oke", b"i1ei2e"])
def test_malformed_reply_exits_3(fake_daemon, payload):
    client = start_client("--proxy=127.0.0.1:%d" % fake_daemon.port, "--timeout=2000",
                          "--retries=0", "ping")
    try:
        _, cookie, _, source = fake_daemon.receive()
        fake_daemon.sock.sendto(cookie + b" " + payload, source)
    finally:
        status, stdout, stderr = finish(client)
    assert status == 3, (stdout, stderr)
    assert "malformed reply" in stderr
    assert stdout == ""


def test_readable_and_json_output_of_nested_replies(fake_daemon):
    reply = (b"d6:result2:ok4:listl1:a1:bd1:ki7eee5:emptyde4:none"
             b"le3:sdp10:v=0\r\ns=-\r\n4:text4:a\"\\\x01"
             b"5:bytes3:\xc3\xa9\xffe")
    outputs = []
    for json_flag in ([], ["--json"]):
        client = start_client("--proxy=127.0.0.1:%d" % fake_daemon.port, "--timeout=2000",
                              "--retries=0", *json_flag, "list", text=False)
        try:
            _, cookie, _, source = fake_daemon.receive()
            fake_daemon.sock.sendto(cookie + b" " + reply, source)
        finally:
            status, stdout, stderr = finish(client)
        assert status == 0, stderr
        outputs.append(stdout)
    # The SDP as it came (CRLF), unindented, on the lines after its key.
    assert outputs[0] == (b"result: ok\nlist:\n  - a\n  - b\n  -\n    k: 7\nempty: {}\nnone: []\n"
                          b"sdp:\nv=0\r\ns=-\r\ntext: a\"\\\x01\nbytes: \xc3\xa9\xff\n")
    assert json.loads(outputs[1]) == {"result": "ok", "list": ["a", "b", {"k": 7}], "empty": {},
                                      "none": [], "sdp": "v=0\r\ns=-\r\n", "text": "a\"\\\x01",
                                      # UTF-8 kept, a byte that is not UTF-8 as Latin-1
                                      "bytes": "\u00e9\u00ff"}
