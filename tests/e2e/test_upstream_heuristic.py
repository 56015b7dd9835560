"""Requests of upstream's t/auto-daemon-tests-heuristic.pl (tag mr10.5.3.5, issue 15): the
daemon runs with --endpoint-learning=heuristic; the callee's media comes from the address and
port its SDP names (b), the same address and another port (c), another address and the same
port (d), or both other (e). Until the learning window closes (about 3 s; the first packet
after it still counts in it), the caller's media goes to the best-matching source seen so far
(b, then c, then d, then e), even while a worse one keeps sending, and strict-source drops
nothing; after it, the endpoint is fixed and, with strict-source, media from any other source
is dropped. Replayed as the script does: forward (the expected source first) and reverse (the
worst first), each without and with strict-source; added: e, d, c without b (ranks d above e
and c above d; b, first after the window, still takes over).

Each scenario runs against the daemon under test; the expected results are what Debian's 10.5
gives for the same requests (RTPENGINE_BINARY=/usr/bin/rtpengine runs the same file). The SDP
bodies and RTP values are our own. Recorded for each packet: which test sockets received it.
"""

import select
import socket
import time

import pytest

from calls import Call, Sdp, assert_ok
from rtp import MediaPeer, MediaSocket, build_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
OTHER = "127.0.0.4"
DAEMON_OPTIONS = ("--endpoint-learning=heuristic",)
LEARNING_WAIT = 4.0   # 10.5's learning window is 3 s; nothing to poll for before it closes


def body(origin, port):
    return "\r\n".join(["v=0", "o=- 4170552 1 IN IP4 %s" % origin, "s=learning probe", "t=0 0",
                        "m=audio %d RTP/AVP 0 8" % port, "c=IN IP4 %s" % origin, "a=sendrecv"]) + "\r\n"


FORWARD = ["b", "c", "d", "e"]
REVERSE = ["e", "c", "d", "b"]
WITHOUT_EXACT = ["e", "d", "c"]
STRICT = ["strict-source"]
# name: (flags, callee senders before the window closes, after it)
SCENARIOS = {
    "basic-forward": ([], FORWARD * 2, FORWARD),
    "basic-reverse": ([], REVERSE * 2, REVERSE),
    "strict-forward": (STRICT, FORWARD * 2, FORWARD),
    "strict-reverse": (STRICT, REVERSE * 2, REVERSE),
    "basic-without-exact": ([], WITHOUT_EXACT * 2, FORWARD),
    "strict-without-exact": (STRICT, WITHOUT_EXACT * 2, FORWARD),
}


def callee_sockets():
    """b: the callee's SDP address and port; c: its address, another port; d: another address,
    b's port; e: both other. Bounded retries for a port free on both addresses."""
    for _ in range(50):
        b = MediaPeer(CALLEE)
        try:
            d = MediaSocket(OTHER, b.port)
        except OSError:
            b.close()
            continue
        return b, {"b": b.rtp, "c": MediaSocket(CALLEE), "d": d, "e": MediaSocket(OTHER)}
    raise RuntimeError("no port free on both %s and %s" % (CALLEE, OTHER))


def who_received(sockets, names, timeout=0.25):
    """The names of the sockets one packet reached (bounded wait; a short grace for copies)."""
    got = set()
    deadline = time.monotonic() + timeout
    by_fd = {sockets[name].sock.fileno(): name for name in names}
    while time.monotonic() < deadline:
        ready, _, _ = select.select(list(by_fd), [], [], max(deadline - time.monotonic(), 0))
        for fd in ready:
            name = by_fd[fd]
            try:
                sockets[name].sock.recv(65535, socket.MSG_DONTWAIT)
                got.add(name)
            except BlockingIOError:
                pass
        if got:
            deadline = min(deadline, time.monotonic() + 0.03)
    return sorted(got)


def run_learning(daemon, name):
    flags, before, after = SCENARIOS[name]
    caller = MediaPeer(CALLER)
    b_peer, sockets = callee_sockets()
    sockets["a"] = caller.rtp
    try:
        call = Call(daemon)
        options = {"flags": flags} if flags else {}
        offer = assert_ok(call.offer(body(CALLER, caller.port), options))
        answer = assert_ok(call.answer(body(CALLEE, b_peer.port), options))
        to_caller, to_callee = Sdp(offer["sdp"]).media_address(), Sdp(answer["sdp"]).media_address()
        results = []
        sequence = {"caller": 3400, "callee": 5600}

        def caller_sends():
            sockets["a"].send(build_rtp(sequence["caller"], 160 * sequence["caller"], 0x44556677), to_callee)
            sequence["caller"] += 1
            results.append(("a", who_received(sockets, "bcde")))

        def callee_sends(sender):
            sockets[sender].send(build_rtp(sequence["callee"], 160 * sequence["callee"], 0x77665544), to_caller)
            sequence["callee"] += 1
            results.append((sender, who_received(sockets, "a")))

        caller_sends()
        for sender in before:
            callee_sends(sender)
            caller_sends()
        time.sleep(LEARNING_WAIT)
        results.append("window closed")
        for sender in after:
            callee_sends(sender)
            caller_sends()
        call.delete()
        return results
    finally:
        caller.close()
        b_peer.close()
        for key in "cde":
            sockets[key].close()


EXPECTED = {
    'basic-forward': [
        ('a', ['b']), ('b', ['a']), ('a', ['b']), ('c', ['a']), ('a', ['b']), ('d', ['a']),
        ('a', ['b']), ('e', ['a']), ('a', ['b']), ('b', ['a']), ('a', ['b']), ('c', ['a']),
        ('a', ['b']), ('d', ['a']), ('a', ['b']), ('e', ['a']), ('a', ['b']), 'window closed',
        ('b', ['a']), ('a', ['b']), ('c', ['a']), ('a', ['b']), ('d', ['a']), ('a', ['b']),
        ('e', ['a']), ('a', ['b']),
    ],
    'basic-reverse': [
        ('a', ['b']), ('e', ['a']), ('a', ['e']), ('c', ['a']), ('a', ['c']), ('d', ['a']),
        ('a', ['c']), ('b', ['a']), ('a', ['b']), ('e', ['a']), ('a', ['b']), ('c', ['a']),
        ('a', ['b']), ('d', ['a']), ('a', ['b']), ('b', ['a']), ('a', ['b']), 'window closed',
        ('e', ['a']), ('a', ['b']), ('c', ['a']), ('a', ['b']), ('d', ['a']), ('a', ['b']),
        ('b', ['a']), ('a', ['b']),
    ],
    'strict-forward': [
        ('a', ['b']), ('b', ['a']), ('a', ['b']), ('c', ['a']), ('a', ['b']), ('d', ['a']),
        ('a', ['b']), ('e', ['a']), ('a', ['b']), ('b', ['a']), ('a', ['b']), ('c', ['a']),
        ('a', ['b']), ('d', ['a']), ('a', ['b']), ('e', ['a']), ('a', ['b']), 'window closed',
        ('b', ['a']), ('a', ['b']), ('c', []), ('a', ['b']), ('d', []), ('a', ['b']), ('e', []),
        ('a', ['b']),
    ],
    'strict-reverse': [
        ('a', ['b']), ('e', ['a']), ('a', ['e']), ('c', ['a']), ('a', ['c']), ('d', ['a']),
        ('a', ['c']), ('b', ['a']), ('a', ['b']), ('e', ['a']), ('a', ['b']), ('c', ['a']),
        ('a', ['b']), ('d', ['a']), ('a', ['b']), ('b', ['a']), ('a', ['b']), 'window closed',
        ('e', ['a']), ('a', ['b']), ('c', []), ('a', ['b']), ('d', []), ('a', ['b']), ('b', ['a']),
        ('a', ['b']),
    ],
    'basic-without-exact': [
        ('a', ['b']), ('e', ['a']), ('a', ['e']), ('d', ['a']), ('a', ['d']), ('c', ['a']),
        ('a', ['c']), ('e', ['a']), ('a', ['c']), ('d', ['a']), ('a', ['c']), ('c', ['a']),
        ('a', ['c']), 'window closed', ('b', ['a']), ('a', ['b']), ('c', ['a']), ('a', ['b']),
        ('d', ['a']), ('a', ['b']), ('e', ['a']), ('a', ['b']),
    ],
    'strict-without-exact': [
        ('a', ['b']), ('e', ['a']), ('a', ['e']), ('d', ['a']), ('a', ['d']), ('c', ['a']),
        ('a', ['c']), ('e', ['a']), ('a', ['c']), ('d', ['a']), ('a', ['c']), ('c', ['a']),
        ('a', ['c']), 'window closed', ('b', ['a']), ('a', ['b']), ('c', []), ('a', ['b']),
        ('d', []), ('a', ['b']), ('e', []), ('a', ['b']),
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXPECTED))
def test_requests_as_10_5(rtpengine_factory, name):
    assert run_learning(rtpengine_factory(*DAEMON_OPTIONS), name) == EXPECTED[name]
