/* One recorded packet's way: IP and UDP headers off, RTP header parsed (lib/rtp_header.c),
 * the SSRC's jitter buffer, its decoder, and its place on the call's timeline; then the
 * SSRC's single file and the call's mixer. RTCP, telephone-event and comfort noise carry no
 * audio to record and are skipped. */
#include "recording_daemon.h"
#include "rtp_header.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SILENCE_CHUNK 4096
/* Positions within this many output samples of the expected one are contiguous: resampler
 * delay and rounding, not a gap. */
#define CONTIGUOUS_TOLERANCE_MS 2
/* The longest silence one gap inserts (a call on hold for an hour is still recorded). */
#define MAX_SILENCE_SECONDS 3600
/* How far a packet's timestamp may place it beyond its arrival time (jitter, the sender's
 * clock drifting from ours: 0.1 % is 3.6 s an hour) before the arrival time is trusted more. */
#define AHEAD_OF_ARRIVAL_SECONDS 5
/* A packet placed this far beyond everything the call has so far needs its arrival time
 * confirmed by the next packet's (see packet_process). */
#define FAR_AHEAD_SECONDS 60

/* RFC 3551 section 6, table 4: static payload types, used when the metadata does not map one. */
static const struct { uint8_t payload_type; const char *encoding; int clock_rate, channels; } static_types[] = {
	{ 0, "PCMU", 8000, 1 }, { 3, "GSM", 8000, 1 }, { 8, "PCMA", 8000, 1 }, { 9, "G722", 8000, 1 },
	{ 10, "L16", 44100, 2 }, { 11, "L16", 44100, 1 }, { 13, "CN", 8000, 1 }, { 18, "G729", 8000, 1 },
};

static bool lookup_payload_type(struct rec_call *call, const struct rec_stream *stream, uint8_t payload_type,
				const char **encoding, int *clock_rate, int *channels)
{
	const struct rec_payload_type *announced = call_payload_type(call, stream, payload_type & 0x7f);
	if (announced) {
		*encoding = announced->encoding;
		*clock_rate = announced->clock_rate;
		*channels = announced->channels;
		return true;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(static_types); i++) {
		if (static_types[i].payload_type == payload_type) {
			*encoding = static_types[i].encoding;
			*clock_rate = static_types[i].clock_rate;
			*channels = static_types[i].channels;
			return true;
		}
	}
	return false;
}

static void write_single(struct rec_call *call, struct rec_ssrc *ssrc, const int16_t *samples, size_t count,
			 size_t silence)
{
	if (!rec_config.output_single || rec_config.format == REC_FORMAT_NONE)
		return;
	if (!ssrc->single) {
		char type[16];
		snprintf(type, sizeof(type), "%08x", ssrc->ssrc);
		const char *reason = NULL;
		g_autofree char *base = output_expand_pattern(rec_config.output_dir, rec_config.output_pattern,
							      call->call_id ? call->call_id : call->name, type,
							      call_label_for_tag(call, ssrc->stream->tag), &reason);
		int error = 0;
		if (base)
			ssrc->single = output_open(base, NULL, call->name, rec_config.format, call->rate, 1, &error);
		if (!ssrc->single) {
			log_call(LOG_ERR, call->call_id, "cannot open output for SSRC %08x: %s", ssrc->ssrc,
				 reason ? reason : strerror(-error));
			return;
		}
	}
	static const int16_t zeros[SILENCE_CHUNK];
	while (silence > 0) {
		size_t take = MIN(silence, (size_t) SILENCE_CHUNK);
		output_write(ssrc->single, zeros, take);
		silence -= take;
	}
	if (count)
		output_write(ssrc->single, samples, count);
}

static bool select_decoder(struct rec_call *call, struct rec_ssrc *ssrc, uint8_t payload_type)
{
	if (ssrc->payload_type == payload_type && ssrc->decoder)
		return true;
	const char *encoding;
	int clock_rate, channels;
	if (!lookup_payload_type(call, ssrc->stream, payload_type, &encoding, &clock_rate, &channels) ||
	    !strcasecmp(encoding, "telephone-event") || !strcasecmp(encoding, "CN"))
		goto skip;
	int rate = call_output_rate(call, decoder_native_rate(encoding, clock_rate));
	int error = 0;
	struct rec_decoder *decoder = decoder_new(encoding, clock_rate, channels, rate, &error);
	if (!decoder)
		goto skip;
	if (ssrc->decoder)
		log_call(LOG_INFO, call->call_id, "SSRC %08x: codec change to %s/%d (payload type %u)", ssrc->ssrc,
			 encoding, clock_rate, payload_type);
	decoder_free(ssrc->decoder);
	ssrc->decoder = decoder;
	ssrc->payload_type = payload_type;
	ssrc->clock_rate = clock_rate;
	return true;
skip:
	if (!ssrc->logged_unknown_pt) {
		ssrc->logged_unknown_pt = true;
		log_call(LOG_INFO, call->call_id, "SSRC %08x: payload type %u carries no audio we decode; skipped",
			 ssrc->ssrc, payload_type);
	}
	return false;
}

/* One packet in sequence order: decode it and put its audio on the timeline. */
static void packet_process(struct rec_call *call, struct rec_ssrc *ssrc, const struct jitter_packet *packet)
{
	if (!select_decoder(call, ssrc, packet->payload_type))
		return;
	const int16_t *samples;
	int count = decoder_decode(ssrc->decoder, packet->payload, packet->length, &samples);
	if (count < 0) {
		ssrc->packets++;
		return;
	}
	int rate = call->rate;
	int64_t arrival_position = 0;
	if (packet->arrival_ns > call->start_ns) {
		uint64_t elapsed_ns = packet->arrival_ns - call->start_ns;
		/* an arrival time from a broken stream file must not fill the disk with silence:
		 * at most MAX_SILENCE_SECONDS beyond what the call has so far */
		uint64_t limit_ns = (uint64_t) (call->max_position / rate + MAX_SILENCE_SECONDS) * 1000000000ull;
		if (elapsed_ns > limit_ns) {
			log_call(LOG_WARNING, call->call_id, "SSRC %08x: arrival %llu s after the call's start; cut to %llu s",
				 ssrc->ssrc, (unsigned long long) (elapsed_ns / 1000000000ull),
				 (unsigned long long) (limit_ns / 1000000000ull));
			elapsed_ns = limit_ns;
		}
		arrival_position = (int64_t) (elapsed_ns / 1000 * (uint64_t) rate / 1000000ull);
	}
	call->timeline_started = true;
	struct timeline before = ssrc->timeline;
	bool first = !ssrc->timeline.anchored;
	int64_t fallback = first ? arrival_position : MAX(ssrc->written, arrival_position);
	int64_t position = timeline_position(&ssrc->timeline, packet->timestamp, ssrc->clock_rate, rate, fallback);
	if (!first && position > arrival_position + (int64_t) rate * AHEAD_OF_ARRIVAL_SECONDS) {
		/* timestamps running far ahead of the arrival times: a broken sender or file, whose
		 * gaps would fill the file with silence; the arrival time places it instead */
		ssrc->timeline.anchored = false;
		position = timeline_position(&ssrc->timeline, packet->timestamp, ssrc->clock_rate, rate, fallback);
	}
	uint64_t previous_arrival = ssrc->last_arrival_ns;
	ssrc->last_arrival_ns = packet->arrival_ns;
	if (position > call->max_position + (int64_t) rate * FAR_AHEAD_SECONDS &&
	    (packet->arrival_ns > previous_arrival + 1000000000ull || packet->arrival_ns + 1000000000ull < previous_arrival)) {
		/* far beyond the call so far, by its arrival time alone: one corrupt frame, or the
		 * first packet after a long hold. The next packet decides: if it arrived within a
		 * second of this one, the new time is real; this one is dropped either way. */
		ssrc->timeline = before;
		if (!ssrc->implausible++)
			log_call(LOG_INFO, call->call_id, "SSRC %08x: packet %lld s beyond the call without a second "
				 "one to confirm its arrival time; dropped", ssrc->ssrc,
				 (long long) ((position - call->max_position) / rate));
		return;
	}
	if (first) {
		ssrc->first_position = position;
		ssrc->written = position;
	}
	int64_t tolerance = (int64_t) rate * CONTIGUOUS_TOLERANCE_MS / 1000;
	if (position > ssrc->written - tolerance && position < ssrc->written + tolerance)
		position = ssrc->written;
	size_t silence = 0;
	if (position > ssrc->written) {         /* lost or not sent: silence by timestamp */
		silence = (size_t) (position - ssrc->written);
		ssrc->silence_samples += silence;
	} else if (position < ssrc->written) {  /* overlaps what was written: keep the new part */
		size_t overlap = (size_t) (ssrc->written - position);
		if (overlap >= (size_t) count)
			return;
		samples += overlap;
		count -= (int) overlap;
		position = ssrc->written;
	}
	ssrc->packets++;
	write_single(call, ssrc, samples, (size_t) count, silence);
	struct rec_mixer *mixer = call_mixer(call);
	if (mixer) {
		struct rec_stream *stream = ssrc->stream;
		if (stream->mix_input < 0 && call->mix_inputs_used < REC_MIX_MAX_INPUTS)
			stream->mix_input = call->mix_inputs_used++;
		if (stream->mix_input >= 0)
			mixer_add(mixer, (unsigned int) stream->mix_input, position, samples, (size_t) count);
	}
	ssrc->written = position + count;
	if (call->max_position < ssrc->written)
		call->max_position = ssrc->written;
}

static struct rec_ssrc *ssrc_get(struct rec_call *call, struct rec_stream *stream, uint32_t id)
{
	struct rec_ssrc *ssrc = g_hash_table_lookup(call->ssrcs, GUINT_TO_POINTER(id));
	if (ssrc)
		return ssrc;
	ssrc = g_new0(struct rec_ssrc, 1);
	ssrc->ssrc = id;
	ssrc->stream = stream;
	ssrc->payload_type = -1;
	jitter_buffer_init(&ssrc->jitter);
	g_hash_table_insert(call->ssrcs, GUINT_TO_POINTER(id), ssrc);
	log_call(LOG_INFO, call->call_id, "new SSRC %08x on stream %lu", id, stream->id);
	return ssrc;
}

void packet_received(struct rec_stream *stream, const unsigned char *packet, size_t length, uint64_t arrival_ns)
{
	struct rec_call *call = stream->call;
	size_t rtp_length;
	int offset = packet_udp_payload(packet, length, &rtp_length);
	struct rtp_header_info rtp;
	if (offset < 0 || rtp_packet_is_rtcp(packet + offset, rtp_length) ||
	    rtp_header_parse(packet + offset, rtp_length, &rtp) < 0 || rtp.payload_length == 0) {
		stream->bad_packets++;
		return;
	}
	stream->packets++;
	if (!call->recording_on || rec_config.format == REC_FORMAT_NONE)
		return;
	call_note_arrival(call, arrival_ns);
	struct rec_ssrc *ssrc = ssrc_get(call, stream, rtp.ssrc);
	struct jitter_packet queued = {
		.timestamp = rtp.timestamp,
		.payload_type = rtp.payload_type,
		.marker = rtp.marker,
		.arrival_ns = arrival_ns,
		.length = rtp.payload_length,
		.payload = g_memdup2(packet + offset + rtp.header_length, rtp.payload_length),
	};
	ssrc->idle_rounds = 0;
	if (jitter_buffer_insert(&ssrc->jitter, rtp.sequence, &queued) < 0) {
		g_free(queued.payload);
		return;
	}
	struct jitter_packet next;
	while (jitter_buffer_pop(&ssrc->jitter, false, &next)) {
		packet_process(call, ssrc, &next);
		g_free(next.payload);
	}
}

void ssrc_finish(struct rec_call *call, struct rec_ssrc *ssrc, bool discard)
{
	struct jitter_packet next;
	while (jitter_buffer_pop(&ssrc->jitter, true, &next)) {
		if (!discard)
			packet_process(call, ssrc, &next);
		g_free(next.payload);
	}
	if (ssrc->single) {
		output_close(ssrc->single, discard);
		ssrc->single = NULL;
	}
	if (ssrc->silence_samples || ssrc->jitter.duplicates || ssrc->jitter.late || ssrc->implausible)
		log_call(LOG_INFO, call->call_id, "SSRC %08x: %llu packets, %llu samples of silence filled, "
			 "%llu duplicates, %llu late, %llu with implausible arrival times", ssrc->ssrc,
			 (unsigned long long) ssrc->packets, (unsigned long long) ssrc->silence_samples,
			 (unsigned long long) ssrc->jitter.duplicates, (unsigned long long) ssrc->jitter.late,
			 (unsigned long long) ssrc->implausible);
}

#define IDLE_ROUNDS_BEFORE_RELEASE 20

void ssrc_poll_idle(struct rec_call *call, struct rec_ssrc *ssrc)
{
	if (ssrc->jitter.count == 0 || ++ssrc->idle_rounds < IDLE_ROUNDS_BEFORE_RELEASE)
		return;
	struct jitter_packet next;
	while (jitter_buffer_pop(&ssrc->jitter, true, &next)) {
		packet_process(call, ssrc, &next);
		g_free(next.payload);
	}
}

void ssrc_free(void *data)
{
	struct rec_ssrc *ssrc = data;
	jitter_buffer_clear(&ssrc->jitter);
	if (ssrc->single)
		output_close(ssrc->single, true);
	decoder_free(ssrc->decoder);
	g_free(ssrc);
}
