/*
 * SDES-SRTP for the load generator's callee side (loadgen --srtp SUITE): protects what the
 * callee sends and unprotects what the relay sends it, so the benchmark can measure the
 * relay's CPU per packet with SRTP on one leg (RFC 3711; keys exchanged as RFC 4568 a=crypto).
 * Packets go through loadgen_srtp.c's own AES-CM/HMAC-SHA1 on OpenSSL primitives (libsrtp2 on
 * Debian's NSS grows too slow with hundreds of legs); every leg is first checked against
 * libsrtp2, the independent implementation. Bench-only, never linked into the daemon.
 */
#ifndef LOADGEN_SRTP_H
#define LOADGEN_SRTP_H

#include <stddef.h>

#define LOADGEN_SRTP_KEY_TEXT 64	/* base64 of a 30-byte AES-CM-128 master key + salt, with room */
#define LOADGEN_SRTP_TRAILER 32		/* room after a packet for the authentication tag */

struct loadgen_srtp_leg;

/* Selects the suite (AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32) and initialises
 * libsrtp2 (the reference each leg is checked against). Returns 0 or -EINVAL for a suite this tool does not speak. */
int loadgen_srtp_init(const char *suite);
const char *loadgen_srtp_suite(void);

/* A fresh random master key and salt, base64 (the "inline:" value of an a=crypto line). */
int loadgen_srtp_make_key(char *text, size_t size);

/* Finds the relay's a=crypto line for the selected suite in SDP; fills its tag and inline key.
 * Returns 0, or -ENOENT when the SDP offers no such line. */
int loadgen_srtp_find_crypto(const char *sdp, size_t length, int *tag, char *key, size_t key_size);

/* One SRTP leg: OUR_KEY protects what we send, RELAY_KEY unprotects what the relay sends.
 * NULL when the keys do not decode or this file's transform differs from libsrtp2's. */
struct loadgen_srtp_leg *loadgen_srtp_leg_new(const char *our_key, const char *relay_key);
void loadgen_srtp_leg_free(struct loadgen_srtp_leg *leg);

/* In place; PACKET has LOADGEN_SRTP_TRAILER bytes of room after LENGTH. Return the new length
 * or a negative value for a packet that does not authenticate or parse. */
int loadgen_srtp_protect(struct loadgen_srtp_leg *leg, char *packet, int length);
int loadgen_srtp_unprotect(struct loadgen_srtp_leg *leg, char *packet, int length);

#endif
