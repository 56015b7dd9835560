"""play media / stop media (daemon/media_player.c): a file or a blob (the bytes of a whole audio
file in the request) decoded into the participant's G.711 and sent as its own RTP stream,
checked on real sockets; the comparisons also run against Debian's 10.5
(RTPENGINE_BINARY=/usr/bin/rtpengine)."""

import math
import os
import shutil
import struct
import subprocess
import time
import warnings
import wave

import pytest

from calls import assert_error, assert_ok, establish, make_sdp, media_section
from conftest import IS_UPSTREAM
from process import ManagedProcess, run_to_exit
from rtp import parse_rtp

numpy = pytest.importorskip("numpy")
from test_recording_daemon import correlation  # noqa: E402  (one copy of the numpy correlation)

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
FRAME_MS = 20
TOOLS = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox") and shutil.which("ffmpeg")),
                           reason="espeak-ng, sox and ffmpeg are needed (make deps-test)")


def _write_wav(path, samples, rate=8000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack("<%dh" % len(samples), *samples))


def _audioop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    return audioop


def _g711(samples, alaw):
    """Reference G.711 (Python's audioop, an implementation independent of ours)."""
    linear = struct.pack("<%dh" % len(samples), *samples)
    return _audioop().lin2alaw(linear, 2) if alaw else _audioop().lin2ulaw(linear, 2)


def _pcmu_call(rtpengine, media_peer, payload_types=(0, 8)):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    sdp = lambda peer: make_sdp(peer.host, media_section(peer.port, payload_types=payload_types))
    setup = establish(rtpengine, caller, callee, offer_sdp=sdp(caller), answer_sdp=sdp(callee))
    return setup, caller, callee


def _receive_timed(sock, count, timeout):
    """Up to `count` (arrival time, parsed RTP) within `timeout` s."""
    return [(when, parse_rtp(data)) for when, data, _ in sock.receive_all(count, timeout, timestamped=True)]


def _assert_one_stream(received, payload_type):
    """One SSRC, the payload type, consecutive sequence numbers, timestamps 160 apart and
    packets 20 ms apart on average (RFC 3550 section 5.1)."""
    packets = [packet for _, packet in received]
    assert {packet.payload_type for packet in packets} == {payload_type}
    assert len({packet.ssrc for packet in packets}) == 1
    first = packets[0]
    assert [p.sequence for p in packets] == [(first.sequence + n) & 0xffff for n in range(len(packets))]
    assert [p.timestamp for p in packets] == [(first.timestamp + 160 * n) & 0xffffffff for n in range(len(packets))]
    span = received[-1][0] - received[0][0]
    expected = (len(packets) - 1) * FRAME_MS / 1000
    assert abs(span - expected) < 0.1 + expected * 0.05, (span, expected)


def _linear(packets, alaw=False):
    payload = b"".join(packet.payload for packet in packets)
    data = _audioop().alaw2lin(payload, 2) if alaw else _audioop().ulaw2lin(payload, 2)
    return numpy.frombuffer(data, dtype="<i2").astype(numpy.float64)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """espeak-ng speech as a 16 kHz WAV and an MP3 (bytes), and its 8 kHz samples as reference."""
    directory = tmp_path_factory.mktemp("speech")
    spoken = directory / "spoken.wav"
    subprocess.run(["espeak-ng", "-w", str(spoken), "Playing a blob from memory."], check=True, timeout=30)
    wav, mp3, raw = directory / "speech.wav", directory / "speech.mp3", directory / "speech.raw"
    subprocess.run(["sox", str(spoken), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True, timeout=30)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(spoken), "-codec:a", "libmp3lame", "-b:a", "48k",
                    str(mp3)], check=True, timeout=30)
    subprocess.run(["sox", str(spoken), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed", "-t", "raw", str(raw)],
                   check=True, timeout=30)
    reference = numpy.frombuffer(raw.read_bytes(), dtype="<i2").astype(numpy.float64)
    lengths = {}
    for kind, path in (("wav", wav), ("mp3", mp3)):
        probed = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                 str(path)], check=True, timeout=30, capture_output=True, text=True)
        lengths[kind] = int(float(probed.stdout.strip()) * 1000)   # truncated, as 10.5 replies it
    return {"wav": wav.read_bytes(), "mp3": mp3.read_bytes(), "reference": reference, "container_ms": lengths}


# ---------------------------------------------------------------- files

@pytest.mark.upstream_differs("10.5 plays through its transcoder; its SSRC and timing are its own")
@pytest.mark.parametrize("payload_types, alaw", [((0, 8), False), ((8,), True)], ids=["PCMU", "PCMA"])
def test_play_media_sends_the_file_in_the_legs_codec(rtpengine, media_peer, tmp_path, payload_types, alaw):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    sdp = lambda peer: make_sdp(peer.host, media_section(peer.port, payload_types=payload_types))
    setup = establish(rtpengine, caller, callee, offer_sdp=sdp(caller), answer_sdp=sdp(callee))
    # 70 ms: three full frames and a half one, a ramp that covers every segment of G.711
    samples = [((n * 937) % 65536) - 32768 for n in range(560)]
    _write_wav(tmp_path / "prompt.wav", samples)
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag,
                                                          "file": str(tmp_path / "prompt.wav")}))
    assert reply["duration"] == 70
    received = [parse_rtp(data) for data, _ in caller.rtp.receive_all(4, 2.0)]
    assert len(received) == 3                                       # the last half frame left out
    assert {packet.payload_type for packet in received} == {payload_types[0]}
    assert [packet.marker for packet in received] == [True, False, False]
    assert len({packet.ssrc for packet in received}) == 1
    first = received[0]
    assert [p.sequence for p in received] == [(first.sequence + n) & 0xffff for n in range(3)]
    assert [p.timestamp for p in received] == [(first.timestamp + 160 * n) & 0xffffffff for n in range(3)]
    payload = b"".join(packet.payload for packet in received)
    assert payload == _g711(samples[:480], alaw)
    assert caller.rtp.receive_all(1, 0.2) == []                     # played once
    assert callee.rtp.receive_all(1, 0.1) == []                     # to the selected party only


@pytest.mark.upstream_differs("10.5 plays through its transcoder")
def test_stop_media_ends_playback(rtpengine, media_peer, tmp_path):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(rtpengine, caller, callee)
    _write_wav(tmp_path / "long.wav", [0] * 8000 * 5, rate=16000)   # 2.5 s, resampled to 8 kHz
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.to_tag,
                                                          "file": str(tmp_path / "long.wav"), "repeat-times": 2}))
    assert reply["duration"] == 2500
    assert len(callee.rtp.receive_all(3, 2.0)) == 3
    assert_ok(setup.call.command("stop media", **{"from-tag": setup.call.to_tag}))
    callee.rtp.receive_all(5, 0.1)   # what was in flight
    assert callee.rtp.receive_all(1, 0.3) == []


@pytest.mark.upstream_differs("10.5's error texts differ")
def test_play_media_errors(rtpengine, media_peer, tmp_path):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(rtpengine, caller, callee)
    reply = assert_error(setup.call.command("play media", **{"from-tag": setup.call.from_tag,
                                                             "file": str(tmp_path / "missing.wav")}))
    assert "media file" in reply["error-reason"]
    reply = assert_error(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "blob": "xyz"}))
    assert "blob" in reply["error-reason"]
    (tmp_path / "text.wav").write_text("not audio")
    assert_error(setup.call.command("play media", **{"from-tag": setup.call.from_tag,
                                                     "file": str(tmp_path / "text.wav")}))
    assert_ok(setup.call.query())


# ---------------------------------------------------------------- blob

@TOOLS
@pytest.mark.parametrize("kind, minimum", [("wav", 0.9), ("mp3", 0.8)])
def test_play_media_blob(rtpengine, media_peer, speech, kind, minimum):
    """The whole file in the request: packets as from a file, the audio the input's."""
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "blob": speech[kind]}))
    # the container's length (an MP3's with the encoder's delay and padding, 76 ms more here)
    assert reply["duration"] == speech["container_ms"][kind]
    seconds = len(speech["reference"]) / 8000
    frames = reply["duration"] // FRAME_MS
    received = _receive_timed(caller.rtp, frames + 10, seconds + 1.0)
    # both play the MP3's encoder delay and padding and leave the last partial frame out
    assert abs(len(received) - frames) <= 1, (len(received), frames)
    _assert_one_stream(received, 0)
    signal = _linear([packet for _, packet in received])
    # 60 ms either way: MP3's encoder delay and padding, each daemon's resampler
    assert correlation(signal, speech["reference"], 480) > minimum
    assert callee.rtp.receive_all(1, 0.1) == []                     # to the selected party only


# ---------------------------------------------------------------- frames as 10.5 cuts them

NOISE_SAMPLES = 8037   # 1.0046 s at 8 kHz: 50 frames and 37 samples


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    """Low-passed noise at 8 kHz, whose every stretch identifies its position: as a WAV, and as
    an 8 kHz MP3 (no resampler in either daemon) with its encoder delay in 8 kHz samples and its
    stream's time base (ffprobe: the stream's start_time is the delay libavformat would skip)."""
    directory = tmp_path_factory.mktemp("noise")
    generator = numpy.random.default_rng(20261204)
    signal = numpy.convolve(generator.normal(0, 4000, NOISE_SAMPLES), numpy.ones(3) / 3, mode="same")
    samples = [int(value) for value in numpy.clip(signal, -32000, 32000)]
    wav, mp3 = directory / "noise.wav", directory / "noise.mp3"
    _write_wav(wav, samples)
    result = {"wav": str(wav), "samples": samples, "reference": numpy.array(samples, dtype=numpy.float64)}
    if shutil.which("ffmpeg"):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-codec:a", "libmp3lame", "-b:a", "64k",
                        str(mp3)], check=True, timeout=30)
        probed = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                                 "stream=start_time,time_base", "-of", "csv=p=0", str(mp3)],
                                check=True, timeout=30, capture_output=True, text=True)
        time_base, start_time = probed.stdout.strip().split(",")
        numerator, denominator = time_base.split("/")
        result.update(mp3=str(mp3), mp3_delay=round(float(start_time) * 8000),
                      mp3_ticks_per_second=int(denominator) // int(numerator))
    return result


def _correlation_at(signal, reference, lag):
    """How well signal[i] matches reference[i + lag] (1.0: the same audio at that offset; the
    noise decorrelates within a sample or two, so this pins the offset exactly)."""
    if lag < 0:
        signal = signal[-lag:]
    else:
        reference = reference[lag:]
    length = min(len(signal), len(reference), 4000)
    return correlation(signal[:length], reference[:length], 0)


def _assert_frames_hold(received, expected):
    """Packet n carries expected[160 n : 160 n + 160] (within G.711's rounding, which differs
    by a step between the daemons' encoders)."""
    assert len(received) * 160 == len(expected)
    for index, (_, packet) in enumerate(received):
        assert correlation(_linear([packet]), expected[160 * index:160 * index + 160], 0) > 0.999, index


def test_play_media_leaves_the_last_partial_frame_out(rtpengine, media_peer, noise):
    """1.0046 s: 50 frames, the 37 samples after them are not sent (not filled with silence),
    as 10.5 (measured)."""
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": noise["wav"]}))
    assert reply["duration"] == 1004
    received = _receive_timed(caller.rtp, 52, 2.0)
    assert len(received) == 50
    _assert_one_stream(received, 0)
    _assert_frames_hold(received, noise["reference"][:8000])
    assert caller.rtp.receive_all(1, 0.2) == []


def test_play_media_repeats_are_one_stream_of_frames(rtpengine, media_peer, noise):
    """With repeat-times 2 the iterations are cut into frames as one stream: frame 51 holds the
    first iteration's last 37 samples and the second's first 123; only the 74 samples left at
    the very end are not sent (as 10.5, measured)."""
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": noise["wav"],
                                                  "repeat-times": 2}))
    received = _receive_timed(caller.rtp, 102, 3.5)
    assert len(received) == 100
    _assert_one_stream(received, 0)
    _assert_frames_hold(received, numpy.concatenate([noise["reference"]] * 2)[:16000])


def test_play_media_shorter_than_a_frame_sends_nothing(rtpengine, media_peer, tmp_path, noise):
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    _write_wav(tmp_path / "short.wav", noise["samples"][:100])
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag,
                                                          "file": str(tmp_path / "short.wav")}))
    assert reply["duration"] == 12
    assert caller.rtp.receive_all(1, 0.3) == []
    assert_ok(setup.call.query())


@TOOLS
def test_play_media_mp3_keeps_the_encoder_delay(rtpengine, media_peer, noise):
    """An MP3 is played from its first decoded sample: the encoder's delay (1105 samples of
    LAME's priming here) comes first and the last frame's padding is played too, as 10.5 plays
    it (measured: the noise at exactly this offset, 57 packets for 1152 ms)."""
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": noise["mp3"]}))
    delay = noise["mp3_delay"]
    assert 0 < delay < 2000, noise
    received = _receive_timed(caller.rtp, reply["duration"] // FRAME_MS + 2, 2.5)
    assert len(received) == reply["duration"] * 8 // 160       # whole frames of the whole stream
    _assert_one_stream(received, 0)
    signal = _linear([packet for _, packet in received])
    assert numpy.abs(signal[:delay - 50]).max() < 500          # the priming is (near) silence
    assert _correlation_at(signal, noise["reference"], -delay) > 0.95
    assert _correlation_at(signal, noise["reference"], -delay + 1) < 0.9


@TOOLS
@pytest.mark.upstream_differs("10.5 ignores start-pos in play media (measured: the MP3 from its first sample)")
def test_play_media_mp3_start_pos_counts_from_the_first_decoded_sample(rtpengine, media_peer, noise):
    """start-pos in ticks of the MP3 stream's time base (1/14112000 s): 0.5 s is the 4000th
    decoded sample, the encoder's delay included, so the file's own audio from 4000 - delay."""
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": noise["mp3"],
                                                          "start-pos": noise["mp3_ticks_per_second"] // 2}))
    received = _receive_timed(caller.rtp, 60, 2.0)
    assert len(received) == reply["duration"] * 8 // 160 - 25
    signal = _linear([packet for _, packet in received])
    assert _correlation_at(signal, noise["reference"], 4000 - noise["mp3_delay"]) > 0.95


# ---------------------------------------------------------------- start-pos, duration, repeat-duration

LEVEL_FRAMES = 50      # a 1 s file: frame k (20 ms) holds the constant level 300 * 1.08 ** k
LEVEL_RATIO = 1.08     # wider apart than G.711's relative step (at most 1/16 of the level)
IGNORED_BY_10_5 = pytest.mark.upstream_differs("10.5 ignores start-pos, duration and repeat-duration in play "
                                               "media: it plays the whole file repeat-times times (measured)")


@pytest.fixture
def levels(tmp_path):
    samples = []
    for frame in range(LEVEL_FRAMES):
        samples += [round(300 * LEVEL_RATIO ** frame)] * 160
    _write_wav(tmp_path / "levels.wav", samples)
    return str(tmp_path / "levels.wav")


def _frame_indices(received):
    """The file frame each packet carries (the median level, as both daemons' G.711 keep it)."""
    return [round(math.log(max(float(numpy.median(_linear([packet]))), 1.0) / 300, LEVEL_RATIO))
            for _, packet in received]


def _play_levels(rtpengine, media_peer, levels, options):
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": levels, **options}))
    assert reply["duration"] == 1000        # the file's, whatever the options (as 10.5)
    return setup, caller, _receive_timed(caller.rtp, 400, 6.0)


@pytest.mark.parametrize("options, packets, first_frames", [
    ({}, 50, list(range(8))),
    ({"repeat-times": 2}, 100, list(range(8))),
    pytest.param({"start-pos": 4000}, 25, list(range(25, 33)), marks=IGNORED_BY_10_5),   # 8 kHz WAV: samples
    pytest.param({"start-pos": 4000, "repeat-times": 2}, 75, list(range(25, 33)), marks=IGNORED_BY_10_5),
    pytest.param({"duration": 300}, 15, list(range(8)), marks=IGNORED_BY_10_5),
    pytest.param({"duration": 1500, "repeat-times": 3}, 75, list(range(8)), marks=IGNORED_BY_10_5),
    pytest.param({"repeat-duration": 1500}, 100, list(range(8)), marks=IGNORED_BY_10_5),
    pytest.param({"repeat-duration": 1500, "repeat-times": 5}, 100, list(range(8)), marks=IGNORED_BY_10_5),
    pytest.param({"repeat-duration": 5000, "repeat-times": 2}, 100, list(range(8)), marks=IGNORED_BY_10_5),
], ids=["plain", "repeat", "start-pos", "start-pos-repeat", "duration", "duration-cuts-repeats",
        "repeat-duration", "repeat-duration-first", "repeat-times-first"])
def test_play_media_limits(rtpengine, media_peer, levels, options, packets, first_frames):
    setup, caller, received = _play_levels(rtpengine, media_peer, levels, options)
    assert len(received) == packets
    _assert_one_stream(received, 0)
    frames = _frame_indices(received)
    assert frames[:8] == first_frames
    if packets > 50 and "start-pos" not in options:
        assert frames[50:58] == list(range(8))              # the second iteration from the beginning
    if "start-pos" in options and packets > 25:
        assert frames[25:33] == list(range(8))


@pytest.mark.upstream_differs("10.5's stop media replies without last-frame-pos and its play media ignores "
                              "start-pos (measured); later upstream versions document both")
def test_stop_media_last_frame_pos_resumes(rtpengine, media_peer, levels):
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": levels}))
    before = _frame_indices(_receive_timed(caller.rtp, 10, 2.0))
    stopped = assert_ok(setup.call.command("stop media", **{"from-tag": setup.call.from_tag}))
    caller.rtp.receive_all(5, 0.1)   # what was in flight
    position = stopped["last-frame-pos"]
    assert position % 160 == 0 and position >= 160 * len(before), (stopped, before)
    assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": levels,
                                                  "start-pos": position}))
    after = _receive_timed(caller.rtp, LEVEL_FRAMES, 2.0)
    assert _frame_indices(after)[0] == position // 160
    assert len(after) == LEVEL_FRAMES - position // 160


@pytest.mark.upstream_differs("10.5 ignores start-pos (measured); its error texts differ")
@pytest.mark.parametrize("options, reason", [({"start-pos": -1}, "start-pos"), ({"start-pos": 8000}, "beyond"),
                                             ({"duration": -5}, "duration"), ({"repeat-duration": 10 ** 9}, "duration")])
def test_play_media_limits_refused(rtpengine, media_peer, levels, options, reason):
    setup, caller, callee = _pcmu_call(rtpengine, media_peer)
    reply = assert_error(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "file": levels,
                                                             **options}))
    assert reason in reply["error-reason"]
    assert caller.rtp.receive_all(1, 0.2) == []


# ---------------------------------------------------------------- db-id (MySQL/MariaDB)

MARIADB = shutil.which("mariadbd") or shutil.which("mysqld", path="/usr/sbin")
DB_QUERY = "select data from media.files where id = %llu"


class MediaDatabase:
    """A private mariadb-server on a unix socket (no TCP, no grant tables) with a table
    media.files (id, data). The daemons started after it find the socket through
    MYSQL_UNIX_PORT, which libmariadb reads for --mysql-host=localhost."""

    def __init__(self, directory):
        self.directory = directory
        self.datadir, self.socket_path = directory / "db", str(directory / "db.sock")
        self.client = ["mariadb", "--no-defaults", "--socket=%s" % self.socket_path, "--user=root"]
        self.server = None
        self.starts = 0
        code, output = run_to_exit(["mariadb-install-db", "--no-defaults", "--user=root",
                                    "--datadir=%s" % self.datadir, "--auth-root-authentication-method=normal",
                                    "--skip-test-db"], timeout=120)
        assert code == 0, output

    def sql(self, statements):
        code, output = run_to_exit(self.client + ["--batch", "--skip-column-names", "-e", statements], timeout=30)
        assert code == 0, output
        return output

    def start(self):
        self.starts += 1
        self.server = ManagedProcess([MARIADB, "--no-defaults", "--user=root", "--datadir=%s" % self.datadir,
                                      "--socket=%s" % self.socket_path, "--skip-networking", "--skip-grant-tables",
                                      "--pid-file=%s" % (self.directory / "db.pid")],
                                     self.directory / ("mariadb-%d.log" % self.starts))
        answers = lambda: (os.path.exists(self.socket_path)
                           and run_to_exit(self.client + ["-e", "select 1"], timeout=10)[0] == 0)
        assert self.server.wait_ready(answers, 60, interval=0.2), self.server.log_text()

    def stop(self):
        if self.server:
            self.server.stop(timeout=30)
            self.server = None

    def store(self, row_id, data):
        self.sql("insert into media.files values (%d, x'%s')" % (row_id, data.hex()))

    def connections(self):
        """The server's count of connection attempts (each of our own queries is one too)."""
        return int(self.sql("show global status like 'Connections'").split()[-1])


@pytest.fixture
def media_database(tmp_path, monkeypatch):
    if not (MARIADB and shutil.which("mariadb-install-db") and shutil.which("mariadb")):
        pytest.skip("mariadb-server is needed (make deps-test)")
    database = MediaDatabase(tmp_path)
    try:
        database.start()
        database.sql("create database media; create table media.files (id int primary key, data longblob)")
        monkeypatch.setenv("MYSQL_UNIX_PORT", database.socket_path)
        yield database
    finally:
        database.stop()


@TOOLS
def test_play_media_db_id(rtpengine_factory, media_peer, media_database, speech):
    media_database.store(7, speech["mp3"])
    daemon = rtpengine_factory("--mysql-host=localhost", "--mysql-query=" + DB_QUERY)
    setup, caller, callee = _pcmu_call(daemon, media_peer)
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "db-id": 7}))
    assert reply["duration"] == speech["container_ms"]["mp3"]
    seconds = len(speech["reference"]) / 8000
    frames = reply["duration"] // FRAME_MS
    received = _receive_timed(caller.rtp, frames + 10, seconds + 1.0)
    assert abs(len(received) - frames) <= 1, (len(received), frames)
    _assert_one_stream(received, 0)
    assert correlation(_linear([packet for _, packet in received]), speech["reference"], 480) > 0.8
    # an id without a row is an error, and nothing is played
    assert_error(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "db-id": 8}))
    assert caller.rtp.receive_all(1, 0.2) == []


@pytest.mark.upstream_differs("10.5's error texts differ")
def test_play_media_db_id_errors(rtpengine_factory, media_peer):
    daemon = rtpengine_factory()
    setup, caller, callee = _pcmu_call(daemon, media_peer)
    reply = assert_error(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "db-id": 1}))
    assert "--mysql-host" in reply["error-reason"]


def _db_daemon(rtpengine_factory, media_database, noise):
    media_database.store(1, open(noise["wav"], "rb").read())
    return rtpengine_factory("--mysql-host=localhost", "--mysql-query=" + DB_QUERY)


def _play_db(setup, caller, row_id=1):
    """Plays the 1.0046 s noise WAV from the database; its 50 frames arrive."""
    reply = assert_ok(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "db-id": row_id}))
    assert reply["duration"] == 1004
    assert len(caller.rtp.receive_all(50, 2.0)) == 50


def test_play_media_db_id_keeps_one_connection(rtpengine_factory, media_peer, media_database, noise):
    """Two db-id plays in a row: the second opens no connection (the server counts one, our
    own status query)."""
    daemon = _db_daemon(rtpengine_factory, media_database, noise)
    setup, caller, callee = _pcmu_call(daemon, media_peer)
    _play_db(setup, caller)
    before = media_database.connections()
    _play_db(setup, caller)
    assert media_database.connections() - before == 1


def test_play_media_db_id_reconnects_after_a_server_restart(rtpengine_factory, media_peer, media_database, noise):
    daemon = _db_daemon(rtpengine_factory, media_database, noise)
    setup, caller, callee = _pcmu_call(daemon, media_peer)
    _play_db(setup, caller)
    media_database.stop()
    media_database.start()
    _play_db(setup, caller)


def test_play_media_db_id_database_down(rtpengine_factory, media_peer, media_database, noise):
    """The database stopped: play media with db-id is an error (at once: nothing listens on the
    socket), and the daemon still serves the call and another one; once the server is back
    the next db-id plays."""
    daemon = _db_daemon(rtpengine_factory, media_database, noise)
    setup, caller, callee = _pcmu_call(daemon, media_peer)
    _play_db(setup, caller)
    media_database.stop()
    started = time.monotonic()
    reply = assert_error(setup.call.command("play media", **{"from-tag": setup.call.from_tag, "db-id": 1}))
    assert time.monotonic() - started < 2.0
    if not IS_UPSTREAM:   # 10.5's text: "Failed to start media playback from database"
        assert "media database" in reply["error-reason"], reply
    assert caller.rtp.receive_all(1, 0.2) == []
    assert_ok(setup.call.query())
    other, other_caller, _ = _pcmu_call(daemon, media_peer)
    assert_ok(other.call.command("play media", **{"from-tag": other.call.from_tag, "file": noise["wav"]}))
    assert len(other_caller.rtp.receive_all(50, 2.0)) == 50
    media_database.start()
    _play_db(setup, caller)
