/* The transcoding engine (daemon/codec_chain.c): G.711 exactness against libavcodec's own
 * G.711 decoders, PCMU<->G.722 and PCMU<->Opus round trips of real speech (espeak-ng) that must
 * still correlate with the input, repacketisation 20 -> 30 ms, loss and reordering in the jitter
 * buffer, telephone-event pass-through. Raw PCM goes in and out as L16 (RFC 3551 4.5.11). */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>

#include "codec_chain.h"

#define PT_IN 0
#define MAX_SAMPLES (8000 * 20)

struct pcm {
	int16_t *samples;
	size_t count;
};

static size_t rtp_packet(uint8_t *out, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
			 const uint8_t *payload, size_t length)
{
	out[0] = 0x80;
	out[1] = pt;
	out[2] = (uint8_t)(seq >> 8);
	out[3] = (uint8_t)seq;
	out[4] = (uint8_t)(ts >> 24);
	out[5] = (uint8_t)(ts >> 16);
	out[6] = (uint8_t)(ts >> 8);
	out[7] = (uint8_t)ts;
	out[8] = (uint8_t)(ssrc >> 24);
	out[9] = (uint8_t)(ssrc >> 16);
	out[10] = (uint8_t)(ssrc >> 8);
	out[11] = (uint8_t)ssrc;
	memcpy(out + 12, payload, length);
	return 12 + length;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static struct codec_chain *chain_new(const char *in, unsigned int in_clock, uint8_t in_pt,
				     const char *out, unsigned int out_clock, uint8_t out_pt, unsigned int ptime)
{
	struct codec_chain_config config = {
		.input = { .encoding = in, .clock_rate = in_clock, .payload_type = in_pt },
		.output = { .encoding = out, .clock_rate = out_clock, .payload_type = out_pt },
		.output_ptime_ms = ptime, .input_dtmf_pt = -1, .output_dtmf_pt = -1,
	};
	const char *reason = NULL;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	if (!chain)
		g_error("%s -> %s: %s", in, out, reason);
	return chain;
}

/* Packets out of a chain, appended (as whole RTP packets) to a list of GBytes. */
static void drain(struct codec_chain *chain, GPtrArray *packets)
{
	uint8_t buffer[CODEC_CHAIN_MAX_PACKET];
	int length;
	while ((length = codec_chain_pop(chain, buffer, sizeof(buffer))) > 0)
		g_ptr_array_add(packets, g_bytes_new(buffer, (gsize)length));
	g_assert_cmpint(length, ==, 0);
}

/* Feed RTP packets through a chain; the packets it sends. */
static GPtrArray *through(struct codec_chain *chain, GPtrArray *in)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (guint i = 0; i < in->len; i++) {
		gsize length;
		const uint8_t *data = g_bytes_get_data(in->pdata[i], &length);
		g_assert_cmpint(codec_chain_push(chain, data, length), >=, 0);
		drain(chain, out);
	}
	codec_chain_flush(chain);
	drain(chain, out);
	return out;
}

/* PCM as L16 packets of 20 ms. */
static GPtrArray *l16_packets(const struct pcm *pcm, unsigned int rate)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	unsigned int frame = rate / 50;
	uint8_t payload[2 * 960], packet[CODEC_CHAIN_MAX_PACKET];
	for (size_t at = 0, seq = 0; at + frame <= pcm->count; at += frame, seq++) {
		for (unsigned int i = 0; i < frame; i++) {
			payload[2 * i] = (uint8_t)((uint16_t)pcm->samples[at + i] >> 8);
			payload[2 * i + 1] = (uint8_t)pcm->samples[at + i];
		}
		size_t length = rtp_packet(packet, 96, (uint16_t)(1000 + seq), (uint32_t)(5000 + at), 0x1234, payload, 2 * frame);
		g_ptr_array_add(out, g_bytes_new(packet, length));
	}
	return out;
}

static struct pcm l16_decode(GPtrArray *packets)
{
	struct pcm pcm = { g_new0(int16_t, MAX_SAMPLES * 6), 0 };
	for (guint i = 0; i < packets->len; i++) {
		gsize length;
		const uint8_t *data = g_bytes_get_data(packets->pdata[i], &length);
		for (gsize j = 12; j + 1 < length && pcm.count < MAX_SAMPLES * 6; j += 2)
			pcm.samples[pcm.count++] = (int16_t)rd16(data + j);
	}
	return pcm;
}

/* Best normalised cross-correlation of b against a, b delayed by 0..max_lag samples. */
static double correlation(const struct pcm *a, const struct pcm *b, size_t max_lag)
{
	double best = 0;
	for (size_t lag = 0; lag <= max_lag; lag++) {
		double ab = 0, aa = 0, bb = 0;
		for (size_t i = 0; i + lag < b->count && i < a->count; i++) {
			ab += (double)a->samples[i] * b->samples[i + lag];
			aa += (double)a->samples[i] * a->samples[i];
			bb += (double)b->samples[i + lag] * b->samples[i + lag];
		}
		if (aa > 0 && bb > 0 && ab / sqrt(aa * bb) > best)
			best = ab / sqrt(aa * bb);
	}
	return best;
}

/* Speech from espeak-ng, resampled by sox to 8 kHz mono s16: real audio, not a tone. */
static struct pcm speech_8k(void)
{
	gchar *dir = g_dir_make_tmp("codec-chain-XXXXXX", NULL);
	g_assert_nonnull(dir);
	gchar *wav = g_build_filename(dir, "speech.wav", NULL);
	gchar *raw = g_build_filename(dir, "speech.raw", NULL);
	gchar *command = g_strdup_printf("espeak-ng -w '%s' 'The quick brown fox jumps over the lazy dog. "
					 "Transcoding keeps the speech intelligible.' && sox '%s' -r 8000 -c 1 -b 16 -e signed "
					 "-t raw '%s'", wav, wav, raw);
	int status = system(command);
	g_assert_cmpint(status, ==, 0);
	gchar *contents;
	gsize length;
	g_assert_true(g_file_get_contents(raw, &contents, &length, NULL));
	struct pcm pcm = { g_new0(int16_t, MAX_SAMPLES), MIN(length / 2, MAX_SAMPLES) };
	memcpy(pcm.samples, contents, pcm.count * 2);   /* sox writes host byte order */
	g_assert_cmpuint(pcm.count, >, 8000);
	g_free(contents);
	g_unlink(wav);
	g_unlink(raw);
	g_rmdir(dir);
	g_free(command);
	g_free(wav);
	g_free(raw);
	g_free(dir);
	return pcm;
}

/* libavcodec's decoding of the 256 codes of a G.711 law: an independent table. */
static void libav_g711_levels(const char *decoder, int16_t levels[256])
{
	const AVCodec *codec = avcodec_find_decoder_by_name(decoder);
	g_assert_nonnull(codec);
	AVCodecContext *context = avcodec_alloc_context3(codec);
	context->sample_rate = 8000;
	av_channel_layout_default(&context->ch_layout, 1);
	g_assert_cmpint(avcodec_open2(context, codec, NULL), ==, 0);
	uint8_t codes[256];
	for (int i = 0; i < 256; i++)
		codes[i] = (uint8_t)i;
	AVPacket *packet = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	packet->data = codes;
	packet->size = 256;
	g_assert_cmpint(avcodec_send_packet(context, packet), ==, 0);
	g_assert_cmpint(avcodec_receive_frame(context, frame), ==, 0);
	g_assert_cmpint(frame->nb_samples, ==, 256);
	memcpy(levels, frame->data[0], 256 * sizeof(int16_t));
	av_frame_free(&frame);
	av_packet_free(&packet);
	avcodec_free_context(&context);
}

/* Every mu-law code becomes the A-law code whose level is nearest (G.711's decision levels). */
static void test_pcmu_to_pcma_exact(void)
{
	int16_t ulaw[256], alaw[256];
	libav_g711_levels("pcm_mulaw", ulaw);
	libav_g711_levels("pcm_alaw", alaw);
	struct codec_chain *chain = chain_new("PCMU", 8000, 0, "PCMA", 8000, 8, 20);
	GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	uint8_t payload[160], packet[200];
	for (int p = 0; p < 2; p++) {   /* codes 0..255 then 0..63 again */
		for (int i = 0; i < 160; i++)
			payload[i] = (uint8_t)(p * 160 + i);
		g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, PT_IN, (uint16_t)p, (uint32_t)(p * 160), 7, payload, 160)));
	}
	GPtrArray *out = through(chain, in);
	g_assert_cmpuint(out->len, ==, 2);
	for (int p = 0; p < 2; p++) {
		gsize length;
		const uint8_t *data = g_bytes_get_data(out->pdata[p], &length);
		g_assert_cmpuint(length, ==, 172);
		g_assert_cmpuint(data[1] & 0x7f, ==, 8);
		for (int i = 0; i < 160; i++) {
			int want = ulaw[(uint8_t)(p * 160 + i)];
			int best = 65536;
			for (int code = 0; code < 256; code++)
				best = MIN(best, abs(alaw[code] - want));
			g_assert_cmpint(abs(alaw[data[12 + i]] - want), ==, best);
		}
	}
	g_ptr_array_unref(in);
	g_ptr_array_unref(out);
	codec_chain_free(chain);
}

/* speech -> PCMU -> X -> PCMU -> speech, correlating with the input; X in packets of ptime ms
 * (0: the codec's usual one) of middle_length payload bytes (0: fewer than PCMU's) */
static double round_trip_with(const char *middle, unsigned int middle_clock, unsigned int lag, unsigned int ptime,
			      unsigned int packet_ms, gsize payload_length)
{
	struct pcm speech = speech_8k();
	struct codec_chain *to_pcmu = chain_new("L16", 8000, 96, "PCMU", 8000, 0, 20);
	struct codec_chain *to_middle = chain_new("PCMU", 8000, 0, middle, middle_clock, 111, ptime);
	struct codec_chain *back = chain_new(middle, middle_clock, 111, "PCMU", 8000, 0, 20);
	struct codec_chain *to_l16 = chain_new("PCMU", 8000, 0, "L16", 8000, 96, 20);
	GPtrArray *a = l16_packets(&speech, 8000);
	GPtrArray *b = through(to_pcmu, a);
	GPtrArray *c = through(to_middle, b);
	GPtrArray *d = through(back, c);
	GPtrArray *e = through(to_l16, d);
	g_assert_cmpuint((c->len + 2) * packet_ms, >=, b->len * 20);   /* encoders may hold a frame back */
	for (guint i = 1; i < c->len; i++) {   /* timestamps 20 ms apart in the middle codec's clock */
		const uint8_t *data = g_bytes_get_data(c->pdata[i], NULL), *previous = g_bytes_get_data(c->pdata[i - 1], NULL);
		g_assert_cmpuint(rd32(data + 4) - rd32(previous + 4), ==, middle_clock / 1000 * packet_ms);
		g_assert_cmpuint(data[1] & 0x7f, ==, 111);
	}
	gsize middle_length;
	g_bytes_get_data(c->pdata[1], &middle_length);
	if (payload_length)
		g_assert_cmpuint(middle_length, ==, 12 + payload_length);
	else if (!strcmp(middle, "G722"))
		g_assert_cmpuint(middle_length, ==, 12 + 160);   /* 64 kbit/s */
	else
		g_assert_cmpuint(middle_length, <, 12 + 160);    /* Opus at 32 kbit/s */
	struct pcm result = l16_decode(e);
	double r = correlation(&speech, &result, lag);
	g_test_message("%s round trip: %zu -> %zu samples, correlation %.3f", middle, speech.count, result.count, r);
	g_ptr_array_unref(a);
	g_ptr_array_unref(b);
	g_ptr_array_unref(c);
	g_ptr_array_unref(d);
	g_ptr_array_unref(e);
	codec_chain_free(to_pcmu);
	codec_chain_free(to_middle);
	codec_chain_free(back);
	codec_chain_free(to_l16);
	g_free(speech.samples);
	g_free(result.samples);
	return r;
}

static double round_trip(const char *middle, unsigned int middle_clock, unsigned int lag)
{
	return round_trip_with(middle, middle_clock, lag, 20, 20, 0);
}

/* the encoders libavcodec has in Debian 12 besides G.722 and Opus */
static void test_pcmu_gsm_round_trip(void)
{
	g_assert_cmpfloat(round_trip_with("GSM", 8000, 200, 20, 20, 33), >, 0.8);   /* RFC 3551 4.5.8 */
}

static void test_pcmu_speex_round_trip(void)
{
	g_assert_cmpfloat(round_trip_with("speex", 8000, 400, 20, 20, 0), >, 0.8);
}

static void test_pcmu_speex_wideband_round_trip(void)
{
	/* as 10.5 adds Speex: speex/16000 */
	g_assert_cmpfloat(round_trip_with("speex", 16000, 800, 20, 20, 0), >, 0.8);
}

static void test_pcmu_g723_round_trip(void)
{
	/* 30 ms frames of 24 bytes (6.3 kbit/s) unless a ptime is asked for; back in 20 ms PCMU */
	g_assert_cmpfloat(round_trip_with("G723", 8000, 400, 0, 30, 24), >, 0.7);
}

/* G.729 through bcg729 (codec_g729.c): two 10-byte frames per 20 ms (RFC 3551 section 4.5.6),
 * three per 30 ms; a ptime that is not whole 10-ms frames is refused */
static void test_pcmu_g729_round_trip(void)
{
	g_assert_true(codec_chain_supports("G729", true));
	g_assert_true(codec_chain_supports("G729a", true));
	g_assert_cmpfloat(round_trip_with("G729", 8000, 400, 20, 20, 20), >, 0.6);
	g_assert_cmpfloat(round_trip_with("G729a", 8000, 400, 30, 30, 30), >, 0.6);
	struct codec_chain_config config = {
		.input = { .encoding = "PCMU", .payload_type = 0 },
		.output = { .encoding = "G729", .payload_type = 18 },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1,
		.output_ptime_ms = 25,
	};
	const char *reason = NULL;
	g_assert_null(codec_chain_new(&config, &reason));
	g_assert_cmpstr(reason, ==, "output ptime is not a multiple of G.729's 10 ms frame");
}

static void test_decode_only_codecs(void)
{
	g_assert_true(codec_chain_supports("iLBC", false));
	g_assert_false(codec_chain_supports("iLBC", true));
	g_assert_true(codec_chain_supports("AMR", false));
	g_assert_false(codec_chain_supports("AMR", true));
	struct codec_chain_config config = {
		.input = { .encoding = "PCMU", .payload_type = 0 },
		.output = { .encoding = "iLBC", .payload_type = 97 },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1,
	};
	const char *reason = NULL;
	g_assert_null(codec_chain_new(&config, &reason));
	g_assert_cmpstr(reason, ==, "libavcodec has no encoder for the output codec");
	/* decoding iLBC (30 ms, 50-byte frames) into PCMU opens */
	config.input = (struct codec_chain_format) { .encoding = "iLBC", .payload_type = 97 };
	config.output = (struct codec_chain_format) { .encoding = "PCMU", .payload_type = 0 };
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	codec_chain_free(chain);
}

static void test_pcmu_g722_round_trip(void)
{
	g_assert_cmpfloat(round_trip("G722", 8000, 200), >, 0.9);
}

static void test_pcmu_opus_round_trip(void)
{
	g_assert_cmpfloat(round_trip("opus", 48000, 600), >, 0.9);
}

/* 20 ms PCMU in, 30 ms PCMA out: 240-sample packets, consecutive sequence numbers, timestamps
 * 240 apart, one SSRC of the chain's own (codec_chain_ssrc.h). */
static void test_repacketise_20_to_30(void)
{
	struct codec_chain *chain = chain_new("PCMU", 8000, 0, "PCMA", 8000, 8, 30);
	GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	uint8_t payload[160], packet[200];
	memset(payload, 0x55, sizeof(payload));
	for (int p = 0; p < 9; p++)
		g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, PT_IN, (uint16_t)(65530 + p), (uint32_t)(-480 + p * 160), 0xabcdef, payload, 160)));
	GPtrArray *out = through(chain, in);
	g_assert_cmpuint(out->len, ==, 6);   /* 9 * 160 = 6 * 240 */
	const uint8_t *first = g_bytes_get_data(out->pdata[0], NULL);
	g_assert_cmphex(rd32(first + 8), !=, 0xabcdef);
	g_assert_cmphex(rd32(first + 8), !=, 0);
	for (guint i = 0; i < out->len; i++) {
		gsize length;
		const uint8_t *data = g_bytes_get_data(out->pdata[i], &length);
		g_assert_cmpuint(length, ==, 12 + 240);
		g_assert_cmphex(rd32(data + 8), ==, rd32(first + 8));
		g_assert_cmpuint((data[1] & 0x80) != 0, ==, i == 0);
		if (i) {
			const uint8_t *previous = g_bytes_get_data(out->pdata[i - 1], NULL);
			g_assert_cmpuint((uint16_t)(rd16(data + 2) - rd16(previous + 2)), ==, 1);
			g_assert_cmpuint(rd32(data + 4) - rd32(previous + 4), ==, 240);
		}
	}
	g_ptr_array_unref(in);
	g_ptr_array_unref(out);
	codec_chain_free(chain);
}

/* A chain with an alternate input (the answer's other codec both sides have): PCMU and PCMA
 * packets of one stream both decode into the output, sample for sample the levels G.711 gives;
 * a passthrough payload type is only reported, never taken. */
static void test_alternate_input_and_passthrough(void)
{
	struct codec_chain_config config = {
		.input = { .encoding = "PCMU", .clock_rate = 8000, .payload_type = 0 },
		.output = { .encoding = "L16", .clock_rate = 8000, .payload_type = 96 },
		.alternate_count = 1,
		.alternates = { { .encoding = "PCMA", .clock_rate = 8000, .payload_type = 8 } },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1,
	};
	config.passthrough[0] = 1ULL << 8 | 1ULL << 18;
	config.passthrough[1] = 1ULL << (101 - 64);
	const char *reason = NULL;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	g_assert_true(codec_chain_passes(chain, 8));
	g_assert_true(codec_chain_passes(chain, 18));
	g_assert_true(codec_chain_passes(chain, 101));
	g_assert_false(codec_chain_passes(chain, 0));
	g_assert_false(codec_chain_passes(chain, 100));
	g_assert_false(codec_chain_passes(chain, 200));
	GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	uint8_t payload[160], packet[200];
	for (int p = 0; p < 4; p++) {
		/* PCMU 0x80 (+32124) twice, then PCMA 0xd5 (+8) twice */
		memset(payload, p < 2 ? 0x80 : 0xd5, sizeof(payload));
		g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, p < 2 ? 0 : 8, (uint16_t)(10 + p),
								  (uint32_t)(p * 160), 0x4242, payload, 160)));
	}
	GPtrArray *out = through(chain, in);
	g_assert_cmpuint(out->len, ==, 4);
	struct pcm pcm = l16_decode(out);
	g_assert_cmpuint(pcm.count, ==, 640);
	g_assert_cmpint(pcm.samples[100], ==, 32124);
	g_assert_cmpint(pcm.samples[500], ==, 8);
	struct codec_chain_stats stats;
	codec_chain_get_stats(chain, &stats);
	g_assert_cmpuint(stats.filled_samples, ==, 0);
	g_free(pcm.samples);
	g_ptr_array_unref(in);
	g_ptr_array_unref(out);
	codec_chain_free(chain);
	/* alternates run on the input's clock: G722 beside Opus is refused */
	config.input = (struct codec_chain_format) { .encoding = "opus", .clock_rate = 48000, .channels = 2, .payload_type = 96 };
	config.alternates[0] = (struct codec_chain_format) { .encoding = "PCMU", .clock_rate = 8000, .payload_type = 0 };
	g_assert_null(codec_chain_new(&config, &reason));
	g_assert_cmpstr(reason, ==, "an alternate input codec at another RTP clock");
}

/* Two packets lost: the gap is filled (as many output samples as were sent, timestamps continuous);
 * reordered packets within the depth are put back in order and nothing counts as lost. */
static void test_loss_and_reordering(void)
{
	struct codec_chain_config config = {
		.input = { .encoding = "PCMU", .payload_type = 0 },
		.output = { .encoding = "PCMA", .payload_type = 8 },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1, .reorder_depth = 2,
	};
	const char *reason;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	static const int order[] = { 0, 1, 3, 2, 4, 5, 8, 9, 10, 11 };   /* 6 and 7 lost */
	GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	uint8_t payload[160], packet[200];
	for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
		memset(payload, order[i], sizeof(payload));   /* each packet's own code: order is visible */
		g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, PT_IN, (uint16_t)order[i], (uint32_t)(order[i] * 160), 9, payload, 160)));
	}
	GPtrArray *out = through(chain, in);
	g_assert_cmpuint(out->len, ==, 12);
	for (guint i = 1; i < out->len; i++) {
		const uint8_t *data = g_bytes_get_data(out->pdata[i], NULL);
		const uint8_t *previous = g_bytes_get_data(out->pdata[i - 1], NULL);
		g_assert_cmpuint(rd32(data + 4) - rd32(previous + 4), ==, 160);
		g_assert_cmpuint((uint16_t)(rd16(data + 2) - rd16(previous + 2)), ==, 1);
	}
	/* in order: packet 2 before 3; the lost ones are silence (A-law 0xd5) */
	const uint8_t *two = g_bytes_get_data(out->pdata[2], NULL), *three = g_bytes_get_data(out->pdata[3], NULL);
	const uint8_t *six = g_bytes_get_data(out->pdata[6], NULL);
	g_assert_cmpuint(two[12], !=, three[12]);
	g_assert_cmphex(six[12], ==, 0xd5);
	struct codec_chain_stats stats;
	codec_chain_get_stats(chain, &stats);
	g_assert_cmpuint(stats.lost, ==, 2);
	g_assert_cmpuint(stats.late, ==, 0);
	g_assert_cmpuint(stats.filled_samples, ==, 320);
	g_ptr_array_unref(in);
	g_ptr_array_unref(out);
	codec_chain_free(chain);
}

/* A sender that restarts its sequence numbers and timestamps (same SSRC) is followed after a
 * few packets instead of being dropped as late for good. */
static void test_sequence_restart_followed(void)
{
	struct codec_chain *chain = chain_new("PCMU", 8000, 0, "PCMA", 8000, 8, 20);
	GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	uint8_t payload[160], packet[200];
	memset(payload, 0xff, sizeof(payload));
	for (int p = 0; p < 20; p++) {
		int number = p < 10 ? 5000 + p : 4980 + p;   /* 5000..5009, then 4990..4999 */
		g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, 0, (uint16_t)number, (uint32_t)(160 * number), 5, payload, 160)));
	}
	GPtrArray *out = through(chain, in);
	struct codec_chain_stats stats;
	codec_chain_get_stats(chain, &stats);
	g_assert_cmpuint(stats.late, ==, 4);
	g_assert_cmpuint(out->len, ==, 16);
	g_ptr_array_unref(in);
	g_ptr_array_unref(out);
	codec_chain_free(chain);
}

/* RFC 3389 CN on a dynamic payload type (input_cn_pt): one frame of noise at its level, as type
 * 13 always is; without it the packet is no codec of the chain and gives nothing. */
static void test_dynamic_comfort_noise(void)
{
	for (int dynamic = 0; dynamic < 2; dynamic++) {
		struct codec_chain_config config = {
			.input = { .encoding = "PCMU", .clock_rate = 8000, .payload_type = 0 },
			.output = { .encoding = "PCMU", .clock_rate = 8000, .payload_type = 0 },
			.input_dtmf_pt = -1, .output_dtmf_pt = -1, .output_cn_pt = -1,
			.input_cn_pt = dynamic ? 118 : 0,
		};
		const char *reason = NULL;
		struct codec_chain *chain = codec_chain_new(&config, &reason);
		g_assert_nonnull(chain);
		GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
		uint8_t packet[64], level = 40;   /* -40 dBov */
		g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, 118, 7, 1600, 9, &level, 1)));
		GPtrArray *out = through(chain, in);
		g_assert_cmpuint(out->len, ==, dynamic ? 1 : 0);
		if (dynamic) {
			gsize length;
			const uint8_t *data = g_bytes_get_data(out->pdata[0], &length);
			g_assert_cmpuint(length, ==, 12 + 160);
			g_assert_cmpuint(data[1] & 0x7f, ==, 0);
			unsigned int loud = 0;   /* mu-law 0xff and 0x7f are the two zeros */
			for (gsize i = 12; i < length; i++)
				loud += (data[i] & 0x7f) != 0x7f;
			g_assert_cmpuint(loud, >, 80);
		}
		g_ptr_array_unref(in);
		g_ptr_array_unref(out);
		codec_chain_free(chain);
	}
}

/* RFC 4733 events through PCMU/8000 -> opus/48000: payload type mapped, duration and timestamp
 * in the 48 kHz clock, sequence numbers shared with the audio. */
static void test_telephone_event_rescaled(void)
{
	struct codec_chain_config config = {
		.input = { .encoding = "PCMU", .payload_type = 0 },
		.output = { .encoding = "opus", .clock_rate = 48000, .channels = 2, .payload_type = 111 },
		.input_dtmf_pt = 101, .output_dtmf_pt = 110, .input_dtmf_clock = 8000, .output_dtmf_clock = 48000,
	};
	const char *reason;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	uint8_t payload[160], packet[200];
	memset(payload, 0xff, sizeof(payload));
	for (int p = 0; p < 5; p++)
		g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, 0, (uint16_t)p, (uint32_t)(p * 160), 3, payload, 160)));
	uint8_t event[4] = { 5, 10, 0x01, 0x40 };   /* digit 5, volume 10, duration 320 */
	g_ptr_array_add(in, g_bytes_new(packet, rtp_packet(packet, 101, 5, 5 * 160, 3, event, 4)));
	GPtrArray *out = through(chain, in);
	g_assert_cmpuint(out->len, >=, 5);
	gsize length;
	const uint8_t *dtmf = g_bytes_get_data(out->pdata[out->len - 1], &length);
	const uint8_t *audio = g_bytes_get_data(out->pdata[0], NULL);
	g_assert_cmpuint(length, ==, 16);
	g_assert_cmpuint(dtmf[1] & 0x7f, ==, 110);
	g_assert_cmpuint(dtmf[12], ==, 5);
	g_assert_cmpuint(rd16(dtmf + 14), ==, 320 * 6);
	g_assert_cmpuint((uint16_t)(rd16(dtmf + 2) - rd16(audio + 2)), ==, out->len - 1);
	/* the event starts where the audio stopped: 5 * 20 ms after the first audio packet (libopus
	 * holds a frame back: its packets carry their own frame's time) */
	g_assert_cmpuint(rd32(dtmf + 4) - rd32(audio + 4), ==, 5 * 960);
	g_ptr_array_unref(in);
	g_ptr_array_unref(out);
	codec_chain_free(chain);
}

/* The engine's cost per 20 ms packet, for the header's numbers and a calls-per-core estimate
 * (only with -m perf: `test_codec_chain -m perf -p /codec_chain/cost`). */
static double cost_us(const char *in, unsigned int in_clock, const char *out, unsigned int out_clock,
		      GPtrArray *packets)
{
	struct codec_chain *chain = chain_new(in, in_clock, in[0] == 'o' ? 111 : 0, out, out_clock, out[0] == 'o' ? 111 : 0, 20);
	uint8_t buffer[CODEC_CHAIN_MAX_PACKET];
	/* thread CPU time: the test machine is shared, wall time would count others' work */
	struct timespec t0, t1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (guint i = 0; i < packets->len; i++) {
		gsize length;
		const uint8_t *data = g_bytes_get_data(packets->pdata[i], &length);
		codec_chain_push(chain, data, length);
		while (codec_chain_pop(chain, buffer, sizeof(buffer)) > 0)
			;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	codec_chain_free(chain);
	double elapsed_us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	return elapsed_us / packets->len;
}

static void test_cost(void)
{
	if (!g_test_perf()) {
		g_test_skip("a measurement: run with -m perf");
		return;
	}
	struct pcm speech = speech_8k();
	GPtrArray *l16 = l16_packets(&speech, 8000);
	struct codec_chain *to_pcmu = chain_new("L16", 8000, 96, "PCMU", 8000, 0, 20);
	struct codec_chain *to_opus = chain_new("PCMU", 8000, 0, "opus", 48000, 111, 20);
	GPtrArray *pcmu = through(to_pcmu, l16);
	GPtrArray *opus = through(to_opus, pcmu);
	double pcmu_pcma = cost_us("PCMU", 8000, "PCMA", 8000, pcmu);
	double pcmu_g722 = cost_us("PCMU", 8000, "G722", 8000, pcmu);
	double pcmu_opus = cost_us("PCMU", 8000, "opus", 48000, pcmu);
	double opus_pcmu = cost_us("opus", 48000, "PCMU", 8000, opus);
	g_test_message("resampling only: PCMU->L16/48000 %.1f us", cost_us("PCMU", 8000, "L16", 48000, pcmu));
	g_test_message("per 20 ms packet: PCMU->PCMA %.2f us, PCMU->G722 %.1f us, PCMU->Opus %.1f us, "
		       "Opus->PCMU %.1f us; Opus<->PCMU calls per core (both directions, 50 packets/s each): %.0f",
		       pcmu_pcma, pcmu_g722, pcmu_opus, opus_pcmu, 1e6 / (50.0 * (pcmu_opus + opus_pcmu)));
	g_assert_cmpfloat(pcmu_opus, >, 0);
	g_ptr_array_unref(l16);
	g_ptr_array_unref(pcmu);
	g_ptr_array_unref(opus);
	codec_chain_free(to_pcmu);
	codec_chain_free(to_opus);
	g_free(speech.samples);
}

static void test_unknown_codec_refused(void)
{
	struct codec_chain_config config = {
		.input = { .encoding = "EVRC", .payload_type = 96 },   /* not known (AMR now decodes) */
		.output = { .encoding = "PCMU", .payload_type = 0 },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1,
	};
	const char *reason = NULL;
	g_assert_null(codec_chain_new(&config, &reason));
	g_assert_nonnull(reason);
	g_assert_false(codec_chain_supports("EVRC", true));
	g_assert_true(codec_chain_supports("opus", true));
}

/* The output's SSRC (codec_chain_ssrc.h, as 10.5): the chain's own for each sender SSRC, the
 * same again when the sender comes back to one, on packets passing untouched too; a chain that
 * replaces it after a re-negotiation keeps them. */
static uint32_t ssrc_out_for(struct codec_chain *chain, uint32_t ssrc, uint16_t seq, bool passing)
{
	uint8_t payload[160], packet[200], out[CODEC_CHAIN_MAX_PACKET];
	memset(payload, 0xff, sizeof(payload));
	size_t length = rtp_packet(packet, passing ? 8 : 0, seq, (uint32_t)seq * 160, ssrc, payload, 160);
	if (passing) {
		g_assert_cmpint(codec_chain_passthrough(chain, packet, length), >=, 0);
		return rd32(packet + 8);
	}
	g_assert_cmpint(codec_chain_push(chain, packet, length), ==, 1);
	g_assert_cmpint(codec_chain_pop(chain, out, sizeof(out)), >, 12);
	return rd32(out + 8);
}

static void test_output_ssrc_of_its_own(void)
{
	struct codec_chain_config config = {
		.input = { .encoding = "PCMU", .payload_type = 0 },
		.output = { .encoding = "PCMA", .payload_type = 8 },
		.input_dtmf_pt = -1, .output_dtmf_pt = -1,
	};
	config.passthrough[0] = 1ULL << 8;
	const char *reason;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	uint32_t first = ssrc_out_for(chain, 0x1111, 10, false);
	g_assert_cmphex(first, !=, 0x1111);
	g_assert_cmphex(first, !=, 0);
	g_assert_cmphex(ssrc_out_for(chain, 0x1111, 11, true), ==, first);
	g_assert_cmphex(ssrc_out_for(chain, 0x1111, 12, false), ==, first);
	uint32_t second = ssrc_out_for(chain, 0x2222, 500, false);
	g_assert_cmphex(second, !=, first);
	g_assert_cmphex(second, !=, 0x2222);
	g_assert_cmphex(ssrc_out_for(chain, 0x1111, 13, false), ==, first);
	struct codec_chain *renegotiated = codec_chain_new(&config, &reason);
	g_assert_nonnull(renegotiated);
	codec_chain_keep_ssrcs(renegotiated, chain);
	g_assert_cmphex(ssrc_out_for(renegotiated, 0x2222, 501, false), ==, second);
	g_assert_cmphex(ssrc_out_for(renegotiated, 0x1111, 14, true), ==, first);
	codec_chain_free(renegotiated);
	codec_chain_free(chain);
	/* the copy for a subscriber that keeps the source's SSRC (codec_chain_number_as_source_copy()) */
	chain = codec_chain_new(&config, &reason);
	codec_chain_number_as_source_copy(chain);
	g_assert_cmphex(ssrc_out_for(chain, 0x1111, 10, false), ==, 0x1111);
	codec_chain_free(chain);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec_chain/pcmu_to_pcma_exact", test_pcmu_to_pcma_exact);
	g_test_add_func("/codec_chain/pcmu_g722_round_trip", test_pcmu_g722_round_trip);
	g_test_add_func("/codec_chain/pcmu_opus_round_trip", test_pcmu_opus_round_trip);
	g_test_add_func("/codec_chain/pcmu_gsm_round_trip", test_pcmu_gsm_round_trip);
	g_test_add_func("/codec_chain/pcmu_speex_round_trip", test_pcmu_speex_round_trip);
	g_test_add_func("/codec_chain/pcmu_speex_wideband_round_trip", test_pcmu_speex_wideband_round_trip);
	g_test_add_func("/codec_chain/pcmu_g723_round_trip", test_pcmu_g723_round_trip);
	g_test_add_func("/codec_chain/pcmu_g729_round_trip", test_pcmu_g729_round_trip);
	g_test_add_func("/codec_chain/decode_only_codecs", test_decode_only_codecs);
	g_test_add_func("/codec_chain/repacketise_20_to_30", test_repacketise_20_to_30);
	g_test_add_func("/codec_chain/output_ssrc_of_its_own", test_output_ssrc_of_its_own);
	g_test_add_func("/codec_chain/alternate_input_and_passthrough", test_alternate_input_and_passthrough);
	g_test_add_func("/codec_chain/loss_and_reordering", test_loss_and_reordering);
	g_test_add_func("/codec_chain/telephone_event_rescaled", test_telephone_event_rescaled);
	g_test_add_func("/codec_chain/dynamic_comfort_noise", test_dynamic_comfort_noise);
	g_test_add_func("/codec_chain/sequence_restart_followed", test_sequence_restart_followed);
	g_test_add_func("/codec_chain/unknown_codec_refused", test_unknown_codec_refused);
	g_test_add_func("/codec_chain/cost", test_cost);
	return g_test_run();
}
