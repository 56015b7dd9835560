/* ICE descriptions (RFC 8445, RFC 8839): what the peer's SDP says about its ICE agent
 * (credentials, candidates, lite or full, end of candidates), our credentials, and the
 * priority arithmetic of candidates and candidate pairs.
 *
 * Pure functions over caller-supplied memory: no sockets, no allocation, no global state
 * (except the random credentials, from GLib's thread-safe generator), callable from any thread. */
#ifndef RTPENGINE_ICE_CANDIDATES_H
#define RTPENGINE_ICE_CANDIDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"

struct sdp_session;
struct sdp_media;

/* Enough for one host, one server-reflexive and one relayed candidate per family and
 * component, plus peer-reflexive ones learned from checks; more are ignored (logged). */
#define ICE_MAX_CANDIDATES 16
/* RFC 8839 section 5.4: ufrag 4..256 ice-chars, pwd 22..256; we keep what fits here and
 * treat a longer peer credential as no ICE. */
#define ICE_MAX_UFRAG 64
#define ICE_MAX_PWD 128
#define ICE_MAX_FOUNDATION 32
/* Our own: ufrag of 8 and password of 26 letters and digits (as upstream's lengths). */
#define ICE_LOCAL_UFRAG_LENGTH 8
#define ICE_LOCAL_PWD_LENGTH 26

/* RFC 8445 section 5.1.2.2: recommended type preferences */
enum ice_candidate_type {
	ICE_CANDIDATE_HOST = 0,
	ICE_CANDIDATE_SERVER_REFLEXIVE,
	ICE_CANDIDATE_PEER_REFLEXIVE,
	ICE_CANDIDATE_RELAYED,
};

struct ice_candidate {
	char foundation[ICE_MAX_FOUNDATION + 1];
	unsigned int component;          /* 1 = RTP, 2 = RTCP */
	uint32_t priority;
	enum ice_candidate_type type;
	union endpoint address;          /* with port */
};

/* The peer's ICE for one media section. */
struct ice_remote {
	char ufrag[ICE_MAX_UFRAG + 1], pwd[ICE_MAX_PWD + 1];
	bool lite;                       /* a=ice-lite: the peer never checks, we control */
	bool end_of_candidates;          /* RFC 8840: no more trickled candidates */
	bool trickle;                    /* a=ice-options:trickle (RFC 8840 section 4.1.1) */
	unsigned int candidate_count;
	struct ice_candidate candidates[ICE_MAX_CANDIDATES];
};

/* RFC 8445 section 5.1.2.1: (2^24) * type preference + (2^8) * local preference
 * + (256 - component). */
uint32_t ice_candidate_priority(enum ice_candidate_type type, unsigned int local_preference, unsigned int component);
/* RFC 8445 section 6.1.2.3: 2^32 * MIN(G,D) + 2 * MAX(G,D) + (G > D ? 1 : 0), with G the
 * controlling agent's candidate priority and D the controlled agent's. */
uint64_t ice_pair_priority(uint32_t controlling_priority, uint32_t controlled_priority);

/* Parses the value of an a=candidate attribute (RFC 8839 section 5.1):
 * "foundation component transport priority address port typ type [extensions]".
 * UDP only, numeric IPv4/IPv6 addresses only (an mDNS ".local" name or TCP candidate gives
 * -EPROTONOSUPPORT, which callers skip), component 1..256. Returns 0 or -EINVAL. */
int ice_candidate_parse(const char *value, size_t length, struct ice_candidate *candidate);
/* "host", "srflx", "prflx", "relay". */
const char *ice_candidate_type_name(enum ice_candidate_type type);

/* True when text[0..length) is a valid ice-ufrag (min 4) or ice-pwd (min 22) of ice-chars
 * (RFC 8839 section 5.4: ALPHA / DIGIT / "+" / "/"). */
bool ice_credential_is_valid(const char *text, size_t length, size_t minimum);
/* Random letters and digits only: some peers and proxies mishandle "+" and "/", which the
 * grammar allows. Writes length characters and a NUL. */
void ice_random_credential(char *out, size_t length);

/* Reads the peer's ICE of one media section, media-level attributes over session-level
 * ones (RFC 8839 section 5.4): ufrag, pwd, ice-lite, candidates, end-of-candidates.
 * Returns the number of usable candidates (0 is fine: trickle may bring them), or -ENOENT
 * when the media has no valid ufrag and pwd (no ICE towards this peer). */
int ice_remote_from_sdp(const struct sdp_session *session, const struct sdp_media *media, struct ice_remote *remote);

#endif
