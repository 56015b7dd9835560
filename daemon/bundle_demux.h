/* BUNDLE (RFC 9143) demultiplexing, the building block: which m= line of a BUNDLE group an
 * RTP packet received on the group's one transport belongs to, by the MID header extension
 * (RFC 9143 section 9.2, urn:ietf:params:rtp-hdrext:sdes:mid, RFC 8285 one- and two-byte
 * forms) and by SSRC (a=ssrc lines, RFC 5576, and SSRCs learned from packets that carried a
 * MID). Pure and bounded: no allocation, no locks; the caller owns the table.
 * Not wired into the packet path yet (docs/webrtc.md: several m= lines on one transport). */
#ifndef RTPENGINE_BUNDLE_DEMUX_H
#define RTPENGINE_BUNDLE_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAX_MEDIA 16
#define BUNDLE_MAX_SSRCS 64
#define BUNDLE_MID_SIZE 33              /* RFC 8843 section 9.2: the MID is 1..32 bytes here */
#define BUNDLE_MID_EXTENSION_URI "urn:ietf:params:rtp-hdrext:sdes:mid"

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
/* The media index an RTP packet belongs to: its MID extension when it has a known one (and
 * then its SSRC is learned for the packets that no longer carry it, RFC 9143 section 9.2),
 * else its SSRC. Returns the index or -ENOENT (unknown: the caller drops or counts it). */
int bundle_demux_route(struct bundle_demux *demux, const unsigned char *packet, size_t length);

#endif
