/* The HTTP listener's live view: a small self-contained page ("/": no external scripts,
 * styles or fonts) that polls a JSON list of the live calls every few seconds.
 *
 * JSON (GET /calls.json): {"calls": [{"call_id", "created" (unix s), "duration" (s),
 * "parties": [{"tag", "label", "media": [{"index", "type", "protocol", "codecs",
 * "local_port", "peer", "packets", "bytes", "errors", "mos", "mos_average"}]}]}], "count": N}.
 * "codecs" are the names the side's SDP gave its payload types, null before its SDP came;
 * "mos" is the latest MOS sample of the SSRC the party sends (from the reception reports the
 * party sends: what it hears, media_quality.h), "mos_average" the average so far, both as
 * 4.4, null without a sample that has a MOS (the page shows "n/a"). Threads: control thread
 * (reads the call registry). */
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
