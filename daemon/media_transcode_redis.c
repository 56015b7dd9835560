/* Redis (docs/redis.md, media_transcode.h): an answer's codec chain kept as text and built again
 * on a restored media with transcode_chain_between(), the function the answer builds it with. */
#include "media_transcode.h"

#include <errno.h>
#include <string.h>

#include "call.h"
#include "codec_chain.h"
#include "log.h"
#include "media_transcode_internal.h"

void transcode_note_chain(struct media *media, const struct transcode_codec *in, const struct transcode_codec *in_dtmf,
		const struct transcode_codec *out, const struct transcode_codec *out_dtmf, int out_cn_pt, int in_cn_pt,
		unsigned int ptime_ms, int bit_rate, const struct shared_codecs *alternates,
		const struct shared_codecs *passthrough)
{
	struct media_transcode *state = transcode_state_of(media);
	struct media_transcode_saved *note = &state->staged_note;
	memset(note, 0, sizeof(*note));
	transcode_codec_save(in, true, note->leg, note->leg_fmtp);
	transcode_codec_save(in_dtmf, in_dtmf != NULL, note->leg_events, note->leg_events_fmtp);
	transcode_codec_save(out, true, note->peer, note->peer_fmtp);
	transcode_codec_save(out_dtmf, out_dtmf != NULL, note->peer_events, note->peer_events_fmtp);
	note->bit_rate = bit_rate > 0 ? (unsigned int) bit_rate : 0;
	note->ptime = ptime_ms;
	note->to_cn_pt = out_cn_pt;
	note->from_cn_pt = in_cn_pt;
	for (unsigned int i = 0; passthrough && i < passthrough->count; i++) {
		unsigned int type = passthrough->codecs[i].payload_type & 127;
		note->passthrough[type / 64] |= 1ULL << (type % 64);
	}
	for (unsigned int i = 0; alternates && i < alternates->count && i < MEDIA_TRANSCODE_SAVED_ALTERNATES; i++) {
		transcode_codec_save(&alternates->codecs[i], true, note->alternates[i], note->alternates_fmtp[i]);
		note->alternate_count = i + 1;
	}
	state->staged_noted = true;
}

bool media_transcode_chain_save(const struct media *media, struct media_transcode_saved *out)
{
	const struct media_transcode *state = media->transcode;
	if (!state || !state->chain_noted)
		return false;
	*out = state->chain_note;
	return true;
}

int media_transcode_chain_restore(struct media *media, const struct media_transcode_saved *saved)
{
	struct transcode_codec in, in_dtmf, out, out_dtmf;
	bool in_dtmf_set = saved->leg_events[0], out_dtmf_set = saved->peer_events[0];
	if (!transcode_codec_load(saved->leg, saved->leg_fmtp, &in) || !transcode_codec_load(saved->peer, saved->peer_fmtp, &out)
	    || (in_dtmf_set && !transcode_codec_load(saved->leg_events, saved->leg_events_fmtp, &in_dtmf))
	    || (out_dtmf_set && !transcode_codec_load(saved->peer_events, saved->peer_events_fmtp, &out_dtmf))
	    || saved->to_cn_pt < -1 || saved->to_cn_pt > 127 || saved->from_cn_pt < -1 || saved->from_cn_pt > 127
	    || saved->ptime > 120 || saved->bit_rate > 10000000 || saved->alternate_count > MEDIA_TRANSCODE_SAVED_ALTERNATES)
		return -EINVAL;
	struct shared_codecs alternates = { .count = saved->alternate_count };
	for (unsigned int i = 0; i < saved->alternate_count; i++)
		if (!transcode_codec_load(saved->alternates[i], saved->alternates_fmtp[i], &alternates.codecs[i]))
			return -EINVAL;
	struct shared_codecs passthrough = { .count = 0 };
	for (unsigned int type = 0; type < 128 && passthrough.count < SHARED_CODECS_MAX; type++)
		if (saved->passthrough[type / 64] & (1ULL << (type % 64)))
			passthrough.codecs[passthrough.count++].payload_type = type;
	const char *reason = NULL;
	struct codec_chain *chain = transcode_chain_between(&in, in_dtmf_set ? &in_dtmf : NULL, &out,
							    out_dtmf_set ? &out_dtmf : NULL, saved->to_cn_pt, saved->from_cn_pt,
							    saved->ptime, (int) saved->bit_rate, &alternates, &passthrough, &reason);
	if (!chain) {
		log_call(LOG_ERR, media->monologue->call->call_id, "restored media %u: transcoding chain not made: %s",
			 media->index, reason ? reason : "unknown");
		return -ENOTSUP;
	}
	transcode_stage(media, chain);
	transcode_note_chain(media, &in, in_dtmf_set ? &in_dtmf : NULL, &out, out_dtmf_set ? &out_dtmf : NULL,
			     saved->to_cn_pt, saved->from_cn_pt, saved->ptime, (int) saved->bit_rate, &alternates, &passthrough);
	media_transcode_publish(media);   /* not reachable by the worker yet: nothing to free later */
	log_call(LOG_INFO, media->monologue->call->call_id, "restored media %u transcoded: %s/%u -> %s/%u", media->index,
		 in.name, in.clock, out.name, out.clock);
	return 0;
}
