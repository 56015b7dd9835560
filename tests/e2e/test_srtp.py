"""SDES-SRTP (RFC 4568 / RFC 3711): transport-protocol translation between plain RTP and
SRTP, checked against libsrtp2 as an independent SRTP endpoint (tests/e2e/srtp_peer.c)."""

import base64
import os
import subprocess

import pytest

from calls import Call, Sdp, assert_ok, attribute_values, media_section, make_sdp
from conftest import IS_UPSTREAM
from rtp import MediaPeer, rtp_stream, build_rtcp_compound

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"
SUITE = "AES_CM_128_HMAC_SHA1_80"
PEER = os.environ.get("SRTP_PEER", os.path.join(os.path.dirname(__file__), "..", "..", "build",
                                                "tests", "srtp_peer"))

pytestmark = pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")


def srtp(mode, key, packets, suite=SUITE):
    """Runs libsrtp2 over packets; returns the results (bytes, or None for a rejected one)."""
    result = subprocess.run([PEER, mode, suite, key], input="".join(p.hex() + "\n" for p in packets),
                            capture_output=True, text=True, timeout=10, check=True)
    return [None if line.startswith("error") else bytes.fromhex(line)
            for line in result.stdout.splitlines()]


def crypto_key(sdp_text, tag=None):
    """(tag, suite, base64 key) of the first a=crypto line (with the given tag)."""
    for value in attribute_values(Sdp(sdp_text).medias[0].attributes, "crypto"):
        line_tag, suite, key = value.split()[:3]
        if tag is None or int(line_tag) == tag:
            return int(line_tag), suite, key[len("inline:"):].split("|")[0]
    raise AssertionError("no a=crypto line")


def new_key():
    return base64.b64encode(os.urandom(30)).decode()


def receive(sock, count):
    return [data for data, _ in sock.receive_all(count, 2.0)]


def offer_srtp_caller(call, caller, key, **sdp_options):
    """The caller offers RTP/SAVP with an SDES key; the callee is offered plain RTP/AVP."""
    offer = make_sdp(CALLER, media_section(caller.port, protocol="RTP/SAVP",
                                           attributes=("sendrecv", "crypto:1 %s inline:%s" % (SUITE, key))),
                     **sdp_options)
    return Sdp(assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP"}))["sdp"])


@pytest.fixture
def peers():
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    yield caller, callee
    caller.close()
    callee.close()


def test_plain_caller_to_srtp_callee(rtpengine, peers):
    caller, callee = peers
    call = Call(rtpengine)
    offer = assert_ok(call.offer(make_sdp(CALLER, media_section(caller.port)),
                                 {"transport-protocol": "RTP/SAVP"}))["sdp"]
    offered = Sdp(offer)
    assert offered.medias[0].protocol == "RTP/SAVP"
    tag, suite, relay_key = crypto_key(offer, tag=7)
    assert suite == SUITE
    callee_key = new_key()
    answer = make_sdp(CALLEE, media_section(callee.port, protocol="RTP/SAVP",
                                            attributes=("sendrecv", "crypto:7 %s inline:%s" % (SUITE, callee_key))))
    answered = Sdp(assert_ok(call.answer(answer))["sdp"])
    assert answered.medias[0].protocol == "RTP/AVP"
    assert not attribute_values(answered.medias[0].attributes, "crypto")

    relay_for_caller = answered.media_address()
    relay_for_callee = offered.media_address()
    # caller -> callee: the relay encrypts with the key it offered; libsrtp decrypts it
    plain = rtp_stream(0x1111, 5)
    for packet in plain:
        caller.rtp.send(packet, relay_for_caller)
    protected = receive(callee.rtp, 5)
    assert len(protected) == 5 and all(p != q for p, q in zip(protected, plain))
    assert srtp("unprotect", relay_key, protected) == plain
    # callee -> caller: libsrtp encrypts with the callee's key; the caller gets plain RTP
    back = rtp_stream(0x2222, 5)
    for packet in srtp("protect", callee_key, back):
        callee.rtp.send(packet, relay_for_callee)
    assert receive(caller.rtp, 5) == back
    # SRTCP too
    report = build_rtcp_compound(0x2222)
    callee.rtcp.send(srtp("protect-rtcp", callee_key, [report])[0], (relay_for_callee[0], relay_for_callee[1] + 1))
    assert receive(caller.rtcp, 1) == [report]


def test_srtp_caller_to_plain_callee(rtpengine, peers):
    caller, callee = peers
    call = Call(rtpengine)
    caller_key = new_key()
    offered = offer_srtp_caller(call, caller, caller_key)
    assert offered.medias[0].protocol == "RTP/AVP"
    assert not attribute_values(offered.medias[0].attributes, "crypto")
    answer = assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"]
    answered = Sdp(answer)
    assert answered.medias[0].protocol == "RTP/SAVP"
    tag, suite, relay_key = crypto_key(answer)
    assert (tag, suite) == (1, SUITE) and relay_key != caller_key

    for packet in srtp("protect", caller_key, rtp_stream(0x3333, 4)):
        caller.rtp.send(packet, answered.media_address())
    assert receive(callee.rtp, 4) == rtp_stream(0x3333, 4)
    for packet in rtp_stream(0x4444, 4):
        callee.rtp.send(packet, offered.media_address())
    assert srtp("unprotect", relay_key, receive(caller.rtp, 4)) == rtp_stream(0x4444, 4)


@pytest.mark.skipif(IS_UPSTREAM, reason="droppedsrtp is our counter")
def test_tampered_srtp_is_dropped_and_counted(rtpengine, peers):
    caller, callee = peers
    call = Call(rtpengine)
    caller_key = new_key()
    offer_srtp_caller(call, caller, caller_key)
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    good, bad = srtp("protect", caller_key, rtp_stream(0x5555, 2))
    bad = bad[:20] + bytes([bad[20] ^ 1]) + bad[21:]
    caller.rtp.send(bad, answered.media_address())
    caller.rtp.send(good, answered.media_address())
    assert receive(callee.rtp, 2) == [rtp_stream(0x5555, 2)[0]]
    statistics = rtpengine.ng({"command": "statistics"})["statistics"]["totalstatistics"]
    assert statistics["droppedsrtp"] == 1


def test_reinvite_with_a_new_key_is_followed(rtpengine, peers):
    """RFC 4568 section 7.1.4: a re-offer may carry new keys; media with the new key must be
    decrypted, and a re-offer with the same key must not disturb the running stream."""
    caller, callee = peers
    call = Call(rtpengine)

    first_key, second_key = new_key(), new_key()
    offer_srtp_caller(call, caller, first_key, version=1)
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    for packet in srtp("protect", first_key, rtp_stream(0x6666, 3)):
        caller.rtp.send(packet, answered.media_address())
    assert receive(callee.rtp, 3) == rtp_stream(0x6666, 3)
    offer_srtp_caller(call, caller, first_key, version=2)   # same key: the stream goes on
    assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))
    offer_srtp_caller(call, caller, second_key, version=3)  # new key
    assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))
    later = rtp_stream(0x6666, 3, first_sequence=2000)
    for packet in srtp("protect", second_key, later):
        caller.rtp.send(packet, answered.media_address())
    assert receive(callee.rtp, 3) == later
