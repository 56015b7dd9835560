/* libFuzzer target for the CLI: any bytes as a command line through cli_execute() (tokens,
 * the command table, number parsing of set, the listings over an empty daemon), and the same
 * bytes as a JSON ng request through the JSON decoder and back through the encoder, and as a
 * TCP ng stream through the framing (each message found must lie inside the input), and as a
 * --listen-tcp command line through its parser. */
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "bencode.h"
#include "call.h"
#include "cli.h"
#include "config.h"
#include "control_tcp_server.h"
#include "daemon.h"
#include "log.h"
#include "ng_json.h"
#include "ng_tcp_server.h"

static struct daemon_config config;
static struct daemon_context daemon_state;
static struct daemon_config pristine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static struct bencode_buffer *buffer;
	if (!ready) {
		struct log_settings logging = { .level = LOG_CRIT, .facility = LOG_DAEMON, .to_stderr = true };
		log_init("rtpengine", &logging);
		config.timeout = 60;
		config.silent_timeout = 3600;
		config.max_sessions = -1;
		config.tos = -1;
		config.log.level = LOG_CRIT;
		pristine = config;
		daemon_state.config = &config;
		call_registry_init();
		cli_init(&daemon_state, &config);
		buffer = bencode_buffer_new();
		ready = true;
	}
	GString *output = g_string_new(NULL);
	cli_execute((const char *) data, size, output);
	g_string_free(output, TRUE);
	/* "set maxopenfiles" would change the fuzzer's own limits, loglevel its logging: undo */
	config = pristine;
	log_current_level = LOG_CRIT;

	const char *error = NULL;
	struct bencode_item *item = ng_json_decode(buffer, (const char *) data, size, &error);
	if (item) {
		GString *json = g_string_new(NULL);
		ng_json_encode(buffer, item, json);
		g_string_free(json, TRUE);
	}
	bencode_buffer_reset(buffer);

	size_t offset = 0;
	for (unsigned int messages = 0; offset < size && messages < 1000; messages++) {
		size_t cookie_length;
		ssize_t length = ng_tcp_frame_length((const char *) data + offset, size - offset, true, &cookie_length);
		if (length <= 0)
			break;
		if ((size_t) length > size - offset || cookie_length >= (size_t) length)
			__builtin_trap();
		offset += (size_t) length;
	}

	/* the same bytes as a --listen-tcp command line (control_tcp_server.c) */
	if (size <= CONTROL_TCP_MAX_LINE) {
		char line[CONTROL_TCP_MAX_LINE + 1];
		memcpy(line, data, size);
		line[size] = '\0';
		struct control_tcp_command command;
		if (control_tcp_parse(line, &command) == 0 && command.stream_count > CONTROL_TCP_MAX_STREAMS)
			__builtin_trap();
	}
	return 0;
}
