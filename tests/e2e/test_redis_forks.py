"""Forked offers across kill -9 with Redis (docs/redis.md): each via-branch side's rtcp-mux
policy (GH 793), a branch delete still waiting for its delete-delay and which side offered
SRTP itself are in the value; a daemon restarted on the same Redis answers the branch with its
own policy, removes the branch when the delay is over and re-offers SRTP to its offerer.
"""

import shutil
import signal

import pytest

from calls import Call, Sdp, assert_ok, make_sdp, media_section
from process import wait_until
from rtp import build_rtcp_rr, parse_rtcp, rtp_stream
from test_forks import (CALLEE_1, CALLEE_2, CALLER, all_ports, audio, forked_call, offer_muxed_to_two_branches,
                        ports_in)
from test_redis import redis_server, standby_of, wait_written  # noqa: F401
from test_srtp import SUITE, new_key

pytestmark = [
    pytest.mark.upstream_differs("our value schema; upstream's Redis layout differs"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed"),
]


def _take_over(factory, active, call):
    active.stop(signal.SIGKILL)
    standby = standby_of(factory, active)
    call.daemon = standby
    assert wait_until(lambda: call.query().get("result") == "ok", 5.0)
    return standby


def _branch_media(value, branch):
    return [media for monologue in value["monologues"] if monologue.get("via_branch") == branch
            for media in monologue["media"]]


@pytest.mark.parametrize("answering, caller_muxed", [("fork-one", True), ("fork-two", False)])
def test_rtcp_mux_policy_of_each_branch_survives_kill_9(rtpengine_factory, redis_server, media_peer,  # noqa: F811
                                                        answering, caller_muxed):
    """As test_forks' GH 793 case, with the answer given to the restarted daemon."""
    active = rtpengine_factory("--redis=%s" % redis_server.url())
    caller, callee = media_peer(CALLER), media_peer(CALLEE_1)
    call = Call(active, from_tag="fork-caller")
    offers = offer_muxed_to_two_branches(call, caller)
    client = redis_server.client()
    try:
        # demux is stored for branch one; offer, the default, is the field's absence
        assert wait_written(client, [call.call_id], lambda value: _branch_media(value, "fork-two")
                            and (_branch_media(value, "fork-one") or [{}])[0].get("branch_rtcp_mux_policy")), \
            client.value(call.call_id)
    finally:
        client.close()
    _take_over(rtpengine_factory, active, call)
    answer = Sdp(assert_ok(call.answer(audio(CALLEE_1, callee.port), {"via-branch": answering, "ICE": "remove"},
                                       to_tag="fork-callee"))["sdp"])
    assert ("rtcp-mux" in answer.medias[0].attributes) == caller_muxed
    callee.rtcp.send(build_rtcp_rr(0x2222), offers[answering].rtcp_address())
    receiving = caller.rtp if caller_muxed else caller.rtcp
    assert [parse_rtcp(data)[0].ssrc for data, _ in receiving.receive_all(1, 2.0)] == [0x2222]
    caller_rtcp = caller.rtp if caller_muxed else caller.rtcp
    caller_rtcp.send(build_rtcp_rr(0x1111), answer.rtcp_address())
    assert [parse_rtcp(data)[0].ssrc for data, _ in callee.rtcp.receive_all(1, 2.0)] == [0x1111]


def test_delayed_branch_delete_survives_kill_9(rtpengine_factory, redis_server, media_peer):  # noqa: F811
    """A via-branch deleted under delete-delay before the kill: the restarted daemon keeps its
    ports until the delay is over, then removes it; the answered branch stays."""
    active = rtpengine_factory("--redis=%s" % redis_server.url(), delete_delay=2)
    caller, callee = media_peer(CALLER), media_peer(CALLEE_2)
    call, offers = forked_call(active, caller, ("fork-one", "fork-two"))
    assert_ok(call.answer(audio(CALLEE_2, callee.port), {"via-branch": "fork-two"}, to_tag="fork-callee-two"))
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    client = redis_server.client()
    try:
        assert wait_written(client, [call.call_id], lambda value: any(
            monologue.get("branch_delete_at_us") for monologue in value["monologues"])), client.value(call.call_id)
    finally:
        client.close()
    _take_over(rtpengine_factory, active, call)
    branch_port = offers["fork-one"].medias[0].port
    assert branch_port in all_ports(assert_ok(call.query()))
    assert wait_until(lambda: branch_port not in all_ports(assert_ok(call.query())), 6.0)
    assert offers["fork-two"].medias[0].port in ports_in(assert_ok(call.query()))["fork-callee-two"]


def test_srtp_the_caller_offered_itself_survives_kill_9(rtpengine_factory, redis_server, media_peer):  # noqa: F811
    """An SDES caller translated to a plain callee (transport-protocol RTP/AVP); after the
    restart the callee's plain re-INVITE reaches the caller with its own SRTP protocol and keys
    again (media->protocol_own, as ng_offer_answer.c keeps it), not as plain RTP."""
    active = rtpengine_factory("--redis=%s" % redis_server.url())
    caller, callee = media_peer(CALLER), media_peer(CALLEE_1)
    call = Call(active)
    offer = make_sdp(CALLER, media_section(caller.port, protocol="RTP/SAVP",
                                           attributes=("sendrecv", "crypto:1 %s inline:%s" % (SUITE, new_key()))))
    assert_ok(call.offer(offer, {"transport-protocol": "RTP/AVP"}))
    assert_ok(call.answer(make_sdp(CALLEE_1, media_section(callee.port))))
    client = redis_server.client()
    try:
        assert wait_written(client, [call.call_id], lambda value: any(
            media.get("protocol_own") and media["protocol"] == "RTP/SAVP"
            for monologue in value["monologues"] for media in monologue["media"])), client.value(call.call_id)
    finally:
        client.close()
    standby = _take_over(rtpengine_factory, active, call)
    reinvite = Call(standby, call.call_id, from_tag=call.to_tag, to_tag=call.from_tag)
    towards_caller = Sdp(assert_ok(reinvite.offer(make_sdp(CALLEE_1, media_section(callee.port))))["sdp"])
    assert towards_caller.medias[0].protocol == "RTP/SAVP"
    assert any(attribute.startswith("crypto:") for attribute in towards_caller.medias[0].attributes)


def _sides(query_reply):
    """query's sides without what a restore starts anew on the live streams (their counters and
    last packet time: the value keeps neither) and the call's age."""
    sides = {}
    for key, side in query_reply["tags"].items():
        side = dict(side)
        ended = key.startswith("<untagged") and "local port" not in side["medias"][0]["streams"][0]
        for media in side["medias"]:
            for stream in media["streams"]:
                if not ended:
                    stream.pop("stats", None)
                    stream.pop("last packet", None)
        sides[key] = side
    return sides


@pytest.mark.upstream_differs("10.5 (measured in this scenario) lists the ended branch after its restore with "
                               "its counters, but with 0.0.0.0:0 endpoints, no SSRC, and a new offer on its "
                               "via-branch then makes no new side")
def test_an_ended_branch_is_still_listed_after_kill_9(rtpengine_factory, redis_server, media_peer):  # noqa: F811
    """As test_forks' ended-branch query: a branch a delete ended is listed under its
    "<untagged N>" key with its counters, without ports, before the kill and after the restart
    the same; the sides made after it keep their numbers, and a new offer on its via-branch
    gets the next one."""
    active = rtpengine_factory("--redis=%s" % redis_server.url())
    caller, callee, ringing = media_peer(CALLER), media_peer(CALLEE_2), media_peer(CALLEE_1)
    call, offers = forked_call(active, caller, ("fork-one", "fork-two", "fork-three"))
    assert_ok(call.answer(audio(CALLEE_2, callee.port), {"via-branch": "fork-two"}, to_tag="fork-callee-two"))
    # fork-one's callee sends before its branch ends: its counters are kept
    ringing.rtp.send(rtp_stream(0x3131, 1)[0], offers["fork-one"].media_address())
    assert wait_until(lambda: assert_ok(call.query())["tags"]["<untagged 1>"]["medias"][0]["streams"][0]
                      ["stats"]["packets"] == 1, 2.0)
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    before = _sides(assert_ok(call.query()))
    assert set(before) == {"fork-caller", "<untagged 1>", "fork-callee-two", "<untagged 3>"}
    assert before["<untagged 1>"]["medias"][0]["streams"][0]["stats"]["packets"] == 1
    client = redis_server.client()
    try:
        assert wait_written(client, [call.call_id], lambda value: value.get("ended_branches")), \
            client.value(call.call_id)
    finally:
        client.close()
    _take_over(rtpengine_factory, active, call)
    after = _sides(assert_ok(call.query()))
    assert after == before
    offers["again"] = Sdp(assert_ok(call.offer(audio(CALLER, caller.port), {"via-branch": "fork-one"}))["sdp"])
    tags = assert_ok(call.query())["tags"]
    assert set(tags) == {"fork-caller", "<untagged 1>", "fork-callee-two", "<untagged 3>", "<untagged 4>"}
    assert tags["<untagged 4>"]["medias"][0]["streams"][0]["local port"] == offers["again"].medias[0].port
