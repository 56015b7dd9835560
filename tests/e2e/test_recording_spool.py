"""Call recording, the daemon's side (docs/recording.md): the pcap method's capture and
metadata files (checked with tshark and against Debian's 10.5 golden metadata), the proc
method's spool file and stream files, start/stop/pause, IPv6 and SRTP legs recorded as
plaintext, files finished on delete and shutdown, and relaying untouched by a full disk."""

import glob
import os
import re
import signal
import shutil
import subprocess

import pytest

from calls import Call, Sdp, assert_error, assert_ok, make_sdp, media_section, simple_sdp, wait_until
from conftest import IS_UPSTREAM
from recording_files import (GOLDEN_CALLEE, GOLDEN_CALLER, files_under, golden_scenario, normalise_pcap_metadata,
                             parse_chunks, read_pcap, read_stream_file, tshark_rtp, tshark_rtp_streams, udp_payload)
from rtp import MediaPeer, rtp_stream

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"
HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.environ.get("SRTP_PEER", os.path.join(HERE, "..", "..", "build", "tests", "srtp_peer"))
SUITE = "AES_CM_128_HMAC_SHA1_80"

needs_tshark = pytest.mark.skipif(not shutil.which("tshark"), reason="tshark not installed")
# Debian's 10.5.3.5 dies from SIGSEGV when it stops after having recorded a call, and has no
# recordedpackets counter to wait for
UPSTREAM_CRASHES = "10.5 segfaults at shutdown after recording a call; no recordedpackets counter"


@pytest.fixture
def peers():
    made = []

    def make(host):
        peer = MediaPeer(host)
        made.append(peer)
        return peer
    yield make
    for peer in made:
        peer.close()


def start_recording_daemon(rtpengine_factory, tmp_path, method="pcap", fmt=None, **options):
    spool = tmp_path / "spool"
    args = ["--recording-dir=%s" % spool, "--recording-method=%s" % method]
    if fmt:
        args.append("--recording-format=%s" % fmt)
    return rtpengine_factory(*args, **options), str(spool)


def statistics_value(daemon, key):
    return daemon.ng({"command": "statistics"})["statistics"]["totalstatistics"].get(key)


def wait_recorded(daemon, count):
    """Until the writer has written `count` packets (statistics recordedpackets)."""
    assert wait_until(lambda: (statistics_value(daemon, "recordedpackets") or 0) >= count, 5), \
        statistics_value(daemon, "recordedpackets")


def exchange(sender, destination, receiver, packets):
    for packet in packets:
        sender.send(packet, destination)
    received = receiver.receive_all(len(packets), 2.0)
    assert [data for data, _ in received] == packets
    return received


def establish_recorded(daemon, caller, callee, offer_options=None, answer_options=None):
    call = Call(daemon)
    offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port), offer_options))
    answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port), answer_options))
    return call, offer, answer, Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()


def only_file(pattern):
    found = wait_until(lambda: glob.glob(pattern), 5)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------- pcap

@needs_tshark
@pytest.mark.parametrize("fmt, linktype", [(None, 101), ("eth", 1)], ids=["raw", "eth"])
@pytest.mark.upstream_differs(UPSTREAM_CRASHES)
def test_pcap_holds_both_directions_for_tshark(rtpengine_factory, tmp_path, peers, fmt, linktype):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, fmt=fmt)
    caller, callee = peers(CALLER), peers(CALLEE)
    call, offer, _, to_callee, to_caller = establish_recorded(daemon, caller, callee,
                                                              {"record call": "yes", "metadata": "k:v"})
    pcap_path = offer["recordings"][0]
    assert pcap_path.startswith(os.path.join(spool, "pcaps") + "/") and pcap_path.endswith(".pcap")
    # while the call records, the capture is in tmp/ and not under its final name
    assert not os.path.exists(pcap_path)
    assert glob.glob(os.path.join(spool, "tmp", "*.pcap"))
    forward, backward = rtp_stream(0xaaaa0001, 50), rtp_stream(0xbbbb0002, 50, first_sequence=7000)
    exchange(caller.rtp, to_callee, callee.rtp, forward)
    exchange(callee.rtp, to_caller, caller.rtp, backward)
    wait_recorded(daemon, 100)
    assert_ok(call.delete())
    assert wait_until(lambda: os.path.exists(pcap_path), 5)
    assert not glob.glob(os.path.join(spool, "tmp", "*"))
    found_linktype, records = read_pcap(pcap_path)
    assert found_linktype == linktype and len(records) == 100
    ports = [to_callee[1], to_caller[1]]
    decoded = tshark_rtp(pcap_path, ports)
    assert [(seq, ssrc) for src, dst, seq, ssrc in decoded if ssrc == 0xaaaa0001] == \
        [(1000 + i, 0xaaaa0001) for i in range(50)]
    assert [(seq, ssrc) for src, dst, seq, ssrc in decoded if ssrc == 0xbbbb0002] == \
        [(7000 + i, 0xbbbb0002) for i in range(50)]
    # source = the sender, destination = our port it arrived on
    assert {(src, dst) for src, dst, _, ssrc in decoded if ssrc == 0xaaaa0001} == {(caller.port, to_callee[1])}
    streams = tshark_rtp_streams(pcap_path, ports)
    assert len(streams) == 2, streams
    for line in streams:
        assert " 50 " in line and " 0 (0.0%)" in line, line
    # arrival timestamps, in order
    times = [seconds * 1000000 + micros for seconds, micros, _ in records]
    assert times == sorted(times) and times[-1] - times[0] < 10 * 1000000
    metadata = only_file(os.path.join(spool, "metadata", "rtpengine-meta-*.txt"))
    text = open(metadata, newline="").read()
    assert text.startswith(pcap_path + "\n\n") and text.endswith("\n\nk:v\n")
    assert os.path.basename(metadata) == "rtpengine-meta-%s.txt" % os.path.basename(pcap_path)[:-5]


@pytest.mark.upstream_differs("10.5 writes the pcap straight into pcaps/; the golden file is 10.5's own")
def test_pcap_metadata_matches_10_5(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path)
    caller, callee = peers(GOLDEN_CALLER), peers(GOLDEN_CALLEE)
    golden_scenario(daemon.ng, caller, callee, lambda: wait_recorded(daemon, 10))
    metadata = only_file(os.path.join(spool, "metadata", "*.txt"))
    ours = normalise_pcap_metadata(open(metadata, newline="").read(), spool)
    golden = open(os.path.join(HERE, "recording_golden", "pcap_metadata.txt"), newline="").read()
    assert ours == golden


def test_names_escape_the_call_id(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path)
    call = Call(daemon, call_id="a b/c@d;e")
    offer = assert_ok(call.offer(simple_sdp(CALLER, peers(CALLER).port), {"flags": ["record-call"]}))
    name = os.path.basename(offer["recordings"][0])
    assert name.startswith("a%20b%2Fc%40d%3Be-") and len(name) == len("a%20b%2Fc%40d%3Be-") + 16 + 5
    assert_ok(call.delete())


# ---------------------------------------------------------------- start / stop / pause

@pytest.mark.upstream_differs("10.5 has no pause recording and no recording key in query")
def test_start_pause_stop_recording(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path)
    caller, callee = peers(CALLER), peers(CALLEE)
    call, offer, _, to_callee, _ = establish_recorded(daemon, caller, callee)
    assert "recordings" not in offer
    assert call.query()["recording"] == "no"
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(1, 5))            # not recorded
    assert_ok(call.command("start recording", metadata="first"))
    assert call.query()["recording"] == "yes"
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(2, 5))            # recorded
    wait_recorded(daemon, 5)
    assert_ok(call.command("pause recording"))
    assert call.query()["recording"] == "paused"
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(3, 5))            # paused
    assert_ok(call.command("start recording"))                                # resumes
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(4, 5))            # recorded
    wait_recorded(daemon, 10)
    assert_ok(call.command("stop recording"))
    assert call.query()["recording"] == "no"
    # finished while the call goes on: both files under their final names
    pcap = only_file(os.path.join(spool, "pcaps", "*.pcap"))
    metadata = only_file(os.path.join(spool, "metadata", "*.txt"))
    assert open(metadata).read().endswith("\n\nfirst\n")
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(5, 5))            # relayed, not recorded
    _, records = read_pcap(pcap)
    ssrcs = [int.from_bytes(udp_payload(frame)[2][8:12], "big") for _, _, frame in records]
    assert ssrcs == [2] * 5 + [4] * 5
    assert_ok(call.delete())
    assert len(glob.glob(os.path.join(spool, "pcaps", "*.pcap"))) == 1


@pytest.mark.upstream_differs("10.5 answers ok and logs that no spool directory is configured")
def test_recording_commands_without_recording_dir_are_refused(rtpengine, peers):
    call, *_ = establish_recorded(rtpengine, peers(CALLER), peers(CALLEE))
    for command in ("start recording", "stop recording", "pause recording"):
        reply = assert_error(call.command(command))
        assert "--recording-dir" in reply["error-reason"], reply


def test_record_call_no_stops(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path)
    caller, callee = peers(CALLER), peers(CALLEE)
    call, *_ = establish_recorded(daemon, caller, callee, {"record call": "yes"})
    assert_ok(call.offer(simple_sdp(caller.host, caller.port), {"record call": "no"}))
    assert only_file(os.path.join(spool, "metadata", "*.txt"))
    assert only_file(os.path.join(spool, "pcaps", "*.pcap"))


@pytest.mark.upstream_differs(UPSTREAM_CRASHES)
def test_exclude_recording_leaves_that_side_out(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path)
    caller, callee = peers(CALLER), peers(CALLEE)
    call, _, _, to_callee, to_caller = establish_recorded(daemon, caller, callee,
                                                          {"flags": ["record-call", "exclude-recording"]})
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0xca11e7, 5))     # excluded
    exchange(callee.rtp, to_caller, caller.rtp, rtp_stream(0xca11ee, 5))     # recorded
    wait_recorded(daemon, 5)
    # a later request without the flag does not bring the side back
    assert_ok(call.offer(simple_sdp(caller.host, caller.port)))
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0xca11e7, 5, first_sequence=3000))
    exchange(callee.rtp, to_caller, caller.rtp, rtp_stream(0xca11ee, 5, first_sequence=3000))
    wait_recorded(daemon, 10)
    assert_ok(call.delete())
    _, records = read_pcap(only_file(os.path.join(spool, "pcaps", "*.pcap")))
    ssrcs = {int.from_bytes(udp_payload(frame)[2][8:12], "big") for _, _, frame in records}
    assert ssrcs == {0xca11ee} and len(records) == 10


# ---------------------------------------------------------------- through Kamailio

@needs_tshark
@pytest.mark.upstream_differs(UPSTREAM_CRASHES)
@pytest.mark.skipif(os.geteuid() != 0, reason="sipp plays RTP from a pcap through raw sockets: root only")
def test_kamailio_record_call_with_metadata(rtpengine_factory, tmp_path):
    """rtpengine_manage("... record-call=yes metadata=...") as Kamailio configs write it."""
    from sip_harness import SipHarness
    relay_address = "127.0.0.3"
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, interfaces=(relay_address,))
    (tmp_path / "sip").mkdir()
    harness = SipHarness(tmp_path / "sip")
    try:
        uas = harness.start_uas()
        kamailio = harness.start_kamailio(daemon.ng_port, uas.address, uas.sip_port, rtpengine_flags=(
            '"replace-origin replace-session-connection ICE=remove record-call=yes metadata=from:alice|to:bob"'))
        uac = harness.start_uac(kamailio, 2000)
        assert (uac.wait(20), uas.wait(10)) == (0, 0), harness.diagnostics()
        pcap = only_file(os.path.join(spool, "pcaps", "*.pcap"))     # BYE -> delete -> finished
        metadata = open(only_file(os.path.join(spool, "metadata", "*.txt"))).read()
        assert metadata.endswith("\n\nfrom:alice|to:bob\n"), metadata
        assert "SDP mode: offer" in metadata and "SDP mode: answer" in metadata
        _, records = read_pcap(pcap)
        ports = {udp_payload(frame)[1] for _, _, frame in records}
        assert len(ports) == 2, ports                    # both directions, one relay port each
        decoded = tshark_rtp(pcap, sorted(ports))
        assert len({ssrc for *_, ssrc in decoded}) >= 1 and len(decoded) >= 40, len(decoded)
        assert not re.findall(r"^.*\bERROR:.*$", kamailio.log_text(), re.MULTILINE)
    finally:
        harness.stop_all()


# ---------------------------------------------------------------- shutdown, IPv6, SRTP

@pytest.mark.upstream_differs(UPSTREAM_CRASHES)
def test_files_finished_at_shutdown(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path)
    caller, callee = peers(CALLER), peers(CALLEE)
    _, _, _, to_callee, _ = establish_recorded(daemon, caller, callee, {"flags": ["record-call"]})
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(9, 20))
    assert daemon.stop(signal.SIGTERM) == 0 and not daemon.killed
    _, records = read_pcap(only_file(os.path.join(spool, "pcaps", "*.pcap")))
    assert len(records) == 20       # what was queued at shutdown is written
    assert only_file(os.path.join(spool, "metadata", "*.txt"))
    assert not glob.glob(os.path.join(spool, "tmp", "*"))


@pytest.mark.upstream_differs(UPSTREAM_CRASHES)
def test_files_finished_when_the_call_times_out(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, timeout=1)
    caller, callee = peers(CALLER), peers(CALLEE)
    call, *_ = establish_recorded(daemon, caller, callee, {"record call": "yes"})
    # no media: --timeout ends the call, and the recording with it
    assert only_file(os.path.join(spool, "metadata", "*.txt"))
    assert only_file(os.path.join(spool, "pcaps", "*.pcap"))
    assert call.query().get("result") == "error"


@needs_tshark
@pytest.mark.upstream_differs(UPSTREAM_CRASHES)
def test_ipv6_leg_recorded(rtpengine_factory, tmp_path, peers):
    if not os.path.exists("/proc/net/if_inet6"):
        pytest.skip("no IPv6")
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, ipv6=True)
    caller, callee = peers("::1"), peers(CALLEE)
    call = Call(daemon)
    offer = assert_ok(call.offer(simple_sdp("::1", caller.port), {"record call": "yes", "address family": "IP4"}))
    answer = assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    to_callee, to_caller = Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()
    assert ":" in to_callee[0] and ":" not in to_caller[0]
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0x66, 10))
    exchange(callee.rtp, to_caller, caller.rtp, rtp_stream(0x44, 10))
    wait_recorded(daemon, 20)
    assert_ok(call.delete())
    pcap = only_file(os.path.join(spool, "pcaps", "*.pcap"))
    _, records = read_pcap(pcap)
    assert sorted(frame[0] >> 4 for _, _, frame in records) == [4] * 10 + [6] * 10
    decoded = tshark_rtp(pcap, [to_callee[1], to_caller[1]])
    assert sorted(ssrc for *_, ssrc in decoded) == [0x44] * 10 + [0x66] * 10


@pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")
@pytest.mark.upstream_differs(UPSTREAM_CRASHES)
def test_srtp_leg_recorded_as_plaintext(rtpengine_factory, tmp_path, peers):
    import base64
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path)
    caller, callee = peers(CALLER), peers(CALLEE)
    key = base64.b64encode(os.urandom(30)).decode()
    call = Call(daemon)
    offer = make_sdp(CALLER, media_section(caller.port, protocol="RTP/SAVP",
                                           attributes=("sendrecv", "crypto:1 %s inline:%s" % (SUITE, key))))
    offered = Sdp(assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP", "record call": "yes"}))["sdp"])
    answered = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))["sdp"])
    plain = rtp_stream(0x5e5e, 10)
    result = subprocess.run([PEER, "protect", SUITE, key], input="".join(p.hex() + "\n" for p in plain),
                            capture_output=True, text=True, timeout=10, check=True)
    protected = [bytes.fromhex(line) for line in result.stdout.splitlines()]
    assert protected[0] != plain[0]
    for packet in protected:
        caller.rtp.send(packet, answered.media_address())
    assert [data for data, _ in callee.rtp.receive_all(10, 2.0)] == plain
    wait_recorded(daemon, 10)
    assert_ok(call.delete())
    _, records = read_pcap(only_file(os.path.join(spool, "pcaps", "*.pcap")))
    assert [udp_payload(frame)[2] for _, _, frame in records] == plain
    assert offered.medias[0].protocol == "RTP/AVP"


# ---------------------------------------------------------------- proc

@pytest.mark.upstream_differs("10.5 writes proc streams through the kernel module only")
def test_proc_spool_and_stream_files(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, method="proc")
    caller, callee = peers(CALLER), peers(CALLEE)
    call, offer, _, to_callee, to_caller = establish_recorded(daemon, caller, callee,
                                                              {"record call": "yes", "metadata": "a:1",
                                                               "output-destination": "/srv/calls/x"})
    assert "recordings" not in offer and "warning" not in offer
    meta_path = only_file(os.path.join(spool, "*.meta"))
    prefix = os.path.basename(meta_path)[:-5]
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0x1234, 7))
    exchange(callee.rtp, to_caller, caller.rtp, rtp_stream(0x4321, 3))
    wait_recorded(daemon, 10)
    assert_ok(call.offer(simple_sdp(caller.host, caller.port), {"metadata": "a:2"}))
    chunks = parse_chunks(open(meta_path, "rb").read())
    labels = [label for label, _ in chunks]
    assert chunks[0] == ("CALL-ID", call.call_id) and chunks[1] == ("PARENT", prefix)
    assert labels[2:4] == ["RECORDING 1", "FORWARDING 0"] and chunks[4] == ("METADATA", "a:1")
    assert chunks[5] == ("OUTPUT_DESTINATION", "/srv/calls/x")
    assert ("TAG 0", "caller-tag") in chunks and ("TAG 1", "callee-tag") in chunks
    assert ("METADATA", "a:2") == [c for c in chunks if c[0] == "METADATA"][-1]
    assert ("MEDIA 1 PAYLOAD TYPE 0", "PCMU/8000") in chunks and ("MEDIA 1 FMTP 8", "") in chunks
    for mode in ("offer", "answer"):
        assert "SDP from 0 before offer" in labels and "SDP from 1 after %s" % mode in labels or mode == "offer"
    interfaces = {label: content for label, content in chunks if label.endswith(" interface")}
    details = {label: content for label, content in chunks if label.endswith(" details")}
    assert interfaces["STREAM 0 interface"] == "tag-0-media-1-component-1-RTP-id-0"
    assert details["STREAM 0 details"] == "TAG 0 MEDIA 1 TAG-MEDIA 1 COMPONENT 1 FLAGS 0"
    assert interfaces["STREAM 2 interface"] == "tag-1-media-1-component-1-RTP-id-2"
    stream_dir = os.path.join(spool, "streams", prefix)
    assert sorted(os.listdir(stream_dir)) == sorted(interfaces.values())
    assert_ok(call.delete())
    assert wait_until(lambda: not os.path.exists(meta_path), 5)     # IN_DELETE: the call is over
    caller_frames = read_stream_file(os.path.join(stream_dir, interfaces["STREAM 0 interface"]))
    callee_frames = read_stream_file(os.path.join(stream_dir, interfaces["STREAM 2 interface"]))
    assert [udp_payload(packet)[2] for _, packet in caller_frames] == rtp_stream(0x1234, 7)
    assert [udp_payload(packet)[2] for _, packet in callee_frames] == rtp_stream(0x4321, 3)
    assert udp_payload(caller_frames[0][1])[:2] == (caller.port, to_callee[1])
    assert read_stream_file(os.path.join(stream_dir, interfaces["STREAM 1 interface"])) == []
    assert not glob.glob(os.path.join(spool, "tmp", "*"))


def chunk_labels(meta_path):
    return [label for label, _ in parse_chunks(open(meta_path, "rb").read())]


@pytest.mark.upstream_differs("10.5 writes proc spool files only with its kernel module")
def test_start_stop_forwarding(rtpengine_factory, tmp_path, peers):
    """start forwarding without recording: the spool file says RECORDING 0, FORWARDING 1 and
    the streams get the packets (for the recording daemon, which writes no files); start and
    stop recording on top keep the files; stop forwarding ends them (10.5's recording_stop:
    the files end when neither is left)."""
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, method="proc")
    caller, callee = peers(CALLER), peers(CALLEE)
    call, _, _, to_callee, to_caller = establish_recorded(daemon, caller, callee)
    assert not glob.glob(os.path.join(spool, "*.meta"))
    assert_ok(call.command("start forwarding", {"metadata": "m:1"}))
    meta_path = only_file(os.path.join(spool, "*.meta"))
    prefix = os.path.basename(meta_path)[:-5]
    labels = chunk_labels(meta_path)
    assert labels[2:5] == ["RECORDING 0", "FORWARDING 1", "METADATA"], labels
    assert labels.count("FORWARDING 1") == 2 and "STREAM 0 FORWARDING 0" in labels
    assert call.query()["recording"] == "no"
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0x1234, 5))
    exchange(callee.rtp, to_caller, caller.rtp, rtp_stream(0x4321, 5))
    wait_recorded(daemon, 10)
    # recording on top, then off again: the same files, only flag chunks added
    # each appends the flags with the streams' (10.5's order, seen with its module in the guest,
    # tests/kernel/guest-recording-debian.sh)
    streams = ["STREAM %d FORWARDING 0" % n for n in range(4)]
    assert_ok(call.command("start recording"))
    assert call.query()["recording"] == "yes"
    assert chunk_labels(meta_path)[-6:] == ["RECORDING 1", "FORWARDING 1"] + streams
    assert_ok(call.command("stop recording"))
    assert chunk_labels(meta_path)[-6:] == ["RECORDING 0", "FORWARDING 1"] + streams
    assert os.path.exists(meta_path)
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0x1234, 8)[5:])
    wait_recorded(daemon, 13)
    assert_ok(call.command("stop forwarding"))
    assert wait_until(lambda: not os.path.exists(meta_path), 5)
    stream_dir = os.path.join(spool, "streams", prefix)
    caller_frames = read_stream_file(os.path.join(stream_dir, "tag-0-media-1-component-1-RTP-id-0"))
    callee_frames = read_stream_file(os.path.join(stream_dir, "tag-1-media-1-component-1-RTP-id-2"))
    assert [udp_payload(p)[2] for _, p in caller_frames] == rtp_stream(0x1234, 8)
    assert [udp_payload(p)[2] for _, p in callee_frames] == rtp_stream(0x4321, 5)
    # the call goes on, relayed, unrecorded
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0x1234, 10)[8:])
    assert not glob.glob(os.path.join(spool, "*.meta"))


@pytest.mark.upstream_differs("10.5 writes proc spool files only with its kernel module")
def test_forwarding_one_side(rtpengine_factory, tmp_path, peers):
    """start forwarding with a from-tag forwards that side's streams only (STREAM n
    FORWARDING 1); a tag the call lacks is an error; stop forwarding of that side ends it."""
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, method="proc")
    caller, callee = peers(CALLER), peers(CALLEE)
    call, _, _, to_callee, to_caller = establish_recorded(daemon, caller, callee)
    assert_error(call.command("start forwarding", **{"from-tag": "no-such-tag"}))
    assert_ok(call.command("start forwarding", **{"from-tag": call.to_tag}))
    meta_path = only_file(os.path.join(spool, "*.meta"))
    prefix = os.path.basename(meta_path)[:-5]
    chunks = parse_chunks(open(meta_path, "rb").read())
    labels = [label for label, _ in chunks]
    assert labels[2:4] == ["RECORDING 0", "FORWARDING 0"], labels
    interfaces = {label: content for label, content in chunks if label.endswith(" interface")}
    callee_ids = [label.split()[1] for label, name in interfaces.items() if name.startswith("tag-1-")]
    caller_ids = [label.split()[1] for label, name in interfaces.items() if name.startswith("tag-0-")]
    assert callee_ids and caller_ids
    assert all("STREAM %s FORWARDING 1" % i in labels for i in callee_ids), labels
    assert all("STREAM %s FORWARDING 0" % i in labels for i in caller_ids), labels
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0x1234, 4))
    exchange(callee.rtp, to_caller, caller.rtp, rtp_stream(0x4321, 4))
    wait_recorded(daemon, 4)
    assert_ok(call.command("stop forwarding", **{"from-tag": call.to_tag}))
    assert wait_until(lambda: not os.path.exists(meta_path), 5)
    stream_dir = os.path.join(spool, "streams", prefix)
    assert [udp_payload(p)[2] for _, p in read_stream_file(os.path.join(stream_dir, interfaces["STREAM 2 interface"]))] \
        == rtp_stream(0x4321, 4)
    assert read_stream_file(os.path.join(stream_dir, interfaces["STREAM 0 interface"])) == []


@pytest.mark.upstream_differs("10.5 has no reason for this; forwarding needs the proc method here")
def test_forwarding_needs_proc(rtpengine_factory, tmp_path, peers):
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, method="pcap")
    caller, callee = peers(CALLER), peers(CALLEE)
    call = establish_recorded(daemon, caller, callee)[0]
    for command in ("start forwarding", "stop forwarding"):
        reply = assert_error(call.command(command))
        assert reply["error-reason"].startswith(command + ": ") and "--recording-method=proc" in reply["error-reason"]
    assert call.query()["recording"] == "no"


DEBIAN_RECORDER = "/usr/bin/rtpengine-recording"


@pytest.mark.upstream_differs("10.5 writes proc streams through the kernel module only")
@pytest.mark.skipif(not os.path.exists(DEBIAN_RECORDER), reason="Debian's rtpengine-recording not installed")
def test_debian_rtpengine_recording_reads_our_spool_file(rtpengine_factory, tmp_path, peers):
    """10.5's reader wakes on IN_CLOSE_WRITE, parses every chunk and ends the call on IN_DELETE.
    (It looks for the streams under /proc/rtpengine, which has none of ours.)"""
    from process import ManagedProcess
    daemon, spool = start_recording_daemon(rtpengine_factory, tmp_path, method="proc")
    output = tmp_path / "out"
    output.mkdir()
    reader = ManagedProcess([DEBIAN_RECORDER, "--config-file=none", "--foreground", "--log-stderr", "--log-level=7",
                             "--spool-dir=%s" % spool, "--output-dir=%s" % output, "--num-threads=1"],
                            str(tmp_path / "rtpengine-recording.log"))
    try:
        assert reader.wait_ready(lambda: "poller thread 0 running" in reader.log_text(), 10), reader.log_text()[-2000:]
        caller, callee = peers(CALLER), peers(CALLEE)
        call, *_ = establish_recorded(daemon, caller, callee, {"record call": "yes", "metadata": "x:1",
                                                               "output-destination": "/srv/x"})
        prefix = os.path.basename(only_file(os.path.join(spool, "*.meta")))[:-5]
        # (the reader opens the file when it gets to an event: had the delete come first, it
        # would find nothing to read, with 10.5's daemon as with ours)
        assert wait_until(lambda: "section SDP from 1 after answer" in reader.log_text(), 10), \
            reader.log_text()[-3000:]
        assert_ok(call.delete())
        assert wait_until(lambda: "inotify delete(%s.meta)" % prefix in reader.log_text(), 10)
        text = reader.log_text()
        for expected in ("section CALL-ID", "section PARENT", "section METADATA", "section OUTPUT_DESTINATION",
                         "section TAG 1",
                         "payload type in media 1 num 0 is PCMU/8000", "payload type in media 2 num 8 is PCMA/8000",
                         "stream 0 details TAG 0 MEDIA 1 TAG-MEDIA 1 COMPONENT 1 FLAGS 0",
                         "section SDP from 1 after answer"):
            assert expected in text, expected
        # the streams it looks for are the kernel's: the same names under /proc
        assert "/proc/rtpengine/0/calls/%s/tag-0-media-1-component-1-RTP-id-0" % prefix in text
        for complaint in ("Missing section header", "Content length", "Invalid content length", "truncated",
                          "NUL character", "Separator missing"):
            assert complaint not in text, complaint
    finally:
        reader.stop()


# ---------------------------------------------------------------- a full disk

def start_on_private_tmpfs(rtpengine_factory, spool, mount_script):
    """Our daemon in a mount namespace of its own where mount_script (sh, SPOOL replaced)
    has mounted a tmpfs on spool: a full or read-only recording dir without touching the
    machine's mounts. Files are read back through /proc/PID/root."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private tmpfs")
    import conftest
    real_binary = conftest.RTPENGINE_BINARY

    def argv_builder(ng_port, port_min, port_max):
        script = mount_script.replace("SPOOL", str(spool)) + " && exec %s \"$@\"" % real_binary
        return ["-m", "--propagation", "private", "sh", "-c", script, "rtpengine", "--config-file=none",
                "--table=-1", "--foreground", "--log-stderr", "--log-level=7",
                "--listen-ng=127.0.0.1:%d" % ng_port, "--port-min=%d" % port_min, "--port-max=%d" % port_max,
                "--delete-delay=0", "--interface=%s" % CALLEE, "--interface=%s" % CALLER,
                "--recording-dir=%s" % spool]
    conftest.RTPENGINE_BINARY = shutil.which("unshare")
    try:
        return rtpengine_factory(argv_builder=argv_builder, interfaces=(CALLEE, CALLER))
    finally:
        conftest.RTPENGINE_BINARY = real_binary


@pytest.mark.upstream_differs("counts recording errors in statistics")
def test_full_recording_dir_keeps_relaying(rtpengine_factory, tmp_path, peers):
    spool = tmp_path / "spool"
    spool.mkdir()
    # 64 KB: full after a few hundred packets
    daemon = start_on_private_tmpfs(rtpengine_factory, spool, "mount -t tmpfs -o size=64k recording-test SPOOL")
    caller, callee = peers(CALLER), peers(CALLEE)
    call, _, _, to_callee, _ = establish_recorded(daemon, caller, callee, {"record call": "yes"})
    packets = rtp_stream(0xf011, 600)
    received = []
    def handled():
        return (statistics_value(daemon, "recordedpackets") or 0) + (statistics_value(daemon, "recordingerrors") or 0)
    for start in range(0, len(packets), 50):
        received += exchange(caller.rtp, to_callee, callee.rtp, packets[start:start + 50])
        # one batch per write: the first ones fit, the later ones find the disk full
        assert wait_until(lambda: handled() >= start + 50, 5), handled()
    assert len(received) == 600                                   # relaying untouched
    assert (statistics_value(daemon, "recordingerrors") or 0) > 0
    assert daemon.wait_for_log(r"recording: cannot write .*No space left on device", 5)
    written = statistics_value(daemon, "recordedpackets")
    assert 0 < written < 600
    # the capture holds whole records only (read through the daemon's mount namespace)
    pcaps = glob.glob("/proc/%d/root%s/tmp/*.pcap" % (daemon.pid, spool))
    assert len(pcaps) == 1, pcaps
    _, records = read_pcap(pcaps[0])
    assert len(records) == written
    assert_ok(call.delete())


@pytest.mark.upstream_differs("counts recording errors in statistics")
def test_read_only_recording_dir_keeps_relaying(rtpengine_factory, tmp_path, peers):
    spool = tmp_path / "spool"
    spool.mkdir()
    daemon = start_on_private_tmpfs(rtpengine_factory, spool,
                                    "mount -t tmpfs -o size=1m recording-test SPOOL && "
                                    "mkdir SPOOL/metadata SPOOL/pcaps SPOOL/tmp && mount -o remount,ro SPOOL")
    caller, callee = peers(CALLER), peers(CALLEE)
    call, offer, _, to_callee, _ = establish_recorded(daemon, caller, callee, {"record call": "yes"})
    assert daemon.wait_for_log(r"recording: cannot create .*\.pcap: Read-only file system", 5)
    exchange(caller.rtp, to_callee, callee.rtp, rtp_stream(0x0e0f, 20))     # relayed
    # every packet that could not be recorded is counted
    assert wait_until(lambda: (statistics_value(daemon, "recordingerrors") or 0) == 20, 5), \
        statistics_value(daemon, "recordingerrors")
    assert (statistics_value(daemon, "recordedpackets") or 0) == 0
    assert_ok(call.delete())
    assert daemon.alive()
