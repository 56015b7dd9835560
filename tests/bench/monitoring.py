#!/usr/bin/python3
"""Monitoring benchmark (`make bench-monitoring`): our daemon's CPU per relayed packet with RTCP
processing + MOS + Homer export on versus off (target: at most 1.1x), at 500 calls.

Every run has the same calls (loadgen: plain RTP/AVP PCMU with a=rtcp-mux, 50 RTP packets/s
each way) with the relay on the first CPU and loadgen on the second, as run.py pins them.
Three configurations, alternating round by round:

  off    RTP only; the relay has no Homer
  rtcp   as off, and every socket also sends RTCP every 5 s (an SR with a reception report
         echoing the other side's last SR, and SDES): the relay parses each one and, once
         both legs' round trips are known, takes a MOS sample per report
  on     as rtcp, and --homer to a UDP sink in this script: each RTCP packet also becomes a
         HEP3 message with the report as JSON

CPU per packet counts every packet the relay forwarded in the measured interval (RTP and
RTCP). The ratio is on / off, from the medians of the rounds (the machine is shared: single
runs vary by 10-20%). The exit status does not depend on the figures."""
import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402
from ng import NgClient  # noqa: E402

TARGET = 1.1
RTCP_INTERVAL = 5.0
CONFIGURATIONS = ("off", "rtcp", "on")


class HomerSink:
    """Counts the HEP datagrams the relay sends (a thread reading a loopback UDP socket)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.hep = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.stopping:
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            if data[:4] == b"HEP3":
                self.hep += 1

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


def relay_statistics(ng_port):
    client = NgClient(ng_port, reply_timeout=2.0)
    try:
        return client.request({"command": "statistics"}).get("statistics", {})
    except (TimeoutError, ValueError, OSError):
        return {}
    finally:
        client.close()


def measure(settings, log_dir, configuration, sink):
    """One run: returns (us CPU per packet, remark) or (None, why)."""
    extra = ["--homer=127.0.0.1:%d" % sink.port] if configuration == "on" else []
    process, ng_port, _ = run.start_ng_relay("ours-monitoring-" + configuration, settings.ours, log_dir,
                                             random.randint(10000, 32000 - run.RELAY_PORT_SPAN),
                                             run.RELAY_PORT_SPAN, extra)
    try:
        if not run.ng_answers(process, ng_port, 10):
            return None, "did not start: %s" % run.tail_of(process)
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2:
            return None, "one CPU only"
        hep_before = sink.hep
        arguments = ["media", "--calls", str(settings.calls), "--duration", str(settings.duration),
                     "--warmup", str(settings.warmup), "--rate", "50", "--mode", "ng", "--pid", str(process.pid),
                     "--ng", "127.0.0.1:%d" % ng_port, "--rtcp-mux", "yes"]
        if configuration != "off":
            arguments += ["--rtcp-interval", str(RTCP_INTERVAL)]
        run.pin_threads(process.pid, {available[0]})
        try:
            media = run.run_loadgen(arguments, timeout=settings.warmup + settings.duration + 120, log_dir=log_dir,
                                    cpus={available[1]})
        finally:
            run.pin_threads(process.pid, set(available))
        if not media or media.get("sent", 0) <= 0 or "relay_cpu_seconds" not in media:
            return None, "loadgen failed"
        packets = media["sent"] + media.get("rtcp_sent", 0)
        figures = relay_statistics(ng_port)
        totals = figures.get("totalstatistics", {})
        mos = figures.get("mos", {})
        remark = "loss %.3f%%, RTCP sent %d received %d, parsed %s, MOS averages %s (%s), HEP %d" % (
            media.get("loss_percent", 0), media.get("rtcp_sent", 0), media.get("rtcp_received", 0),
            totals.get("rtcpparsed", "?"), mos.get("mos_samples_total", "?"), mos.get("mos_average", "?"),
            sink.hep - hep_before)
        return media["relay_cpu_seconds"] * 1e6 / packets, remark
    finally:
        process.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("CALLS", 500)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 10)))
    parser.add_argument("--warmup", type=float, default=6.0,
                        help="seconds before measuring: every socket has sent an SR by then")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    parser.add_argument("--ours", default=run.OUR_DAEMON)
    settings = parser.parse_args()
    if not os.path.exists(settings.ours) or not os.path.exists(run.LOADGEN):
        print("SKIP: %s or %s not built" % (settings.ours, run.LOADGEN))
        return 0
    log_dir = tempfile.mkdtemp(prefix="bench-monitoring-")
    load = os.getloadavg()
    print("logs in %s; %d calls, 50 RTP packets/s each way, RTCP every %.0f s per stream (rtcp, on); "
          "%.0f s warm-up, %.0f s measured per run, %d rounds; load average %.1f %.1f %.1f (shared machine)" %
          (log_dir, settings.calls, RTCP_INTERVAL, settings.warmup, settings.duration, settings.rounds, *load))
    sink = HomerSink()
    figures = {name: [] for name in CONFIGURATIONS}
    try:
        for round_number in range(settings.rounds):
            # alternate the order too: a drift of the machine's speed falls on each alike
            order = CONFIGURATIONS if round_number % 2 == 0 else tuple(reversed(CONFIGURATIONS))
            for configuration in order:
                value, remark = measure(settings, log_dir, configuration, sink)
                print("  round %d %-4s: %s us CPU per packet  (%s)" %
                      (round_number + 1, configuration, "%.2f" % value if value is not None else "-", remark))
                sys.stdout.flush()
                if value is not None:
                    figures[configuration].append(value)
    finally:
        sink.close()
    if not all(figures[name] for name in CONFIGURATIONS):
        print("SKIP: no figure for every configuration (one CPU only, or a run failed)")
        return 0
    medians = {name: statistics.median(figures[name]) for name in CONFIGURATIONS}
    best = {name: min(figures[name]) for name in CONFIGURATIONS}
    ratio = medians["on"] / medians["off"]
    print("medians: off %.2f, rtcp %.2f, on %.2f us per packet; rtcp/off %.2fx, on/off %.2fx  %s (target <= %.1fx); "
          "best of each: on/off %.2fx" % (medians["off"], medians["rtcp"], medians["on"],
                                          medians["rtcp"] / medians["off"], ratio,
                                          "PASS" if ratio <= TARGET else "FAIL", TARGET, best["on"] / best["off"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
