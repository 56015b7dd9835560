/* Unit tests for DTLS-SRTP's pure parts (daemon/dtls.c, dtls_srtp.c, dtls_certificate.c):
 * RFC 5764 protection profiles and the exporter's key layout, a=fingerprint parsing, formatting
 * and checking (RFC 8122), a=setup role resolution (RFC 4145, RFC 5763 section 5), the
 * RFC 7983 demultiplexing test, and the certificate the daemon makes. Handshakes against an
 * independent peer are in tests/e2e/test_dtls.py. */
#include "dtls.h"
#include "dtls_certificate.h"
#include "dtls_srtp.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* ---- RFC 5764 section 4.1.2 / RFC 7714 section 14.2 ---- */

static void test_profile_material_lengths(void)
{
	/* 2 x (key + salt): AES-CM 16+14, GCM-128 16+12, GCM-256 32+12 */
	g_assert_cmpint(dtls_srtp_material_length(0x0001), ==, 60);   /* SRTP_AES128_CM_HMAC_SHA1_80 */
	g_assert_cmpint(dtls_srtp_material_length(0x0002), ==, 60);   /* SRTP_AES128_CM_HMAC_SHA1_32 */
	g_assert_cmpint(dtls_srtp_material_length(0x0007), ==, 56);   /* SRTP_AEAD_AES_128_GCM */
	g_assert_cmpint(dtls_srtp_material_length(0x0008), ==, 88);   /* SRTP_AEAD_AES_256_GCM */
	g_assert_cmpint(dtls_srtp_material_length(0x0000), ==, -ENOENT);
	g_assert_cmpint(dtls_srtp_material_length(0x0003), ==, -ENOENT);   /* unassigned */
	g_assert_cmpint(dtls_srtp_material_length(0xffff), ==, -ENOENT);
	g_assert_cmpstr(dtls_srtp_suite_name(-1), ==, "none");
}

/* client_write_key | server_write_key | client_salt | server_salt (RFC 5764 section 4.2) */
static void test_key_layout(void)
{
	unsigned char material[DTLS_SRTP_MATERIAL_MAX];
	for (unsigned int i = 0; i < sizeof(material); i++)
		material[i] = (unsigned char) i;
	const unsigned char *our_key, *our_salt, *their_key, *their_salt;
	size_t key_length, salt_length;
	int suite;
	g_assert_cmpint(dtls_srtp_split(0x0001, material, true, &suite, &our_key, &our_salt, &their_key, &their_salt,
					&key_length, &salt_length), ==, 0);
	g_assert_cmpstr(dtls_srtp_suite_name(suite), ==, "AES_CM_128_HMAC_SHA1_80");
	g_assert_cmpuint(key_length, ==, 16);
	g_assert_cmpuint(salt_length, ==, 14);
	g_assert_true(our_key == material && their_key == material + 16);
	g_assert_true(our_salt == material + 32 && their_salt == material + 46);
	/* the server encrypts with the second key and salt */
	g_assert_cmpint(dtls_srtp_split(0x0008, material, false, &suite, &our_key, &our_salt, &their_key, &their_salt,
					&key_length, &salt_length), ==, 0);
	g_assert_cmpstr(dtls_srtp_suite_name(suite), ==, "AEAD_AES_256_GCM");
	g_assert_cmpuint(key_length, ==, 32);
	g_assert_cmpuint(salt_length, ==, 12);
	g_assert_true(our_key == material + 32 && their_key == material);
	g_assert_true(our_salt == material + 64 + 12 && their_salt == material + 64);
	g_assert_cmpint(dtls_srtp_split(0x0004, material, false, &suite, &our_key, &our_salt, &their_key, &their_salt,
					&key_length, &salt_length), ==, -ENOENT);
}

/* Our offered profile list must be one OpenSSL accepts, strongest first. */
static void test_profile_list_is_accepted(void)
{
	SSL_CTX *context = SSL_CTX_new(DTLS_method());
	g_assert_nonnull(context);
	g_assert_cmpint(SSL_CTX_set_tlsext_use_srtp(context, dtls_srtp_profiles), ==, 0);
	SSL *ssl = SSL_new(context);
	g_assert_nonnull(ssl);
	STACK_OF(SRTP_PROTECTION_PROFILE) *profiles = SSL_get_srtp_profiles(ssl);
	g_assert_cmpint(sk_SRTP_PROTECTION_PROFILE_num(profiles), ==, 4);
	g_assert_cmpuint(sk_SRTP_PROTECTION_PROFILE_value(profiles, 0)->id, ==, 0x0008);
	for (int i = 0; i < sk_SRTP_PROTECTION_PROFILE_num(profiles); i++)
		g_assert_cmpint(dtls_srtp_material_length((uint16_t) sk_SRTP_PROTECTION_PROFILE_value(profiles, i)->id),
				>, 0);
	SSL_free(ssl);
	SSL_CTX_free(context);
}

/* ---- a=fingerprint (RFC 8122 section 5) ---- */

static const char sha256_text[] = "sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:"
	"A9:0E:05:E9:26:33:E8:70:88:A2";

static void test_fingerprint_round_trip(void)
{
	struct dtls_fingerprint fingerprint;
	g_assert_cmpint(dtls_fingerprint_parse(sha256_text, strlen(sha256_text), &fingerprint), ==, 0);
	g_assert_cmpint(fingerprint.hash, ==, DTLS_HASH_SHA256);
	g_assert_cmpuint(fingerprint.length, ==, 32);
	g_assert_cmpuint(fingerprint.digest[0], ==, 0x19);
	g_assert_cmpuint(fingerprint.digest[31], ==, 0xa2);
	char text[DTLS_FINGERPRINT_TEXT_MAX];
	g_assert_cmpint(dtls_fingerprint_format(&fingerprint, text, sizeof(text)), ==, (int) strlen(sha256_text));
	g_assert_cmpstr(text, ==, sha256_text);
	/* too small a buffer */
	g_assert_cmpint(dtls_fingerprint_format(&fingerprint, text, 20), ==, -ENOSPC);
	/* lower case and upper-case hash names are accepted; they compare equal */
	g_autofree char *lower = g_ascii_strdown(sha256_text, -1);
	g_autofree char *upper_name = g_strdup(sha256_text);
	memcpy(upper_name, "SHA-256", 7);
	struct dtls_fingerprint other;
	g_assert_cmpint(dtls_fingerprint_parse(lower, strlen(lower), &other), ==, 0);
	g_assert_true(dtls_fingerprint_equal(&fingerprint, &other));
	g_assert_cmpint(dtls_fingerprint_parse(upper_name, strlen(upper_name), &other), ==, 0);
	g_assert_true(dtls_fingerprint_equal(&fingerprint, &other));
	other.digest[5] ^= 1;
	g_assert_false(dtls_fingerprint_equal(&fingerprint, &other));
	/* trailing CR or blanks (a line end left on the value) */
	g_autofree char *trailing = g_strconcat(sha256_text, " \r", NULL);
	g_assert_cmpint(dtls_fingerprint_parse(trailing, strlen(trailing), &other), ==, 0);
}

static void test_fingerprint_rejects_malformed(void)
{
	struct dtls_fingerprint fingerprint;
	static const char *const malformed[] = {
		"", "sha-256", "sha-256 ", "sha-256 19:E2", "sha-256 19E2",
		"sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2:00",
		"sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:",
		"sha-256 1G:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2",
		"sha-1 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(malformed); i++)
		g_assert_cmpint(dtls_fingerprint_parse(malformed[i], strlen(malformed[i]), &fingerprint), ==, -EINVAL);
	g_assert_cmpint(dtls_fingerprint_parse("md5 AA:BB", 9, &fingerprint), ==, -ENOENT);
	/* never reads past the length given */
	g_assert_cmpint(dtls_fingerprint_parse(sha256_text, 20, &fingerprint), ==, -EINVAL);
}

static void test_hash_names(void)
{
	static const struct { const char *name; size_t length; } expected[DTLS_HASH_COUNT] = {
		{ "sha-1", 20 }, { "sha-224", 28 }, { "sha-256", 32 }, { "sha-384", 48 }, { "sha-512", 64 },
	};
	for (int hash = 0; hash < DTLS_HASH_COUNT; hash++) {
		g_assert_cmpstr(dtls_hash_name((enum dtls_hash) hash), ==, expected[hash].name);
		g_assert_cmpuint(dtls_hash_length((enum dtls_hash) hash), ==, expected[hash].length);
		enum dtls_hash found;
		g_assert_cmpint(dtls_hash_from_name(expected[hash].name, strlen(expected[hash].name), &found), ==, 0);
		g_assert_cmpint(found, ==, hash);
	}
	enum dtls_hash found;
	g_assert_cmpint(dtls_hash_from_name("sha-2", 5, &found), ==, -ENOENT);
	g_assert_null(dtls_hash_name(DTLS_HASH_COUNT));
}

/* ---- a=setup (RFC 4145 section 4, RFC 5763 section 5) ---- */

static void test_setup_roles(void)
{
	g_assert_cmpint(dtls_setup_from_name("actpass", 7), ==, DTLS_SETUP_ACTPASS);
	g_assert_cmpint(dtls_setup_from_name("ACTIVE", 6), ==, DTLS_SETUP_ACTIVE);
	g_assert_cmpint(dtls_setup_from_name("passive", 7), ==, DTLS_SETUP_PASSIVE);
	g_assert_cmpint(dtls_setup_from_name("holdconn", 8), ==, DTLS_SETUP_HOLDCONN);
	g_assert_cmpint(dtls_setup_from_name("act", 3), ==, DTLS_SETUP_UNSPECIFIED);
	g_assert_cmpstr(dtls_setup_name(DTLS_SETUP_ACTPASS), ==, "actpass");
	g_assert_null(dtls_setup_name(DTLS_SETUP_UNSPECIFIED));

	/* answering an offer: the opposite of a fixed role; actpass leaves it to us (active by
	 * default, as upstream; passive when asked); no a=setup counts as active */
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_ACTIVE, DTLS_SETUP_UNSPECIFIED), ==, DTLS_SETUP_PASSIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_ACTIVE, DTLS_SETUP_ACTIVE), ==, DTLS_SETUP_PASSIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_PASSIVE, DTLS_SETUP_UNSPECIFIED), ==, DTLS_SETUP_ACTIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_PASSIVE, DTLS_SETUP_PASSIVE), ==, DTLS_SETUP_ACTIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_ACTPASS, DTLS_SETUP_UNSPECIFIED), ==, DTLS_SETUP_ACTIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_ACTPASS, DTLS_SETUP_PASSIVE), ==, DTLS_SETUP_PASSIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_ACTPASS, DTLS_SETUP_ACTIVE), ==, DTLS_SETUP_ACTIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_UNSPECIFIED, DTLS_SETUP_UNSPECIFIED), ==, DTLS_SETUP_PASSIVE);
	g_assert_cmpint(dtls_setup_answer(DTLS_SETUP_HOLDCONN, DTLS_SETUP_UNSPECIFIED), ==, DTLS_SETUP_HOLDCONN);

	/* after our offer was answered */
	g_assert_cmpint(dtls_setup_after_answer(DTLS_SETUP_PASSIVE), ==, DTLS_SETUP_ACTIVE);
	g_assert_cmpint(dtls_setup_after_answer(DTLS_SETUP_ACTIVE), ==, DTLS_SETUP_PASSIVE);
	g_assert_cmpint(dtls_setup_after_answer(DTLS_SETUP_UNSPECIFIED), ==, DTLS_SETUP_PASSIVE);
	g_assert_cmpint(dtls_setup_after_answer(DTLS_SETUP_ACTPASS), ==, DTLS_SETUP_PASSIVE);
}

/* ---- RFC 7983 section 7 ---- */

static void test_demultiplexing(void)
{
	unsigned char packet[13] = { 0 };
	for (int first = 0; first < 256; first++) {
		packet[0] = (unsigned char) first;
		g_assert_cmpint(dtls_is_record(packet, sizeof(packet)), ==, first >= 20 && first <= 63);
	}
	packet[0] = 22;
	g_assert_false(dtls_is_record(packet, 12));   /* shorter than a record header */
}

/* ---- the certificate ---- */

static void check_certificate(const struct dtls_settings *settings, int expected_key_type)
{
	const char *reason = NULL;
	g_assert_cmpint(dtls_certificate_init(settings, &reason), ==, 0);
	g_assert_true(dtls_certificate_ready());
	SSL_CTX *context = dtls_certificate_context();
	X509 *certificate = SSL_CTX_get0_certificate(context);
	g_assert_nonnull(certificate);
	g_assert_cmpint(EVP_PKEY_get_base_id(X509_get0_pubkey(certificate)), ==, expected_key_type);
	/* each fingerprint is the digest of the certificate's DER form (RFC 8122 section 5) */
	unsigned char *der = NULL;
	int der_length = i2d_X509(certificate, &der);
	g_assert_cmpint(der_length, >, 0);
	const EVP_MD *digests[DTLS_HASH_COUNT] = { EVP_sha1(), EVP_sha224(), EVP_sha256(), EVP_sha384(), EVP_sha512() };
	for (int hash = 0; hash < DTLS_HASH_COUNT; hash++) {
		unsigned char digest[EVP_MAX_MD_SIZE];
		unsigned int length = 0;
		g_assert_cmpint(EVP_Digest(der, (size_t) der_length, digest, &length, digests[hash], NULL), ==, 1);
		const struct dtls_fingerprint *ours = dtls_certificate_fingerprint((enum dtls_hash) hash);
		g_assert_cmpmem(ours->digest, ours->length, digest, length);
	}
	OPENSSL_free(der);
	dtls_certificate_cleanup();
	g_assert_false(dtls_certificate_ready());
}

static void test_certificate_ec_and_rsa(void)
{
	check_certificate(&(struct dtls_settings) { .signature = DTLS_HASH_SHA256 }, EVP_PKEY_EC);
	check_certificate(&(struct dtls_settings) { .rsa = true, .rsa_bits = 1024, .signature = DTLS_HASH_SHA1 },
			  EVP_PKEY_RSA);
	const char *reason = NULL;
	g_assert_cmpint(dtls_certificate_init(&(struct dtls_settings) { .signature = DTLS_HASH_SHA512 }, &reason), ==,
			-EINVAL);
	g_assert_nonnull(strstr(reason, "dtls-signature"));
	g_assert_cmpint(dtls_certificate_init(&(struct dtls_settings) { .ciphers = "NO-SUCH-CIPHER" }, &reason), ==,
			-EINVAL);
	g_assert_nonnull(strstr(reason, "dtls-ciphers"));
	g_assert_false(dtls_certificate_ready());
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dtls/profile_material_lengths", test_profile_material_lengths);
	g_test_add_func("/dtls/key_layout", test_key_layout);
	g_test_add_func("/dtls/profile_list_is_accepted", test_profile_list_is_accepted);
	g_test_add_func("/dtls/fingerprint_round_trip", test_fingerprint_round_trip);
	g_test_add_func("/dtls/fingerprint_rejects_malformed", test_fingerprint_rejects_malformed);
	g_test_add_func("/dtls/hash_names", test_hash_names);
	g_test_add_func("/dtls/setup_roles", test_setup_roles);
	g_test_add_func("/dtls/demultiplexing", test_demultiplexing);
	g_test_add_func("/dtls/certificate_ec_and_rsa", test_certificate_ec_and_rsa);
	return g_test_run();
}
