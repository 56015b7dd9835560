/* play media / stop media; see media_player.h. */
#include "media_player.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
#include "call.h"
#include "call_lifecycle.h"
#include "codec.h"
#include "log.h"
#include "media_player_db.h"
#include "ng_call_lookup.h"
#include "relay.h"

#define PLAYER_FRAME_MS 20
#define PLAYER_RATE 8000
#define PLAYER_FRAME (PLAYER_RATE * PLAYER_FRAME_MS / 1000)
_Static_assert(PLAYER_FRAME == MEDIA_PLAYER_FRAME_BYTES, "one G.711 byte per 8 kHz sample");
/* an hour of audio at most: 28.8 MB of G.711 */
#define PLAYER_MAX_BYTES ((size_t) PLAYER_RATE * 3600)

/* ---- static helpers ---------------------------------------------------------------------- */

/* ITU-T G.711 mu-law on the 14-bit magnitude: bias 33, 8 segments of 16 steps, bits
 * inverted (the classic reference rounding: an arithmetic shift, as ffmpeg and audioop). */
static unsigned char linear_to_ulaw(int16_t sample)
{
	int value = sample >> 2;
	unsigned char mask = 0xff;
	if (value < 0) {
		value = -value;
		mask = 0x7f;
	}
	if (value > 8159)
		value = 8159;
	value += 33;
	int segment = 0;
	while (segment < 8 && value > (0x40 << segment) - 1)
		segment++;
	if (segment >= 8)
		return (unsigned char) (0x7f ^ mask);
	return (unsigned char) (((segment << 4) | ((value >> (segment + 1)) & 0x0f)) ^ mask);
}

/* ITU-T G.711 A-law on the 13-bit magnitude: 8 segments, even bits inverted (0x55). */
static unsigned char linear_to_alaw(int16_t sample)
{
	int value = sample >> 3;
	unsigned char mask = 0xd5;
	if (value < 0) {
		mask = 0x55;
		value = -value - 1;
	}
	int segment = 0;
	while (segment < 8 && value > (0x20 << segment) - 1)
		segment++;
	if (segment >= 8)
		return (unsigned char) (0x7f ^ mask);
	int code = segment << 4;
	code |= segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
	return (unsigned char) (code ^ mask);
}

static void append_samples(GByteArray *out, const int16_t *samples, int count, bool alaw)
{
	for (int i = 0; i < count && out->len < PLAYER_MAX_BYTES; i++) {
		unsigned char byte = alaw ? linear_to_alaw(samples[i]) : linear_to_ulaw(samples[i]);
		g_byte_array_append(out, &byte, 1);
	}
}

/* Resamples one decoded frame (NULL: flush) into 8 kHz mono and appends it as G.711. */
static int convert_frame(SwrContext *resampler, const AVFrame *frame, GByteArray *out, bool alaw)
{
	int input = frame ? frame->nb_samples : 0;
	int room = swr_get_out_samples(resampler, input) + 32;
	int16_t *samples = g_new(int16_t, (size_t) room);
	uint8_t *planes[1] = { (uint8_t *) samples };
	int count = swr_convert(resampler, planes, room, frame ? (const uint8_t **) frame->extended_data : NULL, input);
	if (count > 0)
		append_samples(out, samples, count, alaw);
	g_free(samples);
	return count < 0 ? -EINVAL : 0;
}

static int decode_packets(AVFormatContext *format, int stream_index, AVCodecContext *decoder,
			  SwrContext *resampler, GByteArray *out, bool alaw)
{
	AVPacket *packet = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	int error = packet && frame ? 0 : -ENOMEM;
	bool flushing = false;
	while (!error && out->len < PLAYER_MAX_BYTES) {
		if (!flushing) {
			int read = av_read_frame(format, packet);
			if (read < 0) {
				flushing = true;
				avcodec_send_packet(decoder, NULL);
			} else {
				if (packet->stream_index == stream_index && avcodec_send_packet(decoder, packet) < 0)
					error = -EINVAL;
				av_packet_unref(packet);
			}
		}
		int received;
		while (!error && (received = avcodec_receive_frame(decoder, frame)) == 0) {
			error = convert_frame(resampler, frame, out, alaw);
			av_frame_unref(frame);
		}
		if (flushing)
			break;
	}
	if (!error)
		error = convert_frame(resampler, NULL, out, alaw);
	av_frame_free(&frame);
	av_packet_free(&packet);
	return error;
}

static void stop_player(struct call *call, struct media_player *player)
{
	pthread_mutex_lock(&call->lock);
	player->active = false;
	pthread_mutex_unlock(&call->lock);
	if (player->timer.callback)
		relay_post_timer_cancel(call->worker, &player->timer);
	/* the worker reads the samples only while active, under the lock */
	g_free(player->samples);
	player->samples = NULL;
}

/* See media_player.h. The loop wraps once per iteration and takes at least one byte each
 * time, so it runs at most PLAYER_FRAME + 1 times. */
bool media_player_fill_frame(struct media_player *player, unsigned char *frame)
{
	size_t filled = 0;
	while (filled < PLAYER_FRAME) {
		if (player->position >= player->length) {
			/* the next iteration starts at the beginning, whatever start-pos was */
			bool time_left = !player->repeat_frames || player->frames_sent < player->repeat_frames;
			if (player->repeats_left <= 1 || !time_left)
				return false;
			player->repeats_left--;
			player->position = 0;
		}
		size_t available = player->length - player->position;
		size_t take = available < PLAYER_FRAME - filled ? available : PLAYER_FRAME - filled;
		memcpy(frame + filled, player->samples + player->position, take);
		filled += take;
		player->position += take;
	}
	return true;
}

bool media_player_has_more(const struct media_player *player)
{
	if (player->frames_sent >= player->frames_max)
		return false;
	if (player->position < player->length)
		return true;
	bool time_left = !player->repeat_frames || player->frames_sent < player->repeat_frames;
	return player->repeats_left > 1 && time_left;
}

/* Worker thread: one frame to the participant, then the next deadline. Sent under the call's
 * lock, as the packet path sends (the socket is closed under it when the call ends). */
static void player_tick(struct timer_entry *timer, void *data)
{
	struct media *media = data;
	struct media_player *player = &media->player;
	struct call *call = media->monologue->call;
	pthread_mutex_lock(&call->lock);
	if (call->deleted || !player->active || !player->samples) {
		pthread_mutex_unlock(&call->lock);
		return;
	}
	unsigned char packet[12 + PLAYER_FRAME];
	if (!media_player_fill_frame(player, packet + 12)) {
		player->active = false;
		pthread_mutex_unlock(&call->lock);
		return;
	}
	packet[0] = 0x80;
	packet[1] = (unsigned char) ((player->first ? 0x80 : 0) | player->payload_type);
	packet[2] = (unsigned char) (player->sequence >> 8);
	packet[3] = (unsigned char) player->sequence;
	for (int i = 0; i < 4; i++) {
		packet[4 + i] = (unsigned char) (player->timestamp >> (24 - 8 * i));
		packet[8 + i] = (unsigned char) (player->ssrc >> (24 - 8 * i));
	}
	player->first = false;
	player->sequence++;
	player->timestamp += PLAYER_FRAME;
	player->frames_sent++;
	const struct stream *stream = &media->streams[STREAM_RTP];
	const union endpoint *destination = relay_stream_destination(stream);
	if (destination && stream->fd >= 0)
		(void) sendto(stream->fd, packet, sizeof(packet), 0, &destination->address, endpoint_length(destination));
	player->active = media_player_has_more(player);
	bool more = player->active;
	int64_t next = timer->deadline_us + PLAYER_FRAME_MS * 1000;   /* no drift */
	pthread_mutex_unlock(&call->lock);
	if (more)
		relay_worker_timer_add(call->worker, timer, next, player_tick, media);
}

/* The participant (from-tag) and its first audio media that negotiated PCMU or PCMA. */
static struct media *player_media(struct ng_request *request, struct call **call_out)
{
	struct call *call;
	struct monologue *side;
	if (ng_lookup_call_side(request, NG_SIDE_REQUIRED, &call, &side) < 0)
		return NULL;
	*call_out = call;
	for (unsigned int i = 0; i < side->media_count; i++) {
		struct media *media = side->media[i];
		if (media->rejected || !media->rtp_port)
			continue;
		if (media->srtp) {
			request->error_reason = "play media on SRTP media is not supported by this relay";
			return NULL;
		}
		for (unsigned int pt = 0; pt < CODEC_PAYLOAD_TYPES; pt++)
			if (codec_payload_set_has(&media->pcmu_types, pt) || codec_payload_set_has(&media->pcma_types, pt))
				return media;
	}
	request->error_reason = "play media needs a PCMU or PCMA leg (this relay does not transcode)";
	return NULL;
}

void media_player_call_ended(const struct call_event *event)
{
	struct call *call = event->call;
	struct media *media;
	call_foreach_media(call, media) {
		if (media->player.samples || media->player.timer.callback)
			stop_player(call, &media->player);
	}
}

/* libavformat reads a blob through this: a read-only, seekable view of the request's bytes
 * (seeking matters: the WAV and MP3 demuxers look at the end of the data for its length). */
struct memory_source {
	const unsigned char *data;
	size_t length, position;
};

static int memory_read(void *opaque, uint8_t *buffer, int size)
{
	struct memory_source *source = opaque;
	size_t left = source->length - source->position;
	if (left == 0)
		return AVERROR_EOF;
	size_t take = (size_t) size < left ? (size_t) size : left;
	memcpy(buffer, source->data + source->position, take);
	source->position += take;
	return (int) take;
}

static int64_t memory_seek(void *opaque, int64_t offset, int whence)
{
	struct memory_source *source = opaque;
	int64_t base;
	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE:
		return (int64_t) source->length;
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t) source->position;
		break;
	case SEEK_END:
		base = (int64_t) source->length;
		break;
	default:
		return AVERROR(EINVAL);
	}
	if (offset < -base || offset > (int64_t) source->length - base)   /* no signed overflow */
		return AVERROR(EINVAL);
	source->position = (size_t) (base + offset);
	return base + offset;
}

#define MEMORY_IO_BUFFER 4096

/* Opened input and what closes it: the AVIOContext of a blob is ours to free, not libavformat's. */
struct player_input {
	AVFormatContext *format;
	AVIOContext *io;
	struct memory_source memory;
};

static void close_input(struct player_input *input)
{
	avformat_close_input(&input->format);
	if (input->io) {
		av_freep(&input->io->buffer);
		avio_context_free(&input->io);
	}
}

static int open_memory(struct player_input *input, const unsigned char *data, size_t length)
{
	input->memory = (struct memory_source) { .data = data, .length = length };
	unsigned char *buffer = av_malloc(MEMORY_IO_BUFFER);
	if (buffer)
		input->io = avio_alloc_context(buffer, MEMORY_IO_BUFFER, 0, &input->memory, memory_read, NULL, memory_seek);
	if (!input->io) {
		av_free(buffer);
		return -ENOMEM;
	}
	input->format = avformat_alloc_context();
	if (!input->format)
		return -ENOMEM;
	input->format->pb = input->io;
	input->format->flags |= AVFMT_FLAG_CUSTOM_IO;
	/* on failure avformat_open_input() frees the format context but not our io */
	return avformat_open_input(&input->format, NULL, NULL, NULL) < 0 ? -EINVAL : 0;
}

/* Decodes an opened input's best audio stream into G.711 bytes; closes the input. */
static unsigned char *decode_input(struct player_input *input, bool alaw, size_t *length,
				   struct media_player_info *info, const char **error)
{
	AVFormatContext *format = input->format;
	AVCodecContext *decoder = NULL;
	SwrContext *resampler = NULL;
	GByteArray *out = g_byte_array_new();
	if (avformat_find_stream_info(format, NULL) < 0) {
		*error = "cannot read the media file";
		goto fail;
	}
	const AVCodec *codec = NULL;
	int stream_index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
	if (stream_index < 0 || !codec) {
		*error = "no audio in the media file";
		goto fail;
	}
	info->time_base = av_q2d(format->streams[stream_index]->time_base);
	if (info->time_base <= 0)
		info->time_base = 1.0 / PLAYER_RATE;
	info->duration_ms = format->duration != AV_NOPTS_VALUE && format->duration > 0
		? format->duration / (AV_TIME_BASE / 1000) : -1;
	decoder = avcodec_alloc_context3(codec);
	if (decoder)
		/* the whole decoded stream, as 10.5 plays it (measured): an MP3's encoder delay
		 * (LAME's 1105 priming samples at the MP3's rate) and its last frame's padding are
		 * played, not trimmed as libavcodec would by the demuxer's skip-samples side data;
		 * start-pos and last-frame-pos count from that first decoded sample too */
		decoder->flags2 |= AV_CODEC_FLAG2_SKIP_MANUAL;
	if (!decoder || avcodec_parameters_to_context(decoder, format->streams[stream_index]->codecpar) < 0
	    || avcodec_open2(decoder, codec, NULL) < 0) {
		*error = "cannot decode the media file";
		goto fail;
	}
	AVChannelLayout input_layout;
	if (decoder->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
		av_channel_layout_default(&input_layout, decoder->ch_layout.nb_channels);
	else
		av_channel_layout_copy(&input_layout, &decoder->ch_layout);
	AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
	int result = swr_alloc_set_opts2(&resampler, &mono, AV_SAMPLE_FMT_S16, PLAYER_RATE, &input_layout,
					 decoder->sample_fmt, decoder->sample_rate, 0, NULL);
	av_channel_layout_uninit(&input_layout);
	if (result < 0 || swr_init(resampler) < 0) {
		*error = "cannot resample the media file";
		goto fail;
	}
	if (decode_packets(format, stream_index, decoder, resampler, out, alaw) < 0 || out->len == 0) {
		*error = "cannot decode the media file";
		goto fail;
	}
	swr_free(&resampler);
	avcodec_free_context(&decoder);
	close_input(input);
	*length = out->len;
	return g_byte_array_free(out, FALSE);
fail:
	swr_free(&resampler);
	avcodec_free_context(&decoder);
	close_input(input);
	g_byte_array_free(out, TRUE);
	return NULL;
}

/* ---- public functions -------------------------------------------------------------------- */

unsigned char *media_player_decode(const char *path, bool alaw, size_t *length, struct media_player_info *info,
				   const char **error)
{
	struct player_input input = { 0 };
	*error = NULL;
	if (avformat_open_input(&input.format, path, NULL, NULL) < 0) {
		*error = "cannot open the media file";
		return NULL;
	}
	return decode_input(&input, alaw, length, info, error);
}

unsigned char *media_player_decode_blob(const unsigned char *data, size_t size, bool alaw, size_t *length,
					struct media_player_info *info, const char **error)
{
	struct player_input input = { 0 };
	*error = NULL;
	if (size == 0 || open_memory(&input, data, size) < 0) {
		close_input(&input);
		*error = "cannot open the media blob";
		return NULL;
	}
	return decode_input(&input, alaw, length, info, error);
}

/* The limits of one playback, from the request. */
struct play_options {
	unsigned int repeats;          /* iterations at most */
	long long start_pos;           /* ticks of the stream's time base into the first iteration */
	long long duration_ms;         /* 0: no limit; else the playback stops after it */
	long long repeat_duration_ms;  /* 0: none; else no iteration starts after it */
};

/* An hour, the bound of the decoded audio too. */
#define PLAY_MAX_MS (3600LL * 1000)

static int read_play_options(struct ng_request *request, struct play_options *options)
{
	long long repeats = 0;
	bool has_repeats = bencode_dictionary_get_integer(request->input, "repeat-times", &repeats);
	if (has_repeats && (repeats < 1 || repeats > 1000)) {
		request->error_reason = "repeat-times must be 1 to 1000";
		return -EINVAL;
	}
	*options = (struct play_options) { 0 };
	bencode_dictionary_get_integer(request->input, "start-pos", &options->start_pos);
	bencode_dictionary_get_integer(request->input, "duration", &options->duration_ms);
	bencode_dictionary_get_integer(request->input, "repeat-duration", &options->repeat_duration_ms);
	if (options->start_pos < 0) {
		request->error_reason = "start-pos must not be negative";
		return -EINVAL;
	}
	if (options->duration_ms < 0 || options->duration_ms > PLAY_MAX_MS
	    || options->repeat_duration_ms < 0 || options->repeat_duration_ms > PLAY_MAX_MS) {
		request->error_reason = "duration and repeat-duration must be 0 to 3600000 ms";
		return -EINVAL;
	}
	/* repeat-duration alone repeats until it is over; with repeat-times, whichever ends first
	 * (upstream's documented rule); the check is at the end of an iteration */
	options->repeats = has_repeats ? (unsigned int) repeats : options->repeat_duration_ms > 0 ? UINT_MAX : 1;
	return 0;
}

int ng_command_play_media(struct ng_request *request)
{
	struct call *call = NULL;
	struct media *media = player_media(request, &call);
	if (!media)
		return call ? -ENOTSUP : -ENOENT;
	const char *path = bencode_dictionary_get_string(request->buffer, request->input, "file", NULL);
	const struct bencode_item *blob = bencode_dictionary_get_expect(request->input, "blob", BENCODE_STRING);
	long long db_id = -1;
	bool from_db = !path && !blob && bencode_dictionary_get_integer(request->input, "db-id", &db_id);
	if (!path && !blob && !from_db) {
		request->error_reason = bencode_dictionary_get(request->input, "db-id") ? "db-id must be a number"
			: "No media file given";
		return -EINVAL;
	}
	if (from_db && db_id < 0) {
		request->error_reason = "db-id must not be negative";
		return -EINVAL;
	}
	struct play_options options;
	if (read_play_options(request, &options) < 0)
		return -EINVAL;
	bool pcmu = false;
	unsigned int payload_type = 0;
	for (unsigned int pt = 0; pt < CODEC_PAYLOAD_TYPES; pt++) {
		if (codec_payload_set_has(&media->pcmu_types, pt)) {
			pcmu = true;
			payload_type = pt;
			break;
		}
	}
	for (unsigned int pt = 0; !pcmu && pt < CODEC_PAYLOAD_TYPES; pt++) {
		if (codec_payload_set_has(&media->pcma_types, pt)) {
			payload_type = pt;
			break;
		}
	}
	const char *error = NULL;
	size_t length = 0;
	struct media_player_info info = { .time_base = 1.0 / PLAYER_RATE, .duration_ms = -1 };
	const char *source = path ? path : blob ? "(blob)" : "(database)";
	unsigned char *samples = NULL;
	if (path) {
		samples = media_player_decode(path, !pcmu, &length, &info, &error);
	} else if (blob) {
		samples = media_player_decode_blob((const unsigned char *) blob->string, blob->string_length, !pcmu,
						   &length, &info, &error);
	} else {
		size_t stored_length = 0;
		g_autofree unsigned char *stored = media_player_db_fetch((unsigned long long) db_id, &stored_length, &error);
		if (stored)
			samples = media_player_decode_blob(stored, stored_length, !pcmu, &length, &info, &error);
	}
	if (!samples) {
		log_call(LOG_WARNING, call->call_id, "play media %s: %s", source, error);
		request->error_reason = error;
		return -EINVAL;
	}
	/* start-pos counts ticks of the stream's time base; the G.711 bytes are 8 kHz samples */
	double start = (double) options.start_pos * info.time_base * PLAYER_RATE;
	if (start >= (double) length) {
		g_free(samples);
		request->error_reason = "start-pos is beyond the end of the media";
		return -EINVAL;
	}
	struct media_player *player = &media->player;
	stop_player(call, player);
	/* not active: the worker does not read these until the timer is posted */
	player->samples = samples;
	player->length = length;
	player->position = (size_t) start;
	player->ticks_per_byte = 1.0 / (info.time_base * PLAYER_RATE);
	player->repeats_left = options.repeats;
	player->frames_sent = 0;
	player->frames_max = options.duration_ms > 0 ? ((uint64_t) options.duration_ms + PLAYER_FRAME_MS - 1) / PLAYER_FRAME_MS
		: UINT64_MAX;
	player->repeat_frames = (uint64_t) options.repeat_duration_ms / PLAYER_FRAME_MS;
	player->payload_type = (uint8_t) payload_type;
	player->first = true;
	player->ssrc = g_random_int();
	player->sequence = (uint16_t) g_random_int();
	player->timestamp = g_random_int();
	pthread_mutex_lock(&call->lock);
	player->active = true;
	pthread_mutex_unlock(&call->lock);
	if (relay_post_timer_add(call->worker, &player->timer, timer_now_us(), player_tick, media) < 0) {
		stop_player(call, player);
		request->error_reason = "Cannot schedule the playback";
		return -EIO;
	}
	/* the container's length as 10.5 replies it, else what was decoded */
	long long duration_ms = info.duration_ms >= 0 ? info.duration_ms : (long long) (length * 1000 / PLAYER_RATE);
	log_call(LOG_INFO, call->call_id, "playing %s (%lld ms, %s) to tag '%s'", source, duration_ms,
		 pcmu ? "PCMU" : "PCMA", media->monologue->tag ? media->monologue->tag : "");
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	bencode_dictionary_add_integer(request->buffer, request->reply, "duration", duration_ms);
	return 0;
}

int ng_command_stop_media(struct ng_request *request)
{
	struct call *call = NULL;
	struct media *media = player_media(request, &call);
	if (!media)
		return call ? -ENOTSUP : -ENOENT;
	struct media_player *player = &media->player;
	pthread_mutex_lock(&call->lock);
	bool playing = player->active;
	long long last_frame_pos = (long long) ((double) player->position * player->ticks_per_byte);
	pthread_mutex_unlock(&call->lock);
	stop_player(call, player);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	/* where the playback was, in start-pos's unit: a later play media can resume there */
	if (playing)
		bencode_dictionary_add_integer(request->buffer, request->reply, "last-frame-pos", last_frame_pos);
	return 0;
}
