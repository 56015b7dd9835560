/* Unit tests for lib/bencode.c: round trips, binary strings, lookups, reply building and a
 * corpus of malformed input (each decoded from an exact-size heap copy, so the ASan build
 * catches any read past the end). */
#include "bencode.h"

#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* ---- helpers ---- */

/* Decodes a private heap copy of exactly length bytes, so reading data[length] is an ASan
 * error rather than a silent read of a string literal's NUL. The copy is kept alive in the
 * buffer's lifetime by attaching it to *copy_out for the caller to free. */
static struct bencode_item *decode_copy(struct bencode_buffer *buffer, const char *data, size_t length,
                                        const char **error, char **copy_out)
{
	char *copy = g_malloc(length ? length : 1);
	memcpy(copy, data, length);
	*copy_out = copy;
	return bencode_decode(buffer, copy, length, error);
}

static GString *encode(const struct bencode_item *item)
{
	GString *out = g_string_new(NULL);
	bencode_encode(item, out);
	return out;
}

/* Decodes text and checks that encoding the result reproduces it byte for byte. */
static void assert_canonical_round_trip(const char *data, size_t length)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error = "unset";
	char *copy;
	struct bencode_item *root = decode_copy(buffer, data, length, &error, &copy);
	if (!root)
		g_error("decoding failed: %s", error);
	g_assert_null(error);
	GString *out = encode(root);
	g_assert_cmpmem(out->str, out->len, data, length);
	g_string_free(out, TRUE);
	g_free(copy);
	bencode_buffer_free(buffer);
}

/* Decode must fail, with an error containing expected. */
static void assert_decode_fails(const char *data, size_t length, const char *expected)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error = NULL;
	char *copy;
	struct bencode_item *root = decode_copy(buffer, data, length, &error, &copy);
	if (root)
		g_error("decoding %.*s succeeded, expected \"%s\"", (int) length, data, expected);
	g_assert_nonnull(error);
	if (!strstr(error, expected))
		g_error("decoding %.*s: error \"%s\", expected \"%s\"", (int) length, data, error, expected);
	g_free(copy);
	bencode_buffer_free(buffer);
}

static const char offer_request[] =
	"d7:command5:offer7:call-id31:a84b4c76e66710@pc33.atlanta.com"
	"8:from-tag10:1928301774"
	"3:sdp119:v=0\r\no=- 3690788630 1 IN IP4 127.0.0.2\r\ns=probes\r\nc=IN IP4 127.0.0.2\r\n"
	"t=0 0\r\nm=audio 2000 RTP/AVP 0 8 101\r\na=sendrecv\r\n"
	"5:flagsl13:trust-address9:symmetrice"
	"7:replacel6:origin18:session-connectione"
	"3:ICE6:remove"
	"13:received-froml3:IP49:127.0.0.2e"
	"e";

/* ---- tests: round trips ---- */

static void test_round_trip_builder(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	struct bencode_item *reply = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string(buffer, reply, "result", "ok");
	bencode_dictionary_add_integer(buffer, reply, "created", 1700000000);
	bencode_dictionary_add_integer(buffer, reply, "negative", -42);
	struct bencode_item *tags = bencode_dictionary_add_dictionary(buffer, reply, "tags");
	struct bencode_item *tag = bencode_dictionary_add_dictionary(buffer, tags, "abc");
	struct bencode_item *medias = bencode_dictionary_add_list(buffer, tag, "medias");
	struct bencode_item *media = bencode_dictionary_new(buffer);
	bencode_list_append(medias, media);
	bencode_dictionary_add_integer(buffer, media, "index", 1);
	bencode_dictionary_add_string(buffer, media, "type", "audio");
	bencode_list_append(medias, bencode_list_new(buffer));
	bencode_list_append_string(buffer, medias, "");
	bencode_dictionary_add(buffer, reply, "zero", bencode_integer_new(buffer, 0));

	const char expected[] = "d6:result2:ok7:createdi1700000000e8:negativei-42e"
		"4:tagsd3:abcd6:mediasld5:indexi1e4:type5:audioele0:eee4:zeroi0ee";
	GString *out = encode(reply);
	g_assert_cmpstr(out->str, ==, expected);
	g_assert_cmpuint(reply->child_count, ==, 10);
	g_assert_cmpuint(medias->child_count, ==, 3);

	/* Decode what we built and navigate it. */
	struct bencode_buffer *decode_buffer = bencode_buffer_new();
	const char *error = NULL;
	struct bencode_item *root = bencode_decode(decode_buffer, out->str, out->len, &error);
	g_assert_nonnull(root);
	g_assert_null(error);
	g_assert_cmpint(root->type, ==, BENCODE_DICTIONARY);
	g_assert_cmpuint(root->child_count, ==, 10);
	struct bencode_item *decoded_tags = bencode_dictionary_get_expect(root, "tags", BENCODE_DICTIONARY);
	g_assert_nonnull(decoded_tags);
	struct bencode_item *decoded_medias =
		bencode_dictionary_get_expect(bencode_dictionary_get(decoded_tags, "abc"), "medias", BENCODE_LIST);
	g_assert_nonnull(decoded_medias);
	g_assert_cmpuint(decoded_medias->child_count, ==, 3);
	g_assert_cmpint(decoded_medias->first_child->type, ==, BENCODE_DICTIONARY);
	g_assert_true(bencode_string_equals(bencode_dictionary_get(decoded_medias->first_child, "type"), "audio"));
	g_assert_cmpint(decoded_medias->first_child->next_sibling->type, ==, BENCODE_LIST);
	g_assert_cmpuint(decoded_medias->first_child->next_sibling->child_count, ==, 0);
	g_assert_true(bencode_string_equals(decoded_medias->last_child, ""));
	g_assert_null(decoded_medias->last_child->next_sibling);
	long long created = 0;
	g_assert_true(bencode_dictionary_get_integer(root, "created", &created));
	g_assert_cmpint(created, ==, 1700000000);

	GString *again = encode(root);
	g_assert_cmpstr(again->str, ==, expected);

	g_string_free(again, TRUE);
	g_string_free(out, TRUE);
	bencode_buffer_free(decode_buffer);
	bencode_buffer_free(buffer);
}

static void test_round_trip_canonical_documents(void)
{
	static const char *const documents[] = {
		"i0e", "i-1e", "i9223372036854775807e", "i-9223372036854775808e", "0:", "4:spam",
		"le", "de", "llleee", "l4:spami42ee", "d3:bar4:spam3:fooi42ee",
		/* Keys are neither sorted nor unique on the wire; both must survive a round trip. */
		"d3:zzzi1e3:aaai2e3:zzzi3ee",
		"d4:dictd1:ad1:bl1:ceeee",
	};
	for (size_t index = 0; index < G_N_ELEMENTS(documents); index++)
		assert_canonical_round_trip(documents[index], strlen(documents[index]));
	assert_canonical_round_trip(offer_request, sizeof(offer_request) - 1);
}

static void test_insertion_order_not_sorted(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	struct bencode_item *dictionary = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string(buffer, dictionary, "result", "ok");
	bencode_dictionary_add_string(buffer, dictionary, "b", "2");
	bencode_dictionary_add_string(buffer, dictionary, "a", "1");
	GString *out = encode(dictionary);
	g_assert_cmpstr(out->str, ==, "d6:result2:ok1:b1:21:a1:1e");
	g_string_free(out, TRUE);
	bencode_buffer_free(buffer);
}

/* ---- tests: binary and large strings ---- */

static void test_embedded_nuls(void)
{
	static const char document[] = "d3:k\0y5:a\0b\0c3:sdp3:\0\0\0e";
	size_t length = sizeof(document) - 1;
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error = NULL;
	char *copy;
	struct bencode_item *root = decode_copy(buffer, document, length, &error, &copy);
	g_assert_nonnull(root);

	struct bencode_item *value = bencode_dictionary_get_length(root, "k\0y", 3);
	g_assert_nonnull(value);
	g_assert_cmpuint(value->string_length, ==, 5);
	g_assert_cmpmem(value->string, 5, "a\0b\0c", 5);
	/* A NUL-terminated key stops at its NUL: "k" is not "k\0y". */
	g_assert_null(bencode_dictionary_get(root, "k"));

	size_t sdp_length = 99;
	const char *sdp = bencode_dictionary_get_string(buffer, root, "sdp", &sdp_length);
	g_assert_nonnull(sdp);
	g_assert_cmpuint(sdp_length, ==, 3);
	g_assert_cmpmem(sdp, 4, "\0\0\0\0", 4);
	/* string_equals compares the full length, so a NUL inside never matches a C string. */
	g_assert_false(bencode_string_equals(value, "a"));

	/* Built strings with NULs survive encoding. */
	struct bencode_item *built = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string_length(buffer, built, "b", "x\0y", 3);
	GString *out = encode(built);
	g_assert_cmpmem(out->str, out->len, "d1:b3:x\0ye", 10);
	g_string_free(out, TRUE);

	GString *again = encode(root);
	g_assert_cmpmem(again->str, again->len, document, length);
	g_string_free(again, TRUE);
	g_free(copy);
	bencode_buffer_free(buffer);
}

static void test_big_strings_and_many_items(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	size_t big_length = 3 * 1024 * 1024;
	char *big = g_malloc(big_length);
	for (size_t index = 0; index < big_length; index++)
		big[index] = (char) (index * 7);

	struct bencode_item *root = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string_length(buffer, root, "big", big, big_length);
	/* Enough small items to fill many arena chunks, interleaved with large blocks. */
	struct bencode_item *list = bencode_dictionary_add_list(buffer, root, "items");
	for (int index = 0; index < 20000; index++) {
		bencode_list_append(list, bencode_integer_new(buffer, index));
		if (index % 5000 == 0)
			bencode_list_append(list, bencode_string_new(buffer, big, 5000));
	}
	g_assert_cmpuint(list->child_count, ==, 20004);

	GString *out = encode(root);
	struct bencode_buffer *decode_buffer = bencode_buffer_new();
	const char *error = NULL;
	struct bencode_item *decoded = bencode_decode(decode_buffer, out->str, out->len, &error);
	g_assert_nonnull(decoded);
	struct bencode_item *decoded_big = bencode_dictionary_get_expect(decoded, "big", BENCODE_STRING);
	g_assert_nonnull(decoded_big);
	g_assert_cmpmem(decoded_big->string, decoded_big->string_length, big, big_length);
	/* Zero copy: the decoded string points into the input. */
	g_assert_true(decoded_big->string >= out->str && decoded_big->string < out->str + out->len);
	char *duplicate = bencode_string_dup(decode_buffer, decoded_big);
	g_assert_cmpmem(duplicate, big_length, big, big_length);
	g_assert_cmpint(duplicate[big_length], ==, '\0');
	struct bencode_item *items = bencode_dictionary_get_expect(decoded, "items", BENCODE_LIST);
	g_assert_cmpuint(items->child_count, ==, 20004);
	g_assert_cmpint(items->last_child->integer, ==, 19999);

	GString *again = encode(decoded);
	g_assert_true(g_string_equal(out, again));

	g_string_free(again, TRUE);
	g_string_free(out, TRUE);
	g_free(big);
	bencode_buffer_free(decode_buffer);
	bencode_buffer_free(buffer);
}

static void test_buffer_alloc(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	for (int round = 0; round < 2000; round++) {
		size_t size = (size_t) (round * 37) % 3000;
		unsigned char *memory = bencode_buffer_alloc(buffer, size);
		g_assert_nonnull(memory);
		g_assert_cmpuint((uintptr_t) memory % 8, ==, 0);
		memset(memory, 0xab, size);
	}
	char *text = bencode_buffer_strdup_length(buffer, "hello world", 5);
	g_assert_cmpstr(text, ==, "hello");
	g_assert_null(bencode_buffer_alloc(NULL, 4));
	bencode_buffer_free(buffer);
	bencode_buffer_free(NULL);
}

/* ---- tests: lookups ---- */

static void test_lookups(void)
{
	static const char document[] =
		"d7:command4:ping4:porti30000e6:port-s5:300005:emptyi0e5:neg-s2:-7"
		"3:bad3:12a4:huge19:92233720368547758085:hugem20:-9223372036854775808"
		"5:blank0:4:listl1:ae4:dictde5:minusi-9223372036854775808e3:dup1:13:dup1:2e";
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error = NULL;
	char *copy;
	struct bencode_item *root = decode_copy(buffer, document, sizeof(document) - 1, &error, &copy);
	if (!root)
		g_error("%s", error);

	/* dictionary_get / get_expect / get_length */
	g_assert_true(bencode_string_equals(bencode_dictionary_get(root, "command"), "ping"));
	g_assert_null(bencode_dictionary_get(root, "comman"));
	g_assert_null(bencode_dictionary_get(root, "commands"));
	g_assert_null(bencode_dictionary_get(root, "missing"));
	g_assert_null(bencode_dictionary_get(root, NULL));
	g_assert_null(bencode_dictionary_get(NULL, "command"));
	g_assert_null(bencode_dictionary_get(bencode_dictionary_get(root, "list"), "a"));
	g_assert_nonnull(bencode_dictionary_get_expect(root, "list", BENCODE_LIST));
	g_assert_null(bencode_dictionary_get_expect(root, "list", BENCODE_DICTIONARY));
	g_assert_nonnull(bencode_dictionary_get_length(root, "portable", 4));
	g_assert_true(bencode_string_equals(bencode_dictionary_get(root, "dup"), "1"));

	/* get_string: strings and integers, NUL-terminated copies */
	size_t length = 0;
	const char *text = bencode_dictionary_get_string(buffer, root, "command", &length);
	g_assert_cmpstr(text, ==, "ping");
	g_assert_cmpuint(length, ==, 4);
	g_assert_cmpstr(bencode_dictionary_get_string(buffer, root, "port", &length), ==, "30000");
	g_assert_cmpuint(length, ==, 5);
	g_assert_cmpstr(bencode_dictionary_get_string(buffer, root, "neg-s", NULL), ==, "-7");
	g_assert_cmpstr(bencode_dictionary_get_string(buffer, root, "minus", NULL), ==, "-9223372036854775808");
	g_assert_cmpstr(bencode_dictionary_get_string(buffer, root, "empty", NULL), ==, "0");
	g_assert_cmpstr(bencode_dictionary_get_string(buffer, root, "blank", &length), ==, "");
	g_assert_cmpuint(length, ==, 0);
	length = 77;
	g_assert_null(bencode_dictionary_get_string(buffer, root, "list", &length));
	g_assert_cmpuint(length, ==, 77);
	g_assert_null(bencode_dictionary_get_string(buffer, root, "dict", NULL));
	g_assert_null(bencode_dictionary_get_string(buffer, root, "missing", NULL));

	/* get_integer: integers and decimal strings */
	long long value = 5;
	g_assert_true(bencode_dictionary_get_integer(root, "port", &value));
	g_assert_cmpint(value, ==, 30000);
	g_assert_true(bencode_dictionary_get_integer(root, "port-s", &value));
	g_assert_cmpint(value, ==, 30000);
	g_assert_true(bencode_dictionary_get_integer(root, "neg-s", &value));
	g_assert_cmpint(value, ==, -7);
	g_assert_true(bencode_dictionary_get_integer(root, "hugem", &value));
	g_assert_cmpint(value, ==, LLONG_MIN);
	g_assert_true(bencode_dictionary_get_integer(root, "minus", &value));
	g_assert_cmpint(value, ==, LLONG_MIN);
	value = 5;
	g_assert_false(bencode_dictionary_get_integer(root, "bad", &value));
	g_assert_false(bencode_dictionary_get_integer(root, "huge", &value));
	g_assert_false(bencode_dictionary_get_integer(root, "blank", &value));
	g_assert_false(bencode_dictionary_get_integer(root, "list", &value));
	g_assert_false(bencode_dictionary_get_integer(root, "missing", &value));
	g_assert_false(bencode_dictionary_get_integer(root, "port", NULL));
	g_assert_cmpint(value, ==, 5);

	/* string_equals / string_dup */
	struct bencode_item *command = bencode_dictionary_get(root, "command");
	g_assert_true(bencode_string_equals(command, "ping"));
	g_assert_false(bencode_string_equals(command, "pin"));
	g_assert_false(bencode_string_equals(command, "pings"));
	g_assert_false(bencode_string_equals(command, NULL));
	g_assert_false(bencode_string_equals(NULL, "ping"));
	g_assert_false(bencode_string_equals(bencode_dictionary_get(root, "port"), "30000"));
	g_assert_true(bencode_string_equals(bencode_dictionary_get(root, "blank"), ""));
	char *duplicate = bencode_string_dup(buffer, command);
	g_assert_cmpstr(duplicate, ==, "ping");
	g_assert_true(duplicate != command->string);
	g_assert_null(bencode_string_dup(buffer, bencode_dictionary_get(root, "port")));
	g_assert_null(bencode_string_dup(buffer, NULL));

	g_free(copy);
	bencode_buffer_free(buffer);
}

/* Adding to the wrong kind of container, or adding NULL, is ignored rather than corrupting. */
static void test_builder_misuse(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	struct bencode_item *list = bencode_list_new(buffer);
	struct bencode_item *dictionary = bencode_dictionary_new(buffer);
	bencode_list_append(dictionary, bencode_integer_new(buffer, 1));
	bencode_list_append(list, NULL);
	bencode_list_append(NULL, bencode_integer_new(buffer, 1));
	bencode_dictionary_add(buffer, list, "key", bencode_integer_new(buffer, 1));
	bencode_dictionary_add(buffer, dictionary, "key", NULL);
	bencode_dictionary_add(buffer, dictionary, NULL, bencode_integer_new(buffer, 1));
	bencode_dictionary_add_string(buffer, dictionary, "key", NULL);
	bencode_dictionary_add_string(buffer, NULL, "key", "value");
	bencode_dictionary_add_integer(buffer, list, "key", 1);
	g_assert_null(bencode_dictionary_add_list(buffer, list, "key"));
	g_assert_null(bencode_dictionary_add_dictionary(buffer, NULL, "key"));
	g_assert_null(bencode_string_new(buffer, NULL, 3));
	g_assert_null(bencode_string_new(NULL, "abc", 3));
	g_assert_nonnull(bencode_string_new(buffer, NULL, 0));
	g_assert_cmpuint(list->child_count, ==, 0);
	g_assert_cmpuint(dictionary->child_count, ==, 0);
	GString *out = g_string_new(NULL);
	bencode_encode(list, out);
	bencode_encode(dictionary, out);
	bencode_encode(NULL, out);
	g_assert_cmpstr(out->str, ==, "lede");
	g_string_free(out, TRUE);
	bencode_buffer_free(buffer);
}

/* The encoder is iterative; a built tree far deeper than the decoder accepts must encode. */
static void test_encode_deep_built_tree(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	enum { DEPTH = 5000 };
	struct bencode_item *root = bencode_list_new(buffer);
	struct bencode_item *current = root;
	for (int level = 1; level < DEPTH; level++) {
		struct bencode_item *child = bencode_list_new(buffer);
		bencode_list_append(current, child);
		current = child;
	}
	bencode_list_append(current, bencode_integer_new(buffer, 7));
	GString *out = encode(root);
	g_assert_cmpuint(out->len, ==, 2 * DEPTH + 3);
	for (int level = 0; level < DEPTH; level++) {
		g_assert_cmpint(out->str[level], ==, 'l');
		g_assert_cmpint(out->str[out->len - 1 - (size_t) level], ==, 'e');
	}
	g_assert_cmpmem(out->str + DEPTH, 3, "i7e", 3);
	g_string_free(out, TRUE);
	bencode_buffer_free(buffer);
}

/* The streaming writer and the tree encoder share their token writers: the same document
 * written both ways must give the same bytes, across the lengths and values where the
 * decimal formatting changes (one, two, three digits; negative; LLONG_MIN) and across
 * buffer growth (the writer's buffer starts empty). */
static void test_streaming_writer_matches_tree(void)
{
	static const long long integers[] = { 0, 7, 9, 10, 42, 99, 100, 65535, -1, -10, 1700000000, LLONG_MAX, LLONG_MIN };
	static const size_t lengths[] = { 0, 1, 9, 10, 99, 100, 1000, 5000 };
	char *text = g_malloc(5000);
	for (size_t i = 0; i < 5000; i++)
		text[i] = (char) ('a' + i % 26);
	text[5] = '\0';   /* binary-safe */

	struct bencode_buffer *buffer = bencode_buffer_new();
	struct bencode_item *root = bencode_dictionary_new(buffer);
	struct bencode_item *numbers = bencode_dictionary_add_list(buffer, root, "integers");
	for (size_t i = 0; i < G_N_ELEMENTS(integers); i++)
		bencode_list_append(numbers, bencode_integer_new(buffer, integers[i]));
	struct bencode_item *strings = bencode_dictionary_add_dictionary(buffer, root, "strings");
	for (size_t i = 0; i < G_N_ELEMENTS(lengths); i++) {
		char key[16];
		snprintf(key, sizeof(key), "%zu", lengths[i]);
		bencode_dictionary_add_string_length(buffer, strings, key, text, lengths[i]);
	}
	bencode_dictionary_add_list(buffer, root, "empty list");
	bencode_dictionary_add_dictionary(buffer, root, "");
	GString *expected = encode(root);

	GString *out = g_string_new(NULL);
	bencode_write_dictionary(out);
	bencode_write_literal(out, "integers");
	bencode_write_list(out);
	for (size_t i = 0; i < G_N_ELEMENTS(integers); i++)
		bencode_write_integer(out, integers[i]);
	bencode_write_end(out);
	bencode_write_text(out, "strings");
	bencode_write_dictionary(out);
	for (size_t i = 0; i < G_N_ELEMENTS(lengths); i++) {
		char key[16];
		snprintf(key, sizeof(key), "%zu", lengths[i]);
		bencode_write_text(out, key);
		bencode_write_string(out, text, lengths[i]);
	}
	bencode_write_end(out);
	bencode_write_literal(out, "empty list");
	bencode_write_list(out);
	bencode_write_end(out);
	bencode_write_literal(out, "");
	bencode_write_dictionary(out);
	bencode_write_end(out);
	bencode_write_end(out);

	g_assert_cmpmem(out->str, out->len, expected->str, expected->len);
	g_assert_cmpint(out->str[out->len], ==, '\0');
	/* and it decodes to what was written */
	const char *error = NULL;
	char *copy;
	struct bencode_item *decoded = decode_copy(buffer, out->str, out->len, &error, &copy);
	g_assert_nonnull(decoded);
	long long value = 0;
	g_assert_true(bencode_item_integer(bencode_dictionary_get(decoded, "integers")->last_child, &value));
	g_assert_cmpint(value, ==, LLONG_MIN);
	g_free(copy);
	g_string_free(out, TRUE);
	g_string_free(expected, TRUE);
	bencode_buffer_free(buffer);
	g_free(text);
}

/* Every digit count of the decimal writer: powers of ten and their neighbours, as snprintf
 * writes them. */
static void test_writer_digit_counts(void)
{
	GString *out = g_string_new(NULL);
	unsigned long long power = 1;
	for (int exponent = 0; exponent <= 19; exponent++, power *= 10) {
		const unsigned long long values[] = { power - 1, power, power + 1, power * 5 };
		for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
			if (values[i] > LLONG_MAX || (exponent == 19 && i == 3))
				continue;
			char expected[48];
			snprintf(expected, sizeof(expected), "i%llde", (long long) values[i]);
			g_string_truncate(out, 0);
			bencode_write_integer(out, (long long) values[i]);
			g_assert_cmpstr(out->str, ==, expected);
			snprintf(expected, sizeof(expected), "i-%llde", (long long) values[i]);
			g_string_truncate(out, 0);
			bencode_write_integer(out, -(long long) values[i]);
			if (values[i] != 0)
				g_assert_cmpstr(out->str, ==, expected);
		}
	}
	g_string_free(out, TRUE);
}

/* An ENCODED item is written verbatim where it stands, and is its own type for lookups. */
static void test_encoded_item(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	GString *part = g_string_new(NULL);
	bencode_write_dictionary(part);
	bencode_write_literal(part, "a");
	bencode_write_integer(part, 1);
	bencode_write_end(part);
	struct bencode_item *root = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string(buffer, root, "result", "ok");
	struct bencode_item *encoded = bencode_encoded_new(buffer, part->str, part->len);
	g_string_free(part, TRUE);   /* the item holds a copy */
	bencode_dictionary_add(buffer, root, "part", encoded);
	bencode_dictionary_add(buffer, root, "empty", bencode_encoded_new(buffer, NULL, 0));
	/* tokens encoded once and appended by the writer as they are */
	GString *token = g_string_new(NULL);
	bencode_write_text(token, "flag");
	GString *list = g_string_new(NULL);
	bencode_write_list(list);
	for (int i = 0; i < 3; i++)
		bencode_write_encoded(list, token->str, token->len);
	bencode_write_end(list);
	g_assert_cmpstr(list->str, ==, "l4:flag4:flag4:flage");
	g_string_free(token, TRUE);
	g_string_free(list, TRUE);
	bencode_dictionary_add_integer(buffer, root, "after", 2);
	GString *out = encode(root);
	static const char expected[] = "d6:result2:ok4:partd1:ai1ee5:empty5:afteri2ee";
	g_assert_cmpmem(out->str, out->len, expected, sizeof(expected) - 1);
	g_assert_true(bencode_dictionary_get(root, "part") == encoded);
	g_assert_cmpint(encoded->type, ==, BENCODE_ENCODED);
	g_assert_null(bencode_dictionary_get_expect(root, "part", BENCODE_DICTIONARY));
	g_assert_null(bencode_encoded_new(NULL, "x", 1));
	g_assert_null(bencode_encoded_new(buffer, NULL, 1));
	g_string_free(out, TRUE);
	bencode_buffer_free(buffer);
}

/* ---- tests: malformed input ---- */

static void test_malformed_corpus(void)
{
	static const struct {
		const char *data;
		const char *error;
	} cases[] = {
		{ "", "empty input" },
		{ "i-0e", "negative zero integer at offset 0" },
		{ "ie", "invalid integer" },
		{ "i-e", "invalid integer" },
		{ "i+1e", "invalid integer" },
		{ "i 1e", "invalid integer" },
		{ "i1x", "invalid integer" },
		{ "i03e", "leading zero in integer" },
		{ "i-03e", "leading zero in integer" },
		{ "i00e", "leading zero in integer" },
		{ "i12", "unterminated integer" },
		{ "i-", "unterminated integer" },
		{ "i", "unterminated integer" },
		{ "i9223372036854775808e", "integer overflow at offset 0" },
		{ "i-9223372036854775809e", "integer overflow" },
		{ "i99999999999999999999999999999e", "integer overflow" },
		{ "-3:abc", "invalid character at offset 0" },
		{ "l-3:abce", "invalid character at offset 1" },
		{ "d-3:abc1:xe", "dictionary key is not a string at offset 1" },
		{ "4:abc", "string length exceeds input at offset 0" },
		{ "l6:abcde", "string length exceeds input at offset 1" },
		{ "18446744073709551615:x", "string length exceeds input" },
		{ "18446744073709551616:x", "string length exceeds input" },
		{ "999999999999999999999999999999999999:x", "string length exceeds input" },
		{ "03:abc", "leading zero in string length" },
		{ "00:", "leading zero in string length" },
		{ "3abc", "invalid string length" },
		{ "3", "string length exceeds input" },
		{ "1", "unterminated string length" },
		{ "0", "unterminated string length" },
		{ "l", "unterminated list at offset 0" },
		{ "d", "unterminated dictionary at offset 0" },
		{ "d3:fooi1e", "unterminated dictionary at offset 0" },
		{ "d3:fool", "unterminated list at offset 6" },
		{ "d3:foold1:xl", "unterminated list at offset 11" },
		{ "d3:fooe", "dictionary key without value at offset 6" },
		{ "di1ei2ee", "dictionary key is not a string at offset 1" },
		{ "dlei2ee", "dictionary key is not a string" },
		{ "ddei2ee", "dictionary key is not a string" },
		{ "d1:ai1ei2ei3ee", "dictionary key is not a string at offset 7" },
		{ "i1ei2e", "trailing data at offset 3" },
		{ "dee", "trailing data at offset 2" },
		{ "d3:foo3:bare\n", "trailing data at offset 12" },
		{ "le ", "trailing data" },
		{ "e", "unexpected end marker at offset 0" },
		{ "x", "invalid character" },
		{ " d", "invalid character" },
		{ "lx", "invalid character at offset 1" },
	};
	for (size_t index = 0; index < G_N_ELEMENTS(cases); index++)
		assert_decode_fails(cases[index].data, strlen(cases[index].data), cases[index].error);
	/* A NUL byte is just another invalid character, not an end of input. */
	assert_decode_fails("l\0e", 3, "invalid character at offset 1");
	assert_decode_fails("i1e\0", 4, "trailing data at offset 3");
}

static void test_every_prefix_fails(void)
{
	static const char *const documents[] = {
		offer_request,
		"d7:command6:delete7:call-id3:abc8:from-tag3:xyz6:deletei-5ee",
		"d4:listl4:spami-42eli0eee3:bigi-9223372036854775808ee",
	};
	for (size_t document = 0; document < G_N_ELEMENTS(documents); document++) {
		const char *data = documents[document];
		size_t length = strlen(data);
		for (size_t prefix = 0; prefix < length; prefix++) {
			struct bencode_buffer *buffer = bencode_buffer_new();
			const char *error = NULL;
			char *copy;
			/* Every proper prefix of a dictionary is incomplete, so all must fail. */
			g_assert_null(decode_copy(buffer, data, prefix, &error, &copy));
			g_assert_nonnull(error);
			g_assert_cmpuint(strlen(error), >, 0);
			g_free(copy);
			bencode_buffer_free(buffer);
		}
		assert_canonical_round_trip(data, length);
	}
}

static GString *repeated(const char *opening, size_t count, const char *middle, const char *closing)
{
	GString *text = g_string_new(NULL);
	for (size_t index = 0; index < count; index++)
		g_string_append(text, opening);
	g_string_append(text, middle);
	for (size_t index = 0; index < count; index++)
		g_string_append(text, closing);
	return text;
}

static void test_nesting_limit(void)
{
	GString *deepest = repeated("l", BENCODE_MAX_DEPTH, "i1e", "e");
	assert_canonical_round_trip(deepest->str, deepest->len);
	g_string_free(deepest, TRUE);

	GString *too_deep = repeated("l", BENCODE_MAX_DEPTH + 1, "", "e");
	assert_decode_fails(too_deep->str, too_deep->len, "nesting deeper than 32 levels at offset 32");
	g_string_free(too_deep, TRUE);

	GString *mixed = repeated("d1:k", BENCODE_MAX_DEPTH + 1, "i1e", "e");
	assert_decode_fails(mixed->str, mixed->len, "nesting deeper than 32 levels");
	g_string_free(mixed, TRUE);

	/* Unterminated and terminated 10000-deep inputs: bounded, no recursion. */
	GString *open_only = repeated("l", 10000, "", "");
	assert_decode_fails(open_only->str, open_only->len, "nesting deeper than 32 levels");
	g_string_free(open_only, TRUE);
	GString *balanced = repeated("l", 10000, "", "e");
	assert_decode_fails(balanced->str, balanced->len, "nesting deeper than 32 levels");
	g_string_free(balanced, TRUE);
}

static void test_item_limit(void)
{
	/* The outer list is one item, so BENCODE_MAX_ITEMS - 1 children fit exactly. */
	GString *at_limit = g_string_new("l");
	for (int index = 0; index < BENCODE_MAX_ITEMS - 1; index++)
		g_string_append(at_limit, "0:");
	g_string_append_c(at_limit, 'e');
	assert_canonical_round_trip(at_limit->str, at_limit->len);

	g_string_insert(at_limit, 1, "0:");
	assert_decode_fails(at_limit->str, at_limit->len, "more than 100000 items");
	g_string_free(at_limit, TRUE);
}

static void test_integer_limits(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error = NULL;
	struct bencode_item *item = bencode_decode(buffer, "i9223372036854775807e", 21, &error);
	g_assert_nonnull(item);
	g_assert_cmpint(item->integer, ==, LLONG_MAX);
	item = bencode_decode(buffer, "i-9223372036854775808e", 22, &error);
	g_assert_nonnull(item);
	g_assert_cmpint(item->integer, ==, LLONG_MIN);
	item = bencode_decode(buffer, "i-1e", 4, &error);
	g_assert_cmpint(item->integer, ==, -1);

	GString *out = g_string_new(NULL);
	bencode_encode(bencode_integer_new(buffer, LLONG_MIN), out);
	bencode_encode(bencode_integer_new(buffer, LLONG_MAX), out);
	bencode_encode(bencode_integer_new(buffer, 0), out);
	g_assert_cmpstr(out->str, ==, "i-9223372036854775808ei9223372036854775807ei0e");
	g_string_free(out, TRUE);
	bencode_buffer_free(buffer);
}

static void test_decode_arguments_and_error_lifetime(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error = NULL;
	g_assert_null(bencode_decode(NULL, "de", 2, &error));
	g_assert_cmpstr(error, ==, "invalid arguments");
	g_assert_null(bencode_decode(buffer, NULL, 2, &error));
	g_assert_cmpstr(error, ==, "invalid arguments");
	g_assert_null(bencode_decode(buffer, NULL, 0, &error));
	g_assert_cmpstr(error, ==, "empty input");
	g_assert_null(bencode_decode(buffer, "x", 1, NULL));
	g_assert_nonnull(bencode_decode(buffer, "de", 2, NULL));

	/* The error outlives the buffer it was decoded with. */
	g_assert_null(bencode_decode(buffer, "d1:a", 4, &error));
	bencode_buffer_free(buffer);
	g_assert_cmpstr(error, ==, "unterminated dictionary at offset 0");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bencode/round-trip/builder", test_round_trip_builder);
	g_test_add_func("/bencode/round-trip/canonical", test_round_trip_canonical_documents);
	g_test_add_func("/bencode/round-trip/insertion-order", test_insertion_order_not_sorted);
	g_test_add_func("/bencode/strings/embedded-nuls", test_embedded_nuls);
	g_test_add_func("/bencode/strings/big", test_big_strings_and_many_items);
	g_test_add_func("/bencode/buffer/alloc", test_buffer_alloc);
	g_test_add_func("/bencode/lookups", test_lookups);
	g_test_add_func("/bencode/builder/misuse", test_builder_misuse);
	g_test_add_func("/bencode/encode/deep-built-tree", test_encode_deep_built_tree);
	g_test_add_func("/bencode/encode/streaming-writer", test_streaming_writer_matches_tree);
	g_test_add_func("/bencode/encode/encoded-item", test_encoded_item);
	g_test_add_func("/bencode/encode/writer-digit-counts", test_writer_digit_counts);
	g_test_add_func("/bencode/malformed/corpus", test_malformed_corpus);
	g_test_add_func("/bencode/malformed/every-prefix", test_every_prefix_fails);
	g_test_add_func("/bencode/malformed/nesting", test_nesting_limit);
	g_test_add_func("/bencode/malformed/item-limit", test_item_limit);
	g_test_add_func("/bencode/integers/limits", test_integer_limits);
	g_test_add_func("/bencode/decode/arguments", test_decode_arguments_and_error_lifetime);
	return g_test_run();
}
