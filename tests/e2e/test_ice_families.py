"""ICE on both address families (RFC 8445 section 5.1.1.1: host candidates on every address
of the interface): with --interface=127.0.0.1 --interface=::1 a media towards an ICE peer
gets a host candidate (and socket) of each family, the agent checks the peer's candidates of
both families from the socket of the matching family, and media moves onto the family whose
pair the peer answers. The peer is the test itself (tests/e2e/stun.py)."""

import socket
import time

import pytest

import stun
from calls import Call, Sdp, assert_ok, attribute_values, simple_sdp, skip_unless_ipv6, streams_of, wait_until
from conftest import IS_UPSTREAM
from rtp import MediaPeer, MediaSocket, rtp_stream

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"
PEER_UFRAG, PEER_PWD = "peerUfrag", "peerPassword0123456789abcd"


def _candidates(sdp, index=0):
    """[(component, address, port, priority)] of the media's host candidates."""
    found = []
    for value in attribute_values(sdp.medias[index].attributes, "candidate"):
        fields = value.split()
        found.append((int(fields[1]), fields[4], int(fields[5]), int(fields[3])))
    return found


def _next_check(sock, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = sock.receive(max(0.05, deadline - time.monotonic()))
        if received is None:
            return None
        data, source = received
        if len(data) >= 20 and data[0] < 2:
            kind, transaction, attributes = stun.parse(data)
            if kind == stun.BINDING_REQUEST:
                return data, transaction, attributes, source
    return None


@pytest.fixture
def dual_daemon(rtpengine_factory):
    skip_unless_ipv6()
    return rtpengine_factory(ipv6=True)


def test_offer_to_ice_peer_carries_host_candidates_of_both_families(dual_daemon):
    caller = MediaPeer(CALLER)
    call = Call(dual_daemon)
    offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
    candidates = _candidates(offered)
    addresses = {(component, address) for component, address, _, _ in candidates}
    # without rtcp-mux the offer has RTP and RTCP candidates, on each family
    assert addresses == {(1, "127.0.0.1"), (2, "127.0.0.1"), (1, "::1"), (2, "::1")}, candidates
    ports = {address: port for component, address, port, _ in candidates if component == 1}
    assert (offered.media_address()[0], offered.medias[0].port) == ("127.0.0.1", ports["127.0.0.1"])
    rtcp = {address: port for component, address, port, _ in candidates if component == 2}
    assert rtcp["::1"] == ports["::1"] + 1
    assert caller.port not in ports.values()
    caller.close()
    assert_ok(call.delete())


@pytest.mark.skipif(IS_UPSTREAM, reason="our agent's choice of sockets and its query text")
class TestAgentOnBothFamilies:
    @pytest.fixture
    def call_setup(self, dual_daemon):
        """Caller without ICE; ICE=force towards the callee, which answers with an IPv4 and
        an IPv6 host candidate (rtcp-mux): the relay is the controlling agent."""
        caller = MediaPeer(CALLER)
        callee4, callee6 = MediaSocket("127.0.0.1"), MediaSocket("::1")
        call = Call(dual_daemon)
        offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
        relay = {address: port for component, address, port, _ in _candidates(offered) if component == 1}
        answer = simple_sdp(CALLEE, callee4.address[1], attributes=(
            "sendrecv", "rtcp-mux", "ice-ufrag:" + PEER_UFRAG, "ice-pwd:" + PEER_PWD,
            "candidate:1 1 UDP 2130706431 127.0.0.1 %d typ host" % callee4.address[1],
            "candidate:2 1 UDP 2130706175 ::1 %d typ host" % callee6.address[1]))
        answered = Sdp(assert_ok(call.answer(answer))["sdp"])
        call.our_credentials = (attribute_values(offered.medias[0].attributes, "ice-ufrag")[0],
                                attribute_values(offered.medias[0].attributes, "ice-pwd")[0])
        yield call, caller, callee4, callee6, relay, answered
        caller.close()
        callee4.close()
        callee6.close()

    def test_checks_go_out_on_both_families(self, call_setup):
        call, caller, callee4, callee6, relay, answered = call_setup
        check4 = _next_check(callee4)
        check6 = _next_check(callee6)
        assert check4 is not None, "no check to the IPv4 candidate"
        assert check6 is not None, "no check to the IPv6 candidate"
        # each from our host candidate of that family
        assert check4[3] == ("127.0.0.1", relay["127.0.0.1"])
        assert check6[3][:2] == ("::1", relay["::1"])
        for check in (check4, check6):
            assert stun.integrity_valid(check[0], PEER_PWD)
            assert stun.ICE_CONTROLLING in check[2]

    def test_checks_of_the_peer_are_answered_on_both_families(self, call_setup):
        call, caller, callee4, callee6, relay, answered = call_setup
        ufrag, password = call.our_credentials
        for sock, destination in ((callee4, ("127.0.0.1", relay["127.0.0.1"])),
                                  (callee6, ("::1", relay["::1"]))):
            request, transaction = stun.binding_request("%s:%s" % (ufrag, PEER_UFRAG), password,
                                                        use_candidate=False, controlling=False)
            sock.send(request, destination)
            reply = None
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline and reply is None:
                received = sock.receive(0.5)
                if received is None:
                    continue
                kind, reply_transaction, _ = stun.parse(received[0])
                if reply_transaction == transaction:
                    reply = kind, received
            assert reply is not None, "no answer on %s" % (destination,)
            assert reply[0] == stun.BINDING_SUCCESS
            # answered from the socket the check went to
            assert reply[1][1][:2] == destination
            assert stun.integrity_valid(reply[1][0], password)

    def _answer_only(self, answering, relay_address, timeout=5.0):
        """Answers the relay's checks on one socket (nomination included) until nominated.
        The unanswered family's pair has the higher priority while it is still retried, so
        the relay nominates 1 s after the first success (ice_agent.c): wait longer than that."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            check = _next_check(answering, 2.5)
            assert check is not None, "no check on the answering family"
            assert check[3][:2] == relay_address
            answering.send(stun.binding_success(check[1], PEER_PWD, check[3]), check[3])
            if stun.USE_CANDIDATE in check[2]:
                return
        pytest.fail("no nomination")

    def _media_flows(self, caller, answered, receiving, silent):
        packets = rtp_stream(0x5151, 3)
        for packet in packets:
            caller.rtp.send(packet, answered.media_address())
        received = [data for data, _ in receiving.receive_all(6, 2.0) if data[0] >= 128]
        assert received == packets
        assert not [data for data, _ in silent.receive_all(4, 0.3) if data[0] >= 128], \
            "media also went to the family ICE did not select"

    def test_media_moves_to_ipv6_when_only_ipv6_answers(self, call_setup):
        call, caller, callee4, callee6, relay, answered = call_setup
        self._answer_only(callee6, ("::1", relay["::1"]))
        assert wait_until(lambda: "selected [::1]" in streams_of(assert_ok(call.query()), call.to_tag)[0]
                          .get("ICE", ""), 2.0), streams_of(assert_ok(call.query()), call.to_tag)
        callee4.drain()
        self._media_flows(caller, answered, callee6, callee4)
        # and the callee's media over IPv6 reaches the caller
        packets = rtp_stream(0x6161, 2)
        for packet in packets:
            callee6.send(packet, ("::1", relay["::1"]))
        assert [data for data, _ in caller.rtp.receive_all(2, 2.0)] == packets

    def test_media_stays_on_ipv4_when_only_ipv4_answers(self, call_setup):
        call, caller, callee4, callee6, relay, answered = call_setup
        self._answer_only(callee4, ("127.0.0.1", relay["127.0.0.1"]))
        assert wait_until(lambda: "selected 127.0.0.1" in streams_of(assert_ok(call.query()), call.to_tag)[0]
                          .get("ICE", ""), 2.0), streams_of(assert_ok(call.query()), call.to_tag)
        callee6.drain()
        self._media_flows(caller, answered, callee4, callee6)

    def test_delete_releases_the_other_family_port(self, call_setup):
        call, caller, callee4, callee6, relay, answered = call_setup
        assert_ok(call.delete())

        def bindable():
            probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            try:
                probe.bind(("::1", relay["::1"]))
                return True
            except OSError:
                return False
            finally:
                probe.close()
        assert wait_until(bindable, 2.0), "the IPv6 socket stayed open after delete"


def test_named_interface_with_two_addresses(rtpengine_factory):
    """upstream's multi-address syntax: one logical interface, --interface=pub/ADDR twice"""
    skip_unless_ipv6()
    daemon = rtpengine_factory(interfaces=("pub/127.0.0.1", "pub/::1"))
    caller = MediaPeer(CALLER)
    call = Call(daemon)
    offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
    assert {address for _, address, _, _ in _candidates(offered)} == {"127.0.0.1", "::1"}
    caller.close()


@pytest.mark.skipif(IS_UPSTREAM, reason="our agent's checks")
def test_ice_offerer_gets_both_families_in_the_answer_and_checks_on_both(dual_daemon):
    """The ICE peer offers (as a browser calling a phone): the answer it gets carries both
    families' candidates, and the relay (controlled) checks its candidates of both."""
    offerer4, offerer6 = MediaSocket("127.0.0.1"), MediaSocket("::1")
    phone = MediaPeer(CALLER)
    call = Call(dual_daemon)
    offer = simple_sdp(CALLEE, offerer4.address[1], attributes=(
        "sendrecv", "rtcp-mux", "ice-ufrag:" + PEER_UFRAG, "ice-pwd:" + PEER_PWD,
        "candidate:1 1 UDP 2130706431 127.0.0.1 %d typ host" % offerer4.address[1],
        "candidate:2 1 UDP 2130706175 ::1 %d typ host" % offerer6.address[1]))
    assert_ok(call.offer(offer, {"ICE": "remove"}))
    answered = Sdp(assert_ok(call.answer(simple_sdp(CALLER, phone.port)))["sdp"])
    relay = {address: port for component, address, port, _ in _candidates(answered) if component == 1}
    assert set(relay) == {"127.0.0.1", "::1"}, _candidates(answered)
    check4, check6 = _next_check(offerer4), _next_check(offerer6)
    assert check4 is not None and check4[3] == ("127.0.0.1", relay["127.0.0.1"])
    assert check6 is not None and check6[3][:2] == ("::1", relay["::1"])
    assert stun.ICE_CONTROLLED in check6[2]
    for sock in (offerer4, offerer6, phone):
        sock.close()
