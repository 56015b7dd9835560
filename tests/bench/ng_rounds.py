#!/usr/bin/python3
"""ng cycles (offer, answer, delete) of several daemon binaries and the forwarder's ng side in
alternating rounds: each round starts every relay afresh, one after the other (the order
reversed every other round, so that neither is always first after a pause), runs `loadgen ng`
against it and reads the relay's user and system CPU (all threads, /proc/PID/task/*/stat)
around it. Prints each round and the medians, min and max, and each binary's cycles/s over the
forwarder's of the same round. On a shared machine only ratios within one round, and medians
over many rounds, mean anything: the load average is printed before and after.

    /usr/bin/python3 tests/bench/ng_rounds.py --rounds 8 --inflight 16 daemon/rtpengine /tmp/old/rtpengine
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

from ng import NgClient  # noqa: E402
from ports import free_udp_port  # noqa: E402
from process import ManagedProcess, wait_until  # noqa: E402

LOADGEN = os.path.join(HERE, "loadgen")
FORWARDER = os.path.join(HERE, "forwarder")
PORT_SPAN = 12000
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """(user, system) seconds of all of PID's threads."""
    user = system = 0
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, task)) as stat:
                text = stat.read()
        except OSError:
            continue   # a thread that ended meanwhile
        fields = text[text.rindex(")") + 2:].split()
        user += int(fields[11])
        system += int(fields[12])
    return user / TICK, system / TICK


def start(name, log_dir):
    """Starts a relay (a daemon binary, or "forwarder"); returns (process, ng port) once it
    answers, else (None, None)."""
    ng_port = free_udp_port()
    port_min = random.randint(10000, 32000 - PORT_SPAN) & ~1
    if name == "forwarder":
        argv = [FORWARDER, "--ng", "127.0.0.1", str(ng_port), str(port_min), str(port_min + PORT_SPAN - 1)]
    else:
        argv = [name, "--config-file=none", "--table=-1", "--foreground", "--log-level=3", "--log-stderr",
                "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % ng_port, "--port-min=%d" % port_min,
                "--port-max=%d" % (port_min + PORT_SPAN - 1), "--delete-delay=0", "--endpoint-learning=immediate"]
    process = ManagedProcess(argv, os.path.join(log_dir, "%s.log" % os.path.basename(name)), name=name)
    if name == "forwarder":
        ready = process.wait_ready(lambda: "ready\n" in process.log_text(), 10)
    else:
        client = NgClient(ng_port)
        ready = wait_until(lambda: client.ping(), timeout=10)
        client.close()
    if not ready:
        process.stop()
        return None, None
    return process, ng_port


def one_run(name, seconds, inflight, log_dir):
    """(cycles/s, user us per cycle, system us per cycle) or None."""
    process, ng_port = start(name, log_dir)
    if not process:
        return None
    try:
        user_before, system_before = cpu_seconds(process.pid)
        output = subprocess.run([LOADGEN, "ng", "--ng", "127.0.0.1:%d" % ng_port, "--duration", str(seconds),
                                 "--inflight", str(inflight)], capture_output=True, text=True, timeout=60).stdout
        user_after, system_after = cpu_seconds(process.pid)
    finally:
        process.stop()
    figures = dict(line.split("=", 1) for line in output.split() if "=" in line)
    cycles = int(figures.get("cycles", 0))
    if cycles <= 0:
        return None
    return (float(figures["cycles_per_second"]), (user_after - user_before) * 1e6 / cycles,
            (system_after - system_before) * 1e6 / cycles)


def load_average():
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--inflight", type=int, default=16)
    parser.add_argument("binaries", nargs="+")
    settings = parser.parse_args()
    names = settings.binaries + ["forwarder"]
    results = {name: [] for name in names}
    ratios = {name: [] for name in settings.binaries}
    log_dir = tempfile.mkdtemp(prefix="ng-rounds-")
    labels = {name: "%d:%s" % (i, os.path.basename(name)) for i, name in enumerate(names)}
    print("logs in %s; load average before: %s" % (log_dir, load_average()), flush=True)
    for round_number in range(settings.rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        row = {name: one_run(name, settings.seconds, settings.inflight, log_dir) for name in order}
        parts = []
        for name in names:
            if row[name]:
                results[name].append(row[name])
                parts.append("%s %.0f/s user %.1f sys %.1f us" % ((labels[name],) + row[name]))
        for name in settings.binaries:
            if row[name] and row["forwarder"]:
                ratios[name].append(row[name][0] / row["forwarder"][0])
        print("round %d: %s" % (round_number, "; ".join(parts)), flush=True)
    print("load average after: %s" % load_average())
    for name in names:
        runs = results[name]
        if not runs:
            print("%s: no run completed" % labels[name])
            continue
        rates = [run[0] for run in runs]
        user = statistics.median(run[1] for run in runs)
        system = statistics.median(run[2] for run in runs)
        print("%s: %d runs, cycles/s median %.0f (min %.0f, max %.0f); CPU per cycle median user %.1f + "
              "sys %.1f = %.1f us" % (labels[name], len(runs), statistics.median(rates), min(rates), max(rates),
                                      user, system, user + system))
    for name in settings.binaries:
        if ratios[name]:
            print("%s / forwarder cycles/s, per round: median %.2f (min %.2f, max %.2f)" % (
                labels[name], statistics.median(ratios[name]), min(ratios[name]), max(ratios[name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
