/* The --listen-tcp command parser (control_tcp_server.c), without sockets: the words 10.5's
 * pattern accepts and rejects, the info and stream lists. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "control_tcp_server.h"

static int parse(const char *text, struct control_tcp_command *command)
{
	static char line[CONTROL_TCP_MAX_LINE + 1];
	g_strlcpy(line, text, sizeof(line));
	return control_tcp_parse(line, command);
}

static void test_simple_commands(void)
{
	struct control_tcp_command command;
	g_assert_cmpint(parse("status", &command), ==, 0);
	g_assert_cmpint(command.verb, ==, CONTROL_TCP_STATUS);
	g_assert_cmpint(parse("build", &command), ==, 0);
	g_assert_cmpint(command.verb, ==, CONTROL_TCP_VERSION);
	g_assert_cmpint(parse("exit", &command), ==, 0);
	g_assert_cmpint(command.verb, ==, CONTROL_TCP_QUIT);
	g_assert_cmpint(parse("controls", &command), ==, 0);
	g_assert_cmpint(command.verb, ==, CONTROL_TCP_CONTROLS);
	const char *bad[] = { "", " ", "VERSION", "version ", " version", "version x", "delete c1",
			      "delete c1 x=1", "request c1 1.2.3.4:5 ip a b c d agent", "frobnicate",
			      "request a b c d e f g h i info= j" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(parse(bad[i], &command), ==, -EINVAL);
	g_assert_cmpint(parse("delete c1\tinfo=", &command), ==, 0);
	g_assert_cmpint(command.verb, ==, CONTROL_TCP_DELETE);
	g_assert_cmpstr(command.call_id, ==, "c1");
}

static void test_request(void)
{
	struct control_tcp_command command;
	g_assert_cmpint(parse("request call-1 10.0.0.1:5000:audio,10.0.0.1:5002,bad:1,10.0.0.2:7 10.0.0.1 "
			      "d1 t1  d2 t2 agent info=fromtag:abc,totag:def,x:y", &command), ==, 0);
	g_assert_cmpint(command.verb, ==, CONTROL_TCP_REQUEST);
	g_assert_cmpstr(command.call_id, ==, "call-1");
	g_assert_cmpstr(command.from_tag, ==, "abc");
	g_assert_cmpstr(command.to_tag, ==, "def");
	/* the list stops at the first item that is not IP:PORT, as upstream's pattern */
	g_assert_cmpuint(command.stream_count, ==, 2);
	g_assert_cmpstr(command.streams[0].address, ==, "10.0.0.1");
	g_assert_cmpuint(command.streams[0].port, ==, 5000);
	g_assert_cmpuint(command.streams[1].port, ==, 5002);
	/* impossible addresses and ports are skipped; port 0 is a stream */
	g_assert_cmpint(parse("lookup c 1.2.3:5,1.2.3.4:70000,1.2.3.4:0 ip a b c d e info=fromtag:f", &command), ==, 0);
	g_assert_cmpint(command.verb, ==, CONTROL_TCP_LOOKUP);
	g_assert_cmpuint(command.stream_count, ==, 1);
	g_assert_cmpuint(command.streams[0].port, ==, 0);
	g_assert_null(command.to_tag);
	g_assert_cmpint(parse("request c [::1]:5 ip a b c d e info=", &command), ==, 0);
	g_assert_cmpuint(command.stream_count, ==, 0);
	g_assert_null(command.from_tag);
	/* more streams than we keep: the first CONTROL_TCP_MAX_STREAMS */
	GString *line = g_string_new("request c ");
	for (unsigned int i = 0; i < 40; i++)
		g_string_append_printf(line, "%s1.1.1.1:%u", i ? "," : "", 1000 + i);
	g_string_append(line, " ip a b c d e info=fromtag:x");
	g_assert_cmpint(parse(line->str, &command), ==, 0);
	g_assert_cmpuint(command.stream_count, ==, CONTROL_TCP_MAX_STREAMS);
	g_string_free(line, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/control-tcp/simple", test_simple_commands);
	g_test_add_func("/control-tcp/request", test_request);
	return g_test_run();
}
