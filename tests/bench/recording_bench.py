#!/usr/bin/python3
"""make bench-recording: CPU and memory of rtpengine-recording for N concurrent two-party PCMU
calls written to the spool in real time (20 ms packets, appended in 100 ms batches as the
daemon's writer thread does), mixed output only (the usual production setting).

Measures the recorder's CPU share of one core (utime + stime from /proc over the steady
window) and its peak RSS, then ends every call and checks that each mixed WAV lasts the call.
Target (issue 10): < 25 % of a core for 200 calls.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from process import ManagedProcess, wait_until  # noqa: E402
import recording_spool as spool  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="recording-daemon/rtpengine-recording")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-recording-")
    spool_dir, output_dir = os.path.join(workdir, "spool"), os.path.join(workdir, "out")
    os.makedirs(spool_dir)
    recorder = ManagedProcess([args.binary, "--config-file=none", "--foreground", "--log-stderr",
                               "--log-level=5", "--output-mixed", "--spool-dir=" + spool_dir,
                               "--output-dir=" + output_dir], os.path.join(workdir, "recorder.log"))
    try:
        generator = random.Random(1)
        payloads = [bytes(generator.getrandbits(8) for _ in range(160)) for _ in range(50)]
        calls, handles = [], []
        start_ns = time.time_ns()
        for index in range(args.calls):
            call = spool.SpoolCall(spool_dir, "bench-%d" % index)
            call.add_media(1, {0: "PCMU/8000"})
            call.add_stream(tag=0)
            call.add_stream(tag=1)
            call.publish()
            calls.append(call)
            handles.append([open(path, "ab", buffering=0) for path in call.streams])
        frames = int(args.seconds * 50)
        began = time.monotonic()
        measure_from = measured_cpu = None
        for frame in range(0, frames, 5):
            # 100 ms of audio per stream per batch
            for index, (call, files) in enumerate(zip(calls, handles)):
                for side, handle in enumerate(files):
                    data = b"".join(
                        spool.frame(spool.ipv4_udp(spool.rtp(0, n, n * 160, 0x1000 + index * 2 + side,
                                                             payloads[(n + side) % 50])),
                                    start_ns + n * 20_000_000)
                        for n in range(frame, min(frame + 5, frames)))
                    handle.write(data)
            if measure_from is None and time.monotonic() - began >= 2.0:
                measure_from, measured_cpu = time.monotonic(), cpu_seconds(recorder.pid)
            delay = began + (frame + 5) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        wall = time.monotonic() - measure_from
        cpu = cpu_seconds(recorder.pid) - measured_cpu
        peak_rss = rss_kib(recorder.pid)
        for files in handles:
            for handle in files:
                handle.close()
        for call in calls:
            call.end()
        done = wait_until(lambda: len([f for f in os.listdir(output_dir) if f.endswith(".wav")]) == args.calls
                          if os.path.isdir(output_dir) else False, 60, 0.2)
        durations = []
        for name in os.listdir(output_dir):
            if name.endswith(".wav"):
                frames_bytes, rate, channels = spool.read_wav(os.path.join(output_dir, name))
                durations.append(len(frames_bytes) / 2 / channels / rate)
        print("rtpengine-recording, %d calls x 2 PCMU streams, %.0f s, mixed WAV:" % (args.calls, args.seconds))
        print("  CPU %.1f %% of one core (%.2f s CPU in %.1f s), peak RSS %.1f MiB" %
              (100 * cpu / wall, cpu, wall, peak_rss / 1024))
        print("  %d/%d mixed files, duration min %.2f s max %.2f s (expected %.2f s)" %
              (len(durations), args.calls, min(durations or [0]), max(durations or [0]), frames * 0.02))
        ok = done and all(abs(d - frames * 0.02) <= 0.01 * frames * 0.02 for d in durations)
        print("  " + ("OK" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        recorder.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
