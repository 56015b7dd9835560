/* Graphite plaintext export; see graphite.h. */
#include "graphite.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include "call.h"
#include "daemon.h"
#include "event_loop.h"
#include "log.h"
#include "metrics.h"
#include "statistics.h"

#define GRAPHITE_BACKOFF_MIN_US 1000000LL
#define GRAPHITE_BACKOFF_MAX_US 60000000LL
#define GRAPHITE_DEFAULT_TIMEOUT_S 5
#define GRAPHITE_MAX_PENDING (1024 * 1024)

enum graphite_state { GRAPHITE_IDLE, GRAPHITE_CONNECTING, GRAPHITE_CONNECTED };

struct graphite {
	struct daemon_context *daemon;
	union endpoint server;
	char server_text[ENDPOINT_TEXT_SIZE];
	int fd;
	enum graphite_state state;
	struct timer_entry report_timer;
	struct timer_entry retry_timer;     /* connect timeout while connecting, backoff while idle */
	int64_t backoff_us;
	GString *pending;                   /* lines not yet written */
	bool logged_failure;                /* one warning per outage, not one per attempt */
};

static void start_connect(struct graphite *graphite);

static void disconnect(struct graphite *graphite, const char *why)
{
	if (graphite->fd >= 0) {
		event_loop_remove_fd(graphite->daemon->loop, graphite->fd);
		close(graphite->fd);
		graphite->fd = -1;
	}
	graphite->state = GRAPHITE_IDLE;
	if (!graphite->logged_failure)
		log_warning("graphite %s: %s; retrying in %lld s", graphite->server_text, why,
			    (long long) (graphite->backoff_us / 1000000));
	graphite->logged_failure = true;
	event_loop_timer_arm(graphite->daemon->loop, &graphite->retry_timer, timer_now_us() + graphite->backoff_us, 0);
	graphite->backoff_us = MIN(graphite->backoff_us * 2, GRAPHITE_BACKOFF_MAX_US);
}

/* Writes what is pending; waits for EPOLLOUT when the socket is full. */
static void flush(struct graphite *graphite)
{
	while (graphite->pending->len) {
		ssize_t sent = send(graphite->fd, graphite->pending->str, graphite->pending->len,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_loop_modify_fd(graphite->daemon->loop, graphite->fd, EPOLLIN | EPOLLOUT);
			return;
		}
		if (sent < 0) {
			disconnect(graphite, strerror(errno));
			return;
		}
		g_string_erase(graphite->pending, 0, sent);
	}
	event_loop_modify_fd(graphite->daemon->loop, graphite->fd, EPOLLIN);
}

static void socket_ready(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct graphite *graphite = data;
	if (graphite->state == GRAPHITE_CONNECTING) {
		int error = 0;
		socklen_t length = sizeof(error);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
		if (error) {
			disconnect(graphite, strerror(error));
			return;
		}
		event_loop_timer_cancel(loop, &graphite->retry_timer);
		graphite->state = GRAPHITE_CONNECTED;
		graphite->backoff_us = GRAPHITE_BACKOFF_MIN_US;
		log_notice("graphite: connected to %s", graphite->server_text);
		graphite->logged_failure = false;
		flush(graphite);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		/* the plaintext protocol has no replies: readable means closed (or a stray byte) */
		char discard[256];
		ssize_t got = recv(fd, discard, sizeof(discard), MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
			disconnect(graphite, got == 0 ? "connection closed by the server" : strerror(errno));
			return;
		}
	}
	if (events & EPOLLOUT)
		flush(graphite);
}

static void start_connect(struct graphite *graphite)
{
	struct event_loop *loop = graphite->daemon->loop;
	int fd = socket(graphite->server.address.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		disconnect(graphite, strerror(errno));
		return;
	}
	graphite->fd = fd;
	graphite->state = GRAPHITE_CONNECTING;
	if (connect(fd, &graphite->server.address, endpoint_length(&graphite->server)) < 0 && errno != EINPROGRESS) {
		disconnect(graphite, strerror(errno));
		return;
	}
	/* writable once the connect completed, with SO_ERROR telling how */
	int error = event_loop_add_fd(loop, fd, EPOLLOUT, socket_ready, graphite);
	if (error) {
		disconnect(graphite, strerror(-error));
		return;
	}
	unsigned int timeout = graphite->daemon->config->graphite_timeout;
	event_loop_timer_arm(loop, &graphite->retry_timer,
			     timer_now_us() + (int64_t) (timeout ? timeout : GRAPHITE_DEFAULT_TIMEOUT_S) * 1000000, 0);
}

static void retry_due(struct timer_entry *timer, void *data)
{
	struct graphite *graphite = data;
	if (graphite->state == GRAPHITE_CONNECTING)
		disconnect(graphite, "connect timed out");
	else if (graphite->state == GRAPHITE_IDLE)
		start_connect(graphite);
}

static void report_due(struct timer_entry *timer, void *data)
{
	struct graphite *graphite = data;
	/* while the server is away only the newest report is kept; when it is slow, reports
	 * queue up to the bound, then the oldest give way */
	if (graphite->state != GRAPHITE_CONNECTED || graphite->pending->len > GRAPHITE_MAX_PENDING)
		g_string_truncate(graphite->pending, 0);
	struct statistics_snapshot *snapshot = g_new(struct statistics_snapshot, 1);
	statistics_gather(graphite->daemon, snapshot);
	metrics_render_graphite(snapshot, graphite->daemon->config->graphite_prefix, now_realtime_us() / 1000000,
				graphite->pending);
	g_free(snapshot);
	if (graphite->state == GRAPHITE_CONNECTED)
		flush(graphite);
}

int graphite_start(struct graphite **result, struct daemon_context *daemon)
{
	const struct daemon_config *config = daemon->config;
	*result = NULL;
	if (!endpoint_is_set(&config->graphite))
		return 0;
	struct graphite *graphite = g_new0(struct graphite, 1);
	graphite->daemon = daemon;
	graphite->server = config->graphite;
	endpoint_text(&graphite->server, graphite->server_text, sizeof(graphite->server_text));
	graphite->fd = -1;
	graphite->backoff_us = GRAPHITE_BACKOFF_MIN_US;
	graphite->pending = g_string_sized_new(8192);
	timer_entry_init(&graphite->report_timer, report_due, graphite);
	timer_entry_init(&graphite->retry_timer, retry_due, graphite);
	int64_t interval_us = (int64_t) config->graphite_interval * 1000000;
	int error = event_loop_timer_arm(daemon->loop, &graphite->report_timer, timer_now_us() + interval_us,
					 interval_us);
	if (error) {
		graphite_stop(graphite);
		return error;
	}
	log_notice("graphite: reporting to %s every %u s", graphite->server_text, config->graphite_interval);
	start_connect(graphite);
	*result = graphite;
	return 0;
}

void graphite_stop(struct graphite *graphite)
{
	if (!graphite)
		return;
	struct event_loop *loop = graphite->daemon->loop;
	event_loop_timer_cancel(loop, &graphite->report_timer);
	event_loop_timer_cancel(loop, &graphite->retry_timer);
	if (graphite->fd >= 0) {
		event_loop_remove_fd(loop, graphite->fd);
		close(graphite->fd);
	}
	g_string_free(graphite->pending, TRUE);
	g_free(graphite);
}
