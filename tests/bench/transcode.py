#!/usr/bin/python3
"""Transcoding benchmark: Opus <-> PCMU calls per core at < 1% late frames, ours vs Debian's
10.5 in the same run (same ng request: `codec: {transcode: [opus]}` on a PCMU offer,
answered Opus-only).

This script sets the calls up over ng (each side's UDP socket bound here and announced in
its SDP) and hands the sockets to `transcode_load` (C, tests/bench/transcode_load.c), which
sends espeak-ng speech both ways at 50 packets/s per side (PCMU from the caller, libopus
packets encoded here once in advance from the callee), paced with absolute timers, receives
with recvmmsg and judges every output frame against its input's send time (late: > 20 ms
after it; missing: never seen). The relay runs with one worker thread, every thread of it
pinned to the first CPU at nice -10 (--relay-nice), transcode_load on the second (SCHED_FIFO),
so that other work on the machine neither starves the relay nor holds the sends back, and
"calls per core" is the relay's own figure. For each step of calls, ours and 10.5 alternate (which goes first alternates too)
so that both see the same machine. A step passes below 1% late and 1% missing; a failed step
run while other work kept more than OTHERS_LIMIT of a core busy is run once more (the better
run counts), and a relay's steps stop after its second failed step; then the interval between
its last passed and first failed step is halved twice (to the nearest 5 calls). Printed per run: the
relay's CPU seconds, calls per core by CPU (calls * seconds / CPU seconds), late %, missing %,
p99 delay, the load average and how much CPU the rest of the machine used meanwhile.
Every run first checks transcode_load's judgement against a stand-in relay that holds back
every 20th packet by 30 ms and drops every 50th (it must report 5.1% late, 2% missing; exit
status 1 otherwise). Beyond that the exit status does not depend on the figures.

    make -C tests/bench transcode_load
    /usr/bin/python3 tests/bench/transcode.py [--steps 20,40,60,...] [--duration 10] [--only ours]
"""
import argparse
import ctypes
import ctypes.util
import heapq
import os
import random
import resource
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import run  # noqa: E402
from ng import NgClient  # noqa: E402

import audioop  # noqa: E402  (deprecated in 3.11, present in Debian 12's Python)

TRANSCODE_LOAD = os.path.join(HERE, "transcode_load")
LIMIT_PERCENT = 1.0      # a step passes below this share of late and of missing frames
OTHERS_LIMIT = 0.3       # cores busy with other work during a failed step: run it again
WARMUP_SECONDS = 1.0
REFINE_STEPS = 2         # halvings between a relay's last passed and first failed step

OFFER = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
ANSWER = ("v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
          "m=audio {port} RTP/AVP {pt}\r\na=rtpmap:{pt} opus/48000/2\r\na=sendrecv\r\n")


def speech_frames():
    """Up to 2 s of espeak-ng speech as 20 ms frames: PCMU payloads (8 kHz) and libopus payloads (48 kHz)."""
    with tempfile.TemporaryDirectory() as directory:
        wav = os.path.join(directory, "s.wav")
        subprocess.run(["espeak-ng", "-w", wav, "One transcoded call after another, all of them "
                        "speaking at once."], check=True, timeout=30)
        pcm = {}
        for rate in (8000, 48000):
            raw = os.path.join(directory, "s%d.raw" % rate)
            subprocess.run(["sox", wav, "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed", "-t", "raw", raw],
                           check=True, timeout=30)
            with open(raw, "rb") as handle:
                pcm[rate] = handle.read()
    count = min(len(pcm[8000]) // 320, len(pcm[48000]) // 1920, 100)
    pcmu = [audioop.lin2ulaw(pcm[8000][320 * i:320 * (i + 1)], 2) for i in range(count)]
    lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
    lib.opus_encoder_create.restype = ctypes.c_void_p
    error = ctypes.c_int()
    encoder = lib.opus_encoder_create(48000, 1, 2048, ctypes.byref(error))
    opus = []
    for i in range(count):
        samples = (ctypes.c_int16 * 960).from_buffer_copy(pcm[48000][1920 * i:1920 * (i + 1)])
        out = (ctypes.c_ubyte * 1500)()
        length = lib.opus_encode(ctypes.c_void_p(encoder), samples, 960, out, 1500)
        opus.append(bytes(out[:length]))
    lib.opus_encoder_destroy(ctypes.c_void_p(encoder))
    return pcmu, opus


def udp_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return sock


def media_address(sdp):
    port = int([line for line in sdp.splitlines() if line.startswith("m=audio")][0].split()[1])
    return ("127.0.0.1", port)


def setup_calls(client, count):
    calls = []
    for n in range(count):
        caller, callee = udp_socket(), udp_socket()
        call_id = "bench-transcode-%d-%d" % (os.getpid(), random.randrange(1 << 30))
        offer = client.request({"command": "offer", "call-id": call_id, "from-tag": "a",
                                "sdp": OFFER.format(port=caller.getsockname()[1]),
                                "codec": {"transcode": ["opus"]}})
        if offer.get("result") != "ok":
            raise RuntimeError("offer refused: %r" % offer)
        offered = offer["sdp"] if isinstance(offer["sdp"], str) else offer["sdp"].decode()
        opus_pt = [line.split(":")[1].split()[0] for line in offered.splitlines()
                   if line.startswith("a=rtpmap:") and "opus" in line][0]
        answer = client.request({"command": "answer", "call-id": call_id, "from-tag": "a", "to-tag": "b",
                                 "sdp": ANSWER.format(port=callee.getsockname()[1], pt=opus_pt)})
        if answer.get("result") != "ok":
            raise RuntimeError("answer refused: %r" % answer)
        answered = answer["sdp"] if isinstance(answer["sdp"], str) else answer["sdp"].decode()
        calls.append({"id": call_id, "caller": caller, "callee": callee, "opus_pt": int(opus_pt),
                      "caller_to": media_address(answered), "callee_to": media_address(offered)})
    return calls


def write_frames(directory, name, payloads):
    """transcode_load's frame file: each payload as a 2-byte big-endian length and its bytes."""
    path = os.path.join(directory, name)
    with open(path, "wb") as handle:
        for payload in payloads:
            handle.write(struct.pack("!H", len(payload)) + payload)
    return path


def cpu_seconds(pid):
    """utime + stime of process pid so far, from /proc."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy():
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def renice_threads(pid, value):
    """Sets the nice value of every thread of process pid (Linux: per thread) and of its
    autogroup: with sched_autogroup_enabled each session (the process runner starts every
    program in its own) shares the CPU with the others as one group, whatever its threads'
    nice values, so without the group's nice a relay at nice -10 measured no better."""
    try:
        with open("/proc/%d/autogroup" % pid, "w") as handle:
            handle.write(str(value))
    except OSError:
        pass    # no autogroups (kernel without them) or not permitted: threads only
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.setpriority(os.PRIO_PROCESS, int(tid), value)
        except OSError:
            pass    # the thread ended meanwhile, or not permitted (not root): left as it is


def run_transcode_load(name, calls, frame_files, settings, log_dir, pid=None, cpus=None, duration=None):
    """Runs transcode_load over the calls' sockets (on the given CPUs) for duration (default
    --duration) seconds; returns (its process, exit status), None as status when it timed out."""
    duration = duration or settings.duration
    plan = os.path.join(log_dir, "plan-%s.txt" % name)
    with open(plan, "w") as handle:
        for call in calls:
            handle.write("%d %s %d %d %s %d %d\n" % (call["caller"].fileno(), call["caller_to"][0], call["caller_to"][1],
                                                     call["callee"].fileno(), call["callee_to"][0], call["callee_to"][1],
                                                     call["opus_pt"]))
    argv = [TRANSCODE_LOAD, "--plan", plan, "--pcmu", frame_files[0], "--opus", frame_files[1],
            "--duration", str(duration), "--warmup", str(WARMUP_SECONDS),
            "--realtime", "no" if settings.no_realtime else "yes"]
    if pid:
        argv += ["--pid", str(pid)]
    fds = [s.fileno() for call in calls for s in (call["caller"], call["callee"])]
    tool = run.start_on_cpus(argv, run.log_path_for(log_dir, "transcode_load-%s" % name), cpus,
                             name="transcode_load", pass_fds=fds)
    try:
        status = tool.wait(duration + WARMUP_SECONDS + 30)
    finally:
        tool.stop()
    return tool, status


def measure(name, binary, calls_count, settings, frame_files, log_dir):
    """One relay, one step: returns transcode_load's figures (a dict) plus load average and the
    other work's CPU, or None (the relay did not start, a call was refused, the tool failed)."""
    cpus = sorted(os.sched_getaffinity(0))
    relay_cpus, load_cpus = ({cpus[0]}, {cpus[1]}) if len(cpus) >= 2 else (None, None)
    process, ng_port, _ = run.start_ng_relay(name, binary, log_dir, random.randint(10000, 30000),
                                             4 * calls_count + 100, ["--num-threads=%d" % settings.threads],
                                             cpus=relay_cpus)
    calls, client = [], None
    try:
        if not run.ng_answers(process, ng_port, 10):
            print("  %s did not start: %s" % (name, run.tail_of(process)))
            return None
        client = NgClient(ng_port, reply_timeout=2.0)
        try:
            calls = setup_calls(client, calls_count)
        except RuntimeError as error:
            print("  %-8s %4d calls: %s" % (name, calls_count, error))
            return None
        if relay_cpus:
            run.pin_threads(process.pid, relay_cpus)   # threads started meanwhile, if any
        renice_threads(process.pid, settings.relay_nice)
        load_average = os.getloadavg()[0]
        own_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        relay_before = cpu_seconds(process.pid)
        busy_before, total_before = machine_busy()
        tool, status = run_transcode_load(name, calls, frame_files, settings, log_dir, process.pid, load_cpus)
        busy_after, total_after = machine_busy()
        relay_cpu = cpu_seconds(process.pid) - relay_before
        own_after = resource.getrusage(resource.RUSAGE_CHILDREN)   # transcode_load, reaped by stop()
        if status != 0:
            print("  %-8s %4d calls: transcode_load failed (%s): %s" % (name, calls_count, status, run.tail_of(tool)))
            return None
        figures, _ = run.parse_loadgen_output(tool.log_text())
        figures["load_average"] = load_average
        # the rest of the machine over the run: CPUs busy less the relay and transcode_load
        hertz = os.sysconf("SC_CLK_TCK")
        wall = (total_after - total_before) / hertz / len(cpus)
        tool_cpu = (own_after.ru_utime - own_before.ru_utime) + (own_after.ru_stime - own_before.ru_stime)
        busy = (busy_after - busy_before) / hertz
        figures["others_cores"] = max(0.0, busy - tool_cpu - relay_cpu) / max(wall, 1e-3)
        return figures
    finally:
        for call in calls:
            try:
                client.request({"command": "delete", "call-id": call["id"], "from-tag": "a"})
            except Exception:   # noqa: BLE001  (the relay may be gone: it is stopped next)
                pass
            call["caller"].close()
            call["callee"].close()
        if client:
            client.close()
        process.stop()


class ImpairingRelay:
    """A stand-in relay for --self-check: per call two sockets; what the caller sends goes to the
    callee as "Opus" (payload type and timestamp scale rewritten, payload kept) and back the
    other way as PCMU. Of each direction's packets every DELAY_EVERY-th is held back 30 ms and
    every DROP_EVERY-th dropped, so transcode_load must report 5% late and 2% missing."""
    DELAY_EVERY, DROP_EVERY, DELAY_SECONDS = 20, 50, 0.030

    def __init__(self, count, opus_pt=111):
        self.calls, self.routes = [], {}
        for _ in range(count):
            caller, callee, for_caller, for_callee = udp_socket(), udp_socket(), udp_socket(), udp_socket()
            self.calls.append({"id": None, "caller": caller, "callee": callee, "opus_pt": opus_pt,
                               "caller_to": for_caller.getsockname(), "callee_to": for_callee.getsockname()})
            # what for_caller receives (PCMU) leaves for_callee towards the callee as Opus, and back
            self.routes[for_caller.fileno()] = (for_caller, for_callee, callee.getsockname(), opus_pt, 6)
            self.routes[for_callee.fileno()] = (for_callee, for_caller, caller.getsockname(), 0, None)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.forward, daemon=True)
        self.thread.start()

    def forward(self):
        try:
            # this thread only (Linux: per thread): a busy machine must not add lateness of its own
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(5))
        except OSError:
            pass
        poller, held, counts = select.epoll(), [], {}
        for fileno in self.routes:
            poller.register(fileno, select.EPOLLIN)
        while not self.stop.is_set():
            timeout = max(0.0, held[0][0] - time.monotonic()) if held else 0.05
            for fileno, _ in poller.poll(min(timeout, 0.05)):
                inbound, outbound, destination, pt, scale = self.routes[fileno]
                while True:
                    try:
                        data = inbound.recv(2048)
                    except BlockingIOError:
                        break
                    ts = struct.unpack_from("!I", data, 4)[0]
                    ts = (ts * scale if scale else ts // 6) & 0xffffffff
                    packet = data[:1] + bytes([pt]) + data[2:4] + struct.pack("!I", ts) + data[8:]
                    n = counts[fileno] = counts.get(fileno, 0) + 1
                    if n % self.DROP_EVERY == 13:
                        continue
                    if n % self.DELAY_EVERY == 7:
                        heapq.heappush(held, (time.monotonic() + self.DELAY_SECONDS, n, outbound, packet, destination))
                        continue
                    outbound.sendto(packet, destination)
            while held and held[0][0] <= time.monotonic():
                _, _, outbound, packet, destination = heapq.heappop(held)
                outbound.sendto(packet, destination)
        poller.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for inbound, _, _, _, _ in self.routes.values():
            inbound.close()
        for call in self.calls:
            call["caller"].close()
            call["callee"].close()


def self_check(settings, frame_files, log_dir):
    """transcode_load against ImpairingRelay: True when it reports the impairment (5% late,
    2% missing, each direction), so the benchmark's judgement can fail."""
    relay = ImpairingRelay(5)
    try:
        tool, status = run_transcode_load("self-check", relay.calls, frame_files, settings, log_dir, duration=3)
    finally:
        relay.close()
    figures, _ = run.parse_loadgen_output(tool.log_text())
    ok = status == 0
    for direction in ("opus_to_pcmu", "pcmu_to_opus"):
        late, missing = figures.get(direction + "_late_percent", -1), figures.get(direction + "_missing_percent", -1)
        # held and dropped packets never coincide (n = 7 mod 20 and n = 13 mod 50 differ mod
        # 10): late is 1/20 of the inputs among the 49/50 that arrive, 5.1%, but at the edges
        good = 4.0 <= late <= 6.0 and 1.5 <= missing <= 2.5
        print("  self-check %s: late %.2f%% (expected 5%%), missing %.2f%% (expected 2%%): %s"
              % (direction, late, missing, "ok" if good else "WRONG"))
        ok = ok and good
    return ok


def passed(figures):
    return (figures is not None and figures.get("all_late_percent", 100) < LIMIT_PERCENT
            and figures.get("all_missing_percent", 100) < LIMIT_PERCENT)


def describe(name, calls_count, figures, settings):
    cpu = figures.get("relay_cpu_seconds", 0)
    per_core = calls_count * figures.get("measured_seconds", settings.duration) / cpu if cpu > 0 else float("inf")
    return ("  %-8s %4d calls: relay CPU %5.2f s in %.0f s -> %4.0f calls per core; late %6.2f%% "
            "(to PCMU %.2f%%, to Opus %.2f%%), missing %5.2f%%, delay p99 %5.1f ms; sender behind p99 %d us; "
            "load average %.1f, others %.2f cores  %s"
            % (name, calls_count, cpu, figures.get("measured_seconds", 0), per_core, figures.get("all_late_percent", 0),
               figures.get("opus_to_pcmu_late_percent", 0), figures.get("pcmu_to_opus_late_percent", 0),
               figures.get("all_missing_percent", 0), figures.get("all_delay_p99_us", 0) / 1000.0,
               figures.get("pace_behind_p99_us", 0), figures["load_average"], figures["others_cores"],
               "ok" if passed(figures) else "over 1%"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default=os.environ.get("STEPS", "20,40,60,80,100,120,140,160,180,200,240"))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 10)))
    parser.add_argument("--threads", type=int, default=1, help="the relays' --num-threads (default 1)")
    parser.add_argument("--ours", default=run.OUR_DAEMON)
    parser.add_argument("--upstream", default=run.UPSTREAM_DAEMON)
    parser.add_argument("--only", action="append", choices=("ours", "upstream"))
    parser.add_argument("--no-realtime", action="store_true", help="transcode_load without SCHED_FIFO")
    parser.add_argument("--relay-nice", type=int, default=-10,
                        help="nice value of the relays' threads (default %(default)s: other work on the "
                             "machine does not starve them)")
    parser.add_argument("--self-check", action="store_true",
                        help="only check transcode_load's judgement against a relay that delays and drops "
                        "(every run starts with this check and stops if it fails)")
    settings = parser.parse_args()
    if not os.access(TRANSCODE_LOAD, os.X_OK):
        print("%s missing: make -C tests/bench transcode_load" % TRANSCODE_LOAD)
        return 1
    steps = [int(x) for x in settings.steps.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * max(steps) + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))   # the sockets stay open here
    pcmu, opus = speech_frames()
    log_dir = tempfile.mkdtemp(prefix="bench-transcode-")
    frame_files = (write_frames(log_dir, "pcmu.frames", pcmu), write_frames(log_dir, "opus.frames", opus))
    checked = self_check(settings, frame_files, log_dir)
    if settings.self_check or not checked:
        return 0 if checked else 1
    relays = [(name, binary) for name, binary in (("ours", settings.ours), ("upstream", settings.upstream))
              if not settings.only or name in settings.only]
    for name, binary in list(relays):
        if not os.path.exists(binary):
            print("  %s: SKIP (%s missing)" % (name, binary))
            relays.remove((name, binary))
    print("logs in %s; Opus <-> PCMU calls, 50 packets/s each way, %.0f s per step (+%.0f s warm-up); relays with "
          "--num-threads=%d at nice %d on CPU %s, transcode_load on CPU %s"
          % (log_dir, settings.duration, WARMUP_SECONDS, settings.threads, settings.relay_nice,
             sorted(os.sched_getaffinity(0))[0], sorted(os.sched_getaffinity(0))[-1]), flush=True)
    per_core = {name: [] for name, _ in relays}    # calls per core by CPU of each passed run

    def run_step(name, binary, step):
        """One step of one relay, once more if it failed while others kept the machine busy;
        True if it passed."""
        figures = measure("%s-%d" % (name, step), binary, step, settings, frame_files, log_dir)
        if figures is not None:
            print(describe(name, step, figures, settings), flush=True)
        if figures is not None and not passed(figures) and figures["others_cores"] > OTHERS_LIMIT:
            again = measure("%s-%d-again" % (name, step), binary, step, settings, frame_files, log_dir)
            if again is not None:
                print(describe(name, step, again, settings) + " (again: others were busy)", flush=True)
                figures = again if passed(again) or again["all_late_percent"] < figures["all_late_percent"] else figures
        if passed(figures) and figures.get("relay_cpu_seconds", 0) > 0:
            per_core[name].append(step * figures["measured_seconds"] / figures["relay_cpu_seconds"])
        return passed(figures)

    failures = {name: 0 for name, _ in relays}
    best = {name: None for name, _ in relays}
    failed = {name: [] for name, _ in relays}
    for index, step in enumerate(steps):
        order = relays if index % 2 == 0 else list(reversed(relays))
        for name, binary in order:
            if failures[name] >= 2:
                continue
            if run_step(name, binary, step):
                best[name] = step if best[name] is None else max(best[name], step)
            else:
                failures[name] += 1
                failed[name].append(step)
    # between the last step passed and the first failed: halve the interval, up to REFINE_STEPS
    # times per relay, down to 5 calls or a tenth of the figure
    for _ in range(REFINE_STEPS):
        for name, binary in relays:
            low = best[name]
            high = min([step for step in failed[name] if low is not None and step > low], default=None)
            if high is None or high - low <= max(5, low // 10):
                continue
            middle = (low + high) // 2 // 5 * 5
            if middle <= low:
                continue
            if run_step(name, binary, middle):
                best[name] = middle
            else:
                failed[name].append(middle)
    print("largest step under %.0f%% late and missing, one worker thread on one core:" % LIMIT_PERCENT)
    for name, _ in relays:
        figures = sorted(per_core[name])
        print("  %-8s %s calls; by CPU time, median of the passed runs: %s calls per core"
              % (name, best[name] if best[name] is not None else "none of the steps",
                 "%.0f" % figures[len(figures) // 2] if figures else "-"))
    if best.get("ours") and best.get("upstream"):
        print("  ours / 10.5: %.2fx (target >= 1.5x)" % (best["ours"] / best["upstream"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
