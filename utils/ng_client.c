/* rtpengine-ng-client: sends one ng command to rtpengine and prints the reply.
 *
 *   rtpengine-ng-client [OPTION...] COMMAND [KEY=VALUE...] [--flag=NAME...]
 *
 * The request is the dictionary {"command": COMMAND, KEY: VALUE, ..., "flags": [NAME, ...],
 * "sdp": <--sdp-file>}. Values stay strings, as Kamailio sends them; a key given more than
 * once becomes a list of its values in order (replace=origin replace=session-connection), and
 * "flags" is always a list. See utils/README.md. Exit status: */
#define EXIT_RESULT_OK 0        /* result "ok" (or "pong") */
#define EXIT_RESULT_ERROR 1     /* any other result ("error", "load limit"): the reason on stderr */
#define EXIT_USAGE 2            /* bad command line, unreadable --sdp-file */
#define EXIT_NO_ANSWER 3        /* no reply, a socket failure, or a reply that is not ng */

#include "bencode.h"
#include "endpoint.h"
#include "interface_address.h"
#include "log.h"
#include "ng_client_print.h"
#include "ng_client_transport.h"
#include "ng_client_upstream.h"
#include "options.h"
#include "version.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#define PROGRAM_NAME "rtpengine-ng-client"
#define DEFAULT_PROXY_ADDRESS "127.0.0.1"
#define DEFAULT_PROXY_PORT 2223
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_RETRIES 3

struct client_settings {
	union endpoint proxy;
	struct ng_client_timing timing;
	char *sdp_file;                 /* NULL: no "sdp"; "-": standard input */
	bool json;
	bool verbose;                   /* -v: print the request first, as upstream's client does */
	GPtrArray *flags;               /* char *, from --flag */
	struct ng_client_upstream upstream;   /* upstream's options (--call-id=X, --trust-address, ...) */
};

/* The positional arguments, split from the options before the option engine (which takes
 * options only) sees the command line. */
struct command_words {
	const char *command;
	GPtrArray *keys;                /* const char *, each key once, in order of first appearance */
	GHashTable *values;             /* key -> GPtrArray of const char * values, in order */
};

/* ---- option handlers -------------------------------------------------------------------- */

/* "PORT" is a port on 127.0.0.1 (a client has no "every address" to send to), otherwise
 * "ADDR:PORT", "[V6ADDR]:PORT" or "HOSTNAME:PORT" as the daemon's --listen-ng takes them. */
static int apply_proxy(void *target, const char *value, char **reason)
{
	struct client_settings *settings = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	long long port;
	if (options_parse_integer(trimmed, 1, 65535, &port) == 0)
		return endpoint_parse(&settings->proxy, AF_INET, DEFAULT_PROXY_ADDRESS, (unsigned int) port);
	int result = interface_address_parse_endpoint(trimmed, strlen(trimmed), &settings->proxy);
	if (result == -ERANGE)
		*reason = g_strdup("the port must be from 1 to 65535");
	else if (result == -ENOENT)
		*reason = g_strdup("the host name does not resolve");
	else if (result < 0)
		*reason = g_strdup("expected PORT, ADDRESS:PORT, [IPv6-ADDRESS]:PORT or HOSTNAME:PORT");
	return result;
}

static int apply_timeout(void *target, const char *value, char **reason)
{
	struct client_settings *settings = target;
	long long number;
	int result = options_apply_integer(value, 1, 3600 * 1000, &number, reason);
	if (result == 0)
		settings->timing.timeout_ms = (unsigned int) number;
	return result;
}

static int apply_retries(void *target, const char *value, char **reason)
{
	struct client_settings *settings = target;
	long long number;
	int result = options_apply_integer(value, 0, 100, &number, reason);
	if (result == 0)
		settings->timing.retries = (unsigned int) number;
	return result;
}

static int apply_sdp_file(void *target, const char *value, char **reason)
{
	struct client_settings *settings = target;
	g_free(settings->sdp_file);
	settings->sdp_file = g_strdup(value);
	return 0;
}

static int apply_json(void *target, const char *value, char **reason)
{
	return options_apply_boolean(value, &((struct client_settings *) target)->json, reason);
}

static int apply_verbose(void *target, const char *value, char **reason)
{
	return options_apply_boolean(value, &((struct client_settings *) target)->verbose, reason);
}

static int apply_flag(void *target, const char *value, char **reason)
{
	struct client_settings *settings = target;
	if (!*value) {
		*reason = g_strdup("expected a flag name");
		return -EINVAL;
	}
	g_ptr_array_add(settings->flags, g_strdup(value));
	return 0;
}

#define SUPPORTED(name, letter, option_kind, function, hint, text) \
	{ .long_name = name, .short_letter = letter, .kind = option_kind, .support = OPTION_SUPPORTED, \
	  .apply = function, .value_hint = hint, .description = text }

static const struct option_spec option_table[] = {
	SUPPORTED("help", 'h', OPTION_FLAG, NULL, NULL, "Show help options"),
	SUPPORTED("version", 0, OPTION_FLAG, NULL, NULL, "Print version and exit"),
	SUPPORTED("verbose", 'v', OPTION_FLAG, apply_verbose, NULL, "Print the request before sending it"),
	SUPPORTED("proxy", 'p', OPTION_VALUE, apply_proxy, "[ADDR:]PORT",
			"The daemon's ng address (default 127.0.0.1:2223; a bare PORT is on 127.0.0.1)"),
	SUPPORTED("timeout", 't', OPTION_VALUE, apply_timeout, "MS", "Wait this long for each reply (default 1000)"),
	SUPPORTED("retries", 'r', OPTION_VALUE, apply_retries, "N",
			"Retransmit this often, same cookie, before giving up (default 3)"),
	SUPPORTED("sdp-file", 's', OPTION_VALUE, apply_sdp_file, "FILE|-",
			"Send the file's content (- : standard input) as \"sdp\""),
	SUPPORTED("json", 'j', OPTION_FLAG, apply_json, NULL, "Print the reply as JSON"),
	{ .long_name = "flag", .short_letter = 'f', .kind = OPTION_LIST, .support = OPTION_SUPPORTED,
	  .apply = apply_flag, .value_hint = "NAME", .description = "Append NAME to the \"flags\" list (repeatable)" },
};

static const char usage_trailer[] =
	"\nArguments:\n"
	"  COMMAND [KEY=VALUE...]  the ng command (ping, offer, answer, delete, query, list,\n"
	"                          statistics, ...) and the request's keys; values are sent as\n"
	"                          strings; a key given twice becomes a list\n"
	"\nUpstream's options (rtpengine-ng-client of rtpengine 10.5) are accepted as well:\n"
	"  --proxy-address=HOST --proxy-port=PORT, --call-id=X, --from-tag=X, --to-tag=X,\n"
	"  --sdp=TEXT, --flags=NAME, --trust-address and the other flag options,\n"
	"  --replace-origin, --codec-strip=NAME, --direction=A,B, ... (utils/README.md).\n"
	"\nExit status: 0 result ok, 1 result error (reason on stderr), 2 usage error,\n"
	"3 no answer, timeout or malformed reply.\n";

static struct option_program client_program(void)
{
	return (struct option_program) {
		.name = PROGRAM_NAME,
		.summary = "send one ng command: COMMAND [KEY=VALUE...]",
		.version = rtpengine_version,
		.default_file = NULL,
		.default_section = PROGRAM_NAME,    /* unused: there is no file, but the engine wants a name */
		.options = option_table,
		.option_count = G_N_ELEMENTS(option_table),
	};
}

/* ---- command line ------------------------------------------------------------------------ */

static const struct option_spec *find_option(const char *name, size_t length, char letter)
{
	for (size_t i = 0; i < G_N_ELEMENTS(option_table); i++) {
		const struct option_spec *spec = &option_table[i];
		if (letter ? spec->short_letter == letter
				: strlen(spec->long_name) == length && !strncmp(spec->long_name, name, length))
			return spec;
	}
	return NULL;
}

/* Copies argv[0] and every option (with a value that follows it as the next argument, as the
 * engine reads it) to options, and everything else to words; everything after "--" is a
 * word; upstream's options go to upstream. Sets *help when --help or -h is among the options.
 * Returns 0, or -EINVAL with *error_message (an upstream option without its value). */
static int split_arguments(int argc, char **argv, GPtrArray *options, GPtrArray *words, bool *help,
			   struct ng_client_upstream *upstream, char **error_message)
{
	g_ptr_array_add(options, argv[0]);
	for (int index = 1; index < argc; index++) {
		char *argument = argv[index];
		if (!strcmp(argument, "--")) {
			for (index++; index < argc; index++)
				g_ptr_array_add(words, argv[index]);
			break;
		}
		if (argument[0] != '-' || argument[1] == '\0') {
			g_ptr_array_add(words, argument);
			continue;
		}
		bool takes_next = false;
		if (argument[1] == '-') {
			const char *name = argument + 2;
			const char *equals = strchr(name, '=');
			const struct option_spec *spec = find_option(name, equals ? (size_t) (equals - name) : strlen(name), 0);
			if (!spec) {
				int used = ng_client_upstream_option(upstream, argc, argv, index, error_message);
				if (used < 0)
					return used;
				if (used > 0) {
					index += used - 1;
					continue;
				}
			}
			g_ptr_array_add(options, argument);
			*help |= spec && !strcmp(spec->long_name, "help");
			takes_next = spec && !equals && spec->kind != OPTION_FLAG;
		} else {
			g_ptr_array_add(options, argument);
			for (const char *letter = argument + 1; *letter; letter++) {
				const struct option_spec *spec = find_option(NULL, 0, *letter);
				*help |= spec && !strcmp(spec->long_name, "help");
				if (spec && spec->kind != OPTION_FLAG) {
					takes_next = letter[1] == '\0';
					break;
				}
			}
		}
		if (takes_next && index + 1 < argc)
			g_ptr_array_add(options, argv[++index]);
	}
	g_ptr_array_add(options, NULL);
	return 0;
}

/* COMMAND then KEY=VALUE words. 0, or -EINVAL with *error_message set. */
static int parse_words(GPtrArray *words, struct command_words *parsed, char **error_message)
{
	if (words->len == 0) {
		*error_message = g_strdup("missing COMMAND (for example: ping, offer, answer, delete, query)");
		return -EINVAL;
	}
	parsed->command = g_ptr_array_index(words, 0);
	if (!*parsed->command || strchr(parsed->command, '=')) {
		*error_message = g_strdup_printf("'%s' is not a command name (the command comes before KEY=VALUE)",
				parsed->command);
		return -EINVAL;
	}
	for (guint i = 1; i < words->len; i++) {
		char *word = g_ptr_array_index(words, i);
		char *equals = strchr(word, '=');
		if (!equals || equals == word) {
			*error_message = g_strdup_printf("expected KEY=VALUE, got '%s'", word);
			return -EINVAL;
		}
		char *key = g_strndup(word, (gsize) (equals - word));
		if (!strcmp(key, "command")) {
			*error_message = g_strdup("the command is the first argument, not a command= key");
			g_free(key);
			return -EINVAL;
		}
		GPtrArray *values = g_hash_table_lookup(parsed->values, key);
		if (!values) {
			values = g_ptr_array_new();
			g_hash_table_insert(parsed->values, key, values);
			g_ptr_array_add(parsed->keys, key);
		} else {
			g_free(key);
		}
		g_ptr_array_add(values, equals + 1);
	}
	return 0;
}

/* The whole file, or standard input for "-". NULL with *error_message set when unreadable. */
static GString *read_sdp(const char *path, char **error_message)
{
	if (strcmp(path, "-") != 0) {
		char *contents = NULL;
		gsize length = 0;
		GError *error = NULL;
		if (!g_file_get_contents(path, &contents, &length, &error)) {
			*error_message = g_strdup_printf("cannot read --sdp-file: %s", error->message);
			g_error_free(error);
			return NULL;
		}
		GString *text = g_string_new_len(contents, (gssize) length);
		g_free(contents);
		return text;
	}
	GString *text = g_string_new(NULL);
	char chunk[4096];
	size_t length;
	while ((length = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		g_string_append_len(text, chunk, (gssize) length);
	if (ferror(stdin)) {
		*error_message = g_strdup("cannot read the SDP from standard input");
		g_string_free(text, TRUE);
		return NULL;
	}
	return text;
}

/* ---- request and reply ------------------------------------------------------------------- */

static struct bencode_item *build_request(struct bencode_buffer *buffer, const struct command_words *words,
					  const struct client_settings *settings, const GString *sdp, char **error_message)
{
	struct bencode_item *request = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string(buffer, request, "command", words->command);
	struct bencode_item *flags = NULL;
	for (guint i = 0; i < words->keys->len; i++) {
		const char *key = g_ptr_array_index(words->keys, i);
		GPtrArray *values = g_hash_table_lookup(words->values, key);
		bool is_flags = !strcmp(key, "flags");
		if (values->len == 1 && !is_flags) {
			bencode_dictionary_add_string(buffer, request, key, g_ptr_array_index(values, 0));
			continue;
		}
		struct bencode_item *list = bencode_dictionary_add_list(buffer, request, key);
		for (guint j = 0; j < values->len; j++)
			bencode_list_append_string(buffer, list, g_ptr_array_index(values, j));
		if (is_flags)
			flags = list;
	}
	if (ng_client_upstream_build(&settings->upstream, buffer, request, &flags, error_message) < 0)
		return NULL;
	if (settings->flags->len > 0 && !flags)
		flags = bencode_dictionary_add_list(buffer, request, "flags");
	for (guint i = 0; i < settings->flags->len; i++)
		bencode_list_append_string(buffer, flags, g_ptr_array_index(settings->flags, i));
	if (sdp)
		bencode_dictionary_add_string_length(buffer, request, "sdp", sdp->str, sdp->len);
	return request;
}

/* Prints the reply and says how the program ends. */
static int handle_reply(const GString *payload, const char *command, bool json)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error = NULL;
	struct bencode_item *reply = bencode_decode(buffer, payload->str, payload->len, &error);
	int status = EXIT_NO_ANSWER;
	if (!reply) {
		fprintf(stderr, PROGRAM_NAME ": malformed reply (not bencode: %s)\n", error ? error : "?");
		goto done;
	}
	if (reply->type != BENCODE_DICTIONARY) {
		fprintf(stderr, PROGRAM_NAME ": malformed reply (not a dictionary)\n");
		goto done;
	}
	const char *result = bencode_dictionary_get_string(buffer, reply, "result", NULL);
	if (!result) {
		fprintf(stderr, PROGRAM_NAME ": malformed reply (no \"result\")\n");
		goto done;
	}
	if (json)
		ng_client_print_json(stdout, reply);
	else
		ng_client_print_readable(stdout, reply);
	fflush(stdout);

	const char *warning = bencode_dictionary_get_string(buffer, reply, "warning", NULL);
	if (warning)
		fprintf(stderr, PROGRAM_NAME ": warning: %s\n", warning);
	if (!strcmp(result, "ok") || !strcmp(result, "pong")) {
		status = EXIT_RESULT_OK;
	} else {
		const char *reason = bencode_dictionary_get_string(buffer, reply, "error-reason", NULL);
		fprintf(stderr, PROGRAM_NAME ": %s: result %s: %s\n", command, result, reason ? reason : "(no reason given)");
		status = EXIT_RESULT_ERROR;
	}
done:
	bencode_buffer_free(buffer);
	return status;
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct log_settings log_settings = { .level = LOG_WARNING, .facility = LOG_USER, .to_stderr = true };
	log_init(PROGRAM_NAME, &log_settings);

	struct client_settings settings = {
		.timing = { .timeout_ms = DEFAULT_TIMEOUT_MS, .retries = DEFAULT_RETRIES },
		.flags = g_ptr_array_new_with_free_func(g_free),
	};
	ng_client_upstream_init(&settings.upstream);
	endpoint_parse(&settings.proxy, AF_INET, DEFAULT_PROXY_ADDRESS, DEFAULT_PROXY_PORT);
	struct command_words words = {
		.keys = g_ptr_array_new(),
		.values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref),
	};
	GPtrArray *option_arguments = g_ptr_array_new();
	GPtrArray *word_arguments = g_ptr_array_new();
	struct bencode_buffer *buffer = NULL;
	GString *sdp = NULL, *request_text = NULL, *reply_text = NULL;
	char *error_message = NULL;
	int status = EXIT_USAGE;

	bool help = false;
	if (split_arguments(argc, argv, option_arguments, word_arguments, &help, &settings.upstream, &error_message) < 0)
		goto usage_error;
	struct option_program program = client_program();
	switch (options_load(&program, &settings, (int) option_arguments->len - 1, (char **) option_arguments->pdata,
			NULL, &error_message)) {
	case OPTIONS_OK:
		break;
	case OPTIONS_EXIT_SUCCESS:
		if (help)
			fputs(usage_trailer, stdout);
		status = EXIT_RESULT_OK;
		goto done;
	default:
		goto usage_error;
	}
	if (parse_words(word_arguments, &words, &error_message) < 0)
		goto usage_error;
	if ((settings.sdp_file != NULL) + g_hash_table_contains(words.values, "sdp") + (settings.upstream.sdp != NULL) > 1) {
		error_message = g_strdup("give the SDP once: as --sdp-file, --sdp or sdp=...");
		goto usage_error;
	}
	if (settings.upstream.proxy_address || settings.upstream.proxy_port) {
		/* upstream's pair; its default address is localhost */
		const char *host = settings.upstream.proxy_address ? settings.upstream.proxy_address : "localhost";
		g_autofree char *proxy = g_strdup_printf(strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
							 settings.upstream.proxy_port ? settings.upstream.proxy_port : "2223");
		char *reason = NULL;
		if (apply_proxy(&settings, proxy, &reason) < 0) {
			error_message = g_strdup_printf("--proxy-address/--proxy-port %s: %s", proxy, reason ? reason : "invalid");
			g_free(reason);
			goto usage_error;
		}
	}
	if (settings.sdp_file && !(sdp = read_sdp(settings.sdp_file, &error_message)))
		goto usage_error;

	buffer = bencode_buffer_new();
	request_text = g_string_new(NULL);
	struct bencode_item *request = build_request(buffer, &words, &settings, sdp, &error_message);
	if (!request)
		goto usage_error;
	if (settings.verbose) {
		fputs("Request:\n", stdout);
		ng_client_print_readable(stdout, request);
		fflush(stdout);
	}
	bencode_encode(request, request_text);
	char cookie[NG_CLIENT_COOKIE_SIZE];
	ng_client_new_cookie(cookie);
	reply_text = g_string_new(NULL);
	if (ng_client_exchange(&settings.proxy, &settings.timing, cookie, request_text, reply_text,
			&error_message) < 0) {
		fprintf(stderr, PROGRAM_NAME ": %s\n", error_message);
		status = EXIT_NO_ANSWER;
		goto done;
	}
	status = handle_reply(reply_text, words.command, settings.json);
	goto done;

usage_error:
	fprintf(stderr, PROGRAM_NAME ": %s\nTry '" PROGRAM_NAME " --help'.\n", error_message ? error_message : "usage error");
	status = EXIT_USAGE;
done:
	g_free(error_message);
	if (reply_text)
		g_string_free(reply_text, TRUE);
	if (request_text)
		g_string_free(request_text, TRUE);
	if (sdp)
		g_string_free(sdp, TRUE);
	bencode_buffer_free(buffer);
	g_ptr_array_free(word_arguments, TRUE);
	g_ptr_array_free(option_arguments, TRUE);
	g_hash_table_destroy(words.values);
	g_ptr_array_free(words.keys, TRUE);
	g_ptr_array_free(settings.flags, TRUE);
	g_free(settings.sdp_file);
	ng_client_upstream_clear(&settings.upstream);
	return status;
}
