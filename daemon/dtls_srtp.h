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
/* Builds both contexts and makes them the media's: media->srtp for the RTP port's association
 * (kind 0), media->rtcp_srtp for a separate RTCP port's (kind 1, RFC 5764 section 4.1), with
 * FORWARD_SRTP on the streams they key; frees the ones it replaces. 0 or -errno. */
int dtls_srtp_install(struct media *media, int kind, uint16_t profile, const unsigned char *material, bool client,
		      int *suite);
/* No more SRTP from that association (a new one is starting). */
void dtls_srtp_remove(struct media *media, int kind);
/* True when the RTCP port runs its own association (DTLS there, no rtcp-mux): its stream is
 * SRTP only once media->rtcp_srtp is set. rtcp_mux: the media's multiplexing as the caller's
 * thread knows it. */
bool dtls_srtp_rtcp_apart(const struct media *media, bool rtcp_mux);
/* Frees media->rtcp_srtp (where the media is freed). */
void dtls_srtp_free_rtcp(struct media *media);
/* "AES_CM_128_HMAC_SHA1_80", ... for logs and `query`. */
const char *dtls_srtp_suite_name(int suite);

#endif
