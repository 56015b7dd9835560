"""publish/subscribe options (daemon/pubsub.h): the interface key and the rtcp-mirror flag.
Each scenario runs against the daemon under test and, where it is installed, Debian's
rtpengine 10.5 with the same requests: the SDPs (ports and our origin normalised) and where the
packets arrive (from which of the relay's addresses) must agree."""

import os
import struct

from conftest import IS_UPSTREAM, REFERENCE_BINARY
from rtp import MediaPeer, build_rtp, parse_rtp
from test_pubsub import media_ports, normalise, sdp, text

INTERFACES = ("127.0.0.1", "other/127.0.0.5")


def run_both(rtpengine_factory, scenario, **options):
    ours = scenario(rtpengine_factory(**options))
    reference = None
    if os.access(REFERENCE_BINARY, os.X_OK) and not IS_UPSTREAM:
        reference = scenario(rtpengine_factory(binary=REFERENCE_BINARY, **options))
    return ours, reference


def connection_of(sdp_text):
    return [line for line in text(sdp_text).split("\r\n") if line.startswith("c=")]


def interface_scenario(daemon):
    """A publisher on the named interface, a subscriber on the default one and one on the
    named one, and a name the daemon does not have (the default one, as 10.5)."""
    publisher, first, second = MediaPeer(), MediaPeer(), MediaPeer()
    try:
        out = []
        published = daemon.ng({"command": "publish", "call-id": "if", "from-tag": "pub", "interface": "other",
                               "sdp": sdp(publisher.port)})
        out.append(normalise(published["sdp"]))
        unknown = daemon.ng({"command": "subscribe request", "call-id": "if", "from-tag": "pub", "interface": "nope"})
        out.append(normalise(unknown["sdp"]))
        subscribers = []
        for peer, interface in ((first, None), (second, "other")):
            message = {"command": "subscribe request", "call-id": "if", "from-tag": "pub"}
            if interface:
                message["interface"] = interface
            request = daemon.ng(message)
            out.append(normalise(request["sdp"]))
            assert text(daemon.ng({"command": "subscribe answer", "call-id": "if", "to-tag": request["to-tag"],
                                   "sdp": sdp(peer.port, "recvonly")})["result"]) == "ok"
            subscribers.append(peer)
        publisher.rtp.send(build_rtp(1, 160, 0x4242), ("127.0.0.5", media_ports(published["sdp"])[0]))
        for peer in subscribers:
            received = peer.rtp.receive_all(1, 3.0)
            assert len(received) == 1 and parse_rtp(received[0][0]).ssrc == 0x4242
            out.append(received[0][1][0])   # the relay's address the copy came from
        daemon.ng({"command": "delete", "call-id": "if"})
        return out
    finally:
        for peer in (publisher, first, second):
            peer.close()


def test_interface_of_publisher_and_subscribers(rtpengine_factory):
    ours, reference = run_both(rtpengine_factory, interface_scenario, interfaces=INTERFACES)
    assert connection_of(ours[0]) == ["c=IN IP4 127.0.0.5"] and "IN IP4 127.0.0.5" in ours[0].split("\r\n")[1]
    assert connection_of(ours[1]) == ["c=IN IP4 127.0.0.1"]
    assert connection_of(ours[2]) == ["c=IN IP4 127.0.0.1"] and connection_of(ours[3]) == ["c=IN IP4 127.0.0.5"]
    assert ours[4:] == ["127.0.0.1", "127.0.0.5"]
    if reference is not None:
        assert ours == reference


RECEIVER_REPORT = struct.pack("!BBHI", 0x80, 201, 1, 0x99999999)


def mirror_scenario(daemon):
    """RTCP a subscriber sends reaches the publisher from the relay's publisher-facing RTCP port
    with rtcp-mirror in the subscribe request, and nowhere without it; its RTP never does."""
    out = []
    for index, flags in enumerate(([], ["rtcp-mirror"])):
        publisher, listener = MediaPeer(), MediaPeer()
        try:
            call_id = "mirror%d" % index
            published = daemon.ng({"command": "publish", "call-id": call_id, "from-tag": "pub",
                                   "sdp": sdp(publisher.port)})
            request = daemon.ng({"command": "subscribe request", "call-id": call_id, "from-tag": "pub",
                                 "flags": flags})
            out.append(normalise(request["sdp"]))
            assert text(daemon.ng({"command": "subscribe answer", "call-id": call_id, "to-tag": request["to-tag"],
                                   "sdp": sdp(listener.port, "recvonly")})["result"]) == "ok"
            publish_port, subscriber_port = media_ports(published["sdp"])[0], media_ports(request["sdp"])[0]
            # the publisher's RTP first: the copy shows the subscription runs
            publisher.rtp.send(build_rtp(1, 160, 0x1111), ("127.0.0.1", publish_port))
            assert len(listener.rtp.receive_all(1, 3.0)) == 1
            listener.rtcp.send(RECEIVER_REPORT, ("127.0.0.1", subscriber_port + 1))
            listener.rtp.send(build_rtp(1, 160, 0x2222), ("127.0.0.1", subscriber_port))
            mirrored = publisher.rtcp.receive_all(1, 2.0 if flags else 0.5)
            out.append([(data, source[1] - publish_port) for data, source in mirrored])
            out.append(len(publisher.rtp.receive_all(1, 0.3)))
            daemon.ng({"command": "delete", "call-id": call_id})
        finally:
            publisher.close()
            listener.close()
    return out


def test_rtcp_mirror(rtpengine_factory):
    ours, reference = run_both(rtpengine_factory, mirror_scenario)
    assert ours[1] == [] and ours[2] == 0
    assert ours[4] == [(RECEIVER_REPORT, 1)] and ours[5] == 0   # from our RTCP port towards the publisher
    if reference is not None:
        assert ours == reference
