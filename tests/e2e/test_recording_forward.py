"""rtpengine-recording --forward-to=PATH (recording-daemon/forward.c, README there): per call one
SOCK_SEQPACKET connection to a Unix socket the test listens on, the call's METADATA first, then
every packet of its streams as read (IP + UDP + RTP), closed when the call ends. Compared with
Debian's 10.5 rtpengine-recording on the same spool where the machine lets the test give it a
/proc/rtpengine of its own (a private mount namespace: root, as CI).

RTPENGINE_RECORDING_BINARY picks the binary (default <repo>/recording-daemon/rtpengine-recording).
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(E2E_DIR, "..", "lib")))

from process import ManagedProcess, wait_until  # noqa: E402
import recording_spool as spool  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(E2E_DIR, "..", ".."))
BINARY = os.environ.get("RTPENGINE_RECORDING_BINARY") or os.path.join(
    REPO_ROOT, "recording-daemon", "rtpengine-recording")
REFERENCE = "/usr/bin/rtpengine-recording"
BASE_NS = 1_700_000_000 * 1_000_000_000


# ------------------------------------------------------------------------- helpers

class Consumer:
    """A SOCK_SEQPACKET listener at path: every accepted connection's messages, in order, and
    whether the peer closed it. A thread serves it; bounded by the socket timeouts."""

    def __init__(self, path, read=True):
        self.path = path
        self.read = read
        self.connections = []        # [{"messages": [...], "closed": bool}]
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.stopping = False
        self.sockets = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _serve(self, connection, record):
        connection.settimeout(0.2)
        while not self.stopping:
            if not self.read:
                time.sleep(0.05)
                continue
            try:
                message = connection.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                if not message:
                    record["closed"] = True
                    break
                record["messages"].append(message)

    def _run(self):
        while not self.stopping:
            try:
                connection, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            record = {"messages": [], "closed": False}
            with self.lock:
                self.connections.append(record)
                self.sockets.append(connection)
            threading.Thread(target=self._serve, args=(connection, record), daemon=True).start()

    def snapshot(self):
        with self.lock:
            return [{"messages": list(c["messages"]), "closed": c["closed"]} for c in self.connections]

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.listener.close()
        for connection in self.sockets:
            connection.close()


class Recorder(ManagedProcess):
    def __init__(self, tmp_path, extra=(), name="recorder", binary=BINARY, wrapper=()):
        self.spool_dir = str(tmp_path / "spool")
        self.output_dir = str(tmp_path / ("out-" + name))
        os.makedirs(self.spool_dir, exist_ok=True)
        argv = list(wrapper) + [binary, "--config-file=none", "--foreground", "--log-stderr", "--log-level=7",
                                "--spool-dir=" + self.spool_dir, "--output-dir=" + self.output_dir] + list(extra)
        super().__init__(argv, str(tmp_path / (name + ".log")), name=name)
        # ours says "starting"; 10.5 at debug level starts its poller threads once the spool is watched
        assert self.wait_ready(lambda: "starting" in self.log_text() or "poller thread" in self.log_text(), 10), \
            self.log_text()


@pytest.fixture
def started(tmp_path):
    items = []
    yield items
    for item in reversed(items):
        if isinstance(item, Consumer):
            item.close()
        else:
            was_running = item.alive()
            code = item.stop()
            log = item.log_text()
            assert "Sanitizer" not in log and "runtime error" not in log, log
            if was_running and item.name == "recorder":
                assert code == 0 and not item.killed, log


def packets_for(ssrc, count, sequence=100, payload_type=0):
    """(arrival_ns, RTP packet) pairs, 20 ms apart, with a payload that tells them apart."""
    return [(BASE_NS + n * 20_000_000,
             spool.rtp(payload_type, sequence + n, 8000 + n * 160, ssrc, bytes([n & 0xff]) * 160))
            for n in range(count)]


def two_party_call(spool_dir, call_id, metadata=None, count=20):
    call = spool.SpoolCall(spool_dir, call_id)
    if metadata is not None:
        call.metadata += spool.chunk("METADATA", metadata)
    call.add_media(1, {0: "PCMU/8000"})
    sent = []
    for index in range(2):
        call.add_stream(tag=index)
        packets = packets_for(0x1111 + index, count, sequence=100 + 1000 * index)
        call.append_packets(index, packets)
        sent.append([spool.ipv4_udp(packet) for _, packet in packets])
    return call, sent


def assert_forwarded(connection, metadata, sent):
    """First the metadata, then each stream's packets as read, whole and in their order."""
    messages = connection["messages"]
    assert messages[0] == metadata.encode(), messages[:1]
    rest = messages[1:]
    assert sorted(rest) == sorted(packet for stream in sent for packet in stream)
    for stream in sent:
        assert [m for m in rest if m in stream] == stream


# ------------------------------------------------------------------------- tests

def test_forward_to_sends_metadata_then_every_packet(tmp_path, started):
    consumer = Consumer(str(tmp_path / "forward.sock"))
    started.append(consumer)
    recorder = Recorder(tmp_path, ["--forward-to=" + consumer.path, "--output-format=wav", "--output-mixed"])
    started.append(recorder)
    call, sent = two_party_call(recorder.spool_dir, "fwd-1", metadata="caller:alice|callee:bob")
    call.publish()
    assert wait_until(lambda: consumer.snapshot() and len(consumer.snapshot()[0]["messages"]) == 41, 10), \
        (consumer.snapshot(), recorder.log_text())
    # a later METADATA section is not sent (10.5: "Connection already established"); packets
    # appended later are forwarded as they are read
    call.metadata += spool.chunk("METADATA", "later:1")
    call.publish()
    more = packets_for(0x1111, 5, sequence=120)
    call.append_packets(0, more)
    sent[0] += [spool.ipv4_udp(packet) for _, packet in more]
    assert wait_until(lambda: len(consumer.snapshot()[0]["messages"]) == 46, 10), recorder.log_text()
    assert "[fwd-1]" in recorder.log_text() and "metadata is not sent" in recorder.log_text()
    call.end()
    assert wait_until(lambda: consumer.snapshot()[0]["closed"], 10), recorder.log_text()
    connections = consumer.snapshot()
    assert len(connections) == 1
    assert_forwarded(connections[0], "caller:alice|callee:bob", sent)
    # forwarding does not replace recording: the mixed file is written as without it
    assert wait_until(lambda: os.path.exists(os.path.join(recorder.output_dir, "fwd-1-mix.wav")), 10)
    assert "45 packets sent, 0 dropped" in recorder.log_text()


def test_calls_each_get_a_connection_and_no_metadata_no_connection(tmp_path, started):
    consumer = Consumer(str(tmp_path / "forward.sock"))
    started.append(consumer)
    recorder = Recorder(tmp_path, ["--forward-to=" + consumer.path, "--output-format=none"])
    started.append(recorder)
    first, first_sent = two_party_call(recorder.spool_dir, "fwd-a", metadata="a:1", count=5)
    second, second_sent = two_party_call(recorder.spool_dir, "fwd-b", metadata="b:2", count=7)
    bare, _ = two_party_call(recorder.spool_dir, "fwd-bare", count=3)
    for call in (first, second, bare):
        call.publish()
    assert wait_until(lambda: len(consumer.snapshot()) == 2
                      and sum(len(c["messages"]) for c in consumer.snapshot()) == 11 + 15, 10), \
        (consumer.snapshot(), recorder.log_text())
    assert wait_until(lambda: "[fwd-bare]" in recorder.log_text()
                      and "has no METADATA section" in recorder.log_text(), 5), recorder.log_text()
    for call in (first, second, bare):
        call.end()
    assert wait_until(lambda: all(c["closed"] for c in consumer.snapshot()), 10)
    by_metadata = {c["messages"][0]: c for c in consumer.snapshot()}
    assert_forwarded(by_metadata[b"a:1"], "a:1", first_sent)
    assert_forwarded(by_metadata[b"b:2"], "b:2", second_sent)
    assert len(consumer.snapshot()) == 2     # the call without metadata never connected
    assert not os.path.exists(recorder.output_dir) or not os.listdir(recorder.output_dir)


def test_consumer_missing_or_gone_does_not_stop_recording(tmp_path, started):
    path = str(tmp_path / "forward.sock")
    recorder = Recorder(tmp_path, ["--forward-to=" + path, "--output-mixed"])
    started.append(recorder)
    # nobody listens: logged once, the call is recorded all the same
    call, _ = two_party_call(recorder.spool_dir, "fwd-nobody", metadata="m:1")
    call.publish()
    assert wait_until(lambda: "cannot forward to %s" % path in recorder.log_text(), 10), recorder.log_text()
    call.end()
    assert wait_until(lambda: os.path.exists(os.path.join(recorder.output_dir, "fwd-nobody-mix.wav")), 10), \
        recorder.log_text()
    # a consumer that goes away mid-call: the rest is not forwarded, the recording goes on
    consumer = Consumer(path)
    started.append(consumer)
    call, _ = two_party_call(recorder.spool_dir, "fwd-gone", metadata="m:2", count=5)
    call.publish()
    assert wait_until(lambda: consumer.snapshot() and len(consumer.snapshot()[0]["messages"]) == 11, 10)
    consumer.close()
    started.remove(consumer)
    call.append_packets(0, packets_for(0x1111, 5, sequence=105))
    assert wait_until(lambda: "the rest of the call is not forwarded" in recorder.log_text(), 10), \
        recorder.log_text()
    call.end()
    assert wait_until(lambda: os.path.exists(os.path.join(recorder.output_dir, "fwd-gone-mix.wav")), 10), \
        recorder.log_text()
    assert recorder.alive()


def test_slow_consumer_loses_packets_not_the_recording(tmp_path, started):
    """A consumer that reads nothing: the socket buffer fills, the rest is dropped and counted
    (10.5 drops on EAGAIN too); the recording thread is never blocked."""
    consumer = Consumer(str(tmp_path / "forward.sock"), read=False)
    started.append(consumer)
    recorder = Recorder(tmp_path, ["--forward-to=" + consumer.path, "--output-mixed"])
    started.append(recorder)
    call, _ = two_party_call(recorder.spool_dir, "fwd-slow", metadata="m:1", count=3000)
    call.publish()
    call_end_deadline = time.monotonic() + 30
    assert wait_until(lambda: "recording stream 1" in recorder.log_text(), 10)
    call.end()
    assert wait_until(lambda: os.path.exists(os.path.join(recorder.output_dir, "fwd-slow-mix.wav")),
                      max(1, call_end_deadline - time.monotonic())), recorder.log_text()
    import re
    found = re.search(r"(\d+) packets sent, (\d+) dropped", recorder.log_text())
    assert found, recorder.log_text()
    sent, dropped = int(found.group(1)), int(found.group(2))
    assert sent + dropped == 6000 and dropped > 0, (sent, dropped)


def test_output_none_needs_forward_to(tmp_path):
    """10.5: "Both output and forwarding are disabled" is fatal; a bad path is refused."""
    spool_dir, out = tmp_path / "spool", tmp_path / "out"
    spool_dir.mkdir()
    base = [BINARY, "--config-file=none", "--foreground", "--log-stderr", "--spool-dir=%s" % spool_dir,
            "--output-dir=%s" % out]
    refused = subprocess.run(base + ["--output-format=none"], capture_output=True, text=True, timeout=10)
    assert refused.returncode != 0 and "Both output and forwarding are disabled" in refused.stderr
    too_long = subprocess.run(base + ["--forward-to=/" + "x" * 200], capture_output=True, text=True, timeout=10)
    assert too_long.returncode != 0 and "forward-to" in too_long.stderr
    help_text = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=10)
    assert "--forward-to=PATH" in help_text.stdout


def _namespace_wrapper(fake_proc):
    """argv prefix running a program in a private mount namespace whose /proc is fake_proc
    (10.5 reads kernel streams from /proc/rtpengine only). None where that cannot be done."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return None
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "mount --bind %s /proc && test -d /proc/rtpengine" % fake_proc],
                           capture_output=True, timeout=10)
    if probe.returncode != 0:
        return None
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /proc && exec "$@"', fake_proc]


@pytest.mark.skipif(not os.path.exists(REFERENCE), reason="Debian's rtpengine-recording 10.5 is not installed")
def test_same_messages_as_debian_10_5(tmp_path, started):
    """One spool, two readers: ours reads the stream files, Debian's 10.5 reads the same packets
    from a /proc/rtpengine/0/calls/PARENT/NAME of the test's making (a FIFO, one packet per
    write, as the kernel module gives one per read). Both consumers get the same messages."""
    fake_proc = tmp_path / "fakeproc"
    (fake_proc / "rtpengine" / "0" / "calls").mkdir(parents=True)
    wrapper = _namespace_wrapper(str(fake_proc))
    if wrapper is None:
        pytest.skip("no private mount namespace here (needs root and unshare)")
    ours_consumer = Consumer(str(tmp_path / "ours.sock"))
    theirs_consumer = Consumer(str(tmp_path / "theirs.sock"))
    started.extend([ours_consumer, theirs_consumer])
    call, sent = two_party_call(str(tmp_path / "spool"), "cmp-1", metadata="caller:alice|callee:bob", count=10)
    kernel_dir = fake_proc / "rtpengine" / "0" / "calls" / call.prefix
    kernel_dir.mkdir()
    for path in call.streams:
        os.mkfifo(str(kernel_dir / os.path.basename(path)))
    ours = Recorder(tmp_path, ["--forward-to=" + ours_consumer.path, "--output-format=none"])
    theirs = Recorder(tmp_path, ["--forward-to=" + theirs_consumer.path, "--output-format=none"],
                      name="reference", binary=REFERENCE, wrapper=wrapper)
    started.extend([ours, theirs])
    # written in place: 10.5 acts on IN_CLOSE_WRITE only (its daemon's way), not on a rename
    with open(call.meta_path, "wb") as handle:
        handle.write(call.metadata)
    # 10.5 opened its streams: feed the FIFOs one packet per write, paced so that each read
    # returns one packet
    assert wait_until(lambda: theirs.log_text().count("opening stream") >= 2, 10), theirs.log_text()
    writers = [os.open(str(kernel_dir / os.path.basename(path)), os.O_WRONLY | os.O_NONBLOCK)
               for path in call.streams]
    try:
        for n in range(len(sent[0])):
            for index, fd in enumerate(writers):
                os.write(fd, sent[index][n])
                time.sleep(0.005)
    finally:
        for fd in writers:
            os.close(fd)
    expected = 1 + sum(len(stream) for stream in sent)
    for consumer in (ours_consumer, theirs_consumer):
        assert wait_until(lambda: consumer.snapshot() and len(consumer.snapshot()[0]["messages"]) == expected, 10), \
            (consumer.path, consumer.snapshot(), theirs.log_text()[-3000:])
    call.end()
    for consumer in (ours_consumer, theirs_consumer):
        assert wait_until(lambda: consumer.snapshot()[0]["closed"], 10), consumer.path
    mine, reference = ours_consumer.snapshot(), theirs_consumer.snapshot()
    assert len(mine) == len(reference) == 1
    assert mine[0]["messages"][0] == reference[0]["messages"][0] == b"caller:alice|callee:bob"
    assert sorted(mine[0]["messages"]) == sorted(reference[0]["messages"])
    assert_forwarded(mine[0], "caller:alice|callee:bob", sent)
    assert_forwarded(reference[0], "caller:alice|callee:bob", sent)


def test_relay_start_forwarding_reaches_the_consumer(tmp_path, started, rtpengine_factory):
    """Our rtpengine (--recording-method=proc) forwards a call (`start forwarding` with
    metadata: RECORDING 0, FORWARDING 1); rtpengine-recording --forward-to hands its packets
    to the consumer and writes no file; `stop forwarding` ends the connection."""
    from calls import Call, assert_ok, simple_sdp, Sdp
    from rtp import MediaPeer

    consumer = Consumer(str(tmp_path / "forward.sock"))
    started.append(consumer)
    recorder = Recorder(tmp_path, ["--forward-to=" + consumer.path, "--output-mixed"])
    started.append(recorder)
    daemon = rtpengine_factory("--recording-dir=%s" % recorder.spool_dir, "--recording-method=proc")
    caller, callee = MediaPeer("127.0.0.2"), MediaPeer("127.0.0.1")
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port)))
        answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port)))
        to_callee, to_caller = Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()
        assert_ok(call.command("start forwarding", {"metadata": "lawful:1"}))
        assert wait_until(lambda: consumer.snapshot(), 10), recorder.log_text()
        payloads = []
        for n in range(25):
            for peer, target, ssrc in ((caller, to_callee, 0x1111), (callee, to_caller, 0x2222)):
                packet = spool.rtp(0, 100 + n, 8000 + n * 160, ssrc, bytes([n]) * 160)
                peer.rtp.send(packet, target)
                payloads.append(packet)
            time.sleep(0.02)
        assert wait_until(lambda: len(consumer.snapshot()[0]["messages"]) >= 51, 10), \
            (len(consumer.snapshot()[0]["messages"]), recorder.log_text())
        messages = consumer.snapshot()[0]["messages"]
        assert messages[0] == b"lawful:1"
        # each message is IPv4 + UDP + the RTP packet a peer sent
        rtp_payloads = [m[28:] for m in messages[1:]]
        assert sorted(rtp_payloads) == sorted(payloads)
        assert_ok(call.command("stop forwarding"))
        assert wait_until(lambda: consumer.snapshot()[0]["closed"], 10), recorder.log_text()
        assert not [f for f in os.listdir(recorder.output_dir) if f.endswith(".wav")] \
            if os.path.isdir(recorder.output_dir) else True
        assert_ok(call.delete())
    finally:
        caller.close()
        callee.close()
