/* The per-SSRC jitter buffer and timeline (see recording.h). Pure: no I/O, no clock; the
 * caller supplies sequence numbers, timestamps and positions. */
#include "recording_daemon.h"

#include <errno.h>
#include <string.h>

void jitter_buffer_init(struct jitter_buffer *buffer)
{
	memset(buffer, 0, sizeof(*buffer));
}

/* RFC 3550 appendix A.1: a 16-bit sequence number is taken as the closest value to the
 * highest seen; starting at 65536 keeps a packet slightly older than the first positive. */
static uint64_t extend_sequence(struct jitter_buffer *buffer, uint16_t sequence)
{
	if (!buffer->started) {
		buffer->started = true;
		buffer->highest = 65536u + sequence;
		return buffer->highest;
	}
	int16_t difference = (int16_t) (uint16_t) (sequence - (uint16_t) buffer->highest);
	uint64_t extended = buffer->highest + (uint64_t) (int64_t) difference;
	if (extended > buffer->highest)
		buffer->highest = extended;
	return extended;
}

int jitter_buffer_insert(struct jitter_buffer *buffer, uint16_t sequence, struct jitter_packet *packet)
{
	uint64_t extended = extend_sequence(buffer, sequence);
	if (buffer->released_any && extended < buffer->released) {
		buffer->late++;
		return -ETIME;
	}
	unsigned int index = buffer->count;
	for (unsigned int i = 0; i < buffer->count; i++) {
		if (buffer->slots[i].extended_sequence == extended) {
			buffer->duplicates++;
			return -EEXIST;
		}
		if (buffer->slots[i].extended_sequence > extended) {
			index = i;
			break;
		}
	}
	if (buffer->count == JITTER_SLOTS)
		return -ENOSPC;
	memmove(&buffer->slots[index + 1], &buffer->slots[index],
		(buffer->count - index) * sizeof(buffer->slots[0]));
	packet->extended_sequence = extended;
	buffer->slots[index] = *packet;
	buffer->count++;
	return 0;
}

bool jitter_buffer_pop(struct jitter_buffer *buffer, bool flush, struct jitter_packet *packet)
{
	if (buffer->count == 0 || (!flush && buffer->count <= JITTER_HOLD))
		return false;
	*packet = buffer->slots[0];
	buffer->count--;
	memmove(&buffer->slots[0], &buffer->slots[1], buffer->count * sizeof(buffer->slots[0]));
	buffer->released = packet->extended_sequence + 1;
	buffer->released_any = true;
	return true;
}

void jitter_buffer_clear(struct jitter_buffer *buffer)
{
	for (unsigned int i = 0; i < buffer->count; i++)
		g_free(buffer->slots[i].payload);
	buffer->count = 0;
}

int64_t timeline_position(struct timeline *timeline, uint32_t timestamp, int clock_rate, int output_rate,
			  int64_t fallback_position)
{
	uint64_t extended;
	bool anchor = !timeline->anchored || timeline->clock_rate != clock_rate || timeline->output_rate != output_rate;
	if (!anchor) {
		int32_t difference = (int32_t) (uint32_t) (timestamp - (uint32_t) timeline->last_timestamp);
		extended = timeline->last_timestamp + (uint64_t) (int64_t) difference;
		int64_t limit = (int64_t) TIMELINE_MAX_GAP_SECONDS * clock_rate;
		if (difference > limit || difference < -limit)
			anchor = true;
	}
	if (anchor) {
		extended = (1ull << 32) + timestamp;
		timeline->anchored = true;
		timeline->anchor_timestamp = extended;
		timeline->anchor_position = fallback_position;
		timeline->last_timestamp = extended;
		timeline->clock_rate = clock_rate;
		timeline->output_rate = output_rate;
		return fallback_position;
	}
	if (extended > timeline->last_timestamp)
		timeline->last_timestamp = extended;
	int64_t delta = (int64_t) (extended - timeline->anchor_timestamp);
	return timeline->anchor_position + delta * output_rate / clock_rate;
}
