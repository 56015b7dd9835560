/* The kernel's per-SSRC RTP statistics into the daemon's media quality; see kernel_quality.h. */
#include "kernel_quality.h"

#include <string.h>
#include "media_quality.h"

/* the SDP gives payload_type a rate (8000 included, which the kernel needs no slot for) */
static bool sdp_lists(const struct payload_clock_rates *sdp, uint8_t payload_type)
{
	for (unsigned int i = 0; i < sdp->count && i < MEDIA_QUALITY_CLOCK_RATES; i++)
		if (sdp->payload_types[i] == payload_type)
			return true;
	return false;
}

static bool rate_listed(const struct kernel_clock_rate *rates, unsigned int count, uint8_t payload_type)
{
	for (unsigned int i = 0; i < count; i++)
		if (rates[i].payload_type == payload_type)
			return true;
	return false;
}

void kernel_quality_clock_rates(const struct payload_clock_rates *sdp,
				struct kernel_clock_rate rates[KERNEL_CLOCK_RATE_SLOTS])
{
	/* the audio ones of RFC 3551 table 4 that are not 8000 Hz; video (90000 Hz) types are
	 * too many for the slots and their jitter is not used for a MOS */
	static const uint8_t types[] = { 6, 10, 11, 16, 17, 14, 25, 26 };
	unsigned int count = 0;
	memset(rates, 0, sizeof(*rates) * KERNEL_CLOCK_RATE_SLOTS);
	/* the SDP's first: a dynamic type's rate (Opus at 48000) is known only from its a=rtpmap,
	 * and an a=rtpmap may give a static type another rate; 8000 is the kernel's default */
	for (unsigned int i = 0; sdp && i < sdp->count && i < MEDIA_QUALITY_CLOCK_RATES
			&& count < KERNEL_CLOCK_RATE_SLOTS; i++) {
		if (sdp->rates[i] == 8000 || !sdp->rates[i] || rate_listed(rates, count, sdp->payload_types[i]))
			continue;
		rates[count].payload_type = sdp->payload_types[i];
		rates[count++].clock_rate = sdp->rates[i];
	}
	for (unsigned int i = 0; i < sizeof(types) && count < KERNEL_CLOCK_RATE_SLOTS; i++) {
		if (rate_listed(rates, count, types[i]) || (sdp && sdp_lists(sdp, types[i])))
			continue;
		rates[count].payload_type = types[i];
		rates[count++].clock_rate = media_quality_clock_rate(types[i]);
	}
}

static void set_clock_rate(struct ssrc_quality *quality, uint32_t clock_rate)
{
	if (!clock_rate || quality->clock_rate == clock_rate)
		return;
	quality->clock_rate = clock_rate;
	quality->us_per_tick_q16 = (uint32_t) ((1000000ULL << 16) / clock_rate);
}

/* A kernel slot for an SSRC the daemon's state is not about (none yet, or the sender
 * changed SSRC while in the kernel): the state starts afresh from the kernel's figures, as
 * the worker starts it afresh on a new SSRC. */
static void start_from_kernel(struct ssrc_quality *quality, const struct kernel_rtp_stats *stats)
{
	media_quality_restart(quality, stats->ssrc, 0);
	set_clock_rate(quality, stats->clock_rate);
	quality->base_sequence = stats->first_sequence;
	quality->highest_sequence = stats->highest_sequence;
	quality->window = ~0ULL;
	quality->received = stats->packets;
	quality->duplicates = stats->duplicates;
	quality->reordered = stats->reordered;
	quality->jitter_us16 = stats->jitter_us16;
}

uint64_t kernel_quality_merge(struct ssrc_quality *quality, struct kernel_quality_seen *seen,
                              const struct kernel_rtp_stats stats[KERNEL_SSRC_SLOTS])
{
	/* the slot that moved last is the sender's SSRC now */
	int newest = -1;
	for (int i = 0; i < KERNEL_SSRC_SLOTS; i++) {
		if (!stats[i].used || !stats[i].packets)
			continue;
		bool moved = !seen->slots[i].used || seen->slots[i].ssrc != stats[i].ssrc
			|| stats[i].packets != seen->slots[i].packets || stats[i].duplicates != seen->slots[i].duplicates;
		if (moved && (newest < 0 || stats[i].last_arrival_us > stats[newest].last_arrival_us))
			newest = i;
	}
	if (newest < 0)
		return 0;
	const struct kernel_rtp_stats *now = &stats[newest];
	typeof(seen->slots[0]) *before = &seen->slots[newest];
	if (before->used && before->ssrc != now->ssrc)
		memset(before, 0, sizeof(*before));
	uint64_t added;
	if (!quality->received || quality->ssrc != now->ssrc) {
		start_from_kernel(quality, now);
		added = now->packets;
	} else {
		uint32_t advance;
		if (before->used) {
			advance = now->highest_sequence - before->highest_sequence;
		} else {
			/* RFC 3550 A.1: the kernel's first packet extended next to our highest */
			int16_t offset = (int16_t) (uint16_t) (now->first_sequence - quality->highest_sequence);
			uint32_t first = quality->highest_sequence + (uint32_t) (int32_t) offset;
			uint32_t highest = first + (now->highest_sequence - now->first_sequence);
			advance = (int32_t) (highest - quality->highest_sequence) > 0 ? highest - quality->highest_sequence : 0;
		}
		quality->highest_sequence += advance;
		/* the kernel's window is not handed over: what it forwarded counts as seen */
		quality->window = advance >= 64 ? ~0ULL : quality->window << advance | ((1ULL << advance) - 1);
		added = now->packets - before->packets;
		quality->received += added;
		quality->duplicates += now->duplicates - before->duplicates;
		quality->reordered += now->reordered - before->reordered;
		set_clock_rate(quality, now->clock_rate);
		if (added)
			quality->jitter_us16 = now->jitter_us16;
	}
	if (added) {
		quality->last_timestamp = now->last_timestamp;
		quality->last_arrival_us = now->last_arrival_us;
	}
	before->used = true;
	before->ssrc = now->ssrc;
	before->packets = now->packets;
	before->duplicates = now->duplicates;
	before->reordered = now->reordered;
	before->highest_sequence = now->highest_sequence;
	return added;
}
