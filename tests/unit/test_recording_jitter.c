/* Unit tests for rtpengine-recording's jitter buffer, timeline (gap filling by RTP timestamp)
 * and mixer (recording-daemon/jitter_buffer.c, mixer.c): ordering, duplicates, late packets,
 * sequence and timestamp wrap-around, gaps, jumps, mixing, saturation, bounded memory. */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "recording_daemon.h"


static struct jitter_packet make_packet(uint32_t timestamp)
{
	struct jitter_packet packet = { .timestamp = timestamp, .length = 1, .payload = g_malloc(1) };
	return packet;
}

static GArray *drain(struct jitter_buffer *buffer, bool flush)
{
	GArray *timestamps = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	struct jitter_packet packet;
	while (jitter_buffer_pop(buffer, flush, &packet)) {
		g_array_append_val(timestamps, packet.timestamp);
		g_free(packet.payload);
	}
	return timestamps;
}

static void insert(struct jitter_buffer *buffer, uint16_t sequence, int expected)
{
	struct jitter_packet packet = make_packet(sequence * 160u);
	int result = jitter_buffer_insert(buffer, sequence, &packet);
	g_assert_cmpint(result, ==, expected);
	if (result < 0)
		g_free(packet.payload);
}

static void test_in_order_holds_then_releases(void)
{
	struct jitter_buffer buffer;
	jitter_buffer_init(&buffer);
	for (uint16_t s = 0; s < JITTER_HOLD; s++)
		insert(&buffer, s, 0);
	GArray *none = drain(&buffer, false);
	g_assert_cmpuint(none->len, ==, 0);     /* held until JITTER_HOLD newer ones wait */
	g_array_free(none, TRUE);
	insert(&buffer, JITTER_HOLD, 0);
	GArray *one = drain(&buffer, false);
	g_assert_cmpuint(one->len, ==, 1);
	g_assert_cmpuint(g_array_index(one, uint32_t, 0), ==, 0);
	g_array_free(one, TRUE);
	GArray *rest = drain(&buffer, true);
	g_assert_cmpuint(rest->len, ==, JITTER_HOLD);
	for (guint i = 0; i < rest->len; i++)
		g_assert_cmpuint(g_array_index(rest, uint32_t, i), ==, (i + 1) * 160u);
	g_array_free(rest, TRUE);
}

static void test_reordered_come_out_sorted(void)
{
	static const uint16_t order[] = { 10, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21 };
	struct jitter_buffer buffer;
	jitter_buffer_init(&buffer);
	GArray *all = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
		insert(&buffer, order[i], 0);
		GArray *out = drain(&buffer, false);
		g_array_append_vals(all, out->data, out->len);
		g_array_free(out, TRUE);
	}
	GArray *rest = drain(&buffer, true);
	g_array_append_vals(all, rest->data, rest->len);
	g_array_free(rest, TRUE);
	g_assert_cmpuint(all->len, ==, G_N_ELEMENTS(order));
	for (guint i = 0; i < all->len; i++)
		g_assert_cmpuint(g_array_index(all, uint32_t, i), ==, (10 + i) * 160u);
	g_array_free(all, TRUE);
}

static void test_duplicates_and_late_are_refused(void)
{
	struct jitter_buffer buffer;
	jitter_buffer_init(&buffer);
	insert(&buffer, 100, 0);
	insert(&buffer, 100, -EEXIST);
	for (uint16_t s = 101; s <= 100 + JITTER_HOLD; s++)
		insert(&buffer, s, 0);
	GArray *out = drain(&buffer, false);       /* 100 leaves */
	g_assert_cmpuint(out->len, ==, 1);
	g_array_free(out, TRUE);
	insert(&buffer, 100, -ETIME);               /* older than what already left */
	insert(&buffer, 99, -ETIME);
	g_assert_cmpuint(buffer.duplicates, ==, 1);
	g_assert_cmpuint(buffer.late, ==, 2);
	jitter_buffer_clear(&buffer);
}

static void test_sequence_wraps(void)
{
	struct jitter_buffer buffer;
	jitter_buffer_init(&buffer);
	/* 65533, 65534, 0 (early), 65535, 1, 2 */
	static const uint16_t order[] = { 65533, 65534, 0, 65535, 1, 2 };
	for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
		insert(&buffer, order[i], 0);
	struct jitter_packet packet;
	uint64_t previous = 0;
	unsigned int count = 0;
	while (jitter_buffer_pop(&buffer, true, &packet)) {
		g_assert_cmpuint(packet.extended_sequence, >, previous);
		if (count > 0)
			g_assert_cmpuint(packet.extended_sequence, ==, previous + 1);
		previous = packet.extended_sequence;
		g_free(packet.payload);
		count++;
	}
	g_assert_cmpuint(count, ==, 6);
}

static void test_timeline_fills_gaps_by_timestamp(void)
{
	struct timeline timeline = { 0 };
	/* first packet anchors at the fallback position (its arrival on the call timeline) */
	g_assert_cmpint(timeline_position(&timeline, 1000, 8000, 8000, 400), ==, 400);
	g_assert_cmpint(timeline_position(&timeline, 1160, 8000, 8000, 0), ==, 560);
	/* two packets lost: the next lands 480 samples later, the caller fills the hole */
	g_assert_cmpint(timeline_position(&timeline, 1640, 8000, 8000, 0), ==, 1040);
	/* a reordered older packet goes back where it belongs */
	g_assert_cmpint(timeline_position(&timeline, 1320, 8000, 8000, 0), ==, 720);
}

static void test_timeline_scales_to_output_rate(void)
{
	struct timeline timeline = { 0 };
	/* G.722: 8000 clock, 16000 output; Opus: 48000 clock resampled to 8000 */
	g_assert_cmpint(timeline_position(&timeline, 0, 8000, 16000, 0), ==, 0);
	g_assert_cmpint(timeline_position(&timeline, 160, 8000, 16000, 0), ==, 320);
	struct timeline opus = { 0 };
	g_assert_cmpint(timeline_position(&opus, 960, 48000, 8000, 0), ==, 0);
	g_assert_cmpint(timeline_position(&opus, 960 * 3, 48000, 8000, 0), ==, 320);
}

static void test_timeline_timestamp_wraps(void)
{
	struct timeline timeline = { 0 };
	g_assert_cmpint(timeline_position(&timeline, 0xffffff00u, 8000, 8000, 0), ==, 0);
	g_assert_cmpint(timeline_position(&timeline, 0x60u, 8000, 8000, 0), ==, 0x160);
}

static void test_timeline_jump_reanchors(void)
{
	struct timeline timeline = { 0 };
	g_assert_cmpint(timeline_position(&timeline, 5000, 8000, 8000, 0), ==, 0);
	/* a jump of an hour is a restarted sender, not an hour of silence */
	int64_t position = timeline_position(&timeline, 5000 + 8000u * 3600, 8000, 8000, 8160);
	g_assert_cmpint(position, ==, 8160);
	g_assert_cmpint(timeline_position(&timeline, 5160 + 8000u * 3600, 8000, 8000, 0), ==, 8320);
	/* a codec with another clock rate re-anchors too */
	g_assert_cmpint(timeline_position(&timeline, 0, 16000, 8000, 9000), ==, 9000);
}

/* ---- mixer --------------------------------------------------------------------------------- */

struct sink {
	GArray *samples;        /* int16_t, interleaved */
	int channels;
};

static int sink_write(void *data, const int16_t *interleaved, size_t frames)
{
	struct sink *sink = data;
	g_array_append_vals(sink->samples, interleaved, (guint) (frames * (size_t) sink->channels));
	return 0;
}

static void test_mixer_sums_and_waits_for_slowest(void)
{
	struct sink sink = { g_array_new(FALSE, FALSE, sizeof(int16_t)), 1 };
	/* at 10 Hz the mixer's one second of hold-back is 10 samples */
	struct rec_mixer *mixer = mixer_new(1, 10, sink_write, &sink);
	int16_t a[100], b[50];
	for (int i = 0; i < 100; i++)
		a[i] = 1000;
	for (int i = 0; i < 50; i++)
		b[i] = 32000;
	mixer_add(mixer, 0, 0, a, 100);
	mixer_add(mixer, 1, 20, b, 50);
	g_assert_cmpint(mixer_flush(mixer, false), ==, 0);
	g_assert_cmpuint(sink.samples->len, ==, 60);            /* input 1 has reached 70, less hold-back */
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 0), ==, 1000);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 20), ==, INT16_MAX);   /* saturated */
	mixer_add(mixer, 1, 10, b, 50);                          /* 10..60 is already written */
	g_assert_cmpuint(mixer_late_samples(mixer), ==, 50);
	g_assert_cmpint(mixer_flush(mixer, true), ==, 0);
	g_assert_cmpuint(sink.samples->len, ==, 100);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 99), ==, 1000);
	mixer_free(mixer);
	g_array_free(sink.samples, TRUE);
}

static void test_mixer_gap_is_silence_and_channels_interleave(void)
{
	struct sink sink = { g_array_new(FALSE, FALSE, sizeof(int16_t)), REC_MIX_MAX_INPUTS };
	struct rec_mixer *mixer = mixer_new(REC_MIX_MAX_INPUTS, 8000, sink_write, &sink);
	int16_t one[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	int16_t two[10] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
	mixer_add(mixer, 0, 0, one, 10);
	mixer_add(mixer, 1, 30, two, 10);
	mixer_flush(mixer, true);
	g_assert_cmpuint(sink.samples->len, ==, 40 * REC_MIX_MAX_INPUTS);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 0), ==, 1);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 1), ==, 0);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 20 * REC_MIX_MAX_INPUTS), ==, 0);   /* gap */
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 30 * REC_MIX_MAX_INPUTS + 1), ==, 2);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 30 * REC_MIX_MAX_INPUTS), ==, 0);
	mixer_free(mixer);
	g_array_free(sink.samples, TRUE);
}

static void test_mixer_memory_is_bounded(void)
{
	/* one input far ahead of a silent one: the oldest audio is written once the limit is
	 * reached instead of growing without bound */
	struct sink sink = { g_array_new(FALSE, FALSE, sizeof(int16_t)), 1 };
	struct rec_mixer *mixer = mixer_new(1, 8000, sink_write, &sink);
	int16_t block[160] = { 0 };
	mixer_add(mixer, 1, 0, block, 1);
	for (int64_t position = 0; position < 8000 * 60; position += 160)
		mixer_add(mixer, 0, position, block, 160);
	mixer_flush(mixer, false);
	g_assert_cmpuint(sink.samples->len, >=, 8000 * 30);
	g_assert_cmpuint(sink.samples->len, <, 8000 * 60);
	mixer_flush(mixer, true);
	g_assert_cmpuint(sink.samples->len, ==, 8000 * 60);
	mixer_free(mixer);
	g_array_free(sink.samples, TRUE);
}

static void test_mixer_does_not_wait_for_a_paused_input(void)
{
	/* input 1 adds once and then nothing (a party on hold): after MIXER_STALLED_FLUSHES poll
	 * rounds the mixer writes input 0's audio without waiting; before, it waits */
	struct sink sink = { g_array_new(FALSE, FALSE, sizeof(int16_t)), 1 };
	struct rec_mixer *mixer = mixer_new(1, 10, sink_write, &sink);
	int16_t block[10] = { 0 };
	mixer_add(mixer, 1, 0, block, 10);
	guint written_after_5 = 0;
	for (int round = 0; round < 40; round++) {
		mixer_add(mixer, 0, round * 10, block, 10);
		mixer_flush(mixer, false);
		if (round == 5)
			written_after_5 = sink.samples->len;
	}
	g_assert_cmpuint(written_after_5, ==, 0);               /* waits: input 1 reached 10 */
	g_assert_cmpuint(sink.samples->len, ==, 400 - 10);      /* all but the hold-back */
	mixer_free(mixer);
	g_array_free(sink.samples, TRUE);
}

static void test_mixer_jump_far_ahead(void)
{
	/* a position many windows ahead (found by an e2e test with random packets: the memory
	 * window moved by one capacity only and the add wrote past it) */
	struct sink sink = { g_array_new(FALSE, FALSE, sizeof(int16_t)), 1 };
	struct rec_mixer *mixer = mixer_new(1, 100, sink_write, &sink);
	int16_t block[10] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };
	mixer_add(mixer, 0, 0, block, 10);
	mixer_add(mixer, 0, 100 * 20 * 5, block, 10);   /* five 20 s windows later */
	mixer_flush(mixer, true);
	g_assert_cmpuint(sink.samples->len, ==, 100 * 20 * 5 + 10);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 100 * 20 * 5), ==, 7);
	g_assert_cmpint(g_array_index(sink.samples, int16_t, 100), ==, 0);
	mixer_free(mixer);
	g_array_free(sink.samples, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/recording/jitter/in-order", test_in_order_holds_then_releases);
	g_test_add_func("/recording/jitter/reordered", test_reordered_come_out_sorted);
	g_test_add_func("/recording/jitter/duplicates-late", test_duplicates_and_late_are_refused);
	g_test_add_func("/recording/jitter/sequence-wrap", test_sequence_wraps);
	g_test_add_func("/recording/timeline/gaps", test_timeline_fills_gaps_by_timestamp);
	g_test_add_func("/recording/timeline/output-rate", test_timeline_scales_to_output_rate);
	g_test_add_func("/recording/timeline/timestamp-wrap", test_timeline_timestamp_wraps);
	g_test_add_func("/recording/timeline/jump", test_timeline_jump_reanchors);
	g_test_add_func("/recording/mixer/sum", test_mixer_sums_and_waits_for_slowest);
	g_test_add_func("/recording/mixer/channels", test_mixer_gap_is_silence_and_channels_interleave);
	g_test_add_func("/recording/mixer/bounded", test_mixer_memory_is_bounded);
	g_test_add_func("/recording/mixer/paused-input", test_mixer_does_not_wait_for_a_paused_input);
	g_test_add_func("/recording/mixer/jump", test_mixer_jump_far_ahead);
	return g_test_run();
}
