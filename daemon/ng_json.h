/* ng requests as JSON objects instead of bencoded dictionaries, as upstream accepts them on
 * every ng transport: "COOKIE {"command":"ping"}" is answered "COOKIE {"result":"pong"}".
 * A request is JSON when the first byte after the cookie is '{' (a bencoded dictionary starts
 * with 'd'), so the bencode path costs one compare more.
 *
 * Decoding (json-c) builds the same item tree the bencode decoder does, in the same arena:
 * objects become dictionaries, arrays lists, strings strings, integers integers, true and
 * false 1 and 0; null and fractions have no bencode equivalent and are refused, as upstream
 * refuses them.
 * Encoding writes a reply tree as compact JSON (pre-encoded parts are decoded first).
 * Both are bounded: nesting depth BENCODE_MAX_DEPTH, the decoder's item limit. */
#ifndef RTPENGINE_NG_JSON_H
#define RTPENGINE_NG_JSON_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include "bencode.h"

static inline bool ng_json_request(const char *payload, size_t length)
{
	return length > 0 && payload[0] == '{';
}

/* The root dictionary, or NULL with *error set to upstream's reason ("Failed to parse JSON
 * document", "Could not decode bencode dictionary"). Strings are copied into buffer. */
struct bencode_item *ng_json_decode(struct bencode_buffer *buffer, const char *data, size_t length,
				    const char **error);
/* Appends item as JSON to out. */
void ng_json_encode(struct bencode_buffer *buffer, const struct bencode_item *item, GString *out);

#endif
