/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the two halves of xt_RTPENGINE: rtpengine_tables.c (tables, targets and
 * the /proc interface) and rtpengine_forward.c (the xtables target and the packet path). */
#ifndef RTPENGINE_INTERNAL_H
#define RTPENGINE_INTERNAL_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <net/dst_cache.h>
#include <crypto/skcipher.h>
#include <crypto/hash.h>
#include <crypto/aead.h>

#include "xt_RTPENGINE_abi.h"
#include "rtpengine_aes_simd.h"

#define RTPENGINE_HASH_BITS 12
#define RTPENGINE_HASH_BUCKETS (1u << RTPENGINE_HASH_BITS)

/* Per-SSRC RTP statistics of one target (rtpengine_stats.c, ABI 3). */
struct rtpengine_rtp_ssrc_stats {
	spinlock_t lock;                 /* the packet path (softirq) and /proc readers */
	unsigned int last_slot;          /* the slot of the last packet's SSRC */
	u64 window;                      /* its last 64 sequence numbers: bit n = highest - n seen */
	struct rtpengine_rtp_stats slots[RTPENGINE_SSRC_SLOTS];
};

/* Counters of one target. Written by the packet path on any CPU (atomics, no lock), read
 * by /proc. A replaced target hands its counters to its successor, so they survive
 * updates. */
struct rtpengine_stats {
	atomic64_t packets;
	atomic64_t bytes;
	atomic64_t errors;
	atomic64_t passed_up;
	atomic64_t last_packet_unix_ns;
	/* Slot keys: 0 = free, else (1 << 32 | ssrc) resp. (0x100 | payload type); claimed
	 * with cmpxchg so two CPUs never share a slot for different values. */
	atomic64_t ssrc_keys[RTPENGINE_SSRC_SLOTS];
	atomic64_t ssrc_packets[RTPENGINE_SSRC_SLOTS];
	atomic_t payload_type_keys[RTPENGINE_PAYLOAD_TYPE_SLOTS];
	atomic64_t payload_type_packets[RTPENGINE_PAYLOAD_TYPE_SLOTS];
	atomic64_t srtp_auth_failures;
	atomic64_t srtp_replays;
	struct rtpengine_rtp_ssrc_stats rtp;   /* ABI 3 (kstats) */
};

/* Keyed crypto transforms of one SRTP side (rtpengine_srtp.c). */
struct rtpengine_srtp_transform {
	u8 cipher;                       /* enum rtpengine_srtp_cipher */
	u8 tag_length;
	u8 salt[14];
	struct crypto_sync_skcipher *ecb;    /* AES-CM: the packet's counter blocks in one call */
	struct crypto_shash *hmac;           /* AES-CM and NULL */
	struct crypto_aead *gcm;             /* AES-GCM */
	struct aead_request *gcm_request;    /* made with gcm, used under the session's lock */
	/* the CPU's internal implementations (NULL: none), used where crypto_simd_usable() */
	struct crypto_sync_skcipher *ctr_simd;   /* AES-CM: "__ctr(aes)" in place */
	struct crypto_aead *gcm_simd;            /* AES-GCM: "__gcm(aes)" */
	struct aead_request *gcm_simd_request;
	/* AES-NI + PCLMULQDQ of our own (rtpengine_aes_simd.c), preferred to all the above
	 * where crypto_simd_usable(); rounds 0: not keyed (no such CPU, AES-192, not x86-64) */
	struct rtpengine_aes_simd_key aes_simd;
};

/* AES-CM keystream made this many bytes at a time (a 20 ms voice packet: one chunk) */
#define RTPENGINE_SRTP_KEYSTREAM_CHUNK 512

/* SRTP of one target: keys and per-SSRC state. Like the counters, handed to a replacement
 * target that brings the same keys, so an update never resets a rollover counter. */
struct rtpengine_srtp_session {
	spinlock_t lock;                 /* the packet path (softirq) and /proc readers */
	bool dead;                       /* handed back to the daemon: packets go up */
	struct rtpengine_srtp_transform decrypt, encrypt;
	struct rtpengine_srtp decrypt_params, encrypt_params;   /* keys only, ssrcs zero */
	struct rtpengine_srtp_ssrc_state decrypt_ssrcs[RTPENGINE_SRTP_SSRC_SLOTS];
	struct rtpengine_srtp_ssrc_state encrypt_ssrcs[RTPENGINE_SRTP_SSRC_SLOTS];
	u8 keystream[RTPENGINE_SRTP_KEYSTREAM_CHUNK];   /* AES-CM counter blocks, under lock */
};

struct rtpengine_entry {
	struct hlist_node node;          /* in the table's bucket, RCU */
	struct rcu_head rcu;
	struct rtpengine_target target;  /* validated copy of what the daemon wrote */
	struct rtpengine_stats *stats;
	bool owns_stats;                 /* false once handed to a replacement */
	struct rtpengine_srtp_session *srtp;   /* NULL: plain RTP both sides */
	bool owns_srtp;                  /* false once handed to a replacement */
	struct dst_cache route_cache;    /* per-CPU cached route to target.destination */
	struct rtpengine_record_stream *record_stream;   /* holds a reference; NULL: not recorded */
};

struct rtpengine_table {
	unsigned int id;
	spinlock_t lock;                 /* writers: buckets, target_count, control_users, dying */
	unsigned int target_count;
	unsigned int control_users;      /* open /proc/rtpengine/N/control files */
	bool dying;                      /* "del N" in progress: no new control opens */
	struct proc_dir_entry *proc_dir;
	struct rcu_head rcu;
	struct rtpengine_recording_registry *recording;   /* rtpengine_recording.c */
	struct hlist_head buckets[RTPENGINE_HASH_BUCKETS];
};

/* The packet path: looks up table `id` and the target for local address `key`. Caller
 * holds rcu_read_lock(); the result is valid until it drops it. */
struct rtpengine_entry *rtpengine_lookup(unsigned int table_id, const struct rtpengine_address *key);

/* The cost probe of measurement builds (rtpengine_forward.c): guest time of a statement
 * added to a counter; nothing in normal builds. */
#ifdef RTPENGINE_COST_PROBE
u64 cost_clock(void);
extern unsigned long cost_cipher_ns, cost_hmac_ns;
#define COST_PROBE(counter, statement) do { \
		u64 probe_start = cost_clock(); \
		statement; \
		counter += cost_clock() - probe_start; \
	} while (0)
#else
#define COST_PROBE(counter, statement) do { statement; } while (0)
#endif

/* rtpengine_srtp.c */
bool rtpengine_srtp_wanted(const struct rtpengine_target *target);
int rtpengine_srtp_validate(const struct rtpengine_srtp *params, const char **reason);
struct rtpengine_srtp_session *rtpengine_srtp_session_create(const struct rtpengine_target *target);
bool rtpengine_srtp_session_same_keys(const struct rtpengine_srtp_session *session,
				      const struct rtpengine_target *target);
void rtpengine_srtp_session_free(struct rtpengine_srtp_session *session);
/* Marks the session dead (packets go up from now on) and copies its state to out. */
void rtpengine_srtp_session_retire(struct rtpengine_srtp_session *session, struct rtpengine_counters *out);
void rtpengine_srtp_session_snapshot(struct rtpengine_srtp_session *session, struct rtpengine_counters *out);
unsigned int rtpengine_srtp_tailroom(const struct rtpengine_srtp_session *session);
/* plaintext (may be NULL) sees the packet between decryption and encryption: recording. */
int rtpengine_srtp_process(struct rtpengine_srtp_session *session, u8 *packet, unsigned int length,
			   void (*plaintext)(void *data, const u8 *packet, unsigned int length), void *data);

struct proc_ops;
struct proc_dir_entry;
/* rtpengine_tables.c: /proc entries owned and moded as the module parameters say */
struct proc_dir_entry *rtpengine_proc_create_owned(const char *name, umode_t mode, struct proc_dir_entry *parent,
						   const struct proc_ops *ops, void *data);
struct proc_dir_entry *rtpengine_proc_mkdir_owned(const char *name, struct proc_dir_entry *parent);

/* rtpengine_recording.c: recorded streams under /proc/rtpengine/N/calls (ABI v4). All but
 * capture run in process context. */
struct rtpengine_record_stream;
struct seq_file;
int rtpengine_recording_init(void);
void rtpengine_recording_exit(void);          /* after every table is closed and rcu_barrier() */
int rtpengine_recording_table_open(struct rtpengine_table *table);   /* makes N/calls */
/* Ends every call and stream of the table; -EBUSY (table intact, empty) while a reader
 * still holds a stream file open after a short wait. With force (module exit: no reader
 * can exist) never fails. */
int rtpengine_recording_table_close(struct rtpengine_table *table, bool force);
/* FLUSH: a previous daemon's calls and streams end too. */
void rtpengine_recording_table_flush(struct rtpengine_table *table);
bool rtpengine_recording_command_known(u16 type, size_t *used);
int rtpengine_recording_command(struct rtpengine_table *table, const struct rtpengine_command *command,
				const char **reason);
/* ADD_TARGET: a reference to stream id, or an ERR_PTR. put from any context. */
struct rtpengine_record_stream *rtpengine_recording_stream_get(struct rtpengine_table *table, u32 id);
void rtpengine_recording_stream_put(struct rtpengine_record_stream *stream);
/* The packet path (softirq): queues a copy of the plaintext UDP payload as an IP packet
 * from source to local. Never blocks; a full queue drops its oldest packet (counted). */
void rtpengine_recording_capture(struct rtpengine_record_stream *stream, const struct rtpengine_address *source,
				 const struct rtpengine_address *local, const u8 *payload, unsigned int length);
void rtpengine_recording_capture_skb(struct rtpengine_record_stream *stream, const struct rtpengine_address *source,
				     const struct rtpengine_address *local, const struct sk_buff *skb,
				     unsigned int skb_offset, unsigned int length);
/* Module exit: removes /proc/rtpengine so that no later free work touches it. */
void rtpengine_recording_remove_proc(struct proc_dir_entry *root);
void rtpengine_recording_show_status(struct seq_file *seq, struct rtpengine_table *table);
u32 rtpengine_recording_stream_id(const struct rtpengine_record_stream *stream);

/* rtpengine_stats.c (ABI 3): per-SSRC RTP statistics */
void rtpengine_rtp_stats_init(struct rtpengine_rtp_ssrc_stats *stats);
/* One forwarded RTP packet (length: UDP payload bytes); softirq, never sleeps. */
void rtpengine_rtp_stats_packet(struct rtpengine_rtp_ssrc_stats *stats, const struct rtpengine_target *target,
				u32 ssrc, u8 payload_type, u16 sequence, u32 timestamp, unsigned int length);
void rtpengine_rtp_stats_snapshot(struct rtpengine_rtp_ssrc_stats *stats, struct rtpengine_rtp_stats *out);
int rtpengine_clock_rates_validate(const struct rtpengine_clock_rate *rates, const char **reason);

int rtpengine_tables_init(void);
void rtpengine_tables_exit(void);

#endif
