#!/usr/bin/python3
"""Media relay benchmark runner (`make bench`).

Starts, one after the other on loopback, (a) our daemon daemon/rtpengine, (b) the minimal
forwarder tests/bench/forwarder and (c) Debian's /usr/bin/rtpengine, drives each with the
same load from tests/bench/loadgen, and prints one table with PASS/FAIL per target. The
exit status is 0 whatever the figures are (targets are reported, not enforced), unless the
tools themselves cannot be run. See README.md for what each figure means.

Every program (the relays, the forwarder, loadgen) starts and ends through tests/lib's
process runner, with its output in a log of its own under the run's log directory.
"""
import argparse
import itertools
import os
import random
import re
import resource
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

from ng import NgClient  # noqa: E402
from ports import free_udp_port  # noqa: E402
from process import ManagedProcess  # noqa: E402

LOADGEN = os.path.join(HERE, "loadgen")
FORWARDER = os.path.join(HERE, "forwarder")
OUR_DAEMON = os.path.join(REPO, "daemon", "rtpengine")
UPSTREAM_DAEMON = "/usr/bin/rtpengine"
RELAY_PORT_SPAN = 12000          # 2000 calls use 8000 ports (RTP + RTCP, both legs)
NG_SECONDS = 3.0                 # length of each ng cycles/s measurement
SCALE_PORT_MIN = 10000           # the scale run's relays use ports from here (below the ephemeral range)
SCALE_LOSS_LIMIT = 0.1           # percent: a scale step passes below this loss
SCALE_BUSY_SHARE = 0.25          # "both workers busy": each carries at least this share of their CPU
SCALE_BUDGET_SECONDS = 200       # the whole scale search, all relays (make bench stays under ~6 min)
LOADGEN_FIGURE = re.compile(r"^([a-z0-9_]+)=(.*)$")   # loadgen's stdout lines; anything else is a remark
LOG_SERIALS = itertools.count(1)


def log_path_for(log_dir, name):
    """A log file of its own for each program started (the runner truncates the file it is given,
    and a relay or the forwarder is started once per round and step)."""
    return os.path.join(log_dir, "%03d-%s.log" % (next(LOG_SERIALS), name))


def ng_answers(relay, port, timeout):
    """True once the relay answers an ng ping on 127.0.0.1:port (bounded by timeout)."""
    client = NgClient(port, reply_timeout=0.2)
    try:
        return relay.wait_ready(lambda: client.ping(0.2), timeout, interval=0)
    finally:
        client.close()


def cpu_busy_fraction(seconds):
    """Share of all CPUs busy over the next `seconds` (from /proc/stat), before we start anything."""
    def sample():
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]          # idle + iowait
        return sum(fields), idle
    total_before, idle_before = sample()
    time.sleep(seconds)
    total_after, idle_after = sample()
    total = max(total_after - total_before, 1)
    return 1.0 - (idle_after - idle_before) / total


def tail_of(process, lines=3):
    return " | ".join(process.log_text().strip().splitlines()[-lines:])


def parse_loadgen_output(text):
    """loadgen's output (stdout and stderr in one log) as (figures dict, remark lines): its
    figures are "key=value" lines, its remarks on stderr never start with a bare key."""
    values, remarks = {}, []
    for line in text.splitlines():
        figure = LOADGEN_FIGURE.match(line)
        if not figure:
            if line.strip():
                remarks.append(line.strip())
            continue
        key, value = figure.groups()
        try:
            values[key] = float(value)
        except ValueError:
            values[key] = value
    return values, remarks


def start_on_cpus(argv, log_path, cpus, **options):
    """Starts argv through the process runner on the given CPUs (all when None), with the
    runner's other options. A child inherits the CPU affinity of the thread that forks it, so
    this thread moves onto those CPUs for the start and back afterwards (other threads keep
    theirs)."""
    if not cpus:
        return ManagedProcess(argv, log_path, **options)
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        return ManagedProcess(argv, log_path, **options)
    finally:
        os.sched_setaffinity(0, previous)


def run_loadgen(arguments, timeout, log_dir, cpus=None):
    """Runs loadgen (on the given CPUs if any), its output in a log of its own in log_dir;
    returns its key=value output as a dict, or None if it failed to run."""
    process = start_on_cpus([LOADGEN] + arguments, log_path_for(log_dir, "loadgen-" + arguments[0]), cpus)
    try:
        timed_out = process.wait(timeout) is None
    finally:
        process.stop()
    if timed_out:
        print("  loadgen %s: timed out" % " ".join(arguments), file=sys.stderr)
        return None
    values, remarks = parse_loadgen_output(process.log_text())
    if remarks:
        print("  loadgen %s: %s%s" % (arguments[0], remarks[-1], " (+%d lines)" % (len(remarks) - 1) if len(remarks) > 1 else ""),
              file=sys.stderr)
    return values if values else None


def pin_threads(pid, cpus):
    """Moves every thread of process pid onto cpus (a set of CPU numbers)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass    # the thread ended meanwhile


def pinned_cpu_per_1000(settings, pid, arguments, log_dir, details=None):
    """CPU ms per 1000 packets with the relay on the first CPU and loadgen on the second.

    Unpinned, the figure depends on where the scheduler happens to put the load generator's
    threads: whenever they share the relay's CPU, waking them is cheap (no inter-processor
    interrupt), so the same relay measures 0.8x to 1.3x from run to run. Pinned, every relay
    pays for the same cross-CPU wake-ups and the figure is its own work. None on one CPU."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None
    relay_cpu, load_cpu = {available[0]}, {available[1]}
    pin_threads(pid, relay_cpu)
    try:
        media = run_loadgen(media_arguments(settings, settings.calls, settings.pinned_duration, 1, 50) + arguments,
                            timeout=settings.pinned_duration + 120, log_dir=log_dir, cpus=load_cpu)
    finally:
        pin_threads(pid, set(available))
    if details is not None and media:
        details.update(media)   # the caller may judge the run (srtp_bench.py: did loadgen keep pace?)
    if not media or media.get("sent", 0) <= 0 or "relay_cpu_seconds" not in media:
        return None
    return media["relay_cpu_seconds"] * 1e6 / media["sent"]


def media_arguments(settings, calls, duration, warmup, rate):
    return ["media", "--calls", str(calls), "--duration", str(duration), "--warmup", str(warmup),
            "--rate", str(rate)]


def bench_ng_relay(name, binary, settings, log_dir):
    """Starts an ng relay (ours or upstream) and measures everything; returns a dict of figures."""
    extra_args = settings.ours_args.split() if name == "ours" else ()
    process, ng_port, log_path = start_ng_relay(name, binary, log_dir, random.randint(10000, 32000 - RELAY_PORT_SPAN),
                                               RELAY_PORT_SPAN, extra_args)
    figures = {"status": "ok"}
    try:
        if not ng_answers(process, ng_port, 10):
            figures["status"] = "did not start (log: %s)" % log_path
            print("  %s did not answer ng ping; log ends: %s" % (name, tail_of(process)), file=sys.stderr)
            return figures
        pid = str(process.pid)
        ng = ["--ng", "127.0.0.1:%d" % ng_port]
        # RSS first, on a fresh process: idle RSS, then with RSS_CALLS calls that each carried
        # a few packets per direction (so streams are learned and active).
        rss = run_loadgen(media_arguments(settings, settings.rss_calls, 2, 0, 5) + ["--mode", "ng", "--pid", pid] + ng,
                          timeout=120, log_dir=log_dir)
        if rss and rss.get("set_up") == settings.rss_calls:
            figures["rss_per_call_kb"] = (rss["rss_loaded_kb"] - rss["rss_idle_kb"]) / settings.rss_calls
        elif rss:
            figures["rss_note"] = "only %d of %d calls set up" % (rss.get("set_up", 0), settings.rss_calls)
        media = run_loadgen(media_arguments(settings, settings.calls, settings.duration, 1, 50)
                            + ["--mode", "ng", "--pid", pid] + ng, timeout=settings.duration + 120, log_dir=log_dir)
        if media:
            figures.update(media_figures(media))
        pinned = pinned_cpu_per_1000(settings, process.pid, ["--mode", "ng", "--pid", pid] + ng, log_dir)
        if pinned is not None:
            figures["cpu_ms_per_1000_pinned"] = pinned
        figures.update(ng_cycles(ng + ["--pid", pid], log_dir))
        if not process.alive():
            figures["status"] = "exited during the run (log: %s)" % log_path
    finally:
        process.stop()
    return figures


def ng_cycles(arguments, log_dir):
    """ng cycles/s sequentially and with 16 in flight, and the relay's CPU per cycle (us)."""
    figures = {}
    for inflight in (1, 16):
        cycles = run_loadgen(["ng", "--duration", str(NG_SECONDS), "--inflight", str(inflight)] + arguments, timeout=60,
                             log_dir=log_dir)
        if cycles:
            figures["ng_%d" % inflight] = cycles["cycles_per_second"]
            figures["ng_%d_failures" % inflight] = cycles.get("failures", 0)
            if cycles.get("cycles", 0) > 0 and cycles.get("relay_cpu_seconds", -1) >= 0:
                figures["ng_%d_cpu_us" % inflight] = cycles["relay_cpu_seconds"] * 1e6 / cycles["cycles"]
    return figures


def start_ng_relay(name, binary, log_dir, port_min, port_span, extra_args=(), cpus=None):
    """Starts ours or upstream with the benchmark's options (and extra_args), on the given
    CPUs (all when None); returns (process, ng port, log path)."""
    ng_port = free_udp_port()
    command = [binary, "--config-file=none", "--table=-1", "--foreground", "--log-level=3", "--log-stderr",
               "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % ng_port,
               "--port-min=%d" % port_min, "--port-max=%d" % (port_min + port_span - 1),
               "--delete-delay=0", "--endpoint-learning=immediate"] + list(extra_args)
    log_path = log_path_for(log_dir, name)
    return start_on_cpus(command, log_path, cpus, name=name), ng_port, log_path


def start_forwarder(arguments, log_dir):
    """Starts the forwarder; returns its process once it printed "ready" (it has bound every
    port), else None (it exited, e.g. a port was taken, or did not get ready in 10 s)."""
    process = ManagedProcess([FORWARDER] + arguments, log_path_for(log_dir, "forwarder"), name="forwarder")
    if process.wait_ready(lambda: "ready\n" in process.log_text(), 10):
        return process
    process.stop()
    return None


def bench_forwarder_ng(log_dir):
    """The forwarder's ng side: the same sockets per call as a relay opens, no SDP work."""
    for _ in range(10):
        ng_port = free_udp_port()
        port_min = random.randint(10000, 32000 - RELAY_PORT_SPAN) & ~1
        process = start_forwarder(["--ng", "127.0.0.1", str(ng_port), str(port_min),
                                   str(port_min + RELAY_PORT_SPAN - 1)], log_dir)
        if not process:
            continue
        try:
            return ng_cycles(["--ng", "127.0.0.1:%d" % ng_port, "--pid", str(process.pid)], log_dir)
        finally:
            process.stop()
    return {}


def media_figures(media):
    figures = {"sent": media["sent"], "loss_percent": media["loss_percent"],
               "p50_us": media["latency_p50_us"], "p99_us": media["latency_p99_us"],
               "loadgen_cpu_share": media["loadgen_cpu_seconds"] / max(media["measured_seconds"], 1e-9),
               "misrouted": media.get("misrouted", 0.0), "send_errors": media.get("send_errors", 0.0)}
    if "relay_cpu_seconds" in media and media["sent"] > 0:
        # CPU milliseconds per 1000 relayed packets == CPU microseconds per packet.
        figures["cpu_ms_per_1000"] = media["relay_cpu_seconds"] * 1e6 / media["sent"]
    if media.get("set_up") != media.get("calls"):
        figures["status"] = "only %d of %d calls set up" % (media.get("set_up", 0), media.get("calls", 0))
    return figures


def bench_forwarder(settings, log_dir):
    for _ in range(10):
        base = random.randint(10000, 32000 - 2 * settings.calls)
        process = start_forwarder(["127.0.0.1", str(base), str(settings.calls)], log_dir)
        if not process:
            continue
        try:
            media = run_loadgen(media_arguments(settings, settings.calls, settings.duration, 1, 50)
                                + ["--mode", "fixed", "--relay-base", str(base), "--pid", str(process.pid)],
                                timeout=settings.duration + 120, log_dir=log_dir)
            figures = {"status": "ok"}
            if media:
                figures.update(media_figures(media))
            pinned = pinned_cpu_per_1000(settings, process.pid,
                                         ["--mode", "fixed", "--relay-base", str(base), "--pid", str(process.pid)],
                                         log_dir)
            if pinned is not None:
                figures["cpu_ms_per_1000_pinned"] = pinned
            return figures
        finally:
            process.stop()
    return {"status": "could not bind a port range (logs: %s/*-forwarder.log)" % log_dir}


def bench_direct(settings, log_dir):
    media = run_loadgen(media_arguments(settings, settings.calls, min(settings.duration, 5), 1, 50)
                        + ["--mode", "direct"], timeout=settings.duration + 60, log_dir=log_dir)
    return media_figures(media) if media else {"status": "failed"}


def parse_thread_cpu(text):
    """loadgen's "thread_cpu=NAME:SECONDS,..." as a list of (name, seconds)."""
    threads = []
    for item in str(text or "").split(","):
        name, separator, seconds = item.rpartition(":")
        if separator:
            try:
                threads.append((name, float(seconds)))
            except ValueError:
                pass
    return threads


def worker_shares(threads):
    """Each media worker's share of the media workers' CPU (ours names them media-N)."""
    workers = sorted((name, seconds) for name, seconds in threads if name.startswith("media-"))
    total = sum(seconds for _, seconds in workers)
    return [(name, seconds / total if total > 0 else 0.0, seconds) for name, seconds in workers]


def scale_search(run_step, steps, deadline):
    """Runs the scale steps in order until one loses >= SCALE_LOSS_LIMIT % (or fails, or the time
    budget is spent), then once the midpoint between the last good and the first bad step.
    Returns {calls: figures}."""
    results = {}
    previous = 0
    for calls in steps:
        if time.monotonic() > deadline:
            results["cut"] = calls    # the time budget ran out before this step
            break
        started = time.monotonic()
        figures = run_step(calls)
        print("    %.4f%% lost (%.0f s)" % (figures.get("loss_percent", float("nan")), time.monotonic() - started),
              flush=True)
        if not scale_step_passed(figures) and time.monotonic() < deadline:
            # once more before concluding: on a shared machine one burst from a neighbour
            # (a build, a VM starting) is enough to lose packets for a second
            again = run_step(calls)
            if again.get("loss_percent") is not None and (figures.get("loss_percent") is None
                                                          or again["loss_percent"] < figures["loss_percent"]):
                figures = again
        results[calls] = figures
        if not scale_step_passed(figures):
            middle = (previous + calls) // 2
            if previous and middle not in results and time.monotonic() < deadline:
                results[middle] = run_step(middle)
            break
        previous = calls
    return results


def scale_step_passed(figures):
    return (figures.get("status") == "ok" and figures.get("loss_percent") is not None
            and figures["loss_percent"] < SCALE_LOSS_LIMIT)


def step_results(results):
    return {calls: figures for calls, figures in results.items() if calls != "cut"}


def highest_passing(results):
    passing = [calls for calls, figures in step_results(results).items() if scale_step_passed(figures)]
    return max(passing) if passing else None


def scale_figures(media, calls):
    if not media:
        return {"status": "loadgen failed"}
    figures = media_figures(media)
    figures.setdefault("status", "ok")
    figures["workers"] = worker_shares(parse_thread_cpu(media.get("thread_cpu")))
    figures["calls"] = calls
    return figures


def scale_ng_relay(name, binary, settings, log_dir, deadline):
    """The scale search on ours or upstream: one process for every step (calls are deleted
    after each step)."""
    span = min(4 * max(settings.scale_steps) + 2000, 32000 - SCALE_PORT_MIN)
    process, ng_port, log_path = start_ng_relay(name + "-scale", binary, log_dir, SCALE_PORT_MIN, span)
    try:
        if not ng_answers(process, ng_port, 10):
            return {}
        pid = str(process.pid)

        def step(calls):
            print("  %s: %d calls ..." % (name, calls), flush=True)
            media = run_loadgen(media_arguments(settings, calls, settings.scale_duration, 1, 50)
                                + ["--mode", "ng", "--pid", pid, "--ng", "127.0.0.1:%d" % ng_port],
                                timeout=settings.scale_duration + 120, log_dir=log_dir)
            figures = scale_figures(media, calls)
            if not process.alive():
                figures["status"] = "exited (log: %s)" % log_path
            return figures
        return scale_search(step, settings.scale_steps, deadline)
    finally:
        process.stop()


def scale_forwarder(settings, log_dir, deadline):
    pairs = max(settings.scale_steps)
    for attempt in range(10):
        # 2 x pairs consecutive free ports: other programs on the machine often hold scattered
        # ports in 10000-32000, so below 10000 first
        low = attempt < 5 and 1100 + 2 * pairs <= 10000
        base = random.randint(1100, 10000 - 2 * pairs) if low else random.randint(10000, 32000 - 2 * pairs)
        process = start_forwarder(["127.0.0.1", str(base), str(pairs)], log_dir)
        if not process:
            continue
        try:
            def step(calls):
                print("  forwarder: %d calls ..." % calls, flush=True)
                media = run_loadgen(media_arguments(settings, calls, settings.scale_duration, 1, 50)
                                    + ["--mode", "fixed", "--relay-base", str(base), "--pid", str(process.pid)],
                                    timeout=settings.scale_duration + 120, log_dir=log_dir)
                return scale_figures(media, calls)
            return scale_search(step, settings.scale_steps, deadline)
        finally:
            process.stop()
    return {}


def print_scale(settings, scale):
    names = [name for name in ("ours", "forwarder", "upstream") if name in scale]
    if not names:
        return
    print()
    print("scale: N calls set up at once (16 ng requests in flight), then 50 packets/s each way per call "
          "for %g s; loss %%, and how the media workers shared ours' CPU" % settings.scale_duration)
    header = "%-8s" % "calls" + "".join("%12s" % name for name in names) + "   ours' workers (CPU share, seconds)"
    print(header)
    print("-" * len(header))
    all_calls = sorted(set(calls for name in names for calls in step_results(scale[name])))
    for calls in all_calls:
        line = "%-8d" % calls
        for name in names:
            figures = scale[name].get(calls)
            if figures is None:
                line += "%12s" % "-"
            elif figures.get("loss_percent") is None:
                line += "%12s" % "failed"
            else:
                line += "%12s" % ("%.4f" % figures["loss_percent"] + ("" if figures.get("status") == "ok" else "*"))
        ours = scale.get("ours", {}).get(calls)
        if ours and ours.get("workers"):
            line += "   " + ", ".join("%s %.0f%% (%.2f s)" % (worker, 100 * share, seconds)
                                      for worker, share, seconds in ours["workers"])
        print(line)
    print("(* the step did not complete: not all calls were set up, or the relay exited)")
    line = "highest call count with < %g%% loss (steps %s):" % (SCALE_LOSS_LIMIT,
                                                              ",".join(str(c) for c in settings.scale_steps))
    for name in names:
        highest = highest_passing(scale[name])
        line += " %s %s%s" % (name, "-" if highest is None else highest,
                               "+" if highest == max(settings.scale_steps) else "")
    print(line)
    for name in names:
        if "cut" in scale[name]:
            print("%s: the time budget ran out before the %d-call step" % (name, scale[name]["cut"]))


def scale_targets(settings, scale):
    """(label, verdict) pairs for the scale targets."""
    ours = scale.get("ours")
    at_2000 = ours.get(2000) if ours else None
    if at_2000 is None or at_2000.get("loss_percent") is None:
        busy = None
    else:
        shares = at_2000.get("workers", [])
        busy = (at_2000["loss_percent"] == 0 and len(shares) >= 2
                and all(share >= SCALE_BUSY_SHARE for _, share, _ in shares))
    highest = {name: highest_passing(results) for name, results in scale.items()}
    others = [name for name in ("forwarder", "upstream") if name in scale]
    ours_most = highest.get("ours") or 0
    if not ours or not others:
        most = None
    elif any(ours_most < (highest[name] or 0) for name in others):
        most = False
    elif any("cut" in scale[name] for name in others):
        most = None     # a relay the time budget cut short might have gone higher
    else:
        most = True
    return [("2000 calls at once: no loss, every worker >= %.0f%%" % (100 * SCALE_BUSY_SHARE), busy),
            ("most calls < %g%% loss >= upstream and forwarder" % SCALE_LOSS_LIMIT, most)]


HIGHER_IS_BETTER = ("ng_1", "ng_16")


def best_of(rounds):
    """Each figure's best value over the rounds (the least disturbed by the rest of the machine).

    None if the relay never ran. Loss is the exception: the worst round counts."""
    if not rounds:
        return None
    combined = {}
    for figures in rounds:
        for key, value in figures.items():
            if key not in combined:
                combined[key] = value
            elif key == "status":
                if value != "ok":
                    combined[key] = value
            elif isinstance(value, float) and isinstance(combined[key], float):
                if key in HIGHER_IS_BETTER:
                    combined[key] = max(combined[key], value)
                elif key in ("loss_percent", "misrouted", "send_errors") or key.endswith("_failures"):
                    combined[key] = max(combined[key], value)
                else:
                    combined[key] = min(combined[key], value)
    return combined


def format_value(value, digits):
    if value is None:
        return "-"
    return "%.*f" % (digits, value)


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def print_table(settings, ours, forwarder, upstream, direct, ours_missing_label, scale):
    def get(figures, key):
        return figures.get(key) if figures else None

    columns = ["ours", "forwarder", "upstream", "ours/fwd", "ours/up"]
    rows = [
        ("loss %% (%d calls)" % settings.calls, "loss_percent", 4),
        ("p50 one-way latency us", "p50_us", 0),
        ("p99 one-way latency us", "p99_us", 0),
        ("CPU ms / 1000 packets", "cpu_ms_per_1000", 2),
        ("CPU ms / 1000 pkts, pinned", "cpu_ms_per_1000_pinned", 2),
        ("RSS KB / call (%d calls)" % settings.rss_calls, "rss_per_call_kb", 1),
        ("ng cycles/s sequential", "ng_1", 0),
        ("ng cycles/s 16 in flight", "ng_16", 0),
        ("ng CPU us / cycle, sequential", "ng_1_cpu_us", 0),
        ("ng CPU us / cycle, 16 in fl.", "ng_16_cpu_us", 0),
    ]
    header = "%-28s" % "metric" + "".join("%12s" % c for c in columns)
    print()
    print(header)
    print("-" * len(header))
    for label, key, digits in rows:
        values = [get(ours, key), get(forwarder, key), get(upstream, key)]
        line = "%-28s" % label
        if ours is None:
            line += "%12s" % ours_missing_label
        else:
            line += "%12s" % format_value(values[0], digits)
        line += "%12s" % format_value(values[1], digits) + "%12s" % format_value(values[2], digits)
        line += "%12s" % format_value(ratio(values[0], values[1]), 2)
        line += "%12s" % format_value(ratio(values[0], values[2]), 2)
        print(line)
    print()
    print("one-way latency without any relay (loadgen floor): p50 %s us, p99 %s us" %
          (format_value(get(direct, "p50_us"), 0), format_value(get(direct, "p99_us"), 0)))
    for name, figures in (("ours", ours), ("forwarder", forwarder), ("upstream", upstream)):
        if figures is None:
            continue
        notes = [figures.get("status", "ok")]
        if "loadgen_cpu_share" in figures:
            notes.append("loadgen used %.0f%% of a core" % (100 * figures["loadgen_cpu_share"]))
        if "rss_note" in figures:
            notes.append(figures["rss_note"])
        for key, what in (("misrouted", "packets arrived on the wrong socket"), ("send_errors", "sendto errors")):
            if figures.get(key):
                notes.append("%d %s" % (figures[key], what))
        for inflight in (1, 16):
            failures = figures.get("ng_%d_failures" % inflight)
            if failures:
                notes.append("%d ng failures with %d in flight" % (failures, inflight))
        print("%-10s %s" % (name + ":", "; ".join(notes)))

    print_scale(settings, scale)
    print()
    print("targets:")

    def verdict(condition):
        if condition is None:
            return "SKIP"
        return "PASS" if condition else "FAIL"

    def check(value, limit, compare):
        return None if value is None or limit is None else compare(value, limit)

    ours_cpu, fwd_cpu = get(ours, "cpu_ms_per_1000_pinned"), get(forwarder, "cpu_ms_per_1000_pinned")
    targets = [
        ("CPU per packet <= 1.1x forwarder (pinned)",
         check(ours_cpu, None if fwd_cpu is None else 1.1 * fwd_cpu, float.__le__)),
        ("RSS per call <= 8 KB at %d calls" % settings.rss_calls,
         check(get(ours, "rss_per_call_kb"), 8.0, float.__le__)),
        ("ng cycles/s sequential >= 2x upstream",
         check(get(ours, "ng_1"), None if get(upstream, "ng_1") is None else 2 * get(upstream, "ng_1"), float.__ge__)),
        ("ng cycles/s 16 in flight >= 2x upstream",
         check(get(ours, "ng_16"), None if get(upstream, "ng_16") is None else 2 * get(upstream, "ng_16"), float.__ge__)),
        ("ng cycles/s 16 in flight >= 0.9x forwarder",
         check(get(ours, "ng_16"), None if get(forwarder, "ng_16") is None else 0.9 * get(forwarder, "ng_16"),
               float.__ge__)),
        ("p99 latency <= 200 us at %d calls" % settings.calls, check(get(ours, "p99_us"), 200.0, float.__le__)),
    ]
    ours_loss, fwd_loss = get(ours, "loss_percent"), get(forwarder, "loss_percent")
    if ours_loss is None or fwd_loss is None:
        loss_verdict = None
    elif fwd_loss > 0:
        loss_verdict = None      # the load is above the machine's ceiling: nothing to judge
    else:
        loss_verdict = ours_loss <= 0
    targets.append(("no loss below the ceiling", loss_verdict))
    targets += scale_targets(settings, scale)
    for label, condition in targets:
        print("  %-50s %s" % (label, verdict(condition)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("CALLS", 500)))
    parser.add_argument("--rss-calls", type=int, default=int(os.environ.get("RSS_CALLS", 2000)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 10)))
    parser.add_argument("--pinned-duration", type=float, default=float(os.environ.get("PINNED_DURATION", 5)),
                        help="seconds of the second media run, relay and loadgen on separate CPUs")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 2)),
                        help="measure every relay this many times, alternating, and keep each figure's best")
    parser.add_argument("--scale-steps", type=lambda text: [int(c) for c in text.split(",") if c],
                        default=[int(c) for c in os.environ.get("SCALE_STEPS", "1000,2000,3000,4000").split(",") if c],
                        help="call counts of the scale search, ascending (empty: no scale run)")
    parser.add_argument("--scale-duration", type=float, default=float(os.environ.get("SCALE_DURATION", 3)),
                        help="measured seconds per scale step")
    parser.add_argument("--scale-only", action="store_true", help="run only the scale search")
    parser.add_argument("--ours", default=OUR_DAEMON, help="our daemon's binary (default: %(default)s)")
    # e.g. --ours-args "--homer=127.0.0.1:9 --mos=LQ": a feature's cost, against a run without
    parser.add_argument("--ours-args", default=os.environ.get("OURS_ARGS", ""),
                        help="more options for our daemon (one string, split at spaces)")
    parser.add_argument("--only", choices=["ours", "forwarder", "upstream"], action="append",
                        help="run only these relays (repeatable)")
    settings = parser.parse_args()
    for tool in (LOADGEN, FORWARDER):
        if not os.access(tool, os.X_OK):
            sys.exit("%s is not built: run make -C %s" % (tool, HERE))
    # Every call needs two loadgen sockets and four relay ports: raise the descriptor limit
    # (children inherit it) as far as the hard limit allows.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    selected = settings.only or ["ours", "forwarder", "upstream"]
    log_dir = tempfile.mkdtemp(prefix="rtpengine-bench-")
    print("benchmark: %d calls x 2 directions x 50 packets/s for %g s; RSS at %d calls; best of %d rounds; "
          "logs in %s" % (settings.calls, settings.duration, settings.rss_calls, settings.rounds, log_dir), flush=True)

    busy = cpu_busy_fraction(1.0)
    if busy > 0.10:
        print("warning: the machine was %.0f%% busy before the benchmark started: latency and CPU "
              "figures will be noisy" % (100 * busy), flush=True)
    runs = {"ours": [], "forwarder": [], "upstream": []}
    for round_number in range(1, 0 if settings.scale_only else settings.rounds + 1):
        print("round %d of %d" % (round_number, settings.rounds), flush=True)
        if "ours" in selected:
            if os.access(settings.ours, os.X_OK):
                print("(a) our daemon %s ..." % settings.ours, flush=True)
                runs["ours"].append(bench_ng_relay("ours", settings.ours, settings, log_dir))
            else:
                print("(a) our daemon: not built", flush=True)
        if "forwarder" in selected:
            print("(b) minimal forwarder ...", flush=True)
            figures = bench_forwarder(settings, log_dir)
            figures.update(bench_forwarder_ng(log_dir))
            runs["forwarder"].append(figures)
        if "upstream" in selected:
            if os.access(UPSTREAM_DAEMON, os.X_OK):
                print("(c) upstream %s ..." % UPSTREAM_DAEMON, flush=True)
                runs["upstream"].append(bench_ng_relay("upstream", UPSTREAM_DAEMON, settings, log_dir))
            else:
                print("(c) upstream: not installed (make deps-bench)", flush=True)
    scale = {}
    if settings.scale_steps:
        print("(s) scale: calls set up in a burst, then media; steps %s ..." %
              ",".join(str(c) for c in settings.scale_steps), flush=True)
        # each relay gets an equal share of what is left of the time budget, so one slow relay
        # cannot starve the others
        budget_end = time.monotonic() + SCALE_BUDGET_SECONDS
        searches = []
        if "ours" in selected and os.access(settings.ours, os.X_OK):
            searches.append(("ours", lambda deadline: scale_ng_relay("ours", settings.ours, settings, log_dir, deadline)))
        if "forwarder" in selected:
            searches.append(("forwarder", lambda deadline: scale_forwarder(settings, log_dir, deadline)))
        if "upstream" in selected and os.access(UPSTREAM_DAEMON, os.X_OK):
            searches.append(("upstream", lambda deadline: scale_ng_relay("upstream", UPSTREAM_DAEMON, settings,
                                                                         log_dir, deadline)))
        for position, (name, search) in enumerate(searches):
            now = time.monotonic()
            scale[name] = search(now + max(budget_end - now, 0) / (len(searches) - position))
    direct = None
    if not settings.scale_only:
        print("(d) loadgen floor, no relay ...", flush=True)
        direct = bench_direct(settings, log_dir)
    if "ours" not in selected:
        ours_missing_label = "skipped"
    elif not os.access(settings.ours, os.X_OK):
        ours_missing_label = "not built"
    else:
        ours_missing_label = "-"
    print_table(settings, best_of(runs["ours"]), best_of(runs["forwarder"]), best_of(runs["upstream"]), direct,
                ours_missing_label, scale)

if __name__ == "__main__":
    main()
