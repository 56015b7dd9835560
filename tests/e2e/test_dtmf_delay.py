"""block DTMF's DTMF-delay (daemon/dtmf_delay.c, relay.c): the party's RTP, audio and RFC 4733
events alike, waits the delay in a per-stream line and is judged by the DTMF blocking in force
when it leaves, as upstream documents. Debian's 10.5 (10.5.3.5) answers ok to DTMF-delay in
block DTMF, offer and answer but delays nothing (measured packet by packet on a passthrough
call, with drop, zero, off and silence modes, triggers, inject-DTMF, and on a PCMU->PCMA
transcoded call with and without telephone-event on the answer); what it does consistently in
block DTMF is: events it would let pass (zero, DTMF) leave as their digit's tones, dropped ones
stay dropped. Those tests pass against both daemons; the delay itself is upstream_differs."""

import threading
import time

import pytest

from calls import assert_error, assert_ok
from dtmf_tones import events_of
from rtp import build_rtp, parse_rtp
from test_dtmf_flags import peers  # noqa: F401
from test_dtmf_security import AUDIO, EVENT_PT, event_packets, passthrough_call


class Arrivals:
    """The packets a peer receives, with their arrival times, read by a thread (bounded by
    stop())."""

    def __init__(self, peer):
        self.peer, self.packets, self.stopped = peer, [], False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped:
            item = self.peer.rtp.receive(0.05)
            if item:
                self.packets.append((time.monotonic(), parse_rtp(item[0])))

    def wait_for(self, count, timeout):
        deadline = time.monotonic() + timeout
        while len(self.packets) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.stop()

    def stop(self):
        self.stopped = True
        self.thread.join(1.0)
        return list(self.packets)


def send_timed(peer, destination, packets):
    """Sends 20 ms apart; returns {sequence: send time}."""
    sent = {}
    for packet in packets:
        sent[parse_rtp(packet).sequence] = time.monotonic()
        peer.rtp.send(packet, destination)
        time.sleep(0.02)
    return sent


def audio_packets(first, count, ssrc=0x1234):
    return [build_rtp(1000 + first + n, 160 * (first + n), ssrc, 0, AUDIO[160 * (n % 5):160 * (n % 5 + 1)])
            for n in range(count)]


def audio_event_audio():
    """5 frames of audio, the event "5" (8 packets, same RTP timeline), 5 frames of audio."""
    return audio_packets(0, 5) + event_packets(1005, 160 * 5, 5, 8) + audio_packets(13, 5)


def block(call, **fields):
    return call.command("block DTMF", **dict(fields, **{"from-tag": call.from_tag}))


@pytest.mark.upstream_differs("10.5 answers ok to DTMF-delay but relays at once (measured)")
def test_audio_and_events_wait_the_delay_unchanged(rtpengine_factory, peers):
    """Events that pass as events (a trigger that has not fired, without a mode) wait as the
    audio does."""
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(block(call, **{"DTMF-delay": 300, "trigger": "#"}))
    packets = audio_event_audio()
    arrivals = Arrivals(callee)
    sent = send_timed(caller, destination, packets)
    got = arrivals.wait_for(len(packets), 3.0)
    print([(round(t - sent[p.sequence], 3), p.sequence, p.payload_type) for t, p in got])
    # every packet, in order, with its sequence number, timestamp and payload unchanged
    assert [p.sequence for _, p in got] == [parse_rtp(p).sequence for p in packets]
    assert [(p.timestamp, p.payload) for _, p in got] == [(parse_rtp(p).timestamp, parse_rtp(p).payload)
                                                          for p in packets]
    # each waited the delay (timer granularity: up to a few ms late, never early)
    delays = [t - sent[p.sequence] for t, p in got]
    assert min(delays) >= 0.295 and max(delays) < 0.45, delays
    call.delete()


@pytest.mark.upstream_differs("10.5 delays nothing, so the event has left before the block (measured)")
def test_blocking_in_force_when_the_event_leaves_decides(rtpengine_factory, peers):
    """The event arrives while DTMF passes, and a block DTMF (drop) comes before its delay is
    over: it is dropped; the audio around it still arrives, delayed."""
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(block(call, **{"DTMF-delay": 800, "DTMF-security": "zero"}))
    packets = audio_event_audio()
    arrivals = Arrivals(callee)
    sent = send_timed(caller, destination, packets)
    assert time.monotonic() - min(sent.values()) < 0.75
    assert_ok(block(call, **{"DTMF-security": "drop"}))
    got = arrivals.wait_for(10, 3.0)
    print([(round(t - sent[p.sequence], 3), p.sequence, p.payload_type) for t, p in got])
    assert not events_of([p for _, p in got], EVENT_PT)
    assert [p.sequence for _, p in got] == list(range(1000, 1005)) + list(range(1013, 1018))
    assert min(t - sent[p.sequence] for t, p in got) >= 0.795
    call.delete()


def test_events_let_pass_leave_as_their_tones_under_a_delay(rtpengine_factory, peers):
    """As 10.5 (measured): with a DTMF-delay, DTMF-security zero lets the event through as its
    digit's tone pair in the PCMU stream, no event packet; the audio around it arrives."""
    from test_dtmf_security import frames_of_digit
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(block(call, **{"DTMF-delay": 300, "DTMF-security": "zero"}))
    packets = audio_event_audio()
    arrivals = Arrivals(callee)
    send_timed(caller, destination, packets)
    got = [p for _, p in arrivals.wait_for(len(packets), 3.0)]
    print([(p.sequence, p.timestamp, p.payload_type, p.payload[:4].hex()) for p in got])
    assert not events_of(got, EVENT_PT)
    assert {p.payload_type for p in got} == {0} and len({p.ssrc for p in got}) == 1
    # 120 ms of event: 10.5 plays 6 frames of it
    assert 4 <= len(frames_of_digit(got, 5)) <= 8
    assert len(got) >= 15
    call.delete()


def test_events_are_blocked_under_a_delay(rtpengine_factory, peers):
    """As 10.5: block DTMF with DTMF-delay drops the events; every audio packet arrives."""
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(block(call, **{"DTMF-delay": 200}))
    packets = audio_event_audio()
    arrivals = Arrivals(callee)
    send_timed(caller, destination, packets)
    got = [p for _, p in arrivals.wait_for(10, 3.0)]
    assert not events_of(got, EVENT_PT)
    assert sorted(p.sequence for p in got) == list(range(1000, 1005)) + list(range(1013, 1018))
    call.delete()


def test_a_delay_of_zero_turns_it_off(rtpengine_factory, peers):
    """DTMF-delay 0 in a later block DTMF: packets leave at once again (10.5: always)."""
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(block(call, **{"DTMF-delay": 500, "DTMF-security": "zero"}))
    assert_ok(block(call, **{"DTMF-delay": 0, "DTMF-security": "zero"}))
    packets = audio_packets(0, 3) + event_packets(1003, 160 * 3, 7, 4)
    arrivals = Arrivals(callee)
    sent = send_timed(caller, destination, packets)
    got = arrivals.wait_for(len(packets), 3.0)
    assert len(got) == len(packets)
    assert max(t - sent[p.sequence] for t, p in got) < 0.1
    call.delete()


@pytest.mark.upstream_differs("10.5 answers ok to any DTMF-delay")
@pytest.mark.parametrize("value", [-1, 5001, "soon"])
def test_a_delay_out_of_range_is_refused(rtpengine_factory, peers, value):
    caller, callee = peers
    call, _ = passthrough_call(rtpengine_factory(), caller, callee)
    reply = assert_error(block(call, **{"DTMF-delay": value}))
    assert "DTMF-delay" in reply["error-reason"]
    call.delete()


def test_a_call_deleted_while_packets_wait(rtpengine_factory, peers):
    """The call ends with packets in the line and its timer armed: nothing more leaves, the
    daemon goes on (the fixture fails the test if it crashed) and answers a new call."""
    caller, callee = peers
    daemon = rtpengine_factory()
    call, destination = passthrough_call(daemon, caller, callee)
    assert_ok(block(call, **{"DTMF-delay": 1000, "DTMF-security": "zero"}))
    # replaced while packets wait: the first line drains on its own
    send_timed(caller, destination, audio_packets(0, 3))
    assert_ok(block(call, **{"DTMF-delay": 600, "DTMF-security": "zero"}))
    send_timed(caller, destination, audio_packets(3, 3))
    callee.rtp.drain()   # 10.5 relayed them at once
    arrivals = Arrivals(callee)
    call.delete()
    assert arrivals.wait_for(1, 1.5) == []
    call, destination = passthrough_call(daemon, caller, callee)
    arrivals = Arrivals(callee)
    send_timed(caller, destination, audio_packets(10, 3))
    assert len(arrivals.wait_for(3, 2.0)) == 3
    call.delete()


@pytest.mark.upstream_differs("10.5 with a DTMF-delay plays every event as its tones, the trigger's drop mode "
                              "included (measured); this relay keeps the trigger's modes, as upstream documents")
def test_a_trigger_under_a_delay(rtpengine_factory, peers):
    """Triggers read the events as they leave the line: the same digits pass and are dropped as
    without a delay (test_dtmf_security's end-trigger case; 10.5 alike, undelayed)."""
    from test_dtmf_security import per_digit, send_digits
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(block(call, **{"trigger": "*1", "trigger-end": "#", "DTMF-security-trigger": "drop",
                             "DTMF-delay": 250}))
    arrivals = Arrivals(callee)
    sent = send_digits(caller, destination, "2*134#5")
    got = [p for _, p in arrivals.wait_for(sent - 24, 3.0)]
    counts = per_digit(got, "2*134#5")
    assert {d: c[0] for d, c in counts.items()} == {"2": 6, "*": 6, "1": 1, "3": 0, "4": 0, "#": 5, "5": 6}
    call.delete()
