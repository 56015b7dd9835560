/* SDES-SRTP for the load generator's callee side: see loadgen_srtp.h. */
#include "loadgen_srtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#define MASTER_KEY_LENGTH 30		/* AES-CM-128: 16-byte key + 14-byte salt (RFC 3711 section 8.2) */

/* --- types --- */

struct loadgen_srtp_leg {
	srtp_t outbound;
	srtp_t inbound;
};

/* --- static helpers --- */

static const char *selected_suite;

static void set_crypto_policy(srtp_policy_t *policy)
{
	if (!strcmp(selected_suite, "AES_CM_128_HMAC_SHA1_32"))
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
	else
		srtp_crypto_policy_set_rtp_default(&policy->rtp);
	srtp_crypto_policy_set_rtcp_default(&policy->rtcp);
}

static int decode_key(const char *text, unsigned char *key)
{
	unsigned char decoded[64];
	size_t length = strlen(text);
	if (length == 0 || length > 44)
		return -EINVAL;
	int decoded_length = EVP_DecodeBlock(decoded, (const unsigned char *) text, (int) length);
	/* EVP_DecodeBlock counts "=" padding as zero bytes; 30 bytes encode to 40 characters, no padding */
	if (decoded_length < MASTER_KEY_LENGTH)
		return -EINVAL;
	memcpy(key, decoded, MASTER_KEY_LENGTH);
	return 0;
}

static int create_session(srtp_t *session, const char *key_text, int direction_outbound)
{
	unsigned char key[MASTER_KEY_LENGTH];
	if (decode_key(key_text, key) < 0)
		return -EINVAL;
	srtp_policy_t policy;
	memset(&policy, 0, sizeof(policy));
	set_crypto_policy(&policy);
	policy.ssrc.type = direction_outbound ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = key;
	policy.window_size = 128;
	return srtp_create(session, &policy) == srtp_err_status_ok ? 0 : -EINVAL;
}

/* --- public functions --- */

int loadgen_srtp_init(const char *suite)
{
	if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") && strcmp(suite, "AES_CM_128_HMAC_SHA1_32"))
		return -EINVAL;
	selected_suite = suite;
	return srtp_init() == srtp_err_status_ok ? 0 : -EINVAL;
}

const char *loadgen_srtp_suite(void)
{
	return selected_suite;
}

int loadgen_srtp_make_key(char *text, size_t size)
{
	unsigned char key[MASTER_KEY_LENGTH];
	if (size < LOADGEN_SRTP_KEY_TEXT || RAND_bytes(key, sizeof(key)) != 1)
		return -EINVAL;
	EVP_EncodeBlock((unsigned char *) text, key, sizeof(key));
	return 0;
}

int loadgen_srtp_find_crypto(const char *sdp, size_t length, int *tag, char *key, size_t key_size)
{
	const char *end = sdp + length, *line = sdp;
	size_t suite_length = strlen(selected_suite);
	while (line < end) {
		const char *line_end = memchr(line, '\n', end - line);
		if (!line_end)
			line_end = end;
		/* RFC 4568 section 9.1: a=crypto:TAG SP SUITE SP inline:KEY[|lifetime][|MKI:length] */
		if (line_end - line > 9 && !memcmp(line, "a=crypto:", 9)) {
			char *after_tag;
			long value = strtol(line + 9, &after_tag, 10);
			if (after_tag < line_end && *after_tag == ' ' &&
					(size_t) (line_end - after_tag) > suite_length + 9 &&
					!memcmp(after_tag + 1, selected_suite, suite_length) &&
					!memcmp(after_tag + 1 + suite_length, " inline:", 8)) {
				const char *start = after_tag + 1 + suite_length + 8, *stop = start;
				while (stop < line_end && *stop != '|' && *stop != ' ' && *stop != '\r')
					stop++;
				if ((size_t) (stop - start) >= key_size)
					return -EINVAL;
				memcpy(key, start, stop - start);
				key[stop - start] = '\0';
				*tag = (int) value;
				return 0;
			}
		}
		line = line_end + 1;
	}
	return -ENOENT;
}

struct loadgen_srtp_leg *loadgen_srtp_leg_new(const char *our_key, const char *relay_key)
{
	struct loadgen_srtp_leg *leg = calloc(1, sizeof(*leg));
	if (!leg)
		return NULL;
	if (create_session(&leg->outbound, our_key, 1) < 0) {
		free(leg);
		return NULL;
	}
	if (create_session(&leg->inbound, relay_key, 0) < 0) {
		srtp_dealloc(leg->outbound);
		free(leg);
		return NULL;
	}
	return leg;
}

void loadgen_srtp_leg_free(struct loadgen_srtp_leg *leg)
{
	if (!leg)
		return;
	srtp_dealloc(leg->outbound);
	srtp_dealloc(leg->inbound);
	free(leg);
}

int loadgen_srtp_protect(struct loadgen_srtp_leg *leg, char *packet, int length)
{
	return srtp_protect(leg->outbound, packet, &length) == srtp_err_status_ok ? length : -EINVAL;
}

int loadgen_srtp_unprotect(struct loadgen_srtp_leg *leg, char *packet, int length)
{
	return srtp_unprotect(leg->inbound, packet, &length) == srtp_err_status_ok ? length : -EINVAL;
}
