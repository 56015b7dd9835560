#!/usr/bin/python3
"""Redis high availability benchmark (`make -C tests/bench redis`): what writing every call
change to Redis costs the ng path, and how long a standby takes to restore 10,000 calls.

1. ng cycles/s (offer, answer, delete; loadgen's ng mode, 1 and 16 in flight) of our daemon
   without and with --redis-write, alternating, ROUNDS times each; the median of each side's
   rounds counts (the shared machine's load moves single rounds by +-20 %), and the ratio of
   each alternating pair is printed too. Target: with Redis >= 0.9x without.
2. Daemon CPU per call for calls that stay up (each one written): the write path's own cost.
3. Restore: 10,000 two-sided calls written into a fresh database in the current schema (the
   caller side on 127.0.0.1, the callee side on 127.0.0.4, 20,000 ports each), then the daemon
   started with --redis: the time from start until it answers ng with every call restored
   (its own log line gives the restore alone). Target: < 2 s. Four sockets per call: the
   benchmark raises RLIMIT_NOFILE (soft and, as root, hard: up to /proc/sys/fs/nr_open) before
   it starts the daemon, which inherits it.

A redis-server of its own on a free loopback port, no persistence; every program through
tests/lib's process runner, logs under the directory the first line names.
"""
import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (the benchmark runner's helpers: loadgen, ng cycles, logs)
from run import ManagedProcess, NgClient, free_udp_port, log_path_for, ng_cycles  # noqa: E402

RESTORE_CALLS = 10000
RESTORE_PORT_MIN = 10000          # below the kernel's ephemeral range


def free_tcp_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def redis_pipeline(port, commands):
    """Sends commands in one go, reads as many replies (simple ones: +OK, :N)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"".join(resp(*command) for command in commands))
        replies, buffer = 0, b""
        while replies < len(commands):
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            buffer += chunk
            replies = buffer.count(b"\r\n")


def start_redis(log_dir):
    port = free_tcp_port()
    process = ManagedProcess(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", log_dir], log_path_for(log_dir, "redis"),
                             name="redis-server")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            redis_pipeline(port, [("PING",)])
            return process, port
        except OSError:
            time.sleep(0.05)
    process.stop()
    raise RuntimeError("redis-server did not start")


def daemon_command(ng_port, port_min, port_max, extra):
    return [run.OUR_DAEMON, "--config-file=none", "--table=-1", "--foreground", "--log-level=5", "--log-stderr",
            "--listen-ng=127.0.0.1:%d" % ng_port, "--port-min=%d" % port_min, "--port-max=%d" % port_max,
            "--delete-delay=0", "--endpoint-learning=immediate"] + extra


def ng_round(log_dir, extra, name):
    ng_port = free_udp_port()
    port_min = 10000
    process = ManagedProcess(daemon_command(ng_port, port_min, port_min + run.RELAY_PORT_SPAN - 1,
                                            ["--interface=127.0.0.1"] + extra),
                             log_path_for(log_dir, name), name=name)
    try:
        if not run.ng_answers(process, ng_port, 10):
            print("  %s did not start: %s" % (name, process.log_text()[-500:]), file=sys.stderr)
            return {}
        return ng_cycles(["--ng", "127.0.0.1:%d" % ng_port, "--pid", str(process.pid)], log_dir)
    finally:
        process.stop()


def daemon_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sdp(address, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0 8\r\n"
            "a=sendrecv\r\n" % (address, address, port))


def written_calls_round(log_dir, extra, name, calls):
    """Daemon CPU per call for offer + answer of calls that stay up (so each is written, once the
    coalescing delay has passed): the write path's cost, which the ng cycle figure does not see
    (its calls end within the 10 ms delay, before a first write)."""
    ng_port = free_udp_port()
    process = ManagedProcess(daemon_command(ng_port, 10000, 10000 + run.RELAY_PORT_SPAN - 1,
                                            ["--interface=127.0.0.1"] + extra),
                             log_path_for(log_dir, name), name=name)
    try:
        if not run.ng_answers(process, ng_port, 10):
            return None
        client = NgClient(ng_port, reply_timeout=1.0)
        before = daemon_cpu_seconds(process.pid)
        for index in range(calls):
            call_id = "written-%d" % index
            client.request({"command": "offer", "call-id": call_id, "from-tag": "a",
                            "sdp": sdp("127.0.0.2", 20000 + 2 * index)})
            client.request({"command": "answer", "call-id": call_id, "from-tag": "a", "to-tag": "b",
                            "sdp": sdp("127.0.0.3", 20000 + 2 * index)})
        time.sleep(0.3)   # the last writes (10 ms delay) and their replies
        spent = daemon_cpu_seconds(process.pid) - before
        client.close()
        return spent * 1e6 / calls
    finally:
        process.stop()


def media(interface, local, port, peer_monologue, advertised):
    return {"type": "audio", "protocol": "RTP/AVP", "interface": interface, "local": local, "direction": 1,
            "rejected": False, "rtcp_mux": False, "rtcp_mux_offered": False, "rtcp_mux_policy": 0,
            "ice_seen": False, "ice_ufrag": "", "ice_pwd": "", "rtp_port": port, "codecs": "0",
            "sink": [peer_monologue, 0],
            "streams": [{"state": 1, "advertised": "%s:%d" % advertised, "learned": None},
                        {"state": 1, "advertised": "%s:%d" % (advertised[0], advertised[1] + 1), "learned": None}]}


def udp_port_free(address, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((address, port))
            return True
        except OSError:
            return False


def free_port_pairs(addresses, first, last, count):
    """Up to count even ports P with P and P+1 unbound on every address now (other programs on
    this shared machine hold some ports of any range: such a call would fail to restore)."""
    pairs = []
    for port in range(first & ~1, last, 2):
        if all(udp_port_free(address, port) and udp_port_free(address, port + 1) for address in addresses):
            pairs.append(port)
            if len(pairs) == count:
                break
    return pairs


def call_value(index, port):
    now = int(time.time() * 1e6)
    monologues = [
        {"tag": "from-%d" % index, "via_branch": None, "label": None, "created_us": now, "flags": 0, "peer": 1,
         "media": [media("a", "127.0.0.1:0", port, 1, ("127.0.0.2", 50000))]},
        {"tag": "to-%d" % index, "via_branch": None, "label": None, "created_us": now, "flags": 0, "peer": 0,
         "media": [media("b", "127.0.0.4:0", port, 0, ("127.0.0.3", 50000))]},
    ]
    return {"schema": "rtpengine-call", "version": 2, "call_id": "bench-%d" % index, "created_us": now,
            "last_signal_us": now, "monologues": monologues}


def raise_descriptor_limit(wanted):
    """RLIMIT_NOFILE of this process (the daemons it starts inherit it) to at least `wanted`:
    the soft limit up to the hard one, and as root the hard one too, up to fs.nr_open."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            with open("/proc/sys/fs/nr_open") as handle:
                ceiling = int(handle.read())
            hard = min(wanted, ceiling)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (OSError, ValueError) as error:
            # raising the hard limit needs CAP_SYS_RESOURCE (root outside a restricted container)
            print("cannot raise the hard RLIMIT_NOFILE to %d: %s" % (wanted, error))
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def restore_round(log_dir, redis_port, db):
    # four sockets per call: as many calls as the descriptor limit allows, up to RESTORE_CALLS
    global RESTORE_CALLS
    RESTORE_CALLS = min(RESTORE_CALLS, (resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 500) // 4)
    ports = free_port_pairs(("127.0.0.1", "127.0.0.4"), RESTORE_PORT_MIN, 32767, RESTORE_CALLS)
    if len(ports) < RESTORE_CALLS:
        print("  restore: only %d free port pairs below 32768, restoring that many" % len(ports), file=sys.stderr)
        RESTORE_CALLS = len(ports)
    commands = [("SELECT", db)] + [("SET", "bench-%d" % i, json.dumps(call_value(i, ports[i])))
                                   for i in range(RESTORE_CALLS)]
    redis_pipeline(redis_port, commands)
    ng_port = free_udp_port()
    port_max = ports[-1] + 1
    started = time.monotonic()
    process = ManagedProcess(daemon_command(ng_port, RESTORE_PORT_MIN, port_max,
                                            ["--interface=a/127.0.0.1", "--interface=b/127.0.0.4",
                                             "--redis=127.0.0.1:%d/%d" % (redis_port, db)]),
                             log_path_for(log_dir, "restore"), name="restore")
    try:
        client = NgClient(ng_port, reply_timeout=0.05)
        ready = process.wait_ready(lambda: client.ping(0.05), 60, interval=0)
        elapsed = time.monotonic() - started
        client.close()
        match = re.search(r"restored (\d+) call\(s\) .* in (\d+) ms \((\d+) failed\)", process.log_text())
        if not ready or not match:
            print("  restore: daemon not ready: %s" % process.log_text()[-800:], file=sys.stderr)
            return {}
        return {"restored": int(match.group(1)), "failed": int(match.group(3)),
                "restore_ms": int(match.group(2)), "ready_s": elapsed}
    finally:
        process.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-restore", action="store_true")
    parser.add_argument("--skip-ng", action="store_true", help="without the ng cycles/s rounds")
    arguments = parser.parse_args()
    if not os.access(run.OUR_DAEMON, os.X_OK) or not shutil.which("redis-server"):
        print("SKIP: daemon/rtpengine or redis-server missing")
        return 0
    limit = raise_descriptor_limit(4 * RESTORE_CALLS + 1000)
    print("RLIMIT_NOFILE %d (restore of %d calls needs %d)" % (limit, RESTORE_CALLS, 4 * RESTORE_CALLS + 1000))
    log_dir = tempfile.mkdtemp(prefix="rtpengine-redis-bench-")
    print("logs in %s" % log_dir)
    redis, redis_port = start_redis(log_dir)
    try:
        rounds = {"off": {}, "on": {}}
        for index in range(0 if arguments.skip_ng else arguments.rounds):
            # alternating, and which side goes first alternates too (the machine's load drifts)
            modes = (("off", []), ("on", ["--redis-write=127.0.0.1:%d/1" % redis_port]))
            for mode, extra in (modes if index % 2 == 0 else modes[::-1]):
                for key, value in ng_round(log_dir, extra, "ours-redis-" + mode).items():
                    if key in ("ng_1", "ng_16", "ng_1_cpu_us", "ng_16_cpu_us"):
                        rounds[mode].setdefault(key, []).append(value)
        for key in ("ng_1", "ng_16"):
            off, on = rounds["off"].get(key, []), rounds["on"].get(key, [])
            if off and on:
                ratio = statistics.median(on) / statistics.median(off)
                pairs = " ".join("%.2f" % (b / a) for a, b in zip(off, on))
                cpu_off, cpu_on = rounds["off"].get(key + "_cpu_us"), rounds["on"].get(key + "_cpu_us")
                cpu = (", daemon CPU per cycle %.1f -> %.1f us" % (statistics.median(cpu_off), statistics.median(cpu_on))
                       if cpu_off and cpu_on else "")
                print("%-6s cycles/s, medians of %d alternating rounds: without Redis %8.0f, with --redis-write %8.0f: "
                      "%.2fx  %s (pairs: %s%s)"
                      % (key, min(len(off), len(on)), statistics.median(off), statistics.median(on), ratio,
                         "PASS" if ratio >= 0.9 else "FAIL (target >= 0.9x)", pairs, cpu))
            else:
                print("%-6s SKIP (no figure)" % key)
        calls = 2500
        cpu = {"off": [], "on": []}
        for _ in range(max(arguments.rounds, 1)):
            for mode, extra in (("off", []), ("on", ["--redis-write=127.0.0.1:%d/3" % redis_port])):
                figure = written_calls_round(log_dir, extra, "ours-written-" + mode, calls)
                if figure is not None:
                    cpu[mode].append(figure)
        if cpu["off"] and cpu["on"]:
            off, on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
            print("daemon CPU per call set up and written (%d calls, offer + answer, median of %d): without Redis "
                  "%.0f us, with --redis-write %.0f us (+%.0f us per call, two writes coalesced into one or two)"
                  % (calls, len(cpu["on"]), off, on, on - off))
        if not arguments.skip_restore:
            figures = restore_round(log_dir, redis_port, 2)
            if figures:
                complete = figures["restored"] == RESTORE_CALLS and not figures["failed"]
                if RESTORE_CALLS >= 10000:
                    verdict = "PASS" if complete and figures["ready_s"] < 2 else "FAIL (target: all 10000 in < 2 s)"
                else:
                    verdict = ("NOT MEASURED at 10000 (RLIMIT_NOFILE); linear extrapolation %.2f s"
                               % (figures["ready_s"] * 10000 / max(RESTORE_CALLS, 1)))
                print("restore: %d calls (10000 unless RLIMIT_NOFILE is lower); %d restored (%d failed) in %d ms; "
                      "answering ng %.2f s after start  %s"
                      % (RESTORE_CALLS, figures["restored"], figures["failed"], figures["restore_ms"], figures["ready_s"],
                         verdict))
            else:
                print("restore: SKIP (no figure)")
    finally:
        redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
