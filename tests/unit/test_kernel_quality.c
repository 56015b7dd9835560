/* Unit tests for daemon/kernel_quality.c: the kernel's per-SSRC RTP statistics folded into
 * the daemon's media quality state: userspace first, then the kernel (losses, duplicates and
 * jitter added, not double-counted on the next read), across the 16-bit sequence wrap, a new
 * SSRC while in the kernel, and the stream coming back to userspace (no false loss,
 * duplicate or jitter jump where the kernel stopped); the SRTP contexts following the
 * kernel's indexes while it has the stream (kernel_srtp_follow), never going back. */
#include "kernel_quality.h"

#include <glib.h>
#include <string.h>
#include "call.h"
#include "kernel_srtp.h"
#include "media_crypto.h"
#include "media_quality.h"

static struct ssrc_quality *new_quality(void)
{
	return g_aligned_alloc0(1, sizeof(struct ssrc_quality), 64);
}

/* PCMU at 20 ms: timestamp 160 per sequence number, arrival 20 ms per sequence number */
static void feed(struct ssrc_quality *quality, uint32_t ssrc, uint16_t sequence, int64_t base_us)
{
	unsigned char packet[12] = { 0x80, 0 };
	uint32_t timestamp = (uint32_t) sequence * 160;
	packet[2] = (unsigned char) (sequence >> 8);
	packet[3] = (unsigned char) sequence;
	for (int i = 0; i < 4; i++) {
		packet[4 + i] = (unsigned char) (timestamp >> (24 - 8 * i));
		packet[8 + i] = (unsigned char) (ssrc >> (24 - 8 * i));
	}
	media_quality_rtp(quality, packet, base_us + (int64_t) sequence * 20000);
}

static void kernel_slot(struct kernel_rtp_stats *slot, uint32_t ssrc, uint32_t first, uint32_t highest,
                        uint64_t packets, uint64_t duplicates, uint64_t jitter_us16, int64_t base_us)
{
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->ssrc = ssrc;
	slot->first_sequence = first;
	slot->highest_sequence = highest;
	slot->packets = packets;
	slot->octets = packets * 172;
	slot->duplicates = duplicates;
	slot->jitter_us16 = jitter_us16;
	slot->last_timestamp = (uint32_t) (uint16_t) highest * 160;
	slot->clock_rate = 8000;
	slot->last_arrival_us = base_us + (int64_t) (uint16_t) highest * 20000;
}

static void test_userspace_then_kernel(void)
{
	struct ssrc_quality *quality = new_quality();
	struct kernel_quality_seen seen = { 0 };
	struct kernel_rtp_stats stats[KERNEL_SSRC_SLOTS] = { 0 };
	for (uint16_t sequence = 100; sequence < 110; sequence++)
		feed(quality, 42, sequence, 0);
	/* the kernel forwarded 110..159 less five, one of them twice */
	kernel_slot(&stats[0], 42, 110, 159, 45, 1, 16 * 1500, 0);
	g_assert_cmpuint(kernel_quality_merge(quality, &seen, stats), ==, 45);
	g_assert_cmpuint(quality->received, ==, 55);
	g_assert_cmpuint(media_quality_expected(quality), ==, 60);
	g_assert_cmpuint(media_quality_lost(quality), ==, 5);
	g_assert_cmpuint(quality->duplicates, ==, 1);
	g_assert_cmpuint(media_quality_jitter_ms(quality), ==, 1);
	/* the same figures again add nothing */
	g_assert_cmpuint(kernel_quality_merge(quality, &seen, stats), ==, 0);
	g_assert_cmpuint(quality->received, ==, 55);
	/* a second read: 160..209 all there */
	kernel_slot(&stats[0], 42, 110, 209, 95, 1, 16 * 800, 0);
	g_assert_cmpuint(kernel_quality_merge(quality, &seen, stats), ==, 50);
	g_assert_cmpuint(quality->received, ==, 105);
	g_assert_cmpuint(media_quality_lost(quality), ==, 5);
	g_assert_cmpuint(quality->duplicates, ==, 1);
	/* back in userspace: 210 onwards continues without a false loss, duplicate or jitter */
	for (uint16_t sequence = 210; sequence < 220; sequence++)
		feed(quality, 42, sequence, 0);
	g_assert_cmpuint(quality->received, ==, 115);
	g_assert_cmpuint(media_quality_lost(quality), ==, 5);
	g_assert_cmpuint(quality->duplicates, ==, 0 + 1);
	g_assert_cmpuint(quality->reordered, ==, 0);
	g_assert_cmpuint(quality->jitter_us16, <, 16 * 800);   /* decays, no jump from the hand-back */
	g_free(quality);
}

static void test_across_wrap(void)
{
	struct ssrc_quality *quality = new_quality();
	struct kernel_quality_seen seen = { 0 };
	struct kernel_rtp_stats stats[KERNEL_SSRC_SLOTS] = { 0 };
	for (uint16_t sequence = 65520; sequence < 65530; sequence++)
		feed(quality, 7, sequence, 0);
	/* the kernel's numbers extend from its own first packet: 65530 .. 65535, 0 .. 69 */
	kernel_slot(&stats[1], 7, 65530, 65536 + 69, 76, 0, 0, 0);
	g_assert_cmpuint(kernel_quality_merge(quality, &seen, stats), ==, 76);
	g_assert_cmpuint(media_quality_expected(quality), ==, 86);
	g_assert_cmpuint(media_quality_lost(quality), ==, 0);
	g_assert_cmpuint(quality->highest_sequence, ==, 65536 + 69);
	g_free(quality);
}

static void test_new_ssrc_in_kernel(void)
{
	struct ssrc_quality *quality = new_quality();
	struct kernel_quality_seen seen = { 0 };
	struct kernel_rtp_stats stats[KERNEL_SSRC_SLOTS] = { 0 };
	for (uint16_t sequence = 1; sequence < 11; sequence++)
		feed(quality, 1, sequence, 0);
	kernel_slot(&stats[0], 1, 11, 20, 10, 0, 0, 0);
	g_assert_cmpuint(kernel_quality_merge(quality, &seen, stats), ==, 10);
	/* the sender switched SSRC (slot 1 moved last): the state starts afresh, as userspace's */
	kernel_slot(&stats[1], 2, 5000, 5009, 9, 0, 16 * 3000, 1000000);
	g_assert_cmpuint(kernel_quality_merge(quality, &seen, stats), ==, 9);
	g_assert_cmpuint(quality->ssrc, ==, 2);
	g_assert_cmpuint(quality->received, ==, 9);
	g_assert_cmpuint(media_quality_lost(quality), ==, 1);
	g_assert_cmpuint(media_quality_jitter_ms(quality), ==, 3);
	g_free(quality);
}

static void test_clock_rates(void)
{
	struct kernel_clock_rate rates[KERNEL_CLOCK_RATE_SLOTS];
	kernel_quality_clock_rates(NULL, rates);
	bool found_g722 = false;
	for (unsigned int i = 0; i < KERNEL_CLOCK_RATE_SLOTS; i++) {
		if (!rates[i].clock_rate)
			continue;
		/* what userspace uses for the same payload type */
		g_assert_cmpuint(rates[i].clock_rate, ==, media_quality_clock_rate(rates[i].payload_type));
		g_assert_cmpuint(rates[i].clock_rate, !=, 8000);
		found_g722 |= rates[i].payload_type == 9 || rates[i].payload_type == 6;
	}
	g_assert_true(found_g722);
}

/* a dynamic type's rate comes from the SDP (Opus at 48000), 8000 takes no slot, the SDP's
 * mapping of a static type wins over RFC 3551's, and the static ones fill what is left */
static void test_clock_rates_from_sdp(void)
{
	struct payload_clock_rates sdp = { .count = 4, .payload_types = { 111, 9, 6, 0 },
		.rates = { 48000, 8000, 32000, 8000 } };
	struct kernel_clock_rate rates[KERNEL_CLOCK_RATE_SLOTS];
	kernel_quality_clock_rates(&sdp, rates);
	g_assert_cmpuint(rates[0].payload_type, ==, 111);
	g_assert_cmpuint(rates[0].clock_rate, ==, 48000);
	g_assert_cmpuint(rates[1].payload_type, ==, 6);
	g_assert_cmpuint(rates[1].clock_rate, ==, 32000);
	unsigned int used = 0;
	for (unsigned int i = 0; i < KERNEL_CLOCK_RATE_SLOTS; i++) {
		if (!rates[i].clock_rate)
			continue;
		used++;
		g_assert_cmpuint(rates[i].payload_type, !=, 9);     /* 8000: the kernel's default */
		g_assert_cmpuint(rates[i].payload_type, !=, 0);
		for (unsigned int j = 0; j < i; j++)
			g_assert_cmpuint(rates[j].payload_type, !=, rates[i].payload_type);
	}
	/* the rest of the slots: static types with other rates (10, 11, 16, ...) */
	g_assert_cmpuint(used, ==, KERNEL_CLOCK_RATE_SLOTS);
	g_assert_cmpuint(rates[2].clock_rate, ==, media_quality_clock_rate(rates[2].payload_type));
}

static uint64_t context_index(const struct srtp_context *context, uint32_t ssrc)
{
	struct srtp_rtp_state states[SRTP_SSRC_SLOTS];
	unsigned count = srtp_context_export_rtp(context, states, SRTP_SSRC_SLOTS);
	for (unsigned i = 0; i < count; i++)
		if (states[i].ssrc == ssrc)
			return states[i].window.highest_index;
	return 0;
}

static void test_srtp_follows_kernel(void)
{
	struct media_srtp *srtp = g_new0(struct media_srtp, 1);
	struct media *media = g_new0(struct media, 1);
	media->srtp = srtp;
	struct kernel_srtp_ssrc kernel[KERNEL_SRTP_SSRC_SLOTS] = {
		{ .used = true, .ssrc = 5, .highest_index = 70000, .window = { 0xff, 0 } },
	};
	kernel_srtp_follow(media, false, srtp, kernel);
	g_assert_cmpuint(context_index(&srtp->decrypt, 5), ==, 70000);
	g_assert_cmpuint(context_index(&srtp->encrypt, 5), ==, 0);
	kernel_srtp_follow(media, true, srtp, kernel);
	g_assert_cmpuint(context_index(&srtp->encrypt, 5), ==, 70000);
	/* never back: userspace went further (a packet passed up) */
	kernel[0].highest_index = 60000;
	kernel_srtp_follow(media, false, srtp, kernel);
	g_assert_cmpuint(context_index(&srtp->decrypt, 5), ==, 70000);
	/* a re-key made new contexts: the old target's state means nothing to them */
	kernel[0].highest_index = 80000;
	kernel_srtp_follow(media, false, (const void *) kernel, kernel);
	g_assert_cmpuint(context_index(&srtp->decrypt, 5), ==, 70000);
	kernel_srtp_follow(media, false, srtp, kernel);
	g_assert_cmpuint(context_index(&srtp->decrypt, 5), ==, 80000);
	g_free(media);
	g_free(srtp);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kernel-quality/userspace-then-kernel", test_userspace_then_kernel);
	g_test_add_func("/kernel-quality/across-wrap", test_across_wrap);
	g_test_add_func("/kernel-quality/new-ssrc-in-kernel", test_new_ssrc_in_kernel);
	g_test_add_func("/kernel-quality/clock-rates", test_clock_rates);
	g_test_add_func("/kernel-quality/clock-rates-from-sdp", test_clock_rates_from_sdp);
	g_test_add_func("/kernel-quality/srtp-follows-kernel", test_srtp_follows_kernel);
	return g_test_run();
}
