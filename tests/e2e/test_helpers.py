"""Self-tests of the suite's own helpers and of tests/lib (no daemon): a wrong helper would
make the end-to-end tests, the benchmark or the SDP generator pass or fail for the wrong
reason."""

import signal
import socket
import sys
import threading

import pytest

from calls import Sdp, make_sdp, media_section, simple_sdp
from ngclient import BencodeError, NgClient, bdecode, bencode, split_reply
from ports import free_port_range, free_udp_port, ports_free, udp_port_bindable
from process import ManagedProcess, run_to_exit, wait_until
from rtp import (RTCP_SDES, RTCP_SR, build_rtcp_compound, build_rtp, is_rtcp, parse_rtcp,
                 parse_rtp)


def test_bencode_round_trip():
    value = {"command": "offer", "flags": ["trust-address", "symmetric"], "n": -12,
             "nested": {"list": [1, "two", [b"\x00\xff"]]}}
    encoded = bencode(value)
    assert encoded.startswith(b"d7:command5:offer")
    decoded = bdecode(encoded)
    assert decoded["nested"]["list"][2] == [b"\x00\xff"]  # not UTF-8: stays bytes
    decoded["nested"]["list"][2] = [value["nested"]["list"][2][0]]
    assert decoded == value


@pytest.mark.parametrize("data", [b"", b"d", b"d3:abc", b"5:abc", b"i12", b"x", b"le1",
                                  b"d3:key", b"i1ei2e", b"l" * 500 + b"e" * 500])
def test_bdecode_rejects_malformed(data):
    with pytest.raises(BencodeError):
        bdecode(data)


def test_rtp_round_trip():
    packet = build_rtp(65535, 0xfffffff0, 0xdeadbeef, payload_type=8, payload=b"abc",
                       marker=True, csrcs=(1, 2), extension=(0xbede, b"\x10\x01\x00\x00"))
    parsed = parse_rtp(packet)
    assert (parsed.sequence, parsed.timestamp, parsed.ssrc) == (65535, 0xfffffff0, 0xdeadbeef)
    assert parsed.marker and parsed.payload_type == 8 and parsed.csrcs == [1, 2]
    assert parsed.extension_data == (0xbede, b"\x10\x01\x00\x00")
    assert parsed.payload == b"abc"
    assert not is_rtcp(packet)
    assert parse_rtp(packet[:11]) is None


def test_rtcp_compound_round_trip():
    packet = build_rtcp_compound(0x1234, packet_count=3)
    assert is_rtcp(packet) and len(packet) % 4 == 0
    parsed = parse_rtcp(packet)
    assert [p.packet_type for p in parsed] == [RTCP_SR, RTCP_SDES]
    assert all(p.ssrc == 0x1234 for p in parsed)
    assert parse_rtcp(packet[:-1]) is None


def test_sdp_parser():
    sdp = Sdp(make_sdp("127.0.0.2", media_section(4000, attributes=("rtcp:4005",)),
                       media_section(0, kind="video", payload_types=(96,),
                                     connection="::1")))
    assert sdp.origin == ("IP4", "127.0.0.2") and sdp.connection == ("IP4", "127.0.0.2")
    assert sdp.media_address(0) == ("127.0.0.2", 4000)
    assert sdp.rtcp_address(0) == ("127.0.0.2", 4005)
    assert sdp.media_connection(1) == ("IP6", "::1")
    assert sdp.medias[1].port == 0 and sdp.medias[1].kind == "video"
    assert Sdp(simple_sdp("127.0.0.2", 4000)).rtcp_address() == ("127.0.0.2", 4001)


# ---------------------------------------------------------------- tests/lib: ports

def test_free_udp_port_is_bindable():
    port = free_udp_port()
    assert udp_port_bindable("127.0.0.1", port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", port))
        assert not udp_port_bindable("127.0.0.1", port)


def test_free_port_range_is_even_aligned_and_free():
    first, last = free_port_range(["127.0.0.1"], 6)
    assert first % 2 == 0 and last == first + 5
    assert ports_free(["127.0.0.1"], first, last)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", first + 3))
        assert not ports_free(["127.0.0.1"], first, last)
        assert ports_free(["127.0.0.1"], first, first + 2)


# ---------------------------------------------------------------- tests/lib: process runner

def python_program(code):
    return [sys.executable, "-c", code]


def process_gone(pid):
    """True when `pid` no longer runs (absent, or a zombie nobody reaped yet)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_process_output_readiness_and_stop(tmp_path):
    program = ManagedProcess(python_program(
        "import sys, time\nprint('ready', flush=True)\nprint('to stderr', file=sys.stderr, "
        "flush=True)\ntime.sleep(60)"), tmp_path / "out.log")
    try:
        assert program.wait_ready(lambda: "to stderr" in program.log_text(), 10)
        assert "ready\n" in program.log_text()
        assert program.alive() and program.returncode is None
    finally:
        assert program.stop(timeout=5) == -signal.SIGTERM
    assert not program.killed and not program.alive()


def test_process_wait_ready_false_when_it_exits(tmp_path):
    program = ManagedProcess(python_program("raise SystemExit(3)"), tmp_path / "out.log")
    assert not program.wait_ready(lambda: False, 10)
    assert program.wait(5) == 3
    assert program.stop() == 3


def test_process_wait_ready_false_after_timeout(tmp_path):
    program = ManagedProcess(python_program("import time\ntime.sleep(60)"), tmp_path / "out.log")
    try:
        assert not program.wait_ready(lambda: False, 0.2)
        assert program.alive()
    finally:
        program.stop()


def test_process_stop_escalates_to_sigkill(tmp_path):
    program = ManagedProcess(python_program(
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\ntime.sleep(60)"), tmp_path / "out.log")
    assert program.wait_ready(lambda: "ready" in program.log_text(), 10)
    assert program.stop(timeout=0.3) == -signal.SIGKILL
    assert program.killed


def test_process_stop_kills_what_it_left_in_its_group(tmp_path):
    """Like Kamailio's workers: the main process ends on SIGTERM, a child ignoring it
    stays behind in the process group and must not outlive the test."""
    program = ManagedProcess(python_program(
        "import signal, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import signal, time\\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\ntime.sleep(60)'])\n"
        "print('child', child.pid, flush=True)\ntime.sleep(60)"), tmp_path / "out.log")
    assert program.wait_ready(lambda: "child" in program.log_text(), 10)
    child = int(program.log_text().split()[1])
    assert not process_gone(child)
    program.stop(timeout=5)
    assert wait_until(lambda: process_gone(child), 5)


def test_process_describe_names_the_program(tmp_path):
    program = ManagedProcess(python_program("print('some output')"), tmp_path / "out.log",
                             name="example")
    assert program.wait(10) == 0
    text = program.describe()
    assert text.startswith("--- example (pid %d, exit status 0)" % program.pid)
    assert text.endswith("some output")
    program.stop()


def test_run_to_exit():
    assert run_to_exit(python_program("print('bye')\nraise SystemExit(2)")) == (2, "bye\n")
    status, output = run_to_exit(python_program(
        "import time\nprint('started', flush=True)\ntime.sleep(60)"), timeout=0.5)
    assert status is None and output == "started\n"


# ---------------------------------------------------------------- tests/lib: ng client

class FakeRelay:
    """A UDP socket on loopback answering ng requests from a thread: the first `ignore`
    datagrams get no reply (lost), the next one gets `reply` under its cookie."""

    def __init__(self, reply, ignore=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.reply, self.ignore = reply, ignore
        self.closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        for _ in range(self.ignore + 1):
            try:
                datagram, source = self.sock.recvfrom(65535)
            except OSError:
                return
            if self.closing:
                return
            self.received.append(datagram)
            if len(self.received) > self.ignore:
                cookie, _payload = split_reply(datagram)
                self.sock.sendto(cookie + b" " + bencode(self.reply), source)

    def close(self):
        """Wake the thread with one last datagram, then wait for it (bounded)."""
        self.closing = True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", ("127.0.0.1", self.port))
        self.thread.join(10)
        self.sock.close()


def test_ng_client_retransmits_under_the_same_cookie():
    relay = FakeRelay({"result": "ok", "sdp": "v=0"}, ignore=2)
    client = NgClient(relay.port, reply_timeout=0.2, attempts=5)
    try:
        assert client.request({"command": "offer"}) == {"result": "ok", "sdp": "v=0"}
    finally:
        client.close()
        relay.close()
    assert len(relay.received) == 3 and len(set(relay.received)) == 1
    assert bdecode(split_reply(relay.received[0])[1]) == {"command": "offer"}


def test_ng_client_times_out():
    relay = FakeRelay({"result": "ok"}, ignore=10)
    client = NgClient(relay.port, reply_timeout=0.1, attempts=2)
    try:
        with pytest.raises(TimeoutError):
            client.request({"command": "query"})
        assert not client.ping(reply_timeout=0.1)
    finally:
        client.close()
        relay.close()
    assert len(relay.received) == 3


def test_ng_client_ping():
    relay = FakeRelay({"result": "pong"})
    client = NgClient(relay.port)
    try:
        assert client.ping(reply_timeout=2)
    finally:
        client.close()
        relay.close()
