/* Unit tests for kernel-module/rtpengine_aes_simd.c (the kernel's AES-NI/PCLMULQDQ AES-CTR
 * and AES-GCM, built here in user space): NIST SP 800-38D test cases, then random keys,
 * IVs, header and payload lengths (every length from 0 to 300 bytes, AES-128 and AES-256)
 * against OpenSSL's EVP, and tampered tags, headers and payloads refused with the payload
 * left untouched. Skipped on a CPU without AES-NI, PCLMULQDQ or SSE4.1. */
#include "../../kernel-module/rtpengine_aes_simd.c"

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static bool cpu_ok(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
	       __builtin_cpu_supports("sse4.1");
}

static void openssl_gcm(const u8 *key, unsigned int key_length, const u8 iv[12], const u8 *aad,
			unsigned int aad_length, const u8 *in, unsigned int length, u8 *out, u8 tag[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int written = 0;

	g_assert_nonnull(ctx);
	g_assert_cmpint(EVP_EncryptInit_ex(ctx, key_length == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
					   NULL, key, iv), ==, 1);
	if (aad_length)
		g_assert_cmpint(EVP_EncryptUpdate(ctx, NULL, &written, aad, (int)aad_length), ==, 1);
	if (length)
		g_assert_cmpint(EVP_EncryptUpdate(ctx, out, &written, in, (int)length), ==, 1);
	g_assert_cmpint(EVP_EncryptFinal_ex(ctx, out + written, &written), ==, 1);
	g_assert_cmpint(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), ==, 1);
	EVP_CIPHER_CTX_free(ctx);
}

static void openssl_ctr(const u8 *key, unsigned int key_length, const u8 counter[16], const u8 *in,
			unsigned int length, u8 *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int written = 0;

	g_assert_nonnull(ctx);
	g_assert_cmpint(EVP_EncryptInit_ex(ctx, key_length == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(),
					   NULL, key, counter), ==, 1);
	if (length)
		g_assert_cmpint(EVP_EncryptUpdate(ctx, out, &written, in, (int)length), ==, 1);
	EVP_CIPHER_CTX_free(ctx);
}

static void random_bytes(u8 *p, unsigned int length)
{
	if (length)
		g_assert_cmpint(RAND_bytes(p, (int)length), ==, 1);
}

/* NIST SP 800-38D / McGrew-Viega GCM spec, test case 4 (AES-128, 60-byte plaintext, AAD) */
static void test_gcm_vector(void)
{
	static const u8 key[16] = { 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
				    0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08 };
	static const u8 iv[12] = { 0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
	static const u8 aad[20] = { 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
				    0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2 };
	static const u8 expected_tag[16] = { 0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb,
					     0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47 };
	static const u8 expected_start[4] = { 0x42, 0x83, 0x1e, 0xc2 };
	u8 data[60] = { 0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5,
			0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
			0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95,
			0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
			0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39 };
	struct rtpengine_aes_simd_key simd;
	u8 tag[16];

	if (!cpu_ok()) {
		g_test_skip("no AES-NI / PCLMULQDQ / SSE4.1");
		return;
	}
	g_assert_cmpint(rtpengine_aes_simd_setkey(&simd, key, sizeof(key)), ==, 0);
	rtpengine_aes_simd_gcm_encrypt(&simd, iv, aad, sizeof(aad), data, sizeof(data), tag);
	g_assert_cmpmem(tag, 16, expected_tag, 16);
	g_assert_cmpmem(data, 4, expected_start, 4);
	g_assert_true(rtpengine_aes_simd_gcm_decrypt(&simd, iv, aad, sizeof(aad), data, sizeof(data), tag));
	g_assert_cmphex(data[0], ==, 0xd9);
	g_assert_cmpint(rtpengine_aes_simd_setkey(&simd, key, 24), ==, -EINVAL);
}

static void test_gcm_random(void)
{
	u8 key[32], iv[12], aad[40], plain[300], ours[300], theirs[300], ours_tag[16], their_tag[16];
	struct rtpengine_aes_simd_key simd;
	unsigned int key_length, length, aad_length;

	if (!cpu_ok()) {
		g_test_skip("no AES-NI / PCLMULQDQ / SSE4.1");
		return;
	}
	for (key_length = 16; key_length <= 32; key_length += 16) {
		for (length = 0; length <= sizeof(plain); length++) {
			aad_length = length % sizeof(aad);
			random_bytes(key, key_length);
			random_bytes(iv, sizeof(iv));
			random_bytes(aad, aad_length);
			random_bytes(plain, length);
			g_assert_cmpint(rtpengine_aes_simd_setkey(&simd, key, key_length), ==, 0);
			memcpy(ours, plain, length);
			rtpengine_aes_simd_gcm_encrypt(&simd, iv, aad, aad_length, ours, length, ours_tag);
			openssl_gcm(key, key_length, iv, aad, aad_length, plain, length, theirs, their_tag);
			g_assert_cmpmem(ours, length, theirs, length);
			g_assert_cmpmem(ours_tag, 16, their_tag, 16);
			g_assert_true(rtpengine_aes_simd_gcm_decrypt(&simd, iv, aad, aad_length, ours, length, ours_tag));
			g_assert_cmpmem(ours, length, plain, length);
		}
	}
}

static void test_gcm_tampered(void)
{
	u8 key[16], iv[12], aad[12], data[160], sealed[160], tag[16];
	struct rtpengine_aes_simd_key simd;
	unsigned int bit;

	if (!cpu_ok()) {
		g_test_skip("no AES-NI / PCLMULQDQ / SSE4.1");
		return;
	}
	random_bytes(key, sizeof(key));
	random_bytes(iv, sizeof(iv));
	random_bytes(aad, sizeof(aad));
	random_bytes(data, sizeof(data));
	g_assert_cmpint(rtpengine_aes_simd_setkey(&simd, key, sizeof(key)), ==, 0);
	rtpengine_aes_simd_gcm_encrypt(&simd, iv, aad, sizeof(aad), data, sizeof(data), tag);
	memcpy(sealed, data, sizeof(data));
	for (bit = 0; bit < 8 * (sizeof(tag) + sizeof(aad) + sizeof(data)); bit += 7) {
		u8 *byte = bit < 128 ? &tag[bit / 8] : bit < 224 ? &aad[bit / 8 - 16] : &data[bit / 8 - 28];

		*byte ^= 1 << (bit % 8);
		g_assert_false(rtpengine_aes_simd_gcm_decrypt(&simd, iv, aad, sizeof(aad), data, sizeof(data), tag));
		*byte ^= 1 << (bit % 8);
		g_assert_cmpmem(data, sizeof(data), sealed, sizeof(sealed));
	}
	g_assert_true(rtpengine_aes_simd_gcm_decrypt(&simd, iv, aad, sizeof(aad), data, sizeof(data), tag));
}

/* RFC 3711 AES-CM: the counter's low 16 bits start at 0; OpenSSL's CTR adds to all 128 */
static void test_ctr_random(void)
{
	u8 key[32], counter[16], plain[300], ours[300], theirs[300];
	struct rtpengine_aes_simd_key simd;
	unsigned int key_length, length;

	if (!cpu_ok()) {
		g_test_skip("no AES-NI / PCLMULQDQ / SSE4.1");
		return;
	}
	for (key_length = 16; key_length <= 32; key_length += 16) {
		for (length = 0; length <= sizeof(plain); length++) {
			random_bytes(key, key_length);
			random_bytes(counter, 14);
			counter[14] = counter[15] = 0;
			random_bytes(plain, length);
			g_assert_cmpint(rtpengine_aes_simd_setkey(&simd, key, key_length), ==, 0);
			memcpy(ours, plain, length);
			rtpengine_aes_simd_ctr(&simd, counter, ours, length);
			openssl_ctr(key, key_length, counter, plain, length, theirs);
			g_assert_cmpmem(ours, length, theirs, length);
		}
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kernel_aes_simd/gcm_vector", test_gcm_vector);
	g_test_add_func("/kernel_aes_simd/gcm_random", test_gcm_random);
	g_test_add_func("/kernel_aes_simd/gcm_tampered", test_gcm_tampered);
	g_test_add_func("/kernel_aes_simd/ctr_random", test_ctr_random);
	return g_test_run();
}
