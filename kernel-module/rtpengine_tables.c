// SPDX-License-Identifier: GPL-2.0
/*
 * Forwarding tables and their /proc interface (documented in README.md):
 *   /proc/rtpengine/control        "add N" / "del N"
 *   /proc/rtpengine/N/control      binary struct rtpengine_command records (write),
 *                                  struct rtpengine_counters after a QUERY (read)
 *   /proc/rtpengine/N/list         human-readable targets with counters
 *   /proc/rtpengine/N/status       table summary, starting with the ABI version
 *   /proc/rtpengine/N/counters     binary snapshot: one struct rtpengine_counters per target
 *
 * Concurrency: the packet path reads tables[] and the buckets under RCU only. Writers (the
 * /proc handlers) take the table's spinlock to change buckets; a replaced or deleted target
 * is freed after a grace period. Tables are created and destroyed under tables_mutex.
 */
#define pr_fmt(fmt) "xt_RTPENGINE: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/jhash.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/ctype.h>
#include <linux/kernel.h>

#include "compat.h"
#include "rtpengine_internal.h"

/* How many records one write() may carry: bounds the time spent in one system call. */
#define RTPENGINE_MAX_COMMANDS_PER_WRITE 1024
/* "add 255\n" plus slack: anything longer written to /proc/rtpengine/control is rejected. */
#define RTPENGINE_GLOBAL_COMMAND_MAX 32

struct control_file_state {
	struct rtpengine_table *table;
	bool has_query_result;
	struct rtpengine_counters query_result;
};

struct counters_snapshot {
	size_t length;                   /* bytes used in records */
	struct rtpengine_counters records[];
};

static struct rtpengine_table __rcu *tables[RTPENGINE_MAX_TABLES];
static DEFINE_MUTEX(tables_mutex);       /* serialises table creation and destruction */
static struct proc_dir_entry *proc_root;

/* Who may use /proc/rtpengine: by default root alone. The daemon runs as an unprivileged
 * user (the rtpengine-daemon unit's User=), so rtpengine-iptables-setup loads the module
 * with that user and group; the names are those of upstream's module parameters. */
static uint proc_uid;
module_param(proc_uid, uint, 0444);
MODULE_PARM_DESC(proc_uid, "owner (user id) of the /proc/rtpengine files");
static uint proc_gid;
module_param(proc_gid, uint, 0444);
MODULE_PARM_DESC(proc_gid, "group (group id) of the /proc/rtpengine files");
static uint proc_mask;
module_param(proc_mask, uint, 0444);
MODULE_PARM_DESC(proc_mask, "access the group gets to the /proc/rtpengine files (4 read, 2 write), "
		 "at most the owner's");

/* ---------------------------------------------------------------- addresses */

static u32 address_hash(const struct rtpengine_address *address)
{
	return jhash(address->address, sizeof(address->address),
		     ((u32)address->port << 16) | address->family) & (RTPENGINE_HASH_BUCKETS - 1);
}

static bool address_equal(const struct rtpengine_address *a, const struct rtpengine_address *b)
{
	return a->family == b->family && a->port == b->port &&
		memcmp(a->address, b->address, sizeof(a->address)) == 0;
}

static int validate_address(const struct rtpengine_address *address, bool may_be_unset,
			    bool port_may_be_zero, const char **reason)
{
	if (address->reserved) {
		*reason = "address reserved field not zero";
		return -EINVAL;
	}
	switch (address->family) {
	case RTPENGINE_FAMILY_NONE:
		if (!may_be_unset) {
			*reason = "address family missing";
			return -EINVAL;
		}
		if (address->port || memchr_inv(address->address, 0, sizeof(address->address))) {
			*reason = "unset address with non-zero bytes";
			return -EINVAL;
		}
		return 0;
	case RTPENGINE_FAMILY_IPV4:
		if (memchr_inv(address->address + 4, 0, sizeof(address->address) - 4)) {
			*reason = "IPv4 address with bytes beyond the first four";
			return -EINVAL;
		}
		break;
	case RTPENGINE_FAMILY_IPV6:
		break;
	default:
		*reason = "unknown address family";
		return -EINVAL;
	}
	if (!port_may_be_zero && !address->port) {
		*reason = "port 0";
		return -EINVAL;
	}
	return 0;
}

static int validate_target(const struct rtpengine_target *target, const char **reason)
{
	int err;

	err = validate_address(&target->local, false, false, reason);
	if (err)
		return err;
	err = validate_address(&target->expected_source, true, true, reason);
	if (err)
		return err;
	err = validate_address(&target->output_source, false, false, reason);
	if (err)
		return err;
	err = validate_address(&target->destination, false, false, reason);
	if (err)
		return err;
	if (target->expected_source.family != RTPENGINE_FAMILY_NONE &&
	    target->expected_source.family != target->local.family) {
		*reason = "expected source and local address of different families";
		return -EINVAL;
	}
	if (target->output_source.family != target->destination.family) {
		*reason = "output source and destination of different families";
		return -EINVAL;
	}
	if (target->destination.family == target->local.family &&
	    target->destination.port == target->local.port &&
	    !memcmp(target->destination.address, target->local.address, sizeof(target->local.address))) {
		*reason = "destination equals the local address (a forwarding loop)";
		return -EINVAL;
	}
	if (!memchr_inv(target->destination.address, 0, sizeof(target->destination.address))) {
		*reason = "destination address is all zero";
		return -EINVAL;
	}
	if (target->flags & ~RTPENGINE_TARGET_KNOWN_FLAGS) {
		*reason = "unknown target flags";
		return -EINVAL;
	}
	if (target->tos < -1 || target->tos > 255) {
		*reason = "tos out of range -1..255";
		return -EINVAL;
	}
	if (target->reserved[0] || target->reserved[1]) {
		*reason = "target reserved fields not zero";
		return -EINVAL;
	}
	err = rtpengine_srtp_validate(&target->decrypt, reason);
	if (!err)
		err = rtpengine_srtp_validate(&target->encrypt, reason);
	if (err)
		return err;
	if (rtpengine_srtp_wanted(target) && !(target->flags & RTPENGINE_TARGET_RTP)) {
		*reason = "SRTP target without the RTP flag";
		return -EINVAL;
	}
	return rtpengine_clock_rates_validate(target->clock_rates, reason);
}

/* Checks everything in a record except what the command's own handler checks. */
static int validate_command(const struct rtpengine_command *command, const char **reason)
{
	size_t used;

	if (command->magic != RTPENGINE_COMMAND_MAGIC) {
		*reason = "bad magic (not an rtpengine command)";
		return -EINVAL;
	}
	if (command->abi_version != RTPENGINE_ABI_VERSION) {
		*reason = "ABI version mismatch (daemon and module built from different versions)";
		return -EINVAL;
	}
	if (command->length != sizeof(*command) || command->reserved) {
		*reason = "bad record length or reserved field";
		return -EINVAL;
	}
	switch (command->type) {
	case RTPENGINE_COMMAND_ADD_TARGET:
		used = sizeof(command->u.target);
		break;
	case RTPENGINE_COMMAND_DELETE_TARGET:
	case RTPENGINE_COMMAND_QUERY_TARGET:
		used = sizeof(command->u.local);
		break;
	case RTPENGINE_COMMAND_FLUSH:
		used = 0;
		break;
	default:
		*reason = "unknown command type";
		return -EINVAL;
	}
	if (memchr_inv(command->u.padding + used, 0, sizeof(command->u.padding) - used)) {
		*reason = "non-zero bytes after the command's data";
		return -EINVAL;
	}
	if (command->type == RTPENGINE_COMMAND_DELETE_TARGET ||
	    command->type == RTPENGINE_COMMAND_QUERY_TARGET)
		return validate_address(&command->u.local, false, false, reason);
	return 0;
}

/* ---------------------------------------------------------------- entries */

static void entry_free_rcu(struct rcu_head *head)
{
	struct rtpengine_entry *entry = container_of(head, struct rtpengine_entry, rcu);

	dst_cache_destroy(&entry->route_cache);
	if (entry->owns_stats)
		kfree(entry->stats);
	if (entry->owns_srtp)
		rtpengine_srtp_session_free(entry->srtp);
	kfree(entry);
}

static struct rtpengine_entry *entry_find_locked(struct rtpengine_table *table,
						 const struct rtpengine_address *local)
{
	struct rtpengine_entry *entry;

	hlist_for_each_entry(entry, &table->buckets[address_hash(local)], node)
		if (address_equal(&entry->target.local, local))
			return entry;
	return NULL;
}

static void stats_snapshot(const struct rtpengine_entry *entry, struct rtpengine_counters *out)
{
	const struct rtpengine_stats *stats = entry->stats;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->local = entry->target.local;
	out->packets = atomic64_read(&stats->packets);
	out->bytes = atomic64_read(&stats->bytes);
	out->errors = atomic64_read(&stats->errors);
	out->passed_up = atomic64_read(&stats->passed_up);
	out->last_packet_unix_ns = atomic64_read(&stats->last_packet_unix_ns);
	out->srtp_auth_failures = atomic64_read(&stats->srtp_auth_failures);
	out->srtp_replays = atomic64_read(&stats->srtp_replays);
	if (entry->srtp)
		rtpengine_srtp_session_snapshot(entry->srtp, out);
	rtpengine_rtp_stats_snapshot(&entry->stats->rtp, out->rtp);
	for (i = 0; i < RTPENGINE_SSRC_SLOTS; i++) {
		s64 key = atomic64_read(&stats->ssrc_keys[i]);

		if (!key)
			continue;
		out->ssrcs[i].used = 1;
		out->ssrcs[i].ssrc = (u32)key;
		out->ssrcs[i].packets = atomic64_read(&stats->ssrc_packets[i]);
	}
	for (i = 0; i < RTPENGINE_PAYLOAD_TYPE_SLOTS; i++) {
		int key = atomic_read(&stats->payload_type_keys[i]);

		if (!key)
			continue;
		out->payload_types[i].used = 1;
		out->payload_types[i].payload_type = key & 0x7f;
		out->payload_types[i].packets = atomic64_read(&stats->payload_type_packets[i]);
	}
}

static int table_add_target(struct rtpengine_table *table, const struct rtpengine_target *target)
{
	struct rtpengine_entry *entry, *old;
	int err;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	entry->target = *target;
	err = dst_cache_init(&entry->route_cache, GFP_KERNEL);
	if (err) {
		kfree(entry);
		return err;
	}
	entry->stats = kzalloc(sizeof(*entry->stats), GFP_KERNEL);
	if (!entry->stats) {
		dst_cache_destroy(&entry->route_cache);
		kfree(entry);
		return -ENOMEM;
	}
	entry->owns_stats = true;
	rtpengine_rtp_stats_init(&entry->stats->rtp);
	if (rtpengine_srtp_wanted(target)) {
		entry->srtp = rtpengine_srtp_session_create(target);
		if (IS_ERR(entry->srtp)) {
			err = PTR_ERR(entry->srtp);
			entry->srtp = NULL;
			pr_warn_ratelimited("table %u: SRTP setup failed: %d\n", table->id, err);
			entry_free_rcu(&entry->rcu);
			return err;
		}
		entry->owns_srtp = true;
	}

	spin_lock_bh(&table->lock);
	old = entry_find_locked(table, &target->local);
	if (old) {
		/* Update: the successor takes over the counters; readers still on `old`
		 * keep counting into the same object until the grace period ends. */
		kfree(entry->stats);
		entry->stats = old->stats;
		old->owns_stats = false;
		/* Same keys: the rollover counters and replay windows the kernel advanced
		 * are newer than what the daemon sent, so the session carries over too. */
		if (entry->srtp && old->srtp && old->owns_srtp &&
		    rtpengine_srtp_session_same_keys(old->srtp, target)) {
			rtpengine_srtp_session_free(entry->srtp);
			entry->srtp = old->srtp;
			old->owns_srtp = false;
		} else if (old->srtp) {
			rtpengine_srtp_session_retire(old->srtp, NULL);
		}
		hlist_replace_rcu(&old->node, &entry->node);
	} else if (table->target_count >= RTPENGINE_MAX_TARGETS) {
		spin_unlock_bh(&table->lock);
		entry_free_rcu(&entry->rcu);
		return -ENOSPC;
	} else {
		hlist_add_head_rcu(&entry->node, &table->buckets[address_hash(&target->local)]);
		table->target_count++;
	}
	spin_unlock_bh(&table->lock);
	if (old)
		call_rcu(&old->rcu, entry_free_rcu);
	return 0;
}

/* The final counters and SRTP state go to *out: once the session is retired no packet
 * changes it any more (later ones go up to the daemon), so the daemon continues exactly
 * where the kernel stopped. */
static int table_delete_target(struct rtpengine_table *table, const struct rtpengine_address *local,
			       struct rtpengine_counters *out)
{
	struct rtpengine_entry *entry;

	spin_lock_bh(&table->lock);
	entry = entry_find_locked(table, local);
	if (entry) {
		hlist_del_rcu(&entry->node);
		table->target_count--;
		if (entry->srtp)
			rtpengine_srtp_session_retire(entry->srtp, NULL);
		stats_snapshot(entry, out);
	}
	spin_unlock_bh(&table->lock);
	if (!entry)
		return -ENOENT;
	call_rcu(&entry->rcu, entry_free_rcu);
	return 0;
}

static void table_flush(struct rtpengine_table *table)
{
	struct rtpengine_entry *entry;
	struct hlist_node *next;
	unsigned int bucket;

	spin_lock_bh(&table->lock);
	for (bucket = 0; bucket < RTPENGINE_HASH_BUCKETS; bucket++) {
		hlist_for_each_entry_safe(entry, next, &table->buckets[bucket], node) {
			hlist_del_rcu(&entry->node);
			if (entry->srtp)
				rtpengine_srtp_session_retire(entry->srtp, NULL);
			call_rcu(&entry->rcu, entry_free_rcu);
		}
	}
	table->target_count = 0;
	spin_unlock_bh(&table->lock);
}

static int table_query_target(struct rtpengine_table *table, const struct rtpengine_address *local,
			      struct rtpengine_counters *out)
{
	struct rtpengine_entry *entry;
	int err = -ENOENT;

	spin_lock_bh(&table->lock);
	entry = entry_find_locked(table, local);
	if (entry) {
		stats_snapshot(entry, out);
		err = 0;
	}
	spin_unlock_bh(&table->lock);
	return err;
}

/* ---------------------------------------------------------------- /proc/rtpengine/N/control */

static int execute_command(struct control_file_state *state, const struct rtpengine_command *command)
{
	const char *reason = NULL;
	int err;

	err = validate_command(command, &reason);
	if (!err && command->type == RTPENGINE_COMMAND_ADD_TARGET)
		err = validate_target(&command->u.target, &reason);
	if (err) {
		pr_warn_ratelimited("table %u: rejected command: %s\n", state->table->id, reason);
		return err;
	}
	switch (command->type) {
	case RTPENGINE_COMMAND_ADD_TARGET:
		return table_add_target(state->table, &command->u.target);
	case RTPENGINE_COMMAND_DELETE_TARGET:
		err = table_delete_target(state->table, &command->u.local, &state->query_result);
		state->has_query_result = err == 0;
		return err;
	case RTPENGINE_COMMAND_QUERY_TARGET:
		err = table_query_target(state->table, &command->u.local, &state->query_result);
		state->has_query_result = err == 0;
		return err;
	case RTPENGINE_COMMAND_FLUSH:
		table_flush(state->table);
		return 0;
	}
	return -EINVAL;
}

static int table_control_open(struct inode *inode, struct file *file)
{
	struct rtpengine_table *table = pde_data(inode);
	struct control_file_state *state;

	state = kzalloc(sizeof(*state), GFP_KERNEL);
	if (!state)
		return -ENOMEM;
	spin_lock_bh(&table->lock);
	if (table->dying) {
		spin_unlock_bh(&table->lock);
		kfree(state);
		return -ENOENT;
	}
	table->control_users++;
	spin_unlock_bh(&table->lock);
	state->table = table;
	file->private_data = state;
	return 0;
}

static int table_control_release(struct inode *inode, struct file *file)
{
	struct control_file_state *state = file->private_data;

	spin_lock_bh(&state->table->lock);
	state->table->control_users--;
	spin_unlock_bh(&state->table->lock);
	kfree(state);
	return 0;
}

static ssize_t table_control_write(struct file *file, const char __user *buffer, size_t length,
				   loff_t *offset)
{
	struct control_file_state *state = file->private_data;
	struct rtpengine_command command;
	size_t done = 0;
	int err = 0;

	if (length == 0 || length % sizeof(command) ||
	    length / sizeof(command) > RTPENGINE_MAX_COMMANDS_PER_WRITE) {
		pr_warn_ratelimited("table %u: rejected write of %zu bytes: not a multiple of the "
				    "%zu-byte ABI v%u record (daemon and module versions differ?)\n",
				    state->table->id, length, sizeof(command), RTPENGINE_ABI_VERSION);
		return -EINVAL;
	}
	while (done < length) {
		if (copy_from_user(&command, buffer + done, sizeof(command))) {
			err = -EFAULT;
			break;
		}
		err = execute_command(state, &command);
		if (err)
			break;
		done += sizeof(command);
	}
	/* Report partial success like any write(): the caller resubmits from the failure. */
	return done ? (ssize_t)done : err;
}

static ssize_t table_control_read(struct file *file, char __user *buffer, size_t length,
				  loff_t *offset)
{
	struct control_file_state *state = file->private_data;

	if (!state->has_query_result)
		return 0;
	if (length < sizeof(state->query_result))
		return -EINVAL;
	if (copy_to_user(buffer, &state->query_result, sizeof(state->query_result)))
		return -EFAULT;
	state->has_query_result = false;
	return sizeof(state->query_result);
}

static const struct proc_ops table_control_ops = {
	.proc_open = table_control_open,
	.proc_release = table_control_release,
	.proc_write = table_control_write,
	.proc_read = table_control_read,
	.proc_lseek = noop_llseek,
};

/* ---------------------------------------------------------------- list, status, counters */

static void show_address(struct seq_file *seq, const char *label, const struct rtpengine_address *address)
{
	seq_printf(seq, "    %-16s", label);
	if (address->family == RTPENGINE_FAMILY_IPV4)
		seq_printf(seq, "%pI4:%u\n", address->address, ntohs(address->port));
	else if (address->family == RTPENGINE_FAMILY_IPV6)
		seq_printf(seq, "[%pI6c]:%u\n", address->address, ntohs(address->port));
	else
		seq_puts(seq, "any\n");
}

static int table_list_show(struct seq_file *seq, void *unused)
{
	struct rtpengine_table *table = seq->private;
	struct rtpengine_counters counters;
	struct rtpengine_entry *entry;
	unsigned int bucket, i;

	rcu_read_lock();
	for (bucket = 0; bucket < RTPENGINE_HASH_BUCKETS; bucket++) {
		hlist_for_each_entry_rcu(entry, &table->buckets[bucket], node) {
			const struct rtpengine_target *target = &entry->target;

			stats_snapshot(entry, &counters);
			seq_puts(seq, "target\n");
			show_address(seq, "local", &target->local);
			show_address(seq, "expected-source", &target->expected_source);
			show_address(seq, "output-source", &target->output_source);
			show_address(seq, "destination", &target->destination);
			seq_printf(seq, "    flags           %s%s%s\n    tos             %d\n",
				   target->flags & RTPENGINE_TARGET_RTP ? "rtp " : "",
				   target->flags & RTPENGINE_TARGET_RTCP ? "rtcp " : "",
				   target->flags & RTPENGINE_TARGET_STRICT_SOURCE ? "strict-source" : "",
				   target->tos);
			seq_printf(seq, "    packets %llu bytes %llu errors %llu passed-up %llu last-packet-ns %llu\n",
				   counters.packets, counters.bytes, counters.errors, counters.passed_up,
				   counters.last_packet_unix_ns);
			if (entry->srtp) {
				static const char *const ciphers[] = { "none", "null", "aes-cm", "aes-gcm" };

				seq_printf(seq, "    srtp decrypt %s/%u encrypt %s/%u auth-failures %llu replays %llu\n",
					   ciphers[target->decrypt.cipher & 3], target->decrypt.cipher_key_length,
					   ciphers[target->encrypt.cipher & 3], target->encrypt.cipher_key_length,
					   counters.srtp_auth_failures, counters.srtp_replays);
				for (i = 0; i < RTPENGINE_SRTP_SSRC_SLOTS; i++) {
					if (counters.decrypt_ssrcs[i].used)
						seq_printf(seq, "    srtp-in ssrc 0x%08x index %llu\n",
							   counters.decrypt_ssrcs[i].ssrc,
							   counters.decrypt_ssrcs[i].highest_index);
					if (counters.encrypt_ssrcs[i].used)
						seq_printf(seq, "    srtp-out ssrc 0x%08x index %llu\n",
							   counters.encrypt_ssrcs[i].ssrc,
							   counters.encrypt_ssrcs[i].highest_index);
				}
			}
			for (i = 0; i < RTPENGINE_SSRC_SLOTS; i++)
				if (counters.ssrcs[i].used)
					seq_printf(seq, "    ssrc 0x%08x packets %llu\n",
						   counters.ssrcs[i].ssrc, counters.ssrcs[i].packets);
			for (i = 0; i < RTPENGINE_SSRC_SLOTS; i++)
				if (counters.rtp[i].used)
					seq_printf(seq, "    rtp ssrc 0x%08x packets %llu octets %llu sequence %u..%u "
						   "duplicates %llu reordered %llu jitter-us %llu clock-rate %u\n",
						   counters.rtp[i].ssrc, counters.rtp[i].packets, counters.rtp[i].octets,
						   counters.rtp[i].first_sequence, counters.rtp[i].highest_sequence,
						   counters.rtp[i].duplicates, counters.rtp[i].reordered,
						   counters.rtp[i].jitter_us16 / 16, counters.rtp[i].clock_rate);
			for (i = 0; i < RTPENGINE_PAYLOAD_TYPE_SLOTS; i++)
				if (counters.payload_types[i].used)
					seq_printf(seq, "    payload-type %u packets %llu\n",
						   counters.payload_types[i].payload_type,
						   counters.payload_types[i].packets);
		}
	}
	rcu_read_unlock();
	return 0;
}

static int table_list_open(struct inode *inode, struct file *file)
{
	return single_open(file, table_list_show, pde_data(inode));
}

static const struct proc_ops table_list_ops = {
	.proc_open = table_list_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static int table_status_show(struct seq_file *seq, void *unused)
{
	struct rtpengine_table *table = seq->private;
	unsigned int targets, users;

	spin_lock_bh(&table->lock);
	targets = table->target_count;
	users = table->control_users;
	spin_unlock_bh(&table->lock);
	/* The first line is what the daemon parses to check the ABI version. */
	seq_printf(seq, "abi-version %u\ntable %u\ntargets %u\ncontrol-users %u\nrecord-size %zu\n",
		   RTPENGINE_ABI_VERSION, table->id, targets, users, sizeof(struct rtpengine_command));
	return 0;
}

static int table_status_open(struct inode *inode, struct file *file)
{
	return single_open(file, table_status_show, pde_data(inode));
}

static const struct proc_ops table_status_ops = {
	.proc_open = table_status_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/* The snapshot is taken at open so one open+read+close gives a consistent view of all
 * targets in as few system calls as the caller's buffer allows. */
static int table_counters_open(struct inode *inode, struct file *file)
{
	struct rtpengine_table *table = pde_data(inode);
	struct counters_snapshot *snapshot;
	struct rtpengine_entry *entry;
	unsigned int capacity, count = 0, bucket;

	spin_lock_bh(&table->lock);
	capacity = table->target_count;
	spin_unlock_bh(&table->lock);
	capacity += 64;  /* targets added between counting and walking are simply not seen */
	snapshot = kvmalloc(struct_size(snapshot, records, capacity), GFP_KERNEL);
	if (!snapshot)
		return -ENOMEM;

	rcu_read_lock();
	for (bucket = 0; bucket < RTPENGINE_HASH_BUCKETS && count < capacity; bucket++)
		hlist_for_each_entry_rcu(entry, &table->buckets[bucket], node) {
			if (count >= capacity)
				break;
			stats_snapshot(entry, &snapshot->records[count++]);
		}
	rcu_read_unlock();
	snapshot->length = count * sizeof(snapshot->records[0]);
	file->private_data = snapshot;
	return 0;
}

static ssize_t table_counters_read(struct file *file, char __user *buffer, size_t length,
				   loff_t *offset)
{
	struct counters_snapshot *snapshot = file->private_data;

	return simple_read_from_buffer(buffer, length, offset, snapshot->records, snapshot->length);
}

static int table_counters_release(struct inode *inode, struct file *file)
{
	kvfree(file->private_data);
	return 0;
}

static const struct proc_ops table_counters_ops = {
	.proc_open = table_counters_open,
	.proc_read = table_counters_read,
	.proc_lseek = default_llseek,
	.proc_release = table_counters_release,
};

/* ---------------------------------------------------------------- /proc ownership */

/* A file's mode with the group's bits from proc_mask, never more than the owner has. */
static umode_t proc_file_mode(umode_t owner_mode)
{
	return owner_mode | ((((owner_mode >> 6) & proc_mask & 06)) << 3);
}

static struct proc_dir_entry *proc_owned(struct proc_dir_entry *entry)
{
	kuid_t uid = make_kuid(&init_user_ns, proc_uid);
	kgid_t gid = make_kgid(&init_user_ns, proc_gid);

	if (entry && uid_valid(uid) && gid_valid(gid))
		proc_set_user(entry, uid, gid);
	return entry;
}

static struct proc_dir_entry *proc_create_owned(const char *name, umode_t mode, struct proc_dir_entry *parent,
						const struct proc_ops *ops, void *data)
{
	return proc_owned(proc_create_data(name, proc_file_mode(mode), parent, ops, data));
}

/* ---------------------------------------------------------------- tables */

static void table_free_rcu(struct rcu_head *head)
{
	kvfree(container_of(head, struct rtpengine_table, rcu));
}

static int table_create(unsigned int id)
{
	struct rtpengine_table *table;
	char name[16];

	lockdep_assert_held(&tables_mutex);
	if (rcu_access_pointer(tables[id]))
		return -EEXIST;
	table = kvzalloc(sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table->id = id;
	spin_lock_init(&table->lock);
	snprintf(name, sizeof(name), "%u", id);
	table->proc_dir = proc_owned(proc_mkdir(name, proc_root));
	if (!table->proc_dir)
		goto fail;
	if (!proc_create_owned("control", 0600, table->proc_dir, &table_control_ops, table) ||
	    !proc_create_owned("list", 0444, table->proc_dir, &table_list_ops, table) ||
	    !proc_create_owned("status", 0444, table->proc_dir, &table_status_ops, table) ||
	    !proc_create_owned("counters", 0400, table->proc_dir, &table_counters_ops, table))
		goto fail;
	rcu_assign_pointer(tables[id], table);
	pr_info("table %u created\n", id);
	return 0;

fail:
	proc_remove(table->proc_dir);
	kvfree(table);
	return -ENOMEM;
}

static int table_destroy(unsigned int id)
{
	struct rtpengine_table *table;

	lockdep_assert_held(&tables_mutex);
	table = rcu_dereference_protected(tables[id], lockdep_is_held(&tables_mutex));
	if (!table)
		return -ENOENT;
	spin_lock_bh(&table->lock);
	if (table->control_users) {
		spin_unlock_bh(&table->lock);
		pr_warn("table %u not deleted: a daemon has its control file open\n", id);
		return -EBUSY;
	}
	table->dying = true;
	spin_unlock_bh(&table->lock);

	RCU_INIT_POINTER(tables[id], NULL);
	/* Waits for running /proc handlers of this table and closes its open files. */
	proc_remove(table->proc_dir);
	table_flush(table);
	call_rcu(&table->rcu, table_free_rcu);
	pr_info("table %u deleted\n", id);
	return 0;
}

/* ---------------------------------------------------------------- /proc/rtpengine/control */

/* Parses "add N" / "del N" (one optional trailing newline): digits only, so "-0" or "0x1"
 * are refused rather than silently read as some table. */
static int parse_global_command(char *text, bool *add, unsigned int *id)
{
	char *number;

	if (!strncmp(text, "add ", 4))
		*add = true;
	else if (!strncmp(text, "del ", 4))
		*add = false;
	else
		return -EINVAL;
	number = text + 4;
	if (!isdigit(*number))
		return -EINVAL;
	/* kstrtouint accepts exactly one trailing newline and nothing else. */
	if (kstrtouint(number, 10, id) || *id >= RTPENGINE_MAX_TABLES)
		return -EINVAL;
	return 0;
}

static ssize_t global_control_write(struct file *file, const char __user *buffer, size_t length,
				    loff_t *offset)
{
	char text[RTPENGINE_GLOBAL_COMMAND_MAX + 1];
	unsigned int id;
	bool add;
	int err;

	if (length == 0 || length > RTPENGINE_GLOBAL_COMMAND_MAX) {
		pr_warn_ratelimited("control: rejected write of %zu bytes\n", length);
		return -EINVAL;
	}
	if (copy_from_user(text, buffer, length))
		return -EFAULT;
	text[length] = '\0';
	if (parse_global_command(text, &add, &id)) {
		pr_warn_ratelimited("control: rejected command (expected \"add N\" or \"del N\", "
				    "0 <= N < %u)\n", RTPENGINE_MAX_TABLES);
		return -EINVAL;
	}
	mutex_lock(&tables_mutex);
	err = add ? table_create(id) : table_destroy(id);
	mutex_unlock(&tables_mutex);
	return err ? err : (ssize_t)length;
}

static const struct proc_ops global_control_ops = {
	.proc_write = global_control_write,
	.proc_lseek = noop_llseek,
};

/* ---------------------------------------------------------------- public */

struct rtpengine_entry *rtpengine_lookup(unsigned int table_id, const struct rtpengine_address *key)
{
	struct rtpengine_table *table;
	struct rtpengine_entry *entry;

	if (table_id >= RTPENGINE_MAX_TABLES)
		return NULL;
	table = rcu_dereference(tables[table_id]);
	if (!table)
		return NULL;
	hlist_for_each_entry_rcu(entry, &table->buckets[address_hash(key)], node)
		if (address_equal(&entry->target.local, key))
			return entry;
	return NULL;
}

int rtpengine_tables_init(void)
{
	proc_root = proc_owned(proc_mkdir("rtpengine", NULL));
	if (!proc_root)
		return -ENOMEM;
	if (!proc_create_owned("control", 0200, proc_root, &global_control_ops, NULL)) {
		proc_remove(proc_root);
		return -ENOMEM;
	}
	return 0;
}

/* Called after the xtables target is gone, so no packet can reach a table any more. */
void rtpengine_tables_exit(void)
{
	struct rtpengine_table *table;
	unsigned int id;

	/* Runs down every open /proc file first: no handler touches a table after this. */
	proc_remove(proc_root);
	mutex_lock(&tables_mutex);
	for (id = 0; id < RTPENGINE_MAX_TABLES; id++) {
		table = rcu_dereference_protected(tables[id], lockdep_is_held(&tables_mutex));
		if (!table)
			continue;
		RCU_INIT_POINTER(tables[id], NULL);
		table_flush(table);
		call_rcu(&table->rcu, table_free_rcu);
	}
	mutex_unlock(&tables_mutex);
	/* Every entry_free_rcu/table_free_rcu must have run before the module's code goes. */
	rcu_barrier();
}
