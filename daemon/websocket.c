/* WebSocket framing; see websocket.h. */
#include "websocket.h"

#include <errno.h>
#include <string.h>
#include <glib.h>

/* RFC 6455 section 1.3 */
static const char websocket_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int websocket_accept_key(const char *client_key, char accept[WEBSOCKET_ACCEPT_SIZE])
{
	/* 16 random bytes in base64: 24 characters ending in "==" */
	if (!client_key || strlen(client_key) != 24 || strcmp(client_key + 22, "==") != 0)
		return -EINVAL;
	for (const char *c = client_key; c < client_key + 22; c++)
		if (!g_ascii_isalnum(*c) && *c != '+' && *c != '/')
			return -EINVAL;
	GChecksum *sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(sha1, (const guchar *) client_key, 24);
	g_checksum_update(sha1, (const guchar *) websocket_guid, sizeof(websocket_guid) - 1);
	guint8 digest[20];
	gsize digest_length = sizeof(digest);
	g_checksum_get_digest(sha1, digest, &digest_length);
	g_checksum_free(sha1);
	gchar *encoded = g_base64_encode(digest, digest_length);
	g_strlcpy(accept, encoded, WEBSOCKET_ACCEPT_SIZE);
	g_free(encoded);
	return 0;
}

long websocket_parse_frame(uint8_t *data, size_t length, struct websocket_frame *frame)
{
	if (length < 2)
		return 0;
	/* section 5.2: FIN, RSV1-3, opcode; MASK, payload length */
	if (data[0] & 0x70)
		return -EPROTO;            /* no extension was negotiated */
	frame->fin = data[0] & 0x80;
	frame->opcode = data[0] & 0x0f;
	bool control = frame->opcode & 0x8;
	switch (frame->opcode) {
	case WEBSOCKET_CONTINUATION: case WEBSOCKET_TEXT: case WEBSOCKET_BINARY:
	case WEBSOCKET_CLOSE: case WEBSOCKET_PING: case WEBSOCKET_PONG:
		break;
	default:
		return -EPROTO;
	}
	if (!(data[1] & 0x80))
		return -EPROTO;            /* section 5.1: a client masks every frame */
	uint64_t payload_length = data[1] & 0x7f;
	size_t header = 2;
	if (payload_length == 126) {
		if (length < 4)
			return 0;
		payload_length = (uint64_t) data[2] << 8 | data[3];
		header = 4;
	} else if (payload_length == 127) {
		if (length < 10)
			return 0;
		payload_length = 0;
		for (int i = 2; i < 10; i++)
			payload_length = payload_length << 8 | data[i];
		header = 10;
	}
	/* section 5.5: control frames carry at most 125 bytes and are never fragmented */
	if (control && (payload_length > 125 || !frame->fin))
		return -EPROTO;
	if (payload_length > WEBSOCKET_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (length < header + 4 + payload_length)
		return 0;
	const uint8_t *mask = data + header;
	uint8_t *payload = data + header + 4;
	for (size_t i = 0; i < payload_length; i++)
		payload[i] ^= mask[i & 3];
	frame->payload = payload;
	frame->length = (size_t) payload_length;
	return (long) (header + 4 + payload_length);
}

size_t websocket_frame_header(uint8_t header[WEBSOCKET_HEADER_MAX], unsigned int opcode, size_t length)
{
	header[0] = (uint8_t) (0x80 | (opcode & 0x0f));
	if (length < 126) {
		header[1] = (uint8_t) length;
		return 2;
	}
	if (length <= 0xffff) {
		header[1] = 126;
		header[2] = (uint8_t) (length >> 8);
		header[3] = (uint8_t) length;
		return 4;
	}
	header[1] = 127;
	for (int i = 0; i < 8; i++)
		header[2 + i] = (uint8_t) ((uint64_t) length >> (56 - 8 * i));
	return 10;
}
