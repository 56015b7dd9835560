"""block DTMF's DTMF-security modes that put audio in place of the events (silence, tone,
random; daemon/media_control.c with media_transcode_stage_dtmf_tones()), DTMF triggers with
trigger-end, trigger-end-time and trigger-end-digits (DTMF-delay: test_dtmf_delay.py). Same requests and
media to both daemons (RTPENGINE_BINARY=/usr/bin/rtpengine runs them against 10.5)."""

import math
import struct
import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

from calls import Call, Sdp, assert_error, assert_ok
from dtmf_tones import COLUMNS, KEYPAD, ROWS, events_of, tone_pair, tone_power, ulaw, ulaw_decode
from rtp import build_rtp, parse_rtp
from test_dtmf_flags import CALLEE, CALLER, peers, sdp, send_audio  # noqa: F401

EVENT_PT = 101


def event_packets(first_sequence, timestamp, event, count, ssrc=0x1234):
    """An RFC 4733 event (section 2.5.1): count packets 20 ms apart, the last three the end
    (E bit) with the final duration; volume 10."""
    packets = []
    for n in range(count):
        end = n >= count - 3
        duration = 160 * (min(n, count - 3) + 1)
        payload = bytes((event, (0x80 if end else 0) | 10)) + struct.pack("!H", duration)
        packets.append(build_rtp(first_sequence + n, timestamp, ssrc, EVENT_PT, payload, marker=(n == 0)))
    return packets


def send_packets(peer, destination, packets):
    for packet in packets:
        peer.rtp.send(packet, destination)
        time.sleep(0.02)


def frames_of_digit(packets, digit):
    """The PCMU frames whose strongest row and column are the digit's, each 10 times above the
    other rows and columns (Goertzel over the frame)."""
    row = next(r for r in range(4) if str(digit) in KEYPAD[r])
    low, high = ROWS[row], COLUMNS[KEYPAD[row].index(str(digit))]
    found = []
    for packet in packets:
        if packet.payload_type != 0:
            continue
        power = tone_power(ulaw_decode(packet.payload))
        if power[low] > 10 * max(power[f] for f in ROWS if f != low) and \
           power[high] > 10 * max(power[f] for f in COLUMNS if f != high) and power[low] > 1e10:
            found.append(packet)
    return found


def passthrough_call(daemon, caller, callee):
    """PCMU and telephone-event both ways, not transcoded: (call, where the caller sends)."""
    call = Call(daemon)
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), {}))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, EVENT_PT)), {}))
    return call, Sdp(answer["sdp"]).media_address()


AUDIO = ulaw([int(1000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160 * 5)])


def send_event_then_inband(caller, destination):
    """5 frames of audio, the event "5" (8 packets: 120 ms), 5 frames of audio, 10 frames of
    the in-band digit "7", 5 frames of audio; returns how many packets were sent."""
    send_audio(caller, destination, AUDIO)
    send_packets(caller, destination, event_packets(1005, 160 * 5, 5, 8))
    send_audio(caller, destination, AUDIO, first=13)
    send_audio(caller, destination, ulaw(tone_pair(7, 160 * 10)), first=18)
    send_audio(caller, destination, AUDIO, first=28)
    return 33


@pytest.mark.parametrize("mode", ["silence", "tone", "random"])
def test_audio_modes_play_the_event_as_its_tone(rtpengine_factory, peers, mode):
    """As 10.5 (10.5.3.5, measured with this test) on a call it does not transcode: with any of
    the three modes the caller's RFC 4733 event leaves as its own digit's tone pair in its PCMU
    stream (same SSRC; 10.5 applies neither the mode nor frequency/volume there), no event
    packet reaches the callee, and in-band digits pass as they came."""
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(call.command("block DTMF", **{"from-tag": call.from_tag, "DTMF-security": mode,
                                            "frequency": 600, "volume": 20}))
    sent = send_event_then_inband(caller, destination)
    got = sorted((parse_rtp(d) for d, _ in callee.rtp.receive_all(sent, 3.0)), key=lambda p: p.sequence)
    print(mode, [(p.sequence, p.timestamp, p.payload_type, p.payload[:4].hex()) for p in got])
    assert not events_of(got, EVENT_PT)
    assert {p.payload_type for p in got} == {0}
    assert len({p.ssrc for p in got}) == 1
    tone = frames_of_digit(got, 5)
    # 120 ms of event: 10.5 plays 6 frames of it
    assert 4 <= len(tone) <= 8, [p.sequence for p in tone]
    assert len(frames_of_digit(got, 7)) >= 8
    assert len(got) >= 25
    call.delete()


def alaw_decode(payload):
    return struct.unpack("<%dh" % len(payload), audioop.alaw2lin(payload, 2))


@pytest.mark.parametrize("mode", ["silence", "random"])
def test_audio_modes_on_a_transcoded_call(rtpengine_factory, peers, mode):
    """As 10.5 (measured): PCMU to PCMA with telephone-event on both sides, the caller's event
    leaves as its digit's tones in the PCMA the callee gets, in-band digits pass."""
    caller, callee = peers
    call = Call(rtpengine_factory())
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), {"codec": {"transcode": ["PCMA"]}}))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (8, EVENT_PT)), {}))
    assert_ok(call.command("block DTMF", **{"from-tag": call.from_tag, "DTMF-security": mode}))
    sent = send_event_then_inband(caller, Sdp(answer["sdp"]).media_address())
    got = sorted((parse_rtp(d) for d, _ in callee.rtp.receive_all(sent, 3.0)), key=lambda p: p.sequence)
    print(mode, [(p.sequence, p.timestamp, p.payload_type, p.payload[:4].hex()) for p in got])
    assert not events_of(got, EVENT_PT)
    assert {p.payload_type for p in got} == {8}
    as_pcmu = [p._replace(payload_type=0, payload=ulaw(alaw_decode(p.payload))) for p in got]
    assert 4 <= len(frames_of_digit(as_pcmu, 5)) <= 8
    assert len(frames_of_digit(as_pcmu, 7)) >= 8
    # unblocked: the events are mapped again
    assert_ok(call.command("unblock DTMF", **{"from-tag": call.from_tag}))
    callee.rtp.drain()
    send_packets(caller, Sdp(answer["sdp"]).media_address(), event_packets(1033, 160 * 33, 3, 8))
    events = events_of([parse_rtp(d) for d, _ in callee.rtp.receive_all(8, 3.0)], EVENT_PT)
    assert events and {p.payload[0] for p in events} == {3}
    call.delete()


def test_unblock_dtmf_after_an_audio_mode_relays_events_again(rtpengine_factory, peers):
    caller, callee = peers
    call, destination = passthrough_call(rtpengine_factory(), caller, callee)
    assert_ok(call.command("block DTMF", **{"from-tag": call.from_tag, "DTMF-security": "silence"}))
    send_audio(caller, destination, AUDIO)
    send_packets(caller, destination, event_packets(1005, 160 * 5, 5, 8))
    first = [parse_rtp(d) for d, _ in callee.rtp.receive_all(11, 3.0)]
    assert not events_of(first, EVENT_PT) and frames_of_digit(first, 5)
    assert_ok(call.command("unblock DTMF", **{"from-tag": call.from_tag}))
    callee.rtp.drain()
    send_audio(caller, destination, AUDIO, first=13)
    send_packets(caller, destination, event_packets(1018, 160 * 18, 3, 8))
    send_audio(caller, destination, AUDIO, first=26)
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(18, 3.0)]
    events = events_of(got, EVENT_PT)
    print("after unblock", [(p.sequence, p.payload_type, p.payload[:4].hex()) for p in got])
    assert events and {p.payload[0] for p in events} == {3}
    assert not frames_of_digit(got, 3)
    call.delete()


def test_the_callees_events_are_not_touched(rtpengine_factory, peers):
    """An audio mode for the caller leaves the callee's direction alone."""
    caller, callee = peers
    call = Call(rtpengine_factory())
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), {}))
    assert_ok(call.answer(sdp(CALLEE, callee.port, (0, EVENT_PT)), {}))
    callee_sends_to = Sdp(offer["sdp"]).media_address()
    assert_ok(call.command("block DTMF", **{"from-tag": call.from_tag, "DTMF-security": "tone"}))
    send_audio(callee, callee_sends_to, AUDIO, ssrc=0x4321)
    send_packets(callee, callee_sends_to, event_packets(1005, 160 * 5, 9, 8, ssrc=0x4321))
    got = [parse_rtp(d) for d, _ in caller.rtp.receive_all(13, 3.0)]
    events = events_of(got, EVENT_PT)
    assert len(events) == 8 and {p.payload[0] for p in events} == {9}
    call.delete()


# ---------------------------------------------------------------- DTMF triggers

DIGITS = "0123456789*#ABCD"


def send_digits(caller, destination, digits, first=5, pause=None):
    """Audio, then each digit as an RFC 4733 event of 6 packets (60 ms) followed by 5 frames of
    audio, one RTP timeline; pause: {index: seconds} slept before that digit. Returns the next
    sequence offset."""
    send_audio(caller, destination, AUDIO[:160 * first])
    offset = first
    for index, digit in enumerate(digits):
        if pause and index in pause:
            time.sleep(pause[index])
        send_packets(caller, destination, event_packets(1000 + offset, 160 * offset, DIGITS.index(digit), 6))
        offset += 6
        send_audio(caller, destination, AUDIO, first=offset)
        offset += 5
    return offset


def per_digit(got, digits):
    """{digit: (event packets, frames of its tone)} over the whole stream the callee got."""
    events = events_of(got, EVENT_PT)
    return {d: (len([p for p in events if p.payload[0] == DIGITS.index(d)]), len(frames_of_digit(got, d)))
            for d in digits}


def trigger_call(daemon, caller, callee, options):
    call, destination = passthrough_call(daemon, caller, callee)
    assert_ok(call.command("block DTMF", **dict(options, **{"from-tag": call.from_tag})))
    return call, destination


@pytest.mark.parametrize("options, blocked", [
    # as 10.5 (measured with this test): the event that completes the trigger has its first
    # packet passed, the rest dropped; the first packet of the end trigger's last event is
    # still dropped, the rest passes
    ({"trigger": "*1", "trigger-end": "#", "DTMF-security-trigger": "drop"},
     {"2": 6, "*": 6, "1": 1, "3": 0, "4": 0, "#": 5, "5": 6}),
    # without trigger-end the mode stays
    ({"trigger": "*1", "DTMF-security-trigger": "drop"}, {"2": 6, "*": 6, "1": 1, "3": 0, "4": 0, "#": 0, "5": 0}),
    # a trigger whose digits come apart does not fire
    ({"trigger": "21", "DTMF-security-trigger": "drop"}, {"2": 6, "*": 6, "1": 6, "3": 6, "4": 6, "#": 6, "5": 6}),
    # without DTMF-security-trigger nothing changes (10.5 blocks nothing)
    ({"trigger": "*1", "trigger-end": "#"}, {"2": 6, "*": 6, "1": 6, "3": 6, "4": 6, "#": 6, "5": 6}),
    # trigger-end-digits: the second digit after the trigger ends the mode, its first packet
    # still dropped (as an end trigger's last event)
    ({"trigger": "*1", "trigger-end": "#", "trigger-end-digits": 2, "DTMF-security-trigger": "drop"},
     {"2": 6, "*": 6, "1": 1, "3": 0, "4": 5, "#": 6, "5": 6}),
    # the same as a string, under its other name
    ({"trigger": "*1", "trigger-end": "#", "end trigger digits": "1", "DTMF-security-trigger": "drop"},
     {"2": 6, "*": 6, "1": 1, "3": 5, "4": 6, "#": 6, "5": 6}),
    # whichever comes first: the end trigger here
    ({"trigger": "*1", "trigger-end": "#", "trigger-end-digits": 5, "DTMF-security-trigger": "drop"},
     {"2": 6, "*": 6, "1": 1, "3": 0, "4": 0, "#": 5, "5": 6}),
    # 10.5 counts digits only when a trigger-end is given: without one the mode stays
    ({"trigger": "*1", "trigger-end-digits": 2, "DTMF-security-trigger": "drop"},
     {"2": 6, "*": 6, "1": 1, "3": 0, "4": 0, "#": 0, "5": 0}),
], ids=["end-trigger", "no-end", "no-match", "no-mode", "end-digits", "end-digits-string", "end-first",
        "end-digits-without-end"])
def test_trigger_drops_events_between_trigger_and_end(rtpengine_factory, peers, options, blocked):
    caller, callee = peers
    call, destination = trigger_call(rtpengine_factory(), caller, callee, options)
    sent = send_digits(caller, destination, "2*134#5")
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(sent, 3.0)]
    counts = per_digit(got, "2*134#5")
    print(counts)
    assert {d: c[0] for d, c in counts.items()} == blocked
    call.delete()


def test_trigger_end_digits_with_an_audio_mode(rtpengine_factory, peers):
    """As 10.5: the digits after the trigger leave as tones until trigger-end-digits of them
    came (the last one's first packet still as tone), then as events."""
    caller, callee = peers
    call, destination = trigger_call(rtpengine_factory(), caller, callee,
                                     {"trigger": "*1", "trigger-end": "#", "trigger-end-digits": 2,
                                      "DTMF-security-trigger": "silence"})
    sent = send_digits(caller, destination, "2*1345")
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(sent + 40, 2.0)]
    counts = per_digit(got, "2*1345")
    print(counts)
    assert [counts[d][0] for d in "2*345"] == [6, 6, 0, 5, 6]
    assert counts["1"][0] <= 1 and counts["3"][1] >= 3 and counts["5"][1] == 0
    call.delete()


def test_trigger_with_an_audio_mode_plays_events_as_tones(rtpengine_factory, peers):
    """As 10.5: between trigger and end the events leave as their tones (silence, tone and
    random alike); before and after as events. (We also fill the event's time with silence
    frames before the trigger, as our chains do; 10.5 does not.)"""
    caller, callee = peers
    call, destination = trigger_call(rtpengine_factory(), caller, callee,
                                     {"trigger": "*1", "trigger-end": "#", "DTMF-security-trigger": "silence"})
    sent = send_digits(caller, destination, "2*134#5")
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(sent + 40, 2.0)]
    counts = per_digit(got, "2*134#5")
    print(counts, [(p.sequence, p.timestamp, p.payload.hex()) for p in sorted(events_of(got, EVENT_PT), key=lambda p: p.sequence)])
    assert [counts[d][0] for d in "2*5"] == [6, 6, 6]
    assert counts["1"][0] <= 1 and counts["3"][0] == 0 and counts["4"][0] == 0
    assert all(counts[d][1] >= 3 for d in "134"), counts
    assert counts["#"][0] >= 4 and counts["#"][1] <= 1
    assert len({p.ssrc for p in got}) == 1
    call.delete()


def test_trigger_end_time(rtpengine_factory, peers):
    """trigger-end-time: an event that starts that long after the trigger passes again."""
    caller, callee = peers
    call, destination = trigger_call(rtpengine_factory(), caller, callee,
                                     {"trigger": "*1", "trigger-end-time": 500, "DTMF-security-trigger": "drop"})
    sent = send_digits(caller, destination, "*134", pause={3: 0.8})
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(sent, 3.0)]
    counts = per_digit(got, "*134")
    print(counts)
    assert {d: c[0] for d, c in counts.items()} == {"*": 6, "1": 1, "3": 0, "4": 6}
    call.delete()


def test_unblock_dtmf_ends_a_trigger(rtpengine_factory, peers):
    caller, callee = peers
    call, destination = trigger_call(rtpengine_factory(), caller, callee,
                                     {"trigger": "*", "DTMF-security-trigger": "drop"})
    send_digits(caller, destination, "*3")
    callee.rtp.drain()
    assert_ok(call.command("unblock DTMF", **{"from-tag": call.from_tag}))
    send_packets(caller, destination, event_packets(1100, 160 * 100, DIGITS.index("4"), 6))
    assert len(events_of([parse_rtp(d) for d, _ in callee.rtp.receive_all(6, 3.0)], EVENT_PT)) == 6
    call.delete()


@pytest.mark.upstream_differs("10.5 answers ok to a trigger with characters that are no DTMF digit")
def test_trigger_with_bad_digits_is_refused(rtpengine_factory, peers):
    caller, callee = peers
    call, _ = passthrough_call(rtpengine_factory(), caller, callee)
    assert_error(call.command("block DTMF", **{"from-tag": call.from_tag, "trigger": "1x",
                                               "DTMF-security-trigger": "drop"}))
    call.delete()
