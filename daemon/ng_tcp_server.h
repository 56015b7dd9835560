/* ng over TCP (--listen-tcp-ng); the framing is described in ng_tcp_server.c. */
#ifndef RTPENGINE_NG_TCP_SERVER_H
#define RTPENGINE_NG_TCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "endpoint.h"

struct daemon_context;
struct stream_server;

/* Where the first message of a TCP ng stream ends: its length (cookie, space, dictionary),
 * 0 when more bytes are needed, -1 when it cannot be framed (no cookie within 256 bytes, not
 * a dictionary, a broken one, or the stream ended inside it). *cookie_length is the cookie's
 * length, 0 when there is none. */
ssize_t ng_tcp_frame_length(const char *data, size_t length, bool eof, size_t *cookie_length);
int ng_tcp_server_open(struct stream_server **server, const union endpoint *address, struct daemon_context *daemon);

#endif
