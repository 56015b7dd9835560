/* The call model and the registry of live calls; see call.h. */
#include "call.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bundle.h"
#include "ice_agent.h"
#include "interface.h"
#include "kernel_backend.h"
#include "log.h"
#include "dtls.h"
#include "dtls_srtp.h"
#include "media_crypto.h"
#include "media_quality.h"
#include "media_transcode.h"
#include "media_dtmf_detect.h"
#include "relay.h"

static GHashTable *calls_by_id;   /* call-id -> struct call *, control thread only */

/* The time an ng request is handled at, while its thread has frozen the clock; 0 otherwise. */
static __thread int64_t frozen_now_us;

int64_t clock_read_realtime_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

int64_t now_realtime_us(void)
{
	return frozen_now_us ? frozen_now_us : clock_read_realtime_us();
}

void clock_freeze_us(int64_t now_us)
{
	frozen_now_us = now_us;
}

void clock_thaw(void)
{
	frozen_now_us = 0;
}

bool clock_frozen(void)
{
	return frozen_now_us != 0;
}

void call_registry_init(void)
{
	if (!calls_by_id)
		calls_by_id = g_hash_table_new(g_str_hash, g_str_equal);
}

struct call *call_lookup(const char *call_id)
{
	return call_id ? g_hash_table_lookup(calls_by_id, call_id) : NULL;
}

unsigned int call_count(void)
{
	return g_hash_table_size(calls_by_id);
}

/* Cache-line aligned and zeroed, for the call, its media and their extras (whose
 * worker-written parts must not share a line with the control thread's). glibc's
 * posix_memalign (g_aligned_alloc0) carves an aligned chunk out of a larger one and frees the
 * rest: ~570 instructions per allocation and a costlier free, five times per call. A plain
 * malloc with room to align the pointer by hand, the original pointer kept in the word
 * before it: ~1.1k fewer instructions per offer+answer+delete cycle for the call and media
 * alone (callgrind, ng cycle bench). */
static void *cache_line_alloc0(size_t size)
{
	char *allocated = g_malloc(size + sizeof(void *) + STREAM_CACHE_LINE - 1);
	uintptr_t aligned = ((uintptr_t) allocated + sizeof(void *) + STREAM_CACHE_LINE - 1)
			    & ~(uintptr_t) (STREAM_CACHE_LINE - 1);
	void **header = (void **) aligned - 1;
	*header = allocated;
	return memset((void *) aligned, 0, size);
}

static void cache_line_free(void *memory)
{
	if (memory)
		g_free(((void **) memory)[-1]);
}

/* The per-call arena: one allocation with the call holds what nearly every call gets at its
 * offer, two sides (monologue and tag) with one m= line each (media, and the extras with the
 * quality state and the type and protocol texts), handed out in any order by a bump pointer
 * and freed with the call. What does not fit (more m= lines, forks, long tags, a re-set tag)
 * falls back to its own allocation, freed on its own. Before: nine mallocs (and nine frees
 * on the worker, contending for glibc's arena lock) per two-sided call; after: one. The
 * sizes follow the structs', so a smaller struct shrinks the arena with it. */
#define ARENA_ALIGN(size) (((size) + STREAM_CACHE_LINE - 1) & ~(size_t) (STREAM_CACHE_LINE - 1))
#define ARENA_SIDES 2
#define ARENA_TAG_SIZE 48               /* per side; SIP tags are typically 8-40 characters */
#define ARENA_MEDIA_TEXTS_SIZE 32       /* "audio" + "UDP/TLS/RTP/SAVPF" with their NULs: 24 */
#define MEDIA_EXTRAS_SIZE(texts) (STREAM_QUALITY_OFFSET + sizeof(struct ssrc_quality) + (texts))
#define CALL_ARENA_SIZE (ARENA_SIDES * (sizeof(struct monologue) + ARENA_TAG_SIZE + ARENA_ALIGN(sizeof(struct media)) \
				       + ARENA_ALIGN(MEDIA_EXTRAS_SIZE(ARENA_MEDIA_TEXTS_SIZE))) + STREAM_CACHE_LINE)

static bool arena_owns(const struct call *call, const void *memory)
{
	return (const char *) memory >= call->arena_start && (const char *) memory < call->arena_end;
}

/* Zeroed memory from the call's arena (align a power of two), or NULL if it does not fit. */
static void *arena_take(struct call *call, size_t size, size_t align)
{
	uintptr_t at = ((uintptr_t) call->arena_next + align - 1) & ~(uintptr_t) (align - 1);
	uintptr_t end = (uintptr_t) call->arena_end;
	if (!call->arena_next || at > end || end - at < size)
		return NULL;
	call->arena_next = (char *) at + size;
	return memset((void *) at, 0, size);
}

/* Zeroed and cache-line aligned: from the arena, else cache_line_alloc0(). */
static void *call_alloc_aligned0(struct call *call, size_t size)
{
	void *memory = arena_take(call, size, STREAM_CACHE_LINE);
	return memory ? memory : cache_line_alloc0(size);
}

static void call_free_aligned(struct call *call, void *memory)
{
	if (memory && !arena_owns(call, memory))
		cache_line_free(memory);
}

static void *call_alloc0(struct call *call, size_t size)
{
	void *memory = arena_take(call, size, sizeof(void *));
	return memory ? memory : g_malloc0(size);
}

static char *call_strdup(struct call *call, const char *text)
{
	if (!text)
		return NULL;
	size_t size = strlen(text) + 1;
	char *copy = arena_take(call, size, 1);
	return copy ? memcpy(copy, text, size) : g_strdup(text);
}

static void call_free_unaligned(struct call *call, void *memory)
{
	if (memory && !arena_owns(call, memory))
		g_free(memory);
}

struct call *call_create(const char *call_id, struct media_worker *worker)
{
	/* the call-id is stored behind the call, in the same allocation (fewer mallocs per call,
	 * and fewer frees for the worker, whose frees contend with the control thread's mallocs
	 * for glibc's arena lock) */
	size_t call_id_size = strlen(call_id) + 1;
	/* the arena behind the call-id is zeroed piece by piece as it is handed out */
	size_t size = sizeof(struct call) + call_id_size + CALL_ARENA_SIZE;
	char *allocated = g_malloc(size + sizeof(void *) + STREAM_CACHE_LINE - 1);
	uintptr_t aligned = ((uintptr_t) allocated + sizeof(void *) + STREAM_CACHE_LINE - 1)
			    & ~(uintptr_t) (STREAM_CACHE_LINE - 1);
	((void **) aligned)[-1] = allocated;   /* as cache_line_alloc0(): cache_line_free() frees it */
	struct call *call = memset((void *) aligned, 0, sizeof(struct call));
	call->call_id = memcpy((char *) (call + 1), call_id, call_id_size);
	call->arena_start = call->arena_next = call->call_id + call_id_size;
	call->arena_end = (char *) call + size;
	pthread_mutex_init(&call->lock, NULL);
	call->worker = worker;
	call->created_us = call->last_signal_us = now_realtime_us();
	g_hash_table_insert(calls_by_id, call->call_id, call);
	log_call(LOG_NOTICE, call->call_id, "Creating new call");
	return call;
}

void call_foreach(void (*function)(struct call *call, void *data), void *data)
{
	/* Collect first: the function may destroy the call it is given. */
	GList *all = g_hash_table_get_values(calls_by_id);
	for (GList *item = all; item; item = item->next)
		function(item->data, data);
	g_list_free(all);
}

struct monologue *call_find_monologue(struct call *call, const char *tag)
{
	if (!tag)
		return NULL;
	for (unsigned int i = 0; i < call->monologue_count; i++) {
		struct monologue *monologue = call->monologues[i];
		if (monologue->tag && !strcmp(monologue->tag, tag))
			return monologue;
	}
	return NULL;
}

struct monologue *call_add_monologue(struct call *call, const char *tag)
{
	if (call->monologue_count >= CALL_MAX_MONOLOGUES)
		return NULL;
	struct monologue *monologue = call_alloc0(call, sizeof(struct monologue));
	monologue->call = call;
	monologue->tag = call_strdup(call, tag);
	monologue->created_us = now_realtime_us();
	monologue->number = call->monologues_created++;
	call->monologues[call->monologue_count++] = monologue;
	return monologue;
}

void monologue_set_tag(struct monologue *monologue, const char *tag)
{
	call_free_unaligned(monologue->call, monologue->tag);
	monologue->tag = call_strdup(monologue->call, tag);
}

struct media *monologue_add_media(struct monologue *monologue, const char *type, const char *protocol)
{
	if (monologue->media_count >= CALL_MAX_MEDIA)
		return NULL;
	struct call *call = monologue->call;
	struct media *media = call_alloc_aligned0(call, sizeof(struct media));
	media->monologue = monologue;
	media->index = monologue->media_count + 1;
	media->label_id = monologue->call->media_created++;
	/* one side allocation for both streams' cold state, with the type and protocol texts
	 * behind it (as the call-id: fewer mallocs and frees per call) */
	size_t type_size = strlen(type) + 1, protocol_size = strlen(protocol) + 1;
	/* the quality state gets a cache line of its own for the per-packet fields (call.h) */
	size_t quality_end = MEDIA_EXTRAS_SIZE(0);
	struct stream_extras *extras = call_alloc_aligned0(call, quality_end + type_size + protocol_size);
	extras[STREAM_RTP].quality = (struct ssrc_quality *) (void *) ((char *) extras + STREAM_QUALITY_OFFSET);
	media->type = memcpy((char *) extras + quality_end, type, type_size);
	media->protocol = memcpy(media->type + type_size, protocol, protocol_size);
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		struct stream *stream = &media->streams[kind];
		stream->media = media;
		stream->call = monologue->call;
		stream->kind = kind;
		stream->fd = -1;
		stream->extras = &extras[kind];
		stream->extras->kernel_reason = kernel_backend_unavailable_reason();
		stream->extras->family_fd = -1;
	}
	monologue->media[monologue->media_count++] = media;
	return media;
}

void media_set_protocol(struct media *media, const char *protocol)
{
	if (!strcmp(media->protocol, protocol))
		return;
	/* in place when it fits (the old text's storage), else an allocation of its own */
	if (strlen(protocol) <= strlen(media->protocol)) {
		strcpy(media->protocol, protocol);
		return;
	}
	if (media->protocol_allocated)
		g_free(media->protocol);
	media->protocol = g_strdup(protocol);
	media->protocol_allocated = true;
}

/* Gives a deleted call's socket pair back to its pool: parked open (still in the worker's
 * epoll set, reporting nothing) for the next call to reuse, or closed when that is not
 * possible. */
static void give_back_pair(struct call *call, struct port_pool *pool, unsigned int rtp_port, int fds[2])
{
	bool open = fds[0] >= 0 && fds[1] >= 0;
	int epoll_fd = -1;
	if (open && call->worker) {
		int rtp = relay_park_socket(call->worker, fds[STREAM_RTP]);
		int rtcp = relay_park_socket(call->worker, fds[STREAM_RTCP]);
		/* both in the worker's set, or both in none (never watched) */
		open = (rtp >= 0 && rtcp >= 0) || (rtp == -ENOENT && rtcp == -ENOENT);
		epoll_fd = rtp >= 0 ? rtp : -1;
	}
	if (open) {
		port_pool_park_pair(pool, rtp_port, fds, epoll_fd);
	} else {
		/* closing the only reference also takes the socket out of the worker's epoll set */
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++)
			if (fds[kind] >= 0)
				close(fds[kind]);
		port_pool_release_pair(pool, rtp_port);
	}
	fds[0] = fds[1] = -1;
}

/* Gives back a media's ports, its sockets being fds and family_fds (no longer the streams'). */
static void media_give_back_sockets(struct media *media, int fds[2], const int family_fds[2])
{
	struct call *call = media->monologue->call;
	if (media->rtp_port)
		give_back_pair(call, &media->interface->pool, media->rtp_port, fds);
	else
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++)
			if (fds[kind] >= 0)
				close(fds[kind]);
	media->rtp_port = 0;
	/* ICE on both address families: the other family's pair is closed, not parked (few calls
	 * have one; nothing to gain) */
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++)
		if (family_fds[kind] >= 0)
			close(family_fds[kind]);
	if (media->family_rtp_port)
		port_pool_release_pair(&media->family_interface->pool, media->family_rtp_port);
	media->family_rtp_port = 0;
}

/* Takes the sockets from the streams (under the call's lock when the worker may read them). */
static void media_take_sockets(struct media *media, int fds[2], int family_fds[2])
{
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		struct stream *stream = &media->streams[kind];
		fds[kind] = stream->fd;
		stream->fd = -1;
		family_fds[kind] = stream->extras->family_fd;
		stream->extras->family_fd = -1;
	}
}

static void media_close_sockets(struct media *media)
{
	int fds[2], family_fds[2];
	media_take_sockets(media, fds, family_fds);
	media_give_back_sockets(media, fds, family_fds);
}

static uint32_t media_forward_flags(const struct media *media)
{
	unsigned int side = media->monologue->flags;
	uint32_t flags = 0;
	if (side & SIDE_ASYMMETRIC)
		flags |= FORWARD_ASYMMETRIC;
	if (side & SIDE_STRICT_SOURCE)
		flags |= FORWARD_STRICT_SOURCE;
	if (side & SIDE_MEDIA_HANDOVER)
		flags |= FORWARD_MEDIA_HANDOVER;
	if (side & SIDE_ECHO)
		flags |= FORWARD_ECHO;
	if (side & (SIDE_ECHO_DROP | SIDE_DROP_TRAFFIC))
		flags |= FORWARD_ECHO_DROP;
	if (media->rtcp_mux)
		flags |= FORWARD_RTCP_MUX;
	if (media->ice_ufrag[0])
		flags |= FORWARD_ICE;
	if (media->srtp)
		flags |= FORWARD_SRTP;
	const struct dtls_connection *dtls = media->streams[STREAM_RTP].extras->dtls;
	if (dtls && dtls->params.enabled)
		flags |= FORWARD_DTLS;
	if (media->streams[STREAM_RTP].extras->family_fd >= 0)
		flags |= FORWARD_FAMILY_SOCKET;
	if (media->media_control)
		flags |= FORWARD_MEDIA_CONTROL;
	if (media->streams[STREAM_RTP].extras->bundle_transport)
		flags |= FORWARD_BUNDLE;
	if (!media->monologue->subscriber && media->streams[STREAM_RTP].extras->forks)
		flags |= FORWARD_FORK;   /* publish/subscribe: both streams' packets are copied */
	return flags;
}

void call_refresh_forwarding(struct call *call)
{
	struct media *media;
	call_foreach_media(call, media) {
		uint32_t flags = media_forward_flags(media);
		/* a recorded stream also hands its packets to the recording (FORWARD_RECORD) */
		struct stream *rtp = &media->streams[STREAM_RTP], *rtcp = &media->streams[STREAM_RTCP];
		rtp->forward_flags = flags | (rtp->extras->record && rtp->extras->recording_sink ? FORWARD_RECORD : 0);
		bool transcoded = rtp->extras->transcode != NULL;
		if (transcoded)
			rtp->forward_flags |= FORWARD_TRANSCODE;
		/* DTLS on a separate RTCP port: that stream is SRTP once its own association keyed it */
		if (dtls_srtp_rtcp_apart(media, media->rtcp_mux))
			flags = (flags & ~(uint32_t) FORWARD_SRTP) | (media->rtcp_srtp ? FORWARD_SRTP : 0);
		rtcp->forward_flags = flags | (rtcp->extras->record && rtcp->extras->recording_sink ? FORWARD_RECORD : 0);
		/* on the RTCP stream: its reports are rewritten for the other leg (transcode_rtcp.h) */
		if (transcoded)
			rtcp->forward_flags |= FORWARD_TRANSCODE;
		struct stream_extras *extras = rtp->extras;
		extras->media_control = media->media_control;
		extras->telephone_event_types = media->telephone_event_types;
		extras->pcmu_types = media->pcmu_types;
		extras->pcma_types = media->pcma_types;
		extras->telephone_event_clock = media->telephone_event_clock;
	}
}

void call_totals(struct call *call, struct call_totals *totals)
{
	memset(totals, 0, sizeof(*totals));
	struct stream *stream;
	call_foreach_stream(call, stream) {
		const struct stream_counters *counters = &stream->counters;
		if (stream->kind == STREAM_RTP) {
			totals->rtp_packets += counters->packets;
			totals->rtp_bytes += counters->bytes;
			totals->rtp_errors += counters->errors;
		} else {
			totals->rtcp_packets += counters->packets;
			totals->rtcp_bytes += counters->bytes;
			totals->rtcp_errors += counters->errors;
		}
		if (counters->last_packet_us > totals->last_packet_us)
			totals->last_packet_us = counters->last_packet_us;
	}
}

void call_remove_monologue(struct monologue *monologue)
{
	struct call *call = monologue->call;
	int fds[CALL_MAX_MEDIA][2], family_fds[CALL_MAX_MEDIA][2];
	/* the worker tests fd < 0 under the lock before it reads a socket */
	pthread_mutex_lock(&call->lock);
	for (unsigned int i = 0; i < monologue->media_count; i++)
		media_take_sockets(monologue->media[i], fds[i], family_fds[i]);
	pthread_mutex_unlock(&call->lock);
	for (unsigned int i = 0; i < monologue->media_count; i++)
		media_give_back_sockets(monologue->media[i], fds[i], family_fds[i]);
	unsigned int kept = 0;
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		struct monologue *other = call->monologues[m];
		if (other == monologue)
			continue;
		if (other->peer == monologue)
			other->peer = NULL;
		call->monologues[kept++] = other;
	}
	call->monologue_count = kept;
	monologue->removed_next = call->removed_monologues;
	call->removed_monologues = monologue;
}

void call_remove_branch(struct monologue *branch)
{
	struct call *call = branch->call;
	struct monologue *offerer = branch->peer;
	call_remove_monologue(branch);
	branch->branch_ended = true;
	/* the offerer's peer: the latest branch still there (a re-offer without to-tag goes to it) */
	for (unsigned int m = call->monologue_count; offerer && !offerer->peer && m-- > 0;)
		if (call->monologues[m]->peer == offerer)
			offerer->peer = call->monologues[m];
}

bool call_remove_due_branches(struct call *call, int64_t now_us)
{
	bool removed = false;
	for (unsigned int m = 0; m < call->monologue_count;) {
		struct monologue *branch = call->monologues[m];
		if (!branch->branch_delete_at_us || now_us < branch->branch_delete_at_us) {
			m++;
			continue;
		}
		log_call(LOG_INFO, call->call_id, "Deleting via-branch '%s' (delayed)", branch->via_branch);
		call_remove_branch(branch);   /* the array closes up: m is the next one now */
		removed = true;
	}
	return removed;
}

void call_destroy(struct call *call, const char *reason)
{
	log_call(LOG_INFO, call->call_id, "Deleting call (%s)", reason);
	/* Under the lock only the flag: the worker checks it before it touches a stream's socket,
	 * so the close() calls (and the epoll removal they imply) can run outside the lock. */
	pthread_mutex_lock(&call->lock);
	call->deleted = true;
	pthread_mutex_unlock(&call->lock);
	struct media *media;
	call_foreach_media(call, media)
		media_close_sockets(media);
	g_hash_table_remove(calls_by_id, call->call_id);
	/* without a worker (media workers not started: unit tests) nothing else can point into it */
	if (call->worker)
		relay_retire_call(call->worker, call);
	else
		call_free(call);
}

/* One media's memory (its sockets are closed): worker thread, at a quiescent point. */
static void media_free(struct media *media, struct call *call)
{
	media_crypto_free(media);
	ice_agent_free(media, call->worker);
	dtls_connection_free(media->streams[STREAM_RTP].extras->dtls);
	dtls_connection_free(media->streams[STREAM_RTCP].extras->dtls);
	dtls_srtp_free_rtcp(media);
	media_transcode_free(media);
	media_dtmf_detect_free(media);
	g_free(media->streams[STREAM_RTP].extras->dtmf_trigger);   /* media_control.c, NULL without */
	relay_dtmf_delay_free(call->worker, media->streams[STREAM_RTP].extras->dtmf_delay);
	bundle_group_free(media->streams[STREAM_RTP].extras->bundle_group);
	media_quality_release(media->streams[STREAM_RTP].extras->quality);
	g_free(media->streams[STREAM_RTP].extras->kernel);   /* kernel_backend.c, NULL without a target */
	g_free(media->streams[STREAM_RTCP].extras->kernel);
	if (!media->monologue->subscriber)
		g_free(media->streams[STREAM_RTP].extras->forks);   /* publish/subscribe (pubsub.h) */
	if (media->protocol_allocated)
		g_free(media->protocol);
	/* with the quality state, type and protocol; both may sit in the call's arena */
	call_free_aligned(call, media->streams[STREAM_RTP].extras);
	call_free_aligned(call, media);
}

static void monologue_free(struct monologue *monologue, struct call *call)
{
	call_free_unaligned(call, monologue->tag);   /* tag and monologue may sit in the call's arena */
	g_free(monologue->via_branch);
	g_free(monologue->label);
	g_free(monologue->sdp);
	call_free_unaligned(call, monologue);
}

void call_free(struct call *call)
{
	/* the iterator reads only the monologues, which outlive their media here */
	struct media *media;
	call_foreach_media(call, media)
		media_free(media, call);
	for (unsigned int m = 0; m < call->monologue_count; m++)
		monologue_free(call->monologues[m], call);
	while (call->removed_monologues) {
		struct monologue *removed = call->removed_monologues;
		call->removed_monologues = removed->removed_next;
		for (unsigned int i = 0; i < removed->media_count; i++)
			media_free(removed->media[i], call);
		monologue_free(removed, call);
	}
	pthread_mutex_destroy(&call->lock);
	cache_line_free(call);   /* with the call-id and the arena */
}
