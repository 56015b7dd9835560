/* The HTTP/HTTPS listener on the control thread; see http_server.h. */
#include "http_server.h"

#include <dirent.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "daemon.h"
#include "event_loop.h"
#include "live_view.h"
#include "log.h"
#include "metrics.h"
#include "ng_server.h"
#include "statistics.h"
#include "websocket.h"

#define HTTP_TIMEOUT_SECONDS 5
#define HTTP_MAX_HEADERS_SIZE 8192
#define HTTP_MAX_BODY_SIZE (256 * 1024)
#define HTTP_TICK_US 100000              /* libevent's timeouts are checked this often */
/* A whole request within this of the connection's start or of its previous request: evhttp's
 * 5 s timeout is per read, so a client trickling a byte every few seconds would never end. */
#define HTTP_REQUEST_DEADLINE_US (10 * 1000000LL)
#define HTTP_REQUESTS_PER_RUN 32         /* then the control loop's other sources get a turn */
#define HTTP_LIVE_VIEW_MAX_CALLS 2000
#define WEBSOCKET_MAX_CONNECTIONS 256
#define WEBSOCKET_WRITE_TIMEOUT_SECONDS 10
#define NG_CONTENT_TYPE "application/x-rtpengine-ng"
/* /ng-plain carries the bencoded dictionary alone; the command path wants a cookie */
#define PLAIN_COOKIE "plain "

enum websocket_protocol { WEBSOCKET_NG, WEBSOCKET_NG_PLAIN, WEBSOCKET_ECHO };

static const struct {
	const char *name;
	enum websocket_protocol protocol;
} websocket_protocols[] = {
	{ "ng.rtpengine.com", WEBSOCKET_NG },
	{ "ng-plain.rtpengine.com", WEBSOCKET_NG_PLAIN },
	{ "echo.rtpengine.com", WEBSOCKET_ECHO },
};

struct http_server;

/* One WebSocket: the bufferevent taken over from evhttp after the 101 reply. */
struct websocket_connection {
	struct http_server *server;
	struct evhttp_connection *http_connection;   /* owns the bufferevent and the socket */
	struct bufferevent *events;
	enum websocket_protocol protocol;
	union endpoint peer;
	GString *message;               /* a fragmented message being put together, or NULL */
	bool closing;                   /* close frame queued: free once it is written */
	GList *link;                    /* in server->websockets */
};

/* One accepted connection's bufferevent, which we create (evhttp_set_bevcb) and keep a
 * reference to until libevent has freed it: bufferevent_free() clears its callbacks, which is
 * how the sweep learns that the connection is gone. */
struct http_connection {
	struct bufferevent *events;
	int64_t deadline_us;            /* a complete request by then, or closed; 0: none (WebSocket) */
};

struct http_server {
	struct daemon_context *daemon;
	struct event_base *base;
	int base_fd;                    /* libevent's epoll set, registered in the control loop */
	struct evhttp *http, *https;
	SSL_CTX *ssl;
	struct timer_entry tick;
	struct timer_entry resume;      /* a run stopped at its request budget: go on next round */
	GString *body, *reply;          /* kept from one request to the next */
	GList *websockets;
	unsigned int websocket_count;
	GHashTable *connections;        /* struct bufferevent * -> struct http_connection * */
	unsigned int requests_this_run;
};

/* ---- libevent's base inside the control loop --------------------------------------------- */

static bool is_epoll_fd(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t length = readlink(path, target, sizeof(target) - 1);
	if (length < 0)
		return false;
	target[length] = '\0';
	return !strcmp(target, "anon_inode:[eventpoll]");
}

/* The epoll fds open now, as a set of fd numbers. */
static GHashTable *epoll_fds(void)
{
	GHashTable *fds = g_hash_table_new(g_direct_hash, g_direct_equal);
	DIR *directory = opendir("/proc/self/fd");
	if (!directory)
		return fds;
	struct dirent *entry;
	while ((entry = readdir(directory)) != NULL) {
		int fd = atoi(entry->d_name);
		if (entry->d_name[0] != '.' && fd != dirfd(directory) && is_epoll_fd(fd))
			g_hash_table_add(fds, GINT_TO_POINTER(fd + 1));
	}
	closedir(directory);
	return fds;
}

/* libevent does not expose its backend's fd. Its epoll backend creates exactly one epoll set
 * per base (no changelist, no timerfd, no notification fd with the flags used here), so the
 * base's fd is the one epoll fd that appeared while it was created. */
static int create_base(struct http_server *server)
{
	GHashTable *before = epoll_fds();
	struct event_config *config = event_config_new();
	event_config_avoid_method(config, "select");
	event_config_avoid_method(config, "poll");
	/* IGNORE_ENV: EVENT_EPOLL_USE_CHANGELIST would defer epoll_ctl() to the next dispatch,
	 * and the control loop would not see the fds libevent adds in a callback */
	event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_IGNORE_ENV);
	server->base = event_base_new_with_config(config);
	event_config_free(config);
	if (!server->base || strcmp(event_base_get_method(server->base), "epoll") != 0) {
		g_hash_table_destroy(before);
		log_error("HTTP: libevent has no epoll backend here");
		return -ENOSYS;
	}
	GHashTable *after = epoll_fds();
	GHashTableIter iter;
	gpointer key;
	int found = -1, count = 0;
	g_hash_table_iter_init(&iter, after);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (!g_hash_table_contains(before, key)) {
			found = GPOINTER_TO_INT(key) - 1;
			count++;
		}
	}
	g_hash_table_destroy(before);
	g_hash_table_destroy(after);
	if (count != 1) {
		log_error("HTTP: cannot tell libevent's epoll set (%d candidates)", count);
		return -ENOSYS;
	}
	server->base_fd = found;
	return 0;
}

/* Runs whatever is ready without blocking: one epoll round of the base and the callbacks it
 * makes active, or fewer when HTTP_REQUESTS_PER_RUN requests were answered (the rest stay
 * ready: libevent's fds are level-triggered, so its epoll set stays readable). */
static void run_base(struct http_server *server)
{
	server->requests_this_run = 0;
	event_base_loop(server->base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
	/* stopped early with callbacks still active (already taken off libevent's epoll set, so
	 * its fd need not be readable): continue after this round's other sources */
	if (event_base_get_num_events(server->base, EVENT_BASE_COUNT_ACTIVE) > 0)
		event_loop_timer_arm(server->daemon->loop, &server->resume, timer_now_us(), 0);
}

static void base_readable(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	run_base(data);
}

static void connection_release(gpointer data)
{
	struct http_connection *connection = data;
	bufferevent_decref(connection->events);
	g_free(connection);
}

static struct http_connection *connection_of(struct http_server *server, struct evhttp_request *request)
{
	struct evhttp_connection *http_connection = evhttp_request_get_connection(request);
	if (!http_connection)
		return NULL;
	return g_hash_table_lookup(server->connections, evhttp_connection_get_bufferevent(http_connection));
}

/* Forgets the connections libevent freed; fails the ones past their deadline through
 * evhttp's own error callback (a timeout while reading), which frees them. */
static void sweep_connections(struct http_server *server)
{
	int64_t now = timer_now_us();
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, server->connections);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		struct http_connection *connection = value;
		bufferevent_event_cb event_callback = NULL;
		void *argument = NULL;
		bufferevent_getcb(connection->events, NULL, NULL, &event_callback, &argument);
		if (!event_callback) {
			g_hash_table_iter_remove(&iter);
			continue;
		}
		if (connection->deadline_us && now > connection->deadline_us) {
			connection->deadline_us = 0;
			log_info("HTTP: closing a connection that sent no complete request in %lld s",
				 HTTP_REQUEST_DEADLINE_US / 1000000);
			event_callback(connection->events, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, argument);
		}
	}
}

static void tick(struct timer_entry *timer, void *data)
{
	struct http_server *server = data;
	sweep_connections(server);
	run_base(server);
}

static void resume(struct timer_entry *timer, void *data)
{
	run_base(data);
}

static void count_request(struct http_server *server)
{
	if (++server->requests_this_run >= HTTP_REQUESTS_PER_RUN)
		event_base_loopbreak(server->base);
}

/* ---- plain HTTP replies -------------------------------------------------------------------- */

static void send_reply(struct evhttp_request *request, int code, const char *reason, const char *content_type,
                       const char *body, size_t length)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(request);
	evhttp_add_header(headers, "Content-Type", content_type);
	evhttp_add_header(headers, "Cache-Control", "no-store");
	struct evbuffer *buffer = evbuffer_new();
	if (buffer && evhttp_request_get_command(request) != EVHTTP_REQ_HEAD)
		evbuffer_add(buffer, body, length);
	evhttp_send_reply(request, code, reason, buffer);
	if (buffer)
		evbuffer_free(buffer);
}

static void send_text(struct evhttp_request *request, int code, const char *reason, const char *text)
{
	send_reply(request, code, reason, "text/plain; charset=utf-8", text, strlen(text));
}

static void request_source(struct evhttp_request *request, union endpoint *source)
{
	memset(source, 0, sizeof(*source));
	struct evhttp_connection *connection = evhttp_request_get_connection(request);
	const struct sockaddr *address = connection ? evhttp_connection_get_addr(connection) : NULL;
	if (address && address->sa_family == AF_INET)
		memcpy(&source->v4, address, sizeof(source->v4));
	else if (address && address->sa_family == AF_INET6)
		memcpy(&source->v6, address, sizeof(source->v6));
}

static void serve_metrics(struct http_server *server, struct evhttp_request *request)
{
	struct statistics_snapshot *snapshot = g_new(struct statistics_snapshot, 1);
	statistics_gather(server->daemon, snapshot);
	g_string_truncate(server->reply, 0);
	metrics_render_prometheus(snapshot, server->reply);
	g_free(snapshot);
	send_reply(request, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8", server->reply->str,
		   server->reply->len);
}

static void serve_calls(struct http_server *server, struct evhttp_request *request)
{
	g_string_truncate(server->reply, 0);
	live_view_render_calls(server->reply, HTTP_LIVE_VIEW_MAX_CALLS);
	send_reply(request, HTTP_OK, "OK", "application/json", server->reply->str, server->reply->len);
}

/* The request's body, NUL-terminated, in server->body; false when too large. */
static bool read_body(struct http_server *server, struct evhttp_request *request)
{
	struct evbuffer *input = evhttp_request_get_input_buffer(request);
	size_t length = evbuffer_get_length(input);
	if (length > HTTP_MAX_BODY_SIZE)
		return false;
	g_string_set_size(server->body, length);
	evbuffer_copyout(input, server->body->str, length);
	return true;
}

/* Runs one ng message ("COOKIE dictionary", or the dictionary alone when plain) and leaves
 * its reply in server->reply (empty: the message had no cookie). */
static void run_ng(struct http_server *server, const char *message, size_t length, bool plain,
                   const union endpoint *source)
{
	g_string_truncate(server->reply, 0);
	if (!plain) {
		ng_process_datagram(server->daemon, message, length, source, server->reply);
		return;
	}
	GString *wrapped = g_string_sized_new(length + sizeof(PLAIN_COOKIE));
	g_string_append(wrapped, PLAIN_COOKIE);
	g_string_append_len(wrapped, message, (gssize) length);
	ng_process_datagram(server->daemon, wrapped->str, wrapped->len, source, server->reply);
	g_string_erase(server->reply, 0, (gssize) MIN(server->reply->len, strlen(PLAIN_COOKIE)));
	g_string_free(wrapped, TRUE);
}

static void serve_ng(struct http_server *server, struct evhttp_request *request, bool plain)
{
	if (evhttp_request_get_command(request) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(request), "Allow", "POST");
		send_text(request, 405, "Method Not Allowed", "ng messages are sent by POST\n");
		return;
	}
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(request), "Content-Type");
	if (type && g_ascii_strncasecmp(type, NG_CONTENT_TYPE, strlen(NG_CONTENT_TYPE)) != 0) {
		send_text(request, 415, "Unsupported Media Type", "expected Content-Type: " NG_CONTENT_TYPE "\n");
		return;
	}
	if (!read_body(server, request)) {
		send_text(request, 413, "Payload Too Large", "ng message too large\n");
		return;
	}
	union endpoint source;
	request_source(request, &source);
	run_ng(server, server->body->str, server->body->len, plain, &source);
	if (!server->reply->len) {
		send_text(request, HTTP_BADREQUEST, "Bad Request", "ng message without cookie\n");
		return;
	}
	send_reply(request, HTTP_OK, "OK", NG_CONTENT_TYPE, server->reply->str, server->reply->len);
}

/* ---- WebSocket ----------------------------------------------------------------------------- */

static void websocket_free(struct websocket_connection *socket)
{
	struct http_server *server = socket->server;
	server->websockets = g_list_delete_link(server->websockets, socket->link);
	server->websocket_count--;
	if (socket->message)
		g_string_free(socket->message, TRUE);
	/* frees the bufferevent, the pending upgrade request and closes the socket */
	evhttp_connection_free(socket->http_connection);
	g_free(socket);
}

static void websocket_send(struct websocket_connection *socket, unsigned int opcode, const void *payload,
                           size_t length)
{
	uint8_t header[WEBSOCKET_HEADER_MAX];
	size_t header_length = websocket_frame_header(header, opcode, length);
	struct evbuffer *output = bufferevent_get_output(socket->events);
	evbuffer_add(output, header, header_length);
	evbuffer_add(output, payload, length);
}

/* Section 5.5.1: answer with a close frame, then close once it is written. */
static void websocket_close(struct websocket_connection *socket, uint16_t status)
{
	if (socket->closing)
		return;
	uint8_t payload[2] = { (uint8_t) (status >> 8), (uint8_t) status };
	websocket_send(socket, WEBSOCKET_CLOSE, payload, sizeof(payload));
	socket->closing = true;
	bufferevent_disable(socket->events, EV_READ);
}

/* Text or binary in; replies are binary frames whatever the request was, as upstream's
 * (measured against Debian's 10.5): a browser client written for it expects binary data. */
static void websocket_message(struct websocket_connection *socket, const uint8_t *payload, size_t length)
{
	struct http_server *server = socket->server;
	if (socket->protocol == WEBSOCKET_ECHO) {
		websocket_send(socket, WEBSOCKET_BINARY, payload, length);
		return;
	}
	run_ng(server, (const char *) payload, length, socket->protocol == WEBSOCKET_NG_PLAIN, &socket->peer);
	if (server->reply->len)
		websocket_send(socket, WEBSOCKET_BINARY, server->reply->str, server->reply->len);
	count_request(server);
}

/* One frame; returns false once the connection is closing. */
static bool websocket_frame(struct websocket_connection *socket, const struct websocket_frame *frame)
{
	switch (frame->opcode) {
	case WEBSOCKET_PING:
		websocket_send(socket, WEBSOCKET_PONG, frame->payload, frame->length);
		return true;
	case WEBSOCKET_PONG:
		return true;
	case WEBSOCKET_CLOSE:
		websocket_close(socket, frame->length >= 2 ? (uint16_t) (frame->payload[0] << 8 | frame->payload[1])
							   : 1000);
		return false;
	case WEBSOCKET_CONTINUATION:
		if (!socket->message) {
			websocket_close(socket, 1002);
			return false;
		}
		if (socket->message->len + frame->length > WEBSOCKET_MAX_PAYLOAD) {
			websocket_close(socket, 1009);
			return false;
		}
		g_string_append_len(socket->message, (const char *) frame->payload, (gssize) frame->length);
		if (frame->fin) {
			websocket_message(socket, (const uint8_t *) socket->message->str, socket->message->len);
			g_string_free(socket->message, TRUE);
			socket->message = NULL;
		}
		return true;
	default:   /* text or binary */
		if (socket->message) {
			websocket_close(socket, 1002);   /* section 5.4: fragments must not interleave */
			return false;
		}
		if (frame->fin) {
			websocket_message(socket, frame->payload, frame->length);
			return true;
		}
		socket->message = g_string_new_len((const char *) frame->payload, (gssize) frame->length);
		return true;
	}
}

static void websocket_readable(struct bufferevent *events, void *data)
{
	struct websocket_connection *socket = data;
	struct evbuffer *input = bufferevent_get_input(events);
	while (!socket->closing) {
		size_t length = evbuffer_get_length(input);
		if (!length)
			break;
		/* the read watermark keeps this at one maximal frame: linearised once */
		uint8_t *bytes = evbuffer_pullup(input, -1);
		struct websocket_frame frame;
		long used = websocket_parse_frame(bytes, length, &frame);
		if (used == 0)
			break;
		if (used < 0) {
			websocket_close(socket, used == -EMSGSIZE ? 1009 : 1002);
			break;
		}
		websocket_frame(socket, &frame);
		evbuffer_drain(input, (size_t) used);
	}
	if (socket->closing)
		evbuffer_drain(input, evbuffer_get_length(input));
}

static void websocket_written(struct bufferevent *events, void *data)
{
	struct websocket_connection *socket = data;
	if (socket->closing)
		websocket_free(socket);
}

static void websocket_event(struct bufferevent *events, short what, void *data)
{
	/* end of file, error or write timeout: the peer is gone or stuck */
	websocket_free(data);
}

static enum websocket_protocol pick_protocol(const char *offered, const char **name)
{
	if (!offered)
		return (enum websocket_protocol) -1;
	gchar **list = g_strsplit(offered, ",", 0);
	int picked = -1;
	for (gchar **item = list; *item && picked < 0; item++) {
		g_strstrip(*item);
		for (size_t i = 0; i < G_N_ELEMENTS(websocket_protocols); i++) {
			if (!strcmp(*item, websocket_protocols[i].name)) {
				picked = (int) i;
				break;
			}
		}
	}
	g_strfreev(list);
	if (picked < 0)
		return (enum websocket_protocol) -1;
	*name = websocket_protocols[picked].name;
	return websocket_protocols[picked].protocol;
}

/* RFC 6455 section 4.2: check the opening handshake, answer 101, take the connection over. */
static void websocket_upgrade(struct http_server *server, struct evhttp_request *request)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(request);
	const char *version = evhttp_find_header(headers, "Sec-WebSocket-Version");
	char accept[WEBSOCKET_ACCEPT_SIZE];
	const char *protocol_name = NULL;
	if (evhttp_request_get_command(request) != EVHTTP_REQ_GET) {
		send_text(request, 405, "Method Not Allowed", "a WebSocket opens with GET\n");
		return;
	}
	if (!version || strcmp(version, "13") != 0) {
		evhttp_add_header(evhttp_request_get_output_headers(request), "Sec-WebSocket-Version", "13");
		send_text(request, 426, "Upgrade Required", "WebSocket version 13 only\n");
		return;
	}
	if (websocket_accept_key(evhttp_find_header(headers, "Sec-WebSocket-Key"), accept) < 0) {
		send_text(request, HTTP_BADREQUEST, "Bad Request", "missing or malformed Sec-WebSocket-Key\n");
		return;
	}
	int protocol = (int) pick_protocol(evhttp_find_header(headers, "Sec-WebSocket-Protocol"), &protocol_name);
	if (protocol < 0) {
		send_text(request, HTTP_BADREQUEST, "Bad Request",
			  "Sec-WebSocket-Protocol must offer ng.rtpengine.com, ng-plain.rtpengine.com or echo.rtpengine.com\n");
		return;
	}
	if (server->websocket_count >= WEBSOCKET_MAX_CONNECTIONS) {
		send_text(request, HTTP_SERVUNAVAIL, "Service Unavailable", "too many WebSocket connections\n");
		return;
	}
	struct http_connection *tracked = connection_of(server, request);
	if (tracked)
		tracked->deadline_us = 0;   /* a WebSocket may stay idle */
	struct evhttp_connection *connection = evhttp_request_get_connection(request);
	struct websocket_connection *socket = g_new0(struct websocket_connection, 1);
	socket->server = server;
	socket->http_connection = connection;
	socket->events = evhttp_connection_get_bufferevent(connection);
	socket->protocol = (enum websocket_protocol) protocol;
	request_source(request, &socket->peer);
	server->websockets = g_list_prepend(server->websockets, socket);
	socket->link = server->websockets;
	server->websocket_count++;

	struct evbuffer *output = bufferevent_get_output(socket->events);
	evbuffer_add_printf(output, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			    "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n", accept, protocol_name);
	bufferevent_setcb(socket->events, websocket_readable, websocket_written, websocket_event, socket);
	/* a proxy's ng connection may be idle for long: no read timeout; a peer that stops
	 * reading our replies is dropped */
	struct timeval write_timeout = { .tv_sec = WEBSOCKET_WRITE_TIMEOUT_SECONDS };
	bufferevent_set_timeouts(socket->events, NULL, &write_timeout);
	bufferevent_setwatermark(socket->events, EV_READ, 0, WEBSOCKET_MAX_PAYLOAD + 14);
	bufferevent_enable(socket->events, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(socket->events)))
		websocket_readable(socket->events, socket);
}

/* ---- routing ------------------------------------------------------------------------------- */

static bool header_has_token(const char *value, const char *token)
{
	if (!value)
		return false;
	gchar **list = g_strsplit(value, ",", 0);
	bool found = false;
	for (gchar **item = list; *item && !found; item++)
		found = !g_ascii_strcasecmp(g_strstrip(*item), token);
	g_strfreev(list);
	return found;
}

static void handle_request(struct evhttp_request *request, void *data)
{
	struct http_server *server = data;
	count_request(server);
	struct http_connection *connection = connection_of(server, request);
	if (connection)   /* the next request on this connection gets its own deadline */
		connection->deadline_us = timer_now_us() + HTTP_REQUEST_DEADLINE_US;
	struct evkeyvalq *headers = evhttp_request_get_input_headers(request);
	if (header_has_token(evhttp_find_header(headers, "Upgrade"), "websocket")) {
		websocket_upgrade(server, request);
		return;
	}
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
	if (!path || !*path)
		path = "/";
	if (!strcmp(path, "/ng") || !strcmp(path, "/ng-plain")) {
		serve_ng(server, request, path[3] == '-');
		return;
	}
	enum evhttp_cmd_type method = evhttp_request_get_command(request);
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(request), "Allow", "GET, HEAD");
		send_text(request, 405, "Method Not Allowed", "method not allowed here\n");
		return;
	}
	if (!strcmp(path, "/ping")) {
		send_text(request, HTTP_OK, "OK", "pong");
	} else if (!strcmp(path, "/metrics")) {
		serve_metrics(server, request);
	} else if (!strcmp(path, "/calls.json")) {
		serve_calls(server, request);
	} else if (!strcmp(path, "/")) {
		size_t length;
		const char *page = live_view_page(&length);
		send_reply(request, HTTP_OK, "OK", "text/html; charset=utf-8", page, length);
	} else {
		send_text(request, HTTP_NOTFOUND, "Not Found", "not found\n");
	}
}

/* ---- listeners ----------------------------------------------------------------------------- */

static int listen_socket(const union endpoint *address)
{
	int fd = socket(address->address.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int on = 1, off = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (address->address.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	/* inherited by accepted connections: a reply over 16 KB goes out in two writes, and with
	 * Nagle the second waited for the client's delayed ACK (measured: 45 ms per /metrics) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (bind(fd, &address->address, endpoint_length(address)) < 0 || listen(fd, 128) < 0) {
		int error = -errno;
		close(fd);
		return error;
	}
	return fd;
}

static struct bufferevent *track_connection(struct http_server *server, struct bufferevent *events)
{
	if (!events)
		return NULL;
	struct http_connection *connection = g_new(struct http_connection, 1);
	connection->events = events;
	connection->deadline_us = timer_now_us() + HTTP_REQUEST_DEADLINE_US;
	bufferevent_incref(events);
	g_hash_table_insert(server->connections, events, connection);
	return events;
}

/* evhttp sets the accepted socket on what these return. NULL: evhttp makes its own
 * (then the connection has no deadline). */
static struct bufferevent *plain_bufferevent(struct event_base *base, void *data)
{
	return track_connection(data, bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
}

static struct bufferevent *tls_bufferevent(struct event_base *base, void *data)
{
	struct http_server *server = data;
	SSL *ssl = SSL_new(server->ssl);
	if (!ssl)
		return NULL;
	return track_connection(server, bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
								       BEV_OPT_CLOSE_ON_FREE));
}

static int load_tls(struct http_server *server)
{
	const struct daemon_config *config = server->daemon->config;
	const char *key = config->https_key ? config->https_key : config->https_cert;
	server->ssl = SSL_CTX_new(TLS_server_method());
	if (!server->ssl)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(server->ssl, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(server->ssl, config->https_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(server->ssl, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(server->ssl) != 1) {
		char reason[256];
		ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
		log_error("HTTPS: cannot use certificate %s and key %s: %s", config->https_cert, key, reason);
		return -EINVAL;
	}
	if (config->https_client_ca) {
		/* mutual TLS: the handshake fails without a client certificate this CA signed */
		if (SSL_CTX_load_verify_locations(server->ssl, config->https_client_ca, NULL) != 1) {
			char reason[256];
			ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
			log_error("HTTPS: cannot read client CA %s: %s", config->https_client_ca, reason);
			return -EINVAL;
		}
		SSL_CTX_set_verify(server->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return 0;
}

static struct evhttp *open_listener(struct http_server *server, const union endpoint *address, bool tls)
{
	char text[ENDPOINT_TEXT_SIZE];
	endpoint_text(address, text, sizeof(text));
	int fd = listen_socket(address);
	if (fd < 0) {
		log_error("cannot listen for %s on %s: %s", tls ? "HTTPS" : "HTTP", text, strerror(-fd));
		return NULL;
	}
	struct evhttp *http = evhttp_new(server->base);
	if (!http || !evhttp_accept_socket_with_handle(http, fd)) {
		log_error("cannot listen for %s on %s: libevent failed", tls ? "HTTPS" : "HTTP", text);
		close(fd);
		if (http)
			evhttp_free(http);
		return NULL;
	}
	evhttp_set_timeout(http, HTTP_TIMEOUT_SECONDS);
	evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(http, HTTP_MAX_BODY_SIZE);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_gencb(http, handle_request, server);
	evhttp_set_bevcb(http, tls ? tls_bufferevent : plain_bufferevent, server);
	log_notice("listening for %s on %s", tls ? "HTTPS" : "HTTP", text);
	return http;
}

/* ---- public functions ---------------------------------------------------------------------- */

int http_server_start(struct http_server **result, struct daemon_context *daemon)
{
	const struct daemon_config *config = daemon->config;
	*result = NULL;
	if (!endpoint_is_set(&config->listen_http) && !endpoint_is_set(&config->listen_https))
		return 0;
	if (config->http_threads)
		log_info("--http-threads=%u: HTTP is served by the control thread", config->http_threads);
	struct http_server *server = g_new0(struct http_server, 1);
	server->daemon = daemon;
	server->base_fd = -1;
	server->body = g_string_sized_new(4096);
	server->reply = g_string_sized_new(16384);
	server->connections = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, connection_release);
	int error = create_base(server);
	if (!error && endpoint_is_set(&config->listen_http)) {
		server->http = open_listener(server, &config->listen_http, false);
		if (!server->http)
			error = -EADDRNOTAVAIL;
	}
	if (!error && endpoint_is_set(&config->listen_https)) {
		error = load_tls(server);
		if (!error) {
			server->https = open_listener(server, &config->listen_https, true);
			if (!server->https)
				error = -EADDRNOTAVAIL;
		}
	}
	timer_entry_init(&server->tick, tick, server);
	timer_entry_init(&server->resume, resume, server);
	if (!error)
		error = event_loop_add_fd(daemon->loop, server->base_fd, EPOLLIN, base_readable, server);
	if (!error)
		error = event_loop_timer_arm(daemon->loop, &server->tick, timer_now_us() + HTTP_TICK_US, HTTP_TICK_US);
	if (error) {
		http_server_stop(server);
		return error;
	}
	*result = server;
	return 0;
}

void http_server_stop(struct http_server *server)
{
	if (!server)
		return;
	event_loop_timer_cancel(server->daemon->loop, &server->tick);
	event_loop_timer_cancel(server->daemon->loop, &server->resume);
	if (server->base_fd >= 0)
		event_loop_remove_fd(server->daemon->loop, server->base_fd);
	while (server->websockets)
		websocket_free(server->websockets->data);
	if (server->http)
		evhttp_free(server->http);
	if (server->https)
		evhttp_free(server->https);
	/* the connections are freed by now; our references go, libevent's finalizers run in
	 * event_base_free() */
	g_hash_table_destroy(server->connections);
	if (server->base)
		event_base_free(server->base);
	if (server->ssl)
		SSL_CTX_free(server->ssl);
	g_string_free(server->body, TRUE);
	g_string_free(server->reply, TRUE);
	g_free(server);
}
