/* The HTTP/HTTPS listener (--listen-http, --listen-https): GET /ping, /metrics (Prometheus),
 * / and /calls.json (live view), POST /ng and /ng-plain (ng over HTTP), and WebSocket with
 * the subprotocols ng.rtpengine.com, ng-plain.rtpengine.com and echo.rtpengine.com, as
 * upstream rtpengine documents them (docs/http.md).
 *
 * libevent's HTTP server runs on the control thread: its event_base is an epoll set nested
 * in the control loop (its fd registered there; the base runs without blocking when that fd
 * is readable, and every HTTP_TICK for libevent's own timeouts). So /metrics reads the same
 * snapshot as the ng `statistics` command and ng over HTTP feeds the very command table the
 * UDP socket does, without a lock or a queue (docs/http.md, "How it runs", says why).
 *
 * Bounds: 5 s of silence ends a request (slow clients), a request must be complete 10 s after
 * the connection's start or its previous request (trickling clients), headers at most 8 KB, bodies 256 KB,
 * WebSocket messages 1 MB and 256 WebSocket connections; each run of the base answers at most
 * HTTP_REQUESTS_PER_RUN requests before the ng socket and timers get their turn.
 * Errors: http_server_start() returns 0 (nothing configured: *server = NULL) or a negative
 * errno after logging why. */
#ifndef RTPENGINE_HTTP_SERVER_H
#define RTPENGINE_HTTP_SERVER_H

struct daemon_context;
struct http_server;

int http_server_start(struct http_server **server, struct daemon_context *daemon);
void http_server_stop(struct http_server *server);

#endif
