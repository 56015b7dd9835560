/* Transport addresses (IP + UDP port): THE address type of every program, a compact union
 * that fits both families, compared without allocation, and its one family of text functions.
 *
 * To text (always return buffer, truncated when size is too small; ENDPOINT_TEXT_SIZE always
 * suffices; an unset endpoint or NULL gives "(none)"):
 *   endpoint_address_text  "192.0.2.1", "2001:db8::1": the address alone, as SDP connection
 *                          lines (RFC 8866 section 5.7) and ng replies carry it: no brackets,
 *                          no zone;
 *   endpoint_text          "192.0.2.1:5", "[2001:db8::1]:5" (brackets as in URIs, RFC 3986
 *                          section 3.2.2), "[fe80::1%2]:5" (the zone index of a scoped
 *                          address, RFC 4007 section 11, when it has one): logs and keys.
 * From text (0 or -EINVAL; reading text[0..length) only, refusing embedded NULs):
 *   endpoint_parse          a bare numeric address of the given family (0: either) as a C
 *                           string plus a port number: what SDP and ng requests carry;
 *   endpoint_parse_address  a numeric address as an operator writes it: "192.0.2.1",
 *                           "2001:db8::1", "[2001:db8::1]", "fe80::1%eth0", "[fe80::1%2]"; port 0;
 *   endpoint_parse_text     such an address and ":PORT" (0..65535), the inverse of endpoint_text:
 *                           "192.0.2.1:5", "[2001:db8::1]:5" (IPv6 needs the brackets);
 *   endpoint_parse_ipv4     dotted-quad IPv4 exactly as inet_pton(AF_INET) takes it: four decimal
 *                           parts 0..255, no leading zeros, nothing else (no inet_aton forms).
 * Host names and the config file's endpoint forms ("[ADDR:]PORT") are interface_address.h's.
 */
#ifndef RTPENGINE_ENDPOINT_H
#define RTPENGINE_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

union endpoint {
	struct sockaddr address;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* "[" + 45 characters of IPv6 + "%" + a 10-digit zone + "]:65535" and the NUL fit. */
#define ENDPOINT_TEXT_SIZE 72

static inline bool endpoint_is_set(const union endpoint *endpoint)
{
	return endpoint->address.sa_family != 0;
}

static inline socklen_t endpoint_length(const union endpoint *endpoint)
{
	return endpoint->address.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

unsigned int endpoint_port(const union endpoint *endpoint);
void endpoint_set_port(union endpoint *endpoint, unsigned int port);

/* Same family, address and port. Inline: the packet path compares every source. */
static inline bool endpoint_equal(const union endpoint *a, const union endpoint *b)
{
	if (a->address.sa_family != b->address.sa_family)
		return false;
	if (a->address.sa_family == AF_INET)
		return a->v4.sin_port == b->v4.sin_port && a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
	if (a->address.sa_family == AF_INET6)
		return a->v6.sin6_port == b->v6.sin6_port
			&& __builtin_memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, sizeof(a->v6.sin6_addr)) == 0;
	return true;
}

int endpoint_parse(union endpoint *endpoint, int family, const char *address, unsigned int port);
int endpoint_parse_address(union endpoint *endpoint, const char *text, size_t length);
int endpoint_parse_text(union endpoint *endpoint, const char *text, size_t length);
int endpoint_parse_ipv4(const char *text, size_t length, struct in_addr *address);

const char *endpoint_address_text(const union endpoint *endpoint, char *buffer, size_t size);
const char *endpoint_text(const union endpoint *endpoint, char *buffer, size_t size);
/* "IPv4" / "IPv6" as upstream's ng replies spell the family. */
const char *endpoint_family_name(const union endpoint *endpoint);

#endif
