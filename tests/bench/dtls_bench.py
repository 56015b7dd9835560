#!/usr/bin/python3
"""DTLS-SRTP handshakes per second with CALLS calls set up at once (a step of `make -C
tests/bench run`).

One daemon (ours, or upstream with --upstream): CALLS offers whose caller speaks DTLS with
a=setup:active (the relay is passive), answered by a plain callee; then `dtls_clients` (OpenSSL's
DTLS client, one thread, all at once) handshakes with every relay port. Reported: handshakes
per second over the whole burst, and the daemon's CPU time per handshake (utime + stime from
/proc, so the clients' own cost does not count). Every process runs through tests/lib's runner.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

from ng import NgClient  # noqa: E402
from ports import free_port_range, free_udp_port  # noqa: E402
from process import ManagedProcess, run_to_exit, wait_until  # noqa: E402

OUR_DAEMON = os.path.join(REPO, "daemon", "rtpengine")
CLIENTS = os.path.join(HERE, "dtls_clients")


def daemon_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def certificate(folder):
    key, cert = os.path.join(folder, "key.pem"), os.path.join(folder, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=bench"],
                   check=True, capture_output=True)
    output = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                            check=True, capture_output=True, text=True).stdout
    return key, cert, output.strip().split("=", 1)[1]


def sdp(port, protocol, attributes=()):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d %s 0\r\na=sendrecv\r\n%s" % (port, protocol, "".join("a=%s\r\n" % a for a in attributes)))


def relay_port(sdp_text):
    for line in sdp_text.splitlines():
        if line.startswith("m="):
            return int(line.split()[1])
    raise RuntimeError("no m= line")


def run(binary, calls, log_dir, folder):
    key, cert, fingerprint = certificate(folder)
    ng_port = free_udp_port()
    first, last = free_port_range(["127.0.0.1"], 4 * calls + 100)
    argv = [binary, "--config-file=none", "--table=-1", "--foreground", "--log-level=3", "--log-stderr",
            "--interface=127.0.0.1", "--listen-ng=127.0.0.1:%d" % ng_port, "--port-min=%d" % first,
            "--port-max=%d" % last, "--delete-delay=0"]
    daemon = ManagedProcess(argv, os.path.join(log_dir, "dtls-daemon.log"), name="daemon")
    client = NgClient(ng_port)
    try:
        if not wait_until(lambda: client.ping(), 10):
            raise RuntimeError("daemon did not answer ping:\n" + daemon.describe())
        ports = []
        for index in range(calls):
            call_id = "dtls-bench-%d" % index
            offer = sdp(20000 + 2 * index, "UDP/TLS/RTP/SAVP", ("setup:active", "fingerprint:sha-256 " + fingerprint))
            reply = client.request({"command": "offer", "call-id": call_id, "from-tag": "a", "sdp": offer,
                                    "transport-protocol": "RTP/AVP"})
            assert reply.get("result") == "ok", reply
            reply = client.request({"command": "answer", "call-id": call_id, "from-tag": "a", "to-tag": "b",
                                    "sdp": sdp(40000 + 2 * index, "RTP/AVP")})
            assert reply.get("result") == "ok", reply
            ports.append(relay_port(reply["sdp"]))
        before = daemon_cpu_seconds(daemon.pid)
        status, output = run_to_exit([CLIENTS, cert, key, "60", "127.0.0.1"] + [str(p) for p in ports], timeout=90)
        cpu = daemon_cpu_seconds(daemon.pid) - before
        if status != 0:
            raise RuntimeError("dtls_clients failed: " + output)
        fields = output.split()
        handshakes, failed, seconds = int(fields[1]), int(fields[3]), float(fields[5])
        return handshakes, failed, seconds, cpu
    finally:
        client.close()
        daemon.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=int(os.environ.get("DTLS_CALLS", 200)))
    parser.add_argument("--binary", default=OUR_DAEMON)
    parser.add_argument("--upstream", action="store_true", help="measure /usr/bin/rtpengine instead")
    arguments = parser.parse_args()
    binary = "/usr/bin/rtpengine" if arguments.upstream else arguments.binary
    if not os.path.exists(CLIENTS):
        sys.exit("dtls_clients not built (make -C tests/bench)")
    log_dir = tempfile.mkdtemp(prefix="dtls-bench-")
    folder = tempfile.mkdtemp(prefix="dtls-bench-cert-")
    print("logs in %s" % log_dir)
    handshakes, failed, seconds, cpu = run(binary, arguments.calls, log_dir, folder)
    rate = handshakes / seconds if seconds else 0
    per = cpu / handshakes * 1e6 if handshakes else 0
    print("DTLS: %d calls at once (%s): %d handshakes, %d failed, %.2f s: %.0f handshakes/s; "
          "daemon CPU %.0f us per handshake" % (arguments.calls, "upstream 10.5" if arguments.upstream else "ours", handshakes, failed, seconds,
                                                rate, per))


if __name__ == "__main__":
    main()
