/* The CLI's command table and handlers; see cli.h. Texts follow upstream rtpengine 10.5's
 * replies (as Debian's 10.5 prints them), so that scripts written against rtpengine-ctl keep
 * working; commands for features this relay lacks (load limits, standby without Redis)
 * answer with a reason instead of a made-up success. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "call.h"
#include "call_lifecycle.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "redis.h"
#include "statistics.h"

#define CLI_MAX_WORDS 16

struct cli_request {
	GString *output;
	char **words;                  /* the words after the command's own name, NULL after the last */
	unsigned int count;
};

struct cli_command {
	const char *name;
	int (*handler)(struct cli_request *request);
	const struct cli_command *subcommands;   /* NULL-name terminated */
	const char *missing;           /* refused here: what this relay lacks */
};

/* A runtime parameter `set`, `list` and `params` know: an int or unsigned int field of
 * struct daemon_config. */
struct cli_parameter {
	const char *name;              /* as `params` prints it: the option's name */
	size_t offset;
	bool is_signed;
	long long min, max;
};

static struct daemon_context *cli_daemon;
static struct daemon_config *cli_config;
static struct daemon_config start_config;   /* the parameters as the daemon started */
static int start_log_level;

static const struct cli_parameter parameters[] = {
	{ "max-sessions", offsetof(struct daemon_config, max_sessions), true, -1, INT_MAX },
	{ "timeout", offsetof(struct daemon_config, timeout), false, 0, INT_MAX },
	{ "silent-timeout", offsetof(struct daemon_config, silent_timeout), false, 0, INT_MAX },
	{ "final-timeout", offsetof(struct daemon_config, final_timeout), false, 0, INT_MAX },
	{ "delete-delay", offsetof(struct daemon_config, delete_delay), false, 0, INT_MAX },
};

/* The Redis settings `set` changes at run time (redis.c reads them afresh at every use), named
 * as 10.5's `params` names them: current / start by name, diff by diff_name. */
struct cli_redis_parameter {
	const char *name, *diff_name, *set_name;
	size_t offset;
	bool is_signed;
};

static const struct cli_redis_parameter redis_parameters[] = {
	{ "redis_allowed_errors", "redis_allowed_errors", "redis-allowed-errors",
	  offsetof(struct daemon_config, redis_allowed_errors), true },
	{ "redis_disable_time", "redis_disable_time", "redis-disable-time",
	  offsetof(struct daemon_config, redis_disable_time), false },
	{ "redis_cmd_timeout", "redis_cmd_timeout", "redis-cmd-timeout",
	  offsetof(struct daemon_config, redis_cmd_timeout_ms), false },
	/* sic: 10.5 prints this label in `params diff` */
	{ "redis_connect_timeout", "redis_connect_timeout-db", "redis-connect-timeout",
	  offsetof(struct daemon_config, redis_connect_timeout_ms), false },
};

/* Upstream's log subsystems: this relay has one level for all of them. */
static const char *const log_subsystems[] = {
	"core", "spandsp", "ffmpeg", "transcoding", "codec", "rtcp", "ice", "crypto", "srtp",
	"internals", "http", "control", "dtx",
};

/* ---- helpers --------------------------------------------------------------------------- */

static long long parameter_get(const struct daemon_config *config, const struct cli_parameter *parameter)
{
	const char *where = (const char *) config + parameter->offset;
	if (parameter->is_signed)
		return *(const int *) where;
	return *(const unsigned int *) where;
}

static void parameter_set(struct daemon_config *config, const struct cli_parameter *parameter, long long value)
{
	char *where = (char *) config + parameter->offset;
	if (parameter->is_signed)
		*(int *) where = (int) value;
	else
		*(unsigned int *) where = (unsigned int) value;
}

static long long redis_parameter_get(const struct daemon_config *config, const struct cli_redis_parameter *parameter)
{
	const char *where = (const char *) config + parameter->offset;
	return parameter->is_signed ? *(const int *) where : (long long) *(const unsigned int *) where;
}

static void redis_parameter_set(struct daemon_config *config, const struct cli_redis_parameter *parameter,
				long long value)
{
	char *where = (char *) config + parameter->offset;
	if (parameter->is_signed)
		*(int *) where = (int) value;
	else
		*(unsigned int *) where = (unsigned int) value;
}

static const struct cli_parameter *find_parameter(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(parameters); i++)
		if (!strcmp(parameters[i].name, name))
			return &parameters[i];
	return NULL;
}

static int refuse(struct cli_request *request, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct cli_request *request, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	g_string_append_vprintf(request->output, format, arguments);
	va_end(arguments);
	g_string_append_c(request->output, '\n');
	return -EINVAL;
}

static void append_joined(GString *output, char **words, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		if (i)
			g_string_append_c(output, ' ');
		g_string_append(output, words[i]);
	}
}

/* " Name .......:value" as upstream aligns its statistics. */
static void append_line(GString *output, const char *label, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
static void append_line(GString *output, const char *label, const char *format, ...)
{
	g_string_append_printf(output, " %-48s:", label);
	va_list arguments;
	va_start(arguments, format);
	g_string_append_vprintf(output, format, arguments);
	va_end(arguments);
	g_string_append_c(output, '\n');
}

/* ---- list ------------------------------------------------------------------------------ */

struct session_counts {
	unsigned int ipv4_only, ipv6_only, mixed;
};

static void count_families(struct call *call, void *data)
{
	struct session_counts *counts = data;
	bool ipv4 = false, ipv6 = false;
	struct media *media;
	call_foreach_media(call, media) {
		if (!media->interface)
			continue;
		if (media->interface->local.address.sa_family == AF_INET6)
			ipv6 = true;
		else
			ipv4 = true;
	}
	if (ipv4 && ipv6)
		counts->mixed++;
	else if (ipv4)
		counts->ipv4_only++;
	else if (ipv6)
		counts->ipv6_only++;
}

static int list_numsessions(struct cli_request *request)
{
	struct statistics_snapshot snapshot;
	statistics_gather(cli_daemon, &snapshot);
	struct session_counts counts = { 0 };
	call_foreach(count_families, &counts);
	const struct statistics_values *values = &snapshot.values;
	g_string_append_printf(request->output,
			       "Current sessions own: %llu\nCurrent sessions foreign: %llu\n"
			       "Current sessions total: %llu\nCurrent transcoded media: %llu\n"
			       "Current sessions ipv4 only media: %u\nCurrent sessions ipv6 only media: %u\n"
			       "Current sessions ip mixed  media: %u\n",
			       (unsigned long long) values->sessions_own, (unsigned long long) values->sessions_foreign,
			       (unsigned long long) values->sessions_total, (unsigned long long) values->transcoded_media,
			       counts.ipv4_only, counts.ipv6_only, counts.mixed);
	return 0;
}

/* "all", "own" or "foreign" (Redis: calls restored from another instance's value) */
struct session_filter {
	GString *output;
	const char *which;
	unsigned int matched;
};

static bool session_matches(struct call *call, const char *which)
{
	if (!strcmp(which, "all"))
		return true;
	return redis_call_is_foreign(call->call_id) == !strcmp(which, "foreign");
}

static void append_session_line(struct call *call, void *data)
{
	struct session_filter *filter = data;
	if (!session_matches(call, filter->which))
		return;
	filter->matched++;
	GString *output = filter->output;
	char proxy[ENDPOINT_TEXT_SIZE] = "";
	if (endpoint_is_set(&call->created_from))
		endpoint_text(&call->created_from, proxy, sizeof(proxy));
	g_string_append_printf(output, "callid: %60s | deletionmark:%4s | created: %11lld | proxy:%s | "
			       "redis_keyspace:0 | foreign:%s\n", call->call_id, call->delete_at_us ? "yes" : "no",
			       (long long) (call->created_us / 1000000), proxy,
			       redis_call_is_foreign(call->call_id) ? "yes" : "no");
}

static void append_stream_line(GString *output, const struct stream *stream, const struct stream_statistics *copy,
			       int64_t fallback_us)
{
	const struct media *media = stream->media;
	char local[ENDPOINT_TEXT_SIZE] = "", peer[ENDPOINT_TEXT_SIZE] = "0.0.0.0";
	unsigned int peer_port = 0;
	if (media->interface)
		endpoint_address_text(&media->interface->local, local, sizeof(local));
	const union endpoint *remote = (copy->state & STREAM_LATCHED) ? &copy->learned : &stream->advertised;
	if (endpoint_is_set(remote)) {
		endpoint_address_text(remote, peer, sizeof(peer));
		peer_port = endpoint_port(remote);
	}
	int64_t last = copy->counters.last_packet_us ? copy->counters.last_packet_us : fallback_us;
	g_string_append_printf(output, "-------- Port %15s:%-5u <> %15s:%-5u%s, SSRC %x, %llu p, %llu b, %llu e, %lld ts\n",
			       local, stream->local_port, peer, peer_port,
			       stream->kind == STREAM_RTCP ? " (RTCP)" : "", copy->last_ssrc,
			       (unsigned long long) copy->counters.packets, (unsigned long long) copy->counters.bytes,
			       (unsigned long long) copy->counters.errors, (long long) (last / 1000000));
}

/* One call in upstream's detailed layout: header, then per tag its media and ports. */
static void append_session_details(GString *output, struct call *call)
{
	char proxy[ENDPOINT_TEXT_SIZE] = "";
	if (endpoint_is_set(&call->created_from))
		endpoint_text(&call->created_from, proxy, sizeof(proxy));
	int tos = cli_config->tos < 0 ? 0 : cli_config->tos;
	g_string_append_printf(output, "\ncallid: %s\ndeletionmark: %s\ncreated: %lld\nproxy: %s\ntos: %d\n"
			       "last_signal: %lld\nredis_keyspace: 0\nforeign: %s\n\n", call->call_id,
			       call->delete_at_us ? "yes" : "no", (long long) (call->created_us / 1000000), proxy, tos,
			       (long long) (call->last_signal_us / 1000000), redis_call_is_foreign(call->call_id) ? "yes" : "no");
	struct call_statistics statistics;
	call_statistics_gather(call, &statistics);
	int64_t now = now_realtime_us();
	unsigned int index = 0;
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		const struct monologue *monologue = call->monologues[m];
		g_string_append_printf(output, "--- Tag '%s', type: %s, label '%s', branch '%s', callduration %.6f\n",
				       monologue->tag ? monologue->tag : "", m == 0 ? "FROM_TAG" : "TO_TAG",
				       monologue->label ? monologue->label : "",
				       monologue->via_branch ? monologue->via_branch : "",
				       (double) (now - monologue->created_us) / 1e6);
		if (monologue->peer) {
			const char *peer_tag = monologue->peer->tag ? monologue->peer->tag : "";
			g_string_append_printf(output, "---     subscribed to '%s'\n---     subscription of '%s'\n",
					       peer_tag, peer_tag);
		}
		for (unsigned int i = 0; i < monologue->media_count; i++) {
			const struct media *media = monologue->media[i];
			g_string_append_printf(output, "------ Media #%u (%s over %s) using unknown codec\n", media->index,
					       media->type ? media->type : "", media->protocol ? media->protocol : "");
			for (unsigned int kind = 0; kind < 2 && index < statistics.stream_count; kind++, index++)
				append_stream_line(output, &media->streams[kind], &statistics.streams[index],
						   monologue->created_us);
		}
	}
	g_string_append_c(output, '\n');
	call_statistics_free(&statistics);
}

static int list_sessions(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	const char *which = request->words[0];
	if (!strcmp(which, "all") || !strcmp(which, "own") || !strcmp(which, "foreign")) {
		struct session_filter filter = { request->output, which, 0 };
		call_foreach(append_session_line, &filter);
		if (!filter.matched)
			g_string_append(request->output, !strcmp(which, "all") ? "No sessions on this media relay.\n"
					: !strcmp(which, "own") ? "No own sessions on this media relay.\n"
					: "No foreign sessions on this media relay.\n");
		return 0;
	}
	struct call *call = call_lookup(which);
	if (!call) {
		g_string_append_printf(request->output, "\nCall ID not found (%s).\n\n", which);
		return -ENOENT;
	}
	append_session_details(request->output, call);
	return 0;
}

static void append_current(GString *output, const struct statistics_values *values)
{
	append_line(output, "Owned sessions", "%llu", (unsigned long long) values->sessions_own);
	append_line(output, "Foreign sessions", "%llu", (unsigned long long) values->sessions_foreign);
	append_line(output, "Total sessions", "%llu", (unsigned long long) values->sessions_total);
	append_line(output, "Transcoded media", "%llu", (unsigned long long) values->transcoded_media);
}

static void append_rates(GString *output, const struct statistics_values *values)
{
	append_line(output, "Packets per second (userspace)", "%llu", (unsigned long long) values->packet_rate_user);
	append_line(output, "Bytes per second (userspace)", "%llu", (unsigned long long) values->byte_rate_user);
	append_line(output, "Errors per second (userspace)", "%llu", (unsigned long long) values->error_rate_user);
	append_line(output, "Packets per second (kernel)", "%llu", (unsigned long long) values->packet_rate_kernel);
	append_line(output, "Bytes per second (kernel)", "%llu", (unsigned long long) values->byte_rate_kernel);
	append_line(output, "Errors per second (kernel)", "%llu", (unsigned long long) values->error_rate_kernel);
	append_line(output, "Packets per second (total)", "%llu", (unsigned long long) values->packet_rate);
	append_line(output, "Bytes per second (total)", "%llu", (unsigned long long) values->byte_rate);
	append_line(output, "Errors per second (total)", "%llu", (unsigned long long) values->error_rate);
}

static int list_totals(struct cli_request *request)
{
	struct statistics_snapshot snapshot;
	statistics_gather(cli_daemon, &snapshot);
	const struct statistics_values *v = &snapshot.values;
	GString *output = request->output;
	g_string_append(output, "\nStatistics over currently running sessions:\n\n");
	append_current(output, v);
	append_rates(output, v);
	g_string_append(output, "\nTotal statistics (does not include current running sessions):\n\n");
	append_line(output, "Uptime of rtpengine", "%llu seconds", (unsigned long long) v->uptime_seconds);
	append_line(output, "Total managed sessions", "%llu", (unsigned long long) v->managed_sessions);
	append_line(output, "Total rejected sessions", "%llu", (unsigned long long) v->rejected_sessions);
	append_line(output, "Total timed-out sessions via TIMEOUT", "%llu", (unsigned long long) v->timeout_sessions);
	append_line(output, "Total timed-out sessions via SILENT_TIMEOUT", "%llu",
		    (unsigned long long) v->silent_timeout_sessions);
	append_line(output, "Total timed-out sessions via FINAL_TIMEOUT", "%llu",
		    (unsigned long long) v->final_timeout_sessions);
	append_line(output, "Total timed-out sessions via OFFER_TIMEOUT", "%llu",
		    (unsigned long long) v->offer_timeout_sessions);
	append_line(output, "Total regular terminated sessions", "%llu",
		    (unsigned long long) v->regular_terminated_sessions);
	append_line(output, "Total forced terminated sessions", "%llu",
		    (unsigned long long) v->forced_terminated_sessions);
	append_line(output, "Total relayed packets (userspace)", "%llu", (unsigned long long) v->packets_user);
	append_line(output, "Total relayed packet errors (userspace)", "%llu", (unsigned long long) v->errors_user);
	append_line(output, "Total relayed bytes (userspace)", "%llu", (unsigned long long) v->bytes_user);
	append_line(output, "Total relayed packets (kernel)", "%llu", (unsigned long long) v->packets_kernel);
	append_line(output, "Total relayed packet errors (kernel)", "%llu", (unsigned long long) v->errors_kernel);
	append_line(output, "Total relayed bytes (kernel)", "%llu", (unsigned long long) v->bytes_kernel);
	append_line(output, "Total relayed packets", "%llu", (unsigned long long) v->packets);
	append_line(output, "Total relayed packet errors", "%llu", (unsigned long long) v->errors);
	append_line(output, "Total relayed bytes", "%llu", (unsigned long long) v->bytes);
	append_line(output, "Average call duration", "%.6f seconds", v->average_call_seconds);
	append_line(output, "Total calls duration", "%.6f seconds", v->total_call_seconds);
	/* ours: every field of the snapshot not shown above, by its table row */
	g_string_append(output, "\nPackets not relayed and control counters:\n\n");
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++) {
		if (strncmp(fields[i].name, "dropped_", 8) && strcmp(fields[i].name, "stun_consumed")
		    && strncmp(fields[i].name, "ng_", 3))
			continue;
		append_line(output, fields[i].help, "%llu", (unsigned long long) statistics_field_uint64(&fields[i], v));
	}
	g_string_append(output, "\nControl statistics:\n\n");
	for (unsigned int i = 0; i < snapshot.command_count; i++)
		g_string_append_printf(output, " %-48s:%llu requests, %.6f seconds\n", snapshot.commands[i].name,
				       (unsigned long long) snapshot.commands[i].values.requests,
				       snapshot.commands[i].values.seconds);
	return 0;
}

static int list_counters(struct cli_request *request)
{
	struct statistics_snapshot snapshot;
	statistics_gather(cli_daemon, &snapshot);
	g_string_append(request->output, "\nCurrent per-second counters:\n\n");
	append_rates(request->output, &snapshot.values);
	return 0;
}

static int list_maxopenfiles(struct cli_request *request)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		return refuse(request, "Fail getting rtpengine configured limits; cat /proc/%d/limits", (int) getpid());
	g_string_append_printf(request->output, "Maximum open-files configured on rtpengine: %llu; cat /proc/%d/limits\n",
			       (unsigned long long) limit.rlim_cur, (int) getpid());
	return 0;
}

static int list_maxsessions(struct cli_request *request)
{
	g_string_append_printf(request->output, "Maximum sessions configured on rtpengine: %d\n", cli_config->max_sessions);
	return 0;
}

static int list_timeout(struct cli_request *request)
{
	g_string_append_printf(request->output, "TIMEOUT=%u\n", cli_config->timeout);
	return 0;
}

static int list_silenttimeout(struct cli_request *request)
{
	g_string_append_printf(request->output, "SILENT_TIMEOUT=%u\n", cli_config->silent_timeout);
	return 0;
}

static int list_finaltimeout(struct cli_request *request)
{
	g_string_append_printf(request->output, "FINAL_TIMEOUT=%u\n", cli_config->final_timeout);
	return 0;
}

static int list_deletedelay(struct cli_request *request)
{
	g_string_append_printf(request->output, "%u\n", cli_config->delete_delay);
	return 0;
}

static int list_loglevel(struct cli_request *request)
{
	for (size_t i = 0; i < G_N_ELEMENTS(log_subsystems); i++) {
		if (request->count && strcmp(request->words[0], log_subsystems[i]))
			continue;
		if (request->count)
			g_string_append_printf(request->output, "%d\n", log_current_level);
		else
			g_string_append_printf(request->output, "%s = %d\n", log_subsystems[i], log_current_level);
	}
	return 0;
}

static int list_loglevels(struct cli_request *request)
{
	for (size_t i = 0; i < G_N_ELEMENTS(log_subsystems); i++)
		g_string_append_printf(request->output, "%s - shares the one log level of this relay\n", log_subsystems[i]);
	return 0;
}

static int list_interfaces(struct cli_request *request)
{
	struct statistics_snapshot snapshot;
	statistics_gather(cli_daemon, &snapshot);
	for (unsigned int i = 0; i < snapshot.interface_count; i++) {
		const struct statistics_interface *interface = &snapshot.interfaces[i];
		const struct statistics_port_values *ports = &interface->ports;
		g_string_append_printf(request->output,
				       "Interface '%s' address '%s' (%s)\n Port range: %5llu - %5llu\n"
				       " Ports used: %5llu / %5llu (%5.1f%%)\n Last port used: %5llu\n",
				       interface->name, interface->address, strchr(interface->address, ':') ? "IPv6" : "IPv4",
				       (unsigned long long) ports->port_min, (unsigned long long) ports->port_max,
				       (unsigned long long) ports->used, (unsigned long long) ports->total,
				       ports->used_percent, (unsigned long long) ports->last);
	}
	return 0;
}

static int list_transcoders(struct cli_request *request)
{
	/* no transcoding in this relay: no transcoder ever has statistics */
	g_string_append(request->output, "No stats entries\n");
	return 0;
}

static void append_json_field(GString *output, const struct statistics_field *field, const void *base, bool *first)
{
	g_string_append_printf(output, "%s\"%s\":", *first ? "" : ",", field->ng_key);
	*first = false;
	if (field->type == STATISTICS_DOUBLE)
		g_string_append_printf(output, field->ng_format == STATISTICS_NG_TEXT_DECIMAL2 ? "%.2f" : "%.6f",
				       statistics_field_double(field, base));
	else
		g_string_append_printf(output, "%llu", (unsigned long long) statistics_field_uint64(field, base));
}

static void append_json_section(GString *output, const char *name, enum statistics_ng_section section,
				const struct statistics_values *values)
{
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	bool first = true;
	g_string_append_printf(output, "\"%s\":{", name);
	for (unsigned int i = 0; i < count; i++)
		if (fields[i].ng_section == section)
			append_json_field(output, &fields[i], values, &first);
	g_string_append_c(output, '}');
}

/* The ng statistics layout as JSON, numbers as numbers (as upstream's jsonstats). */
static int list_jsonstats(struct cli_request *request)
{
	struct statistics_snapshot snapshot;
	statistics_gather(cli_daemon, &snapshot);
	GString *output = request->output;
	g_string_append_c(output, '{');
	append_json_section(output, "currentstatistics", STATISTICS_NG_CURRENT, &snapshot.values);
	g_string_append_c(output, ',');
	append_json_section(output, "totalstatistics", STATISTICS_NG_TOTAL, &snapshot.values);
	g_string_append(output, ",\"controlstatistics\":{\"proxies\":[]");
	for (unsigned int i = 0; i < snapshot.command_count; i++)
		g_string_append_printf(output, ",\"total%scount\":%llu", snapshot.commands[i].short_name,
				       (unsigned long long) snapshot.commands[i].values.requests);
	g_string_append(output, "},\"interfaces\":[");
	unsigned int count;
	const struct statistics_field *port_fields = statistics_port_fields(&count);
	for (unsigned int i = 0; i < snapshot.interface_count; i++) {
		const struct statistics_interface *interface = &snapshot.interfaces[i];
		g_string_append_printf(output, "%s{\"name\":\"%s\",\"address\":\"%s\",\"ports\":{", i ? "," : "",
				       interface->name, interface->address);
		bool first = true;
		for (unsigned int j = 0; j < count; j++)
			append_json_field(output, &port_fields[j], &interface->ports, &first);
		g_string_append(output, "}}");
	}
	g_string_append(output, "],\"transcoders\":[]}");
	return 0;
}

/* ---- terminate, set, params ------------------------------------------------------------ */

static void collect_call(struct call *call, void *data)
{
	g_ptr_array_add(data, call);
}

static void collect_foreign_call(struct call *call, void *data)
{
	if (redis_call_is_foreign(call->call_id))
		g_ptr_array_add(data, call);
}

static void collect_own_call(struct call *call, void *data)
{
	if (!redis_call_is_foreign(call->call_id))
		g_ptr_array_add(data, call);
}

static int terminate(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	const char *which = request->words[0];
	if (!strcmp(which, "all") || !strcmp(which, "own") || !strcmp(which, "foreign")) {
		/* call_end() removes the call from the registry: collect first */
		GPtrArray *calls = g_ptr_array_new();
		call_foreach(!strcmp(which, "all") ? collect_call : !strcmp(which, "own") ? collect_own_call
			     : collect_foreign_call, calls);
		for (unsigned int i = 0; i < calls->len; i++)
			call_end(g_ptr_array_index(calls, i), CALL_END_CLI_TERMINATE);
		g_ptr_array_free(calls, TRUE);
		g_string_append_printf(request->output, "All %scalls terminated by operator.\n",
				       !strcmp(which, "all") ? "" : !strcmp(which, "own") ? "own " : "foreign ");
		log_notice("CLI: %s calls terminated by operator", which);
		return 0;
	}
	struct call *call = call_lookup(which);
	if (!call) {
		g_string_append_printf(request->output, "\nCall Id not found (%s).\n\n", which);
		return -ENOENT;
	}
	call_end(call, CALL_END_CLI_TERMINATE);
	log_call(LOG_NOTICE, which, "call terminated by operator");
	g_string_append_printf(request->output, "\nCall Id (%s) successfully terminated by operator.\n\n", which);
	return 0;
}

/* An integer word, whole: "12", "-1". */
static int parse_number(const char *text, long long *value)
{
	char *end;
	errno = 0;
	*value = strtoll(text, &end, 10);
	if (end == text)
		return -EINVAL;
	if (*end || errno)
		return -ERANGE;
	return 0;
}

static int set_parameter(struct cli_request *request, const char *word, const char *name)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	const struct cli_parameter *parameter = find_parameter(name);
	long long value;
	int error = parse_number(request->words[0], &value);
	if (error == -EINVAL)
		return refuse(request, "Fail setting %s to %s; no digists found", word, request->words[0]);
	if (error || value < parameter->min || value > parameter->max)
		return refuse(request, "Fail setting %s to %s; %s values from %lld to %lld allowed", word,
			      request->words[0], parameter->min < 0 ? "-1 or" : "", parameter->min < 0 ? 0 : parameter->min,
			      parameter->max);
	parameter_set(cli_config, parameter, value);
	log_notice("CLI: %s set to %lld", parameter->name, value);
	g_string_append_printf(request->output, "Success setting %s to %lld\n", word, value);
	return 0;
}

static int set_maxsessions(struct cli_request *request) { return set_parameter(request, "maxsessions", "max-sessions"); }
static int set_timeout(struct cli_request *request) { return set_parameter(request, "timeout", "timeout"); }
/* upstream 10.5 says "timeout" for these two as well; scripts may match the text */
static int set_silenttimeout(struct cli_request *request) { return set_parameter(request, "timeout", "silent-timeout"); }
static int set_finaltimeout(struct cli_request *request) { return set_parameter(request, "timeout", "final-timeout"); }
static int set_deletedelay(struct cli_request *request) { return set_parameter(request, "delete-delay", "delete-delay"); }

/* set redis...: 10.5's checks and texts; a word that is no number is refused here, where 10.5
 * takes it for 0 */
static int set_redis_parameter(struct cli_request *request, unsigned int index, long long minimum)
{
	const struct cli_redis_parameter *parameter = &redis_parameters[index];
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	long long value;
	int error = parse_number(request->words[0], &value);
	if (error == -EINVAL)
		return refuse(request, "Fail setting %s to %s; no digists found", parameter->set_name, request->words[0]);
	if (error || value > INT_MAX || value < INT_MIN)
		return refuse(request, "Fail setting %s to %s; out of range", parameter->set_name, request->words[0]);
	if (value < minimum)
		return refuse(request, "Invalid %s value %lld, must be %s", parameter->set_name, value,
			      minimum ? "> 0" : ">= 0");
	redis_parameter_set(cli_config, parameter, value);
	log_notice("CLI: %s set to %lld", parameter->set_name, value);
	g_string_append_printf(request->output, "Success setting %s to %lld\n", parameter->set_name, value);
	return 0;
}

static int set_redisallowederrors(struct cli_request *request) { return set_redis_parameter(request, 0, INT_MIN); }
static int set_redisdisabletime(struct cli_request *request) { return set_redis_parameter(request, 1, 0); }
static int set_rediscmdtimeout(struct cli_request *request) { return set_redis_parameter(request, 2, 0); }
static int set_redisconnecttimeout(struct cli_request *request) { return set_redis_parameter(request, 3, 1); }

static int set_loglevel(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	/* "loglevel LEVEL" or "loglevel SUBSYSTEM LEVEL": one level for every subsystem here */
	const char *word = request->words[request->count >= 2 ? 1 : 0];
	long long level;
	if (parse_number(word, &level) < 0 || level < LOG_EMERG || level > LOG_DEBUG)
		return refuse(request, "Fail setting loglevel to %s; values from 0 to 7 allowed", word);
	log_current_level = (int) level;
	cli_config->log.level = (int) level;
	log_notice("CLI: log level set to %lld", level);
	g_string_append_printf(request->output, "Success setting loglevel to %lld\n", level);
	return 0;
}

static int set_maxopenfiles(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	long long files;
	if (parse_number(request->words[0], &files) < 0 || files <= 0)
		return refuse(request, "Fail setting open_files to %s; no digists found", request->words[0]);
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
		return refuse(request, "Fail setting open_files to %lld; %s", files, strerror(errno));
	/* never lower it, as upstream: open sockets would outnumber the limit */
	if ((rlim_t) files < limit.rlim_cur)
		return refuse(request, "Fail setting open_files to %lld; can't set it under %llu", files,
			      (unsigned long long) limit.rlim_cur);
	limit.rlim_cur = (rlim_t) files;
	if (limit.rlim_max < limit.rlim_cur)
		limit.rlim_max = limit.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
		return refuse(request, "Fail setting open_files to %lld; %s", files, strerror(errno));
	g_string_append_printf(request->output, "Success setting open_files to %lld\n", files);
	return 0;
}

static void append_parameters(GString *output, const struct daemon_config *config, int log_level)
{
	for (size_t i = 0; i < G_N_ELEMENTS(log_subsystems); i++)
		g_string_append_printf(output, "log-level-%s = %d\n", log_subsystems[i], log_level);
	g_string_append_printf(output, "table = %d\n", config->table);
	for (size_t i = 0; i < G_N_ELEMENTS(parameters); i++)
		g_string_append_printf(output, "%s = %lld\n", parameters[i].name, parameter_get(config, &parameters[i]));
	g_string_append_printf(output, "tos = %d\nno-fallback = %d\nport-min = %u\nport-max = %u\nnum-threads = %u\n",
			       config->tos < 0 ? 0 : config->tos, config->no_fallback, config->port_min,
			       config->port_max, config->num_threads);
	for (size_t i = 0; i < G_N_ELEMENTS(redis_parameters); i++)
		g_string_append_printf(output, "%s = %lld\n", redis_parameters[i].name,
				       redis_parameter_get(config, &redis_parameters[i]));
	for (unsigned int i = 0; i < config->interface_count; i++) {
		char address[ENDPOINT_TEXT_SIZE];
		endpoint_address_text(&config->interfaces[i].local, address, sizeof(address));
		g_string_append_printf(output, "interface[%u] = %s\\%s \n", i, config->interfaces[i].name, address);
	}
	for (unsigned int i = 0; i < config->subscribe_keyspace_count; i++)
		g_string_append_printf(output, "keyspace[%u] = %u \n", i, config->subscribe_keyspace[i]);
	const struct { const char *name; const union endpoint *endpoint; } listeners[] = {
		{ "listen-tcp", &config->listen_tcp }, { "listen-udp", &config->listen_udp },
		{ "listen-ng", &config->listen_ng }, { "listen-tcp-ng", &config->listen_tcp_ng },
		{ "listen-cli", &config->listen_cli },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(listeners); i++) {
		char text[ENDPOINT_TEXT_SIZE] = "";
		if (endpoint_is_set(listeners[i].endpoint))
			endpoint_text(listeners[i].endpoint, text, sizeof(text));
		g_string_append_printf(output, "%s = %s\n", listeners[i].name, text);
	}
}

static int params_start(struct cli_request *request)
{
	append_parameters(request->output, &start_config, start_log_level);
	return 0;
}

static int params_current(struct cli_request *request)
{
	append_parameters(request->output, cli_config, log_current_level);
	return 0;
}

static int params_diff(struct cli_request *request)
{
	if (log_current_level != start_log_level)
		for (size_t i = 0; i < G_N_ELEMENTS(log_subsystems); i++)
			g_string_append_printf(request->output, "log-level-%s: %d => %d\n", log_subsystems[i],
					       start_log_level, log_current_level);
	for (size_t i = 0; i < G_N_ELEMENTS(parameters); i++) {
		long long before = parameter_get(&start_config, &parameters[i]);
		long long now = parameter_get(cli_config, &parameters[i]);
		if (before != now)
			g_string_append_printf(request->output, "%s: %lld => %lld\n", parameters[i].name, before, now);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(redis_parameters); i++) {
		long long before = redis_parameter_get(&start_config, &redis_parameters[i]);
		long long now = redis_parameter_get(cli_config, &redis_parameters[i]);
		if (before != now)
			g_string_append_printf(request->output, "%s: %lld => %lld\n", redis_parameters[i].diff_name,
					       before, now);
	}
	return 0;
}

static int params_revert(struct cli_request *request)
{
	for (size_t i = 0; i < G_N_ELEMENTS(parameters); i++)
		parameter_set(cli_config, &parameters[i], parameter_get(&start_config, &parameters[i]));
	for (size_t i = 0; i < G_N_ELEMENTS(redis_parameters); i++)
		redis_parameter_set(cli_config, &redis_parameters[i], redis_parameter_get(&start_config, &redis_parameters[i]));
	log_current_level = start_log_level;
	cli_config->log.level = start_log_level;
	log_notice("CLI: parameters reverted to their start values");
	return 0;
}

/* ---- Redis, active/standby, calls ------------------------------------------------------- */

/* A keyspace (Redis database) number, the whole word. */
static bool parse_keyspace(const char *word, unsigned int *keyspace)
{
	long long value;
	if (parse_number(word, &value) < 0 || value < 0 || value > UINT_MAX)
		return false;
	*keyspace = (unsigned int) value;
	return true;
}

static int keyspace_index(unsigned int keyspace)
{
	for (unsigned int i = 0; i < cli_config->subscribe_keyspace_count; i++)
		if (cli_config->subscribe_keyspace[i] == keyspace)
			return (int) i;
	return -1;
}

static int kslist(struct cli_request *request)
{
	g_string_append(request->output, "\nSubscribed-on keyspaces:\n");
	for (unsigned int i = 0; i < cli_config->subscribe_keyspace_count; i++)
		g_string_append_printf(request->output, "%u ", cli_config->subscribe_keyspace[i]);
	g_string_append_c(request->output, '\n');
	return 0;
}

/* 10.5 without Redis crashes here; we say why nothing can be subscribed */
static int ksadd(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	unsigned int keyspace;
	if (!parse_keyspace(request->words[0], &keyspace))
		return refuse(request, "Fail adding keyspace %s to redis notifications; no digists found", request->words[0]);
	if (keyspace_index(keyspace) >= 0) {
		g_string_append_printf(request->output, "Keyspace %u is already among redis notifications.\n", keyspace);
		return 0;
	}
	if (cli_config->subscribe_keyspace_count == G_N_ELEMENTS(cli_config->subscribe_keyspace))
		return refuse(request, "Fail adding keyspace %u to redis notifications; at most %zu keyspaces", keyspace,
			      G_N_ELEMENTS(cli_config->subscribe_keyspace));
	if (!redis_running())
		return refuse(request, "Fail adding keyspace %u to redis notifications; no Redis configured (--redis)",
			      keyspace);
	cli_config->subscribe_keyspace[cli_config->subscribe_keyspace_count++] = keyspace;
	redis_keyspace_subscribe(keyspace);
	log_notice("CLI: keyspace %u added to the Redis subscriptions", keyspace);
	g_string_append_printf(request->output, "Success adding keyspace %u to redis notifications.\n", keyspace);
	return 0;
}

static int ksrm(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	unsigned int keyspace;
	if (!parse_keyspace(request->words[0], &keyspace))
		return refuse(request, "Fail removing keyspace %s to redis notifications; no digists found",
			      request->words[0]);
	int index = keyspace_index(keyspace);
	if (index < 0) {
		g_string_append_printf(request->output, "Keyspace %u is not among redis notifications.\n", keyspace);
		return -ENOENT;
	}
	unsigned int *list = cli_config->subscribe_keyspace;
	memmove(&list[index], &list[index + 1], (cli_config->subscribe_keyspace_count - (unsigned int) index - 1) * sizeof(*list));
	cli_config->subscribe_keyspace_count--;
	unsigned int ended = redis_keyspace_unsubscribe(keyspace);
	log_notice("CLI: keyspace %u removed from the Redis subscriptions, %u foreign call(s) ended", keyspace, ended);
	g_string_append_printf(request->output, "Successfully unsubscribed from keyspace %u.\n"
			       "Successfully removed all foreign calls for keyspace %u.\n", keyspace, keyspace);
	return 0;
}

static int active(struct cli_request *request)
{
	/* without Redis every call is owned already */
	redis_set_standby(false);
	g_string_append(request->output, "Ok, all calls set to 'owned (active)'\n");
	return 0;
}

static int standby(struct cli_request *request)
{
	if (redis_set_standby(true) < 0)
		return refuse(request, "standby: foreign calls without Redis (--redis) is not supported by this relay");
	g_string_append(request->output, "Ok, all calls set to 'foreign (standby)'\n");
	return 0;
}

/* upstream prints the bare number */
static int list_redisallowederrors(struct cli_request *request)
{
	g_string_append_printf(request->output, "%d\n", cli_config->redis_allowed_errors);
	return 0;
}

static int list_redisdisabletime(struct cli_request *request)
{
	g_string_append_printf(request->output, "%u\n", cli_config->redis_disable_time);
	return 0;
}

static int list_redisconnecttimeout(struct cli_request *request)
{
	g_string_append_printf(request->output, "%u\n", cli_config->redis_connect_timeout_ms);
	return 0;
}

static int list_rediscmdtimeout(struct cli_request *request)
{
	g_string_append_printf(request->output, "%u\n", cli_config->redis_cmd_timeout_ms);
	return 0;
}

/* Per-call debug logging, as 10.5: the call's lines are written whatever --log-level says,
 * until "off" or the call's end (the observer below). */
static int debug(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "No call ID specified");
	const char *call_id = request->words[0];
	bool on = true;
	if (request->count >= 2) {
		/* the rest of the line is the flag, as 10.5 reads it */
		g_autofree char *flag = g_strjoinv(" ", request->words + 1);
		if (!strcmp(flag, "off") || !strcmp(flag, "disable"))
			on = false;
		else if (strcmp(flag, "on") && strcmp(flag, "enable"))
			return refuse(request, "Invalid on/off flag ('%s') specified", flag);
	}
	if (!call_lookup(call_id))
		return refuse(request, "Call ID '%s' not found", call_id);
	if (on)
		log_call_debug_set(call_id, true);
	log_call(LOG_NOTICE, call_id, "debug logging %s by the operator", on ? "enabled" : "disabled");
	if (!on)
		log_call_debug_set(call_id, false);
	g_string_append_printf(request->output, "%s debugging for call '%s'\n", on ? "Enabled" : "Disabled", call_id);
	return 0;
}

static void debugged_call_ended(const struct call_event *event)
{
	if (log_call_debugging(event->call_id))
		log_call_debug_set(event->call_id, false);
}

static const struct call_observer cli_call_observer = {
	.name = "per-call debug logging",
	.ended = debugged_call_ended,
};

static int call_command(struct cli_request *request)
{
	if (request->count < 1)
		return refuse(request, "More parameters required.");
	struct call *call = call_lookup(request->words[0]);
	if (!call)
		return refuse(request, "No such call '%s'", request->words[0]);
	const char *action = request->count >= 2 ? request->words[1] : "";
	if (!strcmp(action, "info")) {
		append_session_details(request->output, call);
		return 0;
	}
	if (!strcmp(action, "terminate")) {
		call_end(call, CALL_END_CLI_TERMINATE);
		log_call(LOG_NOTICE, request->words[0], "call terminated by operator");
		g_string_append_printf(request->output, "Call '%s' terminated\n", request->words[0]);
		return 0;
	}
	if (!strcmp(action, "debug")) {
		/* "call CALLID debug [on|off]" is "debug CALLID [on|off]" */
		request->words[1] = request->words[0];
		request->words++;
		request->count--;
		return debug(request);
	}
	return refuse(request, "Unknown or incomplete command::%s", action);
}

/* ---- the tables -------------------------------------------------------------------------- */

#define HANDLER(name, function) { name, function, NULL, NULL }
#define MISSING(name, what) { name, NULL, NULL, what }

static const struct cli_command list_commands[] = {
	HANDLER("numsessions", list_numsessions),
	HANDLER("sessions", list_sessions),
	HANDLER("totals", list_totals),
	HANDLER("counters", list_counters),
	HANDLER("maxopenfiles", list_maxopenfiles),
	HANDLER("maxsessions", list_maxsessions),
	MISSING("maxcpu", "CPU load limits (--max-cpu)"),
	MISSING("maxload", "load average limits (--max-load)"),
	MISSING("maxbw", "bandwidth limits (--max-bandwidth)"),
	HANDLER("timeout", list_timeout),
	HANDLER("silenttimeout", list_silenttimeout),
	MISSING("offertimeout", "the offer timeout (--offer-timeout)"),
	HANDLER("finaltimeout", list_finaltimeout),
	HANDLER("loglevels", list_loglevels),
	HANDLER("loglevel", list_loglevel),
	HANDLER("redisallowederrors", list_redisallowederrors),
	HANDLER("redisdisabletime", list_redisdisabletime),
	HANDLER("redisconnecttimeout", list_redisconnecttimeout),
	HANDLER("rediscmdtimeout", list_rediscmdtimeout),
	MISSING("controltos", "a TOS on control sockets (--control-tos)"),
	HANDLER("deletedelay", list_deletedelay),
	HANDLER("interfaces", list_interfaces),
	HANDLER("jsonstats", list_jsonstats),
	HANDLER("transcoders", list_transcoders),
	{ NULL, NULL, NULL, NULL },
};

static const struct cli_command set_commands[] = {
	HANDLER("maxopenfiles", set_maxopenfiles),
	HANDLER("maxsessions", set_maxsessions),
	MISSING("maxcpu", "CPU load limits (--max-cpu)"),
	MISSING("maxload", "load average limits (--max-load)"),
	MISSING("maxbw", "bandwidth limits (--max-bandwidth)"),
	HANDLER("timeout", set_timeout),
	HANDLER("silenttimeout", set_silenttimeout),
	MISSING("offertimeout", "the offer timeout (--offer-timeout)"),
	HANDLER("finaltimeout", set_finaltimeout),
	HANDLER("loglevel", set_loglevel),
	HANDLER("redisallowederrors", set_redisallowederrors),
	HANDLER("redisdisabletime", set_redisdisabletime),
	HANDLER("redisconnecttimeout", set_redisconnecttimeout),
	HANDLER("rediscmdtimeout", set_rediscmdtimeout),
	MISSING("controltos", "a TOS on control sockets (--control-tos)"),
	HANDLER("deletedelay", set_deletedelay),
	{ NULL, NULL, NULL, NULL },
};

static const struct cli_command params_commands[] = {
	HANDLER("start", params_start),
	HANDLER("current", params_current),
	HANDLER("diff", params_diff),
	HANDLER("revert", params_revert),
	{ NULL, NULL, NULL, NULL },
};

static const struct cli_command top_commands[] = {
	{ "list", NULL, list_commands, NULL },
	HANDLER("terminate", terminate),
	{ "set", NULL, set_commands, NULL },
	{ "get", NULL, list_commands, NULL },
	{ "params", NULL, params_commands, NULL },
	HANDLER("ksadd", ksadd),
	HANDLER("ksrm", ksrm),
	HANDLER("kslist", kslist),
	HANDLER("active", active),
	HANDLER("standby", standby),
	HANDLER("debug", debug),
	HANDLER("call", call_command),
	{ NULL, NULL, NULL, NULL },
};

static int dispatch(const struct cli_command *table, struct cli_request *request)
{
	if (request->count == 0)
		return refuse(request, "More parameters required.");
	const char *name = request->words[0];
	if (!strcmp(name, "help")) {
		g_string_append(request->output, "Available sub-commands at this level:\n");
		for (const struct cli_command *entry = table; entry->name; entry++)
			g_string_append_printf(request->output, "\t%s\n", entry->name);
		return 0;
	}
	for (const struct cli_command *entry = table; entry->name; entry++) {
		if (strcmp(entry->name, name))
			continue;
		request->words++;
		request->count--;
		if (entry->subcommands)
			return dispatch(entry->subcommands, request);
		if (entry->missing)
			return refuse(request, "%s: %s is not supported by this relay", name, entry->missing);
		return entry->handler(request);
	}
	g_string_append(request->output, "Unknown or incomplete command::");
	append_joined(request->output, request->words, request->count);
	g_string_append_c(request->output, '\n');
	return -ENOENT;
}

/* ---- public functions ----------------------------------------------------------------- */

void cli_init(struct daemon_context *daemon, struct daemon_config *config)
{
	cli_daemon = daemon;
	cli_config = config;
	start_config = *config;   /* scalars only are read from it */
	start_log_level = log_current_level;
	int error = call_observer_register(&cli_call_observer);
	if (error && error != -EEXIST)
		log_warning("CLI: per-call debugging will outlive calls: %s", strerror(-error));
}

int cli_execute(const char *line, size_t length, GString *output)
{
	if (!cli_daemon || !cli_config)
		return -ENODEV;
	if (length > CLI_MAX_LINE) {
		g_string_append_printf(output, "Command longer than %d bytes\n", CLI_MAX_LINE);
		return -E2BIG;
	}
	char *copy = g_strndup(line, length);
	char *words[CLI_MAX_WORDS + 1];   /* NULL-terminated: handlers may join the rest */
	unsigned int count = 0;
	char *save = NULL;
	for (char *word = strtok_r(copy, " \t\r\n", &save); word; word = strtok_r(NULL, " \t\r\n", &save)) {
		if (count == CLI_MAX_WORDS) {
			g_string_append_printf(output, "Command with more than %d words\n", CLI_MAX_WORDS);
			g_free(copy);
			return -E2BIG;
		}
		words[count++] = word;
	}
	words[count] = NULL;
	struct cli_request request = { .output = output, .words = words, .count = count };
	int result = dispatch(top_commands, &request);
	g_free(copy);
	return result;
}
