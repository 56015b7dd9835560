/* Address, endpoint and --interface parsing; see interface_address.h. */
#include "interface_address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest text we accept for one address or host name: a DNS name is at most 253
 * characters (RFC 1035 section 2.3.4); the rest is room for brackets and a scope. */
#define ADDRESS_INPUT_MAX 300
#define ANY_KEYWORD "any"

static bool host_lookups_allowed = true;

/* ---- static helpers ---------------------------------------------------------------- */

/* Copies text[0..length) into buffer as a C string; rejects embedded NULs and overlong input. */
static int copy_text(const char *text, size_t length, char *buffer, size_t size)
{
	if (!text || length >= size || memchr(text, '\0', length))
		return -EINVAL;
	memcpy(buffer, text, length);
	buffer[length] = '\0';
	return 0;
}

static bool is_ipv6_link_local(const struct in6_addr *address)
{
	return IN6_IS_ADDR_LINKLOCAL(address);
}

/* A syntactically valid DNS host name (RFC 1123 section 2.1): labels of letters, digits and
 * hyphens, 1..63 characters, not starting or ending with a hyphen. A name whose last label
 * is all digits is a mistyped IPv4 address ("999.1.1.1"), never a host (RFC 3696 section 2),
 * so it is refused here without a lookup. Underscores are tolerated as many resolvers do. */
static bool is_host_name(const char *text)
{
	size_t length = strlen(text);
	if (length > 0 && text[length - 1] == '.')
		length--;   /* one trailing dot: the fully qualified form */
	if (length == 0 || length > 253)
		return false;
	size_t label_length = 0;
	bool label_all_digits = true;
	for (size_t i = 0; i < length; i++) {
		char c = text[i];
		if (c == '.') {
			if (label_length == 0 || text[i - 1] == '-')
				return false;
			label_length = 0;
			label_all_digits = true;
			continue;
		}
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool digit = c >= '0' && c <= '9';
		if (!letter && !digit && c != '-' && c != '_')
			return false;
		if (c == '-' && label_length == 0)
			return false;
		if (!digit)
			label_all_digits = false;
		if (++label_length > 63)
			return false;
	}
	return label_length > 0 && text[length - 1] != '-' && !label_all_digits;
}

/* Looks up a host name, trying IPv4 first, then IPv6. */
static int lookup_host(const char *name, union endpoint *address)
{
	static const int families[] = { AF_INET, AF_INET6 };
	if (!is_host_name(name))
		return -EINVAL;
	if (!host_lookups_allowed)
		return -ENOENT;
	for (size_t i = 0; i < G_N_ELEMENTS(families); i++) {
		struct addrinfo hints = { .ai_family = families[i], .ai_socktype = SOCK_DGRAM };
		struct addrinfo *results = NULL;
		if (getaddrinfo(name, NULL, &hints, &results) != 0 || !results)
			continue;
		bool found = false;
		if (results->ai_addrlen <= sizeof(*address)) {
			memset(address, 0, sizeof(*address));
			memcpy(address, results->ai_addr, results->ai_addrlen);
			endpoint_set_port(address, 0);
			found = true;
		}
		freeaddrinfo(results);
		if (found)
			return 0;
	}
	return -ENOENT;
}

/* Collects the usable addresses of one system interface (interface_name != NULL) or of all
 * non-loopback interfaces that are up (interface_name == NULL, the "any" keyword) into
 * addresses (a GArray of union endpoint, port 0), without duplicates. */
static int collect_system_addresses(const char *interface_name, GArray *addresses)
{
	struct ifaddrs *list = NULL;
	if (getifaddrs(&list) != 0)
		return -errno;
	for (struct ifaddrs *entry = list; entry; entry = entry->ifa_next) {
		if (!entry->ifa_addr || !entry->ifa_name)
			continue;
		int family = entry->ifa_addr->sa_family;
		if (family != AF_INET && family != AF_INET6)
			continue;
		if (interface_name) {
			if (strcmp(entry->ifa_name, interface_name) != 0)
				continue;
		} else if ((entry->ifa_flags & IFF_LOOPBACK) || !(entry->ifa_flags & IFF_UP)) {
			continue;
		}
		union endpoint address;
		memset(&address, 0, sizeof(address));
		if (family == AF_INET) {
			memcpy(&address.v4, entry->ifa_addr, sizeof(address.v4));
		} else {
			memcpy(&address.v6, entry->ifa_addr, sizeof(address.v6));
			/* Link-local addresses need a scope in SDP that peers cannot use. */
			if (is_ipv6_link_local(&address.v6.sin6_addr))
				continue;
		}
		endpoint_set_port(&address, 0);
		bool duplicate = false;
		for (guint i = 0; i < addresses->len && !duplicate; i++)
			duplicate = endpoint_equal(&g_array_index(addresses, union endpoint, i), &address);
		if (!duplicate)
			g_array_append_val(addresses, address);
	}
	freeifaddrs(list);
	return 0;
}

static bool system_interface_exists(const char *name)
{
	return name[0] && strlen(name) < IF_NAMESIZE && if_nametoindex(name) != 0;
}

static void set_error(char **error_message, const char *format, ...) G_GNUC_PRINTF(2, 3);
static void set_error(char **error_message, const char *format, ...)
{
	if (!error_message)
		return;
	va_list args;
	va_start(args, format);
	*error_message = g_strdup_vprintf(format, args);
	va_end(args);
}

/* Resolves the ADDR part of an --interface value into one or more local addresses. */
static int resolve_local_part(char *text, GArray *addresses, char **error_message)
{
	union endpoint address;
	if (endpoint_parse_address(&address, text, strlen(text)) == 0) {
		g_array_append_val(addresses, address);
		return 0;
	}
	int result;
	if (strcmp(text, ANY_KEYWORD) == 0) {
		result = collect_system_addresses(NULL, addresses);
		if (result == 0 && addresses->len == 0) {
			set_error(error_message, "'any' found no non-loopback address on this machine");
			return -ENOENT;
		}
	} else if (system_interface_exists(text)) {
		result = collect_system_addresses(text, addresses);
		if (result == 0 && addresses->len == 0) {
			set_error(error_message, "network interface '%s' has no usable address", text);
			return -ENOENT;
		}
	} else {
		result = lookup_host(text, &address);
		if (result == 0)
			g_array_append_val(addresses, address);
	}
	if (result == -EINVAL)
		set_error(error_message, "'%s' is not a valid IP address, network interface or host name", text);
	else if (result < 0)
		set_error(error_message, "'%s' is neither an IP address, a network interface nor a resolvable host name", text);
	return result;
}

/* ---- public functions ---------------------------------------------------------------- */

int interface_address_resolve(const char *text, size_t length, union endpoint *address)
{
	char buffer[ADDRESS_INPUT_MAX];
	int result = copy_text(text, length, buffer, sizeof(buffer));
	if (result < 0)
		return result;
	if (endpoint_parse_address(address, buffer, length) == 0)
		return 0;
	return lookup_host(buffer, address);
}

int interface_address_parse_endpoint(const char *text, size_t length, union endpoint *endpoint)
{
	char buffer[ADDRESS_INPUT_MAX];
	int result = copy_text(text, length, buffer, sizeof(buffer));
	if (result < 0)
		return result;

	char *port_text = strrchr(buffer, ':');
	char *host = NULL;
	if (port_text) {
		*port_text++ = '\0';
		host = buffer;
		if (!*host)
			return -EINVAL;
	} else {
		port_text = buffer;
	}
	if (!*port_text || strspn(port_text, "0123456789") != strlen(port_text))
		return -EINVAL;
	if (strlen(port_text) > 5)
		return -ERANGE;
	unsigned long port = strtoul(port_text, NULL, 10);
	if (port == 0 || port > 65535)
		return -ERANGE;

	union endpoint address;
	if (host) {
		result = interface_address_resolve(host, strlen(host), &address);
		if (result < 0)
			return result;
	} else {
		memset(&address, 0, sizeof(address));
		address.v6.sin6_family = AF_INET6;
		address.v6.sin6_addr = in6addr_any;
	}
	endpoint_set_port(&address, (unsigned int) port);
	*endpoint = address;
	return 0;
}

bool interface_address_is_any(const union endpoint *endpoint)
{
	if (!endpoint || endpoint->address.sa_family != AF_INET6)
		return false;
	return IN6_IS_ADDR_UNSPECIFIED(&endpoint->v6.sin6_addr);
}

int interface_address_parse_spec(const char *text, size_t length, GArray *interfaces, char **error_message)
{
	char buffer[ADDRESS_INPUT_MAX];
	if (copy_text(text, length, buffer, sizeof(buffer)) < 0) {
		set_error(error_message, "too long or contains a NUL byte");
		return -EINVAL;
	}

	/* [NAME/]ADDR[!ADVERTISED]: the name ends at the first '/', the advertised address
	 * starts after the first '!'. Neither character occurs in an address or host name. */
	const char *name = INTERFACE_DEFAULT_NAME;
	char *local_part = buffer;
	char *slash = strchr(buffer, '/');
	if (slash) {
		*slash = '\0';
		name = buffer;
		local_part = slash + 1;
		if (!*name) {
			set_error(error_message, "empty interface name before '/'");
			return -EINVAL;
		}
		if (strlen(name) >= INTERFACE_NAME_SIZE) {
			set_error(error_message, "interface name '%s' is longer than %d characters", name,
					INTERFACE_NAME_SIZE - 1);
			return -ENAMETOOLONG;
		}
	}
	char *advertised_part = strchr(local_part, '!');
	if (advertised_part)
		*advertised_part++ = '\0';
	if (!*local_part) {
		set_error(error_message, "missing address");
		return -EINVAL;
	}
	if (strchr(local_part, '/')) {
		set_error(error_message, "'%s' is not a valid IP address, network interface or host name", local_part);
		return -EINVAL;
	}

	union endpoint advertised;
	if (advertised_part) {
		int result = interface_address_resolve(advertised_part, strlen(advertised_part), &advertised);
		if (result < 0) {
			set_error(error_message, "advertised address '%s' is not a valid IP address or host name",
					advertised_part);
			return result;
		}
	}

	GArray *addresses = g_array_new(FALSE, TRUE, sizeof(union endpoint));
	int result = resolve_local_part(local_part, addresses, error_message);
	if (result == 0) {
		for (guint i = 0; i < addresses->len; i++) {
			struct interface_config entry;
			memset(&entry, 0, sizeof(entry));
			g_strlcpy(entry.name, name, sizeof(entry.name));
			entry.local = g_array_index(addresses, union endpoint, i);
			entry.advertised = advertised_part ? advertised : entry.local;
			g_array_append_val(interfaces, entry);
		}
	}
	g_array_free(addresses, TRUE);
	return result;
}

void interface_address_allow_host_lookups(bool allowed)
{
	host_lookups_allowed = allowed;
}
