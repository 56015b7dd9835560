/* RTCP of a transcoded media: compounds rewritten for the leg they go to (transcode_rtcp.h). */
#include "transcode_rtcp.h"

#include <errno.h>

#include "rtcp.h"

#define RTCP_HEADER_LENGTH 4
#define SENDER_INFO_LENGTH 20           /* after the SSRC: NTP (8), RTP timestamp, packets, octets */
#define REPORT_BLOCK_LENGTH 24

static uint32_t read32(const unsigned char *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void write32(unsigned char *p, uint32_t value)
{
	p[0] = (unsigned char) (value >> 24);
	p[1] = (unsigned char) (value >> 16);
	p[2] = (unsigned char) (value >> 8);
	p[3] = (unsigned char) value;
}

/* RFC 3550 section 6.4.1: cumulative number of packets lost, 24-bit signed */
static void write_cumulative_lost(unsigned char *p, int32_t lost)
{
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	uint32_t bits = (uint32_t) lost & 0xffffff;
	p[0] = (unsigned char) (bits >> 16);
	p[1] = (unsigned char) (bits >> 8);
	p[2] = (unsigned char) bits;
}

static int rewrite_blocks(unsigned char *blocks, unsigned int count, const struct transcode_rtcp_received *received)
{
	int rewritten = 0;
	for (unsigned int b = 0; b < count; b++) {
		unsigned char *block = blocks + b * REPORT_BLOCK_LENGTH;
		if (!received || !received->known || read32(block) != received->heard_ssrc)
			continue;
		/* the block reports on what the relay sent; the other leg knows the source's SSRC */
		write32(block, received->source_ssrc);
		block[4] = received->fraction_lost;
		write_cumulative_lost(block + 5, received->cumulative_lost);
		write32(block + 8, received->highest_sequence);
		/* jitter (block + 12), LSR and DLSR stay: the LSR echoes the sender's own NTP time */
		rewritten++;
	}
	return rewritten;
}

int transcode_rtcp_rewrite(unsigned char *packet, size_t length, const struct transcode_rtcp_sent *sent,
			   const struct transcode_rtcp_received *received)
{
	int rewritten = 0;
	size_t offset = 0;
	while (offset < length) {
		if (length - offset < RTCP_HEADER_LENGTH)
			return -EINVAL;
		unsigned char *part = packet + offset;
		if (part[0] >> 6 != 2)
			return -EINVAL;
		size_t part_length = 4 * ((size_t) (part[2] << 8 | part[3]) + 1);
		if (part_length > length - offset)
			return -EINVAL;
		unsigned int count = part[0] & 0x1f;
		unsigned char *body = part + RTCP_HEADER_LENGTH;
		if (part[1] == RTCP_TYPE_SR || part[1] == RTCP_TYPE_RR) {
			size_t info = part[1] == RTCP_TYPE_SR ? SENDER_INFO_LENGTH : 0;
			if (RTCP_HEADER_LENGTH + 4 + info + (size_t) count * REPORT_BLOCK_LENGTH > part_length)
				return -EINVAL;
			uint32_t reporter = read32(body);
			if (sent && sent->known && reporter == sent->source_ssrc) {
				write32(body, sent->ssrc);
				if (info) {
					/* NTP (body + 4, + 8) kept: see the header */
					write32(body + 12, sent->rtp_timestamp);
					write32(body + 16, sent->packets);
					write32(body + 20, sent->octets);
					rewritten++;
				}
			}
			rewritten += rewrite_blocks(body + 4 + info, count, received);
		}
		offset += part_length;
	}
	return rewritten;
}

uint8_t transcode_rtcp_fraction_lost(uint32_t expected_prior, uint32_t received_prior,
				     uint32_t expected, uint32_t received)
{
	uint32_t expected_interval = expected - expected_prior;
	uint32_t received_interval = received - received_prior;
	if (!expected_interval || (int32_t) (expected_interval - received_interval) <= 0)
		return 0;
	uint32_t lost_interval = expected_interval - received_interval;
	uint64_t fraction = ((uint64_t) lost_interval << 8) / expected_interval;
	return fraction > 255 ? 255 : (uint8_t) fraction;
}
