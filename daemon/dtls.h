/* DTLS-SRTP (RFC 5763, RFC 5764) on a media port: the pieces of text the SDP carries
 * (a=fingerprint, RFC 8122; a=setup, RFC 4145), the role each side takes, and one DTLS 1.2
 * association per media (on its RTP port) that the media worker runs, whose exported keys
 * become the media's SRTP contexts.
 *
 * Demultiplexing (RFC 7983 section 7): on a media port a first byte of 0..3 is STUN, 20..63
 * DTLS, 128..191 RTP/RTCP. dtls_is_record() is the test the packet path makes.
 *
 * Threads and ownership. struct dtls_connection hangs off a media's stream
 * (stream->extras->dtls: the RTP port's, and the RTCP port's, see RTCP below). Its parts:
 *   - negotiation (control thread alone, no lock): what was offered and answered, the lines
 *     for our SDP, the staged parameters;
 *   - published parameters (written by the control thread under call->lock in
 *     dtls_publish(), read by the worker under call->lock): role, expected fingerprint and a
 *     generation that changes when either changes;
 *   - the association (the worker, under call->lock): the OpenSSL object, its state, its
 *     retransmission timer. The worker compares the published generation with the one it
 *     runs and starts over when they differ (a re-offer with a new fingerprint or setup).
 * The control thread touches the association only when the call ends (dtls_close(): under
 * the lock it asks OpenSSL for the close_notify alert into a small buffer; it sends it after
 * unlocking) and when the memory goes (dtls_connection_free(), at the worker's quiescent
 * point or with no worker).
 *
 * Cost: a handshake is one ECDHE and one signature per side plus the certificate check; the
 * daemon's whole CPU per handshake is 0.8-0.9 ms with 200 at once (tests/bench/dtls_bench.py,
 * EC P-256; 10.5: 1.2-1.5 ms). It runs on the call's worker under the call's lock, as SRTP
 * does, so it delays only that call's packets and its signalling hand-over; the SRTP contexts
 * it keys are built there too (an allocation and key derivation, once per handshake). No
 * allocation per media packet: once keyed, media packets never reach this module.
 *
 * RTCP: without rtcp-mux the RTCP port runs an association of its own (RFC 5764 section 4.1):
 * the RTCP stream's extras hold a second connection whose parameters follow the RTP one's
 * (media_dtls.c), and its keys become media->rtcp_srtp (dtls_srtp.h).
 *
 * Errors: functions return 0 or a negative errno. */
#ifndef RTPENGINE_DTLS_H
#define RTPENGINE_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"
#include "timer_heap.h"

struct stream;
struct media_worker;

/* ---- a=fingerprint (RFC 8122 section 5) ---- */

enum dtls_hash {
	DTLS_HASH_SHA1,
	DTLS_HASH_SHA224,
	DTLS_HASH_SHA256,
	DTLS_HASH_SHA384,
	DTLS_HASH_SHA512,
	DTLS_HASH_COUNT
};

#define DTLS_DIGEST_MAX 64
/* "sha-512 " + 64 bytes as "XX:" */
#define DTLS_FINGERPRINT_TEXT_MAX (8 + DTLS_DIGEST_MAX * 3)

struct dtls_fingerprint {
	enum dtls_hash hash;
	unsigned int length;             /* 0: none */
	unsigned char digest[DTLS_DIGEST_MAX];
};

/* "sha-1", "sha-256", ... (the SDP spelling, RFC 8122 section 5). */
const char *dtls_hash_name(enum dtls_hash hash);
/* Case-insensitive, length-bounded. 0 or -ENOENT. */
int dtls_hash_from_name(const char *name, size_t length, enum dtls_hash *hash);
size_t dtls_hash_length(enum dtls_hash hash);
/* "sha-256 AB:CD:..." (the a=fingerprint value): 0, -EINVAL (malformed, wrong length for the
 * hash) or -ENOENT (a hash we do not know). */
int dtls_fingerprint_parse(const char *text, size_t length, struct dtls_fingerprint *fingerprint);
/* The a=fingerprint value with upper-case hex; returns the length or -ENOSPC. */
int dtls_fingerprint_format(const struct dtls_fingerprint *fingerprint, char *out, size_t size);
bool dtls_fingerprint_equal(const struct dtls_fingerprint *a, const struct dtls_fingerprint *b);
/* The digest of a DER certificate (OpenSSL X509 *) with the given hash: 0 or -EINVAL. */
int dtls_fingerprint_of_x509(const void *x509, enum dtls_hash hash, struct dtls_fingerprint *fingerprint);

/* ---- a=setup (RFC 4145 section 4, RFC 5763 section 5) ---- */

enum dtls_setup {
	DTLS_SETUP_UNSPECIFIED = 0,
	DTLS_SETUP_ACTPASS,
	DTLS_SETUP_ACTIVE,
	DTLS_SETUP_PASSIVE,
	DTLS_SETUP_HOLDCONN,
};

/* "actpass", ...; NULL for UNSPECIFIED. */
const char *dtls_setup_name(enum dtls_setup setup);
/* Case-insensitive; UNSPECIFIED for anything else. */
enum dtls_setup dtls_setup_from_name(const char *name, size_t length);
/* Our a=setup when we answer a side's offer (RFC 5763 section 5: the answerer picks active or
 * passive; an offer without a=setup counts as active, RFC 4145 section 4). preference is what
 * the request asked for (DTLS=active/passive) or UNSPECIFIED: like upstream we then take the
 * active role when the offer leaves the choice to us. HOLDCONN when the offer holds. */
enum dtls_setup dtls_setup_answer(enum dtls_setup offered, enum dtls_setup preference);
/* Our role after the side answered our offer with `answered`: active when it is passive and
 * the reverse; an answer without a=setup (or an invalid actpass) is taken as active
 * (RFC 4145 section 4), so we are passive. */
enum dtls_setup dtls_setup_after_answer(enum dtls_setup answered);

/* ---- demultiplexing and profiles ---- */

/* RFC 7983 section 7: a DTLS record starts with 20..63; 13 bytes is the DTLS record header. */
static inline bool dtls_is_record(const unsigned char *packet, size_t length)
{
	return length >= 13 && packet[0] >= 20 && packet[0] <= 63;
}

/* The use_srtp profile list we offer and accept, OpenSSL spelling, strongest first
 * (RFC 5764 section 4.1.2, RFC 7714 section 14.2). */
extern const char dtls_srtp_profiles[];

/* ---- counters (written by one worker, summed for `statistics`) ---- */

struct dtls_counters {
	uint64_t records;            /* DTLS datagrams taken in by an association */
	uint64_t handshakes;         /* completed, keys in place */
	uint64_t failed;             /* handshakes that failed (alert, protocol error, no profile) */
	uint64_t timeouts;           /* handshakes given up after DTLS_MAX_RETRANSMITS */
	uint64_t fingerprint_mismatch;  /* the peer's certificate did not match its a=fingerprint */
	uint64_t dropped_stranger;   /* DTLS from a source other than the association's peer */
	uint64_t dropped_garbage;    /* DTLS-looking datagrams OpenSSL refused, or no association */
	uint64_t dropped_pending;    /* media before the handshake finished (either direction) */
};

/* ---- one association per media ---- */

/* Handshake retransmission (RFC 6347 section 4.2.4.1): the first after DTLS_INITIAL_TIMEOUT_US,
 * doubling up to DTLS_MAX_TIMEOUT_US; after DTLS_MAX_RETRANSMITS the handshake is given up
 * (about 9 s: WebRTC peers give up their side in about the same time). */
#define DTLS_INITIAL_TIMEOUT_US 200000
#define DTLS_MAX_TIMEOUT_US 3200000
#define DTLS_MAX_RETRANSMITS 6
/* After a failed handshake a passive side accepts a new ClientHello only after this long:
 * a peer that keeps failing (a wrong fingerprint) costs one handshake per interval. */
#define DTLS_RETRY_HOLDOFF_US 1000000
/* An active side whose peer has no address yet (ICE still running) looks again this often,
 * every DTLS_INITIAL_TIMEOUT_US: 10 s. */
#define DTLS_MAX_PEER_WAITS 50

enum dtls_state {
	DTLS_IDLE = 0,               /* no association yet (passive: waiting for a ClientHello) */
	DTLS_HANDSHAKING,
	DTLS_ESTABLISHED,            /* keys exported into media->srtp */
	DTLS_FAILED,                 /* given up; a passive side may start over (holdoff) */
	DTLS_CLOSED,                 /* close_notify sent or received, or the call ended */
};

/* What the worker needs to run the association; published under call->lock. */
struct dtls_params {
	bool enabled;
	bool active;                         /* we are the DTLS client (a=setup:active) */
	struct dtls_fingerprint expected;    /* the peer's a=fingerprint (length 0: not given) */
	uint32_t generation;                 /* changes whenever the above change */
};

struct dtls_connection {
	/* negotiation: control thread only */
	struct dtls_params staged;
	bool staged_changed;                 /* dtls_publish() has something to publish */
	bool start_pending;                  /* we are active and a new association must start */
	enum dtls_hash our_hash;             /* hash of our a=fingerprint towards this side */
	enum dtls_setup our_setup;           /* a=setup we write towards this side */
	enum dtls_setup offered_setup;       /* a=setup of the side's last offer */
	char setup_line[24];                 /* "setup:actpass" */
	char fingerprint_line[12 + DTLS_FINGERPRINT_TEXT_MAX];   /* "fingerprint:sha-256 ..." */

	/* published: written by the control thread under call->lock */
	struct dtls_params params;

	/* the association: the worker, under call->lock */
	struct stream *stream;               /* the RTP stream the association runs on */
	void *ssl;                           /* SSL *, NULL while idle */
	enum dtls_state state;
	uint32_t running_generation;
	bool peer_known;
	bool peer_heard;                     /* a record came from peer (an active side's target may move once) */
	union endpoint peer;                 /* where our records go: the source of the peer's */
	unsigned int retransmits;
	unsigned int waits;                  /* an active side's looks for the peer's address */
	int64_t failed_us;                   /* CLOCK_MONOTONIC of the failure */
	bool fingerprint_mismatch;           /* set by the certificate check of this handshake */
	int srtp_suite;                      /* enum srtp_suite once established, else -1 */
	const void *installed;               /* the media->srtp the handshake put there */
	struct timer_entry timer;            /* retransmission, and the start of an active side */
	const unsigned char *input;          /* the datagram OpenSSL reads next */
	size_t input_length;
	/* dtls_close(): the close_notify record, sent after the lock is released */
	bool capture;
	unsigned char captured[128];
	size_t captured_length;
	/* Redis (redis_value.c): the established association's keying material, so that a standby
	 * can key the same SRTP contexts (the handshake itself cannot be resumed). The worker
	 * writes it under call->lock; 0 length until established. */
	uint16_t srtp_profile;
	uint8_t srtp_material_length;
	unsigned char srtp_material[2 * (32 + 14)];
};

/* The daemon's certificate and settings must be set up (dtls_certificate.h) before any of
 * these run. */

/* Control thread: the connection of a media's RTP stream, made on first use. */
struct dtls_connection *dtls_connection_of(struct stream *stream);
/* Stages new parameters (role, the peer's fingerprint); a change of either makes a new
 * generation, so the worker starts a new association. */
void dtls_stage(struct dtls_connection *connection, bool active, const struct dtls_fingerprint *expected);
/* Stops DTLS on this media (a re-offer without it). */
void dtls_stage_off(struct dtls_connection *connection);
/* Under call->lock: the staged parameters become the published ones (plain stores). */
void dtls_publish(struct dtls_connection *connection);
/* After the lock is released: an active side's association is started on the worker (a
 * posted timer at once). */
void dtls_kick(struct dtls_connection *connection, struct media_worker *worker);
/* The call ends (control thread, call whole, sockets open): sends close_notify on an
 * established association and stops its timer. */
void dtls_close(struct dtls_connection *connection, struct media_worker *worker);
/* Frees the association and the connection: where the media is freed. */
void dtls_connection_free(struct dtls_connection *connection);

/* Worker, call->lock held: a DTLS datagram arrived on the stream. Sends what the handshake
 * answers; on completion puts the exported keys into media->srtp. */
void dtls_handle_packet(struct dtls_connection *connection, const unsigned char *packet, size_t length,
			const union endpoint *source, struct dtls_counters *counters);
/* The state in words, for `query` and logs. */
const char *dtls_state_name(enum dtls_state state);

#endif
