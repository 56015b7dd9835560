/* The call lifecycle (daemon/call_lifecycle.c): observers hear created, changed and ended
 * in registration order with the right reason, "ended" sees the call whole (in the
 * registry, sockets open, counters in the snapshot) and nothing is left after it; the
 * daemon totals observer counts as upstream does. Real sockets on 127.0.0.1, one media
 * worker. */
#include <glib.h>
#include <string.h>

#include "call.h"
#include "call_fixture.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "interface.h"
#include "log.h"
#include "relay.h"

#define LOG_CAPACITY 32

struct heard {
	char observer;                 /* 'A' or 'B' */
	char kind;                     /* 'c'reated, 'u'pdated (changed), 'e'nded */
	enum call_end_reason reason;
	bool in_registry, sockets_open;
	uint64_t rtp_packets;
};

static struct heard heard[LOG_CAPACITY];
static unsigned int heard_count;
static struct daemon_context daemon_state;
static struct local_interface interface;

static bool sockets_open(const struct call *call)
{
	const struct stream *stream;
	unsigned int open = 0;
	call_foreach_stream(call, stream)
		open += stream->fd >= 0;
	return open > 0;
}

static void record(char observer, char kind, const struct call_event *event)
{
	g_assert_cmpuint(heard_count, <, LOG_CAPACITY);
	g_assert_true(event->daemon == &daemon_state);
	g_assert_cmpstr(event->call_id, ==, event->call->call_id);
	g_assert_cmpint(event->created_us, ==, event->call->created_us);
	struct heard *entry = &heard[heard_count++];
	entry->observer = observer;
	entry->kind = kind;
	entry->reason = event->reason;
	entry->in_registry = call_lookup(event->call_id) == event->call;
	entry->sockets_open = sockets_open(event->call);
	entry->rtp_packets = event->totals.rtp_packets;
}

static void a_created(const struct call_event *event) { record('A', 'c', event); }
static void a_changed(const struct call_event *event) { record('A', 'u', event); }
static void a_ended(const struct call_event *event) { record('A', 'e', event); }
static void b_created(const struct call_event *event) { record('B', 'c', event); }
static void b_ended(const struct call_event *event) { record('B', 'e', event); }

static const struct call_observer observer_a = { "A", a_created, a_changed, a_ended };
static const struct call_observer observer_b = { "B", b_created, NULL, b_ended };   /* no "changed" */

static void register_observers(void)
{
	call_lifecycle_reset();
	call_lifecycle_init(&daemon_state);
	memset(&daemon_state.totals, 0, sizeof(daemon_state.totals));
	heard_count = 0;
	g_assert_cmpint(call_observer_register(&daemon_totals_observer), ==, 0);
	g_assert_cmpint(call_observer_register(&observer_a), ==, 0);
	g_assert_cmpint(call_observer_register(&observer_b), ==, 0);
}

/* A call with one side holding a socket pair, as an offer leaves it. */
static struct call *start_call(const char *call_id)
{
	struct call *call = call_start(call_id, relay_pick_worker());
	g_assert_nonnull(call);
	struct monologue *caller = call_add_monologue(call, "caller");
	struct media *media = monologue_add_media(caller, "audio", "RTP/AVP");
	fixture_open_sockets(media, &interface);
	return call;
}

static void assert_heard(unsigned int index, char observer, char kind)
{
	g_assert_cmpuint(index, <, heard_count);
	g_assert_cmpint(heard[index].observer, ==, observer);
	g_assert_cmpint(heard[index].kind, ==, kind);
}

static void test_events_in_order(void)
{
	register_observers();
	struct call *call = start_call("lifecycle-order");
	g_assert_cmpuint(heard_count, ==, 2);
	assert_heard(0, 'A', 'c');
	assert_heard(1, 'B', 'c');
	g_assert_true(heard[0].in_registry);
	call_changed(call);
	call_changed(call);
	g_assert_cmpuint(heard_count, ==, 4);
	assert_heard(2, 'A', 'u');
	assert_heard(3, 'A', 'u');
	/* counters the packet path wrote reach the observers in the snapshot */
	call->monologues[0]->media[0]->streams[STREAM_RTP].counters.packets = 7;
	call_end(call, CALL_END_SILENT_TIMEOUT);
	g_assert_cmpuint(heard_count, ==, 6);
	assert_heard(4, 'A', 'e');
	assert_heard(5, 'B', 'e');
	for (unsigned int i = 4; i < 6; i++) {
		g_assert_cmpint(heard[i].reason, ==, CALL_END_SILENT_TIMEOUT);
		g_assert_true(heard[i].in_registry);
		g_assert_true(heard[i].sockets_open);
		g_assert_cmpuint(heard[i].rtp_packets, ==, 7);
	}
	/* after the observers: out of the registry, ports back in the pool */
	g_assert_null(call_lookup("lifecycle-order"));
	g_assert_cmpuint(port_pool_ports_used(&interface.pool), ==, 0);
	g_assert_cmpuint(daemon_state.totals.silent_timeout_sessions, ==, 1);
	g_assert_cmpuint(daemon_state.totals.relayed_packets, ==, 7);
}

static void test_every_reason_reaches_observers(void)
{
	register_observers();
	for (enum call_end_reason reason = 0; reason < CALL_END_REASONS; reason++) {
		heard_count = 0;
		struct call *call = start_call("lifecycle-reason");
		call_end(call, reason);
		g_assert_cmpuint(heard_count, ==, 4);
		assert_heard(2, 'A', 'e');
		g_assert_cmpint(heard[2].reason, ==, reason);
		g_assert_cmpint(heard[3].reason, ==, reason);
		g_assert_cmpstr(call_end_reason_text(reason), !=, "unknown reason");
	}
	g_assert_cmpuint(call_count(), ==, 0);
}

static void test_totals_as_upstream(void)
{
	register_observers();
	const struct daemon_totals *totals = &daemon_state.totals;
	call_end(start_call("totals-1"), CALL_END_DELETE);
	call_end(start_call("totals-2"), CALL_END_TIMEOUT);
	call_end(start_call("totals-3"), CALL_END_FINAL_TIMEOUT);
	call_end(start_call("totals-4"), CALL_END_SHUTDOWN);
	call_end(start_call("totals-5"), CALL_END_CLI_TERMINATE);
	g_assert_cmpuint(totals->managed_sessions, ==, 5);
	g_assert_cmpuint(totals->regular_terminated, ==, 1);
	g_assert_cmpuint(totals->timeout_sessions, ==, 1);
	g_assert_cmpuint(totals->final_timeout_sessions, ==, 1);
	g_assert_cmpuint(totals->forced_terminated, ==, 2);
	double seconds = totals->total_call_seconds;
	/* a live call is not counted yet; a failed offer counts as managed, with no reason
	 * and no duration (what upstream 10.5 reports) */
	struct call *live = start_call("totals-live");
	g_assert_cmpuint(totals->managed_sessions, ==, 5);
	call_end(start_call("totals-failed"), CALL_END_FAILED_OFFER);
	g_assert_cmpuint(totals->managed_sessions, ==, 6);
	g_assert_cmpuint(totals->regular_terminated + totals->timeout_sessions + totals->silent_timeout_sessions
			 + totals->final_timeout_sessions + totals->forced_terminated, ==, 5);
	g_assert_true(totals->total_call_seconds == seconds);
	call_end(live, CALL_END_DELETE);
}

static void test_registration(void)
{
	register_observers();
	g_assert_cmpint(call_observer_register(&observer_a), ==, -EEXIST);
	static struct call_observer more[CALL_OBSERVERS_MAX];
	unsigned int added = 0;
	for (unsigned int i = 0; i < CALL_OBSERVERS_MAX; i++)
		if (call_observer_register(&more[i]) == 0)
			added++;
	g_assert_cmpuint(added, ==, CALL_OBSERVERS_MAX - 3);
	/* observers without callbacks are fine */
	call_end(start_call("registration"), CALL_END_DELETE);
	g_assert_cmpuint(heard_count, ==, 4);
}

static void set_up_interface(void)
{
	g_assert_cmpint(endpoint_parse(&interface.local, AF_INET, "127.0.0.1", 0), ==, 0);
	interface.advertised = interface.local;
	g_strlcpy(interface.name, "default", sizeof(interface.name));
	/* a wide range: the pool starts at a random pair and skips ports other programs hold */
	g_assert_cmpint(port_pool_init(&interface.pool, 20000, 59999), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	struct log_settings logging = { .level = LOG_WARNING, .facility = LOG_DAEMON, .to_stderr = true };
	log_init("rtpengine", &logging);
	call_registry_init();
	set_up_interface();
	struct relay_settings settings = { .endpoint_learning = ENDPOINT_LEARNING_IMMEDIATE, .worker_count = 1 };
	g_assert_cmpint(relay_start(&settings), ==, 0);
	g_test_add_func("/call_lifecycle/events_in_order", test_events_in_order);
	g_test_add_func("/call_lifecycle/every_reason", test_every_reason_reaches_observers);
	g_test_add_func("/call_lifecycle/totals_as_upstream", test_totals_as_upstream);
	g_test_add_func("/call_lifecycle/registration", test_registration);
	int result = g_test_run();
	relay_stop();   /* frees the retired calls */
	call_lifecycle_reset();
	port_pool_destroy(&interface.pool);
	return result;
}
