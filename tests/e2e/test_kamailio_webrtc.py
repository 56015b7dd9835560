"""A browser-like SDP through Kamailio 5.6 (examples/kamailio-webrtc.cfg) and the relay:

    sipp UAC 127.0.0.2 (a browser's SDP: ICE, DTLS fingerprint, setup, rtcp-mux, BUNDLE)
        --SIP--> Kamailio 127.0.0.1 --SIP--> sipp UAS 127.0.0.1 (a plain RTP/AVP phone)

Proves the example's flags: the phone gets plain RTP/AVP without ICE or DTLS attributes, and
the browser's answer carries the relay's candidates, ICE credentials, fingerprint and setup,
rtcp-mux and the offer's mid and BUNDLE group, in UDP/TLS/RTP/SAVPF. sipp speaks no DTLS, so
media is not checked here (tests/e2e/test_webrtc.py does that with Chromium)."""

import os

import pytest

from sip_harness import CALLER_ADDRESS, REPO_ROOT, KAMAILIO_BINARY, SCENARIO_DIR, SipHarness, sip_header, wait_until
from conftest import IS_UPSTREAM

RELAY_ADDRESS = "127.0.0.3"
WEBRTC_CONFIG = os.path.join(REPO_ROOT, "examples", "kamailio-webrtc.cfg")
UAC_WEBRTC_SCENARIO = os.path.join(SCENARIO_DIR, "uac_webrtc_sdp.xml")

pytestmark = pytest.mark.skipif(not os.access(KAMAILIO_BINARY, os.X_OK), reason="kamailio is not installed")


@pytest.fixture
def sip_harness(tmp_path):
    harness = SipHarness(tmp_path)
    yield harness
    harness.stop_all()


def _body(message):
    return message.split("\r\n\r\n", 1)[1] if message else ""


def _attributes(body):
    return [line[2:] for line in body.split("\r\n") if line.startswith("a=")]


@pytest.mark.skipif(IS_UPSTREAM, reason="10.5 answers without the BUNDLE group")
def test_browser_sdp_through_kamailio(rtpengine_factory, sip_harness):
    relay = rtpengine_factory(interfaces=(RELAY_ADDRESS,))
    uas = sip_harness.start_uas()
    kamailio = sip_harness.start_kamailio(relay.ng_port, uas.address, uas.sip_port, config=WEBRTC_CONFIG)
    uac = sip_harness.start_uac(kamailio, 1000, scenario=UAC_WEBRTC_SCENARIO)
    assert uac.wait(20) == 0 and uas.wait(10) == 0, sip_harness.diagnostics()
    invite = uas.received_request("INVITE")
    answer = uac.received_response(200, "INVITE")
    assert invite and answer, sip_harness.diagnostics()

    towards_phone = _body(invite)
    assert "m=audio " in towards_phone and " RTP/AVP " in towards_phone, towards_phone
    phone_attributes = _attributes(towards_phone)
    for browser_only in ("candidate:", "ice-", "fingerprint:", "setup:", "rtcp-mux", "group:BUNDLE"):
        assert not [a for a in phone_attributes if a.startswith(browser_only)], (browser_only, towards_phone)
    assert "c=IN IP4 %s" % RELAY_ADDRESS in towards_phone
    assert CALLER_ADDRESS not in towards_phone

    towards_browser = _body(answer)
    attributes = _attributes(towards_browser)
    assert " UDP/TLS/RTP/SAVPF " in towards_browser, towards_browser
    candidates = [a for a in attributes if a.startswith("candidate:")]
    assert candidates and all(" %s " % RELAY_ADDRESS in c and " typ host" in c for c in candidates), candidates
    assert [a for a in attributes if a.startswith("ice-ufrag:")]
    assert [a for a in attributes if a.startswith("ice-pwd:")]
    assert [a for a in attributes if a.startswith("fingerprint:sha-256 ")]
    assert [a for a in attributes if a.startswith("setup:")] in (["setup:passive"], ["setup:active"])
    assert "rtcp-mux" in attributes and "mid:0" in attributes and "group:BUNDLE 0" in attributes
    assert sip_header(answer, "Call-ID") == sip_header(invite, "Call-ID")


def test_webrtc_example_passes_kamailio_check(tmp_path):
    """The example as shipped parses (kamailio -c loads every module, checks the script)."""
    import subprocess
    result = subprocess.run([KAMAILIO_BINARY, "-c", "-f", WEBRTC_CONFIG], capture_output=True, text=True,
                            timeout=30, cwd=str(tmp_path), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
