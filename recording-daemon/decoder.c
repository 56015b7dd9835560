/* Decoding one SSRC's payloads with libavcodec and converting them with libswresample to mono
 * signed 16-bit at the call's output rate. One decoder per SSRC and payload type; a payload
 * type change makes a new one (packet.c). */
#include "recording_daemon.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

struct rec_decoder {
	AVCodecContext *context;
	AVPacket *packet;
	AVFrame *frame;
	SwrContext *resampler;
	int resampler_rate, resampler_format, resampler_channels;
	int output_rate;
	int16_t *samples;
	size_t samples_capacity;
};

struct codec_name {
	const char *encoding;
	enum AVCodecID id;
};

/* RTP encoding names (RFC 3551 section 6, RFC 7587) and libavcodec's decoders for them. */
static const struct codec_name codec_names[] = {
	{ "PCMU", AV_CODEC_ID_PCM_MULAW },
	{ "PCMA", AV_CODEC_ID_PCM_ALAW },
	{ "G722", AV_CODEC_ID_ADPCM_G722 },
	{ "opus", AV_CODEC_ID_OPUS },
	{ "L16", AV_CODEC_ID_PCM_S16BE },
	{ "G723", AV_CODEC_ID_G723_1 },
	{ "G729", AV_CODEC_ID_G729 },
	{ "GSM", AV_CODEC_ID_GSM },
	{ "speex", AV_CODEC_ID_SPEEX },
	{ "AMR", AV_CODEC_ID_AMR_NB },
	{ "AMR-WB", AV_CODEC_ID_AMR_WB },
	{ "iLBC", AV_CODEC_ID_ILBC },
};

static enum AVCodecID codec_id(const char *encoding)
{
	for (size_t i = 0; i < G_N_ELEMENTS(codec_names); i++)
		if (!strcasecmp(codec_names[i].encoding, encoding))
			return codec_names[i].id;
	return AV_CODEC_ID_NONE;
}

int decoder_native_rate(const char *encoding, int clock_rate)
{
	/* RFC 3551 section 4.5.2: G.722's RTP clock is 8000 for historical reasons; it samples
	 * at 16000. RFC 7587 section 4.1: Opus always uses a 48000 clock. */
	if (!strcasecmp(encoding, "G722"))
		return 16000;
	if (!strcasecmp(encoding, "opus"))
		return 48000;
	return clock_rate;
}

struct rec_decoder *decoder_new(const char *encoding, int clock_rate, int channels, int output_rate, int *error)
{
	enum AVCodecID id = codec_id(encoding);
	const AVCodec *codec = id == AV_CODEC_ID_NONE ? NULL : avcodec_find_decoder(id);
	if (!codec) {
		*error = -ENOTSUP;
		return NULL;
	}
	struct rec_decoder *decoder = g_new0(struct rec_decoder, 1);
	decoder->output_rate = output_rate;
	decoder->context = avcodec_alloc_context3(codec);
	decoder->packet = av_packet_alloc();
	decoder->frame = av_frame_alloc();
	if (!decoder->context || !decoder->packet || !decoder->frame) {
		*error = -ENOMEM;
		goto fail;
	}
	decoder->context->sample_rate = decoder_native_rate(encoding, clock_rate);
	av_channel_layout_default(&decoder->context->ch_layout, channels > 0 ? channels : 1);
	int result = avcodec_open2(decoder->context, codec, NULL);
	if (result < 0) {
		*error = -EINVAL;
		goto fail;
	}
	return decoder;
fail:
	decoder_free(decoder);
	return NULL;
}

void decoder_free(struct rec_decoder *decoder)
{
	if (!decoder)
		return;
	avcodec_free_context(&decoder->context);
	av_packet_free(&decoder->packet);
	av_frame_free(&decoder->frame);
	swr_free(&decoder->resampler);
	g_free(decoder->samples);
	g_free(decoder);
}

static int ensure_resampler(struct rec_decoder *decoder, AVFrame *frame)
{
	if (decoder->resampler && decoder->resampler_rate == frame->sample_rate &&
	    decoder->resampler_format == frame->format && decoder->resampler_channels == frame->ch_layout.nb_channels)
		return 0;
	swr_free(&decoder->resampler);
	AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
	if (swr_alloc_set_opts2(&decoder->resampler, &mono, AV_SAMPLE_FMT_S16, decoder->output_rate,
				&frame->ch_layout, frame->format, frame->sample_rate, 0, NULL) < 0 ||
	    swr_init(decoder->resampler) < 0) {
		swr_free(&decoder->resampler);
		return -EINVAL;
	}
	decoder->resampler_rate = frame->sample_rate;
	decoder->resampler_format = frame->format;
	decoder->resampler_channels = frame->ch_layout.nb_channels;
	return 0;
}

static void reserve_samples(struct rec_decoder *decoder, size_t needed)
{
	if (needed > decoder->samples_capacity) {
		decoder->samples_capacity = needed + 1024;
		decoder->samples = g_renew(int16_t, decoder->samples, decoder->samples_capacity);
	}
}

static int convert_frame(struct rec_decoder *decoder, size_t *used)
{
	AVFrame *frame = decoder->frame;
	/* G.711 and L16 at the call's rate decode to what we want already: no resampler (it
	 * would cost a context of its own per SSRC and a copy through it) */
	if (!decoder->resampler && frame->format == AV_SAMPLE_FMT_S16 && frame->ch_layout.nb_channels == 1 &&
	    frame->sample_rate == decoder->output_rate) {
		reserve_samples(decoder, *used + (size_t) frame->nb_samples);
		memcpy(decoder->samples + *used, frame->data[0], (size_t) frame->nb_samples * sizeof(int16_t));
		*used += (size_t) frame->nb_samples;
		return 0;
	}
	int result = ensure_resampler(decoder, frame);
	if (result < 0)
		return result;
	int room = swr_get_out_samples(decoder->resampler, frame->nb_samples);
	if (room < 0)
		return -EINVAL;
	reserve_samples(decoder, *used + (size_t) room);
	uint8_t *out = (uint8_t *) (decoder->samples + *used);
	int converted = swr_convert(decoder->resampler, &out, room, (const uint8_t **) frame->extended_data,
				    frame->nb_samples);
	if (converted < 0)
		return -EINVAL;
	*used += (size_t) converted;
	return 0;
}

int decoder_decode(struct rec_decoder *decoder, const unsigned char *payload, size_t length, const int16_t **samples)
{
	/* libavcodec reads up to AV_INPUT_BUFFER_PADDING_SIZE past the end: copy into a padded
	 * packet buffer. */
	if (length == 0 || length > 65536)
		return -EINVAL;
	if (av_new_packet(decoder->packet, (int) length) < 0)
		return -ENOMEM;
	memcpy(decoder->packet->data, payload, length);
	int result = avcodec_send_packet(decoder->context, decoder->packet);
	av_packet_unref(decoder->packet);
	if (result < 0)
		return -EINVAL;
	size_t used = 0;
	for (;;) {
		result = avcodec_receive_frame(decoder->context, decoder->frame);
		if (result == AVERROR(EAGAIN) || result == AVERROR_EOF)
			break;
		if (result < 0)
			return -EINVAL;
		result = convert_frame(decoder, &used);
		av_frame_unref(decoder->frame);
		if (result < 0)
			return result;
	}
	*samples = decoder->samples;
	return (int) used;
}
