/* rtpengine-recording's options: the table (names, letters and syntax of upstream 10.5's
 * --help) and the functions that apply each value to struct rec_config. Tokenising, the config
 * file and precedence are lib/options.c's. */
#define SYSLOG_NAMES            /* facilitynames[] from <syslog.h> */
#include <stddef.h>
#include <syslog.h>

#include "recording_daemon.h"
#include "options.h"
#include "version.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

struct rec_config rec_config;

static int apply_string(char **target, const char *value)
{
	g_free(*target);
	*target = g_strdup(value);
	return 0;
}

static int apply_log_level(void *target, const char *value, char **reason)
{
	long long number;
	int result = options_apply_integer(value, 0, 7, &number, reason);
	if (result == 0)
		((struct rec_config *) target)->log.level = (int) number;
	return result;
}

/* syslog(3)'s facility names ("daemon", "local0", ...), as upstream accepts them */
static int apply_log_facility(void *target, const char *value, char **reason)
{
	for (const CODE *facility = facilitynames; facility->c_name; facility++) {
		if (!strcmp(facility->c_name, value) && strcmp(value, "mark")) {
			((struct rec_config *) target)->log.facility = facility->c_val;
			return 0;
		}
	}
	*reason = g_strdup("expected a syslog facility name such as daemon or local0");
	return -EINVAL;
}

static int apply_log_stderr(void *target, const char *value, char **reason)
{
	return options_apply_boolean(value, &((struct rec_config *) target)->log.to_stderr, reason);
}

static int apply_foreground(void *target, const char *value, char **reason)
{
	return options_apply_boolean(value, &((struct rec_config *) target)->foreground, reason);
}

static int apply_pidfile(void *target, const char *value, char **reason)
{
	return apply_string(&((struct rec_config *) target)->pidfile, value);
}

static int apply_table(void *target, const char *value, char **reason)
{
	long long number;
	int result = options_apply_integer(value, -1, 255, &number, reason);
	if (result == 0)
		((struct rec_config *) target)->table = (int) number;
	return result;
}

static int apply_spool_dir(void *target, const char *value, char **reason)
{
	return apply_string(&((struct rec_config *) target)->spool_dir, value);
}

static int apply_output_dir(void *target, const char *value, char **reason)
{
	return apply_string(&((struct rec_config *) target)->output_dir, value);
}

static int apply_output_pattern(void *target, const char *value, char **reason)
{
	/* upstream: both are mandatory, or two files of one call could get one name */
	if (!strstr(value, "%c") || !strstr(value, "%t")) {
		*reason = g_strdup("the pattern must contain %c and %t");
		return -EINVAL;
	}
	return apply_string(&((struct rec_config *) target)->output_pattern, value);
}

static int apply_output_format(void *target, const char *value, char **reason)
{
	struct rec_config *config = target;
	if (!strcmp(value, "wav"))
		config->format = REC_FORMAT_WAV;
	else if (!strcmp(value, "mp3"))
		config->format = REC_FORMAT_MP3;
	else if (!strcmp(value, "none"))
		config->format = REC_FORMAT_NONE;
	else {
		*reason = g_strdup("expected wav, mp3 or none");
		return -EINVAL;
	}
	return 0;
}

/* --forward-to: a Unix socket's path (forward.c) */
static int apply_forward_to(void *target, const char *value, char **reason)
{
	struct sockaddr_un address;
	if (!*value || strlen(value) >= sizeof(address.sun_path)) {
		*reason = g_strdup_printf("expected a Unix socket path of 1 to %zu characters",
					  sizeof(address.sun_path) - 1);
		return -EINVAL;
	}
	return apply_string(&((struct rec_config *) target)->forward_to, value);
}

static int apply_output_single(void *target, const char *value, char **reason)
{
	return options_apply_boolean(value, &((struct rec_config *) target)->output_single, reason);
}

static int apply_output_mixed(void *target, const char *value, char **reason)
{
	return options_apply_boolean(value, &((struct rec_config *) target)->output_mixed, reason);
}

static int apply_mix_method(void *target, const char *value, char **reason)
{
	struct rec_config *config = target;
	if (!strcmp(value, "direct"))
		config->mix_method = REC_MIX_DIRECT;
	else if (!strcmp(value, "channels"))
		config->mix_method = REC_MIX_CHANNELS;
	else {
		*reason = g_strdup("expected direct or channels");
		return -EINVAL;
	}
	return 0;
}

static int apply_resample_to(void *target, const char *value, char **reason)
{
	long long number;
	int result = options_apply_integer(value, 0, 192000, &number, reason);
	if (result == 0)
		((struct rec_config *) target)->resample_to = (int) number;
	return result;
}

static int apply_mp3_bitrate(void *target, const char *value, char **reason)
{
	long long number;
	int result = options_apply_integer(value, 8000, 320000, &number, reason);
	if (result == 0)
		((struct rec_config *) target)->mp3_bitrate = (int) number;
	return result;
}

static int apply_octal(const char *value, int *target, char **reason)
{
	char *end;
	long mode = strtol(value, &end, 8);
	if (end == value || *end != '\0' || mode < 0 || mode > 07777) {
		*reason = g_strdup("expected an octal file mode such as 0660");
		return -EINVAL;
	}
	*target = (int) mode;
	return 0;
}

static int apply_num_threads(void *target, const char *value, char **reason)
{
	long long number;
	int result = options_apply_integer(value, 1, 256, &number, reason);
	if (result == 0)
		((struct rec_config *) target)->num_threads = (int) number;
	return result;
}

static int apply_output_chmod(void *target, const char *value, char **reason)
{
	return apply_octal(value, &((struct rec_config *) target)->output_chmod, reason);
}

static int apply_output_chmod_dir(void *target, const char *value, char **reason)
{
	return apply_octal(value, &((struct rec_config *) target)->output_chmod_dir, reason);
}

/* Only files: "db" and "both" need MySQL, which this implementation does not have. */
static int apply_output_storage(void *target, const char *value, char **reason)
{
	if (strcmp(value, "file")) {
		*reason = g_strdup("only 'file' is supported: this implementation has no database storage");
		return -EINVAL;
	}
	return 0;
}

/* A user or group name, or a number; blank or -1 leaves the owner unchanged (as upstream). */
static int apply_owner(const char *value, bool group, int *target, char **reason)
{
	if (!*value || !strcmp(value, "-1")) {
		*target = -1;
		return 0;
	}
	long long number;
	if (options_parse_integer(value, 0, INT32_MAX, &number) == 0) {
		*target = (int) number;
		return 0;
	}
	if (group) {
		struct group *entry = getgrnam(value);
		if (entry) {
			*target = (int) entry->gr_gid;
			return 0;
		}
	} else {
		struct passwd *entry = getpwnam(value);
		if (entry) {
			*target = (int) entry->pw_uid;
			return 0;
		}
	}
	*reason = g_strdup_printf("no such %s", group ? "group" : "user");
	return -ENOENT;
}

static int apply_output_chown(void *target, const char *value, char **reason)
{
	return apply_owner(value, false, &((struct rec_config *) target)->output_uid, reason);
}

static int apply_output_chgrp(void *target, const char *value, char **reason)
{
	return apply_owner(value, true, &((struct rec_config *) target)->output_gid, reason);
}

#define SUPPORTED(name, letter, option_kind, apply_function, hint, text) \
	{ .long_name = name, .short_letter = letter, .kind = option_kind, .support = OPTION_SUPPORTED, \
	  .apply = apply_function, .value_hint = hint, .description = text }
#define IGNORED_VALUE(name, letter) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_VALUE, .support = OPTION_IGNORED }
#define IGNORED_FLAG(name, letter) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_FLAG, .support = OPTION_IGNORED }
#define UNSUPPORTED_VALUE(name, letter) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_VALUE, .support = OPTION_UNSUPPORTED }

static const struct option_spec option_table[] = {
	SUPPORTED("help", 'h', OPTION_FLAG, NULL, NULL, "Show help options"),
	SUPPORTED("version", 'v', OPTION_FLAG, NULL, NULL, "Print version and exit"),
	SUPPORTED("config-file", 0, OPTION_VALUE, NULL, "FILE",
			"Load config from this file (\"none\": no file; default " REC_DEFAULT_CONFIG_FILE " if it exists)"),
	SUPPORTED("config-section", 0, OPTION_VALUE, NULL, "STRING",
			"Config file section to use (default " REC_DEFAULT_SECTION ")"),
	SUPPORTED("log-level", 'L', OPTION_VALUE, apply_log_level, "INT", "Default log level (0-7, default 6)"),
	SUPPORTED("log-facility", 0, OPTION_VALUE, apply_log_facility, "daemon|local0|...|local7",
			"Syslog facility to use for logging"),
	SUPPORTED("log-stderr", 'E', OPTION_FLAG, apply_log_stderr, NULL, "Log on stderr instead of syslog"),
	SUPPORTED("pidfile", 'p', OPTION_VALUE, apply_pidfile, "FILE", "Write PID to file"),
	SUPPORTED("foreground", 'f', OPTION_FLAG, apply_foreground, NULL, "Don't fork to background"),
	SUPPORTED("table", 't', OPTION_VALUE, apply_table, "INT", "Kernel table rtpengine uses (default 0)"),
	SUPPORTED("spool-dir", 0, OPTION_VALUE, apply_spool_dir, "PATH",
			"Directory containing rtpengine metadata files (default /var/spool/rtpengine)"),
	SUPPORTED("num-threads", 0, OPTION_VALUE, apply_num_threads, "INT",
			"Number of recording threads (default: the number of CPU cores, at least 8)"),
	SUPPORTED("output-dir", 0, OPTION_VALUE, apply_output_dir, "PATH",
			"Where to write media files to (default /var/lib/rtpengine-recording)"),
	SUPPORTED("output-pattern", 0, OPTION_VALUE, apply_output_pattern, "STRING",
			"File name pattern for recordings (default %c-%t)"),
	SUPPORTED("output-format", 0, OPTION_VALUE, apply_output_format, "wav|mp3|none",
			"Write audio files of this type (default wav)"),
	SUPPORTED("resample-to", 0, OPTION_VALUE, apply_resample_to, "INT", "Resample all output audio"),
	SUPPORTED("mp3-bitrate", 0, OPTION_VALUE, apply_mp3_bitrate, "INT",
			"Bits per second for MP3 encoding (default 32000)"),
	SUPPORTED("output-mixed", 0, OPTION_FLAG, apply_output_mixed, NULL,
			"Mix participating sources into a single output"),
	SUPPORTED("mix-method", 0, OPTION_VALUE, apply_mix_method, "direct|channels", "How to mix multiple sources"),
	SUPPORTED("output-single", 0, OPTION_FLAG, apply_output_single, NULL, "Create one output file for each source"),
	SUPPORTED("output-chmod", 0, OPTION_VALUE, apply_output_chmod, "OCTAL", "File mode for recordings"),
	SUPPORTED("output-storage", 0, OPTION_VALUE, apply_output_storage, "file",
			"Where to store audio streams (file only)"),
	SUPPORTED("output-chown", 0, OPTION_VALUE, apply_output_chown, "USER|UID", "File owner for recordings"),
	SUPPORTED("output-chgrp", 0, OPTION_VALUE, apply_output_chgrp, "GROUP|GID", "File group for recordings"),
	SUPPORTED("output-chmod-dir", 0, OPTION_VALUE, apply_output_chmod_dir, "OCTAL",
			"Directory mode for recordings (default 0700)"),
	SUPPORTED("forward-to", 0, OPTION_VALUE, apply_forward_to, "PATH",
			"Where to forward to (unix socket): each call's metadata, then its raw packets"),

	/* Log cosmetics and thread tuning: nothing a recording relies on. */
	IGNORED_VALUE("log-level-core", 0), IGNORED_VALUE("log-level-ffmpeg", 0),
	IGNORED_VALUE("log-level-internals", 0), IGNORED_FLAG("split-logs", 0), IGNORED_VALUE("max-log-line-length", 0),
	IGNORED_FLAG("no-log-timestamps", 0), IGNORED_VALUE("log-mark-prefix", 0), IGNORED_VALUE("log-mark-suffix", 0),
	IGNORED_VALUE("thread-stack", 0),

	/* Storage and delivery this implementation does not have: refused, since a recording
	 * expected in a database or at a TLS peer would silently go missing. */
	UNSUPPORTED_VALUE("mysql-host", 0), UNSUPPORTED_VALUE("mysql-port", 0),
	UNSUPPORTED_VALUE("mysql-user", 0), UNSUPPORTED_VALUE("mysql-pass", 0), UNSUPPORTED_VALUE("mysql-db", 0),
	UNSUPPORTED_VALUE("tls-send-to", 0), UNSUPPORTED_VALUE("tls-resample", 0),
};

static const struct option_program program = {
	.name = "rtpengine-recording",
	.summary = "rtpengine recording daemon",
	.default_file = REC_DEFAULT_CONFIG_FILE,
	.default_section = REC_DEFAULT_SECTION,
	.options = option_table,
	.option_count = G_N_ELEMENTS(option_table),
};

static void set_defaults(struct rec_config *config)
{
	memset(config, 0, sizeof(*config));
	config->log.level = LOG_INFO;
	config->log.facility = LOG_DAEMON;
	config->output_chmod = -1;
	config->output_uid = -1;
	config->output_gid = -1;
	config->output_chmod_dir = 0700;
	config->format = REC_FORMAT_WAV;
	config->mp3_bitrate = 32000;
	/* upstream: the number of cores, or 8 when there are fewer or the number is unknown */
	config->num_threads = MAX((int) g_get_num_processors(), 8);
}

enum rec_config_result rec_config_load(struct rec_config *config, int argc, char **argv, char **error_message)
{
	set_defaults(config);
	struct option_program described = program;
	described.version = rtpengine_version;
	enum options_result result = options_load(&described, config, argc, argv, NULL, error_message);
	if (result == OPTIONS_EXIT_SUCCESS)
		return REC_CONFIG_EXIT_SUCCESS;
	if (result != OPTIONS_OK)
		return REC_CONFIG_ERROR;
	if (!config->spool_dir)
		config->spool_dir = g_strdup("/var/spool/rtpengine");
	if (!config->output_dir)
		config->output_dir = g_strdup("/var/lib/rtpengine-recording");
	if (!config->output_pattern)
		config->output_pattern = g_strdup("%c-%t");
	/* upstream: neither given means both */
	if (!config->output_single && !config->output_mixed)
		config->output_single = config->output_mixed = true;
	/* upstream: nothing to do at all is a configuration error */
	if (config->format == REC_FORMAT_NONE && !config->forward_to) {
		*error_message = g_strdup("Both output and forwarding are disabled (--output-format=none without --forward-to)");
		return REC_CONFIG_ERROR;
	}
	if (!strcmp(config->spool_dir, config->output_dir)) {
		*error_message = g_strdup("the spool-dir cannot be the same as the output-dir");
		return REC_CONFIG_ERROR;
	}
	return REC_CONFIG_OK;
}

void rec_config_free(struct rec_config *config)
{
	g_free(config->pidfile);
	g_free(config->spool_dir);
	g_free(config->output_dir);
	g_free(config->output_pattern);
	g_free(config->forward_to);
	memset(config, 0, sizeof(*config));
}
