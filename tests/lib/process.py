"""The tests' one process runner: the relay under test, Kamailio, sipp, dumpcap, the
benchmark's forwarder and the reference rtpengine of the SDP generator all start and end
through it.

Each program runs in its own session, so its process group holds only what it started
(Kamailio's workers, for one) and never the test runner. Its stdout and stderr go to one
file. It is ended by its PID: a signal, a bounded wait, SIGKILL, then SIGKILL to whatever
is left in its process group. Every wait is bounded.
"""

import os
import resource
import signal
import subprocess
import time


def wait_until(condition, timeout=5.0, interval=0.05):
    """Poll `condition()` until it returns something true or `timeout` s pass; returns its
    last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        if interval:
            time.sleep(interval)


def _no_core_files():
    # A crash is reported from the log and the exit status; a crashing daemon must not
    # litter the working tree with 90 MB dumps.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class ManagedProcess:
    """A program in its own session, its output in `log_path`, ended by its PID.

    .process is the subprocess.Popen, .pid its PID; .killed is True once the runner sent
    SIGKILL (asked for, or because the program outlived the stop timeout). pass_fds: open
    descriptors the program inherits under the same numbers (sockets a script bound)."""

    def __init__(self, argv, log_path, name=None, cwd=None, env=None, core_files=False, pass_fds=()):
        self.argv = [str(arg) for arg in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.log_path = str(log_path)
        self.killed = False
        self._log_file = open(self.log_path, "wb")
        try:
            self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                            stdout=self._log_file, stderr=subprocess.STDOUT,
                                            cwd=cwd, env=env, start_new_session=True, pass_fds=pass_fds,
                                            preexec_fn=None if core_files else _no_core_files)
        except OSError:
            self._log_file.close()
            raise
        self.pid = self.process.pid

    @property
    def returncode(self):
        """Exit status (negative: the signal that ended it), None while it runs."""
        return self.process.poll()

    def alive(self):
        return self.process.poll() is None

    def wait(self, timeout):
        """Exit status, or None if still running after `timeout` seconds."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_ready(self, condition, timeout, interval=0.05):
        """True once `condition()` holds while the program runs; False when it exits first
        or `timeout` s pass. `interval=0` for a condition that waits by itself (a ping)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if condition():
                return True
            if time.monotonic() >= deadline:
                return False
            if interval:
                time.sleep(interval)
        return False

    def log_text(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def _group_alive(self):
        try:
            os.killpg(self.pid, 0)
            return True
        except (ProcessLookupError, PermissionError):
            return False

    def send_signal(self, sig):
        """Send `sig` to the program (its PID only); False when it is gone."""
        if not self.alive():
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def stop(self, sig=signal.SIGTERM, timeout=5):
        """Send `sig` to our PID, wait up to `timeout` s, then SIGKILL. Processes it left
        in its session's process group (which holds only processes it started) are
        killed with the group. Returns the exit status; closes the log."""
        if self.alive():
            if sig == signal.SIGKILL:
                self.killed = True
            self.send_signal(sig)
            if self.wait(timeout) is None:
                self.killed = True
                self.send_signal(signal.SIGKILL)
                self.wait(5)
        if not wait_until(lambda: not self._group_alive(), 2, 0.02):
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self._log_file.closed:
            self._log_file.close()
        return self.process.returncode

    def describe(self, lines=30):
        """Command, state and the end of the output, for assertion messages."""
        state = "running" if self.alive() else "exit status %s" % self.process.returncode
        tail = "\n".join(self.log_text().splitlines()[-lines:])
        return "--- %s (pid %d, %s): %s\n%s" % (self.name, self.pid, state,
                                                " ".join(self.argv), tail)


def run_to_exit(argv, timeout=10, cwd=None, core_files=False):
    """Run a program that is expected to end by itself (bad options, --version...);
    returns (exit status, stdout+stderr text). After `timeout` s its process group is
    killed and the status is None."""
    process = subprocess.Popen([str(arg) for arg in argv], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd,
                               start_new_session=True,
                               preexec_fn=None if core_files else _no_core_files)
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        output, _ = process.communicate(timeout=5)
        return None, output.decode("utf-8", "replace")
