/* Local media interfaces; see interface.h. */
#include "interface.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include "config.h"

int interface_list_init(struct interface_list *list, const struct interface_config *configs, unsigned int count,
                        unsigned int port_min, unsigned int port_max)
{
	list->items = g_new0(struct local_interface, count ? count : 1);
	list->count = 0;
	for (unsigned int i = 0; i < count; i++) {
		struct local_interface *interface = &list->items[list->count];
		g_strlcpy(interface->name, configs[i].name, sizeof(interface->name));
		interface->local = configs[i].local;
		interface->advertised = configs[i].advertised;
		if (!endpoint_is_set(&interface->advertised))
			interface->advertised = interface->local;
		endpoint_set_port(&interface->local, 0);
		for (unsigned int c = 0; c < sizeof(interface->ice_foundation) - 1; c++)
			interface->ice_foundation[c] = "0123456789abcdef"[g_random_int_range(0, 16)];
		int error = port_pool_init(&interface->pool, port_min, port_max);
		if (error) {
			interface_list_free(list);
			return error;
		}
		list->count++;
	}
	return 0;
}

void interface_list_free(struct interface_list *list)
{
	for (unsigned int i = 0; i < list->count; i++)
		port_pool_destroy(&list->items[i].pool);
	g_free(list->items);
	list->items = NULL;
	list->count = 0;
}

struct local_interface *interface_select(struct interface_list *list, const char *name, int family)
{
	struct local_interface *same_name = NULL, *same_family = NULL;
	for (unsigned int i = 0; i < list->count; i++) {
		struct local_interface *interface = &list->items[i];
		bool name_matches = !name || !strcmp(interface->name, name);
		bool family_matches = !family || interface->local.address.sa_family == family;
		if (name_matches && family_matches)
			return interface;
		if (name_matches && !same_name)
			same_name = interface;
		if (family_matches && !same_family && !name)
			same_family = interface;
	}
	if (same_name)
		return same_name;
	if (same_family)
		return same_family;
	if (name)
		return NULL;   /* an explicitly named interface that does not exist */
	return list->count ? &list->items[0] : NULL;
}

struct local_interface *interface_other_family(struct interface_list *list, const struct local_interface *interface)
{
	for (unsigned int i = 0; i < list->count; i++) {
		struct local_interface *candidate = &list->items[i];
		if (!strcmp(candidate->name, interface->name)
		    && candidate->local.address.sa_family != interface->local.address.sa_family)
			return candidate;
	}
	return NULL;
}
