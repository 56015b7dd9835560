/* Call recording's formats and writer (daemon/recording_pcap.c, recording_metadata.c,
 * recording_writer.c): the PCAP headers and synthetic IP/UDP headers against bytes Debian's
 * rtpengine 10.5 wrote for the same packet, the metadata text against 10.5's layout, and the
 * writer thread end to end into files in a temporary directory (pcap and stream framing,
 * drops, a device that is full). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"
#include "recording_metadata.h"
#include "recording_pcap.h"
#include "recording_spool.h"
#include "recording_writer.h"

static union endpoint make_endpoint(const char *address, unsigned int port)
{
	union endpoint endpoint;
	memset(&endpoint, 0, sizeof(endpoint));
	g_assert_cmpint(endpoint_parse(&endpoint, 0, address, port), ==, 0);
	return endpoint;
}

/* ---- PCAP and packet headers ---- */

static void test_pcap_file_header(void)
{
	/* the first 24 bytes of a 10.5 --recording-format=raw capture (little-endian host) */
	static const unsigned char expected[] = {
		0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0x00, 0x00, 0x65, 0x00, 0x00, 0x00,
	};
	unsigned char header[PCAP_FILE_HEADER_SIZE];
	g_assert_cmpuint(pcap_file_header(header, PCAP_LINKTYPE_RAW), ==, sizeof(expected));
	g_assert_cmpmem(header, sizeof(header), expected, sizeof(expected));
	pcap_file_header(header, PCAP_LINKTYPE_ETHERNET);
	g_assert_cmpuint(header[20], ==, 1);
}

static void test_pcap_record_header(void)
{
	unsigned char header[PCAP_RECORD_HEADER_SIZE];
	g_assert_cmpuint(pcap_record_header(header, 1796296843084285123ull, 200), ==, 16);
	uint32_t fields[4];
	memcpy(fields, header, sizeof(fields));
	g_assert_cmpuint(fields[0], ==, 1796296843u);
	g_assert_cmpuint(fields[1], ==, 84285u);     /* microseconds, truncated */
	g_assert_cmpuint(fields[2], ==, 200);
	g_assert_cmpuint(fields[3], ==, 200);
}

static void test_ipv4_header_as_10_5(void)
{
	/* 10.5's record of a 172-byte RTP packet from 127.0.0.1:34940 received on port 31020 */
	static const unsigned char expected[] = {
		0x45, 0x00, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
		0x88, 0x7c, 0x79, 0x2c, 0x00, 0xb4, 0x00, 0x00,
	};
	union endpoint source = make_endpoint("127.0.0.1", 34940), destination = make_endpoint("127.0.0.1", 31020);
	unsigned char header[RECORDING_PACKET_HEADER_MAX];
	g_assert_cmpuint(recording_packet_header(header, &source, &destination, 172), ==, sizeof(expected));
	g_assert_cmpmem(header, sizeof(expected), expected, sizeof(expected));
}

static void test_ipv6_header(void)
{
	union endpoint source = make_endpoint("2001:db8::1", 5004), destination = make_endpoint("::1", 30000);
	unsigned char header[RECORDING_PACKET_HEADER_MAX];
	g_assert_cmpuint(recording_packet_header(header, &source, &destination, 100), ==, 48);
	g_assert_cmpuint(header[0], ==, 0x60);
	g_assert_cmpuint(header[4] << 8 | header[5], ==, 108);   /* payload length: UDP header + data */
	g_assert_cmpuint(header[6], ==, 17);
	g_assert_cmpuint(header[7], ==, 64);
	g_assert_cmpmem(header + 8, 16, &source.v6.sin6_addr, 16);
	g_assert_cmpmem(header + 24, 16, &destination.v6.sin6_addr, 16);
	g_assert_cmpuint(header[40] << 8 | header[41], ==, 5004);
	g_assert_cmpuint(header[42] << 8 | header[43], ==, 30000);
	g_assert_cmpuint(header[44] << 8 | header[45], ==, 108);
}

static void test_header_refusals(void)
{
	union endpoint v4 = make_endpoint("192.0.2.1", 1), v6 = make_endpoint("2001:db8::1", 2), none;
	memset(&none, 0, sizeof(none));
	unsigned char header[RECORDING_PACKET_HEADER_MAX];
	g_assert_cmpuint(recording_packet_header(header, &v4, &v6, 10), ==, 0);
	g_assert_cmpuint(recording_packet_header(header, &none, &none, 10), ==, 0);
	g_assert_cmpuint(recording_packet_header(header, &v4, &v4, 65535 - 28), ==, 28);
	g_assert_cmpuint(recording_packet_header(header, &v4, &v4, 65535 - 27), ==, 0);
	g_assert_cmpuint(recording_packet_header(header, &v6, &v6, 65535 - 7), ==, 0);
}

static void test_ethernet_header(void)
{
	unsigned char header[RECORDING_ETHERNET_HEADER_SIZE];
	memset(header, 0xee, sizeof(header));
	g_assert_cmpuint(recording_ethernet_header(header, AF_INET6), ==, 14);
	static const unsigned char expected[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd };
	g_assert_cmpmem(header, sizeof(header), expected, sizeof(expected));
	recording_ethernet_header(header, AF_INET);
	g_assert_cmpuint(header[12], ==, 0x08);
	g_assert_cmpuint(header[13], ==, 0x00);
}

/* ---- metadata text ---- */

static void test_prefix_escapes_as_glib(void)
{
	g_autofree char *prefix = recording_prefix("a b/c@d;e~f-g.h_i", "0123456789abcdef");
	g_assert_cmpstr(prefix, ==, "a%20b%2Fc%40d%3Be~f-g.h_i-0123456789abcdef");
}

static void test_spool_chunks(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	recording_meta_chunk(out, "CALL-ID", "abc@host", 8);
	recording_meta_chunk_printf(out, NULL, "RECORDING %u", 1u);
	recording_meta_chunk_printf(out, "tag-0-media-1-component-1-RTP-id-0", "STREAM %u interface", 0u);
	g_assert_cmpstr(out->str, ==, "CALL-ID\n8:\nabc@host\n\n"
			"RECORDING 1\n0:\n\n\n"
			"STREAM 0 interface\n34:\ntag-0-media-1-component-1-RTP-id-0\n\n");
}

static void test_pcap_metadata_layout(void)
{
	/* the layout of a 10.5 pcap metadata file (times in UTC for the test) */
	g_setenv("TZ", "UTC", TRUE);
	tzset();
	g_autoptr(GString) out = g_string_new(NULL);
	recording_pcap_meta_start(out, "/spool/pcaps/x-0123456789abcdef.pcap");
	recording_pcap_meta_sdp(out, NULL, 1796296843082638, "offer", 1, "v=0\r\n", 5);
	recording_pcap_meta_sdp(out, "lbl", 1796296843082641, "answer", 11, "v=0\r\n", 5);
	recording_pcap_meta_end(out, 1796296843698459, 1796296843000000, 1796296844000000, "k1:v1|k2:v2");
	g_assert_cmpstr(out->str, ==,
			"/spool/pcaps/x-0123456789abcdef.pcap\n\n"
			"\nTimestamp started ms: 1796296843082.638\nSDP mode: offer\nSDP before RTP packet: 1\n\nv=0\r\n"
			"\nLabel: lbl\nTimestamp started ms: 1796296843082.641\nSDP mode: answer\n"
			"SDP before RTP packet: 11\n\nv=0\r\n"
			"\nTimestamp terminated ms(first monologue): 1796296843698.459"
			"\n\ncall start time: 2026-12-03T11:20:43\ncall end time: 2026-12-03T11:20:44\n"
			"\n\nk1:v1|k2:v2\n");
	g_autoptr(GString) no_metadata = g_string_new(NULL);
	recording_pcap_meta_end(no_metadata, 0, 0, 0, NULL);
	g_assert_false(g_str_has_suffix(no_metadata->str, "\n\n\n"));
}

/* ---- the writer ---- */

static char *read_file(const char *path, gsize *length)
{
	char *content = NULL;
	g_assert_true(g_file_get_contents(path, &content, length, NULL));
	return content;
}

static bool wait_for_file(const char *path)
{
	for (int i = 0; i < 500; i++) {
		if (g_file_test(path, G_FILE_TEST_EXISTS))
			return true;
		g_usleep(10000);
	}
	return false;
}

static void test_writer_pcap_and_stream_files(void)
{
	g_autofree char *dir = g_dir_make_tmp("recording-test-XXXXXX", NULL);
	g_assert_nonnull(dir);
	g_assert_cmpint(recording_writer_start(2), ==, 0);
	g_autofree char *writing = g_build_filename(dir, "call.pcap.part", NULL);
	g_autofree char *final = g_build_filename(dir, "call.pcap", NULL);
	g_autofree char *stream_path = g_build_filename(dir, "stream", NULL);
	struct recording_output *pcap = recording_writer_open_output(writing, final, RECORDING_OUTPUT_PCAP_RAW);
	struct recording_output *stream = recording_writer_open_output(stream_path, NULL, RECORDING_OUTPUT_STREAM);
	g_assert_nonnull(pcap);
	g_assert_nonnull(stream);
	struct recording_sink *pcap_sink = g_new0(struct recording_sink, 1);
	struct recording_sink *stream_sink = g_new0(struct recording_sink, 1);
	pcap_sink->output = pcap;
	pcap_sink->local = make_endpoint("127.0.0.1", 31020);
	stream_sink->output = stream;
	stream_sink->local = make_endpoint("::1", 40000);
	union endpoint source4 = make_endpoint("127.0.0.1", 34940), source6 = make_endpoint("::1", 5004);
	unsigned char payload[172];
	for (unsigned int i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char) i;
	struct recording_writer_totals before;
	recording_writer_read_totals(&before);
	for (unsigned int i = 0; i < 3; i++)
		recording_capture(i, pcap_sink, &source4, payload, sizeof(payload));   /* both queues */
	recording_capture(1, stream_sink, &source6, payload, 12);
	static unsigned char oversized[4096];
	recording_capture(0, pcap_sink, &source4, oversized, sizeof(oversized));  /* dropped */
	/* released and closed only after what was queued is written */
	recording_writer_release_sink(pcap_sink);
	recording_writer_release_sink(stream_sink);
	recording_writer_close_output(pcap);
	recording_writer_close_output(stream);
	g_assert_true(wait_for_file(final));
	/* the pcap and the stream file are separate outputs: the stream's packet may be written
	 * a round after the pcap was finished (bounded wait, 5 s) */
	struct recording_writer_totals after;
	for (int i = 0; i < 500; i++) {
		recording_writer_read_totals(&after);
		if (after.packets - before.packets >= 4)
			break;
		g_usleep(10000);
	}
	recording_writer_stop();
	g_assert_cmpuint(after.packets - before.packets, ==, 4);
	g_assert_cmpuint(after.dropped - before.dropped, ==, 1);
	g_assert_false(g_file_test(writing, G_FILE_TEST_EXISTS));

	gsize length;
	g_autofree char *capture = read_file(final, &length);
	g_assert_cmpuint(length, ==, 24 + 3 * (16 + 28 + sizeof(payload)));
	for (unsigned int i = 0; i < 3; i++) {
		const unsigned char *record = (const unsigned char *) capture + 24 + i * (16 + 28 + sizeof(payload));
		uint32_t caplen;
		memcpy(&caplen, record + 8, 4);
		g_assert_cmpuint(caplen, ==, 28 + sizeof(payload));
		g_assert_cmpuint(record[16], ==, 0x45);
		g_assert_cmpmem(record + 16 + 28, sizeof(payload), payload, sizeof(payload));
	}
	g_autofree char *frames = read_file(stream_path, &length);
	g_assert_cmpuint(length, ==, 16 + 16 + 48 + 12);
	struct recording_stream_file_header file_header;
	memcpy(&file_header, frames, sizeof(file_header));
	g_assert_cmpuint(file_header.magic, ==, RECORDING_STREAM_MAGIC);
	g_assert_cmpuint(file_header.version, ==, RECORDING_STREAM_VERSION);
	struct recording_frame_header frame;
	memcpy(&frame, frames + 16, sizeof(frame));
	g_assert_cmpuint(frame.length, ==, 48 + 12);
	g_assert_cmpuint(frame.flags, ==, 0);
	g_assert_cmpuint(frame.arrival_ns / 1000000000ull, >, 1600000000ull);
	g_assert_cmpuint((unsigned char) frames[32], ==, 0x60);
	g_assert_cmpmem(frames + 32 + 48, 12, payload, 12);

	g_unlink(final);
	g_unlink(stream_path);
	g_rmdir(dir);
}

/* A burst larger than a worker's queue: what does not fit is dropped and counted, what fits
 * is written; nothing is lost without a count. */
static void test_writer_queue_overflow_is_counted(void)
{
	g_autofree char *dir = g_dir_make_tmp("recording-test-XXXXXX", NULL);
	g_assert_cmpint(recording_writer_start(1), ==, 0);
	g_autofree char *path = g_build_filename(dir, "burst", NULL);
	struct recording_output *output = recording_writer_open_output(path, NULL, RECORDING_OUTPUT_STREAM);
	g_assert_nonnull(output);
	struct recording_sink *sink = g_new0(struct recording_sink, 1);
	sink->output = output;
	sink->local = make_endpoint("127.0.0.1", 30000);
	union endpoint source = make_endpoint("127.0.0.1", 5004);
	unsigned char payload[172] = { 0x80 };
	struct recording_writer_totals before, after;
	recording_writer_read_totals(&before);
	/* far more than one queue holds (1024), sent faster than the writer's 5 ms rounds */
	for (unsigned int i = 0; i < 20000; i++)
		recording_capture(0, sink, &source, payload, sizeof(payload));
	recording_writer_release_sink(sink);
	recording_writer_close_output(output);
	recording_writer_stop();
	recording_writer_read_totals(&after);
	uint64_t written = after.packets - before.packets, dropped = after.dropped - before.dropped;
	g_assert_cmpuint(dropped, >, 0);
	g_assert_cmpuint(written, >=, 1024);
	g_assert_cmpuint(written + dropped, ==, 20000);
	gsize length;
	g_autofree char *content = read_file(path, &length);
	g_assert_cmpuint(length, ==, 16 + written * (16 + 28 + sizeof(payload)));
	g_unlink(path);
	g_rmdir(dir);
}

static void test_writer_open_on_full_device(void)
{
	if (access("/dev/full", W_OK) != 0) {
		g_test_skip("no /dev/full");
		return;
	}
	errno = 0;
	g_assert_null(recording_writer_open_output("/dev/full", NULL, RECORDING_OUTPUT_STREAM));
	g_assert_cmpint(errno, ==, ENOSPC);
}

/* A restored call's capture: the header and whole records count, a cut record at the end
 * does not, another linktype or byte order is refused. */
static void test_pcap_whole_records(void)
{
	unsigned char file[24 + 2 * (16 + 40) + 10];
	size_t length = pcap_file_header(file, PCAP_LINKTYPE_RAW);
	for (int i = 0; i < 2; i++) {
		length += pcap_record_header(file + length, 1796296843000000000ull, 40);
		memset(file + length, i, 40);
		length += 40;
	}
	size_t whole = 0;
	uint64_t records = 0;
	g_assert_cmpint(pcap_whole_records(file, length, PCAP_LINKTYPE_RAW, &whole, &records), ==, 0);
	g_assert_cmpuint(whole, ==, length);
	g_assert_cmpuint(records, ==, 2);
	/* killed in the middle of a record header, then of a record's data */
	g_assert_cmpint(pcap_whole_records(file, length - 40 - 3, PCAP_LINKTYPE_RAW, &whole, &records), ==, 0);
	g_assert_cmpuint(whole, ==, 24 + 56);
	g_assert_cmpuint(records, ==, 1);
	g_assert_cmpint(pcap_whole_records(file, length - 1, PCAP_LINKTYPE_RAW, &whole, &records), ==, 0);
	g_assert_cmpuint(whole, ==, 24 + 56);
	/* the header alone: no records */
	g_assert_cmpint(pcap_whole_records(file, 24, PCAP_LINKTYPE_RAW, &whole, &records), ==, 0);
	g_assert_cmpuint(whole, ==, 24);
	g_assert_cmpuint(records, ==, 0);
	/* a record whose lengths differ is not one of ours: the whole part ends before it */
	unsigned char odd[sizeof(file)];
	memcpy(odd, file, sizeof(file));
	odd[24 + 56 + 12] ^= 1;
	g_assert_cmpint(pcap_whole_records(odd, length, PCAP_LINKTYPE_RAW, &whole, &records), ==, 0);
	g_assert_cmpuint(records, ==, 1);
	g_assert_cmpint(pcap_whole_records(file, length, PCAP_LINKTYPE_ETHERNET, &whole, &records), ==, -EPROTO);
	g_assert_cmpint(pcap_whole_records(file, 23, PCAP_LINKTYPE_RAW, &whole, &records), ==, -EPROTO);
	odd[0] = 0xa1;                  /* another byte order */
	g_assert_cmpint(pcap_whole_records(odd, length, PCAP_LINKTYPE_RAW, &whole, &records), ==, -EPROTO);
}

/* recording_writer_continue_output: a capture left by a killed daemon (one whole record and
 * half a record) goes on under its one header, the half record cut off, the count going on. */
static void test_writer_continues_a_capture(void)
{
	g_autofree char *dir = g_dir_make_tmp("recording-test-XXXXXX", NULL);
	g_autofree char *writing = g_build_filename(dir, "call.pcap.part", NULL);
	g_autofree char *final = g_build_filename(dir, "call.pcap", NULL);
	unsigned char left[24 + 16 + 28 + 20 + 16 + 5];
	size_t length = pcap_file_header(left, PCAP_LINKTYPE_RAW);
	length += pcap_record_header(left + length, 1796296843000000000ull, 48);
	memset(left + length, 0x45, 48);
	length += 48;
	length += pcap_record_header(left + length, 1796296843020000000ull, 48);
	memset(left + length, 0x45, 5);
	length += 5;
	g_assert_cmpuint(length, ==, sizeof(left));
	g_assert_true(g_file_set_contents(writing, (const char *) left, (gssize) length, NULL));

	errno = 0;
	g_assert_null(recording_writer_continue_output(writing, final, RECORDING_OUTPUT_PCAP_ETHERNET));
	g_assert_cmpint(errno, ==, EPROTO);
	g_autofree char *missing = g_build_filename(dir, "none.pcap", NULL);
	errno = 0;
	g_assert_null(recording_writer_continue_output(missing, NULL, RECORDING_OUTPUT_PCAP_RAW));
	g_assert_cmpint(errno, ==, ENOENT);

	g_assert_cmpint(recording_writer_start(1), ==, 0);
	struct recording_output *pcap = recording_writer_continue_output(writing, final, RECORDING_OUTPUT_PCAP_RAW);
	g_assert_nonnull(pcap);
	g_assert_cmpuint(recording_output_records(pcap), ==, 1);
	struct recording_sink *sink = g_new0(struct recording_sink, 1);
	sink->output = pcap;
	sink->local = make_endpoint("127.0.0.1", 31020);
	union endpoint source = make_endpoint("127.0.0.1", 34940);
	unsigned char payload[20] = { 0x80 };
	recording_capture(0, sink, &source, payload, sizeof(payload));
	recording_writer_release_sink(sink);
	recording_writer_close_output(pcap);
	g_assert_true(wait_for_file(final));
	recording_writer_stop();

	gsize size;
	g_autofree char *capture = read_file(final, &size);
	g_assert_cmpuint(size, ==, 24 + 2 * (16 + 48));
	g_assert_cmpmem(capture, 24 + 16 + 48, left, 24 + 16 + 48);
	size_t whole = 0;
	uint64_t records = 0;
	g_assert_cmpint(pcap_whole_records((const unsigned char *) capture, size, PCAP_LINKTYPE_RAW, &whole, &records),
			==, 0);
	g_assert_cmpuint(whole, ==, size);
	g_assert_cmpuint(records, ==, 2);
	g_assert_cmpmem(capture + size - sizeof(payload), sizeof(payload), payload, sizeof(payload));
	g_unlink(final);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/recording/pcap_file_header", test_pcap_file_header);
	g_test_add_func("/recording/pcap_record_header", test_pcap_record_header);
	g_test_add_func("/recording/ipv4_header_as_10_5", test_ipv4_header_as_10_5);
	g_test_add_func("/recording/ipv6_header", test_ipv6_header);
	g_test_add_func("/recording/header_refusals", test_header_refusals);
	g_test_add_func("/recording/ethernet_header", test_ethernet_header);
	g_test_add_func("/recording/prefix_escapes_as_glib", test_prefix_escapes_as_glib);
	g_test_add_func("/recording/spool_chunks", test_spool_chunks);
	g_test_add_func("/recording/pcap_metadata_layout", test_pcap_metadata_layout);
	g_test_add_func("/recording/writer_pcap_and_stream_files", test_writer_pcap_and_stream_files);
	g_test_add_func("/recording/writer_queue_overflow_is_counted", test_writer_queue_overflow_is_counted);
	g_test_add_func("/recording/writer_open_on_full_device", test_writer_open_on_full_device);
	g_test_add_func("/recording/pcap_whole_records", test_pcap_whole_records);
	g_test_add_func("/recording/writer_continues_a_capture", test_writer_continues_a_capture);
	return g_test_run();
}
