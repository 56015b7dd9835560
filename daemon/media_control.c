/* Blocking and silencing media and DTMF without decoding; see media_control.h. */
#include "media_control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include "call.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "kernel_backend.h"
#include "codec.h"
#include "codec_chain.h"
#include "dtmf_delay.h"
#include "log.h"
#include "media_dtmf_detect.h"
#include "media_player.h"
#include "media_transcode.h"
#include "ng_call_lookup.h"
#include "ng_keys.h"
#include "ng_commands.h"
#include "relay.h"
#include "rtp_header.h"
#include "sdp.h"
#include "timer_heap.h"

/* --dtmf-log-dest: one socket, written by every worker (sendto() on a UDP socket is atomic) */
static int dtmf_log_fd = -1;
static union endpoint dtmf_log_dest;

/* block DTMF's trigger (block_dtmf_trigger()): a digit sequence that starts a blocking mode
 * and what ends it; digits as RFC 4733 events, "0"-"9", "*", "#", "A"-"D". One per media that
 * has one (extras->dtmf_trigger), its progress written by the worker under the call's lock. */
enum dtmf_trigger_mode { DTMF_TRIGGER_NONE, DTMF_TRIGGER_DROP, DTMF_TRIGGER_TONES };
/* struct media_control_dtmf_keys: what the request asks for, and DTMF-security's mode */
enum dtmf_keys_action { DTMF_KEYS_NONE, DTMF_KEYS_BLOCK, DTMF_KEYS_TRIGGER, DTMF_KEYS_DELAY };
enum dtmf_block_mode { DTMF_BLOCK_DROP, DTMF_BLOCK_PASS, DTMF_BLOCK_TONES };
struct dtmf_trigger {
	char start[16], end[16];        /* "" = none */
	unsigned int end_ms;            /* trigger-end-time, 0 = none */
	uint16_t end_digits;            /* trigger-end-digits, 0 = none; only with an end string (as 10.5) */
	uint8_t mode;                   /* enum dtmf_trigger_mode, while triggered */
	/* the packet path's */
	bool active, event_seen;
	uint8_t progress, end_progress;
	uint16_t digits_since;          /* events since the trigger fired */
	uint32_t event_ts;
	int64_t since_us;
};

/* ---- static helpers ---------------------------------------------------------------------- */

/* A JSON string body: quotes, backslashes and control characters escaped (RFC 8259 section 7). */
static void append_json_string(GString *out, const char *text)
{
	g_string_append_c(out, '"');
	for (const unsigned char *c = (const unsigned char *) (text ? text : ""); *c; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_printf(out, "\\%c", *c);
		else if (*c < 0x20)
			g_string_append_printf(out, "\\u%04x", *c);
		else
			g_string_append_c(out, (char) *c);
	}
	g_string_append_c(out, '"');
}

static void set_flag(struct media *media, unsigned int flag, bool on)
{
	if (on)
		media->media_control |= (uint8_t) flag;
	else
		media->media_control &= (uint8_t) ~flag;
}

/* As 10.5: without a from-tag, `address` names the party whose media come from that address
 * (or whose SDP gave it); NULL when no party has it. */
static struct monologue *party_at_address(struct call *call, const char *text)
{
	union endpoint wanted;
	char wanted_text[ENDPOINT_TEXT_SIZE], text_of[ENDPOINT_TEXT_SIZE];
	if (endpoint_parse_address(&wanted, text, strlen(text)) < 0)
		return NULL;
	endpoint_address_text(&wanted, wanted_text, sizeof(wanted_text));
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		struct monologue *side = call->monologues[m];
		for (unsigned int i = 0; i < side->media_count; i++) {
			const struct stream *stream = &side->media[i]->streams[STREAM_RTP];
			if ((endpoint_is_set(&stream->learned)
			     && !strcmp(endpoint_address_text(&stream->learned, text_of, sizeof(text_of)), wanted_text))
			    || (endpoint_is_set(&stream->advertised)
				&& !strcmp(endpoint_address_text(&stream->advertised, text_of, sizeof(text_of)), wanted_text)))
				return side;
		}
	}
	return NULL;
}

/* The command's party (from-tag, address or, NULL, the whole call), as 10.5 looks it up. */
static int command_party(struct ng_request *request, struct call **call, struct monologue **side)
{
	int error = ng_lookup_call_side(request, NG_SIDE_OPTIONAL, call, side);
	if (error < 0)
		return error;
	const char *address = bencode_dictionary_get_string(request->buffer, request->input, "address", NULL);
	if (!*side && address) {
		pthread_mutex_lock(&(*call)->lock);   /* the workers write the learned addresses */
		*side = party_at_address(*call, address);
		pthread_mutex_unlock(&(*call)->lock);
		if (!*side) {
			request->error_reason = "No participant with this address";
			return -ENOENT;
		}
	}
	return 0;
}

/* block DTMF's audio modes (media_transcode_stage_dtmf_tones()): the party's chains that play
 * its events as tones staged on (or off), published under the call's lock with the flags. */
static int stage_dtmf_tones(struct ng_request *request, struct call *call, struct monologue *side, bool on)
{
	struct media *media;
	bool staged = false;
	call_foreach_media(call, media) {
		if (side && media->monologue != side)
			continue;
		const char *reason = NULL;
		int result = media_transcode_stage_dtmf_tones(media, on, &reason);
		if (result < 0) {
			/* undo what this command staged on the party's other media */
			struct media *other;
			call_foreach_media(call, other)
				if (!side || other->monologue == side)
					media_transcode_discard_staged(other);
			request->error_reason = reason ? reason : "DTMF-security mode not supported here";
			return result;
		}
		staged |= result > 0;
	}
	return staged;
}

/* One command: the flag on or off for the party's media, or for every media of the call;
 * tones: block DTMF's audio modes on (true) or off (false, unblock DTMF). */
static int media_control_command(struct ng_request *request, unsigned int flag, bool on, const char *what,
		int tones)
{
	struct call *call;
	struct monologue *side;
	int error = command_party(request, &call, &side);
	if (error < 0)
		return error;
	int staged = tones >= 0 ? stage_dtmf_tones(request, call, side, tones > 0) : 0;
	if (staged < 0)
		return staged;
	struct media *media;
	GPtrArray *replaced = g_ptr_array_new_with_free_func(g_free);
	pthread_mutex_lock(&call->lock);
	call_foreach_media(call, media) {
		if (side && media->monologue != side)
			continue;
		set_flag(media, flag, on);
		struct stream_extras *extras = media->streams[STREAM_RTP].extras;
		if (flag == MEDIA_CONTROL_BLOCK_DTMF && extras->dtmf_trigger) {
			/* a later block / unblock DTMF replaces a trigger */
			media->media_control &= (uint8_t) ~MEDIA_CONTROL_DTMF_TRIGGER;
			g_ptr_array_add(replaced, extras->dtmf_trigger);
			extras->dtmf_trigger = NULL;
		}
		if (tones < 0)
			continue;
		media->dtmf_as_tones = tones > 0;
		if (staged)
			media_transcode_publish(media);
		if (media->streams[STREAM_RTP].extras->transcode)
			codec_chain_play_events_as_tones(media->streams[STREAM_RTP].extras->transcode, tones > 0);
	}
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	g_ptr_array_free(replaced, TRUE);
	call_foreach_media(call, media)
		if (staged && tones >= 0 && (!side || media->monologue == side))
			media_transcode_release(media);
	log_call(LOG_INFO, call->call_id, "%s %s for %s%s", what, on ? "on" : "off",
		 side ? "tag " : "the whole call", side ? side->tag : "");
	/* such streams leave the kernel now, not at the next one-second sync (not call_changed():
	 * that means an offer or answer went through, which cancels a delayed delete) */
	if (request->daemon && request->daemon->kernel)
		kernel_backend_sync(request->daemon);
	return 0;
}

/* A command's reply: "result: ok" on success (the offer/answer hook adds none: the offer's
 * own reply has it) */
static int reply_ok(struct ng_request *request, int result)
{
	if (result == 0)
		bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return result;
}

/* ---- public functions -------------------------------------------------------------------- */

/* A key of the request in any spelling (DTMF-security, dtmf_security), NULL when absent. */
static const struct bencode_item *request_key(const struct ng_request *request, const char *wanted)
{
	const struct bencode_item *input = request->input;
	for (const struct bencode_item *key = input && input->type == BENCODE_DICTIONARY ? input->first_child : NULL;
	     key && key->next_sibling; key = key->next_sibling->next_sibling) {
		char name[32];
		ng_keys_normalise(key->string, key->string_length, name, sizeof(name));
		if (!strcmp(name, wanted))
			return key->next_sibling;
	}
	return NULL;
}

/* A string key's value normalised (lower case), "" when absent or not a string. */
static void request_mode(const struct ng_request *request, const char *wanted, char *mode, size_t size)
{
	const struct bencode_item *value = request_key(request, wanted);
	mode[0] = '\0';
	if (value && value->type == BENCODE_STRING)
		ng_keys_normalise(value->string, value->string_length, mode, size);
}

/* A string key's value as it is ("" when absent); false when it does not fit or is no string. */
static bool request_text(const struct ng_request *request, const char *wanted, char *text, size_t size)
{
	const struct bencode_item *value = request_key(request, wanted);
	text[0] = '\0';
	if (!value)
		return true;
	if (value->type != BENCODE_STRING || value->string_length >= size)
		return false;
	memcpy(text, value->string, value->string_length);
	text[value->string_length] = '\0';
	return true;
}

/* An integer key's value (an integer, or a string of digits as 10.5 also takes); `fallback`
 * when absent; false when it is something else. */
static bool request_integer(const struct ng_request *request, const char *wanted, long long fallback,
		long long *value)
{
	const struct bencode_item *item = request_key(request, wanted);
	*value = fallback;
	if (!item)
		return true;
	if (item->type == BENCODE_INTEGER) {
		*value = item->integer;
		return true;
	}
	char text[24];
	if (item->type != BENCODE_STRING || item->string_length == 0 || item->string_length >= sizeof(text))
		return false;
	memcpy(text, item->string, item->string_length);
	text[item->string_length] = '\0';
	char *end;
	*value = strtoll(text, &end, 10);
	return *end == '\0';
}

/* RFC 4733 section 3.2: events 0-15 are "0"-"9", "*", "#", "A"-"D"; -1 for anything else. */
static int dtmf_digit_event(char digit)
{
	static const char digits[] = "0123456789*#ABCD";
	const char *found = digit ? strchr(digits, g_ascii_toupper(digit)) : NULL;
	return found ? (int) (found - digits) : -1;
}

static bool dtmf_digits_valid(const char *text)
{
	for (; *text; text++)
		if (dtmf_digit_event(*text) < 0)
			return false;
	return true;
}

/* block DTMF with trigger, as 10.5 does (measured): nothing is blocked until the sender's
 * RFC 4733 events spell the trigger; from the first packet after the event that completes it,
 * DTMF-security-trigger's mode holds (drop; silence, tone, random: the events as tones; none
 * given: nothing changes, as 10.5) until the events spell trigger-end (that event's first packet
 * is still handled so), trigger-end-digits events have come since the trigger (the last one's
 * first packet is still handled so; 10.5 counts them only when a trigger-end is given, measured:
 * without one the mode stays) or an event starts trigger-end-time ms after the trigger. */
static int read_dtmf_trigger(struct ng_request *request, struct media_control_dtmf_keys *keys)
{
	struct media_control_trigger_keys *settings = &keys->trigger;
	settings->mode = DTMF_TRIGGER_NONE;
	char mode[32], end_other[16];
	if (!request_text(request, "trigger", settings->start, sizeof(settings->start))
	    || !request_text(request, "trigger-end", settings->end, sizeof(settings->end))
	    || !request_text(request, "end-trigger", end_other, sizeof(end_other))
	    || !dtmf_digits_valid(settings->start) || !dtmf_digits_valid(settings->end) || !dtmf_digits_valid(end_other)) {
		request->error_reason = "DTMF trigger and trigger-end must be up to 15 DTMF digits (0-9, *, #, A-D)";
		return -EINVAL;
	}
	if (!settings->end[0])
		memcpy(settings->end, end_other, sizeof(settings->end));
	long long end_ms = 0;
	bencode_dictionary_get_integer(request->input, "trigger-end-time", &end_ms);
	if (end_ms < 0 || end_ms > 3600000) {
		request->error_reason = "trigger-end-time must be 0 to 3600000 ms";
		return -EINVAL;
	}
	settings->end_ms = (unsigned int) end_ms;
	long long end_digits = 0;
	if (!request_integer(request, "end-trigger-digits", 0, &end_digits)
	    || !request_integer(request, "trigger-end-digits", end_digits, &end_digits)
	    || end_digits < 0 || end_digits > UINT16_MAX) {
		request->error_reason = "trigger-end-digits must be 0 to 65535";
		return -EINVAL;
	}
	settings->end_digits = (uint16_t) end_digits;
	request_mode(request, "dtmf-security-trigger", mode, sizeof(mode));
	if (!strcmp(mode, "drop") || !strcmp(mode, "off"))
		settings->mode = DTMF_TRIGGER_DROP;
	else if (!strcmp(mode, "silence") || !strcmp(mode, "tone") || !strcmp(mode, "random"))
		settings->mode = DTMF_TRIGGER_TONES;
	else if (mode[0] && strcmp(mode, "zero") && strcmp(mode, "dtmf")) {
		request->error_reason = "Unknown DTMF-security-trigger mode (drop, off, zero, DTMF, silence, tone, random)";
		return -EINVAL;
	}
	return 0;
}

/* block DTMF with trigger (read_dtmf_trigger()'s checked keys) for the request's party */
static int block_dtmf_trigger(struct ng_request *request, const struct media_control_trigger_keys *keys)
{
	struct dtmf_trigger settings = { .end_ms = keys->end_ms, .end_digits = keys->end_digits, .mode = keys->mode };
	memcpy(settings.start, keys->start, sizeof(settings.start));
	memcpy(settings.end, keys->end, sizeof(settings.end));
	struct call *call;
	struct monologue *side;
	int error = command_party(request, &call, &side);
	if (error < 0)
		return error;
	int staged = stage_dtmf_tones(request, call, side, settings.mode == DTMF_TRIGGER_TONES);
	if (staged < 0)
		return staged;
	struct media *media;
	GPtrArray *fresh = g_ptr_array_new_with_free_func(g_free), *replaced = g_ptr_array_new_with_free_func(g_free);
	call_foreach_media(call, media)
		if (!side || media->monologue == side)
			g_ptr_array_add(fresh, g_memdup2(&settings, sizeof(settings)));
	unsigned int next = 0;
	pthread_mutex_lock(&call->lock);
	call_foreach_media(call, media) {
		if (side && media->monologue != side)
			continue;
		media->media_control &= (uint8_t) ~MEDIA_CONTROL_BLOCK_DTMF;
		media->media_control |= MEDIA_CONTROL_DTMF_TRIGGER;
		struct stream_extras *extras = media->streams[STREAM_RTP].extras;
		if (extras->dtmf_trigger)
			g_ptr_array_add(replaced, extras->dtmf_trigger);
		extras->dtmf_trigger = g_ptr_array_index(fresh, next);
		g_ptr_array_index(fresh, next++) = NULL;
		media->dtmf_as_tones = false;   /* the packet path decides, event by event */
		if (staged)
			media_transcode_publish(media);
	}
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	g_ptr_array_free(fresh, TRUE);
	g_ptr_array_free(replaced, TRUE);
	call_foreach_media(call, media)
		if (staged && (!side || media->monologue == side))
			media_transcode_release(media);
	log_call(LOG_INFO, call->call_id, "DTMF trigger '%s' (end '%s', %u ms, %u digits) for %s%s", settings.start,
		 settings.end, settings.end_ms, settings.end_digits, side ? "tag " : "the whole call", side ? side->tag : "");
	if (request->daemon && request->daemon->kernel)
		kernel_backend_sync(request->daemon);
	return 0;
}

/* block DTMF's DTMF-delay (dtmf_delay.h), as upstream documents it (10.5 accepts the key and
 * delays nothing, measured on passthrough and transcoded calls): the party's RTP, audio and
 * events alike, waits delay ms in a line allocated here, then the blocking in force when it
 * leaves decides. 0 turns it off (what still waits leaves at its time). Stays until changed. */
static int set_dtmf_delay(struct ng_request *request, long long delay_ms)
{
	struct call *call;
	struct monologue *side;
	int error = command_party(request, &call, &side);
	if (error < 0)
		return error;
	struct media *media;
	GPtrArray *fresh = g_ptr_array_new_with_free_func((GDestroyNotify) dtmf_delay_line_free);
	call_foreach_media(call, media) {
		if ((side && media->monologue != side) || !delay_ms)
			continue;
		struct dtmf_delay_line *line = dtmf_delay_line_new((unsigned int) delay_ms);
		if (!line) {
			g_ptr_array_free(fresh, TRUE);
			request->error_reason = "Out of memory for the DTMF-delay buffer";
			return -ENOMEM;
		}
		line->stream = &media->streams[STREAM_RTP];
		g_ptr_array_add(fresh, line);
	}
	unsigned int next = 0;
	pthread_mutex_lock(&call->lock);
	call_foreach_media(call, media) {
		if (side && media->monologue != side)
			continue;
		struct stream_extras *extras = media->streams[STREAM_RTP].extras;
		if (delay_ms) {
			/* the line it replaces may hold packets and an armed timer: it drains and is
			 * freed with the media */
			struct dtmf_delay_line *line = g_ptr_array_index(fresh, next);
			g_ptr_array_index(fresh, next++) = NULL;
			line->replaced = extras->dtmf_delay;
			extras->dtmf_delay = line;
			media->media_control |= MEDIA_CONTROL_DTMF_DELAY;
		} else {
			media->media_control &= (uint8_t) ~MEDIA_CONTROL_DTMF_DELAY;
		}
	}
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	g_ptr_array_free(fresh, TRUE);
	log_call(LOG_INFO, call->call_id, "DTMF-delay %lld ms for %s%s", delay_ms, side ? "tag " : "the whole call",
		 side ? side->tag : "");
	return 0;
}

/* block DTMF without trigger: DTMF-security's mode, as 10.5 does on a call it does not
 * transcode (measured): drop (the default) and off drop the events; zero and DTMF let them pass
 * unchanged; silence, tone and random all play each event as its digit's tone pair in the
 * sender's G.711 audio (10.5 reads frequency and volume there but its output does not change
 * with them). mode: the key's value normalised. */
static int read_dtmf_mode(struct ng_request *request, const char *mode, struct media_control_dtmf_keys *keys)
{
	if (!strcmp(mode, "zero") || !strcmp(mode, "dtmf"))
		keys->block_mode = DTMF_BLOCK_PASS;
	else if (!strcmp(mode, "silence") || !strcmp(mode, "tone") || !strcmp(mode, "random"))
		keys->block_mode = DTMF_BLOCK_TONES;
	else if (!mode[0] || !strcmp(mode, "drop") || !strcmp(mode, "off"))
		keys->block_mode = DTMF_BLOCK_DROP;
	else {
		request->error_reason = "Unknown DTMF-security mode (drop, off, zero, DTMF, silence, tone, random)";
		return -EINVAL;
	}
	return 0;
}

/* block DTMF without trigger (read_dtmf_mode()'s block_mode); delayed: the request sets a
 * DTMF-delay too */
static int block_dtmf_mode(struct ng_request *request, uint8_t block_mode, bool delayed)
{
	/* with a DTMF-delay, 10.5 plays the events it lets pass as their tones (measured) */
	if (block_mode == DTMF_BLOCK_PASS && delayed)
		return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, false,
					     "DTMF blocking (DTMF-security: pass, delayed: events played as tones)", 1);
	if (block_mode == DTMF_BLOCK_PASS)
		return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, false, "DTMF blocking (DTMF-security: pass)", 0);
	if (block_mode == DTMF_BLOCK_TONES)
		return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, false,
					     "DTMF blocking (DTMF-security: events played as tones)", 1);
	return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, true, "DTMF blocking", 0);
}

/* block DTMF's keys (DTMF-security, trigger..., DTMF-delay), the one parser of them: read and
 * checked into keys, nothing changed yet. offer_answer: only what an offer, answer or publish
 * asks for (media_control.h): a trigger, or DTMF-security other than off, blocks; a DTMF-delay
 * alone only delays. 0, or -EINVAL with request->error_reason. */
static int read_dtmf_keys(struct ng_request *request, bool offer_answer, struct media_control_dtmf_keys *keys)
{
	*keys = (struct media_control_dtmf_keys) { .action = DTMF_KEYS_NONE, .delay_ms = -1 };
	if (request_key(request, "dtmf-delay")
	    && (!request_integer(request, "dtmf-delay", 0, &keys->delay_ms) || keys->delay_ms < 0
		|| keys->delay_ms > DTMF_DELAY_MAX_MS)) {
		request->error_reason = "DTMF-delay must be 0 to 5000 ms";
		return -EINVAL;
	}
	char mode[32];
	request_mode(request, "dtmf-security", mode, sizeof(mode));
	bool trigger = request_key(request, "trigger") != NULL;
	if (offer_answer && !trigger && !(mode[0] && strcmp(mode, "off"))) {
		/* the keys alone that change nothing in block DTMF either (trigger-end without
		 * trigger) and DTMF-security=off on its own (a config's way to say "no blocking")
		 * leave it be; a DTMF-delay alone delays the party's media and blocks nothing: a
		 * config that asks only for a delay must not lose its DTMF (block DTMF's default
		 * mode is drop) */
		keys->action = keys->delay_ms >= 0 ? DTMF_KEYS_DELAY : DTMF_KEYS_NONE;
		return 0;
	}
	keys->action = trigger ? DTMF_KEYS_TRIGGER : DTMF_KEYS_BLOCK;
	return trigger ? read_dtmf_trigger(request, keys) : read_dtmf_mode(request, mode, keys);
}

/* read_dtmf_keys()'s keys applied to the request's party: blocking first, then the DTMF-delay
 * it goes with; adds nothing to the reply */
static int apply_dtmf_keys(struct ng_request *request, const struct media_control_dtmf_keys *keys)
{
	int result = 0;
	if (keys->action == DTMF_KEYS_TRIGGER)
		result = block_dtmf_trigger(request, &keys->trigger);
	else if (keys->action == DTMF_KEYS_BLOCK)
		result = block_dtmf_mode(request, keys->block_mode, keys->delay_ms > 0);
	if (result < 0 || keys->action == DTMF_KEYS_NONE || keys->delay_ms < 0)
		return result;
	return set_dtmf_delay(request, keys->delay_ms);
}

int ng_command_block_dtmf(struct ng_request *request)
{
	struct media_control_dtmf_keys keys;
	int result = read_dtmf_keys(request, false, &keys);
	return reply_ok(request, result < 0 ? result : apply_dtmf_keys(request, &keys));
}

int media_control_offer_answer_read(struct ng_request *request, struct media_control_dtmf_keys *keys)
{
	return read_dtmf_keys(request, true, keys);
}

/* drop-traffic=start/stop in an offer or answer: as 10.5 measured, every side's media, both
 * directions, RTP and RTCP, is dropped from then on, through plain re-offers, until a later
 * offer or answer says stop. The sides' flag (call.h SIDE_DROP_TRAFFIC) drops in relay.c and
 * keeps the streams out of the kernel. */
static int drop_traffic(struct ng_request *request)
{
	if (!request->flags.drop_traffic)
		return 0;
	struct call *call;
	int error = ng_lookup_call(request, &call);
	if (error < 0)
		return error;
	bool on = request->flags.drop_traffic > 0;
	pthread_mutex_lock(&call->lock);
	for (unsigned int i = 0; i < call->monologue_count; i++) {
		struct monologue *side = call->monologues[i];
		side->flags = on ? side->flags | SIDE_DROP_TRAFFIC : side->flags & ~(unsigned int) SIDE_DROP_TRAFFIC;
	}
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	log_call(LOG_INFO, call->call_id, "drop-traffic %s for the whole call", on ? "on" : "off");
	if (request->daemon && request->daemon->kernel)
		kernel_backend_sync(request->daemon);
	return 0;
}

int media_control_offer_answer(struct ng_request *request, const struct media_control_dtmf_keys *keys)
{
	int error = drop_traffic(request);
	return error < 0 ? error : apply_dtmf_keys(request, keys);
}

int media_control_refuse_dtmf_keys(struct ng_request *request, const char *command)
{
	/* read_dtmf_keys()'s keys, normalised (ng_keys_normalise()) */
	static const char *const keys[] = { "dtmf-security", "dtmf-security-trigger", "dtmf-security-trigger-end",
		"dtmf-delay", "trigger", "trigger-end", "end-trigger", "trigger-end-time", "trigger-end-digits",
		"end-trigger-digits" };
	char mode[32];
	request_mode(request, "dtmf-security", mode, sizeof(mode));
	const struct bencode_item *input = request->input;
	for (const struct bencode_item *key = input && input->type == BENCODE_DICTIONARY ? input->first_child : NULL;
	     key && key->next_sibling; key = key->next_sibling->next_sibling) {
		char name[32];
		ng_keys_normalise(key->string, key->string_length, name, sizeof(name));
		bool found = false;
		for (size_t k = 0; k < G_N_ELEMENTS(keys) && !found; k++)
			found = !strcmp(name, keys[k]);
		/* DTMF-security=off asks for nothing, as in an offer (a config's "no blocking") */
		if (!found || (!strcmp(name, "dtmf-security") && !strcmp(mode, "off")))
			continue;
		char text[200];
		int length = snprintf(text, sizeof(text), "%.*s in %s is not supported by this relay (block DTMF's key: "
				      "it would change the source's media for its peer too; use block DTMF)",
				      (int) (key->string_length < 40 ? key->string_length : 40), key->string, command);
		request->error_reason = bencode_buffer_strdup_length(request->buffer, text,
			length < 0 ? 0 : (size_t) length < sizeof(text) ? (size_t) length : sizeof(text) - 1);
		return -ENOTSUP;
	}
	return 0;
}

int ng_command_unblock_dtmf(struct ng_request *request)
{
	return reply_ok(request, media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, false, "DTMF blocking", 0));
}

int ng_command_block_media(struct ng_request *request)
{
	return reply_ok(request, media_control_command(request, MEDIA_CONTROL_BLOCK_MEDIA, true, "media blocking", -1));
}

int ng_command_unblock_media(struct ng_request *request)
{
	return reply_ok(request, media_control_command(request, MEDIA_CONTROL_BLOCK_MEDIA, false, "media blocking", -1));
}

int ng_command_silence_media(struct ng_request *request)
{
	return reply_ok(request, media_control_command(request, MEDIA_CONTROL_SILENCE_MEDIA, true, "media silencing", -1));
}

int ng_command_unsilence_media(struct ng_request *request)
{
	return reply_ok(request, media_control_command(request, MEDIA_CONTROL_SILENCE_MEDIA, false, "media silencing", -1));
}

int media_control_set_dtmf_log_dest(const union endpoint *destination)
{
	media_control_stop();
	if (!destination || !endpoint_is_set(destination))
		return 0;
	int fd = socket(destination->address.sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	dtmf_log_fd = fd;
	dtmf_log_dest = *destination;
	return 0;
}

void media_control_stop(void)
{
	if (dtmf_log_fd >= 0)
		close(dtmf_log_fd);
	dtmf_log_fd = -1;
}

void media_control_report(const struct media_control_dtmf *dtmf)
{
	char address[ENDPOINT_TEXT_SIZE];
	endpoint_address_text(&dtmf->source, address, sizeof(address));
	log_call(LOG_INFO, dtmf->call_id, "DTMF event %u (%u ms, volume %u) from tag '%s' at %s", dtmf->event,
		 dtmf->duration_ms, dtmf->volume, dtmf->source_tag ? dtmf->source_tag : "", address);
	if (dtmf_log_fd < 0)
		return;
	/* upstream's layout, key for key (observed from rtpengine 10.5) */
	GString *json = g_string_sized_new(256);
	g_string_append(json, "{\"callid\":");
	append_json_string(json, dtmf->call_id);
	g_string_append(json, ",\"source_tag\":");
	append_json_string(json, dtmf->source_tag);
	g_string_append(json, ",\"tags\":[");
	for (unsigned int i = 0; i < dtmf->tag_count; i++) {
		if (i)
			g_string_append_c(json, ',');
		append_json_string(json, dtmf->tags[i]);
	}
	g_string_append_printf(json, "],\"type\":\"DTMF\",\"timestamp\":%lld,\"source_ip\":",
			       (long long) (now_realtime_us() / 1000000));
	append_json_string(json, address);
	g_string_append_printf(json, ",\"event\":%u,\"duration\":%u,\"volume\":%u}", dtmf->event,
			       dtmf->duration_ms, dtmf->volume);
	if (sendto(dtmf_log_fd, json->str, json->len, 0, &dtmf_log_dest.address, endpoint_length(&dtmf_log_dest)) < 0)
		log_call(LOG_DEBUG, dtmf->call_id, "DTMF log: %s", strerror(errno));
	g_string_free(json, TRUE);
}

void media_control_learn_sdp(struct media *media, const struct sdp_media *sdp_media)
{
	struct codec_list list;
	media->media_control &= (uint8_t) ~(MEDIA_CONTROL_DETECT_DTMF | MEDIA_CONTROL_INBAND_DTMF);
	media->telephone_event_clock = 0;
	memset(&media->telephone_event_types, 0, sizeof(media->telephone_event_types));
	memset(&media->pcmu_types, 0, sizeof(media->pcmu_types));
	memset(&media->pcma_types, 0, sizeof(media->pcma_types));
	media->dtmf_audio_known = false;
	if (codec_list_from_media(sdp_media, &list) < 0)
		return;
	bool audio_set = false, event_set = false;
	for (unsigned int i = 0; i < list.count; i++) {
		const struct codec *codec = &list.codecs[i];
		bool g711 = codec->clock_rate == 8000
			&& (!g_ascii_strcasecmp(codec->name, "PCMU") || !g_ascii_strcasecmp(codec->name, "PCMA"));
		if (g711 && !audio_set) {
			audio_set = true;
			media->dtmf_audio_type = (uint8_t) codec->payload_type;
			media->dtmf_audio_alaw = !g_ascii_strcasecmp(codec->name, "PCMA");
		}
		if (!g_ascii_strcasecmp(codec->name, "telephone-event") && codec->clock_rate == 8000 && !event_set) {
			event_set = true;
			media->dtmf_event_type = (uint8_t) codec->payload_type;
		}
		media->dtmf_audio_known = audio_set && event_set;
		if (!g_ascii_strcasecmp(codec->name, "telephone-event")) {
			codec_payload_set_add(&media->telephone_event_types, codec->payload_type);
			if (!media->telephone_event_clock)
				media->telephone_event_clock = codec->clock_rate;
			if (dtmf_log_fd >= 0)
				media->media_control |= MEDIA_CONTROL_DETECT_DTMF;
		}
		else if (!g_ascii_strcasecmp(codec->name, "PCMU") && codec->clock_rate == 8000)
			codec_payload_set_add(&media->pcmu_types, codec->payload_type);
		else if (!g_ascii_strcasecmp(codec->name, "PCMA") && codec->clock_rate == 8000)
			codec_payload_set_add(&media->pcma_types, codec->payload_type);
	}
}

/* RFC 4733 section 2.3: event, E bit, volume, duration of the first end packet (the end is
 * sent three times; later ones carry the same RTP timestamp and are not reported again). */
static void detect_dtmf(struct stream *stream, struct stream_extras *extras, const unsigned char *payload,
		const struct rtp_header_info *header, const union endpoint *source, struct media_control_dtmf *dtmf,
		bool *dtmf_seen)
{
	if (header->payload_length < 4 || !(payload[1] & 0x80))
		return;
	if (extras->dtmf_reported && extras->dtmf_timestamp == header->timestamp)
		return;
	extras->dtmf_reported = true;
	extras->dtmf_timestamp = header->timestamp;
	const struct call *call = stream->call;
	const struct monologue *side = stream->media->monologue;
	unsigned int clock = extras->telephone_event_clock ? extras->telephone_event_clock : 8000;
	*dtmf = (struct media_control_dtmf) {
		.call_id = call->call_id, .source_tag = side->tag, .source = *source, .event = payload[0],
		.volume = payload[1] & 0x3f,
		.duration_ms = (unsigned int) (((uint64_t) ((payload[2] << 8) | payload[3]) * 1000) / clock),
	};
	for (unsigned int i = call->monologue_count; i > 0 && dtmf->tag_count < G_N_ELEMENTS(dtmf->tags); i--)
		if (call->monologues[i - 1]->tag)
			dtmf->tags[dtmf->tag_count++] = call->monologues[i - 1]->tag;
	*dtmf_seen = true;
}

bool media_control_inband_dtmf(const struct stream *stream, const union endpoint *source, unsigned int event,
		unsigned int duration_ms, unsigned int volume, struct media_control_dtmf *dtmf)
{
	if (dtmf_log_fd < 0)
		return false;
	const struct call *call = stream->call;
	*dtmf = (struct media_control_dtmf) {
		.call_id = call->call_id, .source_tag = stream->media->monologue->tag, .source = *source,
		.event = event, .duration_ms = duration_ms, .volume = volume,
	};
	for (unsigned int i = call->monologue_count; i > 0 && dtmf->tag_count < G_N_ELEMENTS(dtmf->tags); i--)
		if (call->monologues[i - 1]->tag)
			dtmf->tags[dtmf->tag_count++] = call->monologues[i - 1]->tag;
	return true;
}

/* One digit of a sequence being matched: the new progress (a mismatch starts over, with this
 * digit as the first when it is the sequence's first). */
static uint8_t sequence_progress(const char *sequence, uint8_t progress, int event)
{
	if (dtmf_digit_event(sequence[progress]) == event)
		return (uint8_t) (progress + 1);
	return dtmf_digit_event(sequence[0]) == event ? 1 : 0;
}

/* block DTMF with trigger (block_dtmf_trigger()), for an event packet: true to drop it. The
 * state before this packet decides; a new event (RTP timestamp) then moves the sequences on. */
static bool dtmf_trigger_drops(struct stream_extras *extras, const unsigned char *payload,
		const struct rtp_header_info *header)
{
	struct dtmf_trigger *trigger = extras->dtmf_trigger;
	if (!trigger)
		return false;
	int64_t now = timer_now_us();
	if (trigger->active && trigger->end_ms && now - trigger->since_us >= (int64_t) trigger->end_ms * 1000)
		trigger->active = false;
	bool active = trigger->active;
	if (extras->transcode)
		codec_chain_play_events_as_tones(extras->transcode, active && trigger->mode == DTMF_TRIGGER_TONES);
	bool drop = active && trigger->mode == DTMF_TRIGGER_DROP;
	if (header->payload_length < 4 || (trigger->event_seen && trigger->event_ts == header->timestamp))
		return drop;
	trigger->event_seen = true;
	trigger->event_ts = header->timestamp;
	int event = payload[0];
	if (!active && trigger->start[0]) {
		trigger->progress = sequence_progress(trigger->start, trigger->progress, event);
		if (!trigger->start[trigger->progress]) {
			trigger->active = true;
			trigger->since_us = now;
			trigger->progress = trigger->end_progress = 0;
			trigger->digits_since = 0;
		}
	} else if (active && trigger->end[0]) {
		trigger->end_progress = sequence_progress(trigger->end, trigger->end_progress, event);
		if (trigger->digits_since < UINT16_MAX)
			trigger->digits_since++;
		if (!trigger->end[trigger->end_progress]
		    || (trigger->end_digits && trigger->digits_since >= trigger->end_digits)) {
			trigger->active = false;
			trigger->progress = trigger->end_progress = 0;
		}
	}
	return drop;
}

bool media_control_drops(struct stream *stream, unsigned char *packet, size_t length,
		const union endpoint *source, struct media_control_dtmf *dtmf, bool *dtmf_seen)
{
	struct stream_extras *extras = stream->media->streams[STREAM_RTP].extras;
	unsigned int control = extras->media_control;
	if (control & MEDIA_CONTROL_BLOCK_MEDIA)
		return true;
	struct rtp_header_info header;
	if (rtp_header_parse(packet, length, &header) < 0)
		return false;   /* not ours to judge: relayed as before */
	/* RFC 4733 events by their negotiated payload type (a dynamic one, so from the SDP) */
	if (codec_payload_set_has(&extras->telephone_event_types, header.payload_type)) {
		if (control & MEDIA_CONTROL_DETECT_DTMF)
			detect_dtmf(stream, extras, packet + header.header_length, &header, source, dtmf, dtmf_seen);
		if (control & MEDIA_CONTROL_DTMF_TRIGGER)
			return dtmf_trigger_drops(extras, packet + header.header_length, &header);
		return (control & MEDIA_CONTROL_BLOCK_DTMF) != 0;
	}
	/* detect-DTMF (media_dtmf_detect.h): a copy decoded before silencing, the packet unchanged */
	if ((control & MEDIA_CONTROL_INBAND_DTMF) && !(stream->forward_flags & FORWARD_TRANSCODE))
		*dtmf_seen |= media_dtmf_detect_feed(stream, packet, length, source, dtmf);
	if (control & MEDIA_CONTROL_SILENCE_MEDIA) {
		int silence = codec_payload_set_has(&extras->pcmu_types, header.payload_type) ? MEDIA_CONTROL_PCMU_SILENCE
			: codec_payload_set_has(&extras->pcma_types, header.payload_type) ? MEDIA_CONTROL_PCMA_SILENCE : -1;
		if (silence >= 0)
			memset(packet + header.header_length, silence, header.payload_length);
	}
	return false;
}

/* ---- play DTMF ---------------------------------------------------------------------------- */

/* RFC 4733 section 3.2: events 0-9, *, #, A-D are 0-15 */
static int dtmf_event_code(const char *code)
{
	static const char digits[] = "0123456789*#ABCD";
	if (!code || !*code)
		return -EINVAL;
	if (!code[1]) {
		const char *found = strchr(digits, g_ascii_toupper(code[0]));
		return found ? (int) (found - digits) : -EINVAL;
	}
	char *end;
	long value = strtol(code, &end, 10);
	return *end || value < 0 || value > 15 ? -EINVAL : (int) value;
}

/* Whether the party has sent RTP on any of its media (10.5's "SSRC context"); under the
 * call's lock, the worker writes the counters. */
static bool party_sent_media(struct monologue *side)
{
	bool sent = false;
	for (unsigned int i = 0; i < side->media_count && !sent; i++)
		sent = !side->media[i]->rejected && side->media[i]->streams[STREAM_RTP].counters.packets > 0;
	return sent;
}

int ng_command_play_dtmf(struct ng_request *request)
{
	struct call *call;
	struct monologue *side;
	int error = ng_lookup_call_side(request, NG_SIDE_FIRST, &call, &side);
	if (error < 0)
		return error;
	/* a digit, or the event's number (as string or integer) */
	int event = dtmf_event_code(bencode_dictionary_get_string(request->buffer, request->input, "code", NULL));
	if (event < 0) {
		request->error_reason = "Invalid or missing DTMF code";
		return -EINVAL;
	}
	/* as 10.5 (measured): 250 ms unless given, shorter ones play as 100 ms; a pause of 100 ms
	 * (100 to 5000) before an event that waited for the one before it */
	long long duration = 250, volume = 8, pause = 100;
	bencode_dictionary_get_integer(request->input, "duration", &duration);
	bencode_dictionary_get_integer(request->input, "volume", &volume);
	bencode_dictionary_get_integer(request->input, "pause", &pause);
	if (volume < 0)
		volume = -volume;   /* as 10.5: dB below 0 dBm0 whichever sign it is given with */
	if (duration < 0 || duration > 5000 || volume > 63 || pause < 0 || pause > 5000) {
		request->error_reason = "DTMF duration and pause must be up to 5000 ms, volume -63 to 63";
		return -EINVAL;
	}
	duration = duration < 100 ? 100 : duration;
	pause = pause < 100 ? 100 : pause;
	/* inject-DTMF towards the receiving side, or a transcoded call (as 10.5): into the party's
	 * stream through its chain, as RFC 4733 events in that stream when its peer has
	 * telephone-event, else as tones */
	for (unsigned int i = 0; i < side->media_count; i++) {
		struct media *media = side->media[i];
		if (media->rejected || !media->streams[STREAM_RTP].extras->transcode)
			continue;
		pthread_mutex_lock(&call->lock);
		struct codec_chain *chain = media->streams[STREAM_RTP].extras->transcode;
		int injected = chain ? codec_chain_inject_dtmf(chain, (unsigned int) event, (unsigned int) volume,
							       (unsigned int) duration, (unsigned int) pause) : -ENOENT;
		pthread_mutex_unlock(&call->lock);
		if (injected == -EBUSY) {
			request->error_reason = "Too many DTMF events waiting to be played";
			return -EBUSY;
		}
		if (injected == -ENODATA) {
			request->error_reason = "No SSRC context present for DTMF injection";   /* 10.5's words */
			return -ENODATA;
		}
		if (injected < 0)
			continue;
		log_call(LOG_INFO, call->call_id, "injecting DTMF event %d (%lld ms) into the stream of tag '%s'",
			 event, duration, side->tag ? side->tag : "");
		bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
		return 0;
	}
	/* No chain: the party's packets are forwarded as they come, and an event of a stream of
	 * our own would be a second SSRC its peer did not expect. 10.5 sends nothing here: it
	 * refuses before the party has sent media and otherwise answers ok; so do we, saying in
	 * the reply's warning that nothing was injected. */
	pthread_mutex_lock(&call->lock);
	bool sent = party_sent_media(side);
	pthread_mutex_unlock(&call->lock);
	if (!sent) {
		request->error_reason = "No SSRC context present for DTMF injection";   /* 10.5's words */
		return -ENODATA;
	}
	request->warning = "DTMF not injected: the call was set up without inject-DTMF towards this "
		"party's peer and is not transcoded (as 10.5, which also sends nothing)";
	log_call(LOG_WARNING, call->call_id, "play DTMF as tag '%s': nothing injected, no inject-DTMF towards "
		 "its peer and not transcoded", side->tag ? side->tag : "");
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

static void media_control_call_ended(const struct call_event *event)
{
	media_player_call_ended(event);
}

/* play media's observer (play DTMF goes through the chains, freed with the call) */
const struct call_observer media_control_call_observer = {
	.name = "media control (play media)",
	.ended = media_control_call_ended,
};

/* ---- Redis (redis_value.c) --------------------------------------------------------------- */

void media_control_save(const struct media *media, struct media_control_saved *saved)
{
	memset(saved, 0, sizeof(*saved));
	saved->flags = (uint8_t) (media->media_control & MEDIA_CONTROL_SAVED_FLAGS);
	/* block DTMF's audio modes (silence, tone, random): as_tones, and blocking as well, so that
	 * a reader that does not rebuild the tone chain (a daemon before as_tones) keeps the digits
	 * hidden (dropped) rather than passing them unchanged */
	if (media->dtmf_as_tones) {
		saved->flags |= MEDIA_CONTROL_BLOCK_DTMF;
		saved->as_tones = true;
	}
	if (media->dtmf_audio_known) {
		saved->tones_known = true;
		saved->tones_alaw = media->dtmf_audio_alaw;
		saved->tones_audio_type = media->dtmf_audio_type;
		saved->tones_event_type = media->dtmf_event_type;
	}
	saved->event_clock = media->telephone_event_clock;
	memcpy(saved->events, media->telephone_event_types.bits, sizeof(saved->events));
	memcpy(saved->pcmu, media->pcmu_types.bits, sizeof(saved->pcmu));
	memcpy(saved->pcma, media->pcma_types.bits, sizeof(saved->pcma));
	const struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	if ((media->media_control & MEDIA_CONTROL_DTMF_DELAY) && extras->dtmf_delay)
		saved->delay_ms = extras->dtmf_delay->delay_ms;
	else
		saved->flags &= (uint8_t) ~MEDIA_CONTROL_DTMF_DELAY;
	const struct dtmf_trigger *trigger = extras->dtmf_trigger;
	if (!trigger || !(media->media_control & MEDIA_CONTROL_DTMF_TRIGGER)) {
		saved->flags &= (uint8_t) ~MEDIA_CONTROL_DTMF_TRIGGER;
		return;
	}
	saved->trigger = true;
	memcpy(saved->trigger_start, trigger->start, sizeof(saved->trigger_start));
	memcpy(saved->trigger_end, trigger->end, sizeof(saved->trigger_end));
	saved->trigger_end_ms = trigger->end_ms;
	saved->trigger_end_digits = trigger->end_digits;
	saved->trigger_digits_since = trigger->digits_since;
	saved->trigger_mode = trigger->mode;
	saved->trigger_active = trigger->active;
	saved->trigger_event_seen = trigger->event_seen;
	saved->trigger_progress = trigger->progress;
	saved->trigger_end_progress = trigger->end_progress;
	saved->trigger_event_ts = trigger->event_ts;
	/* since_us is on the monotonic timer clock: the value carries the wall-clock time instead */
	if (trigger->active) {
		int64_t elapsed = timer_now_us() - trigger->since_us;
		saved->trigger_fired_us = now_realtime_us() - (elapsed > 0 ? elapsed : 0);
	}
}

/* A trigger sequence of the value: NUL-terminated DTMF digits, progress within it. */
static bool saved_sequence_valid(const char *sequence, size_t size, uint8_t progress)
{
	size_t length = strnlen(sequence, size);
	return length < size && dtmf_digits_valid(sequence) && (progress == 0 || progress < length);
}

/* block DTMF's audio mode (saved->as_tones, or a trigger's tones mode) on a media being
 * restored: the tone chain built again as block DTMF builds it and put in place (the worker
 * does not reach the media yet), or a subscriber's chain told to play the events. false when
 * no chain plays them (a value without "tones", from a daemon before it; a chain this build
 * cannot make): the caller drops the events instead, so they stay hidden. */
static bool restore_tone_chain(struct media *media, const struct media_control_saved *saved, bool as_tones)
{
	if (saved->tones_known) {
		media->dtmf_audio_known = true;
		media->dtmf_audio_alaw = saved->tones_alaw;
		media->dtmf_audio_type = saved->tones_audio_type;
		media->dtmf_event_type = saved->tones_event_type;
	}
	bool trigger_tones = saved->trigger && saved->trigger_mode == DTMF_TRIGGER_TONES;
	if (!as_tones && !trigger_tones)
		return true;
	const char *reason = NULL;
	int staged = media_transcode_stage_dtmf_tones(media, true, &reason);
	if (staged < 0) {
		log_call(LOG_WARNING, media->monologue->call->call_id,
			 "media %u: DTMF-security's tone chain not restored (%s): its events are dropped", media->index,
			 reason ? reason : "unknown");
		return false;
	}
	struct codec_chain *chain = media->streams[STREAM_RTP].extras->transcode;
	if (!staged && !chain) {
		log_call(LOG_INFO, media->monologue->call->call_id,
			 "media %u: no tone chain for DTMF-security's audio mode (the value does not say how to "
			 "build one): its events are dropped", media->index);
		return false;
	}
	media->dtmf_as_tones = as_tones;
	if (staged) {
		media_transcode_publish(media);   /* plays as media->dtmf_as_tones says */
		media_transcode_release(media);
	} else if (chain) {
		codec_chain_play_events_as_tones(chain, as_tones);
	}
	return true;
}

int media_control_restore(struct media *media, const struct media_control_saved *saved)
{
	if ((saved->flags & ~MEDIA_CONTROL_SAVED_FLAGS)
	    || ((saved->flags & MEDIA_CONTROL_DTMF_DELAY) && (saved->delay_ms < 1 || saved->delay_ms > DTMF_DELAY_MAX_MS))
	    || ((saved->flags & MEDIA_CONTROL_DTMF_TRIGGER) && !saved->trigger)
	    || (saved->tones_known && (saved->tones_audio_type > 127 || saved->tones_event_type > 127))
	    || (saved->as_tones && (saved->flags & MEDIA_CONTROL_DTMF_TRIGGER))
	    || saved->trigger_fired_us < 0)
		return -EINVAL;
	if (saved->trigger
	    && (!saved_sequence_valid(saved->trigger_start, sizeof(saved->trigger_start), saved->trigger_progress)
		|| !saved_sequence_valid(saved->trigger_end, sizeof(saved->trigger_end), saved->trigger_end_progress)
		|| saved->trigger_mode > DTMF_TRIGGER_TONES || saved->trigger_end_ms > 3600000))
		return -EINVAL;
	struct dtmf_delay_line *line = NULL;
	if (saved->flags & MEDIA_CONTROL_DTMF_DELAY) {
		line = dtmf_delay_line_new(saved->delay_ms);
		if (!line)
			return -ENOMEM;
		line->stream = &media->streams[STREAM_RTP];
	}
	uint8_t flags = saved->flags;
	/* an audio mode: tones again (its BLOCK_DTMF is for readers that cannot), or, when this
	 * build cannot make the chain, dropped (hidden) as those readers do */
	bool tones = restore_tone_chain(media, saved, saved->as_tones);
	if (tones && saved->as_tones)
		flags &= (uint8_t) ~MEDIA_CONTROL_BLOCK_DTMF;
	struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	if (saved->flags & MEDIA_CONTROL_DTMF_TRIGGER) {
		struct dtmf_trigger *trigger = g_new0(struct dtmf_trigger, 1);
		memcpy(trigger->start, saved->trigger_start, sizeof(trigger->start));
		memcpy(trigger->end, saved->trigger_end, sizeof(trigger->end));
		trigger->end_ms = saved->trigger_end_ms;
		trigger->end_digits = saved->trigger_end_digits;
		trigger->digits_since = saved->trigger_digits_since;
		trigger->mode = saved->trigger_mode == DTMF_TRIGGER_TONES && !tones ? DTMF_TRIGGER_DROP : saved->trigger_mode;
		trigger->active = saved->trigger_active;
		trigger->event_seen = saved->trigger_event_seen;
		trigger->progress = saved->trigger_progress;
		trigger->end_progress = saved->trigger_end_progress;
		trigger->event_ts = saved->trigger_event_ts;
		/* trigger-end-time counts from the firing (a value before trigger_fired_us: from now);
		 * a firing "in the future" (another host's clock ahead of ours) counts from now */
		int64_t elapsed = saved->trigger_active && saved->trigger_fired_us ? now_realtime_us() - saved->trigger_fired_us : 0;
		trigger->since_us = timer_now_us() - (elapsed > 0 ? elapsed : 0);
		g_free(extras->dtmf_trigger);
		extras->dtmf_trigger = trigger;
	}
	if (line) {
		line->replaced = extras->dtmf_delay;
		extras->dtmf_delay = line;
	}
	media->media_control = (uint8_t) ((media->media_control & ~MEDIA_CONTROL_SAVED_FLAGS) | flags);
	media->telephone_event_clock = saved->event_clock;
	memcpy(media->telephone_event_types.bits, saved->events, sizeof(saved->events));
	memcpy(media->pcmu_types.bits, saved->pcmu, sizeof(saved->pcmu));
	memcpy(media->pcma_types.bits, saved->pcma, sizeof(saved->pcma));
	if (dtmf_log_fd >= 0 && saved->event_clock)
		media->media_control |= MEDIA_CONTROL_DETECT_DTMF;
	return 0;
}
