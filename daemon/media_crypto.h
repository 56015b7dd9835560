/* SDES-SRTP (RFC 4568, RFC 3711) on one side of a call: the keys we offer or answer with,
 * the keys the side gave us, and the two SRTP contexts the packet path uses. Allocated only
 * for sides that speak RTP/SAVP or RTP/SAVPF, so plain calls stay small.
 *
 * Threads: struct media_crypto (media->crypto) belongs to the control thread alone. The
 * contexts (struct media_srtp, media->srtp) are what the media worker uses, under the call's
 * lock. Negotiation never changes contexts that are in use: it builds new ones outside the
 * lock and stages them; media_crypto_publish() swaps the pointer under the lock (plain
 * stores), and media_crypto_release() frees the replaced contexts after the lock is released
 * (the worker touches contexts only under the lock, so it holds no pointer to them then). */
#ifndef RTPENGINE_MEDIA_CRYPTO_H
#define RTPENGINE_MEDIA_CRYPTO_H

#include <stdbool.h>
#include "sdes.h"
#include "srtp.h"

struct media;
struct sdp_media;

/* The suites upstream offers, in its order and with its tags. */
#define MEDIA_CRYPTO_OFFERED_SUITES 12

struct offered_key {
	struct sdes_crypto crypto;
	bool from_peer;                              /* the other side's own key, offered on (10.5) */
	char line[SDES_MAX_FORMATTED_LENGTH + 8];    /* "crypto:TAG SUITE inline:KEY" */
};

/* Built whole on the control thread; after publishing only the worker changes them (rollover
 * counters, replay windows). */
struct media_srtp {
	struct srtp_context decrypt;         /* packets from this side: its key */
	struct srtp_context encrypt;         /* packets to this side: our key */
};

/* What the request asks of our SDES offer (ng SDES-no-SUITE, SDES-only-SUITE, SDES-pad):
 * masks of 1 << enum srtp_suite; 0 = no restriction. */
struct media_crypto_options {
	uint32_t no_suites, only_suites;
	bool pad;                            /* keep the base64 '=' padding (upstream leaves it out) */
};

struct media_crypto {
	bool pad;                            /* lines formatted with base64 padding (SDES-pad) */
	bool active;                         /* keys agreed: contexts built (staged or published) */
	bool staged;                         /* publishing replaces media->srtp with staged_srtp */
	struct media_srtp *staged_srtp;      /* built by this request (NULL: SRTP stops) */
	struct media_srtp *retired;          /* replaced by publishing, freed by media_crypto_release() */
	struct sdes_crypto ours;             /* the key we encrypt with, as we offered/answered it */
	struct sdes_crypto theirs;           /* the key the side encrypts with */
	unsigned int offered_count;          /* our pending offer to this side */
	struct offered_key *offered;         /* MEDIA_CRYPTO_OFFERED_SUITES entries while an offer is pending */
	char answer_line[SDES_MAX_FORMATTED_LENGTH + 8];   /* "crypto:..." for the SDP towards this side */
	bool peer_key_taken;                 /* the answer picked a key of the other side's offer: that
					      * side is answered with this side's key (media_crypto_mirror) */
};

/* RTP/SAVP and RTP/SAVPF carry SDES keys (DTLS-SRTP profiles do not). */
bool media_protocol_uses_sdes(const char *protocol);
/* RTP/AVP and RTP/AVPF: where OSRTP (RFC 8643) carries SDES keys. */
bool media_protocol_is_plain_rtp(const char *protocol);

/* We offer SRTP to this side: fills lines (each "crypto:TAG SUITE inline:KEY") with every
 * suite, keeping the keys until the side answers. Returns the number of lines or -errno. */
int media_crypto_offer(struct media *media, const char **lines, unsigned int capacity);
/* The same, offering only the suites the options allow (a pending offer keeps its keys). Once
 * keys are agreed (re-offer): the agreed suite and key first, the other suites after it. */
int media_crypto_offer_with(struct media *media, const struct media_crypto_options *options, const char **lines,
			    unsigned int capacity);
/* The same, offering first the suites of the other side's SDES offer (peer_offer) with its
 * tags and keys, then the others with the tags after them, as 10.5 does: when the answerer
 * picks one of them, SRTP passes with one key per direction (media_crypto_mirror). */
int media_crypto_offer_reusing(struct media *media, const struct media_crypto_options *options,
			       const struct sdp_media *peer_offer, const char **lines, unsigned int capacity);
/* After media_crypto_take_answer() on `answered` picked a key of the offerer's (peer_key_taken):
 * the offerer is answered with the answerer's key under that tag, and decrypted with its own key
 * of that tag. Stages the offerer's contexts; 0 or -errno. */
int media_crypto_mirror(struct media *offerer, const struct media *answered);
/* The side answered our offer: picks our key with the answer's tag and stages both contexts. */
int media_crypto_take_answer(struct media *media, const struct sdp_media *sdp_media, const char **reason);
/* The side offered SRTP: picks the first suite we support, makes our key for the same suite and
 * tag, stages both contexts. The line for our answer is in media->crypto->answer_line. */
int media_crypto_take_offer(struct media *media, const struct sdp_media *sdp_media, const char **reason);
/* The same, skipping the suites the options leave out (options NULL: none). */
int media_crypto_take_offer_with(struct media *media, const struct sdp_media *sdp_media,
				 const struct media_crypto_options *options, const char **reason);
/* Under call->lock: the staged contexts (if any) become media->srtp. Plain stores only. */
void media_crypto_publish(struct media *media);
/* After call->lock is released: frees the contexts media_crypto_publish() replaced. */
void media_crypto_release(struct media *media);
/* Redis restore: keys agreed by another process; stages contexts built from them. 0 or -errno. */
int media_crypto_restore(struct media *media, const struct sdes_crypto *ours, const struct sdes_crypto *theirs,
                         const char *answer_line);
/* Everything, published contexts included: when the media is freed. */
void media_crypto_free(struct media *media);

#endif
