/* The call's allocation strategy (daemon/call.c) and the request clock (call.h): a call's first
 * two sides with one m= line each come out of the call's own allocation, zeroed and with the
 * media cache-line aligned; what does not fit (a third side, more m= lines, a long tag, a tag
 * set again) has its own allocation and is freed on its own (a wrong free aborts in glibc and
 * under ASan). The frozen clock is what every stamp of one request reads. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "media_quality.h"

static bool in_call_block(const struct call *call, const void *memory)
{
	return (const char *) memory >= (const char *) call && (const char *) memory < call->arena_end;
}

static void assert_fresh_media(const struct media *media, const struct monologue *side, const char *protocol)
{
	g_assert_true(media->monologue == side);
	g_assert_cmpuint((uintptr_t) media % STREAM_CACHE_LINE, ==, 0);
	g_assert_cmpuint((uintptr_t) media->streams[STREAM_RTP].extras % STREAM_CACHE_LINE, ==, 0);
	g_assert_cmpstr(media->type, ==, "audio");
	g_assert_cmpstr(media->protocol, ==, protocol);
	g_assert_false(media->rtcp_mux);
	g_assert_cmpuint(media->rtp_port, ==, 0);
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		g_assert_cmpint(media->streams[kind].fd, ==, -1);
		g_assert_cmpint(media->streams[kind].extras->family_fd, ==, -1);
		g_assert_null(media->streams[kind].extras->dtls);
	}
	g_assert_nonnull(media->streams[STREAM_RTP].extras->quality);
	g_assert_cmpuint(media->streams[STREAM_RTP].extras->quality->ssrc, ==, 0);
}

static void test_two_sides_in_the_call(void)
{
	struct call *call = call_create("arena-1", NULL);
	struct monologue *caller = call_add_monologue(call, "caller-tag-0123456789");
	struct monologue *callee = call_add_monologue(call, NULL);
	struct media *offered = monologue_add_media(caller, "audio", "RTP/AVP");
	struct media *answered = monologue_add_media(callee, "audio", "UDP/TLS/RTP/SAVPF");
	monologue_set_tag(callee, "callee-tag");
	g_assert_true(in_call_block(call, caller));
	g_assert_true(in_call_block(call, callee));
	g_assert_true(in_call_block(call, caller->tag));
	g_assert_true(in_call_block(call, callee->tag));
	g_assert_true(in_call_block(call, offered));
	g_assert_true(in_call_block(call, answered));
	g_assert_true(in_call_block(call, offered->streams[STREAM_RTP].extras));
	g_assert_true(in_call_block(call, answered->streams[STREAM_RTP].extras));
	g_assert_cmpstr(caller->tag, ==, "caller-tag-0123456789");
	g_assert_cmpstr(callee->tag, ==, "callee-tag");
	g_assert_null(caller->label);
	g_assert_cmpuint(caller->media_count, ==, 1);
	assert_fresh_media(offered, caller, "RTP/AVP");
	assert_fresh_media(answered, callee, "UDP/TLS/RTP/SAVPF");
	call_destroy(call, "test");
	g_assert_null(call_lookup("arena-1"));
}

static void test_overflow_has_its_own_allocations(void)
{
	struct call *call = call_create("arena-2", NULL);
	char long_tag[300];
	memset(long_tag, 't', sizeof(long_tag) - 1);
	long_tag[sizeof(long_tag) - 1] = '\0';
	struct monologue *sides[4];
	for (unsigned int i = 0; i < G_N_ELEMENTS(sides); i++) {
		sides[i] = call_add_monologue(call, i == 1 ? long_tag : "side");
		for (unsigned int m = 0; m < 3; m++)
			assert_fresh_media(monologue_add_media(sides[i], "audio", "RTP/AVP"), sides[i], "RTP/AVP");
	}
	g_assert_false(in_call_block(call, sides[1]->tag));   /* longer than the arena's room */
	g_assert_cmpstr(sides[1]->tag, ==, long_tag);
	g_assert_false(in_call_block(call, sides[3]));
	g_assert_false(in_call_block(call, sides[3]->media[2]));
	/* a tag set again, from the arena and from its own allocation */
	for (unsigned int i = 0; i < 3; i++) {
		monologue_set_tag(sides[0], i == 1 ? long_tag : "again");
		monologue_set_tag(sides[1], i == 1 ? long_tag : "again");
	}
	g_assert_cmpstr(sides[0]->tag, ==, "again");
	g_assert_cmpuint(call->monologue_count, ==, 4);
	call_destroy(call, "test");
}

static void test_frozen_clock(void)
{
	g_assert_false(clock_frozen());
	int64_t before = clock_read_realtime_us();
	g_assert_cmpint(before, >, 1600000000LL * 1000000);   /* a wall clock, not zero */
	clock_freeze_us(before - 5000000);
	g_assert_true(clock_frozen());
	g_assert_cmpint(now_realtime_us(), ==, before - 5000000);
	struct call *call = call_create("arena-clock", NULL);
	struct monologue *side = call_add_monologue(call, "t");
	g_assert_cmpint(call->created_us, ==, before - 5000000);
	g_assert_cmpint(side->created_us, ==, before - 5000000);
	g_assert_cmpint(clock_read_realtime_us(), >=, before);
	clock_thaw();
	g_assert_false(clock_frozen());
	g_assert_cmpint(now_realtime_us(), >=, before);
	call_destroy(call, "test");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	struct log_settings logging = { .level = LOG_WARNING, .facility = LOG_DAEMON, .to_stderr = true };
	log_init("rtpengine", &logging);
	call_registry_init();
	g_test_add_func("/call_arena/two_sides_in_the_call", test_two_sides_in_the_call);
	g_test_add_func("/call_arena/overflow_own_allocations", test_overflow_has_its_own_allocations);
	g_test_add_func("/call_arena/frozen_clock", test_frozen_clock);
	return g_test_run();
}
