/* The TCP control protocol of the old SER/OpenSER mediaproxy-ng module (--listen-tcp), as
 * rtpengine 10.5 answers it (checked side by side with Debian's 10.5, tests/e2e/
 * test_control_tcp.py). One command line per connection; the reply (possibly none) follows and
 * the daemon closes the connection, as 10.5 does after every line:
 *
 *   request CALLID STREAMS IP FROMDOMAIN FROMTYPE TODOMAIN TOTYPE AGENT info=INFO
 *                     the offer: STREAMS is "IP:PORT[:TYPE],..." (dotted IPv4), INFO is
 *                     "fromtag:TAG[,totag:TAG][,KEY:VALUE...]"; reply "ADDR PORT\n", where
 *                     the callee is to send each stream (10.5 runs the pairs of several
 *                     streams together without a separator; we put a space between them)
 *   lookup  ...       the same words, the answer: STREAMS are the callee's, INFO needs
 *                     totag; reply where the caller is to send
 *   delete CALLID info=INFO
 *                     deletes the whole call (after --delete-delay); no reply
 *   status            "proxy CALLS BYTES/0/0\n" (BYTES: relayed in the last second), then
 *                     "session CALLID - - - - AGE\n" per call
 *   version, build    "Version: VERSION\n"
 *   controls          the open control connections, "ADDR:PORT\n" each, then "End.\n"
 *   quit, exit        nothing
 * IP, the domains, types and agent are read and not used (as in 10.5). A line that is none of
 * these, a failed offer/answer, an unknown call or a missing tag: no reply (10.5 gives none);
 * the reason goes to the log. Lines are bounded (CONTROL_TCP_MAX_LINE bytes without a line
 * end: closed), so are the time to send one (5 s, where 10.5 waits 60 s) and the connections.
 *
 * request and lookup become ng offer and answer requests with a minimal SDP (one m= line per
 * stream, PCMU), run by ng_process_datagram(): the same command path as every protocol. */
#include "control_tcp_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "bencode.h"
#include "call.h"
#include "daemon.h"
#include "log.h"
#include "ng_server.h"
#include "statistics.h"
#include "stream_server.h"
#include "version.h"

#define CONTROL_TCP_MAX_CONNECTIONS 64
#define CONTROL_TCP_REQUEST_TIMEOUT_US (5 * 1000000LL)
#define CONTROL_TCP_IDLE_TIMEOUT_US (60 * 1000000LL)
#define CONTROL_TCP_MAX_WORDS 10

/* ---- parsing ------------------------------------------------------------------------------ */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* "KEY[:VALUE],...": the from and to tags; the other keys are read and not used. */
static void parse_info(char *info, struct control_tcp_command *command)
{
	char *save = NULL;
	for (char *item = strtok_r(info, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		if (colon == item)
			break;   /* an empty key ends the list, as upstream's pattern stops there */
		if (!colon)
			continue;
		*colon = '\0';
		if (!strcmp(item, "fromtag"))
			command->from_tag = colon + 1;
		else if (!strcmp(item, "totag"))
			command->to_tag = colon + 1;
	}
}

/* "IP:PORT[:TYPE],...": streams up to the first item that is not of this shape (where
 * upstream's pattern stops); items with an impossible address or port are skipped. */
static void parse_streams(char *text, struct control_tcp_command *command)
{
	char *save = NULL;
	for (char *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		size_t address_length = strspn(item, "0123456789.");
		if (!address_length || item[address_length] != ':')
			return;
		char *port_text = item + address_length + 1;
		size_t port_length = strspn(port_text, "0123456789");
		if (!port_length || (port_text[port_length] && port_text[port_length] != ':'))
			return;
		item[address_length] = '\0';
		port_text[port_length] = '\0';
		long port = port_length <= 5 ? strtol(port_text, NULL, 10) : -1;
		union endpoint parsed;
		if (port < 0 || port > 65535 || address_length >= sizeof(command->streams[0].address)
		    || endpoint_parse(&parsed, 0, item, 0) < 0 || parsed.address.sa_family != AF_INET) {
			log_warning("Failed to parse a media stream: %s:%s", item, port_text);
			continue;
		}
		if (command->stream_count == CONTROL_TCP_MAX_STREAMS)
			return;
		struct control_tcp_stream *stream = &command->streams[command->stream_count++];
		g_strlcpy(stream->address, item, sizeof(stream->address));
		stream->port = (unsigned int) port;
	}
}

int control_tcp_parse(char *line, struct control_tcp_command *command)
{
	memset(command, 0, sizeof(*command));
	/* upstream's pattern is anchored and separates words by whitespace: none before the first
	 * word or after the last */
	size_t length = strlen(line);
	if (!length || is_space(line[0]) || is_space(line[length - 1]))
		return -EINVAL;
	char *words[CONTROL_TCP_MAX_WORDS] = { NULL };
	unsigned int count = 0;
	for (char *at = line; *at;) {
		if (count == CONTROL_TCP_MAX_WORDS)
			return -EINVAL;
		words[count++] = at;
		while (*at && !is_space(*at))
			at++;
		if (!*at)
			break;
		*at++ = '\0';
		while (is_space(*at))
			at++;
	}
	const char *verb = words[0];
	if ((!strcmp(verb, "request") || !strcmp(verb, "lookup")) && count == 10 && !strncmp(words[9], "info=", 5)) {
		command->verb = verb[0] == 'r' ? CONTROL_TCP_REQUEST : CONTROL_TCP_LOOKUP;
		command->call_id = words[1];
		parse_info(words[9] + 5, command);
		parse_streams(words[2], command);
		return 0;
	}
	if (!strcmp(verb, "delete") && count == 3 && !strncmp(words[2], "info=", 5)) {
		command->verb = CONTROL_TCP_DELETE;
		command->call_id = words[1];
		return 0;
	}
	if (count != 1)
		return -EINVAL;
	static const struct { const char *name; int verb; } simple[] = {
		{ "status", CONTROL_TCP_STATUS }, { "version", CONTROL_TCP_VERSION }, { "build", CONTROL_TCP_VERSION },
		{ "controls", CONTROL_TCP_CONTROLS }, { "quit", CONTROL_TCP_QUIT }, { "exit", CONTROL_TCP_QUIT },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(simple); i++)
		if (!strcmp(verb, simple[i].name)) {
			command->verb = simple[i].verb;
			return 0;
		}
	return -EINVAL;
}

/* ---- the ng requests ---------------------------------------------------------------------- */

/* Runs one ng request dictionary; the reply dictionary (in buffer), or NULL. */
static struct bencode_item *run_ng(struct stream_connection *connection, struct bencode_buffer *buffer,
				   struct bencode_item *request)
{
	static unsigned int cookie_counter;
	GString *datagram = g_string_sized_new(1024), *reply = g_string_sized_new(2048);
	g_string_printf(datagram, "tcp-control-%u ", ++cookie_counter);
	bencode_encode(request, datagram);
	ng_process_datagram(stream_connection_context(connection), datagram->str, datagram->len,
			    stream_connection_peer(connection), reply);
	struct bencode_item *decoded = NULL;
	const char *space = memchr(reply->str, ' ', reply->len);
	if (space) {
		size_t length = reply->len - (size_t) (space + 1 - reply->str);
		char *copy = bencode_buffer_strdup_length(buffer, space + 1, length);
		decoded = copy ? bencode_decode(buffer, copy, length, NULL) : NULL;
	}
	g_string_free(datagram, TRUE);
	g_string_free(reply, TRUE);
	return decoded;
}

/* Appends "ADDR PORT" of each m= line of the relay's SDP (the media's c= or the session's). */
static void append_streams(GString *output, const char *sdp)
{
	const char *session_address = NULL, *media_address = NULL;
	size_t session_length = 0, media_length = 0;
	long port = -1;
	unsigned int written = 0;
	for (const char *line = sdp; ; ) {
		const char *end = line + strcspn(line, "\r\n");
		bool media_line = !strncmp(line, "m=", 2);
		if ((media_line || !*line) && port >= 0) {
			const char *address = media_address ? media_address : session_address;
			size_t address_length = media_address ? media_length : session_length;
			g_string_append_printf(output, "%s%.*s %ld", written++ ? " " : "", (int) address_length,
					       address ? address : "0.0.0.0", port);
			port = -1;
		}
		if (!*line)
			break;
		if (media_line) {
			const char *space = memchr(line, ' ', (size_t) (end - line));
			port = space ? strtol(space + 1, NULL, 10) : 0;
			media_address = NULL;
		} else if (!strncmp(line, "c=IN IP", 7) && end - line > 9) {
			if (port >= 0) {
				media_address = line + 9;
				media_length = (size_t) (end - media_address);
			} else {
				session_address = line + 9;
				session_length = (size_t) (end - session_address);
			}
		}
		line = end + strspn(end, "\r\n");
	}
	g_string_append_c(output, '\n');
}

static int offer_or_answer(struct stream_connection *connection, const struct control_tcp_command *command,
			   GString *output)
{
	bool offer = command->verb == CONTROL_TCP_REQUEST;
	if (!command->from_tag) {
		log_call(LOG_WARNING, command->call_id, "No from-tag in message");
		return -EINVAL;
	}
	if (!offer && !command->to_tag) {
		log_call(LOG_WARNING, command->call_id, "No to-tag in message");
		return -EINVAL;
	}
	if (!offer && !call_lookup(command->call_id)) {
		log_call(LOG_WARNING, command->call_id, "Got LOOKUP for unknown call-id");
		return -ENOENT;
	}
	if (!command->stream_count) {
		g_string_append_c(output, '\n');   /* 10.5: no stream, an empty line */
		return 0;
	}
	GString *sdp = g_string_new("v=0\r\no=- 1 1 IN IP4 ");
	g_string_append_printf(sdp, "%s\r\ns=-\r\nt=0 0\r\n", command->streams[0].address);
	for (unsigned int i = 0; i < command->stream_count; i++)
		g_string_append_printf(sdp, "m=audio %u RTP/AVP 0\r\nc=IN IP4 %s\r\n", command->streams[i].port,
				       command->streams[i].address);
	struct bencode_buffer *buffer = bencode_buffer_new();
	struct bencode_item *request = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string(buffer, request, "command", offer ? "offer" : "answer");
	bencode_dictionary_add_string(buffer, request, "call-id", command->call_id);
	bencode_dictionary_add_string(buffer, request, "from-tag", command->from_tag);
	if (command->to_tag)
		bencode_dictionary_add_string(buffer, request, "to-tag", command->to_tag);
	bencode_dictionary_add_string_length(buffer, request, "sdp", sdp->str, sdp->len);
	g_string_free(sdp, TRUE);
	struct bencode_item *reply = run_ng(connection, buffer, request);
	const char *result = reply ? bencode_dictionary_get_string(buffer, reply, "result", NULL) : NULL;
	const char *relay_sdp = reply ? bencode_dictionary_get_string(buffer, reply, "sdp", NULL) : NULL;
	int error = 0;
	if (!result || strcmp(result, "ok") || !relay_sdp) {
		const char *reason = reply ? bencode_dictionary_get_string(buffer, reply, "error-reason", NULL) : NULL;
		log_call(LOG_WARNING, command->call_id, "%s failed: %s", offer ? "request" : "lookup",
			 reason ? reason : "no reply");
		error = -EINVAL;
	} else {
		append_streams(output, relay_sdp);
		log_call(LOG_INFO, command->call_id, "Returning to SIP proxy: %.*s", (int) output->len - 1, output->str);
	}
	bencode_buffer_free(buffer);
	return error;
}

static void delete_call(struct stream_connection *connection, const struct control_tcp_command *command)
{
	struct bencode_buffer *buffer = bencode_buffer_new();
	struct bencode_item *request = bencode_dictionary_new(buffer);
	bencode_dictionary_add_string(buffer, request, "command", "delete");
	bencode_dictionary_add_string(buffer, request, "call-id", command->call_id);
	struct bencode_item *reply = run_ng(connection, buffer, request);
	const char *result = reply ? bencode_dictionary_get_string(buffer, reply, "result", NULL) : NULL;
	if (!result || strcmp(result, "ok"))
		log_call(LOG_INFO, command->call_id, "Call-ID to delete not found");
	bencode_buffer_free(buffer);
}

/* ---- status and controls ------------------------------------------------------------------ */

struct status_walk {
	GString *output;
	int64_t now_us;
};

static void append_session(struct call *call, void *data)
{
	struct status_walk *walk = data;
	g_string_append_printf(walk->output, "session %s - - - - %lld\n", call->call_id,
			       (long long) ((walk->now_us - call->created_us) / 1000000));
}

static void append_status(struct stream_connection *connection, GString *output)
{
	struct statistics_snapshot snapshot;
	statistics_gather(stream_connection_context(connection), &snapshot);
	g_string_append_printf(output, "proxy %u %llu/0/0\n", call_count(),
			       (unsigned long long) snapshot.values.byte_rate);
	struct status_walk walk = { output, now_realtime_us() };
	call_foreach(append_session, &walk);
}

static void append_peer(struct stream_connection *connection, void *data)
{
	char text[ENDPOINT_TEXT_SIZE];
	g_string_append_printf(data, "%s\n", endpoint_text(stream_connection_peer(connection), text, sizeof(text)));
}

/* ---- the protocol ------------------------------------------------------------------------- */

static void run_line(struct stream_connection *connection, char *line, GString *output)
{
	char peer[ENDPOINT_TEXT_SIZE];
	endpoint_text(stream_connection_peer(connection), peer, sizeof(peer));
	char *logged = g_strdup(line);
	struct control_tcp_command command;
	if (control_tcp_parse(line, &command) < 0) {
		log_warning("Unable to parse command line from %s: %.200s", peer, logged);
		g_free(logged);
		return;
	}
	log_info("Got valid command from %s: %.200s", peer, logged);
	g_free(logged);
	switch (command.verb) {
	case CONTROL_TCP_REQUEST:
	case CONTROL_TCP_LOOKUP:
		if (offer_or_answer(connection, &command, output) < 0)
			g_string_truncate(output, 0);
		break;
	case CONTROL_TCP_DELETE:
		delete_call(connection, &command);
		break;
	case CONTROL_TCP_STATUS:
		append_status(connection, output);
		break;
	case CONTROL_TCP_VERSION:
		g_string_append_printf(output, "Version: %s\n", rtpengine_version);
		break;
	case CONTROL_TCP_CONTROLS:
		stream_server_foreach_connection(stream_connection_server(connection), append_peer, output);
		g_string_append(output, "End.\n");
		break;
	case CONTROL_TCP_QUIT:
		break;
	}
}

static ssize_t control_tcp_consume(struct stream_connection *connection, const char *data, size_t length, bool eof)
{
	const char *end = memchr(data, '\n', length);
	if (!end)
		return eof ? STREAM_CLOSE : 0;   /* 10.5 runs only whole lines */
	size_t line_length = (size_t) (end - data);
	if (line_length && data[line_length - 1] == '\r')
		line_length--;
	if (memchr(data, '\0', line_length)) {
		log_warning("TCP control line with a NUL byte: closing");
		return STREAM_CLOSE;
	}
	char *line = g_strndup(data, line_length);
	GString *output = g_string_new(NULL);
	run_line(connection, line, output);
	stream_connection_write(connection, output->str, output->len);
	g_string_free(output, TRUE);
	g_free(line);
	return STREAM_CLOSE;   /* one command per connection, as 10.5 */
}

static const struct stream_protocol control_tcp_protocol = {
	.name = "TCP control",
	.max_connections = CONTROL_TCP_MAX_CONNECTIONS,
	.max_input = CONTROL_TCP_MAX_LINE,
	.request_timeout_us = CONTROL_TCP_REQUEST_TIMEOUT_US,
	.idle_timeout_us = CONTROL_TCP_IDLE_TIMEOUT_US,
	.consume = control_tcp_consume,
	.too_long = NULL,              /* 10.5 closes without a word */
};

int control_tcp_server_open(struct stream_server **server, const union endpoint *address,
			    struct daemon_context *daemon)
{
	return stream_server_open(server, address, &control_tcp_protocol, daemon, daemon->loop);
}
