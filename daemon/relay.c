/* The userspace packet path; see relay.h.
 *
 * A worker thread waits on its epoll set; each ready media socket is drained with one
 * recvmmsg() of up to RELAY_BATCH packets, every packet is checked against the stream's
 * learned source (RFC 4961 symmetric RTP) and queued for the peer side's socket; at the end
 * of the epoll round the queue goes out with one sendmmsg() per socket. Nothing is allocated
 * per packet; the only lock is the call's own, taken once per batch and once per send. */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/socket.h>
#include "codec_chain.h"
#include "dtmf_delay.h"
#include "bundle.h"
#include "call.h"
#include "interface.h"
#include "endpoint_learning.h"
#include "homer.h"
#include "ice_responder.h"
#include "media_control.h"
#include "media_crypto.h"
#include "media_quality.h"
#include "media_transcode.h"
#include "pubsub.h"
#include "log.h"
#include "recording_writer.h"
#include "rtp_header.h"
#include "transcode_rtcp.h"

#define RELAY_BATCH 32       /* packets per recvmmsg() */
#define RELAY_POOL 256       /* packets held per epoll round before they are sent */
#define RELAY_PACKET_SIZE 4096
/* slots not a multiple of 4 KB apart, so the headers of a round's packets do not all fall
 * into the same cache sets */
#define RELAY_PACKET_STRIDE (RELAY_PACKET_SIZE + 3 * 64)
#define RELAY_EPOLL_EVENTS 64
#define RELAY_GRAVEYARD_WAKE 256   /* retired calls that make the worker free them at once */
#define RELAY_QUIESCENT_INTERVAL_MS 1000
/* Placement of new calls (relay_pick_worker): a worker takes new calls while its expected
 * load is under RELAY_PACK_LOAD_PERCENT of a core. The expected load counts what is already
 * placed, not only past CPU: RELAY_STREAM_PPS per RTP stream placed on it (a 20 ms voice
 * stream; a burst of set-ups is counted before its media starts), or the packet rate it really
 * carried in the last sample if that is higher, times its measured CPU per packet (until it has
 * carried RELAY_COST_MIN_PACKETS in a sample: RELAY_DEFAULT_PACKET_COST_NS, the daemon's CPU per
 * packet in the bench at moderate load, rounded up). */
#define RELAY_PACK_LOAD_PERCENT 40
#define RELAY_STREAM_PPS 50
#define RELAY_DEFAULT_PACKET_COST_NS 5000
#define RELAY_COST_MIN_PACKETS 1000

/* Written by their worker alone (plain adds, no locked instructions on the packet path);
 * read by the control thread with relaxed atomic loads. The counters of struct relay_totals. */
struct worker_counters {
	uint64_t packets, bytes, errors;
	uint64_t dropped_strict_source, dropped_no_destination, dropped_truncated, dropped_srtp;
	uint64_t dropped_call_ended, dropped_send_failed, dropped_stun_malformed, stun_consumed;
	uint64_t dropped_ice_consent;     /* ICE */
	struct dtls_counters dtls;
	uint64_t rtcp_parsed, rtcp_malformed;
	uint64_t dropped_blocked;       /* media control */
	uint64_t dropped_bundle_unknown;  /* BUNDLE */
};
_Static_assert(sizeof(struct worker_counters) == sizeof(struct relay_totals),
	       "a counter in relay_totals and not in worker_counters, or the reverse");

#define COUNTER_ADD(counter, amount) \
	__atomic_store_n(&(counter), __atomic_load_n(&(counter), __ATOMIC_RELAXED) + (amount), __ATOMIC_RELAXED)
#define COUNTER_READ(counter) __atomic_load_n(&(counter), __ATOMIC_RELAXED)

struct media_worker {
	pthread_t thread;
	unsigned int index;
	int epoll_fd;
	int wake_fd;                    /* eventfd: retired calls wait to be freed */
	pthread_mutex_t graveyard_lock;
	GPtrArray *graveyard;           /* struct call * */
	atomic_bool stop;
	int64_t last_quiescent_us;
	struct timer_heap timers;       /* this worker's deadlines; its own thread only */
	pthread_mutex_t requests_lock;
	GArray *timer_requests;         /* struct timer_request, posted by other threads */
	GArray *applying_requests;      /* worker: the batch being applied, kept for reuse */
	atomic_bool requests_pending;   /* timer_requests is not empty */
	/* placement, control thread only (see relay_pick_worker) */
	uint64_t sampled_busy_ns;       /* the thread's CPU time at the last sample */
	uint64_t sampled_packets;       /* counters.packets at the last sample */
	unsigned int load_percent;      /* share of a core used in the last sample */
	unsigned int measured_pps;      /* packets per second it carried in the last sample */
	unsigned int packet_cost_ns;    /* its CPU per packet, measured when it had enough packets */
	unsigned int placed_calls;      /* live calls pinned to it */
	unsigned int placed_streams;    /* their RTP streams with a socket (RTCP is a few per 5 s) */
	struct worker_counters counters;
	/* receive and send buffers, reused every round: packets received during one epoll round
	 * fill the pool from pool_used on; send_count of them wait to be sent at its end */
	unsigned int pool_used, send_count;
	struct mmsghdr receive_headers[RELAY_POOL];
	struct iovec receive_vectors[RELAY_POOL];
	union endpoint sources[RELAY_POOL];
	unsigned char packets[RELAY_POOL][RELAY_PACKET_STRIDE];
	struct mmsghdr send_headers[RELAY_POOL];
	struct iovec send_vectors[RELAY_POOL];
	union endpoint destinations[RELAY_POOL];
	struct stream *send_streams[RELAY_POOL];
};

/* A timer change posted to a worker by another thread (relay_post_timer_*). */
struct timer_request {
	struct timer_entry *timer;
	timer_callback *callback;       /* NULL: cancel */
	void *data;
	int64_t deadline_us;
};

/* ICE on both address families: an epoll event or a queued packet for a stream's other
 * family socket (extras->family_fd) carries the stream pointer with this bit set (streams
 * are 64-byte aligned). */
#define FAMILY_SOCKET_TAG ((uintptr_t) 1)

static inline struct stream *untag_stream(const void *tagged)
{
	return (struct stream *) ((uintptr_t) tagged & ~FAMILY_SOCKET_TAG);
}

static struct relay_settings settings;
static struct media_worker **workers;

/* The worker thread is never cancelled, so the libc wrappers' cancellation bookkeeping
 * (two calls around every system call) is skipped on the packet path. */
static int raw_recvmmsg(int fd, struct mmsghdr *messages, unsigned int count)
{
	return (int) syscall(SYS_recvmmsg, fd, messages, count, MSG_DONTWAIT, NULL);
}

static int raw_sendmmsg(int fd, struct mmsghdr *messages, unsigned int count)
{
	return (int) syscall(SYS_sendmmsg, fd, messages, count, MSG_DONTWAIT);
}

static int raw_epoll_wait(int epoll_fd, struct epoll_event *events, int count, int timeout_ms)
{
	return (int) syscall(SYS_epoll_wait, epoll_fd, events, count, timeout_ms);
}

/* Packet timestamps need no more than the scheduler tick: the coarse clock is a plain read. */
static int64_t now_coarse_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static void wake_worker(struct media_worker *worker)
{
	uint64_t one = 1;
	if (write(worker->wake_fd, &one, sizeof(one)) < 0)
		log_debug("worker wake: %s", strerror(errno));
}

/* Any thread but the worker's: queues a timer change for the worker. */
static int post_timer_request(struct media_worker *worker, const struct timer_request *request, bool wake)
{
	if (!worker)
		return -EINVAL;
	pthread_mutex_lock(&worker->requests_lock);
	g_array_append_vals(worker->timer_requests, request, 1);
	atomic_store_explicit(&worker->requests_pending, true, memory_order_relaxed);
	pthread_mutex_unlock(&worker->requests_lock);
	if (wake)
		wake_worker(worker);
	return 0;
}

/* Worker thread: applies the timer requests other threads posted, in the order posted. */
static void apply_timer_requests(struct media_worker *worker)
{
	pthread_mutex_lock(&worker->requests_lock);
	GArray *requests = worker->timer_requests;
	worker->timer_requests = worker->applying_requests;
	worker->applying_requests = requests;
	atomic_store_explicit(&worker->requests_pending, false, memory_order_relaxed);
	pthread_mutex_unlock(&worker->requests_lock);
	for (unsigned int i = 0; i < requests->len; i++) {
		struct timer_request *request = &g_array_index(requests, struct timer_request, i);
		if (!request->callback) {
			timer_heap_cancel(&worker->timers, request->timer);
			continue;
		}
		if (relay_worker_timer_add(worker, request->timer, request->deadline_us, request->callback,
					   request->data) < 0)
			log_error("worker %u: no memory for a timer", worker->index);
	}
	g_array_set_size(requests, 0);
}

static void free_retired_calls(struct media_worker *worker)
{
	uint64_t ignored;
	if (read(worker->wake_fd, &ignored, sizeof(ignored)) < 0 && errno != EAGAIN)
		log_debug("worker %u: eventfd read: %s", worker->index, strerror(errno));
	pthread_mutex_lock(&worker->graveyard_lock);
	GPtrArray *retired = worker->graveyard;
	worker->graveyard = g_ptr_array_new();
	pthread_mutex_unlock(&worker->graveyard_lock);
	/* timer cancels posted before these calls were retired are queued by now: apply them
	 * before the memory holding the entries goes */
	apply_timer_requests(worker);
	for (unsigned int i = 0; i < retired->len; i++)
		call_free(retired->pdata[i]);
	g_ptr_array_free(retired, TRUE);
}

/* Where packets for this stream's peer go: the learned source unless the side is
 * asymmetric or learning is off, else the address its SDP announced. */
const union endpoint *relay_stream_destination(const struct stream *stream)
{
	if ((stream->state & STREAM_LATCHED) && !(stream->forward_flags & FORWARD_ASYMMETRIC)
	    && settings.endpoint_learning != ENDPOINT_LEARNING_OFF)
		return &stream->learned;
	if (endpoint_is_set(&stream->advertised))
		return &stream->advertised;
	return NULL;
}

/* Reports what endpoint learning did with a packet (endpoint_learning.h); the rare case,
 * out of line. Returns false when the packet must be dropped (strict-source). */
static bool __attribute__((noinline)) report_learning(struct media_worker *worker, const struct stream *stream,
                                                     unsigned int events)
{
	if (events & LEARNING_DROP) {
		COUNTER_ADD(worker->counters.dropped_strict_source, 1);
		return false;
	}
	char text[ENDPOINT_TEXT_SIZE];
	const char *call_id = stream->call->call_id;
	endpoint_text(&stream->learned, text, sizeof(text));
	if (events & LEARNING_HANDOVER)
		log_call(LOG_INFO, call_id, "port %u: media handover to %s", stream->local_port, text);
	if (events & LEARNING_RELEARNED)
		log_call(LOG_INFO, call_id, "port %u: re-learned peer address %s during learning window",
			 stream->local_port, text);
	if (events & LEARNING_CONFIRMED)
		log_call(LOG_INFO, call_id, "port %u: confirmed peer address as %s", stream->local_port, text);
	else if (events & LEARNING_LATCHED)
		log_call(LOG_INFO, call_id, "port %u: learned peer address %s (confirming in %lld s)",
			 stream->local_port, text, ENDPOINT_LEARNING_DELAY_US / 1000000);
	return true;
}

/* Source checks and endpoint learning for one packet. Returns false when the packet must
 * be dropped (strict-source). */
static inline bool learn_source(struct media_worker *worker, struct stream *stream, const union endpoint *source,
                                int64_t now_us)
{
	unsigned int events = endpoint_learning_packet(stream, settings.endpoint_learning, source, now_us);
	return __builtin_expect(!events, 1) || report_learning(worker, stream, events);
}

/* Sends everything collected during one epoll round. Holding packets back until the round
 * ends sends them in a burst: the receivers wake once per round instead of once per socket,
 * and do not preempt this thread in the middle of it (measured: a tenth of the involuntary
 * context switches, about 15% less CPU per packet). Consecutive packets that leave through the
 * same socket go out in one sendmmsg(). The call's lock is taken again per run: the control
 * thread may have ended the call (and closed its sockets) since the packets were queued. */
static void flush_pending(struct media_worker *worker)
{
	unsigned int count = worker->send_count;
	unsigned int start = 0;
	while (start < count) {
		struct stream *tagged = worker->send_streams[start];
		unsigned int end = start + 1;
		while (end < count && worker->send_streams[end] == tagged)
			end++;
		struct stream *out = untag_stream(tagged);
		struct call *call = out->call;
		pthread_mutex_lock(&call->lock);
		int fd = tagged == out ? out->fd : out->extras->family_fd;
		unsigned int sent_total = 0;
		while (!call->deleted && fd >= 0 && start + sent_total < end) {
			int sent = raw_sendmmsg(fd, &worker->send_headers[start + sent_total],
						end - start - sent_total);
			if (sent <= 0)
				break;
			sent_total += (unsigned int) sent;
		}
		unsigned int lost = end - start - sent_total;
		if (lost && call->deleted) {
			/* queued earlier in this round, but the call ended since: its sockets are closed */
			COUNTER_ADD(worker->counters.dropped_call_ended, lost);
		} else if (lost) {
			/* the rest of this run is lost: count it on the stream that failed */
			out->counters.errors += lost;
			COUNTER_ADD(worker->counters.errors, lost);
			COUNTER_ADD(worker->counters.dropped_send_failed, lost);
		}
		pthread_mutex_unlock(&call->lock);
		start = end;
	}
	worker->send_count = 0;
	worker->pool_used = 0;
}

/* SRTP or SRTCP by what the packet is; in place, returns the new length or -errno. */
static int srtp_unprotect(struct srtp_context *context, unsigned char *packet, size_t length, bool is_rtcp)
{
	return is_rtcp ? srtp_context_unprotect_rtcp(context, packet, length)
		: srtp_context_unprotect_rtp(context, packet, length);
}

static int srtp_protect(struct srtp_context *context, unsigned char *packet, size_t length, bool is_rtcp)
{
	return is_rtcp ? srtp_context_protect_rtcp(context, packet, length, RELAY_PACKET_SIZE)
		: srtp_context_protect_rtp(context, packet, length, RELAY_PACKET_SIZE);
}

/* The SRTP contexts of a stream with FORWARD_SRTP: the media's, or for an RTCP port with its
 * own DTLS association (no rtcp-mux, RFC 5764 section 4.1) that association's. */
static inline struct media_srtp *stream_keys(const struct stream *stream)
{
	const struct media *media = stream->media;
	return stream->kind == STREAM_RTCP && media->rtcp_srtp ? media->rtcp_srtp : media->srtp;
}

/* A packet refused as bad: an error on the stream it came in on (or would have left by)
 * and on the worker, and one count under the name of its drop path. */
static void count_refused(struct media_worker *worker, struct stream *stream, uint64_t *drop_counter)
{
	stream->counters.errors++;
	COUNTER_ADD(worker->counters.errors, 1);
	COUNTER_ADD(*drop_counter, 1);
}

/* An RTCP packet (plain, after SRTCP) for the quality figures and Homer; per RTCP packet,
 * out of line. stream: the socket's stream (the RTP one when multiplexed), input: the media's
 * RTCP stream. */
static void __attribute__((noinline)) report_rtcp(struct media_worker *worker, const struct stream *stream,
                                                 struct stream *input, const unsigned char *packet, size_t length,
                                                 const union endpoint *source, int64_t now_us)
{
	/* the round trip is measured in microseconds: the precise clock, per RTCP packet only */
	if (media_quality_rtcp(input, packet, length, now_us, timer_now_us()) < 0) {
		COUNTER_ADD(worker->counters.rtcp_malformed, 1);
		return;
	}
	COUNTER_ADD(worker->counters.rtcp_parsed, 1);
	if (homer_enabled() && stream->media->interface) {
		union endpoint local = stream->media->interface->local;
		endpoint_set_port(&local, stream->local_port);
		homer_queue_rtcp(stream->call->call_id, source, &local, now_us, packet, length);
	}
}

/* BUNDLE: a packet for member (an RTP stream of a bundled side) leaves by the transport,
 * carrying the member's MID (RFC 9143 section 9.2) so that the receiver can place it even
 * when several m= lines use the same payload types and their SSRCs were never signalled.
 * Returns the packet's new length (unchanged when the element cannot be added). */
static size_t __attribute__((noinline)) bundle_add_mid(const struct stream *member, const struct stream *transport,
						      unsigned char *packet, size_t length)
{
	const struct bundle_group *group = transport->extras->bundle_group;
	if (!group || !group->demux.mid_extension_id || member->extras->bundle_index >= group->demux.media_count)
		return length;
	const char *mid = group->demux.mids[member->extras->bundle_index];
	int added = rtp_header_extension_add_mid(packet, length, RELAY_PACKET_SIZE - SRTP_MAX_TRAILER_LENGTH,
						 group->demux.mid_extension_id, mid, strlen(mid));
	return added > 0 ? (size_t) added : length;
}

/* RFC 4733 event ends reported per batch at most (a digit's end comes once per 50 ms or so) */
#define RELAY_DTMF_EVENTS 4

/* What a chain emitted (none, one, or several after a gap or with another ptime), protected
 * for the sink if it speaks SRTP and sent at once with sendto(): the batch's pool has one slot
 * per received packet, and these are few (one per 20 ms). Under the call's lock. sink: the
 * stream the packets are for; out: the one they leave by (a BUNDLE member's transport, whose
 * receiver places them by the member's MID as it does forwarded ones). */
static void send_chain_output(struct media_worker *worker, struct codec_chain *chain, const struct stream *sink,
		struct stream *out, const union endpoint *destination)
{
	_Static_assert(RELAY_PACKET_SIZE >= CODEC_CHAIN_MAX_PACKET + SRTP_MAX_TRAILER_LENGTH,
		       "a transcoded packet and its SRTP trailer fit the protect capacity");
	unsigned char buffer[RELAY_PACKET_SIZE];
	int produced;
	while ((produced = codec_chain_pop(chain, buffer, CODEC_CHAIN_MAX_PACKET)) > 0) {
		size_t send_length = (size_t) produced;
		if (__builtin_expect(sink->forward_flags & FORWARD_BUNDLE, 0) && sink->extras->bundle_transport == out)
			send_length = bundle_add_mid(sink, out, buffer, send_length);
		if (out->forward_flags & (FORWARD_SRTP | FORWARD_DTLS)) {
			if (!(out->forward_flags & FORWARD_SRTP)) {
				COUNTER_ADD(worker->counters.dtls.dropped_pending, 1);
				continue;
			}
			int protected = srtp_protect(&stream_keys(out)->encrypt, buffer, send_length, false);
			if (protected < 0) {
				count_refused(worker, out, &worker->counters.dropped_srtp);
				continue;
			}
			send_length = (size_t) protected;
		}
		if (sendto(out->fd, buffer, send_length, MSG_DONTWAIT, &destination->address,
			   endpoint_length(destination)) < 0) {
			out->counters.errors++;
			COUNTER_ADD(worker->counters.errors, 1);
		}
	}
}

/* The DTX timer of a transcoded RTP stream (--dtx-delay): one frame of gap fill per ptime
 * until packets come again (the next packet re-arms it at its own delay) or --max-dtx ends it.
 * On the worker, without a lock held: takes the call's. */
static void dtx_fire(struct timer_entry *timer, void *data)
{
	struct stream *stream = data;
	struct call *call = stream->call;
	struct media_worker *worker = call->worker;
	pthread_mutex_lock(&call->lock);
	struct codec_chain *chain = stream->extras->transcode;
	int64_t now = timer_now_us();
	int64_t max_dtx = media_transcode_max_dtx_us();
	struct stream *sink = stream->sink, *out = sink;
	if (out && (out->forward_flags & FORWARD_BUNDLE) && out->extras->bundle_transport)
		out = out->extras->bundle_transport;   /* BUNDLE: leaves by the member's transport */
	const union endpoint *destination = out ? relay_stream_destination(out) : NULL;
	if (!call->deleted && chain && (stream->forward_flags & FORWARD_TRANSCODE) && destination && out->fd >= 0
	    && (max_dtx <= 0 || now - stream->extras->dtx_last_us < max_dtx)) {
		if (codec_chain_fill_frame(chain) > 0)
			send_chain_output(worker, chain, sink, out, destination);
		relay_worker_timer_add(worker, timer, now + codec_chain_frame_us(chain), dtx_fire, stream);
	}
	pthread_mutex_unlock(&call->lock);
}

/* DTX (media_transcode.h): the gap is ours to fill once the stream is quiet for --dtx-delay
 * past the time its next packet was due (its last one's ptime), as 10.5 (measured in
 * tests/e2e/test_upstream_dtx_cn.py: at --dtx-delay=10 a caller sending every 20 or 30 ms gets
 * no fill between its packets). */
static void dtx_arm(struct media_worker *worker, struct stream *stream, struct codec_chain *chain, int64_t arrival_us)
{
	int64_t dtx_delay = media_transcode_dtx_delay_us();
	if (dtx_delay <= 0)
		return;
	stream->extras->dtx_last_us = arrival_us;
	relay_worker_timer_add(worker, &stream->extras->dtx_timer, arrival_us + codec_chain_input_frame_us(chain) + dtx_delay,
			       dtx_fire, stream);
}

/* A transcoded stream's RTP (FORWARD_TRANSCODE): through its codec chain (codec_chain.h); what
 * the chain emits (none, one, or several after a gap or with another ptime) is protected for
 * the sink if it speaks SRTP and sent at once with sendto(): the batch's pool has one slot per
 * received packet, and these are few (one per 20 ms). Under the call's lock, like the batch. */
static void __attribute__((noinline)) relay_transcode(struct media_worker *worker, struct stream *stream,
		const struct stream *sink, struct stream *out, const union endpoint *destination, const unsigned char *packet, size_t length,
		const union endpoint *source, struct media_control_dtmf *dtmf, unsigned int *dtmf_count,
		int64_t arrival_us)
{
	struct codec_chain *chain = stream->extras->transcode;
	if (codec_chain_push(chain, packet, length) < 0) {
		/* not RTP the chain can read: an error on the stream, like a malformed packet */
		stream->counters.errors++;
		COUNTER_ADD(worker->counters.errors, 1);
		return;
	}
	/* digits found in-band (codec_chain.h), reported to --dtmf-log-dest after the lock */
	struct codec_chain_dtmf found;
	while (codec_chain_take_dtmf(chain, &found))
		if (*dtmf_count < RELAY_DTMF_EVENTS
		    && media_control_inband_dtmf(stream, source, found.event, found.duration_ms, found.volume,
						 &dtmf[*dtmf_count]))
			(*dtmf_count)++;
	send_chain_output(worker, chain, sink, out, destination);
	dtx_arm(worker, stream, chain, arrival_us);
}

/* A packet that passes the stream's chain untouched (codec_chain_passthrough()): it takes the
 * chain's next sequence number, and may release transcoded ones the chain held for it. The
 * stream is not quiet: DTX waits. */
static void __attribute__((noinline)) relay_transcode_passing(struct media_worker *worker, struct stream *stream,
		const struct stream *sink, struct stream *out, const union endpoint *destination, unsigned char *packet,
		size_t length, int64_t arrival_us)
{
	struct codec_chain *chain = stream->extras->transcode;
	if (codec_chain_passthrough(chain, packet, length) > 0)
		send_chain_output(worker, chain, sink, out, destination);
	dtx_arm(worker, stream, chain, arrival_us);
}

/* RTCP of a transcoded media (transcode_rtcp.h), plain, before it is forwarded: rtp is the
 * reporter's RTP stream. Its SR describes what the relay sends on the other leg for it, its
 * report blocks what the relay received of the media it hears. Per RTCP packet, out of line. */
static void __attribute__((noinline)) translate_rtcp(struct stream *rtp, unsigned char *packet, size_t length)
{
	struct transcode_rtcp_sent sent = { .known = false };
	struct codec_chain_stats stats;
	if (rtp->extras->transcode) {
		codec_chain_get_stats(rtp->extras->transcode, &stats);
		sent = (struct transcode_rtcp_sent) {
			.known = stats.packets_out > 0 && rtp->last_ssrc != 0,
			.source_ssrc = rtp->last_ssrc, .ssrc = stats.ssrc, .rtp_timestamp = stats.last_timestamp,
			.packets = (uint32_t) stats.packets_out, .octets = (uint32_t) stats.octets_out,
		};
	}
	struct transcode_rtcp_received received = { .known = false };
	struct stream *peer = rtp->sink;
	if (peer && peer->kind == STREAM_RTP && peer->extras->transcode) {
		const struct ssrc_quality *quality = stream_quality(peer);
		codec_chain_get_stats(peer->extras->transcode, &stats);
		if (quality->received && stats.packets_out) {
			/* RFC 3550 appendix A.3 */
			uint32_t expected = quality->highest_sequence - quality->base_sequence + 1;
			uint32_t got = (uint32_t) quality->received;
			struct stream_extras *extras = peer->extras;
			received = (struct transcode_rtcp_received) {
				.known = true, .heard_ssrc = stats.ssrc, .source_ssrc = quality->ssrc,
				.highest_sequence = quality->highest_sequence,
				.cumulative_lost = (int32_t) (expected - got),
				.fraction_lost = transcode_rtcp_fraction_lost(extras->rtcp_expected_prior,
						extras->rtcp_received_prior, expected, got),
			};
			extras->rtcp_expected_prior = expected;
			extras->rtcp_received_prior = got;
		}
	}
	transcode_rtcp_rewrite(packet, length, &sent, &received);
}

/* BUNDLE (RFC 9143 section 9.2): the RTP stream of the media a packet that arrived on a
 * shared transport belongs to, by the transport's demultiplexing table (under the call's
 * lock: it learns SSRCs). RTCP goes by its sender's SSRC, else stays with the transport's own
 * media; RTP that nothing places: NULL. */
static struct stream *__attribute__((noinline)) bundle_route(struct stream *transport, const unsigned char *packet,
							    size_t length, bool is_rtcp)
{
	struct bundle_group *group = transport->extras->bundle_group;
	int index = is_rtcp ? bundle_demux_route_rtcp(&group->demux, packet, length)
		: bundle_demux_route(&group->demux, packet, length);
	if (index < 0)
		return is_rtcp ? transport : NULL;
	return &group->members[index]->streams[STREAM_RTP];
}

/* One packet sent at once, outside the batch (copies, delayed packets); a failure counts as
 * the stream's error, as a failed batch send does. */
static void relay_send_now(struct media_worker *worker, struct stream *out, int fd, const union endpoint *destination,
			   const unsigned char *packet, size_t length)
{
	if (sendto(fd, packet, length, MSG_DONTWAIT, &destination->address, endpoint_length(destination)) < 0) {
		out->counters.errors++;
		COUNTER_ADD(worker->counters.errors, 1);
	}
}

/* publish/subscribe: one copy of a plaintext packet (a fork or a mirrored RTCP packet) sent at
 * once with sendto() from out's socket, SRTP/SRTCP-protected with out's own keys in a stack
 * copy when out speaks SRTP (RFC 3711 section 3.3); dropped while a DTLS handshake has not
 * keyed it yet. No allocation: the copy lives on the stack. */
static void relay_send_copy(struct media_worker *worker, struct stream *out, const union endpoint *destination,
			    bool is_rtcp, const unsigned char *packet, size_t length)
{
	unsigned char buffer[RELAY_PACKET_SIZE];
	const unsigned char *send = packet;
	if (out->forward_flags & (FORWARD_SRTP | FORWARD_DTLS)) {
		if (!(out->forward_flags & FORWARD_SRTP) || length > RELAY_PACKET_SIZE - SRTP_MAX_TRAILER_LENGTH) {
			COUNTER_ADD(worker->counters.dtls.dropped_pending, 1);
			return;
		}
		memcpy(buffer, packet, length);
		int protected = srtp_protect(&stream_keys(out)->encrypt, buffer, length, is_rtcp);
		if (protected < 0) {
			count_refused(worker, out, &worker->counters.dropped_srtp);
			return;
		}
		send = buffer;
		length = (size_t) protected;
	}
	relay_send_now(worker, out, out->fd, destination, send, length);
}

/* publish/subscribe (pubsub.h): a copy of a packet received on a source media (plaintext,
 * length bytes) for each of its subscribers, sent at once with sendto() under the call's lock
 * (the batch's pool has one slot per received packet; copies are few per source). RTP leaves
 * unchanged, as 10.5 forks it. Per packet of a forked stream only, out of line. */
static void __attribute__((noinline)) relay_forks(struct media_worker *worker, const struct stream *via,
						 bool is_rtcp, const unsigned char *packet, size_t length)
{
	const struct pubsub_forks *forks = via->media->streams[STREAM_RTP].extras->forks;
	if (!forks)
		return;
	for (unsigned int n = 0; n < forks->count; n++) {
		struct media *sink = forks->sinks[n];
		struct stream *out = &sink->streams[STREAM_RTP];
		if (is_rtcp && !(out->forward_flags & FORWARD_RTCP_MUX))
			out = &sink->streams[STREAM_RTCP];
		const union endpoint *destination = relay_stream_destination(out);
		if (!destination || out->fd < 0)
			continue;
		if (!is_rtcp && (out->forward_flags & FORWARD_TRANSCODE)
		    && !codec_chain_passes(out->extras->transcode, packet[1] & 0x7f)) {
			/* allow-transcoding: this subscriber's own chain (media_transcode.h) */
			if (codec_chain_push(out->extras->transcode, packet, length) < 0)
				COUNTER_ADD(worker->counters.errors, 1);
			else
				send_chain_output(worker, out->extras->transcode, out, out, destination);
			continue;
		}
		relay_send_copy(worker, out, destination, is_rtcp, packet, length);
	}
}

/* publish/subscribe's rtcp-mirror (pubsub.h): RTCP a subscriber sent (plaintext) goes back to
 * its source, from the relay's port that faces the source, SRTCP-protected if the source speaks
 * SRTP, as 10.5 mirrors it. Subscribers' RTCP only (every few seconds): out of line. */
static void __attribute__((noinline)) relay_rtcp_mirror(struct media_worker *worker, struct media *source,
						       const unsigned char *packet, size_t length)
{
	struct stream *out = &source->streams[STREAM_RTCP];
	if (out->forward_flags & FORWARD_RTCP_MUX)
		out = &source->streams[STREAM_RTP];
	const union endpoint *destination = relay_stream_destination(out);
	if (!destination || out->fd < 0) {
		COUNTER_ADD(worker->counters.dropped_no_destination, 1);
		return;
	}
	relay_send_copy(worker, out, destination, true, packet, length);
}

/* block/silence media or DTMF (media_control.h) on one RTP packet (plaintext): true when it is
 * dropped (counted). A DTMF event it ends goes into dtmf, reported once the call's lock is
 * released (beyond RELAY_DTMF_EVENTS per batch: not reported). source: the party's address
 * for the report. Under the call's lock. */
static inline bool relay_media_control_drops(struct media_worker *worker, struct stream *stream,
		unsigned char *packet, size_t length, const union endpoint *source,
		struct media_control_dtmf *dtmf, unsigned int *dtmf_count)
{
	bool seen = false;
	struct media_control_dtmf overflow;   /* beyond RELAY_DTMF_EVENTS: not reported */
	bool drop = media_control_drops(stream, packet, length, source,
					*dtmf_count < RELAY_DTMF_EVENTS ? &dtmf[*dtmf_count] : &overflow, &seen);
	if (seen && *dtmf_count < RELAY_DTMF_EVENTS)
		(*dtmf_count)++;
	if (drop)
		COUNTER_ADD(worker->counters.dropped_blocked, 1);
	return drop;
}

/* The forwarding tail of every packet media control let pass, whether it was just received
 * (process_stream()) or leaves a DTMF-delay line (relay_forward_delayed()): copies for the
 * subscribers, media echo, the peer's stream and the one it leaves by (RTCP's, BUNDLE's
 * transport), consent, transcoding, and SRTP protection in place (packet has room for
 * RELAY_PACKET_SIZE bytes). Returns the stream the packet leaves by, with *destination and
 * *length set, for the caller to send (queued or at once); NULL when nothing is left to send
 * here (forked only, mirrored, transcoded: the chain's output went out already) or it was
 * dropped (counted). via: the stream whose media the packet belongs to (a BUNDLE member's on
 * its transport); source: where it came from (in-band DTMF reports). Under the call's lock.
 * Inlined into both callers: the received path keeps the code it had, and the delayed one
 * (RTP only) loses the RTCP branches. */
static inline __attribute__((always_inline)) struct stream *relay_route(struct media_worker *worker,
		struct stream *via, bool is_rtcp, unsigned char *packet, size_t *length, const union endpoint *source,
		struct media_control_dtmf *dtmf, unsigned int *dtmf_count, int64_t arrival_us,
		const union endpoint **destination)
{
	/* publish/subscribe: copies for the subscribers before anything changes the packet */
	if (__builtin_expect(via->forward_flags & FORWARD_FORK, 0))
		relay_forks(worker, via, is_rtcp, packet, *length);
	struct stream *sink = via->sink;
	/* media echo (ng media-echo): back to this side, or nowhere, instead of the peer;
	 * RTCP too, as 10.5 */
	if (__builtin_expect(via->forward_flags & (FORWARD_ECHO | FORWARD_ECHO_DROP), 0)) {
		if (via->forward_flags & FORWARD_ECHO_DROP) {
			COUNTER_ADD(worker->counters.dropped_blocked, 1);
			return NULL;
		}
		sink = is_rtcp && via->kind == STREAM_RTCP ? via - 1 : via;
	}
	if (!sink) {
		/* a publisher has no peer: its media is only forked; a subscriber's RTCP
		 * goes back to its source with rtcp-mirror (the RTCP stream's extras) */
		struct media *mirror = is_rtcp ? via->media->streams[STREAM_RTCP].extras->rtcp_mirror : NULL;
		if (__builtin_expect(mirror != NULL, 0))
			relay_rtcp_mirror(worker, mirror, packet, *length);
		else if (!(via->forward_flags & FORWARD_FORK))
			COUNTER_ADD(worker->counters.dropped_no_destination, 1);
		return NULL;
	}
	/* the sink is the peer's stream of the same kind; RTCP goes out on the peer's RTP
	 * stream if the peer multiplexes, else on its RTCP stream (next to the RTP one) */
	struct stream *out = sink;
	if (is_rtcp && sink->kind == STREAM_RTP && !(sink->forward_flags & FORWARD_RTCP_MUX))
		out = sink + 1;
	else if (is_rtcp && sink->kind == STREAM_RTCP && (sink->forward_flags & FORWARD_RTCP_MUX))
		out = sink - 1;
	/* BUNDLE: the member's packets leave by the shared transport (its socket, peer and
	 * keys), RTCP multiplexed there (RFC 8843 section 9.1 needs rtcp-mux) */
	if (__builtin_expect(out->forward_flags & FORWARD_BUNDLE, 0) && out->extras->bundle_transport) {
		struct stream *transport = out->extras->bundle_transport;
		if (!is_rtcp)
			*length = bundle_add_mid(sink, transport, packet, *length);
		out = transport;
	}
	/* the peer's address: for multiplexed RTCP the RTP peer, else the stream's own */
	*destination = relay_stream_destination(out);
	if (!*destination || out->fd < 0) {
		COUNTER_ADD(worker->counters.dropped_no_destination, 1);
		return NULL;
	}
	/* RFC 7675 section 5.1: the ICE peer stopped answering consent checks */
	if (out->state & STREAM_ICE_NO_CONSENT) {
		COUNTER_ADD(worker->counters.dropped_ice_consent, 1);
		return NULL;
	}
	if (!is_rtcp && (via->forward_flags & FORWARD_TRANSCODE) && sink != via) {
		/* decoding costs: off the plain path, behind this one flag test (via: a
		 * BUNDLE member's own chain); a codec both sides have passes untouched, in
		 * the chain's series of sequence numbers */
		if (!codec_chain_passes(via->extras->transcode, packet[1] & 0x7f)) {
			relay_transcode(worker, via, sink, out, *destination, packet, *length, source, dtmf, dtmf_count,
					arrival_us);
			return NULL;
		}
		relay_transcode_passing(worker, via, sink, out, *destination, packet, *length, arrival_us);
	}
	if (out->forward_flags & (FORWARD_SRTP | FORWARD_DTLS)) {
		if (!(out->forward_flags & FORWARD_SRTP)) {
			/* DTLS towards that side has no keys yet: nothing may leave in the clear */
			COUNTER_ADD(worker->counters.dtls.dropped_pending, 1);
			return NULL;
		}
		int protected = srtp_protect(&stream_keys(out)->encrypt, packet, *length, is_rtcp);
		if (protected < 0) {
			count_refused(worker, out, &worker->counters.dropped_srtp);
			return NULL;
		}
		*length = (size_t) protected;
	}
	return out;
}

/* ICE on both address families: a packet leaves by the socket of its destination's family */
static inline bool relay_leaves_by_family_socket(const struct stream *out, const union endpoint *destination)
{
	return __builtin_expect(out->forward_flags & FORWARD_FAMILY_SOCKET, 0)
		&& destination->address.sa_family == out->extras->family;
}

/* DTMF-delay (dtmf_delay.h): an RTP packet of stream that waited in its delay line (plaintext,
 * in a buffer of RELAY_PACKET_SIZE), on the rest of the packet path now: media control judges
 * it (the blocking in force now decides, as upstream documents), then relay_route() as for a
 * packet that did not wait; sent at once with sendto() (the batch's send pool has a slot per
 * received packet only). Under the call's lock. Not used for BUNDLE transports' own packets
 * (their lines are never set), so the stream is its own via. */
static void relay_forward_delayed(struct media_worker *worker, struct stream *stream, unsigned char *packet,
		size_t length, struct media_control_dtmf *dtmf, unsigned int *dtmf_count, int64_t now_us)
{
	_Static_assert(DTMF_DELAY_SLOT_BYTES <= RELAY_PACKET_SIZE - SRTP_MAX_TRAILER_LENGTH,
		       "a delayed packet, its MID and its SRTP trailer fit the buffer it is sent from");
	/* the party's address for DTMF reports: where its packets come from */
	union endpoint source = stream->learned;
	if (relay_media_control_drops(worker, stream, packet, length, &source, dtmf, dtmf_count))
		return;
	const union endpoint *destination;
	struct stream *out = relay_route(worker, stream, false, packet, &length, &source, dtmf, dtmf_count, now_us,
					 &destination);
	if (!out)
		return;
	int fd = relay_leaves_by_family_socket(out, destination) ? out->extras->family_fd : out->fd;
	relay_send_now(worker, out, fd, destination, packet, length);
}

/* DTMF-delay: the worker timer of a delay line, armed while packets wait in it; sends what is
 * due and re-arms for the next. On the worker, without a lock held: takes the call's. */
static void dtmf_delay_fire(struct timer_entry *timer, void *data)
{
	struct dtmf_delay_line *line = data;
	struct stream *stream = line->stream;
	struct call *call = stream->call;
	struct media_worker *worker = call->worker;
	struct media_control_dtmf dtmf[RELAY_DTMF_EVENTS];
	unsigned int dtmf_count = 0;
	pthread_mutex_lock(&call->lock);
	if (!call->deleted) {
		int64_t now = timer_now_us();
		unsigned char buffer[RELAY_PACKET_SIZE];
		int length;
		for (unsigned int bound = line->capacity;
		     bound > 0 && (length = dtmf_delay_line_pop(line, now, 0, buffer, sizeof(buffer))) > 0; bound--)
			relay_forward_delayed(worker, stream, buffer, (size_t) length, dtmf, &dtmf_count, now);
		if (line->count)
			relay_worker_timer_add(worker, timer, dtmf_delay_line_next_due(line), dtmf_delay_fire, line);
	}
	pthread_mutex_unlock(&call->lock);
	for (unsigned int e = 0; e < dtmf_count; e++)
		media_control_report(&dtmf[e]);
}

/* DTMF-delay: an RTP packet into the stream's delay line, under the call's lock; true when it
 * waits there. A full line lets its oldest packet go first; a packet too large for a slot is
 * not delayed (false: it goes on at once). */
static bool __attribute__((noinline)) relay_delay_packet(struct media_worker *worker, struct stream *stream,
		struct dtmf_delay_line *line, const unsigned char *packet, size_t length,
		struct media_control_dtmf *dtmf, unsigned int *dtmf_count, int64_t arrival_us)
{
	bool was_empty = line->count == 0;
	int pushed = dtmf_delay_line_push(line, packet, length, arrival_us);
	if (pushed == -ENOSPC) {
		unsigned char buffer[RELAY_PACKET_SIZE];
		int oldest = dtmf_delay_line_pop(line, arrival_us, 1, buffer, sizeof(buffer));
		if (oldest > 0)
			relay_forward_delayed(worker, stream, buffer, (size_t) oldest, dtmf, dtmf_count, arrival_us);
		pushed = dtmf_delay_line_push(line, packet, length, arrival_us);
	}
	if (pushed < 0)
		return false;
	if (was_empty)
		relay_worker_timer_add(worker, &line->timer, dtmf_delay_line_next_due(line), dtmf_delay_fire, line);
	return true;
}

void relay_dtmf_delay_free(struct media_worker *worker, struct dtmf_delay_line *line)
{
	for (struct dtmf_delay_line *l = line; l && worker; l = l->replaced)
		relay_worker_timer_cancel(worker, &l->timer);
	dtmf_delay_line_free(line);
}

/* now_us: CLOCK_REALTIME_COARSE (counters, learning); arrival_us: CLOCK_MONOTONIC read once
 * per epoll round, for the interarrival jitter (media_quality.h), which needs better than the
 * coarse clock's milliseconds: a round's packets share it (a round takes well under 1 ms). */
static void process_stream(struct media_worker *worker, struct stream *stream, bool family_socket, int64_t now_us,
                           int64_t arrival_us)
{
	/* before taking this call's lock: flushing takes the lock of every call it sends for */
	if (worker->pool_used + RELAY_BATCH > RELAY_POOL)
		flush_pending(worker);
	struct call *call = stream->call;
	pthread_mutex_lock(&call->lock);
	int fd = __builtin_expect(family_socket, 0) ? stream->extras->family_fd : stream->fd;
	if (call->deleted || fd < 0) {
		pthread_mutex_unlock(&call->lock);
		return;
	}
	unsigned int base = worker->pool_used;
	int received = raw_recvmmsg(fd, &worker->receive_headers[base], RELAY_BATCH);
	if (received <= 0) {
		pthread_mutex_unlock(&call->lock);
		return;
	}
	unsigned int outgoing = worker->send_count;
	/* DTMF events seen in this batch, reported once the lock is released (media_control.h) */
	struct media_control_dtmf dtmf[RELAY_DTMF_EVENTS];
	unsigned int dtmf_count = 0;
	for (int r = 0; r < received; r++) {
		unsigned int i = base + (unsigned int) r;
		struct msghdr *header = &worker->receive_headers[i].msg_hdr;
		size_t length = worker->receive_headers[i].msg_len;
		if (header->msg_flags & MSG_TRUNC) {
			count_refused(worker, stream, &worker->counters.dropped_truncated);
			continue;
		}
		const unsigned char *packet = worker->packets[i];
		if (stream->forward_flags & FORWARD_ICE) {
			uint64_t errors_before = stream->counters.errors;
			if (ice_handle_packet(stream, packet, length, &worker->sources[i])) {
				/* the responder counts a STUN message it cannot parse on the stream */
				if (stream->counters.errors != errors_before) {
					COUNTER_ADD(worker->counters.errors, 1);
					COUNTER_ADD(worker->counters.dropped_stun_malformed, 1);
				} else {
					COUNTER_ADD(worker->counters.stun_consumed, 1);
				}
				continue;
			}
		}
		if (stream->forward_flags & FORWARD_DTLS) {
			/* RFC 7983 section 7: DTLS records are the handshake's; media waits for its keys */
			if (dtls_is_record(packet, length)) {
				dtls_handle_packet(stream->extras->dtls, packet, length, &worker->sources[i],
						   &worker->counters.dtls);
				continue;
			}
			if (!(stream->forward_flags & FORWARD_SRTP)) {
				COUNTER_ADD(worker->counters.dtls.dropped_pending, 1);
				continue;
			}
		}
		/* RFC 5761 section 4: on a multiplexed port, payload types 64-95 are RTCP */
		bool is_rtcp = stream->kind == STREAM_RTCP
			|| ((stream->forward_flags & FORWARD_RTCP_MUX) && rtp_packet_is_rtcp(packet, length));
		/* the RTCP stream follows the RTP stream in its media */
		struct stream *input = is_rtcp && stream->kind == STREAM_RTP ? stream + 1 : stream;
		size_t wire_length = length;
		if (stream->forward_flags & FORWARD_SRTP) {
			/* RFC 3711 section 3.3: authenticate before the source may move the latch */
			int plain = srtp_unprotect(&stream_keys(stream)->decrypt, worker->packets[i], length, is_rtcp);
			if (plain < 0) {
				count_refused(worker, input, &worker->counters.dropped_srtp);
				continue;
			}
			length = (size_t) plain;
		}
		if (!learn_source(worker, stream, &worker->sources[i], now_us)) {
			/* counted as dropped_strict_source where the decision is made */
			input->counters.errors++;
			COUNTER_ADD(worker->counters.errors, 1);
			continue;
		}
		/* the stream whose media the packet belongs to: this one's, or on a BUNDLE
		 * transport the member's the demultiplexer names */
		struct stream *via = stream;
		if (__builtin_expect(stream->forward_flags & FORWARD_BUNDLE, 0) && stream->extras->bundle_group) {
			via = bundle_route(stream, packet, length, is_rtcp);
			if (!via) {
				count_refused(worker, stream, &worker->counters.dropped_bundle_unknown);
				continue;
			}
			input = is_rtcp ? via + 1 : via;
		}
		if (is_rtcp && stream->kind == STREAM_RTP) {
			/* the RTCP stream of a multiplexing side shares the RTP source */
			input->learned = stream->learned;
			input->state = stream->state;
		}
		input->counters.packets++;
		input->counters.bytes += wire_length;
		input->counters.last_packet_us = now_us;
		if (!is_rtcp) {
			uint32_t ssrc;
			if (rtp_packet_ssrc(packet, length, &ssrc) == 0) {
				input->last_ssrc = ssrc;
				media_quality_rtp(stream_quality(input), packet, arrival_us);
			}
		} else {
			report_rtcp(worker, stream, input, packet, length, &worker->sources[i], now_us);
			/* after the quality figures took the endpoint's own report */
			if (input->forward_flags & FORWARD_TRANSCODE)
				translate_rtcp(input - 1, worker->packets[i], length);
		}
		COUNTER_ADD(worker->counters.packets, 1);
		COUNTER_ADD(worker->counters.bytes, wire_length);
		/* call recording: a copy of the plaintext, queued for the writer thread (never blocks) */
		if (stream->forward_flags & FORWARD_RECORD)
			recording_capture(worker->index, stream->extras->recording_sink, &worker->sources[i],
					  packet, length);

		/* block/silence media or DTMF (media_control.h): RTP only, RTCP passes */
		if (!is_rtcp && (stream->forward_flags & FORWARD_MEDIA_CONTROL)) {
			/* DTMF-delay: judged and sent when it leaves the delay line (not on a BUNDLE
			 * transport, whose members' lines are never set) */
			struct stream_extras *rtp_extras = stream->media->streams[STREAM_RTP].extras;
			if (__builtin_expect(rtp_extras->media_control & MEDIA_CONTROL_DTMF_DELAY, 0) && via == stream
			    && stream->kind == STREAM_RTP && rtp_extras->dtmf_delay
			    && relay_delay_packet(worker, stream, rtp_extras->dtmf_delay, worker->packets[i], length, dtmf,
						  &dtmf_count, arrival_us))
				continue;
			if (relay_media_control_drops(worker, stream, worker->packets[i], length, &worker->sources[i], dtmf,
						      &dtmf_count))
				continue;
		}
		const union endpoint *destination;
		struct stream *out = relay_route(worker, via, is_rtcp, worker->packets[i], &length, &worker->sources[i],
						 dtmf, &dtmf_count, arrival_us, &destination);
		if (!out)
			continue;
		worker->destinations[outgoing] = *destination;
		worker->send_vectors[outgoing].iov_base = worker->packets[i];
		worker->send_vectors[outgoing].iov_len = length;
		worker->send_headers[outgoing].msg_hdr.msg_namelen = endpoint_length(destination);
		worker->send_streams[outgoing] = out;
		if (relay_leaves_by_family_socket(out, destination))
			worker->send_streams[outgoing] = (struct stream *) ((uintptr_t) out | FAMILY_SOCKET_TAG);
		outgoing++;
	}
	worker->send_count = outgoing;
	worker->pool_used += (unsigned int) received;
	pthread_mutex_unlock(&call->lock);
	for (unsigned int e = 0; e < dtmf_count; e++)
		media_control_report(&dtmf[e]);
	/* recvmmsg() overwrote the address lengths of the headers it filled */
	for (int r = 0; r < received; r++)
		worker->receive_headers[base + r].msg_hdr.msg_namelen = sizeof(worker->sources[base + r]);
}

/* With hundreds of calls each stream is touched once per packet interval (20 ms), long
 * enough for the kernel's own work to push it out of the caches. So the round's streams are
 * requested from memory together, up front, and each stream's call and sink while the
 * stream before it is processed, instead of one miss after another. (On the benchmark
 * machine the effect is within the noise: there the relay's own instructions are a few
 * percent of its CPU time; it matters more on hosts with slower memory.) */
static void prefetch_streams(const struct epoll_event *events, int ready)
{
	for (int i = 0; i < ready; i++) {
		const char *stream = (const char *) untag_stream(events[i].data.ptr);
		if (stream) {
			__builtin_prefetch(stream, 1);
			__builtin_prefetch(stream + STREAM_CACHE_LINE, 1);
		}
	}
}

static void prefetch_call_and_sink(const struct stream *stream)
{
	if (!stream)
		return;
	__builtin_prefetch(stream->call, 1);
	/* the media quality counters' cache line (call.h stream_quality()) */
	if (stream->kind == STREAM_RTP)
		__builtin_prefetch(stream_quality(stream), 1);
	if (stream->sink) {
		__builtin_prefetch(stream->sink, 1);
		__builtin_prefetch((const char *) stream->sink + STREAM_CACHE_LINE, 1);
	}
}

static void *worker_main(void *argument)
{
	struct media_worker *worker = argument;
	struct epoll_event events[RELAY_EPOLL_EVENTS];
	char name[16];
	snprintf(name, sizeof(name), "media-%u", worker->index);
	pthread_setname_np(pthread_self(), name);
	while (!atomic_load(&worker->stop)) {
		/* without timers, no clock read: the packet path costs what it did */
		int timeout_ms = RELAY_QUIESCENT_INTERVAL_MS;
		if (worker->timers.count)
			timeout_ms = timer_heap_timeout_ms(&worker->timers, timer_now_us(), RELAY_QUIESCENT_INTERVAL_MS);
		int ready = raw_epoll_wait(worker->epoll_fd, events, RELAY_EPOLL_EVENTS, timeout_ms);
		if (ready < 0 && errno != EINTR) {
			log_error("worker %u: epoll_wait: %s", worker->index, strerror(errno));
			break;
		}
		bool woken = false;
		int64_t now = now_coarse_us();
		int64_t arrival = ready > 0 ? timer_now_us() : 0;
		prefetch_streams(events, ready);
		for (int i = 0; i < ready; i++) {
			if (i + 1 < ready)
				prefetch_call_and_sink(untag_stream(events[i + 1].data.ptr));
			if (events[i].data.ptr)
				process_stream(worker, untag_stream(events[i].data.ptr),
					       ((uintptr_t) events[i].data.ptr & FAMILY_SOCKET_TAG) != 0, now, arrival);
			else
				woken = true;
		}
		flush_pending(worker);
		/* timers after the round's packets are out; posted requests first, so that a cancel
		 * posted before the deadline is honoured */
		if (atomic_load_explicit(&worker->requests_pending, memory_order_relaxed))
			apply_timer_requests(worker);
		if (worker->timers.count)
			timer_heap_fire_due(&worker->timers, timer_now_us());
		/* quiescent point: no pointer from this round's events is used any more */
		if (woken || ready <= 0 || now - worker->last_quiescent_us >= RELAY_QUIESCENT_INTERVAL_MS * 1000LL) {
			worker->last_quiescent_us = now;
			free_retired_calls(worker);
		}
	}
	free_retired_calls(worker);
	return NULL;
}

int relay_start(const struct relay_settings *requested)
{
	settings = *requested;
	if (settings.worker_count == 0)
		settings.worker_count = 1;
	workers = g_new0(struct media_worker *, settings.worker_count);
	for (unsigned int i = 0; i < settings.worker_count; i++) {
		struct media_worker *worker = g_new0(struct media_worker, 1);
		worker->index = i;
		worker->packet_cost_ns = RELAY_DEFAULT_PACKET_COST_NS;
		worker->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		worker->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (worker->epoll_fd < 0 || worker->wake_fd < 0) {
			log_error("cannot create media worker: %s", strerror(errno));
			return -errno;
		}
		pthread_mutex_init(&worker->graveyard_lock, NULL);
		pthread_mutex_init(&worker->requests_lock, NULL);
		timer_heap_init(&worker->timers);
		worker->timer_requests = g_array_new(FALSE, FALSE, sizeof(struct timer_request));
		worker->applying_requests = g_array_new(FALSE, FALSE, sizeof(struct timer_request));
		for (unsigned int b = 0; b < RELAY_POOL; b++) {
			worker->receive_vectors[b].iov_base = worker->packets[b];
			/* room left for the SRTP trailer when a plain packet is protected on the way out */
			worker->receive_vectors[b].iov_len = RELAY_PACKET_SIZE - SRTP_MAX_TRAILER_LENGTH;
			struct msghdr *header = &worker->receive_headers[b].msg_hdr;
			header->msg_name = &worker->sources[b];
			header->msg_namelen = sizeof(worker->sources[b]);
			header->msg_iov = &worker->receive_vectors[b];
			header->msg_iovlen = 1;
		}
		worker->graveyard = g_ptr_array_new();
		for (unsigned int b = 0; b < RELAY_POOL; b++) {
			struct msghdr *send = &worker->send_headers[b].msg_hdr;
			send->msg_name = &worker->destinations[b];
			send->msg_iov = &worker->send_vectors[b];
			send->msg_iovlen = 1;
		}
		struct epoll_event event = { .events = EPOLLIN, .data.ptr = NULL };
		epoll_ctl(worker->epoll_fd, EPOLL_CTL_ADD, worker->wake_fd, &event);
		workers[i] = worker;
		int error = pthread_create(&worker->thread, NULL, worker_main, worker);
		if (error) {
			log_error("cannot start media worker: %s", strerror(error));
			return -error;
		}
	}
	return 0;
}

void relay_stop(void)
{
	if (!workers)
		return;
	for (unsigned int i = 0; i < settings.worker_count; i++) {
		struct media_worker *worker = workers[i];
		atomic_store(&worker->stop, true);
		uint64_t one = 1;
		if (write(worker->wake_fd, &one, sizeof(one)) < 0)
			log_debug("worker wake: %s", strerror(errno));
	}
	for (unsigned int i = 0; i < settings.worker_count; i++) {
		struct media_worker *worker = workers[i];
		pthread_join(worker->thread, NULL);
		close(worker->epoll_fd);
		close(worker->wake_fd);
		g_ptr_array_free(worker->graveyard, TRUE);
		pthread_mutex_destroy(&worker->graveyard_lock);
		timer_heap_destroy(&worker->timers);
		g_array_free(worker->timer_requests, TRUE);
		g_array_free(worker->applying_requests, TRUE);
		pthread_mutex_destroy(&worker->requests_lock);
		g_free(worker);
	}
	g_free(workers);
	workers = NULL;
}

/* Share of a core (percent) the worker is expected to need with what is placed on it now.
 * Streams count at RELAY_STREAM_PPS until the measured rate is higher (video, or more
 * streams flowing than counted), so calls set up in a burst (many INVITEs at once, a restart,
 * a restore) count before their media starts, and silent calls (on hold) count as if they
 * spoke: placement errs towards spreading. Streams the kernel module forwards count the same
 * (their first packets and anything it cannot forward come through the worker). The sampled
 * CPU is the floor (SRTP, a packet size the measured cost does not reflect yet). */
static unsigned int expected_load_percent(const struct media_worker *worker)
{
	uint64_t placed_pps = (uint64_t) worker->placed_streams * RELAY_STREAM_PPS;
	uint64_t pps = placed_pps > worker->measured_pps ? placed_pps : worker->measured_pps;
	/* packets/s x ns/packet = ns of CPU per second; 1% of a core is 10^7 ns per second */
	uint64_t percent = pps * worker->packet_cost_ns / 10000000;
	if (percent < worker->load_percent)
		percent = worker->load_percent;
	return percent > 1000 ? 1000 : (unsigned int) percent;
}

/* New calls go to the first worker whose expected load is under RELAY_PACK_LOAD_PERCENT, so
 * that at moderate load one thread handles everything: every extra thread that wakes up for a
 * few packets costs a context switch per wake-up. Past that, the worker with the least expected
 * load takes the call. With the defaults (5 us per packet, 50 packets/s per stream, 2 streams
 * per call) the first worker takes about 800 calls before the second gets any; 2000 calls set
 * up at once end up 1000 and 1000 on two workers. Calls stay on their worker for life. */
struct media_worker *relay_pick_worker(void)
{
	if (!workers)
		return NULL;
	struct media_worker *least = NULL;
	unsigned int least_load = 0;
	struct media_worker *chosen = NULL;
	for (unsigned int i = 0; i < settings.worker_count && !chosen; i++) {
		struct media_worker *worker = workers[i];
		unsigned int load = expected_load_percent(worker);
		if (load < RELAY_PACK_LOAD_PERCENT)
			chosen = worker;
		else if (!least || load < least_load) {
			least = worker;
			least_load = load;
		}
	}
	if (!chosen)
		chosen = least;
	chosen->placed_calls++;
	return chosen;
}

void relay_sample_load(unsigned int interval_ms)
{
	for (unsigned int i = 0; workers && i < settings.worker_count; i++) {
		struct media_worker *worker = workers[i];
		/* the thread's own CPU clock: no timing work on the packet path */
		clockid_t clock;
		struct timespec used;
		if (pthread_getcpuclockid(worker->thread, &clock) || clock_gettime(clock, &used))
			continue;
		uint64_t busy = (uint64_t) used.tv_sec * 1000000000ULL + (uint64_t) used.tv_nsec;
		uint64_t delta = busy - worker->sampled_busy_ns;
		uint64_t packets = COUNTER_READ(worker->counters.packets);
		uint64_t packet_delta = packets - worker->sampled_packets;
		unsigned int interval = interval_ms ? interval_ms : 1;
		worker->sampled_busy_ns = busy;
		worker->sampled_packets = packets;
		worker->load_percent = (unsigned int) (delta / 10000 / interval);
		worker->measured_pps = (unsigned int) (packet_delta * 1000 / interval);
		/* Below a thousand packets a second the idle wake-ups and the per-wake-up cost of
		 * single packets would dominate: keep the last estimate. */
		if (packet_delta >= RELAY_COST_MIN_PACKETS)
			worker->packet_cost_ns = (unsigned int) (delta / packet_delta);
	}
}

int relay_watch_stream(struct media_worker *worker, struct stream *stream)
{
	/* counted whether or not epoll takes it: relay_retire_call() subtracts every RTP stream
	 * that got a port */
	if (stream->kind == STREAM_RTP)
		worker->placed_streams++;
	struct epoll_event event = { .events = EPOLLIN, .data.ptr = stream };
	if (epoll_ctl(worker->epoll_fd, EPOLL_CTL_ADD, stream->fd, &event) < 0)
		return -errno;
	return 0;
}

int relay_watch_family_socket(struct media_worker *worker, struct stream *stream)
{
	struct epoll_event event = { .events = EPOLLIN,
				     .data.ptr = (void *) ((uintptr_t) stream | FAMILY_SOCKET_TAG) };
	if (epoll_ctl(worker->epoll_fd, EPOLL_CTL_ADD, stream->extras->family_fd, &event) < 0)
		return -errno;
	return 0;
}

int relay_park_socket(struct media_worker *worker, int fd)
{
	/* EPOLLIN off: packets wait in the socket until the pool drains it. ONESHOT: an error
	 * condition (always reported) comes at most once, as a NULL event, which the worker
	 * takes for a wake-up. The worker may still hold an event of this round for the old
	 * stream: it sees call->deleted under the lock and leaves the socket alone. */
	struct epoll_event event = { .events = EPOLLONESHOT, .data.ptr = NULL };
	if (epoll_ctl(worker->epoll_fd, EPOLL_CTL_MOD, fd, &event) < 0)
		return -errno;
	return worker->epoll_fd;
}

int relay_rewatch_stream(struct media_worker *worker, struct stream *stream, int parked_in)
{
	if (parked_in != worker->epoll_fd) {
		if (parked_in >= 0)
			epoll_ctl(parked_in, EPOLL_CTL_DEL, stream->fd, NULL);
		return relay_watch_stream(worker, stream);
	}
	/* one MOD instead of the DEL on delete and the ADD here (which allocate and free) */
	struct epoll_event event = { .events = EPOLLIN, .data.ptr = stream };
	if (epoll_ctl(worker->epoll_fd, EPOLL_CTL_MOD, stream->fd, &event) < 0)
		return relay_watch_stream(worker, stream);
	if (stream->kind == STREAM_RTP)
		worker->placed_streams++;
	return 0;
}

/* RTP streams of the call that got a socket (local_port stays set once the socket is closed). */
static unsigned int placed_streams_of(struct call *call)
{
	unsigned int count = 0;
	struct media *media;
	call_foreach_media(call, media)
		count += media->streams[STREAM_RTP].local_port != 0;
	return count;
}

void relay_retire_call(struct media_worker *worker, struct call *call)
{
	unsigned int streams = placed_streams_of(call);
	worker->placed_streams -= streams < worker->placed_streams ? streams : worker->placed_streams;
	if (worker->placed_calls)
		worker->placed_calls--;
	pthread_mutex_lock(&worker->graveyard_lock);
	g_ptr_array_add(worker->graveyard, call);
	bool wake = worker->graveyard->len >= RELAY_GRAVEYARD_WAKE;
	pthread_mutex_unlock(&worker->graveyard_lock);
	/* The worker frees retired calls at least once a second on its own; waking it for
	 * every delete would cost a context switch per call. */
	if (wake) {
		uint64_t one = 1;
		if (write(worker->wake_fd, &one, sizeof(one)) < 0)
			log_debug("worker wake: %s", strerror(errno));
	}
}

int relay_worker_timer_add(struct media_worker *worker, struct timer_entry *timer, int64_t deadline_us,
			   timer_callback *callback, void *data)
{
	timer->callback = callback;
	timer->data = data;
	return timer_heap_arm(&worker->timers, timer, deadline_us, 0);
}

void relay_worker_timer_cancel(struct media_worker *worker, struct timer_entry *timer)
{
	timer_heap_cancel(&worker->timers, timer);
}

int relay_post_timer_add(struct media_worker *worker, struct timer_entry *timer, int64_t deadline_us,
			 timer_callback *callback, void *data)
{
	if (!callback)
		return -EINVAL;
	struct timer_request request = { .timer = timer, .callback = callback, .data = data, .deadline_us = deadline_us };
	/* an idle worker still looks at its requests once per RELAY_QUIESCENT_INTERVAL_MS:
	 * a deadline further away than that needs no wake-up (and no context switch) */
	bool wake = deadline_us - timer_now_us() < RELAY_QUIESCENT_INTERVAL_MS * 1000LL;
	return post_timer_request(worker, &request, wake);
}

int relay_post_timer_cancel(struct media_worker *worker, struct timer_entry *timer)
{
	/* no wake-up: the worker applies requests before it fires anything */
	struct timer_request request = { .timer = timer };
	return post_timer_request(worker, &request, false);
}

void relay_read_totals(struct relay_totals *totals)
{
	memset(totals, 0, sizeof(*totals));
	for (unsigned int i = 0; workers && i < settings.worker_count; i++) {
		struct worker_counters *counters = &workers[i]->counters;
		totals->packets += COUNTER_READ(counters->packets);
		totals->bytes += COUNTER_READ(counters->bytes);
		totals->errors += COUNTER_READ(counters->errors);
		totals->dropped_strict_source += COUNTER_READ(counters->dropped_strict_source);
		totals->dropped_no_destination += COUNTER_READ(counters->dropped_no_destination);
		totals->dropped_truncated += COUNTER_READ(counters->dropped_truncated);
		totals->dropped_srtp += COUNTER_READ(counters->dropped_srtp);
		totals->dropped_call_ended += COUNTER_READ(counters->dropped_call_ended);
		totals->dropped_send_failed += COUNTER_READ(counters->dropped_send_failed);
		totals->dropped_stun_malformed += COUNTER_READ(counters->dropped_stun_malformed);
		totals->stun_consumed += COUNTER_READ(counters->stun_consumed);
		totals->dropped_ice_consent += COUNTER_READ(counters->dropped_ice_consent);
		const struct dtls_counters *dtls = &counters->dtls;
		totals->dtls.records += COUNTER_READ(dtls->records);
		totals->dtls.handshakes += COUNTER_READ(dtls->handshakes);
		totals->dtls.failed += COUNTER_READ(dtls->failed);
		totals->dtls.timeouts += COUNTER_READ(dtls->timeouts);
		totals->dtls.fingerprint_mismatch += COUNTER_READ(dtls->fingerprint_mismatch);
		totals->dtls.dropped_stranger += COUNTER_READ(dtls->dropped_stranger);
		totals->dtls.dropped_garbage += COUNTER_READ(dtls->dropped_garbage);
		totals->dtls.dropped_pending += COUNTER_READ(dtls->dropped_pending);
		totals->rtcp_parsed += COUNTER_READ(counters->rtcp_parsed);
		totals->rtcp_malformed += COUNTER_READ(counters->rtcp_malformed);
		totals->dropped_blocked += COUNTER_READ(counters->dropped_blocked);
		totals->dropped_bundle_unknown += COUNTER_READ(counters->dropped_bundle_unknown);
	}
}

struct dtls_counters *relay_dtls_counters(struct media_worker *worker)
{
	return &worker->counters.dtls;
}

const char *relay_learning_status(const struct stream *stream)
{
	if (stream->forward_flags & FORWARD_ASYMMETRIC)
		return "asymmetric: sending to the SDP address, not learning";
	if (settings.endpoint_learning == ENDPOINT_LEARNING_OFF)
		return "endpoint learning off: sending to the SDP address";
	if (stream->state & STREAM_CONFIRMED)
		return "confirmed";
	if (stream->state & STREAM_LATCHED)
		return "learned, confirming after the learning delay";
	if (stream->fd < 0)
		return "closed";
	return "not latched: no packet received yet";
}
