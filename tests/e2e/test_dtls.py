"""DTLS-SRTP (RFC 5763/5764) terminated by the relay, checked against independent peers:
OpenSSL's own `openssl s_client` / `s_server` do the handshake (with -use_srtp and the RFC 5764
exporter), and the exported keys drive libsrtp2 (tests/e2e/srtp_peer.c) to send and receive
SRTP through the relay to a plain RTP peer."""

import base64
import os
import re
import select
import socket
import subprocess
import time

import pytest

from calls import (Call, Sdp, assert_error, assert_ok, attribute_values, media_section, make_sdp, streams_of,
                   wait_until)
from conftest import IS_UPSTREAM
from rtp import MediaPeer, MediaSocket, build_rtcp_compound, rtp_stream

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"
PEER = os.environ.get("SRTP_PEER", os.path.join(os.path.dirname(__file__), "..", "..", "build",
                                                "tests", "srtp_peer"))

pytestmark = [
    pytest.mark.skipif(not os.path.exists(PEER), reason="srtp_peer not built (make test-e2e builds it)"),
    pytest.mark.skipif(IS_UPSTREAM, reason="DTLS counters and timing are ours"),
]

# profile name for openssl -use_srtp -> (SDES suite name for srtp_peer, key length, salt length)
PROFILES = {
    "SRTP_AES128_CM_SHA1_80": ("AES_CM_128_HMAC_SHA1_80", 16, 14),
    "SRTP_AES128_CM_SHA1_32": ("AES_CM_128_HMAC_SHA1_32", 16, 14),
    "SRTP_AEAD_AES_128_GCM": ("AEAD_AES_128_GCM", 16, 12),
    "SRTP_AEAD_AES_256_GCM": ("AEAD_AES_256_GCM", 32, 12),
}


# ---------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A peer certificate (EC P-256, self-signed) and its SHA-256 fingerprint."""
    folder = tmp_path_factory.mktemp("dtls-peer")
    key, cert = str(folder / "key.pem"), str(folder / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=dtls-peer"],
                   check=True, capture_output=True)
    return key, cert, fingerprint_of(cert)


def fingerprint_of(pem_path_or_text, digest="sha256"):
    if os.path.exists(pem_path_or_text):
        arguments, data = ["-in", pem_path_or_text], None
    else:
        arguments, data = [], pem_path_or_text.encode()
    output = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-" + digest] + arguments,
                            input=data, check=True, capture_output=True).stdout.decode()
    return output.strip().split("=", 1)[1]


def srtp(mode, suite, key_and_salt, packets):
    """Runs srtp_peer (libsrtp2) over packets; returns the resulting packets or raises."""
    text = "".join(packet.hex() + "\n" for packet in packets)
    result = subprocess.run([PEER, mode, suite, base64.b64encode(key_and_salt).decode()], input=text,
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert all(not line.startswith("error") for line in lines), lines
    return [bytes.fromhex(line) for line in lines]


def split_keys(material, profile):
    """RFC 5764 section 4.2: client key, server key, client salt, server salt."""
    _, key_length, salt_length = PROFILES[profile]
    client_key, server_key = material[:key_length], material[key_length:2 * key_length]
    client_salt = material[2 * key_length:2 * key_length + salt_length]
    server_salt = material[2 * key_length + salt_length:2 * (key_length + salt_length)]
    return client_key + client_salt, server_key + server_salt


class OpensslPeer:
    """openssl s_client or s_server as the DTLS endpoint of the caller; its stdin stays open so
    that it does not close the association."""

    def __init__(self, arguments, profile):
        self.profile = profile
        _, key_length, salt_length = PROFILES[profile]
        self.process = subprocess.Popen(
            ["openssl"] + arguments + ["-dtls1_2", "-use_srtp", profile, "-keymatexport", "EXTRACTOR-dtls_srtp",
                                       "-keymatexportlen", str(2 * (key_length + salt_length))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = b""

    def read_until(self, pattern, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output)
            if match:
                return match
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.output += chunk
        return re.search(pattern, self.output)

    def keying_material(self, timeout=10.0):
        match = self.read_until(rb"Keying material: ([0-9A-Fa-f]+)", timeout)
        assert match, "no keys exported; openssl said:\n" + self.output.decode(errors="replace")
        return bytes.fromhex(match.group(1).decode())

    def peer_certificate(self):
        match = self.read_until(rb"(?s)-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", 2.0)
        return match.group(0).decode() if match else None

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)


def openssl_server(address, certificate, profile):
    """openssl s_server listening (passive DTLS) on a free port of `address`: (peer, port). The
    caller closes the peer."""
    key, cert, _ = certificate
    listening = MediaSocket(address)           # reserve a port for s_server
    port = listening.address[1]
    listening.close()
    server = OpensslPeer(["s_server", "-accept", "%s:%d" % (address, port), "-cert", cert, "-key", key,
                          "-verify", "1"], profile)
    if not server.read_until(rb"ACCEPT", 5.0):
        server.close()
        pytest.fail("s_server did not start: %r" % server.output)
    return server, port


def dtls_offer(port, fingerprint, setup="actpass", profile="UDP/TLS/RTP/SAVP", extra=()):
    return make_sdp(CALLER, media_section(port, protocol=profile,
                                          attributes=("sendrecv", "setup:%s" % setup,
                                                      "fingerprint:sha-256 %s" % fingerprint) + tuple(extra)))


def totals(rtpengine):
    return rtpengine.ng({"command": "statistics"})["statistics"]["totalstatistics"]


def receive(sock, count, timeout=2.0):
    return [data for data, _ in sock.receive_all(count, timeout)]


@pytest.fixture
def peers():
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    yield caller, callee
    caller.close()
    callee.close()


def media_both_ways(caller_socket, callee, relay_for_caller, relay_for_callee, profile, caller_key, relay_key):
    """caller (SRTP with its exported key) -> relay -> callee (plain), and back."""
    suite = PROFILES[profile][0]
    plain = rtp_stream(0x1234, 5)
    for packet in srtp("protect", suite, caller_key, plain):
        caller_socket.send(packet, relay_for_caller)
    assert receive(callee.rtp, 5) == plain
    back = rtp_stream(0x4321, 5)
    for packet in back:
        callee.rtp.send(packet, relay_for_callee)
    protected = receive(caller_socket, 5)
    assert len(protected) == 5 and protected != back
    assert srtp("unprotect", suite, relay_key, protected) == back


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("profile", ["SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM"])
def test_relay_passive_with_openssl_client(rtpengine, peers, certificate, profile):
    """The caller offers a=setup:active: the relay answers passive, s_client connects to the
    relay's port; keys from the exporter carry SRTP both ways."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="active"),
                                       {"transport-protocol": "RTP/AVP"}))["sdp"])
    assert offered.medias[0].protocol == "RTP/AVP"
    assert not attribute_values(offered.medias[0].attributes, "fingerprint")
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    media = answered.medias[0]
    assert media.protocol == "UDP/TLS/RTP/SAVP"
    assert attribute_values(media.attributes, "setup") == ["passive"]
    (our_fingerprint,) = attribute_values(media.attributes, "fingerprint")
    assert our_fingerprint.startswith("sha-256 ")
    assert not attribute_values(media.attributes, "tls-id")   # as upstream 10.5

    relay_for_caller, relay_for_callee = answered.media_address(), offered.media_address()
    client = OpensslPeer(["s_client", "-connect", "%s:%d" % relay_for_caller, "-cert", cert, "-key", key,
                          "-showcerts"], profile)
    try:
        material = client.keying_material()
        # the certificate the relay presented is the one its SDP named (RFC 8122)
        presented = client.peer_certificate()
        assert presented and fingerprint_of(presented) == our_fingerprint.split(" ", 1)[1]
        client_key, server_key = split_keys(material, profile)
        media_both_ways(caller.rtp, callee, relay_for_caller, relay_for_callee, profile, client_key, server_key)
        assert totals(rtpengine)["dtlshandshakes"] >= 1
        # query says how the side is keyed (ours: upstream has no such key)
        rtp_stream_state = streams_of(assert_ok(call.query()), call.from_tag)[0]
        assert rtp_stream_state["DTLS"] == "established, passive, " + PROFILES[profile][0]
    finally:
        client.close()


@pytest.mark.parametrize("profile", ["SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_256_GCM"])
def test_relay_active_with_openssl_server(rtpengine, peers, certificate, profile):
    """The caller offers actpass: the relay takes the active role (as upstream) and connects to
    the caller's SDP port, where s_server listens, once the answer went through."""
    caller, callee = peers
    fingerprint = certificate[2]
    server, server_port = openssl_server(CALLER, certificate, profile)
    try:
        call = Call(rtpengine)
        offered = Sdp(assert_ok(call.offer(dtls_offer(server_port, fingerprint, setup="actpass"),
                                           {"transport-protocol": "RTP/AVP"}))["sdp"])
        answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
        assert attribute_values(answered.medias[0].attributes, "setup") == ["active"]
        material = server.keying_material()
        client_key, server_key = split_keys(material, profile)
        # media comes from another port than the handshake: the relay learns it from SRTP
        media_both_ways(caller.rtp, callee, answered.media_address(), offered.media_address(), profile,
                        server_key, client_key)
    finally:
        server.close()


def test_plain_caller_offered_dtls_towards_callee(rtpengine, peers, certificate):
    """transport-protocol=UDP/TLS/RTP/SAVP towards the callee: the relay offers actpass and its
    fingerprint; the callee answers passive, so the relay connects to it."""
    caller, callee = peers
    fingerprint = certificate[2]
    profile = "SRTP_AES128_CM_SHA1_80"
    server, server_port = openssl_server(CALLEE, certificate, profile)
    try:
        call = Call(rtpengine)
        offered = Sdp(assert_ok(call.offer(make_sdp(CALLER, media_section(caller.port)),
                                           {"transport-protocol": "UDP/TLS/RTP/SAVP"}))["sdp"])
        media = offered.medias[0]
        assert media.protocol == "UDP/TLS/RTP/SAVP"
        assert attribute_values(media.attributes, "setup") == ["actpass"]
        assert len(crypto_suites(media)) == 12          # upstream 10.5 offers SDES here too
        assert attribute_values(media.attributes, "fingerprint")[0].startswith("sha-256 ")
        answer = make_sdp(CALLEE, media_section(server_port, protocol="UDP/TLS/RTP/SAVP",
                                                attributes=("sendrecv", "setup:passive",
                                                            "fingerprint:sha-256 %s" % fingerprint)))
        answered = Sdp(assert_ok(call.answer(answer))["sdp"])
        assert answered.medias[0].protocol == "RTP/AVP"
        assert not attribute_values(answered.medias[0].attributes, "setup")
        client_key, server_key = split_keys(server.keying_material(), profile)
        # callee side: SRTP with the DTLS keys (server role) from the callee's media socket
        suite = PROFILES[profile][0]
        for packet in srtp("protect", suite, server_key, rtp_stream(0x5151, 3)):
            callee.rtp.send(packet, offered.media_address())
        assert receive(caller.rtp, 3) == rtp_stream(0x5151, 3)
        for packet in rtp_stream(0x1515, 3):
            caller.rtp.send(packet, answered.media_address())
        assert srtp("unprotect", suite, client_key, receive(callee.rtp, 3)) == rtp_stream(0x1515, 3)
    finally:
        server.close()


def test_wrong_fingerprint_is_refused_and_counted(rtpengine, peers, certificate):
    caller, callee = peers
    key, cert, fingerprint = certificate
    wrong = ":".join(["AB"] * 32)
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, wrong, setup="active"),
                                       {"transport-protocol": "RTP/AVP"}))["sdp"])
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    profile = "SRTP_AES128_CM_SHA1_80"
    client = OpensslPeer(["s_client", "-connect", "%s:%d" % answered.media_address(), "-cert", cert, "-key", key],
                         profile)
    try:
        # the relay answers the client's certificate with a fatal alert (s_client prints its
        # exporter output even then, so the alert is what tells)
        assert client.read_until(rb"SSL alert number", 3.0), client.output.decode(errors="replace")
        assert wait_until(lambda: totals(rtpengine)["dtlsfingerprintmismatch"] >= 1, 3.0)
        # nothing reaches the callee from a side without keys
        caller.rtp.send(rtp_stream(0x7777, 1)[0], answered.media_address())
        assert receive(callee.rtp, 1, 0.5) == []
        assert totals(rtpengine)["droppeddtlspending"] >= 1
    finally:
        client.close()


def test_handshake_without_answer_is_given_up(rtpengine, peers, certificate):
    """The relay is active towards a peer that never answers: retransmissions with backoff,
    bounded, then given up and counted."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    call = Call(rtpengine)
    assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="passive"), {"transport-protocol": "RTP/AVP"}))
    assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))
    arrivals = []
    deadline = time.monotonic() + 15
    # no rtcp-mux: the RTP and the RTCP port each run an association (RFC 5764 section 4.1)
    while time.monotonic() < deadline and totals(rtpengine)["dtlstimeouts"] < 2:
        item = caller.rtp.receive(0.2)
        if item and 20 <= item[0][0] <= 63:
            arrivals.append((round(time.monotonic(), 3), len(item[0]), item[0][:14].hex()))
    assert totals(rtpengine)["dtlstimeouts"] == 2
    # the first ClientHello and at most DTLS_MAX_RETRANSMITS (6) retransmissions, backing off
    assert 3 <= len(arrivals) <= 7, arrivals
    gaps = [b[0] - a[0] for a, b in zip(arrivals, arrivals[1:])]
    assert gaps[-1] > gaps[0]
    time.sleep(0.5)
    assert caller.rtp.receive_all(1, 0.5) == []


def test_garbage_and_strangers_are_dropped(rtpengine, peers, certificate):
    """Truncated/garbage DTLS records and a flood of ClientHellos from a stranger after the
    handshake: dropped and counted; the call's media keeps flowing, the daemon lives."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="active"),
                                       {"transport-protocol": "RTP/AVP"}))["sdp"])
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    relay = answered.media_address()
    # another call, plain RTP, that the flood must not disturb
    other_caller, other_callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    other = Call(rtpengine)
    other_offered = Sdp(assert_ok(other.offer(make_sdp(CALLER, media_section(other_caller.port))))["sdp"])
    other_answered = Sdp(assert_ok(other.answer(make_sdp(CALLEE, media_section(other_callee.port))))["sdp"])
    stranger = MediaSocket(CALLER)
    # before any handshake: garbage that looks like DTLS, truncated records
    for payload in (b"\x16\xfe\xfd" + b"\x00" * 10, b"\x17" * 5, b"\x16\xfe\xfd" + b"\x02" * 60, b"\x30" * 200):
        stranger.send(payload, relay)
    assert wait_until(lambda: totals(rtpengine)["droppeddtlsgarbage"] >= 3, 3.0), totals(rtpengine)
    profile = "SRTP_AES128_CM_SHA1_80"
    client = OpensslPeer(["s_client", "-connect", "%s:%d" % relay, "-cert", cert, "-key", key], profile)
    try:
        client_key, server_key = split_keys(client.keying_material(), profile)
        # a ClientHello flood from a stranger (a real one, from another s_client's first flight)
        hello = bytes.fromhex("16fefd0000000000000000") + b"\x00\x40" + b"\x01" + os.urandom(63)
        # in bursts of 50, so that the socket's receive buffer (not the relay) is never what drops them
        for burst in range(1, 11):
            for _ in range(50):
                stranger.send(hello, relay)
            assert wait_until(lambda: totals(rtpengine)["droppeddtlsstranger"] >= burst * 50 - 10, 3.0), \
                totals(rtpengine)
        media_both_ways(caller.rtp, callee, relay, offered.media_address(), profile, client_key, server_key)
        for packet in rtp_stream(0x0909, 3):
            other_caller.rtp.send(packet, other_answered.media_address())
        assert receive(other_callee.rtp, 3) == rtp_stream(0x0909, 3)
        assert other_offered.medias[0].protocol == "RTP/AVP"
    finally:
        client.close()
        stranger.close()
        other_caller.close()
        other_callee.close()
    assert rtpengine.ng({"command": "ping"}).get("result") == "pong"


def test_dtls_off_keeps_dtls_out_of_our_offers_only(rtpengine, peers, certificate):
    """As upstream 10.5: DTLS=off still answers a DTLS-only offerer with DTLS; it keeps our
    fingerprint out of the offers we make."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, fingerprint), {"DTLS": "off"}))["sdp"])
    assert offered.medias[0].protocol == "UDP/TLS/RTP/SAVP"
    assert not attribute_values(offered.medias[0].attributes, "fingerprint")
    assert crypto_suites(offered.medias[0])
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    assert attribute_values(answered.medias[0].attributes, "setup") == ["active"]


@pytest.mark.upstream_differs("10.5 answers a DTLS offer without fingerprint with a broken SDP")
def test_offer_without_fingerprint_is_refused(rtpengine, peers):
    caller, callee = peers
    offer = make_sdp(CALLER, media_section(caller.port, protocol="UDP/TLS/RTP/SAVPF",
                                           attributes=("sendrecv", "setup:actpass")))
    assert_error(Call(rtpengine).offer(offer))


@pytest.mark.parametrize("flags", [{}, {"DTLS": "passive"}, {"DTLS": "active"}])
def test_setup_offered_towards_the_callee_is_actpass(rtpengine, peers, flags):
    """As upstream 10.5: our offers say actpass whatever DTLS= says (the answerer chooses)."""
    caller, callee = peers
    options = {"transport-protocol": "UDP/TLS/RTP/SAVPF"}
    options.update(flags)
    offered = Sdp(assert_ok(Call(rtpengine).offer(make_sdp(CALLER, media_section(caller.port)), options))["sdp"])
    assert attribute_values(offered.medias[0].attributes, "setup") == ["actpass"]


@pytest.mark.parametrize("where,flags,expected", [
    ("offer", {}, "active"), ("offer", {"DTLS": "passive"}, "active"), ("offer", {"DTLS-reverse": "passive"}, "passive"),
    ("answer", {"DTLS": "passive"}, "passive"), ("answer", {"DTLS-reverse": "passive"}, "active"),
    ("answer", {"DTLS": "active"}, "active")])
def test_role_towards_an_actpass_offerer(rtpengine, peers, certificate, where, flags, expected):
    """Which flag decides our answer's a=setup to an actpass offer, as upstream 10.5 does:
    DTLS-reverse= in the offer, DTLS= in the answer."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    call = Call(rtpengine)
    offer_options = {"transport-protocol": "RTP/AVP"}
    if where == "offer":
        offer_options.update(flags)
    assert_ok(call.offer(dtls_offer(caller.port, fingerprint), offer_options))
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port)),
                                         flags if where == "answer" else None))["sdp"])
    assert attribute_values(answered.medias[0].attributes, "setup") == [expected]


@pytest.mark.parametrize("hash_name,digest,length", [("sha-1", "sha1", 20), ("sha-512", "sha512", 64)])
def test_fingerprint_hash_follows_the_peer_and_the_flag(rtpengine, peers, certificate, hash_name, digest, length):
    caller, callee = peers
    key, cert, fingerprint = certificate
    peer_fingerprint = fingerprint_of(cert, digest)
    offer = make_sdp(CALLER, media_section(caller.port, protocol="UDP/TLS/RTP/SAVPF",
                                           attributes=("sendrecv", "setup:actpass",
                                                       "fingerprint:%s %s" % (hash_name, peer_fingerprint))))
    call = Call(rtpengine)
    assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVPF"}))
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port, protocol="RTP/AVPF"))))["sdp"])
    (ours,) = attribute_values(answered.medias[0].attributes, "fingerprint")
    name, value = ours.split(" ")
    assert name == hash_name and len(value.split(":")) == length
    # DTLS-fingerprint= overrides the peer's choice
    call2 = Call(rtpengine)
    assert_ok(call2.offer(offer, {"transport-protocol": "RTP/AVPF", "DTLS-fingerprint": "sha-256"}))
    answered = Sdp(assert_ok(call2.answer(make_sdp(CALLEE, media_section(callee.port + 2, protocol="RTP/AVPF"))))["sdp"])
    assert attribute_values(answered.medias[0].attributes, "fingerprint")[0].startswith("sha-256 ")


# ---------------------------------------------------------------- SDES and DTLS together

def crypto_suites(media):
    return [value.split()[1] for value in attribute_values(media.attributes, "crypto")]


@pytest.mark.parametrize("flags,sdes,dtls", [({}, True, True), ({"SDES": "off"}, False, True),
                                             ({"flags": ["SDES-off"]}, False, True), ({"DTLS": "off"}, True, False)])
def test_srtp_offer_towards_unknown_peer_carries_both(rtpengine, peers, flags, sdes, dtls):
    """As upstream: an RTP/SAVP offer we make carries SDES keys and our DTLS fingerprint; the
    answerer picks one. SDES=off / DTLS=off leave one out."""
    caller, callee = peers
    options = {"transport-protocol": "RTP/SAVP"}
    options.update(flags)
    media = Sdp(assert_ok(Call(rtpengine).offer(make_sdp(CALLER, media_section(caller.port)), options))["sdp"]).medias[0]
    assert media.protocol == "RTP/SAVP"
    assert bool(crypto_suites(media)) == sdes
    assert (attribute_values(media.attributes, "setup") == ["actpass"]) == dtls
    assert bool(attribute_values(media.attributes, "fingerprint")) == dtls
    if sdes and dtls:
        # upstream's order: the a=crypto lines, then setup and fingerprint
        names = [attribute.split(":")[0] for attribute in media.attributes]
        assert names.index("setup") > max(i for i, name in enumerate(names) if name == "crypto")


def test_callee_picks_dtls_from_both(rtpengine, peers, certificate):
    """The callee answers our SDES+DTLS offer with a fingerprint and no a=crypto: DTLS it is."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    listening = MediaSocket(CALLEE)
    server_port = listening.address[1]
    listening.close()
    profile = "SRTP_AEAD_AES_128_GCM"
    server = OpensslPeer(["s_server", "-accept", "%s:%d" % (CALLEE, server_port), "-cert", cert, "-key", key,
                          "-verify", "1"], profile)
    try:
        assert server.read_until(rb"ACCEPT", 5.0), server.output
        call = Call(rtpengine)
        offered = Sdp(assert_ok(call.offer(make_sdp(CALLER, media_section(caller.port)),
                                           {"transport-protocol": "RTP/SAVP"}))["sdp"])
        assert crypto_suites(offered.medias[0]) and attribute_values(offered.medias[0].attributes, "fingerprint")
        answer = make_sdp(CALLEE, media_section(server_port, protocol="RTP/SAVP",
                                                attributes=("sendrecv", "setup:passive",
                                                            "fingerprint:sha-256 %s" % fingerprint)))
        assert_ok(call.answer(answer))
        client_key, server_key = split_keys(server.keying_material(), profile)
        suite = PROFILES[profile][0]
        for packet in srtp("protect", suite, server_key, rtp_stream(0x6161, 3)):
            callee.rtp.send(packet, offered.media_address())
        assert receive(caller.rtp, 3) == rtp_stream(0x6161, 3)
    finally:
        server.close()


def test_sdes_suite_options(rtpengine, peers):
    caller, callee = peers
    plain = make_sdp(CALLER, media_section(caller.port))
    only = Sdp(assert_ok(Call(rtpengine).offer(plain, {"transport-protocol": "RTP/SAVP", "DTLS": "off",
                                                       "SDES": ["only-AES_CM_128_HMAC_SHA1_80",
                                                                "only-AEAD_AES_128_GCM"]}))["sdp"]).medias[0]
    assert crypto_suites(only) == ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"]
    without = Sdp(assert_ok(Call(rtpengine).offer(plain, {"transport-protocol": "RTP/SAVP",
                                                          "flags": ["SDES-no-AEAD_AES_256_GCM",
                                                                    "SDES-no-NULL_HMAC_SHA1_32"]}))["sdp"]).medias[0]
    suites = crypto_suites(without)
    assert "AEAD_AES_256_GCM" not in suites and "NULL_HMAC_SHA1_32" not in suites and "AEAD_AES_128_GCM" in suites


def test_sdes_key_padding(rtpengine, peers):
    """Upstream leaves the base64 padding out of its keys (RFC 4568 allows it); SDES-pad keeps it."""
    caller, callee = peers
    plain = make_sdp(CALLER, media_section(caller.port))

    def gcm_key(options):
        media = Sdp(assert_ok(Call(rtpengine).offer(plain, options))["sdp"]).medias[0]
        for value in attribute_values(media.attributes, "crypto"):
            if value.split()[1] == "AEAD_AES_256_GCM":
                return value.split("inline:")[1].split("|")[0]
    unpadded = gcm_key({"transport-protocol": "RTP/SAVP"})
    padded = gcm_key({"transport-protocol": "RTP/SAVP", "flags": ["SDES-pad"]})
    assert not unpadded.endswith("=") and len(unpadded) == 59   # 44 bytes
    assert padded.endswith("=") and len(padded) == 60
    assert len(base64.b64decode(padded)) == 44


# ---------------------------------------------------------------- OSRTP (RFC 8643)

SDES_SUITE = "AES_CM_128_HMAC_SHA1_80"


def sdes_key_of(media, suite=SDES_SUITE):
    for value in attribute_values(media.attributes, "crypto"):
        tag, name, key = value.split()[:3]
        if name == suite:
            return int(tag), base64.b64decode(key.split("inline:")[1].split("|")[0] + "==")


def test_osrtp_offer_answered_with_keys_and_without(rtpengine, peers):
    caller, callee = peers
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(make_sdp(CALLER, media_section(caller.port)), {"OSRTP": "offer"}))["sdp"])
    media = offered.medias[0]
    assert media.protocol == "RTP/AVP"                         # RFC 8643 section 3
    # as upstream 10.5: SDES keys and our DTLS fingerprint, the answer picks one
    assert crypto_suites(media) and attribute_values(media.attributes, "fingerprint")
    tag, relay_key = sdes_key_of(media)
    callee_key = os.urandom(30)
    answer = make_sdp(CALLEE, media_section(callee.port, attributes=(
        "sendrecv", "crypto:%d %s inline:%s" % (tag, SDES_SUITE, base64.b64encode(callee_key).decode()))))
    answered = Sdp(assert_ok(call.answer(answer))["sdp"])
    assert not attribute_values(answered.medias[0].attributes, "crypto")
    for packet in rtp_stream(0x0501, 3):
        caller.rtp.send(packet, answered.media_address())
    assert srtp("unprotect", SDES_SUITE, relay_key, receive(callee.rtp, 3)) == rtp_stream(0x0501, 3)
    for packet in srtp("protect", SDES_SUITE, callee_key, rtp_stream(0x0502, 3)):
        callee.rtp.send(packet, offered.media_address())
    assert receive(caller.rtp, 3) == rtp_stream(0x0502, 3)

    # the same offer answered without keys: plain RTP both ways
    call2 = Call(rtpengine)
    offered = Sdp(assert_ok(call2.offer(make_sdp(CALLER, media_section(caller.port)),
                                        {"flags": ["OSRTP-offer"]}))["sdp"])
    answered = Sdp(assert_ok(call2.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    for packet in rtp_stream(0x0503, 2):
        caller.rtp.send(packet, answered.media_address())
    assert receive(callee.rtp, 2) == rtp_stream(0x0503, 2)


@pytest.mark.parametrize("options", [{}, {"OSRTP": "accept"}, {"flags": ["OSRTP-accept"]}])
def test_osrtp_accept(rtpengine, peers, options):
    """Keys offered on RTP/AVP go on as OSRTP (the offerer's key first), as 10.5 passes them; the
    answerer declining them leaves the offerer plain too, unless the answer says OSRTP=accept:
    then the offerer's keys are answered (as 10.5, checked in test_upstream_script_2.py)."""
    caller, callee = peers
    caller_key = os.urandom(30)
    offer = make_sdp(CALLER, media_section(caller.port, attributes=(
        "sendrecv", "crypto:1 %s inline:%s" % (SDES_SUITE, base64.b64encode(caller_key).decode()))))
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(offer))["sdp"])
    assert sdes_key_of(offered.medias[0])[0] == 1
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port)), options))["sdp"])
    assert answered.medias[0].protocol == "RTP/AVP"
    if not options:
        assert not attribute_values(answered.medias[0].attributes, "crypto")
        for packet in rtp_stream(0x0506, 2):
            caller.rtp.send(packet, answered.media_address())
        assert receive(callee.rtp, 2) == rtp_stream(0x0506, 2)
        return
    tag, relay_key = sdes_key_of(answered.medias[0])
    assert tag == 1
    for packet in srtp("protect", SDES_SUITE, caller_key, rtp_stream(0x0504, 3)):
        caller.rtp.send(packet, answered.media_address())
    assert receive(callee.rtp, 3) == rtp_stream(0x0504, 3)
    for packet in rtp_stream(0x0505, 3):
        callee.rtp.send(packet, offered.media_address())
    assert srtp("unprotect", SDES_SUITE, relay_key, receive(caller.rtp, 3)) == rtp_stream(0x0505, 3)


# ---------------------------------------------------------------- re-offers and the end of a call

def make_certificate(folder, name):
    key, cert = str(folder / (name + "-key.pem")), str(folder / (name + "-cert.pem"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + name],
                   check=True, capture_output=True)
    return key, cert, fingerprint_of(cert)


def test_reoffer_with_new_fingerprint_makes_a_new_handshake(rtpengine, peers, certificate, tmp_path):
    """RFC 5763 section 6.7.1: a new fingerprint in a re-offer means a new association; the same
    one keeps the running association (and its keys)."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    profile = "SRTP_AES128_CM_SHA1_80"
    call = Call(rtpengine)
    offer = dtls_offer(caller.port, fingerprint, setup="active")
    offered = Sdp(assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP"}))["sdp"])
    answer = make_sdp(CALLEE, media_section(callee.port))
    answered = Sdp(assert_ok(call.answer(answer))["sdp"])
    relay = answered.media_address()
    first = OpensslPeer(["s_client", "-connect", "%s:%d" % relay, "-cert", cert, "-key", key], profile)
    try:
        client_key, server_key = split_keys(first.keying_material(), profile)
        media_both_ways(caller.rtp, callee, relay, offered.media_address(), profile, client_key, server_key)
        # the same offer again: nothing changes, the old keys still work
        assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP"}))
        assert_ok(call.answer(answer))
        handshakes = totals(rtpengine)["dtlshandshakes"]
        suite = PROFILES[profile][0]
        for packet in srtp("protect", suite, client_key, rtp_stream(0x7001, 2, first_sequence=3000)):
            caller.rtp.send(packet, relay)
        assert receive(callee.rtp, 2) == rtp_stream(0x7001, 2, first_sequence=3000)
    finally:
        first.close()
    # a new certificate: a new handshake, and media needs the new keys
    new_key, new_cert, new_fingerprint = make_certificate(tmp_path, "second")
    assert_ok(call.offer(dtls_offer(caller.port, new_fingerprint, setup="active"), {"transport-protocol": "RTP/AVP"}))
    reanswered = Sdp(assert_ok(call.answer(answer))["sdp"])
    assert reanswered.media_address() == relay
    assert attribute_values(reanswered.medias[0].attributes, "setup") == ["passive"]
    second = OpensslPeer(["s_client", "-connect", "%s:%d" % relay, "-cert", new_cert, "-key", new_key], profile)
    try:
        new_client_key, new_server_key = split_keys(second.keying_material(), profile)
        assert new_client_key != client_key
        assert wait_until(lambda: totals(rtpengine)["dtlshandshakes"] == handshakes + 1, 3.0)
        suite = PROFILES[profile][0]
        for packet in srtp("protect", suite, new_client_key, rtp_stream(0x7002, 3, first_sequence=5000)):
            caller.rtp.send(packet, relay)
        assert receive(callee.rtp, 3) == rtp_stream(0x7002, 3, first_sequence=5000)
    finally:
        second.close()


def test_delete_sends_close_notify(rtpengine, peers, certificate):
    caller, callee = peers
    key, cert, fingerprint = certificate
    profile = "SRTP_AES128_CM_SHA1_80"
    call = Call(rtpengine)
    assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="active"), {"transport-protocol": "RTP/AVP"}))
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    client = OpensslPeer(["s_client", "-connect", "%s:%d" % answered.media_address(), "-cert", cert, "-key", key],
                         profile)
    try:
        client.keying_material()
        assert client.process.poll() is None
        assert_ok(call.delete())
        # s_client ends the session when the relay's close_notify arrives
        assert client.read_until(rb"DONE|closed", 5.0), client.output.decode(errors="replace")[-500:]
    finally:
        client.close()


def test_reoffer_from_dtls_to_sdes(rtpengine, peers, certificate):
    """The caller moves from DTLS-SRTP to SDES in a re-offer: the association and its keys go,
    the SDES keys carry the media."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    profile = "SRTP_AES128_CM_SHA1_80"
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="active"),
                                       {"transport-protocol": "RTP/AVP"}))["sdp"])
    answer = make_sdp(CALLEE, media_section(callee.port))
    relay = Sdp(assert_ok(call.answer(answer))["sdp"]).media_address()
    client = OpensslPeer(["s_client", "-connect", "%s:%d" % relay, "-cert", cert, "-key", key], profile)
    try:
        client_key, server_key = split_keys(client.keying_material(), profile)
        media_both_ways(caller.rtp, callee, relay, offered.media_address(), profile, client_key, server_key)
    finally:
        client.close()
    caller_key = os.urandom(30)
    sdes_offer = make_sdp(CALLER, media_section(caller.port, protocol="RTP/SAVP", attributes=(
        "sendrecv", "crypto:1 %s inline:%s" % (SDES_SUITE, base64.b64encode(caller_key).decode()))))
    assert_ok(call.offer(sdes_offer, {"transport-protocol": "RTP/AVP"}))
    answered = Sdp(assert_ok(call.answer(answer))["sdp"])
    media = answered.medias[0]
    assert media.protocol == "RTP/SAVP" and not attribute_values(media.attributes, "fingerprint")
    tag, relay_key = sdes_key_of(media)
    assert answered.media_address() == relay
    for packet in srtp("protect", SDES_SUITE, caller_key, rtp_stream(0x0801, 3, first_sequence=7000)):
        caller.rtp.send(packet, relay)
    assert receive(callee.rtp, 3) == rtp_stream(0x0801, 3, first_sequence=7000)
    for packet in rtp_stream(0x0802, 3, first_sequence=7100):
        callee.rtp.send(packet, offered.media_address())
    assert srtp("unprotect", SDES_SUITE, relay_key, receive(caller.rtp, 3)) == rtp_stream(0x0802, 3, first_sequence=7100)
    assert "DTLS" not in streams_of(assert_ok(call.query()), call.from_tag)[0]


@pytest.mark.parametrize("options,expect_dtls", [({}, True), ({"SDES": "prefer"}, False),
                                                 ({"flags": ["SDES-prefer"]}, False), ({"DTLS": "off"}, False)])
def test_offer_with_both_is_answered_with_dtls_unless_asked(rtpengine, peers, certificate, options, expect_dtls):
    """An offer with a=crypto and a=fingerprint: upstream 10.5 answers with DTLS."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    offer = make_sdp(CALLER, media_section(caller.port, protocol="RTP/SAVP", attributes=(
        "sendrecv", "crypto:1 %s inline:%s" % (SDES_SUITE, base64.b64encode(os.urandom(30)).decode()),
        "setup:actpass", "fingerprint:sha-256 %s" % fingerprint)))
    call = Call(rtpengine)
    request = {"transport-protocol": "RTP/AVP"}
    request.update(options)
    assert_ok(call.offer(offer, request))
    media = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"]).medias[0]
    assert media.protocol == "RTP/SAVP"
    assert bool(attribute_values(media.attributes, "fingerprint")) == expect_dtls
    assert bool(attribute_values(media.attributes, "crypto")) != expect_dtls


def test_rtcp_port_runs_its_own_association(rtpengine, peers, certificate):
    """Without rtcp-mux, RFC 5764 section 4.1: the RTCP port has an association of its own, whose
    exported keys protect SRTCP (and only SRTCP)."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    profile = "SRTP_AES128_CM_SHA1_80"
    suite = PROFILES[profile][0]
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(dtls_offer(caller.port, fingerprint, setup="active"),
                                       {"transport-protocol": "RTP/AVP"}))["sdp"])
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port))))["sdp"])
    relay_rtp, relay_rtcp = answered.media_address(), answered.rtcp_address()
    assert relay_rtcp[1] == relay_rtp[1] + 1
    rtp_client = OpensslPeer(["s_client", "-connect", "%s:%d" % relay_rtp, "-cert", cert, "-key", key], profile)
    rtcp_client = OpensslPeer(["s_client", "-connect", "%s:%d" % relay_rtcp, "-cert", cert, "-key", key], profile)
    try:
        rtp_client_key, rtp_server_key = split_keys(rtp_client.keying_material(), profile)
        rtcp_client_key, rtcp_server_key = split_keys(rtcp_client.keying_material(), profile)
        assert rtcp_client_key != rtp_client_key
        media_both_ways(caller.rtp, callee, relay_rtp, offered.media_address(), profile, rtp_client_key,
                        rtp_server_key)
        report = build_rtcp_compound(0x1234)
        caller.rtcp.send(srtp("protect-rtcp", suite, rtcp_client_key, [report])[0], relay_rtcp)
        assert receive(callee.rtcp, 1) == [report]
        back = build_rtcp_compound(0x4321)
        callee.rtcp.send(back, offered.rtcp_address())
        protected = receive(caller.rtcp, 1)
        assert len(protected) == 1 and protected[0] != back
        assert srtp("unprotect-rtcp", suite, rtcp_server_key, protected) == [back]
        # SRTCP keyed with the RTP port's association is refused on the RTCP port
        dropped = totals(rtpengine)["droppedsrtp"]
        caller.rtcp.send(srtp("protect-rtcp", suite, rtp_client_key, [build_rtcp_compound(0x5555)])[0], relay_rtcp)
        assert wait_until(lambda: totals(rtpengine)["droppedsrtp"] == dropped + 1, 3.0)
        states = streams_of(assert_ok(call.query()), call.from_tag)
        assert states[0]["DTLS"].startswith("established") and states[1]["DTLS"].startswith("established")
    finally:
        rtp_client.close()
        rtcp_client.close()


def test_rtcp_mux_uses_the_rtp_association(rtpengine, peers, certificate):
    """With rtcp-mux (as WebRTC peers use it) one association keys SRTP and SRTCP on one port."""
    caller, callee = peers
    key, cert, fingerprint = certificate
    profile = "SRTP_AEAD_AES_128_GCM"
    suite = PROFILES[profile][0]
    call = Call(rtpengine)
    offer = make_sdp(CALLER, media_section(caller.port, protocol="UDP/TLS/RTP/SAVPF", attributes=(
        "sendrecv", "rtcp-mux", "setup:active", "fingerprint:sha-256 %s" % fingerprint)))
    offered = Sdp(assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVPF", "rtcp-mux": ["accept"]}))["sdp"])
    answered = Sdp(assert_ok(call.answer(make_sdp(CALLEE, media_section(callee.port, protocol="RTP/AVPF"))))["sdp"])
    assert "rtcp-mux" in answered.medias[0].attributes
    relay = answered.media_address()
    client = OpensslPeer(["s_client", "-connect", "%s:%d" % relay, "-cert", cert, "-key", key], profile)
    try:
        client_key, server_key = split_keys(client.keying_material(), profile)
        media_both_ways(caller.rtp, callee, relay, offered.media_address(), profile, client_key, server_key)
        report = build_rtcp_compound(0x1234)
        caller.rtp.send(srtp("protect-rtcp", suite, client_key, [report])[0], relay)
        assert receive(callee.rtcp, 1) == [report]
        back = build_rtcp_compound(0x4321)
        callee.rtcp.send(back, offered.rtcp_address())
        assert srtp("unprotect-rtcp", suite, server_key, receive(caller.rtp, 1)) == [back]
        states = streams_of(assert_ok(call.query()), call.from_tag)
        assert states[0]["DTLS"].startswith("established") and "DTLS" not in states[1]
    finally:
        client.close()
