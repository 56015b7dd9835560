/* sdp-attr: the ng request's text edits of the a= lines in the SDP we send (upstream's "SDP
 * attributes manipulations", docs/ng_control_protocol.md of rtpengine 11 and later; Debian's
 * 10.5.3.5 does not know them: it logs "Unknown dictionary key" / "Unknown flag" and leaves
 * the SDP as it is).
 *
 * Two request forms, both collected into one struct sdp_attr_edits:
 *   "sdp-attr": { SCOPE: { "add": [V...], "remove": [V...], "substitute": [[FROM, TO]...] } }
 *   flags "sdp-attr-add-SCOPE-V", "sdp-attr-remove-SCOPE-V", "sdp-attr-substitute-SCOPE-FROM>TO"
 *     (in a flag "--" stands for '=' and ".." for ' ', as Kamailio splits flags at spaces)
 * SCOPE: "global" or "none" (the session-level a= lines), "audio", "video" (every m=audio or
 * m=video section); V: an attribute without its "a=" ("ptime:20", "sendrecv").
 *
 * The edits are applied to the finished text of our SDP, after everything the relay writes
 * itself (a=rtcp, ICE, crypto, direction...): pure text, the relay does not read them back.
 * Per section, in this order:
 *   remove      drops each a= line V matches: the whole attribute ("rtpmap:8 PCMA/8000"), its
 *               name ("rtcp": every a=rtcp), its first word ("ssrc:1234": that SSRC's lines),
 *               or a prefix ending in ':' ("ssrc:": every a=ssrc); case-insensitive;
 *   substitute  replaces an a= line equal to FROM (whole attribute, case-insensitive) by TO;
 *               nothing happens when no line equals FROM;
 *   add         appends "a=V" at the end of the section unless the section has that line.
 * Malformed requests (a scope or verb not listed, a value that is not a string or contains a
 * line break, substitute without two values) are refused with a reason: one silently skipped
 * edit would leave an SDP the operator did not ask for.
 *
 * Control thread only. The edits live in the request's bencode buffer. */
#ifndef RTPENGINE_SDP_ATTR_EDIT_H
#define RTPENGINE_SDP_ATTR_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct bencode_buffer;
struct bencode_item;
struct sdp_attr_edits;

/* A request may carry at most this many edits (each costs a pass over the SDP's lines). */
#define SDP_ATTR_EDITS_MAX 128
/* Longest attribute value accepted (an SDP line, RFC 8866 sets no limit; ours is generous). */
#define SDP_ATTR_VALUE_MAX 1024

/* The "sdp-attr" dictionary's value. *edits is allocated in buffer on first use. Returns 0,
 * or -EINVAL with *reason (static or in buffer) set. */
int sdp_attr_edit_read_dictionary(struct bencode_buffer *buffer, struct sdp_attr_edits **edits,
				  const struct bencode_item *value, const char **reason);

/* Whether a flags-list entry is an sdp-attr flag ("sdp-attr-" in any case, '_' or ' ' for '-'). */
bool sdp_attr_edit_is_flag(const char *flag, size_t length);
/* One sdp-attr flag, as received. Returns 0, or -EINVAL with *reason set. */
int sdp_attr_edit_read_flag(struct bencode_buffer *buffer, struct sdp_attr_edits **edits,
			    const char *flag, size_t length, const char **reason);

/* Rewrites sdp (our finished SDP text) in place. edits NULL: nothing to do. */
void sdp_attr_edit_apply(const struct sdp_attr_edits *edits, GString *sdp);

#endif
