/* libFuzzer target: rewriting an RTCP compound for a transcoded leg (daemon/transcode_rtcp.c)
 * must never touch a byte past the packet (the input is copied into an allocation of exactly its
 * size, so ASan sees any overrun), must leave a compound it refuses as it was up to the bad part,
 * and is idempotent when the relay's SSRCs equal the sources' (the second pass finds what the
 * first wrote). The SSRCs it matches come from the input, so the rewriting paths are reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "transcode_rtcp.h"

static uint32_t read32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	uint32_t sender = read32(data), heard = read32(data + 4);
	data += 8;
	size -= 8;
	unsigned char *packet = malloc(size ? size : 1), *again = malloc(size ? size : 1);
	if (!packet || !again)
		abort();
	memcpy(packet, data, size);
	struct transcode_rtcp_sent sent = { .known = true, .source_ssrc = sender, .ssrc = sender,
		.rtp_timestamp = 160, .packets = 99, .octets = 1485 };
	struct transcode_rtcp_received received = { .known = true, .heard_ssrc = heard, .source_ssrc = heard,
		.highest_sequence = 5099, .cumulative_lost = -3, .fraction_lost = 12 };
	int first = transcode_rtcp_rewrite(packet, size, &sent, &received);
	memcpy(again, packet, size);
	int second = transcode_rtcp_rewrite(again, size, &sent, &received);
	if (first != second || (size && memcmp(packet, again, size)))
		__builtin_trap();
	volatile uint8_t fraction = transcode_rtcp_fraction_lost(sender, heard, sender + (heard & 0xff), heard);
	(void) fraction;
	free(packet);
	free(again);
	return 0;
}
