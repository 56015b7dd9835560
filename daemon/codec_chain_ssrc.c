/* The SSRCs a transcoding chain sends under (codec_chain_ssrc.h). */
#include "codec_chain_ssrc.h"

#include <stdbool.h>

#include <glib.h>

static bool sends_under(const struct codec_chain_ssrc_map *map, uint32_t ssrc)
{
	for (unsigned int i = 0; i < map->used; i++)
		if (map->output[i] == ssrc)
			return true;
	return false;
}

uint32_t codec_chain_ssrc_map_output(struct codec_chain_ssrc_map *map, uint32_t input)
{
	for (unsigned int i = 0; i < map->used; i++)
		if (map->input[i] == input)
			return map->output[i];
	/* RFC 3550 section 8.1: random; bounded, a clash is one in 2^32 per draw */
	uint32_t output = g_random_int();
	for (unsigned int attempt = 0; attempt < 16 && (!output || output == input || sends_under(map, output));
	     attempt++)
		output = g_random_int();
	if (!output)
		output = ~input;
	unsigned int slot;
	if (map->used < CODEC_CHAIN_SSRC_MAP_SIZE) {
		slot = map->used++;
	} else {
		/* filled in order, replaced in the same order: the oldest goes */
		slot = map->next;
		map->next = (map->next + 1) % CODEC_CHAIN_SSRC_MAP_SIZE;
	}
	map->input[slot] = input;
	map->output[slot] = output;
	return output;
}
