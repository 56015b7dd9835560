"""Requests of upstream's t/auto-daemon-tests-pubsub.pl (tag mr10.5.3.5, issue 15): subscribing
to a whole dialogue (`all`, SIPREC with labels), to a list of from-tags (as a key, as
`from-tags-` flags, in either order), to one side of a call with the subscriber answering
another codec (transcoded, with or without `allow transcoding`), by label, over SRTP, an
SRTP call subscribed over RTP, an ICE subscriber, and publish with several subscribers (codec
accept; a codec 10.5 does not know passed over, then a subscriber with the publisher's codec
stripped and another transcoded), and, measured beside the script, the codecs a dialogue
side's subscription offers (after the answer: the negotiated ones, in the answer's order), and
a subscriber's answer that lacks one of the source's codecs (refused; with allow-transcoding
that codec is transcoded to the answer's first, the others pass as they are, the source's SSRC
kept).

Each scenario runs against the daemon under test; the expected replies and media are what
Debian's 10.5 gives for the same requests (RTPENGINE_BINARY=/usr/bin/rtpengine runs the same
file). The SDP bodies are written here for loopback; ports, keys, ICE credentials, the
relay's own origin and its session name are normalised. Media is compared as payload type,
sequence number, timestamp, payload, whether the SSRC is the one sent, and whether it came
from the port the receiver was given; STUN checks (both daemons send them to an ICE
subscriber, measured) are skipped.

Left out, where ours still differs: nothing (every scenario of the script is replayed).
"""

import os
import re

import pytest

from calls import Call, Sdp
from process import wait_until
from rtp import MediaPeer, build_rtp, parse_rtp
from test_srtp import PEER as SRTP_PEER, srtp

HOSTS = {"a": "127.0.0.2", "b": "127.0.0.3", "c": "127.0.0.4", "d": "127.0.0.5"}


# ---------------------------------------------------------------- SDP bodies and steps

def body(peer, formats, *lines, protocol="RTP/AVP", media=None):
    """A one-peer SDP; `media` = [(peer, formats, lines)] for a body with several m= lines."""
    sections = media or [(peer, formats, lines)]
    text = ["v=0", "o=- 7291003 1 IN IP4 %s" % HOSTS[sections[0][0]], "s=pubsub probe", "t=0 0"]
    for section_peer, section_formats, section_lines in sections:
        text += ["m=audio {%s_port} %s %s" % (section_peer, protocol, section_formats),
                 "c=IN IP4 %s" % HOSTS[section_peer]] + list(section_lines)
    return "\r\n".join(text) + "\r\n"


def offer(sdp, **options):
    return ("offer", options, sdp)


def answer(sdp, **options):
    return ("answer", options, sdp)


def publish(sdp, **options):
    return ("publish", options, sdp)


def subscribe(**options):
    """subscribe request; its SDP's media are the subscriber's sources sub0, sub1."""
    return ("subscribe request", options, None)


def subscribe_answer(sdp, **options):
    return ("subscribe answer", options, sdp)


def rtp(sender, to, payload_type, sequence, timestamp, ssrc, payload, receivers, srtp_key=None):
    """Send one packet from peer `sender` to the relay address `to` (to_a: the offer reply's,
    to_b: the answer's, pub: the publish reply's), SRTP-protected with srtp_key (libsrtp2,
    tests/e2e/srtp_peer.c) when given; receivers = [(peer, source)], a source named srtp...
    for a receiver that gets SRTP (compared by length)."""
    return ("rtp", (sender, to, payload_type, sequence, timestamp, ssrc, payload, receivers, srtp_key), None)


def normalise(text):
    text = re.sub(r"(?m)^m=(\w+) \d+", r"m=\1 PORT", text)
    text = re.sub(r"(?m)^a=rtcp:\d+", "a=rtcp:PORT", text)
    text = re.sub(r"(?m)^o=- \d+ \d+ IN IP4 127\.0\.0\.1\r", "o=- ID VERSION IN IP4 127.0.0.1\r", text)
    text = re.sub(r"(?m)^s=rtpengine-[^\r\n]*", "s=RTPENGINE", text)
    text = re.sub(r"inline:\S+", "inline:KEY", text)
    text = re.sub(r"(?m)^a=ice-(ufrag|pwd):\S+", r"a=ice-\1:ICE", text)
    text = re.sub(r"(?m)^a=candidate:\S+ (\d) UDP (\d+) (\S+) \d+", r"a=candidate:F \1 UDP \2 \3 PORT", text)
    text = re.sub(r"(?m)^a=fingerprint:(\S+) \S+", r"a=fingerprint:\1 FP", text)
    return [line for line in text.split("\r\n") if line]


def decoded(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [decoded(v) for v in value]
    if isinstance(value, dict):
        return {decoded(k): decoded(v) for k, v in value.items()}
    return value


def symbolic(value, tags):
    """Tags replaced by their names (FT, TT) in a reply value."""
    names = {tag: name for name, tag in tags.items()}
    if isinstance(value, list):
        return [symbolic(v, tags) for v in value]
    if isinstance(value, dict):
        return {k: symbolic(v, tags) for k, v in sorted(value.items())}
    return names.get(value, value)


def concrete(value, tags):
    """FT / TT / SUB in request options replaced by the tags (also inside from-tags- flags)."""
    if isinstance(value, list):
        return [concrete(v, tags) for v in value]
    if isinstance(value, dict):
        return {k: concrete(v, tags) for k, v in value.items()}
    if isinstance(value, str):
        for name, tag in tags.items():
            if value == name or value.endswith("-" + name):
                return value[:len(value) - len(name)] + tag
    return value


def received(peer, sent_ssrc, source, plain=True):
    """What one packet reaching `peer` looks like; STUN checks of an ICE relay skipped."""
    for _ in range(50):   # an ICE subscriber gets STUN checks (and their retransmissions) too
        item = peer.rtp.receive(1.5)
        if item is None:
            return "nothing"
        data, from_address = item
        if data[0] >> 6 != 2:
            continue   # STUN (RFC 5389 section 6: first two bits zero)
        if not plain:
            return ("srtp", len(data), from_address == source)
        packet = parse_rtp(data)
        payload = packet.payload
        uniform = payload[:1].hex() if payload == payload[:1] * len(payload) else payload.hex()
        return (packet.payload_type, packet.sequence, packet.timestamp, uniform, len(payload),
                "ssrc as sent" if packet.ssrc == sent_ssrc else "other ssrc", from_address == source)
    return "only STUN"


def stream_packets(call, tag):
    """The RTP packets the relay has taken from tag's first media (query)."""
    reply = decoded(call.query())
    streams = reply.get("tags", {}).get(tag, {}).get("medias", [{}])[0].get("streams", [])
    return streams[0]["stats"]["packets"] if streams else 0


def run_scenario(daemon, steps):
    peers = {name: MediaPeer(host) for name, host in HOSTS.items()}
    ports = {"%s_port" % name: peer.port for name, peer in peers.items()}
    call = Call(daemon)
    tags = {"FT": "caller-tag", "TT": "callee-tag"}
    relay = {}
    received_count = {}
    results = []
    try:
        for command, options, sdp in steps:
            if command == "rtp":
                sender, to, payload_type, sequence, timestamp, ssrc, payload, receivers, srtp_key = options
                packet = build_rtp(sequence, timestamp, ssrc, payload_type, payload)
                if srtp_key:
                    if not os.path.exists(SRTP_PEER):
                        pytest.skip("srtp_peer not built (make build/tests/srtp_peer)")
                    packet = srtp("protect", srtp_key, [packet])[0]
                peers[sender].rtp.send(packet, relay[to])
                if not receivers:
                    # a packet for nobody yet: let the relay take it before what follows (a
                    # subscription answered meanwhile would get it late otherwise)
                    received_count[sender] = received_count.get(sender, 0) + 1
                    wait_until(lambda: stream_packets(call, tags["FT"]) >= received_count[sender], timeout=2.0,
                               interval=0.01)
                results.append([received(peers[peer], ssrc, relay[source], plain=not source.startswith("srtp"))
                                for peer, source in receivers])
                continue
            fields = dict(concrete(options, tags))
            if sdp is not None:
                fields["sdp"] = sdp.format(**ports)
            if command in ("offer", "answer", "publish"):
                fields.setdefault("from-tag", tags["FT"])
            if command == "answer":
                fields.setdefault("to-tag", tags["TT"])
            reply = decoded(call.command(command, {}, **fields))
            if reply.get("result") != "ok":
                results.append(["result: %s" % reply.get("result"), reply.get("error-reason")])
                continue
            outcome = normalise(reply["sdp"]) if "sdp" in reply else ["result: ok"]
            if command == "subscribe request":
                tags["SUB"] = reply["to-tag"]
                if "sub0" in relay:
                    relay.setdefault("first", relay["sub0"])   # the first subscriber's source
                parsed = Sdp(reply["sdp"])
                for index in range(len(parsed.medias)):
                    relay["sub%d" % index] = relay["srtp%d" % index] = parsed.media_address(index)
                outcome.append(symbolic({key: reply[key] for key in ("from-tag", "from-tags", "tag-medias",
                                                                     "media-labels") if key in reply}, tags))
            elif command in ("offer", "answer", "publish"):
                name = {"offer": "to_a", "answer": "to_b", "publish": "pub"}[command]
                relay[name] = relay["srtp_" + name] = Sdp(reply["sdp"]).media_address()
            results.append(outcome)
        call.delete()
        return results
    finally:
        for peer in peers.values():
            peer.close()


# ---------------------------------------------------------------- the scenarios

P0 = b"\x00" * 160
KEY_A = "cHVic3ViIHByb2JlIGNhbGxlciBrZXkgMzBieXRl"   # 30 bytes of our own
KEY_B = "cHVic3ViIHByb2JlIGNhbGxlZSBrZXkgMzBieXRl"


def two_party(formats="0 8", **options):
    return [offer(body("a", formats, "a=sendrecv"), **options),
            answer(body("b", formats, "a=sendrecv"), **options),
            rtp("b", "to_a", 0, 3100, 8800, 0x51a2b3c4, P0, [("a", "to_b")]),
            rtp("a", "to_b", 0, 5200, 1600, 0x0d0e0f10, P0, [("b", "to_a")])]


SUB_TWO = [("c", "0 8", ["a=recvonly"]), ("d", "0 8", ["a=recvonly"])]
SUB_TWO_PCMA = [("c", "8", ["a=recvonly"]), ("d", "8", ["a=recvonly"])]


def whole_dialogue_media(caller_media=("c", "sub0"), callee_media=("d", "sub1")):
    """After a subscription to both sides answered with PCMA: the caller's packet reaches
    the callee as sent and the subscriber transcoded; then the callee's."""
    return [rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), caller_media]),
            rtp("b", "to_a", 0, 3101, 8960, 0x51a2b3c4, P0, [("a", "to_b"), callee_media])]


SCENARIOS = {
    "siprec-all": [
        offer(body("a", "0", "a=sendrecv")),
        answer(body("b", "0", "a=sendrecv")),
        subscribe(flags=["all", "SIPREC"])],
    "siprec-all-labels": [
        offer(body("a", "0", "a=sendrecv"), label="left"),
        answer(body("b", "0", "a=sendrecv"), label="right"),
        subscribe(flags=["all", "SIPREC"])],
    "all-answered-pcma": two_party() + [
        subscribe(flags=["all"]),
        subscribe_answer(body(None, None, media=SUB_TWO_PCMA), **{"to-tag": "SUB", "flags": ["allow transcoding"]}),
    ] + whole_dialogue_media(),
    "from-tags-list": two_party() + [
        subscribe(**{"from-tags": ["FT", "TT"]}),
        subscribe_answer(body(None, None, media=SUB_TWO_PCMA), **{"to-tag": "SUB", "flags": ["allow transcoding"]}),
    ] + whole_dialogue_media(),
    "from-tags-list-reversed": two_party() + [
        subscribe(**{"from-tags": ["TT", "FT"]}),
        subscribe_answer(body(None, None, media=SUB_TWO_PCMA), **{"to-tag": "SUB", "flags": ["allow transcoding"]}),
    ] + whole_dialogue_media(("d", "sub1"), ("c", "sub0")),
    "from-tags-flags": two_party() + [
        subscribe(flags=["from-tags-FT", "from-tags-TT"]),
        subscribe_answer(body(None, None, media=SUB_TWO_PCMA), **{"to-tag": "SUB", "flags": ["allow transcoding"]}),
    ] + whole_dialogue_media(),
    "one-side-answered-other-codec": two_party() + [
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("c", "8", "a=recvonly"), **{"to-tag": "SUB", "flags": ["allow transcoding"]}),
        rtp("b", "to_a", 0, 3101, 8960, 0x51a2b3c4, P0, [("a", "to_b")]),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")])],
    "transcode-offered-accepted": two_party("0") + [
        subscribe(**{"from-tag": "FT", "codec": {"transcode": ["PCMA"]}}),
        subscribe_answer(body("c", "8", "a=recvonly"),
                         **{"from-tag": "FT", "to-tag": "SUB", "flags": ["allow transcoding"]}),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")])],
    "transcode-offered-declined": two_party("0") + [
        subscribe(**{"from-tag": "FT", "codec": {"transcode": ["PCMA"]}}),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")])],
    "one-side": two_party("0") + [
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("b", "to_a", 0, 3101, 8960, 0x51a2b3c4, P0, [("a", "to_b")]),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")])],
    "by-caller-label": [
        offer(body("a", "0", "a=sendrecv"), label="north"),
        answer(body("b", "0", "a=sendrecv"), label="south"),
        subscribe(label="north"),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")])],
    "by-callee-label": [
        offer(body("a", "0", "a=sendrecv"), label="north"),
        answer(body("b", "0", "a=sendrecv"), label="south"),
        subscribe(label="south"),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("b", "to_a", 0, 3101, 8960, 0x51a2b3c4, P0, [("a", "to_b"), ("c", "sub0")])],
    "srtp-subscriber-aes256": two_party("0") + [
        subscribe(**{"from-tag": "FT", "transport-protocol": "RTP/SAVP",
                     "SDES": ["no-AEAD_AES_256_GCM", "no-AEAD_AES_128_GCM"]}),
        subscribe_answer(body("c", "0", "a=crypto:1 AES_256_CM_HMAC_SHA1_80 "
                              "inline:xJ0BfEdYksijQlqxWMmo/9lvnZBJyhROs1gpShIiXCFjR5rWmgkLJYJ37I+6bw==",
                              "a=recvonly", protocol="RTP/SAVP"), **{"to-tag": "SUB"}),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "srtp0")])],
    "srtp-subscriber-aes128": two_party("0") + [
        subscribe(**{"from-tag": "FT", "transport-protocol": "RTP/SAVP",
                     "SDES": ["no-AEAD_AES_256_GCM", "no-AEAD_AES_128_GCM"]}),
        subscribe_answer(body("c", "0", "a=crypto:5 AES_CM_128_HMAC_SHA1_80 "
                              "inline:Qm9vdGggcHJvYmUga2V5IGZvciBwdWJzdWIgMTIz",
                              "a=recvonly", protocol="RTP/SAVP"), **{"to-tag": "SUB"}),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "srtp0")])],
    "srtp-call-rtp-subscriber": [
        offer(body("a", "0", "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_A, "a=sendrecv",
                   protocol="RTP/SAVP")),
        answer(body("b", "0", "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" + KEY_B, "a=sendrecv",
                    protocol="RTP/SAVP")),
        rtp("b", "to_a", 0, 3100, 8800, 0x51a2b3c4, P0, [("a", "srtp_to_b")], srtp_key=KEY_B),
        rtp("a", "to_b", 0, 5200, 1600, 0x0d0e0f10, P0, [("b", "srtp_to_a")], srtp_key=KEY_A),
        subscribe(**{"from-tag": "FT", "transport-protocol": "RTP/AVP"}),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("b", "to_a", 0, 3101, 8960, 0x51a2b3c4, P0, [("a", "srtp_to_b")], srtp_key=KEY_B),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "srtp_to_a"), ("c", "sub0")], srtp_key=KEY_A)],
    "ice-subscriber": two_party("0") + [
        subscribe(**{"from-tag": "FT", "ICE": "force"}),
        subscribe_answer(body("c", "0", "a=recvonly", "a=ice-ufrag:pz41",
                              "a=ice-pwd:m0o7c3uvzr6q1w0y2e5t8kdl",
                              "a=candidate:c1 1 UDP 2130706431 127.0.0.4 {c_port} typ host"), **{"to-tag": "SUB"}),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")])],
    "publish-two-subscribers": [
        publish(body("a", "0 8 9", "a=sendonly")),
        rtp("a", "pub", 0, 700, 32000, 0x7a7b7c7d, P0, []),
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("b", "0", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("a", "pub", 0, 701, 32160, 0x7a7b7c7d, P0, [("b", "sub0")]),
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("a", "pub", 0, 702, 32320, 0x7a7b7c7d, P0, [("b", "first"), ("c", "sub0")])],
    "publish-codec-accept": [
        publish(body("a", "0 8 9", "a=sendonly"), codec={"accept": ["PCMA"]}),
        rtp("a", "pub", 8, 700, 32000, 0x7a7b7c7d, P0, []),
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("b", "8", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("a", "pub", 8, 701, 32160, 0x7a7b7c7d, P0, [("b", "sub0")]),
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("c", "8", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("a", "pub", 8, 702, 32320, 0x7a7b7c7d, P0, [("b", "first"), ("c", "sub0")])],
    "publish-unknown-codec-then-stripped-and-transcoded": [
        publish(body("a", "96 8 9", "a=sendonly", "a=rtpmap:96 nosuchcodec/8000")),
        rtp("a", "pub", 8, 700, 32000, 0x7a7b7c7d, P0, []),
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("b", "8", "a=recvonly"), **{"to-tag": "SUB"}),
        rtp("a", "pub", 8, 701, 32160, 0x7a7b7c7d, P0, [("b", "sub0")]),
        subscribe(**{"from-tag": "FT", "codec": {"strip": ["PCMA"], "transcode": ["PCMU"]}}),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB", "flags": ["allow transcoding"]}),
        rtp("a", "pub", 8, 702, 32320, 0x7a7b7c7d, P0, [("b", "first"), ("c", "sub0")])],
    "offerer-subscribed-after-answer": [
        offer(body("a", "0 8 9", "a=sendrecv")), answer(body("b", "8 0", "a=sendrecv")),
        subscribe(**{"from-tag": "FT"})],
    "answerer-subscribed": [
        offer(body("a", "0 8 9", "a=sendrecv")), answer(body("b", "8 0", "a=sendrecv")),
        subscribe(**{"from-tag": "TT"})],
    "all-after-narrowing-answer": [
        offer(body("a", "0 8", "a=sendrecv")), answer(body("b", "0", "a=sendrecv")),
        subscribe(flags=["all"])],
    "offerer-subscribed-before-answer": [
        offer(body("a", "0 8", "a=sendrecv")),
        subscribe(**{"from-tag": "FT"})],
    "answer-lacks-a-source-codec": two_party() + [
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB"})],
    "answer-lacks-a-source-codec-transcoded": two_party() + [
        subscribe(**{"from-tag": "FT"}),
        subscribe_answer(body("c", "0", "a=recvonly"), **{"to-tag": "SUB", "flags": ["allow transcoding"]}),
        rtp("a", "to_b", 0, 5201, 1760, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")]),
        rtp("a", "to_b", 8, 5202, 1920, 0x0d0e0f10, P0, [("b", "to_a"), ("c", "sub0")])],
}

EXPECTED = {
    'siprec-all': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=label:1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         'm=audio PORT RTP/AVP 0', 'c=IN IP4 127.0.0.1', 'a=label:0', 'a=rtpmap:0 PCMU/8000', 'a=sendonly',
         'a=rtcp:PORT',
         {'from-tags': ['FT', 'TT'],
          'media-labels': {'0': {'index': 1, 'mode': 'sendrecv', 'tag': 'TT', 'type': 'audio'},
                           '1': {'index': 1, 'mode': 'sendrecv', 'tag': 'FT', 'type': 'audio'}},
          'tag-medias': [{'medias': [{'index': 1, 'label': '1', 'mode': 'sendrecv', 'type': 'audio'}],
                          'tag': 'FT'},
                         {'medias': [{'index': 1, 'label': '0', 'mode': 'sendrecv', 'type': 'audio'}],
                          'tag': 'TT'}]}],
    ],
    'siprec-all-labels': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=label:1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         'm=audio PORT RTP/AVP 0', 'c=IN IP4 127.0.0.1', 'a=label:0', 'a=rtpmap:0 PCMU/8000', 'a=sendonly',
         'a=rtcp:PORT',
         {'from-tags': ['FT', 'TT'],
          'media-labels': {'0': {'index': 1,
                                 'label': 'right',
                                 'mode': 'sendrecv',
                                 'tag': 'TT',
                                 'type': 'audio'},
                           '1': {'index': 1,
                                 'label': 'left',
                                 'mode': 'sendrecv',
                                 'tag': 'FT',
                                 'type': 'audio'}},
          'tag-medias': [{'label': 'left',
                          'medias': [{'index': 1, 'label': '1', 'mode': 'sendrecv', 'type': 'audio'}],
                          'tag': 'FT'},
                         {'label': 'right',
                          'medias': [{'index': 1, 'label': '0', 'mode': 'sendrecv', 'type': 'audio'}],
                          'tag': 'TT'}]}],
    ],
    'all-answered-pcma': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         'm=audio PORT RTP/AVP 0 8', 'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
         'a=sendonly', 'a=rtcp:PORT', {'from-tags': ['FT', 'TT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (8, 5201, 1760, '2a', 160, 'ssrc as sent', True)],
        [(0, 3101, 8960, '00', 160, 'ssrc as sent', True), (8, 3101, 8960, '2a', 160, 'ssrc as sent', True)],
    ],
    'from-tags-list': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         'm=audio PORT RTP/AVP 0 8', 'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
         'a=sendonly', 'a=rtcp:PORT', {'from-tags': ['FT', 'TT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (8, 5201, 1760, '2a', 160, 'ssrc as sent', True)],
        [(0, 3101, 8960, '00', 160, 'ssrc as sent', True), (8, 3101, 8960, '2a', 160, 'ssrc as sent', True)],
    ],
    'from-tags-list-reversed': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         'm=audio PORT RTP/AVP 0 8', 'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
         'a=sendonly', 'a=rtcp:PORT', {'from-tags': ['TT', 'FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (8, 5201, 1760, '2a', 160, 'ssrc as sent', True)],
        [(0, 3101, 8960, '00', 160, 'ssrc as sent', True), (8, 3101, 8960, '2a', 160, 'ssrc as sent', True)],
    ],
    'from-tags-flags': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         'm=audio PORT RTP/AVP 0 8', 'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
         'a=sendonly', 'a=rtcp:PORT', {'from-tags': ['FT', 'TT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (8, 5201, 1760, '2a', 160, 'ssrc as sent', True)],
        [(0, 3101, 8960, '00', 160, 'ssrc as sent', True), (8, 3101, 8960, '2a', 160, 'ssrc as sent', True)],
    ],
    'one-side-answered-other-codec': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 3101, 8960, '00', 160, 'ssrc as sent', True)],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (8, 5201, 1760, '2a', 160, 'ssrc as sent', True)],
    ],
    'transcode-offered-accepted': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (8, 5201, 1760, '2a', 160, 'other ssrc', True)],
    ],
    'transcode-offered-declined': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (0, 5201, 1760, '00', 160, 'ssrc as sent', True)],
    ],
    'one-side': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 3101, 8960, '00', 160, 'ssrc as sent', True)],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (0, 5201, 1760, '00', 160, 'ssrc as sent', True)],
    ],
    'by-caller-label': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (0, 5201, 1760, '00', 160, 'ssrc as sent', True)],
    ],
    'by-callee-label': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'TT', 'from-tags': ['TT']}],
        ['result: ok'],
        [(0, 3101, 8960, '00', 160, 'ssrc as sent', True), (0, 3101, 8960, '00', 160, 'ssrc as sent', True)],
    ],
    'srtp-subscriber-aes256': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/SAVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         'a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:KEY', 'a=crypto:2 AES_256_CM_HMAC_SHA1_32 inline:KEY',
         'a=crypto:3 AES_192_CM_HMAC_SHA1_80 inline:KEY', 'a=crypto:4 AES_192_CM_HMAC_SHA1_32 inline:KEY',
         'a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:KEY', 'a=crypto:6 AES_CM_128_HMAC_SHA1_32 inline:KEY',
         'a=crypto:7 F8_128_HMAC_SHA1_80 inline:KEY', 'a=crypto:8 F8_128_HMAC_SHA1_32 inline:KEY',
         'a=crypto:9 NULL_HMAC_SHA1_80 inline:KEY', 'a=crypto:10 NULL_HMAC_SHA1_32 inline:KEY',
         'a=setup:actpass', 'a=fingerprint:sha-256 FP', {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), ('srtp', 182, True)],
    ],
    'srtp-subscriber-aes128': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/SAVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         'a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:KEY', 'a=crypto:2 AES_256_CM_HMAC_SHA1_32 inline:KEY',
         'a=crypto:3 AES_192_CM_HMAC_SHA1_80 inline:KEY', 'a=crypto:4 AES_192_CM_HMAC_SHA1_32 inline:KEY',
         'a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:KEY', 'a=crypto:6 AES_CM_128_HMAC_SHA1_32 inline:KEY',
         'a=crypto:7 F8_128_HMAC_SHA1_80 inline:KEY', 'a=crypto:8 F8_128_HMAC_SHA1_32 inline:KEY',
         'a=crypto:9 NULL_HMAC_SHA1_80 inline:KEY', 'a=crypto:10 NULL_HMAC_SHA1_32 inline:KEY',
         'a=setup:actpass', 'a=fingerprint:sha-256 FP', {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), ('srtp', 182, True)],
    ],
    'srtp-call-rtp-subscriber': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/SAVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
         'a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:KEY', 'a=crypto:8 AEAD_AES_256_GCM inline:KEY',
         'a=crypto:9 AEAD_AES_128_GCM inline:KEY', 'a=crypto:10 AES_256_CM_HMAC_SHA1_80 inline:KEY',
         'a=crypto:11 AES_256_CM_HMAC_SHA1_32 inline:KEY', 'a=crypto:12 AES_192_CM_HMAC_SHA1_80 inline:KEY',
         'a=crypto:13 AES_192_CM_HMAC_SHA1_32 inline:KEY', 'a=crypto:14 AES_CM_128_HMAC_SHA1_32 inline:KEY',
         'a=crypto:15 F8_128_HMAC_SHA1_80 inline:KEY', 'a=crypto:16 F8_128_HMAC_SHA1_32 inline:KEY',
         'a=crypto:17 NULL_HMAC_SHA1_80 inline:KEY', 'a=crypto:18 NULL_HMAC_SHA1_32 inline:KEY',
         'a=setup:actpass', 'a=fingerprint:sha-256 FP'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/SAVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
         'a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:KEY'],
        [('srtp', 182, True)],
        [('srtp', 182, True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [('srtp', 182, True)],
        [('srtp', 182, True), (0, 5201, 1760, '00', 160, 'ssrc as sent', True)],
    ],
    'ice-subscriber': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT', 'a=ice-ufrag:ICE',
         'a=ice-pwd:ICE', 'a=candidate:F 1 UDP 2130706431 127.0.0.1 PORT typ host',
         'a=candidate:F 2 UDP 2130706430 127.0.0.1 PORT typ host', {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (0, 5201, 1760, '00', 160, 'ssrc as sent', True)],
    ],
    'publish-two-subscribers': [
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=recvonly', 'a=rtcp:PORT'],
        [],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 701, 32160, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 702, 32320, '00', 160, 'ssrc as sent', True), (0, 702, 32320, '00', 160, 'ssrc as sent', True)],
    ],
    'publish-codec-accept': [
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=recvonly', 'a=rtcp:PORT'],
        [],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(8, 701, 32160, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(8, 702, 32320, '00', 160, 'ssrc as sent', True), (8, 702, 32320, '00', 160, 'ssrc as sent', True)],
    ],
    'publish-unknown-codec-then-stripped-and-transcoded': [
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=recvonly', 'a=rtcp:PORT'],
        [],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(8, 701, 32160, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(8, 702, 32320, '00', 160, 'ssrc as sent', True), (0, 702, 32320, '29', 160, 'other ssrc', True)],
    ],
    'offerer-subscribed-after-answer': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8 9',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:9 G722/8000',
         'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 8 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 8 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
    ],
    'answerer-subscribed': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8 9',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:9 G722/8000',
         'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 8 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 8 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'TT', 'from-tags': ['TT']}],
    ],
    'all-after-narrowing-answer': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- ID VERSION IN IP4 127.0.0.1', 's=RTPENGINE', 't=0 0', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT', 'm=audio PORT RTP/AVP 0',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tags': ['FT', 'TT']}],
    ],
    'offerer-subscribed-before-answer': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
    ],
    'answer-lacks-a-source-codec': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: error', 'Failed to process subscription answer'],
    ],
    'answer-lacks-a-source-codec-transcoded': [
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.3', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', 'a=rtcp:PORT'],
        [(0, 3100, 8800, '00', 160, 'ssrc as sent', True)],
        [(0, 5200, 1600, '00', 160, 'ssrc as sent', True)],
        ['v=0', 'o=- 7291003 1 IN IP4 127.0.0.2', 's=pubsub probe', 't=0 0', 'm=audio PORT RTP/AVP 0 8',
         'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendonly', 'a=rtcp:PORT',
         {'from-tag': 'FT', 'from-tags': ['FT']}],
        ['result: ok'],
        [(0, 5201, 1760, '00', 160, 'ssrc as sent', True), (0, 5201, 1760, '00', 160, 'ssrc as sent', True)],
        [(8, 5202, 1920, '00', 160, 'ssrc as sent', True), (0, 5202, 1920, '29', 160, 'ssrc as sent', True)],
    ],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_requests_as_10_5(rtpengine, name):
    assert run_scenario(rtpengine, SCENARIOS[name]) == EXPECTED[name]
