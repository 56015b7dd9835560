/* The CLI's command table (cli_commands.c), the JSON ng codec (ng_json.c) and the TCP ng
 * framing (ng_tcp_server.c), without sockets: dispatch texts, set/params at run time, bounds;
 * JSON to items and back; where a TCP ng message ends. */
#include <glib.h>
#include <string.h>

#include "bencode.h"
#include "call.h"
#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "ng_json.h"
#include "ng_tcp_server.h"

static struct daemon_config config;
static struct daemon_context daemon_state;

static char *run(const char *line, int *result)
{
	GString *output = g_string_new(NULL);
	int status = cli_execute(line, strlen(line), output);
	if (result)
		*result = status;
	return g_string_free(output, FALSE);
}

static void assert_output(const char *line, const char *expected)
{
	g_autofree char *output = run(line, NULL);
	g_assert_cmpstr(output, ==, expected);
}

static void test_dispatch(void)
{
	int result;
	g_autofree char *help = run("help", &result);
	g_assert_cmpint(result, ==, 0);
	g_assert_true(g_str_has_prefix(help, "Available sub-commands at this level:\n\tlist\n\tterminate\n"));
	assert_output("", "More parameters required.\n");
	assert_output("list", "More parameters required.\n");
	assert_output("bogus words here", "Unknown or incomplete command::bogus words here\n");
	assert_output("list  bogus", "Unknown or incomplete command::bogus\n");
	assert_output("LIST numsessions", "Unknown or incomplete command::LIST numsessions\n");
	assert_output("list sessions all", "No sessions on this media relay.\n");
	assert_output("terminate nosuch", "\nCall Id not found (nosuch).\n\n");
	assert_output("list timeout", "TIMEOUT=60\n");
	assert_output("list transcoders", "No stats entries\n");
	g_autofree char *refused = run("list maxcpu", &result);
	g_assert_cmpint(result, <, 0);
	g_assert_nonnull(strstr(refused, "is not supported by this relay"));
	/* bounds: words and length */
	GString *many = g_string_new("list");
	for (int i = 0; i < 40; i++)
		g_string_append(many, " x");
	g_autofree char *too_many = run(many->str, &result);
	g_assert_cmpint(result, ==, -E2BIG);
	g_string_free(many, TRUE);
	char *long_line = g_strnfill(CLI_MAX_LINE + 10, 'a');
	g_autofree char *too_long = run(long_line, &result);
	g_assert_cmpint(result, ==, -E2BIG);
	g_free(long_line);
}

static void test_set_and_params(void)
{
	assert_output("set maxsessions 12", "Success setting maxsessions to 12\n");
	g_assert_cmpint(config.max_sessions, ==, 12);
	assert_output("set timeout 5", "Success setting timeout to 5\n");
	assert_output("set timeout abc", "Fail setting timeout to abc; no digists found\n");
	g_autofree char *negative = run("set timeout -1", NULL);
	g_assert_true(g_str_has_prefix(negative, "Fail setting timeout to -1"));
	g_assert_cmpuint(config.timeout, ==, 5);
	assert_output("params diff", "max-sessions: -1 => 12\ntimeout: 60 => 5\n");
	assert_output("params revert", "");
	assert_output("params diff", "");
	g_assert_cmpint(config.max_sessions, ==, -1);
	g_assert_cmpuint(config.timeout, ==, 60);
}

static struct bencode_item *decode_json(struct bencode_buffer *buffer, const char *text, const char **error)
{
	*error = NULL;
	return ng_json_decode(buffer, text, strlen(text), error);
}

static void test_json(void)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	const char *error;
	struct bencode_item *item = decode_json(buffer,
		"{\"command\":\"offer\",\"n\":-7,\"t\":true,\"flags\":[\"a\",\"b\\\"c\"],\"d\":{\"x\":\"\\u00e9\\n\"}}", &error);
	g_assert_nonnull(item);
	g_assert_cmpstr(bencode_dictionary_get_string(buffer, item, "command", NULL), ==, "offer");
	long long number;
	g_assert_true(bencode_dictionary_get_integer(item, "n", &number));
	g_assert_cmpint(number, ==, -7);
	g_assert_true(bencode_dictionary_get_integer(item, "t", &number));
	g_assert_cmpint(number, ==, 1);
	GString *json = g_string_new(NULL);
	ng_json_encode(buffer, item, json);
	g_assert_cmpstr(json->str, ==,
		"{\"command\":\"offer\",\"n\":-7,\"t\":1,\"flags\":[\"a\",\"b\\\"c\"],\"d\":{\"x\":\"\xc3\xa9\\n\"}}");
	/* pre-encoded parts (query's description) come out as JSON too */
	struct bencode_item *reply = bencode_dictionary_new(buffer);
	bencode_dictionary_add(buffer, reply, "tags", bencode_encoded_new(buffer, "d1:ai1e1:bl1:cee", 16));
	g_string_truncate(json, 0);
	ng_json_encode(buffer, reply, json);
	g_assert_cmpstr(json->str, ==, "{\"tags\":{\"a\":1,\"b\":[\"c\"]}}");
	g_string_free(json, TRUE);

	static const char *const refused[] = { "{bad", "{\"a\":null}", "{\"a\":1.5}", "[1]", "{\"a\":1} x", "" };
	static const char *const reasons[] = { "Failed to parse JSON document", "Could not decode bencode dictionary",
		"Could not decode bencode dictionary", "Failed to parse JSON document", "Failed to parse JSON document",
		"Failed to parse JSON document" };
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_assert_null(decode_json(buffer, refused[i], &error));
		g_assert_cmpstr(error, ==, reasons[i]);
	}
	GString *deep = g_string_new(NULL);
	for (int i = 0; i < 100; i++)
		g_string_append(deep, "{\"a\":");
	g_string_append(deep, "1");
	for (int i = 0; i < 100; i++)
		g_string_append_c(deep, '}');
	g_assert_null(decode_json(buffer, deep->str, &error));
	g_string_free(deep, TRUE);
	bencode_buffer_free(buffer);
}

static ssize_t frame(const char *text, bool eof)
{
	size_t cookie_length;
	return ng_tcp_frame_length(text, strlen(text), eof, &cookie_length);
}

static void test_tcp_framing(void)
{
	g_assert_cmpint(frame("c1 d7:command4:pinge", false), ==, 20);
	g_assert_cmpint(frame("c1 d7:command4:pingec2 d", false), ==, 20);
	g_assert_cmpint(frame("c1 d1:ali1ei-2e3:abce1:xdee", false), ==, 27);
	g_assert_cmpint(frame("c1 d7:command4:pin", false), ==, 0);
	g_assert_cmpint(frame("c1 d7:command4:pin", true), ==, -1);
	g_assert_cmpint(frame("c1 d7:comm", false), ==, 0);
	g_assert_cmpint(frame("c1", false), ==, 0);
	g_assert_cmpint(frame("c1 ", false), ==, 0);
	g_assert_cmpint(frame("c1 {\"a\":\"}\\\"\",\"b\":[1,{}]}x", false), ==, 25);
	g_assert_cmpint(frame("c1 {\"a\":", false), ==, 0);
	g_assert_cmpint(frame("c1 xyz", false), ==, -1);
	g_assert_cmpint(frame("c1 d:e", false), ==, -1);
	g_assert_cmpint(frame("c1 e", false), ==, -1);
	g_assert_cmpint(frame("c1 d1234567890:x", false), ==, -1);
	char *no_cookie = g_strnfill(300, 'x');
	g_assert_cmpint(frame(no_cookie, false), ==, -1);
	g_free(no_cookie);
	GString *deep = g_string_new("c1 ");
	for (int i = 0; i < 100; i++)
		g_string_append_c(deep, 'l');
	g_assert_cmpint(frame(deep->str, false), ==, -1);
	g_string_free(deep, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	config.timeout = 60;
	config.silent_timeout = 3600;
	config.max_sessions = -1;
	config.tos = -1;
	daemon_state.config = &config;
	call_registry_init();
	cli_init(&daemon_state, &config);
	g_test_add_func("/cli/dispatch", test_dispatch);
	g_test_add_func("/cli/set-and-params", test_set_and_params);
	g_test_add_func("/cli/json", test_json);
	g_test_add_func("/cli/tcp-framing", test_tcp_framing);
	return g_test_run();
}
