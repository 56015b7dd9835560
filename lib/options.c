/* The option engine; see options.h for the syntax and the rules.
 *
 * Loading happens in four steps, so that the command line overrides the file whatever the
 * order of arguments:
 *   1. tokenise argv into (option, value) pairs, rejecting unknown and refused options;
 *   2. --help / --version stop here;
 *   3. read the config file (default, --config-file, or none) and apply its keys;
 *   4. reset the lists the command line gives, then apply the command line pairs. */
#include "options.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

/* The long names options_load() handles itself (see options.h). */
#define HELP_OPTION "help"
#define VERSION_OPTION "version"
#define FILE_OPTION "config-file"
#define SECTION_OPTION "config-section"
/* --config-file=none: read no file at all, not even the default one. */
#define NO_FILE "none"

/* One option found on the command line. */
struct given_option {
	const struct option_spec *spec;
	const char *value;              /* points into argv; "true" for flags */
};

/* ---- table look-ups and reporting ------------------------------------------------------ */

static const struct option_spec *find_long_option(const struct option_program *program, const char *name,
						  size_t length)
{
	for (size_t i = 0; i < program->option_count; i++) {
		const char *candidate = program->options[i].long_name;
		if (strlen(candidate) == length && !strncmp(candidate, name, length))
			return &program->options[i];
	}
	return NULL;
}

static const struct option_spec *find_short_option(const struct option_program *program, char letter)
{
	for (size_t i = 0; letter && i < program->option_count; i++)
		if (program->options[i].short_letter == letter)
			return &program->options[i];
	return NULL;
}

static bool is_named(const struct option_spec *spec, const char *name)
{
	return !strcmp(spec->long_name, name);
}

static bool is_engine_option(const struct option_spec *spec)
{
	return is_named(spec, HELP_OPTION) || is_named(spec, VERSION_OPTION) || is_named(spec, FILE_OPTION) ||
		is_named(spec, SECTION_OPTION);
}

static void log_ignored_option(const struct option_program *program, const struct option_spec *spec,
			       const char *origin)
{
	log_notice("%s: option '%s' belongs to a capability this %s does not implement yet; ignored",
			origin, spec->long_name, program->name);
}

static char *unsupported_message(const struct option_program *program, const struct option_spec *spec,
				 const char *origin)
{
	return g_strdup_printf("%s: option '%s' is not supported by this %s implementation", origin,
			spec->long_name, program->name);
}

/* ---- step 1: command line tokenising ----------------------------------------------------- */

/* "--name[=value]" at argv[*index]; may consume the next argument as the value. */
static int tokenise_long_option(const struct option_program *program, int argc, char **argv, int *index,
				GArray *given, char **error_message)
{
	const char *name = argv[*index] + 2;
	const char *equals = strchr(name, '=');
	size_t name_length = equals ? (size_t) (equals - name) : strlen(name);
	const struct option_spec *spec = find_long_option(program, name, name_length);
	if (!spec) {
		*error_message = g_strdup_printf("unknown option '--%.*s' (see --help)", (int) name_length, name);
		return -EINVAL;
	}
	if (spec->support == OPTION_UNSUPPORTED) {
		*error_message = unsupported_message(program, spec, "command line");
		return -ENOTSUP;
	}
	struct given_option option = { .spec = spec, .value = "true" };
	if (spec->kind == OPTION_FLAG) {
		if (equals) {
			*error_message = g_strdup_printf("option '--%s' takes no value (got '%s')", spec->long_name,
					equals + 1);
			return -EINVAL;
		}
	} else if (equals) {
		option.value = equals + 1;
	} else if (*index + 1 < argc && argv[*index + 1]) {
		option.value = argv[++*index];
	} else {
		*error_message = g_strdup_printf("option '--%s' needs a value (%s)", spec->long_name,
				spec->value_hint ? spec->value_hint : "VALUE");
		return -EINVAL;
	}
	g_array_append_val(given, option);
	return 0;
}

/* One or more short letters at argv[*index]; a letter that takes a value ends the bundle and
 * takes the rest of the argument, else the next argument. */
static int tokenise_short_options(const struct option_program *program, int argc, char **argv, int *index,
				  GArray *given, char **error_message)
{
	for (const char *letter = argv[*index] + 1; *letter; letter++) {
		const struct option_spec *spec = find_short_option(program, *letter);
		if (!spec) {
			*error_message = g_strdup_printf("unknown option '-%c' (see --help)", *letter);
			return -EINVAL;
		}
		if (spec->support == OPTION_UNSUPPORTED) {
			*error_message = unsupported_message(program, spec, "command line");
			return -ENOTSUP;
		}
		struct given_option option = { .spec = spec, .value = "true" };
		if (spec->kind != OPTION_FLAG) {
			if (letter[1]) {
				option.value = letter + 1;
			} else if (*index + 1 < argc && argv[*index + 1]) {
				option.value = argv[++*index];
			} else {
				*error_message = g_strdup_printf("option '-%c' (--%s) needs a value (%s)", *letter,
						spec->long_name, spec->value_hint ? spec->value_hint : "VALUE");
				return -EINVAL;
			}
			g_array_append_val(given, option);
			break;
		}
		g_array_append_val(given, option);
	}
	return 0;
}

static int tokenise_command_line(const struct option_program *program, int argc, char **argv, GArray *given,
				 char **error_message)
{
	for (int index = 1; index < argc; index++) {
		const char *argument = argv[index];
		if (!argument)
			break;
		if (!strcmp(argument, "--")) {
			if (index + 1 < argc) {
				*error_message = g_strdup_printf("unexpected argument '%s'", argv[index + 1]);
				return -EINVAL;
			}
			break;
		}
		if (argument[0] != '-' || argument[1] == '\0') {
			*error_message = g_strdup_printf("unexpected argument '%s' (options start with - or --)", argument);
			return -EINVAL;
		}
		int result = argument[1] == '-'
			? tokenise_long_option(program, argc, argv, &index, given, error_message)
			: tokenise_short_options(program, argc, argv, &index, given, error_message);
		if (result < 0)
			return result;
	}
	return 0;
}

/* ---- steps 3 and 4: applying values -------------------------------------------------------- */

static int apply_option(const struct option_program *program, void *target, const struct option_spec *spec,
			const char *value, const char *origin, char **error_message)
{
	if (spec->support == OPTION_IGNORED) {
		log_ignored_option(program, spec, origin);
		return 0;
	}
	if (spec->support == OPTION_UNSUPPORTED) {
		*error_message = unsupported_message(program, spec, origin);
		return -ENOTSUP;
	}
	if (!spec->apply)
		return 0;   /* the engine's own options, read before this step */
	char *reason = NULL;
	int result = spec->apply(target, value, &reason);
	if (result < 0) {
		*error_message = g_strdup_printf("%s: invalid value '%s' for option '%s': %s", origin, value,
				spec->long_name, reason ? reason : "not accepted");
		g_free(reason);
		return result;
	}
	g_free(reason);
	return 0;
}

static int apply_file_key(const struct option_program *program, void *target, GKeyFile *file,
			  const char *section, const char *key, const char *origin, char **error_message)
{
	const struct option_spec *spec = find_long_option(program, key, strlen(key));
	if (!spec) {
		/* Upstream ignores keys it does not know; files are often shared with other tools. */
		log_warning("%s: unknown key '%s' ignored", origin, key);
		return 0;
	}
	if (is_engine_option(spec))
		return 0;

	GError *error = NULL;
	if (spec->kind == OPTION_LIST && spec->support == OPTION_SUPPORTED) {
		gsize count = 0;
		char **values = g_key_file_get_string_list(file, section, key, &count, &error);
		if (!values) {
			*error_message = g_strdup_printf("%s: cannot read key '%s': %s", origin, key,
					error ? error->message : "unknown error");
			g_clear_error(&error);
			return -EINVAL;
		}
		int result = 0;
		for (gsize i = 0; i < count && result == 0; i++) {
			g_strstrip(values[i]);
			if (!*values[i])
				continue;
			result = apply_option(program, target, spec, values[i], origin, error_message);
		}
		g_strfreev(values);
		return result;
	}
	char *value = g_key_file_get_string(file, section, key, &error);
	if (!value) {
		*error_message = g_strdup_printf("%s: cannot read key '%s': %s", origin, key,
				error ? error->message : "unknown error");
		g_clear_error(&error);
		return -EINVAL;
	}
	g_strstrip(value);
	int result = apply_option(program, target, spec, value, origin, error_message);
	g_free(value);
	return result;
}

/* Reads path's section; required says whether a missing file is an error. Sets
 * *file_was_read when the file existed. */
static int load_config_file(const struct option_program *program, void *target, const char *path,
			    const char *section, bool required, bool *file_was_read, char **error_message)
{
	*file_was_read = false;
	if (!required && !g_file_test(path, G_FILE_TEST_EXISTS))
		return 0;
	GKeyFile *file = g_key_file_new();
	GError *error = NULL;
	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &error)) {
		*error_message = g_strdup_printf("cannot read config file '%s': %s", path,
				error ? error->message : "unknown error");
		g_clear_error(&error);
		g_key_file_free(file);
		return -EINVAL;
	}
	*file_was_read = true;
	if (!g_key_file_has_group(file, section)) {
		*error_message = g_strdup_printf("config file '%s' has no section [%s]", path, section);
		g_key_file_free(file);
		return -ENOENT;
	}
	g_autofree char *origin = g_strdup_printf("config file '%s' section [%s]", path, section);
	gsize key_count = 0;
	char **keys = g_key_file_get_keys(file, section, &key_count, NULL);
	int result = 0;
	for (gsize i = 0; keys && i < key_count && result == 0; i++)
		result = apply_file_key(program, target, file, section, keys[i], origin, error_message);
	g_strfreev(keys);
	g_key_file_free(file);
	return result;
}

/* Each list the command line gives is reset once, before its first command line value. */
static void reset_command_line_lists(void *target, const GArray *given)
{
	for (guint i = 0; i < given->len; i++) {
		const struct option_spec *spec = g_array_index(given, struct given_option, i).spec;
		if (spec->kind != OPTION_LIST || spec->support != OPTION_SUPPORTED || !spec->reset)
			continue;
		bool seen_before = false;
		for (guint j = 0; j < i && !seen_before; j++)
			seen_before = g_array_index(given, struct given_option, j).spec == spec;
		if (!seen_before)
			spec->reset(target);
	}
}

static void print_help(const struct option_program *program)
{
	char *help = options_help_text(program);
	fputs(help, stdout);
	fflush(stdout);
	g_free(help);
}

static void print_version(const struct option_program *program)
{
	printf("Version: %s\n", program->version ? program->version : "unknown");
	fflush(stdout);
}

/* ---- public functions ------------------------------------------------------------------- */

enum options_result options_load(const struct option_program *program, void *target, int argc, char **argv,
				 struct options_sources *sources, char **error_message)
{
	char *ignored_message = NULL;
	if (!error_message)
		error_message = &ignored_message;
	*error_message = NULL;
	GArray *given = g_array_new(FALSE, TRUE, sizeof(struct given_option));
	enum options_result outcome = OPTIONS_ERROR;
	char *file_read = NULL;

	if (tokenise_command_line(program, argc, argv, given, error_message) < 0)
		goto done;

	const char *file_name = NULL;
	const char *section = program->default_section ? program->default_section : "";
	bool help_requested = false, version_requested = false;
	for (guint i = 0; i < given->len; i++) {
		const struct given_option *option = &g_array_index(given, struct given_option, i);
		if (is_named(option->spec, HELP_OPTION))
			help_requested = true;
		else if (is_named(option->spec, VERSION_OPTION))
			version_requested = true;
		else if (is_named(option->spec, FILE_OPTION))
			file_name = option->value;
		else if (is_named(option->spec, SECTION_OPTION))
			section = option->value;
	}
	if (help_requested) {
		print_help(program);
		outcome = OPTIONS_EXIT_SUCCESS;
		goto done;
	}
	if (version_requested) {
		print_version(program);
		outcome = OPTIONS_EXIT_SUCCESS;
		goto done;
	}
	if (!*section) {
		*error_message = g_strdup("invalid value '' for option '" SECTION_OPTION "': expected a section name");
		goto done;
	}
	if (file_name && !*file_name) {
		*error_message = g_strdup("invalid value '' for option '" FILE_OPTION "': expected a file name or none");
		goto done;
	}

	bool required = file_name != NULL;
	const char *path = file_name ? file_name : program->default_file ? program->default_file : NO_FILE;
	if (strcmp(path, NO_FILE) != 0) {
		bool file_was_read = false;
		if (load_config_file(program, target, path, section, required, &file_was_read, error_message) < 0)
			goto done;
		if (file_was_read)
			file_read = g_strdup(path);
	}

	reset_command_line_lists(target, given);
	for (guint i = 0; i < given->len; i++) {
		const struct given_option *option = &g_array_index(given, struct given_option, i);
		if (apply_option(program, target, option->spec, option->value, "command line", error_message) < 0)
			goto done;
	}
	if (sources) {
		sources->config_file = file_read;
		sources->config_section = g_strdup(section);
		file_read = NULL;
	}
	outcome = OPTIONS_OK;

done:
	g_free(file_read);
	g_array_free(given, TRUE);
	if (outcome != OPTIONS_ERROR) {
		g_free(*error_message);
		*error_message = NULL;
	} else if (!*error_message) {
		*error_message = g_strdup("invalid configuration");
	}
	g_free(ignored_message);
	return outcome;
}

void options_sources_free(struct options_sources *sources)
{
	if (!sources)
		return;
	g_free(sources->config_file);
	g_free(sources->config_section);
	sources->config_file = NULL;
	sources->config_section = NULL;
}

char *options_help_text(const struct option_program *program)
{
	GString *text = g_string_new(NULL);
	g_string_append_printf(text, "Usage:\n  %s [OPTION...]  - %s\n\nOptions:\n", program->name,
			program->summary ? program->summary : "");
	bool any_ignored = false;
	for (size_t i = 0; i < program->option_count; i++) {
		const struct option_spec *spec = &program->options[i];
		any_ignored |= spec->support == OPTION_IGNORED;
		if (spec->support != OPTION_SUPPORTED)
			continue;
		g_autofree char *left = g_strdup_printf("%c%c%s--%s%s%s",
				spec->short_letter ? '-' : ' ', spec->short_letter ? spec->short_letter : ' ',
				spec->short_letter ? ", " : "  ", spec->long_name, spec->value_hint ? "=" : "",
				spec->value_hint ? spec->value_hint : "");
		g_string_append_printf(text, "  %-58s %s\n", left, spec->description ? spec->description : "");
	}
	if (!any_ignored)
		return g_string_free(text, FALSE);
	g_string_append_printf(text, "\nAccepted for compatibility with upstream %s and ignored:\n ", program->name);
	size_t column = 1;
	for (size_t i = 0; i < program->option_count; i++) {
		const struct option_spec *spec = &program->options[i];
		if (spec->support != OPTION_IGNORED)
			continue;
		size_t width = strlen(spec->long_name) + 3;
		if (column + width > 100) {
			g_string_append(text, "\n ");
			column = 1;
		}
		g_string_append_printf(text, " --%s", spec->long_name);
		column += width;
	}
	g_string_append(text, "\n");
	return g_string_free(text, FALSE);
}

int options_parse_integer(const char *value, long long minimum, long long maximum, long long *result)
{
	if (!value)
		return -EINVAL;
	while (g_ascii_isspace(*value))
		value++;
	const char *digits = value;
	bool negative = false;
	if (*digits == '-' || *digits == '+') {
		negative = *digits == '-';
		digits++;
	}
	int base = 10;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		base = 16;
		digits += 2;
	}
	if (!g_ascii_isxdigit(*digits) || (base == 10 && !g_ascii_isdigit(*digits)))
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	unsigned long long magnitude = strtoull(digits, &end, base);
	if (errno == ERANGE || magnitude > (unsigned long long) LLONG_MAX)
		return -ERANGE;
	while (g_ascii_isspace(*end))
		end++;
	if (*end)
		return -EINVAL;
	long long number = negative ? -(long long) magnitude : (long long) magnitude;
	if (number < minimum || number > maximum)
		return -ERANGE;
	*result = number;
	return 0;
}

int options_parse_boolean(const char *value, bool *result)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(value ? value : ""));
	if (!g_ascii_strcasecmp(trimmed, "true") || !strcmp(trimmed, "1")) {
		*result = true;
		return 0;
	}
	if (!g_ascii_strcasecmp(trimmed, "false") || !strcmp(trimmed, "0")) {
		*result = false;
		return 0;
	}
	return -EINVAL;
}

int options_apply_integer(const char *value, long long minimum, long long maximum, long long *result,
			  char **reason)
{
	int error = options_parse_integer(value, minimum, maximum, result);
	if (error < 0)
		*reason = g_strdup_printf("expected an integer from %lld to %lld", minimum, maximum);
	return error;
}

int options_apply_boolean(const char *value, bool *result, char **reason)
{
	int error = options_parse_boolean(value, result);
	if (error < 0)
		*reason = g_strdup("expected true or false");
	return error;
}
