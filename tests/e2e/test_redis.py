"""High availability with Redis (docs/redis.md): a real redis-server started by the test on
loopback on a free port, the daemon's own database.

- every call change is written as one versioned value per call-id with an expiry; a delete
  removes it
- kill -9 of the active daemon with 100 calls relaying (some with SDES-SRTP legs): a standby
  started on the same addresses restores every call, media continues within 1 s, a later
  delete works
- a value of the previous schema version restores
- Redis killed and restarted mid-call: ng keeps answering at once, errors are counted, the
  daemon reconnects and writes what changed meanwhile
- active-active: a second daemon following the keyspace picks up the first one's calls
"""

import json
import os
import shutil
import signal
import socket
import time

import pytest

from calls import Call, Sdp, assert_ok, make_sdp, media_section, simple_sdp
from conftest import IS_UPSTREAM, RTPENGINE_BINARY, free_udp_port  # noqa: F401
from ports import free_tcp_port
from process import ManagedProcess, wait_until
from rtp import MediaPeer, rtp_stream
from test_srtp import PEER, SUITE, crypto_key, new_key, srtp

pytestmark = [
    pytest.mark.upstream_differs("our value schema and statistics; upstream's Redis layout differs"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed"),
]

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"
DB = 5


# ---------------------------------------------------------------- a minimal RESP client

def _encode(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


class RedisClient:
    def __init__(self, port, db=DB, timeout=2.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        self.command("SELECT", db)

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, count):
        while len(self.buffer) < count + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self._exactly(int(rest))
        if kind == b"*":
            return None if int(rest) < 0 else [self._reply() for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)

    def command(self, *args):
        self.sock.sendall(_encode(*args))
        return self._reply()

    def keys(self):
        return sorted(key.decode() for key in self.command("KEYS", "*"))

    def value(self, key):
        data = self.command("GET", key)
        return json.loads(data) if data is not None else None


class RedisServer:
    def __init__(self, tmp_path, port=None):
        self.tmp_path = tmp_path
        self.port = port or free_tcp_port()
        self.process = None
        self.start()

    def start(self):
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.tmp_path), "--protected-mode", "no",
                "--enable-debug-command", "yes"]
        self.process = ManagedProcess(argv, self.tmp_path / ("redis-%d.log" % time.monotonic_ns()),
                                      name="redis-server")
        assert wait_until(self._ping, 5), self.process.describe()

    def _ping(self):
        try:
            client = RedisClient(self.port, 0, timeout=0.5)
            client.close()
            return True
        except OSError:
            return False

    def kill(self):
        self.process.stop(signal.SIGKILL)

    def client(self, db=DB):
        return RedisClient(self.port, db)

    def url(self, db=DB):
        return "127.0.0.1:%d/%d" % (self.port, db)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.process.stop()


def statistics(daemon):
    return daemon.ng({"command": "statistics"})["statistics"]["totalstatistics"]


def standby_of(factory, active, *extra, binary=None):
    """A daemon with the active one's options (same interfaces and port range), its own ng port;
    `binary` for a test that runs 10.5 too (None: the binary under test)."""
    def argv(ng_port, port_min, port_max):
        args = [arg for arg in active.argv[1:] if not arg.startswith("--listen-ng=")]
        return args + ["--listen-ng=127.0.0.1:%d" % ng_port] + list(extra)
    return factory(argv_builder=argv, binary=binary)


def plain_call(daemon, caller, callee):
    call = Call(daemon)
    offer = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port)))["sdp"])
    answer = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))["sdp"])
    return call, answer.media_address(), offer.media_address()


def srtp_call(daemon, caller, callee):
    """Caller speaks SDES-SRTP, callee plain RTP: (call, caller key, relay key, addresses)."""
    call = Call(daemon)
    caller_key = new_key()
    offer = make_sdp(CALLER, media_section(caller.port, protocol="RTP/SAVP",
                                           attributes=("sendrecv", "crypto:1 %s inline:%s" % (SUITE, caller_key))))
    offered = Sdp(assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP"}))["sdp"])
    answer = assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"]
    relay_key = crypto_key(answer)[2]
    return call, caller_key, relay_key, Sdp(answer).media_address(), offered.media_address()


def wait_written(redis_client, call_ids, predicate=lambda value: True, timeout=5.0):
    def done():
        for call_id in call_ids:
            value = redis_client.value(call_id)
            if value is None or not predicate(value):
                return False
        return True
    return wait_until(done, timeout)


def latched(value):
    return all(media["streams"][0]["learned"] for monologue in value["monologues"]
               for media in monologue["media"])


# ---------------------------------------------------------------- tests

def test_value_written_with_expiry_and_deleted(rtpengine_factory, redis_server):
    daemon = rtpengine_factory("--redis=%s" % redis_server.url(), "--redis-expires=120")
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, to_callee, to_caller = plain_call(daemon, caller, callee)
        client = redis_server.client()
        assert wait_written(client, [call.call_id]), client.keys()
        value = client.value(call.call_id)
        assert value["schema"] == "rtpengine-call" and value["version"] == 2
        assert value["call_id"] == call.call_id
        tags = [monologue["tag"] for monologue in value["monologues"]]
        assert tags == ["caller-tag", "callee-tag"]
        assert value["monologues"][0]["media"][0]["streams"][0]["advertised"] == "%s:%d" % (CALLER, caller.port)
        ports = sorted(monologue["media"][0]["rtp_port"] for monologue in value["monologues"])
        assert ports == sorted([to_callee[1], to_caller[1]])
        assert 0 < client.command("TTL", call.call_id) <= 120
        # latching (the packet path) reaches Redis through the one-second check
        caller.rtp.send(rtp_stream(0x1234, 1)[0], to_callee)
        assert callee.rtp.receive(2.0)
        callee.rtp.send(rtp_stream(0x4321, 1)[0], to_caller)
        assert caller.rtp.receive(2.0)
        assert wait_written(client, [call.call_id], latched, 4.0), client.value(call.call_id)
        assert_ok(call.delete())
        assert wait_until(lambda: client.value(call.call_id) is None, 3.0)
        totals = statistics(daemon)
        assert totals["redisconnected"] == 1 and totals["rediswrites"] >= 2 and totals["redisdeletes"] == 1
        assert totals["rediswriteerrors"] == 0
        client.close()
    finally:
        caller.close()
        callee.close()


def _sdes_indexes(value, direction):
    """{ssrc: rtp index} of every side's SDES contexts in one direction ("decrypt"/"encrypt")."""
    found = {}
    for monologue in value["monologues"]:
        for media in monologue["media"]:
            for entry in (media.get("sdes") or {}).get(direction) or []:
                if "rtp" in entry:
                    found[entry["ssrc"]] = entry["rtp"]
    return found


@pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")
@pytest.mark.upstream_differs("10.5's Redis schema is another; this checks our value's SRTP indexes")
def test_shutdown_writes_the_last_srtp_indexes(rtpengine_factory, redis_server):
    """SIGTERM: each call's value is written once more as the call ends, so a restarted daemon
    resumes the SRTP contexts exactly where they stood (the once-a-second check rewrites a
    value only after 256 packets)."""
    daemon = rtpengine_factory("--redis=%s" % redis_server.url())
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, caller_key, _, to_callee, to_caller = srtp_call(daemon, caller, callee)
        client = redis_server.client()
        sent = srtp("protect", caller_key, rtp_stream(0x5151, 3, first_sequence=100))
        for packet in sent:
            caller.rtp.send(packet, to_callee)
        assert len(callee.rtp.receive_all(3, 2.0)) == 3
        callee.rtp.send(rtp_stream(0x6161, 1, first_sequence=700)[0], to_caller)
        assert caller.rtp.receive(2.0)
        assert wait_written(client, [call.call_id], lambda v: _sdes_indexes(v, "decrypt").get(0x5151) == 102, 4.0), \
            client.value(call.call_id)
        # 20 more each way: under the 256 that make the running daemon write the value again
        for packet in srtp("protect", caller_key, rtp_stream(0x5151, 20, first_sequence=103)):
            caller.rtp.send(packet, to_callee)
        for packet in rtp_stream(0x6161, 20, first_sequence=701):
            callee.rtp.send(packet, to_caller)
        assert len(callee.rtp.receive_all(20, 2.0)) == 20 and len(caller.rtp.receive_all(20, 2.0)) == 20
        assert daemon.stop() == 0
        value = client.value(call.call_id)
        assert _sdes_indexes(value, "decrypt") == {0x5151: 122}, value
        assert _sdes_indexes(value, "encrypt") == {0x6161: 720}, value
        assert "1 call(s) written at shutdown" in daemon.log_text()
        client.close()
    finally:
        caller.close()
        callee.close()


def _matches(sock, expected, timeout):
    """True when one of the datagrams queued on sock (read within timeout) is expected."""
    deadline = time.monotonic() + timeout
    for _ in range(20):
        got = sock.receive(max(deadline - time.monotonic(), 0.001))
        if got is None:
            return False
        if expected(got[0]):
            return True
    return False


def _exchange(pairs, indexes, sequence, timeout=1.0):
    """One packet each way on the calls at indexes; those whose both packets came through."""
    for index in indexes:
        pairs[index]["send_caller"](sequence)
        pairs[index]["send_callee"](sequence)
    through = set()
    deadline = time.monotonic() + timeout
    for index in indexes:
        pair = pairs[index]
        if _matches(pair["callee"].rtp, lambda data: pair["at_callee"](data, sequence),
                    deadline - time.monotonic()) \
                and _matches(pair["caller"].rtp, lambda data: pair["at_caller"](data, sequence),
                             deadline - time.monotonic()):
            through.add(index)
    return through


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")
def test_standby_takes_over_100_calls_after_kill_9(rtpengine_factory, redis_server):
    active = rtpengine_factory("--redis=%s" % redis_server.url(), port_count=600, timeout=60)
    pairs = []
    srtp_calls = 10
    try:
        for index in range(100):
            caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
            pair = {"caller": caller, "callee": callee}
            if index < srtp_calls:
                call, caller_key, relay_key, to_callee, to_caller = srtp_call(active, caller, callee)
                ssrc = 0x10000 + index
                # protected ahead: the timing below measures the relay, not the libsrtp runs
                protected = {first: srtp("protect", caller_key, rtp_stream(ssrc, 5, first_sequence=first))
                             for first in (1000, 2000)}
                pair["relay_key"], pair["ssrc"], pair["srtp_seen"] = relay_key, ssrc, []

                def send_caller(sequence, caller=caller, protected=protected, to=to_callee):
                    first = 1000 if sequence < 2000 else 2000
                    caller.rtp.send(protected[first][sequence - first], to)

                def send_callee(sequence, callee=callee, to=to_caller, ssrc=ssrc):
                    callee.rtp.send(rtp_stream(ssrc + 1, 1, first_sequence=sequence)[0], to)

                def at_callee(data, sequence, ssrc=ssrc):
                    return data == rtp_stream(ssrc, 1, first_sequence=sequence)[0]

                def at_caller(data, sequence, ssrc=ssrc, pair=pair):
                    # SRTP keeps the header in the clear; decryption is checked after the timing
                    header = rtp_stream(ssrc + 1, 1, first_sequence=sequence)[0][:12]
                    if data[:12] != header:
                        return False
                    pair["srtp_seen"].append((sequence, data))
                    return True
            else:
                call, to_callee, to_caller = plain_call(active, caller, callee)
                pair.update(to_callee=to_callee, to_caller=to_caller)

                def send_caller(sequence, caller=caller, to=to_callee):
                    caller.rtp.send(rtp_stream(1, 1, first_sequence=sequence)[0], to)

                def send_callee(sequence, callee=callee, to=to_caller):
                    callee.rtp.send(rtp_stream(2, 1, first_sequence=sequence)[0], to)

                def at_callee(data, sequence):
                    return data == rtp_stream(1, 1, first_sequence=sequence)[0]

                def at_caller(data, sequence):
                    return data == rtp_stream(2, 1, first_sequence=sequence)[0]
            pair.update(call=call, send_caller=send_caller, send_callee=send_callee, at_callee=at_callee,
                        at_caller=at_caller)
            pairs.append(pair)
        assert _exchange(pairs, range(100), 1000) == set(range(100))
        client = redis_server.client()
        assert wait_written(client, [pair["call"].call_id for pair in pairs], latched, 5.0)

        killed_at = time.monotonic()
        active.stop(signal.SIGKILL)
        standby = standby_of(rtpengine_factory, active)
        ready_at = time.monotonic()
        through, sequence = set(), 2000
        while len(through) < 100 and time.monotonic() - killed_at < 5:
            through |= _exchange(pairs, [i for i in range(100) if i not in through], sequence, 0.5)
            print("round %d: %d calls through at %.3f s" % (sequence - 2000, len(through), time.monotonic() - killed_at))
            sequence += 1
        gap = time.monotonic() - killed_at
        print("standby ready %.3f s after kill -9; all calls relaying after %.3f s" % (ready_at - killed_at, gap))
        missing = sorted(set(range(100)) - through)
        assert not missing, "calls without media after the take-over: %s\n%s" % (missing, standby.log_text()[-3000:])
        assert gap < 1.0
        # the SRTP legs: what the standby encrypted decrypts with the key the active one answered
        for pair in pairs[:srtp_calls]:
            sequences = [sequence for sequence, _ in pair["srtp_seen"]]
            data = [packet for _, packet in pair["srtp_seen"]]
            assert srtp("unprotect", pair["relay_key"], data) == \
                [rtp_stream(pair["ssrc"] + 1, 1, first_sequence=sequence)[0] for sequence in sequences]
        totals = statistics(standby)
        assert totals["redisrestored"] == 100 and totals["redisrestoreerrors"] == 0
        # later signalling works on the standby: delete one call, its value goes
        assert_ok(Call(standby, pairs[0]["call"].call_id).delete())
        assert wait_until(lambda: client.value(pairs[0]["call"].call_id) is None, 3.0)
        assert standby.ng({"command": "query", "call-id": pairs[1]["call"].call_id})["result"] == "ok"
        # a re-INVITE on the standby: the same ports are offered again and media goes on
        plain = pairs[20]
        again = Call(standby, plain["call"].call_id)
        offered = Sdp(assert_ok(again.offer(simple_sdp(CALLER, plain["caller"].port)))["sdp"])
        answered = Sdp(assert_ok(again.answer(simple_sdp(CALLEE, plain["callee"].port)))["sdp"])
        assert offered.media_address() == plain["to_caller"] and answered.media_address() == plain["to_callee"]
        assert _exchange(pairs, [20], 3000) == {20}
        client.close()
    finally:
        for pair in pairs:
            pair["caller"].close()
            pair["callee"].close()



V1_VALUE = {
    # what schema version 1 wrote: no "schema", no ICE credentials, no SRTP positions
    "version": 1, "call_id": "v1-call", "created_us": 1000, "last_signal_us": 2000,
    "monologues": [
        {"tag": "a", "via_branch": None, "label": None, "created_us": 1000, "flags": 0, "peer": 1,
         "media": [{"type": "audio", "protocol": "RTP/AVP", "interface": "default", "local": "127.0.0.1:0",
                    "direction": 1, "rejected": False, "rtcp_mux": False, "rtcp_mux_offered": False,
                    "rtcp_mux_policy": 0, "ice_seen": False, "rtp_port": None, "codecs": "0", "sink": [1, 0],
                    "streams": [{"state": 1, "advertised": None, "learned": None},
                                {"state": 1, "advertised": None, "learned": None}]}]},
        {"tag": "b", "via_branch": None, "label": None, "created_us": 1000, "flags": 0, "peer": 0,
         "media": [{"type": "audio", "protocol": "RTP/AVP", "interface": "default", "local": "127.0.0.1:0",
                    "direction": 1, "rejected": False, "rtcp_mux": False, "rtcp_mux_offered": False,
                    "rtcp_mux_policy": 0, "ice_seen": False, "rtp_port": None, "codecs": "0", "sink": [0, 0],
                    "streams": [{"state": 1, "advertised": None, "learned": None},
                                {"state": 1, "advertised": None, "learned": None}]}]},
    ],
}


def test_previous_schema_version_restores(rtpengine_factory, redis_server):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    ports = {}

    def argv(ng_port, port_min, port_max):
        # the value is written before the daemon starts, with ports inside its range
        value = json.loads(json.dumps(V1_VALUE))
        for index, (peer, host) in enumerate(((caller, CALLER), (callee, CALLEE))):
            media = value["monologues"][index]["media"][0]
            media["rtp_port"] = ports[index] = port_min + 2 * index
            media["streams"][0]["advertised"] = "%s:%d" % (host, peer.port)
            media["streams"][1]["advertised"] = "%s:%d" % (host, peer.port + 1)
        client.command("SET", "v1-call", json.dumps(value))
        return ["--config-file=none", "--table=-1", "--foreground", "--log-stderr", "--log-level=7",
                "--listen-ng=127.0.0.1:%d" % ng_port, "--port-min=%d" % port_min, "--port-max=%d" % port_max,
                "--delete-delay=0", "--interface=127.0.0.1", "--redis=%s" % redis_server.url()]
    try:
        daemon = rtpengine_factory(argv_builder=argv)
        assert daemon.wait_for_log(r"\[v1-call\]: redis: call restored \(schema version 1\)")
        caller.rtp.send(rtp_stream(7, 1)[0], ("127.0.0.1", ports[0]))
        assert callee.rtp.receive(2.0)[0] == rtp_stream(7, 1)[0]
        callee.rtp.send(rtp_stream(8, 1)[0], ("127.0.0.1", ports[1]))
        assert caller.rtp.receive(2.0)[0] == rtp_stream(8, 1)[0]
        # rewritten in the current version once the daemon writes it
        assert wait_until(lambda: client.value("v1-call")["version"] == 2, 3.0)
        assert_ok(Call(daemon, "v1-call", from_tag="a").delete())
        assert wait_until(lambda: client.value("v1-call") is None, 3.0)
    finally:
        client.close()
        caller.close()
        callee.close()


def test_redis_killed_and_restarted_mid_call(rtpengine_factory, redis_server):
    daemon = rtpengine_factory("--redis=%s" % redis_server.url(), "--redis-cmd-timeout=200")
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    other_caller, other_callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        first, to_callee, _ = plain_call(daemon, caller, callee)
        client = redis_server.client()
        assert wait_written(client, [first.call_id])
        client.close()
        redis_server.kill()
        # ng and media go on at once while Redis is away
        started = time.monotonic()
        second, _, _ = plain_call(daemon, other_caller, other_callee)
        assert time.monotonic() - started < 0.2
        caller.rtp.send(rtp_stream(9, 1)[0], to_callee)
        assert callee.rtp.receive(2.0)
        assert wait_until(lambda: statistics(daemon)["redisconnected"] == 0, 3.0)
        assert statistics(daemon)["redisdirtycalls"] >= 1
        assert daemon.wait_for_log(r"redis write: .* unreachable")
        # a fresh Redis (no persistence: empty) on the same port gets every call again
        redis_server.start()
        client = redis_server.client()
        assert wait_written(client, [first.call_id, second.call_id], timeout=12.0), client.keys()
        assert statistics(daemon)["redisconnected"] == 1
        assert len(re_findall(r"redis write: .* unreachable", daemon.log_text())) <= 2, \
            "the outage is logged once per state change, not per attempt"
        client.close()
    finally:
        for peer in (caller, callee, other_caller, other_callee):
            peer.close()


def re_findall(pattern, text):
    import re
    return re.findall(pattern, text)


def _second_instance(rtpengine_factory, first, *extra):
    """A daemon following the keyspace of first's database, on its own address 127.0.0.3."""
    def argv(ng_port, port_min, port_max):
        args = [arg for arg in first.argv[1:] if not arg.startswith(("--listen-ng=", "--interface="))]
        return args + ["--listen-ng=127.0.0.1:%d" % ng_port, "--interface=127.0.0.3",
                       "--subscribe-keyspace=%d" % DB] + list(extra)
    return rtpengine_factory(argv_builder=argv)


def test_active_active_via_keyspace_notifications(rtpengine_factory, redis_server):
    client = redis_server.client()
    # the operator enables keyspace notifications in Redis (docs/redis.md)
    client.command("CONFIG", "SET", "notify-keyspace-events", "K$gx")
    first = rtpengine_factory("--redis=%s" % redis_server.url(), port_count=40)
    # --timeout=1: a foreign call (no media here, it flows through its owner) must not time out
    second = _second_instance(rtpengine_factory, first, "--timeout=1")
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, _, _ = plain_call(first, caller, callee)

        def known_to_second():
            return second.ng({"command": "query", "call-id": call.call_id}).get("result") == "ok"
        assert wait_until(known_to_second, 3.0), second.log_text()[-2000:]
        assert statistics(second)["rediskeyspaceevents"] >= 1
        assert second.wait_for_log(r"call restored \(schema version 2\) from another instance")
        # three one-second timer runs without media: the foreign copy stays (its owner decides)
        assert not wait_until(lambda: not known_to_second(), 3.0), second.log_text()[-2000:]
        # the owner deletes it: the copy goes too, and the second daemon never wrote it
        assert_ok(call.delete())
        assert wait_until(lambda: not known_to_second(), 3.0)
        assert statistics(second)["rediswrites"] == 0
    finally:
        client.close()
        caller.close()
        callee.close()


def _relays(sender, to, receiver, ssrc, sequence, packet=None):
    """One packet from sender to the relay address `to` arrives unchanged (or as packet) at receiver."""
    sent = rtp_stream(ssrc, 1, first_sequence=sequence)[0]
    sender.rtp.send(packet or sent, to)
    return _matches(receiver.rtp, lambda data: data == sent, 2.0)


@pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")
def test_active_active_applies_the_owners_later_changes(rtpengine_factory, redis_server):
    """A foreign call follows its owner: a re-INVITE there with a new caller address and a new
    SDES key is applied here too (media through this daemon's ports goes to the new address
    and decrypts with the new key), and the owner's delete ends the copy."""
    client = redis_server.client()
    client.command("CONFIG", "SET", "notify-keyspace-events", "K$gx")
    first = rtpengine_factory("--redis=%s" % redis_server.url(), port_count=40)
    second = _second_instance(rtpengine_factory, first)
    caller, callee, moved = MediaPeer(CALLER), MediaPeer(CALLEE), MediaPeer(CALLER)
    try:
        call, caller_key, relay_key, to_callee, to_caller = srtp_call(first, caller, callee)
        ports = (to_callee[1], to_caller[1])

        def foreign_copy():
            reply = second.ng({"command": "query", "call-id": call.call_id})
            return reply if reply.get("result") == "ok" else None
        assert wait_until(foreign_copy, 3.0), second.log_text()[-2000:]
        # the copy relays with the owner's ports and keys on this daemon's address
        here_callee, here_caller = ("127.0.0.3", ports[0]), ("127.0.0.3", ports[1])
        protected = srtp("protect", caller_key, rtp_stream(0x77, 4, first_sequence=100))
        assert _relays(caller, here_callee, callee, 0x77, 100, protected[0])
        callee.rtp.send(rtp_stream(0x78, 1, first_sequence=100)[0], here_caller)
        got = caller.rtp.receive(2.0)
        assert got is not None and got[0][:12] == rtp_stream(0x78, 1, first_sequence=100)[0][:12]

        # a re-INVITE at the owner: the caller moved to another port and has a new key
        new_key_text = new_key()
        offer = make_sdp(CALLER, media_section(moved.port, protocol="RTP/SAVP",
                                               attributes=("sendrecv", "crypto:1 %s inline:%s" % (SUITE, new_key_text))))
        assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP"}))
        assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))

        def applied():
            return statistics(second)["redisforeignupdates"] >= 1
        assert wait_until(applied, 3.0), second.log_text()[-2000:]
        assert second.wait_for_log(r"the other instance changed the call")
        assert wait_until(foreign_copy, 3.0)
        # towards the caller: its new address now (plain RTP from the callee, SRTP to the caller)
        callee.rtp.send(rtp_stream(0x79, 1, first_sequence=300)[0], here_caller)
        got = moved.rtp.receive(2.0)
        assert got is not None and got[0][:12] == rtp_stream(0x79, 1, first_sequence=300)[0][:12], \
            second.log_text()[-2000:]
        assert caller.rtp.receive(0.3) is None, "the old caller address still gets media"
        # from the caller: only its new key decrypts now
        fresh = srtp("protect", new_key_text, rtp_stream(0x7a, 2, first_sequence=400))
        moved.rtp.send(fresh[0], here_callee)
        assert _matches(callee.rtp, lambda data: data == rtp_stream(0x7a, 2, first_sequence=400)[0], 2.0)
        old_key_packet = srtp("protect", caller_key, rtp_stream(0x7b, 1, first_sequence=500))[0]
        moved.rtp.send(old_key_packet, here_callee)
        assert callee.rtp.receive(0.3) is None, "a packet with the old key was relayed"
        assert statistics(second)["rediswrites"] == 0
        assert statistics(second)["redisrestoreerrors"] == 0
        # the owner deletes: the copy goes
        assert_ok(call.delete())
        assert wait_until(lambda: foreign_copy() is None, 3.0)
    finally:
        client.close()
        for peer in (caller, callee, moved):
            peer.close()


def test_cli_standby_and_active(rtpengine_factory, redis_server):
    from test_cli import OUR_CTL, ctl
    if not os.access(OUR_CTL, os.X_OK):
        pytest.skip("utils/rtpengine-ctl is not built")
    cli_port = free_tcp_port()
    daemon = rtpengine_factory("--redis=%s" % redis_server.url(), "--listen-cli=127.0.0.1:%d" % cli_port)
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    try:
        call, _, _ = plain_call(daemon, caller, callee)
        assert wait_written(client, [call.call_id])
        assert ctl(cli_port, "standby") == ("Ok, all calls set to 'foreign (standby)'\n", 0)
        text, _ = ctl(cli_port, "list", "numsessions")
        assert "Current sessions own: 0\nCurrent sessions foreign: 1\n" in text
        assert "foreign:yes" in ctl(cli_port, "list", "sessions", "foreign")[0]
        # a standby leaves the value to its owner: ending the call here does not delete it
        client.command("DEL", call.call_id)
        assert ctl(cli_port, "active") == ("Ok, all calls set to 'owned (active)'\n", 0)
        assert "Current sessions own: 1\nCurrent sessions foreign: 0\n" in ctl(cli_port, "list", "numsessions")[0]
        # active writes every call again
        assert wait_written(client, [call.call_id])
        assert ctl(cli_port, "list", "redisdisabletime") == ("10\n", 0)
        assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n\n"
    finally:
        client.close()
        caller.close()
        callee.close()


def test_cli_ksadd_and_ksrm(rtpengine_factory, redis_server):
    """ksadd follows one more keyspace at once (a daemon started without any), ksrm stops
    following it and ends the foreign calls that came from it; texts as 10.5's."""
    from test_cli import OUR_CTL, ctl
    if not os.access(OUR_CTL, os.X_OK):
        pytest.skip("utils/rtpengine-ctl is not built")
    client = redis_server.client()
    client.command("CONFIG", "SET", "notify-keyspace-events", "K$gx")
    first = rtpengine_factory("--redis=%s" % redis_server.url(), port_count=40)
    cli_port = free_tcp_port()

    def argv(ng_port, port_min, port_max):
        args = [arg for arg in first.argv[1:] if not arg.startswith(("--listen-ng=", "--interface=", "--redis="))]
        # its own database: DB is followed only through ksadd
        return args + ["--listen-ng=127.0.0.1:%d" % ng_port, "--interface=127.0.0.3",
                       "--redis=%s" % redis_server.url(DB + 2), "--listen-cli=127.0.0.1:%d" % cli_port]
    second = rtpengine_factory(argv_builder=argv)
    peers = [MediaPeer(CALLER), MediaPeer(CALLEE), MediaPeer(CALLER), MediaPeer(CALLEE)]
    try:
        def known_to_second(call):
            return second.ng({"command": "query", "call-id": call.call_id}).get("result") == "ok"
        before, _, _ = plain_call(first, peers[0], peers[1])
        assert wait_written(client, [before.call_id])
        assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n\n"
        assert ctl(cli_port, "ksadd", str(DB))[0] == "Success adding keyspace %d to redis notifications.\n" % DB
        assert ctl(cli_port, "ksadd", str(DB))[0] == "Keyspace %d is already among redis notifications.\n" % DB
        assert ctl(cli_port, "ksadd", "x")[0] == "Fail adding keyspace x to redis notifications; no digists found\n"
        assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n%d \n" % DB
        # a call the owner writes from now on reaches the second daemon
        after, _, _ = plain_call(first, peers[2], peers[3])
        assert wait_until(lambda: known_to_second(after), 5.0), second.log_text()[-2000:]
        assert not known_to_second(before), "notifications before ksadd are not replayed"
        assert "Current sessions foreign: 1\n" in ctl(cli_port, "list", "numsessions")[0]
        assert ctl(cli_port, "ksrm", str(DB))[0] == ("Successfully unsubscribed from keyspace %d.\n"
                                                     "Successfully removed all foreign calls for keyspace %d.\n"
                                                     % (DB, DB))
        assert not known_to_second(after)
        assert client.value(after.call_id) is not None, "the owner's value stays"
        assert ctl(cli_port, "ksrm", str(DB))[0] == "Keyspace %d is not among redis notifications.\n" % DB
        assert ctl(cli_port, "kslist")[0] == "\nSubscribed-on keyspaces:\n\n"
        # no longer followed: a re-INVITE at the owner does not bring the call back
        assert_ok(after.offer(simple_sdp(CALLER, peers[2].port)))
        assert not wait_until(lambda: known_to_second(after), 1.0)
        assert statistics(second)["rediswrites"] == 0
    finally:
        client.close()
        for peer in peers:
            peer.close()


def test_slow_redis_never_delays_ng(rtpengine_factory, redis_server):
    """Redis stalls (DEBUG SLEEP): ng answers at once, the connection is dropped after
    --redis-cmd-timeout and the call is written once Redis answers again."""
    import threading
    daemon = rtpengine_factory("--redis=%s" % redis_server.url(), "--redis-cmd-timeout=300")
    peers = [MediaPeer(CALLER), MediaPeer(CALLEE), MediaPeer(CALLER), MediaPeer(CALLEE)]
    client = redis_server.client()
    try:
        first, _, _ = plain_call(daemon, peers[0], peers[1])
        assert wait_written(client, [first.call_id])
        staller = redis_server.client(0)
        stall = threading.Thread(target=staller.command, args=("DEBUG", "SLEEP", "2"))
        stall.start()
        time.sleep(0.1)   # the stall has begun (bounded: the command returns after 2 s)
        started = time.monotonic()
        second, _, _ = plain_call(daemon, peers[2], peers[3])
        assert time.monotonic() - started < 0.2
        assert daemon.wait_for_log(r"redis write: .* unreachable \(command timeout\)", 2.0)
        stall.join(5)
        staller.close()
        assert wait_written(client, [first.call_id, second.call_id], timeout=10.0)
        assert statistics(daemon)["rediswriteerrors"] >= 1
    finally:
        client.close()
        for peer in peers:
            peer.close()


def test_unreachable_redis_at_start(rtpengine_factory, tmp_path):
    """Without the calls of --redis the daemon does not start, unless --no-redis-required."""
    from conftest import run_briefly
    closed = free_tcp_port()   # nothing listens there
    status, output = run_briefly(["--config-file=none", "--table=-1", "--foreground", "--log-stderr",
                                  "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % free_udp_port(),
                                  "--redis=127.0.0.1:%d/1" % closed, "--redis-connect-timeout=200"])
    assert status == 1, output
    assert "redis: cannot read 127.0.0.1:%d/1" % closed in output and "--no-redis-required" in output
    daemon = rtpengine_factory("--redis=127.0.0.1:%d/1" % closed, "--redis-connect-timeout=200", "-q")
    assert statistics(daemon)["redisconnected"] == 0
    assert daemon.wait_for_log(r"redis write: 127.0.0.1:%d/1 unreachable" % closed)


def _peer_certificate(tmp_path):
    """A DTLS peer's key and certificate files and the certificate's SHA-256 fingerprint."""
    import subprocess
    key, cert = str(tmp_path / "key.pem"), str(tmp_path / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=dtls-peer"],
                   check=True, capture_output=True)
    fingerprint = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                                 check=True, capture_output=True).stdout.decode().strip().split("=", 1)[1]
    return key, cert, fingerprint


def test_dtls_srtp_keys_survive_kill_9(rtpengine_factory, redis_server, tmp_path):
    """DTLS-SRTP cannot be resumed, but its exported keys and our role can: after kill -9 the
    standby decrypts and encrypts with the keys of the active daemon's handshake."""
    from test_dtls import OpensslPeer, PROFILES, dtls_offer, split_keys
    from test_dtls import srtp as dtls_srtp
    profile = "SRTP_AES128_CM_SHA1_80"
    suite = PROFILES[profile][0]
    key, cert, fingerprint = _peer_certificate(tmp_path)
    active = rtpengine_factory("--redis=%s" % redis_server.url())
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    peer = None
    try:
        call = Call(active)
        offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="active"),
                                           {"transport-protocol": "RTP/AVP"}))["sdp"])
        answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
        to_relay, from_callee_to = answered.media_address(), offered.media_address()
        peer = OpensslPeer(["s_client", "-connect", "%s:%d" % to_relay, "-cert", cert, "-key", key], profile)
        client_key, server_key = split_keys(peer.keying_material(), profile)

        def both_ways(first_sequence):
            plain = rtp_stream(0x1234, 3, first_sequence=first_sequence)
            for packet in dtls_srtp("protect", suite, client_key, plain):
                caller.rtp.send(packet, to_relay)
            got = [data for data, _ in callee.rtp.receive_all(3, 2.0)]
            back = rtp_stream(0x4321, 3, first_sequence=first_sequence)
            for packet in back:
                callee.rtp.send(packet, from_callee_to)
            protected = [data for data, _ in caller.rtp.receive_all(3, 2.0)]
            return got == plain and len(protected) == 3 and \
                dtls_srtp("unprotect", suite, server_key, protected) == back
        assert both_ways(1000)

        def keys_written():
            value = client.value(call.call_id)
            media = value and value["monologues"][0]["media"][0]
            return media and "dtls" in media and media["dtls"]["decrypt"]
        assert wait_until(keys_written, 4.0), client.value(call.call_id)
        assert client.value(call.call_id)["monologues"][0]["media"][0]["dtls"]["client"] is False

        active.stop(signal.SIGKILL)
        standby = standby_of(rtpengine_factory, active)
        assert both_ways(2000), standby.log_text()[-2000:]
        # a replay of what the active daemon already took is refused by the resumed context
        for packet in dtls_srtp("protect", suite, client_key, rtp_stream(0x1234, 1, first_sequence=1000)):
            caller.rtp.send(packet, to_relay)
        assert callee.rtp.receive(0.5) is None
        assert_ok(Call(standby, call.call_id).delete())
    finally:
        if peer:
            peer.close()
        client.close()
        caller.close()
        callee.close()


@pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")
def test_dtls_without_rtcp_mux_rtp_and_rtcp_survive_kill_9(rtpengine_factory, redis_server, tmp_path):
    """DTLS without rtcp-mux (RFC 5764 section 4.1): the RTCP port's own association's keys are
    stored too, so after kill -9 the standby relays RTP and SRTCP both ways with the keys of
    the active daemon's two handshakes, and refuses a replayed SRTCP packet."""
    from rtp import build_rtcp_compound
    from test_dtls import OpensslPeer, PROFILES, dtls_offer, split_keys
    from test_dtls import srtp as dtls_srtp
    profile = "SRTP_AES128_CM_SHA1_80"
    suite = PROFILES[profile][0]
    key, cert, fingerprint = _peer_certificate(tmp_path)
    active = rtpengine_factory("--redis=%s" % redis_server.url())
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    rtp_peer = rtcp_peer = None
    try:
        call = Call(active)
        offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="active"),
                                           {"transport-protocol": "RTP/AVP"}))["sdp"])
        answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
        relay_rtp, relay_rtcp = answered.media_address(), answered.rtcp_address()
        assert relay_rtcp[1] == relay_rtp[1] + 1 and "rtcp-mux" not in answered.medias[0].attributes
        rtp_peer = OpensslPeer(["s_client", "-connect", "%s:%d" % relay_rtp, "-cert", cert, "-key", key], profile)
        rtcp_peer = OpensslPeer(["s_client", "-connect", "%s:%d" % relay_rtcp, "-cert", cert, "-key", key], profile)
        rtp_client_key, rtp_server_key = split_keys(rtp_peer.keying_material(), profile)
        rtcp_client_key, rtcp_server_key = split_keys(rtcp_peer.keying_material(), profile)
        assert rtcp_client_key != rtp_client_key
        # SRTCP from the caller, protected in one session: indexes 1..4 (RFC 3711 section 3.4)
        reports = [build_rtcp_compound(0x1234, packet_count=n) for n in range(4)]
        protected_reports = dtls_srtp("protect-rtcp", suite, rtcp_client_key, reports)

        def both_ways(first_sequence, report_index):
            plain = rtp_stream(0x1234, 3, first_sequence=first_sequence)
            for packet in dtls_srtp("protect", suite, rtp_client_key, plain):
                caller.rtp.send(packet, relay_rtp)
            if [data for data, _ in callee.rtp.receive_all(3, 2.0)] != plain:
                return "RTP caller -> callee"
            back = rtp_stream(0x4321, 3, first_sequence=first_sequence)
            for packet in back:
                callee.rtp.send(packet, offered.media_address())
            protected = [data for data, _ in caller.rtp.receive_all(3, 2.0)]
            if len(protected) != 3 or dtls_srtp("unprotect", suite, rtp_server_key, protected) != back:
                return "RTP callee -> caller"
            caller.rtcp.send(protected_reports[report_index], relay_rtcp)
            got = callee.rtcp.receive(2.0)
            if not got or got[0] != reports[report_index]:
                return "RTCP caller -> callee"
            report_back = build_rtcp_compound(0x4321, packet_count=report_index)
            callee.rtcp.send(report_back, offered.rtcp_address())
            got = caller.rtcp.receive(2.0)
            if not got or got[0] == report_back \
                    or dtls_srtp("unprotect-rtcp", suite, rtcp_server_key, [got[0]]) != [report_back]:
                return "RTCP callee -> caller"
            return None
        assert both_ways(1000, 0) is None

        def keys_written():
            value = client.value(call.call_id)
            media = value and value["monologues"][0]["media"][0]
            return media and media.get("dtls", {}).get("decrypt") and \
                any("rtcp" in entry for entry in media.get("dtls_rtcp", {}).get("decrypt", []))
        assert wait_until(keys_written, 4.0), client.value(call.call_id)
        stored = client.value(call.call_id)["monologues"][0]["media"][0]["dtls_rtcp"]
        assert stored["client"] is False and stored["profile"] == 1 and len(stored["material"]) == 2 * 60

        active.stop(signal.SIGKILL)
        standby = standby_of(rtpengine_factory, active)
        assert standby.wait_for_log(r"call restored")
        assert both_ways(2000, 3) is None, standby.log_text()[-2000:]
        # what the active daemon already took (SRTCP index 1) is a replay for the standby
        dropped = statistics(standby)["droppedsrtp"]
        caller.rtcp.send(protected_reports[0], relay_rtcp)
        assert callee.rtcp.receive(0.5) is None
        assert wait_until(lambda: statistics(standby)["droppedsrtp"] == dropped + 1, 3.0)
        assert_ok(Call(standby, call.call_id).delete())
    finally:
        for peer in (rtp_peer, rtcp_peer):
            if peer:
                peer.close()
        client.close()
        caller.close()
        callee.close()


def test_read_and_write_databases_differ(rtpengine_factory, redis_server):
    """--redis-write gets the values; --redis is where a (re)start reads them from."""
    write_db = DB + 1
    daemon = rtpengine_factory("--redis=%s" % redis_server.url(), "--redis-write=%s" % redis_server.url(write_db))
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    read_client, write_client = redis_server.client(), redis_server.client(write_db)
    try:
        call, _, _ = plain_call(daemon, caller, callee)
        assert wait_written(write_client, [call.call_id])
        assert read_client.keys() == []
        daemon.stop(signal.SIGKILL)
        # a standby reading the write database takes the call over
        def argv(ng_port, port_min, port_max):
            args = [arg for arg in daemon.argv[1:]
                    if not arg.startswith(("--listen-ng=", "--redis=", "--redis-write="))]
            return args + ["--listen-ng=127.0.0.1:%d" % ng_port, "--redis=%s" % redis_server.url(write_db)]
        standby = rtpengine_factory(argv_builder=argv)
        assert standby.ng({"command": "query", "call-id": call.call_id})["result"] == "ok"
    finally:
        read_client.close()
        write_client.close()
        caller.close()
        callee.close()


def test_recording_state_and_metadata_survive_kill_9(rtpengine_factory, redis_server, tmp_path):
    """A recorded call records on the standby too, with the same metadata, in the same
    capture (pcap: test_redis_recording.py checks the file)."""
    spool = tmp_path / "spool"
    spool.mkdir()
    active = rtpengine_factory("--redis=%s" % redis_server.url(), "--recording-dir=%s" % spool,
                               "--recording-method=pcap")
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    client = redis_server.client()
    try:
        call = Call(active)
        assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"record call": "yes", "metadata": "k:v"}))
        answer = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))["sdp"])
        assert wait_written(client, [call.call_id], lambda value: value.get("recording") == {
            "state": "yes", "metadata": "k:v"})
        # pause recording reaches Redis without an offer (the one-second check)
        assert_ok(active.ng({"command": "pause recording", "call-id": call.call_id}))
        assert wait_written(client, [call.call_id],
                            lambda value: value.get("recording", {}).get("state") == "paused", 4.0)
        assert_ok(active.ng({"command": "start recording", "call-id": call.call_id}))
        assert wait_written(client, [call.call_id],
                            lambda value: value.get("recording", {}).get("state") == "yes", 4.0)
        active.stop(signal.SIGKILL)
        before = set(os.listdir(spool / "tmp"))
        standby = standby_of(rtpengine_factory, active)
        assert standby.ng({"command": "query", "call-id": call.call_id})["recording"] == "yes"
        assert set(os.listdir(spool / "tmp")) == before, "the standby goes on in the same capture"
        caller.rtp.send(rtp_stream(5, 1)[0], answer.media_address())
        assert callee.rtp.receive(2.0)
        assert_ok(Call(standby, call.call_id).delete())
        captures = [name for name in before if name.endswith(".pcap")]
        assert len(captures) == 1 and wait_until(lambda: os.listdir(spool / "pcaps") == captures, 5.0), \
            (captures, os.listdir(spool / "pcaps"))
    finally:
        client.close()
        caller.close()
        callee.close()
