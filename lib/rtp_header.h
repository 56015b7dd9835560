/* RTP (RFC 3550 section 5.1) and RTCP (RFC 3550 section 6) header parsing: only what the relay
 * needs, bounds-checked against the received length. */
#ifndef RTPENGINE_RTP_HEADER_H
#define RTPENGINE_RTP_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rtp_header_info {
	uint8_t payload_type;
	bool marker;
	uint16_t sequence;
	uint32_t timestamp;
	uint32_t ssrc;
	size_t header_length;      /* fixed header + CSRCs + extension */
	size_t payload_length;     /* without padding */
};

struct rtcp_packet_info {
	uint8_t packet_type;       /* 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, ... */
	uint8_t count;             /* reception report count / source count */
	uint32_t sender_ssrc;
	size_t length;             /* of this packet in the compound, bytes */
};

/* RFC 5761 section 4: on a multiplexed port, the second byte 192..223 (payload types
 * 64..95 with the marker bit) marks RTCP. */
bool rtp_packet_is_rtcp(const unsigned char *packet, size_t length);
/* Parses the RTP header. Returns 0 or -EINVAL (not version 2, truncated, bad padding). */
int rtp_header_parse(const unsigned char *packet, size_t length, struct rtp_header_info *info);
int rtp_packet_ssrc(const unsigned char *packet, size_t length, uint32_t *ssrc);
/* Walks a compound RTCP packet (RFC 3550 section 6.1); calls visit for each part.
 * Returns the number of parts, or -EINVAL when the compound is malformed. */
int rtcp_compound_parse(const unsigned char *packet, size_t length,
                        void (*visit)(const struct rtcp_packet_info *info, void *data), void *data);

#endif
