/* G.729 glue (daemon/codec_g729.c, bcg729): a tone and a chirp encoded and decoded again must
 * correlate with the input; RFC 3551 section 4.5.6 framing (10-byte frames, a trailing 2-byte
 * SID frame, anything else refused); buffer limits. The chain-level round trip through
 * PCMU and the ptime rules are in test_codec_chain.c. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "codec_g729.h"

#define SECONDS 2
#define SAMPLES (8000 * SECONDS)

/* Best normalised cross-correlation of b against a, b delayed by 0..max_lag samples. */
static double correlation(const int16_t *a, const int16_t *b, size_t count, size_t max_lag)
{
	double best = 0;
	for (size_t lag = 0; lag <= max_lag; lag++) {
		double ab = 0, aa = 0, bb = 0;
		for (size_t i = 0; i + lag < count; i++) {
			ab += (double)a[i] * b[i + lag];
			aa += (double)a[i] * a[i];
			bb += (double)b[i + lag] * b[i + lag];
		}
		if (aa > 0 && bb > 0 && ab / sqrt(aa * bb) > best)
			best = ab / sqrt(aa * bb);
	}
	return best;
}

/* Encode in 20-ms payloads (two frames each, as the relay sends them) and decode them again. */
static double round_trip(const int16_t *input, int16_t *output)
{
	struct codec_g729_encoder *encoder = codec_g729_encoder_new(false);
	struct codec_g729_decoder *decoder = codec_g729_decoder_new();
	g_assert_nonnull(encoder);
	g_assert_nonnull(decoder);
	for (size_t at = 0; at < SAMPLES; at += 160) {
		uint8_t payload[64];
		int length = codec_g729_encode(encoder, input + at, 160, payload, sizeof(payload));
		g_assert_cmpint(length, ==, 2 * CODEC_G729_FRAME_BYTES);   /* 8 kbit/s, no VAD */
		int samples = codec_g729_decode(decoder, payload, (size_t)length, output + at, 160);
		g_assert_cmpint(samples, ==, 160);
	}
	codec_g729_encoder_free(encoder);
	codec_g729_decoder_free(decoder);
	/* skip the first 100 ms while the codec's filters settle */
	return correlation(input + 800, output + 800, SAMPLES - 1600, 200);
}

static void test_tone_round_trip(void)
{
	int16_t *input = g_new0(int16_t, SAMPLES), *output = g_new0(int16_t, SAMPLES);
	for (size_t i = 0; i < SAMPLES; i++)
		input[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * (double)i / 8000));
	double r = round_trip(input, output);
	g_test_message("440 Hz tone: correlation %.3f", r);
	g_assert_cmpfloat(r, >, 0.8);
	/* and not a coincidence: silence in, silence out, which must not correlate */
	memset(input, 0, SAMPLES * sizeof(int16_t));
	(void)round_trip(input, output);
	int peak = 0;
	for (size_t i = 800; i < SAMPLES; i++)
		peak = MAX(peak, abs(output[i]));
	g_assert_cmpint(peak, <, 200);
	g_free(input);
	g_free(output);
}

static void test_chirp_round_trip(void)
{
	/* 200 Hz to 3 kHz over the two seconds: the voice band */
	int16_t *input = g_new0(int16_t, SAMPLES), *output = g_new0(int16_t, SAMPLES);
	double phase = 0;
	for (size_t i = 0; i < SAMPLES; i++) {
		double frequency = 200 + 2800 * (double)i / SAMPLES;
		phase += 2 * M_PI * frequency / 8000;
		input[i] = (int16_t)(6000 * sin(phase));
	}
	double r = round_trip(input, output);
	g_test_message("chirp: correlation %.3f", r);
	g_assert_cmpfloat(r, >, 0.6);
	g_free(input);
	g_free(output);
}

static void test_framing(void)
{
	struct codec_g729_encoder *encoder = codec_g729_encoder_new(false);
	struct codec_g729_decoder *decoder = codec_g729_decoder_new();
	int16_t pcm[480] = { 0 };
	uint8_t payload[64] = { 0 };
	/* whole 10-ms frames only */
	g_assert_cmpint(codec_g729_encode(encoder, pcm, 100, payload, sizeof(payload)), ==, -EINVAL);
	g_assert_cmpint(codec_g729_encode(encoder, pcm, 240, payload, 20), ==, -ENOSPC);
	g_assert_cmpint(codec_g729_encode(encoder, pcm, 240, payload, sizeof(payload)), ==, 30);
	/* two frames and a SID frame: 30 ms; a SID frame alone: 10 ms of comfort noise */
	g_assert_cmpint(codec_g729_decode(decoder, payload, 22, pcm, G_N_ELEMENTS(pcm)), ==, 240);
	g_assert_cmpint(codec_g729_decode(decoder, payload, 2, pcm, G_N_ELEMENTS(pcm)), ==, 80);
	g_assert_cmpint(codec_g729_decode(decoder, payload, 0, pcm, G_N_ELEMENTS(pcm)), ==, 0);
	/* neither frames nor a SID frame */
	g_assert_cmpint(codec_g729_decode(decoder, payload, 15, pcm, G_N_ELEMENTS(pcm)), ==, -EINVAL);
	g_assert_cmpint(codec_g729_decode(decoder, payload, 1, pcm, G_N_ELEMENTS(pcm)), ==, -EINVAL);
	/* room for what the payload holds */
	g_assert_cmpint(codec_g729_decode(decoder, payload, 30, pcm, 160), ==, -ENOSPC);
	codec_g729_encoder_free(encoder);
	codec_g729_decoder_free(decoder);
	codec_g729_encoder_free(NULL);
	codec_g729_decoder_free(NULL);
}

/* With Annex B VAD a long silence leaves as SID frames or nothing (DTX), and a SID frame is
 * never followed by a speech frame in one payload (RFC 3551 section 4.5.6). */
static void test_vad_payloads(void)
{
	struct codec_g729_encoder *encoder = codec_g729_encoder_new(true);
	int16_t pcm[160];
	guint32 noise = 1;
	unsigned int full = 0, short_payloads = 0;
	for (int packet = 0; packet < 300; packet++) {
		/* 1 s of a tone, then low noise */
		for (int i = 0; i < 160; i++) {
			noise = noise * 1664525u + 1013904223u;
			pcm[i] = packet < 50 ? (int16_t)(8000 * sin(2 * M_PI * 440 * (packet * 160 + i) / 8000.0))
					     : (int16_t)((int)(noise >> 16) % 16 - 8);
		}
		uint8_t payload[64];
		int length = codec_g729_encode(encoder, pcm, 160, payload, sizeof(payload));
		g_assert_true(length == 0 || length == 2 || length == 10 || length == 12 || length == 20);
		if (length == 20)
			full++;
		else
			short_payloads++;
	}
	g_test_message("VAD: %u full payloads, %u SID or empty", full, short_payloads);
	g_assert_cmpuint(full, >=, 50);
	codec_g729_encoder_free(encoder);
}

/* -m perf: thread CPU time per 10-ms frame (no assertion on time: the machine is shared) */
static void test_cost(void)
{
	if (!g_test_perf())
		return;
	enum { FRAMES = 2000 };
	struct codec_g729_encoder *encoder = codec_g729_encoder_new(false);
	struct codec_g729_decoder *decoder = codec_g729_decoder_new();
	int16_t pcm[80];
	uint8_t payload[10];
	struct timespec start, middle, end;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
	for (int frame = 0; frame < FRAMES; frame++) {
		for (int i = 0; i < 80; i++)
			pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * (frame * 80 + i) / 8000.0));
		g_assert_cmpint(codec_g729_encode(encoder, pcm, 80, payload, sizeof(payload)), ==, 10);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &middle);
	for (int frame = 0; frame < FRAMES; frame++)
		g_assert_cmpint(codec_g729_decode(decoder, payload, sizeof(payload), pcm, 80), ==, 80);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
	double encode_us = ((middle.tv_sec - start.tv_sec) * 1e9 + (middle.tv_nsec - start.tv_nsec)) / 1e3 / FRAMES;
	double decode_us = ((end.tv_sec - middle.tv_sec) * 1e9 + (end.tv_nsec - middle.tv_nsec)) / 1e3 / FRAMES;
	g_test_minimized_result(encode_us, "encode %.1f us per 10-ms frame, decode %.1f us", encode_us, decode_us);
	codec_g729_encoder_free(encoder);
	codec_g729_decoder_free(decoder);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec_g729/tone_round_trip", test_tone_round_trip);
	g_test_add_func("/codec_g729/chirp_round_trip", test_chirp_round_trip);
	g_test_add_func("/codec_g729/framing", test_framing);
	g_test_add_func("/codec_g729/vad_payloads", test_vad_payloads);
	g_test_add_func("/codec_g729/cost", test_cost);
	return g_test_run();
}
