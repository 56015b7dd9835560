/* Output files: WAV (PCM S16LE) or MP3 (libavcodec's libmp3lame encoder) through libavformat.
 * A file is written under PATH.EXT.tmp and renamed to PATH.EXT when it is finished, so that
 * whatever watches the output directory only ever sees complete files (rename(2) is atomic
 * within one directory). */
#include "recording_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>

struct rec_output {
	AVFormatContext *format;
	AVCodecContext *encoder;
	AVStream *stream;
	AVFrame *frame;
	AVPacket *packet;
	int channels;
	size_t frame_size;              /* frames per encoder call */
	int16_t *pending;               /* interleaved, frame_size frames */
	size_t pending_frames;
	int64_t pts;
	uint64_t frames;
	char *temporary_path, *final_path;
	char *path_base;
	char *extension;
	int error;                      /* first write error: the file is then discarded */
};

/* ---- file names ---------------------------------------------------------------------------- */

static void append_safe(GString *out, const char *text)
{
	/* A call-id or label with '/' would name directories nobody asked for. */
	for (const char *c = text; *c; c++)
		g_string_append_c(out, *c == '/' ? '_' : *c);
}

char *output_expand_pattern(const char *output_dir, const char *pattern, const char *call_id,
			    const char *type, const char *label, const char **reason)
{
	struct timeval now;
	gettimeofday(&now, NULL);
	struct tm local;
	localtime_r(&now.tv_sec, &local);
	GString *out = g_string_new(output_dir);
	g_string_append_c(out, '/');
	size_t prefix_used = 0;
	size_t call_id_length = strlen(call_id);
	for (const char *p = pattern; *p; p++) {
		if (*p != '%') {
			g_string_append_c(out, *p);
			continue;
		}
		p++;
		char buffer[16];
		switch (*p) {
		case '\0':
			*reason = "pattern ends in '%'";
			g_string_free(out, TRUE);
			return NULL;
		case '%': g_string_append_c(out, '%'); break;
		case 'c': append_safe(out, call_id); break;
		case 't': append_safe(out, type); break;
		case 'l': append_safe(out, label ? label : ""); break;
		case 'Y': case 'm': case 'd': case 'H': case 'M': case 'S': {
			char format[3] = { '%', *p, '\0' };
			strftime(buffer, sizeof(buffer), format, &local);
			g_string_append(out, buffer);
			break;
		}
		case 'u':
			g_string_append_printf(out, "%06ld", (long) now.tv_usec);
			break;
		default:
			if (*p >= '0' && *p <= '9') {
				/* %N: the next N characters of the call-id (cumulative, as upstream) */
				size_t count = 0;
				while (*p >= '0' && *p <= '9' && count < 1000)
					count = count * 10 + (size_t) (*p++ - '0');
				p--;
				if (prefix_used < call_id_length) {
					size_t take = MIN(count, call_id_length - prefix_used);
					g_autofree char *part = g_strndup(call_id + prefix_used, take);
					append_safe(out, part);
					prefix_used += take;
				}
			} else {
				g_string_append_c(out, '%');
				g_string_append_c(out, *p);
			}
		}
	}
	return g_string_free(out, FALSE);
}

static int make_parent_directories(const char *path)
{
	g_autofree char *directory = g_path_get_dirname(path);
	int mode = rec_config.output_chmod_dir > 0 ? rec_config.output_chmod_dir : 0700;
	if (g_mkdir_with_parents(directory, mode) < 0)
		return -errno;
	return 0;
}

/* ---- encoding ------------------------------------------------------------------------------ */

static int drain_packets(struct rec_output *output)
{
	for (;;) {
		int result = avcodec_receive_packet(output->encoder, output->packet);
		if (result == AVERROR(EAGAIN) || result == AVERROR_EOF)
			return 0;
		if (result < 0)
			return -EIO;
		av_packet_rescale_ts(output->packet, output->encoder->time_base, output->stream->time_base);
		output->packet->stream_index = output->stream->index;
		result = av_interleaved_write_frame(output->format, output->packet);
		av_packet_unref(output->packet);
		if (result < 0)
			return -EIO;
	}
}

static int encode_pending(struct rec_output *output)
{
	if (output->pending_frames == 0)
		return 0;
	AVFrame *frame = output->frame;
	av_frame_unref(frame);
	frame->nb_samples = (int) output->pending_frames;
	frame->format = output->encoder->sample_fmt;
	frame->sample_rate = output->encoder->sample_rate;
	if (av_channel_layout_copy(&frame->ch_layout, &output->encoder->ch_layout) < 0 ||
	    av_frame_get_buffer(frame, 0) < 0)
		return -ENOMEM;
	size_t channels = (size_t) output->channels;
	if (output->encoder->sample_fmt == AV_SAMPLE_FMT_S16P) {
		for (size_t c = 0; c < channels; c++) {
			int16_t *plane = (int16_t *) frame->extended_data[c];
			for (size_t i = 0; i < output->pending_frames; i++)
				plane[i] = output->pending[i * channels + c];
		}
	} else {
		memcpy(frame->data[0], output->pending, output->pending_frames * channels * sizeof(int16_t));
	}
	frame->pts = output->pts;
	output->pts += (int64_t) output->pending_frames;
	output->pending_frames = 0;
	if (avcodec_send_frame(output->encoder, frame) < 0)
		return -EIO;
	return drain_packets(output);
}

/* Everything output_open allocates; the file itself is closed or unlinked by the caller. */
static void output_free(struct rec_output *output)
{
	avformat_free_context(output->format);
	avcodec_free_context(&output->encoder);
	av_frame_free(&output->frame);
	av_packet_free(&output->packet);
	g_free(output->pending);
	g_free(output->temporary_path);
	g_free(output->final_path);
	g_free(output->path_base);
	g_free(output->extension);
	g_free(output);
}

static char *name_with_extension(const char *base, const char *suffix, const char *extension)
{
	return g_strdup_printf("%s%s%s%s", base, suffix, *extension ? "." : "", extension);
}

struct rec_output *output_open(const char *path_base, const char *extension, const char *owner,
			       enum rec_output_format format, int rate, int channels, int *error)
{
	const char *container_name = format == REC_FORMAT_MP3 ? "mp3" : "wav";
	struct rec_output *output = g_new0(struct rec_output, 1);
	output->channels = channels;
	output->path_base = g_strdup(path_base);
	output->extension = g_strdup(extension ? extension : container_name);
	output->final_path = name_with_extension(path_base, "", output->extension);
	/* the owner (the call's spool name) in the temporary name: two calls with one call-id do
	 * not share a file, and a restarted daemon writes the same call's file again */
	output->temporary_path = g_strdup_printf("%s.%08x.tmp", output->final_path, g_str_hash(owner));
	*error = make_parent_directories(output->final_path);
	if (*error < 0)
		goto fail;
	*error = -EINVAL;
	const AVOutputFormat *container = av_guess_format(container_name, NULL, NULL);
	const AVCodec *codec = format == REC_FORMAT_MP3 ? avcodec_find_encoder_by_name("libmp3lame")
							: avcodec_find_encoder(AV_CODEC_ID_PCM_S16LE);
	if (!container || !codec) {
		*error = -ENOTSUP;
		goto fail;
	}
	if (avformat_alloc_output_context2(&output->format, container, NULL, output->temporary_path) < 0)
		goto fail;
	output->stream = avformat_new_stream(output->format, NULL);
	output->encoder = avcodec_alloc_context3(codec);
	output->frame = av_frame_alloc();
	output->packet = av_packet_alloc();
	if (!output->stream || !output->encoder || !output->frame || !output->packet)
		goto fail;
	AVCodecContext *encoder = output->encoder;
	encoder->sample_rate = rate;
	av_channel_layout_default(&encoder->ch_layout, channels);
	encoder->sample_fmt = format == REC_FORMAT_MP3 ? AV_SAMPLE_FMT_S16P : AV_SAMPLE_FMT_S16;
	encoder->time_base = (AVRational) { 1, rate };
	if (format == REC_FORMAT_MP3)
		encoder->bit_rate = rec_config.mp3_bitrate;
	if (output->format->oformat->flags & AVFMT_GLOBALHEADER)
		encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	if (avcodec_open2(encoder, codec, NULL) < 0)
		goto fail;
	if (avcodec_parameters_from_context(output->stream->codecpar, encoder) < 0)
		goto fail;
	output->stream->time_base = encoder->time_base;
	output->frame_size = encoder->frame_size > 0 ? (size_t) encoder->frame_size : 1024;
	output->pending = g_new(int16_t, output->frame_size * (size_t) channels);
	if (avio_open(&output->format->pb, output->temporary_path, AVIO_FLAG_WRITE) < 0) {
		*error = -EACCES;
		goto fail;
	}
	if (avformat_write_header(output->format, NULL) < 0)
		goto fail;
	*error = 0;
	return output;
fail:
	if (output->format && output->format->pb) {
		avio_closep(&output->format->pb);
		unlink(output->temporary_path);
	}
	output_free(output);
	return NULL;
}

int output_write(void *sink, const int16_t *interleaved, size_t frames)
{
	struct rec_output *output = sink;
	size_t channels = (size_t) output->channels;
	while (frames > 0 && !output->error) {
		size_t take = MIN(frames, output->frame_size - output->pending_frames);
		memcpy(output->pending + output->pending_frames * channels, interleaved, take * channels * sizeof(int16_t));
		output->pending_frames += take;
		output->frames += take;
		interleaved += take * channels;
		frames -= take;
		if (output->pending_frames == output->frame_size)
			output->error = encode_pending(output);
	}
	return output->error;
}

uint64_t output_frames(const struct rec_output *output)
{
	return output->frames;
}

/* Gives the finished file its name without replacing an existing file (another recording of
 * the same call-id: a recording stopped and started again is a new spool prefix): NAME.EXT,
 * else NAME-1.EXT, NAME-2.EXT, ... link(2) fails on an existing name where rename(2) would
 * replace it; on a file system without hard links the name is replaced. */
static int publish_file(struct rec_output *output)
{
	for (unsigned int attempt = 0; attempt < 1000; attempt++) {
		if (attempt) {
			g_free(output->final_path);
			char suffix[16];
			snprintf(suffix, sizeof(suffix), "-%u", attempt);
			output->final_path = name_with_extension(output->path_base, suffix, output->extension);
		}
		if (link(output->temporary_path, output->final_path) == 0) {
			unlink(output->temporary_path);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	if (rename(output->temporary_path, output->final_path) < 0)
		return -errno;
	return 0;
}

int output_close(struct rec_output *output, bool discard)
{
	int error = output->error;
	if (!error && output->pending_frames > 0 &&
	    !(output->encoder->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) &&
	    !(output->encoder->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME)) {
		/* the encoder takes whole frames only: pad the last one with silence */
		size_t channels = (size_t) output->channels;
		memset(output->pending + output->pending_frames * channels, 0,
		       (output->frame_size - output->pending_frames) * channels * sizeof(int16_t));
		output->pending_frames = output->frame_size;
	}
	if (!error)
		error = encode_pending(output);
	if (!error && avcodec_send_frame(output->encoder, NULL) >= 0)
		error = drain_packets(output);
	if (!error && av_write_trailer(output->format) < 0)
		error = -EIO;
	avio_closep(&output->format->pb);
	if (discard || error) {
		unlink(output->temporary_path);
	} else {
		if (rec_config.output_chmod > 0 && chmod(output->temporary_path, (mode_t) rec_config.output_chmod) < 0)
			log_warning("cannot chmod %s: %s", output->temporary_path, strerror(errno));
		if ((rec_config.output_uid >= 0 || rec_config.output_gid >= 0) &&
		    chown(output->temporary_path, (uid_t) rec_config.output_uid, (gid_t) rec_config.output_gid) < 0)
			log_warning("cannot chown %s: %s", output->temporary_path, strerror(errno));
		error = publish_file(output);
		if (error < 0) {
			log_error("cannot rename %s to %s: %s", output->temporary_path, output->final_path,
				  strerror(-error));
		} else {
			log_info("wrote %s (%llu frames, %.2f s)", output->final_path,
				 (unsigned long long) output->frames,
				 (double) output->frames / output->encoder->sample_rate);
		}
	}
	output_free(output);
	return error;
}
