/* The statistics snapshot: its field tables cover their structs field by field, gather
 * reads the daemon's sources into consistent sums, and a packet queued for a call that
 * ends before the worker's flush is counted (dropped_call_ended). Loopback sockets only. */
#include <glib.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bencode.h"
#include "call.h"
#include "call_fixture.h"
#include "daemon.h"
#include "interface.h"
#include "ng_server.h"
#include "relay.h"
#include "statistics.h"

#define WAIT_LIMIT_US (5 * 1000000LL)

static size_t field_size(const struct statistics_field *field)
{
	return field->type == STATISTICS_DOUBLE ? sizeof(double) : sizeof(uint64_t);
}

/* Rows in struct order, back to back, from offset 0 to the struct's end: every byte of the
 * struct belongs to exactly one row, so a field added without a row fails here. */
static void check_table_covers(const struct statistics_field *fields, unsigned int count, size_t struct_size,
                               bool every_row_in_ng)
{
	g_assert_cmpuint(count, >, 0);
	size_t next = 0;
	GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
	for (unsigned int i = 0; i < count; i++) {
		const struct statistics_field *field = &fields[i];
		g_assert_nonnull(field->name);
		g_assert_cmpuint(field->offset, ==, next);
		next = field->offset + field_size(field);
		g_assert_true(g_hash_table_add(names, (gpointer) field->name));   /* unique */
		g_assert_nonnull(field->unit);
		g_assert_cmpuint(strlen(field->help), >, 0);
		if (every_row_in_ng)
			g_assert_cmpint(field->ng_section, !=, STATISTICS_NG_NONE);
		if (field->ng_section != STATISTICS_NG_NONE && every_row_in_ng)
			g_assert_nonnull(field->ng_key);
		if (field->ng_format != STATISTICS_NG_INTEGER)
			g_assert_nonnull(field->ng_key);
	}
	g_assert_cmpuint(next, ==, struct_size);
	g_hash_table_destroy(names);
}

static void test_tables_cover_every_field(void)
{
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	check_table_covers(fields, count, sizeof(struct statistics_values), true);
	fields = statistics_port_fields(&count);
	check_table_covers(fields, count, sizeof(struct statistics_port_values), true);
	fields = statistics_command_fields(&count);
	check_table_covers(fields, count, sizeof(struct statistics_command_values), false);
}

/* ng keys are unique within their section (a duplicate would hide a value). */
static void test_ng_keys_unique_per_section(void)
{
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++)
		for (unsigned int j = i + 1; j < count; j++)
			if (fields[i].ng_section == fields[j].ng_section)
				g_assert_cmpstr(fields[i].ng_key, !=, fields[j].ng_key);
}

static const struct statistics_field *find_field(const char *name)
{
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	g_assert_not_reached();
}

static void loopback_interfaces(struct interface_list *interfaces, unsigned int port_min, unsigned int port_max)
{
	struct interface_config config;
	memset(&config, 0, sizeof(config));
	g_strlcpy(config.name, "default", sizeof(config.name));
	g_assert_cmpint(endpoint_parse_address(&config.local, "127.0.0.1", 9), ==, 0);
	g_assert_cmpint(interface_list_init(interfaces, &config, 1, port_min, port_max), ==, 0);
}

/* A daemon_context with no workers running: what gather reports is the daemon's totals. */
static void test_gather_sums(void)
{
	call_registry_init();
	struct daemon_config config;
	memset(&config, 0, sizeof(config));
	struct daemon_context daemon = { .config = &config, .started_us = now_realtime_us() - 90 * 1000000LL };
	loopback_interfaces(&daemon.interfaces, 30000, 30099);
	struct daemon_totals *totals = &daemon.totals;
	totals->managed_sessions = 7;
	totals->regular_terminated = 3;
	totals->timeout_sessions = 1;
	totals->total_call_seconds = 10.0;
	totals->kernel_packets = 40;
	totals->kernel_bytes = 6880;
	totals->kernel_errors = 2;
	totals->ng_errors = 5;
	totals->ng_cached_replies = 4;
	totals->ng_cached_bytes = 1234;

	daemon_sample_rates(&daemon);
	totals->kernel_packets += 50;
	totals->kernel_bytes += 8600;
	daemon_sample_rates(&daemon);

	struct statistics_snapshot snapshot;
	statistics_gather(&daemon, &snapshot);
	const struct statistics_values *values = &snapshot.values;
	g_assert_cmpuint(values->sessions_own, ==, call_count());
	g_assert_cmpuint(values->sessions_total, ==, values->sessions_own + values->sessions_foreign);
	g_assert_cmpuint(values->uptime_seconds, >=, 89);
	g_assert_cmpuint(values->uptime_seconds, <=, 91);
	g_assert_cmpuint(values->managed_sessions, ==, 7);
	g_assert_cmpuint(values->regular_terminated_sessions, ==, 3);
	g_assert_cmpfloat_with_epsilon(values->average_call_seconds, 2.5, 1e-9);
	g_assert_cmpuint(values->packets_kernel, ==, 90);
	g_assert_cmpuint(values->packets, ==, values->packets_user + values->packets_kernel);
	g_assert_cmpuint(values->bytes, ==, values->bytes_user + values->bytes_kernel);
	g_assert_cmpuint(values->errors, ==, values->errors_user + values->errors_kernel);
	g_assert_cmpuint(values->packet_rate_kernel, ==, 50);
	g_assert_cmpuint(values->byte_rate_kernel, ==, 8600);
	g_assert_cmpuint(values->packet_rate, ==, values->packet_rate_user + values->packet_rate_kernel);
	g_assert_cmpuint(values->ng_errors, ==, 5);
	g_assert_cmpuint(values->ng_cached_reply_bytes, ==, 1234);

	/* the table reads the same numbers the struct holds */
	g_assert_cmpuint(statistics_field_uint64(find_field("packets_kernel"), values), ==, 90);
	g_assert_cmpfloat_with_epsilon(statistics_field_double(find_field("average_call_seconds"), values), 2.5, 1e-9);
	g_assert_cmpuint(statistics_field_uint64(find_field("ng_cached_replies"), values), ==, 4);

	g_assert_cmpuint(snapshot.command_count, >, 0);
	bool statistics_named_stats = false;
	for (unsigned int i = 0; i < snapshot.command_count; i++)
		if (!strcmp(snapshot.commands[i].name, "statistics"))
			statistics_named_stats = !strcmp(snapshot.commands[i].short_name, "stats");
	g_assert_true(statistics_named_stats);

	g_assert_cmpuint(snapshot.interface_count, ==, 1);
	const struct statistics_port_values *ports = &snapshot.interfaces[0].ports;
	g_assert_cmpstr(snapshot.interfaces[0].address, ==, "127.0.0.1");
	g_assert_cmpuint(ports->total, ==, 100);
	g_assert_cmpuint(ports->used + ports->free, ==, ports->total);
	interface_list_free(&daemon.interfaces);
}

static const char *section_key(enum statistics_ng_section section)
{
	switch (section) {
	case STATISTICS_NG_CURRENT: return "currentstatistics";
	case STATISTICS_NG_TOTAL: return "totalstatistics";
	case STATISTICS_NG_CONTROL: return "controlstatistics";
	case STATISTICS_NG_MOS: return "mos";
	default: g_assert_not_reached();
	}
}

/* The value an ng reply shows for field, as the renderer should have written it. */
static void check_ng_value(const struct bencode_item *dictionary, const struct statistics_field *field,
                           const void *base, double tolerance)
{
	const struct bencode_item *item = bencode_dictionary_get(dictionary, field->ng_key);
	g_assert_nonnull(item);
	double expected = statistics_field_double(field, base), shown;
	if (field->ng_format == STATISTICS_NG_INTEGER) {
		g_assert_cmpint(item->type, ==, BENCODE_INTEGER);
		shown = (double) item->integer;
	} else {
		g_assert_cmpint(item->type, ==, BENCODE_STRING);
		char *text = g_strndup(item->string, item->string_length);
		const char *dot = strchr(text, '.');
		unsigned int decimals = dot ? (unsigned int) strlen(dot + 1) : 0;
		g_assert_cmpuint(decimals, ==, field->ng_format == STATISTICS_NG_TEXT_DECIMAL2 ? 2
				 : field->ng_format == STATISTICS_NG_TEXT_DECIMAL6 ? 6 : 0);
		shown = g_ascii_strtod(text, NULL);
		g_free(text);
	}
	g_assert_cmpfloat_with_epsilon(shown, expected, tolerance + 1e-6);
}

/* The ng renderer shows every row of the tables that has an ng key, where the table says and
 * with the snapshot's value: the table, not the renderer, decides what ng shows. */
static void test_ng_reply_renders_every_field(void)
{
	call_registry_init();
	struct daemon_config config;
	memset(&config, 0, sizeof(config));
	struct daemon_context daemon = { .config = &config, .started_us = now_realtime_us() - 100 * 1000000LL };
	loopback_interfaces(&daemon.interfaces, 30000, 30099);
	daemon.totals.managed_sessions = 11;
	daemon.totals.regular_terminated = 4;
	daemon.totals.total_call_seconds = 6.0;
	daemon.totals.kernel_packets = 123;
	daemon.totals.kernel_bytes = 4567;
	daemon.totals.ng_cached_replies = 2;

	struct statistics_snapshot snapshot;
	statistics_gather(&daemon, &snapshot);
	static const char request[] = "c1 d7:command10:statisticse";
	union endpoint source;
	g_assert_cmpint(endpoint_parse(&source, AF_INET, "127.0.0.1", 0), ==, 0);
	GString *reply = g_string_new(NULL);
	ng_process_datagram(&daemon, request, sizeof(request) - 1, &source, reply);
	g_assert_true(g_str_has_prefix(reply->str, "c1 "));
	struct bencode_buffer *buffer = bencode_buffer_new();
	struct bencode_item *root = bencode_decode(buffer, reply->str + 3, reply->len - 3, NULL);
	g_assert_nonnull(root);
	const struct bencode_item *statistics = bencode_dictionary_get(root, "statistics");
	g_assert_nonnull(statistics);

	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++) {
		const struct statistics_field *field = &fields[i];
		if (field->ng_section == STATISTICS_NG_NONE)
			continue;
		const struct bencode_item *section = bencode_dictionary_get(statistics, section_key(field->ng_section));
		g_assert_nonnull(section);
		/* the clock may tick between the two gathers */
		check_ng_value(section, field, &snapshot.values, !strcmp(field->name, "uptime_seconds") ? 1 : 0);
	}
	const struct bencode_item *control = bencode_dictionary_get(statistics, "controlstatistics");
	for (unsigned int i = 0; i < snapshot.command_count; i++) {
		char key[64];
		snprintf(key, sizeof(key), "total%scount", snapshot.commands[i].short_name);
		g_assert_nonnull(bencode_dictionary_get(control, key));
	}
	const struct bencode_item *interfaces = bencode_dictionary_get(statistics, "interfaces");
	g_assert_nonnull(interfaces);
	g_assert_cmpuint(interfaces->child_count, ==, 1);
	const struct bencode_item *ports = bencode_dictionary_get(interfaces->first_child, "ports");
	fields = statistics_port_fields(&count);
	for (unsigned int i = 0; i < count; i++)
		check_ng_value(ports, &fields[i], &snapshot.interfaces[0].ports, 0);

	bencode_buffer_free(buffer);
	g_string_free(reply, TRUE);
	interface_list_free(&daemon.interfaces);
}

/* ---------------------------------------------------------------- dropped_call_ended */

struct test_call {
	struct call *call;
	struct stream *input;           /* where the test sends */
	int receiver;                   /* where the relay forwards to */
	union endpoint input_address;
};

static int bound_loopback_socket(union endpoint *address)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(endpoint_parse(address, AF_INET, "127.0.0.1", 0), ==, 0);
	g_assert_cmpint(bind(fd, &address->address, endpoint_length(address)), ==, 0);
	socklen_t length = sizeof(*address);
	g_assert_cmpint(getsockname(fd, &address->address, &length), ==, 0);
	return fd;
}

/* A call of two sides on the one worker; the caller's RTP goes to a socket of the test. */
static void make_call(struct test_call *test, const char *call_id, struct local_interface *interface)
{
	struct call *call = call_create(call_id, relay_pick_worker());
	struct media *sides[2];
	for (int side = 0; side < 2; side++) {
		struct monologue *monologue = call_add_monologue(call, side ? "callee" : "caller");
		sides[side] = monologue_add_media(monologue, "audio", "RTP/AVP");
		fixture_open_sockets(sides[side], interface);
	}
	union endpoint receiver;
	test->receiver = bound_loopback_socket(&receiver);
	pthread_mutex_lock(&call->lock);
	struct stream *input = &sides[0]->streams[STREAM_RTP], *output = &sides[1]->streams[STREAM_RTP];
	input->sink = output;
	output->advertised = receiver;
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	test->call = call;
	test->input = input;
	test->input_address = interface->local;
	endpoint_set_port(&test->input_address, input->local_port);
}

static void send_packet(int fd, const union endpoint *to, uint16_t sequence)
{
	unsigned char packet[172] = { 0x80, 0x00, (unsigned char) (sequence >> 8), (unsigned char) sequence };
	g_assert_cmpint(sendto(fd, packet, sizeof(packet), 0, &to->address, endpoint_length(to)), ==,
			(ssize_t) sizeof(packet));
}

/* The worker thread's id, by its name (0 if not named yet). */
static pid_t find_worker_tid(void)
{
	DIR *tasks = opendir("/proc/self/task");
	g_assert_nonnull(tasks);
	pid_t found = 0;
	struct dirent *entry;
	while (!found && (entry = readdir(tasks))) {
		char path[300], name[32] = "";
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", entry->d_name);
		FILE *file = fopen(path, "r");
		if (!file)
			continue;
		if (fgets(name, sizeof(name), file) && !strcmp(name, "media-0\n"))
			found = (pid_t) atoi(entry->d_name);
		fclose(file);
	}
	closedir(tasks);
	return found;
}

/* The worker names itself when it starts: wait for that. */
static pid_t worker_tid(void)
{
	int64_t deadline = now_realtime_us() + WAIT_LIMIT_US;
	pid_t tid;
	while (!(tid = find_worker_tid()) && now_realtime_us() < deadline)
		g_usleep(1000);
	return tid;
}

/* The system call the thread is blocked in (/proc/.../syscall), -1 if running or unknown. */
static long thread_syscall(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int) tid);
	FILE *file = fopen(path, "r");
	if (!file)
		return -1;
	long number = -1;
	if (fscanf(file, "%ld", &number) != 1)
		number = -1;
	fclose(file);
	return number;
}

static bool wait_for_futex(pid_t tid)
{
	int64_t deadline = now_realtime_us() + WAIT_LIMIT_US;
	while (now_realtime_us() < deadline) {
		if (thread_syscall(tid) == SYS_futex)
			return true;
		g_usleep(1000);
	}
	return false;
}

static uint64_t input_packets(struct test_call *test)
{
	pthread_mutex_lock(&test->call->lock);
	uint64_t packets = test->input->counters.packets;
	pthread_mutex_unlock(&test->call->lock);
	return packets;
}

static bool receive_within(int fd, int timeout_ms)
{
	struct pollfd poller = { .fd = fd, .events = POLLIN };
	if (poll(&poller, 1, timeout_ms) != 1)
		return false;
	unsigned char buffer[512];
	return recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0;
}

/* The worker queues a round's packets and sends them when the round ends, under each call's
 * lock again; a call deleted in between must have its queued packets counted. The test
 * makes that order certain: it holds the locks of calls C and B, sends to C and waits until
 * the worker is blocked on C's lock (futex, by /proc), then sends to A and to B and lets C
 * go. The worker's next epoll round returns A then B (the ready list is in arrival order):
 * it queues A's packet and blocks on B's lock. Now A ends; then B is let go, and the flush
 * finds A deleted. */
static void test_packet_queued_for_ended_call_is_counted(void)
{
	if (thread_syscall((pid_t) syscall(SYS_gettid)) < 0) {
		g_test_skip("no /proc/self/task/N/syscall here");
		return;
	}
	call_registry_init();
	struct relay_settings settings = { .endpoint_learning = ENDPOINT_LEARNING_IMMEDIATE, .worker_count = 1 };
	g_assert_cmpint(relay_start(&settings), ==, 0);
	struct interface_list interfaces;
	loopback_interfaces(&interfaces, 20000, 29999);
	struct test_call a, b, c;
	make_call(&a, "stats-a", &interfaces.items[0]);
	make_call(&b, "stats-b", &interfaces.items[0]);
	make_call(&c, "stats-c", &interfaces.items[0]);
	union endpoint sender_address;
	int sender = bound_loopback_socket(&sender_address);
	pid_t tid = worker_tid();
	g_assert_cmpint(tid, >, 0);

	pthread_mutex_lock(&b.call->lock);
	pthread_mutex_lock(&c.call->lock);
	send_packet(sender, &c.input_address, 1);
	g_assert_true(wait_for_futex(tid));
	send_packet(sender, &a.input_address, 2);
	send_packet(sender, &b.input_address, 3);
	pthread_mutex_unlock(&c.call->lock);
	g_assert_true(receive_within(c.receiver, 5000));

	int64_t deadline = now_realtime_us() + WAIT_LIMIT_US;
	while (input_packets(&a) == 0 && now_realtime_us() < deadline)
		g_usleep(1000);
	g_assert_cmpuint(input_packets(&a), ==, 1);   /* queued; the worker now waits for B */
	struct relay_totals before;
	relay_read_totals(&before);
	g_assert_cmpuint(before.dropped_call_ended, ==, 0);
	call_destroy(a.call, "test");
	pthread_mutex_unlock(&b.call->lock);

	/* B's packet leaves in the same flush, after A's run was dropped */
	g_assert_true(receive_within(b.receiver, 5000));
	struct relay_totals after;
	relay_read_totals(&after);
	g_assert_cmpuint(after.dropped_call_ended, ==, 1);
	g_assert_cmpuint(after.dropped_send_failed, ==, 0);
	g_assert_cmpuint(after.errors, ==, 0);
	g_assert_cmpuint(after.packets, ==, 3);
	g_assert_false(receive_within(a.receiver, 0));

	/* and the snapshot shows it under its name */
	struct daemon_config config;
	memset(&config, 0, sizeof(config));
	struct daemon_context daemon = { .config = &config, .started_us = now_realtime_us() };
	daemon.interfaces = interfaces;
	struct statistics_snapshot snapshot;
	statistics_gather(&daemon, &snapshot);
	g_assert_cmpuint(snapshot.values.dropped_call_ended, ==, 1);
	g_assert_cmpuint(snapshot.values.packets_user, ==, 3);
	g_assert_cmpuint(snapshot.interfaces[0].ports.used, ==, 8);   /* two calls of two sides */

	/* the per-call copy that query formats from */
	struct call_statistics copy;
	call_statistics_gather(b.call, &copy);
	g_assert_cmpuint(copy.stream_count, ==, 4);   /* two sides, RTP and RTCP each */
	g_assert_cmpuint(copy.streams[STREAM_RTP].counters.packets, ==, 1);
	g_assert_true(copy.streams[STREAM_RTP].state & STREAM_CONFIRMED);
	g_assert_cmpuint(copy.totals.rtp_packets, ==, 1);
	g_assert_cmpuint(copy.totals.rtp_errors + copy.totals.rtcp_packets, ==, 0);
	call_statistics_free(&copy);

	call_destroy(b.call, "test");
	call_destroy(c.call, "test");
	relay_stop();
	close(sender);
	close(a.receiver);
	close(b.receiver);
	close(c.receiver);
	interface_list_free(&interfaces);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/statistics/tables_cover_every_field", test_tables_cover_every_field);
	g_test_add_func("/statistics/ng_keys_unique_per_section", test_ng_keys_unique_per_section);
	g_test_add_func("/statistics/gather_sums", test_gather_sums);
	g_test_add_func("/statistics/ng_reply_renders_every_field", test_ng_reply_renders_every_field);
	g_test_add_func("/statistics/packet_queued_for_ended_call_is_counted",
			test_packet_queued_for_ended_call_is_counted);
	return g_test_run();
}
