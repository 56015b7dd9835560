/* Bencode decoder, encoder and reply builder for the ng control protocol; see bencode.h.
 * The format is defined in BitTorrent BEP 3 ("The BitTorrent Protocol Specification",
 * section "bencoding"): strings are <length>:<bytes>, integers i<decimal>e, lists l...e,
 * dictionaries d<key><value>...e with string keys. */
#include "bencode.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- types ---- */

/* The arena: a list of chunks. The head chunk takes small bump allocations; blocks too large
 * for a chunk get a dedicated allocation linked behind the head, so they never waste the
 * head's remaining space. The first chunk is part of the buffer's own allocation, so a
 * typical request (decode plus a reply of a few dozen items) costs a single malloc. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t capacity;
	size_t used;
	max_align_t data[];
};

struct bencode_buffer {
	struct arena_chunk *chunks;          /* head: the chunk bump allocations come from */
	struct arena_chunk *embedded_chunk;  /* lives inside this allocation: never freed on its own */
	/* Full-size chunks a reset kept for the next request (at most ARENA_SPARE_CHUNKS). */
	struct arena_chunk *spare_chunks;
	unsigned int spare_count;
};

/* A delete reply (about 250 items) nearly fills one chunk. */
#define ARENA_CHUNK_SIZE 16384
/* Requests above this get their own block: the head chunk keeps its free space for items.
 * An offer's or answer's SDP (typically 300 bytes to 2 KB) stays below it: a block of more
 * than 1 KB is a "large" malloc that makes glibc consolidate its fast bins first. */
#define ARENA_LARGE_BLOCK 4096
/* A reset keeps up to this many extra chunks: a delete reply spills into a second chunk,
 * whose malloc, free and page faults cost about 2 us per delete (ng cycle bench, perf). */
#define ARENA_SPARE_CHUNKS 4
#define ARENA_BUFFER_HEADER_SIZE \
	((sizeof(struct bencode_buffer) + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1))

/* One open list or dictionary while decoding; the decoder keeps these in a fixed array
 * instead of recursing, so hostile nesting cannot exhaust the C stack. */
struct decoder_frame {
	struct bencode_item *container;
	size_t start_offset;
};

struct decoder {
	struct bencode_buffer *buffer;
	const char *data;
	size_t length;
	size_t position;
	unsigned int item_count;
	const char *error;
};

/* Encoder stack entry: the next child still to be written for one open container. */
struct encoder_frame {
	const struct bencode_item *next_child;
};

/* Longest decimal long long: "-9223372036854775808" is 20 characters. */
#define DECIMAL_TEXT_SIZE 24

/* Reason for the last failed bencode_decode() on this thread; see bencode.h. */
static __thread char decode_error_text[128];

/* ---- static helpers: arena ---- */

static struct arena_chunk *arena_chunk_new(size_t capacity)
{
	if (capacity > SIZE_MAX - sizeof(struct arena_chunk))
		return NULL;
	struct arena_chunk *chunk = g_try_malloc(sizeof(struct arena_chunk) + capacity);
	if (!chunk)
		return NULL;
	chunk->next = NULL;
	chunk->capacity = capacity;
	chunk->used = 0;
	return chunk;
}

static void *arena_alloc(struct bencode_buffer *buffer, size_t size, size_t alignment)
{
	struct arena_chunk *head = buffer->chunks;
	size_t offset = (head->used + alignment - 1) & ~(alignment - 1);
	if (offset <= head->capacity && size <= head->capacity - offset) {
		head->used = offset + size;
		return (char *) head->data + offset;
	}
	if (size > ARENA_LARGE_BLOCK) {
		struct arena_chunk *block = arena_chunk_new(size);
		if (!block)
			return NULL;
		block->used = size;
		block->next = head->next;
		head->next = block;
		return block->data;
	}
	struct arena_chunk *chunk = buffer->spare_chunks;
	if (chunk) {
		buffer->spare_chunks = chunk->next;
		buffer->spare_count--;
	} else {
		chunk = arena_chunk_new(ARENA_CHUNK_SIZE);
		if (!chunk)
			return NULL;
	}
	chunk->used = size;
	chunk->next = head;
	buffer->chunks = chunk;
	return chunk->data;
}

static struct bencode_item *item_new(struct bencode_buffer *buffer, enum bencode_type type)
{
	struct bencode_item *item = arena_alloc(buffer, sizeof(*item), _Alignof(struct bencode_item));
	if (!item)
		return NULL;
	*item = (struct bencode_item) { .type = type };
	return item;
}

static void item_append_child(struct bencode_item *container, struct bencode_item *child)
{
	if (container->last_child)
		container->last_child->next_sibling = child;
	else
		container->first_child = child;
	container->last_child = child;
	container->child_count++;
}

/* ---- static helpers: numbers ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Writes value in decimal at the end of text (DECIMAL_TEXT_SIZE bytes) and returns where the
 * digits start; snprintf would be a noticeable share of encoding a reply. */
static char *format_unsigned(unsigned long long value, char *text_end)
{
	char *cursor = text_end;
	do {
		*--cursor = (char) ('0' + value % 10);
		value /= 10;
	} while (value);
	return cursor;
}

static size_t format_integer(long long value, char text[DECIMAL_TEXT_SIZE])
{
	char *end = text + DECIMAL_TEXT_SIZE;
	/* Negate in unsigned arithmetic: -LLONG_MIN does not fit a long long. */
	unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long) value : (unsigned long long) value;
	char *start = format_unsigned(magnitude, end);
	if (value < 0)
		*--start = '-';
	size_t length = (size_t) (end - start);
	memmove(text, start, length);
	return length;
}

/* Lenient decimal parse for numbers sent as strings: optional '-', at least one digit,
 * nothing else, within long long. Leading zeros are fine here: this is text, not bencode. */
static bool parse_decimal_text(const char *text, size_t length, long long *value)
{
	size_t position = 0;
	bool negative = false;
	if (position < length && text[position] == '-') {
		negative = true;
		position++;
	}
	if (position == length)
		return false;
	unsigned long long limit = negative ? (unsigned long long) LLONG_MAX + 1 : (unsigned long long) LLONG_MAX;
	unsigned long long magnitude = 0;
	for (; position < length; position++) {
		if (!is_digit(text[position]))
			return false;
		unsigned int digit = (unsigned int) (text[position] - '0');
		if (magnitude > (limit - digit) / 10)
			return false;
		magnitude = magnitude * 10 + digit;
	}
	*value = negative ? (long long) (0ULL - magnitude) : (long long) magnitude;
	return true;
}

/* ---- static helpers: decoder ---- */

static int decoder_fail(struct decoder *decoder, const char *reason, size_t offset)
{
	snprintf(decode_error_text, sizeof(decode_error_text), "%s at offset %zu", reason, offset);
	decoder->error = decode_error_text;
	return -EINVAL;
}

/* i<decimal>e at decoder->position (which holds the 'i'). BEP 3: "i-0e is invalid. All
 * encodings with a leading zero, such as i03e, are invalid, other than i0e". */
static int decode_integer(struct decoder *decoder, long long *value)
{
	const char *data = decoder->data;
	size_t length = decoder->length;
	size_t start = decoder->position;
	size_t position = start + 1;
	bool negative = false;

	if (position < length && data[position] == '-') {
		negative = true;
		position++;
	}
	if (position >= length)
		return decoder_fail(decoder, "unterminated integer", start);
	if (!is_digit(data[position]))
		return decoder_fail(decoder, "invalid integer", start);
	if (data[position] == '0') {
		if (position + 1 < length && is_digit(data[position + 1]))
			return decoder_fail(decoder, "leading zero in integer", start);
		if (negative)
			return decoder_fail(decoder, "negative zero integer", start);
	}

	unsigned long long limit = negative ? (unsigned long long) LLONG_MAX + 1 : (unsigned long long) LLONG_MAX;
	unsigned long long magnitude = 0;
	while (position < length && is_digit(data[position])) {
		unsigned int digit = (unsigned int) (data[position] - '0');
		if (magnitude > (limit - digit) / 10)
			return decoder_fail(decoder, "integer overflow", start);
		magnitude = magnitude * 10 + digit;
		position++;
	}
	if (position >= length)
		return decoder_fail(decoder, "unterminated integer", start);
	if (data[position] != 'e')
		return decoder_fail(decoder, "invalid integer", start);

	*value = negative ? (long long) (0ULL - magnitude) : (long long) magnitude;
	decoder->position = position + 1;
	return 0;
}

/* <length>:<bytes> at decoder->position (which holds a digit). The length is checked against
 * the remaining input while its digits are read, so a huge length can neither overflow nor
 * make us read past the end. */
static int decode_string(struct decoder *decoder, const char **string, size_t *string_length)
{
	const char *data = decoder->data;
	size_t length = decoder->length;
	size_t start = decoder->position;
	size_t position = start;

	if (data[position] == '0' && position + 1 < length && is_digit(data[position + 1]))
		return decoder_fail(decoder, "leading zero in string length", start);

	size_t value = 0;
	while (position < length && is_digit(data[position])) {
		size_t digit = (size_t) (data[position] - '0');
		if (value > (SIZE_MAX - digit) / 10)
			return decoder_fail(decoder, "string length exceeds input", start);
		value = value * 10 + digit;
		if (value > length)
			return decoder_fail(decoder, "string length exceeds input", start);
		position++;
	}
	if (position >= length)
		return decoder_fail(decoder, "unterminated string length", start);
	if (data[position] != ':')
		return decoder_fail(decoder, "invalid string length", start);
	position++;
	if (value > length - position)
		return decoder_fail(decoder, "string length exceeds input", start);

	*string = data + position;
	*string_length = value;
	decoder->position = position + value;
	return 0;
}

static const char *container_name(const struct bencode_item *container)
{
	return container->type == BENCODE_DICTIONARY ? "dictionary" : "list";
}

/* Reads one item that is not a container end ('e'): a scalar, or the opening of a list or
 * dictionary (whose children the caller's loop reads next). */
static struct bencode_item *decode_item_start(struct decoder *decoder)
{
	size_t start = decoder->position;
	char first = decoder->data[start];
	enum bencode_type type;

	if (first == 'i')
		type = BENCODE_INTEGER;
	else if (first == 'l')
		type = BENCODE_LIST;
	else if (first == 'd')
		type = BENCODE_DICTIONARY;
	else if (is_digit(first))
		type = BENCODE_STRING;
	else {
		decoder_fail(decoder, "invalid character", start);
		return NULL;
	}

	if (decoder->item_count >= BENCODE_MAX_ITEMS) {
		decoder_fail(decoder, "more than " G_STRINGIFY(BENCODE_MAX_ITEMS) " items", start);
		return NULL;
	}
	struct bencode_item *item = item_new(decoder->buffer, type);
	if (!item) {
		decoder_fail(decoder, "out of memory", start);
		return NULL;
	}
	decoder->item_count++;

	switch (type) {
	case BENCODE_INTEGER:
		if (decode_integer(decoder, &item->integer))
			return NULL;
		break;
	case BENCODE_STRING:
		if (decode_string(decoder, &item->string, &item->string_length))
			return NULL;
		break;
	case BENCODE_LIST:
	case BENCODE_DICTIONARY:
		decoder->position++;
		break;
	case BENCODE_ENCODED:   /* built only, never decoded */
		break;
	}
	return item;
}

/* The decoder proper: one loop over the input with an explicit stack of open containers. */
static struct bencode_item *decode_document(struct decoder *decoder)
{
	struct decoder_frame stack[BENCODE_MAX_DEPTH];
	unsigned int depth = 0;
	struct bencode_item *root = NULL;

	for (;;) {
		if (decoder->position >= decoder->length) {
			if (depth == 0) {
				decoder->error = "empty input";
				return NULL;
			}
			struct decoder_frame *open = &stack[depth - 1];
			char reason[32];
			snprintf(reason, sizeof(reason), "unterminated %s", container_name(open->container));
			decoder_fail(decoder, reason, open->start_offset);
			return NULL;
		}

		size_t start = decoder->position;
		char first = decoder->data[start];
		struct bencode_item *parent = depth ? stack[depth - 1].container : NULL;

		if (first == 'e') {
			if (!parent) {
				decoder_fail(decoder, "unexpected end marker", start);
				return NULL;
			}
			if (parent->type == BENCODE_DICTIONARY && parent->child_count % 2) {
				decoder_fail(decoder, "dictionary key without value", start);
				return NULL;
			}
			decoder->position++;
			depth--;
			if (depth == 0)
				return root;
			continue;
		}

		/* BEP 3: "Keys must be strings". Checked before reading the item so the offset
		 * names the key itself. */
		if (parent && parent->type == BENCODE_DICTIONARY && parent->child_count % 2 == 0
		    && !is_digit(first)) {
			decoder_fail(decoder, "dictionary key is not a string", start);
			return NULL;
		}

		if ((first == 'l' || first == 'd') && depth == BENCODE_MAX_DEPTH) {
			decoder_fail(decoder, "nesting deeper than " G_STRINGIFY(BENCODE_MAX_DEPTH) " levels", start);
			return NULL;
		}

		struct bencode_item *item = decode_item_start(decoder);
		if (!item)
			return NULL;
		if (parent)
			item_append_child(parent, item);
		else
			root = item;

		if (item->type == BENCODE_LIST || item->type == BENCODE_DICTIONARY)
			stack[depth++] = (struct decoder_frame) { .container = item, .start_offset = start };
		else if (depth == 0)
			return root;
	}
}

/* ---- static helpers: encoder ---- */

/* The encoder writes straight into the GString's buffer, growing it only when a token would
 * not fit (appending token by token through g_string_append dominated the reply cost). */
struct encoder {
	GString *out;
};

static void encoder_grow(GString *out, size_t length)
{
	gsize keep = out->len;
	g_string_set_size(out, keep + length);   /* grows to a power of two */
	out->len = keep;
}

/* Room for length more bytes and a NUL. */
static inline void encoder_reserve(GString *out, size_t length)
{
	if (out->len + length + 1 > out->allocated_len)
		encoder_grow(out, length);
}

/* "00" to "99": two digits per division. */
static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes value in decimal at cursor and returns the end: counts the digits first, then
 * writes them in place from the end, two per division. Most numbers of a reply are string
 * lengths, ports, counters and times; through a scratch buffer, a digit per division and a
 * memcpy, they cost about a third of writing a query or delete reply (callgrind). Counting
 * the digits from the bit length rather than by comparing with each power of ten in turn:
 * 63.2k -> 62.5k instructions per offer+answer+delete cycle (callgrind, ng cycle bench). */
static inline char *put_unsigned(char *cursor, unsigned long long value)
{
	if (value < 10) {
		*cursor = (char) ('0' + value);
		return cursor + 1;
	}
	/* digits from the bit length: log10(2) ~ 1233 / 4096, then one comparison to correct */
	static const unsigned long long powers_of_ten[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
		1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL,
	};
	unsigned int estimate = (unsigned int) (64 - __builtin_clzll(value)) * 1233 >> 12;
	unsigned int digits = estimate + (value >= powers_of_ten[estimate]);
	char *end = cursor + digits, *position = end;
	/* ports, lengths and times in seconds fit 32 bits, whose division by 100 is a shorter
	 * multiply (callgrind, ng cycle bench: ~8 instructions fewer per pair of digits) */
	if (value <= UINT32_MAX) {
		uint32_t small = (uint32_t) value;
		while (small >= 100) {
			uint32_t pair = small % 100 * 2;
			small /= 100;
			position -= 2;
			position[0] = digit_pairs[pair];
			position[1] = digit_pairs[pair + 1];
		}
		value = small;
	}
	while (value >= 100) {
		unsigned int pair = (unsigned int) (value % 100) * 2;
		value /= 100;
		position -= 2;
		position[0] = digit_pairs[pair];
		position[1] = digit_pairs[pair + 1];
	}
	if (value >= 10) {
		position[-2] = digit_pairs[value * 2];
		position[-1] = digit_pairs[value * 2 + 1];
	} else {
		position[-1] = (char) ('0' + value);
	}
	return end;
}

/* memcpy of the short strings that make up most of a reply (keys, flags, addresses) without
 * a call: fixed-size copies that overlap, never reading outside the source. */
static inline void copy_bytes(char *destination, const char *source, size_t length)
{
	if (length >= 8 && length <= 16) {
		memcpy(destination, source, 8);
		memcpy(destination + length - 8, source + length - 8, 8);
	} else if (length >= 4 && length < 8) {
		memcpy(destination, source, 4);
		memcpy(destination + length - 4, source + length - 4, 4);
	} else if (length < 4) {
		for (size_t i = 0; i < length; i++)
			destination[i] = source[i];
	} else {
		memcpy(destination, source, length);
	}
}

/* The token writers below are the one encoding of each kind of token, shared by the tree
 * encoder and the streaming writer (bencode_write_*). */
static inline void write_char(GString *out, char c)
{
	encoder_reserve(out, 1);
	out->str[out->len++] = c;
}

/* Room for the whole token is reserved once, then it is written without further checks
 * (callgrind, ng cycle bench: encoding went from 30k to 20k instructions per
 * offer+answer+delete). */
static inline void write_string_token(GString *out, const char *data, size_t length)
{
	encoder_reserve(out, DECIMAL_TEXT_SIZE + 1 + length);
	char *cursor = put_unsigned(out->str + out->len, length);
	*cursor++ = ':';
	copy_bytes(cursor, data, length);
	out->len = (gsize) (cursor + length - out->str);
}

static inline void write_integer_token(GString *out, long long value)
{
	encoder_reserve(out, DECIMAL_TEXT_SIZE + 2);
	char *cursor = out->str + out->len;
	*cursor++ = 'i';
	if (value < 0) {
		*cursor++ = '-';
		/* negated in unsigned arithmetic: -LLONG_MIN does not fit a long long */
		cursor = put_unsigned(cursor, 0ULL - (unsigned long long) value);
	} else {
		cursor = put_unsigned(cursor, (unsigned long long) value);
	}
	*cursor++ = 'e';
	out->len = (gsize) (cursor - out->str);
}

/* Writes a scalar, or the opening character of a container. */
static void encode_item_start(const struct bencode_item *item, struct encoder *encoder)
{
	GString *out = encoder->out;
	switch (item->type) {
	case BENCODE_STRING:
		write_string_token(out, item->string, item->string_length);
		break;
	case BENCODE_INTEGER:
		write_integer_token(out, item->integer);
		break;
	case BENCODE_LIST:
		write_char(out, 'l');
		break;
	case BENCODE_DICTIONARY:
		write_char(out, 'd');
		break;
	case BENCODE_ENCODED:
		encoder_reserve(out, item->string_length);
		memcpy(out->str + out->len, item->string, item->string_length);
		out->len += item->string_length;
		break;
	}
}

static bool is_container(const struct bencode_item *item)
{
	return item->type == BENCODE_LIST || item->type == BENCODE_DICTIONARY;
}

/* ---- static helpers: building ---- */

static struct bencode_item *dictionary_value(const struct bencode_item *dictionary, const char *key,
                                             size_t key_length)
{
	if (!dictionary || dictionary->type != BENCODE_DICTIONARY || (!key && key_length))
		return NULL;
	for (const struct bencode_item *entry = dictionary->first_child; entry && entry->next_sibling;
	     entry = entry->next_sibling->next_sibling) {
		if (entry->type == BENCODE_STRING && entry->string_length == key_length
		    && (key_length == 0 || memcmp(entry->string, key, key_length) == 0))
			return entry->next_sibling;
	}
	return NULL;
}

/* ---- public functions: arena ---- */

struct bencode_buffer *bencode_buffer_new(void)
{
	char *memory = g_try_malloc(ARENA_BUFFER_HEADER_SIZE + sizeof(struct arena_chunk) + ARENA_CHUNK_SIZE);
	if (!memory)
		return NULL;
	struct bencode_buffer *buffer = (struct bencode_buffer *) memory;
	struct arena_chunk *chunk = (struct arena_chunk *) (memory + ARENA_BUFFER_HEADER_SIZE);
	*chunk = (struct arena_chunk) { .next = NULL, .capacity = ARENA_CHUNK_SIZE, .used = 0 };
	buffer->chunks = chunk;
	buffer->embedded_chunk = chunk;
	buffer->spare_chunks = NULL;
	buffer->spare_count = 0;
	return buffer;
}



void bencode_buffer_reset(struct bencode_buffer *buffer)
{
	if (!buffer)
		return;
	struct arena_chunk *chunk = buffer->chunks;
	while (chunk) {
		struct arena_chunk *next = chunk->next;
		if (chunk == buffer->embedded_chunk) {
			/* kept below */
		} else if (chunk->capacity == ARENA_CHUNK_SIZE && buffer->spare_count < ARENA_SPARE_CHUNKS) {
			chunk->next = buffer->spare_chunks;
			buffer->spare_chunks = chunk;
			buffer->spare_count++;
		} else {
			g_free(chunk);
		}
		chunk = next;
	}
	buffer->chunks = buffer->embedded_chunk;
	buffer->chunks->next = NULL;
	buffer->chunks->used = 0;
}

void bencode_buffer_free(struct bencode_buffer *buffer)
{
	if (!buffer)
		return;
	bencode_buffer_reset(buffer);
	while (buffer->spare_chunks) {
		struct arena_chunk *next = buffer->spare_chunks->next;
		g_free(buffer->spare_chunks);
		buffer->spare_chunks = next;
	}
	g_free(buffer);
}

void *bencode_buffer_alloc(struct bencode_buffer *buffer, size_t size)
{
	if (!buffer)
		return NULL;
	return arena_alloc(buffer, size, 8);
}

char *bencode_buffer_strdup_length(struct bencode_buffer *buffer, const char *data, size_t length)
{
	if (!buffer || (!data && length) || length == SIZE_MAX)
		return NULL;
	char *copy = arena_alloc(buffer, length + 1, 1);
	if (!copy)
		return NULL;
	if (length)
		memcpy(copy, data, length);
	copy[length] = '\0';
	return copy;
}

/* ---- public functions: decoding and lookups ---- */

struct bencode_item *bencode_decode(struct bencode_buffer *buffer, const char *data, size_t length,
                                    const char **error)
{
	struct decoder decoder = { .buffer = buffer, .data = data, .length = length };
	struct bencode_item *root;

	if (!buffer || (!data && length)) {
		decoder.error = "invalid arguments";
		root = NULL;
	} else {
		root = decode_document(&decoder);
		if (root && decoder.position != length) {
			decoder_fail(&decoder, "trailing data", decoder.position);
			root = NULL;
		}
	}
	if (error)
		*error = root ? NULL : decoder.error;
	return root;
}

struct bencode_item *bencode_dictionary_get_length(const struct bencode_item *dictionary, const char *key,
                                                   size_t key_length)
{
	return dictionary_value(dictionary, key, key_length);
}

struct bencode_item *bencode_dictionary_get(const struct bencode_item *dictionary, const char *key)
{
	if (!key)
		return NULL;
	return dictionary_value(dictionary, key, strlen(key));
}

struct bencode_item *bencode_dictionary_get_expect(const struct bencode_item *dictionary, const char *key,
                                                   enum bencode_type type)
{
	struct bencode_item *value = bencode_dictionary_get(dictionary, key);
	if (!value || value->type != type)
		return NULL;
	return value;
}

const char *bencode_item_text(struct bencode_buffer *buffer, const struct bencode_item *value, size_t *length)
{
	if (!value || !buffer)
		return NULL;
	const char *source;
	size_t source_length;
	char text[DECIMAL_TEXT_SIZE];
	if (value->type == BENCODE_STRING) {
		source = value->string;
		source_length = value->string_length;
	} else if (value->type == BENCODE_INTEGER) {
		source = text;
		source_length = format_integer(value->integer, text);
	} else
		return NULL;
	char *copy = bencode_buffer_strdup_length(buffer, source, source_length);
	if (copy && length)
		*length = source_length;
	return copy;
}

const char *bencode_dictionary_get_string(struct bencode_buffer *buffer, const struct bencode_item *dictionary,
                                          const char *key, size_t *length)
{
	return bencode_item_text(buffer, bencode_dictionary_get(dictionary, key), length);
}

bool bencode_item_integer(const struct bencode_item *item, long long *value)
{
	if (!item || !value)
		return false;
	if (item->type == BENCODE_INTEGER) {
		*value = item->integer;
		return true;
	}
	if (item->type == BENCODE_STRING)
		return parse_decimal_text(item->string, item->string_length, value);
	return false;
}

bool bencode_dictionary_get_integer(const struct bencode_item *dictionary, const char *key, long long *value)
{
	return bencode_item_integer(bencode_dictionary_get(dictionary, key), value);
}

bool bencode_string_equals(const struct bencode_item *item, const char *text)
{
	if (!item || item->type != BENCODE_STRING || !text)
		return false;
	size_t text_length = strlen(text);
	return item->string_length == text_length
		&& (text_length == 0 || memcmp(item->string, text, text_length) == 0);
}

char *bencode_string_dup(struct bencode_buffer *buffer, const struct bencode_item *item)
{
	if (!item || item->type != BENCODE_STRING)
		return NULL;
	return bencode_buffer_strdup_length(buffer, item->string, item->string_length);
}

/* ---- public functions: building ---- */

struct bencode_item *bencode_dictionary_new(struct bencode_buffer *buffer)
{
	return buffer ? item_new(buffer, BENCODE_DICTIONARY) : NULL;
}

struct bencode_item *bencode_list_new(struct bencode_buffer *buffer)
{
	return buffer ? item_new(buffer, BENCODE_LIST) : NULL;
}

struct bencode_item *bencode_string_new(struct bencode_buffer *buffer, const char *data, size_t length)
{
	if (!buffer || (!data && length) || length > SIZE_MAX - sizeof(struct bencode_item) - 1)
		return NULL;
	/* Copied with a NUL after it, so callers may treat built strings as C strings. The copy
	 * follows the item in one arena allocation (one bump instead of two; a delete reply
	 * builds about 250 strings, most of them keys). */
	struct bencode_item *item = arena_alloc(buffer, sizeof(*item) + length + 1, _Alignof(struct bencode_item));
	if (!item)
		return NULL;
	char *copy = (char *) (item + 1);
	if (length)
		memcpy(copy, data, length);
	copy[length] = '\0';
	*item = (struct bencode_item) { .type = BENCODE_STRING, .string = copy, .string_length = length };
	return item;
}

struct bencode_item *bencode_string_new_text(struct bencode_buffer *buffer, const char *text)
{
	if (!text)
		return NULL;
	return bencode_string_new(buffer, text, strlen(text));
}

struct bencode_item *bencode_integer_new(struct bencode_buffer *buffer, long long value)
{
	struct bencode_item *item = buffer ? item_new(buffer, BENCODE_INTEGER) : NULL;
	if (item)
		item->integer = value;
	return item;
}

struct bencode_item *bencode_encoded_new(struct bencode_buffer *buffer, const char *data, size_t length)
{
	if (!buffer || (!data && length) || length > SIZE_MAX - sizeof(struct bencode_item))
		return NULL;
	/* as bencode_string_new: the copy follows the item in one arena allocation */
	struct bencode_item *item = arena_alloc(buffer, sizeof(*item) + length, _Alignof(struct bencode_item));
	if (!item)
		return NULL;
	char *copy = (char *) (item + 1);
	if (length)
		memcpy(copy, data, length);
	*item = (struct bencode_item) { .type = BENCODE_ENCODED, .string = copy, .string_length = length };
	return item;
}

void bencode_list_append(struct bencode_item *list, struct bencode_item *item)
{
	if (!list || !item || list->type != BENCODE_LIST)
		return;
	item_append_child(list, item);
}

void bencode_list_append_string(struct bencode_buffer *buffer, struct bencode_item *list, const char *text)
{
	if (!list || list->type != BENCODE_LIST)
		return;
	bencode_list_append(list, bencode_string_new_text(buffer, text));
}

void bencode_dictionary_add(struct bencode_buffer *buffer, struct bencode_item *dictionary, const char *key,
                            struct bencode_item *value)
{
	if (!dictionary || dictionary->type != BENCODE_DICTIONARY || !value)
		return;
	struct bencode_item *key_item = bencode_string_new_text(buffer, key);
	if (!key_item)
		return;
	item_append_child(dictionary, key_item);
	item_append_child(dictionary, value);
}

void bencode_dictionary_add_string(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                   const char *key, const char *value)
{
	if (!value)
		return;
	bencode_dictionary_add_string_length(buffer, dictionary, key, value, strlen(value));
}

void bencode_dictionary_add_string_length(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                          const char *key, const char *value, size_t length)
{
	if (!dictionary || dictionary->type != BENCODE_DICTIONARY)
		return;
	bencode_dictionary_add(buffer, dictionary, key, bencode_string_new(buffer, value, length));
}

void bencode_dictionary_add_integer(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                    const char *key, long long value)
{
	if (!dictionary || dictionary->type != BENCODE_DICTIONARY)
		return;
	bencode_dictionary_add(buffer, dictionary, key, bencode_integer_new(buffer, value));
}

struct bencode_item *bencode_dictionary_add_list(struct bencode_buffer *buffer, struct bencode_item *dictionary,
                                                 const char *key)
{
	if (!dictionary || dictionary->type != BENCODE_DICTIONARY || !key)
		return NULL;
	struct bencode_item *list = bencode_list_new(buffer);
	bencode_dictionary_add(buffer, dictionary, key, list);
	/* If the key could not be allocated the list is not linked in: report the failure. */
	return list && dictionary->last_child == list ? list : NULL;
}

struct bencode_item *bencode_dictionary_add_dictionary(struct bencode_buffer *buffer,
                                                       struct bencode_item *dictionary, const char *key)
{
	if (!dictionary || dictionary->type != BENCODE_DICTIONARY || !key)
		return NULL;
	struct bencode_item *child = bencode_dictionary_new(buffer);
	bencode_dictionary_add(buffer, dictionary, key, child);
	return child && dictionary->last_child == child ? child : NULL;
}

/* ---- public functions: encoding ---- */

static void encode_tree(const struct bencode_item *item, struct encoder *encoder)
{
	encode_item_start(item, encoder);
	if (!is_container(item))
		return;

	/* Explicit stack: replies are shallow, but a built tree of any depth must not overflow
	 * the C stack. The fixed array covers everything the decoder accepts. */
	struct encoder_frame fixed_stack[BENCODE_MAX_DEPTH * 2];
	struct encoder_frame *stack = fixed_stack;
	size_t capacity = G_N_ELEMENTS(fixed_stack);
	size_t depth = 0;
	stack[depth++] = (struct encoder_frame) { .next_child = item->first_child };

	while (depth) {
		struct encoder_frame *top = &stack[depth - 1];
		const struct bencode_item *child = top->next_child;
		if (!child) {
			write_char(encoder->out, 'e');
			depth--;
			continue;
		}
		top->next_child = child->next_sibling;
		encode_item_start(child, encoder);
		if (!is_container(child))
			continue;
		if (depth == capacity) {
			size_t new_capacity = capacity * 2;
			if (stack == fixed_stack) {
				stack = g_new(struct encoder_frame, new_capacity);
				memcpy(stack, fixed_stack, sizeof(fixed_stack));
			} else
				stack = g_renew(struct encoder_frame, stack, new_capacity);
			capacity = new_capacity;
		}
		stack[depth++] = (struct encoder_frame) { .next_child = child->first_child };
	}
	if (stack != fixed_stack)
		g_free(stack);
}

void bencode_encode(const struct bencode_item *item, GString *out)
{
	if (!item || !out)
		return;
	struct encoder encoder = { .out = out };
	encode_tree(item, &encoder);
	out->str[out->len] = '\0';
}

/* ---- public functions: streaming writer ---- */

void bencode_write_grow(GString *out, size_t length)
{
	encoder_grow(out, length);
}

void bencode_write_string(GString *out, const char *data, size_t length)
{
	write_string_token(out, data, length);
	out->str[out->len] = '\0';
}

void bencode_write_text(GString *out, const char *text)
{
	bencode_write_string(out, text, strlen(text));
}

void bencode_write_encoded(GString *out, const char *data, size_t length)
{
	encoder_reserve(out, length);
	copy_bytes(out->str + out->len, data, length);
	out->len += length;
	out->str[out->len] = '\0';
}

void bencode_write_any_integer(GString *out, long long value)
{
	write_integer_token(out, value);
	out->str[out->len] = '\0';
}
