/* RTP/RTCP header parsing; see rtp_header.h. */
#include "rtp_header.h"

#include <errno.h>

static uint16_t read16(const unsigned char *p)
{
	return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t read32(const unsigned char *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

bool rtp_packet_is_rtcp(const unsigned char *packet, size_t length)
{
	return length >= 8 && (packet[0] >> 6) == 2 && packet[1] >= 192 && packet[1] <= 223;
}

int rtp_header_parse(const unsigned char *packet, size_t length, struct rtp_header_info *info)
{
	if (length < 12 || (packet[0] >> 6) != 2)
		return -EINVAL;
	unsigned int csrc_count = packet[0] & 0x0f;
	size_t header_length = 12 + 4 * csrc_count;
	if (header_length > length)
		return -EINVAL;
	if (packet[0] & 0x10) {
		/* RFC 3550 section 5.3.1: 4-byte extension header, then length 32-bit words */
		if (header_length + 4 > length)
			return -EINVAL;
		size_t extension_words = read16(packet + header_length + 2);
		header_length += 4 + 4 * extension_words;
		if (header_length > length)
			return -EINVAL;
	}
	size_t padding = 0;
	if (packet[0] & 0x20) {
		padding = packet[length - 1];
		if (padding == 0 || padding > length - header_length)
			return -EINVAL;
	}
	info->marker = packet[1] & 0x80;
	info->payload_type = packet[1] & 0x7f;
	info->sequence = read16(packet + 2);
	info->timestamp = read32(packet + 4);
	info->ssrc = read32(packet + 8);
	info->header_length = header_length;
	info->payload_length = length - header_length - padding;
	return 0;
}

int rtp_packet_ssrc(const unsigned char *packet, size_t length, uint32_t *ssrc)
{
	if (length < 12 || (packet[0] >> 6) != 2)
		return -EINVAL;
	*ssrc = read32(packet + 8);
	return 0;
}

int rtcp_compound_parse(const unsigned char *packet, size_t length,
                        void (*visit)(const struct rtcp_packet_info *info, void *data), void *data)
{
	size_t offset = 0;
	int parts = 0;
	while (offset < length) {
		if (length - offset < 4)
			return -EINVAL;
		const unsigned char *part = packet + offset;
		if ((part[0] >> 6) != 2)
			return -EINVAL;
		size_t part_length = ((size_t) read16(part + 2) + 1) * 4;
		if (part_length > length - offset)
			return -EINVAL;
		struct rtcp_packet_info info = {
			.packet_type = part[1],
			.count = part[0] & 0x1f,
			.sender_ssrc = part_length >= 8 ? read32(part + 4) : 0,
			.length = part_length,
		};
		/* RFC 3550 section 6.1: the first packet of a compound is SR or RR */
		if (parts == 0 && info.packet_type != 200 && info.packet_type != 201)
			return -EINVAL;
		if (visit)
			visit(&info, data);
		parts++;
		offset += part_length;
	}
	return parts ? parts : -EINVAL;
}
