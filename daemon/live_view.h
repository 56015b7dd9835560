/* The HTTP listener's live view: a small self-contained page ("/": no external scripts,
 * styles or fonts) that polls a JSON list of the live calls every few seconds.
 *
 * JSON (GET /calls.json): {"calls": [{"call_id", "created" (unix s), "duration" (s),
 * "parties": [{"tag", "label", "media": [{"index", "type", "protocol", "codecs",
 * "local_port", "peer", "packets", "bytes", "errors", "mos"}]}]}], "count": N}.
 * "codecs" are the names the side's SDP gave its payload types, null before its SDP came;
 * "mos" is null until the snapshot has RTCP statistics (the page shows "n/a"). Threads: control thread (reads the call registry). */
#ifndef RTPENGINE_LIVE_VIEW_H
#define RTPENGINE_LIVE_VIEW_H

#include <glib.h>
#include <stddef.h>

/* Appends the JSON of every live call (at most limit calls). */
void live_view_render_calls(GString *out, unsigned int limit);
/* The page, a static string. */
const char *live_view_page(size_t *length);
/* JSON string literal of text (quotes included). */
void live_view_append_json_string(GString *out, const char *text);

#endif
