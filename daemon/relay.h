/* Media workers: each owns one epoll set and forwards the packets of the calls pinned to it,
 * receiving and sending in batches (recvmmsg/sendmmsg). */
#ifndef RTPENGINE_RELAY_H
#define RTPENGINE_RELAY_H

#include <stdint.h>
#include "config.h"
#include "dtls.h"
#include "timer_heap.h"

struct call;
struct stream;
struct media_worker;

struct relay_settings {
	enum endpoint_learning endpoint_learning;
	unsigned int worker_count;
};

/* Counters of the packet path, summed over workers for `statistics`. Every packet that
 * arrives and is not forwarded is counted under exactly one dropped_* name (or stun_consumed);
 * errors counts the ones that were bad or could not be sent (what the stream's own "errors"
 * counter shows in `query`). */
struct relay_totals {
	uint64_t packets, bytes, errors;  /* received and accepted (before the destination check) */
	uint64_t dropped_strict_source;   /* strict-source: packet from a stranger */
	uint64_t dropped_no_destination;  /* peer's address or socket not known yet */
	uint64_t dropped_truncated;       /* larger than the receive buffer */
	uint64_t dropped_srtp;            /* SRTP authentication/replay failure, or no room to protect */
	uint64_t dropped_call_ended;      /* queued in an epoll round whose call ended before the send */
	uint64_t dropped_send_failed;     /* sendmmsg() refused it (socket buffer full, unreachable) */
	uint64_t dropped_stun_malformed;  /* looked like STUN on an ICE port but did not parse */
	uint64_t stun_consumed;           /* STUN checks and keepalives, answered or ignored, not relayed */
	uint64_t dropped_ice_consent;     /* ICE consent of the receiving peer expired (RFC 7675) */
	struct dtls_counters dtls;        /* DTLS-SRTP: handshakes, and the DTLS and held-back media dropped */
	/* RTCP statistics (media_quality.h) */
	uint64_t rtcp_parsed;             /* RTCP compounds read for the quality figures */
	uint64_t rtcp_malformed;          /* RTCP that did not parse (forwarded all the same) */
	uint64_t dropped_blocked;         /* block media / block DTMF (media_control.h), media-echo blackhole */
	/* BUNDLE (bundle.h) */
	uint64_t dropped_bundle_unknown;  /* RTP on a BUNDLE transport that no MID, SSRC or payload type placed */
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
/* ICE on both address families: polls the stream's other family socket (extras->family_fd). */
int relay_watch_family_socket(struct media_worker *worker, struct stream *stream);
/* Socket fd of a deleted call stays in the worker's epoll set but reports nothing (parked in
 * its port pool). Returns that epoll set's fd, or -errno (-ENOENT: fd was not in it). */
int relay_park_socket(struct media_worker *worker, int fd);
/* relay_watch_stream() for a socket that came out of the port pool still in epoll set
 * parked_in (port_pool_take_pair_watched(); -1: in none): re-enabled there when that is the
 * worker's, else moved. */
int relay_rewatch_stream(struct media_worker *worker, struct stream *stream, int parked_in);
/* Hands a destroyed call to its worker, which frees it at its next quiescent point. */
void relay_retire_call(struct media_worker *worker, struct call *call);
void relay_read_totals(struct relay_totals *totals);
/* The worker's DTLS counters, for dtls.c on that worker's thread (its timer callbacks). */
struct dtls_counters *relay_dtls_counters(struct media_worker *worker);
/* Per-stream deadlines on a media worker (DTLS retransmission, RTCP intervals): timers of
 * the worker's own timer heap (timer_heap.h), CLOCK_MONOTONIC microseconds (timer_now_us()).
 * The worker fires what is due once per epoll round, after the round's packets are sent, and
 * bounds its epoll_wait() by the earliest deadline; the callback runs on the worker thread
 * without any lock held, so it takes the call's lock and checks call->deleted itself (a call
 * ended by the control thread stays in memory until the worker frees it). One-shot; a callback
 * re-arms its own timer for the next deadline. Timers fire up to a millisecond late, never
 * early. The entry is the caller's, embedded in per-stream state; it must stay valid while
 * armed.
 *
 * On the worker's own thread (its timer callbacks, its packet path): arm or move, and cancel,
 * at once. Returns 0 or -ENOMEM. */
int relay_worker_timer_add(struct media_worker *worker, struct timer_entry *timer, int64_t deadline_us,
			   timer_callback *callback, void *data);
void relay_worker_timer_cancel(struct media_worker *worker, struct timer_entry *timer);
/* From any other thread (the control thread): queue the same requests for the worker, which
 * applies them in order before it next fires timers; it is woken only when the deadline is
 * nearer than its own idle wake-up (1 s), so posting costs a context switch at most. The
 * caller must not touch the entry afterwards except through these two calls. A cancel posted
 * before the deadline always wins; one posted around the deadline may find the timer fired.
 * Memory holding a posted entry may be freed through relay_retire_call() once its cancel is
 * posted: the worker applies the requests posted before a retire before it frees the call.
 * relay_stop() drops the timers still armed without firing them.
 * Returns 0 or -EINVAL (no worker or no callback). */
int relay_post_timer_add(struct media_worker *worker, struct timer_entry *timer, int64_t deadline_us,
			 timer_callback *callback, void *data);
int relay_post_timer_cancel(struct media_worker *worker, struct timer_entry *timer);
/* DTMF-delay (dtmf_delay.h): frees a stream's delay line and the lines it replaced, their
 * timers cancelled first. On the worker's thread (media_free()); NULL does nothing. */
struct dtmf_delay_line;
void relay_dtmf_delay_free(struct media_worker *worker, struct dtmf_delay_line *line);
/* Where packets leaving through this stream's socket go: its learned peer, or the SDP's
 * address while nothing was learned (or learning is off / the side asymmetric). NULL if
 * neither is known. Call with the call's lock held. */
const union endpoint *relay_stream_destination(const struct stream *stream);
/* Why a stream has not latched yet, or how it did, in words for `query`. */
const char *relay_learning_status(const struct stream *stream);

#endif
