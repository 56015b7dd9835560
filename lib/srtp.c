/* SRTP/SRTCP transforms (RFC 3711; RFC 6188 for AES-192/256; RFC 7714 for AES-GCM).
 *
 * Layouts this file produces and accepts (MKI optional everywhere):
 *   SRTP, AES-CM/f8/NULL: header | encrypted payload | MKI | tag(10 or 4) (RFC 3711 section 3.1)
 *   SRTP, AES-GCM:      header | encrypted payload | tag(16) | MKI         (RFC 7714 section 8)
 *   SRTCP, AES-CM/NULL: header(8) | encrypted | E+index(4) | MKI | tag(10) (RFC 3711 section 3.4)
 *   SRTCP, AES-GCM:     header(8) | encrypted | tag(16) | E+index(4) | MKI (RFC 7714 section 9)
 * The HMAC covers header and (encrypted) payload, plus the ROC for SRTP (RFC 3711 section 4.2)
 * or the E+index word for SRTCP; GCM authenticates the header (and E+index) as AAD. */
#include "srtp.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "log.h"

enum srtp_cipher_kind { CIPHER_NULL, CIPHER_AES_CM, CIPHER_AES_GCM, CIPHER_AES_F8 };

struct srtp_suite_info {
	const char *name;
	const char *dtls_profile_name;    /* OpenSSL's name, NULL when DTLS-SRTP has no profile */
	uint16_t dtls_profile;            /* RFC 5764 / RFC 7714 protection profile ID, 0 if none */
	enum srtp_cipher_kind cipher;
	uint8_t master_key_length;
	uint8_t master_salt_length;
	uint8_t rtp_tag_length;
	uint8_t rtcp_tag_length;
};

/* RFC 4568 section 6.2, RFC 6188 section 7.1, RFC 7714 section 14.2. The *_32 suites shorten
 * only the SRTP tag: SRTCP keeps 80 bits (RFC 4568 section 6.2.2). */
static const struct srtp_suite_info suites[SRTP_SUITE_COUNT] = {
	[SRTP_AES_CM_128_HMAC_SHA1_80] = { "AES_CM_128_HMAC_SHA1_80", "SRTP_AES128_CM_SHA1_80", 0x0001,
		CIPHER_AES_CM, 16, 14, 10, 10 },
	[SRTP_AES_CM_128_HMAC_SHA1_32] = { "AES_CM_128_HMAC_SHA1_32", "SRTP_AES128_CM_SHA1_32", 0x0002,
		CIPHER_AES_CM, 16, 14, 4, 10 },
	[SRTP_AES_192_CM_HMAC_SHA1_80] = { "AES_192_CM_HMAC_SHA1_80", NULL, 0,
		CIPHER_AES_CM, 24, 14, 10, 10 },
	[SRTP_AES_192_CM_HMAC_SHA1_32] = { "AES_192_CM_HMAC_SHA1_32", NULL, 0,
		CIPHER_AES_CM, 24, 14, 4, 10 },
	[SRTP_AES_256_CM_HMAC_SHA1_80] = { "AES_256_CM_HMAC_SHA1_80", NULL, 0,
		CIPHER_AES_CM, 32, 14, 10, 10 },
	[SRTP_AES_256_CM_HMAC_SHA1_32] = { "AES_256_CM_HMAC_SHA1_32", NULL, 0,
		CIPHER_AES_CM, 32, 14, 4, 10 },
	[SRTP_NULL_HMAC_SHA1_80] = { "NULL_HMAC_SHA1_80", "SRTP_NULL_SHA1_80", 0x0005,
		CIPHER_NULL, 16, 14, 10, 10 },
	[SRTP_NULL_HMAC_SHA1_32] = { "NULL_HMAC_SHA1_32", "SRTP_NULL_SHA1_32", 0x0006,
		CIPHER_NULL, 16, 14, 4, 10 },
	[SRTP_AEAD_AES_128_GCM] = { "AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM", 0x0007,
		CIPHER_AES_GCM, 16, 12, 16, 16 },
	[SRTP_AEAD_AES_256_GCM] = { "AEAD_AES_256_GCM", "SRTP_AEAD_AES_256_GCM", 0x0008,
		CIPHER_AES_GCM, 32, 12, 16, 16 },
	/* RFC 4568 section 6.2.3; no DTLS-SRTP profile */
	[SRTP_F8_128_HMAC_SHA1_80] = { "F8_128_HMAC_SHA1_80", NULL, 0, CIPHER_AES_F8, 16, 14, 10, 10 },
	[SRTP_F8_128_HMAC_SHA1_32] = { "F8_128_HMAC_SHA1_32", NULL, 0, CIPHER_AES_F8, 16, 14, 4, 10 },
};

#define RTP_FIXED_HEADER_LENGTH 12
#define RTCP_HEADER_LENGTH 8
#define SRTCP_INDEX_LENGTH 4
#define SRTCP_E_BIT 0x80000000u
#define SRTCP_MAX_INDEX 0x7fffffffu
#define HMAC_SHA1_LENGTH 20
#define SESSION_AUTH_KEY_LENGTH 20 /* RFC 3711 section 8.2: n_a = 160 */
#define GCM_IV_LENGTH 12
#define GCM_TAG_LENGTH 16
#define SHA1_BLOCK_LENGTH 64
#define AES_BLOCK_LENGTH 16
#define AES_CM_CHUNK_BLOCKS 64     /* keystream made 1 KiB at a time, on the stack */

/* HMAC-SHA1 (RFC 2104) with the keyed inner and outer states computed once per session key:
 * a packet costs a struct copy and its own SHA-1 blocks. OpenSSL 3's EVP_MAC re-initialisation
 * duplicates two provider digest contexts per call (two allocations and frees per packet; with
 * the IV reset of EVP_CIPHER that was most of this file's cost per packet, measured with perf).
 * The low-level SHA1_* functions are deprecated in OpenSSL 3 but remain its supported SHA-1
 * code; they are used here, and only here, for that reason. */
struct hmac_sha1_state {
	SHA_CTX inner;
	SHA_CTX outer;
};

/* KDF labels, RFC 3711 section 4.3.2 */
#define LABEL_RTP_ENCRYPTION 0
#define LABEL_RTP_AUTHENTICATION 1
#define LABEL_RTP_SALT 2
#define LABEL_RTCP_ENCRYPTION 3
#define LABEL_RTCP_AUTHENTICATION 4
#define LABEL_RTCP_SALT 5

/* ---- small helpers ---- */

static uint16_t read_u16(const unsigned char *p)
{
	return (uint16_t) ((p[0] << 8) | p[1]);
}

static uint32_t read_u32(const unsigned char *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static void write_u32(unsigned char *p, uint32_t value)
{
	p[0] = (unsigned char) (value >> 24);
	p[1] = (unsigned char) (value >> 16);
	p[2] = (unsigned char) (value >> 8);
	p[3] = (unsigned char) value;
}

static bool suite_valid(enum srtp_suite suite)
{
	return (unsigned) suite < SRTP_SUITE_COUNT;
}

static const EVP_CIPHER *ctr_cipher_for_key(size_t key_length)
{
	switch (key_length) {
	case 16: return EVP_aes_128_ctr();
	case 24: return EVP_aes_192_ctr();
	case 32: return EVP_aes_256_ctr();
	default: return NULL;
	}
}

static const EVP_CIPHER *ecb_cipher_for_key(size_t key_length)
{
	switch (key_length) {
	case 16: return EVP_aes_128_ecb();
	case 24: return EVP_aes_192_ecb();
	case 32: return EVP_aes_256_ecb();
	default: return NULL;
	}
}

/* ---- key derivation (RFC 3711 section 4.3) ---- */

static int derive_with_cipher(EVP_CIPHER_CTX *prf, const unsigned char *master_salt, size_t salt_length,
                              uint8_t label, unsigned char *out, size_t out_length)
{
	/* x = key_id XOR master_salt, key_id = label || r with r = 0 (kdr 0), both 112 bits wide
	 * (label at byte 7); the PRF input is x * 2^16 (section 4.3.3). */
	unsigned char iv[16] = { 0 };
	memcpy(iv, master_salt, salt_length);
	iv[7] ^= label;
	if (EVP_EncryptInit_ex(prf, NULL, NULL, NULL, iv) != 1)
		return -ENOMEM;
	memset(out, 0, out_length);
	int written = 0;
	if (EVP_EncryptUpdate(prf, out, &written, out, (int) out_length) != 1 || (size_t) written != out_length)
		return -ENOMEM;
	return 0;
}

/* ---- replay window (RFC 3711 section 3.3.2) ---- */

/* 0 if index may be accepted, -EALREADY if seen or older than the window. */
static int window_check(const struct srtp_replay_window *window, uint64_t index)
{
	if (index > window->highest_index)
		return 0;
	uint64_t age = window->highest_index - index;
	if (age >= SRTP_REPLAY_WINDOW)
		return -EALREADY;
	return (window->received[age / 64] >> (age % 64)) & 1 ? -EALREADY : 0;
}

static void window_accept(struct srtp_replay_window *window, uint64_t index)
{
	if (index > window->highest_index) {
		uint64_t shift = index - window->highest_index;
		if (shift >= SRTP_REPLAY_WINDOW) {
			window->received[0] = window->received[1] = 0;
		} else if (shift >= 64) {
			window->received[1] = window->received[0] << (shift - 64);
			window->received[0] = 0;
		} else {
			window->received[1] = (window->received[1] << shift) | (window->received[0] >> (64 - shift));
			window->received[0] <<= shift;
		}
		window->highest_index = index;
		window->received[0] |= 1;
		return;
	}
	uint64_t age = window->highest_index - index;
	if (age < SRTP_REPLAY_WINDOW)
		window->received[age / 64] |= (uint64_t) 1 << (age % 64);
}

static void window_start(struct srtp_replay_window *window, uint64_t index)
{
	window->highest_index = index;
	window->received[0] = 1;
	window->received[1] = 0;
}

/* RFC 3711 section 3.3.1 / appendix A: the index whose SEQ is seq and which is closest to the
 * highest index seen (ROC - 1, ROC or ROC + 1). Returns false when the guess would need a negative
 * ROC: such a packet predates the stream and is treated as too old. */
static bool rtp_index_guess(uint64_t highest_index, uint16_t seq, uint64_t *index)
{
	uint64_t roc = highest_index >> 16;
	uint16_t highest_seq = (uint16_t) highest_index;
	if (highest_seq < 0x8000) {
		if (seq > highest_seq && seq - highest_seq > 0x8000) {
			if (roc == 0)
				return false;
			roc--;
		}
	} else if (highest_seq - 0x8000 > seq) {
		roc++;
	}
	*index = ((roc << 16) | seq) & 0xffffffffffffull;
	return true;
}

/* ---- per-SSRC slots ---- */

static struct srtp_ssrc_state *find_slot(struct srtp_context *ctx, uint32_t ssrc, bool rtcp)
{
	for (int i = 0; i < SRTP_SSRC_SLOTS; i++) {
		struct srtp_ssrc_state *slot = &ctx->ssrcs[i];
		if ((slot->rtp_seen || slot->rtcp_seen) && slot->ssrc == ssrc)
			return (rtcp ? slot->rtcp_seen : slot->rtp_seen) ? slot : NULL;
	}
	return NULL;
}

/* The slot for ssrc: its own, else a free one, else the least recently used one (wiped). */
static struct srtp_ssrc_state *claim_slot(struct srtp_context *ctx, uint32_t ssrc)
{
	struct srtp_ssrc_state *free_slot = NULL, *oldest = &ctx->ssrcs[0];
	for (int i = 0; i < SRTP_SSRC_SLOTS; i++) {
		struct srtp_ssrc_state *slot = &ctx->ssrcs[i];
		bool in_use = slot->rtp_seen || slot->rtcp_seen;
		if (in_use && slot->ssrc == ssrc)
			return slot;
		if (!in_use && !free_slot)
			free_slot = slot;
		if (slot->last_used < oldest->last_used)
			oldest = slot;
	}
	struct srtp_ssrc_state *slot = free_slot ? free_slot : oldest;
	memset(slot, 0, sizeof(*slot));
	slot->ssrc = ssrc;
	return slot;
}

/* Records an accepted RTP index (after authentication, or after protecting). */
static void accept_rtp_index(struct srtp_context *ctx, uint32_t ssrc, uint64_t index)
{
	struct srtp_ssrc_state *slot = claim_slot(ctx, ssrc);
	if (!slot->rtp_seen) {
		window_start(&slot->rtp, index);
		slot->rtp_seen = true;
	} else {
		window_accept(&slot->rtp, index);
	}
	slot->last_used = ++ctx->use_counter;
}

/* ---- the two transforms ---- */

/* AES-CM (RFC 3711 section 4.1.1): IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), with
 * i the 48-bit SRTP index or the 31-bit SRTCP index; keystream block j is E(k_e, IV + j), the
 * block counter j taking the low 16 bits. The counter blocks go through the session's AES-ECB
 * context in one call: resetting an EVP CTR context's IV per packet costs more than the
 * encryption itself in OpenSSL 3 (parameter lookups by name). */
static int aes_cm_crypt(const struct srtp_session_keys *keys, uint32_t ssrc, uint64_t index, unsigned char *data,
                        size_t length)
{
	unsigned char iv[AES_BLOCK_LENGTH] = { 0 };
	memcpy(iv, keys->salt, 14);
	iv[4] ^= (unsigned char) (ssrc >> 24);
	iv[5] ^= (unsigned char) (ssrc >> 16);
	iv[6] ^= (unsigned char) (ssrc >> 8);
	iv[7] ^= (unsigned char) ssrc;
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (unsigned char) (index >> (40 - 8 * i));
	unsigned char counters[AES_CM_CHUNK_BLOCKS * AES_BLOCK_LENGTH];
	unsigned char keystream[AES_CM_CHUNK_BLOCKS * AES_BLOCK_LENGTH];
	unsigned int block = 0;
	for (size_t offset = 0; offset < length;) {
		size_t chunk = length - offset < sizeof(keystream) ? length - offset : sizeof(keystream);
		unsigned int blocks = (unsigned int) ((chunk + AES_BLOCK_LENGTH - 1) / AES_BLOCK_LENGTH);
		if (block + blocks > 0x10000)
			return -EINVAL;     /* 2^16 blocks: 1 MiB, far beyond any packet */
		for (unsigned int b = 0; b < blocks; b++, block++) {
			unsigned char *counter = counters + b * AES_BLOCK_LENGTH;
			memcpy(counter, iv, 14);
			counter[14] = (unsigned char) (block >> 8);
			counter[15] = (unsigned char) block;
		}
		int written = 0;
		if (EVP_EncryptUpdate(keys->cipher, keystream, &written, counters,
				      (int) (blocks * AES_BLOCK_LENGTH)) != 1)
			return -EINVAL;
		size_t i = 0;
		for (; i + sizeof(uint64_t) <= chunk; i += sizeof(uint64_t)) {
			uint64_t word, key_word;
			memcpy(&word, data + offset + i, sizeof(word));
			memcpy(&key_word, keystream + i, sizeof(key_word));
			word ^= key_word;
			memcpy(data + offset + i, &word, sizeof(word));
		}
		for (; i < chunk; i++)
			data[offset + i] ^= keystream[i];
		offset += chunk;
	}
	return 0;
}

/* AES-f8 (RFC 3711 section 4.1.2.1): IV' = E(k_e XOR m, IV), S(-1) = 0,
 * S(j) = E(k_e, IV' XOR j XOR S(j-1)), the keystream S(0) || S(1) || ... XORed onto the data.
 * ecb is keyed with k_e, iv_ecb with k_e XOR m (both AES-ECB without padding). */
static int aes_f8_crypt(EVP_CIPHER_CTX *ecb, EVP_CIPHER_CTX *iv_ecb, const unsigned char iv[16], unsigned char *data,
                        size_t length)
{
	unsigned char iv_prime[16], stream[16] = { 0 }, block[16];
	int written = 0;
	if (EVP_EncryptUpdate(iv_ecb, iv_prime, &written, iv, 16) != 1 || written != 16)
		return -EINVAL;
	uint32_t j = 0;
	for (size_t offset = 0; offset < length; offset += 16, j++) {
		for (int k = 0; k < 16; k++)
			block[k] = iv_prime[k] ^ stream[k];
		/* j as a 128-bit counter: a packet has far fewer than 2^32 blocks */
		block[12] ^= (unsigned char) (j >> 24);
		block[13] ^= (unsigned char) (j >> 16);
		block[14] ^= (unsigned char) (j >> 8);
		block[15] ^= (unsigned char) j;
		if (EVP_EncryptUpdate(ecb, stream, &written, block, 16) != 1 || written != 16)
			return -EINVAL;
		size_t chunk = length - offset < 16 ? length - offset : 16;
		for (size_t k = 0; k < chunk; k++)
			data[offset + k] ^= stream[k];
	}
	OPENSSL_cleanse(stream, sizeof(stream));
	return 0;
}

/* RFC 3711 section 4.1.2.2: IV = 0x00 || M || PT || SEQ || TS || SSRC || ROC. */
static int aes_f8_rtp(const struct srtp_session_keys *keys, const unsigned char *header, uint32_t roc,
                      unsigned char *data, size_t length)
{
	unsigned char iv[16] = { 0 };
	memcpy(iv + 1, header + 1, 11);
	write_u32(iv + 12, roc);
	return aes_f8_crypt(keys->cipher, keys->f8_iv_cipher, iv, data, length);
}

/* RFC 3711 section 4.1.2.3: IV = 0..0 (32 bits) || E || SRTCP index || the first 64 bits of the
 * RTCP header (V, P, RC, PT, length, SSRC). */
static int aes_f8_rtcp(const struct srtp_session_keys *keys, const unsigned char *header, uint32_t e_and_index,
                       unsigned char *data, size_t length)
{
	unsigned char iv[16] = { 0 };
	write_u32(iv + 4, e_and_index);
	memcpy(iv + 8, header, 8);
	return aes_f8_crypt(keys->cipher, keys->f8_iv_cipher, iv, data, length);
}

/* The two ECB contexts of AES-f8 from the session key and salt (RFC 3711 section 4.1.2.1:
 * m = k_s || 0x555..5, as long as the key). */
static int f8_setup(EVP_CIPHER_CTX **ecb, EVP_CIPHER_CTX **iv_ecb, const unsigned char *key, size_t key_length,
                    const unsigned char *salt, size_t salt_length)
{
	if (key_length != 16 || salt_length > key_length)
		return -EINVAL;
	unsigned char masked[16];
	memset(masked, 0x55, sizeof(masked));
	memcpy(masked, salt, salt_length);
	for (size_t i = 0; i < key_length; i++)
		masked[i] ^= key[i];
	*ecb = EVP_CIPHER_CTX_new();
	*iv_ecb = EVP_CIPHER_CTX_new();
	int ret = -ENOMEM;
	if (*ecb && *iv_ecb && EVP_EncryptInit_ex(*ecb, EVP_aes_128_ecb(), NULL, key, NULL) == 1
	    && EVP_EncryptInit_ex(*iv_ecb, EVP_aes_128_ecb(), NULL, masked, NULL) == 1) {
		EVP_CIPHER_CTX_set_padding(*ecb, 0);
		EVP_CIPHER_CTX_set_padding(*iv_ecb, 0);
		ret = 0;
	}
	OPENSSL_cleanse(masked, sizeof(masked));
	return ret;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"   /* SHA1_*: see struct hmac_sha1_state */

/* RFC 2104 section 2: the inner state has absorbed K XOR ipad, the outer one K XOR opad. */
static int hmac_sha1_key(struct hmac_sha1_state *state, const unsigned char *key, size_t key_length)
{
	unsigned char pad[SHA1_BLOCK_LENGTH];
	if (key_length > sizeof(pad))
		return -EINVAL;
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < key_length; i++)
		pad[i] ^= key[i];
	int ok = SHA1_Init(&state->inner) && SHA1_Update(&state->inner, pad, sizeof(pad));
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && SHA1_Init(&state->outer) && SHA1_Update(&state->outer, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
	return ok ? 0 : -ENOMEM;
}

/* HMAC-SHA1 over data and an optional 4-byte trailer (the ROC for SRTP), full 20 bytes out. */
static int hmac_sha1(const struct srtp_session_keys *keys, const unsigned char *data, size_t length,
                     const unsigned char *trailer, unsigned char out[HMAC_SHA1_LENGTH])
{
	const struct hmac_sha1_state *state = keys->mac;
	unsigned char inner_digest[SHA_DIGEST_LENGTH];
	SHA_CTX work = state->inner;
	int ok = SHA1_Update(&work, data, length) && (!trailer || SHA1_Update(&work, trailer, 4))
		 && SHA1_Final(inner_digest, &work);
	work = state->outer;
	ok = ok && SHA1_Update(&work, inner_digest, sizeof(inner_digest)) && SHA1_Final(out, &work);
	/* No OPENSSL_cleanse(&work) (a quarter of this function's own instructions besides the
	 * SHA-1 blocks): the keyed states copied into work are gone once SHA1_Final has run (it
	 * always processes a block, and wipes its data buffer), leaving the digest, which is
	 * the output, and the length counters. */
	return ok ? 0 : -EINVAL;
}

#pragma GCC diagnostic pop

/* AES-GCM (RFC 7714 sections 8.1 and 9.1): IV = salt XOR (00 00 || SSRC || 48-bit counter), the
 * counter being ROC || SEQ for SRTP and 00 00 || 0 || 31-bit index for SRTCP. Encrypts or decrypts
 * data in place; decryption checks tag and returns -EACCES on mismatch (data is then garbage). */
static int aes_gcm_crypt(const struct srtp_session_keys *keys, bool encrypt, uint32_t ssrc, uint64_t counter,
                         const unsigned char *aad, size_t aad_length, const unsigned char *aad_extra,
                         size_t aad_extra_length, unsigned char *data, size_t length, unsigned char *tag)
{
	unsigned char iv[GCM_IV_LENGTH] = { 0 };
	write_u32(iv + 2, ssrc);
	for (int i = 0; i < 6; i++)
		iv[6 + i] = (unsigned char) (counter >> (40 - 8 * i));
	for (int i = 0; i < GCM_IV_LENGTH; i++)
		iv[i] ^= keys->salt[i];

	EVP_CIPHER_CTX *cipher = keys->cipher;
	int written = 0;
	if (EVP_CipherInit_ex(cipher, NULL, NULL, NULL, iv, encrypt ? 1 : 0) != 1 ||
	    EVP_CipherUpdate(cipher, NULL, &written, aad, (int) aad_length) != 1)
		return -EINVAL;
	if (aad_extra_length && EVP_CipherUpdate(cipher, NULL, &written, aad_extra, (int) aad_extra_length) != 1)
		return -EINVAL;
	if (length && EVP_CipherUpdate(cipher, data, &written, data, (int) length) != 1)
		return -EINVAL;
	if (!encrypt && EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LENGTH, tag) != 1)
		return -EINVAL;
	unsigned char final_block[16];
	if (EVP_CipherFinal_ex(cipher, final_block, &written) != 1)
		return encrypt ? -EINVAL : -EACCES;
	if (encrypt && EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LENGTH, tag) != 1)
		return -EINVAL;
	return 0;
}

/* ---- packet parsing ---- */

/* Length of the RTP header with CSRCs and extension (RFC 3550 section 5.1/5.3.1), or -EINVAL. */
static int rtp_header_length(const unsigned char *packet, size_t length)
{
	if (length < RTP_FIXED_HEADER_LENGTH || (packet[0] >> 6) != 2)
		return -EINVAL;
	size_t header = RTP_FIXED_HEADER_LENGTH + 4u * (packet[0] & 0x0f);
	if (packet[0] & 0x10) {
		if (header + 4 > length)
			return -EINVAL;
		header += 4 + 4u * read_u16(packet + header + 2);
	}
	if (header > length)
		return -EINVAL;
	return (int) header;
}

static bool rtcp_header_valid(const unsigned char *packet, size_t length)
{
	return length >= RTCP_HEADER_LENGTH && (packet[0] >> 6) == 2;
}

/* The suite of an initialised context, NULL for a zeroed or cleaned-up one. */
static const struct srtp_suite_info *context_suite(const struct srtp_context *ctx)
{
	if (!suite_valid(ctx->suite) || (!ctx->rtp.mac && !ctx->rtp.cipher))
		return NULL;
	return &suites[ctx->suite];
}

static size_t rtp_tag_length(const struct srtp_context *ctx, const struct srtp_suite_info *info)
{
	return (ctx->session_flags & SRTP_UNAUTHENTICATED_SRTP) ? 0 : info->rtp_tag_length;
}

/* ---- session key setup ---- */

static int setup_session_keys(struct srtp_session_keys *keys, const struct srtp_suite_info *info,
                              EVP_CIPHER_CTX *prf, const unsigned char *master_salt, size_t salt_length,
                              uint8_t first_label)
{
	unsigned char key[SRTP_MAX_MASTER_KEY_LENGTH];
	unsigned char auth_key[SESSION_AUTH_KEY_LENGTH];
	int ret = -ENOMEM;

	if (derive_with_cipher(prf, master_salt, salt_length, first_label + 2, keys->salt, info->master_salt_length))
		goto out;
	if (info->cipher != CIPHER_NULL) {
		if (derive_with_cipher(prf, master_salt, salt_length, first_label, key, info->master_key_length))
			goto out;
		if (info->cipher == CIPHER_AES_F8) {
			EVP_CIPHER_CTX *ecb = NULL, *iv_ecb = NULL;
			int error = f8_setup(&ecb, &iv_ecb, key, info->master_key_length, keys->salt,
			                     info->master_salt_length);
			keys->cipher = ecb;
			keys->f8_iv_cipher = iv_ecb;
			if (error)
				goto out;
		} else {
			/* AES-CM makes its counter blocks itself and encrypts them in ECB mode */
			const EVP_CIPHER *cipher = ecb_cipher_for_key(info->master_key_length);
			if (info->cipher == CIPHER_AES_GCM)
				cipher = info->master_key_length == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
			keys->cipher = EVP_CIPHER_CTX_new();
			if (!keys->cipher || EVP_EncryptInit_ex(keys->cipher, cipher, NULL, key, NULL) != 1)
				goto out;
			if (info->cipher == CIPHER_AES_CM)
				EVP_CIPHER_CTX_set_padding(keys->cipher, 0);
		}
	}
	if (info->cipher != CIPHER_AES_GCM) {
		if (derive_with_cipher(prf, master_salt, salt_length, first_label + 1, auth_key, sizeof(auth_key)))
			goto out;
		keys->mac = OPENSSL_zalloc(sizeof(struct hmac_sha1_state));
		if (!keys->mac || hmac_sha1_key(keys->mac, auth_key, sizeof(auth_key)) < 0)
			goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(auth_key, sizeof(auth_key));
	return ret;
}

static void cleanup_session_keys(struct srtp_session_keys *keys)
{
	EVP_CIPHER_CTX_free(keys->cipher);
	EVP_CIPHER_CTX_free(keys->f8_iv_cipher);
	OPENSSL_clear_free(keys->mac, sizeof(struct hmac_sha1_state));
	OPENSSL_cleanse(keys, sizeof(*keys));
}

/* ---- public: suites ---- */

const char *srtp_suite_name(enum srtp_suite suite)
{
	return suite_valid(suite) ? suites[suite].name : "unknown";
}

int srtp_suite_from_name(const char *name, size_t length, enum srtp_suite *suite)
{
	if (!name)
		return -ENOENT;
	for (int i = 0; i < SRTP_SUITE_COUNT; i++) {
		if (strlen(suites[i].name) == length && memcmp(suites[i].name, name, length) == 0) {
			*suite = (enum srtp_suite) i;
			return 0;
		}
	}
	return -ENOENT;
}

size_t srtp_suite_master_key_length(enum srtp_suite suite)
{
	return suite_valid(suite) ? suites[suite].master_key_length : 0;
}

size_t srtp_suite_master_salt_length(enum srtp_suite suite)
{
	return suite_valid(suite) ? suites[suite].master_salt_length : 0;
}

size_t srtp_suite_rtp_tag_length(enum srtp_suite suite)
{
	return suite_valid(suite) ? suites[suite].rtp_tag_length : 0;
}

int srtp_suite_from_dtls_profile(uint16_t profile, enum srtp_suite *suite)
{
	for (int i = 0; profile && i < SRTP_SUITE_COUNT; i++) {
		if (suites[i].dtls_profile == profile) {
			*suite = (enum srtp_suite) i;
			return 0;
		}
	}
	return -ENOENT;
}

const char *srtp_suite_dtls_profile_name(enum srtp_suite suite)
{
	return suite_valid(suite) ? suites[suite].dtls_profile_name : NULL;
}

/* ---- public: key derivation and context setup ---- */

int srtp_derive_key(const unsigned char *master_key, size_t key_length, const unsigned char *master_salt,
                    size_t salt_length, uint8_t label, unsigned char *out, size_t out_length)
{
	const EVP_CIPHER *cipher = ctr_cipher_for_key(key_length);
	if (!cipher || !master_key || !master_salt || salt_length > SRTP_MAX_MASTER_SALT_LENGTH || !out ||
	    out_length > INT32_MAX)
		return -EINVAL;
	EVP_CIPHER_CTX *prf = EVP_CIPHER_CTX_new();
	if (!prf)
		return -ENOMEM;
	int ret = -ENOMEM;
	if (EVP_EncryptInit_ex(prf, cipher, NULL, master_key, NULL) == 1)
		ret = derive_with_cipher(prf, master_salt, salt_length, label, out, out_length);
	EVP_CIPHER_CTX_free(prf);
	return ret;
}

int srtp_f8_transform(const unsigned char *session_key, size_t key_length, const unsigned char *session_salt,
                      size_t salt_length, const unsigned char iv[16], unsigned char *data, size_t length)
{
	if (!session_key || !session_salt || !iv || (!data && length))
		return -EINVAL;
	EVP_CIPHER_CTX *ecb = NULL, *iv_ecb = NULL;
	int ret = f8_setup(&ecb, &iv_ecb, session_key, key_length, session_salt, salt_length);
	if (!ret)
		ret = aes_f8_crypt(ecb, iv_ecb, iv, data, length);
	EVP_CIPHER_CTX_free(ecb);
	EVP_CIPHER_CTX_free(iv_ecb);
	return ret;
}

int srtp_context_init(struct srtp_context *ctx, enum srtp_suite suite, const unsigned char *master_key,
                      size_t key_length, const unsigned char *master_salt, size_t salt_length)
{
	if (!ctx)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	if (!suite_valid(suite) || !master_key || !master_salt)
		return -EINVAL;
	const struct srtp_suite_info *info = &suites[suite];
	if (key_length != info->master_key_length || salt_length != info->master_salt_length)
		return -EINVAL;
	ctx->suite = suite;

	/* One PRF context keyed with the master key serves all six labels, then goes away: only the
	 * session keys stay in memory (RFC 3711 section 4.3.1). */
	EVP_CIPHER_CTX *prf = EVP_CIPHER_CTX_new();
	int ret = -ENOMEM;
	if (prf && EVP_EncryptInit_ex(prf, ctr_cipher_for_key(key_length), NULL, master_key, NULL) == 1 &&
	    setup_session_keys(&ctx->rtp, info, prf, master_salt, salt_length, LABEL_RTP_ENCRYPTION) == 0 &&
	    setup_session_keys(&ctx->rtcp, info, prf, master_salt, salt_length, LABEL_RTCP_ENCRYPTION) == 0)
		ret = 0;
	EVP_CIPHER_CTX_free(prf);
	if (ret) {
		log_error("SRTP: cannot set up %s session keys in OpenSSL", info->name);
		srtp_context_cleanup(ctx);
	}
	return ret;
}

void srtp_context_cleanup(struct srtp_context *ctx)
{
	if (!ctx)
		return;
	cleanup_session_keys(&ctx->rtp);
	cleanup_session_keys(&ctx->rtcp);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
}

int srtp_context_set_mki(struct srtp_context *ctx, const unsigned char *mki, size_t mki_length)
{
	if (!ctx || mki_length > SRTP_MAX_MKI_LENGTH || (mki_length && !mki))
		return -EINVAL;
	memset(ctx->mki, 0, sizeof(ctx->mki));
	if (mki_length)
		memcpy(ctx->mki, mki, mki_length);
	ctx->mki_length = (uint8_t) mki_length;
	return 0;
}

int srtp_context_set_session_flags(struct srtp_context *ctx, unsigned flags)
{
	if (!ctx || (flags & ~(SRTP_UNENCRYPTED_SRTP | SRTP_UNENCRYPTED_SRTCP | SRTP_UNAUTHENTICATED_SRTP)))
		return -EINVAL;
	if (flags && suite_valid(ctx->suite) && suites[ctx->suite].cipher == CIPHER_AES_GCM)
		return -ENOTSUP;
	ctx->session_flags = flags;
	return 0;
}

/* ---- public: SRTP ---- */

/* The packet index of an RTP packet (RFC 3711 section 3.3.1): a new SSRC starts with ROC 0,
 * a known one is guessed from its highest index; replays and packets older than the window
 * give -EALREADY. Both directions use it: the relay forwards packets with their original
 * SEQ, possibly reordered, so the sender side estimates like a receiver, and refusing an
 * index twice avoids reusing keystream. */
static int estimate_rtp_index(struct srtp_context *ctx, uint32_t ssrc, uint16_t seq, uint64_t *index)
{
	*index = seq;
	struct srtp_ssrc_state *slot = find_slot(ctx, ssrc, false);
	if (!slot)
		return 0;
	if (!rtp_index_guess(slot->rtp.highest_index, seq, index))
		return -EALREADY;
	return window_check(&slot->rtp, *index);
}

int srtp_context_protect_rtp(struct srtp_context *ctx, unsigned char *packet, size_t length, size_t capacity)
{
	const struct srtp_suite_info *info = ctx ? context_suite(ctx) : NULL;
	if (!info || !packet || length > SRTP_MAX_PACKET_LENGTH)
		return -EINVAL;
	int header = rtp_header_length(packet, length);
	if (header < 0)
		return header;
	size_t tag_length = rtp_tag_length(ctx, info);
	size_t total = length + ctx->mki_length + tag_length;
	if (capacity < total || total > SRTP_MAX_PACKET_LENGTH)
		return -ENOSPC;

	uint32_t ssrc = read_u32(packet + 8);
	uint16_t seq = read_u16(packet + 2);
	/* The sender keeps the index too (RFC 3711 section 3.3.1): the relay forwards packets with
	 * their original SEQ, possibly reordered, so the ROC is estimated like a receiver would.
	 * Refusing to protect the same index twice avoids reusing keystream. */
	uint64_t index;
	int replay = estimate_rtp_index(ctx, ssrc, seq, &index);
	if (replay)
		return replay;
	uint32_t roc = (uint32_t) (index >> 16);
	unsigned char *payload = packet + header;
	size_t payload_length = length - (size_t) header;

	if (info->cipher == CIPHER_AES_GCM) {
		int ret = aes_gcm_crypt(&ctx->rtp, true, ssrc, index, packet, (size_t) header, NULL, 0, payload,
		                        payload_length, packet + length);
		if (ret)
			return ret;
		memcpy(packet + length + GCM_TAG_LENGTH, ctx->mki, ctx->mki_length);
	} else {
		if (info->cipher == CIPHER_AES_CM && !(ctx->session_flags & SRTP_UNENCRYPTED_SRTP)) {
			int ret = aes_cm_crypt(&ctx->rtp, ssrc, index, payload, payload_length);
			if (ret)
				return ret;
		} else if (info->cipher == CIPHER_AES_F8 && !(ctx->session_flags & SRTP_UNENCRYPTED_SRTP)) {
			int ret = aes_f8_rtp(&ctx->rtp, packet, roc, payload, payload_length);
			if (ret)
				return ret;
		}
		if (tag_length) {
			unsigned char roc_bytes[4], digest[HMAC_SHA1_LENGTH];
			write_u32(roc_bytes, roc);
			int ret = hmac_sha1(&ctx->rtp, packet, length, roc_bytes, digest);
			if (ret)
				return ret;
			memcpy(packet + length + ctx->mki_length, digest, tag_length);
		}
		memcpy(packet + length, ctx->mki, ctx->mki_length);
	}
	accept_rtp_index(ctx, ssrc, index);
	return (int) total;
}

int srtp_context_unprotect_rtp(struct srtp_context *ctx, unsigned char *packet, size_t length)
{
	const struct srtp_suite_info *info = ctx ? context_suite(ctx) : NULL;
	if (!info || !packet || length > SRTP_MAX_PACKET_LENGTH)
		return -EINVAL;
	size_t tag_length = rtp_tag_length(ctx, info);
	size_t trailer = tag_length + ctx->mki_length;
	if (length < RTP_FIXED_HEADER_LENGTH + trailer)
		return -EINVAL;
	size_t body_length = length - trailer;
	int header = rtp_header_length(packet, body_length);
	if (header < 0)
		return header;

	uint32_t ssrc = read_u32(packet + 8);
	uint16_t seq = read_u16(packet + 2);
	uint64_t index;
	int replay = estimate_rtp_index(ctx, ssrc, seq, &index);
	if (replay)
		return replay;
	uint32_t roc = (uint32_t) (index >> 16);
	unsigned char *payload = packet + header;
	size_t payload_length = body_length - (size_t) header;

	if (info->cipher == CIPHER_AES_GCM) {
		/* GCM: tag right after the ciphertext, then the MKI. */
		if (ctx->mki_length && CRYPTO_memcmp(packet + length - ctx->mki_length, ctx->mki, ctx->mki_length))
			return -EACCES;
		int ret = aes_gcm_crypt(&ctx->rtp, false, ssrc, index, packet, (size_t) header, NULL, 0, payload,
		                        payload_length, packet + body_length);
		if (ret)
			return ret;
	} else {
		if (ctx->mki_length && CRYPTO_memcmp(packet + body_length, ctx->mki, ctx->mki_length))
			return -EACCES;
		if (tag_length) {
			unsigned char roc_bytes[4], digest[HMAC_SHA1_LENGTH];
			write_u32(roc_bytes, roc);
			int ret = hmac_sha1(&ctx->rtp, packet, body_length, roc_bytes, digest);
			if (ret)
				return ret;
			if (CRYPTO_memcmp(digest, packet + body_length + ctx->mki_length, tag_length))
				return -EACCES;
		}
		if (info->cipher == CIPHER_AES_CM && !(ctx->session_flags & SRTP_UNENCRYPTED_SRTP)) {
			int ret = aes_cm_crypt(&ctx->rtp, ssrc, index, payload, payload_length);
			if (ret)
				return ret;
		} else if (info->cipher == CIPHER_AES_F8 && !(ctx->session_flags & SRTP_UNENCRYPTED_SRTP)) {
			int ret = aes_f8_rtp(&ctx->rtp, packet, roc, payload, payload_length);
			if (ret)
				return ret;
		}
	}
	accept_rtp_index(ctx, ssrc, index);
	return (int) body_length;
}

unsigned srtp_context_export_rtp(const struct srtp_context *ctx, struct srtp_rtp_state *out, unsigned capacity)
{
	unsigned count = 0;
	for (int i = 0; i < SRTP_SSRC_SLOTS && count < capacity; i++) {
		const struct srtp_ssrc_state *slot = &ctx->ssrcs[i];
		if (!slot->rtp_seen)
			continue;
		out[count].ssrc = slot->ssrc;
		out[count].window = slot->rtp;
		count++;
	}
	return count;
}

void srtp_context_import_rtp(struct srtp_context *ctx, const struct srtp_rtp_state *in, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		struct srtp_ssrc_state *slot = claim_slot(ctx, in[i].ssrc);
		slot->rtp = in[i].window;
		slot->rtp_seen = true;
		slot->last_used = ++ctx->use_counter;
	}
}

/* ---- public: SRTCP ---- */

int srtp_context_protect_rtcp(struct srtp_context *ctx, unsigned char *packet, size_t length, size_t capacity)
{
	const struct srtp_suite_info *info = ctx ? context_suite(ctx) : NULL;
	if (!info || !packet || length > SRTP_MAX_PACKET_LENGTH)
		return -EINVAL;
	if (!rtcp_header_valid(packet, length))
		return -EINVAL;
	size_t tag_length = info->rtcp_tag_length;
	size_t total = length + SRTCP_INDEX_LENGTH + ctx->mki_length + tag_length;
	if (capacity < total || total > SRTP_MAX_PACKET_LENGTH)
		return -ENOSPC;

	uint32_t ssrc = read_u32(packet + 4);
	struct srtp_ssrc_state *slot = find_slot(ctx, ssrc, true);
	uint32_t index = 0;
	if (slot) {
		if (slot->rtcp.highest_index >= SRTCP_MAX_INDEX)
			return -EKEYEXPIRED;
		index = (uint32_t) slot->rtcp.highest_index + 1;
	}
	/* E flag: set when the payload is encrypted (RFC 3711 section 3.4). */
	bool encrypted = info->cipher != CIPHER_NULL && !(ctx->session_flags & SRTP_UNENCRYPTED_SRTCP);
	unsigned char e_and_index[SRTCP_INDEX_LENGTH];
	write_u32(e_and_index, index | (encrypted ? SRTCP_E_BIT : 0));
	unsigned char *payload = packet + RTCP_HEADER_LENGTH;
	size_t payload_length = length - RTCP_HEADER_LENGTH;

	if (info->cipher == CIPHER_AES_GCM) {
		/* AAD = header || E+index (RFC 7714 section 9.3). */
		int ret = aes_gcm_crypt(&ctx->rtcp, true, ssrc, index, packet,
		                        RTCP_HEADER_LENGTH, e_and_index, SRTCP_INDEX_LENGTH, payload, payload_length,
		                        packet + length);
		if (ret)
			return ret;
		memcpy(packet + length + GCM_TAG_LENGTH, e_and_index, SRTCP_INDEX_LENGTH);
		memcpy(packet + length + GCM_TAG_LENGTH + SRTCP_INDEX_LENGTH, ctx->mki, ctx->mki_length);
	} else {
		if (encrypted) {
			int ret = info->cipher == CIPHER_AES_F8
				? aes_f8_rtcp(&ctx->rtcp, packet, read_u32(e_and_index), payload, payload_length)
				: aes_cm_crypt(&ctx->rtcp, ssrc, index, payload, payload_length);
			if (ret)
				return ret;
		}
		memcpy(packet + length, e_and_index, SRTCP_INDEX_LENGTH);
		unsigned char digest[HMAC_SHA1_LENGTH];
		int ret = hmac_sha1(&ctx->rtcp, packet, length + SRTCP_INDEX_LENGTH, NULL, digest);
		if (ret)
			return ret;
		memcpy(packet + length + SRTCP_INDEX_LENGTH, ctx->mki, ctx->mki_length);
		memcpy(packet + length + SRTCP_INDEX_LENGTH + ctx->mki_length, digest, tag_length);
	}
	slot = claim_slot(ctx, ssrc);
	if (!slot->rtcp_seen) {
		window_start(&slot->rtcp, index);
		slot->rtcp_seen = true;
	} else {
		window_accept(&slot->rtcp, index);
	}
	slot->last_used = ++ctx->use_counter;
	return (int) total;
}

int srtp_context_unprotect_rtcp(struct srtp_context *ctx, unsigned char *packet, size_t length)
{
	const struct srtp_suite_info *info = ctx ? context_suite(ctx) : NULL;
	if (!info || !packet || length > SRTP_MAX_PACKET_LENGTH)
		return -EINVAL;
	size_t tag_length = info->rtcp_tag_length;
	size_t trailer = SRTCP_INDEX_LENGTH + ctx->mki_length + tag_length;
	if (length < RTCP_HEADER_LENGTH + trailer || !rtcp_header_valid(packet, length))
		return -EINVAL;
	size_t body_length = length - trailer;

	/* Where E+index, MKI and tag sit differs between the HMAC and the GCM layouts. */
	const unsigned char *index_word, *mki, *tag;
	if (info->cipher == CIPHER_AES_GCM) {
		tag = packet + body_length;
		index_word = tag + GCM_TAG_LENGTH;
		mki = index_word + SRTCP_INDEX_LENGTH;
	} else {
		index_word = packet + body_length;
		mki = index_word + SRTCP_INDEX_LENGTH;
		tag = mki + ctx->mki_length;
	}
	if (ctx->mki_length && CRYPTO_memcmp(mki, ctx->mki, ctx->mki_length))
		return -EACCES;
	uint32_t e_and_index = read_u32(index_word);
	uint32_t index = e_and_index & SRTCP_MAX_INDEX;
	bool encrypted = (e_and_index & SRTCP_E_BIT) != 0;
	uint32_t ssrc = read_u32(packet + 4);
	struct srtp_ssrc_state *slot = find_slot(ctx, ssrc, true);
	if (slot) {
		int replay = window_check(&slot->rtcp, index);
		if (replay)
			return replay;
	}
	unsigned char *payload = packet + RTCP_HEADER_LENGTH;
	size_t payload_length = body_length - RTCP_HEADER_LENGTH;

	if (info->cipher == CIPHER_AES_GCM) {
		/* RFC 7714 section 9.2 also defines E = 0 (payload as AAD, GMAC only): not supported. */
		if (!encrypted)
			return -EACCES;
		int ret = aes_gcm_crypt(&ctx->rtcp, false, ssrc, index, packet,
		                        RTCP_HEADER_LENGTH, index_word, SRTCP_INDEX_LENGTH, payload, payload_length,
		                        (unsigned char *) tag);
		if (ret)
			return ret;
	} else {
		unsigned char digest[HMAC_SHA1_LENGTH];
		int ret = hmac_sha1(&ctx->rtcp, packet, body_length + SRTCP_INDEX_LENGTH, NULL, digest);
		if (ret)
			return ret;
		if (CRYPTO_memcmp(digest, tag, tag_length))
			return -EACCES;
		/* The sender's E flag is authenticated and says whether the payload is encrypted;
		 * with the NULL cipher there is no key to decrypt with, so E must be clear. */
		if (encrypted) {
			if (info->cipher != CIPHER_AES_CM && info->cipher != CIPHER_AES_F8)
				return -EACCES;
			ret = info->cipher == CIPHER_AES_F8 ? aes_f8_rtcp(&ctx->rtcp, packet, e_and_index, payload, payload_length)
				: aes_cm_crypt(&ctx->rtcp, ssrc, index, payload, payload_length);
			if (ret)
				return ret;
		}
	}
	slot = claim_slot(ctx, ssrc);
	if (!slot->rtcp_seen) {
		window_start(&slot->rtcp, index);
		slot->rtcp_seen = true;
	} else {
		window_accept(&slot->rtcp, index);
	}
	slot->last_used = ++ctx->use_counter;
	return (int) body_length;
}

/* ---- positions, for a standby that takes a call over (srtp.h) ---- */

unsigned int srtp_context_positions(const struct srtp_context *ctx, struct srtp_ssrc_position *out)
{
	unsigned int count = 0;
	for (int i = 0; i < SRTP_SSRC_SLOTS; i++) {
		const struct srtp_ssrc_state *slot = &ctx->ssrcs[i];
		if (!slot->rtp_seen && !slot->rtcp_seen)
			continue;
		out[count++] = (struct srtp_ssrc_position) {
			.ssrc = slot->ssrc, .rtp_seen = slot->rtp_seen, .rtcp_seen = slot->rtcp_seen,
			.rtp_index = slot->rtp.highest_index, .rtcp_index = slot->rtcp.highest_index,
		};
	}
	return count;
}

/* Everything at or below index counts as received. */
static void window_resume(struct srtp_replay_window *window, uint64_t index)
{
	window->highest_index = index;
	window->received[0] = window->received[1] = ~(uint64_t) 0;
}

void srtp_context_resume(struct srtp_context *ctx, const struct srtp_ssrc_position *position, uint32_t rtcp_jump)
{
	struct srtp_ssrc_state *slot = claim_slot(ctx, position->ssrc);
	if (position->rtp_seen) {
		window_resume(&slot->rtp, position->rtp_index & 0xffffffffffffull);
		slot->rtp_seen = true;
	}
	if (position->rtcp_seen) {
		uint64_t index = position->rtcp_index + rtcp_jump;
		window_resume(&slot->rtcp, index < SRTCP_MAX_INDEX ? index : SRTCP_MAX_INDEX);
		slot->rtcp_seen = true;
	}
	slot->last_used = ++ctx->use_counter;
}
