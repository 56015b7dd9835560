/* SRTP and SRTCP (RFC 3711 with AES-CM and AES-f8, AES-192/256 from RFC 6188, AES-GCM from
 * RFC 7714) for the relay's
 * packet path.
 *
 * One struct srtp_context holds one direction of one media stream: the session keys derived from
 * one master key (RTP and RTCP keys both, so an rtcp-mux stream needs one context per direction),
 * and the rollover counter, replay window and SRTCP index of up to SRTP_SSRC_SLOTS SSRCs.
 *
 * Packet functions transform in place and never allocate: the OpenSSL cipher and HMAC contexts
 * are created by srtp_context_init() (setup time) and only re-initialised with a new IV per
 * packet. A context must not be used by two threads at once (the relay pins a stream to one
 * worker). Keys are derived once with key derivation rate 0 (RFC 3711 section 4.3.1).
 *
 * Packet functions return the new packet length, or a negative errno:
 *   -EINVAL     malformed packet (not RTP/RTCP version 2, too short, header longer than packet)
 *   -ENOSPC     protect: capacity too small for the trailer (tag, MKI, SRTCP index)
 *   -EACCES     unprotect: authentication failed (wrong key, tampered, wrong MKI)
 *   -EALREADY   replayed packet, or older than the 128-packet replay window (RFC 3711 3.3.2)
 *   -EKEYEXPIRED the SRTCP index is exhausted (2^31 packets, RFC 3711 section 9.2): re-key
 * On any error the packet must be dropped: HMAC suites leave it untouched, but AES-GCM decrypts in
 * place before the tag check fails, so its payload is then garbage.
 *
 * Per-SSRC state: a context remembers SRTP_SSRC_SLOTS SSRCs; a further SSRC takes the least
 * recently used slot, and a returning evicted SSRC starts again from ROC 0 with an empty replay
 * window (RFC 3711 section 3.3.1 assumes ROC 0 for a new SSRC).
 *
 * Cost (2-core test machine, OpenSSL 3.0): HMAC-SHA1 suites about 450 ns per 172-byte packet each
 * way, AES-GCM about 270 ns. OpenSSL 3.0 itself allocates twice per HMAC (EVP_MAC re-init
 * duplicates its digest context); the GCM and NULL-cipher paths allocate nothing.
 */
#ifndef RTPENGINE_SRTP_H
#define RTPENGINE_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Crypto suites by their SDP names (RFC 4568 section 6.2, RFC 6188 section 7.1, RFC 7714
 * section 14.2; NULL_HMAC_SHA1_* are the authentication-only suites rtpengine also offers). */
enum srtp_suite {
	SRTP_AES_CM_128_HMAC_SHA1_80,
	SRTP_AES_CM_128_HMAC_SHA1_32,
	SRTP_AES_192_CM_HMAC_SHA1_80,
	SRTP_AES_192_CM_HMAC_SHA1_32,
	SRTP_AES_256_CM_HMAC_SHA1_80,
	SRTP_AES_256_CM_HMAC_SHA1_32,
	SRTP_NULL_HMAC_SHA1_80,
	SRTP_NULL_HMAC_SHA1_32,
	SRTP_AEAD_AES_128_GCM,
	SRTP_AEAD_AES_256_GCM,
	SRTP_F8_128_HMAC_SHA1_80,    /* RFC 3711 section 4.1.2, RFC 4568 section 6.2.3 */
	SRTP_F8_128_HMAC_SHA1_32,
	SRTP_SUITE_COUNT
};

/* Session parameters of RFC 4568 section 6.3.3-6.3.5 (CM/NULL suites only). */
#define SRTP_UNENCRYPTED_SRTP 0x1u
#define SRTP_UNENCRYPTED_SRTCP 0x2u
#define SRTP_UNAUTHENTICATED_SRTP 0x4u

#define SRTP_SSRC_SLOTS 4
#define SRTP_REPLAY_WINDOW 128
#define SRTP_MAX_MASTER_KEY_LENGTH 32
#define SRTP_MAX_MASTER_SALT_LENGTH 14
/* MKIs up to 4 bytes (RFC 3711 allows more; nobody sends more in practice). */
#define SRTP_MAX_MKI_LENGTH 4
/* Largest trailer protect may add: RTCP index 4 + MKI 4 + tag 16 (GCM). Callers should keep this
 * much room behind every packet they may protect. */
#define SRTP_MAX_TRAILER_LENGTH 24
#define SRTP_MAX_PACKET_LENGTH 65535

/* The structures below are public only so callers can embed a context without allocating; do
 * not touch their fields. */

/* Highest index accepted and a bitmap of the 128 indexes at and below it (RFC 3711 3.3.2):
 * bit n of the map is index (highest_index - n). */
struct srtp_replay_window {
	uint64_t highest_index;
	uint64_t received[SRTP_REPLAY_WINDOW / 64];
};

struct srtp_ssrc_state {
	uint32_t ssrc;
	uint32_t last_used;         /* context use counter when last accepted: the LRU slot is reused */
	bool rtp_seen, rtcp_seen;
	struct srtp_replay_window rtp;   /* 48-bit packet index = ROC << 16 | SEQ */
	struct srtp_replay_window rtcp;  /* 31-bit SRTCP index (sent or received) */
};

/* One set of session keys (RTP or RTCP). OpenSSL types are hidden behind void pointers so the
 * header needs no OpenSSL includes. */
struct srtp_session_keys {
	void *cipher;                /* EVP_CIPHER_CTX keyed with the session key (AES-ECB for AES-CM and f8, AES-GCM); NULL for NULL cipher */
	void *mac;                   /* HMAC-SHA1 inner/outer states keyed with the session auth key (srtp.c); NULL for GCM */
	void *f8_iv_cipher;          /* AES-f8 only: AES-ECB keyed with session key XOR (salt || 0x55..) */
	unsigned char salt[SRTP_MAX_MASTER_SALT_LENGTH];
};

struct srtp_context {
	enum srtp_suite suite;
	unsigned session_flags;      /* SRTP_UNENCRYPTED_SRTP ... */
	uint32_t use_counter;
	uint8_t mki_length;
	unsigned char mki[SRTP_MAX_MKI_LENGTH];
	struct srtp_session_keys rtp, rtcp;
	struct srtp_ssrc_state ssrcs[SRTP_SSRC_SLOTS];
};

/* Suite properties. Names are the SDP spellings, e.g. "AES_CM_128_HMAC_SHA1_80". */
const char *srtp_suite_name(enum srtp_suite suite);
/* 0 or -ENOENT; the name need not be NUL-terminated. */
int srtp_suite_from_name(const char *name, size_t length, enum srtp_suite *suite);
size_t srtp_suite_master_key_length(enum srtp_suite suite);
size_t srtp_suite_master_salt_length(enum srtp_suite suite);
/* Authentication tag on SRTP packets (10, 4, or 16 for GCM). SRTCP uses 10 for every HMAC suite. */
size_t srtp_suite_rtp_tag_length(enum srtp_suite suite);

/* DTLS-SRTP (RFC 5764 section 4.1.2, RFC 7714 section 14.2): the suite of a protection profile ID
 * (0 or -ENOENT), and the profile name OpenSSL's SSL_CTX_set_tlsext_use_srtp() takes (NULL for
 * suites without a DTLS-SRTP profile, e.g. the AES-192/256 CM ones). */
int srtp_suite_from_dtls_profile(uint16_t profile, enum srtp_suite *suite);
const char *srtp_suite_dtls_profile_name(enum srtp_suite suite);

/* The AES-f8 transform of RFC 3711 section 4.1.2 with a session key, session salt (at most 14
 * bytes, padded with 0x55 to the key length as the key mask m) and the 16-byte IV, in place.
 * Exposed for the RFC 3711 appendix B.1 vector; the packet functions use their own contexts.
 * Returns 0, -EINVAL or -ENOMEM. */
int srtp_f8_transform(const unsigned char *session_key, size_t key_length, const unsigned char *session_salt,
                      size_t salt_length, const unsigned char iv[16], unsigned char *data, size_t length);

/* Derives the session keys from a master key and salt. Returns 0, -EINVAL (unknown suite, wrong
 * key or salt length) or -ENOMEM (OpenSSL could not set up). On failure the context is left
 * cleaned up, so srtp_context_cleanup() is safe either way. */
int srtp_context_init(struct srtp_context *ctx, enum srtp_suite suite, const unsigned char *master_key,
                      size_t key_length, const unsigned char *master_salt, size_t salt_length);
/* Frees the OpenSSL contexts and wipes the keys. Safe on a zeroed or cleaned context. */
void srtp_context_cleanup(struct srtp_context *ctx);
/* Adds an MKI (RFC 3711 section 3.1) to protected packets and requires it on unprotected ones.
 * Length 0 removes it. Returns 0 or -EINVAL (longer than SRTP_MAX_MKI_LENGTH). */
int srtp_context_set_mki(struct srtp_context *ctx, const unsigned char *mki, size_t mki_length);
/* SRTP_UNENCRYPTED_SRTP etc.; -EINVAL for unknown bits, -ENOTSUP with a GCM suite. */
int srtp_context_set_session_flags(struct srtp_context *ctx, unsigned flags);

/* In place. capacity is the buffer size behind packet: protect needs room for the trailer. */
int srtp_context_protect_rtp(struct srtp_context *ctx, unsigned char *packet, size_t length, size_t capacity);
int srtp_context_unprotect_rtp(struct srtp_context *ctx, unsigned char *packet, size_t length);
int srtp_context_protect_rtcp(struct srtp_context *ctx, unsigned char *packet, size_t length, size_t capacity);
int srtp_context_unprotect_rtcp(struct srtp_context *ctx, unsigned char *packet, size_t length);

/* The SRTP (not SRTCP) rollover state of one SSRC, for handing a stream to the kernel module
 * and taking it back: the highest 48-bit index seen or sent and the replay bitmap. */
struct srtp_rtp_state {
	uint32_t ssrc;
	struct srtp_replay_window window;
};
/* Copies the RTP state of up to capacity SSRCs; returns how many. */
unsigned srtp_context_export_rtp(const struct srtp_context *ctx, struct srtp_rtp_state *out, unsigned capacity);
/* Replaces the RTP state of these SSRCs (their SRTCP state is kept), claiming slots as packets do. */
void srtp_context_import_rtp(struct srtp_context *ctx, const struct srtp_rtp_state *in, unsigned count);

/* The key derivation function of RFC 3711 section 4.3.1 with kdr 0 (AES-CM PRF keyed with the
 * master key, 128/192/256 bits by key_length; salt_length up to 14, shorter salts are padded
 * with zeros as RFC 7714 section 11 does for its 96-bit salts). Labels: 0 RTP encryption,
 * 1 RTP authentication, 2 RTP salt, 3-5 the same for RTCP. Exposed for tests and for DTLS-SRTP
 * key export users. Returns 0, -EINVAL or -ENOMEM. */
int srtp_derive_key(const unsigned char *master_key, size_t key_length, const unsigned char *master_salt,
                    size_t salt_length, uint8_t label, unsigned char *out, size_t out_length);

/* Redis high availability (daemon/redis_value.c): where each SSRC's RTP and SRTCP indexes
 * stand, and a context resumed there by another process with the same keys. */
struct srtp_ssrc_position {
	uint32_t ssrc;
	bool rtp_seen, rtcp_seen;
	uint64_t rtp_index;          /* 48-bit ROC << 16 | SEQ */
	uint64_t rtcp_index;         /* 31-bit SRTCP index */
};
/* Fills up to SRTP_SSRC_SLOTS positions; returns how many. Plain loads: callers hold the
 * lock that guards the context. */
unsigned int srtp_context_positions(const struct srtp_context *ctx, struct srtp_ssrc_position *out);
/* The SSRC continues at position: indexes at or below it count as received (never accepted
 * again), the SRTCP index we send next jumps rtcp_jump past it (indexes the previous process
 * may have sent after it wrote the position must not be reused, RFC 3711 section 9.2). */
void srtp_context_resume(struct srtp_context *ctx, const struct srtp_ssrc_position *position, uint32_t rtcp_jump);

#endif
