"""Call recording and forwarding across kill -9 with Redis (docs/redis.md, docs/recording.md):
the value's optional "recording_files" (prefix, forwarding, output destination, metadata) lets
a restarted daemon on the same Redis and spool go on with the same proc spool file, so
rtpengine-recording sees one call (one set of files) and its --forward-to consumer keeps its
one connection; forwarding of a side is restored too.
"""

import glob
import os
import shutil
import signal
import time

import pytest

from calls import Call, Sdp, assert_ok, simple_sdp
from process import wait_until
from rtp import MediaPeer
from test_redis import CALLEE, CALLER, redis_server, standby_of, wait_written  # noqa: F401
from test_recording_forward import Consumer, Recorder, started  # noqa: F401
import recording_spool as spool

pytestmark = [
    pytest.mark.upstream_differs("our value schema; upstream's Redis layout differs"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed"),
]


def send_both(caller, callee, to_callee, to_caller, first, count):
    """count 20 ms PCMU packets each way, sequence/timestamp going on from `first`."""
    sent = []
    for n in range(first, first + count):
        for peer, target, ssrc in ((caller, to_callee, 0x1111), (callee, to_caller, 0x2222)):
            packet = spool.rtp(0, 100 + n, 8000 + n * 160, ssrc, bytes([n & 0xff]) * 160)
            peer.rtp.send(packet, target)
            sent.append(packet)
        time.sleep(0.02)
    return sent


def spool_files(spool_dir):
    return sorted(f for f in os.listdir(spool_dir) if f.endswith(".meta"))


class Setup:
    """A spool directory, the two parties and a Redis client; daemons are started by the test."""

    def __init__(self, tmp_path, redis_server_):
        self.spool_dir = tmp_path / "spool"
        self.spool_dir.mkdir(exist_ok=True)
        self.redis_url = redis_server_.url()
        self.caller, self.callee = MediaPeer(CALLER), MediaPeer(CALLEE)
        self.client = redis_server_.client()

    def proc_daemon(self, factory, spool_dir=None, **options):
        return factory("--redis=%s" % self.redis_url, "--recording-dir=%s" % (spool_dir or self.spool_dir),
                       "--recording-method=proc", **options)

    def close(self):
        self.client.close()
        self.caller.close()
        self.callee.close()


@pytest.fixture
def ha_setup(tmp_path, redis_server):  # noqa: F811
    items = Setup(tmp_path, redis_server)
    yield items
    items.close()


def test_recording_and_forwarding_continue_after_kill_9(rtpengine_factory, ha_setup, tmp_path, started):  # noqa: F811
    consumer = Consumer(str(tmp_path / "forward.sock"))
    started.append(consumer)
    recorder = Recorder(tmp_path, ["--forward-to=" + consumer.path, "--output-mixed", "--output-single"])
    started.append(recorder)
    active = ha_setup.proc_daemon(rtpengine_factory, recorder.spool_dir)
    caller, callee, client = ha_setup.caller, ha_setup.callee, ha_setup.client
    call = Call(active)
    offer = assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"record call": "yes", "metadata": "k:v"}))
    answer = assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    to_callee, to_caller = Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()
    assert_ok(active.ng({"command": "start forwarding", "call-id": call.call_id}))
    assert wait_written(client, [call.call_id], lambda value: value.get("recording_files", {}).get("forwarding")
                        and value.get("recording") == {"state": "yes", "metadata": "k:v"}, 4.0), \
        client.value(call.call_id)
    files = client.value(call.call_id)["recording_files"]
    assert files["metadata"] == "k:v" and files["forwarding_sides"] == [] and files["prefix"]
    assert spool_files(recorder.spool_dir) == [files["prefix"] + ".meta"]
    sent = send_both(caller, callee, to_callee, to_caller, 0, 25)
    assert wait_until(lambda: consumer.snapshot() and len(consumer.snapshot()[0]["messages"]) >= 51, 10), \
        recorder.log_text()
    meta_path = os.path.join(recorder.spool_dir, files["prefix"] + ".meta")
    before = open(meta_path, "rb").read()

    active.stop(signal.SIGKILL)
    standby = standby_of(rtpengine_factory, active)
    assert standby.ng({"command": "query", "call-id": call.call_id})["recording"] == "yes"
    # the same spool file goes on: what it had, then new streams (ids after the old ones)
    assert spool_files(recorder.spool_dir) == [files["prefix"] + ".meta"]
    after = open(meta_path, "rb").read()
    assert after.startswith(before) and len(after) > len(before)
    assert b"STREAM 4 interface" in after[len(before):] and b"FORWARDING 1" in after[len(before):]
    assert b"STREAM 0 interface" not in after[len(before):]
    sent += send_both(caller, callee, to_callee, to_caller, 25, 25)
    assert wait_until(lambda: len(consumer.snapshot()[0]["messages"]) >= 101, 10), \
        (len(consumer.snapshot()[0]["messages"]), recorder.log_text())
    assert_ok(Call(standby, call.call_id).delete())
    assert wait_until(lambda: consumer.snapshot()[0]["closed"], 10), recorder.log_text()
    connections = consumer.snapshot()
    assert len(connections) == 1, "forwarding went on in the call's one connection"
    messages = connections[0]["messages"]
    assert messages[0] == b"k:v"
    rtp = [m[28:] for m in messages[1:] if len(m) == 28 + 172]
    assert sorted(rtp) == sorted(sent)
    # one call for the recorder: one mixed file and one single file per SSRC, no "-1" names
    assert wait_until(lambda: len(os.listdir(recorder.output_dir)) == 3
                      and not [f for f in os.listdir(recorder.output_dir) if f.endswith(".tmp")], 15), \
        (os.listdir(recorder.output_dir), recorder.log_text())
    names = sorted(os.listdir(recorder.output_dir))
    assert names == sorted(["%s-mix.wav" % call.call_id, "%s-00001111.wav" % call.call_id,
                            "%s-00002222.wav" % call.call_id]), names
    frames, rate, _ = spool.read_wav(os.path.join(recorder.output_dir, "%s-mix.wav" % call.call_id))
    assert len(frames) / 2 / rate >= 50 * 0.02 * 0.95    # both halves, the gap filled


def test_forwarded_side_restored_without_recording(rtpengine_factory, ha_setup):
    """start forwarding with a from-tag, no recording: the value says which side; the restored
    call forwards that side's new streams (STREAM n FORWARDING 1) and still records nothing;
    stop forwarding on the restored call ends the spool file."""
    spool_dir, active = ha_setup.spool_dir, ha_setup.proc_daemon(rtpengine_factory)
    caller, callee, client = ha_setup.caller, ha_setup.callee, ha_setup.client
    call = Call(active)
    assert_ok(call.offer(simple_sdp(CALLER, caller.port)))
    assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    assert_ok(active.ng({"command": "start forwarding", "call-id": call.call_id, "from-tag": call.to_tag,
                         "metadata": "side:b"}))
    assert wait_written(client, [call.call_id], lambda value: "recording_files" in value, 4.0)
    value = client.value(call.call_id)
    assert "recording" not in value
    assert value["recording_files"]["forwarding"] is False
    assert value["recording_files"]["forwarding_sides"] == [1]
    assert value["recording_files"]["metadata"] == "side:b"
    prefix = value["recording_files"]["prefix"]
    meta_path = spool_dir / (prefix + ".meta")
    before = meta_path.read_bytes()

    active.stop(signal.SIGKILL)
    standby = standby_of(rtpengine_factory, active)
    assert standby.ng({"command": "query", "call-id": call.call_id})["recording"] == "no"
    after = meta_path.read_bytes()
    assert after.startswith(before)
    added = after[len(before):].decode()
    assert "RECORDING 0" in added and "FORWARDING 0" in added and "RECORDING 1" not in added
    # the answerer's (side 1) new streams forwarded, the offerer's not
    forwarded = {}
    for line in added.split("\n"):
        if line.startswith("STREAM ") and " FORWARDING " in line:
            number, flag = line.split(" FORWARDING ")
            forwarded[int(number.split()[1])] = flag
    details = {}
    chunks = added.split("\n\n")
    for chunk in chunks:
        lines = chunk.split("\n")
        if len(lines) >= 3 and lines[0].endswith(" details"):
            details[int(lines[0].split()[1])] = int(lines[2].split()[1])   # TAG t
    assert details and set(forwarded) == set(details)
    assert all(flag == ("1" if details[n] == 1 else "0") for n, flag in forwarded.items()), (forwarded, details)
    assert min(details) >= 4, "new stream ids after the previous daemon's"
    assert wait_written(client, [call.call_id], lambda value: value.get("recording_files", {})
                        .get("forwarding_sides") == [1], 4.0)
    assert_ok(standby.ng({"command": "stop forwarding", "call-id": call.call_id, "from-tag": call.to_tag}))
    assert wait_until(lambda: not meta_path.exists(), 5), "the spool file ended with the forwarding"
    assert wait_written(client, [call.call_id], lambda value: "recording_files" not in value, 4.0)
    assert_ok(Call(standby, call.call_id).delete())


def test_spool_file_gone_gives_new_files(rtpengine_factory, ha_setup):
    """When the previous daemon's spool file is gone (the recorder ended it, another host's
    spool), the restored call records into new files, as before."""
    spool_dir, active = ha_setup.spool_dir, ha_setup.proc_daemon(rtpengine_factory)
    caller, callee, client = ha_setup.caller, ha_setup.callee, ha_setup.client
    call = Call(active)
    assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"record call": "yes"}))
    assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    assert wait_written(client, [call.call_id], lambda value: "recording_files" in value, 4.0)
    prefix = client.value(call.call_id)["recording_files"]["prefix"]
    active.stop(signal.SIGKILL)
    os.unlink(spool_dir / (prefix + ".meta"))
    standby = standby_of(rtpengine_factory, active)
    assert standby.ng({"command": "query", "call-id": call.call_id})["recording"] == "yes"
    files = spool_files(spool_dir)
    assert len(files) == 1 and files[0] != prefix + ".meta"
    text = (spool_dir / files[0]).read_bytes()
    assert text.startswith(b"CALL-ID\n") and b"STREAM 0 interface" in text
    assert_ok(Call(standby, call.call_id).delete())


def test_foreign_copy_leaves_the_owners_spool_file_alone(rtpengine_factory, ha_setup):
    """Active-active on one spool: the other instance's copy of a recorded call records into
    files of its own (as before); it never writes or deletes the owner's spool file."""
    from test_redis import _second_instance
    spool_dir, caller, callee, client = ha_setup.spool_dir, ha_setup.caller, ha_setup.callee, ha_setup.client
    client.command("CONFIG", "SET", "notify-keyspace-events", "K$gx")
    first = ha_setup.proc_daemon(rtpengine_factory, port_count=40)
    second = _second_instance(rtpengine_factory, first)
    call = Call(first)
    assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"record call": "yes", "metadata": "m"}))
    assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    assert wait_written(client, [call.call_id], lambda value: "recording_files" in value, 4.0)
    owners = spool_dir / (client.value(call.call_id)["recording_files"]["prefix"] + ".meta")
    before = owners.read_bytes()
    assert wait_until(lambda: second.ng({"command": "query", "call-id": call.call_id}).get("result") == "ok",
                      3.0), second.log_text()[-2000:]
    assert wait_until(lambda: len(spool_files(spool_dir)) == 2, 3.0), spool_files(spool_dir)
    assert owners.read_bytes() == before
    assert_ok(call.delete())
    assert wait_until(lambda: not spool_files(spool_dir), 5.0), spool_files(spool_dir)


# ---------------------------------------------------------------- pcap

def _restart(factory, active, binary):
    """kill -9 of `active`, then the same binary with the same options on the same addresses."""
    active.stop(signal.SIGKILL)
    return standby_of(factory, active, binary=binary)


@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark not installed")
@pytest.mark.parametrize("binary, fmt", [("ours", None), ("ours", "eth"), ("10.5", None)],
                         ids=["ours", "ours-eth", "10.5"])
def test_pcap_recording_continues_in_the_same_file_after_kill_9(rtpengine_factory, ha_setup, binary, fmt):
    """pcap method: the restarted daemon goes on in the call's one capture file, the name the
    offer reply gave (10.5 does too, but truncates it: what was recorded before the kill is
    lost there); ours appends, so tshark reads both halves as one capture with one global
    header, and the metadata file goes on with it (its SDP sections kept)."""
    from conftest import IS_UPSTREAM, REFERENCE_BINARY
    from recording_files import read_pcap, tshark_rtp
    if binary == "ours" and IS_UPSTREAM:
        pytest.skip("runs 10.5 as the reference case already")
    path = REFERENCE_BINARY if binary == "10.5" else None
    spool_dir = ha_setup.spool_dir
    caller, callee, client = ha_setup.caller, ha_setup.callee, ha_setup.client
    active = rtpengine_factory("--redis=%s" % ha_setup.redis_url, "--recording-dir=%s" % spool_dir,
                               "--recording-method=pcap", *(["--recording-format=" + fmt] if fmt else []),
                               binary=path)
    call = Call(active)
    offer = assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"record call": "yes", "metadata": "k:v"}))
    answer = assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    pcap_path = offer["recordings"][0]
    to_callee, to_caller = Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()
    if binary == "ours":
        assert wait_written(client, [call.call_id], lambda value: "recording_files" in value, 4.0)
    else:
        assert wait_until(lambda: client.keys(), 4.0)
    send_both(caller, callee, to_callee, to_caller, 0, 10)
    assert len(callee.rtp.receive_all(10, 3.0)) == 10 and len(caller.rtp.receive_all(10, 3.0)) == 10
    captures = lambda: sorted(glob.glob(os.path.join(spool_dir, "*", "*.pcap")))  # noqa: E731
    # our writer flushes at least every 100 ms; 10.5 through stdio (the kill loses its buffer)
    assert wait_until(lambda: len(captures()) == 1 and os.path.getsize(captures()[0]) > 24, 5.0), captures()
    capture = captures()[0]
    if binary == "ours":     # every packet of the first half written before the kill
        assert wait_until(lambda: len(read_pcap(capture)[1]) == 20, 5.0), len(read_pcap(capture)[1])
    before = os.path.getsize(capture)


    standby = _restart(rtpengine_factory, active, path)
    assert standby.ng({"command": "query", "call-id": call.call_id}).get("result") == "ok", standby.log_text()
    send_both(caller, callee, to_callee, to_caller, 10, 10)
    assert len(callee.rtp.receive_all(10, 3.0)) == 10 and len(caller.rtp.receive_all(10, 3.0)) == 10
    assert_ok(Call(standby, call.call_id).delete())
    assert wait_until(lambda: os.path.exists(pcap_path), 5.0), (captures(), standby.log_text()[-3000:])
    assert captures() == [pcap_path], "one capture for the whole call"
    linktype, records = read_pcap(pcap_path)       # fails on a second header in the middle
    assert linktype == (1 if fmt == "eth" else 101)
    data = open(pcap_path, "rb").read()
    assert data.count(bytes.fromhex("d4c3b2a1020004")) == 1
    assert os.path.getsize(pcap_path) > before or binary == "10.5"
    decoded = tshark_rtp(pcap_path, [to_callee[1], to_caller[1]])
    sequences = sorted(seq for _, _, seq, ssrc in decoded if ssrc == 0x1111)
    # the second half is all there; of the first, what reached the file before the kill
    assert [seq for seq in sequences if seq >= 110] == list(range(110, 120)), sequences
    assert len(sequences) == len(set(sequences))
    if binary == "ours":
        assert [seq for seq in sequences if seq < 110] == list(range(100, 110)), sequences
    else:
        # measured: 10.5 opens the same name again with a new header, truncating it
        assert not [seq for seq in sequences if seq < 110], sequences
    # the metadata file: one for the capture, naming it
    metadata = glob.glob(os.path.join(spool_dir, "metadata", "*"))
    assert wait_until(lambda: len(glob.glob(os.path.join(spool_dir, "metadata", "*"))) == 1, 5.0), metadata
    metadata = glob.glob(os.path.join(spool_dir, "metadata", "*"))[0]
    text = open(metadata).read()
    assert text.startswith(pcap_path + "\n"), text[:500]
    assert text.rstrip("\n").endswith("k:v"), text[-500:]
    if binary == "ours":
        assert text.count(pcap_path) == 1 and text.count("SDP mode: offer") == 1 \
            and text.count("SDP mode: answer") == 1, text
    assert not glob.glob(os.path.join(spool_dir, "tmp", "*")), glob.glob(os.path.join(spool_dir, "tmp", "*"))
