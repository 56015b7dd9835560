/* libFuzzer target for kernel-module/rtpengine_aes_simd.c (built here in user space), checked
 * against OpenSSL: input byte 0 picks the key length (bit 0: AES-256) and byte 1 the length of
 * the associated data (mod 48); then the key, a 12-byte IV, the associated data, the payload.
 * GCM encryption must give OpenSSL's ciphertext and tag, decryption the payload back, a
 * flipped tag bit must be refused with the payload untouched, and CTR (IV || 0000 as the
 * counter, RFC 3711's AES-CM) must give OpenSSL's keystream. Does nothing on a CPU without
 * AES-NI, PCLMULQDQ or SSE4.1. */
#include "../../kernel-module/rtpengine_aes_simd.c"

#include <openssl/evp.h>
#include <stdlib.h>

static void check(int ok)
{
	if (!ok)
		abort();
}

static void openssl_crypt(const EVP_CIPHER *cipher, const u8 *key, const u8 *iv, const u8 *aad, int aad_length,
			  const u8 *in, int length, u8 *out, u8 *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int written = 0;

	check(ctx && EVP_EncryptInit_ex(ctx, cipher, NULL, key, iv) == 1);
	if (aad_length)
		check(EVP_EncryptUpdate(ctx, NULL, &written, aad, aad_length) == 1);
	if (length)
		check(EVP_EncryptUpdate(ctx, out, &written, in, length) == 1);
	check(EVP_EncryptFinal_ex(ctx, out + written, &written) == 1);
	if (tag)
		check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int cpu = -1;
	struct rtpengine_aes_simd_key key;
	u8 payload[2048], theirs[2048], counter[16], tag[16], their_tag[16];
	unsigned int key_length, aad_length, length;
	const u8 *raw, *iv, *aad;

	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
		      __builtin_cpu_supports("sse4.1");
	}
	if (!cpu || size < 2)
		return 0;
	key_length = data[0] & 1 ? 32 : 16;
	aad_length = data[1] % 48;
	if (size < 2 + key_length + 12 + aad_length)
		return 0;
	raw = data + 2;
	iv = raw + key_length;
	aad = iv + 12;
	length = size - (2 + key_length + 12 + aad_length);
	if (length > sizeof(payload))
		length = sizeof(payload);
	memcpy(payload, aad + aad_length, length);

	check(rtpengine_aes_simd_setkey(&key, raw, key_length) == 0);
	rtpengine_aes_simd_gcm_encrypt(&key, iv, aad, aad_length, payload, length, tag);
	openssl_crypt(key_length == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), raw, iv, aad, (int)aad_length,
		      aad + aad_length, (int)length, theirs, their_tag);
	check(!memcmp(payload, theirs, length) && !memcmp(tag, their_tag, 16));
	tag[data[0] >> 4] ^= 1;
	check(!rtpengine_aes_simd_gcm_decrypt(&key, iv, aad, aad_length, payload, length, tag));
	check(!memcmp(payload, theirs, length));
	tag[data[0] >> 4] ^= 1;
	check(rtpengine_aes_simd_gcm_decrypt(&key, iv, aad, aad_length, payload, length, tag));
	check(!memcmp(payload, aad + aad_length, length));

	memcpy(counter, iv, 12);
	memset(counter + 12, 0, 4);
	rtpengine_aes_simd_ctr(&key, counter, payload, length);
	openssl_crypt(key_length == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(), raw, counter, NULL, 0,
		      aad + aad_length, (int)length, theirs, NULL);
	check(!memcmp(payload, theirs, length));
	return 0;
}
