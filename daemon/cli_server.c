/* The CLI's two front ends: the --listen-cli TCP socket (one command line per connection,
 * as rtpengine-ctl sends it: the reply follows, then the daemon closes the connection) and
 * the ng `cli` command (`instruction` in, `response` out). Both run cli_execute(). */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include "daemon.h"
#include "log.h"
#include "ng_commands.h"
#include "stream_server.h"

#define CLI_MAX_CONNECTIONS 16
#define CLI_REQUEST_TIMEOUT_US (5 * 1000000LL)

static ssize_t cli_consume(struct stream_connection *connection, const char *data, size_t length, bool eof)
{
	const char *end = memchr(data, '\n', length);
	if (!end && !eof)
		return 0;
	size_t line_length = end ? (size_t) (end - data) : length;
	if (line_length && data[line_length - 1] == '\r')
		line_length--;
	if (log_enabled(LOG_INFO)) {
		char text[ENDPOINT_TEXT_SIZE];
		log_info("Got CLI command from %s: %.*s", endpoint_text(stream_connection_peer(connection), text, sizeof(text)),
			 (int) (line_length > 200 ? 200 : line_length), data);
	}
	GString *output = g_string_new(NULL);
	cli_execute(data, line_length, output);
	stream_connection_write(connection, output->str, output->len);
	g_string_free(output, TRUE);
	return STREAM_CLOSE;
}

static void cli_too_long(struct stream_connection *connection)
{
	static const char message[] = "Command line too long\n";
	stream_connection_write(connection, message, sizeof(message) - 1);
}

static const struct stream_protocol cli_protocol = {
	.name = "CLI",
	.max_connections = CLI_MAX_CONNECTIONS,
	.max_input = CLI_MAX_LINE,
	.request_timeout_us = CLI_REQUEST_TIMEOUT_US,
	.idle_timeout_us = CLI_REQUEST_TIMEOUT_US,
	.consume = cli_consume,
	.too_long = cli_too_long,
};

int cli_server_open(struct stream_server **server, const union endpoint *address, struct daemon_context *daemon)
{
	return stream_server_open(server, address, &cli_protocol, daemon, daemon->loop);
}

int ng_command_cli(struct ng_request *request)
{
	const char *instruction = bencode_dictionary_get_string(request->buffer, request->input, "instruction", NULL);
	if (!instruction || !*instruction) {
		request->error_reason = "No instruction given";
		return -EINVAL;
	}
	GString *output = g_string_new(NULL);
	cli_execute(instruction, strlen(instruction), output);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	bencode_dictionary_add_string(request->buffer, request->reply, "response", output->str);
	g_string_free(output, TRUE);
	return 0;
}
