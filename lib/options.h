/* The option engine every program shares: a command line in upstream rtpengine's (GOption's)
 * syntax plus an INI config file, read against a table the program supplies.
 *
 * A program describes each option once (struct option_spec): its long name, optional short
 * letter, kind and support. Support has three states, so that nothing is silently dropped:
 *   OPTION_SUPPORTED    the value is handed to the option's apply function;
 *   OPTION_IGNORED      an upstream option for a capability the program lacks whose absence
 *                       changes nothing the operator relies on: accepted, logged, ignored;
 *   OPTION_UNSUPPORTED  an upstream option whose absence would change behaviour: an error
 *                       that names the option.
 *
 * Syntax. Command line: --name=value, --name value, -x value, -xvalue, bundled flags (-fE);
 * a value that follows as the next argument is taken even when it starts with '-' ("-t -1");
 * "--" ends the options and nothing may follow it. Config file: GLib's GKeyFile, one section
 * (keys are the long names, flags take true/false, a list is one ';'-separated value); keys
 * the table does not know are logged and skipped, since files are often shared with other
 * tools.
 *
 * Precedence: the command line overrides the file whatever the order of arguments: the file
 * is applied first, then the command line in its order (so for a value option the last one
 * given wins). A list option given on the command line replaces the file's list: its reset
 * function runs once before the command line's values are applied.
 *
 * Four long names are handled by the engine itself when the program's table lists them (with
 * apply NULL; the table decides their letters and where --help shows them): "help" prints
 * the --help text on stdout, "version" prints "Version: V", "config-file" names the file
 * ("none": no file; without it the program's default file is read when it exists) and
 * "config-section" the section. They are never read from the file.
 *
 * Messages name their origin ("command line", "config file 'F' section [S]") and, for
 * ignored and refused options, the program ("... this rtpengine implementation").
 *
 * Threads: options_load() runs once at start-up on one thread; it logs through log.h.
 */
#ifndef RTPENGINE_OPTIONS_H
#define RTPENGINE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum option_kind {
	OPTION_FLAG,        /* no value on the command line; true/false in the file */
	OPTION_VALUE,       /* one value; the last one given wins */
	OPTION_LIST,        /* repeatable on the command line; ';'-separated list in the file */
};

enum option_support {
	OPTION_SUPPORTED,
	OPTION_IGNORED,     /* upstream option for a capability we lack, harmless to ignore */
	OPTION_UNSUPPORTED, /* upstream option whose absence would change behaviour: an error */
};

/* Applies one value to the program's target (the void * given to options_load). Flags get
 * "true" from the command line and the file's text ("true", "false", "1", "0") from the file.
 * Returns 0, or a negative errno with *reason set to a g_malloc'ed description of what was
 * expected (the engine wraps it in "ORIGIN: invalid value 'V' for option 'NAME': REASON"). */
typedef int (*option_apply_function)(void *target, const char *value, char **reason);
/* Empties a list option's values (see "Precedence" above). */
typedef void (*option_reset_function)(void *target);

struct option_spec {
	const char *long_name;
	char short_letter;              /* 0 when the option has none */
	enum option_kind kind;
	enum option_support support;
	option_apply_function apply;    /* NULL for ignored, unsupported and the engine's own options */
	option_reset_function reset;    /* lists only; NULL: the command line adds to the file's list */
	const char *value_hint;         /* for --help: "--name=HINT" */
	const char *description;        /* for --help */
};

/* What a program tells the engine about itself. */
struct option_program {
	const char *name;               /* "rtpengine": --help usage line and messages */
	const char *summary;            /* one line for the usage line, "media relay, ng protocol" */
	const char *version;            /* printed by --version */
	const char *default_file;       /* read when it exists and --config-file is not given; NULL: none */
	const char *default_section;    /* used when --config-section is not given */
	const struct option_spec *options;
	size_t option_count;
};

enum options_result {
	OPTIONS_OK = 0,
	OPTIONS_EXIT_SUCCESS = 1,       /* --help / --version printed on stdout: exit 0 */
	OPTIONS_ERROR = -1,
};

/* Where the values came from (g_malloc'ed; options_sources_free releases them). */
struct options_sources {
	char *config_file;              /* the file read; NULL when none was */
	char *config_section;           /* the section used, also when no file was read */
};

/* Reads argv (argv[0] is the program's name) and the config file, applying every value to
 * target through the table. On OPTIONS_ERROR, *error_message (when error_message is not NULL)
 * is a g_malloc'ed human readable message; the apply functions may have changed target
 * partly. sources may be NULL; it is filled on OPTIONS_OK only. */
enum options_result options_load(const struct option_program *program, void *target, int argc, char **argv,
				 struct options_sources *sources, char **error_message);
void options_sources_free(struct options_sources *sources);

/* The --help text (g_malloc'ed): a usage line, every supported option with its letter, hint
 * and description in table order, then the names of the ignored ones. */
char *options_help_text(const struct option_program *program);

/* ---- value parsers for apply functions ---------------------------------------------------- */

/* Integers in decimal, or hexadecimal with 0x (upstream's command line accepts C notation,
 * and TOS values are often written 0xb8). Leading zeros stay decimal: no octal surprises.
 * Surrounding white space is allowed. Returns 0, -EINVAL (not a number) or -ERANGE (outside
 * minimum..maximum). */
int options_parse_integer(const char *value, long long minimum, long long maximum, long long *result);
/* true/false or 1/0, compared without case (GKeyFile writes true/false). 0 or -EINVAL. */
int options_parse_boolean(const char *value, bool *result);

/* The same, setting *reason for an apply function on failure: "expected an integer from MIN
 * to MAX" and "expected true or false". */
int options_apply_integer(const char *value, long long minimum, long long maximum, long long *result,
			  char **reason);
int options_apply_boolean(const char *value, bool *result, char **reason);

#endif
