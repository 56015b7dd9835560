/* SDES: the SDP "a=crypto:" attribute of RFC 4568, parsed into what srtp_context_init() needs and
 * written from a suite and a fresh random key.
 *
 * Value syntax (RFC 4568 section 9.1):
 *   tag SP crypto-suite SP "inline:" base64(key || salt) ["|" lifetime] ["|" MKI ":" length]
 *       *(SP session-param)
 * Supported: every suite of srtp.h; lifetime as decimal or "2^n"; an MKI of 1-4 bytes; one key
 * per attribute; session parameters UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP, UNAUTHENTICATED_SRTP
 * (section 6.3.3-6.3.5), WSH (accepted, our window is 128 anyway), FEC_ORDER (accepted, ignored).
 * Refused with a reason: KDR (we derive once, kdr 0), FEC_KEY, several keys, longer MKIs.
 * Unknown session parameters are ignored (section 6.3.7 lets a receiver decline them; the
 * offer/answer layer may pass them on via session_parameters). */
#ifndef RTPENGINE_SDES_H
#define RTPENGINE_SDES_H

#include <stddef.h>
#include <stdint.h>

#include "srtp.h"

/* RFC 4568 section 9.1: tag is 1*9DIGIT. */
#define SDES_MAX_TAG 999999999u
/* Longest value sdes_format() writes: tag, suite, inline key (64 base64 chars for 46 bytes),
 * lifetime, MKI and the three flag parameters, with room to spare. */
#define SDES_MAX_FORMATTED_LENGTH 256

struct sdes_crypto {
	uint32_t tag;
	enum srtp_suite suite;
	unsigned char master_key[SRTP_MAX_MASTER_KEY_LENGTH];
	size_t master_key_length;
	unsigned char master_salt[SRTP_MAX_MASTER_SALT_LENGTH];
	size_t master_salt_length;
	uint64_t lifetime;            /* packets; 0 when not given */
	uint32_t mki_value;
	size_t mki_length;            /* bytes, 0 = no MKI */
	unsigned session_flags;       /* SRTP_UNENCRYPTED_SRTP ... */
	/* Everything after the key parameter, unparsed (points into the parsed text; length 0 if none). */
	const char *session_parameters;
	size_t session_parameters_length;
};

/* Parses one attribute value (the text after "a=crypto:"; a leading "a=crypto:" is skipped too).
 * Trailing CR/LF/spaces are ignored. Returns 0, or -EINVAL (malformed), -ENOENT (unknown suite)
 * or -ENOTSUP (valid but unsupported: KDR, FEC_KEY, several keys, MKI over 4 bytes), with
 * *error_reason (if not NULL) set to a static sentence for logs and ng error-reason. */
int sdes_parse(const char *value, size_t length, struct sdes_crypto *crypto, const char **error_reason);

/* Fills crypto with tag, suite and a fresh random master key and salt (OpenSSL RAND_bytes).
 * Returns 0, -EINVAL (bad tag or suite) or -EIO (no randomness). */
int sdes_generate(struct sdes_crypto *crypto, uint32_t tag, enum srtp_suite suite);

/* Writes the attribute value (no "a=crypto:" prefix, no CRLF), NUL-terminated: tag, suite,
 * inline key, then "|lifetime" and "|MKI:length" if set, then the session flags. The raw
 * session_parameters are not written. Returns the length written without the NUL, -EINVAL, or
 * -ENOSPC (capacity too small; SDES_MAX_FORMATTED_LENGTH always suffices). */
int sdes_format(const struct sdes_crypto *crypto, char *out, size_t capacity);

/* srtp_context_init() with the key, salt, MKI and session flags of crypto. */
int sdes_context_init(struct srtp_context *ctx, const struct sdes_crypto *crypto);

#endif
