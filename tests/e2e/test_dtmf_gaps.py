"""The DTMF gaps of issue 15 closed as 10.5 does: inject-DTMF given in the answer
(media_transcode.c), injected events on Opus with telephone-event at 8000 and 48000 Hz
(codec_chain.c, RFC 4733 section 2.5), detect-DTMF on every negotiated audio codec
(media_dtmf_detect.c). Runs against both daemons (RTPENGINE_BINARY=/usr/bin/rtpengine)."""

import json
import math
import socket
import struct
import subprocess
import time

import pytest

from calls import Call, Sdp, assert_ok
from dtmf_tones import (alaw, assert_tone_of, dtmf_reports, dtmf_sink, durations,  # noqa: F401
                        events_of, pair_level_dbm0, tone_pair, ulaw, ulaw_decode)
from rtp import MediaPeer, build_rtp, parse_rtp
from test_dtmf_flags import CALLER, CALLEE, MAPS, peers, sdp, send_audio  # noqa: F401
from test_transcode import Opus


# ---------------------------------------------------------------- inject-DTMF in the answer

@pytest.mark.parametrize("where, who, injected", [
    ("answer", "caller", True), ("offer", "callee", True), ("answer", "callee", False), ("offer", "caller", False)])
def test_inject_dtmf_in_one_message(rtpengine_factory, peers, who, where, injected):
    """As 10.5: the flag puts a chain only into the stream towards the side whose message had
    it (offer: the callee's stream, towards the caller; answer: the caller's); play DTMF as the
    other party answers ok and injects nothing (its packets are relayed as they came)."""
    daemon = rtpengine_factory()
    caller, callee = peers
    call = Call(daemon)
    flags = {"flags": ["inject-DTMF"]}
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 101)), flags if where == "offer" else {}))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 101)), flags if where == "answer" else {}))
    caller_sends_to, callee_sends_to = Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()
    if who == "caller":
        sender, receiver, destination, tag = caller, callee, caller_sends_to, call.from_tag
    else:
        sender, receiver, destination, tag = callee, caller, callee_sends_to, call.to_tag
    audio = ulaw([int(1000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160 * 50)])
    sent = send_audio(sender, destination, audio[:160 * 20])
    assert_ok(call.command("play DTMF", **{"from-tag": tag, "code": "4", "duration": 100, "volume": 10}))
    sent += send_audio(sender, destination, audio[160 * 20:], first=20)
    got = [parse_rtp(d) for d, _ in receiver.rtp.receive_all(60, 3.0)]
    events = events_of(got, 101)
    print("inject-DTMF in the %s (%s): %d packets, events %s" % (where, who, len(got), [(p.sequence, p.payload.hex()) for p in events]))
    # into the sender's own stream (its SSRC), not a stream of its own
    assert len({p.ssrc for p in got}) == 1
    if not injected:
        assert not events
        assert [p.payload for p in got] == [parse_rtp(p).payload for p in sent]
        call.delete()
        return
    assert events, "no RFC 4733 events among %d packets" % len(got)
    assert {p.payload[0] for p in events} == {4}
    assert durations(events) == [160, 320, 480, 640, 800, 960, 960, 960], durations(events)
    call.delete()


def test_inject_dtmf_in_a_re_offer_and_kept_after_it(rtpengine_factory, peers):
    """Given in a re-offer it sets injection up; a later re-offer without it keeps it (10.5's
    flag belongs to the party for the rest of the call)."""
    daemon = rtpengine_factory()
    caller, callee = peers
    call = Call(daemon)
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, 101)), {}))
    assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 101)), {}))
    audio = ulaw([int(1000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160 * 50)])
    for round, flags in enumerate((["inject-DTMF"], [])):
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 101)), {"flags": flags}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 101)), {"flags": flags}))
        caller_sends_to, callee_sends_to = Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()
        callee.rtp.drain()
        # the second round goes on in the caller's numbering
        send_audio(caller, caller_sends_to, audio[:160 * 20], first=100 * round)
        assert_ok(call.command("play DTMF", **{"from-tag": call.from_tag, "code": "4", "duration": 100, "volume": 10}))
        send_audio(caller, caller_sends_to, audio[160 * 20:], first=100 * round + 20)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(52, 3.0)]
        events = events_of(got, 101)
        print("re-offer %s: %d packets, events %s" % (flags, len(got), [p.payload.hex() for p in events]))
        assert events and len({p.ssrc for p in got}) == 1, "not injected into the caller's stream"
        assert durations(events) == [160, 320, 480, 640, 800, 960, 960, 960], durations(events)
    call.delete()


# ---------------------------------------------------------------- a digit across a codec switch

def switching_tone(digit, first_payload_type=0, second_payload_type=8):
    """300 ms silence, 200 ms of the digit, 500 ms silence: the first 20 packets (100 ms of the
    tone) in the first codec, the rest in the second (RFC 3264 section 6.1 lets a sender switch
    among the answer's codecs); returns (payload type, G.711 payload) per 20 ms packet."""
    pcm = [0] * 2400 + tone_pair(digit, 1600) + [0] * 4000
    encode = {0: ulaw, 8: alaw}
    return [(pt, encode[pt](pcm[160 * i:160 * (i + 1)]))
            for i, pt in ((i, first_payload_type if i < 20 else second_payload_type) for i in range(len(pcm) // 160))]


def send_packets(peer, destination, packets, ssrc=0x1234):
    for i, (payload_type, payload) in enumerate(packets):
        peer.rtp.send(build_rtp(1000 + i, 160 * i, ssrc, payload_type, payload), destination)
        time.sleep(0.02)


def test_inband_digit_across_a_codec_switch_becomes_events(rtpengine_factory, dtmf_sink, peers):
    """The caller has no telephone-event; `transcode: telephone-event` adds it and the callee
    takes it beside PCMU and PCMA. As 10.5 the answer to the caller is PCMU and PCMA (no events)
    and the caller's in-band digit reaches the callee as RFC 4733 events and --dtmf-log-dest,
    also when the caller switches from PCMU to PCMA in the middle of the tone. 10.5 decodes each
    codec on its own and reports only the part after the switch (102 ms, measured; the first
    part's event is never ended); one detector for the stream reports the whole tone."""
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = peers
    call = Call(daemon)
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 8)), {"codec": {"transcode": ["telephone-event"]}}))
    assert Sdp(offer["sdp"]).medias[0].formats == ["0", "8", "96"]
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 8, 96), maps={96: "telephone-event/8000"})))
    assert Sdp(answer["sdp"]).medias[0].formats == ["0", "8"]
    packets = switching_tone(5)
    send_packets(caller, Sdp(answer["sdp"]).media_address(), packets)
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(len(packets) + 20, 2.0)]
    events = sorted(events_of(got, 96), key=lambda p: p.sequence)
    print("events", [(p.sequence, p.timestamp, p.payload.hex()) for p in events])
    assert events and {p.payload[0] for p in events} == {5}
    assert [p for p in events if p.payload[1] & 0x80], "the event ends (RFC 4733 section 2.5.1.4)"
    assert len([p for p in got if p.payload_type in (0, 8)]) >= 30
    reports = dtmf_reports(dtmf_sink)
    print("reports", reports)
    assert len(reports) == 1
    assert (reports[0]["callid"], reports[0]["event"], reports[0]["source_tag"]) == (call.call_id, 5, call.from_tag)
    assert 80 <= reports[0]["duration"] <= 260, reports[0]["duration"]
    call.delete()


def test_inject_dtmf_relays_the_senders_other_codec(rtpengine_factory, peers):
    """As 10.5: with inject-DTMF the answer keeps the callee's codecs, and a caller that switches
    from PCMU to PCMA after an injected digit has its PCMA relayed (our chain passes it)."""
    daemon = rtpengine_factory()
    caller, callee = peers
    call = Call(daemon)
    flags = {"flags": ["inject-DTMF"]}
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, 8, 101)), flags))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 8, 101)), flags))
    assert Sdp(answer["sdp"]).medias[0].formats == ["0", "8", "101"]
    caller_sends_to = Sdp(answer["sdp"]).media_address()
    audio = [int(1000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160 * 50)]
    send_audio(caller, caller_sends_to, ulaw(audio[:160 * 20]))
    assert_ok(call.command("play DTMF", **{"from-tag": call.from_tag, "code": "4", "duration": 100, "volume": 10}))
    send_audio(caller, caller_sends_to, ulaw(audio[160 * 20:160 * 30]), first=20)
    send_audio(caller, caller_sends_to, alaw(audio[160 * 30:]), first=30, payload_type=8)
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(60, 3.0)]
    events = events_of(got, 101)
    print("payload types", [p.payload_type for p in sorted(got, key=lambda p: p.sequence)])
    assert {p.payload[0] for p in events} == {4}
    assert durations(events) == [160, 320, 480, 640, 800, 960, 960, 960], durations(events)
    assert len(events_of(got, 8)) == 20
    assert len({p.ssrc for p in got}) == 1
    call.delete()


# ---------------------------------------------------------------- play DTMF's duration and pause

def inject_dtmf_call(daemon, caller, callee, answer_payload_types=(0, 101)):
    """PCMU and telephone-event offered, inject-DTMF in offer and answer: (call, where the
    caller sends)."""
    call = Call(daemon)
    flags = {"flags": ["inject-DTMF"]}
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, 101)), flags))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, answer_payload_types), flags))
    return call, Sdp(answer["sdp"]).media_address()


UPDATES_100MS = [160, 320, 480, 640, 800, 960, 960, 960]


@pytest.mark.parametrize("requests, expected", [
    # 10.5's default duration is 250 ms: updates every 20 ms until it is reached, the end a frame later
    ([{"code": "5"}], [(0, 5, [160 * n for n in range(1, 14)] + [2240] * 3)]),
    # shorter than 100 ms plays as 100 ms
    ([{"code": "3", "duration": 40, "volume": 3}], [(0, 3, UPDATES_100MS)]),
    # a negative volume is the same level (dB below 0 dBm0 either way)
    ([{"code": "#", "duration": 100, "volume": -10}], [(0, 11, UPDATES_100MS)]),
    # a request while one plays waits: it starts at the first one's start + duration + the
    # pause (100 ms unless given)
    ([{"code": "1", "duration": 100}, {"code": "2", "duration": 100}],
     [(0, 1, UPDATES_100MS), (1600, 2, UPDATES_100MS)]),
    ([{"code": "1", "duration": 100}, {"code": "2", "duration": 100, "pause": 200}, {"code": "#", "duration": 100}],
     [(0, 1, UPDATES_100MS), (2400, 2, UPDATES_100MS), (4000, 11, UPDATES_100MS)]),
], ids=["default-duration", "short", "negative-volume", "queued", "queued-pause"])
def test_play_dtmf_duration_and_queue(rtpengine_factory, peers, requests, expected):
    caller, callee = peers
    call, caller_sends_to = inject_dtmf_call(rtpengine_factory(), caller, callee)
    audio = ulaw([int(1000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160 * 70)])
    send_audio(caller, caller_sends_to, audio[:160 * 10])
    for request in requests:
        assert_ok(call.command("play DTMF", **dict(request, **{"from-tag": call.from_tag})))
    send_audio(caller, caller_sends_to, audio[160 * 10:], first=10)
    got = sorted((parse_rtp(d) for d, _ in callee.rtp.receive_all(90, 3.0)), key=lambda p: p.sequence)
    events = events_of(got, 101)
    starts = sorted({p.timestamp for p in events})
    found = [((ts - starts[0]) & 0xffffffff, [p.payload[0] for p in events if p.timestamp == ts][0],
              durations([p for p in events if p.timestamp == ts])) for ts in starts]
    print("events", found, "volumes", {p.payload[1] & 0x3f for p in events})
    assert found == expected
    if "volume" in requests[0]:
        assert {p.payload[1] & 0x3f for p in events} == {abs(requests[0]["volume"])}
    call.delete()


@pytest.mark.upstream_differs("10.5 writes 63 into the events' volume field when play DTMF gives no volume "
                              "(measured: -63 dBm0, all but silent to a receiver that plays it); we use 8, "
                              "its documented default of -8 dB")
def test_play_dtmf_default_volume(rtpengine_factory, peers):
    caller, callee = peers
    call, caller_sends_to = inject_dtmf_call(rtpengine_factory(), caller, callee)
    silence = ulaw([0] * 160 * 30)
    send_audio(caller, caller_sends_to, silence[:160 * 5])
    assert_ok(call.command("play DTMF", **{"from-tag": call.from_tag, "code": "9", "duration": 100}))
    send_audio(caller, caller_sends_to, silence[160 * 5:], first=5)
    events = events_of([parse_rtp(d) for d, _ in callee.rtp.receive_all(30, 3.0)], 101)
    assert events and {p.payload[1] & 0x3f for p in events} == {8}
    call.delete()


# ---------------------------------------------------------------- volumes: the tone pair's power

@pytest.mark.parametrize("volume", [8, 20])
def test_injected_tone_level_is_the_pairs(rtpengine_factory, peers, volume):
    """As 10.5 (measured): play DTMF's volume is the level of both tones together, each tone 3 dB
    below it (in-band: the callee has no telephone-event)."""
    caller, callee = peers
    call, caller_sends_to = inject_dtmf_call(rtpengine_factory(), caller, callee, answer_payload_types=(0,))
    silence = ulaw([0] * 160 * 30)
    send_audio(caller, caller_sends_to, silence[:160 * 5])
    assert_ok(call.command("play DTMF", **{"from-tag": call.from_tag, "code": "9", "duration": 200, "volume": volume}))
    send_audio(caller, caller_sends_to, silence[160 * 5:], first=5)
    got = sorted((parse_rtp(d) for d, _ in callee.rtp.receive_all(30, 3.0)), key=lambda p: p.sequence)
    frames = [ulaw_decode(p.payload) for p in got if p.payload_type == 0]
    tone = [x for frame in frames if max(abs(v) for v in frame) > 100 for x in frame]
    assert len(tone) >= 160 * 8, len(tone)
    level = pair_level_dbm0(tone, 9)
    print("volume %d: the pair at %.1f dBm0" % (volume, level))
    assert abs(level + volume) <= 1.5, level


def test_detected_volume_is_the_pairs(rtpengine_factory, dtmf_sink):
    """As 10.5 (measured): an in-band digit of two tones at -10.3 dBm0 each (20 log(7000 / DBM0_AMPLITUDE)) is reported (and
    sent as RFC 4733 events) at volume 7, their power together."""
    from test_dtmf_translation import translated_call
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call, caller_sends_to, _ = translated_call(daemon, caller, callee)
        send_audio(caller, caller_sends_to, ulaw([0] * 1600 + tone_pair(5, 1600, amplitude=7000) + [0] * 3200),
                   pace=0.01)
        got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(60, 3.0)]
        events = events_of(got, 96)
        assert events and {p.payload[1] & 0x3f for p in events} == {7}
        reports = dtmf_reports(dtmf_sink)
        assert [(r["event"], r["volume"]) for r in reports] == [(5, 7)]
        call.delete()
    finally:
        caller.close()
        callee.close()


# ---------------------------------------------------------------- inject-DTMF on Opus

@pytest.mark.parametrize("event_pt", [101, 102], ids=["telephone-event-8000", "telephone-event-48000"])
def test_inject_dtmf_on_opus_uses_the_event_clock(rtpengine_factory, peers, event_pt):
    daemon = rtpengine_factory()
    caller, callee = peers
    call = Call(daemon)
    flags = {"flags": ["inject-DTMF"]}
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (96, event_pt)), flags))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (96, event_pt)), flags))
    assert Sdp(answer["sdp"]).medias[0].formats == ["96", str(event_pt)]
    caller_sends_to = Sdp(answer["sdp"]).media_address()
    opus = Opus()
    try:
        frames = [opus.encode([int(1000 * math.sin(2 * math.pi * 440 * (960 * i + n) / 48000)) for n in range(960)])
                  for i in range(50)]
    finally:
        opus.close()
    for i, frame in enumerate(frames[:20]):
        caller.rtp.send(build_rtp(1000 + i, 960 * i, 0x1234, 96, frame), caller_sends_to)
        time.sleep(0.02)
    assert_ok(call.command("play DTMF", **{"from-tag": call.from_tag, "code": "4", "duration": 100, "volume": 10}))
    for i, frame in enumerate(frames[20:], start=20):
        caller.rtp.send(build_rtp(1000 + i, 960 * i, 0x1234, 96, frame), caller_sends_to)
        time.sleep(0.02)
    got = sorted((parse_rtp(d) for d, _ in callee.rtp.receive_all(60, 3.0)), key=lambda p: p.sequence)
    events = events_of(got, event_pt)
    audio = events_of(got, 96)
    print("opus + %s: audio ts %s" % (MAPS[event_pt], [p.timestamp - got[0].timestamp for p in audio]))
    print("events: %s" % [(p.sequence, p.timestamp - got[0].timestamp, p.payload.hex()) for p in events])
    if event_pt == 101:
        # as 10.5: telephone-event/8000 is not at Opus's clock (RFC 4733 section 2.1), so the
        # digit is played in-band: "4" is 770 + 1209 Hz
        assert not events
        opus = Opus()
        try:
            pcm = [x for p in audio for x in opus.decode(p.payload)][::6]   # 8 kHz is enough here
        finally:
            opus.close()
        assert_tone_of(pcm, 4)
        call.delete()
        return
    assert events, "no RFC 4733 events among %d packets" % len(got)
    # RFC 4733 section 2.5.1.2: durations in the event's 48 kHz units, 960 per 20 ms frame
    assert durations(events) == [960 * n for n in (1, 2, 3, 4, 5, 6, 6, 6)], durations(events)
    assert len({p.timestamp for p in events}) == 1
    # the event starts one frame after the audio before it and the audio after it resumes
    # where the event ended, all at 48 kHz in the caller's stream
    before = [p for p in audio if p.sequence < events[0].sequence]
    after = [p for p in audio if p.sequence > events[-1].sequence]
    assert events[0].timestamp - before[-1].timestamp == 960
    assert after[0].timestamp - events[0].timestamp == durations(events)[-1]
    assert len({p.ssrc for p in got}) == 1
    call.delete()


# ---------------------------------------------------------------- detect-DTMF on every codec

DETECT_DIFFERS = pytest.mark.upstream_differs(
    "10.5 (10.5.3.5) accepts detect-DTMF but reports nothing for in-band tones of a call it does not "
    "transcode (test_dtmf_flags.py)")


@DETECT_DIFFERS
@pytest.mark.parametrize("switch", [True, False], ids=["pcmu-then-pcma", "second-codec-only"])
def test_detect_dtmf_decodes_every_negotiated_codec(rtpengine_factory, dtmf_sink, peers, switch):
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = peers
    call = Call(daemon)
    flags = {"flags": ["detect-DTMF"]}
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 8, 101)), flags))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 8, 101)), flags))
    assert Sdp(offer["sdp"]).medias[0].formats == ["0", "8", "101"]
    caller_sends_to = Sdp(answer["sdp"]).media_address()
    sent = 0
    if switch:
        # RFC 3264 section 5.1: any codec of the answer may be sent, and changed mid-stream
        sent += len(send_audio(caller, caller_sends_to, ulaw([0] * 2400)))
    # "7" in PCMA (the answer's second codec) only
    sent += len(send_audio(caller, caller_sends_to, alaw([0] * 800 + tone_pair(7, 1600) + [0] * 4000),
                           first=sent, payload_type=8))
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(sent, 3.0)]
    assert len(got) == sent
    report = json.loads(dtmf_sink.recv(4096))
    print("detect-DTMF report:", report)
    assert (report["callid"], report["type"], report["event"]) == (call.call_id, "DTMF", 7)
    assert 120 <= report["duration"] <= 260, report["duration"]
    dtmf_sink.settimeout(0.3)
    with pytest.raises(socket.timeout):
        dtmf_sink.recv(4096)
    call.delete()


@DETECT_DIFFERS
def test_detect_dtmf_digit_across_a_codec_switch_is_one_digit(rtpengine_factory, dtmf_sink, peers):
    """A tone the caller starts in PCMU and ends in PCMA: one detector for the stream's codecs at
    the same clock (media_dtmf_detect.c) reports it once, with its whole length."""
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = peers
    call = Call(daemon)
    flags = {"flags": ["detect-DTMF"]}
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, 8, 101)), flags))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 8, 101)), flags))
    packets = switching_tone(7)
    send_packets(caller, Sdp(answer["sdp"]).media_address(), packets)
    got = [parse_rtp(d) for d, _ in callee.rtp.receive_all(len(packets), 3.0)]
    assert [(p.payload_type, p.payload) for p in got] == packets
    reports = dtmf_reports(dtmf_sink)
    print("reports", reports)
    assert [r["event"] for r in reports] == [7]
    assert 150 <= reports[0]["duration"] <= 260, reports[0]["duration"]
    call.delete()


def g722(pcm16k):
    """G.722 by ffmpeg's encoder: 16 kHz samples -> 160 bytes per 20 ms."""
    encoded = subprocess.run(["ffmpeg", "-v", "error", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-",
                              "-c:a", "g722", "-f", "g722", "-"], input=struct.pack("<%dh" % len(pcm16k), *pcm16k),
                             capture_output=True, check=True, timeout=30).stdout
    assert len(encoded) >= len(pcm16k) // 2 - 160
    return encoded


@DETECT_DIFFERS
def test_detect_dtmf_on_g722_beside_pcmu(rtpengine_factory, dtmf_sink, peers):
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = peers
    call = Call(daemon)
    flags = {"flags": ["detect-DTMF"]}
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, 9, 101)), flags))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, 9, 101)), flags))
    assert Sdp(offer["sdp"]).medias[0].formats == ["0", "9", "101"]
    caller_sends_to = Sdp(answer["sdp"]).media_address()
    sent = len(send_audio(caller, caller_sends_to, ulaw([0] * 1600)))
    # "5" (770 + 1336 Hz) for 200 ms at 16 kHz; G.722's RTP clock is 8000 (RFC 3551 section 4.5.2)
    tone = [int(7000 * (math.sin(2 * math.pi * 770 * n / 16000) + math.sin(2 * math.pi * 1336 * n / 16000)))
            for n in range(3200)]
    sent += len(send_audio(caller, caller_sends_to, g722([0] * 1600 + tone + [0] * 8000), first=sent, payload_type=9))
    assert len(callee.rtp.receive_all(sent, 3.0)) == sent
    report = json.loads(dtmf_sink.recv(4096))
    print("detect-DTMF report:", report)
    assert (report["callid"], report["event"]) == (call.call_id, 5)
    assert 120 <= report["duration"] <= 260, report["duration"]
    call.delete()


# ---------------------------------------------------------------- RFC 4733 events, not transcoded

@pytest.mark.upstream_differs(
    "10.5 (10.5.3.5) truncates the microseconds per 48 kHz tick to 20 (not 20.83): it reports 3840 as 76 ms "
    "and 9600 as 192 ms (measured); we report 80 and 200. At 8 kHz both give the same (test_media_control.py)")
def test_rfc4733_event_at_48khz_reported_in_ms(rtpengine_factory, dtmf_sink, peers):
    """--dtmf-log-dest on a passthrough Opus call: the event's duration is counted at its own
    48 kHz clock (RFC 4733 section 2.5.1.2)."""
    daemon = rtpengine_factory("--dtmf-log-dest=127.0.0.1:%d" % dtmf_sink.getsockname()[1])
    caller, callee = peers
    call = Call(daemon)
    assert_ok(call.offer(sdp(CALLER, caller.port, (96, 102)), {}))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (96, 102)), {}))
    caller_sends_to = Sdp(answer["sdp"]).media_address()
    opus = Opus()
    try:
        frame = opus.encode([0] * 960)
    finally:
        opus.close()
    packets = [build_rtp(10 + n, 960 * n, 0x77, 96, frame) for n in range(5)]
    # event 3 of 80 ms (3840 at 48 kHz): three updates, then the end three times
    packets += [build_rtp(15 + n, 4800, 0x77, 102, bytes((3, (0x80 if n >= 3 else 0) | 10))
                          + (960 * (n + 1 if n < 3 else 4)).to_bytes(2, "big"), marker=(n == 0)) for n in range(6)]
    for packet in packets:
        caller.rtp.send(packet, caller_sends_to)
        time.sleep(0.02)
    assert len(callee.rtp.receive_all(len(packets), 3.0)) == len(packets)
    report = json.loads(dtmf_sink.recv(4096))
    print("RFC 4733 report:", report)
    assert (report["event"], report["duration"], report["volume"]) == (3, 80, 10)
    dtmf_sink.settimeout(0.3)
    with pytest.raises(socket.timeout):
        dtmf_sink.recv(4096)
    call.delete()
