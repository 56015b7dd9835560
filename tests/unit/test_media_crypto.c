/* SDES negotiation stages new SRTP contexts and never touches the ones the packet path uses
 * until media_crypto_publish(); the replaced ones are freed by media_crypto_release(). */
#include <glib.h>
#include <string.h>
#include "call.h"
#include "media_crypto.h"
#include "sdp.h"

/* RFC 4568 section 8.1's example key (base64 of 30 bytes: 16 key + 14 salt) and a second one */
#define KEY_A "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define KEY_B "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static struct sdp_session *parse_sdp(const char *crypto_lines)
{
	char *text = g_strdup_printf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
				     "m=audio 4000 RTP/SAVP 0\r\n%s", crypto_lines);
	const char *error = NULL;
	struct sdp_session *session = sdp_parse(text, strlen(text), &error);
	g_assert_null(error);
	g_assert_nonnull(session);
	g_free(text);
	return session;
}

static const struct sdp_media *first_media(const struct sdp_session *session)
{
	g_assert_cmpuint(session->media->len, ==, 1);
	return g_ptr_array_index(session->media, 0);
}

static struct media *new_media(void)
{
	return g_aligned_alloc0(1, sizeof(struct media), STREAM_CACHE_LINE);
}

static void free_media(struct media *media)
{
	media_crypto_free(media);
	g_aligned_free(media);
}

/* What publishing does under the lock, and what happens after it. */
static void publish_and_release(struct media *media)
{
	media_crypto_publish(media);
	media_crypto_release(media);
}

static void test_offer_is_staged_until_published(void)
{
	struct media *media = new_media();
	struct sdp_session *offer = parse_sdp("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_offer(media, first_media(offer), &reason), ==, 0);
	g_assert_true(media->crypto->active);
	g_assert_null(media->srtp);          /* the worker sees nothing yet */
	media_crypto_publish(media);
	g_assert_nonnull(media->srtp);
	g_assert_null(media->crypto->retired);
	media_crypto_release(media);
	g_assert_true(g_str_has_prefix(media->crypto->answer_line, "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	sdp_session_free(offer);
	free_media(media);
}

static void test_same_key_keeps_running_contexts(void)
{
	struct media *media = new_media();
	struct sdp_session *offer = parse_sdp("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_offer(media, first_media(offer), &reason), ==, 0);
	publish_and_release(media);
	struct media_srtp *running = media->srtp;
	/* a re-INVITE with the same key: the contexts (and their replay state) stay */
	g_assert_cmpint(media_crypto_take_offer(media, first_media(offer), &reason), ==, 0);
	g_assert_false(media->crypto->staged);
	publish_and_release(media);
	g_assert_true(media->srtp == running);
	sdp_session_free(offer);
	free_media(media);
}

static void test_new_key_replaces_after_publish(void)
{
	struct media *media = new_media();
	struct sdp_session *first = parse_sdp("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n");
	struct sdp_session *second = parse_sdp("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_offer(media, first_media(first), &reason), ==, 0);
	publish_and_release(media);
	struct media_srtp *running = media->srtp;
	g_assert_cmpint(media_crypto_take_offer(media, first_media(second), &reason), ==, 0);
	g_assert_true(media->crypto->staged);
	g_assert_true(media->srtp == running);       /* untouched while the worker may use it */
	media_crypto_publish(media);
	g_assert_true(media->crypto->retired == running);
	g_assert_nonnull(media->srtp);
	g_assert_true(media->srtp != running);
	media_crypto_release(media);                 /* frees the old contexts (ASan checks) */
	g_assert_null(media->crypto->retired);
	sdp_session_free(first);
	sdp_session_free(second);
	free_media(media);
}

static void test_answer_to_our_offer_is_staged(void)
{
	struct media *media = new_media();
	const char *lines[MEDIA_CRYPTO_OFFERED_SUITES];
	int count = media_crypto_offer(media, lines, MEDIA_CRYPTO_OFFERED_SUITES);
	g_assert_cmpint(count, >, 0);
	g_assert_null(media->srtp);
	/* the side accepts our AES_CM_128_HMAC_SHA1_80 offer (tag 7) with its own key */
	struct sdp_session *answer = parse_sdp("a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_answer(media, first_media(answer), &reason), ==, 0);
	g_assert_null(media->srtp);
	publish_and_release(media);
	g_assert_nonnull(media->srtp);
	sdp_session_free(answer);
	free_media(media);
}

static void test_unusable_offer_stages_nothing(void)
{
	struct media *media = new_media();
	struct sdp_session *offer = parse_sdp("a=crypto:1 NO_SUCH_SUITE inline:" KEY_A "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_offer(media, first_media(offer), &reason), <, 0);
	g_assert_nonnull(reason);
	publish_and_release(media);
	g_assert_null(media->srtp);
	sdp_session_free(offer);
	free_media(media);
}

/* As 10.5: the offerer's own key goes on first with its tag, the other suites numbered on;
 * an answer taking it hands the answerer's key back to the offerer. */
static void test_offerer_key_passed_on_and_back(void)
{
	struct media *offerer = new_media(), *answerer = new_media();
	struct sdp_session *offer = parse_sdp("a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_offer(offerer, first_media(offer), &reason), ==, 0);
	struct media_crypto_options options = { .copy_from = first_media(offer) };
	const char *lines[MEDIA_CRYPTO_OFFERED_SUITES];
	int count = media_crypto_offer_with(answerer, &options, lines, MEDIA_CRYPTO_OFFERED_SUITES);
	g_assert_cmpint(count, ==, MEDIA_CRYPTO_OFFERED_SUITES);
	g_assert_cmpstr(lines[0], ==, "crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A);
	g_assert_true(g_str_has_prefix(lines[1], "crypto:6 AEAD_AES_256_GCM inline:"));
	g_assert_true(g_str_has_prefix(lines[11], "crypto:16 NULL_HMAC_SHA1_32 inline:"));
	struct sdp_session *answer = parse_sdp("a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n");
	g_assert_cmpint(media_crypto_take_answer(answerer, first_media(answer), &reason), ==, 0);
	g_assert_cmpint(media_crypto_mirror_answer(offerer, answerer), ==, 1);
	g_assert_cmpstr(offerer->crypto->answer_line, ==, "crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B);
	g_assert_true(offerer->crypto->active);
	/* an answer taking one of our own keys leaves the offerer's answer alone */
	struct media *other = new_media();
	count = media_crypto_offer_with(other, NULL, lines, MEDIA_CRYPTO_OFFERED_SUITES);
	g_assert_cmpint(count, ==, MEDIA_CRYPTO_OFFERED_SUITES);
	g_assert_cmpint(media_crypto_mirror_answer(offerer, other), ==, 0);
	sdp_session_free(offer);
	sdp_session_free(answer);
	free_media(offerer);
	free_media(answerer);
	free_media(other);
}

/* A re-offer (as upstream 10.5): the agreed suite and key first, the other 11 suites after it
 * with higher tags; answered unchanged, the running contexts stay; a switched suite is staged. */
static void test_reoffer_offers_agreed_first_and_may_switch(void)
{
	struct media *media = new_media();
	const char *lines[MEDIA_CRYPTO_OFFERED_SUITES];
	g_assert_cmpint(media_crypto_offer(media, lines, MEDIA_CRYPTO_OFFERED_SUITES), ==, 12);
	char *agreed = g_strdup(lines[6]);
	g_assert_true(g_str_has_prefix(agreed, "crypto:7 AES_CM_128_HMAC_SHA1_80 inline:"));
	struct sdp_session *answer = parse_sdp("a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_answer(media, first_media(answer), &reason), ==, 0);
	publish_and_release(media);
	struct media_srtp *running = media->srtp;

	g_assert_cmpint(media_crypto_offer(media, lines, MEDIA_CRYPTO_OFFERED_SUITES), ==, 12);
	g_assert_cmpstr(lines[0], ==, agreed);
	g_assert_true(g_str_has_prefix(lines[1], "crypto:8 AEAD_AES_256_GCM inline:"));
	g_assert_true(g_str_has_prefix(lines[7], "crypto:14 AES_CM_128_HMAC_SHA1_32 inline:"));
	g_assert_cmpint(media_crypto_take_answer(media, first_media(answer), &reason), ==, 0);
	g_assert_false(media->crypto->staged);
	publish_and_release(media);
	g_assert_true(media->srtp == running);

	g_assert_cmpint(media_crypto_offer(media, lines, MEDIA_CRYPTO_OFFERED_SUITES), ==, 12);
	g_assert_cmpstr(lines[0], ==, agreed);
	struct sdp_session *switched = parse_sdp("a=crypto:14 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B "\r\n");
	g_assert_cmpint(media_crypto_take_answer(media, first_media(switched), &reason), ==, 0);
	g_assert_true(media->crypto->staged);
	g_assert_cmpuint(media->crypto->ours.suite, ==, SRTP_AES_CM_128_HMAC_SHA1_32);
	publish_and_release(media);
	g_assert_true(media->srtp != running);
	g_assert_cmpint(media_crypto_offer(media, lines, MEDIA_CRYPTO_OFFERED_SUITES), ==, 12);
	g_assert_true(g_str_has_prefix(lines[0], "crypto:14 AES_CM_128_HMAC_SHA1_32 inline:"));
	g_free(agreed);
	sdp_session_free(answer);
	sdp_session_free(switched);
	free_media(media);
}

/* As 10.5: the offerer's keys go on first with its tags, the other suites after them; the
 * answerer picks one of the offerer's, and the offerer is answered with the answerer's key. */
static void test_offerers_keys_passed_on_and_answer_mirrored(void)
{
	struct media *offerer = new_media(), *answerer = new_media();
	struct sdp_session *offer = parse_sdp("a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n"
					      "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B "\r\n");
	const char *reason = NULL;
	g_assert_cmpint(media_crypto_take_offer(offerer, first_media(offer), &reason), ==, 0);
	const char *lines[MEDIA_CRYPTO_OFFERED_SUITES];
	struct media_crypto_options options = { .no_suites = 1u << SRTP_NULL_HMAC_SHA1_32, .copy_from = first_media(offer) };
	int count = media_crypto_offer_with(answerer, &options, lines, MEDIA_CRYPTO_OFFERED_SUITES);
	g_assert_cmpint(count, ==, MEDIA_CRYPTO_OFFERED_SUITES - 1);
	g_assert_cmpstr(lines[0], ==, "crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A);
	g_assert_cmpstr(lines[1], ==, "crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B);
	g_assert_true(g_str_has_prefix(lines[2], "crypto:6 AEAD_AES_256_GCM inline:"));
	g_assert_true(g_str_has_prefix(lines[count - 1], "crypto:14 NULL_HMAC_SHA1_80 inline:"));
	struct sdp_session *answer = parse_sdp("a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A "\r\n");
	g_assert_cmpint(media_crypto_take_answer(answerer, first_media(answer), &reason), ==, 0);
	g_assert_true(answerer->crypto->ours_copied);
	g_assert_cmpint(media_crypto_mirror_answer(offerer, answerer), ==, 1);
	g_assert_cmpstr(offerer->crypto->answer_line, ==, "crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A);
	g_assert_cmpuint(offerer->crypto->theirs.tag, ==, 5);
	publish_and_release(offerer);
	publish_and_release(answerer);
	g_assert_nonnull(offerer->srtp);
	g_assert_nonnull(answerer->srtp);
	sdp_session_free(offer);
	sdp_session_free(answer);
	free_media(offerer);
	free_media(answerer);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/media_crypto/offer_staged", test_offer_is_staged_until_published);
	g_test_add_func("/media_crypto/same_key_kept", test_same_key_keeps_running_contexts);
	g_test_add_func("/media_crypto/new_key_replaces", test_new_key_replaces_after_publish);
	g_test_add_func("/media_crypto/answer_staged", test_answer_to_our_offer_is_staged);
	g_test_add_func("/media_crypto/unusable_offer", test_unusable_offer_stages_nothing);
	g_test_add_func("/media_crypto/offerer_key_passed_on", test_offerer_key_passed_on_and_back);
	g_test_add_func("/media_crypto/reoffer_agreed_first", test_reoffer_offers_agreed_first_and_may_switch);
	g_test_add_func("/media_crypto/offerers_keys_passed_on", test_offerers_keys_passed_on_and_answer_mirrored);
	return g_test_run();
}
