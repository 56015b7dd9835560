#!/usr/bin/python3
"""Transcoding benchmark: Opus <-> PCMU calls per core at < 1% late frames, ours vs Debian's
10.5 (same ng request: `codec: {transcode: [opus]}` on a PCMU offer, answered Opus-only).

For each relay and each step of calls: N calls are set up; every caller socket sends 20 ms
PCMU packets of espeak-ng speech, every callee socket sends libopus-encoded 20 ms packets of
the same speech, paced at 50 packets/s. An output packet is late when it arrives more
than 20 ms later after the input of its frame (found by its RTP timestamp) than the
direction's least delay (a relay's constant latency, e.g. an encoder's look-ahead, is not
lateness). The relay's CPU time
over the run gives calls per core (= N * seconds / CPU seconds). Both relays are started as
run.py starts them (no kernel, immediate learning). The exit status does not depend on the
figures.

    /usr/bin/python3 tests/bench/transcode.py --steps 10,20,40 --duration 5
"""
import argparse
import ctypes
import ctypes.util
import os
import random
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import run  # noqa: E402
from ng import NgClient  # noqa: E402

import audioop  # noqa: E402  (deprecated in 3.11, present in Debian 12's Python)

LATE_SECONDS = 0.020
OFFER = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
ANSWER = ("v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
          "m=audio {port} RTP/AVP {pt}\r\na=rtpmap:{pt} opus/48000/2\r\na=sendrecv\r\n")


def speech_frames():
    """1 s... of espeak-ng speech: PCMU payloads (8 kHz) and libopus payloads (48 kHz)."""
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


def rtp(pt, seq, ts, ssrc, payload):
    return struct.pack("!BBHII", 0x80, pt, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def drive(calls, pcmu, opus, seconds, first_tick=0):
    """Sends paced media both ways; returns (outputs, late, expected)."""
    sent = {}      # socket fileno -> list of send times (its inputs)
    arrived = {}   # socket fileno -> list of arrival times
    peers = {}
    steps = {}     # socket fileno -> RTP timestamp step of what it receives
    for call in calls:
        sent[call["caller"].fileno()], sent[call["callee"].fileno()] = [], []
        arrived[call["caller"].fileno()], arrived[call["callee"].fileno()] = [], []
        peers[call["caller"].fileno()] = call["callee"].fileno()   # what the caller receives came from the callee
        peers[call["callee"].fileno()] = call["caller"].fileno()
        steps[call["caller"].fileno()], steps[call["callee"].fileno()] = 160, 960
    sockets = {s.fileno(): s for call in calls for s in (call["caller"], call["callee"])}
    poller = select.epoll()
    for fileno in sockets:
        poller.register(fileno, select.EPOLLIN)

    def receive_until(deadline):
        """Reads what arrives until deadline, stamping each packet (epoll: no busy polling)."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            for fileno, _ in poller.poll(remaining):
                while True:
                    try:
                        data = sockets[fileno].recv(2048)
                    except BlockingIOError:
                        break
                    if len(data) >= 12:
                        arrived[fileno].append((time.monotonic(), struct.unpack_from("!I", data, 4)[0]))

    start = time.monotonic()
    ticks = int(seconds * 50)
    for tick in range(ticks):
        receive_until(start + tick * 0.020)
        frame = tick % len(pcmu)
        number = first_tick + tick   # RTP continues across runs (RFC 3550: one SSRC, one sequence)
        for n, call in enumerate(calls):
            call["caller"].sendto(rtp(0, number, 160 * number, 0x1000 + n, pcmu[frame]), call["caller_to"])
            sent[call["caller"].fileno()].append(time.monotonic())
            call["callee"].sendto(rtp(call["opus_pt"], number, 960 * number, 0x2000 + n, opus[frame]), call["callee_to"])
            sent[call["callee"].fileno()].append(time.monotonic())
    receive_until(time.monotonic() + 0.2)
    poller.close()
    outputs = late = 0
    for fileno, arrivals in arrived.items():
        inputs = sent[peers[fileno]]
        if not arrivals:
            continue
        # each output's frame by its RTP timestamp (robust against loss), its delay after the
        # input of that frame; late: more than 20 ms beyond the direction's least delay (a
        # relay's constant latency, e.g. an encoder's look-ahead frame, is not lateness)
        step = steps[fileno]
        first_ts = arrivals[0][1]
        first_index = max(0, sum(1 for t in inputs if t <= arrivals[0][0]) - 1)
        delays = []
        for arrival, ts in arrivals:
            index = first_index + round(((ts - first_ts + (1 << 31)) & 0xffffffff) - (1 << 31)) // step
            if 0 <= index < len(inputs):
                delays.append(arrival - inputs[index])
        if not delays:
            continue
        least = min(delays)
        outputs += len(delays)
        late += sum(1 for delay in delays if delay - least > LATE_SECONDS)
    return outputs, late, ticks * 2 * len(calls)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(name, binary, calls_count, seconds, frames, log_dir):
    process, ng_port, _ = run.start_ng_relay(name, binary, log_dir, random.randint(10000, 30000), 4 * calls_count + 100)
    try:
        if not run.ng_answers(process, ng_port, 10):
            print("  %s did not start: %s" % (name, run.tail_of(process)))
            return None
        client = NgClient(ng_port, reply_timeout=2.0)
        calls = setup_calls(client, calls_count)
        drive(calls, *frames, 0.5)   # warm-up: learning, first frames
        before = cpu_seconds(process.pid)
        outputs, late, expected = drive(calls, *frames, seconds, first_tick=25)
        cpu = cpu_seconds(process.pid) - before
        for call in calls:
            client.request({"command": "delete", "call-id": call["id"], "from-tag": "a"})
            call["caller"].close()
            call["callee"].close()
        client.close()
        return {"outputs": outputs, "late": late, "expected": expected, "cpu": cpu, "seconds": seconds}
    finally:
        process.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default=os.environ.get("STEPS", "10,20,40"))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 5)))
    parser.add_argument("--ours", default=run.OUR_DAEMON)
    parser.add_argument("--upstream", default=run.UPSTREAM_DAEMON)
    settings = parser.parse_args()
    frames = speech_frames()
    log_dir = tempfile.mkdtemp(prefix="bench-transcode-")
    print("logs in %s; Opus <-> PCMU calls, 50 packets/s each way, %.0f s per step" % (log_dir, settings.duration))
    for name, binary in (("ours", settings.ours), ("upstream", settings.upstream)):
        if not os.path.exists(binary):
            print("  %s: SKIP (%s missing)" % (name, binary))
            continue
        for step in [int(x) for x in settings.steps.split(",")]:
            try:
                figures = measure("%s-%d" % (name, step), binary, step, settings.duration, frames, log_dir)
            except RuntimeError as error:
                print("  %-8s %4d calls: %s" % (name, step, error))
                break
            if not figures:
                break
            late_share = 100.0 * figures["late"] / max(figures["outputs"], 1)
            missing = 100.0 * (1 - figures["outputs"] / figures["expected"])
            per_core = step * figures["seconds"] / figures["cpu"] if figures["cpu"] else float("inf")
            print("  %-8s %4d calls: relay CPU %.2f s in %.0f s -> %.0f calls per core; late %.2f%%, "
                  "missing %.2f%%  %s" % (name, step, figures["cpu"], figures["seconds"], per_core, late_share,
                                          missing, "ok" if late_share < 1 and missing < 1 else "over 1%"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
