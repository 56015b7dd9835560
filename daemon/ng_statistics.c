/* The statistics command: upstream's currentstatistics / totalstatistics / controlstatistics /
 * interfaces layout, rendered from one statistics snapshot (statistics.h) by walking its
 * field tables, so the keys and numbers are the ones every other front end shows. */
#include "ng_commands.h"

#include <stdio.h>
#include "statistics.h"

static void add_field(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                      const struct statistics_field *field, const void *base)
{
	char text[64];
	switch (field->ng_format) {
	case STATISTICS_NG_INTEGER:
		bencode_dictionary_add_integer(buffer, dictionary, field->ng_key,
					       (long long) statistics_field_uint64(field, base));
		return;
	case STATISTICS_NG_TEXT_INTEGER:
		snprintf(text, sizeof(text), "%llu", (unsigned long long) statistics_field_uint64(field, base));
		break;
	case STATISTICS_NG_TEXT_DECIMAL2:
		snprintf(text, sizeof(text), "%.2f", statistics_field_double(field, base));
		break;
	case STATISTICS_NG_TEXT_DECIMAL6:
		snprintf(text, sizeof(text), "%.6f", statistics_field_double(field, base));
		break;
	}
	bencode_dictionary_add_string(buffer, dictionary, field->ng_key, text);
}

/* Every scalar the table places in section, in table order. */
static void add_section(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                        const struct statistics_field *fields, unsigned int count,
                        enum statistics_ng_section section, const void *base)
{
	for (unsigned int i = 0; i < count; i++)
		if (fields[i].ng_section == section)
			add_field(buffer, dictionary, &fields[i], base);
}

static void add_control(struct bencode_buffer *buffer, struct bencode_item *statistics,
                        const struct statistics_snapshot *snapshot, const struct statistics_field *fields,
                        unsigned int count)
{
	struct bencode_item *control = bencode_dictionary_add_dictionary(buffer, statistics, "controlstatistics");
	for (unsigned int i = 0; i < snapshot->command_count; i++) {
		const struct statistics_command *command = &snapshot->commands[i];
		char key[64];
		snprintf(key, sizeof(key), "total%scount", command->short_name);
		bencode_dictionary_add_integer(buffer, control, key, (long long) command->values.requests);
	}
	add_section(buffer, control, fields, count, STATISTICS_NG_CONTROL, &snapshot->values);
}

static void add_interfaces(struct bencode_buffer *buffer, struct bencode_item *statistics,
                           const struct statistics_snapshot *snapshot)
{
	unsigned int count;
	const struct statistics_field *fields = statistics_port_fields(&count);
	struct bencode_item *list = bencode_dictionary_add_list(buffer, statistics, "interfaces");
	for (unsigned int i = 0; i < snapshot->interface_count; i++) {
		const struct statistics_interface *interface = &snapshot->interfaces[i];
		struct bencode_item *item = bencode_dictionary_new(buffer);
		bencode_list_append(list, item);
		bencode_dictionary_add_string(buffer, item, "name", interface->name);
		bencode_dictionary_add_string(buffer, item, "address", interface->address);
		struct bencode_item *ports = bencode_dictionary_add_dictionary(buffer, item, "ports");
		add_section(buffer, ports, fields, count, STATISTICS_NG_PORTS, &interface->ports);
	}
}

int ng_command_statistics(struct ng_request *request)
{
	/* gathered before the reply is built: the snapshot is the only source of numbers */
	struct statistics_snapshot snapshot;
	statistics_gather(request->daemon, &snapshot);

	struct bencode_buffer *buffer = request->buffer;
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	const struct statistics_values *values = &snapshot.values;
	struct bencode_item *statistics = bencode_dictionary_add_dictionary(buffer, request->reply, "statistics");
	add_section(buffer, bencode_dictionary_add_dictionary(buffer, statistics, "currentstatistics"),
		    fields, count, STATISTICS_NG_CURRENT, values);
	add_section(buffer, bencode_dictionary_add_dictionary(buffer, statistics, "totalstatistics"),
		    fields, count, STATISTICS_NG_TOTAL, values);
	/* RTCP statistics: upstream's "mos" section */
	add_section(buffer, bencode_dictionary_add_dictionary(buffer, statistics, "mos"),
		    fields, count, STATISTICS_NG_MOS, values);
	add_control(buffer, statistics, &snapshot, fields, count);
	add_interfaces(buffer, statistics, &snapshot);
	bencode_dictionary_add_string(buffer, request->reply, "result", "ok");
	return 0;
}
