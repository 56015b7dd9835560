/* STUN message parsing, MESSAGE-INTEGRITY / FINGERPRINT and Binding responses for an ICE-lite
 * agent. See stun.h for the contract; RFC 8489 is the reference for every field below. */
#include "stun.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* ---- constants ---- */

#define ATTRIBUTE_HEADER_LENGTH 4
#define HMAC_SHA1_LENGTH 20
#define MESSAGE_INTEGRITY_ATTRIBUTE_LENGTH (ATTRIBUTE_HEADER_LENGTH + HMAC_SHA1_LENGTH)
#define FINGERPRINT_ATTRIBUTE_LENGTH (ATTRIBUTE_HEADER_LENGTH + 4)
/* RFC 8489 section 14.7: the CRC-32 is XORed with this so a STUN FINGERPRINT never matches the
 * plain CRC another protocol might carry in the same place. */
#define FINGERPRINT_XOR 0x5354554eu
/* RFC 5389 section 15.3: USERNAME "MUST contain ... less than 513 bytes". */
#define MAX_USERNAME_LENGTH 513

/* CRC-32 as in RFC 1952 section 8 (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and
 * final XOR 0xFFFFFFFF), which RFC 8489 section 14.7 names for FINGERPRINT. Entry n is the CRC
 * register after shifting byte n through eight rounds; tests/unit/test_stun.c recomputes it
 * bit by bit. A constant table keeps the module free of lazy initialisation and thread races. */
static const uint32_t crc32_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

/* ---- static helpers: byte order ---- */

static uint16_t read_u16(const unsigned char *p)
{
	return (uint16_t) ((p[0] << 8) | p[1]);
}

static uint32_t read_u32(const unsigned char *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static uint64_t read_u64(const unsigned char *p)
{
	return ((uint64_t) read_u32(p) << 32) | read_u32(p + 4);
}

static void write_u16(unsigned char *p, uint16_t value)
{
	p[0] = (unsigned char) (value >> 8);
	p[1] = (unsigned char) value;
}

static void write_u32(unsigned char *p, uint32_t value)
{
	p[0] = (unsigned char) (value >> 24);
	p[1] = (unsigned char) (value >> 16);
	p[2] = (unsigned char) (value >> 8);
	p[3] = (unsigned char) value;
}

/* Attribute values are padded to a multiple of 4 bytes (RFC 8489 section 14). */
static size_t padded(size_t length)
{
	return (length + 3) & ~(size_t) 3;
}

/* ---- static helpers: checksums ---- */

static uint32_t crc32_iso_hdlc(const unsigned char *data, size_t length)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < length; i++)
		crc = crc32_table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}

/* HMAC-SHA1 keyed with the short-term password (RFC 8489 section 9.1.1: the key is the password
 * itself, after OpaqueString processing, which ICE's ASCII passwords leave unchanged). */
static int hmac_sha1(const char *password, size_t password_length, const unsigned char *data, size_t length,
                     unsigned char digest[HMAC_SHA1_LENGTH])
{
	static const char empty_key[1] = "";
	unsigned int digest_length = 0;
	if (password_length > INT32_MAX)
		return -EINVAL;
	if (!HMAC(EVP_sha1(), password_length ? password : empty_key, (int) password_length, data, length, digest,
	          &digest_length) || digest_length != HMAC_SHA1_LENGTH)
		return -EIO;
	return 0;
}

/* ---- static helpers: parsing ---- */

/* Header checks shared by stun_packet_is_stun and the parser (RFC 8489 section 5). */
static bool header_is_valid(const unsigned char *packet, size_t length)
{
	if (!packet || length < STUN_HEADER_LENGTH)
		return false;
	if (packet[0] & 0xC0)
		return false;
	if (read_u32(packet + 4) != STUN_MAGIC_COOKIE)
		return false;
	size_t message_length = read_u16(packet + 2);
	if (message_length % 4)
		return false;
	return message_length + STUN_HEADER_LENGTH == length;
}

/* Reads one known attribute's value into info. Returns -EINVAL when a fixed-size attribute has the
 * wrong length: such a request cannot be answered meaningfully. */
static int record_attribute(struct stun_request_info *info, uint16_t type, const unsigned char *value,
                            size_t value_length, bool *seen_username, bool *seen_priority,
                            bool *seen_role)
{
	switch (type) {
	case STUN_ATTRIBUTE_USERNAME:
		if (value_length > MAX_USERNAME_LENGTH)
			return -EINVAL;
		if (!*seen_username) {
			info->username = value;
			info->username_length = value_length;
			*seen_username = true;
		}
		return 0;
	case STUN_ATTRIBUTE_PRIORITY:
		if (value_length != 4)
			return -EINVAL;
		if (!*seen_priority) {
			info->priority = read_u32(value);
			*seen_priority = true;
		}
		return 0;
	case STUN_ATTRIBUTE_USE_CANDIDATE:
		if (value_length != 0)
			return -EINVAL;
		info->use_candidate = true;
		return 0;
	case STUN_ATTRIBUTE_ICE_CONTROLLED:
	case STUN_ATTRIBUTE_ICE_CONTROLLING:
		if (value_length != 8)
			return -EINVAL;
		if (type == STUN_ATTRIBUTE_ICE_CONTROLLING)
			info->ice_controlling = true;
		else
			info->ice_controlled = true;
		if (!*seen_role) {
			info->tie_breaker = read_u64(value);
			*seen_role = true;
		}
		return 0;
	case STUN_ATTRIBUTE_ERROR_CODE:
		/* RFC 8489 section 14.8: 21 reserved bits, class (3..6) and number (0..99) */
		if (value_length < 4 || (value[2] & 7) < 3 || (value[2] & 7) > 6 || value[3] > 99)
			return -EINVAL;
		if (!info->error_code)
			info->error_code = (value[2] & 7) * 100 + value[3];
		return 0;
	case STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS:
		return 0;   /* in responses; ICE needs no server-reflexive addresses from us */
	default:
		/* RFC 8489 section 14: 0x0000-0x7FFF are comprehension-required. */
		if (type < 0x8000)
			info->has_unknown_required_attribute = true;
		return 0;
	}
}

/* Walks the attributes of a message whose header is valid. Fills info (if not NULL) and the offset
 * of MESSAGE-INTEGRITY (0 when absent). Enforces RFC 8489 section 14: each TLV inside the message;
 * FINGERPRINT (section 14.7) last, 4 bytes, and matching; MESSAGE-INTEGRITY (section 14.5) 20 bytes
 * and followed only by FINGERPRINT or MESSAGE-INTEGRITY-SHA256, anything else after it ignored. */
static int walk_attributes(const unsigned char *packet, size_t length, struct stun_request_info *info,
                           size_t *integrity_offset)
{
	struct stun_request_info scratch;
	if (!info)
		info = &scratch;
	bool seen_username = false, seen_priority = false, seen_role = false;
	*integrity_offset = 0;

	size_t offset = STUN_HEADER_LENGTH;
	while (offset < length) {
		if (length - offset < ATTRIBUTE_HEADER_LENGTH)
			return -EINVAL;
		uint16_t type = read_u16(packet + offset);
		size_t value_length = read_u16(packet + offset + 2);
		const unsigned char *value = packet + offset + ATTRIBUTE_HEADER_LENGTH;
		if (padded(value_length) > length - offset - ATTRIBUTE_HEADER_LENGTH)
			return -EINVAL;
		size_t next = offset + ATTRIBUTE_HEADER_LENGTH + padded(value_length);

		if (type == STUN_ATTRIBUTE_FINGERPRINT) {
			if (value_length != 4 || next != length)
				return -EINVAL;
			if ((crc32_iso_hdlc(packet, offset) ^ FINGERPRINT_XOR) != read_u32(value))
				return -EINVAL;
			info->has_fingerprint = true;
		} else if (*integrity_offset) {
			/* After MESSAGE-INTEGRITY: unauthenticated, so ignored. */
		} else if (type == STUN_ATTRIBUTE_MESSAGE_INTEGRITY) {
			if (value_length != HMAC_SHA1_LENGTH)
				return -EINVAL;
			*integrity_offset = offset;
			info->has_message_integrity = true;
		} else {
			int ret = record_attribute(info, type, value, value_length, &seen_username, &seen_priority,
			                           &seen_role);
			if (ret)
				return ret;
		}
		offset = next;
	}
	return 0;
}

/* ---- static helpers: building ---- */

static void write_header(unsigned char *out, uint16_t type, const unsigned char transaction_id[12])
{
	write_u16(out, type);
	write_u16(out + 2, 0);
	write_u32(out + 4, STUN_MAGIC_COOKIE);
	memcpy(out + 8, transaction_id, 12);
}

/* Writes XOR-MAPPED-ADDRESS (RFC 8489 section 14.2) at out. Returns its total length or -EINVAL. */
static int write_xor_mapped_address(unsigned char *out, const unsigned char transaction_id[12],
                                    const struct sockaddr *source)
{
	unsigned char address[16];
	size_t address_length;
	uint16_t port;
	unsigned char family;

	if (source->sa_family == AF_INET) {
		const struct sockaddr_in *ipv4 = (const struct sockaddr_in *) source;
		memcpy(address, &ipv4->sin_addr, 4);
		address_length = 4;
		port = ntohs(ipv4->sin_port);
	} else if (source->sa_family == AF_INET6) {
		const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *) source;
		port = ntohs(ipv6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&ipv6->sin6_addr)) {
			/* A dual-stack socket saw an IPv4 peer: the peer knows itself by its IPv4 address. */
			memcpy(address, ipv6->sin6_addr.s6_addr + 12, 4);
			address_length = 4;
		} else {
			memcpy(address, &ipv6->sin6_addr, 16);
			address_length = 16;
		}
	} else {
		return -EINVAL;
	}
	family = address_length == 4 ? 0x01 : 0x02;

	/* The address is XORed with the magic cookie, then (IPv6) the transaction ID, so NATs that
	 * rewrite addresses in payloads leave it alone. */
	unsigned char mask[16];
	write_u32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, transaction_id, 12);

	write_u16(out, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS);
	write_u16(out + 2, (uint16_t) (4 + address_length));
	out[4] = 0;
	out[5] = family;
	write_u16(out + 6, (uint16_t) (port ^ (STUN_MAGIC_COOKIE >> 16)));
	for (size_t i = 0; i < address_length; i++)
		out[8 + i] = address[i] ^ mask[i];
	return (int) (ATTRIBUTE_HEADER_LENGTH + 4 + address_length);
}

/* Appends MESSAGE-INTEGRITY at out + position: the header length must already count the
 * attribute when the HMAC is taken (RFC 8489 section 14.5). Returns the new position or -EIO. */
static int append_message_integrity(unsigned char *out, size_t position, const char *password,
                                    size_t password_length)
{
	write_u16(out + 2, (uint16_t) (position + MESSAGE_INTEGRITY_ATTRIBUTE_LENGTH - STUN_HEADER_LENGTH));
	unsigned char digest[HMAC_SHA1_LENGTH];
	if (hmac_sha1(password, password_length, out, position, digest))
		return -EIO;
	write_u16(out + position, STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
	write_u16(out + position + 2, HMAC_SHA1_LENGTH);
	memcpy(out + position + ATTRIBUTE_HEADER_LENGTH, digest, HMAC_SHA1_LENGTH);
	return (int) (position + MESSAGE_INTEGRITY_ATTRIBUTE_LENGTH);
}

/* Appends FINGERPRINT, always last, with the header length covering it (RFC 8489 section 14.7).
 * Returns the final message length. */
static int append_fingerprint(unsigned char *out, size_t position)
{
	write_u16(out + 2, (uint16_t) (position + FINGERPRINT_ATTRIBUTE_LENGTH - STUN_HEADER_LENGTH));
	uint32_t fingerprint = crc32_iso_hdlc(out, position) ^ FINGERPRINT_XOR;
	write_u16(out + position, STUN_ATTRIBUTE_FINGERPRINT);
	write_u16(out + position + 2, 4);
	write_u32(out + position + ATTRIBUTE_HEADER_LENGTH, fingerprint);
	return (int) (position + FINGERPRINT_ATTRIBUTE_LENGTH);
}

static int build_error(unsigned char *out, size_t size, const unsigned char transaction_id[12], int code,
                       const char *reason, bool with_integrity, const char *password, size_t password_length)
{
	if (!out || !transaction_id)
		return -EINVAL;
	/* RFC 8489 section 14.8: class 3..6, number 0..99. */
	if (code < 300 || code > 699)
		return -EINVAL;
	if (!reason)
		reason = "";
	size_t reason_length = strlen(reason);
	if (reason_length > STUN_MAX_REASON_LENGTH)
		return -EINVAL;
	if (with_integrity && !password && password_length)
		return -EINVAL;

	size_t error_code_length = ATTRIBUTE_HEADER_LENGTH + 4 + padded(reason_length);
	size_t needed = STUN_HEADER_LENGTH + error_code_length + FINGERPRINT_ATTRIBUTE_LENGTH +
	                (with_integrity ? MESSAGE_INTEGRITY_ATTRIBUTE_LENGTH : 0);
	if (size < needed)
		return -ENOSPC;

	write_header(out, STUN_BINDING_ERROR_RESPONSE, transaction_id);
	unsigned char *attribute = out + STUN_HEADER_LENGTH;
	write_u16(attribute, STUN_ATTRIBUTE_ERROR_CODE);
	write_u16(attribute + 2, (uint16_t) (4 + reason_length));
	attribute[4] = 0;
	attribute[5] = 0;
	attribute[6] = (unsigned char) (code / 100);
	attribute[7] = (unsigned char) (code % 100);
	memcpy(attribute + 8, reason, reason_length);
	/* RFC 8489 section 14: padding bytes MUST be zero on send. */
	memset(attribute + 8 + reason_length, 0, padded(reason_length) - reason_length);

	int position = (int) (STUN_HEADER_LENGTH + error_code_length);
	if (with_integrity) {
		position = append_message_integrity(out, (size_t) position, password, password_length);
		if (position < 0)
			return position;
	}
	return append_fingerprint(out, (size_t) position);
}

/* ---- public functions ---- */

bool stun_packet_is_stun(const unsigned char *packet, size_t length)
{
	return header_is_valid(packet, length);
}

int stun_parse(const unsigned char *packet, size_t length, struct stun_request_info *info)
{
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (!header_is_valid(packet, length))
		return -EINVAL;
	info->method_class = read_u16(packet);
	memcpy(info->transaction_id, packet + 8, 12);
	size_t integrity_offset;
	int ret = walk_attributes(packet, length, info, &integrity_offset);
	if (ret) {
		memset(info, 0, sizeof(*info));
		return ret;
	}
	return 0;
}

bool stun_check_integrity(const unsigned char *packet, size_t length, const char *password, size_t password_length)
{
	if (!password && password_length)
		return false;
	if (!header_is_valid(packet, length))
		return false;
	size_t integrity_offset;
	if (walk_attributes(packet, length, NULL, &integrity_offset) || !integrity_offset)
		return false;
	if (integrity_offset > STUN_MAX_AUTHENTICATED_LENGTH)
		return false;

	/* RFC 8489 section 14.5: the HMAC covers the header with its length field counting up to the
	 * end of MESSAGE-INTEGRITY (not any FINGERPRINT after it) and all attributes before it. */
	unsigned char signed_part[STUN_MAX_AUTHENTICATED_LENGTH];
	memcpy(signed_part, packet, integrity_offset);
	write_u16(signed_part + 2,
	          (uint16_t) (integrity_offset + MESSAGE_INTEGRITY_ATTRIBUTE_LENGTH - STUN_HEADER_LENGTH));
	unsigned char digest[HMAC_SHA1_LENGTH];
	if (hmac_sha1(password, password_length, signed_part, integrity_offset, digest))
		return false;
	return CRYPTO_memcmp(digest, packet + integrity_offset + ATTRIBUTE_HEADER_LENGTH, HMAC_SHA1_LENGTH) == 0;
}

bool stun_username_matches(const struct stun_request_info *info, const char *local_ufrag)
{
	if (!info || !info->username || !local_ufrag)
		return false;
	size_t ufrag_length = strlen(local_ufrag);
	if (!ufrag_length || info->username_length <= ufrag_length)
		return false;
	return memcmp(info->username, local_ufrag, ufrag_length) == 0 && info->username[ufrag_length] == ':';
}

int stun_build_binding_success(unsigned char *out, size_t size, const unsigned char transaction_id[12],
                               const struct sockaddr *source, const char *password, size_t password_length)
{
	if (!out || !transaction_id || !source || (!password && password_length))
		return -EINVAL;
	if (source->sa_family != AF_INET && source->sa_family != AF_INET6)
		return -EINVAL;
	/* Sized for IPv6 even when IPv4 fits, so a too-small buffer fails the same for every peer. */
	if (size < STUN_BINDING_SUCCESS_MAX_LENGTH)
		return -ENOSPC;

	write_header(out, STUN_BINDING_SUCCESS_RESPONSE, transaction_id);
	int written = write_xor_mapped_address(out + STUN_HEADER_LENGTH, transaction_id, source);
	if (written < 0)
		return written;
	int position = append_message_integrity(out, STUN_HEADER_LENGTH + (size_t) written, password, password_length);
	if (position < 0)
		return position;
	return append_fingerprint(out, (size_t) position);
}

int stun_build_binding_error(unsigned char *out, size_t size, const unsigned char transaction_id[12], int code,
                             const char *reason)
{
	return build_error(out, size, transaction_id, code, reason, false, NULL, 0);
}

int stun_build_binding_error_with_integrity(unsigned char *out, size_t size, const unsigned char transaction_id[12],
                                            int code, const char *reason, const char *password,
                                            size_t password_length)
{
	return build_error(out, size, transaction_id, code, reason, true, password, password_length);
}

int stun_build_binding_request(unsigned char *out, size_t size, const unsigned char transaction_id[12],
                               const char *username, uint32_t priority, bool controlling, uint64_t tie_breaker,
                               bool use_candidate, const char *password, size_t password_length)
{
	if (!out || !transaction_id || !username || (!password && password_length))
		return -EINVAL;
	size_t username_length = strlen(username);
	if (!username_length || username_length > 512)
		return -EINVAL;
	size_t needed = STUN_HEADER_LENGTH + ATTRIBUTE_HEADER_LENGTH + padded(username_length) + 8 + 12
		+ (use_candidate ? 4 : 0) + MESSAGE_INTEGRITY_ATTRIBUTE_LENGTH + FINGERPRINT_ATTRIBUTE_LENGTH;
	if (size < needed)
		return -ENOSPC;
	write_header(out, STUN_BINDING_REQUEST, transaction_id);
	size_t position = STUN_HEADER_LENGTH;
	write_u16(out + position, STUN_ATTRIBUTE_USERNAME);
	write_u16(out + position + 2, (uint16_t) username_length);
	memcpy(out + position + ATTRIBUTE_HEADER_LENGTH, username, username_length);
	memset(out + position + ATTRIBUTE_HEADER_LENGTH + username_length, 0, padded(username_length) - username_length);
	position += ATTRIBUTE_HEADER_LENGTH + padded(username_length);
	/* RFC 8445 section 7.1.1: the priority a peer-reflexive candidate learned from this check gets */
	write_u16(out + position, STUN_ATTRIBUTE_PRIORITY);
	write_u16(out + position + 2, 4);
	write_u32(out + position + 4, priority);
	position += 8;
	/* RFC 8445 section 7.1.3: the role and its tie-breaker */
	write_u16(out + position, controlling ? STUN_ATTRIBUTE_ICE_CONTROLLING : STUN_ATTRIBUTE_ICE_CONTROLLED);
	write_u16(out + position + 2, 8);
	write_u32(out + position + 4, (uint32_t) (tie_breaker >> 32));
	write_u32(out + position + 8, (uint32_t) tie_breaker);
	position += 12;
	if (use_candidate) {
		write_u16(out + position, STUN_ATTRIBUTE_USE_CANDIDATE);
		write_u16(out + position + 2, 0);
		position += 4;
	}
	int written = append_message_integrity(out, position, password, password_length);
	if (written < 0)
		return written;
	return append_fingerprint(out, (size_t) written);
}
