/* Just enough bencode for the benchmark's own tools (loadgen reads ng replies, the forwarder's
 * ng side reads requests): skip a value, find a string in the top-level dictionary. Not
 * lib/bencode.c on purpose: the forwarder is the machine's ceiling and must stay a minimal
 * program without GLib, and both tools build with this directory's Makefile alone. */
#ifndef BENCH_BENCODE_SCAN_H
#define BENCH_BENCODE_SCAN_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Length of the bencoded value at data[0..length), or -1 if malformed or truncated. */
static long bencode_skip(const char *data, size_t length, int depth)
{
	if (length == 0 || depth > 32)
		return -1;
	if (data[0] >= '0' && data[0] <= '9') {
		size_t position = 0, string_length = 0;
		while (position < length && data[position] >= '0' && data[position] <= '9' && string_length <= length)
			string_length = string_length * 10 + (size_t) (data[position++] - '0');
		if (position >= length || data[position] != ':' || string_length > length - position - 1)
			return -1;
		return (long) (position + 1 + string_length);
	}
	if (data[0] == 'i') {
		const char *end = memchr(data, 'e', length);
		return end ? end - data + 1 : -1;
	}
	if (data[0] == 'l' || data[0] == 'd') {
		size_t position = 1;
		while (position < length && data[position] != 'e') {
			long item = bencode_skip(data + position, length - position, depth + 1);
			if (item < 0)
				return -1;
			position += (size_t) item;
		}
		return position < length ? (long) position + 1 : -1;
	}
	return -1;
}

/* The string value of KEY in the top-level dictionary (data[0] == 'd'): 0, -ENOENT, or -EINVAL
 * when the key holds something other than a string. */
static int bencode_find_string(const char *data, size_t length, const char *key, const char **value,
	size_t *value_length)
{
	size_t key_length = strlen(key), position = 1;
	if (length < 2 || data[0] != 'd')
		return -EINVAL;
	while (position < length && data[position] != 'e') {
		long key_item = bencode_skip(data + position, length - position, 1);
		if (key_item < 0 || data[position] < '0' || data[position] > '9')
			return -EINVAL;
		const char *key_text = (const char *) memchr(data + position, ':', (size_t) key_item) + 1;
		size_t this_key_length = (size_t) (data + position + key_item - key_text);
		position += (size_t) key_item;
		long value_item = bencode_skip(data + position, length - position, 1);
		if (value_item < 0)
			return -EINVAL;
		if (this_key_length == key_length && !memcmp(key_text, key, key_length)) {
			if (data[position] < '0' || data[position] > '9')
				return -EINVAL;
			const char *colon = memchr(data + position, ':', (size_t) value_item);
			*value = colon + 1;
			*value_length = (size_t) (data + position + value_item - *value);
			return 0;
		}
		position += (size_t) value_item;
	}
	return -ENOENT;
}

#endif
