/* RTCP compound parsing and MOS; see rtcp.h. */
#include "rtcp.h"

#include <errno.h>
#include <string.h>

#define RTCP_HEADER_LENGTH 4
#define RTCP_REPORT_BLOCK_LENGTH 24
#define RTCP_SENDER_INFO_LENGTH 20
#define RTCP_SDES_CNAME 1
#define RTCP_XR_VOIP_METRICS 7
#define RTCP_XR_VOIP_METRICS_LENGTH 36   /* block header + 32 bytes (RFC 3611 section 4.7) */

static uint16_t read16(const unsigned char *p)
{
	return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t read32(const unsigned char *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* SR or RR report blocks: count blocks of 24 bytes from body on (RFC 3550 section 6.4). */
static int parse_report_blocks(const unsigned char *body, size_t length, unsigned int count, uint32_t reporter,
                               struct rtcp_report *report)
{
	if ((size_t) count * RTCP_REPORT_BLOCK_LENGTH > length)
		return -EINVAL;
	for (unsigned int i = 0; i < count; i++) {
		const unsigned char *block = body + (size_t) i * RTCP_REPORT_BLOCK_LENGTH;
		if (report->block_count == RTCP_MAX_REPORT_BLOCKS) {
			report->blocks_skipped++;
			continue;
		}
		/* cumulative lost is a 24-bit two's complement number */
		int32_t lost = (int32_t) (read32(block + 4) & 0xffffff);
		if (lost & 0x800000)
			lost -= 0x1000000;
		report->blocks[report->block_count++] = (struct rtcp_report_block) {
			.reporter_ssrc = reporter,
			.ssrc = read32(block),
			.fraction_lost = block[4],
			.cumulative_lost = lost,
			.highest_sequence = read32(block + 8),
			.jitter = read32(block + 12),
			.last_sr = read32(block + 16),
			.delay_since_last_sr = read32(block + 20),
		};
	}
	return 0;
}

static int parse_sr(const unsigned char *part, size_t length, unsigned int count, struct rtcp_report *report)
{
	if (length < RTCP_HEADER_LENGTH + 4 + RTCP_SENDER_INFO_LENGTH)
		return -EINVAL;
	const unsigned char *info = part + RTCP_HEADER_LENGTH + 4;
	uint32_t ssrc = read32(part + RTCP_HEADER_LENGTH);
	if (!report->has_sender_info) {
		report->has_sender_info = true;
		report->sender = (struct rtcp_sender_info) {
			.ssrc = ssrc,
			.ntp_seconds = read32(info),
			.ntp_fraction = read32(info + 4),
			.rtp_timestamp = read32(info + 8),
			.packet_count = read32(info + 12),
			.octet_count = read32(info + 16),
		};
	}
	size_t used = RTCP_HEADER_LENGTH + 4 + RTCP_SENDER_INFO_LENGTH;
	return parse_report_blocks(part + used, length - used, count, ssrc, report);
}

static int parse_rr(const unsigned char *part, size_t length, unsigned int count, struct rtcp_report *report)
{
	if (length < RTCP_HEADER_LENGTH + 4)
		return -EINVAL;
	size_t used = RTCP_HEADER_LENGTH + 4;
	return parse_report_blocks(part + used, length - used, count, read32(part + RTCP_HEADER_LENGTH), report);
}

/* RFC 3550 section 6.5: count chunks of an SSRC and items ended by a null item, each chunk
 * padded to 32 bits. Only the first CNAME is kept. */
static int parse_sdes(const unsigned char *part, size_t length, unsigned int count, struct rtcp_report *report)
{
	size_t offset = RTCP_HEADER_LENGTH;
	for (unsigned int chunk = 0; chunk < count; chunk++) {
		if (length - offset < 4)
			return -EINVAL;
		uint32_t ssrc = read32(part + offset);
		offset += 4;
		for (;;) {
			if (offset >= length)
				return -EINVAL;
			uint8_t type = part[offset];
			if (type == 0)
				break;
			if (length - offset < 2 || length - offset - 2 < part[offset + 1])
				return -EINVAL;
			uint8_t item_length = part[offset + 1];
			if (type == RTCP_SDES_CNAME && !report->cname) {
				report->cname = part + offset + 2;
				report->cname_length = item_length;
				report->cname_ssrc = ssrc;
			}
			offset += 2 + (size_t) item_length;
		}
		/* the null item, then padding to the next 32-bit boundary */
		offset = (offset + 4) & ~(size_t) 3;
		if (offset > length)
			return -EINVAL;
	}
	return 0;
}

/* RFC 3611 section 3: after the sender's SSRC, blocks of type, type-specific byte and length
 * (32-bit words after the 4-byte block header). */
static int parse_xr(const unsigned char *part, size_t length, struct rtcp_report *report)
{
	if (length < RTCP_HEADER_LENGTH + 4)
		return -EINVAL;
	uint32_t reporter = read32(part + RTCP_HEADER_LENGTH);
	size_t offset = RTCP_HEADER_LENGTH + 4;
	while (offset < length) {
		if (length - offset < 4)
			return -EINVAL;
		const unsigned char *block = part + offset;
		size_t block_length = 4 + 4 * (size_t) read16(block + 2);
		if (block_length > length - offset)
			return -EINVAL;
		if (block[0] == RTCP_XR_VOIP_METRICS && block_length >= RTCP_XR_VOIP_METRICS_LENGTH
		    && !report->has_voip_metrics) {
			report->has_voip_metrics = true;
			report->voip_metrics = (struct rtcp_xr_voip_metrics) {
				.reporter_ssrc = reporter,
				.ssrc = read32(block + 4),
				.loss_rate = block[8],
				.discard_rate = block[9],
				.round_trip_delay_ms = read16(block + 16),
				.end_system_delay_ms = read16(block + 18),
				.r_factor = block[24],
				.mos_lq = block[26],
				.mos_cq = block[27],
			};
		}
		offset += block_length;
	}
	return 0;
}

int rtcp_parse(const unsigned char *packet, size_t length, struct rtcp_report *report)
{
	/* the block array (700 bytes) is filled up to block_count only */
	memset(report, 0, offsetof(struct rtcp_report, blocks));
	size_t offset = 0;
	while (offset < length) {
		if (length - offset < RTCP_HEADER_LENGTH)
			return -EINVAL;
		const unsigned char *part = packet + offset;
		if ((part[0] >> 6) != 2)
			return -EINVAL;
		size_t part_length = ((size_t) read16(part + 2) + 1) * 4;
		if (part_length > length - offset)
			return -EINVAL;
		uint8_t type = part[1];
		unsigned int count = part[0] & 0x1f;
		/* RFC 3550 section 6.1: the first packet of a compound is SR or RR */
		if (report->parts == 0 && type != RTCP_TYPE_SR && type != RTCP_TYPE_RR)
			return -EINVAL;
		int error = 0;
		switch (type) {
		case RTCP_TYPE_SR:
			error = parse_sr(part, part_length, count, report);
			break;
		case RTCP_TYPE_RR:
			error = parse_rr(part, part_length, count, report);
			break;
		case RTCP_TYPE_SDES:
			error = parse_sdes(part, part_length, count, report);
			break;
		case RTCP_TYPE_BYE:
			/* RFC 3550 section 6.6: count SSRCs, then an optional reason */
			if ((size_t) count * 4 > part_length - RTCP_HEADER_LENGTH)
				error = -EINVAL;
			report->bye_count++;
			break;
		case RTCP_TYPE_APP:
			/* RFC 3550 section 6.7: SSRC and a four-character name at least */
			if (part_length < RTCP_HEADER_LENGTH + 8)
				error = -EINVAL;
			report->app_count++;
			break;
		case RTCP_TYPE_XR:
			error = parse_xr(part, part_length, report);
			break;
		default:
			report->other_count++;
			break;
		}
		if (error)
			return error;
		report->parts++;
		offset += part_length;
	}
	return report->parts ? 0 : -EINVAL;
}

int rtcp_mos(uint64_t rtt_us, unsigned int jitter_ms, unsigned int loss_percent)
{
	/* in whole milliseconds, as 10.5 reports and computes them */
	double latency = (double) (rtt_us / 1000) + 2.0 * jitter_ms + 10.0;
	double r = latency < 160 ? 93.2 - latency / 40.0 : 93.2 - (latency - 120.0) / 10.0;
	r -= 2.5 * (loss_percent > 100 ? 100 : loss_percent);
	/* ITU-T G.107 annex B: MOS 1 below R 0 (the cubic turns up again there: huge round trips
	 * or jitter would score well) */
	if (r < 0)
		return 10;
	double mos = 1.0 + 0.035 * r + 0.000007 * r * (r - 60.0) * (100.0 - r);
	int tenths = (int) (mos * 10.0);
	return tenths < 10 ? 10 : tenths > 45 ? 45 : tenths;
}
