"""A real browser against the relay: headless Chromium (tests/e2e/webrtc_harness.py) in a
network namespace of the test's own with only loopback, its page served on loopback, its
microphone a wav with a known tone; the other side a plain RTP/AVP phone in the test.
Skipped with the reason when Chromium (or sox, python3-websocket, root) is missing."""

import re

import pytest

from calls import Call, Sdp, assert_ok, make_sdp, media_section, simple_sdp, wait_until
from conftest import IS_UPSTREAM
from webrtc_harness import Chromium, NetworkNamespace, PageServer, PhoneEndpoint, make_tone_wav, missing_tools

_missing = missing_tools()
pytestmark = [pytest.mark.skipif(_missing is not None, reason=_missing or ""),
              pytest.mark.skipif(IS_UPSTREAM, reason="drives our daemon's own ICE agent"),
              pytest.mark.slow]   # a browser per test: 4-7 s each

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


@pytest.fixture
def two_browsers(tmp_path, rtpengine_factory):
    """(daemon, page, page): two tabs of one Chromium, each its own RTCPeerConnection."""
    wav = make_tone_wav(tmp_path / "tone.wav", BROWSER_TONE)
    with NetworkNamespace():
        server = PageServer()
        try:
            with Chromium(tmp_path, wav) as browser:
                daemon = rtpengine_factory()
                first = browser.open_page(server.url)
                second = browser.open_new_page(server.url)
                try:
                    yield daemon, first, second
                finally:
                    second.close()
                    first.close()
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


# ---------------------------------------------------------------- media with DTLS-SRTP

OPUS_ATTRIBUTES = ("rtpmap:111 opus/48000/2", "fmtp:111 minptime=10;useinbandfec=1", "sendrecv")


def _phone_sdp(phone, codec):
    if codec == "opus":
        return make_sdp("127.0.0.1", media_section(phone.port, payload_types=(111,), attributes=OPUS_ATTRIBUTES))
    return simple_sdp("127.0.0.1", phone.port)


def _wait_for_media(page, phone, codec, expect_browser_hears):
    """Waits until Chromium's DTLS is connected and audio flows both ways; returns the last
    getStats() summary."""
    def flowing():
        summary = page.call("summary")
        connected = any(t["dtlsState"] == "connected" for t in summary["transports"])
        received = sum(i["packetsReceived"] or 0 for i in summary["inbound"] if i["kind"] == "audio")
        return summary if connected and received > 100 and len(phone.received) > 100 else None
    summary = wait_until(flowing, 20.0, interval=0.25)
    assert summary, "no media both ways: %s, phone got %d packets" % (page.call("summary"), len(phone.received))
    # the tones: the page analyses what it plays, the phone decodes PCMU itself
    frequency = wait_until(lambda: (lambda f: f if abs(f - expect_browser_hears) < 30 else None)(
        page.call("peakFrequency")), 10.0, interval=0.25)
    assert frequency, "the browser does not hear %d Hz but %s" % (expect_browser_hears, page.call("peakFrequency"))
    if codec == "pcmu":
        heard = phone.received_frequency()
        assert abs(heard - BROWSER_TONE) < 30, "the phone hears %d Hz, not the browser's %d" % (heard, BROWSER_TONE)
    else:
        assert all(pt == 111 for pt, _ in phone.received[-50:]), "Opus from the browser"
    summary = page.call("summary")
    assert all(t["srtpCipher"] for t in summary["transports"] if t["dtlsState"] == "connected")
    assert all((i["packetsLost"] or 0) < 25 for i in summary["inbound"]), summary
    return summary


def _assert_relay_clean(daemon, call):
    """No SRTP authentication failure on our side (Chromium counts none in getStats), and the
    browser-facing stream selected by ICE."""
    totals = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
    assert totals["droppedsrtp"] == 0, totals
    tags = assert_ok(call.query())["tags"]
    states = [stream.get("ICE", "") for tag in tags.values() for media in tag["medias"]
              for stream in media["streams"]]
    assert any(" succeeded, selected 127.0.0.1:" in state and state.endswith("consent ok") for state in states), states


@pytest.mark.parametrize("bundle_policy", ["balanced", "max-bundle"])
@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_browser_calls_phone(webrtc, codec, bundle_policy):
    daemon, page = webrtc
    # Opus: the test cannot encode it, so the phone echoes and the browser hears its own tone
    phone = PhoneEndpoint(tone=PHONE_TONE, echo=codec == "opus")
    try:
        call = Call(daemon)
        page.call("setup", bundle_policy, "PCMU" if codec == "pcmu" else "opus")
        offer = page.call("makeOffer")
        towards_phone = Sdp(assert_ok(call.offer(offer, {"ICE": "remove", "transport-protocol": "RTP/AVP",
                                                           "rtcp-mux": ["demux"]}))["sdp"])
        media = towards_phone.medias[0]
        assert media.protocol == "RTP/AVP"
        assert not [a for a in media.attributes if a.startswith(("candidate", "fingerprint", "ice-"))]
        answer = assert_ok(call.answer(_phone_sdp(phone, codec), {"ICE": "force"}))["sdp"]
        for needed in ("a=fingerprint:", "a=setup:", "a=rtcp-mux", "a=candidate:", "a=mid:", "UDP/TLS/RTP/SAVPF",
                       "a=group:BUNDLE "):
            assert needed in answer, "answer to the browser lacks %s" % needed
        page.call("takeAnswer", answer)
        phone.start(towards_phone.media_address())
        _wait_for_media(page, phone, codec, PHONE_TONE if codec == "pcmu" else BROWSER_TONE)
        assert daemon.wait_for_log(r"ICE: media \d+ component 1 selected pair", 1.0)
        _assert_relay_clean(daemon, call)
    finally:
        phone.close()


@pytest.mark.parametrize("bundle_policy", ["balanced", "max-bundle"])
def test_browser_with_data_channel_calls_phone(webrtc, bundle_policy):
    """Chromium offers audio and a data channel in one BUNDLE group. The relay terminates that
    group's DTLS but not SCTP, so it rejects the data channel's m= line (port 0) towards the
    phone and in the answer (RFC 8843 section 7.3.3): Chromium takes the answer, its data
    channel never opens, and the audio works both ways."""
    daemon, page = webrtc
    phone = PhoneEndpoint(tone=PHONE_TONE)
    try:
        call = Call(daemon)
        page.call("setup", bundle_policy, "PCMU")
        page.call("addDataChannel")
        offer = page.call("makeOffer")
        assert "m=application " in offer and "UDP/DTLS/SCTP" in offer
        towards_phone = Sdp(assert_ok(call.offer(offer, {"ICE": "remove", "transport-protocol": "RTP/AVP",
                                                           "rtcp-mux": ["demux"]}))["sdp"])
        assert towards_phone.medias[1].kind == "application" and towards_phone.medias[1].port == 0
        phone_sdp = _phone_sdp(phone, "pcmu") + "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        answer = assert_ok(call.answer(phone_sdp, {"ICE": "force"}))["sdp"]
        parsed = Sdp(answer)
        assert parsed.medias[1].port == 0 and "group:BUNDLE 0" in parsed.attributes, answer
        page.call("takeAnswer", answer)
        phone.start(towards_phone.media_address())
        _wait_for_media(page, phone, "pcmu", PHONE_TONE)
        assert page.call("dataChannelState") != "open"
        assert daemon.wait_for_log(r"rejected: a bundled data channel needs SCTP termination", 1.0)
        _assert_relay_clean(daemon, call)
    finally:
        phone.close()


@pytest.mark.parametrize("bundle_policy", ["balanced", "max-bundle"])
@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_phone_calls_browser(webrtc, codec, bundle_policy):
    daemon, page = webrtc
    phone = PhoneEndpoint(tone=PHONE_TONE, echo=codec == "opus")
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(_phone_sdp(phone, codec), {
            "ICE": "force", "DTLS": "passive", "transport-protocol": "UDP/TLS/RTP/SAVPF",
            "rtcp-mux": ["offer"], "flags": ["generate-mid"]}))["sdp"]
        page.call("setup", bundle_policy, None)
        answer = page.call("takeOffer", offer)
        towards_phone = Sdp(assert_ok(call.answer(answer, {"ICE": "remove"}))["sdp"])
        media = towards_phone.medias[0]
        assert media.protocol == "RTP/AVP"
        assert not [a for a in media.attributes if a.startswith(("candidate", "fingerprint", "ice-"))]
        phone.start(towards_phone.media_address())
        _wait_for_media(page, phone, codec, PHONE_TONE if codec == "pcmu" else BROWSER_TONE)
        assert daemon.wait_for_log(r"ICE: media \d+ component 1 selected pair .*we nominated", 1.0)
        _assert_relay_clean(daemon, call)
    finally:
        phone.close()


# ---------------------------------------------------------------- BUNDLE, two transceivers

def _wait_for_both_transceivers(page, phones, transports=1):
    """Chromium's DTLS is connected and both transceivers (mids) receive audio, and each phone
    port receives the browser's audio, over that many DTLS transports; returns the last
    getStats() summary."""
    def flowing():
        summary = page.call("summary")
        connected = any(t["dtlsState"] == "connected" for t in summary["transports"])
        per_mid = {i["mid"]: i["packetsReceived"] or 0 for i in summary["inbound"] if i["kind"] == "audio"}
        enough = len(per_mid) == 2 and all(count > 100 for count in per_mid.values())
        return summary if connected and enough and all(len(p.received) > 100 for p in phones) else None
    summary = wait_until(flowing, 25.0, interval=0.25)
    assert summary, "no media on both transceivers: %s, phones got %s" % (
        page.call("summary"), [len(p.received) for p in phones])
    for phone in phones:
        heard = phone.received_frequency()
        assert abs(heard - BROWSER_TONE) < 30, "a phone hears %d Hz, not the browser's %d" % (heard, BROWSER_TONE)
    assert len([t for t in summary["transports"] if t["dtlsState"] == "connected"]) == transports, summary["transports"]
    assert all((i["packetsLost"] or 0) < 25 for i in summary["inbound"]), summary
    return summary


def _two_phones_sdp(phones):
    return make_sdp("127.0.0.1", *(media_section(phone.port) for phone in phones))


def test_browser_max_bundle_two_transceivers_calls_phone(webrtc):
    """Chromium with bundlePolicy max-bundle and two audio transceivers (same codec) offers
    one transport; the phone gets two m= lines with their own ports; each transceiver's
    audio reaches its own phone port, and each phone's reaches its own transceiver (the MID
    we add tells Chromium which)."""
    daemon, page = webrtc
    phones = [PhoneEndpoint(tone=PHONE_TONE, ssrc=0x5eed0001), PhoneEndpoint(tone=PHONE_TONE, ssrc=0x5eed0002)]
    try:
        call = Call(daemon)
        page.call("setup", "max-bundle", "PCMU")
        offer = page.call("makeOffer", 2)
        assert offer.count("m=audio ") == 2 and "a=group:BUNDLE 0 1" in offer
        towards_phone = Sdp(assert_ok(call.offer(offer, {"ICE": "remove", "transport-protocol": "RTP/AVP",
                                                          "rtcp-mux": ["demux"]}))["sdp"])
        assert towards_phone.medias[0].port != towards_phone.medias[1].port
        assert not [a for a in towards_phone.attributes if a.startswith("group:")]
        answer = assert_ok(call.answer(_two_phones_sdp(phones), {"ICE": "force"}))["sdp"]
        parsed = Sdp(answer)
        assert "group:BUNDLE 0 1" in parsed.attributes
        assert parsed.medias[0].port == parsed.medias[1].port
        page.call("takeAnswer", answer)
        for index, phone in enumerate(phones):
            phone.start(towards_phone.media_address(index))
        _wait_for_both_transceivers(page, phones)
        _assert_relay_clean(daemon, call)
        totals = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
        assert totals["droppedbundleunknown"] == 0, totals
    finally:
        for phone in phones:
            phone.close()


def test_phone_with_two_m_lines_calls_max_bundle_browser(webrtc):
    """The phone offers two audio m= lines; the relay offers them to Chromium (max-bundle) on
    one transport, which it accepts; media flows on both transceivers both ways."""
    daemon, page = webrtc
    phones = [PhoneEndpoint(tone=PHONE_TONE, ssrc=0x5eed0001), PhoneEndpoint(tone=PHONE_TONE, ssrc=0x5eed0002)]
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(_two_phones_sdp(phones), {
            "ICE": "force", "DTLS": "passive", "transport-protocol": "UDP/TLS/RTP/SAVPF",
            "rtcp-mux": ["offer"], "flags": ["generate-mid"]}))["sdp"]
        assert "a=group:BUNDLE 1 2" in offer
        page.call("setup", "max-bundle", None)
        answer = page.call("takeOffer", offer)
        assert "a=group:BUNDLE 1 2" in answer
        towards_phone = Sdp(assert_ok(call.answer(answer, {"ICE": "remove"}))["sdp"])
        assert towards_phone.medias[0].port != towards_phone.medias[1].port
        for index, phone in enumerate(phones):
            phone.start(towards_phone.media_address(index))
        _wait_for_both_transceivers(page, phones)
        _assert_relay_clean(daemon, call)
    finally:
        for phone in phones:
            phone.close()


def test_phone_calls_browser_that_declines_the_group(webrtc):
    """RFC 8843 section 7.3: an answerer that does not take the BUNDLE group (here Chromium,
    bundlePolicy balanced, gets our offer without the a=group line, as from an intermediary
    that drops it) answers with a transport per m= line; each runs its own ICE and DTLS with
    the relay on the address our initial offer gave that m= line, and both phones hear the
    browser and the browser both phones."""
    daemon, page = webrtc
    phones = [PhoneEndpoint(tone=PHONE_TONE, ssrc=0x5eed0001), PhoneEndpoint(tone=PHONE_TONE, ssrc=0x5eed0002)]
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(_two_phones_sdp(phones), {
            "ICE": "force", "DTLS": "passive", "transport-protocol": "UDP/TLS/RTP/SAVPF",
            "rtcp-mux": ["offer"], "flags": ["generate-mid"]}))["sdp"]
        assert "a=group:BUNDLE 1 2\r\n" in offer
        page.call("setup", "balanced", None)
        answer = page.call("takeOffer", offer.replace("a=group:BUNDLE 1 2\r\n", ""))
        assert "a=group:BUNDLE" not in answer
        parsed = Sdp(answer)
        assert parsed.medias[0].port != parsed.medias[1].port
        towards_phone = Sdp(assert_ok(call.answer(answer, {"ICE": "remove"}))["sdp"])
        for index, phone in enumerate(phones):
            phone.start(towards_phone.media_address(index))
        _wait_for_both_transceivers(page, phones, transports=2)
        _assert_relay_clean(daemon, call)
    finally:
        for phone in phones:
            phone.close()


def test_max_bundle_browser_calls_max_bundle_browser(two_browsers):
    """Browser to browser through the relay, both max-bundle with two transceivers: each side
    keeps its BUNDLE group (one transport towards each browser, the relay terminating ICE and
    DTLS on both), and every transceiver receives on both sides."""
    daemon, caller, callee = two_browsers
    call = Call(daemon)
    caller.call("setup", "max-bundle", "PCMU")
    offer = caller.call("makeOffer", 2)
    towards_callee = assert_ok(call.offer(offer, {"ICE": "force", "DTLS": "passive"}))["sdp"]
    parsed = Sdp(towards_callee)
    # an initial offer of the group: a port per m= line (RFC 8843 section 7.2)
    assert "group:BUNDLE 0 1" in parsed.attributes and parsed.medias[0].port != parsed.medias[1].port
    callee.call("setup", "max-bundle", None)
    answer = callee.call("takeOffer", towards_callee)
    towards_caller = assert_ok(call.answer(answer, {"ICE": "force"}))["sdp"]
    parsed = Sdp(towards_caller)
    assert "group:BUNDLE 0 1" in parsed.attributes and parsed.medias[0].port == parsed.medias[1].port
    caller.call("takeAnswer", towards_caller)

    def flowing():
        summaries = [page.call("summary") for page in (caller, callee)]
        for summary in summaries:
            per_mid = {i["mid"]: i["packetsReceived"] or 0 for i in summary["inbound"] if i["kind"] == "audio"}
            connected = [t for t in summary["transports"] if t["dtlsState"] == "connected"]
            if len(per_mid) != 2 or min(per_mid.values()) <= 100 or len(connected) != 1:
                return None
        return summaries
    summaries = wait_until(flowing, 25.0, interval=0.25)
    assert summaries, "not every transceiver receives: %s / %s" % (caller.call("summary"), callee.call("summary"))
    totals = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
    assert totals["droppedsrtp"] == 0 and totals["droppedbundleunknown"] == 0, totals
