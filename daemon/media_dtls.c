/* DTLS-SRTP negotiation of one call side; see media_dtls.h. */
#include "media_dtls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include "call.h"
#include "dtls_certificate.h"
#include "log.h"
#include "sdp.h"

static const struct sdp_attribute *find_attribute(const GPtrArray *attributes, const char *name)
{
	for (unsigned int i = 0; attributes && i < attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(attributes, i);
		if (!g_ascii_strcasecmp(attribute->name, name))
			return attribute;
	}
	return NULL;
}

/* RFC 8122 section 5 and RFC 4145 section 4: media level first, else session level. */
static const struct sdp_attribute *media_or_session(const struct sdp_session *sdp, const struct sdp_media *sdp_media,
						    const char *name)
{
	const struct sdp_attribute *attribute = find_attribute(sdp_media->attributes, name);
	return attribute ? attribute : find_attribute(sdp->attributes, name);
}

static enum dtls_setup side_setup(const struct sdp_session *sdp, const struct sdp_media *sdp_media)
{
	const struct sdp_attribute *setup = media_or_session(sdp, sdp_media, "setup");
	return setup && setup->value ? dtls_setup_from_name(setup->value, strlen(setup->value)) : DTLS_SETUP_UNSPECIFIED;
}

/* The side's fingerprint; of several (RFC 8122 section 5 allows one per hash) the first we
 * can check. */
static int side_fingerprint(const struct sdp_session *sdp, const struct sdp_media *sdp_media,
			    struct dtls_fingerprint *fingerprint)
{
	const GPtrArray *levels[2] = { sdp_media->attributes, sdp->attributes };
	int error = -ENOENT;
	for (int level = 0; level < 2; level++) {
		const GPtrArray *attributes = levels[level];
		for (unsigned int i = 0; attributes && i < attributes->len; i++) {
			const struct sdp_attribute *attribute = g_ptr_array_index(attributes, i);
			if (g_ascii_strcasecmp(attribute->name, "fingerprint") || !attribute->value)
				continue;
			error = dtls_fingerprint_parse(attribute->value, strlen(attribute->value), fingerprint);
			if (!error)
				return 0;
		}
		if (error != -ENOENT)
			return error;
	}
	return error;
}

static struct dtls_connection *connection_of(struct media *media)
{
	return dtls_connection_of(&media->streams[STREAM_RTP]);
}

/* RFC 5764 section 4.1: without rtcp-mux the RTCP port runs an association of its own, with the
 * same role and fingerprint. Negotiation happens on the RTP port's connection; the RTCP
 * port's follows it (made here, outside the lock; the worker leaves it idle when the media
 * multiplexes). */
static void mirror_rtcp(struct media *media)
{
	struct dtls_connection *rtp = media->streams[STREAM_RTP].extras->dtls;
	if (!rtp)
		return;
	struct dtls_connection *rtcp = dtls_connection_of(&media->streams[STREAM_RTCP]);
	if (rtcp->staged.generation != rtp->staged.generation || rtcp->staged.enabled != rtp->staged.enabled) {
		rtcp->staged = rtp->staged;
		rtcp->staged_changed = true;
	}
	rtcp->start_pending = rtp->start_pending;
}

static void format_lines(struct dtls_connection *connection)
{
	snprintf(connection->setup_line, sizeof(connection->setup_line), "setup:%s",
		 dtls_setup_name(connection->our_setup));
	memcpy(connection->fingerprint_line, "fingerprint:", 12);
	dtls_fingerprint_format(dtls_certificate_fingerprint(connection->our_hash), connection->fingerprint_line + 12,
				sizeof(connection->fingerprint_line) - 12);
}

static enum dtls_hash pick_hash(const struct media_dtls_request *request, const struct dtls_fingerprint *theirs)
{
	if (request && request->has_hash)
		return request->hash;
	if (theirs && theirs->length)
		return theirs->hash;
	return dtls_certificate_settings()->signature;
}

bool media_protocol_uses_dtls(const char *protocol)
{
	return protocol && (!g_ascii_strcasecmp(protocol, "UDP/TLS/RTP/SAVP")
			    || !g_ascii_strcasecmp(protocol, "UDP/TLS/RTP/SAVPF"));
}

bool media_sdp_has_crypto(const struct sdp_media *sdp_media)
{
	return find_attribute(sdp_media->attributes, "crypto") != NULL;
}

bool media_dtls_offered(const struct sdp_session *sdp, const struct sdp_media *sdp_media)
{
	if (media_protocol_uses_dtls(sdp_media->protocol))
		return true;
	return sdp_media->protocol && strstr(sdp_media->protocol, "SAVP")
		&& media_or_session(sdp, sdp_media, "fingerprint");
}

int media_dtls_take_offer(struct media *media, const struct sdp_session *sdp, const struct sdp_media *sdp_media,
			  const struct media_dtls_request *request, const char **reason)
{
	struct dtls_fingerprint theirs;
	int error = side_fingerprint(sdp, sdp_media, &theirs);
	if (error) {
		*reason = error == -ENOENT ? "DTLS offer without a=fingerprint (RFC 5763 section 5)"
			: "a=fingerprint of the DTLS offer does not parse";
		return -EINVAL;
	}
	struct dtls_connection *connection = connection_of(media);
	enum dtls_setup offered = side_setup(sdp, sdp_media);
	/* actpass leaves the role to us: DTLS-reverse= of this offer, else --dtls-passive, else
	 * active (upstream 10.5's choices; DTLS= of the answer may still change it) */
	enum dtls_setup preference = request->preference;
	if (preference == DTLS_SETUP_UNSPECIFIED && dtls_certificate_settings()->passive)
		preference = DTLS_SETUP_PASSIVE;
	enum dtls_setup ours = dtls_setup_answer(offered, preference);
	if (ours == DTLS_SETUP_HOLDCONN) {
		*reason = "a=setup:holdconn";
		return -EINVAL;
	}
	/* RFC 5763 section 6.6.1: a re-offer that leaves the choice to us keeps the role of the
	 * running association */
	if (offered == DTLS_SETUP_ACTPASS && request->preference == DTLS_SETUP_UNSPECIFIED && connection->staged.enabled)
		ours = connection->staged.active ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE;
	connection->offered_setup = offered;
	connection->our_setup = ours;
	connection->our_hash = pick_hash(request, &theirs);
	dtls_stage(connection, ours == DTLS_SETUP_ACTIVE, &theirs);
	/* the side learns our role and fingerprint from the answer: an active start waits for
	 * it (media_dtls_answered()), or the side would see a ClientHello it cannot check */
	connection->start_pending = false;
	format_lines(connection);
	mirror_rtcp(media);
	return 0;
}

int media_dtls_offer(struct media *media, const struct media_dtls_request *request, const char **lines,
		     unsigned int capacity)
{
	struct dtls_connection *connection = connection_of(media);
	/* actpass, as upstream 10.5 offers whatever DTLS= or --dtls-passive say (RFC 5763
	 * section 5: the answerer chooses), in a re-offer too (measured on 10.5). The running
	 * association stays staged meanwhile: an answer that keeps the role and fingerprint keeps
	 * it (dtls_stage()), one that changes either makes a new one (RFC 8842 section 5.5) */
	connection->our_setup = DTLS_SETUP_ACTPASS;
	connection->our_hash = pick_hash(request, connection->staged.enabled ? &connection->staged.expected : NULL);
	/* DTLS from this side may arrive before its answer does (an active answerer starts at
	 * once): the packet path must already take it for DTLS, not media; without the side's
	 * fingerprint a ClientHello is dropped until the answer brings it */
	if (!connection->staged.enabled) {
		static const struct dtls_fingerprint unknown;
		dtls_stage(connection, false, &unknown);
	}
	format_lines(connection);
	mirror_rtcp(media);
	return media_dtls_lines(media, lines, capacity);
}

int media_dtls_take_answer(struct media *media, const struct sdp_session *sdp, const struct sdp_media *sdp_media,
			   const char **reason)
{
	struct dtls_connection *connection = media->streams[STREAM_RTP].extras->dtls;
	if (!connection)
		return -ENOENT;
	struct dtls_fingerprint theirs;
	int error = side_fingerprint(sdp, sdp_media, &theirs);
	if (error == -ENOENT && !media_protocol_uses_dtls(sdp_media->protocol))
		return -ENOENT;
	if (error) {
		*reason = error == -ENOENT ? "DTLS answer without a=fingerprint (RFC 5763 section 5)"
			: "a=fingerprint of the DTLS answer does not parse";
		return -EINVAL;
	}
	enum dtls_setup answered = side_setup(sdp, sdp_media);
	bool active;
	if (connection->our_setup == DTLS_SETUP_ACTIVE || connection->our_setup == DTLS_SETUP_PASSIVE)
		active = connection->our_setup == DTLS_SETUP_ACTIVE;   /* we offered a fixed role */
	else
		active = dtls_setup_after_answer(answered) == DTLS_SETUP_ACTIVE;
	if (answered == DTLS_SETUP_HOLDCONN) {
		*reason = "a=setup:holdconn";
		return -EINVAL;
	}
	connection->our_setup = active ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE;
	dtls_stage(connection, active, &theirs);
	format_lines(connection);
	mirror_rtcp(media);
	return 0;
}

void media_dtls_answered(struct media *media, enum dtls_setup preference)
{
	struct dtls_connection *connection = media->streams[STREAM_RTP].extras->dtls;
	if (!connection || !connection->staged.enabled)
		return;
	/* DTLS=active/passive of the answer command: our role towards the offerer, when its
	 * actpass left the choice to us (as upstream 10.5) */
	if (connection->offered_setup == DTLS_SETUP_ACTPASS
	    && (preference == DTLS_SETUP_ACTIVE || preference == DTLS_SETUP_PASSIVE)) {
		struct dtls_fingerprint expected = connection->staged.expected;
		connection->our_setup = preference;
		dtls_stage(connection, preference == DTLS_SETUP_ACTIVE, &expected);
		format_lines(connection);
	}
	connection->start_pending = true;
	mirror_rtcp(media);
}

void media_dtls_off(struct media *media)
{
	struct dtls_connection *connection = media->streams[STREAM_RTP].extras->dtls;
	if (connection)
		dtls_stage_off(connection);
	mirror_rtcp(media);
}

int media_dtls_lines(struct media *media, const char **lines, unsigned int capacity)
{
	struct dtls_connection *connection = media->streams[STREAM_RTP].extras->dtls;
	if (!connection || !connection->setup_line[0] || capacity < MEDIA_DTLS_LINES)
		return 0;
	lines[0] = connection->setup_line;
	lines[1] = connection->fingerprint_line;
	return MEDIA_DTLS_LINES;
}

bool media_dtls_agreed(const struct media *media)
{
	const struct dtls_connection *connection = media->streams[STREAM_RTP].extras->dtls;
	return connection && connection->staged.enabled && connection->staged.expected.length;
}

bool media_dtls_active(const struct media *media)
{
	const struct dtls_connection *connection = media->streams[STREAM_RTP].extras->dtls;
	return connection && connection->staged.enabled;
}

void media_dtls_publish(struct media *media)
{
	dtls_publish(media->streams[STREAM_RTP].extras->dtls);
	dtls_publish(media->streams[STREAM_RTCP].extras->dtls);
}

void media_dtls_kick(struct media *media, struct media_worker *worker)
{
	dtls_kick(media->streams[STREAM_RTP].extras->dtls, worker);
	dtls_kick(media->streams[STREAM_RTCP].extras->dtls, worker);
}

static void call_ended(const struct call_event *event)
{
	struct call *call = event->call;   /* call_foreach_media() needs the name */
	struct media *media;
	call_foreach_media(call, media) {
		dtls_close(media->streams[STREAM_RTP].extras->dtls, call->worker);
		dtls_close(media->streams[STREAM_RTCP].extras->dtls, call->worker);
	}
}

const struct call_observer dtls_call_observer = {
	.name = "dtls",
	.ended = call_ended,
};
