/* The SDP the receiver of an offer or answer gets (ng_offer_answer.h): the sender's SDP
 * rewritten with our address and the receiver-side ports, our ICE credentials and
 * candidates, a=mid, SDES keys and DTLS fingerprint, BUNDLE groups, the negotiated codecs and
 * ptime. It reads the call's signalling state and stages new sockets and BUNDLE tables through
 * ng_offer_answer.c; it publishes nothing to the packet path itself. */
#include "ng_offer_answer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "call.h"
#include "codec.h"
#include "dtls_certificate.h"
#include "ice_agent.h"
#include "interface.h"
#include "media_crypto.h"
#include "media_transcode.h"
#include "pubsub.h"
#include "sdp_attr_edit.h"

/* Upstream takes part in ICE itself when the received media had ICE (or ICE=force): the
 * receiver gets our credentials and candidates, never the other side's. */
static void set_ice(struct sdp_media_rewrite *rewrite, struct media *local, bool offer_had_ice,
                    const struct ng_flags *flags, bool offer)
{
	if (flags->ice == NG_ICE_REMOVE || (flags->ice == NG_ICE_DEFAULT && !offer_had_ice))
		return;
	if (!local->ice_ufrag[0]) {
		/* without the lock: the worker reads them only once FORWARD_ICE is published */
		ice_random_credential(local->ice_ufrag, sizeof(local->ice_ufrag) - 1);
		ice_random_credential(local->ice_pwd, sizeof(local->ice_pwd) - 1);
		/* RFC 8445 section 6.1.1: the offering agent controls */
		local->ice_controlling = offer;
	}
	ice_agent_local_credentials(local, &rewrite->ice_ufrag, &rewrite->ice_pwd);
	/* RFC 8840 section 4.4: we never trickle, so a trickle peer hears at once that our
	 * candidates are complete */
	rewrite->end_of_candidates = (local->ice_staged && local->ice_staged->staged.trickle) || flags->trickle_ice;
	/* flag trickle-ICE: as 10.5, we say we support trickling (RFC 8840 section 4.1.1) */
	rewrite->ice_options_trickle = flags->trickle_ice;
	rewrite->ice_foundation = local->interface->ice_foundation;
}

/* ICE=force-relay, as upstream 10.5 does it: the receiver keeps talking ICE with the sender
 * (c=, the m= port and the sender's ICE stay; its relay candidates go) and gets our port as one
 * more candidate, of type relay, so that checks and media on it pass through us. Its checks
 * are forwarded as they are: we give no credentials of ours, so no agent or responder of ours
 * runs (FORWARD_ICE unset). A sender without ICE: the receiver gets our credentials and only
 * our relay candidates, and our responder answers (RFC 8445 section 7.3). */
static void set_ice_relay(struct sdp_media_rewrite *rewrite, struct media *local, const struct sdp_media *sdp_media,
			  const struct sdp_address *received, const struct ng_flags *flags, bool offer)
{
	rewrite->relay_address = rewrite->address;
	rewrite->relay_rtp_port = rewrite->rtp_port;
	rewrite->relay_rtcp_port = rewrite->rtcp_port;
	rewrite->ice_foundation = local->interface->ice_foundation;
	rewrite->address = *received;
	rewrite->rtp_port = sdp_media->port;
	rewrite->rtcp_port = sdp_media->port + (sdp_media->rtcp_mux ? 0 : 1);
	if (!sdp_media->has_ice)
		set_ice(rewrite, local, true, flags, offer);
}

/* a=mid (RFC 5888): the answer repeats the offer's mid where the answerer gave none (a
 * browser needs it, upstream does it); generate-mid numbers the offer's media that have none
 * from 1, and adds none to an answer, as 10.5 measured. */
static void set_mid(struct sdp_media_rewrite *rewrite, const struct media *local, const struct media *sender,
                    const struct ng_flags *flags, bool offer, unsigned int index)
{
	static const char *const numbers[CALL_MAX_MEDIA] = {
		"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16" };
	if (sender->mid[0])
		return;   /* the received one is kept */
	if (!offer && local->mid[0])
		rewrite->mid = local->mid;
	else if (offer && flags->generate_mid && index < CALL_MAX_MEDIA)
		rewrite->mid = numbers[index];
}

/* An SRTP offer (RTP/SAVP(F), UDP/TLS/RTP/SAVP(F), or OSRTP on RTP/AVP) towards a side whose
 * keying we do not know yet carries both SDES keys and our DTLS fingerprint, as upstream 10.5's
 * does: the side answers with the one it speaks (SDES=off / DTLS=off leave one out). Once one
 * is agreed, a re-offer carries that keying only (SDES: the agreed suite and key among all the
 * suites, see media_crypto_offer_reusing()). Returns the number of lines. */
static int offer_srtp_keying(const struct ng_flags *flags, struct media *local, const struct sdp_media *peer_offer,
			     const char **lines)
{
	bool sdes_agreed = local->crypto && local->crypto->active;
	bool dtls_agreed = media_dtls_agreed(local);
	int count = 0;
	/* with DTLS agreed, SDES only where we offered it before (its keys again, as 10.5) */
	if (!flags->sdes_off && (!dtls_agreed || local->crypto)) {
		struct media_crypto_options options = {
			.no_suites = flags->sdes_no_suites, .only_suites = flags->sdes_only_suites, .pad = flags->sdes_pad,
			.lifetime = flags->sdes_lifetime, .copy_from = peer_offer,
		};
		int written = media_crypto_offer_with(local, &options, lines, MEDIA_CRYPTO_OFFERED_SUITES);
		count = written > 0 ? written : 0;
	}
	if (!flags->dtls_off && !sdes_agreed && dtls_certificate_ready()) {
		struct media_dtls_request dtls = dtls_request(flags, false);
		int written = media_dtls_offer(local, &dtls, lines + count, MEDIA_DTLS_LINES);
		count += written > 0 ? written : 0;
	}
	return count;
}

/* Per media, the attribute lines ng_write_sdp() adds: a=crypto, the DTLS lines (views into the
 * media's crypto and DTLS state) and BUNDLE's a=extmap for the MID. */
#define EXTRA_LINE_SET (MEDIA_CRYPTO_OFFERED_SUITES + MEDIA_DTLS_LINES + 1)

/* BUNDLE: the mid an m= line of ours carries towards the receiver, or NULL. */
static const char *written_mid(const struct sdp_media_rewrite *rewrite, const struct media *sender,
			       const struct media *local)
{
	if (rewrite->mid)
		return rewrite->mid;
	if (sender->mid[0])
		return sender->mid;
	return local->mid[0] ? local->mid : NULL;
}

/* ICE=force-relay: the sender's a=group:BUNDLE mids as it wrote them (RFC 9143 section 7.1),
 * NULL without one. */
static const char *sender_bundle_group(const struct sdp_session *sdp)
{
	for (unsigned int i = 0; sdp->attributes && i < sdp->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(sdp->attributes, i);
		if (sdp_name_is(attribute->name, "group") && attribute->value && g_str_has_prefix(attribute->value, "BUNDLE "))
			return attribute->value + strlen("BUNDLE ");
	}
	return NULL;
}

/* BUNDLE towards the receiver of an offer with several m= lines (RFC 9143 section 7.2): one
 * transport when the receiver gets our ICE, rtcp-mux and a mid on every m= line and either
 * the sender bundled them (a browser calling one) or the receiver gets WebRTC's UDP/TLS
 * profile; else (a SIP phone: ICE=remove, RTP/AVP) every m= line keeps its own ports. All
 * bundled m= lines show the same port, as Chromium's own max-bundle offers do. */
static void offer_bundle(struct sdp_exchange *exchange, const struct sdp_media_rewrite *rewrites)
{
	unsigned int count = exchange->sdp->media->len;
	struct sdp_bundle bundle = { 0 };
	const char *mids[CALL_MAX_MEDIA] = { NULL };
	bool capable = count >= 2;
	/* RFC 8843 section 7.5.1: once the receiver accepted the group (its answer left the
	 * transports shared), later offers show the BUNDLE address on every m= line */
	exchange->bundle_initial_offer = true;
	for (unsigned int i = 0; i < exchange->receiver->media_count; i++)
		if (exchange->receiver->media[i]->bundle_owner)
			exchange->bundle_initial_offer = false;
	for (unsigned int i = 0; capable && i < count; i++) {
		const struct media *sender_media = exchange->sender->media[i], *local = exchange->receiver->media[i];
		const struct sdp_media_rewrite *rewrite = &rewrites[i];
		if (local->rejected || sender_media->rejected || !local->rtp_port
		    || !protocol_is_rtp(((const struct sdp_media *) g_ptr_array_index(exchange->sdp->media, i))->protocol))
			continue;
		const char *protocol = rewrite->protocol ? rewrite->protocol : local->protocol;
		mids[i] = written_mid(rewrite, sender_media, local);
		capable = mids[i] && rewrite->ice_ufrag && rewrite->rtcp_mux
			&& (sender_media->bundled || (protocol && g_str_has_prefix(protocol, "UDP/TLS/")));
		bundle.lines[bundle.count++] = i;
	}
	struct bundle_group *group = NULL;
	if (capable && bundle.count >= 2) {
		/* the MID extension's id: the sender's where it had one, else one no m= line uses */
		unsigned int id = 0;
		for (unsigned int b = 0; !id && b < bundle.count; b++)
			id = sdp_media_mid_extension_id(g_ptr_array_index(exchange->sdp->media, bundle.lines[b]));
		if (!id)
			id = sdp_free_extension_id(exchange->sdp, &bundle);
		group = bundle_group_build(exchange->sdp, &bundle, exchange->receiver->media, mids, id, false);
	}
	ng_update_stage_bundle(exchange->update, exchange->receiver, group);
}

/* BUNDLE towards the receiver: every member m= line shows its transport's (the owner's)
 * address, ports, ICE and DTLS/SDES lines (identical in each, RFC 8843 section 7.2), and the
 * owner's an a=extmap for the MID header extension when its SDP had none (we add the MID to
 * what we send, so that the receiver can place packets of m= lines with the same payload
 * types). Returns the a=group:BUNDLE value (the owner's mid first) in text, or NULL.
 * An initial offer of the group (RFC 8843 section 7.2) leaves each m= line its own address,
 * ICE and DTLS/SDES lines, each with the a=extmap: an answer that declines the group, moves
 * an m= line out of it (section 7.3.2) or rejects one (7.3.3) then has a transport for each
 * m= line it keeps apart. */
static const char *rewrite_bundle(struct sdp_exchange *exchange, struct sdp_media_rewrite *rewrites,
				  const char *(*extra_lines)[EXTRA_LINE_SET], char *extmap_line, char *text)
{
	unsigned int count = exchange->sdp->media->len;
	const struct media *owner = NULL;
	for (unsigned int i = 0; !owner && i < count; i++)
		owner = exchange->receiver->media[i]->bundle_owner;
	if (!owner || owner->index - 1 >= count || !rewrites[owner->index - 1].rtp_port)
		return NULL;
	unsigned int o = owner->index - 1;
	struct sdp_media_rewrite *transport = &rewrites[o];
	if (owner->bundle_extension_id)
		g_snprintf(extmap_line, 80, "extmap:%u %s", owner->bundle_extension_id, BUNDLE_MID_EXTENSION_URI);
	if (owner->bundle_extension_id && !sdp_media_mid_extension_id(g_ptr_array_index(exchange->sdp->media, o))
	    && transport->extra_attribute_count < EXTRA_LINE_SET) {
		extra_lines[o][transport->extra_attribute_count++] = extmap_line;
		transport->extra_attributes = extra_lines[o];
	}
	const char *owner_mid = written_mid(transport, exchange->sender->media[o], owner);
	if (!owner_mid)
		return NULL;
	size_t used = (size_t) g_snprintf(text, BUNDLE_MID_SIZE + 1, "%s", owner_mid);
	for (unsigned int i = 0; i < count; i++) {
		const struct media *local = exchange->receiver->media[i];
		struct sdp_media_rewrite *rewrite = &rewrites[i];
		const char *mid = written_mid(rewrite, exchange->sender->media[i], local);
		if (i == o || local->bundle_owner != owner || !rewrite->rtp_port || !mid)
			continue;
		used += (size_t) g_snprintf(text + used, BUNDLE_MID_SIZE + 1, " %s", mid);
		if (exchange->bundle_initial_offer) {
			if (owner->bundle_extension_id && !sdp_media_mid_extension_id(g_ptr_array_index(exchange->sdp->media, i))
			    && rewrite->extra_attribute_count < EXTRA_LINE_SET) {
				extra_lines[i][rewrite->extra_attribute_count++] = extmap_line;
				rewrite->extra_attributes = extra_lines[i];
			}
			continue;
		}
		rewrite->address = transport->address;
		rewrite->rtp_port = transport->rtp_port;
		rewrite->rtcp_port = transport->rtcp_port;
		rewrite->rtcp_mux = transport->rtcp_mux;
		rewrite->remove_ice = transport->remove_ice;
		rewrite->ice_ufrag = transport->ice_ufrag;
		rewrite->ice_pwd = transport->ice_pwd;
		rewrite->ice_foundation = transport->ice_foundation;
		rewrite->end_of_candidates = transport->end_of_candidates;
		rewrite->family_address = transport->family_address;
		rewrite->family_rtp_port = transport->family_rtp_port;
		rewrite->family_rtcp_port = transport->family_rtcp_port;
		rewrite->family_foundation = transport->family_foundation;
		rewrite->extra_attributes = transport->extra_attributes;
		rewrite->extra_attribute_count = transport->extra_attribute_count;
	}
	return text;
}

static void received_ptime(const struct sdp_media *sdp_media, char *out, size_t size);

static bool is_event_or_cn(const struct codec *codec)
{
	return !strcasecmp(codec->name, "telephone-event") || !strcasecmp(codec->name, "CN");
}

/* A telephone-event whose clock's codecs were all stripped or masked goes too (RFC 4733
 * section 2.1: events go with audio at their clock), as 10.5 does; one the offer has at a
 * clock without any codec stays as it was offered. */
static void drop_orphaned_events(const struct codec_list *list, unsigned int *chosen, unsigned int *count)
{
	unsigned int kept = 0;
	for (unsigned int i = 0; i < *count; i++) {
		const struct codec *event = &list->codecs[chosen[i]];
		bool is_event = !strcasecmp(event->name, "telephone-event");
		bool offered_clock = false, chosen_clock = false;
		for (unsigned int c = 0; is_event && c < list->count; c++)
			offered_clock |= !is_event_or_cn(&list->codecs[c]) && list->codecs[c].clock_rate == event->clock_rate;
		for (unsigned int c = 0; offered_clock && c < *count; c++)
			chosen_clock |= !is_event_or_cn(&list->codecs[chosen[c]])
				&& list->codecs[chosen[c]].clock_rate == event->clock_rate;
		if (!offered_clock || chosen_clock)
			chosen[kept++] = chosen[i];
	}
	*count = kept;
}

/* The codecs of the offerer's m= line as the offerer sent them, from its kept SDP
 * (pubsub_note_sdp()), parsed only where an answer needs them. Returns the parsed session, which
 * `list`'s strings point into (the caller frees it), or NULL when there is none to read. */
static struct sdp_session *offerer_sent_codecs(const struct media *offerer_media, const struct media *answerer_media,
		struct codec_list *list)
{
	const struct monologue *side = offerer_media->monologue;
	const char *error = NULL;
	if (!side->sdp || !answerer_media->offered_payload_types_known)
		return NULL;
	struct sdp_session *sdp = sdp_parse(side->sdp, side->sdp_length, &error);
	if (!sdp)
		return NULL;
	unsigned int index = 0;
	while (index < side->media_count && side->media[index] != offerer_media)
		index++;
	if (index >= side->media_count || index >= sdp->media->len
	    || codec_list_from_media(g_ptr_array_index(sdp->media, index), list) < 0) {
		sdp_session_free(sdp);
		return NULL;
	}
	return sdp;
}

/* As 10.5 (measured), an answer none of whose codecs the answerer was offered (RFC 3264
 * section 6.1) gives the offerer the first audio codec of its own that the answerer was offered.
 * Writes "PT name/clock[/channels]" to `out` (a sdp_write.c added rtpmap), false if there is none. */
static bool first_offered_codec(const struct media *offerer_media, const struct media *answerer_media,
		char *out, size_t size)
{
	struct codec_list list;
	struct sdp_session *sdp = offerer_sent_codecs(offerer_media, answerer_media, &list);
	if (!sdp)
		return false;
	bool found = false;
	for (unsigned int i = 0; i < list.count && !found; i++) {
		const struct codec *codec = &list.codecs[i];
		if (!codec->name[0] || !g_ascii_strcasecmp(codec->name, "telephone-event")
		    || !g_ascii_strcasecmp(codec->name, "CN")
		    || !codec_payload_set_has(&answerer_media->offered_payload_types, codec->payload_type))
			continue;
		if (codec->channels > 1)
			snprintf(out, size, "%u %s/%u/%u", codec->payload_type, codec->name, codec->clock_rate, codec->channels);
		else
			snprintf(out, size, "%u %s/%u", codec->payload_type, codec->name, codec->clock_rate);
		found = true;
	}
	sdp_session_free(sdp);
	return found;
}

/* As 10.5 (measured): once the offer's strip/mask/consume left the answerer without some of the
 * offerer's codecs (or the answer request's removed some), the offerer's answer carries its own
 * 8 kHz telephone-event's rtpmap and fmtp (0-16), not the answerer's (0-15). Writes the
 * offerer's "PT telephone-event/8000[ fmtp]" to `out` when that applies. */
static bool offerers_event(const struct media *offerer_media, const struct media *answerer_media,
		bool answer_removed, char *out, size_t size)
{
	struct codec_list list;
	struct sdp_session *sdp = offerer_sent_codecs(offerer_media, answerer_media, &list);
	if (!sdp)
		return false;
	const struct codec *event = NULL;
	bool removed = answer_removed;
	for (unsigned int i = 0; i < list.count; i++) {
		const struct codec *codec = &list.codecs[i];
		removed |= !codec_payload_set_has(&answerer_media->offered_payload_types, codec->payload_type);
		if (!event && !g_ascii_strcasecmp(codec->name, "telephone-event") && codec->clock_rate == 8000)
			event = codec;
	}
	bool found = event && removed && codec_payload_set_has(&answerer_media->offered_payload_types, event->payload_type);
	if (found)
		snprintf(out, size, "%u telephone-event/8000%s%s", event->payload_type,
			 event->format_parameters ? " " : "", event->format_parameters ? event->format_parameters : "");
	sdp_session_free(sdp);
	return found;
}

/* Codec negotiation without transcoding (codec.h): the formats the receiver gets, or NULL to
 * keep the m= line as received. An offer also records what the receiver was offered, which
 * its answer is held to. */
static const char *negotiate_codecs(const struct ng_flags *flags, bool offer, const struct sdp_media *sdp_media,
		struct media *sender_media, struct media *receiver_media, char *text, size_t size,
		const char **rtpmaps)
{
	struct codec_list list;
	rtpmaps[0] = NULL;
	if (codec_list_from_media(sdp_media, &list) < 0)
		return NULL;   /* not RTP payload types (t38, BFCP, ...): left alone */
	unsigned int chosen[CODEC_MAX], count = 0;
	if (offer) {
		const char *missing;
		struct codec_options offered_only = flags->codec;
		if (codec_negotiate_offer(&list, &flags->codec, chosen, &count, &missing) < 0) {
			/* transcoding (media_transcode.h): negotiate what the offer has, then add the
			 * rest; codecs_refused() checked that they can be added */
			offered_only.transcode.count = 0;
			offered_only.adding = true;
			for (unsigned int n = 0; n < flags->codec.transcode.count; n++) {
				bool present = false;
				for (unsigned int c = 0; c < list.count; c++)
					present |= codec_matches(&list.codecs[c], flags->codec.transcode.names[n]);
				if (present)
					codec_names_add(&offered_only.transcode, flags->codec.transcode.names[n]);
			}
			if (codec_negotiate_offer(&list, &offered_only, chosen, &count, &missing) < 0)
				return NULL;
		}
		if (receiver_media->transcode || flags->codec.transcode.count || flags->codec.accept.count
		    || flags->codec.consume.count
		    || flags->codec.always_transcode || flags->codec.inject_dtmf || flags->codec.ptime
		    || flags->codec.ptime_reverse) {
			if (codec_formats_text(&list, chosen, count, text, size) < 0)
				return NULL;
			int added = media_transcode_offer(&list, &flags->codec, receiver_media, text, size, rtpmaps);
			if (added > 0) {
				/* the answer is held to what the answerer was offered: ours included */
				memset(&receiver_media->offered_payload_types, 0, sizeof(receiver_media->offered_payload_types));
				for (unsigned int i = 0; i < count; i++)
					codec_payload_set_add(&receiver_media->offered_payload_types, list.codecs[chosen[i]].payload_type);
				for (const char *cursor = text; *cursor; ) {
					codec_payload_set_add(&receiver_media->offered_payload_types, (unsigned int) strtoul(cursor, NULL, 10));
					cursor += strcspn(cursor, " ");
					cursor += *cursor == ' ';
				}
				receiver_media->offered_payload_types_known = true;
				return text;
			}
		}
		drop_orphaned_events(&list, chosen, &count);
		memset(&receiver_media->offered_payload_types, 0, sizeof(receiver_media->offered_payload_types));
		for (unsigned int i = 0; i < count; i++)
			codec_payload_set_add(&receiver_media->offered_payload_types, list.codecs[chosen[i]].payload_type);
		receiver_media->offered_payload_types_known = true;
	} else {
		/* transcoding: the answerer took a codec we added, the offerer hears its own */
		media_transcode_answer_flags(&list, &flags->codec, sender_media);
		char answer_ptime[8];
		received_ptime(sdp_media, answer_ptime, sizeof(answer_ptime));
		/* when the answerer took a codec of the offerer's, the ones we added beside it are
		 * not the offerer's (upstream script: an answer of PCMU beside an added G.722);
		 * an answer of added codecs alone passes as given (media_transcode.h) */
		struct codec_payload_set added;
		media_transcode_added_payload_types(sender_media, &added);
		struct codec_answer_taken taken;
		codec_answer_taken(&list, &sender_media->offered_payload_types, &added, &taken);
		bool took_offerers = taken.offerers_audio;
		/* (one per m= line: the writer reads it after this returns; control thread only) */
		static __thread char first_offered[CALL_MAX_MEDIA][64];
		char *unoffered_leg = first_offered[sender_media->index % CALL_MAX_MEDIA];
		unoffered_leg[0] = '\0';
		if (!taken.count && !taken.left_out && list.count
		    && first_offered_codec(receiver_media, sender_media, unoffered_leg, sizeof(first_offered[0])))
			media_transcode_answer_unoffered(sender_media, unoffered_leg);
		/* single-codec still trims an answer of the offerer's codecs whose added ones were
		 * left out (as 10.5): the negotiation below leaves them out too */
		if (media_transcode_answer(&list, (unsigned int) strtoul(answer_ptime, NULL, 10), sender_media,
					   receiver_media, text, size, rtpmaps) > 0
		    && !(flags->codec.single_codec && took_offerers))
			return text;
		/* as 10.5: an answer to an offer that listed no format is not held to it */
		struct codec_payload_set none = { .bits = { 0 } };
		bool offered_nothing = !memcmp(&sender_media->offered_payload_types, &none, sizeof(none));
		codec_negotiate_answer(&list, !sender_media->offered_payload_types_known || offered_nothing ? NULL
				       : took_offerers ? &taken.offerers : &sender_media->offered_payload_types,
				       &flags->codec, chosen, &count);
		unsigned int negotiated = count;
		media_transcode_answer_passed(sender_media, &list, chosen, &count);
		bool answer_removed = (flags->codec.strip.count || flags->codec.mask.count || flags->codec.consume.count)
			&& !codec_selection_unchanged(&list, chosen, count);
		if (!negotiated && !count && list.count && unoffered_leg[0]) {
			/* as 10.5 (measured): an answer with no codec the answerer was offered (RFC 3264
			 * section 6.1) gives the offerer the first audio codec of its own that was */
			g_strlcpy(text, unoffered_leg, size);
			text[strcspn(text, " ")] = '\0';
			rtpmaps[0] = unoffered_leg;
			rtpmaps[1] = NULL;
			return text;
		}
		if (codec_formats_text(&list, chosen, count, text, size) >= 0
		    && media_transcode_consumed_cn(sender_media, &list, text, size, rtpmaps) > 0)
			return text;
		for (unsigned int i = 0; i < count; i++) {
			const struct codec *codec = &list.codecs[chosen[i]];
			if (g_ascii_strcasecmp(codec->name, "telephone-event") || codec->clock_rate != 8000)
				continue;
			static __thread char event_rtpmap[CALL_MAX_MEDIA][64];
			char *ours = event_rtpmap[sender_media->index % CALL_MAX_MEDIA];
			if (offerers_event(receiver_media, sender_media, answer_removed, ours, sizeof(event_rtpmap[0]))
			    && strtoul(ours, NULL, 10) == codec->payload_type
			    && codec_formats_text(&list, chosen, count, text, size) >= 0) {
				rtpmaps[0] = ours;
				rtpmaps[1] = NULL;
				return text;
			}
			break;
		}
	}
	if (codec_selection_unchanged(&list, chosen, count) || codec_formats_text(&list, chosen, count, text, size) < 0)
		return NULL;
	return text;
}

/* The a=ptime of a media section as received, "" if none. */
static void received_ptime(const struct sdp_media *sdp_media, char *out, size_t size)
{
	out[0] = '\0';
	for (unsigned int i = 0; i < sdp_media->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(sdp_media->attributes, i);
		if (sdp_name_is(attribute->name, "ptime") && attribute->value)
			g_strlcpy(out, attribute->value, size);
	}
}

/* The ptime the receiver's SDP carries, as 10.5 without transcoding: an offer gets the request's
 * ptime; an answer gets the offer's ptime-reverse, else its own, else the original offer's. */
static const char *negotiate_ptime(const struct ng_flags *flags, bool offer, const struct sdp_media *sdp_media,
		struct media *sender_media, struct media *receiver_media, char *text, size_t size)
{
	if (offer) {
		received_ptime(sdp_media, sender_media->offer_ptime, sizeof(sender_media->offer_ptime));
		sender_media->ptime_reverse[0] = '\0';
		if (flags->codec.ptime_reverse)
			g_snprintf(sender_media->ptime_reverse, sizeof(sender_media->ptime_reverse), "%lld",
				   flags->codec.ptime_reverse);
		if (!flags->codec.ptime)
			return NULL;
		g_snprintf(text, size, "%lld", flags->codec.ptime);
		return text;
	}
	if (receiver_media->ptime_reverse[0])
		return receiver_media->ptime_reverse;
	/* the offer's ptime was changed towards the answerer: the offerer gets its own back, the
	 * answerer's packets are repacketised to it (chain_ptime()), as 10.5 */
	if (media_transcode_ptime_forced(sender_media) && receiver_media->offer_ptime[0])
		return receiver_media->offer_ptime;
	received_ptime(sdp_media, text, size);
	if (text[0])
		return NULL;
	return receiver_media->offer_ptime[0] ? receiver_media->offer_ptime : NULL;
}

/* replace=SDP-version (as 10.5): the side's first o= version, one more each time the SDP it
 * sends changes (its o= line aside: a new version alone is no change, RFC 4566 section 5.2). */
static const char *sdp_version_for(struct monologue *sender, const struct sdp_session *sdp,
		const char *text, size_t length)
{
	guint hash = 5381;
	bool line_start = true, skipping = false;
	for (size_t i = 0; i < length; i++) {
		if (line_start)
			skipping = text[i] == 'o' && i + 1 < length && text[i + 1] == '=';
		line_start = text[i] == '\n';
		if (!skipping)
			hash = hash * 33 + (guchar) text[i];
	}
	if (!sender->sdp_version[0])
		g_strlcpy(sender->sdp_version, sdp->origin_session_version ? sdp->origin_session_version : "1",
			  sizeof(sender->sdp_version));
	else if (hash != sender->sdp_version_hash)
		g_snprintf(sender->sdp_version, sizeof(sender->sdp_version), "%llu",
			   strtoull(sender->sdp_version, NULL, 10) + 1);
	sender->sdp_version_hash = hash;
	return sender->sdp_version;
}

/* The direction written for a media whose sender holds it with a zero address: the
 * receiving half is dropped. */
static enum sdp_direction held_direction(enum sdp_direction direction)
{
	if (direction == SDP_DIRECTION_SENDRECV || direction == SDP_DIRECTION_UNSPECIFIED)
		return SDP_DIRECTION_SENDONLY;
	if (direction == SDP_DIRECTION_RECVONLY)
		return SDP_DIRECTION_INACTIVE;
	return direction;
}

/* Writes the SDP the receiver gets: the sender's SDP with our address and the receiver-side
 * ports in place of the sender's. */
int ng_write_sdp(struct sdp_exchange *exchange, bool offer)
{
	struct ng_request *request = exchange->request;
	const struct ng_flags *flags = &request->flags;
	unsigned int count = exchange->sdp->media->len;
	if (count > CALL_MAX_MEDIA) {   /* parse_request_sdp() refused those */
		request->error_reason = "Too many media sections in SDP";
		return -EINVAL;
	}
	/* On the stack, as is the writer's scratch (no malloc per request: ng cycle bench) */
	struct sdp_media_rewrite rewrites[CALL_MAX_MEDIA];
	memset(rewrites, 0, count * sizeof(rewrites[0]));
	/* per media: the a=crypto lines and the DTLS lines (views into the media's crypto and
	 * DTLS state) */
	typedef const char *crypto_line_set[EXTRA_LINE_SET];
	crypto_line_set crypto_lines[CALL_MAX_MEDIA];
	memset(crypto_lines, 0, count * sizeof(crypto_lines[0]));
	char formats[CALL_MAX_MEDIA][4 * CODEC_MAX + 4 * 2 * MEDIA_TRANSCODE_ADDED];
	const char *added_rtpmaps[CALL_MAX_MEDIA][2 * MEDIA_TRANSCODE_ADDED + 1];
	char ptimes[CALL_MAX_MEDIA][8];
	bool ice_lite = false;
	const char *bundle_group = NULL;
	for (unsigned int i = 0; i < count; i++) {
		const struct sdp_media *sdp_media = g_ptr_array_index(exchange->sdp->media, i);
		struct media *sender_media = exchange->sender->media[i];
		struct media *local = exchange->receiver->media[i];   /* its sockets face the receiver */
		struct sdp_media_rewrite *rewrite = &rewrites[i];
		/* media-address overrides the address we advertise (upstream's semantics) */
		const union endpoint *advertised = endpoint_is_set(&flags->media_address) ? &flags->media_address
			: local->interface ? &local->interface->advertised
			: sender_media->interface ? &sender_media->interface->advertised : NULL;
		/* a rejected m= line has no sockets: 10.5 writes the address of the others on it */
		for (unsigned int j = 0; !advertised && j < count; j++) {
			if (exchange->receiver->media[j] && exchange->receiver->media[j]->interface)
				advertised = &exchange->receiver->media[j]->interface->advertised;
		}
		const struct sdp_address *received = sdp_media->connection.family ? &sdp_media->connection
			: &exchange->sdp->connection;
		if (!g_ascii_strncasecmp(sdp_media->protocol, "TCP/", 4)) {
			/* TCP media (MSRP, RFC 4975): not ours to relay; passed as it came, at the
			 * sender's address (10.5's pass-through of protocols it does not know) */
			rewrite->passthrough = true;
			rewrite->address = *received;
			continue;
		}
		bool bundle_member_line = sender_media->bundle_owner && sender_media->bundle_owner != sender_media;
		/* c=0.0.0.0 beside ICE attributes is trickle ICE (RFC 8840 section 4.1.1), not a hold */
		bool held = is_zero_address(received) && !bundle_member_line && !sdp_media->has_ice;
		if (held) {
			/* RFC 2543-style hold: the holder receives nothing (10.5 writes sendonly) */
			rewrite->direction = held_direction(sdp_media_effective_direction(exchange->sdp, sdp_media));
		}
		if (held && !flags->replace_zero_address) {
			/* passed on so the other side sees the hold too, in the family it is written
			 * in (address-family=IP6 turns 0.0.0.0 into ::, as 10.5) */
			int family = advertised ? advertised->address.sa_family : received->family;
			rewrite->address.family = family;
			g_strlcpy(rewrite->address.text, family == AF_INET6 ? "::" : "0.0.0.0",
				  sizeof(rewrite->address.text));
		} else if (advertised) {
			/* rejected media too: upstream rewrites their c= line */
			rewrite->address.family = advertised->address.sa_family;
			endpoint_address_text(advertised, rewrite->address.text, sizeof(rewrite->address.text));
		}
		if (local->rejected || sender_media->rejected || !local->rtp_port)
			continue;
		rewrite->rtp_port = local->rtp_port;
		/* RFC 5761 section 5.1.1: an offer of mux still offers a separate RTCP port;
		 * accept/reject act on the answer only (as upstream) */
		if (offer) {
			rewrite->rtcp_mux = flags->rtcp_mux_offer || (sdp_media->rtcp_mux && !flags->rtcp_mux_demux);
			rewrite->rtcp_port = local->rtp_port + 1;
		} else {
			rewrite->rtcp_mux = local->rtcp_mux;
			rewrite->rtcp_port = local->rtcp_mux ? local->rtp_port : local->rtp_port + 1;
		}
		/* the receiver hears its own transport protocol: the translated one in an offer,
		 * its original one in the answer it gets */
		/* transport-protocol translates RTP m= lines only: others pass as they are (10.5) */
		/* in an answer, transport-protocol (a protocol, or accept: the answerer's) overrides the
		 * m= protocol text only, as 10.5 does */
		if (offer)
			rewrite->protocol = !protocol_is_rtp(sdp_media->protocol) ? NULL
				: flags->transport_protocol ? flags->transport_protocol
				: local->protocol_translated || local->protocol_kept_own ? local->protocol : NULL;
		else if (flags->transport_protocol_accept)
			rewrite->protocol = sdp_media->protocol;
		else if (flags->transport_protocol && protocol_is_rtp(sdp_media->protocol))
			rewrite->protocol = flags->transport_protocol;
		else if (flags->ice != NG_ICE_FORCE_RELAY)
			rewrite->protocol = local->protocol;
		/* (ICE=force-relay: the answerer's protocol passes with its keying, as 10.5) */
		/* the protocol the receiver is offered: a re-offer's transport-protocol may make SRTP
		 * of a side that was plain (the keys must come with it) */
		const char *offered_protocol = rewrite->protocol ? rewrite->protocol : sdp_media->protocol;
		/* an OSRTP offer (RFC 8643: keys on RTP/AVP) goes on as one, as 10.5 passes it */
		bool osrtp_on = media_protocol_is_plain_rtp(sdp_media->protocol) && media_sdp_has_crypto(sdp_media);
		/* ICE=force-relay: we are one ICE path of the endpoints' own session, and their DTLS
		 * or SDES keying goes end to end with it, as 10.5 passes it (ng_offer_answer.c) */
		rewrite->keep_keying = flags->ice == NG_ICE_FORCE_RELAY;
		if (rewrite->keep_keying) {
			/* nothing of ours */
		} else if (offer && (media_protocol_uses_dtls(offered_protocol) || media_protocol_uses_sdes(offered_protocol)
			      || ((flags->osrtp_offer || osrtp_on) && media_protocol_is_plain_rtp(offered_protocol)))) {
			/* as upstream 10.5: SDES keys and our fingerprint in every SRTP offer, a DTLS
			 * transport's and an OSRTP one (RFC 8643) included; the answer picks one */
			/* the keys of an SDES offer we took (OSRTP's too) go on as the first of ours, as
			 * 10.5 does (media_crypto.h) */
			bool sdes_offered = sender_media->crypto && sender_media->crypto->active;
			int lines = offer_srtp_keying(flags, local, sdes_offered ? sdp_media : NULL, crypto_lines[i]);
			if (lines > 0) {
				rewrite->extra_attributes = crypto_lines[i];
				rewrite->extra_attribute_count = (unsigned int) lines;
			}
		} else if (!offer && media_dtls_active(local)) {
			int lines = media_dtls_lines(local, crypto_lines[i], MEDIA_DTLS_LINES);
			if (lines > 0) {
				rewrite->extra_attributes = crypto_lines[i];
				rewrite->extra_attribute_count = (unsigned int) lines;
			}
		} else if (!offer && local->crypto && local->crypto->active && local->crypto->answer_line[0]) {
			crypto_lines[i][0] = local->crypto->answer_line;
			rewrite->extra_attributes = crypto_lines[i];
			rewrite->extra_attribute_count = 1;
		}
		rewrite->formats = negotiate_codecs(flags, offer, sdp_media, sender_media, local, formats[i], sizeof(formats[i]),
						    added_rtpmaps[i]);
		rewrite->added_rtpmaps = added_rtpmaps[i];
		rewrite->ptime = negotiate_ptime(flags, offer, sdp_media, sender_media, local, ptimes[i], sizeof(ptimes[i]));
		rewrite->remove_ice = flags->ice == NG_ICE_REMOVE;
		/* ICE in an answer follows what the offer had (RFC 8839 section 4.2); a re-offer
		 * keeps ICE with a side that answered with ICE before (as 10.5, its GH #1147) */
		bool optional = flags->ice == NG_ICE_OPTIONAL;
		if (flags->ice == NG_ICE_FORCE_RELAY) {
			set_ice_relay(rewrite, local, sdp_media, received, flags, offer);
		} else if (optional && sdp_media->has_ice) {
			rewrite->ice_alongside = true;
			rewrite->ice_foundation = local->interface ? local->interface->ice_foundation : NULL;
		} else if (!optional || offer || sender_media->ice_ufrag[0]) {
			/* ICE=optional in an answer without ICE: our ICE only where the offer ran ours */
			set_ice(rewrite, local, offer ? sdp_media->has_ice || (local->ice_ufrag[0] && local->ice_seen)
				: local->ice_seen, flags, offer);
		}
		/* an answer to a side that offered no ICE carries none, the answerer's neither */
		if (!offer && !rewrite->ice_ufrag && !rewrite->ice_alongside && flags->ice != NG_ICE_FORCE_RELAY)
			rewrite->remove_ice = true;
		if (rewrite->ice_ufrag && !endpoint_is_set(&flags->media_address)) {
			ng_update_open_family_sockets(request, exchange->update, local);
			if (local->family_rtp_port) {
				const struct local_interface *other = local->family_interface;
				rewrite->family_address.family = other->advertised.address.sa_family;
				endpoint_address_text(&other->advertised, rewrite->family_address.text,
						      sizeof(rewrite->family_address.text));
				rewrite->family_rtp_port = local->family_rtp_port;
				rewrite->family_rtcp_port = rewrite->rtcp_port == rewrite->rtp_port ? local->family_rtp_port
					: local->family_rtp_port + 1;
				rewrite->family_foundation = other->ice_foundation;
			}
		}
		if (flags->ice_lite == NG_ICE_LITE_FORWARD || flags->ice_lite == NG_ICE_LITE_BOTH)
			local->ice_lite = true;
		if (flags->ice_lite == NG_ICE_LITE_BACKWARD || flags->ice_lite == NG_ICE_LITE_BOTH)
			sender_media->ice_lite = true;
		if (rewrite->ice_ufrag && local->ice_lite)
			ice_lite = true;
		set_mid(rewrite, local, sender_media, flags, offer, i);
		/* RFC 9143: one m= line is one transport, so its BUNDLE group can be answered as is
		 * (a group of several is rewrite_bundle()'s),
		 * and offered to a browser (max-bundle pages refuse an offer without one) */
		if (flags->ice == NG_ICE_FORCE_RELAY)
			/* the endpoints' own transport, as 10.5 passes it: the sender's group as it
			 * wrote it, every m= line of it (each its own relay path), or none */
			bundle_group = sender_bundle_group(exchange->sdp);
		else if (!offer && !bundle_group && local->bundled && local->mid[0])
			bundle_group = local->mid;   /* (one line left of the group: a data channel rejected) */
		else if (offer && count == 1 && (rewrite->mid || sender_media->mid[0]) && rewrite->ice_ufrag
			 && rewrite->protocol && g_str_has_prefix(rewrite->protocol, "UDP/TLS/"))
			bundle_group = rewrite->mid ? rewrite->mid : sender_media->mid;
	}
	/* BUNDLE with several m= lines (bundle.h) */
	char bundle_text[CALL_MAX_MEDIA * BUNDLE_MID_SIZE + 1];
	char extmap_line[80];
	/* (ICE=force-relay: none of ours, ng_offer_answer.c left the sides unbundled) */
	if (offer && flags->ice != NG_ICE_FORCE_RELAY)
		offer_bundle(exchange, rewrites);
	const char *bundle_members = flags->ice == NG_ICE_FORCE_RELAY ? NULL
		: rewrite_bundle(exchange, rewrites, crypto_lines, extmap_line, bundle_text);
	if (bundle_members)
		bundle_group = bundle_members;
	struct sdp_rewrite_options options = {
		.ice_lite = ice_lite,
		.bundle_group = bundle_group,
		.replace_origin = flags->replace_origin,
		.replace_session_connection = flags->replace_session_connection,
		.no_rtcp_attribute = flags->no_rtcp_attribute,
		.full_rtcp_attribute = flags->full_rtcp_attribute,
		.strip_extmap = flags->strip_extmap,
		.loop_protect = flags->loop_protect,
		.loop_protect_token = ng_loop_protect_token(),
		.sdp_version = flags->replace_sdp_version
			? sdp_version_for(exchange->sender, exchange->sdp, flags->sdp, flags->sdp_length) : NULL,
		.media_count = count,
		.media = rewrites,
	};
	/* One output buffer for every request (control thread only), grown to the largest SDP
	 * so far: a fresh GString was a malloc, regrowth and free per offer and answer. */
	static GString *out;
	if (!out)
		out = g_string_sized_new(4096);
	g_string_truncate(out, 0);
	int error = sdp_rewrite(exchange->sdp, &options, out);
	if (!error)
		sdp_attr_edit_apply(flags->sdp_attr, out);   /* last: edits what we wrote too */
	if (!error)
		bencode_dictionary_add_string_length(request->buffer, request->reply, "sdp", out->str, out->len);
	else
		request->error_reason = "Failed to rewrite SDP";
	return error;
}

/* ---- publish/subscribe (pubsub.c): the key lines of the SDP it writes itself ---- */

_Static_assert(NG_UPDATE_KEY_LINES >= MEDIA_CRYPTO_OFFERED_SUITES + MEDIA_DTLS_LINES, "room for every key line");

int ng_update_answer_key_lines(struct ng_request *request, struct media *media, const char **lines)
{
	if (media_dtls_active(media)) {
		media_dtls_answered(media, (enum dtls_setup) request->flags.dtls_setup);
		return media_dtls_lines(media, lines, MEDIA_DTLS_LINES);
	}
	if (media->crypto && media->crypto->active && media->crypto->answer_line[0]) {
		lines[0] = media->crypto->answer_line;
		return 1;
	}
	return 0;
}

int ng_update_offer_key_lines(struct ng_request *request, struct media *media, const char **lines)
{
	if (!media_protocol_uses_dtls(media->protocol) && !media_protocol_uses_sdes(media->protocol))
		return 0;
	return offer_srtp_keying(&request->flags, media, NULL, lines);
}
