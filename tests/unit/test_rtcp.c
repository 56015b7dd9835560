/* Unit tests for lib/rtcp.c: compound packets built byte by byte as RFC 3550 section 6.4-6.7
 * and RFC 3611 section 4.7 lay them out, every truncation of a valid compound refused, and
 * the MOS figures Debian's rtpengine 10.5 reported for the same round-trip time, jitter and
 * loss (measured with tests/e2e/rtcp_traffic.py). */
#include "rtcp.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

/* ---- helpers: a tiny compound builder ---- */

struct builder {
	unsigned char data[1500];
	size_t length;
	size_t part_start;
};

static void put8(struct builder *b, unsigned int value)
{
	g_assert_cmpuint(b->length, <, sizeof(b->data));
	b->data[b->length++] = (unsigned char) value;
}

static void put16(struct builder *b, unsigned int value)
{
	put8(b, value >> 8);
	put8(b, value);
}

static void put32(struct builder *b, uint32_t value)
{
	put16(b, value >> 16);
	put16(b, value & 0xffff);
}

static void begin(struct builder *b, unsigned int count, unsigned int type)
{
	b->part_start = b->length;
	put8(b, 0x80 | count);
	put8(b, type);
	put16(b, 0);
}

static void end(struct builder *b)
{
	while ((b->length - b->part_start) % 4)
		put8(b, 0);
	size_t words = (b->length - b->part_start) / 4 - 1;
	b->data[b->part_start + 2] = (unsigned char) (words >> 8);
	b->data[b->part_start + 3] = (unsigned char) words;
}

static void put_block(struct builder *b, uint32_t ssrc, unsigned int fraction, int32_t lost, uint32_t jitter,
                      uint32_t lsr, uint32_t dlsr)
{
	put32(b, ssrc);
	put32(b, (uint32_t) fraction << 24 | ((uint32_t) lost & 0xffffff));
	put32(b, 0x00011234);
	put32(b, jitter);
	put32(b, lsr);
	put32(b, dlsr);
}

static void build_typical(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	begin(b, 2, RTCP_TYPE_SR);
	put32(b, 0x11111111);
	put32(b, 0xe1234567);
	put32(b, 0x89abcdef);
	put32(b, 160000);
	put32(b, 1000);
	put32(b, 160000);
	put_block(b, 0x22222222, 13, 14, 24, 0x456789ab, 65536);
	put_block(b, 0x33333333, 0, -1, 0, 0, 0);
	end(b);
	begin(b, 1, RTCP_TYPE_SDES);
	put32(b, 0x11111111);
	put8(b, 1);
	put8(b, 5);
	memcpy(b->data + b->length, "alice", 5);
	b->length += 5;
	put8(b, 0);
	end(b);
	begin(b, 1, RTCP_TYPE_BYE);
	put32(b, 0x11111111);
	end(b);
	begin(b, 0, RTCP_TYPE_APP);
	put32(b, 0x11111111);
	put32(b, 0x54455354);   /* "TEST" */
	end(b);
	begin(b, 0, RTCP_TYPE_XR);
	put32(b, 0x11111111);
	put8(b, 7);             /* VoIP metrics */
	put8(b, 0);
	put16(b, 8);
	put32(b, 0x22222222);
	put8(b, 12);            /* loss rate */
	put8(b, 3);             /* discard rate */
	put16(b, 0);            /* burst density, gap density */
	put32(b, 0);            /* burst and gap duration */
	put16(b, 42);           /* round trip delay */
	put16(b, 60);           /* end system delay */
	put32(b, 0);            /* signal, noise, RERL, Gmin */
	put8(b, 80);            /* R factor */
	put8(b, 127);           /* ext R factor */
	put8(b, 39);            /* MOS-LQ */
	put8(b, 38);            /* MOS-CQ */
	put32(b, 0);            /* RX config, reserved, JB nominal */
	put32(b, 0);            /* JB maximum, JB abs max */
	end(b);
}

/* ---- tests ---- */

static void test_parse_typical(void)
{
	struct builder b;
	build_typical(&b);
	struct rtcp_report report;
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, 0);
	g_assert_cmpuint(report.parts, ==, 5);
	g_assert_true(report.has_sender_info);
	g_assert_cmphex(report.sender.ssrc, ==, 0x11111111);
	g_assert_cmphex(rtcp_ntp_middle(report.sender.ntp_seconds, report.sender.ntp_fraction), ==, 0x456789ab);
	g_assert_cmpuint(report.sender.packet_count, ==, 1000);
	g_assert_cmpuint(report.block_count, ==, 2);
	g_assert_cmphex(report.blocks[0].reporter_ssrc, ==, 0x11111111);
	g_assert_cmphex(report.blocks[0].ssrc, ==, 0x22222222);
	g_assert_cmpuint(report.blocks[0].fraction_lost, ==, 13);
	g_assert_cmpint(report.blocks[0].cumulative_lost, ==, 14);
	g_assert_cmpuint(report.blocks[0].jitter, ==, 24);
	g_assert_cmphex(report.blocks[0].last_sr, ==, 0x456789ab);
	g_assert_cmpuint(report.blocks[0].delay_since_last_sr, ==, 65536);
	g_assert_cmpint(report.blocks[1].cumulative_lost, ==, -1);   /* 24-bit signed */
	g_assert_nonnull(report.cname);
	g_assert_cmpuint(report.cname_length, ==, 5);
	g_assert_true(memcmp(report.cname, "alice", 5) == 0);
	g_assert_cmpuint(report.bye_count, ==, 1);
	g_assert_cmpuint(report.app_count, ==, 1);
	g_assert_true(report.has_voip_metrics);
	g_assert_cmphex(report.voip_metrics.ssrc, ==, 0x22222222);
	g_assert_cmpuint(report.voip_metrics.loss_rate, ==, 12);
	g_assert_cmpuint(report.voip_metrics.round_trip_delay_ms, ==, 42);
	g_assert_cmpuint(report.voip_metrics.mos_lq, ==, 39);
	g_assert_cmpuint(report.voip_metrics.mos_cq, ==, 38);
}

static void test_parse_rr_only(void)
{
	struct builder b = { 0 };
	begin(&b, 1, RTCP_TYPE_RR);
	put32(&b, 0x44444444);
	put_block(&b, 0x55555555, 255, 0x7fffff, 1000, 1, 2);
	end(&b);
	struct rtcp_report report;
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, 0);
	g_assert_false(report.has_sender_info);
	g_assert_cmpuint(report.block_count, ==, 1);
	g_assert_cmphex(report.blocks[0].reporter_ssrc, ==, 0x44444444);
	g_assert_cmpint(report.blocks[0].cumulative_lost, ==, 0x7fffff);
	g_assert_null(report.cname);
}

/* every prefix of a valid compound that cuts a part short is refused, none is read past */
static void test_truncations_refused(void)
{
	struct builder b;
	build_typical(&b);
	for (size_t length = 0; length < b.length; length++) {
		unsigned char *copy = g_memdup2(b.data, length ? length : 1);
		struct rtcp_report report;
		int result = rtcp_parse(copy, length, &report);
		g_free(copy);
		/* a cut at a part boundary is a shorter valid compound */
		size_t offset = 0;
		while (offset < length)
			offset += ((size_t) (b.data[offset + 2] << 8 | b.data[offset + 3]) + 1) * 4;
		bool boundary = length && offset == length;
		g_assert_cmpint(result, ==, boundary ? 0 : -EINVAL);
	}
}

static void test_malformed_refused(void)
{
	struct builder b;
	struct rtcp_report report;
	/* first part not SR/RR (RFC 3550 section 6.1) */
	memset(&b, 0, sizeof(b));
	begin(&b, 0, RTCP_TYPE_BYE);
	end(&b);
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, -EINVAL);
	/* version 1 */
	build_typical(&b);
	b.data[0] = (b.data[0] & 0x3f) | 0x40;
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, -EINVAL);
	/* an RR whose count claims more blocks than its length holds */
	memset(&b, 0, sizeof(b));
	begin(&b, 3, RTCP_TYPE_RR);
	put32(&b, 1);
	put_block(&b, 2, 0, 0, 0, 0, 0);
	end(&b);
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, -EINVAL);
	/* an SDES item longer than its packet */
	memset(&b, 0, sizeof(b));
	begin(&b, 0, RTCP_TYPE_RR);
	put32(&b, 1);
	end(&b);
	begin(&b, 1, RTCP_TYPE_SDES);
	put32(&b, 1);
	put8(&b, 1);
	put8(&b, 200);
	put16(&b, 0);
	end(&b);
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, -EINVAL);
	/* an XR block longer than its packet */
	memset(&b, 0, sizeof(b));
	begin(&b, 0, RTCP_TYPE_RR);
	put32(&b, 1);
	end(&b);
	begin(&b, 0, RTCP_TYPE_XR);
	put32(&b, 1);
	put8(&b, 7);
	put8(&b, 0);
	put16(&b, 40);
	end(&b);
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, -EINVAL);
	g_assert_cmpint(rtcp_parse(b.data, 0, &report), ==, -EINVAL);
}

/* more blocks than one report holds: the first 31 are kept, the rest counted */
static void test_block_overflow(void)
{
	struct builder b = { 0 };
	for (int part = 0; part < 2; part++) {
		begin(&b, 20, RTCP_TYPE_RR);
		put32(&b, 7);
		for (uint32_t i = 0; i < 20; i++)
			put_block(&b, i, 0, 0, 0, 0, 0);
		end(&b);
	}
	struct rtcp_report report;
	g_assert_cmpint(rtcp_parse(b.data, b.length, &report), ==, 0);
	g_assert_cmpuint(report.block_count, ==, RTCP_MAX_REPORT_BLOCKS);
	g_assert_cmpuint(report.blocks_skipped, ==, 40 - RTCP_MAX_REPORT_BLOCKS);
}

/* what Debian's rtpengine 10.5 reported for these inputs (tests/e2e/rtcp_traffic.py runs) */
static void test_mos_as_upstream(void)
{
	g_assert_cmpint(rtcp_mos(1461, 1, 0), ==, 44);
	g_assert_cmpint(rtcp_mos(4822, 3, 5), ==, 40);
	g_assert_cmpint(rtcp_mos(2649, 2, 3), ==, 42);
	g_assert_cmpint(rtcp_mos(300394, 0, 0), ==, 37);   /* truncated, not rounded: 3.79 */
	/* listening quality: no round trip */
	g_assert_cmpint(rtcp_mos(0, 0, 0), ==, 44);
	/* falls with loss, 1.0 once R is below 0 (G.107), bounded everywhere */
	int last = 45;
	for (unsigned int loss = 0; loss <= 100; loss++) {
		int mos = rtcp_mos(20000, 5, loss);
		g_assert_cmpint(mos, <=, last);
		g_assert_cmpint(mos, >=, 10);
		last = mos;
	}
	g_assert_cmpint(rtcp_mos(20000, 5, 100), ==, 10);
	/* found by the fuzzer: round trips and jitter far out of range stay 1.0, no overflow */
	g_assert_cmpint(rtcp_mos(UINT64_MAX, 65535, 0), ==, 10);
	g_assert_cmpint(rtcp_mos(0, UINT32_MAX, 0), ==, 10);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtcp/parse-typical", test_parse_typical);
	g_test_add_func("/rtcp/parse-rr-only", test_parse_rr_only);
	g_test_add_func("/rtcp/truncations-refused", test_truncations_refused);
	g_test_add_func("/rtcp/malformed-refused", test_malformed_refused);
	g_test_add_func("/rtcp/block-overflow", test_block_overflow);
	g_test_add_func("/rtcp/mos-as-upstream", test_mos_as_upstream);
	return g_test_run();
}
