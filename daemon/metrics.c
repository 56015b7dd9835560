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

/* Counters end in "_total"; a gauge must not (exposition format conventions, checked by
 * promtool), so a gauge row named "..._total" loses that word: sessions_total ->
 * rtpengine_sessions, ports' total -> rtpengine_ports. */
static void append_sample_name(GString *out, const char *prefix, const struct statistics_field *field)
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

static void append_family_header(GString *out, const char *prefix, const struct statistics_field *field)
{
	g_string_append(out, "# HELP ");
	append_sample_name(out, prefix, field);
	g_string_append_printf(out, " %s (%s)\n# TYPE ", field->help, field->unit);
	append_sample_name(out, prefix, field);
	g_string_append(out, field->kind == STATISTICS_COUNTER ? " counter\n" : " gauge\n");
}

static void render_command_histograms(const struct statistics_snapshot *snapshot, GString *out)
{
	g_string_append(out, "# HELP rtpengine_ng_command_duration_seconds time to handle one ng request\n"
			     "# TYPE rtpengine_ng_command_duration_seconds histogram\n");
	for (unsigned int i = 0; i < snapshot->command_count; i++) {
		const struct statistics_command *command = &snapshot->commands[i];
		uint64_t cumulative = 0;
		for (unsigned int bucket = 0; bucket < NG_LATENCY_BUCKETS; bucket++) {
			cumulative += command->latency[bucket];
			g_string_append(out, "rtpengine_ng_command_duration_seconds_bucket{command=\"");
			append_label_value(out, command->name);
			if (bucket < NG_LATENCY_BUCKETS - 1)
				g_string_append_printf(out, "\",le=\"%g\"} ", ng_latency_bucket_seconds[bucket]);
			else
				g_string_append(out, "\",le=\"+Inf\"} ");
			g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", cumulative);
		}
		g_string_append(out, "rtpengine_ng_command_duration_seconds_sum{command=\"");
		append_label_value(out, command->name);
		g_string_append_printf(out, "\"} %.9g\n", command->values.seconds);
		g_string_append(out, "rtpengine_ng_command_duration_seconds_count{command=\"");
		append_label_value(out, command->name);
		/* the histogram counts what the latency buckets saw: the +Inf bucket */
		g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
	}
}

void metrics_render_prometheus(const struct statistics_snapshot *snapshot, GString *out)
{
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++) {
		append_family_header(out, "", &fields[i]);
		append_sample_name(out, "", &fields[i]);
		g_string_append_c(out, ' ');
		append_number(out, &fields[i], &snapshot->values);
		g_string_append_c(out, '\n');
	}

	fields = statistics_command_fields(&count);
	for (unsigned int i = 0; i < count; i++) {
		append_family_header(out, "ng_command_", &fields[i]);
		for (unsigned int c = 0; c < snapshot->command_count; c++) {
			const struct statistics_command *command = &snapshot->commands[c];
			append_sample_name(out, "ng_command_", &fields[i]);
			g_string_append(out, "{command=\"");
			append_label_value(out, command->name);
			g_string_append(out, "\"} ");
			append_number(out, &fields[i], &command->values);
			g_string_append_c(out, '\n');
		}
	}
	render_command_histograms(snapshot, out);

	fields = statistics_port_fields(&count);
	for (unsigned int i = 0; i < count; i++) {
		append_family_header(out, "ports_", &fields[i]);
		for (unsigned int n = 0; n < snapshot->interface_count; n++) {
			const struct statistics_interface *interface = &snapshot->interfaces[n];
			append_sample_name(out, "ports_", &fields[i]);
			g_string_append(out, "{interface=\"");
			append_label_value(out, interface->name);
			g_string_append(out, "\",address=\"");
			append_label_value(out, interface->address);
			g_string_append(out, "\"} ");
			append_number(out, &fields[i], &interface->ports);
			g_string_append_c(out, '\n');
		}
	}
}

/* Graphite path components: dots separate them, whitespace ends the path. */
static void append_path_component(GString *out, const char *text)
{
	for (const char *c = text; *c; c++)
		g_string_append_c(out, (*c <= ' ' || *c == '.' || *c == 0x7f) ? '_' : *c);
}

static void append_graphite_line(GString *out, const char *prefix, const char *group, const char *member,
                                 const struct statistics_field *field, const void *base, int64_t unix_seconds)
{
	if (prefix)
		g_string_append(out, prefix);
	if (group) {
		g_string_append(out, group);
		g_string_append_c(out, '.');
		append_path_component(out, member);
		g_string_append_c(out, '.');
	}
	g_string_append(out, field->name);
	g_string_append_c(out, ' ');
	append_number(out, field, base);
	g_string_append_printf(out, " %" G_GINT64_FORMAT "\n", unix_seconds);
}

void metrics_render_graphite(const struct statistics_snapshot *snapshot, const char *prefix, int64_t unix_seconds,
                             GString *out)
{
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++)
		append_graphite_line(out, prefix, NULL, NULL, &fields[i], &snapshot->values, unix_seconds);
	fields = statistics_command_fields(&count);
	for (unsigned int c = 0; c < snapshot->command_count; c++)
		for (unsigned int i = 0; i < count; i++)
			append_graphite_line(out, prefix, "ng", snapshot->commands[c].name, &fields[i],
					     &snapshot->commands[c].values, unix_seconds);
	fields = statistics_port_fields(&count);
	for (unsigned int n = 0; n < snapshot->interface_count; n++)
		for (unsigned int i = 0; i < count; i++)
			append_graphite_line(out, prefix, "ports", snapshot->interfaces[n].name, &fields[i],
					     &snapshot->interfaces[n].ports, unix_seconds);
}
