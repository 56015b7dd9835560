/* A TCP listener on the control thread's event loop, shared by the stream control protocols
 * (the CLI, ng over TCP, the legacy rtpproxy protocol over TCP): it accepts connections,
 * buffers what each sends, hands the buffered bytes to the protocol until it has consumed
 * whole requests, and writes the replies without blocking.
 *
 * Bounds, so that no client can grow the daemon's memory or hold it up:
 * - at most max_connections at once; a connection beyond that is accepted and closed at once;
 * - at most max_input bytes buffered without a complete request: the protocol's too_long()
 *   writes its error, then the connection closes;
 * - a request must be complete within request_timeout_us of its first byte (a client that
 *   sends a byte now and then, "slow loris", is cut off), and a connection with nothing
 *   pending closes after idle_timeout_us (0: never, ng over TCP keeps its connection);
 * - at most STREAM_MAX_OUTPUT bytes of replies queued for a client that does not read.
 *
 * Threads: control thread only (it registers with daemon->loop). */
#ifndef RTPENGINE_STREAM_SERVER_H
#define RTPENGINE_STREAM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "endpoint.h"

struct event_loop;
struct stream_server;
struct stream_connection;

#define STREAM_MAX_OUTPUT (16u * 1024 * 1024)
#define STREAM_CLOSE ((ssize_t) -1)

struct stream_protocol {
	const char *name;                 /* for logs: "CLI", "TCP ng", ... */
	unsigned int max_connections;
	size_t max_input;
	int64_t request_timeout_us;
	int64_t idle_timeout_us;          /* 0: an idle connection stays open */
	/* The buffered input (not NUL-terminated), eof once the client shut its side. Returns the
	 * bytes it consumed (0: the request is not complete yet), or STREAM_CLOSE: the connection
	 * closes once what was written is sent. */
	ssize_t (*consume)(struct stream_connection *connection, const char *data, size_t length, bool eof);
	/* The input passed max_input without a complete request: write an error (may be NULL). */
	void (*too_long)(struct stream_connection *connection);
};

/* Listens on address (SO_REUSEADDR; a bare port's [::] is dual-stack). context is handed to
 * the protocol through stream_connection_context(). Returns 0 or a negative errno. */
int stream_server_open(struct stream_server **server, const union endpoint *address,
		       const struct stream_protocol *protocol, void *context, struct event_loop *loop);
/* Closes the listener and every connection. NULL is ignored. */
void stream_server_close(struct stream_server *server);
/* The bound address (port filled in when 0 was asked for). */
const union endpoint *stream_server_address(const struct stream_server *server);

/* Calls function for every open connection (the TCP control protocol's `controls`). */
void stream_server_foreach_connection(struct stream_server *server,
				      void (*function)(struct stream_connection *connection, void *data), void *data);

void *stream_connection_context(const struct stream_connection *connection);
struct stream_server *stream_connection_server(const struct stream_connection *connection);
const union endpoint *stream_connection_peer(const struct stream_connection *connection);
/* Queues bytes for the client; sent as the socket takes them. */
void stream_connection_write(struct stream_connection *connection, const char *data, size_t length);

#endif
