/* BUNDLE (RFC 9143) in offer and answer: a side's a=group:BUNDLE, a=mid, the MID header
 * extension's a=extmap id (RFC 8285) and a=ssrc lines (RFC 5576), read from its SDP into the
 * demultiplexing table (bundle_demux.h) of the one transport its bundled m= lines share.
 *
 * Model: on a bundled side, the media of the group's first (tagged, RFC 9143 section 7.2) m=
 * line owns the transport: its socket, ICE agent, DTLS association and SRTP contexts carry
 * every member's packets. media->bundle_owner (control thread) names it; the worker's copies
 * are in each member stream's extras (bundle_transport, bundle_index) and, on the owner's RTP
 * stream, the struct bundle_group (bundle_group), published under the call's lock by
 * ng_offer_answer.c. Control thread only, except the group's demux table, which the worker
 * updates (SSRCs it learns) under the call's lock. */
#ifndef RTPENGINE_BUNDLE_H
#define RTPENGINE_BUNDLE_H

#include <stdint.h>
#include "bundle_demux.h"
#include "call.h"
#include "sdp.h"

/* What the owner's RTP stream demultiplexes with: members[i] is the media of demux index i;
 * members[0] is the owner. One allocation, replaced whole by a new offer or answer. */
struct bundle_group {
	struct bundle_demux demux;
	struct media *members[BUNDLE_MAX_MEDIA];
};

/* A side's BUNDLE group as its SDP gives it: the m= lines (0-based) in the group's order. */
struct sdp_bundle {
	unsigned int count;             /* 0: no group (or fewer than two usable m= lines) */
	unsigned int lines[CALL_MAX_MEDIA];
};

/* Reads the SDP's first a=group:BUNDLE; each mid must name an m= line (a=mid) that is not
 * rejected (port 0 without a=bundle-only; the first, tagged one needs a port). A group of fewer than two such lines counts as none (one m= line is one
 * transport anyway). Returns bundle->count. */
unsigned int sdp_bundle_parse(const struct sdp_session *sdp, struct sdp_bundle *bundle);
/* The tagged (owning) m= line of the group line belongs to, or -ENOENT when not bundled. */
int sdp_bundle_owner_line(const struct sdp_bundle *bundle, unsigned int line);

/* Whether the m= line has a=bundle-only (RFC 8843 section 6: port 0, bundled, not rejected). */
bool sdp_media_bundle_only(const struct sdp_media *media);
/* The m= line's a=mid value, or NULL. */
const char *sdp_media_mid(const struct sdp_media *media);
/* The id of a=extmap:ID[/direction] urn:ietf:params:rtp-hdrext:sdes:mid (RFC 8285 section
 * 8), or 0. */
unsigned int sdp_media_mid_extension_id(const struct sdp_media *media);
/* The lowest one-byte-form id (1..14) no a=extmap of these m= lines uses, or 0. */
unsigned int sdp_free_extension_id(const struct sdp_session *sdp, const struct sdp_bundle *bundle);
/* The distinct SSRCs of the m= line's a=ssrc lines (RFC 5576 section 4.1), at most capacity. */
unsigned int sdp_media_ssrcs(const struct sdp_media *media, uint32_t *ssrcs, unsigned int capacity);

/* A new group for the bundled m= lines of sdp, whose media are media_by_line[line]: the
 * mids (mids[line] when not NULL, else the SDP's a=mid), the MID extension id (0: the SDP's),
 * each member's payload types and, with_ssrcs (the SDP is the bundled side's own), its a=ssrc
 * SSRCs. NULL when a mid is missing, repeated or too long. */
struct bundle_group *bundle_group_build(const struct sdp_session *sdp, const struct sdp_bundle *bundle,
					struct media *const *media_by_line, const char *const *mids,
					unsigned int mid_extension_id, bool with_ssrcs);
void bundle_group_free(struct bundle_group *group);

#endif
