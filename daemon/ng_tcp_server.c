/* ng over TCP (--listen-tcp-ng), framed as upstream 10.5 frames it: the stream is a sequence
 * of "COOKIE <dictionary>" messages, each one ending where its bencoded (or JSON) dictionary
 * ends and the next one's cookie starting right after it (whatever precedes the space, line
 * ends included, is the cookie, as upstream reads it); each reply is written the same way,
 * in order. A connection stays open for the next request (Kamailio keeps it). Requests
 * run through ng_process_datagram() like UDP ones, without the retransmission cache (TCP does
 * not retransmit a request). A message that cannot be framed (no cookie, not a dictionary, a
 * broken dictionary) gets an error reply and the connection is closed: nothing after it could
 * be framed either. */
#include "ng_tcp_server.h"

#include <string.h>
#include "daemon.h"
#include "log.h"
#include "ng_server.h"
#include "stream_server.h"

#define NG_TCP_MAX_CONNECTIONS 256
#define NG_TCP_MAX_MESSAGE (1024 * 1024)
#define NG_TCP_MAX_COOKIE 256
#define NG_TCP_REQUEST_TIMEOUT_US (10 * 1000000LL)
#define NG_TCP_IDLE_TIMEOUT_US (3600 * 1000000LL)
#define NG_TCP_MAX_DEPTH 64

/* The length of the one bencoded value at data, 0 when more bytes are needed, -1 when it is
 * not bencode. Iterative, so hostile nesting costs no stack. */
static ssize_t bencode_length(const char *data, size_t length)
{
	size_t at = 0;
	unsigned int depth = 0;
	do {
		if (at >= length)
			return 0;
		char c = data[at];
		if (c == 'd' || c == 'l') {
			if (++depth > NG_TCP_MAX_DEPTH)
				return -1;
			at++;
			continue;
		}
		if (c == 'e') {
			if (!depth)
				return -1;
			depth--;
			at++;
			continue;
		}
		if (c == 'i') {
			const char *end = memchr(data + at, 'e', length - at);
			if (!end)
				return length - at > 24 ? -1 : 0;
			at = (size_t) (end - data) + 1;
			continue;
		}
		if (c < '0' || c > '9')
			return -1;
		size_t string_length = 0, digits = 0;
		while (at < length && data[at] >= '0' && data[at] <= '9') {
			if (++digits > 9)
				return -1;
			string_length = string_length * 10 + (size_t) (data[at++] - '0');
		}
		if (at >= length)
			return 0;
		if (data[at] != ':')
			return -1;
		at += 1 + string_length;
		if (at > length)
			return 0;
	} while (depth);
	return (ssize_t) at;
}

/* The same for a JSON object: braces and brackets outside strings, escapes inside them. */
static ssize_t json_length(const char *data, size_t length)
{
	unsigned int depth = 0;
	bool in_string = false;
	for (size_t at = 0; at < length; at++) {
		char c = data[at];
		if (in_string) {
			if (c == '\\')
				at++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > NG_TCP_MAX_DEPTH)
				return -1;
		} else if (c == '}' || c == ']') {
			if (!depth)
				return -1;
			if (--depth == 0)
				return (ssize_t) at + 1;
		}
	}
	return 0;
}

static void write_error(struct stream_connection *connection, const char *cookie, size_t cookie_length,
			const char *reason)
{
	GString *reply = g_string_new(NULL);
	g_string_append_len(reply, cookie, (gssize) cookie_length);
	g_string_append_printf(reply, " d6:result5:error12:error-reason%zu:%se", strlen(reason), reason);
	stream_connection_write(connection, reply->str, reply->len);
	g_string_free(reply, TRUE);
}

ssize_t ng_tcp_frame_length(const char *data, size_t length, bool eof, size_t *cookie_length)
{
	const char *space = memchr(data, ' ', length < NG_TCP_MAX_COOKIE ? length : NG_TCP_MAX_COOKIE);
	*cookie_length = space ? (size_t) (space - data) : 0;
	if (!space)
		return length < NG_TCP_MAX_COOKIE && !eof ? 0 : -1;
	const char *payload = space + 1;
	size_t available = length - *cookie_length - 1;
	if (!available)
		return eof ? -1 : 0;
	ssize_t payload_length = payload[0] == '{' ? json_length(payload, available)
		: payload[0] == 'd' ? bencode_length(payload, available) : -1;
	if (payload_length == 0)
		return eof ? -1 : 0;
	if (payload_length < 0)
		return -1;
	return (ssize_t) (*cookie_length + 1 + (size_t) payload_length);
}

static ssize_t ng_tcp_consume(struct stream_connection *connection, const char *data, size_t length, bool eof)
{
	size_t cookie_length;
	ssize_t message_length = ng_tcp_frame_length(data, length, eof, &cookie_length);
	if (message_length == 0)
		return 0;
	if (message_length < 0) {
		char text[ENDPOINT_TEXT_SIZE];
		log_warning("TCP ng connection from %s: %s, closing",
			    endpoint_text(stream_connection_peer(connection), text, sizeof(text)),
			    cookie_length ? "message is not a dictionary" : "no cookie");
		if (cookie_length)
			write_error(connection, data, cookie_length, "Invalid NG data format");
		else
			write_error(connection, "-", 1, "Message without cookie");
		return STREAM_CLOSE;
	}
	GString *reply = g_string_sized_new(1024);
	ng_process_datagram(stream_connection_context(connection), data, (size_t) message_length,
			    stream_connection_peer(connection), reply);
	stream_connection_write(connection, reply->str, reply->len);
	g_string_free(reply, TRUE);
	return message_length;
}

static void ng_tcp_too_long(struct stream_connection *connection)
{
	write_error(connection, "-", 1, "Message too long");
}

static const struct stream_protocol ng_tcp_protocol = {
	.name = "TCP ng",
	.max_connections = NG_TCP_MAX_CONNECTIONS,
	.max_input = NG_TCP_MAX_MESSAGE,
	.request_timeout_us = NG_TCP_REQUEST_TIMEOUT_US,
	.idle_timeout_us = NG_TCP_IDLE_TIMEOUT_US,
	.consume = ng_tcp_consume,
	.too_long = ng_tcp_too_long,
};

int ng_tcp_server_open(struct stream_server **server, const union endpoint *address, struct daemon_context *daemon)
{
	return stream_server_open(server, address, &ng_tcp_protocol, daemon, daemon->loop);
}
