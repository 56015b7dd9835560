/* Parsing of the address forms used by the command line and config file: host names,
 * media interfaces ("[NAME/]ADDR[!ADVERTISED]") and control endpoints ("[ADDR:]PORT"), into
 * union endpoint (endpoint.h, which also has the numeric parsers and every to-text function).
 *
 * Every parser takes an explicit length, never reads past it, and rejects embedded NULs.
 * Functions return 0 or a negative errno:
 *   -EINVAL  syntax error
 *   -ERANGE  port outside 1..65535
 *   -ENOENT  a name that is neither an address, a network interface nor a resolvable host
 *   -ENAMETOOLONG  logical interface name longer than INTERFACE_NAME_SIZE - 1
 */
#ifndef RTPENGINE_INTERFACE_ADDRESS_H
#define RTPENGINE_INTERFACE_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib.h>
#include "endpoint.h"

#define INTERFACE_NAME_SIZE 64
#define INTERFACE_DEFAULT_NAME "default"

struct interface_config {
	char name[INTERFACE_NAME_SIZE];       /* logical interface name, "default" when not given */
	union endpoint local;                 /* address to bind media sockets to, port 0 */
	union endpoint advertised;            /* address written into SDP: == local unless !ADVERTISED given */
};

/* A numeric address (endpoint_parse_address()), else a host name looked up once (hosts file /
 * DNS), IPv4 preferred over IPv6 as upstream rtpengine does ("localhost" gives 127.0.0.1).
 * The port of *address is 0. */
int interface_address_resolve(const char *text, size_t length, union endpoint *address);

/* A control socket endpoint "[ADDR|HOST:]PORT", "[V6ADDR]:PORT" or "V6ADDR:PORT" (split at
 * the last colon). A bare PORT means every local address, as upstream; it is returned as
 * [::]:PORT and the socket should be bound with IPV6_V6ONLY=0 so IPv4 arrives too (fall back
 * to 0.0.0.0:PORT when IPv6 is unavailable, see interface_address_is_any()). */
int interface_address_parse_endpoint(const char *text, size_t length, union endpoint *endpoint);

/* True for the "every address" endpoint interface_address_parse_endpoint() returns for a bare port. */
bool interface_address_is_any(const union endpoint *endpoint);

/* One --interface value "[NAME/]ADDR[!ADVERTISED]". ADDR is a numeric address, the keyword
 * "any" (every non-loopback address of every interface that is up), a system network
 * interface name such as "eth0" (each of its addresses), or a host name. IPv6 link-local
 * addresses are skipped when expanding "any" or an interface name. ADVERTISED must be a
 * numeric address or a host name. Appends one or more struct interface_config to
 * interfaces. On failure nothing is appended and *error_message (when error_message is not
 * NULL) is a g_malloc'ed explanation that names the part at fault. */
int interface_address_parse_spec(const char *text, size_t length, GArray *interfaces, char **error_message);

/* Host name lookups are on by default. Fuzz targets and tests switch them off so that no
 * query leaves the machine; a host name then fails with -ENOENT. */
void interface_address_allow_host_lookups(bool allowed);

#endif
