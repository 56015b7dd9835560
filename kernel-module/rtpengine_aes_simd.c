// SPDX-License-Identifier: GPL-2.0
/*
 * AES-CTR and AES-GCM over one SRTP packet with AES-NI and PCLMULQDQ intrinsics.
 *
 * Why not the crypto API: for a 160-byte voice payload the kernel's "__gcm(aes)" spends
 * more instructions around the cipher than in it (an skcipher walk over the scatterlist,
 * three FPU sections, the tag copied through a scatterwalk, GHASH key powers recomputed per
 * request), measured in tests/bench/README.md, "Kernel SRTP". Here a packet is one linear
 * buffer, so the whole operation is straight-line code inside one FPU section that the
 * caller (rtpengine_srtp.c) opens.
 *
 * GHASH (NIST SP 800-38D section 6.4) works on byte-reversed blocks: after PSHUFB the
 * 128-bit block is the bit-reflected field element, the carry-less product of two of them
 * is shifted left by one bit and reduced modulo x^128 + x^127 + x^126 + x^121 + 1 (Gueron
 * and Kounavis, "Intel Carry-Less Multiplication Instruction and its Usage for Computing the
 * GCM Mode", algorithms 1, 4 and 5).
 *
 * Built with -msse4.1 -maes -mpclmul (Kbuild; the pragma below in user space): nothing in
 * this file may run outside kernel_fpu_begin()/kernel_fpu_end().
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#pragma GCC target("sse4.1,aes,pclmul")
#include <errno.h>
#include <string.h>
#endif
#include <wmmintrin.h>
#include <smmintrin.h>

#include "rtpengine_aes_simd.h"

/* ---------------------------------------------------------------- AES (FIPS 197) */

static inline __m128i load(const u8 *p)
{
	return _mm_loadu_si128((const __m128i *)p);
}

static inline void store(u8 *p, __m128i v)
{
	_mm_storeu_si128((__m128i *)p, v);
}

/* w[i] ^= w[i-1] ^ ... ^ w[0] for the four words of the previous round key (key expansion) */
static inline __m128i xor_prefix(__m128i key)
{
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	return _mm_xor_si128(key, _mm_slli_si128(key, 4));
}

/* AESKEYGENASSIST takes the round constant as an immediate: one macro per step */
#define EXPAND_128(previous, rcon) \
	_mm_xor_si128(xor_prefix(previous), _mm_shuffle_epi32(_mm_aeskeygenassist_si128(previous, rcon), 0xff))
#define EXPAND_256_EVEN(two_back, previous, rcon) \
	_mm_xor_si128(xor_prefix(two_back), _mm_shuffle_epi32(_mm_aeskeygenassist_si128(previous, rcon), 0xff))
#define EXPAND_256_ODD(two_back, previous) \
	_mm_xor_si128(xor_prefix(two_back), _mm_shuffle_epi32(_mm_aeskeygenassist_si128(previous, 0), 0xaa))

static void expand_128(__m128i *k, const u8 *raw)
{
	k[0] = load(raw);
	k[1] = EXPAND_128(k[0], 0x01);
	k[2] = EXPAND_128(k[1], 0x02);
	k[3] = EXPAND_128(k[2], 0x04);
	k[4] = EXPAND_128(k[3], 0x08);
	k[5] = EXPAND_128(k[4], 0x10);
	k[6] = EXPAND_128(k[5], 0x20);
	k[7] = EXPAND_128(k[6], 0x40);
	k[8] = EXPAND_128(k[7], 0x80);
	k[9] = EXPAND_128(k[8], 0x1b);
	k[10] = EXPAND_128(k[9], 0x36);
}

static void expand_256(__m128i *k, const u8 *raw)
{
	k[0] = load(raw);
	k[1] = load(raw + 16);
	k[2] = EXPAND_256_EVEN(k[0], k[1], 0x01);
	k[3] = EXPAND_256_ODD(k[1], k[2]);
	k[4] = EXPAND_256_EVEN(k[2], k[3], 0x02);
	k[5] = EXPAND_256_ODD(k[3], k[4]);
	k[6] = EXPAND_256_EVEN(k[4], k[5], 0x04);
	k[7] = EXPAND_256_ODD(k[5], k[6]);
	k[8] = EXPAND_256_EVEN(k[6], k[7], 0x08);
	k[9] = EXPAND_256_ODD(k[7], k[8]);
	k[10] = EXPAND_256_EVEN(k[8], k[9], 0x10);
	k[11] = EXPAND_256_ODD(k[9], k[10]);
	k[12] = EXPAND_256_EVEN(k[10], k[11], 0x20);
	k[13] = EXPAND_256_ODD(k[11], k[12]);
	k[14] = EXPAND_256_EVEN(k[12], k[13], 0x40);
}

/* unrolled (a counted loop costs three instructions per round besides AESENC) */
static inline __m128i aes_encrypt_block(const __m128i *k, unsigned int rounds, __m128i block)
{
	block = _mm_xor_si128(block, k[0]);
	block = _mm_aesenc_si128(block, k[1]);
	block = _mm_aesenc_si128(block, k[2]);
	block = _mm_aesenc_si128(block, k[3]);
	block = _mm_aesenc_si128(block, k[4]);
	block = _mm_aesenc_si128(block, k[5]);
	block = _mm_aesenc_si128(block, k[6]);
	block = _mm_aesenc_si128(block, k[7]);
	block = _mm_aesenc_si128(block, k[8]);
	block = _mm_aesenc_si128(block, k[9]);
	if (rounds == 14) {
		block = _mm_aesenc_si128(block, k[10]);
		block = _mm_aesenc_si128(block, k[11]);
		block = _mm_aesenc_si128(block, k[12]);
		block = _mm_aesenc_si128(block, k[13]);
	}
	return _mm_aesenclast_si128(block, k[rounds]);
}

/* four independent blocks round by round: AESENC's latency overlaps on the CPU */
static inline void aes_encrypt_4(const __m128i *k, unsigned int rounds, __m128i *b)
{
	unsigned int i, j;

	for (j = 0; j < 4; j++)
		b[j] = _mm_xor_si128(b[j], k[0]);
#pragma GCC unroll 13
	for (i = 1; i < rounds; i++)
		for (j = 0; j < 4; j++)
			b[j] = _mm_aesenc_si128(b[j], k[i]);
	for (j = 0; j < 4; j++)
		b[j] = _mm_aesenclast_si128(b[j], k[rounds]);
}

/* the round keys into registers (or the stack) once per packet */
static inline void load_round_keys(const struct rtpengine_aes_simd_key *key, __m128i *k)
{
	unsigned int i;

	for (i = 0; i <= key->rounds; i++)
		k[i] = load(key->round_keys[i]);
}

static void ctr_xor(const __m128i *k, unsigned int rounds, __m128i counter, u8 *data, unsigned int length)
{
	u32 low = (u32)_mm_extract_epi32(counter, 3);
	u8 partial[16];

	low = __builtin_bswap32(low);
	for (; length >= 64; length -= 64, data += 64, low += 4) {
		__m128i b[4];
		unsigned int j;

		for (j = 0; j < 4; j++)
			b[j] = _mm_insert_epi32(counter, (int)__builtin_bswap32(low + j), 3);
		aes_encrypt_4(k, rounds, b);
		for (j = 0; j < 4; j++)
			store(data + 16 * j, _mm_xor_si128(load(data + 16 * j), b[j]));
	}
	for (; length >= 16; length -= 16, data += 16, low++) {
		__m128i block = _mm_insert_epi32(counter, (int)__builtin_bswap32(low), 3);

		store(data, _mm_xor_si128(load(data), aes_encrypt_block(k, rounds, block)));
	}
	if (length) {
		__m128i block = _mm_insert_epi32(counter, (int)__builtin_bswap32(low), 3);

		memset(partial, 0, sizeof(partial));
		memcpy(partial, data, length);
		store(partial, _mm_xor_si128(load(partial), aes_encrypt_block(k, rounds, block)));
		memcpy(data, partial, length);
	}
}

/* ---------------------------------------------------------------- GHASH */

static inline __m128i byte_reverse(__m128i v)
{
	return _mm_shuffle_epi8(v, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* The 256-bit carry-less product of a and b added into high:low (schoolbook). Shift and
 * reduction are linear, so products of several blocks may be summed first and reduced once. */
static inline void clmul_add(__m128i a, __m128i b, __m128i *low, __m128i *high)
{
	__m128i middle = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));

	*low = _mm_xor_si128(*low, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x00), _mm_slli_si128(middle, 8)));
	*high = _mm_xor_si128(*high, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x11), _mm_srli_si128(middle, 8)));
}

/* high:low, a product of byte-reversed operands (see the top of the file), to the field element */
static inline __m128i shift_reduce(__m128i low, __m128i high)
{
	__m128i carry_low, carry_high, carry_across, fold, fold_high, back;

	/* the bit-reflected operands make the product one bit short: shift the 256 bits left */
	carry_low = _mm_srli_epi32(low, 31);
	carry_high = _mm_srli_epi32(high, 31);
	low = _mm_slli_epi32(low, 1);
	high = _mm_slli_epi32(high, 1);
	carry_across = _mm_srli_si128(carry_low, 12);
	carry_high = _mm_slli_si128(carry_high, 4);
	carry_low = _mm_slli_si128(carry_low, 4);
	low = _mm_or_si128(low, carry_low);
	high = _mm_or_si128(high, _mm_or_si128(carry_high, carry_across));

	/* reduction modulo x^128 + x^127 + x^126 + x^121 + 1, first phase */
	fold = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(low, 31), _mm_slli_epi32(low, 30)),
			     _mm_slli_epi32(low, 25));
	fold_high = _mm_srli_si128(fold, 4);
	low = _mm_xor_si128(low, _mm_slli_si128(fold, 12));
	/* second phase */
	back = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(low, 1), _mm_srli_epi32(low, 2)),
			     _mm_srli_epi32(low, 7));
	back = _mm_xor_si128(back, fold_high);
	low = _mm_xor_si128(low, back);
	return _mm_xor_si128(high, low);
}

static inline __m128i gf_multiply(__m128i a, __m128i b)
{
	__m128i low = _mm_setzero_si128(), high = _mm_setzero_si128();

	clmul_add(a, b, &low, &high);
	return shift_reduce(low, high);
}

/* GHASH in groups of up to four blocks: X' = (X ^ B1) H^4 ^ B2 H^3 ^ B3 H^2 ^ B4 H, one
 * reduction per group (Gueron and Kounavis, algorithm 5) */
struct ghash {
	__m128i hash;
	__m128i pending[4];      /* byte-reversed blocks not yet hashed */
	unsigned int count;
	const u8 (*powers)[16];  /* H^1 .. H^4 */
};

static void ghash_flush(struct ghash *state)
{
	__m128i low = _mm_setzero_si128(), high = _mm_setzero_si128();
	unsigned int i, n = state->count;

	if (!n)
		return;
	state->pending[0] = _mm_xor_si128(state->pending[0], state->hash);
	for (i = 0; i < n; i++)
		clmul_add(state->pending[i], load(state->powers[n - 1 - i]), &low, &high);
	state->hash = shift_reduce(low, high);
	state->count = 0;
}

static inline void ghash_block(struct ghash *state, __m128i block)
{
	state->pending[state->count++] = byte_reverse(block);
	if (state->count == 4)
		ghash_flush(state);
}

/* the data's 16-byte blocks, the last one zero-padded */
static void ghash_update(struct ghash *state, const u8 *data, unsigned int length)
{
	u8 partial[16];

	for (; length >= 16; length -= 16, data += 16)
		ghash_block(state, load(data));
	if (length) {
		memset(partial, 0, sizeof(partial));
		memcpy(partial, data, length);
		ghash_block(state, load(partial));
	}
}

/* J0 = IV || 0^31 || 1 (96-bit IV); the tag is E(K, J0) ^ GHASH(A, C, lengths) */
static __m128i gcm_tag(const struct rtpengine_aes_simd_key *key, const __m128i *k, __m128i j0, const u8 *aad,
		       unsigned int aad_length, const u8 *ciphertext, unsigned int length)
{
	struct ghash state = { .hash = _mm_setzero_si128(), .powers = key->ghash_powers };

	ghash_update(&state, aad, aad_length);
	ghash_update(&state, ciphertext, length);
	/* the length block len(A) || len(C) in bits, big-endian (byte-reversed: C the low half) */
	state.pending[state.count++] = _mm_set_epi64x((long long)aad_length * 8, (long long)length * 8);
	ghash_flush(&state);
	return _mm_xor_si128(byte_reverse(state.hash), aes_encrypt_block(k, key->rounds, j0));
}

static inline __m128i gcm_j0(const u8 iv[12])
{
	u8 block[16];

	memcpy(block, iv, 12);
	block[12] = block[13] = block[14] = 0;
	block[15] = 1;
	return load(block);
}

/* ---------------------------------------------------------------- public */

int rtpengine_aes_simd_setkey(struct rtpengine_aes_simd_key *key, const u8 *raw, unsigned int length)
{
	__m128i k[RTPENGINE_AES_SIMD_MAX_ROUNDS + 1], h, power;
	unsigned int i;

	if (length == 16) {
		expand_128(k, raw);
		key->rounds = 10;
	} else if (length == 32) {
		expand_256(k, raw);
		key->rounds = 14;
	} else {
		key->rounds = 0;
		return -EINVAL;
	}
	for (i = 0; i <= key->rounds; i++)
		store(key->round_keys[i], k[i]);
	h = byte_reverse(aes_encrypt_block(k, key->rounds, _mm_setzero_si128()));
	for (i = 0, power = h; i < 4; i++, power = gf_multiply(power, h))
		store(key->ghash_powers[i], power);
	memset(k, 0, sizeof(k));
	return 0;
}

void rtpengine_aes_simd_ctr(const struct rtpengine_aes_simd_key *key, const u8 counter[16], u8 *data,
			    unsigned int length)
{
	__m128i k[RTPENGINE_AES_SIMD_MAX_ROUNDS + 1];

	load_round_keys(key, k);
	ctr_xor(k, key->rounds, load(counter), data, length);
}

void rtpengine_aes_simd_gcm_encrypt(const struct rtpengine_aes_simd_key *key, const u8 iv[12], const u8 *aad,
				    unsigned int aad_length, u8 *data, unsigned int length, u8 tag[16])
{
	__m128i k[RTPENGINE_AES_SIMD_MAX_ROUNDS + 1];
	__m128i j0 = gcm_j0(iv);

	load_round_keys(key, k);
	/* the payload's counter blocks start at inc32(J0) */
	ctr_xor(k, key->rounds, _mm_insert_epi32(j0, (int)__builtin_bswap32(2), 3), data, length);
	store(tag, gcm_tag(key, k, j0, aad, aad_length, data, length));
}

bool rtpengine_aes_simd_gcm_decrypt(const struct rtpengine_aes_simd_key *key, const u8 iv[12], const u8 *aad,
				    unsigned int aad_length, u8 *data, unsigned int length, const u8 tag[16])
{
	__m128i k[RTPENGINE_AES_SIMD_MAX_ROUNDS + 1];
	__m128i j0 = gcm_j0(iv), expected;

	load_round_keys(key, k);
	expected = gcm_tag(key, k, j0, aad, aad_length, data, length);
	/* constant time: one compare of all 16 bytes */
	if (_mm_movemask_epi8(_mm_cmpeq_epi8(expected, load(tag))) != 0xffff)
		return false;
	ctr_xor(k, key->rounds, _mm_insert_epi32(j0, (int)__builtin_bswap32(2), 3), data, length);
	return true;
}
