/* STUN (RFC 8489, formerly RFC 5389) for answering ICE connectivity checks as an ICE-lite agent
 * (RFC 8445 section 2.5): recognise a STUN packet on a media port, parse and validate a Binding
 * request, check its short-term-credential MESSAGE-INTEGRITY, and write Binding success and error
 * responses.
 *
 * Everything here is a pure function over caller-supplied buffers: no sockets, no heap allocation
 * by this module (OpenSSL's HMAC() may allocate internally), no global state, so any worker thread
 * may call it on its packet path. */
#ifndef RTPENGINE_STUN_H
#define RTPENGINE_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* RFC 8489 section 5: the fixed 20-byte header and the magic cookie at offset 4. */
#define STUN_HEADER_LENGTH 20
#define STUN_MAGIC_COOKIE 0x2112A442u

/* Message types (method | class bits, RFC 8489 section 5 and 18.2). */
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_INDICATION 0x0011
#define STUN_BINDING_SUCCESS_RESPONSE 0x0101
#define STUN_BINDING_ERROR_RESPONSE 0x0111

/* Attribute types used here (RFC 8489 section 18.3, RFC 8445 section 16.1). */
#define STUN_ATTRIBUTE_USERNAME 0x0006
#define STUN_ATTRIBUTE_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTRIBUTE_ERROR_CODE 0x0009
#define STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTRIBUTE_PRIORITY 0x0024
#define STUN_ATTRIBUTE_USE_CANDIDATE 0x0025
#define STUN_ATTRIBUTE_FINGERPRINT 0x8028
#define STUN_ATTRIBUTE_ICE_CONTROLLED 0x8029
#define STUN_ATTRIBUTE_ICE_CONTROLLING 0x802A

/* Error codes an ICE-lite agent sends (RFC 8489 section 14.8, RFC 8445 section 7.3.1.1). */
#define STUN_ERROR_BAD_REQUEST 400
#define STUN_ERROR_UNAUTHORIZED 401
#define STUN_ERROR_UNKNOWN_ATTRIBUTE 420
#define STUN_ERROR_ROLE_CONFLICT 487

/* stun_check_integrity() copies the message up to MESSAGE-INTEGRITY into a stack buffer of this
 * size (the header length field must be rewritten before hashing); longer messages fail the check.
 * RFC 8489 section 6.1 keeps STUN over UDP under the path MTU, so real checks are far smaller. */
#define STUN_MAX_AUTHENTICATED_LENGTH 2048

/* Largest Binding success response stun_build_binding_success() writes: header, IPv6
 * XOR-MAPPED-ADDRESS (4 + 20), MESSAGE-INTEGRITY (4 + 20), FINGERPRINT (4 + 4). */
#define STUN_BINDING_SUCCESS_MAX_LENGTH (STUN_HEADER_LENGTH + 24 + 24 + 8)
/* Longest reason phrase ERROR-CODE may carry (RFC 8489 section 14.8: at most 763 bytes). */
#define STUN_MAX_REASON_LENGTH 763

/* RFC 8489 section 5: first two bits 0, magic cookie 0x2112A442 at offset 4, length multiple of 4.
 * Also requires the header's length field to match the datagram exactly (one message per UDP
 * datagram, section 6.2.1), so it can demultiplex STUN from RTP/DTLS (RFC 7983 section 7). */
bool stun_packet_is_stun(const unsigned char *packet, size_t length);

struct stun_request_info {
	uint16_t method_class;            /* e.g. 0x0001 Binding request */
	unsigned char transaction_id[12];
	const unsigned char *username;    /* USERNAME value, points into packet */
	size_t username_length;
	bool has_message_integrity, has_fingerprint, use_candidate, ice_controlling, ice_controlled;
	uint32_t priority;
	uint64_t tie_breaker;
	/* A comprehension-required attribute (type < 0x8000) this module does not know was present
	 * before MESSAGE-INTEGRITY; RFC 8489 section 6.3.1.1 answers such a request with 420. */
	bool has_unknown_required_attribute;
	/* ERROR-CODE of an error response (e.g. 487), 0 when absent (RFC 8489 section 14.8) */
	int error_code;
};

/* Parses and validates a STUN message: header, attribute TLVs within bounds (padding to 4),
 * FINGERPRINT correct if present (must be last), MESSAGE-INTEGRITY position. Returns 0 or -EINVAL.
 * Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored (RFC 8489 section 14.5):
 * they are not authenticated. The first of repeated attributes wins. On error *info is zeroed. */
int stun_parse(const unsigned char *packet, size_t length, struct stun_request_info *info);
/* Checks MESSAGE-INTEGRITY (HMAC-SHA1 over the message up to the attribute, with the header
 * length adjusted as RFC 8489 section 14.5 says) with key = password (short-term credential,
 * RFC 8489 section 9.1.1; ICE passes the password as is, RFC 8445 section 7.2.2). False for a
 * malformed message, a missing attribute or a message longer than STUN_MAX_AUTHENTICATED_LENGTH.
 * The comparison is constant-time. */
bool stun_check_integrity(const unsigned char *packet, size_t length, const char *password, size_t password_length);
/* True when USERNAME is "<local_ufrag>:<anything>" (RFC 8445 section 7.2.2). */
bool stun_username_matches(const struct stun_request_info *info, const char *local_ufrag);
/* Writes a Binding success response: XOR-MAPPED-ADDRESS = source (IPv4 or IPv6; an IPv4-mapped
 * IPv6 source from a dual-stack socket is reported as IPv4), MESSAGE-INTEGRITY keyed with password,
 * FINGERPRINT. Returns its length (at most STUN_BINDING_SUCCESS_MAX_LENGTH), -ENOSPC if size is too
 * small, -EINVAL for a NULL argument or another address family, -EIO if HMAC fails. */
int stun_build_binding_success(unsigned char *out, size_t size, const unsigned char transaction_id[12],
                               const struct sockaddr *source, const char *password, size_t password_length);
/* Writes a Binding error response (e.g. 400 Bad Request, 401 Unauthorized, 487 Role Conflict) with
 * ERROR-CODE and FINGERPRINT. code must be 300..699, reason (NULL = empty) at most
 * STUN_MAX_REASON_LENGTH bytes. Returns its length, -ENOSPC, or -EINVAL. */
int stun_build_binding_error(unsigned char *out, size_t size, const unsigned char transaction_id[12], int code,
                             const char *reason);
/* The same with MESSAGE-INTEGRITY before FINGERPRINT: RFC 8489 section 9.1.3 wants responses to
 * an authenticated request (e.g. 487 Role Conflict) signed with the request's key, while 400 and
 * 401, sent when authentication failed, go unsigned (use stun_build_binding_error for those). */
int stun_build_binding_error_with_integrity(unsigned char *out, size_t size, const unsigned char transaction_id[12],
                                            int code, const char *reason, const char *password,
                                            size_t password_length);

/* Writes a Binding request for an ICE connectivity check (RFC 8445 section 7.2.2): USERNAME
 * "remote_ufrag:local_ufrag", PRIORITY, ICE-CONTROLLING or ICE-CONTROLLED with tie_breaker,
 * USE-CANDIDATE when nominating, MESSAGE-INTEGRITY keyed with the peer's password (RFC 8445
 * section 7.2.2), FINGERPRINT. Returns its length (at most STUN_BINDING_REQUEST_MAX_LENGTH),
 * -ENOSPC, -EINVAL (NULL argument, username over 512 bytes) or -EIO if HMAC fails. */
#define STUN_BINDING_REQUEST_MAX_LENGTH (STUN_HEADER_LENGTH + 4 + 512 + 8 + 12 + 4 + 24 + 8)
int stun_build_binding_request(unsigned char *out, size_t size, const unsigned char transaction_id[12],
                               const char *username, uint32_t priority, bool controlling, uint64_t tie_breaker,
                               bool use_candidate, const char *password, size_t password_length);

#endif
