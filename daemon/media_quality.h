/* Per-SSRC media quality: what the relay measures itself from the RTP it forwards (sequence
 * gaps, duplicates, reordering, interarrival jitter per RFC 3550 appendix A.8) and what the
 * endpoints report in RTCP (RFC 3550 section 6.4: loss, jitter; the round-trip time of each leg
 * from LSR/DLSR), sampled into a MOS per report as rtpengine 10.5 does (lib/rtcp.h rtcp_mos),
 * and reported by query and delete in 10.5's "SSRC" layout. Like 10.5, an SSRC's MOS samples
 * come from the reception reports its own sender sends: the quality that side hears.
 *
 * State: one struct ssrc_quality per media, for the SSRC received on its RTP stream, in the
 * media's side allocation (stream->extras->quality of the RTP stream; NULL on the RTCP one).
 * A new SSRC on the stream starts it afresh.
 *
 * Threads and cost: media_quality_rtp() runs per RTP packet on the call's worker under the
 * call's lock: a dozen integer operations, no clock read (the worker reads one per batch), no
 * allocation. media_quality_rtcp() runs per RTCP packet (a parse and a few report blocks) on
 * the same worker. The control thread copies the struct under the call's lock (query, delete,
 * call end) and formats outside it. The daemon-wide figures (media_quality_totals) are the
 * control thread's own, updated when calls end. */
#ifndef RTPENGINE_MEDIA_QUALITY_H
#define RTPENGINE_MEDIA_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

struct stream;
struct call_observer;
struct rtcp_report;

enum media_quality_mos_mode {
	MOS_CQ = 0,   /* conversational: needs both legs' round-trip time (the default) */
	MOS_LQ,       /* listening: round-trip time ignored, a MOS without RTCP round trips */
};

/* One MOS sample, taken when a reception report about the SSRC arrives. 16 bytes: the
 * progression keeps every one of them (up to MEDIA_QUALITY_PROGRESSION_MAX per SSRC). */
struct mos_sample {
	uint32_t reported_s;            /* CLOCK_REALTIME, whole seconds: 10.5 keeps, compares and
					 * reports the seconds only ("reported at", "interval") */
	uint32_t rtt_us;                /* both legs; 0 = not known (then mos is 0) */
	uint32_t rtt_leg_us;            /* the reporting side's leg */
	uint16_t jitter_ms;
	uint8_t loss_percent;
	uint8_t mos;                    /* x 10; 0 = no MOS (round trip not known in CQ mode) */
};
_Static_assert(sizeof(struct mos_sample) == 16, "struct mos_sample: 16 bytes (progression memory)");

/* As 10.5: a report less than a second after the SSRC's last sample adds none */
#define MEDIA_QUALITY_SAMPLE_INTERVAL_US 1000000
/* The MOS progression. 10.5 keeps every sample of a call (at most one a second, unbounded)
 * and reports about ten spread over it: interval = (last - first) / 10 seconds, then from
 * the first sample on, each sample at or after the next step (step += interval; every
 * sample while the call's samples span under 10 s). We keep every sample too, in an array
 * allocated at the SSRC's first sample (an SSRC without one costs nothing) and doubled as
 * it fills, from MEDIA_QUALITY_PROGRESSION_FIRST up to MEDIA_QUALITY_PROGRESSION_MAX
 * entries (a day at one a second, 1.3 MB); so the entries are 10.5's for any call up to a
 * day long. Past that the resolution halves whenever the array fills again: the first
 * sample of each bucket of bucket_s seconds since the first sample is kept (bucket_s 2, 4,
 * ...), and an entry is then at most a bucket later than 10.5's. The latest sample is also
 * kept apart (quality->latest). Grown by the worker under the call's lock when a sample is
 * taken (RTCP, at most once a second per SSRC: log2 reallocations per call), freed with the
 * state (media_quality_release). */
#define MEDIA_QUALITY_PROGRESSION_FIRST 16
#define MEDIA_QUALITY_PROGRESSION_MAX 86400
struct mos_progression {
	uint32_t count, capacity;
	uint32_t bucket_s;              /* 0: every sample kept; else the first of each bucket */
	bool latest_kept;               /* quality->latest is samples[count - 1] */
	struct mos_sample samples[];    /* oldest first */
};
/* 10.5's "MOS progression" as query lists it: with interval = span / 10 at most 20 entries
 * (k * interval <= span < 10 * (interval + 1)), 10 while the span is under 10 s; room for a
 * few more when the realtime clock stepped */
#define MEDIA_QUALITY_PROGRESSION_ENTRIES 24
struct mos_progression_view {
	uint32_t interval_s;
	unsigned int count;
	struct mos_sample entries[MEDIA_QUALITY_PROGRESSION_ENTRIES];
};
/* Payload type clock rates a media's SDP gives (a=rtpmap, else RFC 3551's static ones) */
#define MEDIA_QUALITY_CLOCK_RATES 16
struct payload_clock_rates {
	uint8_t count;
	uint8_t payload_types[MEDIA_QUALITY_CLOCK_RATES];
	uint32_t rates[MEDIA_QUALITY_CLOCK_RATES];
};

struct ssrc_quality {
	/* per RTP packet (media_quality_rtp): these 64 bytes, one cache line (the struct is
	 * 64-byte aligned, see call.h stream_quality()) */
	uint32_t ssrc;                  /* 0 with no packet yet */
	uint32_t us_per_tick_q16;       /* microseconds per RTP tick, 16.16 fixed point */
	uint32_t highest_sequence;      /* extended */
	uint32_t last_timestamp;
	uint64_t window;                /* bit n: highest_sequence - n was received */
	uint64_t received;              /* distinct sequence numbers */
	int64_t last_arrival_us;        /* CLOCK_MONOTONIC */
	uint64_t jitter_us16;           /* RFC 3550 A.8 estimator, microseconds x 16 */
	uint64_t duplicates, reordered;
	/* the rest: first packet, RTCP, control thread */
	uint32_t base_sequence;         /* extended, first seen */
	uint32_t clock_rate;            /* of the RTP clock, from the first packet's payload type */
	uint8_t payload_type;           /* of the first packet */
	/* from RTCP */
	uint64_t rtcp_packets, rtcp_octets;   /* RTCP about or from this SSRC's sender */
	uint32_t sender_packets, sender_octets;   /* the last SR's sender info */
	uint32_t last_sr_ntp_middle;    /* the last SR from this SSRC: what an LSR echoes */
	int64_t last_sr_arrival_us;     /* CLOCK_MONOTONIC */
	uint32_t rtt_leg_us;            /* relay <-> this SSRC's sender, from its last report block */
	/* the last report block this SSRC's sender sent about the other side's stream */
	int32_t cumulative_lost;
	uint32_t reported_jitter;       /* RTP timestamp units */
	uint8_t fraction_lost;
	/* MOS: samples from the reports this SSRC's sender sent (what that side hears), as 10.5 */
	int64_t last_sample_us;         /* CLOCK_MONOTONIC */
	uint32_t samples;               /* taken, with or without a MOS */
	uint32_t mos_samples;           /* with a MOS: the ones the average counts */
	uint64_t sum_mos, sum_rtt_us, sum_rtt_leg_us, sum_jitter_ms, sum_loss_percent;
	struct mos_sample lowest, highest;
	struct mos_sample latest;       /* the last sample taken (progression and live view) */
	struct mos_progression *progression;   /* NULL until the first sample */
	/* the clock rates of the payload types this side's SDP lists (control thread, under the
	 * call's lock): kept when the state restarts for a new SSRC */
	struct payload_clock_rates clock_rates;
} __attribute__((aligned(64)));
_Static_assert(offsetof(struct ssrc_quality, base_sequence) == 64,
	       "struct ssrc_quality: the per-packet fields must fill exactly the first cache line");

/* Daemon-wide figures for the statistics snapshot (control thread). Like 10.5's "mos"
 * section: one entry per SSRC with a MOS at the end of its call, its average. */
#define MEDIA_QUALITY_HISTOGRAM_BUCKETS 7
extern const unsigned int media_quality_histogram_bounds[MEDIA_QUALITY_HISTOGRAM_BUCKETS];   /* MOS x 10, "le" */
struct media_quality_totals {
	uint64_t mos_samples;           /* SSRCs with an average MOS, in ended calls */
	double mos_sum, mos_square_sum; /* of those averages, as MOS (4.4) */
	uint64_t histogram[MEDIA_QUALITY_HISTOGRAM_BUCKETS];   /* cumulative: average <= bound */
};

void media_quality_set_mode(enum media_quality_mos_mode mode);
enum media_quality_mos_mode media_quality_mode(void);

/* Frees what the state allocated (the progression); the state stays usable. */
void media_quality_release(struct ssrc_quality *quality);

/* Starts the state afresh for ssrc (first packet or a new SSRC). */
void media_quality_restart(struct ssrc_quality *quality, uint32_t ssrc, uint8_t payload_type);

/* The first RTP packet of ssrc (the state restarts if it was another SSRC's). Worker. */
void media_quality_first_packet(struct ssrc_quality *quality, uint32_t ssrc, uint8_t payload_type,
                                uint16_t sequence, uint32_t timestamp, int64_t arrival_us);

/* The RTP clock rate of a static payload type (RFC 3551 section 6), 8000 when dynamic. */
uint32_t media_quality_clock_rate(uint8_t payload_type);
/* The clock rate of payload_type as rates gives it, else as media_quality_clock_rate(). */
uint32_t media_quality_payload_clock_rate(const struct payload_clock_rates *rates, uint8_t payload_type);

struct sdp_media;
/* The clock rates of the m= line's payload types as the codec model (codec.h) reads them
 * (control thread): a=rtpmap's (RFC 8866 section 6.6; G.722 says 8000 there, RFC 3551
 * section 4.5.2), a static type without rtpmap at RFC 3551's rate; at most
 * MEDIA_QUALITY_CLOCK_RATES, the first ones listed. */
void media_quality_clock_rates_from_sdp(const struct sdp_media *media, struct payload_clock_rates *rates);
/* Installs the side's clock rates (control thread, call's lock held): the jitter of its
 * current SSRC counts in its payload type's rate from then on. */
void media_quality_set_clock_rates(struct ssrc_quality *quality, const struct payload_clock_rates *rates);

/* One RTP packet of length >= 12 (checked by the caller), arrival in CLOCK_MONOTONIC
 * microseconds. Worker, call lock held. */
static inline void media_quality_rtp(struct ssrc_quality *quality, const unsigned char *packet, int64_t arrival_us)
{
	uint32_t ssrc = (uint32_t) packet[8] << 24 | (uint32_t) packet[9] << 16 | (uint32_t) packet[10] << 8 | packet[11];
	uint16_t sequence = (uint16_t) (packet[2] << 8 | packet[3]);
	uint32_t timestamp = (uint32_t) packet[4] << 24 | (uint32_t) packet[5] << 16 | (uint32_t) packet[6] << 8 | packet[7];
	if (__builtin_expect(quality->ssrc != ssrc || !quality->received, 0)) {
		media_quality_first_packet(quality, ssrc, packet[1] & 0x7f, sequence, timestamp, arrival_us);
		return;
	}
	int16_t ahead = (int16_t) (sequence - (uint16_t) quality->highest_sequence);
	if (ahead > 0) {
		quality->highest_sequence += (uint32_t) ahead;
		quality->window = ahead >= 64 ? 1 : quality->window << ahead | 1;
	} else {
		/* late: a duplicate if already seen (only within the last 64 can we tell) */
		uint64_t bit = ahead > -64 ? 1ULL << -ahead : 0;
		if (quality->window & bit) {
			quality->duplicates++;
			return;
		}
		quality->window |= bit;
		quality->reordered++;
	}
	quality->received++;
	/* RFC 3550 A.8: D = (arrival difference) - (timestamp difference), in microseconds */
	int64_t timestamp_us = ((int64_t) (int32_t) (timestamp - quality->last_timestamp) * quality->us_per_tick_q16) >> 16;
	int64_t difference = arrival_us - quality->last_arrival_us - timestamp_us;
	if (difference < 0)
		difference = -difference;
	quality->jitter_us16 += (uint64_t) difference - ((quality->jitter_us16 + 8) >> 4);
	quality->last_timestamp = timestamp;
	quality->last_arrival_us = arrival_us;
}

/* One plain (decrypted) RTCP packet received on stream (the RTCP stream of its media, also
 * when multiplexed). now_us: CLOCK_REALTIME, monotonic_us: CLOCK_MONOTONIC, read precisely
 * (RTT is measured in microseconds). Returns 0 or -EINVAL when the packet does not parse
 * (it is forwarded all the same). Worker, call lock held. */
int media_quality_rtcp(struct stream *stream, const unsigned char *packet, size_t length, int64_t now_us,
                       int64_t monotonic_us);

/* Figures derived from the RTP counts. */
uint64_t media_quality_expected(const struct ssrc_quality *quality);
uint64_t media_quality_lost(const struct ssrc_quality *quality);
/* The relay's own jitter estimate, in milliseconds. */
unsigned int media_quality_jitter_ms(const struct ssrc_quality *quality);
/* 10.5's "MOS progression": its "interval" (seconds) and the entries it lists, oldest first
 * (count 0 without samples). A walk over the samples kept: call it under the call's lock
 * (statistics.c), the view is a copy to format outside it. */
void media_quality_progression(const struct ssrc_quality *quality, struct mos_progression_view *view);
/* The current MOS (x 10) for the live view: the latest sample's, else 0 (none yet, or the
 * latest had no MOS: CQ mode before both legs' round trips were known). */
unsigned int media_quality_current_mos(const struct ssrc_quality *quality);

/* Control thread: folds the call's SSRC averages into the daemon totals when it ends. */
extern const struct call_observer media_quality_observer;
void media_quality_read_totals(struct media_quality_totals *totals);

#endif
