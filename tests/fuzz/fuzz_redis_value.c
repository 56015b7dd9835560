/* libFuzzer target for daemon/redis_value.c: a Redis value is input from another process (an
 * older or newer daemon, an operator's tool), so decoding arbitrary bytes must never read or
 * write out of bounds, must refuse or accept whole (a refused value leaves nothing behind), and
 * every link an accepted value holds (peer, sink, a subscriber's source) must point inside it.
 * Seeds in tests/fuzz/corpus/redis_value: a version 1 and version 2 values (plain, BUNDLE,
 * DTLS without rtcp-mux, publish/subscribe, media control; v2_tones: block DTMF's audio modes,
 * a trigger's firing time, a delayed delete; v2_chain: an answer's transcoding chains;
 * v2_ended_branch: a via-branch a delete ended, the sides' numbers). A
 * media's "control" and "chain" are restored into a scratch media as the standby would:
 * media_control_restore() checks its ranges and builds a tone chain when the value asks for one,
 * media_transcode_chain_restore() parses the codecs and builds the chain. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "call.h"
#include "media_control.h"
#include "media_transcode.h"
#include "redis_value.h"

static struct redis_call_record record;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *reason = NULL;
	int error = redis_value_decode((const char *) data, size, &record, &reason);
	if (error) {
		if (!reason || record.call_id || record.monologue_count || record.ended_branch_count)
			abort();
		return 0;
	}
	for (unsigned int b = 0; b < record.ended_branch_count; b++)
		if (record.ended_branches[b].peer >= (int) record.monologue_count
		    || record.ended_branches[b].media_count > CALL_MAX_MEDIA)
			abort();
	for (unsigned int m = 0; m < record.monologue_count; m++) {
		const struct redis_monologue_record *monologue = &record.monologues[m];
		if (monologue->peer >= (int) record.monologue_count || monologue->media_count > CALL_MAX_MEDIA)
			abort();
		for (unsigned int n = 0; n < monologue->media_count; n++) {
			const struct redis_media_record *media = &monologue->media[n];
			if (media->sink_monologue >= 0
			    && media->sink_media >= (int) record.monologues[media->sink_monologue].media_count)
				abort();
			/* publish/subscribe: a source only on a subscriber's media, naming a media of a
			 * side that is not one (they share a slot of the stream's extras) */
			if (media->source_monologue >= 0
			    && (!monologue->subscriber || media->source_monologue >= (int) record.monologue_count
				|| record.monologues[media->source_monologue].subscriber
				|| media->source_media >= (int) record.monologues[media->source_monologue].media_count))
				abort();
			if (media->control_set) {
				struct call *call = call_create("fuzz", NULL);
				struct media *scratch = monologue_add_media(call_add_monologue(call, "tag"), "audio", "RTP/AVP");
				int restored = media_control_restore(scratch, &media->control);
				if (restored != 0 && restored != -EINVAL)
					abort();
				call_destroy(call, "fuzz");
			}
			if (media->chain_set) {
				struct call *call = call_create("fuzz", NULL);
				struct media *scratch = monologue_add_media(call_add_monologue(call, "tag"), "audio", "RTP/AVP");
				int restored = media_transcode_chain_restore(scratch, &media->chain);
				if (restored != 0 && restored != -EINVAL && restored != -ENOTSUP)
					abort();
				call_destroy(call, "fuzz");
			}
		}
	}
	redis_call_record_clear(&record);
	return 0;
}
