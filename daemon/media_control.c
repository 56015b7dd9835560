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
#include "log.h"
#include "media_dtmf_detect.h"
#include "media_player.h"
#include "ng_call_lookup.h"
#include "ng_commands.h"
#include "relay.h"
#include "rtp_header.h"
#include "sdp.h"

/* --dtmf-log-dest: one socket, written by every worker (sendto() on a UDP socket is atomic) */
static int dtmf_log_fd = -1;
static union endpoint dtmf_log_dest;

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

/* One command: the flag on or off for the from-tag's media, or for every media of the call. */
static int media_control_command(struct ng_request *request, unsigned int flag, bool on, const char *what)
{
	struct call *call;
	struct monologue *side;
	int error = ng_lookup_call_side(request, NG_SIDE_OPTIONAL, &call, &side);
	if (error < 0)
		return error;
	struct media *media;
	call_foreach_media(call, media) {
		if (!side || media->monologue == side)
			set_flag(media, flag, on);
	}
	pthread_mutex_lock(&call->lock);
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	log_call(LOG_INFO, call->call_id, "%s %s for %s%s", what, on ? "on" : "off",
		 side ? "tag " : "the whole call", side ? side->tag : "");
	/* such streams leave the kernel now, not at the next one-second sync (not call_changed():
	 * that means an offer or answer went through, which cancels a delayed delete) */
	if (request->daemon && request->daemon->kernel)
		kernel_backend_sync(request->daemon);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

/* ---- public functions -------------------------------------------------------------------- */

int ng_command_block_dtmf(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, true, "DTMF blocking");
}

int ng_command_unblock_dtmf(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, false, "DTMF blocking");
}

int ng_command_block_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_MEDIA, true, "media blocking");
}

int ng_command_unblock_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_MEDIA, false, "media blocking");
}

int ng_command_silence_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_SILENCE_MEDIA, true, "media silencing");
}

int ng_command_unsilence_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_SILENCE_MEDIA, false, "media silencing");
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
	if (codec_list_from_media(sdp_media, &list) < 0)
		return;
	for (unsigned int i = 0; i < list.count; i++) {
		const struct codec *codec = &list.codecs[i];
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

#define DTMF_PACKET_MS 20

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

static unsigned int first_payload_type(const struct codec_payload_set *set)
{
	for (unsigned int pt = 0; pt < CODEC_PAYLOAD_TYPES; pt++)
		if (codec_payload_set_has(set, pt))
			return pt;
	return CODEC_PAYLOAD_TYPES;
}

/* Worker thread, the injection's timer: one packet, then the next deadline. Sent under the
 * call's lock, as the packet path sends (the socket is closed under it when the call ends). */
static void dtmf_tick(struct timer_entry *timer, void *data)
{
	struct media *media = data;
	struct dtmf_injection *injection = &media->dtmf_injection;
	struct call *call = media->monologue->call;
	pthread_mutex_lock(&call->lock);
	struct stream *sink = media->streams[STREAM_RTP].sink;
	if (call->deleted || !injection->active || !sink) {
		injection->active = false;
		pthread_mutex_unlock(&call->lock);
		return;
	}
	bool first = injection->elapsed == 0;
	injection->elapsed += injection->clock * DTMF_PACKET_MS / 1000;
	bool end = injection->elapsed >= injection->duration;
	if (end) {
		injection->elapsed = injection->duration;
		injection->ends_sent++;
	}
	unsigned char packet[16] = {
		0x80, (unsigned char) ((first ? 0x80 : 0) | injection->payload_type),
		(unsigned char) (injection->sequence >> 8), (unsigned char) injection->sequence,
		(unsigned char) (injection->timestamp >> 24), (unsigned char) (injection->timestamp >> 16),
		(unsigned char) (injection->timestamp >> 8), (unsigned char) injection->timestamp,
		(unsigned char) (injection->ssrc >> 24), (unsigned char) (injection->ssrc >> 16),
		(unsigned char) (injection->ssrc >> 8), (unsigned char) injection->ssrc,
		injection->event, (unsigned char) ((end ? 0x80 : 0) | (injection->volume & 0x3f)),
		(unsigned char) (injection->elapsed >> 8), (unsigned char) injection->elapsed,
	};
	/* RFC 4733 section 2.5.1.4: the end packet is sent three times with the same sequence
	 * number... section 2.5.1.2 has each new packet of an event take the next one */
	if (!end || injection->ends_sent == 3)
		injection->sequence++;
	const union endpoint *destination = relay_stream_destination(sink);
	if (destination && sink->fd >= 0)
		(void) sendto(sink->fd, packet, sizeof(packet), 0, &destination->address, endpoint_length(destination));
	bool more = !end || injection->ends_sent < 3;
	injection->active = more;
	pthread_mutex_unlock(&call->lock);
	if (more)
		relay_worker_timer_add(call->worker, timer, timer_now_us() + DTMF_PACKET_MS * 1000, dtmf_tick, media);
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
	long long duration = 100, volume = 8;
	bencode_dictionary_get_integer(request->input, "duration", &duration);
	bencode_dictionary_get_integer(request->input, "volume", &volume);
	if (duration < DTMF_PACKET_MS || duration > 5000 || volume < 0 || volume > 63) {
		request->error_reason = "DTMF duration must be 20 to 5000 ms, volume 0 to 63";
		return -EINVAL;
	}
	/* inject-DTMF or a transcoded call (as 10.5): into the party's stream through its chain,
	 * as RFC 4733 events in that stream when its peer has telephone-event, else as tones */
	for (unsigned int i = 0; i < side->media_count; i++) {
		struct media *media = side->media[i];
		if (media->rejected || !media->streams[STREAM_RTP].extras->transcode)
			continue;
		pthread_mutex_lock(&call->lock);
		struct codec_chain *chain = media->streams[STREAM_RTP].extras->transcode;
		int injected = chain ? codec_chain_inject_dtmf(chain, (unsigned int) event, (unsigned int) volume,
							       (unsigned int) duration) : -ENOENT;
		pthread_mutex_unlock(&call->lock);
		if (injected == -EBUSY) {
			request->error_reason = "A DTMF event is still being played";
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
	/* the party's first audio media whose peer negotiated telephone-event */
	struct media *chosen = NULL;
	unsigned int payload_type = CODEC_PAYLOAD_TYPES;
	for (unsigned int i = 0; i < side->media_count && !chosen; i++) {
		struct media *media = side->media[i];
		struct stream *sink = media->streams[STREAM_RTP].sink;
		if (media->rejected || !sink)
			continue;
		payload_type = first_payload_type(&sink->media->telephone_event_types);
		if (payload_type < CODEC_PAYLOAD_TYPES)
			chosen = media;
	}
	if (!chosen) {
		request->error_reason = "No media of this party whose peer accepts telephone-event (RFC 4733)";
		return -ENOTSUP;
	}
	if (chosen->srtp || chosen->streams[STREAM_RTP].sink->media->srtp) {
		request->error_reason = "play DTMF on SRTP media is not supported by this relay";
		return -ENOTSUP;
	}
	struct dtmf_injection *injection = &chosen->dtmf_injection;
	pthread_mutex_lock(&call->lock);
	bool busy = injection->active;
	pthread_mutex_unlock(&call->lock);
	if (busy) {
		request->error_reason = "A DTMF event is still being played";
		return -EBUSY;
	}
	unsigned int clock = chosen->streams[STREAM_RTP].sink->media->telephone_event_clock;
	if (!clock)
		clock = 8000;
	/* not active: the worker does not read these until the timer is posted */
	injection->event = (uint8_t) event;
	injection->volume = (uint8_t) volume;
	injection->payload_type = (uint8_t) payload_type;
	injection->ssrc = g_random_int();
	injection->sequence = (uint16_t) g_random_int();
	injection->timestamp = g_random_int();
	injection->clock = clock;
	injection->duration = (unsigned int) ((uint64_t) duration * clock / 1000);
	injection->elapsed = 0;
	injection->ends_sent = 0;
	pthread_mutex_lock(&call->lock);
	injection->active = true;
	pthread_mutex_unlock(&call->lock);
	if (relay_post_timer_add(call->worker, &injection->timer, timer_now_us(), dtmf_tick, chosen) < 0) {
		injection->active = false;
		request->error_reason = "Cannot schedule the DTMF event";
		return -EIO;
	}
	log_call(LOG_INFO, call->call_id, "playing DTMF event %d (%lld ms) as tag '%s'", event, duration,
		 side->tag ? side->tag : "");
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

/* The worker frees the call after the cancels posted before its retirement. */
static void cancel_dtmf_timers(const struct call_event *event)
{
	struct call *call = event->call;
	struct media *media;
	call_foreach_media(call, media) {
		if (media->dtmf_injection.timer.callback)
			relay_post_timer_cancel(call->worker, &media->dtmf_injection.timer);
	}
}

static void media_control_call_ended(const struct call_event *event)
{
	cancel_dtmf_timers(event);
	media_player_call_ended(event);
}

/* one observer for play DTMF and play media: the observer table is small (CALL_OBSERVERS_MAX) */
const struct call_observer media_control_call_observer = {
	.name = "media control (play DTMF, play media)",
	.ended = media_control_call_ended,
};
