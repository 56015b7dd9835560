/* TCP listener for the stream control protocols; see stream_server.h. */
#include "stream_server.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include "event_loop.h"
#include "log.h"

#define STREAM_READ_CHUNK 65536

struct stream_connection {
	struct stream_server *server;
	int fd;
	union endpoint peer;
	GString *input, *output;
	size_t output_sent;            /* bytes of output already written */
	bool closing;                  /* close once output is sent; read nothing more */
	bool draining;                 /* output sent and our side shut: discard input until EOF */
	bool writable_wanted;          /* EPOLLOUT is registered */
	int64_t request_started_us;    /* first byte of the pending request; 0 = none pending */
	struct timer_entry deadline;
};

struct stream_server {
	int fd;
	union endpoint address;
	const struct stream_protocol *protocol;
	void *context;
	struct event_loop *loop;
	GPtrArray *connections;
};

/* ---- connections ---------------------------------------------------------------------- */

static void connection_free(struct stream_connection *connection)
{
	struct stream_server *server = connection->server;
	event_loop_timer_cancel(server->loop, &connection->deadline);
	event_loop_remove_fd(server->loop, connection->fd);
	close(connection->fd);
	g_string_free(connection->input, TRUE);
	g_string_free(connection->output, TRUE);
	g_ptr_array_remove_fast(server->connections, connection);
	g_free(connection);
}

/* The next moment the connection must have made progress by, or none. */
static void rearm_deadline(struct stream_connection *connection)
{
	const struct stream_protocol *protocol = connection->server->protocol;
	int64_t deadline = 0;
	if (connection->closing)
		deadline = timer_now_us() + protocol->request_timeout_us;   /* flushing: bounded too */
	else if (connection->request_started_us)
		deadline = connection->request_started_us + protocol->request_timeout_us;
	else if (protocol->idle_timeout_us)
		deadline = timer_now_us() + protocol->idle_timeout_us;
	if (deadline)
		event_loop_timer_arm(connection->server->loop, &connection->deadline, deadline, 0);
	else
		event_loop_timer_cancel(connection->server->loop, &connection->deadline);
}

static void deadline_passed(struct timer_entry *timer, void *data)
{
	struct stream_connection *connection = data;
	char text[ENDPOINT_TEXT_SIZE];
	log_info("%s connection from %s: %s, closing", connection->server->protocol->name,
		 endpoint_text(&connection->peer, text, sizeof(text)),
		 connection->request_started_us ? "request not complete in time" : "idle");
	connection_free(connection);
}

static void set_writable_wanted(struct stream_connection *connection, bool wanted)
{
	if (connection->writable_wanted == wanted)
		return;
	connection->writable_wanted = wanted;
	uint32_t events = (connection->closing ? 0 : EPOLLIN) | (wanted ? EPOLLOUT : 0);
	event_loop_modify_fd(connection->server->loop, connection->fd, events);
}

/* Writes what the socket takes. Returns false when the connection was freed. */
static bool flush_output(struct stream_connection *connection)
{
	while (connection->output_sent < connection->output->len) {
		ssize_t sent = send(connection->fd, connection->output->str + connection->output_sent,
				    connection->output->len - connection->output_sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_writable_wanted(connection, true);
			return true;
		}
		if (sent <= 0) {
			connection_free(connection);
			return false;
		}
		connection->output_sent += (size_t) sent;
	}
	g_string_truncate(connection->output, 0);
	connection->output_sent = 0;
	set_writable_wanted(connection, false);
	if (connection->closing && !connection->draining) {
		/* The client reads until end of file (rtpengine-ctl does). Closing with unread input
		 * would send a reset, which may destroy the reply in the client's buffers: shut our
		 * side, then discard what still comes until the client closes (or the deadline). */
		connection->draining = true;
		shutdown(connection->fd, SHUT_WR);
		event_loop_modify_fd(connection->server->loop, connection->fd, EPOLLIN);
	}
	return true;
}

/* Returns false when the connection was freed. */
static bool drain_input(struct stream_connection *connection)
{
	for (unsigned int round = 0; round < 16; round++) {
		char chunk[STREAM_READ_CHUNK];
		ssize_t received = recv(connection->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (received < 0 && errno == EINTR)
			continue;
		if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (received <= 0) {
			connection_free(connection);
			return false;
		}
	}
	return true;   /* more next time, until the deadline */
}

static void start_closing(struct stream_connection *connection)
{
	if (connection->closing)
		return;
	connection->closing = true;
	event_loop_modify_fd(connection->server->loop, connection->fd,
			     connection->writable_wanted ? EPOLLOUT : 0);
	rearm_deadline(connection);
}

/* Hands the buffered input to the protocol until it consumes no more. */
static void consume_input(struct stream_connection *connection, bool eof)
{
	const struct stream_protocol *protocol = connection->server->protocol;
	size_t offset = 0;
	while (!connection->closing && offset < connection->input->len) {
		ssize_t used = protocol->consume(connection, connection->input->str + offset,
						 connection->input->len - offset, eof);
		if (used == STREAM_CLOSE) {
			start_closing(connection);
			break;
		}
		if (used <= 0)
			break;
		offset += (size_t) used;
	}
	g_string_erase(connection->input, 0, (gssize) offset);
	if (offset)
		connection->request_started_us = connection->input->len ? timer_now_us() : 0;
	if (!connection->closing && connection->input->len > protocol->max_input) {
		char text[ENDPOINT_TEXT_SIZE];
		log_warning("%s connection from %s: request longer than %zu bytes, closing", protocol->name,
			    endpoint_text(&connection->peer, text, sizeof(text)), protocol->max_input);
		if (protocol->too_long)
			protocol->too_long(connection);
		start_closing(connection);
	}
	if (eof && !connection->closing)
		start_closing(connection);
}

static void connection_ready(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct stream_connection *connection = data;
	/* a reset, or a hang-up while we only write or drain: nothing more to do (and epoll would
	 * report it again and again) */
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && connection->closing)) {
		connection_free(connection);
		return;
	}
	if (connection->draining) {
		drain_input(connection);
		return;
	}
	if ((events & EPOLLOUT) && !flush_output(connection))
		return;
	if (connection->closing || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	bool eof = false;
	size_t before = connection->input->len;
	/* read at most a little more than the protocol would buffer: memory stays bounded */
	while (connection->input->len <= connection->server->protocol->max_input) {
		char chunk[STREAM_READ_CHUNK];
		ssize_t received = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (received < 0 && errno == EINTR)
			continue;
		if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (received <= 0) {
			if (received < 0 || connection->input->len == 0) {
				connection_free(connection);   /* reset, or closed with nothing pending */
				return;
			}
			eof = true;
			break;
		}
		g_string_append_len(connection->input, chunk, received);
	}
	if (before == 0 && connection->input->len)
		connection->request_started_us = timer_now_us();
	consume_input(connection, eof);
	if (connection->output->len - connection->output_sent > STREAM_MAX_OUTPUT) {
		char text[ENDPOINT_TEXT_SIZE];
		log_warning("%s connection from %s does not read its replies, closing", connection->server->protocol->name,
			    endpoint_text(&connection->peer, text, sizeof(text)));
		connection_free(connection);
		return;
	}
	if (!flush_output(connection))
		return;
	rearm_deadline(connection);
}

static void listener_ready(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct stream_server *server = data;
	for (unsigned int accepted = 0; accepted < 64; accepted++) {
		union endpoint peer;
		socklen_t length = sizeof(peer);
		int client = accept4(fd, &peer.address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (client < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warning("%s listener: accept: %s", server->protocol->name, strerror(errno));
			return;
		}
		char text[ENDPOINT_TEXT_SIZE];
		endpoint_text(&peer, text, sizeof(text));
		if (server->connections->len >= server->protocol->max_connections) {
			log_warning("%s connection from %s refused: %u connections open already",
				    server->protocol->name, text, server->connections->len);
			close(client);
			continue;
		}
		struct stream_connection *connection = g_new0(struct stream_connection, 1);
		connection->server = server;
		connection->fd = client;
		connection->peer = peer;
		connection->input = g_string_new(NULL);
		connection->output = g_string_new(NULL);
		timer_entry_init(&connection->deadline, deadline_passed, connection);
		if (event_loop_add_fd(loop, client, EPOLLIN, connection_ready, connection) < 0) {
			close(client);
			g_string_free(connection->input, TRUE);
			g_string_free(connection->output, TRUE);
			g_free(connection);
			continue;
		}
		g_ptr_array_add(server->connections, connection);
		log_info("New %s connection from %s", server->protocol->name, text);
		/* nothing pending yet: the idle timeout applies (a proxy may connect long before
		 * its first request; the CLI's idle timeout is its request timeout) */
		rearm_deadline(connection);
	}
}

/* ---- public functions ----------------------------------------------------------------- */

int stream_server_open(struct stream_server **result, const union endpoint *address,
		       const struct stream_protocol *protocol, void *context, struct event_loop *loop)
{
	union endpoint bound = *address;
	int fd = socket(bound.address.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bound.address.sa_family == AF_INET6) {
		int v6_only = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof(v6_only));
	}
	socklen_t length = endpoint_length(&bound);
	if (bind(fd, &bound.address, length) < 0 || listen(fd, 64) < 0
	    || getsockname(fd, &bound.address, &length) < 0) {
		int error = -errno;
		close(fd);
		return error;
	}
	struct stream_server *server = g_new0(struct stream_server, 1);
	*server = (struct stream_server) {
		.fd = fd, .address = bound, .protocol = protocol, .context = context, .loop = loop,
		.connections = g_ptr_array_new(),
	};
	int error = event_loop_add_fd(loop, fd, EPOLLIN, listener_ready, server);
	if (error < 0) {
		close(fd);
		g_ptr_array_free(server->connections, TRUE);
		g_free(server);
		return error;
	}
	*result = server;
	return 0;
}

void stream_server_close(struct stream_server *server)
{
	if (!server)
		return;
	while (server->connections->len)
		connection_free(g_ptr_array_index(server->connections, 0));
	g_ptr_array_free(server->connections, TRUE);
	event_loop_remove_fd(server->loop, server->fd);
	close(server->fd);
	g_free(server);
}

const union endpoint *stream_server_address(const struct stream_server *server)
{
	return &server->address;
}

void stream_server_foreach_connection(struct stream_server *server,
				      void (*function)(struct stream_connection *connection, void *data), void *data)
{
	for (guint i = server->connections->len; i > 0; i--)
		function(g_ptr_array_index(server->connections, i - 1), data);
}

struct stream_server *stream_connection_server(const struct stream_connection *connection)
{
	return connection->server;
}

void *stream_connection_context(const struct stream_connection *connection)
{
	return connection->server->context;
}

const union endpoint *stream_connection_peer(const struct stream_connection *connection)
{
	return &connection->peer;
}

void stream_connection_write(struct stream_connection *connection, const char *data, size_t length)
{
	g_string_append_len(connection->output, data, (gssize) length);
}
