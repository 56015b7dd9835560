"""BUNDLE (RFC 9143) across several m= lines: a scripted bundle-capable peer (what a browser
with bundlePolicy max-bundle sends: one port for every m= line, a=group:BUNDLE, a=mid, the MID
header extension's a=extmap, a=ssrc) on one side, a plain SIP phone with one port per m= line
on the other. The relay bridges: one transport towards the peer, several towards the phone,
each m= line's packets reaching its own phone port and back (plain RTP and SDES-SRTP checked
with libsrtp2, tests/e2e/srtp_peer.c). Chromium itself: test_webrtc.py."""

import json
import os
import shutil
import signal
import struct
import subprocess

import pytest

from calls import Call, Sdp, assert_error, assert_ok, attribute_values, has_attribute, make_sdp, media_section
from rtp import MediaPeer, build_rtp, parse_rtp
import stun

pytestmark = pytest.mark.upstream_differs("10.5 drops the BUNDLE group: one port per m= line on both sides")

PEER_HOST, PHONE_HOST = "127.0.0.2", "127.0.0.3"
MID_ID = 4                                   # the peer's a=extmap id for the MID (as Chromium's)
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
SSRC_A, SSRC_B = 0x0A0A0A0A, 0x0B0B0B0B      # declared by the peer's a=ssrc, m=0 and m=1
SRTP_PEER = os.path.join(os.path.dirname(__file__), "..", "..", "build", "tests", "srtp_peer")
SUITE = "AES_CM_128_HMAC_SHA1_80"
KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"   # 30 bytes, base64


@pytest.fixture
def relay(rtpengine_factory):
    return rtpengine_factory("--endpoint-learning=immediate")


def bundled_offer(port, protocol="RTP/AVP", crypto=None, same_payload_types=True):
    """Two audio m= lines on one port (max-bundle), both PCMU unless same_payload_types is
    False (then PCMA on the second), mids "a0"/"a1", declared SSRCs, rtcp-mux."""
    sections = []
    for index, (ssrc, payload_types) in enumerate(((SSRC_A, (0,)), (SSRC_B, (0,) if same_payload_types else (8,)))):
        attributes = ["mid:a%d" % index, "extmap:%d %s" % (MID_ID, MID_URI), "rtcp-mux", "sendrecv",
                      "ssrc:%d cname:peer" % ssrc]
        if crypto:
            attributes.append("crypto:1 %s inline:%s" % (SUITE, crypto))
        # as Chromium's max-bundle offers: the m= lines after the first say port 9, c=0.0.0.0
        sections.append(media_section(port if index == 0 else 9, payload_types=payload_types, protocol=protocol,
                                      attributes=attributes, connection=None if index == 0 else "0.0.0.0"))
    return make_sdp(PEER_HOST, *sections, session_attributes=("group:BUNDLE a0 a1",))


def phone_answer(phone_a, phone_b, payload_types=((0,), (0,))):
    return make_sdp(PHONE_HOST, media_section(phone_a.port, payload_types=payload_types[0]),
                    media_section(phone_b.port, payload_types=payload_types[1]))


def mid_element(mid):
    """An RFC 8285 one-byte-form extension block with the MID element, padded to a word."""
    element = bytes([(MID_ID << 4) | (len(mid) - 1)]) + mid.encode()
    return (0xBEDE, element + b"\x00" * (-len(element) % 4))


def mid_of(packet):
    """The MID element's value in an RTP packet of ours (one-byte form), or None."""
    parsed = parse_rtp(packet)
    if not parsed or not parsed.extension_data or parsed.extension_data[0] != 0xBEDE:
        return None
    data, at = parsed.extension_data[1], 0
    while at < len(data):
        if data[at] == 0:
            at += 1
            continue
        element, length = data[at] >> 4, (data[at] & 0x0f) + 1
        if element == MID_ID:
            return data[at + 1:at + 1 + length].decode()
        at += 1 + length
    return None


def packets(ssrc, count, first_sequence=100, payload_type=0, extension=None):
    return [build_rtp(first_sequence + i, 160 * i, ssrc, payload_type=payload_type,
                      payload=struct.pack("!I", ssrc) + bytes([i]) * 156, extension=extension)
            for i in range(count)]


def ssrcs_of(received):
    return sorted({parse_rtp(data).ssrc for data, _ in received})


def setup_bundled_call(relay, peer, phone_a, phone_b, offer=None, answer_flags=None, phone_payload_types=((0,), (0,))):
    """The peer offers BUNDLE, the phone answers plainly: returns (call, towards_phone,
    towards_peer) SDPs."""
    call = Call(relay)
    towards_phone = Sdp(assert_ok(call.offer(offer or bundled_offer(peer.port), {
        "ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]}))["sdp"])
    towards_peer = Sdp(assert_ok(call.answer(phone_answer(phone_a, phone_b, phone_payload_types),
                                             answer_flags or {}))["sdp"])
    return call, towards_phone, towards_peer


def test_bundle_offer_split_towards_phone_joined_towards_peer(relay):
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        _, towards_phone, towards_peer = setup_bundled_call(relay, peer, phone_a, phone_b)
        # the phone: two transports, no group
        assert towards_phone.medias[0].port != towards_phone.medias[1].port
        assert not [a for a in towards_phone.attributes if a.startswith("group:")]
        assert towards_phone.media_connection(1)[1] != "0.0.0.0", "a bundled m= line is no hold"
        # the peer: one transport, the group answered, the MID extension accepted
        assert towards_peer.medias[0].port == towards_peer.medias[1].port
        assert "group:BUNDLE a0 a1" in towards_peer.attributes
        for media, mid in zip(towards_peer.medias, ("a0", "a1")):
            assert attribute_values(media.attributes, "mid") == [mid]
            assert "%d %s" % (MID_ID, MID_URI) in attribute_values(media.attributes, "extmap")
            assert has_attribute(media.attributes, "rtcp-mux")
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


def exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer, protect=None, unprotect=None):
    """Both directions: the peer's two SSRCs (same payload type) to the one shared port reach
    their own phone port; each phone port's stream reaches the peer's one port with its MID."""
    protect = protect or (lambda items: items)
    unprotect = unprotect or (lambda items: items)
    shared = towards_peer.media_address(0)
    for packet in protect(packets(SSRC_A, 5) + packets(SSRC_B, 5)):
        peer.rtp.send(packet, shared)
    got_a, got_b = phone_a.rtp.receive_all(10, 2.0), phone_b.rtp.receive_all(10, 2.0)
    assert ssrcs_of(got_a) == [SSRC_A] and len(got_a) == 5, "m=0's phone port got %s" % ssrcs_of(got_a)
    assert ssrcs_of(got_b) == [SSRC_B] and len(got_b) == 5, "m=1's phone port got %s" % ssrcs_of(got_b)
    # back: each phone port sends its stream to the relay port of its own m= line
    for phone, index, ssrc in ((phone_a, 0, 0x1111), (phone_b, 1, 0x2222)):
        for packet in packets(ssrc, 5, first_sequence=500):
            phone.rtp.send(packet, towards_phone.media_address(index))
    received = peer.rtp.receive_all(10, 2.0)
    assert len(received) == 10, "the peer got %d of 10 packets" % len(received)
    assert {source for _, source in received} == {shared}, "not all from the one transport"
    plain = unprotect([data for data, _ in received])
    assert all(plain), "SRTP from the relay did not authenticate"
    mids = {(parse_rtp(data).ssrc, mid_of(data)) for data in plain}
    assert mids == {(0x1111, "a0"), (0x2222, "a1")}, mids
    for data in plain:
        parsed = parse_rtp(data)
        assert parsed.payload[:4] == struct.pack("!I", parsed.ssrc), "payload moved wrongly by the MID element"


def test_bundle_media_reaches_each_phone_port_and_back(relay):
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        _, towards_phone, towards_peer = setup_bundled_call(relay, peer, phone_a, phone_b)
        exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer)
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


def test_bundle_routes_by_mid_then_payload_type_and_counts_strangers(relay):
    """An SSRC nobody declared: placed by its MID element (and learned: later packets without
    it follow), by a payload type only one m= line has, else dropped and counted."""
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        _, _, towards_peer = setup_bundled_call(
            relay, peer, phone_a, phone_b, offer=bundled_offer(peer.port, same_payload_types=False),
            phone_payload_types=((0,), (8,)))
        shared = towards_peer.media_address(0)
        # MID "a1" on an undeclared SSRC with m=0's payload type: the MID wins
        for packet in packets(0x3333, 3, extension=mid_element("a1")) + packets(0x3333, 3, first_sequence=200):
            peer.rtp.send(packet, shared)
        got = phone_b.rtp.receive_all(6, 2.0)
        assert ssrcs_of(got) == [0x3333] and len(got) == 6, "MID-placed SSRC: %d packets" % len(got)
        assert not phone_a.rtp.receive_all(1, 0.2)
        # payload type 8 is m=1's alone
        for packet in packets(0x4444, 3, payload_type=8):
            peer.rtp.send(packet, shared)
        assert ssrcs_of(phone_b.rtp.receive_all(3, 2.0)) == [0x4444]
        before = assert_ok(relay.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
        # payload type 9 is nobody's: dropped and counted
        for packet in packets(0x5555, 4, payload_type=9):
            peer.rtp.send(packet, shared)
        assert not phone_a.rtp.receive_all(1, 0.3) and not phone_b.rtp.receive_all(1, 0.1)
        after = assert_ok(relay.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
        assert after["droppedbundleunknown"] - before["droppedbundleunknown"] == 4
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


def srtp(mode, packets_in):
    result = subprocess.run([SRTP_PEER, mode, SUITE, KEY_FOR[mode]], input="".join(p.hex() + "\n" for p in packets_in),
                            capture_output=True, text=True, timeout=10, check=True)
    return [None if line.startswith("error") else bytes.fromhex(line) for line in result.stdout.splitlines()]


KEY_FOR = {}


@pytest.mark.skipif(not os.path.exists(SRTP_PEER), reason="srtp_peer not built (make build/tests/srtp_peer)")
def test_bundle_sdes_srtp_one_context_for_the_transport(relay):
    """SDES-SRTP on the bundled side: the peer protects both m= lines' SSRCs with its one key
    (libsrtp2), the relay decrypts on the shared transport, routes, and protects both phone
    streams with the key of its answer, which both m= lines carry."""
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        _, towards_phone, towards_peer = setup_bundled_call(
            relay, peer, phone_a, phone_b, offer=bundled_offer(peer.port, protocol="RTP/SAVP", crypto=KEY))
        keys = [attribute_values(media.attributes, "crypto") for media in towards_peer.medias]
        assert keys[0] and keys[0] == keys[1], "the bundled m= lines must carry the transport's one key: %s" % keys
        KEY_FOR["protect"] = KEY
        KEY_FOR["unprotect"] = keys[0][0].split()[2][len("inline:"):].split("|")[0]
        exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer,
                       protect=lambda items: srtp("protect", items), unprotect=lambda items: srtp("unprotect", items))
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


def test_offer_towards_browser_bundles_several_m_lines(relay):
    """Phone calls browser with two m= lines: the offer towards the browser (ICE=force,
    UDP/TLS/RTP/SAVPF, generate-mid) offers them as one BUNDLE group with the MID extension on
    each; as RFC 8843 section 7.2 asks, the initial offer gives each m= line its own address
    (an answerer that declines the group still has a transport per m= line); towards a phone
    (ICE=remove) there is no group."""
    phone_a, phone_b = MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        call = Call(relay)
        offer = Sdp(assert_ok(call.offer(phone_answer(phone_a, phone_b), {
            "ICE": "force", "DTLS": "passive", "transport-protocol": "UDP/TLS/RTP/SAVPF",
            "rtcp-mux": ["offer"], "flags": ["generate-mid"]}))["sdp"])
        assert "group:BUNDLE 1 2" in offer.attributes
        first, second = offer.medias
        assert first.port != second.port
        for name in ("fingerprint", "setup"):
            assert attribute_values(first.attributes, name) == attribute_values(second.attributes, name), name
        for media in (first, second):
            for name in ("ice-ufrag", "ice-pwd", "fingerprint", "setup", "candidate", "rtcp-mux"):
                assert attribute_values(media.attributes, name) or has_attribute(media.attributes, name), name
            assert str(media.port) in " ".join(attribute_values(media.attributes, "candidate"))
        extmaps = [value for value in attribute_values(first.attributes, "extmap") if value.endswith(MID_URI)]
        assert len(extmaps) == 1 and extmaps == [v for v in attribute_values(second.attributes, "extmap")
                                                  if v.endswith(MID_URI)]
        plain = Call(relay)
        split = Sdp(assert_ok(plain.offer(phone_answer(phone_a, phone_b), {"ICE": "remove"}))["sdp"])
        assert split.medias[0].port != split.medias[1].port
        assert not [a for a in split.attributes if a.startswith("group:")]
    finally:
        phone_a.close()
        phone_b.close()


# Towards a BUNDLE-capable side that is not a browser: the scripted peer (a=group, plain RTP)
# calls it, the relay offers the group with ICE; the answerer answers without ICE so that its
# m= lines are plain transports the test drives directly.
TOWARDS_CALLEE = {"ICE": "force", "rtcp-mux": ["offer"], "flags": ["generate-mid"]}


def callee_answer(ports, mids=("a0", "a1"), group=None):
    """The callee's answer: one m= line per port (0 = rejected), rtcp-mux, its mids; a
    group line only when group is given."""
    sections = [media_section(port, attributes=["mid:%s" % mid, "rtcp-mux", "sendrecv"])
                for port, mid in zip(ports, mids)]
    return make_sdp(PHONE_HOST, *sections, session_attributes=(("group:BUNDLE " + group,) if group else ()))


def test_answer_declining_the_group_keeps_a_transport_per_m_line(relay):
    """RFC 8843 section 7.3: the answerer may decline the group we offered (its answer has no
    a=group:BUNDLE and a port per m= line). Each of its m= lines then uses the address our
    initial offer gave that m= line, and media of the bundled caller reaches each of them and
    comes back on the caller's one transport with the right MID."""
    peer, callee_a, callee_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        call = Call(relay)
        towards_callee = Sdp(assert_ok(call.offer(bundled_offer(peer.port), TOWARDS_CALLEE))["sdp"])
        assert "group:BUNDLE a0 a1" in towards_callee.attributes
        assert towards_callee.medias[0].port != towards_callee.medias[1].port
        towards_peer = Sdp(assert_ok(call.answer(callee_answer((callee_a.port, callee_b.port))))["sdp"])
        assert towards_peer.medias[0].port == towards_peer.medias[1].port, "the caller's own group stays"
        exchange_media(peer, callee_a, callee_b, towards_callee, towards_peer)
    finally:
        for endpoint in (peer, callee_a, callee_b):
            endpoint.close()


def test_answer_rejecting_a_bundled_m_line(relay):
    """RFC 8843 section 7.3.3: the answerer rejects one m= line of the group (port 0, not in
    its group): the other one keeps working both ways, the rejected one is rejected towards
    the caller too and gets nothing."""
    peer, callee_a = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST)
    try:
        call = Call(relay)
        towards_callee = Sdp(assert_ok(call.offer(bundled_offer(peer.port), TOWARDS_CALLEE))["sdp"])
        towards_peer = Sdp(assert_ok(call.answer(callee_answer((callee_a.port, 0), group="a0")))["sdp"])
        assert towards_peer.medias[1].port == 0 and towards_peer.medias[0].port != 0
        shared = towards_peer.media_address(0)
        for packet in packets(SSRC_A, 5) + packets(SSRC_B, 5):
            peer.rtp.send(packet, shared)
        got = callee_a.rtp.receive_all(10, 2.0)
        assert ssrcs_of(got) == [SSRC_A] and len(got) == 5, ssrcs_of(got)
        for packet in packets(0x1111, 5, first_sequence=500):
            callee_a.rtp.send(packet, towards_callee.media_address(0))
        back = peer.rtp.receive_all(5, 2.0)
        assert len(back) == 5 and {source for _, source in back} == {shared}
    finally:
        peer.close()
        callee_a.close()


def test_answer_accepting_the_group_then_reoffer_shares_the_port(relay):
    """RFC 8843 sections 7.4 and 7.5.1: the answerer accepts the group (both m= lines on its
    one port): both streams reach it through our offerer-tagged address with their MIDs, and
    a later offer shows that one address on every m= line."""
    peer, callee = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST)
    try:
        call = Call(relay)
        towards_callee = Sdp(assert_ok(call.offer(bundled_offer(peer.port), TOWARDS_CALLEE))["sdp"])
        answer = callee_answer((callee.port, callee.port), group="a0 a1").replace(
            "a=mid:a0", "a=mid:a0\r\na=extmap:%d %s" % (MID_ID, MID_URI))
        towards_peer = Sdp(assert_ok(call.answer(answer))["sdp"])
        shared = towards_peer.media_address(0)
        for packet in packets(SSRC_A, 3) + packets(SSRC_B, 3):
            peer.rtp.send(packet, shared)
        got = callee.rtp.receive_all(6, 2.0)
        assert {(parse_rtp(data).ssrc, mid_of(data)) for data, _ in got} == {(SSRC_A, "a0"), (SSRC_B, "a1")}
        assert {source for _, source in got} == {towards_callee.media_address(0)}
        again = Sdp(assert_ok(call.offer(bundled_offer(peer.port).replace(" 1 IN IP4", " 2 IN IP4"),
                                         TOWARDS_CALLEE))["sdp"])
        assert again.medias[0].port == again.medias[1].port == towards_callee.medias[0].port
        assert "group:BUNDLE a0 a1" in again.attributes
    finally:
        peer.close()
        callee.close()


def test_bundle_only_m_line_from_the_offerer_is_bundled_not_rejected(relay):
    """RFC 8843 section 6: an offer's m= line with port 0 and a=bundle-only is in the group
    and not rejected (as a BUNDLE-aware endpoint offers media it will only send bundled):
    the phone gets a port for it, the answer towards the offerer puts it on the shared
    transport (RFC 9143 section 7.3.1, no bundle-only in answers), and media flows both ways."""
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        offer = bundled_offer(peer.port).replace("m=audio 9 ", "m=audio 0 ").replace(
            "a=mid:a1\r\n", "a=mid:a1\r\na=bundle-only\r\n").replace("c=IN IP4 0.0.0.0\r\n", "")
        assert "a=bundle-only" in offer and "m=audio 0 " in offer
        _, towards_phone, towards_peer = setup_bundled_call(relay, peer, phone_a, phone_b, offer=offer)
        assert towards_phone.medias[1].port not in (0, towards_phone.medias[0].port)
        assert not has_attribute(towards_phone.medias[1].attributes, "bundle-only")
        assert towards_peer.medias[0].port == towards_peer.medias[1].port != 0
        assert "group:BUNDLE a0 a1" in towards_peer.attributes
        assert not has_attribute(towards_peer.medias[1].attributes, "bundle-only")
        exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer)
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


def test_transcoded_packets_towards_the_bundled_side_carry_their_mid(relay):
    """Transcoding on a bundled call (the peer offers PCMU on both m= lines, the phone answers
    PCMA only): what the codec chain makes from each phone port's PCMA leaves by the peer's
    one transport as PCMU with its m= line's MID, as forwarded packets do (RFC 9143 section
    9.2), and the peer's PCMU reaches each phone port as PCMA."""
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        call = Call(relay)
        towards_phone = Sdp(assert_ok(call.offer(bundled_offer(peer.port), {
            "ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"],
            "codec": {"transcode": ["PCMA"]}}))["sdp"])
        towards_peer = Sdp(assert_ok(call.answer(phone_answer(phone_a, phone_b, ((8,), (8,)))))["sdp"])
        assert towards_peer.medias[0].port == towards_peer.medias[1].port
        assert towards_peer.medias[0].formats == ["0"], towards_peer.medias[0].formats
        shared = towards_peer.media_address(0)
        for phone, index, ssrc, mid in ((phone_a, 0, 0x1111, "a0"), (phone_b, 1, 0x2222, "a1")):
            for packet in packets(ssrc, 6, first_sequence=500, payload_type=8):
                phone.rtp.send(packet, towards_phone.media_address(index))
            received = peer.rtp.receive_all(3, 3.0)
            assert len(received) >= 3, "the peer got %d transcoded packets from m=%d" % (len(received), index)
            assert {source for _, source in received} == {shared}
            assert {(parse_rtp(data).payload_type, mid_of(data)) for data, _ in received} == {(0, mid)}
            peer.rtp.receive_all(10, 0.3)   # the rest of this burst
        for packet in packets(SSRC_A, 6) + packets(SSRC_B, 6):
            peer.rtp.send(packet, shared)
        for phone in (phone_a, phone_b):
            got = phone.rtp.receive_all(3, 3.0)
            assert len(got) >= 3 and {parse_rtp(data).payload_type for data, _ in got} == {8}
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


DATA_CHANNEL = ("m=application %d UDP/DTLS/SCTP webrtc-datachannel\r\n%sa=mid:d\r\na=sctp-port:5000\r\n"
                "a=max-message-size:262144\r\n")


def test_data_channel_outside_a_group_passes_as_opaque_udp(relay):
    """As 10.5: an m=application UDP/DTLS/SCTP line keeps its protocol (transport-protocol
    translates RTP m= lines only), gets its own port and no a=rtcp, and its packets (DTLS
    records, never terminated here) pass unchanged both ways."""
    caller, callee, data_caller, data_callee = (MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST),
                                                MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST))
    try:
        call = Call(relay)
        offer = make_sdp(PEER_HOST, media_section(caller.port), DATA_CHANNEL % (data_caller.port, ""))
        towards_callee = Sdp(assert_ok(call.offer(offer, {"ICE": "remove", "transport-protocol": "RTP/SAVP"}))["sdp"])
        audio, data = towards_callee.medias
        assert audio.protocol == "RTP/SAVP" and data.protocol == "UDP/DTLS/SCTP"
        assert data.port not in (0, audio.port) and not has_attribute(data.attributes, "rtcp")
        assert attribute_values(data.attributes, "sctp-port") == ["5000"]
        answer = make_sdp(PHONE_HOST, media_section(callee.port, protocol="RTP/SAVP", attributes=(
            "sendrecv", "crypto:1 %s inline:%s" % (SUITE, KEY))), DATA_CHANNEL % (data_callee.port, ""))
        towards_caller = Sdp(assert_ok(call.answer(answer))["sdp"])
        assert towards_caller.medias[1].protocol == "UDP/DTLS/SCTP" and towards_caller.medias[1].port
        record = bytes([22, 0xfe, 0xfd]) + bytes(8) + b"\x00\x10" + bytes(range(16))   # a DTLS 1.2 handshake record
        data_caller.rtp.send(record, towards_callee and towards_caller.media_address(1))
        got = data_callee.rtp.receive_all(1, 2.0)
        assert [data for data, _ in got] == [record]
        data_callee.rtp.send(record[::-1], towards_callee.media_address(1))
        back = data_caller.rtp.receive_all(1, 2.0)
        assert [data for data, _ in back] == [record[::-1]]
    finally:
        for endpoint in (caller, callee, data_caller, data_callee):
            endpoint.close()


def test_bundled_data_channel_is_rejected_and_the_group_stays(relay):
    """A data channel in the browser's BUNDLE group would ride the DTLS association the relay
    terminates, and the relay does not terminate SCTP: that m= line is rejected on both
    sides (RFC 8843 section 7.3.3, port 0), the audio m= lines keep their group and media."""
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        offer = bundled_offer(peer.port).replace("group:BUNDLE a0 a1", "group:BUNDLE a0 a1 d") + \
            DATA_CHANNEL % (9, "c=IN IP4 0.0.0.0\r\n")
        call = Call(relay)
        towards_phone = Sdp(assert_ok(call.offer(offer, {
            "ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]}))["sdp"])
        assert towards_phone.medias[2].port == 0 and towards_phone.medias[2].protocol == "UDP/DTLS/SCTP"
        answer = make_sdp(PHONE_HOST, media_section(phone_a.port, payload_types=(0,)),
                          media_section(phone_b.port, payload_types=(0,)), DATA_CHANNEL % (0, ""))
        towards_peer = Sdp(assert_ok(call.answer(answer))["sdp"])
        assert towards_peer.medias[2].port == 0
        assert "group:BUNDLE a0 a1" in towards_peer.attributes
        exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer)
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


def ice_sdp(host, port, ufrag, relay_host=None):
    """An ICE endpoint's SDP: its own host candidate and, with relay_host, a TURN one."""
    attributes = ["sendrecv", "ice-ufrag:%s" % ufrag, "ice-pwd:%s" % ("p" * 24),
                  "candidate:1 1 udp 2113937151 %s %d typ host" % (host, port)]
    if relay_host:
        attributes.append("candidate:3 1 udp 16777215 %s 50000 typ relay raddr %s rport %d" % (relay_host, host, port))
    return make_sdp(host, media_section(port, payload_types=(0,), attributes=attributes))


def candidates(media):
    return [value.split() for value in attribute_values(media.attributes, "candidate")]


def test_ice_force_relay_as_upstream(relay, rtpengine_factory):
    """ICE=force-relay (as 10.5 writes it): c= and the m= port stay the sender's, its ICE
    credentials and candidates pass except its relay ones, and the relay is added as a relay
    candidate (priority 255/254, raddr/rport its own) on the port facing the receiver; the
    receiver's checks to it pass through to the sender unchanged (no agent of ours), and so
    does media, both ways. 10.5's offer for the same request is compared where installed."""
    caller, callee = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST)
    try:
        call = Call(relay)
        offer = ice_sdp(PEER_HOST, caller.port, "caller01", relay_host="192.0.2.10")
        towards_callee = Sdp(assert_ok(call.offer(offer, {"ICE": "force-relay"}))["sdp"])
        media = towards_callee.medias[0]
        assert media.port == caller.port and towards_callee.media_address(0) == (PEER_HOST, caller.port)
        assert attribute_values(media.attributes, "ice-ufrag") == ["caller01"]
        assert not has_attribute(media.attributes, "rtcp")
        found = candidates(media)
        assert [c[7] for c in found] == ["host", "relay", "relay"], found
        ours = [c for c in found if c[7] == "relay"]
        assert [(c[1], c[3]) for c in ours] == [("1", "255"), ("2", "254")]
        relay_port = int(ours[0][5])
        assert ours[0][4] == "127.0.0.1" and ours[0][8:] == ["raddr", "127.0.0.1", "rport", str(relay_port)]
        if os.path.exists("/usr/bin/rtpengine"):
            reference = rtpengine_factory(binary="/usr/bin/rtpengine")
            upstream = Sdp(assert_ok(Call(reference).offer(offer, {"ICE": "force-relay"}))["sdp"]).medias[0]
            assert upstream.port == media.port
            assert [(c[1], c[3], c[7]) for c in candidates(upstream)] == [(c[1], c[3], c[7]) for c in found]
            assert attribute_values(upstream.attributes, "ice-ufrag") == ["caller01"]
        answer = ice_sdp(PHONE_HOST, callee.port, "callee01")
        towards_caller = Sdp(assert_ok(call.answer(answer, {"ICE": "force-relay"}))["sdp"])
        back = towards_caller.medias[0]
        assert back.port == callee.port and attribute_values(back.attributes, "ice-ufrag") == ["callee01"]
        caller_relay = [c for c in candidates(back) if c[7] == "relay"]
        assert caller_relay and int(caller_relay[0][5]) != relay_port
        # the callee checks the relay candidate: the request reaches the caller as it was sent
        check, _ = stun.binding_request("caller01:callee01", "p" * 24)
        callee.rtp.send(check, ("127.0.0.1", relay_port))
        got = caller.rtp.receive(2.0)
        assert got and got[0] == check, "the check did not pass through: %r" % (got,)
        # media: the caller to its relay candidate reaches the callee, and back
        for packet in packets(0x1234, 3):
            caller.rtp.send(packet, ("127.0.0.1", int(caller_relay[0][5])))
        assert len(callee.rtp.receive_all(3, 2.0)) == 3
        for packet in packets(0x4321, 3):
            callee.rtp.send(packet, ("127.0.0.1", relay_port))
        assert len(caller.rtp.receive_all(3, 2.0)) == 3
    finally:
        caller.close()
        callee.close()


def test_bundle_reoffer_replaces_the_table_and_media_still_flows(relay):
    """A re-INVITE with the same BUNDLE: the group's table is rebuilt and swapped under the
    call's lock (the old one freed after), learned routes start over from the SDP, and both m=
    lines still reach their phone ports and back through the same transport."""
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        call, towards_phone, towards_peer = setup_bundled_call(relay, peer, phone_a, phone_b)
        exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer)
        flags = {"ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]}
        again_phone = Sdp(assert_ok(call.offer(bundled_offer(peer.port).replace(" 1 IN IP4", " 2 IN IP4"), flags))["sdp"])
        again_peer = Sdp(assert_ok(call.answer(phone_answer(phone_a, phone_b)))["sdp"])
        assert again_peer.medias[0].port == again_peer.medias[1].port == towards_peer.medias[0].port
        assert [m.port for m in again_phone.medias] == [m.port for m in towards_phone.medias]
        exchange_media(peer, phone_a, phone_b, again_phone, again_peer)
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed")
def test_bundled_call_survives_kill_9_with_its_table(rtpengine_factory, tmp_path):
    """The bundle state is in the Redis value (docs/redis.md: mid, bundle, bundle_group): a
    standby restores the group, so after kill -9 both m= lines still reach their own phone
    ports from the one shared transport and back, each with its MID."""
    from test_redis import RedisServer, standby_of
    from process import wait_until
    server = RedisServer(tmp_path)
    client = server.client()
    active = rtpengine_factory("--endpoint-learning=immediate", "--redis=%s" % server.url())
    peer, phone_a, phone_b = MediaPeer(PEER_HOST), MediaPeer(PHONE_HOST), MediaPeer(PHONE_HOST)
    try:
        call, towards_phone, towards_peer = setup_bundled_call(active, peer, phone_a, phone_b)
        exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer)

        def group_written():
            value = client.value(call.call_id)
            media = value and [m for monologue in value["monologues"] for m in monologue["media"]]
            return media and any("bundle_group" in m for m in media) and media[0]["streams"][0]["learned"]
        assert wait_until(group_written, 5.0), json.dumps(client.value(call.call_id))
        value = client.value(call.call_id)
        bundled_side = [monologue for monologue in value["monologues"]
                        if any("bundle_group" in m for m in monologue["media"])]
        assert len(bundled_side) == 1
        owner, member = bundled_side[0]["media"]
        assert owner["mid"] == "a0" and member["mid"] == "a1"
        assert owner["bundle"]["owner"] == 0 and member["bundle"] == {"owner": 0, "index": 1,
                                                                       "extension_id": MID_ID}
        assert owner["bundle_group"]["mids"] == ["a0", "a1"] and owner["bundle_group"]["members"] == [0, 1]
        assert [SSRC_A, 0] in owner["bundle_group"]["ssrcs"] and [SSRC_B, 1] in owner["bundle_group"]["ssrcs"]

        active.stop(signal.SIGKILL)
        standby = standby_of(rtpengine_factory, active)
        assert standby.wait_for_log(r"call restored")
        exchange_media(peer, phone_a, phone_b, towards_phone, towards_peer)
        # the restored group answers a re-offer like the original one did
        flags = {"ICE": "remove", "transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"]}
        again_phone = Sdp(assert_ok(Call(standby, call.call_id).offer(
            bundled_offer(peer.port).replace(" 1 IN IP4", " 2 IN IP4"), flags))["sdp"])
        again_peer = Sdp(assert_ok(Call(standby, call.call_id).answer(phone_answer(phone_a, phone_b)))["sdp"])
        assert again_peer.medias[0].port == again_peer.medias[1].port == towards_peer.medias[0].port
        assert "group:BUNDLE a0 a1" in again_peer.attributes
        exchange_media(peer, phone_a, phone_b, again_phone, again_peer)
        assert_ok(Call(standby, call.call_id).delete())
    finally:
        for endpoint in (peer, phone_a, phone_b):
            endpoint.close()
        client.close()
        server.process.stop()
