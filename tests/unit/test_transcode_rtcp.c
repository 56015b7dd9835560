/* Unit tests for daemon/transcode_rtcp.c: compounds built byte by byte (RFC 3550 section 6.4)
 * rewritten in place; what the relay does not know stays as the endpoint wrote it; malformed
 * compounds are refused without reading past the end; RFC 3550 A.3 fraction lost. */
#include "transcode_rtcp.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static size_t put32(unsigned char *p, size_t at, uint32_t value)
{
	p[at] = (unsigned char) (value >> 24);
	p[at + 1] = (unsigned char) (value >> 16);
	p[at + 2] = (unsigned char) (value >> 8);
	p[at + 3] = (unsigned char) value;
	return at + 4;
}

static uint32_t get32(const unsigned char *p, size_t at)
{
	return (uint32_t) p[at] << 24 | (uint32_t) p[at + 1] << 16 | (uint32_t) p[at + 2] << 8 | p[at + 3];
}

/* SR from 0x1111 with one block about 0xaaaa, then an SDES (CNAME "x") of 0x1111: 52 + 12 bytes */
static size_t build_sr_sdes(unsigned char *p)
{
	size_t at = 0;
	p[0] = 0x81; p[1] = 200; p[2] = 0; p[3] = 12;
	at = put32(p, 4, 0x1111);
	at = put32(p, at, 0xe1000000);       /* NTP */
	at = put32(p, at, 0x80000000);
	at = put32(p, at, 12345);            /* RTP timestamp */
	at = put32(p, at, 77);               /* packets */
	at = put32(p, at, 7777);             /* octets */
	at = put32(p, at, 0xaaaa);           /* block: SSRC */
	at = put32(p, at, 0x05000003);       /* fraction 5, cumulative 3 */
	at = put32(p, at, 0x10063);          /* highest */
	at = put32(p, at, 40);               /* jitter */
	at = put32(p, at, 0x12345678);       /* LSR */
	at = put32(p, at, 0x10000);          /* DLSR */
	g_assert_cmpuint(at, ==, 52);
	p[at] = 0x81; p[at + 1] = 202; p[at + 2] = 0; p[at + 3] = 2;
	at = put32(p, at + 4, 0x1111);
	p[at] = 1; p[at + 1] = 1; p[at + 2] = 'x'; p[at + 3] = 0;
	return at + 4;
}

static const struct transcode_rtcp_sent sent = {
	.known = true, .source_ssrc = 0x1111, .ssrc = 0x3333, .rtp_timestamp = 96000, .packets = 99, .octets = 1485,
};
static const struct transcode_rtcp_received received = {
	.known = true, .heard_ssrc = 0xaaaa, .source_ssrc = 0x2222, .highest_sequence = 5099,
	.cumulative_lost = -2, .fraction_lost = 0,
};

static void test_rewrite_sr_and_block(void)
{
	unsigned char packet[128], original[128];
	size_t length = build_sr_sdes(packet);
	memcpy(original, packet, length);
	g_assert_cmpint(transcode_rtcp_rewrite(packet, length, &sent, &received), ==, 2);
	g_assert_cmphex(get32(packet, 4), ==, 0x3333);
	g_assert_cmphex(get32(packet, 8), ==, 0xe1000000);     /* NTP kept */
	g_assert_cmphex(get32(packet, 12), ==, 0x80000000);
	g_assert_cmpuint(get32(packet, 16), ==, 96000);
	g_assert_cmpuint(get32(packet, 20), ==, 99);
	g_assert_cmpuint(get32(packet, 24), ==, 1485);
	g_assert_cmphex(get32(packet, 28), ==, 0x2222);
	g_assert_cmphex(get32(packet, 32), ==, 0x00fffffe);    /* fraction 0, -2 in 24 bits */
	g_assert_cmpuint(get32(packet, 36), ==, 5099);
	g_assert_cmpmem(packet + 40, 12, original + 40, 12);  /* jitter, LSR, DLSR */
	g_assert_cmpmem(packet + 52, length - 52, original + 52, length - 52);   /* SDES */
}

static void test_unknown_left_alone(void)
{
	unsigned char packet[128], original[128];
	size_t length = build_sr_sdes(packet);
	memcpy(original, packet, length);
	struct transcode_rtcp_sent other_sender = sent;
	other_sender.source_ssrc = 0x9999;
	struct transcode_rtcp_received other_block = received;
	other_block.heard_ssrc = 0x9999;
	g_assert_cmpint(transcode_rtcp_rewrite(packet, length, &other_sender, &other_block), ==, 0);
	g_assert_cmpmem(packet, length, original, length);
	struct transcode_rtcp_sent unknown = { .known = false };
	struct transcode_rtcp_received nothing = { .known = false };
	g_assert_cmpint(transcode_rtcp_rewrite(packet, length, &unknown, &nothing), ==, 0);
	g_assert_cmpmem(packet, length, original, length);
	g_assert_cmpint(transcode_rtcp_rewrite(packet, length, NULL, NULL), ==, 0);
	g_assert_cmpmem(packet, length, original, length);
}

static void test_rr_sender_ssrc(void)
{
	unsigned char packet[32];
	packet[0] = 0x80; packet[1] = 201; packet[2] = 0; packet[3] = 1;
	put32(packet, 4, 0x1111);
	g_assert_cmpint(transcode_rtcp_rewrite(packet, 8, &sent, &received), ==, 0);
	g_assert_cmphex(get32(packet, 4), ==, 0x3333);
}

static void test_malformed_refused(void)
{
	unsigned char packet[128];
	size_t length = build_sr_sdes(packet);
	/* every truncation: refused or (at a part boundary) a shorter valid compound */
	for (size_t cut = 1; cut < length; cut++) {
		unsigned char copy[128];
		memcpy(copy, packet, cut);
		int result = transcode_rtcp_rewrite(copy, cut, &sent, &received);
		if (cut == 52)
			g_assert_cmpint(result, ==, 2);
		else
			g_assert_cmpint(result, ==, -EINVAL);
	}
	packet[0] = 0x41;   /* version 1 */
	g_assert_cmpint(transcode_rtcp_rewrite(packet, length, &sent, &received), ==, -EINVAL);
	build_sr_sdes(packet);
	packet[0] = 0x82;   /* two blocks claimed, one present */
	g_assert_cmpint(transcode_rtcp_rewrite(packet, length, &sent, &received), ==, -EINVAL);
}

static void test_fraction_lost(void)
{
	g_assert_cmpuint(transcode_rtcp_fraction_lost(0, 0, 101, 96), ==, 12);   /* 5 * 256 / 101 */
	g_assert_cmpuint(transcode_rtcp_fraction_lost(101, 96, 201, 196), ==, 0);
	g_assert_cmpuint(transcode_rtcp_fraction_lost(0, 0, 0, 0), ==, 0);
	g_assert_cmpuint(transcode_rtcp_fraction_lost(0, 0, 10, 12), ==, 0);     /* duplicates */
	g_assert_cmpuint(transcode_rtcp_fraction_lost(0, 0, 100, 0), ==, 255);
	g_assert_cmpuint(transcode_rtcp_fraction_lost(0xfffffff0u, 0xfffffff0u, 0x10, 0x08), ==, 64);   /* wraps */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/transcode_rtcp/rewrite", test_rewrite_sr_and_block);
	g_test_add_func("/transcode_rtcp/unknown", test_unknown_left_alone);
	g_test_add_func("/transcode_rtcp/rr", test_rr_sender_ssrc);
	g_test_add_func("/transcode_rtcp/malformed", test_malformed_refused);
	g_test_add_func("/transcode_rtcp/fraction", test_fraction_lost);
	return g_test_run();
}
