/* High availability with Redis: connections on the control loop, the writer, restore at start
 * and keyspace notifications; see redis.h. */
#include "redis.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <glib.h>
#include <hiredis.h>
#include <async.h>
#include <string.h>
#include <sys/time.h>
#include "call.h"
#include "daemon.h"
#include "event_loop.h"
#include "log.h"
#include "dtls.h"
#include "media_crypto.h"
#include "recording.h"
#include "redis_value.h"

#define RECONNECT_MIN_US 500000
#define RECONNECT_MAX_US 8000000
#define TICK_US 100000                 /* timeouts, backoff, disable time */
#define RESTORE_BATCH 500              /* GETs per pipelined round at start */

/* ---- one asynchronous connection on the control loop ---------------------------------- */

struct redis_link {
	const char *role;                  /* "write", "keyspace", "read": for logs */
	const struct redis_target *target;
	struct event_loop *loop;
	redisAsyncContext *context;        /* NULL while disconnected */
	int fd;                            /* the context's socket while registered */
	bool connected;                    /* the connect callback said so */
	bool fd_registered;
	uint32_t events;
	int64_t reconnect_at_us;           /* timer_now_us() of the next attempt, 0 = now */
	int64_t backoff_us;
	int64_t connect_started_us;
	unsigned int pending;              /* replies we wait for */
	int64_t progress_us;               /* last reply or the first command after none pending */
	bool logged_down;                  /* the "down" line was logged for this outage */
	void (*on_connect)(struct redis_link *link);
};

struct redis {
	struct daemon_context *daemon;
	const struct daemon_config *config;
	struct redis_link write, keyspace, read;
	bool keyspace_enabled;
	GHashTable *dirty;                 /* call-id (owned) -> timer_now_us() when marked (in pointer): to be written */
	GHashTable *deletes;               /* call-id (owned) -> NULL: DEL not yet sent */
	GHashTable *fingerprints;          /* call-id (owned) -> fingerprint last written (guint64 in pointer) */
	GHashTable *foreign;               /* call-id (owned) -> struct foreign_call (owned): not ours */
	struct timer_entry flush_timer, tick_timer, check_timer;
	bool flush_armed;
	unsigned int consecutive_errors;
	int64_t disabled_until_us;         /* writes pause until then (timer_now_us()) */
	bool restoring;                    /* our own restores are not "changes" to write back */
	bool stopping;
	struct redis_call_record *record;  /* reused by every decode */
	GString *command;                  /* reused by every SET */
	/* shutdown: the SET command of every own call as it ended (after the kernel backend took
	 * its SRTP state back), written by redis_stop() before the daemon exits */
	GPtrArray *final_writes;           /* GString * */
};

/* A call restored from another instance's value, or made foreign by the CLI's standby. */
struct foreign_call {
	guint64 value_hash;                /* of the value last applied (0: none) */
	unsigned int db;                   /* the keyspace it came from, FOREIGN_BY_STANDBY */
};
#define FOREIGN_BY_STANDBY UINT_MAX

/* A keyspace GET in flight: which database the key is in. */
struct keyspace_get {
	unsigned int db;
	char key[];
};

static struct redis *active;           /* the observer's and the statistics' instance */
static struct redis_statistics counters;

static void link_disconnected(struct redis_link *link, const char *why);

static void link_update_fd(struct redis_link *link)
{
	if (link->fd_registered)
		event_loop_modify_fd(link->loop, link->fd, link->events);
}

/* hiredis' event hooks (the shape of its adapters/ headers): toggle EPOLLIN / EPOLLOUT on our loop */
static void hook_add_read(void *data)
{
	struct redis_link *link = data;
	link->events |= EPOLLIN;
	link_update_fd(link);
}

static void hook_del_read(void *data)
{
	struct redis_link *link = data;
	link->events &= ~(uint32_t) EPOLLIN;
	link_update_fd(link);
}

static void hook_add_write(void *data)
{
	struct redis_link *link = data;
	link->events |= EPOLLOUT;
	link_update_fd(link);
}

static void hook_del_write(void *data)
{
	struct redis_link *link = data;
	link->events &= ~(uint32_t) EPOLLOUT;
	link_update_fd(link);
}

static void hook_cleanup(void *data)
{
	struct redis_link *link = data;
	/* hiredis may call it more than once, after the connection callbacks */
	if (link->fd_registered)
		event_loop_remove_fd(link->loop, link->fd);
	link->fd_registered = false;
	link->events = 0;
}

static void link_fd_ready(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct redis_link *link = data;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		redisAsyncHandleRead(link->context);
	/* reading may have ended the connection (context freed by hiredis) */
	if (link->context && (events & EPOLLOUT))
		redisAsyncHandleWrite(link->context);
}

static void on_connect(const redisAsyncContext *context, int status)
{
	struct redis_link *link = context->data;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback (and may call on_disconnect too) */
		if (link->context)
			link_disconnected(link, context->errstr);
		link->context = NULL;
		return;
	}
	link->connected = true;
	link->backoff_us = 0;
	link->pending = 0;
	log_notice("redis %s: connected to %s:%u/%u", link->role, link->target->host, link->target->port,
		   link->target->db);
	link->logged_down = false;
	if (link->on_connect)
		link->on_connect(link);
}

static void on_disconnect(const redisAsyncContext *context, int status)
{
	struct redis_link *link = context->data;
	/* freed by hiredis after this callback; the cleanup hook unregisters the fd */
	if (link->context)
		link_disconnected(link, status == REDIS_OK ? "closed" : context->errstr);
	link->context = NULL;
}

static void link_disconnected(struct redis_link *link, const char *why)
{
	bool was_connected = link->connected;
	link->connected = false;
	link->pending = 0;
	link->backoff_us = link->backoff_us ? MIN(link->backoff_us * 2, RECONNECT_MAX_US) : RECONNECT_MIN_US;
	link->reconnect_at_us = timer_now_us() + link->backoff_us;
	if (&active->write == link)
		counters.connected = 0;
	if (was_connected || !link->logged_down)
		log_warning("redis %s: %s:%u/%u unreachable (%s); retrying with backoff", link->role, link->target->host,
			    link->target->port, link->target->db, why ? why : "?");
	link->logged_down = true;
}

static int link_connect(struct redis_link *link)
{
	redisAsyncContext *context = redisAsyncConnect(link->target->host, (int) link->target->port);
	if (!context)
		return -ENOMEM;
	if (context->err) {
		const char *why = context->errstr;
		link_disconnected(link, why);
		redisAsyncFree(context);
		return -ECONNREFUSED;
	}
	link->context = context;
	context->data = link;
	context->ev.data = link;
	context->ev.addRead = hook_add_read;
	context->ev.delRead = hook_del_read;
	context->ev.addWrite = hook_add_write;
	context->ev.delWrite = hook_del_write;
	context->ev.cleanup = hook_cleanup;
	/* the fd is registered with our callback; hooks only change the mask */
	link->events = 0;
	link->fd = context->c.fd;
	if (event_loop_add_fd(link->loop, link->fd, 0, link_fd_ready, link) == 0)
		link->fd_registered = true;
	redisAsyncSetConnectCallback(context, on_connect);
	redisAsyncSetDisconnectCallback(context, on_disconnect);
	link->connect_started_us = timer_now_us();
	/* hiredis waits for writability to learn the connect's outcome */
	hook_add_write(link);
	if (link->target->password[0])
		redisAsyncCommand(context, NULL, NULL, "AUTH %s", link->target->password);
	redisAsyncCommand(context, NULL, NULL, "SELECT %u", link->target->db);
	return 0;
}

/* Gives up on a connection (timeouts): pending callbacks get NULL replies. */
static void link_drop(struct redis_link *link, const char *why)
{
	redisAsyncContext *context = link->context;
	if (!context)
		return;
	hook_cleanup(link);
	context->ev.cleanup = NULL;
	context->onDisconnect = NULL;
	context->onConnect = NULL;
	link->context = NULL;
	/* pending callbacks run now with NULL replies */
	redisAsyncFree(context);
	if (why)
		link_disconnected(link, why);
	else
		link->connected = false;
}

/* Timeouts and reconnects, every TICK_US. */
static void link_tick(struct redis_link *link, const struct daemon_config *config, int64_t now_us)
{
	if (!link->target)
		return;
	if (!link->context) {
		if (now_us >= link->reconnect_at_us)
			link_connect(link);
		return;
	}
	if (!link->connected) {
		if (now_us - link->connect_started_us > (int64_t) config->redis_connect_timeout_ms * 1000)
			link_drop(link, "connect timeout");
		return;
	}
	if (config->redis_cmd_timeout_ms && link->pending
	    && now_us - link->progress_us > (int64_t) config->redis_cmd_timeout_ms * 1000)
		link_drop(link, "command timeout");
}

static bool link_command(struct redis_link *link, redisCallbackFn *callback, void *data, const char *format, ...)
{
	if (!link->context || !link->connected)
		return false;
	va_list arguments;
	va_start(arguments, format);
	int result = redisvAsyncCommand(link->context, callback, data, format, arguments);
	va_end(arguments);
	if (result != REDIS_OK)
		return false;
	if (!link->pending++)
		link->progress_us = timer_now_us();
	return true;
}

/* A command already in the protocol's form (RESP): hiredis copies it as it is. */
static bool link_formatted_command(struct redis_link *link, redisCallbackFn *callback, void *data, const char *command,
                                   size_t length)
{
	if (!link->context || !link->connected)
		return false;
	if (redisAsyncFormattedCommand(link->context, callback, data, command, length) != REDIS_OK)
		return false;
	if (!link->pending++)
		link->progress_us = timer_now_us();
	return true;
}

static void resp_append_bulk(GString *out, const char *data, size_t length)
{
	char header[32];
	int header_length = snprintf(header, sizeof(header), "$%zu\r\n", length);
	g_string_append_len(out, header, header_length);
	g_string_append_len(out, data, (gssize) length);
	g_string_append_len(out, "\r\n", 2);
}

/* SET key value EX seconds, in RESP around the encoded value: hiredis' format-string parser
 * cost as much per write as a fifth of the value's encoding (callgrind). */
static void resp_set_command(GString *out, const char *key, const char *value, size_t length, unsigned int expires)
{
	char seconds[16];
	int seconds_length = snprintf(seconds, sizeof(seconds), "%u", expires);
	g_string_truncate(out, 0);
	g_string_append_len(out, "*5\r\n$3\r\nSET\r\n", 13);
	resp_append_bulk(out, key, strlen(key));
	resp_append_bulk(out, value, length);
	g_string_append_len(out, "$2\r\nEX\r\n", 8);
	resp_append_bulk(out, seconds, (size_t) seconds_length);
}

/* A reply of link's: true if it is not an error. */
static bool link_reply(struct redis_link *link, const redisReply *reply)
{
	if (link->pending)
		link->pending--;
	link->progress_us = timer_now_us();
	return reply && reply->type != REDIS_REPLY_ERROR;
}

/* ---- writer ----------------------------------------------------------------------------- */

static void note_result(struct redis *redis, bool ok, const char *what, const redisReply *reply)
{
	if (ok) {
		if (redis->consecutive_errors)
			log_notice("redis write: %s succeeds again", what);
		redis->consecutive_errors = 0;
		return;
	}
	counters.write_errors++;
	if (!redis->consecutive_errors++)
		log_warning("redis write: %s failed: %s", what, reply && reply->type == REDIS_REPLY_ERROR ? reply->str
			    : "no reply");
	int allowed = redis->config->redis_allowed_errors;
	if (allowed >= 0 && redis->consecutive_errors > (unsigned int) allowed && !redis->disabled_until_us) {
		redis->disabled_until_us = timer_now_us() + (int64_t) redis->config->redis_disable_time * 1000000;
		log_warning("redis write: %u errors in a row, writes paused for %u s", redis->consecutive_errors,
			    redis->config->redis_disable_time);
	}
}

static void mark_dirty(struct redis *redis, const char *call_id);

static void set_reply(redisAsyncContext *context, void *reply_pointer, void *data)
{
	struct redis *redis = active;
	if (!redis)
		return;
	bool ok = link_reply(&redis->write, reply_pointer);
	if (ok)
		counters.writes++;
	note_result(redis, ok, "SET", reply_pointer);
	/* written again once Redis takes writes */
	if (!ok && !redis->stopping && call_lookup(data))
		mark_dirty(redis, data);
	g_free(data);   /* the call-id, to mark dirty again on failure */
}

static void delete_reply(redisAsyncContext *context, void *reply_pointer, void *data)
{
	struct redis *redis = active;
	if (!redis)
		return;
	bool ok = link_reply(&redis->write, reply_pointer);
	if (ok)
		counters.deletes++;
	note_result(redis, ok, "DEL", reply_pointer);
}

static bool writes_allowed(struct redis *redis)
{
	if (redis->disabled_until_us) {
		if (timer_now_us() < redis->disabled_until_us)
			return false;
		redis->disabled_until_us = 0;
		redis->consecutive_errors = 0;
		log_notice("redis write: writes resume");
	}
	return redis->write.connected;
}

/* What the packet path changes that a standby needs: latches, and where each SRTP stream
 * stands to within 256 packets. A standby guesses an index from a packet's sequence number and
 * the stored index (RFC 3711 section 3.3.1): stored more than 32768 packets behind, it would
 * guess the wrong rollover counter and refuse every packet; 256 packets (5 s of 20 ms audio)
 * also bounds what it could accept twice. An SRTP call is so rewritten every few seconds. */
static guint64 call_fingerprint(struct call *call)
{
	guint64 hash = 1469598103934665603ull;
	struct media *media;
	pthread_mutex_lock(&call->lock);
	call_foreach_media(call, media) {
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			const struct stream *stream = &media->streams[kind];
			hash = (hash ^ stream->state) * 1099511628211ull;
			const unsigned char *bytes = (const unsigned char *) &stream->learned;
			for (size_t i = 0; i < sizeof(stream->learned); i++)
				hash = (hash ^ bytes[i]) * 1099511628211ull;
		}
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			const struct dtls_connection *dtls = media->streams[kind].extras->dtls;
			if (dtls)
				hash = (hash ^ (uint64_t) dtls->state ^ ((uint64_t) dtls->srtp_material_length << 8)
					^ ((uint64_t) kind << 16)) * 1099511628211ull;
		}
		/* block/unblock media or DTMF and a trigger's progress change no lifecycle event */
		struct media_control_saved control;
		media_control_save(media, &control);
		control.trigger_fired_us = 0;   /* recomputed from two clocks each time; fixed while active */
		const unsigned char *control_bytes = (const unsigned char *) &control;
		for (size_t i = 0; i < sizeof(control); i++)
			hash = (hash ^ control_bytes[i]) * 1099511628211ull;
		if (media->srtp) {
			struct srtp_ssrc_position positions[SRTP_SSRC_SLOTS];
			unsigned int count = srtp_context_positions(&media->srtp->decrypt, positions);
			for (unsigned int i = 0; i < count; i++)
				hash = (hash ^ (positions[i].ssrc ^ (positions[i].rtp_index >> 8))) * 1099511628211ull;
			count = srtp_context_positions(&media->srtp->encrypt, positions);
			for (unsigned int i = 0; i < count; i++)
				hash = (hash ^ (positions[i].ssrc ^ (positions[i].rtp_index >> 8) ^ 0x5a5a)) * 1099511628211ull;
		}
	}
	pthread_mutex_unlock(&call->lock);
	/* a delete under delete-delay (ng_query.c), of the call or of a via-branch, is no
	 * lifecycle event either (a change would cancel it) */
	hash = (hash ^ (guint64) call->delete_at_us) * 1099511628211ull;
	for (unsigned int m = 0; m < call->monologue_count; m++)
		hash = (hash ^ (guint64) call->monologues[m]->branch_delete_at_us) * 1099511628211ull;
	/* start/stop/pause recording and start/stop forwarding change no call lifecycle event */
	hash = (hash ^ recording_fingerprint(call)) * 1099511628211ull;
	return hash;
}

static void arm_flush_at(struct redis *redis, int64_t at_us)
{
	if (redis->flush_armed)
		return;
	redis->flush_armed = true;
	event_loop_timer_arm(redis->daemon->loop, &redis->flush_timer, at_us, 0);
}

static void arm_flush(struct redis *redis)
{
	arm_flush_at(redis, timer_now_us() + REDIS_WRITE_DELAY_MS * 1000);
}

/* The first mark since the last write starts the call's delay: a call is written
 * REDIS_WRITE_DELAY_MS after it was first marked, so a burst of changes is one write and a
 * call that ends sooner (a failed or short call, the ng benchmark's cycles) is never written
 * (measured: with one global timer, a fixed 7 % of the calls of a 16-in-flight ng load were
 * written and deleted again). */
static void mark_dirty(struct redis *redis, const char *call_id)
{
	if (!g_hash_table_contains(redis->dirty, call_id))
		g_hash_table_insert(redis->dirty, g_strdup(call_id), GSIZE_TO_POINTER((gsize) timer_now_us()));
	arm_flush(redis);
}

/* Writes the dirty calls and sends the deletes, up to REDIS_MAX_PENDING in flight. */
static void flush(struct timer_entry *timer, void *data)
{
	struct redis *redis = data;
	redis->flush_armed = false;
	if (!writes_allowed(redis))
		return;   /* the tick re-arms once writes are possible */
	const struct daemon_config *config = redis->config;
	GHashTableIter iterator;
	gpointer key;
	g_hash_table_iter_init(&iterator, redis->deletes);
	while (redis->write.pending < REDIS_MAX_PENDING && g_hash_table_iter_next(&iterator, &key, NULL)) {
		if (!link_command(&redis->write, delete_reply, NULL, "DEL %s", (const char *) key))
			return;
		g_hash_table_iter_remove(&iterator);
	}
	int64_t now_us = timer_now_us(), next_due_us = INT64_MAX;
	gpointer marked;
	g_hash_table_iter_init(&iterator, redis->dirty);
	while (redis->write.pending < REDIS_MAX_PENDING && g_hash_table_iter_next(&iterator, &key, &marked)) {
		const char *call_id = key;
		int64_t due_us = (int64_t) GPOINTER_TO_SIZE(marked) + REDIS_WRITE_DELAY_MS * 1000;
		if (due_us > now_us) {
			next_due_us = MIN(next_due_us, due_us);
			continue;   /* marked less than the delay ago */
		}
		struct call *call = call_lookup(call_id);
		if (!call) {
			g_hash_table_iter_remove(&iterator);
			continue;
		}
		g_hash_table_insert(redis->fingerprints, g_strdup(call_id), GSIZE_TO_POINTER(call_fingerprint(call)));
		size_t length = 0;
		char *value = redis_value_encode(call, &length);
		resp_set_command(redis->command, call_id, value, length, config->redis_expires ? config->redis_expires : 86400);
		g_free(value);
		bool sent = link_formatted_command(&redis->write, set_reply, g_strdup(call_id), redis->command->str,
						   redis->command->len);
		if (!sent)
			return;
		g_hash_table_iter_remove(&iterator);
	}
	if (g_hash_table_size(redis->deletes) || redis->write.pending >= REDIS_MAX_PENDING)
		arm_flush(redis);   /* more than fit in flight: the next round */
	else if (next_due_us != INT64_MAX)
		arm_flush_at(redis, next_due_us);
}

/* Once a second: calls whose latches or SRTP rollover moved since their last write. */
static void check_calls(struct call *call, void *data)
{
	struct redis *redis = data;
	if (g_hash_table_contains(redis->foreign, call->call_id) || g_hash_table_contains(redis->dirty, call->call_id))
		return;
	gpointer written = NULL;
	if (g_hash_table_lookup_extended(redis->fingerprints, call->call_id, NULL, &written)
	    && GPOINTER_TO_SIZE(written) == call_fingerprint(call))
		return;
	mark_dirty(redis, call->call_id);
}

static void check_timer_fired(struct timer_entry *timer, void *data)
{
	call_foreach(check_calls, data);
}

void redis_call_changed_quietly(const struct call *call)
{
	struct redis *redis = active;
	if (!redis || redis->restoring || g_hash_table_contains(redis->foreign, call->call_id))
		return;
	mark_dirty(redis, call->call_id);
}

/* ---- lifecycle observer ----------------------------------------------------------------- */

/* On the ng path, after every offer and answer: a few hash operations on the call-id (the
 * tables that are usually empty are not hashed into). */
static void observe_change(const struct call_event *event)
{
	struct redis *redis = active;
	if (!redis || redis->restoring)
		return;
	/* a command here makes a foreign call ours */
	if (g_hash_table_size(redis->foreign))
		g_hash_table_remove(redis->foreign, event->call_id);
	if (g_hash_table_size(redis->deletes))
		g_hash_table_remove(redis->deletes, event->call_id);
	mark_dirty(redis, event->call_id);
}

static void observe_end(const struct call_event *event)
{
	struct redis *redis = active;
	if (!redis)
		return;
	g_hash_table_remove(redis->dirty, event->call_id);
	/* a call that ends before its first write (shorter than REDIS_WRITE_DELAY_MS, or while
	 * Redis was away) has no value to delete */
	bool written = g_hash_table_remove(redis->fingerprints, event->call_id);
	bool foreign = g_hash_table_size(redis->foreign) && g_hash_table_remove(redis->foreign, event->call_id);
	/* at shutdown the value stays for whoever takes over, written once more as the call ends:
	 * the kernel observer (before us) has just taken the kernel's SRTP indexes back, which
	 * moved since the last write, so that a restore resumes exactly there (no index reused
	 * towards a peer, none refused from it); a foreign call's value is its owner's */
	if (event->reason == CALL_END_SHUTDOWN && !foreign && !redis->restoring && event->call) {
		const struct daemon_config *config = redis->config;
		size_t length = 0;
		char *value = redis_value_encode(event->call, &length);
		GString *command = g_string_new(NULL);
		resp_set_command(command, event->call_id, value, length, config->redis_expires ? config->redis_expires : 86400);
		g_free(value);
		g_ptr_array_add(redis->final_writes, command);
		return;
	}
	if (event->reason == CALL_END_SHUTDOWN || foreign || redis->restoring || !written)
		return;
	g_hash_table_add(redis->deletes, g_strdup(event->call_id));
	arm_flush(redis);
}

/* No "created": the offer that creates a call is followed by "changed", or by "ended" when it
 * fails, and an empty call is nothing to write. */
const struct call_observer redis_call_observer = {
	.name = "redis",
	.changed = observe_change,
	.ended = observe_end,
};

/* ---- restoring -------------------------------------------------------------------------- */

/* FNV-1a of a foreign value: the owner rewrites a call whenever its latches or SRTP indexes
 * move, and the same bytes need not be applied again. */
static guint64 value_hash(const char *value, size_t length)
{
	guint64 hash = 1469598103934665603ull;
	for (size_t i = 0; i < length; i++)
		hash = (hash ^ (unsigned char) value[i]) * 1099511628211ull;
	return hash;
}

static void add_foreign(struct redis *redis, const char *call_id, guint64 value_hash, unsigned int db)
{
	struct foreign_call *foreign = g_new(struct foreign_call, 1);
	foreign->value_hash = value_hash;
	foreign->db = db;
	g_hash_table_insert(redis->foreign, g_strdup(call_id), foreign);
}

/* foreign: the keyspace (database) of another instance's value, or -1 for our own */
static int restore_value(struct redis *redis, const char *key, const char *value, size_t length, int64_t foreign_db)
{
	bool foreign = foreign_db >= 0;
	const char *reason = NULL;
	int error = redis_value_decode(value, length, redis->record, &reason);
	if (!error && strcmp(redis->record->call_id, key)) {
		reason = "the value's call-id is not its key";
		error = -EINVAL;
	}
	if (!error && foreign) {
		/* the owner still writes the call's proc spool file (and deletes it when the call
		 * ends): a copy records into files of its own, as before recording_files existed */
		g_free(redis->record->recording_prefix);
		redis->record->recording_prefix = NULL;
	}
	if (!error) {
		redis->restoring = true;
		error = redis_restore_call(redis->daemon, redis->record, &reason);
		redis->restoring = false;
	}
	if (error == -EEXIST && foreign)
		return 0;   /* our own write, or already restored */
	if (error) {
		counters.restore_errors++;
		log_call(LOG_WARNING, key, "redis: cannot restore call: %s", reason);
		return error;
	}
	counters.restored++;
	if (foreign)
		add_foreign(redis, key, value_hash(value, length), (unsigned int) foreign_db);
	else
		/* written as it is: no need to write it again until it changes */
		g_hash_table_insert(redis->fingerprints, g_strdup(key),
				    GSIZE_TO_POINTER(call_fingerprint(call_lookup(key))));
	log_call(LOG_INFO, key, "redis: call restored (schema version %u)%s", redis->record->version,
		 foreign ? " from another instance" : "");
	return 0;
}

static redisContext *connect_blocking(const struct redis_target *target, unsigned int timeout_ms, const char **why)
{
	struct timeval timeout = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	redisContext *context = redisConnectWithTimeout(target->host, (int) target->port, timeout);
	if (!context || context->err) {
		*why = context ? context->errstr : "out of memory";
		return context;
	}
	redisSetTimeout(context, timeout);
	redisReply *reply = NULL;
	if (target->password[0]) {
		reply = redisCommand(context, "AUTH %s", target->password);
		if (!reply || reply->type == REDIS_REPLY_ERROR) {
			*why = "AUTH refused";
			freeReplyObject(reply);
			return context;
		}
		freeReplyObject(reply);
	}
	reply = redisCommand(context, "SELECT %u", target->db);
	if (!reply || reply->type == REDIS_REPLY_ERROR)
		*why = "SELECT refused";
	freeReplyObject(reply);
	return context;
}

/* Restores a batch of keys with one pipelined round of GETs. */
static void restore_batch(struct redis *redis, redisContext *context, char **keys, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++)
		redisAppendCommand(context, "GET %s", keys[i]);
	for (unsigned int i = 0; i < count; i++) {
		redisReply *reply = NULL;
		if (redisGetReply(context, (void **) &reply) != REDIS_OK) {
			counters.restore_errors += count - i;
			return;
		}
		if (reply->type == REDIS_REPLY_STRING)
			restore_value(redis, keys[i], reply->str, reply->len, -1);
		freeReplyObject(reply);
	}
}

/* Every key of the --redis database (ours alone: SCAN, never FLUSH or other databases). */
static int restore_all(struct redis *redis)
{
	const struct daemon_config *config = redis->config;
	const char *why = NULL;
	int64_t started = timer_now_us();
	redisContext *context = connect_blocking(&config->redis_read, config->redis_connect_timeout_ms ? config->redis_connect_timeout_ms : 1000, &why);
	if (why) {
		log_error("redis: cannot read %s:%u/%u: %s", config->redis_read.host, config->redis_read.port,
			  config->redis_read.db, why);
		if (context)
			redisFree(context);
		return -ECONNREFUSED;
	}
	/* commands at start may take longer than a write: the whole database comes back */
	redisSetTimeout(context, (struct timeval) { .tv_sec = 10 });
	char cursor[32] = "0";
	char *keys[RESTORE_BATCH + 1024];
	int error = 0;
	do {
		redisReply *reply = redisCommand(context, "SCAN %s COUNT %d", cursor, RESTORE_BATCH);
		if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
		    || reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY) {
			log_error("redis: SCAN failed: %s", reply && reply->type == REDIS_REPLY_ERROR ? reply->str : context->errstr);
			freeReplyObject(reply);
			error = -EIO;
			break;
		}
		g_strlcpy(cursor, reply->element[0]->str, sizeof(cursor));
		const redisReply *batch = reply->element[1];
		unsigned int count = 0;
		for (size_t i = 0; i < batch->elements; i++) {
			if (batch->element[i]->type != REDIS_REPLY_STRING)
				continue;
			keys[count++] = batch->element[i]->str;
			if (count == G_N_ELEMENTS(keys)) {
				restore_batch(redis, context, keys, count);
				count = 0;
			}
		}
		restore_batch(redis, context, keys, count);
		freeReplyObject(reply);
	} while (strcmp(cursor, "0"));
	redisFree(context);
	log_notice("redis: restored %" PRIu64 " call(s) from %s:%u/%u in %" PRId64 " ms (%" PRIu64 " failed)",
		   counters.restored, config->redis_read.host, config->redis_read.port, config->redis_read.db,
		   (timer_now_us() - started) / 1000, counters.restore_errors);
	return error;
}

/* ---- keyspace notifications (active-active) ----------------------------------------------- */

/* A foreign call's new value (a re-offer or answer at its owner: new endpoints, ports or
 * keys; new latches or SRTP indexes): as upstream does, the copy here ends (its value is the
 * owner's: nothing is deleted) and the new value is restored in its place. Its sockets close
 * before the new ones bind, so a port the value keeps is taken again. */
static void apply_foreign_change(struct redis *redis, struct call *call, const char *key, const char *value,
                                 size_t length, unsigned int db)
{
	const struct foreign_call *applied = g_hash_table_lookup(redis->foreign, key);
	if (applied && applied->value_hash == value_hash(value, length))
		return;   /* the same bytes again */
	/* decoded first: a value we cannot read leaves the copy we have */
	const char *reason = NULL;
	if (redis_value_decode(value, length, redis->record, &reason) < 0) {
		counters.restore_errors++;
		log_call(LOG_WARNING, key, "redis: the other instance's new value cannot be read: %s", reason);
		return;
	}
	log_call(LOG_INFO, key, "redis: the other instance changed the call, applying its new value");
	counters.foreign_updates++;
	call_end(call, CALL_END_DELETE);
	restore_value(redis, key, value, length, db);
}

static void foreign_value(redisAsyncContext *context, void *reply_pointer, void *data)
{
	struct redis *redis = active;
	struct keyspace_get *get = data;
	const char *key = get->key;
	if (redis) {
		link_reply(&redis->read, reply_pointer);
		const redisReply *reply = reply_pointer;
		struct call *call = call_lookup(key);
		if (reply && reply->type == REDIS_REPLY_STRING) {
			if (!call)
				restore_value(redis, key, reply->str, reply->len, get->db);
			else if (g_hash_table_contains(redis->foreign, key))
				apply_foreign_change(redis, call, key, reply->str, reply->len, get->db);
		}
	}
	g_free(get);
}

/* pmessage, pattern, "__keyspace@DB__:KEY", event */
static void keyspace_message(redisAsyncContext *context, void *reply_pointer, void *data)
{
	struct redis *redis = active;
	const redisReply *reply = reply_pointer;
	if (!redis || !reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4
	    || reply->element[2]->type != REDIS_REPLY_STRING || reply->element[3]->type != REDIS_REPLY_STRING)
		return;
	const char *channel = reply->element[2]->str, *event = reply->element[3]->str;
	unsigned int db = 0;
	int offset = 0;
	if (sscanf(channel, "__keyspace@%u__:%n", &db, &offset) != 1 || !offset)
		return;
	const char *key = channel + offset;
	counters.keyspace_events++;
	struct call *call = call_lookup(key);
	if (!strcmp(event, "set")) {
		if (call && !g_hash_table_contains(redis->foreign, key))
			return;   /* ours: our own write */
		size_t key_length = strlen(key);
		struct keyspace_get *get = g_malloc(sizeof(*get) + key_length + 1);
		get->db = db;
		memcpy(get->key, key, key_length + 1);
		if (!link_command(&redis->read, NULL, NULL, "SELECT %u", db)
		    || !link_command(&redis->read, foreign_value, get, "GET %s", key)) {
			g_free(get);
			log_call(LOG_WARNING, key, "redis: keyspace event lost, no read connection");
		}
	} else if ((!strcmp(event, "del") || !strcmp(event, "expired")) && call
		   && g_hash_table_contains(redis->foreign, key)) {
		log_call(LOG_INFO, key, "redis: the other instance deleted the call");
		call_end(call, CALL_END_DELETE);
	}
}

static void keyspace_connected(struct redis_link *link)
{
	struct redis *redis = active;
	for (unsigned int i = 0; i < redis->config->subscribe_keyspace_count; i++)
		redisAsyncCommand(link->context, keyspace_message, NULL, "PSUBSCRIBE __keyspace@%u__:*",
				  redis->config->subscribe_keyspace[i]);
}

/* ---- the CLI's ksadd / ksrm: keyspaces at run time (the list is config->subscribe_keyspace) */

static void link_init(struct redis_link *link, const char *role, const struct redis_target *target,
                      struct event_loop *loop, void (*connected)(struct redis_link *link));

static void start_keyspace_links(struct redis *redis)
{
	const struct daemon_config *config = redis->config;
	const struct redis_target *target = config->redis_read.host[0] ? &config->redis_read : &config->redis_write;
	link_init(&redis->keyspace, "keyspace", target, redis->daemon->loop, keyspace_connected);
	link_init(&redis->read, "read", target, redis->daemon->loop, NULL);
	redis->keyspace_enabled = true;
	link_connect(&redis->keyspace);
	link_connect(&redis->read);
}

bool redis_running(void)
{
	return active != NULL;
}

void redis_keyspace_subscribe(unsigned int keyspace)
{
	struct redis *redis = active;
	if (!redis)
		return;
	if (!redis->keyspace_enabled)
		start_keyspace_links(redis);   /* subscribes the whole list once connected */
	else if (redis->keyspace.connected)
		redisAsyncCommand(redis->keyspace.context, keyspace_message, NULL, "PSUBSCRIBE __keyspace@%u__:*", keyspace);
	/* not connected: keyspace_connected() subscribes the list when it is */
}

unsigned int redis_keyspace_unsubscribe(unsigned int keyspace)
{
	struct redis *redis = active;
	if (!redis)
		return 0;
	if (redis->keyspace_enabled && redis->keyspace.connected)
		redisAsyncCommand(redis->keyspace.context, NULL, NULL, "PUNSUBSCRIBE __keyspace@%u__:*", keyspace);
	/* its foreign calls end here (not in Redis: their values are the other instance's) */
	GPtrArray *ending = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iterator;
	gpointer key, value;
	g_hash_table_iter_init(&iterator, redis->foreign);
	while (g_hash_table_iter_next(&iterator, &key, &value))
		if (((const struct foreign_call *) value)->db == keyspace)
			g_ptr_array_add(ending, g_strdup(key));
	unsigned int ended = 0;
	for (guint i = 0; i < ending->len; i++) {
		struct call *call = call_lookup(g_ptr_array_index(ending, i));
		if (call) {
			call_end(call, CALL_END_CLI_TERMINATE);
			ended++;
		}
	}
	g_ptr_array_free(ending, TRUE);
	return ended;
}

static void mark_own_call(struct call *call, void *data)
{
	struct redis *redis = data;
	if (!g_hash_table_contains(redis->foreign, call->call_id))
		mark_dirty(redis, call->call_id);
}

/* A Redis that restarted may have lost every value (no persistence): each connect writes
 * all our calls again, not only those that changed while it was away. */
static void write_connected(struct redis_link *link)
{
	counters.connected = 1;
	call_foreach(mark_own_call, active);
	arm_flush(active);
}

/* ---- timers and public functions ---------------------------------------------------------- */

static void tick(struct timer_entry *timer, void *data)
{
	struct redis *redis = data;
	int64_t now = timer_now_us();
	link_tick(&redis->write, redis->config, now);
	if (redis->keyspace_enabled) {
		link_tick(&redis->keyspace, redis->config, now);
		link_tick(&redis->read, redis->config, now);
	}
	if ((g_hash_table_size(redis->dirty) || g_hash_table_size(redis->deletes)) && writes_allowed(redis))
		arm_flush(redis);
}

static void link_init(struct redis_link *link, const char *role, const struct redis_target *target,
                      struct event_loop *loop, void (*connected)(struct redis_link *link))
{
	memset(link, 0, sizeof(*link));
	link->role = role;
	link->target = target;
	link->loop = loop;
	link->on_connect = connected;
}

static void free_command(gpointer command)
{
	g_string_free(command, TRUE);
}

int redis_start(struct redis **result, struct daemon_context *daemon)
{
	*result = NULL;
	const struct daemon_config *config = daemon->config;
	bool have_read = config->redis_read.host[0], have_write = config->redis_write.host[0];
	if (!have_read && !have_write)
		return 0;
	struct redis *redis = g_new0(struct redis, 1);
	redis->daemon = daemon;
	redis->config = config;
	redis->record = g_new0(struct redis_call_record, 1);
	redis->command = g_string_sized_new(4096);
	redis->dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	redis->deletes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	redis->fingerprints = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	redis->foreign = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	redis->final_writes = g_ptr_array_new_with_free_func(free_command);
	timer_entry_init(&redis->flush_timer, flush, redis);
	timer_entry_init(&redis->tick_timer, tick, redis);
	timer_entry_init(&redis->check_timer, check_timer_fired, redis);
	active = redis;
	memset(&counters, 0, sizeof(counters));
	int error = call_observer_register(&redis_call_observer);
	if (error) {
		redis_stop(redis);
		return error;
	}
	if (have_read) {
		error = restore_all(redis);
		if (error && !config->no_redis_required) {
			log_error("redis: not starting without the calls of %s:%u/%u (--no-redis-required starts anyway)",
				  config->redis_read.host, config->redis_read.port, config->redis_read.db);
			redis_stop(redis);
			return error;
		}
	}
	struct event_loop *loop = daemon->loop;
	link_init(&redis->write, "write", have_write ? &config->redis_write : &config->redis_read, loop, write_connected);
	redis->keyspace_enabled = config->subscribe_keyspace_count > 0;
	if (redis->keyspace_enabled)
		start_keyspace_links(redis);
	link_connect(&redis->write);
	event_loop_timer_arm(loop, &redis->tick_timer, timer_now_us() + TICK_US, TICK_US);
	event_loop_timer_arm(loop, &redis->check_timer, timer_now_us() + 1000000, 1000000);
	*result = redis;
	return 0;
}

static void link_close(struct redis_link *link)
{
	if (link->context)
		link_drop(link, NULL);
}

/* The calls' last values at shutdown (final_writes): one blocking connection, pipelined SETs,
 * bounded by --redis-connect-timeout per reply. Blocking is fine here: nothing else runs. */
static void write_final_values(struct redis *redis)
{
	if (!redis->final_writes->len)
		return;
	const struct daemon_config *config = redis->config;
	const struct redis_target *target = redis->write.target;
	const char *why = NULL;
	redisContext *context = connect_blocking(target, config->redis_connect_timeout_ms ? config->redis_connect_timeout_ms : 1000,
						 &why);
	unsigned int written = 0;
	if (!why) {
		for (unsigned int i = 0; i < redis->final_writes->len; i++) {
			GString *command = g_ptr_array_index(redis->final_writes, i);
			redisAppendFormattedCommand(context, command->str, command->len);
		}
		for (unsigned int i = 0; i < redis->final_writes->len; i++) {
			redisReply *reply = NULL;
			if (redisGetReply(context, (void **) &reply) != REDIS_OK) {
				why = context->errstr[0] ? context->errstr : "no reply";
				break;
			}
			if (reply->type == REDIS_REPLY_ERROR)
				counters.write_errors++;
			else
				written++;
			freeReplyObject(reply);
		}
	}
	counters.writes += written;
	if (why)
		log_error("redis write: %u of %u call(s) written at shutdown, then %s:%u/%u: %s", written,
			  redis->final_writes->len, target->host, target->port, target->db, why);
	else
		log_notice("redis write: %u call(s) written at shutdown (their last SRTP indexes and latches)", written);
	if (context)
		redisFree(context);
}

void redis_stop(struct redis *redis)
{
	if (!redis)
		return;
	struct event_loop *loop = redis->daemon->loop;
	redis->stopping = true;
	event_loop_timer_cancel(loop, &redis->flush_timer);
	event_loop_timer_cancel(loop, &redis->tick_timer);
	event_loop_timer_cancel(loop, &redis->check_timer);
	link_close(&redis->write);
	link_close(&redis->keyspace);
	link_close(&redis->read);
	if (redis->write.target)
		write_final_values(redis);
	g_ptr_array_free(redis->final_writes, TRUE);
	active = NULL;
	redis_call_record_clear(redis->record);
	g_free(redis->record);
	g_string_free(redis->command, TRUE);
	g_hash_table_destroy(redis->dirty);
	g_hash_table_destroy(redis->deletes);
	g_hash_table_destroy(redis->fingerprints);
	g_hash_table_destroy(redis->foreign);
	g_free(redis);
}

void redis_read_statistics(struct redis_statistics *statistics)
{
	*statistics = counters;
	statistics->dirty = active ? g_hash_table_size(active->dirty) : 0;
}

static void make_foreign(struct call *call, void *data)
{
	struct redis *redis = data;
	if (!g_hash_table_contains(redis->foreign, call->call_id))
		add_foreign(redis, call->call_id, 0, FOREIGN_BY_STANDBY);
	g_hash_table_remove(redis->dirty, call->call_id);
}

int redis_set_standby(bool standby)
{
	struct redis *redis = active;
	if (!redis)
		return -ENOTCONN;
	if (standby) {
		call_foreach(make_foreign, redis);
		log_notice("redis: standby, every call is foreign (relayed, not written)");
	} else {
		g_hash_table_remove_all(redis->foreign);
		call_foreach(mark_own_call, redis);
		log_notice("redis: active, every call is ours (written)");
	}
	return 0;
}

unsigned int redis_foreign_count(void)
{
	return active ? g_hash_table_size(active->foreign) : 0;
}

bool redis_call_is_foreign(const char *call_id)
{
	return active && g_hash_table_contains(active->foreign, call_id);
}

