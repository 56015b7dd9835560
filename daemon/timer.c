/* Call lifetime checks; see timer.h. */
#include "timer.h"

#include "call.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "log.h"
#include "redis.h"

struct check_state {
	struct daemon_context *daemon;
	int64_t now_us;
};

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

/* The same m= line on the other side of the dialogue, if it has one. */
static const struct media *peer_media(const struct media *media)
{
	const struct monologue *peer = media->monologue->peer;
	unsigned int index = media->index - 1;
	return peer && index < peer->media_count ? peer->media[index] : NULL;
}

static void check_call(struct call *call, void *data)
{
	struct check_state *state = data;
	enum call_end_reason reason;
	/* a forked offer's branch deleted under delete-delay (ng_query.c); its removal is news to
	 * the observers unless the whole call waits for its own delayed delete (which a change
	 * would cancel) */
	if (call_remove_due_branches(call, state->now_us) && !call->delete_at_us)
		call_changed(call);
	pthread_mutex_lock(&call->lock);
	bool expired = timer_call_expired(call, state->daemon->config, state->now_us, &reason);
	pthread_mutex_unlock(&call->lock);
	if (!expired)
		return;
	/* a foreign call (Redis active-active) lives as long as its owner's value, and its media
	 * flows through the owner: of the timeouts only the final one applies (as upstream) */
	if (reason != CALL_END_FINAL_TIMEOUT && reason != CALL_END_DELETE && redis_call_is_foreign(call->call_id))
		return;
	if (reason != CALL_END_DELETE)
		log_call(LOG_NOTICE, call->call_id, "Closing call due to %s", call_end_reason_text(reason));
	call_end(call, reason);
}

static void cancel_delayed_delete(const struct call_event *event)
{
	struct call *call = event->call;
	if (!call->delete_at_us)
		return;
	call->delete_at_us = 0;
	log_call(LOG_INFO, call->call_id, "Delayed deletion cancelled by new signalling");
}

const struct call_observer timer_call_observer = {
	.name = "timer",
	.changed = cancel_delayed_delete,
};

bool timer_call_expired(const struct call *call, const struct daemon_config *config, int64_t now_us,
                        enum call_end_reason *reason)
{
	if (call->delete_at_us && now_us >= call->delete_at_us) {
		*reason = CALL_END_DELETE;
		return true;
	}
	if (config->final_timeout && now_us - call->created_us >= (int64_t) config->final_timeout * 1000000) {
		*reason = CALL_END_FINAL_TIMEOUT;
		return true;
	}
	int64_t last_any = call->last_signal_us;
	bool on_hold = false, one_way_silent = false;
	struct media *media;
	call_foreach_media(call, media) {
		int64_t last = media_last_packet(media);
		if (last > last_any)
			last_any = last;
		if (media_on_hold(media))
			on_hold = true;
		/* one side sends, the other has been silent since the call was set up */
		const struct media *peer = peer_media(media);
		if (peer && last && !media_last_packet(peer))
			one_way_silent = true;
	}
	int64_t idle = now_us - last_any;
	if (config->timeout && idle >= (int64_t) config->timeout * 1000000 && !on_hold) {
		*reason = CALL_END_TIMEOUT;
		return true;
	}
	if (config->silent_timeout && (on_hold || one_way_silent)) {
		int64_t reference = on_hold ? idle : now_us - call->last_signal_us;
		if (reference >= (int64_t) config->silent_timeout * 1000000) {
			*reason = CALL_END_SILENT_TIMEOUT;
			return true;
		}
	}
	return false;
}

void timer_check_calls(struct daemon_context *daemon, int64_t now_us)
{
	struct check_state state = { daemon, now_us };
	call_foreach(check_call, &state);
}
