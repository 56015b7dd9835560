"""Every ng command and the reply structure operators' scripts rely on."""

import pytest

from calls import (Call, Sdp, assert_error, assert_ok, establish, simple_sdp, skip_unless_ipv6,
                   wait_until)
from ngclient import bdecode, new_cookie, split_reply

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


def _offer_answer(rtpengine, media_peer):
    return establish(rtpengine, media_peer(CALLER), media_peer(CALLEE))


def test_ping_pong(rtpengine):
    assert rtpengine.ng({"command": "ping"}) == {"result": "pong"}


def test_offer_and_answer_replies_carry_relay_sdp(rtpengine, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    call = Call(rtpengine)
    offer = assert_ok(call.offer(simple_sdp(CALLER, caller.port)))
    answer = assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    for reply in (offer, answer):
        sdp = Sdp(reply["sdp"])
        assert sdp.connection == ("IP4", "127.0.0.1")
        assert rtpengine.port_min <= sdp.medias[0].port <= rtpengine.port_max
        assert sdp.medias[0].port % 2 == 0
        assert sdp.rtcp_address() == ("127.0.0.1", sdp.medias[0].port + 1)
    # each side gets its own relay port
    assert Sdp(offer["sdp"]).medias[0].port != Sdp(answer["sdp"]).medias[0].port


def test_query_reply_structure(rtpengine, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    call_setup = establish(rtpengine, caller, callee)
    reply = assert_ok(call_setup.call.query())
    for key in ("created", "created_us", "last signal", "SSRC", "tags", "totals"):
        assert key in reply, key
    assert isinstance(reply["created"], int) and reply["created"] > 1500000000
    assert 0 <= reply["created_us"] < 1000000
    for protocol in ("RTP", "RTCP"):
        for counter in ("packets", "bytes", "errors"):
            assert reply["totals"][protocol][counter] == 0
    call = call_setup.call
    assert set(reply["tags"]) == {call.from_tag, call.to_tag}
    expectations = {
        # tag: (peer, relay port that peer talks to)
        call.from_tag: (caller, call_setup.caller_sends_to[1]),
        call.to_tag: (callee, call_setup.callee_sends_to[1]),
    }
    for tag, (peer, relay_port) in expectations.items():
        monologue = reply["tags"][tag]
        assert monologue["tag"] == tag
        media = monologue["medias"][0]
        assert media["type"] == "audio" and media["protocol"] == "RTP/AVP"
        assert media["index"] == 1
        rtp_stream, rtcp_stream = media["streams"][:2]
        assert "RTP" in rtp_stream["flags"] and "RTCP" in rtcp_stream["flags"]
        for offset, stream in enumerate((rtp_stream, rtcp_stream)):
            assert stream["local address"] == "127.0.0.1"
            assert stream["local port"] == relay_port + offset
            assert stream["family"] == "IPv4"
            expected_endpoint = {"family": "IPv4", "address": peer.host,
                                 "port": peer.port + offset}
            assert stream["endpoint"] == expected_endpoint
            assert stream["advertised endpoint"] == expected_endpoint
            assert stream["stats"] == {"packets": 0, "bytes": 0, "errors": 0}


def test_list_shows_calls_until_deleted(rtpengine, media_peer):
    first = _offer_answer(rtpengine, media_peer).call
    second = _offer_answer(rtpengine, media_peer).call
    listed = assert_ok(rtpengine.ng({"command": "list"}))["calls"]
    assert sorted(listed) == sorted([first.call_id, second.call_id])
    assert_ok(first.delete())
    assert assert_ok(rtpengine.ng({"command": "list"}))["calls"] == [second.call_id]


def test_delete_returns_final_stats_and_forgets_call(rtpengine, media_peer):
    call = _offer_answer(rtpengine, media_peer).call
    reply = assert_ok(call.delete())
    assert "totals" in reply and "tags" in reply
    assert "warning" not in reply
    assert_error(call.query())
    assert rtpengine.ng({"command": "list"})["calls"] == []


def test_delete_of_unknown_call_is_ok_with_warning(rtpengine):
    reply = assert_ok(rtpengine.ng({"command": "delete", "call-id": "no-such-call",
                                    "from-tag": "nobody"}))
    assert reply.get("warning")


def test_query_and_answer_of_unknown_call_fail(rtpengine):
    assert_error(rtpengine.ng({"command": "query", "call-id": "no-such-call"}))
    assert_error(rtpengine.ng({"command": "answer", "call-id": "no-such-call",
                               "from-tag": "a", "to-tag": "b",
                               "sdp": simple_sdp(CALLEE, 30010)}))


def test_statistics_structure(rtpengine, media_peer):
    call = _offer_answer(rtpengine, media_peer).call
    reply = assert_ok(rtpengine.ng({"command": "statistics"}))
    statistics = reply["statistics"]
    current = statistics["currentstatistics"]
    for key in ("sessionsown", "sessionsforeign", "sessionstotal", "packetrate", "byterate",
                "errorrate"):
        assert key in current, key
    assert current["sessionsown"] == 1 and current["sessionstotal"] == 1
    total = statistics["totalstatistics"]
    for key in ("uptime", "managedsessions", "rejectedsessions", "timeoutsessions",
                "regularterminatedsessions", "forcedterminatedsessions", "relayedpackets",
                "relayedbytes", "relayedpacketerrors", "avgcallduration"):
        assert key in total, key
    control = statistics["controlstatistics"]
    assert control["totalpingcount"] >= 1  # the readiness ping(s)
    assert control["totaloffercount"] == 1 and control["totalanswercount"] == 1
    interface = statistics["interfaces"][0]
    assert interface["address"] == "127.0.0.1"
    ports = interface["ports"]
    assert ports["min"] == rtpengine.port_min and ports["max"] == rtpengine.port_max
    assert ports["totals"] == rtpengine.port_max - rtpengine.port_min + 1
    assert ports["used"] > 0 and ports["used"] + ports["free"] == ports["totals"]

    # finished sessions are counted once the call is gone
    assert_ok(call.delete())
    statistics = rtpengine.ng({"command": "statistics"})["statistics"]
    assert statistics["currentstatistics"]["sessionsown"] == 0
    assert statistics["totalstatistics"]["managedsessions"] == 1
    assert statistics["totalstatistics"]["regularterminatedsessions"] == 1
    # ports may be released a moment after the reply
    assert wait_until(lambda: rtpengine.ng({"command": "statistics"})["statistics"]
                      ["interfaces"][0]["ports"]["used"] == 0, timeout=3)


def test_retransmitted_offer_runs_once(rtpengine):
    """A proxy resending a request under the same cookie gets the cached reply; the
    second datagram is not executed (here it even names another call)."""
    cookie = new_cookie()
    first = rtpengine.ng_cookie(cookie, {"command": "offer", "call-id": "retrans-1",
                                         "from-tag": "a", "sdp": simple_sdp(CALLER, 30000)})
    again = rtpengine.ng_cookie(cookie, {"command": "offer", "call-id": "retrans-2",
                                         "from-tag": "a", "sdp": simple_sdp(CALLER, 30000)})
    assert_ok(first)
    assert again == first
    assert rtpengine.ng({"command": "list"})["calls"] == ["retrans-1"]
    statistics = rtpengine.ng({"command": "statistics"})["statistics"]
    assert statistics["controlstatistics"]["totaloffercount"] == 1


def test_retransmitted_offer_gives_same_ports(rtpengine):
    cookie = new_cookie()
    message = {"command": "offer", "call-id": "same-ports", "from-tag": "a",
               "sdp": simple_sdp(CALLER, 30000)}
    replies = [rtpengine.ng_cookie(cookie, message) for _ in range(3)]
    assert replies[0]["sdp"] == replies[1]["sdp"] == replies[2]["sdp"]


def test_retransmitted_delete_is_not_an_error(rtpengine, media_peer):
    call = _offer_answer(rtpengine, media_peer).call
    cookie = new_cookie()
    message = {"command": "delete", "call-id": call.call_id, "from-tag": call.from_tag}
    first = assert_ok(rtpengine.ng_cookie(cookie, message))
    again = rtpengine.ng_cookie(cookie, message)
    assert again == first
    assert "warning" not in again


def test_pipelined_requests_each_get_their_reply(rtpengine):
    """A proxy with many requests in flight: 40 requests sent without waiting (the daemon
    reads and answers them in batches), every tenth an offer, one offer retransmitted right
    behind itself. Every cookie gets exactly one reply of its own, the retransmission the
    same bytes, and each offer ran once."""
    import socket
    from ngclient import bencode
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.settimeout(5.0)
    try:
        cookies = ["burst-%d-%s" % (i, new_cookie()) for i in range(40)]
        datagrams = [cookie.encode() + b" " + bencode(
            {"command": "offer", "call-id": "burst-%d" % i, "from-tag": "a",
             "sdp": simple_sdp(CALLER, 30000 + 2 * i)} if i % 10 == 0 else {"command": "ping"})
            for i, cookie in enumerate(cookies)]
        datagrams.insert(11, datagrams[10])   # the offer of burst-10, twice
        for datagram in datagrams:
            sock.sendto(datagram, ("127.0.0.1", rtpengine.ng_port))
        replies = {}
        for _ in range(len(datagrams)):
            cookie, body = split_reply(sock.recv(65536))
            replies.setdefault(cookie.decode(), []).append(body)
    finally:
        sock.close()
    assert sorted(replies) == sorted(cookies)
    assert len(replies[cookies[10]]) == 2 and replies[cookies[10]][0] == replies[cookies[10]][1]
    for i, cookie in enumerate(cookies):
        reply = bdecode(replies[cookie][0])
        if i % 10:
            assert reply == {"result": "pong"}
        else:
            assert_ok(reply)
    assert sorted(rtpengine.ng({"command": "list"})["calls"]) == sorted("burst-%d" % i for i in range(0, 40, 10))
    statistics = rtpengine.ng({"command": "statistics"})["statistics"]
    assert statistics["controlstatistics"]["totaloffercount"] == 4


def test_new_cookie_runs_command_again(rtpengine):
    """The cache is keyed by cookie: a fresh cookie is a new request."""
    message = {"command": "offer", "call-id": "fresh-cookie", "from-tag": "a",
               "sdp": simple_sdp(CALLER, 30000)}
    assert_ok(rtpengine.ng(message))
    assert_ok(rtpengine.ng(message))
    statistics = rtpengine.ng({"command": "statistics"})["statistics"]
    assert statistics["controlstatistics"]["totaloffercount"] == 2


def _caller_stream_flags(daemon, options):
    call = Call(daemon)
    assert_ok(call.offer(simple_sdp(CALLER, 30000), options))
    flags = call.query()["tags"][call.from_tag]["medias"][0]["streams"][0]["flags"]
    assert_ok(call.delete())
    return flags


@pytest.mark.parametrize("spelling, query_flag", [
    ("strict-source", "strict source address"), ("strict source", "strict source address"),
    ("media-handover", "media handover"), ("media handover", "media handover")])
def test_flag_spellings_with_dash_or_space(rtpengine, spelling, query_flag):
    """Proxies write flags with dashes or spaces; both mean the same."""
    assert query_flag in _caller_stream_flags(rtpengine, {"flags": [spelling]})


def test_unknown_flag_is_ignored(rtpengine):
    flags = _caller_stream_flags(rtpengine, {"flags": ["no-such-flag-xyz"]})
    assert flags == ["RTP", "filled"]


def test_ng_over_ipv6(rtpengine_factory):
    skip_unless_ipv6()
    daemon = rtpengine_factory(ng_host="::1")
    assert daemon.ng({"command": "ping"}) == {"result": "pong"}
    call = Call(daemon)
    assert_ok(call.offer(simple_sdp(CALLER, 30000)))
    assert daemon.ng({"command": "list"})["calls"] == [call.call_id]


def test_answer_needs_both_tags(rtpengine):
    call = Call(rtpengine)
    assert_ok(call.offer(simple_sdp(CALLER, 30000)))
    without_to_tag = assert_error(rtpengine.ng({
        "command": "answer", "call-id": call.call_id, "from-tag": call.from_tag,
        "sdp": simple_sdp(CALLEE, 30010)}))
    assert "to-tag" in without_to_tag["error-reason"]
    without_from_tag = assert_error(rtpengine.ng({
        "command": "answer", "call-id": call.call_id, "to-tag": call.to_tag,
        "sdp": simple_sdp(CALLEE, 30010)}))
    assert "from-tag" in without_from_tag["error-reason"]


def test_delete_by_call_id_alone_ends_whole_call(rtpengine, media_peer):
    call = _offer_answer(rtpengine, media_peer).call
    assert_ok(rtpengine.ng({"command": "delete", "call-id": call.call_id}))
    assert rtpengine.ng({"command": "list"})["calls"] == []


def test_burst_of_requests_all_answered(rtpengine):
    """100 pings sent back to back (a proxy at startup or failover) each get their reply.
    100 small datagrams fit the default socket buffers on both sides."""
    client = rtpengine.client
    cookies = {("burst-%d" % index).encode() for index in range(100)}
    for cookie in sorted(cookies):
        client.send_raw(cookie + b" d7:command4:pinge")
    answered = set()
    for _ in range(len(cookies)):  # bounded: one receive per request, 3 s each at most
        reply = client.receive_raw(3.0)
        if reply is None:
            break
        cookie, payload = split_reply(reply)
        assert bdecode(payload) == {"result": "pong"}
        answered.add(cookie)
    assert answered == cookies
