/* Recording metadata text; see recording_metadata.h and docs/recording.md. */
#include "recording_metadata.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

char *recording_prefix(const char *call_id, const char *random_hex)
{
	g_autofree char *escaped = g_uri_escape_string(call_id, NULL, FALSE);
	return g_strdup_printf("%s-%s", escaped, random_hex);
}

void recording_meta_chunk(GString *out, const char *label, const char *content, size_t length)
{
	g_string_append_printf(out, "%s\n%zu:\n", label, content ? length : 0);
	if (content && length)
		g_string_append_len(out, content, (gssize) length);
	g_string_append(out, "\n\n");
}

void recording_meta_chunk_printf(GString *out, const char *content, const char *label_format, ...)
{
	va_list arguments;
	va_start(arguments, label_format);
	g_autofree char *label = g_strdup_vprintf(label_format, arguments);
	va_end(arguments);
	recording_meta_chunk(out, label, content, content ? strlen(content) : 0);
}

void recording_pcap_meta_start(GString *out, const char *pcap_path)
{
	g_string_append_printf(out, "%s\n\n", pcap_path);
}

void recording_pcap_meta_sdp(GString *out, const char *label, int64_t side_created_us, const char *mode,
			     uint64_t packet_number, const char *sdp, size_t sdp_length)
{
	if (label && *label)
		g_string_append_printf(out, "\nLabel: %s", label);
	g_string_append_printf(out, "\nTimestamp started ms: %.3f", (double) side_created_us / 1000.0);
	g_string_append_printf(out, "\nSDP mode: %s", mode);
	g_string_append_printf(out, "\nSDP before RTP packet: %" G_GUINT64_FORMAT "\n\n", packet_number);
	g_string_append_len(out, sdp, (gssize) sdp_length);
}

static void append_local_time(GString *out, const char *title, int64_t us)
{
	time_t seconds = (time_t) (us / 1000000);
	struct tm local;
	char text[32];
	if (!localtime_r(&seconds, &local) || !strftime(text, sizeof(text), "%FT%T", &local))
		return;
	g_string_append_printf(out, "%s: %s\n", title, text);
}

void recording_pcap_meta_end(GString *out, int64_t terminated_us, int64_t call_start_us, int64_t call_end_us,
			     const char *metadata)
{
	g_string_append_printf(out, "\nTimestamp terminated ms(first monologue): %.3f", (double) terminated_us / 1000.0);
	g_string_append(out, "\n\n");
	append_local_time(out, "call start time", call_start_us);
	append_local_time(out, "call end time", call_end_us);
	if (metadata && *metadata)
		g_string_append_printf(out, "\n\n%s\n", metadata);
}
