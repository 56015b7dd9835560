/* Call creation, change and end, and their observers; see call_lifecycle.h. */
#include "call_lifecycle.h"

#include <errno.h>
#include <string.h>
#include "daemon.h"
#include "log.h"

static const char *const reason_text[CALL_END_REASONS] = {
	[CALL_END_DELETE] = "deleted",
	[CALL_END_TIMEOUT] = "timeout: no media",
	[CALL_END_SILENT_TIMEOUT] = "silent timeout",
	[CALL_END_FINAL_TIMEOUT] = "final timeout",
	[CALL_END_SHUTDOWN] = "daemon shutting down",
	[CALL_END_FAILED_OFFER] = "offer failed",
	[CALL_END_CLI_TERMINATE] = "terminated by operator",
};

/* Fixed at start-up, control thread only. */
static const struct call_observer *observers[CALL_OBSERVERS_MAX];
static unsigned int observer_count;
static struct daemon_context *lifecycle_daemon;

static void event_init(struct call_event *event, struct call *call)
{
	memset(event, 0, sizeof(*event));
	event->call = call;
	event->daemon = lifecycle_daemon;
	event->call_id = call->call_id;
	event->created_us = call->created_us;
	event->now_us = now_realtime_us();
}

static void totals_ended(const struct call_event *event)
{
	if (!event->daemon)
		return;
	struct daemon_totals *totals = &event->daemon->totals;
	totals->managed_sessions++;
	switch (event->reason) {
	case CALL_END_DELETE: totals->regular_terminated++; break;
	case CALL_END_TIMEOUT: totals->timeout_sessions++; break;
	case CALL_END_SILENT_TIMEOUT: totals->silent_timeout_sessions++; break;
	case CALL_END_FINAL_TIMEOUT: totals->final_timeout_sessions++; break;
	case CALL_END_SHUTDOWN:
	case CALL_END_CLI_TERMINATE: totals->forced_terminated++; break;
	case CALL_END_FAILED_OFFER:
		/* never set up: no reason counted, no duration (upstream reports neither) */
		return;
	case CALL_END_REASONS: break;
	}
	const struct call_totals *sums = &event->totals;
	totals->relayed_packets += sums->rtp_packets + sums->rtcp_packets;
	totals->relayed_bytes += sums->rtp_bytes + sums->rtcp_bytes;
	totals->relayed_errors += sums->rtp_errors + sums->rtcp_errors;
	totals->total_call_seconds += (double) (event->now_us - event->created_us) / 1e6;
}

const struct call_observer daemon_totals_observer = {
	.name = "totals",
	.ended = totals_ended,
};

void call_lifecycle_init(struct daemon_context *daemon)
{
	lifecycle_daemon = daemon;
}

int call_observer_register(const struct call_observer *observer)
{
	for (unsigned int i = 0; i < observer_count; i++)
		if (observers[i] == observer)
			return -EEXIST;
	if (observer_count >= CALL_OBSERVERS_MAX)
		return -ENOSPC;
	observers[observer_count++] = observer;
	return 0;
}

void call_lifecycle_reset(void)
{
	observer_count = 0;
	lifecycle_daemon = NULL;
}

struct call *call_start(const char *call_id, struct media_worker *worker)
{
	struct call *call = call_create(call_id, worker);
	struct call_event event;
	event_init(&event, call);
	for (unsigned int i = 0; i < observer_count; i++)
		if (observers[i]->created)
			observers[i]->created(&event);
	return call;
}

void call_changed(struct call *call)
{
	struct call_event event;
	event_init(&event, call);
	for (unsigned int i = 0; i < observer_count; i++)
		if (observers[i]->changed)
			observers[i]->changed(&event);
}

void call_end(struct call *call, enum call_end_reason reason)
{
	struct call_event event;
	event_init(&event, call);
	event.reason = reason;
	/* one snapshot for every observer, so they all report the same figures */
	pthread_mutex_lock(&call->lock);
	call_totals(call, &event.totals);
	pthread_mutex_unlock(&call->lock);
	for (unsigned int i = 0; i < observer_count; i++)
		if (observers[i]->ended)
			observers[i]->ended(&event);
	call_destroy(call, call_end_reason_text(reason));
}

const char *call_end_reason_text(enum call_end_reason reason)
{
	return reason < CALL_END_REASONS && reason_text[reason] ? reason_text[reason] : "unknown reason";
}
