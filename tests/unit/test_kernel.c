/* daemon/kernel.c against a fake /proc/rtpengine made of regular files: what it writes
 * must be exactly the ABI's records, and every failure must come with a clear reason.
 * (The real module is exercised in tests/kernel/ inside a VM.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "kernel.h"
#include "xt_RTPENGINE_abi.h"

struct fake_proc {
	char *root;
};

static void write_file(const char *root, const char *name, const void *data, size_t length)
{
	char *path = g_build_filename(root, name, NULL);

	g_assert_true(g_file_set_contents(path, data, (gssize)length, NULL));
	g_free(path);
}

static gchar *read_file(const char *root, const char *name, gsize *length)
{
	char *path = g_build_filename(root, name, NULL);
	gchar *contents = NULL;

	g_assert_true(g_file_get_contents(path, &contents, length, NULL));
	g_free(path);
	return contents;
}

/* A fake root with table `id` and a status file saying `abi-version version`. */
static void fake_setup(struct fake_proc *fake, gconstpointer unused)
{
	fake->root = g_dir_make_tmp("kernel-test-XXXXXX", NULL);
	g_assert_nonnull(fake->root);
	write_file(fake->root, "control", "", 0);
}

static void fake_add_table(struct fake_proc *fake, int id, unsigned int version)
{
	char name[32], status[64];

	snprintf(name, sizeof(name), "%s/%d", fake->root, id);
	g_assert_cmpint(g_mkdir(name, 0700), ==, 0);
	snprintf(name, sizeof(name), "%d/status", id);
	snprintf(status, sizeof(status), "abi-version %u\ntable %d\n", version, id);
	write_file(fake->root, name, status, strlen(status));
	snprintf(name, sizeof(name), "%d/control", id);
	write_file(fake->root, name, "", 0);
}

static void fake_teardown(struct fake_proc *fake, gconstpointer unused)
{
	char *command = g_strdup_printf("rm -rf '%s'", fake->root);

	g_assert_cmpint(system(command), ==, 0);
	g_free(command);
	g_free(fake->root);
}

static void set_ipv4(union endpoint *endpoint, const char *address, unsigned short port)
{
	g_assert_cmpint(endpoint_parse(endpoint, AF_INET, address, port), ==, 0);
}

static void test_missing_root(void)
{
	struct kernel_table *table = (void *)1;
	char reason[256] = "";

	g_assert_cmpint(kernel_table_open_at("/nonexistent/rtpengine", 0, &table, reason, sizeof(reason)),
			==, -ENOENT);
	g_assert_null(table);
	g_assert_nonnull(strstr(reason, "not loaded"));
}

static void test_bad_table_id(struct fake_proc *fake, gconstpointer unused)
{
	struct kernel_table *table;
	char reason[256] = "";

	g_assert_cmpint(kernel_table_open_at(fake->root, 256, &table, reason, sizeof(reason)), ==, -EINVAL);
	g_assert_cmpint(kernel_table_open_at(fake->root, -1, &table, reason, sizeof(reason)), ==, -EINVAL);
	g_assert_nonnull(strstr(reason, "out of range"));
}

static void test_creates_missing_table(struct fake_proc *fake, gconstpointer unused)
{
	struct kernel_table *table;
	char reason[256] = "";
	gsize length;
	gchar *control;

	/* The fake cannot create the table, so the status read fails after the "add". */
	g_assert_cmpint(kernel_table_open_at(fake->root, 3, &table, reason, sizeof(reason)), <, 0);
	control = read_file(fake->root, "control", &length);
	g_assert_cmpstr(control, ==, "add 3\n");
	g_assert_nonnull(strstr(reason, "3/status"));
	g_free(control);
}

static void test_version_mismatch(struct fake_proc *fake, gconstpointer unused)
{
	struct kernel_table *table;
	char reason[256] = "";

	fake_add_table(fake, 0, 99);
	g_assert_cmpint(kernel_table_open_at(fake->root, 0, &table, reason, sizeof(reason)), ==, -EPROTO);
	g_autofree char *expected = g_strdup_printf("version mismatch: daemon %d, module 99", RTPENGINE_ABI_VERSION);
	g_assert_nonnull(strstr(reason, expected));
	/* an older module (before SRTP, before per-SSRC statistics): one clear line, not a
	 * silent failure later */
	for (int older = 1; older < RTPENGINE_ABI_VERSION; older++) {
		fake_add_table(fake, older, older);
		g_assert_cmpint(kernel_table_open_at(fake->root, older, &table, reason, sizeof(reason)), ==, -EPROTO);
		g_autofree char *line = g_strdup_printf("kernel module ABI version mismatch: daemon %d, module %d",
							RTPENGINE_ABI_VERSION, older);
		g_assert_nonnull(strstr(reason, line));
	}
}

static void test_add_writes_one_record(struct fake_proc *fake, gconstpointer unused)
{
	struct kernel_forward forward = { .flags = KERNEL_FORWARD_RTP | KERNEL_FORWARD_RTCP, .tos = 184 };
	const struct rtpengine_command *command;
	struct kernel_table *table;
	char reason[256] = "";
	gchar *written;
	gsize length;

	fake_add_table(fake, 0, RTPENGINE_ABI_VERSION);
	g_assert_cmpint(kernel_table_open_at(fake->root, 0, &table, reason, sizeof(reason)), ==, 0);
	set_ipv4(&forward.local, "10.0.0.1", 30000);
	set_ipv4(&forward.output_source, "10.0.1.1", 30002);
	set_ipv4(&forward.destination, "10.0.1.2", 5002);
	g_assert_cmpint(kernel_forward_add(table, &forward), ==, 0);

	/* Opening flushes what a previous daemon left; then our one ADD record. */
	written = read_file(fake->root, "0/control", &length);
	g_assert_cmpuint(length, ==, 2 * sizeof(struct rtpengine_command));
	g_assert_cmpuint(((const struct rtpengine_command *)written)[0].type, ==, RTPENGINE_COMMAND_FLUSH);
	command = (const struct rtpengine_command *)written + 1;
	g_assert_cmpuint(command->magic, ==, RTPENGINE_COMMAND_MAGIC);
	g_assert_cmpuint(command->abi_version, ==, RTPENGINE_ABI_VERSION);
	g_assert_cmpuint(command->type, ==, RTPENGINE_COMMAND_ADD_TARGET);
	g_assert_cmpuint(command->length, ==, sizeof(*command));
	g_assert_cmpuint(command->u.target.local.family, ==, RTPENGINE_FAMILY_IPV4);
	g_assert_cmpuint(ntohs(command->u.target.local.port), ==, 30000);
	g_assert_cmpmem(command->u.target.local.address, 4, "\x0a\x00\x00\x01", 4);
	g_assert_cmpuint(command->u.target.expected_source.family, ==, RTPENGINE_FAMILY_NONE);
	g_assert_cmpuint(ntohs(command->u.target.destination.port), ==, 5002);
	g_assert_cmpuint(command->u.target.flags, ==, RTPENGINE_TARGET_RTP | RTPENGINE_TARGET_RTCP);
	g_assert_cmpint(command->u.target.tos, ==, 184);
	g_assert_cmpuint(command->u.target.decrypt.cipher, ==, RTPENGINE_SRTP_NONE);
	g_assert_cmpuint(command->u.target.encrypt.cipher, ==, RTPENGINE_SRTP_NONE);
	g_free(written);

	/* SRTP keys and state travel as given; a plain side stays all zero */
	forward.encrypt.keys = (struct kernel_srtp_keys){ .cipher = KERNEL_SRTP_AES_CM, .cipher_key_length = 24,
							  .auth_tag_length = 4, .cipher_key = { 1, 2 }, .salt = { 9 } };
	forward.encrypt.ssrcs[1] = (struct kernel_srtp_ssrc){ .used = true, .ssrc = 0x1234,
							      .highest_index = 0x1fffe, .window = { 5, 6 } };
	g_assert_cmpint(kernel_forward_add(table, &forward), ==, 0);
	written = read_file(fake->root, "0/control", &length);
	g_assert_cmpuint(length, ==, 3 * sizeof(struct rtpengine_command));
	command = (const struct rtpengine_command *)written + 2;
	g_assert_cmpuint(command->u.target.encrypt.cipher, ==, RTPENGINE_SRTP_AES_CM);
	g_assert_cmpuint(command->u.target.encrypt.cipher_key_length, ==, 24);
	g_assert_cmpuint(command->u.target.encrypt.auth_tag_length, ==, 4);
	g_assert_cmpuint(command->u.target.encrypt.cipher_key[1], ==, 2);
	g_assert_cmpuint(command->u.target.encrypt.salt[0], ==, 9);
	g_assert_cmpuint(command->u.target.encrypt.ssrcs[0].used, ==, 0);
	g_assert_cmpuint(command->u.target.encrypt.ssrcs[1].used, ==, 1);
	g_assert_cmpuint(command->u.target.encrypt.ssrcs[1].ssrc, ==, 0x1234);
	g_assert_cmpuint(command->u.target.encrypt.ssrcs[1].highest_index, ==, 0x1fffe);
	g_assert_cmpuint(command->u.target.encrypt.ssrcs[1].window[1], ==, 6);
	g_assert_cmpuint(command->u.target.decrypt.cipher, ==, RTPENGINE_SRTP_NONE);
	g_free(written);
	memset(&forward.encrypt, 0, sizeof(forward.encrypt));

	/* Invalid requests never reach the kernel. */
	forward.local.address.sa_family = AF_UNIX;
	g_assert_cmpint(kernel_forward_add(table, &forward), ==, -EAFNOSUPPORT);
	set_ipv4(&forward.local, "10.0.0.1", 30000);
	forward.tos = 300;
	g_assert_cmpint(kernel_forward_add(table, &forward), ==, -EINVAL);
	forward.tos = -1;
	forward.flags = 1u << 10;
	g_assert_cmpint(kernel_forward_add(table, &forward), ==, -EINVAL);
	written = read_file(fake->root, "0/control", &length);
	g_assert_cmpuint(length, ==, 3 * sizeof(struct rtpengine_command));
	g_free(written);

	/* close: a FLUSH record, then "del 0" because we asked for it */
	kernel_table_close(table, true);
	written = read_file(fake->root, "0/control", &length);
	g_assert_cmpuint(length, ==, 4 * sizeof(struct rtpengine_command));
	g_assert_cmpuint(((const struct rtpengine_command *)written)[3].type, ==, RTPENGINE_COMMAND_FLUSH);
	g_free(written);
	written = read_file(fake->root, "control", &length);
	g_assert_cmpstr(written, ==, "del 0\n");
	g_free(written);
}

struct seen {
	int calls;
	uint64_t packets[2];
	uint64_t last_us;
	uint32_t ssrc;
};

static void remember(const union endpoint *local, const struct kernel_counters *counters,
		     void *user_data)
{
	struct seen *seen = user_data;

	g_assert_cmpint(local->address.sa_family, ==, seen->calls == 0 ? AF_INET : AF_INET6);
	seen->packets[seen->calls] = counters->packets;
	if (seen->calls == 0) {
		seen->last_us = counters->last_packet_unix_us;
		seen->ssrc = counters->ssrcs[0].used ? counters->ssrcs[0].ssrc : 0;
	}
	seen->calls++;
}

static void test_bulk_counters(struct fake_proc *fake, gconstpointer unused)
{
	struct rtpengine_counters records[2];
	struct seen seen = { 0 };
	struct kernel_table *table;
	char reason[256];

	fake_add_table(fake, 0, RTPENGINE_ABI_VERSION);
	memset(records, 0, sizeof(records));
	records[0].local.family = RTPENGINE_FAMILY_IPV4;
	records[0].packets = 42;
	records[0].last_packet_unix_ns = 1700000000123456789ull;
	records[0].ssrcs[0].used = 1;
	records[0].ssrcs[0].ssrc = 0x11223344;
	records[1].local.family = RTPENGINE_FAMILY_IPV6;
	records[1].packets = 7;
	write_file(fake->root, "0/counters", records, sizeof(records));
	g_assert_cmpint(kernel_table_open_at(fake->root, 0, &table, reason, sizeof(reason)), ==, 0);
	g_assert_cmpint(kernel_read_all_counters(table, remember, &seen), ==, 2);
	g_assert_cmpint(seen.calls, ==, 2);
	g_assert_cmpuint(seen.packets[0], ==, 42);
	g_assert_cmpuint(seen.packets[1], ==, 7);
	g_assert_cmpuint(seen.last_us, ==, 1700000000123456ull);
	g_assert_cmpuint(seen.ssrc, ==, 0x11223344);

	/* A record size that is not ours: a protocol error, not garbage counters. */
	write_file(fake->root, "0/counters", records, sizeof(records) - 8);
	g_assert_cmpint(kernel_read_all_counters(table, remember, &seen), ==, -EPROTO);
	kernel_table_close(table, false);
}

/* Call recording (ABI v4): the call and stream records, names checked before writing. */
static void test_recording_records(struct fake_proc *fake, gconstpointer unused)
{
	const struct rtpengine_command *command;
	struct kernel_forward forward = { .flags = KERNEL_FORWARD_RTP, .tos = -1, .record_stream = 42 };
	struct kernel_table *table;
	char reason[256] = "", path[512], long_name[300];
	gchar *written;
	gsize length;

	fake_add_table(fake, 0, RTPENGINE_ABI_VERSION);
	g_assert_cmpint(kernel_table_open_at(fake->root, 0, &table, reason, sizeof(reason)), ==, 0);
	g_assert_cmpint(kernel_recording_add_call(table, 7, "call%40host-0123456789abcdef"), ==, 0);
	g_assert_cmpint(kernel_recording_add_stream(table, 7, 42, 0, "tag-0-media-1-component-1-RTP-id-0"), ==, 0);
	set_ipv4(&forward.local, "10.0.0.1", 30000);
	set_ipv4(&forward.output_source, "10.0.1.1", 30002);
	set_ipv4(&forward.destination, "10.0.1.2", 5002);
	g_assert_cmpint(kernel_forward_add(table, &forward), ==, 0);
	g_assert_cmpint(kernel_recording_delete_stream(table, 42), ==, 0);
	g_assert_cmpint(kernel_recording_delete_call(table, 7), ==, 0);
	/* names the module would refuse never leave the daemon */
	g_assert_cmpint(kernel_recording_add_call(table, 8, "a/b"), ==, -EINVAL);
	g_assert_cmpint(kernel_recording_add_call(table, 8, ""), ==, -EINVAL);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	g_assert_cmpint(kernel_recording_add_stream(table, 7, 43, 0, long_name), ==, -EINVAL);

	written = read_file(fake->root, "0/control", &length);
	g_assert_cmpuint(length, ==, 6 * sizeof(struct rtpengine_command));
	command = (const struct rtpengine_command *)written + 1;
	g_assert_cmpuint(command->type, ==, RTPENGINE_COMMAND_ADD_CALL);
	g_assert_cmpuint(command->u.call.call_id, ==, 7);
	g_assert_cmpstr(command->u.call.name, ==, "call%40host-0123456789abcdef");
	command++;
	g_assert_cmpuint(command->type, ==, RTPENGINE_COMMAND_ADD_STREAM);
	g_assert_cmpuint(command->u.stream.call_id, ==, 7);
	g_assert_cmpuint(command->u.stream.stream_id, ==, 42);
	g_assert_cmpstr(command->u.stream.name, ==, "tag-0-media-1-component-1-RTP-id-0");
	command++;
	g_assert_cmpuint(command->type, ==, RTPENGINE_COMMAND_ADD_TARGET);
	g_assert_cmpuint(command->u.target.record_stream, ==, 42);
	command++;
	g_assert_cmpuint(command->type, ==, RTPENGINE_COMMAND_DELETE_STREAM);
	g_assert_cmpuint(command->u.stream.stream_id, ==, 42);
	g_assert_cmpuint(command->u.stream.call_id, ==, 0);
	command++;
	g_assert_cmpuint(command->type, ==, RTPENGINE_COMMAND_DELETE_CALL);
	g_assert_cmpuint(command->u.call.call_id, ==, 7);
	g_assert_cmpuint(command->u.call.name[0], ==, 0);
	g_free(written);

	kernel_recording_stream_path(table, "call-1", "tag-0", path, sizeof(path));
	g_assert_true(g_str_has_suffix(path, "/0/calls/call-1/tag-0"));
	g_assert_true(g_str_has_prefix(path, fake->root));
	kernel_table_close(table, false);
}

/* The recording counters come from the status file the module writes (rtpengine_recording.c
 * rtpengine_recording_show_status): the daemon's statistics read them once a second. */
static void test_recording_status(struct fake_proc *fake, gconstpointer unused)
{
	struct kernel_recording_status status = { 1, 1 };
	struct kernel_table *table;
	char reason[256] = "";
	const char *text = "abi-version 4\ntable 0\ntargets 2\ncontrol-users 1\nrecord-size 400\n"
			   "recording-objects 3\nrecorded-packets 123456789012\nrecording-injected 5\n"
			   "recording-drops 77\n";

	fake_add_table(fake, 0, RTPENGINE_ABI_VERSION);
	g_assert_cmpint(kernel_table_open_at(fake->root, 0, &table, reason, sizeof(reason)), ==, 0);
	/* a module without the recording lines: -ENOENT, counters zero */
	g_assert_cmpint(kernel_recording_read_status(table, &status), ==, -ENOENT);
	g_assert_cmpuint(status.captured, ==, 0);
	g_assert_cmpuint(status.dropped, ==, 0);
	write_file(fake->root, "0/status", text, strlen(text));
	g_assert_cmpint(kernel_recording_read_status(table, &status), ==, 0);
	g_assert_cmpuint(status.captured, ==, 123456789012ull);
	g_assert_cmpuint(status.dropped, ==, 77);
	kernel_table_close(table, false);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kernel/missing-root", test_missing_root);
	g_test_add("/kernel/bad-table-id", struct fake_proc, NULL, fake_setup, test_bad_table_id, fake_teardown);
	g_test_add("/kernel/creates-missing-table", struct fake_proc, NULL, fake_setup,
		   test_creates_missing_table, fake_teardown);
	g_test_add("/kernel/version-mismatch", struct fake_proc, NULL, fake_setup, test_version_mismatch,
		   fake_teardown);
	g_test_add("/kernel/add-writes-one-record", struct fake_proc, NULL, fake_setup,
		   test_add_writes_one_record, fake_teardown);
	g_test_add("/kernel/bulk-counters", struct fake_proc, NULL, fake_setup, test_bulk_counters,
		   fake_teardown);
	g_test_add("/kernel/recording-records", struct fake_proc, NULL, fake_setup, test_recording_records,
		   fake_teardown);
	g_test_add("/kernel/recording-status", struct fake_proc, NULL, fake_setup, test_recording_status,
		   fake_teardown);
	return g_test_run();
}
