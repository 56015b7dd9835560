/* Unit tests for daemon/sdp_attr_edit.c: reading the sdp-attr dictionary and flags, refusing
 * malformed ones, and the text edits (remove, substitute, add) per section. */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "bencode.h"
#include "sdp_attr_edit.h"

#define SESSION "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
#define AUDIO "m=audio 30000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" \
	"a=ssrc:11 cname:a\r\na=ssrc:22 cname:b\r\na=sendrecv\r\na=rtcp:30001\r\n"
#define VIDEO "m=video 30002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=sendrecv\r\na=rtcp:30003\r\n"
#define DATA "m=application 30004 UDP/DTLS/SCTP webrtc-datachannel\r\na=sendrecv\r\n"

struct fixture {
	struct bencode_buffer *buffer;
	struct sdp_attr_edits *edits;
	const char *reason;
};

static void fixture_init(struct fixture *fixture)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->buffer = bencode_buffer_new();
}

/* A JSON subset (strings without escapes, lists, dictionaries) as bencode, so that the
 * requests below read as an operator writes them. */
static void bencode_of_json(const char **json, GString *out)
{
	while (**json == ' ' || **json == ',' || **json == ':')
		(*json)++;
	char c = *(*json)++;
	if (c == '"') {
		const char *end = strchr(*json, '"');
		g_assert_nonnull(end);
		g_string_append_printf(out, "%zu:%.*s", (size_t) (end - *json), (int) (end - *json), *json);
		*json = end + 1;
		return;
	}
	g_assert_true(c == '[' || c == '{');
	char close = c == '[' ? ']' : '}';
	g_string_append_c(out, c == '[' ? 'l' : 'd');
	for (;;) {
		while (**json == ' ' || **json == ',' || **json == ':')
			(*json)++;
		if (**json == close)
			break;
		bencode_of_json(json, out);
	}
	(*json)++;
	g_string_append_c(out, 'e');
}

/* Reads one sdp-attr value, given as JSON. */
static int read_dictionary(struct fixture *fixture, const char *json)
{
	GString *bencoded = g_string_new(NULL);
	bencode_of_json(&json, bencoded);
	/* the items point into the text: it lives as long as the buffer */
	char *text = bencode_buffer_strdup_length(fixture->buffer, bencoded->str, bencoded->len);
	g_string_free(bencoded, TRUE);
	const char *error = NULL;
	struct bencode_item *value = bencode_decode(fixture->buffer, text, strlen(text), &error);
	g_assert_nonnull(value);
	return sdp_attr_edit_read_dictionary(fixture->buffer, &fixture->edits, value, &fixture->reason);
}

static int read_flag(struct fixture *fixture, const char *flag)
{
	g_assert_true(sdp_attr_edit_is_flag(flag, strlen(flag)));
	return sdp_attr_edit_read_flag(fixture->buffer, &fixture->edits, flag, strlen(flag), &fixture->reason);
}

/* The SDP after the edits (freed by the caller). */
static char *applied(const struct fixture *fixture, const char *sdp)
{
	GString *text = g_string_new(sdp);
	sdp_attr_edit_apply(fixture->edits, text);
	return g_string_free(text, FALSE);
}

static void test_add_goes_to_the_end_of_each_section(void)
{
	struct fixture f;
	fixture_init(&f);
	g_assert_cmpint(read_dictionary(&f, "{\"global\": {\"add\": [\"tool:x\"]}, \"audio\": {\"add\": [\"ptime:20\", \"x-one\"]},"
					  " \"video\": {\"add\": [\"x-vid\"]}, \"none\": {\"add\": [\"tool:y\"]}}"), ==, 0);
	g_autofree char *out = applied(&f, SESSION AUDIO VIDEO DATA);
	g_assert_cmpstr(out, ==, SESSION "a=tool:x\r\na=tool:y\r\n"
			AUDIO "a=ptime:20\r\na=x-one\r\n" VIDEO "a=x-vid\r\n" DATA);
	bencode_buffer_free(f.buffer);
}

static void test_add_skips_lines_the_section_has(void)
{
	struct fixture f;
	fixture_init(&f);
	/* a=sendrecv is there already, and the second x-new is the first one's duplicate */
	g_assert_cmpint(read_dictionary(&f, "{\"audio\": {\"add\": [\"SENDRECV\", \"x-new\", \"x-new\"]}}"), ==, 0);
	g_autofree char *out = applied(&f, SESSION AUDIO);
	g_assert_cmpstr(out, ==, SESSION AUDIO "a=x-new\r\n");
	bencode_buffer_free(f.buffer);
}

static void test_remove_matches_name_first_word_or_whole(void)
{
	struct fixture f;
	fixture_init(&f);
	g_assert_cmpint(read_dictionary(&f, "{\"audio\": {\"remove\": [\"rtcp\", \"ssrc:11\", \"rtpmap:8 PCMA/8000\"]}}"), ==, 0);
	g_autofree char *out = applied(&f, SESSION AUDIO VIDEO);
	g_assert_cmpstr(out, ==, SESSION "m=audio 30000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
			"a=ssrc:22 cname:b\r\na=sendrecv\r\n" VIDEO);
	bencode_buffer_free(f.buffer);

	/* "ssrc:" (a prefix ending in ':') takes every a=ssrc; "rtp" is no attribute's name */
	fixture_init(&f);
	g_assert_cmpint(read_dictionary(&f, "{\"audio\": {\"remove\": [\"ssrc:\", \"rtp\"]}}"), ==, 0);
	g_autofree char *all = applied(&f, SESSION AUDIO);
	g_assert_cmpstr(all, ==, SESSION "m=audio 30000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
			"a=rtpmap:8 PCMA/8000\r\na=sendrecv\r\na=rtcp:30001\r\n");
	bencode_buffer_free(f.buffer);
}

static void test_substitute_whole_attributes_only(void)
{
	struct fixture f;
	fixture_init(&f);
	/* a list of pairs, a lone pair, and "rtcp" that equals no whole attribute */
	g_assert_cmpint(read_dictionary(&f, "{\"video\": {\"substitute\": [[\"sendrecv\", \"sendonly\"], [\"rtcp\", \"x\"]]},"
					  " \"global\": {\"substitute\": [\"tool:a\", \"tool:b\"]}}"), ==, 0);
	g_autofree char *out = applied(&f, SESSION "a=tool:a\r\n" AUDIO VIDEO);
	g_assert_cmpstr(out, ==, SESSION "a=tool:b\r\n" AUDIO
			"m=video 30002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\na=rtcp:30003\r\n");
	bencode_buffer_free(f.buffer);
}

static void test_remove_before_substitute_before_add(void)
{
	struct fixture f;
	fixture_init(&f);
	g_assert_cmpint(read_dictionary(&f, "{\"audio\": {\"add\": [\"sendonly\", \"rtcp:30001\"], "
					  "\"substitute\": [[\"sendrecv\", \"sendonly\"]], \"remove\": [\"rtcp\"]}}"), ==, 0);
	g_autofree char *out = applied(&f, SESSION AUDIO);
	/* sendonly (substituted) is there when adds run; rtcp was removed, so it is added back */
	g_assert_cmpstr(out, ==, SESSION "m=audio 30000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
			"a=rtpmap:8 PCMA/8000\r\na=ssrc:11 cname:a\r\na=ssrc:22 cname:b\r\na=sendonly\r\na=rtcp:30001\r\n");
	bencode_buffer_free(f.buffer);
}

static void test_flags_with_escapes(void)
{
	struct fixture f;
	fixture_init(&f);
	g_assert_cmpint(read_flag(&f, "sdp-attr-add-audio-fmtp:0..mode--30"), ==, 0);
	g_assert_cmpint(read_flag(&f, "SDP_ATTR_remove_AUDIO-ssrc:"), ==, 0);
	g_assert_cmpint(read_flag(&f, "sdp-attr-substitute-none-tool:a>tool:b"), ==, 0);
	g_assert_cmpint(read_flag(&f, "sdp-attr-add-global-x=raw"), ==, 0);
	g_autofree char *out = applied(&f, SESSION "a=tool:a\r\n" AUDIO);
	g_assert_cmpstr(out, ==, SESSION "a=tool:b\r\na=x=raw\r\n" "m=audio 30000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
			"a=rtpmap:8 PCMA/8000\r\na=sendrecv\r\na=rtcp:30001\r\na=fmtp:0 mode=30\r\n");
	g_assert_false(sdp_attr_edit_is_flag("sdp-attribute", 13));
	bencode_buffer_free(f.buffer);
}

static void test_line_endings_of_the_sdp_are_kept(void)
{
	struct fixture f;
	fixture_init(&f);
	g_assert_cmpint(read_dictionary(&f, "{\"audio\": {\"add\": [\"x-new\"], \"remove\": [\"rtcp\"]}}"), ==, 0);
	g_autofree char *out = applied(&f, "v=0\nm=audio 1 RTP/AVP 0\na=rtcp:2\na=sendrecv");
	g_assert_cmpstr(out, ==, "v=0\nm=audio 1 RTP/AVP 0\na=sendrecv\na=x-new\n");
	bencode_buffer_free(f.buffer);
}

static void test_no_edits_leave_the_sdp_alone(void)
{
	struct fixture f;
	fixture_init(&f);
	g_assert_cmpint(read_dictionary(&f, "{\"audio\": {}}"), ==, 0);
	g_autofree char *out = applied(&f, SESSION AUDIO);
	g_assert_cmpstr(out, ==, SESSION AUDIO);
	bencode_buffer_free(f.buffer);
}

static void test_malformed_requests_are_refused(void)
{
	static const char *const dictionaries[] = {
		"[\"audio\"]",                                      /* not a dictionary */
		"{\"image\": {\"add\": [\"x\"]}}",                  /* unknown scope */
		"{\"audio\": [\"x\"]}",                             /* scope not a dictionary */
		"{\"audio\": {\"append\": [\"x\"]}}",               /* unknown command */
		"{\"audio\": {\"add\": {}}}",                       /* add not a list */
		"{\"audio\": {\"add\": [[\"x\"]]}}",                /* an attribute not a string */
		"{\"audio\": {\"add\": [\"\"]}}",                   /* empty */
		"{\"audio\": {\"add\": [\"x\r\na=y\"]}}",           /* a line break: a second line */
		"{\"audio\": {\"substitute\": [\"only-one\"]}}",
		"{\"audio\": {\"substitute\": [\"a\", \"b\", \"c\"]}}",
		"{\"audio\": {\"substitute\": [[\"a\"]]}}",
		"{\"audio\": {\"substitute\": []}}",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(dictionaries); i++) {
		struct fixture f;
		fixture_init(&f);
		g_assert_cmpint(read_dictionary(&f, dictionaries[i]), ==, -EINVAL);
		g_assert_nonnull(f.reason);
		g_assert_true(g_str_has_prefix(f.reason, "sdp-attr"));
		bencode_buffer_free(f.buffer);
	}
	static const char *const flags[] = {
		"sdp-attr-add", "sdp-attr-append-audio-x", "sdp-attr-add-image-x", "sdp-attr-add-audio-",
		"sdp-attr-substitute-audio-no-arrow", "sdp-attr-substitude-audio-a>b",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
		struct fixture f;
		fixture_init(&f);
		g_assert_cmpint(read_flag(&f, flags[i]), ==, -EINVAL);
		g_assert_true(g_str_has_prefix(f.reason, "sdp-attr"));
		bencode_buffer_free(f.buffer);
	}
}

static void test_edit_count_is_bounded(void)
{
	struct fixture f;
	fixture_init(&f);
	int error = 0;
	for (unsigned int i = 0; i <= SDP_ATTR_EDITS_MAX && !error; i++)
		error = read_flag(&f, "sdp-attr-add-audio-x");
	g_assert_cmpint(error, ==, -EINVAL);
	bencode_buffer_free(f.buffer);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sdp_attr_edit/add_goes_to_the_end_of_each_section", test_add_goes_to_the_end_of_each_section);
	g_test_add_func("/sdp_attr_edit/add_skips_lines_the_section_has", test_add_skips_lines_the_section_has);
	g_test_add_func("/sdp_attr_edit/remove_matches_name_first_word_or_whole", test_remove_matches_name_first_word_or_whole);
	g_test_add_func("/sdp_attr_edit/substitute_whole_attributes_only", test_substitute_whole_attributes_only);
	g_test_add_func("/sdp_attr_edit/remove_before_substitute_before_add", test_remove_before_substitute_before_add);
	g_test_add_func("/sdp_attr_edit/flags_with_escapes", test_flags_with_escapes);
	g_test_add_func("/sdp_attr_edit/line_endings_of_the_sdp_are_kept", test_line_endings_of_the_sdp_are_kept);
	g_test_add_func("/sdp_attr_edit/no_edits_leave_the_sdp_alone", test_no_edits_leave_the_sdp_alone);
	g_test_add_func("/sdp_attr_edit/malformed_requests_are_refused", test_malformed_requests_are_refused);
	g_test_add_func("/sdp_attr_edit/edit_count_is_bounded", test_edit_count_is_bounded);
	return g_test_run();
}
