/* publish/subscribe (upstream's `publish`, `subscribe request`, `subscribe answer`,
 * `unsubscribe`): media forked from source sides to subscriber sides of the same call.
 *
 * Model: a publisher is a monologue whose media have no peer (its packets are received and
 * held as a source); a normal offer/answer side can be a source too. A subscriber is a
 * monologue of its own (its own ports, tag = the reply's to-tag) whose media each name the
 * source media they copy (PUBSUB_SOURCE(media), kept in its RTP stream's extras). Once the subscriber answered, each
 * source media's RTP stream carries the list of its subscribers' media (extras->forks),
 * built outside the call's lock, swapped in under it and the old list freed after it.
 *
 * Packet path (relay.c): FORWARD_FORK on the source's streams costs one flag test; with it
 * every received packet (RTP and RTCP, plaintext after SRTP, after block/silence media) is
 * also sent to each subscriber with sendto(), unchanged (SSRC, sequence and timestamp kept,
 * as 10.5 does), SRTP-protected in a copy for a subscriber that uses SRTP, or through the
 * subscriber's own codec chain when it answered a codec the subscription added
 * (allow-transcoding). rtcp-mirror: a subscriber's RTCP goes back to its source. Forked
 * streams stay out of the kernel (kernel_backend.c says why).
 *
 * Threads: control thread, except struct pubsub_forks, which the worker reads under the
 * call's lock. */
#ifndef RTPENGINE_PUBSUB_H
#define RTPENGINE_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include "ng_request.h"

struct call;
struct media;
struct monologue;

/* The source media a subscriber's media copies (NULL: none), an lvalue; only for media of
 * a subscriber (monologue->subscriber): a source's extras hold its forks there (call.h). */
#define PUBSUB_SOURCE(media) ((media)->streams[STREAM_RTP].extras->subscription_source)

/* What the worker walks: the subscribers' media, in the order they subscribed. */
struct pubsub_forks {
	unsigned int count;
	struct media *sinks[];
};

int ng_command_publish(struct ng_request *request);
int ng_command_subscribe_request(struct ng_request *request);
int ng_command_subscribe_answer(struct ng_request *request);
int ng_command_unsubscribe(struct ng_request *request);

/* Rebuilds every source media's fork list from the call's subscribers and publishes the
 * lists under the call's lock (the old ones are freed after it). Control thread. */
void pubsub_refresh_forks(struct call *call);

/* Offer and answer keep each side's latest SDP (text, length bytes): a subscription to that
 * side is described from it. */
void pubsub_note_sdp(struct monologue *monologue, const char *text, size_t length);

/* ng_offer_answer.c's machinery for publish and subscribe (see its locking rule): an update
 * collects what the worker reads, commit publishes it under the call's lock, starts polling
 * new sockets and frees the update. */
struct call_update;
struct sdp_session;
struct sdp_media;
struct call_update *ng_update_new(struct call *call);
/* interface_name: the --interface to open them on (NULL, or a name it does not have: the first
 * one of the family, as 10.5 falls back) */
int ng_update_open_sockets(struct ng_request *request, struct call_update *update, struct media *media, int family,
			   const char *interface_name);
int ng_update_learn_sdp(struct ng_request *request, struct call_update *update, struct sdp_session *sdp,
			struct monologue *side, struct media *media, const struct sdp_media *sdp_media);
/* The request's SDP, or NULL with error_reason set (upstream's texts). */
struct sdp_session *ng_update_parse_sdp(struct ng_request *request);
void ng_update_commit(struct call_update *update);
/* Keying (SDES or DTLS-SRTP) as offer and answer do it: a publisher's offer taken, the lines
 * of our answer to it (at most NG_UPDATE_KEY_LINES; its DTLS association may start from then
 * on); our offer to a subscriber (its media's
 * protocol says whether it is SRTP) and the subscriber's answer. Line counts or -errno. */
#define NG_UPDATE_KEY_LINES 16
int ng_update_take_offer_keys(struct ng_request *request, struct sdp_session *sdp, struct media *media,
			      const struct sdp_media *sdp_media);
int ng_update_answer_key_lines(struct ng_request *request, struct media *media, const char **lines);
int ng_update_offer_key_lines(struct ng_request *request, struct media *media, const char **lines);
void ng_update_take_answer_keys(struct ng_request *request, struct sdp_session *sdp, struct media *media,
				const struct sdp_media *sdp_media);


/* For query: the tags this monologue copies media from, and the tags copying from it. */
unsigned int pubsub_subscriptions(const struct monologue *monologue, const struct monologue **tags, unsigned int max);
unsigned int pubsub_subscribers(const struct monologue *monologue, const struct monologue **tags, unsigned int max);

#endif
