#!/usr/bin/python3
"""Media latency under signalling load (the last step of `make -C tests/bench run`).

Question: does call set-up on the control thread slow down the media workers? Signalling
builds its state outside the call's lock and publishes it under a short one (see
daemon/ng_offer_answer.c), so the workers' added latency should not change when offers
arrive while media flows.

One daemon, one run: loadgen relays CALLS calls (50 packets/s per direction each) for
DURATION seconds, alternately alone ("quiet") and while a real ng client drives RATE
offer+answer+delete cycles per second with fresh call-ids plus, in each cycle, a `query` of
one of the relaying calls (which takes that call's lock). Each round measures both, in
alternating order; the one-way latency percentiles are loadgen's (the time the relay adds:
kernel receive timestamp minus send time, see README.md). Reuses run.py's helpers; the daemon
and loadgen run through tests/lib's process runner, ng requests go through its NgClient.

Pinned as run.py's pinned figure: every thread of the daemon on the first CPU, loadgen and this
script (its ng client thread included, at idle priority) on the second. Unpinned, the Python client's own CPU time
(several times the daemon's per request) lands on the workers' CPU half of the time, and the
figure measures the load generators rather than the daemon.
"""
import argparse
import itertools
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "lib"))

import run as bench  # noqa: E402
from ng import NgClient  # noqa: E402

REPLY_TIMEOUT = 1.0         # seconds before an ng request is sent again (same cookie)
REPLY_ATTEMPTS = 4
HISTOGRAM_CEILING_US = 199999  # loadgen's last latency bucket: everything from 200 ms on


def sdp_for(port, session):
    return ("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 8\r\na=sendrecv\r\n" % (session, port))


# Call-ids must be unique for the daemon's lifetime, not per client (the same holds for cookies,
# which NgClient draws at random: the daemon answers a repeated cookie from its reply cache
# (30 s) without running the request again).
UNIQUE_SERIALS = itertools.count(1)


def ng_client(port):
    """An ng client on 127.0.0.1: a lost request is sent again with its cookie, REPLY_ATTEMPTS
    times REPLY_TIMEOUT s at most."""
    return NgClient(port, reply_timeout=REPLY_TIMEOUT, attempts=REPLY_ATTEMPTS)


def request(client, message):
    """The reply dictionary, or None when none came (a lost reply counts as a failure)."""
    try:
        return client.request(message)
    except (TimeoutError, ValueError, OSError):
        # ValueError: a reply the strict decoder refused; OSError: ICMP port unreachable (the
        # daemon is gone)
        return None


class SignallingLoad(threading.Thread):
    """Offer + answer + delete cycles, fresh call-id each, paced at `rate` cycles per second,
    each followed by a query of one live call (when there are any). Stops when told to, or
    after max_seconds; never runs more than rate * max_seconds cycles."""

    def __init__(self, ng_port, rate, max_seconds, live_call_ids):
        super().__init__(daemon=True)
        self.ng_port, self.rate, self.max_seconds = ng_port, rate, max_seconds
        self.live_call_ids = live_call_ids
        self.stop_event = threading.Event()
        self.cycles = self.failures = self.queries = 0
        self.offer_round_trips = []
        self.elapsed = 0.0

    def stop(self):
        self.stop_event.set()

    def cycle(self, client, serial):
        call_id = "signalling-%d-%d" % (os.getpid(), next(UNIQUE_SERIALS))
        started = time.monotonic()
        offer = request(client, {"command": "offer", "call-id": call_id, "from-tag": "caller",
                                 "sdp": sdp_for(30000 + 2 * (serial % 10000), serial)})
        self.offer_round_trips.append(time.monotonic() - started)
        answer = None
        if offer and offer.get("result") == "ok":
            answer = request(client, {"command": "answer", "call-id": call_id, "from-tag": "caller",
                                      "to-tag": "callee", "sdp": sdp_for(50000 + 2 * (serial % 5000), serial)})
        deleted = request(client, {"command": "delete", "call-id": call_id, "from-tag": "caller"})
        if not (answer and answer.get("result") == "ok" and deleted and deleted.get("result") == "ok"):
            self.failures += 1
        if self.live_call_ids:
            live = self.live_call_ids[serial % len(self.live_call_ids)]
            reply = request(client, {"command": "query", "call-id": live})
            if reply and reply.get("result") == "ok":
                self.queries += 1

    def run(self):
        # SCHED_IDLE (this thread only): the client shares loadgen's CPU and must never delay
        # loadgen's sender between its timestamp and its sendto, which would be counted as
        # latency the relay added. The CPU has ample idle time for 200 cycles/s.
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError):
            pass
        client = ng_client(self.ng_port)
        period = 1.0 / self.rate
        limit = int(self.rate * self.max_seconds)
        start = time.monotonic()
        try:
            for serial in range(limit):
                if self.stop_event.is_set():
                    break
                # on schedule: cycle k starts at start + k * period (a late cycle is not made up twice)
                delay = start + serial * period - time.monotonic()
                if delay > 0 and self.stop_event.wait(delay):
                    break
                self.cycle(client, serial)
                self.cycles += 1
        finally:
            self.elapsed = time.monotonic() - start
            client.close()


def live_calls(ng_port, limit):
    """Call-ids of up to `limit` calls the daemon holds (its `list` command)."""
    client = ng_client(ng_port)
    try:
        reply = request(client, {"command": "list", "limit": limit})
    finally:
        client.close()
    calls = reply.get("calls", []) if reply else []
    calls = [c.decode() if isinstance(c, bytes) else c for c in calls]
    return [c for c in calls if not c.startswith("signalling-")]


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_times():
    """(total, idle) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]


def measure(settings, ng_port, pid, with_signalling, log_dir, load_cpus):
    """One loadgen media run; with_signalling: the signalling thread runs throughout."""
    total_before, idle_before = cpu_times()
    result = _measure(settings, ng_port, pid, with_signalling, log_dir, load_cpus)
    total_after, idle_after = cpu_times()
    # the whole machine, this run included: how much the neighbours may have disturbed it
    result["busy_percent"] = 100.0 * (1 - (idle_after - idle_before) / max(total_after - total_before, 1))
    return result


def _measure(settings, ng_port, pid, with_signalling, log_dir, load_cpus):
    arguments = bench.media_arguments(settings, settings.calls, settings.duration, 1, 50) + [
        "--mode", "ng", "--pid", str(pid), "--ng", "127.0.0.1:%d" % ng_port]
    load = None
    result = {"signalling": with_signalling}
    if with_signalling:
        # loadgen sets its calls up first; the queries pick whichever calls exist by then
        load = SignallingLoad(ng_port, settings.rate, settings.duration + 30, [])
        holder = {}
        runner = threading.Thread(target=lambda: holder.update(
            media=bench.run_loadgen(arguments, timeout=settings.duration + 120, log_dir=log_dir,
                                 cpus=load_cpus)), daemon=True)
        runner.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and runner.is_alive():
            ids = live_calls(ng_port, 50)
            if len(ids) >= min(settings.calls, 50):
                load.live_call_ids.extend(ids)
                break
            time.sleep(0.05)
        load.start()
        runner.join(timeout=settings.duration + 130)
        load.stop()
        load.join(timeout=10)
        media = holder.get("media")
        result.update(cycles=load.cycles, failures=load.failures, queries=load.queries,
                      rate=load.cycles / load.elapsed if load.elapsed else 0.0,
                      offer_p50_ms=1000 * (percentile(load.offer_round_trips, 0.5) or 0),
                      offer_p99_ms=1000 * (percentile(load.offer_round_trips, 0.99) or 0))
    else:
        media = bench.run_loadgen(arguments, timeout=settings.duration + 120, log_dir=log_dir, cpus=load_cpus)
    if media:
        result.update(bench.media_figures(media))
    return result


def describe(result):
    text = "p50 %5s us  p99 %6s us  loss %s%%  machine %3.0f%% busy" % (
        bench.format_value(result.get("p50_us"), 0), bench.format_value(result.get("p99_us"), 0),
        bench.format_value(result.get("loss_percent"), 4), result.get("busy_percent", 0))
    if result["signalling"]:
        text += "  | %d cycles at %.0f/s, %d failed, %d queries, offer round trip p50 %.2f ms p99 %.2f ms" % (
            result.get("cycles", 0), result.get("rate", 0), result.get("failures", 0), result.get("queries", 0),
            result.get("offer_p50_ms", 0), result.get("offer_p99_ms", 0))
    if result.get("status", "ok") != "ok":
        text += "  (%s)" % result["status"]
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("CALLS", 500)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 10)))
    parser.add_argument("--rate", type=float, default=200.0, help="offers per second (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 2)))
    parser.add_argument("--ours", default=bench.OUR_DAEMON, help="daemon binary (default: %(default)s)")
    settings = parser.parse_args()
    if not os.access(bench.LOADGEN, os.X_OK):
        sys.exit("%s is not built: run make -C %s" % (bench.LOADGEN, HERE))
    if not os.access(settings.ours, os.X_OK):
        sys.exit("%s is not built" % settings.ours)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    log_dir = tempfile.mkdtemp(prefix="rtpengine-signalling-")
    print("signalling load: %d calls relaying for %g s per measurement, %g offer+answer+delete+query cycles/s "
          "alongside; %d rounds; daemon %s; logs in %s" % (settings.calls, settings.duration, settings.rate,
                                                         settings.rounds, settings.ours, log_dir), flush=True)
    busy = bench.cpu_busy_fraction(1.0)
    if busy > 0.10:
        print("warning: the machine was %.0f%% busy before the run: latency figures will be noisy" % (100 * busy),
              flush=True)
    # the same options as run.py's relays
    process, ng_port, log_path = bench.start_ng_relay("signalling-daemon", settings.ours, log_dir,
                                                      random.randint(10000, 32000 - bench.RELAY_PORT_SPAN),
                                                      bench.RELAY_PORT_SPAN)
    results = []
    try:
        if not bench.ng_answers(process, ng_port, 10):
            sys.exit("daemon did not answer ng ping; log ends: %s" % bench.tail_of(process))
        available = sorted(os.sched_getaffinity(0))
        load_cpus = None
        if len(available) >= 2:
            load_cpus = {available[1]}
            bench.pin_threads(process.pid, {available[0]})
            # this thread, and the signalling threads it starts from now on, with loadgen
            os.sched_setaffinity(0, load_cpus)
            print("pinned: the daemon on CPU %d, loadgen and the ng client on CPU %d" % (available[0], available[1]),
                  flush=True)
        for round_number in range(1, settings.rounds + 1):
            # alternate which comes first, so a drift in the machine's load hits both alike
            order = (False, True) if round_number % 2 else (True, False)
            for with_signalling in order:
                result = measure(settings, ng_port, process.pid, with_signalling, log_dir, load_cpus)
                result["round"] = round_number
                results.append(result)
                print("round %d %-10s %s" % (round_number, "signalling" if with_signalling else "quiet",
                                             describe(result)), flush=True)
        if not process.alive():
            print("daemon exited during the run (log: %s)" % log_path)
    finally:
        process.stop()

    quiet = [r["p99_us"] for r in results if not r["signalling"] and "p99_us" in r]
    loaded = [r["p99_us"] for r in results if r["signalling"] and "p99_us" in r]
    print()
    if quiet and loaded:
        print("p99 added latency, quiet:      %s us (median %.0f)" % (
            ", ".join("%.0f" % v for v in quiet), statistics.median(quiet)))
        print("p99 added latency, signalling: %s us (median %.0f)" % (
            ", ".join("%.0f" % v for v in loaded), statistics.median(loaded)))
        spread = max(quiet) - min(quiet)
        difference = statistics.median(loaded) - statistics.median(quiet)
        print("difference of medians %+.0f us; spread of the quiet runs alone %.0f us" % (difference, spread))
        # as run.py: the best round is the one the rest of the machine disturbed least
        print("best round: quiet %.0f us, signalling %.0f us (%+.0f us)" % (
            min(quiet), min(loaded), min(loaded) - min(quiet)))
        # "unchanged within noise": the medians differ by no more than the quiet runs differ
        # among themselves. A p99 at loadgen's histogram ceiling is no figure at all.
        ceiling = HISTOGRAM_CEILING_US
        if len(quiet) < 2 or max(quiet + loaded) >= ceiling:
            verdict = "SKIP (fewer than 2 rounds, or a p99 at the %d us ceiling: machine too busy)" % ceiling
        elif spread > statistics.median(quiet):
            # a spread that large would let any difference pass
            verdict = "SKIP (the quiet runs alone vary by more than their median: too noisy to judge)"
        else:
            verdict = "PASS" if abs(difference) <= spread else "FAIL"
        print("target: p99 with signalling within the quiet runs' spread: %s" % verdict)
        print("(reported, not enforced: compare figures only within one run)")
    else:
        print("no latency figures (see the log: %s)" % log_path)


if __name__ == "__main__":
    main()
