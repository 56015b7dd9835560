/* SDP rewriter: the SDP the relay sends on, laid out line for line as rtpengine 10.5 does it.
 * The rules (observed from the reference, summarised in docs/sdp.md):
 *  - every received line is kept in place with its own terminator, except o= (replace=origin),
 *    c= (always our address), m= (our port / protocol) and the attributes the relay owns;
 *  - the owned attributes are dropped where they stand and re-emitted, CRLF-terminated, at the
 *    end of their media section in a fixed order: mid, codecs (rtpmap, fmtp, rtcp-fb per payload
 *    type in m= order), direction, rtcp, rtcp-mux, SRTP/DTLS, ptime, ICE;
 *  - session-level direction and ICE attributes are dropped (the direction moves into media). */
#include "sdp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define RTP_PAYLOAD_TYPES 128

/* How the writer treats one received a= line. */
enum attribute_class {
	ATTRIBUTE_KEEP,          /* copied unchanged, in place */
	ATTRIBUTE_DROP,          /* dropped; the relay emits its own version (rtcp, crypto, ...) */
	ATTRIBUTE_MID,           /* dropped and re-emitted first in the trailer (RFC 5888) */
	ATTRIBUTE_PTIME,         /* dropped and re-emitted after the SRTP/DTLS attributes */
	ATTRIBUTE_CODEC,         /* rtpmap / fmtp / rtcp-fb for one payload type: trailer codec block */
	ATTRIBUTE_ICE,           /* ICE (RFC 8839): replaced, removed or passed through */
	ATTRIBUTE_END_OF_CANDIDATES,
};

/* One payload type's received codec attributes; pointers into the parsed session. */
struct codec_attributes {
	const char *rtpmap_encoding;     /* "PCMU" (length in rtpmap_encoding_length) */
	size_t rtpmap_encoding_length;
	unsigned int rtpmap_clock_rate;
	const char *rtpmap_parameters;   /* channels, NULL if absent */
	const char *fmtp;                /* parameters after "PT " (last one wins) */
	GPtrArray *feedback;             /* const char * after "PT ", in order; NULL if none */
};

/* Entries are valid only where `used` says so: zeroing all 128 for every media section
 * showed in the profile of the ng path. */
struct codec_table {
	uint64_t used[RTP_PAYLOAD_TYPES / 64];
	struct codec_attributes payload[RTP_PAYLOAD_TYPES];
};

static bool codec_table_has(const struct codec_table *table, unsigned int payload_type)
{
	return table->used[payload_type / 64] & (1ULL << (payload_type % 64));
}

static struct codec_attributes *codec_table_entry(struct codec_table *table, unsigned int payload_type)
{
	struct codec_attributes *codec = &table->payload[payload_type];
	if (!codec_table_has(table, payload_type)) {
		memset(codec, 0, sizeof(*codec));
		table->used[payload_type / 64] |= 1ULL << (payload_type % 64);
	}
	return codec;
}

struct static_payload_type {
	unsigned int payload_type;
	const char *rtpmap;
};

/* RFC 3551 section 6 static payload types, spelled as upstream prints them when the offer
 * carries no a=rtpmap (payload type 2, G721, is not in upstream's table). */
static const struct static_payload_type static_payload_types[] = {
	{ 0, "PCMU/8000" }, { 3, "GSM/8000" }, { 4, "G723/8000" }, { 5, "DVI4/8000" },
	{ 6, "DVI4/16000" }, { 7, "LPC/8000" }, { 8, "PCMA/8000" }, { 9, "G722/8000" },
	{ 10, "L16/44100" }, { 11, "L16/44100/2" }, { 12, "QCELP/8000" }, { 13, "CN/8000" },
	{ 14, "MPA/90000" }, { 15, "G728/8000" }, { 16, "DVI4/11025" }, { 17, "DVI4/22050" },
	{ 18, "G729/8000" }, { 25, "CelB/90000" }, { 26, "JPEG/90000" }, { 28, "nv/90000" },
	{ 31, "H261/90000" }, { 32, "MPV/90000" }, { 33, "MP2T/90000" }, { 34, "H263/90000" },
};

/* ---- static helpers ---------------------------------------------------------------------- */

static const char *line_terminator(const struct sdp_line *line)
{
	/* A last line without terminator gets CRLF: upstream glues the next line onto it, which
	 * produces broken SDP; this is the one place we knowingly differ. */
	return *line->terminator ? line->terminator : "\r\n";
}

/* Appends without g_string_append's general insert path (callgrind, ng cycle bench: 125k ->
 * 121k user-space instructions per offer+answer+delete); the buffer is reused, so it rarely
 * needs to grow. */
static inline void append_bytes(GString *out, const char *data, size_t length)
{
	if (out->len + length + 1 > out->allocated_len) {
		g_string_append_len(out, data, (gssize) length);
		return;
	}
	memcpy(out->str + out->len, data, length);
	out->len += length;
	out->str[out->len] = '\0';
}

static inline void append_text(GString *out, const char *text)
{
	append_bytes(out, text, strlen(text));
}

static void write_line(GString *out, const struct sdp_line *line)
{
	append_text(out, line->text);
	append_text(out, line_terminator(line));
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IP6" : "IP4";
}

static bool protocol_is_rtp(const char *protocol)
{
	return strstr(protocol, "RTP/") != NULL;
}

/* "<payload type> <rest>" with 0 <= pt < 128, one space, non-empty rest. */
static bool parse_payload_prefix(const char *value, unsigned int *payload_type, const char **rest)
{
	if (!value)
		return false;
	unsigned int pt = 0;
	size_t digits = 0;
	while (value[digits] >= '0' && value[digits] <= '9' && digits < 3) {
		pt = pt * 10 + (unsigned int) (value[digits] - '0');
		digits++;
	}
	if (digits == 0 || pt >= RTP_PAYLOAD_TYPES || value[digits] != ' ' || !value[digits + 1])
		return false;
	*payload_type = pt;
	*rest = value + digits + 1;
	return true;
}

/* a=rtpmap:<pt> <encoding>/<clock>[/<parameters>] (RFC 8866 section 6.6). */
static bool parse_rtpmap(const char *value, unsigned int *payload_type, struct codec_attributes *codec)
{
	const char *rest;
	if (!parse_payload_prefix(value, payload_type, &rest))
		return false;
	const char *slash = strchr(rest, '/');
	if (!slash || slash == rest || strchr(rest, ' '))
		return false;
	const char *clock = slash + 1;
	size_t clock_digits = strspn(clock, "0123456789");
	if (clock_digits == 0 || clock_digits > 9 || (clock[clock_digits] && clock[clock_digits] != '/'))
		return false;
	codec->rtpmap_encoding = rest;
	codec->rtpmap_encoding_length = (size_t) (slash - rest);
	unsigned int clock_rate = 0;   /* 1-9 digits, checked above: no strtoul needed */
	for (size_t i = 0; i < clock_digits; i++)
		clock_rate = clock_rate * 10 + (unsigned int) (clock[i] - '0');
	codec->rtpmap_clock_rate = clock_rate;
	codec->rtpmap_parameters = clock[clock_digits] == '/' ? clock + clock_digits + 1 : NULL;
	return true;
}

/* SRTP keying: RFC 4568 crypto, RFC 4145 setup, RFC 8122 fingerprint, RFC 8842 tls-id */
static bool is_keying_attribute(const char *name)
{
	return sdp_name_is(name, "crypto") || sdp_name_is(name, "setup") || sdp_name_is(name, "fingerprint")
		|| sdp_name_is(name, "tls-id");
}

static enum attribute_class classify_media_attribute(const struct sdp_attribute *attribute)
{
	const char *name = attribute->name;
	unsigned int payload_type;
	const char *rest;
	struct codec_attributes scratch;

	if (!attribute->value && sdp_direction_from_name(name, strlen(name)) != SDP_DIRECTION_UNSPECIFIED)
		return ATTRIBUTE_DROP;
	if (sdp_name_is(name, "end-of-candidates"))
		return ATTRIBUTE_END_OF_CANDIDATES;
	if (sdp_attribute_is_ice(name))
		return ATTRIBUTE_ICE;
	if (sdp_name_is(name, "mid"))
		return ATTRIBUTE_MID;
	if (sdp_name_is(name, "ptime"))
		return ATTRIBUTE_PTIME;
	/* RFC 3605 rtcp, RFC 5761 rtcp-mux, RFC 4568 crypto, RFC 4145 setup, RFC 8122
	 * fingerprint, RFC 8842 tls-id: the relay terminates these and writes its own; RFC 8843
	 * bundle-only: each side's BUNDLE transport is the relay's (bundle.h), it gives every m=
	 * line it keeps a port. */
	static const char *const dropped[] = { "rtcp", "rtcp-mux", "crypto", "setup", "fingerprint",
		"tls-id", "bundle-only" };
	for (size_t i = 0; i < G_N_ELEMENTS(dropped); i++)
		if (sdp_name_is(name, dropped[i]))
			return ATTRIBUTE_DROP;
	if (sdp_name_is(name, "rtpmap"))
		return parse_rtpmap(attribute->value, &payload_type, &scratch) ? ATTRIBUTE_CODEC : ATTRIBUTE_KEEP;
	/* fmtp and rtcp-fb with a numeric payload type belong to that codec; "rtcp-fb:*" stays. */
	if (sdp_name_is(name, "fmtp") || sdp_name_is(name, "rtcp-fb"))
		return parse_payload_prefix(attribute->value, &payload_type, &rest) ? ATTRIBUTE_CODEC : ATTRIBUTE_KEEP;
	return ATTRIBUTE_KEEP;
}

/* printf-free appends: g_string_append_printf allocates a temporary string per call, and
 * the rewrite runs for every offer and answer. */
static void append_unsigned(GString *out, unsigned long value)
{
	char text[24];
	char *end = text + sizeof(text), *start = end;
	do {
		*--start = (char) ('0' + value % 10);
		value /= 10;
	} while (value);
	append_bytes(out, start, (size_t) (end - start));
}

/* Appends the NULL-terminated list of strings. */
static void append_texts(GString *out, ...)
{
	va_list texts;
	va_start(texts, out);
	for (const char *text = va_arg(texts, const char *); text; text = va_arg(texts, const char *))
		append_text(out, text);
	va_end(texts);
}

static void codec_table_add(struct codec_table *table, const struct sdp_attribute *attribute)
{
	unsigned int payload_type;
	const char *rest;
	struct codec_attributes parsed;
	if (!strcmp(attribute->name, "rtpmap")) {
		if (!parse_rtpmap(attribute->value, &payload_type, &parsed))
			return;
		struct codec_attributes *codec = codec_table_entry(table, payload_type);
		codec->rtpmap_encoding = parsed.rtpmap_encoding;
		codec->rtpmap_encoding_length = parsed.rtpmap_encoding_length;
		codec->rtpmap_clock_rate = parsed.rtpmap_clock_rate;
		codec->rtpmap_parameters = parsed.rtpmap_parameters;
		return;
	}
	if (!parse_payload_prefix(attribute->value, &payload_type, &rest))
		return;
	struct codec_attributes *codec = codec_table_entry(table, payload_type);
	if (!strcmp(attribute->name, "fmtp")) {
		codec->fmtp = rest;
	} else {
		if (!codec->feedback)
			codec->feedback = g_ptr_array_new();
		g_ptr_array_add(codec->feedback, (gpointer) rest);
	}
}

/* Visits the used entries only, a bit at a time (testing all 128 was 0.6% of the daemon's
 * CPU on the ng cycle bench). */
static void codec_table_clear(struct codec_table *table)
{
	for (unsigned int word = 0; word < G_N_ELEMENTS(table->used); word++) {
		for (uint64_t bits = table->used[word]; bits; bits &= bits - 1) {
			unsigned int i = word * 64 + (unsigned int) __builtin_ctzll(bits);
			if (table->payload[i].feedback)
				g_ptr_array_free(table->payload[i].feedback, TRUE);
		}
	}
}

const char *sdp_static_rtpmap(unsigned int payload_type)
{
	for (size_t i = 0; i < G_N_ELEMENTS(static_payload_types); i++)
		if (static_payload_types[i].payload_type == payload_type)
			return static_payload_types[i].rtpmap;
	return NULL;
}

/* Upstream's codec block: per payload type in m= order (duplicates repeated), rtpmap (from the
 * offer, else the static table, else the degenerate " /0" upstream prints), fmtp, rtcp-fb. */
/* A transcoding rtpmap ("96 opus/48000/2") for the payload type, NULL if none. */
static const char *added_rtpmap(const char *const *added, unsigned int payload_type)
{
	for (; added && *added; added++) {
		char *end;
		if (strtoul(*added, &end, 10) == payload_type && *end == ' ')
			return end + 1;
	}
	return NULL;
}

static void write_codecs(GString *out, const char *formats, const struct codec_table *table,
		const char *const *added)
{
	const char *cursor = formats;
	while (*cursor) {
		const char *token = cursor;
		size_t length = strcspn(token, " ");
		cursor = token[length] ? token + length + 1 : token + length;
		unsigned int payload_type = 0;
		bool numeric = length > 0 && length <= 3;
		for (size_t i = 0; numeric && i < length; i++) {
			if (token[i] < '0' || token[i] > '9')
				numeric = false;
			else
				payload_type = payload_type * 10 + (unsigned int) (token[i] - '0');
		}
		if (!numeric || payload_type >= RTP_PAYLOAD_TYPES)
			continue;
		static const struct codec_attributes none;
		const struct codec_attributes *codec = codec_table_has(table, payload_type) ? &table->payload[payload_type]
			: &none;
		/* transcoding: the payload types we add or put back are described by us */
		const char *ours = added_rtpmap(added, payload_type);
		if (ours) {
			append_text(out, "a=rtpmap:");
			append_unsigned(out, payload_type);
			/* "ENCODING/CLOCK[/CHANNELS][ FMTP]": a codec we add may bring its fmtp */
			const char *fmtp = strchr(ours, ' ');
			g_string_append_c(out, ' ');
			append_bytes(out, ours, fmtp ? (size_t) (fmtp - ours) : strlen(ours));
			append_text(out, "\r\n");
			if (fmtp) {
				append_text(out, "a=fmtp:");
				append_unsigned(out, payload_type);
				append_texts(out, fmtp, "\r\n", NULL);
			}
			if (codec == &none || !codec->rtpmap_encoding)
				continue;   /* nothing of the received SDP belongs to it */
			codec = &none;
		} else if (codec->rtpmap_encoding) {
			append_text(out, "a=rtpmap:");
			append_unsigned(out, payload_type);
			g_string_append_c(out, ' ');
			append_bytes(out, codec->rtpmap_encoding, codec->rtpmap_encoding_length);
			g_string_append_c(out, '/');
			append_unsigned(out, codec->rtpmap_clock_rate);
			/* One channel is the default (RFC 8866 section 6.6) and upstream omits it. */
			if (codec->rtpmap_parameters && strcmp(codec->rtpmap_parameters, "1"))
				append_texts(out, "/", codec->rtpmap_parameters, NULL);
			append_text(out, "\r\n");
		} else {
			const char *known = sdp_static_rtpmap(payload_type);
			append_text(out, "a=rtpmap:");
			append_unsigned(out, payload_type);
			append_texts(out, " ", known ? known : "/0", "\r\n", NULL);
		}
		if (codec->fmtp) {
			append_text(out, "a=fmtp:");
			append_unsigned(out, payload_type);
			append_texts(out, " ", codec->fmtp, "\r\n", NULL);
		}
		for (unsigned int i = 0; codec->feedback && i < codec->feedback->len; i++) {
			append_text(out, "a=rtcp-fb:");
			append_unsigned(out, payload_type);
			append_texts(out, " ", (const char *) g_ptr_array_index(codec->feedback, i), "\r\n", NULL);
		}
	}
}

/* o=<username> <sess-id> <sess-version> <rest> (RFC 4566 section 5.2) with our version */
static void write_origin_version(GString *out, const struct sdp_line *line, const char *version)
{
	const char *text = line->text;
	const char *id_end = strchr(text, ' ') ? strchr(strchr(text, ' ') + 1, ' ') : NULL;
	const char *version_end = id_end ? strchr(id_end + 1, ' ') : NULL;
	if (!version_end) {
		write_line(out, line);
		return;
	}
	g_string_append_len(out, text, id_end + 1 - text);
	g_string_append(out, version);
	g_string_append(out, version_end);
	g_string_append(out, line_terminator(line));
}

static void write_connection(GString *out, const struct sdp_line *line, const struct sdp_address *address)
{
	if (!address->family) {
		write_line(out, line);
		return;
	}
	append_texts(out, "c=IN ", family_name(address->family), " ", address->text, line_terminator(line), NULL);
}

static void write_host_candidate(GString *out, const char *foundation, unsigned int component,
				 unsigned long local_preference, const char *address, unsigned int port)
{
	unsigned long priority = (126ul << 24) | (local_preference << 8) | (256ul - component);
	append_texts(out, "a=candidate:", foundation, " ", NULL);
	append_unsigned(out, component);
	append_text(out, " UDP ");
	append_unsigned(out, priority);
	append_texts(out, " ", address, " ", NULL);
	append_unsigned(out, port);
	append_text(out, " typ host\r\n");
}

/* ICE=force-relay: the relay as relay candidates (RFC 8445 section 5.1.2.1, type preference
 * 0); raddr/rport (RFC 8839 section 5.1) name the same address. The local preference, as 10.5
 * writes it (measured): 65535 with our own credentials or when the peer gave no relay candidate
 * of its own, else one above that of the peer's lowest-priority relay candidate, in 16 bits
 * (so 0 after a 65535). lowest_relay_priority: that priority, or -1 for none. */
static void write_relay_candidates(GString *out, const struct sdp_media_rewrite *rewrite, bool rtp,
				   long long lowest_relay_priority)
{
	const char *foundation = rewrite->ice_foundation ? rewrite->ice_foundation : "1";
	unsigned long local_preference = 65535;
	if (!rewrite->ice_ufrag && lowest_relay_priority >= 0)
		local_preference = ((((unsigned long) lowest_relay_priority >> 8) & 0xffff) + 1) & 0xffff;
	unsigned int components = (rtp && rewrite->relay_rtcp_port && rewrite->relay_rtcp_port != rewrite->relay_rtp_port) ? 2 : 1;
	for (unsigned int component = 1; component <= components; component++) {
		unsigned int port = component == 1 ? rewrite->relay_rtp_port : rewrite->relay_rtcp_port;
		append_texts(out, "a=candidate:", foundation, " ", NULL);
		append_unsigned(out, component);
		append_text(out, " UDP ");
		append_unsigned(out, (local_preference << 8) | (256ul - component));
		append_texts(out, " ", rewrite->relay_address.text, " ", NULL);
		append_unsigned(out, port);
		append_texts(out, " typ relay raddr ", rewrite->relay_address.text, " rport ", NULL);
		append_unsigned(out, port);
		append_text(out, "\r\n");
	}
}

/* ICE=optional: our port as host candidates after the peer's own, with the priorities upstream
 * 10.5 writes (type preference 125, local preference 0: RFC 8445 section 5.1.2.1's formula). */
static void write_alongside_candidates(GString *out, const struct sdp_media_rewrite *rewrite, bool rtp)
{
	const char *foundation = rewrite->ice_foundation ? rewrite->ice_foundation : "1";
	unsigned int components = (rtp && rewrite->rtcp_port != rewrite->rtp_port) ? 2 : 1;
	for (unsigned int component = 1; component <= components; component++) {
		append_texts(out, "a=candidate:", foundation, " ", NULL);
		append_unsigned(out, component);
		append_text(out, " UDP ");
		append_unsigned(out, (125ul << 24) | (256ul - component));
		append_texts(out, " ", rewrite->address.text, " ", NULL);
		append_unsigned(out, component == 1 ? rewrite->rtp_port : rewrite->rtcp_port);
		append_text(out, " typ host\r\n");
	}
}

/* A received a=candidate line of type relay (RFC 8839 section 5.1: "... typ relay ..."). */
static bool is_relay_candidate(const struct sdp_line *line)
{
	return line->attribute && sdp_name_is(line->attribute->name, "candidate") && line->attribute->value
		&& strstr(line->attribute->value, " typ relay");
}

/* A candidate's priority (RFC 8839 section 5.1: foundation, component, transport, priority,
 * ...), -1 when it has none. */
static long long candidate_priority(const struct sdp_line *line)
{
	unsigned long priority;
	if (sscanf(line->attribute->value, "%*s %*s %*s %lu", &priority) != 1 || priority > UINT32_MAX)
		return -1;
	return (long long) priority;
}

/* Our host candidates (RFC 8445 section 5.1.2.1): type preference 126 (host), local
 * preference 65535 (the other family's address, if any: 65534), priority =
 * (126 << 24) | (local preference << 8) | (256 - component). */
static void write_own_ice(GString *out, const struct sdp_media_rewrite *rewrite, bool rtp)
{
	append_texts(out, "a=ice-ufrag:", rewrite->ice_ufrag, "\r\n", NULL);
	if (rewrite->ice_pwd)
		append_texts(out, "a=ice-pwd:", rewrite->ice_pwd, "\r\n", NULL);
	if (rewrite->ice_options_trickle)
		append_text(out, "a=ice-options:trickle\r\n");
	const char *foundation = rewrite->ice_foundation ? rewrite->ice_foundation : "1";
	unsigned int components = (rtp && rewrite->rtcp_port != rewrite->rtp_port) ? 2 : 1;
	for (unsigned int component = 1; component <= components; component++) {
		write_host_candidate(out, foundation, component, 65535, rewrite->address.text,
				     component == 1 ? rewrite->rtp_port : rewrite->rtcp_port);
		if (rewrite->family_rtp_port)
			write_host_candidate(out, rewrite->family_foundation ? rewrite->family_foundation : "2", component,
					     65534, rewrite->family_address.text,
					     component == 1 ? rewrite->family_rtp_port : rewrite->family_rtcp_port);
	}
}

static void write_media(GString *out, const struct sdp_session *session, const struct sdp_media *media,
		const struct sdp_media_rewrite *rewrite, const struct sdp_rewrite_options *options)
{
	const struct sdp_line *lines = (const struct sdp_line *) session->lines->data;
	if (rewrite->passthrough) {
		write_line(out, &lines[media->first_line]);
		if (!media->connection.family && rewrite->address.family)
			append_texts(out, "c=IN ", family_name(rewrite->address.family), " ", rewrite->address.text,
				     line_terminator(&lines[media->first_line]), NULL);
		for (unsigned int i = media->first_line + 1; i < media->end_line; i++)
			write_line(out, &lines[i]);
		return;
	}
	const char *protocol = rewrite->protocol ? rewrite->protocol : media->protocol;
	bool rtp = protocol_is_rtp(protocol);
	bool active = rewrite->rtp_port != 0;

	append_texts(out, "m=", media->media_type, " ", NULL);
	append_unsigned(out, rewrite->rtp_port);
	if (media->port_count > 1) {
		g_string_append_c(out, '/');
		append_unsigned(out, media->port_count);
	}
	const char *formats = rewrite->formats ? rewrite->formats : media->formats;
	append_texts(out, " ", protocol, " ", formats, line_terminator(&lines[media->first_line]), NULL);
	/* negotiation left no format at all: as 10.5, the received codec lines stay as they were */
	bool codecs_as_received = rewrite->formats && !rewrite->formats[0];

	/* On the stack (6 KB, control thread): as a malloc it was a "large" request, which makes
	 * glibc consolidate its fast bins first (malloc_consolidate showed in the ng bench's profile). */
	struct codec_table codec_storage;
	struct codec_table *codecs = &codec_storage;
	memset(codecs->used, 0, sizeof(codecs->used));
	const char *mid = NULL, *ptime = NULL;
	bool end_of_candidates = false;
	GPtrArray *received_ice = NULL;   /* created at the first ICE line */
	long long lowest_relay_priority = -1;   /* ICE=force-relay: of the sender's relay candidates */

	for (unsigned int i = media->first_line + 1; i < media->end_line; i++) {
		const struct sdp_line *line = &lines[i];
		if (line->type == 'c') {
			write_connection(out, line, &rewrite->address);
			continue;
		}
		if (!line->attribute) {
			write_line(out, line);
			continue;
		}
		if (options->strip_extmap && sdp_name_is(line->attribute->name, "extmap"))
			continue;
		switch (classify_media_attribute(line->attribute)) {
		case ATTRIBUTE_KEEP:
			write_line(out, line);
			break;
		case ATTRIBUTE_MID:
			mid = line->attribute->value;
			break;
		case ATTRIBUTE_PTIME:
			ptime = line->attribute->value;
			break;
		case ATTRIBUTE_CODEC:
			if (codecs_as_received)
				write_line(out, line);
			else
				codec_table_add(codecs, line->attribute);
			break;
		case ATTRIBUTE_ICE:
			if (rewrite->relay_rtp_port && !rewrite->ice_ufrag) {
				/* ICE=force-relay: the sender's ICE stays where it was, as 10.5 keeps it,
				 * but for its relay candidates (ours replace them) */
				if (!is_relay_candidate(line)) {
					write_line(out, line);
				} else {
					long long priority = candidate_priority(line);
					if (priority >= 0 && (lowest_relay_priority < 0 || priority < lowest_relay_priority))
						lowest_relay_priority = priority;
				}
				break;
			}
			if (rewrite->ice_alongside) {
				write_line(out, line);
				break;
			}
			if (!received_ice)
				received_ice = g_ptr_array_new();
			g_ptr_array_add(received_ice, (gpointer) line);
			break;
		case ATTRIBUTE_END_OF_CANDIDATES:
			end_of_candidates = true;
			break;
		case ATTRIBUTE_DROP:
			/* ICE=force-relay: the endpoints' keying, a=rtcp (a browser's "9 IN IP4
			 * 0.0.0.0") and a=rtcp-mux stay where they were (10.5) */
			if (rewrite->keep_keying && (is_keying_attribute(line->attribute->name)
						     || (rewrite->relay_rtp_port && (sdp_name_is(line->attribute->name, "rtcp-mux")
										    || sdp_name_is(line->attribute->name, "rtcp")))))
				write_line(out, line);
			break;
		}
	}

	if (rewrite->mid)
		mid = rewrite->mid;
	if (rewrite->ptime)
		ptime = rewrite->ptime;
	if (mid)
		append_texts(out, "a=mid:", mid, "\r\n", NULL);
	if (!active)
		goto done;
	if (rtp)
		write_codecs(out, formats, codecs, rewrite->added_rtpmaps);
	enum sdp_direction direction = rewrite->direction != SDP_DIRECTION_UNSPECIFIED ? rewrite->direction
		: sdp_media_effective_direction(session, media);
	append_texts(out, "a=", sdp_direction_name(direction), "\r\n", NULL);
	/* ICE=force-relay: 10.5 writes a=rtcp (the relay's port) and a=rtcp-mux of its own only
	 * where the relay candidate multiplexes RTCP (an answer that accepted rtcp-mux), after
	 * the sender's a=rtcp-mux that stayed in place */
	bool relay_muxed = rewrite->relay_rtp_port && rewrite->rtcp_mux && rewrite->relay_rtcp_port == rewrite->relay_rtp_port;
	if (rtp && !options->no_rtcp_attribute && (!rewrite->relay_rtp_port || relay_muxed)) {
		append_text(out, "a=rtcp:");
		append_unsigned(out, relay_muxed ? rewrite->relay_rtp_port : rewrite->rtcp_port);
		const struct sdp_address *rtcp_address = relay_muxed ? &rewrite->relay_address : &rewrite->address;
		if (options->full_rtcp_attribute && rtcp_address->family)
			append_texts(out, " IN ", family_name(rtcp_address->family), " ", rtcp_address->text, NULL);
		append_text(out, "\r\n");
	}
	if (rtp && rewrite->rtcp_mux && (!rewrite->relay_rtp_port || relay_muxed))
		append_text(out, "a=rtcp-mux\r\n");
	for (unsigned int i = 0; i < rewrite->extra_attribute_count; i++)
		if (rewrite->extra_attributes && rewrite->extra_attributes[i])
			append_texts(out, "a=", rewrite->extra_attributes[i], "\r\n", NULL);
	if (rtp && ptime)
		append_texts(out, "a=ptime:", ptime, "\r\n", NULL);
	if (rewrite->relay_rtp_port) {
		if (rewrite->ice_ufrag)
			append_texts(out, "a=ice-ufrag:", rewrite->ice_ufrag, "\r\na=ice-pwd:", rewrite->ice_pwd, "\r\n", NULL);
		write_relay_candidates(out, rewrite, rtp, lowest_relay_priority);
	} else if (rewrite->ice_alongside) {
		write_alongside_candidates(out, rewrite, rtp);
	} else if (!rewrite->remove_ice) {
		if (rewrite->ice_ufrag)
			write_own_ice(out, rewrite, rtp);
		else
			for (unsigned int i = 0; received_ice && i < received_ice->len; i++)
				write_line(out, g_ptr_array_index(received_ice, i));
	}
	/* Upstream re-emits a received end-of-candidates (RFC 8840) even with ICE=remove. */
	if (end_of_candidates || (rewrite->end_of_candidates && rewrite->ice_ufrag && !rewrite->remove_ice))
		append_text(out, "a=end-of-candidates\r\n");
done:
	if (received_ice)
		g_ptr_array_free(received_ice, TRUE);
	codec_table_clear(codecs);
}

/* The address the session-level c= and (replace=origin) o= carry: the first active media's. */
static const struct sdp_address *session_address(const struct sdp_rewrite_options *options)
{
	for (unsigned int i = 0; i < options->media_count; i++)
		if (options->media[i].rtp_port && options->media[i].address.family)
			return &options->media[i].address;
	return &options->media[0].address;
}

/* Session-level ICE stays only when some media passes the received ICE through unchanged. */
static bool session_ice_passes_through(const struct sdp_session *session,
		const struct sdp_rewrite_options *options)
{
	for (unsigned int i = 0; i < options->media_count; i++) {
		const struct sdp_media *media = g_ptr_array_index(session->media, i);
		if (media->has_ice && !options->media[i].remove_ice && !options->media[i].ice_ufrag)
			return true;
	}
	return false;
}

static bool some_media_uses_session_connection(const struct sdp_session *session)
{
	for (unsigned int i = 0; i < session->media->len; i++) {
		const struct sdp_media *media = g_ptr_array_index(session->media, i);
		if (!media->connection.family)
			return true;
	}
	return false;
}

static void write_session(GString *out, const struct sdp_session *session,
		const struct sdp_rewrite_options *options)
{
	const struct sdp_line *lines = (const struct sdp_line *) session->lines->data;
	const struct sdp_media *first_media = g_ptr_array_index(session->media, 0);
	const struct sdp_address *address = session_address(options);
	bool keep_ice = session_ice_passes_through(session, options);
	/* Upstream leaves the session c= alone when every media has its own c= line. */
	bool rewrite_connection = options->replace_session_connection || some_media_uses_session_connection(session);
	const struct sdp_address unchanged = { 0 };

	for (unsigned int i = 0; i < first_media->first_line; i++) {
		const struct sdp_line *line = &lines[i];
		if (line->type == 'o' && options->replace_origin && address->family) {
			g_string_append_printf(out, "o=%s %s %s IN %s %s%s", session->origin_username,
					session->origin_session_id,
					options->sdp_version ? options->sdp_version : session->origin_session_version,
					family_name(address->family), address->text, line_terminator(line));
		} else if (line->type == 'o' && options->sdp_version) {
			write_origin_version(out, line, options->sdp_version);
		} else if (line->type == 'c') {
			write_connection(out, line, rewrite_connection ? address : &unchanged);
		} else if (line->attribute) {
			const char *name = line->attribute->name;
			bool is_direction = !line->attribute->value
				&& sdp_direction_from_name(name, strlen(name)) != SDP_DIRECTION_UNSPECIFIED;
			/* Upstream 10.5 does not bundle (RFC 9143) and drops the offer's BUNDLE group. */
			bool is_bundle = !strcmp(name, "group") && line->attribute->value
				&& g_str_has_prefix(line->attribute->value, "BUNDLE");
			bool is_extmap = options->strip_extmap && sdp_name_is(name, "extmap");
			if (is_direction || is_bundle || is_extmap || (!keep_ice && sdp_attribute_is_ice(name)))
				continue;
			write_line(out, line);
		} else {
			write_line(out, line);
		}
	}
	/* ICE: RFC 8839 section 5.3 (ice-lite is session-level), RFC 9143 section 7 */
	if (options->bundle_group)
		append_texts(out, "a=group:BUNDLE ", options->bundle_group, "\r\n", NULL);
	if (options->ice_lite)
		append_text(out, "a=ice-lite\r\n");
	if (options->loop_protect && options->loop_protect_token)
		g_string_append_printf(out, "a=rtpengine:%s\r\n", options->loop_protect_token);
}

/* ---- public functions -------------------------------------------------------------------- */

int sdp_rewrite(const struct sdp_session *session, const struct sdp_rewrite_options *options, GString *out)
{
	if (!session || !options || !out || !session->media || session->media->len == 0)
		return -EINVAL;
	if (options->media_count != session->media->len || !options->media)
		return -EINVAL;
	write_session(out, session, options);
	for (unsigned int i = 0; i < session->media->len; i++)
		write_media(out, session, g_ptr_array_index(session->media, i), &options->media[i], options);
	return 0;
}
