/* An independent SRTP endpoint for the end-to-end tests, built on libsrtp2 (never linked
 * into the daemon). Reads one packet per line in hex on stdin, writes the protected or
 * unprotected packet in hex (or "error N") per line on stdout.
 *   srtp_peer protect|unprotect|protect-rtcp|unprotect-rtcp SUITE BASE64-KEY-AND-SALT
 * SUITE: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM or AEAD_AES_256_GCM
 * (key and salt: 30, 30, 28 or 44 bytes). */
#include <stdbool.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s protect|unprotect|protect-rtcp|unprotect-rtcp SUITE KEY\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	bool protect = !strncmp(mode, "protect", 7);
	bool rtcp = strstr(mode, "rtcp") != NULL;
	gsize key_length = 0;
	guchar *key = g_base64_decode(argv[3], &key_length);
	srtp_policy_t policy;
	memset(&policy, 0, sizeof(policy));
	gsize expected = 30;
	if (!strcmp(argv[2], "AES_CM_128_HMAC_SHA1_80")) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	} else if (!strcmp(argv[2], "AES_CM_128_HMAC_SHA1_32")) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	} else if (!strcmp(argv[2], "AEAD_AES_128_GCM")) {
		/* RFC 7714: 16-byte key, 12-byte salt, 16-byte tag (DTLS-SRTP keys) */
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
		expected = 28;
	} else if (!strcmp(argv[2], "AEAD_AES_256_GCM")) {
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
		expected = 44;
	} else {
		fprintf(stderr, "unsupported suite %s\n", argv[2]);
		return 2;
	}
	if (key_length != expected) {
		fprintf(stderr, "key and salt must be %zu bytes, got %zu\n", expected, key_length);
		return 2;
	}
	policy.ssrc.type = protect ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = key;
	policy.window_size = 128;
	srtp_t session;
	if (srtp_init() != srtp_err_status_ok || srtp_create(&session, &policy) != srtp_err_status_ok) {
		fprintf(stderr, "libsrtp setup failed\n");
		return 2;
	}
	char line[8192];
	unsigned char packet[4096];
	while (fgets(line, sizeof(line), stdin)) {
		int length = 0;
		for (size_t i = 0; line[i] && line[i + 1] && hex_value(line[i]) >= 0 && length < 4000; i += 2)
			packet[length++] = (unsigned char) (hex_value(line[i]) << 4 | hex_value(line[i + 1]));
		srtp_err_status_t status;
		if (protect)
			status = rtcp ? srtp_protect_rtcp(session, packet, &length) : srtp_protect(session, packet, &length);
		else
			status = rtcp ? srtp_unprotect_rtcp(session, packet, &length) : srtp_unprotect(session, packet, &length);
		if (status != srtp_err_status_ok) {
			printf("error %d\n", (int) status);
			continue;
		}
		for (int i = 0; i < length; i++)
			printf("%02x", packet[i]);
		printf("\n");
	}
	srtp_dealloc(session);
	g_free(key);
	return 0;
}
