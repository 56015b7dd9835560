/* ng command handlers. Each fills request->reply and returns 0, or returns -errno with
 * request->error_reason set; the server turns that into result=error. */
#ifndef RTPENGINE_NG_COMMANDS_H
#define RTPENGINE_NG_COMMANDS_H

#include "ng_request.h"

struct call;

int ng_command_ping(struct ng_request *request);
int ng_command_offer(struct ng_request *request);
int ng_command_answer(struct ng_request *request);
int ng_command_delete(struct ng_request *request);
int ng_command_query(struct ng_request *request);
int ng_command_list(struct ng_request *request);
int ng_command_statistics(struct ng_request *request);
/* cli_server.c: one CLI command line in `instruction`, its text in `response` */
int ng_command_cli(struct ng_request *request);

/* The call's state as `query` and `delete` report it (upstream's layout). diagnostics adds our
 * per-stream "endpoint learning" and "kernel" explanations (query only: delete replies are
 * cached and mostly thrown away by proxies). */
void ng_describe_call(struct ng_request *request, struct call *call, bool diagnostics);

/* How long handling a request took: upper bounds of the latency histogram's buckets (the
 * last bucket counts everything slower), for /metrics. */
#define NG_LATENCY_BUCKETS 12
extern const double ng_latency_bucket_seconds[NG_LATENCY_BUCKETS - 1];

/* Counts per command for `statistics`, indexed like the command table. */
struct ng_command_counter {
	const char *name;
	uint64_t count;
	double seconds;
	uint64_t latency[NG_LATENCY_BUCKETS];   /* requests per bucket, not cumulative */
};
const struct ng_command_counter *ng_command_counters(unsigned int *count);

#endif
