/* Unit tests for daemon/bundle_demux.c: the RFC 8285 header extension walk (one- and
 * two-byte forms, padding, truncation) and routing by MID and SSRC (RFC 9143 section 9.2).
 * Packets are built byte by byte here from the RFCs' layouts. */
#include "bundle_demux.h"

#include <errno.h>
#include <string.h>
#include <glib.h>

/* An RTP packet (RFC 3550 section 5.1) with ssrc and, if extension_size > 0, the given
 * extension block (profile + elements, padded by the caller to 32-bit words). */
static size_t build_packet(unsigned char *out, uint32_t ssrc, uint16_t profile, const unsigned char *elements,
			   size_t elements_size)
{
	memset(out, 0, 12);
	out[0] = 0x80 | (elements_size ? 0x10 : 0);
	out[1] = 111;
	out[8] = (unsigned char) (ssrc >> 24);
	out[9] = (unsigned char) (ssrc >> 16);
	out[10] = (unsigned char) (ssrc >> 8);
	out[11] = (unsigned char) ssrc;
	size_t at = 12;
	if (elements_size) {
		g_assert_cmpuint(elements_size % 4, ==, 0);
		out[at++] = (unsigned char) (profile >> 8);
		out[at++] = (unsigned char) profile;
		out[at++] = 0;
		out[at++] = (unsigned char) (elements_size / 4);
		memcpy(out + at, elements, elements_size);
		at += elements_size;
	}
	memcpy(out + at, "payload!", 8);
	return at + 8;
}

static void test_one_byte_form(void)
{
	/* id 1 (1 byte, audio level), padding, id 3 = "a1" (mid), padding to the word */
	static const unsigned char elements[] = { 0x10, 0x55, 0x00, 0x31, 'a', '1', 0x00, 0x00 };
	unsigned char packet[64];
	size_t length = build_packet(packet, 0x11223344, 0xBEDE, elements, sizeof(elements));
	const unsigned char *value;
	g_assert_cmpint(rtp_header_extension_find(packet, length, 3, &value), ==, 2);
	g_assert_cmpmem(value, 2, "a1", 2);
	g_assert_cmpint(rtp_header_extension_find(packet, length, 1, &value), ==, 1);
	g_assert_cmpint(value[0], ==, 0x55);
	g_assert_cmpint(rtp_header_extension_find(packet, length, 4, &value), ==, -ENOENT);
	/* id 15 stops the walk (RFC 8285 section 4.2) */
	static const unsigned char stopped[] = { 0xF0, 0x31, 'a', '1' };
	length = build_packet(packet, 1, 0xBEDE, stopped, sizeof(stopped));
	g_assert_cmpint(rtp_header_extension_find(packet, length, 3, &value), ==, -ENOENT);
}

static void test_two_byte_form(void)
{
	/* 0x1000 | appbits: id 3 length 3 "vid", padding */
	static const unsigned char elements[] = { 0x00, 0x03, 0x03, 'v', 'i', 'd', 0x00, 0x00 };
	unsigned char packet[64];
	size_t length = build_packet(packet, 7, 0x1005, elements, sizeof(elements));
	const unsigned char *value;
	g_assert_cmpint(rtp_header_extension_find(packet, length, 3, &value), ==, 3);
	g_assert_cmpmem(value, 3, "vid", 3);
}

static void test_truncated_and_absent(void)
{
	static const unsigned char elements[] = { 0x3F, 'a', 'b', 'c' };   /* claims 16 bytes */
	unsigned char packet[64];
	size_t length = build_packet(packet, 7, 0xBEDE, elements, sizeof(elements));
	const unsigned char *value;
	g_assert_cmpint(rtp_header_extension_find(packet, length, 3, &value), ==, -EINVAL);
	/* the extension's length word points past the packet */
	length = build_packet(packet, 7, 0xBEDE, elements, sizeof(elements));
	packet[15] = 200;
	g_assert_cmpint(rtp_header_extension_find(packet, length, 3, &value), ==, -EINVAL);
	/* no X bit */
	length = build_packet(packet, 7, 0, NULL, 0);
	g_assert_cmpint(rtp_header_extension_find(packet, length, 3, &value), ==, -ENOENT);
	/* every shorter cut of a valid packet is refused or not found, never read past */
	static const unsigned char good[] = { 0x31, 'a', '1', 0x00 };
	length = build_packet(packet, 7, 0xBEDE, good, sizeof(good));
	for (size_t cut = 0; cut < 20; cut++) {
		unsigned char *copy = g_memdup2(packet, cut);
		g_assert_cmpint(rtp_header_extension_find(copy, cut, 3, &value), <, 0);
		g_free(copy);
	}
}

static void test_route_by_mid_then_learned_ssrc(void)
{
	struct bundle_demux demux;
	bundle_demux_init(&demux, 3);
	g_assert_cmpint(bundle_demux_add_media(&demux, "0"), ==, 0);
	g_assert_cmpint(bundle_demux_add_media(&demux, "1"), ==, 1);
	g_assert_cmpint(bundle_demux_add_media(&demux, "0"), ==, 0);
	static const unsigned char mid1[] = { 0x30, '1', 0x00, 0x00 };
	unsigned char packet[64];
	size_t length = build_packet(packet, 0xAAAA0001, 0xBEDE, mid1, sizeof(mid1));
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
	/* later packets of that SSRC without the extension follow the learned mapping */
	length = build_packet(packet, 0xAAAA0001, 0, NULL, 0);
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
	/* an unknown SSRC without MID is unknown */
	length = build_packet(packet, 0xBBBB0002, 0, NULL, 0);
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, -ENOENT);
	/* an unknown MID falls back to the SSRC */
	static const unsigned char mid9[] = { 0x30, '9', 0x00, 0x00 };
	length = build_packet(packet, 0xAAAA0001, 0xBEDE, mid9, sizeof(mid9));
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
}

static void test_route_by_signalled_ssrc_and_mid_overrides(void)
{
	struct bundle_demux demux;
	bundle_demux_init(&demux, 0);   /* no MID extension negotiated: SSRCs only */
	bundle_demux_add_media(&demux, "audio");
	bundle_demux_add_media(&demux, "video");
	g_assert_cmpint(bundle_demux_add_ssrc(&demux, 100, 0), ==, 0);
	g_assert_cmpint(bundle_demux_add_ssrc(&demux, 200, 1), ==, 0);
	g_assert_cmpint(bundle_demux_add_ssrc(&demux, 300, 2), ==, -EINVAL);
	unsigned char packet[64];
	size_t length = build_packet(packet, 200, 0, NULL, 0);
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
	length = build_packet(packet, 100, 0, NULL, 0);
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 0);
	/* with the extension negotiated, a MID moves an SSRC (RFC 9143 section 9.2) */
	demux.mid_extension_id = 5;
	static const unsigned char video[] = { 0x54, 'v', 'i', 'd', 'e', 'o', 0x00, 0x00 };
	length = build_packet(packet, 100, 0xBEDE, video, sizeof(video));
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
	length = build_packet(packet, 100, 0, NULL, 0);
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
}

static void test_table_limits(void)
{
	struct bundle_demux demux;
	bundle_demux_init(&demux, 1);
	char mid[40];
	for (unsigned int i = 0; i < BUNDLE_MAX_MEDIA; i++) {
		g_snprintf(mid, sizeof(mid), "m%u", i);
		g_assert_cmpint(bundle_demux_add_media(&demux, mid), ==, (int) i);
	}
	g_assert_cmpint(bundle_demux_add_media(&demux, "one-too-many"), ==, -ENOSPC);
	g_assert_cmpint(bundle_demux_add_media(&demux, ""), ==, -EINVAL);
	memset(mid, 'x', 33);
	mid[33] = 0;
	g_assert_cmpint(bundle_demux_add_media(&demux, mid), ==, -EINVAL);
	for (uint32_t i = 0; i < BUNDLE_MAX_SSRCS; i++)
		g_assert_cmpint(bundle_demux_add_ssrc(&demux, i, i % BUNDLE_MAX_MEDIA), ==, 0);
	g_assert_cmpint(bundle_demux_add_ssrc(&demux, 9999, 0), ==, -ENOSPC);
	g_assert_cmpint(bundle_demux_add_ssrc(&demux, 3, 0), ==, 0);   /* replacing still works */
}

static void test_route_by_unique_payload_type(void)
{
	struct bundle_demux demux;
	bundle_demux_init(&demux, 0);
	g_assert_cmpint(bundle_demux_add_media(&demux, "a"), ==, 0);
	g_assert_cmpint(bundle_demux_add_media(&demux, "v"), ==, 1);
	/* PCMU on both (ambiguous), 96 on the second only (RFC 9143 section 9.2) */
	g_assert_cmpint(bundle_demux_add_payload_type(&demux, 0, 0), ==, 0);
	g_assert_cmpint(bundle_demux_add_payload_type(&demux, 0, 1), ==, 0);
	g_assert_cmpint(bundle_demux_add_payload_type(&demux, 96, 1), ==, 0);
	g_assert_cmpint(bundle_demux_add_payload_type(&demux, 128, 1), ==, -EINVAL);
	g_assert_cmpint(bundle_demux_add_payload_type(&demux, 8, 2), ==, -EINVAL);
	unsigned char packet[64];
	size_t length = build_packet(packet, 0x99, 0, NULL, 0);
	packet[1] = 0;
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, -ENOENT);
	packet[1] = 0x80 | 96;   /* the marker bit is not part of the type */
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
	/* ... and its SSRC was learned: the same SSRC with PCMU follows */
	packet[1] = 0;
	g_assert_cmpint(bundle_demux_route(&demux, packet, length), ==, 1);
}

static void test_route_rtcp_by_sender_ssrc(void)
{
	struct bundle_demux demux;
	bundle_demux_init(&demux, 0);
	bundle_demux_add_media(&demux, "0");
	bundle_demux_add_media(&demux, "1");
	bundle_demux_add_ssrc(&demux, 0x01020304, 1);
	/* RFC 3550 section 6.4.1: V=2, RC=0, PT=200 (SR), length, SSRC of sender */
	unsigned char sr[28] = { 0x80, 200, 0, 6, 0x01, 0x02, 0x03, 0x04 };
	g_assert_cmpint(bundle_demux_route_rtcp(&demux, sr, sizeof(sr)), ==, 1);
	sr[7] = 5;
	g_assert_cmpint(bundle_demux_route_rtcp(&demux, sr, sizeof(sr)), ==, -ENOENT);
	g_assert_cmpint(bundle_demux_route_rtcp(&demux, sr, 7), ==, -ENOENT);
}

static void test_add_mid_element(void)
{
	unsigned char packet[128];
	const unsigned char *value;
	/* no extension yet: a new one-byte-form header, the payload moves up by 8 */
	size_t length = build_packet(packet, 0x42, 0, NULL, 0);
	int added = rtp_header_extension_add_mid(packet, length, sizeof(packet), 4, "a1", 2);
	g_assert_cmpint(added, ==, (int) length + 8);
	g_assert_true(packet[0] & 0x10);
	g_assert_cmpint(rtp_header_extension_find(packet, (size_t) added, 4, &value), ==, 2);
	g_assert_cmpmem(value, 2, "a1", 2);
	g_assert_cmpmem(packet + added - 8, 8, "payload!", 8);
	/* already there: left alone */
	g_assert_cmpint(rtp_header_extension_add_mid(packet, (size_t) added, sizeof(packet), 4, "zz", 2), ==, added);
	/* an existing one-byte block (audio level, id 1) grows by a word; both elements found */
	static const unsigned char level[] = { 0x10, 0x55, 0x00, 0x00 };
	length = build_packet(packet, 0x42, 0xBEDE, level, sizeof(level));
	added = rtp_header_extension_add_mid(packet, length, sizeof(packet), 3, "video", 5);
	g_assert_cmpint(added, ==, (int) length + 8);
	g_assert_cmpint(rtp_header_extension_find(packet, (size_t) added, 3, &value), ==, 5);
	g_assert_cmpmem(value, 5, "video", 5);
	g_assert_cmpint(rtp_header_extension_find(packet, (size_t) added, 1, &value), ==, 1);
	g_assert_cmpint(value[0], ==, 0x55);
	g_assert_cmpmem(packet + added - 8, 8, "payload!", 8);
	/* the route reads it back */
	struct bundle_demux demux;
	bundle_demux_init(&demux, 3);
	bundle_demux_add_media(&demux, "audio");
	bundle_demux_add_media(&demux, "video");
	g_assert_cmpint(bundle_demux_route(&demux, packet, (size_t) added), ==, 1);
	/* refusals: no room, two-byte form, id out of the one-byte range, MID too long for it */
	length = build_packet(packet, 0x42, 0, NULL, 0);
	g_assert_cmpint(rtp_header_extension_add_mid(packet, length, length + 4, 4, "a1", 2), ==, -ENOSPC);
	g_assert_cmpint(rtp_header_extension_add_mid(packet, length, sizeof(packet), 15, "a1", 2), ==, -ENOTSUP);
	g_assert_cmpint(rtp_header_extension_add_mid(packet, length, sizeof(packet), 4, "0123456789abcdefg", 17), ==,
			-ENOTSUP);
	g_assert_cmpint(rtp_header_extension_add_mid(packet, length, sizeof(packet), 4, "", 0), ==, -EINVAL);
	static const unsigned char two_byte[] = { 0x01, 0x01, 0x55, 0x00 };
	length = build_packet(packet, 0x42, 0x1000, two_byte, sizeof(two_byte));
	g_assert_cmpint(rtp_header_extension_add_mid(packet, length, sizeof(packet), 4, "a1", 2), ==, -ENOTSUP);
	g_assert_cmpint(rtp_header_extension_add_mid(packet, 8, sizeof(packet), 4, "a1", 2), ==, -EINVAL);
	/* a CSRC count past the packet's end (found by fuzz_rtp) */
	length = build_packet(packet, 0x42, 0, NULL, 0);
	packet[0] |= 0x0f;
	g_assert_cmpint(rtp_header_extension_add_mid(packet, length, sizeof(packet), 4, "a1", 2), ==, -EINVAL);
	/* a one-byte block whose walk stops at ID 15 before the end */
	static const unsigned char stopped[] = { 0xF0, 0x10, 0x55, 0x00 };
	length = build_packet(packet, 0x42, 0xBEDE, stopped, sizeof(stopped));
	g_assert_cmpint(rtp_header_extension_add_mid(packet, length, sizeof(packet), 4, "a1", 2), ==, -ENOTSUP);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bundle/extension/one-byte", test_one_byte_form);
	g_test_add_func("/bundle/extension/two-byte", test_two_byte_form);
	g_test_add_func("/bundle/extension/truncated-and-absent", test_truncated_and_absent);
	g_test_add_func("/bundle/route/mid-then-learned-ssrc", test_route_by_mid_then_learned_ssrc);
	g_test_add_func("/bundle/route/signalled-ssrc-mid-overrides", test_route_by_signalled_ssrc_and_mid_overrides);
	g_test_add_func("/bundle/limits", test_table_limits);
	g_test_add_func("/bundle/route/unique-payload-type", test_route_by_unique_payload_type);
	g_test_add_func("/bundle/route/rtcp-sender-ssrc", test_route_rtcp_by_sender_ssrc);
	g_test_add_func("/bundle/extension/add-mid", test_add_mid_element);
	return g_test_run();
}
