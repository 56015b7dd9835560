"""Real SIP peers for end-to-end tests: Kamailio 5.6 as the proxy that drives the relay,
sipp as caller (UAC) and callee (UAS), dumpcap to watch the media on loopback.

Kamailio runs a copy of examples/kamailio-relay.cfg whose #!define values (listen socket,
relay's ng socket, downstream URI) are replaced with this test's ports, so the test proves
the example an operator starts from. Every process runs in its own session with its
output in the test's temporary directory, and is ended by its PID. A start that dies at
once (a port picked as free was taken meanwhile) is retried with fresh ports. Every wait
is bounded.

Addresses: the callee (and Kamailio) on 127.0.0.1, the caller on 127.0.0.2, so the SDP
each side receives tells apart "the peer's address" from "the relay's address".
"""

import os
import re
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", "lib")))

from ports import free_port_range, free_udp_port  # noqa: E402
from process import ManagedProcess, wait_until  # noqa: E402

KAMAILIO_BINARY = "/usr/sbin/kamailio"
SIPP_BINARY = "/usr/bin/sipp"
DUMPCAP_BINARY = "/usr/bin/dumpcap"
TSHARK_BINARY = "/usr/bin/tshark"

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(E2E_DIR, "..", ".."))
EXAMPLE_CONFIG = os.path.join(REPO_ROOT, "examples", "kamailio-relay.cfg")
SCENARIO_DIR = os.path.join(E2E_DIR, "sipp")
UAC_SCENARIO = os.path.join(SCENARIO_DIR, "uac_pcap_audio.xml")
UAS_SCENARIO = os.path.join(SCENARIO_DIR, "uas_rtp_echo.xml")
UAC_DECLINED_SCENARIO = os.path.join(SCENARIO_DIR, "uac_declined.xml")
UAS_BUSY_SCENARIO = os.path.join(SCENARIO_DIR, "uas_busy.xml")
UAC_CANCEL_SCENARIO = os.path.join(SCENARIO_DIR, "uac_cancel.xml")
UAS_RINGING_SCENARIO = os.path.join(SCENARIO_DIR, "uas_ringing_cancelled.xml")
# MOS through Kamailio (test_kamailio_mos.py): the test's own media peers
MOS_EXAMPLE_CONFIG = os.path.join(REPO_ROOT, "examples", "kamailio-mos.cfg")
UAC_SCRIPTED_SCENARIO = os.path.join(SCENARIO_DIR, "uac_scripted_media.xml")
UAS_SCRIPTED_SCENARIO = os.path.join(SCENARIO_DIR, "uas_scripted_media.xml")

PROXY_ADDRESS = "127.0.0.1"
CALLEE_ADDRESS = "127.0.0.1"
CALLER_ADDRESS = "127.0.0.2"

# sipp's exit status when it cannot bind a socket (its "fatal socket error" code, -2).
SIPP_EXIT_BIND_FAILED = 254
# How long sipp may live at most: bounds a call that hangs (Kamailio or relay silent).
SIPP_LIFETIME_SECONDS = 30
START_ATTEMPTS = 3


class StartError(RuntimeError):
    """A helper process could not be started (after retries)."""


# ---------------------------------------------------------------- small helpers

def render_kamailio_config(template, defines):
    """The config text with each `#!define NAME value` line named in `defines` replaced by
    `#!define NAME <new value>`. Raises KeyError when the template lacks one of them, so a
    renamed setting in the example breaks the test loudly instead of being ignored."""
    text = template
    for name, value in defines.items():
        pattern = re.compile(r"^#!define %s\b.*$" % re.escape(name), re.MULTILINE)
        text, count = pattern.subn(lambda _match: "#!define %s %s" % (name, value), text)
        if count == 0:
            raise KeyError("example config has no '#!define %s'" % name)
    return text


def _socket_inodes(pid):
    """Inodes of the sockets process `pid` holds open (empty when it is gone)."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return inodes
    for name in names:
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _proc_ipv4_address(hex_address):
    """"0100007F:1F90" (as in /proc/net/udp) -> ("127.0.0.1", 8080)."""
    host, port = hex_address.split(":")
    octets = bytes.fromhex(host)[::-1]
    return ".".join(str(octet) for octet in octets), int(port, 16)


def udp_sockets_of(pid):
    """The IPv4 (address, port) pairs process `pid` has bound UDP sockets to."""
    inodes = _socket_inodes(pid)
    bound = set()
    if not inodes:
        return bound
    with open("/proc/net/udp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if len(fields) > 9 and fields[9] in inodes:
                bound.add(_proc_ipv4_address(fields[1]))
    return bound


def sdp_media_endpoint(message, media="audio"):
    """(address, port) of the first m=`media` section of the SDP in a SIP `message`:
    the media-level c= if present, else the session-level one (RFC 4566 section 5.7).
    None when the message has no such section."""
    _head, _sep, body = message.partition("\r\n\r\n")
    if not _sep:
        _head, _sep, body = message.partition("\n\n")
    session_address = None
    media_address = None
    port = None
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("m="):
            if port is not None:
                break
            fields = line[2:].split()
            if len(fields) >= 2 and fields[0] == media:
                port = int(fields[1].split("/")[0])
        elif line.startswith("c="):
            fields = line[2:].split()
            if len(fields) >= 3:
                if port is None:
                    session_address = fields[2].split("/")[0]
                else:
                    media_address = fields[2].split("/")[0]
    if port is None:
        return None
    return media_address or session_address, port


def sip_header(message, name):
    """The value of the first header `name` in a SIP message, or None."""
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    for line in head.splitlines()[1:]:
        header, sep, value = line.partition(":")
        if sep and header.strip().lower() == name.lower():
            return value.strip()
    return None


# ---------------------------------------------------------------- processes

class Kamailio(ManagedProcess):
    """Kamailio on PROXY_ADDRESS:port running a config rendered from the example."""

    def __init__(self, argv, log_path, cwd, port, config_path):
        super().__init__(argv, log_path, name="kamailio", cwd=cwd)
        self.address = PROXY_ADDRESS
        self.port = port
        self.config_path = config_path

    def answers_options(self, timeout=0.3):
        """True when an OPTIONS for the proxy itself gets a 200 (the example's health
        check): Kamailio is listening and its workers run the routing script."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((PROXY_ADDRESS, 0))
            local_port = sock.getsockname()[1]
            call_id = os.urandom(6).hex()
            request = (
                "OPTIONS sip:%s:%d SIP/2.0\r\n"
                "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n"
                "From: <sip:probe@%s:%d>;tag=%s\r\n"
                "To: <sip:%s:%d>\r\n"
                "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n"
                % (self.address, self.port, PROXY_ADDRESS, local_port, call_id,
                   PROXY_ADDRESS, local_port, call_id, self.address, self.port, call_id))
            sock.sendto(request.encode(), (self.address, self.port))
            sock.settimeout(timeout)
            try:
                reply, _source = sock.recvfrom(65535)
            except socket.timeout:
                return False
            return reply.startswith(b"SIP/2.0 200")


class Sipp(ManagedProcess):
    """One sipp instance playing one scenario for one call."""

    def __init__(self, role, argv, log_path, cwd, address, sip_port, media_port,
                 message_log):
        super().__init__(argv, log_path, name="sipp " + role, cwd=cwd)
        self.role = role
        self.address = address
        self.sip_port = sip_port
        self.media_port = media_port
        self.message_log = message_log

    def messages(self, direction="received"):
        """SIP messages sipp logged (-trace_msg) as `direction` ("received"/"sent")."""
        try:
            with open(self.message_log, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return []
        found = []
        # Each entry: a dashed separator line with a timestamp, then "UDP message
        # received [N] bytes :" or "UDP message sent (N bytes):", a blank line, the message.
        for entry in re.split(r"^-{10,}[^\n]*\n", text, flags=re.MULTILINE):
            title, _sep, message = entry.partition("\n")
            if direction in title and "message" in title:
                found.append(message.strip("\r\n") + "\r\n")
        return found

    def received_request(self, method):
        for message in self.messages("received"):
            if message.startswith(method + " "):
                return message
        return None

    def received_response(self, code, cseq_method):
        for message in self.messages("received"):
            cseq = sip_header(message, "CSeq") or ""
            if message.startswith("SIP/2.0 %d" % code) and cseq.endswith(" " + cseq_method):
                return message
        return None


class Capture(ManagedProcess):
    """dumpcap on lo with a BPF filter, writing a pcapng file."""

    def __init__(self, argv, log_path, cwd, path):
        super().__init__(argv, log_path, name="dumpcap", cwd=cwd)
        self.path = path

    def udp_packets(self):
        """[(source address, source port, destination address, destination port)] of the
        UDP packets captured; call after stop()."""
        result = subprocess.run([TSHARK_BINARY, "-n", "-r", self.path, "-Y", "udp", "-T",
                                 "fields", "-e", "ip.src", "-e", "udp.srcport", "-e",
                                 "ip.dst", "-e", "udp.dstport"],
                                capture_output=True, text=True, timeout=30, check=False)
        packets = []
        for line in result.stdout.splitlines():
            fields = line.split("\t")
            if len(fields) == 4 and all(fields):
                packets.append((fields[0], int(fields[1]), fields[2], int(fields[3])))
        return packets


# ---------------------------------------------------------------- the harness

class SipHarness:
    """Starts and stops Kamailio, sipp and dumpcap for one test in `workdir`."""

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.processes = []
        self._starts = 0

    def _path(self, name):
        self._starts += 1
        return os.path.join(self.workdir, "%02d-%s" % (self._starts, name))

    def _track(self, process):
        self.processes.append(process)
        return process

    def start_kamailio(self, rtpengine_ng_port, downstream_address, downstream_port,
                       ready_timeout=10, rtpengine_flags=None, config=None):
        """Kamailio relaying to downstream_address:port with the relay at ng port
        `rtpengine_ng_port` on 127.0.0.1. Start the relay first (see the example).
        `config`: the example to run (kamailio-relay.cfg, kamailio-webrtc.cfg; default the
        module's EXAMPLE_CONFIG, read at call time so a test may swap it);
        rtpengine_flags replaces its RTPENGINE_FLAGS (a quoted string)."""
        with open(config or EXAMPLE_CONFIG) as handle:
            template = handle.read()
        failures = []
        for _attempt in range(START_ATTEMPTS):
            port = free_udp_port(PROXY_ADDRESS)
            config = render_kamailio_config(template, {
                "LISTEN_SOCKET": "udp:%s:%d" % (PROXY_ADDRESS, port),
                "RTPENGINE_SOCKET": '"udp:127.0.0.1:%d"' % rtpengine_ng_port,
                "DOWNSTREAM_URI": '"sip:%s:%d"' % (downstream_address, downstream_port),
                **({"RTPENGINE_FLAGS": rtpengine_flags} if rtpengine_flags else {}),
            })
            config_path = self._path("kamailio.cfg")
            with open(config_path, "w") as handle:
                handle.write(config)
            run_dir = self._path("kamailio-run")
            os.mkdir(run_dir)
            argv = [KAMAILIO_BINARY, "-f", config_path, "-DD", "-E", "-w", run_dir,
                    "-Y", run_dir, "-m", "32", "-M", "4"]
            kamailio = self._track(Kamailio(argv, self._path("kamailio.log"), self.workdir,
                                            port, config_path))
            ready = wait_until(lambda: not kamailio.alive() or kamailio.answers_options(),
                               ready_timeout, interval=0)
            if ready and kamailio.alive():
                return kamailio
            kamailio.stop()
            failures.append(kamailio.describe())
        raise StartError("Kamailio did not start:\n" + "\n".join(failures))

    def _start_sipp(self, role, scenario, address, extra_args, ready_timeout=5):
        """sipp on `address` with fresh SIP, media and control ports; returns once its
        SIP and media sockets are bound (so a bind race shows as a quick retry)."""
        failures = []
        for _attempt in range(START_ATTEMPTS):
            sip_port = free_udp_port(address)
            control_port = free_udp_port(address)
            # sipp binds audio RTP on the media port and video on media port + 2.
            media_port, _last = free_port_range([address], 4)
            message_log = self._path("sipp-%s-messages.log" % role)
            argv = [SIPP_BINARY] + list(extra_args) + [
                "-sf", scenario, "-i", address, "-p", str(sip_port), "-bind_local",
                "-mi", address, "-mp", str(media_port), "-ci", address,
                "-cp", str(control_port), "-m", "1", "-nostdin",
                "-timeout", "%ds" % SIPP_LIFETIME_SECONDS, "-timeout_error",
                "-trace_msg", "-message_file", message_log]
            sipp = self._track(Sipp(role, argv, self._path("sipp-%s.log" % role),
                                    self.workdir, address, sip_port, media_port,
                                    message_log))
            wanted = {(address, sip_port), (address, media_port)}
            wait_until(lambda: not sipp.alive() or wanted <= udp_sockets_of(sipp.pid),
                       ready_timeout)
            if sipp.alive() or sipp.process.returncode != SIPP_EXIT_BIND_FAILED:
                return sipp
            failures.append(sipp.describe())
        raise StartError("sipp %s did not start:\n%s" % (role, "\n".join(failures)))

    def start_uas(self, scenario=UAS_SCENARIO, extra_args=()):
        """The callee on CALLEE_ADDRESS for one call; RTP arriving on its media port is
        echoed to the sender (-rtp_echo). Default scenario: answer, wait for BYE.
        extra_args: more sipp arguments (-key NAME VALUE for a scenario's [NAME])."""
        return self._start_sipp("uas", scenario, CALLEE_ADDRESS, ["-rtp_echo"] + list(extra_args))

    def start_uac(self, proxy, hold_ms=1000, scenario=UAC_SCENARIO, extra_args=()):
        """The caller on CALLER_ADDRESS: one call through `proxy` (a Kamailio). Default
        scenario: play g711a.pcap, hang up `hold_ms` milliseconds after the ACK."""
        return self._start_sipp("uac", scenario, CALLER_ADDRESS,
                                ["%s:%d" % (proxy.address, proxy.port), "-s", "callee",
                                 "-d", str(hold_ms)] + list(extra_args))

    def start_capture(self, bpf_filter, ready_timeout=10):
        """dumpcap on lo; returns once it reports capturing."""
        path = self._path("capture.pcapng")
        argv = [DUMPCAP_BINARY, "-i", "lo", "-f", bpf_filter, "-w", path, "-q"]
        capture = self._track(Capture(argv, self._path("dumpcap.log"), self.workdir, path))
        if not wait_until(lambda: not capture.alive() or "Capturing on" in capture.log_text(),
                          ready_timeout) or not capture.alive():
            capture.stop()
            raise StartError("dumpcap did not start:\n" + capture.describe())
        return capture

    def stop_capture(self, capture):
        """Stop dumpcap the way it expects (SIGINT), so it finishes the file."""
        capture.stop(signal.SIGINT)

    def diagnostics(self):
        """The end of every process's output, for assertion messages."""
        return "\n".join(process.describe() for process in self.processes)

    def stop_all(self):
        for process in reversed(self.processes):
            process.stop()
