/* SDP parser (RFC 8866). Every line is copied once into the session's text storage so the
 * writer can re-emit untouched lines exactly; the typed fields point into the same storage. */
#include "sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "endpoint.h"

/* Upper bounds keep hostile input from costing much: a real SDP has a few dozen lines. */
#define SDP_MAX_LINES 4096
#define SDP_MAX_MEDIA 64
/* Text storage beyond twice the SDP's length (see copy_text) */
#define SDP_TEXT_SLACK 64

static __thread char parse_error_text[128];
/* The last freed session's containers and buffers, reused by the next parse on this thread:
 * allocating them afresh was about a dozen mallocs and frees per offer or answer (ng cycle
 * bench, perf: sdp_parse went from 6% to 4% of the daemon's CPU). */
static __thread struct sdp_session *spare_session;
/* and its media sections, with their emptied attribute arrays */
#define SDP_SPARE_MEDIA 4
static __thread struct sdp_media *spare_media[SDP_SPARE_MEDIA];
static __thread unsigned int spare_media_count;

/* ---- static helpers ---------------------------------------------------------------------- */

static const char *parse_error(const char *what, unsigned int line_number)
{
	snprintf(parse_error_text, sizeof(parse_error_text), "%s (line %u)", what, line_number);
	return parse_error_text;
}

/* Splits the next space-separated token off *cursor (NUL-terminated); returns its length
 * and start, or 0 when none is left. Single spaces only, as RFC 8866 section 9 requires. */
static size_t next_token(const char **cursor, const char **token)
{
	const char *start = *cursor;
	const char *end = start;
	while (*end && *end != ' ')
		end++;
	*token = start;
	*cursor = *end ? end + 1 : end;
	return (size_t) (end - start);
}

/* NUL-terminated copy of length bytes in the session's text storage. The storage holds
 * 2 * SDP length + SDP_TEXT_SLACK bytes, which is enough by construction: every line is
 * copied once (length + 1) and its parts at most once more (an a= line's name and value, an
 * m= or o= line's tokens: at most length + 1 again), and the line lengths plus one per line
 * add up to at most the SDP's length + 1. */
static char *copy_text(struct sdp_session *session, const char *text, size_t length)
{
	g_assert(length < session->text_capacity - session->text_used);
	char *copy = session->text_storage + session->text_used;
	memcpy(copy, text, length);
	copy[length] = '\0';
	session->text_used += length + 1;
	return copy;
}

/* Parses an unsigned decimal of at most 10 digits from [text, text+length). */
static int parse_unsigned(const char *text, size_t length, unsigned long maximum, unsigned int *out)
{
	unsigned long value = 0;
	if (length == 0 || length > 10)
		return -EINVAL;
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -EINVAL;
		value = value * 10 + (unsigned long) (text[i] - '0');
	}
	if (value > maximum)
		return -ERANGE;
	*out = (unsigned int) value;
	return 0;
}

/* "IN IP4 1.2.3.4" / "IN IP6 ::1" starting at *cursor (nettype, addrtype, address). The
 * address must be a literal unless host_name_allowed (then a name is kept as text, with no
 * endpoint); multicast "/ttl" suffixes are refused like upstream does. */
static int parse_address_fields(const char **cursor, struct sdp_address *address, bool host_name_allowed)
{
	const char *token;
	size_t length = next_token(cursor, &token);
	if (length != 2 || memcmp(token, "IN", 2))
		return -EINVAL;
	length = next_token(cursor, &token);
	int family;
	if (length == 3 && !memcmp(token, "IP4", 3))
		family = AF_INET;
	else if (length == 3 && !memcmp(token, "IP6", 3))
		family = AF_INET6;
	else
		return -EINVAL;
	length = next_token(cursor, &token);
	if (length == 0 || length >= sizeof(address->text))
		return -EINVAL;
	char text[sizeof(address->text)];
	memcpy(text, token, length);
	text[length] = '\0';
	/* as endpoint_parse() does it; IPv4 by hand (see endpoint_parse_ipv4) */
	memset(&address->endpoint, 0, sizeof(address->endpoint));
	if (family == AF_INET ? endpoint_parse_ipv4(text, length, &address->endpoint.v4.sin_addr) < 0
	    : inet_pton(family, text, &address->endpoint.v6.sin6_addr) != 1) {
		if (!host_name_allowed || strchr(text, '/'))
			return -EINVAL;
	} else {
		address->endpoint.address.sa_family = (sa_family_t) family;
	}
	address->family = family;
	memcpy(address->text, text, length + 1);
	return 0;
}

static int parse_origin(struct sdp_session *session, const char *value)
{
	const char *cursor = value, *token;
	size_t length;
	char **fields[3] = { &session->origin_username, &session->origin_session_id,
		&session->origin_session_version };
	for (unsigned int i = 0; i < 3; i++) {
		length = next_token(&cursor, &token);
		if (length == 0)
			return -EINVAL;
		*fields[i] = copy_text(session, token, length);
	}
	/* RFC 4566 section 5.2: o='s unicast-address may be a fully qualified domain name (IMS
	 * cores send one); it is only ever written back as text, as upstream 10.5 does */
	if (parse_address_fields(&cursor, &session->origin_address, true))
		return -EINVAL;
	return *cursor ? -EINVAL : 0;
}

static int parse_connection(const char *value, struct sdp_address *address)
{
	const char *cursor = value;
	if (parse_address_fields(&cursor, address, false))
		return -EINVAL;
	return *cursor ? -EINVAL : 0;
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... (RFC 8866 section 5.14) */
static int parse_media_line(struct sdp_session *session, struct sdp_media *media, const char *value)
{
	const char *cursor = value, *token;
	size_t length = next_token(&cursor, &token);
	if (length == 0)
		return -EINVAL;
	media->media_type = copy_text(session, token, length);

	length = next_token(&cursor, &token);
	const char *slash = memchr(token, '/', length);
	size_t port_length = slash ? (size_t) (slash - token) : length;
	if (parse_unsigned(token, port_length, 65535, &media->port))
		return -EINVAL;
	media->port_count = 1;
	if (slash && parse_unsigned(slash + 1, length - port_length - 1, 65535, &media->port_count))
		return -EINVAL;
	if (media->port_count == 0)
		return -EINVAL;

	length = next_token(&cursor, &token);
	if (length == 0)
		return -EINVAL;
	media->protocol = copy_text(session, token, length);
	if (!*cursor)
		return -EINVAL;
	media->formats = copy_text(session, cursor, strlen(cursor));
	return 0;
}

/* a=rtcp:<port> [IN IP4 <address>] (RFC 3605 section 2.1) */
static int parse_rtcp_attribute(struct sdp_media *media, const char *value)
{
	if (!value)
		return -EINVAL;
	const char *cursor = value, *token;
	size_t length = next_token(&cursor, &token);
	if (parse_unsigned(token, length, 65535, &media->rtcp_port))
		return -EINVAL;
	memset(&media->rtcp_address, 0, sizeof(media->rtcp_address));
	if (*cursor && parse_connection(cursor, &media->rtcp_address))
		return -EINVAL;
	media->has_rtcp_attribute = true;
	/* RTCP on the RTP port is multiplexed (RFC 5761 section 5.1.3 allows signalling it so);
	 * 10.5 takes it as a=rtcp-mux. Not trickle ICE's placeholder "a=rtcp:9 IN IP4 0.0.0.0"
	 * (RFC 8840 section 4.1.1), which 10.5 leaves alone. */
	bool placeholder = media->rtcp_address.family
		&& (media->rtcp_address.endpoint.address.sa_family == AF_INET
		    ? media->rtcp_address.endpoint.v4.sin_addr.s_addr == INADDR_ANY
		    : IN6_IS_ADDR_UNSPECIFIED(&media->rtcp_address.endpoint.v6.sin6_addr));
	if (media->rtcp_port == media->port && media->port && !placeholder)
		media->rtcp_mux = true;
	return 0;
}

/* The attribute of line number index lives in the session's attribute_storage (one allocation
 * for all, not one each: ng cycle bench). */
static struct sdp_attribute *parse_attribute(struct sdp_session *session, unsigned int index, const char *value)
{
	struct sdp_attribute *attribute = &session->attribute_storage[index];
	const char *colon = strchr(value, ':');
	if (colon) {
		attribute->name = copy_text(session, value, (size_t) (colon - value));
		attribute->value = copy_text(session, colon + 1, strlen(colon + 1));
	} else {
		attribute->name = copy_text(session, value, strlen(value));
	}
	return attribute;
}

/* Media-level attributes that the typed fields summarise. */
static int apply_media_attribute(struct sdp_media *media, const struct sdp_attribute *attribute)
{
	enum sdp_direction direction = attribute->value ? SDP_DIRECTION_UNSPECIFIED
		: sdp_direction_from_name(attribute->name, strlen(attribute->name));
	if (direction != SDP_DIRECTION_UNSPECIFIED)
		media->direction = direction;
	else if (sdp_name_is(attribute->name, "rtcp"))
		return parse_rtcp_attribute(media, attribute->value);
	else if (sdp_name_is(attribute->name, "rtcp-mux"))
		media->rtcp_mux = true;
	else if (sdp_attribute_is_ice(attribute->name))
		media->has_ice = true;
	return 0;
}

static struct sdp_media *media_new(void)
{
	static uint64_t serial;   /* any thread's parse: a media never gets another's number */
	struct sdp_media *media;
	if (spare_media_count) {
		media = spare_media[--spare_media_count];
		*media = (struct sdp_media) { .attributes = media->attributes };
	} else {
		media = g_new0(struct sdp_media, 1);
		media->attributes = g_ptr_array_new();
	}
	media->serial = __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED);
	return media;
}

static void media_free(gpointer data)
{
	struct sdp_media *media = data;
	if (!media)   /* kept as a spare */
		return;
	if (media->attributes)
		g_ptr_array_free(media->attributes, TRUE);
	g_free(media);
}

/* Splits [text, text+length) into lines, each copied into the text storage. A line ends at LF,
 * with an optional CR before it; an empty line ends the SDP, as upstream stops there. */
static int split_lines(struct sdp_session *session, const char *text, size_t length, const char **error)
{
	size_t offset = 0;
	while (offset < length) {
		const char *start = text + offset;
		const char *newline = memchr(start, '\n', length - offset);
		size_t line_length = newline ? (size_t) (newline - start) : length - offset;
		size_t consumed = newline ? line_length + 1 : line_length;
		const char *terminator = newline ? "\n" : "";
		if (line_length > 0 && start[line_length - 1] == '\r') {
			line_length--;
			terminator = newline ? "\r\n" : "";
		}
		if (line_length == 0)
			break;
		unsigned int number = session->lines->len + 1;
		if (number > SDP_MAX_LINES) {
			*error = "too many lines";
			return -EINVAL;
		}
		if (memchr(start, '\0', line_length) || memchr(start, '\r', line_length)) {
			*error = parse_error("control character in line", number);
			return -EINVAL;
		}
		if (line_length < 2 || start[1] != '=' || !g_ascii_isalpha(start[0])) {
			*error = parse_error("malformed line", number);
			return -EINVAL;
		}
		struct sdp_line line = {
			.type = start[0],
			.text = copy_text(session, start, line_length),
			.terminator = terminator,
		};
		g_array_append_val(session->lines, line);
		offset += consumed;
	}
	if (session->lines->len == 0) {
		*error = "empty SDP";
		return -EINVAL;
	}
	return 0;
}

static int parse_lines(struct sdp_session *session, const char **error)
{
	struct sdp_media *media = NULL;
	bool have_origin = false;
	for (unsigned int i = 0; i < session->lines->len; i++) {
		struct sdp_line *line = &g_array_index(session->lines, struct sdp_line, i);
		const char *value = line->text + 2;
		unsigned int number = i + 1;
		if (i == 0 && (line->type != 'v' || strcmp(value, "0"))) {
			*error = "SDP does not start with v=0";
			return -EINVAL;
		}
		switch (line->type) {
		case 'o':
			if (media || have_origin || parse_origin(session, value)) {
				*error = parse_error("malformed o= line", number);
				return -EINVAL;
			}
			have_origin = true;
			break;
		case 'c': {
			struct sdp_address *target = media ? &media->connection : &session->connection;
			if (target->family || parse_connection(value, target)) {
				*error = parse_error("malformed c= line", number);
				return -EINVAL;
			}
			break;
		}
		case 'm':
			if (session->media->len >= SDP_MAX_MEDIA) {
				*error = "too many m= lines";
				return -EINVAL;
			}
			if (media)
				media->end_line = i;
			media = media_new();
			media->first_line = i;
			g_ptr_array_add(session->media, media);
			if (parse_media_line(session, media, value)) {
				*error = parse_error("malformed m= line", number);
				return -EINVAL;
			}
			break;
		case 'a': {
			struct sdp_attribute *attribute = parse_attribute(session, i, value);
			line->attribute = attribute;
			if (media) {
				g_ptr_array_add(media->attributes, attribute);
				if (apply_media_attribute(media, attribute)) {
					*error = parse_error("malformed a=rtcp line", number);
					return -EINVAL;
				}
			} else {
				g_ptr_array_add(session->attributes, attribute);
				if (!attribute->value) {
					enum sdp_direction direction = sdp_direction_from_name(attribute->name,
							strlen(attribute->name));
					if (direction != SDP_DIRECTION_UNSPECIFIED)
						session->direction = direction;
				}
			}
			break;
		}
		default:
			break;
		}
	}
	if (media)
		media->end_line = session->lines->len;
	if (!have_origin) {
		*error = "no o= line";
		return -EINVAL;
	}
	if (session->media->len == 0) {
		*error = "no m= line";
		return -EINVAL;
	}
	for (unsigned int i = 0; i < session->media->len; i++) {
		struct sdp_media *m = g_ptr_array_index(session->media, i);
		if (!m->connection.family && !session->connection.family) {
			*error = parse_error("media without connection address", m->first_line + 1);
			return -EINVAL;
		}
	}
	return 0;
}

/* An empty session with room for an SDP of length bytes: the spare one if there is one. */
static struct sdp_session *session_new(size_t length)
{
	struct sdp_session *session = spare_session;
	if (session) {
		spare_session = NULL;
		struct sdp_session kept = *session;   /* emptied containers and buffers */
		*session = (struct sdp_session) {
			.attributes = kept.attributes, .media = kept.media, .lines = kept.lines,
			.text_storage = kept.text_storage, .text_capacity = kept.text_capacity,
			.attribute_storage = kept.attribute_storage, .attribute_capacity = kept.attribute_capacity,
		};
	} else {
		session = g_new0(struct sdp_session, 1);
		session->lines = g_array_sized_new(FALSE, TRUE, sizeof(struct sdp_line), 32);
		session->attributes = g_ptr_array_sized_new(16);
		session->media = g_ptr_array_new_with_free_func(media_free);
	}
	size_t needed = 2 * length + SDP_TEXT_SLACK;
	if (session->text_capacity < needed) {
		g_free(session->text_storage);
		session->text_storage = g_malloc(needed);
		session->text_capacity = needed;
	}
	return session;
}

/* ---- public functions -------------------------------------------------------------------- */

const char *sdp_direction_name(enum sdp_direction direction)
{
	switch (direction) {
	case SDP_DIRECTION_SENDRECV: return "sendrecv";
	case SDP_DIRECTION_SENDONLY: return "sendonly";
	case SDP_DIRECTION_RECVONLY: return "recvonly";
	case SDP_DIRECTION_INACTIVE: return "inactive";
	default: return NULL;
	}
}

enum sdp_direction sdp_direction_from_name(const char *name, size_t length)
{
	for (int direction = SDP_DIRECTION_SENDRECV; direction <= SDP_DIRECTION_INACTIVE; direction++) {
		const char *candidate = sdp_direction_name(direction);
		if (strlen(candidate) == length && !memcmp(candidate, name, length))
			return direction;
	}
	return SDP_DIRECTION_UNSPECIFIED;
}

bool sdp_attribute_is_ice(const char *name)
{
	/* RFC 8839 section 5 plus the RFC 8840 trickle marker. */
	static const char *const names[] = { "candidate", "remote-candidates", "ice-lite",
		"ice-mismatch", "ice-ufrag", "ice-pwd", "ice-pacing", "ice-options",
		"end-of-candidates" };
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (sdp_name_is(name, names[i]))
			return true;
	return false;
}

enum sdp_direction sdp_media_effective_direction(const struct sdp_session *session,
		const struct sdp_media *media)
{
	if (session->direction == SDP_DIRECTION_SENDONLY || session->direction == SDP_DIRECTION_RECVONLY)
		return session->direction;
	if (media->direction != SDP_DIRECTION_UNSPECIFIED)
		return media->direction;
	if (session->direction != SDP_DIRECTION_UNSPECIFIED)
		return session->direction;
	return SDP_DIRECTION_SENDRECV;
}

struct sdp_session *sdp_parse(const char *text, size_t length, const char **error)
{
	const char *ignored;
	if (!error)
		error = &ignored;
	if (!text) {
		*error = "no SDP";
		return NULL;
	}
	struct sdp_session *session = session_new(length);
	if (split_lines(session, text, length, error)) {
		sdp_session_free(session);
		return NULL;
	}
	if (session->attribute_capacity < session->lines->len) {
		g_free(session->attribute_storage);
		session->attribute_capacity = session->lines->len;
		session->attribute_storage = g_new(struct sdp_attribute, session->attribute_capacity);
	}
	memset(session->attribute_storage, 0, session->lines->len * sizeof(struct sdp_attribute));
	if (parse_lines(session, error)) {
		sdp_session_free(session);
		return NULL;
	}
	return session;
}

void sdp_session_free(struct sdp_session *session)
{
	if (!session)
		return;
	if (!spare_session) {
		for (unsigned int i = 0; i < session->media->len && spare_media_count < SDP_SPARE_MEDIA; i++) {
			struct sdp_media *media = g_ptr_array_index(session->media, i);
			g_ptr_array_set_size(media->attributes, 0);
			spare_media[spare_media_count++] = media;
			session->media->pdata[i] = NULL;
		}
		g_ptr_array_set_size(session->media, 0);   /* frees the media not kept */
		g_ptr_array_set_size(session->attributes, 0);
		g_array_set_size(session->lines, 0);
		session->text_used = 0;
		spare_session = session;
		return;
	}
	if (session->media)
		g_ptr_array_free(session->media, TRUE);
	if (session->attributes)
		g_ptr_array_free(session->attributes, TRUE);
	if (session->lines)
		g_array_free(session->lines, TRUE);
	g_free(session->text_storage);
	g_free(session->attribute_storage);
	g_free(session);
}

bool sdp_has_loop_marker(const struct sdp_session *session, const char *token)
{
	if (!session)
		return false;
	for (unsigned int i = 0; i < session->lines->len; i++) {
		const struct sdp_line *line = &g_array_index(session->lines, struct sdp_line, i);
		const struct sdp_attribute *attribute = line->attribute;
		if (!attribute || strcmp(attribute->name, "rtpengine") || !attribute->value)
			continue;
		if (!token || !strcmp(attribute->value, token))
			return true;
	}
	return false;
}

void sdp_media_codecs_text(const struct sdp_media *media, char *out, size_t size)
{
	size_t used = 0;
	if (size)
		out[0] = '\0';
	const char *format = media->formats ? media->formats : "";
	while (*format) {
		while (*format == ' ')
			format++;
		size_t format_length = strcspn(format, " ");
		if (!format_length)
			break;
		const char *name = format;
		size_t name_length = format_length;
		for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
			const struct sdp_attribute *attribute = g_ptr_array_index(media->attributes, i);
			const char *value = attribute->value;
			/* a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>] */
			if (!value || strcmp(attribute->name, "rtpmap") != 0 || strncmp(value, format, format_length) != 0
			    || value[format_length] != ' ')
				continue;
			name = value + format_length + 1;
			name_length = strcspn(name, " \r\n");
			break;
		}
		if (used + (used ? 1 : 0) + name_length + 1 > size)
			break;
		if (used)
			out[used++] = ' ';
		memcpy(out + used, name, name_length);
		used += name_length;
		out[used] = '\0';
		format += format_length;
	}
}
