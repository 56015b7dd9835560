/* Unit tests for daemon/dtmf_delay.c: packets leave in order, each exactly the delay after it
 * came and not before; a full ring lets the oldest go early (forced) and refuses the push
 * until then; oversized packets and too small buffers are refused; the delay is bounded. */
#include "dtmf_delay.h"

#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

static void fill(unsigned char *packet, size_t length, unsigned char mark)
{
	memset(packet, mark, length);
}

static void test_bounds(void)
{
	g_assert_null(dtmf_delay_line_new(0));
	g_assert_null(dtmf_delay_line_new(DTMF_DELAY_MAX_MS + 1));
	struct dtmf_delay_line *line = dtmf_delay_line_new(DTMF_DELAY_MAX_MS);
	g_assert_nonnull(line);
	g_assert_cmpuint(line->capacity, ==, DTMF_DELAY_MAX_MS / 10 + 16);
	g_assert_cmpint(dtmf_delay_line_next_due(line), ==, INT64_MAX);
	dtmf_delay_line_free(line);
}

static void test_order_and_timing(void)
{
	struct dtmf_delay_line *line = dtmf_delay_line_new(300);
	unsigned char packet[172], out[DTMF_DELAY_SLOT_BYTES];
	/* 20 ms audio with events between, as a phone sends them */
	for (int i = 0; i < 20; i++) {
		fill(packet, sizeof(packet) - (size_t) (i % 3), (unsigned char) i);
		g_assert_cmpint(dtmf_delay_line_push(line, packet, sizeof(packet) - (size_t) (i % 3), 1000000 + i * 20000), ==, 0);
	}
	g_assert_cmpint(dtmf_delay_line_next_due(line), ==, 1300000);
	/* nothing before its time */
	g_assert_cmpint(dtmf_delay_line_pop(line, 1299999, 0, out, sizeof(out)), ==, 0);
	for (int i = 0; i < 20; i++) {
		int64_t due = 1300000 + i * 20000;
		g_assert_cmpint(dtmf_delay_line_next_due(line), ==, due);
		g_assert_cmpint(dtmf_delay_line_pop(line, due - 1, 0, out, sizeof(out)), ==, 0);
		int length = dtmf_delay_line_pop(line, due, 0, out, sizeof(out));
		g_assert_cmpint(length, ==, (int) sizeof(packet) - i % 3);
		g_assert_cmpuint(out[0], ==, (unsigned char) i);
		g_assert_cmpuint(out[length - 1], ==, (unsigned char) i);
	}
	g_assert_cmpint(dtmf_delay_line_pop(line, INT64_MAX, 1, out, sizeof(out)), ==, 0);
	dtmf_delay_line_free(line);
}

static void test_full_and_sizes(void)
{
	struct dtmf_delay_line *line = dtmf_delay_line_new(40);   /* 20 slots */
	unsigned char packet[DTMF_DELAY_SLOT_BYTES + 1], out[200];
	g_assert_cmpint(dtmf_delay_line_push(line, packet, sizeof(packet), 0), ==, -EMSGSIZE);
	for (unsigned int i = 0; i < line->capacity; i++) {
		fill(packet, 100, (unsigned char) i);
		g_assert_cmpint(dtmf_delay_line_push(line, packet, 100, i), ==, 0);
	}
	g_assert_cmpint(dtmf_delay_line_push(line, packet, 100, 100), ==, -ENOSPC);
	/* forced: the oldest goes early, making room */
	g_assert_cmpint(dtmf_delay_line_pop(line, 0, 1, out, sizeof(out)), ==, 100);
	g_assert_cmpuint(out[0], ==, 0);
	g_assert_cmpint(dtmf_delay_line_push(line, packet, 100, 100), ==, 0);
	/* too small a buffer: refused, the packet stays */
	g_assert_cmpint(dtmf_delay_line_pop(line, INT64_MAX, 0, out, 50), ==, -ENOBUFS);
	g_assert_cmpint(dtmf_delay_line_pop(line, INT64_MAX, 0, out, sizeof(out)), ==, 100);
	g_assert_cmpuint(out[0], ==, 1);
	/* an arrival stamped earlier than the one before still leaves after it */
	struct dtmf_delay_line *other = dtmf_delay_line_new(100);
	g_assert_cmpint(dtmf_delay_line_push(other, packet, 10, 5000), ==, 0);
	g_assert_cmpint(dtmf_delay_line_push(other, packet, 10, 4000), ==, 0);
	g_assert_cmpint(dtmf_delay_line_pop(other, 105000, 0, out, sizeof(out)), ==, 10);
	g_assert_cmpint(dtmf_delay_line_next_due(other), ==, 105000);
	/* a replaced line is freed with the one that replaced it */
	other->replaced = line;
	dtmf_delay_line_free(other);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dtmf_delay/bounds", test_bounds);
	g_test_add_func("/dtmf_delay/order_and_timing", test_order_and_timing);
	g_test_add_func("/dtmf_delay/full_and_sizes", test_full_and_sizes);
	return g_test_run();
}
