"""Forked offers told apart by via-branch (RFC 3261 section 16.6: a forking proxy sends one
INVITE on several branches, each with its own Via branch), compared with Debian's 10.5: each
branch gets an answering side with its own ports, an answer names its branch, and a delete with
from-tag and via-branch ends that branch only (ng_offer_answer.c offer_branch(), ng_query.c
delete_via_branch()). Media is checked on the branch that stays."""

import pytest

from calls import Call, Sdp, assert_ok, make_sdp, media_section, wait_until
from rtp import build_rtp, build_rtcp_rr, parse_rtp, parse_rtcp

CALLER = "127.0.0.2"
CALLEE_1 = "127.0.0.3"
CALLEE_2 = "127.0.0.4"


def audio(address, port, *attributes):
    return make_sdp(address, media_section(port, payload_types=(0,), attributes=attributes + ("sendrecv",)))


def ports_in(query_reply):
    """Every local port the query reply lists, by side key."""
    return {key: {stream.get("local port") for media in side.get("medias", ())
                  for stream in media.get("streams", ()) if stream.get("local port")}
            for key, side in query_reply["tags"].items()}


def all_ports(query_reply):
    return set().union(*ports_in(query_reply).values())


def forked_call(rtpengine, caller, branches, offer_options=None):
    """One offer per via-branch of `branches` from the same from-tag; their replies' SDPs."""
    call = Call(rtpengine, from_tag="fork-caller")
    offers = {}
    for branch in branches:
        options = dict(offer_options or {}, **{"via-branch": branch})
        offers[branch] = Sdp(assert_ok(call.offer(audio(CALLER, caller.port), options))["sdp"])
    return call, offers


def exchange_rtp(caller, caller_sends_to, callee, callee_sends_to, count=3):
    """RTP both ways; the packets each side received, parsed."""
    for i in range(count):
        caller.rtp.send(build_rtp(100 + i, 1000 + 160 * i, 0x1111), caller_sends_to)
        callee.rtp.send(build_rtp(500 + i, 9000 + 160 * i, 0x2222), callee_sends_to)
    to_callee = [parse_rtp(data) for data, _ in callee.rtp.receive_all(count, 2.0)]
    to_caller = [parse_rtp(data) for data, _ in caller.rtp.receive_all(count, 2.0)]
    return to_callee, to_caller


def test_each_via_branch_gets_its_own_side(rtpengine, media_peer):
    """Two branches: two untagged sides with their own ports and via-branch; the offerer's
    side keeps its ports; a repeated offer on a branch goes to that branch's side again."""
    caller = media_peer(CALLER)
    call, offers = forked_call(rtpengine, caller, ("fork-one", "fork-two"))
    assert offers["fork-one"].medias[0].port != offers["fork-two"].medias[0].port
    query = assert_ok(call.query())
    branches = {side.get("via-branch"): ports for key, ports in ports_in(query).items()
                for side in [query["tags"][key]] if key != "fork-caller"}
    assert set(branches) == {"fork-one", "fork-two"}
    assert offers["fork-one"].medias[0].port in branches["fork-one"]
    assert offers["fork-two"].medias[0].port in branches["fork-two"]
    caller_ports = ports_in(query)["fork-caller"]
    again = Sdp(assert_ok(call.offer(audio(CALLER, caller.port), {"via-branch": "fork-one"}))["sdp"])
    assert again.medias[0].port == offers["fork-one"].medias[0].port
    assert ports_in(assert_ok(call.query()))["fork-caller"] == caller_ports


def test_delete_of_an_unanswered_branch_keeps_the_answered_one(rtpengine, media_peer):
    """Branch one rings, branch two answers; deleting branch one gives its ports back and the
    call, its query and list entry, and branch two's media both ways stay."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE_2)
    call, offers = forked_call(rtpengine, caller, ("fork-one", "fork-two"))
    answer = Sdp(assert_ok(call.answer(audio(CALLEE_2, callee.port), {"via-branch": "fork-two"},
                                       to_tag="fork-callee-two"))["sdp"])
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    query = assert_ok(call.query())
    assert call.call_id in assert_ok(rtpengine.ng({"command": "list"}))["calls"]
    assert offers["fork-one"].medias[0].port not in all_ports(query)
    assert offers["fork-two"].medias[0].port in ports_in(query)["fork-callee-two"]
    to_callee, to_caller = exchange_rtp(caller, answer.media_address(), callee, offers["fork-two"].media_address())
    # each side gets the other's packets (10.5 may drop one while it learns a source, or
    # reorder two)
    for got, sent in ((to_callee, {100, 101, 102}), (to_caller, {500, 501, 502})):
        sequences = [packet.sequence for packet in got]
        assert len(sequences) >= 2 and len(set(sequences)) == len(sequences) and set(sequences) <= sent


def test_delete_of_the_answered_branch_keeps_the_call(rtpengine, media_peer):
    """10.5 keeps the call while another branch of the offer is left, answered or not."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE_2)
    call, offers = forked_call(rtpengine, caller, ("fork-one", "fork-two"))
    assert_ok(call.answer(audio(CALLEE_2, callee.port), {"via-branch": "fork-two"}, to_tag="fork-callee-two"))
    assert_ok(call.command("delete", {"via-branch": "fork-two"}, **{"from-tag": "fork-caller"}))
    query = assert_ok(call.query())
    assert offers["fork-two"].medias[0].port not in all_ports(query)
    assert offers["fork-one"].medias[0].port in all_ports(query)


def test_delete_of_a_branch_waits_for_delete_delay(rtpengine_factory, media_peer):
    """Under delete-delay the branch's ports stay until the delay is over (as 10.5), then go;
    the call and the answered branch stay."""
    rtpengine = rtpengine_factory(delete_delay=1)
    caller, callee = media_peer(CALLER), media_peer(CALLEE_2)
    call, offers = forked_call(rtpengine, caller, ("fork-one", "fork-two"))
    assert_ok(call.answer(audio(CALLEE_2, callee.port), {"via-branch": "fork-two"}, to_tag="fork-callee-two"))
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    branch_port = offers["fork-one"].medias[0].port
    assert branch_port in all_ports(assert_ok(call.query()))
    assert wait_until(lambda: branch_port not in all_ports(assert_ok(call.query())), 6.0)
    assert offers["fork-two"].medias[0].port in ports_in(assert_ok(call.query()))["fork-callee-two"]


def test_delete_of_the_only_branch_ends_the_call(rtpengine, media_peer):
    caller = media_peer(CALLER)
    call, _ = forked_call(rtpengine, caller, ("fork-one",))
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    assert call.query().get("result") == "error"
    assert call.call_id not in assert_ok(rtpengine.ng({"command": "list"}))["calls"]


def test_query_lists_an_ended_branch_without_ports(rtpengine, media_peer):
    """As 10.5: a branch a delete ended stays in query (and the call in list) under its
    "<untagged N>" key, its streams without local address, family and port; the other sides
    keep their numbers, and a new offer on the ended via-branch gets a new side and number."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE_2)
    call, offers = forked_call(rtpengine, caller, ("fork-one", "fork-two", "fork-three"))
    assert_ok(call.answer(audio(CALLEE_2, callee.port), {"via-branch": "fork-two"}, to_tag="fork-callee-two"))
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    tags = assert_ok(call.query())["tags"]
    assert set(tags) == {"fork-caller", "<untagged 1>", "fork-callee-two", "<untagged 3>"}
    ended, ringing = tags["<untagged 1>"], tags["<untagged 3>"]
    assert (ended["tag"], ended["via-branch"]) == ("", "fork-one")
    assert ringing["via-branch"] == "fork-three"
    for stream in ended["medias"][0]["streams"]:
        assert not {"local address", "family", "local port"} & set(stream), stream
        assert stream["stats"]["packets"] == 0
    # an unanswered branch's media is not initialised (no SDP from it), ended or ringing
    assert "initialized" not in ended["medias"][0]["flags"]
    assert "initialized" not in ringing["medias"][0]["flags"]
    assert [stream["local port"] for stream in ringing["medias"][0]["streams"]] == \
        [offers["fork-three"].medias[0].port, offers["fork-three"].medias[0].port + 1]
    assert call.call_id in assert_ok(rtpengine.ng({"command": "list"}))["calls"]

    # the answered branch ended too: listed with the address its SDP gave, without ports
    assert_ok(call.command("delete", {"via-branch": "fork-two"}, **{"from-tag": "fork-caller"}))
    answered = assert_ok(call.query())["tags"]["fork-callee-two"]
    assert "initialized" in answered["medias"][0]["flags"]
    for stream in answered["medias"][0]["streams"]:
        assert "local port" not in stream and stream["endpoint"]["address"] == CALLEE_2

    offers["again"] = Sdp(assert_ok(call.offer(audio(CALLER, caller.port), {"via-branch": "fork-one"}))["sdp"])
    tags = assert_ok(call.query())["tags"]
    assert set(tags) == {"fork-caller", "<untagged 1>", "fork-callee-two", "<untagged 3>", "<untagged 4>"}
    assert tags["<untagged 4>"]["via-branch"] == "fork-one"
    assert tags["<untagged 4>"]["medias"][0]["streams"][0]["local port"] == offers["again"].medias[0].port
    assert "local port" not in tags["<untagged 1>"]["medias"][0]["streams"][0]


def test_delete_of_an_ended_branch_ends_the_call(rtpengine, media_peer):
    """10.5: a via-branch already ended matches no branch any more, so a second delete with it
    is a delete of the from-tag's dialogue, which ends the call."""
    caller = media_peer(CALLER)
    call, _ = forked_call(rtpengine, caller, ("fork-one", "fork-two", "fork-three"))
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    assert_ok(call.query())
    assert_ok(call.command("delete", {"via-branch": "fork-one"}, **{"from-tag": "fork-caller"}))
    assert call.query().get("result") == "error"


def test_the_latest_answered_branch_gets_the_callers_media(rtpengine, media_peer):
    """Both branches answer (RFC 3261 section 13.2.2.4: a forked INVITE can get two 2xx): as
    10.5, the caller's media goes to the branch that answered last (a new answer from the
    other branch turns it back), and both callees' media reach the caller from the port that
    answer gave it. (10.5 also gives the caller a port pair per branch, see docs/sdp.md.)"""
    caller, callee_1, callee_2 = media_peer(CALLER), media_peer(CALLEE_1), media_peer(CALLEE_2)
    call, offers = forked_call(rtpengine, caller, ("fork-one", "fork-two"))
    callees = {"fork-one": (callee_1, "fork-callee-one"), "fork-two": (callee_2, "fork-callee-two")}
    for sequence, branch in enumerate(("fork-one", "fork-two", "fork-one")):
        callee, tag = callees[branch]
        answer = Sdp(assert_ok(call.answer(audio(callee.host, callee.port), {"via-branch": branch}, to_tag=tag))["sdp"])
        ssrc = 0x1000 + sequence
        caller.rtp.send(build_rtp(100 + sequence, 160, ssrc), answer.media_address())
        got = callee.rtp.receive_all(1, 2.0)
        assert [parse_rtp(data).ssrc for data, _ in got] == [ssrc], branch
        for other, _ in callees.values():
            if other is not callee:
                assert other.rtp.receive(0.2) is None, "the other branch got the caller's media"
        for index, (peer, _) in enumerate(callees.values()):
            peer.rtp.send(build_rtp(200 + index, 160, 0x2000 + index), offers[list(callees)[index]].media_address())
            got = caller.rtp.receive_all(1, 2.0)
            assert [(parse_rtp(data).ssrc, source) for data, source in got] == \
                [(0x2000 + index, answer.media_address())]


def offer_muxed_to_two_branches(call, caller):
    """GH 793's offers: the caller's rtcp-mux demuxed towards branch "fork-one" and offered on to
    "fork-two"; the SDP each branch got, by branch."""
    offers = {}
    for branch, policy in (("fork-one", "demux"), ("fork-two", "offer")):
        reply = call.offer(audio(CALLER, caller.port, "rtcp-mux"),
                           {"via-branch": branch, "ICE": "remove", "rtcp-mux": [policy]})
        offers[branch] = Sdp(assert_ok(reply)["sdp"])
    return offers


@pytest.mark.parametrize("answering, caller_muxed", [("fork-one", True), ("fork-two", False)])
def test_rtcp_mux_policy_of_the_answering_branch(rtpengine, media_peer, answering, caller_muxed):
    """GH 793: the offerer's rtcp-mux, demuxed towards branch one (and so accepted for the
    offerer) and offered on to branch two; the branch that answers without rtcp-mux decides
    whether the offerer gets it, and RTCP goes where that answer says."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE_1)
    call = Call(rtpengine, from_tag="fork-caller")
    offers = offer_muxed_to_two_branches(call, caller)
    answer = Sdp(assert_ok(call.answer(audio(CALLEE_1, callee.port), {"via-branch": answering, "ICE": "remove"},
                                       to_tag="fork-callee"))["sdp"])
    assert ("rtcp-mux" in answer.medias[0].attributes) == caller_muxed
    # the callee's RTCP reaches the caller on its RTP port when multiplexed, else on port + 1
    callee.rtcp.send(build_rtcp_rr(0x2222), offers[answering].rtcp_address())
    receiving = caller.rtp if caller_muxed else caller.rtcp
    got = receiving.receive_all(1, 2.0)
    assert [parse_rtcp(data)[0].ssrc for data, _ in got] == [0x2222]
    # and the caller's, sent where the answer says, reaches the callee's RTCP port
    caller_rtcp = caller.rtp if caller_muxed else caller.rtcp
    caller_rtcp.send(build_rtcp_rr(0x1111), answer.rtcp_address())
    assert [parse_rtcp(data)[0].ssrc for data, _ in callee.rtcp.receive_all(1, 2.0)] == [0x1111]

