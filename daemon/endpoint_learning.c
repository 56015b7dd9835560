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

/* How well a source matches the SDP's address and port, best first. The order is measured
 * against 10.5 (tests/e2e/test_upstream_heuristic.py): a source on the SDP's address with
 * another port beats one on another address with the SDP's port, and any match beats none. */
enum heuristic_match {
	MATCH_EXACT,
	MATCH_ADDRESS,
	MATCH_PORT,
	MATCH_NONE,
};

static enum heuristic_match heuristic_rank(const struct stream *stream, const union endpoint *source)
{
	const union endpoint *sdp = &stream->advertised;
	if (!endpoint_is_set(sdp))
		return MATCH_NONE;
	if (endpoint_equal(source, sdp))
		return MATCH_EXACT;
	union endpoint on_sdp_port = *source;
	endpoint_set_port(&on_sdp_port, endpoint_port(sdp));
	if (endpoint_equal(&on_sdp_port, sdp))
		return MATCH_ADDRESS;
	if (source->address.sa_family == sdp->address.sa_family && endpoint_port(source) == endpoint_port(sdp))
		return MATCH_PORT;
	return MATCH_NONE;
}

static unsigned int latch_first(struct stream *stream, enum endpoint_learning mode, const union endpoint *source,
                                int64_t now_us)
{
	stream->learned = *source;
	stream->state |= STREAM_LATCHED;
	stream->first_packet_us = now_us;
	stream->learned_last_us = now_us;
	if (mode == ENDPOINT_LEARNING_IMMEDIATE) {
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
		bool better = heuristic_rank(stream, source) < heuristic_rank(stream, &stream->learned);
		bool quiet = now_us - stream->learned_last_us >= ENDPOINT_RELEARN_QUIET_US;
		if (mode == ENDPOINT_LEARNING_HEURISTIC ? better : quiet) {
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
