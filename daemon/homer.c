/* Homer (HEP3) sender for RTCP; see homer.h. */
#include "homer.h"

#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "hep.h"
#include "log.h"
#include "rtcp.h"

#define HOMER_QUEUE_SLOTS 512
#define HOMER_PACKET_MAX 1500
#define HOMER_CALL_ID_MAX 128
#define HOMER_POLL_MS 20
#define HOMER_BACKOFF_FIRST_MS 1000
#define HOMER_BACKOFF_MAX_MS 30000
#define HOMER_SEND_TIMEOUT_MS 1000

struct queued_rtcp {
	int64_t timestamp_us;
	union endpoint source, destination;
	uint16_t length;
	uint8_t call_id_length;
	char call_id[HOMER_CALL_ID_MAX];
	unsigned char packet[HOMER_PACKET_MAX];
};

/* Written under queue_lock by the workers (counters too: they hold the lock anyway), read with
 * relaxed loads; the sender's own counters are written by the sender thread alone. */
struct counters {
	uint64_t queued, sent, dropped, send_errors, connects;
};

static struct homer_settings settings;
static atomic_bool enabled;
static atomic_bool stopping;
static pthread_t sender_thread;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct queued_rtcp *queue;      /* ring of HOMER_QUEUE_SLOTS */
static unsigned int queue_head, queue_count;
static struct counters counters;
static int server_fd = -1;
static int64_t next_connect_ms;
static unsigned int backoff_ms = HOMER_BACKOFF_FIRST_MS;

#define COUNTER_ADD(counter, amount) \
	__atomic_store_n(&(counter), __atomic_load_n(&(counter), __ATOMIC_RELAXED) + (amount), __ATOMIC_RELAXED)
#define COUNTER_READ(counter) __atomic_load_n(&(counter), __ATOMIC_RELAXED)

static int64_t monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- JSON (captagent's RTCP layout, which Homer shows) ---- */

static void json_text(GString *out, const unsigned char *text, size_t length)
{
	g_string_append_c(out, '"');
	for (size_t i = 0; i < length; i++) {
		unsigned char c = text[i];
		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char) c);
	}
	g_string_append_c(out, '"');
}

char *homer_rtcp_json(const unsigned char *packet, size_t length)
{
	struct rtcp_report report;
	if (rtcp_parse(packet, length, &report) < 0)
		return NULL;
	GString *out = g_string_sized_new(512);
	g_string_append_c(out, '{');
	if (report.has_sender_info) {
		const struct rtcp_sender_info *sender = &report.sender;
		g_string_append_printf(out, "\"sender_information\":{\"ntp_timestamp_sec\":%u,"
				       "\"ntp_timestamp_usec\":%u,\"octets\":%u,\"rtp_timestamp\":%u,\"packets\":%u},",
				       sender->ntp_seconds, (unsigned int) (((uint64_t) sender->ntp_fraction * 1000000) >> 32),
				       sender->octet_count, sender->rtp_timestamp, sender->packet_count);
	}
	uint32_t ssrc = report.has_sender_info ? report.sender.ssrc
		: report.block_count ? report.blocks[0].reporter_ssrc : 0;
	/* the first packet of a compound is an SR or RR (rtcp_parse checks it) */
	g_string_append_printf(out, "\"ssrc\":%u,\"type\":%u,\"report_count\":%u,\"report_blocks\":[", ssrc,
			       packet[1], report.block_count);
	for (unsigned int i = 0; i < report.block_count; i++) {
		const struct rtcp_report_block *block = &report.blocks[i];
		g_string_append_printf(out, "%s{\"source_ssrc\":%u,\"highest_seq_no\":%u,\"fraction_lost\":%u,"
				       "\"ia_jitter\":%u,\"packets_lost\":%d,\"lsr\":%u,\"dlsr\":%u}", i ? "," : "",
				       block->ssrc, block->highest_sequence, block->fraction_lost, block->jitter,
				       block->cumulative_lost, block->last_sr, block->delay_since_last_sr);
	}
	g_string_append_c(out, ']');
	if (report.has_voip_metrics) {
		const struct rtcp_xr_voip_metrics *xr = &report.voip_metrics;
		g_string_append_printf(out, ",\"report_blocks_xr\":{\"type\":7,\"id\":%u,\"fraction_lost\":%u,"
				       "\"fraction_discard\":%u,\"round_trip_delay\":%u,\"end_system_delay\":%u,"
				       "\"r_factor\":%u,\"mos_lq\":%u,\"mos_cq\":%u}", xr->ssrc, xr->loss_rate,
				       xr->discard_rate, xr->round_trip_delay_ms, xr->end_system_delay_ms, xr->r_factor,
				       xr->mos_lq, xr->mos_cq);
	}
	if (report.cname) {
		g_string_append_printf(out, ",\"sdes_ssrc\":%u,\"sdes_report_count\":1,"
				       "\"sdes_information\":[{\"type\":1,\"text\":", report.cname_ssrc);
		json_text(out, report.cname, report.cname_length);
		g_string_append(out, "}]");
	}
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}

/* ---- workers ---- */

bool homer_enabled(void)
{
	return atomic_load_explicit(&enabled, memory_order_relaxed);
}

void homer_queue_rtcp(const char *call_id, const union endpoint *source, const union endpoint *destination,
                      int64_t timestamp_us, const unsigned char *packet, size_t length)
{
	pthread_mutex_lock(&queue_lock);
	if (queue_count == HOMER_QUEUE_SLOTS || length > HOMER_PACKET_MAX) {
		COUNTER_ADD(counters.dropped, 1);
		pthread_mutex_unlock(&queue_lock);
		return;
	}
	struct queued_rtcp *slot = &queue[(queue_head + queue_count) % HOMER_QUEUE_SLOTS];
	size_t call_id_length = strlen(call_id);
	if (call_id_length > HOMER_CALL_ID_MAX)
		call_id_length = HOMER_CALL_ID_MAX;
	slot->timestamp_us = timestamp_us;
	slot->source = *source;
	slot->destination = *destination;
	slot->length = (uint16_t) length;
	slot->call_id_length = (uint8_t) call_id_length;
	memcpy(slot->call_id, call_id, call_id_length);
	memcpy(slot->packet, packet, length);
	queue_count++;
	COUNTER_ADD(counters.queued, 1);
	pthread_mutex_unlock(&queue_lock);
}

/* ---- the sender thread ---- */

static void disconnect(void)
{
	if (server_fd >= 0)
		close(server_fd);
	server_fd = -1;
}

/* UDP: a connected socket, made once. TCP: a connection, retried with backoff. Returns true
 * when there is a socket to send on. */
static bool ensure_connected(void)
{
	if (server_fd >= 0)
		return true;
	int64_t now = monotonic_ms();
	if (settings.tcp && now < next_connect_ms)
		return false;
	int fd = socket(settings.server.address.sa_family,
			(settings.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_error("homer: socket: %s", strerror(errno));
		next_connect_ms = now + backoff_ms;
		return false;
	}
	int result = connect(fd, &settings.server.address, endpoint_length(&settings.server));
	if (result < 0 && errno == EINPROGRESS) {
		struct pollfd wait = { .fd = fd, .events = POLLOUT };
		int error = 0;
		socklen_t size = sizeof(error);
		if (poll(&wait, 1, HOMER_SEND_TIMEOUT_MS) == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
		    && !error)
			result = 0;
		else
			errno = error ? error : ETIMEDOUT;
	}
	if (result < 0) {
		char text[ENDPOINT_TEXT_SIZE];
		log_warning("homer: cannot connect to %s: %s (next attempt in %u ms)",
			    endpoint_text(&settings.server, text, sizeof(text)), strerror(errno), backoff_ms);
		close(fd);
		next_connect_ms = now + backoff_ms;
		backoff_ms = backoff_ms * 2 > HOMER_BACKOFF_MAX_MS ? HOMER_BACKOFF_MAX_MS : backoff_ms * 2;
		return false;
	}
	if (settings.tcp) {
		COUNTER_ADD(counters.connects, 1);
		log_info("homer: connected");
	}
	backoff_ms = HOMER_BACKOFF_FIRST_MS;
	server_fd = fd;
	return true;
}

/* All of message, or false (TCP: the connection is dropped and retried later). */
static bool send_message(const unsigned char *message, size_t length)
{
	size_t sent = 0;
	while (sent < length) {
		ssize_t result = send(server_fd, message + sent, length - sent, MSG_NOSIGNAL);
		if (result > 0) {
			sent += (size_t) result;
			continue;
		}
		if (result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && settings.tcp) {
			/* a slow Homer: wait a while for room, then give up on the connection */
			struct pollfd wait = { .fd = server_fd, .events = POLLOUT };
			if (poll(&wait, 1, HOMER_SEND_TIMEOUT_MS) == 1)
				continue;
		}
		if (settings.tcp) {
			log_warning("homer: connection lost: %s", result < 0 ? strerror(errno) : "closed");
			disconnect();
			next_connect_ms = monotonic_ms() + backoff_ms;
		}
		return false;
	}
	return true;
}

static bool take_one(struct queued_rtcp *item)
{
	pthread_mutex_lock(&queue_lock);
	bool have = queue_count > 0;
	if (have) {
		*item = queue[queue_head];
		queue_head = (queue_head + 1) % HOMER_QUEUE_SLOTS;
		queue_count--;
	}
	pthread_mutex_unlock(&queue_lock);
	return have;
}

static bool queue_empty(void)
{
	pthread_mutex_lock(&queue_lock);
	bool empty = queue_count == 0;
	pthread_mutex_unlock(&queue_lock);
	return empty;
}

static void send_item(const struct queued_rtcp *item, unsigned char *buffer, size_t capacity)
{
	g_autofree char *json = homer_rtcp_json(item->packet, item->length);
	if (!json)
		return;   /* counted as rtcpmalformed by the worker */
	struct hep_message message = {
		.source = &item->source,
		.destination = &item->destination,
		.timestamp_us = item->timestamp_us,
		.capture_id = settings.capture_id,
		.protocol_type = HEP_PROTOCOL_RTCP_JSON,
		.correlation_id = item->call_id,
		.correlation_length = item->call_id_length,
		.payload = json,
		.payload_length = strlen(json),
	};
	int length = hep_encode(buffer, capacity, &message);
	if (length < 0 || !send_message(buffer, (size_t) length))
		COUNTER_ADD(counters.send_errors, 1);
	else
		COUNTER_ADD(counters.sent, 1);
}

static void *sender_main(void *unused)
{
	(void) unused;
	pthread_setname_np(pthread_self(), "homer");
	unsigned char *buffer = g_malloc(HEP_MAX_MESSAGE);
	struct queued_rtcp *item = g_new(struct queued_rtcp, 1);
	while (!atomic_load(&stopping)) {
		/* with packets waiting and no connection (TCP backoff) they stay queued; a full
		 * queue drops at the workers, counted */
		if (queue_empty() || !ensure_connected()) {
			struct timespec pause = { 0, HOMER_POLL_MS * 1000000L };
			nanosleep(&pause, NULL);
			continue;
		}
		while (!atomic_load(&stopping) && server_fd >= 0 && take_one(item))
			send_item(item, buffer, HEP_MAX_MESSAGE);
	}
	g_free(item);
	g_free(buffer);
	disconnect();
	return NULL;
}

int homer_start(const struct homer_settings *requested)
{
	settings = *requested;
	if (!endpoint_is_set(&settings.server))
		return 0;
	if (settings.disable_rtcp_stats) {
		log_notice("homer: --homer-disable-rtcp-stats: nothing to send (RTCP is all this relay sends to Homer)");
		return 0;
	}
	queue = g_new0(struct queued_rtcp, HOMER_QUEUE_SLOTS);
	atomic_store(&stopping, false);
	int error = pthread_create(&sender_thread, NULL, sender_main, NULL);
	if (error) {
		log_error("homer: cannot start the sender: %s", strerror(error));
		g_free(queue);
		queue = NULL;
		return -error;
	}
	char text[ENDPOINT_TEXT_SIZE];
	log_info("homer: sending RTCP as HEP3 to %s over %s, capture id %u",
		 endpoint_text(&settings.server, text, sizeof(text)), settings.tcp ? "TCP" : "UDP", settings.capture_id);
	atomic_store(&enabled, true);
	return 0;
}

void homer_stop(void)
{
	if (!queue)
		return;
	atomic_store(&enabled, false);
	atomic_store(&stopping, true);
	pthread_join(sender_thread, NULL);
	/* the workers are stopped before this: nobody queues any more */
	g_free(queue);
	queue = NULL;
	queue_head = queue_count = 0;
}

void homer_read_totals(struct homer_totals *totals)
{
	totals->queued = COUNTER_READ(counters.queued);
	totals->sent = COUNTER_READ(counters.sent);
	totals->dropped = COUNTER_READ(counters.dropped);
	totals->send_errors = COUNTER_READ(counters.send_errors);
	totals->connects = COUNTER_READ(counters.connects);
}
