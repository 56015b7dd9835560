// SPDX-License-Identifier: GPL-2.0
/*
 * Call recording in the kernel (ABI v4, README.md "Call recording"): recorded streams as
 * files under /proc/rtpengine/N/calls/CALL/STREAM, fed from the forwarding path.
 *
 * Upstream 10.5's rtpengine-recording opens /proc/rtpengine/N/calls/PARENT/NAME (PARENT and
 * NAME from the daemon's metadata spool), O_NONBLOCK, polls it and reads one packet per
 * read(): an IPv4 or IPv6 header (source = the sender, destination = our local address), a
 * UDP header and the plaintext RTP/RTCP. read() returns 0 once the stream is over. We keep
 * that contract: a buffer shorter than the packet gets its first bytes (the rest is gone).
 *
 * Every packet a target with record_stream forwards is copied (after SRTP decryption,
 * before re-encryption) into the stream's bounded queue in softirq context: one GFP_ATOMIC
 * allocation, a spinlock, never a wait; a full queue drops its oldest packet (counted, as
 * upstream does), a failed allocation drops the new one (counted). The daemon writes the
 * packets it relays in userspace (before the stream is in the kernel, RTCP) into the same
 * file: one write() = one packet in the same framing, validated.
 *
 * Lifetimes. A stream is reference counted: the table's registry (until DELETE_STREAM or
 * DELETE_CALL), each target recording into it, each open file. A call: the registry and
 * each of its streams. The last reference queues the object's free work, which removes its
 * /proc entry: never while a file is open (a sleeping poll()/epoll would keep pointing at
 * the stream's wait queue), so a deleted stream's file stays until its reader has read the
 * rest and closed it. Open files pin the module, so rmmod waits for readers (EBUSY); "del N"
 * of a table whose stream a reader holds open gets EBUSY after a short wait.
 */
#define pr_fmt(fmt) "xt_RTPENGINE: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>

#include "compat.h"
#include "rtpengine_internal.h"

#define IPV4_HEADER_LENGTH 20
#define IPV6_HEADER_LENGTH 40
#define UDP_HEADER_LENGTH 8
/* How long "del N" waits for readers to take the rest of a table's streams and close them. */
#define TABLE_CLOSE_WAIT (HZ)

struct rtpengine_recording_registry {
	struct mutex lock;               /* ids, names, closing */
	struct xarray calls;             /* call_id -> struct record_call, until deleted */
	struct xarray streams;           /* stream_id -> struct rtpengine_record_stream, until deleted */
	struct list_head all_calls;      /* every call object until freed: names stay taken */
	bool closing;
	struct proc_dir_entry *calls_dir;
	atomic_t alive;                  /* call and stream objects not freed yet */
	wait_queue_head_t idle;
	atomic64_t captured, injected, dropped;
	struct list_head orphan;         /* in orphans when a forced close could not free it */
};

struct record_call {
	struct kref ref;
	u32 id;
	struct rtpengine_recording_registry *registry;
	struct proc_dir_entry *dir;
	struct list_head node;           /* registry->all_calls */
	struct list_head streams;        /* every stream object of the call until freed */
	struct work_struct free_work;
	char name[RTPENGINE_RECORDING_NAME_SIZE];
};

struct record_packet {
	struct list_head list;
	unsigned int length;
	u8 data[];                       /* IP header, UDP header, payload */
};

struct rtpengine_record_stream {
	struct kref ref;
	u32 id;
	struct record_call *call;
	struct proc_dir_entry *file;
	struct list_head node;           /* call->streams, under the registry's lock */
	spinlock_t lock;                 /* the queue, eof, counters: softirq and readers */
	struct list_head packets;
	unsigned int queued, max_packets;
	bool eof;
	u64 captured, injected, dropped;
	wait_queue_head_t readers;
	struct work_struct free_work;
	char name[RTPENGINE_RECORDING_NAME_SIZE];
};

static struct workqueue_struct *free_queue;   /* ordered: a stream's file goes before its call's directory */
static DEFINE_MUTEX(proc_lock);               /* free work's proc_remove() vs the module's exit */
static bool proc_gone;                        /* /proc/rtpengine removed: nothing left to remove */
static LIST_HEAD(orphans);                    /* registries freed at module exit */

/* ---------------------------------------------------------------- freeing */

static void call_free_work(struct work_struct *work)
{
	struct record_call *call = container_of(work, struct record_call, free_work);
	struct rtpengine_recording_registry *registry = call->registry;

	mutex_lock(&proc_lock);
	if (!proc_gone)
		proc_remove(call->dir);
	mutex_unlock(&proc_lock);
	mutex_lock(&registry->lock);
	list_del(&call->node);
	mutex_unlock(&registry->lock);
	kfree(call);
	atomic_dec(&registry->alive);
	wake_up(&registry->idle);
}

static void call_release(struct kref *ref)
{
	struct record_call *call = container_of(ref, struct record_call, ref);

	queue_work(free_queue, &call->free_work);
}

static void call_put(struct record_call *call)
{
	kref_put(&call->ref, call_release);
}

static void free_packets(struct list_head *packets)
{
	struct record_packet *packet, *next;

	list_for_each_entry_safe(packet, next, packets, list)
		kfree(packet);
	INIT_LIST_HEAD(packets);
}

/* No file is open (each holds a reference), so nobody waits on stream->readers. */
static void stream_free_work(struct work_struct *work)
{
	struct rtpengine_record_stream *stream = container_of(work, struct rtpengine_record_stream, free_work);
	struct record_call *call = stream->call;
	struct rtpengine_recording_registry *registry = call->registry;

	mutex_lock(&proc_lock);
	if (!proc_gone)
		proc_remove(stream->file);
	mutex_unlock(&proc_lock);
	mutex_lock(&registry->lock);
	list_del(&stream->node);
	mutex_unlock(&registry->lock);
	free_packets(&stream->packets);
	kfree(stream);
	call_put(call);
	atomic_dec(&registry->alive);
	wake_up(&registry->idle);
}

static void stream_release(struct kref *ref)
{
	struct rtpengine_record_stream *stream = container_of(ref, struct rtpengine_record_stream, ref);

	queue_work(free_queue, &stream->free_work);
}

void rtpengine_recording_stream_put(struct rtpengine_record_stream *stream)
{
	if (stream)
		kref_put(&stream->ref, stream_release);
}

u32 rtpengine_recording_stream_id(const struct rtpengine_record_stream *stream)
{
	return stream->id;
}

/* Readers take what is queued, then get EOF. */
static void stream_end(struct rtpengine_record_stream *stream)
{
	spin_lock_bh(&stream->lock);
	stream->eof = true;
	spin_unlock_bh(&stream->lock);
	wake_up_interruptible_all(&stream->readers);
}

/* ---------------------------------------------------------------- the queue */

/* Appends a packet; returns -EPIPE (packet freed) once the stream is over. */
static int enqueue(struct rtpengine_record_stream *stream, struct record_packet *packet, bool injected)
{
	struct rtpengine_recording_registry *registry = stream->call->registry;
	struct record_packet *oldest = NULL;

	spin_lock_bh(&stream->lock);
	if (stream->eof) {
		spin_unlock_bh(&stream->lock);
		kfree(packet);
		return -EPIPE;
	}
	list_add_tail(&packet->list, &stream->packets);
	if (++stream->queued > stream->max_packets) {
		/* the reader is behind: as upstream, the oldest packet goes */
		oldest = list_first_entry(&stream->packets, struct record_packet, list);
		list_del(&oldest->list);
		stream->queued--;
		stream->dropped++;
	}
	if (injected)
		stream->injected++;
	else
		stream->captured++;
	spin_unlock_bh(&stream->lock);
	atomic64_inc(injected ? &registry->injected : &registry->captured);
	if (oldest) {
		atomic64_inc(&registry->dropped);
		kfree(oldest);
	}
	wake_up_interruptible(&stream->readers);
	return 0;
}

static void count_drop(struct rtpengine_record_stream *stream)
{
	spin_lock_bh(&stream->lock);
	stream->dropped++;
	spin_unlock_bh(&stream->lock);
	atomic64_inc(&stream->call->registry->dropped);
}

/* IP and UDP header from source to local for a payload of `length` bytes; returns the
 * headers' length. The UDP checksum is filled in when the packet is read (process context). */
static unsigned int write_headers(u8 *data, const struct rtpengine_address *source,
				  const struct rtpengine_address *local, unsigned int length)
{
	struct udphdr *udp;
	unsigned int ip_length;

	if (source->family == RTPENGINE_FAMILY_IPV4) {
		struct iphdr *ip = (struct iphdr *)data;

		ip_length = IPV4_HEADER_LENGTH;
		memset(ip, 0, ip_length);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(ip_length + UDP_HEADER_LENGTH + length);
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		memcpy(&ip->saddr, source->address, 4);
		memcpy(&ip->daddr, local->address, 4);
		ip->check = ip_fast_csum((u8 *)ip, ip->ihl);
	} else {
		struct ipv6hdr *ip = (struct ipv6hdr *)data;

		ip_length = IPV6_HEADER_LENGTH;
		memset(ip, 0, ip_length);
		ip->version = 6;
		ip->payload_len = htons(UDP_HEADER_LENGTH + length);
		ip->nexthdr = IPPROTO_UDP;
		ip->hop_limit = 64;
		memcpy(&ip->saddr, source->address, 16);
		memcpy(&ip->daddr, local->address, 16);
	}
	udp = (struct udphdr *)(data + ip_length);
	udp->source = source->port;
	udp->dest = local->port;
	udp->len = htons(UDP_HEADER_LENGTH + length);
	udp->check = 0;
	return ip_length + UDP_HEADER_LENGTH;
}

static struct record_packet *capture_alloc(struct rtpengine_record_stream *stream,
					   const struct rtpengine_address *source,
					   const struct rtpengine_address *local, unsigned int length,
					   unsigned int *payload_offset)
{
	unsigned int headers = (source->family == RTPENGINE_FAMILY_IPV4 ? IPV4_HEADER_LENGTH : IPV6_HEADER_LENGTH)
		+ UDP_HEADER_LENGTH;
	struct record_packet *packet;

	if (headers + length > RTPENGINE_RECORDING_MAX_PACKET || source->family != local->family) {
		count_drop(stream);
		return NULL;
	}
	packet = kmalloc(sizeof(*packet) + headers + length, GFP_ATOMIC);
	if (!packet) {
		count_drop(stream);
		return NULL;
	}
	packet->length = headers + length;
	*payload_offset = write_headers(packet->data, source, local, length);
	return packet;
}

void rtpengine_recording_capture(struct rtpengine_record_stream *stream, const struct rtpengine_address *source,
				 const struct rtpengine_address *local, const u8 *payload, unsigned int length)
{
	unsigned int offset;
	struct record_packet *packet = capture_alloc(stream, source, local, length, &offset);

	if (!packet)
		return;
	memcpy(packet->data + offset, payload, length);
	enqueue(stream, packet, false);
}

void rtpengine_recording_capture_skb(struct rtpengine_record_stream *stream, const struct rtpengine_address *source,
				     const struct rtpengine_address *local, const struct sk_buff *skb,
				     unsigned int skb_offset, unsigned int length)
{
	unsigned int offset;
	struct record_packet *packet = capture_alloc(stream, source, local, length, &offset);

	if (!packet)
		return;
	if (skb_copy_bits(skb, skb_offset, packet->data + offset, length)) {
		kfree(packet);
		count_drop(stream);
		return;
	}
	enqueue(stream, packet, false);
}

/* A packet the daemon wrote: IPv4 (no options needed, any IHL accepted) or IPv6 (no
 * extension headers), UDP, lengths consistent. */
static bool injected_packet_valid(const u8 *data, unsigned int length)
{
	unsigned int ip_length;

	if (length < IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH)
		return false;
	if ((data[0] >> 4) == 4) {
		const struct iphdr *ip = (const struct iphdr *)data;

		ip_length = ip->ihl * 4u;
		if (ip_length < IPV4_HEADER_LENGTH || ip_length + UDP_HEADER_LENGTH > length ||
		    ntohs(ip->tot_len) != length || ip->protocol != IPPROTO_UDP)
			return false;
	} else if ((data[0] >> 4) == 6) {
		const struct ipv6hdr *ip = (const struct ipv6hdr *)data;

		ip_length = IPV6_HEADER_LENGTH;
		if (length < ip_length + UDP_HEADER_LENGTH || ntohs(ip->payload_len) != length - ip_length ||
		    ip->nexthdr != IPPROTO_UDP)
			return false;
	} else {
		return false;
	}
	return ntohs(((const struct udphdr *)(data + ip_length))->len) == length - ip_length;
}

static void fill_udp_checksum(struct record_packet *packet)
{
	u8 *data = packet->data;
	struct udphdr *udp;
	unsigned int udp_length;
	__wsum sum;

	if ((data[0] >> 4) == 4) {
		struct iphdr *ip = (struct iphdr *)data;

		udp = (struct udphdr *)(data + ip->ihl * 4);
		udp_length = ntohs(udp->len);
		udp->check = 0;
		sum = csum_partial(udp, udp_length, 0);
		udp->check = csum_tcpudp_magic(ip->saddr, ip->daddr, udp_length, IPPROTO_UDP, sum);
	} else {
		struct ipv6hdr *ip = (struct ipv6hdr *)data;

		udp = (struct udphdr *)(data + IPV6_HEADER_LENGTH);
		udp_length = ntohs(udp->len);
		udp->check = 0;
		sum = csum_partial(udp, udp_length, 0);
		udp->check = csum_ipv6_magic(&ip->saddr, &ip->daddr, udp_length, IPPROTO_UDP, sum);
	}
	if (!udp->check)
		udp->check = CSUM_MANGLED_0;
}

/* ---------------------------------------------------------------- stream files */

static bool stream_readable(struct rtpengine_record_stream *stream)
{
	bool readable;

	spin_lock_bh(&stream->lock);
	readable = !list_empty(&stream->packets) || stream->eof;
	spin_unlock_bh(&stream->lock);
	return readable;
}

static int record_stream_open(struct inode *inode, struct file *file)
{
	struct rtpengine_record_stream *stream = pde_data(inode);
	bool eof;

	/* an open stream file pins the module: its wait queue must outlive every poller */
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	if (!kref_get_unless_zero(&stream->ref)) {
		module_put(THIS_MODULE);
		return -ENOENT;
	}
	spin_lock_bh(&stream->lock);
	eof = stream->eof;
	spin_unlock_bh(&stream->lock);
	if (eof) {
		rtpengine_recording_stream_put(stream);
		module_put(THIS_MODULE);
		return -ENOENT;
	}
	file->private_data = stream;
	return 0;
}

static int record_stream_close(struct inode *inode, struct file *file)
{
	rtpengine_recording_stream_put(file->private_data);
	module_put(THIS_MODULE);
	return 0;
}

static ssize_t record_stream_read(struct file *file, char __user *buffer, size_t length, loff_t *offset)
{
	struct rtpengine_record_stream *stream = file->private_data;
	struct record_packet *packet;
	size_t copy;
	bool more;

	spin_lock_bh(&stream->lock);
	while (list_empty(&stream->packets)) {
		bool eof = stream->eof;

		spin_unlock_bh(&stream->lock);
		if (eof)
			return 0;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(stream->readers, stream_readable(stream)))
			return -ERESTARTSYS;
		spin_lock_bh(&stream->lock);
	}
	packet = list_first_entry(&stream->packets, struct record_packet, list);
	list_del(&packet->list);
	stream->queued--;
	more = !list_empty(&stream->packets) || stream->eof;
	spin_unlock_bh(&stream->lock);
	/* 10.5's rtpengine-recording waits with edge-triggered epoll and reads one packet per
	 * event: without a new wake-up for what is left it would fall behind by every burst and
	 * never see the end of the stream */
	if (more)
		wake_up_interruptible(&stream->readers);

	fill_udp_checksum(packet);
	copy = min_t(size_t, length, packet->length);
	if (copy_to_user(buffer, packet->data, copy)) {
		kfree(packet);
		return -EFAULT;
	}
	kfree(packet);
	return copy;
}

static ssize_t record_stream_write(struct file *file, const char __user *buffer, size_t length, loff_t *offset)
{
	struct rtpengine_record_stream *stream = file->private_data;
	struct record_packet *packet;
	int err;

	if (length < IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH || length > RTPENGINE_RECORDING_MAX_PACKET) {
		pr_warn_ratelimited("recording stream %s: rejected write of %zu bytes (one IP/UDP packet "
				    "per write)\n", stream->name, length);
		return -EINVAL;
	}
	packet = kmalloc(sizeof(*packet) + length, GFP_KERNEL);
	if (!packet)
		return -ENOMEM;
	if (copy_from_user(packet->data, buffer, length)) {
		kfree(packet);
		return -EFAULT;
	}
	packet->length = length;
	if (!injected_packet_valid(packet->data, length)) {
		kfree(packet);
		pr_warn_ratelimited("recording stream %s: rejected write: not one IPv4/IPv6 UDP packet with "
				    "consistent lengths\n", stream->name);
		return -EINVAL;
	}
	err = enqueue(stream, packet, true);
	return err ? err : (ssize_t)length;
}

static __poll_t record_stream_poll(struct file *file, struct poll_table_struct *wait)
{
	struct rtpengine_record_stream *stream = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &stream->readers, wait);
	spin_lock_bh(&stream->lock);
	if (!list_empty(&stream->packets))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (stream->eof)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP;
	spin_unlock_bh(&stream->lock);
	return mask;
}

static const struct proc_ops stream_ops = {
	.proc_open = record_stream_open,
	.proc_release = record_stream_close,
	.proc_read = record_stream_read,
	.proc_write = record_stream_write,
	.proc_poll = record_stream_poll,
	.proc_lseek = noop_llseek,
};

/* ---------------------------------------------------------------- commands */

/* A /proc name: NUL-terminated within the field, not empty, no '/', not "." or "..", and
 * nothing after the NUL (the record's unused bytes are 0). */
static int validate_name(const char *name, const char **reason)
{
	size_t length = strnlen(name, RTPENGINE_RECORDING_NAME_SIZE);

	if (length == 0 || length == RTPENGINE_RECORDING_NAME_SIZE) {
		*reason = "recording name empty or not NUL-terminated";
		return -EINVAL;
	}
	if (memchr_inv(name + length, 0, RTPENGINE_RECORDING_NAME_SIZE - length)) {
		*reason = "recording name: non-zero bytes after its end";
		return -EINVAL;
	}
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		*reason = "recording name contains '/' or is \".\" or \"..\"";
		return -EINVAL;
	}
	return 0;
}

static int add_call(struct rtpengine_recording_registry *registry, const struct rtpengine_recording_call *info,
		    const char **reason)
{
	struct record_call *call, *other;
	int err;

	if (!info->call_id || info->reserved) {
		*reason = "recording call id 0 or reserved field not zero";
		return -EINVAL;
	}
	err = validate_name(info->name, reason);
	if (err)
		return err;
	call = kzalloc(sizeof(*call), GFP_KERNEL);
	if (!call)
		return -ENOMEM;
	kref_init(&call->ref);
	call->id = info->call_id;
	call->registry = registry;
	INIT_LIST_HEAD(&call->streams);
	INIT_WORK(&call->free_work, call_free_work);
	strscpy(call->name, info->name, sizeof(call->name));

	mutex_lock(&registry->lock);
	err = -ENOENT;
	if (registry->closing)
		goto fail;
	err = -EEXIST;
	*reason = "recording call name in use";
	list_for_each_entry(other, &registry->all_calls, node)
		if (!strcmp(other->name, call->name))
			goto fail;
	*reason = "recording call id in use";
	if (xa_insert(&registry->calls, call->id, call, GFP_KERNEL))
		goto fail;
	call->dir = rtpengine_proc_mkdir_owned(call->name, registry->calls_dir);
	if (!call->dir) {
		xa_erase(&registry->calls, call->id);
		*reason = "cannot create the call's /proc directory";
		err = -ENOMEM;
		goto fail;
	}
	list_add(&call->node, &registry->all_calls);
	atomic_inc(&registry->alive);
	mutex_unlock(&registry->lock);
	return 0;
fail:
	mutex_unlock(&registry->lock);
	kfree(call);
	return err;
}

static int add_stream(struct rtpengine_recording_registry *registry, const struct rtpengine_recording_stream *info,
		      const char **reason)
{
	struct rtpengine_record_stream *stream, *other;
	struct record_call *call;
	int err;

	if (!info->stream_id || !info->call_id || info->reserved ||
	    info->max_packets > RTPENGINE_RECORDING_MAX_PACKETS) {
		*reason = "recording stream: id 0, reserved field set or max_packets too large";
		return -EINVAL;
	}
	err = validate_name(info->name, reason);
	if (err)
		return err;
	stream = kzalloc(sizeof(*stream), GFP_KERNEL);
	if (!stream)
		return -ENOMEM;
	kref_init(&stream->ref);
	stream->id = info->stream_id;
	stream->max_packets = info->max_packets ?: RTPENGINE_RECORDING_DEFAULT_PACKETS;
	spin_lock_init(&stream->lock);
	INIT_LIST_HEAD(&stream->packets);
	init_waitqueue_head(&stream->readers);
	INIT_WORK(&stream->free_work, stream_free_work);
	strscpy(stream->name, info->name, sizeof(stream->name));

	mutex_lock(&registry->lock);
	err = -ENOENT;
	*reason = "recording stream for an unknown call";
	call = registry->closing ? NULL : xa_load(&registry->calls, info->call_id);
	if (!call)
		goto fail;
	err = -EEXIST;
	*reason = "recording stream name in use in its call";
	list_for_each_entry(other, &call->streams, node)
		if (!strcmp(other->name, stream->name))
			goto fail;
	*reason = "recording stream id in use";
	if (xa_insert(&registry->streams, stream->id, stream, GFP_KERNEL))
		goto fail;
	stream->call = call;
	stream->file = rtpengine_proc_create_owned(stream->name, 0640, call->dir, &stream_ops, stream);
	if (!stream->file) {
		xa_erase(&registry->streams, stream->id);
		*reason = "cannot create the stream's /proc file";
		err = -ENOMEM;
		goto fail;
	}
	kref_get(&call->ref);
	list_add(&stream->node, &call->streams);
	atomic_inc(&registry->alive);
	mutex_unlock(&registry->lock);
	return 0;
fail:
	mutex_unlock(&registry->lock);
	kfree(stream);
	return err;
}

/* Takes every stream of `call` (NULL: all) out of the registry; caller holds the lock and
 * puts what lands in `ended` after unlocking. */
static void take_streams(struct rtpengine_recording_registry *registry, struct record_call *call,
			 struct rtpengine_record_stream **ended, unsigned int *count, unsigned int capacity)
{
	struct rtpengine_record_stream *stream;
	unsigned long index;

	xa_for_each(&registry->streams, index, stream) {
		if (call && stream->call != call)
			continue;
		if (*count >= capacity)
			break;
		xa_erase(&registry->streams, index);
		ended[(*count)++] = stream;
	}
}

static void end_streams(struct rtpengine_record_stream **ended, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		stream_end(ended[i]);
		rtpengine_recording_stream_put(ended[i]);
	}
}

#define END_BATCH 64

static int delete_call(struct rtpengine_recording_registry *registry, u32 id)
{
	struct rtpengine_record_stream *ended[END_BATCH];
	struct record_call *call;
	unsigned int count;

	do {
		count = 0;
		mutex_lock(&registry->lock);
		call = xa_load(&registry->calls, id);
		if (!call) {
			mutex_unlock(&registry->lock);
			return -ENOENT;
		}
		take_streams(registry, call, ended, &count, END_BATCH);
		if (count < END_BATCH)
			xa_erase(&registry->calls, id);
		mutex_unlock(&registry->lock);
		end_streams(ended, count);
	} while (count == END_BATCH);
	call_put(call);
	return 0;
}

static int delete_stream(struct rtpengine_recording_registry *registry, u32 id)
{
	struct rtpengine_record_stream *stream;

	mutex_lock(&registry->lock);
	stream = xa_erase(&registry->streams, id);
	mutex_unlock(&registry->lock);
	if (!stream)
		return -ENOENT;
	end_streams(&stream, 1);
	return 0;
}

bool rtpengine_recording_command_known(u16 type, size_t *used)
{
	switch (type) {
	case RTPENGINE_COMMAND_ADD_CALL:
	case RTPENGINE_COMMAND_DELETE_CALL:
		*used = sizeof(struct rtpengine_recording_call);
		return true;
	case RTPENGINE_COMMAND_ADD_STREAM:
	case RTPENGINE_COMMAND_DELETE_STREAM:
		*used = sizeof(struct rtpengine_recording_stream);
		return true;
	}
	return false;
}

int rtpengine_recording_command(struct rtpengine_table *table, const struct rtpengine_command *command,
				const char **reason)
{
	struct rtpengine_recording_registry *registry = table->recording;
	const struct rtpengine_recording_call *call = &command->u.call;
	const struct rtpengine_recording_stream *stream = &command->u.stream;
	static const struct rtpengine_recording_stream no_stream_fields;

	switch (command->type) {
	case RTPENGINE_COMMAND_ADD_CALL:
		return add_call(registry, call, reason);
	case RTPENGINE_COMMAND_DELETE_CALL:
		if (!call->call_id || call->reserved || memchr_inv(call->name, 0, sizeof(call->name))) {
			*reason = "DELETE_CALL takes the call id alone";
			return -EINVAL;
		}
		*reason = "no such recording call";
		return delete_call(registry, call->call_id);
	case RTPENGINE_COMMAND_ADD_STREAM:
		return add_stream(registry, stream, reason);
	case RTPENGINE_COMMAND_DELETE_STREAM:
		if (!stream->stream_id || stream->call_id || stream->max_packets || stream->reserved ||
		    memcmp(stream->name, no_stream_fields.name, sizeof(stream->name))) {
			*reason = "DELETE_STREAM takes the stream id alone";
			return -EINVAL;
		}
		*reason = "no such recording stream";
		return delete_stream(registry, stream->stream_id);
	}
	*reason = "not a recording command";
	return -EINVAL;
}

struct rtpengine_record_stream *rtpengine_recording_stream_get(struct rtpengine_table *table, u32 id)
{
	struct rtpengine_recording_registry *registry = table->recording;
	struct rtpengine_record_stream *stream;

	mutex_lock(&registry->lock);
	stream = xa_load(&registry->streams, id);
	if (stream)
		kref_get(&stream->ref);
	mutex_unlock(&registry->lock);
	return stream ?: ERR_PTR(-ENOENT);
}

/* ---------------------------------------------------------------- tables */

int rtpengine_recording_table_open(struct rtpengine_table *table)
{
	struct rtpengine_recording_registry *registry = kzalloc(sizeof(*registry), GFP_KERNEL);

	if (!registry)
		return -ENOMEM;
	mutex_init(&registry->lock);
	xa_init(&registry->calls);
	xa_init(&registry->streams);
	INIT_LIST_HEAD(&registry->all_calls);
	INIT_LIST_HEAD(&registry->orphan);
	init_waitqueue_head(&registry->idle);
	registry->calls_dir = rtpengine_proc_mkdir_owned("calls", table->proc_dir);
	if (!registry->calls_dir) {
		kfree(registry);
		return -ENOMEM;
	}
	table->recording = registry;
	return 0;
}

static void registry_free(struct rtpengine_recording_registry *registry)
{
	xa_destroy(&registry->calls);
	xa_destroy(&registry->streams);
	kfree(registry);
}

/* Ends every stream and call of the registry (readers get the rest, then EOF). */
static void end_everything(struct rtpengine_recording_registry *registry)
{
	struct rtpengine_record_stream *ended[END_BATCH];
	struct record_call *call;
	unsigned long index;
	unsigned int count;

	do {
		count = 0;
		mutex_lock(&registry->lock);
		take_streams(registry, NULL, ended, &count, END_BATCH);
		mutex_unlock(&registry->lock);
		end_streams(ended, count);
	} while (count == END_BATCH);
	for (;;) {
		mutex_lock(&registry->lock);
		call = xa_find(&registry->calls, &index, ULONG_MAX, XA_PRESENT);
		if (call)
			xa_erase(&registry->calls, index);
		mutex_unlock(&registry->lock);
		if (!call)
			break;
		call_put(call);
	}
}

void rtpengine_recording_table_flush(struct rtpengine_table *table)
{
	if (table->recording)
		end_everything(table->recording);
}

/* The caller flushed the table's targets (their references go with their RCU callbacks). */
int rtpengine_recording_table_close(struct rtpengine_table *table, bool force)
{
	struct rtpengine_recording_registry *registry = table->recording;

	if (!registry)
		return 0;
	mutex_lock(&registry->lock);
	registry->closing = true;
	mutex_unlock(&registry->lock);
	end_everything(registry);
	/* the targets' references, then the free work they queued */
	rcu_barrier();
	flush_workqueue(free_queue);
	if (!force)
		wait_event_timeout(registry->idle, atomic_read(&registry->alive) == 0, TABLE_CLOSE_WAIT);
	flush_workqueue(free_queue);
	if (atomic_read(&registry->alive)) {
		if (force) {
			/* cannot happen (open files pin the module); never free under a user */
			pr_warn("table %u: recording objects still in use at exit\n", table->id);
			list_add(&registry->orphan, &orphans);
			table->recording = NULL;
			return 0;
		}
		mutex_lock(&registry->lock);
		registry->closing = false;
		mutex_unlock(&registry->lock);
		pr_warn("table %u not deleted: a reader still has a recorded stream open\n", table->id);
		return -EBUSY;
	}
	table->recording = NULL;
	registry_free(registry);
	return 0;
}

void rtpengine_recording_show_status(struct seq_file *seq, struct rtpengine_table *table)
{
	struct rtpengine_recording_registry *registry = table->recording;

	if (!registry)
		return;
	seq_printf(seq, "recording-objects %d\nrecorded-packets %llu\nrecording-injected %llu\n"
		   "recording-drops %llu\n", atomic_read(&registry->alive),
		   (unsigned long long)atomic64_read(&registry->captured),
		   (unsigned long long)atomic64_read(&registry->injected),
		   (unsigned long long)atomic64_read(&registry->dropped));
}

/* ---------------------------------------------------------------- module */

int rtpengine_recording_init(void)
{
	free_queue = alloc_ordered_workqueue("rtpengine_recording", 0);
	return free_queue ? 0 : -ENOMEM;
}

void rtpengine_recording_remove_proc(struct proc_dir_entry *root)
{
	mutex_lock(&proc_lock);
	proc_remove(root);
	proc_gone = true;
	mutex_unlock(&proc_lock);
}

void rtpengine_recording_exit(void)
{
	struct rtpengine_recording_registry *registry, *next;

	if (free_queue)
		destroy_workqueue(free_queue);
	free_queue = NULL;
	list_for_each_entry_safe(registry, next, &orphans, orphan) {
		if (atomic_read(&registry->alive) == 0)
			registry_free(registry);   /* else leaked: better than freed under a user */
	}
}
