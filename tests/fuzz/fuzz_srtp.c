/* libFuzzer target for lib/srtp.c. The first input byte picks the suite (low nibble), RTP or
 * RTCP (0x10), an MKI (0x20) and the UNENCRYPTED session flags (0x40); the rest is a packet.
 * With a fixed key, unprotecting arbitrary bytes must never read or write out of bounds, and
 * protecting arbitrary bytes must give a packet that a fresh receiver unprotects back to the
 * same bytes. Seeds in tests/fuzz/corpus/srtp are packets protected with this key. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp.h"

static const unsigned char fixed_key[32] = "0123456789abcdefghijklmnopqrstu";
static const unsigned char fixed_salt[14] = "saltsaltsalts";
static const unsigned char fixed_mki[2] = { 0x12, 0x34 };

static int setup(struct srtp_context *ctx, uint8_t selector)
{
	enum srtp_suite suite = (enum srtp_suite) ((selector & 0x0f) % SRTP_SUITE_COUNT);
	if (srtp_context_init(ctx, suite, fixed_key, srtp_suite_master_key_length(suite), fixed_salt,
	                      srtp_suite_master_salt_length(suite)) != 0)
		return -1;
	if (selector & 0x20)
		srtp_context_set_mki(ctx, fixed_mki, sizeof(fixed_mki));
	if (selector & 0x40)
		/* -ENOTSUP for GCM, which then simply stays encrypted */
		srtp_context_set_session_flags(ctx, SRTP_UNENCRYPTED_SRTP | SRTP_UNENCRYPTED_SRTCP);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t selector = data[0];
	bool rtcp = selector & 0x10;
	const uint8_t *packet = data + 1;
	size_t length = size - 1;

	struct srtp_context receiver, sender, checker;
	if (setup(&receiver, selector) || setup(&sender, selector) || setup(&checker, selector))
		__builtin_trap();

	/* 1. Unprotect the bytes as they are, from an exact-size heap copy. */
	unsigned char *copy = malloc(length ? length : 1);
	memcpy(copy, packet, length);
	int ret = rtcp ? srtp_context_unprotect_rtcp(&receiver, copy, length)
	               : srtp_context_unprotect_rtp(&receiver, copy, length);
	if (ret > (int) length)
		__builtin_trap();
	free(copy);

	/* 2. Protect them with room for the trailer only, then unprotect with a fresh receiver. */
	size_t capacity = length + SRTP_MAX_TRAILER_LENGTH;
	unsigned char *buffer = malloc(capacity);
	memcpy(buffer, packet, length);
	int protected_length = rtcp ? srtp_context_protect_rtcp(&sender, buffer, length, capacity)
	                            : srtp_context_protect_rtp(&sender, buffer, length, capacity);
	if (protected_length > 0) {
		if ((size_t) protected_length > capacity || (size_t) protected_length <= length)
			__builtin_trap();
		int unprotected = rtcp ? srtp_context_unprotect_rtcp(&checker, buffer, (size_t) protected_length)
		                       : srtp_context_unprotect_rtp(&checker, buffer, (size_t) protected_length);
		if (unprotected != (int) length || memcmp(buffer, packet, length) != 0)
			__builtin_trap();
	}
	free(buffer);

	srtp_context_cleanup(&receiver);
	srtp_context_cleanup(&sender);
	srtp_context_cleanup(&checker);
	return 0;
}
