/* The HTTP listener's pure parts: WebSocket handshake key and framing (RFC 6455 examples),
 * the Prometheus and Graphite renderings of a statistics snapshot, and the SDP codec names
 * the live view shows. */
#include <glib.h>
#include <errno.h>
#include <string.h>
#include "metrics.h"
#include "sdp.h"
#include "statistics.h"
#include "websocket.h"

/* RFC 6455 section 1.3's example key and accept value. */
static void test_accept_key(void)
{
	char accept[WEBSOCKET_ACCEPT_SIZE];
	g_assert_cmpint(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept), ==, 0);
	g_assert_cmpstr(accept, ==, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	g_assert_cmpint(websocket_accept_key("short", accept), ==, -EINVAL);
	g_assert_cmpint(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ", accept), ==, -EINVAL);
	g_assert_cmpint(websocket_accept_key("dGhlIHNhbXBsZ\r\nub25jZQ==", accept), ==, -EINVAL);
	g_assert_cmpint(websocket_accept_key(NULL, accept), ==, -EINVAL);
}

/* RFC 6455 section 5.7: a masked "Hello" from a client, in two fragments, and a ping. */
static void test_parse_frames(void)
{
	uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct websocket_frame frame;
	for (size_t cut = 0; cut < sizeof(hello); cut++)
		g_assert_cmpint(websocket_parse_frame(hello, cut, &frame), ==, 0);
	g_assert_cmpint(websocket_parse_frame(hello, sizeof(hello), &frame), ==, (long) sizeof(hello));
	g_assert_true(frame.fin);
	g_assert_cmpuint(frame.opcode, ==, WEBSOCKET_TEXT);
	g_assert_cmpmem(frame.payload, frame.length, "Hello", 5);

	uint8_t unmasked[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	g_assert_cmpint(websocket_parse_frame(unmasked, sizeof(unmasked), &frame), ==, -EPROTO);
	uint8_t reserved[] = { 0xc1, 0x80, 0, 0, 0, 0 };
	g_assert_cmpint(websocket_parse_frame(reserved, sizeof(reserved), &frame), ==, -EPROTO);
	uint8_t bad_opcode[] = { 0x83, 0x80, 0, 0, 0, 0 };
	g_assert_cmpint(websocket_parse_frame(bad_opcode, sizeof(bad_opcode), &frame), ==, -EPROTO);
	uint8_t fragmented_ping[] = { 0x09, 0x80, 0, 0, 0, 0 };
	g_assert_cmpint(websocket_parse_frame(fragmented_ping, sizeof(fragmented_ping), &frame), ==, -EPROTO);
	uint8_t long_ping[] = { 0x89, 0xfe, 0x00, 0x7e };
	g_assert_cmpint(websocket_parse_frame(long_ping, sizeof(long_ping), &frame), ==, -EPROTO);
	/* a 64-bit length beyond the limit is refused from the header alone */
	uint8_t huge[] = { 0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0 };
	g_assert_cmpint(websocket_parse_frame(huge, sizeof(huge), &frame), ==, -EMSGSIZE);
	/* 16-bit length: 300 bytes */
	uint8_t *medium = g_malloc0(4 + 4 + 300);
	medium[0] = 0x82;
	medium[1] = 0xfe;
	medium[2] = 0x01;
	medium[3] = 0x2c;
	g_assert_cmpint(websocket_parse_frame(medium, 4 + 4 + 299, &frame), ==, 0);
	g_assert_cmpint(websocket_parse_frame(medium, 4 + 4 + 300, &frame), ==, 308);
	g_assert_cmpuint(frame.length, ==, 300);
	g_free(medium);
}

static void test_frame_headers(void)
{
	uint8_t header[WEBSOCKET_HEADER_MAX];
	g_assert_cmpuint(websocket_frame_header(header, WEBSOCKET_TEXT, 5), ==, 2);
	g_assert_cmpmem(header, 2, "\x81\x05", 2);
	g_assert_cmpuint(websocket_frame_header(header, WEBSOCKET_BINARY, 256), ==, 4);
	g_assert_cmpmem(header, 4, "\x82\x7e\x01\x00", 4);
	g_assert_cmpuint(websocket_frame_header(header, WEBSOCKET_BINARY, 65536), ==, 10);
	g_assert_cmpmem(header, 10, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
}

static struct statistics_snapshot *sample_snapshot(void)
{
	struct statistics_snapshot *snapshot = g_new0(struct statistics_snapshot, 1);
	snapshot->values.sessions_own = 3;
	snapshot->values.sessions_total = 3;
	snapshot->values.packets = 12345;
	snapshot->values.total_call_seconds = 1.5;
	snapshot->command_count = 1;
	snapshot->commands[0].name = "offer";
	snapshot->commands[0].values.requests = 4;
	snapshot->commands[0].values.seconds = 0.002;
	snapshot->commands[0].latency[0] = 1;
	snapshot->commands[0].latency[3] = 3;
	snapshot->interface_count = 1;
	g_strlcpy(snapshot->interfaces[0].name, "pub\"lic", sizeof(snapshot->interfaces[0].name));
	g_strlcpy(snapshot->interfaces[0].address, "192.0.2.1", sizeof(snapshot->interfaces[0].address));
	snapshot->interfaces[0].ports.used = 8;
	snapshot->interfaces[0].ports.total = 100;
	return snapshot;
}

static void test_prometheus(void)
{
	struct statistics_snapshot *snapshot = sample_snapshot();
	GString *out = g_string_new(NULL);
	metrics_render_prometheus(snapshot, out);
	const char *text = out->str;
	/* upstream's names: labelled families, each with one HELP and TYPE and its samples together */
	g_assert_nonnull(strstr(text, "# TYPE rtpengine_sessions gauge\nrtpengine_sessions{type=\"own\"} 3\n"
				      "rtpengine_sessions{type=\"foreign\"} 0\n"));
	g_assert_nonnull(strstr(text, "# TYPE rtpengine_packets_total counter\n"
				      "rtpengine_packets_total{type=\"userspace\"} 0\nrtpengine_packets_total{type=\"kernel\"} 0\n"));
	g_assert_nonnull(strstr(text, "\nrtpengine_closed_sessions_total{reason=\"force_terminated\"} 0\n"));
	g_assert_nonnull(strstr(text, "\nrtpengine_call_duration_total 1.5\n"));
	g_assert_nonnull(strstr(text, "\nrtpengine_requests_total{request=\"offer\"} 4\n"));
	g_assert_nonnull(strstr(text, "\nrtpengine_request_seconds_total{request=\"offer\"} 0.002\n"));
	/* sums of labelled families are left out: no sample for the 12345 packets */
	g_assert_null(strstr(text, "12345"));
	g_assert_null(strstr(text, "sessions_total 3"));
	/* ours where upstream has nothing; a gauge never ends in _total */
	g_assert_nonnull(strstr(text, "# TYPE rtpengine_dropped_srtp_total counter\nrtpengine_dropped_srtp_total 0\n"));
	g_assert_nonnull(strstr(text, "# TYPE rtpengine_ports gauge\n"));
	/* the histogram: cumulative buckets, +Inf equals count */
	g_assert_nonnull(strstr(text, "rtpengine_request_duration_seconds_bucket{request=\"offer\",le=\"5e-05\"} 1\n"));
	g_assert_nonnull(strstr(text, "rtpengine_request_duration_seconds_bucket{request=\"offer\",le=\"0.0005\"} 4\n"));
	g_assert_nonnull(strstr(text, "rtpengine_request_duration_seconds_bucket{request=\"offer\",le=\"+Inf\"} 4\n"));
	g_assert_nonnull(strstr(text, "rtpengine_request_duration_seconds_count{request=\"offer\"} 4\n"));
	/* label values escaped */
	g_assert_nonnull(strstr(text, "\nrtpengine_ports_used{name=\"pub\\\"lic\",address=\"192.0.2.1\"} 8\n"));
	g_assert_nonnull(strstr(text, "\nrtpengine_ports{name=\"pub\\\"lic\",address=\"192.0.2.1\"} 100\n"));
	/* every family's TYPE line comes once */
	gchar **lines = g_strsplit(text, "\n", -1);
	GHashTable *types = g_hash_table_new(g_str_hash, g_str_equal);
	for (gchar **line = lines; *line; line++)
		if (g_str_has_prefix(*line, "# TYPE "))
			g_assert_true(g_hash_table_add(types, *line));
	g_hash_table_destroy(types);
	g_strfreev(lines);
	/* every row with our name is there, with its help text */
	unsigned int count;
	const struct statistics_field *fields = statistics_value_fields(&count);
	for (unsigned int i = 0; i < count; i++)
		if (g_str_has_prefix(fields[i].name, "dropped_") || g_str_has_suffix(fields[i].name, "_rate"))
			g_assert_nonnull(strstr(text, fields[i].help));
	g_string_free(out, TRUE);
	g_free(snapshot);
}

static void test_graphite(void)
{
	struct statistics_snapshot *snapshot = sample_snapshot();
	GString *out = g_string_new(NULL);
	metrics_render_graphite(snapshot, "relay.", 1700000000, out);
	/* upstream's names where it has the number */
	g_assert_true(g_str_has_prefix(out->str, "relay.current_sessions_own 3 1700000000\n"));
	g_assert_nonnull(strstr(out->str, "\nrelay.relayed_packets 12345 1700000000\n"));
	g_assert_nonnull(strstr(out->str, "\nrelay.call_dur 1.5 1700000000\n"));
	g_assert_nonnull(strstr(out->str, "\nrelay.offer_count 4 1700000000\n"));
	g_assert_nonnull(strstr(out->str, "\nrelay.ports_used_pub\"lic_192.0.2.1 8 1700000000\n"));
	/* ours */
	g_assert_nonnull(strstr(out->str, "\nrelay.offer_seconds 0.002 1700000000\n"));
	g_assert_nonnull(strstr(out->str, "\nrelay.dropped_srtp 0 1700000000\n"));
	/* three fields per line, always */
	gchar **lines = g_strsplit(out->str, "\n", -1);
	for (gchar **line = lines; *line && **line; line++) {
		gchar **parts = g_strsplit(*line, " ", -1);
		g_assert_cmpuint(g_strv_length(parts), ==, 3);
		g_strfreev(parts);
	}
	g_strfreev(lines);
	g_string_free(out, TRUE);
	g_free(snapshot);
}

static void test_codec_names(void)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 5000 RTP/AVP 0 8 101 13\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n";
	const char *error = NULL;
	struct sdp_session *session = sdp_parse(text, sizeof(text) - 1, &error);
	g_assert_nonnull(session);
	const struct sdp_media *media = g_ptr_array_index(session->media, 0);
	char names[64];
	sdp_media_codecs_text(media, names, sizeof(names));
	g_assert_cmpstr(names, ==, "PCMU/8000 PCMA/8000 telephone-event/8000 13");
	/* only whole names when space runs out */
	char small[24];
	sdp_media_codecs_text(media, small, sizeof(small));
	g_assert_cmpstr(small, ==, "PCMU/8000 PCMA/8000");
	sdp_session_free(session);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http/websocket/accept-key", test_accept_key);
	g_test_add_func("/http/websocket/parse", test_parse_frames);
	g_test_add_func("/http/websocket/headers", test_frame_headers);
	g_test_add_func("/http/metrics/prometheus", test_prometheus);
	g_test_add_func("/http/metrics/graphite", test_graphite);
	g_test_add_func("/http/live-view/codec-names", test_codec_names);
	return g_test_run();
}
