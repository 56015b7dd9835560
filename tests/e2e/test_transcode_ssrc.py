"""The SSRC of a stream the relay transcodes (daemon/codec_chain_ssrc.c), as Debian's 10.5 sends
it (measured with these tests): a transcoded stream leaves under an SSRC of the relay's own, not
the sender's, each way; its RFC 4733 events and the packets that pass the chain untouched (a
payload type it does not decode) carry the same SSRC, in one series of sequence numbers. Each
SSRC the sender uses gets its own output SSRC, the same again when the sender returns to an SSRC
it used before, and a re-INVITE keeps them. The same holds for streams the engine decodes and
encodes in the same codec (inject-DTMF, ptime); a direction without a chain
keeps the sender's SSRC. The RTCP forwarded on a transcoded media names the SSRCs each leg
knows: the reporter as the other leg receives its media, its report blocks by the SSRC the
other leg sends. Runs against both daemons (RTPENGINE_BINARY=/usr/bin/rtpengine)."""

import struct
import time

import pytest

from calls import Call, Sdp, assert_ok, codec_sdp as sdp
# the call's offer and a phone's stream around a key press, as the neighbouring test sends them
from test_transcode_unmapped_events import OFFER, SILENCE, send_audio_event_audio
from rtp import (MediaPeer, RTCP_RR, RTCP_SDES, RTCP_SR, build_report_block, build_rtcp_rr,
                 build_rtcp_sdes, build_rtcp_sr, build_rtp, parse_rtcp, parse_rtp)

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"
CALLER_SSRC, CALLEE_SSRC = 0x5a5a0001, 0x5a5a0002
TRANSCODE_PCMA = {"codec": {"transcode": ["PCMA"]}}


def answer_sdp(peer, audio_pt, event_pt):
    rtpmaps = ["%d %s/8000" % (audio_pt, "PCMA" if audio_pt == 8 else "PCMU"),
               "%d telephone-event/8000" % event_pt]
    return sdp(CALLEE, peer.port, [audio_pt, event_pt], rtpmaps, ["fmtp:%d 0-15" % event_pt])


def audio(peer, destination, ssrc, first_sequence, first_timestamp, count, audio_pt):
    for i in range(count):
        peer.rtp.send(build_rtp(first_sequence + i, first_timestamp + 160 * i, ssrc, audio_pt,
                                SILENCE[audio_pt]), destination)
        time.sleep(0.02)   # paced as a phone sends: 10.5 decodes in real time


def received(peer, count, timeout=2.0):
    return [parse_rtp(data) for data, _ in peer.rtp.receive_all(count, timeout)]


def one_ssrc(packets):
    ssrcs = {p.ssrc for p in packets}
    assert packets and len(ssrcs) == 1, [(p.payload_type, p.sequence, hex(p.ssrc)) for p in packets]
    return ssrcs.pop()


@pytest.fixture
def peers():
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    yield caller, callee
    caller.close()
    callee.close()


def transcoded_call(rtpengine, caller, callee, event_pt=101):
    """PCMU + telephone-event offered, PCMA added by transcode and answered; returns the call,
    where the caller sends and where the callee sends."""
    call = Call(rtpengine)
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, *OFFER), TRANSCODE_PCMA))
    answer = assert_ok(call.answer(answer_sdp(callee, 8, event_pt)))
    return call, Sdp(answer["sdp"]).media_address(), Sdp(offer["sdp"]).media_address()


# event type 101: the events are mapped by the chain; 102 (never offered to the callee): the
# caller's 101 and the callee's 102 are not decoded and pass the chain untouched
@pytest.mark.parametrize("answer_event_pt", [101, 102], ids=["events-mapped", "events-passing"])
def test_transcoded_stream_and_its_events_leave_under_an_ssrc_of_the_relays(rtpengine, peers, answer_event_pt):
    caller, callee = peers
    call, caller_sends_to, callee_sends_to = transcoded_call(rtpengine, caller, callee, answer_event_pt)
    outputs = []
    for sender, destination, receiver, ssrc, audio_pt, event_pt, audio_out in (
            (caller, caller_sends_to, callee, CALLER_SSRC, 0, 101, 8),
            (callee, callee_sends_to, caller, CALLEE_SSRC, 8, answer_event_pt, 0)):
        send_audio_event_audio(sender, destination, ssrc, audio_pt, event_pt)
        got = received(receiver, 10)
        types = [p.payload_type for p in got]
        assert types.count(audio_out) >= 5 and types.count(event_pt) == 4, types
        output = one_ssrc(got)
        # a stream of the relay's own: neither party's SSRC
        assert output not in (CALLER_SSRC, CALLEE_SSRC), hex(output)
        # one series of sequence numbers for audio and events (RFC 3550 section 5.1)
        sequences = [p.sequence for p in got]
        assert sequences == list(range(sequences[0], sequences[0] + len(got))), sequences
        outputs.append(output)
    assert outputs[0] != outputs[1]
    call.delete()


def test_each_sender_ssrc_gets_its_own_output_ssrc_for_the_calls_life(rtpengine, peers):
    caller, callee = peers
    call, caller_sends_to, _ = transcoded_call(rtpengine, caller, callee)
    heard = []
    for ssrc, first_sequence, first_timestamp in ((CALLER_SSRC, 100, 1000), (0x5a5a0003, 9000, 90000),
                                                  (CALLER_SSRC, 105, 1800)):
        audio(caller, caller_sends_to, ssrc, first_sequence, first_timestamp, 5, 0)
        got = received(callee, 5)
        assert len(got) >= 4, len(got)
        heard.append(one_ssrc(got))
    first, after_change, back = heard
    assert after_change != first, "a new sender SSRC is a new output stream"
    assert after_change not in (CALLER_SSRC, 0x5a5a0003)
    assert back == first, "the sender's first SSRC again: its output SSRC again"
    call.delete()


def test_reinvite_keeps_the_output_ssrcs(rtpengine, peers):
    caller, callee = peers
    call, caller_sends_to, callee_sends_to = transcoded_call(rtpengine, caller, callee)

    def heard_each_way(first_sequence):
        audio(caller, caller_sends_to, CALLER_SSRC, first_sequence, 160 * first_sequence, 4, 0)
        to_callee = one_ssrc(received(callee, 4))
        audio(callee, callee_sends_to, CALLEE_SSRC, first_sequence, 160 * first_sequence, 4, 8)
        to_caller = one_ssrc(received(caller, 4))
        return to_callee, to_caller

    before = heard_each_way(100)
    assert_ok(call.offer(sdp(CALLER, caller.port, *OFFER), TRANSCODE_PCMA))
    answer = assert_ok(call.answer(answer_sdp(callee, 8, 101)))
    assert Sdp(answer["sdp"]).media_address() == caller_sends_to
    after = heard_each_way(104)
    assert after == before, ([hex(s) for s in before], [hex(s) for s in after])
    assert set(before).isdisjoint({CALLER_SSRC, CALLEE_SSRC})
    call.delete()


# how the callee's answer makes the engine take each direction; whether the caller's stream
# (towards the callee) and the callee's get a chain
@pytest.mark.parametrize("offer_options, answer_pts, answer_options, to_callee, to_caller", [
    (TRANSCODE_PCMA, (8, 101), {}, True, True),
    ({"flags": ["inject-DTMF"]}, (0, 101), {"flags": ["inject-DTMF"]}, True, True),
    ({"flags": ["inject-DTMF"]}, (0, 101), {}, False, True),
    ({"ptime": 30}, (0, 101), {}, True, True),
], ids=["transcode", "inject-DTMF-both", "inject-DTMF-offer", "ptime"])
def test_streams_through_the_engine_get_an_ssrc_of_their_own(rtpengine, peers, offer_options, answer_pts,
                                                             answer_options, to_callee, to_caller):
    caller, callee = peers
    call = Call(rtpengine)
    offer = assert_ok(call.offer(sdp(CALLER, caller.port, *OFFER), offer_options))
    answer = assert_ok(call.answer(answer_sdp(callee, *answer_pts), answer_options))
    audio(caller, Sdp(answer["sdp"]).media_address(), CALLER_SSRC, 100, 1000, 6, 0)
    heard_by_callee = one_ssrc(received(callee, 6))
    audio(callee, Sdp(offer["sdp"]).media_address(), CALLEE_SSRC, 500, 5000, 6, answer_pts[0])
    heard_by_caller = one_ssrc(received(caller, 6))
    assert (heard_by_callee != CALLER_SSRC) == to_callee, hex(heard_by_callee)
    assert (heard_by_caller != CALLEE_SSRC) == to_caller, hex(heard_by_caller)
    call.delete()


def rtcp_received(peer):
    item = peer.rtcp.receive(2.0)
    assert item, "no RTCP relayed"
    parts = parse_rtcp(item[0])
    assert parts, item[0].hex()
    return parts


def block_ssrcs(part):
    """The SSRCs a SR's or RR's report blocks are about."""
    offset = 20 if part.packet_type == RTCP_SR else 0
    return [struct.unpack_from("!I", part.body, offset + 24 * n)[0] for n in range(part.count)]


def test_rtcp_names_the_ssrcs_each_leg_knows(rtpengine, peers):
    caller, callee = peers
    call, caller_sends_to, callee_sends_to = transcoded_call(rtpengine, caller, callee)
    audio(caller, caller_sends_to, CALLER_SSRC, 100, 1000, 5, 0)
    heard_by_callee = one_ssrc(received(callee, 5))
    audio(callee, callee_sends_to, CALLEE_SSRC, 500, 5000, 5, 8)
    heard_by_caller = one_ssrc(received(caller, 5))

    # the caller's RR about the stream it hears, as the callee gets it: the reporter is the
    # stream the callee hears from the relay, the block about the callee's own stream
    caller.rtcp.send(build_rtcp_rr(CALLER_SSRC, [build_report_block(heard_by_caller, 0, 0, 504, 7, 8, 9)])
                     + build_rtcp_sdes(CALLER_SSRC), (caller_sends_to[0], caller_sends_to[1] + 1))
    parts = rtcp_received(callee)
    assert (parts[0].packet_type, parts[0].ssrc) == (RTCP_RR, heard_by_callee), hex(parts[0].ssrc)
    assert block_ssrcs(parts[0]) == [CALLEE_SSRC], [hex(s) for s in block_ssrcs(parts[0])]
    assert parts[1].packet_type == RTCP_SDES   # passes as sent (10.5 too)

    # the callee's SR, as the caller gets it: the same both ways
    callee.rtcp.send(build_rtcp_sr(CALLEE_SSRC, 0xe1000000, 0, 5000, 5, 800,
                                   [build_report_block(heard_by_callee, 0, 0, 104, 7, 8, 9)]),
                     (callee_sends_to[0], callee_sends_to[1] + 1))
    parts = rtcp_received(caller)
    assert (parts[0].packet_type, parts[0].ssrc) == (RTCP_SR, heard_by_caller), hex(parts[0].ssrc)
    assert block_ssrcs(parts[0]) == [CALLER_SSRC], [hex(s) for s in block_ssrcs(parts[0])]
    call.delete()
