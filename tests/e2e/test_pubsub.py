"""publish / subscribe request / subscribe answer / unsubscribe (daemon/pubsub.h).

The same requests go to the daemon under test and, where it is installed, to Debian's
rtpengine 10.5: the SDPs (ports, our origin and session name normalised), the reply keys and
the error reasons must agree, and media sent by a publisher (or by both sides of a normal
call) must reach every subscriber unchanged (SSRC, sequence number) from the port the
subscriber was offered, and stop reaching one that unsubscribed."""

import os
import re

import pytest

from conftest import IS_UPSTREAM, REFERENCE_BINARY
from process import wait_until
from rtp import MediaPeer, build_rtp, parse_rtp

reference_available = pytest.mark.skipif(
    not os.access(REFERENCE_BINARY, os.X_OK) or IS_UPSTREAM,
    reason="Debian's rtpengine 10.5 (%s) is not installed, or is the daemon under test"
    % REFERENCE_BINARY)

TESTER_ORIGIN = "o=- 3690788630 1 IN IP4 127.0.0.1"


def sdp(port, direction="sendonly", formats="0 8", extra=""):
    return ("v=0\r\n%s\r\ns=probes\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\nc=IN IP4 127.0.0.1\r\n%sa=%s\r\n"
            % (TESTER_ORIGIN, port, formats, extra, direction))


def normalise(text):
    """Ports, and the origin/session name a relay makes up itself, out of an SDP."""
    text = text.decode() if isinstance(text, bytes) else text
    text = re.sub(r"m=(\w+) \d+ ", r"m=\1 PORT ", text)
    text = re.sub(r"a=rtcp:\d+", "a=rtcp:PORT", text)
    if TESTER_ORIGIN not in text:
        text = re.sub(r"o=- \d+ \d+ IN IP4 ", "o=- ID ID IN IP4 ", text)
        text = re.sub(r"s=rtpengine-[^\r\n]*", "s=rtpengine", text)
    return text


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def media_ports(sdp_text):
    return [int(port) for port in re.findall(r"m=audio (\d+) ", text(sdp_text))]


def summary(reply):
    """What a reply says apart from tags and ports it makes up itself."""
    out = {"result": text(reply.get("result"))}
    if "error-reason" in reply:
        out["error-reason"] = text(reply["error-reason"])
    if "sdp" in reply:
        out["sdp"] = normalise(reply["sdp"])
    for key in ("from-tag", "from-tags"):
        if key in reply:
            value = reply[key]
            out[key] = [text(v) for v in value] if isinstance(value, list) else text(value)
    out["to-tag"] = "to-tag" in reply
    return out


def receive_rtp(peer, count, timeout=3.0):
    """[(sequence, ssrc, source port)] of up to `count` packets (bounded wait)."""
    got = []
    for data, source in peer.rtp.receive_all(count, timeout):
        packet = parse_rtp(data)
        if packet:
            got.append((packet.sequence, packet.ssrc, source[1]))
    return got


def send_rtp(sender, port, first, count, ssrc):
    for n in range(first, first + count):
        sender.rtp.send(build_rtp(n, 160 * n, ssrc), ("127.0.0.1", port))


def publish_scenario(daemon):
    """One publisher, two subscribers; media to both, then one unsubscribes."""
    publisher, first, second = MediaPeer(), MediaPeer(), MediaPeer()
    try:
        replies = []
        published = daemon.ng({"command": "publish", "call-id": "ps", "from-tag": "pub",
                               "sdp": sdp(publisher.port)})
        replies.append(summary(published))
        subscribers = []
        for peer in (first, second):
            request = daemon.ng({"command": "subscribe request", "call-id": "ps", "from-tag": "pub"})
            replies.append(summary(request))
            answer = daemon.ng({"command": "subscribe answer", "call-id": "ps", "to-tag": request["to-tag"],
                                "sdp": sdp(peer.port, "recvonly")})
            replies.append(summary(answer))
            subscribers.append((peer, text(request["to-tag"]), media_ports(request["sdp"])[0]))
        port = media_ports(published["sdp"])[0]
        send_rtp(publisher, port, 100, 5, 0x1234)
        media = [receive_rtp(peer, 5) for peer, _, _ in subscribers]
        for (peer, _, offered_port), got in zip(subscribers, media):
            # every packet once, unchanged and in the order sent
            assert got == [(n, 0x1234, offered_port) for n in range(100, 105)], (daemon.argv[0], got)
        replies.append(summary(daemon.ng({"command": "unsubscribe", "call-id": "ps",
                                          "to-tag": subscribers[0][1]})))
        send_rtp(publisher, port, 105, 3, 0x1234)
        after_second = receive_rtp(second, 3)
        after_first = receive_rtp(first, 3, timeout=0.5)
        assert [n for n, _, _ in after_second] == [105, 106, 107], (daemon.argv[0], after_second)
        assert after_first == []
        query = daemon.ng({"command": "query", "call-id": "ps"})
        tags = query["tags"]
        # (10.5 keeps the unsubscribed tag, without media subscriptions; this relay drops it)
        assert [text(entry["tag"]) for entry in tags["pub"]["subscribers"]] == [subscribers[1][1]]
        replies.append(summary(daemon.ng({"command": "delete", "call-id": "ps", "from-tag": "pub"})))
        return replies
    finally:
        for peer in (publisher, first, second):
            peer.close()


def dialogue_scenario(daemon):
    """A normal offer/answer call; a subscriber of both sides gets each side's media on its
    own m= line."""
    caller, callee, listener = MediaPeer(), MediaPeer(), MediaPeer()
    try:
        replies = []
        offer = daemon.ng({"command": "offer", "call-id": "dlg", "from-tag": "A",
                           "sdp": sdp(caller.port, "sendrecv")})
        answer = daemon.ng({"command": "answer", "call-id": "dlg", "from-tag": "A", "to-tag": "B",
                            "sdp": sdp(callee.port, "sendrecv")})
        request = daemon.ng({"command": "subscribe request", "call-id": "dlg", "flags": ["all"]})
        replies.append(summary(request))
        listener_sdp = sdp(listener.port, "recvonly") + \
            "m=audio %d RTP/AVP 0 8\r\nc=IN IP4 127.0.0.1\r\na=recvonly\r\n" % (listener.port + 2)
        replies.append(summary(daemon.ng({"command": "subscribe answer", "call-id": "dlg",
                                          "to-tag": request["to-tag"], "sdp": listener_sdp})))
        ports = media_ports(request["sdp"])
        # the caller sends to the port the answer told it
        send_rtp(caller, media_ports(answer["sdp"])[0], 10, 3, 0xaaaa)
        from_caller = receive_rtp(listener, 3)
        assert from_caller == [(n, 0xaaaa, ports[0]) for n in range(10, 13)], (daemon.argv[0], from_caller)
        callee_got = receive_rtp(callee, 3)
        assert [n for n, _, _ in callee_got] == [10, 11, 12], (daemon.argv[0], callee_got)
        # the callee's media reaches the listener's second m= line (its port + 2), from the
        # relay's second port, and the caller as before
        second = listener.rtp.__class__("127.0.0.1", listener.port + 2)
        try:
            send_rtp(callee, media_ports(offer["sdp"])[0], 20, 3, 0xbbbb)
            got = [(parse_rtp(data).sequence, parse_rtp(data).ssrc, source[1])
                   for data, source in second.receive_all(3, 3.0)]
            assert got == [(n, 0xbbbb, ports[1]) for n in range(20, 23)], (daemon.argv[0], got)
            caller_got = receive_rtp(caller, 3)
            assert [n for n, _, _ in caller_got] == [20, 21, 22], (daemon.argv[0], caller_got)
        finally:
            second.close()
        replies.append(summary(daemon.ng({"command": "delete", "call-id": "dlg"})))
        assert offer.get("result") == "ok" and answer.get("result") == "ok"
        return replies
    finally:
        for peer in (caller, callee, listener):
            peer.close()


def siprec_scenario(daemon):
    """SIPREC-style subscription of both sides of a call with two m= lines each: a=label per
    m= line, media-labels and tag-medias; then a publisher's (mode recvonly)."""
    caller, callee = MediaPeer(), MediaPeer()
    try:
        def two_media(port):
            return sdp(port, "sendrecv") + \
                "m=video %d RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:96 H264/90000\r\na=sendrecv\r\n" % (port + 2)
        daemon.ng({"command": "offer", "call-id": "rec", "from-tag": "A", "sdp": two_media(caller.port)})
        daemon.ng({"command": "answer", "call-id": "rec", "from-tag": "A", "to-tag": "B",
                   "sdp": two_media(callee.port)})
        replies = []
        for message in ({"flags": ["all", "siprec"]}, {"from-tag": "B", "flags": ["siprec"]},
                        {"from-tags": ["B", "A"]}):
            message.update({"command": "subscribe request", "call-id": "rec"})
            reply = daemon.ng(message)
            out = summary(reply)
            for key in ("media-labels", "tag-medias"):
                if key in reply:
                    out[key] = reply[key]
            replies.append(out)
        daemon.ng({"command": "publish", "call-id": "rec", "from-tag": "P", "sdp": sdp(caller.port + 4)})
        reply = daemon.ng({"command": "subscribe request", "call-id": "rec", "from-tag": "P", "flags": ["siprec"]})
        replies.append({"summary": summary(reply), "media-labels": reply.get("media-labels"),
                        "tag-medias": reply.get("tag-medias")})
        replies.append(summary(daemon.ng({"command": "delete", "call-id": "rec"})))
        return replies
    finally:
        caller.close()
        callee.close()


def error_scenario(daemon):
    peer = MediaPeer()
    try:
        requests = [
            {"command": "subscribe request", "call-id": "nocall", "from-tag": "pub"},
            {"command": "subscribe answer", "call-id": "nocall", "to-tag": "x", "sdp": sdp(peer.port, "recvonly")},
            {"command": "publish", "call-id": "err", "sdp": sdp(peer.port)},
            {"command": "publish", "call-id": "err", "from-tag": "pub"},
            {"command": "publish", "call-id": "err", "from-tag": "pub", "sdp": sdp(peer.port)},
            {"command": "subscribe request", "call-id": "err", "from-tag": "nope"},
            {"command": "subscribe request", "call-id": "err"},
            {"command": "subscribe request", "call-id": "err", "label": "nolabel"},
            {"command": "subscribe answer", "call-id": "err", "to-tag": "nope", "sdp": sdp(peer.port, "recvonly")},
            {"command": "unsubscribe", "call-id": "err"},
            {"command": "unsubscribe", "call-id": "err", "to-tag": "nope"},
            {"command": "delete", "call-id": "err"},
        ]
        return [summary(daemon.ng(request)) for request in requests]
    finally:
        peer.close()


def run_both(rtpengine_factory, scenario):
    ours = scenario(rtpengine_factory(*(["--num-threads=1"] if IS_UPSTREAM else [])))
    reference = None
    if os.access(REFERENCE_BINARY, os.X_OK) and not IS_UPSTREAM:
        # one thread: 10.5's threads wait on one epoll set, and two of them reading the same
        # socket reorder its packets (seen here as 101 after 104, and 20, 22, 21 at the
        # dialogue's peer: the reordering this test once blamed on our relay; measured in
        # docs/relay.md, "Packet order"). The media checks are the same for both daemons.
        reference = scenario(rtpengine_factory("--num-threads=1", binary=REFERENCE_BINARY))
    return ours, reference


def test_publish_two_subscribers_and_unsubscribe(rtpengine_factory):
    ours, reference = run_both(rtpengine_factory, publish_scenario)
    assert ours[0]["result"] == "ok" and "a=recvonly" in ours[0]["sdp"]
    assert "m=audio PORT RTP/AVP 0\r\n" in ours[0]["sdp"]   # the publisher's first codec only
    assert "a=sendonly" in ours[1]["sdp"] and ours[1]["from-tags"] == ["pub"]
    if reference is not None:
        # the delete reply is a call description whose layout differs in details
        assert ours[:-1] == reference[:-1]


def test_subscribe_all_of_a_dialogue(rtpengine_factory):
    ours, reference = run_both(rtpengine_factory, dialogue_scenario)
    assert ours[0]["from-tags"] == ["A", "B"] and ours[0]["sdp"].count("m=audio") == 2
    if reference is not None:
        assert ours[:2] == reference[:2]


def test_siprec_labels(rtpengine_factory):
    ours, reference = run_both(rtpengine_factory, siprec_scenario)
    labels = re.findall(r"a=label:(\d+)", ours[0]["sdp"])
    assert labels == ["1", "3", "0", "2"], ours[0]["sdp"]   # media numbered as made, answerer first
    assert ours[0]["media-labels"]["0"] == {"index": 1, "mode": "sendrecv", "tag": "B", "type": "audio"}
    # the publisher's media: numbered after every subscriber media made before it
    assert list(ours[3]["media-labels"]) == ["14"] and ours[3]["media-labels"]["14"]["mode"] == "recvonly"
    if reference is not None:
        assert ours[:-1] == reference[:-1]


def test_bad_requests_give_10_5_errors(rtpengine_factory):
    ours, reference = run_both(rtpengine_factory, error_scenario)
    assert ours[0] == {"result": "error", "error-reason": "Unknown call-ID", "to-tag": False}
    if reference is not None:
        assert ours == reference


@pytest.mark.upstream_differs("this relay's own Redis schema (docs/redis.md)")
def test_redis_restore_keeps_subscriptions(rtpengine_factory, tmp_path):
    """docs/redis.md: publish, subscribe and answer; kill -9; a daemon restarted on the same
    Redis restores the publisher, the subscriber and which one copies which: the publisher's
    media reaches the subscriber again, from the same port, in order; unsubscribe on the
    restarted daemon stops the copies."""
    import signal
    from test_redis import RedisServer, standby_of, wait_written
    server = RedisServer(tmp_path)
    publisher, listener = MediaPeer(), MediaPeer()
    try:
        active = rtpengine_factory("--redis=%s" % server.url())
        published = active.ng({"command": "publish", "call-id": "red", "from-tag": "pub",
                               "sdp": sdp(publisher.port)})
        request = active.ng({"command": "subscribe request", "call-id": "red", "from-tag": "pub"})
        assert active.ng({"command": "subscribe answer", "call-id": "red", "to-tag": request["to-tag"],
                          "sdp": sdp(listener.port, "recvonly")})["result"] == "ok"
        port = media_ports(published["sdp"])[0]
        offered_port = media_ports(request["sdp"])[0]
        send_rtp(publisher, port, 1, 2, 0x77)
        assert receive_rtp(listener, 2) == [(1, 0x77, offered_port), (2, 0x77, offered_port)]
        client = server.client()

        def subscription_written(value):
            sides = value["monologues"]
            return len(sides) == 2 and sides[1].get("subscription_answered") \
                and sides[1]["media"][0].get("source") == [0, 0]
        assert wait_written(client, ["red"], subscription_written), client.value("red")
        active.stop(signal.SIGKILL)
        restarted = standby_of(rtpengine_factory, active)
        query = restarted.ng({"command": "query", "call-id": "red"})
        assert query["result"] == "ok" and set(query["tags"]) == {"pub", text(request["to-tag"])}
        assert [text(entry["tag"]) for entry in query["tags"]["pub"]["subscribers"]] == [text(request["to-tag"])]
        send_rtp(publisher, port, 3, 5, 0x77)
        assert receive_rtp(listener, 5) == [(n, 0x77, offered_port) for n in range(3, 8)]
        # the restored subscriber is a subscriber: unsubscribe ends its copies
        assert restarted.ng({"command": "unsubscribe", "call-id": "red",
                             "to-tag": request["to-tag"]})["result"] == "ok"
        send_rtp(publisher, port, 8, 2, 0x77)
        assert receive_rtp(listener, 2, timeout=0.5) == []
    finally:
        publisher.close()
        listener.close()
        server.process.stop()


@pytest.mark.upstream_differs("this relay's own Redis schema (docs/redis.md)")
def test_redis_restore_lets_a_new_subscriber_copy_a_dialogue(rtpengine_factory, tmp_path):
    """The sides' SDP lines a subscription is written from are stored too: after kill -9 the
    restarted daemon takes a new subscription to a restored dialogue and forks its media."""
    import signal
    from test_redis import RedisServer, standby_of, wait_written
    server = RedisServer(tmp_path)
    caller, callee, listener, first_listener = MediaPeer(), MediaPeer(), MediaPeer(), MediaPeer()
    try:
        active = rtpengine_factory("--redis=%s" % server.url())
        active.ng({"command": "offer", "call-id": "rd", "from-tag": "A", "sdp": sdp(caller.port, "sendrecv")})
        answer = active.ng({"command": "answer", "call-id": "rd", "from-tag": "A", "to-tag": "B",
                            "sdp": sdp(callee.port, "sendrecv")})
        # a subscriber before the kill makes the call one that takes part in publish/subscribe
        request = active.ng({"command": "subscribe request", "call-id": "rd", "from-tag": "A"})
        assert active.ng({"command": "subscribe answer", "call-id": "rd", "to-tag": request["to-tag"],
                          "sdp": sdp(first_listener.port, "recvonly")})["result"] == "ok"
        client = server.client()
        # (a value written between the request and the answer has the subscriber unanswered)
        assert wait_written(client, ["rd"], lambda value: len(value["monologues"]) == 3
                            and "sdp" in value["monologues"][0]
                            and value["monologues"][2].get("subscription_answered")), client.value("rd")
        active.stop(signal.SIGKILL)
        restarted = standby_of(rtpengine_factory, active)
        request = restarted.ng({"command": "subscribe request", "call-id": "rd", "from-tag": "A"})
        assert request["result"] == "ok", request
        assert restarted.ng({"command": "subscribe answer", "call-id": "rd", "to-tag": request["to-tag"],
                             "sdp": sdp(listener.port, "recvonly")})["result"] == "ok"
        offered_port = media_ports(request["sdp"])[0]
        send_rtp(caller, media_ports(answer["sdp"])[0], 30, 3, 0xcc)
        assert receive_rtp(listener, 3) == [(n, 0xcc, offered_port) for n in range(30, 33)]
        first_got = receive_rtp(first_listener, 3)
        assert [n for n, _, _ in first_got] == [30, 31, 32], first_got
        callee_got = receive_rtp(callee, 3)
        assert [n for n, _, _ in callee_got] == [30, 31, 32], callee_got
    finally:
        for made in (caller, callee, listener, first_listener):
            made.close()
        server.process.stop()



def _siprec_view(reply):
    """What a SIPREC subscribe request says about its sources: the a=label lines, media-labels
    and tag-medias (its own tag and ports left out)."""
    if text(reply.get("result")) != "ok":
        return {"result": text(reply.get("result")), "error-reason": text(reply.get("error-reason"))}
    return {"labels": re.findall(r"a=label:(\d+)", text(reply.get("sdp", ""))),
            "media-labels": reply.get("media-labels"), "tag-medias": reply.get("tag-medias")}


def siprec_restore_scenario(rtpengine_factory, tmp_path, binary):
    """A call whose sides have labels; SIPREC subscribe requests by label and by from-tags;
    kill -9; the same requests to a daemon restarted on the same Redis: (before, after)."""
    import signal
    from test_redis import RedisServer, standby_of, wait_written
    (tmp_path / binary).mkdir()
    server = RedisServer(tmp_path / binary)
    caller, callee = MediaPeer(), MediaPeer()
    try:
        def two_media(port):
            return sdp(port, "sendrecv") + \
                "m=video %d RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:96 H264/90000\r\na=sendrecv\r\n" % (port + 2)
        path = REFERENCE_BINARY if binary == "10.5" else None
        active = rtpengine_factory("--redis=%s" % server.url(), "--num-threads=1", binary=path)
        assert text(active.ng({"command": "offer", "call-id": "sl", "from-tag": "A", "label": "caller",
                               "sdp": two_media(caller.port)})["result"]) == "ok"
        assert text(active.ng({"command": "answer", "call-id": "sl", "from-tag": "A", "to-tag": "B",
                               "label": "callee", "sdp": two_media(callee.port)})["result"]) == "ok"
        requests = [{"label": "callee", "flags": ["siprec"]}, {"from-tags": ["B", "A"], "flags": ["siprec"]},
                    {"label": "caller", "flags": ["siprec"]}]
        for request in requests:
            request.update({"command": "subscribe request", "call-id": "sl"})
        before = [_siprec_view(active.ng(dict(request))) for request in requests]
        client = server.client()
        if binary == "ours":
            assert wait_written(client, ["sl"], lambda value: len(value["monologues"]) == 5), client.value("sl")
        else:   # 10.5 writes before it replies
            assert wait_until(lambda: client.keys(), 5.0)
        active.stop(signal.SIGKILL)
        restarted = standby_of(rtpengine_factory, active, binary=path)
        after = [_siprec_view(restarted.ng(dict(request))) for request in requests]
        return before, after
    finally:
        caller.close()
        callee.close()
        server.process.stop()


@pytest.mark.upstream_differs("10.5 loses the labels in a Redis restore (measured here)")
def test_redis_restore_keeps_siprec_labels(rtpengine_factory, tmp_path):
    """docs/redis.md: a SIPREC subscribe request after kill -9 and a restart on the same Redis,
    naming the side by its label or by from-tags, finds the same media with the same a=label
    numbers and media-labels as before the kill (the media's numbers are stored: restored in
    monologue order they would come out swapped). Before the kill the replies are 10.5's;
    10.5 itself, run through the same scenario, loses them (measured, docs/redis.md): a label
    no longer finds its side, and from-tags gives media without numbers."""
    import shutil
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    before, after = siprec_restore_scenario(rtpengine_factory, tmp_path, "ours")
    assert before[0]["labels"] == ["0", "2"] and before[2]["labels"] == ["1", "3"], before
    assert before[1]["media-labels"]["1"] == {"index": 1, "label": "caller", "mode": "sendrecv", "tag": "A",
                                              "type": "audio"}, before
    assert after == before
    if os.access(REFERENCE_BINARY, os.X_OK) and not IS_UPSTREAM:
        reference_before, reference_after = siprec_restore_scenario(rtpengine_factory, tmp_path, "10.5")
        assert before == reference_before
        assert reference_after[0] == {"result": "error", "error-reason": "No monologue matching the given label"}
        assert reference_after[1]["labels"] == [] and reference_after[1]["media-labels"] == {}
