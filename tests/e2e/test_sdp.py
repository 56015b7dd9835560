"""SDP rewriting and the signalling flags that change it."""

import pytest

from conftest import IS_UPSTREAM

from calls import (Call, Sdp, assert_ok, attribute_values, direction, has_attribute,
                   make_sdp, media_section, simple_sdp, skip_unless_ipv6)

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
RELAY = "127.0.0.1"
MUX = ("sendrecv", "rtcp-mux")
ICE = ("sendrecv", "ice-ufrag:abcd", "ice-pwd:abcdefghijklmnopqrstuvwx",
       "candidate:1 1 UDP 2130706431 127.0.0.2 30000 typ host")


def offer_sdp(rtpengine, sdp=None, options=None, call=None):
    call = call or Call(rtpengine)
    return Sdp(assert_ok(call.offer(sdp or simple_sdp(CALLER, 30000), options))["sdp"])


def offer_answer_sdp(rtpengine, offer=None, answer=None, offer_options=None,
                     answer_options=None):
    call = Call(rtpengine)
    offered = offer_sdp(rtpengine, offer, offer_options, call)
    answered = Sdp(assert_ok(call.answer(answer or simple_sdp(CALLEE, 30010),
                                         answer_options))["sdp"])
    return offered, answered


# ---------------------------------------------------------------- addresses and ports

def test_relay_address_replaces_connection_but_not_origin(rtpengine):
    sdp = offer_sdp(rtpengine)
    assert sdp.connection == ("IP4", RELAY)
    assert sdp.origin == ("IP4", CALLER)
    assert rtpengine.port_min <= sdp.medias[0].port <= rtpengine.port_max
    assert attribute_values(sdp.medias[0].attributes, "rtcp") == [str(sdp.medias[0].port + 1)]


def test_media_level_connection_is_replaced(rtpengine):
    sdp = offer_sdp(rtpengine, make_sdp(CALLER, media_section(30000, connection=CALLER),
                                        session_connection=False))
    assert sdp.media_connection() == ("IP4", RELAY)
    assert CALLER not in sdp.text.split("o=")[1].split("\n", 1)[1]


def test_codecs_and_direction_pass_through(rtpengine):
    sdp = offer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=("sendonly",)))
    media = sdp.medias[0]
    assert media.formats == ["0", "8"]
    assert "rtpmap:0 PCMU/8000" in media.attributes
    assert direction(media.attributes) == "sendonly"


def test_replace_origin_and_session_connection(rtpengine):
    sdp = offer_sdp(rtpengine, options={"replace": ["origin", "session-connection"]})
    assert sdp.origin == ("IP4", RELAY)
    assert sdp.connection == ("IP4", RELAY)


def test_reoffer_keeps_ports(rtpengine):
    call = Call(rtpengine)
    first = offer_sdp(rtpengine, call=call)
    again = offer_sdp(rtpengine, call=call)
    assert again.medias[0].port == first.medias[0].port
    answer = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, 30010)))["sdp"])
    reoffer = offer_sdp(rtpengine, call=call)
    assert reoffer.medias[0].port == first.medias[0].port
    reanswer = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, 30010)))["sdp"])
    assert reanswer.medias[0].port == answer.medias[0].port


def test_port_latching_keeps_ports_when_peer_moves(rtpengine):
    call = Call(rtpengine)
    options = {"flags": ["port-latching"]}
    first = offer_sdp(rtpengine, simple_sdp(CALLER, 30000), options, call)
    moved = offer_sdp(rtpengine, simple_sdp("127.0.0.5", 30100), options, call)
    assert moved.medias[0].port == first.medias[0].port


def test_forked_call_two_answers(rtpengine):
    """One offer, two provisional answers from forks with different to-tags."""
    call = Call(rtpengine)
    offered = offer_sdp(rtpengine, call=call)
    first = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, 30010), to_tag="fork-1"))["sdp"])
    second = Sdp(assert_ok(call.answer(simple_sdp("127.0.0.4", 30020),
                                       to_tag="fork-2"))["sdp"])
    assert first.connection == second.connection == ("IP4", RELAY)
    tags = assert_ok(call.query())["tags"]
    assert {"fork-1", "fork-2", call.from_tag} <= set(tags)
    ports = {tag: tags[tag]["medias"][0]["streams"][0]["local port"]
             for tag in ("fork-1", "fork-2")}
    assert ports["fork-1"] != ports["fork-2"]
    assert offered.medias[0].port in ports.values()
    # the caller is told to send to the relay port that belongs to the latest answer
    caller_streams = tags[call.from_tag]["medias"][0]["streams"]
    assert caller_streams[0]["local port"] == second.medias[0].port
    endpoint = tags["fork-2"]["medias"][0]["streams"][0]["endpoint"]
    assert (endpoint["address"], endpoint["port"]) == ("127.0.0.4", 30020)


def test_rejected_media_stays_rejected(rtpengine):
    offer = make_sdp(CALLER, media_section(30000),
                     media_section(0, kind="video", payload_types=(96,)))
    answer = make_sdp(CALLEE, media_section(30010),
                      media_section(0, kind="video", payload_types=(96,)))
    offered, answered = offer_answer_sdp(rtpengine, offer, answer)
    for sdp in (offered, answered):
        assert [media.kind for media in sdp.medias] == ["audio", "video"]
        assert sdp.medias[0].port != 0
        assert sdp.medias[1].port == 0


def test_answer_rejecting_media_with_port_zero(rtpengine):
    offer = make_sdp(CALLER, media_section(30000),
                     media_section(30002, kind="video", payload_types=(96,)))
    answer = make_sdp(CALLEE, media_section(30010),
                      media_section(0, kind="video", payload_types=(96,)))
    offered, answered = offer_answer_sdp(rtpengine, offer, answer)
    assert offered.medias[1].port != 0
    assert answered.medias[1].port == 0
    assert answered.medias[0].port != 0


def test_media_address_overrides_advertised_address(rtpengine):
    sdp = offer_sdp(rtpengine, options={"media-address": "127.0.0.5"})
    assert sdp.media_connection() == ("IP4", "127.0.0.5")


# ---------------------------------------------------------------- RTCP attributes

def test_no_rtcp_attribute(rtpengine):
    sdp = offer_sdp(rtpengine, options={"flags": ["no-rtcp-attribute"]})
    assert not has_attribute(sdp.medias[0].attributes, "rtcp")


def test_full_rtcp_attribute(rtpengine):
    sdp = offer_sdp(rtpengine, options={"flags": ["full-rtcp-attribute"]})
    port = sdp.medias[0].port
    assert attribute_values(sdp.medias[0].attributes, "rtcp") == \
        ["%d IN IP4 %s" % (port + 1, RELAY)]


def test_rtcp_mux_is_passed_on_by_default_and_dropped_when_answer_lacks_it(rtpengine):
    offered, answered = offer_answer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=MUX))
    assert has_attribute(offered.medias[0].attributes, "rtcp-mux")
    assert not has_attribute(answered.medias[0].attributes, "rtcp-mux")


def test_rtcp_mux_offer(rtpengine):
    sdp = offer_sdp(rtpengine, options={"rtcp-mux": ["offer"]})
    assert has_attribute(sdp.medias[0].attributes, "rtcp-mux")


def test_rtcp_mux_demux(rtpengine):
    offered, answered = offer_answer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=MUX),
                                         offer_options={"rtcp-mux": ["demux"]})
    assert not has_attribute(offered.medias[0].attributes, "rtcp-mux")
    assert offered.rtcp_address()[1] == offered.medias[0].port + 1
    # the caller asked for mux; the relay accepts it on its side
    assert has_attribute(answered.medias[0].attributes, "rtcp-mux")


def test_rtcp_mux_accept(rtpengine):
    _, answered = offer_answer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=MUX),
                                   simple_sdp(CALLEE, 30010),
                                   offer_options={"rtcp-mux": ["accept"]})
    media = answered.medias[0]
    assert has_attribute(media.attributes, "rtcp-mux")
    assert attribute_values(media.attributes, "rtcp") == [str(media.port)]


def test_rtcp_mux_reject(rtpengine):
    _, answered = offer_answer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=MUX),
                                   simple_sdp(CALLEE, 30010, attributes=MUX),
                                   offer_options={"rtcp-mux": ["reject"]})
    assert not has_attribute(answered.medias[0].attributes, "rtcp-mux")


# ---------------------------------------------------------------- ICE, protocol, loops

def test_ice_remove(rtpengine):
    sdp = offer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=ICE), {"ICE": "remove"})
    for name in ("ice-ufrag", "ice-pwd", "candidate"):
        assert not has_attribute(sdp.medias[0].attributes, name), name


def test_ice_candidates_are_rewritten_by_default(rtpengine):
    sdp = offer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=ICE))
    candidates = attribute_values(sdp.medias[0].attributes, "candidate")
    assert candidates and all(CALLER not in candidate for candidate in candidates)


def test_ice_force(rtpengine):
    sdp = offer_sdp(rtpengine, options={"ICE": "force"})
    media = sdp.medias[0]
    assert attribute_values(media.attributes, "ice-ufrag")
    assert attribute_values(media.attributes, "ice-pwd")
    candidates = [value.split() for value in attribute_values(media.attributes, "candidate")]
    # component 1 = RTP, 2 = RTCP (RFC 8445 section 5.1.1.1), on the relay's ports
    assert {(fields[1], fields[4], int(fields[5])) for fields in candidates} == {
        ("1", RELAY, media.port), ("2", RELAY, media.port + 1)}


def test_transport_protocol_to_srtp(rtpengine):
    sdp = offer_sdp(rtpengine, options={"transport-protocol": "RTP/SAVP"})
    assert sdp.medias[0].protocol == "RTP/SAVP"
    assert attribute_values(sdp.medias[0].attributes, "crypto")


def test_loop_protect_passes_own_sdp_through(rtpengine):
    first = offer_sdp(rtpengine, options={"flags": ["loop-protect"]})
    marker = attribute_values(first.attributes, "rtpengine")
    assert marker, "loop-protect must mark the SDP"
    # the same SDP coming back through us (a loop) is not rewritten again
    looped = offer_sdp(rtpengine, Sdp(first.text).text, {"flags": ["loop-protect"]})
    assert looped.medias[0].port == first.medias[0].port
    assert attribute_values(looped.attributes, "rtpengine") == marker


# ---------------------------------------------------------------- interfaces and families

def test_direction_selects_interface(rtpengine_factory):
    daemon = rtpengine_factory(interfaces=("internal/127.0.0.1", "external/127.0.0.5"))
    offered, answered = offer_answer_sdp(daemon, offer_options={
        "direction": ["internal", "external"]})
    assert offered.connection == ("IP4", "127.0.0.5")
    assert answered.connection == ("IP4", "127.0.0.1")
    offered, answered = offer_answer_sdp(daemon, offer_options={
        "direction": ["external", "internal"]})
    assert offered.connection == ("IP4", "127.0.0.1")
    assert answered.connection == ("IP4", "127.0.0.5")


def test_ipv6_call(rtpengine_factory):
    skip_unless_ipv6()
    daemon = rtpengine_factory(interfaces=("::1",))
    offered, answered = offer_answer_sdp(daemon, simple_sdp("::1", 30000),
                                         simple_sdp("::1", 30010))
    for sdp in (offered, answered):
        assert sdp.connection == ("IP6", "::1")
        assert daemon.port_min <= sdp.medias[0].port <= daemon.port_max


@pytest.mark.parametrize("offer_family, answer_family", [("IP6", "IP4"), ("IP4", "IP6")])
def test_address_family_bridging(rtpengine_factory, offer_family, answer_family):
    skip_unless_ipv6()
    daemon = rtpengine_factory(ipv6=True)
    caller = "::1" if answer_family == "IP6" else CALLER
    callee = "::1" if offer_family == "IP6" else CALLEE
    offered, answered = offer_answer_sdp(
        daemon, simple_sdp(caller, 30000), simple_sdp(callee, 30010),
        offer_options={"address family": offer_family},
        answer_options={"address family": answer_family})
    expected = {"IP4": RELAY, "IP6": "::1"}
    assert offered.connection == (offer_family, expected[offer_family])
    assert answered.connection == (answer_family, expected[answer_family])


# ---------------------------------------------------------------- hold and odd formatting

def test_hold_with_zero_address_passes_through(rtpengine):
    """RFC 3264 section 8.4 discourages c=0.0.0.0 for hold, but old phones send it; the
    relay keeps it so the other side also sees a hold."""
    call = Call(rtpengine)
    offer_sdp(rtpengine, call=call)
    assert_ok(call.answer(simple_sdp(CALLEE, 30010)))
    hold = make_sdp("0.0.0.0", media_section(30000, attributes=("sendonly",)),
                    origin_address=CALLER, version=2)
    sdp = offer_sdp(rtpengine, hold, call=call)
    assert sdp.connection == ("IP4", "0.0.0.0")
    assert direction(sdp.medias[0].attributes) == "sendonly"


def test_inactive_direction_passes_through(rtpengine):
    sdp = offer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=("inactive",)))
    assert direction(sdp.medias[0].attributes) == "inactive"
    assert sdp.connection == ("IP4", RELAY)


def test_sdp_with_bare_newlines_is_accepted(rtpengine):
    sdp = offer_sdp(rtpengine, simple_sdp(CALLER, 30000).replace("\r\n", "\n"))
    assert sdp.connection == ("IP4", RELAY)
    assert rtpengine.port_min <= sdp.medias[0].port <= rtpengine.port_max


def test_reinvite_from_callee_keeps_ports(rtpengine):
    """A re-INVITE in the other direction (callee puts the caller on hold): the tags are
    swapped, the call and its relay ports stay the same."""
    call = Call(rtpengine)
    offered = offer_sdp(rtpengine, call=call)
    answered = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, 30010)))["sdp"])
    reverse = Call(rtpengine, call.call_id, from_tag=call.to_tag, to_tag=call.from_tag)
    hold = Sdp(assert_ok(reverse.offer(simple_sdp(CALLEE, 30010,
                                                  attributes=("sendonly",))))["sdp"])
    assert hold.media_address() == answered.media_address()
    assert direction(hold.medias[0].attributes) == "sendonly"
    accepted = Sdp(assert_ok(reverse.answer(simple_sdp(CALLER, 30000,
                                                       attributes=("recvonly",))))["sdp"])
    assert accepted.media_address() == offered.media_address()
    assert direction(accepted.medias[0].attributes) == "recvonly"
    assert set(assert_ok(call.query())["tags"]) == {call.from_tag, call.to_tag}


def test_large_sdp(rtpengine):
    """A 57 KB SDP (a thousand attributes) is rewritten whole."""
    filler = tuple("x-filler-%d:%s" % (index, "y" * 40) for index in range(1000))
    sdp = offer_sdp(rtpengine, simple_sdp(CALLER, 30000, attributes=("sendrecv",) + filler))
    assert sdp.connection == ("IP4", RELAY)
    assert len([a for a in sdp.medias[0].attributes if a.startswith("x-filler-")]) == 1000


def test_eight_media_sections(rtpengine_factory):
    daemon = rtpengine_factory(port_count=80)
    sdp = offer_sdp(daemon, make_sdp(CALLER, *[media_section(30000 + 2 * index)
                                              for index in range(8)]))
    ports = [media.port for media in sdp.medias]
    assert len(ports) == 8 and len(set(ports)) == 8
    assert all(daemon.port_min <= port <= daemon.port_max for port in ports)
