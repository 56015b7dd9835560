"""utils/rtpengine-ng-client with upstream's option spellings (the Perl rtpengine-ng-client of
Debian's rtpengine-utils 10.5): the same command line through both clients must send the same
request dictionary to a UDP socket the test owns."""

import os
import subprocess

import pytest

from ngclient import bdecode
from test_ng_client import CLIENT, RUN_LIMIT, FakeDaemon, assert_no_sanitizer_report

UPSTREAM_CLIENT = "/usr/bin/rtpengine-ng-client"

pytestmark = pytest.mark.skipif(not os.access(CLIENT, os.X_OK), reason="%s is not built" % CLIENT)

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"

# Command lines scripts use, in upstream's spellings.
COMMAND_LINES = [
    ["ping"],
    ["--call-id=c1", "--from-tag=ft", "--sdp", SDP, "--trust-address", "--replace-origin",
     "--replace-session-connection", "--ICE=remove", "--protocol=RTP/AVP", "offer"],
    ["--call-id", "c1", "--from-tag", "ft", "--to-tag", "tt", "--sdp=" + SDP, "--symmetric",
     "--strict-source", "--rtcp-mux=demux", "--rtcp-mux=accept", "--SDES=off", "--direction=internal,external",
     "--delete-delay=5", "--TOS=184", "--media-address=127.0.0.1", "--address-family=IP4", "answer"],
    ["--call-id=c1", "--flags=fatal", "--flags=other", "--loop-protect", "--record-call", "delete"],
    ["--call-id=c1", "--codec-strip=PCMA", "--codec-strip=G722", "--codec-offer=PCMU", "--sdp=" + SDP,
     "--generate-mid", "--pad-crypto", "--DTLS=passive", "offer"],
    ["--call-id=c1", "--codec-options-flat", "--codec-mask=opus", "--sdp=" + SDP, "--SIPREC", "offer"],
    ["--call-id=c1", "--from-tag=ft", "--label=caller", "--metadata=a:b", "--all", "--received-from=IP4",
     "--received-from=127.0.0.9", "query"],
    ["--call-id=c1", "--from-tag=ft", "--blob=hello", "--DTMF-delay=10", "--digit=5", "--volume=-8",
     "play DTMF"],
]


def request_of(program, args):
    """The dictionary the client sends (the fake daemon answers nothing; the client times out)."""
    fake = FakeDaemon()
    try:
        process = subprocess.Popen([program, "--proxy-address=127.0.0.1", "--proxy-port=%d" % fake.port] + args,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _, _, payload, _ = fake.receive()
        finally:
            process.kill()
            _, stderr = process.communicate(timeout=RUN_LIMIT)
        if program == CLIENT:
            assert_no_sanitizer_report(stderr)
        return bdecode(payload)
    finally:
        fake.close()


def normalised(request):
    """Upstream's Perl client leaves the order of keys to Perl's hash; compare as sets."""
    return {key: (sorted(value) if key == "flags" else value) for key, value in request.items()}


@pytest.mark.parametrize("args", COMMAND_LINES, ids=[" ".join(a)[:60] for a in COMMAND_LINES])
def test_same_request_as_upstream_client(args):
    if not os.access(UPSTREAM_CLIENT, os.X_OK):
        pytest.skip("Debian's rtpengine-utils is not installed")
    ours = request_of(CLIENT, args)
    theirs = request_of(UPSTREAM_CLIENT, args)
    assert normalised(ours) == normalised(theirs)


def test_upstream_options_reach_the_daemon(rtpengine):
    """--proxy-port and --call-id against a real daemon: a call is set up and found."""
    def run(*args):
        result = subprocess.run([CLIENT, "--proxy-address=127.0.0.1", "--proxy-port=%d" % rtpengine.ng_port]
                                + list(args), capture_output=True, text=True, timeout=RUN_LIMIT)
        assert_no_sanitizer_report(result.stderr)
        return result
    result = run("--call-id=up-1", "--from-tag=ft", "--sdp=" + SDP, "--replace-origin", "offer")
    assert result.returncode == 0, result.stderr
    assert "m=audio" in result.stdout
    assert run("--call-id=up-1", "query").returncode == 0
    assert run("--call-id=up-1", "--flags=fatal", "delete").returncode == 0
    result = run("-v", "ping")
    assert result.returncode == 0 and "command: ping" in result.stdout, result.stdout
    assert run("--call-id").returncode == 2
