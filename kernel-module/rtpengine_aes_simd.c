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
 * Built with -msse4.1 -maes -mpclmul (Kbuild; the pragmas below in user space): nothing in
 * this file may run outside kernel_fpu_begin()/kernel_fpu_end().
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#elif defined(__clang__)
#pragma clang attribute push(__attribute__((target("sse4.1,aes,pclmul"))), apply_to = function)
#define RTPENGINE_AES_SIMD_CLANG_TARGET
#include <string.h>
#include <errno.h>
#else
#pragma GCC push_options
#pragma GCC target("sse4.1,aes,pclmul")
#define RTPENGINE_AES_SIMD_GCC_TARGET
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

/* Partial blocks (length < 16, zero-padded) by 8/4/2/1-byte moves: a variable-length memcpy()
 * is a byte-counted REP MOVSB, one instruction per byte under qemu's instruction count and
 * a microcoded start-up on a CPU. */
static inline u64 load_short(const u8 *p, unsigned int length)   /* length < 8 */
{
	u64 value = 0;
	unsigned int offset = 0;
	u32 word;
	u16 half;

	if (length & 4) {
		memcpy(&word, p, 4);
		value = word;
		offset = 4;
	}
	if (length & 2) {
		memcpy(&half, p + offset, 2);
		value |= (u64)half << (8 * offset);
		offset += 2;
	}
	if (length & 1)
		value |= (u64)p[offset] << (8 * offset);
	return value;
}

static inline void store_short(u8 *p, unsigned int length, u64 value)   /* length < 8 */
{
	unsigned int offset = 0;
	u32 word;
	u16 half;

	if (length & 4) {
		word = (u32)value;
		memcpy(p, &word, 4);
		offset = 4;
	}
	if (length & 2) {
		half = (u16)(value >> (8 * offset));
		memcpy(p + offset, &half, 2);
		offset += 2;
	}
	if (length & 1)
		p[offset] = (u8)(value >> (8 * offset));
}

static inline __m128i load_partial(const u8 *p, unsigned int length)
{
	u64 low;

	if (length < 8)
		return _mm_set_epi64x(0, (long long)load_short(p, length));
	memcpy(&low, p, 8);
	return _mm_set_epi64x((long long)load_short(p + 8, length - 8), (long long)low);
}

static inline void store_partial(u8 *p, unsigned int length, __m128i v)
{
	u64 low = (u64)_mm_cvtsi128_si64(v), high = (u64)_mm_extract_epi64(v, 1);

	if (length < 8) {
		store_short(p, length, low);
		return;
	}
	memcpy(p, &low, 8);
	store_short(p + 8, length - 8, high);
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

/* four independent blocks round by round (AESENC's latency overlaps on the CPU), unrolled so
 * that the blocks stay in registers */
#define AES_ROUND_4(instruction, round_key) do { \
		__m128i key_ = (round_key); \
		b0 = instruction(b0, key_); \
		b1 = instruction(b1, key_); \
		b2 = instruction(b2, key_); \
		b3 = instruction(b3, key_); \
	} while (0)

static inline void aes_encrypt_4(const __m128i *k, unsigned int rounds, __m128i *out)
{
	__m128i b0 = out[0], b1 = out[1], b2 = out[2], b3 = out[3];

	AES_ROUND_4(_mm_xor_si128, k[0]);
	AES_ROUND_4(_mm_aesenc_si128, k[1]);
	AES_ROUND_4(_mm_aesenc_si128, k[2]);
	AES_ROUND_4(_mm_aesenc_si128, k[3]);
	AES_ROUND_4(_mm_aesenc_si128, k[4]);
	AES_ROUND_4(_mm_aesenc_si128, k[5]);
	AES_ROUND_4(_mm_aesenc_si128, k[6]);
	AES_ROUND_4(_mm_aesenc_si128, k[7]);
	AES_ROUND_4(_mm_aesenc_si128, k[8]);
	AES_ROUND_4(_mm_aesenc_si128, k[9]);
	if (rounds == 14) {
		AES_ROUND_4(_mm_aesenc_si128, k[10]);
		AES_ROUND_4(_mm_aesenc_si128, k[11]);
		AES_ROUND_4(_mm_aesenc_si128, k[12]);
		AES_ROUND_4(_mm_aesenc_si128, k[13]);
	}
	AES_ROUND_4(_mm_aesenclast_si128, k[rounds]);
	out[0] = b0;
	out[1] = b1;
	out[2] = b2;
	out[3] = b3;
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

	low = __builtin_bswap32(low);
	for (; length >= 64; length -= 64, data += 64, low += 4) {
		__m128i b[4] = {
			_mm_insert_epi32(counter, (int)__builtin_bswap32(low), 3),
			_mm_insert_epi32(counter, (int)__builtin_bswap32(low + 1), 3),
			_mm_insert_epi32(counter, (int)__builtin_bswap32(low + 2), 3),
			_mm_insert_epi32(counter, (int)__builtin_bswap32(low + 3), 3),
		};

		aes_encrypt_4(k, rounds, b);
		store(data, _mm_xor_si128(load(data), b[0]));
		store(data + 16, _mm_xor_si128(load(data + 16), b[1]));
		store(data + 32, _mm_xor_si128(load(data + 32), b[2]));
		store(data + 48, _mm_xor_si128(load(data + 48), b[3]));
	}
	for (; length >= 16; length -= 16, data += 16, low++) {
		__m128i block = _mm_insert_epi32(counter, (int)__builtin_bswap32(low), 3);

		store(data, _mm_xor_si128(load(data), aes_encrypt_block(k, rounds, block)));
	}
	if (length) {
		__m128i block = _mm_insert_epi32(counter, (int)__builtin_bswap32(low), 3);

		store_partial(data, length, _mm_xor_si128(load_partial(data, length),
							  aes_encrypt_block(k, rounds, block)));
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

/* Four blocks at once: X' = (X ^ B0) H^4 ^ B1 H^3 ^ B2 H^2 ^ B3 H, one reduction (Gueron and
 * Kounavis, algorithm 5); h[i] is H^(i+1), the blocks byte-reversed. */
static inline __m128i ghash_4(__m128i hash, const __m128i *h, __m128i b0, __m128i b1, __m128i b2, __m128i b3)
{
	__m128i low = _mm_setzero_si128(), high = _mm_setzero_si128();

	clmul_add(_mm_xor_si128(hash, b0), h[3], &low, &high);
	clmul_add(b1, h[2], &low, &high);
	clmul_add(b2, h[1], &low, &high);
	clmul_add(b3, h[0], &low, &high);
	return shift_reduce(low, high);
}

static inline __m128i load_reversed(const u8 *p)
{
	return byte_reverse(load(p));
}

/* GHASH(H, A, C) (SP 800-38D section 7.1 step 5): A's blocks one by one (an RTP header is
 * usually one), C four blocks at a time, and C's last blocks with the length block as one
 * final group of up to four: with fewer, the group starts with zero blocks and X goes into
 * its first real one, which multiplies X by the right power of H. */
static __m128i ghash(const struct rtpengine_aes_simd_key *key, const u8 *aad, unsigned int aad_length,
		     const u8 *data, unsigned int length)
{
	__m128i h[4] = { load(key->ghash_powers[0]), load(key->ghash_powers[1]), load(key->ghash_powers[2]),
			 load(key->ghash_powers[3]) };
	__m128i lengths = _mm_set_epi64x((long long)aad_length * 8, (long long)length * 8);
	__m128i hash = _mm_setzero_si128(), group[4];
	unsigned int rest = length, blocks, first, i;

	for (; aad_length >= 16; aad_length -= 16, aad += 16)
		hash = gf_multiply(_mm_xor_si128(hash, load_reversed(aad)), h[0]);
	if (aad_length)
		hash = gf_multiply(_mm_xor_si128(hash, byte_reverse(load_partial(aad, aad_length))), h[0]);
	for (; rest >= 64; rest -= 64, data += 64)
		hash = ghash_4(hash, h, load_reversed(data), load_reversed(data + 16), load_reversed(data + 32),
			       load_reversed(data + 48));
	if (rest > 48) {
		hash = gf_multiply(_mm_xor_si128(hash, load_reversed(data)), h[0]);
		rest -= 16;
		data += 16;
	}
	/* rest <= 48: up to three blocks of C, then the length block (lengths above: len(A) ||
	 * len(C) in bits, big-endian, so byte-reversed len(C) is the low half) */
	blocks = (rest + 15) / 16;
	first = 3 - blocks;
	for (i = 0; i < first; i++)
		group[i] = _mm_setzero_si128();
	for (i = 0; i < blocks; i++, rest -= 16)
		group[first + i] = rest >= 16 ? load_reversed(data + 16 * i) :
			byte_reverse(load_partial(data + 16 * i, rest));
	group[3] = lengths;
	group[first] = _mm_xor_si128(group[first], hash);
	return ghash_4(_mm_setzero_si128(), h, group[0], group[1], group[2], group[3]);
}

/* J0 = IV || 0^31 || 1 (96-bit IV); the tag is E(K, J0) ^ GHASH(A, C) */
static __m128i gcm_tag(const struct rtpengine_aes_simd_key *key, const __m128i *k, __m128i j0, const u8 *aad,
		       unsigned int aad_length, const u8 *ciphertext, unsigned int length)
{
	return _mm_xor_si128(byte_reverse(ghash(key, aad, aad_length, ciphertext, length)),
			     aes_encrypt_block(k, key->rounds, j0));
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

/* user space: the including file (the unit test) goes on without the target options */
#ifdef RTPENGINE_AES_SIMD_CLANG_TARGET
#pragma clang attribute pop
#endif
#ifdef RTPENGINE_AES_SIMD_GCC_TARGET
#pragma GCC pop_options
#endif
