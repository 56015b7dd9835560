/* One statistics snapshot, rendered by every front end.
 *
 * statistics_gather() reads every source of numbers once (the daemon's totals, the media
 * workers' counters, the ng command counters and the reply cache, the kernel's counters as
 * kernel_backend last pulled them, the port pools) into a plain struct. Front ends (ng
 * `statistics` today; CLI, Prometheus `/metrics`, Graphite and Homer next) render that struct
 * and nothing else, so the same number is the same everywhere by construction.
 *
 * Every scalar of the snapshot is described by a row of a field table (name, type, offset,
 * unit, help text, and where upstream's ng reply shows it): a renderer walks the table instead
 * of naming fields, so a counter added to the struct and its table appears in every front end.
 * tests/unit/test_statistics.c checks that each table covers its struct field by field.
 *
 * Threads: gather and render on the control thread. The workers' counters are read with
 * relaxed atomic loads (each is written by one worker); a snapshot is consistent per counter,
 * not across counters of different workers. */
#ifndef RTPENGINE_STATISTICS_H
#define RTPENGINE_STATISTICS_H

#include <stddef.h>
#include <stdint.h>
#include "call.h"
#include "endpoint.h"
#include "media_quality.h"
#include "ng_commands.h"
#include "ice_agent.h"

struct daemon_context;

/* Scalars of the snapshot, in the order upstream's ng reply lists them (the ng renderer
 * walks the table in this order). All uint64_t or double: no padding, see the unit test. */
struct statistics_values {
	/* currentstatistics */
	uint64_t sessions_own, sessions_foreign, sessions_total;
	uint64_t transcoded_media;
	uint64_t packet_rate_user, byte_rate_user, error_rate_user;        /* per second, last second */
	uint64_t packet_rate_kernel, byte_rate_kernel, error_rate_kernel;
	uint64_t packet_rate, byte_rate, error_rate;
	/* totalstatistics */
	uint64_t uptime_seconds;
	uint64_t managed_sessions, rejected_sessions;
	uint64_t timeout_sessions, silent_timeout_sessions, final_timeout_sessions, offer_timeout_sessions;
	uint64_t regular_terminated_sessions, forced_terminated_sessions;
	uint64_t packets_user, errors_user, bytes_user;       /* relayed by the media workers */
	uint64_t packets_kernel, errors_kernel, bytes_kernel; /* relayed by the kernel module */
	uint64_t packets, errors, bytes;                      /* both */
	double average_call_seconds, total_call_seconds;
	/* ours: why packets that arrived were not forwarded, one counter per drop path */
	uint64_t dropped_strict_source, dropped_no_destination, dropped_truncated, dropped_srtp;
	uint64_t dropped_call_ended, dropped_send_failed, dropped_stun_malformed;
	uint64_t stun_consumed;
	/* ours: call recording (recording_writer.h) */
	uint64_t recorded_packets, recording_dropped, recording_errors;
	uint64_t dropped_ice_consent;   /* ICE */
	/* DTLS-SRTP (dtls.h): handshakes, and DTLS records and held-back media not forwarded */
	uint64_t dtls_records, dtls_handshakes, dtls_failed, dtls_timeouts, dtls_fingerprint_mismatch;
	uint64_t dropped_dtls_stranger, dropped_dtls_garbage, dropped_dtls_pending;
	/* RTCP statistics, Homer and MOS (media_quality.h, homer.h): totalstatistics (ours), then upstream's "mos"
	 * section, one sample per SSRC with an average MOS when its call ends; the histogram
	 * (ours, for /metrics) is cumulative: averages at or below each bound */
	uint64_t rtcp_parsed, rtcp_malformed;
	uint64_t homer_queued, homer_sent, homer_dropped, homer_send_errors, homer_connects;
	double mos_sum, mos_square_sum;
	uint64_t mos_samples;
	double mos_average, mos_stddev;
	uint64_t mos_le_1_0, mos_le_2_0, mos_le_3_0, mos_le_3_5, mos_le_4_0, mos_le_4_3, mos_le_4_5;
	uint64_t dropped_blocked;             /* media control: block media / block DTMF */
	/* BUNDLE (bundle.h): RTP on a shared transport that no MID, SSRC or payload type placed */
	uint64_t dropped_bundle_unknown;
	/* controlstatistics (after the per-command counts) */
	uint64_t ng_errors;
	uint64_t ng_cached_replies, ng_cached_reply_bytes;
	/* Redis high availability (redis.c) */
	uint64_t redis_connected, redis_writes, redis_write_errors, redis_deletes;
	uint64_t redis_restored, redis_restore_errors, redis_keyspace_events, redis_foreign_updates, redis_dirty_calls;
};

/* One ng command's counters. */
struct statistics_command_values {
	uint64_t requests;
	double seconds;                 /* time spent handling them */
};

/* One interface's port pool. */
struct statistics_port_values {
	uint64_t port_min, port_max, used;
	double used_percent;
	uint64_t free, total, last;
};

#define STATISTICS_MAX_COMMANDS 32
#define STATISTICS_MAX_INTERFACES 64

struct statistics_command {
	const char *name;               /* as the ng "command" key spells it */
	const char *short_name;         /* upstream's abbreviation in "total<short>count" */
	struct statistics_command_values values;
	/* requests per latency bucket (bounds: ng_latency_bucket_seconds), not cumulative; not
	 * a table row: a histogram, rendered by /metrics only */
	uint64_t latency[NG_LATENCY_BUCKETS];
};

struct statistics_interface {
	char name[64];
	char address[ENDPOINT_TEXT_SIZE];
	struct statistics_port_values ports;
};

struct statistics_snapshot {
	struct statistics_values values;
	unsigned int command_count;
	struct statistics_command commands[STATISTICS_MAX_COMMANDS];
	unsigned int interface_count;   /* at most STATISTICS_MAX_INTERFACES; the rest are left out */
	struct statistics_interface interfaces[STATISTICS_MAX_INTERFACES];
};

enum statistics_type {
	STATISTICS_UINT64,
	STATISTICS_DOUBLE,
};

enum statistics_kind {
	STATISTICS_COUNTER,             /* only grows while the daemon runs */
	STATISTICS_GAUGE,               /* goes up and down */
};

/* Where upstream's ng `statistics` reply shows a value. */
enum statistics_ng_section {
	STATISTICS_NG_NONE = 0,         /* not in the ng reply */
	STATISTICS_NG_CURRENT,          /* currentstatistics */
	STATISTICS_NG_TOTAL,            /* totalstatistics */
	STATISTICS_NG_CONTROL,          /* controlstatistics */
	STATISTICS_NG_PORTS,            /* interfaces[].ports */
	STATISTICS_NG_MOS,              /* mos */
};

/* How upstream's ng reply writes a value: an integer, or text. */
enum statistics_ng_format {
	STATISTICS_NG_INTEGER = 0,
	STATISTICS_NG_TEXT_INTEGER,     /* "12" (uptime) */
	STATISTICS_NG_TEXT_DECIMAL2,    /* "12.50" */
	STATISTICS_NG_TEXT_DECIMAL6,    /* "12.500000" */
};

/* One row of a field table. */
struct statistics_field {
	const char *name;               /* snake_case, unique within its table */
	enum statistics_type type;
	enum statistics_kind kind;
	size_t offset;                  /* in the struct the table describes */
	const char *unit;               /* "packets", "bytes", "seconds", "sessions", "requests", ... */
	const char *help;               /* one line for the CLI and /metrics */
	enum statistics_ng_section ng_section;
	const char *ng_key;             /* upstream's key, NULL when ng_section is NONE */
	enum statistics_ng_format ng_format;
};

/* The field tables: of struct statistics_values, struct statistics_command_values (one per
 * command, labelled by its name) and struct statistics_port_values (one per interface). */
const struct statistics_field *statistics_value_fields(unsigned int *count);
const struct statistics_field *statistics_command_fields(unsigned int *count);
const struct statistics_field *statistics_port_fields(unsigned int *count);

/* The value of one field of the struct at base, as a double (exact for integers up to 2^53)
 * or as an integer (doubles truncated). */
double statistics_field_double(const struct statistics_field *field, const void *base);
uint64_t statistics_field_uint64(const struct statistics_field *field, const void *base);

/* Reads every source once into snapshot. Control thread. */
void statistics_gather(struct daemon_context *daemon, struct statistics_snapshot *snapshot);

/* One call's streams as the packet path last left them (counters, learned source, latch
 * state, SSRC), and their sums. The control thread owns everything else in a call and reads
 * it without the lock; what a worker writes is copied here under the call's lock, so that
 * query and delete format their replies outside it. */
/* What the worker writes of one stream, copied under the call's lock so that query, delete
 * and list format their replies outside it. */
struct stream_statistics {
	uint8_t state;                   /* enum stream_state_flags */
	uint32_t last_ssrc;
	union endpoint learned;
	struct stream_counters counters;
	const char *learning_status;     /* static text, relay_learning_status() */
	const char *dtls_state;          /* static text, dtls_state_name(); NULL without DTLS */
	const char *dtls_suite;          /* static text: the SRTP suite the handshake agreed */
	bool dtls_active;                /* our DTLS role is the client */
	struct ice_agent_status ice;     /* ICE: our agent towards this stream's side */
	struct ssrc_quality quality;     /* RTCP statistics: the RTP stream's (media_quality.h), else zero;
					  * its progression pointer NULL: */
	struct mos_progression_view progression;   /* the entries query lists */
};

struct call_statistics {
	struct call_totals totals;
	unsigned int stream_count;
	struct stream_statistics *streams;   /* in call_foreach_stream() order */
};
/* Control thread. Allocates before it takes call->lock, which it holds for the copy only.
 * Free with call_statistics_free(). */
void call_statistics_gather(struct call *call, struct call_statistics *statistics);
void call_statistics_free(struct call_statistics *statistics);

#endif
