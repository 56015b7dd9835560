/* Media workers: each owns one epoll set and forwards the packets of the calls pinned to it,
 * receiving and sending in batches (recvmmsg/sendmmsg). */
#ifndef RTPENGINE_RELAY_H
#define RTPENGINE_RELAY_H

#include <stdint.h>
#include "config.h"

struct call;
struct stream;
struct media_worker;

struct relay_settings {
	enum endpoint_learning endpoint_learning;
	unsigned int worker_count;
};

/* Drop and error counters of the packet path, summed over workers for `statistics`. */
struct relay_totals {
	uint64_t packets, bytes, errors;
	uint64_t dropped_strict_source;   /* strict-source: packet from a stranger */
	uint64_t dropped_no_destination;  /* peer's address not known yet */
	uint64_t dropped_truncated;       /* larger than the receive buffer */
	uint64_t dropped_srtp;            /* SRTP authentication/replay failure, or no room to protect */
};

int relay_start(const struct relay_settings *settings);
void relay_stop(void);
/* The worker a new call is pinned to (and counted on until relay_retire_call): the first one
 * whose expected load, counting the streams already placed on it, leaves room, else the one
 * with the least. Control thread. */
struct media_worker *relay_pick_worker(void);
/* Control thread, every interval_ms: measures how busy each worker was, its packet rate and
 * CPU per packet. */
void relay_sample_load(unsigned int interval_ms);
int relay_watch_stream(struct media_worker *worker, struct stream *stream);
/* Hands a destroyed call to its worker, which frees it at its next quiescent point. */
void relay_retire_call(struct media_worker *worker, struct call *call);
void relay_read_totals(struct relay_totals *totals);
/* Where packets leaving through this stream's socket go: its learned peer, or the SDP's
 * address while nothing was learned (or learning is off / the side asymmetric). NULL if
 * neither is known. Call with the call's lock held. */
const union endpoint *relay_stream_destination(const struct stream *stream);
/* Why a stream has not latched yet, or how it did, in words for `query`. */
const char *relay_learning_status(const struct stream *stream);

/* The learning delay of --endpoint-learning=delayed (upstream waits about 3 s). */
#define RELAY_LEARNING_DELAY_US (3 * 1000000LL)
/* How long the learned source must have been silent before another may replace it while
 * learning: 25 packet times at 20 ms. */
#define RELAY_RELEARN_QUIET_US (500 * 1000LL)

#endif
