/* sdp-attr edits of the SDP we send; see sdp_attr_edit.h. */
#include "sdp_attr_edit.h"

#include <errno.h>
#include <string.h>
#include "bencode.h"

enum edit_verb { EDIT_ADD, EDIT_REMOVE, EDIT_SUBSTITUTE };
enum edit_scope { SCOPE_GLOBAL, SCOPE_AUDIO, SCOPE_VIDEO, SCOPE_COUNT, SCOPE_NONE = SCOPE_COUNT };

struct sdp_attr_edit {
	enum edit_verb verb;
	const char *value;            /* not NUL-terminated */
	size_t value_length;
	const char *replacement;      /* substitute: the new attribute */
	size_t replacement_length;
	struct sdp_attr_edit *next;
};

struct sdp_attr_edits {
	struct sdp_attr_edit *first[SCOPE_COUNT], *last[SCOPE_COUNT];
	unsigned int count;
};

/* ---- reading the request ------------------------------------------------------------------- */

static bool text_is(const char *text, size_t length, const char *name)
{
	return strlen(name) == length && !g_ascii_strncasecmp(text, name, length);
}

/* "none" is upstream's other name for the session level */
static int scope_of(const char *text, size_t length, enum edit_scope *scope)
{
	if (text_is(text, length, "global") || text_is(text, length, "none"))
		*scope = SCOPE_GLOBAL;
	else if (text_is(text, length, "audio"))
		*scope = SCOPE_AUDIO;
	else if (text_is(text, length, "video"))
		*scope = SCOPE_VIDEO;
	else
		return -EINVAL;
	return 0;
}

static int verb_of(const char *text, size_t length, enum edit_verb *verb)
{
	if (text_is(text, length, "add"))
		*verb = EDIT_ADD;
	else if (text_is(text, length, "remove"))
		*verb = EDIT_REMOVE;
	else if (text_is(text, length, "substitute"))
		*verb = EDIT_SUBSTITUTE;
	else
		return -EINVAL;
	return 0;
}

/* A value becomes one a= line: a line break or NUL in it would write lines nobody asked for. */
static const char *value_problem(const char *text, size_t length)
{
	if (!length)
		return "sdp-attr: an empty attribute";
	if (length > SDP_ATTR_VALUE_MAX)
		return "sdp-attr: an attribute longer than 1024 bytes";
	for (size_t i = 0; i < length; i++)
		if (text[i] == '\r' || text[i] == '\n' || text[i] == '\0')
			return "sdp-attr: an attribute with a line break or NUL";
	return NULL;
}

static int add_edit(struct bencode_buffer *buffer, struct sdp_attr_edits **edits, enum edit_scope scope,
		    enum edit_verb verb, const char *value, size_t value_length, const char *replacement,
		    size_t replacement_length, const char **reason)
{
	const char *problem = value_problem(value, value_length);
	if (!problem && verb == EDIT_SUBSTITUTE)
		problem = value_problem(replacement, replacement_length);
	if (problem) {
		*reason = problem;
		return -EINVAL;
	}
	if (!*edits) {
		*edits = bencode_buffer_alloc(buffer, sizeof(**edits));
		if (!*edits) {
			*reason = "out of memory";
			return -ENOMEM;
		}
		memset(*edits, 0, sizeof(**edits));
	}
	if ((*edits)->count >= SDP_ATTR_EDITS_MAX) {
		*reason = "sdp-attr: more than 128 edits";
		return -EINVAL;
	}
	struct sdp_attr_edit *edit = bencode_buffer_alloc(buffer, sizeof(*edit));
	if (!edit) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	*edit = (struct sdp_attr_edit) { .verb = verb, .value = value, .value_length = value_length,
					 .replacement = replacement, .replacement_length = replacement_length };
	if ((*edits)->last[scope])
		(*edits)->last[scope]->next = edit;
	else
		(*edits)->first[scope] = edit;
	(*edits)->last[scope] = edit;
	(*edits)->count++;
	return 0;
}

/* substitute's value: [FROM, TO] (one pair) or [[FROM, TO], ...]; as upstream documents, a
 * pair's values after the second are not read. */
static int read_substitutions(struct bencode_buffer *buffer, struct sdp_attr_edits **edits, enum edit_scope scope,
			      const struct bencode_item *list, const char **reason)
{
	static const char *const malformed = "sdp-attr: substitute takes [from, to] pairs of strings";
	if (list->type != BENCODE_LIST || !list->first_child) {
		*reason = malformed;
		return -EINVAL;
	}
	if (list->first_child->type == BENCODE_STRING) {
		const struct bencode_item *from = list->first_child, *to = from->next_sibling;
		if (!to || to->type != BENCODE_STRING || to->next_sibling) {
			*reason = malformed;
			return -EINVAL;
		}
		return add_edit(buffer, edits, scope, EDIT_SUBSTITUTE, from->string, from->string_length,
				to->string, to->string_length, reason);
	}
	for (const struct bencode_item *pair = list->first_child; pair; pair = pair->next_sibling) {
		const struct bencode_item *from = pair->type == BENCODE_LIST ? pair->first_child : NULL;
		const struct bencode_item *to = from ? from->next_sibling : NULL;
		if (!to || from->type != BENCODE_STRING || to->type != BENCODE_STRING) {
			*reason = malformed;
			return -EINVAL;
		}
		int error = add_edit(buffer, edits, scope, EDIT_SUBSTITUTE, from->string, from->string_length,
				     to->string, to->string_length, reason);
		if (error)
			return error;
	}
	return 0;
}

/* add/remove: a list of strings, or one string */
static int read_values(struct bencode_buffer *buffer, struct sdp_attr_edits **edits, enum edit_scope scope,
		       enum edit_verb verb, const struct bencode_item *value, const char **reason)
{
	if (value->type == BENCODE_STRING)
		return add_edit(buffer, edits, scope, verb, value->string, value->string_length, NULL, 0, reason);
	if (value->type != BENCODE_LIST) {
		*reason = verb == EDIT_ADD ? "sdp-attr: add takes a list of attributes"
			: "sdp-attr: remove takes a list of attributes";
		return -EINVAL;
	}
	for (const struct bencode_item *item = value->first_child; item; item = item->next_sibling) {
		if (item->type != BENCODE_STRING) {
			*reason = "sdp-attr: an attribute that is not a string";
			return -EINVAL;
		}
		int error = add_edit(buffer, edits, scope, verb, item->string, item->string_length, NULL, 0, reason);
		if (error)
			return error;
	}
	return 0;
}

int sdp_attr_edit_read_dictionary(struct bencode_buffer *buffer, struct sdp_attr_edits **edits,
				  const struct bencode_item *value, const char **reason)
{
	if (value->type != BENCODE_DICTIONARY) {
		*reason = "sdp-attr must be a dictionary of scopes (global, none, audio, video)";
		return -EINVAL;
	}
	const struct bencode_item *key = value->first_child;
	for (; key && key->next_sibling; key = key->next_sibling->next_sibling) {
		enum edit_scope scope;
		if (scope_of(key->string, key->string_length, &scope) < 0) {
			*reason = "sdp-attr: unknown scope (global, none, audio, video)";
			return -EINVAL;
		}
		const struct bencode_item *commands = key->next_sibling;
		if (commands->type != BENCODE_DICTIONARY) {
			*reason = "sdp-attr: a scope must be a dictionary of add, remove, substitute";
			return -EINVAL;
		}
		const struct bencode_item *command = commands->first_child;
		for (; command && command->next_sibling; command = command->next_sibling->next_sibling) {
			enum edit_verb verb;
			if (verb_of(command->string, command->string_length, &verb) < 0) {
				*reason = "sdp-attr: unknown command (add, remove, substitute)";
				return -EINVAL;
			}
			int error = verb == EDIT_SUBSTITUTE
				? read_substitutions(buffer, edits, scope, command->next_sibling, reason)
				: read_values(buffer, edits, scope, verb, command->next_sibling, reason);
			if (error)
				return error;
		}
	}
	return 0;
}

/* upstream's flag spelling rules: case-insensitive, ' ' and '_' as '-' */
static bool normal_equal(char received, char wanted)
{
	if (received == ' ' || received == '_')
		received = '-';
	return g_ascii_tolower(received) == wanted;
}

/* Whether text starts with word followed by '-'; returns the length consumed, else 0. */
static size_t word_then_dash(const char *text, size_t length, const char *word)
{
	size_t word_length = strlen(word);
	if (length <= word_length)
		return 0;
	for (size_t i = 0; i < word_length; i++)
		if (!normal_equal(text[i], word[i]))
			return 0;
	return normal_equal(text[word_length], '-') ? word_length + 1 : 0;
}

bool sdp_attr_edit_is_flag(const char *flag, size_t length)
{
	return word_then_dash(flag, length, "sdp-attr") > 0;
}

/* Upstream's escapes in a flag's value: "--" for '=', ".." for ' '. */
static char *unescape_flag_value(struct bencode_buffer *buffer, const char *text, size_t length, size_t *out_length)
{
	char *out = bencode_buffer_alloc(buffer, length + 1);
	if (!out)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < length; i++) {
		if (i + 1 < length && text[i] == '-' && text[i + 1] == '-') {
			out[n++] = '=';
			i++;
		} else if (i + 1 < length && text[i] == '.' && text[i + 1] == '.') {
			out[n++] = ' ';
			i++;
		} else {
			out[n++] = text[i];
		}
	}
	out[n] = '\0';
	*out_length = n;
	return out;
}

int sdp_attr_edit_read_flag(struct bencode_buffer *buffer, struct sdp_attr_edits **edits,
			    const char *flag, size_t length, const char **reason)
{
	static const char *const malformed = "sdp-attr flags are sdp-attr-add-SCOPE-ATTRIBUTE, "
		"sdp-attr-remove-SCOPE-ATTRIBUTE or sdp-attr-substitute-SCOPE-FROM>TO (SCOPE: global, none, audio, video)";
	static const char *const verbs[] = { [EDIT_ADD] = "add", [EDIT_REMOVE] = "remove",
					     [EDIT_SUBSTITUTE] = "substitute" };
	static const struct { const char *name; enum edit_scope scope; } scopes[] = {
		{ "global", SCOPE_GLOBAL }, { "none", SCOPE_GLOBAL }, { "audio", SCOPE_AUDIO }, { "video", SCOPE_VIDEO },
	};
	size_t position = word_then_dash(flag, length, "sdp-attr");
	size_t consumed = 0;
	enum edit_verb verb = EDIT_ADD;
	for (size_t i = 0; position && !consumed && i < G_N_ELEMENTS(verbs); i++) {
		consumed = word_then_dash(flag + position, length - position, verbs[i]);
		verb = (enum edit_verb) i;
	}
	if (!consumed) {
		*reason = malformed;
		return -EINVAL;
	}
	position += consumed;
	consumed = 0;
	enum edit_scope scope = SCOPE_GLOBAL;
	for (size_t i = 0; !consumed && i < G_N_ELEMENTS(scopes); i++) {
		consumed = word_then_dash(flag + position, length - position, scopes[i].name);
		scope = scopes[i].scope;
	}
	if (!consumed) {
		*reason = malformed;
		return -EINVAL;
	}
	position += consumed;
	size_t value_length;
	char *value = unescape_flag_value(buffer, flag + position, length - position, &value_length);
	if (!value) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	if (verb != EDIT_SUBSTITUTE)
		return add_edit(buffer, edits, scope, verb, value, value_length, NULL, 0, reason);
	char *arrow = memchr(value, '>', value_length);
	if (!arrow) {
		*reason = malformed;
		return -EINVAL;
	}
	return add_edit(buffer, edits, scope, verb, value, (size_t) (arrow - value), arrow + 1,
			value_length - (size_t) (arrow - value) - 1, reason);
}

/* ---- applying them ---------------------------------------------------------------------------- */

/* remove's match: the whole attribute, or its start up to a ':' or ' ' that ends the pattern
 * or follows it ("rtcp" and "rtcp:" match "rtcp:30001"; "ssrc:12" matches "ssrc:12 cname:x"). */
static bool remove_matches(const struct sdp_attr_edit *edit, const char *attribute, size_t length)
{
	size_t n = edit->value_length;
	if (n > length || g_ascii_strncasecmp(attribute, edit->value, n))
		return false;
	return n == length || edit->value[n - 1] == ':' || attribute[n] == ':' || attribute[n] == ' ';
}

static bool substitute_matches(const struct sdp_attr_edit *edit, const char *attribute, size_t length)
{
	return edit->value_length == length && !g_ascii_strncasecmp(attribute, edit->value, length);
}

/* Whether text (a section of our SDP) has the line "a=value" (case-insensitive). */
static bool section_has(const char *text, size_t length, const char *value, size_t value_length)
{
	const char *end = text + length;
	for (const char *line = text; line < end;) {
		const char *newline = memchr(line, '\n', (size_t) (end - line));
		const char *line_end = newline ? newline : end;
		size_t line_length = (size_t) (line_end - line);
		if (line_length && line[line_length - 1] == '\r')
			line_length--;
		if (line_length == value_length + 2 && line[0] == 'a' && line[1] == '='
		    && !g_ascii_strncasecmp(line + 2, value, value_length))
			return true;
		line = newline ? newline + 1 : end;
	}
	return false;
}

/* The scope's adds at the end of the section that began at out->str + section_start. */
static void append_adds(const struct sdp_attr_edits *edits, enum edit_scope scope, GString *out,
			size_t section_start, const char *terminator)
{
	if (scope == SCOPE_NONE)
		return;
	for (const struct sdp_attr_edit *edit = edits->first[scope]; edit; edit = edit->next) {
		if (edit->verb != EDIT_ADD
		    || section_has(out->str + section_start, out->len - section_start, edit->value, edit->value_length))
			continue;
		if (out->len && out->str[out->len - 1] != '\n')
			g_string_append(out, terminator);
		g_string_append(out, "a=");
		g_string_append_len(out, edit->value, (gssize) edit->value_length);
		g_string_append(out, terminator);
	}
}

static enum edit_scope media_scope(const char *line, size_t length)
{
	if (length >= 8 && !memcmp(line, "m=audio ", 8))
		return SCOPE_AUDIO;
	if (length >= 8 && !memcmp(line, "m=video ", 8))
		return SCOPE_VIDEO;
	return SCOPE_NONE;   /* application, image, text...: no sdp-attr scope names them */
}

/* Writes one a= line of a section in scope to out: dropped, substituted or kept. */
static void edit_attribute(const struct sdp_attr_edits *edits, enum edit_scope scope, GString *out,
			   const char *line, size_t length, const char *terminator, size_t terminator_length)
{
	const char *attribute = line + 2;
	size_t attribute_length = length - 2;
	for (const struct sdp_attr_edit *edit = edits->first[scope]; edit; edit = edit->next)
		if (edit->verb == EDIT_REMOVE && remove_matches(edit, attribute, attribute_length))
			return;
	for (const struct sdp_attr_edit *edit = edits->first[scope]; edit; edit = edit->next) {
		if (edit->verb == EDIT_SUBSTITUTE && substitute_matches(edit, attribute, attribute_length)) {
			g_string_append(out, "a=");
			g_string_append_len(out, edit->replacement, (gssize) edit->replacement_length);
			g_string_append_len(out, terminator, (gssize) terminator_length);
			return;
		}
	}
	g_string_append_len(out, line, (gssize) (length + terminator_length));
}

void sdp_attr_edit_apply(const struct sdp_attr_edits *edits, GString *sdp)
{
	if (!edits || !edits->count)
		return;
	GString *out = g_string_sized_new(sdp->len + 256);
	enum edit_scope scope = SCOPE_GLOBAL;
	size_t section_start = 0;
	const char *terminator = "\r\n";   /* of the lines we add: as the SDP's own lines end */
	const char *end = sdp->str + sdp->len;
	for (const char *line = sdp->str; line < end;) {
		const char *newline = memchr(line, '\n', (size_t) (end - line));
		size_t length = (size_t) ((newline ? newline : end) - line);
		size_t terminator_length = newline ? 1 : 0;
		if (newline && length && line[length - 1] == '\r') {
			length--;
			terminator_length = 2;
		}
		if (terminator_length)
			terminator = terminator_length == 2 ? "\r\n" : "\n";
		if (length >= 2 && line[0] == 'm' && line[1] == '=') {
			append_adds(edits, scope, out, section_start, terminator);
			scope = media_scope(line, length);
			section_start = out->len;
		}
		if (scope != SCOPE_NONE && length >= 2 && line[0] == 'a' && line[1] == '=')
			edit_attribute(edits, scope, out, line, length, line + length, terminator_length);
		else
			g_string_append_len(out, line, (gssize) (length + terminator_length));
		line += length + terminator_length;
	}
	append_adds(edits, scope, out, section_start, terminator);
	g_string_truncate(sdp, 0);
	g_string_append_len(sdp, out->str, (gssize) out->len);
	g_string_free(out, TRUE);
}
