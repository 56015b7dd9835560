/* DTLS-SRTP negotiation of one call side (RFC 5763 section 5, RFC 8842): what the side's SDP
 * offered or answered (a=fingerprint, a=setup), the role we take, and the attribute lines we
 * write towards it. The association itself runs on the worker (dtls.h).
 *
 * Threads: control thread alone, except media_dtls_publish() (under call->lock, plain stores)
 * and the "ended" observer, which sends close_notify (dtls_close()). */
#ifndef RTPENGINE_MEDIA_DTLS_H
#define RTPENGINE_MEDIA_DTLS_H

#include <stdbool.h>
#include "call_lifecycle.h"
#include "dtls.h"

struct media;
struct media_worker;
struct sdp_session;
struct sdp_media;

/* What the request asked for (ng DTLS=..., DTLS-reverse=..., DTLS-fingerprint=...). */
struct media_dtls_request {
	bool off;                      /* DTLS=off/no/disable: neither offer nor accept DTLS */
	enum dtls_setup preference;    /* our role when answering actpass: ACTIVE, PASSIVE or UNSPECIFIED */
	bool has_hash;
	enum dtls_hash hash;           /* hash of our a=fingerprint; else the peer's, else --dtls-signature */
};

/* setup, fingerprint: upstream 10.5 writes no a=tls-id (RFC 8842), nor do we */
#define MEDIA_DTLS_LINES 2

/* UDP/TLS/RTP/SAVP and UDP/TLS/RTP/SAVPF (RFC 5764 section 8). */
bool media_protocol_uses_dtls(const char *protocol);
/* The side's SDP offers DTLS-SRTP for this media: a DTLS transport, or an SRTP profile with a
 * fingerprint (media or session level), with or without a=crypto beside it. */
bool media_dtls_offered(const struct sdp_session *sdp, const struct sdp_media *sdp_media);
/* The side offered DTLS: checks its fingerprint, picks our role, stages the association's
 * parameters; our answer's lines are then media_dtls_lines(). 0 or -EINVAL with *reason. */
int media_dtls_take_offer(struct media *media, const struct sdp_session *sdp, const struct sdp_media *sdp_media,
			  const struct media_dtls_request *request, const char **reason);
/* The media has SDES a=crypto lines (the side chose SDES when we offered both). */
bool media_sdp_has_crypto(const struct sdp_media *sdp_media);
/* We offer DTLS to this side: fills lines ("setup:actpass", "fingerprint:...").
 * Returns the number of lines. */
int media_dtls_offer(struct media *media, const struct media_dtls_request *request, const char **lines,
		     unsigned int capacity);
/* The side answered our DTLS offer: its role and fingerprint. 0, -ENOENT (the answer has no
 * DTLS: the side declined it) or -EINVAL with *reason. */
int media_dtls_take_answer(struct media *media, const struct sdp_session *sdp, const struct sdp_media *sdp_media,
			   const char **reason);
/* The answer to the side's offer went through: the association towards it may start now.
 * preference: DTLS= of the answer command (our role if the side offered actpass). */
void media_dtls_answered(struct media *media, enum dtls_setup preference);
/* The media stops using DTLS (the side chose SDES or plain RTP). */
void media_dtls_off(struct media *media);
/* Our lines towards the side for an answer (after media_dtls_take_offer). */
int media_dtls_lines(struct media *media, const char **lines, unsigned int capacity);
/* True when DTLS was negotiated with the side (its fingerprint is known). */
bool media_dtls_agreed(const struct media *media);
/* True when DTLS is staged on (negotiated or offered) for this media. */
bool media_dtls_active(const struct media *media);
/* Under call->lock: staged parameters become the worker's. */
void media_dtls_publish(struct media *media);
/* After the lock: starts (or restarts) what the worker must start. */
void media_dtls_kick(struct media *media, struct media_worker *worker);

/* Sends close_notify on every established association of an ending call. */
extern const struct call_observer dtls_call_observer;

#endif
