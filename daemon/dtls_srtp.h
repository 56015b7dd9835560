/* RFC 5764 section 4.2: from a DTLS-SRTP handshake's exported keying material to the SRTP
 * contexts of a media (struct media_srtp, as SDES builds them). Kept apart from dtls.c because
 * OpenSSL's <openssl/srtp.h> names its profile constants like lib/srtp.h's suites.
 *
 * Threads: the media's worker, call->lock held (the association's thread). */
#ifndef RTPENGINE_DTLS_SRTP_H
#define RTPENGINE_DTLS_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct media;

/* Largest exporter output: 2 x (32-byte key + 14-byte salt). */
#define DTLS_SRTP_MATERIAL_MAX (2 * (32 + 14))

/* The exporter length for a protection profile (RFC 5764 section 4.1.2, RFC 7714 section 14.2),
 * or -ENOENT for a profile we do not know. */
int dtls_srtp_material_length(uint16_t profile);
/* client_write_key | server_write_key | client_salt | server_salt: we encrypt with our role's
 * key and decrypt with the peer's. Fills *suite (enum srtp_suite). 0, -ENOENT or -EINVAL. */
int dtls_srtp_split(uint16_t profile, const unsigned char *material, bool client, int *suite,
		    const unsigned char **our_key, const unsigned char **our_salt,
		    const unsigned char **their_key, const unsigned char **their_salt,
		    size_t *key_length, size_t *salt_length);
/* Builds both contexts and makes them media->srtp (FORWARD_SRTP on both streams), freeing the
 * ones it replaces. 0 or -errno. */
int dtls_srtp_install(struct media *media, uint16_t profile, const unsigned char *material, bool client,
		      int *suite);
/* No more SRTP on this media (a new association is starting). */
void dtls_srtp_remove(struct media *media);
/* "AES_CM_128_HMAC_SHA1_80", ... for logs and `query`. */
const char *dtls_srtp_suite_name(int suite);

#endif
