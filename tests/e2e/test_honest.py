"""Honest replies: what the relay lacks is refused with a reason naming the feature when the call
could not work without it, answered ok plus a warning when it can, and ignored only where that
changes nothing (daemon/ng_keys.c has the table, README.md the list)."""

import pytest

from calls import (Call, Sdp, assert_error, assert_ok, establish, make_sdp, media_section,
                   simple_sdp, wait_until)
from rtp import relay_through, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
FINGERPRINT = ("fingerprint:sha-256 " + ":".join(["AB"] * 32))
CRYPTO = "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


def _calls(daemon):
    return assert_ok(daemon.ng({"command": "list"}))["calls"]


def _refused(daemon, reply, *words):
    """An error naming the feature, and no call left behind."""
    assert_error(reply)
    for word in words:
        assert word in reply["error-reason"], reply
    assert "sdp" not in reply
    assert _calls(daemon) == []


# ---------------------------------------------------------------- refused

# DTLS-SRTP used to be refused here; it is terminated now (tests/e2e/test_dtls.py drives real
# handshakes). These keep the ng side honest: accepted, and our own DTLS attributes offered.

def test_dtls_offer_is_accepted(rtpengine):
    sdp = make_sdp(CALLER, media_section(30000, protocol="UDP/TLS/RTP/SAVPF",
                                         attributes=("sendrecv", FINGERPRINT, "setup:actpass")))
    reply = assert_ok(Call(rtpengine).offer(sdp))
    media = Sdp(reply["sdp"]).medias[0]
    assert media.protocol == "UDP/TLS/RTP/SAVPF"
    assert "setup:actpass" in media.attributes
    assert FINGERPRINT not in media.attributes   # ours, not the offerer's
    assert any(a.startswith("fingerprint:sha-256 ") for a in media.attributes)


def test_fingerprint_only_srtp_offer_is_accepted(rtpengine):
    sdp = make_sdp(CALLER, media_section(30000, protocol="RTP/SAVPF",
                                         attributes=("sendrecv", FINGERPRINT)))
    assert_ok(Call(rtpengine).offer(sdp))


def test_dtls_transport_protocol_is_accepted(rtpengine):
    for options in ({"transport-protocol": "UDP/TLS/RTP/SAVPF"},
                    {"flags": ["transport-protocol=UDP/TLS/RTP/SAVPF"]}):
        reply = assert_ok(Call(rtpengine).offer(simple_sdp(CALLER, 30000), options))
        media = Sdp(reply["sdp"]).medias[0]
        assert media.protocol == "UDP/TLS/RTP/SAVPF"
        assert "setup:actpass" in media.attributes


def test_dtls_offer_without_fingerprint_is_refused(rtpengine):
    sdp = make_sdp(CALLER, media_section(30000, protocol="UDP/TLS/RTP/SAVPF",
                                         attributes=("sendrecv", "setup:actpass")))
    reply = Call(rtpengine).offer(sdp)
    assert_error(reply)
    assert "DTLS" in reply["error-reason"]


@pytest.mark.upstream_differs("10.5 answers ok and ignores a transcode codec it cannot encode")
@pytest.mark.parametrize("options, words", [
    ({"codec": {"transcode": ["AMR-WB"]}}, ("transcoding", "AMR-WB")),
    ({"codec": {"mask": ["PCMA"], "transcode": ["iLBC"]}}, ("transcoding", "iLBC")),
], ids=["transcode", "mask-transcode"])
def test_transcoding_is_refused(rtpengine, options, words):
    _refused(rtpengine, Call(rtpengine).offer(simple_sdp(CALLER, 30000), options), *words)


@pytest.mark.upstream_differs("upstream has a T.38 gateway and ignores unknown media-echo modes")
@pytest.mark.parametrize("options, words", [
    ({"T.38": ["force"]}, ("T.38",)),   # on audio: decode acts only on a T.38 offer
    ({"media-echo": "sideways"}, ("media echo",)),
], ids=["t38", "media-echo"])
def test_media_manipulation_is_refused(rtpengine, options, words):
    _refused(rtpengine, Call(rtpengine).offer(simple_sdp(CALLER, 30000), options), *words)


@pytest.mark.upstream_differs("upstream implements these commands")
@pytest.mark.parametrize("command, feature", [
    ("start recording", "recording"), ("stop recording", "recording"),
    ("pause recording", "recording"), ("start forwarding", "recording"),
    ("stop forwarding", "recording"),
])
def test_unimplemented_commands_are_refused_by_name(rtpengine, media_peer, command, feature):
    call = establish(rtpengine, media_peer(CALLER), media_peer(CALLEE)).call
    reply = assert_error(call.command(command, **{"from-tag": call.from_tag}))
    assert reply["error-reason"].startswith(command + ": "), reply
    assert feature in reply["error-reason"]
    assert_ok(call.query())   # the call is untouched


# ---------------------------------------------------------------- served with a warning

@pytest.mark.upstream_differs("upstream records calls (and says nothing when no recording is set up)")
@pytest.mark.parametrize("options", [{"flags": ["record-call"]}, {"record call": "yes"},
                                     {"metadata": "customer=42"}],
                         ids=["flag", "key", "metadata"])
def test_recording_request_is_served_with_a_warning(rtpengine, media_peer, options):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    call = Call(rtpengine)
    offer = assert_ok(call.offer(simple_sdp(CALLER, caller.port), options))
    assert "recording" in offer["warning"]
    answer = assert_ok(call.answer(simple_sdp(CALLEE, callee.port), options))
    assert "recording" in answer["warning"]
    # one WARN line per request, with the call-id
    assert wait_until(lambda: rtpengine.log_text().count("recording (needs --recording-dir) is not supported") >= 2)
    lines = [line for line in rtpengine.log_text().splitlines() if "recording (needs --recording-dir) is not supported" in line]
    assert len(lines) == 2, lines
    assert all(call.call_id in line for line in lines), lines
    # and the call works: SDP through us, media relayed
    offer_sdp, answer_sdp = Sdp(offer["sdp"]), Sdp(answer["sdp"])
    assert offer_sdp.connection == ("IP4", "127.0.0.1")
    assert rtpengine.port_min <= offer_sdp.medias[0].port <= rtpengine.port_max
    packets = rtp_stream(0x1234, 5)
    received = relay_through(caller.rtp, answer_sdp.media_address(), packets, callee.rtp)
    assert [data for data, _ in received] == packets


def test_ptime_is_served_without_warning(rtpengine):
    reply = assert_ok(Call(rtpengine).offer(simple_sdp(CALLER, 30000), {"ptime": 30}))
    assert "warning" not in reply and "a=ptime:30" in reply["sdp"]


@pytest.mark.upstream_differs("upstream documents no-jitter-buffer as turning its jitter buffer off for the call")
def test_no_jitter_buffer_is_served_with_a_warning(rtpengine):
    """The transcoding jitter buffer (--jitter-buffer) cannot be turned off per call: the
    offer is served and the reply says what is not done."""
    reply = assert_ok(Call(rtpengine).offer(simple_sdp(CALLER, 30000), {"flags": ["no-jitter-buffer"]}))
    assert "jitter buffer" in reply.get("warning", "")


def test_record_call_no_is_quietly_accepted(rtpengine):
    reply = assert_ok(Call(rtpengine).offer(simple_sdp(CALLER, 30000), {"record call": "no"}))
    assert "warning" not in reply


# ---------------------------------------------------------------- accepted and ignored

def test_ignored_keys_and_flags_are_accepted(rtpengine, media_peer):
    options = {"supports": ["load limit"], "xmlrpc-callback": "127.0.0.1", "via-branch": "z9hG4bK1",
               "DTLS": "off", "DTLS-fingerprint": "SHA-256", "replace": ["username"],
               "flags": ["unidirectional", "trickle ICE", "no-such-flag"], "no-such-key": "x"}
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(rtpengine, caller, callee, offer_options=options, answer_options=options)
    for sdp in (setup.offer_sdp, setup.answer_sdp):
        assert sdp.connection == ("IP4", "127.0.0.1")
    reply = assert_ok(setup.call.query())
    assert set(reply["tags"]) == {setup.call.from_tag, setup.call.to_tag}


def test_dtls_role_on_a_plain_call_changes_nothing(rtpengine):
    """DTLS=passive only matters for SRTP: a plain RTP call is served as asked (as upstream)."""
    reply = assert_ok(Call(rtpengine).offer(simple_sdp(CALLER, 30000), {"DTLS": "passive"}))
    assert "warning" not in reply
    assert Sdp(reply["sdp"]).medias[0].protocol == "RTP/AVP"
    assert "fingerprint" not in reply["sdp"]


def test_offer_only_codec_options_are_ignored_in_answers(rtpengine, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    call = Call(rtpengine)
    assert_ok(call.offer(simple_sdp(CALLER, caller.port)))
    reply = assert_ok(call.answer(simple_sdp(CALLEE, callee.port), {"codec": {"mask": ["PCMA"]}}))
    assert "warning" not in reply


# ---------------------------------------------------------------- commands

@pytest.mark.parametrize("command", ["PING", "Ping", "OFFER", "Statistics", "no such command"])
def test_command_names_are_case_sensitive(rtpengine, command):
    reply = assert_error(rtpengine.ng({"command": command}))
    assert reply["error-reason"] == "Unrecognized command"
    assert rtpengine.ng({"command": "ping"}) == {"result": "pong"}
