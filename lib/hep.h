/* HEP version 3 (the Homer Encapsulation Protocol, as Homer, captagent and Wireshark's "hep"
 * dissector read it): one message is "HEP3", its total length (16 bits, network order), then
 * chunks of vendor id (0 = generic), type, length (16 bits each; the length includes these 6
 * bytes) and value.
 *
 * Contract: hep_encode() writes one message into a caller's buffer: IP family, protocol (UDP),
 * source and destination address and port, timestamp (seconds and microseconds), protocol
 * type of the payload, capture agent id, the payload and, when given, the correlation id (the
 * call-id, so Homer files the packet with its call). Pure function: any thread, no allocation.
 * Errors: -EINVAL (source and destination not both IPv4 or both IPv6), -ENOSPC (the message
 * does not fit capacity, or is over the 65535 bytes the length field holds). */
#ifndef RTPENGINE_HEP_H
#define RTPENGINE_HEP_H

#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"

/* Chunk types of the generic vendor (0). */
enum hep_chunk_type {
	HEP_CHUNK_IP_FAMILY = 0x0001,
	HEP_CHUNK_IP_PROTOCOL = 0x0002,
	HEP_CHUNK_IPV4_SOURCE = 0x0003,
	HEP_CHUNK_IPV4_DESTINATION = 0x0004,
	HEP_CHUNK_IPV6_SOURCE = 0x0005,
	HEP_CHUNK_IPV6_DESTINATION = 0x0006,
	HEP_CHUNK_SOURCE_PORT = 0x0007,
	HEP_CHUNK_DESTINATION_PORT = 0x0008,
	HEP_CHUNK_TIMESTAMP_SECONDS = 0x0009,
	HEP_CHUNK_TIMESTAMP_MICROSECONDS = 0x000a,
	HEP_CHUNK_PROTOCOL_TYPE = 0x000b,
	HEP_CHUNK_CAPTURE_ID = 0x000c,
	HEP_CHUNK_PAYLOAD = 0x000f,
	HEP_CHUNK_CORRELATION_ID = 0x0011,
};

/* Payload protocol types. */
enum hep_protocol_type {
	HEP_PROTOCOL_SIP = 0x01,
	HEP_PROTOCOL_RTP = 0x04,
	HEP_PROTOCOL_RTCP_JSON = 0x05,   /* an RTCP report as JSON: what rtpengine sends */
};

#define HEP_MAX_MESSAGE 65535

struct hep_message {
	const union endpoint *source, *destination;
	int64_t timestamp_us;           /* CLOCK_REALTIME */
	uint32_t capture_id;
	uint8_t protocol_type;          /* enum hep_protocol_type */
	const char *correlation_id;     /* NULL: no correlation chunk */
	size_t correlation_length;
	const void *payload;
	size_t payload_length;
};

/* Returns the message's length or a negative errno (see above). */
int hep_encode(unsigned char *out, size_t capacity, const struct hep_message *message);

#endif
