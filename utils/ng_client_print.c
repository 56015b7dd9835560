/* Readable and JSON output of a decoded ng reply; see ng_client_print.h.
 *
 * JSON is written by hand rather than through json-c: the escaping is a few lines, it keeps
 * the client free of a library the rest of the project does not use, and it decides itself
 * what happens to bytes that are not UTF-8 (ng strings are bytes, JSON strings are Unicode):
 * such a byte is written as the Latin-1 character of the same value, so the output is always
 * valid JSON and nothing is dropped. Recursion depth is bounded by the decoder's
 * BENCODE_MAX_DEPTH. */
#include "ng_client_print.h"

#include <stdbool.h>
#include <string.h>
#include <glib.h>

/* ---- readable ---------------------------------------------------------------------------- */

static void print_indent(FILE *out, unsigned int indent)
{
	for (unsigned int i = 0; i < indent; i++)
		fputc(' ', out);
}

static bool is_multi_line(const struct bencode_item *item)
{
	return item->type == BENCODE_STRING && memchr(item->string, '\n', item->string_length) != NULL;
}

static bool is_empty_container(const struct bencode_item *item)
{
	return (item->type == BENCODE_LIST || item->type == BENCODE_DICTIONARY) && !item->first_child;
}

static void print_children(FILE *out, const struct bencode_item *item, unsigned int indent);

/* What follows "key:" or "-": the rest of the line for a scalar, else a newline and the
 * indented (container) or unindented (multi-line string) body. */
static void print_value(FILE *out, const struct bencode_item *value, unsigned int indent)
{
	if (value->type == BENCODE_INTEGER) {
		fprintf(out, " %lld\n", value->integer);
	} else if (is_empty_container(value)) {
		fputs(value->type == BENCODE_LIST ? " []\n" : " {}\n", out);
	} else if (value->type != BENCODE_STRING) {
		fputc('\n', out);
		print_children(out, value, indent + 2);
	} else if (is_multi_line(value)) {
		fputc('\n', out);
		fwrite(value->string, 1, value->string_length, out);
		if (value->string[value->string_length - 1] != '\n')
			fputc('\n', out);
	} else {
		fputc(' ', out);
		fwrite(value->string, 1, value->string_length, out);
		fputc('\n', out);
	}
}

static void print_children(FILE *out, const struct bencode_item *item, unsigned int indent)
{
	if (item->type == BENCODE_DICTIONARY) {
		for (const struct bencode_item *key = item->first_child; key && key->next_sibling;
				key = key->next_sibling->next_sibling) {
			print_indent(out, indent);
			fwrite(key->string, 1, key->string_length, out);
			fputc(':', out);
			print_value(out, key->next_sibling, indent);
		}
	} else {
		for (const struct bencode_item *element = item->first_child; element; element = element->next_sibling) {
			print_indent(out, indent);
			fputc('-', out);
			print_value(out, element, indent);
		}
	}
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void print_json_string(FILE *out, const char *text, size_t length)
{
	fputc('"', out);
	for (size_t i = 0; i < length;) {
		unsigned char byte = (unsigned char) text[i];
		if (byte >= 0x80) {
			gunichar character = g_utf8_get_char_validated(text + i, (gssize) (length - i));
			if (character != (gunichar) -1 && character != (gunichar) -2) {
				const char *next = g_utf8_next_char(text + i);
				fwrite(text + i, 1, (size_t) (next - (text + i)), out);
				i = (size_t) (next - text);
			} else {
				fprintf(out, "\\u%04x", byte);   /* not UTF-8: the Latin-1 character */
				i++;
			}
			continue;
		}
		/* RFC 8259 section 7: quote, backslash and control characters must be escaped. */
		switch (byte) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			if (byte < 0x20 || byte == 0x7f)
				fprintf(out, "\\u%04x", byte);
			else
				fputc(byte, out);
		}
		i++;
	}
	fputc('"', out);
}

static void print_json_value(FILE *out, const struct bencode_item *item)
{
	switch (item->type) {
	case BENCODE_STRING:
		print_json_string(out, item->string, item->string_length);
		break;
	case BENCODE_INTEGER:
		fprintf(out, "%lld", item->integer);
		break;
	case BENCODE_LIST:
		fputc('[', out);
		for (const struct bencode_item *element = item->first_child; element; element = element->next_sibling) {
			if (element != item->first_child)
				fputs(", ", out);
			print_json_value(out, element);
		}
		fputc(']', out);
		break;
	case BENCODE_DICTIONARY:
		fputc('{', out);
		for (const struct bencode_item *key = item->first_child; key && key->next_sibling;
				key = key->next_sibling->next_sibling) {
			if (key != item->first_child)
				fputs(", ", out);
			print_json_string(out, key->string, key->string_length);
			fputs(": ", out);
			print_json_value(out, key->next_sibling);
		}
		fputc('}', out);
		break;
	case BENCODE_ENCODED:   /* built by a sender, never decoded */
		break;
	}
}

/* ---- public functions ------------------------------------------------------------------ */

void ng_client_print_readable(FILE *out, const struct bencode_item *item)
{
	if (item->type == BENCODE_DICTIONARY || item->type == BENCODE_LIST) {
		if (is_empty_container(item))
			fputs(item->type == BENCODE_LIST ? "[]\n" : "{}\n", out);
		else
			print_children(out, item, 0);
		return;
	}
	print_value(out, item, 0);
}

void ng_client_print_json(FILE *out, const struct bencode_item *item)
{
	print_json_value(out, item);
	fputc('\n', out);
}
