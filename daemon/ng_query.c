/* The commands that report and end calls: ping, query, delete, list, statistics. The reply
 * layout follows upstream's so that existing scripts keep working. */
#include "ng_commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "call.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "interface.h"
#include "log.h"
#include "relay.h"
#include "statistics.h"

/* The call's description (query, delete) is written with the streaming writer into this
 * buffer (control thread only, kept from one request to the next) and then joins the reply
 * as three pre-encoded values. Building it as an item tree to encode it once was 40% of the
 * user-space instructions of an offer+answer+delete cycle (callgrind, ng cycle bench, 16 in
 * flight: 102k -> see docs/architecture.md per cycle). */
static GString *description;

#define write_key_text(out, key, text) (bencode_write_literal(out, key), bencode_write_text(out, text))
#define write_key_integer(out, key, value) (bencode_write_literal(out, key), bencode_write_integer(out, value))

static void write_endpoint(GString *out, const union endpoint *endpoint)
{
	bencode_write_dictionary(out);
	if (endpoint_is_set(endpoint)) {
		char text[ENDPOINT_TEXT_SIZE];
		write_key_text(out, "family", endpoint_family_name(endpoint));
		write_key_text(out, "address", endpoint_address_text(endpoint, text, sizeof(text)));
		write_key_integer(out, "port", endpoint_port(endpoint));
	}
	bencode_write_end(out);
}

static void write_counters(GString *out, uint64_t packets, uint64_t bytes, uint64_t errors)
{
	bencode_write_dictionary(out);
	write_key_integer(out, "packets", (long long) packets);
	write_key_integer(out, "bytes", (long long) bytes);
	write_key_integer(out, "errors", (long long) errors);
	bencode_write_end(out);
}

static void describe_stream(GString *out, const struct stream *stream, const struct stream_statistics *copy,
                            int64_t call_created_us, bool diagnostics)
{
	bencode_write_dictionary(out);
	const struct media *media = stream->media;
	if (media->interface) {
		char text[ENDPOINT_TEXT_SIZE];
		write_key_text(out, "local address", endpoint_address_text(&media->interface->local, text, sizeof(text)));
		write_key_text(out, "family", endpoint_family_name(&media->interface->local));
	}
	write_key_integer(out, "local port", stream->local_port);
	/* advertised is written by the control thread alone: read in place */
	const union endpoint *peer = (copy->state & STREAM_LATCHED) ? &copy->learned : &stream->advertised;
	bencode_write_literal(out, "endpoint");
	write_endpoint(out, peer);
	bencode_write_literal(out, "advertised endpoint");
	write_endpoint(out, &stream->advertised);
	int64_t last = copy->counters.last_packet_us ? copy->counters.last_packet_us : call_created_us;
	write_key_integer(out, "last packet", last / 1000000);
	bencode_write_literal(out, "flags");
	bencode_write_list(out);
	bencode_write_text(out, stream->kind == STREAM_RTCP ? "RTCP" : "RTP");
	if (copy->state & STREAM_FILLED)
		bencode_write_literal(out, "filled");
	if (copy->state & STREAM_CONFIRMED)
		bencode_write_literal(out, "confirmed");
	if (stream->extras->kernelized)
		bencode_write_literal(out, "kernelized");
	if (media->rtcp_mux)
		bencode_write_literal(out, "RTCP-mux");
	if (media->monologue->flags & SIDE_STRICT_SOURCE)
		bencode_write_literal(out, "strict source address");
	if (media->monologue->flags & SIDE_MEDIA_HANDOVER)
		bencode_write_literal(out, "media handover");
	bencode_write_end(out);
	if (diagnostics) {
		/* ours, not upstream's: operators ask why media does not flow */
		write_key_text(out, "endpoint learning", copy->learning_status);
		write_key_text(out, "kernel", stream->extras->kernelized ? "forwarding"
			       : stream->extras->kernel_reason ? stream->extras->kernel_reason : "pending");
	}
	bencode_write_literal(out, "stats");
	write_counters(out, copy->counters.packets, copy->counters.bytes, copy->counters.errors);
	bencode_write_end(out);
}

/* copies: the media's two streams as call_statistics_gather() copied them */
static void describe_media(GString *out, const struct media *media, const struct stream_statistics copies[2],
                           int64_t call_created_us, bool diagnostics)
{
	bencode_write_dictionary(out);
	write_key_integer(out, "index", media->index);
	write_key_text(out, "type", media->type);
	write_key_text(out, "protocol", media->protocol);
	bencode_write_literal(out, "flags");
	bencode_write_list(out);
	if (media->rtp_port)
		bencode_write_literal(out, "initialized");
	if (media->direction != SDP_DIRECTION_RECVONLY && media->direction != SDP_DIRECTION_INACTIVE)
		bencode_write_literal(out, "send");
	if (media->direction != SDP_DIRECTION_SENDONLY && media->direction != SDP_DIRECTION_INACTIVE)
		bencode_write_literal(out, "recv");
	if (media->rtcp_mux)
		bencode_write_literal(out, "RTCP-mux");
	if (media->rejected)
		bencode_write_literal(out, "rejected");
	bencode_write_end(out);
	bencode_write_literal(out, "streams");
	bencode_write_list(out);
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++)
		describe_stream(out, &media->streams[kind], &copies[kind], call_created_us, diagnostics);
	bencode_write_end(out);
	bencode_write_end(out);
}

static const char *monologue_tag(const struct monologue *monologue)
{
	return monologue->tag ? monologue->tag : "";
}

/* "SSRC": { "<ssrc>": { "tag": <the first side whose media received it> } }, for the RTP
 * streams that received packets, in the order of the sides and their media. */
static void describe_ssrcs(GString *out, const struct call *call, const struct call_statistics *statistics)
{
	struct {
		uint32_t ssrc;
	} seen[CALL_MAX_MONOLOGUES * CALL_MAX_MEDIA];
	unsigned int seen_count = 0, copied = 0;
	bencode_write_dictionary(out);
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		const struct monologue *monologue = call->monologues[m];
		for (unsigned int i = 0; i < monologue->media_count; i++, copied += 2) {
			const struct stream_statistics *rtp = &statistics->streams[copied + STREAM_RTP];
			if (!rtp->last_ssrc || !rtp->counters.packets)
				continue;
			bool known = false;
			for (unsigned int j = 0; j < seen_count && !known; j++)
				known = seen[j].ssrc == rtp->last_ssrc;
			if (known || seen_count == G_N_ELEMENTS(seen))
				continue;
			seen[seen_count++].ssrc = rtp->last_ssrc;
			char key[16];
			snprintf(key, sizeof(key), "%u", rtp->last_ssrc);
			bencode_write_text(out, key);
			bencode_write_dictionary(out);
			write_key_text(out, "tag", monologue_tag(monologue));
			bencode_write_end(out);
		}
	}
	bencode_write_end(out);
}

static void describe_tags(GString *out, const struct call *call, const struct call_statistics *statistics,
                          bool diagnostics)
{
	unsigned int copied = 0;   /* the copies come in call_foreach_stream() order, as this loop */
	bencode_write_dictionary(out);
	/* by hand, not call_foreach_media(): the reply nests each side's media under its tag */
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		const struct monologue *monologue = call->monologues[m];
		const char *tag = monologue_tag(monologue);
		bencode_write_text(out, tag);
		bencode_write_dictionary(out);
		write_key_text(out, "tag", tag);
		write_key_integer(out, "created", monologue->created_us / 1000000);
		if (monologue->label)
			write_key_text(out, "label", monologue->label);
		if (monologue->peer && monologue->peer->tag)
			write_key_text(out, "in dialogue with", monologue->peer->tag);
		bencode_write_literal(out, "medias");
		bencode_write_list(out);
		for (unsigned int i = 0; i < monologue->media_count; i++, copied += 2)
			describe_media(out, monologue->media[i], &statistics->streams[copied], call->created_us, diagnostics);
		bencode_write_end(out);
		bencode_write_end(out);
	}
	bencode_write_end(out);
}

void ng_describe_call(struct ng_request *request, struct call *call, bool diagnostics)
{
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *reply = request->reply;
	/* the packet path's state is copied under the lock; the rest is the control thread's own */
	struct call_statistics statistics;
	call_statistics_gather(call, &statistics);
	bencode_dictionary_add_integer(buffer, reply, "created", call->created_us / 1000000);
	bencode_dictionary_add_integer(buffer, reply, "created_us", call->created_us % 1000000);
	bencode_dictionary_add_integer(buffer, reply, "last signal", call->last_signal_us / 1000000);

	if (!description)
		description = g_string_sized_new(4096);
	GString *out = description;
	g_string_truncate(out, 0);
	describe_ssrcs(out, call, &statistics);
	size_t tags_start = out->len;
	describe_tags(out, call, &statistics, diagnostics);
	size_t totals_start = out->len;
	const struct call_totals *totals = &statistics.totals;
	bencode_write_dictionary(out);
	bencode_write_literal(out, "RTP");
	write_counters(out, totals->rtp_packets, totals->rtp_bytes, totals->rtp_errors);
	bencode_write_literal(out, "RTCP");
	write_counters(out, totals->rtcp_packets, totals->rtcp_bytes, totals->rtcp_errors);
	bencode_write_end(out);
	call_statistics_free(&statistics);

	bencode_dictionary_add(buffer, reply, "SSRC", bencode_encoded_new(buffer, out->str, tags_start));
	bencode_dictionary_add(buffer, reply, "tags",
			       bencode_encoded_new(buffer, out->str + tags_start, totals_start - tags_start));
	bencode_dictionary_add(buffer, reply, "totals",
			       bencode_encoded_new(buffer, out->str + totals_start, out->len - totals_start));
}

int ng_command_ping(struct ng_request *request)
{
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "pong");
	return 0;
}

int ng_command_query(struct ng_request *request)
{
	if (!request->flags.call_id) {
		request->error_reason = "No call-id in message";
		return -EINVAL;
	}
	struct call *call = call_lookup(request->flags.call_id);
	if (!call) {
		request->error_reason = "Unknown call-id";
		return -ENOENT;
	}
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	ng_describe_call(request, call, true);
	return 0;
}

int ng_command_delete(struct ng_request *request)
{
	const struct ng_flags *flags = &request->flags;
	if (!flags->call_id) {
		request->error_reason = "No call-id in message";
		return -EINVAL;
	}
	struct call *call = call_lookup(flags->call_id);
	bool tags_match = call && (!flags->from_tag || call_find_monologue(call, flags->from_tag)
				   || (flags->to_tag && call_find_monologue(call, flags->to_tag)));
	if (!call || !tags_match) {
		/* upstream answers ok with a warning, unless the request asks for a hard failure */
		if (flags->fatal) {
			request->error_reason = "Call-ID not found or tags didn't match";
			return -ENOENT;
		}
		bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
		request->warning = "Call-ID not found or tags didn't match";
		return 0;
	}
	struct daemon_context *daemon = request->daemon;
	long long delay = flags->has_delete_delay ? flags->delete_delay : daemon->config->delete_delay;
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	ng_describe_call(request, call, false);
	if (delay > 0) {
		call->delete_at_us = now_realtime_us() + delay * 1000000LL;
		log_call(LOG_INFO, call->call_id, "Scheduling deletion of call in %lld seconds", delay);
	} else {
		call_end(call, CALL_END_DELETE);
	}
	return 0;
}

struct list_state {
	struct ng_request *request;
	struct bencode_item *list;
	long long left;
};

static void list_add_call(struct call *call, void *data)
{
	struct list_state *state = data;
	if (state->left-- > 0)
		bencode_list_append_string(state->request->buffer, state->list, call->call_id);
}

int ng_command_list(struct ng_request *request)
{
	struct list_state state = {
		request, bencode_dictionary_add_list(request->buffer, request->reply, "calls"), request->flags.limit,
	};
	call_foreach(list_add_call, &state);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}
