/* Rebuilding a call from its Redis value (redis_value.h) on the standby that takes it over:
 * the same ports, the same endpoints and latches, the same SRTP keys resumed at their
 * indexes. See redis.h.
 *
 * Like an offer (ng_offer_answer.c), everything is built outside the call's lock: the sockets
 * are opened and bound first (all or nothing: a port another program holds fails the call
 * before anything exists), the SRTP contexts staged; one short lock publishes fds, contexts
 * and forwarding flags; then the worker polls the sockets. */
#include "redis.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "bundle.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "dtls_srtp.h"
#include "interface.h"
#include "log.h"
#include "media_crypto.h"
#include "port_pool.h"
#include "media_transcode.h"
#include "pubsub.h"
#include "recording.h"
#include "redis_value.h"
#include "relay.h"

/* SRTCP indexes the previous process may have sent after its last write: at most one RTCP
 * packet per 5 s RTCP interval (RFC 3550 section 6.2) per SSRC over the expiry time is far
 * below this, for the usual write delay of well under a second it is generous. */
#define RESTORE_SRTCP_INDEX_JUMP 1000u

struct opened_pair {
	struct local_interface *interface;
	int fds[2];
};

/* The interface with the same bind address, else the same name and family. */
static struct local_interface *find_interface(struct daemon_context *daemon, const struct redis_media_record *media)
{
	if (endpoint_is_set(&media->local)) {
		for (unsigned int i = 0; i < daemon->interfaces.count; i++) {
			struct local_interface *interface = &daemon->interfaces.items[i];
			if (endpoint_equal(&interface->local, &media->local))
				return interface;
		}
	}
	if (!media->interface[0])
		return NULL;
	struct local_interface *interface = interface_select(&daemon->interfaces, media->interface,
							     media->local.address.sa_family);
	return interface && !strcmp(interface->name, media->interface) ? interface : NULL;
}

static void close_pairs(struct opened_pair *pairs, unsigned int count, const unsigned int *ports)
{
	for (unsigned int i = 0; i < count; i++) {
		if (!pairs[i].interface)
			continue;
		close(pairs[i].fds[0]);
		close(pairs[i].fds[1]);
		port_pool_release_pair(&pairs[i].interface->pool, ports[i]);
	}
}

/* Every media's port pair, by number, before the call exists. */
static int open_pairs(struct daemon_context *daemon, const struct redis_call_record *record, struct opened_pair *pairs,
                      unsigned int *ports, const char **reason)
{
	unsigned int count = 0;
	for (unsigned int m = 0; m < record->monologue_count; m++) {
		const struct redis_monologue_record *monologue = &record->monologues[m];
		for (unsigned int n = 0; n < monologue->media_count; n++, count++) {
			const struct redis_media_record *media = &monologue->media[n];
			pairs[count].interface = NULL;
			ports[count] = media->rtp_port;
			if (!media->rtp_port)
				continue;
			struct local_interface *interface = find_interface(daemon, media);
			if (!interface) {
				*reason = "no local interface matches the stored one";
				close_pairs(pairs, count, ports);
				return -ENOENT;
			}
			int error = port_pool_take_port(&interface->pool, &interface->local, daemon->config->tos,
							media->rtp_port, pairs[count].fds);
			if (error) {
				*reason = error == -EINVAL ? "a stored port is outside --port-min..--port-max"
					: error == -EADDRINUSE ? "a stored port is taken"
					: error == -EMFILE || error == -ENFILE ? "out of file descriptors (ulimit -n)"
					: "a stored port cannot be bound";
				close_pairs(pairs, count, ports);
				return error;
			}
			pairs[count].interface = interface;
		}
	}
	return 0;
}

static void restore_crypto(struct call *call, struct media *media, const struct redis_media_record *stored)
{
	if (media_crypto_restore(media, &stored->ours, &stored->theirs, stored->answer_line) < 0
	    || !media->crypto->staged_srtp) {
		log_call(LOG_WARNING, call->call_id, "restored media %u: SRTP contexts cannot be built", media->index);
		return;
	}
	struct media_srtp *srtp = media->crypto->staged_srtp;
	for (unsigned int i = 0; i < stored->decrypt_count; i++)
		srtp_context_resume(&srtp->decrypt, &stored->decrypt[i], 0);
	for (unsigned int i = 0; i < stored->encrypt_count; i++)
		srtp_context_resume(&srtp->encrypt, &stored->encrypt[i], RESTORE_SRTCP_INDEX_JUMP);
}

/* DTLS-SRTP: the handshake cannot be resumed, but its keys and our role key the same contexts
 * (dtls_srtp.c splits the material as the handshake did). The media gets no association: the
 * peer's further DTLS records fail SRTP authentication and are counted; a re-offer negotiates
 * DTLS again (with this daemon's certificate). Without rtcp-mux the RTCP port's own
 * association (RFC 5764 section 4.1) is restored alike into media->rtcp_srtp, which the
 * packet path uses for that stream. Not yet reachable by the worker: the contexts are set
 * directly. */
static void restore_dtls(struct call *call, struct media *media, const struct redis_media_record *stored)
{
	int suite;
	if (stored->dtls_material_length != dtls_srtp_material_length(stored->dtls_profile)
	    || dtls_srtp_install(media, STREAM_RTP, stored->dtls_profile, stored->dtls_material, stored->dtls_client,
				 &suite) < 0) {
		log_call(LOG_WARNING, call->call_id, "restored media %u: DTLS-SRTP keys cannot be used", media->index);
		return;
	}
	for (unsigned int i = 0; i < stored->decrypt_count; i++)
		srtp_context_resume(&media->srtp->decrypt, &stored->decrypt[i], 0);
	for (unsigned int i = 0; i < stored->encrypt_count; i++)
		srtp_context_resume(&media->srtp->encrypt, &stored->encrypt[i], RESTORE_SRTCP_INDEX_JUMP);
}

static void restore_dtls_rtcp(struct call *call, struct media *media, const struct redis_dtls_keys *stored)
{
	int suite;
	if (stored->material_length != dtls_srtp_material_length(stored->profile)
	    || dtls_srtp_install(media, STREAM_RTCP, stored->profile, stored->material, stored->client, &suite) < 0) {
		log_call(LOG_WARNING, call->call_id, "restored media %u: the RTCP port's DTLS-SRTP keys cannot be used",
			 media->index);
		return;
	}
	for (unsigned int i = 0; i < stored->decrypt_count; i++)
		srtp_context_resume(&media->rtcp_srtp->decrypt, &stored->decrypt[i], 0);
	for (unsigned int i = 0; i < stored->encrypt_count; i++)
		srtp_context_resume(&media->rtcp_srtp->encrypt, &stored->encrypt[i], RESTORE_SRTCP_INDEX_JUMP);
}

static void restore_media(struct daemon_context *daemon, struct call *call, struct media *media, const struct redis_media_record *stored,
                          const struct opened_pair *pair, int64_t now_us)
{
	media->direction = (enum sdp_direction) stored->direction;
	media->rejected = stored->rejected;
	media->rtcp_mux = stored->rtcp_mux;
	media->rtcp_mux_offered = stored->rtcp_mux_offered;
	media->rtcp_mux_policy = stored->rtcp_mux_policy;
	media->branch_rtcp_mux_policy = stored->branch_rtcp_mux_policy;
	media->protocol_own = stored->protocol_own;
	media->protocol_translated = stored->protocol_translated;
	media->protocol_kept_own = stored->protocol_kept_own;
	media->ice_seen = stored->ice_seen;
	g_strlcpy(media->ice_ufrag, stored->ice_ufrag, sizeof(media->ice_ufrag));
	g_strlcpy(media->ice_pwd, stored->ice_pwd, sizeof(media->ice_pwd));
	g_strlcpy(media->codecs, stored->codecs, sizeof(media->codecs));
	g_strlcpy(media->mid, stored->mid, sizeof(media->mid));
	media->bundled = stored->bundled;
	if (pair->interface) {
		media->interface = pair->interface;
		media->rtp_port = stored->rtp_port;
	} else {
		media->interface = find_interface(daemon, stored);
	}
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		struct stream *stream = &media->streams[kind];
		const struct redis_stream_record *from = &stored->streams[kind];
		/* not yet reachable by the worker: plain stores without the lock */
		stream->advertised = from->advertised;
		stream->learned = from->learned;
		stream->state = from->state;
		/* the learned peer counts as just heard: no re-learning, no timeout at once */
		stream->learned_last_us = stream->first_packet_us = now_us;
		stream->counters.last_packet_us = now_us;
	}
	if (stored->sdes)
		restore_crypto(call, media, stored);
	else if (stored->dtls)
		restore_dtls(call, media, stored);
	if (!stored->sdes && stored->dtls_rtcp.present)
		restore_dtls_rtcp(call, media, &stored->dtls_rtcp);
}

/* block/silence media, block DTMF with its audio mode's tone chain, DTMF-delay (packets that
 * waited in the delay line of the previous process are lost); after a subscriber's chain is in
 * place (an audio mode then plays through it); a state out of range restores the media
 * without it */
static void restore_control(struct call *call, struct media *media, const struct redis_media_record *stored)
{
	int control_error = stored->control_set ? media_control_restore(media, &stored->control) : 0;
	if (control_error < 0)
		log_call(LOG_WARNING, call->call_id, "media %u: media control not restored: %s", media->index,
			 strerror(-control_error));
}

/* BUNDLE (bundle.h): the side's transports and the owners' tables, as an answer leaves them
 * (ng_update_stage_bundle() in ng_offer_answer.c); built outside the lock, the tables published by
 * publish_restored_bundle(). */
static void restore_bundle(struct monologue *monologue, const struct redis_monologue_record *stored,
			   struct bundle_group **groups)
{
	for (unsigned int n = 0; n < stored->media_count; n++) {
		const struct redis_media_record *from = &stored->media[n];
		struct media *media = monologue->media[n];
		groups[n] = NULL;
		if (from->bundle_owner < 0)
			continue;
		media->bundle_owner = monologue->media[from->bundle_owner];
		media->bundle_extension_id = from->bundle_extension_id;
		if (!from->bundle_group)
			continue;
		struct bundle_group *group = g_new0(struct bundle_group, 1);
		group->demux = from->bundle_demux;
		for (unsigned int k = 0; k < from->bundle_demux.media_count; k++)
			group->members[k] = monologue->media[from->bundle_members[k]];
		groups[n] = group;
	}
}

/* Under the call's lock: what publish_bundle() in ng_offer_answer.c stores. */
static void publish_restored_bundle(struct media *media, const struct redis_media_record *from,
				    struct bundle_group *group)
{
	if (!media->bundle_owner)
		return;
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		struct stream_extras *extras = media->streams[kind].extras;
		extras->bundle_transport = &media->bundle_owner->streams[STREAM_RTP];
		extras->bundle_index = from->bundle_index;
	}
	media->streams[STREAM_RTP].extras->bundle_group = group;
}

/* The via-branches a delete ended: on the call's removed list again, without ports, with their
 * numbers, endpoints and final counters, for query to list as before (10.5 lists them until
 * the call ends). Made as a side and taken out again (call_remove_monologue()), as the delete
 * did; not reachable by the worker. A call with no room for one more side (CALL_MAX_MONOLOGUES
 * live) restores without it (logged). */
static void restore_ended_branches(struct call *call, const struct redis_call_record *record)
{
	for (unsigned int b = 0; b < record->ended_branch_count; b++) {
		const struct redis_ended_branch_record *stored = &record->ended_branches[b];
		struct monologue *branch = call_add_monologue(call, stored->tag);
		if (!branch) {
			log_call(LOG_WARNING, call->call_id, "restored call: no room for ended via-branch %u", stored->number);
			continue;
		}
		branch->via_branch = g_strdup(stored->via_branch);
		branch->label = g_strdup(stored->label);
		branch->created_us = stored->created_us;
		branch->flags = stored->flags;
		branch->number = stored->number;
		for (unsigned int n = 0; n < stored->media_count; n++) {
			const struct redis_ended_media_record *from = &stored->media[n];
			struct media *media = monologue_add_media(branch, from->type, from->protocol);
			media->label_id = from->label_id;
			call->media_created = MAX(call->media_created, from->label_id + 1);
			media->direction = (enum sdp_direction) from->direction;
			media->rejected = from->rejected;
			media->rtcp_mux = from->rtcp_mux;
			for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
				struct stream *stream = &media->streams[kind];
				stream->state = from->streams[kind].state;
				stream->advertised = from->streams[kind].advertised;
				stream->learned = from->streams[kind].learned;
				stream->counters = from->streams[kind].counters;
				stream->last_ssrc = from->streams[kind].last_ssrc;
			}
		}
		call_remove_monologue(branch);
		branch->branch_ended = true;
		branch->peer = stored->peer >= 0 ? call->monologues[stored->peer] : NULL;
	}
}

/* ---- public ------------------------------------------------------------------------------ */

/* Call recording and forwarding as the previous daemon had them (recording.h); a value
 * without "recording_files" (older writers) restores recording with new files. */
static void restore_recording(struct call *call, const struct redis_call_record *record)
{
	struct recording_saved_state saved = {
		.state = record->recording,
		.metadata = record->recording_metadata,
	};
	if (record->recording_files) {
		saved.forwarding = record->recording_forwarding;
		saved.forwarding_sides = record->recording_forwarding_sides;
		saved.output_destination = record->recording_output_destination;
		saved.prefix = record->recording_prefix;
	}
	recording_restore(call, &saved);
}

int redis_restore_call(struct daemon_context *daemon, const struct redis_call_record *record, const char **reason)
{
	if (call_lookup(record->call_id)) {
		*reason = "a call with this call-id exists";
		return -EEXIST;
	}
	struct opened_pair pairs[CALL_MAX_MONOLOGUES * CALL_MAX_MEDIA];
	unsigned int ports[CALL_MAX_MONOLOGUES * CALL_MAX_MEDIA];
	int error = open_pairs(daemon, record, pairs, ports, reason);
	if (error)
		return error;
	int64_t now_us = now_realtime_us();
	struct call *call = call_start(record->call_id, relay_pick_worker());
	call->created_us = record->created_us;
	call->last_signal_us = record->last_signal_us;
	unsigned int index = 0;
	for (unsigned int m = 0; m < record->monologue_count; m++) {
		const struct redis_monologue_record *stored = &record->monologues[m];
		struct monologue *monologue = call_add_monologue(call, stored->tag);
		if (stored->number_set)   /* query's "<untagged N>": the same as before, ended branches between */
			monologue->number = stored->number;
		monologue->via_branch = g_strdup(stored->via_branch);
		monologue->label = g_strdup(stored->label);
		monologue->created_us = stored->created_us;
		monologue->flags = stored->flags;
		monologue->branch_delete_at_us = stored->branch_delete_at_us;   /* timer.c removes it when due */
		/* publish/subscribe: the roles first (a subscriber's extras hold its source) */
		monologue->publisher = stored->publisher;
		monologue->subscriber = stored->subscriber;
		monologue->subscription_answered = stored->subscription_answered;
		monologue->rtcp_mirror = stored->rtcp_mirror;
		if (stored->sdp)
			pubsub_note_sdp(monologue, stored->sdp, strlen(stored->sdp));
		for (unsigned int n = 0; n < stored->media_count; n++, index++) {
			struct media *media = monologue_add_media(monologue, stored->media[n].type, stored->media[n].protocol);
			/* 10.5's numbering as the writer had it: a SIPREC subscription after the
			 * restore labels the same media as one before it (restored in monologue
			 * order, the answerer's media would otherwise swap numbers with the offerer's) */
			if (stored->media[n].label_id_set) {
				media->label_id = stored->media[n].label_id;
				call->media_created = MAX(call->media_created, media->label_id + 1);
			}
			restore_media(daemon, call, media, &stored->media[n], &pairs[index], now_us);
		}
	}
	restore_ended_branches(call, record);
	/* media and sides made and gone since (an unsubscribed side's) keep their numbers taken */
	call->media_created = MAX(call->media_created, record->media_created);
	unsigned int next_number = record->monologues_created;   /* the numbers as restored, not as made here */
	for (unsigned int m = 0; m < call->monologue_count; m++)
		next_number = MAX(next_number, call->monologues[m]->number + 1);
	for (const struct monologue *ended = call->removed_monologues; ended; ended = ended->removed_next)
		next_number = MAX(next_number, ended->number + 1);
	call->monologues_created = next_number;
	for (unsigned int m = 0; m < record->monologue_count; m++) {
		const struct redis_monologue_record *stored = &record->monologues[m];
		if (stored->peer >= 0)
			call->monologues[m]->peer = call->monologues[stored->peer];
		/* not yet reachable by the worker; the decoder checked that only a subscriber's
		 * media name a source, and a side that is not a subscriber */
		for (unsigned int n = 0; n < stored->media_count; n++)
			if (stored->media[n].source_monologue >= 0)
				PUBSUB_SOURCE(call->monologues[m]->media[n]) =
					call->monologues[stored->media[n].source_monologue]->media[stored->media[n].source_media];
		/* allow-transcoding: a subscriber's chain, in place before the worker sees it; one
		 * that cannot be made leaves the copies in the source's codec (logged) */
		for (unsigned int n = 0; n < stored->media_count; n++)
			if (stored->media[n].source_monologue >= 0 && stored->media[n].transcode_set
			    && media_transcode_subscription_restore(call->monologues[m]->media[n], &stored->media[n].transcode) < 0)
				log_call(LOG_WARNING, call->call_id, "subscriber media %u: transcoding chain not restored", n + 1);
		/* an answer's transcoding chain, likewise (one that cannot be made: untranscoded) */
		for (unsigned int n = 0; n < stored->media_count; n++)
			if (stored->media[n].chain_set
			    && media_transcode_chain_restore(call->monologues[m]->media[n], &stored->media[n].chain) < 0)
				log_call(LOG_WARNING, call->call_id, "media %u: transcoding chain not restored", n + 1);
		for (unsigned int n = 0; n < stored->media_count; n++)
			restore_control(call, call->monologues[m]->media[n], &stored->media[n]);
	}
	struct bundle_group *groups[CALL_MAX_MONOLOGUES][CALL_MAX_MEDIA];
	for (unsigned int m = 0; m < record->monologue_count; m++)
		restore_bundle(call->monologues[m], &record->monologues[m], groups[m]);
	/* publish: sockets, sinks, contexts and forwarding flags under one short lock */
	pthread_mutex_lock(&call->lock);
	index = 0;
	for (unsigned int m = 0; m < record->monologue_count; m++) {
		const struct redis_monologue_record *stored = &record->monologues[m];
		for (unsigned int n = 0; n < stored->media_count; n++, index++) {
			struct media *media = call->monologues[m]->media[n];
			const struct redis_media_record *from = &stored->media[n];
			for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
				struct stream *stream = &media->streams[kind];
				if (pairs[index].interface) {
					stream->fd = pairs[index].fds[kind];
					stream->local_port = (uint16_t) (from->rtp_port + (unsigned int) kind);
				}
				if (from->sink_monologue >= 0)
					stream->sink = &call->monologues[from->sink_monologue]->media[from->sink_media]->streams[kind];
			}
			media_crypto_publish(media);
			publish_restored_bundle(media, from, groups[m][n]);
		}
	}
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	/* publish/subscribe: the sources' fork lists from the restored subscriptions (built
	 * outside the lock, published under it, as after a subscribe answer) */
	for (unsigned int m = 0; m < record->monologue_count; m++) {
		if (record->monologues[m].subscriber && record->monologues[m].subscription_answered) {
			pubsub_refresh_forks(call);
			break;
		}
	}
	struct media *media;
	call_foreach_media(call, media) {
		media_crypto_release(media);
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			struct stream *stream = &media->streams[kind];
			if (stream->fd < 0)
				continue;
			int watch_error = relay_watch_stream(call->worker, stream);
			if (watch_error)
				log_call(LOG_ERR, call->call_id, "restored call: cannot watch port %u: %s", stream->local_port,
					 strerror(-watch_error));
		}
	}
	restore_recording(call, record);
	call_changed(call);
	/* a whole-call delete under delete-delay goes at the stored time (timer.c), a past one at
	 * the next check; set after call_changed(), whose timer observer cancels a delayed delete
	 * (new signalling), which a restore is not */
	if (record->delete_at_us) {
		call->delete_at_us = record->delete_at_us;
		log_call(LOG_INFO, call->call_id, "restored call: its delayed deletion is due in %lld ms",
			 (long long) ((record->delete_at_us - now_us) / 1000));
	}
	return 0;
}
