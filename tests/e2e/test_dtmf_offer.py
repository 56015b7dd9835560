"""block DTMF's keys (DTMF-security, trigger and its keys, DTMF-delay) in an offer or answer
(daemon/media_control.c: checked by media_control_offer_answer_read() before the message
changes anything, applied by media_control_offer_answer()). 10.5 (10.5.3.5) answers ok to each of
them in an offer and in an answer and then changes nothing on the packet path, for either party
(measured with these tests: events, audio and timing as without the keys); we apply them as
block DTMF with the message's from-tag applies them. Same requests and media to both daemons
(RTPENGINE_BINARY=/usr/bin/rtpengine runs them against 10.5)."""

import pytest

from calls import Call, Sdp, assert_error, assert_ok
from rtp import parse_rtp
from test_dtmf_delay import Arrivals, audio_event_audio, send_timed
from test_dtmf_flags import CALLEE, CALLER, peers, sdp, send_audio  # noqa: F401
from test_dtmf_security import (AUDIO, EVENT_PT, event_packets, events_of, frames_of_digit, per_digit, send_digits,
                                send_event_then_inband, send_packets)

UPSTREAM_NOTHING = ("10.5 accepts the key in an offer or answer and blocks or delays nothing (measured); "
                    "we apply it as block DTMF does, to the from-tag's party")


def offered_call(daemon, caller, callee, offer_options, answer_options=None):
    """PCMU and telephone-event both ways: (call, where the caller sends, where the callee sends)."""
    call = Call(daemon)
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), offer_options))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, EVENT_PT)), answer_options or {}))
    return call, Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()


def reoffer(call, caller, callee, offer_options):
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), offer_options))
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, EVENT_PT)), {}))
    return Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()


def event_through(sender, receiver, destination, event=5, first=0):
    """3 frames of audio, an event of 6 packets, 3 frames of audio from sequence 1000 + first
    on: (event packets, packets) the receiver got."""
    receiver.rtp.drain()
    send_audio(sender, destination, AUDIO[:160 * 3], first=first)
    send_packets(sender, destination, event_packets(1003 + first, 160 * (3 + first), event, 6))
    send_audio(sender, destination, AUDIO[:160 * 3], first=first + 9)
    got = [parse_rtp(d) for d, _ in receiver.rtp.receive_all(12, 1.5)]
    return len(events_of(got, EVENT_PT)), len(got)


KEYS = [{"DTMF-security": "drop"}, {"DTMF-security": "zero"}, {"DTMF-security": "tone"},
        {"DTMF-security": "off"}, {"DTMF-delay": 200},
        {"trigger": "*1", "trigger-end": "#", "DTMF-security-trigger": "drop", "DTMF-security-trigger-end": "zero"},
        {"trigger": "9", "end-trigger": "#", "trigger-end-time": 1000, "trigger-end-digits": 2}]


@pytest.mark.parametrize("where", ["offer", "answer"])
@pytest.mark.parametrize("keys", KEYS, ids=lambda k: "+".join(k))
def test_the_keys_are_accepted(rtpengine_factory, peers, where, keys):
    """As 10.5: ok, and the SDP is rewritten as without them."""
    caller, callee = peers
    daemon = rtpengine_factory()
    call = Call(daemon)
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), keys if where == "offer" else {}))
    assert "telephone-event/8000" in offer["sdp"]
    answer = assert_ok(call.answer(sdp(CALLEE, callee.port, (0, EVENT_PT)), keys if where == "answer" else {}))
    assert "telephone-event/8000" in answer["sdp"]
    call.delete()


def test_dtmf_security_off_alone_changes_nothing(rtpengine_factory, peers):
    """As 10.5: both parties' events pass."""
    caller, callee = peers
    call, to_callee, to_caller = offered_call(rtpengine_factory(), caller, callee, {"DTMF-security": "off"})
    assert event_through(caller, callee, to_callee) == (6, 12)
    assert event_through(callee, caller, to_caller) == (6, 12)
    call.delete()


@pytest.mark.upstream_differs(UPSTREAM_NOTHING)
@pytest.mark.parametrize("where", ["offer", "answer"])
def test_dtmf_security_blocks_the_from_tags_events(rtpengine_factory, peers, where):
    """In the offer and in the answer (whose from-tag is the caller's too): the caller's events
    are dropped, its audio passes; the callee's events pass."""
    caller, callee = peers
    keys = {"DTMF-security": "drop"}
    call, to_callee, to_caller = offered_call(rtpengine_factory(), caller, callee, keys if where == "offer" else {},
                                       keys if where == "answer" else {})
    assert event_through(caller, callee, to_callee) == (0, 6)
    assert event_through(callee, caller, to_caller) == (6, 12)
    call.delete()


@pytest.mark.upstream_differs(UPSTREAM_NOTHING)
def test_a_reoffer_without_the_keys_keeps_them_and_unblock_dtmf_ends_them(rtpengine_factory, peers):
    caller, callee = peers
    call, to_callee, _ = offered_call(rtpengine_factory(), caller, callee, {"DTMF-security": "drop"})
    to_callee, _ = reoffer(call, caller, callee, {})
    assert event_through(caller, callee, to_callee) == (0, 6)
    assert_ok(call.command("unblock DTMF", **{"from-tag": call.from_tag}))
    assert event_through(caller, callee, to_callee, first=20) == (6, 12)
    # a re-offer with another mode replaces it
    reoffer(call, caller, callee, {"DTMF-security": "drop"})
    to_callee, _ = reoffer(call, caller, callee, {"DTMF-security": "zero"})
    assert event_through(caller, callee, to_callee, first=40) == (6, 12)
    call.delete()


@pytest.mark.upstream_differs(UPSTREAM_NOTHING)
def test_a_trigger_arms_at_offer_time(rtpengine_factory, peers):
    """The caller's digits after "*1" are dropped until "#" (as block DTMF with the same keys,
    test_dtmf_security.py); the callee's pass."""
    caller, callee = peers
    call, to_callee, to_caller = offered_call(rtpengine_factory(), caller, callee,
                                       {"trigger": "*1", "trigger-end": "#", "DTMF-security-trigger": "drop"})
    arrivals = Arrivals(callee)
    sent = send_digits(caller, to_callee, "2*134#5")
    got = [p for _, p in arrivals.wait_for(sent - 24, 3.0)]
    counts = per_digit(got, "2*134#5")
    assert {d: c[0] for d, c in counts.items()} == {"2": 6, "*": 6, "1": 1, "3": 0, "4": 0, "#": 5, "5": 6}
    assert event_through(callee, caller, to_caller, event=3) == (6, 12)
    call.delete()


@pytest.mark.upstream_differs(UPSTREAM_NOTHING)
def test_block_dtmf_after_the_offer_replaces_its_trigger(rtpengine_factory, peers):
    caller, callee = peers
    call, to_callee, _ = offered_call(rtpengine_factory(), caller, callee,
                               {"trigger": "5", "DTMF-security-trigger": "drop"})
    assert_ok(call.command("block DTMF", **{"from-tag": call.from_tag, "DTMF-security": "zero"}))
    assert event_through(caller, callee, to_callee) == (6, 12)
    call.delete()


@pytest.mark.upstream_differs(UPSTREAM_NOTHING + " (10.5 relays at once)")
def test_dtmf_delay_in_the_offer_delays_the_callers_media(rtpengine_factory, peers):
    """DTMF-delay alone in an offer delays and blocks nothing (unlike block DTMF, whose default
    mode is drop): the caller's audio and events reach the callee about 300 ms after they were
    sent; the callee's media towards the caller is not delayed."""
    caller, callee = peers
    call, to_callee, to_caller = offered_call(rtpengine_factory(), caller, callee, {"DTMF-delay": 300})
    packets = audio_event_audio()
    arrivals = Arrivals(callee)
    sent = send_timed(caller, to_callee, packets)
    got = arrivals.wait_for(len(packets), 3.0)
    assert len(got) == len(packets) and events_of([p for _, p in got], EVENT_PT)
    delays = [t - sent[p.sequence] for t, p in got if p.sequence in sent]
    assert min(delays) > 0.25, delays
    back = Arrivals(caller)
    sent = send_timed(callee, to_caller, packets[:3])
    got = back.wait_for(3, 2.0)
    assert len(got) == 3 and max(t - sent[p.sequence] for t, p in got) < 0.15
    call.delete()


@pytest.mark.upstream_differs("10.5 answers ok to any value here (and uses none of them)")
@pytest.mark.parametrize("keys", [{"DTMF-security": "loud"}, {"trigger": "5x"}, {"DTMF-delay": 9000}],
                         ids=lambda k: "+".join(k))
def test_a_bad_value_is_refused(rtpengine_factory, peers, keys):
    caller, callee = peers
    call = Call(rtpengine_factory())
    reply = assert_error(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), keys))
    assert reply["error-reason"]
    assert_error(call.query())   # the refused offer's call is gone


def sides(query):
    """{tag: [(local port, endpoint) of each stream]}: who the call has and where it sends."""
    return {tag: [(stream["local port"], stream["endpoint"]) for media in side["medias"] for stream in media["streams"]]
            for tag, side in query["tags"].items()}


@pytest.mark.upstream_differs("10.5 answers ok to any value here (and uses none of them)")
@pytest.mark.parametrize("keys", [{"DTMF-delay": "soon"}, {"DTMF-security": "loud"}, {"trigger": "5x"}],
                         ids=lambda k: "+".join(k))
def test_an_answer_with_a_bad_value_leaves_the_call_as_it_was(rtpengine_factory, peers, keys):
    """The keys are checked before the answer's SDP is applied: the refused answer adds no
    answering side and learns no address (the query is as after the offer), and a good answer
    then goes through on the ports the offer opened."""
    caller, callee = peers
    call = Call(rtpengine_factory())
    assert_ok(call.offer(sdp(CALLER, caller.port, (0, EVENT_PT)), {}))
    offered = sides(assert_ok(call.query()))
    reply = assert_error(call.answer(sdp(CALLEE, callee.port, (0, EVENT_PT)), keys))
    assert next(iter(keys)) in reply["error-reason"], reply
    assert sides(assert_ok(call.query())) == offered
    assert_ok(call.answer(sdp(CALLEE, callee.port, (0, EVENT_PT)), {}))
    answered = sides(assert_ok(call.query()))
    assert call.to_tag in answered and call.to_tag not in offered
    assert answered[call.to_tag][0][1]["port"] == callee.port
    assert sorted(port for streams in answered.values() for port, _ in streams) == \
        sorted(port for streams in offered.values() for port, _ in streams)
    call.delete()


@pytest.mark.upstream_differs(UPSTREAM_NOTHING)
@pytest.mark.parametrize("where", ["offer", "answer"])
def test_an_audio_mode_plays_the_callers_events_as_tones(rtpengine_factory, peers, where):
    """DTMF-security=tone set before the answer came (offer) or with it: the caller's event
    reaches the callee as its digit's tones in PCMU, as block DTMF (test_dtmf_security.py)."""
    caller, callee = peers
    keys = {"DTMF-security": "tone"}
    call, to_callee, _ = offered_call(rtpengine_factory(), caller, callee, keys if where == "offer" else {},
                                      keys if where == "answer" else {})
    sent = send_event_then_inband(caller, to_callee)
    got = sorted((parse_rtp(d) for d, _ in callee.rtp.receive_all(sent, 3.0)), key=lambda p: p.sequence)
    assert not events_of(got, EVENT_PT)
    assert 4 <= len(frames_of_digit(got, 5)) <= 8
    call.delete()


@pytest.mark.upstream_differs("10.5 answers ok to any value here (and uses none of them)")
def test_publish_applies_the_keys_and_refuses_a_bad_value(rtpengine_factory, peers):
    """A publish reads the same keys for its publisher: a bad value is refused and the call is
    gone, a good one is accepted."""
    caller, _ = peers
    daemon = rtpengine_factory()
    offer_sdp = sdp(CALLER, caller.port, (0, EVENT_PT))
    reply = daemon.ng({"command": "publish", "call-id": "pub-dtmf", "from-tag": "P", "sdp": offer_sdp,
                       "DTMF-security": "loud"})
    assert reply["result"] == "error" and reply["error-reason"]
    assert daemon.ng({"command": "query", "call-id": "pub-dtmf"})["result"] == "error"
    reply = daemon.ng({"command": "publish", "call-id": "pub-dtmf", "from-tag": "P", "sdp": offer_sdp,
                       "DTMF-security": "drop"})
    assert reply["result"] == "ok", reply
