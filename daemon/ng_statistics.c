/* The statistics command: upstream's currentstatistics / totalstatistics / interfaces /
 * controlstatistics layout, with the figures this daemon keeps. */
#include "ng_commands.h"

#include <stdio.h>
#include "call.h"
#include "daemon.h"
#include "relay.h"

static void add_decimal(struct bencode_buffer *buffer, struct bencode_item *dictionary, const char *key, double value)
{
	char text[64];
	snprintf(text, sizeof(text), "%.6f", value);
	bencode_dictionary_add_string(buffer, dictionary, key, text);
}

void daemon_sample_rates(struct daemon_context *daemon)
{
	struct daemon_totals *totals = &daemon->totals;
	struct relay_totals relay;
	relay_read_totals(&relay);
	uint64_t packets = relay.packets + totals->kernel_packets, bytes = relay.bytes + totals->kernel_bytes;
	uint64_t errors = relay.errors + totals->kernel_errors;
	totals->packet_rate = packets - totals->sampled_packets;
	totals->byte_rate = bytes - totals->sampled_bytes;
	totals->error_rate = errors - totals->sampled_errors;
	totals->sampled_packets = packets;
	totals->sampled_bytes = bytes;
	totals->sampled_errors = errors;
}

static void add_current(struct ng_request *request, struct bencode_item *statistics)
{
	const struct daemon_totals *totals = &request->daemon->totals;
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *current = bencode_dictionary_add_dictionary(buffer, statistics, "currentstatistics");
	bencode_dictionary_add_integer(buffer, current, "sessionsown", call_count());
	bencode_dictionary_add_integer(buffer, current, "sessionsforeign", 0);
	bencode_dictionary_add_integer(buffer, current, "sessionstotal", call_count());
	bencode_dictionary_add_integer(buffer, current, "transcodedmedia", 0);
	bencode_dictionary_add_integer(buffer, current, "packetrate", (long long) totals->packet_rate);
	bencode_dictionary_add_integer(buffer, current, "byterate", (long long) totals->byte_rate);
	bencode_dictionary_add_integer(buffer, current, "errorrate", (long long) totals->error_rate);
}

static void add_totals(struct ng_request *request, struct bencode_item *statistics)
{
	struct bencode_buffer *buffer = request->buffer;
	const struct daemon_totals *totals = &request->daemon->totals;
	struct relay_totals relay;
	relay_read_totals(&relay);
	struct bencode_item *item = bencode_dictionary_add_dictionary(buffer, statistics, "totalstatistics");
	char uptime[32];
	snprintf(uptime, sizeof(uptime), "%lld", (long long) ((now_realtime_us() - request->daemon->started_us) / 1000000));
	bencode_dictionary_add_string(buffer, item, "uptime", uptime);
	bencode_dictionary_add_integer(buffer, item, "managedsessions", (long long) totals->managed_sessions);
	bencode_dictionary_add_integer(buffer, item, "rejectedsessions", (long long) totals->rejected_sessions);
	bencode_dictionary_add_integer(buffer, item, "timeoutsessions", (long long) totals->timeout_sessions);
	bencode_dictionary_add_integer(buffer, item, "silenttimeoutsessions", (long long) totals->silent_timeout_sessions);
	bencode_dictionary_add_integer(buffer, item, "finaltimeoutsessions", (long long) totals->final_timeout_sessions);
	bencode_dictionary_add_integer(buffer, item, "offertimeoutsessions", (long long) totals->offer_timeout_sessions);
	bencode_dictionary_add_integer(buffer, item, "regularterminatedsessions", (long long) totals->regular_terminated);
	bencode_dictionary_add_integer(buffer, item, "forcedterminatedsessions", (long long) totals->forced_terminated);
	bencode_dictionary_add_integer(buffer, item, "relayedpackets", (long long) (relay.packets + totals->kernel_packets));
	bencode_dictionary_add_integer(buffer, item, "relayedbytes", (long long) (relay.bytes + totals->kernel_bytes));
	bencode_dictionary_add_integer(buffer, item, "relayedpacketerrors", (long long) (relay.errors + totals->kernel_errors));
	bencode_dictionary_add_integer(buffer, item, "relayedpackets_user", (long long) relay.packets);
	bencode_dictionary_add_integer(buffer, item, "relayedbytes_user", (long long) relay.bytes);
	bencode_dictionary_add_integer(buffer, item, "relayedpacketerrors_user", (long long) relay.errors);
	bencode_dictionary_add_integer(buffer, item, "relayedpackets_kernel", (long long) totals->kernel_packets);
	bencode_dictionary_add_integer(buffer, item, "relayedbytes_kernel", (long long) totals->kernel_bytes);
	bencode_dictionary_add_integer(buffer, item, "relayedpacketerrors_kernel", (long long) totals->kernel_errors);
	/* ours: every drop path of the packet path has a named counter */
	bencode_dictionary_add_integer(buffer, item, "droppedstrictsource", (long long) relay.dropped_strict_source);
	bencode_dictionary_add_integer(buffer, item, "droppednodestination", (long long) relay.dropped_no_destination);
	bencode_dictionary_add_integer(buffer, item, "droppedtruncated", (long long) relay.dropped_truncated);
	bencode_dictionary_add_integer(buffer, item, "droppedsrtp", (long long) relay.dropped_srtp);
	uint64_t ended = totals->regular_terminated + totals->forced_terminated + totals->timeout_sessions
		+ totals->silent_timeout_sessions + totals->final_timeout_sessions;
	add_decimal(buffer, item, "totalcallsduration", totals->total_call_seconds);
	add_decimal(buffer, item, "avgcallduration", ended ? totals->total_call_seconds / (double) ended : 0);
}

static void add_interfaces(struct ng_request *request, struct bencode_item *statistics)
{
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *list = bencode_dictionary_add_list(buffer, statistics, "interfaces");
	struct interface_list *interfaces = &request->daemon->interfaces;
	for (unsigned int i = 0; i < interfaces->count; i++) {
		struct local_interface *interface = &interfaces->items[i];
		struct bencode_item *item = bencode_dictionary_new(buffer);
		bencode_list_append(list, item);
		char text[ENDPOINT_TEXT_SIZE];
		bencode_dictionary_add_string(buffer, item, "name", interface->name);
		bencode_dictionary_add_string(buffer, item, "address",
					      endpoint_address_text(&interface->local, text, sizeof(text)));
		struct port_pool *pool = &interface->pool;
		unsigned int total = pool->port_max - pool->port_min + 1;
		unsigned int used = port_pool_ports_used(pool);
		struct bencode_item *ports = bencode_dictionary_add_dictionary(buffer, item, "ports");
		bencode_dictionary_add_integer(buffer, ports, "min", pool->port_min);
		bencode_dictionary_add_integer(buffer, ports, "max", pool->port_max);
		bencode_dictionary_add_integer(buffer, ports, "used", used);
		bencode_dictionary_add_integer(buffer, ports, "free", total - used);
		bencode_dictionary_add_integer(buffer, ports, "totals", total);
		bencode_dictionary_add_integer(buffer, ports, "last", pool->last_port);
		char percent[32];
		snprintf(percent, sizeof(percent), "%.2f", total ? 100.0 * used / total : 0.0);
		bencode_dictionary_add_string(buffer, ports, "used_pct", percent);
	}
}

static void add_control(struct ng_request *request, struct bencode_item *statistics)
{
	struct bencode_buffer *buffer = request->buffer;
	struct bencode_item *control = bencode_dictionary_add_dictionary(buffer, statistics, "controlstatistics");
	unsigned int count;
	const struct ng_command_counter *counters = ng_command_counters(&count);
	for (unsigned int i = 0; i < count; i++) {
		char key[64];
		snprintf(key, sizeof(key), "total%scount", counters[i].name);
		bencode_dictionary_add_integer(buffer, control, key, (long long) counters[i].count);
	}
	bencode_dictionary_add_integer(buffer, control, "errorcount", (long long) request->daemon->totals.ng_errors);
	/* ours: the retransmission cache holds each offer/answer/delete reply for 30 s */
	bencode_dictionary_add_integer(buffer, control, "cachedreplies",
				       (long long) request->daemon->totals.ng_cached_replies);
	bencode_dictionary_add_integer(buffer, control, "cachedreplybytes",
				       (long long) request->daemon->totals.ng_cached_bytes);
}

int ng_command_statistics(struct ng_request *request)
{
	struct bencode_item *statistics = bencode_dictionary_add_dictionary(request->buffer, request->reply, "statistics");
	add_current(request, statistics);
	add_totals(request, statistics);
	add_interfaces(request, statistics);
	add_control(request, statistics);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}
