/* High availability with Redis (--redis, --redis-write, --subscribe-keyspace; docs/redis.md).
 *
 * Writing: an observer of the call lifecycle marks a call dirty when it starts or changes; a
 * one-second check also marks calls whose latched sources or SRTP rollover counters moved
 * (the packet path tells nobody). A short timer then writes each dirty call once (several
 * changes within REDIS_WRITE_DELAY_MS are one write) as one value per call-id with an expiry
 * (SET key value EX --redis-expires), at most REDIS_MAX_PENDING commands in flight; an ended
 * call's key is deleted (not at shutdown: a standby or the restarted daemon takes the calls
 * over). Encoding and sending happen on the control thread's loop after the ng reply went out;
 * the packet path never waits for Redis and the ng path only marks a call.
 *
 * Restoring: at start, before ng is answered, every value of the --redis database is read
 * (SCAN, then GET in batches: the database is the daemon's own) and its call rebuilt
 * (redis_restore.c) with the same ports, endpoints and SRTP state; media continues without a
 * new offer. With --subscribe-keyspace, values that other instances write to those databases
 * are restored as they appear (keyspace notifications, active-active) and their calls ended
 * when the key is deleted or expires; such foreign calls are not written back by us unless
 * a command here changes them.
 *
 * Redis down, slow or restarted: commands are asynchronous (hiredis on the control loop) with
 * --redis-cmd-timeout; connects are bounded by --redis-connect-timeout and retried with
 * backoff (0.5 s doubling to 8 s); dirty calls wait, so a reconnect writes every call that
 * changed meanwhile. After more than --redis-allowed-errors consecutive errors, writing
 * pauses for --redis-disable-time seconds. Each state change is logged once; the numbers are
 * in the statistics snapshot (redis_* fields).
 *
 * Threads: control thread only. */
#ifndef RTPENGINE_REDIS_H
#define RTPENGINE_REDIS_H

#include <stdbool.h>
#include <stdint.h>
#include "call_lifecycle.h"

struct daemon_context;
struct redis_call_record;
struct redis;

#define REDIS_WRITE_DELAY_MS 10
#define REDIS_MAX_PENDING 2048

struct redis_statistics {
	uint64_t connected;           /* 1 while the write connection is up */
	uint64_t writes, write_errors, deletes;
	uint64_t restored, restore_errors;
	uint64_t keyspace_events;
	uint64_t foreign_updates;     /* a foreign call's new value applied (active-active) */
	uint64_t dirty;               /* calls waiting to be written */
};

/* Restores the --redis database's calls, then starts writing and following keyspaces.
 * 0 with *redis = NULL when no Redis option is given; -errno when the database cannot be
 * read at start and --no-redis-required is not given. Call after the media workers run. */
int redis_start(struct redis **redis, struct daemon_context *daemon);
void redis_stop(struct redis *redis);

/* Registered by redis_start(): the lifecycle events that make writes and deletes. */
extern const struct call_observer redis_call_observer;

void redis_read_statistics(struct redis_statistics *statistics);

/* A change that is no lifecycle event (a "changed" event would cancel it): a delete under
 * delete-delay, a via-branch's delete. The call is written REDIS_WRITE_DELAY_MS from now, as
 * after an offer, not at the next one-second check, so a kill -9 right after the delete does not
 * lose it. Only marks the call (a few hash operations; the write runs on the control loop).
 * Without Redis, during a restore or for a foreign call (the owner's value) it does nothing. */
void redis_call_changed_quietly(const struct call *call);

/* The CLI's standby and active (upstream's commands): standby makes every call here foreign
 * (kept and relayed, no longer written: the other instance owns the values); active makes
 * every call ours again and writes them all. -ENOTCONN without Redis. */
int redis_set_standby(bool standby);
/* The CLI's ksadd / ksrm (the caller has changed config->subscribe_keyspace): subscribe to one
 * more keyspace now (or once connected); unsubscribe from one and end its foreign calls,
 * returning how many. Without Redis (redis_running() false) they do nothing. */
bool redis_running(void);
void redis_keyspace_subscribe(unsigned int keyspace);
unsigned int redis_keyspace_unsubscribe(unsigned int keyspace);
/* Calls restored from another instance's value (or set foreign by standby). */
unsigned int redis_foreign_count(void);
bool redis_call_is_foreign(const char *call_id);

/* redis_restore.c: the call of a decoded value, in the registry and relaying. -EEXIST (the
 * call-id is live here), -ENOENT (no matching interface), -EADDRINUSE / -EINVAL (a stored
 * port is taken or outside the range), with a static reason. */
int redis_restore_call(struct daemon_context *daemon, const struct redis_call_record *record, const char **reason);

#endif
