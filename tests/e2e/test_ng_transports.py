"""ng over TCP (--listen-tcp-ng, upstream's framing: "COOKIE <dictionary>" back to back) and
ng requests in JSON (on UDP and TCP): calls set up over them relay media, bad input gets clear
errors and leaves the daemon and its calls alone."""

import json
import os
import struct
import socket
import time

import pytest

from bencode import BencodeError, bdecode, bencode
from calls import Sdp, simple_sdp
from rtp import relay_through, rtp_stream
from test_cli import free_tcp_port

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


class TcpNg:
    """One TCP connection speaking ng; replies are framed by decoding them."""

    def __init__(self, port, timeout=3.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.pending = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def receive(self, json_reply=False):
        """The next reply: (cookie, decoded payload)."""
        while True:
            cookie, space, payload = self.pending.partition(b" ")
            if space:
                decoded, used = self._decode(payload, json_reply)
                if decoded is not None:
                    self.pending = payload[used:]
                    return cookie.decode(), decoded
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed; pending %r" % self.pending[:200])
            self.pending += chunk

    @staticmethod
    def _decode(payload, json_reply):
        if json_reply:
            try:
                value, used = json.JSONDecoder().raw_decode(payload.decode())
                return value, len(payload.decode()[:used].encode())
            except ValueError:
                return None, 0
        for end in range(1, len(payload) + 1):
            try:
                return bdecode(payload[:end]), end
            except BencodeError:
                continue
        return None, 0

    def request(self, message, cookie="c1"):
        self.send(cookie.encode() + b" " + bencode(message))
        got_cookie, reply = self.receive()
        assert got_cookie == cookie
        return reply


@pytest.fixture
def tcp_daemon(rtpengine_factory):
    port = free_tcp_port()
    daemon = rtpengine_factory("--listen-tcp-ng=127.0.0.1:%d" % port, "--endpoint-learning=immediate",
                               interfaces=("127.0.0.1",))
    daemon.tcp_port = port
    return daemon


def relays_media(caller, callee, offer_sdp, answer_sdp):
    """RTP both ways through the relay's ports from the rewritten SDPs."""
    caller_sends_to = Sdp(answer_sdp).media_address()
    callee_sends_to = Sdp(offer_sdp).media_address()
    forward = [packet for packet in rtp_stream(0x1111, 5)]
    received = relay_through(caller.rtp, caller_sends_to, forward, callee.rtp)
    assert sorted(data for data, _ in received) == sorted(forward)
    backward = [packet for packet in rtp_stream(0x2222, 5)]
    received = relay_through(callee.rtp, callee_sends_to, backward, caller.rtp)
    assert sorted(data for data, _ in received) == sorted(backward)


def test_tcp_ng_ping_and_pipelining(tcp_daemon):
    client = TcpNg(tcp_daemon.tcp_port)
    try:
        assert client.request({"command": "ping"}) == {"result": "pong"}
        # two requests in one write, then one split byte by byte
        client.send(b"a1 d7:command4:pingea2 d7:command4:pinge")
        assert client.receive() == ("a1", {"result": "pong"})
        assert client.receive() == ("a2", {"result": "pong"})
        for byte in b"a3 d7:command4:pinge":
            client.send(bytes([byte]))
        assert client.receive() == ("a3", {"result": "pong"})
    finally:
        client.close()


def test_tcp_ng_call_relays_media(tcp_daemon, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    client = TcpNg(tcp_daemon.tcp_port)
    try:
        offer = client.request({"command": "offer", "call-id": "tcp-call", "from-tag": "ft",
                                "sdp": simple_sdp(caller.host, caller.port)}, "o1")
        assert offer["result"] == "ok", offer
        answer = client.request({"command": "answer", "call-id": "tcp-call", "from-tag": "ft",
                                 "to-tag": "tt", "sdp": simple_sdp(callee.host, callee.port)}, "o2")
        assert answer["result"] == "ok", answer
        relays_media(caller, callee, offer["sdp"], answer["sdp"])
        query = client.request({"command": "query", "call-id": "tcp-call"}, "o3")
        assert query["result"] == "ok"
        assert client.request({"command": "delete", "call-id": "tcp-call", "from-tag": "ft"}, "o4")["result"] == "ok"
    finally:
        client.close()


@pytest.mark.upstream_differs("10.5 keeps quiet on garbage; we answer with an error and close")
def test_tcp_ng_bad_input(tcp_daemon):
    established = TcpNg(tcp_daemon.tcp_port)
    try:
        assert established.request({"command": "offer", "call-id": "keep", "from-tag": "ft",
                                    "sdp": simple_sdp("127.0.0.1", 5000)})["result"] == "ok"
        for garbage in (b"nocookie-at-all" * 40, b"c9 xyz", b"c9 d7:command4:ping:xe"):
            client = TcpNg(tcp_daemon.tcp_port)
            try:
                client.send(garbage)
                cookie, reply = client.receive()
                assert reply["result"] == "error", (garbage, reply)
                assert client.sock.recv(100) == b""   # closed after the error
            finally:
                client.close()
        # a message that never ends: cut off at 1 MB
        client = TcpNg(tcp_daemon.tcp_port, timeout=10)
        try:
            client.send(b"big d3:sdp")
            try:
                for _ in range(40):
                    client.send(b"9999999:" + b"x" * 65536)
            except OSError:
                pass
            try:
                rest = client.sock.recv(65536)
            except OSError:
                rest = b""
            assert b"too long" in rest or rest == b""
        finally:
            client.close()
        # slow loris: an incomplete request is dropped after 10 s, ng stays responsive
        slow = TcpNg(tcp_daemon.tcp_port, timeout=15)
        try:
            slow.send(b"s1 d7:comm")
            started = time.monotonic()
            assert tcp_daemon.ng({"command": "ping"})["result"] == "pong"
            assert established.request({"command": "ping"}, "p2") == {"result": "pong"}
            assert slow.sock.recv(100) == b""
            assert time.monotonic() - started < 14
        finally:
            slow.close()
        assert established.request({"command": "query", "call-id": "keep"}, "q")["result"] == "ok"
    finally:
        established.close()
    assert tcp_daemon.alive()


def test_json_ng_on_udp_relays_media(rtpengine_factory, media_peer):
    daemon = rtpengine_factory("--endpoint-learning=immediate")
    caller, callee = media_peer(CALLER), media_peer(CALLEE)

    def request(message, cookie):
        reply = daemon.ng_raw(cookie.encode() + b" " + json.dumps(message).encode(), timeout=2)
        assert reply is not None
        got_cookie, _, payload = reply.partition(b" ")
        assert got_cookie == cookie.encode()
        return json.loads(payload)
    assert request({"command": "ping"}, "j0") == {"result": "pong"}
    offer = request({"command": "offer", "call-id": "json-call", "from-tag": "ft",
                     "sdp": simple_sdp(caller.host, caller.port), "flags": ["trust-address"]}, "j1")
    assert offer["result"] == "ok", offer
    answer = request({"command": "answer", "call-id": "json-call", "from-tag": "ft", "to-tag": "tt",
                      "sdp": simple_sdp(callee.host, callee.port)}, "j2")
    assert answer["result"] == "ok", answer
    relays_media(caller, callee, offer["sdp"], answer["sdp"])
    query = request({"command": "query", "call-id": "json-call"}, "j3")
    assert query["result"] == "ok" and isinstance(query["created"], int)
    assert query["totals"]["RTP"]["packets"] >= 10 if "totals" in query else True
    statistics = request({"command": "statistics"}, "j4")
    assert statistics["statistics"]["currentstatistics"]["sessionsown"] == 1
    # errors, in JSON
    reply = daemon.ng_raw(b"j5 {bad json", timeout=2)
    assert json.loads(reply.partition(b" ")[2]) == {"result": "error",
                                                    "error-reason": "Failed to parse JSON document"}
    reply = daemon.ng_raw(b'j6 {"command":"ping","flag":null}', timeout=2)
    assert json.loads(reply.partition(b" ")[2]) == {"result": "error",
                                                    "error-reason": "Could not decode bencode dictionary"}
    reply = daemon.ng_raw(b'j7 ' + b'{"a":' * 100 + b'1' + b'}' * 100, timeout=2)
    assert json.loads(reply.partition(b" ")[2])["result"] == "error"
    assert request({"command": "delete", "call-id": "json-call", "from-tag": "ft"}, "j8")["result"] == "ok"


@pytest.mark.upstream_differs("10.5 does not answer JSON on its TCP ng socket")
def test_json_ng_on_tcp(tcp_daemon):
    client = TcpNg(tcp_daemon.tcp_port)
    try:
        client.send(b'k1 {"command":"ping"}k2 {"command": "list", "note": "a } in \\" a string"}')
        assert client.receive(json_reply=True) == ("k1", {"result": "pong"})
        cookie, reply = client.receive(json_reply=True)
        assert cookie == "k2" and reply["result"] == "ok", reply
    finally:
        client.close()


@pytest.mark.slow
@pytest.mark.upstream_differs("our timeouts: 10 s to complete a request, 1 h idle")
def test_tcp_ng_connection_may_wait_before_its_first_request(tcp_daemon):
    """A proxy opens its TCP connection at start and sends requests much later: only an
    incomplete request is cut off after 10 s, an idle connection is not."""
    client = TcpNg(tcp_daemon.tcp_port, timeout=15)
    try:
        time.sleep(11)   # longer than the request timeout: what is measured is the waiting
        assert client.request({"command": "ping"}) == {"result": "pong"}
    finally:
        client.close()


def _cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.upstream_differs("checks our closing path")
def test_tcp_ng_reset_clients_cost_nothing(tcp_daemon):
    """Clients that reset their connection while the daemon closes it (after an error, with
    unread input) leave no busy connection behind."""
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", tcp_daemon.tcp_port), timeout=3)
        sock.sendall(b"c9 xyz" + b"y" * 100000)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()   # a reset
    assert tcp_daemon.ng({"command": "ping"})["result"] == "pong"
    before = _cpu_seconds(tcp_daemon.pid)
    time.sleep(1.0)
    assert _cpu_seconds(tcp_daemon.pid) - before < 0.3
