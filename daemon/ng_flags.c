/* ng request keys and flags, as upstream's ng protocol documents them. The `flags` list and
 * the list-valued keys (replace, rtcp-mux, direction, ...) are read through one table each,
 * so every spelling upstream accepts is listed in one place. */
#include "ng_request.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "log.h"

struct flag_entry {
	const char *name;                  /* normalised: lower case, '-' between words */
	void (*set)(struct ng_flags *flags);
};

#define FLAG_SETTER(function, field) \
	static void function(struct ng_flags *flags) { flags->field = true; }

FLAG_SETTER(set_trust_address, trust_address)
FLAG_SETTER(set_sip_source_address, sip_source_address)
FLAG_SETTER(set_symmetric, symmetric)
FLAG_SETTER(set_asymmetric, asymmetric)
FLAG_SETTER(set_strict_source, strict_source)
FLAG_SETTER(set_media_handover, media_handover)
FLAG_SETTER(set_port_latching, port_latching)
FLAG_SETTER(set_no_rtcp_attribute, no_rtcp_attribute)
FLAG_SETTER(set_full_rtcp_attribute, full_rtcp_attribute)
FLAG_SETTER(set_loop_protect, loop_protect)
FLAG_SETTER(set_all, all)
FLAG_SETTER(set_fatal, fatal)
FLAG_SETTER(set_replace_origin, replace_origin)
FLAG_SETTER(set_replace_session_connection, replace_session_connection)
FLAG_SETTER(set_rtcp_mux_offer, rtcp_mux_offer)
FLAG_SETTER(set_rtcp_mux_demux, rtcp_mux_demux)

static void set_rtcp_mux_accept(struct ng_flags *flags) { flags->rtcp_mux_policy = NG_RTCP_MUX_ACCEPT; }
static void set_rtcp_mux_reject(struct ng_flags *flags) { flags->rtcp_mux_policy = NG_RTCP_MUX_REJECT; }
static void set_ice_remove(struct ng_flags *flags) { flags->ice = NG_ICE_REMOVE; }
static void set_ice_force(struct ng_flags *flags) { flags->ice = NG_ICE_FORCE; }
static void set_ice_default(struct ng_flags *flags) { flags->ice = NG_ICE_DEFAULT; }

/* Entries of the `flags` list. */
static const struct flag_entry flag_table[] = {
	{ "trust-address", set_trust_address },
	{ "sip-source-address", set_sip_source_address },
	{ "symmetric", set_symmetric },
	{ "asymmetric", set_asymmetric },
	{ "strict-source", set_strict_source },
	{ "media-handover", set_media_handover },
	{ "port-latching", set_port_latching },
	{ "no-rtcp-attribute", set_no_rtcp_attribute },
	{ "full-rtcp-attribute", set_full_rtcp_attribute },
	{ "loop-protect", set_loop_protect },
	{ "all", set_all },
	{ "fatal", set_fatal },
	/* older spellings of replace=... and rtcp-mux=... that Kamailio configs still use */
	{ "replace-origin", set_replace_origin },
	{ "replace-session-connection", set_replace_session_connection },
	{ "rtcp-mux-offer", set_rtcp_mux_offer },
	{ "rtcp-mux-demux", set_rtcp_mux_demux },
	{ "rtcp-mux-accept", set_rtcp_mux_accept },
	{ "rtcp-mux-reject", set_rtcp_mux_reject },
	{ "ice-remove", set_ice_remove },
	{ "ice-force", set_ice_force },
};

/* Entries of the `replace` list. */
static const struct flag_entry replace_table[] = {
	{ "origin", set_replace_origin },
	{ "session-connection", set_replace_session_connection },
};

/* Entries of the `rtcp-mux` list. */
static const struct flag_entry rtcp_mux_table[] = {
	{ "offer", set_rtcp_mux_offer },
	{ "demux", set_rtcp_mux_demux },
	{ "accept", set_rtcp_mux_accept },
	{ "reject", set_rtcp_mux_reject },
};

/* Values of the `ICE` key. */
static const struct flag_entry ice_table[] = {
	{ "remove", set_ice_remove },
	{ "force", set_ice_force },
	{ "default", set_ice_default },
};

/* Upstream treats "trust address", "trust-address" and "trust_address" alike, any case. */
static void normalise_flag(const char *input, size_t length, char *output, size_t size)
{
	size_t out = 0;
	for (size_t i = 0; i < length && out + 1 < size; i++) {
		char c = input[i];
		if (c == ' ' || c == '_')
			c = '-';
		else if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		output[out++] = c;
	}
	output[out] = '\0';
}

static bool apply_from_table(const struct flag_entry *table, size_t count, const char *name, struct ng_flags *flags)
{
	for (size_t i = 0; i < count; i++) {
		if (!strcmp(table[i].name, name)) {
			table[i].set(flags);
			return true;
		}
	}
	return false;
}

/* A "key=value" entry in the flags list, as newer Kamailio passes ICE=remove etc. */
static bool apply_key_value_flag(struct ng_request *request, const char *name)
{
	const char *equals = strchr(name, '=');
	if (!equals)
		return false;
	size_t key_length = (size_t) (equals - name);
	const char *value = equals + 1;
	struct ng_flags *flags = &request->flags;
	if (key_length == 3 && !strncmp(name, "ice", 3))
		return apply_from_table(ice_table, G_N_ELEMENTS(ice_table), value, flags);
	if (key_length == 7 && !strncmp(name, "replace", 7))
		return apply_from_table(replace_table, G_N_ELEMENTS(replace_table), value, flags);
	if (key_length == 8 && !strncmp(name, "rtcp-mux", 8))
		return apply_from_table(rtcp_mux_table, G_N_ELEMENTS(rtcp_mux_table), value, flags);
	if (key_length == 18 && !strncmp(name, "transport-protocol", 18)) {
		flags->transport_protocol = bencode_buffer_strdup_length(request->buffer, value, strlen(value));
		return true;
	}
	return false;
}

/* Applies every string of a list-valued key (or a single string) through table. */
static void apply_list(struct ng_request *request, const char *key, const struct flag_entry *table, size_t count)
{
	const struct bencode_item *value = bencode_dictionary_get(request->input, key);
	if (!value)
		return;
	const struct bencode_item *single = value->type == BENCODE_STRING ? value : NULL;
	const struct bencode_item *item = single ? single : (value->type == BENCODE_LIST ? value->first_child : NULL);
	for (; item; item = single ? NULL : item->next_sibling) {
		if (item->type != BENCODE_STRING)
			continue;
		char name[64];
		normalise_flag(item->string, item->string_length, name, sizeof(name));
		if (!apply_from_table(table, count, name, &request->flags)
		    && !(table == flag_table && apply_key_value_flag(request, name)))
			log_debug("ignoring unknown %s entry '%s'", key, name);
	}
}

static const char *get_string(struct ng_request *request, const char *key)
{
	return bencode_dictionary_get_string(request->buffer, request->input, key, NULL);
}

/* "IP4"/"IP6" as the ng protocol spells address families. */
static int parse_family(const char *text)
{
	if (!text)
		return 0;
	if (!g_ascii_strcasecmp(text, "IP4") || !g_ascii_strcasecmp(text, "IPv4"))
		return AF_INET;
	if (!g_ascii_strcasecmp(text, "IP6") || !g_ascii_strcasecmp(text, "IPv6"))
		return AF_INET6;
	return -1;
}

static int parse_received_from(struct ng_request *request)
{
	const struct bencode_item *value = bencode_dictionary_get(request->input, "received-from");
	if (!value)
		value = bencode_dictionary_get(request->input, "received from");
	if (!value)
		return 0;
	if (value->type != BENCODE_LIST || value->child_count != 2 || value->first_child->type != BENCODE_STRING
	    || value->last_child->type != BENCODE_STRING) {
		request->error_reason = "received-from must be a list of address family and address";
		return -EINVAL;
	}
	char *family_text = bencode_string_dup(request->buffer, value->first_child);
	char *address = bencode_string_dup(request->buffer, value->last_child);
	int family = parse_family(family_text);
	if (family <= 0 || endpoint_parse(&request->flags.received_from, family, address, 0) < 0) {
		request->error_reason = "Invalid address in received-from";
		return -EINVAL;
	}
	return 0;
}

int ng_flags_parse(struct ng_request *request)
{
	struct ng_flags *flags = &request->flags;
	flags->call_id = get_string(request, "call-id");
	flags->from_tag = get_string(request, "from-tag");
	flags->to_tag = get_string(request, "to-tag");
	flags->via_branch = get_string(request, "via-branch");
	flags->label = get_string(request, "label");
	flags->sdp = bencode_dictionary_get_string(request->buffer, request->input, "sdp", &flags->sdp_length);

	apply_list(request, "flags", flag_table, G_N_ELEMENTS(flag_table));
	apply_list(request, "replace", replace_table, G_N_ELEMENTS(replace_table));
	apply_list(request, "rtcp-mux", rtcp_mux_table, G_N_ELEMENTS(rtcp_mux_table));
	apply_list(request, "ICE", ice_table, G_N_ELEMENTS(ice_table));
	apply_list(request, "ice", ice_table, G_N_ELEMENTS(ice_table));

	const char *protocol = get_string(request, "transport-protocol");
	if (!protocol)
		protocol = get_string(request, "transport protocol");
	if (protocol)
		flags->transport_protocol = protocol;

	const struct bencode_item *direction = bencode_dictionary_get(request->input, "direction");
	if (direction && direction->type == BENCODE_LIST) {
		unsigned int index = 0;
		for (const struct bencode_item *item = direction->first_child; item && index < 2; item = item->next_sibling)
			flags->direction[index++] = bencode_string_dup(request->buffer, item);
	}

	const char *family = get_string(request, "address family");
	if (!family)
		family = get_string(request, "address-family");
	flags->address_family = parse_family(family);
	if (flags->address_family < 0) {
		request->error_reason = "Unsupported address family";
		return -EINVAL;
	}

	const char *media_address = get_string(request, "media-address");
	if (!media_address)
		media_address = get_string(request, "media address");
	if (media_address && endpoint_parse(&flags->media_address, 0, media_address, 0) < 0) {
		request->error_reason = "Invalid media-address";
		return -EINVAL;
	}
	if (parse_received_from(request) < 0)
		return -EINVAL;

	flags->has_delete_delay = bencode_dictionary_get_integer(request->input, "delete-delay", &flags->delete_delay)
		|| bencode_dictionary_get_integer(request->input, "delete delay", &flags->delete_delay);
	if (flags->has_delete_delay && flags->delete_delay < 0) {
		request->error_reason = "delete-delay must not be negative";
		return -EINVAL;
	}
	if (!bencode_dictionary_get_integer(request->input, "limit", &flags->limit))
		flags->limit = 32;
	return 0;
}
