/* The Redis value of a call: JSON encoder and decoder; see redis_value.h and docs/redis.md. */
#include "redis_value.h"

#include <errno.h>
#include <glib.h>
#include <json.h>
#include <string.h>
#include "interface.h"
#include "bundle.h"
#include "dtls.h"
#include "media_control.h"
#include "media_crypto.h"
#include "pubsub.h"
#include "recording.h"

/* ---- encoder ---------------------------------------------------------------------------- */

/* What the media worker writes, copied under the call's lock (plain loads only). */
struct worker_state {
	uint8_t state;
	union endpoint learned;
};

struct media_positions {
	bool dtls, dtls_client;
	uint16_t dtls_profile;
	uint8_t dtls_material_length;
	unsigned char dtls_material[92];
	unsigned int decrypt_count, encrypt_count;
	struct srtp_ssrc_position decrypt[SRTP_SSRC_SLOTS], encrypt[SRTP_SSRC_SLOTS];
	struct redis_dtls_keys rtcp;   /* the RTCP port's own association (no rtcp-mux) */
	/* BUNDLE: the owner's table (the worker learns SSRCs into it) and its members' indexes */
	bool bundle_group;
	unsigned int bundle_member_count;
	uint8_t bundle_members[BUNDLE_MAX_MEDIA];
	struct bundle_demux bundle_demux;
	struct media_control_saved control;   /* block/silence media, block DTMF, DTMF-delay */
};

/* The value is written straight into one growing buffer: json-c's object tree (a hash table
 * per object) cost 78 us per value, this about a tenth; the decoder still uses json-c. Keys are
 * written by the caller with their comma and colon ("\"key\":"), in a fixed order. */

static void put_string(GString *out, const char *value)
{
	if (!value) {
		g_string_append(out, "null");
		return;
	}
	g_string_append_c(out, '"');
	for (const unsigned char *c = (const unsigned char *) value; *c; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_c(out, '\\'), g_string_append_c(out, (char) *c);
		else if (*c < 0x20)
			g_string_append_printf(out, "\\u%04x", *c);
		else
			g_string_append_c(out, (char) *c);
	}
	g_string_append_c(out, '"');
}

static void put_key_string(GString *out, const char *key, const char *value)
{
	g_string_append(out, key);
	put_string(out, value);
}

/* Decimal by hand: printf's machinery was a third of a value's encoding (callgrind). */
static void put_int(GString *out, int64_t value)
{
	char digits[24];
	size_t at = sizeof(digits);
	uint64_t magnitude = value < 0 ? 0 - (uint64_t) value : (uint64_t) value;
	do {
		digits[--at] = (char) ('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude);
	if (value < 0)
		digits[--at] = '-';
	g_string_append_len(out, digits + at, (gssize) (sizeof(digits) - at));
}

static void put_key_int(GString *out, const char *key, int64_t value)
{
	g_string_append(out, key);
	put_int(out, value);
}

static void put_key_bool(GString *out, const char *key, bool value)
{
	g_string_append(out, key);
	g_string_append(out, value ? "true" : "false");
}

static void put_key_endpoint(GString *out, const char *key, const union endpoint *endpoint)
{
	char text[80];
	put_key_string(out, key, endpoint_is_set(endpoint) ? endpoint_text(endpoint, text, sizeof(text)) : NULL);
}

static void put_key_crypto(GString *out, const char *key, const struct sdes_crypto *crypto)
{
	char line[SDES_MAX_FORMATTED_LENGTH];
	put_key_string(out, key, sdes_format(crypto, line, sizeof(line)) > 0 ? line : NULL);
}

static void put_positions(GString *out, const char *key, const struct srtp_ssrc_position *positions,
                          unsigned int count)
{
	g_string_append(out, key);
	g_string_append_c(out, '[');
	for (unsigned int i = 0; i < count; i++) {
		put_key_int(out, i ? ",{\"ssrc\":" : "{\"ssrc\":", positions[i].ssrc);
		if (positions[i].rtp_seen)
			put_key_int(out, ",\"rtp\":", (int64_t) positions[i].rtp_index);
		if (positions[i].rtcp_seen)
			put_key_int(out, ",\"rtcp\":", (int64_t) positions[i].rtcp_index);
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
}

static void put_material(GString *out, const char *key, const unsigned char *material, unsigned int length)
{
	static const char digits[] = "0123456789abcdef";
	g_string_append(out, key);
	g_string_append_c(out, '"');
	for (unsigned int k = 0; k < length; k++) {
		g_string_append_c(out, digits[material[k] >> 4]);
		g_string_append_c(out, digits[material[k] & 15]);
	}
	g_string_append_c(out, '"');
}

/* BUNDLE (optional fields): the media's a=mid, group membership and transport, and on the
 * owner the demultiplexing table as the worker had it. */
static void put_bundle(GString *out, const struct media *media, const struct media_positions *positions)
{
	if (media->mid[0])
		put_key_string(out, ",\"mid\":", media->mid);
	if (media->bundled)
		put_key_bool(out, ",\"bundled\":", true);
	if (!media->bundle_owner)
		return;
	put_key_int(out, ",\"bundle\":{\"owner\":", (int64_t) media->bundle_owner->index - 1);
	put_key_int(out, ",\"index\":", media->streams[STREAM_RTP].extras->bundle_index);
	put_key_int(out, ",\"extension_id\":", media->bundle_extension_id);
	g_string_append_c(out, '}');
	if (!positions->bundle_group)
		return;
	const struct bundle_demux *demux = &positions->bundle_demux;
	put_key_int(out, ",\"bundle_group\":{\"extension_id\":", demux->mid_extension_id);
	g_string_append(out, ",\"members\":[");
	for (unsigned int k = 0; k < positions->bundle_member_count; k++)
		put_key_int(out, k ? "," : "", positions->bundle_members[k]);
	g_string_append(out, "],\"mids\":[");
	for (unsigned int k = 0; k < demux->media_count; k++) {
		if (k)
			g_string_append_c(out, ',');
		put_string(out, demux->mids[k]);
	}
	g_string_append(out, "],\"ssrcs\":[");
	for (unsigned int k = 0; k < demux->ssrc_count; k++) {
		put_key_int(out, k ? ",[" : "[", demux->ssrcs[k].ssrc);
		put_key_int(out, ",", demux->ssrcs[k].media);
		g_string_append_c(out, ']');
	}
	g_string_append(out, "],\"payload_types\":[");
	bool first = true;
	for (unsigned int type = 0; type < BUNDLE_PAYLOAD_TYPES; type++) {
		if (!demux->payload_types[type])
			continue;
		put_key_int(out, first ? "[" : ",[", type);
		put_key_int(out, ",", demux->payload_types[type]);
		g_string_append_c(out, ']');
		first = false;
	}
	g_string_append(out, "]}");
}

static int monologue_index(const struct call *call, const struct monologue *monologue)
{
	for (unsigned int i = 0; i < call->monologue_count; i++)
		if (call->monologues[i] == monologue)
			return (int) i;
	return -1;
}

/* Call recording: "recording" (version 2: recording or paused, its metadata) and the optional
 * "recording_files" (the files' prefix, forwarding, output destination and metadata; present
 * while the files are open, also when the call is only forwarded). */
static void put_recording(GString *out, const struct call *call)
{
	struct recording_saved_state saved;
	if (!recording_saved_state(call, &saved))
		return;
	if (saved.state) {
		put_key_string(out, ",\"recording\":{\"state\":", saved.state == 2 ? "paused" : "yes");
		put_key_string(out, ",\"metadata\":", saved.metadata);
		g_string_append_c(out, '}');
	}
	put_key_string(out, ",\"recording_files\":{\"prefix\":", saved.prefix);
	put_key_bool(out, ",\"forwarding\":", saved.forwarding);
	g_string_append(out, ",\"forwarding_sides\":[");
	bool first = true;
	for (unsigned int side = 0; side < 32; side++) {
		if (saved.forwarding_sides & (1u << side)) {
			put_key_int(out, first ? "" : ",", side);
			first = false;
		}
	}
	g_string_append_c(out, ']');
	put_key_string(out, ",\"metadata\":", saved.metadata);
	put_key_string(out, ",\"output_destination\":", saved.output_destination);
	g_string_append_c(out, '}');
}

static void put_payload_types(GString *out, const char *key, const uint64_t bits[2])
{
	g_string_append(out, key);
	g_string_append_c(out, '[');
	bool first = true;
	for (unsigned int type = 0; type < 128; type++) {
		if (!(bits[type / 64] & (1ull << (type % 64))))
			continue;
		if (!first)
			g_string_append_c(out, ',');
		put_int(out, type);
		first = false;
	}
	g_string_append_c(out, ']');
}

/* Media control (optional "control", absent: nothing set): see media_control_saved */
/* A chain's codecs as media_transcode_saved has them: key, then an object left open */
static void put_chain_codecs(GString *out, const char *key, const struct media_transcode_saved *chain)
{
	g_string_append(out, key);
	put_key_string(out, "{\"from\":", chain->leg);
	put_key_string(out, ",\"from_fmtp\":", chain->leg_fmtp);
	put_key_string(out, ",\"from_events\":", chain->leg_events);
	put_key_string(out, ",\"from_events_fmtp\":", chain->leg_events_fmtp);
	put_key_string(out, ",\"to\":", chain->peer);
	put_key_string(out, ",\"to_fmtp\":", chain->peer_fmtp);
	put_key_string(out, ",\"to_events\":", chain->peer_events);
	put_key_string(out, ",\"to_events_fmtp\":", chain->peer_events_fmtp);
	put_key_int(out, ",\"bit_rate\":", chain->bit_rate);
}

static void put_control(GString *out, const struct media_control_saved *control)
{
	if (!control->flags && !control->event_clock && !control->tones_known && !control->events[0] && !control->events[1]
	    && !control->pcmu[0] && !control->pcmu[1] && !control->pcma[0] && !control->pcma[1])
		return;
	put_key_int(out, ",\"control\":{\"flags\":", control->flags);
	put_key_int(out, ",\"event_clock\":", control->event_clock);
	put_payload_types(out, ",\"events\":", control->events);
	put_payload_types(out, ",\"pcmu\":", control->pcmu);
	put_payload_types(out, ",\"pcma\":", control->pcma);
	put_key_int(out, ",\"delay_ms\":", control->delay_ms);
	/* block DTMF's audio modes: what the tone chain is built from, and whether one is on */
	if (control->tones_known) {
		put_key_int(out, ",\"tones\":{\"audio\":", control->tones_audio_type);
		put_key_bool(out, ",\"alaw\":", control->tones_alaw);
		put_key_int(out, ",\"events\":", control->tones_event_type);
		g_string_append_c(out, '}');
	}
	if (control->as_tones)
		put_key_bool(out, ",\"as_tones\":", true);
	if (control->trigger) {
		put_key_string(out, ",\"trigger\":{\"start\":", control->trigger_start);
		put_key_string(out, ",\"end\":", control->trigger_end);
		put_key_int(out, ",\"end_ms\":", control->trigger_end_ms);
		put_key_int(out, ",\"end_digits\":", control->trigger_end_digits);
		put_key_int(out, ",\"mode\":", control->trigger_mode);
		put_key_bool(out, ",\"active\":", control->trigger_active);
		put_key_int(out, ",\"progress\":", control->trigger_progress);
		put_key_int(out, ",\"end_progress\":", control->trigger_end_progress);
		put_key_int(out, ",\"digits_since\":", control->trigger_digits_since);
		put_key_bool(out, ",\"event_seen\":", control->trigger_event_seen);
		put_key_int(out, ",\"event_ts\":", control->trigger_event_ts);
		if (control->trigger_fired_us)
			put_key_int(out, ",\"fired_us\":", control->trigger_fired_us);
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, '}');
}

static void put_media(GString *out, const struct call *call, const struct media *media,
                      const struct worker_state *worker, const struct media_positions *positions)
{
	static const union endpoint unset;
	put_key_string(out, "{\"type\":", media->type);
	put_key_string(out, ",\"protocol\":", media->protocol);
	put_key_string(out, ",\"interface\":", media->interface ? media->interface->name : NULL);
	put_key_endpoint(out, ",\"local\":", media->interface ? &media->interface->local : &unset);
	put_key_int(out, ",\"direction\":", (int64_t) media->direction);
	put_key_bool(out, ",\"rejected\":", media->rejected);
	put_key_bool(out, ",\"rtcp_mux\":", media->rtcp_mux);
	put_key_bool(out, ",\"rtcp_mux_offered\":", media->rtcp_mux_offered);
	put_key_int(out, ",\"rtcp_mux_policy\":", media->rtcp_mux_policy);
	/* forks: optional, written when set */
	if (media->branch_rtcp_mux_policy)
		put_key_int(out, ",\"branch_rtcp_mux_policy\":", media->branch_rtcp_mux_policy);
	if (media->protocol_own)
		put_key_bool(out, ",\"protocol_own\":", true);
	if (media->protocol_translated)
		put_key_bool(out, ",\"protocol_translated\":", true);
	if (media->protocol_kept_own)
		put_key_bool(out, ",\"protocol_kept_own\":", true);
	put_key_bool(out, ",\"ice_seen\":", media->ice_seen);
	put_key_string(out, ",\"ice_ufrag\":", media->ice_ufrag);
	put_key_string(out, ",\"ice_pwd\":", media->ice_pwd);
	put_key_int(out, ",\"rtp_port\":", media->rtp_port);
	put_key_string(out, ",\"codecs\":", media->codecs);
	put_key_int(out, ",\"label_id\":", media->label_id);
	/* the sink is the peer media of the same index, found from the stream's sink link */
	const struct stream *sink = media->streams[STREAM_RTP].sink;
	if (sink) {
		put_key_int(out, ",\"sink\":[", monologue_index(call, sink->media->monologue));
		put_key_int(out, ",", (int64_t) sink->media->index - 1);
		g_string_append_c(out, ']');
	}
	g_string_append(out, ",\"streams\":[");
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		put_key_int(out, kind ? ",{\"state\":" : "{\"state\":", worker[kind].state);
		put_key_endpoint(out, ",\"advertised\":", &media->streams[kind].advertised);
		put_key_endpoint(out, ",\"learned\":", &worker[kind].learned);
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
	const struct media_crypto *crypto = media->crypto;
	if (crypto && crypto->active) {
		put_key_crypto(out, ",\"sdes\":{\"ours\":", &crypto->ours);
		put_key_crypto(out, ",\"theirs\":", &crypto->theirs);
		put_key_string(out, ",\"answer_line\":", crypto->answer_line);
		put_positions(out, ",\"decrypt\":", positions->decrypt, positions->decrypt_count);
		put_positions(out, ",\"encrypt\":", positions->encrypt, positions->encrypt_count);
		g_string_append_c(out, '}');
	} else if (positions->dtls) {
		put_key_int(out, ",\"dtls\":{\"profile\":", positions->dtls_profile);
		put_key_bool(out, ",\"client\":", positions->dtls_client);
		put_material(out, ",\"material\":", positions->dtls_material, positions->dtls_material_length);
		put_positions(out, ",\"decrypt\":", positions->decrypt, positions->decrypt_count);
		put_positions(out, ",\"encrypt\":", positions->encrypt, positions->encrypt_count);
		g_string_append_c(out, '}');
	}
	const struct redis_dtls_keys *rtcp = &positions->rtcp;
	if (rtcp->present) {
		put_key_int(out, ",\"dtls_rtcp\":{\"profile\":", rtcp->profile);
		put_key_bool(out, ",\"client\":", rtcp->client);
		put_material(out, ",\"material\":", rtcp->material, rtcp->material_length);
		put_positions(out, ",\"decrypt\":", rtcp->decrypt, rtcp->decrypt_count);
		put_positions(out, ",\"encrypt\":", rtcp->encrypt, rtcp->encrypt_count);
		g_string_append_c(out, '}');
	}
	put_bundle(out, media, positions);
	put_control(out, &positions->control);
	/* publish/subscribe: the media a subscriber's media copies (its extras hold the source
	 * only on a subscriber, call.h); a source whose side was taken out is left unwritten */
	const struct media *source = media->monologue->subscriber ? PUBSUB_SOURCE(media) : NULL;
	if (source && monologue_index(call, source->monologue) >= 0) {
		put_key_int(out, ",\"source\":[", monologue_index(call, source->monologue));
		put_key_int(out, ",", (int64_t) source->index - 1);
		g_string_append_c(out, ']');
		struct media_transcode_saved chain;
		if (media_transcode_subscription_save(media, &chain)) {
			put_chain_codecs(out, ",\"transcode\":", &chain);
			g_string_append_c(out, '}');
		}
	}
	/* an answer's transcoding chain (media_transcode_chain_save()) */
	struct media_transcode_saved answered;
	if (media_transcode_chain_save(media, &answered)) {
		put_chain_codecs(out, ",\"chain\":", &answered);
		put_key_int(out, ",\"ptime\":", answered.ptime);
		put_key_int(out, ",\"to_cn\":", answered.to_cn_pt);
		put_key_int(out, ",\"from_cn\":", answered.from_cn_pt);
		put_payload_types(out, ",\"passthrough\":", answered.passthrough);
		g_string_append(out, ",\"alternates\":[");
		for (unsigned int i = 0; i < answered.alternate_count; i++) {
			put_key_string(out, i ? ",[" : "[", answered.alternates[i]);
			put_key_string(out, ",", answered.alternates_fmtp[i]);
			g_string_append_c(out, ']');
		}
		g_string_append(out, "]}");
	}
	g_string_append_c(out, '}');
}

/* The via-branches a delete ended (call_remove_branch()), oldest first as query lists them, at
 * most REDIS_MAX_ENDED_BRANCHES; their count. */
static unsigned int ended_branches(const struct call *call, const struct monologue **ended)
{
	unsigned int count = 0;
	for (const struct monologue *removed = call->removed_monologues; removed && count < REDIS_MAX_ENDED_BRANCHES;
	     removed = removed->removed_next) {
		if (!removed->branch_ended)
			continue;
		unsigned int at = count++;   /* the list is newest first: insert in number order */
		for (; at > 0 && ended[at - 1]->number > removed->number; at--)
			ended[at] = ended[at - 1];
		ended[at] = removed;
	}
	return count;
}

/* What a live side and an ended via-branch both record after their tag and number: where the
 * side came from and whom it talks to. */
static void put_side_origin(GString *out, const struct call *call, const struct monologue *side)
{
	put_key_string(out, ",\"via_branch\":", side->via_branch);
	put_key_string(out, ",\"label\":", side->label);
	put_key_int(out, ",\"created_us\":", side->created_us);
	put_key_int(out, ",\"flags\":", side->flags);
	put_key_int(out, ",\"peer\":", monologue_index(call, side->peer));
}

/* Optional "ended_branches" (redis_ended_branch_record); streams: each branch's media's two
 * streams as copied under the call's lock, CALL_MAX_MEDIA * 2 per branch. */
static void put_ended_branches(GString *out, const struct call *call, const struct monologue *const *ended,
			       unsigned int count, const struct redis_ended_stream_record *streams)
{
	if (!count)
		return;
	g_string_append(out, ",\"ended_branches\":[");
	for (unsigned int b = 0; b < count; b++) {
		const struct monologue *branch = ended[b];
		put_key_int(out, b ? ",{\"number\":" : "{\"number\":", branch->number);
		put_key_string(out, ",\"tag\":", branch->tag);
		put_side_origin(out, call, branch);
		g_string_append(out, ",\"media\":[");
		for (unsigned int n = 0; n < branch->media_count; n++) {
			const struct media *media = branch->media[n];
			put_key_string(out, n ? ",{\"type\":" : "{\"type\":", media->type);
			put_key_string(out, ",\"protocol\":", media->protocol);
			put_key_int(out, ",\"direction\":", (int64_t) media->direction);
			put_key_bool(out, ",\"rejected\":", media->rejected);
			put_key_bool(out, ",\"rtcp_mux\":", media->rtcp_mux);
			put_key_int(out, ",\"label_id\":", media->label_id);
			g_string_append(out, ",\"streams\":[");
			for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
				const struct redis_ended_stream_record *stream = &streams[(b * CALL_MAX_MEDIA + n) * 2 + (unsigned int) kind];
				put_key_int(out, kind ? ",{\"state\":" : "{\"state\":", stream->state);
				put_key_endpoint(out, ",\"advertised\":", &stream->advertised);
				put_key_endpoint(out, ",\"learned\":", &stream->learned);
				put_key_int(out, ",\"packets\":", (int64_t) stream->counters.packets);
				put_key_int(out, ",\"bytes\":", (int64_t) stream->counters.bytes);
				put_key_int(out, ",\"errors\":", (int64_t) stream->counters.errors);
				put_key_int(out, ",\"last_packet_us\":", stream->counters.last_packet_us);
				put_key_int(out, ",\"ssrc\":", stream->last_ssrc);
				g_string_append_c(out, '}');
			}
			g_string_append(out, "]}");
		}
		g_string_append(out, "]}");
	}
	g_string_append_c(out, ']');
}

char *redis_value_encode(struct call *call, size_t *length)
{
	/* at most CALL_MAX_MONOLOGUES x CALL_MAX_MEDIA media: one copy each, taken under one lock */
	unsigned int media_total = 0;
	struct media *media;
	call_foreach_media(call, media)
		media_total++;
	struct worker_state (*worker)[2] = g_malloc0(sizeof(*worker) * (media_total ? media_total : 1));
	struct media_positions *positions = g_new0(struct media_positions, media_total ? media_total : 1);
	unsigned int i = 0;
	pthread_mutex_lock(&call->lock);
	call_foreach_media(call, media) {
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			worker[i][kind].state = media->streams[kind].state;
			worker[i][kind].learned = media->streams[kind].learned;
		}
		if (media->srtp) {
			positions[i].decrypt_count = srtp_context_positions(&media->srtp->decrypt, positions[i].decrypt);
			positions[i].encrypt_count = srtp_context_positions(&media->srtp->encrypt, positions[i].encrypt);
		}
		const struct dtls_connection *dtls = media->streams[STREAM_RTP].extras->dtls;
		if (dtls && dtls->state == DTLS_ESTABLISHED && dtls->srtp_material_length
		    && dtls->srtp_material_length <= sizeof(positions[i].dtls_material) && media->srtp) {
			positions[i].dtls = true;
			positions[i].dtls_client = dtls->params.active;
			positions[i].dtls_profile = dtls->srtp_profile;
			positions[i].dtls_material_length = dtls->srtp_material_length;
			memcpy(positions[i].dtls_material, dtls->srtp_material, dtls->srtp_material_length);
		}
		/* without rtcp-mux the RTCP port's association keys media->rtcp_srtp (RFC 5764 4.1) */
		const struct dtls_connection *rtcp_dtls = media->streams[STREAM_RTCP].extras->dtls;
		if (rtcp_dtls && rtcp_dtls->state == DTLS_ESTABLISHED && rtcp_dtls->srtp_material_length
		    && rtcp_dtls->srtp_material_length <= sizeof(positions[i].rtcp.material) && media->rtcp_srtp) {
			struct redis_dtls_keys *keys = &positions[i].rtcp;
			keys->present = true;
			keys->client = rtcp_dtls->params.active;
			keys->profile = rtcp_dtls->srtp_profile;
			keys->material_length = rtcp_dtls->srtp_material_length;
			memcpy(keys->material, rtcp_dtls->srtp_material, rtcp_dtls->srtp_material_length);
			keys->decrypt_count = srtp_context_positions(&media->rtcp_srtp->decrypt, keys->decrypt);
			keys->encrypt_count = srtp_context_positions(&media->rtcp_srtp->encrypt, keys->encrypt);
		}
		const struct bundle_group *group = media->streams[STREAM_RTP].extras->bundle_group;
		if (group) {
			positions[i].bundle_group = true;
			positions[i].bundle_demux = group->demux;
			for (unsigned int k = 0; k < group->demux.media_count && k < BUNDLE_MAX_MEDIA; k++)
				positions[i].bundle_members[k] = (uint8_t) (group->members[k] ? group->members[k]->index - 1 : 0);
			positions[i].bundle_member_count = group->demux.media_count;
		}
		media_control_save(media, &positions[i].control);
		i++;
	}
	/* ended via-branches: what the worker may have left in their streams (it may be finishing
	 * a round with them, as query copies them) */
	const struct monologue *ended[REDIS_MAX_ENDED_BRANCHES];
	unsigned int ended_count = ended_branches(call, ended);
	struct redis_ended_stream_record *ended_streams = NULL;
	if (ended_count)
		ended_streams = g_new0(struct redis_ended_stream_record, ended_count * CALL_MAX_MEDIA * 2);
	for (unsigned int b = 0; b < ended_count; b++)
		for (unsigned int n = 0; n < ended[b]->media_count; n++)
			for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
				const struct stream *stream = &ended[b]->media[n]->streams[kind];
				struct redis_ended_stream_record *copy = &ended_streams[(b * CALL_MAX_MEDIA + n) * 2 + (unsigned int) kind];
				copy->state = stream->state;
				copy->advertised = stream->advertised;
				copy->learned = stream->learned;
				copy->counters = stream->counters;
				copy->last_ssrc = stream->last_ssrc;
			}
	pthread_mutex_unlock(&call->lock);

	GString *out = g_string_sized_new(2048);
	put_key_string(out, "{\"schema\":", REDIS_VALUE_SCHEMA);
	put_key_int(out, ",\"version\":", REDIS_VALUE_VERSION);
	put_key_string(out, ",\"call_id\":", call->call_id);
	put_key_int(out, ",\"created_us\":", call->created_us);
	put_key_int(out, ",\"last_signal_us\":", call->last_signal_us);
	put_key_int(out, ",\"media_created\":", call->media_created);
	put_key_int(out, ",\"monologues_created\":", call->monologues_created);
	if (call->delete_at_us)
		put_key_int(out, ",\"delete_at_us\":", call->delete_at_us);
	put_recording(out, call);
	/* publish/subscribe: the sides' kept SDP lines only in calls that take part in it */
	bool pubsub = false;
	for (unsigned int m = 0; m < call->monologue_count; m++)
		pubsub = pubsub || call->monologues[m]->publisher || call->monologues[m]->subscriber;
	g_string_append(out, ",\"monologues\":[");
	i = 0;
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		const struct monologue *monologue = call->monologues[m];
		put_key_string(out, m ? ",{\"tag\":" : "{\"tag\":", monologue->tag);
		put_key_int(out, ",\"number\":", monologue->number);
		put_side_origin(out, call, monologue);
		if (monologue->publisher)
			put_key_bool(out, ",\"publisher\":", true);
		if (monologue->subscriber) {
			put_key_bool(out, ",\"subscriber\":", true);
			put_key_bool(out, ",\"subscription_answered\":", monologue->subscription_answered);
			if (monologue->rtcp_mirror)
				put_key_bool(out, ",\"rtcp_mirror\":", true);
		}
		if (pubsub && monologue->sdp)
			put_key_string(out, ",\"sdp\":", monologue->sdp);
		if (monologue->branch_delete_at_us)
			put_key_int(out, ",\"branch_delete_at_us\":", monologue->branch_delete_at_us);
		g_string_append(out, ",\"media\":[");
		for (unsigned int n = 0; n < monologue->media_count; n++, i++) {
			if (n)
				g_string_append_c(out, ',');
			put_media(out, call, monologue->media[n], worker[i], &positions[i]);
		}
		g_string_append(out, "]}");
	}
	g_string_append_c(out, ']');
	put_ended_branches(out, call, ended, ended_count, ended_streams);
	g_string_append_c(out, '}');
	g_free(ended_streams);
	g_free(worker);
	g_free(positions);
	if (length)
		*length = out->len;
	return g_string_free(out, FALSE);
}

/* ---- decoder ---------------------------------------------------------------------------- */

struct reader {
	const char *reason;
	unsigned int version;
};

static bool fail(struct reader *reader, const char *reason)
{
	if (!reader->reason)
		reader->reason = reason;
	return false;
}

static json_object *field(json_object *object, const char *key, json_type type, bool required,
                          struct reader *reader)
{
	json_object *value = NULL;
	if (!json_object_object_get_ex(object, key, &value) || !value) {
		if (required)
			fail(reader, "a required field is missing");
		return NULL;
	}
	if (!json_object_is_type(value, type)) {
		fail(reader, "a field has the wrong type");
		return NULL;
	}
	return value;
}

static bool read_int64(json_object *object, const char *key, int64_t min, int64_t max, int64_t *out,
                       struct reader *reader)
{
	json_object *value = field(object, key, json_type_int, true, reader);
	if (!value)
		return false;
	int64_t number = json_object_get_int64(value);
	if (number < min || number > max)
		return fail(reader, "a number is out of range");
	*out = number;
	return true;
}

static bool read_uint(json_object *object, const char *key, unsigned int max, unsigned int *out, struct reader *reader)
{
	int64_t number;
	if (!read_int64(object, key, 0, max, &number, reader))
		return false;
	*out = (unsigned int) number;
	return true;
}

/* An optional number (fields added within version 2): absent leaves *out and says so. */
static bool read_optional_uint(json_object *object, const char *key, unsigned int max, unsigned int *out,
			       bool *present, struct reader *reader)
{
	*present = false;
	if (!field(object, key, json_type_int, false, reader))
		return !reader->reason;
	*present = true;
	return read_uint(object, key, max, out, reader);
}

static bool read_bool(json_object *object, const char *key, bool *out, struct reader *reader)
{
	json_object *value = field(object, key, json_type_boolean, true, reader);
	if (!value)
		return false;
	*out = json_object_get_boolean(value);
	return true;
}

/* Into a fixed buffer; a missing or null field leaves it empty unless required. */
static bool read_text(json_object *object, const char *key, char *out, size_t size, bool required,
                      struct reader *reader)
{
	out[0] = '\0';
	json_object *value = field(object, key, json_type_string, required, reader);
	if (!value)
		return !reader->reason;
	if ((size_t) json_object_get_string_len(value) >= size)
		return fail(reader, "a text field is too long");
	memcpy(out, json_object_get_string(value), (size_t) json_object_get_string_len(value) + 1);
	return true;
}

static bool read_string(json_object *object, const char *key, char **out, struct reader *reader)
{
	json_object *value = field(object, key, json_type_string, false, reader);
	*out = value ? g_strdup(json_object_get_string(value)) : NULL;
	return !reader->reason;
}

static bool read_endpoint(json_object *object, const char *key, union endpoint *out, struct reader *reader)
{
	memset(out, 0, sizeof(*out));
	json_object *value = field(object, key, json_type_string, false, reader);
	if (!value)
		return !reader->reason;
	if (endpoint_parse_text(out, json_object_get_string(value), (size_t) json_object_get_string_len(value)) < 0)
		return fail(reader, "an address does not parse");
	return true;
}

static bool read_crypto(json_object *object, const char *key, struct sdes_crypto *out, struct reader *reader)
{
	json_object *value = field(object, key, json_type_string, true, reader);
	if (!value)
		return false;
	const char *reason = NULL;
	if (sdes_parse(json_object_get_string(value), (size_t) json_object_get_string_len(value), out, &reason) < 0)
		return fail(reader, "an SRTP key does not parse");
	/* the parsed text lives in the JSON tree: keep no pointer into it */
	out->session_parameters = NULL;
	out->session_parameters_length = 0;
	return true;
}

static bool read_position_array(json_object *object, const char *key, struct srtp_ssrc_position *out,
                                unsigned int *count, struct reader *reader)
{
	*count = 0;
	json_object *array = field(object, key, json_type_array, reader->version >= 2, reader);
	if (!array)
		return !reader->reason;
	size_t length = json_object_array_length(array);
	if (length > SRTP_SSRC_SLOTS)
		return fail(reader, "too many SRTP streams");
	for (size_t i = 0; i < length; i++) {
		json_object *entry = json_object_array_get_idx(array, i);
		if (!json_object_is_type(entry, json_type_object))
			return fail(reader, "a field has the wrong type");
		struct srtp_ssrc_position *position = &out[i];
		memset(position, 0, sizeof(*position));
		int64_t number;
		if (!read_int64(entry, "ssrc", 0, UINT32_MAX, &number, reader))
			return false;
		position->ssrc = (uint32_t) number;
		if (field(entry, "rtp", json_type_int, false, reader)) {
			if (!read_int64(entry, "rtp", 0, 0xffffffffffffll, &number, reader))
				return false;
			position->rtp_seen = true;
			position->rtp_index = (uint64_t) number;
		}
		if (field(entry, "rtcp", json_type_int, false, reader)) {
			if (!read_int64(entry, "rtcp", 0, 0x7fffffffll, &number, reader))
				return false;
			position->rtcp_seen = true;
			position->rtcp_index = (uint64_t) number;
		}
		if (reader->reason)
			return false;
	}
	*count = (unsigned int) length;
	return true;
}

static bool read_sdes(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	json_object *sdes = field(object, "sdes", json_type_object, false, reader);
	if (!sdes)
		return !reader->reason;
	media->sdes = true;
	return read_crypto(sdes, "ours", &media->ours, reader) && read_crypto(sdes, "theirs", &media->theirs, reader)
		&& read_text(sdes, "answer_line", media->answer_line, sizeof(media->answer_line), false, reader)
		&& read_position_array(sdes, "decrypt", media->decrypt, &media->decrypt_count, reader)
		&& read_position_array(sdes, "encrypt", media->encrypt, &media->encrypt_count, reader);
}

/* An established DTLS association's keys (version 2 only): into *keys. */
static bool read_dtls_keys(json_object *dtls, struct redis_dtls_keys *keys, struct reader *reader)
{
	if (reader->version < 2)
		return fail(reader, "DTLS keys in a version 1 value");
	unsigned int profile;
	char hex[2 * sizeof(keys->material) + 1];
	if (!read_uint(dtls, "profile", 0xffff, &profile, reader) || !read_bool(dtls, "client", &keys->client, reader)
	    || !read_text(dtls, "material", hex, sizeof(hex), true, reader))
		return false;
	size_t length = strlen(hex);
	if (!length || length % 2)
		return fail(reader, "DTLS keying material is not hex");
	for (size_t k = 0; k < length / 2; k++) {
		int high = g_ascii_xdigit_value(hex[2 * k]), low = g_ascii_xdigit_value(hex[2 * k + 1]);
		if (high < 0 || low < 0)
			return fail(reader, "DTLS keying material is not hex");
		keys->material[k] = (unsigned char) (high << 4 | low);
	}
	keys->present = true;
	keys->profile = (uint16_t) profile;
	keys->material_length = (uint8_t) (length / 2);
	return read_position_array(dtls, "decrypt", keys->decrypt, &keys->decrypt_count, reader)
		&& read_position_array(dtls, "encrypt", keys->encrypt, &keys->encrypt_count, reader);
}

/* "dtls": the RTP port's association; "dtls_rtcp": the RTCP port's own (no rtcp-mux). */
static bool read_dtls(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	json_object *dtls = field(object, "dtls", json_type_object, false, reader);
	if (dtls) {
		struct redis_dtls_keys keys;
		if (!read_dtls_keys(dtls, &keys, reader))
			return false;
		media->dtls = true;
		media->dtls_client = keys.client;
		media->dtls_profile = keys.profile;
		media->dtls_material_length = keys.material_length;
		memcpy(media->dtls_material, keys.material, keys.material_length);
		media->decrypt_count = keys.decrypt_count;
		media->encrypt_count = keys.encrypt_count;
		memcpy(media->decrypt, keys.decrypt, sizeof(keys.decrypt));
		memcpy(media->encrypt, keys.encrypt, sizeof(keys.encrypt));
	} else if (reader->reason) {
		return false;
	}
	json_object *rtcp = field(object, "dtls_rtcp", json_type_object, false, reader);
	if (rtcp)
		return read_dtls_keys(rtcp, &media->dtls_rtcp, reader);
	return !reader->reason;
}

/* An array of [number, number] pairs, each within its bound: calls take(pair) for each. */
static bool read_pairs(json_object *object, const char *key, int64_t first_max, int64_t second_max,
                       bool (*take)(struct bundle_demux *, int64_t, int64_t), struct bundle_demux *demux,
                       struct reader *reader)
{
	json_object *array = field(object, key, json_type_array, true, reader);
	if (!array)
		return false;
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		json_object *pair = json_object_array_get_idx(array, i);
		if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2)
			return fail(reader, "a BUNDLE table entry is not a pair of numbers");
		json_object *a = json_object_array_get_idx(pair, 0), *b = json_object_array_get_idx(pair, 1);
		if (!json_object_is_type(a, json_type_int) || !json_object_is_type(b, json_type_int))
			return fail(reader, "a BUNDLE table entry is not a pair of numbers");
		int64_t first = json_object_get_int64(a), second = json_object_get_int64(b);
		if (first < 0 || first > first_max || second < 0 || second > second_max || !take(demux, first, second))
			return fail(reader, "a BUNDLE table entry is out of range");
	}
	return true;
}

static bool take_ssrc(struct bundle_demux *demux, int64_t ssrc, int64_t media)
{
	return bundle_demux_add_ssrc(demux, (uint32_t) ssrc, (unsigned int) media) == 0;
}

/* As written: the media index + 1 of the payload type's one media, or "ambiguous". */
static bool take_payload_type(struct bundle_demux *demux, int64_t type, int64_t owner)
{
	if (owner != BUNDLE_PAYLOAD_AMBIGUOUS && (owner < 1 || owner > demux->media_count))
		return false;
	demux->payload_types[type] = (uint8_t) owner;
	return true;
}

/* BUNDLE (optional fields, bundle.h): the media's place in its side's group and, on the
 * owner, the group's table. Media indexes are checked against the monologue by the caller. */
static bool read_bundle(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	media->bundle_owner = -1;
	if (!read_text(object, "mid", media->mid, sizeof(media->mid), false, reader))
		return false;
	if (field(object, "bundled", json_type_boolean, false, reader) && !read_bool(object, "bundled", &media->bundled, reader))
		return false;
	json_object *bundle = field(object, "bundle", json_type_object, false, reader);
	if (!bundle)
		return !reader->reason;
	unsigned int owner, index, extension_id;
	if (!read_uint(bundle, "owner", CALL_MAX_MEDIA - 1, &owner, reader)
	    || !read_uint(bundle, "index", BUNDLE_MAX_MEDIA - 1, &index, reader)
	    || !read_uint(bundle, "extension_id", 255, &extension_id, reader))
		return false;
	media->bundle_owner = (int) owner;
	media->bundle_index = (uint8_t) index;
	media->bundle_extension_id = (uint8_t) extension_id;
	json_object *group = field(object, "bundle_group", json_type_object, false, reader);
	if (!group)
		return !reader->reason;
	json_object *members = field(group, "members", json_type_array, true, reader);
	json_object *mids = members ? field(group, "mids", json_type_array, true, reader) : NULL;
	if (!mids || !read_uint(group, "extension_id", 255, &extension_id, reader))
		return false;
	size_t count = json_object_array_length(members);
	if (count < 2 || count > BUNDLE_MAX_MEDIA || json_object_array_length(mids) != count)
		return fail(reader, "a BUNDLE group's members and mids do not match");
	bundle_demux_init(&media->bundle_demux, extension_id);
	for (size_t k = 0; k < count; k++) {
		json_object *member = json_object_array_get_idx(members, k), *mid = json_object_array_get_idx(mids, k);
		if (!json_object_is_type(member, json_type_int) || !json_object_is_type(mid, json_type_string)
		    || json_object_get_int64(member) < 0 || json_object_get_int64(member) >= CALL_MAX_MEDIA
		    || bundle_demux_add_media(&media->bundle_demux, json_object_get_string(mid)) != (int) k)
			return fail(reader, "a BUNDLE group member does not parse");
		media->bundle_members[k] = (uint8_t) json_object_get_int64(member);
	}
	media->bundle_group = true;
	return read_pairs(group, "ssrcs", UINT32_MAX, (int64_t) count - 1, take_ssrc, &media->bundle_demux, reader)
		&& read_pairs(group, "payload_types", BUNDLE_PAYLOAD_TYPES - 1, BUNDLE_PAYLOAD_AMBIGUOUS, take_payload_type,
			      &media->bundle_demux, reader);
}

/* publish/subscribe (optional): [monologue, media] of the source a subscriber's media copies;
 * checked against the call (a subscriber's media naming a non-subscriber's) by the caller. */
static bool read_source(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	media->source_monologue = media->source_media = -1;
	json_object *source = field(object, "source", json_type_array, false, reader);
	if (!source)
		return !reader->reason;
	json_object *a = json_object_array_get_idx(source, 0), *b = json_object_array_get_idx(source, 1);
	if (json_object_array_length(source) != 2 || !json_object_is_type(a, json_type_int)
	    || !json_object_is_type(b, json_type_int))
		return fail(reader, "a source is not [monologue, media]");
	int64_t monologue = json_object_get_int64(a), index = json_object_get_int64(b);
	if (monologue < 0 || monologue >= CALL_MAX_MONOLOGUES || index < 0 || index >= CALL_MAX_MEDIA)
		return fail(reader, "a source is out of range");
	media->source_monologue = (int) monologue;
	media->source_media = (int) index;
	return true;
}

/* A chain's codecs (media_transcode_saved); they are parsed when it is restored */
static bool read_chain_codecs(json_object *chain, struct media_transcode_saved *saved, struct reader *reader)
{
	return read_text(chain, "from", saved->leg, sizeof(saved->leg), true, reader)
	    && read_text(chain, "from_fmtp", saved->leg_fmtp, sizeof(saved->leg_fmtp), false, reader)
	    && read_text(chain, "from_events", saved->leg_events, sizeof(saved->leg_events), false, reader)
	    && read_text(chain, "from_events_fmtp", saved->leg_events_fmtp, sizeof(saved->leg_events_fmtp), false, reader)
	    && read_text(chain, "to", saved->peer, sizeof(saved->peer), true, reader)
	    && read_text(chain, "to_fmtp", saved->peer_fmtp, sizeof(saved->peer_fmtp), false, reader)
	    && read_text(chain, "to_events", saved->peer_events, sizeof(saved->peer_events), false, reader)
	    && read_text(chain, "to_events_fmtp", saved->peer_events_fmtp, sizeof(saved->peer_events_fmtp), false, reader)
	    && read_uint(chain, "bit_rate", 10000000, &saved->bit_rate, reader);
}

/* publish/subscribe, allow-transcoding (optional "transcode"): a subscriber media's chain */
static bool read_subscription_chain(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	media->transcode_set = false;
	json_object *chain = field(object, "transcode", json_type_object, false, reader);
	if (!chain)
		return !reader->reason;
	if (!read_chain_codecs(chain, &media->transcode, reader))
		return false;
	media->transcode_set = true;
	return true;
}

static bool read_payload_types(json_object *object, const char *key, uint64_t bits[2], struct reader *reader);

/* An answer's transcoding chain (optional "chain", absent: none, as in values before it) */
static bool read_answer_chain(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	media->chain_set = false;
	json_object *chain = field(object, "chain", json_type_object, false, reader);
	if (!chain)
		return !reader->reason;
	struct media_transcode_saved *saved = &media->chain;
	memset(saved, 0, sizeof(*saved));
	int64_t to_cn = -1, from_cn = -1;
	if (!read_chain_codecs(chain, saved, reader) || !read_uint(chain, "ptime", 120, &saved->ptime, reader)
	    || !read_int64(chain, "to_cn", -1, 127, &to_cn, reader) || !read_int64(chain, "from_cn", -1, 127, &from_cn, reader)
	    || !read_payload_types(chain, "passthrough", saved->passthrough, reader))
		return false;
	saved->to_cn_pt = (int) to_cn;
	saved->from_cn_pt = (int) from_cn;
	/* [[rtpmap, fmtp], ...]; absent in values before it: none */
	json_object *alternates = field(chain, "alternates", json_type_array, false, reader);
	if (reader->reason)
		return false;
	size_t count = alternates ? json_object_array_length(alternates) : 0;
	if (count > MEDIA_TRANSCODE_SAVED_ALTERNATES)
		return fail(reader, "too many alternate codecs");
	for (size_t i = 0; i < count; i++) {
		json_object *pair = json_object_array_get_idx(alternates, i);
		json_object *rtpmap = json_object_is_type(pair, json_type_array) && json_object_array_length(pair) == 2
			? json_object_array_get_idx(pair, 0) : NULL;
		json_object *fmtp = rtpmap ? json_object_array_get_idx(pair, 1) : NULL;
		if (!json_object_is_type(rtpmap, json_type_string) || !json_object_is_type(fmtp, json_type_string)
		    || (size_t) json_object_get_string_len(rtpmap) >= MEDIA_TRANSCODE_SAVED_RTPMAP
		    || (size_t) json_object_get_string_len(fmtp) >= MEDIA_TRANSCODE_SAVED_FMTP)
			return fail(reader, "an alternate codec is malformed");
		g_strlcpy(saved->alternates[i], json_object_get_string(rtpmap), MEDIA_TRANSCODE_SAVED_RTPMAP);
		g_strlcpy(saved->alternates_fmtp[i], json_object_get_string(fmtp), MEDIA_TRANSCODE_SAVED_FMTP);
	}
	saved->alternate_count = (unsigned int) count;
	media->chain_set = true;
	return true;
}

/* An optional boolean: absent is false. */
static bool read_flag(json_object *object, const char *key, bool *out, struct reader *reader)
{
	*out = false;
	if (!field(object, key, json_type_boolean, false, reader))
		return !reader->reason;
	return read_bool(object, key, out, reader);
}

/* A payload type list of "control": numbers 0-127 into a bitmap. */
static bool read_payload_types(json_object *object, const char *key, uint64_t bits[2], struct reader *reader)
{
	json_object *array = field(object, key, json_type_array, true, reader);
	if (!array)
		return false;
	size_t length = json_object_array_length(array);
	if (length > 128)
		return fail(reader, "too many payload types");
	for (size_t i = 0; i < length; i++) {
		json_object *item = json_object_array_get_idx(array, i);
		if (!json_object_is_type(item, json_type_int))
			return fail(reader, "a payload type is not a number");
		int64_t type = json_object_get_int64(item);
		if (type < 0 || type > 127)
			return fail(reader, "a payload type is out of range");
		bits[type / 64] |= 1ull << (type % 64);
	}
	return true;
}

/* Media control (optional, see put_control) */
static bool read_control(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	media->control_set = false;
	json_object *control = field(object, "control", json_type_object, false, reader);
	if (!control)
		return !reader->reason;
	struct media_control_saved *saved = &media->control;
	unsigned int number;
	if (!read_uint(control, "flags", 255, &number, reader))
		return false;
	saved->flags = (uint8_t) number;
	if (!read_uint(control, "event_clock", 1000000, &saved->event_clock, reader)
	    || !read_payload_types(control, "events", saved->events, reader)
	    || !read_payload_types(control, "pcmu", saved->pcmu, reader)
	    || !read_payload_types(control, "pcma", saved->pcma, reader)
	    || !read_uint(control, "delay_ms", 3600000, &saved->delay_ms, reader)
	    || !read_flag(control, "as_tones", &saved->as_tones, reader))
		return false;
	json_object *tones = field(control, "tones", json_type_object, false, reader);
	if (tones) {
		unsigned int audio, events;
		if (!read_uint(tones, "audio", 127, &audio, reader) || !read_bool(tones, "alaw", &saved->tones_alaw, reader)
		    || !read_uint(tones, "events", 127, &events, reader))
			return false;
		saved->tones_known = true;
		saved->tones_audio_type = (uint8_t) audio;
		saved->tones_event_type = (uint8_t) events;
	} else if (reader->reason) {
		return false;
	}
	json_object *trigger = field(control, "trigger", json_type_object, false, reader);
	if (trigger) {
		saved->trigger = true;
		if (!read_text(trigger, "start", saved->trigger_start, sizeof(saved->trigger_start), true, reader)
		    || !read_text(trigger, "end", saved->trigger_end, sizeof(saved->trigger_end), true, reader)
		    || !read_uint(trigger, "end_ms", 3600000, &saved->trigger_end_ms, reader)
		    || !read_uint(trigger, "end_digits", UINT16_MAX, &number, reader))
			return false;
		saved->trigger_end_digits = (uint16_t) number;
		if (!read_uint(trigger, "mode", 2, &number, reader))
			return false;
		saved->trigger_mode = (uint8_t) number;
		if (!read_bool(trigger, "active", &saved->trigger_active, reader)
		    || !read_uint(trigger, "progress", 15, &number, reader))
			return false;
		saved->trigger_progress = (uint8_t) number;
		if (!read_uint(trigger, "end_progress", 15, &number, reader))
			return false;
		saved->trigger_end_progress = (uint8_t) number;
		if (!read_uint(trigger, "digits_since", UINT16_MAX, &number, reader))
			return false;
		saved->trigger_digits_since = (uint16_t) number;
		if (!read_bool(trigger, "event_seen", &saved->trigger_event_seen, reader)
		    || !read_uint(trigger, "event_ts", UINT32_MAX, &saved->trigger_event_ts, reader))
			return false;
		if (field(trigger, "fired_us", json_type_int, false, reader)) {
			if (!read_int64(trigger, "fired_us", 0, INT64_MAX, &saved->trigger_fired_us, reader))
				return false;
		} else if (reader->reason) {
			return false;
		}
	} else if (reader->reason) {
		return false;
	}
	media->control_set = true;
	return true;
}

static bool read_media(json_object *object, struct redis_media_record *media, struct reader *reader)
{
	memset(media, 0, sizeof(*media));
	media->sink_monologue = media->sink_media = -1;
	unsigned int number = 0;
	if (!read_text(object, "type", media->type, sizeof(media->type), true, reader)
	    || !read_text(object, "protocol", media->protocol, sizeof(media->protocol), true, reader)
	    || !read_text(object, "interface", media->interface, sizeof(media->interface), false, reader)
	    || !read_endpoint(object, "local", &media->local, reader)
	    || !read_uint(object, "direction", 16, &number, reader))
		return false;
	media->direction = (int) number;
	if (!read_bool(object, "rejected", &media->rejected, reader)
	    || !read_bool(object, "rtcp_mux", &media->rtcp_mux, reader)
	    || !read_bool(object, "rtcp_mux_offered", &media->rtcp_mux_offered, reader)
	    || !read_uint(object, "rtcp_mux_policy", 255, &number, reader))
		return false;
	media->rtcp_mux_policy = (uint8_t) number;
	bool present;
	if (!read_optional_uint(object, "branch_rtcp_mux_policy", 255, &number, &present, reader)
	    || !read_flag(object, "protocol_own", &media->protocol_own, reader)
	    || !read_flag(object, "protocol_translated", &media->protocol_translated, reader)
	    || !read_flag(object, "protocol_kept_own", &media->protocol_kept_own, reader))
		return false;
	media->branch_rtcp_mux_policy = present ? (uint8_t) number : 0;
	if (!read_bool(object, "ice_seen", &media->ice_seen, reader)
	    || !read_text(object, "ice_ufrag", media->ice_ufrag, sizeof(media->ice_ufrag), reader->version >= 2, reader)
	    || !read_text(object, "ice_pwd", media->ice_pwd, sizeof(media->ice_pwd), reader->version >= 2, reader)
	    || !read_uint(object, "rtp_port", 65534, &media->rtp_port, reader)
	    || !read_text(object, "codecs", media->codecs, sizeof(media->codecs), false, reader)
	    || !read_optional_uint(object, "label_id", INT32_MAX, &media->label_id, &media->label_id_set, reader))
		return false;
	json_object *sink = field(object, "sink", json_type_array, false, reader);
	if (sink) {
		json_object *a = json_object_array_get_idx(sink, 0), *b = json_object_array_get_idx(sink, 1);
		if (json_object_array_length(sink) != 2 || !json_object_is_type(a, json_type_int)
		    || !json_object_is_type(b, json_type_int))
			return fail(reader, "a sink is not [monologue, media]");
		media->sink_monologue = json_object_get_int(a);
		media->sink_media = json_object_get_int(b);
		if (media->sink_monologue < 0 || media->sink_monologue >= CALL_MAX_MONOLOGUES || media->sink_media < 0
		    || media->sink_media >= CALL_MAX_MEDIA)
			return fail(reader, "a sink is out of range");
	} else if (reader->reason) {
		return false;
	}
	json_object *streams = field(object, "streams", json_type_array, true, reader);
	if (!streams)
		return false;
	if (json_object_array_length(streams) != 2)
		return fail(reader, "a media has not two streams");
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		json_object *stream = json_object_array_get_idx(streams, (size_t) kind);
		if (!json_object_is_type(stream, json_type_object))
			return fail(reader, "a field has the wrong type");
		if (!read_uint(stream, "state", 255, &number, reader)
		    || !read_endpoint(stream, "advertised", &media->streams[kind].advertised, reader)
		    || !read_endpoint(stream, "learned", &media->streams[kind].learned, reader))
			return false;
		media->streams[kind].state = (uint8_t) number;
	}
	return read_sdes(object, media, reader) && read_dtls(object, media, reader) && read_bundle(object, media, reader)
		&& read_source(object, media, reader) && read_subscription_chain(object, media, reader)
		&& read_answer_chain(object, media, reader) && read_control(object, media, reader);
}

/* What put_side_origin() wrote, for a live side and an ended via-branch alike. */
static bool read_side_origin(json_object *object, char **via_branch, char **label, int64_t *created_us,
			     unsigned int *flags, int *peer, struct reader *reader)
{
	int64_t index;
	if (!read_string(object, "via_branch", via_branch, reader)
	    || !read_string(object, "label", label, reader)
	    || !read_int64(object, "created_us", 0, INT64_MAX, created_us, reader)
	    || !read_uint(object, "flags", 0xffff, flags, reader)
	    || !read_int64(object, "peer", -1, CALL_MAX_MONOLOGUES - 1, &index, reader))
		return false;
	*peer = (int) index;
	return true;
}

static bool read_monologue(json_object *object, struct redis_monologue_record *monologue, struct reader *reader)
{
	/* the header only: each media record is written whole by read_media() */
	monologue->tag = monologue->via_branch = monologue->label = monologue->sdp = NULL;
	monologue->media_count = 0;
	if (!read_string(object, "tag", &monologue->tag, reader)
	    || !read_side_origin(object, &monologue->via_branch, &monologue->label, &monologue->created_us,
				 &monologue->flags, &monologue->peer, reader))
		return false;
	monologue->number = 0;
	if (!read_optional_uint(object, "number", INT32_MAX, &monologue->number, &monologue->number_set, reader))
		return false;
	if (!read_flag(object, "publisher", &monologue->publisher, reader)
	    || !read_flag(object, "subscriber", &monologue->subscriber, reader)
	    || !read_flag(object, "subscription_answered", &monologue->subscription_answered, reader)
	    || !read_flag(object, "rtcp_mirror", &monologue->rtcp_mirror, reader)
	    || !read_string(object, "sdp", &monologue->sdp, reader))
		return false;
	monologue->branch_delete_at_us = 0;
	if (field(object, "branch_delete_at_us", json_type_int, false, reader)) {
		if (!read_int64(object, "branch_delete_at_us", 0, INT64_MAX, &monologue->branch_delete_at_us, reader))
			return false;
	} else if (reader->reason) {
		return false;
	}
	json_object *media = field(object, "media", json_type_array, true, reader);
	if (!media)
		return false;
	size_t count = json_object_array_length(media);
	if (count > CALL_MAX_MEDIA)
		return fail(reader, "too many media");
	for (size_t i = 0; i < count; i++) {
		json_object *entry = json_object_array_get_idx(media, i);
		if (!json_object_is_type(entry, json_type_object))
			return fail(reader, "a field has the wrong type");
		if (!read_media(entry, &monologue->media[i], reader))
			return false;
		monologue->media_count++;
	}
	return true;
}

/* One of "ended_branches" (see put_ended_branches) */
static bool read_ended_branch(json_object *object, struct redis_ended_branch_record *branch, struct reader *reader)
{
	branch->tag = branch->via_branch = branch->label = NULL;
	branch->media_count = 0;
	if (!read_uint(object, "number", INT32_MAX, &branch->number, reader)
	    || !read_string(object, "tag", &branch->tag, reader)
	    || !read_side_origin(object, &branch->via_branch, &branch->label, &branch->created_us, &branch->flags,
				 &branch->peer, reader))
		return false;
	json_object *media = field(object, "media", json_type_array, true, reader);
	if (!media)
		return false;
	if (json_object_array_length(media) > CALL_MAX_MEDIA)
		return fail(reader, "too many media");
	for (size_t i = 0; i < json_object_array_length(media); i++) {
		json_object *entry = json_object_array_get_idx(media, i);
		struct redis_ended_media_record *record = &branch->media[i];
		unsigned int number;
		if (!json_object_is_type(entry, json_type_object))
			return fail(reader, "a field has the wrong type");
		if (!read_text(entry, "type", record->type, sizeof(record->type), true, reader)
		    || !read_text(entry, "protocol", record->protocol, sizeof(record->protocol), true, reader)
		    || !read_uint(entry, "direction", 16, &number, reader)
		    || !read_bool(entry, "rejected", &record->rejected, reader)
		    || !read_bool(entry, "rtcp_mux", &record->rtcp_mux, reader)
		    || !read_uint(entry, "label_id", INT32_MAX, &record->label_id, reader))
			return false;
		record->direction = (int) number;
		json_object *streams = field(entry, "streams", json_type_array, true, reader);
		if (!streams)
			return false;
		if (json_object_array_length(streams) != 2)
			return fail(reader, "a media has not two streams");
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			json_object *stream = json_object_array_get_idx(streams, (size_t) kind);
			struct redis_ended_stream_record *to = &record->streams[kind];
			int64_t packets, bytes, errors, ssrc;
			if (!json_object_is_type(stream, json_type_object))
				return fail(reader, "a field has the wrong type");
			if (!read_uint(stream, "state", 255, &number, reader)
			    || !read_endpoint(stream, "advertised", &to->advertised, reader)
			    || !read_endpoint(stream, "learned", &to->learned, reader)
			    || !read_int64(stream, "packets", 0, INT64_MAX, &packets, reader)
			    || !read_int64(stream, "bytes", 0, INT64_MAX, &bytes, reader)
			    || !read_int64(stream, "errors", 0, INT64_MAX, &errors, reader)
			    || !read_int64(stream, "last_packet_us", 0, INT64_MAX, &to->counters.last_packet_us, reader)
			    || !read_int64(stream, "ssrc", 0, UINT32_MAX, &ssrc, reader))
				return false;
			to->last_ssrc = (uint32_t) ssrc;
			to->state = (uint8_t) number;
			to->counters.packets = (uint64_t) packets;
			to->counters.bytes = (uint64_t) bytes;
			to->counters.errors = (uint64_t) errors;
		}
		branch->media_count++;
	}
	return true;
}

/* Optional "ended_branches" (absent: none) */
static bool read_ended_branches(json_object *root, struct redis_call_record *record, struct reader *reader)
{
	json_object *branches = field(root, "ended_branches", json_type_array, false, reader);
	if (!branches)
		return !reader->reason;
	if (json_object_array_length(branches) > REDIS_MAX_ENDED_BRANCHES)
		return fail(reader, "too many ended branches");
	for (size_t i = 0; i < json_object_array_length(branches); i++) {
		json_object *entry = json_object_array_get_idx(branches, i);
		if (!json_object_is_type(entry, json_type_object))
			return fail(reader, "a field has the wrong type");
		record->ended_branch_count++;   /* its strings are freed by the clear, read or not */
		if (!read_ended_branch(entry, &record->ended_branches[i], reader))
			return false;
		if (record->ended_branches[i].peer >= (int) record->monologue_count)
			return fail(reader, "a peer is out of range");
	}
	return true;
}

/* "recording" (version 2) and the optional "recording_files" (see put_recording) */
static bool read_recording(json_object *root, struct redis_call_record *record, struct reader *reader)
{
	json_object *recording = field(root, "recording", json_type_object, false, reader);
	if (recording) {
		char state[8];
		if (!read_text(recording, "state", state, sizeof(state), true, reader)
		    || !read_string(recording, "metadata", &record->recording_metadata, reader))
			return false;
		record->recording = !strcmp(state, "yes") ? 1 : !strcmp(state, "paused") ? 2 : 0;
		if (!record->recording)
			return fail(reader, "unknown recording state");
	} else if (reader->reason) {
		return false;
	}
	json_object *files = field(root, "recording_files", json_type_object, false, reader);
	if (!files)
		return !reader->reason;
	json_object *sides = field(files, "forwarding_sides", json_type_array, true, reader);
	if (!sides || !read_bool(files, "forwarding", &record->recording_forwarding, reader)
	    || !read_string(files, "prefix", &record->recording_prefix, reader)
	    || !read_string(files, "output_destination", &record->recording_output_destination, reader))
		return false;
	g_free(record->recording_metadata);   /* the same text, also there when only forwarding */
	if (!read_string(files, "metadata", &record->recording_metadata, reader))
		return false;
	size_t count = json_object_array_length(sides);
	for (size_t i = 0; i < count; i++) {
		json_object *side = json_object_array_get_idx(sides, i);
		if (!json_object_is_type(side, json_type_int) || json_object_get_int64(side) < 0
		    || json_object_get_int64(side) >= CALL_MAX_MONOLOGUES)
			return fail(reader, "a forwarded side is out of range");
		record->recording_forwarding_sides |= 1u << json_object_get_int64(side);
	}
	record->recording_files = true;
	return true;
}

/* The door: one check of what the value is and which version wrote it. */
static bool read_version(json_object *root, struct reader *reader, int *error)
{
	*error = -EINVAL;
	if (!json_object_is_type(root, json_type_object))
		return fail(reader, "not a JSON object");
	json_object *schema = NULL;
	/* version 1 had no "schema" field */
	if (json_object_object_get_ex(root, "schema", &schema)
	    && (!json_object_is_type(schema, json_type_string) || strcmp(json_object_get_string(schema), REDIS_VALUE_SCHEMA)))
		return fail(reader, "not an rtpengine call value");
	int64_t version;
	if (!read_int64(root, "version", 0, INT32_MAX, &version, reader))
		return false;
	if (version < REDIS_VALUE_OLDEST_VERSION || version > REDIS_VALUE_VERSION) {
		*error = -EPROTONOSUPPORT;
		return fail(reader, "unknown schema version");
	}
	reader->version = (unsigned int) version;
	return true;
}

int redis_value_decode(const char *text, size_t length, struct redis_call_record *record, const char **reason)
{
	redis_call_record_clear(record);
	struct reader reader = { 0 };
	int error = -EINVAL;
	json_tokener *tokener = json_tokener_new();
	json_object *root = tokener ? json_tokener_parse_ex(tokener, text, (int) length) : NULL;
	if (!root || json_tokener_get_error(tokener) != json_tokener_success) {
		fail(&reader, "not valid JSON");
		goto done;
	}
	if (!read_version(root, &reader, &error))
		goto done;
	error = -EINVAL;
	record->version = reader.version;
	if (!read_string(root, "call_id", &record->call_id, &reader))
		goto done;
	if (!record->call_id || !record->call_id[0]) {
		fail(&reader, "no call-id");
		goto done;
	}
	if (!read_int64(root, "created_us", 0, INT64_MAX, &record->created_us, &reader)
	    || !read_int64(root, "last_signal_us", 0, INT64_MAX, &record->last_signal_us, &reader))
		goto done;
	/* absent: 0 (the record is reused: nothing of the previous value stays) */
	record->media_created = record->monologues_created = 0;
	bool media_created_set, monologues_created_set;
	if (!read_optional_uint(root, "media_created", INT32_MAX, &record->media_created, &media_created_set, &reader)
	    || !read_optional_uint(root, "monologues_created", INT32_MAX, &record->monologues_created,
				   &monologues_created_set, &reader))
		goto done;
	record->delete_at_us = 0;
	if (field(root, "delete_at_us", json_type_int, false, &reader)) {
		if (!read_int64(root, "delete_at_us", 0, INT64_MAX, &record->delete_at_us, &reader))
			goto done;
	} else if (reader.reason) {
		goto done;
	}
	if (!read_recording(root, record, &reader))
		goto done;
	json_object *monologues = field(root, "monologues", json_type_array, true, &reader);
	if (!monologues)
		goto done;
	size_t count = json_object_array_length(monologues);
	if (count > CALL_MAX_MONOLOGUES) {
		fail(&reader, "too many monologues");
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		json_object *entry = json_object_array_get_idx(monologues, i);
		if (!json_object_is_type(entry, json_type_object)) {
			fail(&reader, "a field has the wrong type");
			goto done;
		}
		record->monologue_count++;
		if (!read_monologue(entry, &record->monologues[i], &reader))
			goto done;
	}
	if (!read_ended_branches(root, record, &reader))
		goto done;
	/* links point inside the call */
	for (unsigned int m = 0; m < record->monologue_count; m++) {
		const struct redis_monologue_record *monologue = &record->monologues[m];
		if (monologue->peer >= (int) record->monologue_count) {
			fail(&reader, "a peer is out of range");
			goto done;
		}
		for (unsigned int n = 0; n < monologue->media_count; n++) {
			const struct redis_media_record *media = &monologue->media[n];
			if (media->sink_monologue >= (int) record->monologue_count
			    || (media->sink_monologue >= 0
				&& media->sink_media >= (int) record->monologues[media->sink_monologue].media_count)) {
				fail(&reader, "a sink is out of range");
				goto done;
			}
			/* BUNDLE: the transport and the group's members are media of the same side */
			bool bundle_ok = media->bundle_owner < (int) monologue->media_count;
			for (unsigned int k = 0; media->bundle_group && k < media->bundle_demux.media_count; k++)
				bundle_ok = bundle_ok && media->bundle_members[k] < monologue->media_count;
			if (!bundle_ok) {
				fail(&reader, "a BUNDLE media is out of range");
				goto done;
			}
			/* publish/subscribe: only a subscriber's media copies, and from a side that is
			 * not one (the two share a slot of the stream's extras, call.h) */
			if (media->source_monologue >= 0
			    && (!monologue->subscriber || media->source_monologue >= (int) record->monologue_count
				|| record->monologues[media->source_monologue].subscriber
				|| media->source_media >= (int) record->monologues[media->source_monologue].media_count)) {
				fail(&reader, "a subscription source is out of range");
				goto done;
			}
		}
	}
	error = 0;
done:
	if (root)
		json_object_put(root);
	if (tokener)
		json_tokener_free(tokener);
	if (error) {
		redis_call_record_clear(record);
		if (reason)
			*reason = reader.reason ? reader.reason : "not a call value";
	}
	return error;
}

void redis_call_record_clear(struct redis_call_record *record)
{
	g_free(record->call_id);
	g_free(record->recording_metadata);
	record->recording_metadata = NULL;
	record->recording = 0;
	g_free(record->recording_prefix);
	g_free(record->recording_output_destination);
	record->recording_prefix = record->recording_output_destination = NULL;
	record->recording_files = record->recording_forwarding = false;
	record->recording_forwarding_sides = 0;
	for (unsigned int m = 0; m < record->monologue_count && m < CALL_MAX_MONOLOGUES; m++) {
		struct redis_monologue_record *monologue = &record->monologues[m];
		g_free(monologue->tag);
		g_free(monologue->via_branch);
		g_free(monologue->label);
		g_free(monologue->sdp);
	}
	for (unsigned int b = 0; b < record->ended_branch_count && b < REDIS_MAX_ENDED_BRANCHES; b++) {
		struct redis_ended_branch_record *branch = &record->ended_branches[b];
		g_free(branch->tag);
		g_free(branch->via_branch);
		g_free(branch->label);
	}
	/* nothing else is zeroed: the next decode writes each record it uses whole (70 KB of
	 * memset per value was a tenth of the restore time) */
	record->call_id = NULL;
	record->version = record->monologue_count = record->ended_branch_count = 0;
	record->monologues_created = 0;
}
