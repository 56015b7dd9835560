"""What the relay writes towards a browser besides ICE candidates: a=mid repeated in the
answer and generated with generate-mid (RFC 5888), the BUNDLE group of a one-m= offer
answered (RFC 9143), a=ice-lite with ICE-lite= (RFC 8445 section 2.5)."""

import pytest

import stun
from calls import Call, Sdp, assert_ok, attribute_values, make_sdp, media_section, simple_sdp
from conftest import IS_UPSTREAM
from rtp import MediaPeer
from test_ice_agent import PEER_PWD, PEER_UFRAG, _ice_answer, _next_check

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"


def _browser_offer(port):
    section = media_section(port, protocol="RTP/SAVPF", attributes=(
        "mid:audio0", "sendrecv", "rtcp-mux", "ice-ufrag:" + PEER_UFRAG, "ice-pwd:" + PEER_PWD, "ice-options:trickle",
        "candidate:1 1 udp 2130706431 %s %d typ host" % (CALLER, port),
        "msid:stream0 track0", "ssrc:1234 cname:browser"))
    return make_sdp(CALLER, section, session_attributes=("group:BUNDLE audio0", "msid-semantic: WMS stream0"))


@pytest.mark.skipif(IS_UPSTREAM, reason="10.5 drops the BUNDLE group")
def test_answer_to_browser_repeats_mid_and_bundle_group(rtpengine):
    browser, phone = MediaPeer(CALLER), MediaPeer(CALLEE)
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(_browser_offer(browser.port),
                                       {"ICE": "remove", "rtcp-mux": ["demux"],
                                        "transport-protocol": "RTP/AVP"}))["sdp"])
    assert not attribute_values(offered.medias[0].attributes, "candidate")
    answered = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, phone.port), {"ICE": "force"}))["sdp"])
    media = answered.medias[0].attributes
    assert attribute_values(media, "mid") == ["audio0"]
    # the offer said ice-options:trickle: our candidates are complete, and we say so (RFC 8840)
    assert media[-1] == "end-of-candidates" and media[-2].startswith("candidate:"), media
    assert "group:BUNDLE audio0" in answered.attributes
    assert "rtcp-mux" in media
    assert attribute_values(media, "candidate")
    browser.close()
    phone.close()


def test_generate_mid_numbers_media_without_mid(rtpengine):
    caller = MediaPeer(CALLER)
    call = Call(rtpengine)
    sdp = make_sdp(CALLER, media_section(caller.port), media_section(caller.port + 2, kind="video",
                                                                     payload_types=(96,)))
    offered = Sdp(assert_ok(call.offer(sdp, {"flags": ["generate-mid"]}))["sdp"])
    # numbered from 1, as 10.5 does
    assert [attribute_values(m.attributes, "mid") for m in offered.medias] == [["1"], ["2"]]
    # an answer gets none, with generate-mid or not: the offerer had none to repeat (10.5)
    answer = make_sdp(CALLEE, media_section(caller.port + 4),
                      media_section(caller.port + 6, kind="video", payload_types=(96,)))
    answered = Sdp(assert_ok(call.answer(answer, {"flags": ["generate-mid"]}))["sdp"])
    assert [attribute_values(m.attributes, "mid") for m in answered.medias] == [[], []]
    plain = Sdp(assert_ok(Call(rtpengine).offer(simple_sdp(CALLER, caller.port)))["sdp"])
    assert not attribute_values(plain.medias[0].attributes, "mid")
    caller.close()


@pytest.mark.skipif(IS_UPSTREAM, reason="checks the absence of our own agent's checks")
def test_ice_lite_forward_advertises_lite_and_sends_no_checks(rtpengine):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port),
                                       {"ICE": "force", "ICE-lite": "forward"}))["sdp"])
    assert "ice-lite" in offered.attributes
    assert_ok(call.answer(_ice_answer(callee)))
    assert _next_check(callee.rtp, 1.0) is None, "an ICE-lite agent sends no checks"
    # but it answers the peer's checks
    ufrag = attribute_values(offered.medias[0].attributes, "ice-ufrag")[0]
    password = attribute_values(offered.medias[0].attributes, "ice-pwd")[0]
    request, transaction = stun.binding_request("%s:%s" % (ufrag, PEER_UFRAG), password)
    callee.rtp.send(request, (offered.media_address()[0], offered.medias[0].port))
    reply = callee.rtp.receive(2.0)
    assert reply is not None and stun.parse(reply[0])[0] == stun.BINDING_SUCCESS
    # without ICE-lite the same call shape gets our checks
    full = Call(rtpengine)
    other = MediaPeer(CALLEE)
    plain = Sdp(assert_ok(full.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
    assert "ice-lite" not in plain.attributes
    assert_ok(full.answer(_ice_answer(other)))
    assert _next_check(other.rtp, 2.0) is not None
    for peer in (caller, callee, other):
        peer.close()
