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

static void add_endpoint(struct ng_request *request, struct bencode_item *parent, const char *key,
                         const union endpoint *endpoint)
{
	struct bencode_item *dictionary = bencode_dictionary_add_dictionary(request->buffer, parent, key);
	if (!endpoint_is_set(endpoint))
		return;
	char text[ENDPOINT_TEXT_SIZE];
	bencode_dictionary_add_string(request->buffer, dictionary, "family", endpoint_family_name(endpoint));
	bencode_dictionary_add_string(request->buffer, dictionary, "address",
				      endpoint_address_text(endpoint, text, sizeof(text)));
	bencode_dictionary_add_integer(request->buffer, dictionary, "port", endpoint_port(endpoint));
}

static void add_counters(struct ng_request *request, struct bencode_item *parent, const char *key,
                         uint64_t packets, uint64_t bytes, uint64_t errors)
{
	struct bencode_item *dictionary = bencode_dictionary_add_dictionary(request->buffer, parent, key);
	bencode_dictionary_add_integer(request->buffer, dictionary, "packets", (long long) packets);
	bencode_dictionary_add_integer(request->buffer, dictionary, "bytes", (long long) bytes);
	bencode_dictionary_add_integer(request->buffer, dictionary, "errors", (long long) errors);
}

static void describe_stream(struct ng_request *request, struct bencode_item *list, const struct stream *stream,
                            const struct stream_statistics *copy, int64_t call_created_us, bool diagnostics)
{
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *item = bencode_dictionary_new(buffer);
	bencode_list_append(list, item);
	const struct media *media = stream->media;
	if (media->interface) {
		char text[ENDPOINT_TEXT_SIZE];
		bencode_dictionary_add_string(buffer, item, "local address",
					      endpoint_address_text(&media->interface->local, text, sizeof(text)));
		bencode_dictionary_add_string(buffer, item, "family", endpoint_family_name(&media->interface->local));
	}
	bencode_dictionary_add_integer(buffer, item, "local port", stream->local_port);
	/* advertised is written by the control thread alone: read in place */
	const union endpoint *peer = (copy->state & STREAM_LATCHED) ? &copy->learned : &stream->advertised;
	add_endpoint(request, item, "endpoint", peer);
	add_endpoint(request, item, "advertised endpoint", &stream->advertised);
	int64_t last = copy->counters.last_packet_us ? copy->counters.last_packet_us : call_created_us;
	bencode_dictionary_add_integer(buffer, item, "last packet", last / 1000000);
	struct bencode_item *flags = bencode_dictionary_add_list(buffer, item, "flags");
	bencode_list_append_string(buffer, flags, stream->kind == STREAM_RTCP ? "RTCP" : "RTP");
	if (copy->state & STREAM_FILLED)
		bencode_list_append_string(buffer, flags, "filled");
	if (copy->state & STREAM_CONFIRMED)
		bencode_list_append_string(buffer, flags, "confirmed");
	if (stream->extras->kernelized)
		bencode_list_append_string(buffer, flags, "kernelized");
	if (media->rtcp_mux)
		bencode_list_append_string(buffer, flags, "RTCP-mux");
	if (media->monologue->flags & SIDE_STRICT_SOURCE)
		bencode_list_append_string(buffer, flags, "strict source address");
	if (media->monologue->flags & SIDE_MEDIA_HANDOVER)
		bencode_list_append_string(buffer, flags, "media handover");
	if (diagnostics) {
		/* ours, not upstream's: operators ask why media does not flow */
		bencode_dictionary_add_string(buffer, item, "endpoint learning", copy->learning_status);
		bencode_dictionary_add_string(buffer, item, "kernel", stream->extras->kernelized ? "forwarding"
					      : stream->extras->kernel_reason ? stream->extras->kernel_reason : "pending");
	}
	add_counters(request, item, "stats", copy->counters.packets, copy->counters.bytes, copy->counters.errors);
}

/* copies: the media's two streams as call_statistics_gather() copied them */
static void describe_media(struct ng_request *request, struct bencode_item *list, const struct media *media,
                           const struct stream_statistics copies[2], int64_t call_created_us, bool diagnostics)
{
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *item = bencode_dictionary_new(buffer);
	bencode_list_append(list, item);
	bencode_dictionary_add_integer(buffer, item, "index", media->index);
	bencode_dictionary_add_string(buffer, item, "type", media->type);
	bencode_dictionary_add_string(buffer, item, "protocol", media->protocol);
	struct bencode_item *flags = bencode_dictionary_add_list(buffer, item, "flags");
	if (media->rtp_port)
		bencode_list_append_string(buffer, flags, "initialized");
	if (media->direction != SDP_DIRECTION_RECVONLY && media->direction != SDP_DIRECTION_INACTIVE)
		bencode_list_append_string(buffer, flags, "send");
	if (media->direction != SDP_DIRECTION_SENDONLY && media->direction != SDP_DIRECTION_INACTIVE)
		bencode_list_append_string(buffer, flags, "recv");
	if (media->rtcp_mux)
		bencode_list_append_string(buffer, flags, "RTCP-mux");
	if (media->rejected)
		bencode_list_append_string(buffer, flags, "rejected");
	struct bencode_item *streams = bencode_dictionary_add_list(buffer, item, "streams");
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++)
		describe_stream(request, streams, &media->streams[kind], &copies[kind], call_created_us, diagnostics);
}

void ng_describe_call(struct ng_request *request, struct call *call, bool diagnostics)
{
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *reply = request->reply;
	/* the packet path's state is copied under the lock; the rest is the control thread's own */
	struct call_statistics statistics;
	call_statistics_gather(call, &statistics);
	unsigned int copied = 0;   /* the copies come in call_foreach_stream() order, as this loop */
	bencode_dictionary_add_integer(buffer, reply, "created", call->created_us / 1000000);
	bencode_dictionary_add_integer(buffer, reply, "created_us", call->created_us % 1000000);
	bencode_dictionary_add_integer(buffer, reply, "last signal", call->last_signal_us / 1000000);
	struct bencode_item *ssrcs = bencode_dictionary_add_dictionary(buffer, reply, "SSRC");
	struct bencode_item *tags = bencode_dictionary_add_dictionary(buffer, reply, "tags");
	/* by hand, not call_foreach_media(): the reply nests each side's media under its tag */
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		struct monologue *monologue = call->monologues[m];
		const char *tag = monologue->tag ? monologue->tag : "";
		struct bencode_item *item = bencode_dictionary_add_dictionary(buffer, tags, tag);
		bencode_dictionary_add_string(buffer, item, "tag", tag);
		bencode_dictionary_add_integer(buffer, item, "created", monologue->created_us / 1000000);
		if (monologue->label)
			bencode_dictionary_add_string(buffer, item, "label", monologue->label);
		if (monologue->peer && monologue->peer->tag)
			bencode_dictionary_add_string(buffer, item, "in dialogue with", monologue->peer->tag);
		struct bencode_item *medias = bencode_dictionary_add_list(buffer, item, "medias");
		for (unsigned int i = 0; i < monologue->media_count; i++) {
			const struct stream_statistics *streams = &statistics.streams[copied];
			copied += 2;
			describe_media(request, medias, monologue->media[i], streams, call->created_us, diagnostics);
			uint32_t ssrc = streams[STREAM_RTP].last_ssrc;
			if (ssrc && streams[STREAM_RTP].counters.packets) {
				char key[16];
				snprintf(key, sizeof(key), "%u", ssrc);
				if (!bencode_dictionary_get(ssrcs, key)) {
					struct bencode_item *entry = bencode_dictionary_add_dictionary(buffer, ssrcs, key);
					bencode_dictionary_add_string(buffer, entry, "tag", tag);
				}
			}
		}
	}
	const struct call_totals *totals = &statistics.totals;
	struct bencode_item *sums = bencode_dictionary_add_dictionary(buffer, reply, "totals");
	add_counters(request, sums, "RTP", totals->rtp_packets, totals->rtp_bytes, totals->rtp_errors);
	add_counters(request, sums, "RTCP", totals->rtcp_packets, totals->rtcp_bytes, totals->rtcp_errors);
	call_statistics_free(&statistics);
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
