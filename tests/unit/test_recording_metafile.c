/* Unit tests for rtpengine-recording's readers of the daemon's files (recording-daemon/
 * metafile.c, stream_reader.c): the metadata sections of docs/recording.md (whole, growing a
 * byte at a time, garbage), stream details and rtpmaps, the userspace stream file header and
 * frames of lib/recording_spool.h, and the IP/UDP headers in front of RTP (packet.c). */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "recording_daemon.h"
#include "recording_spool.h"

struct collected {
	GPtrArray *names, *contents;
};

static void collect(const char *name, const char *content, size_t content_length, void *data)
{
	struct collected *collected = data;
	g_assert_cmpuint(strlen(content), ==, content_length);
	g_ptr_array_add(collected->names, g_strdup(name));
	g_ptr_array_add(collected->contents, g_strdup(content));
}

static struct collected collected_new(void)
{
	return (struct collected) { g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free) };
}

static void collected_free(struct collected *collected)
{
	g_ptr_array_free(collected->names, TRUE);
	g_ptr_array_free(collected->contents, TRUE);
}

static const char metadata[] =
	"CALL-ID\n11:\nabc@example\n\n"
	"PARENT\n30:\nabc%40example-0011223344556677\n\n"
	"RECORDING 1\n0:\n\n\n"
	"MEDIA 1 PAYLOAD TYPE 0\n9:\nPCMU/8000\n\n"
	"STREAM 0 details\n45:\nTAG 0 MEDIA 1 TAG-MEDIA 1 COMPONENT 1 FLAGS 0\n\n"
	"SDP from 0 before offer\n23:\nv=0\r\no=- 1 1 IN IP4 x\r\n\n\n";

static void test_sections_parse(void)
{
	struct collected collected = collected_new();
	size_t consumed;
	const char *reason;
	int result = metafile_parse(metadata, strlen(metadata), &consumed, &reason, collect, &collected);
	g_assert_cmpint(result, ==, 0);
	g_assert_cmpuint(consumed, ==, strlen(metadata));
	g_assert_cmpuint(collected.names->len, ==, 6);
	g_assert_cmpstr(g_ptr_array_index(collected.names, 0), ==, "CALL-ID");
	g_assert_cmpstr(g_ptr_array_index(collected.contents, 0), ==, "abc@example");
	g_assert_cmpstr(g_ptr_array_index(collected.names, 2), ==, "RECORDING 1");
	g_assert_cmpstr(g_ptr_array_index(collected.contents, 2), ==, "");
	g_assert_cmpstr(g_ptr_array_index(collected.contents, 5), ==, "v=0\r\no=- 1 1 IN IP4 x\r\n");
	collected_free(&collected);
}

/* The file grows while it is read: every prefix parses its complete sections and says -EAGAIN
 * for the rest, never -EINVAL; going on from `consumed` sees each section exactly once. */
static void test_growing_file(void)
{
	size_t total = strlen(metadata);
	for (size_t length = 0; length <= total; length++) {
		struct collected collected = collected_new();
		size_t consumed;
		const char *reason;
		int result = metafile_parse(metadata, length, &consumed, &reason, collect, &collected);
		g_assert_true(result == 0 || result == -EAGAIN);
		g_assert_cmpuint(consumed, <=, length);
		struct collected rest = collected_new();
		size_t consumed_rest;
		result = metafile_parse(metadata + consumed, total - consumed, &consumed_rest, &reason, collect, &rest);
		g_assert_cmpint(result, ==, 0);
		g_assert_cmpuint(collected.names->len + rest.names->len, ==, 6);
		collected_free(&collected);
		collected_free(&rest);
	}
}

static void test_garbage_is_refused(void)
{
	static const char *const bad[] = {
		"CALL-ID\nabc:\nx\n\n",                 /* length not a number */
		"CALL-ID\n3:\nabcXY",                  /* separator missing */
		"\n3:\nabc\n\n",                        /* empty name */
		"CALL-ID\n3;\nabc\n\n",                 /* no colon where the length ends */
		"CALL-ID\n3:xabc\n\n",                  /* unterminated length */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct collected collected = collected_new();
		size_t consumed;
		const char *reason = NULL;
		int result = metafile_parse(bad[i], strlen(bad[i]), &consumed, &reason, collect, &collected);
		g_assert_cmpint(result, ==, -EINVAL);
		g_assert_nonnull(reason);
		g_assert_cmpuint(collected.names->len, ==, 0);
		collected_free(&collected);
	}
	/* a name line without end within any sane length is garbage, not a slow writer */
	char *long_line = g_strnfill(1000, 'A');
	struct collected collected = collected_new();
	size_t consumed;
	const char *reason = NULL;
	g_assert_cmpint(metafile_parse(long_line, 1000, &consumed, &reason, collect, &collected), ==, -EINVAL);
	collected_free(&collected);
	g_free(long_line);
	/* NUL bytes inside content */
	static const char nul[] = "CALL-ID\n3:\na\0b\n\n";
	collected = collected_new();
	g_assert_cmpint(metafile_parse(nul, sizeof(nul) - 1, &consumed, &reason, collect, &collected), ==, -EINVAL);
	collected_free(&collected);
}

static void test_stream_details_and_rtpmap(void)
{
	struct metafile_stream_details details;
	g_assert_cmpint(metafile_parse_stream_details("TAG 1 MEDIA 2 TAG-MEDIA 1 COMPONENT 2 FLAGS 65536", &details), ==, 0);
	g_assert_cmpuint(details.tag, ==, 1);
	g_assert_cmpuint(details.media, ==, 2);
	g_assert_cmpuint(details.component, ==, 2);
	g_assert_cmpuint(details.flags, ==, 65536);
	/* later upstream versions append fields */
	g_assert_cmpint(metafile_parse_stream_details("TAG 0 MEDIA 1 TAG-MEDIA 1 COMPONENT 1 FLAGS 0 MEDIA-SDP-ID 1",
						      &details), ==, 0);
	g_assert_cmpint(metafile_parse_stream_details("TAG x", &details), ==, -EINVAL);

	char name[32];
	int rate, channels;
	g_assert_cmpint(metafile_parse_rtpmap("opus/48000/2", name, sizeof(name), &rate, &channels), ==, 0);
	g_assert_cmpstr(name, ==, "opus");
	g_assert_cmpint(rate, ==, 48000);
	g_assert_cmpint(channels, ==, 2);
	g_assert_cmpint(metafile_parse_rtpmap("PCMA/8000", name, sizeof(name), &rate, &channels), ==, 0);
	g_assert_cmpint(channels, ==, 1);
	g_assert_cmpint(metafile_parse_rtpmap("PCMA", name, sizeof(name), &rate, &channels), ==, -EINVAL);
	g_assert_cmpint(metafile_parse_rtpmap("PCMA/0", name, sizeof(name), &rate, &channels), ==, -EINVAL);
	g_assert_cmpint(metafile_parse_rtpmap("/8000", name, sizeof(name), &rate, &channels), ==, -EINVAL);
	g_assert_cmpint(metafile_parse_rtpmap("AVERYLONGENCODINGNAMEBEYONDTHEBUFFER/8000", name, sizeof(name), &rate,
					      &channels), ==, -EINVAL);
}

/* ---- stream files -------------------------------------------------------------------------- */

static void put_le32(unsigned char *p, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char) (value >> (8 * i));
}

static void test_stream_file_header(void)
{
	unsigned char header[16] = { 0 };
	const char *reason = NULL;
	put_le32(header, RECORDING_STREAM_MAGIC);
	header[4] = RECORDING_STREAM_VERSION;
	header[6] = 16;
	put_le32(header + 8, 16);
	g_assert_cmpint(stream_check_file_header(header, sizeof(header), &reason), ==, 0);
	g_assert_cmpint(stream_check_file_header(header, 10, &reason), ==, -EAGAIN);
	g_assert_cmpmem(header, 4, "RTPS", 4);
	header[4] = 2;
	g_assert_cmpint(stream_check_file_header(header, sizeof(header), &reason), ==, -EPROTO);
	g_assert_nonnull(strstr(reason, "version"));
	header[4] = 1;
	header[0] = 'X';
	g_assert_cmpint(stream_check_file_header(header, sizeof(header), &reason), ==, -EPROTO);
	g_assert_nonnull(strstr(reason, "magic"));
}

static void test_stream_frames(void)
{
	unsigned char buffer[64] = { 0 };
	put_le32(buffer, 30);
	put_le32(buffer + 8, 0x89abcdefu);
	put_le32(buffer + 12, 0x01234567u);
	const unsigned char *packet;
	size_t packet_length, frame_length;
	uint64_t arrival;
	const char *reason = NULL;
	g_assert_cmpint(stream_parse_frame(buffer, 46, &packet, &packet_length, &arrival, &frame_length, &reason), ==, 0);
	g_assert_true(packet == buffer + 16);
	g_assert_cmpuint(packet_length, ==, 30);
	g_assert_cmpuint(frame_length, ==, 46);
	g_assert_cmphex(arrival, ==, 0x0123456789abcdefull);
	/* truncated: wait for the rest */
	g_assert_cmpint(stream_parse_frame(buffer, 45, &packet, &packet_length, &arrival, &frame_length, &reason), ==,
			-EAGAIN);
	g_assert_cmpint(stream_parse_frame(buffer, 15, &packet, &packet_length, &arrival, &frame_length, &reason), ==,
			-EAGAIN);
	put_le32(buffer, 0);
	g_assert_cmpint(stream_parse_frame(buffer, 64, &packet, &packet_length, &arrival, &frame_length, &reason), ==,
			-EPROTO);
	put_le32(buffer, RECORDING_FRAME_MAX + 1);
	g_assert_cmpint(stream_parse_frame(buffer, 64, &packet, &packet_length, &arrival, &frame_length, &reason), ==,
			-EPROTO);
}

static void test_ip_udp_headers(void)
{
	unsigned char v4[40] = { 0x45 };
	v4[9] = 17;
	size_t payload;
	g_assert_cmpint(packet_udp_payload(v4, sizeof(v4), &payload), ==, 28);
	g_assert_cmpuint(payload, ==, 12);
	v4[0] = 0x46;                           /* with 4 bytes of options */
	g_assert_cmpint(packet_udp_payload(v4, sizeof(v4), &payload), ==, 32);
	v4[9] = 6;                              /* TCP */
	g_assert_cmpint(packet_udp_payload(v4, sizeof(v4), &payload), ==, -EINVAL);
	unsigned char v6[60] = { 0x60 };
	v6[6] = 17;
	g_assert_cmpint(packet_udp_payload(v6, sizeof(v6), &payload), ==, 48);
	g_assert_cmpuint(payload, ==, 12);
	g_assert_cmpint(packet_udp_payload(v6, 47, &payload), ==, -EINVAL);
	unsigned char junk[3] = { 0x12, 0, 0 };
	g_assert_cmpint(packet_udp_payload(junk, sizeof(junk), &payload), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/recording/metafile/sections", test_sections_parse);
	g_test_add_func("/recording/metafile/growing", test_growing_file);
	g_test_add_func("/recording/metafile/garbage", test_garbage_is_refused);
	g_test_add_func("/recording/metafile/details-rtpmap", test_stream_details_and_rtpmap);
	g_test_add_func("/recording/stream/header", test_stream_file_header);
	g_test_add_func("/recording/stream/frames", test_stream_frames);
	g_test_add_func("/recording/packet/ip-udp", test_ip_udp_headers);
	return g_test_run();
}
