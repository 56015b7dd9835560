/* Codec model and negotiation without transcoding; see codec.h. The rules were observed from
 * rtpengine 10.5 (tests/e2e/test_codecs.py runs the same requests against it). */
#include "codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "sdp.h"

/* ---- static helpers ---------------------------------------------------------------------- */

/* "<pt> <rest>": the payload type of an rtpmap or fmtp value; -1 if malformed. */
static int payload_prefix(const char *value, const char **rest)
{
	if (!value)
		return -1;
	unsigned int pt = 0;
	size_t digits = 0;
	while (value[digits] >= '0' && value[digits] <= '9' && digits < 3)
		pt = pt * 10 + (unsigned int) (value[digits++] - '0');
	if (!digits || pt >= CODEC_PAYLOAD_TYPES || value[digits] != ' ' || !value[digits + 1])
		return -1;
	*rest = value + digits + 1;
	return (int) pt;
}

/* strtoul(text, end, 10), by hand for up to 9 plain digits (every clock rate and channel
 * count): glibc's costs ~150 instructions a number, four numbers per call in the ng cycle
 * bench. Anything else (a sign, more digits) goes to strtoul as before. */
static unsigned long parse_decimal(const char *text, char **end)
{
	unsigned long value = 0;
	size_t digits = 0;
	while (text[digits] >= '0' && text[digits] <= '9' && digits < 9)
		value = value * 10 + (unsigned long) (text[digits++] - '0');
	if (!digits || (text[digits] >= '0' && text[digits] <= '9'))
		return strtoul(text, end, 10);
	*end = (char *) text + digits;
	return value;
}

/* "name/clock[/channels]" into the codec; false if it does not parse. */
static bool parse_encoding(const char *text, struct codec *codec)
{
	const char *slash = strchr(text, '/');
	if (!slash || slash == text || (size_t) (slash - text) >= sizeof(codec->name) || strchr(text, ' '))
		return false;
	char *end;
	unsigned long clock = parse_decimal(slash + 1, &end);
	if (end == slash + 1 || (*end && *end != '/'))
		return false;
	unsigned long channels = 1;
	if (*end == '/') {
		const char *start = end + 1;
		channels = parse_decimal(start, &end);
		if (end == start || *end)
			return false;
	}
	memcpy(codec->name, text, (size_t) (slash - text));
	codec->name[slash - text] = '\0';
	codec->clock_rate = (unsigned int) clock;
	codec->channels = (unsigned int) channels;
	return true;
}

static struct codec *find_payload_type(struct codec_list *list, unsigned int payload_type)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (list->codecs[i].payload_type == payload_type)
			return &list->codecs[i];
	return NULL;
}

static bool matches_any(const struct codec *codec, const struct codec_names *names)
{
	for (unsigned int i = 0; i < names->count; i++)
		if (codec_matches(codec, names->names[i]))
			return true;
	return false;
}

/* A strip/mask/consume list names the codec; "full" is "all" there (10.5) */
static bool removal_matches(const struct codec *codec, const struct codec_names *names)
{
	for (unsigned int i = 0; i < names->count; i++)
		if (codec_name_is_all(names->names[i]) || codec_matches(codec, names->names[i]))
			return true;
	return false;
}

/* strip, mask and consume all remove a codec from what the receiver is offered; without
 * transcoding they differ only in what 10.5 would decode, which we never do. */
bool codec_removed_by(const struct codec *codec, const struct codec_options *options)
{
	return (removal_matches(codec, &options->strip) || removal_matches(codec, &options->mask)
		|| removal_matches(codec, &options->consume)) && !matches_any(codec, &options->except);
}

static bool is_supplementary(const struct codec *codec)
{
	/* RFC 4733 events and RFC 3389 comfort noise go with whichever codec is used */
	return !g_ascii_strcasecmp(codec->name, "telephone-event") || !g_ascii_strcasecmp(codec->name, "CN");
}

static bool selected(const unsigned int *out, unsigned int count, unsigned int index)
{
	for (unsigned int i = 0; i < count; i++)
		if (out[i] == index)
			return true;
	return false;
}

static int list_from_media(const struct sdp_media *media, struct codec_list *list)
{
	list->count = 0;
	const char *cursor = media->formats ? media->formats : "";
	while (*cursor) {
		size_t length = strcspn(cursor, " ");
		unsigned int pt = 0;
		if (length == 0 || length > 3)
			return -EINVAL;
		for (size_t i = 0; i < length; i++) {
			if (cursor[i] < '0' || cursor[i] > '9')
				return -EINVAL;
			pt = pt * 10 + (unsigned int) (cursor[i] - '0');
		}
		if (pt >= CODEC_PAYLOAD_TYPES || list->count >= CODEC_MAX)
			return -EINVAL;
		struct codec *codec = &list->codecs[list->count++];
		*codec = (struct codec) { .payload_type = pt, .channels = 1 };
		const char *known = sdp_static_rtpmap(pt);
		if (known)
			parse_encoding(known, codec);
		cursor += length;
		if (*cursor == ' ')
			cursor++;
	}
	/* later rtpmap/fmtp lines win, as the writer emits them */
	for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(media->attributes, i);
		const char *rest;
		bool rtpmap = sdp_name_is(attribute->name, "rtpmap");
		if (!rtpmap && !sdp_name_is(attribute->name, "fmtp"))
			continue;
		int pt = payload_prefix(attribute->value, &rest);
		struct codec *codec = pt >= 0 ? find_payload_type(list, (unsigned int) pt) : NULL;
		if (!codec)
			continue;
		if (rtpmap) {
			struct codec parsed = *codec;
			if (parse_encoding(rest, &parsed))
				*codec = parsed;
		} else {
			codec->format_parameters = rest;
		}
	}
	return 0;
}

/* The lists of the last m= sections read: an offer reads its own codecs four times (negotiation, the
 * writer, DTMF detection, RTCP clock rates) and an answer three, ~600 instructions each
 * (callgrind, ng cycle bench). Keyed by the section's parse serial: a parsed section never
 * changes (every sdp_media outside sdp_parse.c is const), and a new parse gets a new number. */
#define CODEC_MEMO_SLOTS 4   /* by serial: an SDP's first four m= sections each have their own */
static __thread struct {
	uint64_t serial;
	struct codec_list list;
} memo[CODEC_MEMO_SLOTS];

/* ---- public functions -------------------------------------------------------------------- */

void codec_payload_set_add(struct codec_payload_set *set, unsigned int payload_type)
{
	if (payload_type < CODEC_PAYLOAD_TYPES)
		set->bits[payload_type / 64] |= 1ULL << (payload_type % 64);
}

bool codec_payload_set_has(const struct codec_payload_set *set, unsigned int payload_type)
{
	return payload_type < CODEC_PAYLOAD_TYPES && (set->bits[payload_type / 64] & (1ULL << (payload_type % 64)));
}

void codec_names_add(struct codec_names *names, const char *name)
{
	if (names->count < CODEC_NAMES_MAX && name)
		names->names[names->count++] = name;
}

int codec_list_from_media(const struct sdp_media *media, struct codec_list *list)
{
	__typeof__(memo[0]) *slot = &memo[media->serial % CODEC_MEMO_SLOTS];
	if (media->serial && media->serial == slot->serial) {
		list->count = slot->list.count;
		memcpy(list->codecs, slot->list.codecs, slot->list.count * sizeof(list->codecs[0]));
		return 0;
	}
	int result = list_from_media(media, list);
	if (result == 0 && media->serial) {
		slot->serial = media->serial;
		slot->list.count = list->count;
		memcpy(slot->list.codecs, list->codecs, list->count * sizeof(list->codecs[0]));
	}
	return result;
}

bool codec_name_is_all(const char *name)
{
	return !g_ascii_strcasecmp(name, "all") || !g_ascii_strcasecmp(name, "full");
}

bool codec_keeps_removed_types(const struct codec_options *options)
{
	const struct codec_names *lists[] = { &options->strip, &options->mask, &options->consume };
	for (unsigned int l = 0; l < G_N_ELEMENTS(lists); l++)
		for (unsigned int n = 0; n < lists[l]->count; n++)
			if (!g_ascii_strcasecmp(lists[l]->names[n], "full"))
				return true;
	return false;
}

bool codec_matches(const struct codec *codec, const char *spec)
{
	if (!g_ascii_strcasecmp(spec, "all"))
		return true;
	const char *slash = strchr(spec, '/');
	size_t name_length = slash ? (size_t) (slash - spec) : strlen(spec);
	if (!codec->name[0] || strlen(codec->name) != name_length
	    || g_ascii_strncasecmp(codec->name, spec, name_length))
		return false;
	if (!slash)
		return true;
	char *end;
	unsigned long clock = strtoul(slash + 1, &end, 10);
	if (clock != codec->clock_rate)
		return false;
	unsigned long channels = *end == '/' ? strtoul(end + 1, NULL, 10) : 1;
	return channels == codec->channels;
}

int codec_negotiate_offer(const struct codec_list *offered, const struct codec_options *options,
		unsigned int *out, unsigned int *out_count, const char **missing)
{
	/* transcode of a codec the offer has is plain negotiation; of one it lacks, decoding */
	for (unsigned int n = 0; n < options->transcode.count; n++) {
		const char *spec = options->transcode.names[n];
		bool present = false;
		for (unsigned int i = 0; i < offered->count && !present; i++)
			present = codec_matches(&offered->codecs[i], spec);
		if (!present) {
			*missing = spec;
			return -ENOTSUP;
		}
	}
	unsigned int count = 0;
	/* as 10.5: comfort noise (RFC 3389) stripped and named by transcode keeps its place */
	for (unsigned int i = 0; i < offered->count; i++)
		if (!codec_removed_by(&offered->codecs[i], options)
		    || (!g_ascii_strcasecmp(offered->codecs[i].name, "CN") && matches_any(&offered->codecs[i], &options->transcode)))
			out[count++] = i;
	/* offer and transcode bring stripped codecs back, in the order they name them; as 10.5, an
	 * audio codec goes before the kept telephone-event and CN (strip PCMU, offer PCMU on
	 * "0 8 101" gives "8 0 101") */
	unsigned int insert_at = count;
	for (unsigned int k = 0; k < count && insert_at == count; k++)
		if (is_supplementary(&offered->codecs[out[k]]))
			insert_at = k;
	bool transcode_names_codec = false;
	for (unsigned int n = 0; n < options->transcode.count; n++) {
		const char *name = options->transcode.names[n];
		transcode_names_codec |= g_ascii_strncasecmp(name, "telephone-event", 15) && g_ascii_strncasecmp(name, "CN", 2);
	}
	const struct codec_names *lists[] = { &options->offer, &options->transcode };
	for (unsigned int l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (unsigned int n = 0; n < lists[l]->count; n++) {
			for (unsigned int i = 0; i < offered->count; i++) {
				if (!codec_matches(&offered->codecs[i], lists[l]->names[n]) || selected(out, count, i))
					continue;
				if (is_supplementary(&offered->codecs[i])) {
					/* as 10.5: with "full", transcode beside a codec makes new events
					 * of ours rather than bring the offer's back (media_transcode.c) */
					if (lists[l] == &options->transcode && (transcode_names_codec || options->adding)
					    && codec_keeps_removed_types(options)
					    && !g_ascii_strcasecmp(offered->codecs[i].name, "telephone-event"))
						continue;
					out[count++] = i;
					continue;
				}
				memmove(&out[insert_at + 1], &out[insert_at], (count - insert_at) * sizeof(out[0]));
				out[insert_at++] = i;
				count++;
			}
		}
	}
	if (count == 0 && !options->adding) {
		/* 10.5 keeps the offer whole rather than offer no codec at all */
		for (unsigned int i = 0; i < offered->count; i++)
			out[i] = i;
		count = offered->count;
	}
	if (count < offered->count && !options->adding) {
		/* as 10.5: once codecs are stripped or masked, telephone-event and CN (RFC 4733
		 * section 2.1, RFC 3389) at a clock no codec is left at go too */
		unsigned int kept = 0;
		for (unsigned int i = 0; i < count; i++) {
			const struct codec *codec = &offered->codecs[out[i]];
			bool clock_used = !is_supplementary(codec);
			for (unsigned int j = 0; j < count && !clock_used; j++)
				clock_used = !is_supplementary(&offered->codecs[out[j]])
					&& offered->codecs[out[j]].clock_rate == codec->clock_rate;
			if (clock_used)
				out[kept++] = out[i];
		}
		if (kept)
			count = kept;
	}
	*out_count = count;
	return 0;
}

void codec_negotiate_answer(const struct codec_list *answered, const struct codec_payload_set *offered,
		const struct codec_options *options, unsigned int *out, unsigned int *out_count)
{
	unsigned int count = 0, removed = 0;
	bool have_primary = false;
	for (unsigned int i = 0; i < answered->count; i++) {
		const struct codec *codec = &answered->codecs[i];
		/* RFC 3264 section 6.1: an answer may only use payload types of the offer it got */
		if (offered && !codec_payload_set_has(offered, codec->payload_type))
			continue;
		if (codec_removed_by(codec, options)) {
			removed++;
			continue;
		}
		if (options->single_codec && !is_supplementary(codec)) {
			if (have_primary)
				continue;
			have_primary = true;
		}
		out[count++] = i;
	}
	if (count == 0 && removed) {
		/* as 10.5 (measured): strip/mask/consume that would leave an answer no codec
		 * (strip all) keep the answer's codecs as they are */
		struct codec_options unremoved = *options;
		unremoved.strip.count = unremoved.mask.count = unremoved.consume.count = 0;
		codec_negotiate_answer(answered, offered, &unremoved, out, &count);
	}
	*out_count = count;
}

void codec_answer_taken(const struct codec_list *answered, const struct codec_payload_set *offered,
		const struct codec_payload_set *added, struct codec_answer_taken *taken)
{
	*taken = (struct codec_answer_taken) { .offerers = *offered };
	for (unsigned int w = 0; w < G_N_ELEMENTS(taken->offerers.bits); w++)
		taken->offerers.bits[w] &= ~added->bits[w];
	for (unsigned int i = 0; i < answered->count; i++) {
		const struct codec *codec = &answered->codecs[i];
		if (codec_payload_set_has(added, codec->payload_type)) {
			taken->left_out = true;
			continue;
		}
		if (!codec_payload_set_has(offered, codec->payload_type))
			continue;   /* RFC 3264 section 6.1: never offered at all */
		taken->indexes[taken->count++] = i;
		if (!is_supplementary(codec))
			taken->offerers_audio = true;
	}
}

int codec_formats_text(const struct codec_list *list, const unsigned int *indexes, unsigned int count,
		char *text, size_t size)
{
	size_t used = 0;
	if (!size)
		return -ENOSPC;
	text[0] = '\0';
	for (unsigned int i = 0; i < count; i++) {
		int written = snprintf(text + used, size - used, "%s%u", i ? " " : "",
				       list->codecs[indexes[i]].payload_type);
		if (written < 0 || (size_t) written >= size - used)
			return -ENOSPC;
		used += (size_t) written;
	}
	return (int) used;
}

bool codec_selection_unchanged(const struct codec_list *list, const unsigned int *indexes, unsigned int count)
{
	if (count != list->count)
		return false;
	for (unsigned int i = 0; i < count; i++)
		if (indexes[i] != i)
			return false;
	return true;
}
