"""publish/subscribe options (daemon/pubsub.h): the interface key, the rtcp-mirror flag and
allow-transcoding with codec-transcode.
Each scenario runs against the daemon under test and, where it is installed, Debian's
rtpengine 10.5 with the same requests: the SDPs (ports and our origin normalised) and where the
packets arrive (from which of the relay's addresses) must agree."""

import os
import struct

import pytest

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


def mirror_scenario(daemon, spelling="rtcp-mirror"):
    """RTCP a subscriber sends reaches the publisher from the relay's publisher-facing RTCP port
    with rtcp-mirror (or mirror-RTCP) in the subscribe request, and nowhere without it; its RTP
    never does."""
    out = []
    for index, flags in enumerate(([], [spelling])):
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


@pytest.mark.parametrize("spelling", ["rtcp-mirror", "mirror-RTCP"])   # 10.5 reads both
def test_rtcp_mirror(rtpengine_factory, spelling):
    ours, reference = run_both(rtpengine_factory, lambda daemon: mirror_scenario(daemon, spelling))
    assert ours[1] == [] and ours[2] == 0
    assert ours[4] == [(RECEIVER_REPORT, 1)] and ours[5] == 0   # from our RTCP port towards the publisher
    if reference is not None:
        assert ours == reference


TRANSCODE_CASES = [
    # (subscribe request keys, subscribe answer flags, answered formats)
    ({"codec": {"transcode": ["PCMA"]}}, [], "8"),                       # 10.5: an error
    ({"codec": {"transcode": ["PCMA"]}}, ["allow-transcoding"], "8"),    # PCMU -> PCMA
    ({"codec": {"transcode": ["PCMA"]}}, ["allow-transcoding"], "8 0"),  # the source's codec: passes
    ({}, [], "8"),                                                       # 10.5: an error
    ({}, ["allow-transcoding"], "8"),                                    # nothing added: passes
]


def tone(packets):
    """A 440 Hz + 1 kHz tone as 16-bit samples, 160 per packet."""
    import math
    return [int(8000 * math.sin(2 * math.pi * 440 * n / 8000) + 4000 * math.sin(2 * math.pi * 1000 * n / 8000))
            for n in range(160 * packets)]


def transcode_scenario(daemon):
    """A PCMU publisher; subscribers offered PCMA with codec-transcode answer with and without
    allow-transcoding. Returns per case the normalised offer, the answer's result and the
    payload types received; the decoded audio of a transcoded copy is kept for the caller."""
    import audioop
    samples = tone(8)
    payloads = [audioop.lin2ulaw(struct.pack("<160h", *samples[n * 160:(n + 1) * 160]), 2) for n in range(8)]
    publisher = MediaPeer()
    out, decoded = [], []
    try:
        published = daemon.ng({"command": "publish", "call-id": "tc", "from-tag": "pub", "sdp": sdp(publisher.port)})
        port = media_ports(published["sdp"])[0]
        for index, (keys, flags, formats) in enumerate(TRANSCODE_CASES):
            listener = MediaPeer()
            try:
                message = {"command": "subscribe request", "call-id": "tc", "from-tag": "pub"}
                message.update(keys)
                request = daemon.ng(message)
                answer = daemon.ng({"command": "subscribe answer", "call-id": "tc", "to-tag": request["to-tag"],
                                    "flags": flags, "sdp": sdp(listener.port, "recvonly", formats=formats)})
                result = {"offer": normalise(request["sdp"]), "result": text(answer["result"]),
                          "error": text(answer.get("error-reason", ""))}
                if result["result"] == "ok":
                    for n, payload in enumerate(payloads):
                        publisher.rtp.send(build_rtp(100 * index + n, 160 * n, 0x3030, payload=payload),
                                           ("127.0.0.1", port))
                    got = [parse_rtp(data) for data, _ in listener.rtp.receive_all(len(payloads), 3.0)]
                    result["payload types"] = sorted({packet.payload_type for packet in got})
                    result["count"] = len(got)
                    # numbering: 10.5 gives a transcoded copy an SSRC of its own and the
                    # source's sequence numbers; an unchanged copy keeps both
                    sent = {100 * index + n for n in range(len(payloads))}
                    result["source ssrc"] = sorted({packet.ssrc == 0x3030 for packet in got})
                    result["source sequence numbers"] = bool(got) and all(packet.sequence in sent for packet in got)
                    if result["payload types"] == [8]:
                        got.sort(key=lambda packet: packet.sequence)
                        pcm = b"".join(audioop.alaw2lin(packet.payload, 2) for packet in got)
                        decoded.append(list(struct.unpack("<%dh" % (len(pcm) // 2), pcm)))
                    elif result["payload types"] == [0]:
                        result["unchanged"] = sorted(packet.payload for packet in got) == sorted(payloads)
                out.append(result)
            finally:
                listener.close()
        daemon.ng({"command": "delete", "call-id": "tc"})
        return out, decoded, samples
    finally:
        publisher.close()


def test_allow_transcoding(rtpengine_factory):
    from test_transcode import correlation
    (ours, decoded, samples), reference = run_both(rtpengine_factory, transcode_scenario)
    assert [case["result"] for case in ours] == ["error", "ok", "ok", "error", "ok"]
    assert "m=audio PORT RTP/AVP 0 8\r\n" in ours[0]["offer"] and "a=rtpmap:8 PCMA/8000" in ours[0]["offer"]
    assert ours[1]["payload types"] == [8] and ours[1]["count"] == 8
    assert ours[1]["source ssrc"] == [False] and ours[1]["source sequence numbers"]
    assert ours[2]["source ssrc"] == [True] and ours[4]["source ssrc"] == [True]
    assert ours[2]["payload types"] == [0] and ours[2]["unchanged"]
    assert ours[4]["payload types"] == [0] and ours[4]["unchanged"]
    # the transcoded copy decodes to what the publisher sent (G.711 both ways: nearly exact)
    assert len(decoded) == 1 and correlation(samples[:800], decoded[0], 160) > 0.99
    if reference is not None:
        # 10.5's transcoder loses frames of a short burst when the machine is busy (7 of 8, and 5
        # of 8 with both cores loaded, which failed a CI run that asked for 6): compare
        # everything but the transcoded copy's count, which is checked exactly for ours above;
        # of 10.5 only that its copy is transcoded at all (payload types [8] compared above)
        def without_transcoded_count(cases):
            return [{key: value for key, value in case.items()
                     if not (key == "count" and case.get("payload types") == [8])} for case in cases]
        assert without_transcoded_count(ours) == without_transcoded_count(reference[0])
        assert all(case["count"] >= 1 for case in reference[0] if case.get("payload types") == [8])


@pytest.mark.upstream_differs("10.5 applies every codec option to a subscription; this relay only transcode, set and strip with transcode")
def test_other_codec_options_are_refused_by_name(rtpengine, media_peer):
    publisher = media_peer()
    assert text(rtpengine.ng({"command": "publish", "call-id": "co", "from-tag": "pub",
                              "sdp": sdp(publisher.port)})["result"]) == "ok"
    reply = rtpengine.ng({"command": "subscribe request", "call-id": "co", "from-tag": "pub",
                          "codec": {"strip": ["PCMU"]}})
    assert text(reply["result"]) == "error" and "codec options" in text(reply["error-reason"])
    reply = rtpengine.ng({"command": "subscribe request", "call-id": "co", "from-tag": "pub",
                          "codec": {"transcode": ["PCMA"]}})
    assert text(reply["result"]) == "ok" and "a=rtpmap:8 PCMA/8000" in text(reply["sdp"])


@pytest.mark.upstream_differs("10.5 answers ok to block DTMF's keys in a subscribe request and applies none "
                              "(measured: the source's peer and the subscriber get every event, undelayed)")
@pytest.mark.parametrize("keys", [{"DTMF-security": "drop"}, {"DTMF-delay": 300},
                                  {"trigger": "5", "DTMF-security-trigger": "drop"}], ids=lambda k: "+".join(k))
def test_dtmf_keys_are_refused_by_name(rtpengine, media_peer, keys):
    """block DTMF's keys would apply to the from-tag's party, the source, and so change its media
    for its own peer as well as for this subscriber: refused by name instead of being accepted
    and dropped (10.5 accepts them and does nothing with them); the refused request adds no
    subscriber. DTMF-security=off alone asks for nothing and passes, as in an offer."""
    publisher = media_peer()
    assert text(rtpengine.ng({"command": "publish", "call-id": "dk", "from-tag": "pub",
                              "sdp": sdp(publisher.port)})["result"]) == "ok"
    reply = rtpengine.ng(dict({"command": "subscribe request", "call-id": "dk", "from-tag": "pub"}, **keys))
    assert text(reply["result"]) == "error", reply
    reason = text(reply["error-reason"])
    assert next(iter(keys)) in reason and "subscribe request" in reason, reason
    query = rtpengine.ng({"command": "query", "call-id": "dk"})
    assert not query["tags"]["pub"].get("subscribers"), query
    reply = rtpengine.ng({"command": "subscribe request", "call-id": "dk", "from-tag": "pub", "DTMF-security": "off"})
    assert text(reply["result"]) == "ok", reply


@pytest.mark.upstream_differs("this relay's own Redis schema (docs/redis.md)")
def test_redis_restore_keeps_transcoding_subscriber(rtpengine_factory, tmp_path):
    """docs/redis.md: a subscriber that answered PCMA to a PCMU publisher with
    allow-transcoding; kill -9; the daemon restarted on the same Redis builds its chain again:
    the copies arrive as PCMA and decode to what the publisher sent."""
    import audioop
    import signal
    from test_redis import RedisServer, standby_of, wait_written
    from test_transcode import correlation
    samples = tone(8)
    payloads = [audioop.lin2ulaw(struct.pack("<160h", *samples[n * 160:(n + 1) * 160]), 2) for n in range(8)]
    server = RedisServer(tmp_path)
    publisher, listener = MediaPeer(), MediaPeer()
    try:
        active = rtpengine_factory("--redis=%s" % server.url())
        published = active.ng({"command": "publish", "call-id": "rt", "from-tag": "pub", "sdp": sdp(publisher.port)})
        request = active.ng({"command": "subscribe request", "call-id": "rt", "from-tag": "pub",
                             "codec": {"transcode": ["PCMA"]}})
        assert text(active.ng({"command": "subscribe answer", "call-id": "rt", "to-tag": request["to-tag"],
                               "flags": ["allow-transcoding"],
                               "sdp": sdp(listener.port, "recvonly", formats="8")})["result"]) == "ok"
        port = media_ports(published["sdp"])[0]

        def copies(first):
            for n, payload in enumerate(payloads):
                publisher.rtp.send(build_rtp(first + n, 160 * (first + n), 0x3131, payload=payload),
                                   ("127.0.0.1", port))
            return sorted((parse_rtp(data) for data, _ in listener.rtp.receive_all(len(payloads), 3.0)),
                          key=lambda packet: packet.sequence)
        assert {packet.payload_type for packet in copies(0)} == {8}
        client = server.client()
        assert wait_written(client, ["rt"], lambda value: len(value["monologues"]) == 2
                            and "transcode" in value["monologues"][1]["media"][0]), client.value("rt")
        active.stop(signal.SIGKILL)
        standby_of(rtpengine_factory, active)
        got = copies(100)
        assert [packet.payload_type for packet in got] == [8] * len(payloads)
        pcm = b"".join(audioop.alaw2lin(packet.payload, 2) for packet in got)
        assert correlation(samples[:800], list(struct.unpack("<%dh" % (len(pcm) // 2), pcm)), 160) > 0.99
    finally:
        publisher.close()
        listener.close()
        server.process.stop()
