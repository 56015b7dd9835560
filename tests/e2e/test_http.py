"""The HTTP listener: /ping, /metrics (Prometheus, agreeing with the ng statistics command),
ng over HTTP POST and WebSocket, HTTPS, and its bounds against slow, garbage and flooding
clients (ng and media keep being served). Loopback only."""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from calls import Call, assert_ok, establish, simple_sdp, wait_until
from conftest import IS_UPSTREAM
from bencode import bdecode, bencode
from ng import NgClient
from ports import free_tcp_port, free_udp_port
from rtp import relay_through, rtp_stream
from websocket_frames import BINARY, CLOSE, PING, PONG, TEXT, CONTINUATION, HandshakeError, WebSocket, frame

HOST = "127.0.0.1"
CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
NG_TYPE = "application/x-rtpengine-ng"

pytestmark = pytest.mark.skipif(IS_UPSTREAM, reason="upstream's HTTP listener is not in Debian's 10.5 build "
                                "as configured here; these tests drive ours")


@pytest.fixture
def web(rtpengine_factory):
    """A relay with --listen-http on a free loopback port (daemon.http_port)."""
    port = free_tcp_port()
    daemon = rtpengine_factory("--endpoint-learning=immediate", "--listen-http=%d" % port)
    daemon.http_port = port
    return daemon


def get(daemon, path, method="GET", body=None, headers=None, timeout=5):
    connection = http.client.HTTPConnection(HOST, daemon.http_port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def metrics(daemon):
    """{(name, labels text): value} of a /metrics scrape."""
    status, headers, body = get(daemon, "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z_][a-z0-9_]*)(\{[^}]*\})? (\S+)", line)
        assert match, line
        samples[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return samples


def statistics(daemon):
    return assert_ok(daemon.ng({"command": "statistics"}))["statistics"]


# ---------------------------------------------------------------- plain pages

def test_ping_and_unknown_paths(web):
    assert get(web, "/ping")[::2] == (200, b"pong")
    assert get(web, "/nothing-here")[0] == 404
    assert get(web, "/metrics", method="POST", body=b"x")[0] == 405


def test_bare_port_listens_on_loopback_only(web):
    """--listen-http=PORT binds 127.0.0.1: ng over HTTP is control, opened wider on purpose."""
    listening = subprocess.run(["ss", "-Hltn", "sport = :%d" % web.http_port], capture_output=True,
                               text=True, timeout=10).stdout
    assert "127.0.0.1:%d" % web.http_port in listening, listening


# ---------------------------------------------------------------- /metrics

USER, KERNEL = '{type="userspace"}', '{type="kernel"}'
PORTS = '{name="default",address="127.0.0.1"}'


def test_metrics_count_the_traffic_sent(web, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    before = metrics(web)
    assert before[("rtpengine_sessions", '{type="own"}')] == 0
    setup = establish(web, caller, callee)
    forward = rtp_stream(0x1, 12, payload_size=100)
    backward = rtp_stream(0x2, 5, payload_size=60)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp)) == 12
    assert len(relay_through(callee.rtp, setup.callee_sends_to, backward, caller.rtp)) == 5
    sent_bytes = sum(map(len, forward)) + sum(map(len, backward))
    assert wait_until(lambda: metrics(web)[("rtpengine_packets_total", USER)] == 17, timeout=3)
    after = metrics(web)
    assert after[("rtpengine_packets_total", KERNEL)] == 0
    assert after[("rtpengine_bytes_total", USER)] == sent_bytes
    assert after[("rtpengine_packet_errors_total", USER)] == 0
    assert after[("rtpengine_sessions", '{type="own"}')] == 1
    assert after[("rtpengine_sessions_total", "")] == 0   # counted when a call ends, as upstream
    assert after[("rtpengine_requests_total", '{request="offer"}')] == 1
    assert after[("rtpengine_requests_total", '{request="answer"}')] == 1
    # one histogram per command: its count is the command's requests, buckets cumulative
    assert after[("rtpengine_request_duration_seconds_count", '{request="offer"}')] == 1
    assert after[("rtpengine_request_duration_seconds_bucket", '{request="offer",le="+Inf"}')] == 1
    # two ports per media side, RTP and RTCP, on the one interface
    assert after[("rtpengine_ports_used", PORTS)] == 4
    assert_ok(setup.call.delete())
    assert wait_until(lambda: metrics(web)[("rtpengine_sessions", '{type="own"}')] == 0, timeout=3)
    final = metrics(web)
    assert final[("rtpengine_closed_sessions_total", '{reason="terminated"}')] == 1
    assert final[("rtpengine_sessions_total", "")] == 1


def test_metrics_agree_with_the_statistics_command(web, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(web, caller, callee)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 7), callee.rtp)) == 7
    assert wait_until(lambda: statistics(web)["totalstatistics"]["relayedpackets"] == 7, timeout=3)
    ng = statistics(web)
    scraped = metrics(web)
    total, current = ng["totalstatistics"], ng["currentstatistics"]
    pairs = {
        "relayedpackets_user": ("rtpengine_packets_total", USER),
        "relayedpackets_kernel": ("rtpengine_packets_total", KERNEL),
        "relayedbytes_user": ("rtpengine_bytes_total", USER),
        "relayedpacketerrors_user": ("rtpengine_packet_errors_total", USER),
        "managedsessions": ("rtpengine_sessions_total", ""),
        "regularterminatedsessions": ("rtpengine_closed_sessions_total", '{reason="terminated"}'),
        "droppedstrictsource": ("rtpengine_dropped_strict_source_total", ""),
    }
    for key, sample in pairs.items():
        assert scraped[sample] == int(total[key]), key
    assert scraped[("rtpengine_packets_total", USER)] + scraped[("rtpengine_packets_total", KERNEL)] == \
        total["relayedpackets"]
    assert scraped[("rtpengine_sessions", '{type="own"}')] == current["sessionsown"]
    ports = ng["interfaces"][0]["ports"]
    for key, name in (("used", "rtpengine_ports_used"), ("free", "rtpengine_ports_free"),
                      ("totals", "rtpengine_ports"), ("min", "rtpengine_ports_port_min")):
        assert scraped[(name, PORTS)] == ports[key], key
    # the statistics request itself was counted before the scrape
    control = ng["controlstatistics"]
    assert scraped[("rtpengine_requests_total", '{request="offer"}')] == control["totaloffercount"]
    assert scraped[("rtpengine_requests_total", '{request="statistics"}')] == control["totalstatscount"] + 1


def test_metric_names_match_upstream(web, tmp_path):
    """Every family we render under upstream's name exists in Debian's rtpengine 10.5 output
    with the same type and label names, so its dashboards and alerts keep working."""
    if not os.access("/usr/bin/rtpengine", os.X_OK):
        pytest.skip("Debian's rtpengine (the reference) is not installed")
    ours = parse_families(get(web, "/metrics")[2].decode())
    port, ng_port = free_tcp_port(), free_udp_port()
    log = open(tmp_path / "upstream.log", "w")
    upstream = subprocess.Popen(["/usr/bin/rtpengine", "--config-file=none", "--table=-1", "--foreground",
                                 "--log-stderr", "--listen-ng=127.0.0.1:%d" % ng_port,
                                 "--interface=127.0.0.1", "--port-min=45400", "--port-max=45500",
                                 "--listen-http=127.0.0.1:%d" % port], stdout=log, stderr=log)
    try:
        web_metrics_when_up(port)
        # upstream shows the per-command counters of the proxies that sent requests
        client = NgClient(ng_port)
        assert client.request({"command": "ping"}, 3)["result"] == "pong"
        client.close()
        reference = web_metrics_when_up(port)
    finally:
        upstream.terminate()
        try:
            upstream.wait(10)
        except subprocess.TimeoutExpired:
            upstream.kill()
            upstream.wait(10)
        log.close()
    theirs = parse_families(reference)
    shared = ("rtpengine_sessions", "rtpengine_sessions_total", "rtpengine_closed_sessions_total",
              "rtpengine_packets_total", "rtpengine_packet_errors_total", "rtpengine_bytes_total",
              "rtpengine_call_duration_avg", "rtpengine_call_duration_total", "rtpengine_uptime_seconds",
              "rtpengine_transcoded_media", "rtpengine_ports_used", "rtpengine_ports_free", "rtpengine_ports",
              "rtpengine_requests_total", "rtpengine_request_seconds_total", "rtpengine_errors_total")
    for family in shared:
        assert family in ours and family in theirs, family
        assert ours[family]["type"] == theirs[family]["type"], family
        # our label names are upstream's (it adds proxy= per proxy, which we do not keep)
        assert ours[family]["labels"] <= theirs[family]["labels"], family
        # commands 10.5 has but did not see in this run, and ng `cli` and `pause recording`,
        # which 10.5 lacks
        assert ours[family]["values"] <= theirs[family]["values"] | {("request", v) for v in
                                                                     ("answer", "delete", "query", "list", "cli",
                                                                      "pause recording")}, family


def parse_families(text):
    """{family: {"type", "labels" (label names), "values" (label name, value pairs)}}."""
    families = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            families[name] = {"type": kind, "labels": set(), "values": set()}
        elif line and not line.startswith("#"):
            match = re.fullmatch(r"([a-z_0-9]+)(?:\{([^}]*)\})? \S+", line)
            name = match.group(1)
            if name not in families:
                continue
            for pair in re.findall(r'([a-z_]+)="([^"]*)"', match.group(2) or ""):
                families[name]["labels"].add(pair[0])
                families[name]["values"].add(pair)
    return families


def web_metrics_when_up(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/metrics")
            body = connection.getresponse().read().decode()
            connection.close()
            return body
        except (ConnectionRefusedError, ConnectionResetError, http.client.HTTPException):
            time.sleep(0.1)
    raise TimeoutError("upstream's HTTP listener did not come up")


def test_keep_alive_replies_do_not_wait_for_delayed_acks(rtpengine_factory, media_peer):
    """A reply over 16 KB is written in two pieces: without TCP_NODELAY the second waited for
    the client's delayed ACK, 40 ms per request (20 requests on one connection took 0.9 s)."""
    port = free_tcp_port()
    daemon = rtpengine_factory("--listen-http=%d" % port, port_count=300)
    caller = media_peer(CALLER)
    for number in range(50):
        assert_ok(Call(daemon, "delayed-ack-%d" % number).offer(simple_sdp(caller.host, caller.port)))
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    started = time.monotonic()
    for _ in range(20):
        connection.request("GET", "/calls.json")
        assert len(connection.getresponse().read()) > 16384
    elapsed = time.monotonic() - started
    connection.close()
    assert elapsed < 0.4, elapsed


def test_promtool_accepts_the_metrics(web):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    web.ng({"command": "ping"})
    body = get(web, "/metrics")[2]
    result = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- ng over HTTP

def test_ng_over_http_post(web, media_peer):
    status, headers, body = get(web, "/ng", "POST", b"c00kie " + bencode({"command": "ping"}),
                                {"Content-Type": NG_TYPE})
    assert status == 200 and headers["Content-Type"] == NG_TYPE
    cookie, _, reply = body.partition(b" ")
    assert cookie == b"c00kie" and bdecode(reply) == {"result": "pong"}
    # an offer over HTTP makes a call the UDP socket sees: one command table
    caller = media_peer(CALLER)
    offer = {"command": "offer", "call-id": "http-call", "from-tag": "a",
             "sdp": simple_sdp(caller.host, caller.port)}
    status, _, body = get(web, "/ng", "POST", b"x1 " + bencode(offer), {"Content-Type": NG_TYPE})
    assert status == 200
    assert bdecode(body.partition(b" ")[2])["result"] == "ok"
    assert assert_ok(Call(web, "http-call").query())["created"] > 0
    # ng-plain: no cookie either way
    status, _, body = get(web, "/ng-plain", "POST", bencode({"command": "ping"}), {"Content-Type": NG_TYPE})
    assert status == 200 and bdecode(body) == {"result": "pong"}


def test_ng_over_http_refusals(web):
    assert get(web, "/ng")[0] == 405
    assert get(web, "/ng", "POST", b"c d7:command4:pinge", {"Content-Type": "text/plain"})[0] == 415
    status, _, body = get(web, "/ng", "POST", b"nospace", {"Content-Type": NG_TYPE})
    assert status == 400
    status, _, body = get(web, "/ng", "POST", b"c1 garbage", {"Content-Type": NG_TYPE})
    assert status == 200 and bdecode(body.partition(b" ")[2])["result"] == "error"
    assert get(web, "/ng", "POST", b"c " + b"x" * (300 * 1024), {"Content-Type": NG_TYPE})[0] == 413


# ---------------------------------------------------------------- WebSocket

def test_websocket_ng_round_trip(web):
    socket_ = WebSocket(HOST, web.http_port, "ng.rtpengine.com")
    try:
        assert socket_.protocol == "ng.rtpengine.com"
        for opcode in (TEXT, BINARY):
            socket_.send(opcode, b"k%d " % opcode + bencode({"command": "ping"}))
            fin, reply_opcode, payload = socket_.receive()
            assert fin and reply_opcode == BINARY   # whatever the request's type, as upstream
            assert payload == b"k%d " % opcode + bencode({"result": "pong"})
        # a fragmented message, with a ping between the fragments (section 5.4)
        message = b"frag " + bencode({"command": "statistics"})
        socket_.send_raw(frame(TEXT, message[:7], fin=False) + frame(PING, b"hi") +
                         frame(CONTINUATION, message[7:]))
        assert socket_.receive() == (True, PONG, b"hi")
        fin, opcode, payload = socket_.receive()
        assert payload.startswith(b"frag ") and bdecode(payload[5:])["result"] == "ok"
        # a large message (64-bit length form on the way back is not needed: 16-bit here)
        socket_.send(BINARY, b"big " + bencode({"command": "ping", "x": "y" * 70000}))
        assert socket_.receive()[2] == b"big " + bencode({"result": "pong"})
        socket_.send(CLOSE, b"\x03\xe8")
        assert socket_.receive() == (True, CLOSE, b"\x03\xe8")
        assert socket_.closed_by_peer()
    finally:
        socket_.close()
    web.ng({"command": "ping"})


def test_websocket_echo_and_plain(web):
    echo = WebSocket(HOST, web.http_port, "chat, echo.rtpengine.com")
    echo.send(TEXT, b"hello")
    assert echo.receive() == (True, BINARY, b"hello")
    echo.close()
    plain = WebSocket(HOST, web.http_port, "ng-plain.rtpengine.com")
    plain.send(TEXT, bencode({"command": "ping"}))
    assert plain.receive() == (True, BINARY, bencode({"result": "pong"}))
    plain.close()


def test_websocket_refusals(web):
    with pytest.raises(HandshakeError) as refused:
        WebSocket(HOST, web.http_port, "chat")
    assert refused.value.status == 400
    with pytest.raises(HandshakeError) as refused:
        WebSocket(HOST, web.http_port, None)
    assert refused.value.status == 400
    # an unmasked client frame is a protocol error: close 1002
    socket_ = WebSocket(HOST, web.http_port, "ng.rtpengine.com")
    socket_.send_raw(frame(TEXT, b"c " + bencode({"command": "ping"}), mask=False))
    assert socket_.receive() == (True, CLOSE, b"\x03\xea")
    assert socket_.closed_by_peer()
    socket_.close()
    # a frame announcing more than 1 MB: close 1009, nothing buffered
    socket_ = WebSocket(HOST, web.http_port, "ng.rtpengine.com")
    socket_.send_raw(bytes([0x82, 0xFF]) + (2 << 20).to_bytes(8, "big") + b"mask")
    assert socket_.receive() == (True, CLOSE, b"\x03\xf1")
    socket_.close()
    web.ng({"command": "ping"})


# ---------------------------------------------------------------- HTTPS

def test_https(rtpengine_factory, tmp_path):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl command not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, timeout=30)
    port = free_tcp_port()
    daemon = rtpengine_factory("--listen-https=%d" % port, "--https-cert=%s" % cert, "--https-key=%s" % key)
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    connection = http.client.HTTPSConnection(HOST, port, context=context, timeout=5)
    connection.request("POST", "/ng", body=b"s " + bencode({"command": "ping"}),
                       headers={"Content-Type": NG_TYPE})
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b"s " + bencode({"result": "pong"})
    connection.close()
    # plain HTTP on the HTTPS port gets nowhere, and the daemon carries on
    with socket.create_connection((HOST, port), timeout=5) as plain:
        plain.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
        try:
            assert b"pong" not in plain.recv(4096)
        except (ConnectionResetError, socket.timeout):
            pass
    daemon.ng({"command": "ping"})


def make_certificate(openssl, directory, name, issuer=None):
    """A P-256 certificate and key in directory: self-signed, or signed by issuer (cert, key)."""
    cert, key = directory / ("%s.pem" % name), directory / ("%s-key.pem" % name)
    command = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-days", "1", "-subj", "/CN=%s" % name, "-keyout", str(key), "-out", str(cert)]
    if issuer:
        command += ["-CA", str(issuer[0]), "-CAkey", str(issuer[1])]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    return cert, key


def test_https_can_require_a_client_certificate(rtpengine_factory, tmp_path):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl command not installed")
    server = make_certificate(openssl, tmp_path, "server")
    authority = make_certificate(openssl, tmp_path, "client-ca")
    client = make_certificate(openssl, tmp_path, "client", issuer=authority)
    stranger = make_certificate(openssl, tmp_path, "stranger")
    port = free_tcp_port()
    daemon = rtpengine_factory("--listen-https=%d" % port, "--https-cert=%s" % server[0],
                               "--https-key=%s" % server[1], "--https-client-ca=%s" % authority[0])

    def ping(certificate):
        context = ssl.create_default_context(cafile=str(server[0]))
        context.check_hostname = False
        if certificate:
            context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        connection = http.client.HTTPSConnection(HOST, port, context=context, timeout=5)
        try:
            connection.request("GET", "/ping")
            return connection.getresponse().read()
        finally:
            connection.close()

    assert ping(client) == b"pong"
    for certificate in (None, stranger):
        with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            ping(certificate)
    assert daemon.ng({"command": "ping"})["result"] == "pong"


def test_https_needs_a_certificate(rtpengine_factory, tmp_path):
    from conftest import RTPENGINE_BINARY
    result = subprocess.run([RTPENGINE_BINARY, "--config-file=none", "--listen-ng=127.0.0.1:1",
                             "--interface=127.0.0.1", "--listen-https=1"], capture_output=True,
                            text=True, timeout=10)
    assert result.returncode == 1 and "--https-cert" in result.stderr


# ---------------------------------------------------------------- bounds

def ng_round_trip_seconds(daemon):
    started = time.monotonic()
    assert daemon.ng({"command": "ping"}, attempts=1)["result"] == "pong"
    return time.monotonic() - started


def closed_by_daemon(connection, deadline):
    """True when the daemon closes `connection` before `deadline` (whatever it sends first)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        connection.settimeout(remaining)
        try:
            if not connection.recv(4096):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def test_slow_clients_do_not_stall_ng_and_are_dropped(web, media_peer):
    """Slow-loris: connections that send half a request and then nothing. ng and media carry
    on meanwhile; after 5 s of silence the daemon closes them."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(web, caller, callee)
    slow = []
    for _ in range(100):
        connection = socket.create_connection((HOST, web.http_port), timeout=10)
        connection.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(connection)
    try:
        assert max(ng_round_trip_seconds(web) for _ in range(20)) < 0.2
        assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 10), callee.rtp)) == 10
        assert get(web, "/ping")[2] == b"pong"
        # silent ones are closed after the timeout (5 s); bounded wait
        deadline = time.monotonic() + 12
        assert all(closed_by_daemon(connection, deadline) for connection in slow)
    finally:
        for connection in slow:
            connection.close()


@pytest.mark.slow
def test_trickling_clients_are_closed_at_the_request_deadline(web):
    """A client that sends its headers one byte every second never trips the 5 s read
    timeout; the 10 s request deadline closes it anyway, while a WebSocket opened at the
    same time stays."""
    trickle = [socket.create_connection((HOST, web.http_port), timeout=10) for _ in range(20)]
    socket_ = WebSocket(HOST, web.http_port, "ng.rtpengine.com")
    started = time.monotonic()
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Trickle: " + b"a" * 100
    closed_at = [None] * len(trickle)
    try:
        for byte_index in range(len(request)):
            if all(closed_at) or time.monotonic() - started > 16:
                break
            for index, connection in enumerate(trickle):
                if closed_at[index]:
                    continue
                try:
                    connection.sendall(request[byte_index:byte_index + 1])
                    connection.setblocking(False)
                    if connection.recv(4096) == b"":
                        closed_at[index] = time.monotonic() - started
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    closed_at[index] = time.monotonic() - started
                finally:
                    connection.setblocking(True)
            # one byte per second and connection: the pace is the point of this test
            time.sleep(1)
        assert all(closed_at), closed_at
        assert 9 <= min(closed_at) and max(closed_at) < 13, closed_at
        socket_.send(TEXT, b"w " + bencode({"command": "ping"}))
        assert socket_.receive()[2] == b"w " + bencode({"result": "pong"})
    finally:
        socket_.close()
        for connection in trickle:
            connection.close()


def test_garbage_and_huge_requests_are_refused(web):
    with socket.create_connection((HOST, web.http_port), timeout=5) as connection:
        connection.sendall(b"\x16\x03\x01 this is not http\r\n\r\n")
        answer = connection.recv(4096)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    with socket.create_connection((HOST, web.http_port), timeout=5) as connection:
        try:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = connection.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"HTTP/1.1 200")
    assert get(web, "/ping")[2] == b"pong"
    assert web.ng({"command": "ping"})["result"] == "pong"


def test_request_flood_does_not_stall_ng(web):
    """Four clients hammer /metrics as fast as they can; ng pings stay answered quickly."""
    stop = threading.Event()
    served = [0] * 4

    def hammer(index):
        connection = http.client.HTTPConnection(HOST, web.http_port, timeout=5)
        while not stop.is_set():
            connection.request("GET", "/metrics")
            connection.getresponse().read()
            served[index] += 1
        connection.close()

    threads = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: sum(served) > 50, timeout=5)
        times = sorted(ng_round_trip_seconds(web) for _ in range(50))
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert sum(served) > 50
    # the median stays low; no ping waits behind the flood for long. HTTP shares the control
    # thread with ng, so a ping may wait for the /metrics pages already being made (four
    # clients); the bounds leave room for an ASan build on a loaded 2-CPU machine (median
    # 0.12 s seen there) and still fail when ng waits for the flood to end (seconds)
    assert times[len(times) // 2] < 0.25 and times[-1] < 1.5, times


# ---------------------------------------------------------------- Graphite

class GraphiteReceiver:
    """A plaintext Graphite server on loopback: accepts connections, collects lines."""

    def __init__(self, port=0):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, port))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]

    def accept(self, timeout):
        self.listener.settimeout(timeout)
        try:
            return self.listener.accept()[0]
        except socket.timeout:
            return None

    @staticmethod
    def read_report(connection, timeout):
        """The lines received until a report's last line (ports_last_default_127.0.0.1)
        arrived, within `timeout` s."""
        connection.settimeout(timeout)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in data.decode().splitlines():
                if line.split(" ")[0].endswith("ports_last_default_127.0.0.1"):
                    return data.decode().splitlines()
            try:
                chunk = connection.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        return data.decode().splitlines()

    def close(self):
        self.listener.close()


def test_graphite_lines_and_reconnect(rtpengine_factory, media_peer):
    port = free_tcp_port()
    # the daemon starts first: its connects are refused until the receiver listens (backoff)
    daemon = rtpengine_factory("--endpoint-learning=immediate", "--graphite=127.0.0.1:%d" % port,
                               "--graphite-interval=1", "--graphite-prefix=test.relay.")
    receiver = GraphiteReceiver(port)
    try:
        connection = receiver.accept(timeout=6)
        assert connection, "no connect within the backoff"
        caller, callee = media_peer(CALLER), media_peer(CALLEE)
        setup = establish(daemon, caller, callee)
        assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 9), callee.rtp)) == 9
        values = {}
        for _ in range(5):
            lines = GraphiteReceiver.read_report(connection, timeout=3)
            assert lines
            for line in lines:
                name, value, stamp = line.split(" ")
                assert name.startswith("test.relay."), line
                assert abs(int(stamp) - time.time()) < 10
                values[name[len("test.relay."):]] = float(value)
            if values.get("relayed_packets") == 9:
                break
        # upstream's names
        assert values["relayed_packets"] == 9 and values["current_sessions_own"] == 1
        assert values["offer_count"] == 1
        assert values["ports_used_default_127.0.0.1"] == 4
        # the server goes away and comes back: the daemon reconnects (backoff from 1 s)
        connection.close()
        connection = receiver.accept(timeout=8)
        assert connection, "no reconnect"
        assert GraphiteReceiver.read_report(connection, timeout=3)
        connection.close()
    finally:
        receiver.close()
    assert daemon.ng({"command": "ping"})["result"] == "pong"


def test_graphite_unreachable_never_blocks(rtpengine_factory):
    """Graphite refusing connections: the daemon retries with backoff, and ng pings spread
    over 1.5 s (several report intervals and connect attempts) stay fast."""
    port = free_tcp_port()
    daemon = rtpengine_factory("--graphite=127.0.0.1:%d" % port, "--graphite-interval=1")
    times = []
    for _ in range(30):
        times.append(ng_round_trip_seconds(daemon))
        time.sleep(0.05)
    assert max(times) < 0.2
    assert daemon.wait_for_log(r"graphite 127\.0\.0\.1:%d: .*retrying" % port)


# ---------------------------------------------------------------- live view

def test_calls_json_lists_the_live_call(web, media_peer):
    import json
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    call = Call(web, "json-call<&>\"")
    setup = establish(web, caller, callee, call=call)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 6), callee.rtp)) == 6
    status, headers, body = get(web, "/calls.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert data["count"] == 1
    listed = data["calls"][0]
    assert listed["call_id"] == call.call_id
    parties = {party["tag"]: party for party in listed["parties"]}
    assert set(parties) == {call.from_tag, call.to_tag}
    caller_media = parties[call.from_tag]["media"][0]
    assert caller_media["codecs"] == "PCMU/8000 PCMA/8000"
    assert caller_media["packets"] == 6 and caller_media["mos"] is None
    assert caller_media["peer"] == "%s:%d" % (CALLER, caller.port)
    assert_ok(call.delete())
    assert json.loads(get(web, "/calls.json")[2])["count"] == 0


def test_live_view_page_in_headless_chromium(web, media_peer, tmp_path):
    """The page at / (no external resources) shows the live call once its script fetched the
    list: checked in the DOM Chromium dumps after running it."""
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("chromium (Debian package chromium) is not installed")
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(web, caller, callee)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 4), callee.rtp)) == 4
    page = get(web, "/")[2].decode()
    assert "<script src" not in page and "http://" not in page and "https://" not in page
    environment = dict(os.environ, HOME=str(tmp_path))
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-breakpad", "--user-data-dir=%s" % (tmp_path / "profile"),
         "--virtual-time-budget=5000", "--dump-dom", "http://%s:%d/" % (HOST, web.http_port)],
        capture_output=True, text=True, timeout=90, env=environment)
    dom = result.stdout
    assert "1 call(s)" in dom, dom[-2000:] + result.stderr[-2000:]
    rows = re.findall(r'<tr class="media" data-call-id="([^"]*)">(.*?)</tr>', dom)
    assert len(rows) == 2, dom
    assert {call_id for call_id, _ in rows} == {setup.call.call_id}
    cells = [re.findall(r"<td>(.*?)</td>", row) for _, row in rows]
    by_tag = {row[2]: row for row in cells}
    caller_row = by_tag[setup.call.from_tag]
    assert caller_row[4] == "PCMU/8000 PCMA/8000"
    assert caller_row[6] == "4"          # packets from the caller
    assert caller_row[9] == "n/a"        # MOS: no RTCP statistics yet
