/* Call lifetime on the control thread: delayed deletes, --timeout, --silent-timeout and
 * --final-timeout, checked once a second. Expired calls end through call_end(). */
#ifndef RTPENGINE_TIMER_H
#define RTPENGINE_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include "call_lifecycle.h"

struct call;
struct daemon_config;
struct daemon_context;

/* The rules, as a pure function of the call, the configuration and the time: true with
 * *reason set when the call must end at now_us. Reads the stream counters: hold
 * call->lock (or own the call alone, as a test does).
 * - the delete delay of a delete command has run out: CALL_END_DELETE;
 * - --final-timeout seconds after creation, whatever happens: CALL_END_FINAL_TIMEOUT;
 * - --timeout: no packet and no signalling for that long, unless some media is on hold
 *   (sendonly, recvonly, inactive): CALL_END_TIMEOUT;
 * - --silent-timeout: on hold with no packet and no signalling for that long, or one-way
 *   silent (one side sends, its peer never sent) that long after the last signalling:
 *   CALL_END_SILENT_TIMEOUT. */
bool timer_call_expired(const struct call *call, const struct daemon_config *config, int64_t now_us,
                        enum call_end_reason *reason);
/* The lifecycle's view of the timers: an offer or answer cancels a delete that was
 * delayed (upstream 10.5 revives such a call on either). */
extern const struct call_observer timer_call_observer;
/* Runs the checks over every call and ends the expired ones. */
void timer_check_calls(struct daemon_context *daemon, int64_t now_us);

#endif
