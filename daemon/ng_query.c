/* The commands that report and end calls: ping, query, delete, list, statistics. The reply
 * layout follows upstream's so that existing scripts keep working. */
#include "ng_commands.h"
#include "pubsub.h"
#include "recording.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "call.h"
#include "kernel_backend.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "interface.h"
#include "log.h"
#include "ng_call_lookup.h"
#include "redis.h"
#include "relay.h"
#include "statistics.h"

/* The call's description (query, delete) is written with the streaming writer into this
 * buffer (control thread only, kept from one request to the next) and then joins the reply
 * as three pre-encoded values. Building it as an item tree to encode it once was 40% of the
 * user-space instructions of an offer+answer+delete cycle (callgrind, ng cycle bench, 16 in
 * flight: 102.4k -> 76.9k per cycle). */
static GString *description;

/* The fixed words of a description (keys, flags, families), encoded once: copying a ready
 * token costs a third of encoding it each time (callgrind, ng cycle bench: 73.1k -> 70.8k
 * instructions per offer+answer+delete cycle, with formatting the interface address once
 * per media). */
enum word {
	WORD_ADDRESS, WORD_ADVERTISED_ENDPOINT, WORD_BYTES, WORD_CONFIRMED, WORD_CREATED, WORD_ENDPOINT,
	WORD_ENDPOINT_LEARNING, WORD_ERRORS, WORD_FAMILY, WORD_FILLED, WORD_FLAGS, WORD_IN_DIALOGUE_WITH, WORD_INDEX,
	WORD_INITIALIZED, WORD_IPV4, WORD_IPV6, WORD_KERNEL, WORD_KERNELIZED, WORD_LABEL, WORD_LAST_PACKET,
	WORD_LOCAL_ADDRESS, WORD_LOCAL_PORT, WORD_MEDIA_HANDOVER, WORD_MEDIAS, WORD_PACKETS, WORD_PORT,
	WORD_PROTOCOL, WORD_RECV, WORD_REJECTED, WORD_RTCP, WORD_RTCP_MUX, WORD_RTP, WORD_SEND, WORD_STATS,
	WORD_STREAMS, WORD_STRICT_SOURCE_ADDRESS, WORD_TAG, WORD_TYPE, WORD_DTLS, WORD_ICE, WORD_VIA_BRANCH,
	/* RTCP statistics */
	WORD_SSRC, WORD_MOS, WORD_RTT, WORD_RTT_LEG, WORD_JITTER, WORD_PACKET_LOSS, WORD_REPORTED_AT, WORD_SAMPLES,
	WORD_COUNT
};

static const char *const word_texts[WORD_COUNT] = {
	[WORD_ADDRESS] = "address", [WORD_ADVERTISED_ENDPOINT] = "advertised endpoint", [WORD_BYTES] = "bytes",
	[WORD_CONFIRMED] = "confirmed", [WORD_CREATED] = "created", [WORD_ENDPOINT] = "endpoint",
	[WORD_ENDPOINT_LEARNING] = "endpoint learning", [WORD_ERRORS] = "errors", [WORD_FAMILY] = "family",
	[WORD_FILLED] = "filled", [WORD_FLAGS] = "flags", [WORD_IN_DIALOGUE_WITH] = "in dialogue with",
	[WORD_INDEX] = "index", [WORD_INITIALIZED] = "initialized", [WORD_IPV4] = "IPv4", [WORD_IPV6] = "IPv6",
	[WORD_KERNEL] = "kernel", [WORD_KERNELIZED] = "kernelized", [WORD_LABEL] = "label",
	[WORD_LAST_PACKET] = "last packet", [WORD_LOCAL_ADDRESS] = "local address", [WORD_LOCAL_PORT] = "local port",
	[WORD_MEDIA_HANDOVER] = "media handover", [WORD_MEDIAS] = "medias", [WORD_PACKETS] = "packets",
	[WORD_PORT] = "port", [WORD_PROTOCOL] = "protocol", [WORD_RECV] = "recv", [WORD_REJECTED] = "rejected",
	[WORD_RTCP] = "RTCP", [WORD_RTCP_MUX] = "RTCP-mux", [WORD_RTP] = "RTP", [WORD_SEND] = "send",
	[WORD_STATS] = "stats", [WORD_STREAMS] = "streams", [WORD_STRICT_SOURCE_ADDRESS] = "strict source address",
	[WORD_TAG] = "tag", [WORD_TYPE] = "type", [WORD_DTLS] = "DTLS", [WORD_ICE] = "ICE",
	[WORD_VIA_BRANCH] = "via-branch",
	/* RTCP statistics */
	[WORD_SSRC] = "SSRC", [WORD_MOS] = "MOS", [WORD_RTT] = "round-trip time", [WORD_RTT_LEG] = "round-trip time leg",
	[WORD_JITTER] = "jitter", [WORD_PACKET_LOSS] = "packet loss", [WORD_REPORTED_AT] = "reported at",
	[WORD_SAMPLES] = "samples",
};

static struct {
	unsigned char length;
	char token[31];
} word_tokens[WORD_COUNT];

static void encode_words(void)
{
	GString *scratch = g_string_new(NULL);
	for (unsigned int i = 0; i < WORD_COUNT; i++) {
		g_string_truncate(scratch, 0);
		bencode_write_text(scratch, word_texts[i]);
		g_assert(scratch->len <= sizeof(word_tokens[i].token));
		memcpy(word_tokens[i].token, scratch->str, scratch->len);
		word_tokens[i].length = (unsigned char) scratch->len;
	}
	g_string_free(scratch, TRUE);
}

/* The whole 31-byte slot is copied (a fixed-size copy, no branching on the length) and the
 * end set back to the token's: 70 words per delete, ~60 -> ~12 instructions each (callgrind,
 * ng cycle bench). */
static inline void write_word(GString *out, enum word word)
{
	const size_t slot = sizeof(word_tokens[word].token);
	if (G_UNLIKELY(out->len + slot + 1 > out->allocated_len))
		bencode_write_grow(out, slot);
	memcpy(out->str + out->len, word_tokens[word].token, slot);
	out->len += word_tokens[word].length;
	out->str[out->len] = '\0';
}

static void write_key_text(GString *out, enum word key, const char *text)
{
	write_word(out, key);
	bencode_write_text(out, text);
}

static void write_key_integer(GString *out, enum word key, long long value)
{
	write_word(out, key);
	bencode_write_integer(out, value);
}

static enum word family_word(const union endpoint *endpoint)
{
	/* as endpoint_family_name() */
	return endpoint->address.sa_family == AF_INET6 ? WORD_IPV6 : WORD_IPV4;
}

static void write_endpoint(GString *out, const union endpoint *endpoint)
{
	bencode_write_dictionary(out);
	if (endpoint_is_set(endpoint)) {
		char text[ENDPOINT_TEXT_SIZE];
		write_word(out, WORD_FAMILY);
		write_word(out, family_word(endpoint));
		write_key_text(out, WORD_ADDRESS, endpoint_address_text(endpoint, text, sizeof(text)));
		write_key_integer(out, WORD_PORT, endpoint_port(endpoint));
	}
	bencode_write_end(out);
}

static void write_counters(GString *out, uint64_t packets, uint64_t bytes, uint64_t errors)
{
	bencode_write_dictionary(out);
	write_key_integer(out, WORD_PACKETS, (long long) packets);
	write_key_integer(out, WORD_BYTES, (long long) bytes);
	write_key_integer(out, WORD_ERRORS, (long long) errors);
	bencode_write_end(out);
}

/* local_address: the media's interface address as text, NULL when it holds no ports (a
 * rejected m= line, an ended via-branch: 10.5 lists those streams without local address,
 * family and port) */
static void describe_stream(GString *out, const struct stream *stream, const struct stream_statistics *copy,
                            const char *local_address, int64_t call_created_us, bool diagnostics, uint32_t ssrc)
{
	bencode_write_dictionary(out);
	const struct media *media = stream->media;
	if (local_address) {
		write_key_text(out, WORD_LOCAL_ADDRESS, local_address);
		write_word(out, WORD_FAMILY);
		write_word(out, family_word(&media->interface->local));
		write_key_integer(out, WORD_LOCAL_PORT, stream->local_port);
	}
	/* advertised is written by the control thread alone: read in place */
	const union endpoint *peer = (copy->state & STREAM_LATCHED) ? &copy->learned : &stream->advertised;
	write_word(out, WORD_ENDPOINT);
	size_t peer_start = out->len;
	write_endpoint(out, peer);
	size_t peer_end = out->len;
	write_word(out, WORD_ADVERTISED_ENDPOINT);
	if (peer == &stream->advertised) {
		/* the same dictionary again (no packet yet): copied rather than formatted twice, room
		 * made first so that the source does not move */
		if (out->len + (peer_end - peer_start) + 1 > out->allocated_len)
			bencode_write_grow(out, peer_end - peer_start);
		bencode_write_encoded(out, out->str + peer_start, peer_end - peer_start);
	} else {
		write_endpoint(out, &stream->advertised);
	}
	int64_t last = copy->counters.last_packet_us ? copy->counters.last_packet_us : call_created_us;
	write_key_integer(out, WORD_LAST_PACKET, last / 1000000);
	write_word(out, WORD_FLAGS);
	bencode_write_list(out);
	write_word(out, stream->kind == STREAM_RTCP ? WORD_RTCP : WORD_RTP);
	if (copy->state & STREAM_FILLED)
		write_word(out, WORD_FILLED);
	if (copy->state & STREAM_CONFIRMED)
		write_word(out, WORD_CONFIRMED);
	if (stream->extras->kernelized)
		write_word(out, WORD_KERNELIZED);
	if (media->rtcp_mux)
		write_word(out, WORD_RTCP_MUX);
	if (media->monologue->flags & SIDE_STRICT_SOURCE)
		write_word(out, WORD_STRICT_SOURCE_ADDRESS);
	if (media->monologue->flags & SIDE_MEDIA_HANDOVER)
		write_word(out, WORD_MEDIA_HANDOVER);
	bencode_write_end(out);
	/* as upstream, on both streams: the SSRC received on the media, the key into "SSRC"
	 * (Kamailio's A/B-labelled MOS variables follow it) */
	if (ssrc)
		write_key_integer(out, WORD_SSRC, ssrc);
	if (diagnostics) {
		/* ours, not upstream's: operators ask why media does not flow */
		write_key_text(out, WORD_ENDPOINT_LEARNING, copy->learning_status);
		write_key_text(out, WORD_KERNEL, stream->extras->kernelized ? "forwarding"
			       : stream->extras->kernel_reason ? stream->extras->kernel_reason : "pending");
		if (copy->dtls_state) {
			/* "established, passive, AES_CM_128_HMAC_SHA1_80": why media waits, or how it is keyed */
			char text[96];
			snprintf(text, sizeof(text), "%s, %s, %s", copy->dtls_state, copy->dtls_active ? "active" : "passive",
				 copy->dtls_suite);
			write_key_text(out, WORD_DTLS, text);
		}
		if (copy->ice.running) {
			/* ICE: our agent towards this side, and where it stands */
			char text[160];
			ice_agent_status_text(&copy->ice, text, sizeof(text));
			write_key_text(out, WORD_ICE, text);
		}
	}
	write_word(out, WORD_STATS);
	write_counters(out, copy->counters.packets, copy->counters.bytes, copy->counters.errors);
	bencode_write_end(out);
}

/* copies: the media's two streams as call_statistics_gather() copied them */
static void describe_media(GString *out, const struct media *media, const struct stream_statistics copies[2],
                           int64_t call_created_us, bool diagnostics)
{
	bencode_write_dictionary(out);
	write_key_integer(out, WORD_INDEX, media->index);
	write_key_text(out, WORD_TYPE, media->type);
	write_key_text(out, WORD_PROTOCOL, media->protocol);
	write_word(out, WORD_FLAGS);
	bencode_write_list(out);
	/* as 10.5: the side's own SDP described the media (an unanswered branch's is not yet) */
	if (copies[STREAM_RTP].state & STREAM_FILLED)
		write_word(out, WORD_INITIALIZED);
	if (media->direction != SDP_DIRECTION_RECVONLY && media->direction != SDP_DIRECTION_INACTIVE)
		write_word(out, WORD_SEND);
	if (media->direction != SDP_DIRECTION_SENDONLY && media->direction != SDP_DIRECTION_INACTIVE)
		write_word(out, WORD_RECV);
	if (media->rtcp_mux)
		write_word(out, WORD_RTCP_MUX);
	if (media->rejected)
		write_word(out, WORD_REJECTED);
	bencode_write_end(out);
	write_word(out, WORD_STREAMS);
	bencode_write_list(out);
	/* the same text for both streams: formatted once */
	char local_address[ENDPOINT_TEXT_SIZE];
	bool addressed = media->interface && media->rtp_port;
	if (addressed)
		endpoint_address_text(&media->interface->local, local_address, sizeof(local_address));
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++)
		describe_stream(out, &media->streams[kind], &copies[kind], addressed ? local_address : NULL,
				call_created_us, diagnostics, copies[STREAM_RTP].last_ssrc);
	bencode_write_end(out);
	bencode_write_end(out);
}

static const char *monologue_tag(const struct monologue *monologue)
{
	return monologue->tag ? monologue->tag : "";
}

/* RTCP statistics: one MOS sample as 10.5 writes it; samples: the count for an average,
 * else "reported at" */
static void describe_mos_sample(GString *out, const struct mos_sample *sample, long long samples)
{
	bencode_write_dictionary(out);
	write_key_integer(out, WORD_MOS, sample->mos);
	write_key_integer(out, WORD_RTT, sample->rtt_us);
	write_key_integer(out, WORD_RTT_LEG, sample->rtt_leg_us);
	write_key_integer(out, WORD_JITTER, sample->jitter_ms);
	write_key_integer(out, WORD_PACKET_LOSS, sample->loss_percent);
	if (samples >= 0)
		write_key_integer(out, WORD_SAMPLES, samples);
	else
		write_key_integer(out, WORD_REPORTED_AT, sample->reported_s);
	bencode_write_end(out);
}

/* RTCP statistics: 10.5's keys ("cumulative loss", average, lowest and highest MOS, the
 * progression), then what the relay measured itself from RTP (ours, also for calls without
 * RTCP). */
static void describe_quality(GString *out, const struct ssrc_quality *quality,
                             const struct mos_progression_view *progression)
{
	bencode_write_text(out, "cumulative loss");
	bencode_write_integer(out, quality->cumulative_lost);
	if (quality->mos_samples) {
		uint32_t count = quality->mos_samples;
		struct mos_sample average = {
			.mos = (uint8_t) (quality->sum_mos / count),
			.rtt_us = (uint32_t) (quality->sum_rtt_us / count),
			.rtt_leg_us = (uint32_t) (quality->sum_rtt_leg_us / count),
			.jitter_ms = (uint16_t) (quality->sum_jitter_ms / count),
			.loss_percent = (uint8_t) (quality->sum_loss_percent / count),
		};
		bencode_write_text(out, "average MOS");
		describe_mos_sample(out, &average, count);
		bencode_write_text(out, "lowest MOS");
		describe_mos_sample(out, &quality->lowest, -1);
		bencode_write_text(out, "highest MOS");
		describe_mos_sample(out, &quality->highest, -1);
	}
	if (quality->samples) {
		bencode_write_text(out, "MOS progression");
		bencode_write_dictionary(out);
		bencode_write_text(out, "interval");
		bencode_write_integer(out, progression->interval_s);
		bencode_write_text(out, "entries");
		bencode_write_list(out);
		for (unsigned int i = 0; i < progression->count; i++)
			describe_mos_sample(out, &progression->entries[i], -1);
		bencode_write_end(out);
		bencode_write_end(out);
	}
	bencode_write_text(out, "measured");
	bencode_write_dictionary(out);
	write_key_integer(out, WORD_PACKETS, (long long) quality->received);
	bencode_write_text(out, "expected");
	bencode_write_integer(out, (long long) media_quality_expected(quality));
	bencode_write_text(out, "lost");
	bencode_write_integer(out, (long long) media_quality_lost(quality));
	bencode_write_text(out, "duplicates");
	bencode_write_integer(out, (long long) quality->duplicates);
	bencode_write_text(out, "reordered");
	bencode_write_integer(out, (long long) quality->reordered);
	write_key_integer(out, WORD_JITTER, media_quality_jitter_ms(quality));
	bencode_write_text(out, "RTCP packets");
	bencode_write_integer(out, (long long) quality->rtcp_packets);
	bencode_write_end(out);
}

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
			write_key_text(out, WORD_TAG, monologue_tag(monologue));
			if (rtp->quality.ssrc == rtp->last_ssrc)
				describe_quality(out, &rtp->quality, &rtp->progression);
			bencode_write_end(out);
		}
	}
	bencode_write_end(out);
}

/* publish/subscribe (pubsub.h): 10.5's "subscriptions" and "subscribers" of a side that
 * takes part in it (a publisher, a subscriber, a source) */
static void write_pubsub_list(GString *out, const char *key, const struct monologue *const *tags, unsigned int count)
{
	bencode_write_text(out, key);
	bencode_write_list(out);
	for (unsigned int i = 0; i < count; i++) {
		bencode_write_dictionary(out);
		write_key_text(out, WORD_TAG, monologue_tag(tags[i]));
		write_word(out, WORD_TYPE);
		bencode_write_text(out, "pub/sub");
		bencode_write_end(out);
	}
	bencode_write_end(out);
}

static void describe_pubsub(GString *out, const struct monologue *monologue)
{
	const struct monologue *subscriptions[CALL_MAX_MONOLOGUES], *subscribers[CALL_MAX_MONOLOGUES];
	unsigned int subscription_count = pubsub_subscriptions(monologue, subscriptions, CALL_MAX_MONOLOGUES);
	unsigned int subscriber_count = pubsub_subscribers(monologue, subscribers, CALL_MAX_MONOLOGUES);
	if (!monologue->publisher && !monologue->subscriber && !subscriber_count)
		return;
	write_pubsub_list(out, "subscribers", subscribers, subscriber_count);
	write_pubsub_list(out, "subscriptions", subscriptions, subscription_count);
}

/* One side under its key: its tag, or 10.5's "<untagged N>" with the side's number (kept while
 * other sides come and go); copies: its streams' statistics, media by media. */
static void describe_side(GString *out, const struct monologue *monologue, const struct stream_statistics *copies,
                          int64_t call_created_us, bool diagnostics)
{
	const char *tag = monologue_tag(monologue);
	char untagged[32];
	snprintf(untagged, sizeof(untagged), "<untagged %u>", monologue->number);
	bencode_write_text(out, monologue->tag ? tag : untagged);
	bencode_write_dictionary(out);
	write_key_text(out, WORD_TAG, tag);
	if (monologue->via_branch)
		write_key_text(out, WORD_VIA_BRANCH, monologue->via_branch);
	write_key_integer(out, WORD_CREATED, monologue->created_us / 1000000);
	if (monologue->label)
		write_key_text(out, WORD_LABEL, monologue->label);
	if (monologue->peer && monologue->peer->tag)
		write_key_text(out, WORD_IN_DIALOGUE_WITH, monologue->peer->tag);
	describe_pubsub(out, monologue);
	write_word(out, WORD_MEDIAS);
	bencode_write_list(out);
	for (unsigned int i = 0; i < monologue->media_count; i++)
		describe_media(out, monologue->media[i], &copies[2 * i], call_created_us, diagnostics);
	bencode_write_end(out);
	bencode_write_end(out);
}

/* The via-branches a delete ended (call_remove_branch()), oldest side first: 10.5 lists them
 * until the call ends, without ports. At most `room`; their count. */
static unsigned int ended_branches(const struct call *call, const struct monologue **ended, unsigned int room)
{
	unsigned int count = 0;
	for (const struct monologue *removed = call->removed_monologues; removed && count < room;
	     removed = removed->removed_next) {
		if (!removed->branch_ended)
			continue;
		/* the list is newest first: insert in number order */
		unsigned int at = count++;
		for (; at > 0 && ended[at - 1]->number > removed->number; at--)
			ended[at] = ended[at - 1];
		ended[at] = removed;
	}
	return count;
}

/* What an ended branch's streams counted, as they were left: copied under the call's lock as
 * call_statistics_gather() copies the live ones (the worker may be finishing a round with
 * them), into copies[2 * media + kind]. */
static void ended_branch_copies(struct call *call, const struct monologue *branch, struct stream_statistics *copies)
{
	memset(copies, 0, 2 * branch->media_count * sizeof(*copies));
	pthread_mutex_lock(&call->lock);
	for (unsigned int i = 0; i < branch->media_count; i++)
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			const struct stream *stream = &branch->media[i]->streams[kind];
			struct stream_statistics *copy = &copies[2 * i + kind];
			copy->state = stream->state;
			copy->last_ssrc = stream->last_ssrc;
			copy->learned = stream->learned;
			copy->counters = stream->counters;
		}
	pthread_mutex_unlock(&call->lock);
}

static void describe_tags(GString *out, struct call *call, const struct call_statistics *statistics,
                          bool diagnostics)
{
	const struct monologue *ended[CALL_MAX_MONOLOGUES * 4];
	unsigned int ended_count = ended_branches(call, ended, G_N_ELEMENTS(ended)), next_ended = 0;
	struct stream_statistics *ended_copies = NULL;
	if (ended_count)
		ended_copies = g_new(struct stream_statistics, 2 * CALL_MAX_MEDIA);
	unsigned int copied = 0;   /* the copies come in call_foreach_stream() order, as this loop */
	bencode_write_dictionary(out);
	/* by hand, not call_foreach_media(): the reply nests each side's media under its tag; the
	 * live sides are in the order they were made, the ended branches go in between */
	for (unsigned int m = 0; m <= call->monologue_count; m++) {
		const struct monologue *monologue = m < call->monologue_count ? call->monologues[m] : NULL;
		for (; next_ended < ended_count && (!monologue || ended[next_ended]->number < monologue->number);
		     next_ended++) {
			ended_branch_copies(call, ended[next_ended], ended_copies);
			describe_side(out, ended[next_ended], ended_copies, call->created_us, false);
		}
		if (!monologue)
			break;
		describe_side(out, monologue, &statistics->streams[copied], call->created_us, diagnostics);
		copied += 2 * monologue->media_count;
	}
	bencode_write_end(out);
	g_free(ended_copies);
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

	if (!description) {
		description = g_string_sized_new(4096);
		encode_words();
	}
	GString *out = description;
	g_string_truncate(out, 0);
	describe_ssrcs(out, call, &statistics);
	size_t tags_start = out->len;
	describe_tags(out, call, &statistics, diagnostics);
	size_t totals_start = out->len;
	const struct call_totals *totals = &statistics.totals;
	bencode_write_dictionary(out);
	write_word(out, WORD_RTP);
	write_counters(out, totals->rtp_packets, totals->rtp_bytes, totals->rtp_errors);
	write_word(out, WORD_RTCP);
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
	struct call *call;
	int error = ng_lookup_call(request, &call);
	if (error < 0)
		return error;
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	kernel_backend_refresh_call(request->daemon, call);   /* the kernel's last second too */
	ng_describe_call(request, call, true);
	/* ours: whether the call records (recording.h) */
	bencode_dictionary_add_string(request->buffer, request->reply, "recording", recording_call_state(call));
	return 0;
}

static bool stream_of_monologue(const struct stream *stream, const struct monologue *monologue)
{
	for (unsigned int i = 0; monologue && stream && i < monologue->media_count; i++)
		if (stream == &monologue->media[i]->streams[STREAM_RTP] || stream == &monologue->media[i]->streams[STREAM_RTCP])
			return true;
	return false;
}

/* Deleting one via-branch of a forked offer (delete with a from-tag and a via-branch, no
 * to-tag; ng_offer_answer.c offer_branch()), as measured on 10.5: that branch's side goes, with
 * its ports, answered or not; the call stays while the from-tag's side has another branch, and
 * the other branch's media keeps flowing. False: no such branch, or it is the only one (the
 * call ends as a whole, as in 10.5). */
static bool delete_via_branch(struct call *call, const struct ng_flags *flags, long long delay)
{
	if (!flags->from_tag || flags->to_tag || !flags->via_branch)
		return false;
	struct monologue *offerer = call_find_monologue(call, flags->from_tag);
	if (!offerer)
		return false;
	struct monologue *gone = NULL;
	bool others = false;
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		struct monologue *side = call->monologues[m];
		if (side == offerer || (side->peer != offerer && offerer->peer != side))
			continue;
		if (!gone && side->via_branch && !strcmp(side->via_branch, flags->via_branch))
			gone = side;
		else
			others = true;
	}
	if (!gone || !others)
		return false;
	if (delay > 0) {
		/* as 10.5: the branch's ports stay for the delay (timer.c removes it) */
		gone->branch_delete_at_us = now_realtime_us() + delay * 1000000LL;
		log_call(LOG_INFO, call->call_id, "Scheduling deletion of via-branch '%s' in %lld seconds",
			 flags->via_branch, delay);
		return true;
	}
	log_call(LOG_INFO, call->call_id, "Deleting via-branch '%s' of '%s'", flags->via_branch, flags->from_tag);
	if (gone->peer != offerer)
		gone->peer = offerer;   /* call_remove_branch() relinks the offerer */
	call_remove_branch(gone);
	call_changed(call);
	return true;
}

/* Deleting one branch (delete with a from-tag only, as 10.5): when the call has other dialogues
 * than that tag's (a forked offer's other branch, a re-tagged dialogue), the tag's side and its
 * peer go, their ports are given back, and the call stays for the others. False: the call is
 * the tag's dialogue alone (or is linked to it), which ends as a whole. */
static bool delete_branch(struct call *call, const struct ng_flags *flags)
{
	if (!flags->from_tag || flags->to_tag)
		return false;
	struct monologue *gone = call_find_monologue(call, flags->from_tag);
	if (!gone)
		return false;
	struct monologue *peer = gone->peer && gone->peer->peer == gone ? gone->peer : NULL;
	bool others = false;
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		struct monologue *other = call->monologues[m];
		if (other == gone || other == peer)
			continue;
		if (other->peer == gone || (peer && other->peer == peer))
			return false;   /* another side's dialogue is with them */
		for (unsigned int i = 0; i < other->media_count; i++)
			for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
				const struct stream *sink = other->media[i]->streams[kind].sink;
				if (stream_of_monologue(sink, gone) || stream_of_monologue(sink, peer))
					return false;   /* media of theirs still flows there (a fork) */
			}
		others = true;
	}
	if (!others)
		return false;
	log_call(LOG_INFO, call->call_id, "Deleting branch '%s'", flags->from_tag);
	call_remove_monologue(gone);
	if (peer)
		call_remove_monologue(peer);
	call_changed(call);
	return true;
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
	kernel_backend_refresh_call(daemon, call);   /* the kernel's last second too */
	ng_describe_call(request, call, false);
	if (delete_via_branch(call, flags, delay) || delete_branch(call, flags)) {
		redis_call_changed_quietly(call);   /* the branch's end or its time, written now */
		return 0;
	}
	if (delay > 0) {
		call->delete_at_us = now_realtime_us() + delay * 1000000LL;
		log_call(LOG_INFO, call->call_id, "Scheduling deletion of call in %lld seconds", delay);
		redis_call_changed_quietly(call);   /* the time it goes, written now */
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
