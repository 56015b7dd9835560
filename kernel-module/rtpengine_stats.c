// SPDX-License-Identifier: GPL-2.0
/*
 * Per-SSRC RTP statistics of a target (ABI 3): what the daemon's media quality figures need
 * when the kernel forwards a stream, measured as the daemon's own packet path measures them
 * (daemon/media_quality.h): distinct packets and octets, extended highest sequence (RFC 3550
 * appendix A.1), duplicates and reordering within a 64-packet window, the interarrival
 * jitter estimator of appendix A.8 in microseconds x 16, the last RTP timestamp and arrival.
 *
 * Cost: one spinlock per target for the slots (a stream arrives on one CPU at a time, so it
 * is uncontended), one clock read (ktime_get_ns: jitter needs better than the coarse tick),
 * a dozen integer operations. The daemon reads the slots with its once-a-second bulk read
 * of the counters file and with the final DELETE, never per packet.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "rtpengine_internal.h"

void rtpengine_rtp_stats_init(struct rtpengine_rtp_ssrc_stats *stats)
{
	spin_lock_init(&stats->lock);
}

static u32 clock_rate_of(const struct rtpengine_target *target, u8 payload_type)
{
	unsigned int i;

	for (i = 0; i < RTPENGINE_CLOCK_RATE_SLOTS; i++)
		if (target->clock_rates[i].used && target->clock_rates[i].payload_type == payload_type)
			return target->clock_rates[i].clock_rate;
	return RTPENGINE_DEFAULT_CLOCK_RATE;
}

static void first_packet(struct rtpengine_rtp_stats *slot, u32 ssrc, u16 sequence, u32 timestamp,
			 u32 clock_rate, unsigned int length, u64 now_ns)
{
	memset(slot, 0, sizeof(*slot));
	slot->used = 1;
	slot->ssrc = ssrc;
	slot->packets = 1;
	slot->octets = length;
	slot->first_sequence = slot->highest_sequence = sequence;
	slot->last_timestamp = timestamp;
	slot->clock_rate = clock_rate;
	slot->last_arrival_ns = now_ns;
}

/* RFC 3550 A.1 (sequence extension, here with a 64-bit window instead of probation) and
 * A.8 (J += (|D| - J) / 16, J kept x 16 so the division is a shift). */
static void count_packet(struct rtpengine_rtp_ssrc_stats *stats, struct rtpengine_rtp_stats *slot,
			 u16 sequence, u32 timestamp, u32 clock_rate, unsigned int length, u64 now_ns)
{
	s16 ahead = (s16)(sequence - (u16)slot->highest_sequence);
	s64 timestamp_us, difference;

	if (ahead > 0) {
		slot->highest_sequence += (u32)ahead;
		stats->window = ahead >= 64 ? 1 : stats->window << ahead | 1;
	} else {
		u64 bit = ahead > -64 ? 1ULL << -ahead : 0;

		if (stats->window & bit) {
			slot->duplicates++;
			return;
		}
		stats->window |= bit;
		slot->reordered++;
	}
	slot->packets++;
	slot->octets += length;
	timestamp_us = div_s64((s64)(s32)(timestamp - slot->last_timestamp) * 1000000, clock_rate);
	difference = (s64)(now_ns - slot->last_arrival_ns) / 1000 - timestamp_us;
	if (difference < 0)
		difference = -difference;
	slot->jitter_us16 += (u64)difference - ((slot->jitter_us16 + 8) >> 4);
	slot->last_timestamp = timestamp;
	slot->clock_rate = clock_rate;
	slot->last_arrival_ns = now_ns;
}

void rtpengine_rtp_stats_packet(struct rtpengine_rtp_ssrc_stats *stats, const struct rtpengine_target *target,
				u32 ssrc, u8 payload_type, u16 sequence, u32 timestamp, unsigned int length)
{
	u32 clock_rate = clock_rate_of(target, payload_type);
	u64 now_ns = ktime_get_ns();
	struct rtpengine_rtp_stats *slot = NULL;
	unsigned int i;

	spin_lock_bh(&stats->lock);
	/* the last SSRC seen is the likeliest: one stream, one sender */
	if (stats->slots[stats->last_slot].used && stats->slots[stats->last_slot].ssrc == ssrc) {
		slot = &stats->slots[stats->last_slot];
	} else {
		for (i = 0; i < RTPENGINE_SSRC_SLOTS; i++) {
			if (!stats->slots[i].used) {
				first_packet(&stats->slots[i], ssrc, sequence, timestamp, clock_rate, length, now_ns);
				stats->window = 1;
				stats->last_slot = i;
				goto out;
			}
			if (stats->slots[i].ssrc == ssrc) {
				slot = &stats->slots[i];
				/* the window belongs to the last SSRC: another SSRC's history is
				 * not kept, so its duplicates count as reordered ones */
				stats->window = 0;
				stats->last_slot = i;
				break;
			}
		}
	}
	if (slot)
		count_packet(stats, slot, sequence, timestamp, clock_rate, length, now_ns);
out:
	spin_unlock_bh(&stats->lock);
}

void rtpengine_rtp_stats_snapshot(struct rtpengine_rtp_ssrc_stats *stats, struct rtpengine_rtp_stats *out)
{
	spin_lock_bh(&stats->lock);
	memcpy(out, stats->slots, sizeof(stats->slots));
	spin_unlock_bh(&stats->lock);
}

int rtpengine_clock_rates_validate(const struct rtpengine_clock_rate *rates, const char **reason)
{
	unsigned int i;

	for (i = 0; i < RTPENGINE_CLOCK_RATE_SLOTS; i++) {
		if (!rates[i].used) {
			if (rates[i].payload_type || rates[i].reserved || rates[i].clock_rate) {
				*reason = "unused clock rate slot with non-zero bytes";
				return -EINVAL;
			}
			continue;
		}
		if (rates[i].used != 1 || rates[i].reserved || rates[i].payload_type > 127 ||
		    !rates[i].clock_rate || rates[i].clock_rate > 1000000) {
			*reason = "clock rate slot out of range (payload type 0..127, rate 1..1000000)";
			return -EINVAL;
		}
	}
	return 0;
}
