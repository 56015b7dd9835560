"""Fixtures that start the relay under test on loopback.

RTPENGINE_BINARY picks the binary: default <repo>/daemon/rtpengine when it exists,
else Debian's /usr/bin/rtpengine (the behavioural reference).
"""

import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ngclient import NgClient  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REFERENCE_BINARY = "/usr/bin/rtpengine"


def _default_binary():
    ours = os.path.join(REPO_ROOT, "daemon", "rtpengine")
    return ours if os.access(ours, os.X_OK) else REFERENCE_BINARY


RTPENGINE_BINARY = os.path.abspath(os.environ.get("RTPENGINE_BINARY") or _default_binary())
IS_UPSTREAM = os.path.realpath(RTPENGINE_BINARY) == os.path.realpath(REFERENCE_BINARY)

# Lines in the daemon's stderr that mean it crashed or hit undefined behaviour.
CRASH_PATTERNS = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"\*\*\* stack smashing detected|free\(\): double free|malloc\(\): corrupted")


# ---------------------------------------------------------------- free ports

def free_udp_port(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def ports_free(hosts, first, last):
    """True when every UDP port first..last can be bound on every host."""
    sockets = []
    try:
        for host in hosts:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            for port in range(first, last + 1):
                sock = socket.socket(family, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for sock in sockets:
            sock.close()


def _ephemeral_port_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_range(hosts, count, attempts=200):
    """An even-aligned range of `count` ports free on all `hosts` (random, bounded tries).
    It lies below the kernel's ephemeral range when there is room, so sockets the tests
    bind to port 0 cannot take the relay's ports between this check and their use."""
    low, high = 10000, _ephemeral_port_low()
    if high - low < 10 * count:
        low, high = 10000, 65000
    for _ in range(attempts):
        first = random.randrange(low, high - count) & ~1
        if ports_free(hosts, first, first + count - 1):
            return first, first + count - 1
    raise RuntimeError("no free range of %d UDP ports found" % count)


def _interface_address(spec):
    """The bind address of an --interface value like "name/1.2.3.4!5.6.7.8"."""
    address = spec.split("/", 1)[-1].split("!", 1)[0]
    return address.strip("[]")


# ---------------------------------------------------------------- daemon

def _no_core_files():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Daemon:
    """A running relay started by the factory."""

    def __init__(self, argv, log_path, ng_port, port_min, port_max, pidfile, interfaces,
                 workdir=None, ng_host="127.0.0.1"):
        self.argv = argv
        self.log_path = log_path
        self.ng_port = ng_port
        self.port_min = port_min
        self.port_max = port_max
        self.pidfile = pidfile
        self.interfaces = interfaces
        self.expected_signal_death = False
        self.returncode = None
        self._log_file = open(log_path, "wb")
        # no core files: a crash is reported from the log and the exit status, and a
        # crashing daemon must not litter the working tree with 90 MB dumps
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        cwd=workdir, preexec_fn=_no_core_files)
        self.pid = self.process.pid
        self.ng_host = ng_host
        self.client = NgClient(ng_port, ng_host)

    # -- control protocol
    def ng(self, message, attempts=5):
        """Send a dict under a fresh cookie (retransmitting up to `attempts` times)."""
        try:
            return self.client.request(message, attempts)
        except TimeoutError as error:
            raise TimeoutError("%s; %s" % (error, self._state())) from None

    def ng_cookie(self, cookie, message, attempts=5):
        """Send a dict under a given cookie (for retransmission-cache tests)."""
        try:
            return self.client.request_with_cookie(cookie, message, attempts)
        except TimeoutError as error:
            raise TimeoutError("%s; %s" % (error, self._state())) from None

    def _state(self):
        code = self.process.poll()
        state = "daemon running" if code is None else "daemon exited with %d" % code
        return "%s, log tail:\n%s" % (state, self.log_text()[-2000:])

    def ng_raw(self, datagram, timeout=1.0):
        """Send raw bytes; return the raw reply or None when none comes within `timeout`."""
        return self.client.request_raw(datagram, timeout)

    def alive(self):
        return self.process.poll() is None

    def wait_ready(self, timeout=10.0):
        """Poll ping until pong; False when the process died or time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            try:
                if self.client.request({"command": "ping"}, attempts=1,
                                       reply_timeout=0.1).get("result") == "pong":
                    return True
            except (TimeoutError, ValueError):
                pass
        return False

    # -- logs
    def log_text(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def wait_for_log(self, pattern, timeout=5.0):
        """Poll the log until regex `pattern` appears; returns the match or None."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.log_text())
            if match or time.monotonic() >= deadline:
                return match
            time.sleep(0.05)

    # -- lifetime
    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send `sig` to our PID, wait up to `timeout` s, SIGKILL if still running."""
        if self.process.poll() is None:
            if sig == signal.SIGKILL:
                self.expected_signal_death = True
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.expected_signal_death = True
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(5)
        self.returncode = self.process.returncode
        self.client.close()
        if not self._log_file.closed:
            self._log_file.close()
        return self.returncode

    def crash_report(self):
        """A description of a crash, or None: signal death we did not ask for, or a
        sanitizer/abort line in the log."""
        problems = []
        code = self.process.poll()
        if code is not None and code < 0 and not self.expected_signal_death \
                and -code not in (signal.SIGTERM, signal.SIGINT):
            problems.append("died from signal %d" % -code)
        match = CRASH_PATTERNS.search(self.log_text())
        if match:
            problems.append("log shows %r" % match.group(0))
        return "; ".join(problems) or None


def _build_argv(binary, ng_port, port_min, port_max, interfaces, delete_delay, timeout,
                pidfile, extra_args, ng_host="127.0.0.1"):
    ng_address = "[%s]:%d" % (ng_host, ng_port) if ":" in ng_host else \
        "%s:%d" % (ng_host, ng_port)
    argv = [binary, "--config-file=none", "--table=-1", "--foreground", "--log-stderr",
            "--log-level=7", "--listen-ng=%s" % ng_address,
            "--port-min=%d" % port_min, "--port-max=%d" % port_max,
            "--delete-delay=%d" % delete_delay]
    argv += ["--interface=%s" % spec for spec in interfaces]
    if timeout is not None:
        argv.append("--timeout=%d" % timeout)
    if pidfile:
        argv.append("--pidfile=%s" % pidfile)
    argv += list(extra_args)
    return argv


@pytest.fixture
def rtpengine_factory(tmp_path):
    """start(*extra_args, interfaces=("127.0.0.1",), ipv6=False, delete_delay=0,
    timeout=None, port_count=40, pidfile=False, ready_timeout=10, argv_builder=None,
    ng_host="127.0.0.1") -> Daemon.

    ng_host="::1" listens for ng on IPv6 loopback.
    ipv6=True adds --interface=::1. argv_builder(ng_port, port_min, port_max) -> list
    replaces every option the factory would pass (for config-file tests); the factory
    still picks the ports, waits for ping and cleans up. pidfile=True writes <tmp>/rtpengine-N.pid
    (Daemon.pidfile). Starts are retried with fresh ports when the daemon dies at once
    (another process took a port). All daemons are stopped at teardown and the test
    fails if one crashed."""
    daemons = []

    def start(*extra_args, interfaces=("127.0.0.1",), ipv6=False, delete_delay=0,
              timeout=None, port_count=40, pidfile=False, ready_timeout=10,
              argv_builder=None, ng_host="127.0.0.1"):
        interfaces = list(interfaces)
        if ipv6 and not any(":" in _interface_address(spec) for spec in interfaces):
            interfaces.append("::1")
        hosts = sorted({_interface_address(spec) for spec in interfaces})
        last_log = ""
        for attempt in range(3):
            ng_port = free_udp_port(ng_host)
            port_min, port_max = free_port_range(hosts, port_count)
            index = len(daemons)
            pidfile_path = str(tmp_path / ("rtpengine-%d.pid" % index)) if pidfile else None
            if argv_builder:
                argv = [RTPENGINE_BINARY] + list(argv_builder(ng_port, port_min, port_max))
            else:
                argv = _build_argv(RTPENGINE_BINARY, ng_port, port_min, port_max, interfaces,
                                   delete_delay, timeout, pidfile_path, extra_args, ng_host)
            daemon = Daemon(argv, str(tmp_path / ("rtpengine-%d-%d.log" % (index, attempt))),
                            ng_port, port_min, port_max, pidfile_path, interfaces,
                            workdir=str(tmp_path), ng_host=ng_host)
            daemons.append(daemon)
            if daemon.wait_ready(ready_timeout):
                return daemon
            last_log = daemon.log_text()
            if daemon.alive():
                break  # running but deaf: a retry with other ports will not help
            report = daemon.crash_report()
            if report:
                pytest.fail("daemon crashed at start (%s):\n%s" % (report, last_log[-4000:]))
        pytest.fail("daemon did not answer ping: %s\n%s" % (" ".join(argv), last_log[-4000:]))

    yield start

    crashes = []
    for daemon in daemons:
        daemon.stop()
        report = daemon.crash_report()
        if report:
            crashes.append("%s: %s\n%s" % (" ".join(daemon.argv), report,
                                            daemon.log_text()[-4000:]))
    if crashes:
        pytest.fail("daemon crashed:\n" + "\n".join(crashes))


def run_briefly(args, timeout=10):
    """Run the binary with `args` (expected to exit on its own, e.g. on bad options);
    returns (returncode, output). Killed by PID after `timeout` s (returncode None)."""
    process = subprocess.Popen([RTPENGINE_BINARY] + list(args), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, preexec_fn=_no_core_files)
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=5)
        return None, output.decode("utf-8", "replace")


@pytest.fixture
def rtpengine(rtpengine_factory):
    """One daemon with the default options (interface 127.0.0.1, delete-delay 0)."""
    return rtpengine_factory()


def pytest_collection_modifyitems(config, items):
    """Skip tests marked upstream_differs when the binary under test is the reference."""
    if not IS_UPSTREAM:
        return
    for item in items:
        marker = item.get_closest_marker("upstream_differs")
        if marker:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason="upstream differs: %s" % reason))


@pytest.fixture
def media_peer():
    """make(host="127.0.0.1") -> rtp.MediaPeer (RTP on an even port, RTCP on +1);
    all peers are closed at teardown."""
    from rtp import MediaPeer
    peers = []

    def make(host="127.0.0.1"):
        peer = MediaPeer(host)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()
