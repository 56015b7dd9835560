/* Kernel forwarding, daemon side: talks to xt_RTPENGINE.ko through /proc/rtpengine.
 * The record formats are in kernel-module/xt_RTPENGINE_abi.h, shared with the module. */
#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include "xt_RTPENGINE_abi.h"

struct kernel_table {
	int id;
	int control_fd;
	char proc_root[PATH_MAX / 2];
};

_Static_assert((int)KERNEL_FORWARD_RTP == (int)RTPENGINE_TARGET_RTP &&
	       (int)KERNEL_FORWARD_RTCP == (int)RTPENGINE_TARGET_RTCP &&
	       (int)KERNEL_FORWARD_STRICT_SOURCE == (int)RTPENGINE_TARGET_STRICT_SOURCE,
	       "kernel_forward_flags must equal the ABI's target flags");

/* Records read from the counters file per read(). */
#define COUNTERS_BATCH 256

/* ---------------------------------------------------------------- conversions */

static int address_from_sockaddr(const union endpoint *from, bool may_be_unset,
				 struct rtpengine_address *to)
{
	memset(to, 0, sizeof(*to));
	switch (from->address.sa_family) {
	case AF_INET:
		to->family = RTPENGINE_FAMILY_IPV4;
		to->port = from->v4.sin_port;
		memcpy(to->address, &from->v4.sin_addr, 4);
		return 0;
	case AF_INET6:
		to->family = RTPENGINE_FAMILY_IPV6;
		to->port = from->v6.sin6_port;
		memcpy(to->address, &from->v6.sin6_addr, 16);
		return 0;
	case 0:
		return may_be_unset ? 0 : -EAFNOSUPPORT;
	default:
		return -EAFNOSUPPORT;
	}
}

static void address_to_sockaddr(const struct rtpengine_address *from, union endpoint *to)
{
	memset(to, 0, sizeof(*to));
	if (from->family == RTPENGINE_FAMILY_IPV4) {
		to->v4.sin_family = AF_INET;
		to->v4.sin_port = from->port;
		memcpy(&to->v4.sin_addr, from->address, 4);
	} else if (from->family == RTPENGINE_FAMILY_IPV6) {
		to->v6.sin6_family = AF_INET6;
		to->v6.sin6_port = from->port;
		memcpy(&to->v6.sin6_addr, from->address, 16);
	}
}

_Static_assert(KERNEL_SRTP_SSRC_SLOTS == RTPENGINE_SRTP_SSRC_SLOTS, "SRTP SSRC slots differ from the ABI's");
_Static_assert((int)KERNEL_SRTP_AES_GCM == (int)RTPENGINE_SRTP_AES_GCM && (int)KERNEL_SRTP_AES_CM == (int)RTPENGINE_SRTP_AES_CM
	       && (int)KERNEL_SRTP_NULL == (int)RTPENGINE_SRTP_NULL, "kernel_srtp_cipher must equal the ABI's");

static void srtp_ssrcs_from_record(const struct rtpengine_srtp_ssrc_state *record, struct kernel_srtp_ssrc *out)
{
	for (int i = 0; i < KERNEL_SRTP_SSRC_SLOTS; i++) {
		out[i].used = record[i].used != 0;
		out[i].ssrc = record[i].ssrc;
		out[i].highest_index = record[i].highest_index;
		out[i].window[0] = record[i].window[0];
		out[i].window[1] = record[i].window[1];
	}
}

static void srtp_to_record(const struct kernel_srtp *from, struct rtpengine_srtp *to)
{
	memset(to, 0, sizeof(*to));
	if (from->keys.cipher == KERNEL_SRTP_NONE)
		return;
	to->cipher = from->keys.cipher;
	to->cipher_key_length = from->keys.cipher_key_length;
	to->auth_tag_length = from->keys.auth_tag_length;
	memcpy(to->cipher_key, from->keys.cipher_key, sizeof(to->cipher_key));
	memcpy(to->auth_key, from->keys.auth_key, sizeof(to->auth_key));
	memcpy(to->salt, from->keys.salt, sizeof(to->salt));
	for (int i = 0; i < KERNEL_SRTP_SSRC_SLOTS; i++) {
		if (!from->ssrcs[i].used)
			continue;
		to->ssrcs[i].used = 1;
		to->ssrcs[i].ssrc = from->ssrcs[i].ssrc;
		to->ssrcs[i].highest_index = from->ssrcs[i].highest_index;
		to->ssrcs[i].window[0] = from->ssrcs[i].window[0];
		to->ssrcs[i].window[1] = from->ssrcs[i].window[1];
	}
}

static void counters_from_record(const struct rtpengine_counters *record, struct kernel_counters *out)
{
	memset(out, 0, sizeof(*out));
	out->packets = record->packets;
	out->bytes = record->bytes;
	out->errors = record->errors;
	out->passed_up = record->passed_up;
	out->last_packet_unix_us = record->last_packet_unix_ns / 1000;
	for (int i = 0; i < KERNEL_SSRC_SLOTS && i < RTPENGINE_SSRC_SLOTS; i++) {
		out->ssrcs[i].used = record->ssrcs[i].used != 0;
		out->ssrcs[i].ssrc = record->ssrcs[i].ssrc;
		out->ssrcs[i].packets = record->ssrcs[i].packets;
	}
	for (int i = 0; i < KERNEL_PAYLOAD_TYPE_SLOTS && i < RTPENGINE_PAYLOAD_TYPE_SLOTS; i++) {
		out->payload_types[i].used = record->payload_types[i].used != 0;
		out->payload_types[i].payload_type = record->payload_types[i].payload_type;
		out->payload_types[i].packets = record->payload_types[i].packets;
	}
	out->srtp_auth_failures = record->srtp_auth_failures;
	out->srtp_replays = record->srtp_replays;
	srtp_ssrcs_from_record(record->decrypt_ssrcs, out->decrypt_ssrcs);
	srtp_ssrcs_from_record(record->encrypt_ssrcs, out->encrypt_ssrcs);
	/* per-SSRC RTP statistics (kstats) */
	for (int i = 0; i < KERNEL_SSRC_SLOTS && i < RTPENGINE_SSRC_SLOTS; i++) {
		const struct rtpengine_rtp_stats *from = &record->rtp[i];
		struct kernel_rtp_stats *to = &out->rtp[i];
		to->used = from->used != 0;
		to->ssrc = from->ssrc;
		to->packets = from->packets;
		to->octets = from->octets;
		to->duplicates = from->duplicates;
		to->reordered = from->reordered;
		to->first_sequence = from->first_sequence;
		to->highest_sequence = from->highest_sequence;
		to->jitter_us16 = from->jitter_us16;
		to->last_timestamp = from->last_timestamp;
		to->clock_rate = from->clock_rate;
		to->last_arrival_us = (int64_t)(from->last_arrival_ns / 1000);
	}
}

static void clock_rates_to_record(const struct kernel_clock_rate *from, struct rtpengine_clock_rate *to)
{
	for (int i = 0, used = 0; i < KERNEL_CLOCK_RATE_SLOTS && used < RTPENGINE_CLOCK_RATE_SLOTS; i++) {
		if (!from[i].clock_rate || from[i].payload_type > 127 || from[i].clock_rate > 1000000)
			continue;
		to[used].used = 1;
		to[used].payload_type = from[i].payload_type;
		to[used].clock_rate = from[i].clock_rate;
		used++;
	}
}

static void command_init(struct rtpengine_command *command, enum rtpengine_command_type type)
{
	memset(command, 0, sizeof(*command));
	command->magic = RTPENGINE_COMMAND_MAGIC;
	command->abi_version = RTPENGINE_ABI_VERSION;
	command->type = type;
	command->length = sizeof(*command);
}

static int write_command(struct kernel_table *table, const struct rtpengine_command *command)
{
	ssize_t written = write(table->control_fd, command, sizeof(*command));

	if (written < 0)
		return -errno;
	return written == sizeof(*command) ? 0 : -EIO;
}

/* ---------------------------------------------------------------- table setup */

static int write_text_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t written;
	int err = 0;

	if (fd < 0)
		return -errno;
	written = write(fd, text, strlen(text));
	if (written < 0)
		err = -errno;
	else if ((size_t)written != strlen(text))
		err = -EIO;
	close(fd);
	return err;
}

/* Reads "abi-version N" from the first line of the table's status file. */
static int read_module_abi_version(const char *status_path, unsigned int *version)
{
	char text[256];
	ssize_t length;
	int fd = open(status_path, O_RDONLY);

	if (fd < 0)
		return -errno;
	length = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (length < 0)
		return -errno;
	text[length] = '\0';
	if (sscanf(text, "abi-version %u", version) != 1)
		return -EPROTO;
	return 0;
}

static int fail(int err, char *reason, size_t reason_size, const char *format, const char *path)
{
	if (reason && reason_size)
		snprintf(reason, reason_size, format, path, strerror(-err));
	return err;
}

/* ---------------------------------------------------------------- public */

static int open_table(const char *proc_root, int table_id, bool flush, struct kernel_table **table_out,
		      char *reason, size_t reason_size)
{
	char path[PATH_MAX], text[32];
	struct kernel_table *table;
	unsigned int module_version = 0;
	struct stat info;
	int err;

	*table_out = NULL;
	if (table_id < 0 || table_id >= RTPENGINE_MAX_TABLES) {
		snprintf(reason, reason_size, "table %d out of range 0..%d", table_id,
			 RTPENGINE_MAX_TABLES - 1);
		return -EINVAL;
	}
	if (strlen(proc_root) >= sizeof(table->proc_root))
		return fail(-ENAMETOOLONG, reason, reason_size, "%s: %s", proc_root);
	if (stat(proc_root, &info) < 0)
		return fail(-errno, reason, reason_size,
			    "%s missing (kernel module xt_RTPENGINE not loaded?): %s", proc_root);

	snprintf(path, sizeof(path), "%s/%d", proc_root, table_id);
	if (stat(path, &info) < 0) {
		char control[PATH_MAX];

		snprintf(control, sizeof(control), "%s/control", proc_root);
		snprintf(text, sizeof(text), "add %d\n", table_id);
		err = write_text_file(control, text);
		if (err && err != -EEXIST)
			return fail(err, reason, reason_size, "cannot create table via %s: %s", control);
	}

	snprintf(path, sizeof(path), "%s/%d/status", proc_root, table_id);
	err = read_module_abi_version(path, &module_version);
	if (err == -EPROTO) {
		snprintf(reason, reason_size, "%s has no abi-version line: not our xt_RTPENGINE module "
			 "(or one older than ABI version 1)", path);
		return err;
	}
	if (err)
		return fail(err, reason, reason_size, "cannot read %s: %s", path);
	if (module_version != RTPENGINE_ABI_VERSION) {
		snprintf(reason, reason_size, "kernel module ABI version mismatch: daemon %u, module %u "
			 "(rebuild/reload xt_RTPENGINE from the same release as the daemon)",
			 RTPENGINE_ABI_VERSION, module_version);
		return -EPROTO;
	}

	table = calloc(1, sizeof(*table));
	if (!table) {
		snprintf(reason, reason_size, "out of memory");
		return -ENOMEM;
	}
	table->id = table_id;
	snprintf(table->proc_root, sizeof(table->proc_root), "%s", proc_root);
	snprintf(path, sizeof(path), "%s/%d/control", proc_root, table_id);
	table->control_fd = open(path, O_RDWR | O_CLOEXEC);
	if (table->control_fd < 0) {
		err = -errno;
		free(table);
		return fail(err, reason, reason_size, "cannot open %s: %s", path);
	}
	/* Targets left by a daemon that died without cleaning up would forward ports we may
	 * hand out to new calls: start from an empty table. */
	err = flush ? kernel_forward_flush(table) : 0;
	if (err) {
		close(table->control_fd);
		free(table);
		return fail(err, reason, reason_size, "cannot flush table via %s: %s", path);
	}
	*table_out = table;
	return 0;
}

int kernel_table_open_at(const char *proc_root, int table_id, struct kernel_table **table,
			 char *reason, size_t reason_size)
{
	return open_table(proc_root, table_id, true, table, reason, reason_size);
}

int kernel_table_open(int table_id, struct kernel_table **table, char *reason, size_t reason_size)
{
	return open_table(KERNEL_PROC_ROOT, table_id, true, table, reason, reason_size);
}

int kernel_table_attach(int table_id, struct kernel_table **table, char *reason, size_t reason_size)
{
	return open_table(KERNEL_PROC_ROOT, table_id, false, table, reason, reason_size);
}

void kernel_table_close(struct kernel_table *table, bool delete_table)
{
	char path[PATH_MAX], text[32];

	if (!table)
		return;
	kernel_forward_flush(table);
	close(table->control_fd);
	if (delete_table) {
		/* Only possible once our control file is closed: the module refuses otherwise. */
		snprintf(path, sizeof(path), "%s/control", table->proc_root);
		snprintf(text, sizeof(text), "del %d\n", table->id);
		write_text_file(path, text);
	}
	free(table);
}

int kernel_table_id(const struct kernel_table *table)
{
	return table->id;
}

int kernel_forward_add(struct kernel_table *table, const struct kernel_forward *forward)
{
	struct rtpengine_command command;
	struct rtpengine_target *target = &command.u.target;
	int err;

	if (forward->flags & ~(unsigned int)(KERNEL_FORWARD_RTP | KERNEL_FORWARD_RTCP |
					     KERNEL_FORWARD_STRICT_SOURCE))
		return -EINVAL;
	if (forward->tos < -1 || forward->tos > 255)
		return -EINVAL;
	command_init(&command, RTPENGINE_COMMAND_ADD_TARGET);
	if ((err = address_from_sockaddr(&forward->local, false, &target->local)) ||
	    (err = address_from_sockaddr(&forward->expected_source, true, &target->expected_source)) ||
	    (err = address_from_sockaddr(&forward->output_source, false, &target->output_source)) ||
	    (err = address_from_sockaddr(&forward->destination, false, &target->destination)))
		return err;
	/* Our flag values are the ABI's; keep them in step. */
	target->flags = forward->flags;
	target->tos = forward->tos;
	srtp_to_record(&forward->decrypt, &target->decrypt);
	srtp_to_record(&forward->encrypt, &target->encrypt);
	clock_rates_to_record(forward->clock_rates, target->clock_rates);
	target->record_stream = forward->record_stream;
	return write_command(table, &command);
}

int kernel_forward_delete(struct kernel_table *table, const union endpoint *local)
{
	struct rtpengine_command command;
	int err;

	command_init(&command, RTPENGINE_COMMAND_DELETE_TARGET);
	err = address_from_sockaddr(local, false, &command.u.local);
	if (err)
		return err;
	return write_command(table, &command);
}

int kernel_forward_delete_read(struct kernel_table *table, const union endpoint *local,
			       struct kernel_counters *final)
{
	struct rtpengine_counters record;
	int err = kernel_forward_delete(table, local);

	if (err)
		return err;
	ssize_t length = read(table->control_fd, &record, sizeof(record));
	if (length < 0)
		return -errno;
	if (length != sizeof(record))
		return -EIO;
	counters_from_record(&record, final);
	return 0;
}

int kernel_forward_flush(struct kernel_table *table)
{
	struct rtpengine_command command;

	command_init(&command, RTPENGINE_COMMAND_FLUSH);
	return write_command(table, &command);
}

int kernel_forward_read_counters(struct kernel_table *table, const union endpoint *local,
				 struct kernel_counters *out)
{
	struct rtpengine_command command;
	struct rtpengine_counters record;
	ssize_t length;
	int err;

	command_init(&command, RTPENGINE_COMMAND_QUERY_TARGET);
	err = address_from_sockaddr(local, false, &command.u.local);
	if (err)
		return err;
	err = write_command(table, &command);
	if (err)
		return err;
	length = read(table->control_fd, &record, sizeof(record));
	if (length < 0)
		return -errno;
	if (length != sizeof(record))
		return -EIO;
	counters_from_record(&record, out);
	return 0;
}

int kernel_read_all_counters(struct kernel_table *table, kernel_counters_callback callback,
			     void *user_data)
{
	struct rtpengine_counters *records;
	struct kernel_counters counters;
	union endpoint local;
	char path[PATH_MAX];
	int fd, count = 0, err = 0;

	snprintf(path, sizeof(path), "%s/%d/counters", table->proc_root, table->id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	records = malloc(COUNTERS_BATCH * sizeof(*records));
	if (!records) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t length = read(fd, records, COUNTERS_BATCH * sizeof(*records));

		if (length < 0) {
			err = -errno;
			break;
		}
		if (length == 0)
			break;
		if (length % sizeof(*records)) {
			err = -EPROTO;  /* the module's record size differs from ours */
			break;
		}
		for (size_t i = 0; i < (size_t)length / sizeof(*records); i++) {
			address_to_sockaddr(&records[i].local, &local);
			counters_from_record(&records[i], &counters);
			callback(&local, &counters, user_data);
			count++;
		}
	}
	free(records);
	close(fd);
	return err ? err : count;
}

/* ---------------------------------------------------------------- call recording */

static int copy_name(char *to, const char *name)
{
	size_t length = strlen(name);

	if (!length || length >= RTPENGINE_RECORDING_NAME_SIZE || strchr(name, '/'))
		return -EINVAL;
	memcpy(to, name, length);  /* the rest stays 0, as the module requires */
	return 0;
}

int kernel_recording_add_call(struct kernel_table *table, uint32_t call_id, const char *name)
{
	struct rtpengine_command command;
	int err;

	command_init(&command, RTPENGINE_COMMAND_ADD_CALL);
	command.u.call.call_id = call_id;
	err = copy_name(command.u.call.name, name);
	return err ? err : write_command(table, &command);
}

int kernel_recording_delete_call(struct kernel_table *table, uint32_t call_id)
{
	struct rtpengine_command command;

	command_init(&command, RTPENGINE_COMMAND_DELETE_CALL);
	command.u.call.call_id = call_id;
	return write_command(table, &command);
}

int kernel_recording_add_stream(struct kernel_table *table, uint32_t call_id, uint32_t stream_id,
				unsigned int max_packets, const char *name)
{
	struct rtpengine_command command;
	int err;

	command_init(&command, RTPENGINE_COMMAND_ADD_STREAM);
	command.u.stream.call_id = call_id;
	command.u.stream.stream_id = stream_id;
	command.u.stream.max_packets = max_packets;
	err = copy_name(command.u.stream.name, name);
	return err ? err : write_command(table, &command);
}

int kernel_recording_delete_stream(struct kernel_table *table, uint32_t stream_id)
{
	struct rtpengine_command command;

	command_init(&command, RTPENGINE_COMMAND_DELETE_STREAM);
	command.u.stream.stream_id = stream_id;
	return write_command(table, &command);
}

void kernel_recording_stream_path(const struct kernel_table *table, const char *call_name, const char *stream_name,
				  char *path, size_t size)
{
	snprintf(path, size, "%s/%d/calls/%s/%s", table->proc_root, table->id, call_name, stream_name);
}

int kernel_recording_read_status(const struct kernel_table *table, struct kernel_recording_status *status)
{
	char path[PATH_MAX], text[1024];
	bool found = false;

	memset(status, 0, sizeof(*status));
	snprintf(path, sizeof(path), "%s/%d/status", table->proc_root, table->id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t length = read(fd, text, sizeof(text) - 1);
	int err = length < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	text[length] = '\0';
	/* "key value" lines; the recording ones appear once the table has a recording registry */
	for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long value;
		if (sscanf(line, "recorded-packets %llu", &value) == 1) {
			status->captured = value;
			found = true;
		} else if (sscanf(line, "recording-drops %llu", &value) == 1) {
			status->dropped = value;
			found = true;
		}
	}
	return found ? 0 : -ENOENT;
}
