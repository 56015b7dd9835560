/* Timers for one thread: a binary min-heap of deadlines on the monotonic clock.
 *
 * Used by the control thread's event loop (event_loop.h) and by each media worker
 * (relay.c): the thread asks for the earliest deadline to bound its epoll_wait() timeout and
 * fires what is due after each round. No file descriptor per timer (no timerfd).
 *
 * A timer is a struct timer_entry that the caller owns, usually embedded in the object the
 * timer is about; the heap holds pointers to entries and each entry knows its heap position,
 * so arming, moving and cancelling are O(log n) and allocate nothing, except that the heap's
 * pointer array grows (doubling) when more timers are armed than ever before. Firing never
 * allocates. An entry must stay valid while it is armed: cancel it before freeing it. A
 * timer fires from the heap it was armed on; it is armed on one heap at a time.
 *
 * Deadlines and intervals are microseconds of CLOCK_MONOTONIC (timer_now_us()); the
 * wall clock's steps (NTP, settimeofday) do not move them.
 *
 * Threads: none of this is locked; a heap and its entries belong to one thread.
 *
 * Firing (timer_heap_fire_due): each due entry is taken off the heap before its callback
 * runs, and a periodic one is re-armed first, so a callback may cancel, re-arm or re-arm
 * with a new interval any timer including its own, and may arm new ones. Entries armed while
 * timer_heap_fire_due() runs do not fire in that call even if already due; they fire in the
 * next one (the owner's next loop round), so a callback that re-arms itself for "now" cannot
 * keep its thread from serving file descriptors. Equal deadlines fire in the order armed.
 *
 * Errors: -ENOMEM when the pointer array cannot grow; -EINVAL for a negative interval.
 */
#ifndef RTPENGINE_TIMER_HEAP_H
#define RTPENGINE_TIMER_HEAP_H

#include <stdbool.h>
#include <stdint.h>

struct timer_entry;
typedef void timer_callback(struct timer_entry *timer, void *data);

/* timer_heap_earliest() of an empty heap */
#define TIMER_NEVER INT64_MAX

struct timer_entry {
	int64_t deadline_us;       /* when it fires next (valid while armed) */
	int64_t interval_us;       /* > 0: periodic, re-armed interval_us after each deadline */
	timer_callback *callback;
	void *data;
	uint64_t sequence;         /* arming order: ties between equal deadlines, and what one
	                            * timer_heap_fire_due() call may fire */
	uint32_t heap_position;    /* index in the heap + 1; 0 while not armed, so zeroed memory
	                            * is a timer that is not armed */
};

struct timer_heap {
	struct timer_entry **entries;
	uint32_t count, capacity;
	uint64_t next_sequence;
};

/* CLOCK_MONOTONIC in microseconds (a vDSO read, no system call). */
int64_t timer_now_us(void);

void timer_heap_init(struct timer_heap *heap);
/* Frees the pointer array; the entries still armed are left alone, marked not armed. */
void timer_heap_destroy(struct timer_heap *heap);

/* Sets what an entry calls; it is not armed. (An entry in zeroed memory is not armed either.) */
void timer_entry_init(struct timer_entry *timer, timer_callback *callback, void *data);
static inline bool timer_entry_armed(const struct timer_entry *timer)
{
	return timer->heap_position != 0;
}

/* Arms the entry to fire once at deadline_us (already in the past: at the next firing), or
 * moves it there if it is armed already; interval_us > 0 makes it periodic from that
 * deadline on, 0 one-shot. Returns 0, -ENOMEM or -EINVAL. */
int timer_heap_arm(struct timer_heap *heap, struct timer_entry *timer, int64_t deadline_us, int64_t interval_us);
/* Takes the entry off the heap; nothing happens if it is not armed. */
void timer_heap_cancel(struct timer_heap *heap, struct timer_entry *timer);

/* The earliest deadline, or TIMER_NEVER when nothing is armed. */
static inline int64_t timer_heap_earliest(const struct timer_heap *heap)
{
	return heap->count ? heap->entries[0]->deadline_us : TIMER_NEVER;
}
/* An epoll_wait() timeout in milliseconds that wakes no earlier than the earliest deadline
 * (rounded up, so a wake-up finds the timer due): -1 when nothing is armed, 0 when something
 * is due, never more than max_ms (unless max_ms is -1). */
int timer_heap_timeout_ms(const struct timer_heap *heap, int64_t now_us, int max_ms);
/* Calls the callbacks of the entries due at now_us that were armed before this call, earliest
 * first. Returns how many fired. */
unsigned int timer_heap_fire_due(struct timer_heap *heap, int64_t now_us);

#endif
