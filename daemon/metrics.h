/* Prometheus text exposition (format 0.0.4) and Graphite plaintext lines of one statistics
 * snapshot, rendered by walking its field tables (statistics.h): a counter added to the
 * snapshot and its table appears here without code.
 *
 * Prometheus names: upstream rtpengine's where it has the number (labelled families such as
 * rtpengine_packets_total{type="userspace"}; a row that is such a family's sum is left out),
 * else "rtpengine_" + the row's name, "_total" appended to counters; per command with
 * request="offer", per interface with name= and address=; each command's latency histogram
 * as rtpengine_request_duration_seconds{request=...} (_bucket, _sum, _count). docs/http.md.
 * Graphite: "<prefix><name> <value> <unix time>\n", upstream's names where it reports the row
 * (relayed_packets, managed_sess, current_sessions_own, ...), per command "<command>_count"
 * and "<command>_seconds", per interface "ports_<row>_<name>_<address>" (upstream's form).
 * Threads: any (the snapshot is a plain struct). Cost: a few KB of text. */
#ifndef RTPENGINE_METRICS_H
#define RTPENGINE_METRICS_H

#include <glib.h>
#include <stdint.h>
#include "statistics.h"

void metrics_render_prometheus(const struct statistics_snapshot *snapshot, GString *out);
/* prefix is written as given (may be NULL); names with spaces are written with '_'. */
void metrics_render_graphite(const struct statistics_snapshot *snapshot, const char *prefix, int64_t unix_seconds,
                             GString *out);

#endif
