/* The daemon's DTLS certificate and OpenSSL context; see dtls_certificate.h. */
#include "dtls_certificate.h"

#include <errno.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "log.h"

static struct dtls_settings current;
static EVP_PKEY *key;
static X509 *certificate;
static SSL_CTX *context;
static struct dtls_fingerprint fingerprints[DTLS_HASH_COUNT];

static const EVP_MD *digest_of(enum dtls_hash hash)
{
	switch (hash) {
	case DTLS_HASH_SHA1: return EVP_sha1();
	case DTLS_HASH_SHA224: return EVP_sha224();
	case DTLS_HASH_SHA256: return EVP_sha256();
	case DTLS_HASH_SHA384: return EVP_sha384();
	case DTLS_HASH_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

static EVP_PKEY *make_key(const struct dtls_settings *settings)
{
	if (settings->rsa)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) settings->rsa_bits);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* Self-signed, CN=rtpengine, valid from a day ago (clocks that lag) for 30 days: peers check
 * the fingerprint, not the dates or the chain (RFC 5763 section 5). */
static X509 *make_certificate(EVP_PKEY *pkey, enum dtls_hash signature)
{
	X509 *x509 = X509_new();
	if (!x509)
		return NULL;
	unsigned char serial_bytes[8];
	if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
		goto fail;
	serial_bytes[0] &= 0x7f;
	BIGNUM *serial = BN_bin2bn(serial_bytes, sizeof(serial_bytes), NULL);
	if (!serial || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x509))) {
		BN_free(serial);
		goto fail;
	}
	BN_free(serial);
	X509_set_version(x509, 2);
	X509_gmtime_adj(X509_getm_notBefore(x509), -24 * 3600L);
	X509_gmtime_adj(X509_getm_notAfter(x509), 30 * 24 * 3600L);
	X509_NAME *name = X509_get_subject_name(x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "rtpengine", -1, -1, 0);
	X509_set_issuer_name(x509, name);
	if (!X509_set_pubkey(x509, pkey) || !X509_sign(x509, pkey, digest_of(signature)))
		goto fail;
	return x509;
fail:
	X509_free(x509);
	return NULL;
}

/* Every peer certificate is accepted by OpenSSL's chain check (self-signed is the rule in
 * DTLS-SRTP); dtls.c compares it with the SDP fingerprint in its own verify callback. */
static SSL_CTX *make_context(const struct dtls_settings *settings, const char **reason)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
	if (!ctx) {
		*reason = "cannot create the OpenSSL DTLS context";
		return NULL;
	}
	/* OpenSSL 3's default security level refuses SHA-1 signed and short-key certificates; an
	 * operator who asked for them (--dtls-signature=sha-1, a small --dtls-rsa-key-size) gets
	 * them: DTLS-SRTP trusts the fingerprint, not the signature */
	if (settings->signature == DTLS_HASH_SHA1 || (settings->rsa && settings->rsa_bits < 2048))
		SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
	if (SSL_CTX_use_certificate(ctx, certificate) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		*reason = "OpenSSL refused the DTLS certificate";
		goto fail;
	}
	if (SSL_CTX_set_cipher_list(ctx, settings->ciphers ? settings->ciphers : DTLS_DEFAULT_CIPHERS) != 1) {
		*reason = "--dtls-ciphers: OpenSSL knows none of these ciphers";
		goto fail;
	}
	/* RFC 5764 section 4.1.1: use_srtp; OpenSSL returns 0 on success here */
	if (SSL_CTX_set_tlsext_use_srtp(ctx, dtls_srtp_profiles) != 0) {
		*reason = "OpenSSL does not support the DTLS-SRTP profiles";
		goto fail;
	}
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void dtls_certificate_cleanup(void)
{
	SSL_CTX_free(context);
	X509_free(certificate);
	EVP_PKEY_free(key);
	context = NULL;
	certificate = NULL;
	key = NULL;
	memset(fingerprints, 0, sizeof(fingerprints));
}

int dtls_certificate_init(const struct dtls_settings *settings, const char **reason)
{
	dtls_certificate_cleanup();
	current = *settings;
	if (!current.rsa_bits)
		current.rsa_bits = DTLS_DEFAULT_RSA_BITS;
	if (!current.mtu)
		current.mtu = DTLS_DEFAULT_MTU;
	if (current.signature != DTLS_HASH_SHA1 && current.signature != DTLS_HASH_SHA256) {
		*reason = "--dtls-signature must be sha-256 or sha-1";
		return -EINVAL;
	}
	key = make_key(&current);
	if (!key) {
		*reason = "cannot generate the DTLS key";
		return -ENOMEM;
	}
	certificate = make_certificate(key, current.signature);
	if (!certificate) {
		*reason = "cannot make the DTLS certificate";
		dtls_certificate_cleanup();
		return -ENOMEM;
	}
	for (int hash = 0; hash < DTLS_HASH_COUNT; hash++) {
		if (dtls_fingerprint_of_x509(certificate, (enum dtls_hash) hash, &fingerprints[hash]) < 0) {
			*reason = "cannot compute the certificate's fingerprint";
			dtls_certificate_cleanup();
			return -EINVAL;
		}
	}
	context = make_context(&current, reason);
	if (!context) {
		dtls_certificate_cleanup();
		return -EINVAL;
	}
	char text[DTLS_FINGERPRINT_TEXT_MAX];
	dtls_fingerprint_format(&fingerprints[current.signature], text, sizeof(text));
	log_info("DTLS certificate: %s, fingerprint %s", current.rsa ? "RSA" : "EC P-256", text);
	return 0;
}

bool dtls_certificate_ready(void)
{
	return context != NULL;
}

void *dtls_certificate_context(void)
{
	return context;
}

const struct dtls_fingerprint *dtls_certificate_fingerprint(enum dtls_hash hash)
{
	return (unsigned int) hash < DTLS_HASH_COUNT ? &fingerprints[hash] : NULL;
}

const struct dtls_settings *dtls_certificate_settings(void)
{
	return &current;
}

int dtls_fingerprint_of_x509(const void *x509, enum dtls_hash hash, struct dtls_fingerprint *fingerprint)
{
	const EVP_MD *md = digest_of(hash);
	unsigned int length = 0;
	memset(fingerprint, 0, sizeof(*fingerprint));
	if (!md || !x509 || X509_digest(x509, md, fingerprint->digest, &length) != 1 || length > DTLS_DIGEST_MAX)
		return -EINVAL;
	fingerprint->hash = hash;
	fingerprint->length = length;
	return 0;
}
