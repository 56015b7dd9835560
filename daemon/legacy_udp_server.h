/* The legacy rtpproxy protocol over UDP (--listen-udp); the commands are described in
 * legacy_udp_server.c. Control thread only. */
#ifndef RTPENGINE_LEGACY_UDP_SERVER_H
#define RTPENGINE_LEGACY_UDP_SERVER_H

#include "endpoint.h"

struct daemon_context;
struct legacy_udp_server;

int legacy_udp_server_open(struct legacy_udp_server **server, const union endpoint *address,
			   struct daemon_context *daemon);
void legacy_udp_server_close(struct legacy_udp_server *server);

#endif
