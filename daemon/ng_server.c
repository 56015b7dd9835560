/* The ng control socket; see ng_server.h. */
#include "ng_server.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bencode.h"
#include "call.h"
#include "daemon.h"
#include "log.h"
#include "ng_commands.h"
#include "media_control.h"
#include "media_player.h"
#include "recording.h"
#include "ng_json.h"
#include "pubsub.h"

#define NG_MAX_DATAGRAM 65536
#define NG_BATCH 16                 /* requests per recvmmsg(), replies per sendmmsg() */
#define NG_REQUESTS_PER_WAKEUP 64  /* then the timers and signals get their turn */
#define NG_POLL_AFTER_REPLY_US 150
#define NG_POLL_MISSES_MAX 2        /* polls in a row that caught nothing: stop polling */
#define NG_POLL_RETRY_EVERY 64      /* then poll once per this many chances, to notice a faster proxy */
#define NG_BACK_TO_BACK_US 1000
/* Kamailio retransmits for a few seconds (rtpengine_tout_ms x rtpengine_retr); keep replies
 * a while longer, as upstream does. */
#define NG_CACHE_LIFETIME_US (30 * 1000000LL)

/* Exact-size copies, in a slab (below): a GString would round every reply up to a power of
 * two. The reply starts with the cookie and a space; the cache's key is a NUL-terminated copy
 * of the cookie right after the reply. */
struct cached_reply {
	int64_t stored_us;
	size_t length;
	size_t slab_size;      /* bytes it takes in its slab, up to the next reply */
	char datagram[];
};

/* Cookies longer than this are looked up through a heap copy. */
#define NG_COOKIE_ON_STACK 128

/* Cached replies are stored one after the other in slabs, and expire in the order they were
 * stored: expiry walks from the oldest reply to the first one still valid and frees the slabs
 * it passed, so neither storing nor expiring a reply costs a malloc or a walk over the whole
 * cache (measured on the ng cycle bench with perf: the malloc of each cached reply, a "large"
 * one that made glibc consolidate its fast bins first, was 2-3% of the daemon's CPU; the
 * once-a-second walk over every cached reply grows with the request rate: 30 s of them). */
#define NG_CACHE_SLAB_SIZE (64 * 1024)   /* below glibc's mmap threshold: reused heap memory */

struct reply_slab {
	struct reply_slab *next;   /* the next newer slab */
	size_t used, capacity;
	max_align_t data[];
};

/* One request of a batch and where its reply is. */
struct ng_slot {
	union endpoint source;
	struct iovec request_vector, reply_vector;
	GString *reply;
	char datagram[NG_MAX_DATAGRAM + 1];
};

struct ng_server {
	int fd;
	struct daemon_context *daemon;
	GHashTable *cache;     /* cookie (char *) -> struct cached_reply *, both in a slab */
	struct reply_slab *oldest_slab, *newest_slab;
	size_t expired_offset;   /* in the oldest slab: where the first reply not yet expired is */
	struct mmsghdr requests[NG_BATCH], replies[NG_BATCH];
	struct ng_slot slots[NG_BATCH];
	int64_t last_request_us;
	bool back_to_back;     /* the last two requests came less than NG_BACK_TO_BACK_US apart */
	unsigned int poll_misses;   /* polls in a row that ended without a request */
	unsigned int poll_skipped;  /* chances to poll skipped since polling was suspended */
};

struct ng_command_entry {
	const char *name;
	int (*handler)(struct ng_request *request);   /* NULL: an upstream command refused here */
	bool cached;           /* replies of state-changing commands are kept for retransmissions */
	const char *missing;   /* refused commands: the feature they need, for the error reason */
};

#define REFUSED_COMMAND(name, feature) { name, NULL, false, feature }

/* Names are matched exactly, as upstream does ("PING" is an unknown command). The implemented
 * commands come first: the statistics counters are indexed like this table. */
static const struct ng_command_entry command_table[] = {
	{ "ping", ng_command_ping, false, NULL },
	{ "offer", ng_command_offer, true, NULL },
	{ "answer", ng_command_answer, true, NULL },
	{ "delete", ng_command_delete, true, NULL },
	{ "query", ng_command_query, false, NULL },
	{ "list", ng_command_list, false, NULL },
	{ "statistics", ng_command_statistics, false, NULL },
	/* CLI over ng (cli_server.c): upstream's later `cli` command */
	{ "cli", ng_command_cli, false, NULL },
	/* media control (media_control.h) */
	{ "block DTMF", ng_command_block_dtmf, true, NULL },
	{ "unblock DTMF", ng_command_unblock_dtmf, true, NULL },
	{ "block media", ng_command_block_media, true, NULL },
	{ "unblock media", ng_command_unblock_media, true, NULL },
	{ "silence media", ng_command_silence_media, true, NULL },
	{ "unsilence media", ng_command_unsilence_media, true, NULL },
	{ "play DTMF", ng_command_play_dtmf, true, NULL },
	{ "play media", ng_command_play_media, true, NULL },
	{ "stop media", ng_command_stop_media, true, NULL },
	/* upstream's other documented commands: an error naming the missing feature rather than
	 * upstream's generic "Unrecognized command", which stays for names upstream lacks too */
	/* call recording (recording.h): an error without --recording-dir */
	{ "start recording", ng_command_start_recording, true, NULL },
	{ "stop recording", ng_command_stop_recording, true, NULL },
	{ "pause recording", ng_command_pause_recording, true, NULL },
	{ "start forwarding", ng_command_start_forwarding, true, NULL },
	{ "stop forwarding", ng_command_stop_forwarding, true, NULL },
	/* publish/subscribe (pubsub.h) */
	{ "publish", ng_command_publish, true, NULL },
	{ "subscribe request", ng_command_subscribe_request, true, NULL },
	{ "subscribe answer", ng_command_subscribe_answer, true, NULL },
	{ "unsubscribe", ng_command_unsubscribe, true, NULL },
};

static struct ng_command_counter command_counters[G_N_ELEMENTS(command_table)];

/* From a ping's tens of microseconds to an offer stuck behind a slow host name lookup. */
const double ng_latency_bucket_seconds[NG_LATENCY_BUCKETS - 1] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0,
};

static void count_latency(struct ng_command_counter *counter, double seconds)
{
	unsigned int bucket = 0;
	while (bucket < NG_LATENCY_BUCKETS - 1 && seconds > ng_latency_bucket_seconds[bucket])
		bucket++;
	counter->latency[bucket]++;
}

static struct daemon_totals *cache_totals;   /* where the cache's size is reported */
/* Requests are decoded into and replies built in this one arena, reset after each request
 * (control thread only): a fresh arena per request cost a large malloc and free each time. */
static struct bencode_buffer *request_buffer;

static void cached_reply_free(gpointer data)
{
	struct cached_reply *cached = data;
	if (cache_totals) {
		cache_totals->ng_cached_replies--;
		cache_totals->ng_cached_bytes -= cached->length;
	}
	/* the memory goes with its slab */
}

/* Room for size bytes (*size is rounded up to 8) in the newest slab, or a new one. */
static void *slab_alloc(struct ng_server *server, size_t *size)
{
	*size = (*size + 7) & ~(size_t) 7;
	struct reply_slab *slab = server->newest_slab;
	if (!slab || slab->capacity - slab->used < *size) {
		size_t capacity = *size > NG_CACHE_SLAB_SIZE ? *size : NG_CACHE_SLAB_SIZE;
		slab = g_malloc(sizeof(*slab) + capacity);
		*slab = (struct reply_slab) { .capacity = capacity };
		if (server->newest_slab)
			server->newest_slab->next = slab;
		else
			server->oldest_slab = slab;
		server->newest_slab = slab;
	}
	void *memory = (char *) slab->data + slab->used;
	slab->used += *size;
	return memory;
}

static void free_oldest_slab(struct ng_server *server)
{
	struct reply_slab *slab = server->oldest_slab;
	server->oldest_slab = slab->next;
	if (server->newest_slab == slab)
		server->newest_slab = NULL;
	server->expired_offset = 0;
	g_free(slab);
}

static const struct ng_command_entry *find_command(const char *name, unsigned int *index)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(command_table); i++) {
		if (!strcmp(command_table[i].name, name)) {
			*index = i;
			return &command_table[i];
		}
	}
	return NULL;
}

static void reply_error(struct bencode_buffer *buffer, struct bencode_item *reply, const char *reason)
{
	bencode_dictionary_add_string(buffer, reply, "result", "error");
	bencode_dictionary_add_string(buffer, reply, "error-reason", reason);
}

/* Runs one decoded request; fills reply. Returns whether the reply may be cached. */
static bool run_request(struct daemon_context *daemon, struct bencode_buffer *buffer, struct bencode_item *input,
                        const union endpoint *source, struct bencode_item *reply)
{
	if (input->type != BENCODE_DICTIONARY) {
		reply_error(buffer, reply, "Request is not a dictionary");
		return false;
	}
	const char *command = bencode_dictionary_get_string(buffer, input, "command", NULL);
	if (!command) {
		reply_error(buffer, reply, "No command given");
		return false;
	}
	unsigned int index = 0;
	const struct ng_command_entry *entry = find_command(command, &index);
	if (!entry) {
		log_warning("unrecognized ng command '%s'", command);
		reply_error(buffer, reply, "Unrecognized command");
		daemon->totals.ng_errors++;
		return false;
	}
	if (!entry->handler) {
		char *reason = g_strdup_printf("%s: %s is not supported by this relay", entry->name, entry->missing);
		log_warning("refused ng command: %s", reason);
		reply_error(buffer, reply, reason);
		g_free(reason);
		daemon->totals.ng_errors++;
		return false;
	}
	struct ng_request request = {
		.daemon = daemon, .buffer = buffer, .input = input, .reply = reply,
		.source = *source, .command = entry->name,
	};
	/* one clock read per request: in a batch its start is the end of the one before
	 * (ng_server_receive froze the clock at the batch's arrival); the handler and all it
	 * calls see this time (call.h) */
	bool in_batch = clock_frozen();
	int64_t started = in_batch ? now_realtime_us() : clock_read_realtime_us();
	clock_freeze_us(started);
	int result = ng_flags_parse(&request);
	const char *call_id = request.flags.call_id;
	if (log_enabled(LOG_INFO) || log_call_debugging(call_id)) {
		char source_text[ENDPOINT_TEXT_SIZE];
		log_call(LOG_INFO, call_id, "Received command '%s' from %s", entry->name,
			 endpoint_text(source, source_text, sizeof(source_text)));
	}
	if (result == 0)
		result = entry->handler(&request);
	if (result < 0) {
		/* drop whatever the handler had started to put into the reply */
		reply->first_child = reply->last_child = NULL;
		reply->child_count = 0;
		reply_error(buffer, reply, request.error_reason ? request.error_reason : "Internal error");
		log_call(LOG_WARNING, call_id, "Protocol error in '%s': %s", entry->name, request.error_reason);
		daemon->totals.ng_errors++;
	} else if (request.warning) {
		bencode_dictionary_add_string(buffer, reply, "warning", request.warning);
	}
	/* flag debug: the call's lines pass any log level from now on (until it ends) */
	if (result >= 0 && request.flags.debug && call_id && call_lookup(call_id))
		log_call_debug_set(call_id, true);
	command_counters[index].name = entry->name;
	command_counters[index].count++;
	int64_t ended = clock_read_realtime_us();
	if (in_batch)
		clock_freeze_us(ended);
	else
		clock_thaw();
	double seconds = (double) (ended - started) / 1e6;
	command_counters[index].seconds += seconds;
	count_latency(&command_counters[index], seconds);
	return entry->cached;
}

bool ng_process_datagram(struct daemon_context *daemon, const char *data, size_t length,
                         const union endpoint *source, GString *reply)
{
	bool cacheable = false;
	const char *space = memchr(data, ' ', length);
	if (!space || space == data) {
		log_warning("ng datagram without cookie (%zu bytes): ignored", length);
		return false;
	}
	size_t cookie_length = (size_t) (space - data);
	g_string_append_len(reply, data, (gssize) cookie_length);
	g_string_append_c(reply, ' ');

	if (!request_buffer)
		request_buffer = bencode_buffer_new();
	struct bencode_buffer *buffer = request_buffer;
	struct bencode_item *reply_dictionary = bencode_dictionary_new(buffer);
	const char *error = NULL;
	const char *payload = space + 1;
	size_t payload_length = length - cookie_length - 1;
	/* JSON requests (ng_json.h) are answered in JSON */
	bool json = ng_json_request(payload, payload_length);
	struct bencode_item *input = json ? ng_json_decode(buffer, payload, payload_length, &error)
		: bencode_decode(buffer, payload, payload_length, &error);
	if (!input) {
		char text[ENDPOINT_TEXT_SIZE];
		log_warning("malformed ng request from %s: %s", endpoint_text(source, text, sizeof(text)), error);
		char *reason = json ? g_strdup(error)
			: g_strdup_printf("Failed to decode bencode: %s", error ? error : "malformed");
		reply_error(buffer, reply_dictionary, reason);
		g_free(reason);
		daemon->totals.ng_errors++;
	} else {
		cacheable = run_request(daemon, buffer, input, source, reply_dictionary);
	}
	if (json)
		ng_json_encode(buffer, reply_dictionary, reply);
	else
		bencode_encode(reply_dictionary, reply);
	bencode_buffer_reset(buffer);
	return cacheable;
}

int ng_server_open(struct ng_server **result, const union endpoint *listen, struct daemon_context *daemon)
{
	union endpoint address = *listen;
	int fd = socket(address.address.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* a bare --listen-ng=PORT binds [::]: dual-stack, so IPv4 proxies reach it too */
	if (address.address.sa_family == AF_INET6) {
		int v6_only = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof(v6_only));
	}
	if (bind(fd, &address.address, endpoint_length(&address)) < 0) {
		int error = -errno;
		close(fd);
		return error;
	}
	struct ng_server *server = g_new0(struct ng_server, 1);
	server->fd = fd;
	server->daemon = daemon;
	server->cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, cached_reply_free);
	for (unsigned int i = 0; i < NG_BATCH; i++) {
		struct ng_slot *slot = &server->slots[i];
		slot->reply = g_string_sized_new(4096);
		slot->request_vector = (struct iovec) { slot->datagram, NG_MAX_DATAGRAM };
		server->requests[i].msg_hdr = (struct msghdr) { .msg_iov = &slot->request_vector, .msg_iovlen = 1 };
		server->replies[i].msg_hdr = (struct msghdr) { .msg_iov = &slot->reply_vector, .msg_iovlen = 1 };
	}
	cache_totals = &daemon->totals;
	*result = server;
	return 0;
}

void ng_server_close(struct ng_server *server)
{
	if (!server)
		return;
	close(server->fd);
	g_hash_table_destroy(server->cache);
	while (server->oldest_slab)
		free_oldest_slab(server);
	cache_totals = NULL;
	for (unsigned int i = 0; i < NG_BATCH; i++)
		g_string_free(server->slots[i].reply, TRUE);
	g_free(server);
	bencode_buffer_free(request_buffer);
	request_buffer = NULL;
}

int ng_server_fd(const struct ng_server *server)
{
	return server->fd;
}

static int receive_batch(struct ng_server *server)
{
	for (unsigned int i = 0; i < NG_BATCH; i++) {
		struct msghdr *header = &server->requests[i].msg_hdr;
		header->msg_name = &server->slots[i].source;
		header->msg_namelen = sizeof(server->slots[i].source);
	}
	return recvmmsg(server->fd, server->requests, NG_BATCH, MSG_DONTWAIT, NULL);
}

/* When a proxy sends requests back to back (each waits for the previous reply), the next one
 * may arrive a few tens of microseconds after our reply: polling for it saves going to sleep
 * and the wake-up of a sleeping CPU. A poll that catches nothing burns its whole 150 us, so
 * it is done only after a batch of one request (a proxy waiting for each reply; with several
 * requests in flight the next batch comes anyway), while requests come close together, and
 * only while polls keep catching requests: after NG_POLL_MISSES_MAX misses in a row it is
 * tried once per NG_POLL_RETRY_EVERY chances.
 *
 * Measured with the bench's loadgen (ng cycles: offer, answer, delete), 10 alternating runs of
 * 1.5 s each, medians, on the 2-vCPU machine while other jobs kept it 300% loaded: polling
 * after every back-to-back reply (as before) cost 5-10 us more CPU per cycle than not
 * polling at all (81-93 against 72-87 us sequential, 74-90 against 72-78 us with 16 in flight)
 * and gained no throughput above the noise (medians moved by +-25% between sets of runs).
 * This rule measured 73-75 us sequential and 67-76 us with 16 in flight, throughput again
 * within the noise of no polling. So the poll is kept only where it catches requests; on that
 * machine it does not clearly pay for itself. */
static int wait_briefly_for_requests(struct ng_server *server)
{
	if (server->poll_misses >= NG_POLL_MISSES_MAX && ++server->poll_skipped < NG_POLL_RETRY_EVERY) {
		errno = EAGAIN;
		return -1;
	}
	server->poll_skipped = 0;
	int64_t until = clock_read_realtime_us() + NG_POLL_AFTER_REPLY_US;
	int count;
	do
		count = receive_batch(server);
	while (count < 0 && errno == EAGAIN && clock_read_realtime_us() < until);
	if (count > 0)
		server->poll_misses = 0;
	else if (server->poll_misses < NG_POLL_MISSES_MAX)
		server->poll_misses++;
	return count;
}

static void cache_reply(struct ng_server *server, size_t cookie_length, const GString *reply)
{
	int64_t now_us = now_realtime_us();
	struct cached_reply *entry;
	size_t size = sizeof(*entry) + reply->len + cookie_length + 1;
	entry = slab_alloc(server, &size);
	entry->stored_us = now_us;
	entry->slab_size = size;
	entry->length = reply->len;
	memcpy(entry->datagram, reply->str, entry->length);
	char *key = entry->datagram + entry->length;
	memcpy(key, reply->str, cookie_length);   /* the reply starts with the request's cookie */
	key[cookie_length] = '\0';
	g_hash_table_replace(server->cache, key, entry);
	server->daemon->totals.ng_cached_replies++;
	server->daemon->totals.ng_cached_bytes += entry->length;
}

static struct cached_reply *find_cached_reply(struct ng_server *server, const char *cookie, size_t length)
{
	char on_stack[NG_COOKIE_ON_STACK];
	char *key = length < sizeof(on_stack) ? on_stack : g_malloc(length + 1);
	memcpy(key, cookie, length);
	key[length] = '\0';
	struct cached_reply *cached = g_hash_table_lookup(server->cache, key);
	if (cached)
		log_info("retransmitted request (cookie %s): sending the cached reply", key);
	if (key != on_stack)
		g_free(key);
	return cached;
}

/* Runs one received request (or finds its cached reply); points slot->reply_vector at the
 * reply. Returns false when there is nothing to send. */
static bool handle_request(struct ng_server *server, struct ng_slot *slot, size_t length)
{
	const char *space = memchr(slot->datagram, ' ', length);
	size_t cookie_length = space ? (size_t) (space - slot->datagram) : 0;
	struct cached_reply *cached = space ? find_cached_reply(server, slot->datagram, cookie_length) : NULL;
	if (cached) {
		slot->reply_vector = (struct iovec) { cached->datagram, cached->length };
		return true;
	}
	g_string_truncate(slot->reply, 0);
	bool cacheable = ng_process_datagram(server->daemon, slot->datagram, length, &slot->source, slot->reply);
	if (slot->reply->len == 0)
		return false;
	/* cached before it is sent: a retransmission later in the same batch finds it */
	if (space && cacheable)
		cache_reply(server, cookie_length, slot->reply);
	slot->reply_vector = (struct iovec) { slot->reply->str, slot->reply->len };
	return true;
}

/* Replies go out together at the end of a batch: one system call, and a proxy with several
 * requests in flight is woken once for all of them. */
static void send_replies(struct ng_server *server, unsigned int count)
{
	unsigned int sent = 0;
	while (sent < count) {
		int result = sendmmsg(server->fd, &server->replies[sent], count - sent, MSG_DONTWAIT);
		if (result < 0) {
			log_warning("cannot send ng reply: %s", strerror(errno));
			sent++;   /* skip the reply that failed; the proxy will retransmit */
			continue;
		}
		sent += (unsigned int) result;
	}
}

void ng_server_receive(struct ng_server *server)
{
	int handled = 0, last_batch = 0;
	while (handled < NG_REQUESTS_PER_WAKEUP) {
		int received = receive_batch(server);
		if (received < 0 && errno == EAGAIN && last_batch == 1 && server->back_to_back)
			received = wait_briefly_for_requests(server);
		if (received <= 0) {
			if (received < 0 && errno != EAGAIN && errno != EINTR)
				log_error("ng socket: %s", strerror(errno));
			return;
		}
		int64_t arrived = clock_read_realtime_us();
		clock_freeze_us(arrived);   /* until the batch is answered: see run_request() */
		bool back_to_back = arrived - server->last_request_us < NG_BACK_TO_BACK_US;
		server->last_request_us = arrived;
		unsigned int replies = 0;
		for (int i = 0; i < received; i++) {
			struct ng_slot *slot = &server->slots[i];
			if (!handle_request(server, slot, server->requests[i].msg_len))
				continue;
			struct msghdr *header = &server->replies[replies].msg_hdr;
			header->msg_name = &slot->source;
			header->msg_namelen = server->requests[i].msg_hdr.msg_namelen;
			header->msg_iov = &slot->reply_vector;
			replies++;
		}
		clock_thaw();
		server->back_to_back = back_to_back;
		send_replies(server, replies);
		handled += received;
		last_batch = received;
	}
}

void ng_server_expire_cache(struct ng_server *server, int64_t now_us)
{
	while (server->oldest_slab) {
		struct reply_slab *slab = server->oldest_slab;
		while (server->expired_offset < slab->used) {
			struct cached_reply *cached = (struct cached_reply *) ((char *) slab->data + server->expired_offset);
			if (now_us - cached->stored_us <= NG_CACHE_LIFETIME_US)
				return;
			/* unless a newer reply under the same cookie replaced it */
			const char *cookie = cached->datagram + cached->length;
			if (g_hash_table_lookup(server->cache, cookie) == cached)
				g_hash_table_remove(server->cache, cookie);
			server->expired_offset += cached->slab_size;
		}
		free_oldest_slab(server);
	}
}

const struct ng_command_counter *ng_command_counters(unsigned int *count)
{
	unsigned int implemented = 0;
	while (implemented < G_N_ELEMENTS(command_table) && command_table[implemented].handler) {
		command_counters[implemented].name = command_table[implemented].name;
		implemented++;
	}
	*count = implemented;
	return command_counters;
}
