/* ng request keys and flags, as upstream's ng protocol documents them. Every key, list entry
 * and flag goes through the one key table (ng_keys.c), which applies what is supported and
 * notes what this relay lacks; scalar values (addresses, tags, SDP) are read here. */
#include "ng_request.h"
#include "ng_keys.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <glib.h>
#include "log.h"
#include "sdp_attr_edit.h"
#include "srtp.h"

/* How much of a value an error or warning quotes. */
#define QUOTED_LENGTH 64

/* As received, for warnings, errors and debug lines: the flag's text for flags-list entries,
 * else "key=value" (or "key" for values that are not strings). */
static const char *spelling(struct ng_request *request, const char *key, size_t key_length,
                            const struct bencode_item *value, const struct bencode_item *flag)
{
	char *text;
	if (flag) {
		text = g_strdup_printf("%.*s", (int) flag->string_length, flag->string);
	} else if (value) {
		int quoted = (int) (value->string_length < QUOTED_LENGTH ? value->string_length : QUOTED_LENGTH);
		text = g_strdup_printf("%.*s=%.*s", (int) key_length, key, quoted, value->string);
	} else {
		text = g_strdup_printf("%.*s", (int) key_length, key);
	}
	const char *copy = bencode_buffer_strdup_length(request->buffer, text, strlen(text));
	g_free(text);
	return copy;
}

/* SDES options: off/no/disable, pad, prefer, lifetime, no-SUITE, only-SUITE (as a dictionary value of "SDES"
 * or a flag "SDES-..."). Read here because the suite is part of the value, which the key
 * table's setters do not get; the table still says they are supported. */
static void read_sdes_option(struct ng_flags *flags, const char *text, size_t length)
{
	enum srtp_suite suite;
	if ((length == 3 && !g_ascii_strncasecmp(text, "off", 3)) || (length == 2 && !g_ascii_strncasecmp(text, "no", 2))
	    || (length == 7 && !g_ascii_strncasecmp(text, "disable", 7)))
		flags->sdes_off = true;
	else if (length == 3 && !g_ascii_strncasecmp(text, "pad", 3))
		flags->sdes_pad = true;
	else if (length == 6 && !g_ascii_strncasecmp(text, "prefer", 6))
		flags->sdes_prefer = true;
	else if (length == 8 && !g_ascii_strncasecmp(text, "lifetime", 8))
		flags->sdes_lifetime = true;
	else if (length > 3 && !g_ascii_strncasecmp(text, "no-", 3) && !srtp_suite_from_name(text + 3, length - 3, &suite))
		flags->sdes_no_suites |= 1u << suite;
	else if (length > 5 && !g_ascii_strncasecmp(text, "only-", 5)
		 && !srtp_suite_from_name(text + 5, length - 5, &suite))
		flags->sdes_only_suites |= 1u << suite;
}

/* One value of a key (value NULL for integers, dictionaries and keys without a value):
 * applied when supported, noted when the relay lacks it. flag: the flags-list entry this
 * came from, NULL for dictionary keys. */
/* transport-protocol: the RTP profiles 10.5 translates between; another value (10.5's own
 * tests send "transparent") leaves the m= protocol as the SDP has it, as 10.5 does. */
static bool rtp_transport_protocol(const char *text, size_t length)
{
	static const char *const known[] = { "RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF",
					     "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF" };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == length && !g_ascii_strncasecmp(text, known[i], length))
			return true;
	return false;
}

static void classify(struct ng_request *request, const char *key, size_t key_length,
                     const struct bencode_item *value, const struct bencode_item *flag)
{
	const struct ng_key *entry = ng_keys_find_text(key, key_length, value ? value->string : NULL,
						       value ? value->string_length : 0);
	if (!entry) {
		log_debug("ignoring unknown ng key or flag '%s'", spelling(request, key, key_length, value, flag));
		return;
	}
	if (entry->set)
		entry->set(&request->flags);
	if (flag && value == flag && flag->string_length > 5 && !g_ascii_strncasecmp(flag->string, "sdes-", 5))
		read_sdes_option(&request->flags, flag->string + 5, flag->string_length - 5);
	else if (value && key_length == 4 && !g_ascii_strncasecmp(key, "sdes", 4))
		read_sdes_option(&request->flags, value->string, value->string_length);
	if (entry->state == NG_KEY_SUPPORTED && !entry->set && value) {
		/* a codec name; a prefixed flag's is the text after the prefix, as received */
		size_t skip = entry->prefix ? strlen(entry->value) : 0;
		if (skip < value->string_length)
			ng_keys_apply_codec_value(request, entry, bencode_buffer_strdup_length(request->buffer,
						  value->string + skip, value->string_length - skip));
	}
	if (entry->state == NG_KEY_WARN || entry->state == NG_KEY_REFUSED)
		ng_keys_note(request, entry, spelling(request, key, key_length, value, flag));
	else if (entry->state == NG_KEY_IGNORED)
		log_debug("ng '%s' accepted and ignored: %s", spelling(request, key, key_length, value, flag),
			  entry->reason);
}

/* Every string of a list (or a single string, or one non-string value). */
static void classify_values(struct ng_request *request, const char *key, size_t key_length,
                            const struct bencode_item *value)
{
	if (value->type == BENCODE_LIST) {
		for (const struct bencode_item *item = value->first_child; item; item = item->next_sibling)
			classify(request, key, key_length, item->type == BENCODE_STRING ? item : NULL, NULL);
		return;
	}
	classify(request, key, key_length, value->type == BENCODE_STRING ? value : NULL, NULL);
}

/* A `flags` entry: a plain flag, or "key=value" as newer Kamailio passes ICE=remove etc. */
static void classify_flag(struct ng_request *request, const struct bencode_item *item)
{
	/* before the "key=value" split: an attribute may hold '=' (sdp_attr_edit.h) */
	if (sdp_attr_edit_is_flag(item->string, item->string_length)) {
		if (!request->flags.sdp_attr_error)
			sdp_attr_edit_read_flag(request->buffer, &request->flags.sdp_attr, item->string,
						item->string_length, &request->flags.sdp_attr_error);
		return;
	}
	const char *equals = memchr(item->string, '=', item->string_length);
	if (!equals) {
		classify(request, "flags", 5, item, item);
		return;
	}
	size_t key_length = (size_t) (equals - item->string);
	struct bencode_item value = {
		.type = BENCODE_STRING, .string = equals + 1, .string_length = item->string_length - key_length - 1,
	};
	char key[32];
	ng_keys_normalise(item->string, key_length, key, sizeof(key));
	if (!strcmp(key, "transport-protocol") && value.string_length == 6 && !g_ascii_strncasecmp(value.string, "accept", 6))
		request->flags.transport_protocol_accept = true;
	else if (!strcmp(key, "transport-protocol") && rtp_transport_protocol(value.string, value.string_length))
		request->flags.transport_protocol = bencode_string_dup(request->buffer, &value);
	classify(request, item->string, key_length, &value, item);
}

/* Walks the whole request dictionary through the key table. skip: the positions (bit n: the
 * n-th key, n < 64) that need no look-up, see find_scalars(). */
static void classify_request(struct ng_request *request, uint64_t skip)
{
	const struct bencode_item *key = request->input->first_child;
	for (unsigned int position = 0; key && key->next_sibling;
	     key = key->next_sibling->next_sibling, position++) {
		if (position < 64 && (skip & (1ULL << position)))
			continue;
		const struct bencode_item *value = key->next_sibling;
		/* normalising keeps the length: only a key of 5 bytes can be "flags" or "codec",
		 * one of 8 "sdp-attr" */
		char name[12] = "";
		if (key->string_length == 5 || key->string_length == 8)
			ng_keys_normalise(key->string, key->string_length, name, sizeof(name));
		if (!strcmp(name, "flags") && value->type == BENCODE_LIST) {
			for (const struct bencode_item *item = value->first_child; item; item = item->next_sibling)
				if (item->type == BENCODE_STRING)
					classify_flag(request, item);
		} else if (!strcmp(name, "codec") && value->type == BENCODE_DICTIONARY) {
			/* codec: { strip: [...], transcode: [...] } reads as codec-strip, codec-transcode */
			const struct bencode_item *option = value->first_child;
			for (; option && option->next_sibling; option = option->next_sibling->next_sibling) {
				char *option_key = g_strdup_printf("codec-%.*s", (int) option->string_length, option->string);
				classify_values(request, option_key, strlen(option_key), option->next_sibling);
				g_free(option_key);
			}
		} else if (!strcmp(name, "sdp-attr")) {
			if (!request->flags.sdp_attr_error)
				sdp_attr_edit_read_dictionary(request->buffer, &request->flags.sdp_attr, value,
							      &request->flags.sdp_attr_error);
		} else {
			classify_values(request, key->string, key->string_length, value);
		}
	}
}

/* The keys whose values are read here rather than through the key table, found in one walk
 * over the request: a dictionary lookup per key scanned the whole request each time, about 4%
 * of the user-space instructions of an ng cycle (callgrind, ng cycle bench). Spelled exactly,
 * the first occurrence wins: as bencode_dictionary_get(). */
enum scalar_key {
	SCALAR_CALL_ID, SCALAR_FROM_TAG, SCALAR_TO_TAG, SCALAR_VIA_BRANCH, SCALAR_LABEL, SCALAR_FROM_LABEL,
	SCALAR_SDP, SCALAR_TRANSPORT_PROTOCOL, SCALAR_TRANSPORT_PROTOCOL_SPACE, SCALAR_DIRECTION,
	SCALAR_ADDRESS_FAMILY_SPACE, SCALAR_ADDRESS_FAMILY, SCALAR_MEDIA_ADDRESS, SCALAR_MEDIA_ADDRESS_SPACE,
	SCALAR_RECEIVED_FROM, SCALAR_RECEIVED_FROM_SPACE, SCALAR_DELETE_DELAY, SCALAR_DELETE_DELAY_SPACE,
	SCALAR_LIMIT, SCALAR_COMMAND, SCALAR_PTIME, SCALAR_PTIME_REVERSE, SCALAR_PTIME_REVERSE_SPACE, SCALAR_KEYS
};

#define SCALAR(name) { name, sizeof(name) - 1 }
static const struct {
	const char *name;
	size_t length;
} scalar_keys[SCALAR_KEYS] = {
	[SCALAR_CALL_ID] = SCALAR("call-id"), [SCALAR_FROM_TAG] = SCALAR("from-tag"),
	[SCALAR_TO_TAG] = SCALAR("to-tag"), [SCALAR_VIA_BRANCH] = SCALAR("via-branch"),
	[SCALAR_LABEL] = SCALAR("label"), [SCALAR_FROM_LABEL] = SCALAR("from-label"), [SCALAR_SDP] = SCALAR("sdp"),
	[SCALAR_TRANSPORT_PROTOCOL] = SCALAR("transport-protocol"),
	[SCALAR_TRANSPORT_PROTOCOL_SPACE] = SCALAR("transport protocol"),
	[SCALAR_DIRECTION] = SCALAR("direction"),
	[SCALAR_ADDRESS_FAMILY_SPACE] = SCALAR("address family"), [SCALAR_ADDRESS_FAMILY] = SCALAR("address-family"),
	[SCALAR_MEDIA_ADDRESS] = SCALAR("media-address"), [SCALAR_MEDIA_ADDRESS_SPACE] = SCALAR("media address"),
	[SCALAR_RECEIVED_FROM] = SCALAR("received-from"), [SCALAR_RECEIVED_FROM_SPACE] = SCALAR("received from"),
	[SCALAR_DELETE_DELAY] = SCALAR("delete-delay"), [SCALAR_DELETE_DELAY_SPACE] = SCALAR("delete delay"),
	[SCALAR_LIMIT] = SCALAR("limit"), [SCALAR_COMMAND] = SCALAR("command"),
	[SCALAR_PTIME] = SCALAR("ptime"), [SCALAR_PTIME_REVERSE] = SCALAR("ptime-reverse"),
	[SCALAR_PTIME_REVERSE_SPACE] = SCALAR("ptime reverse"),
};
#undef SCALAR

/* Whether classify() does nothing for a key, whatever its value: its table entry is supported
 * without a setter and the table has no entries for particular values of it (call-id, sdp,
 * command, ...). Found once from the table, so that the table stays the one place that says
 * what a key does. Skipping their look-ups saved about 3k of the ~69k user-space
 * instructions of an ng cycle (callgrind, ng cycle bench: 69.0k -> 65.1k per cycle). */
static bool scalar_plain[SCALAR_KEYS];

static void find_plain_scalars(void)
{
	size_t count = 0;
	const struct ng_key *table = ng_keys_table(&count);
	for (unsigned int i = 0; i < SCALAR_KEYS; i++) {
		const char *name = scalar_keys[i].name;
		const struct ng_key *entry = ng_keys_find(name, NULL);
		bool plain = entry && entry->state == NG_KEY_SUPPORTED && !entry->set && !strcmp(entry->key, name);
		for (size_t j = 0; plain && j < count; j++)
			if (table[j].value && !strcmp(table[j].key, name))
				plain = false;
		scalar_plain[i] = plain;
	}
}

/* Also sets the bit of each position (as classify_request() counts) whose key is plain. */
static void find_scalars(const struct bencode_item *input, const struct bencode_item *found[SCALAR_KEYS],
                         uint64_t *plain_positions)
{
	static bool plain_known;
	if (!plain_known) {
		find_plain_scalars();
		plain_known = true;
	}
	memset(found, 0, SCALAR_KEYS * sizeof(found[0]));
	*plain_positions = 0;
	unsigned int position = 0;
	for (const struct bencode_item *key = input->first_child; key && key->next_sibling;
	     key = key->next_sibling->next_sibling, position++) {
		for (unsigned int i = 0; i < SCALAR_KEYS; i++) {
			if (key->string_length == scalar_keys[i].length
			    && !memcmp(key->string, scalar_keys[i].name, key->string_length)) {
				if (!found[i])
					found[i] = key->next_sibling;
				if (scalar_plain[i] && position < 64)
					*plain_positions |= 1ULL << position;
				break;
			}
		}
	}
}

/* The value of the first of the two spellings that the request has. */
static const struct bencode_item *either(const struct bencode_item *const found[SCALAR_KEYS], enum scalar_key first,
                                         enum scalar_key second)
{
	return found[first] ? found[first] : found[second];
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

static int parse_received_from(struct ng_request *request, const struct bencode_item *value)
{
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
	struct bencode_buffer *buffer = request->buffer;
	const struct bencode_item *found[SCALAR_KEYS];
	uint64_t plain_positions;
	find_scalars(request->input, found, &plain_positions);
	flags->call_id = bencode_item_text(buffer, found[SCALAR_CALL_ID], NULL);
	flags->from_tag = bencode_item_text(buffer, found[SCALAR_FROM_TAG], NULL);
	flags->to_tag = bencode_item_text(buffer, found[SCALAR_TO_TAG], NULL);
	flags->via_branch = bencode_item_text(buffer, found[SCALAR_VIA_BRANCH], NULL);
	flags->label = bencode_item_text(buffer, found[SCALAR_LABEL], NULL);
	if (!flags->label)
		flags->label = bencode_item_text(buffer, found[SCALAR_FROM_LABEL], NULL);
	flags->sdp = bencode_item_text(buffer, found[SCALAR_SDP], &flags->sdp_length);

	classify_request(request, plain_positions);
	/* mask and consume shape what the answerer is offered: in an answer 10.5 leaves the SDP
	 * as it is (measured; strip still removes the codec) */
	if (request->command && !strcmp(request->command, "answer")) {
		flags->codec.mask.count = 0;
		flags->codec.consume.count = 0;
	}
	if (flags->sdp_attr_error) {
		request->error_reason = flags->sdp_attr_error;
		return -EINVAL;
	}

	const char *protocol = bencode_item_text(buffer, found[SCALAR_TRANSPORT_PROTOCOL], NULL);
	if (!protocol)
		protocol = bencode_item_text(buffer, found[SCALAR_TRANSPORT_PROTOCOL_SPACE], NULL);
	/* "accept" names no protocol: in an answer the answerer's passes on (as 10.5); an offer
	 * keeps the offerer's */
	if (protocol && !g_ascii_strcasecmp(protocol, "accept"))
		flags->transport_protocol_accept = true;
	else if (protocol && rtp_transport_protocol(protocol, strlen(protocol)))
		flags->transport_protocol = protocol;

	const struct bencode_item *direction = found[SCALAR_DIRECTION];
	if (direction && direction->type == BENCODE_LIST) {
		unsigned int index = 0;
		for (const struct bencode_item *item = direction->first_child; item && index < 2; item = item->next_sibling)
			flags->direction[index++] = bencode_string_dup(buffer, item);
	}

	const char *family = bencode_item_text(buffer, found[SCALAR_ADDRESS_FAMILY_SPACE], NULL);
	if (!family)
		family = bencode_item_text(buffer, found[SCALAR_ADDRESS_FAMILY], NULL);
	flags->address_family = parse_family(family);
	if (flags->address_family < 0) {
		request->error_reason = "Unsupported address family";
		return -EINVAL;
	}

	const char *media_address = bencode_item_text(buffer, found[SCALAR_MEDIA_ADDRESS], NULL);
	if (!media_address)
		media_address = bencode_item_text(buffer, found[SCALAR_MEDIA_ADDRESS_SPACE], NULL);
	if (media_address && endpoint_parse(&flags->media_address, 0, media_address, 0) < 0) {
		request->error_reason = "Invalid media-address";
		return -EINVAL;
	}
	if (parse_received_from(request, either(found, SCALAR_RECEIVED_FROM, SCALAR_RECEIVED_FROM_SPACE)) < 0)
		return -EINVAL;

	flags->has_delete_delay = bencode_item_integer(found[SCALAR_DELETE_DELAY], &flags->delete_delay)
		|| bencode_item_integer(found[SCALAR_DELETE_DELAY_SPACE], &flags->delete_delay);
	if (flags->has_delete_delay && flags->delete_delay < 0) {
		request->error_reason = "delete-delay must not be negative";
		return -EINVAL;
	}
	/* ptime values are read here: the key table sees no integers */
	bencode_item_integer(found[SCALAR_PTIME], &flags->codec.ptime);
	if (!bencode_item_integer(found[SCALAR_PTIME_REVERSE], &flags->codec.ptime_reverse))
		bencode_item_integer(found[SCALAR_PTIME_REVERSE_SPACE], &flags->codec.ptime_reverse);
	if (flags->codec.ptime < 0 || flags->codec.ptime > 1000 || flags->codec.ptime_reverse < 0
	    || flags->codec.ptime_reverse > 1000) {
		request->error_reason = "ptime must be 0 to 1000 ms";
		return -EINVAL;
	}
	if (!bencode_item_integer(found[SCALAR_LIMIT], &flags->limit))
		flags->limit = 32;
	/* call recording: only requests that carry the key pay for the look-up */
	if (flags->has_metadata)
		flags->metadata = bencode_dictionary_get_string(buffer, request->input, "metadata", NULL);
	if (flags->has_output_destination) {
		flags->output_destination = bencode_dictionary_get_string(buffer, request->input, "output-destination", NULL);
		if (!flags->output_destination)
			flags->output_destination = bencode_dictionary_get_string(buffer, request->input,
										  "output destination", NULL);
	}
	return 0;
}
