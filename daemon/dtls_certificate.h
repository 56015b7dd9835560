/* The daemon's one DTLS certificate (RFC 5763 section 5: self-signed; peers check it against
 * the a=fingerprint we send) and the OpenSSL context every association is made from.
 *
 * Made once at start-up (dtls_certificate_init(), before the workers start) from the
 * --dtls-* options: EC P-256 (prime256v1, the default) or RSA of --dtls-rsa-key-size bits,
 * signed with --dtls-signature (sha-256 default, or sha-1), which is also the hash of our
 * a=fingerprint unless the peer used another one. Read-only afterwards: the workers create
 * their SSL objects from the shared context (thread-safe in OpenSSL 1.1 and later).
 *
 * Cost: RSA 2048 key generation takes up to a second at start; P-256 a millisecond. */
#ifndef RTPENGINE_DTLS_CERTIFICATE_H
#define RTPENGINE_DTLS_CERTIFICATE_H

#include <stdbool.h>
#include "dtls.h"

struct dtls_settings {
	bool rsa;                    /* --dtls-cert-cipher=rsa (else prime256v1) */
	unsigned int rsa_bits;       /* --dtls-rsa-key-size, default 2048 */
	enum dtls_hash signature;    /* --dtls-signature: sha-256 (default) or sha-1 */
	const char *ciphers;         /* --dtls-ciphers: OpenSSL cipher list (NULL: upstream's default) */
	unsigned int mtu;            /* --dtls-mtu: largest datagram we send, default 1200 */
	bool passive;                /* --dtls-passive: take the passive role when a peer offers actpass */
};

#define DTLS_DEFAULT_CIPHERS "DEFAULT:!NULL:!aNULL:!SHA256:!SHA384:!aECDH:!AESGCM+AES256:!aPSK"
#define DTLS_DEFAULT_MTU 1200
#define DTLS_DEFAULT_RSA_BITS 2048

/* 0, or -EINVAL/-ENOMEM with *reason (static text) set. Replaces an earlier certificate
 * (tests); only before workers use it. */
int dtls_certificate_init(const struct dtls_settings *settings, const char **reason);
void dtls_certificate_cleanup(void);
bool dtls_certificate_ready(void);
/* SSL_CTX * of the daemon. */
void *dtls_certificate_context(void);
/* Our fingerprint with the given hash (computed at init for every hash). */
const struct dtls_fingerprint *dtls_certificate_fingerprint(enum dtls_hash hash);
const struct dtls_settings *dtls_certificate_settings(void);

#endif
