/* The call timeout rules of daemon/timer.c (timer_call_expired): final timeout, --timeout
 * with and without media, hold, silent timeout on hold and one-way silent, delete-delay.
 * Calls are built in memory (no sockets) and driven by setting counters and the clock. */
#include <glib.h>
#include <string.h>

#include "call.h"
#include "config.h"
#include "log.h"
#include "timer.h"

#define SECOND 1000000LL
#define T0 (1700000000LL * SECOND)   /* the call's creation and last signalling */

struct timer_fixture {
	struct call *call;
	struct media *caller, *callee;   /* the one m= line of each side */
	struct daemon_config config;
};

/* A call set up at T0: caller and callee paired, one sendrecv audio line each, no packet yet. */
static void fixture_setup(struct timer_fixture *fixture, gconstpointer unused)
{
	/* call_create(): call_free() releases the call with the allocator that made it */
	struct call *call = call_create("timer-test", NULL);
	call->created_us = call->last_signal_us = T0;
	struct monologue *caller = call_add_monologue(call, "caller");
	struct monologue *callee = call_add_monologue(call, "callee");
	caller->peer = callee;
	callee->peer = caller;
	fixture->caller = monologue_add_media(caller, "audio", "RTP/AVP");
	fixture->callee = monologue_add_media(callee, "audio", "RTP/AVP");
	fixture->caller->direction = fixture->callee->direction = SDP_DIRECTION_SENDRECV;
	fixture->call = call;
	memset(&fixture->config, 0, sizeof(fixture->config));
}

static void fixture_teardown(struct timer_fixture *fixture, gconstpointer unused)
{
	call_destroy(fixture->call, "test");
}

static void packet_at(struct media *media, enum stream_kind kind, int64_t when_us)
{
	media->streams[kind].counters.packets++;
	media->streams[kind].counters.last_packet_us = when_us;
}

/* Expired at now_us, and why: -1 when not. */
static int verdict(struct timer_fixture *fixture, int64_t now_us)
{
	enum call_end_reason reason;
	return timer_call_expired(fixture->call, &fixture->config, now_us, &reason) ? (int) reason : -1;
}

static void test_no_limits_never_expire(struct timer_fixture *fixture, gconstpointer unused)
{
	g_assert_cmpint(verdict(fixture, T0 + 100000 * SECOND), ==, -1);
}

static void test_final_timeout(struct timer_fixture *fixture, gconstpointer unused)
{
	fixture->config.final_timeout = 10;
	fixture->config.timeout = 60;
	/* media flowing both ways does not matter */
	packet_at(fixture->caller, STREAM_RTP, T0 + 10 * SECOND - 1);
	packet_at(fixture->callee, STREAM_RTP, T0 + 10 * SECOND - 1);
	g_assert_cmpint(verdict(fixture, T0 + 10 * SECOND - 1), ==, -1);
	g_assert_cmpint(verdict(fixture, T0 + 10 * SECOND), ==, CALL_END_FINAL_TIMEOUT);
}

static void test_timeout_without_media(struct timer_fixture *fixture, gconstpointer unused)
{
	fixture->config.timeout = 5;
	g_assert_cmpint(verdict(fixture, T0 + 5 * SECOND - 1), ==, -1);
	g_assert_cmpint(verdict(fixture, T0 + 5 * SECOND), ==, CALL_END_TIMEOUT);
	/* signalling counts as activity: a re-INVITE restarts the clock */
	fixture->call->last_signal_us = T0 + 4 * SECOND;
	g_assert_cmpint(verdict(fixture, T0 + 5 * SECOND), ==, -1);
	g_assert_cmpint(verdict(fixture, T0 + 9 * SECOND), ==, CALL_END_TIMEOUT);
}

static void test_timeout_with_media(struct timer_fixture *fixture, gconstpointer unused)
{
	fixture->config.timeout = 5;
	packet_at(fixture->caller, STREAM_RTP, T0 + 8 * SECOND);
	packet_at(fixture->callee, STREAM_RTP, T0 + 8 * SECOND);
	g_assert_cmpint(verdict(fixture, T0 + 12 * SECOND), ==, -1);
	g_assert_cmpint(verdict(fixture, T0 + 13 * SECOND), ==, CALL_END_TIMEOUT);
	/* RTCP alone keeps a call alive too */
	packet_at(fixture->callee, STREAM_RTCP, T0 + 12 * SECOND);
	g_assert_cmpint(verdict(fixture, T0 + 13 * SECOND), ==, -1);
	g_assert_cmpint(verdict(fixture, T0 + 17 * SECOND), ==, CALL_END_TIMEOUT);
}

static void test_hold_does_not_time_out(struct timer_fixture *fixture, gconstpointer unused)
{
	static const enum sdp_direction holds[] = { SDP_DIRECTION_SENDONLY, SDP_DIRECTION_RECVONLY,
						    SDP_DIRECTION_INACTIVE };
	fixture->config.timeout = 5;
	for (size_t i = 0; i < G_N_ELEMENTS(holds); i++) {
		fixture->caller->direction = holds[i];
		g_assert_cmpint(verdict(fixture, T0 + 3600 * SECOND), ==, -1);
	}
	fixture->caller->direction = SDP_DIRECTION_SENDRECV;
	g_assert_cmpint(verdict(fixture, T0 + 3600 * SECOND), ==, CALL_END_TIMEOUT);
}

static void test_silent_timeout_on_hold(struct timer_fixture *fixture, gconstpointer unused)
{
	fixture->config.timeout = 5;
	fixture->config.silent_timeout = 20;
	fixture->callee->direction = SDP_DIRECTION_INACTIVE;
	/* music on hold: packets keep coming, the silent timeout counts from the last one */
	packet_at(fixture->caller, STREAM_RTP, T0 + 30 * SECOND);
	g_assert_cmpint(verdict(fixture, T0 + 50 * SECOND - 1), ==, -1);
	g_assert_cmpint(verdict(fixture, T0 + 50 * SECOND), ==, CALL_END_SILENT_TIMEOUT);
	/* not on hold: the silent timeout does not apply, the plain one does */
	fixture->config.timeout = 0;
	fixture->callee->direction = SDP_DIRECTION_SENDRECV;
	packet_at(fixture->callee, STREAM_RTP, T0 + 30 * SECOND);
	g_assert_cmpint(verdict(fixture, T0 + 3600 * SECOND), ==, -1);
}

static void test_silent_timeout_one_way(struct timer_fixture *fixture, gconstpointer unused)
{
	fixture->config.timeout = 5;
	fixture->config.silent_timeout = 20;
	/* the caller sends all along, the callee never sent: counted from the last signalling */
	packet_at(fixture->caller, STREAM_RTP, T0 + 19 * SECOND);
	g_assert_cmpint(verdict(fixture, T0 + 20 * SECOND - 1), ==, -1);
	packet_at(fixture->caller, STREAM_RTP, T0 + 20 * SECOND);
	g_assert_cmpint(verdict(fixture, T0 + 20 * SECOND), ==, CALL_END_SILENT_TIMEOUT);
	/* once the callee sends, media flows both ways: no silent timeout */
	packet_at(fixture->callee, STREAM_RTP, T0 + 20 * SECOND);
	g_assert_cmpint(verdict(fixture, T0 + 21 * SECOND), ==, -1);
}

static void test_delete_delay(struct timer_fixture *fixture, gconstpointer unused)
{
	fixture->call->delete_at_us = T0 + 2 * SECOND;
	g_assert_cmpint(verdict(fixture, T0 + 2 * SECOND - 1), ==, -1);
	g_assert_cmpint(verdict(fixture, T0 + 2 * SECOND), ==, CALL_END_DELETE);
	/* a due delete is a delete, even when a timeout is due as well */
	fixture->config.final_timeout = 1;
	g_assert_cmpint(verdict(fixture, T0 + 2 * SECOND), ==, CALL_END_DELETE);
	/* an offer or answer cancels the delete (the timer's observer): the timeouts apply again */
	struct call_event event = { .call = fixture->call, .call_id = fixture->call->call_id };
	timer_call_observer.changed(&event);
	g_assert_cmpint(fixture->call->delete_at_us, ==, 0);
	g_assert_cmpint(verdict(fixture, T0 + 2 * SECOND), ==, CALL_END_FINAL_TIMEOUT);
}

#define ADD(path, function) \
	g_test_add("/timer/" path, struct timer_fixture, NULL, fixture_setup, function, fixture_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	struct log_settings logging = { .level = LOG_WARNING, .facility = LOG_DAEMON, .to_stderr = true };
	log_init("rtpengine", &logging);
	call_registry_init();
	ADD("no_limits", test_no_limits_never_expire);
	ADD("final_timeout", test_final_timeout);
	ADD("timeout_without_media", test_timeout_without_media);
	ADD("timeout_with_media", test_timeout_with_media);
	ADD("hold_does_not_time_out", test_hold_does_not_time_out);
	ADD("silent_timeout_on_hold", test_silent_timeout_on_hold);
	ADD("silent_timeout_one_way", test_silent_timeout_one_way);
	ADD("delete_delay", test_delete_delay);
	return g_test_run();
}
