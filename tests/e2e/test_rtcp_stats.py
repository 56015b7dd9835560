"""RTCP statistics and MOS over ng: a scripted call (rtcp_traffic.py: RTP both ways, SR with
reception reports as real receivers write them) through the relay, then `delete` shows
rtpengine 10.5's "SSRC" dictionary. The same calls go through Debian's 10.5 where it is
installed, and the MOS figures must agree. Without RTCP the relay's own RTP figures (loss,
duplicates, reordering) are still there."""

import os
import struct
import time

import pytest

from calls import Call, Sdp, assert_ok, make_sdp, media_section, simple_sdp
from conftest import IS_UPSTREAM, REFERENCE_BINARY
from rtp import MediaPeer, build_rtcp_rr, build_rtcp_sr, build_rtp, build_report_block
import rtcp_traffic
import test_srtp

CALLER_SSRC = 0x11111111
CALLEE_SSRC = 0x22222222

reference_available = pytest.mark.skipif(
    not os.access(REFERENCE_BINARY, os.X_OK) or IS_UPSTREAM,
    reason="Debian's rtpengine 10.5 (%s) is not installed, or is the daemon under test"
    % REFERENCE_BINARY)


def scripted_call(daemon, loss, jitter_ms, extra_rtt_ms=0, options=None):
    """One call through `daemon` with the scripted traffic; returns the delete reply."""
    caller, callee = MediaPeer(), MediaPeer()
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port), options))
        answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port), options))
        to_callee = Sdp(answer["sdp"]).media_address()
        to_caller = Sdp(offer["sdp"]).media_address()
        parties = [rtcp_traffic.Party(caller, CALLER_SSRC, to_callee, loss, jitter_ms, 1, extra_rtt_ms),
                   rtcp_traffic.Party(callee, CALLEE_SSRC, to_caller, loss, jitter_ms, 2, extra_rtt_ms)]
        rtcp_traffic.play_call(parties)
        return assert_ok(call.delete())
    finally:
        caller.close()
        callee.close()


def ssrc_entry(reply, ssrc):
    entry = reply.get("SSRC", {}).get(str(ssrc))
    assert entry is not None, reply.get("SSRC")
    return entry


def average_mos(reply, ssrc):
    return ssrc_entry(reply, ssrc)["average MOS"]["MOS"]


def check_layout(entry):
    """10.5's keys and types, as Kamailio's rtpengine module reads them."""
    for key in ("average MOS", "lowest MOS", "highest MOS"):
        sample = entry[key]
        for field in ("MOS", "round-trip time", "round-trip time leg", "jitter", "packet loss"):
            assert isinstance(sample[field], int), (key, field, sample)
        assert isinstance(sample["samples" if key == "average MOS" else "reported at"], int)
    assert entry["lowest MOS"]["MOS"] <= entry["average MOS"]["MOS"] <= entry["highest MOS"]["MOS"]
    entries = entry["MOS progression"]["entries"]
    assert entries and all("reported at" in sample for sample in entries)
    assert isinstance(entry["cumulative loss"], int)


def test_clean_call_scores_about_4_4(rtpengine_factory):
    daemon = rtpengine_factory()
    reply = scripted_call(daemon, 0.0, 0)
    for ssrc in (CALLER_SSRC, CALLEE_SSRC):
        entry = ssrc_entry(reply, ssrc)
        check_layout(entry)
        # 4.4; 4.3 when a loaded machine adds a few ms of jitter or round trip
        assert entry["average MOS"]["MOS"] in (43, 44), entry
        # a sample per report at most once a second, the first with both legs known on
        assert 2 <= entry["average MOS"]["samples"] <= 6, entry
        # loopback: the round trip is a few milliseconds at most
        assert 0 < entry["average MOS"]["round-trip time"] < 20000, entry
        assert entry["cumulative loss"] == 0
    # each stream names the SSRC it receives (Kamailio's labelled variants follow it)
    streams = [stream for tag in reply["tags"].values() for media in tag["medias"]
               for stream in media["streams"]]
    assert sorted({stream.get("SSRC") for stream in streams}) == [CALLER_SSRC, CALLEE_SSRC]


def long_call(daemon, seconds):
    """A clean scripted call of `seconds` with reports every 1.2 s; the delete reply."""
    caller, callee = MediaPeer(), MediaPeer()
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port)))
        answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port)))
        parties = [rtcp_traffic.Party(caller, CALLER_SSRC, Sdp(answer["sdp"]).media_address(), 0.0, 0, 1),
                   rtcp_traffic.Party(callee, CALLEE_SSRC, Sdp(offer["sdp"]).media_address(), 0.0, 0, 2)]
        rtcp_traffic.play_call(parties, duration_s=seconds)
        return assert_ok(call.delete())
    finally:
        caller.close()
        callee.close()


def progression_shape(reply, ssrc):
    progression = ssrc_entry(reply, ssrc)["MOS progression"]
    times = [entry["reported at"] for entry in progression["entries"]]
    return progression["interval"], [t - times[0] for t in times], progression["entries"]


def test_mos_progression_spreads_over_the_call(rtpengine_factory):
    """10.5's MOS progression: interval = (last - first sample) / 10 seconds, and the
    samples at each interval step from the first: about ten entries over the whole call
    (not the latest few)."""
    reply = long_call(rtpengine_factory(), 26)
    for ssrc in (CALLER_SSRC, CALLEE_SSRC):
        interval, offsets, entries = progression_shape(reply, ssrc)
        samples = ssrc_entry(reply, ssrc)["average MOS"]["samples"]
        # reports every 1.2 s from ~2.5 s on: samples over ~22 s, interval 2
        assert samples >= 15, ssrc_entry(reply, ssrc)
        assert interval == 2, ssrc_entry(reply, ssrc)
        assert 9 <= len(entries) < samples, offsets
        # the k-th entry is the first sample at or after k intervals (10.5's step)
        assert all(offset >= k * interval for k, offset in enumerate(offsets)), offsets
        assert offsets[-1] >= 10 * interval - 2, offsets


def compare_progression_with_debian_10_5(rtpengine_factory, seconds):
    """The same call of `seconds` through both relays at once: the same interval and as
    many entries (within one: a report a millisecond either side of a second boundary), at
    the same offsets from the first. Returns the two delete replies."""
    import concurrent.futures
    ours_daemon, theirs_daemon = rtpengine_factory(), rtpengine_factory(binary=REFERENCE_BINARY)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        ours_future = pool.submit(long_call, ours_daemon, seconds)
        theirs_future = pool.submit(long_call, theirs_daemon, seconds)
        ours, theirs = ours_future.result(), theirs_future.result()
    for ssrc in (CALLER_SSRC, CALLEE_SSRC):
        ours_interval, ours_offsets, ours_entries = progression_shape(ours, ssrc)
        theirs_interval, theirs_offsets, theirs_entries = progression_shape(theirs, ssrc)
        assert ours_interval == theirs_interval, (ours_offsets, theirs_offsets)
        assert abs(len(ours_entries) - len(theirs_entries)) <= 1, (ours_offsets, theirs_offsets)
        for ours_entry, theirs_entry in zip(ours_entries, theirs_entries):
            assert set(ours_entry) >= set(theirs_entry), (ours_entry, theirs_entry)
            assert abs(ours_entry["MOS"] - theirs_entry["MOS"]) <= 1, (ours_entry, theirs_entry)
        for ours_offset, theirs_offset in zip(ours_offsets, theirs_offsets):
            assert abs(ours_offset - theirs_offset) <= 2, (ours_offsets, theirs_offsets)
    return ours, theirs


@reference_available
def test_mos_progression_matches_debian_10_5(rtpengine_factory):
    compare_progression_with_debian_10_5(rtpengine_factory, 26)


@reference_available
@pytest.mark.slow
def test_long_mos_progression_matches_debian_10_5(rtpengine_factory):
    """Past 64 samples (the most the progression kept before it kept every sample): an
    82 s call, a report every 1.2 s from 2.4 s on, 10.5 samples each one."""
    ours, theirs = compare_progression_with_debian_10_5(rtpengine_factory, 82)
    for ssrc in (CALLER_SSRC, CALLEE_SSRC):
        for reply in (ours, theirs):
            assert ssrc_entry(reply, ssrc)["average MOS"]["samples"] > 64, ssrc_entry(reply, ssrc)
        interval, offsets, entries = progression_shape(ours, ssrc)
        assert interval >= 7 and len(entries) >= 10, offsets
        # the k-th entry is the first sample at or after k intervals: with a sample every
        # 1.2 s, within 2 s of that step
        assert all(k * interval <= offset <= k * interval + 2 for k, offset in enumerate(offsets)), offsets


def test_round_trip_time_counts_both_legs(rtpengine_factory):
    """Each side claims 100 ms less delay since the last SR than really passed: each leg
    is ~100 ms, the round trip ~200 ms, and the MOS falls as 10.5's formula says."""
    daemon = rtpengine_factory()
    reply = scripted_call(daemon, 0.0, 0, extra_rtt_ms=100)
    entry = ssrc_entry(reply, CALLER_SSRC)
    assert 95000 < entry["average MOS"]["round-trip time leg"] < 110000, entry
    assert 195000 < entry["average MOS"]["round-trip time"] < 215000, entry
    # latency 200 + 10 ms: R = 93.2 - 9 = 84.2 -> MOS 4.18 (4.1 truncated); 4.2 at 199 ms
    assert entry["average MOS"]["MOS"] in (41, 42), entry


@pytest.mark.parametrize("loss, expected_range", [
    (0.0, (43, 44)),
    (0.05, (37, 42)),
    (0.20, (15, 26)),
], ids=["0%", "5%", "20%"])
def test_mos_falls_with_loss(rtpengine_factory, loss, expected_range):
    daemon = rtpengine_factory()
    reply = scripted_call(daemon, loss, 10)
    for ssrc in (CALLER_SSRC, CALLEE_SSRC):
        low, high = expected_range
        assert low <= average_mos(reply, ssrc) <= high, ssrc_entry(reply, ssrc)


@reference_available
@pytest.mark.parametrize("loss", [0.0, 0.05, 0.20], ids=["0%", "5%", "20%"])
def test_mos_matches_debian_10_5(rtpengine_factory, loss):
    """The same scripted call through this relay and through 10.5: the average MOS of each
    SSRC within 0.1 (a report interval may hold one lost packet more or less when the
    relays' timing differs by a millisecond)."""
    ours = scripted_call(rtpengine_factory(), loss, 10)
    theirs = scripted_call(rtpengine_factory(binary=REFERENCE_BINARY), loss, 10)
    for ssrc in (CALLER_SSRC, CALLEE_SSRC):
        assert abs(average_mos(ours, ssrc) - average_mos(theirs, ssrc)) <= 1, \
            (ssrc_entry(ours, ssrc), ssrc_entry(theirs, ssrc))
        # the last report before the delete: its count depends on when it went out
        ours_lost, theirs_lost = (ssrc_entry(reply, ssrc)["cumulative loss"] for reply in (ours, theirs))
        assert abs(ours_lost - theirs_lost) <= max(3, theirs_lost // 4), (ours_lost, theirs_lost)


PACED_PACKETS = 25


def clock_rate_call(daemon, payload_type, rtpmap, jitter_units):
    """--mos=LQ: both sides offer one payload type (with its a=rtpmap), RTP flows both ways,
    the callee reports `jitter_units` of interarrival jitter about the caller's stream.
    Returns the callee SSRC's entry of the delete reply."""
    caller, callee = MediaPeer(), MediaPeer()
    attributes = ("rtpmap:%d %s" % (payload_type, rtpmap), "sendrecv") if rtpmap else ("sendrecv",)
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(make_sdp(caller.host, media_section(
            caller.port, payload_types=(payload_type,), attributes=attributes))))
        answer = assert_ok(call.answer(make_sdp(callee.host, media_section(
            callee.port, payload_types=(payload_type,), attributes=attributes))))
        to_callee = Sdp(answer["sdp"]).media_address()
        to_caller = Sdp(offer["sdp"]).media_address()
        # paced as a phone sends: 10.5 learns each SSRC's payload type from its packets
        for sequence in range(PACED_PACKETS):
            caller.rtp.send(build_rtp(sequence, sequence * 960, CALLER_SSRC, payload_type), to_callee)
            callee.rtp.send(build_rtp(sequence, sequence * 960, CALLEE_SSRC, payload_type), to_caller)
            time.sleep(0.02)
        assert len(callee.rtp.receive_all(PACED_PACKETS)) == PACED_PACKETS
        assert len(caller.rtp.receive_all(PACED_PACKETS)) == PACED_PACKETS
        # the caller's SR first: 10.5 takes the payload type from the sender report a
        # reception report's LSR echoes (and scores nothing without one, also in LQ mode)
        caller.rtcp.send(build_rtcp_sr(CALLER_SSRC, ntp_seconds=0xe0000123, ntp_fraction=0x45670000),
                         (to_callee[0], to_callee[1] + 1))
        assert callee.rtcp.receive(2.0) is not None
        report = build_rtcp_rr(CALLEE_SSRC, [build_report_block(CALLER_SSRC, fraction_lost=0,
                                                                cumulative_lost=0, jitter=jitter_units,
                                                                last_sr=0x01234567, delay_since_last_sr=1)])
        callee.rtcp.send(report, (to_caller[0], to_caller[1] + 1))
        assert caller.rtcp.receive(2.0) is not None
        reply = assert_ok(call.delete())
    finally:
        caller.close()
        callee.close()
    return ssrc_entry(reply, CALLEE_SSRC)


# payload type, a=rtpmap (None: static, none given), reported jitter (timestamp units), ms
CLOCK_RATE_CASES = [
    (111, "opus/48000/2", 480, 10),      # dynamic at 48 kHz: 480 ticks are 10 ms
    (9, "G722/8000", 80, 10),            # G.722: 16 kHz audio, 8000 Hz RTP clock (RFC 3551 4.5.2)
    (96, "L16/16000", 320, 20),          # dynamic at 16 kHz
    (0, None, 80, 10),                   # static PCMU without rtpmap
]
CLOCK_RATE_IDS = ["opus-48k", "g722-8k-clock", "l16-16k", "pcmu-static"]


@pytest.mark.parametrize("payload_type, rtpmap, jitter_units, jitter_ms", CLOCK_RATE_CASES, ids=CLOCK_RATE_IDS)
def test_reported_jitter_in_the_payload_clock(rtpengine_factory, payload_type, rtpmap, jitter_units, jitter_ms):
    """A reception report's jitter counts in the reported stream's RTP clock (RFC 3550
    6.4.1): the rate its payload type's a=rtpmap gives, RFC 3551's for a static type."""
    entry = clock_rate_call(rtpengine_factory("--mos=LQ", "--endpoint-learning=immediate"), payload_type, rtpmap, jitter_units)
    assert entry["average MOS"]["jitter"] == jitter_ms, entry


@reference_available
@pytest.mark.parametrize("payload_type, rtpmap, jitter_units, jitter_ms", CLOCK_RATE_CASES, ids=CLOCK_RATE_IDS)
def test_reported_jitter_matches_debian_10_5(rtpengine_factory, payload_type, rtpmap, jitter_units, jitter_ms):
    ours = clock_rate_call(rtpengine_factory("--mos=LQ", "--endpoint-learning=immediate"), payload_type, rtpmap, jitter_units)
    theirs = clock_rate_call(rtpengine_factory("--mos=LQ", "--endpoint-learning=immediate", binary=REFERENCE_BINARY), payload_type, rtpmap,
                             jitter_units)
    for key in ("jitter", "MOS", "packet loss"):
        assert ours["average MOS"][key] == theirs["average MOS"][key], (key, ours, theirs)


def test_listening_quality_needs_no_round_trip(rtpengine_factory):
    """--mos=LQ: reports without LSR (no SR ever seen) still give a MOS; CQ gives none."""
    for mode, expect_mos in (("LQ", True), ("CQ", False)):
        daemon = rtpengine_factory("--mos=%s" % mode)
        caller, callee = MediaPeer(), MediaPeer()
        try:
            call = Call(daemon)
            offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port)))
            answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port)))
            to_callee = Sdp(answer["sdp"]).media_address()
            to_caller = Sdp(offer["sdp"]).media_address()
            for sequence in range(5):
                caller.rtp.send(build_rtp(sequence, sequence * 160, CALLER_SSRC), to_callee)
                callee.rtp.send(build_rtp(sequence, sequence * 160, CALLEE_SSRC), to_caller)
            assert len(callee.rtp.receive_all(5)) == 5 and len(caller.rtp.receive_all(5)) == 5
            # the callee reports 25% loss (64/256) and 80 timestamp units (10 ms) jitter
            report = build_rtcp_rr(CALLEE_SSRC, [build_report_block(CALLER_SSRC, fraction_lost=64,
                                                                    cumulative_lost=2, jitter=80)])
            callee.rtcp.send(report, (to_caller[0], to_caller[1] + 1))
            assert caller.rtcp.receive(2.0) is not None
            reply = assert_ok(call.delete())
        finally:
            caller.close()
            callee.close()
        entry = ssrc_entry(reply, CALLEE_SSRC)
        assert entry["cumulative loss"] == 2
        if expect_mos:
            # latency 2 x 10 + 10 = 30 ms: R = 93.2 - 0.75 - 25 x 2.5 = 29.95 -> MOS 1.67
            assert entry["average MOS"]["MOS"] == 16, entry
            assert entry["average MOS"]["jitter"] == 10 and entry["average MOS"]["packet loss"] == 25
        else:
            assert "average MOS" not in entry, entry


@pytest.mark.upstream_differs("the relay's own RTP figures ('measured') are ours")
def test_relay_measures_rtp_without_rtcp(rtpengine_factory):
    """No RTCP at all: the relay still counts loss (sequence gaps), duplicates and
    reordering from the RTP it forwards."""
    daemon = rtpengine_factory()
    caller, callee = MediaPeer(), MediaPeer()
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(simple_sdp(caller.host, caller.port)))
        answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port)))
        to_callee = Sdp(answer["sdp"]).media_address()
        # 0..99 without 10, 20, 30 (lost), 50 sent twice, 60 after 61
        order = [n for n in range(100) if n not in (10, 20, 30, 60)]
        order.insert(order.index(50) + 1, 50)
        order.insert(order.index(61) + 1, 60)
        for sequence in order:
            caller.rtp.send(build_rtp(sequence, sequence * 160, CALLER_SSRC), to_callee)
        assert len(callee.rtp.receive_all(len(order))) == len(order)
        reply = assert_ok(call.query())
        assert Sdp(offer["sdp"]).media_address()
    finally:
        caller.close()
        callee.close()
    measured = ssrc_entry(reply, CALLER_SSRC)["measured"]
    assert measured["packets"] == 97, measured
    assert measured["expected"] == 100, measured
    assert measured["lost"] == 3, measured
    assert measured["duplicates"] == 1, measured
    assert measured["reordered"] == 1, measured


def test_statistics_mos_section(rtpengine_factory):
    daemon = rtpengine_factory()
    before = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]
    assert before["mos"]["mos_samples_total"] == 0
    scripted_call(daemon, 0.0, 0)
    statistics = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]
    mos = statistics["mos"]
    assert mos["mos_samples_total"] == 2, mos
    # each SSRC's average: 4.4, or 4.3 when a sample caught a millisecond of jitter
    assert 4.3 <= float(mos["mos_average"]) <= 4.4, mos
    assert 8.6 <= float(mos["mos_total"]) <= 8.8, mos
    assert mos["mos_le_4.5"] == 2 and mos["mos_le_4.0"] == 0, mos
    assert statistics["totalstatistics"]["rtcpparsed"] >= 10


def test_malformed_rtcp_is_counted_and_forwarded(rtpengine_factory):
    daemon = rtpengine_factory()
    caller, callee = MediaPeer(), MediaPeer()
    try:
        call = Call(daemon)
        assert_ok(call.offer(simple_sdp(caller.host, caller.port)))
        answer = assert_ok(call.answer(simple_sdp(callee.host, callee.port)))
        relay = Sdp(answer["sdp"]).media_address()
        # an RR whose count claims a report block it does not carry
        bad = struct.pack("!BBHI", 0x81, 201, 1, CALLER_SSRC)
        caller.rtcp.send(bad, (relay[0], relay[1] + 1))
        assert callee.rtcp.receive(2.0) is not None
        statistics = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]
        assert statistics["totalstatistics"]["rtcpmalformed"] == 1
    finally:
        caller.close()
        callee.close()


@pytest.mark.skipif(not os.path.exists(test_srtp.PEER), reason="srtp_peer not built (make test-e2e builds it)")
@pytest.mark.upstream_differs("reads the relay's own 'measured' figures")
def test_srtcp_is_read_after_decryption(rtpengine_factory):
    """The callee speaks SDES-SRTP (libsrtp2 protects its RTCP): the relay reads the report
    after SRTCP decryption, as if it had come in plain."""
    daemon = rtpengine_factory()
    caller, callee = MediaPeer(test_srtp.CALLER), MediaPeer(test_srtp.CALLEE)
    try:
        call = Call(daemon)
        offer = assert_ok(call.offer(make_sdp(test_srtp.CALLER, media_section(caller.port)),
                                     {"transport-protocol": "RTP/SAVP"}))["sdp"]
        callee_key = test_srtp.new_key()
        tag = test_srtp.crypto_key(offer, tag=7)[0]
        answer = make_sdp(test_srtp.CALLEE, media_section(
            callee.port, protocol="RTP/SAVP",
            attributes=("sendrecv", "crypto:%d %s inline:%s" % (tag, test_srtp.SUITE, callee_key))))
        answered = Sdp(assert_ok(call.answer(answer))["sdp"])
        relay_for_callee = Sdp(offer).media_address()
        caller.rtp.send(build_rtp(1, 160, CALLER_SSRC), answered.media_address())
        assert callee.rtp.receive(2.0) is not None
        for packet in test_srtp.srtp("protect", callee_key, [build_rtp(1, 160, CALLEE_SSRC)]):
            callee.rtp.send(packet, relay_for_callee)
        assert caller.rtp.receive(2.0) is not None
        report = build_rtcp_rr(CALLEE_SSRC, [build_report_block(CALLER_SSRC, fraction_lost=26, cumulative_lost=5)])
        protected = test_srtp.srtp("protect-rtcp", callee_key, [report])[0]
        callee.rtcp.send(protected, (relay_for_callee[0], relay_for_callee[1] + 1))
        assert caller.rtcp.receive(2.0)[0] == report
        reply = assert_ok(call.query())
    finally:
        caller.close()
        callee.close()
    entry = ssrc_entry(reply, CALLEE_SSRC)
    assert entry["cumulative loss"] == 5, entry
    assert entry["measured"]["RTCP packets"] == 1, entry
    statistics = assert_ok(daemon.ng({"command": "statistics"}))["statistics"]["totalstatistics"]
    assert statistics["rtcpparsed"] == 1 and statistics["rtcpmalformed"] == 0, statistics
