"""Requests of upstream's t/auto-daemon-tests.pl (tag mr10.5.3.5), slice 3 (issue 15): extmap
stripping, the ICE option matrix (remove/default/optional/force, trickle, ICE re-invites),
SDES suite selection (`SDES: no-<suite>`, to and from plain RTP, `pad crypto`, the offerer's
keys passed on), codec masking with the legacy `codec-mask-*` flags, a T.38 side stream beside
a rejected audio stream, SRTP media both ways, RFC 4733 events injected with play DTMF, and a
browser's DTLS offer with ICE=force-relay and SDES-off passed through (GH 850).
Each request runs against the daemon under test and the expected lines/packets are those
Debian's 10.5 gives for it (RTPENGINE_BINARY=/usr/bin/rtpengine runs the same tests).

Not here, as they still differ from 10.5: T.38 (`T.38: decode/force/FEC`: 10.5 gateways, this
relay refuses with a reason) and the exact samples of in-band DTMF tones
(about 1 in 100 G.711 bytes is one step apart from 10.5's; frames, pauses and timing are
compared).

The SDP bodies are written here for loopback; ports, ICE credentials, candidate foundations and
SDES keys are normalised (a key the offerer gave and that comes back unchanged is `OFFERED`,
one of the answerer's `ANSWERED`, others their length in bytes).
"""

import base64
import os
import re
import time

import pytest

from calls import Call, Sdp, assert_ok, attribute_values

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


# ---------------------------------------------------------------- SDP bodies

def body(origin, *lines):
    return "\r\n".join(["v=0", "o=- 3690788630 1 IN IP4 %s" % origin, "s=check", "t=0 0"] + list(lines)) + "\r\n"


def key(length, seed):
    return base64.b64encode(bytes((seed + i) % 256 for i in range(length))).decode()


KEY128_A, KEY128_B = key(30, 1), key(30, 51)
KEY256_A, KEY256_B = key(46, 101), key(46, 151)
KEY128_ANSWER = key(30, 201)
# keys as the relay may write them (base64 padding left out, RFC 4568 section 9.2) -> name
KNOWN_KEYS = dict([(base64.b64decode(k), "OFFERED") for k in (KEY128_A, KEY128_B, KEY256_A, KEY256_B)]
                  + [(base64.b64decode(KEY128_ANSWER), "ANSWERED")])

PLAIN_OFFER = body(CALLER, "m=audio 2000 RTP/AVP 0", "c=IN IP4 %s" % CALLER, "a=sendrecv")
PLAIN_ANSWER = body(CALLEE, "m=audio 2002 RTP/AVP 0", "c=IN IP4 %s" % CALLEE, "a=sendrecv")


def ice_lines(ufrag, pwd, address, port):
    return ["a=ice-ufrag:%s" % ufrag, "a=ice-pwd:%s" % pwd,
            "a=candidate:f1%s 1 UDP 2130706431 %s %d typ host" % (ufrag, address, port),
            "a=candidate:f2%s 1 UDP 2130706175 ::1 %d typ host" % (ufrag, port),
            "a=candidate:f1%s 2 UDP 2130706430 %s %d typ host" % (ufrag, address, port + 1),
            "a=candidate:f2%s 2 UDP 2130706174 ::1 %d typ host" % (ufrag, port + 1)]


ICE_OFFER = body(CALLER, "m=audio 2000 RTP/AVP 0", "c=IN IP4 %s" % CALLER, "a=sendrecv",
                 *ice_lines("mR55mJfP", "jBDF4Lljm1FNcF3JtTM5NzdG7O", CALLER, 2000))
ICE_ANSWER = body(CALLEE, "m=audio 2002 RTP/AVP 0", "c=IN IP4 %s" % CALLEE, "a=sendrecv",
                  *ice_lines("LEBk69mP", "Lk7SISXjnrukHrJSmjiUYs4oZ1", CALLEE, 2002))

EXTMAP_OFFER = body(CALLER, "a=extmap:2 urn:example:session", "m=audio 2000 RTP/AVP 0", "c=IN IP4 %s" % CALLER, "a=extmap:1 foobar", "a=sendrecv")

SDES_OFFER = body(CALLER, "m=audio 2000 RTP/SAVP 0", "c=IN IP4 %s" % CALLER, "a=sendrecv",
                  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + KEY128_A,
                  "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + KEY128_B,
                  "a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:" + KEY256_A,
                  "a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:" + KEY256_B)


def sdes_answer(tag, suite):
    return body(CALLEE, "m=audio 2002 RTP/SAVP 0", "c=IN IP4 %s" % CALLEE, "a=sendrecv",
                "a=crypto:%d %s inline:%s" % (tag, suite, KEY128_ANSWER))


PAD_OFFER = body(CALLER, "m=audio 2000 RTP/SAVP 0", "c=IN IP4 %s" % CALLER, "a=sendrecv",
                 "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" + KEY128_A,
                 "a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:" + KEY128_B)

MASK_OFFER = body(CALLER, "m=audio 2000 RTP/AVP 120 8 0 101", "c=IN IP4 %s" % CALLER,
                  "a=rtpmap:120 opus/48000/2", "a=fmtp:120 useinbandfec=1; usedtx=1; maxaveragebitrate=64000",
                  "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv")
MASK_ANSWER = "\r\n".join(["v=0", "o=- 3690788630 1 IN IP4 %s" % CALLEE, "s=check", "c=IN IP4 %s" % CALLEE,
                           "t=0 0", "m=audio 2002 RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000",
                           "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv"]) + "\r\n"



T38_BESIDE_REJECTED_AUDIO = body(CALLER, "c=IN IP4 %s" % CALLER, "m=audio 0 RTP/AVP 8 101",
                                 "m=image 2000 udptl t38", "c=IN IP4 %s" % CALLER,
                                 "a=T38FaxVersion:0", "a=T38FaxRateManagement:transferredTCF")


# ---------------------------------------------------------------- normalising

def decoded_key(text):
    return base64.b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def normalise(text):
    """The SDP's lines with ports, ICE credentials/foundations and keys replaced by names."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        line = re.sub(r"^m=(\w+) [1-9]\d*", r"m=\1 PORT", line)
        line = re.sub(r"^a=rtcp:\d+", "a=rtcp:PORT", line)
        line = re.sub(r"^a=ice-ufrag:(?!mR55mJfP|LEBk69mP).*", "a=ice-ufrag:ICEUFRAG", line)
        line = re.sub(r"^a=ice-pwd:(?!jBDF4Lljm1FNcF3JtTM5NzdG7O|Lk7SISXjnrukHrJSmjiUYs4oZ1).*", "a=ice-pwd:ICEPWD", line)
        match = re.match(r"^a=candidate:(\S+) (\d) (\S+) (\d+) (\S+) (\d+) (typ \w+)(.*)", line)
        # the peers' candidates (their foundation carries their ufrag) pass as they are
        if match and not match.group(1).endswith(("mR55mJfP", "LEBk69mP")):
            rest = re.sub(r"rport \d+", "rport PORT", match.group(8))
            line = "a=candidate:ICEBASE %s %s %s %s PORT %s%s" % (match.group(2), match.group(3).upper(),
                                                                  match.group(4), match.group(5),
                                                                  match.group(7), rest)
        match = re.match(r"^a=crypto:(\d+) (\S+) inline:([^|\s]+)(.*)", line)
        if match:
            given = match.group(3)
            name = KNOWN_KEYS.get(decoded_key(given), "KEY%d" % len(decoded_key(given)))
            line = "a=crypto:%s %s inline:%s%s" % (match.group(1), match.group(2), name, match.group(4))
        lines.append(line)
    return lines


def sdes_key(text, tag):
    """The base64 key of the a=crypto line with this tag, padded again for libsrtp2."""
    for line in text.split("\r\n"):
        match = re.match(r"a=crypto:%d \S+ inline:([^|\s]+)" % tag, line)
        if match:
            return base64.b64encode(decoded_key(match.group(1))).decode()
    raise AssertionError("no a=crypto:%d in %s" % (tag, text))


def run_steps(daemon, steps):
    """Each step (command, sdp, options) on one call; the normalised SDP of every reply."""
    call = Call(daemon)
    results = []
    for command, sdp, options in steps:
        if command == "offer":
            reply = call.offer(sdp, options)
        else:
            reply = call.answer(sdp, options)
        assert reply.get("result") == "ok", "%s: %r" % (command, reply)
        results.append(normalise(reply["sdp"]))
    call.delete()
    return results


# ---------------------------------------------------------------- SDP tables


O, A = "offer", "answer"
NO_ICE = {"ICE": "remove"}
SDES_BASE = {"ICE": "remove", "DTLS": "off"}

STEPS = {
    "extmap-kept": [(O, EXTMAP_OFFER, {})],
    "extmap-stripped": [(O, EXTMAP_OFFER, {"flags": ["strip extmap"]})],
    "plain-ice-remove": [(O, PLAIN_OFFER, NO_ICE), (A, PLAIN_ANSWER, NO_ICE)],
    "plain-ice-default": [(O, PLAIN_OFFER, {"ICE": "default"}), (A, PLAIN_ANSWER, {"ICE": "default"})],
    "plain-ice-optional-answer-remove": [(O, PLAIN_OFFER, {"ICE": "optional"}), (A, PLAIN_ANSWER, NO_ICE)],
    "plain-ice-remove-answer-optional": [(O, PLAIN_OFFER, NO_ICE), (A, PLAIN_ANSWER, {"ICE": "optional"})],
    "ice-optional-media-address": [(O, ICE_OFFER, {"ICE": "optional", "media-address": "127.0.0.9",
                                                   "flags": ["full-rtcp-attribute"]})],
    "ice-optional-plain-answer": [(O, ICE_OFFER, {"ICE": "optional"}), (A, PLAIN_ANSWER, {"ICE": "optional"})],
    "trickle-ice-offer": [(O, PLAIN_OFFER, {"ICE": "force", "flags": ["trickle ICE"]})],
    "ice-force-plain-answer": [(O, ICE_OFFER, {"ICE": "force"}), (A, PLAIN_ANSWER, {"ICE": "optional"})],
    "ice-force-ice-answer-optional": [(O, ICE_OFFER, {"ICE": "force"}), (A, ICE_ANSWER, {"ICE": "optional"})],
    "ice-force-ice-answer-force": [(O, ICE_OFFER, {"ICE": "force"}), (A, ICE_ANSWER, {"ICE": "force"})],
    "ice-default-ice-answer-default": [(O, ICE_OFFER, {"ICE": "default"}), (A, ICE_ANSWER, {"ICE": "default"})],
    "reinvite-ice-default": [(O, PLAIN_OFFER, {"ICE": "default"}), (A, PLAIN_ANSWER, {}), (O, PLAIN_OFFER, {})],
    "reinvite-ice-force-accepted": [(O, PLAIN_OFFER, {"ICE": "force"}), (A, ICE_ANSWER, {}), (O, PLAIN_OFFER, {})],
    "reinvite-ice-force-rejected": [(O, PLAIN_OFFER, {"ICE": "force"}), (A, PLAIN_ANSWER, {}), (O, PLAIN_OFFER, {})],
    "t38-beside-rejected-audio": [(O, T38_BESIDE_REJECTED_AUDIO, NO_ICE)],
    "sdes-plain": [(O, SDES_OFFER, SDES_BASE), (A, sdes_answer(1, "AES_CM_128_HMAC_SHA1_80"), NO_ICE)],
    "sdes-no-f8-80": [(O, SDES_OFFER, dict(SDES_BASE, SDES=["no-F8_128_HMAC_SHA1_80"])),
                      (A, sdes_answer(1, "AES_CM_128_HMAC_SHA1_80"), NO_ICE)],
    "sdes-no-aes-cm-32": [(O, SDES_OFFER, dict(SDES_BASE, SDES=["no-AES_CM_128_HMAC_SHA1_32"])),
                          (A, sdes_answer(1, "AES_CM_128_HMAC_SHA1_80"), NO_ICE)],
    "sdes-no-aes-cm-80": [(O, SDES_OFFER, dict(SDES_BASE, SDES=["no-AES_CM_128_HMAC_SHA1_80"])),
                          (A, sdes_answer(2, "AES_CM_128_HMAC_SHA1_32"), NO_ICE)],
    "sdes-to-rtp": [(O, SDES_OFFER, dict(SDES_BASE, **{"transport-protocol": "RTP/AVP"})), (A, PLAIN_ANSWER, NO_ICE)],
    "sdes-to-rtp-no-aes-cm-32": [(O, SDES_OFFER, dict(SDES_BASE, SDES=["no-AES_CM_128_HMAC_SHA1_32"],
                                                      **{"transport-protocol": "RTP/AVP"})),
                                 (A, PLAIN_ANSWER, NO_ICE)],
    "sdes-to-rtp-no-aes-cm-80": [(O, SDES_OFFER, dict(SDES_BASE, SDES=["no-AES_CM_128_HMAC_SHA1_80"],
                                                      **{"transport-protocol": "RTP/AVP"})),
                                 (A, PLAIN_ANSWER, NO_ICE)],
    "rtp-to-sdes": [(O, PLAIN_OFFER, dict(SDES_BASE, **{"transport-protocol": "RTP/SAVP"})),
                    (A, sdes_answer(7, "AES_CM_128_HMAC_SHA1_80"), NO_ICE)],
    "rtp-to-sdes-no-f8-80": [(O, PLAIN_OFFER, dict(SDES_BASE, SDES=["no-F8_128_HMAC_SHA1_80"],
                                                   **{"transport-protocol": "RTP/SAVP"})),
                             (A, sdes_answer(7, "AES_CM_128_HMAC_SHA1_80"), NO_ICE)],
    "rtp-to-sdes-no-aes-cm-80": [(O, PLAIN_OFFER, dict(SDES_BASE, SDES=["no-AES_CM_128_HMAC_SHA1_80"],
                                                       **{"transport-protocol": "RTP/SAVP"})),
                                 (A, sdes_answer(7, "AES_CM_128_HMAC_SHA1_32"), NO_ICE)],
    "pad-crypto": [(O, PAD_OFFER, dict(SDES_BASE, flags=["pad crypto"], replace=["origin"])),
                   (A, sdes_answer(3, "AES_CM_128_HMAC_SHA1_80"), dict(SDES_BASE, flags=["pad crypto"], replace=["origin"]))],
    "codec-mask-flags": [(O, MASK_OFFER, {"ICE": "remove", "replace": ["origin", "session-connection"],
                                          "flags": ["codec-mask-opus", "codec-mask-G722", "codec-strip-G7221"]}),
                         (A, MASK_ANSWER, {"ICE": "remove", "replace": ["origin", "session-connection"]})],
    "codec-mask-flags-always-transcode": [
        (O, MASK_OFFER, {"ICE": "remove", "replace": ["origin", "session-connection"],
                         "flags": ["codec-mask-opus", "codec-mask-G722", "codec-strip-G7221", "always-transcode"]}),
        (A, MASK_ANSWER, {"ICE": "remove", "replace": ["origin", "session-connection"]})],
}

EXPECTED = {
    'codec-mask-flags': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.1', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 8 0 101',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000',
            'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.1', 's=check', 'c=IN IP4 127.0.0.1', 't=0 0',
            'm=audio PORT RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
            'a=fmtp:101 0-15', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'codec-mask-flags-always-transcode': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.1', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 8 0 101',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000',
            'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.1', 's=check', 'c=IN IP4 127.0.0.1', 't=0 0',
            'm=audio PORT RTP/AVP 120', 'a=rtpmap:120 opus/48000/2',
            'a=fmtp:120 useinbandfec=1; usedtx=1; maxaveragebitrate=64000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'ice-default-ice-answer-default': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
    ],
    'ice-force-ice-answer-force': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
    ],
    'ice-force-plain-answer': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
    ],
    'plain-ice-default': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'plain-ice-remove': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'plain-ice-remove-answer-optional': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'reinvite-ice-default': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'reinvite-ice-force-rejected': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    't38-beside-rejected-audio': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'c=IN IP4 127.0.0.1',
            'm=audio 0 RTP/AVP 8 101', 'm=image PORT udptl t38', 'c=IN IP4 127.0.0.1', 'a=T38FaxVersion:0',
            'a=T38FaxRateManagement:transferredTCF', 'a=sendrecv',
        ],
    ],
    'extmap-kept': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'a=extmap:2 urn:example:session',
            'm=audio PORT RTP/AVP 0', 'c=IN IP4 127.0.0.1', 'a=extmap:1 foobar', 'a=rtpmap:0 PCMU/8000',
            'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'extmap-stripped': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'trickle-ice-offer': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=ice-options:trickle',
            'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host', 'a=end-of-candidates',
        ],
    ],
    'rtp-to-sdes': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AEAD_AES_256_GCM inline:KEY44', 'a=crypto:2 AEAD_AES_128_GCM inline:KEY28',
            'a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:KEY46',
            'a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:KEY46',
            'a=crypto:5 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:6 AES_192_CM_HMAC_SHA1_32 inline:KEY38',
            'a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:9 F8_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:10 F8_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:11 NULL_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:12 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'rtp-to-sdes-no-aes-cm-80': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AEAD_AES_256_GCM inline:KEY44', 'a=crypto:2 AEAD_AES_128_GCM inline:KEY28',
            'a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:KEY46',
            'a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:KEY46',
            'a=crypto:5 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:6 AES_192_CM_HMAC_SHA1_32 inline:KEY38',
            'a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:8 F8_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:9 F8_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:10 NULL_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:11 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'rtp-to-sdes-no-f8-80': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AEAD_AES_256_GCM inline:KEY44', 'a=crypto:2 AEAD_AES_128_GCM inline:KEY28',
            'a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:KEY46',
            'a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:KEY46',
            'a=crypto:5 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:6 AES_192_CM_HMAC_SHA1_32 inline:KEY38',
            'a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:9 F8_128_HMAC_SHA1_32 inline:KEY30',
            'a=crypto:10 NULL_HMAC_SHA1_80 inline:KEY30', 'a=crypto:11 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'sdes-to-rtp': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY30',
        ],
    ],
    'sdes-to-rtp-no-aes-cm-32': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY30',
        ],
    ],
    'sdes-to-rtp-no-aes-cm-80': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:KEY30',
        ],
    ],
    'reinvite-ice-force-accepted': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
    ],
    'sdes-plain': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:OFFERED',
            'a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:OFFERED', 'a=crypto:5 AEAD_AES_256_GCM inline:KEY44',
            'a=crypto:6 AEAD_AES_128_GCM inline:KEY28', 'a=crypto:7 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:8 AES_192_CM_HMAC_SHA1_32 inline:KEY38', 'a=crypto:9 F8_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:10 F8_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:11 NULL_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:12 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:ANSWERED',
        ],
    ],
    'sdes-no-aes-cm-32': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:OFFERED', 'a=crypto:5 AEAD_AES_256_GCM inline:KEY44',
            'a=crypto:6 AEAD_AES_128_GCM inline:KEY28', 'a=crypto:7 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:8 AES_192_CM_HMAC_SHA1_32 inline:KEY38', 'a=crypto:9 F8_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:10 F8_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:11 NULL_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:12 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:ANSWERED',
        ],
    ],
    'sdes-no-aes-cm-80': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:OFFERED',
            'a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:OFFERED', 'a=crypto:5 AEAD_AES_256_GCM inline:KEY44',
            'a=crypto:6 AEAD_AES_128_GCM inline:KEY28', 'a=crypto:7 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:8 AES_192_CM_HMAC_SHA1_32 inline:KEY38', 'a=crypto:9 F8_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:10 F8_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:11 NULL_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:12 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:ANSWERED',
        ],
    ],
    'sdes-no-f8-80': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:OFFERED',
            'a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:OFFERED', 'a=crypto:5 AEAD_AES_256_GCM inline:KEY44',
            'a=crypto:6 AEAD_AES_128_GCM inline:KEY28', 'a=crypto:7 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:8 AES_192_CM_HMAC_SHA1_32 inline:KEY38', 'a=crypto:9 F8_128_HMAC_SHA1_32 inline:KEY30',
            'a=crypto:10 NULL_HMAC_SHA1_80 inline:KEY30', 'a=crypto:11 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:ANSWERED',
        ],
    ],
    'pad-crypto': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.1', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:OFFERED',
            'a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:OFFERED', 'a=crypto:5 AEAD_AES_256_GCM inline:KEY44',
            'a=crypto:6 AEAD_AES_128_GCM inline:KEY28', 'a=crypto:7 AES_256_CM_HMAC_SHA1_80 inline:KEY46',
            'a=crypto:8 AES_256_CM_HMAC_SHA1_32 inline:KEY46',
            'a=crypto:9 AES_192_CM_HMAC_SHA1_80 inline:KEY38',
            'a=crypto:10 AES_192_CM_HMAC_SHA1_32 inline:KEY38', 'a=crypto:11 F8_128_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:12 F8_128_HMAC_SHA1_32 inline:KEY30', 'a=crypto:13 NULL_HMAC_SHA1_80 inline:KEY30',
            'a=crypto:14 NULL_HMAC_SHA1_32 inline:KEY30',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.1', 's=check', 't=0 0', 'm=audio PORT RTP/SAVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
            'a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:ANSWERED',
        ],
    ],
    'ice-force-ice-answer-optional': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=ice-ufrag:LEBk69mP', 'a=ice-pwd:Lk7SISXjnrukHrJSmjiUYs4oZ1',
            'a=candidate:f1LEBk69mP 1 UDP 2130706431 127.0.0.3 2002 typ host',
            'a=candidate:f2LEBk69mP 1 UDP 2130706175 ::1 2002 typ host',
            'a=candidate:f1LEBk69mP 2 UDP 2130706430 127.0.0.3 2003 typ host',
            'a=candidate:f2LEBk69mP 2 UDP 2130706174 ::1 2003 typ host', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv',
            'a=rtcp:PORT', 'a=candidate:ICEBASE 1 UDP 2097152255 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2097152254 127.0.0.1 PORT typ host',
        ],
    ],
    'ice-optional-media-address': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.9', 'a=ice-ufrag:mR55mJfP', 'a=ice-pwd:jBDF4Lljm1FNcF3JtTM5NzdG7O',
            'a=candidate:f1mR55mJfP 1 UDP 2130706431 127.0.0.2 2000 typ host',
            'a=candidate:f2mR55mJfP 1 UDP 2130706175 ::1 2000 typ host',
            'a=candidate:f1mR55mJfP 2 UDP 2130706430 127.0.0.2 2001 typ host',
            'a=candidate:f2mR55mJfP 2 UDP 2130706174 ::1 2001 typ host', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv',
            'a=rtcp:PORT IN IP4 127.0.0.9', 'a=candidate:ICEBASE 1 UDP 2097152255 127.0.0.9 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2097152254 127.0.0.9 PORT typ host',
        ],
    ],
    'ice-optional-plain-answer': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=ice-ufrag:mR55mJfP', 'a=ice-pwd:jBDF4Lljm1FNcF3JtTM5NzdG7O',
            'a=candidate:f1mR55mJfP 1 UDP 2130706431 127.0.0.2 2000 typ host',
            'a=candidate:f2mR55mJfP 1 UDP 2130706175 ::1 2000 typ host',
            'a=candidate:f1mR55mJfP 2 UDP 2130706430 127.0.0.2 2001 typ host',
            'a=candidate:f2mR55mJfP 2 UDP 2130706174 ::1 2001 typ host', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv',
            'a=rtcp:PORT', 'a=candidate:ICEBASE 1 UDP 2097152255 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2097152254 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
    'plain-ice-optional-answer-remove': [
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.2', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT', 'a=ice-ufrag:ICEUFRAG',
            'a=ice-pwd:ICEPWD', 'a=candidate:ICEBASE 1 UDP 2130706431 127.0.0.1 PORT typ host',
            'a=candidate:ICEBASE 2 UDP 2130706430 127.0.0.1 PORT typ host',
        ],
        [
            'v=0', 'o=- 3690788630 1 IN IP4 127.0.0.3', 's=check', 't=0 0', 'm=audio PORT RTP/AVP 0',
            'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', 'a=rtcp:PORT',
        ],
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_requests_as_10_5(rtpengine, name):
    assert run_steps(rtpengine, STEPS[name]) == EXPECTED[name]


# ---------------------------------------------------------------- SRTP media (GH 829)

@pytest.mark.parametrize("pad", [False, True], ids=["plain", "pad-crypto"])
def test_sdes_to_sdes_media_with_the_keys_in_the_sdp(rtpengine, pad):
    """SRTP on both sides, the answerer picking the offerer's second suite: each side decrypts
    what it gets with the key the SDP it received gave for that tag (libsrtp2 at both ends)."""
    from rtp import MediaPeer, rtp_stream
    from test_srtp import PEER, srtp
    if not os.path.exists(PEER):
        pytest.skip("srtp_peer not built (make test-e2e builds it)")
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    options = dict(SDES_BASE, flags=["pad crypto"] if pad else [])
    try:
        call = Call(rtpengine)
        offer_sdp = PAD_OFFER.replace("m=audio 2000", "m=audio %d" % caller.port)
        offer = assert_ok(call.offer(offer_sdp, options))["sdp"]
        answer_sdp = sdes_answer(4, "AES_CM_128_HMAC_SHA1_32").replace("m=audio 2002", "m=audio %d" % callee.port)
        answer = assert_ok(call.answer(answer_sdp, options))["sdp"]
        callee_decrypts = sdes_key(offer, 4)
        caller_decrypts = sdes_key(answer, 4)
        suite = "AES_CM_128_HMAC_SHA1_32"
        forward = rtp_stream(0x1111, 5)
        for packet in srtp("protect", KEY128_B, forward, suite):
            caller.rtp.send(packet, Sdp(answer).media_address())
            time.sleep(0.02)   # paced as a phone sends: 10.5 may reorder a burst
        got = [data for data, _ in callee.rtp.receive_all(5, 2.0)]
        assert sorted(srtp("unprotect", callee_decrypts, got, suite)) == forward
        back = rtp_stream(0x2222, 5)
        for packet in srtp("protect", KEY128_ANSWER, back, suite):
            callee.rtp.send(packet, Sdp(offer).media_address())
            time.sleep(0.02)
        got = [data for data, _ in caller.rtp.receive_all(5, 2.0)]
        assert sorted(srtp("unprotect", caller_decrypts, got, suite)) == back
        call.delete()
    finally:
        caller.close()
        callee.close()


# ---------------------------------------------------------------- DTMF injection (RFC 4733)

def te_sdp(address, port, payload_types, telephone_event):
    formats = list(payload_types) + ([96] if telephone_event else [])
    return body(address, "m=audio %d RTP/AVP %s" % (port, " ".join(map(str, formats))), "c=IN IP4 %s" % address,
                *(["a=rtpmap:96 telephone-event/8000"] if telephone_event else []), "a=sendrecv")


def rfc_event(code, volume, first_sequence, timestamp):
    """10.5's packets for a 100 ms event: 20 ms updates, then the end packet three times."""
    packets = [(96, n == 0, first_sequence + n, timestamp, bytes([code, volume]) + (160 * (n + 1)).to_bytes(2, "big"))
               for n in range(5)]
    return packets + [(96, False, first_sequence + 5 + n, timestamp, bytes([code, 0x80 | volume, 0x03, 0xc0]))
                      for n in range(3)]


def audio(payload_type, fill, first_sequence, first_timestamp, count):
    return [(payload_type, False, first_sequence + n, first_timestamp + 160 * n, fill * 160) for n in range(count)]


@pytest.mark.parametrize("caller_pts, callee_pts, transcode, events, expected", [
    # the sender's audio is replaced by the event, then goes on two numbers later (three ends)
    ([0, 8], [0, 8], None, [("0", 10)],
     rfc_event(0, 10, 1002, 3320) + audio(0, b"\x00", 1010, 4280, 4)),
    ([0], [8], ["PCMA"], [("0", 10)],
     rfc_event(0, 10, 1002, 3320) + audio(8, b"\x2a", 1010, 4280, 4)),
    # a second event waits for the first and 100 ms of audio
    ([0, 8], [0, 8], None, [("0", 10), ("1", 6)],
     rfc_event(0, 10, 1002, 3320) + audio(0, b"\x00", 1010, 4280, 4) + rfc_event(1, 6, 1014, 4920)
     + audio(0, b"\x00", 1022, 5880, 2)),
], ids=["no-transcoding", "transcoding", "two-events"])
def test_injected_dtmf_events_as_10_5(rtpengine, caller_pts, callee_pts, transcode, events, expected):
    from rtp import MediaPeer, build_rtp, parse_rtp
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    options = {"ICE": "remove", "replace": ["origin"], "flags": ["inject DTMF"]}
    try:
        call = Call(rtpengine)
        assert_ok(call.offer(te_sdp(CALLER, caller.port, caller_pts, True),
                             dict(options, codec={"transcode": transcode}) if transcode else options))
        answer = assert_ok(call.answer(te_sdp(CALLEE, callee.port, callee_pts, True), options))
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        fill = b"\x00"

        def send(index):
            caller.rtp.send(build_rtp(1000 + index, 3000 + 160 * index, 0x1234, caller_pts[0], fill * 160),
                            caller_sends_to)
            return [parse_rtp(data) for data, _ in callee.rtp.receive_all(3, 0.1)]

        before = send(0) + send(1)
        assert [p.sequence for p in before] == [1000, 1001]
        for code, volume in events:
            assert_ok(call.command("play DTMF", **{"from-tag": call.from_tag, "code": code, "volume": volume,
                                                   "duration": 100}))
        got = []
        for index in range(2, 2 + 20):
            got += send(index)
            if len(got) >= len(expected):
                break
        assert [(p.payload_type, p.marker, p.sequence, p.timestamp, p.payload) for p in got[:len(expected)]] == expected
        assert len({p.ssrc for p in before + got}) == 1
        call.delete()
    finally:
        caller.close()
        callee.close()


TONE = "tone"   # a frame of the DTMF tone pair (its samples are not compared: see the docstring)


@pytest.mark.parametrize("callee_pt, transcode, events, expected", [
    # 120 ms of tone, 110 ms of silence (the last 10 ms in the sender's frame), the sender again
    (0, None, [("C", 5, 120, 110)],
     [TONE] * 6 + [b"\xff" * 160] * 5 + [b"\xff" * 80 + b"\x00" * 80] + [b"\x00" * 160] * 2),
    # transcoded to PCMA: 100 ms of silence by default
    (8, ["PCMA"], [("C", 5, 120, None)], [TONE] * 6 + [b"\xd5" * 160] * 5 + [b"\x2a" * 160] * 3),
    # a second tone starts after the first one's pause
    (0, None, [("C", 5, 100, None), ("4", 5, 100, None)],
     ([TONE] * 5 + [b"\xff" * 160] * 5) * 2 + [b"\x00" * 160] * 2),
], ids=["pause", "transcoded", "two-tones"])
def test_injected_inband_dtmf_timing_as_10_5(rtpengine, callee_pt, transcode, events, expected):
    """Without telephone-event the tones are played in the audio: tone frames, then silence for
    the pause, then the sender's audio, numbered and timed as the sender's packets."""
    from rtp import MediaPeer, build_rtp, parse_rtp
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    options = {"ICE": "remove", "replace": ["origin"], "flags": ["inject DTMF"]}
    caller_pts = [0] if transcode else [0, 8]
    try:
        call = Call(rtpengine)
        assert_ok(call.offer(te_sdp(CALLER, caller.port, caller_pts, False),
                             dict(options, codec={"transcode": transcode}) if transcode else options))
        answer = assert_ok(call.answer(te_sdp(CALLEE, callee.port, [callee_pt] if transcode else caller_pts, False),
                                       options))
        caller_sends_to = Sdp(answer["sdp"]).media_address()

        def send(index):
            caller.rtp.send(build_rtp(1000 + index, 3000 + 160 * index, 0x1234, 0, b"\x00" * 160), caller_sends_to)
            return [parse_rtp(data) for data, _ in callee.rtp.receive_all(3, 0.1)]

        assert len(send(0) + send(1)) == 2
        for code, volume, duration, pause in events:
            request = {"from-tag": call.from_tag, "code": code, "volume": volume, "duration": duration}
            if pause is not None:
                request["pause"] = pause
            assert_ok(call.command("play DTMF", **request))
        got = []
        for index in range(2, 2 + len(expected) + 5):
            got += send(index)
            if len(got) >= len(expected):
                break
        got = got[:len(expected)]
        assert [(p.payload_type, p.sequence, p.timestamp) for p in got] == \
            [(callee_pt, 1002 + n, 3320 + 160 * n) for n in range(len(expected))]
        payloads = [p.payload for p in got]
        silence, fill = (b"\xd5" if callee_pt == 8 else b"\xff") * 160, (b"\x2a" if callee_pt == 8 else b"\x00") * 160
        assert [TONE if payload not in (silence, fill) and payload != expected[n] else payload
                for n, payload in enumerate(payloads)] == expected
        call.delete()
    finally:
        caller.close()
        callee.close()


# ---------------------------------------------------------------- GH 850: DTLS through ICE=force-relay

CALLER_FINGERPRINT = "sha-256 " + ":".join(["3C"] * 32)
CALLEE_FINGERPRINT = "sha-256 " + ":".join(["A7"] * 32)


def browser_media(address, port, ufrag, pwd, fingerprint, setup):
    return ["m=audio %d UDP/TLS/RTP/SAVPF 0" % port, "c=IN IP4 %s" % address, "a=mid:0", "a=rtpmap:0 PCMU/8000",
            "a=ice-ufrag:%s" % ufrag, "a=ice-pwd:%s" % pwd,
            "a=candidate:h1%s 1 udp 2122260223 %s %d typ host" % (ufrag, address, port),
            "a=fingerprint:" + fingerprint, "a=setup:" + setup, "a=rtcp-mux", "a=sendrecv"]


def keying_lines(text):
    return [line for line in text.split("\r\n") if line.startswith(("a=fingerprint", "a=setup", "a=crypto"))]


def test_gh850_force_relay_passes_dtls_through(rtpengine):
    """GH 850: a browser's DTLS-SRTP offer with ICE=force-relay and SDES-off. As 10.5 (measured):
    the endpoints' a=setup and a=fingerprint go on unchanged both ways, no keys of ours, and
    what arrives on our relay candidates (DTLS records, SRTP) passes to the other side byte
    for byte: the relay is one ICE path of the endpoints' own DTLS session, not a party to it."""
    from rtp import MediaPeer, build_rtp
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        options = {"ICE": "force-relay", "flags": ["SDES-off"]}
        offer = body(CALLER, "a=group:BUNDLE 0",
                     *browser_media(CALLER, caller.port, "brwsr01", "p" * 24, CALLER_FINGERPRINT, "actpass"))
        towards_callee = assert_ok(call.offer(offer, options))["sdp"]
        assert keying_lines(towards_callee) == ["a=fingerprint:" + CALLER_FINGERPRINT, "a=setup:actpass"]
        assert "\r\na=group:BUNDLE 0\r\n" in towards_callee   # the caller's transport, as it wrote it
        answer = body(CALLEE, *browser_media(CALLEE, callee.port, "phone01", "q" * 24, CALLEE_FINGERPRINT, "active"))
        towards_caller = assert_ok(call.answer(answer, options))["sdp"]
        assert keying_lines(towards_caller) == ["a=fingerprint:" + CALLEE_FINGERPRINT, "a=setup:active"]
        assert "a=group:" not in towards_caller   # the callee wrote none

        def relay_port(text):
            return [int(line.split()[5]) for line in text.split("\r\n")
                    if line.startswith("a=candidate:") and " typ relay " in line][0]

        # a DTLS ClientHello-like record (RFC 7983: first byte 22) and an SRTP-like packet
        record = bytes([22, 0xfe, 0xfd]) + b"\x00" * 8 + b"\x00\x10" + b"\x01" * 16
        srtp_like = build_rtp(4000, 160, 0x3c3c3c3c, 0, b"\xa5" * 170)
        for sender, port, receiver in ((callee, relay_port(towards_callee), caller),
                                       (caller, relay_port(towards_caller), callee)):
            for packet in (record, srtp_like):
                sender.rtp.send(packet, ("127.0.0.1", port))
            assert [data for data, _ in receiver.rtp.receive_all(2, 2.0)] == [record, srtp_like]
    finally:
        caller.close()
        callee.close()


def masked_media_lines(text):
    """The m= section's lines after c=, our relay ports and candidate foundation masked."""
    lines = text.split("\r\n")
    section = lines[next(i for i, line in enumerate(lines) if line.startswith("m=")) + 2:]
    masked = []
    for line in section:
        if " typ relay " in line:
            fields = line.split()
            fields[0], fields[5], fields[-1] = "a=candidate:F", "PORT", "PORT"
            line = " ".join(fields)
        elif line.startswith("a=rtcp:") and not line.startswith("a=rtcp:9 "):
            line = "a=rtcp:PORT"
        if line:
            masked.append(line)
    return masked


@pytest.mark.parametrize("muxed", [True, False])
def test_gh850_force_relay_layout(rtpengine, muxed):
    """GH 850's SDPs line by line, as 10.5 writes them (measured): the sender's a=rtcp (a
    browser's placeholder), ICE, keying and a=rtcp-mux stay where they were, then mid, rtpmap
    and direction; in an answer whose
    relay candidate multiplexes RTCP, a=rtcp with the relay's port and an a=rtcp-mux of the
    relay's own; then the relay candidates (priority 16777215: the sender has no relay
    candidate of its own), one per component."""
    call = Call(rtpengine)
    options = {"ICE": "force-relay", "flags": ["SDES-off"]}

    def media(address, port, ufrag, pwd, fingerprint, setup):
        lines = browser_media(address, port, ufrag, pwd, fingerprint, setup)
        lines.insert(2, "a=rtcp:9 IN IP4 0.0.0.0")   # after c=, as Chromium writes it
        return lines if muxed else [line for line in lines if line != "a=rtcp-mux"]

    offer = body(CALLER, "a=group:BUNDLE 0", *media(CALLER, 40000, "brwsr01", "p" * 24, CALLER_FINGERPRINT, "actpass"))
    answer = body(CALLEE, *media(CALLEE, 40002, "phone01", "q" * 24, CALLEE_FINGERPRINT, "active"))
    towards_callee = assert_ok(call.offer(offer, options))["sdp"]
    towards_caller = assert_ok(call.answer(answer, options))["sdp"]

    def expected(address, port, ufrag, pwd, fingerprint, setup, relay_lines):
        passed = ["a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:" + ufrag, "a=ice-pwd:" + pwd,
                  "a=candidate:h1%s 1 udp 2122260223 %s %d typ host" % (ufrag, address, port),
                  "a=fingerprint:" + fingerprint, "a=setup:" + setup]
        return passed + (["a=rtcp-mux"] if muxed else []) + ["a=mid:0", "a=rtpmap:0 PCMU/8000", "a=sendrecv"] \
            + relay_lines

    both = ["a=candidate:F 1 UDP 16777215 127.0.0.1 PORT typ relay raddr 127.0.0.1 rport PORT",
            "a=candidate:F 2 UDP 16777214 127.0.0.1 PORT typ relay raddr 127.0.0.1 rport PORT"]
    assert masked_media_lines(towards_callee) == \
        expected(CALLER, 40000, "brwsr01", "p" * 24, CALLER_FINGERPRINT, "actpass", both)
    back = ["a=rtcp:PORT", "a=rtcp-mux", both[0]] if muxed else both
    assert masked_media_lines(towards_caller) == \
        expected(CALLEE, 40002, "phone01", "q" * 24, CALLEE_FINGERPRINT, "active", back)
    if muxed:
        # a=rtcp names the relay candidate's port
        relay = [line.split()[5] for line in towards_caller.split("\r\n") if " typ relay " in line]
        assert "a=rtcp:%s" % relay[0] in towards_caller.split("\r\n")


def test_force_relay_passes_an_audio_video_bundle(rtpengine):
    """GH 850 with audio and video in one BUNDLE group (RFC 9143), as 10.5 does it (measured):
    the sender's a=group:BUNDLE goes on as written, both ways; every m= line keeps the
    endpoint's port and gets a relay candidate of its own (a port per m= line, none shared),
    and what arrives on an m= line's relay candidate leaves by that m= line's port towards
    the other side: the endpoints' ICE session bundles, the relay is one path per m= line."""
    from rtp import MediaPeer, build_rtp, parse_rtp
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        options = {"ICE": "force-relay", "flags": ["SDES-off"]}

        def bundle(address, port, ufrag, pwd, fingerprint, setup):
            audio = browser_media(address, port, ufrag, pwd, fingerprint, setup)
            video = [line.replace("m=audio %d UDP/TLS/RTP/SAVPF 0" % port, "m=video %d UDP/TLS/RTP/SAVPF 96" % port)
                     .replace("a=mid:0", "a=mid:1").replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:96 VP8/90000")
                     for line in audio]
            return body(address, "a=group:BUNDLE 0 1", *(audio + video))

        towards_callee = Sdp(assert_ok(call.offer(bundle(CALLER, caller.port, "brwsr01", "p" * 24,
                                                         CALLER_FINGERPRINT, "actpass"), options))["sdp"])
        towards_caller = Sdp(assert_ok(call.answer(bundle(CALLEE, callee.port, "phone01", "q" * 24,
                                                          CALLEE_FINGERPRINT, "active"), options))["sdp"])
        for sdp, endpoint in ((towards_callee, caller), (towards_caller, callee)):
            assert sdp.attributes == ["group:BUNDLE 0 1"]
            assert [media.port for media in sdp.medias] == [endpoint.port, endpoint.port]
            assert [attribute_values(media.attributes, "mid") for media in sdp.medias] == [["0"], ["1"]]

        def relay_port(sdp, index):
            return [int(value.split()[5]) for value in attribute_values(sdp.medias[index].attributes, "candidate")
                    if " typ relay " in value and value.split()[1] == "1"][0]

        to_callee = [relay_port(towards_callee, index) for index in (0, 1)]
        to_caller = [relay_port(towards_caller, index) for index in (0, 1)]
        assert len(set(to_callee + to_caller)) == 4
        # each m= line's packets, both ways, leave by that m= line's relay port
        for index, payload_type in ((0, 0), (1, 96)):
            callee.rtp.send(build_rtp(10 + index, 160, 0x100 + index, payload_type), ("127.0.0.1", to_callee[index]))
            got = caller.rtp.receive_all(1, 2.0)
            assert [(parse_rtp(data).ssrc, source[1]) for data, source in got] == [(0x100 + index, to_caller[index])]
            caller.rtp.send(build_rtp(20 + index, 160, 0x200 + index, payload_type), ("127.0.0.1", to_caller[index]))
            got = callee.rtp.receive_all(1, 2.0)
            assert [(parse_rtp(data).ssrc, source[1]) for data, source in got] == [(0x200 + index, to_callee[index])]
    finally:
        caller.close()
        callee.close()
