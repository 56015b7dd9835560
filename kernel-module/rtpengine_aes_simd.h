/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AES counter mode and AES-GCM for one short packet with AES-NI, PCLMULQDQ and SSE4.1
 * (rtpengine_aes_simd.c). Every function uses SSE registers: in the kernel call them only
 * between kernel_fpu_begin() and kernel_fpu_end(). The file also builds in user space, where
 * tests/unit/test_kernel_aes_simd.c and tests/fuzz/fuzz_kernel_aes_simd.c check it against
 * OpenSSL.
 */
#ifndef RTPENGINE_AES_SIMD_H
#define RTPENGINE_AES_SIMD_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

#define RTPENGINE_AES_SIMD_MAX_ROUNDS 14

/* An expanded AES-128 or AES-256 encryption key and its GHASH key. Unaligned: every load is
 * movdqu, so the struct may sit anywhere in a kmalloc()ed session. */
struct rtpengine_aes_simd_key {
	u8 round_keys[RTPENGINE_AES_SIMD_MAX_ROUNDS + 1][16];
	u8 ghash_powers[4][16];  /* H^1..H^4, H = E(K, 0^128), byte-reversed (PCLMULQDQ order) */
	unsigned int rounds;     /* 10 or 14; 0: not keyed */
};

/* 16 or 32-byte keys; -EINVAL for other lengths (AES-192 stays with the crypto API). */
int rtpengine_aes_simd_setkey(struct rtpengine_aes_simd_key *key, const u8 *raw, unsigned int length);
/* In place: block j of the keystream is E(K, counter + j), j added to the low 32 bits
 * (big-endian), which is RFC 3711's AES-CM for fewer than 2^16 blocks and RFC 5288/7714's
 * GCM counter for fewer than 2^32. */
void rtpengine_aes_simd_ctr(const struct rtpengine_aes_simd_key *key, const u8 counter[16], u8 *data,
			    unsigned int length);
/* AES-GCM with a 96-bit IV and a 16-byte tag (NIST SP 800-38D section 7), in place. */
void rtpengine_aes_simd_gcm_encrypt(const struct rtpengine_aes_simd_key *key, const u8 iv[12], const u8 *aad,
				    unsigned int aad_length, u8 *data, unsigned int length, u8 tag[16]);
/* Checks the tag first and decrypts only an authentic packet: false (data untouched) if not. */
bool rtpengine_aes_simd_gcm_decrypt(const struct rtpengine_aes_simd_key *key, const u8 iv[12], const u8 *aad,
				    unsigned int aad_length, u8 *data, unsigned int length, const u8 tag[16]);

#endif
