/* BUNDLE demultiplexing by MID and SSRC; see bundle_demux.h. */
#include "bundle_demux.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define RTP_FIXED_HEADER 12
/* RFC 8285 section 4.2 / 4.3: the "defined by profile" values of the two forms */
#define EXTENSION_ONE_BYTE 0xBEDEu
#define EXTENSION_TWO_BYTE_MASK 0xFFF0u
#define EXTENSION_TWO_BYTE 0x1000u

static uint32_t read_u32(const unsigned char *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* RFC 8285 section 4.2: ID (4 bits) and L (4 bits, length - 1); ID 0 is a padding byte and
 * ID 15 stops the walk. */
static int find_one_byte(const unsigned char *data, size_t size, unsigned int id, const unsigned char **value)
{
	size_t at = 0;
	while (at < size) {
		unsigned int element = data[at] >> 4, element_length = (data[at] & 0x0f) + 1u;
		if (element == 0) {
			at++;
			continue;
		}
		if (element == 15)
			return -ENOENT;
		if (at + 1 + element_length > size)
			return -EINVAL;
		if (element == id) {
			*value = data + at + 1;
			return (int) element_length;
		}
		at += 1 + element_length;
	}
	return -ENOENT;
}

/* RFC 8285 section 4.3: ID byte, length byte, value; ID 0 is a padding byte. */
static int find_two_byte(const unsigned char *data, size_t size, unsigned int id, const unsigned char **value)
{
	size_t at = 0;
	while (at < size) {
		if (data[at] == 0) {
			at++;
			continue;
		}
		if (at + 2 > size)
			return -EINVAL;
		unsigned int element = data[at], element_length = data[at + 1];
		if (at + 2 + element_length > size)
			return -EINVAL;
		if (element == id) {
			*value = data + at + 2;
			return (int) element_length;
		}
		at += 2 + element_length;
	}
	return -ENOENT;
}

int rtp_header_extension_find(const unsigned char *packet, size_t length, unsigned int id,
			      const unsigned char **value)
{
	if (length < RTP_FIXED_HEADER || (packet[0] >> 6) != 2 || id == 0 || id > 255)
		return -EINVAL;
	if (!(packet[0] & 0x10))
		return -ENOENT;   /* RFC 3550 section 5.1: X bit clear, no extension */
	size_t at = RTP_FIXED_HEADER + 4u * (packet[0] & 0x0f);
	if (at + 4 > length)
		return -EINVAL;
	unsigned int profile = (unsigned int) packet[at] << 8 | packet[at + 1];
	size_t size = 4u * ((size_t) packet[at + 2] << 8 | packet[at + 3]);
	at += 4;
	if (at + size > length)
		return -EINVAL;
	if (profile == EXTENSION_ONE_BYTE)
		return id < 15 ? find_one_byte(packet + at, size, id, value) : -ENOENT;
	if ((profile & EXTENSION_TWO_BYTE_MASK) == EXTENSION_TWO_BYTE)
		return find_two_byte(packet + at, size, id, value);
	return -ENOENT;   /* an extension of another profile (RFC 3550 only) */
}

void bundle_demux_init(struct bundle_demux *demux, unsigned int mid_extension_id)
{
	memset(demux, 0, sizeof(*demux));
	demux->mid_extension_id = mid_extension_id <= 255 ? (uint8_t) mid_extension_id : 0;
}

int bundle_demux_find_mid(const struct bundle_demux *demux, const char *mid, size_t length)
{
	for (unsigned int i = 0; i < demux->media_count; i++)
		if (strlen(demux->mids[i]) == length && !memcmp(demux->mids[i], mid, length))
			return (int) i;
	return -ENOENT;
}

int bundle_demux_add_media(struct bundle_demux *demux, const char *mid)
{
	size_t length = strlen(mid);
	if (!length || length >= BUNDLE_MID_SIZE)
		return -EINVAL;
	int existing = bundle_demux_find_mid(demux, mid, length);
	if (existing >= 0)
		return existing;
	if (demux->media_count >= BUNDLE_MAX_MEDIA)
		return -ENOSPC;
	memcpy(demux->mids[demux->media_count], mid, length + 1);
	return (int) demux->media_count++;
}

int bundle_demux_add_ssrc(struct bundle_demux *demux, uint32_t ssrc, unsigned int media)
{
	if (media >= demux->media_count)
		return -EINVAL;
	for (unsigned int i = 0; i < demux->ssrc_count; i++) {
		if (demux->ssrcs[i].ssrc == ssrc) {
			demux->ssrcs[i].media = (uint8_t) media;
			return 0;
		}
	}
	if (demux->ssrc_count >= BUNDLE_MAX_SSRCS)
		return -ENOSPC;
	demux->ssrcs[demux->ssrc_count++] = (struct bundle_ssrc) { .ssrc = ssrc, .media = (uint8_t) media };
	return 0;
}

int bundle_demux_add_payload_type(struct bundle_demux *demux, unsigned int payload_type, unsigned int media)
{
	if (payload_type >= BUNDLE_PAYLOAD_TYPES || media >= demux->media_count)
		return -EINVAL;
	uint8_t *entry = &demux->payload_types[payload_type];
	if (*entry == 0)
		*entry = (uint8_t) (media + 1);
	else if (*entry != media + 1)
		*entry = BUNDLE_PAYLOAD_AMBIGUOUS;
	return 0;
}

static int find_ssrc(const struct bundle_demux *demux, uint32_t ssrc)
{
	for (unsigned int i = 0; i < demux->ssrc_count; i++)
		if (demux->ssrcs[i].ssrc == ssrc)
			return demux->ssrcs[i].media;
	return -ENOENT;
}

int bundle_demux_route(struct bundle_demux *demux, const unsigned char *packet, size_t length)
{
	if (length < RTP_FIXED_HEADER)
		return -ENOENT;
	uint32_t ssrc = read_u32(packet + 8);
	if (demux->mid_extension_id) {
		const unsigned char *mid;
		int mid_length = rtp_header_extension_find(packet, length, demux->mid_extension_id, &mid);
		int media = mid_length > 0 ? bundle_demux_find_mid(demux, (const char *) mid, (size_t) mid_length)
			: -ENOENT;
		if (media >= 0) {
			/* a full table keeps routing by MID; only the SSRC shortcut is lost */
			(void) bundle_demux_add_ssrc(demux, ssrc, (unsigned int) media);
			return media;
		}
	}
	int media = find_ssrc(demux, ssrc);
	if (media >= 0)
		return media;
	uint8_t by_type = demux->payload_types[packet[1] & 0x7f];
	if (by_type == 0 || by_type == BUNDLE_PAYLOAD_AMBIGUOUS)
		return -ENOENT;
	(void) bundle_demux_add_ssrc(demux, ssrc, (unsigned int) by_type - 1);
	return by_type - 1;
}

int bundle_demux_route_rtcp(const struct bundle_demux *demux, const unsigned char *packet, size_t length)
{
	if (length < 8)
		return -ENOENT;
	return find_ssrc(demux, read_u32(packet + 4));
}

/* The MID element of the one-byte form: ID and L (length - 1), the value, zero padding to
 * the next word (RFC 8285 section 4.2: padding bytes are 0 and skipped by receivers). */
static size_t write_mid_element(unsigned char *out, unsigned int id, const char *mid, size_t mid_length)
{
	out[0] = (unsigned char) (id << 4 | (mid_length - 1));
	memcpy(out + 1, mid, mid_length);
	size_t size = 1 + mid_length;
	while (size % 4)
		out[size++] = 0;
	return size;
}

/* RFC 8285 section 4.2: whether the walk of a (well-formed) one-byte block meets ID 15. */
static bool one_byte_walk_stops(const unsigned char *data, size_t size)
{
	size_t at = 0;
	while (at < size) {
		if ((data[at] >> 4) == 15)
			return true;
		at += data[at] >> 4 ? 2u + (data[at] & 0x0f) : 1u;
	}
	return false;
}

int rtp_header_extension_add_mid(unsigned char *packet, size_t length, size_t capacity, unsigned int id,
				 const char *mid, size_t mid_length)
{
	if (mid_length == 0 || mid_length >= BUNDLE_MID_SIZE)
		return -EINVAL;
	if (id == 0 || id > 14 || mid_length > 16)
		return -ENOTSUP;   /* the one-byte form holds ids 1..14 and values of 1..16 bytes */
	const unsigned char *existing;
	int found = rtp_header_extension_find(packet, length, id, &existing);
	if (found >= 0)
		return (int) length;
	if (found == -EINVAL)
		return -EINVAL;
	size_t element_size = (1 + mid_length + 3) & ~(size_t) 3;
	size_t header_end = RTP_FIXED_HEADER + 4u * (packet[0] & 0x0f);
	if (header_end > length)
		return -EINVAL;   /* the CSRC list runs past the packet */
	size_t insert_at, grow;
	if (packet[0] & 0x10) {
		unsigned int profile = (unsigned int) packet[header_end] << 8 | packet[header_end + 1];
		if (profile != EXTENSION_ONE_BYTE)
			return -ENOTSUP;
		size_t words = (size_t) packet[header_end + 2] << 8 | packet[header_end + 3];
		if (one_byte_walk_stops(packet + header_end + 4, 4 * words))
			return -ENOTSUP;   /* an element appended after ID 15 would never be read */
		insert_at = header_end + 4 + 4 * words;
		grow = element_size;
		if (length + grow > capacity)
			return -ENOSPC;
		memmove(packet + insert_at + grow, packet + insert_at, length - insert_at);
		words += element_size / 4;
		packet[header_end + 2] = (unsigned char) (words >> 8);
		packet[header_end + 3] = (unsigned char) words;
		write_mid_element(packet + insert_at, id, mid, mid_length);
		return (int) (length + grow);
	}
	insert_at = header_end;
	grow = 4 + element_size;
	if (length + grow > capacity)
		return -ENOSPC;
	memmove(packet + insert_at + grow, packet + insert_at, length - insert_at);
	packet[insert_at] = EXTENSION_ONE_BYTE >> 8;
	packet[insert_at + 1] = EXTENSION_ONE_BYTE & 0xff;
	packet[insert_at + 2] = 0;
	packet[insert_at + 3] = (unsigned char) (element_size / 4);
	write_mid_element(packet + insert_at + 4, id, mid, mid_length);
	packet[0] |= 0x10;
	return (int) (length + grow);
}
