"""Headless Chromium as a WebRTC peer for the e2e tests, on loopback inside a network
namespace of the test's own (only `lo` up, so Chromium's checks never leave loopback):

    with NetworkNamespace() as namespace:       # this thread (and what it starts) inside
        with Chromium(tmp_path, wav) as browser:
            page = browser.open_page(server.url)
            page.call("setup", "balanced", "PCMU")

The page (tests/e2e/webrtc/page.html) is served on loopback by PageServer and driven over
the DevTools protocol (Debian's python3-websocket). PhoneEndpoint is the plain RTP/AVP side:
it sends a PCMU tone (or echoes what it gets) and records what arrives. tone_frequency()
finds the strongest frequency of decoded audio. Every process is ended by its PID."""

import ctypes
import http.server
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.request
import warnings

with warnings.catch_warnings():
    # G.711 coding from the standard library (Debian 12: Python 3.11); deprecated in 3.13
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

from rtp import MediaPeer, build_rtp, parse_rtp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SOX = shutil.which("sox") or "/usr/bin/sox"
WEBRTC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "webrtc")
CLONE_NEWNET = 0x40000000


def websocket_client():
    """python3-websocket's module. tests/lib/websocket.py (the HTTP tests' own client) has the
    same name and comes first on sys.path, so the package is imported with tests/lib out of
    the path and the name handed back to whichever module held it."""
    import importlib
    import sys
    lib = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    held = sys.modules.pop("websocket", None)
    saved_path = sys.path[:]
    sys.path[:] = [entry for entry in sys.path if os.path.normpath(os.path.abspath(entry or ".")) != lib]
    try:
        return importlib.import_module("websocket")
    finally:
        sys.path[:] = saved_path
        sys.modules.pop("websocket", None)
        if held is not None:
            sys.modules["websocket"] = held


def missing_tools():
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return "Chromium is not installed (Debian package chromium)"
    if not os.access(SOX, os.X_OK):
        return "sox is not installed (Debian package sox)"
    try:
        websocket_client()
    except ImportError:
        return "python3-websocket is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    return None


# ---------------------------------------------------------------- namespace

class NetworkNamespace:
    """A fresh network namespace with only loopback up; entering it moves the calling
    thread (and every process it starts afterwards) into it, leaving returns."""

    def __init__(self):
        self.name = "rtpe-webrtc-%d" % os.getpid()
        self._libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self._original = None

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        self._original = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/var/run/netns/" + self.name, os.O_RDONLY)
        try:
            if self._libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into %s" % self.name)
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc):
        if self._original is not None:
            self._libc.setns(self._original, CLONE_NEWNET)
            os.close(self._original)
        subprocess.run(["ip", "netns", "del", self.name], check=False)


# ---------------------------------------------------------------- page server

class PageServer:
    """Serves tests/e2e/webrtc on 127.0.0.1 (a secure context for getUserMedia)."""

    def __init__(self):
        handler = lambda *args, **kwargs: http.server.SimpleHTTPRequestHandler(  # noqa: E731
            *args, directory=WEBRTC_DIR, **kwargs)
        http.server.SimpleHTTPRequestHandler.log_message = lambda *args: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/page.html" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- browser

class DevToolsPage:
    """One page target over the DevTools protocol."""

    def __init__(self, url):
        self.socket = websocket_client().create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0

    def command(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message["result"]

    def evaluate(self, expression):
        result = self.command("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise RuntimeError("page: %s failed: %s" % (expression[:60], text))
        return result["result"].get("value")

    def call(self, function, *arguments):
        return self.evaluate("%s(%s)" % (function, ", ".join(json.dumps(a) for a in arguments)))

    def close(self):
        self.socket.close()


class Chromium:
    """Headless Chromium with fake media (the wav as microphone), remote debugging on
    loopback; flags from /work/shared/guide/testing-notes.md."""

    def __init__(self, directory, wav, debugging_port=9222):
        self.directory = str(directory)
        self.profile = os.path.join(self.directory, "chromium-profile")
        self.wav = wav
        self.port = debugging_port
        self.process = None

    def __enter__(self):
        home = os.path.join(self.directory, "home")
        os.makedirs(home, exist_ok=True)
        argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-breakpad", "--disable-crash-reporter", "--autoplay-policy=no-user-gesture-required",
                "--user-data-dir=" + self.profile, "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
                "--use-file-for-fake-audio-capture=" + self.wav,
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=%d" % self.port,
                "--remote-allow-origins=*", "about:blank"]
        self.log = open(os.path.join(self.directory, "chromium.log"), "w")
        self.process = subprocess.Popen(argv, env=dict(os.environ, HOME=home), stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def open_page(self, url, timeout=30.0):
        deadline = time.monotonic() + timeout
        targets = None
        while time.monotonic() < deadline and targets is None:
            if self.process.poll() is not None:
                raise RuntimeError("Chromium exited with %d" % self.process.returncode)
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json" % self.port, timeout=2) as reply:
                    targets = [t for t in json.load(reply) if t["type"] == "page"]
            except OSError:
                time.sleep(0.1)
        if not targets:
            raise RuntimeError("Chromium's DevTools did not come up")
        page = DevToolsPage(targets[0]["webSocketDebuggerUrl"])
        page.command("Page.enable")
        page.command("Page.navigate", url=url)
        while time.monotonic() < deadline:
            if page.evaluate("document.readyState === 'complete' && typeof summary === 'function'"):
                return page
            time.sleep(0.1)
        raise RuntimeError("the test page did not load")

    def open_new_page(self, url, timeout=30.0):
        """A second tab (a second peer, for browser-to-browser calls): DevTools' /json/new."""
        request = urllib.request.Request("http://127.0.0.1:%d/json/new?%s" % (self.port, url), method="PUT")
        with urllib.request.urlopen(request, timeout=5) as reply:
            target = json.load(reply)
        page = DevToolsPage(target["webSocketDebuggerUrl"])
        page.command("Page.enable")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if page.evaluate("document.readyState === 'complete' && typeof summary === 'function'"):
                return page
            time.sleep(0.1)
        raise RuntimeError("the second test page did not load")

    def _profile_pids(self):
        """Chromium's helpers (crash handler, zygotes) that outlive the group: found by the
        profile directory on their command line."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    if self.profile.encode() in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
        return pids

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pid in self._profile_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


# ---------------------------------------------------------------- audio

def make_tone_wav(path, frequency, seconds=60):
    """A 48 kHz mono wav of a sine tone (sox)."""
    subprocess.run([SOX, "-n", "-r", "48000", "-c", "1", "-b", "16", str(path), "synth", str(seconds),
                    "sine", str(frequency), "vol", "0.5"], check=True)
    return str(path)


def tone_frequency(samples, rate=8000, low=100, high=3500, step=5):
    """The strongest frequency (Goertzel scan in `step` Hz) of 16-bit mono samples."""
    best, best_power = 0, 0.0
    count = len(samples)
    if count < 400:
        return 0
    for frequency in range(low, high, step):
        coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
        s1 = s2 = 0.0
        for sample in samples:
            s0 = sample + coefficient * s1 - s2
            s2, s1 = s1, s0
        power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        if power > best_power:
            best, best_power = frequency, power
    return best


def pcmu_tone_payloads(frequency, count, samples_per_packet=160, rate=8000, amplitude=8000):
    payloads = []
    for p in range(count):
        linear = b"".join(struct.pack("<h", int(amplitude * math.sin(
            2 * math.pi * frequency * (p * samples_per_packet + i) / rate))) for i in range(samples_per_packet))
        payloads.append(audioop.lin2ulaw(linear, 2))
    return payloads


class PhoneEndpoint:
    """The plain RTP/AVP side: sends a PCMU tone every 20 ms (or echoes what it receives,
    with its own SSRC, for codecs the test cannot encode) and keeps what arrives."""

    def __init__(self, host="127.0.0.1", tone=1000, echo=False, ssrc=0x5eed1234):
        self.peer = MediaPeer(host)
        self.tone, self.echo, self.ssrc = tone, echo, ssrc
        self.destination = None
        self.received = []          # (payload type, payload)
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def port(self):
        return self.peer.port

    def start(self, destination):
        self.destination = destination
        self._thread.start()

    def _run(self):
        payloads = pcmu_tone_payloads(self.tone, 50)
        sequence, timestamp, ssrc = 1, 1000, self.ssrc
        next_send = time.monotonic()
        sock = self.peer.rtp
        while not self._stop.is_set():
            received = sock.receive(max(0.0, next_send - time.monotonic()))
            if received is not None:
                data, _ = received
                if len(data) >= 12 and data[0] >> 6 == 2 and not (200 <= data[1] <= 204):
                    packet = parse_rtp(data)
                    if packet is not None:
                        self.received.append((packet.payload_type, packet.payload))
                    if self.echo:
                        sock.send(data[:8] + struct.pack("!I", ssrc) + data[12:], self.destination)
                        self.sent += 1
            if not self.echo and time.monotonic() >= next_send:
                sock.send(build_rtp(sequence, timestamp, ssrc, 0, payloads[sequence % 50]), self.destination)
                self.sent += 1
                sequence, timestamp = sequence + 1, timestamp + 160
                next_send += 0.02

    def received_frequency(self, seconds=0.5):
        """Strongest frequency of the last PCMU audio received."""
        payload = b"".join(p for pt, p in self.received[-int(seconds * 50):] if pt == 0)
        return tone_frequency(struct.unpack("<%dh" % (len(payload)), audioop.ulaw2lin(payload, 2)))

    def close(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.peer.close()
