/* Kernel forwarding: the daemon's side of xt_RTPENGINE.ko (kernel-module/README.md).
 *
 * Usage:
 *   char reason[256];
 *   struct kernel_table *table;
 *   if (kernel_table_open(0, &table, reason, sizeof(reason)) < 0)
 *           log_warning("kernel forwarding disabled: %s", reason);   // fall back to userspace
 *   kernel_forward_add(table, &forward);      // once both ends of a stream direction are known
 *   kernel_read_all_counters(table, callback, data);   // periodically: one open+read+close
 *   kernel_forward_delete(table, &forward.local);      // on delete / timeout
 *   kernel_table_close(table, false);
 *
 * All functions return 0 (or a count) on success and a negative errno on failure; none logs.
 * A table handle is not thread-safe: use it from one thread (the control thread). */
#ifndef RTPENGINE_KERNEL_H
#define RTPENGINE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "endpoint.h"

struct kernel_table;

/* Default location of the module's /proc interface. */
#define KERNEL_PROC_ROOT "/proc/rtpengine"

enum kernel_forward_flags {
	KERNEL_FORWARD_RTP = 1u << 0,            /* forward only RTP (version 2, >= 12 bytes) */
	KERNEL_FORWARD_RTCP = 1u << 1,           /* also/only RTCP; neither flag: any UDP */
	KERNEL_FORWARD_STRICT_SOURCE = 1u << 2,  /* drop, not pass up, other sources */
};

/* SRTP in the kernel (RFC 3711): session keys derived by the daemon, plus per-SSRC
 * rollover state handed over and back. */
enum kernel_srtp_cipher {
	KERNEL_SRTP_NONE = 0,        /* plain RTP on this side */
	KERNEL_SRTP_NULL = 1,        /* NULL cipher, HMAC-SHA1 */
	KERNEL_SRTP_AES_CM = 2,      /* AES-CM 128/192/256, HMAC-SHA1 */
	KERNEL_SRTP_AES_GCM = 3,     /* AEAD AES-GCM 128/256 */
};

#define KERNEL_SRTP_SSRC_SLOTS 4

/* Only bytes: compared with memcmp to tell a re-key. */
struct kernel_srtp_keys {
	uint8_t cipher;              /* enum kernel_srtp_cipher */
	uint8_t cipher_key_length;   /* 0 for NULL */
	uint8_t auth_tag_length;     /* 4, 10; 16 for GCM */
	uint8_t cipher_key[32];
	uint8_t auth_key[20];
	uint8_t salt[14];
};

struct kernel_srtp_ssrc {
	bool used;
	uint32_t ssrc;
	uint64_t highest_index;      /* ROC << 16 | SEQ */
	uint64_t window[2];          /* bit n: index highest_index - n seen */
};

struct kernel_srtp {
	struct kernel_srtp_keys keys;
	struct kernel_srtp_ssrc ssrcs[KERNEL_SRTP_SSRC_SLOTS];
};

/* ---- per-SSRC RTP statistics (ABI 3, kstats) ---- */
#define KERNEL_CLOCK_RATE_SLOTS 8

/* The RTP clock rate of one payload type, for the kernel's jitter estimate; rate 0 = unused.
 * Types not listed count at 8000 Hz. */
struct kernel_clock_rate {
	uint8_t payload_type;
	uint32_t clock_rate;
};

/* What the kernel measured from the RTP of one SSRC since the target was created (see
 * xt_RTPENGINE_abi.h struct rtpengine_rtp_stats). */
struct kernel_rtp_stats {
	bool used;
	uint32_t ssrc;
	uint64_t packets;            /* distinct sequence numbers */
	uint64_t octets;
	uint64_t duplicates;
	uint64_t reordered;
	uint32_t first_sequence;     /* extended */
	uint32_t highest_sequence;   /* extended */
	uint64_t jitter_us16;        /* RFC 3550 A.8, microseconds x 16 */
	uint32_t last_timestamp;
	uint32_t clock_rate;
	int64_t last_arrival_us;     /* CLOCK_MONOTONIC */
};
/* ---- end per-SSRC RTP statistics ---- */

/* One direction of one stream. Addresses are AF_INET or AF_INET6 with a port. */
struct kernel_forward {
	union endpoint local;                     /* where packets arrive (our socket address) */
	union endpoint expected_source;           /* unset = any source; port 0 = any port */
	union endpoint output_source;             /* our socket on the other leg: packets leave from here */
	union endpoint destination;               /* the peer on the other leg */
	unsigned int flags;                       /* enum kernel_forward_flags */
	int tos;                                  /* 0..255, or -1 to keep the received TOS */
	struct kernel_srtp decrypt;               /* SRTP from the sender (cipher NONE: plain) */
	struct kernel_srtp encrypt;               /* SRTP towards the destination */
	struct kernel_clock_rate clock_rates[KERNEL_CLOCK_RATE_SLOTS];   /* for the jitter (kstats) */
	uint32_t record_stream;                   /* call recording: 0, or a kernel_recording_add_stream id */
};

#define KERNEL_SSRC_SLOTS 4
#define KERNEL_PAYLOAD_TYPE_SLOTS 8

struct kernel_counters {
	uint64_t packets;              /* forwarded by the kernel */
	uint64_t bytes;                /* UDP payload bytes forwarded */
	uint64_t errors;               /* matched but dropped (no route, strict source, ...) */
	uint64_t passed_up;            /* matched but handed to our socket (not RTP, other source) */
	uint64_t last_packet_unix_us;  /* 0 = none yet */
	struct { bool used; uint32_t ssrc; uint64_t packets; } ssrcs[KERNEL_SSRC_SLOTS];
	struct { bool used; uint8_t payload_type; uint64_t packets; } payload_types[KERNEL_PAYLOAD_TYPE_SLOTS];
	uint64_t srtp_auth_failures;   /* SRTP packets dropped: authentication failed */
	uint64_t srtp_replays;         /* SRTP packets dropped: replayed or too old */
	struct kernel_srtp_ssrc decrypt_ssrcs[KERNEL_SRTP_SSRC_SLOTS];   /* SRTP state now */
	struct kernel_srtp_ssrc encrypt_ssrcs[KERNEL_SRTP_SSRC_SLOTS];
	struct kernel_rtp_stats rtp[KERNEL_SSRC_SLOTS];   /* per-SSRC RTP statistics (kstats) */
};

typedef void (*kernel_counters_callback)(const union endpoint *local,
					 const struct kernel_counters *counters, void *user_data);

/* Creates table table_id (or reuses it if it exists), checks the module's ABI version,
 * opens the table's control file and deletes any targets left in it (a previous daemon's). On failure returns a negative errno and writes one
 * human-readable line into reason: module not loaded, permission denied, version mismatch
 * (daemon X, module Y), table in use. */
int kernel_table_open(int table_id, struct kernel_table **table, char *reason, size_t reason_size);
/* Like kernel_table_open but keeps the targets already in the table: for tools and tests
 * that program a table step by step. The daemon uses kernel_table_open. */
int kernel_table_attach(int table_id, struct kernel_table **table, char *reason, size_t reason_size);
/* kernel_table_open with another /proc root: for tests. */
int kernel_table_open_at(const char *proc_root, int table_id, struct kernel_table **table,
			 char *reason, size_t reason_size);
/* Deletes every target of the table, closes it and, if delete_table, removes the table. */
void kernel_table_close(struct kernel_table *table, bool delete_table);
int kernel_table_id(const struct kernel_table *table);

/* Adds a target, or replaces the one with the same local address (keeping its counters). */
int kernel_forward_add(struct kernel_table *table, const struct kernel_forward *forward);
/* -ENOENT if there is no target for local. */
int kernel_forward_delete(struct kernel_table *table, const union endpoint *local);
/* Deletes and returns the target's last counters and SRTP state (no packet changes them
 * after the delete: later ones reach the daemon's socket). */
int kernel_forward_delete_read(struct kernel_table *table, const union endpoint *local,
			       struct kernel_counters *final);
/* Counters of one target: two system calls. Prefer kernel_read_all_counters for many. */
int kernel_forward_read_counters(struct kernel_table *table, const union endpoint *local,
				 struct kernel_counters *out);
/* Calls callback for every target (a consistent snapshot); returns how many or -errno. */
int kernel_read_all_counters(struct kernel_table *table, kernel_counters_callback callback,
			     void *user_data);
/* Deletes every target. */
int kernel_forward_flush(struct kernel_table *table);

/* Call recording (ABI v4): /proc/rtpengine/N/calls/NAME/ and its stream files, which 10.5's
 * rtpengine-recording reads. Ids are the caller's (non-zero, unique in the table). These
 * are single stateless writes: any thread may call them on a table handle. */
int kernel_recording_add_call(struct kernel_table *table, uint32_t call_id, const char *name);
/* Ends the call's streams (readers get what is queued, then EOF) and its directory. */
int kernel_recording_delete_call(struct kernel_table *table, uint32_t call_id);
/* max_packets: queue bound, 0 = the module's default. */
int kernel_recording_add_stream(struct kernel_table *table, uint32_t call_id, uint32_t stream_id,
				unsigned int max_packets, const char *name);
int kernel_recording_delete_stream(struct kernel_table *table, uint32_t stream_id);
/* The table's recording counters (the module's status file, cumulative since the table was
 * made): packets copied into recorded streams and dropped from their queues (a reader too
 * slow or absent: oldest dropped at the bound; or no memory). One open+read+close.
 * -ENOENT if the module reports none (no recording objects made yet counts as 0). */
struct kernel_recording_status {
	uint64_t captured, dropped;
};
int kernel_recording_read_status(const struct kernel_table *table, struct kernel_recording_status *status);
/* The stream file's path: PROC_ROOT/N/calls/CALL/STREAM. */
void kernel_recording_stream_path(const struct kernel_table *table, const char *call_name, const char *stream_name,
				  char *path, size_t size);

#endif
