/* Codec model and negotiation without transcoding (daemon/codec.c). The expected lists are
 * what rtpengine 10.5 sends for the same requests (tests/e2e/test_codecs.py checks the same
 * cases against the running daemon, and against 10.5 itself). */
#include "codec.h"

#include <errno.h>
#include <string.h>
#include <glib.h>
#include "sdp.h"

#define OFFER "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" \
	"m=audio 30000 RTP/AVP 0 8 9 96 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"

static struct sdp_session *parse_sdp(const char *text)
{
	const char *error = NULL;
	struct sdp_session *session = sdp_parse(text, strlen(text), &error);
	g_assert_nonnull(session);
	return session;
}

static void parse_list(const char *text, struct codec_list *list)
{
	struct sdp_session *session = parse_sdp(text);
	g_assert_cmpint(codec_list_from_media(g_ptr_array_index(session->media, 0), list), ==, 0);
	/* format_parameters point into the session: the tests compare them before freeing */
	sdp_session_free(session);
}

/* The formats an offer with these options gives, as text ("" for none; "ERROR" if refused). */
static char *offer_formats(const char *options_text)
{
	struct codec_options options = { 0 };
	gchar **words = g_strsplit(options_text, " ", -1);
	for (gchar **word = words; *word; word++) {
		char *equals = strchr(*word, '=');
		if (!equals)
			continue;
		*equals = '\0';
		struct codec_names *names = !strcmp(*word, "strip") ? &options.strip
			: !strcmp(*word, "except") ? &options.except : !strcmp(*word, "offer") ? &options.offer
			: !strcmp(*word, "mask") ? &options.mask : !strcmp(*word, "consume") ? &options.consume
			: &options.transcode;
		codec_names_add(names, equals + 1);
	}
	struct codec_list list;
	struct sdp_session *session = parse_sdp(OFFER);
	g_assert_cmpint(codec_list_from_media(g_ptr_array_index(session->media, 0), &list), ==, 0);
	unsigned int chosen[CODEC_MAX], count = 0;
	const char *missing = NULL;
	char text[128];
	char *result;
	if (codec_negotiate_offer(&list, &options, chosen, &count, &missing) < 0) {
		g_assert_nonnull(missing);
		result = g_strdup("ERROR");
	} else {
		g_assert_cmpint(codec_formats_text(&list, chosen, count, text, sizeof(text)), >=, 0);
		result = g_strdup(text);
	}
	sdp_session_free(session);
	g_strfreev(words);
	return result;
}

static void test_model(void)
{
	struct sdp_session *session = parse_sdp(OFFER);
	struct codec_list list;
	g_assert_cmpint(codec_list_from_media(g_ptr_array_index(session->media, 0), &list), ==, 0);
	g_assert_cmpuint(list.count, ==, 5);
	/* static payload types by their RFC 3551 names */
	g_assert_cmpstr(list.codecs[0].name, ==, "PCMU");
	g_assert_cmpuint(list.codecs[0].clock_rate, ==, 8000);
	g_assert_cmpuint(list.codecs[0].channels, ==, 1);
	g_assert_cmpstr(list.codecs[2].name, ==, "G722");
	g_assert_cmpuint(list.codecs[3].payload_type, ==, 96);
	g_assert_cmpstr(list.codecs[3].name, ==, "opus");
	g_assert_cmpuint(list.codecs[3].clock_rate, ==, 48000);
	g_assert_cmpuint(list.codecs[3].channels, ==, 2);
	g_assert_cmpstr(list.codecs[3].format_parameters, ==, "useinbandfec=1");
	g_assert_cmpstr(list.codecs[4].name, ==, "telephone-event");
	g_assert_cmpstr(list.codecs[4].format_parameters, ==, "0-16");
	g_assert_null(list.codecs[1].format_parameters);
	sdp_session_free(session);

	/* non-RTP formats are not a codec list: such media are left alone */
	struct codec_list other;
	struct sdp_session *t38 = parse_sdp("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\n"
					    "t=0 0\r\nm=image 30000 udptl t38\r\n");
	g_assert_cmpint(codec_list_from_media(g_ptr_array_index(t38->media, 0), &other), ==, -EINVAL);
	sdp_session_free(t38);
	/* an unknown dynamic type without rtpmap has no name and matches no name */
	parse_list("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		   "m=audio 30000 RTP/AVP 97\r\n", &other);
	g_assert_cmpuint(other.count, ==, 1);
	g_assert_cmpstr(other.codecs[0].name, ==, "");
	g_assert_false(codec_matches(&other.codecs[0], ""));
	g_assert_true(codec_matches(&other.codecs[0], "all"));
}

static void test_matching(void)
{
	struct codec opus = { .payload_type = 96, .name = "opus", .clock_rate = 48000, .channels = 2 };
	struct codec pcma = { .payload_type = 8, .name = "PCMA", .clock_rate = 8000, .channels = 1 };
	g_assert_true(codec_matches(&pcma, "PCMA"));
	g_assert_true(codec_matches(&pcma, "pcma"));
	g_assert_true(codec_matches(&pcma, "PCMA/8000"));
	g_assert_true(codec_matches(&pcma, "PCMA/8000/1"));
	g_assert_false(codec_matches(&pcma, "PCMA/16000"));
	g_assert_false(codec_matches(&pcma, "PCM"));
	g_assert_false(codec_matches(&pcma, "8"));          /* 10.5 does not match numbers */
	g_assert_true(codec_matches(&opus, "opus/48000/2"));
	g_assert_false(codec_matches(&opus, "opus/48000")); /* one channel implied, as 10.5 */
	g_assert_true(codec_matches(&opus, "ALL"));
}

static void test_offer(void)
{
	static const struct {
		const char *options, *formats;
	} cases[] = {
		{ "", "0 8 9 96 101" },
		{ "strip=PCMA", "0 9 96 101" },
		{ "strip=pcma", "0 9 96 101" },
		{ "strip=9", "0 8 9 96 101" },
		{ "strip=opus/48000", "0 8 9 96 101" },
		{ "strip=opus/48000/2", "0 8 9 101" },
		{ "strip=telephone-event", "0 8 9 96" },
		{ "strip=all", "0 8 9 96 101" },             /* nothing left: 10.5 keeps all */
		{ "mask=full", "0 8 9 96 101" },             /* 10.5's "full" is "all" here */
		{ "strip=full except=opus", "96" },
		{ "strip=all except=opus", "96" },
		{ "strip=PCMU strip=PCMA strip=G722", "96" },  /* telephone-event/8000 goes with the 8 kHz codecs */
		{ "strip=all offer=PCMA", "8" },
		{ "strip=all offer=PCMA offer=PCMU", "8 0" },
		/* a codec brought back goes before the telephone-event (10.5, measured) */
		{ "strip=PCMU offer=PCMU", "8 9 96 0 101" },
		{ "mask=PCMU mask=G722 transcode=G722 transcode=PCMU", "8 96 9 0 101" },
		{ "mask=PCMA", "0 9 96 101" },
		{ "consume=PCMA", "0 9 96 101" },
		{ "mask=all except=PCMU", "0" },
		{ "except=PCMA", "0 8 9 96 101" },
		{ "offer=G729", "0 8 9 96 101" },
		{ "transcode=PCMA", "0 8 9 96 101" },        /* both sides have it: no transcoding */
		{ "strip=all transcode=PCMU", "0" },
		{ "transcode=G729", "ERROR" },               /* would need decoding */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *formats = offer_formats(cases[i].options);
		g_test_message("%s -> %s", cases[i].options, formats);
		g_assert_cmpstr(formats, ==, cases[i].formats);
		g_free(formats);
	}
}

static void test_answer(void)
{
	struct codec_list answer;
	parse_list("v=0\r\no=- 2 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
		   "m=audio 30010 RTP/AVP 0 8 97 101\r\na=rtpmap:97 opus/48000/2\r\n"
		   "a=rtpmap:101 telephone-event/8000\r\n", &answer);
	struct codec_payload_set offered = { { 0 } };
	unsigned int offered_types[] = { 0, 8, 9, 96, 101 };
	for (size_t i = 0; i < G_N_ELEMENTS(offered_types); i++)
		codec_payload_set_add(&offered, offered_types[i]);
	unsigned int chosen[CODEC_MAX], count = 0;
	char text[64];
	struct codec_options none = { 0 };
	/* payload type 97 was never offered (RFC 3264 section 6.1): dropped, as 10.5 */
	codec_negotiate_answer(&answer, &offered, &none, chosen, &count);
	codec_formats_text(&answer, chosen, count, text, sizeof(text));
	g_assert_cmpstr(text, ==, "0 8 101");
	/* unknown offer (a fork): the answer as it is */
	codec_negotiate_answer(&answer, NULL, &none, chosen, &count);
	g_assert_true(codec_selection_unchanged(&answer, chosen, count));
	/* single-codec: the first codec and telephone-event */
	struct codec_options single = { .single_codec = true };
	codec_negotiate_answer(&answer, &offered, &single, chosen, &count);
	codec_formats_text(&answer, chosen, count, text, sizeof(text));
	g_assert_cmpstr(text, ==, "0 101");
	/* the offer stripped PCMU: its answer cannot use it */
	struct codec_payload_set stripped = offered;
	stripped.bits[0] &= ~1ULL;
	codec_negotiate_answer(&answer, &stripped, &none, chosen, &count);
	codec_formats_text(&answer, chosen, count, text, sizeof(text));
	g_assert_cmpstr(text, ==, "8 101");
	/* the text never overflows */
	g_assert_cmpint(codec_formats_text(&answer, chosen, count, text, 3), ==, -ENOSPC);
}

/* The one rule for an answer to an offer the relay added codecs to (codec_answer_taken()): the
 * offerer's answer never names an added payload type (RFC 3264 section 6.1). */
static void test_answer_taken(void)
{
	struct codec_list answer;
	/* offer 8 0 101 with G.722 (9) and telephone-event/16000 (96) added */
	parse_list("v=0\r\no=- 2 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
		   "m=audio 30010 RTP/AVP 9 0 96 101\r\na=rtpmap:96 telephone-event/16000\r\n"
		   "a=rtpmap:101 telephone-event/8000\r\n", &answer);
	struct codec_payload_set offered = { { 0 } }, added = { { 0 } };
	unsigned int offered_types[] = { 8, 0, 9, 96, 101 };
	for (size_t i = 0; i < G_N_ELEMENTS(offered_types); i++)
		codec_payload_set_add(&offered, offered_types[i]);
	codec_payload_set_add(&added, 9);
	codec_payload_set_add(&added, 96);
	struct codec_answer_taken taken;
	char text[64];
	codec_answer_taken(&answer, &offered, &added, &taken);
	codec_formats_text(&answer, taken.indexes, taken.count, text, sizeof(text));
	g_assert_cmpstr(text, ==, "0 101");
	g_assert_true(taken.left_out);
	g_assert_true(taken.offerers_audio);
	g_assert_true(codec_payload_set_has(&taken.offerers, 8) && codec_payload_set_has(&taken.offerers, 101));
	g_assert_false(codec_payload_set_has(&taken.offerers, 9) || codec_payload_set_has(&taken.offerers, 96));
	/* only added codecs and an event of the offerer's: no audio codec of the offerer's taken */
	parse_list("v=0\r\no=- 2 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
		   "m=audio 30010 RTP/AVP 9 101\r\na=rtpmap:101 telephone-event/8000\r\n", &answer);
	codec_answer_taken(&answer, &offered, &added, &taken);
	g_assert_true(taken.left_out);
	g_assert_false(taken.offerers_audio);
	g_assert_cmpuint(taken.count, ==, 1);
	/* nothing added: the answer whole */
	struct codec_payload_set none = { { 0 } };
	codec_answer_taken(&answer, &offered, &none, &taken);
	g_assert_false(taken.left_out);
	g_assert_true(codec_selection_unchanged(&answer, taken.indexes, taken.count));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec/model", test_model);
	g_test_add_func("/codec/matching", test_matching);
	g_test_add_func("/codec/offer", test_offer);
	g_test_add_func("/codec/answer", test_answer);
	g_test_add_func("/codec/answer-taken", test_answer_taken);
	return g_test_run();
}
