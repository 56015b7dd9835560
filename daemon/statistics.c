/* The statistics snapshot and its field tables; see statistics.h. */
#include "statistics.h"

#include <math.h>
#include <string.h>
#include "call.h"
#include "daemon.h"
#include "homer.h"
#include "interface.h"
#include "media_quality.h"
#include "ng_commands.h"
#include "recording_writer.h"
#include "dtls_srtp.h"
#include "redis.h"
#include "relay.h"

/* One row: the field's C name is its name in every front end but ng. */
#define FIELD(structure, field, type, kind, unit, section, ng_key, ng_format, help) \
	{ #field, STATISTICS_##type, STATISTICS_##kind, offsetof(struct structure, field), unit, help, \
	  STATISTICS_NG_##section, ng_key, STATISTICS_NG_##ng_format }
#define VALUE(field, type, kind, unit, section, ng_key, ng_format, help) \
	FIELD(statistics_values, field, type, kind, unit, section, ng_key, ng_format, help)
#define CURRENT(field, unit, ng_key, help) VALUE(field, UINT64, GAUGE, unit, CURRENT, ng_key, INTEGER, help)
#define TOTAL(field, unit, ng_key, help) VALUE(field, UINT64, COUNTER, unit, TOTAL, ng_key, INTEGER, help)

static const struct statistics_field value_fields[] = {
	CURRENT(sessions_own, "sessions", "sessionsown", "calls this daemon handles now"),
	CURRENT(sessions_foreign, "sessions", "sessionsforeign", "calls of other instances kept here (restored from their Redis values, or standby)"),
	CURRENT(sessions_total, "sessions", "sessionstotal", "own and foreign calls"),
	CURRENT(transcoded_media, "media", "transcodedmedia", "media being transcoded (always 0: no transcoding)"),
	CURRENT(packet_rate_user, "packets per second", "packetrate_user", "packets relayed by the media workers in the last second"),
	CURRENT(byte_rate_user, "bytes per second", "byterate_user", "bytes relayed by the media workers in the last second"),
	CURRENT(error_rate_user, "packets per second", "errorrate_user", "packet errors of the media workers in the last second"),
	CURRENT(packet_rate_kernel, "packets per second", "packetrate_kernel", "packets forwarded by the kernel module in the last second"),
	CURRENT(byte_rate_kernel, "bytes per second", "byterate_kernel", "bytes forwarded by the kernel module in the last second"),
	CURRENT(error_rate_kernel, "packets per second", "errorrate_kernel", "packet errors of the kernel module in the last second"),
	CURRENT(packet_rate, "packets per second", "packetrate", "packets relayed in the last second"),
	CURRENT(byte_rate, "bytes per second", "byterate", "bytes relayed in the last second"),
	CURRENT(error_rate, "packets per second", "errorrate", "packet errors in the last second"),

	VALUE(uptime_seconds, UINT64, GAUGE, "seconds", TOTAL, "uptime", TEXT_INTEGER, "time since the daemon started"),
	TOTAL(managed_sessions, "sessions", "managedsessions", "calls created"),
	TOTAL(rejected_sessions, "sessions", "rejectedsessions", "calls refused"),
	TOTAL(timeout_sessions, "sessions", "timeoutsessions", "calls ended by --timeout (no media)"),
	TOTAL(silent_timeout_sessions, "sessions", "silenttimeoutsessions", "calls ended by --silent-timeout"),
	TOTAL(final_timeout_sessions, "sessions", "finaltimeoutsessions", "calls ended by --final-timeout"),
	TOTAL(offer_timeout_sessions, "sessions", "offertimeoutsessions", "calls ended waiting for an answer"),
	TOTAL(regular_terminated_sessions, "sessions", "regularterminatedsessions", "calls ended by delete"),
	TOTAL(forced_terminated_sessions, "sessions", "forcedterminatedsessions", "calls ended at shutdown or by the operator (CLI terminate)"),
	TOTAL(packets_user, "packets", "relayedpackets_user", "packets accepted by the media workers"),
	TOTAL(errors_user, "packets", "relayedpacketerrors_user", "packets the media workers refused as bad or could not send"),
	TOTAL(bytes_user, "bytes", "relayedbytes_user", "bytes accepted by the media workers"),
	TOTAL(packets_kernel, "packets", "relayedpackets_kernel", "packets forwarded by the kernel module"),
	TOTAL(errors_kernel, "packets", "relayedpacketerrors_kernel", "packets the kernel module refused or could not send"),
	TOTAL(bytes_kernel, "bytes", "relayedbytes_kernel", "bytes forwarded by the kernel module"),
	TOTAL(packets, "packets", "relayedpackets", "packets relayed, userspace and kernel"),
	TOTAL(errors, "packets", "relayedpacketerrors", "packet errors, userspace and kernel"),
	TOTAL(bytes, "bytes", "relayedbytes", "bytes relayed, userspace and kernel"),
	VALUE(average_call_seconds, DOUBLE, GAUGE, "seconds", TOTAL, "avgcallduration", TEXT_DECIMAL6,
	      "average duration of the calls that ended"),
	VALUE(total_call_seconds, DOUBLE, COUNTER, "seconds", TOTAL, "totalcallsduration", TEXT_DECIMAL6,
	      "summed duration of the calls that ended"),
	TOTAL(dropped_strict_source, "packets", "droppedstrictsource", "dropped: strict-source, from a stranger"),
	TOTAL(dropped_no_destination, "packets", "droppednodestination", "dropped: the peer's address or socket is not known yet"),
	TOTAL(dropped_truncated, "packets", "droppedtruncated", "dropped: larger than the receive buffer"),
	TOTAL(dropped_srtp, "packets", "droppedsrtp", "dropped: SRTP authentication or replay check failed, or no room to protect"),
	TOTAL(dropped_call_ended, "packets", "droppedcallended", "dropped: queued for sending, but the call ended first"),
	TOTAL(dropped_send_failed, "packets", "droppedsendfailed", "dropped: the kernel refused to send it"),
	TOTAL(dropped_stun_malformed, "packets", "droppedstunmalformed", "dropped: STUN on an ICE port that does not parse"),
	TOTAL(stun_consumed, "packets", "stunconsumed", "STUN checks and keepalives answered or ignored, not relayed"),
	/* call recording */
	TOTAL(recorded_packets, "packets", "recordedpackets", "packets written to recording files"),
	TOTAL(recording_dropped, "packets", "recordingdrops",
	      "recorded packets dropped before writing: the writer's queue was full or the packet too large"),
	TOTAL(recording_errors, "packets", "recordingerrors",
	      "recorded packets lost to failed writes (disk full, read-only directory, I/O error)"),
	/* call recording in the kernel module (read at the one-second kernel sync) */
	TOTAL(recorded_packets_kernel, "packets", "recordedpackets_kernel",
	      "packets the kernel module copied into recorded /proc streams (also in recordedpackets)"),
	TOTAL(recording_dropped_kernel, "packets", "recordingdrops_kernel",
	      "recorded packets the kernel module dropped: a stream's queue was full (reader too slow or absent) "
	      "or no memory (also in recordingdrops)"),
	/* ICE */
	TOTAL(dropped_ice_consent, "packets", "droppediceconsent", "dropped: the ICE peer withdrew consent (no answer to consent checks for 30 s)"),
	/* DTLS-SRTP */
	TOTAL(dtls_records, "packets", "dtlsrecords", "DTLS datagrams taken in by a handshake or an association"),
	TOTAL(dtls_handshakes, "handshakes", "dtlshandshakes", "DTLS-SRTP handshakes completed (keys in place)"),
	TOTAL(dtls_failed, "handshakes", "dtlsfailed", "DTLS handshakes failed (alert, protocol error, no SRTP profile)"),
	TOTAL(dtls_timeouts, "handshakes", "dtlstimeouts", "DTLS handshakes given up after the retransmissions"),
	TOTAL(dtls_fingerprint_mismatch, "handshakes", "dtlsfingerprintmismatch",
	      "DTLS handshakes refused: the certificate did not match the SDP fingerprint"),
	TOTAL(dropped_dtls_stranger, "packets", "droppeddtlsstranger", "dropped: DTLS from a source other than the handshake's peer"),
	TOTAL(dropped_dtls_garbage, "packets", "droppeddtlsgarbage", "dropped: DTLS records no association could take"),
	TOTAL(dropped_dtls_pending, "packets", "droppeddtlspending", "dropped: media to or from a DTLS side before its keys"),
	/* RTCP statistics and MOS */
	TOTAL(rtcp_parsed, "packets", "rtcpparsed", "RTCP compounds read for the call quality figures"),
	TOTAL(rtcp_malformed, "packets", "rtcpmalformed", "RTCP that did not parse (forwarded all the same)"),
	TOTAL(homer_queued, "packets", "homerqueued", "RTCP packets handed to the Homer sender"),
	TOTAL(homer_sent, "messages", "homersent", "HEP messages sent to Homer"),
	TOTAL(homer_dropped, "packets", "homerdropped", "RTCP not sent to Homer: its queue was full (Homer slow or down)"),
	TOTAL(homer_send_errors, "messages", "homersenderrors", "HEP messages the socket refused, or lost with a TCP connection"),
	TOTAL(homer_connects, "connections", "homerconnects", "TCP connections made to Homer"),
	VALUE(mos_sum, DOUBLE, COUNTER, "MOS", MOS, "mos_total", TEXT_DECIMAL6,
	      "sum of the average MOS of every SSRC in ended calls"),
	VALUE(mos_square_sum, DOUBLE, COUNTER, "MOS squared", MOS, "mos2_total", TEXT_DECIMAL6,
	      "sum of the squares of those averages"),
	VALUE(mos_samples, UINT64, COUNTER, "samples", MOS, "mos_samples_total", INTEGER,
	      "SSRCs with an average MOS in ended calls"),
	VALUE(mos_average, DOUBLE, GAUGE, "MOS", MOS, "mos_average", TEXT_DECIMAL6, "mean of those averages"),
	VALUE(mos_stddev, DOUBLE, GAUGE, "MOS", MOS, "mos_stddev", TEXT_DECIMAL6,
	      "standard deviation of those averages"),
	VALUE(mos_le_1_0, UINT64, COUNTER, "samples", MOS, "mos_le_1.0", INTEGER, "of those, averages of MOS 1.0 or less"),
	VALUE(mos_le_2_0, UINT64, COUNTER, "samples", MOS, "mos_le_2.0", INTEGER, "of those, averages of MOS 2.0 or less"),
	VALUE(mos_le_3_0, UINT64, COUNTER, "samples", MOS, "mos_le_3.0", INTEGER, "of those, averages of MOS 3.0 or less"),
	VALUE(mos_le_3_5, UINT64, COUNTER, "samples", MOS, "mos_le_3.5", INTEGER, "of those, averages of MOS 3.5 or less"),
	VALUE(mos_le_4_0, UINT64, COUNTER, "samples", MOS, "mos_le_4.0", INTEGER, "of those, averages of MOS 4.0 or less"),
	VALUE(mos_le_4_3, UINT64, COUNTER, "samples", MOS, "mos_le_4.3", INTEGER, "of those, averages of MOS 4.3 or less"),
	VALUE(mos_le_4_5, UINT64, COUNTER, "samples", MOS, "mos_le_4.5", INTEGER, "of those, averages of MOS 4.5 or less (all)"),
	/* media control */
	TOTAL(dropped_blocked, "packets", "droppedblocked", "dropped: block media, block DTMF or a media-echo blackhole asked for it"),
	/* BUNDLE (bundle.h) */
	TOTAL(dropped_bundle_unknown, "packets", "droppedbundleunknown",
	      "dropped: RTP on a BUNDLE transport that no MID, SSRC or payload type placed in an m= line"),

	VALUE(ng_errors, UINT64, COUNTER, "requests", CONTROL, "errorcount", INTEGER, "ng requests answered with an error"),
	VALUE(ng_cached_replies, UINT64, GAUGE, "replies", CONTROL, "cachedreplies", INTEGER,
	      "replies kept for retransmitted requests (30 s)"),
	VALUE(ng_cached_reply_bytes, UINT64, GAUGE, "bytes", CONTROL, "cachedreplybytes", INTEGER,
	      "size of the replies kept for retransmitted requests"),
	/* Redis high availability (redis.c); ours, in totalstatistics */
	VALUE(redis_connected, UINT64, GAUGE, "connections", TOTAL, "redisconnected", INTEGER,
	      "1 while the Redis write connection is up"),
	TOTAL(redis_writes, "commands", "rediswrites", "call values written to Redis"),
	TOTAL(redis_write_errors, "commands", "rediswriteerrors", "Redis writes and deletes that failed or timed out"),
	TOTAL(redis_deletes, "commands", "redisdeletes", "call values deleted from Redis"),
	TOTAL(redis_restored, "sessions", "redisrestored", "calls restored from Redis"),
	TOTAL(redis_restore_errors, "sessions", "redisrestoreerrors", "Redis values that could not be restored"),
	TOTAL(redis_keyspace_events, "events", "rediskeyspaceevents", "keyspace notifications received"),
	TOTAL(redis_foreign_updates, "sessions", "redisforeignupdates",
	      "new values of foreign calls applied (active-active: the owner changed the call)"),
	VALUE(redis_dirty_calls, UINT64, GAUGE, "sessions", TOTAL, "redisdirtycalls", INTEGER,
	      "calls changed and not yet written to Redis"),
};

static const struct statistics_field command_fields[] = {
	FIELD(statistics_command_values, requests, UINT64, COUNTER, "requests", CONTROL, NULL, INTEGER,
	      "ng requests of this command"),
	FIELD(statistics_command_values, seconds, DOUBLE, COUNTER, "seconds", NONE, NULL, INTEGER,
	      "time spent handling ng requests of this command"),
};

#define PORTS(field, type, kind, ng_key, ng_format, help) \
	FIELD(statistics_port_values, field, type, kind, "ports", PORTS, ng_key, ng_format, help)
static const struct statistics_field port_fields[] = {
	PORTS(port_min, UINT64, GAUGE, "min", INTEGER, "first port of the range"),
	PORTS(port_max, UINT64, GAUGE, "max", INTEGER, "last port of the range"),
	PORTS(used, UINT64, GAUGE, "used", INTEGER, "ports held by calls"),
	FIELD(statistics_port_values, used_percent, DOUBLE, GAUGE, "percent", PORTS, "used_pct", TEXT_DECIMAL2,
	      "share of the range held by calls"),
	PORTS(free, UINT64, GAUGE, "free", INTEGER, "ports not held by calls"),
	PORTS(total, UINT64, GAUGE, "totals", INTEGER, "ports in the range"),
	PORTS(last, UINT64, GAUGE, "last", INTEGER, "RTP port handed out last"),
};

/* Upstream's abbreviations in controlstatistics ("totalstatscount"); the rest are spelled
 * as the command. */
static const struct {
	const char *name, *short_name;
} command_short_names[] = {
	{ "statistics", "stats" },
	{ "start recording", "startrec" },
	{ "stop recording", "stoprec" },
	{ "start forwarding", "startfwd" },
	{ "stop forwarding", "stopfwd" },
	{ "block DTMF", "blkdtmf" },
	{ "unblock DTMF", "unblkdtmf" },
	{ "block media", "blkmedia" },
	{ "unblock media", "unblkmedia" },
	{ "play media", "playmedia" },
	{ "stop media", "stopmedia" },
	{ "play DTMF", "playdtmf" },
	{ "silence media", "slnmedia" },
	{ "unsilence media", "unslnmedia" },
	{ "publish", "pub" },
	{ "subscribe request", "subreq" },
	{ "subscribe answer", "subans" },
	{ "unsubscribe", "unsub" },
};

static const char *command_short_name(const char *name)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(command_short_names); i++)
		if (!g_ascii_strcasecmp(command_short_names[i].name, name))
			return command_short_names[i].short_name;
	return name;
}

static void gather_values(struct daemon_context *daemon, struct statistics_values *values)
{
	const struct daemon_totals *totals = &daemon->totals;
	struct relay_totals relay;
	relay_read_totals(&relay);

	values->sessions_total = call_count();
	values->sessions_foreign = redis_foreign_count();
	values->sessions_own = values->sessions_total - values->sessions_foreign;
	values->packet_rate = totals->packet_rate;
	values->byte_rate = totals->byte_rate;
	values->error_rate = totals->error_rate;
	values->packet_rate_kernel = totals->packet_rate_kernel;
	values->byte_rate_kernel = totals->byte_rate_kernel;
	values->error_rate_kernel = totals->error_rate_kernel;
	/* sampled together: the kernel's share never exceeds the whole */
	values->packet_rate_user = totals->packet_rate - totals->packet_rate_kernel;
	values->byte_rate_user = totals->byte_rate - totals->byte_rate_kernel;
	values->error_rate_user = totals->error_rate - totals->error_rate_kernel;

	int64_t uptime_us = now_realtime_us() - daemon->started_us;
	values->uptime_seconds = uptime_us > 0 ? (uint64_t) (uptime_us / 1000000) : 0;
	values->managed_sessions = totals->managed_sessions;
	values->rejected_sessions = totals->rejected_sessions;
	values->timeout_sessions = totals->timeout_sessions;
	values->silent_timeout_sessions = totals->silent_timeout_sessions;
	values->final_timeout_sessions = totals->final_timeout_sessions;
	values->offer_timeout_sessions = totals->offer_timeout_sessions;
	values->regular_terminated_sessions = totals->regular_terminated;
	values->forced_terminated_sessions = totals->forced_terminated;
	values->packets_user = relay.packets;
	values->errors_user = relay.errors;
	values->bytes_user = relay.bytes;
	values->packets_kernel = totals->kernel_packets;
	values->errors_kernel = totals->kernel_errors;
	values->bytes_kernel = totals->kernel_bytes;
	values->packets = relay.packets + totals->kernel_packets;
	values->errors = relay.errors + totals->kernel_errors;
	values->bytes = relay.bytes + totals->kernel_bytes;
	uint64_t ended = totals->regular_terminated + totals->forced_terminated + totals->timeout_sessions
		+ totals->silent_timeout_sessions + totals->final_timeout_sessions;
	values->total_call_seconds = totals->total_call_seconds;
	values->average_call_seconds = ended ? totals->total_call_seconds / (double) ended : 0;
	values->dropped_strict_source = relay.dropped_strict_source;
	values->dropped_no_destination = relay.dropped_no_destination;
	values->dropped_truncated = relay.dropped_truncated;
	values->dropped_srtp = relay.dropped_srtp + totals->kernel_dropped_srtp;
	values->dropped_call_ended = relay.dropped_call_ended;
	values->dropped_send_failed = relay.dropped_send_failed;
	values->dropped_stun_malformed = relay.dropped_stun_malformed;
	values->stun_consumed = relay.stun_consumed;
	struct recording_writer_totals recording;
	recording_writer_read_totals(&recording);
	values->recorded_packets = recording.packets + totals->kernel_recorded_packets;
	values->recording_dropped = recording.dropped + totals->kernel_recording_dropped;
	values->recorded_packets_kernel = totals->kernel_recorded_packets;
	values->recording_dropped_kernel = totals->kernel_recording_dropped;
	values->recording_errors = recording.errors;
	values->dropped_ice_consent = relay.dropped_ice_consent;
	values->dtls_records = relay.dtls.records;
	values->dtls_handshakes = relay.dtls.handshakes;
	values->dtls_failed = relay.dtls.failed;
	values->dtls_timeouts = relay.dtls.timeouts;
	values->dtls_fingerprint_mismatch = relay.dtls.fingerprint_mismatch;
	values->dropped_dtls_stranger = relay.dtls.dropped_stranger;
	values->dropped_dtls_garbage = relay.dtls.dropped_garbage;
	values->dropped_dtls_pending = relay.dtls.dropped_pending;
	/* RTCP statistics and MOS */
	values->rtcp_parsed = relay.rtcp_parsed;
	values->rtcp_malformed = relay.rtcp_malformed;
	/* BUNDLE */
	values->dropped_bundle_unknown = relay.dropped_bundle_unknown;
	struct homer_totals homer;
	homer_read_totals(&homer);
	values->homer_queued = homer.queued;
	values->homer_sent = homer.sent;
	values->homer_dropped = homer.dropped;
	values->homer_send_errors = homer.send_errors;
	values->homer_connects = homer.connects;
	struct media_quality_totals quality;
	media_quality_read_totals(&quality);
	values->mos_sum = quality.mos_sum;
	values->mos_square_sum = quality.mos_square_sum;
	values->mos_samples = quality.mos_samples;
	if (quality.mos_samples) {
		double mean = quality.mos_sum / (double) quality.mos_samples;
		double variance = quality.mos_square_sum / (double) quality.mos_samples - mean * mean;
		values->mos_average = mean;
		values->mos_stddev = variance > 0 ? sqrt(variance) : 0;
	}
	uint64_t *buckets[MEDIA_QUALITY_HISTOGRAM_BUCKETS] = {
		&values->mos_le_1_0, &values->mos_le_2_0, &values->mos_le_3_0, &values->mos_le_3_5,
		&values->mos_le_4_0, &values->mos_le_4_3, &values->mos_le_4_5,
	};
	for (unsigned int i = 0; i < MEDIA_QUALITY_HISTOGRAM_BUCKETS; i++)
		*buckets[i] = quality.histogram[i];
	struct redis_statistics redis;
	redis_read_statistics(&redis);
	values->redis_connected = redis.connected;
	values->redis_writes = redis.writes;
	values->redis_write_errors = redis.write_errors;
	values->redis_deletes = redis.deletes;
	values->redis_restored = redis.restored;
	values->redis_restore_errors = redis.restore_errors;
	values->redis_keyspace_events = redis.keyspace_events;
	values->redis_foreign_updates = redis.foreign_updates;
	values->redis_dirty_calls = redis.dirty;
	values->dropped_blocked = relay.dropped_blocked;

	values->ng_errors = totals->ng_errors;
	values->ng_cached_replies = totals->ng_cached_replies;
	values->ng_cached_reply_bytes = totals->ng_cached_bytes;
}

static void gather_commands(struct statistics_snapshot *snapshot)
{
	unsigned int count;
	const struct ng_command_counter *counters = ng_command_counters(&count);
	if (count > STATISTICS_MAX_COMMANDS)
		count = STATISTICS_MAX_COMMANDS;
	for (unsigned int i = 0; i < count; i++) {
		struct statistics_command *command = &snapshot->commands[i];
		command->name = counters[i].name;
		command->short_name = command_short_name(counters[i].name);
		command->values.requests = counters[i].count;
		command->values.seconds = counters[i].seconds;
		memcpy(command->latency, counters[i].latency, sizeof(command->latency));
	}
	snapshot->command_count = count;
}

static void gather_interfaces(struct daemon_context *daemon, struct statistics_snapshot *snapshot)
{
	struct interface_list *interfaces = &daemon->interfaces;
	unsigned int count = interfaces->count < STATISTICS_MAX_INTERFACES ? interfaces->count
		: STATISTICS_MAX_INTERFACES;
	for (unsigned int i = 0; i < count; i++) {
		struct local_interface *interface = &interfaces->items[i];
		struct statistics_interface *item = &snapshot->interfaces[i];
		g_strlcpy(item->name, interface->name, sizeof(item->name));
		endpoint_address_text(&interface->local, item->address, sizeof(item->address));
		struct port_pool *pool = &interface->pool;
		struct statistics_port_values *ports = &item->ports;
		ports->port_min = pool->port_min;
		ports->port_max = pool->port_max;
		ports->total = pool->port_max - pool->port_min + 1;
		ports->used = port_pool_ports_used(pool);
		ports->free = ports->total - ports->used;
		ports->used_percent = ports->total ? 100.0 * (double) ports->used / (double) ports->total : 0;
		ports->last = pool->last_port;
	}
	snapshot->interface_count = count;
}

const struct statistics_field *statistics_value_fields(unsigned int *count)
{
	*count = G_N_ELEMENTS(value_fields);
	return value_fields;
}

const struct statistics_field *statistics_command_fields(unsigned int *count)
{
	*count = G_N_ELEMENTS(command_fields);
	return command_fields;
}

const struct statistics_field *statistics_port_fields(unsigned int *count)
{
	*count = G_N_ELEMENTS(port_fields);
	return port_fields;
}

double statistics_field_double(const struct statistics_field *field, const void *base)
{
	const char *where = (const char *) base + field->offset;
	if (field->type == STATISTICS_DOUBLE) {
		double value;
		memcpy(&value, where, sizeof(value));
		return value;
	}
	uint64_t value;
	memcpy(&value, where, sizeof(value));
	return (double) value;
}

uint64_t statistics_field_uint64(const struct statistics_field *field, const void *base)
{
	if (field->type == STATISTICS_DOUBLE) {
		double value = statistics_field_double(field, base);
		return value > 0 ? (uint64_t) value : 0;
	}
	uint64_t value;
	memcpy(&value, (const char *) base + field->offset, sizeof(value));
	return value;
}

void statistics_gather(struct daemon_context *daemon, struct statistics_snapshot *snapshot)
{
	memset(snapshot, 0, sizeof(*snapshot));
	gather_values(daemon, &snapshot->values);
	gather_commands(snapshot);
	gather_interfaces(daemon, snapshot);
}

void call_statistics_gather(struct call *call, struct call_statistics *statistics)
{
	/* the call's shape is the control thread's own: count and allocate before locking */
	unsigned int count = 0;
	struct stream *stream;
	call_foreach_stream(call, stream)
		count++;
	statistics->stream_count = count;
	/* not zeroed as a whole: most of each copy is RTCP figures and the MOS progression's
	 * view, written only when the stream has measured an SSRC (zeroing four 1.6 KB copies
	 * for delete's reply was ~6.4k of ~82k instructions per ng offer+answer+delete cycle) */
	statistics->streams = g_new(struct stream_statistics, count ? count : 1);
	unsigned int index = 0;
	pthread_mutex_lock(&call->lock);
	call_foreach_stream(call, stream) {
		struct stream_statistics *copy = &statistics->streams[index++];
		memset(copy, 0, offsetof(struct stream_statistics, quality));
		copy->state = stream->state;
		copy->last_ssrc = stream->last_ssrc;
		copy->learned = stream->learned;
		copy->counters = stream->counters;
		copy->learning_status = relay_learning_status(stream);
		const struct dtls_connection *dtls = stream->extras->dtls;
		/* an RTCP port's association exists only without rtcp-mux */
		if (dtls && dtls->params.enabled && !(stream->kind == STREAM_RTCP && stream->media->rtcp_mux)) {
			/* the worker writes the association's state under the lock held here */
			copy->dtls_state = dtls_state_name(dtls->state);
			copy->dtls_suite = dtls_srtp_suite_name(dtls->srtp_suite);
			copy->dtls_active = dtls->params.active;
		}
		ice_agent_status(stream, &copy->ice);
		if (stream->extras->quality && stream->extras->quality->ssrc) {
			/* the progression's samples stay the worker's: the entries query lists are
			 * selected here, a walk over them (media_quality.h) */
			copy->quality = *stream->extras->quality;
			copy->quality.progression = NULL;
			media_quality_progression(stream->extras->quality, &copy->progression);
		} else {
			copy->quality.ssrc = 0;
		}
	}
	call_totals(call, &statistics->totals);
	pthread_mutex_unlock(&call->lock);
}

void call_statistics_free(struct call_statistics *statistics)
{
	g_free(statistics->streams);
	statistics->streams = NULL;
	statistics->stream_count = 0;
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
	totals->packet_rate_kernel = totals->kernel_packets - totals->sampled_kernel_packets;
	totals->byte_rate_kernel = totals->kernel_bytes - totals->sampled_kernel_bytes;
	totals->error_rate_kernel = totals->kernel_errors - totals->sampled_kernel_errors;
	totals->sampled_kernel_packets = totals->kernel_packets;
	totals->sampled_kernel_bytes = totals->kernel_bytes;
	totals->sampled_kernel_errors = totals->kernel_errors;
}
