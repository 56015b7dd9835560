#!/usr/bin/python3
"""publish/subscribe cost: daemon CPU per packet a publisher sends, forked to N subscribers,
ours and Debian's 10.5 in alternating rounds (same load, same machine), and as a baseline the
same packets relayed by a plain two-party call. Reports medians of the rounds and the load
average; no pass/fail (the machine is shared).

    /usr/bin/python3 tests/bench/pubsub_bench.py [--rounds 4] [--packets 40000] [--subscribers 2]
"""

import argparse
import os
import re
import socket
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from ng import NgClient  # noqa: E402
from ports import free_port_range, free_udp_port  # noqa: E402
from process import ManagedProcess  # noqa: E402

OURS = os.path.join(HERE, "..", "..", "daemon", "rtpengine")
UPSTREAM = "/usr/bin/rtpengine"


def sdp(port, direction):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\n"
            "c=IN IP4 127.0.0.1\r\na=%s\r\n" % (port, direction))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def udp_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return sock


def read_available(sockets, counts):
    """Reads what is queued on each (non-blocking) socket, counting it."""
    for n, sock in enumerate(sockets):
        try:
            while True:
                sock.recv(2048)
                counts[n] += 1
        except BlockingIOError:
            pass


def drain(sockets, counts, expected, timeout=5.0):
    """Reads until `expected` arrived on each socket or the time is up."""
    deadline = time.monotonic() + timeout
    while min(counts) < expected and time.monotonic() < deadline:
        read_available(sockets, counts)
        time.sleep(0.001)
    return counts


def one_round(binary, mode, packets, subscribers, workdir):
    ng_port = free_udp_port("127.0.0.1")
    low, high = free_port_range(["127.0.0.1"], 60)
    argv = [binary, "--config-file=none", "--table=-1", "--foreground", "--log-level=3", "--log-stderr",
            "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % ng_port, "--port-min=%d" % low,
            "--port-max=%d" % high, "--delete-delay=0", "--endpoint-learning=immediate", "--num-threads=1"]
    daemon = ManagedProcess(argv, os.path.join(workdir, "%s-%s.log" % (os.path.basename(binary), mode)))
    client = NgClient(ng_port)
    try:
        if not daemon.wait_ready(client.ping, 10):
            raise RuntimeError("daemon did not start: %s" % daemon.log_text()[-500:])
        sender = udp_socket()
        receivers = [udp_socket() for _ in range(subscribers if mode == "fork" else 1)]
        if mode == "fork":
            reply = client.request({"command": "publish", "call-id": "b", "from-tag": "p",
                                    "sdp": sdp(sender.getsockname()[1], "sendonly")})
            target = int(re.search(rb"m=audio (\d+)", reply["sdp"].encode() if isinstance(reply["sdp"], str)
                                   else reply["sdp"]).group(1))
            for receiver in receivers:
                request = client.request({"command": "subscribe request", "call-id": "b", "from-tag": "p"})
                client.request({"command": "subscribe answer", "call-id": "b", "to-tag": request["to-tag"],
                                "sdp": sdp(receiver.getsockname()[1], "recvonly")})
        else:
            client.request({"command": "offer", "call-id": "b", "from-tag": "a",
                            "sdp": sdp(sender.getsockname()[1], "sendrecv")})
            reply = client.request({"command": "answer", "call-id": "b", "from-tag": "a", "to-tag": "b",
                                    "sdp": sdp(receivers[0].getsockname()[1], "sendrecv")})
            text = reply["sdp"] if isinstance(reply["sdp"], str) else reply["sdp"].decode()
            target = int(re.search(r"m=audio (\d+)", text).group(1))
        packet = bytearray(b"\x80\x00" + b"\x00" * 6 + b"\x12\x34\x56\x78" + b"\xff" * 160)
        for receiver in receivers:
            receiver.setblocking(False)
        counts = [0] * len(receivers)
        before = cpu_seconds(daemon.process.pid)
        for n in range(packets):
            packet[2:4] = (n & 0xffff).to_bytes(2, "big")
            packet[4:8] = ((160 * n) & 0xffffffff).to_bytes(4, "big")
            sender.sendto(packet, ("127.0.0.1", target))
            if n % 8 == 7:
                # bounded bursts: 10.5 discards packets once more than 50 wait on a socket;
                # the receivers are read meanwhile (their buffers hold a few thousand)
                read_available(receivers, counts)
                time.sleep(0.001)
        drain(receivers, counts, packets)
        used = cpu_seconds(daemon.process.pid) - before
        for sock in [sender] + receivers:
            sock.close()
        return used / packets * 1e6, min(counts)
    finally:
        client.close()
        daemon.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--packets", type=int, default=40000)
    parser.add_argument("--subscribers", type=int, default=2)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="pubsub-bench-")
    results = {}
    for round_number in range(args.rounds):
        for name, binary in (("ours", OURS), ("10.5", UPSTREAM)):
            if not os.access(binary, os.X_OK):
                continue
            for mode in ("relay", "fork"):
                us, delivered = one_round(binary, mode, args.packets, args.subscribers, workdir)
                results.setdefault((name, mode), []).append(us)
                print("round %d %-4s %-5s %.2f us/packet, %d/%d delivered to each receiver"
                      % (round_number + 1, name, mode, us, delivered, args.packets), flush=True)
    print("load average: %.2f %.2f %.2f" % os.getloadavg())
    for (name, mode), values in sorted(results.items()):
        print("%-4s %-5s median %.2f us daemon CPU per packet sent (%s)"
              % (name, mode, statistics.median(values), ", ".join("%.2f" % v for v in values)))


if __name__ == "__main__":
    main()
