/* SDES-SRTP for the load generator's callee side: see loadgen_srtp.h. */
#include "loadgen_srtp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <srtp2/srtp.h>

#define MASTER_KEY_LENGTH 30		/* AES-CM-128: 16-byte key + 14-byte salt (RFC 3711 section 8.2) */

/* --- types --- */

#define SESSION_KEY_LENGTH 16
#define SESSION_SALT_LENGTH 14
#define AUTH_KEY_LENGTH 20		/* RFC 3711 section 8.2: n_a = 160 */
#define SHA1_BLOCK 64
#define MAX_PACKET_BLOCKS 128		/* 2 KiB of keystream: more than any packet here */

/* One direction of one leg: session keys (RFC 3711 section 4.3, kdr 0), the HMAC-SHA1 inner and
 * outer states keyed once (RFC 2104), and the rollover counter of the one SSRC it sees. */
struct srtp_direction {
	EVP_CIPHER_CTX *ecb;		/* AES-128-ECB keyed with the session key: counter blocks in one call */
	SHA_CTX hmac_inner, hmac_outer;
	unsigned char salt[SESSION_SALT_LENGTH];
	uint32_t roc;
	uint16_t highest_seq;
	int started;
};

/* Packets go through this file's own AES-CM/HMAC-SHA1 code (OpenSSL primitives), not libsrtp2
 * per packet: Debian's libsrtp2 is built on NSS, whose cost per packet grows with the number of
 * live contexts (measured: 3 us per protect with one leg, 56 us with 500 legs, 380 us with
 * 1000), so at 500 calls the load generator could not keep its 50 packets/s per socket and the
 * relay's figure measured a slowed-down load. libsrtp2 stays the independent reference: every
 * leg's keys are checked against it when the leg is made (leg_matches_libsrtp2()). */
struct loadgen_srtp_leg {
	struct srtp_direction outbound;
	struct srtp_direction inbound;
};

/* --- static helpers --- */

static const char *selected_suite;
static int tag_length = 10;

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

static int create_libsrtp2_session(srtp_t *session, const char *key_text, int direction_outbound)
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

/* AES-CM keystream blocks E(k, iv + j), j = 0.. (RFC 3711 section 4.1.1), XORed onto data. */
static int aes_cm_xor(EVP_CIPHER_CTX *ecb, const unsigned char iv[16], unsigned char *data, size_t length)
{
	unsigned char counters[MAX_PACKET_BLOCKS * 16], keystream[MAX_PACKET_BLOCKS * 16];
	size_t blocks = (length + 15) / 16;
	int written = 0;
	if (blocks > MAX_PACKET_BLOCKS)
		return -EINVAL;
	for (size_t j = 0; j < blocks; j++) {
		memcpy(counters + 16 * j, iv, 14);
		counters[16 * j + 14] = (unsigned char) (j >> 8);
		counters[16 * j + 15] = (unsigned char) j;
	}
	if (blocks && EVP_EncryptUpdate(ecb, keystream, &written, counters, (int) (blocks * 16)) != 1)
		return -EINVAL;
	for (size_t i = 0; i < length; i++)
		data[i] ^= keystream[i];
	return 0;
}

static EVP_CIPHER_CTX *ecb_context(const unsigned char key[SESSION_KEY_LENGTH])
{
	EVP_CIPHER_CTX *ecb = EVP_CIPHER_CTX_new();
	if (ecb && EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, key, NULL) == 1) {
		EVP_CIPHER_CTX_set_padding(ecb, 0);
		return ecb;
	}
	EVP_CIPHER_CTX_free(ecb);
	return NULL;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"	/* SHA1_*: the cheap way to reuse keyed HMAC states */

/* RFC 3711 section 4.3: session keys from the master key with the AES-CM PRF, kdr 0. */
static int direction_init(struct srtp_direction *direction, const char *key_text)
{
	unsigned char master[MASTER_KEY_LENGTH], key[SESSION_KEY_LENGTH], auth[AUTH_KEY_LENGTH];
	unsigned char pad[SHA1_BLOCK];
	memset(direction, 0, sizeof(*direction));
	if (decode_key(key_text, master) < 0)
		return -EINVAL;
	EVP_CIPHER_CTX *prf = ecb_context(master);
	if (!prf)
		return -EINVAL;
	/* labels 0 (encryption), 1 (authentication), 2 (salt) at byte 7 of the salt */
	unsigned char *outputs[3] = { key, auth, direction->salt };
	size_t lengths[3] = { sizeof(key), sizeof(auth), sizeof(direction->salt) };
	int error = 0;
	for (int label = 0; label < 3 && !error; label++) {
		unsigned char iv[16] = { 0 };
		memcpy(iv, master + SESSION_KEY_LENGTH, SESSION_SALT_LENGTH);
		iv[7] ^= (unsigned char) label;
		memset(outputs[label], 0, lengths[label]);
		error = aes_cm_xor(prf, iv, outputs[label], lengths[label]);
	}
	EVP_CIPHER_CTX_free(prf);
	if (error)
		return error;
	direction->ecb = ecb_context(key);
	if (!direction->ecb)
		return -EINVAL;
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < AUTH_KEY_LENGTH; i++)
		pad[i] ^= auth[i];
	SHA1_Init(&direction->hmac_inner);
	SHA1_Update(&direction->hmac_inner, pad, sizeof(pad));
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	SHA1_Init(&direction->hmac_outer);
	SHA1_Update(&direction->hmac_outer, pad, sizeof(pad));
	return 0;
}

/* RFC 3711 section 4.2: HMAC-SHA1 over the authenticated portion and the ROC. */
static void direction_tag(const struct srtp_direction *direction, const unsigned char *packet, size_t length,
		uint32_t roc, unsigned char digest[SHA_DIGEST_LENGTH])
{
	unsigned char roc_bytes[4] = { (unsigned char) (roc >> 24), (unsigned char) (roc >> 16),
		(unsigned char) (roc >> 8), (unsigned char) roc };
	unsigned char inner[SHA_DIGEST_LENGTH];
	SHA_CTX work = direction->hmac_inner;
	SHA1_Update(&work, packet, length);
	SHA1_Update(&work, roc_bytes, sizeof(roc_bytes));
	SHA1_Final(inner, &work);
	work = direction->hmac_outer;
	SHA1_Update(&work, inner, sizeof(inner));
	SHA1_Final(digest, &work);
}

#pragma GCC diagnostic pop

static void direction_free(struct srtp_direction *direction)
{
	EVP_CIPHER_CTX_free(direction->ecb);
	memset(direction, 0, sizeof(*direction));
}

/* The payload of an RTP packet with a 12-byte header (all this tool sends and expects). */
static int direction_crypt(const struct srtp_direction *direction, unsigned char *packet, size_t length,
		uint32_t roc)
{
	uint16_t seq = (uint16_t) (packet[2] << 8 | packet[3]);
	unsigned char iv[16] = { 0 };
	memcpy(iv, direction->salt, SESSION_SALT_LENGTH);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= packet[8 + i];		/* SSRC * 2^64 */
	uint64_t index = ((uint64_t) roc << 16) | seq;	/* i * 2^16 */
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (unsigned char) (index >> (40 - 8 * i));
	return aes_cm_xor(direction->ecb, iv, packet + 12, length - 12);
}

/* RFC 3711 appendix A: the ROC of a received SEQ, from the highest SEQ seen. */
static uint32_t estimate_roc(const struct srtp_direction *direction, uint16_t seq)
{
	if (!direction->started)
		return 0;
	if (direction->highest_seq < 0x8000) {
		if (seq > direction->highest_seq && seq - direction->highest_seq > 0x8000)
			return direction->roc - 1;
	} else if (direction->highest_seq - 0x8000 > seq) {
		return direction->roc + 1;
	}
	return direction->roc;
}

static void note_seq(struct srtp_direction *direction, uint16_t seq, uint32_t roc)
{
	if (!direction->started || roc > direction->roc || (roc == direction->roc && seq > direction->highest_seq)) {
		direction->roc = roc;
		direction->highest_seq = seq;
		direction->started = 1;
	}
}

static int direction_protect(struct srtp_direction *direction, unsigned char *packet, int length)
{
	if (length < 12 || (packet[0] & 0x1f) != 0)	/* no CSRC, no extension: what fill_packet makes */
		return -EINVAL;
	uint16_t seq = (uint16_t) (packet[2] << 8 | packet[3]);
	uint32_t roc = estimate_roc(direction, seq);
	if (direction_crypt(direction, packet, (size_t) length, roc) < 0)
		return -EINVAL;
	unsigned char digest[SHA_DIGEST_LENGTH];
	direction_tag(direction, packet, (size_t) length, roc, digest);
	memcpy(packet + length, digest, (size_t) tag_length);
	note_seq(direction, seq, roc);
	return length + tag_length;
}

static int direction_unprotect(struct srtp_direction *direction, unsigned char *packet, int length)
{
	if (length < 12 + tag_length || (packet[0] & 0x1f) != 0)
		return -EINVAL;
	int body = length - tag_length;
	uint16_t seq = (uint16_t) (packet[2] << 8 | packet[3]);
	uint32_t roc = estimate_roc(direction, seq);
	unsigned char digest[SHA_DIGEST_LENGTH];
	direction_tag(direction, packet, (size_t) body, roc, digest);
	if (CRYPTO_memcmp(digest, packet + body, (size_t) tag_length))
		return -EACCES;
	if (direction_crypt(direction, packet, (size_t) body, roc) < 0)
		return -EINVAL;
	note_seq(direction, seq, roc);
	return body;
}

/* This file's transform against libsrtp2's for the leg's two keys: a packet libsrtp2 protects
 * with OUR_KEY is byte for byte what ours makes, and one it protects with RELAY_KEY (as the
 * relay should) is accepted by ours. Any difference: the leg is refused. */
static int leg_matches_libsrtp2(const char *our_key, const char *relay_key)
{
	unsigned char reference[200], ours[200];
	srtp_t outbound = NULL, relay = NULL;
	int ok = 0;
	memset(reference, 0xff, sizeof(reference));
	reference[0] = 0x80;
	reference[1] = 0;
	reference[2] = 0xff;	/* SEQ 0xfffe: the next packets wrap the ROC */
	reference[3] = 0xfe;
	memcpy(reference + 8, "\x12\x34\x56\x78", 4);
	if (create_libsrtp2_session(&outbound, our_key, 1) == 0 && create_libsrtp2_session(&relay, relay_key, 1) == 0) {
		struct loadgen_srtp_leg leg;
		if (direction_init(&leg.outbound, our_key) == 0 && direction_init(&leg.inbound, relay_key) == 0) {
			ok = 1;
			for (int n = 0; n < 4 && ok; n++) {
				reference[3] = (unsigned char) (0xfe + n);
				if (n >= 2)
					reference[2] = 0;
				int length = 172;
				memcpy(ours, reference, sizeof(ours));
				ok = srtp_protect(outbound, reference, &length) == srtp_err_status_ok
					&& direction_protect(&leg.outbound, ours, 172) == length
					&& !memcmp(ours, reference, (size_t) length);
				memcpy(reference, ours, 12);
				memset(reference + 12, 0xff, sizeof(reference) - 12);
				length = 172;
				ok = ok && srtp_protect(relay, reference, &length) == srtp_err_status_ok
					&& direction_unprotect(&leg.inbound, reference, length) == 172
					&& reference[12] == 0xff && reference[171] == 0xff;
				memset(reference + 12, 0xff, sizeof(reference) - 12);
			}
		}
		direction_free(&leg.outbound);
		direction_free(&leg.inbound);
	}
	if (outbound)
		srtp_dealloc(outbound);
	if (relay)
		srtp_dealloc(relay);
	return ok ? 0 : -EINVAL;
}

/* --- public functions --- */

int loadgen_srtp_init(const char *suite)
{
	if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") && strcmp(suite, "AES_CM_128_HMAC_SHA1_32"))
		return -EINVAL;
	selected_suite = suite;
	tag_length = strcmp(suite, "AES_CM_128_HMAC_SHA1_32") ? 10 : 4;
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
	if (leg_matches_libsrtp2(our_key, relay_key) < 0)
		return NULL;
	struct loadgen_srtp_leg *leg = calloc(1, sizeof(*leg));
	if (!leg)
		return NULL;
	if (direction_init(&leg->outbound, our_key) < 0 || direction_init(&leg->inbound, relay_key) < 0) {
		loadgen_srtp_leg_free(leg);
		return NULL;
	}
	return leg;
}

void loadgen_srtp_leg_free(struct loadgen_srtp_leg *leg)
{
	if (!leg)
		return;
	direction_free(&leg->outbound);
	direction_free(&leg->inbound);
	free(leg);
}

int loadgen_srtp_protect(struct loadgen_srtp_leg *leg, char *packet, int length)
{
	return direction_protect(&leg->outbound, (unsigned char *) packet, length);
}

int loadgen_srtp_unprotect(struct loadgen_srtp_leg *leg, char *packet, int length)
{
	return direction_unprotect(&leg->inbound, (unsigned char *) packet, length);
}
