"""Fixtures that start the relay under test on loopback.

RTPENGINE_BINARY picks the binary: default <repo>/daemon/rtpengine when it exists,
else Debian's /usr/bin/rtpengine (the behavioural reference).
"""

import os
import re
import signal
import sys

import pytest

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, E2E_DIR)
sys.path.insert(0, os.path.normpath(os.path.join(E2E_DIR, "..", "lib")))

from ng import NgClient  # noqa: E402
# free-port helpers: imported from here by the SIP harness and other test modules
from ports import free_port_range, free_udp_port, ports_free  # noqa: E402,F401
from process import ManagedProcess, run_to_exit, wait_until  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(E2E_DIR, "..", ".."))
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


def _interface_address(spec):
    """The bind address of an --interface value like "name/1.2.3.4!5.6.7.8"."""
    address = spec.split("/", 1)[-1].split("!", 1)[0]
    return address.strip("[]")


# ---------------------------------------------------------------- daemon

class Daemon(ManagedProcess):
    """A running relay started by the factory (without core files, in the test's tmp dir)."""

    def __init__(self, argv, log_path, ng_port, port_min, port_max, pidfile, interfaces,
                 workdir=None, ng_host="127.0.0.1"):
        super().__init__(argv, log_path, name="rtpengine", cwd=workdir)
        self.ng_port = ng_port
        self.port_min = port_min
        self.port_max = port_max
        self.pidfile = pidfile
        self.interfaces = interfaces
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

    def wait_ready(self, timeout=10.0):
        """Poll ping until pong; False when the process died or time ran out."""
        return super().wait_ready(self.client.ping, timeout, interval=0)

    # -- logs
    def wait_for_log(self, pattern, timeout=5.0):
        """Poll the log until regex `pattern` appears; returns the match or None."""
        return wait_until(lambda: re.search(pattern, self.log_text()), timeout)

    # -- lifetime
    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send `sig` to our PID, wait up to `timeout` s, SIGKILL if still running."""
        returncode = super().stop(sig, timeout)
        self.client.close()
        return returncode

    def crash_report(self):
        """A description of a crash, or None: signal death we did not ask for, or a
        sanitizer/abort line in the log."""
        problems = []
        code = self.process.poll()
        if code is not None and code < 0 and not self.killed \
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
    ng_host="127.0.0.1", binary=None) -> Daemon.

    binary: another daemon than the one under test (Debian's 10.5, REFERENCE_BINARY, for
    tests that compare the two).
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
              argv_builder=None, ng_host="127.0.0.1", binary=None):
        binary = binary or RTPENGINE_BINARY
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
                argv = [binary] + list(argv_builder(ng_port, port_min, port_max))
            else:
                argv = _build_argv(binary, ng_port, port_min, port_max, interfaces,
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
    return run_to_exit([RTPENGINE_BINARY] + list(args), timeout)


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
