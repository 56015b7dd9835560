/* publish/subscribe: see pubsub.h. The SDPs follow what rtpengine 10.5 returns for the same
 * requests (tests/e2e/test_pubsub.py compares them): the publish answer keeps the codec-accept
 * one, else the first codec we can decode, and our own origin; a subscription of one source
 * repeats the source's SDP (origin and session name included) with our ports and sendonly; a
 * subscription of several sources has our own origin and one m= line per source media. */
#include "pubsub.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "call.h"
#include "call_lifecycle.h"
#include "codec.h"
#include "codec_chain.h"
#include "daemon.h"
#include "ice_agent.h"
#include "ice_candidates.h"
#include "interface.h"
#include "log.h"
#include "media_control.h"
#include "media_crypto.h"
#include "media_dtls.h"
#include "media_transcode.h"
#include "ng_keys.h"
#include "relay.h"
#include "sdp.h"
#include "sdp_attr_edit.h"
#include "version.h"

#define PUBSUB_MAX_SOURCES CALL_MAX_MONOLOGUES

/* The sources a subscribe request names. */
struct source_set {
	struct monologue *sides[PUBSUB_MAX_SOURCES];
	unsigned int count;
};

/* ---- helpers ---------------------------------------------------------------------------------- */

/* Keys of the key table that this relay refuses (ng_keys.h), met in a request without SDP. */
static int refuse_noted_keys(struct ng_request *request)
{
	for (unsigned int i = 0; i < request->flags.refused_count; i++) {
		const struct ng_noted_key *noted = &request->flags.refused[i];
		if (noted->entry->scope != NG_SCOPE_ALWAYS)
			continue;
		char text[256];
		int length = snprintf(text, sizeof(text), "%s is not supported by this relay (%s)", noted->entry->reason,
				      noted->spelling);
		request->error_reason = bencode_buffer_strdup_length(request->buffer, text,
			length < 0 ? 0 : (size_t) length < sizeof(text) ? (size_t) length : sizeof(text) - 1);
		return -ENOTSUP;
	}
	return 0;
}

/* The request's interface key: the --interface a publisher's or subscriber's media use (10.5
 * reads it in publish and subscribe request), or NULL. A name the daemon does not have falls
 * back to the default interface, as in 10.5. */
static const char *interface_name(struct ng_request *request)
{
	const struct bencode_item *item = bencode_dictionary_get_expect(request->input, "interface", BENCODE_STRING);
	const char *name = item ? bencode_string_dup(request->buffer, item) : NULL;
	if (name && !interface_select(&request->daemon->interfaces, name, 0)) {
		log_call(LOG_INFO, request->flags.call_id, "no interface '%s': the default one is used", name);
		return NULL;
	}
	return name;
}

static struct call *find_call(struct ng_request *request)
{
	if (!request->flags.call_id) {
		request->error_reason = "No call-id in message";
		return NULL;
	}
	struct call *call = call_lookup(request->flags.call_id);
	if (!call)
		request->error_reason = "Unknown call-ID";
	return call;
}

/* A source sends when its SDP lets it (10.5 offers the copy sendonly, else inactive). */
static bool media_sends(const struct media *media)
{
	return media->direction != SDP_DIRECTION_RECVONLY && media->direction != SDP_DIRECTION_INACTIVE;
}

static bool in_set(const struct source_set *set, const struct monologue *side)
{
	for (unsigned int i = 0; i < set->count; i++)
		if (set->sides[i] == side)
			return true;
	return false;
}

static void add_source(struct source_set *set, struct monologue *side)
{
	if (!in_set(set, side) && set->count < PUBSUB_MAX_SOURCES)
		set->sides[set->count++] = side;
}

/* A side that can be a source: a publisher or a side of an offer/answer dialogue that sent SDP. */
static bool can_be_source(const struct monologue *side)
{
	return !side->subscriber && side->sdp && side->media_count;
}

/* The first format of an m= line ("0" of "0 8 101"), into out. */
static const char *first_format(const char *formats, char *out, size_t size)
{
	size_t length = strcspn(formats, " ");
	if (length >= size)
		length = size - 1;
	memcpy(out, formats, length);
	out[length] = '\0';
	return out;
}

/* The codec a publisher's media is taken in: the first of its codecs that codec-accept names
 * (10.5 takes the accepted codec, measured: tests/e2e/test_upstream_pubsub.py), else its first
 * that we can decode (10.5 passes over a codec it does not know), else its first format. */
static const char *publisher_format(const struct sdp_media *sdp_media, const struct codec_names *accept, char *out,
				    size_t size)
{
	struct codec_list list;
	if (codec_list_from_media(sdp_media, &list) == 0) {
		for (unsigned int i = 0; accept && i < list.count; i++)
			for (unsigned int a = 0; a < accept->count; a++)
				if (codec_matches(&list.codecs[i], accept->names[a])) {
					snprintf(out, size, "%u", list.codecs[i].payload_type);
					return out;
				}
		for (unsigned int i = 0; i < list.count; i++)
			if (codec_chain_supports(list.codecs[i].name, false)) {
				snprintf(out, size, "%u", list.codecs[i].payload_type);
				return out;
			}
	}
	return first_format(sdp_media->formats, out, size);
}

/* The publisher's kept SDP (pubsub_note_sdp()) with each m= line's formats cut to the codec the
 * publish answer took (formats[i], "" to leave one alone), so that its subscriptions offer that
 * codec whatever options chose it. */
static void note_publisher_formats(struct monologue *publisher, char (*formats)[16], unsigned int count)
{
	if (!publisher->sdp)
		return;
	GString *out = g_string_sized_new(publisher->sdp_length);
	unsigned int index = 0;
	for (const char *line = publisher->sdp; *line; ) {
		const char *end = strchr(line, '\n');
		size_t length = end ? (size_t) (end - line) + 1 : strlen(line);
		const char *fields = line;
		/* "m=<media> <port> <proto> <fmt> ...": the formats start after the third space */
		for (unsigned int spaces = 0; fields < line + length && spaces < 3; fields++)
			spaces += *fields == ' ';
		if (!strncmp(line, "m=", 2) && index < count && formats[index][0] && fields < line + length) {
			g_string_append_len(out, line, fields - line);
			g_string_append(out, formats[index]);
			g_string_append(out, line[length - 2] == '\r' ? "\r\n" : "\n");
		} else {
			g_string_append_len(out, line, (gssize) length);
		}
		index += !strncmp(line, "m=", 2);
		line += length;
	}
	g_free(publisher->sdp);
	publisher->sdp_length = (unsigned int) out->len;
	publisher->sdp = g_string_free(out, FALSE);
}

/* Our own o= and s= lines (10.5's for SDP it makes up): a session id fixed per call. */
static void own_session_lines(const struct call *call, const struct media *media, GString *out)
{
	unsigned long long id = (unsigned long long) call->created_us * 1000ULL + 7;
	char address[64] = "127.0.0.1";
	const char *family = "IP4";
	if (media && media->interface) {
		endpoint_address_text(&media->interface->advertised, address, sizeof(address));
		if (media->interface->advertised.address.sa_family == AF_INET6)
			family = "IP6";
	}
	char version[64];
	g_strlcpy(version, rtpengine_version, sizeof(version));
	for (char *c = version; *c; c++)
		if (*c == '.' || *c == '~' || *c == '+')
			*c = '-';
	g_string_append_printf(out, "o=- %llu %llu IN %s %s\r\ns=rtpengine-%s\r\n", id, id, family, address, version);
}

/* Replaces the o= and s= lines of a written SDP by ours. */
static void replace_session_lines(const struct call *call, const struct media *media, GString *sdp)
{
	const char *origin = strstr(sdp->str, "\no=");
	const char *media_start = strstr(sdp->str, "\nm=");
	if (!origin || (media_start && media_start < origin))
		return;
	size_t start = (size_t) (origin - sdp->str) + 1;
	/* o= and the s= line after it (RFC 8866 section 5: v, o, s in this order) */
	const char *end = strstr(sdp->str + start, "\n");
	if (!end)
		return;
	const char *session = end + 1;
	if (!strncmp(session, "s=", 2) && (end = strstr(session, "\n")) != NULL)
		session = end + 1;
	size_t stop = (size_t) (session - sdp->str);
	GString *lines = g_string_new(NULL);
	own_session_lines(call, media, lines);
	g_string_erase(sdp, (gssize) start, (gssize) (stop - start));
	g_string_insert(sdp, (gssize) start, lines->str);
	g_string_free(lines, TRUE);
}

/* ---- fork lists ------------------------------------------------------------------------------- */

void pubsub_refresh_forks(struct call *call)
{
	struct media *sources[CALL_MAX_MONOLOGUES * CALL_MAX_MEDIA];
	struct pubsub_forks *fresh[CALL_MAX_MONOLOGUES * CALL_MAX_MEDIA];
	unsigned int count = 0;
	struct media *media;
	call_foreach_media(call, media) {
		if (count == G_N_ELEMENTS(sources))
			break;
		if (media->monologue->subscriber)
			continue;   /* its extras hold its source (call.h), it has no subscribers */
		unsigned int subscribers = 0;
		struct media *sink;
		call_foreach_media(call, sink)
			if (sink->monologue->subscriber && sink->monologue->subscription_answered
			    && PUBSUB_SOURCE(sink) == media)
				subscribers++;
		struct pubsub_forks *forks = NULL;
		if (subscribers) {
			forks = g_malloc(sizeof(*forks) + subscribers * sizeof(forks->sinks[0]));
			forks->count = 0;
			call_foreach_media(call, sink)
				if (sink->monologue->subscriber && sink->monologue->subscription_answered
				    && PUBSUB_SOURCE(sink) == media)
					forks->sinks[forks->count++] = sink;
		}
		sources[count] = media;
		fresh[count++] = forks;
	}
	pthread_mutex_lock(&call->lock);
	for (unsigned int i = 0; i < count; i++) {
		struct stream_extras *extras = sources[i]->streams[STREAM_RTP].extras;
		struct pubsub_forks *old = extras->forks;
		extras->forks = fresh[i];
		fresh[i] = old;
	}
	/* rtcp-mirror: an answered subscriber's RTCP goes back to its source */
	call_foreach_media(call, media)
		if (media->monologue->subscriber)
			media->streams[STREAM_RTCP].extras->rtcp_mirror = media->monologue->rtcp_mirror
				&& media->monologue->subscription_answered ? PUBSUB_SOURCE(media) : NULL;
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	for (unsigned int i = 0; i < count; i++)
		g_free(fresh[i]);
}

/* The lines of a side's SDP that a subscription to it is written from: the session's v=, o=,
 * s=, t=, c=, and per m= line its c=, codecs, ptime and direction. ICE candidates, keys,
 * fingerprints, extmap, ssrc and the like are left out: they are the side's own transport,
 * which a subscriber never sees, and they make up most of a browser's SDP. */
static bool line_kept(const char *line, size_t length)
{
	static const char *const kept[] = {
		"v=", "o=", "s=", "t=", "c=", "m=", "a=rtpmap:", "a=fmtp:", "a=ptime:", "a=maxptime:",
		"a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(kept); i++) {
		size_t prefix = strlen(kept[i]);
		if (length >= prefix && !memcmp(line, kept[i], prefix))
			return true;
	}
	return false;
}

void pubsub_note_sdp(struct monologue *monologue, const char *text, size_t length)
{
	if (!text)
		return;
	GString *kept = g_string_sized_new(length < 512 ? length : 512);
	for (size_t position = 0; position < length; ) {
		const char *line = text + position;
		const char *newline = memchr(line, '\n', length - position);
		size_t line_length = newline ? (size_t) (newline - line) + 1 : length - position;
		if (line_kept(line, line_length))
			g_string_append_len(kept, line, (gssize) line_length);
		position += line_length;
	}
	if (monologue->sdp && monologue->sdp_length == kept->len && !memcmp(monologue->sdp, kept->str, kept->len)) {
		g_string_free(kept, TRUE);
		return;
	}
	g_free(monologue->sdp);
	monologue->sdp_length = (unsigned int) kept->len;
	/* an exact-size copy: it lives as long as the call */
	monologue->sdp = g_strndup(kept->str, kept->len);
	g_string_free(kept, TRUE);
}

unsigned int pubsub_subscriptions(const struct monologue *monologue, const struct monologue **tags, unsigned int max)
{
	unsigned int count = 0;
	for (unsigned int i = 0; monologue->subscriber && i < monologue->media_count; i++) {
		const struct media *source = PUBSUB_SOURCE(monologue->media[i]);
		if (!source)
			continue;
		bool known = false;
		for (unsigned int t = 0; t < count; t++)
			known |= tags[t] == source->monologue;
		if (!known && count < max)
			tags[count++] = source->monologue;
	}
	return count;
}

unsigned int pubsub_subscribers(const struct monologue *monologue, const struct monologue **tags, unsigned int max)
{
	unsigned int count = 0;
	const struct call *call = monologue->call;
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		const struct monologue *other = call->monologues[m];
		if (!other->subscriber)
			continue;
		bool subscribed = false;
		for (unsigned int i = 0; i < other->media_count; i++)
			subscribed |= PUBSUB_SOURCE(other->media[i])
				&& PUBSUB_SOURCE(other->media[i])->monologue == monologue;
		if (subscribed && count < max)
			tags[count++] = other;
	}
	return count;
}

/* ---- publish ---------------------------------------------------------------------------------- */

/* Refused before anything changes: media that is neither RTP nor SRTP (SDES or DTLS-SRTP). */
static int refuse_unsupported_sdp(struct ng_request *request, const struct sdp_session *sdp)
{
	for (unsigned int i = 0; i < sdp->media->len; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		const char *protocol = sdp_media->protocol;
		if (sdp_media->port && !media_protocol_is_plain_rtp(protocol) && !media_protocol_uses_sdes(protocol)
		    && !media_protocol_uses_dtls(protocol)) {
			request->error_reason = "publish/subscribe of media other than RTP or SRTP is not supported by this "
				"relay";
			return -ENOTSUP;
		}
	}
	return 0;
}

/* The publish answer: the publisher's SDP with our address and ports, its first codec, recvonly
 * (inactive where it does not send), and our own origin. */
/* Our address and ports for a media in an SDP we write, without ICE (publish and subscribe
 * carry plain RTP; a subscription with ICE=force: offer_subscriber_ice()); false for a rejected
 * media, which keeps port 0. */
static bool rewrite_own_transport(struct sdp_media_rewrite *rewrite, const struct media *media)
{
	if (media->interface) {
		rewrite->address.family = media->interface->advertised.address.sa_family;
		endpoint_address_text(&media->interface->advertised, rewrite->address.text, sizeof(rewrite->address.text));
	}
	if (media->rejected || !media->rtp_port)
		return false;
	rewrite->rtp_port = media->rtp_port;
	rewrite->rtcp_port = media->rtp_port + 1;
	rewrite->remove_ice = true;
	return true;
}

static int write_publish_answer(struct ng_request *request, struct call *call, struct monologue *publisher,
				const struct sdp_session *sdp, char (*formats)[16])
{
	unsigned int count = sdp->media->len;
	struct sdp_media_rewrite rewrites[CALL_MAX_MEDIA];
	const char *key_lines[CALL_MAX_MEDIA][NG_UPDATE_KEY_LINES];
	memset(rewrites, 0, sizeof(rewrites));
	for (unsigned int i = 0; i < count; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		struct media *media = publisher->media[i];
		struct sdp_media_rewrite *rewrite = &rewrites[i];
		if (!rewrite_own_transport(rewrite, media))
			continue;
		rewrite->direction = media_sends(media) ? SDP_DIRECTION_RECVONLY : SDP_DIRECTION_INACTIVE;
		rewrite->formats = publisher_format(sdp_media, &request->flags.codec.accept, formats[i], sizeof(formats[i]));
		/* SDES: our key for the publisher's suite; DTLS-SRTP: our role and fingerprint */
		int lines = ng_update_answer_key_lines(request, media, key_lines[i]);
		if (lines > 0) {
			rewrite->extra_attributes = key_lines[i];
			rewrite->extra_attribute_count = (unsigned int) lines;
		}
	}
	struct sdp_rewrite_options options = { .media_count = count, .media = rewrites,
		.no_rtcp_attribute = request->flags.no_rtcp_attribute };
	GString *out = g_string_new(NULL);
	if (sdp_rewrite(sdp, &options, out) < 0) {
		g_string_free(out, TRUE);
		request->error_reason = "Failed to write SDP";
		return -EINVAL;
	}
	replace_session_lines(call, publisher->media_count ? publisher->media[0] : NULL, out);
	sdp_attr_edit_apply(request->flags.sdp_attr, out);
	bencode_dictionary_add_string_length(request->buffer, request->reply, "sdp", out->str, out->len);
	g_string_free(out, TRUE);
	return 0;
}

int ng_command_publish(struct ng_request *request)
{
	const struct ng_flags *flags = &request->flags;
	if (!flags->call_id) {
		request->error_reason = "No call-id in message";
		return -EINVAL;
	}
	if (!flags->from_tag) {
		request->error_reason = "No from-tag in message";
		return -EINVAL;
	}
	struct sdp_session *sdp = ng_update_parse_sdp(request);
	if (!sdp)
		return -EINVAL;
	if (ng_keys_check(request, sdp, true) < 0 || refuse_unsupported_sdp(request, sdp) < 0) {
		sdp_session_free(sdp);
		return -ENOTSUP;
	}
	struct media_control_dtmf_keys dtmf_keys;
	if (media_control_offer_answer_read(request, &dtmf_keys) < 0) {
		sdp_session_free(sdp);
		return -EINVAL;
	}
	struct call *call = call_lookup(flags->call_id);
	bool new_call = !call;
	if (new_call) {
		int limit = request->daemon->config->max_sessions;
		if (limit >= 0 && call_count() >= (unsigned int) limit) {
			sdp_session_free(sdp);
			request->daemon->totals.rejected_sessions++;
			request->error_reason = "Parallel session limit reached";
			return -EBUSY;
		}
		call = call_start(flags->call_id, relay_pick_worker());
		call->created_from = request->source;
	}
	struct monologue *publisher = call_find_monologue(call, flags->from_tag);
	int error = 0;
	if (publisher && !publisher->publisher) {
		request->error_reason = "From-tag is already a side of the call";
		error = -EEXIST;
	} else if (!publisher && !(publisher = call_add_monologue(call, flags->from_tag))) {
		request->error_reason = "Too many participants in call";
		error = -ENOSPC;
	}
	struct call_update *update = ng_update_new(call);
	const char *interface = interface_name(request);
	if (!error) {
		publisher->publisher = true;
		if (flags->label && !publisher->label)
			publisher->label = g_strdup(flags->label);
	}
	for (unsigned int i = 0; !error && i < sdp->media->len; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		struct media *media = i < publisher->media_count ? publisher->media[i]
			: monologue_add_media(publisher, sdp_media->media_type, sdp_media->protocol);
		if (!media) {
			request->error_reason = "Too many media sections";
			error = -EINVAL;
			break;
		}
		error = ng_update_learn_sdp(request, update, sdp, publisher, media, sdp_media);
		if (!error)
			error = ng_update_take_offer_keys(request, sdp, media, sdp_media);
		if (!error)
			error = ng_update_open_sockets(request, update, media, sdp_media->connection.family
						       ? sdp_media->connection.family : sdp->connection.family, interface);
	}
	char formats[CALL_MAX_MEDIA][16];
	memset(formats, 0, sizeof(formats));
	if (!error)
		error = write_publish_answer(request, call, publisher, sdp, formats);
	ng_update_commit(update);
	sdp_session_free(sdp);
	if (error) {
		if (new_call)
			call_end(call, CALL_END_FAILED_OFFER);
		return error;
	}
	/* block DTMF's keys (checked above) apply to the publisher as in an offer */
	if ((error = media_control_offer_answer(request, &dtmf_keys)) < 0) {
		if (new_call)
			call_end(call, CALL_END_FAILED_OFFER);
		return error;
	}
	pubsub_note_sdp(publisher, flags->sdp, flags->sdp_length);
	note_publisher_formats(publisher, formats, publisher->media_count);
	call_changed(call);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

/* ---- subscribe request ------------------------------------------------------------------------ */

/* The flags list entries that select sources: all, from-tags-TAG (read here, not by
 * ng_flags.c: only this command uses them). */
static void read_source_flags(struct ng_request *request, bool *all, bool *siprec, bool *rtcp_mirror,
			      struct source_set *set, struct call *call, const char **unknown)
{
	const struct bencode_item *list = bencode_dictionary_get_expect(request->input, "flags", BENCODE_LIST);
	for (const struct bencode_item *item = list ? list->first_child : NULL; item; item = item->next_sibling) {
		if (item->type != BENCODE_STRING)
			continue;
		char name[128];
		ng_keys_normalise(item->string, item->string_length, name, sizeof(name));
		if (!strcmp(name, "all")) {
			*all = true;
		} else if (!strcmp(name, "siprec")) {
			*siprec = true;
		} else if (!strcmp(name, "rtcp-mirror") || !strcmp(name, "mirror-rtcp")) {   /* 10.5 reads both */
			*rtcp_mirror = true;
		} else if (!strncmp(name, "from-tags-", 10)) {
			char *tag = bencode_buffer_strdup_length(request->buffer, item->string + 10,
								 item->string_length > 10 ? item->string_length - 10 : 0);
			struct monologue *side = tag ? call_find_monologue(call, tag) : NULL;
			if (side)
				add_source(set, side);
			else if (!*unknown)
				*unknown = tag;
		}
	}
}

/* from-tag, from-tags, flags all / from-tags-TAG, label: the sources, in the call's order
 * for "all", else as named. */
static int select_sources(struct ng_request *request, struct call *call, struct source_set *set, bool *siprec,
			  bool *rtcp_mirror)
{
	const struct ng_flags *flags = &request->flags;
	bool all = false;
	*siprec = false;
	*rtcp_mirror = false;
	const char *unknown = NULL;
	set->count = 0;
	if (flags->from_tag) {
		struct monologue *side = call_find_monologue(call, flags->from_tag);
		if (!side) {
			request->error_reason = "From-tag given, but no such tag exists";
			return -ENOENT;
		}
		add_source(set, side);
	}
	const struct bencode_item *tags = bencode_dictionary_get_expect(request->input, "from-tags", BENCODE_LIST);
	for (const struct bencode_item *item = tags ? tags->first_child : NULL; item; item = item->next_sibling) {
		char *tag = bencode_string_dup(request->buffer, item);
		struct monologue *side = tag ? call_find_monologue(call, tag) : NULL;
		if (side)
			add_source(set, side);
		else if (!unknown)
			unknown = tag ? tag : "";
	}
	read_source_flags(request, &all, siprec, rtcp_mirror, set, call, &unknown);
	if (unknown) {
		request->error_reason = "From-tag given, but no such tag exists";
		return -ENOENT;
	}
	if (all) {
		/* 10.5: "all" means the sides of the call's dialogues (publishers are named) */
		for (unsigned int m = 0; m < call->monologue_count; m++)
			if (can_be_source(call->monologues[m]) && call->monologues[m]->peer)
				add_source(set, call->monologues[m]);
		if (!set->count) {
			request->error_reason = "No call participant specified";
			return -ENOENT;
		}
	}
	if (!set->count && flags->label) {
		for (unsigned int m = 0; m < call->monologue_count; m++)
			if (call->monologues[m]->label && !strcmp(call->monologues[m]->label, flags->label))
				add_source(set, call->monologues[m]);
		if (!set->count) {
			request->error_reason = "No monologue matching the given label";
			return -ENOENT;
		}
	}
	if (!set->count) {
		request->error_reason = "No monologues matched";
		return -ENOENT;
	}
	for (unsigned int i = 0; i < set->count; i++) {
		if (!can_be_source(set->sides[i])) {
			request->error_reason = "The selected side has no media to subscribe to";
			return -EINVAL;
		}
	}
	return 0;
}

/* A subscription's codecs: codec-transcode adds, codec-set tunes the encoders, codec-strip with
 * codec-transcode takes source codecs out of the offer (their copies are transcoded to an added
 * codec, as 10.5); the other codec options (strip alone, mask, offer, accept, ptime, ...) are
 * not applied to subscriptions here. */
static int refuse_codec_options(struct ng_request *request)
{
	const struct codec_options *codec = &request->flags.codec;
	if ((codec->strip.count && !codec->transcode.count) || codec->except.count || codec->offer.count || codec->mask.count || codec->consume.count
	    || codec->accept.count || codec->always_transcode || codec->inject_dtmf || codec->single_codec || codec->ptime
	    || codec->ptime_reverse) {
		request->error_reason = "subscribe request: codec options other than transcode and set are not supported "
			"by this relay";
		return -ENOTSUP;
	}
	return 0;
}

/* A random to-tag as 10.5 makes them: 64 hex digits. */
static void new_tag(char *out, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++)
		out[i] = "0123456789abcdef"[g_random_int_range(0, 16)];
	out[size - 1] = '\0';
}

/* The subscriber's media: one per media of each source, in order, with sockets. A subscriber
 * asked again (same to-tag, same sources) keeps its media and ports. */
static int prepare_subscriber(struct ng_request *request, struct call_update *update, struct monologue *subscriber,
			      const struct source_set *set)
{
	const char *interface = interface_name(request);
	unsigned int index = 0;
	for (unsigned int s = 0; s < set->count; s++) {
		struct monologue *source = set->sides[s];
		for (unsigned int i = 0; i < source->media_count; i++, index++) {
			struct media *origin = source->media[i];
			/* the source's transport (plain, SDES or DTLS-SRTP: our own keys towards the
			 * subscriber), or the one transport-protocol asks for */
			const char *protocol = request->flags.transport_protocol && strstr(origin->protocol, "RTP/")
				? request->flags.transport_protocol : origin->protocol;
			struct media *media = index < subscriber->media_count ? subscriber->media[index]
				: monologue_add_media(subscriber, origin->type, protocol);
			if (!media) {
				request->error_reason = "Too many media sections";
				return -EINVAL;
			}
			if (PUBSUB_SOURCE(media) && PUBSUB_SOURCE(media) != origin) {
				request->error_reason = "The subscription exists with other sources";
				return -EINVAL;
			}
			PUBSUB_SOURCE(media) = origin;
			media->rejected = origin->rejected;
			media_set_protocol(media, protocol);
			int family = origin->interface ? origin->interface->local.address.sa_family : AF_INET;
			int error = ng_update_open_sockets(request, update, media, family, interface);
			if (error)
				return error;
		}
	}
	if (index != subscriber->media_count) {
		request->error_reason = "The subscription exists with other sources";
		return -EINVAL;
	}
	return 0;
}

/* The formats a subscriber is offered (formats: the m= line's, rewritten in place): the
 * source's, which its answer may pick without transcoding (media->offered_payload_types), and
 * with codec-transcode the codecs the engine adds (media_transcode.h; as 10.5, whether or not
 * the request says allow-transcoding: the answer must). Returns the formats to write, or NULL
 * to keep the m= line's. */
static const char *offer_subscriber_codecs(struct ng_request *request, const struct sdp_media *sdp_media,
					   const char *formats, struct media *media, char *out, size_t size,
					   const char **added_rtpmaps)
{
	added_rtpmaps[0] = NULL;
	struct codec_list list;
	if (codec_list_from_media(sdp_media, &list) < 0)
		return NULL;   /* not RTP payload types: nothing to hold the answer to */
	/* the list as offered: a publisher's first codec only */
	unsigned int kept = 0;
	memset(&media->offered_payload_types, 0, sizeof(media->offered_payload_types));
	const struct codec_names *strip = &request->flags.codec.strip;
	char kept_formats[4 * CODEC_MAX + 4] = "";
	for (unsigned int i = 0; i < list.count; i++) {
		bool offered = false;
		for (const char *cursor = formats; *cursor; cursor += strcspn(cursor, " "), cursor += *cursor == ' ')
			offered |= (unsigned int) strtoul(cursor, NULL, 10) == list.codecs[i].payload_type;
		if (!offered)
			continue;
		list.codecs[kept++] = list.codecs[i];
		bool stripped = false;
		for (unsigned int n = 0; n < strip->count && !stripped; n++)
			stripped = codec_name_is_all(strip->names[n]) || codec_matches(&list.codecs[i], strip->names[n]);
		if (stripped)
			continue;   /* not offered: the subscriber gets it transcoded */
		codec_payload_set_add(&media->offered_payload_types, list.codecs[i].payload_type);
		g_snprintf(kept_formats + strlen(kept_formats), sizeof(kept_formats) - strlen(kept_formats), "%s%u",
			   *kept_formats ? " " : "", list.codecs[i].payload_type);
	}
	list.count = kept;
	media->offered_payload_types_known = true;
	if (!request->flags.codec.transcode.count && !media->transcode)
		return NULL;
	/* only what a subscription does with codecs: add (transcode), encoder settings (set); strip
	 * is applied above (not passed on: a stripped codec is still the one the source sends, the
	 * chains' input) */
	struct codec_options options;
	memset(&options, 0, sizeof(options));
	options.transcode = request->flags.codec.transcode;
	options.set = request->flags.codec.set;
	g_strlcpy(out, strip->count ? kept_formats : formats, size);
	return media_transcode_offer(&list, &options, media, out, size, added_rtpmaps) > 0 ? out : NULL;
}

/* ICE=force in a subscribe request: our ICE towards the subscriber (credentials and host
 * candidates, as 10.5 offers them; RFC 8445 section 6.1.1: we offer, so we control); its
 * answer's ICE is taken like any answer's (ng_update_learn_sdp()). Otherwise none. */
static void offer_subscriber_ice(struct ng_request *request, struct media *media, struct sdp_media_rewrite *rewrite)
{
	if (request->flags.ice != NG_ICE_FORCE || !media->interface)
		return;
	if (!media->ice_ufrag[0]) {
		ice_random_credential(media->ice_ufrag, sizeof(media->ice_ufrag) - 1);
		ice_random_credential(media->ice_pwd, sizeof(media->ice_pwd) - 1);
		media->ice_controlling = true;
	}
	ice_agent_local_credentials(media, &rewrite->ice_ufrag, &rewrite->ice_pwd);
	rewrite->ice_foundation = media->interface->ice_foundation;
	rewrite->remove_ice = false;   /* ours go out (sdp_write.c: in place of any the source sent) */
}

/* A dialogue side that offered and was answered: the formats its peer's answer kept, in the
 * answer's order, which 10.5 offers its subscribers (measured: tests/e2e/test_upstream_pubsub.py);
 * NULL for a publisher, a side not answered yet, or one that answered (its own SDP is the
 * negotiated one). */
static const char *negotiated_formats(const struct monologue *source, unsigned int index,
				      const struct sdp_media *own, char *out, size_t size)
{
	const struct monologue *peer = source->peer;
	if (source->publisher || !peer || !peer->sdp || index >= source->media_count
	    || source->media[index]->offered_payload_types_known)
		return NULL;
	const char *error = NULL;
	struct sdp_session *peer_sdp = sdp_parse(peer->sdp, peer->sdp_length, &error);
	if (!peer_sdp)
		return NULL;
	out[0] = '\0';
	const struct sdp_media *answer = index < peer_sdp->media->len ? g_ptr_array_index(peer_sdp->media, index) : NULL;
	for (const char *cursor = answer && answer->port ? answer->formats : ""; *cursor;
	     cursor += strcspn(cursor, " "), cursor += *cursor == ' ') {
		size_t length = strcspn(cursor, " ");
		bool own_format = false;
		for (const char *mine = own->formats; *mine && !own_format; mine += strcspn(mine, " "), mine += *mine == ' ')
			own_format = strcspn(mine, " ") == length && !strncmp(mine, cursor, length);
		if (own_format && strlen(out) + length + 2 <= size)
			g_snprintf(out + strlen(out), size - strlen(out), "%s%.*s", *out ? " " : "", (int) length, cursor);
	}
	sdp_session_free(peer_sdp);
	return *out ? out : NULL;
}

/* One source's part of the subscription SDP: its SDP with our ports, sendonly (inactive where
 * the source does not send), as the source negotiated its codecs (a publisher: the first). */
static int write_source_sdp(struct ng_request *request, const struct monologue *source, struct monologue *subscriber,
			    unsigned int first_media, GString *out)
{
	const char *error = NULL;
	struct sdp_session *sdp = sdp_parse(source->sdp, source->sdp_length, &error);
	if (!sdp) {
		request->error_reason = "Failed to parse SDP";
		return -EINVAL;
	}
	unsigned int count = sdp->media->len;
	if (count > CALL_MAX_MEDIA || count != source->media_count) {
		sdp_session_free(sdp);
		request->error_reason = "The source's SDP does not match its media";
		return -EINVAL;
	}
	struct sdp_media_rewrite rewrites[CALL_MAX_MEDIA];
	char formats[CALL_MAX_MEDIA][16];
	char negotiated[CALL_MAX_MEDIA][4 * CODEC_MAX + 4];
	char offered_formats[CALL_MAX_MEDIA][4 * CODEC_MAX + 4 * 2 * MEDIA_TRANSCODE_ADDED];
	const char *added_rtpmaps[CALL_MAX_MEDIA][2 * MEDIA_TRANSCODE_ADDED + 1];
	const char *key_lines[CALL_MAX_MEDIA][NG_UPDATE_KEY_LINES];
	memset(rewrites, 0, sizeof(rewrites));
	for (unsigned int i = 0; i < count; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		struct media *media = subscriber->media[first_media + i];
		const struct media *origin = source->media[i];
		struct sdp_media_rewrite *rewrite = &rewrites[i];
		if (!rewrite_own_transport(rewrite, media))
			continue;
		offer_subscriber_ice(request, media, rewrite);
		rewrite->direction = media_sends(origin) ? SDP_DIRECTION_SENDONLY : SDP_DIRECTION_INACTIVE;
		if (strcmp(media->protocol, sdp_media->protocol))
			rewrite->protocol = media->protocol;
		/* SRTP towards the subscriber: our SDES keys and DTLS fingerprint, as an offer */
		int lines = ng_update_offer_key_lines(request, media, key_lines[i]);
		if (lines > 0) {
			rewrite->extra_attributes = key_lines[i];
			rewrite->extra_attribute_count = (unsigned int) lines;
		}
		if (source->publisher)
			rewrite->formats = publisher_format(sdp_media, NULL, formats[i], sizeof(formats[i]));
		else
			rewrite->formats = negotiated_formats(source, i, sdp_media, negotiated[i], sizeof(negotiated[i]));
		const char *offered = offer_subscriber_codecs(request, sdp_media,
			rewrite->formats ? rewrite->formats : sdp_media->formats, media, offered_formats[i],
			sizeof(offered_formats[i]), added_rtpmaps[i]);
		if (offered) {
			rewrite->formats = offered;
			rewrite->added_rtpmaps = added_rtpmaps[i];
		}
	}
	struct sdp_rewrite_options options = { .media_count = count, .media = rewrites,
		.no_rtcp_attribute = request->flags.no_rtcp_attribute };
	int result = sdp_rewrite(sdp, &options, out);
	sdp_session_free(sdp);
	if (result < 0)
		request->error_reason = "Failed to write SDP";
	return result;
}

/* The media sections of a written SDP, each with its own c= line (a session-level c= does not
 * travel with them), appended to out. */
static void append_media_sections(const GString *sdp, const struct monologue *subscriber, unsigned int first_media,
				  GString *out)
{
	const char *cursor = strstr(sdp->str, "\nm=");
	unsigned int index = first_media;
	while (cursor) {
		cursor++;
		const char *next = strstr(cursor, "\nm=");
		size_t length = next ? (size_t) (next - cursor) + 1 : strlen(cursor);
		const char *line_end = memchr(cursor, '\n', length);
		size_t first_line = line_end ? (size_t) (line_end - cursor) + 1 : length;
		g_string_append_len(out, cursor, (gssize) first_line);
		bool has_connection = g_strstr_len(cursor, (gssize) length, "\nc=") != NULL;
		const struct media *media = index < subscriber->media_count ? subscriber->media[index] : NULL;
		if (!has_connection && media && media->interface) {
			char address[64];
			endpoint_address_text(&media->interface->advertised, address, sizeof(address));
			g_string_append_printf(out, "c=IN %s %s\r\n",
					       media->interface->advertised.address.sa_family == AF_INET6 ? "IP6" : "IP4", address);
		}
		g_string_append_len(out, cursor + first_line, (gssize) (length - first_line));
		index++;
		cursor = next;
	}
}

static int write_subscription_sdp(struct ng_request *request, struct call *call, struct monologue *subscriber,
				  const struct source_set *set, GString *out)
{
	if (set->count == 1)
		return write_source_sdp(request, set->sides[0], subscriber, 0, out);
	/* several sources: our own session, the sources' media one after the other */
	g_string_append(out, "v=0\r\n");
	own_session_lines(call, subscriber->media_count ? subscriber->media[0] : NULL, out);
	g_string_append(out, "t=0 0\r\n");
	unsigned int first_media = 0;
	for (unsigned int s = 0; s < set->count; s++) {
		GString *part = g_string_new(NULL);
		int error = write_source_sdp(request, set->sides[s], subscriber, first_media, part);
		if (!error)
			append_media_sections(part, subscriber, first_media, out);
		g_string_free(part, TRUE);
		if (error)
			return error;
		first_media += set->sides[s]->media_count;
	}
	return 0;
}

/* SIPREC-style subscriptions (flag siprec, RFC 7866 section 7.1.1 uses a=label to tie a
 * recorded stream to its metadata): each m= line carries the label of the source media it
 * copies (10.5's numbering, media->label_id), right after its c= line as 10.5 writes it. */
static void insert_labels(GString *sdp, const struct monologue *subscriber)
{
	size_t position = 0;
	for (unsigned int index = 0; index < subscriber->media_count; index++) {
		const char *media_line = strstr(sdp->str + position, "\nm=");
		const struct media *source = PUBSUB_SOURCE(subscriber->media[index]);
		if (!media_line || !source)
			return;
		size_t section = (size_t) (media_line - sdp->str) + 1;
		const char *next = strstr(sdp->str + section, "\nm=");
		size_t end = next ? (size_t) (next - sdp->str) + 1 : sdp->len;
		const char *connection = g_strstr_len(sdp->str + section, (gssize) (end - section), "\nc=");
		const char *line = connection ? connection + 1 : sdp->str + section;
		const char *line_end = strchr(line, '\n');
		size_t insert = line_end ? (size_t) (line_end - sdp->str) + 1 : sdp->len;
		char label[32];
		int length = snprintf(label, sizeof(label), "a=label:%u\r\n", source->label_id);
		g_string_insert(sdp, (gssize) insert, label);
		position = insert + (size_t) length - 1;   /* the inserted line's \n */
	}
}

/* What 10.5 calls a media's mode in media-labels: the direction of the relay's SDP towards
 * that side, the reverse of the side's own. */
static const char *relay_mode(const struct media *media)
{
	switch (media->direction) {
	case SDP_DIRECTION_SENDONLY: return "recvonly";
	case SDP_DIRECTION_RECVONLY: return "sendonly";
	case SDP_DIRECTION_INACTIVE: return "inactive";
	default: return "sendrecv";
	}
}

/* The siprec reply's media-labels (label -> index, mode, tag, type, and the side's label when
 * it has one) and tag-medias (per source side: its tag, label and media). */
static void describe_labels(struct ng_request *request, const struct source_set *set)
{
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *labels = bencode_dictionary_new(buffer);
	struct bencode_item *tag_medias = bencode_list_new(buffer);
	for (unsigned int s = 0; s < set->count; s++) {
		const struct monologue *source = set->sides[s];
		struct bencode_item *entry = bencode_dictionary_new(buffer);
		struct bencode_item *medias = bencode_list_new(buffer);
		bencode_dictionary_add_string(buffer, entry, "tag", source->tag);
		/* the side's label (offer/answer/publish key label), when it has one, as 10.5 */
		if (source->label)
			bencode_dictionary_add_string(buffer, entry, "label", source->label);
		for (unsigned int i = 0; i < source->media_count; i++) {
			const struct media *media = source->media[i];
			char label[16];
			snprintf(label, sizeof(label), "%u", media->label_id);
			struct bencode_item *described = bencode_dictionary_new(buffer);
			bencode_dictionary_add(buffer, described, "index", bencode_integer_new(buffer, media->index));
			bencode_dictionary_add_string(buffer, described, "label", label);
			bencode_dictionary_add_string(buffer, described, "mode", relay_mode(media));
			bencode_dictionary_add_string(buffer, described, "type", media->type);
			bencode_list_append(medias, described);
			struct bencode_item *by_label = bencode_dictionary_new(buffer);
			bencode_dictionary_add(buffer, by_label, "index", bencode_integer_new(buffer, media->index));
			bencode_dictionary_add_string(buffer, by_label, "mode", relay_mode(media));
			bencode_dictionary_add_string(buffer, by_label, "tag", source->tag);
			if (source->label)
				bencode_dictionary_add_string(buffer, by_label, "label", source->label);
			bencode_dictionary_add_string(buffer, by_label, "type", media->type);
			bencode_dictionary_add(buffer, labels, bencode_buffer_strdup_length(buffer, label, strlen(label)), by_label);
		}
		bencode_dictionary_add(buffer, entry, "medias", medias);
		bencode_list_append(tag_medias, entry);
	}
	bencode_dictionary_add(buffer, request->reply, "media-labels", labels);
	bencode_dictionary_add(buffer, request->reply, "tag-medias", tag_medias);
}

int ng_command_subscribe_request(struct ng_request *request)
{
	const struct ng_flags *flags = &request->flags;
	/* 10.5 answers ok to block DTMF's keys here and applies none (measured: the source's peer
	 * and the subscriber get every event, undelayed) */
	if (refuse_noted_keys(request) < 0 || refuse_codec_options(request) < 0
	    || media_control_refuse_dtmf_keys(request, "subscribe request") < 0)
		return -ENOTSUP;
	struct call *call = find_call(request);
	if (!call)
		return -ENOENT;
	struct source_set set;
	bool siprec, rtcp_mirror;
	int error = select_sources(request, call, &set, &siprec, &rtcp_mirror);
	if (error)
		return error;
	char generated[65];
	const char *tag = flags->to_tag;
	if (!tag) {
		new_tag(generated, sizeof(generated));
		tag = generated;
	}
	struct monologue *subscriber = call_find_monologue(call, tag);
	if (subscriber && !subscriber->subscriber) {
		request->error_reason = "To-tag is already a side of the call";
		return -EEXIST;
	}
	if (subscriber && in_set(&set, subscriber)) {
		request->error_reason = "A subscriber cannot subscribe to itself";
		return -EINVAL;
	}
	bool created = !subscriber;
	if (created && !(subscriber = call_add_monologue(call, tag))) {
		request->error_reason = "Too many participants in call";
		return -ENOSPC;
	}
	subscriber->subscriber = true;
	subscriber->no_recording = true;   /* a copy of sides that are recorded themselves */
	/* (the worker follows it once the subscriber answered: pubsub_refresh_forks) */
	subscriber->rtcp_mirror = rtcp_mirror;
	struct call_update *update = ng_update_new(call);
	error = prepare_subscriber(request, update, subscriber, &set);
	ng_update_commit(update);
	GString *sdp = g_string_new(NULL);
	if (!error)
		error = write_subscription_sdp(request, call, subscriber, &set, sdp);
	if (!error && siprec)
		insert_labels(sdp, subscriber);
	if (error) {
		g_string_free(sdp, TRUE);
		if (created)
			call_remove_monologue(subscriber);
		return error;
	}
	sdp_attr_edit_apply(request->flags.sdp_attr, sdp);
	struct bencode_buffer *buffer = request->buffer;
	bencode_dictionary_add_string_length(buffer, request->reply, "sdp", sdp->str, sdp->len);
	g_string_free(sdp, TRUE);
	if (set.count == 1)
		bencode_dictionary_add_string(buffer, request->reply, "from-tag", set.sides[0]->tag);
	struct bencode_item *tags = bencode_list_new(buffer);
	for (unsigned int s = 0; s < set.count; s++)
		bencode_list_append_string(buffer, tags, set.sides[s]->tag);
	bencode_dictionary_add(buffer, request->reply, "from-tags", tags);
	bencode_dictionary_add_string(buffer, request->reply, "to-tag", subscriber->tag);
	if (siprec)
		describe_labels(request, &set);
	log_call(LOG_INFO, call->call_id, "subscriber '%s' of %u side(s)", subscriber->tag, set.count);
	call_changed(call);
	bencode_dictionary_add_string(buffer, request->reply, "result", "ok");
	return 0;
}

/* ---- subscribe answer, unsubscribe ------------------------------------------------------------ */

static struct monologue *find_subscriber(struct ng_request *request, struct call *call)
{
	if (!request->flags.to_tag) {
		request->error_reason = "No to-tag in message";
		return NULL;
	}
	struct monologue *subscriber = call_find_monologue(call, request->flags.to_tag);
	if (!subscriber)
		request->error_reason = "To-tag not found";
	else if (!subscriber->subscriber)
		request->error_reason = "To-tag is not a subscriber";
	return subscriber && subscriber->subscriber ? subscriber : NULL;
}

/* A flag of the request's flags list (normalised spelling), for flags only this file reads. */
static bool has_flag(struct ng_request *request, const char *wanted)
{
	const struct bencode_item *list = bencode_dictionary_get_expect(request->input, "flags", BENCODE_LIST);
	for (const struct bencode_item *item = list ? list->first_child : NULL; item; item = item->next_sibling) {
		char name[128];
		if (item->type != BENCODE_STRING)
			continue;
		ng_keys_normalise(item->string, item->string_length, name, sizeof(name));
		if (!strcmp(name, wanted))
			return true;
	}
	return false;
}

/* The source's codecs that the subscriber's media was offered (its own, not those a codec-
 * transcode added), from the source's SDP: the parsed SDP, which `source` points into (free it
 * with sdp_session_free()), or NULL when there is none to hold the answer to. */
static struct sdp_session *offered_source_codecs(const struct media *media, struct codec_list *source)
{
	const struct media *origin = PUBSUB_SOURCE(media);
	const char *error = NULL;
	if (!origin || !media->offered_payload_types_known || !origin->monologue->sdp)
		return NULL;
	const struct monologue *side = origin->monologue;
	struct sdp_session *sdp = sdp_parse(side->sdp, side->sdp_length, &error);
	unsigned int index = 0;
	while (sdp && index < side->media_count && side->media[index] != origin)
		index++;
	if (!sdp || index >= side->media_count || index >= sdp->media->len
	    || codec_list_from_media(g_ptr_array_index(sdp->media, index), source) < 0) {
		if (sdp)
			sdp_session_free(sdp);
		return NULL;
	}
	unsigned int kept = 0;
	for (unsigned int i = 0; i < source->count; i++)
		if (codec_payload_set_has(&media->offered_payload_types, source->codecs[i].payload_type))
			source->codecs[kept++] = source->codecs[i];
	source->count = kept;
	return sdp;
}

/* The answer's codecs against what the subscriber was offered, as 10.5 (measured): an answer
 * that takes every codec of the source's it was offered passes the copies as they are; one
 * that lacks some is an error unless allow-transcoding, which transcodes those (to a codec a
 * codec-transcode added when it picked one, media_transcode_subscription(), else, for a side of
 * a dialogue, to its first codec, media_transcode_subscription_unanswered(); a publisher's pass
 * as they are). Checked for every media before anything
 * changes (transcoding: true). */
static int check_answer_codecs(struct ng_request *request, const struct sdp_session *sdp,
			       const struct monologue *subscriber, bool allow_transcoding, bool *transcoding)
{
	for (unsigned int i = 0; i < sdp->media->len; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		const struct media *media = subscriber->media[i];
		struct codec_list answered, source;
		transcoding[i] = false;
		if (!sdp_media->port || media->rejected || !media->offered_payload_types_known
		    || codec_list_from_media(sdp_media, &answered) < 0)
			continue;
		struct sdp_session *source_sdp = offered_source_codecs(media, &source);
		/* none of the source's codecs it was offered (a codec-transcode one, or strip took
		 * them all): transcoded */
		bool needed = true;
		for (unsigned int c = 0; c < answered.count; c++)
			needed &= !codec_payload_set_has(&media->offered_payload_types, answered.codecs[c].payload_type);
		if (source_sdp) {
			needed |= media_transcode_subscription_needed(&source, &answered);
			sdp_session_free(source_sdp);
		}
		if (!needed)
			continue;
		if (!allow_transcoding) {
			request->error_reason = "Failed to process subscription answer";
			return -EINVAL;
		}
		transcoding[i] = true;
	}
	return 0;
}

/* An allow-transcoding subscriber's chain for one media (answered: its answer's codecs, NULL
 * when it needs none): 1 staged, 0 none, -ENOTSUP. */
static int stage_subscriber_chain(struct media *media, const struct codec_list *answered)
{
	int staged = media_transcode_subscription(answered, media);
	/* a publisher's copies pass as they are (10.5, measured: test_pubsub_options.py), a
	 * dialogue side's are transcoded (test_upstream_pubsub.py) */
	if (staged != 0 || !answered || PUBSUB_SOURCE(media)->monologue->publisher)
		return staged;
	struct codec_list source;
	struct sdp_session *source_sdp = offered_source_codecs(media, &source);
	if (!source_sdp)
		return 0;
	staged = media_transcode_subscription_unanswered(&source, answered, media);
	sdp_session_free(source_sdp);
	return staged;
}

int ng_command_subscribe_answer(struct ng_request *request)
{
	if (refuse_noted_keys(request) < 0)
		return -ENOTSUP;
	struct call *call = find_call(request);
	if (!call)
		return -ENOENT;
	struct monologue *subscriber = find_subscriber(request, call);
	if (!subscriber)
		return -ENOENT;
	struct sdp_session *sdp = ng_update_parse_sdp(request);
	if (!sdp)
		return -EINVAL;
	int error = refuse_unsupported_sdp(request, sdp);
	if (!error && sdp->media->len > subscriber->media_count) {
		request->error_reason = "Answer has more media sections than the offer";
		error = -EINVAL;
	}
	bool transcoding[CALL_MAX_MEDIA];
	if (!error)
		error = check_answer_codecs(request, sdp, subscriber, has_flag(request, "allow-transcoding"), transcoding);
	if (error) {
		sdp_session_free(sdp);
		return error;
	}
	struct call_update *update = ng_update_new(call);
	for (unsigned int i = 0; !error && i < sdp->media->len; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		struct media *media = subscriber->media[i];
		error = ng_update_learn_sdp(request, update, sdp, subscriber, media, sdp_media);
		if (!error)
			ng_update_take_answer_keys(request, sdp, media, sdp_media);
		/* staged here, published with the update (ng_update_commit) */
		struct codec_list answered;
		if (!error && (transcoding[i] || media->transcode))
			error = stage_subscriber_chain(media, transcoding[i] && codec_list_from_media(sdp_media, &answered) == 0
						       ? &answered : NULL) < 0 ? -ENOTSUP : 0;
		if (error == -ENOTSUP)
			request->error_reason = "Failed to process subscription answer";
	}
	ng_update_commit(update);
	sdp_session_free(sdp);
	if (error)
		return error;
	subscriber->subscription_answered = true;
	pubsub_refresh_forks(call);
	call_changed(call);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

int ng_command_unsubscribe(struct ng_request *request)
{
	if (refuse_noted_keys(request) < 0)
		return -ENOTSUP;
	struct call *call = find_call(request);
	if (!call)
		return -ENOENT;
	if (!request->flags.to_tag) {
		request->error_reason = "No to-tag in message";
		return -EINVAL;
	}
	struct monologue *subscriber = call_find_monologue(call, request->flags.to_tag);
	/* an unknown to-tag: nothing to end (10.5 answers ok too) */
	if (subscriber) {
		if (!subscriber->subscriber) {
			request->error_reason = "To-tag is not a subscriber";
			return -EINVAL;
		}
		/* the worker must stop sending to it before its sockets go */
		subscriber->subscription_answered = false;
		for (unsigned int i = 0; i < subscriber->media_count; i++)
			PUBSUB_SOURCE(subscriber->media[i]) = NULL;
		pubsub_refresh_forks(call);
		log_call(LOG_INFO, call->call_id, "subscriber '%s' unsubscribed", subscriber->tag);
		call_remove_monologue(subscriber);
		call_changed(call);
	}
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}
