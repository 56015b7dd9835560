"""SDES (RFC 4568) in re-offers, as upstream 10.5 does them: once a suite is agreed, a re-offer
carries the agreed suite and key first, then every other allowed suite with a fresh key and a
higher tag, so the answer may switch suite (RFC 4568 section 7.1.4); media keeps flowing with
whichever suite the answer picks. Checked against libsrtp2 (tests/e2e/srtp_peer.c)."""

import base64
import os

import pytest

from calls import Call, Sdp, assert_ok, attribute_values, media_section, make_sdp
from rtp import rtp_stream
from test_srtp import CALLER, CALLEE, PEER, new_key, receive, srtp

AGREED = "AES_CM_128_HMAC_SHA1_80"
ALL_SUITES = ("AEAD_AES_256_GCM", "AEAD_AES_128_GCM", "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32",
              "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_80",
              "AES_CM_128_HMAC_SHA1_32", "F8_128_HMAC_SHA1_80", "F8_128_HMAC_SHA1_32", "NULL_HMAC_SHA1_80",
              "NULL_HMAC_SHA1_32")
# master key + salt bytes (RFC 3711, RFC 7714)
KEY_BYTES = {"AES_CM_128_HMAC_SHA1_80": 30, "AES_CM_128_HMAC_SHA1_32": 30, "AEAD_AES_128_GCM": 28}

pytestmark = pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)")


def crypto_lines(sdp_text):
    """[(tag, suite, base64 key)] of the first m= line's a=crypto lines, in order."""
    lines = []
    for value in attribute_values(Sdp(sdp_text).medias[0].attributes, "crypto"):
        tag, suite, key = value.split()[:3]
        lines.append((int(tag), suite, key[len("inline:"):].split("|")[0]))
    return lines


def line_for(lines, suite):
    matching = [line for line in lines if line[1] == suite]
    assert len(matching) == 1, "suite %s offered %d times" % (suite, len(matching))
    return matching[0]


def padded(key):
    """The key as libsrtp's peer decodes it (the relay may leave out the '=' padding)."""
    return key + "=" * (-len(key) % 4)


def key_for(suite):
    return base64.b64encode(os.urandom(KEY_BYTES[suite])).decode()


def answer_sdp(port, line, version):
    return make_sdp(CALLEE, media_section(port, protocol="RTP/SAVP",
                                          attributes=("sendrecv", "crypto:%d %s inline:%s" % line)), version=version)


class PlainToSrtp:
    """A plain RTP/AVP caller, an RTP/SAVP callee: the relay offers the callee SDES keys."""

    def __init__(self, rtpengine, caller, callee, offer_options=None):
        self.call, self.caller, self.callee = Call(rtpengine), caller, callee
        self.options = dict({"transport-protocol": "RTP/SAVP"}, **(offer_options or {}))
        self.version = 0

    def offer(self, extra=None):
        self.version += 1
        reply = assert_ok(self.call.offer(make_sdp(CALLER, media_section(self.caller.port), version=self.version),
                                          dict(self.options, **(extra or {}))))
        self.relay_for_callee = Sdp(reply["sdp"]).media_address()
        return crypto_lines(reply["sdp"])

    def answer(self, line):
        reply = assert_ok(self.call.answer(answer_sdp(self.callee.port, line, self.version)))
        answered = Sdp(reply["sdp"])
        assert answered.medias[0].protocol == "RTP/AVP"
        assert not attribute_values(answered.medias[0].attributes, "crypto")
        self.relay_for_caller = answered.media_address()

    def check_media(self, suite, relay_key, callee_key, ssrc, first_sequence):
        """Both directions: the relay encrypts to the callee with relay_key and decrypts the
        callee's packets with callee_key."""
        plain = rtp_stream(ssrc, 3, first_sequence=first_sequence)
        for packet in plain:
            self.caller.rtp.send(packet, self.relay_for_caller)
        assert srtp("unprotect", padded(relay_key), receive(self.callee.rtp, 3), suite=suite) == plain
        back = rtp_stream(ssrc + 1, 3, first_sequence=first_sequence)
        for packet in srtp("protect", callee_key, back, suite=suite):
            self.callee.rtp.send(packet, self.relay_for_callee)
        assert receive(self.caller.rtp, 3) == back


@pytest.fixture
def peers():
    from rtp import MediaPeer
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    yield caller, callee
    caller.close()
    callee.close()


def assert_agreed_first_then_the_rest(first, again, agreed, suites=ALL_SUITES):
    """again (the re-offer) starts with the agreed line of first (the initial offer), key
    unchanged; then the other suites once each, with higher tags and fresh keys."""
    assert again[0] == agreed
    rest = again[1:]
    assert sorted(line[1] for line in rest) == sorted(s for s in suites if s != agreed[1])
    tags = [line[0] for line in again]
    assert len(set(tags)) == len(tags) and min(tags[1:]) > agreed[0]
    first_keys = {line[2] for line in first}
    assert not any(line[2] in first_keys for line in rest)


@pytest.mark.parametrize("options", [{}, {"SDES": ["static"]}, {"flags": ["SDES-static"]}],
                         ids=["default", "SDES=static", "SDES-static"])
def test_reoffer_offers_the_agreed_suite_first_then_all_others(rtpengine, peers, options):
    call = PlainToSrtp(rtpengine, *peers, options)
    first = call.offer()
    assert [line[1] for line in first] == list(ALL_SUITES)
    agreed = line_for(first, AGREED)
    call.answer((agreed[0], AGREED, new_key()))
    again = call.offer()
    assert_agreed_first_then_the_rest(first, again, agreed)


def test_reoffer_answered_with_the_same_suite_keeps_the_keys(rtpengine, peers):
    call = PlainToSrtp(rtpengine, *peers)
    agreed = line_for(call.offer(), AGREED)
    callee_key = new_key()
    call.answer((agreed[0], AGREED, callee_key))
    call.check_media(AGREED, agreed[2], callee_key, 0x1000, 1000)
    again = call.offer()
    assert again[0] == agreed
    call.answer((agreed[0], AGREED, callee_key))
    call.check_media(AGREED, agreed[2], callee_key, 0x1000, 1003)
    # a third offer/answer in which only the callee's key changes
    assert call.offer()[0] == agreed
    changed_key = new_key()
    call.answer((agreed[0], AGREED, changed_key))
    call.check_media(AGREED, agreed[2], changed_key, 0x1000, 1006)


@pytest.mark.parametrize("switched", ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_32"])
def test_reoffer_answer_may_switch_suite_and_media_follows(rtpengine, peers, switched):
    call = PlainToSrtp(rtpengine, *peers)
    agreed = line_for(call.offer(), AGREED)
    callee_key = new_key()
    call.answer((agreed[0], AGREED, callee_key))
    call.check_media(AGREED, agreed[2], callee_key, 0x2000, 1000)
    chosen = line_for(call.offer(), switched)
    switched_key = key_for(switched)
    call.answer((chosen[0], switched, switched_key))
    call.check_media(switched, chosen[2], switched_key, 0x2000, 1003)


def test_reoffer_leaves_out_sdes_no_suites(rtpengine, peers):
    call = PlainToSrtp(rtpengine, *peers)
    first = call.offer()
    agreed = line_for(first, AGREED)
    call.answer((agreed[0], AGREED, new_key()))
    left_out = ("AES_256_CM_HMAC_SHA1_80", "F8_128_HMAC_SHA1_80")
    again = call.offer({"SDES": ["no-" + suite for suite in left_out]})
    assert_agreed_first_then_the_rest(first, again, agreed, [s for s in ALL_SUITES if s not in left_out])


@pytest.mark.upstream_differs("10.5 ignores SDES-only-SUITE and offers every suite")
def test_reoffer_offers_only_sdes_only_suites_after_the_agreed_one(rtpengine, peers):
    call = PlainToSrtp(rtpengine, *peers)
    first = call.offer()
    agreed = line_for(first, AGREED)
    call.answer((agreed[0], AGREED, new_key()))
    again = call.offer({"flags": ["SDES-only-AES_CM_128_HMAC_SHA1_32", "SDES-only-AEAD_AES_128_GCM"]})
    assert_agreed_first_then_the_rest(first, again, agreed, [AGREED, "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"])


def test_srtp_offerer_reoffer_keeps_the_agreed_suite_first(rtpengine, peers):
    """An RTP/SAVP caller to an RTP/SAVP callee: the callee's side is keyed by the relay's offer,
    which passes the caller's suite and key on first (as 10.5); a re-offer with the caller's key
    unchanged offers the callee the agreed suite and key first, every other suite after it."""
    caller, callee = peers
    call = Call(rtpengine)
    caller_key = new_key()

    def offer(version):
        sdp = make_sdp(CALLER, media_section(caller.port, protocol="RTP/SAVP",
                                             attributes=("sendrecv", "crypto:1 %s inline:%s" % (AGREED, caller_key))),
                       version=version)
        reply = assert_ok(call.offer(sdp, {}))
        return Sdp(reply["sdp"]), crypto_lines(reply["sdp"])

    offered, first = offer(1)
    # as 10.5: the caller's suite, tag and key first, every other suite after it
    assert first[0] == (1, AGREED, caller_key)
    assert sorted(line[1] for line in first) == sorted(ALL_SUITES)
    agreed = line_for(first, AGREED)
    callee_key = new_key()
    answer_text = assert_ok(call.answer(answer_sdp(callee.port, (agreed[0], AGREED, callee_key), 1)))["sdp"]
    answered = Sdp(answer_text)
    _, _, relay_key_for_caller = line_for(crypto_lines(answer_text), AGREED)
    plain = rtp_stream(0x3000, 3)
    for packet in srtp("protect", caller_key, plain):
        caller.rtp.send(packet, answered.media_address())
    assert srtp("unprotect", padded(agreed[2]), receive(callee.rtp, 3)) == plain
    back = rtp_stream(0x3001, 3)
    for packet in srtp("protect", callee_key, back):
        callee.rtp.send(packet, offered.media_address())
    assert srtp("unprotect", padded(relay_key_for_caller), receive(caller.rtp, 3)) == back

    _, again = offer(2)
    assert again[0] == agreed
    assert sorted(line[1] for line in again) == sorted(ALL_SUITES)
