/* Call lifetime checks; see timer.h. */
#include "timer.h"

#include "call.h"
#include "daemon.h"
#include "kernel_backend.h"
#include "log.h"

static const char *const reason_text[] = {
	[CALL_END_REGULAR] = "deleted",
	[CALL_END_TIMEOUT] = "timeout: no media",
	[CALL_END_SILENT_TIMEOUT] = "silent timeout",
	[CALL_END_FINAL_TIMEOUT] = "final timeout",
	[CALL_END_SHUTDOWN] = "daemon shutting down",
};

struct check_state {
	struct daemon_context *daemon;
	int64_t now_us;
};

void timer_end_call(struct daemon_context *daemon, struct call *call, enum call_end_reason reason)
{
	struct daemon_totals *totals = &daemon->totals;
	switch (reason) {
	case CALL_END_REGULAR: totals->regular_terminated++; break;
	case CALL_END_TIMEOUT: totals->timeout_sessions++; break;
	case CALL_END_SILENT_TIMEOUT: totals->silent_timeout_sessions++; break;
	case CALL_END_FINAL_TIMEOUT: totals->final_timeout_sessions++; break;
	case CALL_END_SHUTDOWN: totals->forced_terminated++; break;
	}
	struct call_totals sums;
	pthread_mutex_lock(&call->lock);
	call_totals(call, &sums);
	pthread_mutex_unlock(&call->lock);
	totals->relayed_packets += sums.rtp_packets + sums.rtcp_packets;
	totals->relayed_bytes += sums.rtp_bytes + sums.rtcp_bytes;
	totals->relayed_errors += sums.rtp_errors + sums.rtcp_errors;
	totals->total_call_seconds += (double) (now_realtime_us() - call->created_us) / 1e6;
	kernel_backend_remove_call(daemon, call);
	call_destroy(call, reason_text[reason]);
}

/* Latest packet received on either stream of a side's media. */
static int64_t media_last_packet(const struct media *media)
{
	int64_t rtp = media->streams[STREAM_RTP].counters.last_packet_us;
	int64_t rtcp = media->streams[STREAM_RTCP].counters.last_packet_us;
	return rtp > rtcp ? rtp : rtcp;
}

static bool media_on_hold(const struct media *media)
{
	return media->direction == SDP_DIRECTION_INACTIVE || media->direction == SDP_DIRECTION_SENDONLY
		|| media->direction == SDP_DIRECTION_RECVONLY;
}

/* Decides whether a call has outlived a timeout. Reads counters under the call lock. */
static enum call_end_reason call_expired(struct daemon_context *daemon, struct call *call, int64_t now_us,
                                         bool *expired)
{
	const struct daemon_config *config = daemon->config;
	*expired = false;
	if (config->final_timeout && now_us - call->created_us >= (int64_t) config->final_timeout * 1000000) {
		*expired = true;
		return CALL_END_FINAL_TIMEOUT;
	}
	int64_t last_any = call->last_signal_us;
	bool on_hold = false, one_way_silent = false;
	pthread_mutex_lock(&call->lock);
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		struct monologue *monologue = call->monologues[m];
		for (unsigned int i = 0; i < monologue->media_count; i++) {
			struct media *media = monologue->media[i];
			int64_t last = media_last_packet(media);
			if (last > last_any)
				last_any = last;
			if (media_on_hold(media))
				on_hold = true;
			/* one side sends, the other has been silent since the call was set up */
			struct monologue *peer = monologue->peer;
			if (peer && i < peer->media_count && last && !media_last_packet(peer->media[i]))
				one_way_silent = true;
		}
	}
	pthread_mutex_unlock(&call->lock);
	int64_t idle = now_us - last_any;
	if (config->timeout && idle >= (int64_t) config->timeout * 1000000 && !on_hold) {
		*expired = true;
		return CALL_END_TIMEOUT;
	}
	if (config->silent_timeout && (on_hold || one_way_silent)) {
		int64_t reference = on_hold ? idle : now_us - call->last_signal_us;
		if (reference >= (int64_t) config->silent_timeout * 1000000) {
			*expired = true;
			return CALL_END_SILENT_TIMEOUT;
		}
	}
	return CALL_END_REGULAR;
}

static void check_call(struct call *call, void *data)
{
	struct check_state *state = data;
	if (call->delete_at_us && state->now_us >= call->delete_at_us) {
		timer_end_call(state->daemon, call, CALL_END_REGULAR);
		return;
	}
	bool expired;
	enum call_end_reason reason = call_expired(state->daemon, call, state->now_us, &expired);
	if (expired) {
		log_call(LOG_NOTICE, call->call_id, "Closing call due to %s", reason_text[reason]);
		timer_end_call(state->daemon, call, reason);
	}
}

void timer_check_calls(struct daemon_context *daemon, int64_t now_us)
{
	struct check_state state = { daemon, now_us };
	call_foreach(check_call, &state);
}
