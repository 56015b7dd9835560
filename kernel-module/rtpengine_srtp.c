// SPDX-License-Identifier: GPL-2.0
/*
 * SRTP in the packet path (RFC 3711; AES-192/256 counter mode from RFC 6188; AEAD AES-GCM
 * from RFC 7714), with the kernel crypto API: "ecb(aes)" and "hmac(sha1)" for the counter
 * mode and NULL suites, "gcm(aes)" for the AEAD ones. SRTCP stays with the daemon.
 *
 * Per packet nothing is allocated and no key is set: AES-CM writes the packet's counter
 * blocks into the session's buffer and encrypts them with one ECB request (as lib/srtp.c
 * does), the hmac template starts from the inner and outer states it keyed once at setup,
 * and GCM reuses a request made with the transform.
 *
 * CPU-specific ciphers (aesni_intel) register their bulk modes twice: an internal
 * synchronous one that must run where the FPU is usable, and an asynchronous wrapper that
 * queues to cryptd when it is not. A synchronous "ecb(aes)" or "gcm(aes)" therefore gets the
 * generic templates over the single-block cipher, one FPU section per AES block and GHASH in
 * C. So each transform also keeps the internal "__ctr(aes)" / "__gcm(aes)" when there is one,
 * and uses it for a packet when crypto_simd_usable() says the FPU may be used here (always,
 * in the softirq of a received packet, unless it interrupted kernel code using the FPU);
 * otherwise the generic transform. Measured: tests/bench/README.md, "Kernel SRTP".
 *
 * On x86-64 with AES-NI and PCLMULQDQ, 128 and 256-bit AES-CM and AES-GCM skip the crypto
 * API altogether where the FPU is usable: rtpengine_aes_simd.c does a packet's counter mode
 * and GHASH in one FPU section over the linear buffer, about a third of the instructions
 * "__gcm(aes)" takes for a voice packet (its scatterlist walk and three FPU sections cost
 * more than the cipher). The crypto API transforms stay for the other cases.
 *
 * The daemon hands over session keys (it runs the key derivation) and, per SSRC, the
 * rollover counter and replay window in the form of the highest packet index and a 128-bit
 * bitmap, exactly as lib/srtp.c keeps them, and takes them back when the stream leaves the
 * kernel. Index estimation and the replay window follow lib/srtp.c line by line, so a
 * stream can move between the two at any packet.
 *
 * One spinlock per session serialises a stream's packets (one stream is one flow; the
 * crypto of one packet takes microseconds) and makes the hand-back atomic: once the
 * session is marked dead no packet changes its state, later packets go up to the daemon.
 */
#define pr_fmt(fmt) "xt_RTPENGINE: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/skbuff.h>
#include <linux/scatterlist.h>
#include <crypto/skcipher.h>
#include <crypto/hash.h>
#include <crypto/aead.h>
#include <crypto/algapi.h>
#include <asm/simd.h>
#include <crypto/internal/simd.h>
#include <asm/unaligned.h>
#ifdef CONFIG_X86_64
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#endif

#include "rtpengine_internal.h"

#define RTP_FIXED_HEADER_LENGTH 12
#define HMAC_SHA1_LENGTH 20
#define GCM_TAG_LENGTH 16
#define GCM_IV_LENGTH 12
#define REPLAY_WINDOW 128
#define INDEX_MASK 0xffffffffffffull
#define ROC_LENGTH 4
/* After a failed look-up of the internal SIMD algorithms, do not ask again (each look-up
 * of a missing algorithm runs modprobe) for this long. */
#define SIMD_RETRY_INTERVAL (60 * HZ)

static unsigned long simd_missing_since;
static bool simd_missing;

/* Off: the crypto API's transforms only (tests/kernel/run-tests.sh srtp-simd checks that path,
 * tests/kernel/run-bench.sh compares the two). Read when a target's SRTP is set up. */
static bool aes_simd = true;
module_param(aes_simd, bool, 0644);
MODULE_PARM_DESC(aes_simd, "AES-CM and AES-GCM (128/256-bit keys) with the module's own AES-NI code");
/* transforms keyed for it since load: the kernel tests' proof that it ran (a count, no state) */
static unsigned long aes_simd_keyed;
module_param(aes_simd_keyed, ulong, 0444);
MODULE_PARM_DESC(aes_simd_keyed, "SRTP transforms keyed with the module's own AES-NI code since load");

#ifndef CONFIG_X86_64
/* rtpengine_aes_simd.c is not built: aes_simd.rounds stays 0 and the calls are dead code */
#define kernel_fpu_begin() do { } while (0)
#define kernel_fpu_end() do { } while (0)
#endif

/* ---------------------------------------------------------------- replay window (lib/srtp.c) */

static int window_check(const struct rtpengine_srtp_ssrc_state *slot, u64 index)
{
	u64 age;

	if (index > slot->highest_index)
		return 0;
	age = slot->highest_index - index;
	if (age >= REPLAY_WINDOW)
		return -EALREADY;
	return (slot->window[age / 64] >> (age % 64)) & 1 ? -EALREADY : 0;
}

static void window_accept(struct rtpengine_srtp_ssrc_state *slot, u64 index)
{
	u64 age, shift;

	if (!slot->used) {
		slot->used = 1;
		slot->highest_index = index;
		slot->window[0] = 1;
		slot->window[1] = 0;
		return;
	}
	if (index > slot->highest_index) {
		shift = index - slot->highest_index;
		if (shift >= REPLAY_WINDOW) {
			slot->window[0] = slot->window[1] = 0;
		} else if (shift >= 64) {
			slot->window[1] = slot->window[0] << (shift - 64);
			slot->window[0] = 0;
		} else {
			slot->window[1] = (slot->window[1] << shift) | (slot->window[0] >> (64 - shift));
			slot->window[0] <<= shift;
		}
		slot->highest_index = index;
		slot->window[0] |= 1;
		return;
	}
	age = slot->highest_index - index;
	if (age < REPLAY_WINDOW)
		slot->window[age / 64] |= 1ull << (age % 64);
}

/* RFC 3711 section 3.3.1 / appendix A: the index with this SEQ closest to the highest one. */
static bool index_guess(u64 highest_index, u16 seq, u64 *index)
{
	u64 roc = highest_index >> 16;
	u16 highest_seq = (u16)highest_index;

	if (highest_seq < 0x8000) {
		if (seq > highest_seq && seq - highest_seq > 0x8000) {
			if (roc == 0)
				return false;
			roc--;
		}
	} else if (highest_seq - 0x8000 > seq) {
		roc++;
	}
	*index = ((roc << 16) | seq) & INDEX_MASK;
	return true;
}

/* The slot of ssrc (or a free one, marked by *fresh), its packet index; -EAGAIN when every
 * slot holds another SSRC (the daemon, with its LRU slots, takes the packet), -EALREADY for
 * a replay or a packet older than the window. */
static int find_index(struct rtpengine_srtp_ssrc_state *slots, u32 ssrc, u16 seq,
		      struct rtpengine_srtp_ssrc_state **slot_out, u64 *index)
{
	struct rtpengine_srtp_ssrc_state *free_slot = NULL;
	unsigned int i;

	for (i = 0; i < RTPENGINE_SRTP_SSRC_SLOTS; i++) {
		struct rtpengine_srtp_ssrc_state *slot = &slots[i];

		if (slot->used && slot->ssrc == ssrc) {
			*slot_out = slot;
			if (!index_guess(slot->highest_index, seq, index))
				return -EALREADY;
			return window_check(slot, *index);
		}
		if (!slot->used && !free_slot)
			free_slot = slot;
	}
	if (!free_slot)
		return -EAGAIN;
	*slot_out = free_slot;
	*index = seq;   /* RFC 3711 section 3.3.1: a new SSRC starts with ROC 0 */
	return 0;
}

/* ---------------------------------------------------------------- transforms */

static void free_transform(struct rtpengine_srtp_transform *transform)
{
	if (transform->ecb)
		crypto_free_sync_skcipher(transform->ecb);
	if (transform->ctr_simd)
		crypto_free_sync_skcipher(transform->ctr_simd);
	aead_request_free(transform->gcm_simd_request);
	if (transform->gcm_simd)
		crypto_free_aead(transform->gcm_simd);
	if (transform->hmac)
		crypto_free_shash(transform->hmac);
	aead_request_free(transform->gcm_request);
	if (transform->gcm)
		crypto_free_aead(transform->gcm);
	memzero_explicit(transform, sizeof(*transform));
}

/* Keys our own AES-NI code (rtpengine_aes_simd.c) if this CPU and key length allow it. */
static bool aes_simd_setkey(struct rtpengine_aes_simd_key *key, const u8 *raw, unsigned int length)
{
#ifdef CONFIG_X86_64
	int err;

	if (!READ_ONCE(aes_simd) || !boot_cpu_has(X86_FEATURE_AES) || !boot_cpu_has(X86_FEATURE_PCLMULQDQ) ||
	    !boot_cpu_has(X86_FEATURE_XMM4_1) || (length != 16 && length != 32) || !crypto_simd_usable())
		return false;
	kernel_fpu_begin();
	err = rtpengine_aes_simd_setkey(key, raw, length);
	kernel_fpu_end();
	if (err)
		return false;
	WRITE_ONCE(aes_simd_keyed, READ_ONCE(aes_simd_keyed) + 1);
	return true;
#else
	return false;
#endif
}

static bool aes_simd_usable(const struct rtpengine_srtp_transform *transform)
{
	return IS_ENABLED(CONFIG_X86_64) && transform->aes_simd.rounds && crypto_simd_usable();
}

/* The internal (FPU-only) implementation of `name`, keyed, or NULL if there is none. */
static struct crypto_sync_skcipher *simd_skcipher(const char *name, const u8 *key, unsigned int key_length)
{
	struct crypto_sync_skcipher *tfm;

	if (READ_ONCE(simd_missing) && time_before(jiffies, READ_ONCE(simd_missing_since) + SIMD_RETRY_INTERVAL))
		return NULL;
	tfm = crypto_alloc_sync_skcipher(name, CRYPTO_ALG_INTERNAL, CRYPTO_ALG_INTERNAL);
	if (IS_ERR(tfm)) {
		WRITE_ONCE(simd_missing_since, jiffies);
		WRITE_ONCE(simd_missing, true);
		return NULL;
	}
	WRITE_ONCE(simd_missing, false);
	if (crypto_sync_skcipher_setkey(tfm, key, key_length)) {
		crypto_free_sync_skcipher(tfm);
		return NULL;
	}
	return tfm;
}

static struct crypto_aead *simd_gcm(const u8 *key, unsigned int key_length, struct aead_request **request)
{
	struct crypto_aead *tfm;

	if (READ_ONCE(simd_missing) && time_before(jiffies, READ_ONCE(simd_missing_since) + SIMD_RETRY_INTERVAL))
		return NULL;
	tfm = crypto_alloc_aead("__gcm(aes)", CRYPTO_ALG_INTERNAL, CRYPTO_ALG_INTERNAL | CRYPTO_ALG_ASYNC);
	if (IS_ERR(tfm)) {
		WRITE_ONCE(simd_missing_since, jiffies);
		WRITE_ONCE(simd_missing, true);
		return NULL;
	}
	WRITE_ONCE(simd_missing, false);
	if (crypto_aead_setkey(tfm, key, key_length) || crypto_aead_setauthsize(tfm, GCM_TAG_LENGTH))
		goto fail;
	*request = aead_request_alloc(tfm, GFP_KERNEL);
	if (!*request)
		goto fail;
	aead_request_set_callback(*request, 0, NULL, NULL);
	return tfm;
fail:
	crypto_free_aead(tfm);
	return NULL;
}

static int setup_transform(struct rtpengine_srtp_transform *transform, const struct rtpengine_srtp *params)
{
	int err;

	memset(transform, 0, sizeof(*transform));
	transform->cipher = params->cipher;
	transform->tag_length = params->auth_tag_length;
	memcpy(transform->salt, params->salt, sizeof(transform->salt));
	switch (params->cipher) {
	case RTPENGINE_SRTP_NONE:
		return 0;
	case RTPENGINE_SRTP_AES_GCM:
		transform->gcm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
		if (IS_ERR(transform->gcm)) {
			err = PTR_ERR(transform->gcm);
			transform->gcm = NULL;
			return err;
		}
		err = crypto_aead_setkey(transform->gcm, params->cipher_key, params->cipher_key_length);
		if (!err)
			err = crypto_aead_setauthsize(transform->gcm, GCM_TAG_LENGTH);
		if (err)
			return err;
		/* synchronous (CRYPTO_ALG_ASYNC masked out): one request serves every packet */
		transform->gcm_request = aead_request_alloc(transform->gcm, GFP_KERNEL);
		if (!transform->gcm_request)
			return -ENOMEM;
		aead_request_set_callback(transform->gcm_request, 0, NULL, NULL);
		/* with our own, "__gcm(aes)" would serve no packet: both need a usable FPU */
		if (aes_simd_setkey(&transform->aes_simd, params->cipher_key, params->cipher_key_length))
			return 0;
		transform->gcm_simd = simd_gcm(params->cipher_key, params->cipher_key_length,
					       &transform->gcm_simd_request);
		return 0;
	case RTPENGINE_SRTP_AES_CM:
		transform->ecb = crypto_alloc_sync_skcipher("ecb(aes)", 0, 0);
		if (IS_ERR(transform->ecb)) {
			err = PTR_ERR(transform->ecb);
			transform->ecb = NULL;
			return err;
		}
		err = crypto_sync_skcipher_setkey(transform->ecb, params->cipher_key, params->cipher_key_length);
		if (err)
			return err;
		if (!aes_simd_setkey(&transform->aes_simd, params->cipher_key, params->cipher_key_length))
			transform->ctr_simd = simd_skcipher("__ctr(aes)", params->cipher_key,
							    params->cipher_key_length);
		fallthrough;
	case RTPENGINE_SRTP_NULL:
		transform->hmac = crypto_alloc_shash("hmac(sha1)", 0, 0);
		if (IS_ERR(transform->hmac)) {
			err = PTR_ERR(transform->hmac);
			transform->hmac = NULL;
			return err;
		}
		return crypto_shash_setkey(transform->hmac, params->auth_key, sizeof(params->auth_key));
	}
	return -EINVAL;
}

/* The internal CTR mode straight over the payload, in place: one FPU section per packet. The
 * counter template increments all 128 bits, RFC 3711 the low 16: the same for any packet
 * shorter than 2^16 blocks. */
static int aes_cm_crypt_simd(const struct rtpengine_srtp_transform *transform, u8 *iv, u8 *data,
			     unsigned int length)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(request, transform->ctr_simd);
	struct scatterlist sg;
	int err;

	skcipher_request_set_sync_tfm(request, transform->ctr_simd);
	skcipher_request_set_callback(request, 0, NULL, NULL);
	sg_init_one(&sg, data, length);
	skcipher_request_set_crypt(request, &sg, &sg, length, iv);
	err = crypto_skcipher_encrypt(request);
	skcipher_request_zero(request);
	return err;
}

/* AES-CM (RFC 3711 section 4.1.1): IV = salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16,
 * keystream block j = E(k, IV + j) with j in the low 16 bits (a packet has far fewer than
 * 2^16 blocks). Without the SIMD transform the counter blocks of a chunk are written into the
 * session's buffer and encrypted there with one ECB request, then XORed onto the data: the
 * same keystream as ctr(aes), without the counter template's per-block calls. Called under
 * the session lock. */
static int aes_cm_crypt(const struct rtpengine_srtp_transform *transform, u8 *keystream, u32 ssrc, u64 index,
			u8 *data, unsigned int length)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(request, transform->ecb);
	struct scatterlist sg;
	u8 iv[16] = { 0 };
	unsigned int i, offset, block = 0;
	int err = 0;

	memcpy(iv, transform->salt, 14);
	iv[4] ^= ssrc >> 24;
	iv[5] ^= ssrc >> 16;
	iv[6] ^= ssrc >> 8;
	iv[7] ^= ssrc;
	for (i = 0; i < 6; i++)
		iv[8 + i] ^= index >> (40 - 8 * i);
	if (aes_simd_usable(transform)) {
		kernel_fpu_begin();
		rtpengine_aes_simd_ctr(&transform->aes_simd, iv, data, length);
		kernel_fpu_end();
		return 0;
	}
	if (transform->ctr_simd && crypto_simd_usable())
		return aes_cm_crypt_simd(transform, iv, data, length);
	skcipher_request_set_sync_tfm(request, transform->ecb);
	skcipher_request_set_callback(request, 0, NULL, NULL);
	for (offset = 0; offset < length && !err; offset += RTPENGINE_SRTP_KEYSTREAM_CHUNK) {
		unsigned int chunk = min_t(unsigned int, length - offset, RTPENGINE_SRTP_KEYSTREAM_CHUNK);
		unsigned int blocks = DIV_ROUND_UP(chunk, 16);

		for (i = 0; i < blocks; i++, block++) {
			memcpy(keystream + 16 * i, iv, 14);
			keystream[16 * i + 14] = block >> 8;
			keystream[16 * i + 15] = block;
		}
		sg_init_one(&sg, keystream, blocks * 16);
		skcipher_request_set_crypt(request, &sg, &sg, blocks * 16, NULL);
		err = crypto_skcipher_encrypt(request);
		if (!err)
			crypto_xor(data + offset, keystream, chunk);
	}
	skcipher_request_zero(request);
	memzero_explicit(keystream, min_t(unsigned int, round_up(length, 16), RTPENGINE_SRTP_KEYSTREAM_CHUNK));
	return err;
}

/* HMAC-SHA1 over the packet and the ROC (RFC 3711 section 4.2). The ROC is written behind
 * the packet (where the tag goes: the caller saved a received one) so that the hash is one
 * digest call: one FPU section for the inner hash, one for the outer. */
static int hmac_sha1(const struct rtpengine_srtp_transform *transform, u8 *data,
		     unsigned int length, u32 roc, u8 digest[HMAC_SHA1_LENGTH])
{
	SHASH_DESC_ON_STACK(desc, transform->hmac);
	int err;

	put_unaligned_be32(roc, data + length);
	desc->tfm = transform->hmac;
	err = crypto_shash_digest(desc, data, length + ROC_LENGTH, digest);
	shash_desc_zero(desc);
	return err;
}

/* AES-GCM (RFC 7714 sections 8.1, 9.1): IV = salt XOR (00 00 || SSRC || ROC || SEQ), the RTP
 * header is the associated data. Encrypt: data holds length bytes of payload and room for the
 * tag behind it; decrypt: length includes the tag. -EBADMSG = authentication failed. */
static int aes_gcm_crypt(const struct rtpengine_srtp_transform *transform, bool encrypt, u32 ssrc,
			 u64 index, u8 *packet, unsigned int header, unsigned int length)
{
	struct aead_request *request;
	struct scatterlist sg;
	u8 iv[GCM_IV_LENGTH] = { 0 };
	unsigned int i;
	bool authentic = true;

	put_unaligned_be32(ssrc, iv + 2);
	for (i = 0; i < 6; i++)
		iv[6 + i] = index >> (40 - 8 * i);
	for (i = 0; i < GCM_IV_LENGTH; i++)
		iv[i] ^= transform->salt[i];
	if (aes_simd_usable(transform)) {
		kernel_fpu_begin();
		if (encrypt)
			rtpengine_aes_simd_gcm_encrypt(&transform->aes_simd, iv, packet, header, packet + header,
						       length, packet + header + length);
		else if (length >= GCM_TAG_LENGTH)
			authentic = rtpengine_aes_simd_gcm_decrypt(&transform->aes_simd, iv, packet, header,
								   packet + header, length - GCM_TAG_LENGTH,
								   packet + header + length - GCM_TAG_LENGTH);
		else
			authentic = false;
		kernel_fpu_end();
		return authentic ? 0 : -EBADMSG;
	}
	request = transform->gcm_simd && crypto_simd_usable() ? transform->gcm_simd_request : transform->gcm_request;
	sg_init_one(&sg, packet, header + length + (encrypt ? GCM_TAG_LENGTH : 0));
	aead_request_set_ad(request, header);
	aead_request_set_crypt(request, &sg, &sg, length, iv);
	return encrypt ? crypto_aead_encrypt(request) : crypto_aead_decrypt(request);
}

/* RFC 3550 section 5.1 / 5.3.1: fixed header, CSRCs, extension. */
static int rtp_header_length(const u8 *packet, unsigned int length)
{
	unsigned int header;

	if (length < RTP_FIXED_HEADER_LENGTH || (packet[0] >> 6) != 2)
		return -EINVAL;
	header = RTP_FIXED_HEADER_LENGTH + 4 * (packet[0] & 0x0f);
	if (packet[0] & 0x10) {
		if (header + 4 > length)
			return -EINVAL;
		header += 4 + 4 * get_unaligned_be16(packet + header + 2);
	}
	return header > length ? -EINVAL : (int)header;
}

/* The parts of a record that are keys rather than state: equal keys keep the state. */
static bool same_keys(const struct rtpengine_srtp *a, const struct rtpengine_srtp *b)
{
	return !memcmp(a, b, offsetof(struct rtpengine_srtp, ssrcs));
}

/* ---------------------------------------------------------------- public */

bool rtpengine_srtp_wanted(const struct rtpengine_target *target)
{
	return target->decrypt.cipher != RTPENGINE_SRTP_NONE || target->encrypt.cipher != RTPENGINE_SRTP_NONE;
}

int rtpengine_srtp_validate(const struct rtpengine_srtp *params, const char **reason)
{
	unsigned int i;

	if (params->cipher == RTPENGINE_SRTP_NONE) {
		if (memchr_inv(params, 0, sizeof(*params))) {
			*reason = "SRTP record without cipher has non-zero bytes";
			return -EINVAL;
		}
		return 0;
	}
	if (params->reserved0 || params->reserved1 || memchr_inv(params->reserved2, 0, sizeof(params->reserved2))) {
		*reason = "SRTP reserved fields not zero";
		return -EINVAL;
	}
	switch (params->cipher) {
	case RTPENGINE_SRTP_NULL:
		if (params->cipher_key_length || (params->auth_tag_length != 4 && params->auth_tag_length != 10)) {
			*reason = "SRTP NULL cipher: key length must be 0, tag 4 or 10";
			return -EINVAL;
		}
		break;
	case RTPENGINE_SRTP_AES_CM:
		if ((params->cipher_key_length != 16 && params->cipher_key_length != 24 &&
		     params->cipher_key_length != 32) ||
		    (params->auth_tag_length != 4 && params->auth_tag_length != 10)) {
			*reason = "SRTP AES-CM: key length must be 16, 24 or 32, tag 4 or 10";
			return -EINVAL;
		}
		break;
	case RTPENGINE_SRTP_AES_GCM:
		if ((params->cipher_key_length != 16 && params->cipher_key_length != 32) ||
		    params->auth_tag_length != GCM_TAG_LENGTH || memchr_inv(params->auth_key, 0, sizeof(params->auth_key)) ||
		    memchr_inv(params->salt + GCM_IV_LENGTH, 0, sizeof(params->salt) - GCM_IV_LENGTH)) {
			*reason = "SRTP AES-GCM: key length must be 16 or 32, tag 16, no auth key, 12-byte salt";
			return -EINVAL;
		}
		break;
	default:
		*reason = "unknown SRTP cipher";
		return -EINVAL;
	}
	if (memchr_inv(params->cipher_key + params->cipher_key_length, 0,
		       sizeof(params->cipher_key) - params->cipher_key_length)) {
		*reason = "SRTP key bytes beyond the key length";
		return -EINVAL;
	}
	for (i = 0; i < RTPENGINE_SRTP_SSRC_SLOTS; i++) {
		const struct rtpengine_srtp_ssrc_state *slot = &params->ssrcs[i];

		if (slot->used > 1 || slot->highest_index > INDEX_MASK ||
		    (!slot->used && memchr_inv(slot, 0, sizeof(*slot)))) {
			*reason = "bad SRTP SSRC state";
			return -EINVAL;
		}
	}
	return 0;
}

struct rtpengine_srtp_session *rtpengine_srtp_session_create(const struct rtpengine_target *target)
{
	struct rtpengine_srtp_session *session;
	int err;

	session = kzalloc(sizeof(*session), GFP_KERNEL);
	if (!session)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&session->lock);
	session->decrypt_params = target->decrypt;
	session->encrypt_params = target->encrypt;
	memcpy(session->decrypt_ssrcs, target->decrypt.ssrcs, sizeof(session->decrypt_ssrcs));
	memcpy(session->encrypt_ssrcs, target->encrypt.ssrcs, sizeof(session->encrypt_ssrcs));
	/* the state lives in the session, the records keep only the keys */
	memset(session->decrypt_params.ssrcs, 0, sizeof(session->decrypt_params.ssrcs));
	memset(session->encrypt_params.ssrcs, 0, sizeof(session->encrypt_params.ssrcs));
	err = setup_transform(&session->decrypt, &target->decrypt);
	if (!err)
		err = setup_transform(&session->encrypt, &target->encrypt);
	if (err) {
		rtpengine_srtp_session_free(session);
		return ERR_PTR(err);
	}
	return session;
}

bool rtpengine_srtp_session_same_keys(const struct rtpengine_srtp_session *session,
				      const struct rtpengine_target *target)
{
	return same_keys(&session->decrypt_params, &target->decrypt) &&
		same_keys(&session->encrypt_params, &target->encrypt);
}

void rtpengine_srtp_session_free(struct rtpengine_srtp_session *session)
{
	if (!session)
		return;
	free_transform(&session->decrypt);
	free_transform(&session->encrypt);
	kfree_sensitive(session);
}

void rtpengine_srtp_session_retire(struct rtpengine_srtp_session *session, struct rtpengine_counters *out)
{
	spin_lock_bh(&session->lock);
	session->dead = true;
	if (out) {
		memcpy(out->decrypt_ssrcs, session->decrypt_ssrcs, sizeof(out->decrypt_ssrcs));
		memcpy(out->encrypt_ssrcs, session->encrypt_ssrcs, sizeof(out->encrypt_ssrcs));
	}
	spin_unlock_bh(&session->lock);
}

void rtpengine_srtp_session_snapshot(struct rtpengine_srtp_session *session, struct rtpengine_counters *out)
{
	spin_lock_bh(&session->lock);
	memcpy(out->decrypt_ssrcs, session->decrypt_ssrcs, sizeof(out->decrypt_ssrcs));
	memcpy(out->encrypt_ssrcs, session->encrypt_ssrcs, sizeof(out->encrypt_ssrcs));
	spin_unlock_bh(&session->lock);
}

unsigned int rtpengine_srtp_tailroom(const struct rtpengine_srtp_session *session)
{
	return session->encrypt.cipher == RTPENGINE_SRTP_NONE ? 0 : session->encrypt.tag_length;
}

/* Decrypts (if the sender speaks SRTP) and encrypts (if the destination does) the RTP packet
 * at `packet` (linear, writable, with rtpengine_srtp_tailroom() bytes behind it) in place.
 * Returns the new length, -EAGAIN (untouched: let the daemon have it), -EACCES
 * (authentication failed), -EALREADY (replay) or another negative errno (drop). */
int rtpengine_srtp_process(struct rtpengine_srtp_session *session, u8 *packet, unsigned int length,
			   void (*plaintext)(void *data, const u8 *packet, unsigned int length), void *data)
{
	struct rtpengine_srtp_transform *in = &session->decrypt, *out = &session->encrypt;
	struct rtpengine_srtp_ssrc_state *in_slot = NULL, *out_slot = NULL;
	unsigned int tag = in->cipher != RTPENGINE_SRTP_NONE ? in->tag_length : 0;
	u64 in_index = 0, out_index = 0;
	u8 digest[HMAC_SHA1_LENGTH], received_tag[HMAC_SHA1_LENGTH];
	int header, err;
	u32 ssrc;
	u16 seq;

	if (length < RTP_FIXED_HEADER_LENGTH + tag)
		return -EAGAIN;
	header = rtp_header_length(packet, length - tag);
	if (header < 0)
		return -EAGAIN;
	ssrc = get_unaligned_be32(packet + 8);
	seq = get_unaligned_be16(packet + 2);

	spin_lock(&session->lock);
	if (session->dead) {
		err = -EAGAIN;
		goto out;
	}
	/* every decision that sends the packet up comes before the first byte changes */
	if (in->cipher != RTPENGINE_SRTP_NONE) {
		err = find_index(session->decrypt_ssrcs, ssrc, seq, &in_slot, &in_index);
		if (err)
			goto out;
	}
	if (out->cipher != RTPENGINE_SRTP_NONE) {
		err = find_index(session->encrypt_ssrcs, ssrc, seq, &out_slot, &out_index);
		if (err)
			goto out;
	}

	if (in->cipher == RTPENGINE_SRTP_AES_GCM) {
		COST_PROBE(cost_cipher_ns, err = aes_gcm_crypt(in, false, ssrc, in_index, packet, header, length - header));
		if (err) {
			err = err == -EBADMSG ? -EACCES : err;
			goto out;
		}
		length -= tag;
	} else if (in->cipher != RTPENGINE_SRTP_NONE) {
		length -= tag;
		memcpy(received_tag, packet + length, tag);   /* the ROC goes there for the hash */
		COST_PROBE(cost_hmac_ns, err = hmac_sha1(in, packet, length, in_index >> 16, digest));
		if (err)
			goto out;
		if (crypto_memneq(digest, received_tag, tag)) {
			err = -EACCES;
			goto out;
		}
		if (in->cipher == RTPENGINE_SRTP_AES_CM) {
			COST_PROBE(cost_cipher_ns, err = aes_cm_crypt(in, session->keystream, ssrc, in_index,
								     packet + header, length - header));
			if (err)
				goto out;
		}
	}
	if (in_slot) {
		in_slot->ssrc = ssrc;
		window_accept(in_slot, in_index);
	}
	if (plaintext)
		plaintext(data, packet, length);

	if (out->cipher == RTPENGINE_SRTP_AES_GCM) {
		COST_PROBE(cost_cipher_ns, err = aes_gcm_crypt(out, true, ssrc, out_index, packet, header, length - header));
		if (err)
			goto out;
		length += GCM_TAG_LENGTH;
	} else if (out->cipher != RTPENGINE_SRTP_NONE) {
		if (out->cipher == RTPENGINE_SRTP_AES_CM) {
			COST_PROBE(cost_cipher_ns, err = aes_cm_crypt(out, session->keystream, ssrc, out_index,
								     packet + header, length - header));
			if (err)
				goto out;
		}
		COST_PROBE(cost_hmac_ns, err = hmac_sha1(out, packet, length, out_index >> 16, digest));
		if (err)
			goto out;
		memcpy(packet + length, digest, out->tag_length);
		length += out->tag_length;
	}
	if (out_slot) {
		out_slot->ssrc = ssrc;
		window_accept(out_slot, out_index);
	}
	err = length;
out:
	spin_unlock(&session->lock);
	memzero_explicit(digest, sizeof(digest));
	return err;
}
