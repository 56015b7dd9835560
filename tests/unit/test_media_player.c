/* play media's decoding (daemon/media_player.c): a WAV built here in memory decodes to the same
 * G.711 bytes from a file and from a blob (the custom AVIOContext over memory), and those bytes
 * are the classic G.711 codes of the samples; a 16 kHz file is resampled to 8 kHz; the time base
 * of a WAV is its sample period (the unit of start-pos); empty, truncated and non-audio blobs are
 * refused with a reason. The framing of a playback (media_player_fill_frame): repeats are one
 * stream of frames and the last partial frame is left out, as 10.5 (measured). */
#include <glib.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "media_player.h"

/* RIFF/WAVE, PCM 16-bit mono (the canonical 44-byte header, little-endian fields) */
static GByteArray *wav_of(const int16_t *samples, unsigned int count, unsigned int rate)
{
	GByteArray *wav = g_byte_array_new();
	unsigned int data_bytes = count * 2;
#define PUT32(v) do { uint32_t x_ = GUINT32_TO_LE(v); g_byte_array_append(wav, (const guint8 *) &x_, 4); } while (0)
#define PUT16(v) do { uint16_t x_ = GUINT16_TO_LE(v); g_byte_array_append(wav, (const guint8 *) &x_, 2); } while (0)
	g_byte_array_append(wav, (const guint8 *) "RIFF", 4);
	PUT32(36 + data_bytes);
	g_byte_array_append(wav, (const guint8 *) "WAVEfmt ", 8);
	PUT32(16);
	PUT16(1);               /* PCM */
	PUT16(1);               /* mono */
	PUT32(rate);
	PUT32(rate * 2);        /* bytes per second */
	PUT16(2);               /* block align */
	PUT16(16);              /* bits per sample */
	g_byte_array_append(wav, (const guint8 *) "data", 4);
	PUT32(data_bytes);
	for (unsigned int i = 0; i < count; i++)
		PUT16((uint16_t) samples[i]);
#undef PUT32
#undef PUT16
	return wav;
}

static void test_blob_equals_file(void)
{
	int16_t samples[800];
	for (unsigned int i = 0; i < G_N_ELEMENTS(samples); i++)
		samples[i] = (int16_t) ((i * 613) % 60000 - 30000);
	g_autoptr(GByteArray) wav = wav_of(samples, G_N_ELEMENTS(samples), 8000);
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("media-player-XXXXXX.wav", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_file_set_contents(path, (const char *) wav->data, wav->len, NULL));
	close(fd);
	for (int alaw = 0; alaw < 2; alaw++) {
		size_t file_length = 0, blob_length = 0;
		struct media_player_info file_info, blob_info;
		const char *error = NULL;
		g_autofree unsigned char *from_file = media_player_decode(path, alaw, &file_length, &file_info, &error);
		g_assert_nonnull(from_file);
		g_autofree unsigned char *from_blob = media_player_decode_blob(wav->data, wav->len, alaw, &blob_length,
									      &blob_info, &error);
		g_assert_nonnull(from_blob);
		g_assert_cmpuint(blob_length, ==, G_N_ELEMENTS(samples));
		g_assert_cmpmem(from_blob, blob_length, from_file, file_length);
		g_assert_cmpfloat_with_epsilon(blob_info.time_base, 1.0 / 8000, 1e-12);
		g_assert_cmpfloat_with_epsilon(file_info.time_base, 1.0 / 8000, 1e-12);
		g_assert_cmpint(blob_info.duration_ms, ==, 100);
		g_assert_cmpint(file_info.duration_ms, ==, 100);
		/* spot checks against the G.711 tables: 0 is 0xff (mu) / 0xd5 (A); full scale 0x80 / 0xaa */
		int16_t extremes[] = { 0, 32767 };
		g_autoptr(GByteArray) small = wav_of(extremes, 2, 8000);
		size_t small_length = 0;
		struct media_player_info small_info;
		g_autofree unsigned char *codes = media_player_decode_blob(small->data, small->len, alaw, &small_length,
									   &small_info, &error);
		g_assert_nonnull(codes);
		g_assert_cmpuint(small_length, ==, 2);
		g_assert_cmphex(codes[0], ==, alaw ? 0xd5 : 0xff);
		g_assert_cmphex(codes[1], ==, alaw ? 0xaa : 0x80);
	}
	g_unlink(path);
}

static void test_resampled_blob(void)
{
	int16_t samples[1600] = { 0 };   /* 100 ms at 16 kHz */
	g_autoptr(GByteArray) wav = wav_of(samples, G_N_ELEMENTS(samples), 16000);
	size_t length = 0;
	struct media_player_info info;
	const char *error = NULL;
	g_autofree unsigned char *codes = media_player_decode_blob(wav->data, wav->len, false, &length, &info, &error);
	g_assert_nonnull(codes);
	g_assert_cmpuint(length, >=, 795);
	g_assert_cmpuint(length, <=, 805);
	g_assert_cmpfloat_with_epsilon(info.time_base, 1.0 / 16000, 1e-12);
	g_assert_cmpint(info.duration_ms, ==, 100);
}

static void test_bad_blobs(void)
{
	size_t length = 0;
	struct media_player_info info;
	const char *error = NULL;
	g_assert_null(media_player_decode_blob((const unsigned char *) "", 0, false, &length, &info, &error));
	g_assert_nonnull(error);
	error = NULL;
	const char text[] = "this is no audio file at all, just words";
	g_assert_null(media_player_decode_blob((const unsigned char *) text, sizeof(text), false, &length, &info, &error));
	g_assert_nonnull(error);
	/* a WAV header that promises data which is not there */
	int16_t samples[4] = { 1, 2, 3, 4 };
	g_autoptr(GByteArray) wav = wav_of(samples, 4, 8000);
	error = NULL;
	g_assert_null(media_player_decode_blob(wav->data, 44, false, &length, &info, &error));
	g_assert_nonnull(error);
}

/* Plays `length` bytes (byte n is n % 251) with these limits the way the worker does; returns
 * the frames sent, their bytes in out (room for max_frames). */
static unsigned int play_frames(size_t length, size_t start, unsigned int repeats, uint64_t repeat_frames,
				uint64_t frames_max, unsigned char *out, unsigned int max_frames)
{
	g_autofree unsigned char *samples = g_malloc(length);
	for (size_t i = 0; i < length; i++)
		samples[i] = (unsigned char) (i % 251);
	struct media_player player = { .samples = samples, .length = length, .position = start,
				       .repeats_left = repeats, .repeat_frames = repeat_frames,
				       .frames_max = frames_max };
	unsigned int frames = 0;
	while (frames < max_frames && media_player_fill_frame(&player, out + frames * MEDIA_PLAYER_FRAME_BYTES)) {
		frames++;
		player.frames_sent++;
		if (!media_player_has_more(&player))
			break;
	}
	return frames;
}

static void test_framing(void)
{
	enum { MAX = 400 };
	g_autofree unsigned char *out = g_malloc((size_t) MAX * MEDIA_PLAYER_FRAME_BYTES);
	/* 8037 bytes: 50 frames, the 37 left over are not sent */
	g_assert_cmpuint(play_frames(8037, 0, 1, 0, UINT64_MAX, out, MAX), ==, 50);
	g_assert_cmpuint(out[50 * 160 - 1], ==, 7999 % 251);
	/* exactly 50 frames: all of them, then the end */
	g_assert_cmpuint(play_frames(8000, 0, 1, 0, UINT64_MAX, out, MAX), ==, 50);
	/* twice: 16074 bytes in one stream, frame 50 holds bytes 8000..8036 and then 0..122 */
	g_assert_cmpuint(play_frames(8037, 0, 2, 0, UINT64_MAX, out, MAX), ==, 100);
	g_assert_cmpuint(out[50 * 160 + 36], ==, 8036 % 251);
	g_assert_cmpuint(out[50 * 160 + 37], ==, 0);
	g_assert_cmpuint(out[100 * 160 - 1], ==, (16000 - 8037 - 1) % 251);
	/* shorter than a frame: nothing; three times 200 bytes: 3 frames */
	g_assert_cmpuint(play_frames(100, 0, 1, 0, UINT64_MAX, out, MAX), ==, 0);
	g_assert_cmpuint(play_frames(200, 0, 3, 0, UINT64_MAX, out, MAX), ==, 3);
	/* start-pos: the first iteration from there, the next from the beginning */
	g_assert_cmpuint(play_frames(8000, 4000, 2, 0, UINT64_MAX, out, MAX), ==, 75);
	g_assert_cmpuint(out[0], ==, 4000 % 251);
	g_assert_cmpuint(out[25 * 160], ==, 0);
	/* duration: 15 frames, in the middle of an iteration */
	g_assert_cmpuint(play_frames(8000, 0, 3, 0, 15, out, MAX), ==, 15);
	/* repeat-duration alone (repeats unbounded): no iteration starts after 75 frames */
	g_assert_cmpuint(play_frames(8000, 0, UINT_MAX, 75, UINT64_MAX, out, MAX), ==, 100);
	/* a one-byte file repeated without bound: each frame wraps 160 times, and stops */
	g_assert_cmpuint(play_frames(1, 0, UINT_MAX, 10, UINT64_MAX, out, MAX), ==, 10);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/media_player/blob-equals-file", test_blob_equals_file);
	g_test_add_func("/media_player/resampled-blob", test_resampled_blob);
	g_test_add_func("/media_player/bad-blobs", test_bad_blobs);
	g_test_add_func("/media_player/framing", test_framing);
	return g_test_run();
}
