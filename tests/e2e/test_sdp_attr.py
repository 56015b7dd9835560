"""sdp-attr: add, remove and substitute a= lines of the SDP the relay sends
(daemon/sdp_attr_edit.h), as upstream's ng protocol documents them for rtpengine 11 and later.

Measured: Debian's rtpengine 10.5.3.5 does not know sdp-attr. It answers ok, logs "Unknown
dictionary key encountered: 'sdp-attr'" (and "Unknown flag encountered" for sdp-attr-* flags)
and writes the same SDP as without it, for well-formed and malformed values alike
(test_reference_10_5_ignores_sdp_attr keeps that measurement). So every test that checks an
edit is marked upstream_differs; what passes against both: an sdp-attr without edits changes
nothing, and a malformed one leaves the daemon serving calls."""

import os
import re

import pytest

from calls import (Call, assert_error, assert_ok, make_sdp, media_section, simple_sdp,
                   wait_until)
from conftest import REFERENCE_BINARY

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
TEN_FIVE_IGNORES = ("10.5.3.5 does not know sdp-attr: it answers ok and writes the SDP as "
                    "without it (test_reference_10_5_ignores_sdp_attr)")
ICE = ("ice-ufrag:q7Rt", "ice-pwd:Vb3mK9xLp2Qw8ZsN4cHd6FjG",
       "candidate:1 1 UDP 2130706431 127.0.0.2 30000 typ host")


def audio_video_sdp(session_attributes=("tool:probe",)):
    return make_sdp(CALLER, media_section(30000, payload_types=(0, 8)),
                    media_section(30002, payload_types=(96,), kind="video"),
                    session_attributes=session_attributes)


def offered(daemon, options, sdp=None):
    """The relay's offer SDP text for `options`."""
    return assert_ok(Call(daemon).offer(sdp or audio_video_sdp(), options))["sdp"]


def section_lines(text, mask_ports=False):
    """[[lines before the first m=], [first m= section's lines], ...]; mask_ports: the
    relay's ports (m=, a=rtcp) as PORT, for comparing two calls."""
    if mask_ports:
        text = re.sub(r"(m=\w+ |a=rtcp:)\d+", r"\1PORT", text)
    sections = [[]]
    for line in text.split("\r\n"):
        if line.startswith("m="):
            sections.append([])
        if line:
            sections[-1].append(line)
    return sections


# ---------------------------------------------------------------- both daemons

def test_sdp_attr_without_edits_changes_nothing(rtpengine):
    plain = section_lines(offered(rtpengine, {}), mask_ports=True)
    assert section_lines(offered(rtpengine, {"sdp-attr": {"audio": {}, "global": {}}}), mask_ports=True) == plain


@pytest.mark.parametrize("value", [
    "not-a-dictionary",
    {"image": {"add": ["x-one"]}},
    {"audio": {"append": ["x-one"]}},
    {"audio": {"add": "x-one\r\na=injected"}},
    {"audio": {"substitute": [["only-one"]]}},
], ids=["string", "scope", "command", "line-break", "substitute"])
def test_daemon_serves_calls_after_a_malformed_sdp_attr(rtpengine, value):
    reply = Call(rtpengine).offer(simple_sdp(CALLER, 30000), {"sdp-attr": value})
    assert reply.get("result") in ("ok", "error"), reply
    assert "a=injected" not in reply.get("sdp", "")
    assert rtpengine.ng({"command": "ping"})["result"] == "pong"
    call = Call(rtpengine)
    assert_ok(call.offer(simple_sdp(CALLER, 30010)))
    assert_ok(call.answer(simple_sdp(CALLEE, 30020)))


@pytest.mark.skipif(not os.access(REFERENCE_BINARY, os.X_OK), reason="no Debian rtpengine 10.5")
def test_reference_10_5_ignores_sdp_attr(rtpengine_factory):
    reference = rtpengine_factory(binary=REFERENCE_BINARY)
    plain = section_lines(offered(reference, {}), mask_ports=True)
    for options in ({"sdp-attr": {"audio": {"add": ["x-one"], "remove": ["rtcp"]}}},
                    {"flags": ["sdp-attr-add-audio-x-one", "sdp-attr-remove-audio-rtcp"]},
                    {"sdp-attr": "not-a-dictionary"}):
        assert section_lines(offered(reference, options), mask_ports=True) == plain
    assert wait_until(lambda: "Unknown dictionary key encountered: 'sdp-attr'" in reference.log_text())
    assert "Unknown flag encountered: 'sdp-attr-add-audio-x-one'" in reference.log_text()


# ---------------------------------------------------------------- the edits (ours)

@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_add_goes_to_the_end_of_each_scope(rtpengine):
    text = offered(rtpengine, {"sdp-attr": {
        "global": {"add": ["x-session"]}, "none": {"add": ["x-none"]},
        "audio": {"add": ["ptime:20", "x-audio"]}, "video": {"add": ["x-video"]}}})
    session, audio, video = section_lines(text)
    # after every line the relay writes itself (a=rtcp included)
    assert session[-2:] == ["a=x-session", "a=x-none"]
    assert session.index("a=tool:probe") < session.index("a=x-session")
    assert audio[-2:] == ["a=ptime:20", "a=x-audio"]
    assert audio[-3].startswith("a=rtcp:")
    assert video[-1] == "a=x-video" and video[-2].startswith("a=rtcp:")
    assert "a=x-audio" not in video and "a=x-video" not in audio


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_add_does_not_duplicate_a_line(rtpengine):
    _, audio, _ = section_lines(offered(rtpengine, {"sdp-attr": {"audio": {"add": ["sendrecv", "x-one", "x-one"]}}}))
    assert audio.count("a=sendrecv") == 1
    assert audio.count("a=x-one") == 1


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_remove_takes_lines_the_relay_writes(rtpengine):
    sdp = make_sdp(CALLER, media_section(30000, attributes=("sendrecv",) + ICE))
    text = offered(rtpengine, {"ICE": "force", "transport-protocol": "RTP/SAVP",
                               "sdp-attr": {"audio": {"remove": ["rtcp", "candidate", "crypto", "ice-pwd"]}}},
                   sdp)
    _, audio = section_lines(text)
    for name in ("rtcp", "candidate", "crypto", "ice-pwd"):
        assert not any(line.startswith("a=%s:" % name) for line in audio), audio
    assert any(line.startswith("a=ice-ufrag:") for line in audio)   # not asked


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_remove_by_whole_attribute_or_first_word(rtpengine):
    sdp = make_sdp(CALLER, media_section(30000, attributes=(
        "sendrecv", "ssrc:1111 cname:one", "ssrc:1111 msid:a b", "ssrc:2222 cname:two")))
    _, audio = section_lines(offered(rtpengine, {"sdp-attr": {"audio": {"remove": [
        "rtpmap:8 PCMA/8000", "ssrc:1111", "rtpmap:0"]}}}, sdp))
    assert not any(line.startswith("a=rtpmap:") for line in audio), audio
    assert [line for line in audio if line.startswith("a=ssrc:")] == ["a=ssrc:2222 cname:two"]
    # text only: the m= line keeps its payload types
    assert audio[0].endswith("RTP/AVP 0 8")


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_substitute_present_and_absent(rtpengine):
    text = offered(rtpengine, {"sdp-attr": {
        "global": {"substitute": [["tool:probe", "tool:edited"]]},
        "video": {"substitute": [["sendrecv", "sendonly"], ["x-absent", "x-never"]]}}})
    session, audio, video = section_lines(text)
    assert "a=tool:edited" in session and "a=tool:probe" not in session
    assert "a=sendonly" in video and "a=sendrecv" not in video
    assert "a=sendrecv" in audio   # another scope
    assert not any("x-never" in line for line in session + audio + video)
    # in place: the line keeps its position
    plain_video = section_lines(offered(rtpengine, {}))[2]
    assert video.index("a=sendonly") == plain_video.index("a=sendrecv")


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_flags_form_with_escapes(rtpengine):
    text = offered(rtpengine, {"flags": ["sdp-attr-add-audio-fmtp:0..mode--30",
                                         "sdp-attr-remove-audio-rtcp",
                                         "sdp-attr-substitute-none-tool:probe>tool:flag"]})
    session, audio, _ = section_lines(text)
    assert audio[-1] == "a=fmtp:0 mode=30"
    assert not any(line.startswith("a=rtcp:") for line in audio)
    assert "a=tool:flag" in session


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_answer_is_edited_too(rtpengine):
    call = Call(rtpengine)
    assert_ok(call.offer(simple_sdp(CALLER, 30000)))
    reply = assert_ok(call.answer(simple_sdp(CALLEE, 30010), {"sdp-attr": {"audio": {"add": ["x-answer"]}}}))
    assert section_lines(reply["sdp"])[1][-1] == "a=x-answer"


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
@pytest.mark.parametrize("options, words", [
    ({"sdp-attr": "not-a-dictionary"}, "dictionary"),
    ({"sdp-attr": {"image": {"add": ["x-one"]}}}, "scope"),
    ({"sdp-attr": {"audio": {"append": ["x-one"]}}}, "command"),
    ({"sdp-attr": {"audio": {"add": "x-one\r\na=injected"}}}, "line break"),
    ({"sdp-attr": {"audio": {"substitute": [["only-one"]]}}}, "pairs"),
    ({"flags": ["sdp-attr-add-image-x-one"]}, "sdp-attr-add-SCOPE"),
], ids=["string", "scope", "command", "line-break", "substitute", "flag"])
def test_malformed_sdp_attr_is_refused(rtpengine, options, words):
    reply = assert_error(Call(rtpengine).offer(simple_sdp(CALLER, 30000), options))
    assert "sdp-attr" in reply["error-reason"] and words in reply["error-reason"], reply
    assert assert_ok(rtpengine.ng({"command": "list"}))["calls"] == []


@pytest.mark.upstream_differs(TEN_FIVE_IGNORES)
def test_publish_and_subscribe_request_are_edited(rtpengine):
    publish_sdp = make_sdp(CALLER, media_section(30000, attributes=("sendonly",)))
    published = assert_ok(rtpengine.ng({"command": "publish", "call-id": "sdp-attr-pubsub", "from-tag": "pub",
                                        "sdp": publish_sdp,
                                        "sdp-attr": {"audio": {"add": ["x-published"]}}}))
    assert section_lines(published["sdp"])[1][-1] == "a=x-published"
    request = assert_ok(rtpengine.ng({"command": "subscribe request", "call-id": "sdp-attr-pubsub",
                                      "from-tag": "pub", "flags": ["sdp-attr-remove-audio-rtcp",
                                                                   "sdp-attr-add-global-x-subscribed"]}))
    session, audio = section_lines(request["sdp"])
    assert session[-1] == "a=x-subscribed"
    assert not any(line.startswith("a=rtcp:") for line in audio), audio
