/* Placement of new calls on media workers: packed onto one worker at low load, spread once
 * the streams already placed add up to the packing threshold, counted down when calls end. */
#include <glib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "call.h"
#include "log.h"
#include "relay.h"

#define BURST_CALLS 2000

/* A call as an offer and answer leave it: two sides with one audio media each, whose RTP
 * and RTCP streams the worker watches. The sockets are closed at once (epoll forgets them):
 * only the accounting is under test, and 8000 descriptors would exceed the usual limit. */
static struct call *place_call(unsigned int serial)
{
	char call_id[32];
	g_snprintf(call_id, sizeof(call_id), "placement-%u", serial);
	struct call *call = call_create(call_id, relay_pick_worker());
	g_assert_nonnull(call->worker);
	for (int side = 0; side < 2; side++) {
		struct monologue *monologue = call_add_monologue(call, side ? "callee" : "caller");
		struct media *media = monologue_add_media(monologue, "audio", "RTP/AVP");
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			struct stream *stream = &media->streams[kind];
			int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			g_assert_cmpint(fd, >=, 0);
			stream->fd = fd;
			stream->local_port = (uint16_t) (30000 + 2 * side + kind);
			g_assert_cmpint(relay_watch_stream(call->worker, stream), ==, 0);
			close(fd);
			stream->fd = -1;
		}
	}
	return call;
}

static void start_two_workers(void)
{
	call_registry_init();
	struct relay_settings settings = { .endpoint_learning = ENDPOINT_LEARNING_IMMEDIATE, .worker_count = 2 };
	g_assert_cmpint(relay_start(&settings), ==, 0);
}

static void test_low_load_is_packed_onto_one_worker(void)
{
	start_two_workers();
	struct call *calls[100];
	for (unsigned int i = 0; i < G_N_ELEMENTS(calls); i++)
		calls[i] = place_call(i);
	for (unsigned int i = 1; i < G_N_ELEMENTS(calls); i++)
		g_assert_true(calls[i]->worker == calls[0]->worker);
	for (unsigned int i = 0; i < G_N_ELEMENTS(calls); i++)
		call_destroy(calls[i], "test");
	relay_stop();
}

/* Calls set up faster than the once-a-second load sample (no media yet, no CPU used) must
 * still spread: the placed streams count. */
static void test_burst_spreads_over_both_workers(void)
{
	start_two_workers();
	struct call **calls = g_new(struct call *, BURST_CALLS);
	for (unsigned int i = 0; i < BURST_CALLS; i++)
		calls[i] = place_call(i);
	unsigned int on_first = 0;
	for (unsigned int i = 0; i < BURST_CALLS; i++)
		on_first += calls[i]->worker == calls[0]->worker;
	g_assert_cmpuint(on_first, >=, BURST_CALLS * 2 / 5);
	g_assert_cmpuint(on_first, <=, BURST_CALLS * 3 / 5);
	/* ended calls no longer count: the next calls are packed onto the first worker again */
	struct media_worker *first = calls[0]->worker;
	for (unsigned int i = 0; i < BURST_CALLS; i++)
		call_destroy(calls[i], "test");
	for (unsigned int i = 0; i < 50; i++) {
		calls[i] = place_call(BURST_CALLS + i);
		g_assert_true(calls[i]->worker == first);
	}
	for (unsigned int i = 0; i < 50; i++)
		call_destroy(calls[i], "test");
	g_free(calls);
	relay_stop();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* every call logs its creation and deletion: keep the test's output readable */
	struct log_settings quiet = { .level = LOG_WARNING, .facility = LOG_DAEMON, .to_stderr = true };
	log_init("rtpengine", &quiet);
	g_test_add_func("/placement/low_load_is_packed_onto_one_worker", test_low_load_is_packed_onto_one_worker);
	g_test_add_func("/placement/burst_spreads_over_both_workers", test_burst_spreads_over_both_workers);
	return g_test_run();
}
