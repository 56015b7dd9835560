/* libFuzzer target for daemon/stun.c: parsing, the integrity check and answering any parsed
 * request must never read past the input or write past the output, and what we build must parse
 * back and verify. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_request_info info;
	bool is_stun = stun_packet_is_stun(data, size);
	int parsed = stun_parse(data, size, &info);
	if (parsed == 0 && !is_stun)
		__builtin_trap();
	if (parsed != 0)
		return 0;
	if (info.username && (info.username < data || info.username + info.username_length > data + size))
		__builtin_trap();

	/* Password: the RFC 5769 one, so the seed's integrity passes, or the username as a key. */
	static const char vector_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
	(void) stun_check_integrity(data, size, vector_password, sizeof(vector_password) - 1);
	(void) stun_username_matches(&info, "evtj");

	/* Answer from an address derived from the input, IPv4 or IPv6 by the transaction ID. */
	struct sockaddr_in6 ipv6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t) info.priority) };
	memcpy(&ipv6.sin6_addr, info.transaction_id, 12);
	struct sockaddr_in ipv4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t) info.priority) };
	memcpy(&ipv4.sin_addr, info.transaction_id, 4);
	const struct sockaddr *source = (info.transaction_id[11] & 1) ? (const struct sockaddr *) &ipv6
	                                                               : (const struct sockaddr *) &ipv4;
	const char *password = (const char *) info.username;
	size_t password_length = info.username_length;
	if (!password) {
		password = vector_password;
		password_length = sizeof(vector_password) - 1;
	}

	unsigned char out[STUN_BINDING_SUCCESS_MAX_LENGTH];
	int written = stun_build_binding_success(out, sizeof(out), info.transaction_id, source, password,
	                                         password_length);
	struct stun_request_info answer;
	if (written <= 0 || stun_parse(out, (size_t) written, &answer) != 0 || !answer.has_fingerprint ||
	    !stun_check_integrity(out, (size_t) written, password, password_length))
		__builtin_trap();

	/* Error answers, with a reason cut from the username. */
	char reason[64] = "";
	if (info.username) {
		size_t reason_length = info.username_length < sizeof(reason) - 1 ? info.username_length
		                                                                  : sizeof(reason) - 1;
		memcpy(reason, info.username, reason_length);
		reason[reason_length] = '\0';
	}
	int code = 300 + (int) (info.tie_breaker % 400);
	unsigned char error[256];
	size_t error_size = (size_t) (info.priority % sizeof(error)) + 1;
	written = stun_build_binding_error(error, error_size, info.transaction_id, code, reason);
	if (written == -ENOSPC)
		return 0;
	if (written <= 0 || (size_t) written > error_size || stun_parse(error, (size_t) written, &answer) != 0)
		__builtin_trap();
	written = stun_build_binding_error_with_integrity(error, sizeof(error), info.transaction_id, code, reason,
	                                                  password, password_length);
	if (written <= 0 || !stun_check_integrity(error, (size_t) written, password, password_length))
		__builtin_trap();
	return 0;
}
