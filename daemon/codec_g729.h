/* G.729 Annex A (with Annex B SID frames) through bcg729: the codec glue the transcoding engine
 * (codec_chain.c) calls for "G729" and "G729a", as 10.5 does (libavcodec decodes G.729 but has
 * no encoder; 10.5 encodes and decodes it with bcg729).
 *
 * Framing (RFC 3551 section 4.5.6): 80 samples at 8 kHz (10 ms) make one 10-byte frame; an RTP
 * payload is zero or more such frames, optionally followed by one 2-byte Annex B SID frame
 * (comfort noise parameters), which the decoder turns into comfort noise. The encoder takes
 * whole 10-ms frames. With VAD (Annex B; the relay does not enable it, as 10.5 sends full frames
 * whatever the fmtp's annexb says) a silent frame may become a 2-byte SID frame or nothing at all
 * (DTX): the caller gets 0 bytes for that frame.
 *
 * Errors: negative errno. -EINVAL a payload that is not 10-byte frames plus at most one SID
 * frame, -ENOSPC an output buffer too small, -ENOMEM.
 *
 * Threads and cost: a context is used by one thread at a time (the relay pins a chain to one
 * worker); nothing is allocated after codec_g729_*_new(). Thread CPU time per 10-ms frame on
 * the shared 2-core test machine (load 5, `test_codec_g729 -m perf -p /codec_g729/cost`): encode
 * 24 us, decode 5 us, so a G.729 <-> G.711 call costs about 60 us per 20 ms both ways (some
 * 300 calls per core for the codec alone).
 */
#ifndef RTPENGINE_CODEC_G729_H
#define RTPENGINE_CODEC_G729_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODEC_G729_FRAME_SAMPLES 80     /* 10 ms at 8000 Hz */
#define CODEC_G729_FRAME_BYTES 10
#define CODEC_G729_SID_BYTES 2          /* Annex B section B.4.2 */

struct codec_g729_encoder;
struct codec_g729_decoder;

/* vad: Annex B voice activity detection and DTX (silent frames as SID frames or nothing). */
struct codec_g729_encoder *codec_g729_encoder_new(bool vad);
void codec_g729_encoder_free(struct codec_g729_encoder *encoder);
/* samples: a multiple of CODEC_G729_FRAME_SAMPLES. Returns the payload's length (0 when DTX
 * left every frame out) or -errno. */
int codec_g729_encode(struct codec_g729_encoder *encoder, const int16_t *pcm, unsigned int samples,
		uint8_t *out, size_t capacity);

struct codec_g729_decoder *codec_g729_decoder_new(void);
void codec_g729_decoder_free(struct codec_g729_decoder *decoder);
/* One RTP payload into PCM (8 kHz mono): the number of samples written or -errno. A SID frame
 * gives 10 ms of comfort noise. */
int codec_g729_decode(struct codec_g729_decoder *decoder, const uint8_t *payload, size_t length,
		int16_t *pcm, size_t capacity);
#endif
