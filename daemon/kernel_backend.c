/* Kernel forwarding from the daemon's side; see kernel_backend.h.
 *
 * Locking: the kernel state of a stream (stream->extras, struct stream_kernel) is the control
 * thread's alone. What
 * the worker writes (state, learned source, counters) is copied, or added to, under the
 * call's lock, a stream at a time; the /proc writes and logging happen outside it. */
#include "kernel_backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "call.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "interface.h"
#include "kernel.h"
#include "kernel_quality.h"
#include "kernel_srtp.h"
#include "log.h"
#include "media_dtls.h"
#include "media_quality.h"
#include "recording_writer.h"
#include "relay.h"

/* What a stream's kernel target was given and what of its counters the daemon already
 * added: a side allocation (stream->extras->kernel) made when the stream's first target is
 * pushed, kept while the call lives (a target removed and pushed again reuses it), freed
 * with the call. ~500 bytes a stream that most calls never need. */
struct stream_kernel {
	union endpoint local;           /* the target's key, as pushed: what a delete names */
	union endpoint destination;
	union endpoint source;
	struct stream_counters seen;    /* kernel counters already added to the stream's */
	uint64_t srtp_dropped_seen;     /* kernel SRTP drops already added */
	/* SRTP the target was given: the contexts (identity) and the keys it took */
	const void *decrypt_context, *encrypt_context;
	struct kernel_srtp_keys decrypt_keys, encrypt_keys;
	struct kernel_quality_seen quality_seen;   /* the kernel's RTP statistics already merged */
	uint32_t record_stream;         /* the target records into this kernel stream, 0: none */
	struct kernel_clock_rate clock_rates[KERNEL_CLOCK_RATE_SLOTS];   /* the target's (jitter) */
};

/* A stream without a target: nothing cached */
static const struct stream_kernel no_target;
/* The reason of every stream of an ending call (kernel_backend_remove_call()): such a stream
 * is never pushed again, whoever asks for a sync after the kernel observer (recording's
 * observer resyncs a call whose sinks it detaches; ports go back to the pool with the call,
 * and a target left on one forwards the next call's media). Compared by address. */
static const char call_ended_reason[] = "call ended";

static const char *unavailable_reason = "kernel forwarding disabled (--table=-1)";
static struct daemon_context *backend_daemon;   /* for kernel_backend_resync_call() */
static char unavailable_text[300];
/* The module's recording counters are the table's since it was made (a previous daemon's
 * included): what they were when we opened it, and at the last sync. */
static struct kernel_recording_status recording_seen;

/* Without the IPv6 zone: the kernel's records have none, and endpoint_text() of this address
 * is the key that the counters read back are matched with. */
static void stream_local_endpoint(const struct stream *stream, union endpoint *local)
{
	*local = stream->media->interface->local;
	endpoint_set_port(local, stream->local_port);
	if (local->address.sa_family == AF_INET6)
		local->v6.sin6_scope_id = 0;
}

static void add_counters(struct daemon_context *daemon, struct stream *stream, const struct kernel_counters *counters);

/* An SRTP target's state goes back into the daemon's contexts: the kernel stops touching it
 * with the delete, and the worker continues from there (RFC 3711 section 3.3.1: the
 * rollover counters must not go back, nor the replay windows forget). */
static void take_back_srtp(struct stream *stream, const struct kernel_counters *final)
{
	struct stream_kernel *kernel = stream->extras->kernel;
	if (!kernel || (!kernel->decrypt_context && !kernel->encrypt_context))
		return;
	struct call *call = stream->call;
	pthread_mutex_lock(&call->lock);
	kernel_srtp_import(stream->media, false, kernel->decrypt_context, final->decrypt_ssrcs);
	if (stream->sink)
		kernel_srtp_import(stream->sink->media, true, kernel->encrypt_context, final->encrypt_ssrcs);
	pthread_mutex_unlock(&call->lock);
	kernel->decrypt_context = kernel->encrypt_context = NULL;
}

/* Deletes the stream's target by the local address it was pushed with. -ENOENT (already
 * gone: a flush, another daemon) counts as done. Anything else is retried once without the
 * read-back and logged: the target may still be there, and at a call's end nothing else
 * would ever remove it. */
static void remove_target(struct daemon_context *daemon, struct stream *stream, const char *reason)
{
	struct stream_extras *extras = stream->extras;
	if (extras->kernelized) {
		struct kernel_counters final;
		struct stream_kernel *kernel = extras->kernel;
		int error = kernel_forward_delete_read(daemon->kernel, &kernel->local, &final);
		if (error == 0) {
			take_back_srtp(stream, &final);
			add_counters(daemon, stream, &final);
		} else if (error != -ENOENT) {
			int retried = kernel_forward_delete(daemon->kernel, &kernel->local);
			char text[ENDPOINT_TEXT_SIZE];
			log_call(retried == 0 || retried == -ENOENT ? LOG_WARNING : LOG_ERR, stream->call->call_id,
				 "kernel target %s: delete failed (%s), %s", endpoint_text(&kernel->local, text, sizeof(text)),
				 strerror(-error), retried == 0 || retried == -ENOENT ? "removed on the second try"
				 : "it may still forward");
		}
		extras->kernelized = false;
		memset(&kernel->seen, 0, sizeof(kernel->seen));
		memset(&kernel->quality_seen, 0, sizeof(kernel->quality_seen));
		kernel->srtp_dropped_seen = 0;
		memset(&kernel->destination, 0, sizeof(kernel->destination));
		kernel->record_stream = 0;
	}
	extras->kernel_reason = reason;
}

/* What the worker writes that sync_stream() decides on, copied under the call's lock. */
struct stream_view {
	uint8_t state;
	union endpoint learned;
	bool has_destination;
	union endpoint destination;    /* where the worker sends the peer's packets (out's) */
};

static void copy_stream_view(const struct stream *stream, const struct stream *out, struct stream_view *view)
{
	struct call *call = stream->call;
	pthread_mutex_lock(&call->lock);
	view->state = stream->state;
	view->learned = stream->learned;
	const union endpoint *destination = relay_stream_destination(out);
	view->has_destination = destination != NULL;
	if (destination)
		view->destination = *destination;
	pthread_mutex_unlock(&call->lock);
}

/* Decides whether one stream can be forwarded by the kernel, and pushes or updates its
 * target. by_local (may be NULL) collects the kernelized streams by local address. */
static void sync_stream(struct daemon_context *daemon, struct stream *stream, GHashTable *by_local)
{
	if (stream->extras->kernel_reason == call_ended_reason)
		return;
	if (stream->fd < 0 || !stream->sink)
		return;
	const struct media *media = stream->media;
	const struct media *target = stream->sink->media;
	const struct monologue *side = media->monologue;
	const struct stream *out = &target->streams[stream->kind];
	struct stream_view view;
	copy_stream_view(stream, out, &view);
	bool learning = !(side->flags & SIDE_ASYMMETRIC);
	if (learning && !(view.state & STREAM_CONFIRMED)) {
		remove_target(daemon, stream, view.state & STREAM_LATCHED ? "source learned, not yet confirmed"
			      : "not latched yet: no packet received");
		return;
	}
	/* call recording: the kernel records into the module's stream file (proc method with
	 * the module); streams recorded into spool files stay in userspace */
	uint32_t record_stream = 0;
	const struct recording_sink *recording = stream->extras->recording_sink;
	if (recording && !recording->kernel_stream) {
		remove_target(daemon, stream, "recorded: the recording is written in userspace");
		return;
	}
	if (recording && stream->extras->record)
		record_stream = recording->kernel_stream;
	/* publish/subscribe (pubsub.h): a kernel target has one destination */
	if (!side->subscriber && media->streams[STREAM_RTP].extras->forks) {
		remove_target(daemon, stream, "forked to subscribers (publish/subscribe): the copies are sent in userspace");
		return;
	}
	if (media_dtls_active(media) || media_dtls_active(target)) {
		/* DTLS records and the SRTP it keys must reach the worker */
		remove_target(daemon, stream, "DTLS-SRTP is handled in userspace");
		return;
	}
	if (side->flags & (SIDE_ECHO | SIDE_ECHO_DROP | SIDE_DROP_TRAFFIC)) {
		/* a kernel target sends to the peer (media echo, drop-traffic: relay.c) */
		remove_target(daemon, stream, "media echo or drop-traffic: echoed or dropped in userspace");
		return;
	}
	if (media->media_control) {
		/* block/silence media or DTMF looks at every packet (media_control.h) */
		remove_target(daemon, stream, "media or DTMF blocked or silenced in userspace");
		return;
	}
	if (stream->kind == STREAM_RTP && stream->extras->transcode) {
		/* decoding and encoding happen on the worker (media_transcode.h) */
		remove_target(daemon, stream, "transcoded in userspace");
		return;
	}
	if (stream->extras->family_fd >= 0 || out->extras->family_fd >= 0) {
		/* the kernel target has one local address; ICE may pick either family's socket */
		remove_target(daemon, stream, "ICE on both address families is handled in userspace");
		return;
	}
	if (media->bundle_owner || target->bundle_owner) {
		/* one socket carries several m= lines: the demultiplexer (and MID insertion) runs in
		 * the worker */
		remove_target(daemon, stream, "BUNDLE (several m= lines on one transport) is handled in userspace");
		return;
	}
	struct kernel_srtp_keys decrypt_keys, encrypt_keys;
	const void *decrypt_context, *encrypt_context;
	const struct stream_kernel *cache = stream->extras->kernelized ? stream->extras->kernel : &no_target;
	const char *srtp_reason = kernel_srtp_keys_cached(media, false, cache->decrypt_context,
							  &cache->decrypt_keys, &decrypt_keys, &decrypt_context);
	if (!srtp_reason)
		srtp_reason = kernel_srtp_keys_cached(target, true, cache->encrypt_context,
						      &cache->encrypt_keys, &encrypt_keys, &encrypt_context);
	if (srtp_reason) {
		remove_target(daemon, stream, srtp_reason);
		return;
	}
	bool srtp = decrypt_context || encrypt_context;
	if (srtp && stream->kind == STREAM_RTCP) {
		remove_target(daemon, stream, "SRTCP is handled in userspace");
		return;
	}
	if (stream->kind == STREAM_RTCP && media->rtcp_mux) {
		remove_target(daemon, stream, "RTCP is multiplexed on the RTP port");
		return;
	}
	/* RTCP statistics: a few packets per 5 s, and the MOS and Homer need to read them */
	if (stream->kind == STREAM_RTCP) {
		remove_target(daemon, stream, "RTCP is read in userspace (call quality figures, Homer)");
		return;
	}
	const union endpoint *destination = view.has_destination ? &view.destination : NULL;
	if (!destination || out->fd < 0) {
		remove_target(daemon, stream, "peer address not known yet");
		return;
	}
	union endpoint source;
	memset(&source, 0, sizeof(source));
	if (learning)
		source = view.learned;
	struct stream_extras *extras = stream->extras;
	bool same_srtp = cache->decrypt_context == decrypt_context
		&& cache->encrypt_context == encrypt_context
		&& !memcmp(&cache->decrypt_keys, &decrypt_keys, sizeof(decrypt_keys))
		&& !memcmp(&cache->encrypt_keys, &encrypt_keys, sizeof(encrypt_keys));
	/* a re-offer may give a payload type another clock rate: the kernel's jitter follows */
	struct kernel_clock_rate clock_rates[KERNEL_CLOCK_RATE_SLOTS];
	kernel_quality_clock_rates(extras->quality ? &extras->quality->clock_rates : NULL, clock_rates);
	bool unchanged = extras->kernelized && endpoint_equal(&cache->destination, destination)
		&& endpoint_equal(&cache->source, &source) && same_srtp
		&& cache->record_stream == record_stream
		&& !memcmp(cache->clock_rates, clock_rates, sizeof(clock_rates));
	if (!unchanged) {
		/* An SRTP target is never replaced in place: its state comes back first, so
		 * what is pushed next starts where the kernel stopped. */
		if (extras->kernelized && (srtp || cache->decrypt_context || cache->encrypt_context))
			remove_target(daemon, stream, "SRTP target being replaced");
		struct kernel_forward forward = { .tos = daemon->config->tos };
		memcpy(forward.clock_rates, clock_rates, sizeof(clock_rates));
		stream_local_endpoint(stream, &forward.local);
		stream_local_endpoint(out, &forward.output_source);
		forward.expected_source = source;
		forward.destination = *destination;
		forward.record_stream = record_stream;
		/* RTP only: RTCP, multiplexed or not, is passed up to userspace, which reads it
		 * (RTCP statistics) and bridges rtcp-mux to separate ports and back (RFC 5761) */
		forward.flags = KERNEL_FORWARD_RTP;
		if (side->flags & SIDE_STRICT_SOURCE)
			forward.flags |= KERNEL_FORWARD_STRICT_SOURCE;
		if (srtp) {
			/* the module takes SRTP; SRTCP goes up with the rest of RTCP */
			forward.decrypt.keys = decrypt_keys;
			forward.encrypt.keys = encrypt_keys;
			struct call *call = stream->call;
			pthread_mutex_lock(&call->lock);
			kernel_srtp_export(media, false, &forward.decrypt);
			kernel_srtp_export(target, true, &forward.encrypt);
			pthread_mutex_unlock(&call->lock);
		}
		int error = kernel_forward_add(daemon->kernel, &forward);
		if (error) {
			log_call(LOG_WARNING, side->call->call_id, "kernel refused target for port %u: %s",
				 stream->local_port, strerror(-error));
			extras->kernel_reason = "kernel module refused the target";
			return;
		}
		char text[ENDPOINT_TEXT_SIZE];
		log_call(LOG_INFO, side->call->call_id, "port %u: forwarding in the kernel to %s%s%s", stream->local_port,
			 endpoint_text(destination, text, sizeof(text)), srtp ? " (SRTP in the kernel)" : "",
			 record_stream ? " (recorded in the kernel)" : "");
		if (!extras->kernel)
			extras->kernel = g_new0(struct stream_kernel, 1);   /* the stream's first target */
		struct stream_kernel *kernel = extras->kernel;
		extras->kernelized = true;
		kernel->local = forward.local;
		kernel->decrypt_context = decrypt_context;
		kernel->encrypt_context = encrypt_context;
		kernel->decrypt_keys = decrypt_keys;
		kernel->encrypt_keys = encrypt_keys;
		kernel->destination = *destination;
		kernel->source = source;
		kernel->record_stream = record_stream;
		memcpy(kernel->clock_rates, clock_rates, sizeof(clock_rates));
		extras->kernel_reason = NULL;
	}
	if (!by_local)
		return;
	char key[ENDPOINT_TEXT_SIZE];
	g_hash_table_insert(by_local, g_strdup(endpoint_text(&extras->kernel->local, key, sizeof(key))), stream);
}

static void sync_call_streams(struct daemon_context *daemon, struct call *call, GHashTable *by_local)
{
	/* no lock here: sync_stream() copies what it needs under it, a stream at a time */
	struct stream *stream;
	call_foreach_stream(call, stream)
		sync_stream(daemon, stream, by_local);
}

static void sync_call(struct call *call, void *data)
{
	void **context = data;
	sync_call_streams(context[0], call, context[1]);
}

/* Adds what the kernel forwarded since the last look to the stream's own counters; SRTP
 * authentication failures and replays count as the stream's errors, as in userspace. */
static void add_counters(struct daemon_context *daemon, struct stream *stream, const struct kernel_counters *counters)
{
	struct stream_kernel *kernel = stream->extras->kernel;
	if (!kernel)
		return;   /* never had a target: nothing of the kernel's to add */
	struct stream_counters *seen = &kernel->seen;
	uint64_t srtp_dropped = counters->srtp_auth_failures + counters->srtp_replays;
	uint64_t new_srtp_dropped = srtp_dropped - kernel->srtp_dropped_seen;
	if (srtp_dropped < kernel->srtp_dropped_seen)
		new_srtp_dropped = 0;
	kernel->srtp_dropped_seen = srtp_dropped;
	uint64_t packets = counters->packets - seen->packets, bytes = counters->bytes - seen->bytes;
	uint64_t errors = counters->errors - seen->errors + new_srtp_dropped;
	bool counted = counters->packets >= seen->packets;
	seen->packets = counters->packets;
	seen->bytes = counters->bytes;
	seen->errors = counters->errors;
	uint32_t ssrc = 0;
	bool has_ssrc = false;
	for (unsigned int i = 0; i < KERNEL_SSRC_SLOTS; i++) {
		if (counters->ssrcs[i].used) {
			ssrc = counters->ssrcs[i].ssrc;
			has_ssrc = true;
		}
	}
	/* the worker writes these fields too: add under the lock, plain arithmetic only */
	struct call *call = stream->call;
	pthread_mutex_lock(&call->lock);
	if (counted) {
		stream->counters.packets += packets;
		stream->counters.bytes += bytes;
		stream->counters.errors += errors;
	}
	if ((int64_t) counters->last_packet_unix_us > stream->counters.last_packet_us)
		stream->counters.last_packet_us = (int64_t) counters->last_packet_unix_us;
	if (has_ssrc)
		stream->last_ssrc = ssrc;
	/* the SRTP contexts follow the kernel's indexes (for Redis, and packets passed up) */
	struct stream_extras *extras = stream->extras;
	if (extras->kernelized) {
		kernel_srtp_follow(stream->media, false, kernel->decrypt_context, counters->decrypt_ssrcs);
		if (stream->sink)
			kernel_srtp_follow(stream->sink->media, true, kernel->encrypt_context, counters->encrypt_ssrcs);
	}
	/* the kernel's per-SSRC RTP figures into the stream's media quality (kernel_quality.h) */
	struct ssrc_quality *quality = stream->extras->quality;
	if (quality && kernel_quality_merge(quality, &kernel->quality_seen, counters->rtp))
		stream->last_ssrc = quality->ssrc;
	pthread_mutex_unlock(&call->lock);
	if (counted) {
		daemon->totals.kernel_packets += packets;
		daemon->totals.kernel_bytes += bytes;
		daemon->totals.kernel_errors += errors;
	}
	daemon->totals.kernel_dropped_srtp += new_srtp_dropped;
}

static void apply_counters(const union endpoint *local, const struct kernel_counters *counters, void *data)
{
	void **context = data;
	GHashTable *by_local = context[1];
	char key[ENDPOINT_TEXT_SIZE];
	struct stream *stream = g_hash_table_lookup(by_local, endpoint_text(local, key, sizeof(key)));
	if (stream)
		add_counters(context[0], stream, counters);
}

int kernel_backend_start(struct daemon_context *daemon)
{
	const struct daemon_config *config = daemon->config;
	if (config->table < 0) {
		log_notice("Kernel forwarding: off (--table=-1); all media is relayed in userspace");
		return 0;
	}
	char reason[256] = "";
	int error = kernel_table_open(config->table, &daemon->kernel, reason, sizeof(reason));
	if (error) {
		daemon->kernel = NULL;
		snprintf(unavailable_text, sizeof(unavailable_text), "kernel table %d unavailable: %s", config->table, reason);
		unavailable_reason = unavailable_text;
		if (config->no_fallback) {
			log_error("Kernel forwarding: REQUIRED (--no-fallback) but %s", unavailable_text);
			return -1;
		}
		log_warning("Kernel forwarding: NOT ACTIVE, %s; falling back to userspace relaying", unavailable_text);
		return 0;
	}
	unavailable_reason = NULL;
	backend_daemon = daemon;
	if (kernel_recording_read_status(daemon->kernel, &recording_seen) < 0)
		memset(&recording_seen, 0, sizeof(recording_seen));
	log_notice("Kernel forwarding: ACTIVE on table %d; latched streams are forwarded in the kernel (RTP and "
		   "SDES-SRTP, rtcp-mux bridged, recorded with --recording-method=proc; RTCP and DTLS-SRTP stay in "
		   "userspace: query says why per stream)", config->table);
	return 0;
}

void kernel_backend_stop(struct daemon_context *daemon)
{
	if (daemon->kernel)
		kernel_table_close(daemon->kernel, false);
	daemon->kernel = NULL;
	backend_daemon = NULL;
}

/* What the module copied into recorded streams and dropped since the last sync, into the
 * daemon's totals (statistics: recordedpackets_kernel, recordingdrops_kernel). */
static void sync_recording_counters(struct daemon_context *daemon)
{
	struct kernel_recording_status now;
	if (kernel_recording_read_status(daemon->kernel, &now) < 0)
		return;
	/* a counter that went back means the table was made anew: count from zero */
	if (now.captured < recording_seen.captured || now.dropped < recording_seen.dropped)
		memset(&recording_seen, 0, sizeof(recording_seen));
	daemon->totals.kernel_recorded_packets += now.captured - recording_seen.captured;
	daemon->totals.kernel_recording_dropped += now.dropped - recording_seen.dropped;
	recording_seen = now;
}

void kernel_backend_sync(struct daemon_context *daemon)
{
	if (!daemon->kernel)
		return;
	sync_recording_counters(daemon);
	GHashTable *by_local = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	void *context[2] = { daemon, by_local };
	call_foreach(sync_call, context);
	if (g_hash_table_size(by_local))
		kernel_read_all_counters(daemon->kernel, apply_counters, context);
	g_hash_table_destroy(by_local);
}

void kernel_backend_remove_call(struct daemon_context *daemon, struct call *call)
{
	if (!daemon->kernel)
		return;
	/* no lock: kernel state is the control thread's, and the /proc writes stay outside it */
	struct stream *stream;
	call_foreach_stream(call, stream)
		remove_target(daemon, stream, call_ended_reason);
}

void kernel_backend_resync_call(struct call *call)
{
	if (backend_daemon && backend_daemon->kernel)
		sync_call_streams(backend_daemon, call, NULL);
}

void kernel_backend_refresh_call(struct daemon_context *daemon, struct call *call)
{
	if (!daemon || !daemon->kernel)
		return;
	struct stream *stream;
	call_foreach_stream(call, stream) {
		if (!stream->extras->kernelized)
			continue;
		struct kernel_counters counters;
		if (kernel_forward_read_counters(daemon->kernel, &stream->extras->kernel->local, &counters) == 0)
			add_counters(daemon, stream, &counters);
	}
}

/* An offer or answer may have moved a peer (the learned source is dropped then) or
 * changed what the kernel can do: bring the call's targets up to date now rather than at
 * the next one-second sync, so the kernel never forwards to an address signalling left. */
static void call_changed_in_kernel(const struct call_event *event)
{
	if (event->daemon && event->daemon->kernel)
		sync_call_streams(event->daemon, event->call, NULL);
}

static void call_ended_in_kernel(const struct call_event *event)
{
	if (event->daemon)
		kernel_backend_remove_call(event->daemon, event->call);
}

const struct call_observer kernel_backend_call_observer = {
	.name = "kernel",
	.changed = call_changed_in_kernel,
	.ended = call_ended_in_kernel,
};

const char *kernel_backend_unavailable_reason(void)
{
	return unavailable_reason;
}
