/* Fuzz target for the codec model and negotiation (daemon/codec.c): every parsed m= line's
 * codec list is negotiated as an offer and as an answer with options taken from the input's
 * last bytes, and the result must be a subset of the list in bounds, whose text fits. */
#include "codec.h"
#include "sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *error = NULL;
	struct sdp_session *session = sdp_parse((const char *) data, size, &error);
	if (!session)
		return 0;
	static const char *const names[] = { "all", "PCMU", "pcma", "opus/48000/2", "opus/48000", "telephone-event",
		"G722/8000", "", "x/", "/8000", "CN/8000/1" };
	struct codec_options options = { .single_codec = size & 1 };
	struct codec_names *lists[] = { &options.strip, &options.except, &options.offer, &options.mask,
		&options.consume, &options.transcode };
	for (size_t i = 0; i < 8 && i < size; i++) {
		uint8_t byte = data[size - 1 - i];
		codec_names_add(lists[byte % 6], names[(byte / 6) % (sizeof(names) / sizeof(names[0]))]);
	}
	for (unsigned int m = 0; m < session->media->len; m++) {
		struct codec_list list;
		if (codec_list_from_media(g_ptr_array_index(session->media, m), &list) < 0)
			continue;
		if (list.count > CODEC_MAX)
			abort();
		unsigned int chosen[CODEC_MAX], count = 0;
		const char *missing = NULL;
		char text[4 * CODEC_MAX];
		if (codec_negotiate_offer(&list, &options, chosen, &count, &missing) == 0) {
			if (count > list.count)
				abort();
			for (unsigned int i = 0; i < count; i++)
				if (chosen[i] >= list.count)
					abort();
			if (codec_formats_text(&list, chosen, count, text, sizeof(text)) < 0)
				abort();
		} else if (!missing) {
			abort();
		}
		struct codec_payload_set offered = { { 0 } };
		for (unsigned int i = 0; i < list.count; i += 2)
			codec_payload_set_add(&offered, list.codecs[i].payload_type);
		codec_negotiate_answer(&list, (size & 2) ? &offered : NULL, &options, chosen, &count);
		if (count > list.count)
			abort();
		for (unsigned int i = 0; i < count; i++)
			if (chosen[i] >= list.count)
				abort();
		if (codec_formats_text(&list, chosen, count, text, sizeof(text)) < 0)
			abort();
	}
	sdp_session_free(session);
	return 0;
}
