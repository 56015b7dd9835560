/* Unit tests for daemon/config.c and lib/interface_address.c: every supported option in
 * its long and short form, config file + command line precedence, ';' lists, sections,
 * IPv6 forms and the error messages for bad input. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "interface_address.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* A temp directory for config files, removed after each test. */
struct fixture {
	char *directory;
	struct daemon_config config;
	char *error;
};

static void fixture_set_up(struct fixture *fixture, gconstpointer data)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->directory = g_dir_make_tmp("test_config_XXXXXX", NULL);
	g_assert_nonnull(fixture->directory);
	/* Never read the machine's /etc/rtpengine/rtpengine.conf. */
	g_autofree char *missing = g_build_filename(fixture->directory, "no-default.conf", NULL);
	config_set_default_file(missing);
}

static void fixture_tear_down(struct fixture *fixture, gconstpointer data)
{
	config_free(&fixture->config);
	g_free(fixture->error);
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
	config_set_default_file(NULL);
}

static char *write_file(struct fixture *fixture, const char *name, const char *contents)
{
	char *path = g_build_filename(fixture->directory, name, NULL);
	g_assert_true(g_file_set_contents(path, contents, -1, NULL));
	return path;
}

/* Runs config_load on a NULL-terminated list of arguments (argv[0] is added). */
static enum config_result load_arguments(struct fixture *fixture, const char *first, ...)
{
	GPtrArray *arguments = g_ptr_array_new();
	g_ptr_array_add(arguments, (gpointer) "rtpengine");
	va_list list;
	va_start(list, first);
	for (const char *argument = first; argument; argument = va_arg(list, const char *))
		g_ptr_array_add(arguments, (gpointer) argument);
	va_end(list);
	g_ptr_array_add(arguments, NULL);
	config_free(&fixture->config);
	g_clear_pointer(&fixture->error, g_free);
	enum config_result result = config_load(&fixture->config, (int) arguments->len - 1,
			(char **) arguments->pdata, &fixture->error);
	g_ptr_array_free(arguments, TRUE);
	return result;
}

#define BASE "--config-file=none", "-i", "127.0.0.1", "-n", "127.0.0.1:2223"

static void assert_address(const union endpoint *address, int family, const char *text, unsigned int port)
{
	char buffer[ENDPOINT_TEXT_SIZE];
	g_assert_cmpint(address->address.sa_family, ==, family);
	g_assert_cmpstr(endpoint_address_text(address, buffer, sizeof(buffer)), ==, text);
	g_assert_cmpuint(endpoint_port(address), ==, port);
}

static void assert_error_contains(struct fixture *fixture, enum config_result result, const char *part)
{
	g_assert_cmpint(result, ==, CONFIG_ERROR);
	g_assert_nonnull(fixture->error);
	if (!strstr(fixture->error, part))
		g_error("error message '%s' does not contain '%s'", fixture->error, part);
	g_assert_null(fixture->config.interfaces);
}

/* ---- defaults and each option --------------------------------------------------------------- */

static void test_defaults(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, NULL), ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	g_assert_null(config->config_file);
	g_assert_cmpstr(config->config_section, ==, "rtpengine");
	g_assert_cmpuint(config->interface_count, ==, 1);
	g_assert_cmpstr(config->interfaces[0].name, ==, "default");
	assert_address(&config->interfaces[0].local, AF_INET, "127.0.0.1", 0);
	assert_address(&config->interfaces[0].advertised, AF_INET, "127.0.0.1", 0);
	assert_address(&config->listen_ng, AF_INET, "127.0.0.1", 2223);
	g_assert_cmpuint(config->port_min, ==, 30000);
	g_assert_cmpuint(config->port_max, ==, 40000);
	g_assert_cmpint(config->table, ==, 0);
	g_assert_false(config->no_fallback);
	g_assert_cmpuint(config->timeout, ==, 60);
	g_assert_cmpuint(config->silent_timeout, ==, 3600);
	g_assert_cmpuint(config->final_timeout, ==, 0);
	g_assert_cmpuint(config->delete_delay, ==, 30);
	g_assert_cmpint(config->tos, ==, -1);
	g_assert_cmpuint(config->num_threads, ==, (unsigned int) sysconf(_SC_NPROCESSORS_ONLN));
	g_assert_cmpint(config->max_sessions, ==, -1);
	g_assert_cmpint(config->endpoint_learning, ==, ENDPOINT_LEARNING_DELAYED);
	g_assert_false(config->foreground);
	g_assert_null(config->pidfile);
	g_assert_cmpint(config->log.level, ==, 6);
	g_assert_cmpint(config->log.facility, ==, LOG_DAEMON);
	g_assert_false(config->log.to_stderr);
}

/* Every supported option set to a non-default value, long forms. */
static void test_long_options(struct fixture *fixture, gconstpointer data)
{
	enum config_result result = load_arguments(fixture, "--config-file=none", "--interface=int/127.0.0.2!192.0.2.9",
			"--interface", "ext/::1", "--listen-ng=[::1]:2224", "--port-min=31000", "--port-max", "31999",
			"--table=3", "--no-fallback", "--timeout=10", "--silent-timeout=20", "--final-timeout=30",
			"--delete-delay=0", "--tos=184", "--num-threads=3", "--max-sessions=100",
			"--endpoint-learning=heuristic", "--foreground", "--pidfile=/run/x.pid", "--log-level=7",
			"--log-facility=local3", "--log-stderr", "--config-section=ignored-without-file", NULL);
	g_assert_cmpint(result, ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	g_assert_cmpuint(config->interface_count, ==, 2);
	g_assert_cmpstr(config->interfaces[0].name, ==, "int");
	assert_address(&config->interfaces[0].local, AF_INET, "127.0.0.2", 0);
	assert_address(&config->interfaces[0].advertised, AF_INET, "192.0.2.9", 0);
	g_assert_cmpstr(config->interfaces[1].name, ==, "ext");
	assert_address(&config->interfaces[1].local, AF_INET6, "::1", 0);
	assert_address(&config->interfaces[1].advertised, AF_INET6, "::1", 0);
	assert_address(&config->listen_ng, AF_INET6, "::1", 2224);
	g_assert_cmpuint(config->port_min, ==, 31000);
	g_assert_cmpuint(config->port_max, ==, 31999);
	g_assert_cmpint(config->table, ==, 3);
	g_assert_true(config->no_fallback);
	g_assert_cmpuint(config->timeout, ==, 10);
	g_assert_cmpuint(config->silent_timeout, ==, 20);
	g_assert_cmpuint(config->final_timeout, ==, 30);
	g_assert_cmpuint(config->delete_delay, ==, 0);
	g_assert_cmpint(config->tos, ==, 184);
	g_assert_cmpuint(config->num_threads, ==, 3);
	g_assert_cmpint(config->max_sessions, ==, 100);
	g_assert_cmpint(config->endpoint_learning, ==, ENDPOINT_LEARNING_HEURISTIC);
	g_assert_true(config->foreground);
	g_assert_cmpstr(config->pidfile, ==, "/run/x.pid");
	g_assert_cmpint(config->log.level, ==, 7);
	g_assert_cmpint(config->log.facility, ==, LOG_LOCAL3);
	g_assert_true(config->log.to_stderr);
	g_assert_cmpstr(config->config_section, ==, "ignored-without-file");
}

/* The same with upstream's short letters: -i -n -m -M -t -F -o -s -a -d -T -f -p -L -E. */
static void test_short_options(struct fixture *fixture, gconstpointer data)
{
	enum config_result result = load_arguments(fixture, "--config-file=none", "-i", "a/127.0.0.3", "-ib/127.0.0.4",
			"-n", "2225", "-m", "32000", "-M32001", "-t", "-1", "-F", "-o", "11", "-s", "22", "-a", "33",
			"-d", "44", "-T", "0xb8", "-fE", "-p", "/tmp/pid", "-L", "3", NULL);
	g_assert_cmpint(result, ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	g_assert_cmpuint(config->interface_count, ==, 2);
	g_assert_cmpstr(config->interfaces[0].name, ==, "a");
	g_assert_cmpstr(config->interfaces[1].name, ==, "b");
	assert_address(&config->interfaces[1].local, AF_INET, "127.0.0.4", 0);
	/* A bare port listens on every address, as upstream: [::] bound dual-stack. */
	assert_address(&config->listen_ng, AF_INET6, "::", 2225);
	g_assert_true(interface_address_is_any(&config->listen_ng));
	g_assert_cmpuint(config->port_min, ==, 32000);
	g_assert_cmpuint(config->port_max, ==, 32001);
	g_assert_cmpint(config->table, ==, -1);
	g_assert_true(config->no_fallback);
	g_assert_cmpuint(config->timeout, ==, 11);
	g_assert_cmpuint(config->silent_timeout, ==, 22);
	g_assert_cmpuint(config->final_timeout, ==, 33);
	g_assert_cmpuint(config->delete_delay, ==, 44);
	g_assert_cmpint(config->tos, ==, 184);
	g_assert_true(config->foreground);
	g_assert_true(config->log.to_stderr);
	g_assert_cmpstr(config->pidfile, ==, "/tmp/pid");
	g_assert_cmpint(config->log.level, ==, 3);
}

static void test_table_negative_is_disabled(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, "--table=-5", NULL), ==, CONFIG_OK);
	g_assert_cmpint(fixture->config.table, ==, -1);
}

static void test_endpoint_learning_values(struct fixture *fixture, gconstpointer data)
{
	static const struct {
		const char *text;
		enum endpoint_learning value;
	} cases[] = {
		{ "delayed", ENDPOINT_LEARNING_DELAYED }, { "immediate", ENDPOINT_LEARNING_IMMEDIATE },
		{ "off", ENDPOINT_LEARNING_OFF }, { "heuristic", ENDPOINT_LEARNING_HEURISTIC },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *option = g_strdup_printf("--endpoint-learning=%s", cases[i].text);
		g_assert_cmpint(load_arguments(fixture, BASE, option, NULL), ==, CONFIG_OK);
		g_assert_cmpint(fixture->config.endpoint_learning, ==, cases[i].value);
		g_assert_cmpstr(config_endpoint_learning_name(cases[i].value), ==, cases[i].text);
	}
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--endpoint-learning=sometimes", NULL),
			"'sometimes' for option 'endpoint-learning'");
}

/* call recording: --recording-dir turns it on, method and format are checked */
static void test_recording_options(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, NULL), ==, CONFIG_OK);
	g_assert_null(fixture->config.recording_dir);
	g_assert_cmpint(fixture->config.recording_method, ==, RECORDING_METHOD_PCAP);
	g_assert_cmpint(fixture->config.recording_format, ==, RECORDING_FORMAT_RAW);
	g_assert_cmpint(load_arguments(fixture, BASE, "--recording-dir=/var/spool/rtpengine", "--recording-method=proc",
				       "--recording-format=eth", NULL), ==, CONFIG_OK);
	g_assert_cmpstr(fixture->config.recording_dir, ==, "/var/spool/rtpengine");
	g_assert_cmpint(fixture->config.recording_method, ==, RECORDING_METHOD_PROC);
	g_assert_cmpint(fixture->config.recording_format, ==, RECORDING_FORMAT_ETH);
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--recording-method=all", NULL),
			"recording-method");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--recording-format=wav", NULL),
			"recording-format");
}

static void test_log_facilities(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, "--log-facility=user", NULL), ==, CONFIG_OK);
	g_assert_cmpint(fixture->config.log.facility, ==, LOG_USER);
	g_assert_cmpint(load_arguments(fixture, BASE, "--log-facility", "local7", NULL), ==, CONFIG_OK);
	g_assert_cmpint(fixture->config.log.facility, ==, LOG_LOCAL7);
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--log-facility=local8", NULL),
			"invalid value 'local8' for option 'log-facility'");
}

static void test_last_value_wins(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, "-o", "5", "--timeout=6", "-n", "2230", NULL), ==, CONFIG_OK);
	g_assert_cmpuint(fixture->config.timeout, ==, 6);
	g_assert_cmpuint(endpoint_port(&fixture->config.listen_ng), ==, 2230);
}

static void test_help_and_version(struct fixture *fixture, gconstpointer data)
{
	/* --help wins even next to otherwise invalid input and reads no file. */
	g_assert_cmpint(load_arguments(fixture, "--help", "--config-file=/nonexistent", NULL), ==, CONFIG_EXIT_SUCCESS);
	g_assert_null(fixture->error);
	g_assert_cmpint(load_arguments(fixture, "-h", NULL), ==, CONFIG_EXIT_SUCCESS);
	g_assert_cmpint(load_arguments(fixture, "--version", NULL), ==, CONFIG_EXIT_SUCCESS);
	g_assert_cmpint(load_arguments(fixture, "-v", NULL), ==, CONFIG_EXIT_SUCCESS);
	g_assert_null(fixture->config.interfaces);

	g_autofree char *help = config_help_text();
	static const char *const expected[] = {
		"-i, --interface=[NAME/]IP[!IP]", "-n, --listen-ng=", "-m, --port-min=INT", "-M, --port-max=INT",
		"-t, --table=INT", "-F, --no-fallback", "-o, --timeout=SECS", "-s, --silent-timeout=SECS",
		"-a, --final-timeout=SECS", "-d, --delete-delay=INT", "-T, --tos=INT", "--num-threads=INT",
		"--max-sessions=INT", "--endpoint-learning=", "-f, --foreground", "-p, --pidfile=FILE",
		"-L, --log-level=INT", "--log-facility=", "-E, --log-stderr", "-v, --version", "-h, --help",
		"--config-file=FILE", "--config-section=STRING", "--listen-cli",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
		if (!strstr(help, expected[i]))
			g_error("help text lacks '%s':\n%s", expected[i], help);
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void test_missing_interface_and_listener(struct fixture *fixture, gconstpointer data)
{
	assert_error_contains(fixture, load_arguments(fixture, "--config-file=none", "-n", "2223", NULL),
			"--interface");
	assert_error_contains(fixture, load_arguments(fixture, "--config-file=none", "-i", "127.0.0.1", NULL),
			"--listen-ng");
}

static void test_port_range_errors(struct fixture *fixture, gconstpointer data)
{
	assert_error_contains(fixture, load_arguments(fixture, BASE, "-m", "5000", "-M", "4000", NULL),
			"--port-min (5000) is greater than --port-max (4000)");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--port-max=70000", NULL),
			"invalid value '70000' for option 'port-max': expected an integer from 1 to 65535");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--port-min=0", NULL),
			"invalid value '0' for option 'port-min'");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "-m", "5000", "-M", "5000", NULL),
			"no even/odd port pair");
	/* 5001-5002 holds no pair starting on an even port; 5001-5003 holds 5002/5003. */
	assert_error_contains(fixture, load_arguments(fixture, BASE, "-m", "5001", "-M", "5002", NULL),
			"no even/odd port pair");
	g_assert_cmpint(load_arguments(fixture, BASE, "-m", "5001", "-M", "5003", NULL), ==, CONFIG_OK);
	g_assert_cmpint(load_arguments(fixture, BASE, "-m", "1", "-M", "65535", NULL), ==, CONFIG_OK);
}

static void test_bad_values(struct fixture *fixture, gconstpointer data)
{
	static const struct {
		const char *option;
		const char *expected;
	} cases[] = {
		{ "--interface=999.1.1.1", "invalid value '999.1.1.1' for option 'interface'" },
		{ "--interface=1.2.3", "option 'interface'" },
		{ "--interface=x/", "missing address" },
		{ "--interface=/127.0.0.1", "empty interface name" },
		{ "--interface=127.0.0.1!", "advertised address '' is not" },
		{ "--interface=127.0.0.1!-bad", "advertised address '-bad' is not" },
		{ "--interface=127.0.0.1!1.2.3.4!5.6.7.8", "advertised address" },
		{ "--interface=x/127.0.0.1/1", "option 'interface'" },
		{ "--interface=[::1", "option 'interface'" },
		{ "--interface=0123456789012345678901234567890123456789012345678901234567890123456789/127.0.0.1",
			"longer than 63" },
		{ "--listen-ng=70000", "the port must be from 1 to 65535" },
		{ "--listen-ng=0", "the port must be from 1 to 65535" },
		{ "--listen-ng=127.0.0.1:", "expected [ADDRESS:]PORT" },
		{ "--listen-ng=:2223", "expected [ADDRESS:]PORT" },
		{ "--listen-ng=[::1]", "expected [ADDRESS:]PORT" },
		{ "--listen-ng=1.2.3:2223", "option 'listen-ng'" },
		{ "--listen-ng=127.0.0.1:abc", "option 'listen-ng'" },
		{ "--log-level=8", "expected an integer from 0 to 7" },
		{ "--log-level=abc", "invalid value 'abc' for option 'log-level'" },
		{ "--tos=256", "expected an integer from 0 to 255" },
		{ "--timeout=-5", "invalid value '-5' for option 'timeout'" },
		{ "--silent-timeout=1x", "option 'silent-timeout'" },
		{ "--final-timeout=", "option 'final-timeout'" },
		{ "--delete-delay=99999999999999999999", "option 'delete-delay'" },
		{ "--max-sessions=-2", "option 'max-sessions'" },
		{ "--num-threads=-1", "option 'num-threads'" },
		{ "--table=x", "option 'table'" },
		{ "--pidfile=", "option 'pidfile'" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_error_contains(fixture, load_arguments(fixture, BASE, cases[i].option, NULL), cases[i].expected);
}

static void test_command_line_syntax_errors(struct fixture *fixture, gconstpointer data)
{
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--bogus", NULL), "unknown option '--bogus'");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--bogus=1", NULL), "unknown option '--bogus'");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "-Z", NULL), "unknown option '-Z'");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "-fZ", NULL), "unknown option '-Z'");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "stray", NULL), "unexpected argument 'stray'");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--timeout", NULL),
			"option '--timeout' needs a value");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "-o", NULL), "option '-o' (--timeout) needs a value");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--foreground=yes", NULL),
			"option '--foreground' takes no value");
	/* Upstream options for missing capabilities that change behaviour are refused... */
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--active-switchover", NULL),
			"'active-switchover' is not supported");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--xmlrpc-format=1", NULL), "'xmlrpc-format' is not supported");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--sip-source", NULL), "'sip-source' is not supported");
	/* ... harmless ones are accepted, their values consumed, and ignored. */
	g_assert_cmpint(load_arguments(fixture, BASE, "--listen-cli", "127.0.0.1:2224", "-c", "2225",
			"--log-level-core=7", "--split-logs", NULL),
			==, CONFIG_OK);
	/* the CLI: a bare port listens on loopback only; -u and -N are control listeners */
	assert_address(&fixture->config.listen_cli, AF_INET, "127.0.0.1", 2225);
	g_assert_cmpint(load_arguments(fixture, BASE, "-u", "2222", "-N", "127.0.0.1:2223", NULL), ==, CONFIG_OK);
	g_assert_cmpuint(endpoint_port(&fixture->config.listen_udp), ==, 2222);
	assert_address(&fixture->config.listen_tcp_ng, AF_INET, "127.0.0.1", 2223);
	/* -l: the old mediaproxy-ng TCP control protocol (control_tcp_server.c), a control socket of its own */
	g_assert_cmpint(load_arguments(fixture, "--config-file=none", "-i", "127.0.0.1", "-l", "127.0.0.1:2226", NULL), ==, CONFIG_OK);
	assert_address(&fixture->config.listen_tcp, AF_INET, "127.0.0.1", 2226);
	/* "--" ends the options. */
	g_assert_cmpint(load_arguments(fixture, BASE, "--", NULL), ==, CONFIG_OK);
	/* transcoding: --jitter-buffer is the reorder depth, 0-16 */
	g_assert_cmpint(load_arguments(fixture, BASE, "--jitter-buffer=5", NULL), ==, CONFIG_OK);
	g_assert_cmpuint(fixture->config.jitter_buffer, ==, 5);
	g_assert_cmpint(load_arguments(fixture, BASE, "--jitter-buffer=17", NULL), !=, CONFIG_OK);
}

/* ---- config file ------------------------------------------------------------------------------ */

static void test_config_file(struct fixture *fixture, gconstpointer data)
{
	g_autofree char *path = write_file(fixture, "a.conf",
			"# comment\n"
			"[rtpengine]\n"
			"interface = int/127.0.0.1;ext/127.0.0.2!192.0.2.1; v6/[::1]\n"
			"listen-ng = 127.0.0.1:2240\n"
			"port-min = 31000\n"
			"port-max = 31010\n"
			"table = -1\n"
			"no-fallback = true\n"
			"timeout = 61\n"
			"silent-timeout = 62\n"
			"final-timeout = 63\n"
			"delete-delay = 64\n"
			"tos = 184\n"
			"num-threads = 5\n"
			"max-sessions = 0\n"
			"endpoint-learning = immediate\n"
			"foreground = true\n"
			"pidfile = /run/rtpengine.pid\n"
			"log-level = 7\n"
			"log-facility = local1\n"
			"log-stderr = true\n"
			"listen-cli = localhost:2224\n"
			"recording-method = proc\n"
			"some-future-option = 1\n"
			"\n"
			"[other]\n"
			"interface = z/127.0.0.9\n"
			"listen-ng = 2242\n");
	g_autofree char *option = g_strdup_printf("--config-file=%s", path);
	g_assert_cmpint(load_arguments(fixture, option, NULL), ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	g_assert_cmpstr(config->config_file, ==, path);
	g_assert_cmpstr(config->config_section, ==, "rtpengine");
	g_assert_cmpuint(config->interface_count, ==, 3);
	g_assert_cmpstr(config->interfaces[0].name, ==, "int");
	g_assert_cmpstr(config->interfaces[1].name, ==, "ext");
	assert_address(&config->interfaces[1].advertised, AF_INET, "192.0.2.1", 0);
	g_assert_cmpstr(config->interfaces[2].name, ==, "v6");
	assert_address(&config->interfaces[2].local, AF_INET6, "::1", 0);
	assert_address(&config->listen_ng, AF_INET, "127.0.0.1", 2240);
	g_assert_cmpuint(config->port_min, ==, 31000);
	g_assert_cmpuint(config->port_max, ==, 31010);
	g_assert_cmpint(config->table, ==, -1);
	g_assert_true(config->no_fallback);
	g_assert_cmpuint(config->timeout, ==, 61);
	g_assert_cmpuint(config->silent_timeout, ==, 62);
	g_assert_cmpuint(config->final_timeout, ==, 63);
	g_assert_cmpuint(config->delete_delay, ==, 64);
	g_assert_cmpint(config->tos, ==, 184);
	g_assert_cmpuint(config->num_threads, ==, 5);
	g_assert_cmpint(config->max_sessions, ==, 0);
	g_assert_cmpint(config->endpoint_learning, ==, ENDPOINT_LEARNING_IMMEDIATE);
	g_assert_true(config->foreground);
	g_assert_cmpstr(config->pidfile, ==, "/run/rtpengine.pid");
	g_assert_cmpint(config->log.level, ==, 7);
	g_assert_cmpint(config->log.facility, ==, LOG_LOCAL1);
	g_assert_true(config->log.to_stderr);
	g_assert_cmpint(config->recording_method, ==, RECORDING_METHOD_PROC);

	/* --config-section picks the other section; nothing of [rtpengine] leaks in. */
	g_assert_cmpint(load_arguments(fixture, option, "--config-section=other", NULL), ==, CONFIG_OK);
	g_assert_cmpstr(fixture->config.config_section, ==, "other");
	g_assert_cmpuint(fixture->config.interface_count, ==, 1);
	g_assert_cmpstr(fixture->config.interfaces[0].name, ==, "z");
	assert_address(&fixture->config.listen_ng, AF_INET6, "::", 2242);
	g_assert_cmpuint(fixture->config.port_min, ==, 30000);
	g_assert_false(fixture->config.foreground);

	assert_error_contains(fixture, load_arguments(fixture, option, "--config-section=missing", NULL),
			"has no section [missing]");
}

static void test_command_line_overrides_file(struct fixture *fixture, gconstpointer data)
{
	g_autofree char *path = write_file(fixture, "b.conf",
			"[rtpengine]\n"
			"interface = a/127.0.0.1;b/127.0.0.2\n"
			"listen-ng = 127.0.0.1:2240\n"
			"timeout = 61\n"
			"log-level = 7\n"
			"foreground = false\n"
			"port-max = 31000\n");
	g_autofree char *option = g_strdup_printf("--config-file=%s", path);
	/* Options before and after --config-file both override the file. */
	g_assert_cmpint(load_arguments(fixture, "-o", "5", option, "-L", "5", "-f", "-m", "30500", NULL), ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	g_assert_cmpuint(config->timeout, ==, 5);
	g_assert_cmpint(config->log.level, ==, 5);
	g_assert_true(config->foreground);
	g_assert_cmpuint(config->port_min, ==, 30500);
	g_assert_cmpuint(config->port_max, ==, 31000);
	g_assert_cmpuint(config->interface_count, ==, 2);

	/* An --interface on the command line replaces the file's whole list, as upstream. */
	g_assert_cmpint(load_arguments(fixture, option, "-i", "c/127.0.0.3", NULL), ==, CONFIG_OK);
	g_assert_cmpuint(fixture->config.interface_count, ==, 1);
	g_assert_cmpstr(fixture->config.interfaces[0].name, ==, "c");

	/* Checks of the whole apply to the merged result. */
	assert_error_contains(fixture, load_arguments(fixture, option, "-m", "32000", NULL), "greater than --port-max");
}

static void test_config_file_errors(struct fixture *fixture, gconstpointer data)
{
	g_autofree char *missing = g_build_filename(fixture->directory, "missing.conf", NULL);
	g_autofree char *missing_option = g_strdup_printf("--config-file=%s", missing);
	assert_error_contains(fixture, load_arguments(fixture, missing_option, "-i", "127.0.0.1", "-n", "2223", NULL),
			"cannot read config file");

	static const struct {
		const char *contents;
		const char *expected;
	} cases[] = {
		{ "garbage\n", "cannot read config file" },
		{ "[rtpengine]\ninterface=127.0.0.1\nlisten-ng=2223\nforeground=yes\n", "invalid value 'yes' for option 'foreground'" },
		{ "[rtpengine]\ninterface=127.0.0.1\nlisten-ng=2223\ntable=abc\n", "section [rtpengine]: invalid value 'abc' for option 'table'" },
		{ "[rtpengine]\ninterface=127.0.0.1;999.1.1.1\nlisten-ng=2223\n", "invalid value '999.1.1.1' for option 'interface'" },
		{ "[rtpengine]\ninterface=127.0.0.1\nlisten-ng=2223\nactive-switchover=true\n", "'active-switchover' is not supported" },
		{ "[rtpengine]\ninterface=127.0.0.1\nlisten-ng=2223\nport-min=40000\nport-max=30000\n", "greater than" },
		{ "[foo]\ninterface=127.0.0.1\n", "has no section [rtpengine]" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = write_file(fixture, "bad.conf", cases[i].contents);
		g_autofree char *option = g_strdup_printf("--config-file=%s", path);
		assert_error_contains(fixture, load_arguments(fixture, option, NULL), cases[i].expected);
		g_assert_true(strstr(fixture->error, path) != NULL || strstr(fixture->error, "port") != NULL);
	}
}

static void test_default_file(struct fixture *fixture, gconstpointer data)
{
	/* No default file: not an error, nothing read. */
	g_assert_cmpint(load_arguments(fixture, "-i", "127.0.0.1", "-n", "2223", NULL), ==, CONFIG_OK);
	g_assert_null(fixture->config.config_file);

	/* A default file that exists is read, unless --config-file=none. */
	g_autofree char *path = write_file(fixture, "default.conf",
			"[rtpengine]\ninterface = 127.0.0.5\nlisten-ng = 2250\ntimeout = 7\n");
	config_set_default_file(path);
	g_assert_cmpint(load_arguments(fixture, NULL), ==, CONFIG_OK);
	g_assert_cmpstr(fixture->config.config_file, ==, path);
	g_assert_cmpuint(fixture->config.timeout, ==, 7);
	assert_address(&fixture->config.interfaces[0].local, AF_INET, "127.0.0.5", 0);

	g_assert_cmpint(load_arguments(fixture, "--config-file=none", "-i", "127.0.0.1", "-n", "2223", NULL), ==,
			CONFIG_OK);
	g_assert_null(fixture->config.config_file);
	g_assert_cmpuint(fixture->config.timeout, ==, 60);
	assert_error_contains(fixture, load_arguments(fixture, "--config-file", "none", NULL), "--interface");
}

/* ---- address forms --------------------------------------------------------------------------- */

static void test_interface_forms(struct fixture *fixture, gconstpointer data)
{
	static const struct {
		const char *spec;
		const char *name;
		int family;
		const char *local;
		const char *advertised;
	} cases[] = {
		{ "127.0.0.1", "default", AF_INET, "127.0.0.1", "127.0.0.1" },
		{ "pub/127.0.0.1!203.0.113.7", "pub", AF_INET, "127.0.0.1", "203.0.113.7" },
		{ "::1", "default", AF_INET6, "::1", "::1" },
		{ "[::1]", "default", AF_INET6, "::1", "::1" },
		{ "v6/[::1]![2001:db8::1]", "v6", AF_INET6, "::1", "2001:db8::1" },
		{ "v6/::1!2001:db8::2", "v6", AF_INET6, "::1", "2001:db8::2" },
		/* Mixed families are accepted, as upstream does. */
		{ "mix/127.0.0.1!2001:db8::3", "mix", AF_INET, "127.0.0.1", "2001:db8::3" },
		{ "host/localhost", "host", AF_INET, "127.0.0.1", "127.0.0.1" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GArray *interfaces = g_array_new(FALSE, TRUE, sizeof(struct interface_config));
		char *error = NULL;
		int result = interface_address_parse_spec(cases[i].spec, strlen(cases[i].spec), interfaces, &error);
		if (result != 0)
			g_error("'%s' refused: %s", cases[i].spec, error);
		g_assert_cmpuint(interfaces->len, ==, 1);
		const struct interface_config *entry = &g_array_index(interfaces, struct interface_config, 0);
		g_assert_cmpstr(entry->name, ==, cases[i].name);
		g_assert_cmpint(entry->local.address.sa_family, ==, cases[i].family);
		char buffer[ENDPOINT_TEXT_SIZE];
		g_assert_cmpstr(endpoint_address_text(&entry->local, buffer, sizeof(buffer)), ==, cases[i].local);
		g_assert_cmpstr(endpoint_address_text(&entry->advertised, buffer, sizeof(buffer)), ==,
				cases[i].advertised);
		g_array_free(interfaces, TRUE);
	}
}

/* A system interface name expands to each of its addresses: "lo" holds 127.0.0.1. */
static void test_interface_by_system_name(struct fixture *fixture, gconstpointer data)
{
	GArray *interfaces = g_array_new(FALSE, TRUE, sizeof(struct interface_config));
	char *error = NULL;
	g_assert_cmpint(interface_address_parse_spec("loop/lo", 7, interfaces, &error), ==, 0);
	g_assert_cmpuint(interfaces->len, >=, 1);
	bool found_ipv4_loopback = false;
	for (guint i = 0; i < interfaces->len; i++) {
		const struct interface_config *entry = &g_array_index(interfaces, struct interface_config, i);
		g_assert_cmpstr(entry->name, ==, "loop");
		char buffer[ENDPOINT_TEXT_SIZE];
		if (!strcmp(endpoint_address_text(&entry->local, buffer, sizeof(buffer)), "127.0.0.1"))
			found_ipv4_loopback = true;
	}
	g_assert_true(found_ipv4_loopback);
	g_array_free(interfaces, TRUE);
}

/* Explicit lengths: bytes past length are never looked at, embedded NULs are refused. */
static void test_explicit_lengths(struct fixture *fixture, gconstpointer data)
{
	union endpoint address;
	g_assert_cmpint(endpoint_parse_address(&address, "127.0.0.1garbage", 9), ==, 0);
	g_assert_cmpint(endpoint_parse_address(&address, "127.0.0.1", 8), ==, -EINVAL);   /* "127.0.0." */
	char buffer[ENDPOINT_TEXT_SIZE];
	g_assert_cmpint(endpoint_parse_address(&address, "127.0.0.1", 9), ==, 0);
	g_assert_cmpstr(endpoint_address_text(&address, buffer, sizeof(buffer)), ==, "127.0.0.1");
	g_assert_cmpint(endpoint_parse_address(&address, "127.0\0.0.1", 10), ==, -EINVAL);
	g_assert_cmpint(endpoint_parse_address(&address, "", 0), ==, -EINVAL);
	g_assert_cmpint(interface_address_parse_endpoint("2223xyz", 4, &address), ==, 0);
	g_assert_cmpuint(endpoint_port(&address), ==, 2223);
	GArray *interfaces = g_array_new(FALSE, TRUE, sizeof(struct interface_config));
	char *error = NULL;
	g_assert_cmpint(interface_address_parse_spec("a/127.0.0.1!", 11, interfaces, &error), ==, 0);
	g_assert_cmpuint(interfaces->len, ==, 1);
	g_array_free(interfaces, TRUE);
	char long_text[400];
	memset(long_text, '1', sizeof(long_text));
	g_assert_cmpint(endpoint_parse_address(&address, long_text, sizeof(long_text)), ==, -EINVAL);
}

static void test_endpoint_forms(struct fixture *fixture, gconstpointer data)
{
	static const struct {
		const char *text;
		const char *expected;
	} cases[] = {
		{ "2223", "[::]:2223" },
		{ "127.0.0.1:2223", "127.0.0.1:2223" },
		{ "0.0.0.0:2223", "0.0.0.0:2223" },
		{ "[::1]:2223", "[::1]:2223" },
		{ "::1:2223", "[::1]:2223" },     /* upstream splits at the last colon */
		{ "[::]:1", "[::]:1" },
		{ "localhost:65535", "127.0.0.1:65535" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		union endpoint endpoint;
		int result = interface_address_parse_endpoint(cases[i].text, strlen(cases[i].text), &endpoint);
		if (result != 0)
			g_error("'%s' refused: %d", cases[i].text, result);
		char buffer[ENDPOINT_TEXT_SIZE];
		g_assert_cmpstr(endpoint_text(&endpoint, buffer, sizeof(buffer)), ==, cases[i].expected);
	}
	union endpoint endpoint;
	g_assert_cmpint(interface_address_parse_endpoint("65536", 5, &endpoint), ==, -ERANGE);
	g_assert_cmpint(interface_address_parse_endpoint("123456", 6, &endpoint), ==, -ERANGE);
	g_assert_cmpint(interface_address_parse_endpoint("-1", 2, &endpoint), ==, -EINVAL);
	g_assert_cmpint(interface_address_parse_endpoint("+1", 2, &endpoint), ==, -EINVAL);
	g_assert_cmpint(interface_address_parse_endpoint("999.1.1.1:5", 11, &endpoint), ==, -EINVAL);
	g_assert_false(interface_address_is_any(NULL));
}

/* With lookups off (fuzzing) a valid host name is refused without a query. */
static void test_lookups_switched_off(struct fixture *fixture, gconstpointer data)
{
	union endpoint address;
	interface_address_allow_host_lookups(false);
	int result = interface_address_resolve("localhost", 9, &address);
	int numeric = interface_address_resolve("127.0.0.1", 9, &address);
	GArray *interfaces = g_array_new(FALSE, TRUE, sizeof(struct interface_config));
	char *error = NULL;
	int spec_result = interface_address_parse_spec("a/localhost", 11, interfaces, &error);
	interface_address_allow_host_lookups(true);
	g_assert_cmpint(result, ==, -ENOENT);
	g_assert_cmpint(numeric, ==, 0);
	g_assert_cmpint(spec_result, ==, -ENOENT);
	g_assert_cmpuint(interfaces->len, ==, 0);
	g_assert_nonnull(strstr(error, "'localhost' is neither an IP address"));
	g_free(error);
	g_array_free(interfaces, TRUE);
	g_assert_cmpint(interface_address_resolve("localhost", 9, &address), ==, 0);
}

/* lib/endpoint.h's one to-text family and its inverses. */
static void test_address_text(struct fixture *fixture, gconstpointer data)
{
	union endpoint unset;
	memset(&unset, 0, sizeof(unset));
	char buffer[ENDPOINT_TEXT_SIZE];
	g_assert_cmpstr(endpoint_address_text(&unset, buffer, sizeof(buffer)), ==, "(none)");
	g_assert_cmpstr(endpoint_address_text(NULL, buffer, sizeof(buffer)), ==, "(none)");
	g_assert_cmpstr(endpoint_text(&unset, buffer, sizeof(buffer)), ==, "(none)");
	g_assert_cmpstr(endpoint_text(NULL, buffer, sizeof(buffer)), ==, "(none)");
	union endpoint address;
	g_assert_cmpint(endpoint_parse_address(&address, "2001:db8::1", 11), ==, 0);
	char tiny[5];
	g_assert_cmpstr(endpoint_text(&address, tiny, sizeof(tiny)), ==, "[200");
	g_assert_cmpstr(endpoint_address_text(&address, tiny, sizeof(tiny)), ==, "2001");
	g_assert_cmpint(endpoint_parse_address(&address, "fe80::1%lo", 10), ==, 0);
	g_assert_cmpuint(address.v6.sin6_scope_id, ==, 1);
	g_assert_cmpstr(endpoint_text(&address, buffer, sizeof(buffer)), ==, "[fe80::1%1]:0");
	g_assert_cmpstr(endpoint_address_text(&address, buffer, sizeof(buffer)), ==, "fe80::1");   /* as in SDP */
	g_assert_cmpint(endpoint_parse_address(&address, "[fe80::1%4294967295]", 20), ==, 0);
	g_assert_cmpuint(address.v6.sin6_scope_id, ==, 4294967295u);
	g_assert_cmpint(endpoint_parse_address(&address, "fe80::1%", 8), ==, -EINVAL);
	g_assert_cmpint(endpoint_parse_address(&address, "[127.0.0.1]", 11), ==, -EINVAL);

	/* endpoint_parse_text() reads what endpoint_text() writes. */
	static const struct {
		const char *text;
		int family;
		unsigned int port;
	} forms[] = {
		{ "192.0.2.1:5", AF_INET, 5 }, { "0.0.0.0:0", AF_INET, 0 }, { "[2001:db8::1]:65535", AF_INET6, 65535 },
		{ "[::]:2223", AF_INET6, 2223 }, { "[fe80::1%1]:7", AF_INET6, 7 },
		{ "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535", AF_INET6, 65535 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
		g_assert_cmpint(endpoint_parse_text(&address, forms[i].text, strlen(forms[i].text)), ==, 0);
		g_assert_cmpint(address.address.sa_family, ==, forms[i].family);
		g_assert_cmpuint(endpoint_port(&address), ==, forms[i].port);
		g_assert_cmpstr(endpoint_text(&address, buffer, sizeof(buffer)), ==, forms[i].text);
	}
	static const char *const refused[] = {
		"192.0.2.1", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:123456", "192.0.2.1:-1", "192.0.2.1:+1",
		"2001:db8::1:5", "[2001:db8::1]", "[2001:db8::1]5", "[192.0.2.1]:5", "host:5", ":5", "", "[::1]:5x",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++)
		if (endpoint_parse_text(&address, refused[i], strlen(refused[i])) != -EINVAL)
			g_error("'%s' was not refused", refused[i]);
	g_assert_cmpint(endpoint_parse_text(&address, "127.0.0.1:5\0", 12), ==, -EINVAL);
	g_assert_cmpint(endpoint_parse_text(&address, "127.0.0.1:5999", 11), ==, 0);
	g_assert_cmpuint(endpoint_port(&address), ==, 5);
}

/* ---- HTTP listener and Graphite -------------------------------------------------------------- */

static void test_http_and_graphite_options(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, NULL), ==, CONFIG_OK);
	g_assert_false(endpoint_is_set(&fixture->config.listen_http));
	g_assert_false(endpoint_is_set(&fixture->config.graphite));
	g_assert_cmpuint(fixture->config.graphite_interval, ==, 60);
	config_free(&fixture->config);
	/* a bare port is loopback: ng over HTTP is control */
	g_assert_cmpint(load_arguments(fixture, BASE, "--listen-http=2226", "--listen-https", "[::1]:2227",
			"--https-cert=/c.pem", "--http-threads=4", "-g", "192.0.2.1:2003", "-G", "10",
			"--graphite-prefix=relay.one.", "--graphite-timeout=3", NULL), ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	assert_address(&config->listen_http, AF_INET, "127.0.0.1", 2226);
	assert_address(&config->listen_https, AF_INET6, "::1", 2227);
	g_assert_cmpstr(config->https_cert, ==, "/c.pem");
	g_assert_null(config->https_key);
	g_assert_cmpuint(config->http_threads, ==, 4);
	assert_address(&config->graphite, AF_INET, "192.0.2.1", 2003);
	g_assert_cmpuint(config->graphite_interval, ==, 10);
	g_assert_cmpuint(config->graphite_timeout, ==, 3);
	g_assert_cmpstr(config->graphite_prefix, ==, "relay.one.");
	config_free(&fixture->config);
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--listen-https=2227", NULL), "--https-cert");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--listen-http=70000", NULL), "listen-http");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--graphite=2003", NULL), "Graphite server");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--graphite-interval=0", NULL),
			"graphite-interval");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--graphite-prefix=a b", NULL), "spaces");
}

/* play media's db-id: the --mysql-* strings as given; the query holds exactly one %llu. */
static void test_mysql_options(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, NULL), ==, CONFIG_OK);
	g_assert_null(fixture->config.mysql_host);
	g_assert_null(fixture->config.mysql_query);
	g_assert_cmpuint(fixture->config.mysql_port, ==, 0);
	config_free(&fixture->config);
	g_assert_cmpint(load_arguments(fixture, BASE, "--mysql-host=db.example", "--mysql-port=3307",
			"--mysql-user=relay", "--mysql-pass= two words ",
			"--mysql-query=select blob_column from prompts where prompt = %llu", NULL), ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	g_assert_cmpstr(config->mysql_host, ==, "db.example");
	g_assert_cmpuint(config->mysql_port, ==, 3307);
	g_assert_cmpstr(config->mysql_user, ==, "relay");
	g_assert_cmpstr(config->mysql_pass, ==, " two words ");
	g_assert_cmpstr(config->mysql_query, ==, "select blob_column from prompts where prompt = %llu");
	config_free(&fixture->config);
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--mysql-query=select data from t", NULL), "%llu");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--mysql-query=select %s where id = %llu", NULL),
			"%llu");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--mysql-query=select %llu, %llu", NULL), "%llu");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--mysql-port=0", NULL), "mysql-port");
}

/* Redis: upstream's [PASSWORD@]HOST:PORT/DB, the numbers' defaults, the keyspace list. */
static void test_redis_options(struct fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(load_arguments(fixture, BASE, NULL), ==, CONFIG_OK);
	const struct daemon_config *config = &fixture->config;
	g_assert_cmpstr(config->redis_read.host, ==, "");
	g_assert_cmpuint(config->redis_expires, ==, 86400);
	g_assert_cmpint(config->redis_allowed_errors, ==, -1);
	g_assert_cmpuint(config->redis_disable_time, ==, 10);
	g_assert_cmpuint(config->redis_connect_timeout_ms, ==, 1000);
	config_free(&fixture->config);
	g_assert_cmpint(load_arguments(fixture, BASE, "-r", "s3cr@t@127.0.0.1:6379/3", "--redis-write=[::1]:6380/4",
			"--redis-expires=60", "--redis-allowed-errors=5", "--redis-disable-time=2",
			"--redis-cmd-timeout=300", "--redis-connect-timeout=500", "-q", "-k", "3 4", "-k", "7",
			"--redis-num-threads=4", "-y", NULL), ==, CONFIG_OK);
	g_assert_cmpstr(config->redis_read.password, ==, "s3cr@t");
	g_assert_cmpstr(config->redis_read.host, ==, "127.0.0.1");
	g_assert_cmpuint(config->redis_read.port, ==, 6379);
	g_assert_cmpuint(config->redis_read.db, ==, 3);
	g_assert_cmpstr(config->redis_write.host, ==, "::1");
	g_assert_cmpstr(config->redis_write.password, ==, "");
	g_assert_cmpuint(config->redis_write.port, ==, 6380);
	g_assert_cmpuint(config->redis_write.db, ==, 4);
	g_assert_cmpuint(config->redis_expires, ==, 60);
	g_assert_cmpint(config->redis_allowed_errors, ==, 5);
	g_assert_cmpuint(config->redis_disable_time, ==, 2);
	g_assert_cmpuint(config->redis_cmd_timeout_ms, ==, 300);
	g_assert_cmpuint(config->redis_connect_timeout_ms, ==, 500);
	g_assert_true(config->no_redis_required && config->redis_delete_async);
	g_assert_cmpuint(config->subscribe_keyspace_count, ==, 3);
	g_assert_cmpuint(config->subscribe_keyspace[2], ==, 7);
	config_free(&fixture->config);
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--redis=127.0.0.1/3", NULL),
			"expected [PASSWORD@]HOST:PORT/DB");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--redis=127.0.0.1:0/3", NULL), "redis");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "--redis=:6379/3", NULL),
			"expected [PASSWORD@]HOST:PORT/DB");
	assert_error_contains(fixture, load_arguments(fixture, BASE, "-k", "x", NULL), "subscribe-keyspace");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, function) g_test_add(path, struct fixture, NULL, fixture_set_up, function, fixture_tear_down)
	ADD("/config/defaults", test_defaults);
	ADD("/config/long-options", test_long_options);
	ADD("/config/short-options", test_short_options);
	ADD("/config/table-negative", test_table_negative_is_disabled);
	ADD("/config/endpoint-learning", test_endpoint_learning_values);
	ADD("/config/recording", test_recording_options);
	ADD("/config/log-facility", test_log_facilities);
	ADD("/config/last-value-wins", test_last_value_wins);
	ADD("/config/help-version", test_help_and_version);
	ADD("/config/missing-required", test_missing_interface_and_listener);
	ADD("/config/port-range", test_port_range_errors);
	ADD("/config/bad-values", test_bad_values);
	ADD("/config/command-line-syntax", test_command_line_syntax_errors);
	ADD("/config/file", test_config_file);
	ADD("/config/file-override", test_command_line_overrides_file);
	ADD("/config/file-errors", test_config_file_errors);
	ADD("/config/default-file", test_default_file);
	ADD("/config/interface-forms", test_interface_forms);
	ADD("/config/interface-system-name", test_interface_by_system_name);
	ADD("/config/explicit-lengths", test_explicit_lengths);
	ADD("/config/endpoint-forms", test_endpoint_forms);
	ADD("/config/address-text", test_address_text);
	ADD("/config/lookups-off", test_lookups_switched_off);
	ADD("/config/http-graphite", test_http_and_graphite_options);
	ADD("/config/mysql", test_mysql_options);
	ADD("/config/redis", test_redis_options);
	return g_test_run();
}
