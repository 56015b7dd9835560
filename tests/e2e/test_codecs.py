"""Codec negotiation without transcoding: the ng `codec` dictionary, codec-* flags,
single-codec, ptime and ptime-reverse. The expected codec lines are what Debian's rtpengine
10.5 sends for the same requests (run this file with RTPENGINE_BINARY=/usr/bin/rtpengine to
check them against it)."""

import pytest

from calls import Call, Sdp, assert_error, assert_ok, establish
from rtp import relay_through, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"

OFFER = ("v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
         "m=audio {port} RTP/AVP 0 8 9 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
         "a=fmtp:96 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
         "a=ptime:20\r\n")
ANSWER = ("v=0\r\no=- 2 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
          "m=audio {port} RTP/AVP {formats}\r\na=rtpmap:101 telephone-event/8000\r\n"
          "a=fmtp:101 0-16\r\n{extra}")

CODEC_LINES = {
    "0": ["a=rtpmap:0 PCMU/8000"], "8": ["a=rtpmap:8 PCMA/8000"], "9": ["a=rtpmap:9 G722/8000"],
    "96": ["a=rtpmap:96 opus/48000/2", "a=fmtp:96 useinbandfec=1"],
    "101": ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"],
}


def offer_text(port=30000):
    return OFFER.format(address=CALLER, port=port)


def answer_text(formats="8 101", port=30010, extra=""):
    return ANSWER.format(address=CALLEE, port=port, formats=formats, extra=extra)


def codec_lines(sdp_text):
    """The m= formats and the codec block and ptime, in order (ports left out)."""
    lines = []
    for line in sdp_text.splitlines():
        if line.startswith("m="):
            lines.append("formats:" + " ".join(line.split(" ")[3:]))
        elif line.startswith(("a=rtpmap:", "a=fmtp:", "a=ptime:")):
            lines.append(line)
    return lines


def expected(formats, ptime="20"):
    lines = ["formats:" + formats]
    for payload_type in formats.split():
        lines += CODEC_LINES[payload_type]
    if ptime:
        lines.append("a=ptime:" + ptime)
    return lines


def offer_answer(rtpengine, offer_options, answer_options=None, answer=None):
    call = Call(rtpengine)
    offered = assert_ok(call.offer(offer_text(), offer_options))
    answered = assert_ok(call.answer(answer or answer_text(), answer_options or {}))
    return codec_lines(offered["sdp"]), codec_lines(answered["sdp"])


@pytest.mark.parametrize("options, offer_formats, answer_formats", [
    ({}, "0 8 9 96 101", "8 101"),
    ({"codec": {"strip": ["PCMU"]}}, "8 9 96 101", "8 101"),
    ({"flags": ["codec-strip-PCMU"]}, "8 9 96 101", "8 101"),
    ({"codec": {"strip": ["opus/48000/2"]}}, "0 8 9 101", "8 101"),
    ({"codec": {"strip": ["opus/48000"]}}, "0 8 9 96 101", "8 101"),
    ({"codec": {"strip": ["all"], "except": ["PCMA"]}}, "8", "8"),
    ({"flags": ["codec-strip-all", "codec-except-PCMA"]}, "8", "8"),
    ({"codec": {"strip": ["all"], "offer": ["PCMA"]}}, "8", "8"),
    ({"codec": {"strip": ["all"]}}, "0 8 9 96 101", "8 101"),
    ({"codec": {"strip": ["telephone-event"]}}, "0 8 9 96", "8"),
    ({"codec": {"mask": ["G722"]}}, "0 8 96 101", "8 101"),
    ({"codec": {"mask": ["all"], "except": ["PCMA"]}}, "8", "8"),
    ({"codec": {"transcode": ["PCMA"]}}, "0 8 9 96 101", "8 101"),
    ({"codec": {"offer": ["G729"]}}, "0 8 9 96 101", "8 101"),
    ({"codec": {"accept": ["PCMA"], "set": ["opus/48000/2/useinbandfec=0"], "ignore": ["PCMU"]}},
     "0 8 9 96 101", "8 101"),
], ids=["none", "strip", "strip-flag", "strip-full-name", "strip-wrong-channels", "strip-all-except",
        "strip-all-except-flags", "strip-all-offer", "strip-all-alone", "strip-dtmf", "mask",
        "mask-all-except", "transcode-present", "offer-absent", "accept-set-ignore"])
def test_codec_options_as_10_5(rtpengine, options, offer_formats, answer_formats):
    offered, answered = offer_answer(rtpengine, options)
    assert offered == expected(offer_formats)
    assert answered == expected(answer_formats)


def test_consume_keeps_the_consumed_codec_through_the_engine(rtpengine):
    """As 10.5: the consumed codec is masked from the answerer and the offerer keeps it, the
    answer's codec transcoded to it (codec_gaps: consume)."""
    offered, answered = offer_answer(rtpengine, {"codec": {"consume": ["opus"]}})
    assert offered == expected("0 8 9 101")
    assert answered == expected("96 101")


def test_offer_order_follows_the_offer_list(rtpengine):
    offered, answered = offer_answer(rtpengine, {"codec": {"strip": ["all"], "offer": ["PCMA", "PCMU"]}},
                                     answer=answer_text("8 0"))
    assert offered == expected("8 0")
    assert answered == expected("8 0")


def test_single_codec_keeps_the_first_codec_and_dtmf(rtpengine):
    _, answered = offer_answer(rtpengine, {}, {"flags": ["single-codec"]}, answer_text("0 8 101"))
    assert answered == expected("0 101")


def test_reorder_codecs_changes_nothing_without_transcoding(rtpengine):
    _, answered = offer_answer(rtpengine, {}, {"flags": ["reorder-codecs"]}, answer_text("8 0 101"))
    assert answered == expected("8 0 101")


def test_answer_is_held_to_the_offered_payload_types(rtpengine):
    """The answerer's PT 97 was never offered (RFC 3264 section 6.1)."""
    _, answered = offer_answer(rtpengine, {}, {}, answer_text("97 8 101", extra="a=rtpmap:97 opus/48000/2\r\n"))
    assert answered == expected("8 101")


@pytest.mark.parametrize("offer_options, answer_extra, offer_ptime, answer_ptime", [
    ({"ptime": 30}, "", "30", "20"),
    ({"ptime-reverse": 30}, "", "20", "30"),
    ({}, "a=ptime:30\r\n", "20", "30"),
    ({"ptime-reverse": 40}, "a=ptime:30\r\n", "20", "40"),
], ids=["ptime", "ptime-reverse", "answer-own", "reverse-over-own"])
def test_ptime_as_10_5(rtpengine, offer_options, answer_extra, offer_ptime, answer_ptime):
    offered, answered = offer_answer(rtpengine, offer_options, {}, answer_text(extra=answer_extra))
    assert offered == expected("0 8 9 96 101", offer_ptime)
    assert answered == expected("8 101", answer_ptime)


def test_ptime_in_an_answer_request_changes_nothing(rtpengine):
    _, answered = offer_answer(rtpengine, {}, {"ptime": 40})
    assert answered == expected("8 101", "20")


@pytest.mark.upstream_differs("10.5 transcodes to a codec the offer lacks")
@pytest.mark.parametrize("options, words", [
    ({"codec": {"transcode": ["iLBC"]}}, ("transcoding", "iLBC")),
    ({"flags": ["transcode-iLBC"]}, ("transcoding", "iLBC")),
], ids=["transcode", "transcode-flag"])
def test_transcoding_is_refused_with_the_reason(rtpengine, options, words):
    call = Call(rtpengine)
    reply = assert_error(call.offer(offer_text(), options))
    for word in words:
        assert word in reply["error-reason"]
    # refused before anything was set up: no call is left behind
    assert_error(call.query())


def test_media_flows_on_the_negotiated_codec(rtpengine, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(rtpengine, caller, callee, offer_options={"codec": {"strip": ["all"], "except": ["PCMA"]}},
                      offer_sdp=offer_text(caller.port), answer_sdp=answer_text("8", callee.port))
    assert setup.offer_sdp.medias[0].formats == ["8"]
    assert setup.answer_sdp.medias[0].formats == ["8"]
    packets = rtp_stream(0x1234, 5, payload_type=8)
    received = relay_through(caller.rtp, setup.caller_sends_to, packets, callee.rtp)
    assert [data for data, _ in received] == packets
    back = rtp_stream(0x4321, 5, payload_type=8)
    received = [data for data, _ in relay_through(callee.rtp, setup.callee_sends_to, back, caller.rtp)]
    # 10.5 may drop the very first packet of this direction while it learns the callee
    assert len(received) >= 4 and received == back[len(back) - len(received):]
