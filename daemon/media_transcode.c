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
#include "relay.h"

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
	/* codec-accept or always-transcode in the last offer: the leg codec holds whatever the
	 * answerer picks, added codec or not */
	bool forced;
	bool force_dtmf;                /* always-transcode: the leg's telephone-event stays too */
	bool inject;                    /* inject-DTMF: chains even when both sides speak the leg codec */
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
	{ "GSM", 8000, 1, 3 }, { "G723", 8000, 1, 4 },   /* RFC 3551 static payload types */
	{ "speex", 16000, 1, -1 },      /* wideband, as 10.5 adds it */
};

/* --jitter-buffer, set once at start-up before any call exists */
static unsigned int reorder_depth = MEDIA_TRANSCODE_DEFAULT_REORDER;

static long long dtx_delay_us, max_dtx_us = 30 * 1000000LL;   /* 10.5's default --max-dtx: 30 s */
static int dtx_cn_level;
/* --silence-detect (as an amplitude of 16-bit PCM, 0 = off) and --cn-payload */
static unsigned int silence_threshold;
static uint8_t cn_payload[16];
static unsigned int cn_payload_length;

void media_transcode_configure(const struct daemon_config *config)
{
	reorder_depth = config->jitter_buffer ? config->jitter_buffer : MEDIA_TRANSCODE_DEFAULT_REORDER;
	dtx_delay_us = config->dtx_delay_ms * 1000LL;
	dtx_cn_level = config->dtx_cn_level;
	if (config->max_dtx_set)
		max_dtx_us = config->max_dtx_s * 1000000LL;
	/* 10.5: percent of full scale; any non-zero value detects at least digital silence */
	silence_threshold = config->silence_detect_percent > 0
		? (unsigned int) (config->silence_detect_percent * 32767.0 / 100.0 + 0.5) : 0;
	if (config->silence_detect_percent > 0 && !silence_threshold)
		silence_threshold = 1;
	cn_payload_length = config->cn_payload_length;
	memcpy(cn_payload, config->cn_payload, sizeof(cn_payload));
}

long long media_transcode_dtx_delay_us(void)
{
	return dtx_delay_us;
}

long long media_transcode_max_dtx_us(void)
{
	return max_dtx_us;
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

static bool transcodable(const struct codec *codec)
{
	return !is_auxiliary(codec) && codec_chain_supports(codec->name, false) && codec_chain_supports(codec->name, true);
}

/* codec-accept: the offer's first codec an accept name matches that the engine handles */
static const struct codec *accepted_codec(const struct codec_list *offered, const struct codec_names *accept)
{
	for (unsigned int i = 0; i < offered->count; i++)
		for (unsigned int n = 0; n < accept->count; n++)
			if (transcodable(&offered->codecs[i]) && codec_matches(&offered->codecs[i], accept->names[n]))
				return &offered->codecs[i];
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
		if (!strcasecmp(spec, "telephone-event"))
			continue;   /* added at the leg's clock: tones are translated (codec_chain.h) */
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
	struct transcode_codec *added = &state->added[state->added_count++];
	codec_copy(added, &codec);
	/* the events 10.5 offers with an added telephone-event (RFC 4733 section 3.2), as its
	 * fmtp after the rtpmap (sdp_write.c) */
	if (!strcasecmp(name, "telephone-event"))
		g_strlcat(added->rtpmap, " 0-15", sizeof(added->rtpmap));
}

int media_transcode_offer(const struct codec_list *offered, const struct codec_options *options,
		struct media *answerer_media, char *formats, size_t size, const char **rtpmaps)
{
	struct media_transcode *state = state_of(answerer_media);
	state->offered = false;
	state->forced = false;
	state->force_dtmf = false;
	state->added_count = 0;
	rtpmaps[0] = NULL;
	/* as 10.5: codec-accept names the leg codec, else always-transcode takes the offer's first */
	const struct codec *accepted = accepted_codec(offered, &options->accept);
	const struct codec *leg = accepted ? accepted : leg_codec(offered);
	bool forced = accepted || ((options->always_transcode || options->inject_dtmf) && leg);
	const struct codec *offered_dtmf = NULL;
	for (unsigned int i = 0; i < offered->count; i++)
		if (!strcasecmp(offered->codecs[i].name, "telephone-event") && !offered_dtmf)
			offered_dtmf = &offered->codecs[i];
	for (unsigned int n = 0; n < options->transcode.count && state->added_count + 2 <= G_N_ELEMENTS(state->added); n++) {
		const char *spec = options->transcode.names[n];
		if (!strcasecmp(spec, "telephone-event") && !offered_dtmf && leg) {
			/* as 10.5: an offer without RFC 4733 gets it; the answerer's events and the
			 * offerer's in-band tones are translated (codec_chain.h) */
			unsigned int dtmf_pt = free_dynamic_type(offered, state);
			bool duplicate = false;
			for (unsigned int a = 0; a < state->added_count; a++)
				duplicate |= !strcasecmp(state->added[a].name, "telephone-event");
			if (dtmf_pt && !duplicate)
				add_codec(state, dtmf_pt, "telephone-event", leg->clock_rate ? leg->clock_rate : 8000, 1);
			continue;
		}
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
	if (!state->added_count && !forced)
		return 0;
	codec_copy(&state->leg, leg);
	state->leg_dtmf_set = offered_dtmf != NULL;
	if (offered_dtmf)
		codec_copy(&state->leg_dtmf, offered_dtmf);
	state->forced = forced;
	state->force_dtmf = forced && !accepted;
	state->inject = options->inject_dtmf && leg;
	if (!state->added_count)
		return 0;   /* the offer goes out as negotiated; the answer is forced to the leg codec */
	/* as 10.5: the added codecs go before the offer's first telephone-event or CN */
	char audio[256], rest[256], added[64];
	audio[0] = rest[0] = added[0] = '\0';
	for (const char *cursor = formats; *cursor; ) {
		unsigned int pt = (unsigned int) strtoul(cursor, NULL, 10);
		bool auxiliary = false;
		for (unsigned int i = 0; i < offered->count; i++)
			if (offered->codecs[i].payload_type == pt)
				auxiliary = is_auxiliary(&offered->codecs[i]);
		char *target = auxiliary || rest[0] ? rest : audio;
		size_t used = strlen(target);
		if (snprintf(target + used, sizeof(audio) - used, "%s%u", used ? " " : "", pt) >= (int) (sizeof(audio) - used))
			return -ENOSPC;
		cursor += strcspn(cursor, " ");
		cursor += *cursor == ' ';
	}
	for (unsigned int a = 0; a < state->added_count; a++) {
		size_t used = strlen(added);
		snprintf(added + used, sizeof(added) - used, "%s%u", used ? " " : "", state->added[a].payload_type);
		rtpmaps[a] = state->added[a].rtpmap;
	}
	rtpmaps[state->added_count] = NULL;
	int written = snprintf(formats, size, "%s%s%s%s%s", audio, audio[0] ? " " : "", added, rest[0] ? " " : "", rest);
	if (written < 0 || (size_t) written >= size)
		return -ENOSPC;
	state->offered = true;
	return 1;
}

static struct codec_chain *chain_between(const struct transcode_codec *in, const struct transcode_codec *in_dtmf,
		const struct transcode_codec *out, const struct transcode_codec *out_dtmf, int out_cn_pt,
		const char **reason)
{
	struct codec_chain_config config = {
		.input = { .encoding = in->name, .clock_rate = in->clock, .channels = in->channels,
			   .payload_type = (uint8_t) in->payload_type },
		.output = { .encoding = out->name, .clock_rate = out->clock, .channels = out->channels,
			    .payload_type = (uint8_t) out->payload_type },
		.output_ptime_ms = 0,           /* the output codec's usual one (G.723.1: 30 ms) */
		.input_dtmf_pt = in_dtmf ? (int) in_dtmf->payload_type : -1,
		/* one side without telephone-event: the chain translates to or from tones */
		.output_dtmf_pt = out_dtmf ? (int) out_dtmf->payload_type : -1,
		.input_dtmf_clock = in_dtmf ? in_dtmf->clock : 0,
		.output_dtmf_clock = out_dtmf ? out_dtmf->clock : 0,
		.reorder_depth = reorder_depth,
		.dtx_cn_level = dtx_cn_level,
		/* --silence-detect: only towards a side whose SDP has CN (as 10.5) */
		.output_cn_pt = out_cn_pt,
		.silence_threshold = out_cn_pt >= 0 ? silence_threshold : 0,
		.cn_payload = cn_payload,
		.cn_payload_length = cn_payload_length,
	};
	return codec_chain_new(&config, reason);
}

static bool list_has_payload_type(const struct codec_list *list, unsigned int payload_type)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (list->codecs[i].payload_type == payload_type)
			return true;
	return false;
}

/* The offerer's answer: the leg codec and its telephone-event (when given). A payload type the
 * answer has keeps the answer's own rtpmap and fmtp lines (it is the offer's, RFC 3264 section
 * 6.1); the others get ours. Returns 1. */
static int answer_leg_only(struct media_transcode *state, const struct codec_list *answered,
		const struct transcode_codec *leg_dtmf, char *formats, size_t size, const char **rtpmaps)
{
	if (leg_dtmf)
		snprintf(formats, size, "%u %u", state->leg.payload_type, leg_dtmf->payload_type);
	else
		snprintf(formats, size, "%u", state->leg.payload_type);
	unsigned int count = 0;
	if (!list_has_payload_type(answered, state->leg.payload_type)) {
		g_strlcpy(state->answer_rtpmaps[count], state->leg.rtpmap, sizeof(state->answer_rtpmaps[0]));
		rtpmaps[count] = state->answer_rtpmaps[count];
		count++;
	}
	if (leg_dtmf && !list_has_payload_type(answered, leg_dtmf->payload_type)) {
		g_strlcpy(state->answer_rtpmaps[count], leg_dtmf->rtpmap, sizeof(state->answer_rtpmaps[0]));
		rtpmaps[count] = state->answer_rtpmaps[count];
		count++;
	}
	rtpmaps[count] = NULL;
	return 1;
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
	if (!state || (!state->offered && !state->forced)) {
		if (answerer_media->streams[STREAM_RTP].extras->transcode) {
			stage(answerer_media, NULL);
			stage(offerer_media, NULL);
		}
		return 0;
	}
	state->offered = false;
	bool forced = state->forced;
	state->forced = false;
	const struct codec *chosen = NULL;
	for (unsigned int i = 0; i < answered->count && !chosen; i++)
		if (!is_auxiliary(&answered->codecs[i]))
			chosen = &answered->codecs[i];
	const struct transcode_codec *peer = NULL;
	for (unsigned int a = 0; chosen && a < state->added_count; a++)
		if (state->added[a].payload_type == chosen->payload_type && strcasecmp(state->added[a].name, "telephone-event"))
			peer = &state->added[a];
	struct transcode_codec answered_codec;
	bool same_as_leg = false;
	if (!peer && forced && chosen) {
		/* codec-accept / always-transcode: the answerer's codec of the offer, unless it is
		 * the leg codec itself (then the media passes, the answer still names the leg only) */
		same_as_leg = !strcasecmp(chosen->name, state->leg.name) && chosen->clock_rate == state->leg.clock
			&& chosen->payload_type == state->leg.payload_type;
		if (!same_as_leg && transcodable(chosen)) {
			codec_copy(&answered_codec, chosen);
			peer = &answered_codec;
		}
	}
	if (same_as_leg && state->inject) {
		/* inject-DTMF (as 10.5): one codec both ways, still decoded and encoded so that play
		 * DTMF can put events or tones into the stream (codec_chain_inject_dtmf()) */
		codec_copy(&answered_codec, chosen);
		peer = &answered_codec;
		same_as_leg = false;
	}
	if (same_as_leg) {
		stage(answerer_media, NULL);
		stage(offerer_media, NULL);
		bool dtmf = state->leg_dtmf_set;
		if (dtmf && !state->force_dtmf) {
			dtmf = false;
			for (unsigned int i = 0; i < answered->count; i++)
				dtmf |= answered->codecs[i].payload_type == state->leg_dtmf.payload_type;
		}
		return answer_leg_only(state, answered, dtmf ? &state->leg_dtmf : NULL, formats, size, rtpmaps);
	}
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
	/* the leg's telephone-event when the answerer has one (events are mapped); always-transcode
	 * keeps it regardless, as 10.5 (without the answerer's, events from the offerer are dropped:
	 * no in-band tones are generated) */
	const struct transcode_codec *leg_dtmf = state->leg_dtmf_set && (peer_dtmf_set || state->force_dtmf)
		? &state->leg_dtmf : NULL;
	/* the answerer's CN at its codec's clock: --silence-detect sends CN towards it */
	int peer_cn_pt = -1;
	for (unsigned int i = 0; i < answered->count && peer_cn_pt < 0; i++)
		if (!strcasecmp(answered->codecs[i].name, "CN") && answered->codecs[i].clock_rate == peer->clock)
			peer_cn_pt = (int) answered->codecs[i].payload_type;
	const char *reason = NULL;
	struct codec_chain *forward = chain_between(&state->leg, leg_dtmf, peer, peer_dtmf_set ? &peer_dtmf : NULL,
						    peer_cn_pt, &reason);
	struct codec_chain *backward = forward ? chain_between(peer, peer_dtmf_set ? &peer_dtmf : NULL, &state->leg,
							       leg_dtmf, -1, &reason) : NULL;
	if (!forward || !backward) {
		codec_chain_free(forward);
		log_call(LOG_ERR, offerer_media->monologue->call->call_id, "transcoding media %u not set up: %s",
			 offerer_media->index, reason ? reason : "unknown");
		return -ENOTSUP;
	}
	stage(offerer_media, forward);    /* the offerer sends the leg codec */
	stage(answerer_media, backward);  /* the answerer sends its codec */
	answer_leg_only(state, answered, leg_dtmf, formats, size, rtpmaps);
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
	/* call_free() runs on the call's worker, whose timer heap may hold the DTX timer */
	struct media_worker *worker = media->monologue && media->monologue->call ? media->monologue->call->worker : NULL;
	if (worker)
		relay_worker_timer_cancel(worker, &media->streams[STREAM_RTP].extras->dtx_timer);
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
