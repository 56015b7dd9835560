"""Full ICE agent (RFC 8445, RFC 7675): towards a peer that answered with ICE the relay sends
its own connectivity checks, nominates as the controlling agent, resolves role conflicts
(487) and stops media once the peer withdraws consent. The peer here is the test itself,
speaking STUN through tests/e2e/stun.py (written from the RFCs, not from the daemon)."""

import struct
import time

import pytest

import stun
from calls import Call, Sdp, assert_ok, attribute_values, simple_sdp, skip_unless_ipv6, streams_of, wait_until
from conftest import IS_UPSTREAM
from rtp import MediaPeer, rtp_stream

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"
PEER_UFRAG, PEER_PWD = "peerUfrag", "peerPassword0123456789abcd"

pytestmark = pytest.mark.skipif(IS_UPSTREAM, reason="checks the timing and roles of our own agent")


def _ice_answer(callee, candidates=True, mux=True):
    attributes = ["sendrecv", "ice-ufrag:" + PEER_UFRAG, "ice-pwd:" + PEER_PWD]
    if mux:
        attributes.append("rtcp-mux")
    if candidates:
        attributes.append("candidate:1 1 UDP 2130706431 %s %d typ host" % (CALLEE, callee.port))
        if not mux:
            attributes.append("candidate:1 2 UDP 2130706430 %s %d typ host" % (CALLEE, callee.port + 1))
    return simple_sdp(CALLEE, callee.port, attributes=attributes)


def _credentials(sdp):
    media = sdp.medias[0]
    return (attribute_values(media.attributes, "ice-ufrag")[0],
            attribute_values(media.attributes, "ice-pwd")[0])


def _next_check(sock, timeout=3.0):
    """The next Binding request the relay sends to sock: (message, transaction, attributes, source)."""
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
def controlling_call(rtpengine):
    """Caller without ICE, ICE=force towards the callee, which answers with ICE: the relay
    offered ICE to the callee, so it is the controlling agent."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
    answered = Sdp(assert_ok(call.answer(_ice_answer(callee)))["sdp"])
    yield call, caller, callee, offered, answered
    caller.close()
    callee.close()


def test_relay_sends_authenticated_checks_and_nominates(controlling_call):
    call, caller, callee, offered, answered = controlling_call
    ufrag, password = _credentials(offered)
    check = _next_check(callee.rtp)
    assert check is not None, "the relay sent no connectivity check"
    data, transaction, attributes, source = check
    assert attributes[stun.USERNAME] == ("%s:%s" % (PEER_UFRAG, ufrag)).encode()
    assert stun.integrity_valid(data, PEER_PWD), "checks are signed with the peer's password"
    assert stun.fingerprint_valid(data)
    assert stun.ICE_CONTROLLING in attributes and stun.ICE_CONTROLLED not in attributes
    assert stun.PRIORITY in attributes
    assert source == (offered.media_address()[0], offered.medias[0].port)
    callee.rtp.send(stun.binding_success(transaction, PEER_PWD, source), source)
    # regular nomination: the same pair again with USE-CANDIDATE
    nomination = None
    for _ in range(20):
        check = _next_check(callee.rtp)
        assert check is not None, "no nomination"
        if stun.USE_CANDIDATE in check[2]:
            nomination = check
            break
        callee.rtp.send(stun.binding_success(check[1], PEER_PWD, check[3]), check[3])
    callee.rtp.send(stun.binding_success(nomination[1], PEER_PWD, source), source)
    streams = wait_until(lambda: [s for s in streams_of(assert_ok(call.query()), call.to_tag)
                                  if "confirmed" in s["flags"]], 2.0)
    assert streams, "the nominated pair did not become the media destination"
    assert (streams[0]["endpoint"]["address"], streams[0]["endpoint"]["port"]) == callee.rtp.address
    # query tells where the agent stands (ours, not upstream's)
    ice = streams[0]["ICE"]
    assert ice.startswith("controlling, 1 pairs, 1 succeeded, selected %s:%d" % callee.rtp.address), ice
    assert ice.endswith("consent ok"), ice
    packets = rtp_stream(0x4321, 3)
    for packet in packets:
        caller.rtp.send(packet, answered.media_address())
    received = [data for data, _ in callee.rtp.receive_all(6, 2.0) if data[0] >= 128]
    assert received == packets


def test_role_conflict_lower_tie_breaker_gets_487(controlling_call):
    call, caller, callee, offered, answered = controlling_call
    ufrag, password = _credentials(offered)
    relay = (offered.media_address()[0], offered.medias[0].port)
    # RFC 8445 section 7.3.1.1: both controlling, ours (random) >= 0: we keep our role
    request, transaction = stun.binding_request("%s:%s" % (ufrag, PEER_UFRAG), password,
                                                use_candidate=False, tie_breaker=b"\x00" * 8)
    callee.rtp.send(request, relay)
    for _ in range(20):
        reply = callee.rtp.receive(2.0)
        assert reply is not None, "no answer to the conflicting check"
        kind, reply_transaction, attributes = stun.parse(reply[0])
        if reply_transaction == transaction:
            break
    assert kind == stun.BINDING_ERROR
    assert attributes[stun.ERROR_CODE][2:4] == bytes([4, 87])
    assert stun.integrity_valid(reply[0], password), "487 is signed (RFC 8489 section 9.1.3)"
    check = _next_check(callee.rtp)
    assert check is not None and stun.ICE_CONTROLLING in check[2]


def test_role_conflict_higher_tie_breaker_makes_us_controlled(controlling_call):
    call, caller, callee, offered, answered = controlling_call
    ufrag, password = _credentials(offered)
    relay = (offered.media_address()[0], offered.medias[0].port)
    request, transaction = stun.binding_request("%s:%s" % (ufrag, PEER_UFRAG), password,
                                                use_candidate=False, tie_breaker=b"\xff" * 8)
    callee.rtp.send(request, relay)
    answered_ok = controlled_check = False
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and not (answered_ok and controlled_check):
        reply = callee.rtp.receive(0.5)
        if reply is None:
            continue
        kind, reply_transaction, attributes = stun.parse(reply[0])
        if reply_transaction == transaction:
            answered_ok = kind == stun.BINDING_SUCCESS
        elif kind == stun.BINDING_REQUEST and stun.ICE_CONTROLLED in attributes:
            controlled_check = True
            assert stun.USE_CANDIDATE not in attributes, "a controlled agent never nominates"
    assert answered_ok, "the conflicting check was not answered with success"
    assert controlled_check, "the relay did not switch to the controlled role"


def test_487_response_switches_role_and_retries(controlling_call):
    call, caller, callee, offered, answered = controlling_call
    check = _next_check(callee.rtp)
    assert check is not None and stun.ICE_CONTROLLING in check[2]
    callee.rtp.send(stun.binding_error(check[1], PEER_PWD, 487, b"Role Conflict"), check[3])
    for _ in range(20):
        retry = _next_check(callee.rtp)
        assert retry is not None, "no check after 487"
        if stun.ICE_CONTROLLED in retry[2]:
            return
    pytest.fail("the relay kept the controlling role after 487")


def test_trickled_candidate_in_reoffer_is_checked(rtpengine):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    call = Call(rtpengine)
    assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))
    assert_ok(call.answer(_ice_answer(callee, candidates=False)))
    assert _next_check(callee.rtp, 0.5) is None, "checks without any candidate"
    # the callee's re-INVITE carries its candidate now (trickle, RFC 8840 via re-offer)
    reoffer = Call(rtpengine, call_id=call.call_id, from_tag=call.to_tag, to_tag=call.from_tag)
    assert_ok(reoffer.offer(_ice_answer(callee)))
    assert _next_check(callee.rtp) is not None, "the trickled candidate was not checked"
    caller.close()
    callee.close()


@pytest.mark.slow
def test_consent_expiry_stops_media_and_answer_resumes_it(controlling_call):
    """RFC 7675: 30 s without an answer to consent checks and media to the peer stops."""
    call, caller, callee, offered, answered = controlling_call
    deadline = time.monotonic() + 5.0
    nominated = False
    while time.monotonic() < deadline and not nominated:
        check = _next_check(callee.rtp, 1.0)
        assert check is not None
        nominated = stun.USE_CANDIDATE in check[2]
        callee.rtp.send(stun.binding_success(check[1], PEER_PWD, check[3]), check[3])
    assert nominated
    sent = rtp_stream(0x77, 1)
    caller.rtp.send(sent[0], answered.media_address())
    assert wait_until(lambda: any(data[0] >= 128 for data, _ in callee.rtp.receive_all(4, 0.5)), 3.0)
    # stop answering: consent checks keep coming, media stops after 30 s
    started = time.monotonic()
    consent_checks = 0

    def media_stopped():
        nonlocal consent_checks
        while _next_check(callee.rtp, 0.01) is not None:
            consent_checks += 1
        caller.rtp.send(rtp_stream(0x77, 1, first_sequence=2000 + int(time.monotonic()))[0],
                        answered.media_address())
        got = callee.rtp.receive_all(3, 0.5)
        consent_checks += sum(1 for data, _ in got if data[0] < 2)
        return not any(data[0] >= 128 for data, _ in got)
    assert wait_until(media_stopped, 40.0, interval=0.5), "media still flows without consent"
    assert time.monotonic() - started >= 24, "consent expired too early"
    assert consent_checks >= 4, "consent checks every ~5 s"
    stats = assert_ok(call.command("statistics"))["statistics"]
    assert stats["totalstatistics"]["droppediceconsent"] > 0
    # the peer answers again: as controlling agent the relay checks all pairs again and
    # nominates anew (RFC 7675 section 5.1 leaves the recovery to the agent); media resumes
    sequence = [9000]

    def media_again():
        check = _next_check(callee.rtp, 0.2)
        if check is not None:
            callee.rtp.send(stun.binding_success(check[1], PEER_PWD, check[3]), check[3])
        sequence[0] += 1
        caller.rtp.send(rtp_stream(0x77, 1, first_sequence=sequence[0])[0], answered.media_address())
        return any(data[0] >= 128 for data, _ in callee.rtp.receive_all(3, 0.1))
    assert wait_until(media_again, 10.0, interval=0)


def test_ice_restart_by_the_peer_gets_new_credentials(controlling_call):
    """RFC 8445 section 9: the peer re-offers with a new ufrag and password; our answer
    carries new credentials of ours, checks with the old ones are refused, and our own
    checks use the peer's new credentials."""
    call, caller, callee, offered, answered = controlling_call
    old_ufrag, old_password = _credentials(offered)
    reoffer = Call(call.daemon, call_id=call.call_id, from_tag=call.to_tag, to_tag=call.from_tag)
    restarted = _ice_answer(callee).replace(PEER_UFRAG, "peerRestart").replace(PEER_PWD, "restartPassword0123456789xy")
    towards_caller = Sdp(assert_ok(reoffer.offer(restarted, {"ICE": "remove"}))["sdp"])
    assert not attribute_values(towards_caller.medias[0].attributes, "ice-ufrag")
    towards_callee = Sdp(assert_ok(reoffer.answer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
    new_ufrag, new_password = _credentials(towards_callee)
    assert (new_ufrag, new_password) != (old_ufrag, old_password)
    assert new_ufrag.isalnum() and new_password.isalnum()
    relay = (towards_callee.media_address()[0], towards_callee.medias[0].port)
    callee.rtp.drain()
    # the callee answered our offer: it is the controlled agent (no role conflict to resolve)
    request, transaction = stun.binding_request("%s:peerRestart" % old_ufrag, old_password, use_candidate=False,
                                                controlling=False)
    callee.rtp.send(request, relay)
    request_new, transaction_new = stun.binding_request("%s:peerRestart" % new_ufrag, new_password,
                                                        use_candidate=False, controlling=False)
    callee.rtp.send(request_new, relay)
    answers, ours = {}, None
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and (len(answers) < 2 or ours is None):
        received = callee.rtp.receive(0.5)
        if received is None:
            continue
        kind, reply_transaction, attributes = stun.parse(received[0])
        if kind == stun.BINDING_REQUEST:
            if attributes[stun.USERNAME].startswith(b"peerRestart:"):
                ours = (received[0], attributes)
        else:
            answers[reply_transaction] = kind
    assert answers.get(transaction) == stun.BINDING_ERROR, "the old credentials still work"
    assert answers.get(transaction_new) == stun.BINDING_SUCCESS
    assert ours is not None, "no check with the peer's new credentials"
    assert ours[1][stun.USERNAME] == ("peerRestart:%s" % new_ufrag).encode()
    assert stun.integrity_valid(ours[0], "restartPassword0123456789xy")


def test_agent_over_ipv6(rtpengine_factory):
    """An IPv4 caller, an IPv6 ICE callee (address family IP6): the relay's checks, its
    nomination and the media go over IPv6."""
    skip_unless_ipv6()
    daemon = rtpengine_factory(ipv6=True)
    caller, callee = MediaPeer(CALLER), MediaPeer("::1")
    call = Call(daemon)
    offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port),
                                       {"ICE": "force", "address family": "IP6"}))["sdp"])
    assert any(" ::1 " in c for c in attribute_values(offered.medias[0].attributes, "candidate"))
    answer = simple_sdp("::1", callee.port, attributes=(
        "sendrecv", "rtcp-mux", "ice-ufrag:" + PEER_UFRAG, "ice-pwd:" + PEER_PWD,
        "candidate:1 1 UDP 2130706431 ::1 %d typ host" % callee.port))
    answered = Sdp(assert_ok(call.answer(answer))["sdp"])
    nominated = False
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and not nominated:
        check = _next_check(callee.rtp, 1.0)
        assert check is not None, "no check over IPv6"
        assert stun.integrity_valid(check[0], PEER_PWD)
        nominated = stun.USE_CANDIDATE in check[2]
        callee.rtp.send(stun.binding_success(check[1], PEER_PWD, check[3]), check[3])
    assert nominated
    ice = wait_until(lambda: streams_of(assert_ok(call.query()), call.to_tag)[0].get("ICE", "")
                     if "selected [::1]" in streams_of(assert_ok(call.query()), call.to_tag)[0].get("ICE", "")
                     else None, 2.0)
    assert ice, streams_of(assert_ok(call.query()), call.to_tag)
    packets = rtp_stream(0x6666, 3)
    for packet in packets:
        caller.rtp.send(packet, answered.media_address())
    received = [data for data, _ in callee.rtp.receive_all(6, 2.0) if data[0] >= 128]
    assert received == packets
    caller.close()
    callee.close()
