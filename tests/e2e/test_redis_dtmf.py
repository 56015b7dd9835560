"""Media control across kill -9 with Redis (docs/redis.md): block DTMF (its mode, an audio
mode's tone chain, its trigger, how far the sender's digits went towards it and when it fired),
block media, silence media and the DTMF-delay's length are in the value's optional per-media
"control"; a daemon restarted on the same Redis drops, plays as tones, silences and delays the
restored call's packets as the killed one did. (Packets waiting in the delay line at the kill
are lost: only its length is kept.)
"""

import shutil
import signal
import time

import pytest

from calls import Call, assert_ok, establish, make_sdp, media_section
from process import wait_until
from dtmf_tones import events_of
from rtp import MediaPeer, build_rtp, parse_rtp, relay_through, rtp_stream
from test_dtmf_flags import send_audio
from test_dtmf_security import AUDIO, DIGITS, event_packets, frames_of_digit, send_packets
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


def _tone_frames(d, digit, first):
    """Audio, the RFC 4733 event `digit` (8 packets), audio again from the caller, paced as a
    phone sends them (the tone chain times its frames); the callee's packets: (PCMU frames that
    carry the digit's tone pair, RFC 4733 event packets)."""
    destination = d.setup.caller_sends_to
    d.callee.rtp.drain()
    send_audio(d.caller, destination, AUDIO, first=first)
    send_packets(d.caller, destination, event_packets(1000 + first + 5, 160 * (first + 5), DIGITS.index(digit), 8))
    send_audio(d.caller, destination, AUDIO, first=first + 13)
    got = sorted((parse_rtp(data) for data, _ in d.callee.rtp.receive_all(18, 2.0)), key=lambda p: p.sequence)
    return frames_of_digit(got, digit), events_of(got, EVENT_PT)


@pytest.mark.parametrize("mode", ["tone", "silence"])
def test_an_audio_mode_plays_the_same_tones_after_kill_9(dialogue, mode):
    """DTMF-security silence/tone/random play the caller's events as their digit's tone pair
    through a chain built from the side's first G.711 codec and telephone-event: the value keeps
    those (control.tones) and that the mode is on (as_tones), the standby builds the chain again
    and an event becomes the same tone frames as before the kill."""
    d = dialogue()
    assert_ok(d.call.command("block DTMF", **{"from-tag": d.call.from_tag, "DTMF-security": mode}))
    before, events = _tone_frames(d, "5", 10)
    assert before and not events
    d.written(lambda value: (_control(value, d.call.from_tag) or {}).get("as_tones")
              and (_control(value, d.call.from_tag) or {}).get("tones") == {"audio": 0, "alaw": False,
                                                                             "events": EVENT_PT})
    d.take_over()
    after, events = _tone_frames(d, "5", 40)
    assert not events
    assert [p.payload for p in after] == [p.payload for p in before]
    # the callee's direction is untouched, and unblock DTMF passes the events again
    assert_ok(d.call.command("unblock DTMF", **{"from-tag": d.call.from_tag}))
    tones, events = _tone_frames(d, "7", 70)
    assert not tones and len(events) == 8


def test_a_trigger_with_an_audio_mode_plays_tones_after_kill_9(dialogue):
    """block DTMF with trigger "1" and DTMF-security-trigger silence: fired before the kill,
    the restored trigger plays the next event as its tones (its mode and its chain), and the
    end digit lets the events pass again."""
    d = dialogue()
    assert_ok(d.call.command("block DTMF", **{"from-tag": d.call.from_tag, "trigger": "1", "trigger-end": "#",
                                              "DTMF-security-trigger": "silence"}))
    _tone_frames(d, "1", 10)
    before, events = _tone_frames(d, "5", 30)
    assert before and not events
    d.written(lambda value: ((_control(value, d.call.from_tag) or {}).get("trigger") or {}).get("active")
              and (_control(value, d.call.from_tag) or {}).get("tones"))
    d.take_over()
    after, events = _tone_frames(d, "5", 50)
    assert not events
    assert [p.payload for p in after] == [p.payload for p in before]
    _tone_frames(d, "#", 70)
    tones, events = _tone_frames(d, "7", 90)
    assert not tones and len(events) == 8


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


def test_trigger_end_time_counts_from_the_firing_after_kill_9(dialogue):
    """trigger-end-time 2500 ms, the trigger fired before the kill: the value keeps when it fired
    as wall-clock time (trigger.fired_us), so the restored trigger ends 2.5 s after the firing,
    not 2.5 s after the restore. The kill comes 1 s after the firing: an event 2.8 s after it
    passes, which a trigger counting from the restore would still drop."""
    d = dialogue()
    assert_ok(d.call.command("block DTMF", **{"from-tag": d.call.from_tag, "trigger": "1", "trigger-end-time": 2500,
                                              "DTMF-security-trigger": "drop"}))
    sent_at = time.monotonic()
    fire = [_event(1, 5000 + n, 20000, 0x44, end=(n == 2)) for n in range(3)]
    assert d.forward(fire, timeout=0.3)[:1] == fire[:1]
    d.written(lambda value: ((_control(value, d.call.from_tag) or {}).get("trigger") or {}).get("fired_us"))
    time.sleep(max(0.0, sent_at + 1.0 - time.monotonic()))   # the time that passes is what is tested
    d.take_over()
    if time.monotonic() < sent_at + 2.2:
        # still within the end time: the restored trigger is active
        blocked = [_event(5, 5003 + n, 20800, 0x44) for n in range(2)]
        assert d.forward(blocked, timeout=0.2) == []
    time.sleep(max(0.0, sent_at + 2.8 - time.monotonic()))
    after = [_event(3, 5005 + n, 21600, 0x44) for n in range(2)]
    assert d.forward(after) == after
