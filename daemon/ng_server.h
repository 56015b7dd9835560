/* The ng control socket: "COOKIE <bencoded dictionary>" datagrams in and out, with a reply
 * cache so that a retransmitted request gets the same answer without running twice. */
#ifndef RTPENGINE_NG_SERVER_H
#define RTPENGINE_NG_SERVER_H

#include <glib.h>
#include <stdint.h>
#include <sys/socket.h>
#include "endpoint.h"

struct daemon_context;
struct ng_server;

int ng_server_open(struct ng_server **server, const union endpoint *listen, struct daemon_context *daemon);
void ng_server_close(struct ng_server *server);
int ng_server_fd(const struct ng_server *server);
/* Reads and answers the waiting datagrams (a bounded number per call). */
void ng_server_receive(struct ng_server *server);
/* Forgets cached replies older than the retransmission window. */
void ng_server_expire_cache(struct ng_server *server, int64_t now_us);
/* Handles one datagram's payload and appends the reply datagram (cookie included) to reply;
 * leaves reply empty for datagrams that deserve no answer (no cookie). Returns whether the
 * reply may be replayed to a retransmission (offer, answer, delete). */
bool ng_process_datagram(struct daemon_context *daemon, const char *data, size_t length,
                         const union endpoint *source, GString *reply);

#endif
