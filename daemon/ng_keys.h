/* Every ng request key, key value and `flags` entry that upstream rtpengine documents, in one
 * table with what this relay does with it, like the option table in config.c:
 *   SUPPORTED  implemented (a setter, or read directly by ng_flags_parse);
 *   IGNORED    accepted without effect: upstream ignores it too, or it changes nothing about a
 *              working call (the reason says why);
 *   WARN       the call is served correctly without the feature: result ok plus upstream's
 *              `warning` key naming it, and one WARN log line;
 *   REFUSED    the call would not work as asked without the feature: result error naming it.
 * Names are compared normalised: lower case, spaces and underscores as '-' (upstream accepts
 * "record call", "record-call" and "record_call" alike). Unknown names are accepted with a debug
 * line, as upstream does. Control thread only (the look-up index is built on first use). */
#ifndef RTPENGINE_NG_KEYS_H
#define RTPENGINE_NG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include "ng_request.h"

struct sdp_session;

enum ng_key_state {
	NG_KEY_SUPPORTED,
	NG_KEY_IGNORED,
	NG_KEY_WARN,
	NG_KEY_REFUSED,
};

/* When an entry matters: a WARN or REFUSED entry outside its scope is ignored like upstream. */
enum ng_key_scope {
	NG_SCOPE_ALWAYS     = 0,
	NG_SCOPE_SRTP       = 1 << 0,  /* only when the call uses SRTP (DTLS and SDES options) */
	NG_SCOPE_OFFER      = 1 << 1,  /* upstream reads it in offers only */
	/* call recording: only without / only with --recording-dir (ng_keys_set_recording) */
	NG_SCOPE_UNRECORDED = 1 << 2,
	NG_SCOPE_RECORDED   = 1 << 3,
	/* the T.38 gateway, as 10.5 measured: decode changes only an SDP with a T.38 stream
	 * (m=image ... udptl t38), force only one with an audio stream; otherwise nothing */
	NG_SCOPE_T38_SDP    = 1 << 4,
	NG_SCOPE_AUDIO_SDP  = 1 << 5,
};

struct ng_key {
	const char *key;        /* normalised dictionary key; "flags" for entries of the flags list;
	                         * "codec-strip" etc. for the keys of the `codec` dictionary */
	const char *value;      /* normalised value (string value, list entry or flag); NULL = any */
	bool prefix;            /* value is a prefix: "codec-strip-" matches "codec-strip-pcma" */
	enum ng_key_state state;
	unsigned int scope;     /* enum ng_key_scope */
	void (*set)(struct ng_flags *flags);  /* SUPPORTED (and WARN served in part); may be NULL */
	/* SUPPORTED: what it does. IGNORED: why that is harmless. WARN and REFUSED: the missing
	 * feature as a noun phrase, for "<feature> is not supported by this relay". */
	const char *reason;
};

/* The whole table, for the unit tests and documentation checks. */
const struct ng_key *ng_keys_table(size_t *count);
/* key and value as received (any spelling); value NULL or unmatched falls back to the key's
 * any-value entry. NULL when neither is known. */
const struct ng_key *ng_keys_find(const char *key, const char *value);
/* The same for text that is not NUL-terminated (as received): each of key and value is read
 * up to length bytes or its first NUL; value NULL for none. */
const struct ng_key *ng_keys_find_text(const char *key, size_t key_length, const char *value, size_t value_length);
/* Upstream's spelling rules: "Record Call" -> "record-call". Writes at most size bytes. */
void ng_keys_normalise(const char *input, size_t length, char *output, size_t size);

/* Codec negotiation entries take the value's text (a codec name): for a prefix entry the text
 * after the prefix ("PCMA" of "codec-strip-PCMA"). Applies it when entry is one of them (value:
 * as received, NUL-terminated, request lifetime); false otherwise. */
bool ng_keys_apply_codec_value(struct ng_request *request, const struct ng_key *entry, const char *value);

/* Remembers a WARN or REFUSED entry met while parsing (spelling: as received, in the
 * request's buffer). */
void ng_keys_note(struct ng_request *request, const struct ng_key *entry, const char *spelling);

/* The refusal checks of offer and answer, run once the SDP is parsed: a noted REFUSED entry
 * in scope, or an SDP that needs DTLS-SRTP (a UDP/TLS transport, or SRTP media with a
 * fingerprint and no a=crypto), gives -ENOTSUP with error_reason naming the feature. Otherwise
 * noted WARN entries in scope set request->warning and log one WARN line; returns 0. */
int ng_keys_check(struct ng_request *request, const struct sdp_session *sdp, bool offer);

/* Start-up: whether --recording-dir is configured, for the recording rows' scopes. */
void ng_keys_set_recording(bool configured);

#endif
