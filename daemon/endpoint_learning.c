/* Endpoint learning rules; see endpoint_learning.h. No logging and no clocks here: the
 * caller passes the time and reports the events, so tests can drive every rule. */
#include "endpoint_learning.h"

/* Sides that never learn send to the SDP address; strict-source holds packets to it. */
static unsigned int check_not_learning(const struct stream *stream, const union endpoint *source)
{
	bool strict = stream->forward_flags & FORWARD_STRICT_SOURCE;
	if (strict && endpoint_is_set(&stream->advertised) && !endpoint_equal(&stream->advertised, source))
		return LEARNING_DROP;
	return 0;
}

static unsigned int latch_first(struct stream *stream, enum endpoint_learning mode, const union endpoint *source,
                                int64_t now_us)
{
	stream->learned = *source;
	stream->state |= STREAM_LATCHED;
	stream->first_packet_us = now_us;
	stream->learned_last_us = now_us;
	bool exact = endpoint_equal(source, &stream->advertised);
	if (mode == ENDPOINT_LEARNING_IMMEDIATE || (mode == ENDPOINT_LEARNING_HEURISTIC && exact)) {
		stream->state |= STREAM_CONFIRMED;
		return LEARNING_LATCHED | LEARNING_CONFIRMED;
	}
	return LEARNING_LATCHED;
}

/* Latched, not yet confirmed: the learning window. */
static unsigned int learning_window(struct stream *stream, enum endpoint_learning mode, const union endpoint *source,
                                    bool same, int64_t now_us)
{
	unsigned int events = 0;
	if (!same) {
		bool exact = endpoint_equal(source, &stream->advertised);
		bool quiet = now_us - stream->learned_last_us >= ENDPOINT_RELEARN_QUIET_US;
		if (mode == ENDPOINT_LEARNING_HEURISTIC ? exact : quiet) {
			stream->learned = *source;
			stream->learned_last_us = now_us;
			events |= LEARNING_RELEARNED;
		}
	}
	if (now_us - stream->first_packet_us >= ENDPOINT_LEARNING_DELAY_US) {
		stream->state |= STREAM_CONFIRMED;
		events |= LEARNING_CONFIRMED;
	}
	return events;
}

unsigned int endpoint_learning_decide(struct stream *stream, enum endpoint_learning mode,
                                      const union endpoint *source, int64_t now_us)
{
	uint32_t flags = stream->forward_flags;
	if ((flags & FORWARD_ASYMMETRIC) || mode == ENDPOINT_LEARNING_OFF)
		return check_not_learning(stream, source);
	if (!(stream->state & STREAM_LATCHED))
		return latch_first(stream, mode, source, now_us);
	bool same = endpoint_equal(&stream->learned, source);
	if (same)
		stream->learned_last_us = now_us;
	if (!(stream->state & STREAM_CONFIRMED))
		return learning_window(stream, mode, source, same, now_us);
	if (same)
		return 0;
	if (flags & FORWARD_MEDIA_HANDOVER) {
		stream->learned = *source;
		stream->learned_last_us = now_us;
		return LEARNING_HANDOVER;
	}
	if (flags & FORWARD_STRICT_SOURCE)
		return LEARNING_DROP;
	/* upstream forwards a stranger's packets but never lets them move the latch */
	return 0;
}

bool endpoint_learning_ice_confirm(struct stream *stream, const union endpoint *source)
{
	if ((stream->state & STREAM_CONFIRMED) && endpoint_equal(&stream->learned, source))
		return false;
	stream->learned = *source;
	stream->state |= STREAM_LATCHED | STREAM_CONFIRMED;
	return true;
}
