"""A real browser against the relay: headless Chromium (tests/e2e/webrtc_harness.py) in a
network namespace of the test's own with only loopback, its page served on loopback, its
microphone a wav with a known tone; the other side a plain RTP/AVP phone in the test.
Skipped with the reason when Chromium (or sox, python3-websocket, root) is missing."""

import re

import pytest

from calls import Call, Sdp, assert_ok, simple_sdp, wait_until
from conftest import IS_UPSTREAM
from webrtc_harness import Chromium, NetworkNamespace, PageServer, PhoneEndpoint, make_tone_wav, missing_tools

_missing = missing_tools()
pytestmark = [pytest.mark.skipif(_missing is not None, reason=_missing or ""),
              pytest.mark.skipif(IS_UPSTREAM, reason="drives our daemon's own ICE agent")]

BROWSER_TONE, PHONE_TONE = 660, 1000
# a syntactically valid SHA-256 fingerprint, for the ICE-only test where no DTLS happens
DUMMY_FINGERPRINT = "sha-256 " + ":".join(["AB"] * 32)


@pytest.fixture
def webrtc(tmp_path, rtpengine_factory):
    """(daemon, page, server): all inside one fresh network namespace."""
    wav = make_tone_wav(tmp_path / "tone.wav", BROWSER_TONE)
    with NetworkNamespace():
        server = PageServer()
        try:
            with Chromium(tmp_path, wav) as browser:
                daemon = rtpengine_factory()
                page = browser.open_page(server.url)
                try:
                    yield daemon, page
                finally:
                    page.close()
        finally:
            server.close()


def _ice_only_for_browser(sdp):
    """The relay's plain-RTP SDP dressed as DTLS-SRTP so that Chromium accepts it (the ICE
    test needs no working DTLS: only the ICE layer is looked at)."""
    sdp = sdp.replace(" RTP/AVP ", " UDP/TLS/RTP/SAVPF ")
    lines = [line for line in sdp.split("\r\n") if line]
    out = []
    for line in lines:
        out.append(line)
        if line.startswith("m="):
            out += ["a=mid:0", "a=fingerprint:" + DUMMY_FINGERPRINT, "a=setup:actpass"]
    return "\r\n".join(out) + "\r\n"


def _ice_only_for_relay(sdp):
    """The browser's answer without its DTLS attributes, as plain RTP/AVPF."""
    sdp = sdp.replace(" UDP/TLS/RTP/SAVPF ", " RTP/AVPF ")
    lines = [line for line in sdp.split("\r\n")
             if line and not re.match(r"a=(fingerprint|setup|group|extmap-allow-mixed|msid-semantic)", line)]
    return "\r\n".join(lines) + "\r\n"


def test_chromium_ice_connects_with_relay_as_controlling_agent(webrtc):
    """Phone calls browser: the relay offers ICE (ICE=force) and so controls; its checks
    reach Chromium, it nominates, and Chromium's getStats shows the pair succeeded."""
    daemon, page = webrtc
    phone = PhoneEndpoint(tone=PHONE_TONE)
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(simple_sdp("127.0.0.1", phone.port),
                                     {"ICE": "force", "rtcp-mux": ["offer"]}))["sdp"]
        assert "a=candidate:" in offer
        page.call("setup", "balanced", "PCMU")
        answer = page.call("takeOffer", _ice_only_for_browser(offer))
        assert_ok(call.answer(_ice_only_for_relay(answer), {"ICE": "remove"}))

        def nominated_pair():
            summary = page.call("summary")
            return [p for p in summary["pairs"] if p["state"] == "succeeded" and p["nominated"]]
        pairs = wait_until(nominated_pair, 10.0, interval=0.2)
        assert pairs, "Chromium saw no nominated, succeeded pair: %s" % page.call("summary")
        assert pairs[0]["requestsReceived"] > 0, "the relay sent no checks of its own"
        assert daemon.wait_for_log(r"ICE: media \d+ component 1 selected pair .*we nominated", 2.0)
    finally:
        phone.close()


def test_chromium_ice_connects_with_relay_as_controlled_agent(webrtc):
    """Browser calls phone: Chromium offers and controls; it nominates a pair with the
    relay, which answers, checks back and takes the nomination."""
    daemon, page = webrtc
    phone = PhoneEndpoint(tone=PHONE_TONE)
    try:
        call = Call(daemon)
        page.call("setup", "balanced", "PCMU")
        offer = page.call("makeOffer")
        relayed = assert_ok(call.offer(_ice_only_for_relay(offer),
                                       {"ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]}))["sdp"]
        assert "a=candidate" not in relayed
        answer = assert_ok(call.answer(simple_sdp("127.0.0.1", phone.port), {"ICE": "force"}))["sdp"]
        assert "a=candidate:" in answer and "a=rtcp-mux" in answer
        browser_answer = _ice_only_for_browser(answer).replace("a=setup:actpass", "a=setup:active")
        page.call("takeAnswer", browser_answer)

        def nominated_pair():
            summary = page.call("summary")
            return [p for p in summary["pairs"] if p["state"] == "succeeded" and p["nominated"]]
        pairs = wait_until(nominated_pair, 10.0, interval=0.2)
        assert pairs, "Chromium saw no nominated, succeeded pair: %s" % page.call("summary")
        assert pairs[0]["requestsReceived"] > 0, "the relay sent no checks of its own"
        assert daemon.wait_for_log(r"ICE: media \d+ component 1 selected pair .*peer nominated", 2.0)
    finally:
        phone.close()
