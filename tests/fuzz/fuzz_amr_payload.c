/* libFuzzer target: AMR/AMR-WB payloads (daemon/amr_payload.c, RFC 4867) from the network.
 * The first byte picks the format (wideband, octet-aligned, crc); the payload is copied into an
 * allocation of exactly its size (ASan sees any overread) and depacketised; each storage frame
 * must lie inside the output with the length its frame type says, and packetising the frames
 * again and depacketising that gives the same frames (without crc, whose octets are dropped). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "amr_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct amr_payload_format format = { .wideband = data[0] & 1, .octet_aligned = data[0] & 2 };
	format.crc = format.octet_aligned && (data[0] & 4);
	data++;
	size--;
	uint8_t *payload = malloc(size ? size : 1);
	if (!payload)
		abort();
	memcpy(payload, data, size);
	uint8_t out[AMR_MAX_FRAMES * 64], again[AMR_MAX_FRAMES * 64], packet[AMR_MAX_FRAMES * 64 + 32];
	struct amr_frame frames[AMR_MAX_FRAMES], frames_again[AMR_MAX_FRAMES];
	int count = amr_depacketise(&format, payload, size, out, sizeof(out), frames);
	if (count > AMR_MAX_FRAMES)
		__builtin_trap();
	const uint8_t *storage[AMR_MAX_FRAMES];
	for (int i = 0; i < count; i++) {
		int bits = amr_frame_bits(format.wideband, frames[i].frame_type);
		if (bits <= 0 || frames[i].length != 1 + ((size_t) bits + 7) / 8
		    || frames[i].offset + frames[i].length > sizeof(out) || (out[frames[i].offset] >> 3 & 0xf) != frames[i].frame_type)
			__builtin_trap();
		storage[i] = out + frames[i].offset;
	}
	if (count > 0) {
		struct amr_payload_format plain = format;
		plain.crc = false;
		int length = amr_packetise(&plain, storage, (unsigned int) count, packet, sizeof(packet));
		if (length <= 0)
			__builtin_trap();
		if (amr_depacketise(&plain, packet, (size_t) length, again, sizeof(again), frames_again) != count)
			__builtin_trap();
		for (int i = 0; i < count; i++)
			if (frames_again[i].length != frames[i].length
			    || memcmp(again + frames_again[i].offset, out + frames[i].offset, frames[i].length))
				__builtin_trap();
	}
	free(payload);
	return 0;
}
