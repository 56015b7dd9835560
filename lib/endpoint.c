/* Transport address helpers; see endpoint.h. */
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

unsigned int endpoint_port(const union endpoint *endpoint)
{
	if (endpoint->address.sa_family == AF_INET)
		return ntohs(endpoint->v4.sin_port);
	if (endpoint->address.sa_family == AF_INET6)
		return ntohs(endpoint->v6.sin6_port);
	return 0;
}

void endpoint_set_port(union endpoint *endpoint, unsigned int port)
{
	if (endpoint->address.sa_family == AF_INET)
		endpoint->v4.sin_port = htons(port);
	else if (endpoint->address.sa_family == AF_INET6)
		endpoint->v6.sin6_port = htons(port);
}

int endpoint_parse(union endpoint *endpoint, int family, const char *address, unsigned int port)
{
	memset(endpoint, 0, sizeof(*endpoint));
	if (port > 65535)
		return -EINVAL;
	if ((family == AF_INET || family == 0) && inet_pton(AF_INET, address, &endpoint->v4.sin_addr) == 1) {
		endpoint->v4.sin_family = AF_INET;
		endpoint->v4.sin_port = htons(port);
		return 0;
	}
	if ((family == AF_INET6 || family == 0) && inet_pton(AF_INET6, address, &endpoint->v6.sin6_addr) == 1) {
		endpoint->v6.sin6_family = AF_INET6;
		endpoint->v6.sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

void endpoint_from_storage(union endpoint *endpoint, const struct sockaddr_storage *storage)
{
	memset(endpoint, 0, sizeof(*endpoint));
	if (storage->ss_family == AF_INET)
		memcpy(&endpoint->v4, storage, sizeof(endpoint->v4));
	else if (storage->ss_family == AF_INET6)
		memcpy(&endpoint->v6, storage, sizeof(endpoint->v6));
}

/* inet_ntop() formats IPv4 through sprintf; replies carry many addresses. */
static void format_ipv4(uint32_t address_host_order, char *buffer)
{
	char *out = buffer;
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned int octet = (address_host_order >> shift) & 0xff;
		if (octet >= 100)
			*out++ = (char) ('0' + octet / 100);
		if (octet >= 10)
			*out++ = (char) ('0' + octet / 10 % 10);
		*out++ = (char) ('0' + octet % 10);
		*out++ = shift ? '.' : '\0';
	}
}

const char *endpoint_address_text(const union endpoint *endpoint, char *buffer, size_t size)
{
	if (endpoint->address.sa_family == AF_INET && size >= INET_ADDRSTRLEN) {
		format_ipv4(ntohl(endpoint->v4.sin_addr.s_addr), buffer);
		return buffer;
	}
	const void *raw = endpoint->address.sa_family == AF_INET6 ? (const void *) &endpoint->v6.sin6_addr
		: (const void *) &endpoint->v4.sin_addr;
	if (!endpoint_is_set(endpoint) || !inet_ntop(endpoint->address.sa_family, raw, buffer, size))
		snprintf(buffer, size, "(none)");
	return buffer;
}

const char *endpoint_text(const union endpoint *endpoint, char *buffer, size_t size)
{
	char address[INET6_ADDRSTRLEN + 8];
	endpoint_address_text(endpoint, address, sizeof(address));
	if (endpoint->address.sa_family == AF_INET6)
		snprintf(buffer, size, "[%s]:%u", address, endpoint_port(endpoint));
	else
		snprintf(buffer, size, "%s:%u", address, endpoint_port(endpoint));
	return buffer;
}

const char *endpoint_family_name(const union endpoint *endpoint)
{
	return endpoint->address.sa_family == AF_INET6 ? "IPv6" : "IPv4";
}
