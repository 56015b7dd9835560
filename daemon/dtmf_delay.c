/* DTMF-delay's delay line: see dtmf_delay.h. */
#include "dtmf_delay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct dtmf_delay_line *dtmf_delay_line_new(unsigned int delay_ms)
{
	if (delay_ms == 0 || delay_ms > DTMF_DELAY_MAX_MS)
		return NULL;
	/* room for one packet per 10 ms (20 ms audio and events interleaved at 20 ms, RFC 4733
	 * section 2.5.1.2) plus a margin; beyond that the oldest leaves early */
	unsigned int capacity = delay_ms / 10 + 16;
	struct dtmf_delay_line *line = calloc(1, sizeof(*line) + (size_t) capacity * sizeof(line->slots[0]));
	if (!line)
		return NULL;
	line->delay_ms = delay_ms;
	line->capacity = capacity;
	return line;
}

void dtmf_delay_line_free(struct dtmf_delay_line *line)
{
	while (line) {
		struct dtmf_delay_line *replaced = line->replaced;
		free(line);
		line = replaced;
	}
}

int dtmf_delay_line_push(struct dtmf_delay_line *line, const unsigned char *packet, size_t length,
		int64_t arrival_us)
{
	if (length > DTMF_DELAY_SLOT_BYTES)
		return -EMSGSIZE;
	if (line->count == line->capacity)
		return -ENOSPC;
	struct dtmf_delay_slot *slot = &line->slots[(line->head + line->count) % line->capacity];
	slot->due_us = arrival_us + (int64_t) line->delay_ms * 1000;
	/* arrival times come from the worker's clock, which does not go back; should one packet
	 * still be stamped earlier than the one before, it leaves after it, in order */
	if (line->count) {
		const struct dtmf_delay_slot *last =
			&line->slots[(line->head + line->count - 1) % line->capacity];
		if (slot->due_us < last->due_us)
			slot->due_us = last->due_us;
	}
	slot->length = (uint16_t) length;
	memcpy(slot->data, packet, length);
	line->count++;
	return 0;
}

int64_t dtmf_delay_line_next_due(const struct dtmf_delay_line *line)
{
	return line->count ? line->slots[line->head].due_us : INT64_MAX;
}

int dtmf_delay_line_pop(struct dtmf_delay_line *line, int64_t now_us, int force, unsigned char *buffer,
		size_t size)
{
	if (!line->count)
		return 0;
	const struct dtmf_delay_slot *slot = &line->slots[line->head];
	if (!force && slot->due_us > now_us)
		return 0;
	if (slot->length > size)
		return -ENOBUFS;
	memcpy(buffer, slot->data, slot->length);
	int length = slot->length;
	line->head = (line->head + 1) % line->capacity;
	line->count--;
	return length;
}
