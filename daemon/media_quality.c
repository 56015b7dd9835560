/* Per-SSRC media quality from RTP and RTCP, MOS samples; see media_quality.h. */
#include "media_quality.h"

#include <errno.h>
#include <string.h>
#include "call.h"
#include "call_lifecycle.h"
#include "codec.h"
#include "rtcp.h"

static enum media_quality_mos_mode mos_mode = MOS_CQ;
static struct media_quality_totals totals;   /* control thread */

const unsigned int media_quality_histogram_bounds[MEDIA_QUALITY_HISTOGRAM_BUCKETS] = {
	10, 20, 30, 35, 40, 43, 45,
};

void media_quality_set_mode(enum media_quality_mos_mode mode)
{
	mos_mode = mode;
}

enum media_quality_mos_mode media_quality_mode(void)
{
	return mos_mode;
}

uint32_t media_quality_clock_rate(uint8_t payload_type)
{
	/* RFC 3551 section 6, table 4 and 5: the static types that do not run at 8000 Hz */
	switch (payload_type) {
	case 6:
		return 16000;
	case 10: case 11:
		return 44100;
	case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
		return 90000;
	case 16:
		return 11025;
	case 17:
		return 22050;
	default:
		return 8000;
	}
}

uint32_t media_quality_payload_clock_rate(const struct payload_clock_rates *rates, uint8_t payload_type)
{
	for (unsigned int i = 0; i < rates->count; i++)
		if (rates->payload_types[i] == payload_type)
			return rates->rates[i];
	return media_quality_clock_rate(payload_type);
}

static void set_clock(struct ssrc_quality *quality, uint8_t payload_type)
{
	quality->payload_type = payload_type;
	quality->clock_rate = media_quality_payload_clock_rate(&quality->clock_rates, payload_type);
	quality->us_per_tick_q16 = (uint32_t) ((1000000ULL << 16) / quality->clock_rate);
}

void media_quality_clock_rates_from_sdp(const struct sdp_media *media, struct payload_clock_rates *rates)
{
	memset(rates, 0, sizeof(*rates));
	/* the codec model: a=rtpmap's rate, a static type's RFC 3551 one (codec.h) */
	struct codec_list list;
	if (codec_list_from_media(media, &list) < 0)
		return;   /* not an RTP format list (or over CODEC_MAX): the static table serves */
	for (unsigned int i = 0; i < list.count && rates->count < MEDIA_QUALITY_CLOCK_RATES; i++) {
		const struct codec *codec = &list.codecs[i];
		uint8_t payload_type = (uint8_t) codec->payload_type;
		/* an rtpmap without a usable rate keeps the default: a typo, not 0 Hz */
		uint32_t rate = codec->clock_rate >= 1000 && codec->clock_rate <= 1000000 ? codec->clock_rate
			: media_quality_clock_rate(payload_type);
		rates->payload_types[rates->count] = payload_type;
		rates->rates[rates->count++] = rate;
	}
}

void media_quality_set_clock_rates(struct ssrc_quality *quality, const struct payload_clock_rates *rates)
{
	quality->clock_rates = *rates;
	if (quality->clock_rate)
		set_clock(quality, quality->payload_type);
}

void media_quality_release(struct ssrc_quality *quality)
{
	g_free(quality->progression);
	quality->progression = NULL;
}

void media_quality_restart(struct ssrc_quality *quality, uint32_t ssrc, uint8_t payload_type)
{
	struct payload_clock_rates rates = quality->clock_rates;
	media_quality_release(quality);
	memset(quality, 0, sizeof(*quality));
	quality->clock_rates = rates;
	quality->ssrc = ssrc;
	set_clock(quality, payload_type);
}

void media_quality_first_packet(struct ssrc_quality *quality, uint32_t ssrc, uint8_t payload_type,
                                uint16_t sequence, uint32_t timestamp, int64_t arrival_us)
{
	if (quality->ssrc != ssrc || !quality->clock_rate)
		media_quality_restart(quality, ssrc, payload_type);
	else
		set_clock(quality, payload_type);   /* RTCP came first (its SR started the state) */
	quality->base_sequence = quality->highest_sequence = sequence;
	quality->window = 1;
	quality->received = 1;
	quality->last_timestamp = timestamp;
	quality->last_arrival_us = arrival_us;
}

uint64_t media_quality_expected(const struct ssrc_quality *quality)
{
	return quality->received ? (uint64_t) (quality->highest_sequence - quality->base_sequence) + 1 : 0;
}

uint64_t media_quality_lost(const struct ssrc_quality *quality)
{
	uint64_t expected = media_quality_expected(quality);
	return expected > quality->received ? expected - quality->received : 0;
}

unsigned int media_quality_jitter_ms(const struct ssrc_quality *quality)
{
	return (unsigned int) (quality->jitter_us16 / 16 / 1000);
}

unsigned int media_quality_current_mos(const struct ssrc_quality *quality)
{
	return quality->samples ? quality->latest.mos : 0;
}

/* realtime seconds since the first sample, in buckets of width: a clock step back counts
 * as the first sample's second */
static uint32_t bucket_of(uint32_t first, uint32_t reported_s, uint32_t width)
{
	return reported_s > first ? (reported_s - first) / width : 0;
}

/* Keeps the first sample of each bucket of width seconds since the first sample. */
static void progression_thin(struct mos_progression *progression, uint32_t width)
{
	uint32_t first = progression->samples[0].reported_s;
	unsigned int kept = 1;
	for (unsigned int i = 1; i < progression->count; i++) {
		const struct mos_sample *sample = &progression->samples[i];
		if (bucket_of(first, sample->reported_s, width)
		    != bucket_of(first, progression->samples[kept - 1].reported_s, width))
			progression->samples[kept++] = *sample;
	}
	progression->count = kept;
	progression->bucket_s = width;
}

/* Room for one more sample: the array doubles up to MEDIA_QUALITY_PROGRESSION_MAX, then the
 * bucket doubles until thinning makes room (a walk over the array per try, once per
 * doubling of the call's length past a day). */
static struct mos_progression *progression_room(struct ssrc_quality *quality)
{
	struct mos_progression *progression = quality->progression;
	if (progression && progression->count < progression->capacity)
		return progression;
	if (!progression || progression->capacity < MEDIA_QUALITY_PROGRESSION_MAX) {
		uint32_t capacity = progression ? MIN(progression->capacity * 2, MEDIA_QUALITY_PROGRESSION_MAX)
			: MEDIA_QUALITY_PROGRESSION_FIRST;
		progression = g_realloc(progression, sizeof(*progression) + capacity * sizeof(struct mos_sample));
		if (!quality->progression)
			*progression = (struct mos_progression) { 0 };
		progression->capacity = capacity;
		quality->progression = progression;
		return progression;
	}
	while (progression->count == progression->capacity)
		progression_thin(progression, progression->bucket_s ? progression->bucket_s * 2 : 1);
	return progression;
}

static void progression_add(struct ssrc_quality *quality, const struct mos_sample *sample)
{
	quality->latest = *sample;
	struct mos_progression *progression = progression_room(quality);
	progression->latest_kept = false;
	unsigned int count = progression->count;
	if (count && progression->bucket_s) {
		uint32_t first = progression->samples[0].reported_s, width = progression->bucket_s;
		if (bucket_of(first, sample->reported_s, width)
		    == bucket_of(first, progression->samples[count - 1].reported_s, width))
			return;   /* its bucket has its first sample */
	}
	progression->samples[count] = *sample;
	progression->count = count + 1;
	progression->latest_kept = true;
}

void media_quality_progression(const struct ssrc_quality *quality, struct mos_progression_view *view)
{
	view->interval_s = 0;
	view->count = 0;
	const struct mos_progression *progression = quality->progression;
	if (!quality->samples || !progression || !progression->count)
		return;
	/* the samples kept, then the latest when thinning did not keep it */
	unsigned int total = progression->count + !progression->latest_kept;
#define SAMPLE(i) ((i) < progression->count ? &progression->samples[i] : &quality->latest)
	/* as 10.5 (about ten entries): the interval from the first and the last sample's
	 * seconds, then each sample at or after the next step, the step advancing by the
	 * interval per entry listed */
	uint32_t first = SAMPLE(0)->reported_s, last = SAMPLE(total - 1)->reported_s;
	uint32_t interval = last > first ? (last - first) / 10 : 0;
	view->interval_s = interval;
	uint64_t next_step = first;
	for (unsigned int i = 0; i < total && view->count < MEDIA_QUALITY_PROGRESSION_ENTRIES; i++) {
		if (SAMPLE(i)->reported_s < next_step)
			continue;
		next_step += interval;
		view->entries[view->count++] = *SAMPLE(i);
	}
#undef SAMPLE
}

static void add_sample(struct ssrc_quality *quality, const struct mos_sample *sample)
{
	progression_add(quality, sample);
	quality->samples++;
	if (!sample->mos)
		return;
	/* as 10.5: the first sample is both lowest and highest; a later one replaces them only
	 * when strictly lower or higher */
	if (!quality->mos_samples || sample->mos < quality->lowest.mos)
		quality->lowest = *sample;
	if (!quality->mos_samples || sample->mos > quality->highest.mos)
		quality->highest = *sample;
	quality->mos_samples++;
	quality->sum_mos += sample->mos;
	quality->sum_rtt_us += sample->rtt_us;
	quality->sum_rtt_leg_us += sample->rtt_leg_us;
	quality->sum_jitter_ms += sample->jitter_ms;
	quality->sum_loss_percent += sample->loss_percent;
}

/* A reception report block sent by the side whose stream is reporter, about the stream of
 * reported (the other side's). As 10.5 does, the sample belongs to the reporter's SSRC (what
 * that side hears): loss and jitter from the block, the round trip of the reporter's leg
 * from the time since the relay saw the SR the block echoes (LSR), less the reporter's delay
 * (DLSR, RFC 3550 section 6.4.1), and the whole round trip adds the other leg, last measured
 * from the other side's reports. One sample per MEDIA_QUALITY_SAMPLE_INTERVAL_US at most. */
static void take_report(struct ssrc_quality *reporter, const struct ssrc_quality *reported,
                        const struct rtcp_report_block *block, int64_t now_us, int64_t monotonic_us)
{
	reporter->cumulative_lost = block->cumulative_lost;
	reporter->fraction_lost = block->fraction_lost;
	reporter->reported_jitter = block->jitter;
	bool have_leg = false;
	if (block->last_sr && block->last_sr == reported->last_sr_ntp_middle && reported->last_sr_arrival_us) {
		int64_t delay_us = (int64_t) ((uint64_t) block->delay_since_last_sr * 1000000 / 65536);
		int64_t leg = monotonic_us - reported->last_sr_arrival_us - delay_us;
		/* a negative round trip is a clock or DLSR error: 10.5 discards it too */
		if (leg >= 0 && leg < UINT32_MAX) {
			reporter->rtt_leg_us = (uint32_t) leg;
			have_leg = true;
		}
	}
	if (!have_leg && mos_mode == MOS_CQ)
		return;
	if (reporter->samples && monotonic_us - reporter->last_sample_us < MEDIA_QUALITY_SAMPLE_INTERVAL_US)
		return;
	reporter->last_sample_us = monotonic_us;
	uint32_t clock_rate = reported->clock_rate ? reported->clock_rate : 8000;
	uint64_t jitter_ms = (uint64_t) block->jitter * 1000 / clock_rate;
	struct mos_sample sample = {
		.reported_s = (uint32_t) (now_us / 1000000),
		.rtt_leg_us = have_leg ? reporter->rtt_leg_us : 0,
		.jitter_ms = jitter_ms > UINT16_MAX ? UINT16_MAX : (uint16_t) jitter_ms,
		.loss_percent = (uint8_t) (block->fraction_lost * 100 / 256),
	};
	if (have_leg && reported->rtt_leg_us)
		sample.rtt_us = sample.rtt_leg_us + reported->rtt_leg_us;
	if (mos_mode == MOS_LQ)
		sample.mos = (uint8_t) rtcp_mos(0, sample.jitter_ms, sample.loss_percent);
	else if (sample.rtt_us)
		sample.mos = (uint8_t) rtcp_mos(sample.rtt_us, sample.jitter_ms, sample.loss_percent);
	add_sample(reporter, &sample);
}

int media_quality_rtcp(struct stream *stream, const unsigned char *packet, size_t length, int64_t now_us,
                       int64_t monotonic_us)
{
	struct rtcp_report report;
	int error = rtcp_parse(packet, length, &report);
	if (error)
		return error;
	struct media *media = stream->media;
	struct ssrc_quality *own = media->streams[STREAM_RTP].extras->quality;
	/* the sender's SSRC: of the SR, else of the first RR */
	uint32_t sender = report.has_sender_info ? report.sender.ssrc
		: report.block_count ? report.blocks[0].reporter_ssrc : 0;
	if (!own->ssrc && sender)
		media_quality_restart(own, sender, 0);   /* RTCP before RTP, or a side that only listens */
	if (own->ssrc != sender)
		return 0;
	own->rtcp_packets++;
	own->rtcp_octets += length;
	if (report.has_sender_info) {
		own->last_sr_ntp_middle = rtcp_ntp_middle(report.sender.ntp_seconds, report.sender.ntp_fraction);
		own->last_sr_arrival_us = monotonic_us;
		own->sender_packets = report.sender.packet_count;
		own->sender_octets = report.sender.octet_count;
	}
	const struct stream *peer_stream = media->streams[STREAM_RTP].sink;
	if (!peer_stream)
		return 0;
	const struct ssrc_quality *peer = peer_stream->extras->quality;
	for (unsigned int i = 0; i < report.block_count; i++)
		if (peer->ssrc && report.blocks[i].ssrc == peer->ssrc && report.blocks[i].reporter_ssrc == own->ssrc)
			take_report(own, peer, &report.blocks[i], now_us, monotonic_us);
	return 0;
}

/* ---- daemon totals ---- */

static void quality_call_ended(const struct call_event *event)
{
	struct call *call = event->call;
	struct media *media;
	/* the sums only: a few loads per media under the lock */
	struct {
		uint64_t sum;
		uint32_t count;
	} averages[CALL_MAX_MONOLOGUES * CALL_MAX_MEDIA];
	unsigned int count = 0;
	pthread_mutex_lock(&call->lock);
	call_foreach_media(call, media) {
		const struct ssrc_quality *quality = media->streams[STREAM_RTP].extras->quality;
		if (quality && quality->mos_samples && count < G_N_ELEMENTS(averages)) {
			averages[count].sum = quality->sum_mos;
			averages[count].count = quality->mos_samples;
			count++;
		}
	}
	pthread_mutex_unlock(&call->lock);
	for (unsigned int i = 0; i < count; i++) {
		unsigned int tenths = (unsigned int) (averages[i].sum / averages[i].count);
		double mos = tenths / 10.0;
		totals.mos_samples++;
		totals.mos_sum += mos;
		totals.mos_square_sum += mos * mos;
		for (unsigned int b = 0; b < MEDIA_QUALITY_HISTOGRAM_BUCKETS; b++)
			if (tenths <= media_quality_histogram_bounds[b])
				totals.histogram[b]++;
	}
}

const struct call_observer media_quality_observer = {
	.name = "media quality",
	.ended = quality_call_ended,
};

void media_quality_read_totals(struct media_quality_totals *copy)
{
	*copy = totals;
}
