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

/* Parses a C string holding a numeric IPv6 address with an optional "%scope" suffix. */
static int parse_ipv6_with_scope(char *text, struct sockaddr_storage *address)
{
	struct sockaddr_in6 result = { .sin6_family = AF_INET6 };
	char *percent = strchr(text, '%');
	if (percent) {
		*percent = '\0';
		const char *scope = percent + 1;
		if (!*scope)
			return -EINVAL;
		unsigned int index = if_nametoindex(scope);
		if (!index) {
			char *end = NULL;
			errno = 0;
			unsigned long number = strtoul(scope, &end, 10);
			if (errno || *end || number == 0 || number > 0xffffffffUL || *scope == '-' || *scope == '+')
				return -EINVAL;
			index = (unsigned int) number;
		}
		result.sin6_scope_id = index;
	}
	if (inet_pton(AF_INET6, text, &result.sin6_addr) != 1)
		return -EINVAL;
	memset(address, 0, sizeof(*address));
	memcpy(address, &result, sizeof(result));
	return 0;
}

/* Parses a C string: dotted-quad IPv4 (strict inet_pton form, so "1.2.3" is refused), or
 * IPv6 with or without brackets. */
static int parse_numeric_string(char *text, struct sockaddr_storage *address)
{
	size_t length = strlen(text);
	if (length >= 2 && text[0] == '[' && text[length - 1] == ']') {
		text[length - 1] = '\0';
		return parse_ipv6_with_scope(text + 1, address);
	}
	struct in_addr ipv4;
	if (inet_pton(AF_INET, text, &ipv4) == 1) {
		struct sockaddr_in *result = (struct sockaddr_in *) address;
		memset(address, 0, sizeof(*address));
		result->sin_family = AF_INET;
		result->sin_addr = ipv4;
		return 0;
	}
	if (strchr(text, ':'))
		return parse_ipv6_with_scope(text, address);
	return -EINVAL;
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
static int lookup_host(const char *name, struct sockaddr_storage *address)
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
			((struct sockaddr_in *) address)->sin_port = 0;
			if (results->ai_family == AF_INET6)
				((struct sockaddr_in6 *) address)->sin6_port = 0;
			found = true;
		}
		freeaddrinfo(results);
		if (found)
			return 0;
	}
	return -ENOENT;
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *) a)->sin_addr.s_addr == ((const struct sockaddr_in *) b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *) a)->sin6_addr, &((const struct sockaddr_in6 *) b)->sin6_addr,
				sizeof(struct in6_addr)) == 0;
	return false;
}

/* Collects the usable addresses of one system interface (interface_name != NULL) or of all
 * non-loopback interfaces that are up (interface_name == NULL, the "any" keyword) into
 * addresses (a GArray of struct sockaddr_storage), without duplicates. */
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
		struct sockaddr_storage address;
		memset(&address, 0, sizeof(address));
		if (family == AF_INET) {
			memcpy(&address, entry->ifa_addr, sizeof(struct sockaddr_in));
		} else {
			memcpy(&address, entry->ifa_addr, sizeof(struct sockaddr_in6));
			/* Link-local addresses need a scope in SDP that peers cannot use. */
			if (is_ipv6_link_local(&((struct sockaddr_in6 *) &address)->sin6_addr))
				continue;
		}
		bool duplicate = false;
		for (guint i = 0; i < addresses->len && !duplicate; i++)
			duplicate = same_address(&g_array_index(addresses, struct sockaddr_storage, i), &address);
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
	struct sockaddr_storage address;
	char numeric_copy[ADDRESS_INPUT_MAX];
	g_strlcpy(numeric_copy, text, sizeof(numeric_copy));
	if (parse_numeric_string(numeric_copy, &address) == 0) {
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

int interface_address_parse_numeric(const char *text, size_t length, struct sockaddr_storage *address)
{
	char buffer[ADDRESS_INPUT_MAX];
	int result = copy_text(text, length, buffer, sizeof(buffer));
	if (result < 0)
		return result;
	return parse_numeric_string(buffer, address);
}

int interface_address_resolve(const char *text, size_t length, struct sockaddr_storage *address)
{
	char buffer[ADDRESS_INPUT_MAX];
	int result = copy_text(text, length, buffer, sizeof(buffer));
	if (result < 0)
		return result;
	char numeric_copy[ADDRESS_INPUT_MAX];
	memcpy(numeric_copy, buffer, length + 1);
	if (parse_numeric_string(numeric_copy, address) == 0)
		return 0;
	return lookup_host(buffer, address);
}

int interface_address_parse_endpoint(const char *text, size_t length, struct sockaddr_storage *endpoint)
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

	struct sockaddr_storage address;
	if (host) {
		result = interface_address_resolve(host, strlen(host), &address);
		if (result < 0)
			return result;
	} else {
		struct sockaddr_in6 *any = (struct sockaddr_in6 *) &address;
		memset(&address, 0, sizeof(address));
		any->sin6_family = AF_INET6;
		any->sin6_addr = in6addr_any;
	}
	if (address.ss_family == AF_INET)
		((struct sockaddr_in *) &address)->sin_port = htons((uint16_t) port);
	else
		((struct sockaddr_in6 *) &address)->sin6_port = htons((uint16_t) port);
	*endpoint = address;
	return 0;
}

bool interface_address_is_any(const struct sockaddr_storage *endpoint)
{
	if (!endpoint || endpoint->ss_family != AF_INET6)
		return false;
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *) endpoint)->sin6_addr);
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

	struct sockaddr_storage advertised;
	if (advertised_part) {
		int result = interface_address_resolve(advertised_part, strlen(advertised_part), &advertised);
		if (result < 0) {
			set_error(error_message, "advertised address '%s' is not a valid IP address or host name",
					advertised_part);
			return result;
		}
	}

	GArray *addresses = g_array_new(FALSE, TRUE, sizeof(struct sockaddr_storage));
	int result = resolve_local_part(local_part, addresses, error_message);
	if (result == 0) {
		for (guint i = 0; i < addresses->len; i++) {
			struct interface_config entry;
			memset(&entry, 0, sizeof(entry));
			g_strlcpy(entry.name, name, sizeof(entry.name));
			entry.local = g_array_index(addresses, struct sockaddr_storage, i);
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

unsigned int interface_address_port(const struct sockaddr_storage *address)
{
	if (!address)
		return 0;
	if (address->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *) address)->sin_port);
	if (address->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *) address)->sin6_port);
	return 0;
}

const char *interface_address_to_text(const struct sockaddr_storage *address, char *buffer, size_t size)
{
	if (!buffer || size == 0)
		return "";
	char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
	if (address && address->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *) address)->sin_addr, text, sizeof(text));
		snprintf(buffer, size, "%s", text);
	} else if (address && address->ss_family == AF_INET6) {
		const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *) address;
		inet_ntop(AF_INET6, &ipv6->sin6_addr, text, sizeof(text));
		if (ipv6->sin6_scope_id)
			snprintf(buffer, size, "[%s%%%u]", text, (unsigned int) ipv6->sin6_scope_id);
		else
			snprintf(buffer, size, "[%s]", text);
	} else {
		snprintf(buffer, size, "(none)");
	}
	return buffer;
}

const char *interface_address_endpoint_to_text(const struct sockaddr_storage *endpoint, char *buffer, size_t size)
{
	if (!buffer || size == 0)
		return "";
	char address[ADDRESS_TEXT_SIZE];
	interface_address_to_text(endpoint, address, sizeof(address));
	if (!endpoint || (endpoint->ss_family != AF_INET && endpoint->ss_family != AF_INET6))
		snprintf(buffer, size, "%s", address);
	else
		snprintf(buffer, size, "%s:%u", address, interface_address_port(endpoint));
	return buffer;
}
