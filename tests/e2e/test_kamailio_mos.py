"""Call quality through Kamailio 5.6 (examples/kamailio-mos.cfg): sipp sets up and ends the
call, the test's scripted peers (rtcp_traffic.py) send the media, RTP and RTCP with 0%, 5%
and 20% loss and up to 10 ms of added jitter, and Kamailio's rtpengine module reads the
relay's delete reply into its mos_*_pv variables, which the example logs.

    sipp UAC 127.0.0.2 --SIP--> Kamailio 127.0.0.1 --SIP--> sipp UAS 127.0.0.1
    scripted caller 127.0.0.2 <--RTP/RTCP--> relay 127.0.0.3 <--RTP/RTCP--> scripted callee

Proves: the values Kamailio logs are the relay's (a clean call about 4.4, falling with
loss), per side through the labels, and the same calls through Debian's 10.5 give the same
figures within 0.1."""

import os
import re

import pytest

from conftest import IS_UPSTREAM, REFERENCE_BINARY
from rtp import MediaPeer
from sip_harness import (CALLEE_ADDRESS, CALLER_ADDRESS, KAMAILIO_BINARY, MOS_EXAMPLE_CONFIG,
                         SIPP_BINARY, UAC_SCRIPTED_SCENARIO, UAS_SCRIPTED_SCENARIO, SipHarness,
                         sdp_media_endpoint, wait_until)
import rtcp_traffic

RELAY_ADDRESS = "127.0.0.3"
# the caller hangs up this long after the ACK: after the scripted media has ended
HOLD_MS = int(rtcp_traffic.CALL_SECONDS * 1000) + 2000
CALLER_SSRC = 0x11111111
CALLEE_SSRC = 0x22222222

MOS_LINE = re.compile(
    r"MOS call=(?P<call>\S+) average=(?P<average>\S+) min=(?P<min>\S+) \(at (?P<min_at>\S+)\) "
    r"max=(?P<max>\S+) \(at (?P<max_at>\S+)\) samples=(?P<samples>\S+) loss=(?P<loss>\S+) "
    r"jitter=(?P<jitter>\S+) rtt=(?P<rtt>\S+) caller=(?P<caller>\S+) callee=(?P<callee>\S+)")

pytestmark = pytest.mark.skipif(
    not (os.access(KAMAILIO_BINARY, os.X_OK) and os.access(SIPP_BINARY, os.X_OK)),
    reason="needs Kamailio (%s) and sipp (%s)" % (KAMAILIO_BINARY, SIPP_BINARY))


@pytest.fixture
def sip_harness(tmp_path):
    harness = SipHarness(tmp_path)
    yield harness
    harness.stop_all()


def mos_call_through_kamailio(rtpengine_factory, harness, loss, binary=None):
    """One call; returns the values of the example's MOS log line (strings, as logged)."""
    relay = rtpengine_factory(interfaces=(RELAY_ADDRESS,), binary=binary)
    caller, callee = MediaPeer(CALLER_ADDRESS), MediaPeer(CALLEE_ADDRESS)
    try:
        uas = harness.start_uas(UAS_SCRIPTED_SCENARIO, ["-key", "scripted_media_port", str(callee.port)])
        kamailio = harness.start_kamailio(relay.ng_port, uas.address, uas.sip_port,
                                          config=MOS_EXAMPLE_CONFIG)
        uac = harness.start_uac(kamailio, HOLD_MS, UAC_SCRIPTED_SCENARIO,
                                ["-key", "scripted_media_port", str(caller.port)])
        answer = wait_until(lambda: uac.received_response(200, "INVITE"), 10)
        invite = uas.received_request("INVITE")
        assert answer and invite, harness.diagnostics()
        relay_for_caller, relay_for_callee = sdp_media_endpoint(answer), sdp_media_endpoint(invite)
        assert relay_for_caller[0] == RELAY_ADDRESS and relay_for_callee[0] == RELAY_ADDRESS
        parties = [rtcp_traffic.Party(caller, CALLER_SSRC, relay_for_caller, loss, 10, 1),
                   rtcp_traffic.Party(callee, CALLEE_SSRC, relay_for_callee, loss, 10, 2)]
        rtcp_traffic.play_call(parties)
        assert parties[1].receiver.received > 100 and parties[0].receiver.received > 100, \
            "media did not flow through the relay\n" + harness.diagnostics()
        assert (uac.wait(HOLD_MS / 1000 + 15), uas.wait(10)) == (0, 0), harness.diagnostics()
        line = wait_until(lambda: MOS_LINE.search(kamailio.log_text()), 5)
        assert line, "no MOS line in Kamailio's log\n" + harness.diagnostics()
        kamailio.stop()
        errors = re.findall(r"^.*\bERROR:.*$", kamailio.log_text(), re.MULTILINE)
        assert not errors, "\n".join(errors)
        harness.stop_all()
        return line.groupdict()
    finally:
        caller.close()
        callee.close()


@pytest.mark.parametrize("loss, low, high", [
    (0.0, 4.3, 4.4),
    (0.05, 3.7, 4.2),
    (0.20, 1.5, 2.6),
], ids=["0%", "5%", "20%"])
def test_kamailio_logs_the_relays_mos(rtpengine_factory, sip_harness, loss, low, high):
    values = mos_call_through_kamailio(rtpengine_factory, sip_harness, loss)
    for key in ("average", "min", "max", "caller", "callee"):
        assert values[key] != "<null>", values
    assert low <= float(values["average"]) <= high, values
    assert float(values["min"]) <= float(values["average"]) <= float(values["max"]), values
    for side in ("caller", "callee"):
        assert low <= float(values[side]) <= high, values
    assert int(values["samples"]) >= 2, values
    # loopback: a round trip of a few milliseconds (microseconds as logged)
    assert 0 < int(values["rtt"]) < 20000, values


@pytest.mark.skipif(not os.access(REFERENCE_BINARY, os.X_OK) or IS_UPSTREAM,
                    reason="Debian's rtpengine 10.5 (%s) is not installed, or is the daemon under "
                    "test" % REFERENCE_BINARY)
@pytest.mark.parametrize("loss", [0.0, 0.05, 0.20], ids=["0%", "5%", "20%"])
def test_kamailio_mos_as_debian_10_5(rtpengine_factory, tmp_path, loss):
    """The same call through this relay and through 10.5: Kamailio logs the same MOS (per
    side and overall) within 0.1."""
    results = []
    for name, binary in (("ours", None), ("10.5", REFERENCE_BINARY)):
        harness = SipHarness(tmp_path / name)
        os.makedirs(str(tmp_path / name))
        try:
            results.append(mos_call_through_kamailio(rtpengine_factory, harness, loss, binary))
        finally:
            harness.stop_all()
    ours, theirs = results
    for key in ("average", "caller", "callee"):
        assert abs(float(ours[key]) - float(theirs[key])) <= 0.1 + 1e-9, (ours, theirs)
