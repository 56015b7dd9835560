/* AMR/AMR-WB RTP payloads <-> storage frames (amr_payload.h, RFC 4867). */
#include "amr_payload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 4867 section 3.6 / 3GPP TS 26.101 table A.1b and TS 26.201: speech bits per frame type;
 * AMR FT 8 and AMR-WB FT 9 are SID (comfort noise), 15 is NO_DATA. */
static const int amr_bits[16] = { 95, 103, 118, 134, 148, 159, 204, 244, 39, -1, -1, -1, -1, -1, -1, 0 };
static const int amr_wb_bits[16] = { 132, 177, 253, 285, 317, 365, 397, 461, 477, 40, -1, -1, -1, -1, 0, 0 };

/* ---- static helpers ---------------------------------------------------------------------- */

struct bit_reader {
	const uint8_t *data;
	size_t length;               /* bytes */
	size_t position;             /* bits */
};

static bool bits_left(const struct bit_reader *reader, size_t bits)
{
	return reader->position + bits <= reader->length * 8;
}

static unsigned int read_bits(struct bit_reader *reader, unsigned int bits)
{
	unsigned int value = 0;
	for (unsigned int i = 0; i < bits; i++, reader->position++)
		value = value << 1 | ((reader->data[reader->position / 8] >> (7 - reader->position % 8)) & 1);
	return value;
}

static void write_bit(uint8_t *out, size_t position, unsigned int bit)
{
	if (bit)
		out[position / 8] |= (uint8_t) (0x80 >> (position % 8));
}

static bool is_speech(bool wideband, unsigned int frame_type)
{
	return frame_type < (wideband ? 9u : 8u);
}

/* "name=value" in an fmtp list ("octet-align=1; mode-set=0,2"): value as a number, -1 absent */
static long fmtp_number(const char *fmtp, const char *name)
{
	size_t name_length = strlen(name);
	for (const char *cursor = fmtp; cursor && *cursor; ) {
		while (*cursor == ' ' || *cursor == ';')
			cursor++;
		if (!strncasecmp(cursor, name, name_length) && cursor[name_length] == '=')
			return strtol(cursor + name_length + 1, NULL, 10);
		cursor = strchr(cursor, ';');
	}
	return -1;
}

/* ---- public functions -------------------------------------------------------------------- */

int amr_payload_format_parse(const char *fmtp, bool wideband, struct amr_payload_format *format)
{
	*format = (struct amr_payload_format) { .wideband = wideband };
	format->octet_aligned = fmtp_number(fmtp, "octet-align") == 1;
	format->crc = format->octet_aligned && fmtp_number(fmtp, "crc") == 1;
	/* robust-sorting and interleaving (section 8.1) change the layout: not read */
	if (fmtp_number(fmtp, "interleaving") > 0 || fmtp_number(fmtp, "robust-sorting") == 1)
		return -ENOTSUP;
	return 0;
}

int amr_frame_bits(bool wideband, unsigned int frame_type)
{
	return frame_type < 16 ? (wideband ? amr_wb_bits : amr_bits)[frame_type] : -1;
}

int amr_depacketise(const struct amr_payload_format *format, const uint8_t *payload, size_t length,
		uint8_t *out, size_t capacity, struct amr_frame *frames)
{
	struct bit_reader reader = { .data = payload, .length = length };
	unsigned int types[AMR_MAX_FRAMES], count = 0;
	bool qualities[AMR_MAX_FRAMES];
	/* CMR (section 4.3.1 / 4.4.1): a mode request for our encoder, which has none */
	if (!bits_left(&reader, format->octet_aligned ? 8 : 4))
		return -EINVAL;
	read_bits(&reader, format->octet_aligned ? 8 : 4);
	/* ToC (section 4.3.2 / 4.4.2): F (another entry follows), FT, Q [, two padding bits] */
	bool more = true;
	while (more) {
		if (count == AMR_MAX_FRAMES || !bits_left(&reader, format->octet_aligned ? 8 : 6))
			return -EINVAL;
		more = read_bits(&reader, 1);
		types[count] = read_bits(&reader, 4);
		qualities[count] = read_bits(&reader, 1);
		if (format->octet_aligned)
			read_bits(&reader, 2);
		if (amr_frame_bits(format->wideband, types[count]) < 0)
			return -EINVAL;
		count++;
	}
	if (format->crc) {
		/* section 4.4.2.1: one CRC octet per frame with speech or SID bits, not checked */
		for (unsigned int i = 0; i < count; i++)
			if (amr_frame_bits(format->wideband, types[i]) > 0) {
				if (!bits_left(&reader, 8))
					return -EINVAL;
				read_bits(&reader, 8);
			}
	}
	size_t used = 0;
	unsigned int speech = 0;
	for (unsigned int i = 0; i < count; i++) {
		unsigned int bits = (unsigned int) amr_frame_bits(format->wideband, types[i]);
		if (!bits_left(&reader, bits))
			return -EINVAL;
		if (!is_speech(format->wideband, types[i]) || !qualities[i]) {
			/* SID, NO_DATA, or a damaged frame (Q = 0, section 4.3.2): skipped */
			reader.position += bits;
		} else {
			size_t bytes = 1 + (bits + 7) / 8;
			if (used + bytes > capacity)
				return -ENOSPC;
			uint8_t *frame = out + used;
			memset(frame, 0, bytes);
			frame[0] = (uint8_t) (types[i] << 3 | 1u << 2);   /* storage header: 0|FT|Q|00 */
			for (unsigned int b = 0; b < bits; b++)
				write_bit(frame + 1, b, read_bits(&reader, 1));
			frames[speech++] = (struct amr_frame) { .offset = used, .length = bytes, .frame_type = types[i] };
			used += bytes;
		}
		if (format->octet_aligned && reader.position % 8)
			reader.position += 8 - reader.position % 8;   /* frames padded to an octet */
	}
	return (int) speech;
}

int amr_packetise(const struct amr_payload_format *format, const uint8_t *const *storage_frames,
		unsigned int count, uint8_t *out, size_t capacity)
{
	if (!count || count > AMR_MAX_FRAMES)
		return -EINVAL;
	size_t total_bits = format->octet_aligned ? 8 + 8 * count : 4 + 6 * count;
	for (unsigned int i = 0; i < count; i++) {
		int bits = amr_frame_bits(format->wideband, (storage_frames[i][0] >> 3) & 0x0f);
		if (bits < 0)
			return -EINVAL;
		total_bits += format->octet_aligned ? ((size_t) bits + 7) / 8 * 8 : (size_t) bits;
	}
	size_t length = (total_bits + 7) / 8;
	if (length > capacity)
		return -ENOSPC;
	memset(out, 0, length);
	size_t position = 0;
	/* CMR 15: no mode request */
	for (unsigned int b = 0; b < 4; b++)
		write_bit(out, position++, 1);
	if (format->octet_aligned)
		position += 4;
	for (unsigned int i = 0; i < count; i++) {
		unsigned int frame_type = (storage_frames[i][0] >> 3) & 0x0f;
		write_bit(out, position++, i + 1 < count);
		for (int b = 3; b >= 0; b--)
			write_bit(out, position++, (frame_type >> b) & 1);
		write_bit(out, position++, (storage_frames[i][0] >> 2) & 1);
		if (format->octet_aligned)
			position += 2;
	}
	for (unsigned int i = 0; i < count; i++) {
		unsigned int frame_type = (storage_frames[i][0] >> 3) & 0x0f;
		unsigned int bits = (unsigned int) amr_frame_bits(format->wideband, frame_type);
		const uint8_t *speech = storage_frames[i] + 1;
		for (unsigned int b = 0; b < bits; b++)
			write_bit(out, position++, (speech[b / 8] >> (7 - b % 8)) & 1);
		if (format->octet_aligned && position % 8)
			position += 8 - position % 8;
	}
	return (int) length;
}
