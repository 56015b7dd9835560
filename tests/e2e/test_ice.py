"""ICE: the relay answers connectivity checks on ports where it advertised its own ICE
credentials (RFC 8445 section 7.3), and a valid check decides where media goes."""

import pytest

import stun
from calls import Call, Sdp, assert_ok, attribute_values, simple_sdp, streams_of, wait_until
from conftest import IS_UPSTREAM
from rtp import MediaPeer, rtp_stream

CALLER, CALLEE = "127.0.0.2", "127.0.0.1"


def _credentials(sdp):
    media = sdp.medias[0]
    return (attribute_values(media.attributes, "ice-ufrag")[0],
            attribute_values(media.attributes, "ice-pwd")[0])


@pytest.fixture
def ice_call(rtpengine):
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    call = Call(rtpengine)
    offered = Sdp(assert_ok(call.offer(simple_sdp(CALLER, caller.port), {"ICE": "force"}))["sdp"])
    answered = Sdp(assert_ok(call.answer(simple_sdp(CALLEE, callee.port)))["sdp"])
    yield call, caller, callee, offered, answered
    caller.close()
    callee.close()


@pytest.mark.skipif(IS_UPSTREAM, reason="upstream is a full ICE agent and also sends its own checks")
def test_valid_check_gets_success_response(ice_call):
    call, caller, callee, offered, answered = ice_call
    ufrag, password = _credentials(offered)
    relay_port = (offered.media_address()[0], offered.medias[0].port)
    request, transaction = stun.binding_request("%s:remote" % ufrag, password)
    callee.rtp.send(request, relay_port)
    reply = callee.rtp.receive(2.0)
    assert reply is not None, "no STUN response"
    kind, reply_transaction, attributes = stun.parse(reply[0])
    assert kind == stun.BINDING_SUCCESS and reply_transaction == transaction
    assert stun.integrity_valid(reply[0], password)
    mapped = stun.xor_mapped_address(attributes[stun.XOR_MAPPED_ADDRESS], transaction)
    assert mapped == callee.rtp.address
    # the check confirmed the callee's address: the stream is latched to it
    streams = streams_of(assert_ok(call.query()), call.to_tag)
    assert "confirmed" in streams[0]["flags"]
    assert (streams[0]["endpoint"]["address"], streams[0]["endpoint"]["port"]) == callee.rtp.address


@pytest.mark.skipif(IS_UPSTREAM, reason="upstream is a full ICE agent and also sends its own checks")
def test_wrong_password_is_refused_and_does_not_latch(ice_call):
    call, caller, callee, offered, answered = ice_call
    ufrag, _ = _credentials(offered)
    relay_port = (offered.media_address()[0], offered.medias[0].port)
    stranger = MediaPeer(CALLER)
    request, transaction = stun.binding_request("%s:remote" % ufrag, "wrong-password-0123456789")
    stranger.rtp.send(request, relay_port)
    reply = stranger.rtp.receive(2.0)
    assert reply is not None
    kind, _, attributes = stun.parse(reply[0])
    assert kind == stun.BINDING_ERROR
    assert attributes[stun.ERROR_CODE][2:4] == bytes([4, 1])   # 401 Unauthorized
    streams = streams_of(assert_ok(call.query()), call.to_tag)
    assert "confirmed" not in streams[0]["flags"]
    stranger.close()


@pytest.mark.skipif(IS_UPSTREAM, reason="upstream is a full ICE agent and also sends its own checks")
def test_media_flows_after_check(ice_call):
    call, caller, callee, offered, answered = ice_call
    ufrag, password = _credentials(offered)
    relay_for_callee = (offered.media_address()[0], offered.medias[0].port)
    relay_for_caller = answered.media_address()
    request, _ = stun.binding_request("%s:remote" % ufrag, password)
    callee.rtp.send(request, relay_for_callee)
    assert callee.rtp.receive(2.0) is not None
    packets = rtp_stream(0x1234, 3)
    for packet in packets:
        caller.rtp.send(packet, relay_for_caller)
    received = callee.rtp.receive_all(3, 2.0)
    assert [data for data, _ in received] == packets
    # STUN was answered, never relayed to the caller
    assert caller.rtp.receive(0.3) is None
