/* libFuzzer target for daemon/codec_chain.c: the first input byte picks the chain (input codec
 * and reorder depth), the rest is split into packets at 0xff 0x00 pairs. Arbitrary payloads
 * through the decoders (libavcodec's, the tables, AMR depacketisation), the jitter buffer and the telephone-event
 * path must never read or write out of bounds, and every packet popped must be RTP with the
 * chain's output payload type (or its telephone-event type). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec_chain.h"

static const struct {
	const char *in;
	unsigned int in_clock;
	const char *out;
	unsigned int out_clock;
} chains[] = {
	{ "PCMU", 8000, "opus", 48000 }, { "opus", 48000, "PCMU", 8000 }, { "G722", 8000, "PCMA", 8000 },
	{ "PCMA", 8000, "G722", 8000 }, { "L16", 16000, "PCMU", 8000 }, { "G729", 8000, "PCMU", 8000 },
	/* RFC 4867 payloads: bandwidth-efficient or octet-aligned by the first byte's top bit */
	{ "AMR", 8000, "PCMU", 8000 }, { "AMR-WB", 16000, "PCMA", 8000 },
	/* G.729 encoded by bcg729 (decoded by it too, above) */
	{ "PCMA", 8000, "G729", 8000 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned int pick = data[0] % (sizeof(chains) / sizeof(chains[0]));
	struct codec_chain_config config = {
		.input = { .encoding = chains[pick].in, .clock_rate = chains[pick].in_clock, .payload_type = 96,
			   .fmtp = (data[0] & 0x80) ? "octet-align=1" : NULL },
		.output = { .encoding = chains[pick].out, .clock_rate = chains[pick].out_clock, .payload_type = 0 },
		.output_ptime_ms = (data[0] & 0x40) ? 30 : 20,
		.input_dtmf_pt = 101, .output_dtmf_pt = 100,
		.reorder_depth = (data[0] >> 4) & 3,
	};
	if (!strcmp(chains[pick].out, "opus"))
		config.output_ptime_ms = 20;
	const char *reason;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	if (!chain)
		return 0;
	uint8_t out[CODEC_CHAIN_MAX_PACKET];
	size_t start = 1;
	for (size_t i = 1; i <= size; i++) {
		if (i < size && !(i + 1 < size && data[i] == 0xff && data[i + 1] == 0x00))
			continue;
		codec_chain_push(chain, data + start, i - start);
		int length;
		while ((length = codec_chain_pop(chain, out, sizeof(out))) > 0)
			if (length < 12 || ((out[1] & 0x7f) != 0 && (out[1] & 0x7f) != 100))
				abort();
		start = i + 2;
		i++;
	}
	codec_chain_flush(chain);
	int length;
	while ((length = codec_chain_pop(chain, out, sizeof(out))) > 0)
		if (length < 12)
			abort();
	codec_chain_free(chain);
	return 0;
}
