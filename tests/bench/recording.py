#!/usr/bin/python3
"""Recording benchmark (`make bench-recording`): our daemon's CPU per relayed packet with pcap
call recording on versus off (target: at most 1.3x).

Starts daemon/rtpengine with --recording-dir (pcap method) in a temporary directory, and runs
the same media load as `make bench` twice per round, pinned as run.py pins it (relay on the
first CPU, loadgen on the second): once with plain offers, once with offers that carry
"record call: yes" (loadgen --record yes). Rounds alternate; the best figure of each kind is
kept. The exit status does not depend on the figures."""
import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402

TARGET = 1.3


def measure(settings, log_dir, spool, record):
    name = "ours-recording-%s" % ("on" if record else "off")
    # both runs with --recording-dir: only "record call" differs
    process, ng_port, log_path = run.start_ng_relay(name, settings.ours, log_dir,
                                                    random.randint(10000, 32000 - run.RELAY_PORT_SPAN),
                                                    run.RELAY_PORT_SPAN,
                                                    ["--recording-dir=%s" % spool, "--recording-method=pcap"])
    try:
        if not run.ng_answers(process, ng_port, 10):
            print("  %s did not start: %s" % (name, run.tail_of(process)), file=sys.stderr)
            return None
        arguments = ["--mode", "ng", "--pid", str(process.pid), "--ng", "127.0.0.1:%d" % ng_port]
        if record:
            arguments += ["--record", "yes"]
        return run.pinned_cpu_per_1000(settings, process.pid, arguments, log_dir)
    finally:
        process.stop()
        # the next run starts from an empty spool (500 calls write about 9 MB per second)
        shutil.rmtree(spool, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("CALLS", 500)))
    parser.add_argument("--pinned-duration", type=float, default=float(os.environ.get("DURATION", 5)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    parser.add_argument("--ours", default=run.OUR_DAEMON)
    settings = parser.parse_args()
    if not os.path.exists(settings.ours) or not os.path.exists(run.LOADGEN):
        print("SKIP: %s or %s not built" % (settings.ours, run.LOADGEN))
        return 0
    log_dir = tempfile.mkdtemp(prefix="bench-recording-")
    spool = os.path.join(log_dir, "spool")
    print("logs in %s; %d calls, 50 packets/s each way, %.0f s per run, %d rounds" %
          (log_dir, settings.calls, settings.pinned_duration, settings.rounds))
    figures = {False: [], True: []}
    for round_number in range(settings.rounds):
        for record in (False, True):
            value = measure(settings, log_dir, spool, record)
            print("  round %d recording %-3s: %s us CPU per packet" %
                  (round_number + 1, "on" if record else "off", "%.2f" % value if value is not None else "-"))
            if value is not None:
                figures[record].append(value)
    if not figures[False] or not figures[True]:
        print("SKIP: no figure (one CPU only, or a run failed)")
        return 0
    off, on = min(figures[False]), min(figures[True])
    ratio = on / off
    median_ratio = statistics.median(figures[True]) / statistics.median(figures[False])
    print("recording off %.2f us, on %.2f us per packet (best of each): %.2fx  %s (target <= %.1fx); "
          "medians: %.2fx" % (off, on, ratio, "PASS" if ratio <= TARGET else "FAIL", TARGET, median_ratio))
    shutil.rmtree(spool, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
