"""rtpengine-recording on a spool written by the test (docs/recording.md, recording-daemon/README.md):
known speech in, WAV/MP3 files out, measured: duration, correlation with what each party sent,
both voices in the mix; loss, reordering, SSRC change, codecs, garbage, restart mid-call.

RTPENGINE_RECORDING_BINARY picks the binary (default <repo>/recording-daemon/rtpengine-recording).
"""

import glob
import os
import random
import shutil
import signal
import struct
import subprocess
import sys

import pytest

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(E2E_DIR, "..", "lib")))

from process import ManagedProcess, wait_until  # noqa: E402
import recording_spool as spool  # noqa: E402

numpy = pytest.importorskip("numpy")

REPO_ROOT = os.path.abspath(os.path.join(E2E_DIR, "..", ".."))
BINARY = os.environ.get("RTPENGINE_RECORDING_BINARY") or os.path.join(
    REPO_ROOT, "recording-daemon", "rtpengine-recording")

pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox") and shutil.which("ffmpeg")),
                                reason="espeak-ng, sox and ffmpeg are needed (make deps-test)")

BASE_NS = 1_700_000_000 * 1_000_000_000
B_OFFSET_S = 0.2        # the answerer starts sending 200 ms after the offerer


# ------------------------------------------------------------------------- helpers

class Recorder(ManagedProcess):
    def __init__(self, tmp_path, extra=(), name="recorder"):
        self.spool_dir = str(tmp_path / "spool")
        self.output_dir = str(tmp_path / "out")
        os.makedirs(self.spool_dir, exist_ok=True)
        argv = [BINARY, "--config-file=none", "--foreground", "--log-stderr", "--log-level=7",
                "--spool-dir=" + self.spool_dir, "--output-dir=" + self.output_dir] + list(extra)
        super().__init__(argv, str(tmp_path / (name + ".log")), name="rtpengine-recording")
        assert self.wait_ready(lambda: "starting" in self.log_text(), 5), self.log_text()

    def outputs(self, pattern="*"):
        return sorted(glob.glob(os.path.join(self.output_dir, pattern)))


@pytest.fixture
def recorder_factory(tmp_path):
    started = []

    def start(extra=(), name="recorder"):
        recorder = Recorder(tmp_path, extra, name)
        started.append(recorder)
        return recorder

    yield start
    for recorder in started:
        was_running = recorder.alive()
        code = recorder.stop()
        log = recorder.log_text()
        assert "Sanitizer" not in log and "runtime error" not in log, log
        if was_running:     # SIGTERM: every file finished, a clean exit
            assert code == 0 and not recorder.killed, log


def audio(path):
    frames, rate, channels = spool.read_wav(path)
    data = numpy.frombuffer(frames, dtype="<i2").astype(numpy.float64)
    return data.reshape(-1, channels), rate


def correlation(signal_, reference, max_lag):
    """Best normalised correlation of `reference` within `signal_` at lags 0..max_lag (where the
    recording starts later or earlier by a codec delay)."""
    best = 0.0
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            a, b = signal_[lag:lag + len(reference)], reference
        else:
            a, b = signal_[:len(reference) + lag], reference[-lag:]
        n = min(len(a), len(b))
        if n < len(reference) // 2:
            continue
        a, b = a[:n], b[:n]
        denominator = numpy.sqrt(numpy.dot(a, a) * numpy.dot(b, b))
        if denominator > 0:
            best = max(best, float(numpy.dot(a, b) / denominator))
    return best


class Sources:
    """The two parties' speech at one sample rate, cached per rate for the module."""
    cache = {}

    @classmethod
    def get(cls, workdir, rate):
        if rate not in cls.cache:
            voices = []
            for index, sentence in enumerate(spool.SENTENCES):
                path = os.path.join(workdir, "sentence%d-%d.wav" % (index, rate))
                spool.speak(sentence, path, rate)
                voices.append(path)
            cls.cache[rate] = voices
        return cls.cache[rate]


def build_call(spool_dir, workdir, call_id, encodings=("PCMU", "PCMU"), loss=0.0, reorder=False,
               ssrc_change=False, extra_frames=25, b_offset=B_OFFSET_S, b_frames=None):
    """A two-party call in the spool (not yet published). Returns (call, parties, duration_s,
    source sample arrays, rate of the sources)."""
    rate = spool.CODECS[encodings[0]][1]
    voices = Sources.get(workdir, rate)
    payloads = [spool.encode(encoding, voice, workdir) for encoding, voice in zip(encodings, voices)]
    total = max(len(p) for p in payloads) + extra_frames
    call = spool.SpoolCall(spool_dir, call_id)
    rtpmaps = {}
    for encoding in encodings:
        _, _, payload_type, rtpmap, _, _ = spool.CODECS[encoding]
        rtpmaps[payload_type] = rtpmap
    rtpmaps[101] = "telephone-event/8000"
    call.add_media(1, rtpmaps)
    parties = []
    for index, encoding in enumerate(encodings):
        start = BASE_NS + int(index * b_offset * 1e9)
        party = spool.Party(encoding, payloads[index], ssrc=0x1111 + index * 0x1000, start_ns=start,
                            start_seq=65500 - index * 100, start_ts=0xfffff000 * (1 - index),
                            total_frames=total, silence_payload=spool.silence_payload(encoding, workdir))
        if loss:
            party.drop(loss, seed=index + 7)
        if reorder:
            party.reorder(7, seed=index + 11)
        parties.append(party)
        call.add_stream(tag=index, label="party%d" % index)
    if ssrc_change:
        # the offerer's phone restarts its RTP session half way: new SSRC, sequence, timestamp
        half = len(parties[0].packets) // 2
        changed = []
        for position, (arrival, packet) in enumerate(parties[0].packets):
            if position >= half:
                header = bytearray(packet[:12])
                sequence = (position - half + 7) & 0xffff
                timestamp = (123456 + (position - half) * parties[0].ts_step) & 0xffffffff
                header[2:4] = sequence.to_bytes(2, "big")
                header[4:8] = timestamp.to_bytes(4, "big")
                header[8:12] = (0xabcdef01).to_bytes(4, "big")
                packet = bytes(header) + packet[12:]
            changed.append((arrival, packet))
        parties[0].packets = changed
    if b_frames is not None:
        parties[1].packets = parties[1].packets[:b_frames]
    for number, party in enumerate(parties):
        call.append_packets(number, party.packets)
    duration = abs(b_offset) + total * 0.02
    sources = [audio(voice)[0][:, 0] for voice in voices]
    return call, parties, duration, sources, rate


def publish(recorder, call):
    """Publishes the metadata and waits until the recorder opened the call's streams: a call
    whose metadata is gone before the recorder read it cannot be recorded (as with 10.5)."""
    call.publish()
    marker = "[%s]: recording stream %d from %s" % (call.call_id, len(call.streams) - 1, call.streams[-1])
    assert wait_until(lambda: marker in recorder.log_text(), 10), recorder.log_text()


def finished(recorder, count):
    return wait_until(lambda: len([f for f in recorder.outputs() if not f.endswith(".tmp")]) >= count
                      and not recorder.outputs("*.tmp"), 15)


# ------------------------------------------------------------------------- tests

def test_options_help_and_refused(tmp_path):
    help_text = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=10)
    assert help_text.returncode == 0
    for option in ("--spool-dir", "--output-dir", "--output-pattern", "--output-format", "--output-single",
                   "--output-mixed", "--mix-method", "--resample-to", "--output-chmod", "--num-threads",
                   "--table", "--pidfile", "--log-level", "--log-stderr", "--foreground"):
        assert option in help_text.stdout, option
    refused = subprocess.run([BINARY, "--config-file=none", "--foreground", "--mysql-host=localhost"], capture_output=True,
                             text=True, timeout=10)
    assert refused.returncode != 0 and "mysql-host" in refused.stderr
    for wrong in ("--output-format=ogg", "--log-facility=bogus", "--mix-method=stereo", "--output-pattern=%c",
                  "--output-chmod=999", "--output-storage=db", "--output-chown=no-such-user-here"):
        bad = subprocess.run([BINARY, "--config-file=none", "--foreground", wrong], capture_output=True, text=True,
                             timeout=10)
        assert bad.returncode != 0 and wrong.split("=")[0][2:] in bad.stderr, (wrong, bad.stderr)
    # the packaged config file (every option commented out, as shipped; and with the
    # implemented ones set to their documented defaults) is read without complaint
    packaged = os.path.join(REPO_ROOT, "packaging", "rtpengine-recording.conf")
    with open(packaged) as handle:
        text = handle.read()
    implemented = ("spool-dir", "table", "output-dir", "output-pattern", "output-format", "mix-method",
                   "mp3-bitrate", "output-chmod-dir")
    for key in implemented:
        text = text.replace("# %s = " % key, "%s = " % key)
    uncommented = tmp_path / "packaged.conf"
    uncommented.write_text(text)
    for config_file in (packaged, str(uncommented)):
        check = subprocess.run([BINARY, "--config-file=" + config_file, "--foreground", "--spool-dir=/nonexistent"],
                               capture_output=True, text=True, timeout=10)
        assert check.returncode == 1 and "spool directory /nonexistent" in check.stderr, check.stderr
    config = tmp_path / "recording.conf"
    config.write_text("[rtpengine-recording]\noutput-format = wav\nspool-dir = %s\noutput-dir = %s\n"
                      "log-facility = local3\n" % (tmp_path, tmp_path))
    same = subprocess.run([BINARY, "--config-file=%s" % config, "--foreground"], capture_output=True, text=True,
                          timeout=10)
    assert same.returncode != 0 and "spool-dir cannot be the same" in same.stderr


def test_service_notify_ready_and_stopping(tmp_path, recorder_factory, monkeypatch):
    """systemd's Type=notify, as the packaged unit uses it: READY=1 once the spool is watched,
    STOPPING=1 at shutdown."""
    import socket
    path = str(tmp_path / "notify")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    try:
        recorder = recorder_factory()
        assert "READY=1" in listener.recv(4096).decode().split("\n")
        assert recorder.stop() == 0
        assert "STOPPING=1" in listener.recv(4096).decode().split("\n")
    finally:
        listener.close()


def test_pcmu_call_mixed_and_single(tmp_path, recorder_factory):
    recorder = recorder_factory(["--output-single", "--output-mixed"])
    call, parties, duration, sources, rate = build_call(recorder.spool_dir, str(tmp_path), "call-1@example")
    publish(recorder, call)
    # while the call runs only temporary names exist
    assert wait_until(lambda: recorder.outputs("*.wav.*.tmp"), 5), recorder.log_text()
    assert not recorder.outputs("*.wav")
    call.end()
    assert finished(recorder, 3), recorder.log_text()
    mixed = recorder.outputs("call-1@example-mix.wav")
    assert mixed, recorder.outputs()
    mix, mix_rate = audio(mixed[0])
    assert mix_rate == 8000
    assert abs(len(mix) / mix_rate - duration) <= 0.01 * duration, (len(mix) / mix_rate, duration)
    for index, ssrc in enumerate((0x1111, 0x2111)):
        single, single_rate = audio(recorder.outputs("call-1@example-%08x.wav" % ssrc)[0])
        assert abs(len(single) / single_rate - (duration - B_OFFSET_S)) <= 0.01 * duration
        assert correlation(single[:, 0], sources[index], 400) > 0.9
        # the measure tells the voices apart: the other party's sentence does not match
        assert correlation(single[:, 0], sources[1 - index], 400) < 0.5
    # both voices in the mix, each at its offset
    offset = int(B_OFFSET_S * rate)
    combined = numpy.zeros(len(mix))
    combined[:len(sources[0])] += sources[0][:len(mix)]
    combined[offset:offset + len(sources[1])] += sources[1][:len(mix) - offset]
    assert correlation(mix[:, 0], combined, 400) > 0.9
    assert correlation(mix[:, 0], sources[0], 400) > 0.4
    assert correlation(mix[offset:, 0], sources[1], 400) > 0.4
    # the reader removed the stream files it is done with
    assert not os.path.exists(call.stream_dir)


@pytest.mark.parametrize("encoding", ["PCMA", "G722", "opus", "L16"])
def test_codecs(tmp_path, recorder_factory, encoding):
    recorder = recorder_factory(["--output-single", "--output-mixed"])
    call, parties, duration, sources, rate = build_call(recorder.spool_dir, str(tmp_path), "codec-" + encoding,
                                                        encodings=(encoding, encoding))
    publish(recorder, call)
    call.end()
    assert finished(recorder, 3), recorder.log_text()
    mix, mix_rate = audio(recorder.outputs("codec-%s-mix.wav" % encoding)[0])
    assert mix_rate == rate
    assert abs(len(mix) / mix_rate - duration) <= 0.01 * duration, (len(mix) / mix_rate, duration)
    for index, ssrc in enumerate((0x1111, 0x2111)):
        single, _ = audio(recorder.outputs("codec-%s-%08x.wav" % (encoding, ssrc))[0])
        assert correlation(single[:, 0], sources[index], rate // 20) > 0.9, (encoding, index)


def test_payload_types_are_per_media(tmp_path, recorder_factory):
    """Payload type 96 is L16 in the audio m= line and H.264 in a video m= line announced after
    it: the audio stream (media 1) still decodes as L16."""
    recorder = recorder_factory(["--output-mixed"])
    call, _, duration, sources, _ = build_call(recorder.spool_dir, str(tmp_path), "permedia",
                                               encodings=("L16", "L16"))
    call.add_media(2, {96: "H264/90000"})
    publish(recorder, call)
    call.end()
    assert finished(recorder, 1), recorder.log_text()
    mix, rate = audio(recorder.outputs("permedia-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration
    assert correlation(mix[:, 0], sources[0], 400) > 0.4


@pytest.mark.parametrize("encoding, target", [("PCMU", 16000), ("opus", 8000)])
def test_resample_to(tmp_path, recorder_factory, encoding, target):
    """--resample-to: every file at the given rate, still the call's length and speech."""
    recorder = recorder_factory(["--output-single", "--output-mixed", "--resample-to=%d" % target])
    call, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "resampled", encodings=(encoding, encoding))
    publish(recorder, call)
    call.end()
    assert finished(recorder, 3), recorder.log_text()
    reference = audio(Sources.get(str(tmp_path), target)[0])[0][:, 0]
    mix, rate = audio(recorder.outputs("resampled-mix.wav")[0])
    assert rate == target
    assert abs(len(mix) / rate - duration) <= 0.01 * duration
    single, rate = audio(recorder.outputs("resampled-00001111.wav")[0])
    assert rate == target
    assert correlation(single[:, 0], reference, target // 20) > 0.9


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_output_destination_names_the_mixed_file(tmp_path, recorder_factory, absolute):
    """OUTPUT_DESTINATION (ng output-destination, as 10.5): the mixed file's name, extension
    included, relative ones under --output-dir; single files keep the pattern."""
    recorder = recorder_factory(["--output-single", "--output-mixed"])
    destination = str(tmp_path / "elsewhere" / "final.wav") if absolute else "sub/dir/final.wav"
    call, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "destined")
    call.metadata += spool.chunk("OUTPUT_DESTINATION", destination)
    publish(recorder, call)
    call.end()
    expected = destination if absolute else os.path.join(recorder.output_dir, destination)
    assert wait_until(lambda: os.path.exists(expected) and not recorder.outputs("*.tmp"), 15), \
        (recorder.outputs("*"), recorder.log_text())
    mix, rate = audio(expected)
    assert abs(len(mix) / rate - duration) <= 0.01 * duration
    assert recorder.outputs("destined-00001111.wav") and not recorder.outputs("destined-mix*")


def test_mp3_output(tmp_path, recorder_factory):
    recorder = recorder_factory(["--output-format=mp3", "--output-mixed"])
    call, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "mp3call")
    publish(recorder, call)
    call.end()
    assert finished(recorder, 1), recorder.log_text()
    outputs = recorder.outputs()
    assert [os.path.basename(f) for f in outputs] == ["mp3call-mix.mp3"]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name",
                            "-of", "default=noprint_wrappers=1", outputs[0]], capture_output=True, text=True,
                           timeout=20, check=True)
    assert "codec_name=mp3" in probe.stdout
    probed = float(probe.stdout.split("duration=")[1].split()[0])
    assert abs(probed - duration) <= 0.02 * duration + 0.1, (probed, duration)


def test_loss_and_reordering_keep_length(tmp_path, recorder_factory):
    recorder = recorder_factory()
    call, parties, duration, sources, _ = build_call(recorder.spool_dir, str(tmp_path), "lossy", loss=0.05,
                                                     reorder=True)
    publish(recorder, call)
    call.end()
    assert finished(recorder, 3), recorder.log_text()
    mix, rate = audio(recorder.outputs("lossy-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration, (len(mix) / rate, duration)
    single, _ = audio(recorder.outputs("lossy-00001111.wav")[0])
    assert abs(len(single) / rate - (duration - B_OFFSET_S)) <= 0.01 * duration
    # 5 % of 20 ms frames replaced by silence still sounds like the sentence
    assert correlation(single[:, 0], sources[0], 400) > 0.8
    assert "silence filled" in recorder.log_text()


def test_parties_aligned_when_the_second_stream_started_first(tmp_path, recorder_factory):
    """The answerer's stream (stream 1) starts 400 ms before the offerer's, and both files are
    complete before the recorder reads them (as after a restart): the mix still places each
    party at its arrival time."""
    recorder = recorder_factory(["--output-mixed"])
    call, _, duration, sources, rate = build_call(recorder.spool_dir, str(tmp_path), "early", b_offset=-0.4)
    publish(recorder, call)
    call.end()
    assert finished(recorder, 1), recorder.log_text()
    mix, rate = audio(recorder.outputs("early-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration, (len(mix) / rate, duration)
    offset = int(0.4 * rate)
    assert correlation(mix[offset:, 0], sources[0], rate // 100) > 0.4
    assert correlation(mix[:, 0], sources[1], rate // 100) > 0.4


def test_party_on_hold_loses_nothing(tmp_path, recorder_factory):
    """The answerer sends one second, then nothing (on hold) while the call goes on: its last
    packets leave the jitter buffer after a second without packets, the mix stops waiting for
    it, and none of its audio arrives too late to be mixed."""
    recorder = recorder_factory()
    call, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "onhold", b_frames=50)
    publish(recorder, call)
    import time
    time.sleep(2)        # the answerer is silent for longer than a second of poll rounds
    call.end()
    assert finished(recorder, 3), recorder.log_text()
    mix, rate = audio(recorder.outputs("onhold-mix.wav")[0])
    duration -= B_OFFSET_S       # the offerer, who started first, is the last to send
    assert abs(len(mix) / rate - duration) <= 0.01 * duration, (len(mix) / rate, duration)
    single, _ = audio(recorder.outputs("onhold-00002111.wav")[0])
    assert len(single) == 50 * 160
    assert "too late to mix" not in recorder.log_text()


def test_long_hold_then_resume(tmp_path, recorder_factory):
    """The offerer sends a second, puts the call on hold for 90 s (nothing sent), then sends
    another second with the timestamp and arrival time moved on by 90 s: the files keep the
    90 s of silence (the first packet after the hold waits for the second to confirm its time)."""
    recorder = recorder_factory(["--output-single", "--output-mixed"])
    call = spool.SpoolCall(recorder.spool_dir, "longhold")
    call.add_media(1, {0: "PCMU/8000"})
    call.add_stream(tag=0)
    voices = Sources.get(str(tmp_path), 8000)
    payloads = spool.encode("PCMU", voices[0], str(tmp_path))
    packets = []
    for n in range(100):
        hold = 90 * 8000 if n >= 50 else 0
        packets.append((BASE_NS + n * 20_000_000 + hold * 125_000,
                        spool.rtp(0, 10 + n, 1000 + n * 160 + hold, 0x1111, payloads[n])))
    call.append_packets(0, packets)
    publish(recorder, call)
    call.end()
    assert finished(recorder, 2), recorder.log_text()
    single, rate = audio(recorder.outputs("longhold-00001111.wav")[0])
    assert abs(len(single) / rate - 92.0) <= 0.01 * 92, len(single) / rate
    mix, _ = audio(recorder.outputs("longhold-mix.wav")[0])
    assert abs(len(mix) / rate - 92.0) <= 0.01 * 92
    assert not single[50 * 160 + 100:50 * 160 + 90 * rate - 100].any()      # the hold is silence


def test_ssrc_change_mid_call(tmp_path, recorder_factory):
    recorder = recorder_factory()
    call, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "ssrcchange", ssrc_change=True)
    publish(recorder, call)
    call.end()
    assert finished(recorder, 4), recorder.log_text()
    names = [os.path.basename(f) for f in recorder.outputs()]
    assert "ssrcchange-00001111.wav" in names and "ssrcchange-abcdef01.wav" in names, names
    mix, rate = audio(recorder.outputs("ssrcchange-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration, (len(mix) / rate, duration)


def test_codec_change_mid_stream(tmp_path, recorder_factory):
    """The offerer switches from PCMU to PCMA half way through (same SSRC, sequence and
    timestamps go on): one single file, the whole sentence in it."""
    recorder = recorder_factory(["--output-single"])
    voices = Sources.get(str(tmp_path), 8000)
    pcmu = spool.encode("PCMU", voices[0], str(tmp_path))
    pcma = spool.encode("PCMA", voices[0], str(tmp_path))
    half = len(pcmu) // 2
    call = spool.SpoolCall(recorder.spool_dir, "codecchange")
    call.add_media(1, {0: "PCMU/8000", 8: "PCMA/8000"})
    call.add_stream(tag=0)
    packets = []
    for n in range(len(pcmu)):
        pt, payload = (0, pcmu[n]) if n < half else (8, pcma[n])
        packets.append((BASE_NS + n * 20_000_000, spool.rtp(pt, 500 + n, 9000 + n * 160, 0x1111, payload)))
    call.append_packets(0, packets)
    publish(recorder, call)
    call.end()
    assert finished(recorder, 1), recorder.log_text()
    single, rate = audio(recorder.outputs("codecchange-00001111.wav")[0])
    assert abs(len(single) / rate - len(pcmu) * 0.02) <= 0.01 * len(pcmu) * 0.02
    assert correlation(single[:, 0], audio(voices[0])[0][:, 0], 400) > 0.9
    assert "codec change to PCMA/8000" in recorder.log_text()


def test_channels_mix_method(tmp_path, recorder_factory):
    recorder = recorder_factory(["--output-mixed", "--mix-method=channels"])
    call, _, duration, sources, _ = build_call(recorder.spool_dir, str(tmp_path), "chan")
    publish(recorder, call)
    call.end()
    assert finished(recorder, 1), recorder.log_text()
    mix, rate = audio(recorder.outputs("chan-mix.wav")[0])
    assert mix.shape[1] == 4
    offset = int(B_OFFSET_S * rate)
    assert correlation(mix[:, 0], sources[0], 400) > 0.9
    assert correlation(mix[offset:, 1], sources[1], 400) > 0.9
    assert not mix[:, 2].any() and not mix[:, 3].any()


def test_garbage_is_skipped_and_good_calls_recorded(tmp_path, recorder_factory):
    recorder = recorder_factory(["--output-mixed"])
    generator = random.Random(5)
    # a metadata file of random bytes, one with a broken section, a stream file with a bad
    # magic, one with a frame length beyond the maximum, one truncated mid-frame
    with open(os.path.join(recorder.spool_dir, "garbage.meta"), "wb") as handle:
        handle.write(bytes(generator.getrandbits(8) for _ in range(3000)))
    with open(os.path.join(recorder.spool_dir, "broken.meta"), "wb") as handle:
        handle.write(spool.chunk("CALL-ID", "broken") + b"STREAM 0 interface\n99999:\nshort\n\n")
    bad = spool.SpoolCall(recorder.spool_dir, "badstreams")
    bad.add_media(1, {0: "PCMU/8000"})
    for _ in range(3):
        bad.add_stream(tag=0)
    with open(bad.streams[0], "wb") as handle:
        handle.write(b"XXXX" + bytes(200))
    bad.append_raw(1, struct.pack("<IIQ", 0xffff, 0, BASE_NS) + bytes(100))
    bad.append_raw(2, spool.frame(spool.ipv4_udp(spool.rtp(0, 1, 0, 5, b"\xff" * 160)), BASE_NS)[:50])
    publish(recorder, bad)
    good, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "goodcall")
    publish(recorder, good)
    good.end()
    bad.end()
    assert wait_until(lambda: recorder.outputs("goodcall-mix.wav") and not recorder.outputs("*.tmp"), 15), \
        recorder.log_text()
    assert recorder.alive()
    mix, rate = audio(recorder.outputs("goodcall-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration
    log = recorder.log_text()
    assert "bad magic" in log and "frame length" in log
    assert "garbage.meta" in log or "metadata file" in log


@pytest.mark.parametrize("seed", [99, 7, 1234])
def test_random_packets_in_good_frames(tmp_path, recorder_factory, seed):
    """Well-framed packets with random RTP headers and payloads for every codec's payload type
    (and IP/UDP headers cut short): decoders get garbage, the daemon stays up and records the
    good call beside it."""
    recorder = recorder_factory(["--output-mixed", "--output-single"])
    generator = random.Random(seed)
    noisy = spool.SpoolCall(recorder.spool_dir, "noisy")
    noisy.add_media(1, {pt: rtpmap for _, _, pt, rtpmap, _, _ in spool.CODECS.values()})
    noisy.add_stream(tag=0)
    packets = []
    for n in range(3000):
        payload = bytes(generator.getrandbits(8) for _ in range(generator.randrange(1, 400)))
        pt = generator.choice([0, 8, 9, 111, 96, 101, 13, 127])
        if generator.random() < 0.7:    # plausible: near the previous sequence and timestamp
            sequence, timestamp = n + generator.randrange(-3, 4), n * 160 + generator.randrange(-500, 500)
        else:
            sequence, timestamp = generator.getrandbits(16), generator.getrandbits(32)
        packet = spool.rtp(pt, sequence, timestamp, generator.choice([1, 2, 3]), payload)
        wrapped = spool.ipv4_udp(packet)
        if n % 50 == 0:
            wrapped = wrapped[:generator.randrange(1, 30)]
        arrival = BASE_NS + n * 20_000_000 if generator.random() < 0.9 else BASE_NS + generator.getrandbits(50)
        packets.append(spool.frame(wrapped, arrival))
    noisy.append_raw(0, b"".join(packets))
    publish(recorder, noisy)
    good, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "besidenoise")
    publish(recorder, good)
    good.end()
    noisy.end()
    assert wait_until(lambda: recorder.outputs("besidenoise-mix.wav") and not recorder.outputs("*.tmp"), 30), \
        recorder.log_text()
    assert recorder.alive()
    mix, rate = audio(recorder.outputs("besidenoise-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration


def test_broken_times_do_not_fill_the_disk(tmp_path, recorder_factory):
    """Timestamps that jump 29 s per packet and an arrival time ten years late: the files stay
    about as long as the call, not hours of silence."""
    recorder = recorder_factory()
    call, parties, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "brokentimes")
    for number in range(2):
        with open(call.streams[number], "wb") as handle:
            handle.write(spool.stream_file_header())
    a = parties[0].packets
    for index in range(100, 120):
        arrival, packet = a[index]
        header = bytearray(packet[:12])
        header[4:8] = ((int.from_bytes(header[4:8], "big") + (index - 99) * 29 * 8000) & 0xffffffff).to_bytes(4, "big")
        a[index] = (arrival, bytes(header) + packet[12:])
    b = parties[1].packets
    b[60] = (b[60][0] + 10 * 365 * 86400 * 10**9, b[60][1])
    for number, party in enumerate(parties):
        call.append_packets(number, party.packets)
    publish(recorder, call)
    call.end()
    assert finished(recorder, 3), recorder.log_text()
    for path in recorder.outputs("*.wav"):
        length = len(audio(path)[0]) / 8000
        assert length < duration + 10, (path, length, duration)


def test_restart_mid_call_picks_the_call_up(tmp_path, recorder_factory):
    recorder = recorder_factory(["--output-mixed"])
    call, parties, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "restart")
    # only the first half is in the stream files when the recorder dies
    for number in range(len(call.streams)):
        with open(call.streams[number], "wb") as handle:
            handle.write(spool.stream_file_header())
    halves = [len(p.packets) // 2 for p in parties]
    for number, party in enumerate(parties):
        call.append_packets(number, party.packets[:halves[number]])
    publish(recorder, call)
    assert wait_until(lambda: recorder.outputs("*.tmp"), 5)
    recorder.stop(signal.SIGKILL)
    for number, party in enumerate(parties):
        call.append_packets(number, party.packets[halves[number]:])
    again = recorder_factory(["--output-mixed"], name="recorder2")
    assert wait_until(lambda: "restart" in again.log_text() and "recording stream 1" in again.log_text(), 5), \
        again.log_text()
    call.end()
    assert wait_until(lambda: again.outputs("restart-mix.wav") and not again.outputs("*.tmp"), 15), \
        again.log_text()
    mix, rate = audio(again.outputs("restart-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration, (len(mix) / rate, duration)


def test_same_call_id_twice_keeps_both_files(tmp_path, recorder_factory):
    """A recording stopped and started again is a new spool prefix with the same call-id: the
    second file does not replace the first."""
    recorder = recorder_factory(["--output-mixed"])
    first, _, _, _, _ = build_call(recorder.spool_dir, str(tmp_path), "twice", extra_frames=0)
    second, _, _, _, _ = build_call(recorder.spool_dir, str(tmp_path), "twice", extra_frames=50)
    publish(recorder, first)
    publish(recorder, second)
    first.end()
    second.end()
    assert wait_until(lambda: len(recorder.outputs("twice-mix*.wav")) == 2 and not recorder.outputs("*.tmp"), 15), \
        (recorder.outputs(), recorder.log_text())
    lengths = sorted(len(audio(path)[0]) for path in recorder.outputs("twice-mix*.wav"))
    assert lengths[1] - lengths[0] == 50 * 160
    assert [os.path.basename(p) for p in recorder.outputs("twice-mix*.wav")] == ["twice-mix-1.wav", "twice-mix.wav"]


@pytest.mark.parametrize("threads", [1, 3])
def test_calls_spread_over_threads(tmp_path, recorder_factory, threads):
    """Six calls at once on --num-threads recording threads: each call's files are complete."""
    recorder = recorder_factory(["--output-mixed", "--num-threads=%d" % threads])
    assert "%d threads" % threads in recorder.log_text()
    calls = [build_call(recorder.spool_dir, str(tmp_path), "spread%d" % n, extra_frames=10 * n) for n in range(6)]
    for call, _, _, _, _ in calls:
        publish(recorder, call)
    for call, _, _, _, _ in calls:
        call.end()
    assert wait_until(lambda: len(recorder.outputs("spread*-mix.wav")) == 6 and not recorder.outputs("*.tmp"), 20), \
        recorder.log_text()
    for n, (_, _, duration, _, _) in enumerate(calls):
        mix, rate = audio(recorder.outputs("spread%d-mix.wav" % n)[0])
        assert abs(len(mix) / rate - duration) <= 0.01 * duration, (n, len(mix) / rate, duration)


def test_sigterm_finishes_running_calls(tmp_path, recorder_factory):
    recorder = recorder_factory(["--output-mixed"])
    call, _, duration, _, _ = build_call(recorder.spool_dir, str(tmp_path), "stopped")
    publish(recorder, call)
    assert wait_until(lambda: recorder.outputs("*.tmp"), 5)
    assert recorder.stop() == 0
    mix, rate = audio(recorder.outputs("stopped-mix.wav")[0])
    assert abs(len(mix) / rate - duration) <= 0.01 * duration
    assert not recorder.outputs("*.tmp")
    # the call still runs: its stream files stay for the next start
    assert os.path.isdir(call.stream_dir) and os.path.exists(call.meta_path)


def test_discarded_call_leaves_no_files(tmp_path, recorder_factory):
    recorder = recorder_factory()
    call, _, _, _, _ = build_call(recorder.spool_dir, str(tmp_path), "discarded")
    publish(recorder, call)
    assert wait_until(lambda: recorder.outputs("*.tmp"), 5)
    os.rename(call.meta_path, call.meta_path + ".DISCARD")
    os.unlink(call.meta_path + ".DISCARD")
    assert wait_until(lambda: "recording finished (discarded)" in recorder.log_text(), 5), recorder.log_text()
    assert recorder.outputs() == []


def test_recording_off_skips_packets(tmp_path, recorder_factory):
    recorder = recorder_factory(["--output-mixed"])
    call, _, _, _, _ = build_call(recorder.spool_dir, str(tmp_path), "paused")
    call.metadata = call.metadata.replace(spool.chunk("RECORDING 1"), spool.chunk("RECORDING 0"))
    publish(recorder, call)
    call.end()
    assert wait_until(lambda: "[paused]: recording finished" in recorder.log_text(), 5), recorder.log_text()
    assert recorder.outputs() == []


def test_output_pattern_and_chmod(tmp_path, recorder_factory):
    import pwd
    owner = "nobody" if os.geteuid() == 0 else "-1"     # only root can give files away
    recorder = recorder_factory(["--output-single", "--output-pattern=%2/%c-%l-%t", "--output-chmod=0640",
                                 "--output-storage=file", "--output-chown=" + owner, "--output-chgrp=%d" % os.getgid()])
    call, _, _, _, _ = build_call(recorder.spool_dir, str(tmp_path), "patterncall", extra_frames=0)
    publish(recorder, call)
    call.end()
    expected = os.path.join(recorder.output_dir, "pa", "patterncall-party0-00001111.wav")
    assert wait_until(lambda: os.path.exists(expected), 15), (recorder.outputs("*/*"), recorder.log_text())
    assert oct(os.stat(expected).st_mode & 0o777) == oct(0o640)
    if owner == "nobody":
        assert os.stat(expected).st_uid == pwd.getpwnam("nobody").pw_uid


# ------------------------------------------------------------------------- with our relay

@pytest.mark.upstream_differs("10.5 writes proc streams through the kernel module only")
def test_relay_records_and_recorder_writes_the_call(tmp_path, recorder_factory, rtpengine_factory):
    """Our rtpengine (--recording-method=proc) records a call both parties speak in, in real
    time; rtpengine-recording on its spool writes the files."""
    import time
    from calls import Call, Sdp, assert_ok, simple_sdp
    from rtp import MediaPeer

    recorder = recorder_factory(["--output-single", "--output-mixed"])
    daemon = rtpengine_factory("--recording-dir=%s" % recorder.spool_dir, "--recording-method=proc")
    caller, callee = MediaPeer("127.0.0.2"), MediaPeer("127.0.0.1")
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port), {"record call": "yes"}))
        answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port)))
        to_callee, to_caller = Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()
        voices = Sources.get(str(tmp_path), 8000)
        payloads = [spool.encode("PCMU", voice, str(tmp_path)) for voice in voices]
        silence = spool.silence_payload("PCMU", str(tmp_path))
        frames = max(len(p) for p in payloads) + 10
        for p in payloads:
            p.extend([silence] * (frames - len(p)))
        started = time.monotonic()
        for n in range(frames):
            caller.rtp.send(spool.rtp(0, 100 + n, 8000 + n * 160, 0x1111, payloads[0][n]), to_callee)
            callee.rtp.send(spool.rtp(0, 900 + n, 70000 + n * 160, 0x2111, payloads[1][n]), to_caller)
            delay = started + (n + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        assert_ok(call.delete())
        prefix_files = lambda: [f for f in recorder.outputs() if not f.endswith(".tmp")]  # noqa: E731
        assert wait_until(lambda: len(prefix_files()) == 3 and not recorder.outputs("*.tmp"), 15), \
            (recorder.outputs(), recorder.log_text())
        duration = frames * 0.02
        mix, rate = audio(recorder.outputs("*-mix.wav")[0])
        assert abs(len(mix) / rate - duration) <= 0.01 * duration, (len(mix) / rate, duration)
        sources = [audio(voice)[0][:, 0] for voice in voices]
        for index, ssrc in enumerate((0x1111, 0x2111)):
            single, _ = audio(recorder.outputs("*-%08x.wav" % ssrc)[0])
            assert correlation(single[:, 0], sources[index], 400) > 0.9
        assert correlation(mix[:, 0], sources[0], 400) > 0.4 and correlation(mix[:, 0], sources[1], 400) > 0.4
        # the recorder cleaned up the stream files after the call
        assert wait_until(lambda: not os.listdir(os.path.join(recorder.spool_dir, "streams")), 5)
    finally:
        caller.close()
        callee.close()
