/* publish/subscribe with allow-transcoding (media_transcode.h): the subscriber's chain from the
 * source's codec to its pick, and its Redis record. */
#include "media_transcode.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "call.h"
#include "codec.h"
#include "codec_chain.h"
#include "log.h"
#include "media_transcode_internal.h"

/* The subscriber's chain from the source's codec (state->leg; alternates: its other codecs decoded
 * alike, passthrough: those the subscriber takes as they are) to peer, staged on its media and
 * kept for media_transcode_subscription_save(): 1, or -ENOTSUP. */
static int stage_subscription_chain(struct media *subscriber_media, struct media_transcode *state,
				    const struct transcode_codec *peer, const struct transcode_codec *peer_dtmf,
				    const struct shared_codecs *alternates, const struct shared_codecs *passthrough,
				    bool own_ssrc)
{
	const char *reason = NULL;
	struct codec_chain *chain = transcode_chain_between(&state->leg, state->leg_dtmf_set ? &state->leg_dtmf : NULL, peer,
						  peer_dtmf, -1, -1, state->ptime_to_answerer,
						  transcode_bit_rate(state, peer), alternates, passthrough, &reason);
	if (!chain) {
		log_call(LOG_ERR, subscriber_media->monologue->call->call_id, "transcoding subscriber media %u not set up: %s",
			 subscriber_media->index, reason ? reason : "unknown");
		return -ENOTSUP;
	}
	if (own_ssrc)
		codec_chain_number_as_copy(chain);   /* as 10.5 numbers a transcoded copy */
	else
		codec_chain_number_as_source_copy(chain);
	transcode_stage(subscriber_media, chain);
	state->subscribed_peer = *peer;
	state->subscribed_dtmf_set = peer_dtmf != NULL;
	if (peer_dtmf)
		state->subscribed_dtmf = *peer_dtmf;
	state->subscribed = true;
	log_call(LOG_INFO, subscriber_media->monologue->call->call_id, "subscriber media %u transcoded: %s/%u -> %s/%u",
		 subscriber_media->index, state->leg.name, state->leg.clock, peer->name, peer->clock);
	return 1;
}

int media_transcode_subscription(const struct codec_list *answered, struct media *subscriber_media)
{
	struct media_transcode *state = subscriber_media->transcode;
	const struct codec *chosen = NULL;
	for (unsigned int i = 0; answered && i < answered->count && !chosen; i++)
		if (!transcode_is_auxiliary(&answered->codecs[i]))
			chosen = &answered->codecs[i];
	const struct transcode_codec *peer = NULL;
	for (unsigned int a = 0; chosen && state && state->offered && a < state->added_count; a++)
		if (state->added[a].payload_type == chosen->payload_type && strcasecmp(state->added[a].name, "telephone-event"))
			peer = &state->added[a];
	if (!peer) {
		if (state) {
			transcode_stage(subscriber_media, NULL);   /* (a chain of an earlier answer goes) */
			state->subscribed = false;
		}
		return 0;
	}
	/* events: mapped when both have telephone-event, else the chain turns them into tones */
	struct transcode_codec peer_dtmf;
	bool peer_dtmf_set = false;
	for (unsigned int i = 0; i < answered->count && !peer_dtmf_set; i++) {
		const struct codec *codec = &answered->codecs[i];
		if (!strcasecmp(codec->name, "telephone-event") && codec->clock_rate == peer->clock) {
			transcode_codec_copy(&peer_dtmf, codec);
			peer_dtmf_set = true;
		}
	}
	return stage_subscription_chain(subscriber_media, state, peer, peer_dtmf_set ? &peer_dtmf : NULL, NULL, NULL, true);
}

static bool lists_payload_type(const struct codec_list *list, unsigned int payload_type)
{
	for (unsigned int i = 0; list && i < list->count; i++)
		if (list->codecs[i].payload_type == payload_type)
			return true;
	return false;
}

bool media_transcode_subscription_needed(const struct codec_list *source, const struct codec_list *answered)
{
	for (unsigned int i = 0; i < source->count; i++)
		if (!transcode_is_auxiliary(&source->codecs[i])
		    && !lists_payload_type(answered, source->codecs[i].payload_type))
			return true;
	return false;
}

int media_transcode_subscription_unanswered(const struct codec_list *source, const struct codec_list *answered,
					    struct media *subscriber_media)
{
	const struct codec *pick = NULL, *leg = NULL;
	for (unsigned int i = 0; i < answered->count && !pick; i++)
		if (!transcode_is_auxiliary(&answered->codecs[i]))
			pick = &answered->codecs[i];
	for (unsigned int i = 0; i < source->count && !leg; i++)
		if (!transcode_is_auxiliary(&source->codecs[i]) && !lists_payload_type(answered, source->codecs[i].payload_type))
			leg = &source->codecs[i];
	if (!pick || !leg)
		return 0;
	struct media_transcode *state = transcode_state_of(subscriber_media);
	transcode_codec_copy(&state->leg, leg);
	state->leg_dtmf_set = false;
	struct transcode_codec peer;
	transcode_codec_copy(&peer, pick);
	/* the source's other codecs: those the subscriber lacks decoded like the first one (at
	 * its clock; the chain's decoders share it), those it has passed as they are */
	struct shared_codecs alternates = { 0 }, passthrough = { 0 };
	for (unsigned int i = 0; i < source->count; i++) {
		const struct codec *codec = &source->codecs[i];
		if (codec == leg || transcode_is_auxiliary(codec))
			continue;
		bool taken = lists_payload_type(answered, codec->payload_type);
		struct shared_codecs *into = taken ? &passthrough : &alternates;
		if ((!taken && codec->clock_rate != leg->clock_rate) || into->count >= SHARED_CODECS_MAX)
			continue;
		transcode_codec_copy(&into->codecs[into->count++], codec);
	}
	return stage_subscription_chain(subscriber_media, state, &peer, NULL, &alternates, &passthrough, false);
}

void transcode_codec_save(const struct transcode_codec *codec, bool set, char *rtpmap, char *fmtp)
{
	g_strlcpy(rtpmap, set ? codec->rtpmap : "", MEDIA_TRANSCODE_SAVED_RTPMAP);
	g_strlcpy(fmtp, set ? codec->fmtp : "", MEDIA_TRANSCODE_SAVED_FMTP);
}

bool media_transcode_subscription_save(const struct media *subscriber_media, struct media_transcode_saved *out)
{
	const struct media_transcode *state = subscriber_media->transcode;
	if (!state || !state->subscribed)
		return false;
	transcode_codec_save(&state->leg, true, out->leg, out->leg_fmtp);
	transcode_codec_save(&state->leg_dtmf, state->leg_dtmf_set, out->leg_events, out->leg_events_fmtp);
	transcode_codec_save(&state->subscribed_peer, true, out->peer, out->peer_fmtp);
	transcode_codec_save(&state->subscribed_dtmf, state->subscribed_dtmf_set, out->peer_events, out->peer_events_fmtp);
	out->bit_rate = (unsigned int) transcode_bit_rate(state, &state->subscribed_peer);
	return true;
}

/* "PT NAME/CLOCK[/CHANNELS]" (an a=rtpmap value, RFC 8866 section 6.6) and its fmtp */
bool transcode_codec_load(const char *rtpmap, const char *fmtp, struct transcode_codec *out)
{
	struct codec codec = { .channels = 1, .format_parameters = *fmtp ? fmtp : NULL };
	int fields = sscanf(rtpmap, "%u %31[^/]/%u/%u", &codec.payload_type, codec.name, &codec.clock_rate,
			    &codec.channels);
	if (fields < 3 || codec.payload_type > 127 || !codec.clock_rate || !codec.channels)
		return false;
	transcode_codec_copy(out, &codec);
	return true;
}

int media_transcode_subscription_restore(struct media *subscriber_media, const struct media_transcode_saved *saved)
{
	struct transcode_codec leg, peer, peer_dtmf;
	if (!transcode_codec_load(saved->leg, saved->leg_fmtp, &leg) || !transcode_codec_load(saved->peer, saved->peer_fmtp, &peer))
		return -EINVAL;
	bool leg_dtmf_set = *saved->leg_events, peer_dtmf_set = *saved->peer_events;
	struct media_transcode *state = transcode_state_of(subscriber_media);
	if ((leg_dtmf_set && !transcode_codec_load(saved->leg_events, saved->leg_events_fmtp, &state->leg_dtmf))
	    || (peer_dtmf_set && !transcode_codec_load(saved->peer_events, saved->peer_events_fmtp, &peer_dtmf)))
		return -EINVAL;
	state->leg = leg;
	state->leg_dtmf_set = leg_dtmf_set;
	state->settings_count = 0;
	if (saved->bit_rate) {
		struct codec_setting *setting = &state->settings[state->settings_count++];
		*setting = (struct codec_setting) { .bit_rate = (int) saved->bit_rate };
		g_strlcpy(setting->name, peer.name, sizeof(setting->name));
	}
	int staged = stage_subscription_chain(subscriber_media, state, &peer, peer_dtmf_set ? &peer_dtmf : NULL, NULL, NULL, true);
	if (staged < 0)
		return staged;
	media_transcode_publish(subscriber_media);   /* not reachable by the worker yet */
	return 0;
}

