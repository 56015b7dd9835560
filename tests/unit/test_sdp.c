/* SDP parser and writer tests. The golden cases in tests/unit/sdp/expected/ were recorded from
 * the reference rtpengine 10.5 by tests/unit/sdp/generate_expected.py: each .rewrite file names
 * an input SDP and the rewrite inputs; our writer must reproduce the .expected file byte for byte. */
#include "sdp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_MEDIA 16
#define MAX_EXTRA 32

struct golden_case {
	char *input_file;
	bool expect_error;
	struct sdp_rewrite_options options;
	struct sdp_media_rewrite media[MAX_MEDIA];
	const char *extra[MAX_MEDIA][MAX_EXTRA];
	GStringChunk *strings;
};

static char *corpus_directory(void)
{
	const char *override = g_getenv("SDP_CORPUS_DIR");
	if (override)
		return g_strdup(override);
	char *test_directory = g_path_get_dirname(__FILE__);
	char *path = g_build_filename(test_directory, "sdp", NULL);
	g_free(test_directory);
	return path;
}

static char *read_corpus_file(const char *name, size_t *length)
{
	char *directory = corpus_directory();
	char *path = g_build_filename(directory, name, NULL);
	char *contents = NULL;
	gsize size = 0;
	GError *error = NULL;
	if (!g_file_get_contents(path, &contents, &size, &error))
		g_error("cannot read %s: %s", path, error->message);
	g_free(path);
	g_free(directory);
	if (length)
		*length = size;
	return contents;
}

static const char *keep(struct golden_case *golden, const char *text)
{
	return g_string_chunk_insert(golden->strings, text);
}

static void golden_case_load(struct golden_case *golden, const char *rewrite_name)
{
	memset(golden, 0, sizeof(*golden));
	golden->strings = g_string_chunk_new(512);
	char *text = read_corpus_file(rewrite_name, NULL);
	char **lines = g_strsplit(text, "\n", -1);
	struct sdp_media_rewrite *media = NULL;
	unsigned int extra_count = 0;
	for (char **line = lines; *line; line++) {
		char **words = g_strsplit(*line, " ", 2);
		const char *key = words[0] ? words[0] : "";
		const char *rest = words[0] && words[1] ? words[1] : "";
		if (!*key || key[0] == '#') {
			/* comment or blank */
		} else if (!strcmp(key, "input")) {
			golden->input_file = g_strdup(rest);
		} else if (!strcmp(key, "error")) {
			golden->expect_error = true;
		} else if (!strcmp(key, "option")) {
			struct sdp_rewrite_options *options = &golden->options;
			if (!strcmp(rest, "replace_origin"))
				options->replace_origin = true;
			else if (!strcmp(rest, "replace_session_connection"))
				options->replace_session_connection = true;
			else if (!strcmp(rest, "no_rtcp_attribute"))
				options->no_rtcp_attribute = true;
			else if (!strcmp(rest, "full_rtcp_attribute"))
				options->full_rtcp_attribute = true;
			else if (g_str_has_prefix(rest, "loop_protect ")) {
				options->loop_protect = true;
				options->loop_protect_token = keep(golden, rest + strlen("loop_protect "));
			} else
				g_error("%s: unknown option %s", rewrite_name, rest);
		} else if (!strcmp(key, "media")) {
			g_assert_cmpuint(golden->options.media_count, <, MAX_MEDIA);
			media = &golden->media[golden->options.media_count];
			extra_count = 0;
			char address[64], protocol[64];
			unsigned int rtp, rtcp, mux, remove_ice;
			g_assert_cmpint(sscanf(rest, "%63s %u %u %u %63s %u", address, &rtp, &rtcp, &mux, protocol,
					&remove_ice), ==, 6);
			media->address.family = strchr(address, ':') ? AF_INET6 : AF_INET;
			g_strlcpy(media->address.text, address, sizeof(media->address.text));
			media->rtp_port = rtp;
			media->rtcp_port = rtcp;
			media->rtcp_mux = mux;
			media->protocol = strcmp(protocol, "-") ? keep(golden, protocol) : NULL;
			media->remove_ice = remove_ice;
			media->extra_attributes = golden->extra[golden->options.media_count];
			golden->options.media_count++;
		} else if (!strcmp(key, "mid")) {
			g_assert_nonnull(media);
			media->mid = keep(golden, rest);
		} else if (!strcmp(key, "ptime")) {
			g_assert_nonnull(media);
			media->ptime = keep(golden, rest);
		} else if (!strcmp(key, "ice")) {
			g_assert_nonnull(media);
			char **credentials = g_strsplit(rest, " ", 3);
			g_assert_cmpuint(g_strv_length(credentials), ==, 3);
			media->ice_ufrag = keep(golden, credentials[0]);
			media->ice_pwd = keep(golden, credentials[1]);
			media->ice_foundation = keep(golden, credentials[2]);
			g_strfreev(credentials);
		} else if (!strcmp(key, "extra")) {
			g_assert_nonnull(media);
			g_assert_cmpuint(extra_count, <, MAX_EXTRA);
			golden->extra[golden->options.media_count - 1][extra_count++] = keep(golden, rest);
			media->extra_attribute_count = extra_count;
		} else {
			g_error("%s: unknown key %s", rewrite_name, key);
		}
		g_strfreev(words);
	}
	golden->options.media = golden->media;
	g_strfreev(lines);
	g_free(text);
	g_assert_nonnull(golden->input_file);
}

static void golden_case_clear(struct golden_case *golden)
{
	g_free(golden->input_file);
	g_string_chunk_free(golden->strings);
}

/* Parses from an exactly-sized heap copy so ASan catches any read past the length. */
static struct sdp_session *parse_exact(const char *text, size_t length, const char **error)
{
	char *copy = g_memdup2(text, length);
	struct sdp_session *session = sdp_parse(copy, length, error);
	g_free(copy);
	return session;
}

static void run_golden_case(gconstpointer data)
{
	const char *rewrite_name = data;
	struct golden_case golden;
	golden_case_load(&golden, rewrite_name);

	size_t length;
	char *input = read_corpus_file(golden.input_file, &length);
	const char *error = NULL;
	struct sdp_session *session = parse_exact(input, length, &error);
	if (golden.expect_error) {
		g_assert_null(session);
		g_assert_nonnull(error);
	} else {
		if (!session)
			g_error("%s: parse failed: %s", golden.input_file, error);
		size_t stem = (size_t) (strrchr(rewrite_name, '.') - rewrite_name);
		char *expected_name = g_strdup_printf("%.*s.expected", (int) stem, rewrite_name);
		char *expected = read_corpus_file(expected_name, NULL);
		GString *out = g_string_new("");
		g_assert_cmpint(sdp_rewrite(session, &golden.options, out), ==, 0);
		g_assert_cmpstr(out->str, ==, expected);
		g_string_free(out, TRUE);
		g_free(expected);
		g_free(expected_name);
		sdp_session_free(session);
	}
	g_free(input);
	golden_case_clear(&golden);
}

static struct sdp_session *parse_corpus(const char *name)
{
	size_t length;
	char *text = read_corpus_file(name, &length);
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, length, &error);
	if (!session)
		g_error("%s: %s", name, error);
	g_free(text);
	return session;
}

static const struct sdp_media *media_at(const struct sdp_session *session, unsigned int index)
{
	g_assert_cmpuint(index, <, session->media->len);
	return g_ptr_array_index(session->media, index);
}

static void test_parse_plain(void)
{
	struct sdp_session *session = parse_corpus("plain.sdp");
	g_assert_cmpstr(session->origin_username, ==, "-");
	g_assert_cmpstr(session->origin_session_id, ==, "3690788630");
	g_assert_cmpstr(session->origin_session_version, ==, "1");
	g_assert_cmpint(session->origin_address.family, ==, AF_INET);
	g_assert_cmpstr(session->origin_address.text, ==, "198.51.100.1");
	g_assert_cmpint(session->connection.family, ==, AF_INET);
	g_assert_cmpuint(session->media->len, ==, 1);
	const struct sdp_media *media = media_at(session, 0);
	g_assert_cmpstr(media->media_type, ==, "audio");
	g_assert_cmpuint(media->port, ==, 2000);
	g_assert_cmpuint(media->port_count, ==, 1);
	g_assert_cmpstr(media->protocol, ==, "RTP/AVP");
	g_assert_cmpstr(media->formats, ==, "0 8 101");
	g_assert_cmpint(media->connection.family, ==, 0);
	g_assert_false(media->has_rtcp_attribute);
	g_assert_false(media->rtcp_mux);
	g_assert_false(media->has_ice);
	g_assert_cmpint(media->direction, ==, SDP_DIRECTION_SENDRECV);
	g_assert_cmpuint(media->attributes->len, ==, 4);
	const struct sdp_attribute *attribute = g_ptr_array_index(media->attributes, 0);
	g_assert_cmpstr(attribute->name, ==, "rtpmap");
	g_assert_cmpstr(attribute->value, ==, "101 telephone-event/8000");
	attribute = g_ptr_array_index(media->attributes, 3);
	g_assert_cmpstr(attribute->name, ==, "sendrecv");
	g_assert_null(attribute->value);
	const struct sdp_line *line = &g_array_index(session->lines, struct sdp_line, 0);
	g_assert_cmpstr(line->terminator, ==, "\r\n");
	sdp_session_free(session);
}

static void test_parse_fields(void)
{
	struct sdp_session *session = parse_corpus("ipv6.sdp");
	g_assert_cmpint(session->origin_address.family, ==, AF_INET6);
	g_assert_cmpstr(session->connection.text, ==, "2001:db8::1");
	const struct sdp_media *media = media_at(session, 0);
	g_assert_true(media->has_rtcp_attribute);
	g_assert_cmpuint(media->rtcp_port, ==, 5005);
	g_assert_cmpint(media->rtcp_address.family, ==, AF_INET6);
	g_assert_cmpstr(media->rtcp_address.text, ==, "2001:db8::2");
	sdp_session_free(session);

	session = parse_corpus("rtcp_attribute.sdp");
	media = media_at(session, 0);
	g_assert_true(media->has_rtcp_attribute);
	g_assert_cmpuint(media->rtcp_port, ==, 2001);
	g_assert_cmpint(media->rtcp_address.family, ==, 0);
	g_assert_cmpint(media->direction, ==, SDP_DIRECTION_UNSPECIFIED);
	sdp_session_free(session);

	session = parse_corpus("rtcp_mux.sdp");
	g_assert_true(media_at(session, 0)->rtcp_mux);
	sdp_session_free(session);

	session = parse_corpus("ice.sdp");
	g_assert_true(media_at(session, 0)->has_ice);
	sdp_session_free(session);

	session = parse_corpus("port_count.sdp");
	g_assert_cmpuint(media_at(session, 0)->port_count, ==, 2);
	sdp_session_free(session);

	session = parse_corpus("port_zero.sdp");
	g_assert_cmpuint(session->media->len, ==, 3);
	g_assert_cmpuint(media_at(session, 1)->port, ==, 0);
	g_assert_cmpint(media_at(session, 1)->direction, ==, SDP_DIRECTION_SENDONLY);
	sdp_session_free(session);

	session = parse_corpus("media_connection.sdp");
	g_assert_cmpint(session->connection.family, ==, 0);
	g_assert_cmpstr(media_at(session, 0)->connection.text, ==, "198.51.100.2");
	g_assert_cmpstr(media_at(session, 1)->connection.text, ==, "198.51.100.3");
	sdp_session_free(session);

	session = parse_corpus("plain_lf.sdp");
	g_assert_cmpstr(g_array_index(session->lines, struct sdp_line, 0).terminator, ==, "\n");
	g_assert_cmpuint(session->attributes->len, ==, 1);
	sdp_session_free(session);
}

static void test_effective_direction(void)
{
	struct sdp_session *session = parse_corpus("session_direction.sdp");
	g_assert_cmpint(session->direction, ==, SDP_DIRECTION_RECVONLY);
	for (unsigned int i = 0; i < session->media->len; i++)
		g_assert_cmpint(sdp_media_effective_direction(session, media_at(session, i)), ==,
				SDP_DIRECTION_RECVONLY);
	sdp_session_free(session);

	session = parse_corpus("media_direction.sdp");
	g_assert_cmpint(sdp_media_effective_direction(session, media_at(session, 0)), ==, SDP_DIRECTION_RECVONLY);
	g_assert_cmpint(sdp_media_effective_direction(session, media_at(session, 1)), ==, SDP_DIRECTION_INACTIVE);
	g_assert_cmpint(sdp_media_effective_direction(session, media_at(session, 2)), ==, SDP_DIRECTION_RECVONLY);
	g_assert_cmpint(sdp_media_effective_direction(session, media_at(session, 3)), ==, SDP_DIRECTION_SENDRECV);
	sdp_session_free(session);
}

static void expect_parse_error(const char *text, const char *reason_part)
{
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, strlen(text), &error);
	if (session)
		g_error("parsed but should not: %s", text);
	g_assert_nonnull(error);
	if (!strstr(error, reason_part))
		g_error("error \"%s\" does not mention \"%s\"", error, reason_part);
}

static void test_parse_errors(void)
{
	const char *error = NULL;
	g_assert_null(sdp_parse(NULL, 0, &error));
	g_assert_null(sdp_parse("", 0, &error));
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n", "no m= line");
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
			"media without connection address (line 5)");
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
			"malformed m= line (line 6)");
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
			"malformed m= line");
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 1 RTP/AVP\r\n",
			"malformed m= line");
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
			"malformed c= line");
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP6 1.2.3.4\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
			"malformed c= line");
	expect_parse_error("v=0\r\no=- 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
			"malformed o= line");
	expect_parse_error("v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n", "no o= line");
	expect_parse_error("v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n", "v=0");
	expect_parse_error("v=0\r\nbogus\r\n", "malformed line (line 2)");
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:x\r\n",
			"malformed a=rtcp line (line 7)");
	/* An embedded NUL must not cut the line short silently. */
	static const char with_nul[] = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=\0-\r\n";
	g_assert_null(parse_exact(with_nul, sizeof(with_nul) - 1, &error));
}

/* a=rtcp on the RTP port (RFC 5761 section 5.1.3) is multiplexing, as 10.5 reads it. */
static void test_parse_rtcp_on_rtp_port(void)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		"m=audio 2000 RTP/AVP 0\r\na=rtcp:2000 IN IP4 192.0.2.1\r\nm=audio 2002 RTP/AVP 0\r\na=rtcp:2005\r\n";
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, sizeof(text) - 1, &error);
	g_assert_nonnull(session);
	g_assert_true(media_at(session, 0)->rtcp_mux);
	g_assert_false(media_at(session, 1)->rtcp_mux);
	sdp_session_free(session);
}

/* RFC 4566 section 5.2: o= may carry a host name (IMS cores do); c= must stay a literal. */
static void test_parse_origin_host_name(void)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 ims.example.net\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
		"t=0 0\r\nm=audio 2000 RTP/AVP 0\r\n";
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, sizeof(text) - 1, &error);
	g_assert_nonnull(session);
	g_assert_cmpint(session->origin_address.family, ==, AF_INET);
	g_assert_cmpstr(session->origin_address.text, ==, "ims.example.net");
	g_assert_cmpint(session->origin_address.endpoint.address.sa_family, ==, 0);
	sdp_session_free(session);
	expect_parse_error("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 ims.example.net\r\nt=0 0\r\n"
			   "m=audio 1 RTP/AVP 0\r\n", "malformed c= line");
}

/* The parser sees only [text, text+length): everything after length is ignored. */
static void test_parse_length_bound(void)
{
	size_t length;
	char *text = read_corpus_file("port_zero.sdp", &length);
	const char *cut = strstr(text, "m=audio 2004");
	g_assert_nonnull(cut);
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, (size_t) (cut - text), &error);
	g_assert_nonnull(session);
	g_assert_cmpuint(session->media->len, ==, 2);
	sdp_session_free(session);
	/* Every prefix parses or fails cleanly (ASan checks the bound). */
	for (size_t prefix = 0; prefix <= length; prefix++)
		sdp_session_free(parse_exact(text, prefix, &error));
	g_free(text);
}

/* Upstream stops at an empty line; what follows is not part of the SDP. */
static void test_parse_empty_line_ends(void)
{
	const char *text = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
		"m=audio 1 RTP/AVP 0\r\n\r\na=after-blank\r\n";
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, strlen(text), &error);
	g_assert_nonnull(session);
	g_assert_cmpuint(media_at(session, 0)->attributes->len, ==, 0);
	sdp_session_free(session);
}

static void test_loop_marker(void)
{
	const char *text = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
		"a=rtpengine:abc123\r\nm=audio 1 RTP/AVP 0\r\n";
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, strlen(text), &error);
	g_assert_nonnull(session);
	g_assert_true(sdp_has_loop_marker(session, "abc123"));
	g_assert_true(sdp_has_loop_marker(session, NULL));
	g_assert_false(sdp_has_loop_marker(session, "other"));
	sdp_session_free(session);

	session = parse_corpus("plain.sdp");
	g_assert_false(sdp_has_loop_marker(session, NULL));
	/* What we write with loop-protect, we recognise. */
	struct sdp_media_rewrite media = { .address = { AF_INET, "127.0.0.1" }, .rtp_port = 40000,
		.rtcp_port = 40001 };
	struct sdp_rewrite_options options = { .loop_protect = true, .loop_protect_token = "tok",
		.media_count = 1, .media = &media };
	GString *out = g_string_new("");
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	struct sdp_session *again = parse_exact(out->str, out->len, &error);
	g_assert_nonnull(again);
	g_assert_true(sdp_has_loop_marker(again, "tok"));
	sdp_session_free(again);
	g_string_free(out, TRUE);
	sdp_session_free(session);
}

/* replace=SDP-version: the o= version field only is ours, with and without replace=origin */
static void test_rewrite_origin_version(void)
{
	const char *text = "v=0\r\no=alice 42 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
		"m=audio 1 RTP/AVP 0\r\n";
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, strlen(text), &error);
	g_assert_nonnull(session);
	struct sdp_media_rewrite media = { .address = { AF_INET, "127.0.0.1" }, .rtp_port = 40000,
		.rtcp_port = 40001 };
	struct sdp_rewrite_options options = { .sdp_version = "1234567", .media_count = 1, .media = &media };
	GString *out = g_string_new("");
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	g_assert_nonnull(strstr(out->str, "\r\no=alice 42 1234567 IN IP4 1.2.3.4\r\n"));
	g_string_truncate(out, 0);
	options.replace_origin = true;
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	g_assert_nonnull(strstr(out->str, "\r\no=alice 42 1234567 IN IP4 127.0.0.1\r\n"));
	g_string_free(out, TRUE);
	sdp_session_free(session);
}

static void test_rewrite_arguments(void)
{
	struct sdp_session *session = parse_corpus("port_zero.sdp");
	struct sdp_media_rewrite media[3] = { { .address = { AF_INET, "127.0.0.1" }, .rtp_port = 1 } };
	struct sdp_rewrite_options options = { .media_count = 2, .media = media };
	GString *out = g_string_new("");
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, -EINVAL);
	options.media_count = 4;
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, -EINVAL);
	options.media_count = 3;
	options.media = NULL;
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, -EINVAL);
	g_assert_cmpint(sdp_rewrite(NULL, &options, out), ==, -EINVAL);
	g_assert_cmpuint(out->len, ==, 0);
	g_string_free(out, TRUE);
	sdp_session_free(session);
}

/* Fields the reference cannot be asked for directly: explicit direction, ICE pass-through,
 * a rejected stream, IPv6 own address. */
static void test_rewrite_fields(void)
{
	struct sdp_session *session = parse_corpus("ice.sdp");
	struct sdp_media_rewrite media = { .address = { AF_INET6, "::1" }, .rtp_port = 40000,
		.rtcp_port = 40000, .rtcp_mux = true, .direction = SDP_DIRECTION_INACTIVE,
		.protocol = "RTP/AVPF" };
	struct sdp_rewrite_options options = { .media_count = 1, .media = &media, .replace_origin = true,
		.full_rtcp_attribute = true };
	GString *out = g_string_new("");
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	const char *expected =
		"v=0\r\n"
		"o=- 3690788630 1 IN IP6 ::1\r\n"
		"s=probes\r\n"
		"c=IN IP6 ::1\r\n"
		"t=0 0\r\n"
		"a=ice-lite\r\n"
		"a=ice-options:trickle\r\n"
		"m=audio 40000 RTP/AVPF 0 8\r\n"
		"a=x-before\r\n"
		"a=x-after\r\n"
		"a=mid:0\r\n"
		"a=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:8 PCMA/8000\r\n"
		"a=inactive\r\n"
		"a=rtcp:40000 IN IP6 ::1\r\n"
		"a=rtcp-mux\r\n"
		"a=ice-ufrag:F7gI\r\n"
		"a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\n"
		"a=candidate:1 1 UDP 2130706431 198.51.100.1 2000 typ host\r\n"
		"a=candidate:1 2 UDP 2130706430 198.51.100.1 2001 typ host\r\n"
		"a=candidate:2 1 UDP 1694498815 203.0.113.9 62000 typ srflx raddr 198.51.100.1 rport 2000\r\n"
		"a=end-of-candidates\r\n";
	g_assert_cmpstr(out->str, ==, expected);

	/* Own ICE with rtcp-mux: one component only; a rejected stream keeps port 0. */
	g_string_truncate(out, 0);
	media.ice_ufrag = "u";
	media.ice_pwd = "p";
	media.ice_foundation = "f";
	media.rtp_port = 0;
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	g_assert_nonnull(strstr(out->str, "m=audio 0 RTP/AVPF 0 8\r\na=x-before\r\na=x-after\r\na=mid:0\r\n"));
	g_assert_null(strstr(out->str, "a=candidate"));
	g_assert_null(strstr(out->str, "a=ice-lite"));
	g_string_truncate(out, 0);
	media.rtp_port = 40000;
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	g_assert_nonnull(strstr(out->str, "a=ice-ufrag:u\r\na=ice-pwd:p\r\n"
				"a=candidate:f 1 UDP 2130706431 ::1 40000 typ host\r\na=end-of-candidates\r\n"));
	g_assert_null(strstr(out->str, "a=candidate:f 2"));
	g_string_free(out, TRUE);
	sdp_session_free(session);
}

/* ICE=force-relay (upstream's): the received transport and ICE stay where they were, we are a
 * relay candidate per component after the direction, no a=rtcp; without a relay candidate of
 * the sender's, or with our own credentials, priority 16777215 (10.5, measured). */
static void test_rewrite_relay_candidates(void)
{
	struct sdp_session *session = parse_corpus("ice.sdp");
	struct sdp_media_rewrite media = { .address = { AF_INET, "198.51.100.1" }, .rtp_port = 2000,
		.rtcp_port = 2001, .relay_address = { AF_INET, "127.0.0.1" }, .relay_rtp_port = 40000,
		.relay_rtcp_port = 40001, .ice_foundation = "f" };
	struct sdp_rewrite_options options = { .media_count = 1, .media = &media };
	GString *out = g_string_new("");
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	g_assert_nonnull(strstr(out->str, "m=audio 2000 "));
	g_assert_null(strstr(out->str, "a=rtcp:"));
	g_assert_nonnull(strstr(out->str, "a=ice-ufrag:F7gI\r\n"));
	g_assert_nonnull(strstr(out->str, "a=x-before\r\na=ice-ufrag:F7gI\r\n"));
	g_assert_nonnull(strstr(out->str, "typ srflx raddr 198.51.100.1 rport 2000\r\na=x-after\r\n"));
	g_assert_nonnull(strstr(out->str, "a=sendrecv\r\n"
				"a=candidate:f 1 UDP 16777215 127.0.0.1 40000 typ relay raddr 127.0.0.1 rport 40000\r\n"
				"a=candidate:f 2 UDP 16777214 127.0.0.1 40001 typ relay raddr 127.0.0.1 rport 40001\r\n"));
	g_string_truncate(out, 0);
	media.ice_ufrag = "u";
	media.ice_pwd = "p";
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	g_assert_null(strstr(out->str, "F7gI"));
	g_assert_null(strstr(out->str, "typ host"));
	g_assert_nonnull(strstr(out->str, "a=ice-ufrag:u\r\na=ice-pwd:p\r\n"
				"a=candidate:f 1 UDP 16777215 127.0.0.1 40000 typ relay"));
	g_string_free(out, TRUE);
	sdp_session_free(session);
}

/* A last line without terminator is completed with CRLF (upstream glues lines there). */
static void test_rewrite_unterminated_last_line(void)
{
	const char *text = "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 1 RTP/AVP 0\na=x";
	const char *error = NULL;
	struct sdp_session *session = parse_exact(text, strlen(text), &error);
	g_assert_nonnull(session);
	struct sdp_media_rewrite media = { .address = { AF_INET, "127.0.0.1" }, .rtp_port = 40000,
		.rtcp_port = 40001 };
	struct sdp_rewrite_options options = { .media_count = 1, .media = &media };
	GString *out = g_string_new("");
	g_assert_cmpint(sdp_rewrite(session, &options, out), ==, 0);
	g_assert_cmpstr(out->str, ==, "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n"
			"m=audio 40000 RTP/AVP 0\na=x\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=rtcp:40001\r\n");
	g_string_free(out, TRUE);
	sdp_session_free(session);
}

static void add_golden_cases(void)
{
	char *directory = corpus_directory();
	char *expected_directory = g_build_filename(directory, "expected", NULL);
	GError *error = NULL;
	GDir *dir = g_dir_open(expected_directory, 0, &error);
	if (!dir)
		g_error("cannot open %s: %s", expected_directory, error->message);
	GPtrArray *names = g_ptr_array_new();
	const char *name;
	while ((name = g_dir_read_name(dir)))
		if (g_str_has_suffix(name, ".rewrite"))
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(dir);
	g_ptr_array_sort(names, (GCompareFunc) g_ascii_strcasecmp);
	/* The corpus must not silently vanish. */
	g_assert_cmpuint(names->len, >=, 40);
	for (unsigned int i = 0; i < names->len; i++) {
		char *rewrite_name = g_ptr_array_index(names, i);
		char *relative = g_build_filename("expected", rewrite_name, NULL);
		char *test_path = g_strdup_printf("/sdp/golden/%s", rewrite_name);
		*strrchr(test_path, '.') = '\0';
		g_test_add_data_func_full(test_path, relative, run_golden_case, g_free);
		g_free(test_path);
		g_free(rewrite_name);
	}
	g_ptr_array_free(names, TRUE);
	g_free(expected_directory);
	g_free(directory);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sdp/parse/plain", test_parse_plain);
	g_test_add_func("/sdp/parse/fields", test_parse_fields);
	g_test_add_func("/sdp/parse/effective-direction", test_effective_direction);
	g_test_add_func("/sdp/parse/errors", test_parse_errors);
	g_test_add_func("/sdp/parse/origin-host-name", test_parse_origin_host_name);
	g_test_add_func("/sdp/parse/rtcp-on-rtp-port", test_parse_rtcp_on_rtp_port);
	g_test_add_func("/sdp/parse/length-bound", test_parse_length_bound);
	g_test_add_func("/sdp/parse/empty-line-ends", test_parse_empty_line_ends);
	g_test_add_func("/sdp/loop-marker", test_loop_marker);
	g_test_add_func("/sdp/rewrite-origin-version", test_rewrite_origin_version);
	g_test_add_func("/sdp/rewrite/arguments", test_rewrite_arguments);
	g_test_add_func("/sdp/rewrite/fields", test_rewrite_fields);
	g_test_add_func("/sdp/rewrite/relay-candidates", test_rewrite_relay_candidates);
	g_test_add_func("/sdp/rewrite/unterminated-last-line", test_rewrite_unterminated_last_line);
	add_golden_cases();
	return g_test_run();
}
