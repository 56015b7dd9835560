/* Transcoding of one media: negotiation outcome -> codec chains (media_transcode.h). */
#include "media_transcode.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "call.h"
#include "codec.h"
#include "codec_chain.h"
#include "config.h"
#include "log.h"

/* One codec of a transcoded media as the SDP names it. */
struct transcode_codec {
	unsigned int payload_type;
	char name[32];
	unsigned int clock, channels;
	char rtpmap[64];                /* "96 opus/48000/2" */
};

struct media_transcode {
	/* on the answerer's media, from the offer */
	bool offered;                   /* codecs were added to the last offer */
	struct transcode_codec leg;     /* the offerer's codec the chains speak */
	bool leg_dtmf_set;
	struct transcode_codec leg_dtmf;
	unsigned int added_count;
	struct transcode_codec added[MEDIA_TRANSCODE_ADDED * 2];   /* codecs and their telephone-events */
	/* answer-time outcome, for the rtpmaps the offerer's answer carries */
	char answer_rtpmaps[2][64];
	/* on each side's media: the chain its RTP stream's packets go through */
	bool staged_set;
	struct codec_chain *staged;     /* becomes extras->transcode at publish */
	struct codec_chain *replaced;   /* freed after publishing */
};

/* Codecs we can add: SDP name, clock, channels as SDP writes them, static payload type. */
static const struct {
	const char *name;
	unsigned int clock, channels;
	int static_payload_type;
} addable[] = {
	{ "PCMU", 8000, 1, 0 }, { "PCMA", 8000, 1, 8 }, { "G722", 8000, 1, 9 },
	{ "opus", 48000, 2, -1 },       /* RFC 7587 section 7: always /48000/2 */
	{ "L16", 8000, 1, -1 },
};

/* --jitter-buffer, set once at start-up before any call exists */
static unsigned int reorder_depth = MEDIA_TRANSCODE_DEFAULT_REORDER;

void media_transcode_configure(const struct daemon_config *config)
{
	reorder_depth = config->jitter_buffer ? config->jitter_buffer : MEDIA_TRANSCODE_DEFAULT_REORDER;
}

static bool is_auxiliary(const struct codec *codec)
{
	return !strcasecmp(codec->name, "telephone-event") || !strcasecmp(codec->name, "CN");
}

static struct media_transcode *state_of(struct media *media)
{
	if (!media->transcode)
		media->transcode = g_new0(struct media_transcode, 1);
	return media->transcode;
}

/* The addable codec a transcode spec ("opus", "opus/48000/2") names, -1 if none. */
static int addable_index(const char *spec)
{
	for (size_t i = 0; i < G_N_ELEMENTS(addable); i++) {
		struct codec codec = { .clock_rate = addable[i].clock, .channels = addable[i].channels };
		g_strlcpy(codec.name, addable[i].name, sizeof(codec.name));
		if (codec_matches(&codec, spec) && codec_chain_supports(addable[i].name, true)
		    && codec_chain_supports(addable[i].name, false))
			return (int) i;
	}
	return -1;
}

static bool list_has(const struct codec_list *list, const char *spec)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (codec_matches(&list->codecs[i], spec))
			return true;
	return false;
}

static bool payload_type_used(const struct codec_list *list, const struct media_transcode *state, unsigned int pt)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (list->codecs[i].payload_type == pt)
			return true;
	for (unsigned int i = 0; i < state->added_count; i++)
		if (state->added[i].payload_type == pt)
			return true;
	return false;
}

/* The offer's first codec the engine decodes and encodes: the leg codec. */
static const struct codec *leg_codec(const struct codec_list *offered)
{
	for (unsigned int i = 0; i < offered->count; i++) {
		const struct codec *codec = &offered->codecs[i];
		if (!is_auxiliary(codec) && codec_chain_supports(codec->name, false)
		    && codec_chain_supports(codec->name, true))
			return codec;
	}
	return NULL;
}

static void codec_copy(struct transcode_codec *out, const struct codec *codec)
{
	out->payload_type = codec->payload_type;
	g_strlcpy(out->name, codec->name, sizeof(out->name));
	out->clock = codec->clock_rate;
	out->channels = codec->channels ? codec->channels : 1;
	if (out->channels > 1)
		snprintf(out->rtpmap, sizeof(out->rtpmap), "%u %s/%u/%u", out->payload_type, out->name, out->clock, out->channels);
	else
		snprintf(out->rtpmap, sizeof(out->rtpmap), "%u %s/%u", out->payload_type, out->name, out->clock);
}

int media_transcode_offer_check(const struct codec_list *offered, const struct codec_options *options,
		const char **reason)
{
	bool missing = false;
	for (unsigned int n = 0; n < options->transcode.count; n++) {
		const char *spec = options->transcode.names[n];
		if (list_has(offered, spec))
			continue;
		missing = true;
		if (addable_index(spec) < 0) {
			*reason = "this build cannot transcode to that codec (see --codecs)";
			return -ENOTSUP;
		}
	}
	if (missing && !leg_codec(offered)) {
		*reason = "the offer has no codec this build can transcode from (see --codecs)";
		return -ENOTSUP;
	}
	return 0;
}

static unsigned int free_dynamic_type(const struct codec_list *list, const struct media_transcode *state)
{
	for (unsigned int pt = 96; pt < 128; pt++)
		if (!payload_type_used(list, state, pt))
			return pt;
	return 0;
}

static void add_codec(struct media_transcode *state, unsigned int pt, const char *name, unsigned int clock,
		unsigned int channels)
{
	struct codec codec = { .payload_type = pt, .clock_rate = clock, .channels = channels };
	g_strlcpy(codec.name, name, sizeof(codec.name));
	codec_copy(&state->added[state->added_count++], &codec);
}

int media_transcode_offer(const struct codec_list *offered, const struct codec_options *options,
		struct media *answerer_media, char *formats, size_t size, const char **rtpmaps)
{
	struct media_transcode *state = state_of(answerer_media);
	state->offered = false;
	state->added_count = 0;
	rtpmaps[0] = NULL;
	const struct codec *leg = leg_codec(offered);
	const struct codec *offered_dtmf = NULL;
	for (unsigned int i = 0; i < offered->count; i++)
		if (!strcasecmp(offered->codecs[i].name, "telephone-event") && !offered_dtmf)
			offered_dtmf = &offered->codecs[i];
	for (unsigned int n = 0; n < options->transcode.count && state->added_count + 2 <= G_N_ELEMENTS(state->added); n++) {
		const char *spec = options->transcode.names[n];
		int index = addable_index(spec);
		if (list_has(offered, spec) || index < 0 || !leg)
			continue;
		bool duplicate = false;
		for (unsigned int a = 0; a < state->added_count; a++)
			duplicate |= !strcasecmp(state->added[a].name, addable[index].name);
		if (duplicate)
			continue;
		int pt = addable[index].static_payload_type;
		if (pt < 0 || payload_type_used(offered, state, (unsigned int) pt))
			pt = (int) free_dynamic_type(offered, state);
		if (!pt && addable[index].static_payload_type != 0)
			return -ENOSPC;
		add_codec(state, (unsigned int) pt, addable[index].name, addable[index].clock, addable[index].channels);
		/* RFC 4733 section 2.1: events use the audio's clock; one at the new clock if needed */
		if (offered_dtmf && offered_dtmf->clock_rate != addable[index].clock) {
			unsigned int dtmf_pt = free_dynamic_type(offered, state);
			if (dtmf_pt)
				add_codec(state, dtmf_pt, "telephone-event", addable[index].clock, 1);
		}
	}
	if (!state->added_count)
		return 0;
	codec_copy(&state->leg, leg);
	state->leg_dtmf_set = offered_dtmf != NULL;
	if (offered_dtmf)
		codec_copy(&state->leg_dtmf, offered_dtmf);
	size_t length = strlen(formats);
	for (unsigned int a = 0; a < state->added_count; a++) {
		int written = snprintf(formats + length, size - length, "%s%u", length ? " " : "", state->added[a].payload_type);
		if (written < 0 || (size_t) written >= size - length)
			return -ENOSPC;
		length += (size_t) written;
		rtpmaps[a] = state->added[a].rtpmap;
	}
	rtpmaps[state->added_count] = NULL;
	state->offered = true;
	return 1;
}

static struct codec_chain *chain_between(const struct transcode_codec *in, const struct transcode_codec *in_dtmf,
		const struct transcode_codec *out, const struct transcode_codec *out_dtmf, const char **reason)
{
	struct codec_chain_config config = {
		.input = { .encoding = in->name, .clock_rate = in->clock, .channels = in->channels,
			   .payload_type = (uint8_t) in->payload_type },
		.output = { .encoding = out->name, .clock_rate = out->clock, .channels = out->channels,
			    .payload_type = (uint8_t) out->payload_type },
		.output_ptime_ms = 20,
		.input_dtmf_pt = in_dtmf ? (int) in_dtmf->payload_type : -1,
		.output_dtmf_pt = in_dtmf && out_dtmf ? (int) out_dtmf->payload_type : -1,
		.input_dtmf_clock = in_dtmf ? in_dtmf->clock : 0,
		.output_dtmf_clock = out_dtmf ? out_dtmf->clock : 0,
		.reorder_depth = reorder_depth,
	};
	return codec_chain_new(&config, reason);
}

static void stage(struct media *media, struct codec_chain *chain)
{
	struct media_transcode *state = state_of(media);
	if (state->staged_set)
		codec_chain_free(state->staged);
	state->staged = chain;
	state->staged_set = true;
}

int media_transcode_answer(const struct codec_list *answered, struct media *answerer_media,
		struct media *offerer_media, char *formats, size_t size, const char **rtpmaps)
{
	struct media_transcode *state = answerer_media->transcode;
	rtpmaps[0] = NULL;
	if (!state || !state->offered) {
		if (answerer_media->streams[STREAM_RTP].extras->transcode) {
			stage(answerer_media, NULL);
			stage(offerer_media, NULL);
		}
		return 0;
	}
	state->offered = false;
	const struct codec *chosen = NULL;
	for (unsigned int i = 0; i < answered->count && !chosen; i++)
		if (!is_auxiliary(&answered->codecs[i]))
			chosen = &answered->codecs[i];
	const struct transcode_codec *peer = NULL;
	for (unsigned int a = 0; chosen && a < state->added_count; a++)
		if (state->added[a].payload_type == chosen->payload_type && strcasecmp(state->added[a].name, "telephone-event"))
			peer = &state->added[a];
	if (!peer) {
		/* the answerer took a codec of the offer: plain negotiation, no chains */
		stage(answerer_media, NULL);
		stage(offerer_media, NULL);
		return 0;
	}
	/* the answer's telephone-event at the answerer's codec's clock, if any */
	struct transcode_codec peer_dtmf;
	bool peer_dtmf_set = false;
	for (unsigned int i = 0; i < answered->count && !peer_dtmf_set; i++) {
		const struct codec *codec = &answered->codecs[i];
		if (!strcasecmp(codec->name, "telephone-event") && codec->clock_rate == peer->clock) {
			codec_copy(&peer_dtmf, codec);
			peer_dtmf_set = true;
		}
	}
	const struct transcode_codec *leg_dtmf = state->leg_dtmf_set && peer_dtmf_set ? &state->leg_dtmf : NULL;
	const char *reason = NULL;
	struct codec_chain *forward = chain_between(&state->leg, leg_dtmf, peer, peer_dtmf_set ? &peer_dtmf : NULL, &reason);
	struct codec_chain *backward = forward ? chain_between(peer, peer_dtmf_set ? &peer_dtmf : NULL, &state->leg,
							       leg_dtmf, &reason) : NULL;
	if (!forward || !backward) {
		codec_chain_free(forward);
		log_call(LOG_ERR, offerer_media->monologue->call->call_id, "transcoding media %u not set up: %s",
			 offerer_media->index, reason ? reason : "unknown");
		return -ENOTSUP;
	}
	stage(offerer_media, forward);    /* the offerer sends the leg codec */
	stage(answerer_media, backward);  /* the answerer sends its codec */
	if (leg_dtmf)
		snprintf(formats, size, "%u %u", state->leg.payload_type, leg_dtmf->payload_type);
	else
		snprintf(formats, size, "%u", state->leg.payload_type);
	g_strlcpy(state->answer_rtpmaps[0], state->leg.rtpmap, sizeof(state->answer_rtpmaps[0]));
	g_strlcpy(state->answer_rtpmaps[1], leg_dtmf ? leg_dtmf->rtpmap : "", sizeof(state->answer_rtpmaps[1]));
	rtpmaps[0] = state->answer_rtpmaps[0];
	rtpmaps[1] = leg_dtmf ? state->answer_rtpmaps[1] : NULL;
	rtpmaps[2] = NULL;
	log_call(LOG_INFO, offerer_media->monologue->call->call_id, "media %u transcoded: %s/%u <-> %s/%u",
		 offerer_media->index, state->leg.name, state->leg.clock, peer->name, peer->clock);
	return 1;
}

void media_transcode_publish(struct media *media)
{
	struct media_transcode *state = media->transcode;
	if (!state || !state->staged_set)
		return;
	struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	state->replaced = extras->transcode;
	extras->transcode = state->staged;
	state->staged = NULL;
	state->staged_set = false;
}

void media_transcode_release(struct media *media)
{
	struct media_transcode *state = media->transcode;
	if (!state)
		return;
	codec_chain_free(state->replaced);
	state->replaced = NULL;
}

void media_transcode_free(struct media *media)
{
	codec_chain_free(media->streams[STREAM_RTP].extras->transcode);
	media->streams[STREAM_RTP].extras->transcode = NULL;
	if (media->transcode) {
		if (media->transcode->staged_set)
			codec_chain_free(media->transcode->staged);
		codec_chain_free(media->transcode->replaced);
		g_free(media->transcode);
		media->transcode = NULL;
	}
}
