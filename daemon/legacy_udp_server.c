/* The legacy rtpproxy control protocol over UDP (--listen-udp), as rtpengine 10.5 answers it
 * for old Kamailio/OpenSIPS rtpproxy-module setups: one datagram "COOKIE COMMAND ARGS...",
 * one reply "COOKIE RESULT\n".
 *
 *   V                                   protocol version: "20040107"
 *   VF DATE                             capability DATE supported: "1" or "0" (20040107,
 *                                       20050322 and 20060704 are, as in 10.5)
 *   U[c<pt>,<pt>...][ie] CALLID ADDR PORT FROMTAG[;N] [TOTAG[;N]]
 *                                       update (the offer): "PORT ADDR 4|6", where the
 *                                       caller's media is to be sent; "ie", "ei", ... pick
 *                                       the interfaces named internal/external per side
 *   L[modifiers] CALLID ADDR PORT FROMTAG[;N] TOTAG[;N]
 *                                       lookup (the answer): the same for the callee
 *   D CALLID FROMTAG [TOTAG]            delete: "0"
 *   Q CALLID FROMTAG [TOTAG]            query: "TTL PACKETS PACKETS PACKETS PACKETS" (seconds
 *                                       left before --silent-timeout, then the packets
 *                                       received on the caller's RTP and RTCP ports and the
 *                                       callee's)
 *   I                                   information: "sessions created: N\nactive sessions: N"
 * Errors are "E8" as 10.5 sends them for any failure; the reason goes to the log.
 *
 * Every command becomes an ng request (a bencoded dictionary with a minimal SDP built from
 * ADDR and PORT) run by ng_process_datagram(): one command and offer/answer path for every
 * control protocol. The rtpproxy module sends one U (or L) per m= line, numbered by ";N": the
 * server remembers each side's streams per call (until the call ends: a lifecycle observer),
 * so that the N-th command offers (answers) streams 1..N together, as one SDP would. */
#include "legacy_udp_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include "bencode.h"
#include "call.h"
#include "call_lifecycle.h"
#include "config.h"
#include "daemon.h"
#include "event_loop.h"
#include "log.h"
#include "ng_server.h"
#include "statistics.h"

#define LEGACY_MAX_DATAGRAM 4096
#define LEGACY_MAX_WORDS 8
#define LEGACY_PER_WAKEUP 64
#define LEGACY_VERSION "20040107"
#define LEGACY_MAX_MEDIA 16
#define LEGACY_MAX_CALLS 100000     /* remembered calls; beyond that new ones are refused */

/* One stream of one side as its U or L command gave it. */
struct legacy_media {
	bool known;
	char address[64];
	unsigned int port;
	char payload_types[128];        /* " 0 8 101" */
};

/* What one side (tag) of a call announced, stream by stream. */
struct legacy_side {
	unsigned int count;             /* highest stream number seen */
	struct legacy_media media[LEGACY_MAX_MEDIA];
};

struct legacy_udp_server {
	int fd;
	struct daemon_context *daemon;
	struct event_loop *loop;
	struct bencode_buffer *reply_buffer;   /* decodes the ng replies */
	uint64_t sessions_created;
	GHashTable *calls;             /* call-id -> GHashTable tag -> struct legacy_side */
};

/* The one server, for the lifecycle observer (control thread). */
static struct legacy_udp_server *observed_server;

static const char *const supported_capabilities[] = { "20040107", "20050322", "20060704" };

struct legacy_command {
	const char *cookie;
	char command;                  /* 'U', 'L', ... upper case */
	const char *modifiers;         /* what follows the command letter */
	char *words[LEGACY_MAX_WORDS];
	unsigned int count;            /* words after the command */
};

/* ---- the ng request ---------------------------------------------------------------------- */

/* "tag;N": the tag and the stream number N (1 when not given); false for N outside
 * 1..LEGACY_MAX_MEDIA. */
static bool split_tag(char *word, const char **tag, unsigned int *number)
{
	*tag = word;
	*number = 1;
	char *semicolon = strchr(word, ';');
	if (!semicolon)
		return true;
	*semicolon = '\0';
	char *end;
	long value = strtol(semicolon + 1, &end, 10);
	if (*end || value < 1 || value > LEGACY_MAX_MEDIA)
		return false;
	*number = (unsigned int) value;
	return true;
}

static void side_free(gpointer data)
{
	g_free(data);
}

/* The side of call_id named tag, created when missing; NULL past LEGACY_MAX_CALLS. */
static struct legacy_side *find_side(struct legacy_udp_server *server, const char *call_id, const char *tag)
{
	GHashTable *sides = g_hash_table_lookup(server->calls, call_id);
	if (!sides) {
		if (g_hash_table_size(server->calls) >= LEGACY_MAX_CALLS)
			return NULL;
		sides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, side_free);
		g_hash_table_insert(server->calls, g_strdup(call_id), sides);
	}
	struct legacy_side *side = g_hash_table_lookup(sides, tag);
	if (!side) {
		if (g_hash_table_size(sides) >= CALL_MAX_MONOLOGUES)
			return NULL;
		side = g_new0(struct legacy_side, 1);
		g_hash_table_insert(sides, g_strdup(tag), side);
	}
	return side;
}

/* A call that ended (delete, timeout, ...) takes what its sides announced with it. */
static void legacy_call_ended(const struct call_event *event)
{
	if (observed_server)
		g_hash_table_remove(observed_server->calls, event->call_id);
}

static const struct call_observer legacy_call_observer = {
	.name = "legacy rtpproxy protocol",
	.ended = legacy_call_ended,
};

/* Payload types from the "c0,8,101" modifier, else PCMU: " 0 8 101". */
static void payload_types(const char *modifiers, char *text, size_t size)
{
	const char *codecs = strchr(modifiers, 'c');
	size_t used = 0;
	text[0] = '\0';
	if (codecs) {
		const char *at = codecs + 1;
		while (*at >= '0' && *at <= '9') {
			char *end;
			long type = strtol(at, &end, 10);
			if (type >= 0 && type <= 127 && used + 5 < size)
				used += (size_t) snprintf(text + used, size - used, " %ld", type);
			at = *end == ',' ? end + 1 : end;
		}
	}
	if (!used)
		snprintf(text, size, " 0");
}

/* The N-th m= line's port and its address (media-level c= or else the session's). */
static bool find_stream(const char *sdp, unsigned int number, unsigned int *port, const char **address,
			size_t *address_length, char *family)
{
	const char *session_connection = NULL, *media = NULL;
	unsigned int seen = 0;
	for (const char *line = sdp; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, "m=", 2)) {
			if (media)
				break;   /* the N-th media had no c= of its own */
			if (++seen == number)
				media = line;
		} else if (!strncmp(line, "c=IN IP", 7) && line[7] && line[8] == ' ') {
			if (media) {
				session_connection = line;
				break;
			}
			if (!seen)
				session_connection = line;
		}
	}
	if (!media || !session_connection)
		return false;
	const char *port_text = strchr(media, ' ');
	if (!port_text)
		return false;
	*port = (unsigned int) strtoul(port_text + 1, NULL, 10);
	*family = session_connection[7];
	*address = session_connection + 9;
	*address_length = strcspn(*address, "\r\n");
	return true;
}

static void add_text(GString *request, const char *key, const char *value)
{
	g_string_append_printf(request, "%zu:%s%zu:%s", strlen(key), key, strlen(value), value);
}

/* The rtpproxy module's "i"/"e" flags (internal, external network), one per side: ng's
 * "direction" with the interfaces named "internal" and "external", as upstream documents.
 * The letters of a "c..." codec list are not flags. */
static void append_direction(GString *request, const char *modifiers)
{
	const char *names[2];
	unsigned int count = 0;
	for (const char *at = modifiers; *at && count < 2; at++) {
		if (*at == 'c') {
			at += strspn(at + 1, "0123456789,");
			continue;
		}
		if (*at == 'i' || *at == 'I')
			names[count++] = "internal";
		else if (*at == 'e' || *at == 'E')
			names[count++] = "external";
	}
	if (count == 2)
		g_string_append_printf(request, "9:directionl%zu:%s%zu:%se", strlen(names[0]), names[0],
				       strlen(names[1]), names[1]);
}

/* Runs the ng request; the reply dictionary (in server->reply_buffer), or NULL. */
static struct bencode_item *run_ng(struct legacy_udp_server *server, GString *request, const union endpoint *source)
{
	GString *reply = g_string_sized_new(2048);
	ng_process_datagram(server->daemon, request->str, request->len, source, reply);
	bencode_buffer_reset(server->reply_buffer);
	const char *space = memchr(reply->str, ' ', reply->len);
	struct bencode_item *decoded = NULL;
	if (space) {
		size_t offset = (size_t) (space + 1 - reply->str);
		char *copy = bencode_buffer_strdup_length(server->reply_buffer, space + 1, reply->len - offset);
		decoded = copy ? bencode_decode(server->reply_buffer, copy, reply->len - offset, NULL) : NULL;
	}
	g_string_free(reply, TRUE);
	return decoded;
}

static bool reply_ok(struct bencode_buffer *buffer, struct bencode_item *reply, const char **reason)
{
	const char *result = reply ? bencode_dictionary_get_string(buffer, reply, "result", NULL) : NULL;
	if (result && (!strcmp(result, "ok") || !strcmp(result, "pong")))
		return true;
	*reason = reply ? bencode_dictionary_get_string(buffer, reply, "error-reason", NULL) : NULL;
	if (!*reason)
		*reason = "no reply";
	return false;
}

/* U and L: offer and answer with an SDP of the side's streams 1..count, this command's
 * stream at ADDR:PORT; the reply is where the peer is to send this stream. */
static int update_or_lookup(struct legacy_udp_server *server, struct legacy_command *command,
			    const union endpoint *source, GString *reply, const char **reason)
{
	bool offer = command->command == 'U';
	if (command->count < (offer ? 4u : 5u)) {
		*reason = "too few arguments";
		return -EINVAL;
	}
	const char *call_id = command->words[0], *address = command->words[1], *port = command->words[2];
	const char *from_tag, *to_tag = NULL;
	unsigned int from_number, to_number = 1;
	if (!split_tag(command->words[3], &from_tag, &from_number)
	    || (command->count >= 5 && !split_tag(command->words[4], &to_tag, &to_number))) {
		*reason = "media stream number outside 1..16";
		return -EINVAL;
	}
	union endpoint parsed;
	char *end;
	long port_number = strtol(port, &end, 10);
	if (*end || port_number < 0 || port_number > 65535 || strlen(address) >= sizeof(((struct legacy_media *) 0)->address)
	    || endpoint_parse(&parsed, 0, address, 0) < 0) {
		*reason = "malformed address or port";
		return -EINVAL;
	}
	/* the offer carries the first tag's SDP, the answer the second tag's */
	unsigned int number = offer ? from_number : to_number;
	if (!offer && !call_lookup(call_id)) {
		*reason = "unknown call";
		return -ENOENT;
	}
	if (offer && !call_lookup(call_id))
		g_hash_table_remove(server->calls, call_id);   /* a call-id used again */
	struct legacy_side *side = find_side(server, call_id, offer ? from_tag : to_tag);
	if (!side) {
		*reason = "too many calls or tags";
		return -ENOSPC;
	}
	struct legacy_media *media = &side->media[number - 1];
	media->known = true;
	g_strlcpy(media->address, address, sizeof(media->address));
	media->port = (unsigned int) port_number;
	payload_types(command->modifiers, media->payload_types, sizeof(media->payload_types));
	if (number > side->count)
		side->count = number;

	const char *family = parsed.address.sa_family == AF_INET6 ? "IP6" : "IP4";
	GString *sdp = g_string_new(NULL);
	g_string_append_printf(sdp, "v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n", family, address,
			       family, address);
	for (unsigned int i = 0; i < side->count; i++) {
		const struct legacy_media *stream = &side->media[i];
		if (!stream->known) {
			g_string_append(sdp, "m=audio 0 RTP/AVP 0\r\n");
			continue;
		}
		union endpoint stream_address;
		endpoint_parse(&stream_address, 0, stream->address, 0);
		g_string_append_printf(sdp, "m=audio %u RTP/AVP%s\r\nc=IN %s %s\r\n", stream->port, stream->payload_types,
				       stream_address.address.sa_family == AF_INET6 ? "IP6" : "IP4", stream->address);
	}

	GString *request = g_string_new(command->cookie);
	g_string_append(request, " d");
	add_text(request, "command", offer ? "offer" : "answer");
	add_text(request, "call-id", call_id);
	add_text(request, "from-tag", from_tag);
	if (to_tag)
		add_text(request, "to-tag", to_tag);
	append_direction(request, command->modifiers);
	g_string_append_printf(request, "3:sdp%zu:", sdp->len);
	g_string_append_len(request, sdp->str, (gssize) sdp->len);
	g_string_append_c(request, 'e');
	g_string_free(sdp, TRUE);
	bool new_call = offer && !call_lookup(call_id);
	struct bencode_item *decoded = run_ng(server, request, source);
	g_string_free(request, TRUE);
	if (!reply_ok(server->reply_buffer, decoded, reason))
		return -EINVAL;
	if (new_call)
		server->sessions_created++;
	const char *relay_sdp = bencode_dictionary_get_string(server->reply_buffer, decoded, "sdp", NULL);
	unsigned int relay_port;
	const char *relay_address;
	size_t address_length;
	char relay_family;
	if (!relay_sdp || !find_stream(relay_sdp, number, &relay_port, &relay_address, &address_length, &relay_family)) {
		*reason = "the stream is missing in the relay's SDP";
		return -EINVAL;
	}
	g_string_append_printf(reply, "%u %.*s %c\n", relay_port, (int) address_length, relay_address, relay_family);
	return 0;
}

static int delete_call(struct legacy_udp_server *server, struct legacy_command *command,
		       const union endpoint *source, GString *reply, const char **reason)
{
	if (command->count < 2) {
		*reason = "too few arguments";
		return -EINVAL;
	}
	const char *from_tag = command->words[1];
	unsigned int number;
	split_tag(command->words[1], &from_tag, &number);
	GString *request = g_string_new(command->cookie);
	g_string_append(request, " d");
	add_text(request, "command", "delete");
	add_text(request, "call-id", command->words[0]);
	add_text(request, "from-tag", from_tag);
	g_string_append(request, "5:flagsl5:fatalee");   /* an unknown call is an error here */
	struct bencode_item *decoded = run_ng(server, request, source);
	g_string_free(request, TRUE);
	if (!reply_ok(server->reply_buffer, decoded, reason))
		return -ENOENT;
	g_string_append(reply, "0\n");
	return 0;
}

static int query_call(struct legacy_udp_server *server, struct legacy_command *command, GString *reply,
		      const char **reason)
{
	struct call *call = command->count >= 1 ? call_lookup(command->words[0]) : NULL;
	if (!call) {
		*reason = "unknown call";
		return -ENOENT;
	}
	struct call_statistics statistics;
	call_statistics_gather(call, &statistics);
	uint64_t packets[4] = { 0 };
	int64_t last_packet = call->last_signal_us;
	for (unsigned int i = 0; i < statistics.stream_count && i < 4; i++)
		packets[i] = statistics.streams[i].counters.packets;
	for (unsigned int i = 0; i < statistics.stream_count; i++)
		if (statistics.streams[i].counters.last_packet_us > last_packet)
			last_packet = statistics.streams[i].counters.last_packet_us;
	call_statistics_free(&statistics);
	long long left = (long long) server->daemon->config->silent_timeout - (now_realtime_us() - last_packet) / 1000000;
	g_string_append_printf(reply, "%lld %llu %llu %llu %llu\n", left, (unsigned long long) packets[0],
			       (unsigned long long) packets[1], (unsigned long long) packets[2],
			       (unsigned long long) packets[3]);
	return 0;
}

static int run_command(struct legacy_udp_server *server, struct legacy_command *command,
		       const union endpoint *source, GString *reply, const char **reason)
{
	switch (command->command) {
	case 'V':
		if (command->modifiers[0] == 'F' || command->modifiers[0] == 'f') {
			bool supported = false;
			for (size_t i = 0; command->count && i < G_N_ELEMENTS(supported_capabilities); i++)
				supported |= !strcmp(command->words[0], supported_capabilities[i]);
			g_string_append(reply, supported ? "1\n" : "0\n");
			return 0;
		}
		g_string_append(reply, LEGACY_VERSION "\n");
		return 0;
	case 'U':
	case 'L':
		return update_or_lookup(server, command, source, reply, reason);
	case 'D':
		return delete_call(server, command, source, reply, reason);
	case 'Q':
		return query_call(server, command, reply, reason);
	case 'I': {
		struct statistics_snapshot snapshot;
		statistics_gather(server->daemon, &snapshot);
		g_string_append_printf(reply, "sessions created: %llu\nactive sessions: %llu\n",
				       (unsigned long long) server->sessions_created,
				       (unsigned long long) snapshot.values.sessions_total);
		return 0;
	}
	default:
		*reason = "unknown command";
		return -EINVAL;
	}
}

/* Splits "COOKIE CMD ARGS" in place. */
static int parse_command(char *text, struct legacy_command *command)
{
	char *save = NULL;
	command->cookie = strtok_r(text, " \t\r\n", &save);
	char *verb = command->cookie ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	if (!verb)
		return -EINVAL;
	command->command = g_ascii_toupper(verb[0]);
	command->modifiers = verb + 1;
	command->count = 0;
	for (char *word = strtok_r(NULL, " \t\r\n", &save); word; word = strtok_r(NULL, " \t\r\n", &save)) {
		if (command->count == LEGACY_MAX_WORDS)
			return -E2BIG;
		command->words[command->count++] = word;
	}
	return 0;
}

static void handle_datagram(struct legacy_udp_server *server, char *data, size_t length,
			    const union endpoint *source, socklen_t source_length)
{
	data[length] = '\0';
	if (memchr(data, '\0', length)) {
		log_warning("legacy UDP command with a NUL byte: ignored");
		return;
	}
	char source_text[ENDPOINT_TEXT_SIZE];
	endpoint_text(source, source_text, sizeof(source_text));
	log_info("Got legacy UDP command from %s: %.200s", source_text, data);
	struct legacy_command command;
	GString *reply = g_string_new(NULL);
	char *copy = g_strdup(data);
	const char *reason = "malformed command";
	int result = parse_command(copy, &command);
	if (!command.cookie) {
		g_free(copy);
		g_string_free(reply, TRUE);
		return;   /* nothing to answer to */
	}
	g_string_append_printf(reply, "%s ", command.cookie);
	size_t prefix = reply->len;
	if (result == 0)
		result = run_command(server, &command, source, reply, &reason);
	if (result < 0) {
		log_warning("legacy UDP command from %s failed: %s: %.200s", source_text, reason, data);
		g_string_truncate(reply, prefix);
		g_string_append(reply, "E8\n");
	}
	if (sendto(server->fd, reply->str, reply->len, MSG_DONTWAIT, &source->address, source_length) < 0)
		log_warning("cannot send legacy UDP reply to %s: %s", source_text, strerror(errno));
	g_free(copy);
	g_string_free(reply, TRUE);
}

static void legacy_readable(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct legacy_udp_server *server = data;
	for (unsigned int i = 0; i < LEGACY_PER_WAKEUP; i++) {
		char datagram[LEGACY_MAX_DATAGRAM + 1];
		union endpoint source;
		socklen_t source_length = sizeof(source);
		ssize_t received = recvfrom(fd, datagram, LEGACY_MAX_DATAGRAM + 1, MSG_DONTWAIT | MSG_TRUNC,
					    &source.address, &source_length);
		if (received < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warning("legacy UDP socket: %s", strerror(errno));
			return;
		}
		if ((size_t) received > LEGACY_MAX_DATAGRAM) {
			log_warning("legacy UDP command of %zd bytes: longer than %d, ignored", received, LEGACY_MAX_DATAGRAM);
			continue;
		}
		handle_datagram(server, datagram, (size_t) received, &source, source_length);
	}
}

/* ---- public functions ----------------------------------------------------------------- */

int legacy_udp_server_open(struct legacy_udp_server **result, const union endpoint *address,
			   struct daemon_context *daemon)
{
	union endpoint bound = *address;
	int fd = socket(bound.address.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bound.address.sa_family == AF_INET6) {
		int v6_only = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof(v6_only));
	}
	if (bind(fd, &bound.address, endpoint_length(&bound)) < 0) {
		int error = -errno;
		close(fd);
		return error;
	}
	struct legacy_udp_server *server = g_new0(struct legacy_udp_server, 1);
	*server = (struct legacy_udp_server) { .fd = fd, .daemon = daemon, .loop = daemon->loop,
					       .reply_buffer = bencode_buffer_new(),
					       .calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
									      (GDestroyNotify) g_hash_table_destroy) };
	observed_server = server;
	int error = call_observer_register(&legacy_call_observer);
	if (error == -EEXIST)
		error = 0;   /* opened again (tests): the observer finds the new server */
	if (!error)
		error = event_loop_add_fd(daemon->loop, fd, EPOLLIN, legacy_readable, server);
	if (error < 0) {
		legacy_udp_server_close(server);
		return error;
	}
	*result = server;
	return 0;
}

void legacy_udp_server_close(struct legacy_udp_server *server)
{
	if (!server)
		return;
	event_loop_remove_fd(server->loop, server->fd);
	close(server->fd);
	bencode_buffer_free(server->reply_buffer);
	g_hash_table_destroy(server->calls);
	if (observed_server == server)
		observed_server = NULL;
	g_free(server);
}
