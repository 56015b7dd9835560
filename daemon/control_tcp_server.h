/* The TCP control protocol (--listen-tcp, -l) of the old SER/OpenSER mediaproxy-ng module,
 * as rtpengine 10.5 answers it; the commands are described in control_tcp_server.c.
 * Control thread only. */
#ifndef RTPENGINE_CONTROL_TCP_SERVER_H
#define RTPENGINE_CONTROL_TCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include "endpoint.h"

struct daemon_context;
struct stream_server;

#define CONTROL_TCP_MAX_LINE 1024   /* buffered without a line end: the connection closes (10.5) */
#define CONTROL_TCP_MAX_STREAMS 16

/* One "IP:PORT[:ANYTHING]" of a request's comma-separated stream list. */
struct control_tcp_stream {
	char address[16];             /* dotted IPv4, as upstream's pattern ([0-9.]+) takes it */
	unsigned int port;
};

/* A parsed command line (pointers into the caller's copy of the line). */
struct control_tcp_command {
	enum { CONTROL_TCP_REQUEST, CONTROL_TCP_LOOKUP, CONTROL_TCP_DELETE, CONTROL_TCP_STATUS,
	       CONTROL_TCP_VERSION, CONTROL_TCP_CONTROLS, CONTROL_TCP_QUIT } verb;
	const char *call_id;
	const char *from_tag, *to_tag;       /* info=fromtag:X,totag:Y; NULL when absent */
	struct control_tcp_stream streams[CONTROL_TCP_MAX_STREAMS];
	unsigned int stream_count;
};

/* Parses one line (without its line end) in place. Returns 0, or -EINVAL for a line that is
 * not a command (the connection then closes without a reply, as in 10.5). */
int control_tcp_parse(char *line, struct control_tcp_command *command);

int control_tcp_server_open(struct stream_server **server, const union endpoint *address,
			    struct daemon_context *daemon);

#endif
