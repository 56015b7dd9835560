/* The live view's page and call list; see live_view.h. */
#include "live_view.h"

#include "call.h"
#include "interface.h"
#include "media_quality.h"
#include "statistics.h"

struct render_state {
	GString *out;
	unsigned int written, limit;
	int64_t now_us;
};

void live_view_append_json_string(GString *out, const char *text)
{
	g_string_append_c(out, '"');
	for (const unsigned char *c = (const unsigned char *) (text ? text : ""); *c; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_printf(out, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			g_string_append_printf(out, "\\u%04x", *c);
		else
			g_string_append_c(out, (char) *c);
	}
	g_string_append_c(out, '"');
}

/* The stream's index in call_foreach_stream() order, to find its counters in the copy. */
static unsigned int stream_index(struct call *call, const struct stream *wanted)
{
	unsigned int index = 0;
	struct stream *stream;
	call_foreach_stream(call, stream) {
		if (stream == wanted)
			return index;
		index++;
	}
	return index;
}

/* A MOS x 10 as JSON: 4.4, or null for none */
static void append_mos(GString *out, const char *key, unsigned int tenths)
{
	if (tenths)
		g_string_append_printf(out, ",\"%s\":%u.%u", key, tenths / 10, tenths % 10);
	else
		g_string_append_printf(out, ",\"%s\":null", key);
}

/* The MOS of the SSRC this side sends: its samples come from the reports the side itself
 * sends, so it is what this party hears (as 10.5 files it). "mos": the latest sample's,
 * "mos_average": over the call so far (the "average MOS" of query). */
static void render_mos(GString *out, const struct ssrc_quality *quality)
{
	if (!quality || !quality->ssrc) {
		append_mos(out, "mos", 0);
		append_mos(out, "mos_average", 0);
		return;
	}
	append_mos(out, "mos", media_quality_current_mos(quality));
	append_mos(out, "mos_average", quality->mos_samples
		   ? (unsigned int) (quality->sum_mos / quality->mos_samples) : 0);
}

static void render_media(GString *out, struct call *call, const struct media *media,
                         const struct call_statistics *statistics)
{
	const struct stream *rtp = &media->streams[STREAM_RTP];
	unsigned int index = stream_index(call, rtp);
	const struct stream_statistics *copy = index < statistics->stream_count ? &statistics->streams[index] : NULL;
	g_string_append_printf(out, "{\"index\":%u,\"type\":", media->index);
	live_view_append_json_string(out, media->type);
	g_string_append(out, ",\"protocol\":");
	live_view_append_json_string(out, media->protocol);
	g_string_append(out, ",\"codecs\":");
	if (media->codecs[0])
		live_view_append_json_string(out, media->codecs);
	else
		g_string_append(out, "null");
	g_string_append_printf(out, ",\"local_port\":%u,\"peer\":", rtp->local_port);
	char text[ENDPOINT_TEXT_SIZE] = "";
	const union endpoint *peer = copy && endpoint_is_set(&copy->learned) ? &copy->learned : &rtp->advertised;
	if (endpoint_is_set(peer))
		endpoint_text(peer, text, sizeof(text));
	live_view_append_json_string(out, text);
	uint64_t packets = 0, bytes = 0, errors = 0;
	for (unsigned int kind = 0; kind < 2 && copy && index + kind < statistics->stream_count; kind++) {
		packets += copy[kind].counters.packets;
		bytes += copy[kind].counters.bytes;
		errors += copy[kind].counters.errors;
	}
	g_string_append_printf(out, ",\"packets\":%" G_GUINT64_FORMAT ",\"bytes\":%" G_GUINT64_FORMAT
			       ",\"errors\":%" G_GUINT64_FORMAT, packets, bytes, errors);
	render_mos(out, copy ? &copy->quality : NULL);
	g_string_append_c(out, '}');
}

static void render_call(struct call *call, void *data)
{
	struct render_state *state = data;
	if (state->written >= state->limit)
		return;
	GString *out = state->out;
	struct call_statistics statistics;
	call_statistics_gather(call, &statistics);
	if (state->written++)
		g_string_append_c(out, ',');
	g_string_append(out, "{\"call_id\":");
	live_view_append_json_string(out, call->call_id);
	g_string_append_printf(out, ",\"created\":%" G_GINT64_FORMAT ",\"duration\":%" G_GINT64_FORMAT ",\"parties\":[",
			       call->created_us / 1000000, (state->now_us - call->created_us) / 1000000);
	for (unsigned int m = 0; m < call->monologue_count; m++) {
		const struct monologue *monologue = call->monologues[m];
		g_string_append(out, m ? ",{\"tag\":" : "{\"tag\":");
		live_view_append_json_string(out, monologue->tag);
		g_string_append(out, ",\"label\":");
		live_view_append_json_string(out, monologue->label);
		g_string_append(out, ",\"media\":[");
		for (unsigned int i = 0; i < monologue->media_count; i++) {
			if (i)
				g_string_append_c(out, ',');
			render_media(out, call, monologue->media[i], &statistics);
		}
		g_string_append(out, "]}");
	}
	g_string_append(out, "]}");
	call_statistics_free(&statistics);
}

void live_view_render_calls(GString *out, unsigned int limit)
{
	struct render_state state = { .out = out, .limit = limit, .now_us = now_realtime_us() };
	g_string_append(out, "{\"calls\":[");
	call_foreach(render_call, &state);
	g_string_append_printf(out, "],\"count\":%u}\n", call_count());
}

/* Plain DOM calls, no libraries; textContent only, so a call-id or tag cannot inject markup. */
static const char page[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rtpengine: live calls</title>\n"
	"<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
	"td,th{border:1px solid #999;padding:2px 6px;text-align:left}th{background:#eee}"
	"#status{color:#666}</style></head>\n"
	"<body><h1>Live calls</h1><p id=\"status\">loading</p>\n"
	"<table id=\"calls\"><thead><tr><th>call-id</th><th>duration (s)</th><th>party</th><th>media</th>"
	"<th>codecs</th><th>peer</th><th>packets</th><th>bytes</th><th>errors</th><th>MOS</th><th>average MOS</th>"
	"</tr></thead>"
	"<tbody></tbody></table>\n"
	"<script>\n"
	"function cell(row, text) { var td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }\n"
	"function show(data) {\n"
	"  var body = document.querySelector('#calls tbody');\n"
	"  while (body.firstChild) body.removeChild(body.firstChild);\n"
	"  data.calls.forEach(function (call) {\n"
	"    call.parties.forEach(function (party) {\n"
	"      party.media.forEach(function (media) {\n"
	"        var row = document.createElement('tr');\n"
	"        row.className = 'media';\n"
	"        row.setAttribute('data-call-id', call.call_id);\n"
	"        cell(row, call.call_id); cell(row, call.duration);\n"
	"        cell(row, party.tag + (party.label ? ' (' + party.label + ')' : ''));\n"
	"        cell(row, media.index + ' ' + media.type + ' ' + media.protocol);\n"
	"        cell(row, media.codecs === null ? 'n/a' : media.codecs);\n"
	"        cell(row, media.peer); cell(row, media.packets); cell(row, media.bytes); cell(row, media.errors);\n"
	"        cell(row, media.mos === null ? 'n/a' : media.mos.toFixed(1)).className = 'mos';\n"
	"        cell(row, media.mos_average === null ? 'n/a' : media.mos_average.toFixed(1));\n"
	"        body.appendChild(row);\n"
	"      });\n"
	"    });\n"
	"  });\n"
	"  document.getElementById('status').textContent = data.count + ' call(s), updated ' +\n"
	"    new Date().toLocaleTimeString();\n"
	"}\n"
	"function refresh() {\n"
	"  fetch('calls.json').then(function (r) { return r.json(); }).then(show).catch(function (e) {\n"
	"    document.getElementById('status').textContent = 'cannot reach the daemon: ' + e; });\n"
	"}\n"
	"refresh(); setInterval(refresh, 3000);\n"
	"</script></body></html>\n";

const char *live_view_page(size_t *length)
{
	*length = sizeof(page) - 1;
	return page;
}
