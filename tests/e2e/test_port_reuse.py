"""A port pair freed by a delete and given to a later call (our daemon parks the bound
sockets and reuses them; docs/performance.md, "Parked sockets") must not carry into
the new call anything the old call's peer sent after the delete."""

from calls import assert_ok, establish, streams_of
from rtp import MediaPeer, MediaSocket, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
STRANGER = "127.0.0.4"


def test_late_packets_of_a_deleted_call_do_not_reach_the_next(rtpengine_factory):
    # four ports: one call takes them all, so the next call gets the same ones
    daemon = rtpengine_factory("--endpoint-learning=immediate", port_count=4)
    first = establish(daemon, MediaPeer(CALLER), MediaPeer(CALLEE))
    relay_ports = [first.caller_sends_to, first.callee_sends_to]
    assert_ok(first.call.delete())
    # the old peer keeps sending to every port for a moment (loopback queues each datagram
    # before sendto() returns)
    late = MediaSocket(STRANGER)
    for address, port in relay_ports:
        for packet in rtp_stream(0x1a7e, 3):
            late.send(packet, (address, port))
            late.send(packet, (address, port + 1))

    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    second = establish(daemon, caller, callee)
    assert sorted([second.caller_sends_to, second.callee_sends_to]) == sorted(relay_ports)
    sent = rtp_stream(0x5ec0, 1)
    caller.rtp.send(sent[0], second.caller_sends_to)
    received = callee.rtp.receive(timeout=2.0)
    assert received is not None and received[0] == sent[0], "the new call's first packet was not relayed"
    assert callee.rtp.receive(timeout=0.2) is None, "a packet of the deleted call reached the new call"
    streams = streams_of(second.call.query(), second.call.from_tag)
    rtp = streams[0]
    assert rtp["stats"]["packets"] == 1
    assert (rtp["endpoint"]["address"], rtp["endpoint"]["port"]) == (CALLER, caller.port)
    assert all(stream["stats"]["packets"] == 0 for stream in streams[1:])
    callee_streams = streams_of(second.call.query(), second.call.to_tag)
    assert all(stream["stats"]["packets"] == 0 for stream in callee_streams)
    late.close()
