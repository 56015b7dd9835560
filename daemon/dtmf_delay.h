/* DTMF-delay (block DTMF's `DTMF-delay` key): a delay line for one RTP stream. Every RTP
 * packet the party sends (audio and RFC 4733 events alike, so both keep their place) is held
 * for the delay and only then judged by media control (block DTMF, triggers: the blocking
 * mode in force when the packet leaves decides, as upstream documents) and forwarded with its
 * sequence number and timestamp unchanged.
 *
 * Contract: a fixed ring of slots allocated once, when the option is set (control thread);
 * push and pop copy bytes and never allocate (the media worker, under the call's lock). When
 * the ring is full the oldest packet leaves early rather than being dropped; a packet larger
 * than a slot is refused (-EMSGSIZE) and the caller forwards it at once. Depends on nothing
 * but libc; the relay owns the timer embedded here (relay.c). Cost: one memcpy per packet in
 * and out; memory: (delay / 10 ms + 16) slots of DTMF_DELAY_SLOT_BYTES. */
#ifndef RTPENGINE_DTMF_DELAY_H
#define RTPENGINE_DTMF_DELAY_H

#include <stddef.h>
#include <stdint.h>
#include "timer_heap.h"

#define DTMF_DELAY_MAX_MS 5000
#define DTMF_DELAY_SLOT_BYTES 1500

struct stream;

struct dtmf_delay_slot {
	int64_t due_us;                 /* CLOCK_MONOTONIC when it leaves */
	uint16_t length;
	unsigned char data[DTMF_DELAY_SLOT_BYTES];
};

struct dtmf_delay_line {
	unsigned int delay_ms;
	unsigned int capacity, head, count;     /* ring: slots[head] is the oldest */
	/* the relay's: its worker timer (armed while packets wait), the stream they came on, and
	 * a line this one replaced (still draining; freed with this one) */
	struct timer_entry timer;
	struct stream *stream;
	struct dtmf_delay_line *replaced;
	struct dtmf_delay_slot slots[];
};

/* A line for delay_ms (1 to DTMF_DELAY_MAX_MS): NULL when out of range or out of memory. */
struct dtmf_delay_line *dtmf_delay_line_new(unsigned int delay_ms);
/* Frees the line and the lines it replaced (their timers must be cancelled first). */
void dtmf_delay_line_free(struct dtmf_delay_line *line);
/* Copies the packet in, due delay_ms after arrival_us. 0; -EMSGSIZE when it does not fit a
 * slot; -ENOSPC when the ring is full (pop with force first). */
int dtmf_delay_line_push(struct dtmf_delay_line *line, const unsigned char *packet, size_t length,
		int64_t arrival_us);
/* When the oldest packet is due; INT64_MAX when empty. */
int64_t dtmf_delay_line_next_due(const struct dtmf_delay_line *line);
/* Copies the oldest packet out when it is due at now_us (or at once with force): its length,
 * 0 when none is due, -ENOBUFS when size is too small (the packet stays). */
int dtmf_delay_line_pop(struct dtmf_delay_line *line, int64_t now_us, int force, unsigned char *buffer,
		size_t size);

#endif
