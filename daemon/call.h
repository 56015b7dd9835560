/* The call model: call -> monologues (one per SIP tag) -> media (one per m= line) ->
 * streams (an RTP and an RTCP socket each).
 *
 * Ownership and threads: the control thread (ng commands, timers) creates, changes and
 * destroys calls and is the only writer of signalling state; each call is pinned to one media
 * worker that reads and forwards its packets. Both sides take call->lock: the worker once per
 * received batch, the control thread only to publish what the worker reads (with plain stores:
 * no system call, allocation, crypto or formatting under it) and to copy what the worker
 * writes (learned source, state, counters). Counters are written by the worker alone. */
#ifndef RTPENGINE_CALL_H
#define RTPENGINE_CALL_H

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec.h"
#include "endpoint.h"
#include "kernel.h"
#include "kernel_quality.h"
#include "media_player.h"
#include "sdp.h"
#include "timer_heap.h"

struct local_interface;
struct media_worker;
struct kernel_table;
struct recording_sink;
struct call_recording;
struct ice_agent;
struct dtls_connection;
struct ssrc_quality;
struct bundle_group;
struct pubsub_forks;
struct stream_kernel;

enum stream_kind { STREAM_RTP = 0, STREAM_RTCP = 1 };

enum stream_state_flags {
	STREAM_FILLED       = 1 << 0,   /* the SDP gave us the peer's address */
	STREAM_LATCHED      = 1 << 1,   /* a source was learned from packets */
	STREAM_CONFIRMED    = 1 << 2,   /* the learned source is fixed (no more re-learning) */
	STREAM_ICE_NO_CONSENT = 1 << 3, /* ICE consent expired (RFC 7675): send nothing to the peer */
};

/* Per-side settings taken from the ng request that described this side. */
enum monologue_flags {
	SIDE_ASYMMETRIC      = 1 << 0,  /* never learn the source: send to the SDP address */
	SIDE_STRICT_SOURCE   = 1 << 1,  /* drop packets from anyone but the learned source */
	SIDE_MEDIA_HANDOVER  = 1 << 2,  /* a new source takes over the stream */
	/* media echo (ng media-echo): this side's media goes back to it, or nowhere; kept across
	 * requests until another media-echo changes it, as 10.5 */
	SIDE_ECHO            = 1 << 3,
	SIDE_ECHO_DROP       = 1 << 4,
	/* drop-traffic=start: every side of the call, until drop-traffic=stop (media_control.c) */
	SIDE_DROP_TRAFFIC    = 1 << 5,
};

struct stream_counters {
	uint64_t packets, bytes, errors;
	int64_t last_packet_us;         /* CLOCK_REALTIME microseconds, 0 = never */
};

/* Copies, for the packet path, of settings that live further away (the side's flags, the
 * media's multiplexing, ICE and SRTP state), so that a batch touches only its stream's first
 * two cache lines. The control thread sets them with call_refresh_forwarding() under the
 * call's lock whenever signalling changes the originals. 32 bits: room for the features to
 * come (DTLS, recording, transcoding) without moving the hot fields. */
enum stream_forward_flags {
	FORWARD_ASYMMETRIC      = 1 << 0,
	FORWARD_STRICT_SOURCE   = 1 << 1,
	FORWARD_MEDIA_HANDOVER  = 1 << 2,
	FORWARD_RTCP_MUX        = 1 << 3,   /* this stream's media multiplexes RTCP */
	FORWARD_ICE             = 1 << 4,   /* STUN checks may arrive: look for them */
	FORWARD_SRTP            = 1 << 5,   /* media->srtp is set */
	FORWARD_RECORD          = 1 << 6,   /* extras->recording_sink takes a copy (recording.h) */
	FORWARD_DTLS            = 1 << 7,   /* DTLS-SRTP: demultiplex DTLS records (RFC 7983), hold media
					     * back until the handshake put keys into media->srtp */
	/* BUNDLE (bundle.h): extras->bundle_transport carries this stream's packets; on the
	 * transport's own RTP stream, extras->bundle_group says which media a packet is for */
	FORWARD_BUNDLE          = 1 << 14,
	/* ICE on both address families: extras->family_fd is open, the send socket follows the
	 * destination's family (stream_send_fd) */
	FORWARD_FAMILY_SOCKET   = 1 << 12,
	FORWARD_MEDIA_CONTROL   = 1 << 8,   /* block/silence media or DTMF: see extras (media_control.h) */
	FORWARD_TRANSCODE       = 1 << 9,   /* RTP goes through extras->transcode (media_transcode.h), RTCP is rewritten (transcode_rtcp.h) */
	/* publish/subscribe (pubsub.h): the media's RTP stream's extras->forks lists subscribers
	 * that get a copy of every packet received here */
	FORWARD_FORK            = 1 << 20,
	/* media echo (SIDE_ECHO, SIDE_ECHO_DROP): packets received here go back out of this
	 * stream to its source, unchanged, or are dropped, instead of going to the sink */
	FORWARD_ECHO            = 1 << 24,
	FORWARD_ECHO_DROP       = 1 << 25,
};

#define STREAM_CACHE_LINE 64

/* Per-stream state that the packet path does not read per packet: one side allocation per
 * media (both streams' entries together), reached through stream->extras. New per-stream
 * feature state (DTLS, recording, RTCP statistics) goes here, not into struct stream. */
struct dtmf_trigger;
struct dtmf_delay_line;

struct stream_extras {
	/* kernel forwarding, control thread only */
	bool kernelized;                /* forwarded by the kernel module (then kernel is set) */
	const char *kernel_reason;      /* why the kernel does not forward this stream (static text) */
	/* what the stream's kernel target was given and what of its counters was added
	 * (kernel_backend.c): allocated when its first target is pushed, NULL for the streams
	 * that never have one (no module, or a feature that keeps them in userspace) */
	struct stream_kernel *kernel;
	/* call recording (recording.c): the sink is published under the call's lock, record is
	 * copied into FORWARD_RECORD by call_refresh_forwarding() */
	struct recording_sink *recording_sink;
	bool record;                    /* not paused */
	bool recording_id_set;
	bool recording_formats_written; /* RTP stream's entry: the media's MEDIA chunks */
	unsigned int recording_id;      /* STREAM n of the proc metadata */
	unsigned int recording_media_id; /* RTP stream's entry: MEDIA n, 0 = none yet */
	/* DTLS-SRTP (dtls.h): this port's association, NULL without DTLS (the RTCP port's is
	 * used without rtcp-mux only); the parts and who owns them are described in dtls.h */
	struct dtls_connection *dtls;
	/* ICE on both address families (ice_agent.h): our host candidate of the other family,
	 * a second socket for this stream (-1: none; opened when the media faces an ICE peer and
	 * the logical interface has an address of both families). Closed with the call. */
	int family_fd;
	int family;                     /* its address family (AF_INET6 when fd is IPv4) */
	uint16_t family_port;
	/* media quality (media_quality.h): the RTP stream's, NULL on the RTCP stream; written by
	 * the worker under the call's lock */
	struct ssrc_quality *quality;
	/* media control (media_control.h): the worker's copy of the media's settings, written by
	 * call_refresh_forwarding() under the call's lock, read only with FORWARD_MEDIA_CONTROL */
	uint8_t media_control;               /* enum media_control_flags */
	unsigned int telephone_event_clock;  /* Hz, for event durations */
	struct codec_payload_set telephone_event_types, pcmu_types, pcma_types;
	/* the packet path's own: the last RFC 4733 event reported (its RTP timestamp) */
	bool dtmf_reported;
	uint32_t dtmf_timestamp;
	/* block DTMF with trigger (media_control.c): settings and the packet path's progress, a
	 * side allocation replaced under the call's lock, NULL without */
	struct dtmf_trigger *dtmf_trigger;
	/* DTMF-delay (dtmf_delay.h), the RTP stream's: the delay line its RTP waits in with
	 * MEDIA_CONTROL_DTMF_DELAY; set under the call's lock (a replaced line drains and stays
	 * chained to it), emptied by the worker, freed with the media; NULL without */
	struct dtmf_delay_line *dtmf_delay;
	/* transcoding (media_transcode.h): the RTP stream's chain, replaced under the call's lock,
	 * read by the worker with FORWARD_TRANSCODE */
	struct codec_chain *transcode;
	/* detect-DTMF (media_dtmf_detect.h): the RTP stream's detectors (one per audio payload
	 * type), replaced under the call's lock, fed by the worker with MEDIA_CONTROL_INBAND_DTMF */
	struct media_dtmf_detectors *dtmf_detect;
	/* RTCP of a transcoded media (transcode_rtcp.h), the RTP stream's, worker only: what the
	 * last reception report the relay wrote about this stream's input counted (RFC 3550 A.3) */
	uint32_t rtcp_expected_prior, rtcp_received_prior;
	/* DTX (media_transcode.h, --dtx-delay), worker only: fires when the RTP stream went quiet */
	struct timer_entry dtx_timer;
	int64_t dtx_last_us;            /* CLOCK_MONOTONIC of its last RTP packet */
	/* BUNDLE (bundle.h), published under the call's lock: the owner media's RTP stream, whose
	 * socket, peer and keys carry this stream's packets (NULL: its own); this media's index
	 * in the group (the MID it gets towards the bundled side); on the owner's RTP stream the
	 * demultiplexing table (freed with the call or after a replacement was published) */
	struct stream *bundle_transport;
	struct bundle_group *bundle_group;
	uint8_t bundle_index;
	/* publish/subscribe (pubsub.h), on the RTP stream; one or the other, as a subscriber is
	 * never a source (media->monologue->subscriber tells which): */
	union {
		/* a source's: the subscribers' media that get a copy of what this media receives;
		 * replaced whole under the call's lock, NULL = none */
		struct pubsub_forks *forks;
		/* a subscriber's, control thread: the source media it copies (PUBSUB_SOURCE) */
		struct media *subscription_source;
		/* on the RTCP stream (its own slot is free): a subscriber's that asked rtcp-mirror,
		 * the source media its RTCP goes back to; written under the call's lock, read by
		 * the worker for packets without a sink */
		struct media *rtcp_mirror;
	};
};

/* The media's side allocation: its two streams' extras, then (64-byte aligned, at
 * STREAM_QUALITY_OFFSET) the RTP stream's struct ssrc_quality, then the type and protocol
 * texts (call.c monologue_add_media()). */
#define STREAM_QUALITY_OFFSET ((2 * sizeof(struct stream_extras) + 63) & ~(size_t) 63)

struct stream {
	/* The packet path reads and writes these per packet (the first two cache lines). */
	struct call *call;              /* media->monologue->call, fixed for life */
	struct stream *sink;            /* where packets received here go: the peer side's stream */
	struct media *media;
	int fd;                         /* our socket on this side (-1 once closed) */
	uint16_t local_port;
	uint8_t kind;                   /* enum stream_kind */
	uint8_t state;                  /* enum stream_state_flags */
	uint32_t forward_flags;         /* enum stream_forward_flags */
	uint32_t last_ssrc;
	union endpoint learned;         /* the source packets really come from */
	struct stream_counters counters;
	int64_t learned_last_us;        /* last packet from the learned source */
	struct stream_extras *extras;   /* never NULL; fixed for life */
	/* Read on the packet path only while learning or when sending to the SDP address. */
	int64_t first_packet_us;        /* for delayed endpoint learning */
	union endpoint advertised;      /* the peer's address as its SDP gave it (third cache line) */
} __attribute__((aligned(STREAM_CACHE_LINE)));

/* A field added to the hot part must not push the packet path into a third cache line:
 * advertised is the first field that is not read per packet once the source is latched. */
_Static_assert(offsetof(struct stream, advertised) <= 2 * STREAM_CACHE_LINE,
	       "struct stream: the per-packet fields must fit in two cache lines");

struct media {
	struct monologue *monologue;
	unsigned int index;             /* 1-based m= line number, as upstream reports it */
	unsigned int label_id;          /* the call's media in the order they were made: 10.5's a=label (pubsub.c) */
	char *type;                     /* "audio", ... */
	char *protocol;                 /* transport protocol as this side uses it (media_set_protocol) */
	bool protocol_allocated;        /* protocol is its own allocation, not in the extras block */
	bool protocol_translated;       /* set by an offer's transport-protocol: kept by re-offers without one (10.5) */
	bool protocol_own;              /* protocol is what this side's own offer said, not what it heard */
	bool protocol_kept_own;         /* the offer being written keeps that (SRTP) protocol (10.5) */
	struct local_interface *interface;
	enum sdp_direction direction;
	bool rejected;                  /* port 0 */
	bool rtcp_mux;                  /* this side multiplexes RTCP on the RTP socket */
	bool rtcp_mux_offered;          /* this side's offer carried a=rtcp-mux */
	uint8_t rtcp_mux_policy;        /* enum ng_rtcp_mux_policy from the offer request */
	uint8_t branch_rtcp_mux_policy; /* on a via-branch's side: the policy of the offer it was
					 * sent, which its answer applies (each branch its own, GH 793) */
	bool ice_seen;
	/* our ICE credentials towards this side (RFC 8445 section 5.3), empty until we first
	 * advertise ICE: ufrag of 8 and password of 26 ice-chars, as upstream */
	char ice_ufrag[9];
	char ice_pwd[27];
	/* full ICE (ice_agent.h): our role towards this side, decided when we first gave it our
	 * credentials (in an offer: controlling); the agent as the control thread built it
	 * (ice_staged) and as the worker sees it (ice_agent, set under call->lock once running) */
	bool ice_controlling;
	bool ice_lite;                  /* ICE-lite towards this side: a=ice-lite, no checks of ours */
	char mid[33];                   /* the side's a=mid (RFC 5888), "" if none: answers repeat it */
	bool bundled;                   /* the side's a=group:BUNDLE holds this media (RFC 9143) */
	/* BUNDLE towards this side (bundle.h), control thread: the media whose transport this m=
	 * line shares (itself for the owner), NULL = its own; the MID header extension's id */
	struct media *bundle_owner;
	uint8_t bundle_extension_id;
	struct ice_agent *ice_staged;
	struct ice_agent *ice_agent;
	struct media_crypto *crypto;    /* SDES-SRTP negotiation on this side (control thread), NULL for plain RTP */
	struct media_srtp *srtp;        /* the SRTP contexts the packet path uses, NULL for plain RTP;
					 * replaced whole under call->lock (media_crypto.h) */
	struct media_srtp *rtcp_srtp;   /* DTLS-SRTP without rtcp-mux: the RTCP port's own association's
					 * keys (RFC 5764 section 4.1), used for the RTCP stream when set;
					 * the worker's, under call->lock (dtls_srtp.h) */
	unsigned int rtp_port;          /* first port of the pair we hold, 0 = none */
	/* ICE on both address families: the pair on the logical interface's address of the
	 * other family (extras->family_fd), 0 = none */
	struct local_interface *family_interface;
	unsigned int family_rtp_port;
	char codecs[64];                /* this side's payload types as its SDP named them, for the
					 * live view: "PCMU/8000 PCMA/8000" (cut at a whole name) */
	struct media_player player;     /* play media (media_player.h) */
	/* media control (media_control.h), control thread only: what is done to the packets this
	 * side sends, and its SDP's payload types that matter for it */
	uint8_t media_control;          /* enum media_control_flags */
	unsigned int telephone_event_clock;
	struct codec_payload_set telephone_event_types, pcmu_types, pcma_types;
	/* block DTMF's audio modes (media_transcode_stage_dtmf_tones()): the first G.711 codec and
	 * the first telephone-event at 8000 Hz of this side's SDP, when dtmf_audio_known */
	bool dtmf_audio_known, dtmf_audio_alaw;
	bool dtmf_as_tones;             /* such a mode is on: every chain of this side plays events */
	uint8_t dtmf_audio_type, dtmf_event_type;
	/* codec negotiation (codec.h), control thread only */
	struct codec_payload_set offered_payload_types;  /* what this side was last offered ... */
	bool offered_payload_types_known;                /* ... once an offer was written to it */
	char offer_ptime[8];            /* this side's last offer's a=ptime ("" if none), for the answer */
	char ptime_reverse[8];          /* ptime-reverse of this side's last offer ("" if none) */
	/* transcoding (media_transcode.h), control thread only; NULL until a transcode request */
	struct media_transcode *transcode;
	struct media_dtmf_detect *dtmf_detect;   /* detect-DTMF (media_dtmf_detect.h), control thread */
	struct stream streams[2];       /* [STREAM_RTP], [STREAM_RTCP] */
};

struct monologue {
	struct call *call;
	char *tag;                      /* from-tag or to-tag; NULL until the answer names it */
	char *via_branch;
	int64_t branch_delete_at_us;    /* a via-branch's delete under delete-delay: when it goes (0 = not) */
	struct monologue *peer;         /* the other side of the dialogue */
	int64_t created_us;
	struct monologue *removed_next; /* the call's removed_monologues list */
	unsigned int flags;             /* enum monologue_flags */
	/* the call's sides in the order they were made, from 0 (10.5's "<untagged N>" in query:
	 * a side keeps its number while others come and go) */
	unsigned int number;
	struct media *media[16];        /* one per m= line */
	unsigned int media_count;
	unsigned int sdp_length;        /* of sdp, below (here: no padding beside media_count) */
	char *label;
	bool no_recording;              /* exclude-recording: never recorded (recording.c) */
	bool detect_dtmf;               /* detect-DTMF was asked for (media_dtmf_detect.h) */
	bool inject_dtmf;               /* inject-DTMF was in this side's offer or answer: play DTMF
					 * goes into the stream towards it (media_transcode.h) */
	/* publish/subscribe (pubsub.h): a publisher's media has no peer; a subscriber's media
	 * each receive a copy of a source media (PUBSUB_SOURCE), once answered */
	bool publisher, subscriber, subscription_answered;
	bool rtcp_mirror;               /* subscribe request's rtcp-mirror (pubsub.h) */
	/* a via-branch ended by delete (call_remove_branch()): out of the call, its ports given
	 * back, on the call's removed list, still listed by query as 10.5 lists it */
	bool branch_ended;
	char *sdp;                      /* the lines of the SDP this side last sent that pubsub.c uses */
	/* replace=SDP-version (ng_offer_answer_sdp.c): the o= version we give for this side's SDP
	 * and a hash of the SDP it last sent (without its o= line) */
	char sdp_version[24];
	guint sdp_version_hash;
};

#define CALL_MAX_MONOLOGUES 8
#define CALL_MAX_MEDIA 16

struct call {
	/* what the packet path touches, in one cache line */
	pthread_mutex_t lock;
	bool deleted;                   /* sockets closed; memory goes back via the worker */
	char *call_id;
	struct media_worker *worker;
	int64_t created_us;
	int64_t last_signal_us;
	int64_t delete_at_us;           /* 0 = not scheduled */
	struct monologue *monologues[CALL_MAX_MONOLOGUES];
	unsigned int monologue_count;
	struct call_recording *recording;  /* recording.c, NULL when never asked for */
	union endpoint created_from;    /* the proxy whose offer created the call (CLI listings) */
	/* room allocated with the call for its first sides, their tags and m= lines (call.c) */
	char *arena_start, *arena_next, *arena_end;
	/* monologues taken out of the call (unsubscribe, an ended via-branch), newest first, linked
	 * by removed_next: their memory may still be pointed at by the worker's current round, so
	 * it goes with the call's */
	struct monologue *removed_monologues;
	unsigned int monologues_created; /* sides made so far (monologue->number) */
	unsigned int media_created;     /* media made so far (media->label_id) */
} __attribute__((aligned(STREAM_CACHE_LINE)));

struct call_totals {
	uint64_t rtp_packets, rtp_bytes, rtp_errors;
	uint64_t rtcp_packets, rtcp_bytes, rtcp_errors;
	int64_t last_packet_us;
};

/* Wall-clock microseconds. Within an ng request the clock is frozen at the request's start
 * (clock_freeze_us(), ng_server.c): everything one request does (call, tags, events, signal
 * time) is stamped with one time, as upstream stamps a request with one rtpe_now, and the
 * control thread reads the clock once per request instead of about five times (a vDSO read
 * measured 60 ns here). clock_read_realtime_us() always reads the clock. Per thread. */
int64_t now_realtime_us(void);
int64_t clock_read_realtime_us(void);
void clock_freeze_us(int64_t now_us);
void clock_thaw(void);
bool clock_frozen(void);

/* Registry of live calls by call-id: control thread only. */
void call_registry_init(void);
struct call *call_lookup(const char *call_id);
/* A new, empty call in the registry. call_start() (call_lifecycle.h) is its only caller. */
struct call *call_create(const char *call_id, struct media_worker *worker);
unsigned int call_count(void);
/* Iterate over all calls (control thread). */
void call_foreach(void (*function)(struct call *call, void *data), void *data);

/* Every media and every stream of a call, side by side (monologue by monologue, m= line by
 * m= line, RTP before RTCP), for the many places that visit them all alike:
 *     struct stream *stream;
 *     call_foreach_stream(call, stream)
 *         ...;
 * break and continue work as in any loop. The call's shape must not change meanwhile (hold
 * call->lock, or be the control thread where the packet path does not matter). A loop that
 * pairs a side's media with its peer's uses media->index - 1 as the peer's index. */
struct call_position {
	const struct call *call;
	unsigned int monologue, media, kind;
};

static inline struct media *call_next_media(struct call_position *position)
{
	while (position->monologue < position->call->monologue_count) {
		const struct monologue *monologue = position->call->monologues[position->monologue];
		if (position->media < monologue->media_count)
			return monologue->media[position->media++];
		position->monologue++;
		position->media = 0;
	}
	return NULL;
}

static inline struct stream *call_next_stream(struct call_position *position)
{
	/* media is the index of the next media, so the current one is media - 1 */
	if (position->media && position->kind <= STREAM_RTCP) {
		const struct monologue *monologue = position->call->monologues[position->monologue];
		return &monologue->media[position->media - 1]->streams[position->kind++];
	}
	struct media *media = call_next_media(position);
	if (!media)
		return NULL;
	position->kind = STREAM_RTCP;
	return &media->streams[STREAM_RTP];
}

#define call_foreach_media(call, media) \
	for (struct call_position media##_position = { .call = (call) }; \
	     ((media) = call_next_media(&media##_position)) != NULL;)
#define call_foreach_stream(call, stream) \
	for (struct call_position stream##_position = { .call = (call) }; \
	     ((stream) = call_next_stream(&stream##_position)) != NULL;)

/* An RTP stream's media quality state, found from stream->extras by the layout above: the
 * packet path does not load the extras' own cache lines for it. RTP streams only. */
static inline struct ssrc_quality *stream_quality(const struct stream *stream)
{
	return (struct ssrc_quality *) (void *) ((char *) stream->extras + STREAM_QUALITY_OFFSET);
}

struct monologue *call_find_monologue(struct call *call, const char *tag);
struct monologue *call_add_monologue(struct call *call, const char *tag);
void monologue_set_tag(struct monologue *monologue, const char *tag);
/* Takes a monologue out of its call (unsubscribe): its sockets stop under the call's lock and
 * are given back, the slot is free for another; its memory is freed with the call's. Nothing
 * else may point at its media (sinks, forks) any more. Control thread. */
void call_remove_monologue(struct monologue *monologue);
/* A forked offer's branch side taken out (call_remove_monologue()) and marked branch_ended, its
 * peer kept (query still lists it, as 10.5); the sides it answered keep, as their peer, the
 * latest other branch that answers them. */
void call_remove_branch(struct monologue *branch);
/* Branches whose delayed delete (branch_delete_at_us) is due by now_us are removed; true if any. */
bool call_remove_due_branches(struct call *call, int64_t now_us);

/* Adds media to a monologue, without sockets (ng_offer_answer.c opens them). */
struct media *monologue_add_media(struct monologue *monologue, const char *type, const char *protocol);

/* A re-offer changed the side's transport protocol (RTP/SAVP <-> UDP/TLS/RTP/SAVP, ...):
 * control thread, not read by the packet path. */
void media_set_protocol(struct media *media, const char *protocol);

/* Copies the side, media, ICE and SRTP settings the packet path needs into every stream
 * (stream->forward_flags); call it under call->lock after changing any of them. */
void call_refresh_forwarding(struct call *call);

/* Sums counters over every stream. */
void call_totals(struct call *call, struct call_totals *totals);

/* Closes every socket, gives the ports back, removes the call from the registry and hands
 * its memory to its worker, which frees it once it holds no pointer into it.
 * call_end() (call_lifecycle.h) is its only caller: it runs the observers first. */
void call_destroy(struct call *call, const char *reason);
/* Frees the memory: worker thread, at a quiescent point. */
void call_free(struct call *call);

/* ICE on both address families: the socket that reaches destination (the other family's
 * when the stream has one and the destination is of that family), else stream->fd. */
static inline int stream_send_fd(const struct stream *stream, const union endpoint *destination)
{
	const struct stream_extras *extras = stream->extras;
	if (extras->family_fd >= 0 && destination->address.sa_family == extras->family)
		return extras->family_fd;
	return stream->fd;
}

#endif
