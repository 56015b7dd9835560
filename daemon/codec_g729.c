/* G.729 through bcg729 (codec_g729.h states the contract). */
#include "codec_g729.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

struct codec_g729_encoder {
	bcg729EncoderChannelContextStruct *context;
};

struct codec_g729_decoder {
	bcg729DecoderChannelContextStruct *context;
};

struct codec_g729_encoder *codec_g729_encoder_new(bool vad)
{
	struct codec_g729_encoder *encoder = calloc(1, sizeof(*encoder));
	if (!encoder)
		return NULL;
	encoder->context = initBcg729EncoderChannel(vad ? 1 : 0);
	if (!encoder->context) {
		free(encoder);
		return NULL;
	}
	return encoder;
}

void codec_g729_encoder_free(struct codec_g729_encoder *encoder)
{
	if (!encoder)
		return;
	closeBcg729EncoderChannel(encoder->context);
	free(encoder);
}

int codec_g729_encode(struct codec_g729_encoder *encoder, const int16_t *pcm, unsigned int samples,
		uint8_t *out, size_t capacity)
{
	if (samples % CODEC_G729_FRAME_SAMPLES)
		return -EINVAL;
	size_t length = 0;
	bool ends_in_sid = false;
	for (unsigned int done = 0; done < samples; done += CODEC_G729_FRAME_SAMPLES) {
		uint8_t frame[CODEC_G729_FRAME_BYTES];
		uint8_t frame_length = 0;
		bcg729Encoder(encoder->context, pcm + done, frame, &frame_length);
		if (!frame_length)
			continue;   /* DTX: nothing sent for this frame */
		/* RFC 3551 section 4.5.6: a SID frame may only end the payload; speech after one
		 * in the same packet replaces it (the receiver hears the speech either way) */
		if (ends_in_sid)
			length -= CODEC_G729_SID_BYTES;
		if (length + frame_length > capacity)
			return -ENOSPC;
		memcpy(out + length, frame, frame_length);
		length += frame_length;
		ends_in_sid = frame_length == CODEC_G729_SID_BYTES;
	}
	return (int)length;
}

struct codec_g729_decoder *codec_g729_decoder_new(void)
{
	struct codec_g729_decoder *decoder = calloc(1, sizeof(*decoder));
	if (!decoder)
		return NULL;
	decoder->context = initBcg729DecoderChannel();
	if (!decoder->context) {
		free(decoder);
		return NULL;
	}
	return decoder;
}

void codec_g729_decoder_free(struct codec_g729_decoder *decoder)
{
	if (!decoder)
		return;
	closeBcg729DecoderChannel(decoder->context);
	free(decoder);
}

int codec_g729_decode(struct codec_g729_decoder *decoder, const uint8_t *payload, size_t length,
		int16_t *pcm, size_t capacity)
{
	/* RFC 3551 section 4.5.6: 10-byte frames, then at most one 2-byte SID frame */
	size_t remainder = length % CODEC_G729_FRAME_BYTES;
	if (remainder != 0 && remainder != CODEC_G729_SID_BYTES)
		return -EINVAL;
	size_t frames = length / CODEC_G729_FRAME_BYTES + (remainder ? 1 : 0);
	if (frames * CODEC_G729_FRAME_SAMPLES > capacity)
		return -ENOSPC;
	size_t samples = 0;
	for (size_t offset = 0; offset < length; samples += CODEC_G729_FRAME_SAMPLES) {
		bool sid = length - offset == CODEC_G729_SID_BYTES;
		uint8_t size = sid ? CODEC_G729_SID_BYTES : CODEC_G729_FRAME_BYTES;
		bcg729Decoder(decoder->context, payload + offset, size, 0, sid ? 1 : 0, 0, pcm + samples);
		offset += size;
	}
	return (int)samples;
}
