/* WebSocket (RFC 6455) framing for the HTTP listener: the opening handshake's accept key and
 * the frame format. Pure functions on buffers; the connection itself is http_server.c's.
 *
 * Limits: payloads up to WEBSOCKET_MAX_PAYLOAD; frames from a client must be masked
 * (section 5.1), control frames at most 125 bytes and not fragmented (section 5.5).
 * Threads: any. Cost: one pass over the payload to unmask it. */
#ifndef RTPENGINE_WEBSOCKET_H
#define RTPENGINE_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBSOCKET_MAX_PAYLOAD (1024 * 1024)
#define WEBSOCKET_ACCEPT_SIZE 29        /* base64 of a SHA-1 and its NUL */
#define WEBSOCKET_HEADER_MAX 10         /* a server frame's header: no mask */

enum websocket_opcode {
	WEBSOCKET_CONTINUATION = 0x0,
	WEBSOCKET_TEXT = 0x1,
	WEBSOCKET_BINARY = 0x2,
	WEBSOCKET_CLOSE = 0x8,
	WEBSOCKET_PING = 0x9,
	WEBSOCKET_PONG = 0xa,
};

struct websocket_frame {
	bool fin;
	unsigned int opcode;            /* enum websocket_opcode */
	uint8_t *payload;               /* inside the parsed buffer, unmasked in place */
	size_t length;
};

/* Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (section 4.2.2 step 5.4): base64 of
 * the SHA-1 of the key and the protocol's GUID. Returns 0, or -EINVAL for a key that is not
 * the base64 of 16 bytes (section 4.1). */
int websocket_accept_key(const char *client_key, char accept[WEBSOCKET_ACCEPT_SIZE]);

/* Parses one client frame at the start of data (length bytes) and unmasks its payload in
 * place. Returns the frame's size in bytes (> 0), 0 when more bytes are needed, or -EPROTO
 * (unmasked, reserved bits or opcodes, bad control frame), -EMSGSIZE (payload over
 * WEBSOCKET_MAX_PAYLOAD). */
long websocket_parse_frame(uint8_t *data, size_t length, struct websocket_frame *frame);

/* Writes a server frame's header (FIN set, unmasked) for a payload of length bytes; returns
 * its size. */
size_t websocket_frame_header(uint8_t header[WEBSOCKET_HEADER_MAX], unsigned int opcode, size_t length);

#endif
