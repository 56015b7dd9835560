/* The ng key table; see ng_keys.h. Names follow upstream's ng protocol documentation
 * (docs/ng_control_protocol.md of rtpengine); each entry's state is decided by one question:
 * does the call still work, as the request asked, without the feature? */
#include "ng_keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include "dtls_certificate.h"
#include "log.h"
#include "sdp.h"

/* ---- setters of supported entries ----------------------------------------------------------- */

#define FLAG_SETTER(function, field) \
	static void function(struct ng_flags *flags) { flags->field = true; }

FLAG_SETTER(set_trust_address, trust_address)
FLAG_SETTER(set_sip_source_address, sip_source_address)
FLAG_SETTER(set_symmetric, symmetric)
FLAG_SETTER(set_asymmetric, asymmetric)
FLAG_SETTER(set_strict_source, strict_source)
FLAG_SETTER(set_media_handover, media_handover)
FLAG_SETTER(set_port_latching, port_latching)
FLAG_SETTER(set_no_rtcp_attribute, no_rtcp_attribute)
FLAG_SETTER(set_full_rtcp_attribute, full_rtcp_attribute)
FLAG_SETTER(set_loop_protect, loop_protect)
FLAG_SETTER(set_fatal, fatal)
FLAG_SETTER(set_replace_origin, replace_origin)
FLAG_SETTER(set_replace_session_connection, replace_session_connection)
FLAG_SETTER(set_replace_sdp_version, replace_sdp_version)
FLAG_SETTER(set_replace_zero_address, replace_zero_address)
FLAG_SETTER(set_rtcp_mux_offer, rtcp_mux_offer)
FLAG_SETTER(set_rtcp_mux_demux, rtcp_mux_demux)
FLAG_SETTER(set_debug, debug)
FLAG_SETTER(set_strip_extmap, strip_extmap)
FLAG_SETTER(set_trickle_ice, trickle_ice)

/* call recording (recording.h) */
static void set_record_call_on(struct ng_flags *flags) { flags->record_call = 1; }
static void set_record_call_off(struct ng_flags *flags) { flags->record_call = -1; }
static void set_has_metadata(struct ng_flags *flags) { flags->has_metadata = true; }
static void set_exclude_recording(struct ng_flags *flags) { flags->exclude_recording = true; }
static void set_has_output_destination(struct ng_flags *flags) { flags->has_output_destination = true; }

static void set_rtcp_mux_accept(struct ng_flags *flags) { flags->rtcp_mux_policy = NG_RTCP_MUX_ACCEPT; }
static void set_rtcp_mux_reject(struct ng_flags *flags) { flags->rtcp_mux_policy = NG_RTCP_MUX_REJECT; }
static void set_ice_remove(struct ng_flags *flags) { flags->ice = NG_ICE_REMOVE; }
static void set_ice_force(struct ng_flags *flags) { flags->ice = NG_ICE_FORCE; }
static void set_ice_default(struct ng_flags *flags) { flags->ice = NG_ICE_DEFAULT; }
static void set_ice_force_relay(struct ng_flags *flags) { flags->ice = NG_ICE_FORCE_RELAY; }
static void set_ice_optional(struct ng_flags *flags) { flags->ice = NG_ICE_OPTIONAL; }
/* ICE */
static void set_ice_lite_forward(struct ng_flags *flags) { flags->ice_lite = NG_ICE_LITE_FORWARD; }
static void set_ice_lite_backward(struct ng_flags *flags) { flags->ice_lite = NG_ICE_LITE_BACKWARD; }
static void set_ice_lite_both(struct ng_flags *flags) { flags->ice_lite = NG_ICE_LITE_BOTH; }
static void set_ice_lite_off(struct ng_flags *flags) { flags->ice_lite = NG_ICE_LITE_OFF; }
FLAG_SETTER(set_generate_mid, generate_mid)
/* media echo */
static void set_media_echo_blackhole(struct ng_flags *flags) { flags->media_echo = NG_MEDIA_ECHO_BLACKHOLE; }
static void set_media_echo_forward(struct ng_flags *flags) { flags->media_echo = NG_MEDIA_ECHO_FORWARD; }
static void set_media_echo_backwards(struct ng_flags *flags) { flags->media_echo = NG_MEDIA_ECHO_BACKWARDS; }
static void set_media_echo_both(struct ng_flags *flags) { flags->media_echo = NG_MEDIA_ECHO_BOTH; }
static void set_drop_traffic_start(struct ng_flags *flags) { flags->drop_traffic = 1; }
static void set_drop_traffic_stop(struct ng_flags *flags) { flags->drop_traffic = -1; }

/* DTLS-SRTP (media_dtls.h) and SDES options (media_crypto.h) */
static void set_sdes_pad(struct ng_flags *flags) { flags->sdes_pad = true; }
static void set_osrtp_offer(struct ng_flags *flags) { flags->osrtp_offer = true; }
static void set_osrtp_accept(struct ng_flags *flags) { flags->osrtp_accept = true; }
static void set_dtls_off(struct ng_flags *flags) { flags->dtls_off = true; }
static void set_dtls_passive(struct ng_flags *flags) { flags->dtls_setup = DTLS_SETUP_PASSIVE; }
static void set_dtls_active(struct ng_flags *flags) { flags->dtls_setup = DTLS_SETUP_ACTIVE; }
static void set_dtls_reverse_passive(struct ng_flags *flags) { flags->dtls_reverse_setup = DTLS_SETUP_PASSIVE; }
static void set_dtls_reverse_active(struct ng_flags *flags) { flags->dtls_reverse_setup = DTLS_SETUP_ACTIVE; }
#define DTLS_HASH_SETTER(function, value) \
	static void function(struct ng_flags *flags) { flags->has_dtls_hash = true; flags->dtls_hash = value; }
DTLS_HASH_SETTER(set_dtls_sha1, DTLS_HASH_SHA1)
DTLS_HASH_SETTER(set_dtls_sha224, DTLS_HASH_SHA224)
DTLS_HASH_SETTER(set_dtls_sha256, DTLS_HASH_SHA256)
DTLS_HASH_SETTER(set_dtls_sha384, DTLS_HASH_SHA384)
DTLS_HASH_SETTER(set_dtls_sha512, DTLS_HASH_SHA512)

/* codec negotiation (codec.h) */
FLAG_SETTER(set_single_codec, codec.single_codec)
#define CODEC_NAME_SETTER(function, list) \
	static void function(struct ng_request *request, const char *value) \
	{ codec_names_add(&request->flags.codec.list, value); }
CODEC_NAME_SETTER(add_codec_strip, strip)
CODEC_NAME_SETTER(add_codec_except, except)
CODEC_NAME_SETTER(add_codec_offer, offer)
CODEC_NAME_SETTER(add_codec_mask, mask)
CODEC_NAME_SETTER(add_codec_consume, consume)
CODEC_NAME_SETTER(add_codec_transcode, transcode)
CODEC_NAME_SETTER(add_codec_accept, accept)
CODEC_NAME_SETTER(add_codec_set, set)
FLAG_SETTER(set_always_transcode, codec.always_transcode)
/* DTMF flags (issue 15) */
FLAG_SETTER(set_inject_dtmf, codec.inject_dtmf)
FLAG_SETTER(set_detect_dtmf, detect_dtmf)

/* the codec name entries: dictionary key (codec-strip) or flag prefix (codec-strip-) */
static const struct {
	const char *name;
	void (*add)(struct ng_request *request, const char *value);
} codec_value_setters[] = {
	{ "codec-strip", add_codec_strip }, { "codec-strip-", add_codec_strip },
	{ "codec-except", add_codec_except }, { "codec-except-", add_codec_except },
	{ "codec-offer", add_codec_offer }, { "codec-offer-", add_codec_offer },
	{ "codec-mask", add_codec_mask }, { "codec-mask-", add_codec_mask },
	{ "codec-consume", add_codec_consume }, { "codec-consume-", add_codec_consume },
	{ "codec-transcode", add_codec_transcode }, { "codec-transcode-", add_codec_transcode },
	{ "transcode-", add_codec_transcode },
	{ "codec-accept", add_codec_accept }, { "codec-accept-", add_codec_accept },
	{ "codec-set", add_codec_set }, { "codec-set-", add_codec_set },
};

/* ---- the table ------------------------------------------------------------------------------ */

#define SUPPORTED(key, value, set, text)   { key, value, false, NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, set, text }
#define IGNORED(key, value, text)          { key, value, false, NG_KEY_IGNORED, NG_SCOPE_ALWAYS, NULL, text }
#define WARN(key, value, scope, feature)   { key, value, false, NG_KEY_WARN, scope, NULL, feature }
#define REFUSED(key, value, scope, feature) { key, value, false, NG_KEY_REFUSED, scope, NULL, feature }
#define PREFIX(key, value, state, scope, text) { key, value, true, state, scope, NULL, text }
/* codec negotiation: entries whose value (or, prefixed, the rest of the flag) is a codec name,
 * applied through codec_value_setters below */
#define SUPPORTED_NAME(key, set_value, text) { key, NULL, false, NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, NULL, text }
#define PREFIX_NAME(value, set_value, text) { "flags", value, true, NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, NULL, text }

#define READ_BY_PARSER "read by ng_flags_parse"
#define RECORDING "call recording (needs --recording-dir)"
/* Served when --recording-dir is configured, warned (NG_SCOPE_UNRECORDED) when it is not. */
#define RECORDING_ROW(key, value, set) { key, value, false, NG_KEY_WARN, NG_SCOPE_UNRECORDED, set, RECORDING }
#define TRANSCODING "transcoding"
#define DTLS_SRTP "DTLS-SRTP"
#define DTMF_KEYS "block DTMF's key; in an offer or answer applied as block DTMF applies it, to the from-tag's party (checked by media_control_offer_answer_read() before the SDP is applied; refused in subscribe request)"
#define SDES_OPTION "read by ng_flags_parse (read_sdes_option)"

static const struct ng_key key_table[] = {
	/* ---- dictionary keys this relay reads (ng_flags_parse) ---- */
	SUPPORTED("command", NULL, NULL, "selects the handler (ng_server.c)"),
	SUPPORTED("call-id", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("from-tag", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("to-tag", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("via-branch", NULL, NULL, READ_BY_PARSER ": an offer without to-tag gets a side per branch; answer and delete name it"),
	SUPPORTED("sdp", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("label", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("from-label", NULL, NULL, READ_BY_PARSER ": the same as label"),
	SUPPORTED("direction", NULL, NULL, READ_BY_PARSER ": the interfaces of both sides"),
	SUPPORTED("address-family", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("media-address", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("received-from", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("delete-delay", NULL, NULL, READ_BY_PARSER),
	SUPPORTED("limit", NULL, NULL, READ_BY_PARSER ": list"),
	IGNORED("all", NULL, "selects every participant or media flow in commands this relay refuses "
		"(block/unblock, play media, subscribe)"),
	SUPPORTED("transport-protocol", NULL, NULL, READ_BY_PARSER ": RTP/AVP(F) <-> RTP/SAVP(F) with SDES"),
	SUPPORTED("transport-protocol", "udp/tls/rtp/savp", NULL, READ_BY_PARSER ": DTLS-SRTP towards the receiver"),
	SUPPORTED("transport-protocol", "udp/tls/rtp/savpf", NULL, READ_BY_PARSER ": DTLS-SRTP towards the receiver"),
	SUPPORTED("transport-protocol", "accept", NULL, READ_BY_PARSER ": in an answer, the answerer's transport protocol "
		  "goes to the offerer (as 10.5; an offer ignores it)"),

	SUPPORTED("replace", "origin", set_replace_origin, "o= address becomes ours"),
	SUPPORTED("replace", "session-connection", set_replace_session_connection, "session c= becomes ours"),
	IGNORED("replace", "username", "cosmetic: the o= user name is passed on as received"),
	IGNORED("replace", "session-name", "cosmetic: the s= line is passed on as received"),
	SUPPORTED("replace", "sdp-version", set_replace_sdp_version, "o= version: the first one, +1 when the SDP changes"),
	WARN("replace", "force-increment-sdp-ver", NG_SCOPE_ALWAYS, "SDP version control (force-increment-sdp-ver)"),
	SUPPORTED("replace", "zero-address", set_replace_zero_address, "a hold's c=0.0.0.0 becomes our address"),

	SUPPORTED("rtcp-mux", "offer", set_rtcp_mux_offer, "RFC 5761: offer multiplexing"),
	SUPPORTED("rtcp-mux", "demux", set_rtcp_mux_demux, "RFC 5761: accept towards the offerer, do not offer on"),
	SUPPORTED("rtcp-mux", "accept", set_rtcp_mux_accept, "RFC 5761: accept when offered"),
	SUPPORTED("rtcp-mux", "reject", set_rtcp_mux_reject, "RFC 5761: reject when offered"),
	{ "rtcp-mux", "require", false, NG_KEY_WARN, NG_SCOPE_ALWAYS, set_rtcp_mux_offer,
	  "rtcp-mux=require (served as rtcp-mux=offer: a separate RTCP port is still offered)" },

	SUPPORTED("ice", "remove", set_ice_remove, "strip ICE"),
	SUPPORTED("ice", "force", set_ice_force, "our own ICE candidates"),
	SUPPORTED("ice", "default", set_ice_default, "our ICE when the offer had ICE"),
	/* as upstream: the peer's ICE passes (its relay candidates dropped), ours is added as a
	 * relay candidate, c= and m= stay the peer's; checks pass through us end to end */
	SUPPORTED("ice", "force-relay", set_ice_force_relay, "the relay as a relay candidate beside the peer's own"),
	/* as upstream 10.5: an SDP with ICE keeps it, our port is one more host candidate; one
	 * without gets our ICE in an offer, none in an answer */
	SUPPORTED("ice", "optional", set_ice_optional, "the relay as an extra host candidate beside the peer's ICE"),
	WARN("ice-lite", NULL, NG_SCOPE_ALWAYS, "ICE lite mode (ICE-lite)"),
	SUPPORTED("ice-lite", "off", set_ice_lite_off, "full ICE agent towards both sides"),
	SUPPORTED("ice-lite", "forward", set_ice_lite_forward, "ICE-lite towards the recipient of this SDP"),
	SUPPORTED("ice-lite", "backward", set_ice_lite_backward, "ICE-lite towards the sender of this SDP"),
	SUPPORTED("ice-lite", "both", set_ice_lite_both, "ICE-lite towards both sides"),

	/* ---- DTLS, SDES, OSRTP ---- */
	SUPPORTED("dtls", "off", set_dtls_off, "no DTLS in our offers; offered both, SDES is answered"),
	SUPPORTED("dtls", "no", set_dtls_off, "no DTLS in our offers; offered both, SDES is answered"),
	SUPPORTED("dtls", "disable", set_dtls_off, "no DTLS in our offers; offered both, SDES is answered"),
	SUPPORTED("dtls", "passive", set_dtls_passive, "in an answer: our role towards an actpass offerer (offers stay actpass, as upstream)"),
	SUPPORTED("dtls", "active", set_dtls_active, "in an answer: our role towards an actpass offerer (offers stay actpass, as upstream)"),
	IGNORED("dtls", NULL, "other values leave DTLS-SRTP as negotiated"),
	SUPPORTED("dtls-reverse", "passive", set_dtls_reverse_passive, "in an offer: our role towards the actpass offerer"),
	SUPPORTED("dtls-reverse", "active", set_dtls_reverse_active, "in an offer: our role towards the actpass offerer"),
	IGNORED("dtls-reverse", NULL, "other values leave the role as negotiated"),
	SUPPORTED("dtls-fingerprint", "sha-1", set_dtls_sha1, "hash of our a=fingerprint"),
	SUPPORTED("dtls-fingerprint", "sha-224", set_dtls_sha224, "hash of our a=fingerprint"),
	SUPPORTED("dtls-fingerprint", "sha-256", set_dtls_sha256, "hash of our a=fingerprint"),
	SUPPORTED("dtls-fingerprint", "sha-384", set_dtls_sha384, "hash of our a=fingerprint"),
	SUPPORTED("dtls-fingerprint", "sha-512", set_dtls_sha512, "hash of our a=fingerprint"),
	IGNORED("dtls-fingerprint", NULL, "an unknown hash: the peer's hash or --dtls-signature is used"),
	SUPPORTED("sdes", "off", NULL, SDES_OPTION ": our SRTP offers carry DTLS only"),
	SUPPORTED("sdes", "no", NULL, SDES_OPTION ": our SRTP offers carry DTLS only"),
	SUPPORTED("sdes", "disable", NULL, SDES_OPTION ": our SRTP offers carry DTLS only"),
	SUPPORTED("sdes", "pad", NULL, SDES_OPTION ": base64 padding kept in our keys"),
	SUPPORTED("sdes", "prefer", NULL, SDES_OPTION ": offered both, answer with SDES"),
	SUPPORTED("sdes", "lifetime", NULL, SDES_OPTION ": our keys carry the lifetime 2^31 (RFC 4568 section 6.1)"),
	PREFIX("sdes", "no-", NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, SDES_OPTION ": this suite is not offered"),
	PREFIX("sdes", "only-", NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, SDES_OPTION ": only these suites are offered"),
	/* SDES in re-offers (sdes2): re-offers always keep the agreed suite and key first */
	SUPPORTED("sdes", "static", NULL, "re-offers keep the agreed suite and key first (as always; 10.5 offers the other suites too)"),
	WARN("sdes", NULL, NG_SCOPE_SRTP, "SDES crypto suite and session parameter options (SDES=...)"),
	SUPPORTED("osrtp", "offer", set_osrtp_offer, "RFC 8643: SDES keys offered on RTP/AVP"),
	SUPPORTED("osrtp", "accept", set_osrtp_accept, "RFC 8643: in an answer, SDES keys offered on RTP/AVP are answered even when the answerer declined them (10.5)"),
	SUPPORTED("osrtp", "accept-rfc", set_osrtp_accept, "RFC 8643: in an answer, SDES keys offered on RTP/AVP are answered even when the answerer declined them (10.5)"),
	WARN("osrtp", NULL, NG_SCOPE_ALWAYS, "opportunistic SRTP (OSRTP) variants other than offer/accept"),

	/* ---- recording ---- */
	RECORDING_ROW("record-call", NULL, NULL),
	RECORDING_ROW("record-call", "yes", set_record_call_on),
	RECORDING_ROW("record-call", "on", set_record_call_on),
	SUPPORTED("record-call", "no", set_record_call_off, "stops recording the call (nothing without --recording-dir)"),
	SUPPORTED("record-call", "off", set_record_call_off, "stops recording the call (nothing without --recording-dir)"),
	RECORDING_ROW("metadata", NULL, set_has_metadata),
	RECORDING_ROW("output-destination", NULL, set_has_output_destination),

	/* ---- codecs and transcoding: the codec dictionary's keys as codec-KEY ---- */
	SUPPORTED_NAME("codec-strip", add_codec_strip, "removes the codec from the offer and its answer"),
	SUPPORTED_NAME("codec-except", add_codec_except, "keeps the codec despite strip/mask/consume"),
	SUPPORTED_NAME("codec-offer", add_codec_offer, "keeps a stripped codec in the offer, in this order"),
	SUPPORTED_NAME("codec-transcode", add_codec_transcode, "as offer for a codec the offer has; one it lacks is added and transcoded (media_transcode.h), refused if this build cannot encode and decode it"),
	SUPPORTED_NAME("codec-mask", add_codec_mask, "removes the codec (without transcoding the same as strip, as 10.5)"),
	SUPPORTED_NAME("codec-consume", add_codec_consume, "removes the codec (without transcoding the same as strip, as 10.5)"),
	SUPPORTED_NAME("codec-accept", add_codec_accept, "in an offer: the offerer's leg keeps this codec of its offer, transcoded to what the answerer picks (media_transcode.h); in an answer no effect, as 10.5"),
	SUPPORTED_NAME("codec-set", add_codec_set, "in an offer: the bit rate of a transcoded codec the spec (name/clock/channels/bit rate) matches, as 10.5; the SDP does not change"),
	IGNORED("codec-ignore", NULL, "codecs transcoding should leave alone: without transcoding all are left alone"),
	SUPPORTED("ptime", NULL, NULL, READ_BY_PARSER ": the a=ptime the receiver of this SDP gets (no repacketization, as 10.5 without transcoding)"),
	SUPPORTED("ptime-reverse", NULL, NULL, READ_BY_PARSER ": the a=ptime of the answer to this offer"),
	REFUSED("t.38", "decode", NG_SCOPE_OFFER | NG_SCOPE_T38_SDP, "the T.38 gateway"),
	REFUSED("t.38", "force", NG_SCOPE_OFFER | NG_SCOPE_AUDIO_SDP, "the T.38 gateway"),
	IGNORED("t.38", NULL, "stop and the gateway's options: without decode/force there is no gateway"),
	WARN("audio-player", NULL, NG_SCOPE_ALWAYS, "the audio player"),
	IGNORED("audio-player", "off", "no audio player is what this relay does"),
	IGNORED("audio-player", "default", "no audio player is this relay's default"),
	WARN("delay-buffer", NULL, NG_SCOPE_ALWAYS, "the delay buffer"),

	/* ---- media manipulation ---- */
	REFUSED("media-echo", NULL, NG_SCOPE_ALWAYS, "media echo modes other than blackhole, sinkhole, forward, fwd, backwards, bkw, both and off"),
	SUPPORTED("media-echo", "blackhole", set_media_echo_blackhole, "in offer/answer: neither side's media goes anywhere (relay.c)"),
	SUPPORTED("media-echo", "sinkhole", set_media_echo_blackhole, "as blackhole"),
	SUPPORTED("media-echo", "forward", set_media_echo_forward, "the recipient of this SDP gets its own media back, the sender's is dropped (relay.c)"),
	SUPPORTED("media-echo", "fwd", set_media_echo_forward, "as forward"),
	SUPPORTED("media-echo", "backwards", set_media_echo_backwards, "the sender of this SDP gets its own media back, the recipient's is dropped (relay.c)"),
	SUPPORTED("media-echo", "bkw", set_media_echo_backwards, "as backwards"),
	SUPPORTED("media-echo", "both", set_media_echo_both, "each side gets its own media back (relay.c)"),
	IGNORED("media-echo", "off", "leaves an echo an earlier request set, as 10.5 measured (it does not turn it off)"),
	SUPPORTED("drop-traffic", "start", set_drop_traffic_start, "in offer/answer: every side's media (RTP and RTCP) is dropped until drop-traffic=stop, across re-offers (media_control.c; as 10.5 measured)"),
	SUPPORTED("drop-traffic", "stop", set_drop_traffic_stop, "in offer/answer: media flows again after drop-traffic=start"),
	IGNORED("drop-traffic", NULL, "other values: nothing changes (10.5 logs them as unknown and goes on)"),
	IGNORED("flags", "drop-traffic-start", "10.5 reads only the key drop-traffic=start (measured: this flag changes nothing)"),
	IGNORED("flags", "drop-traffic-stop", "10.5 reads only the key drop-traffic=stop (measured: this flag changes nothing)"),
	WARN("flags", "no-jitter-buffer", NG_SCOPE_ALWAYS, "turning off the transcoding jitter buffer (--jitter-buffer) per call"),
	SUPPORTED("dtmf-security", NULL, NULL, DTMF_KEYS),
	IGNORED("dtmf-security", "off", "alone in an offer or answer: nothing changes (block DTMF reads it, media_control.c)"),
	SUPPORTED("dtmf-security-trigger", NULL, NULL, DTMF_KEYS),
	SUPPORTED("dtmf-security-trigger-end", NULL, NULL, DTMF_KEYS),
	SUPPORTED("dtmf-delay", NULL, NULL, DTMF_KEYS),
	SUPPORTED("trigger", NULL, NULL, DTMF_KEYS),
	SUPPORTED("trigger-end", NULL, NULL, DTMF_KEYS),
	SUPPORTED("end-trigger", NULL, NULL, DTMF_KEYS),
	SUPPORTED("trigger-end-time", NULL, NULL, DTMF_KEYS),
	SUPPORTED("trigger-end-digits", NULL, NULL, DTMF_KEYS),
	IGNORED("digit", NULL, "not read: DTMF triggers take trigger / trigger-end (block DTMF, media_control.c)"),
	SUPPORTED("code", NULL, NULL, "play DTMF: the event (read by its handler, media_control.c)"),
	IGNORED("frequency", NULL, "block DTMF tone mode: accepted, no effect (as 10.5 measured: events play as their own tones)"),
	IGNORED("frequencies", NULL, "block DTMF tone mode: accepted, no effect (as 10.5 measured)"),
	SUPPORTED("volume", NULL, NULL, "play DTMF: the event's volume (read by its handler)"),
	WARN("dtmf-log-dest", NULL, NG_SCOPE_ALWAYS, "DTMF logging (DTMF-log-dest)"),
	WARN("generate-rtcp", NULL, NG_SCOPE_ALWAYS, "generating RTCP (RTCP is passed through)"),
	IGNORED("generate-rtcp", "off", "RTCP is passed through, as asked"),
	WARN("endpoint-learning", NULL, NG_SCOPE_ALWAYS, "per-call endpoint learning (the daemon's --endpoint-learning applies)"),
	WARN("tos", NULL, NG_SCOPE_ALWAYS, "per-call TOS (the daemon's --tos applies)"),

	/* ---- keys of other commands, or with nothing to do here ---- */
	IGNORED("supports", NULL, "announces proxy features; a load limit is still answered with an error"),
	IGNORED("xmlrpc-callback", NULL, "for b2b-url timeout callbacks, which need --b2b-url (refused at start)"),
	IGNORED("set-label", NULL, "selects participants in commands this relay refuses"),
	IGNORED("to-label", NULL, "selects participants in commands this relay refuses"),
	SUPPORTED("from-tags", NULL, NULL, "subscribe request: the sides to subscribe to (read by its handler, pubsub.c)"),
	SUPPORTED("interface", NULL, NULL, "publish, subscribe request: the --interface of the side's media (read by its "
		  "handler, pubsub.c); offer and answer choose by direction, as 10.5"),
	SUPPORTED("address", NULL, NULL, "block/unblock DTMF and media, silence/unsilence media without from-tag: the party by its media address (read by their handler, media_control.c); other commands do not read it"),
	SUPPORTED("file", NULL, NULL, "play media: the audio file (read by its handler, media_player.c)"),
	SUPPORTED("blob", NULL, NULL, "play media: the bytes of a whole audio file (read by its handler, media_player.c)"),
	SUPPORTED("db-id", NULL, NULL, "play media: the file's bytes from --mysql-query (read by its handler, media_player_db.c)"),
	SUPPORTED("repeat-times", NULL, NULL, "play media: how often the file is played (read by its handler)"),
	SUPPORTED("start-pos", NULL, NULL, "play media: where the first iteration starts, in ticks of the file's time base "
		  "(read by its handler; 10.5 ignores it, measured)"),
	SUPPORTED("duration", NULL, NULL, "play DTMF: the event's length in ms; play media: the playback stops after it "
		  "(read by their handlers; 10.5's play media ignores it, measured)"),
	SUPPORTED("repeat-duration", NULL, NULL, "play media: ms after which no iteration starts (read by its handler; "
		  "10.5 ignores it, measured)"),
	SUPPORTED("pause", NULL, NULL, "play DTMF: ms between an event that waited for the one before it and that one (read by its handler)"),
	SUPPORTED("sdp-attr", NULL, NULL, READ_BY_PARSER ": add, remove, substitute a= lines of the SDP we send (sdp_attr_edit.h); 10.5 ignores it"),

	/* ---- entries of the flags list ---- */
	SUPPORTED("flags", "trust-address", set_trust_address, "media goes to the SDP address (the default)"),
	SUPPORTED("flags", "sip-source-address", set_sip_source_address, "media goes to the SIP source address"),
	SUPPORTED("flags", "symmetric", set_symmetric, "symmetric RTP (the default)"),
	SUPPORTED("flags", "asymmetric", set_asymmetric, "no endpoint learning"),
	SUPPORTED("flags", "strict-source", set_strict_source, "drop packets from other sources"),
	SUPPORTED("flags", "media-handover", set_media_handover, "a new source takes the stream over"),
	SUPPORTED("flags", "port-latching", set_port_latching, "our ports stay the same (always the case here)"),
	SUPPORTED("flags", "no-rtcp-attribute", set_no_rtcp_attribute, "no a=rtcp"),
	SUPPORTED("flags", "full-rtcp-attribute", set_full_rtcp_attribute, "a=rtcp with the address"),
	SUPPORTED("flags", "loop-protect", set_loop_protect, "a=rtpengine marker"),
	SUPPORTED("flags", "all", NULL, "subscribe request: every side of the call (read by its handler, pubsub.c)"),
	SUPPORTED("flags", "fatal", set_fatal, "delete of an unknown call is an error"),
	/* older spellings of replace=... and rtcp-mux=... that Kamailio configs still use */
	SUPPORTED("flags", "replace-origin", set_replace_origin, "replace=origin"),
	SUPPORTED("flags", "replace-session-connection", set_replace_session_connection, "replace=session-connection"),
	SUPPORTED("flags", "rtcp-mux-offer", set_rtcp_mux_offer, "rtcp-mux=offer"),
	SUPPORTED("flags", "rtcp-mux-demux", set_rtcp_mux_demux, "rtcp-mux=demux"),
	SUPPORTED("flags", "rtcp-mux-accept", set_rtcp_mux_accept, "rtcp-mux=accept"),
	SUPPORTED("flags", "rtcp-mux-reject", set_rtcp_mux_reject, "rtcp-mux=reject"),
	SUPPORTED("flags", "ice-remove", set_ice_remove, "ICE=remove"),
	SUPPORTED("flags", "ice-force", set_ice_force, "ICE=force"),
	IGNORED("flags", "unidirectional", "one-way media is relayed (and kernelized) here anyway"),
	IGNORED("flags", "no-port-latching", "our ports never change during a call, ICE or not"),
	IGNORED("flags", "reset", "this relay never stops offering ICE to an endpoint, so there is nothing to un-learn"),
	SUPPORTED("flags", "debug", set_debug, "per-call debug logging (as the CLI's debug CALLID on)"),
	SUPPORTED("flags", "debugging", set_debug, "per-call debug logging (as the CLI's debug CALLID on)"),
	SUPPORTED("flags", "trickle-ice", set_trickle_ice, "a=ice-options:trickle and a=end-of-candidates with our ICE (RFC 8840)"),
	SUPPORTED("flags", "exclude-recording", set_exclude_recording,
		  "the side that sends it is never recorded (nothing is recorded without --recording-dir)"),
	{ "flags", "discard-recording", false, NG_KEY_REFUSED, NG_SCOPE_RECORDED, NULL,
	  "discarding the recording (discard-recording)" },
	IGNORED("flags", "early-media", "for the audio player"),
	IGNORED("flags", "inactive", "subscribe request: the copy is offered sendonly where the source sends, as 10.5 does with this flag"),
	SUPPORTED("flags", "rtcp-mirror", NULL, "subscribe request: the subscriber's RTCP goes back to its source (read by "
		  "its handler, pubsub.c)"),
	SUPPORTED("flags", "mirror-rtcp", NULL, "as rtcp-mirror (10.5 reads both)"),
	SUPPORTED("flags", "allow-transcoding", NULL, "subscribe answer: a subscriber may answer a codec that the "
		  "subscription added with codec-transcode (read by its handler, pubsub.c)"),
	SUPPORTED("flags", "siprec", NULL, "subscribe request: a=label per m= line, media-labels and tag-medias (read by its handler, pubsub.c)"),
	RECORDING_ROW("flags", "record-call", set_record_call_on),
	SUPPORTED("flags", "always-transcode", set_always_transcode, "in an offer: the offerer's leg keeps the offer's first codec this build transcodes, whatever the answerer picks (media_transcode.h); in an answer no effect, as 10.5"),
	SUPPORTED("flags", "inject-dtmf", set_inject_dtmf, "in an offer or answer (then for the rest of the call): the stream towards the side whose message had it goes through the transcoding engine (as 10.5), so that play DTMF puts events or tones into it (media_transcode.h)"),
	SUPPORTED("flags", "detect-dtmf", set_detect_dtmf, "in-band DTMF detected on a copy of both sides' audio, reported as on transcoded calls (media_dtmf_detect.h)"),
	SUPPORTED("flags", "generate-mid", set_generate_mid, "a=mid on media that have none (RFC 5888)"),
	SUPPORTED("flags", "strip-extmap", set_strip_extmap, "no a=extmap lines (RFC 8285) in the SDP we send"),
	WARN("flags", "original-sendrecv", NG_SCOPE_ALWAYS, "keeping the direction attributes unchanged (original-sendrecv)"),
	SUPPORTED("flags", "single-codec", set_single_codec, "the answer keeps its first codec (and telephone-event, CN)"),
	IGNORED("flags", "reorder-codecs", "without transcoding 10.5 passes the answer's codec order on unchanged"),
	WARN("flags", "reuse-codecs", NG_SCOPE_ALWAYS, "keeping codec preferences across re-offers (reuse-codecs)"),
	WARN("flags", "no-codec-renegotiation", NG_SCOPE_ALWAYS,
	     "keeping codec preferences across re-offers (no-codec-renegotiation)"),
	WARN("flags", "pierce-nat", NG_SCOPE_ALWAYS, "NAT piercing (pierce-NAT)"),
	WARN("flags", "nat-wait", NG_SCOPE_ALWAYS, "waiting for the first packet before sending (NAT-wait)"),
	WARN("flags", "block-short", NG_SCOPE_ALWAYS, "blocking short packets (block-short)"),
	WARN("flags", "block-short-packets", NG_SCOPE_ALWAYS, "blocking short packets (block-short)"),
	WARN("flags", "generate-rtcp", NG_SCOPE_ALWAYS, "generating RTCP (RTCP is passed through)"),
	WARN("flags", "reject-ice", NG_SCOPE_ALWAYS, "rejecting the offered ICE (reject-ICE)"),
	SUPPORTED("flags", "pad-crypto", set_sdes_pad, "SDES-pad"),
	/* prefixed forms: codec-KEY-VALUE, SDES-OPTION, OSRTP-OPTION, endpoint-learning-VALUE, ... */
	PREFIX_NAME("codec-strip-", add_codec_strip, "as codec strip"),
	PREFIX_NAME("codec-except-", add_codec_except, "as codec except"),
	PREFIX_NAME("codec-offer-", add_codec_offer, "as codec offer"),
	PREFIX_NAME("codec-transcode-", add_codec_transcode, "as codec transcode"),
	PREFIX_NAME("transcode-", add_codec_transcode, "as codec transcode"),
	PREFIX_NAME("codec-mask-", add_codec_mask, "as codec mask"),
	PREFIX_NAME("codec-consume-", add_codec_consume, "as codec consume"),
	PREFIX_NAME("codec-accept-", add_codec_accept, "as codec accept"),
	PREFIX_NAME("codec-set-", add_codec_set, "as codec set"),
	SUPPORTED("flags", "sdes-off", NULL, SDES_OPTION ": our SRTP offers carry DTLS only"),
	SUPPORTED("flags", "sdes-no", NULL, SDES_OPTION ": our SRTP offers carry DTLS only"),
	SUPPORTED("flags", "sdes-disable", NULL, SDES_OPTION ": our SRTP offers carry DTLS only"),
	SUPPORTED("flags", "sdes-pad", NULL, SDES_OPTION ": base64 padding kept in our keys"),
	SUPPORTED("flags", "sdes-prefer", NULL, SDES_OPTION ": offered both, answer with SDES"),
	SUPPORTED("flags", "sdes-lifetime", NULL, SDES_OPTION ": our keys carry the lifetime 2^31 (RFC 4568 section 6.1)"),
	PREFIX("flags", "sdes-no-", NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, SDES_OPTION ": this suite is not offered"),
	PREFIX("flags", "sdes-only-", NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, SDES_OPTION ": only these suites are offered"),
	/* SDES in re-offers (sdes2) */
	SUPPORTED("flags", "sdes-static", NULL, "re-offers keep the agreed suite and key first (as always; 10.5 offers the other suites too)"),
	PREFIX("flags", "sdes-", NG_KEY_WARN, NG_SCOPE_SRTP, "SDES crypto suite and session parameter options (SDES-...)"),
	SUPPORTED("flags", "osrtp-offer", set_osrtp_offer, "OSRTP=offer"),
	SUPPORTED("flags", "osrtp-accept", set_osrtp_accept, "OSRTP=accept"),
	SUPPORTED("flags", "osrtp-accept-rfc", set_osrtp_accept, "OSRTP=accept"),
	PREFIX("flags", "osrtp-", NG_KEY_WARN, NG_SCOPE_ALWAYS, "opportunistic SRTP (OSRTP) variants other than offer/accept"),
	PREFIX("flags", "endpoint-learning-", NG_KEY_WARN, NG_SCOPE_ALWAYS,
	       "per-call endpoint learning (the daemon's --endpoint-learning applies)"),
	PREFIX("flags", "from-tags-", NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, "subscribe request: a side to subscribe to (read by its handler, pubsub.c)"),
	PREFIX("flags", "sdp-attr-", NG_KEY_SUPPORTED, NG_SCOPE_ALWAYS, READ_BY_PARSER ": as sdp-attr (sdp_attr_edit.h); 10.5 ignores it"),
};

/* ---- look-up ---------------------------------------------------------------------------------- */

/* What the table knows about one key, so that a value is only normalised and looked up for
 * keys that have value entries (not for call-id or sdp), and prefixes are scanned only for the
 * keys that have them (flags). */
struct key_summary {
	const char *key;                 /* NULL: a free slot */
	size_t length;
	uint32_t hash;
	const struct ng_key *any_value;  /* the key's entry for any value, or NULL */
	bool has_values, has_prefixes;
};

/* An exact key=value entry, found by the hash of "key\x1fvalue". */
struct value_slot {
	const struct ng_key *entry;      /* NULL: a free slot */
	uint32_t hash;
};

/* Open addressing with linear probing, at most half full (the table has about 200 rows).
 * Every request looks up each of its keys (4 or 5 for an offer): two GHashTables with
 * g_str_hash over a separately normalised copy cost about 9% of the user-space instructions
 * of an ng cycle (callgrind, ng cycle bench); normalising and hashing in one pass over the
 * received bytes, without copies, took ng_flags_parse from 9.2k to 7.0k instructions per
 * offer+answer+delete cycle (the whole cycle: 76.9k -> 74.7k). */
#define INDEX_SLOTS 1024
static struct key_summary summaries[INDEX_SLOTS];
static struct value_slot values[INDEX_SLOTS];
static bool index_built;

/* Longest normalised key and value compared with the table (longer ones are cut, as the
 * received text was cut before: no table name comes near these). */
#define KEY_LENGTH_MAX 63
#define VALUE_LENGTH_MAX 79

/* FNV-1a, 32 bits: short names, no need for more. */
#define HASH_START 2166136261u
static inline uint32_t hash_byte(uint32_t hash, unsigned char byte)
{
	return (hash ^ byte) * 16777619u;
}

static inline char normal_char(char c)
{
	if (c == ' ' || c == '_')
		return '-';
	if (c >= 'A' && c <= 'Z')
		return (char) (c - 'A' + 'a');
	return c;
}

/* Normalises input (up to its first NUL, at most maximum bytes) into output and hashes the
 * result, continuing from hash; returns the length. */
static size_t normalise_hashed(const char *input, size_t length, size_t maximum, char *output, uint32_t *hash)
{
	size_t i = 0;
	uint32_t h = *hash;
	for (; i < length && i < maximum && input[i]; i++) {
		char c = normal_char(input[i]);
		output[i] = c;
		h = hash_byte(h, (unsigned char) c);
	}
	*hash = h;
	return i;
}

static struct key_summary *summary_slot(const char *key, size_t length, uint32_t hash)
{
	for (uint32_t i = hash;; i++) {
		struct key_summary *slot = &summaries[i & (INDEX_SLOTS - 1)];
		if (!slot->key || (slot->hash == hash && slot->length == length && !memcmp(slot->key, key, length)))
			return slot;
	}
}

static struct value_slot *value_slot(const char *key, size_t key_length, const char *value, size_t value_length,
                                     uint32_t hash)
{
	for (uint32_t i = hash;; i++) {
		struct value_slot *slot = &values[i & (INDEX_SLOTS - 1)];
		const struct ng_key *entry = slot->entry;
		if (!entry || (slot->hash == hash && !strncmp(entry->key, key, key_length) && !entry->key[key_length]
			       && !strncmp(entry->value, value, value_length) && !entry->value[value_length]))
			return slot;
	}
}

static void build_index(void)
{
	G_STATIC_ASSERT(G_N_ELEMENTS(key_table) <= INDEX_SLOTS / 2);
	for (size_t i = 0; i < G_N_ELEMENTS(key_table); i++) {
		const struct ng_key *entry = &key_table[i];
		/* table names are normalised (unit test), so hashing them as they are is the same */
		uint32_t hash = HASH_START;
		size_t length = strlen(entry->key);
		for (size_t j = 0; j < length; j++)
			hash = hash_byte(hash, (unsigned char) entry->key[j]);
		struct key_summary *summary = summary_slot(entry->key, length, hash);
		if (!summary->key)
			*summary = (struct key_summary) { .key = entry->key, .length = length, .hash = hash };
		if (entry->prefix) {
			summary->has_prefixes = true;
		} else if (!entry->value) {
			if (!summary->any_value)
				summary->any_value = entry;
		} else {
			summary->has_values = true;
			hash = hash_byte(hash, '\x1f');
			size_t value_length = strlen(entry->value);
			g_assert(length <= KEY_LENGTH_MAX && value_length < VALUE_LENGTH_MAX);
			for (size_t j = 0; j < value_length; j++)
				hash = hash_byte(hash, (unsigned char) entry->value[j]);
			struct value_slot *slot = value_slot(entry->key, length, entry->value, value_length, hash);
			if (!slot->entry)
				*slot = (struct value_slot) { .entry = entry, .hash = hash };
		}
	}
	index_built = true;
}

/* The longest matching prefix entry of key: "sdes-" for "sdes-no-aes-cm-128-hmac-sha1-32". */
static const struct ng_key *find_prefix(const char *key, const char *value)
{
	const struct ng_key *best = NULL;
	size_t best_length = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(key_table); i++) {
		const struct ng_key *entry = &key_table[i];
		if (!entry->prefix)
			continue;
		size_t length = strlen(entry->value);
		if (length > best_length && !strcmp(entry->key, key) && !strncmp(entry->value, value, length)) {
			best = entry;
			best_length = length;
		}
	}
	return best;
}

/* ---- the checks of offer and answer ------------------------------------------------------ */

/* A request-lifetime copy of formatted text. */
static const char *buffer_printf(struct bencode_buffer *buffer, const char *format, ...) G_GNUC_PRINTF(2, 3);
static const char *buffer_printf(struct bencode_buffer *buffer, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	char *text = g_strdup_vprintf(format, arguments);
	va_end(arguments);
	const char *copy = bencode_buffer_strdup_length(buffer, text, strlen(text));
	g_free(text);
	return copy;
}

static bool is_srtp_protocol(const char *protocol)
{
	return protocol && strstr(protocol, "SAVP") != NULL;
}

static bool has_attribute(const GPtrArray *attributes, const char *name)
{
	for (unsigned int i = 0; attributes && i < attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(attributes, i);
		if (!g_ascii_strcasecmp(attribute->name, name))
			return true;
	}
	return false;
}

/* RFC 5764 DTLS-SRTP: a UDP/TLS transport, or an SRTP profile whose only keying is a
 * fingerprint (RFC 8122) without SDES a=crypto lines, which we would have to terminate. */
static const char *sdp_needs_dtls(const struct sdp_session *sdp)
{
	/* the daemon made its certificate at start: DTLS-SRTP is terminated here (media_dtls.h) */
	if (dtls_certificate_ready())
		return NULL;
	bool session_fingerprint = has_attribute(sdp->attributes, "fingerprint");
	for (unsigned int i = 0; i < sdp->media->len; i++) {
		const struct sdp_media *media = g_ptr_array_index(sdp->media, i);
		if (!media->port)
			continue;   /* a rejected stream needs nothing */
		if (!g_ascii_strncasecmp(media->protocol, "UDP/TLS/", 8))
			return media->protocol;
		if (is_srtp_protocol(media->protocol) && !has_attribute(media->attributes, "crypto")
		    && (session_fingerprint || has_attribute(media->attributes, "fingerprint")))
			return "a=fingerprint without a=crypto";
	}
	return NULL;
}

static bool uses_srtp(const struct ng_request *request, const struct sdp_session *sdp)
{
	if (is_srtp_protocol(request->flags.transport_protocol))
		return true;
	for (unsigned int i = 0; i < sdp->media->len; i++) {
		const struct sdp_media *media = g_ptr_array_index(sdp->media, i);
		if (is_srtp_protocol(media->protocol))
			return true;
	}
	return false;
}

/* The scopes the SDP puts a request in (NG_SCOPE_T38_SDP, NG_SCOPE_AUDIO_SDP): its streams
 * that are not rejected. */
static unsigned int sdp_scopes(const struct sdp_session *sdp)
{
	unsigned int scopes = 0;
	for (unsigned int i = 0; i < sdp->media->len; i++) {
		const struct sdp_media *media = g_ptr_array_index(sdp->media, i);
		if (!media->port)
			continue;
		if (!g_ascii_strcasecmp(media->media_type, "image") && !g_ascii_strcasecmp(media->protocol, "udptl"))
			scopes |= NG_SCOPE_T38_SDP;
		else if (!g_ascii_strcasecmp(media->media_type, "audio"))
			scopes |= NG_SCOPE_AUDIO_SDP;
	}
	return scopes;
}

/* call recording: whether --recording-dir is configured (ng_keys_set_recording) */
static bool recording_configured;

static bool in_scope(const struct ng_key *entry, bool srtp, bool offer, unsigned int sdp_scope)
{
	const unsigned int sdp_dependent = NG_SCOPE_T38_SDP | NG_SCOPE_AUDIO_SDP;
	return (!(entry->scope & NG_SCOPE_SRTP) || srtp) && (!(entry->scope & NG_SCOPE_OFFER) || offer)
		&& (!(entry->scope & NG_SCOPE_UNRECORDED) || !recording_configured)
		&& (!(entry->scope & NG_SCOPE_RECORDED) || recording_configured)
		&& (!(entry->scope & sdp_dependent) || (entry->scope & sdp_dependent & sdp_scope));
}

/* ---- public functions ------------------------------------------------------------------------ */

void ng_keys_set_recording(bool configured)
{
	recording_configured = configured;
}

const struct ng_key *ng_keys_table(size_t *count)
{
	*count = G_N_ELEMENTS(key_table);
	return key_table;
}

void ng_keys_normalise(const char *input, size_t length, char *output, size_t size)
{
	size_t out = 0;
	for (size_t i = 0; i < length && out + 1 < size; i++) {
		char c = input[i];
		if (c == ' ' || c == '_')
			c = '-';
		else if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		output[out++] = c;
	}
	if (size)
		output[out] = '\0';
}

const struct ng_key *ng_keys_find_text(const char *key, size_t key_length, const char *value, size_t value_length)
{
	if (!index_built)
		build_index();
	char normal_key[KEY_LENGTH_MAX + 1];
	uint32_t hash = HASH_START;
	key_length = normalise_hashed(key, key_length, KEY_LENGTH_MAX, normal_key, &hash);
	normal_key[key_length] = '\0';
	const struct key_summary *summary = summary_slot(normal_key, key_length, hash);
	if (!summary->key)
		return NULL;
	if (value && (summary->has_values || summary->has_prefixes)) {
		char normal_value[VALUE_LENGTH_MAX + 1];
		hash = hash_byte(hash, '\x1f');
		value_length = normalise_hashed(value, value_length, VALUE_LENGTH_MAX, normal_value, &hash);
		normal_value[value_length] = '\0';
		const struct value_slot *slot = summary->has_values
			? value_slot(normal_key, key_length, normal_value, value_length, hash) : NULL;
		const struct ng_key *entry = slot ? slot->entry : NULL;
		if (!entry && summary->has_prefixes)
			entry = find_prefix(normal_key, normal_value);
		if (entry)
			return entry;
	}
	return summary->any_value;
}

const struct ng_key *ng_keys_find(const char *key, const char *value)
{
	return ng_keys_find_text(key, strlen(key), value, value ? strlen(value) : 0);
}

bool ng_keys_apply_codec_value(struct ng_request *request, const struct ng_key *entry, const char *value)
{
	const char *name = entry->prefix ? entry->value : entry->key;
	if (entry->state != NG_KEY_SUPPORTED || entry->set || (name[0] != 'c' && name[0] != 't'))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(codec_value_setters); i++) {
		if (!strcmp(codec_value_setters[i].name, name)) {
			codec_value_setters[i].add(request, value);
			return true;
		}
	}
	return false;
}

void ng_keys_note(struct ng_request *request, const struct ng_key *entry, const char *spelling)
{
	struct ng_flags *flags = &request->flags;
	bool refused = entry->state == NG_KEY_REFUSED;
	struct ng_noted_key *list = refused ? flags->refused : flags->warned;
	unsigned int *count = refused ? &flags->refused_count : &flags->warned_count;
	for (unsigned int i = 0; i < *count; i++)
		if (list[i].entry == entry)
			return;
	/* more than NG_MAX_NOTED_KEYS different ones: the first ones are reason enough, but an
	 * unconditional refusal must not be crowded out by ones that may be out of scope */
	if (*count < NG_MAX_NOTED_KEYS)
		list[(*count)++] = (struct ng_noted_key) { entry, spelling };
	else if (refused && entry->scope == NG_SCOPE_ALWAYS)
		list[NG_MAX_NOTED_KEYS - 1] = (struct ng_noted_key) { entry, spelling };
}

int ng_keys_check(struct ng_request *request, const struct sdp_session *sdp, bool offer)
{
	const struct ng_flags *flags = &request->flags;
	const char *dtls_sdp = sdp_needs_dtls(sdp);
	const char *protocol = flags->transport_protocol;
	if (!dtls_sdp && !dtls_certificate_ready() && protocol && !g_ascii_strncasecmp(protocol, "UDP/TLS/", 8))
		dtls_sdp = protocol;   /* towards the receiver: the same certificate is needed */
	if (dtls_sdp) {
		request->error_reason = buffer_printf(request->buffer,
			DTLS_SRTP " is not supported by this relay (SDP: %s)", dtls_sdp);
		return -ENOTSUP;
	}
	bool srtp = uses_srtp(request, sdp);
	unsigned int sdp_scope = sdp_scopes(sdp);
	for (unsigned int i = 0; i < flags->refused_count; i++) {
		const struct ng_noted_key *noted = &flags->refused[i];
		if (!in_scope(noted->entry, srtp, offer, sdp_scope))
			continue;
		request->error_reason = buffer_printf(request->buffer,
			"%s is not supported by this relay (%s)", noted->entry->reason, noted->spelling);
		return -ENOTSUP;
	}
	GString *warning = NULL;
	for (unsigned int i = 0; i < flags->warned_count; i++) {
		const struct ng_noted_key *noted = &flags->warned[i];
		if (!in_scope(noted->entry, srtp, offer, sdp_scope))
			continue;
		if (!warning)
			warning = g_string_new(NULL);
		else
			g_string_append(warning, "; ");
		g_string_append_printf(warning, "%s is not supported by this relay (%s)", noted->entry->reason,
				       noted->spelling);
	}
	if (warning) {
		g_string_append(warning, ": the call is relayed without it");
		log_call(LOG_WARNING, flags->call_id, "%s", warning->str);
		request->warning = bencode_buffer_strdup_length(request->buffer, warning->str, warning->len);
		g_string_free(warning, TRUE);
	}
	return 0;
}
