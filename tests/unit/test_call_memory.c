/* The fixed memory of a call: the size of every per-call, per-media, per-stream and per-SSRC
 * struct, printed (`--verbose`) and held under budgets with some room, so that a feature
 * adding per-stream state that most calls never use shows here first, not as `make bench`'s
 * RSS per call (target <= 8 KB at 2000 calls, tests/bench/README.md). Such state belongs in a
 * side allocation made when the feature is first used (docs/performance.md,
 * "Memory per call"). */
#include <glib.h>
#include "call.h"
#include "media_quality.h"

static void test_struct_sizes(void)
{
	size_t extras_block = STREAM_QUALITY_OFFSET + sizeof(struct ssrc_quality);
	g_test_message("struct call %zu, struct monologue %zu, struct media %zu (streams %zu each), "
		       "struct stream_extras %zu, struct ssrc_quality %zu, struct mos_sample %zu; per media: the "
		       "media %zu + its extras block %zu (before the type and protocol texts)",
		       sizeof(struct call), sizeof(struct monologue), sizeof(struct media), sizeof(struct stream),
		       sizeof(struct stream_extras), sizeof(struct ssrc_quality), sizeof(struct mos_sample),
		       sizeof(struct media), extras_block);
	/* the MOS samples are allocated as they come (media_quality.h): not in the state */
	g_assert_cmpuint(sizeof(struct ssrc_quality), <=, 448);
	g_assert_cmpuint(sizeof(struct mos_sample), ==, 16);
	/* 248 today: the kernel target's state is a side allocation (kernel_backend.c) */
	g_assert_cmpuint(sizeof(struct stream_extras), <=, 320);
	g_assert_cmpuint(sizeof(struct stream), <=, 3 * STREAM_CACHE_LINE);
	g_assert_cmpuint(sizeof(struct media), <=, 1024);
	g_assert_cmpuint(extras_block, <=, 1024);
	/* a plain two-party call with one m= line each side: the fixed part */
	size_t call_bytes = sizeof(struct call) + 2 * sizeof(struct monologue)
			    + 2 * (sizeof(struct media) + extras_block);
	g_test_message("a two-party audio call: %zu bytes in fixed structs", call_bytes);
	g_assert_cmpuint(call_bytes, <=, 4608);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/call-memory/struct-sizes", test_struct_sizes);
	return g_test_run();
}
