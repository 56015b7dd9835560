/* Command line and config file; see config.h for the rules.
 *
 * Loading happens in four steps, so that the command line overrides the file whatever the
 * order of arguments:
 *   1. tokenise argv into (option, value) pairs, rejecting unknown options;
 *   2. --help / --version stop here;
 *   3. read the config file (default, --config-file, or none) and apply its keys;
 *   4. apply the command line pairs, then check the result as a whole. */
#include "config.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <glib.h>

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

struct load_state {
	struct daemon_config *config;
	GArray *interfaces;             /* struct interface_config */
	bool help_requested;
	bool version_requested;
};

/* Applies one value; returns 0, or a negative errno with *reason set to a g_malloc'ed
 * description of what was expected. */
typedef int (*option_apply_function)(struct load_state *state, const char *value, char **reason);

struct option_spec {
	const char *long_name;
	char short_letter;              /* 0 when the option has none */
	enum option_kind kind;
	enum option_support support;
	option_apply_function apply;    /* NULL for ignored and unsupported options */
	const char *value_hint;         /* for --help */
	const char *description;        /* for --help */
};

/* One option found on the command line. */
struct given_option {
	const struct option_spec *spec;
	const char *value;              /* points into argv; "true" for flags */
};

struct facility_name {
	const char *name;
	int facility;
};

/* ---- value parsers --------------------------------------------------------------------- */

/* Integers in decimal, or hexadecimal with 0x (upstream's command line accepts C notation,
 * and TOS values are often written 0xb8). Leading zeros stay decimal: no octal surprises. */
static int parse_integer(const char *value, long long minimum, long long maximum, long long *result)
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

/* GKeyFile booleans are true/false (also 1/0); compared without case for leniency. */
static int parse_boolean(const char *value, bool *result)
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

static int apply_integer_range(const char *value, long long minimum, long long maximum, long long *number,
		char **reason)
{
	int result = parse_integer(value, minimum, maximum, number);
	if (result < 0)
		*reason = g_strdup_printf("expected an integer from %lld to %lld", minimum, maximum);
	return result;
}

/* ---- option handlers ------------------------------------------------------------------- */

static int apply_help(struct load_state *state, const char *value, char **reason)
{
	state->help_requested = true;
	return 0;
}

static int apply_version(struct load_state *state, const char *value, char **reason)
{
	state->version_requested = true;
	return 0;
}

/* --config-file and --config-section are read before the file in step 3. */
static int apply_nothing(struct load_state *state, const char *value, char **reason)
{
	return 0;
}

static int apply_interface(struct load_state *state, const char *value, char **reason)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	return interface_address_parse_spec(trimmed, strlen(trimmed), state->interfaces, reason);
}

static int apply_listen_ng(struct load_state *state, const char *value, char **reason)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	int result = interface_address_parse_endpoint(trimmed, strlen(trimmed), &state->config->listen_ng);
	if (result == -ERANGE)
		*reason = g_strdup("the port must be from 1 to 65535");
	else if (result == -ENOENT)
		*reason = g_strdup("the host name does not resolve");
	else if (result < 0)
		*reason = g_strdup("expected [ADDRESS:]PORT, [IPv6-ADDRESS]:PORT or HOSTNAME:PORT");
	return result;
}

static int apply_port_min(struct load_state *state, const char *value, char **reason)
{
	long long number;
	int result = apply_integer_range(value, 1, 65535, &number, reason);
	if (result == 0)
		state->config->port_min = (unsigned int) number;
	return result;
}

static int apply_port_max(struct load_state *state, const char *value, char **reason)
{
	long long number;
	int result = apply_integer_range(value, 1, 65535, &number, reason);
	if (result == 0)
		state->config->port_max = (unsigned int) number;
	return result;
}

/* Any negative table disables kernel forwarding, as upstream; it is stored as -1. */
static int apply_table(struct load_state *state, const char *value, char **reason)
{
	long long number;
	int result = apply_integer_range(value, INT_MIN, INT_MAX, &number, reason);
	if (result == 0)
		state->config->table = number < 0 ? -1 : (int) number;
	return result;
}

static int apply_no_fallback(struct load_state *state, const char *value, char **reason)
{
	int result = parse_boolean(value, &state->config->no_fallback);
	if (result < 0)
		*reason = g_strdup("expected true or false");
	return result;
}

static int apply_foreground(struct load_state *state, const char *value, char **reason)
{
	int result = parse_boolean(value, &state->config->foreground);
	if (result < 0)
		*reason = g_strdup("expected true or false");
	return result;
}

static int apply_log_stderr(struct load_state *state, const char *value, char **reason)
{
	int result = parse_boolean(value, &state->config->log.to_stderr);
	if (result < 0)
		*reason = g_strdup("expected true or false");
	return result;
}

static int apply_seconds(const char *value, unsigned int *seconds, char **reason)
{
	long long number;
	int result = apply_integer_range(value, 0, INT_MAX, &number, reason);
	if (result == 0)
		*seconds = (unsigned int) number;
	return result;
}

static int apply_timeout(struct load_state *state, const char *value, char **reason)
{
	return apply_seconds(value, &state->config->timeout, reason);
}

static int apply_silent_timeout(struct load_state *state, const char *value, char **reason)
{
	return apply_seconds(value, &state->config->silent_timeout, reason);
}

static int apply_final_timeout(struct load_state *state, const char *value, char **reason)
{
	return apply_seconds(value, &state->config->final_timeout, reason);
}

static int apply_delete_delay(struct load_state *state, const char *value, char **reason)
{
	return apply_seconds(value, &state->config->delete_delay, reason);
}

/* The TOS octet (RFC 2474 section 3 redefines it as DSCP + ECN): 0..255. */
static int apply_tos(struct load_state *state, const char *value, char **reason)
{
	long long number;
	int result = apply_integer_range(value, 0, 255, &number, reason);
	if (result == 0)
		state->config->tos = (int) number;
	return result;
}

/* 0 means "one per CPU", like leaving the option out. */
static int apply_num_threads(struct load_state *state, const char *value, char **reason)
{
	long long number;
	int result = apply_integer_range(value, 0, 1024, &number, reason);
	if (result == 0)
		state->config->num_threads = (unsigned int) number;
	return result;
}

static int apply_max_sessions(struct load_state *state, const char *value, char **reason)
{
	long long number;
	int result = apply_integer_range(value, -1, INT_MAX, &number, reason);
	if (result == 0)
		state->config->max_sessions = (int) number;
	return result;
}

static const char *const endpoint_learning_names[] = {
	[ENDPOINT_LEARNING_DELAYED] = "delayed",
	[ENDPOINT_LEARNING_IMMEDIATE] = "immediate",
	[ENDPOINT_LEARNING_OFF] = "off",
	[ENDPOINT_LEARNING_HEURISTIC] = "heuristic",
};

static int apply_endpoint_learning(struct load_state *state, const char *value, char **reason)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	for (size_t i = 0; i < G_N_ELEMENTS(endpoint_learning_names); i++) {
		if (!strcmp(trimmed, endpoint_learning_names[i])) {
			state->config->endpoint_learning = (enum endpoint_learning) i;
			return 0;
		}
	}
	*reason = g_strdup("expected delayed, immediate, off or heuristic");
	return -EINVAL;
}

static int apply_pidfile(struct load_state *state, const char *value, char **reason)
{
	if (!value || !*value) {
		*reason = g_strdup("expected a file name");
		return -EINVAL;
	}
	g_free(state->config->pidfile);
	state->config->pidfile = g_strdup(value);
	return 0;
}

/* syslog(3) priorities: 0 (LOG_EMERG) .. 7 (LOG_DEBUG). */
static int apply_log_level(struct load_state *state, const char *value, char **reason)
{
	long long number;
	int result = apply_integer_range(value, LOG_EMERG, LOG_DEBUG, &number, reason);
	if (result == 0)
		state->config->log.level = (int) number;
	return result;
}

static const struct facility_name facility_names[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON }, { "ftp", LOG_FTP }, { "kern", LOG_KERN }, { "lpr", LOG_LPR },
	{ "mail", LOG_MAIL }, { "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int apply_log_facility(struct load_state *state, const char *value, char **reason)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	for (size_t i = 0; i < G_N_ELEMENTS(facility_names); i++) {
		if (!strcmp(trimmed, facility_names[i].name)) {
			state->config->log.facility = facility_names[i].facility;
			return 0;
		}
	}
	GString *expected = g_string_new("expected one of:");
	for (size_t i = 0; i < G_N_ELEMENTS(facility_names); i++)
		g_string_append_printf(expected, " %s", facility_names[i].name);
	*reason = g_string_free(expected, FALSE);
	return -EINVAL;
}

/* ---- the option table ------------------------------------------------------------------ */

#define SUPPORTED(long_name, letter, kind, apply, hint, text) \
	{ long_name, letter, kind, OPTION_SUPPORTED, apply, hint, text }
#define IGNORED_VALUE(long_name, letter) { long_name, letter, OPTION_VALUE, OPTION_IGNORED, NULL, NULL, NULL }
#define IGNORED_FLAG(long_name, letter) { long_name, letter, OPTION_FLAG, OPTION_IGNORED, NULL, NULL, NULL }
#define UNSUPPORTED_VALUE(long_name, letter) { long_name, letter, OPTION_VALUE, OPTION_UNSUPPORTED, NULL, NULL, NULL }
#define UNSUPPORTED_FLAG(long_name, letter) { long_name, letter, OPTION_FLAG, OPTION_UNSUPPORTED, NULL, NULL, NULL }

/* Names, letters and value syntax follow upstream rtpengine 10.5's --help. */
static const struct option_spec option_table[] = {
	SUPPORTED("help", 'h', OPTION_FLAG, apply_help, NULL, "Show help options"),
	SUPPORTED("version", 'v', OPTION_FLAG, apply_version, NULL, "Print version and exit"),
	SUPPORTED("config-file", 0, OPTION_VALUE, apply_nothing, "FILE",
			"Load config from this file (\"none\": no file; default " CONFIG_DEFAULT_FILE " if it exists)"),
	SUPPORTED("config-section", 0, OPTION_VALUE, apply_nothing, "STRING",
			"Config file section to use (default " CONFIG_DEFAULT_SECTION ")"),
	SUPPORTED("log-facility", 0, OPTION_VALUE, apply_log_facility, "daemon|local0|...|local7",
			"Syslog facility to use for logging"),
	SUPPORTED("log-level", 'L', OPTION_VALUE, apply_log_level, "INT", "Default log level (0-7, default 6)"),
	SUPPORTED("log-stderr", 'E', OPTION_FLAG, apply_log_stderr, NULL, "Log on stderr instead of syslog"),
	SUPPORTED("pidfile", 'p', OPTION_VALUE, apply_pidfile, "FILE", "Write PID to file"),
	SUPPORTED("foreground", 'f', OPTION_FLAG, apply_foreground, NULL, "Don't fork to background"),
	SUPPORTED("table", 't', OPTION_VALUE, apply_table, "INT", "Kernel table to use (negative: none; default 0)"),
	SUPPORTED("no-fallback", 'F', OPTION_FLAG, apply_no_fallback, NULL,
			"Only start when kernel module is available"),
	SUPPORTED("interface", 'i', OPTION_LIST, apply_interface, "[NAME/]IP[!IP]",
			"Local interface for RTP (repeatable)"),
	SUPPORTED("listen-ng", 'n', OPTION_VALUE, apply_listen_ng, "[IP46|HOSTNAME:]PORT",
			"UDP port to listen on, NG protocol"),
	SUPPORTED("tos", 'T', OPTION_VALUE, apply_tos, "INT", "Default TOS value to set on streams"),
	SUPPORTED("timeout", 'o', OPTION_VALUE, apply_timeout, "SECS", "RTP timeout (default 60)"),
	SUPPORTED("silent-timeout", 's', OPTION_VALUE, apply_silent_timeout, "SECS",
			"RTP timeout for muted (default 3600)"),
	SUPPORTED("final-timeout", 'a', OPTION_VALUE, apply_final_timeout, "SECS", "Call timeout (0: none)"),
	SUPPORTED("port-min", 'm', OPTION_VALUE, apply_port_min, "INT", "Lowest port to use for RTP (default 30000)"),
	SUPPORTED("port-max", 'M', OPTION_VALUE, apply_port_max, "INT", "Highest port to use for RTP (default 40000)"),
	SUPPORTED("num-threads", 0, OPTION_VALUE, apply_num_threads, "INT",
			"Number of worker threads to create (default: one per CPU)"),
	SUPPORTED("delete-delay", 'd', OPTION_VALUE, apply_delete_delay, "INT",
			"Delay for deleting a session from memory (default 30)"),
	SUPPORTED("max-sessions", 0, OPTION_VALUE, apply_max_sessions, "INT",
			"Limit of maximum number of sessions (-1: unlimited)"),
	SUPPORTED("endpoint-learning", 0, OPTION_VALUE, apply_endpoint_learning, "delayed|immediate|off|heuristic",
			"RTP endpoint learning algorithm (default delayed)"),

	/* Management, statistics export and log cosmetics: nothing a call relies on. */
	IGNORED_VALUE("listen-cli", 'c'), IGNORED_VALUE("listen-http", 0), IGNORED_VALUE("listen-https", 0),
	IGNORED_VALUE("https-cert", 0), IGNORED_VALUE("https-key", 0), IGNORED_VALUE("http-threads", 0),
	IGNORED_VALUE("graphite", 'g'), IGNORED_VALUE("graphite-interval", 'G'), IGNORED_VALUE("graphite-prefix", 0),
	IGNORED_VALUE("graphite-timeout", 0), IGNORED_VALUE("homer", 0), IGNORED_VALUE("homer-protocol", 0),
	IGNORED_VALUE("homer-id", 0), IGNORED_VALUE("mos", 0), IGNORED_VALUE("software-id", 0),
	IGNORED_VALUE("dtmf-log-dest", 0), IGNORED_VALUE("log-facility-cdr", 0), IGNORED_VALUE("log-facility-rtcp", 0),
	IGNORED_VALUE("log-facility-dtmf", 0), IGNORED_VALUE("log-format", 0), IGNORED_VALUE("max-log-line-length", 0),
	IGNORED_VALUE("log-mark-prefix", 0), IGNORED_VALUE("log-mark-suffix", 0), IGNORED_FLAG("split-logs", 0),
	IGNORED_FLAG("no-log-timestamps", 0), IGNORED_FLAG("log-srtp-keys", 0), IGNORED_FLAG("debug-srtp", 0),
	IGNORED_VALUE("log-level-core", 0), IGNORED_VALUE("log-level-spandsp", 0), IGNORED_VALUE("log-level-ffmpeg", 0),
	IGNORED_VALUE("log-level-transcoding", 0), IGNORED_VALUE("log-level-codec", 0),
	IGNORED_VALUE("log-level-rtcp", 0), IGNORED_VALUE("log-level-ice", 0), IGNORED_VALUE("log-level-crypto", 0),
	IGNORED_VALUE("log-level-srtp", 0), IGNORED_VALUE("log-level-internals", 0),
	IGNORED_VALUE("log-level-http", 0), IGNORED_VALUE("log-level-control", 0), IGNORED_VALUE("log-level-dtx", 0),
	IGNORED_VALUE("mqtt-host", 0), IGNORED_VALUE("mqtt-port", 0), IGNORED_VALUE("mqtt-id", 0),
	IGNORED_VALUE("mqtt-keepalive", 0), IGNORED_VALUE("mqtt-user", 0), IGNORED_VALUE("mqtt-pass", 0),
	IGNORED_VALUE("mqtt-cafile", 0), IGNORED_VALUE("mqtt-capath", 0), IGNORED_VALUE("mqtt-certfile", 0),
	IGNORED_VALUE("mqtt-keyfile", 0), IGNORED_VALUE("mqtt-publish-qos", 0), IGNORED_VALUE("mqtt-publish-topic", 0),
	IGNORED_VALUE("mqtt-publish-interval", 0), IGNORED_VALUE("mqtt-publish-scope", 0),
	IGNORED_VALUE("janus-secret", 0),
	/* Thread and socket tuning. */
	IGNORED_VALUE("thread-stack", 0), IGNORED_VALUE("media-num-threads", 0), IGNORED_VALUE("scheduling", 0),
	IGNORED_VALUE("priority", 0), IGNORED_VALUE("idle-scheduling", 0), IGNORED_VALUE("idle-priority", 0),
	IGNORED_VALUE("socket-cpu-affinity", 0), IGNORED_FLAG("poller-per-thread", 0), IGNORED_VALUE("control-tos", 0),
	IGNORED_VALUE("offer-timeout", 0),
	/* Settings of features a call must ask for (recording, transcoding, playback, DTMF
	 * triggers); the ng layer refuses such a request when the feature is missing. */
	IGNORED_VALUE("recording-dir", 0), IGNORED_VALUE("recording-method", 0), IGNORED_VALUE("recording-format", 0),
	IGNORED_VALUE("dtx-delay", 0), IGNORED_VALUE("max-dtx", 0), IGNORED_VALUE("dtx-buffer", 0),
	IGNORED_VALUE("dtx-lag", 0), IGNORED_VALUE("dtx-shift", 0), IGNORED_VALUE("dtx-cn-params", 0),
	IGNORED_VALUE("amr-dtx", 0), IGNORED_VALUE("silence-detect", 0), IGNORED_VALUE("cn-payload", 0),
	IGNORED_FLAG("dtmf-no-suppress", 0), IGNORED_VALUE("dtmf-digit-delay", 0),
	IGNORED_VALUE("mysql-host", 0), IGNORED_VALUE("mysql-port", 0), IGNORED_VALUE("mysql-user", 0),
	IGNORED_VALUE("mysql-pass", 0), IGNORED_VALUE("mysql-query", 0),

	/* Behaviour an operator would silently lose: refuse to start instead. */
	UNSUPPORTED_FLAG("save-interface-ports", 'S'), UNSUPPORTED_VALUE("subscribe-keyspace", 'k'),
	UNSUPPORTED_VALUE("listen-tcp", 'l'), UNSUPPORTED_VALUE("listen-udp", 'u'),
	UNSUPPORTED_VALUE("listen-tcp-ng", 'N'), UNSUPPORTED_VALUE("redis", 'r'), UNSUPPORTED_VALUE("redis-write", 'w'),
	UNSUPPORTED_VALUE("redis-num-threads", 0), UNSUPPORTED_VALUE("redis-expires", 0),
	UNSUPPORTED_FLAG("no-redis-required", 'q'), UNSUPPORTED_VALUE("redis-allowed-errors", 0),
	UNSUPPORTED_VALUE("redis-disable-time", 0), UNSUPPORTED_VALUE("redis-cmd-timeout", 0),
	UNSUPPORTED_VALUE("redis-connect-timeout", 0), UNSUPPORTED_FLAG("redis-delete-async", 'y'),
	UNSUPPORTED_VALUE("redis-delete-async-interval", 0), UNSUPPORTED_FLAG("active-switchover", 0),
	UNSUPPORTED_VALUE("b2b-url", 'b'), UNSUPPORTED_VALUE("xmlrpc-format", 'x'),
	UNSUPPORTED_FLAG("dtmf-log-ng-tcp", 0), UNSUPPORTED_FLAG("sip-source", 0), UNSUPPORTED_FLAG("dtls-passive", 0),
	UNSUPPORTED_VALUE("max-load", 0), UNSUPPORTED_VALUE("max-cpu", 0), UNSUPPORTED_VALUE("max-bandwidth", 0),
	UNSUPPORTED_VALUE("iptables-chain", 0), UNSUPPORTED_FLAG("codecs", 0), UNSUPPORTED_VALUE("jitter-buffer", 0),
	UNSUPPORTED_FLAG("jb-clock-drift", 0), UNSUPPORTED_FLAG("reject-invalid-sdp", 0),
	UNSUPPORTED_VALUE("dtls-rsa-key-size", 0), UNSUPPORTED_VALUE("dtls-cert-cipher", 0),
	UNSUPPORTED_VALUE("dtls-mtu", 0), UNSUPPORTED_VALUE("dtls-ciphers", 0), UNSUPPORTED_VALUE("dtls-signature", 0),
};

/* Replaced only by tests (config_set_default_file); NULL means CONFIG_DEFAULT_FILE. */
static char *default_file_override;

/* ---- table look-ups and reporting ------------------------------------------------------ */

static const struct option_spec *find_long_option(const char *name, size_t length)
{
	for (size_t i = 0; i < G_N_ELEMENTS(option_table); i++) {
		const char *candidate = option_table[i].long_name;
		if (strlen(candidate) == length && !strncmp(candidate, name, length))
			return &option_table[i];
	}
	return NULL;
}

static const struct option_spec *find_short_option(char letter)
{
	for (size_t i = 0; letter && i < G_N_ELEMENTS(option_table); i++)
		if (option_table[i].short_letter == letter)
			return &option_table[i];
	return NULL;
}

static void log_ignored_option(const struct option_spec *spec, const char *origin)
{
	log_notice("%s: option '%s' belongs to a capability this rtpengine does not implement yet; ignored",
			origin, spec->long_name);
}

static char *unsupported_message(const struct option_spec *spec, const char *origin)
{
	return g_strdup_printf("%s: option '%s' is not supported by this rtpengine implementation", origin,
			spec->long_name);
}

/* ---- step 1: command line tokenising ----------------------------------------------------- */

/* Accepts upstream's (GOption's) forms: --name=value, --name value, -x value, -xvalue and
 * bundled flags (-fE). A value that follows as the next argument is taken even when it
 * starts with '-' ("-t -1"). "--" ends the options. */
static int tokenise_command_line(int argc, char **argv, GArray *given, char **error_message)
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

		if (argument[1] == '-') {
			const char *name = argument + 2;
			const char *equals = strchr(name, '=');
			size_t name_length = equals ? (size_t) (equals - name) : strlen(name);
			const struct option_spec *spec = find_long_option(name, name_length);
			if (!spec) {
				*error_message = g_strdup_printf("unknown option '--%.*s' (see --help)", (int) name_length, name);
				return -EINVAL;
			}
			if (spec->support == OPTION_UNSUPPORTED) {
				*error_message = unsupported_message(spec, "command line");
				return -ENOTSUP;
			}
			struct given_option option = { .spec = spec, .value = "true" };
			if (spec->kind == OPTION_FLAG) {
				if (equals) {
					*error_message = g_strdup_printf("option '--%s' takes no value (got '%s')",
							spec->long_name, equals + 1);
					return -EINVAL;
				}
			} else if (equals) {
				option.value = equals + 1;
			} else if (index + 1 < argc && argv[index + 1]) {
				option.value = argv[++index];
			} else {
				*error_message = g_strdup_printf("option '--%s' needs a value (%s)", spec->long_name,
						spec->value_hint ? spec->value_hint : "VALUE");
				return -EINVAL;
			}
			g_array_append_val(given, option);
			continue;
		}

		/* One or more short letters; a letter that takes a value ends the bundle. */
		for (const char *letter = argument + 1; *letter; letter++) {
			const struct option_spec *spec = find_short_option(*letter);
			if (!spec) {
				*error_message = g_strdup_printf("unknown option '-%c' (see --help)", *letter);
				return -EINVAL;
			}
			if (spec->support == OPTION_UNSUPPORTED) {
				*error_message = unsupported_message(spec, "command line");
				return -ENOTSUP;
			}
			struct given_option option = { .spec = spec, .value = "true" };
			if (spec->kind != OPTION_FLAG) {
				if (letter[1]) {
					option.value = letter + 1;
				} else if (index + 1 < argc && argv[index + 1]) {
					option.value = argv[++index];
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
	}
	return 0;
}

/* ---- step 3: the config file --------------------------------------------------------------- */

static int apply_option(struct load_state *state, const struct option_spec *spec, const char *value,
		const char *origin, char **error_message)
{
	if (spec->support == OPTION_IGNORED) {
		log_ignored_option(spec, origin);
		return 0;
	}
	if (spec->support == OPTION_UNSUPPORTED) {
		*error_message = unsupported_message(spec, origin);
		return -ENOTSUP;
	}
	char *reason = NULL;
	int result = spec->apply(state, value, &reason);
	if (result < 0) {
		*error_message = g_strdup_printf("%s: invalid value '%s' for option '%s': %s", origin, value,
				spec->long_name, reason ? reason : "not accepted");
		g_free(reason);
		return result;
	}
	g_free(reason);
	return 0;
}

static int apply_file_key(struct load_state *state, GKeyFile *file, const char *section, const char *key,
		const char *origin, char **error_message)
{
	const struct option_spec *spec = find_long_option(key, strlen(key));
	if (!spec) {
		/* Upstream ignores keys it does not know; files are often shared with other tools. */
		log_warning("%s: unknown key '%s' ignored", origin, key);
		return 0;
	}
	if (!strcmp(key, "config-file") || !strcmp(key, "config-section") || !strcmp(key, "help") ||
			!strcmp(key, "version"))
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
			result = apply_option(state, spec, values[i], origin, error_message);
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
	int result = apply_option(state, spec, value, origin, error_message);
	g_free(value);
	return result;
}

/* Reads path's section; required says whether a missing file is an error. Sets
 * *file_was_read when the file existed. */
static int load_config_file(struct load_state *state, const char *path, const char *section, bool required,
		bool *file_was_read, char **error_message)
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
		result = apply_file_key(state, file, section, keys[i], origin, error_message);
	g_strfreev(keys);
	g_key_file_free(file);
	return result;
}

/* ---- step 4: defaults and checks of the whole --------------------------------------------- */

static void set_defaults(struct daemon_config *config)
{
	memset(config, 0, sizeof(*config));
	config->port_min = 30000;
	config->port_max = 40000;
	config->table = 0;
	config->timeout = 60;
	config->silent_timeout = 3600;
	config->final_timeout = 0;
	config->delete_delay = 30;
	config->tos = -1;
	config->num_threads = 0;
	config->max_sessions = -1;
	config->endpoint_learning = ENDPOINT_LEARNING_DELAYED;
	config->log.level = LOG_INFO;
	config->log.facility = LOG_DAEMON;
	config->log.to_stderr = false;
}

static unsigned int cpu_count(void)
{
	long count = sysconf(_SC_NPROCESSORS_ONLN);
	return count > 0 && count <= 1024 ? (unsigned int) count : 1;
}

static int check_config(struct daemon_config *config, char **error_message)
{
	if (config->interface_count == 0) {
		*error_message = g_strdup("missing option --interface (-i): at least one media interface is required");
		return -EINVAL;
	}
	if (config->listen_ng.ss_family == 0) {
		*error_message = g_strdup("missing option --listen-ng (-n): the ng control socket is required");
		return -EINVAL;
	}
	if (config->port_min > config->port_max) {
		*error_message = g_strdup_printf("--port-min (%u) is greater than --port-max (%u)", config->port_min,
				config->port_max);
		return -EINVAL;
	}
	/* RTP takes an even port and RTCP the next odd one (RFC 3550 section 11), so the range
	 * must hold at least one such pair. */
	unsigned int first_even = config->port_min + (config->port_min & 1);
	if (first_even + 1 > config->port_max) {
		*error_message = g_strdup_printf("port range %u-%u holds no even/odd port pair for RTP and RTCP",
				config->port_min, config->port_max);
		return -EINVAL;
	}
	if (config->num_threads == 0)
		config->num_threads = cpu_count();
	return 0;
}

static void print_version(void)
{
	printf("Version: %s\n", rtpengine_version);
	fflush(stdout);
}

/* ---- public functions ------------------------------------------------------------------- */

enum config_result config_load(struct daemon_config *config, int argc, char **argv, char **error_message)
{
	char *ignored_message = NULL;
	if (!error_message)
		error_message = &ignored_message;
	*error_message = NULL;
	if (!config) {
		*error_message = g_strdup("internal error: no config structure");
		return CONFIG_ERROR;
	}
	set_defaults(config);

	struct load_state state = {
		.config = config,
		.interfaces = g_array_new(FALSE, TRUE, sizeof(struct interface_config)),
	};
	GArray *given = g_array_new(FALSE, TRUE, sizeof(struct given_option));
	enum config_result outcome = CONFIG_ERROR;

	if (tokenise_command_line(argc, argv, given, error_message) < 0)
		goto done;

	const char *file_name = NULL;
	const char *section = CONFIG_DEFAULT_SECTION;
	bool interfaces_on_command_line = false;
	for (guint i = 0; i < given->len; i++) {
		const struct given_option *option = &g_array_index(given, struct given_option, i);
		if (option->spec->apply == apply_help)
			state.help_requested = true;
		else if (option->spec->apply == apply_version)
			state.version_requested = true;
		else if (option->spec->apply == apply_interface)
			interfaces_on_command_line = true;
		else if (!strcmp(option->spec->long_name, "config-file"))
			file_name = option->value;
		else if (!strcmp(option->spec->long_name, "config-section"))
			section = option->value;
	}
	if (state.help_requested) {
		char *help = config_help_text();
		fputs(help, stdout);
		fflush(stdout);
		g_free(help);
		outcome = CONFIG_EXIT_SUCCESS;
		goto done;
	}
	if (state.version_requested) {
		print_version();
		outcome = CONFIG_EXIT_SUCCESS;
		goto done;
	}
	if (!*section) {
		*error_message = g_strdup("invalid value '' for option 'config-section': expected a section name");
		goto done;
	}
	if (file_name && !*file_name) {
		*error_message = g_strdup("invalid value '' for option 'config-file': expected a file name or none");
		goto done;
	}

	bool required = file_name != NULL;
	const char *path = file_name ? file_name : default_file_override ? default_file_override : CONFIG_DEFAULT_FILE;
	if (strcmp(path, "none") != 0) {
		bool file_was_read = false;
		if (load_config_file(&state, path, section, required, &file_was_read, error_message) < 0)
			goto done;
		if (file_was_read)
			config->config_file = g_strdup(path);
	}
	config->config_section = g_strdup(section);

	/* A list on the command line replaces the file's list, as upstream. */
	if (interfaces_on_command_line)
		g_array_set_size(state.interfaces, 0);
	for (guint i = 0; i < given->len; i++) {
		const struct given_option *option = &g_array_index(given, struct given_option, i);
		if (apply_option(&state, option->spec, option->value, "command line", error_message) < 0)
			goto done;
	}

	config->interface_count = state.interfaces->len;
	config->interfaces = (struct interface_config *) g_array_free(state.interfaces, FALSE);
	state.interfaces = NULL;
	if (check_config(config, error_message) < 0)
		goto done;
	outcome = CONFIG_OK;

done:
	if (state.interfaces)
		g_array_free(state.interfaces, TRUE);
	g_array_free(given, TRUE);
	if (outcome != CONFIG_OK)
		config_free(config);
	if (outcome != CONFIG_ERROR) {
		g_free(*error_message);
		*error_message = NULL;
	} else if (!*error_message) {
		*error_message = g_strdup("invalid configuration");
	}
	g_free(ignored_message);
	return outcome;
}

void config_free(struct daemon_config *config)
{
	if (!config)
		return;
	g_free(config->config_file);
	g_free(config->config_section);
	g_free(config->interfaces);
	g_free(config->pidfile);
	config->config_file = NULL;
	config->config_section = NULL;
	config->interfaces = NULL;
	config->interface_count = 0;
	config->pidfile = NULL;
}

const char *config_address_to_text(const struct sockaddr_storage *address, char *buffer, size_t size)
{
	return interface_address_to_text(address, buffer, size);
}

const char *config_endpoint_to_text(const struct sockaddr_storage *address, char *buffer, size_t size)
{
	return interface_address_endpoint_to_text(address, buffer, size);
}

char *config_help_text(void)
{
	GString *text = g_string_new("Usage:\n  rtpengine [OPTION...]  - media relay, ng protocol\n\nOptions:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(option_table); i++) {
		const struct option_spec *spec = &option_table[i];
		if (spec->support != OPTION_SUPPORTED)
			continue;
		g_autofree char *left = g_strdup_printf("%c%c%s--%s%s%s",
				spec->short_letter ? '-' : ' ', spec->short_letter ? spec->short_letter : ' ',
				spec->short_letter ? ", " : "  ", spec->long_name, spec->value_hint ? "=" : "",
				spec->value_hint ? spec->value_hint : "");
		g_string_append_printf(text, "  %-58s %s\n", left, spec->description);
	}
	g_string_append(text, "\nAccepted for compatibility with upstream rtpengine and ignored:\n ");
	size_t column = 1;
	for (size_t i = 0; i < G_N_ELEMENTS(option_table); i++) {
		const struct option_spec *spec = &option_table[i];
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

const char *config_endpoint_learning_name(enum endpoint_learning learning)
{
	if ((size_t) learning >= G_N_ELEMENTS(endpoint_learning_names))
		return "?";
	return endpoint_learning_names[learning];
}

void config_set_default_file(const char *path)
{
	g_free(default_file_override);
	default_file_override = g_strdup(path);
}
