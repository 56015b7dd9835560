/* Endpoint learning: which source a stream's peer really sends from (symmetric RTP,
 * RFC 4961), so that media goes back to where it comes from through NATs.
 *
 * The rules, as a pure function of the stream's learning state, the --endpoint-learning
 * mode, the packet's source and the time; the packet path calls it for every packet
 * (after SRTP authentication: a forged packet must never move the latch) and logs or
 * counts what it reports:
 * - the first packet latches its source; immediate confirms it at once, delayed and
 *   heuristic after ENDPOINT_LEARNING_DELAY_US (the first packet from then on confirms);
 * - before confirmation another source replaces the learned one only once the learned one
 *   has been silent for ENDPOINT_RELEARN_QUIET_US (a NAT binding that changed), never while
 *   it flows (that is how calls get hijacked); heuristic mode: a source that matches the SDP
 *   better does, even while the learned one flows (exact, then the SDP's address with
 *   another port, then the SDP's port on another address, then neither; as 10.5);
 * - strict-source drops nothing before confirmation (10.5 passes every source until then);
 * - once confirmed, a stranger moves the latch with media-handover, is dropped with
 *   strict-source, and is otherwise forwarded without moving the latch (as upstream);
 * - asymmetric sides and --endpoint-learning=off never learn: strict-source then drops
 *   packets that do not come from the SDP address;
 * - a STUN check that passed integrity (ICE, RFC 8445 section 7.3) confirms its source at once.
 *
 * Threads: the stream's worker, under the call's lock. Cost: inline for the usual packet
 * (confirmed stream, known source): one flag test and one address compare. */
#ifndef RTPENGINE_ENDPOINT_LEARNING_H
#define RTPENGINE_ENDPOINT_LEARNING_H

#include <stdint.h>
#include "call.h"
#include "config.h"

/* The learning delay of --endpoint-learning=delayed (upstream waits about 3 s). */
#define ENDPOINT_LEARNING_DELAY_US (3 * 1000000LL)
/* How long the learned source must have been silent before another may replace it while
 * learning: 25 packet times at 20 ms. */
#define ENDPOINT_RELEARN_QUIET_US (500 * 1000LL)

/* What a packet did to the learning state: 0 (nothing to say) or a set of these. */
enum endpoint_learning_event {
	LEARNING_DROP       = 1 << 0,   /* strict-source: not from the expected source, drop it */
	LEARNING_LATCHED    = 1 << 1,   /* first packet: its source is the peer now */
	LEARNING_RELEARNED  = 1 << 2,   /* a new source replaced the learned one before confirmation */
	LEARNING_CONFIRMED  = 1 << 3,   /* the learned source is fixed from now on */
	LEARNING_HANDOVER   = 1 << 4,   /* media-handover: a new source took over a confirmed stream */
};

/* The rules above for one packet from source at now_us; updates stream->learned, ->state
 * (STREAM_LATCHED, STREAM_CONFIRMED), ->first_packet_us and ->learned_last_us only. */
unsigned int endpoint_learning_decide(struct stream *stream, enum endpoint_learning mode,
                                      const union endpoint *source, int64_t now_us);

static inline unsigned int endpoint_learning_packet(struct stream *stream, enum endpoint_learning mode,
                                                    const union endpoint *source, int64_t now_us)
{
	/* the usual packet: the confirmed peer again */
	if ((stream->state & STREAM_CONFIRMED) && !(stream->forward_flags & FORWARD_ASYMMETRIC)
	    && mode != ENDPOINT_LEARNING_OFF && endpoint_equal(&stream->learned, source)) {
		stream->learned_last_us = now_us;
		return 0;
	}
	return endpoint_learning_decide(stream, mode, source, now_us);
}

/* A STUN check from source passed integrity: it is the peer. Returns true if that
 * latched or moved the confirmed source. */
bool endpoint_learning_ice_confirm(struct stream *stream, const union endpoint *source);

#endif
