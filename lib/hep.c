/* HEP version 3 encoder; see hep.h. */
#include "hep.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#define HEP_HEADER_LENGTH 6    /* "HEP3" and the total length */
#define HEP_CHUNK_HEADER_LENGTH 6

struct writer {
	unsigned char *out;
	size_t capacity, length;
	bool overflow;
};

static void put_chunk(struct writer *writer, uint16_t type, const void *value, size_t length)
{
	size_t total = HEP_CHUNK_HEADER_LENGTH + length;
	if (writer->overflow || total > writer->capacity - writer->length || total > UINT16_MAX) {
		writer->overflow = true;
		return;
	}
	unsigned char *chunk = writer->out + writer->length;
	chunk[0] = 0;                   /* vendor: generic */
	chunk[1] = 0;
	chunk[2] = (unsigned char) (type >> 8);
	chunk[3] = (unsigned char) type;
	chunk[4] = (unsigned char) (total >> 8);
	chunk[5] = (unsigned char) total;
	if (length)
		memcpy(chunk + HEP_CHUNK_HEADER_LENGTH, value, length);
	writer->length += total;
}

static void put_u8(struct writer *writer, uint16_t type, uint8_t value)
{
	put_chunk(writer, type, &value, 1);
}

static void put_u16(struct writer *writer, uint16_t type, uint16_t value)
{
	unsigned char bytes[2] = { (unsigned char) (value >> 8), (unsigned char) value };
	put_chunk(writer, type, bytes, sizeof(bytes));
}

static void put_u32(struct writer *writer, uint16_t type, uint32_t value)
{
	unsigned char bytes[4] = { (unsigned char) (value >> 24), (unsigned char) (value >> 16),
				   (unsigned char) (value >> 8), (unsigned char) value };
	put_chunk(writer, type, bytes, sizeof(bytes));
}

int hep_encode(unsigned char *out, size_t capacity, const struct hep_message *message)
{
	int family = message->source->address.sa_family;
	if ((family != AF_INET && family != AF_INET6) || message->destination->address.sa_family != family)
		return -EINVAL;
	if (capacity < HEP_HEADER_LENGTH)
		return -ENOSPC;
	struct writer writer = { out, capacity > HEP_MAX_MESSAGE ? HEP_MAX_MESSAGE : capacity, HEP_HEADER_LENGTH, false };
	put_u8(&writer, HEP_CHUNK_IP_FAMILY, family == AF_INET ? 2 : 10);
	put_u8(&writer, HEP_CHUNK_IP_PROTOCOL, IPPROTO_UDP);
	if (family == AF_INET) {
		put_chunk(&writer, HEP_CHUNK_IPV4_SOURCE, &message->source->v4.sin_addr, 4);
		put_chunk(&writer, HEP_CHUNK_IPV4_DESTINATION, &message->destination->v4.sin_addr, 4);
	} else {
		put_chunk(&writer, HEP_CHUNK_IPV6_SOURCE, &message->source->v6.sin6_addr, 16);
		put_chunk(&writer, HEP_CHUNK_IPV6_DESTINATION, &message->destination->v6.sin6_addr, 16);
	}
	put_u16(&writer, HEP_CHUNK_SOURCE_PORT, endpoint_port(message->source));
	put_u16(&writer, HEP_CHUNK_DESTINATION_PORT, endpoint_port(message->destination));
	put_u32(&writer, HEP_CHUNK_TIMESTAMP_SECONDS, (uint32_t) (message->timestamp_us / 1000000));
	put_u32(&writer, HEP_CHUNK_TIMESTAMP_MICROSECONDS, (uint32_t) (message->timestamp_us % 1000000));
	put_u8(&writer, HEP_CHUNK_PROTOCOL_TYPE, message->protocol_type);
	put_u32(&writer, HEP_CHUNK_CAPTURE_ID, message->capture_id);
	if (message->correlation_id)
		put_chunk(&writer, HEP_CHUNK_CORRELATION_ID, message->correlation_id, message->correlation_length);
	put_chunk(&writer, HEP_CHUNK_PAYLOAD, message->payload, message->payload_length);
	if (writer.overflow)
		return -ENOSPC;
	memcpy(out, "HEP3", 4);
	out[4] = (unsigned char) (writer.length >> 8);
	out[5] = (unsigned char) writer.length;
	return (int) writer.length;
}
