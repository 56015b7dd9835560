/* Local media interfaces (--interface): where media sockets bind, what the SDP advertises,
 * and each one's port pool. */
#ifndef RTPENGINE_INTERFACE_H
#define RTPENGINE_INTERFACE_H

#include "endpoint.h"
#include "port_pool.h"

struct interface_config;

struct local_interface {
	char name[64];
	union endpoint local;          /* bind address, port 0 */
	union endpoint advertised;     /* written into SDP */
	struct port_pool pool;
	char ice_foundation[17];       /* RFC 8445 section 5.1.1.3: same for all our host candidates here */
};

struct interface_list {
	struct local_interface *items;
	unsigned int count;
};

/* One pool per distinct bind address. Returns 0 or -EINVAL (bad port range). */
int interface_list_init(struct interface_list *list, const struct interface_config *configs, unsigned int count,
                        unsigned int port_min, unsigned int port_max);
void interface_list_free(struct interface_list *list);
/* The interface called name (NULL: the first one) with the given family (0: any),
 * falling back to the same name in the other family, then to any interface. */
struct local_interface *interface_select(struct interface_list *list, const char *name, int family);
/* The logical interface's address of the other family (same name), NULL if it has none:
 * ICE host candidates of both families (RFC 8445 section 5.1.1.1). */
struct local_interface *interface_other_family(struct interface_list *list, const struct local_interface *interface);

#endif
