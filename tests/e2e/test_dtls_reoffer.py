"""DTLS-SRTP and SDES re-offers compared with Debian's 10.5 (RFC 5763, RFC 8842 section 5.5):
a re-offer of an agreed DTLS association offers a=setup:actpass with the same fingerprint (and
the SDES keys offered before, where there were any), and an answer that keeps the role keeps
the association, whose keys go on carrying media; a plain side's re-offer towards a side that
offered SRTP itself gives that side its own protocol again (ng_offer_answer.c)."""

import os

import pytest

from calls import Call, Sdp, assert_ok, attribute_values, make_sdp, media_section
from rtp import rtp_stream
from test_dtls import (PEER, PROFILES, certificate, dtls_offer, openssl_server, peers, receive,  # noqa: F401
                       split_keys, srtp)

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"
FINGERPRINT = ":".join(["5E"] * 32)
SDES_KEY = "c2Vzc2lvbiBrZXkgZm9yIHJlLW9mZmVyIHRlc3Rz"

needs_peer = pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")


def plain(address, port):
    return make_sdp(address, media_section(port))


def keying(sdp_text):
    media = Sdp(sdp_text).medias[0]
    return (media.protocol, attribute_values(media.attributes, "setup"),
            attribute_values(media.attributes, "fingerprint"), attribute_values(media.attributes, "crypto"))


def reverse(call, name, sdp_text):
    return assert_ok(call.command(name, {}, sdp=sdp_text, **{"from-tag": call.to_tag, "to-tag": call.from_tag}))


def test_reoffer_towards_dtls_callee_is_actpass_with_the_same_keys(rtpengine):
    """Plain caller, DTLS towards the callee (transport-protocol), callee answered passive: the
    re-offer is actpass again, with the same fingerprint and the SDES keys of the first offer."""
    call = Call(rtpengine)
    options = {"transport-protocol": "UDP/TLS/RTP/SAVP"}
    first = keying(assert_ok(call.offer(plain(CALLER, 4000), options))["sdp"])
    assert first[1] == ["actpass"] and len(first[3]) == 12
    answer = make_sdp(CALLEE, media_section(5000, protocol="UDP/TLS/RTP/SAVP", attributes=(
        "sendrecv", "setup:passive", "fingerprint:sha-256 " + FINGERPRINT)))
    assert_ok(call.answer(answer))
    again = keying(assert_ok(call.offer(plain(CALLER, 4000), options))["sdp"])
    assert again == first


def test_plain_sides_reoffer_towards_dtls_caller_keeps_its_protocol(rtpengine):
    """A DTLS caller (actpass, we took active), a plain callee re-offering: the caller is
    offered UDP/TLS/RTP/SAVP, actpass and our fingerprint again, no SDES (never offered it)."""
    call = Call(rtpengine)
    offer = make_sdp(CALLER, media_section(4000, protocol="UDP/TLS/RTP/SAVP", attributes=(
        "sendrecv", "setup:actpass", "fingerprint:sha-256 " + FINGERPRINT)))
    assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP"}))
    answered = keying(assert_ok(call.answer(plain(CALLEE, 5000)))["sdp"])
    assert answered[:2] == ("UDP/TLS/RTP/SAVP", ["active"])
    reoffered = keying(reverse(call, "offer", plain(CALLEE, 5000))["sdp"])
    assert reoffered == ("UDP/TLS/RTP/SAVP", ["actpass"], answered[2], [])


def test_plain_sides_reoffer_towards_sdes_caller_keeps_its_protocol(rtpengine):
    """An SDES caller: the plain callee's re-offer gives it RTP/SAVP, the key in use first."""
    call = Call(rtpengine)
    offer = make_sdp(CALLER, media_section(4000, protocol="RTP/SAVP", attributes=(
        "sendrecv", "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + SDES_KEY)))
    assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP", "DTLS": "off"}))
    answered = keying(assert_ok(call.answer(plain(CALLEE, 5000)))["sdp"])
    assert answered[0] == "RTP/SAVP" and len(answered[3]) == 1
    reoffered = keying(reverse(call, "offer", plain(CALLEE, 5000))["sdp"])
    assert reoffered[0] == "RTP/SAVP" and reoffered[1] == []
    assert reoffered[3][0] == answered[3][0] and len(reoffered[3]) == 12


@needs_peer
def test_association_survives_a_reoffer_that_keeps_the_role(rtpengine, peers, certificate):
    """openssl s_server is the DTLS callee (passive); after the re-offer (actpass) and its answer
    (passive again, same fingerprint) media still flows with the first handshake's keys."""
    caller, callee = peers
    fingerprint = certificate[2]
    profile = "SRTP_AES128_CM_SHA1_80"
    suite = PROFILES[profile][0]
    server, server_port = openssl_server(CALLEE, certificate, profile)
    try:
        call = Call(rtpengine)
        options = {"transport-protocol": "UDP/TLS/RTP/SAVP"}
        offered = Sdp(assert_ok(call.offer(plain(CALLER, caller.port), options))["sdp"])
        answer = make_sdp(CALLEE, media_section(server_port, protocol="UDP/TLS/RTP/SAVP", attributes=(
            "sendrecv", "setup:passive", "fingerprint:sha-256 %s" % fingerprint)))
        answered = Sdp(assert_ok(call.answer(answer))["sdp"])
        client_key, server_key = split_keys(server.keying_material(), profile)

        def arrived_as_sent(got, sent):
            # 10.5 now and then drops a packet while it learns a source, and its threads may
            # reorder two: most must arrive, each once and as sent (decrypted with the keys
            # of the first handshake)
            assert len(got) >= 4 and all(packet in sent for packet in got), got
            assert len(set(got)) == len(got)

        def media_flows(first_sequence):
            sent = rtp_stream(0x5151, 6, first_sequence=first_sequence)
            for packet in srtp("protect", suite, server_key, sent):
                callee.rtp.send(packet, offered.media_address())
            arrived_as_sent(receive(caller.rtp, 6), sent)
            back = rtp_stream(0x1515, 6, first_sequence=first_sequence)
            for packet in back:
                caller.rtp.send(packet, answered.media_address())
            arrived_as_sent(srtp("unprotect", suite, client_key, receive(callee.rtp, 6)), back)

        media_flows(1000)
        reoffered = Sdp(assert_ok(call.offer(plain(CALLER, caller.port), options))["sdp"])
        assert attribute_values(reoffered.medias[0].attributes, "setup") == ["actpass"]
        assert reoffered.media_address() == offered.media_address()
        assert_ok(call.answer(answer))
        media_flows(2000)
    finally:
        server.close()
