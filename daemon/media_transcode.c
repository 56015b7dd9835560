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
#include "media_transcode_internal.h"
#include "config.h"
#include "log.h"
#include "relay.h"

/* Codecs we can add: SDP name, clock, channels as SDP writes them, static payload type. */
static const struct {
	const char *name;
	unsigned int clock, channels;
	int static_payload_type;
} addable[] = {
	{ "PCMU", 8000, 1, 0 }, { "PCMA", 8000, 1, 8 }, { "G722", 8000, 1, 9 },
	{ "opus", 48000, 2, -1 },       /* RFC 7587 section 7: always /48000/2 */
	{ "opus", 48000, 1, -1 },       /* but 10.5 adds "opus/48000/1" as asked (rtpmap opus/48000) */
	{ "L16", 8000, 1, -1 },
	{ "GSM", 8000, 1, 3 }, { "G723", 8000, 1, 4 },   /* RFC 3551 static payload types */
	{ "speex", 16000, 1, -1 },      /* wideband, as 10.5 adds it */
	/* G.729 (bcg729, codec_g729.h): as 10.5, G729 at its static type with "annexb=no"
	 * (add_codec()), G729a at a dynamic one without fmtp */
	{ "G729", 8000, 1, 18 }, { "G729a", 8000, 1, -1 },
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

bool transcode_is_auxiliary(const struct codec *codec)
{
	return !strcasecmp(codec->name, "telephone-event") || !strcasecmp(codec->name, "CN");
}

struct media_transcode *transcode_state_of(struct media *media)
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

/* Whether pt is taken in the offer the answerer gets: a payload type of a codec strip or mask
 * removed is free for a codec we add (as 10.5: offer "96 opus/48000/2, 102 telephone-event/48000"
 * with mask all and transcode PCMU, PCMA, telephone-event gives telephone-event/8000 type 96). */
static bool payload_type_used(const struct codec_list *list, const struct media_transcode *state, unsigned int pt)
{
	(void) list;
	if (codec_payload_set_has(&state->offered_on, pt))
		return true;
	for (unsigned int i = 0; i < state->added_count; i++)
		if (state->added[i].payload_type == pt)
			return true;
	return false;
}

static bool transcodable(const struct codec *codec);

static bool names_match(const struct codec *codec, const struct codec_names *names)
{
	for (unsigned int n = 0; n < names->count; n++)
		if (codec_matches(codec, names->names[n]))
			return true;
	return false;
}

/* Whether the codec stays on the offerer's side: strip (by name, "all" or "full") removes it
 * from both legs, unless except, offer or transcode name it; mask and consume only hide codecs
 * from the answerer. With "full" what transcode names is not the offerer's again (as 10.5:
 * "strip full, transcode [G722, opus]" on "0 8 9 101" answered with Opus transcodes to PCMU). */
static bool kept_by_offerer(const struct codec *codec, const struct codec_options *options)
{
	bool stripped = false;
	for (unsigned int n = 0; n < options->strip.count && !stripped; n++)
		stripped = codec_name_is_all(options->strip.names[n]) || codec_matches(codec, options->strip.names[n]);
	if (!stripped || names_match(codec, &options->except) || names_match(codec, &options->offer))
		return true;
	return names_match(codec, &options->transcode) && !codec_keeps_removed_types(options);
}

/* The leg codec: the first codec the engine decodes and encodes among those the offerer keeps.
 * As 10.5 (measured): when strip keeps only telephone-event, CN or codecs the engine cannot
 * encode ("strip all, transcode [PCMU, telephone-event]" on "8 101"), there is none, and the
 * answer passes as the answerer gave it, media untouched (media_transcode_answer_passed());
 * when strip keeps nothing at all, the offer's first such codec is the leg all the same. */
static const struct codec *leg_codec(const struct codec_list *offered, const struct codec_options *options)
{
	bool any_kept = false;
	for (unsigned int i = 0; i < offered->count; i++) {
		if (!kept_by_offerer(&offered->codecs[i], options))
			continue;
		any_kept = true;
		if (transcodable(&offered->codecs[i]))
			return &offered->codecs[i];
	}
	for (unsigned int i = 0; !any_kept && i < offered->count; i++)
		if (transcodable(&offered->codecs[i]))
			return &offered->codecs[i];
	return NULL;
}

static bool transcodable(const struct codec *codec)
{
	return !transcode_is_auxiliary(codec) && codec_chain_supports(codec->name, false) && codec_chain_supports(codec->name, true);
}

/* codec-accept: the offer's first codec an accept name matches that the engine handles */
static const struct codec *accepted_codec(const struct codec_list *offered, const struct codec_names *accept)
{
	for (unsigned int i = 0; i < offered->count; i++)
		for (unsigned int n = 0; n < accept->count; n++)
			if (transcodable(&offered->codecs[i]) && (codec_name_is_all(accept->names[n])
								  || codec_matches(&offered->codecs[i], accept->names[n])))
				return &offered->codecs[i];
	return NULL;
}

void transcode_codec_copy(struct transcode_codec *out, const struct codec *codec)
{
	out->payload_type = codec->payload_type;
	g_strlcpy(out->name, codec->name, sizeof(out->name));
	out->clock = codec->clock_rate;
	out->channels = codec->channels ? codec->channels : 1;
	g_strlcpy(out->fmtp, codec->format_parameters ? codec->format_parameters : "", sizeof(out->fmtp));
	if (out->channels > 1)
		snprintf(out->rtpmap, sizeof(out->rtpmap), "%u %s/%u/%u", out->payload_type, out->name, out->clock, out->channels);
	else
		snprintf(out->rtpmap, sizeof(out->rtpmap), "%u %s/%u", out->payload_type, out->name, out->clock);
	/* its a=fmtp goes with it where we write the codec (the leg in the offerer's answer, as 10.5) */
	if (out->fmtp[0]) {
		g_strlcat(out->rtpmap, " ", sizeof(out->rtpmap));
		g_strlcat(out->rtpmap, out->fmtp, sizeof(out->rtpmap));
	}
	out->bit_rate = 0;
	out->ptime = 0;
}

/* "name/clock/channels/bit rate[/...]" (10.5's codec spec; ptime and fmtp fields after the bit
 * rate are not applied); false when it names no bit rate. */
static bool parse_setting(const char *spec, struct codec_setting *setting)
{
	*setting = (struct codec_setting) { .channels = 0 };
	char copy[128];
	g_strlcpy(copy, spec, sizeof(copy));
	char *fields[4] = { NULL };
	char *cursor = copy;
	for (int i = 0; i < 4 && cursor; i++) {
		fields[i] = cursor;
		cursor = strchr(cursor, '/');
		if (cursor)
			*cursor++ = '\0';
	}
	if (!fields[0][0] || !fields[3] || !fields[3][0])
		return false;
	g_strlcpy(setting->name, fields[0], sizeof(setting->name));
	setting->clock = fields[1] ? (unsigned int) strtoul(fields[1], NULL, 10) : 0;
	setting->channels = fields[2] ? (unsigned int) strtoul(fields[2], NULL, 10) : 0;
	setting->bit_rate = (int) strtol(fields[3], NULL, 10);
	return setting->bit_rate > 0;
}

/* The bit rate for the encoder of codec: a codec we added, its transcode spec's; else what
 * codec set gives it (as 10.5, set's ptime and fmtp fields are not applied); 0 = its default. */
int transcode_bit_rate(const struct media_transcode *state, const struct transcode_codec *codec)
{
	if (codec->bit_rate > 0)
		return codec->bit_rate;
	for (unsigned int i = 0; i < state->settings_count; i++) {
		const struct codec_setting *setting = &state->settings[i];
		if (!strcasecmp(setting->name, codec->name) && (!setting->clock || setting->clock == codec->clock)
		    && (!setting->channels || setting->channels == codec->channels))
			return setting->bit_rate;
	}
	return 0;
}

/* "CN" or "CN/clock": RFC 3389 comfort noise, added at the leg codec's clock whatever clock the
 * spec names (as 10.5 adds it: CN/16000 beside PCMU is offered as 13 CN/8000) */
static bool names_cn(const char *spec)
{
	return !strncasecmp(spec, "CN", 2) && (spec[2] == '\0' || spec[2] == '/');
}

/* "telephone-event" or "telephone-event/clock": RFC 4733 events, added at the clocks of the
 * offer's codecs (RFC 4733 section 2.1) whatever clock the spec names; an offer that has events
 * gets them at an added codec's clock with that codec (as 10.5: a PCMU/16000 offer with
 * transcode PCMA and telephone-event/8000 gets telephone-event/8000 once) */
static bool names_events(const char *spec)
{
	return !strncasecmp(spec, "telephone-event", 15) && (spec[15] == '\0' || spec[15] == '/');
}

int media_transcode_offer_check(const struct codec_list *offered, const struct codec_options *options,
		const char **refused, const char **reason)
{
	for (unsigned int n = 0; n < options->transcode.count; n++) {
		const char *spec = options->transcode.names[n];
		if (list_has(offered, spec))
			continue;
		if (names_events(spec) || names_cn(spec))
			continue;   /* added at the leg's clock: tones are translated (codec_chain.h) */
		if (addable_index(spec) < 0) {
			*refused = spec;
			*reason = "this build cannot transcode to that codec (see --codecs)";
			return -ENOTSUP;
		}
	}
	/* an offer without a codec this build encodes (AMR-only) is no error: as 10.5, the codecs
	 * are added and the media relayed untouched (media_transcode_offer()) */
	return 0;
}

static unsigned int free_dynamic_type(const struct codec_list *list, const struct media_transcode *state)
{
	for (unsigned int pt = 96; pt < 128; pt++)
		if (!payload_type_used(list, state, pt))
			return pt;
	return 0;
}

/* The fields of a transcode spec after name/clock/channels (upstream's codec spec:
 * name/clock/channels/bit rate/ptime/fmtp/options): the bit rate and ptime for the added
 * codec's encoder and its a=fmtp, as 10.5 applies them. */
static void spec_extras(const char *spec, int *bit_rate, unsigned int *ptime, char *fmtp, size_t fmtp_size)
{
	*bit_rate = 0;
	*ptime = 0;
	fmtp[0] = '\0';
	const char *field = spec;
	for (int n = 0; n < 3 && field; n++) {
		field = strchr(field, '/');
		field = field ? field + 1 : NULL;
	}
	if (!field)
		return;
	*bit_rate = (int) strtol(field, NULL, 10);
	field = strchr(field, '/');
	if (!field)
		return;
	*ptime = (unsigned int) strtoul(++field, NULL, 10);
	if (*ptime > 120)
		*ptime = 0;
	field = strchr(field, '/');
	if (!field)
		return;
	g_strlcpy(fmtp, field + 1, fmtp_size);
	char *options = strchr(fmtp, '/');   /* codec-specific options: not in the SDP */
	if (options)
		*options = '\0';
}

static void add_codec(struct media_transcode *state, unsigned int pt, const char *name, unsigned int clock,
		unsigned int channels, const char *spec)
{
	struct codec codec = { .payload_type = pt, .clock_rate = clock, .channels = channels };
	g_strlcpy(codec.name, name, sizeof(codec.name));
	int bit_rate = 0;
	unsigned int ptime = 0;
	char fmtp[128];
	spec_extras(spec ? spec : "", &bit_rate, &ptime, fmtp, sizeof(fmtp));
	/* as 10.5: an added G729 says "no Annex B" (RFC 4856's audio/G729); the chain's encoder
	 * never sends SID frames in any case (codec_chain.c) */
	if (!fmtp[0] && !strcasecmp(name, "G729"))
		g_strlcpy(fmtp, "annexb=no", sizeof(fmtp));
	codec.format_parameters = fmtp[0] ? fmtp : NULL;
	struct transcode_codec *added = &state->added[state->added_count++];
	transcode_codec_copy(added, &codec);
	added->bit_rate = bit_rate > 0 ? bit_rate : 0;
	added->ptime = ptime;
	/* the events 10.5 offers with an added telephone-event (RFC 4733 section 3.2), as its
	 * fmtp after the rtpmap (sdp_write.c) */
	if (!strcasecmp(name, "telephone-event"))
		g_strlcat(added->rtpmap, " 0-15", sizeof(added->rtpmap));
}

/* Whether an offered payload type stays in an offer that engages the transcoder: what this
 * build decodes and encodes (G.729 with bcg729, as 10.5), telephone-event and CN. */
static bool kept_when_transcoding(const struct codec_list *offered, unsigned int payload_type)
{
	for (unsigned int i = 0; i < offered->count; i++) {
		const struct codec *codec = &offered->codecs[i];
		if (codec->payload_type != payload_type)
			continue;
		return transcode_is_auxiliary(codec) || transcodable(codec);
	}
	return true;
}

bool transcode_formats_have(const char *formats, unsigned int payload_type)
{
	for (const char *cursor = formats; *cursor; cursor += strcspn(cursor, " "), cursor += *cursor == ' ')
		if ((unsigned int) strtoul(cursor, NULL, 10) == payload_type)
			return true;
	return false;
}

/* Comfort noise (RFC 3389) at clock unless the offer (as the answerer gets it) or our additions
 * have it: static type 13 at 8000 when free (RFC 3551 section 6), else a dynamic one. */
static void add_cn_at_clock(struct media_transcode *state, const struct codec_list *offered, const char *formats,
		unsigned int clock)
{
	for (unsigned int i = 0; i < offered->count; i++)
		if (!strcasecmp(offered->codecs[i].name, "CN") && offered->codecs[i].clock_rate == clock
		    && transcode_formats_have(formats, offered->codecs[i].payload_type))
			return;
	for (unsigned int a = 0; a < state->added_count; a++)
		if (!strcasecmp(state->added[a].name, "CN") && state->added[a].clock == clock)
			return;
	if (state->added_count >= G_N_ELEMENTS(state->added))
		return;
	unsigned int pt = clock == 8000 && !payload_type_used(offered, state, 13) ? 13 : free_dynamic_type(offered, state);
	if (pt)
		add_codec(state, pt, "CN", clock, 1, NULL);
}

/* Whether the negotiated formats keep an audio codec of the offer once stripped. */
static bool has_kept_codec(const struct codec_list *offered, const char *formats)
{
	for (const char *cursor = formats; *cursor; cursor += strcspn(cursor, " "), cursor += *cursor == ' ') {
		unsigned int pt = (unsigned int) strtoul(cursor, NULL, 10);
		for (unsigned int i = 0; i < offered->count; i++)
			if (offered->codecs[i].payload_type == pt && !transcode_is_auxiliary(&offered->codecs[i])
			    && kept_when_transcoding(offered, pt))
				return true;
	}
	return false;
}

/* An offered telephone-event whose clock's codecs were all masked or stripped, with no codec
 * added at that clock either: left out of the answerer's offer (RFC 4733 section 2.1), as
 * 10.5; the offerer's events still reach the answerer at the clock it takes. */
static bool event_orphaned(const struct codec_list *offered, const struct media_transcode *state,
		const char *formats, unsigned int payload_type)
{
	const struct codec *event = NULL;
	for (unsigned int i = 0; i < offered->count && !event; i++)
		if (offered->codecs[i].payload_type == payload_type && !strcasecmp(offered->codecs[i].name, "telephone-event"))
			event = &offered->codecs[i];
	if (!event)
		return false;
	bool offered_clock = false, kept_clock = false;
	for (unsigned int i = 0; i < offered->count; i++) {
		const struct codec *codec = &offered->codecs[i];
		if (transcode_is_auxiliary(codec) || codec->clock_rate != event->clock_rate)
			continue;
		offered_clock = true;
		kept_clock |= transcode_formats_have(formats, codec->payload_type);
	}
	for (unsigned int a = 0; a < state->added_count; a++)
		kept_clock |= state->added[a].clock == event->clock_rate && strcasecmp(state->added[a].name, "telephone-event");
	return offered_clock && !kept_clock;
}

/* Events' clocks in ascending order, which gives their payload types (as 10.5); a handful of
 * clocks, so an insertion sort. */
static void sort_clocks(unsigned int *clocks, unsigned int count)
{
	for (unsigned int c = 1; c < count; c++)
		for (unsigned int d = c; d > 0 && clocks[d - 1] > clocks[d]; d--) {
			unsigned int swap = clocks[d];
			clocks[d] = clocks[d - 1];
			clocks[d - 1] = swap;
		}
}

/* Of the events added from `first` on, the one at 8000 Hz is listed last (as 10.5). */
static void list_events_at_8000_last(struct media_transcode *state, unsigned int first)
{
	for (unsigned int a = first; a + 1 < state->added_count; a++)
		if (state->added[a].clock == 8000) {
			struct transcode_codec at_8000 = state->added[a];
			memmove(&state->added[a], &state->added[a + 1], (state->added_count - a - 1) * sizeof(state->added[0]));
			state->added[state->added_count - 1] = at_8000;
			break;
		}
}

/* transcode=telephone-event on an offer without RFC 4733: an event at each clock of the offer's
 * codecs the engine keeps (RFC 4733 section 2.1: events use the audio's clock), payload types
 * given by ascending clock and the one at 8000 Hz listed last, as 10.5; at `fallback_clock`
 * when the offer keeps none. */
static void add_events_at_clocks(struct media_transcode *state, const struct codec_list *offered,
		const char *formats, unsigned int fallback_clock)
{
	unsigned int clocks[CODEC_MAX], count = 0;
	for (unsigned int i = 0; i < offered->count; i++) {
		const struct codec *codec = &offered->codecs[i];
		if (transcode_is_auxiliary(codec) || !codec->clock_rate || !transcode_formats_have(formats, codec->payload_type)
		    || !kept_when_transcoding(offered, codec->payload_type))
			continue;
		bool known = false;
		for (unsigned int c = 0; c < count; c++)
			known |= clocks[c] == codec->clock_rate;
		if (!known)
			clocks[count++] = codec->clock_rate;
	}
	if (!count)
		clocks[count++] = fallback_clock;
	sort_clocks(clocks, count);
	unsigned int first = state->added_count;
	for (unsigned int c = 0; c < count && state->added_count + 2 <= G_N_ELEMENTS(state->added); c++) {
		unsigned int pt = free_dynamic_type(offered, state);
		if (!pt)
			break;
		add_codec(state, pt, "telephone-event", clocks[c], 1, NULL);
	}
	list_events_at_8000_last(state, first);
}

/* transcode=telephone-event with "full" (GH 963): as 10.5, new events of ours at the leg's clock
 * and at the clocks of the codecs the answerer is offered, payload types given by ascending
 * clock (the one at 8000 Hz listed last); one at a clock no offered codec has is left out, its
 * payload type still taken ("strip full, transcode [opus, telephone-event]" on "8 101" offers
 * "96 98", 97 having gone to the events at PCMA's clock). */
static void add_fresh_events(struct media_transcode *state, const struct codec_list *offered, const char *formats,
		unsigned int *clocks, unsigned int count)
{
	sort_clocks(clocks, count);   /* duplicates dropped below */
	unsigned int first = state->added_count;
	for (unsigned int c = 0; c < count && state->added_count + 2 <= G_N_ELEMENTS(state->added); c++) {
		if (c && clocks[c] == clocks[c - 1])
			continue;
		unsigned int pt = free_dynamic_type(offered, state);
		if (!pt)
			break;
		bool offered_clock = false;
		for (unsigned int a = 0; a < first; a++)
			offered_clock |= state->added[a].clock == clocks[c] && strcasecmp(state->added[a].name, "CN");
		for (unsigned int i = 0; i < offered->count; i++)
			offered_clock |= !transcode_is_auxiliary(&offered->codecs[i]) && offered->codecs[i].clock_rate == clocks[c]
				&& transcode_formats_have(formats, offered->codecs[i].payload_type);
		if (!offered_clock) {
			codec_payload_set_add(&state->offered_on, pt);   /* taken all the same */
			continue;
		}
		add_codec(state, pt, "telephone-event", clocks[c], 1, NULL);
	}
	list_events_at_8000_last(state, first);
}

/* The offer's leg codec and its telephone-event, and what the offer forces on the answer. */
static void leg_setup(struct media_transcode *state, const struct codec_list *offered, const struct codec *leg,
		bool inject, bool forced, bool accepted, bool consumed)
{
	transcode_codec_copy(&state->leg, leg);
	/* RFC 4733 section 2.1: the leg's events run at its clock; one at another clock (8 kHz
	 * events beside Opus) is not the leg's, and 10.5 leaves it out of the offerer's answer */
	const struct codec *leg_dtmf = NULL;
	for (unsigned int i = 0; i < offered->count && !leg_dtmf; i++)
		if (!strcasecmp(offered->codecs[i].name, "telephone-event") && offered->codecs[i].clock_rate == leg->clock_rate)
			leg_dtmf = &offered->codecs[i];
	/* inject-DTMF with nothing added: both sides speak the leg codec and 10.5 keeps the
	 * offer's telephone-event whatever its clock (play DTMF then goes in-band); a consumed
	 * leg codec keeps it too (consume opus: the offerer's answer has its 8 kHz events) */
	for (unsigned int i = 0; i < offered->count && !leg_dtmf && ((inject && !state->added_count) || consumed); i++)
		if (!strcasecmp(offered->codecs[i].name, "telephone-event"))
			leg_dtmf = &offered->codecs[i];
	state->leg_dtmf_set = leg_dtmf != NULL;
	if (leg_dtmf)
		transcode_codec_copy(&state->leg_dtmf, leg_dtmf);
	state->forced = forced;
	state->force_dtmf = forced && !accepted;
	state->leg_cn_set = false;
	for (unsigned int i = 0; i < offered->count && !state->leg_cn_set; i++)
		if (!strcasecmp(offered->codecs[i].name, "CN") && offered->codecs[i].clock_rate == leg->clock_rate) {
			transcode_codec_copy(&state->leg_cn, &offered->codecs[i]);
			state->leg_cn_set = true;
		}
	state->inject = inject;
	state->inject_kept |= inject;
}

int media_transcode_offer(const struct codec_list *offered, const struct codec_options *options,
		struct media *answerer_media, char *formats, size_t size, const char **rtpmaps)
{
	struct media_transcode *state = transcode_state_of(answerer_media);
	state->offered = false;
	state->passed = false;
	state->forced = false;
	state->force_dtmf = false;
	state->added_count = 0;
	rtpmaps[0] = NULL;
	state->cn_consumed = false;
	/* as 10.5: ptime is sent towards the answerer, ptime-reverse towards the offerer, whatever
	 * the answer says (see chain_ptime()) */
	state->ptime_to_answerer = options->ptime > 0 && options->ptime <= 120 ? (unsigned int) options->ptime : 0;
	state->ptime_to_offerer = options->ptime_reverse > 0 && options->ptime_reverse <= 120
		? (unsigned int) options->ptime_reverse : 0;
	state->repacketise = state->ptime_to_answerer || state->ptime_to_offerer;
	memset(&state->offer_payload_types, 0, sizeof(state->offer_payload_types));
	for (unsigned int i = 0; i < offered->count; i++)
		codec_payload_set_add(&state->offer_payload_types, offered->codecs[i].payload_type);
	memset(&state->offered_on, 0, sizeof(state->offered_on));
	for (const char *cursor = formats; *cursor; cursor += strcspn(cursor, " "), cursor += *cursor == ' ')
		codec_payload_set_add(&state->offered_on, (unsigned int) strtoul(cursor, NULL, 10));
	for (unsigned int i = 0; codec_keeps_removed_types(options) && i < offered->count; i++)
		codec_payload_set_add(&state->offered_on, offered->codecs[i].payload_type);   /* "full" (GH 963) */
	state->settings_count = 0;
	for (unsigned int n = 0; n < options->set.count && state->settings_count < CODEC_SETTINGS_MAX; n++)
		if (parse_setting(options->set.names[n], &state->settings[state->settings_count]))
			state->settings_count++;
	/* as 10.5: codec-accept names the leg codec, else always-transcode takes the offer's first */
	const struct codec *accepted = accepted_codec(offered, &options->accept);
	/* consume: as mask, and the offerer keeps the consumed codec through the engine whatever
	 * the answerer picks (as 10.5: like always-transcode, with its telephone-event) */
	const struct codec *consumed = accepted ? NULL : accepted_codec(offered, &options->consume);
	const struct codec *leg = accepted ? accepted : consumed ? consumed : leg_codec(offered, options);
	/* consume CN: the offer's CN at the leg's clock, static 13 or dynamic (CN/48000 beside
	 * Opus), as 10.5; one at another clock (CN/16000 beside G.722) is not (its packets pass) */
	for (unsigned int i = 0; leg && i < offered->count && !state->cn_consumed; i++)
		for (unsigned int n = 0; n < options->consume.count && !state->cn_consumed; n++)
			if (!strcasecmp(offered->codecs[i].name, "CN") && offered->codecs[i].clock_rate == leg->clock_rate
			    && !codec_name_is_all(options->consume.names[n]) && codec_matches(&offered->codecs[i], options->consume.names[n])) {
				transcode_codec_copy(&state->consumed_cn, &offered->codecs[i]);
				state->cn_consumed = true;
			}
	bool inject = (options->inject_dtmf || state->inject_kept) && leg;
	if (options->inject_dtmf && answerer_media->monologue->peer)
		answerer_media->monologue->peer->inject_dtmf = true;   /* the offerer asked */
	bool forced = accepted || consumed || ((options->always_transcode || inject) && leg);
	const struct codec *offered_dtmf = NULL, *first_audio = NULL;
	for (unsigned int i = 0; i < offered->count; i++) {
		/* the offer's telephone-event as the answerer gets it (not stripped or consumed) */
		if (!strcasecmp(offered->codecs[i].name, "telephone-event") && !offered_dtmf
		    && transcode_formats_have(formats, offered->codecs[i].payload_type))
			offered_dtmf = &offered->codecs[i];
		if (!transcode_is_auxiliary(&offered->codecs[i]) && !first_audio)
			first_audio = &offered->codecs[i];
	}
	/* without a leg codec (an AMR-only offer: 10.5 cannot encode AMR either) the codecs are
	 * added all the same and the media pass untouched whatever the answerer picks, as 10.5 */
	unsigned int dtmf_clock = leg ? leg->clock_rate : first_audio ? first_audio->clock_rate : 0;
	/* offered codecs transcode puts back after strip/mask, each before the added codec it came
	 * before in the specs (added[before]) */
	struct brought_back {
		const struct codec *codec;
		unsigned int before;
	} back[CODEC_MAX];
	unsigned int back_count = 0;
	bool events_fresh = false;
	for (unsigned int n = 0; n < options->transcode.count && state->added_count + 2 <= G_N_ELEMENTS(state->added); n++) {
		const char *spec = options->transcode.names[n];
		if (names_events(spec) && !offered_dtmf && codec_keeps_removed_types(options)) {
			events_fresh = true;   /* after the codecs: add_fresh_events() */
			continue;
		}
		if (names_events(spec) && !offered_dtmf) {
			/* as 10.5: an offer without RFC 4733 gets it; the answerer's events and the
			 * offerer's in-band tones are translated (codec_chain.h) */
			bool duplicate = false;
			for (unsigned int a = 0; a < state->added_count; a++)
				duplicate |= !strcasecmp(state->added[a].name, "telephone-event");
			if (!duplicate)
				add_events_at_clocks(state, offered, formats, dtmf_clock ? dtmf_clock : 8000);
			continue;
		}
		if (names_cn(spec)) {
			add_cn_at_clock(state, offered, formats, dtmf_clock ? dtmf_clock : 8000);
			continue;
		}
		int index = addable_index(spec);
		if (list_has(offered, spec)) {
			/* as 10.5: an offered codec strip or mask removed and transcode names goes back
			 * in the order of the specs among the added ones, and brings events (and CN) at its
			 * clock like an added one (strip opus, transcode opus: opus 96, events/48000 97) */
			for (unsigned int i = 0; i < offered->count && back_count < CODEC_MAX; i++) {
				const struct codec *codec = &offered->codecs[i];
				bool known = false;
				for (unsigned int b = 0; b < back_count; b++)
					known |= back[b].codec == codec;
				if (!known && !transcode_is_auxiliary(codec) && codec_matches(codec, spec) && codec_removed_by(codec, options)
				    && transcode_formats_have(formats, codec->payload_type))
					back[back_count++] = (struct brought_back) { codec, state->added_count };
			}
			continue;
		}
		if (index < 0)
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
		/* the encoding name as the spec spells it ("pcma"), as 10.5 writes it */
		char spelled[32];
		size_t name_length = strcspn(spec, "/");
		g_strlcpy(spelled, spec, MIN(name_length + 1, sizeof(spelled)));
		add_codec(state, (unsigned int) pt, strcasecmp(spelled, addable[index].name) ? addable[index].name : spelled,
			  addable[index].clock, addable[index].channels, spec);
	}
	if (events_fresh) {
		unsigned int clocks[CODEC_MAX + MEDIA_TRANSCODE_ADDED * 2], clock_count = 0;
		if (leg)
			clocks[clock_count++] = leg->clock_rate;
		for (unsigned int b = 0; b < back_count; b++)
			clocks[clock_count++] = back[b].codec->clock_rate;
		for (unsigned int a = 0; a < state->added_count; a++)
			if (strcasecmp(state->added[a].name, "CN") && strcasecmp(state->added[a].name, "telephone-event"))
				clocks[clock_count++] = state->added[a].clock;
		add_fresh_events(state, offered, formats, clocks, clock_count);
	}
	/* as 10.5: the added codecs' comfort noise and events come after all the transcode specs
	 * (transcode [opus, CN] offers opus 96, CN 13, CN/48000 97, telephone-event/48000 98) */
	unsigned int specs_added = state->added_count;
	unsigned int new_clocks[CODEC_MAX + MEDIA_TRANSCODE_ADDED * 2], new_count = 0;
	for (unsigned int a = 0, b = 0; a <= specs_added; a++) {
		for (; b < back_count && back[b].before == a; b++)
			new_clocks[new_count++] = back[b].codec->clock_rate;
		if (a < specs_added && strcasecmp(state->added[a].name, "CN") && strcasecmp(state->added[a].name, "telephone-event"))
			new_clocks[new_count++] = state->added[a].clock;
	}
	for (unsigned int n = 0; n < new_count; n++) {
		unsigned int clock = new_clocks[n];
		/* as 10.5: comfort noise (RFC 3389) at the new clock too when the offer has CN or
		 * a CN was added */
		bool cn_offered = false;
		for (unsigned int i = 0; i < offered->count; i++)
			cn_offered |= !strcasecmp(offered->codecs[i].name, "CN") && transcode_formats_have(formats, offered->codecs[i].payload_type);
		for (unsigned int c = 0; c < state->added_count; c++)
			cn_offered |= !strcasecmp(state->added[c].name, "CN");
		if (cn_offered && state->added_count + 2 <= G_N_ELEMENTS(state->added))
			add_cn_at_clock(state, offered, formats, clock);
		/* RFC 4733 section 2.1: events use the audio's clock; one at the new clock if needed */
		bool dtmf_at_clock = false;
		for (unsigned int i = 0; i < offered->count; i++)
			dtmf_at_clock |= !strcasecmp(offered->codecs[i].name, "telephone-event")
				&& offered->codecs[i].clock_rate == clock;
		for (unsigned int c = 0; c < state->added_count; c++)
			dtmf_at_clock |= !strcasecmp(state->added[c].name, "telephone-event") && state->added[c].clock == clock;
		if (offered_dtmf && !dtmf_at_clock && state->added_count < G_N_ELEMENTS(state->added)) {
			unsigned int dtmf_pt = free_dynamic_type(offered, state);
			if (dtmf_pt)
				add_codec(state, dtmf_pt, "telephone-event", clock, 1, NULL);
		}
	}
	for (unsigned int a = 0; a < state->added_count; a++)
		state->offer_payload_types.bits[state->added[a].payload_type / 64] &= ~(1ULL << (state->added[a].payload_type % 64));
	/* as 10.5: once the offer engages the transcoder (a codec added, or ptime), the offer's
	 * codecs it cannot both decode and encode go, unless none of the offer's own would be left */
	bool strip = (state->added_count || state->repacketise) && has_kept_codec(offered, formats);
	bool stripped = false;
	if (strip)
		for (const char *cursor = formats; *cursor; cursor += strcspn(cursor, " "), cursor += *cursor == ' ')
			stripped |= !kept_when_transcoding(offered, (unsigned int) strtoul(cursor, NULL, 10));
	if (!state->added_count && !forced && !stripped)
		return 0;
	if (!leg && !state->added_count)
		return 0;   /* ptime alone on an offer without a codec we transcode: nothing to strip for */
	if (leg)
		leg_setup(state, offered, leg, inject, forced, accepted != NULL, consumed != NULL);
	if (!state->added_count && !stripped)
		return 0;   /* the offer goes out as negotiated; the answer is forced to the leg codec */
	/* as 10.5: the added codecs go before the offer's first telephone-event or CN */
	char audio[256], rest[256], added[256];
	audio[0] = rest[0] = added[0] = '\0';
	for (const char *cursor = formats; *cursor; ) {
		unsigned int pt = (unsigned int) strtoul(cursor, NULL, 10);
		if ((strip && !kept_when_transcoding(offered, pt)) || event_orphaned(offered, state, formats, pt)) {
			cursor += strcspn(cursor, " ");
			cursor += *cursor == ' ';
			continue;
		}
		bool auxiliary = false, put_back = false;
		for (unsigned int i = 0; i < offered->count; i++)
			if (offered->codecs[i].payload_type == pt)
				auxiliary = transcode_is_auxiliary(&offered->codecs[i]);
		for (unsigned int b = 0; b < back_count; b++)
			put_back |= back[b].codec->payload_type == pt;
		if (put_back) {   /* listed among the added ones below */
			cursor += strcspn(cursor, " ");
			cursor += *cursor == ' ';
			continue;
		}
		char *target = auxiliary || rest[0] ? rest : audio;
		size_t used = strlen(target);
		if (snprintf(target + used, sizeof(audio) - used, "%s%u", used ? " " : "", pt) >= (int) (sizeof(audio) - used))
			return -ENOSPC;
		cursor += strcspn(cursor, " ");
		cursor += *cursor == ' ';
	}
	for (unsigned int a = 0, b = 0; a <= state->added_count; a++) {
		for (; b < back_count && back[b].before == a; b++) {
			if (strip && !kept_when_transcoding(offered, back[b].codec->payload_type))
				continue;
			size_t used = strlen(added);
			snprintf(added + used, sizeof(added) - used, "%s%u", used ? " " : "", back[b].codec->payload_type);
		}
		if (a == state->added_count)
			break;
		size_t used = strlen(added);
		snprintf(added + used, sizeof(added) - used, "%s%u", used ? " " : "", state->added[a].payload_type);
		rtpmaps[a] = state->added[a].rtpmap;
	}
	rtpmaps[state->added_count] = NULL;
	int written = snprintf(formats, size, "%s%s%s%s%s", audio, audio[0] && added[0] ? " " : "", added,
			       (audio[0] || added[0]) && rest[0] ? " " : "", rest);
	if (written < 0 || (size_t) written >= size)
		return -ENOSPC;
	state->offered = leg != NULL;   /* without one the answer passes as plain negotiation */
	state->passed = leg == NULL;
	return 1;
}

void media_transcode_answer_flags(const struct codec_list *answered, const struct codec_options *options,
		struct media *answerer_media)
{
	struct media_transcode *state = answerer_media->transcode;
	if (!options->inject_dtmf && !(state && state->inject_kept))
		return;
	if (options->inject_dtmf)
		answerer_media->monologue->inject_dtmf = true;
	state = transcode_state_of(answerer_media);
	state->inject_kept = true;
	if (state->forced || state->offered) {
		state->inject = true;   /* the offer set the leg codec up: keep the chains */
		return;
	}
	/* the flag in the answer alone: the answerer's codec is the leg codec both sides speak
	 * (RFC 3264 section 6.1), with the answer's telephone-event at its clock */
	const struct codec *leg = NULL, *dtmf = NULL;
	for (unsigned int i = 0; i < answered->count && !leg; i++)
		if (transcodable(&answered->codecs[i]))
			leg = &answered->codecs[i];
	if (!leg)
		return;
	for (unsigned int i = 0; i < answered->count && !dtmf; i++)
		if (!strcasecmp(answered->codecs[i].name, "telephone-event") && answered->codecs[i].clock_rate == leg->clock_rate)
			dtmf = &answered->codecs[i];
	transcode_codec_copy(&state->leg, leg);
	state->leg_dtmf_set = dtmf != NULL;
	if (dtmf)
		transcode_codec_copy(&state->leg_dtmf, dtmf);
	state->offered = false;
	state->added_count = 0;
	state->forced = true;
	state->force_dtmf = false;
	state->inject = true;
}


/* The ptime a side receives on a transcoded call, as 10.5 sends it (measured against it): the
 * request's override (ptime towards the answerer, ptime-reverse towards the offerer), else the
 * side's own a=ptime, else (towards the answerer only) the offer's a=ptime it was given, else 0:
 * the output codec's usual one (G.723.1: 30 ms, the others 20). */
static unsigned int chain_ptime(unsigned int override, unsigned int own, unsigned int offered)
{
	if (override)
		return override;
	if (own > 0 && own <= 120)
		return own;
	return offered <= 120 ? offered : 0;
}

/* As 10.5 (measured): a packet of a payload type the chain does not decode (a telephone-event
 * type the other side answered differently, 101 offered and 102 answered; a codec neither SDP
 * names) is relayed untouched, in the chain's sequence numbers, instead of being dropped. */
static void pass_what_chain_does_not_decode(struct codec_chain_config *config)
{
	for (unsigned int pt = 0; pt < 128; pt++) {
		bool decoded = pt == config->input.payload_type || pt == 13   /* CN, RFC 3551: always decoded */
			|| (config->input_dtmf_pt >= 0 && pt == (unsigned int) config->input_dtmf_pt)
			|| (config->input_cn_pt && pt == config->input_cn_pt);
		for (unsigned int i = 0; i < config->alternate_count; i++)
			decoded |= pt == config->alternates[i].payload_type;
		if (!decoded)
			config->passthrough[pt / 64] |= 1ULL << (pt % 64);
	}
}

struct codec_chain *transcode_chain_between(const struct transcode_codec *in, const struct transcode_codec *in_dtmf,
		const struct transcode_codec *out, const struct transcode_codec *out_dtmf, int out_cn_pt, int in_cn_pt,
		unsigned int ptime_ms, int bit_rate, const struct shared_codecs *alternates,
		const struct shared_codecs *passthrough,
		const char **reason)
{
	struct codec_chain_config config = {
		.input = { .encoding = in->name, .clock_rate = in->clock, .channels = in->channels,
			   .payload_type = (uint8_t) in->payload_type, .fmtp = in->fmtp[0] ? in->fmtp : NULL },
		.output = { .encoding = out->name, .clock_rate = out->clock, .channels = out->channels,
			    .payload_type = (uint8_t) out->payload_type, .bit_rate = bit_rate,
			    .fmtp = out->fmtp[0] ? out->fmtp : NULL },
		.output_ptime_ms = ptime_ms,    /* 0: the output codec's usual one (G.723.1: 30 ms) */
		.input_dtmf_pt = in_dtmf ? (int) in_dtmf->payload_type : -1,
		/* one side without telephone-event: the chain translates to or from tones */
		.output_dtmf_pt = out_dtmf ? (int) out_dtmf->payload_type : -1,
		.input_dtmf_clock = in_dtmf ? in_dtmf->clock : 0,
		.output_dtmf_clock = out_dtmf ? out_dtmf->clock : 0,
		.reorder_depth = reorder_depth,
		.dtx_cn_level = dtx_cn_level,
		/* --silence-detect: only towards a side whose SDP has CN (as 10.5) */
		.output_cn_pt = out_cn_pt,
		/* a dynamic CN the sender may use at its codec's clock (13 is always decoded) */
		.input_cn_pt = in_cn_pt > 0 && in_cn_pt != 13 && in_cn_pt < 128 ? (uint8_t) in_cn_pt : 0,
		.silence_threshold = out_cn_pt >= 0 ? silence_threshold : 0,
		.cn_payload = cn_payload,
		.cn_payload_length = cn_payload_length,
	};
	for (unsigned int i = 0; alternates && i < alternates->count && i < CODEC_CHAIN_MAX_ALTERNATES; i++) {
		const struct transcode_codec *codec = &alternates->codecs[i];
		config.alternates[config.alternate_count++] = (struct codec_chain_format) {
			.encoding = codec->name, .clock_rate = codec->clock, .channels = codec->channels,
			.payload_type = (uint8_t) codec->payload_type, .fmtp = codec->fmtp[0] ? codec->fmtp : NULL };
	}
	for (unsigned int i = 0; passthrough && i < passthrough->count; i++)
		config.passthrough[passthrough->codecs[i].payload_type / 64] |= 1ULL << (passthrough->codecs[i].payload_type % 64);
	pass_what_chain_does_not_decode(&config);
	struct codec_chain *chain = codec_chain_new(&config, reason);
	if (!chain && (ptime_ms || bit_rate)) {
		/* an encoder that cannot do that ptime (Opus 30 ms) or bit rate (G.723.1 5.3k):
		 * its usual ones rather than no media at all */
		config.output_ptime_ms = 0;
		config.output.bit_rate = 0;
		chain = codec_chain_new(&config, reason);
	}
	return chain;
}

static bool list_has_payload_type(const struct codec_list *list, unsigned int payload_type)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (list->codecs[i].payload_type == payload_type)
			return true;
	return false;
}

/* Whether the answer has the payload type as the codec we mean (an answer that redefines an
 * offered payload type, e.g. its clock, gets the offer's definition back, as 10.5 writes it). */
static bool list_has_codec(const struct codec_list *list, const struct transcode_codec *codec)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (list->codecs[i].payload_type == codec->payload_type)
			return !strcasecmp(list->codecs[i].name, codec->name) && list->codecs[i].clock_rate == codec->clock;
	return false;
}

/* The offerer's answer: the leg codec and its telephone-event (when given). A payload type the
 * answer has keeps the answer's own rtpmap and fmtp lines (it is the offer's, RFC 3264 section
 * 6.1), except the leg's telephone-event (the offer's, below); the others get ours. Returns 1. */
static int answer_leg_only(struct media_transcode *state, const struct codec_list *answered,
		const struct transcode_codec *leg_dtmf, const struct shared_codecs *shared,
		const struct shared_codecs *events, char *formats, size_t size, const char **rtpmaps)
{
	size_t used = (size_t) snprintf(formats, size, "%u", state->leg.payload_type);
	for (unsigned int i = 0; shared && i < shared->count && used < size; i++)
		used += (size_t) snprintf(formats + used, size - used, " %u", shared->codecs[i].payload_type);
	/* always-transcode: the leg's CN before the events, unless the answer's CN is among them */
	/* ... and when the answerer took CN at its codec's clock (as 10.5: its CN is decoded, the
	 * offerer's CN goes towards it as noise or CN) */
	bool cn_listed = !state->leg_cn_set || !(state->force_dtmf || state->peer_cn_taken);
	for (unsigned int i = 0; events && i < events->count; i++)
		cn_listed |= events->codecs[i].payload_type == state->leg_cn.payload_type;
	if (!cn_listed && used < size)
		used += (size_t) snprintf(formats + used, size - used, " %u", state->leg_cn.payload_type);
	bool dtmf_listed = false;
	for (unsigned int i = 0; events && i < events->count && used < size; i++) {
		used += (size_t) snprintf(formats + used, size - used, " %u", events->codecs[i].payload_type);
		dtmf_listed |= leg_dtmf && events->codecs[i].payload_type == leg_dtmf->payload_type;
	}
	if (leg_dtmf && !dtmf_listed && used < size)
		snprintf(formats + used, size - used, " %u", leg_dtmf->payload_type);
	unsigned int count = 0;
	if (!list_has_codec(answered, &state->leg)) {
		g_strlcpy(state->answer_rtpmaps[count], state->leg.rtpmap, sizeof(state->answer_rtpmaps[0]));
		rtpmaps[count] = state->answer_rtpmaps[count];
		count++;
	}
	if (!cn_listed && !list_has_codec(answered, &state->leg_cn)) {
		g_strlcpy(state->answer_rtpmaps[count], state->leg_cn.rtpmap, sizeof(state->answer_rtpmaps[0]));
		rtpmaps[count] = state->answer_rtpmaps[count];
		count++;
	}
	/* the leg's telephone-event always with the offer's own lines: as 10.5 (measured), the
	 * offerer's fmtp (0-16, or none) whatever the answerer's says (0-15) */
	if (leg_dtmf) {
		g_strlcpy(state->answer_rtpmaps[count], leg_dtmf->rtpmap, sizeof(state->answer_rtpmaps[0]));
		rtpmaps[count] = state->answer_rtpmaps[count];
		count++;
	}
	rtpmaps[count] = NULL;
	return 1;
}

/* Plain negotiation: the offerer's answer leaves out the codecs we added to the offer (the
 * offerer never offered them, codec_answer_taken()), as 10.5 does; `leg` (NULL: none) is listed
 * after the answer's audio codecs when not among them (10.5 does so when the answerer took an
 * added codec beside one of the offerer's). Returns 1 with the payload types in `formats` (the leg's rtpmap in
 * rtpmaps when the answer lacks it) when one was left out, else 0 (the answer passes). */
static int answer_without_added(struct media_transcode *state, const struct media *answerer_media,
		const struct codec_list *answered, const struct transcode_codec *leg, char *formats, size_t size,
		const char **rtpmaps)
{
	struct codec_payload_set added;
	media_transcode_added_payload_types(answerer_media, &added);
	struct codec_answer_taken taken;
	codec_answer_taken(answered, &answerer_media->offered_payload_types, &added, &taken);
	if (!taken.left_out || !taken.count)
		return 0;
	size_t used = 0;
	bool leg_listed = !leg;
	formats[0] = '\0';
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < taken.count && used < size; i++) {
			const struct codec *codec = &answered->codecs[taken.indexes[i]];
			if (transcode_is_auxiliary(codec) != (pass == 1))
				continue;
			leg_listed |= leg && codec->payload_type == leg->payload_type;
			used += (size_t) snprintf(formats + used, size - used, used ? " %u" : "%u", codec->payload_type);
		}
		if (pass == 0 && !leg_listed && used < size)   /* as 10.5: before the events */
			used += (size_t) snprintf(formats + used, size - used, used ? " %u" : "%u", leg->payload_type);
	}
	if (used >= size)
		return 0;
	rtpmaps[0] = NULL;
	if (!leg_listed && !list_has_codec(answered, leg)) {
		g_strlcpy(state->answer_rtpmaps[0], leg->rtpmap, sizeof(state->answer_rtpmaps[0]));
		rtpmaps[0] = state->answer_rtpmaps[0];
		rtpmaps[1] = NULL;
	}
	return 1;
}

void transcode_stage(struct media *media, struct codec_chain *chain)
{
	struct media_transcode *state = transcode_state_of(media);
	if (state->staged_set)
		codec_chain_free(state->staged);
	state->staged = chain;
	state->staged_set = true;
	state->staged_dtmf_tones = false;
	state->staged_noted = false;   /* an answer notes its chains after staging them */
}

/* Whether codec is a CN we added to the offer (static 13, or dynamic at another clock: CN/48000
 * beside Opus): the offerer never offered it, so the answerer's CN packets reach it decoded as
 * noise (as 10.5, measured for both). */
static bool added_cn_taken(const struct media_transcode *state, const struct codec *codec)
{
	if (strcasecmp(codec->name, "CN") || codec_payload_set_has(&state->offer_payload_types, codec->payload_type))
		return false;
	for (unsigned int a = 0; a < state->added_count; a++)
		if (state->added[a].payload_type == codec->payload_type && !strcasecmp(state->added[a].name, "CN"))
			return true;
	return false;
}

/* ptime / ptime-reverse without another codec: the chosen codec into itself in the ptime each
 * side gets; the answer's other payload types (another codec, CN) pass untouched, its
 * telephone-event at the codec's clock is mapped like any. inject-DTMF alone wants only the
 * chain towards the side that asked for it (to_answerer, to_offerer, -1); the other way passes. */
static void repacketise_chosen(struct media_transcode *state, const struct codec_list *answered,
		unsigned int answer_ptime_ms, const struct codec *chosen, struct media *answerer_media,
		struct media *offerer_media, bool to_answerer, bool to_offerer, int cn_pt_to_answerer, int cn_pt_from_offerer)
{
	struct transcode_codec codec, dtmf;
	transcode_codec_copy(&codec, chosen);
	bool dtmf_set = false;
	struct shared_codecs passthrough = { .count = 0 };
	for (unsigned int i = 0; i < answered->count; i++) {
		const struct codec *other = &answered->codecs[i];
		if (other == chosen || added_cn_taken(state, other))
			continue;   /* our CN is decoded (media_transcode_answer()) */
		if (!dtmf_set && !strcasecmp(other->name, "telephone-event") && other->clock_rate == codec.clock) {
			transcode_codec_copy(&dtmf, other);
			dtmf_set = true;
		} else if (passthrough.count < CODEC_CHAIN_MAX_ALTERNATES) {
			transcode_codec_copy(&passthrough.codecs[passthrough.count++], other);
		}
	}
	unsigned int offer_ptime = (unsigned int) strtoul(offerer_media->offer_ptime, NULL, 10);
	const char *reason = NULL;
	/* consume CN: the offerer's other payload types (its CN at another clock) pass as without
	 * the chain; only the codec, its events and the consumed CN go through it */
	struct shared_codecs forward_passthrough = passthrough;
	if (cn_pt_from_offerer >= 0)
		for (unsigned int pt = 0; pt < 128 && forward_passthrough.count < SHARED_CODECS_MAX; pt++)
			if (pt != codec.payload_type && pt != (unsigned int) cn_pt_from_offerer && pt != 13
			    && codec_payload_set_has(&state->offer_payload_types, pt) && !(dtmf_set && pt == dtmf.payload_type))
				forward_passthrough.codecs[forward_passthrough.count++] = (struct transcode_codec) { .payload_type = pt };
	struct codec_chain *forward = transcode_chain_between(&codec, dtmf_set ? &dtmf : NULL, &codec, dtmf_set ? &dtmf : NULL,
						    cn_pt_to_answerer, cn_pt_from_offerer,
						    chain_ptime(state->ptime_to_answerer, answer_ptime_ms, offer_ptime),
						    transcode_bit_rate(state, &codec), NULL, &forward_passthrough, &reason);
	struct codec_chain *backward = forward ? transcode_chain_between(&codec, dtmf_set ? &dtmf : NULL, &codec,
							       dtmf_set ? &dtmf : NULL, -1, cn_pt_to_answerer,
							       chain_ptime(state->ptime_to_offerer, offer_ptime, 0),
							       transcode_bit_rate(state, &codec), NULL, &passthrough,
							       &reason) : NULL;
	if (!forward || !backward) {
		codec_chain_free(forward);
		log_call(LOG_WARNING, offerer_media->monologue->call->call_id, "media %u not repacketised: %s",
			 offerer_media->index, reason ? reason : "unknown");
		transcode_stage(answerer_media, NULL);
		transcode_stage(offerer_media, NULL);
		return;
	}
	if (!to_answerer) {
		codec_chain_free(forward);
		forward = NULL;
	}
	if (!to_offerer) {
		codec_chain_free(backward);
		backward = NULL;
	}
	transcode_stage(offerer_media, forward);
	transcode_stage(answerer_media, backward);
	if (!forward || !backward) {
		log_call(LOG_INFO, offerer_media->monologue->call->call_id,
			 "media %u: inject-DTMF chain towards the %s only (%s/%u)", offerer_media->index,
			 forward ? "answerer" : "offerer", codec.name, codec.clock);
		return;
	}
	log_call(LOG_INFO, offerer_media->monologue->call->call_id,
		 "media %u repacketised: %s/%u, %u/%u ms frames towards offerer/answerer", offerer_media->index,
		 codec.name, codec.clock, codec_chain_frame_us(backward) / 1000, codec_chain_frame_us(forward) / 1000);
}

/* The answerer took a codec of the offer and also accepted one we added (gh 664, gh 953): the
 * offerer's answer leaves the added one out and lists the leg codec too (answer_without_added()),
 * while the answerer's packets in the added codec are transcoded to the codec it took and the
 * rest of the answer passes, one stream towards the offerer, as 10.5 (measured: offer "8 0" with
 * G.722 added answered "0 9" gives "0 8", and its G.722 reaches the offerer as PCMU). The
 * offerer's packets pass untouched. Returns whether an added codec was taken. */
static bool decode_added_towards_offerer(struct media_transcode *state, const struct codec_list *answered,
		const struct codec *chosen, struct media *answerer_media, struct media *offerer_media)
{
	const struct transcode_codec *added = NULL;
	for (unsigned int a = 0; a < state->added_count && !added; a++)
		if (strcasecmp(state->added[a].name, "telephone-event") && list_has_codec(answered, &state->added[a]))
			added = &state->added[a];
	if (!added)
		return false;
	struct transcode_codec out;
	transcode_codec_copy(&out, chosen);
	struct shared_codecs passthrough = { .count = 0 };
	for (unsigned int i = 0; i < answered->count && passthrough.count < SHARED_CODECS_MAX; i++)
		if (answered->codecs[i].payload_type != added->payload_type)
			transcode_codec_copy(&passthrough.codecs[passthrough.count++], &answered->codecs[i]);
	const char *reason = NULL;
	struct codec_chain *backward = transcode_chain_between(added, NULL, &out, NULL, -1, -1, 0, transcode_bit_rate(state, &out),
						     NULL, &passthrough, &reason);
	if (!backward) {
		log_call(LOG_WARNING, offerer_media->monologue->call->call_id, "media %u: %s/%u not transcoded: %s",
			 offerer_media->index, added->name, added->clock, reason ? reason : "unknown");
		return true;
	}
	transcode_stage(answerer_media, backward);
	log_call(LOG_INFO, offerer_media->monologue->call->call_id, "media %u: the answerer's %s/%u transcoded to %s/%u",
		 offerer_media->index, added->name, added->clock, out.name, out.clock);
	return true;
}

int media_transcode_answer(const struct codec_list *answered, unsigned int answer_ptime_ms,
		struct media *answerer_media, struct media *offerer_media, char *formats, size_t size,
		const char **rtpmaps)
{
	struct media_transcode *state = answerer_media->transcode;
	rtpmaps[0] = NULL;
	if (!state || (!state->offered && !state->forced && !state->repacketise && !state->cn_consumed)) {
		if (answerer_media->streams[STREAM_RTP].extras->transcode) {
			transcode_stage(answerer_media, NULL);
			transcode_stage(offerer_media, NULL);
		}
		return 0;
	}
	state->offered = false;
	state->peer_cn_taken = false;
	bool forced = state->forced, repacketise = state->repacketise;
	state->forced = false;
	state->repacketise = false;
	const struct codec *chosen = NULL;
	for (unsigned int i = 0; i < answered->count && !chosen; i++)
		if (!transcode_is_auxiliary(&answered->codecs[i]))
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
			transcode_codec_copy(&answered_codec, chosen);
			peer = &answered_codec;
		}
	}
	/* inject-DTMF: another codec of the offer than the leg's is answered as negotiated too
	 * (10.5: an offer of PCMU, PCMA answered PCMA, PCMU) */
	bool inject_offered = state->inject && !state->added_count && chosen && !same_as_leg
		&& codec_payload_set_has(&state->offer_payload_types, chosen->payload_type) && transcodable(chosen);
	if ((same_as_leg || inject_offered) && state->inject && !state->added_count) {
		/* inject-DTMF (as 10.5): the answer goes out as negotiated, the leg codec is still
		 * decoded and encoded towards each side that asked for the flag, so that play DTMF
		 * can put events or tones into that stream (codec_chain_inject_dtmf()); the answer's
		 * other codecs pass untouched (a sender may switch mid-call, RFC 3264 section 6.1) */
		bool to_answerer = answerer_media->monologue->inject_dtmf;
		bool to_offerer = offerer_media->monologue->inject_dtmf;
		if (!to_answerer && !to_offerer)
			to_answerer = to_offerer = true;   /* kept from an earlier message of the call */
		repacketise_chosen(state, answered, answer_ptime_ms, chosen, answerer_media, offerer_media,
				   to_answerer, to_offerer, -1, -1);
		return 0;
	}
	if (same_as_leg && state->inject) {
		/* inject-DTMF with a codec added: one codec both ways, decoded and encoded */
		transcode_codec_copy(&answered_codec, chosen);
		peer = &answered_codec;
		same_as_leg = false;
	}
	if (same_as_leg) {
		transcode_stage(answerer_media, NULL);
		transcode_stage(offerer_media, NULL);
		bool dtmf = state->leg_dtmf_set;
		if (dtmf && !state->force_dtmf) {
			dtmf = false;
			for (unsigned int i = 0; i < answered->count; i++)
				dtmf |= answered->codecs[i].payload_type == state->leg_dtmf.payload_type;
		}
		return answer_leg_only(state, answered, dtmf ? &state->leg_dtmf : NULL, NULL, NULL, formats, size, rtpmaps);
	}
	if (!peer && repacketise && chosen && transcodable(chosen)) {
		/* the answerer took a codec of the offer and the offer asked for a ptime: plain
		 * negotiation, but the codec goes through a chain each way (as 10.5) */
		repacketise_chosen(state, answered, answer_ptime_ms, chosen, answerer_media, offerer_media, true, true, -1, -1);
		return 0;
	}
	bool dtmf_added_accepted = false;
	for (unsigned int a = 0; a < state->added_count; a++)
		if (!strcasecmp(state->added[a].name, "telephone-event"))
			dtmf_added_accepted |= list_has_payload_type(answered, state->added[a].payload_type);
	if (!peer && dtmf_added_accepted && chosen && transcodable(chosen)) {
		/* as 10.5: the answerer took a codec of the offer and the telephone-event added for
		 * the offerer, which has none: the offerer's in-band tones become events and the
		 * answerer's events tones (codec_chain.h), whatever codec of the answer it sends */
		transcode_codec_copy(&answered_codec, chosen);
		peer = &answered_codec;
		/* one of the offerer's own at another clock than the leg's (Opus with the event
		 * added at 48 kHz): that codec both ways, only the events translated, as 10.5 */
		if (codec_payload_set_has(&state->offer_payload_types, chosen->payload_type)
		    && chosen->clock_rate != state->leg.clock)
			transcode_codec_copy(&state->leg, chosen);
	}
	int cn_taken = -1;   /* the payload type of our CN the answerer took at its codec's clock */
	for (unsigned int i = 0; chosen && i < answered->count && cn_taken < 0; i++)
		if (added_cn_taken(state, &answered->codecs[i]) && answered->codecs[i].clock_rate == chosen->clock_rate)
			cn_taken = (int) answered->codecs[i].payload_type;
	if (!peer && cn_taken >= 0 && transcodable(chosen)) {
		/* transcode CN taken by the answerer: its CN packets become the offerer's codec
		 * (noise at their level, RFC 3389 section 3), its audio passes through the same chain;
		 * with --silence-detect the offerer's silent frames go to the answerer as CN (as 10.5),
		 * else its audio passes untouched */
		repacketise_chosen(state, answered, answer_ptime_ms, chosen, answerer_media, offerer_media,
				   silence_threshold != 0, true, cn_taken, -1);
		/* as 10.5: the offerer's answer describes its own codec with the offer's a=fmtp
		 * when the answer gave none (opus "useinbandfec=1" beside an added CN/48000) */
		if (chosen->payload_type == state->leg.payload_type && !chosen->format_parameters && state->leg.fmtp[0]) {
			g_strlcpy(state->answer_rtpmaps[0], state->leg.rtpmap, sizeof(state->answer_rtpmaps[0]));
			rtpmaps[0] = state->answer_rtpmaps[0];
			rtpmaps[1] = NULL;
		}
		return 0;
	}
	if (!peer && state->cn_consumed && transcodable(chosen) && chosen->clock_rate == state->consumed_cn.clock) {
		/* consume CN: the offerer's CN packets reach the answerer decoded into its codec */
		repacketise_chosen(state, answered, answer_ptime_ms, chosen, answerer_media, offerer_media, true, false, -1,
				   (int) state->consumed_cn.payload_type);
		return 0;
	}
	if (!peer) {
		/* the answerer took a codec of the offer: plain negotiation, no chains */
		transcode_stage(answerer_media, NULL);
		transcode_stage(offerer_media, NULL);
		bool added_taken = chosen && transcodable(chosen)
			&& decode_added_towards_offerer(state, answered, chosen, answerer_media, offerer_media);
		return answer_without_added(state, answerer_media, answered, added_taken && state->leg.name[0] ? &state->leg : NULL,
					    formats, size, rtpmaps);
	}
	/* the answer's telephone-event at the answerer's codec's clock, if any */
	struct transcode_codec peer_dtmf;
	bool peer_dtmf_set = false;
	for (unsigned int i = 0; i < answered->count && !peer_dtmf_set; i++) {
		const struct codec *codec = &answered->codecs[i];
		/* RFC 3264 section 6.1: only a payload type the answerer was offered */
		bool was_offered = !answerer_media->offered_payload_types_known
			|| codec_payload_set_has(&answerer_media->offered_payload_types, codec->payload_type);
		if (!strcasecmp(codec->name, "telephone-event") && codec->clock_rate == peer->clock && was_offered) {
			transcode_codec_copy(&peer_dtmf, codec);
			peer_dtmf_set = true;
		}
	}
	/* the leg's telephone-event when the answerer has one (events are mapped); always-transcode
	 * keeps it regardless, as 10.5 (without the answerer's, events from the offerer are dropped:
	 * no in-band tones are generated) */
	/* as 10.5: the answer's other codecs that the offer had too go into the offerer's answer, in
	 * the answer's order (not with codec-accept / always-transcode, which hold the offerer to
	 * the leg codec). At the leg's clock the offerer's packets in them are decoded like the leg
	 * codec's; at another clock (Opus beside G.722) they pass untouched both ways. */
	struct shared_codecs shared = { .count = 0 }, alternates = { .count = 0 }, passthrough = { .count = 0 };
	for (unsigned int i = 0; !forced && i < answered->count && shared.count < SHARED_CODECS_MAX; i++) {
		const struct codec *codec = &answered->codecs[i];
		bool added = false;
		for (unsigned int a = 0; a < state->added_count; a++)
			added |= state->added[a].payload_type == codec->payload_type;
		bool same_clock = codec->clock_rate == state->leg.clock;
		if (codec == chosen || transcode_is_auxiliary(codec) || added || codec->payload_type == state->leg.payload_type
		    || !codec_payload_set_has(&state->offer_payload_types, codec->payload_type)
		    || (same_clock && (!codec_chain_supports(codec->name, false) || alternates.count >= CODEC_CHAIN_MAX_ALTERNATES)))
			continue;
		transcode_codec_copy(&shared.codecs[shared.count++], codec);
		if (same_clock)
			alternates.codecs[alternates.count++] = shared.codecs[shared.count - 1];
	}
	/* ... and so does the offer's telephone-event when the answer has it at the same clock
	 * beside such a codec: the answerer's events pass untouched, the offerer's become tones */
	bool shared_dtmf = false;
	for (unsigned int i = 0; alternates.count && state->leg_dtmf_set && !peer_dtmf_set && i < answered->count; i++)
		shared_dtmf |= answered->codecs[i].payload_type == state->leg_dtmf.payload_type
			&& answered->codecs[i].clock_rate == state->leg_dtmf.clock
			&& !strcasecmp(answered->codecs[i].name, "telephone-event");
	const struct transcode_codec *leg_dtmf = state->leg_dtmf_set && (peer_dtmf_set || state->force_dtmf || shared_dtmf)
		? &state->leg_dtmf : NULL;
	/* the answer's telephone-events and CN the offer had too, at the clock of a codec the
	 * offerer's answer lists, in the answer's order (as 10.5: 8000 beside G.722, 48000 beside Opus); the
	 * one the answerer's codec uses comes last, as the offerer's leg event */
	struct shared_codecs events = { .count = 0 };
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < answered->count && events.count < SHARED_CODECS_MAX; i++) {
			const struct codec *codec = &answered->codecs[i];
			bool is_peer_dtmf = peer_dtmf_set && codec->payload_type == peer_dtmf.payload_type;
			if (!transcode_is_auxiliary(codec) || is_peer_dtmf != (pass == 1)
			    || !codec_payload_set_has(&state->offer_payload_types, codec->payload_type)
			    || (answerer_media->offered_payload_types_known
				&& !codec_payload_set_has(&answerer_media->offered_payload_types, codec->payload_type)))
				continue;
			bool clock_listed = codec->clock_rate == state->leg.clock;
			for (unsigned int c = 0; c < shared.count; c++)
				clock_listed |= shared.codecs[c].clock == codec->clock_rate;
			bool is_leg_dtmf = leg_dtmf && codec->payload_type == leg_dtmf->payload_type;
			if (!clock_listed || (is_peer_dtmf && !is_leg_dtmf && !shared.count))
				continue;
			transcode_codec_copy(&events.codecs[events.count++], codec);
			/* events beside the passing codecs pass too (the leg's own are the chains') */
			if (!is_leg_dtmf && !is_peer_dtmf && passthrough.count < SHARED_CODECS_MAX)
				passthrough.codecs[passthrough.count++] = events.codecs[events.count - 1];
		}
	}
	for (unsigned int i = 0; i < shared.count && passthrough.count < SHARED_CODECS_MAX; i++)
		passthrough.codecs[passthrough.count++] = shared.codecs[i];
	if (shared_dtmf && passthrough.count < SHARED_CODECS_MAX)
		passthrough.codecs[passthrough.count++] = state->leg_dtmf;
	/* the offerer's packets: the leg's clock decoded, others untouched */
	struct shared_codecs forward_passthrough = { .count = 0 };
	for (unsigned int i = 0; i < passthrough.count; i++) {
		const struct transcode_codec *codec = &passthrough.codecs[i];
		bool alternate = false;
		for (unsigned int a = 0; a < alternates.count; a++)
			alternate |= alternates.codecs[a].payload_type == codec->payload_type;
		if (!alternate && !(shared_dtmf && codec->payload_type == state->leg_dtmf.payload_type))
			forward_passthrough.codecs[forward_passthrough.count++] = *codec;
	}
	unsigned int offer_ptime = (unsigned int) strtoul(offerer_media->offer_ptime, NULL, 10);
	/* as 10.5: the transcode spec's ptime (opus/48000/2/32000/40) for the codec we added */
	unsigned int to_answerer = chain_ptime(state->ptime_to_answerer ? state->ptime_to_answerer : peer->ptime,
					       answer_ptime_ms, offer_ptime);
	unsigned int to_offerer = chain_ptime(state->ptime_to_offerer, offer_ptime, 0);
	/* the answerer's CN at its codec's clock: --silence-detect sends CN towards it */
	int peer_cn_pt = -1;
	for (unsigned int i = 0; i < answered->count && peer_cn_pt < 0; i++)
		if (!strcasecmp(answered->codecs[i].name, "CN") && answered->codecs[i].clock_rate == peer->clock)
			peer_cn_pt = (int) answered->codecs[i].payload_type;
	state->peer_cn_taken = peer_cn_pt >= 0;
	const char *reason = NULL;
	struct codec_chain *forward = transcode_chain_between(&state->leg, leg_dtmf, peer, peer_dtmf_set ? &peer_dtmf : NULL,
						    peer_cn_pt, -1, to_answerer, transcode_bit_rate(state, peer), &alternates,
						    &forward_passthrough, &reason);
	struct codec_chain *backward = forward ? transcode_chain_between(peer, peer_dtmf_set ? &peer_dtmf : NULL, &state->leg,
							       leg_dtmf, -1, peer_cn_pt, to_offerer, transcode_bit_rate(state, &state->leg),
							       NULL, &passthrough, &reason) : NULL;
	if (!forward || !backward) {
		codec_chain_free(forward);
		log_call(LOG_ERR, offerer_media->monologue->call->call_id, "transcoding media %u not set up: %s",
			 offerer_media->index, reason ? reason : "unknown");
		return -ENOTSUP;
	}
	transcode_stage(offerer_media, forward);    /* the offerer sends the leg codec */
	transcode_stage(answerer_media, backward);  /* the answerer sends its codec */
	transcode_note_chain(offerer_media, &state->leg, leg_dtmf, peer, peer_dtmf_set ? &peer_dtmf : NULL, peer_cn_pt, -1,
			     to_answerer, transcode_bit_rate(state, peer), &alternates, &forward_passthrough);
	transcode_note_chain(answerer_media, peer, peer_dtmf_set ? &peer_dtmf : NULL, &state->leg, leg_dtmf, -1, peer_cn_pt,
			     to_offerer, transcode_bit_rate(state, &state->leg), NULL, &passthrough);
	answer_leg_only(state, answered, leg_dtmf, &shared, &events, formats, size, rtpmaps);
	log_call(LOG_INFO, offerer_media->monologue->call->call_id,
		 "media %u transcoded: %s/%u <-> %s/%u, %u/%u ms frames towards offerer/answerer",
		 offerer_media->index, state->leg.name, state->leg.clock, peer->name, peer->clock,
		 codec_chain_frame_us(backward) / 1000, codec_chain_frame_us(forward) / 1000);
	return 1;
}

int media_transcode_stage_dtmf_tones(struct media *media, bool on, const char **reason)
{
	struct media_transcode *state = media->transcode;
	bool ours = state && state->dtmf_tones;
	if (!on) {
		if (!ours)
			return 0;
		transcode_stage(media, NULL);
		return 1;
	}
	/* a transcoded media's own chain plays them (codec_chain_play_events_as_tones()) */
	if (ours || !media->dtmf_audio_known || media->rejected || media->streams[STREAM_RTP].extras->transcode)
		return 0;
	const char *encoding = media->dtmf_audio_alaw ? "PCMA" : "PCMU";
	struct codec_chain_config config = {
		.input = { .encoding = encoding, .clock_rate = 8000, .payload_type = media->dtmf_audio_type },
		.output = { .encoding = encoding, .clock_rate = 8000, .payload_type = media->dtmf_audio_type },
		/* events in and out: passed on until codec_chain_play_events_as_tones() (set from
		 * media->dtmf_as_tones at publish, or by a trigger on the packet path) */
		.input_dtmf_pt = media->dtmf_event_type,
		.output_dtmf_pt = media->dtmf_event_type,
		.reorder_depth = reorder_depth,
		.dtx_cn_level = dtx_cn_level,
		.output_cn_pt = -1,
	};
	/* every other payload type (the other G.711, CN, other codecs) passes untouched */
	config.passthrough[0] = config.passthrough[1] = ~0ULL;
	for (unsigned int pt = 0; pt < 128; pt++)
		if (pt == media->dtmf_audio_type || pt == media->dtmf_event_type)
			config.passthrough[pt / 64] &= ~(1ULL << (pt % 64));
	struct codec_chain *chain = codec_chain_new(&config, reason);
	if (!chain)
		return -ENOTSUP;
	transcode_stage(media, chain);
	transcode_state_of(media)->staged_dtmf_tones = true;
	return 1;
}

void media_transcode_discard_staged(struct media *media)
{
	struct media_transcode *state = media->transcode;
	if (!state || !state->staged_set)
		return;
	codec_chain_free(state->staged);
	state->staged = NULL;
	state->staged_set = state->staged_dtmf_tones = state->staged_noted = false;
}

void media_transcode_publish(struct media *media)
{
	struct media_transcode *state = media->transcode;
	if (!state || !state->staged_set)
		return;
	struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	state->replaced = extras->transcode;
	extras->transcode = state->staged;
	/* a re-INVITE keeps the stream's output SSRCs, as 10.5 (a copy of a few words) */
	if (extras->transcode && state->replaced)
		codec_chain_keep_ssrcs(extras->transcode, state->replaced);
	state->staged = NULL;
	state->staged_set = false;
	state->dtmf_tones = state->staged_dtmf_tones;
	state->chain_noted = state->staged_noted;   /* what Redis writes (media_transcode_chain_save()) */
	if (state->chain_noted)
		state->chain_note = state->staged_note;
	/* block DTMF's audio modes hold for a chain a later negotiation builds too */
	if (extras->transcode)
		codec_chain_play_events_as_tones(extras->transcode, media->dtmf_as_tones);
}

bool media_transcode_ptime_forced(const struct media *answerer_media)
{
	return answerer_media->transcode && answerer_media->transcode->ptime_to_answerer;
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
