/* SDP (RFC 8866, formerly RFC 4566): parser and the rewriter that produces the SDP the relay
 * sends on, laid out the way rtpengine 10.5 lays it out (see docs/sdp.md for the rules). */
#ifndef RTPENGINE_SDP_H
#define RTPENGINE_SDP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "endpoint.h"
#include <string.h>

/* strcmp() == 0 for attribute names, with the first byte compared inline: the parser and
 * the writer test each a= line against a dozen names, and most differ at the first byte
 * (callgrind, ng cycle bench: 65.1k -> 63.2k instructions per cycle). */
static inline bool sdp_name_is(const char *name, const char *candidate)
{
	return name[0] == candidate[0] && strcmp(name, candidate) == 0;
}

enum sdp_direction {
	SDP_DIRECTION_UNSPECIFIED = 0,
	SDP_DIRECTION_SENDRECV,
	SDP_DIRECTION_SENDONLY,
	SDP_DIRECTION_RECVONLY,
	SDP_DIRECTION_INACTIVE,
};

struct sdp_address {                 /* an "IN IP4 1.2.3.4" / "IN IP6 ::1" pair */
	int family;                      /* AF_INET / AF_INET6; 0 = absent */
	char text[64];                   /* the address as written */
	/* Parsed by sdp_parse() (port 0), so that its users need not parse the text again:
	 * as endpoint_parse(family, text, 0) gives it. Not read by sdp_rewrite(). */
	union endpoint endpoint;
};

struct sdp_attribute {
	char *name;
	char *value;                     /* NULL for flag attributes like a=rtcp-mux */
};

/* One line of the received SDP, kept so that every line the rewrite does not touch is
 * re-emitted byte for byte (with its own line terminator). */
struct sdp_line {
	char type;                       /* 'v', 'o', 'a', 'm', ... */
	const char *text;                /* the whole line without terminator, NUL-terminated */
	const char *terminator;          /* "\r\n", "\n" or "" (last line without one) */
	struct sdp_attribute *attribute; /* for a= lines, else NULL */
};

struct sdp_media {
	char *media_type;                /* "audio", "video", "application", ... */
	unsigned int port, port_count;   /* port 0 = rejected / disabled stream; port_count 1 if absent */
	char *protocol;                  /* "RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF", ... */
	char *formats;                   /* "0 8 101" as written */
	struct sdp_address connection;   /* media-level c=, family 0 if absent */
	bool has_rtcp_attribute;         /* a=rtcp:PORT [IN IP4 addr] (RFC 3605) */
	unsigned int rtcp_port;
	struct sdp_address rtcp_address; /* family 0 if the a=rtcp line had no address */
	bool rtcp_mux;                   /* a=rtcp-mux (RFC 5761) */
	bool has_ice;                    /* any ICE attribute: candidate, ice-ufrag, ice-pwd, ... */
	enum sdp_direction direction;    /* media-level direction attribute (last one wins) */
	GPtrArray *attributes;           /* struct sdp_attribute *, in order */
	/* Lines of this media section in session->lines: [first_line, end_line), first is m=. */
	unsigned int first_line, end_line;
	uint64_t serial;                 /* unique per parsed m= section: codec_list_from_media()'s memo */
};

struct sdp_session {
	char *origin_username, *origin_session_id, *origin_session_version;
	struct sdp_address origin_address;
	struct sdp_address connection;   /* session-level c=, family 0 if absent */
	enum sdp_direction direction;    /* session-level direction attribute, if any */
	GPtrArray *attributes;           /* session-level attributes */
	GPtrArray *media;                /* struct sdp_media *, in m= order */
	GArray *lines;                   /* struct sdp_line, every line as received */
	char *text_storage;              /* owns every string above */
	size_t text_used, text_capacity;
	struct sdp_attribute *attribute_storage;   /* owns the attributes: one slot per line */
	unsigned int attribute_capacity;
};

/* Returns NULL and *error = human-readable reason ("no m= line", "malformed m= line 7",
 * "media without connection address (line 12)", ...), valid until the next sdp_parse call in
 * the same thread. Never reads past text+length. An empty line ends the SDP (as upstream). */
struct sdp_session *sdp_parse(const char *text, size_t length, const char **error);
void sdp_session_free(struct sdp_session *session);

/* The rewrite: what the relay puts in the SDP it sends on. One entry per m= line, in order. */
struct sdp_media_rewrite {
	struct sdp_address address;      /* our advertised address for this media (c= line) */
	unsigned int rtp_port;           /* our port; 0 = keep the stream rejected (port 0) */
	unsigned int rtcp_port;          /* our RTCP port (rtp_port + 1, or rtp_port with rtcp-mux) */
	bool rtcp_mux;                   /* emit a=rtcp-mux */
	const char *protocol;            /* NULL = keep; else replaces the m= transport (transport-protocol) */
	enum sdp_direction direction;    /* UNSPECIFIED = keep the effective received direction */
	bool remove_ice;                 /* strip ICE attributes of this media */
	/* a=mid value (RFC 5888) to emit; NULL = the received one, if any. Upstream answers carry
	 * the mid of the offer even when the answerer left it out. */
	const char *mid;
	/* a=ptime value to emit; NULL = the received one, if any. Upstream's answer carries the
	 * offer's ptime when the answerer gave none. */
	const char *ptime;
	/* The m= line's formats after codec negotiation ("8 101"); NULL = as received. The codec
	 * block follows it: attributes of payload types not listed are dropped. "" (no format
	 * left): the received codec lines are kept where they were, as 10.5 writes them. */
	const char *formats;
	/* Our own ICE (upstream's default when the received media had ICE, and with ICE=force):
	 * when ice_ufrag is set, emit ufrag, pwd and host candidates for our address with this
	 * foundation (component 2 only when rtcp_port != rtp_port). When NULL and !remove_ice,
	 * the received ICE attributes pass through unchanged. */
	const char *ice_ufrag, *ice_pwd, *ice_foundation;
	bool end_of_candidates;          /* a=end-of-candidates after ours (RFC 8840): a trickle peer
					  * learns that we have no more */
	bool ice_options_trickle;        /* flag trickle-ICE: a=ice-options:trickle after our pwd */
	bool ice_alongside;              /* ICE=optional: the received ICE lines stay where they are and
					  * our port follows as host candidates (type preference 125) */
	/* ICE on both address families: our host candidates on the other family's address too
	 * (family_rtp_port 0: none), local preference one lower (ICE_FAMILY_LOCAL_PREFERENCE) */
	struct sdp_address family_address;
	unsigned int family_rtp_port, family_rtcp_port;
	const char *family_foundation;
	/* Attribute lines (without "a=") the caller generated, e.g. "crypto:1 AES_CM_128_HMAC_SHA1_80
	 * inline:...", "setup:actpass", "fingerprint:sha-256 ...": emitted after a=rtcp-mux, where
	 * upstream puts its SRTP/DTLS attributes. Received crypto/setup/fingerprint/tls-id lines are
	 * always dropped. */
	const char *const *extra_attributes;
	unsigned int extra_attribute_count;
	/* transcoding (media_transcode.h): rtpmap values ("96 opus/48000/2") for payload types in
	 * formats that the received SDP does not map; NULL-terminated, NULL = none */
	const char *const *added_rtpmaps;
	/* ICE=force-relay (upstream's): c= and the m= port are the received ones (address and
	 * rtp_port say so), no a=rtcp; the received ICE passes without its relay candidates (or
	 * ice_ufrag/ice_pwd are ours, without host candidates), and we are a relay candidate on
	 * relay_address, relay_rtp_port (component 2 on relay_rtcp_port when it differs) */
	struct sdp_address relay_address;
	unsigned int relay_rtp_port, relay_rtcp_port;
	/* ICE=force-relay: the received crypto/setup/fingerprint/tls-id lines stay where they are
	 * (the endpoints' own SRTP keying passes through the relay candidate, as 10.5) */
	bool keep_keying;
	/* media the relay does not carry (TCP/MSRP, ...): the m= section as received, with a c=
	 * of the received address (this one) where the session c= is rewritten, as 10.5 does */
	bool passthrough;
};

struct sdp_rewrite_options {
	bool replace_origin;             /* replace=origin: o= address -> our address */
	bool replace_session_connection; /* replace=session-connection (session c= is rewritten anyway) */
	bool no_rtcp_attribute;          /* flag no-rtcp-attribute: emit no a=rtcp */
	bool full_rtcp_attribute;        /* flag full-rtcp-attribute: a=rtcp:PORT IN IP4 ADDR */
	bool loop_protect;               /* flag loop-protect: add a=rtpengine:TOKEN marker */
	bool strip_extmap;               /* flag strip-extmap: drop the received a=extmap lines */
	bool ice_lite;                   /* session-level a=ice-lite (we are a lite agent to the recipient) */
	const char *bundle_group;        /* a=group:BUNDLE value to emit ("0"), NULL = none (ICE) */
	const char *loop_protect_token;
	const char *sdp_version;         /* replace=SDP-version: the o= version to write, NULL = as received */
	unsigned int media_count;
	const struct sdp_media_rewrite *media;
};

/* Appends the rewritten SDP to out. Returns 0 or -EINVAL (media_count mismatch, NULL args). */
int sdp_rewrite(const struct sdp_session *session, const struct sdp_rewrite_options *options, GString *out);
/* Loop detection: true when the SDP carries an a=rtpengine marker with this token (any token
 * when token is NULL), at session or media level. */
bool sdp_has_loop_marker(const struct sdp_session *session, const char *token);

/* The direction upstream emits for a media when not told otherwise: a session-level
 * sendonly/recvonly wins, else the media-level attribute, else the session-level one, else
 * sendrecv (as observed from rtpengine 10.5). */
enum sdp_direction sdp_media_effective_direction(const struct sdp_session *session,
		const struct sdp_media *media);
/* "sendrecv", "sendonly", "recvonly", "inactive"; NULL for UNSPECIFIED. */
/* The m= line's formats by their a=rtpmap names ("PCMU/8000 telephone-event/8000"; a
 * format without rtpmap by its number), as many whole names as fit in size. */
void sdp_media_codecs_text(const struct sdp_media *media, char *out, size_t size);
const char *sdp_direction_name(enum sdp_direction direction);
/* RFC 3551 section 6: "PCMU/8000" for static payload type 0, as upstream names them; NULL if
 * not a static type it knows. */
const char *sdp_static_rtpmap(unsigned int payload_type);
/* Parses "sendrecv" etc. (exact, length-bounded); UNSPECIFIED if not a direction. */
enum sdp_direction sdp_direction_from_name(const char *name, size_t length);
/* True for ICE attribute names (RFC 8839 section 5): candidate, ice-ufrag, ice-pwd, ... */
bool sdp_attribute_is_ice(const char *name);

#endif
