/* The event loop (fds, timers, stop), the timer heap under it, and the media workers' timers.
 * Every wait is bounded: a test that would hang fails on a watchdog timer or a poll() timeout. */
#include <glib.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>
#include "event_loop.h"
#include "relay.h"
#include "timer_heap.h"

#define WATCHDOG_US (5 * 1000000LL)   /* a loop test that runs this long has failed */

/* What the callbacks of one test record. */
struct recorder {
	struct event_loop *loop;
	int order[64];
	unsigned int count;
	int fds[4];
	struct timer_entry *timers[4];
	int64_t fired_at_us[64];
	unsigned int limit;      /* stop the loop after this many records (0: never) */
	unsigned int busy;       /* firings of a timer that re-arms itself for the past */
};

static void record(struct recorder *recorder, int what)
{
	g_assert_cmpuint(recorder->count, <, G_N_ELEMENTS(recorder->order));
	recorder->fired_at_us[recorder->count] = timer_now_us();
	recorder->order[recorder->count++] = what;
	if (recorder->limit && recorder->count >= recorder->limit)
		event_loop_stop(recorder->loop);
}

static void watchdog_fired(struct timer_entry *timer, void *data)
{
	g_test_fail_printf("watchdog: the loop did not stop within %lld s", WATCHDOG_US / 1000000);
	event_loop_stop(data);
}

/* Runs the loop with a watchdog that stops it (and fails the test) if it does not stop. */
static void run_bounded(struct event_loop *loop)
{
	struct timer_entry watchdog;
	timer_entry_init(&watchdog, watchdog_fired, loop);
	g_assert_cmpint(event_loop_timer_arm(loop, &watchdog, timer_now_us() + WATCHDOG_US, 0), ==, 0);
	g_assert_cmpint(event_loop_run(loop), ==, 0);
	event_loop_timer_cancel(loop, &watchdog);
}

static void make_socketpair(int fds[2])
{
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), ==, 0);
}

/* ---- the timer heap alone ---- */

static void count_firing(struct timer_entry *timer, void *data)
{
	(*(unsigned int *) data)++;
}

static void test_heap_orders_many_deadlines(void)
{
	struct timer_heap heap;
	timer_heap_init(&heap);
	enum { COUNT = 500 };
	static struct timer_entry timers[COUNT];
	unsigned int fired = 0;
	GRand *random = g_rand_new_with_seed(7);
	for (int i = 0; i < COUNT; i++) {
		timer_entry_init(&timers[i], count_firing, &fired);
		g_assert_cmpint(timer_heap_arm(&heap, &timers[i], g_rand_int_range(random, 0, 1000), 0), ==, 0);
	}
	/* cancel every third, move every fifth of those still armed */
	for (int i = 0; i < COUNT; i += 3)
		timer_heap_cancel(&heap, &timers[i]);
	for (int i = 1; i < COUNT; i += 5) {
		g_assert_cmpint(timer_entry_armed(&timers[i]), ==, i % 3 != 0);
		if (timer_entry_armed(&timers[i]))
			g_assert_cmpint(timer_heap_arm(&heap, &timers[i], g_rand_int_range(random, 0, 1000), 0), ==, 0);
	}
	g_rand_free(random);
	unsigned int expected = heap.count;
	g_assert_cmpuint(expected, ==, COUNT - (COUNT + 2) / 3);
	int64_t previous = -1;
	while (heap.count) {
		int64_t earliest = timer_heap_earliest(&heap);
		g_assert_cmpint(earliest, >=, previous);
		previous = earliest;
		unsigned int before = fired;
		timer_heap_fire_due(&heap, earliest);
		g_assert_cmpuint(fired, >, before);
	}
	g_assert_cmpuint(fired, ==, expected);
	for (int i = 0; i < COUNT; i++)
		g_assert_false(timer_entry_armed(&timers[i]));
	timer_heap_destroy(&heap);
}

static void test_heap_timeout_rounds_up(void)
{
	struct timer_heap heap;
	timer_heap_init(&heap);
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 0, -1), ==, -1);
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 0, 1000), ==, 1000);
	unsigned int fired = 0;
	struct timer_entry timer;
	timer_entry_init(&timer, count_firing, &fired);
	g_assert_cmpint(timer_heap_arm(&heap, &timer, 10001, 0), ==, 0);
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 0, -1), ==, 11);        /* never early */
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 0, 5), ==, 5);
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 10001, -1), ==, 0);
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 20000, -1), ==, 0);
	g_assert_cmpint(timer_heap_arm(&heap, &timer, 0, -1), ==, -EINVAL);
	g_assert_cmpuint(timer_heap_fire_due(&heap, 10000), ==, 0);
	g_assert_cmpuint(timer_heap_fire_due(&heap, 10001), ==, 1);
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 0, -1), ==, -1);
	timer_heap_destroy(&heap);
}

static void test_heap_periodic_skips_missed_periods(void)
{
	struct timer_heap heap;
	timer_heap_init(&heap);
	unsigned int fired = 0;
	struct timer_entry timer;
	timer_entry_init(&timer, count_firing, &fired);
	g_assert_cmpint(timer_heap_arm(&heap, &timer, 100, 50), ==, 0);
	g_assert_cmpuint(timer_heap_fire_due(&heap, 100), ==, 1);
	g_assert_cmpint(timer.deadline_us, ==, 150);
	/* asleep for 7 periods: fires once, next deadline keeps the phase */
	g_assert_cmpuint(timer_heap_fire_due(&heap, 510), ==, 1);
	g_assert_cmpint(timer.deadline_us, ==, 550);
	g_assert_true(timer_entry_armed(&timer));
	g_assert_cmpuint(fired, ==, 2);
	timer_heap_destroy(&heap);
	g_assert_false(timer_entry_armed(&timer));
}

struct self_rearming {
	struct timer_heap *heap;
	unsigned int fired;
};

static void rearm_for_now(struct timer_entry *timer, void *data)
{
	struct self_rearming *state = data;
	/* were it fired again within the same call, this would count up forever */
	g_assert_cmpuint(++state->fired, <, 100);
	g_assert_cmpint(timer_heap_arm(state->heap, timer, 0, 0), ==, 0);
}

/* A callback that re-arms itself for a past deadline fires once per call, not forever. */
static void test_heap_rearm_in_the_past_waits_for_next_call(void)
{
	struct timer_heap heap;
	timer_heap_init(&heap);
	struct self_rearming state = { .heap = &heap };
	struct timer_entry timer;
	timer_entry_init(&timer, rearm_for_now, &state);
	g_assert_cmpint(timer_heap_arm(&heap, &timer, 0, 0), ==, 0);
	g_assert_cmpuint(timer_heap_fire_due(&heap, 10), ==, 1);
	g_assert_cmpuint(timer_heap_fire_due(&heap, 10), ==, 1);
	g_assert_cmpuint(state.fired, ==, 2);
	g_assert_cmpint(timer_heap_timeout_ms(&heap, 10, -1), ==, 0);
	timer_heap_destroy(&heap);
}

/* ---- file descriptors ---- */

static void read_and_record(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct recorder *recorder = data;
	char buffer[16];
	g_assert_true(events & EPOLLIN);
	g_assert_cmpint(read(fd, buffer, sizeof(buffer)), >, 0);
	record(recorder, fd);
}

static void test_fd_callback(void)
{
	struct event_loop *loop = event_loop_new();
	g_assert_nonnull(loop);
	int pair[2];
	make_socketpair(pair);
	struct recorder recorder = { .loop = loop, .limit = 2 };
	g_assert_cmpint(event_loop_add_fd(loop, pair[0], EPOLLIN, read_and_record, &recorder), ==, 0);
	g_assert_cmpint(event_loop_add_fd(loop, pair[0], EPOLLIN, read_and_record, &recorder), ==, -EEXIST);
	g_assert_cmpint(write(pair[1], "a", 1), ==, 1);
	g_assert_cmpint(write(pair[1], "b", 1), ==, 1);
	run_bounded(loop);
	g_assert_cmpuint(recorder.count, ==, 2);
	g_assert_cmpint(recorder.order[0], ==, pair[0]);
	g_assert_cmpint(recorder.order[1], ==, pair[0]);
	g_assert_cmpint(event_loop_remove_fd(loop, pair[0]), ==, 0);
	g_assert_cmpint(event_loop_remove_fd(loop, pair[0]), ==, -ENOENT);
	g_assert_cmpint(event_loop_modify_fd(loop, pair[0], EPOLLIN), ==, -ENOENT);
	g_assert_cmpint(event_loop_add_fd(loop, -1, EPOLLIN, read_and_record, &recorder), ==, -EINVAL);
	/* a regular file cannot be polled: epoll's error comes back */
	int file = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(file, >=, 0);
	g_assert_cmpint(event_loop_add_fd(loop, file, EPOLLIN, read_and_record, &recorder), ==, -EPERM);
	close(file);
	close(pair[0]);
	close(pair[1]);
	event_loop_free(loop);
}

/* EPOLLOUT added and taken away again, the way a hiredis connection flushes its output. */
static void write_once_then_quiet(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct recorder *recorder = data;
	if (events & EPOLLOUT) {
		g_assert_cmpint(write(fd, "x", 1), ==, 1);
		g_assert_cmpint(event_loop_modify_fd(loop, fd, EPOLLIN), ==, 0);
		record(recorder, 'w');
	}
	if (events & EPOLLIN) {
		char buffer[4];
		g_assert_cmpint(read(fd, buffer, sizeof(buffer)), ==, 1);
		record(recorder, 'r');
	}
}

static void echo(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	char buffer[4];
	ssize_t length = read(fd, buffer, sizeof(buffer));
	g_assert_cmpint(length, ==, 1);
	g_assert_cmpint(write(fd, buffer, 1), ==, 1);
}

static void test_modify_adds_and_removes_epollout(void)
{
	struct event_loop *loop = event_loop_new();
	int pair[2];
	make_socketpair(pair);
	struct recorder recorder = { .loop = loop, .limit = 2 };
	g_assert_cmpint(event_loop_add_fd(loop, pair[0], EPOLLIN, write_once_then_quiet, &recorder), ==, 0);
	g_assert_cmpint(event_loop_add_fd(loop, pair[1], EPOLLIN, echo, NULL), ==, 0);
	g_assert_cmpint(event_loop_modify_fd(loop, pair[0], EPOLLIN | EPOLLOUT), ==, 0);
	run_bounded(loop);
	/* writable once (then EPOLLOUT is off, or it would be recorded every round), echoed back */
	g_assert_cmpuint(recorder.count, ==, 2);
	g_assert_cmpint(recorder.order[0], ==, 'w');
	g_assert_cmpint(recorder.order[1], ==, 'r');
	close(pair[0]);
	close(pair[1]);
	event_loop_free(loop);
}

/* Both sockets are readable in the same round; whichever is dispatched first removes and
 * closes both, and opens a new socket that takes one of the old numbers. Neither the removed
 * fd nor the newcomer may get the old event. */
struct removal_test {
	struct recorder recorder;
	int replacement[2];
};

static void newcomer_must_not_fire(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	g_test_fail_printf("fd %d: the event of a removed registration reached its successor", fd);
}

static void remove_both(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct removal_test *test = data;
	record(&test->recorder, fd);
	int other = fd == test->recorder.fds[0] ? test->recorder.fds[1] : test->recorder.fds[0];
	g_assert_cmpint(event_loop_remove_fd(loop, fd), ==, 0);
	g_assert_cmpint(event_loop_remove_fd(loop, other), ==, 0);
	close(other);
	/* the lowest free number is the one just closed */
	make_socketpair(test->replacement);
	g_assert_cmpint(test->replacement[0], ==, other);
	g_assert_cmpint(event_loop_add_fd(loop, other, EPOLLIN, newcomer_must_not_fire, NULL), ==, 0);
	/* the next round (the newcomer has no data) ends with the timer below */
}

static void stop_loop(struct timer_entry *timer, void *data)
{
	event_loop_stop(data);
}

static void test_removal_during_dispatch(void)
{
	struct event_loop *loop = event_loop_new();
	int first[2], second[2];
	make_socketpair(first);
	make_socketpair(second);
	struct removal_test test = { .recorder = { .loop = loop, .fds = { first[0], second[0] } } };
	g_assert_cmpint(event_loop_add_fd(loop, first[0], EPOLLIN, remove_both, &test), ==, 0);
	g_assert_cmpint(event_loop_add_fd(loop, second[0], EPOLLIN, remove_both, &test), ==, 0);
	g_assert_cmpint(write(first[1], "a", 1), ==, 1);
	g_assert_cmpint(write(second[1], "b", 1), ==, 1);
	/* both readable before the loop waits: one round returns both */
	struct timer_entry stop;
	timer_entry_init(&stop, stop_loop, loop);
	g_assert_cmpint(event_loop_timer_arm(loop, &stop, timer_now_us() + 50000, 0), ==, 0);
	run_bounded(loop);
	g_assert_cmpuint(test.recorder.count, ==, 1);
	int survivor = test.recorder.order[0];
	g_assert_cmpint(event_loop_remove_fd(loop, test.replacement[0]), ==, 0);
	g_assert_cmpint(event_loop_remove_fd(loop, survivor), ==, -ENOENT);
	close(survivor);
	close(test.replacement[0]);
	close(test.replacement[1]);
	close(first[1]);
	close(second[1]);
	event_loop_free(loop);
}

/* ---- timers on the loop ---- */

static void record_timer(struct timer_entry *timer, void *data)
{
	struct recorder *recorder = data;
	for (int i = 0; i < 4; i++)
		if (recorder->timers[i] == timer)
			record(recorder, i);
}

static void test_timers_fire_in_deadline_order(void)
{
	struct event_loop *loop = event_loop_new();
	struct timer_entry timers[4];
	struct recorder recorder = { .loop = loop, .limit = 3 };
	for (int i = 0; i < 4; i++) {
		timer_entry_init(&timers[i], record_timer, &recorder);
		recorder.timers[i] = &timers[i];
	}
	int64_t start = timer_now_us();
	/* armed out of order; timer 3 cancelled before it is due; 0 and 2 share a deadline and
	 * fire in the order armed */
	g_assert_cmpint(event_loop_timer_arm(loop, &timers[1], start + 30000, 0), ==, 0);
	g_assert_cmpint(event_loop_timer_arm(loop, &timers[3], start + 5000, 0), ==, 0);
	g_assert_cmpint(event_loop_timer_arm(loop, &timers[0], start + 10000, 0), ==, 0);
	g_assert_cmpint(event_loop_timer_arm(loop, &timers[2], start + 10000, 0), ==, 0);
	event_loop_timer_cancel(loop, &timers[3]);
	event_loop_timer_cancel(loop, &timers[3]);   /* twice: harmless */
	run_bounded(loop);
	g_assert_cmpuint(recorder.count, ==, 3);
	g_assert_cmpint(recorder.order[0], ==, 0);
	g_assert_cmpint(recorder.order[1], ==, 2);
	g_assert_cmpint(recorder.order[2], ==, 1);
	/* never early */
	g_assert_cmpint(recorder.fired_at_us[0], >=, start + 10000);
	g_assert_cmpint(recorder.fired_at_us[2], >=, start + 30000);
	for (int i = 0; i < 4; i++)
		g_assert_false(timer_entry_armed(&timers[i]));
	event_loop_free(loop);
}

static void test_periodic_timer(void)
{
	struct event_loop *loop = event_loop_new();
	struct timer_entry periodic;
	struct recorder recorder = { .loop = loop, .limit = 5, .timers = { &periodic } };
	timer_entry_init(&periodic, record_timer, &recorder);
	int64_t start = timer_now_us();
	g_assert_cmpint(event_loop_timer_arm(loop, &periodic, start + 2000, 2000), ==, 0);
	run_bounded(loop);
	g_assert_cmpuint(recorder.count, ==, 5);
	for (unsigned int i = 0; i < 5; i++)
		g_assert_cmpint(recorder.fired_at_us[i], >=, start + 2000 * (int64_t) (i + 1));
	g_assert_true(timer_entry_armed(&periodic));
	event_loop_timer_cancel(loop, &periodic);
	g_assert_false(timer_entry_armed(&periodic));
	event_loop_free(loop);
}

/* Timer 0 re-arms itself twice, cancels timer 1 (due after it) and, the third time, stops. */
static void rearm_and_cancel(struct timer_entry *timer, void *data)
{
	struct recorder *recorder = data;
	record(recorder, 0);
	event_loop_timer_cancel(recorder->loop, recorder->timers[1]);
	if (recorder->count < 3)
		g_assert_cmpint(event_loop_timer_arm(recorder->loop, timer, timer_now_us() + 1000, 0), ==, 0);
	else
		event_loop_stop(recorder->loop);
}

static void test_rearm_and_cancel_from_callback(void)
{
	struct event_loop *loop = event_loop_new();
	struct timer_entry timers[2];
	struct recorder recorder = { .loop = loop, .timers = { &timers[0], &timers[1] } };
	timer_entry_init(&timers[0], rearm_and_cancel, &recorder);
	timer_entry_init(&timers[1], record_timer, &recorder);
	int64_t start = timer_now_us();
	g_assert_cmpint(event_loop_timer_arm(loop, &timers[0], start + 1000, 0), ==, 0);
	g_assert_cmpint(event_loop_timer_arm(loop, &timers[1], start + 2000, 0), ==, 0);
	run_bounded(loop);
	g_assert_cmpuint(recorder.count, ==, 3);
	for (int i = 0; i < 3; i++)
		g_assert_cmpint(recorder.order[i], ==, 0);
	g_assert_false(timer_entry_armed(&timers[0]));
	g_assert_false(timer_entry_armed(&timers[1]));
	event_loop_free(loop);
}

/* A periodic timer that cancels itself from its own callback stays cancelled. */
static void cancel_self(struct timer_entry *timer, void *data)
{
	struct recorder *recorder = data;
	record(recorder, 0);
	event_loop_timer_cancel(recorder->loop, timer);
}

static void test_periodic_cancels_itself(void)
{
	struct event_loop *loop = event_loop_new();
	struct timer_entry periodic, stop;
	struct recorder recorder = { .loop = loop };
	timer_entry_init(&periodic, cancel_self, &recorder);
	timer_entry_init(&stop, stop_loop, loop);
	int64_t start = timer_now_us();
	g_assert_cmpint(event_loop_timer_arm(loop, &periodic, start, 1000), ==, 0);
	g_assert_cmpint(event_loop_timer_arm(loop, &stop, start + 20000, 0), ==, 0);
	run_bounded(loop);
	g_assert_cmpuint(recorder.count, ==, 1);
	g_assert_false(timer_entry_armed(&periodic));
	event_loop_free(loop);
}

/* A timer that re-arms itself for "now" forever must not starve the fds. */
static void busy_timer(struct timer_entry *timer, void *data)
{
	struct recorder *recorder = data;
	/* were it fired again within the same round, this would count up forever */
	g_assert_cmpuint(++recorder->busy, <, 1000);
	g_assert_cmpint(event_loop_timer_arm(recorder->loop, timer, 0, 0), ==, 0);
}

static void stop_on_read(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	read_and_record(loop, fd, events, data);
	event_loop_stop(loop);
}

static void test_busy_timer_does_not_starve_fds(void)
{
	struct event_loop *loop = event_loop_new();
	int pair[2];
	make_socketpair(pair);
	struct recorder recorder = { .loop = loop };
	struct timer_entry busy;
	timer_entry_init(&busy, busy_timer, &recorder);
	g_assert_cmpint(event_loop_timer_arm(loop, &busy, 0, 0), ==, 0);
	g_assert_cmpint(event_loop_add_fd(loop, pair[0], EPOLLIN, stop_on_read, &recorder), ==, 0);
	g_assert_cmpint(write(pair[1], "a", 1), ==, 1);
	run_bounded(loop);
	g_assert_cmpuint(recorder.count, ==, 1);
	g_assert_cmpuint(recorder.busy, ==, 1);
	event_loop_timer_cancel(loop, &busy);
	close(pair[0]);
	close(pair[1]);
	event_loop_free(loop);
}

/* A loop can be run again after it stopped. */
static void test_stop_and_run_again(void)
{
	struct event_loop *loop = event_loop_new();
	struct timer_entry stop;
	timer_entry_init(&stop, stop_loop, loop);
	for (int run = 0; run < 2; run++) {
		int64_t start = timer_now_us();
		g_assert_cmpint(event_loop_timer_arm(loop, &stop, start + 1000, 0), ==, 0);
		run_bounded(loop);
		g_assert_cmpint(timer_now_us(), >=, start + 1000);
		g_assert_false(timer_entry_armed(&stop));
	}
	event_loop_free(loop);
}

/* ---- media worker timers ---- */

/* Written by the worker thread, read by the test thread after it was signalled through the pipe. */
struct worker_timer_test {
	struct media_worker *worker;
	int signal_pipe[2];
	pthread_t thread;                 /* the thread the first callback ran on */
	atomic_uint fired;
	int64_t fired_at_us;
	int64_t unwoken_fired_at_us;
	struct timer_entry rearmed;       /* armed by the first callback, on the worker thread */
};

static void signal_test(struct worker_timer_test *test, char what)
{
	g_assert_cmpint(write(test->signal_pipe[1], &what, 1), ==, 1);
}

static void second_worker_timer(struct timer_entry *timer, void *data)
{
	struct worker_timer_test *test = data;
	atomic_fetch_add(&test->fired, 1);
	signal_test(test, 'b');
}

static void first_worker_timer(struct timer_entry *timer, void *data)
{
	struct worker_timer_test *test = data;
	test->thread = pthread_self();
	test->fired_at_us = timer_now_us();
	atomic_fetch_add(&test->fired, 1);
	/* the worker thread's own API, from a timer callback */
	g_assert_cmpint(relay_worker_timer_add(test->worker, &test->rearmed, timer_now_us() + 2000,
					       second_worker_timer, test), ==, 0);
	signal_test(test, 'a');
}

/* Posted for a deadline the worker is not woken for: it must still fire on time. */
static void unwoken_worker_timer(struct timer_entry *timer, void *data)
{
	struct worker_timer_test *test = data;
	test->unwoken_fired_at_us = timer_now_us();
	signal_test(test, 'c');
}

static void cancelled_worker_timer(struct timer_entry *timer, void *data)
{
	struct worker_timer_test *test = data;
	signal_test(test, 'x');
}

/* Waits (bounded) for the next byte a worker timer writes. */
static char wait_for_signal(struct worker_timer_test *test)
{
	struct pollfd readable = { .fd = test->signal_pipe[0], .events = POLLIN };
	g_assert_cmpint(poll(&readable, 1, 3000), ==, 1);
	char what = 0;
	g_assert_cmpint(read(test->signal_pipe[0], &what, 1), ==, 1);
	return what;
}

static void test_worker_timer_fires_on_worker(void)
{
	struct relay_settings settings = { .endpoint_learning = ENDPOINT_LEARNING_DELAYED, .worker_count = 2 };
	g_assert_cmpint(relay_start(&settings), ==, 0);
	struct worker_timer_test test = { .worker = relay_pick_worker() };
	g_assert_nonnull(test.worker);
	g_assert_cmpint(pipe2(test.signal_pipe, O_CLOEXEC), ==, 0);

	/* zeroed entries: not armed */
	struct timer_entry first = { 0 }, cancelled = { 0 }, far = { 0 }, unwoken = { 0 };
	int64_t start = timer_now_us();
	/* from this (the control) thread: one to fire, one cancelled before its deadline, one far
	 * enough away that the worker is not woken for it, then cancelled, and one not woken for
	 * that fires */
	g_assert_cmpint(relay_post_timer_add(test.worker, &cancelled, start + 20000, cancelled_worker_timer, &test), ==, 0);
	g_assert_cmpint(relay_post_timer_add(test.worker, &far, start + 5000000, cancelled_worker_timer, &test), ==, 0);
	g_assert_cmpint(relay_post_timer_add(test.worker, &first, start + 40000, first_worker_timer, &test), ==, 0);
	g_assert_cmpint(relay_post_timer_add(test.worker, &unwoken, start + 1100000, unwoken_worker_timer, &test), ==, 0);
	g_assert_cmpint(relay_post_timer_add(NULL, &first, start, first_worker_timer, &test), ==, -EINVAL);
	g_assert_cmpint(relay_post_timer_cancel(test.worker, &cancelled), ==, 0);
	g_assert_cmpint(relay_post_timer_cancel(test.worker, &far), ==, 0);

	g_assert_cmpint(wait_for_signal(&test), ==, 'a');
	/* on time: the worker's epoll_wait() was bounded by the deadline, not its 1 s idle wait
	 * (the bound is generous for a loaded test machine) */
	g_assert_cmpint(test.fired_at_us, >=, start + 40000);
	g_assert_cmpint(test.fired_at_us, <, start + 40000 + 500000);
	g_assert_false(pthread_equal(test.thread, pthread_self()));
	g_assert_cmpint(wait_for_signal(&test), ==, 'b');
	g_assert_cmpuint(atomic_load(&test.fired), ==, 2);
	g_assert_cmpint(wait_for_signal(&test), ==, 'c');
	g_assert_cmpint(test.unwoken_fired_at_us, >=, start + 1100000);
	g_assert_cmpint(test.unwoken_fired_at_us, <, start + 1100000 + 500000);
	relay_stop();
	/* nothing else fired: the cancelled timers stayed quiet */
	struct pollfd readable = { .fd = test.signal_pipe[0], .events = POLLIN };
	g_assert_cmpint(poll(&readable, 1, 0), ==, 0);
	close(test.signal_pipe[0]);
	close(test.signal_pipe[1]);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/timer_heap/orders_many_deadlines", test_heap_orders_many_deadlines);
	g_test_add_func("/timer_heap/timeout_rounds_up", test_heap_timeout_rounds_up);
	g_test_add_func("/timer_heap/periodic_skips_missed_periods", test_heap_periodic_skips_missed_periods);
	g_test_add_func("/timer_heap/rearm_in_the_past_waits_for_next_call",
			test_heap_rearm_in_the_past_waits_for_next_call);
	g_test_add_func("/event_loop/fd_callback", test_fd_callback);
	g_test_add_func("/event_loop/modify_adds_and_removes_epollout", test_modify_adds_and_removes_epollout);
	g_test_add_func("/event_loop/removal_during_dispatch", test_removal_during_dispatch);
	g_test_add_func("/event_loop/timers_fire_in_deadline_order", test_timers_fire_in_deadline_order);
	g_test_add_func("/event_loop/periodic_timer", test_periodic_timer);
	g_test_add_func("/event_loop/rearm_and_cancel_from_callback", test_rearm_and_cancel_from_callback);
	g_test_add_func("/event_loop/periodic_cancels_itself", test_periodic_cancels_itself);
	g_test_add_func("/event_loop/busy_timer_does_not_starve_fds", test_busy_timer_does_not_starve_fds);
	g_test_add_func("/event_loop/stop_and_run_again", test_stop_and_run_again);
	g_test_add_func("/relay/worker_timer_fires_on_worker", test_worker_timer_fires_on_worker);
	return g_test_run();
}
