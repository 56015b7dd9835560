/* ng over TCP (--listen-tcp-ng); the framing is described in ng_tcp_server.c. */
#ifndef RTPENGINE_NG_TCP_SERVER_H
#define RTPENGINE_NG_TCP_SERVER_H

#include "endpoint.h"

struct daemon_context;
struct stream_server;

int ng_tcp_server_open(struct stream_server **server, const union endpoint *address, struct daemon_context *daemon);

#endif
