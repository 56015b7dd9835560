/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one interface between the rtpengine daemon (userspace) and the xt_RTPENGINE kernel
 * module. Both sides include this file; nothing else crosses the boundary.
 *
 * Rules for changing it (see kernel-module/README.md):
 *  - any change of a record's layout or of a value's meaning bumps RTPENGINE_ABI_VERSION;
 *  - every record has a fixed size, asserted below, so a mismatch is a clear version error
 *    and never a silent "message too long";
 *  - all integers are in host byte order, except ports and addresses, which are in network
 *    byte order exactly as they appear in a packet.
 */
#ifndef XT_RTPENGINE_ABI_H
#define XT_RTPENGINE_ABI_H

#include <linux/types.h>

/* 1: plain forwarding. 2: SRTP decryption/encryption per target, SRTP state handed back
 * by DELETE_TARGET, SRTP counters. 3: per-SSRC RTP statistics (sequence, loss, duplicates,
 * jitter) with the clock rates handed down per target. */
#define RTPENGINE_ABI_VERSION 3
/* "RTPE" in ASCII: rejects writes that are not meant for us at all. */
#define RTPENGINE_COMMAND_MAGIC 0x52545045u

/* Tables: /proc/rtpengine/control accepts "add N" and "del N" for 0 <= N < this. */
#define RTPENGINE_MAX_TABLES 256
/* Targets per table: bounds the memory one daemon can pin in the kernel. */
#define RTPENGINE_MAX_TARGETS 131072

/* Per target, how many distinct SSRCs and RTP payload types get their own counter. */
#define RTPENGINE_SSRC_SLOTS 4
#define RTPENGINE_PAYLOAD_TYPE_SLOTS 8
/* Per SRTP direction, how many SSRCs have their own rollover counter and replay window
 * (RFC 3711 section 3.3); packets of further SSRCs go up to the daemon. */
#define RTPENGINE_SRTP_SSRC_SLOTS 4

/* Address families of struct rtpengine_address (not AF_*: those are libc/kernel specific). */
enum rtpengine_family {
	RTPENGINE_FAMILY_NONE = 0,  /* unset: "any" where allowed */
	RTPENGINE_FAMILY_IPV4 = 4,
	RTPENGINE_FAMILY_IPV6 = 6,
};

struct rtpengine_address {
	__u16 family;               /* enum rtpengine_family */
	__be16 port;                /* network byte order; 0 = any where allowed */
	__u32 reserved;             /* must be 0 */
	__u8 address[16];           /* IPv4 in the first 4 bytes, network byte order */
};

/* Target flags. */
enum rtpengine_target_flags {
	/* Payload must look like RTP (RFC 3550 section 5.1: version 2, at least 12 bytes);
	 * anything else goes up to the daemon's socket. */
	RTPENGINE_TARGET_RTP = 1u << 0,
	/* Also accept RTCP (RFC 3550 section 6.4; packet types 192..223 as in RFC 5761
	 * section 4) - an rtcp-mux stream sets RTP and RTCP, a separate RTCP port only RTCP.
	 * With neither flag, every UDP packet is forwarded. */
	RTPENGINE_TARGET_RTCP = 1u << 1,
	/* A packet whose source differs from expected_source is dropped (and counted as an
	 * error) instead of going up to the daemon, which could learn a new address from it. */
	RTPENGINE_TARGET_STRICT_SOURCE = 1u << 2,
};
#define RTPENGINE_TARGET_KNOWN_FLAGS \
	(RTPENGINE_TARGET_RTP | RTPENGINE_TARGET_RTCP | RTPENGINE_TARGET_STRICT_SOURCE)

/* SRTP transforms (RFC 3711 section 4, RFC 7714). The daemon derives the session keys
 * (RFC 3711 section 4.3, key derivation rate 0); the module never sees a master key. */
enum rtpengine_srtp_cipher {
	RTPENGINE_SRTP_NONE = 0,       /* no SRTP on this side: the rest of the record is 0 */
	RTPENGINE_SRTP_NULL = 1,       /* NULL cipher, HMAC-SHA1 authentication */
	RTPENGINE_SRTP_AES_CM = 2,     /* AES counter mode (128/192/256), HMAC-SHA1 */
	RTPENGINE_SRTP_AES_GCM = 3,    /* AEAD AES-GCM (128/256), 16-byte tag (RFC 7714) */
};

/* Rollover counter and replay window of one SSRC (RFC 3711 section 3.3.1/3.3.2): the
 * highest 48-bit packet index (ROC << 16 | SEQ) seen or sent, and bit n of window set for
 * index (highest_index - n). Handed to the module with the target and back by DELETE. */
struct rtpengine_srtp_ssrc_state {
	__u32 ssrc;
	__u32 used;                 /* 0 = free slot */
	__u64 highest_index;
	__u64 window[2];
};

/* The SRTP (not SRTCP: RTCP of an SRTP target goes up to the daemon) session keys of one
 * side, and its per-SSRC state. */
struct rtpengine_srtp {
	__u8 cipher;                /* enum rtpengine_srtp_cipher */
	__u8 cipher_key_length;     /* AES: 16, 24 (CM only) or 32; NULL: 0 */
	__u8 auth_tag_length;       /* HMAC-SHA1 suites: 4 or 10; GCM: 16 */
	__u8 reserved0;
	__u32 reserved1;            /* must be 0 */
	__u8 cipher_key[32];        /* session encryption key, unused bytes 0 */
	__u8 auth_key[20];          /* session authentication key (HMAC suites), else 0 */
	__u8 salt[14];              /* session salt (GCM: the first 12 bytes) */
	__u8 reserved2[6];          /* must be 0 */
	struct rtpengine_srtp_ssrc_state ssrcs[RTPENGINE_SRTP_SSRC_SLOTS];
};

/* ---- ABI 3 (kstats): per-SSRC RTP statistics ---- */
/* Per target, how many payload types get a clock rate for the jitter estimate. */
#define RTPENGINE_CLOCK_RATE_SLOTS 8
/* Clock rate for payload types the daemon did not name (RFC 3551's most common). */
#define RTPENGINE_DEFAULT_CLOCK_RATE 8000

/* The RTP clock rate of one payload type (RFC 3550 section 5.1, timestamp units). */
struct rtpengine_clock_rate {
	__u8 payload_type;          /* 0..127 */
	__u8 used;                  /* 0 = free slot: the rest must be 0 */
	__u16 reserved;             /* must be 0 */
	__u32 clock_rate;           /* Hz, 1..1000000 */
};

/* What the module measured from the RTP of one SSRC it forwarded (RFC 3550 appendix A.1,
 * A.3, A.8), counted from the target's creation (kept across an update of the target).
 * Sequence numbers are extended: the first packet's 16-bit number, plus 65536 per wrap. */
struct rtpengine_rtp_stats {
	__u32 ssrc;
	__u32 used;                 /* 0 = free slot */
	__u64 packets;              /* distinct sequence numbers forwarded */
	__u64 octets;               /* UDP payload bytes of those */
	__u64 duplicates;           /* a sequence number seen already (within 64): forwarded, not counted */
	__u64 reordered;            /* older than the highest but new */
	__u32 first_sequence;       /* extended sequence of the first packet */
	__u32 highest_sequence;     /* extended; lost = highest - first + 1 - packets */
	__u64 jitter_us16;          /* interarrival jitter (A.8), microseconds x 16 */
	__u32 last_timestamp;       /* RTP timestamp of the last new packet */
	__u32 clock_rate;           /* the rate the jitter used (of the last packet's type) */
	__u64 last_arrival_ns;      /* CLOCK_MONOTONIC of the last new packet */
};
/* ---- end ABI 3 (kstats) ---- */

/* One direction of one stream. Packets to `local` (from `expected_source`, if set) leave
 * from `output_source` to `destination`. local and output_source may be of different
 * families (IPv4 <-> IPv6 relaying). */
struct rtpengine_target {
	struct rtpengine_address local;            /* key: family, address and port required */
	struct rtpengine_address expected_source;  /* family NONE = any; port 0 = any port */
	struct rtpengine_address output_source;    /* our address on the other leg */
	struct rtpengine_address destination;      /* the peer on the other leg */
	__u32 flags;                               /* enum rtpengine_target_flags */
	__s32 tos;                                 /* 0..255 = set TOS/traffic class; -1 = keep */
	__u64 reserved[2];                         /* must be 0 */
	/* SRTP from the sender (checked and decrypted here) and towards the destination
	 * (encrypted here); cipher NONE = plain RTP on that side. With either set the target
	 * must have the RTP flag; RTCP of such a target goes up to the daemon. */
	struct rtpengine_srtp decrypt;
	struct rtpengine_srtp encrypt;
	/* ABI 3 (kstats): clock rates of the payload types, for the jitter */
	struct rtpengine_clock_rate clock_rates[RTPENGINE_CLOCK_RATE_SLOTS];
};

enum rtpengine_command_type {
	RTPENGINE_COMMAND_ADD_TARGET = 1,     /* add, or replace keeping its counters */
	RTPENGINE_COMMAND_DELETE_TARGET = 2,  /* by local address; -ENOENT if unknown; the next
					       * read() returns its last counters and SRTP state */
	RTPENGINE_COMMAND_QUERY_TARGET = 3,   /* next read() of this fd returns its counters */
	RTPENGINE_COMMAND_FLUSH = 4,          /* delete every target of the table */
};

/* Written to /proc/rtpengine/N/control; one write() may carry several records back to
 * back (its length must be a multiple of the record size). */
struct rtpengine_command {
	__u32 magic;                /* RTPENGINE_COMMAND_MAGIC */
	__u16 abi_version;          /* RTPENGINE_ABI_VERSION */
	__u16 type;                 /* enum rtpengine_command_type */
	__u32 length;               /* sizeof(struct rtpengine_command) */
	__u32 reserved;             /* must be 0 */
	union {
		struct rtpengine_target target;   /* ADD_TARGET */
		struct rtpengine_address local;   /* DELETE_TARGET, QUERY_TARGET */
		__u8 padding[624];                /* fixes the record size; unused bytes 0 */
	} u;
};

struct rtpengine_ssrc_counter {
	__u32 ssrc;
	__u32 used;                 /* 0 = free slot */
	__u64 packets;
};

struct rtpengine_payload_type_counter {
	__u8 payload_type;
	__u8 used;                  /* 0 = free slot */
	__u8 reserved[6];
	__u64 packets;
};

/* What /proc/rtpengine/N/counters returns (an array of these, one per target, taken as a
 * snapshot when the file is opened) and what a read() of the control file returns after
 * a QUERY_TARGET command. */
struct rtpengine_counters {
	struct rtpengine_address local;
	__u64 packets;              /* forwarded */
	__u64 bytes;                /* forwarded UDP payload bytes */
	__u64 errors;               /* matched but dropped: no route, send failure, strict source */
	__u64 passed_up;            /* matched but handed to the daemon (not RTP/RTCP, source) */
	__u64 last_packet_unix_ns;  /* CLOCK_REALTIME of the last forwarded packet, 0 = none */
	struct rtpengine_ssrc_counter ssrcs[RTPENGINE_SSRC_SLOTS];
	struct rtpengine_payload_type_counter payload_types[RTPENGINE_PAYLOAD_TYPE_SLOTS];
	__u64 srtp_auth_failures;   /* SRTP packets dropped: authentication failed */
	__u64 srtp_replays;         /* SRTP packets dropped: replayed or too old (RFC 3711 3.3.2) */
	/* The SRTP state now: what the daemon takes back when the stream leaves the kernel. */
	struct rtpengine_srtp_ssrc_state decrypt_ssrcs[RTPENGINE_SRTP_SSRC_SLOTS];
	struct rtpengine_srtp_ssrc_state encrypt_ssrcs[RTPENGINE_SRTP_SSRC_SLOTS];
	/* ABI 3 (kstats): per-SSRC RTP statistics */
	struct rtpengine_rtp_stats rtp[RTPENGINE_SSRC_SLOTS];
};

/* xtables target data: iptables ... -j RTPENGINE --id N */
struct xt_rtpengine_info {
	__u32 table_id;
};

/* Fixed sizes: a layout change without a version bump fails to compile on both sides. */
#define RTPENGINE_ABI_ASSERT(condition, name) \
	typedef char rtpengine_abi_assert_##name[(condition) ? 1 : -1]
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_address) == 24, address_size);
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_srtp_ssrc_state) == 32, srtp_ssrc_state_size);
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_srtp) == 208, srtp_size);
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_target) == 600, target_size);
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_command) == 640, command_size);
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_counters) == 816, counters_size);
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_clock_rate) == 8, clock_rate_size);
RTPENGINE_ABI_ASSERT(sizeof(struct rtpengine_rtp_stats) == 72, rtp_stats_size);
RTPENGINE_ABI_ASSERT(sizeof(struct xt_rtpengine_info) == 4, xt_info_size);

#endif
