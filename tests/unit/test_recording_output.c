/* Unit tests for rtpengine-recording's output names and decoders (recording-daemon/output.c,
 * decoder.c): the name pattern's sequences, G.711 decoding against the ITU-T G.711 tables'
 * values, resampling to the call's rate, codecs not decoded, and a WAV file written through
 * libavformat under its temporary name and renamed without replacing an existing file. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "recording_daemon.h"

static char *expand(const char *pattern, const char *call_id, const char *label)
{
	const char *reason = NULL;
	char *path = output_expand_pattern("/out", pattern, call_id, "mix", label, &reason);
	g_assert_nonnull(path);
	return path;
}

static void test_pattern_sequences(void)
{
	char *path = expand("%c-%t", "abc@host", NULL);
	g_assert_cmpstr(path, ==, "/out/abc@host-mix");
	g_free(path);
	/* %N takes the next N characters of the call-id, cumulatively, as upstream */
	path = expand("%2/%3/%c-%t", "abcdefgh", NULL);
	g_assert_cmpstr(path, ==, "/out/ab/cde/abcdefgh-mix");
	g_free(path);
	path = expand("%l %% %t", "x", "caller");
	g_assert_cmpstr(path, ==, "/out/caller % mix");
	g_free(path);
	/* a '/' in a call-id or label names no directory */
	path = expand("%c-%l-%t", "a/b", "c/d");
	g_assert_cmpstr(path, ==, "/out/a_b-c_d-mix");
	g_free(path);
	path = expand("%Y%m%d-%c-%t", "x", NULL);
	g_assert_cmpuint(strlen(path), ==, strlen("/out/20261203-x-mix"));
	g_free(path);
	path = expand("%u-%c-%t-%q", "x", NULL);   /* unknown sequences stay as they are */
	g_assert_true(g_str_has_suffix(path, "-x-mix-%q"));
	g_assert_cmpuint(strlen(path), ==, strlen("/out/000000-x-mix-%q"));
	g_free(path);
	const char *reason = NULL;
	g_assert_null(output_expand_pattern("/out", "%c-%t%", "x", "mix", NULL, &reason));
	g_assert_nonnull(reason);
}

static int decode(const char *encoding, int clock_rate, int output_rate, const unsigned char *payload,
		  size_t length, int16_t *out, size_t out_size)
{
	int error = 0;
	struct rec_decoder *decoder = decoder_new(encoding, clock_rate, 1, output_rate, &error);
	g_assert_nonnull(decoder);
	const int16_t *samples;
	int count = decoder_decode(decoder, payload, length, &samples);
	g_assert_cmpint(count, >=, 0);
	memcpy(out, samples, MIN((size_t) count, out_size) * sizeof(int16_t));
	decoder_free(decoder);
	return count;
}

static void test_g711_values(void)
{
	/* ITU-T G.711: mu-law 0xFF and A-law 0xD5 are the smallest positive steps; mu-law 0x80 is
	 * the largest positive value 32124, A-law 0xAA is 32256 */
	static const unsigned char mulaw[4] = { 0xff, 0x7f, 0x80, 0x00 };
	static const unsigned char alaw[4] = { 0xd5, 0x55, 0xaa, 0x2a };
	int16_t out[8];
	g_assert_cmpint(decode("PCMU", 8000, 8000, mulaw, 4, out, 8), ==, 4);
	g_assert_cmpint(out[0], ==, 0);
	g_assert_cmpint(out[1], ==, 0);
	g_assert_cmpint(out[2], ==, 32124);
	g_assert_cmpint(out[3], ==, -32124);
	g_assert_cmpint(decode("PCMA", 8000, 8000, alaw, 4, out, 8), ==, 4);
	g_assert_cmpint(out[0], ==, 8);
	g_assert_cmpint(out[1], ==, -8);
	g_assert_cmpint(out[2], ==, 32256);
	g_assert_cmpint(out[3], ==, -32256);
}

static void test_resampling_and_rates(void)
{
	unsigned char silence[160];
	memset(silence, 0xff, sizeof(silence));
	int16_t out[1024];
	/* 20 ms of PCMU at 8000 becomes about 20 ms at 16000 (the resampler keeps a few samples) */
	int count = decode("PCMU", 8000, 16000, silence, sizeof(silence), out, 1024);
	g_assert_cmpint(count, >, 280);
	g_assert_cmpint(count, <=, 320);
	g_assert_cmpint(decoder_native_rate("G722", 8000), ==, 16000);
	g_assert_cmpint(decoder_native_rate("opus", 48000), ==, 48000);
	g_assert_cmpint(decoder_native_rate("PCMA", 8000), ==, 8000);
	int error = 0;
	g_assert_null(decoder_new("telephone-event", 8000, 1, 8000, &error));
	g_assert_cmpint(error, ==, -ENOTSUP);
	g_assert_null(decoder_new("H264", 90000, 1, 8000, &error));
}

static void test_wav_file_named_when_done(void)
{
	g_autofree char *directory = g_dir_make_tmp("recording-output-XXXXXX", NULL);
	g_assert_nonnull(directory);
	g_autofree char *base = g_strdup_printf("%s/sub/call-mix", directory);
	g_autofree char *final = g_strdup_printf("%s.wav", base);
	g_autofree char *second = g_strdup_printf("%s-1.wav", base);
	int16_t samples[800] = { 0 };
	for (int round = 0; round < 2; round++) {
		int error = 0;
		struct rec_output *output = output_open(base, NULL, "owner", REC_FORMAT_WAV, 8000, 1, &error);
		g_assert_nonnull(output);
		g_assert_cmpint(output_write(output, samples, 800), ==, 0);
		g_assert_cmpuint(output_frames(output), ==, 800);
		g_assert_false(g_file_test(round ? second : final, G_FILE_TEST_EXISTS));
		g_assert_cmpint(output_close(output, false), ==, 0);
		g_assert_true(g_file_test(round ? second : final, G_FILE_TEST_EXISTS));
	}
	/* the RIFF header (44 bytes, plus libavformat's LIST/INFO encoder tag) and the samples;
	 * the first file was not replaced */
	GStatBuf info;
	g_assert_cmpint(g_stat(final, &info), ==, 0);
	g_assert_cmpint(info.st_size, >=, 44 + 1600);
	g_assert_cmpint(info.st_size, <=, 44 + 1600 + 64);
	int error = 0;
	struct rec_output *discarded = output_open(base, "raw", "owner", REC_FORMAT_WAV, 8000, 1, &error);
	output_write(discarded, samples, 10);
	output_close(discarded, true);
	g_autofree char *raw = g_strdup_printf("%s.raw", base);
	g_assert_false(g_file_test(raw, G_FILE_TEST_EXISTS));
	g_unlink(final);
	g_unlink(second);
	g_autofree char *sub = g_strdup_printf("%s/sub", directory);
	g_assert_cmpint(g_rmdir(sub), ==, 0);   /* nothing temporary left behind */
	g_rmdir(directory);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	rec_config.output_chmod = -1;
	rec_config.output_chmod_dir = 0700;
	rec_config.output_uid = rec_config.output_gid = -1;
	rec_config.mp3_bitrate = 32000;
	g_test_add_func("/recording/output/pattern", test_pattern_sequences);
	g_test_add_func("/recording/decoder/g711", test_g711_values);
	g_test_add_func("/recording/decoder/rates", test_resampling_and_rates);
	g_test_add_func("/recording/output/wav", test_wav_file_named_when_done);
	return g_test_run();
}
