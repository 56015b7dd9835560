/* Bencode (BitTorrent BEP 3 encoding), as used by the ng control protocol:
 * every request and reply is `COOKIE <bencoded dictionary>` in one UDP datagram.
 *
 * All items and copied strings live in a struct bencode_buffer, a chunked bump allocator
 * freed in one go, so decoding a request and building its reply costs a handful of mallocs.
 * A buffer is not thread-safe: use one per request (or per thread).
 *
 * Decoded STRING items point into the caller's input (zero copy) and are not NUL-terminated;
 * use bencode_string_dup() or bencode_dictionary_get_string() for C strings. */
#ifndef RTPENGINE_BENCODE_H
#define RTPENGINE_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Decoder bounds: requests are single UDP datagrams (< 64 KiB), so these are far above what
 * any real client sends, and they keep a hostile datagram from costing more than a few MB. */
#define BENCODE_MAX_DEPTH 32
#define BENCODE_MAX_ITEMS 100000

/* BENCODE_ENCODED is never decoded: it is a built item holding one value already encoded
 * (by the streaming writer below), which the encoder copies as it is. */
enum bencode_type { BENCODE_STRING = 1, BENCODE_INTEGER, BENCODE_LIST, BENCODE_DICTIONARY, BENCODE_ENCODED };

/* 32 bytes: the fields of the three kinds share storage, so read only those of item->type.
 * (Half the former 64 bytes: a delete reply builds about 450 items; callgrind's cache model
 * counted 12% fewer L1 data misses per ng cycle.) */
struct bencode_item {
	enum bencode_type type;
	unsigned int child_count;    /* lists: number of items; dictionaries: number of key+value items (2 per entry) */
	union {
		struct {             /* STRING: bytes, may contain NULs; NOT NUL-terminated in general;
		                      * ENCODED: the encoding, not NUL-terminated */
			const char *string;
			size_t string_length;
		};
		long long integer;   /* INTEGER */
		struct {             /* LIST / DICTIONARY: dict children alternate key, value */
			struct bencode_item *first_child, *last_child;
		};
	};
	struct bencode_item *next_sibling;
};

struct bencode_buffer;  /* arena: owns every item and copied string; freed in one go */

/* NULL only when out of memory. */
struct bencode_buffer *bencode_buffer_new(void);
/* NULL is accepted. Invalidates every item and string allocated in the buffer. */
/* Forgets everything allocated from buffer (items and strings become invalid) and keeps its
 * first chunk and a few full-size ones for reuse: cheaper than free + new for one request
 * after another. */
void bencode_buffer_reset(struct bencode_buffer *buffer);
void bencode_buffer_free(struct bencode_buffer *buffer);
/* Raw arena allocation (8-byte aligned, not zeroed), for callers that want request-lifetime
 * memory. NULL when out of memory. */
void *bencode_buffer_alloc(struct bencode_buffer *buffer, size_t size);
/* NUL-terminated copy of length bytes of data in the buffer. NULL when out of memory. */
char *bencode_buffer_strdup_length(struct bencode_buffer *buffer, const char *data, size_t length);

/* Strict decoder: zero-copy (strings point into data, which must outlive the items). Returns the
 * root item, or NULL and *error = a human-readable reason such as "unterminated dictionary at
 * offset 17", "nesting deeper than 32 levels at offset 40", "integer overflow at offset 3",
 * "string length exceeds input at offset 9", "trailing data at offset 120".
 * The error text is in thread-local static storage: it never needs freeing and stays valid until
 * the next bencode_decode() on the same thread. error may be NULL.
 * Bounded: nesting depth <= BENCODE_MAX_DEPTH, at most BENCODE_MAX_ITEMS items, never reads past
 * data+length, no recursion at all. Dictionary keys must be strings (order and duplicates are
 * not checked: clients do not sort). Integers: i-12e, no leading zeros except i0e, no -0.
 * String lengths: no leading zeros except 0:. Trailing bytes after the root item are an error.
 * Because of that strictness, bencode_encode() of a decoded item reproduces the input exactly. */
struct bencode_item *bencode_decode(struct bencode_buffer *buffer, const char *data, size_t length,
                                    const char **error);

/* Dictionary lookups (key compare is exact, binary-safe). NULL / false when absent or wrong
 * type. With duplicate keys the first one wins. */
struct bencode_item *bencode_dictionary_get(const struct bencode_item *dictionary, const char *key);
/* The same with a key that is not NUL-terminated. */
struct bencode_item *bencode_dictionary_get_length(const struct bencode_item *dictionary, const char *key,
                                                   size_t key_length);
/* The value only if it has the given type, else NULL. */
struct bencode_item *bencode_dictionary_get_expect(const struct bencode_item *dictionary, const char *key,
                                                   enum bencode_type type);
/* Returns a NUL-terminated copy (allocated in buffer) of a STRING value; INTEGER values are also
 * accepted and converted to decimal text (Kamailio sends numbers either way); *length may be NULL. */
const char *bencode_dictionary_get_string(struct bencode_buffer *buffer, const struct bencode_item *dictionary,
                                          const char *key, size_t *length);
/* Accepts INTEGER items and STRING items holding a decimal number (optional '-', digits only,
 * within long long). *value is left untouched on false. */
bool bencode_dictionary_get_integer(const struct bencode_item *dictionary, const char *key, long long *value);
/* The same two for a value already found (NULL gives NULL / false). */
const char *bencode_item_text(struct bencode_buffer *buffer, const struct bencode_item *value, size_t *length);
bool bencode_item_integer(const struct bencode_item *item, long long *value);
bool bencode_string_equals(const struct bencode_item *item, const char *text);  /* STRING item == text */
char *bencode_string_dup(struct bencode_buffer *buffer, const struct bencode_item *item); /* NUL-terminated copy in buffer, NULL if not STRING */

/* Building replies (all allocation in the arena; strings are copied). Constructors return NULL
 * only when out of memory; the add/append functions do nothing when given a NULL container or
 * value, so a chain of calls needs no error check per step. An item may be added to one
 * container only, once. */
struct bencode_item *bencode_dictionary_new(struct bencode_buffer *buffer);
struct bencode_item *bencode_list_new(struct bencode_buffer *buffer);
struct bencode_item *bencode_string_new(struct bencode_buffer *buffer, const char *data, size_t length);
/* NUL-terminated text. */
struct bencode_item *bencode_string_new_text(struct bencode_buffer *buffer, const char *text);
struct bencode_item *bencode_integer_new(struct bencode_buffer *buffer, long long value);
/* length bytes of data, one complete encoded value (written by the streaming writer below),
 * copied into buffer; the encoder writes them unchanged. Lookups see an item of type
 * BENCODE_ENCODED, not the value inside. */
struct bencode_item *bencode_encoded_new(struct bencode_buffer *buffer, const char *data, size_t length);
/* list must be a LIST (otherwise nothing happens). */
void bencode_list_append(struct bencode_item *list, struct bencode_item *item);
void bencode_list_append_string(struct bencode_buffer *buffer, struct bencode_item *list, const char *text);
void bencode_dictionary_add(struct bencode_buffer *buffer, struct bencode_item *dictionary, const char *key,
                            struct bencode_item *value);
void bencode_dictionary_add_string(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                   const char *key, const char *value);       /* NUL-terminated value */
void bencode_dictionary_add_string_length(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                          const char *key, const char *value, size_t length);
void bencode_dictionary_add_integer(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                    const char *key, long long value);
struct bencode_item *bencode_dictionary_add_list(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                                 const char *key);       /* returns the new empty list */
struct bencode_item *bencode_dictionary_add_dictionary(struct bencode_buffer *buffer,
                                                       struct bencode_item *dictionary, const char *key);

/* Encoder: appends the canonical encoding to out. Dictionary keys are written in insertion order
 * (as upstream rtpengine does; do NOT sort). Iterative, so any depth is safe. */
void bencode_encode(const struct bencode_item *item, GString *out);

/* Streaming writer: appends one token at a time to out, with the encoder's token writers, and
 * builds no items. For a large reply part that would be built only to be encoded once (the
 * calls' descriptions of query and delete, about 250 items: building and encoding them as a
 * tree was 40% of the user-space instructions of an offer+answer+delete cycle). The caller
 * writes one well-formed value: each container closed by bencode_write_end(), dictionary keys
 * as strings alternating with values, in the order they are to appear. out stays
 * NUL-terminated. */
/* The one-character tokens are inline, with the growth out of line: a delete's description
 * has about 45 of them (with ng_query.c's fixed-size word copies: the description 15.6k ->
 * 10.5k instructions, callgrind, ng cycle bench). */
void bencode_write_grow(GString *out, size_t length);   /* room for length more bytes and a NUL */
static inline void bencode_write_char(GString *out, char c)
{
	if (G_UNLIKELY(out->len + 2 > out->allocated_len))
		bencode_write_grow(out, 1);
	out->str[out->len++] = c;
	out->str[out->len] = '\0';
}
static inline void bencode_write_dictionary(GString *out) { bencode_write_char(out, 'd'); }   /* opens a dictionary */
static inline void bencode_write_list(GString *out) { bencode_write_char(out, 'l'); }         /* opens a list */
static inline void bencode_write_end(GString *out) { bencode_write_char(out, 'e'); }   /* closes the innermost open container */
void bencode_write_string(GString *out, const char *data, size_t length);
void bencode_write_text(GString *out, const char *text);   /* NUL-terminated */
void bencode_write_any_integer(GString *out, long long value);   /* the out-of-line case of the next */
/* 0 to 9 inline: the counters of a call's description, mostly zero (24 per delete) */
static inline void bencode_write_integer(GString *out, long long value)
{
	if (value < 0 || value > 9) {
		bencode_write_any_integer(out, value);
		return;
	}
	if (G_UNLIKELY(out->len + 4 > out->allocated_len))
		bencode_write_grow(out, 3);
	char *cursor = out->str + out->len;
	cursor[0] = 'i';
	cursor[1] = (char) ('0' + value);
	cursor[2] = 'e';
	cursor[3] = '\0';
	out->len += 3;
}
/* length bytes that are already encoded tokens (from this writer), appended as they are. */
void bencode_write_encoded(GString *out, const char *data, size_t length);
/* A string literal (keys): its length is known at compile time. */
#define bencode_write_literal(out, literal) bencode_write_string(out, "" literal, sizeof(literal) - 1)

#endif
