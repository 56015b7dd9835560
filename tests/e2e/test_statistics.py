"""The statistics command: upstream's layout and keys, numbers that agree with query and
with each other, and (ours) one named counter for every way a packet can be dropped."""

import struct

import pytest

import stun
from calls import (Call, Sdp, assert_ok, attribute_values, establish, simple_sdp, streams_of,
                   wait_until)
from conftest import IS_UPSTREAM
from rtp import rtp_stream, relay_through

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
STRANGER = "127.0.0.4"
COUNT = 10

# What Debian's 10.5 reports that we report too (its reply has more: intervalstatistics,
# mos, per-proxy control counters, transcoders).
UPSTREAM_KEYS = {
    "currentstatistics": (
        "sessionsown", "sessionsforeign", "sessionstotal", "transcodedmedia",
        "packetrate_user", "byterate_user", "errorrate_user",
        "packetrate_kernel", "byterate_kernel", "errorrate_kernel",
        "packetrate", "byterate", "errorrate"),
    "totalstatistics": (
        "uptime", "managedsessions", "rejectedsessions", "timeoutsessions",
        "silenttimeoutsessions", "finaltimeoutsessions", "offertimeoutsessions",
        "regularterminatedsessions", "forcedterminatedsessions",
        "relayedpackets_user", "relayedpacketerrors_user", "relayedbytes_user",
        "relayedpackets_kernel", "relayedpacketerrors_kernel", "relayedbytes_kernel",
        "relayedpackets", "relayedpacketerrors", "relayedbytes",
        "avgcallduration", "totalcallsduration"),
    "controlstatistics": (
        "totalpingcount", "totaloffercount", "totalanswercount", "totaldeletecount",
        "totalquerycount", "totallistcount", "totalstatscount"),
}
PORT_KEYS = ("min", "max", "used", "used_pct", "free", "totals", "last")
# ours: every drop path of the packet path, and the packets the ICE responder keeps
DROP_KEYS = ("droppedstrictsource", "droppednodestination", "droppedtruncated", "droppedsrtp",
             "droppedcallended", "droppedsendfailed", "droppedstunmalformed", "droppedblocked")
# the drops that are also packet errors (the others are not the packet's fault)
ERROR_DROP_KEYS = ("droppedstrictsource", "droppedtruncated", "droppedsrtp", "droppedsendfailed",
                   "droppedstunmalformed")


@pytest.fixture
def relay(rtpengine_factory):
    return rtpengine_factory("--endpoint-learning=immediate")


def statistics(daemon):
    return assert_ok(daemon.ng({"command": "statistics"}))["statistics"]


def totals(daemon):
    return statistics(daemon)["totalstatistics"]


def test_layout_and_value_types_match_upstream(relay):
    reply = statistics(relay)
    for section, keys in UPSTREAM_KEYS.items():
        for key in keys:
            assert key in reply[section], "%s.%s" % (section, key)
    total = reply["totalstatistics"]
    assert isinstance(total["uptime"], str) and total["uptime"].isdigit()
    for key in ("avgcallduration", "totalcallsduration"):
        whole, fraction = total[key].split(".")
        assert whole.isdigit() and len(fraction) == 6, key
    for key in UPSTREAM_KEYS["currentstatistics"]:
        assert isinstance(reply["currentstatistics"][key], int), key
    ports = reply["interfaces"][0]["ports"]
    assert set(PORT_KEYS) <= set(ports)
    assert ports["used_pct"] == "0.00"
    # a statistics request is counted once it has been answered
    assert reply["controlstatistics"]["totalstatscount"] == 0
    assert statistics(relay)["controlstatistics"]["totalstatscount"] == 1


def test_totals_agree_with_query_and_with_each_other(relay, media_peer):
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    forward = rtp_stream(0x1, COUNT, payload_size=100)
    backward = rtp_stream(0x2, COUNT // 2, payload_size=60)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, forward, callee.rtp)) == COUNT
    assert len(relay_through(callee.rtp, setup.callee_sends_to, backward,
                             caller.rtp)) == COUNT // 2
    query = assert_ok(setup.call.query())["totals"]
    packets = query["RTP"]["packets"] + query["RTCP"]["packets"]
    octets = query["RTP"]["bytes"] + query["RTCP"]["bytes"]
    assert packets == COUNT + COUNT // 2
    assert octets == sum(map(len, forward)) + sum(map(len, backward))
    assert wait_until(lambda: totals(relay)["relayedpackets"] == packets, timeout=3)
    total = totals(relay)
    assert total["relayedbytes"] == octets
    for name in ("relayedpackets", "relayedbytes", "relayedpacketerrors"):
        assert total[name] == total[name + "_user"] + total[name + "_kernel"], name
    current = statistics(relay)["currentstatistics"]
    for name in ("packetrate", "byterate", "errorrate"):
        assert current[name] == current[name + "_user"] + current[name + "_kernel"], name


def test_packet_rate_covers_the_last_second(relay, media_peer):
    """The rates are sampled once a second: a burst shows up in one sample (or two, when it
    straddles a sampling tick) and is gone from the next ones."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    setup = establish(relay, caller, callee)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, COUNT),
                             callee.rtp)) == COUNT
    assert wait_until(lambda: statistics(relay)["currentstatistics"]["packetrate"] > 0,
                      timeout=3)
    assert wait_until(lambda: statistics(relay)["currentstatistics"]["packetrate"] == 0,
                      timeout=4)


def _latched_call(relay, media_peer, offer_options=None):
    caller, callee, stranger = media_peer(CALLER), media_peer(CALLEE), media_peer(STRANGER)
    setup = establish(relay, caller, callee, offer_options=offer_options)
    assert len(relay_through(caller.rtp, setup.caller_sends_to, rtp_stream(0x1, 3),
                             callee.rtp)) == 3
    return setup, caller, callee, stranger


def _assert_errors_are_refusals(total):
    assert total["relayedpacketerrors_user"] == sum(total[key] for key in ERROR_DROP_KEYS)


@pytest.mark.upstream_differs("the dropped* counters are ours")
def test_drop_counters_start_at_zero(relay):
    total = totals(relay)
    for key in DROP_KEYS + ("stunconsumed",):
        assert total[key] == 0, key


@pytest.mark.upstream_differs("the dropped* counters are ours")
@pytest.mark.parametrize("flags", [["strict-source"], ["strict-source", "asymmetric"]])
def test_strict_source_drop_is_counted(relay, media_peer, flags):
    """A stranger's packets on a strict-source side: dropped, counted under their name and as
    errors, in statistics and on the stream in query alike. With asymmetric the source is
    checked against the SDP address instead of the learned one; the drop is counted the same."""
    setup, caller, callee, stranger = _latched_call(relay, media_peer, {"flags": flags})
    assert relay_through(stranger.rtp, setup.caller_sends_to, rtp_stream(0x666, COUNT),
                         callee.rtp, timeout=0.5) == []
    assert wait_until(lambda: totals(relay)["droppedstrictsource"] == COUNT, timeout=3)
    total = totals(relay)
    assert total["relayedpacketerrors_user"] == COUNT
    _assert_errors_are_refusals(total)
    stream = streams_of(assert_ok(setup.call.query()), setup.call.from_tag)[0]
    assert stream["stats"]["errors"] == COUNT


@pytest.mark.upstream_differs("the dropped* counters are ours")
def test_truncated_packet_is_counted(relay, media_peer):
    setup, caller, callee, _ = _latched_call(relay, media_peer)
    caller.rtp.send(rtp_stream(0x1, 1, payload_size=6000)[0], setup.caller_sends_to)
    assert wait_until(lambda: totals(relay)["droppedtruncated"] == 1, timeout=3)
    assert callee.rtp.receive(0.1) is None
    _assert_errors_are_refusals(totals(relay))


@pytest.mark.upstream_differs("the dropped* counters are ours")
def test_packet_before_the_peer_is_known_is_counted(relay, media_peer):
    """Media from the caller before the answer: the callee's address is not known yet, so it
    has nowhere to go."""
    caller = media_peer(CALLER)
    call = Call(relay)
    offer = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port)))["sdp"])
    # the relay's caller-facing port exists from the offer on (query shows it)
    local = streams_of(assert_ok(call.query()), call.from_tag)[0]["local port"]
    caller.rtp.send(rtp_stream(0x1, 1)[0], (offer.media_address()[0], local))
    assert wait_until(lambda: totals(relay)["droppednodestination"] == 1, timeout=3)
    total = totals(relay)
    assert total["relayedpacketerrors_user"] == 0   # not the packet's fault
    assert total["relayedpackets_user"] == 1        # accepted, then found no destination


@pytest.mark.upstream_differs("the dropped* counters are ours; upstream is a full ICE agent")
def test_stun_kept_by_the_ice_responder_is_counted(relay, media_peer):
    """On a port where the relay advertised ICE, STUN is answered (or ignored), never relayed:
    counted as stunconsumed; a message with a STUN header whose attributes do not parse is
    dropped as droppedstunmalformed and is an error."""
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    call = Call(relay)
    offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
    assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))
    media = offered.medias[0]
    ufrag = attribute_values(media.attributes, "ice-ufrag")[0]
    password = attribute_values(media.attributes, "ice-pwd")[0]
    relay_port = (offered.media_address()[0], media.port)
    request, _ = stun.binding_request("%s:remote" % ufrag, password)
    callee.rtp.send(request, relay_port)
    assert callee.rtp.receive(2.0) is not None, "no STUN response"
    # a valid header (RFC 8489 section 5) with a USERNAME running past the message's end
    malformed = struct.pack("!HHI", stun.BINDING_REQUEST, 8, stun.MAGIC_COOKIE) + b"\x01" * 12 \
        + struct.pack("!HH", stun.USERNAME, 100) + b"abcd"
    callee.rtp.send(malformed, relay_port)
    assert wait_until(lambda: totals(relay)["droppedstunmalformed"] == 1, timeout=3)
    total = totals(relay)
    assert total["stunconsumed"] == 1
    assert total["relayedpackets_user"] == 0
    assert total["relayedpacketerrors_user"] == 1
    _assert_errors_are_refusals(total)
    assert caller.rtp.receive(0.1) is None
    assert streams_of(assert_ok(call.query()), call.to_tag)[0]["stats"]["errors"] == 1
