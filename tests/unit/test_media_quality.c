/* Unit tests for daemon/media_quality.c: the relay's own RTP figures (loss, duplicates,
 * reordering across the 16-bit sequence wrap, RFC 3550 A.8 jitter against a direct
 * computation), a new SSRC starting afresh, MOS samples from crafted RTCP with known clocks
 * (round trip of each leg from LSR/DLSR, the reporter's SSRC, one sample a second, CQ and LQ),
 * the MOS progression against 10.5's selection over every sample, clock rates from the
 * SDP (a 48 kHz dynamic type, G.722's 8000), and the cost of the per-packet update. */
#include "media_quality.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "call.h"
#include "rtcp.h"
#include "sdp.h"

/* ---- helpers ---- */

static void rtp_packet(unsigned char packet[12], uint32_t ssrc, uint16_t sequence, uint32_t timestamp)
{
	packet[0] = 0x80;
	packet[1] = 0;   /* PCMU */
	packet[2] = (unsigned char) (sequence >> 8);
	packet[3] = (unsigned char) sequence;
	for (int i = 0; i < 4; i++) {
		packet[4 + i] = (unsigned char) (timestamp >> (24 - 8 * i));
		packet[8 + i] = (unsigned char) (ssrc >> (24 - 8 * i));
	}
}

static struct ssrc_quality *new_quality(void)
{
	return g_aligned_alloc0(1, sizeof(struct ssrc_quality), 64);
}

static void feed(struct ssrc_quality *quality, uint32_t ssrc, uint16_t sequence, int64_t arrival_us)
{
	unsigned char packet[12];
	rtp_packet(packet, ssrc, sequence, (uint32_t) sequence * 160);
	media_quality_rtp(quality, packet, arrival_us);
}

/* ---- RTP ---- */

static void test_rtp_counts_across_wrap(void)
{
	struct ssrc_quality *quality = new_quality();
	/* 65530 .. 65535, 0 .. 13 without 7, 65535 twice, 5 late */
	uint16_t order[] = { 65530, 65531, 65532, 65533, 65534, 65535, 65535, 0, 1, 2, 3, 4, 6, 5, 8, 9,
			     10, 11, 12, 13 };
	for (unsigned int i = 0; i < G_N_ELEMENTS(order); i++)
		feed(quality, 7, order[i], 1000000 + 20000 * (int64_t) i);
	g_assert_cmpuint(media_quality_expected(quality), ==, 20);
	g_assert_cmpuint(quality->received, ==, 19);
	g_assert_cmpuint(media_quality_lost(quality), ==, 1);   /* 7 never came */
	g_assert_cmpuint(quality->duplicates, ==, 1);
	g_assert_cmpuint(quality->reordered, ==, 1);
	/* a new SSRC starts afresh */
	feed(quality, 8, 100, 2000000);
	g_assert_cmpuint(quality->ssrc, ==, 8);
	g_assert_cmpuint(quality->received, ==, 1);
	g_assert_cmpuint(media_quality_lost(quality), ==, 0);
	g_aligned_free(quality);
}

static void test_jitter_as_rfc3550(void)
{
	struct ssrc_quality *quality = new_quality();
	/* arrivals 20 ms apart, every other one 6 ms late: the direct A.8 estimator in doubles */
	double jitter = 0;
	int64_t previous_transit = 0;
	for (int i = 0; i < 200; i++) {
		int64_t arrival = 5000000 + 20000LL * i + (i % 2 ? 6000 : 0);
		feed(quality, 9, (uint16_t) i, arrival);
		int64_t transit = arrival - 125LL * 160 * i;   /* 125 us per tick at 8000 Hz */
		if (i)
			jitter += (llabs(transit - previous_transit) - jitter) / 16.0;
		previous_transit = transit;
	}
	g_assert_cmpfloat_with_epsilon(quality->jitter_us16 / 16.0, jitter, 20.0);
	g_assert_cmpuint(media_quality_jitter_ms(quality), ==, (unsigned int) (jitter / 1000));
	g_assert_cmpuint(media_quality_jitter_ms(quality), >=, 5);
	g_aligned_free(quality);
}

/* ---- RTCP and MOS: two sides of a call built by hand ---- */

struct two_sides {
	struct call *call;
	struct media *caller, *callee;
};

/* call_id: unique per test */
static void build_call(struct two_sides *sides, const char *call_id)
{
	call_registry_init();
	sides->call = call_create(call_id, NULL);
	struct monologue *a = call_add_monologue(sides->call, "a");
	struct monologue *b = call_add_monologue(sides->call, "b");
	sides->caller = monologue_add_media(a, "audio", "RTP/AVP");
	sides->callee = monologue_add_media(b, "audio", "RTP/AVP");
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		sides->caller->streams[kind].sink = &sides->callee->streams[kind];
		sides->callee->streams[kind].sink = &sides->caller->streams[kind];
	}
	g_assert_true(stream_quality(&sides->caller->streams[STREAM_RTP]) == sides->caller->streams[STREAM_RTP].extras->quality);
	g_assert_cmpuint((uintptr_t) stream_quality(&sides->caller->streams[STREAM_RTP]) % 64, ==, 0);
}

static size_t build_sr(unsigned char *out, uint32_t ssrc, uint32_t ntp_seconds, uint32_t ntp_fraction,
                       uint32_t about, uint8_t fraction_lost, uint32_t jitter, uint32_t lsr, uint32_t dlsr)
{
	uint32_t words[] = {
		0x81c8000c, ssrc, ntp_seconds, ntp_fraction, 0, 0, 0,
		about, (uint32_t) fraction_lost << 24 | 3, 0, jitter, lsr, dlsr,
	};
	for (unsigned int i = 0; i < G_N_ELEMENTS(words); i++)
		for (int b = 0; b < 4; b++)
			out[4 * i + (unsigned int) b] = (unsigned char) (words[i] >> (24 - 8 * b));
	return sizeof(words);
}

static void test_mos_samples_from_reports(void)
{
	media_quality_set_mode(MOS_CQ);
	struct two_sides sides;
	build_call(&sides, "quality-reports");
	struct stream *caller_rtcp = &sides.caller->streams[STREAM_RTCP];
	struct stream *callee_rtcp = &sides.callee->streams[STREAM_RTCP];
	struct ssrc_quality *caller = stream_quality(&sides.caller->streams[STREAM_RTP]);
	struct ssrc_quality *callee = stream_quality(&sides.callee->streams[STREAM_RTP]);
	feed(caller, 0xaaaa, 1, 0);
	feed(callee, 0xbbbb, 1, 0);
	unsigned char packet[64];
	int64_t t = 10000000;   /* monotonic microseconds */
	/* caller's SR (NTP middle 0x00010002) at t; the callee reports on it 50 ms later with
	 * DLSR 30 ms: callee's leg 20 ms. No caller leg yet: a sample without MOS. */
	size_t length = build_sr(packet, 0xaaaa, 1, 0x00020000, 0xbbbb, 0, 0, 0, 0);
	g_assert_cmpint(media_quality_rtcp(caller_rtcp, packet, length, 1, t), ==, 0);
	length = build_sr(packet, 0xbbbb, 2, 0x00030000, 0xaaaa, 64, 80, 0x00010002, 30 * 65536 / 1000);
	g_assert_cmpint(media_quality_rtcp(callee_rtcp, packet, length, 2000000, t + 50000), ==, 0);
	g_assert_cmpuint(callee->samples, ==, 1);
	g_assert_cmpuint(callee->mos_samples, ==, 0);
	g_assert_cmpuint(callee->progression->samples[0].rtt_leg_us / 1000, ==, 20);
	g_assert_cmpuint(callee->cumulative_lost, ==, 3);
	/* the caller reports on the callee's SR 100 ms after it, DLSR 90 ms: caller's leg 10 ms;
	 * round trip 30 ms; 25% loss, 10 ms jitter -> MOS as rtcp_mos() */
	length = build_sr(packet, 0xaaaa, 3, 0, 0xbbbb, 64, 80, 0x00020003, 90 * 65536 / 1000);
	g_assert_cmpint(media_quality_rtcp(caller_rtcp, packet, length, 3000000, t + 150000), ==, 0);
	g_assert_cmpuint(caller->mos_samples, ==, 1);
	const struct mos_sample *sample = &caller->highest;
	g_assert_cmpuint(sample->rtt_leg_us / 100, ==, 100);
	g_assert_cmpuint(sample->rtt_us / 100, ==, 300);
	g_assert_cmpuint(sample->jitter_ms, ==, 10);
	g_assert_cmpuint(sample->loss_percent, ==, 25);
	g_assert_cmpint(sample->mos, ==, rtcp_mos(sample->rtt_us, 10, 25));
	g_assert_cmpint(sample->reported_s, ==, 3);
	/* a second report within a second of the last sample adds none */
	length = build_sr(packet, 0xaaaa, 4, 0, 0xbbbb, 0, 0, 0x00020003, 500 * 65536 / 1000);
	g_assert_cmpint(media_quality_rtcp(caller_rtcp, packet, length, 3500000, t + 560000), ==, 0);
	g_assert_cmpuint(caller->samples, ==, 1);
	/* a report about an SSRC the peer does not send is ignored; garbage is refused */
	length = build_sr(packet, 0xaaaa, 5, 0, 0xcccc, 0, 0, 0x00020003, 0);
	g_assert_cmpint(media_quality_rtcp(caller_rtcp, packet, length, 5000000, t + 2000000), ==, 0);
	g_assert_cmpuint(caller->samples, ==, 1);
	g_assert_cmpint(media_quality_rtcp(caller_rtcp, packet, 7, 5000000, t + 2000000), <, 0);
	call_destroy(sides.call, "test over");
}

static void test_listening_quality_without_round_trip(void)
{
	media_quality_set_mode(MOS_LQ);
	struct two_sides sides;
	build_call(&sides, "quality-listening");
	struct ssrc_quality *callee = stream_quality(&sides.callee->streams[STREAM_RTP]);
	feed(stream_quality(&sides.caller->streams[STREAM_RTP]), 0xaaaa, 1, 0);
	feed(callee, 0xbbbb, 1, 0);
	unsigned char packet[64];
	size_t length = build_sr(packet, 0xbbbb, 2, 0, 0xaaaa, 0, 0, 0, 0);
	g_assert_cmpint(media_quality_rtcp(&sides.callee->streams[STREAM_RTCP], packet, length, 1, 1000), ==, 0);
	g_assert_cmpuint(callee->mos_samples, ==, 1);
	g_assert_cmpint(callee->highest.mos, ==, 44);
	media_quality_set_mode(MOS_CQ);
	call_destroy(sides.call, "test over");
}

/* ---- MOS progression ---- */

/* 10.5's selection over every sample (call_interfaces.c ng_stats_ssrc, as its query shows):
 * interval = (last - first) / 10 seconds, then each sample at or after the next step. */
static unsigned int reference_progression(const uint32_t *times, unsigned int count, uint32_t *interval,
                                          uint32_t *out)
{
	*interval = (times[count - 1] - times[0]) / 10;
	uint64_t next_step = times[0];
	unsigned int listed = 0;
	for (unsigned int i = 0; i < count; i++) {
		if (times[i] < next_step)
			continue;
		next_step += *interval;
		out[listed++] = times[i];
	}
	return listed;
}

/* The callee sends a receiver report about the caller at realtime second `second` (and
 * monotonic the same): one sample each, in LQ mode (no round trip needed). */
static void report_at(struct two_sides *sides, uint32_t second, uint8_t fraction_lost)
{
	unsigned char packet[64];
	size_t length = build_sr(packet, 0xbbbb, second, 0, 0xaaaa, fraction_lost, 0, 0, 0);
	g_assert_cmpint(media_quality_rtcp(&sides->callee->streams[STREAM_RTCP], packet, length,
					   (int64_t) second * 1000000, (int64_t) second * 1000000), ==, 0);
}

static void check_progression(const char *name, const uint32_t *times, unsigned int count, bool exact)
{
	media_quality_set_mode(MOS_LQ);
	struct two_sides sides;
	build_call(&sides, name);
	struct ssrc_quality *callee = stream_quality(&sides.callee->streams[STREAM_RTP]);
	feed(stream_quality(&sides.caller->streams[STREAM_RTP]), 0xaaaa, 1, 0);
	feed(callee, 0xbbbb, 1, 0);
	/* lazy: RTP alone allocates no progression */
	g_assert_null(callee->progression);
	for (unsigned int i = 0; i < count; i++)
		report_at(&sides, times[i], (uint8_t) (i % 7));
	g_assert_cmpuint(callee->samples, ==, count);
	g_assert_nonnull(callee->progression);
	g_assert_cmpuint(callee->progression->count, <=, callee->progression->capacity);
	g_assert_cmpuint(callee->progression->capacity, <=, MEDIA_QUALITY_PROGRESSION_MAX);
	/* every sample kept up to the cap */
	if (count <= MEDIA_QUALITY_PROGRESSION_MAX) {
		g_assert_cmpuint(callee->progression->count, ==, count);
		g_assert_cmpuint(callee->progression->bucket_s, ==, 0);
	}
	uint32_t *expected = g_new(uint32_t, count);
	uint32_t expected_interval;
	unsigned int expected_count = reference_progression(times, count, &expected_interval, expected);
	struct mos_progression_view view;
	media_quality_progression(callee, &view);
	uint32_t bucket = callee->progression->bucket_s;
	g_test_message("%s: %u samples (%u kept of %u), interval %u, %u entries (10.5: %u), bucket %u s", name,
		       count, callee->progression->count, callee->progression->capacity, view.interval_s, view.count,
		       expected_count, bucket);
	g_assert_cmpuint(view.interval_s, ==, expected_interval);
	g_assert_cmpuint(view.entries[0].reported_s, ==, times[0]);
	if (exact) {
		g_assert_cmpuint(view.count, ==, expected_count);
		for (unsigned int i = 0; i < view.count; i++) {
			g_assert_cmpuint(view.entries[i].reported_s, ==, expected[i]);
			/* the sample's own figures, not only its time */
			unsigned int index = 0;
			while (times[index] != expected[i])
				index++;
			g_assert_cmpuint(view.entries[i].loss_percent, ==, (index % 7) * 100 / 256);
		}
	} else {
		/* thinned past the cap: each entry at most a bucket after 10.5's */
		g_assert_cmpuint(bucket, >, 0);
		g_assert_cmpuint(bucket * 3, <=, view.interval_s);
		g_assert_cmpuint(view.count + 1, >=, expected_count);
		g_assert_cmpuint(view.count, <=, expected_count + 1);
		for (unsigned int i = 0; i < MIN(view.count, expected_count); i++) {
			g_assert_cmpuint(view.entries[i].reported_s, >=, expected[i]);
			g_assert_cmpuint(view.entries[i].reported_s, <=, expected[i] + 2 * bucket);
		}
	}
	g_free(expected);
	media_quality_set_mode(MOS_CQ);
	call_destroy(sides.call, "test over");
}

static void test_progression_as_10_5(void)
{
	enum { LONGEST = MEDIA_QUALITY_PROGRESSION_MAX + 20000 };
	uint32_t *times = g_new(uint32_t, LONGEST);
	/* under 10 s: every sample (interval 0) */
	for (unsigned int i = 0; i < 8; i++)
		times[i] = 1000 + i;
	check_progression("progression-short", times, 8, true);
	/* 40 s of one-second samples: interval 3 */
	for (unsigned int i = 0; i < 40; i++)
		times[i] = 1000 + i;
	check_progression("progression-40", times, 40, true);
	/* 5 minutes of reports every 5 s, with a gap */
	for (unsigned int i = 0; i < 60; i++)
		times[i] = 1000 + 5 * i + (i >= 30 ? 40 : 0);
	check_progression("progression-5s", times, 60, true);
	/* past the 64 samples the progression kept before: an hour of reports every 5 s, 2000
	 * irregular ones (1..7 s), 65 one-second ones: exactly 10.5's entries */
	for (unsigned int i = 0; i < 720; i++)
		times[i] = 1000 + 5 * i;
	check_progression("progression-hour", times, 720, true);
	uint32_t t = 1000;
	for (unsigned int i = 0; i < 2000; i++) {
		times[i] = t;
		t += 1 + (i * 7919) % 7;
	}
	check_progression("progression-irregular", times, 2000, true);
	for (unsigned int i = 0; i < 65; i++)
		times[i] = 1000 + i;
	check_progression("progression-65", times, 65, true);
	/* a day of one-second samples fills the cap exactly; 20000 more thin it */
	for (unsigned int i = 0; i < LONGEST; i++)
		times[i] = 1000 + i;
	check_progression("progression-day", times, MEDIA_QUALITY_PROGRESSION_MAX, true);
	check_progression("progression-past-a-day", times, LONGEST, false);
	g_free(times);
}

/* An SSRC that never gets a sample allocates nothing; a new SSRC frees its predecessor's
 * progression (ASan/LSan: make test-asan). */
static void test_progression_lazy_and_released(void)
{
	media_quality_set_mode(MOS_LQ);
	struct two_sides sides;
	build_call(&sides, "progression-lazy");
	struct ssrc_quality *callee = stream_quality(&sides.callee->streams[STREAM_RTP]);
	feed(stream_quality(&sides.caller->streams[STREAM_RTP]), 0xaaaa, 1, 0);
	for (uint16_t sequence = 1; sequence < 100; sequence++)
		feed(callee, 0xbbbb, sequence, sequence * 20000);
	g_assert_null(callee->progression);
	struct mos_progression_view view;
	media_quality_progression(callee, &view);
	g_assert_cmpuint(view.count, ==, 0);
	report_at(&sides, 1000, 0);
	g_assert_nonnull(callee->progression);
	g_assert_cmpuint(callee->progression->capacity, ==, MEDIA_QUALITY_PROGRESSION_FIRST);
	for (uint32_t second = 1001; second < 1000 + MEDIA_QUALITY_PROGRESSION_FIRST + 1; second++)
		report_at(&sides, second, 0);
	g_assert_cmpuint(callee->progression->capacity, ==, 2 * MEDIA_QUALITY_PROGRESSION_FIRST);
	/* the callee changes SSRC: its state, progression included, starts afresh */
	feed(callee, 0xcccc, 1, 5000000);
	g_assert_null(callee->progression);
	g_assert_cmpuint(callee->samples, ==, 0);
	media_quality_set_mode(MOS_CQ);
	call_destroy(sides.call, "test over");
}

/* ---- clock rates ---- */

static struct sdp_session *parse_sdp(const char *text)
{
	const char *error = NULL;
	struct sdp_session *session = sdp_parse(text, strlen(text), &error);
	g_assert_nonnull(session);
	return session;
}

static void test_clock_rates_from_sdp(void)
{
	struct sdp_session *session = parse_sdp(
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio 5000 RTP/AVP 111 9 0 6 101 100\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:9 G722/8000\r\n"
		"a=rtpmap:101 telephone-event/48000\r\n");
	struct payload_clock_rates rates;
	media_quality_clock_rates_from_sdp(g_ptr_array_index(session->media, 0), &rates);
	g_assert_cmpuint(rates.count, ==, 6);
	g_assert_cmpuint(media_quality_payload_clock_rate(&rates, 111), ==, 48000);
	/* RFC 3551 section 4.5.2: G.722 samples at 16 kHz, its RTP clock runs at 8000 */
	g_assert_cmpuint(media_quality_payload_clock_rate(&rates, 9), ==, 8000);
	g_assert_cmpuint(media_quality_payload_clock_rate(&rates, 0), ==, 8000);
	g_assert_cmpuint(media_quality_payload_clock_rate(&rates, 6), ==, 16000);   /* DVI4/16000, static */
	g_assert_cmpuint(media_quality_payload_clock_rate(&rates, 101), ==, 48000);
	g_assert_cmpuint(media_quality_payload_clock_rate(&rates, 100), ==, 8000);  /* dynamic, no rtpmap */
	g_assert_cmpuint(media_quality_payload_clock_rate(&rates, 31), ==, 90000);  /* H261, not listed */
	sdp_session_free(session);
}

/* RFC 3550 A.8 in the payload type's own timestamp units: 20 ms of Opus is 960 ticks at
 * 48 kHz; counted at 8000 Hz the timestamps would run 6x too fast and the jitter explode. */
static void test_jitter_at_48_khz(void)
{
	struct ssrc_quality *quality = new_quality();
	struct payload_clock_rates rates = { .count = 2, .payload_types = { 111, 9 }, .rates = { 48000, 8000 } };
	media_quality_set_clock_rates(quality, &rates);
	double jitter = 0;
	int64_t previous_transit = 0;
	unsigned char packet[12];
	for (int i = 0; i < 200; i++) {
		int64_t arrival = 5000000 + 20000LL * i + (i % 2 ? 4000 : 0);
		rtp_packet(packet, 11, (uint16_t) i, (uint32_t) i * 960);
		packet[1] = 111;
		media_quality_rtp(quality, packet, arrival);
		int64_t transit = arrival * 48 / 1000 - 960LL * i;   /* in 48 kHz ticks */
		if (i)
			jitter += ((double) llabs(transit - previous_transit) - jitter) / 16.0;
		previous_transit = transit;
	}
	g_assert_cmpuint(quality->clock_rate, ==, 48000);
	double jitter_us = jitter * 1000000.0 / 48000;
	g_assert_cmpfloat_with_epsilon(quality->jitter_us16 / 16.0, jitter_us, 25.0);
	g_assert_cmpuint(media_quality_jitter_ms(quality), ==, 3);   /* ~4 ms every other packet */
	/* G.722 at 20 ms: 160 ticks (8000 Hz clock), on time: no jitter */
	struct ssrc_quality *g722 = new_quality();
	media_quality_set_clock_rates(g722, &rates);
	for (int i = 0; i < 100; i++) {
		rtp_packet(packet, 12, (uint16_t) i, (uint32_t) i * 160);
		packet[1] = 9;
		media_quality_rtp(g722, packet, 1000000 + 20000LL * i);
	}
	g_assert_cmpuint(g722->clock_rate, ==, 8000);
	g_assert_cmpuint(g722->jitter_us16, ==, 0);
	/* a re-offer that changes the rate applies to the running SSRC */
	struct payload_clock_rates wide = { .count = 1, .payload_types = { 9 }, .rates = { 16000 } };
	media_quality_set_clock_rates(g722, &wide);
	g_assert_cmpuint(g722->clock_rate, ==, 16000);
	g_assert_cmpuint(g722->us_per_tick_q16, ==, (uint32_t) ((1000000ULL << 16) / 16000));
	/* and survives a new SSRC */
	rtp_packet(packet, 13, 1, 160);
	packet[1] = 9;
	media_quality_rtp(g722, packet, 9000000);
	g_assert_cmpuint(g722->ssrc, ==, 13);
	g_assert_cmpuint(g722->clock_rate, ==, 16000);
	g_aligned_free(g722);
	g_aligned_free(quality);
}

/* A reception report's jitter is in the reported stream's timestamp units (RFC 3550 6.4.1):
 * 480 ticks of a 48 kHz stream are 10 ms. */
static void test_reported_jitter_in_clock_units(void)
{
	media_quality_set_mode(MOS_LQ);
	struct two_sides sides;
	build_call(&sides, "quality-clock");
	struct payload_clock_rates rates = { .count = 1, .payload_types = { 111 }, .rates = { 48000 } };
	media_quality_set_clock_rates(stream_quality(&sides.caller->streams[STREAM_RTP]), &rates);
	unsigned char rtp[12];
	rtp_packet(rtp, 0xaaaa, 1, 0);
	rtp[1] = 111;
	media_quality_rtp(stream_quality(&sides.caller->streams[STREAM_RTP]), rtp, 0);
	struct ssrc_quality *callee = stream_quality(&sides.callee->streams[STREAM_RTP]);
	feed(callee, 0xbbbb, 1, 0);
	unsigned char packet[64];
	size_t length = build_sr(packet, 0xbbbb, 2, 0, 0xaaaa, 0, 480, 0, 0);
	g_assert_cmpint(media_quality_rtcp(&sides.callee->streams[STREAM_RTCP], packet, length, 1000000, 1000), ==, 0);
	g_assert_cmpuint(callee->mos_samples, ==, 1);
	g_assert_cmpuint(callee->latest.jitter_ms, ==, 10);
	g_assert_cmpuint(media_quality_current_mos(callee), ==, callee->latest.mos);
	media_quality_set_mode(MOS_CQ);
	call_destroy(sides.call, "test over");
}

/* ---- cost ---- */

static void test_per_packet_cost(void)
{
	/* 2000 streams (1000 calls), 20 packets each, round robin as a worker meets them: the
	 * state of 2000 streams (128 KB of hot lines) is past L1, as at 500+ calls */
	enum { STREAMS = 2000, ROUNDS = 20 };
	struct ssrc_quality *qualities = g_aligned_alloc0(STREAMS, sizeof(struct ssrc_quality), 64);
	unsigned char packet[12];
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int round = 0; round < ROUNDS; round++)
		for (int s = 0; s < STREAMS; s++) {
			rtp_packet(packet, (uint32_t) s + 1, (uint16_t) round, (uint32_t) round * 160);
			media_quality_rtp(&qualities[s], packet, round * 20000 + s);
		}
	clock_gettime(CLOCK_MONOTONIC, &end);
	double ns = ((double) (end.tv_sec - start.tv_sec) * 1e9 + (double) (end.tv_nsec - start.tv_nsec))
		/ (STREAMS * ROUNDS);
	g_test_message("media_quality_rtp: %.1f ns per packet over %d streams", ns, STREAMS);
	g_assert_cmpuint(qualities[STREAMS - 1].received, ==, ROUNDS);
	/* generous: a loaded shared machine; the relay spends ~5000 ns per packet */
	g_assert_cmpfloat(ns, <, 500);
	g_aligned_free(qualities);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/media-quality/rtp-counts-across-wrap", test_rtp_counts_across_wrap);
	g_test_add_func("/media-quality/jitter-as-rfc3550", test_jitter_as_rfc3550);
	g_test_add_func("/media-quality/mos-samples-from-reports", test_mos_samples_from_reports);
	g_test_add_func("/media-quality/listening-quality", test_listening_quality_without_round_trip);
	g_test_add_func("/media-quality/progression-as-10.5", test_progression_as_10_5);
	g_test_add_func("/media-quality/progression-lazy-and-released", test_progression_lazy_and_released);
	g_test_add_func("/media-quality/clock-rates-from-sdp", test_clock_rates_from_sdp);
	g_test_add_func("/media-quality/jitter-at-48-khz", test_jitter_at_48_khz);
	g_test_add_func("/media-quality/reported-jitter-in-clock-units", test_reported_jitter_in_clock_units);
	g_test_add_func("/media-quality/per-packet-cost", test_per_packet_cost);
	return g_test_run();
}
