/* JSON ng requests and replies; see ng_json.h. */
#include "ng_json.h"

#include <json.h>
#include <stdio.h>

static struct bencode_item *convert(struct bencode_buffer *buffer, struct json_object *value, unsigned int depth,
				    unsigned int *items)
{
	if (depth > BENCODE_MAX_DEPTH || ++*items > BENCODE_MAX_ITEMS)
		return NULL;
	switch (json_object_get_type(value)) {
	case json_type_string:
		return bencode_string_new(buffer, json_object_get_string(value),
					  (size_t) json_object_get_string_len(value));
	case json_type_int:
		return bencode_integer_new(buffer, (long long) json_object_get_int64(value));
	case json_type_boolean:
		/* upstream accepts them; bencode's nearest is 1 / 0 */
		return bencode_integer_new(buffer, json_object_get_boolean(value) ? 1 : 0);
	case json_type_array: {
		struct bencode_item *list = bencode_list_new(buffer);
		size_t count = json_object_array_length(value);
		for (size_t i = 0; i < count; i++) {
			struct bencode_item *child = convert(buffer, json_object_array_get_idx(value, i), depth + 1, items);
			if (!child)
				return NULL;
			bencode_list_append(list, child);
		}
		return list;
	}
	case json_type_object: {
		struct bencode_item *dictionary = bencode_dictionary_new(buffer);
		json_object_object_foreach(value, key, child_value) {
			struct bencode_item *child = convert(buffer, child_value, depth + 1, items);
			if (!child)
				return NULL;
			/* keys are copied: json-c's storage goes with the parsed document */
			bencode_dictionary_add(buffer, dictionary, bencode_buffer_strdup_length(buffer, key, strlen(key)),
					       child);
		}
		return dictionary;
	}
	default:
		/* null and fractions: nothing in bencode to carry them (upstream refuses them too) */
		return NULL;
	}
}

struct bencode_item *ng_json_decode(struct bencode_buffer *buffer, const char *data, size_t length,
				    const char **error)
{
	struct json_tokener *tokener = json_tokener_new_ex(BENCODE_MAX_DEPTH);
	if (!tokener) {
		*error = "Out of memory";
		return NULL;
	}
	struct json_object *root = length <= INT32_MAX ? json_tokener_parse_ex(tokener, data, (int) length) : NULL;
	bool complete = root && json_tokener_get_error(tokener) == json_tokener_success
		&& (size_t) json_tokener_get_parse_end(tokener) == length;
	json_tokener_free(tokener);
	if (!complete || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		*error = "Failed to parse JSON document";
		return NULL;
	}
	unsigned int items = 0;
	struct bencode_item *item = convert(buffer, root, 0, &items);
	json_object_put(root);
	if (!item)
		*error = "Could not decode bencode dictionary";
	return item;
}

/* RFC 8259 section 7: quote, backslash and control characters escaped; other bytes as they
 * are (ng strings are bytes; SDP is ASCII). */
static void append_string(GString *out, const char *data, size_t length)
{
	g_string_append_c(out, '"');
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char) data[i];
		switch (c) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (c < 0x20)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_c(out, (char) c);
		}
	}
	g_string_append_c(out, '"');
}

static void encode(struct bencode_buffer *buffer, const struct bencode_item *item, GString *out, unsigned int depth)
{
	if (!item || depth > BENCODE_MAX_DEPTH) {
		g_string_append(out, "null");
		return;
	}
	switch (item->type) {
	case BENCODE_STRING:
		append_string(out, item->string, item->string_length);
		return;
	case BENCODE_INTEGER:
		g_string_append_printf(out, "%lld", item->integer);
		return;
	case BENCODE_LIST:
		g_string_append_c(out, '[');
		for (const struct bencode_item *child = item->first_child; child; child = child->next_sibling) {
			if (child != item->first_child)
				g_string_append_c(out, ',');
			encode(buffer, child, out, depth + 1);
		}
		g_string_append_c(out, ']');
		return;
	case BENCODE_DICTIONARY:
		g_string_append_c(out, '{');
		for (const struct bencode_item *key = item->first_child; key && key->next_sibling;
		     key = key->next_sibling->next_sibling) {
			if (key != item->first_child)
				g_string_append_c(out, ',');
			append_string(out, key->string, key->string_length);
			g_string_append_c(out, ':');
			encode(buffer, key->next_sibling, out, depth + 1);
		}
		g_string_append_c(out, '}');
		return;
	case BENCODE_ENCODED: {
		/* a part written by the streaming writer (query's call description): decoded here */
		const char *error = NULL;
		struct bencode_item *decoded = bencode_decode(buffer, item->string, item->string_length, &error);
		encode(buffer, decoded, out, depth);
		return;
	}
	}
	g_string_append(out, "null");
}

void ng_json_encode(struct bencode_buffer *buffer, const struct bencode_item *item, GString *out)
{
	encode(buffer, item, out, 0);
}
