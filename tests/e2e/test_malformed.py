"""Malformed control input: error replies with a reason, never a crash."""

import pytest

from calls import Call, assert_error, assert_ok, establish, simple_sdp
from ngclient import BencodeError, bdecode, split_reply
from rtp import relay_through, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
MAX_UDP_PAYLOAD = 65507


def raw_reply(daemon, cookie, payload):
    """Send "<cookie> <payload>" and return the decoded reply dict (asserting the
    cookie is echoed), or None when no reply comes within a second."""
    datagram = cookie + b" " + payload
    assert len(datagram) <= MAX_UDP_PAYLOAD
    reply = daemon.ng_raw(datagram)
    if reply is None:
        return None
    reply_cookie, body = split_reply(reply)
    assert reply_cookie == cookie
    return bdecode(body)


def assert_still_serving(daemon):
    assert daemon.alive(), "daemon died:\n" + daemon.log_text()[-3000:]
    assert daemon.ng({"command": "ping"}) == {"result": "pong"}


@pytest.mark.parametrize("payload", [
    pytest.param(b"garbage", id="garbage"),
    pytest.param(b"\xff\xfe\x00\x01binary", id="binary"),
    pytest.param(b"d7:command4:pi", id="truncated-string"),
    pytest.param(b"d7:command4:ping4:call", id="truncated-dict"),
    pytest.param(b"d7:command99999999999:ping", id="huge-length"),
    pytest.param(b"d999999999999999999999999999:command4:pinge", id="overflowing-length"),
    pytest.param(b"d7:command4:ping3:sdp-1:xe", id="negative-length"),
    pytest.param(b"li1ee", id="list-not-dict"),
    pytest.param(b"i5e", id="integer-not-dict"),
    pytest.param(b"4:ping", id="string-not-dict"),
    pytest.param(b"l" * 60000, id="deep-list-nesting"),
    pytest.param(b"d" * 10000, id="deep-dict-nesting"),
])
def test_invalid_bencode_gets_error_reply(rtpengine, payload):
    reply = raw_reply(rtpengine, b"bad-1", payload)
    assert reply is not None, "no reply to a malformed request with a cookie"
    assert_error(reply)
    assert_still_serving(rtpengine)


def test_empty_payload_gets_error_reply(rtpengine):
    assert_error(raw_reply(rtpengine, b"empty-1", b""))
    assert_still_serving(rtpengine)


@pytest.mark.parametrize("datagram", [b"", b"nocookie", b" d7:command4:pinge"])
def test_datagram_without_cookie_gets_no_reply(rtpengine, datagram):
    assert rtpengine.ng_raw(datagram, timeout=0.5) is None
    assert_still_serving(rtpengine)


@pytest.mark.parametrize("payload", [
    pytest.param(b"d7:command4:ping5:flags" + b"l" * 1000 + b"e" * 1000 + b"e",
                 id="nested-lists-in-dict"),
    pytest.param(b"d7:command4:ping3:sdpi99999999999999999999999999999ee", id="huge-integer"),
    pytest.param(b"d7:command4:ping", id="missing-final-e"),
    pytest.param(b"d7:command4:ping5:flagsl3:abce", id="unterminated-list"),
])
def test_odd_but_survivable_input(rtpengine, payload):
    """Upstream tolerates these (it answers pong); a stricter parser may refuse them,
    but it must answer either way."""
    reply = raw_reply(rtpengine, b"odd-1", payload)
    assert reply is not None
    assert reply.get("result") == "pong" or reply.get("error-reason"), reply
    assert_still_serving(rtpengine)


@pytest.mark.upstream_differs("upstream 10.5 recurses once per nesting level and dies of "
                              "SIGSEGV (stack overflow) at about 30000 levels")
def test_very_deep_nesting_inside_dictionary(rtpengine):
    depth = 30000
    payload = b"d7:command4:ping5:flags" + b"l" * depth + b"e" * depth + b"e"
    reply = raw_reply(rtpengine, b"nest-2", payload)
    assert reply is not None
    assert reply.get("result") == "pong" or reply.get("error-reason"), reply
    assert_still_serving(rtpengine)


@pytest.mark.upstream_differs("upstream 10.5 dies of SIGSEGV on ~30000 unterminated "
                              "nested dictionaries")
def test_very_deep_dictionary_nesting(rtpengine):
    assert_error(raw_reply(rtpengine, b"nest-3", b"d" * 60000))
    assert_still_serving(rtpengine)


@pytest.mark.parametrize("message, reason_word", [
    ({"command": "offer", "from-tag": "a", "sdp": simple_sdp(CALLER, 30000)}, "call-id"),
    ({"command": "offer", "call-id": "x", "sdp": simple_sdp(CALLER, 30000)}, "from-tag"),
    ({"command": "offer", "call-id": "x", "from-tag": "a"}, "SDP"),
    ({"command": "offer", "call-id": "x", "from-tag": "a", "sdp": 5}, "SDP"),
    ({"command": "query", "call-id": 5}, "call-id"),
    ({"command": "bogus"}, "command"),
    ({"command": 5}, "command"),
    ({"no-command": "ping"}, "command"),
])
def test_semantic_errors_have_reason(rtpengine, message, reason_word):
    reply = assert_error(rtpengine.ng(message))
    assert reason_word.lower() in reply["error-reason"].lower()
    assert_still_serving(rtpengine)


@pytest.mark.parametrize("sdp", [
    "garbage",
    "v=0\r\nm=audio xyz RTP/AVP 0\r\n",
    "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 not-an-address\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n",
    "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
    "m=audio 99999999999 RTP/AVP 0\r\n",
    "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio\r\n",
])
def test_bad_sdp_is_rejected(rtpengine, sdp):
    call = Call(rtpengine)
    assert_error(call.offer(sdp))
    assert_still_serving(rtpengine)
    assert call.call_id not in rtpengine.ng({"command": "list"})["calls"]


def test_existing_call_survives_garbage(rtpengine_factory, media_peer):
    daemon = rtpengine_factory("--endpoint-learning=immediate")
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(daemon, caller, callee)
    garbage = [b"x", b"cookie", b"c1 d", b"c2 " + b"l" * 60000, b"c3 d7:command5:offer",
               b"c4 d7:command6:delete7:call-id" + b"9" * 20 + b":x", b"c5 \x00" * 100]
    for datagram in garbage:
        daemon.ng_raw(datagram, timeout=0.2)
    assert_still_serving(daemon)
    assert daemon.ng({"command": "list"})["calls"] == [setup.call.call_id]
    packets = rtp_stream(0x1, 5)
    received = relay_through(caller.rtp, setup.caller_sends_to, packets, callee.rtp)
    assert sorted(data for data, _ in received) == sorted(packets)
    # garbage on the media port is counted, not forwarded, and does not break the call
    caller.rtp.send(b"\x00", setup.caller_sends_to)
    assert_ok(setup.call.query())


def test_reply_is_valid_bencode(rtpengine):
    """The decoder in ngclient is strict; a reply it cannot parse is a bug."""
    reply = rtpengine.ng_raw(b"valid-1 d7:command4:pinge")
    try:
        cookie, body = split_reply(reply)
        assert bdecode(body) == {"result": "pong"}
    except BencodeError as error:
        pytest.fail("reply %r is not bencode: %s" % (reply, error))
