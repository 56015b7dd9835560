/* Graphite export (--graphite=ADDR:PORT, --graphite-interval, --graphite-prefix,
 * --graphite-timeout): every interval the statistics snapshot goes out as plaintext lines
 * ("<prefix><name> <value> <unix time>\n", see metrics.h) over one TCP connection.
 *
 * Never blocks the control thread: the connect is non-blocking and bounded by the timeout;
 * a refused, failed or closed connection is retried with exponential backoff (1 s doubling
 * to 60 s). While disconnected only the newest report is kept (bounded memory); a report
 * that cannot be written at once waits in a buffer of at most GRAPHITE_MAX_PENDING bytes.
 * Threads: control thread (a source on daemon->loop). */
#ifndef RTPENGINE_GRAPHITE_H
#define RTPENGINE_GRAPHITE_H

struct daemon_context;
struct graphite;

/* 0 with *graphite = NULL when --graphite is not given. */
int graphite_start(struct graphite **graphite, struct daemon_context *daemon);
void graphite_stop(struct graphite *graphite);

#endif
