/* libFuzzer target for lib/bencode.c.
 * Invariants checked on every input the decoder accepts:
 *   - the decoder is strict (no leading zeros, no -0, no trailing data), so encoding the
 *     decoded tree must reproduce the input byte for byte;
 *   - decoding that encoding again must succeed and encode to the same bytes;
 *   - the lookup helpers must not crash on whatever tree came out.
 * Inputs it rejects must come with a non-empty error text. */
#include "bencode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Keys the ng control code asks for, plus a few odd ones. */
static const char *const lookup_keys[] = { "command", "call-id", "from-tag", "to-tag", "sdp", "flags",
	"replace", "ICE", "", "k" };

static void exercise_lookups(struct bencode_buffer *buffer, const struct bencode_item *root)
{
	for (size_t index = 0; index < sizeof(lookup_keys) / sizeof(lookup_keys[0]); index++) {
		const char *key = lookup_keys[index];
		struct bencode_item *value = bencode_dictionary_get(root, key);
		size_t length = 0;
		const char *text = bencode_dictionary_get_string(buffer, root, key, &length);
		if (text && text[length] != '\0')
			abort();
		if (value && value->type == BENCODE_STRING && (!text || length != value->string_length))
			abort();
		long long number;
		bencode_dictionary_get_integer(root, key, &number);
		bencode_string_equals(value, "offer");
		char *copy = bencode_string_dup(buffer, value);
		if (copy && (!value || copy[value->string_length] != '\0'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	if (!buffer)
		return 0;
	const char *error = NULL;
	struct bencode_item *root = bencode_decode(buffer, (const char *) data, size, &error);
	if (!root) {
		if (!error || !error[0])
			abort();
		bencode_buffer_free(buffer);
		return 0;
	}
	if (error)
		abort();

	GString *first = g_string_new(NULL);
	bencode_encode(root, first);
	if (first->len != size || memcmp(first->str, data, size) != 0)
		abort();

	struct bencode_buffer *second_buffer = bencode_buffer_new();
	struct bencode_item *second_root = bencode_decode(second_buffer, first->str, first->len, &error);
	if (!second_root)
		abort();
	GString *second = g_string_new(NULL);
	bencode_encode(second_root, second);
	if (!g_string_equal(first, second))
		abort();

	exercise_lookups(buffer, root);

	g_string_free(second, TRUE);
	g_string_free(first, TRUE);
	bencode_buffer_free(second_buffer);
	bencode_buffer_free(buffer);
	return 0;
}
