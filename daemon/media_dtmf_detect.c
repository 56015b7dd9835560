/* detect-DTMF on calls that are not transcoded; see media_dtmf_detect.h. */
#include "media_dtmf_detect.h"

#include <string.h>
#include <strings.h>
#include <glib.h>

#include "call.h"
#include "codec.h"
#include "codec_chain.h"
#include "log.h"
#include "media_control.h"

/* the detector's output side: never sent, only where the detector looks (8 kHz, events at the
 * audio's clock as codec_chain.h needs for translation) */
#define DETECT_OUTPUT_PT 96
#define DETECT_EVENT_PT 101

struct media_dtmf_detect {
	bool enabled;                   /* detect-DTMF was asked for on this media */
	unsigned int payload_type;      /* the chain's input */
	bool staged_set;
	struct codec_chain *staged;
	struct codec_chain *replaced;
};

/* ---- static helpers ---------------------------------------------------------------------- */

static struct media_dtmf_detect *state_of(struct media *media)
{
	if (!media->dtmf_detect)
		media->dtmf_detect = g_new0(struct media_dtmf_detect, 1);
	return media->dtmf_detect;
}

static struct media *peer_media(struct media *media)
{
	struct monologue *peer = media->monologue->peer;
	if (!peer || media->index == 0 || media->index > peer->media_count)
		return NULL;
	return peer->media[media->index - 1];
}

/* The first codec of the list this build decodes (telephone-event and CN are not audio). */
static const struct codec *first_audio_codec(const struct codec_list *list)
{
	for (unsigned int i = 0; i < list->count; i++) {
		const struct codec *codec = &list->codecs[i];
		if (strcasecmp(codec->name, "telephone-event") && strcasecmp(codec->name, "CN")
		    && codec_chain_supports(codec->name, false))
			return codec;
	}
	return NULL;
}

static void stage(struct media *media, const struct codec *codec)
{
	struct media_dtmf_detect *state = state_of(media);
	state->enabled = true;
	if (state->staged_set && state->staged)
		return;   /* one chain per update is enough */
	if (media->streams[STREAM_RTP].extras->dtmf_detect && state->payload_type == codec->payload_type)
		return;   /* unchanged */
	struct codec_chain_config config = {
		.input = { .encoding = codec->name, .clock_rate = codec->clock_rate, .channels = codec->channels,
			   .payload_type = (uint8_t) codec->payload_type },
		.output = { .encoding = "L16", .clock_rate = 8000, .channels = 1, .payload_type = DETECT_OUTPUT_PT },
		.input_dtmf_pt = -1,
		.output_dtmf_pt = DETECT_EVENT_PT,
		.output_dtmf_clock = 8000,
		.output_cn_pt = -1,
		.detect_only = true,
	};
	const char *reason = NULL;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	if (!chain) {
		log_call(LOG_WARNING, media->monologue->call->call_id, "detect-DTMF: no detector for %s on media %u: %s",
			 codec->name, media->index, reason ? reason : "unknown");
		return;
	}
	if (state->staged_set)
		codec_chain_free(state->staged);
	state->staged = chain;
	state->staged_set = true;
	state->payload_type = codec->payload_type;
}

/* ---- public functions -------------------------------------------------------------------- */

void media_dtmf_detect_learn(struct media *media, const struct sdp_media *sdp_media, bool requested, bool answer)
{
	struct monologue *side = media->monologue;
	if (requested) {
		side->detect_dtmf = true;
		if (side->peer)
			side->peer->detect_dtmf = true;
	}
	if (!side->detect_dtmf && !(side->peer && side->peer->detect_dtmf))
		return;
	if (media->type && strcmp(media->type, "audio"))
		return;
	struct codec_list list;
	if (codec_list_from_media(sdp_media, &list) < 0)
		return;
	const struct codec *codec = first_audio_codec(&list);
	if (!codec)
		return;
	stage(media, codec);
	/* RFC 3264 section 6.1: the offerer sends what the answer chose too */
	struct media *peer = answer ? peer_media(media) : NULL;
	if (peer)
		stage(peer, codec);
}

void media_dtmf_detect_publish(struct media *media)
{
	struct media_dtmf_detect *state = media->dtmf_detect;
	if (!state || !state->enabled)
		return;
	media->media_control |= MEDIA_CONTROL_INBAND_DTMF;
	if (!state->staged_set)
		return;
	struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	state->replaced = extras->dtmf_detect;
	extras->dtmf_detect = state->staged;
	state->staged = NULL;
	state->staged_set = false;
}

void media_dtmf_detect_release(struct media *media)
{
	struct media_dtmf_detect *state = media->dtmf_detect;
	if (!state)
		return;
	codec_chain_free(state->replaced);
	state->replaced = NULL;
}

void media_dtmf_detect_free(struct media *media)
{
	struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	codec_chain_free(extras->dtmf_detect);
	extras->dtmf_detect = NULL;
	if (media->dtmf_detect) {
		if (media->dtmf_detect->staged_set)
			codec_chain_free(media->dtmf_detect->staged);
		codec_chain_free(media->dtmf_detect->replaced);
		g_free(media->dtmf_detect);
		media->dtmf_detect = NULL;
	}
}

bool media_dtmf_detect_feed(struct stream *stream, const unsigned char *packet, size_t length,
		const union endpoint *source, struct media_control_dtmf *dtmf)
{
	struct codec_chain *chain = stream->extras->dtmf_detect;
	if (!chain || codec_chain_push(chain, packet, length) < 0)
		return false;
	bool seen = false;
	struct codec_chain_dtmf found;
	while (codec_chain_take_dtmf(chain, &found))
		if (!seen)
			seen = media_control_inband_dtmf(stream, source, found.event, found.duration_ms, found.volume, dtmf);
	return seen;
}
