/* BUNDLE (RFC 9143) demultiplexing, the building block: which m= line of a BUNDLE group an
 * RTP packet received on the group's one transport belongs to, by the MID header extension
 * (RFC 9143 section 9.2, urn:ietf:params:rtp-hdrext:sdes:mid, RFC 8285 one- and two-byte
 * forms) and by SSRC (a=ssrc lines, RFC 5576, and SSRCs learned from packets that carried a
 * MID, or from a payload type that only one media of the group uses). Pure and bounded: no
 * allocation, no locks; the caller owns the table. The packet path's use (relay.c, the BUNDLE
 * transport's stream) and the SDP side (bundle.c) are in docs/webrtc.md, "Inside the daemon: BUNDLE". */
#ifndef RTPENGINE_BUNDLE_DEMUX_H
#define RTPENGINE_BUNDLE_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAX_MEDIA 16
#define BUNDLE_MAX_SSRCS 64
#define BUNDLE_MID_SIZE 33              /* RFC 8843 section 9.2: the MID is 1..32 bytes here */
#define BUNDLE_MID_EXTENSION_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define BUNDLE_PAYLOAD_TYPES 128
#define BUNDLE_PAYLOAD_AMBIGUOUS 0xff   /* payload_types[]: more than one media uses it */
/* the most a MID element adds to a packet (rtp_header_extension_add_mid): a new extension
 * header (4), the element's byte and a 32-byte MID, padded to a word */
#define BUNDLE_MID_ELEMENT_MAX (4 + 36)

struct bundle_ssrc {
	uint32_t ssrc;
	uint8_t media;
};

struct bundle_demux {
	uint8_t mid_extension_id;       /* the a=extmap id of the MID extension, 0 = none */
	unsigned int media_count;
	char mids[BUNDLE_MAX_MEDIA][BUNDLE_MID_SIZE];
	unsigned int ssrc_count;
	struct bundle_ssrc ssrcs[BUNDLE_MAX_SSRCS];
	/* media index + 1 of the one media whose m= line lists the payload type, 0 = none,
	 * BUNDLE_PAYLOAD_AMBIGUOUS = several (RFC 9143 section 9.2: usable only when unique) */
	uint8_t payload_types[BUNDLE_PAYLOAD_TYPES];
};

/* RFC 8285: the value of header extension id in an RTP packet. Returns its length (>= 0,
 * *value pointing into packet) or -ENOENT (no such element) or -EINVAL (truncated header). */
int rtp_header_extension_find(const unsigned char *packet, size_t length, unsigned int id,
			      const unsigned char **value);

void bundle_demux_init(struct bundle_demux *demux, unsigned int mid_extension_id);
/* A media of the group, by its a=mid. Returns its index, or -ENOSPC / -EINVAL (empty, too long). */
int bundle_demux_add_media(struct bundle_demux *demux, const char *mid);
/* The media index of a MID, or -ENOENT. */
int bundle_demux_find_mid(const struct bundle_demux *demux, const char *mid, size_t length);
/* ssrc belongs to media (an a=ssrc line, or learned): replaces an earlier mapping.
 * Returns 0, -EINVAL (no such media) or -ENOSPC (table full). */
int bundle_demux_add_ssrc(struct bundle_demux *demux, uint32_t ssrc, unsigned int media);
/* payload_type (0..127) is listed on media's m= line. Returns 0 or -EINVAL. */
int bundle_demux_add_payload_type(struct bundle_demux *demux, unsigned int payload_type, unsigned int media);
/* The media index an RTP packet belongs to: its MID extension when it has a known one (and
 * then its SSRC is learned for the packets that no longer carry it, RFC 9143 section 9.2),
 * else its SSRC, else its payload type when only one media uses it (the SSRC is then learned
 * too). Returns the index or -ENOENT (unknown: the caller drops or counts it). */
int bundle_demux_route(struct bundle_demux *demux, const unsigned char *packet, size_t length);
/* The media index of an RTCP packet: the sender SSRC of its first report (RFC 3550 section
 * 6.4) when known, else -ENOENT. */
int bundle_demux_route_rtcp(const struct bundle_demux *demux, const unsigned char *packet, size_t length);

/* RFC 8285 section 4.2 (RFC 9143 section 9.2): adds a MID element with id and mid (1..32
 * bytes) to an RTP packet in place, in a new one-byte-form extension header or at the end of
 * the packet's one-byte-form block; the payload moves up. capacity: the buffer's size.
 * Returns the new length, the same length when the packet already carries element id (it is
 * left alone), -ENOSPC (no room), -ENOTSUP (a two-byte-form or foreign extension, or id not
 * 1..14) or -EINVAL (not an RTP packet, truncated). */
int rtp_header_extension_add_mid(unsigned char *packet, size_t length, size_t capacity, unsigned int id,
				 const char *mid, size_t mid_length);

#endif
