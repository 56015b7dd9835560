/* What the two halves of the offer and answer commands share, and nobody else uses:
 * ng_offer_answer.c (the state machine: the request's SDP learnt into the call, sockets and
 * links staged in a struct call_update and published under the call's lock) and
 * ng_offer_answer_sdp.c (the SDP the other side gets: our addresses and ports, ICE, mid,
 * SRTP keying, BUNDLE, codecs and ptime). Control thread only; the locking rule is at the
 * top of ng_offer_answer.c. */
#ifndef RTPENGINE_NG_OFFER_ANSWER_H
#define RTPENGINE_NG_OFFER_ANSWER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include "bundle.h"
#include "media_dtls.h"
#include "ng_request.h"
#include "sdp.h"

struct bundle_group;
struct call;
struct call_update;
struct media;
struct monologue;

/* Values that the offer and the answer handling share. */
struct sdp_exchange {
	struct ng_request *request;
	struct call *call;
	struct sdp_session *sdp;
	struct monologue *sender;     /* the side whose SDP this is */
	struct monologue *receiver;   /* the side that gets the rewritten SDP */
	struct call_update *update;
	struct sdp_bundle bundle;     /* the sender's a=group:BUNDLE (bundle.h) */
	bool answer;                  /* the SDP is an answer (detect-DTMF: media_dtmf_detect.h) */
	/* an offer of a BUNDLE group the receiver has not accepted yet (RFC 8843 section 7.2):
	 * each m= line keeps its own address, so that an answer declining the group works */
	bool bundle_initial_offer;
};

/* ---- ng_offer_answer.c: staging for the SDP writer ---- */

/* BUNDLE towards side: the members of group share the transport of its first media; every
 * other media of the side (all of them when group is NULL) has its own. */
void ng_update_stage_bundle(struct call_update *update, struct monologue *side, struct bundle_group *group);

/* ICE on both address families: the media's second socket pair on its interface's address of
 * the other family, opened the first time the media faces an ICE peer (failing costs only
 * that candidate). */
void ng_update_open_family_sockets(struct ng_request *request, struct call_update *update, struct media *media);

/* ---- ng_offer_answer_sdp.c ---- */

/* Writes the SDP the receiver gets into the reply's "sdp": the sender's SDP with our address
 * and the receiver-side ports in place of the sender's. Returns 0, or -errno with
 * error_reason set. */
int ng_write_sdp(struct sdp_exchange *exchange, bool offer);
/* loop-protect's a=rtpengine value: random per process (10.5's instance id) */
const char *ng_loop_protect_token(void);

/* ---- small predicates both use ---- */

static inline bool is_zero_address(const struct sdp_address *address)
{
	if (!address->family)
		return false;
	const union endpoint parsed = address->endpoint;   /* parsed by sdp_parse() */
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	if (parsed.address.sa_family == AF_INET)
		return parsed.v4.sin_addr.s_addr == INADDR_ANY;
	return !memcmp(&parsed.v6.sin6_addr, &any6, sizeof(any6));
}

/* An RTP m= line (RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, ...), as opposed to a data channel's
 * UDP/DTLS/SCTP or another non-RTP protocol that passes as opaque UDP (as upstream 10.5). */
static inline bool protocol_is_rtp(const char *protocol)
{
	return protocol && strstr(protocol, "RTP/") != NULL;
}

/* The DTLS options of the request towards one side: DTLS= for the side that receives the
 * SDP we write, DTLS-reverse= for the side whose SDP this is (upstream's semantics). */
static inline struct media_dtls_request dtls_request(const struct ng_flags *flags, bool reverse)
{
	struct media_dtls_request request = {
		.off = flags->dtls_off,
		.preference = (enum dtls_setup) (reverse ? flags->dtls_reverse_setup : flags->dtls_setup),
		.has_hash = flags->has_dtls_hash,
		.hash = (enum dtls_hash) flags->dtls_hash,
	};
	return request;
}

#endif
