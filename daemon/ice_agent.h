/* A full ICE agent per media section facing an ICE peer (RFC 8445), with consent freshness
 * (RFC 7675): our own connectivity checks on every candidate pair of our host candidate and
 * the peer's candidates, controlling/controlled roles with conflict resolution (487),
 * nomination (regular, by the controlling agent), re-checks on a new source (peer-reflexive
 * candidates, triggered checks), and consent: a selected pair whose peer has not answered
 * for 30 s stops receiving media until it answers again.
 *
 * Threads: the control thread creates the agent (ice_agent_stage*), and at publish time,
 * under the call's lock, hands it to the worker (ice_agent_publish: plain stores, no
 * allocation); from then on everything runs on the call's media worker under the call's
 * lock: the packet path (ice_responder.c) passes it the STUN it receives, and its worker
 * timer sends checks (outside the lock). Memory is freed with the call (ice_agent_free on
 * the worker, at its quiescent point). */
#ifndef RTPENGINE_ICE_AGENT_H
#define RTPENGINE_ICE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"
#include "ice_candidates.h"
#include "stun.h"
#include "timer_heap.h"

struct media;
struct stream;
struct media_worker;

#define ICE_MAX_PAIRS 32
/* RFC 8445 section 14.2: pacing of new checks */
#define ICE_TA_US 50000
/* RFC 7675 section 5.1: consent checks every 5 s (randomised 0.8..1.2), lost after 30 s */
#define ICE_CONSENT_INTERVAL_US 5000000
#define ICE_CONSENT_TIMEOUT_US 30000000
/* RFC 8445 section 14.3 / RFC 8489 section 6.2.1: a check is sent up to 7 times */
#define ICE_MAX_TRANSMISSIONS 7

enum ice_pair_state {
	ICE_PAIR_WAITING = 0,            /* (no frozen state: one data stream per agent) */
	ICE_PAIR_IN_PROGRESS,
	ICE_PAIR_SUCCEEDED,
	ICE_PAIR_FAILED,
};

struct ice_pair {
	uint8_t component;               /* 1 = RTP, 2 = RTCP */
	uint8_t remote;                  /* index into the agent's remote candidates */
	uint8_t state;                   /* enum ice_pair_state */
	uint8_t transmissions;
	bool triggered;                  /* a check from the peer came over it: check it next */
	bool nominating;                 /* the check in flight carries USE-CANDIDATE */
	bool nominated;                  /* by our USE-CANDIDATE or the peer's */
	bool consent_in_flight;          /* the check in flight is a consent check */
	unsigned char transaction_id[12];
	uint64_t priority;
	int64_t next_send_us;            /* retransmission deadline while in progress */
	int64_t last_response_us;        /* last authenticated success response (consent) */
};

enum ice_role_decision {
	ICE_ROLE_KEEP = 0,               /* no conflict */
	ICE_ROLE_SWITCH,                 /* we change role and answer */
	ICE_ROLE_CONFLICT,               /* we keep our role and answer 487 Role Conflict */
};

struct ice_agent {
	struct media *media;
	struct timer_entry timer;
	/* control thread only */
	struct ice_remote staged;        /* the peer's ICE as its latest SDP gave it */
	bool staged_changed;
	/* ICE restart by the peer (RFC 8445 section 9): our new credentials, written into the
	 * next SDP we send it and made the media's own at that publish */
	bool restart_pending, restart_written;
	char next_ufrag[ICE_LOCAL_UFRAG_LENGTH + 1], next_pwd[ICE_LOCAL_PWD_LENGTH + 1];
	/* worker, under the call's lock (the control thread writes them in ice_agent_publish) */
	bool running;
	bool controlling;
	uint64_t tie_breaker;
	struct ice_remote remote;        /* staged + peer-reflexive candidates learned from checks */
	unsigned int pair_count;
	struct ice_pair pairs[ICE_MAX_PAIRS];
	int selected[2];                 /* per component: index of the selected pair, -1 none */
	int64_t first_success_us;
	int64_t consent_next_us[2];
	bool consent_lost[2];
	uint64_t checks_sent, responses_received;
};

/* What `query` shows of an agent for one component (copied under the call's lock). */
struct ice_agent_status {
	bool running, controlling, consent_lost;
	unsigned int pairs, succeeded;
	union endpoint selected;         /* unset: no pair selected yet */
};

/* RFC 8445 section 7.3.1.1: what a Binding request's role attribute means for us. */
enum ice_role_decision ice_role_conflict(bool controlling, uint64_t our_tie_breaker,
                                         const struct stun_request_info *request);
/* Sorts pairs by priority, highest first (RFC 8445 section 6.1.2.3), in place. */
void ice_pairs_sort(struct ice_pair *pairs, unsigned int count);

/* Control thread: stage the peer's ICE from its latest SDP (allocating the agent on first
 * use). Returns 0 or -ENOMEM. */
int ice_agent_stage(struct media *media, const struct ice_remote *remote);
/* Control thread: the credentials the next SDP towards media's side carries: after the peer
 * restarted ICE new ones (then taken over at the next publish), else the media's own. */
void ice_agent_local_credentials(struct media *media, const char **ufrag, const char **pwd);
/* Control thread, under call->lock (publish): starts the agent when we advertised our
 * credentials to the peer (media->ice_ufrag) and know its own, copies a changed
 * description in and rebuilds the pairs. Returns true when the worker's timer must be
 * (re)armed now: ice_agent_kick() after unlocking. */
bool ice_agent_publish(struct media *media);
/* Control thread, outside the lock: schedules the agent's next round at once. */
void ice_agent_kick(struct media *media, struct media_worker *worker);
/* Under the call's lock: the agent's state for the component of stream (all false/0 when no
 * agent runs towards its side). Formatting is the caller's, outside the lock. */
void ice_agent_status(const struct stream *stream, struct ice_agent_status *status);
/* "controlling, 2 pairs, 1 succeeded, selected 192.0.2.1:5000, consent ok" */
void ice_agent_status_text(const struct ice_agent_status *status, char *out, size_t size);
/* Worker, at the call's free (quiescent point): cancels its timer and frees it. */
void ice_agent_free(struct media *media, struct media_worker *worker);

/* Worker, under the lock, for an authenticated Binding request (before answering it):
 * returns 487 when we keep our role against the peer's, else 0 (after switching role if
 * we must). */
int ice_agent_check_role(struct media *media, const struct stun_request_info *request);
/* Worker, under the lock, after answering an authenticated Binding request on stream:
 * learns peer-reflexive candidates, triggers a check, takes a nomination. Returns true
 * when media should now go to source (the peer's chosen or latest checked address). */
bool ice_agent_handle_request(struct stream *stream, const union endpoint *source,
                              const struct stun_request_info *request);
/* Worker, under the lock: a Binding success or error response on stream. */
void ice_agent_handle_response(struct stream *stream, const unsigned char *packet, size_t length,
                               const struct stun_request_info *response, const union endpoint *source);

#endif
