/* Unit tests for lib/hep.c (HEP3 layout chunk by chunk, IPv4 and IPv6, errors) and the JSON
 * daemon/homer.c makes of an RTCP compound (parsed back with GLib's JSON-free checks: key
 * order and values as text). */
#include "hep.h"
#include "homer.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static unsigned int read16(const unsigned char *p)
{
	return (unsigned int) (p[0] << 8 | p[1]);
}

/* Finds chunk type in a message; returns its value and length, NULL if absent. Checks that
 * every chunk is generic and the chunks fill the message exactly. */
static const unsigned char *find_chunk(const unsigned char *message, size_t length, unsigned int type,
                                       size_t *value_length)
{
	g_assert_true(memcmp(message, "HEP3", 4) == 0);
	g_assert_cmpuint(read16(message + 4), ==, length);
	const unsigned char *found = NULL;
	size_t offset = 6;
	while (offset < length) {
		g_assert_cmpuint(length - offset, >=, 6);
		g_assert_cmpuint(read16(message + offset), ==, 0);
		unsigned int chunk_length = read16(message + offset + 4);
		g_assert_cmpuint(chunk_length, >=, 6);
		g_assert_cmpuint(chunk_length, <=, length - offset);
		if (read16(message + offset + 2) == type && !found) {
			found = message + offset + 6;
			*value_length = chunk_length - 6;
		}
		offset += chunk_length;
	}
	g_assert_cmpuint(offset, ==, length);
	return found;
}

static void test_encode_ipv4(void)
{
	union endpoint source, destination;
	g_assert_cmpint(endpoint_parse(&source, AF_INET, "192.0.2.1", 5005), ==, 0);
	g_assert_cmpint(endpoint_parse(&destination, AF_INET, "198.51.100.2", 30001), ==, 0);
	static const char payload[] = "{\"ssrc\":1}";
	struct hep_message message = {
		.source = &source, .destination = &destination,
		.timestamp_us = 1700000000123456LL, .capture_id = 2001,
		.protocol_type = HEP_PROTOCOL_RTCP_JSON,
		.correlation_id = "call-1@example", .correlation_length = 15,
		.payload = payload, .payload_length = sizeof(payload) - 1,
	};
	unsigned char out[512];
	int length = hep_encode(out, sizeof(out), &message);
	/* header 6 + family 7 + protocol 7 + 2 x 10 addresses + 2 x 8 ports + 2 x 10 time
	 * + type 7 + capture id 10 + correlation 6+15 + payload 6+10 */
	g_assert_cmpint(length, ==, 6 + 7 + 7 + 20 + 16 + 20 + 7 + 10 + 21 + 16);
	size_t size;
	const unsigned char *value = find_chunk(out, (size_t) length, HEP_CHUNK_IP_FAMILY, &size);
	g_assert_true(value && size == 1 && value[0] == 2);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_IP_PROTOCOL, &size);
	g_assert_true(value && size == 1 && value[0] == 17);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_IPV4_SOURCE, &size);
	g_assert_true(value && size == 4 && memcmp(value, "\xc0\x00\x02\x01", 4) == 0);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_IPV4_DESTINATION, &size);
	g_assert_true(value && size == 4 && memcmp(value, "\xc6\x33\x64\x02", 4) == 0);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_SOURCE_PORT, &size);
	g_assert_true(value && size == 2 && read16(value) == 5005);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_DESTINATION_PORT, &size);
	g_assert_true(value && size == 2 && read16(value) == 30001);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_TIMESTAMP_SECONDS, &size);
	g_assert_true(value && size == 4 && memcmp(value, "\x65\x53\xf1\x00", 4) == 0);   /* 1700000000 */
	value = find_chunk(out, (size_t) length, HEP_CHUNK_TIMESTAMP_MICROSECONDS, &size);
	g_assert_true(value && size == 4 && memcmp(value, "\x00\x01\xe2\x40", 4) == 0);   /* 123456 */
	value = find_chunk(out, (size_t) length, HEP_CHUNK_PROTOCOL_TYPE, &size);
	g_assert_true(value && size == 1 && value[0] == 5);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_CAPTURE_ID, &size);
	g_assert_true(value && size == 4 && memcmp(value, "\x00\x00\x07\xd1", 4) == 0);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_CORRELATION_ID, &size);
	g_assert_true(value && size == 15 && memcmp(value, "call-1@example", 15) == 0);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_PAYLOAD, &size);
	g_assert_true(value && size == sizeof(payload) - 1 && memcmp(value, payload, size) == 0);
}

static void test_encode_ipv6_and_errors(void)
{
	union endpoint source, destination, v4;
	g_assert_cmpint(endpoint_parse(&source, AF_INET6, "2001:db8::1", 1), ==, 0);
	g_assert_cmpint(endpoint_parse(&destination, AF_INET6, "::1", 2), ==, 0);
	g_assert_cmpint(endpoint_parse(&v4, AF_INET, "127.0.0.1", 3), ==, 0);
	struct hep_message message = {
		.source = &source, .destination = &destination, .payload = "x", .payload_length = 1,
	};
	unsigned char out[256];
	int length = hep_encode(out, sizeof(out), &message);
	g_assert_cmpint(length, >, 0);
	size_t size;
	const unsigned char *value = find_chunk(out, (size_t) length, HEP_CHUNK_IP_FAMILY, &size);
	g_assert_true(value && value[0] == 10);
	value = find_chunk(out, (size_t) length, HEP_CHUNK_IPV6_SOURCE, &size);
	g_assert_true(value && size == 16 && value[0] == 0x20 && value[15] == 1);
	g_assert_null(find_chunk(out, (size_t) length, HEP_CHUNK_CORRELATION_ID, &size));
	/* every capacity short of the message is refused, none written past */
	for (size_t capacity = 0; capacity < (size_t) length; capacity++)
		g_assert_cmpint(hep_encode(out, capacity, &message), ==, -ENOSPC);
	message.destination = &v4;
	g_assert_cmpint(hep_encode(out, sizeof(out), &message), ==, -EINVAL);
}

static void test_rtcp_json(void)
{
	/* SR with one report block, then SDES with a CNAME that needs escaping */
	static const unsigned char compound[] = {
		0x81, 200, 0x00, 0x0c, 0x11, 0x11, 0x11, 0x11,
		0xe1, 0x23, 0x45, 0x67, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,
		0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x1f, 0x40,
		0x22, 0x22, 0x22, 0x22, 0x0d, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x18, 0x45, 0x67, 0x89, 0xab, 0x00, 0x01, 0x00, 0x00,
		0x81, 202, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11, 0x01, 0x05, 'a', '"', 'b', 'c', 'd', 0x00,
	};
	char *json = homer_rtcp_json(compound, sizeof(compound));
	g_assert_nonnull(json);
	g_assert_cmpstr(json, ==,
		"{\"sender_information\":{\"ntp_timestamp_sec\":3777185127,\"ntp_timestamp_usec\":500000,"
		"\"octets\":8000,\"rtp_timestamp\":1000,\"packets\":50},\"ssrc\":286331153,\"type\":200,"
		"\"report_count\":1,\"report_blocks\":[{\"source_ssrc\":572662306,\"highest_seq_no\":1024,"
		"\"fraction_lost\":13,\"ia_jitter\":24,\"packets_lost\":14,\"lsr\":1164413355,\"dlsr\":65536}],"
		"\"sdes_ssrc\":286331153,\"sdes_report_count\":1,\"sdes_information\":[{\"type\":1,"
		"\"text\":\"a\\\"bcd\"}]}");
	g_free(json);
	g_assert_null(homer_rtcp_json(compound, 7));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hep/encode-ipv4", test_encode_ipv4);
	g_test_add_func("/hep/encode-ipv6-and-errors", test_encode_ipv6_and_errors);
	g_test_add_func("/homer/rtcp-json", test_rtcp_json);
	return g_test_run();
}
