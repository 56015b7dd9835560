/* SDES "a=crypto:" attribute (RFC 4568) parsing and formatting. */
#include "sdes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* A view of the text being parsed. */
struct cursor {
	const char *position;
	const char *end;
};

#define MAX_KEY_SALT_LENGTH (SRTP_MAX_MASTER_KEY_LENGTH + SRTP_MAX_MASTER_SALT_LENGTH)
/* RFC 4568 section 6.1: SRTP key lifetime at most 2^48 packets. */
#define MAX_LIFETIME ((uint64_t) 1 << 48)

static const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---- small helpers ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_spaces(struct cursor *cursor)
{
	while (cursor->position < cursor->end && is_space(*cursor->position))
		cursor->position++;
}

/* The next run of non-space characters; empty at the end. */
static struct cursor next_token(struct cursor *cursor)
{
	skip_spaces(cursor);
	struct cursor token = { cursor->position, cursor->position };
	while (token.end < cursor->end && !is_space(*token.end))
		token.end++;
	cursor->position = token.end;
	return token;
}

static size_t cursor_length(const struct cursor *cursor)
{
	return (size_t) (cursor->end - cursor->position);
}

static bool starts_with(const struct cursor *text, const char *prefix)
{
	size_t length = strlen(prefix);
	return cursor_length(text) >= length && strncasecmp(text->position, prefix, length) == 0;
}

static bool equals(const struct cursor *text, const char *word)
{
	return cursor_length(text) == strlen(word) && starts_with(text, word);
}

/* Decimal digits only, at most max. */
static bool parse_decimal(const char *text, size_t length, uint64_t max, uint64_t *value)
{
	if (length == 0 || length > 20)
		return false;
	uint64_t result = 0;
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		unsigned digit = (unsigned) (text[i] - '0');
		if (digit > max || result > (max - digit) / 10)
			return false;
		result = result * 10 + digit;
	}
	*value = result;
	return true;
}

static int base64_value(char c)
{
	const char *found = c ? memchr(base64_alphabet, c, 64) : NULL;
	return found ? (int) (found - base64_alphabet) : -1;
}

/* RFC 4648 section 4 base64; the trailing '=' padding may be left out (many SDES implementations
 * do). Returns the decoded length, or -EINVAL (bad character, bad length) or -E2BIG. */
static int base64_decode(const char *text, size_t length, unsigned char *out, size_t capacity)
{
	while (length > 0 && text[length - 1] == '=')
		length--;
	if (length % 4 == 1)
		return -EINVAL;
	size_t out_length = length / 4 * 3 + (length % 4 ? length % 4 - 1 : 0);
	if (out_length > capacity)
		return -E2BIG;
	uint32_t bits = 0;
	int bit_count = 0;
	size_t written = 0;
	for (size_t i = 0; i < length; i++) {
		int value = base64_value(text[i]);
		if (value < 0)
			return -EINVAL;
		bits = (bits << 6) | (uint32_t) value;
		bit_count += 6;
		if (bit_count >= 8) {
			bit_count -= 8;
			out[written++] = (unsigned char) (bits >> bit_count);
		}
	}
	return (int) written;
}

/* Padded base64 of data into out (NUL-terminated); returns the length or -ENOSPC. */
static int base64_encode(const unsigned char *data, size_t length, char *out, size_t capacity)
{
	size_t needed = (length + 2) / 3 * 4;
	if (needed + 1 > capacity)
		return -ENOSPC;
	size_t o = 0;
	for (size_t i = 0; i < length; i += 3) {
		uint32_t group = (uint32_t) data[i] << 16;
		if (i + 1 < length)
			group |= (uint32_t) data[i + 1] << 8;
		if (i + 2 < length)
			group |= data[i + 2];
		out[o++] = base64_alphabet[(group >> 18) & 63];
		out[o++] = base64_alphabet[(group >> 12) & 63];
		out[o++] = i + 1 < length ? base64_alphabet[(group >> 6) & 63] : '=';
		out[o++] = i + 2 < length ? base64_alphabet[group & 63] : '=';
	}
	out[o] = '\0';
	return (int) o;
}

static int fail(const char **error_reason, const char *reason, int error)
{
	if (error_reason)
		*error_reason = reason;
	return error;
}

/* Lifetime (RFC 4568 section 6.1): decimal or "2^n". */
static bool parse_lifetime(const char *text, size_t length, uint64_t *lifetime)
{
	if (length > 2 && text[0] == '2' && text[1] == '^') {
		uint64_t exponent;
		if (!parse_decimal(text + 2, length - 2, 48, &exponent))
			return false;
		*lifetime = (uint64_t) 1 << exponent;
		return true;
	}
	return parse_decimal(text, length, MAX_LIFETIME, lifetime) && *lifetime > 0;
}

/* "inline:" key-salt ["|" lifetime] ["|" MKI ":" length] (RFC 4568 section 9.1). */
static int parse_key_parameter(const struct cursor *parameter, struct sdes_crypto *crypto, const char **error_reason)
{
	if (memchr(parameter->position, ';', cursor_length(parameter)))
		return fail(error_reason, "several keys in one crypto attribute are not supported", -ENOTSUP);
	if (!starts_with(parameter, "inline:"))
		return fail(error_reason, "crypto key method is not inline:", -EINVAL);
	const char *key_info = parameter->position + strlen("inline:");
	const char *end = parameter->end;
	const char *bar = memchr(key_info, '|', (size_t) (end - key_info));
	const char *key_end = bar ? bar : end;

	unsigned char key_salt[MAX_KEY_SALT_LENGTH];
	int decoded = base64_decode(key_info, (size_t) (key_end - key_info), key_salt, sizeof(key_salt));
	if (decoded == -EINVAL)
		return fail(error_reason, "crypto key is not valid base64", -EINVAL);
	size_t key_length = srtp_suite_master_key_length(crypto->suite);
	size_t salt_length = srtp_suite_master_salt_length(crypto->suite);
	if (decoded < 0 || (size_t) decoded != key_length + salt_length) {
		OPENSSL_cleanse(key_salt, sizeof(key_salt));
		return fail(error_reason, "crypto key length does not match the crypto suite", -EINVAL);
	}
	memcpy(crypto->master_key, key_salt, key_length);
	memcpy(crypto->master_salt, key_salt + key_length, salt_length);
	crypto->master_key_length = key_length;
	crypto->master_salt_length = salt_length;
	OPENSSL_cleanse(key_salt, sizeof(key_salt));

	/* Up to two more fields: lifetime first, MKI (with ':') last. */
	bool seen_lifetime = false, seen_mki = false;
	while (bar) {
		const char *field = bar + 1;
		bar = memchr(field, '|', (size_t) (end - field));
		const char *field_end = bar ? bar : end;
		size_t field_length = (size_t) (field_end - field);
		const char *colon = memchr(field, ':', field_length);
		if (seen_mki)
			return fail(error_reason, "crypto key has fields after the MKI", -EINVAL);
		if (colon) {
			uint64_t value, length;
			if (!parse_decimal(field, (size_t) (colon - field), UINT64_MAX, &value) ||
			    !parse_decimal(colon + 1, (size_t) (field_end - colon - 1), 128, &length) || length == 0)
				return fail(error_reason, "crypto key has a malformed MKI", -EINVAL);
			if (length > SRTP_MAX_MKI_LENGTH)
				return fail(error_reason, "crypto MKI longer than 4 bytes is not supported", -ENOTSUP);
			if (length < 8 && value >> (8 * length))
				return fail(error_reason, "crypto MKI value does not fit its length", -EINVAL);
			crypto->mki_value = (uint32_t) value;
			crypto->mki_length = (size_t) length;
			seen_mki = true;
		} else {
			if (seen_lifetime || !parse_lifetime(field, field_length, &crypto->lifetime))
				return fail(error_reason, "crypto key has a malformed lifetime", -EINVAL);
			seen_lifetime = true;
		}
	}
	return 0;
}

/* Session parameters (RFC 4568 section 6.3). */
static int parse_session_parameters(struct cursor *rest, struct sdes_crypto *crypto, const char **error_reason)
{
	for (;;) {
		struct cursor token = next_token(rest);
		if (cursor_length(&token) == 0)
			return 0;
		if (equals(&token, "UNENCRYPTED_SRTP")) {
			crypto->session_flags |= SRTP_UNENCRYPTED_SRTP;
		} else if (equals(&token, "UNENCRYPTED_SRTCP")) {
			crypto->session_flags |= SRTP_UNENCRYPTED_SRTCP;
		} else if (equals(&token, "UNAUTHENTICATED_SRTP")) {
			crypto->session_flags |= SRTP_UNAUTHENTICATED_SRTP;
		} else if (starts_with(&token, "KDR=")) {
			return fail(error_reason, "crypto key derivation rate (KDR) is not supported", -ENOTSUP);
		} else if (starts_with(&token, "FEC_KEY=")) {
			return fail(error_reason, "crypto FEC_KEY is not supported", -ENOTSUP);
		} else if (starts_with(&token, "WSH=")) {
			uint64_t window;
			const char *digits = token.position + 4;
			if (!parse_decimal(digits, cursor_length(&token) - 4, UINT32_MAX, &window) || window < 64)
				return fail(error_reason, "crypto WSH is malformed (at least 64)", -EINVAL);
		}
		/* FEC_ORDER and unknown parameters: ignored. */
	}
}

/* ---- public ---- */

int sdes_parse(const char *value, size_t length, struct sdes_crypto *crypto, const char **error_reason)
{
	if (error_reason)
		*error_reason = NULL;
	if (!crypto)
		return -EINVAL;
	memset(crypto, 0, sizeof(*crypto));
	if (!value)
		return fail(error_reason, "crypto attribute is empty", -EINVAL);

	struct cursor text = { value, value + length };
	skip_spaces(&text);
	if (starts_with(&text, "a=crypto:"))
		text.position += strlen("a=crypto:");

	struct cursor tag = next_token(&text);
	uint64_t tag_value;
	if (cursor_length(&tag) > 9 || !parse_decimal(tag.position, cursor_length(&tag), SDES_MAX_TAG, &tag_value))
		return fail(error_reason, "crypto tag is not a number of at most 9 digits", -EINVAL);
	crypto->tag = (uint32_t) tag_value;

	struct cursor suite = next_token(&text);
	if (cursor_length(&suite) == 0)
		return fail(error_reason, "crypto suite missing", -EINVAL);
	if (srtp_suite_from_name(suite.position, cursor_length(&suite), &crypto->suite))
		return fail(error_reason, "unknown crypto suite", -ENOENT);

	struct cursor key_parameter = next_token(&text);
	if (cursor_length(&key_parameter) == 0)
		return fail(error_reason, "crypto key parameter missing", -EINVAL);
	int ret = parse_key_parameter(&key_parameter, crypto, error_reason);

	if (ret == 0) {
		skip_spaces(&text);
		struct cursor rest = text;
		while (rest.end > rest.position && is_space(rest.end[-1]))
			rest.end--;
		if (cursor_length(&rest)) {
			crypto->session_parameters = rest.position;
			crypto->session_parameters_length = cursor_length(&rest);
		}
		ret = parse_session_parameters(&rest, crypto, error_reason);
	}
	if (ret == 0 && crypto->session_flags && srtp_suite_rtp_tag_length(crypto->suite) == 16)
		ret = fail(error_reason, "crypto session parameters are not supported with AEAD suites", -ENOTSUP);
	if (ret) {
		OPENSSL_cleanse(crypto, sizeof(*crypto));
		return ret;
	}
	return 0;
}

int sdes_generate(struct sdes_crypto *crypto, uint32_t tag, enum srtp_suite suite)
{
	if (!crypto || tag > SDES_MAX_TAG || srtp_suite_master_key_length(suite) == 0)
		return -EINVAL;
	memset(crypto, 0, sizeof(*crypto));
	crypto->tag = tag;
	crypto->suite = suite;
	crypto->master_key_length = srtp_suite_master_key_length(suite);
	crypto->master_salt_length = srtp_suite_master_salt_length(suite);
	if (RAND_bytes(crypto->master_key, (int) crypto->master_key_length) != 1 ||
	    RAND_bytes(crypto->master_salt, (int) crypto->master_salt_length) != 1) {
		OPENSSL_cleanse(crypto, sizeof(*crypto));
		return -EIO;
	}
	return 0;
}

int sdes_format(const struct sdes_crypto *crypto, char *out, size_t capacity)
{
	if (!crypto || !out || crypto->tag > SDES_MAX_TAG ||
	    crypto->master_key_length != srtp_suite_master_key_length(crypto->suite) ||
	    crypto->master_salt_length != srtp_suite_master_salt_length(crypto->suite) ||
	    crypto->mki_length > SRTP_MAX_MKI_LENGTH || crypto->lifetime > MAX_LIFETIME)
		return -EINVAL;
	unsigned char key_salt[MAX_KEY_SALT_LENGTH];
	memcpy(key_salt, crypto->master_key, crypto->master_key_length);
	memcpy(key_salt + crypto->master_key_length, crypto->master_salt, crypto->master_salt_length);
	char key_text[(MAX_KEY_SALT_LENGTH + 2) / 3 * 4 + 1];
	base64_encode(key_salt, crypto->master_key_length + crypto->master_salt_length, key_text, sizeof(key_text));
	OPENSSL_cleanse(key_salt, sizeof(key_salt));

	char lifetime[32] = "";
	if (crypto->lifetime) {
		uint64_t l = crypto->lifetime;
		if (l > 1 && (l & (l - 1)) == 0)
			snprintf(lifetime, sizeof(lifetime), "|2^%d", __builtin_ctzll(l));
		else
			snprintf(lifetime, sizeof(lifetime), "|%llu", (unsigned long long) l);
	}
	char mki[32] = "";
	if (crypto->mki_length)
		snprintf(mki, sizeof(mki), "|%u:%zu", crypto->mki_value, crypto->mki_length);
	unsigned flags = crypto->session_flags;
	int written = snprintf(out, capacity, "%u %s inline:%s%s%s%s%s%s", crypto->tag,
	                       srtp_suite_name(crypto->suite), key_text, lifetime, mki,
	                       (flags & SRTP_UNENCRYPTED_SRTP) ? " UNENCRYPTED_SRTP" : "",
	                       (flags & SRTP_UNENCRYPTED_SRTCP) ? " UNENCRYPTED_SRTCP" : "",
	                       (flags & SRTP_UNAUTHENTICATED_SRTP) ? " UNAUTHENTICATED_SRTP" : "");
	OPENSSL_cleanse(key_text, sizeof(key_text));
	if (written < 0 || (size_t) written >= capacity) {
		if (capacity)
			OPENSSL_cleanse(out, capacity);
		return -ENOSPC;
	}
	return written;
}

int sdes_context_init(struct srtp_context *ctx, const struct sdes_crypto *crypto)
{
	if (!ctx || !crypto)
		return -EINVAL;
	int ret = srtp_context_init(ctx, crypto->suite, crypto->master_key, crypto->master_key_length,
	                            crypto->master_salt, crypto->master_salt_length);
	unsigned char mki[SRTP_MAX_MKI_LENGTH];
	/* The MKI travels big-endian in mki_length bytes (RFC 4568 section 6.1). */
	for (size_t i = 0; i < crypto->mki_length && i < sizeof(mki); i++)
		mki[i] = (unsigned char) (crypto->mki_value >> (8 * (crypto->mki_length - 1 - i)));
	if (ret == 0)
		ret = srtp_context_set_mki(ctx, mki, crypto->mki_length);
	if (ret == 0)
		ret = srtp_context_set_session_flags(ctx, crypto->session_flags);
	if (ret)
		srtp_context_cleanup(ctx);
	return ret;
}
