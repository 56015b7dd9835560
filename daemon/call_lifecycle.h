/* The call lifecycle: the one place where calls start, change and end, and the observers
 * that want to know.
 *
 * call_start() creates a call, call_changed() follows every offer and answer that went
 * through (after the call's lock is released; what a failed one changed reaches the
 * kernel at the next one-second sync), call_end() ends a call for a reason and is the only way to
 * destroy one. Features that care about calls (the daemon totals, the kernel backend;
 * later recording, Redis, Homer, metrics, the CLI) register a struct call_observer at
 * start-up instead of adding calls into the ng handlers or the timers. Observers run in
 * the order they were registered, on the control thread, with the call whole: "ended"
 * runs before the sockets close and while the call is still in the registry.
 *
 * Threads: control thread only (registration at start-up, events from ng commands and the
 * one-second timer). An observer takes call->lock itself if it reads what the packet path
 * writes. */
#ifndef RTPENGINE_CALL_LIFECYCLE_H
#define RTPENGINE_CALL_LIFECYCLE_H

#include <stdint.h>
#include "call.h"

struct daemon_context;
struct media_worker;

enum call_end_reason {
	CALL_END_DELETE,          /* delete command (at once or after the delete delay) */
	CALL_END_TIMEOUT,         /* no media for --timeout */
	CALL_END_SILENT_TIMEOUT,  /* on hold or one-way silent for --silent-timeout */
	CALL_END_FINAL_TIMEOUT,   /* --final-timeout after creation */
	CALL_END_SHUTDOWN,        /* the daemon stops */
	CALL_END_FAILED_OFFER,    /* the offer that created the call failed */
	CALL_END_CLI_TERMINATE,   /* an operator's terminate command (CLI: terminate, call CALLID terminate) */
	CALL_END_REASONS
};

/* What an observer is told. Valid during the callback only. */
struct call_event {
	struct call *call;               /* whole: sockets open, in the registry */
	struct daemon_context *daemon;
	const char *call_id;
	int64_t created_us;              /* CLOCK_REALTIME microseconds, as call->created_us */
	int64_t now_us;                  /* when the event happened */
	enum call_end_reason reason;     /* "ended" only */
	struct call_totals totals;       /* "ended" only: the call's counters at its end */
};

/* Any callback may be NULL. "created" sees the call still empty (the offer then fills it and
 * "changed" follows, unless the offer failed: then "ended" with CALL_END_FAILED_OFFER). */
struct call_observer {
	const char *name;
	void (*created)(const struct call_event *event);
	void (*changed)(const struct call_event *event);
	void (*ended)(const struct call_event *event);
};

#define CALL_OBSERVERS_MAX 16

/* The daemon context handed to observers in every event. */
void call_lifecycle_init(struct daemon_context *daemon);
/* Adds an observer after those registered before it; the pointer must stay valid.
 * Returns 0, -EEXIST if it is registered already or -ENOSPC past CALL_OBSERVERS_MAX. */
int call_observer_register(const struct call_observer *observer);
/* Forgets every observer (shutdown, tests). */
void call_lifecycle_reset(void);

/* Creates the call (in the registry, pinned to worker) and tells the observers. */
struct call *call_start(const char *call_id, struct media_worker *worker);
/* An offer or answer went through; call without call->lock held. */
void call_changed(struct call *call);
/* Tells the observers, then closes the sockets and destroys the call (call_destroy). */
void call_end(struct call *call, enum call_end_reason reason);
/* The reason in words, for logs ("deleted", "silent timeout", ...). */
const char *call_end_reason_text(enum call_end_reason reason);

/* The daemon's own bookkeeping of ended calls for `statistics` (struct daemon_totals): why
 * they ended, how long they lasted, what they relayed. Like upstream, managedsessions counts
 * calls that have ended, failed offers included; a failed offer has no termination reason. */
extern const struct call_observer daemon_totals_observer;

#endif
