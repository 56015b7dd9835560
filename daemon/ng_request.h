/* One ng request while it is handled: the decoded dictionary, the parsed keys and flags,
 * and the reply being built. */
#ifndef RTPENGINE_NG_REQUEST_H
#define RTPENGINE_NG_REQUEST_H

#include <stdbool.h>
#include "bencode.h"
#include "codec.h"
#include "endpoint.h"

struct daemon_context;
struct ng_key;
struct sdp_attr_edits;

/* A WARN or REFUSED entry of the key table met in a request (see ng_keys.h). */
struct ng_noted_key {
	const struct ng_key *entry;
	const char *spelling;              /* as received: "DTLS=passive", "record-call", ... */
};
#define NG_MAX_NOTED_KEYS 8

enum ng_ice_option { NG_ICE_DEFAULT = 0, NG_ICE_REMOVE, NG_ICE_FORCE, NG_ICE_FORCE_RELAY, NG_ICE_OPTIONAL };
/* ICE-lite=: towards whom we act as an ICE-lite agent (RFC 8445 section 2.5) */
enum ng_ice_lite { NG_ICE_LITE_OFF = 0, NG_ICE_LITE_FORWARD, NG_ICE_LITE_BACKWARD, NG_ICE_LITE_BOTH };
/* media-echo: whose media comes back to it (forward: the recipient of the SDP, backwards: its
 * sender); UNSET (also "off", as 10.5) leaves what an earlier request set */
enum ng_media_echo { NG_MEDIA_ECHO_UNSET = 0, NG_MEDIA_ECHO_BLACKHOLE, NG_MEDIA_ECHO_FORWARD,
		    NG_MEDIA_ECHO_BACKWARDS, NG_MEDIA_ECHO_BOTH };
enum ng_rtcp_mux_policy { NG_RTCP_MUX_DEFAULT = 0, NG_RTCP_MUX_ACCEPT, NG_RTCP_MUX_REJECT };

struct ng_flags {
	const char *call_id, *from_tag, *to_tag, *via_branch, *label;
	const char *sdp;
	size_t sdp_length;
	bool trust_address, sip_source_address;
	bool symmetric, asymmetric, strict_source, media_handover, port_latching;
	bool no_rtcp_attribute, full_rtcp_attribute, loop_protect;
	bool strip_extmap;                 /* flag strip-extmap: no a=extmap (RFC 8285) in our SDP */
	bool trickle_ice;                  /* flag trickle-ICE: a=ice-options:trickle with our ICE */
	bool fatal;
	bool debug;                        /* flag debug/debugging: per-call debug logging from now on */
	bool detect_dtmf;                  /* detect-DTMF: in-band DTMF detection (media_dtmf_detect.h) */
	bool replace_origin, replace_session_connection;
	bool replace_sdp_version;       /* replace=SDP-version: o= version ours (ng_offer_answer_sdp.c) */
	bool replace_zero_address;       /* replace=zero-address: our address instead of a hold's 0.0.0.0 */
	enum ng_ice_option ice;
	/* ICE */
	enum ng_ice_lite ice_lite;
	enum ng_media_echo media_echo;     /* media-echo (call.h SIDE_ECHO*) */
	int drop_traffic;                  /* drop-traffic: 1 start, -1 stop, 0 not asked (call.h SIDE_DROP_TRAFFIC) */
	bool generate_mid;
	bool rtcp_mux_offer, rtcp_mux_demux;
	enum ng_rtcp_mux_policy rtcp_mux_policy;
	const char *transport_protocol;
	bool transport_protocol_accept;      /* "accept": the answer's m= keeps the answerer's protocol */
	/* DTLS=..., DTLS-reverse=..., DTLS-fingerprint=... (media_dtls.h) */
	bool dtls_off;
	int dtls_setup, dtls_reverse_setup;  /* enum dtls_setup: ACTIVE, PASSIVE or UNSPECIFIED */
	bool has_dtls_hash;
	int dtls_hash;                     /* enum dtls_hash */
	/* SDES=off, SDES-no-SUITE, SDES-only-SUITE, SDES-pad (media_crypto.h) */
	bool sdes_off, sdes_pad, sdes_prefer, sdes_lifetime;
	uint32_t sdes_no_suites, sdes_only_suites;   /* 1 << enum srtp_suite */
	/* OSRTP (RFC 8643): offer SDES keys on RTP/AVP; accept keys offered on RTP/AVP */
	bool osrtp_offer, osrtp_accept;
	const char *direction[2];          /* interface names for the offerer's and the answerer's side */
	union endpoint received_from;      /* "received-from": [ "IP4", "1.2.3.4" ] */
	union endpoint media_address;      /* "media-address" */
	int address_family;                /* "address family": AF_INET / AF_INET6, 0 = same as the offer */
	bool has_delete_delay;
	long long delete_delay;
	long long limit;                   /* list */
	/* call recording (recording.h) */
	int record_call;                   /* 1: record call yes/on or flag record-call; -1: no/off; 0: not asked */
	bool has_metadata;                 /* a metadata key was seen (read after the walk) */
	bool exclude_recording;            /* flag exclude-recording: the sending side is not recorded */
	bool has_output_destination;       /* an output-destination key was seen */
	const char *output_destination;
	const char *metadata;
	struct codec_options codec;        /* codec dictionary, codec-* flags, ptime (codec.h) */
	struct sdp_attr_edits *sdp_attr;   /* sdp-attr dictionary and sdp-attr-* flags (sdp_attr_edit.h); NULL: none */
	const char *sdp_attr_error;        /* why one of them was refused */
	/* what the request asked for that this relay lacks; judged by ng_keys_check() */
	struct ng_noted_key refused[NG_MAX_NOTED_KEYS], warned[NG_MAX_NOTED_KEYS];
	unsigned int refused_count, warned_count;
};

struct ng_request {
	struct daemon_context *daemon;
	struct bencode_buffer *buffer;
	struct bencode_item *input;        /* the request dictionary */
	struct bencode_item *reply;        /* the reply dictionary being built */
	union endpoint source;             /* who sent the request */
	const char *command;
	struct ng_flags flags;
	const char *error_reason;          /* set by a failing handler */
	const char *warning;               /* upstream-style "warning" next to result ok */
};

/* Reads every key and flag upstream documents into request->flags, classifying each through
 * the key table (ng_keys.h): supported ones are applied, the ones this relay lacks are noted
 * for ng_keys_check(). Unknown keys and flags are ignored (as upstream) with a debug log line.
 * Returns 0, or -EINVAL with error_reason set for values that cannot be understood (bad
 * address family, malformed received-from, a malformed sdp-attr). */
int ng_flags_parse(struct ng_request *request);

#endif
