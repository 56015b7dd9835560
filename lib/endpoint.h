/* Transport addresses (IP + UDP port) as the packet path uses them: a compact union that fits
 * both families, compared without allocation. */
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

#define ENDPOINT_TEXT_SIZE 64   /* "[ffff:...:ffff]:65535" fits */

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
/* Parses a numeric IPv4 or IPv6 address (no brackets) and a port. Returns 0 or -EINVAL. */
int endpoint_parse(union endpoint *endpoint, int family, const char *address, unsigned int port);
void endpoint_from_storage(union endpoint *endpoint, const struct sockaddr_storage *storage);
/* "1.2.3.4" / "::1" */
const char *endpoint_address_text(const union endpoint *endpoint, char *buffer, size_t size);
/* "1.2.3.4:5" / "[::1]:5" */
const char *endpoint_text(const union endpoint *endpoint, char *buffer, size_t size);
/* "IPv4" / "IPv6" as upstream's ng replies spell the family. */
const char *endpoint_family_name(const union endpoint *endpoint);

#endif
