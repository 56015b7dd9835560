/* Binary min-heap of timers; see timer_heap.h. Ordered by deadline, then by arming order. */
#include "timer_heap.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#define TIMER_HEAP_INITIAL_CAPACITY 16

static bool fires_before(const struct timer_entry *a, const struct timer_entry *b)
{
	if (a->deadline_us != b->deadline_us)
		return a->deadline_us < b->deadline_us;
	return a->sequence < b->sequence;
}

static void place(struct timer_heap *heap, uint32_t index, struct timer_entry *timer)
{
	heap->entries[index] = timer;
	timer->heap_position = index + 1;
}

static void sift_up(struct timer_heap *heap, uint32_t index)
{
	struct timer_entry *timer = heap->entries[index];
	while (index > 0) {
		uint32_t parent = (index - 1) / 2;
		if (!fires_before(timer, heap->entries[parent]))
			break;
		place(heap, index, heap->entries[parent]);
		index = parent;
	}
	place(heap, index, timer);
}

static void sift_down(struct timer_heap *heap, uint32_t index)
{
	struct timer_entry *timer = heap->entries[index];
	for (;;) {
		uint32_t child = 2 * index + 1;
		if (child >= heap->count)
			break;
		if (child + 1 < heap->count && fires_before(heap->entries[child + 1], heap->entries[child]))
			child++;
		if (!fires_before(heap->entries[child], timer))
			break;
		place(heap, index, heap->entries[child]);
		index = child;
	}
	place(heap, index, timer);
}

/* Puts the last entry into the hole at index and restores the order around it. */
static void remove_at(struct timer_heap *heap, uint32_t index)
{
	struct timer_entry *removed = heap->entries[index];
	removed->heap_position = 0;
	heap->count--;
	if (index == heap->count)
		return;
	place(heap, index, heap->entries[heap->count]);
	if (index > 0 && fires_before(heap->entries[index], heap->entries[(index - 1) / 2]))
		sift_up(heap, index);
	else
		sift_down(heap, index);
}

static int grow(struct timer_heap *heap)
{
	uint32_t capacity = heap->capacity ? heap->capacity * 2 : TIMER_HEAP_INITIAL_CAPACITY;
	if (capacity <= heap->capacity)
		return -ENOMEM;
	struct timer_entry **entries = realloc(heap->entries, capacity * sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	heap->entries = entries;
	heap->capacity = capacity;
	return 0;
}

/* The first deadline of a periodic timer after now_us: missed periods (the thread was busy
 * or suspended) are skipped rather than fired in a burst, and the phase is kept. */
static int64_t next_period(const struct timer_entry *timer, int64_t now_us)
{
	int64_t next = timer->deadline_us + timer->interval_us;
	if (next > now_us)
		return next;
	int64_t missed = (now_us - timer->deadline_us) / timer->interval_us;
	return timer->deadline_us + (missed + 1) * timer->interval_us;
}

int64_t timer_now_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

void timer_heap_init(struct timer_heap *heap)
{
	*heap = (struct timer_heap) { 0 };
}

void timer_heap_destroy(struct timer_heap *heap)
{
	for (uint32_t i = 0; i < heap->count; i++)
		heap->entries[i]->heap_position = 0;
	free(heap->entries);
	*heap = (struct timer_heap) { 0 };
}

void timer_entry_init(struct timer_entry *timer, timer_callback *callback, void *data)
{
	*timer = (struct timer_entry) { .callback = callback, .data = data, .heap_position = 0 };
}

int timer_heap_arm(struct timer_heap *heap, struct timer_entry *timer, int64_t deadline_us, int64_t interval_us)
{
	if (interval_us < 0)
		return -EINVAL;
	if (timer_entry_armed(timer))
		remove_at(heap, timer->heap_position - 1);
	else if (heap->count == heap->capacity && grow(heap) < 0)
		return -ENOMEM;
	timer->deadline_us = deadline_us;
	timer->interval_us = interval_us;
	timer->sequence = heap->next_sequence++;
	place(heap, heap->count++, timer);
	sift_up(heap, timer->heap_position - 1);
	return 0;
}

void timer_heap_cancel(struct timer_heap *heap, struct timer_entry *timer)
{
	if (timer_entry_armed(timer))
		remove_at(heap, timer->heap_position - 1);
}

int timer_heap_timeout_ms(const struct timer_heap *heap, int64_t now_us, int max_ms)
{
	if (!heap->count)
		return max_ms;
	int64_t wait_us = timer_heap_earliest(heap) - now_us;
	if (wait_us <= 0)
		return 0;
	int64_t wait_ms = (wait_us + 999) / 1000;
	if (max_ms >= 0 && wait_ms > max_ms)
		return max_ms;
	return wait_ms > INT_MAX ? INT_MAX : (int) wait_ms;
}

unsigned int timer_heap_fire_due(struct timer_heap *heap, int64_t now_us)
{
	/* entries armed from here on (by the callbacks) wait for the next call */
	uint64_t armed_before = heap->next_sequence;
	unsigned int fired = 0;
	while (heap->count) {
		struct timer_entry *timer = heap->entries[0];
		if (timer->deadline_us > now_us || timer->sequence >= armed_before)
			break;
		if (timer->interval_us > 0) {
			/* moving an armed entry needs no allocation, so this cannot fail */
			timer_heap_arm(heap, timer, next_period(timer, now_us), timer->interval_us);
		} else {
			remove_at(heap, 0);
		}
		fired++;
		timer->callback(timer, timer->data);
	}
	return fired;
}
