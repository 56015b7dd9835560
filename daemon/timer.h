/* Call lifetime on the control thread: delayed deletes, --timeout, --silent-timeout and
 * --final-timeout, checked once a second. */
#ifndef RTPENGINE_TIMER_H
#define RTPENGINE_TIMER_H

#include <stdint.h>

struct call;
struct daemon_context;

enum call_end_reason {
	CALL_END_REGULAR,        /* delete command */
	CALL_END_TIMEOUT,        /* no media for --timeout */
	CALL_END_SILENT_TIMEOUT, /* on hold or one-way silent for --silent-timeout */
	CALL_END_FINAL_TIMEOUT,  /* --final-timeout after creation */
	CALL_END_SHUTDOWN,
};

/* Ends a call now: counts it in the daemon totals and destroys it. */
void timer_end_call(struct daemon_context *daemon, struct call *call, enum call_end_reason reason);
/* Runs the checks over every call. */
void timer_check_calls(struct daemon_context *daemon, int64_t now_us);

#endif
