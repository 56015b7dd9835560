/* Unit tests for lib/options.c with a made-up program ("toyrec") and its own small table:
 * what a second program (recording daemon, CLI) gets from the engine without daemon/config.c.
 * Flags, values, lists, ignored and refused options, short letters and bundles, the config
 * file against the command line, unknown options, the engine's own options and --help. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "log.h"
#include "options.h"

/* ---- the made-up program ------------------------------------------------------------------- */

struct toy_config {
	bool verbose;
	long long level;
	char *name;
	GPtrArray *outputs;      /* char *, in the order given */
	unsigned int resets;     /* how often the outputs list was reset */
};

static int apply_verbose(void *target, const char *value, char **reason)
{
	struct toy_config *config = target;
	return options_apply_boolean(value, &config->verbose, reason);
}

static int apply_level(void *target, const char *value, char **reason)
{
	struct toy_config *config = target;
	return options_apply_integer(value, 0, 9, &config->level, reason);
}

static int apply_name(void *target, const char *value, char **reason)
{
	struct toy_config *config = target;
	if (!*value) {
		*reason = g_strdup("expected a name");
		return -EINVAL;
	}
	g_free(config->name);
	config->name = g_strdup(value);
	return 0;
}

static int apply_output(void *target, const char *value, char **reason)
{
	struct toy_config *config = target;
	g_ptr_array_add(config->outputs, g_strdup(value));
	return 0;
}

static void reset_outputs(void *target)
{
	struct toy_config *config = target;
	g_ptr_array_set_size(config->outputs, 0);
	config->resets++;
}

static const struct option_spec toy_options[] = {
	{ .long_name = "help", .short_letter = 'h', .kind = OPTION_FLAG, .description = "Show help" },
	{ .long_name = "version", .kind = OPTION_FLAG, .description = "Print version" },
	{ .long_name = "config-file", .kind = OPTION_VALUE, .value_hint = "FILE", .description = "Config file" },
	{ .long_name = "config-section", .kind = OPTION_VALUE, .value_hint = "NAME", .description = "Section" },
	{ .long_name = "verbose", .short_letter = 'V', .kind = OPTION_FLAG, .apply = apply_verbose,
	  .description = "Talk a lot" },
	{ .long_name = "level", .short_letter = 'l', .kind = OPTION_VALUE, .apply = apply_level,
	  .value_hint = "INT", .description = "Level from 0 to 9" },
	{ .long_name = "name", .kind = OPTION_VALUE, .apply = apply_name, .value_hint = "TEXT",
	  .description = "What to call it" },
	{ .long_name = "output", .short_letter = 'o', .kind = OPTION_LIST, .apply = apply_output,
	  .reset = reset_outputs, .value_hint = "DIR", .description = "Where to write (repeatable)" },
	{ .long_name = "colour", .kind = OPTION_VALUE, .support = OPTION_IGNORED },
	{ .long_name = "quiet", .short_letter = 'q', .kind = OPTION_FLAG, .support = OPTION_IGNORED },
	{ .long_name = "database", .short_letter = 'd', .kind = OPTION_VALUE, .support = OPTION_UNSUPPORTED },
};

/* ---- helpers ------------------------------------------------------------------------------ */

struct fixture {
	char *directory;
	char *default_file;      /* inside directory; written only by the tests that want it */
	struct toy_config config;
	struct options_sources sources;
	char *error;
};

static void fixture_set_up(struct fixture *fixture, gconstpointer data)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->directory = g_dir_make_tmp("test_options_XXXXXX", NULL);
	g_assert_nonnull(fixture->directory);
	fixture->default_file = g_build_filename(fixture->directory, "toyrec.conf", NULL);
	fixture->config.outputs = g_ptr_array_new_with_free_func(g_free);
}

static void fixture_tear_down(struct fixture *fixture, gconstpointer data)
{
	options_sources_free(&fixture->sources);
	g_free(fixture->error);
	g_free(fixture->config.name);
	g_ptr_array_free(fixture->config.outputs, TRUE);
	GDir *dir = g_dir_open(fixture->directory, 0, NULL);
	const char *name;
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(fixture->directory, name, NULL);
		g_unlink(path);
	}
	if (dir)
		g_dir_close(dir);
	g_rmdir(fixture->directory);
	g_free(fixture->directory);
	g_free(fixture->default_file);
}

static struct option_program toy_program(const struct fixture *fixture)
{
	return (struct option_program) {
		.name = "toyrec",
		.summary = "a made-up recorder",
		.version = "1.2.3",
		.default_file = fixture->default_file,
		.default_section = "toyrec",
		.options = toy_options,
		.option_count = G_N_ELEMENTS(toy_options),
	};
}

static char *write_file(struct fixture *fixture, const char *name, const char *contents)
{
	char *path = g_build_filename(fixture->directory, name, NULL);
	g_assert_true(g_file_set_contents(path, contents, -1, NULL));
	return path;
}

/* Runs options_load on a NULL-terminated list of arguments (argv[0] is added) into a freshly
 * reset fixture->config. */
static enum options_result load(struct fixture *fixture, const char *first, ...)
{
	GPtrArray *arguments = g_ptr_array_new();
	g_ptr_array_add(arguments, (gpointer) "toyrec");
	va_list list;
	va_start(list, first);
	for (const char *argument = first; argument; argument = va_arg(list, const char *))
		g_ptr_array_add(arguments, (gpointer) argument);
	va_end(list);
	g_ptr_array_add(arguments, NULL);

	g_clear_pointer(&fixture->error, g_free);
	g_clear_pointer(&fixture->config.name, g_free);
	options_sources_free(&fixture->sources);
	g_ptr_array_set_size(fixture->config.outputs, 0);
	fixture->config.verbose = false;
	fixture->config.level = -1;
	fixture->config.resets = 0;

	struct option_program program = toy_program(fixture);
	enum options_result result = options_load(&program, &fixture->config, (int) arguments->len - 1,
			(char **) arguments->pdata, &fixture->sources, &fixture->error);
	g_ptr_array_free(arguments, TRUE);
	if (result == OPTIONS_ERROR)
		g_assert_nonnull(fixture->error);
	else
		g_assert_null(fixture->error);
	return result;
}

static void assert_error_contains(struct fixture *fixture, enum options_result result, const char *part)
{
	g_assert_cmpint(result, ==, OPTIONS_ERROR);
	if (!strstr(fixture->error, part))
		g_error("error message '%s' does not contain '%s'", fixture->error, part);
}

static void assert_outputs(const struct fixture *fixture, unsigned int count, ...)
{
	g_assert_cmpuint(fixture->config.outputs->len, ==, count);
	va_list list;
	va_start(list, count);
	for (unsigned int i = 0; i < count; i++)
		g_assert_cmpstr(g_ptr_array_index(fixture->config.outputs, i), ==, va_arg(list, const char *));
	va_end(list);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_nothing_given(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load(fixture, NULL), ==, OPTIONS_OK);
	g_assert_false(fixture->config.verbose);
	g_assert_cmpint(fixture->config.level, ==, -1);
	g_assert_null(fixture->config.name);
	assert_outputs(fixture, 0);
	/* The default file does not exist: not an error, and nothing was read. */
	g_assert_null(fixture->sources.config_file);
	g_assert_cmpstr(fixture->sources.config_section, ==, "toyrec");
}

static void test_long_and_short_forms(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load(fixture, "--verbose", "--level=3", "--name", "-dash-", "--output=/a", "--output", "/b",
			NULL), ==, OPTIONS_OK);
	g_assert_true(fixture->config.verbose);
	g_assert_cmpint(fixture->config.level, ==, 3);
	g_assert_cmpstr(fixture->config.name, ==, "-dash-");   /* a next-argument value may start with '-' */
	assert_outputs(fixture, 2, "/a", "/b");

	/* -V -l 4, -l4, bundled -Vo/c, and a value option ending a bundle. */
	g_assert_cmpint(load(fixture, "-V", "-l", "4", NULL), ==, OPTIONS_OK);
	g_assert_true(fixture->config.verbose);
	g_assert_cmpint(fixture->config.level, ==, 4);
	g_assert_cmpint(load(fixture, "-l5", "-Vo/c", "-o", "/d", NULL), ==, OPTIONS_OK);
	g_assert_true(fixture->config.verbose);
	g_assert_cmpint(fixture->config.level, ==, 5);
	assert_outputs(fixture, 2, "/c", "/d");
	g_assert_cmpint(load(fixture, "-Vl", "6", NULL), ==, OPTIONS_OK);
	g_assert_cmpint(fixture->config.level, ==, 6);
	g_assert_cmpint(load(fixture, "--level=0x7", NULL), ==, OPTIONS_OK);
	g_assert_cmpint(fixture->config.level, ==, 7);
	/* The last value wins. */
	g_assert_cmpint(load(fixture, "-l", "1", "--level=2", NULL), ==, OPTIONS_OK);
	g_assert_cmpint(fixture->config.level, ==, 2);
}

static void test_bad_command_lines(struct fixture *fixture, gconstpointer data)
{
	assert_error_contains(fixture, load(fixture, "--nonsense", NULL), "unknown option '--nonsense' (see --help)");
	assert_error_contains(fixture, load(fixture, "-Vx", NULL), "unknown option '-x'");
	assert_error_contains(fixture, load(fixture, "--verbose=yes", NULL), "option '--verbose' takes no value");
	assert_error_contains(fixture, load(fixture, "--level", NULL), "option '--level' needs a value (INT)");
	assert_error_contains(fixture, load(fixture, "-l", NULL), "option '-l' (--level) needs a value (INT)");
	assert_error_contains(fixture, load(fixture, "--level=10", NULL),
			"command line: invalid value '10' for option 'level': expected an integer from 0 to 9");
	assert_error_contains(fixture, load(fixture, "--name=", NULL), "for option 'name': expected a name");
	assert_error_contains(fixture, load(fixture, "stray", NULL), "unexpected argument 'stray'");
	assert_error_contains(fixture, load(fixture, "--", "stray", NULL), "unexpected argument 'stray'");
	g_assert_cmpint(load(fixture, "-V", "--", NULL), ==, OPTIONS_OK);
}

static void test_ignored_and_refused(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load(fixture, "--colour=blue", "-q", "-V", NULL), ==, OPTIONS_OK);
	g_assert_true(fixture->config.verbose);
	/* Refused on the command line in both forms, naming the program. */
	assert_error_contains(fixture, load(fixture, "--database=x", NULL),
			"command line: option 'database' is not supported by this toyrec implementation");
	assert_error_contains(fixture, load(fixture, "-d", "x", NULL), "option 'database' is not supported");
	/* And in the file. */
	g_autofree char *path = write_file(fixture, "refused.conf", "[toyrec]\ncolour = red\ndatabase = x\n");
	g_autofree char *option = g_strdup_printf("--config-file=%s", path);
	assert_error_contains(fixture, load(fixture, option, NULL), "section [toyrec]: option 'database' is not supported");
}

static void test_file_and_precedence(struct fixture *fixture, gconstpointer data)
{
	g_autofree char *path = write_file(fixture, "toy.conf",
			"[toyrec]\nverbose = true\nlevel = 8\nname = from-file\noutput = /f1; /f2 ;;\nunknown-key = 1\n"
			"help = true\nversion = true\n[other]\nlevel = 1\n");
	g_autofree char *option = g_strdup_printf("--config-file=%s", path);

	g_assert_cmpint(load(fixture, option, NULL), ==, OPTIONS_OK);
	g_assert_true(fixture->config.verbose);
	g_assert_cmpint(fixture->config.level, ==, 8);
	g_assert_cmpstr(fixture->config.name, ==, "from-file");
	assert_outputs(fixture, 2, "/f1", "/f2");
	g_assert_cmpuint(fixture->config.resets, ==, 0);
	g_assert_cmpstr(fixture->sources.config_file, ==, path);
	g_assert_cmpstr(fixture->sources.config_section, ==, "toyrec");

	/* The command line wins whatever its position; a list given there replaces the file's
	 * list (reset once, however often the option is given). */
	g_assert_cmpint(load(fixture, "--level=2", option, "-o", "/c1", "--output=/c2", NULL), ==, OPTIONS_OK);
	g_assert_cmpint(fixture->config.level, ==, 2);
	g_assert_cmpstr(fixture->config.name, ==, "from-file");
	assert_outputs(fixture, 2, "/c1", "/c2");
	g_assert_cmpuint(fixture->config.resets, ==, 1);

	/* Another section. */
	g_assert_cmpint(load(fixture, option, "--config-section=other", NULL), ==, OPTIONS_OK);
	g_assert_cmpint(fixture->config.level, ==, 1);
	g_assert_null(fixture->config.name);
	g_assert_cmpstr(fixture->sources.config_section, ==, "other");
	assert_error_contains(fixture, load(fixture, option, "--config-section=absent", NULL), "has no section [absent]");
	assert_error_contains(fixture, load(fixture, option, "--config-section=", NULL), "expected a section name");

	/* Bad values in the file name the file, the section and the key. */
	g_autofree char *bad = write_file(fixture, "bad.conf", "[toyrec]\nlevel = eleven\n");
	g_autofree char *bad_option = g_strdup_printf("--config-file=%s", bad);
	assert_error_contains(fixture, load(fixture, bad_option, NULL),
			"section [toyrec]: invalid value 'eleven' for option 'level'");
	g_autofree char *flag = write_file(fixture, "flag.conf", "[toyrec]\nverbose = maybe\n");
	g_autofree char *flag_option = g_strdup_printf("--config-file=%s", flag);
	assert_error_contains(fixture, load(fixture, flag_option, NULL), "expected true or false");
}

static void test_default_file(struct fixture *fixture, gconstpointer data)
{
	g_autofree char *path = write_file(fixture, "toyrec.conf", "[toyrec]\nlevel = 9\n");
	g_assert_cmpstr(path, ==, fixture->default_file);
	g_assert_cmpint(load(fixture, NULL), ==, OPTIONS_OK);
	g_assert_cmpint(fixture->config.level, ==, 9);
	g_assert_cmpstr(fixture->sources.config_file, ==, fixture->default_file);
	/* "none" reads no file at all. */
	g_assert_cmpint(load(fixture, "--config-file", "none", NULL), ==, OPTIONS_OK);
	g_assert_cmpint(fixture->config.level, ==, -1);
	g_assert_null(fixture->sources.config_file);
	/* A file named on the command line must exist. */
	g_autofree char *missing = g_build_filename(fixture->directory, "missing.conf", NULL);
	g_autofree char *missing_option = g_strdup_printf("--config-file=%s", missing);
	assert_error_contains(fixture, load(fixture, missing_option, NULL), "cannot read config file");
	assert_error_contains(fixture, load(fixture, "--config-file=", NULL), "expected a file name or none");
}

static void test_help_and_version(struct fixture *fixture, gconstpointer data)
{
	/* Both stop before any file is read or value applied. */
	g_assert_cmpint(load(fixture, "-V", "--help", "--config-file=/nonexistent", NULL), ==, OPTIONS_EXIT_SUCCESS);
	g_assert_false(fixture->config.verbose);
	g_assert_cmpint(load(fixture, "--version", NULL), ==, OPTIONS_EXIT_SUCCESS);

	struct option_program program = toy_program(fixture);
	g_autofree char *help = options_help_text(&program);
	static const char *const expected[] = {
		"Usage:\n  toyrec [OPTION...]  - a made-up recorder\n",
		"  -h, --help ", "      --version ", "      --config-file=FILE ", "  -V, --verbose ",
		"  -l, --level=INT ", "Level from 0 to 9\n", "      --name=TEXT ",
		"  -o, --output=DIR ", "Where to write (repeatable)\n",
		"Accepted for compatibility with upstream toyrec and ignored:\n  --colour --quiet\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
		if (!strstr(help, expected[i]))
			g_error("--help lacks '%s':\n%s", expected[i], help);
	/* Refused options are not offered. */
	g_assert_null(strstr(help, "database"));
}

static void test_value_parsers(void)
{
	long long number = 0;
	g_assert_cmpint(options_parse_integer(" 0x1f ", 0, 100, &number), ==, 0);
	g_assert_cmpint(number, ==, 31);
	g_assert_cmpint(options_parse_integer("010", 0, 100, &number), ==, 0);
	g_assert_cmpint(number, ==, 10);
	g_assert_cmpint(options_parse_integer("-5", -10, 10, &number), ==, 0);
	g_assert_cmpint(number, ==, -5);
	g_assert_cmpint(options_parse_integer("11", 0, 10, &number), ==, -ERANGE);
	g_assert_cmpint(options_parse_integer("99999999999999999999", 0, 10, &number), ==, -ERANGE);
	g_assert_cmpint(options_parse_integer("1x", 0, 10, &number), ==, -EINVAL);
	g_assert_cmpint(options_parse_integer("", 0, 10, &number), ==, -EINVAL);
	g_assert_cmpint(options_parse_integer(NULL, 0, 10, &number), ==, -EINVAL);
	bool flag = false;
	g_assert_cmpint(options_parse_boolean(" TRUE", &flag), ==, 0);
	g_assert_true(flag);
	g_assert_cmpint(options_parse_boolean("0", &flag), ==, 0);
	g_assert_false(flag);
	g_assert_cmpint(options_parse_boolean("yes", &flag), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	struct log_settings quiet = { .level = LOG_CRIT, .facility = LOG_USER, .to_stderr = true };
	log_init("toyrec", &quiet);
#define ADD(path, function) \
	g_test_add(path, struct fixture, NULL, fixture_set_up, function, fixture_tear_down)
	ADD("/options/nothing-given", test_nothing_given);
	ADD("/options/long-and-short-forms", test_long_and_short_forms);
	ADD("/options/bad-command-lines", test_bad_command_lines);
	ADD("/options/ignored-and-refused", test_ignored_and_refused);
	ADD("/options/file-and-precedence", test_file_and_precedence);
	ADD("/options/default-file", test_default_file);
	ADD("/options/help-and-version", test_help_and_version);
#undef ADD
	g_test_add_func("/options/value-parsers", test_value_parsers);
	return g_test_run();
}
