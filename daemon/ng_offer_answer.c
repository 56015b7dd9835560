/* The offer and answer commands: SDP in, call state updated, SDP with the relay's address
 * and ports out (RFC 3264 offer/answer as seen by a media relay in the middle). This file is
 * the state machine; the SDP the other side gets is written by ng_offer_answer_sdp.c.
 *
 * Locking rule (call.h): the control thread is the only writer of signalling state, so it
 * reads and changes what only it uses (monologues, media, tags, ports, crypto negotiation,
 * ICE credentials, the SDP it writes) without the call's lock. Everything the media worker
 * reads is built outside the lock and staged in a struct call_update: new sockets (opened and
 * bound, not yet polled), the side's SDP address, sink links, new SRTP contexts (a fresh
 * object). publish() then stores the staged values and the forwarding flags under a short
 * lock, plain stores only: no system call, allocation, crypto or formatting while the worker
 * may be waiting. After unlocking, finish_update() frees the replaced SRTP contexts and starts
 * polling the new sockets. New media are reachable by the worker only through a sink link
 * or an epoll registration, both made at or after publishing. ICE credentials are written
 * outside the lock once, before the first publish sets FORWARD_ICE, the only thing that lets
 * the worker read them (an ICE restart replaces them under the lock: ice_agent_publish). */
#include "ng_commands.h"
#include "ng_offer_answer.h"

#include <errno.h>
#include <string.h>
#include "bundle.h"
#include "call.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "ice_agent.h"
#include "interface.h"
#include "log.h"
#include "media_control.h"
#include "media_dtmf_detect.h"
#include "media_crypto.h"
#include "media_dtls.h"
#include "media_quality.h"
#include "media_transcode.h"
#include "dtls_certificate.h"
#include "ng_call_lookup.h"
#include "ng_keys.h"
#include "port_pool.h"
#include "pubsub.h"
#include "recording.h"
#include "relay.h"
#include "sdp.h"

/* What one request changes in one media that the worker reads; see the rule above. */
struct media_update {
	struct media *media;
	bool new_sockets;               /* fds and ports become the streams' */
	int fds[2];
	int parked_in;                  /* the epoll set parked fds are still in (port_pool.h), or -1 */
	uint16_t ports[2];
	bool new_sdp_address;           /* the side's SDP said where it receives */
	bool filled;                    /* ... at advertised (else the media is rejected) */
	union endpoint advertised[2];   /* [STREAM_RTP], [STREAM_RTCP] */
	struct media *sink;             /* packets received here go to this media; NULL = unchanged */
	/* ICE on both address families: the other family's pair (extras->family_fd) */
	bool new_family_sockets;
	int family_fds[2];
	uint16_t family_ports[2];
	int family;
	/* call quality (media_quality.h): the clock rates of the payload types the side's SDP lists */
	bool new_clock_rates;
	struct payload_clock_rates clock_rates;
	/* BUNDLE (bundle.h): the extras' bundle fields change to these */
	bool new_bundle;
	struct media *bundle_owner;     /* the transport's media (this one for the owner), NULL = own */
	uint8_t bundle_index;
	struct bundle_group *bundle_group;    /* the owner's new table, NULL = none */
	struct bundle_group *replaced_group;  /* the table it replaced: freed by finish_update() */
};

/* An offer touches both sides' media, an answer both sides' (a fork's media being the
 * answerer's): two per m= line. */
#define CALL_UPDATE_MAX (2 * CALL_MAX_MEDIA)

struct call_update {
	struct call *call;
	int64_t signal_us;              /* becomes call->last_signal_us */
	unsigned int count;
	bool kick_ice;                  /* an ICE agent started or its peer's candidates changed */
	struct media_update media[CALL_UPDATE_MAX];
};

/* The entry for media, added on first use. NULL only if a request touched more media than
 * CALL_UPDATE_MAX, which the SDP's limit of CALL_MAX_MEDIA m= lines rules out. */
static struct media_update *update_for(struct call_update *update, struct media *media)
{
	for (unsigned int i = 0; i < update->count; i++)
		if (update->media[i].media == media)
			return &update->media[i];
	if (update->count >= CALL_UPDATE_MAX)
		return NULL;
	struct media_update *entry = &update->media[update->count++];
	memset(entry, 0, sizeof(*entry));
	entry->media = media;
	return entry;
}

/* The address family of the side's SDP address as this request leaves it. */
static int update_sdp_family(const struct media_update *entry)
{
	if (entry->new_sdp_address)
		return entry->filled ? entry->advertised[STREAM_RTP].address.sa_family : 0;
	/* written by the control thread alone: readable without the lock */
	return entry->media->streams[STREAM_RTP].advertised.address.sa_family;
}

/* A new SDP address: a peer that moved (re-INVITE) is learned again. */
static void publish_sdp_address(struct stream *stream, const struct media_update *entry)
{
	if (!entry->filled) {
		memset(&stream->advertised, 0, sizeof(stream->advertised));
		stream->state &= (uint8_t) ~STREAM_FILLED;
		return;
	}
	const union endpoint *address = &entry->advertised[stream->kind];
	if ((stream->state & STREAM_FILLED) && !endpoint_equal(&stream->advertised, address))
		stream->state &= (uint8_t) ~(STREAM_LATCHED | STREAM_CONFIRMED);
	stream->advertised = *address;
	stream->state |= STREAM_FILLED;
}

/* BUNDLE: which transport the media's streams use, and the owner's demultiplexing table. */
static void publish_bundle(struct media_update *entry)
{
	struct media *media = entry->media;
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		struct stream_extras *extras = media->streams[kind].extras;
		extras->bundle_transport = entry->bundle_owner ? &entry->bundle_owner->streams[STREAM_RTP] : NULL;
		extras->bundle_index = entry->bundle_index;
	}
	struct stream_extras *rtp = media->streams[STREAM_RTP].extras;
	if (rtp->bundle_group != entry->bundle_group)
		entry->replaced_group = rtp->bundle_group;
	rtp->bundle_group = entry->bundle_group;
}

/* Stores the staged values where the worker reads them: under the lock, plain stores only. */
static void publish(struct call_update *update)
{
	struct call *call = update->call;
	bool kick_ice = false;
	pthread_mutex_lock(&call->lock);
	call->last_signal_us = update->signal_us;
	for (unsigned int i = 0; i < update->count; i++) {
		struct media_update *entry = &update->media[i];
		struct media *media = entry->media;
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			struct stream *stream = &media->streams[kind];
			if (entry->new_sockets) {
				stream->fd = entry->fds[kind];
				stream->local_port = entry->ports[kind];
			}
			if (entry->new_sdp_address)
				publish_sdp_address(stream, entry);
			if (entry->sink)
				stream->sink = &entry->sink->streams[kind];
			if (entry->new_family_sockets) {
				stream->extras->family_fd = entry->family_fds[kind];
				stream->extras->family_port = entry->family_ports[kind];
				stream->extras->family = entry->family;
			}
		}
		if (entry->new_clock_rates)
			media_quality_set_clock_rates(media->streams[STREAM_RTP].extras->quality, &entry->clock_rates);
		if (entry->new_bundle)
			publish_bundle(entry);
		media_crypto_publish(media);
		if (ice_agent_publish(media))
			kick_ice = true;
		media_dtls_publish(media);
		/* transcoding chains staged by ng_write_sdp (media_transcode.h); idempotent */
		media_transcode_publish(media);
		if (entry->sink)
			media_transcode_publish(entry->sink);
		/* detect-DTMF's detectors (media_dtmf_detect.h), before the flags are copied */
		media_dtmf_detect_publish(media);
		if (entry->sink)
			media_dtmf_detect_publish(entry->sink);
	}
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	update->kick_ice = kick_ice;
}

/* After publish(), outside the lock: frees the SRTP contexts it replaced and lets the
 * worker poll the new sockets (their fds are in place, so it can read them at once). */
static void finish_update(struct call_update *update)
{
	struct call *call = update->call;
	for (unsigned int i = 0; i < update->count; i++) {
		const struct media_update *entry = &update->media[i];
		media_crypto_release(entry->media);
		bundle_group_free(entry->replaced_group);
		media_transcode_release(entry->media);
		if (entry->sink)
			media_transcode_release(entry->sink);
		media_dtmf_detect_release(entry->media);
		if (entry->sink)
			media_dtmf_detect_release(entry->sink);
		if (update->kick_ice)
			ice_agent_kick(entry->media, call->worker);
		media_dtls_kick(entry->media, call->worker);
		for (int kind = STREAM_RTP; entry->new_family_sockets && kind <= STREAM_RTCP; kind++) {
			struct stream *stream = &entry->media->streams[kind];
			int error = relay_watch_family_socket(call->worker, stream);
			if (error)
				log_call(LOG_ERR, call->call_id, "cannot watch port %u: %s", stream->extras->family_port,
					 strerror(-error));
		}
		if (!entry->new_sockets)
			continue;
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			struct stream *stream = &entry->media->streams[kind];
			int error = relay_rewatch_stream(call->worker, stream, entry->parked_in);
			if (error)
				log_call(LOG_ERR, call->call_id, "cannot watch port %u: %s", stream->local_port,
					 strerror(-error));
		}
	}
}

/* media-echo: which of the two sides gets its own media back (SIDE_ECHO) and which side's
 * media goes nowhere (SIDE_ECHO_DROP), as 10.5 measured: forward echoes to the recipient of
 * the SDP and drops the sender's media, backwards the reverse, blackhole drops both; without
 * a mode (or with "off") the sides keep what they had. */
static void sides_apply_echo(struct monologue *sender, struct monologue *recipient, enum ng_media_echo echo)
{
	static const unsigned int sender_flags[] = {
		[NG_MEDIA_ECHO_BLACKHOLE] = SIDE_ECHO_DROP, [NG_MEDIA_ECHO_FORWARD] = SIDE_ECHO_DROP,
		[NG_MEDIA_ECHO_BACKWARDS] = SIDE_ECHO, [NG_MEDIA_ECHO_BOTH] = SIDE_ECHO,
	};
	static const unsigned int recipient_flags[] = {
		[NG_MEDIA_ECHO_BLACKHOLE] = SIDE_ECHO_DROP, [NG_MEDIA_ECHO_FORWARD] = SIDE_ECHO,
		[NG_MEDIA_ECHO_BACKWARDS] = SIDE_ECHO_DROP, [NG_MEDIA_ECHO_BOTH] = SIDE_ECHO,
	};
	if (echo == NG_MEDIA_ECHO_UNSET)
		return;
	const unsigned int echo_flags = SIDE_ECHO | SIDE_ECHO_DROP;
	sender->flags = (sender->flags & ~echo_flags) | sender_flags[echo];
	recipient->flags = (recipient->flags & ~echo_flags) | recipient_flags[echo];
}

static void side_apply_flags(struct monologue *side, const struct ng_flags *flags)
{
	/* kept across requests (sides_apply_echo, media_control.c's drop-traffic) */
	side->flags &= SIDE_ECHO | SIDE_ECHO_DROP | SIDE_DROP_TRAFFIC;
	if (flags->asymmetric)
		side->flags |= SIDE_ASYMMETRIC;
	if (flags->strict_source)
		side->flags |= SIDE_STRICT_SOURCE;
	if (flags->media_handover)
		side->flags |= SIDE_MEDIA_HANDOVER;
}

/* The address a side's media is reached at: the SIP source with sip-source-address, else
 * the SDP's own c= line (trust-address is upstream's default). */
static int side_address(const struct ng_request *request, const struct sdp_session *sdp,
                        const struct sdp_media *sdp_media, union endpoint *address)
{
	const struct ng_flags *flags = &request->flags;
	if (flags->sip_source_address && !flags->trust_address) {
		*address = endpoint_is_set(&flags->received_from) ? flags->received_from : request->source;
		endpoint_set_port(address, 0);
		return 0;
	}
	const struct sdp_address *connection = sdp_media->connection.family ? &sdp_media->connection : &sdp->connection;
	if (!connection->family)
		return -EINVAL;
	*address = connection->endpoint;   /* parsed by sdp_parse() */
	return 0;
}

/* The side's ICE (credentials, candidates, trickled ones in re-offers) for our agent
 * towards it; it runs once we gave the side our own credentials (set_ice). */
static void stage_remote_ice(struct sdp_exchange *exchange, struct media *media, const struct sdp_media *sdp_media)
{
	if (!sdp_media->has_ice || sdp_media->port == 0)
		return;
	struct ice_remote remote;
	if (ice_remote_from_sdp(exchange->sdp, sdp_media, &remote) < 0)
		return;
	if (ice_agent_stage(media, &remote) < 0)
		log_call(LOG_ERR, exchange->call->call_id, "ICE: no memory for the agent of media %u", media->index);
}

/* The side's BUNDLE group (bundle.h), but none with ICE=force-relay: the endpoints' own ICE
 * session bundles their m= lines, we are one relay candidate per m= line and pass each one's
 * packets as they come (10.5, measured: a relay port per m= line, media of each on its own),
 * and their group goes on as they wrote it (ng_offer_answer_sdp.c). */
static void sdp_bundle_parse_unless_relayed(const struct sdp_session *sdp, const struct ng_flags *flags,
					    struct sdp_bundle *bundle)
{
	if (flags->ice != NG_ICE_FORCE_RELAY)
		sdp_bundle_parse(sdp, bundle);
}

/* BUNDLE: media is in the sender's group but not its tagged m= line, so the tagged one's
 * transport (ICE, DTLS, SRTP) carries it. */
static bool bundle_member(const struct sdp_bundle *bundle, const struct media *media)
{
	int owner = sdp_bundle_owner_line(bundle, media->index - 1);
	return owner >= 0 && (unsigned int) owner != media->index - 1;
}

/* BUNDLE towards side: the members of group share the transport of its first media; every
 * other media of the side (all of them when group is NULL) has its own. */
void ng_update_stage_bundle(struct call_update *update, struct monologue *side, struct bundle_group *group)
{
	bool was_bundled = false;
	for (unsigned int m = 0; m < side->media_count; m++)
		was_bundled = was_bundled || side->media[m]->bundle_owner;
	if (!group && !was_bundled)
		return;
	for (unsigned int m = 0; m < side->media_count; m++) {
		struct media *media = side->media[m];
		struct media_update *entry = update_for(update, media);
		int index = -1;
		for (unsigned int k = 0; group && k < group->demux.media_count; k++)
			if (group->members[k] == media)
				index = (int) k;
		if (!entry)
			continue;   /* ruled out by CALL_UPDATE_MAX (see update_for) */
		entry->new_bundle = true;
		entry->bundle_owner = index >= 0 ? group->members[0] : NULL;
		entry->bundle_index = (uint8_t) (index >= 0 ? index : 0);
		entry->bundle_group = index == 0 ? group : NULL;
		media->bundle_owner = entry->bundle_owner;
		media->bundle_extension_id = index >= 0 ? group->demux.mid_extension_id : 0;
	}
}

/* The side's a=mid and whether its BUNDLE group (RFC 9143 section 7.1) names it: a browser
 * expects both back in the answer. */
static void learn_mid(const struct sdp_session *sdp, struct media *media, const struct sdp_media *sdp_media)
{
	media->mid[0] = '\0';
	media->bundled = false;
	for (unsigned int i = 0; sdp_media->attributes && i < sdp_media->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(sdp_media->attributes, i);
		if (sdp_name_is(attribute->name, "mid") && attribute->value)
			g_strlcpy(media->mid, attribute->value, sizeof(media->mid));
	}
	for (unsigned int i = 0; media->mid[0] && sdp->attributes && i < sdp->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(sdp->attributes, i);
		if (!sdp_name_is(attribute->name, "group") || !attribute->value
		    || !g_str_has_prefix(attribute->value, "BUNDLE "))
			continue;
		g_auto(GStrv) tags = g_strsplit(attribute->value + 7, " ", -1);
		for (unsigned int t = 0; tags[t]; t++)
			if (!strcmp(tags[t], media->mid))
				media->bundled = true;
	}
}

/* Stages what a side's SDP says about where it receives media. */
static int side_learn_sdp(struct sdp_exchange *exchange, struct media *media, const struct sdp_media *sdp_media)
{
	struct media_update *entry = update_for(exchange->update, media);
	if (!entry)
		return -ENOSPC;
	union endpoint address;
	if (side_address(exchange->request, exchange->sdp, sdp_media, &address) < 0)
		return -EINVAL;
	const struct sdp_address *connection = sdp_media->connection.family ? &sdp_media->connection
		: &exchange->sdp->connection;
	learn_mid(exchange->sdp, media, sdp_media);
	/* a data channel (m=application UDP/DTLS/SCTP) in a BUNDLE group would ride the DTLS
	 * association we terminate, and we do not terminate SCTP: that m= line is rejected
	 * (RFC 8843 section 7.3.3) on both sides, the rest of the group stays */
	bool unbundlable = media->bundled && !protocol_is_rtp(sdp_media->protocol) && sdp_media->port;
	if (unbundlable)
		log_call(LOG_INFO, exchange->call->call_id, "media %u (%s) rejected: a bundled data channel needs SCTP "
			 "termination, which the relay does not do", media->index, sdp_media->protocol);
	/* a BUNDLE member's own address means nothing (Chromium's max-bundle offers write c=0.0.0.0
	 * and port 9 there): its transport's is used */
	if (is_zero_address(connection) && !bundle_member(&exchange->bundle, media) && !unbundlable) {
		/* c=0.0.0.0 hold: the side receives nothing; keep what we knew (never send to 0.0.0.0) */
		media->direction = sdp_media_effective_direction(exchange->sdp, sdp_media);
		return 0;
	}
	/* a bundle-only m= line (RFC 8843 section 6) says port 0 and rides on its transport */
	media->rejected = (sdp_media->port == 0 && !bundle_member(&exchange->bundle, media)) || unbundlable;
	media->direction = sdp_media_effective_direction(exchange->sdp, sdp_media);
	media->ice_seen = sdp_media->has_ice;
	sdp_media_codecs_text(sdp_media, media->codecs, sizeof(media->codecs));
	media_quality_clock_rates_from_sdp(sdp_media, &entry->clock_rates);
	entry->new_clock_rates = true;
	media_control_learn_sdp(media, sdp_media);
	media_dtmf_detect_learn(media, sdp_media, exchange->request->flags.detect_dtmf, exchange->answer);
	/* BUNDLE: one ICE agent per transport, the tagged m= line's (RFC 9143 section 7.2) */
	if (!bundle_member(&exchange->bundle, media))
		stage_remote_ice(exchange, media, sdp_media);
	union endpoint rtp = address, rtcp = address;
	endpoint_set_port(&rtp, sdp_media->port);
	/* an offer's rtcp-mux holds only once answered (RFC 5761 section 5.1.1): if the answer
	 * declines it, RTCP goes to a=rtcp or the next port (RFC 3605), so that is the RTCP
	 * stream's address (multiplexed, RTCP leaves by the RTP stream, relay.c). Not a=rtcp
	 * with no address of its own (trickle ICE's placeholder): the RTP port then. */
	bool rtcp_fallback = !exchange->answer && sdp_media->rtcp_port != sdp_media->port
		&& !(sdp_media->has_rtcp_attribute && is_zero_address(&sdp_media->rtcp_address));
	if (sdp_media->rtcp_mux && !rtcp_fallback) {
		endpoint_set_port(&rtcp, sdp_media->port);
	} else if (sdp_media->has_rtcp_attribute) {
		/* RFC 3605: a=rtcp:PORT [nettype addrtype address] */
		if (sdp_media->rtcp_address.family)
			rtcp = sdp_media->rtcp_address.endpoint;   /* parsed by sdp_parse() */
		endpoint_set_port(&rtcp, sdp_media->rtcp_port);
	} else {
		endpoint_set_port(&rtcp, sdp_media->port ? sdp_media->port + 1 : 0);
	}
	entry->new_sdp_address = true;
	entry->filled = !media->rejected;
	if (entry->filled) {
		entry->advertised[STREAM_RTP] = rtp;
		entry->advertised[STREAM_RTCP] = rtcp;
	}
	return 0;
}

static struct local_interface *pick_interface(struct ng_request *request, const char *name, int family)
{
	struct local_interface *interface = interface_select(&request->daemon->interfaces, name, family);
	if (!interface && name) {   /* as 10.5 (measured): a warning, and the default interface */
		log_call(LOG_WARNING, request->flags.call_id, "interface '%s' in direction not found, using the default", name);
		interface = interface_select(&request->daemon->interfaces, NULL, family);
	}
	if (!interface)
		request->error_reason = "Unknown interface in direction";
	return interface;
}

/* Opens and binds the media's socket pair; the worker gets the fds at publish() and polls
 * them from finish_update() on. */
static int open_media_sockets(struct ng_request *request, struct call_update *update, struct media *media,
                              struct local_interface *interface)
{
	if (media->rtp_port || media->rejected)
		return 0;
	struct media_update *entry = update_for(update, media);
	int fds[2];
	unsigned int port;
	int parked_in = -1;
	int error = entry ? port_pool_take_pair_watched(&interface->pool, &interface->local, request->daemon->config->tos,
							fds, &port, &parked_in) : -ENOSPC;
	if (!error) {
		media->interface = interface;
		media->rtp_port = port;
		entry->new_sockets = true;
		entry->parked_in = parked_in;
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			entry->fds[kind] = fds[kind];
			entry->ports[kind] = (uint16_t) (port + (unsigned int) kind);
		}
	} else if (error == -ENOSPC) {
		request->error_reason = "Ran out of ports";
		log_call(LOG_ERR, media->monologue->call->call_id, "no free ports left on interface %s", interface->name);
	} else if (error) {
		request->error_reason = "Failed to open media sockets";
		log_call(LOG_ERR, media->monologue->call->call_id, "cannot open media sockets: %s", strerror(-error));
	}
	return error;
}

/* ICE on both address families (RFC 8445 section 5.1.1.1: host candidates on every
 * address): when the media's logical interface also has an address of the other family, a
 * second socket pair there, opened the first time the media faces an ICE peer. Failing to
 * get one only costs that candidate. */
void ng_update_open_family_sockets(struct ng_request *request, struct call_update *update, struct media *media)
{
	if (media->family_rtp_port || !media->rtp_port || media->rejected || !media->interface)
		return;
	struct local_interface *other = interface_other_family(&request->daemon->interfaces, media->interface);
	struct media_update *entry = update_for(update, media);
	if (!other || !entry)
		return;
	int fds[2];
	unsigned int port;
	int error = port_pool_take_pair(&other->pool, &other->local, request->daemon->config->tos, fds, &port);
	if (error) {
		log_call(LOG_WARNING, media->monologue->call->call_id,
			 "no %s ICE candidate on interface %s: %s", other->local.address.sa_family == AF_INET6 ? "IPv6" : "IPv4",
			 other->name, strerror(-error));
		return;
	}
	media->family_interface = other;
	media->family_rtp_port = port;
	entry->new_family_sockets = true;
	entry->family = other->local.address.sa_family;
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		entry->family_fds[kind] = fds[kind];
		entry->family_ports[kind] = (uint16_t) (port + (unsigned int) kind);
	}
}

/* Packets received on either side go to the other (staged: the worker follows sink links). */
static int link_media(struct call_update *update, struct media *a, struct media *b)
{
	struct media_update *entry_a = update_for(update, a), *entry_b = update_for(update, b);
	if (!entry_a || !entry_b)
		return -ENOSPC;
	entry_a->sink = b;
	entry_b->sink = a;
	return 0;
}

/* call recording: what the exchange asked for and the SDPs, for the recording observer that
 * call_changed() runs next. */
static void note_for_recording(struct ng_request *request, struct call *call, struct monologue *from, bool offer)
{
	const struct bencode_item *sdp_out = bencode_dictionary_get(request->reply, "sdp");
	recording_note_exchange(call, from, offer, &request->flags, sdp_out ? sdp_out->string : NULL,
				sdp_out ? sdp_out->string_length : 0);
}

static struct sdp_session *parse_request_sdp(struct ng_request *request)
{
	if (!request->flags.sdp) {
		request->error_reason = "No SDP body in message";
		return NULL;
	}
	const char *error = NULL;
	struct sdp_session *sdp = sdp_parse(request->flags.sdp, request->flags.sdp_length, &error);
	if (!sdp) {
		log_call(LOG_WARNING, request->flags.call_id, "cannot parse SDP: %s", error);
		request->error_reason = "Failed to parse SDP";
		return NULL;
	}
	if (sdp->media->len > CALL_MAX_MEDIA) {
		sdp_session_free(sdp);
		request->error_reason = "Too many media sections in SDP";
		return NULL;
	}
	return sdp;
}

/* The a=rtpengine value of loop-protect: random per process, as 10.5's instance id, so that
 * an SDP that went through another relay of ours on its way is not taken for a loop. */
const char *ng_loop_protect_token(void)
{
	static gsize initialised;
	static char token[13];
	if (g_once_init_enter(&initialised)) {
		g_snprintf(token, sizeof(token), "%06x%06x", g_random_int() & 0xffffff, g_random_int() & 0xffffff);
		g_once_init_leave(&initialised, 1);
	}
	return token;
}

/* Returns the loop-protect answer (the SDP as received) when the SDP already went through us. */
static bool loop_detected(struct ng_request *request, const struct sdp_session *sdp)
{
	if (!request->flags.loop_protect || !sdp_has_loop_marker(sdp, ng_loop_protect_token()))
		return false;
	log_call(LOG_INFO, request->flags.call_id, "loop-protect: SDP already passed through us, left unchanged");
	bencode_dictionary_add_string_length(request->buffer, request->reply, "sdp", request->flags.sdp,
					     request->flags.sdp_length);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return true;
}

/* The request's SDP, parsed: 1 with *sdp set to go on, 0 when loop-protect already answered
 * (the reply is complete), -EINVAL with error_reason on a missing or bad SDP. */
static int read_request_sdp(struct ng_request *request, struct sdp_session **sdp)
{
	*sdp = parse_request_sdp(request);
	if (!*sdp)
		return -EINVAL;
	if (loop_detected(request, *sdp)) {
		sdp_session_free(*sdp);
		*sdp = NULL;
		return 0;
	}
	return 1;
}

static int require_ids(struct ng_request *request, bool to_tag)
{
	if (!request->flags.call_id) {
		request->error_reason = "No call-id in message";
		return -EINVAL;
	}
	if (!request->flags.from_tag) {
		request->error_reason = "No from-tag in message";
		return -EINVAL;
	}
	if (to_tag && !request->flags.to_tag) {
		request->error_reason = "No to-tag in message";
		return -EINVAL;
	}
	return 0;
}

/* A side offered SDES keys: we answer with ours. Without a usable key the media stays plain
 * (and the side will not understand it), so say so loudly. */
static void take_sdes_offer(struct ng_request *request, struct media *media, const struct sdp_media *sdp_media)
{
	const char *reason = NULL;
	if (!media->crypto)
		media->crypto = g_new0(struct media_crypto, 1);
	media->crypto->pad = request->flags.sdes_pad;
	media->crypto->lifetime = request->flags.sdes_lifetime;
	struct media_crypto_options options = {
		.no_suites = request->flags.sdes_no_suites, .only_suites = request->flags.sdes_only_suites,
		.pad = request->flags.sdes_pad, .lifetime = request->flags.sdes_lifetime,
	};
	if (media_crypto_take_offer_with(media, sdp_media, &options, &reason) < 0)
		log_call(LOG_WARNING, request->flags.call_id, "SRTP offer on media %u not usable: %s", media->index, reason);
}

/* A side offered DTLS-SRTP: we terminate it (RFC 5763), answering with our role and
 * fingerprint (also under DTLS=off, which only keeps DTLS out of our own offers, as upstream
 * 10.5 does). An offer we cannot take part in is an error: the side would wait for a
 * handshake that never comes. */
static int take_dtls_offer(struct ng_request *request, struct media *media, const struct sdp_session *sdp,
			   const struct sdp_media *sdp_media)
{
	struct media_dtls_request dtls = dtls_request(&request->flags, true);
	const char *reason = NULL;
	if (media_dtls_take_offer(media, sdp, sdp_media, &dtls, &reason) < 0) {
		log_call(LOG_WARNING, request->flags.call_id, "DTLS offer on media %u not usable: %s", media->index, reason);
		request->error_reason = "Unusable DTLS-SRTP offer (fingerprint or setup)";
		return -EINVAL;
	}
	return 0;
}

/* Codec options that would need transcoding: a codec to transcode to that the offer lacks. */
static int codecs_refused(struct ng_request *request, const struct sdp_session *sdp)
{
	for (unsigned int i = 0; i < sdp->media->len; i++) {
		struct codec_list list;
		unsigned int chosen[CODEC_MAX], count;
		const char *missing = NULL;
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		if (!sdp_media->port || codec_list_from_media(sdp_media, &list) < 0)
			continue;
		const char *why = NULL;
		if (codec_negotiate_offer(&list, &request->flags.codec, chosen, &count, &missing) < 0
		    && media_transcode_offer_check(&list, &request->flags.codec, &missing, &why) < 0) {
			char *reason = g_strdup_printf("transcoding to %s not possible for media %u: %s", missing, i + 1, why);
			request->error_reason = bencode_buffer_strdup_length(request->buffer, reason, strlen(reason));
			g_free(reason);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* Adds or updates media of both sides for every m= line; opens sockets; stages what the
 * worker reads. The loops over m= lines here and in the answer stay indexed (not
 * call_foreach_media()): each pairs the SDP's media with the sender's and the receiver's
 * media of the same index. */
static int prepare_offer_media(struct sdp_exchange *exchange)
{
	struct ng_request *request = exchange->request;
	const struct ng_flags *flags = &request->flags;
	for (unsigned int i = 0; i < exchange->sdp->media->len; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(exchange->sdp->media, i);
		/* the receiver's media first: media are numbered in the order they are made, as
		 * 10.5 numbers them (its a=label of a SIPREC subscription, pubsub.c) */
		const char *receiver_protocol = flags->transport_protocol && protocol_is_rtp(sdp_media->protocol)
			? flags->transport_protocol : sdp_media->protocol;
		struct media *receiver_media = i < exchange->receiver->media_count ? exchange->receiver->media[i]
			: monologue_add_media(exchange->receiver, sdp_media->media_type, receiver_protocol);
		struct media *sender_media = i < exchange->sender->media_count ? exchange->sender->media[i]
			: monologue_add_media(exchange->sender, sdp_media->media_type, sdp_media->protocol);
		if (!sender_media || !receiver_media) {
			request->error_reason = "Too many media sections";
			return -EINVAL;
		}
		/* as 10.5: the receiver hears the offer's protocol, or the one transport-protocol gave
		 * it, now or in an earlier offer */
		/* ... but a side that offered SRTP (SDES or DTLS) itself keeps it when the other side
		 * re-offers plain RTP (a plain callee's re-INVITE towards an SRTP or WebRTC caller):
		 * 10.5 offers it its own protocol, keys and fingerprint (measured) */
		receiver_media->protocol_kept_own = !flags->transport_protocol && receiver_media->protocol_own
			&& media_protocol_is_plain_rtp(sdp_media->protocol)
			&& (media_protocol_uses_sdes(receiver_media->protocol) || media_protocol_uses_dtls(receiver_media->protocol));
		if (protocol_is_rtp(sdp_media->protocol) && !receiver_media->protocol_kept_own) {
			if (flags->transport_protocol)
				receiver_media->protocol_translated = true;
			if (flags->transport_protocol || !receiver_media->protocol_translated) {
				media_set_protocol(receiver_media, receiver_protocol);
				receiver_media->protocol_own = false;
			}
		}
		if (side_learn_sdp(exchange, sender_media, sdp_media) < 0) {
			request->error_reason = "No usable connection address in SDP";
			return -EINVAL;
		}
		/* a re-offer may change how the side is keyed (SDES <-> DTLS): its answer must say so */
		media_set_protocol(sender_media, sdp_media->protocol);
		sender_media->protocol_own = true;
		sender_media->protocol_kept_own = false;
		/* Offered both (a=crypto and a=fingerprint): DTLS, as upstream 10.5 answers, unless
		 * DTLS=off or SDES-prefer. Keys on RTP/AVP (OSRTP, RFC 8643 section 4) are taken here
		 * and offered on; the answer decides whether the offerer gets ours (see answer). */
		bool has_crypto = media_sdp_has_crypto(sdp_media);
		/* BUNDLE: a member's DTLS is its transport's (RFC 8843 section 5.1) */
		/* ICE=force-relay passes the endpoints' keying on (ng_offer_answer_sdp.c): nothing
		 * of it is taken here, the packets pass as they are (10.5, GH 850) */
		bool keying_passed = flags->ice == NG_ICE_FORCE_RELAY;
		bool dtls = !keying_passed && media_dtls_offered(exchange->sdp, sdp_media)
			&& !(has_crypto && (flags->dtls_off || flags->sdes_prefer || !dtls_certificate_ready()))
			&& !bundle_member(&exchange->bundle, sender_media);
		if (!sender_media->rejected && dtls) {
			if (take_dtls_offer(request, sender_media, exchange->sdp, sdp_media) < 0)
				return -EINVAL;
		} else {
			media_dtls_off(sender_media);
			bool sdes = media_protocol_uses_sdes(sdp_media->protocol)
				|| (has_crypto && (media_protocol_is_plain_rtp(sdp_media->protocol)
						   || media_protocol_uses_dtls(sdp_media->protocol)));
			if (sdes && !sender_media->rejected && !keying_passed)
				take_sdes_offer(request, sender_media, sdp_media);
		}
		sender_media->rtcp_mux_offered = sdp_media->rtcp_mux;
		/* demux: not offered onwards, but accepted towards the offerer (upstream) */
		sender_media->rtcp_mux_policy = (uint8_t) (flags->rtcp_mux_demux && flags->rtcp_mux_policy != NG_RTCP_MUX_REJECT
							   ? NG_RTCP_MUX_ACCEPT : flags->rtcp_mux_policy);
		receiver_media->branch_rtcp_mux_policy = sender_media->rtcp_mux_policy;
		receiver_media->rejected = sender_media->rejected;
		int sender_family = update_sdp_family(update_for(exchange->update, sender_media));
		if (!sender_family) {
			/* nothing learnt (a c=:: hold): the family the SDP is written in, as 10.5 */
			sender_family = sdp_media->connection.family ? sdp_media->connection.family
				: exchange->sdp->connection.family;
		}
		int receiver_family = flags->address_family ? flags->address_family : sender_family;
		struct local_interface *sender_interface = pick_interface(request, flags->direction[0], sender_family);
		struct local_interface *receiver_interface = pick_interface(request, flags->direction[1], receiver_family);
		if (!sender_interface || !receiver_interface)
			return -EINVAL;
		int error = open_media_sockets(request, exchange->update, sender_media, sender_interface);
		if (!error)
			error = open_media_sockets(request, exchange->update, receiver_media, receiver_interface);
		if (!error)
			error = link_media(exchange->update, sender_media, receiver_media);
		if (error)
			return error;
	}
	/* the offerer's BUNDLE group: we answer it (bundle.h) */
	ng_update_stage_bundle(exchange->update, exchange->sender,
		     exchange->bundle.count ? bundle_group_build(exchange->sdp, &exchange->bundle, exchange->sender->media,
								 NULL, 0, true) : NULL);
	return 0;
}

/* A monologue of the call answering `offerer` on the via-branch `via_branch`, NULL if none. */
static struct monologue *branch_side(const struct monologue *offerer, const char *via_branch)
{
	const struct call *call = offerer->call;
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		struct monologue *side = call->monologues[m];
		if (side != offerer && side->via_branch && !strcmp(side->via_branch, via_branch)
		    && (side->peer == offerer || !side->peer))
			return side;
	}
	return NULL;
}

/* An offer without to-tag on a via-branch (RFC 3261 section 16.6: a forking proxy sends the
 * INVITE on several branches, each with its own Via branch): as 10.5, each branch gets an
 * answering side of its own, with its own ports, and a later offer on a known branch goes to
 * that branch's side. The side's peer when it has no branch yet (the first one names it);
 * NULL when a new side is needed. */
static struct monologue *offer_branch(struct monologue *sender, const char *via_branch)
{
	struct monologue *branch = branch_side(sender, via_branch);
	if (branch) {
		branch->branch_delete_at_us = 0;   /* signalled again: a delayed delete is off */
		sender->peer = branch;
		branch->peer = sender;
		return branch;
	}
	if (sender->peer && !sender->peer->via_branch)
		return sender->peer;
	sender->peer = NULL;
	return NULL;
}

int ng_command_offer(struct ng_request *request)
{
	const struct ng_flags *flags = &request->flags;
	if (require_ids(request, false) < 0)
		return -EINVAL;
	struct sdp_session *sdp = NULL;
	int result = read_request_sdp(request, &sdp);
	if (result <= 0)
		return result;
	/* refused before any state changes: nothing to undo */
	if (ng_keys_check(request, sdp, true) < 0 || codecs_refused(request, sdp) < 0) {
		sdp_session_free(sdp);
		return -ENOTSUP;
	}
	struct media_control_dtmf_keys dtmf_keys;
	if (media_control_offer_answer_read(request, &dtmf_keys) < 0) {
		sdp_session_free(sdp);
		return -EINVAL;
	}
	struct daemon_context *daemon = request->daemon;
	struct call *call = call_lookup(flags->call_id);
	bool new_call = !call;
	if (new_call) {
		int limit = daemon->config->max_sessions;
		if (limit >= 0 && call_count() >= (unsigned int) limit) {
			sdp_session_free(sdp);
			daemon->totals.rejected_sessions++;
			request->error_reason = "Parallel session limit reached";
			return -EBUSY;
		}
		call = call_start(flags->call_id, relay_pick_worker());
		call->created_from = request->source;
	}
	struct call_update update = { .call = call, .signal_us = now_realtime_us() };
	struct monologue *sender = call_find_monologue(call, flags->from_tag);
	if (!sender)
		sender = call_add_monologue(call, flags->from_tag);
	struct monologue *receiver = sender ? sender->peer : NULL;
	if (receiver && flags->to_tag && receiver->tag && strcmp(receiver->tag, flags->to_tag)) {
		/* a re-offer towards another tag than the side's peer (re-tagged dialogue, upstream's
		 * via-branch test): that tag's side, a new one if unknown, as 10.5 */
		receiver = NULL;
		sender->peer = NULL;
	}
	if (sender && !flags->to_tag && flags->via_branch)
		receiver = offer_branch(sender, flags->via_branch);
	if (sender && !receiver) {
		receiver = flags->to_tag ? call_find_monologue(call, flags->to_tag) : NULL;
		if (!receiver)
			receiver = call_add_monologue(call, flags->to_tag);
		if (receiver) {
			sender->peer = receiver;
			receiver->peer = sender;
		}
	}
	int error = 0;
	if (!sender || !receiver) {
		request->error_reason = "Too many dialogue branches in call";
		error = -ENOSPC;
	}
	if (!error) {
		side_apply_flags(sender, flags);
		sides_apply_echo(sender, receiver, flags->media_echo);
		/* the branch is the answering side's (10.5's query shows it there) */
		if (flags->via_branch && !flags->to_tag && !receiver->via_branch)
			receiver->via_branch = g_strdup(flags->via_branch);
		if (flags->label && !sender->label)
			sender->label = g_strdup(flags->label);
		struct sdp_exchange exchange = { request, call, sdp, sender, receiver, &update, { 0 }, false, false };
		sdp_bundle_parse_unless_relayed(sdp, flags, &exchange.bundle);
		error = prepare_offer_media(&exchange);
		if (!error)
			error = ng_write_sdp(&exchange, true);
	}
	/* also after an error: what was set up stays (and a new call's sockets are closed by
	 * call_destroy(), which finds them in the streams) */
	publish(&update);
	finish_update(&update);
	sdp_session_free(sdp);
	if (error) {
		if (new_call)
			call_end(call, CALL_END_FAILED_OFFER);
		return error;
	}
	if ((error = media_control_offer_answer(request, &dtmf_keys)) < 0) {
		if (new_call)
			call_end(call, CALL_END_FAILED_OFFER);
		return error;
	}
	note_for_recording(request, call, sender, true);
	pubsub_note_sdp(sender, flags->sdp, flags->sdp_length);
	call_changed(call);
	recording_reply(request, call);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

/* A fork answering the same offer: a monologue of its own with its own sockets, which
 * takes over the offerer's media (the latest answer wins, as upstream). The earlier branch
 * keeps its sockets, so whatever it still sends reaches the offerer. */
static struct monologue *add_fork(struct ng_request *request, struct call_update *update, struct monologue *offerer,
                                  const char *to_tag)
{
	struct call *call = update->call;
	struct monologue *earlier = offerer->peer;
	struct monologue *fork = call_add_monologue(call, to_tag);
	if (!fork) {
		request->error_reason = "Too many dialogue branches in call";
		return NULL;
	}
	log_call(LOG_INFO, call->call_id, "answer from forked branch '%s' (earlier branch '%s')", to_tag, earlier->tag);
	for (unsigned int i = 0; i < earlier->media_count; i++) {
		const struct media *template = earlier->media[i];
		struct media *media = monologue_add_media(fork, template->type, template->protocol);
		media->rejected = template->rejected;
		if (template->interface && open_media_sockets(request, update, media, template->interface) < 0)
			return NULL;
	}
	fork->peer = offerer;
	offerer->peer = fork;
	return fork;
}

/* The answering side: the monologue tagged to-tag, or the untagged side of the answer's
 * via-branch (a forked offer, offer_branch()), or the offer's still untagged peer, or a new
 * fork. */
static struct monologue *answering_side(struct ng_request *request, struct call_update *update,
                                        struct monologue *offerer, const char *to_tag, const char *via_branch)
{
	struct monologue *tagged = call_find_monologue(update->call, to_tag);
	if (!tagged && via_branch) {
		tagged = branch_side(offerer, via_branch);
		if (tagged && tagged->tag)
			tagged = NULL;   /* answered already under another tag: a fork of its own */
		if (tagged) {
			monologue_set_tag(tagged, to_tag);
			tagged->branch_delete_at_us = 0;
		}
	}
	if (tagged) {
		if (tagged != offerer->peer && tagged->media_count) {
			offerer->peer = tagged;
			tagged->peer = offerer;
		}
		return tagged;
	}
	struct monologue *peer = offerer->peer;
	if (!peer) {
		request->error_reason = "Unknown from-tag";
		return NULL;
	}
	if (!peer->tag) {
		monologue_set_tag(peer, to_tag);
		return peer;
	}
	return add_fork(request, update, offerer, to_tag);
}

int ng_command_answer(struct ng_request *request)
{
	const struct ng_flags *flags = &request->flags;
	if (require_ids(request, true) < 0)
		return -EINVAL;
	struct call *call;
	if (ng_lookup_call(request, &call) < 0)
		return -ENOENT;
	struct sdp_session *sdp = NULL;
	int result = read_request_sdp(request, &sdp);
	if (result <= 0)
		return result;
	if (ng_keys_check(request, sdp, false) < 0) {
		sdp_session_free(sdp);
		return -ENOTSUP;
	}
	/* block DTMF's keys checked before the answer changes anything (applied at the end) */
	struct media_control_dtmf_keys dtmf_keys;
	if (media_control_offer_answer_read(request, &dtmf_keys) < 0) {
		sdp_session_free(sdp);
		return -EINVAL;
	}
	struct call_update update = { .call = call, .signal_us = now_realtime_us() };
	int error = 0;
	struct monologue *offerer = call_find_monologue(call, flags->from_tag);
	struct monologue *answerer = offerer ? answering_side(request, &update, offerer, flags->to_tag, flags->via_branch) : NULL;
	if (!offerer) {
		request->error_reason = "Unknown from-tag";
		error = -ENOENT;
	} else if (!answerer) {
		error = -ENOENT;
	} else if (sdp->media->len > answerer->media_count) {
		request->error_reason = "Answer has more media sections than the offer";
		error = -EINVAL;
	}
	if (!error) {
		side_apply_flags(answerer, flags);
		sides_apply_echo(answerer, offerer, flags->media_echo);
		/* as upstream: an answer's label names the answering side (Kamailio's MOS per side) */
		if (flags->label && !answerer->label)
			answerer->label = g_strdup(flags->label);
		struct sdp_exchange exchange = { request, call, sdp, answerer, offerer, &update, { 0 }, true, false };
		sdp_bundle_parse_unless_relayed(sdp, flags, &exchange.bundle);
		for (unsigned int i = 0; i < sdp->media->len && !error; i++) {
			const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
			struct media *answer_media = answerer->media[i];
			struct media *offer_media = offerer->media[i];
			if (side_learn_sdp(&exchange, answer_media, sdp_media) < 0) {
				request->error_reason = "No usable connection address in SDP";
				error = -EINVAL;
				break;
			}
			if (bundle_member(&exchange.bundle, answer_media)) {
				media_dtls_off(answer_media);   /* BUNDLE: the transport's association keys it */
			} else if (media_dtls_active(answer_media) && !answer_media->rejected) {
				/* offered both: a=crypto in the answer means the side chose SDES */
				const char *reason = NULL;
				int taken = media_sdp_has_crypto(sdp_media) ? -ENOENT
					: media_dtls_take_answer(answer_media, sdp, sdp_media, &reason);
				if (taken == -ENOENT)
					media_dtls_off(answer_media);   /* the side declined DTLS */
				else if (taken < 0)
					log_call(LOG_WARNING, call->call_id, "DTLS answer on media %u not usable: %s",
						 answer_media->index, reason);
			}
			if (!offer_media->rejected)
				media_dtls_answered(offer_media, (enum dtls_setup) flags->dtls_setup);
			/* an OSRTP offer answered without keys stays plain RTP (RFC 8643 section 3) */
			bool plain_answer = media_protocol_is_plain_rtp(sdp_media->protocol) && !media_sdp_has_crypto(sdp_media);
			if (answer_media->crypto && !answer_media->rejected && !media_dtls_active(answer_media)
			    && !plain_answer) {
				const char *reason = NULL;
				if (media_crypto_take_answer(answer_media, sdp_media, &reason) < 0)
					log_call(LOG_WARNING, call->call_id, "SRTP answer on media %u not usable: %s",
						 answer_media->index, reason);
				else if (media_crypto_mirror_answer(offer_media, answer_media) < 0)
					log_call(LOG_WARNING, call->call_id, "SRTP key of media %u not passed back",
						 answer_media->index);
			} else if (plain_answer && answer_media->crypto && answer_media->crypto->offered
				   && media_protocol_is_plain_rtp(offer_media->protocol) && !flags->osrtp_accept) {
				/* an OSRTP offer we passed on, declined (RFC 8643 section 3): the offerer
				 * gets plain RTP too, as 10.5 answers (OSRTP=accept keeps our keys) */
				media_crypto_decline(offer_media);
			}
			/* a forked offer's branch answers under the policy of the offer it got, which a
			 * later branch's offer may have changed on the offerer (GH 793) */
			if (answerer->via_branch)
				offer_media->rtcp_mux_policy = answer_media->branch_rtcp_mux_policy;
			/* RFC 5761 section 5.1.1: multiplexing holds when the answer accepts it */
			answer_media->rtcp_mux = sdp_media->rtcp_mux;
			offer_media->rtcp_mux = offer_media->rtcp_mux_offered
				&& offer_media->rtcp_mux_policy != NG_RTCP_MUX_REJECT
				&& (sdp_media->rtcp_mux || offer_media->rtcp_mux_policy == NG_RTCP_MUX_ACCEPT
				    || flags->rtcp_mux_policy == NG_RTCP_MUX_ACCEPT);
			if (answer_media->rejected)
				offer_media->rejected = true;
			error = link_media(&update, offer_media, answer_media);
		}
		/* the answerer's BUNDLE group (one it accepted of ours, or its own) */
		if (!error)
			ng_update_stage_bundle(&update, answerer, exchange.bundle.count ? bundle_group_build(sdp, &exchange.bundle,
									answerer->media, NULL, 0, true) : NULL);
		if (!error)
			error = ng_write_sdp(&exchange, false);
	}
	publish(&update);
	finish_update(&update);
	sdp_session_free(sdp);
	if (error)
		return error;
	if ((error = media_control_offer_answer(request, &dtmf_keys)) < 0)
		return error;
	note_for_recording(request, call, answerer, false);
	pubsub_note_sdp(answerer, flags->sdp, flags->sdp_length);
	call_changed(call);
	recording_reply(request, call);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

/* ---- publish/subscribe (pubsub.c): the offer/answer machinery for sides without a peer ---- */

struct call_update *ng_update_new(struct call *call)
{
	struct call_update *update = g_new0(struct call_update, 1);
	update->call = call;
	update->signal_us = now_realtime_us();
	return update;
}

int ng_update_open_sockets(struct ng_request *request, struct call_update *update, struct media *media, int family,
			   const char *interface_name)
{
	struct local_interface *interface = pick_interface(request, interface_name, family);
	if (!interface)
		return -EINVAL;
	return open_media_sockets(request, update, media, interface);
}

int ng_update_learn_sdp(struct ng_request *request, struct call_update *update, struct sdp_session *sdp,
			struct monologue *side, struct media *media, const struct sdp_media *sdp_media)
{
	/* a subscriber's SDP answers our subscription offer; a publisher's offers */
	struct sdp_exchange exchange = { .request = request, .call = update->call, .sdp = sdp, .sender = side,
					 .update = update, .answer = side->subscriber };
	if (side_learn_sdp(&exchange, media, sdp_media) < 0) {
		request->error_reason = "No usable connection address in SDP";
		return -EINVAL;
	}
	return 0;
}

/* The keying of a side that offers (a publisher), as prepare_offer_media() takes an offer's:
 * DTLS-SRTP where offered (unless SDES is preferred), else SDES keys on an SRTP profile or
 * OSRTP. */
int ng_update_take_offer_keys(struct ng_request *request, struct sdp_session *sdp, struct media *media,
			      const struct sdp_media *sdp_media)
{
	const struct ng_flags *flags = &request->flags;
	media_set_protocol(media, sdp_media->protocol);
	if (media->rejected)
		return 0;
	bool has_crypto = media_sdp_has_crypto(sdp_media);
	if (media_dtls_offered(sdp, sdp_media)
	    && !(has_crypto && (flags->dtls_off || flags->sdes_prefer || !dtls_certificate_ready())))
		return take_dtls_offer(request, media, sdp, sdp_media);
	media_dtls_off(media);
	if (media_protocol_uses_sdes(sdp_media->protocol)
	    || (has_crypto && (media_protocol_is_plain_rtp(sdp_media->protocol)
			       || media_protocol_uses_dtls(sdp_media->protocol))))
		take_sdes_offer(request, media, sdp_media);
	return 0;
}

/* The answer to our offer of keys (a subscriber's), as the answer command takes it. */
void ng_update_take_answer_keys(struct ng_request *request, struct sdp_session *sdp, struct media *media,
				const struct sdp_media *sdp_media)
{
	const char *call_id = request->flags.call_id;
	if (media->rejected)
		return;
	if (media_dtls_active(media)) {
		/* offered both: a=crypto in the answer means the side chose SDES */
		const char *reason = NULL;
		int taken = media_sdp_has_crypto(sdp_media) ? -ENOENT : media_dtls_take_answer(media, sdp, sdp_media, &reason);
		if (taken == -ENOENT)
			media_dtls_off(media);
		else if (taken < 0)
			log_call(LOG_WARNING, call_id, "DTLS answer on media %u not usable: %s", media->index, reason);
	}
	/* an SRTP offer answered as plain RTP without keys stays plain (RFC 8643 section 3) */
	bool plain_answer = media_protocol_is_plain_rtp(sdp_media->protocol) && !media_sdp_has_crypto(sdp_media);
	if (media->crypto && !media_dtls_active(media) && !plain_answer) {
		const char *reason = NULL;
		if (media_crypto_take_answer(media, sdp_media, &reason) < 0)
			log_call(LOG_WARNING, call_id, "SRTP answer on media %u not usable: %s", media->index, reason);
	}
	if (plain_answer)
		media_set_protocol(media, sdp_media->protocol);
}

struct sdp_session *ng_update_parse_sdp(struct ng_request *request)
{
	return parse_request_sdp(request);
}

void ng_update_commit(struct call_update *update)
{
	publish(update);
	finish_update(update);
	g_free(update);
}
