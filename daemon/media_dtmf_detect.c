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

/* Decoders for more payload types than this are not made (an m= line rarely lists more audio
 * codecs; the rest are not looked at). */
#define DETECT_MAX_CODECS 8

/* One negotiated audio codec of a stream and its detector, made by the worker at the first
 * packet of that payload type (a chain holds its jitter and output buffers, about 72 KB: one
 * per codec a side really sends, not per codec it lists). */
struct detect_codec {
	uint8_t payload_type;
	bool failed;                    /* no decoder for it: not tried again */
	char name[32];
	unsigned int clock_rate, channels;
	struct codec_chain *chain;
	bool owner;                     /* chain is this entry's (else another entry's, shared) */
};

/* The RTP stream's detectors (extras->dtmf_detect): the worker's once published. */
struct media_dtmf_detectors {
	unsigned int count;
	struct detect_codec codecs[DETECT_MAX_CODECS];
};

struct media_dtmf_detect {
	bool enabled;                   /* detect-DTMF was asked for on this media */
	bool staged_set;
	struct media_dtmf_detectors *staged;
	struct media_dtmf_detectors *replaced;
};

/* ---- static helpers ---------------------------------------------------------------------- */

static struct media_dtmf_detect *state_of(struct media *media)
{
	if (!media->dtmf_detect)
		media->dtmf_detect = g_new0(struct media_dtmf_detect, 1);
	return media->dtmf_detect;
}

static void detectors_free(struct media_dtmf_detectors *detectors)
{
	if (!detectors)
		return;
	for (unsigned int i = 0; i < detectors->count; i++)
		if (detectors->codecs[i].owner)
			codec_chain_free(detectors->codecs[i].chain);
	g_free(detectors);
}

static struct media *peer_media(struct media *media)
{
	struct monologue *peer = media->monologue->peer;
	if (!peer || media->index == 0 || media->index > peer->media_count)
		return NULL;
	return peer->media[media->index - 1];
}

/* Every audio codec of the list this build decodes (telephone-event and CN are not audio). */
static void audio_codecs_of(const struct codec_list *list, struct media_dtmf_detectors *detectors)
{
	for (unsigned int i = 0; i < list->count && detectors->count < DETECT_MAX_CODECS; i++) {
		const struct codec *codec = &list->codecs[i];
		if (!strcasecmp(codec->name, "telephone-event") || !strcasecmp(codec->name, "CN")
		    || !codec_chain_supports(codec->name, false))
			continue;
		struct detect_codec *entry = &detectors->codecs[detectors->count++];
		entry->payload_type = (uint8_t) codec->payload_type;
		g_strlcpy(entry->name, codec->name, sizeof(entry->name));
		entry->clock_rate = codec->clock_rate;
		entry->channels = codec->channels;
	}
}

static bool same_codecs(const struct media_dtmf_detectors *a, const struct media_dtmf_detectors *b)
{
	if (!a || !b || a->count != b->count)
		return false;
	for (unsigned int i = 0; i < a->count; i++)
		if (a->codecs[i].payload_type != b->codecs[i].payload_type || strcasecmp(a->codecs[i].name, b->codecs[i].name)
		    || a->codecs[i].clock_rate != b->codecs[i].clock_rate || a->codecs[i].channels != b->codecs[i].channels)
			return false;
	return true;
}

static void stage(struct media *media, const struct codec_list *list)
{
	struct media_dtmf_detect *state = state_of(media);
	state->enabled = true;
	struct media_dtmf_detectors *detectors = g_new0(struct media_dtmf_detectors, 1);
	audio_codecs_of(list, detectors);
	/* unchanged (a re-offer, or the answer the offer already had): keep the worker's decoders */
	if (!detectors->count || same_codecs(detectors, state->staged_set ? state->staged
					      : media->streams[STREAM_RTP].extras->dtmf_detect)) {
		g_free(detectors);
		return;
	}
	if (state->staged_set)
		detectors_free(state->staged);
	state->staged = detectors;
	state->staged_set = true;
}

/* Worker, under the call's lock, at the first packet of a payload type: its detector (at most
 * once per negotiated codec of the stream, so the allocation is not per packet). The stream's
 * other codecs at the same RTP clock are the chain's alternates and share its detector, so a
 * digit whose tone goes on after the sender switched codecs (PCMU -> PCMA mid-digit, RFC 3264
 * section 6.1 lets it) is one digit, not two halves each too short or reported twice. */
static struct codec_chain *detector_for(struct media_dtmf_detectors *detectors, uint8_t payload_type)
{
	struct detect_codec *entry = NULL;
	for (unsigned int i = 0; i < detectors->count && !entry; i++)
		if (detectors->codecs[i].payload_type == payload_type)
			entry = &detectors->codecs[i];
	if (!entry || entry->failed)
		return NULL;
	if (entry->chain)
		return entry->chain;
	struct codec_chain_config config = {
		.input = { .encoding = entry->name, .clock_rate = entry->clock_rate, .channels = entry->channels,
			   .payload_type = entry->payload_type },
		.output = { .encoding = "L16", .clock_rate = 8000, .channels = 1, .payload_type = DETECT_OUTPUT_PT },
		.input_dtmf_pt = -1,
		.output_dtmf_pt = DETECT_EVENT_PT,
		.output_dtmf_clock = 8000,
		.output_cn_pt = -1,
		.detect_only = true,
	};
	struct detect_codec *sharing[CODEC_CHAIN_MAX_ALTERNATES];
	for (unsigned int i = 0; i < detectors->count && config.alternate_count < CODEC_CHAIN_MAX_ALTERNATES; i++) {
		struct detect_codec *other = &detectors->codecs[i];
		if (other == entry || other->chain || other->failed || other->clock_rate != entry->clock_rate)
			continue;
		sharing[config.alternate_count] = other;
		config.alternates[config.alternate_count++] = (struct codec_chain_format) {
			.encoding = other->name, .clock_rate = other->clock_rate, .channels = other->channels,
			.payload_type = other->payload_type };
	}
	const char *reason = NULL;
	entry->chain = codec_chain_new(&config, &reason);
	entry->failed = entry->chain == NULL;
	entry->owner = entry->chain != NULL;
	for (unsigned int i = 0; entry->chain && i < config.alternate_count; i++)
		sharing[i]->chain = entry->chain;
	return entry->chain;
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
	stage(media, &list);
	/* RFC 3264 section 6.1: the offerer sends what the answer lists too */
	struct media *peer = answer ? peer_media(media) : NULL;
	if (peer)
		stage(peer, &list);
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
	detectors_free(state->replaced);
	state->replaced = NULL;
}

void media_dtmf_detect_free(struct media *media)
{
	struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	detectors_free(extras->dtmf_detect);
	extras->dtmf_detect = NULL;
	if (media->dtmf_detect) {
		if (media->dtmf_detect->staged_set)
			detectors_free(media->dtmf_detect->staged);
		detectors_free(media->dtmf_detect->replaced);
		g_free(media->dtmf_detect);
		media->dtmf_detect = NULL;
	}
}

bool media_dtmf_detect_feed(struct stream *stream, const unsigned char *packet, size_t length,
		const union endpoint *source, struct media_control_dtmf *dtmf)
{
	struct media_dtmf_detectors *detectors = stream->extras->dtmf_detect;
	if (!detectors || length < 12)
		return false;
	struct codec_chain *chain = detector_for(detectors, packet[1] & 0x7f);   /* RFC 3550 section 5.1 */
	if (!chain || codec_chain_push(chain, packet, length) < 0)
		return false;
	bool seen = false;
	struct codec_chain_dtmf found;
	while (codec_chain_take_dtmf(chain, &found))
		if (!seen)
			seen = media_control_inband_dtmf(stream, source, found.event, found.duration_ms, found.volume, dtmf);
	return seen;
}
