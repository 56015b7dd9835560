"""Requests of upstream's t/auto-daemon-tests.pl (tag mr10.5.3.5), slice 4 (issue 15): RTP
sequencing through a transcoder (gh 664), rtpmap and codec-spec name case, the ptime and
ptime-reverse matrix, loop-protect with a T.38 re-invite (gh 766), telephone-event options
(transcoding to and from RFC 4733, events at each clock of the offer, an event already offered
with a codec added, stripped or masked), transport-protocol `transparent`, and `replace: SDP
version/username/session-name`. Each request runs against the daemon under test and the
expected lines are those Debian's 10.5 gives for it (RTPENGINE_BINARY=/usr/bin/rtpengine runs
the same tests); a few media checks send RTP through both on loopback.

The SDP bodies are written here for loopback; media ports are normalised to PORT.
"""

import audioop
import math
import re
import struct
import time

import pytest

from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
INTERFACES = ("127.0.0.1",)


# ---------------------------------------------------------------- SDP bodies and steps

def body(origin, *lines, version=1):
    return "\r\n".join(["v=0", "o=- 3690788630 %s IN IP4 %s" % (version, origin), "s=check", "t=0 0"]
                       + list(lines)) + "\r\n"


def audio(origin, port, formats, *lines, version=1):
    return body(origin, "m=audio %d RTP/AVP %s" % (port, formats), "c=IN IP4 %s" % origin, *lines,
                version=version)


def offer(sdp, **options):
    return ("offer", "caller", options, sdp)


def answer(sdp, **options):
    return ("answer", "caller", options, sdp)


def reverse_offer(sdp, **options):
    """A re-invite from the callee: its tag is the from-tag, the caller's the to-tag."""
    return ("offer", "callee", options, sdp)


def reverse_answer(sdp, **options):
    return ("answer", "callee", options, sdp)


def normalise(text):
    """Media ports as PORT; loop-protect's marker is a per-instance value (random in 10.5)."""
    text = re.sub(r"(?m)^m=(\w+) \d+", r"m=\1 PORT", text)
    text = re.sub(r"(?m)^a=rtcp:\d+", "a=rtcp:PORT", text)
    text = re.sub(r"(?m)^a=rtpengine:\S+", "a=rtpengine:TOKEN", text)
    return [line for line in text.split("\r\n") if line]


def run_step(call, step):
    command, side, options, sdp = step
    tags = ("caller-tag", "callee-tag") if side == "caller" else ("callee-tag", "caller-tag")
    fields = {"from-tag": tags[0], "sdp": sdp}
    if command == "answer" or side == "callee":
        fields["to-tag"] = tags[1]
    reply = call.command(command, options, **fields)
    if reply.get("result") != "ok":
        return ["result: %s" % reply.get("result")]
    return normalise(reply["sdp"])


def run_scenario(daemon, steps):
    call = Call(daemon)
    results = [run_step(call, step) for step in steps]
    call.delete()
    return results


NO_ICE = {"ICE": "remove"}
ORIGIN = dict(NO_ICE, replace=["origin"])
OPUS_TE = audio(CALLER, 2000, "0 106 101 98", "a=sendrecv", "a=rtpmap:0 PCMU/8000", "a=rtpmap:106 opus/48000/2",
                "a=fmtp:106 maxplaybackrate=16000; sprop-maxcapturerate=16000; minptime=20; cbr=1; "
                "maxaveragebitrate=20000; useinbandfec=1",
                "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
                "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-16")
G729_OFFER = body(CALLER, "c=IN IP4 %s" % CALLER, "m=audio 2000 RTP/AVP 0 8 18 101",
                  "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=no",
                  "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", "a=maxptime:20")
G729_ANSWER = body(CALLEE, "c=IN IP4 %s" % CALLEE, "m=audio 2002 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000",
                   "a=rtpmap:101 telephone-event/8000", "a=ptime:20", "a=xg726bitorder:big-endian", "a=sendrecv")
T38 = ["m=image %d udptl t38", "a=T38FaxVersion:0", "a=T38MaxBitRate:14400",
       "a=T38FaxRateManagement:transferredTCF", "a=T38FaxMaxBuffer:200", "a=T38FaxMaxDatagram:180",
       "a=T38FaxUdpEC:t38UDPRedundancy"]
LOOP = dict(NO_ICE, replace=["origin", "session-connection"], flags=["loop-protect", "asymmetric"])
SPEEX_OFFER = audio(CALLER, 2000, "98 97 8 0 3 101", "a=rtpmap:98 speex/16000", "a=rtpmap:97 speex/8000",
                    "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:3 GSM/8000",
                    "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=direction:both", "a=sendrecv",
                    "a=ptime:20")
RECORDING_OPTIONS = dict(ORIGIN, **{"rtcp-mux": ["demux"], "via-branch": "xxxx",
                                    "flags": ["strict-source"], "transport-protocol": "RTP/AVP"})


def sessions(port, *versions):
    """Several SDP sessions in one body, as 10.5's tests send them."""
    return "".join(audio(CALLER, port, "0", version=version) for version in versions)


SCENARIOS = {
    "two-codecs-no-transcoding": [
        offer(audio(CALLER, 2010, "0 8", "a=sendrecv"), **ORIGIN),
        answer(audio(CALLEE, 2012, "0 8", "a=sendrecv"), **ORIGIN)],
    "one-codec-transcode-pcma": [
        offer(audio(CALLER, 2010, "0", "a=sendrecv"), codec={"transcode": ["PCMA"]}, **ORIGIN),
        answer(audio(CALLEE, 2012, "0 8", "a=sendrecv"), replace=["origin"])],
    "transcode-lower-case-rtpmap": [
        offer(audio(CALLER, 2210, "0", "a=rtpmap:0 pcmu/8000", "a=sendrecv"), codec={"transcode": ["PCMA"]}, **ORIGIN),
        answer(audio(CALLEE, 2212, "0 8", "a=rtpmap:0 pcmu/8000", "a=rtpmap:8 pcma/8000", "a=sendrecv"),
               replace=["origin"])],
    "transcode-lower-case-codec": [
        offer(audio(CALLER, 2216, "0", "a=rtpmap:0 pcmu/8000", "a=sendrecv"), codec={"transcode": ["pcma"]}, **ORIGIN),
        answer(audio(CALLEE, 2218, "0 8", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=sendrecv"),
               replace=["origin"])],
    "ptime-default": [
        offer(audio(CALLER, 3000, "0", "a=sendrecv"), **ORIGIN),
        answer(audio(CALLEE, 3002, "0", "a=sendrecv"), **ORIGIN)],
    "ptime-mismatch-no-change": [
        offer(audio(CALLER, 3000, "0", "a=sendrecv", "a=ptime:20"), **ORIGIN),
        answer(audio(CALLEE, 3002, "0", "a=sendrecv", "a=ptime:30"), **ORIGIN)],
    "ptime-30-out-default-answer": [
        offer(audio(CALLER, 3004, "0", "a=sendrecv"), ptime=30, **ORIGIN),
        answer(audio(CALLEE, 3006, "0", "a=sendrecv"), **ORIGIN)],
    "ptime-default-in-30-answer": [
        offer(audio(CALLER, 3008, "0", "a=sendrecv"), **ORIGIN),
        answer(audio(CALLEE, 3010, "0", "a=sendrecv", "a=ptime:30"), **ORIGIN)],
    "ptime-50-to-30-default-answer": [
        offer(audio(CALLER, 3012, "0", "a=sendrecv", "a=ptime:50"), ptime=30, **ORIGIN),
        answer(audio(CALLEE, 3014, "0", "a=sendrecv"), **ORIGIN)],
    "ptime-50-to-30-answer-30": [
        offer(audio(CALLER, 3012, "0", "a=sendrecv", "a=ptime:50"), ptime=30, **ORIGIN),
        answer(audio(CALLEE, 3014, "0", "a=sendrecv", "a=ptime:30"), **ORIGIN)],
    "ptime-50-to-30-reverse-50-answer-30": [
        offer(audio(CALLER, 3016, "0", "a=sendrecv", "a=ptime:50"), ptime=30, **{"ptime-reverse": 50}, **ORIGIN),
        answer(audio(CALLEE, 3018, "0", "a=sendrecv", "a=ptime:30"), **ORIGIN)],
    "ptime-50-to-30-reverse-50-default-answer": [
        offer(audio(CALLER, 3016, "0", "a=sendrecv", "a=ptime:50"), ptime=30, **{"ptime-reverse": 50}, **ORIGIN),
        answer(audio(CALLEE, 3018, "0", "a=sendrecv"), **ORIGIN)],
    "ptime-50-to-30-reverse-20-default-answer": [
        offer(audio(CALLER, 3016, "0", "a=sendrecv", "a=ptime:50"), ptime=30, **{"ptime-reverse": 20}, **ORIGIN),
        answer(audio(CALLEE, 3018, "0", "a=sendrecv"), **ORIGIN)],
    "ptime-50-to-30-reverse-20-answer-40": [
        offer(audio(CALLER, 3016, "0", "a=sendrecv", "a=ptime:50"), ptime=30, **{"ptime-reverse": 20}, **ORIGIN),
        answer(audio(CALLEE, 3018, "0", "a=sendrecv", "a=ptime:40"), **ORIGIN)],
    "ptime-30-reverse-20-answer-40": [
        offer(audio(CALLER, 3016, "0", "a=sendrecv", "a=ptime:30"), **{"ptime-reverse": 20}, **ORIGIN),
        answer(audio(CALLEE, 3018, "0", "a=sendrecv", "a=ptime:40"), **ORIGIN)],
    "gh730-opus-fmtp-two-events": [
        offer(OPUS_TE, **ORIGIN),
        answer(audio(CALLEE, 7302, "0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
                     "a=sendrecv"), **ORIGIN)],
    "gh766-loop-protect-t38-reinvite": [
        offer(G729_OFFER, **LOOP),
        answer(G729_ANSWER, **LOOP),
        reverse_offer(body(CALLEE, "c=IN IP4 %s" % CALLEE, T38[0] % 7304, *T38[1:]), **LOOP),
        reverse_answer(body(CALLER, "c=IN IP4 %s" % CALLER, T38[0] % 7300, *T38[1:4],
                            "a=T38FaxMaxBuffer:262", "a=T38FaxMaxDatagram:176", T38[6], "a=sendrecv"), **LOOP)],
    "pcm-to-rfc-dtmf": [
        offer(audio(CALLER, 7010, "0", "a=sendrecv"), codec={"transcode": ["telephone-event"]}, **ORIGIN),
        answer(audio(CALLEE, 7012, "0 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 telephone-event/8000",
                     "a=fmtp:96 0-15", "a=sendrecv"), replace=["origin"])],
    "pcm-to-rfc-dtmf-with-pcma": [
        offer(audio(CALLER, 7020, "0", "a=sendrecv"), codec={"transcode": ["PCMA", "telephone-event"]}, **ORIGIN),
        answer(audio(CALLEE, 7022, "8 96", "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 telephone-event/8000",
                     "a=fmtp:96 0-15", "a=sendrecv"), replace=["origin"])],
    "dtmf-several-clock-rates": [
        offer(audio(CALLER, 2000, "0 96 8 97 9", "a=rtpmap:96 opus/48000", "a=rtpmap:8 PCMA/8000",
                    "a=rtpmap:97 speex/16000", "a=sendrecv"), codec={"transcode": ["telephone-event"]}, **ORIGIN)],
    "dtmf-clock-rates-pcmu-opus": [
        offer(audio(CALLER, 2000, "0 96", "a=rtpmap:96 opus/48000/2", "a=sendrecv"),
              codec={"transcode": ["telephone-event"]}, **ORIGIN)],
    "dtmf-clock-rates-answered-8000": [
        offer(audio(CALLER, 2000, "0 96", "a=rtpmap:96 opus/48000/2", "a=sendrecv"),
              codec={"transcode": ["telephone-event"]}, **ORIGIN),
        answer(audio(CALLEE, 2002, "0 97", "a=rtpmap:97 telephone-event/8000", "a=fmtp:97 0-15", "a=sendrecv"),
               **ORIGIN)],
    "dtmf-clock-rates-answered-48000": [
        offer(audio(CALLER, 2000, "0 96", "a=rtpmap:96 opus/48000/2", "a=sendrecv"),
              codec={"transcode": ["telephone-event"]}, **ORIGIN),
        answer(audio(CALLEE, 2002, "96 98", "a=rtpmap:96 opus/48000/2", "a=rtpmap:98 telephone-event/48000",
                     "a=fmtp:98 0-15", "a=sendrecv"), **ORIGIN)],
    "dtmf-clock-rates-g722-speex": [
        offer(audio(CALLER, 2000, "9 97 0", "a=rtpmap:97 speex/16000", "a=sendrecv"),
              codec={"transcode": ["telephone-event"]}, **ORIGIN)],
    "dtmf-present-add-codec": [
        offer(audio(CALLER, 2000, "8 97", "a=rtpmap:8 PCMA/8000", "a=rtpmap:97 telephone-event/8000", "a=sendrecv"),
              codec={"transcode": ["opus"]}, **ORIGIN)],
    "dtmf-present-strip-codec": [
        offer(audio(CALLER, 2000, "8 96 97 98", "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 opus/48000/2",
                    "a=rtpmap:97 telephone-event/8000", "a=rtpmap:98 telephone-event/48000", "a=sendrecv"),
              codec={"strip": ["PCMA"]}, **ORIGIN)],
    "dtmf-present-add-codec-mask-other": [
        offer(audio(CALLER, 2000, "8 97", "a=rtpmap:8 PCMA/8000", "a=rtpmap:97 telephone-event/8000", "a=sendrecv"),
              codec={"transcode": ["opus"], "mask": ["PCMA"]}, **ORIGIN)],
    "reverse-dtmf-no-op": [
        offer(audio(CALLER, 8050, "0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
                    "a=fmtp:101 0-15", "a=sendrecv"), flags=["always transcode"], **ORIGIN),
        answer(audio(CALLEE, 8052, "0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
                     "a=fmtp:101 0-15", "a=sendrecv"), replace=["origin"])],
    "reverse-dtmf-active": [
        offer(audio(CALLER, 7050, "0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
                    "a=fmtp:101 0-15", "a=sendrecv"), flags=["always transcode"], **ORIGIN),
        answer(audio(CALLEE, 7052, "0", "a=rtpmap:0 PCMU/8000", "a=fmtp:101 0-15", "a=sendrecv"),
               replace=["origin"])],
    "dtmf-repacketising-offer": [
        offer(audio(CALLER, 50036, "0 8 101", "a=rtcp:50037", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
                    "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=sendrecv"),
              flags=["strict-source"], ptime=20, **{"ptime-reverse": 60, "rtcp-mux": ["demux"]},
              **dict(NO_ICE, replace=["origin", "session-connection"]))],
    "gh793-rtcp-mux-per-branch-answer-second": [
        offer(audio(CALLER, 2000, "0", "a=sendrecv", "a=rtcp-mux"), ICE="remove", **{"via-branch": "x123",
                                                                                     "rtcp-mux": ["demux"]}),
        offer(audio(CALLER, 2000, "0", "a=sendrecv", "a=rtcp-mux"), ICE="remove", **{"via-branch": "x456",
                                                                                     "rtcp-mux": ["offer"]}),
        answer(audio(CALLEE, 2002, "0", "a=sendrecv"), ICE="remove", **{"via-branch": "x456"})],
    "gh793-rtcp-mux-per-branch-answer-first": [
        offer(audio(CALLER, 2000, "0", "a=sendrecv", "a=rtcp-mux"), ICE="remove", **{"via-branch": "x123",
                                                                                     "rtcp-mux": ["demux"]}),
        offer(audio(CALLER, 2000, "0", "a=sendrecv", "a=rtcp-mux"), ICE="remove", **{"via-branch": "x456",
                                                                                     "rtcp-mux": ["offer"]}),
        answer(audio(CALLEE, 2002, "0", "a=sendrecv"), ICE="remove", **{"via-branch": "x123"})],
    "direction-both-speex-gsm": [
        offer(SPEEX_OFFER, **RECORDING_OPTIONS),
        answer(audio(CALLEE, 3022, "8 0 3 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:3 GSM/8000",
                     "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=direction:both", "a=sendrecv"),
               replace=["origin"], **{"transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"], "via-branch": "xxxx"})],
    "transport-protocol-transparent": [
        offer(SPEEX_OFFER, **dict(RECORDING_OPTIONS, **{"transport-protocol": "transparent"})),
        answer(audio(CALLEE, 3022, "8 0 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
                     "a=direction:both", "a=sendrecv"),
               replace=["origin"], **{"transport-protocol": "RTP/AVP", "rtcp-mux": ["demux"], "via-branch": "xxxx"})],
    "sdp-version-increments": [
        offer(audio(CALLER, 2000, "0"), replace=["SDP version"]),
        offer(audio(CALLER, 2000, "0"), replace=["SDP version"]),
        offer(audio(CALLER, 2000, "0", version=2), replace=["SDP version"]),
        offer(audio(CALLER, 2000, "0", version=3), replace=["SDP version"]),
        offer(audio(CALLER, 2002, "0"), replace=["SDP version"]),
        offer(audio(CALLER, 2002, "0", version=4), replace=["SDP version"])],
    "sdp-replace-everything": [
        offer(body(CALLER, "c=IN IP4 %s" % CALLER, "m=audio 2000 RTP/AVP 0", "c=IN IP4 %s" % CALLER, version=version),
              replace=["SDP version", "origin", "session-connection", "username", "session-name"])
        for version in (1, 1, 2)],
}


# ---------------------------------------------------------------- 10.5's answers

# per scenario, per request: the SDP lines Debian's 10.5 gives (ports as PORT)
EXPECTED = {
    "two-codecs-no-transcoding": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 8",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 8",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "one-codec-transcode-pcma": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 8",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "transcode-lower-case-rtpmap": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 8",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 pcmu/8000", "a=rtpmap:8 PCMA/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 pcmu/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "transcode-lower-case-codec": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 8",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 pcmu/8000", "a=rtpmap:8 pcma/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "ptime-default": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "ptime-mismatch-no-change": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
    ],
    "ptime-30-out-default-answer": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "ptime-default-in-30-answer": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
    ],
    "ptime-50-to-30-default-answer": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:50"],
    ],
    "ptime-50-to-30-answer-30": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:50"],
    ],
    "ptime-50-to-30-reverse-50-answer-30": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:50"],
    ],
    "ptime-50-to-30-reverse-50-default-answer": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:50"],
    ],
    "ptime-50-to-30-reverse-20-default-answer": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
    ],
    "ptime-50-to-30-reverse-20-answer-40": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
    ],
    "ptime-30-reverse-20-answer-40": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:30"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
    ],
    "gh730-opus-fmtp-two-events": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 106 101 98",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:106 opus/48000/2",
         "a=fmtp:106 maxplaybackrate=16000; sprop-maxcapturerate=16000; minptime=20; cbr=1; maxaveragebitrate=20000; useinbandfec=1",
         "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=rtpmap:98 telephone-event/48000",
         "a=fmtp:98 0-16", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 101",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=sendrecv",
         "a=rtcp:PORT"],
    ],
    "gh766-loop-protect-t38-reinvite": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "c=IN IP4 127.0.0.1",
         "a=rtpengine:TOKEN", "m=audio PORT RTP/AVP 0 8 18 101", "a=maxptime:20", "a=rtpmap:0 PCMU/8000",
         "a=rtpmap:8 PCMA/8000", "a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=no",
         "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "c=IN IP4 127.0.0.1",
         "a=rtpengine:TOKEN", "m=audio PORT RTP/AVP 0 101", "a=xg726bitorder:big-endian", "a=rtpmap:0 PCMU/8000",
         "a=rtpmap:101 telephone-event/8000", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "c=IN IP4 127.0.0.1",
         "a=rtpengine:TOKEN", "m=image PORT udptl t38", "a=T38FaxVersion:0", "a=T38MaxBitRate:14400",
         "a=T38FaxRateManagement:transferredTCF", "a=T38FaxMaxBuffer:200", "a=T38FaxMaxDatagram:180",
         "a=T38FaxUdpEC:t38UDPRedundancy", "a=sendrecv"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "c=IN IP4 127.0.0.1",
         "a=rtpengine:TOKEN", "m=image PORT udptl t38", "a=T38FaxVersion:0", "a=T38MaxBitRate:14400",
         "a=T38FaxRateManagement:transferredTCF", "a=T38FaxMaxBuffer:262", "a=T38FaxMaxDatagram:176",
         "a=T38FaxUdpEC:t38UDPRedundancy", "a=sendrecv"],
    ],
    "pcm-to-rfc-dtmf": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 96",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15",
         "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "pcm-to-rfc-dtmf-with-pcma": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 8 96",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 telephone-event/8000",
         "a=fmtp:96 0-15", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "dtmf-several-clock-rates": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0",
         "m=audio PORT RTP/AVP 0 96 8 97 9 99 100 98", "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000",
         "a=rtpmap:96 opus/48000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:97 speex/16000", "a=rtpmap:9 G722/8000",
         "a=rtpmap:99 telephone-event/16000", "a=fmtp:99 0-15", "a=rtpmap:100 telephone-event/48000",
         "a=fmtp:100 0-15", "a=rtpmap:98 telephone-event/8000", "a=fmtp:98 0-15", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "dtmf-clock-rates-pcmu-opus": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 96 98 97",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2",
         "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15", "a=rtpmap:97 telephone-event/8000",
         "a=fmtp:97 0-15", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "dtmf-clock-rates-answered-8000": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 96 98 97",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2",
         "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15", "a=rtpmap:97 telephone-event/8000",
         "a=fmtp:97 0-15", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "dtmf-clock-rates-answered-48000": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 96 98 97",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2",
         "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15", "a=rtpmap:97 telephone-event/8000",
         "a=fmtp:97 0-15", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 96",
         "c=IN IP4 127.0.0.1", "a=rtpmap:96 opus/48000/2", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "dtmf-clock-rates-g722-speex": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 9 97 0 98 96",
         "c=IN IP4 127.0.0.1", "a=rtpmap:9 G722/8000", "a=rtpmap:97 speex/16000", "a=rtpmap:0 PCMU/8000",
         "a=rtpmap:98 telephone-event/16000", "a=fmtp:98 0-15", "a=rtpmap:96 telephone-event/8000",
         "a=fmtp:96 0-15", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "dtmf-present-add-codec": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 8 96 98 97",
         "c=IN IP4 127.0.0.1", "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 opus/48000/2",
         "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15", "a=rtpmap:97 telephone-event/8000", "a=sendrecv",
         "a=rtcp:PORT"],
    ],
    "dtmf-present-strip-codec": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 96 98",
         "c=IN IP4 127.0.0.1", "a=rtpmap:96 opus/48000/2", "a=rtpmap:98 telephone-event/48000", "a=sendrecv",
         "a=rtcp:PORT"],
    ],
    "dtmf-present-add-codec-mask-other": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 96 98",
         "c=IN IP4 127.0.0.1", "a=rtpmap:96 opus/48000/2", "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15",
         "a=sendrecv", "a=rtcp:PORT"],
    ],
    "reverse-dtmf-no-op": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 101",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
         "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 101",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
         "a=sendrecv", "a=rtcp:PORT"],
    ],
    "reverse-dtmf-active": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 101",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
         "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 101",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
         "a=sendrecv", "a=rtcp:PORT"],
    ],
    "dtmf-repacketising-offer": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0 8 101",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000",
         "a=fmtp:101 0-16", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
    ],
    "gh793-rtcp-mux-per-branch-answer-second": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=rtcp-mux"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.3", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "gh793-rtcp-mux-per-branch-answer-first": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=rtcp-mux"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.3", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT", "a=rtcp-mux"],
    ],
    "direction-both-speex-gsm": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 98 97 8 0 3 101",
         "c=IN IP4 127.0.0.1", "a=direction:both", "a=rtpmap:98 speex/16000", "a=rtpmap:97 speex/8000",
         "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:3 GSM/8000",
         "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 8 0 3 101",
         "c=IN IP4 127.0.0.1", "a=direction:both", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000",
         "a=rtpmap:3 GSM/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv",
         "a=rtcp:PORT", "a=ptime:20"],
    ],
    "transport-protocol-transparent": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 98 97 8 0 3 101",
         "c=IN IP4 127.0.0.1", "a=direction:both", "a=rtpmap:98 speex/16000", "a=rtpmap:97 speex/8000",
         "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:3 GSM/8000",
         "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "m=audio PORT RTP/AVP 8 0 101",
         "c=IN IP4 127.0.0.1", "a=direction:both", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000",
         "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=sendrecv", "a=rtcp:PORT", "a=ptime:20"],
    ],
    "sdp-version-increments": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 2 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 2 IN IP4 127.0.0.2", "s=check", "t=0 0", "m=audio PORT RTP/AVP 0",
         "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
    "sdp-replace-everything": [
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "c=IN IP4 127.0.0.1",
         "m=audio PORT RTP/AVP 0", "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "c=IN IP4 127.0.0.1",
         "m=audio PORT RTP/AVP 0", "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
        ["v=0", "o=- 3690788630 1 IN IP4 127.0.0.1", "s=check", "t=0 0", "c=IN IP4 127.0.0.1",
         "m=audio PORT RTP/AVP 0", "c=IN IP4 127.0.0.1", "a=rtpmap:0 PCMU/8000", "a=sendrecv", "a=rtcp:PORT"],
    ],
}


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("name", list(EXPECTED))
def test_requests_as_10_5(rtpengine, name):
    assert run_scenario(rtpengine, SCENARIOS[name]) == EXPECTED[name]


@pytest.mark.upstream_differs("several v= sessions in one body (RFC 4566 section 5: one session per "
                              "description) are refused; 10.5 rewrites each")
def test_several_sessions_in_one_body_refused(rtpengine):
    reply = Call(rtpengine).offer(sessions(2002, 999, 1000), {"replace": ["SDP version"]})
    assert reply["result"] == "error" and reply.get("error-reason"), reply


def test_loop_protect_marker_of_another_instance_is_no_loop(rtpengine):
    """An SDP marked by another relay (another a=rtpengine value) is rewritten and marked
    again; only our own marker means a loop (10.5: its instance id)."""
    marked = audio(CALLER, 2000, "0", "a=sendrecv").replace("t=0 0\r\n", "t=0 0\r\na=rtpengine:0123456789ab\r\n")
    reply = assert_ok(Call(rtpengine).offer(marked, {"flags": ["loop-protect"], "ICE": "remove"}))
    parsed = Sdp(reply["sdp"])
    assert parsed.medias[0].port != 2000 and parsed.media_connection() == ("IP4", "127.0.0.1"), reply["sdp"]
    markers = [value for value in parsed.attributes if value.startswith("rtpengine:")]
    assert len(markers) == 2 and markers[0] == "rtpengine:0123456789ab", markers
    looped = assert_ok(Call(rtpengine).offer(reply["sdp"], {"flags": ["loop-protect"], "ICE": "remove"}))
    assert looped["sdp"] == reply["sdp"]


def exchange(sender, destination, packets, receiver, count=None):
    """Sends `packets`; what arrives (parsed), at most `count` (default: as many) within 3 s."""
    for packet in packets:
        sender.rtp.send(packet, destination)
    return [parse_rtp(data) for data, _ in receiver.rtp.receive_all(count or len(packets), 3.0)]


def media_call(rtpengine, scenario):
    """Offer and answer of `scenario` with real peers' ports; (caller, callee, caller's
    destination, callee's destination)."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    call = Call(rtpengine)
    (_, _, offer_options, offer_sdp), (_, _, answer_options, answer_sdp) = SCENARIOS[scenario]
    offer_reply = assert_ok(call.offer(re.sub(r"m=audio \d+", "m=audio %d" % caller.port, offer_sdp), offer_options))
    answer_reply = assert_ok(call.answer(re.sub(r"m=audio \d+", "m=audio %d" % callee.port, answer_sdp),
                                         answer_options))
    return caller, callee, Sdp(answer_reply["sdp"]).media_address(), Sdp(offer_reply["sdp"]).media_address()


def test_two_codecs_relayed_untouched(rtpengine):
    """Without transcoding every packet passes as sent, duplicates and gaps included (gh 664)."""
    caller, callee, to_callee, _ = media_call(rtpengine, "two-codecs-no-transcoding")
    try:
        packets = [build_rtp(sequence, 3000, 0x1234, payload_type, b"\x00" * 160)
                   for payload_type in (0, 8) for sequence in (1000, 1000, 1001, 1010)]
        got = exchange(caller, to_callee, packets, callee)
        assert [(p.payload_type, p.sequence, p.timestamp, p.ssrc) for p in got] == \
            [(payload_type, sequence, 3000, 0x1234) for payload_type in (0, 8) for sequence in (1000, 1000, 1001, 1010)]
    finally:
        caller.close()
        callee.close()


def test_answerers_added_codec_transcoded_for_the_offerer(rtpengine):
    """gh 664: the answerer took the offerer's PCMU and also accepted the PCMA we added; the
    offerer's answer has PCMU only, so the answerer's PCMA packets reach the offerer as PCMU,
    one series of sequence numbers and timestamps with the PCMU it sends, one SSRC (10.5)."""
    caller, callee, _, to_caller = media_call(rtpengine, "one-codec-transcode-pcma")
    try:
        sent = [(0, 2000), (0, 2001), (8, 2002), (8, 2003), (8, 2004), (0, 2005)]
        got = []
        for payload_type, sequence in sent:   # one at a time: the order the transcoder sees
            packet = build_rtp(sequence, 4000 + 160 * (sequence - 2000), 0x5678, payload_type, b"\x00" * 160)
            got += exchange(callee, to_caller, [packet], caller)
        assert [(p.payload_type, p.sequence, p.timestamp) for p in got] == \
            [(0, sequence, 4000 + 160 * (sequence - 2000)) for _, sequence in sent]
        assert len({p.ssrc for p in got}) == 1
        # A-law 0x00 decodes to -5504, mu-law ")" (G.711); mu-law passes as sent
        assert [p.payload for p in got] == [b"\x00" * 160] * 2 + [b")" * 160] * 3 + [b"\x00" * 160]
    finally:
        caller.close()
        callee.close()


def test_ptime_changed_offerer_gets_its_own_back(rtpengine):
    """ptime=30 towards the answerer of a 50 ms offerer, the answerer sending 30 ms: its packets
    reach the offerer as 50 ms ones (the ptime the offerer's answer names), as 10.5."""
    caller, callee, _, to_caller = media_call(rtpengine, "ptime-50-to-30-answer-30")
    try:
        packets = [build_rtp(4000 + i, 5000 + 240 * i, 0x4567, 0, b"\x88" * 240) for i in range(4)]
        got = exchange(callee, to_caller, packets, caller, count=2)
        assert [(p.payload_type, p.sequence, p.timestamp, len(p.payload)) for p in got] == \
            [(0, 4000, 5000, 400), (0, 4001, 5400, 400)]
        assert all(p.payload == b"\x88" * 400 for p in got)
    finally:
        caller.close()
        callee.close()


def test_gh730_events_pass_both_ways(rtpengine):
    """gh 730: Opus and two telephone-events offered, PCMU and the 8 kHz event answered: audio
    and RFC 4733 events pass untouched both ways (payload type, sequence, timestamp, marker)."""
    caller, callee, to_callee, to_caller = media_call(rtpengine, "gh730-opus-fmtp-two-events")
    try:
        for sender, destination, receiver, first, timestamp, ssrc in ((caller, to_callee, callee, 1000, 3000, 0x1234),
                                                                     (callee, to_caller, caller, 4000, 5000, 0x4567)):
            packets = [build_rtp(first, timestamp, ssrc, 0, b"\x88" * 160),
                       build_rtp(first + 1, timestamp + 160, ssrc, 0, b"\x88" * 160),
                       build_rtp(first + 2, timestamp + 320, ssrc, 101, b"\x05\x0a\x00\xa0", marker=True),
                       build_rtp(first + 3, timestamp + 320, ssrc, 101, b"\x05\x0a\x01\x40")]
            got = exchange(sender, destination, packets, receiver)
            assert [(p.payload_type, p.marker, p.sequence, p.timestamp, p.payload) for p in got] == \
                [(p.payload_type, p.marker, p.sequence, p.timestamp, p.payload) for p in map(parse_rtp, packets)]
    finally:
        caller.close()
        callee.close()


def test_pcmu_offerer_pcma_answerer_transcoded(rtpengine):
    """transcode PCMA and telephone-event for a PCMU-only offerer, PCMA answered: mu-law
    silence becomes A-law 0x2a towards the answerer and back, one stream each way (10.5)."""
    caller, callee, to_callee, to_caller = media_call(rtpengine, "pcm-to-rfc-dtmf-with-pcma")
    try:
        for sender, destination, receiver, payload_type, payload, expected_type, expected in (
                (caller, to_callee, callee, 0, b"\x00" * 160, 8, b"\x2a" * 160),
                (callee, to_caller, caller, 8, b"\x2a" * 160, 0, b"\x00" * 160)):
            got = []
            for index in range(2):   # one at a time: the order the transcoder sees
                got += exchange(sender, destination, [build_rtp(1000 + index, 3000 + 160 * index, 0x1234,
                                                                payload_type, payload)], receiver)
            assert [(p.payload_type, p.timestamp, p.payload) for p in got] == \
                [(expected_type, 3000, expected), (expected_type, 3160, expected)]
            assert got[1].sequence == (got[0].sequence + 1) & 0xffff and got[0].ssrc == got[1].ssrc
    finally:
        caller.close()
        callee.close()


def pcmu16000_call(rtpengine, caller, callee):
    """The "DTMF scaling" request: a PCMU/16000 offer with 16 kHz events, transcode PCMA and
    telephone-event/8000, always transcode; answered PCMA with 8 kHz events."""
    offer_sdp = audio(CALLER, caller.port, "100 101", "a=rtpmap:100 PCMU/16000", "a=rtpmap:101 telephone-event/16000",
                      "a=fmtp:101 0-15", "a=sendrecv")
    call = Call(rtpengine)
    offer_reply = assert_ok(call.offer(offer_sdp, dict(ORIGIN, codec={"transcode": ["PCMA", "telephone-event/8000"]},
                                                        flags=["always transcode"])))
    answer_sdp = audio(CALLEE, callee.port, "8 96", "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 telephone-event/8000",
                       "a=fmtp:96 0-15", "a=sendrecv")
    answer_reply = assert_ok(call.answer(answer_sdp, ORIGIN))
    return call, offer_reply["sdp"], answer_reply["sdp"]


def test_pcmu_at_16000_sdp(rtpengine):
    """As 10.5: PCMA and telephone-event/8000 are added (the spec's clock is the added codec's
    anyway); the offerer's answer names its PCMU/16000 and 16 kHz events."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, offer_sdp, answer_sdp = pcmu16000_call(rtpengine, caller, callee)
        codec_lines = lambda text: [line for line in normalise(text) if line.startswith(("m=", "a=rtpmap", "a=fmtp"))]
        assert codec_lines(offer_sdp) == ["m=audio PORT RTP/AVP 100 8 96 101", "a=rtpmap:100 PCMU/16000",
                                          "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15",
                                          "a=rtpmap:101 telephone-event/16000", "a=fmtp:101 0-15"]
        assert codec_lines(answer_sdp) == ["m=audio PORT RTP/AVP 100 101", "a=rtpmap:100 PCMU/16000",
                                           "a=rtpmap:101 telephone-event/16000", "a=fmtp:101 0-15"]
        call.delete()
    finally:
        caller.close()
        callee.close()


def sine(rate, count, index, frequency=1000):
    return struct.pack("<%dh" % count, *[int(8000 * math.sin(2 * math.pi * frequency * (count * index + k) / rate))
                                         for k in range(count)])


def zero_crossing_frequency(pcm, rate):
    samples = struct.unpack("<%dh" % (len(pcm) // 2), pcm)
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    return crossings * rate / 2 / len(samples)


def test_pcmu_at_16000_media(rtpengine):
    """PCMU at a 16 kHz clock (320 samples a frame) <-> PCMA at 8 kHz: a 1 kHz tone stays a 1 kHz
    tone both ways, and RFC 4733 durations are scaled between the two event clocks (320 at
    16 kHz is 160 at 8 kHz), as 10.5 sends them (its timestamps start one frame later: compared
    as steps)."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, offer_sdp, answer_sdp = pcmu16000_call(rtpengine, caller, callee)
        to_callee, to_caller = Sdp(answer_sdp).media_address(), Sdp(offer_sdp).media_address()
        for i in range(4):
            caller.rtp.send(build_rtp(100 + i, 320 * i, 0x1111, 100, audioop.lin2ulaw(sine(16000, 320, i), 2)), to_callee)
            callee.rtp.send(build_rtp(500 + i, 160 * i, 0x2222, 8, audioop.lin2alaw(sine(8000, 160, i), 2)), to_caller)
            time.sleep(0.02)   # paced: 10.5 transcodes in real time
        for k, duration in enumerate((320, 640, 960)):
            end = 0x80 if k == 2 else 0
            caller.rtp.send(build_rtp(104 + k, 1280, 0x1111, 101, bytes([5, end | 10]) + duration.to_bytes(2, "big"),
                                      marker=k == 0), to_callee)
            callee.rtp.send(build_rtp(504 + k, 640, 0x2222, 96, bytes([7, end | 10]) + (duration // 2).to_bytes(2, "big"),
                                      marker=k == 0), to_caller)
            time.sleep(0.02)
        for receiver, audio_type, event_type, rate, decode, step, events in (
                (callee, 8, 96, 8000, audioop.alaw2lin, 160, ["050a00a0", "050a0140", "058a01e0"]),
                (caller, 100, 101, 16000, audioop.ulaw2lin, 320, ["070a0140", "070a0280", "078a03c0"])):
            got = [parse_rtp(data) for data, _ in receiver.rtp.receive_all(6, 3.0)]
            audio_packets = [p for p in got if p.payload_type == audio_type]
            assert len(audio_packets) >= 2 and all(len(p.payload) == step for p in audio_packets), got
            assert (audio_packets[1].timestamp - audio_packets[0].timestamp) & 0xffffffff == step
            assert abs(zero_crossing_frequency(decode(audio_packets[1].payload, 2), rate) - 1000) < 50
            assert [p.payload.hex() for p in got if p.payload_type == event_type] == events
            assert len({p.ssrc for p in got}) == 1
        call.delete()
    finally:
        caller.close()
        callee.close()
