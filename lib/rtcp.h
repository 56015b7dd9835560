/* RTCP compound packets (RFC 3550 section 6: SR, RR, SDES, BYE, APP; RFC 3611 section 4.7:
 * XR VoIP metrics) parsed into one flat, fixed-size report, and the MOS estimate rtpengine
 * 10.5 derives from round-trip time, jitter and loss.
 *
 * Contract: rtcp_parse() reads a plain (already SRTCP-decrypted) compound packet, checks every
 * length against the received bytes and fills a caller-owned struct rtcp_report; pointers in
 * it (the CNAME) point into the packet. It never allocates and keeps no state: any thread, one
 * call per RTCP packet. Cost: a walk over the compound's headers and report blocks (tens of ns).
 *
 * Errors: -EINVAL when the compound is malformed (not version 2, a length past the end, a
 * count that does not fit its packet, first packet neither SR nor RR as RFC 3550 section 6.1
 * requires). Parts after the first bad one are not looked at. Report blocks past
 * RTCP_MAX_REPORT_BLOCKS and XR blocks of other types are skipped (counted, not an error). */
#ifndef RTPENGINE_RTCP_H
#define RTPENGINE_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCP_TYPE_SR 200
#define RTCP_TYPE_RR 201
#define RTCP_TYPE_SDES 202
#define RTCP_TYPE_BYE 203
#define RTCP_TYPE_APP 204
#define RTCP_TYPE_XR 207

#define RTCP_MAX_REPORT_BLOCKS 31   /* the most one SR or RR can carry (5-bit count) */

/* RFC 3550 section 6.4.1: the sender info of an SR. */
struct rtcp_sender_info {
	uint32_t ssrc;
	uint32_t ntp_seconds, ntp_fraction;
	uint32_t rtp_timestamp;
	uint32_t packet_count, octet_count;
};

/* RFC 3550 section 6.4.1: one reception report block, and who sent it. */
struct rtcp_report_block {
	uint32_t reporter_ssrc;         /* the SR's or RR's SSRC */
	uint32_t ssrc;                  /* the source reported on */
	uint8_t fraction_lost;          /* lost / expected since the last report, x 256 */
	int32_t cumulative_lost;        /* 24-bit signed */
	uint32_t highest_sequence;      /* extended */
	uint32_t jitter;                /* in RTP timestamp units */
	uint32_t last_sr;               /* middle 32 bits of the NTP time of the last SR, 0 = none */
	uint32_t delay_since_last_sr;   /* 1/65536 s */
};

/* RFC 3611 section 4.7: the VoIP metrics report block (block type 7). */
struct rtcp_xr_voip_metrics {
	uint32_t reporter_ssrc, ssrc;
	uint8_t loss_rate, discard_rate;        /* fraction x 256 */
	uint16_t round_trip_delay_ms, end_system_delay_ms;
	uint8_t r_factor, mos_lq, mos_cq;       /* MOS x 10; 127 = unavailable */
};

struct rtcp_report {
	unsigned int parts;             /* packets in the compound */
	bool has_sender_info;
	struct rtcp_sender_info sender;        /* the first SR */
	unsigned int block_count;
	unsigned int blocks_skipped;    /* past RTCP_MAX_REPORT_BLOCKS */
	const unsigned char *cname;     /* first SDES CNAME item (RFC 3550 section 6.5.1), not NUL-terminated */
	uint8_t cname_length;
	uint32_t cname_ssrc;
	unsigned int bye_count;         /* BYE packets */
	unsigned int app_count;         /* APP packets */
	unsigned int other_count;       /* other packet types (RTPFB, PSFB, ...) */
	bool has_voip_metrics;
	struct rtcp_xr_voip_metrics voip_metrics;   /* the first one */
	struct rtcp_report_block blocks[RTCP_MAX_REPORT_BLOCKS];   /* last: filled up to block_count */
};

/* Parses a compound RTCP packet. Returns 0 or -EINVAL (see above); report is filled as far as
 * the packet was valid either way. */
int rtcp_parse(const unsigned char *packet, size_t length, struct rtcp_report *report);

/* The NTP timestamp's middle 32 bits, what LSR echoes (RFC 3550 section 6.4.1). */
static inline uint32_t rtcp_ntp_middle(uint32_t ntp_seconds, uint32_t ntp_fraction)
{
	return ntp_seconds << 16 | ntp_fraction >> 16;
}

/* rtpengine 10.5's MOS (x 10, truncated, 10..45) for round-trip time (microseconds, 0 for its
 * listening-quality mode), jitter (milliseconds) and loss (percent, 0..100): a simplified ITU-T
 * G.107 E-model, effective latency = RTT + 2 x jitter + 10 ms, R = 93.2 - latency / 40 below
 * 160 ms, else 93.2 - (latency - 120) / 10, minus 2.5 per percent lost, then
 * MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R); below R 0 (more than ~37% loss, or seconds of
 * delay) 1.0, as ITU-T G.107 annex B bounds it. */
int rtcp_mos(uint64_t rtt_us, unsigned int jitter_ms, unsigned int loss_percent);

#endif
