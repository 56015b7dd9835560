"""Media control across kill -9 with Redis (docs/redis.md): block DTMF (its mode, its trigger
and how far the sender's digits went towards it), block media, silence media and the
DTMF-delay's length are in the value's optional per-media "control"; a daemon restarted on
the same Redis drops, silences and delays the restored call's packets as the killed one did.
(Packets waiting in the delay line at the kill are lost: only its length is kept.)
"""

import shutil
import signal
import time

import pytest

from calls import Call, assert_ok, establish, make_sdp, media_section
from process import wait_until
from rtp import MediaPeer, build_rtp, relay_through, rtp_stream
from test_redis import CALLEE, CALLER, redis_server, standby_of, wait_written  # noqa: F401

pytestmark = [
    pytest.mark.upstream_differs("our value schema; upstream's Redis layout differs"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed"),
]

EVENT_PT = 101


def _sdp(peer):
    return make_sdp(peer.host, media_section(peer.port, payload_types=(0, 8, EVENT_PT),
                                             attributes=("sendrecv", "rtpmap:%d telephone-event/8000" % EVENT_PT,
                                                         "fmtp:%d 0-16" % EVENT_PT)))


def _event(digit_event, sequence, timestamp, ssrc, end=False):
    # RFC 4733 section 2.3: event, E bit, volume 10, duration 160
    payload = bytes((digit_event, (0x80 if end else 0) | 10, 0, 160))
    return build_rtp(sequence, timestamp, ssrc, payload_type=EVENT_PT, payload=payload, marker=not end)


def _control(value, media_of_tag):
    """The "control" object of the first media of the monologue with that tag (None: absent)."""
    for monologue in value["monologues"]:
        if monologue["tag"] == media_of_tag:
            return monologue["media"][0].get("control")
    return None


class Dialogue:
    """A call through an active daemon on Redis, both sources learned."""

    def __init__(self, factory, redis, offer_options=None):
        self.factory, self.redis = factory, redis
        self.active = factory("--redis=%s" % redis.url())
        self.caller, self.callee = MediaPeer(CALLER), MediaPeer(CALLEE)
        self.client = redis.client()
        self.setup = establish(self.active, self.caller, self.callee, offer_options=offer_options,
                               offer_sdp=_sdp(self.caller), answer_sdp=_sdp(self.callee))
        self.call = self.setup.call
        assert len(self.forward(rtp_stream(0x11, 2))) == 2
        assert len(self.backward(rtp_stream(0x22, 2))) == 2

    def forward(self, packets, timeout=1.0):
        return [data for data, _ in relay_through(self.caller.rtp, self.setup.caller_sends_to, packets,
                                                  self.callee.rtp, timeout)]

    def backward(self, packets, timeout=1.0):
        return [data for data, _ in relay_through(self.callee.rtp, self.setup.callee_sends_to, packets,
                                                  self.caller.rtp, timeout)]

    def written(self, predicate):
        assert wait_written(self.client, [self.call.call_id], predicate, 5.0), self.client.value(self.call.call_id)

    def take_over(self):
        """kill -9 of the active daemon, a standby on the same addresses restores the call."""
        self.active.stop(signal.SIGKILL)
        standby = standby_of(self.factory, self.active)
        self.call.daemon = standby
        assert wait_until(lambda: standby.ng({"command": "query", "call-id": self.call.call_id})["result"] == "ok",
                          5.0)
        return standby

    def close(self):
        self.client.close()
        self.caller.close()
        self.callee.close()


@pytest.fixture
def dialogue(rtpengine_factory, redis_server):  # noqa: F811
    made = []

    def make(offer_options=None):
        made.append(Dialogue(rtpengine_factory, redis_server, offer_options))
        return made[-1]
    yield make
    for item in made:
        item.close()


def test_block_dtmf_and_block_media_survive_kill_9(dialogue):
    d = dialogue()
    assert_ok(d.call.command("block DTMF", **{"from-tag": d.call.from_tag}))
    assert_ok(d.call.command("block media", **{"from-tag": d.call.to_tag}))
    d.written(lambda value: (_control(value, d.call.from_tag) or {}).get("flags", 0) & 1
              and (_control(value, d.call.to_tag) or {}).get("flags", 0) & 2)
    d.take_over()
    audio = rtp_stream(0x33, 3, first_sequence=2000, payload_type=0)
    events = [_event(5, 3000 + n, 9000, 0x34, end=(n == 2)) for n in range(3)]
    # the caller's events are dropped, its audio passes; the callee's media is blocked
    assert d.forward(events + audio, timeout=0.5) == audio
    assert d.backward(rtp_stream(0x22, 3, first_sequence=500), timeout=0.5) == []
    # the restored call's settings are the commands' to change
    assert_ok(d.call.command("unblock media", **{"from-tag": d.call.to_tag}))
    again = rtp_stream(0x22, 2, first_sequence=600)
    assert d.backward(again) == again
    assert_ok(d.call.command("unblock DTMF", **{"from-tag": d.call.from_tag}))
    events = [_event(5, 3100 + n, 9500, 0x34) for n in range(2)]
    assert d.forward(events) == events


def test_a_tone_mode_comes_back_as_drop_after_kill_9(dialogue):
    """DTMF-security=tone plays the caller's events as tones through a chain a restore does not
    build again: after the takeover the events are dropped (still hidden), not passed."""
    d = dialogue()
    assert_ok(d.call.command("block DTMF", **{"from-tag": d.call.from_tag, "DTMF-security": "tone"}))
    d.written(lambda value: (_control(value, d.call.from_tag) or {}).get("flags", 0) & 1)
    d.take_over()
    audio = rtp_stream(0x33, 3, first_sequence=2000, payload_type=0)
    events = [_event(5, 3000 + n, 9000, 0x34, end=(n == 2)) for n in range(3)]
    assert d.forward(events + audio, timeout=0.5) == audio


def test_silence_media_survives_kill_9(dialogue):
    d = dialogue()
    assert_ok(d.call.command("silence media", **{"from-tag": d.call.from_tag}))
    d.written(lambda value: (_control(value, d.call.from_tag) or {}).get("flags", 0) & 4)
    d.take_over()
    received = d.forward(rtp_stream(0x33, 2, first_sequence=2000, payload_type=0))
    assert len(received) == 2
    # RTP header of 12 bytes, then PCMU silence (0xff) in place of the zero codes sent
    assert all(packet[12:] == b"\xff" * 160 for packet in received)


def test_dtmf_trigger_progress_survives_kill_9(dialogue):
    """The sender's first digit of the trigger "12" before the kill, its second after: the
    restored trigger completes and drops the next event."""
    d = dialogue()
    assert_ok(d.call.command("block DTMF", **{"from-tag": d.call.from_tag, "trigger": "12", "trigger-end": "9",
                                              "DTMF-security-trigger": "drop"}))
    first = [_event(1, 4000 + n, 10000, 0x44, end=(n == 2)) for n in range(3)]
    assert d.forward(first) == first
    d.written(lambda value: ((_control(value, d.call.from_tag) or {}).get("trigger") or {}).get("progress") == 1)
    d.take_over()
    second = [_event(2, 4003 + n, 10800, 0x44, end=(n == 2)) for n in range(3)]
    # the event that completes the trigger still passes (its first packet), as before the kill
    assert d.forward(second, timeout=0.5)[:1] == second[:1]
    blocked = [_event(5, 4006 + n, 11600, 0x44) for n in range(2)]
    assert d.forward(blocked, timeout=0.5) == []
    # the end digit ends the blocking
    end = [_event(9, 4008 + n, 12400, 0x44, end=(n == 1)) for n in range(2)]
    d.forward(end, timeout=0.5)
    after = [_event(3, 4010 + n, 13200, 0x44) for n in range(2)]
    assert d.forward(after) == after


@pytest.mark.parametrize("where", ["block DTMF", "offer"])
def test_dtmf_delay_length_survives_kill_9(dialogue, where):
    delay_ms = 400
    if where == "offer":
        d = dialogue({"DTMF-delay": delay_ms})
    else:
        d = dialogue()
        assert_ok(d.call.command("block DTMF", **{"from-tag": d.call.from_tag, "DTMF-delay": delay_ms}))
    d.written(lambda value: (_control(value, d.call.from_tag) or {}).get("delay_ms") == delay_ms)
    d.take_over()
    audio = rtp_stream(0x55, 1, first_sequence=7000, payload_type=0)
    sent_at = time.monotonic()
    assert d.forward(audio, timeout=3.0) == audio
    waited = time.monotonic() - sent_at
    assert waited >= delay_ms / 1000.0 * 0.9, "delivered after %.3f s" % waited
