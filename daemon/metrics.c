/* Prometheus and Graphite renderings of the statistics snapshot; see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <string.h>

/* Label values: backslash, double quote and newline escaped (exposition format). */
static void append_label_value(GString *out, const char *value)
{
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			g_string_append_c(out, '\\');
		if (*c == '\n') {
			g_string_append(out, "\\n");
			continue;
		}
		g_string_append_c(out, *c);
	}
}

static void append_number(GString *out, const struct statistics_field *field, const void *base)
{
	if (field->type == STATISTICS_DOUBLE) {
		double value = statistics_field_double(field, base);
		if (isfinite(value))
			g_string_append_printf(out, "%.9g", value);
		else
			g_string_append_c(out, '0');
	} else {
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, statistics_field_uint64(field, base));
	}
}

/* Upstream rtpengine's Prometheus names for the rows it shows too, so that dashboards and
 * alerts written for it keep working: several rows form one labelled family
 * (rtpengine_packets_total{type="userspace"|"kernel"}); a row that is the sum of such a family
 * is left out (family NULL). Rows not listed get our names (see prometheus_default_name). */
struct prometheus_name {
	const char *row;
	const char *family;             /* NULL: not rendered */
	const char *label;              /* fixed label of this row in its family, or NULL */
	const char *help;               /* the family's, given on its first row */
};

static const struct prometheus_name value_names[] = {
	{ "sessions_own", "rtpengine_sessions", "type=\"own\"", "calls handled now, by type (foreign: always 0, no Redis)" },
	{ "sessions_foreign", "rtpengine_sessions", "type=\"foreign\"", NULL },
	{ "sessions_total", NULL, NULL, NULL },
	{ "managed_sessions", "rtpengine_sessions_total", NULL, "calls created (counted when they end, as upstream)" },
	{ "rejected_sessions", "rtpengine_closed_sessions_total", "reason=\"rejected\"", "calls ended, by reason" },
	{ "timeout_sessions", "rtpengine_closed_sessions_total", "reason=\"timeout\"", NULL },
	{ "silent_timeout_sessions", "rtpengine_closed_sessions_total", "reason=\"silent_timeout\"", NULL },
	{ "final_timeout_sessions", "rtpengine_closed_sessions_total", "reason=\"final_timeout\"", NULL },
	{ "offer_timeout_sessions", "rtpengine_closed_sessions_total", "reason=\"offer_timeout\"", NULL },
	{ "regular_terminated_sessions", "rtpengine_closed_sessions_total", "reason=\"terminated\"", NULL },
	{ "forced_terminated_sessions", "rtpengine_closed_sessions_total", "reason=\"force_terminated\"", NULL },
	{ "packets_user", "rtpengine_packets_total", "type=\"userspace\"", "packets relayed, by where (userspace, kernel)" },
	{ "packets_kernel", "rtpengine_packets_total", "type=\"kernel\"", NULL },
	{ "packets", NULL, NULL, NULL },
	{ "errors_user", "rtpengine_packet_errors_total", "type=\"userspace\"", "packet errors, by where (userspace, kernel)" },
	{ "errors_kernel", "rtpengine_packet_errors_total", "type=\"kernel\"", NULL },
	{ "errors", NULL, NULL, NULL },
	{ "bytes_user", "rtpengine_bytes_total", "type=\"userspace\"", "bytes relayed, by where (userspace, kernel)" },
	{ "bytes_kernel", "rtpengine_bytes_total", "type=\"kernel\"", NULL },
	{ "bytes", NULL, NULL, NULL },
	{ "average_call_seconds", "rtpengine_call_duration_avg", NULL, "average duration of the calls that ended (seconds)" },
	{ "total_call_seconds", "rtpengine_call_duration_total", NULL, "summed duration of the calls that ended (seconds)" },
	{ "ng_errors", "rtpengine_errors_total", NULL, "ng requests answered with an error" },
};

static const struct prometheus_name command_names[] = {
	{ "requests", "rtpengine_requests_total", NULL, "ng requests, by command" },
	{ "seconds", "rtpengine_request_seconds_total", NULL, "time spent handling ng requests, by command" },
};

/* One table's rendering: its rows, the upstream names, and the per-instance labels (one
 * instance for the values, one per command, one per interface). */
struct prometheus_table {
	const struct statistics_field *fields;
	unsigned int field_count;
	const struct prometheus_name *names;
	unsigned int name_count;
	const char *prefix;             /* of our names: "", "ng_command_", "ports_" */
	unsigned int instance_count;
	const void *(*instance)(const struct statistics_snapshot *snapshot, unsigned int index);
	void (*labels)(const struct statistics_snapshot *snapshot, unsigned int index, GString *out);
};

/* Counters end in "_total"; a gauge must not (exposition format conventions, checked by
 * promtool), so a gauge row named "..._total" loses that word (ports' total ->
 * rtpengine_ports). */
static void prometheus_default_name(const char *prefix, const struct statistics_field *field, GString *out)
{
	g_string_append_printf(out, "rtpengine_%s", prefix);
	size_t length = strlen(field->name);
	if (field->kind == STATISTICS_COUNTER) {
		g_string_append_printf(out, "%s_total", field->name);
		return;
	}
	if (length >= 6 && !strcmp(field->name + length - 6, "_total"))
		length -= 6;
	else if (!strcmp(field->name, "total"))
		length = 0;
	g_string_append_len(out, field->name, (gssize) length);
	if (!length && out->str[out->len - 1] == '_')
		g_string_truncate(out, out->len - 1);
}

static const struct prometheus_name *upstream_name(const struct prometheus_table *table, const char *row)
{
	for (unsigned int i = 0; i < table->name_count; i++)
		if (!strcmp(table->names[i].row, row))
			return &table->names[i];
	return NULL;
}

/* The row's family name into out; false when the row is not rendered. */
static bool family_name(const struct prometheus_table *table, unsigned int row, GString *out)
{
	g_string_truncate(out, 0);
	const struct prometheus_name *name = upstream_name(table, table->fields[row].name);
	if (!name) {
		prometheus_default_name(table->prefix, &table->fields[row], out);
		return true;
	}
	if (!name->family)
		return false;
	g_string_append(out, name->family);
	return true;
}

static void append_sample(GString *out, const struct prometheus_table *table, const struct statistics_snapshot *snapshot,
                          const char *family, unsigned int row, GString *labels)
{
	const struct prometheus_name *name = upstream_name(table, table->fields[row].name);
	for (unsigned int instance = 0; instance < table->instance_count; instance++) {
		g_string_truncate(labels, 0);
		if (name && name->label)
			g_string_append(labels, name->label);
		if (table->labels) {
			if (labels->len)
				g_string_append_c(labels, ',');
			table->labels(snapshot, instance, labels);
		}
		g_string_append(out, family);
		if (labels->len)
			g_string_append_printf(out, "{%s}", labels->str);
		g_string_append_c(out, ' ');
		append_number(out, &table->fields[row], table->instance(snapshot, instance));
		g_string_append_c(out, '\n');
	}
}

/* Families in the order of their first row, each with its HELP and TYPE once and then every
 * row that belongs to it (a family's samples must be together). */
static void render_table(const struct prometheus_table *table, const struct statistics_snapshot *snapshot,
                         GString *out)
{
	GString *family = g_string_new(NULL), *other = g_string_new(NULL), *labels = g_string_new(NULL);
	for (unsigned int row = 0; row < table->field_count; row++) {
		if (!family_name(table, row, family))
			continue;
		bool seen = false;
		for (unsigned int before = 0; before < row && !seen; before++)
			seen = family_name(table, before, other) && !strcmp(other->str, family->str);
		if (seen)
			continue;
		const struct statistics_field *field = &table->fields[row];
		const struct prometheus_name *name = upstream_name(table, field->name);
		if (name && name->help)
			g_string_append_printf(out, "# HELP %s %s\n", family->str, name->help);
		else
			g_string_append_printf(out, "# HELP %s %s (%s)\n", family->str, field->help, field->unit);
		g_string_append_printf(out, "# TYPE %s %s\n", family->str,
				       field->kind == STATISTICS_COUNTER ? "counter" : "gauge");
		for (unsigned int member = row; member < table->field_count; member++)
			if (family_name(table, member, other) && !strcmp(other->str, family->str))
				append_sample(out, table, snapshot, family->str, member, labels);
	}
	g_string_free(family, TRUE);
	g_string_free(other, TRUE);
	g_string_free(labels, TRUE);
}

static const void *values_instance(const struct statistics_snapshot *snapshot, unsigned int index)
{
	return &snapshot->values;
}

static const void *command_instance(const struct statistics_snapshot *snapshot, unsigned int index)
{
	return &snapshot->commands[index].values;
}

static void command_labels(const struct statistics_snapshot *snapshot, unsigned int index, GString *out)
{
	g_string_append(out, "request=\"");
	append_label_value(out, snapshot->commands[index].name);
	g_string_append_c(out, '"');
}

static const void *interface_instance(const struct statistics_snapshot *snapshot, unsigned int index)
{
	return &snapshot->interfaces[index].ports;
}

/* upstream labels an interface's port pool by name and address */
static void interface_labels(const struct statistics_snapshot *snapshot, unsigned int index, GString *out)
{
	g_string_append(out, "name=\"");
	append_label_value(out, snapshot->interfaces[index].name);
	g_string_append(out, "\",address=\"");
	append_label_value(out, snapshot->interfaces[index].address);
	g_string_append_c(out, '"');
}

static void render_command_histograms(const struct statistics_snapshot *snapshot, GString *out)
{
	g_string_append(out, "# HELP rtpengine_request_duration_seconds time to handle one ng request, by command\n"
			     "# TYPE rtpengine_request_duration_seconds histogram\n");
	for (unsigned int i = 0; i < snapshot->command_count; i++) {
		const struct statistics_command *command = &snapshot->commands[i];
		uint64_t cumulative = 0;
		for (unsigned int bucket = 0; bucket < NG_LATENCY_BUCKETS; bucket++) {
			cumulative += command->latency[bucket];
			g_string_append(out, "rtpengine_request_duration_seconds_bucket{request=\"");
			append_label_value(out, command->name);
			if (bucket < NG_LATENCY_BUCKETS - 1)
				g_string_append_printf(out, "\",le=\"%g\"} ", ng_latency_bucket_seconds[bucket]);
			else
				g_string_append(out, "\",le=\"+Inf\"} ");
			g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", cumulative);
		}
		g_string_append(out, "rtpengine_request_duration_seconds_sum{request=\"");
		append_label_value(out, command->name);
		g_string_append_printf(out, "\"} %.9g\n", command->values.seconds);
		g_string_append(out, "rtpengine_request_duration_seconds_count{request=\"");
		append_label_value(out, command->name);
		/* the histogram counts what the latency buckets saw: the +Inf bucket */
		g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
	}
}

void metrics_render_prometheus(const struct statistics_snapshot *snapshot, GString *out)
{
	struct prometheus_table table = {
		.names = value_names, .name_count = G_N_ELEMENTS(value_names), .prefix = "",
		.instance_count = 1, .instance = values_instance,
	};
	table.fields = statistics_value_fields(&table.field_count);
	render_table(&table, snapshot, out);

	table = (struct prometheus_table) {
		.names = command_names, .name_count = G_N_ELEMENTS(command_names), .prefix = "ng_command_",
		.instance_count = snapshot->command_count, .instance = command_instance, .labels = command_labels,
	};
	table.fields = statistics_command_fields(&table.field_count);
	render_table(&table, snapshot, out);
	render_command_histograms(snapshot, out);

	table = (struct prometheus_table) {
		.prefix = "ports_", .instance_count = snapshot->interface_count, .instance = interface_instance,
		.labels = interface_labels,
	};
	table.fields = statistics_port_fields(&table.field_count);
	render_table(&table, snapshot, out);
}

/* Upstream rtpengine's Graphite names for the rows it reports too (measured against Debian's
 * 10.5); the other rows go by their own names. */
static const struct {
	const char *row, *name;
} graphite_names[] = {
	{ "total_call_seconds", "call_dur" }, { "average_call_seconds", "average_call_dur" },
	{ "forced_terminated_sessions", "forced_term_sess" }, { "managed_sessions", "managed_sess" },
	{ "sessions_total", "current_sessions_total" }, { "sessions_own", "current_sessions_own" },
	{ "sessions_foreign", "current_sessions_foreign" }, { "transcoded_media", "current_transcoded_media" },
	{ "regular_terminated_sessions", "regular_term_sess" },
	{ "errors_user", "relayed_errors_user" }, { "packets_user", "relayed_packets_user" },
	{ "bytes_user", "relayed_bytes_user" }, { "errors_kernel", "relayed_errors_kernel" },
	{ "packets_kernel", "relayed_packets_kernel" }, { "bytes_kernel", "relayed_bytes_kernel" },
	{ "errors", "relayed_errors" }, { "packets", "relayed_packets" }, { "bytes", "relayed_bytes" },
	{ "silent_timeout_sessions", "silent_timeout_sess" }, { "final_timeout_sessions", "final_timeout_sess" },
	{ "offer_timeout_sessions", "offer_timeout_sess" }, { "timeout_sessions", "timeout_sess" },
	{ "rejected_sessions", "reject_sess" },
};

/* Graphite paths: whitespace would end the path early. */
static void append_path_text(GString *out, const char *text)
{
	for (const char *c = text; *c; c++)
		g_string_append_c(out, (*c <= ' ' || *c == 0x7f) ? '_' : *c);
}

static void append_graphite_value(GString *out, const struct statistics_field *field, const void *base,
                                  int64_t unix_seconds)
{
	g_string_append_c(out, ' ');
	append_number(out, field, base);
	g_string_append_printf(out, " %" G_GINT64_FORMAT "\n", unix_seconds);
}

void metrics_render_graphite(const struct statistics_snapshot *snapshot, const char *prefix, int64_t unix_seconds,
                             GString *out)
{
	prefix = prefix ? prefix : "";
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++) {
		const char *name = fields[i].name;
		for (size_t n = 0; n < G_N_ELEMENTS(graphite_names); n++)
			if (!strcmp(graphite_names[n].row, name))
				name = graphite_names[n].name;
		g_string_append_printf(out, "%s%s", prefix, name);
		append_graphite_value(out, &fields[i], &snapshot->values, unix_seconds);
	}
	/* per command as upstream: "<command>_count"; ours: "<command>_seconds" */
	fields = statistics_command_fields(&count);
	for (unsigned int c = 0; c < snapshot->command_count; c++) {
		for (unsigned int i = 0; i < count; i++) {
			g_string_append(out, prefix);
			append_path_text(out, snapshot->commands[c].name);
			g_string_append(out, !strcmp(fields[i].name, "requests") ? "_count" : "_");
			if (strcmp(fields[i].name, "requests") != 0)
				g_string_append(out, fields[i].name);
			append_graphite_value(out, &fields[i], &snapshot->commands[c].values, unix_seconds);
		}
	}
	/* per interface as upstream: "ports_<row>_<name>_<address>" */
	fields = statistics_port_fields(&count);
	for (unsigned int n = 0; n < snapshot->interface_count; n++) {
		for (unsigned int i = 0; i < count; i++) {
			g_string_append_printf(out, "%sports_%s_", prefix, fields[i].name);
			append_path_text(out, snapshot->interfaces[n].name);
			g_string_append_c(out, '_');
			append_path_text(out, snapshot->interfaces[n].address);
			append_graphite_value(out, &fields[i], &snapshot->interfaces[n].ports, unix_seconds);
		}
	}
}
