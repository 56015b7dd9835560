/* RTCP of a transcoded media (issue 15): the two legs of a transcoded call carry different RTP
 * streams (another codec, clock, packet count and size), so an endpoint's reports would be
 * wrong on the other leg. As rtpengine 10.5 does (checked against Debian's 10.5 in
 * tests/e2e/test_transcode_rtcp.py), the relay rewrites each compound it forwards so that it
 * describes the media the relay itself sends and receives on the leg it goes to:
 *
 * - SR sender info (RFC 3550 section 6.4.1): the SSRC, RTP timestamp, packet and octet count
 *   of the stream the relay sends on the other leg for this sender (octets as 10.5 counts
 *   them: the RTP header included). The NTP timestamp is kept, so the LSR the other side
 *   echoes still matches the sender's own clock and its round trip stays end to end.
 * - Report blocks about the SSRC the reporter hears from us: the SSRC the relay received that
 *   stream as, and the relay's own reception of it (extended highest sequence number,
 *   cumulative and fraction lost, RFC 3550 appendix A.3). Jitter, LSR and DLSR are kept.
 * - Everything else (SDES, BYE, APP, feedback, XR) passes unchanged, as with 10.5.
 * A value the relay does not know (nothing sent or received yet on that SSRC) leaves the
 * field as the endpoint wrote it.
 *
 * Contract: transcode_rtcp_rewrite() works in place on a plain (SRTCP-decrypted) compound and
 * never changes its length; no allocation, no state, any thread (the relay calls it on the
 * call's worker under the call's lock, per RTCP packet only). */
#ifndef RTPENGINE_TRANSCODE_RTCP_H
#define RTPENGINE_TRANSCODE_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the relay sent on the other leg for the reporter's own media. */
struct transcode_rtcp_sent {
	bool known;
	uint32_t source_ssrc;           /* the SSRC the reporter sends its RTP with */
	uint32_t ssrc;                  /* the SSRC the relay sends it on with */
	uint32_t rtp_timestamp;         /* of the last packet sent */
	uint32_t packets, octets;
};

/* What the relay received of the media the reporter hears (the other side's RTP). */
struct transcode_rtcp_received {
	bool known;
	uint32_t heard_ssrc;            /* the SSRC the reporter receives it with from the relay */
	uint32_t source_ssrc;           /* the SSRC the relay received it with */
	uint32_t highest_sequence;      /* extended */
	int32_t cumulative_lost;        /* clamped to 24 bits signed by the writer */
	uint8_t fraction_lost;
};

/* Returns how many SR sender infos and report blocks were rewritten, or -EINVAL when the
 * compound is malformed (then nothing after the bad part was touched). */
int transcode_rtcp_rewrite(unsigned char *packet, size_t length, const struct transcode_rtcp_sent *sent,
			   const struct transcode_rtcp_received *received);

/* RFC 3550 appendix A.3: the fraction of packets lost in an interval, x 256, from the
 * expected and received counts at its start and end (0 when none were lost or expected). */
uint8_t transcode_rtcp_fraction_lost(uint32_t expected_prior, uint32_t received_prior,
				     uint32_t expected, uint32_t received);

#endif
