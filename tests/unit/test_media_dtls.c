/* DTLS-SRTP negotiation (daemon/media_dtls.c): which role we take for each a=setup offered or
 * answered (RFC 4145, RFC 5763 section 5, upstream's defaults), the lines we write, the hash of
 * our fingerprint, and when a re-offer means a new association (RFC 5763 section 6.7.1). */
#include <glib.h>
#include <string.h>
#include "call.h"
#include "dtls_certificate.h"
#include "media_dtls.h"
#include "sdp.h"

#define FINGERPRINT_256 "sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2"
#define OTHER_256 "sha-256 29:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2"
#define FINGERPRINT_1 "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"

struct fixture {
	struct media *media;
	struct stream_extras extras[2];
	struct sdp_session *sdp;
};

static void fixture_setup(struct fixture *fixture, gconstpointer unused)
{
	const char *reason = NULL;
	g_assert_cmpint(dtls_certificate_init(&(struct dtls_settings) { .signature = DTLS_HASH_SHA256 }, &reason), ==, 0);
	memset(fixture->extras, 0, sizeof(fixture->extras));
	fixture->media = g_aligned_alloc0(1, sizeof(struct media), STREAM_CACHE_LINE);
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		fixture->media->streams[kind].media = fixture->media;
		fixture->media->streams[kind].extras = &fixture->extras[kind];
	}
	fixture->sdp = NULL;
}

static void fixture_teardown(struct fixture *fixture, gconstpointer unused)
{
	dtls_connection_free(fixture->extras[STREAM_RTP].dtls);
	dtls_connection_free(fixture->extras[STREAM_RTCP].dtls);
	g_aligned_free(fixture->media);
	if (fixture->sdp)
		sdp_session_free(fixture->sdp);
	dtls_certificate_cleanup();
}

static const struct sdp_media *parse(struct fixture *fixture, const char *protocol, const char *attributes)
{
	if (fixture->sdp)
		sdp_session_free(fixture->sdp);
	char *text = g_strdup_printf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
				     "m=audio 4000 %s 0\r\n%s", protocol, attributes);
	const char *error = NULL;
	fixture->sdp = sdp_parse(text, strlen(text), &error);
	g_free(text);
	g_assert_nonnull(fixture->sdp);
	return g_ptr_array_index(fixture->sdp->media, 0);
}

static const struct dtls_connection *connection(const struct fixture *fixture)
{
	return fixture->extras[STREAM_RTP].dtls;
}

static const char *our_setup_line(struct fixture *fixture)
{
	const char *lines[MEDIA_DTLS_LINES];
	g_assert_cmpint(media_dtls_lines(fixture->media, lines, MEDIA_DTLS_LINES), ==, MEDIA_DTLS_LINES);
	return lines[0];
}

static void test_answer_roles(struct fixture *fixture, gconstpointer unused)
{
	static const struct {
		const char *offered;
		enum dtls_setup preference;
		const char *ours;
	} cases[] = {
		{ "a=setup:actpass\r\n", DTLS_SETUP_UNSPECIFIED, "setup:active" },   /* upstream's default */
		{ "a=setup:actpass\r\n", DTLS_SETUP_PASSIVE, "setup:passive" },      /* DTLS-reverse=passive */
		{ "a=setup:active\r\n", DTLS_SETUP_UNSPECIFIED, "setup:passive" },
		{ "a=setup:active\r\n", DTLS_SETUP_ACTIVE, "setup:passive" },        /* the offer decides */
		{ "a=setup:passive\r\n", DTLS_SETUP_UNSPECIFIED, "setup:active" },
		{ "", DTLS_SETUP_UNSPECIFIED, "setup:passive" },                     /* RFC 4145: none = active */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *attributes = g_strdup_printf("%sa=fingerprint:" FINGERPRINT_256 "\r\n", cases[i].offered);
		const struct sdp_media *sdp_media = parse(fixture, "UDP/TLS/RTP/SAVPF", attributes);
		g_free(attributes);
		g_assert_true(media_dtls_offered(fixture->sdp, sdp_media));
		struct media_dtls_request request = { .preference = cases[i].preference };
		const char *reason = NULL;
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			dtls_connection_free(fixture->extras[kind].dtls);
			fixture->extras[kind].dtls = NULL;
		}
		g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
		g_assert_cmpstr(our_setup_line(fixture), ==, cases[i].ours);
		g_assert_cmpint(connection(fixture)->staged.active, ==, !strcmp(cases[i].ours, "setup:active"));
		/* an active start waits for the answer to reach the side */
		g_assert_false(connection(fixture)->start_pending);
	}
}

static void test_fingerprint_hash_and_refusals(struct fixture *fixture, gconstpointer unused)
{
	const char *reason = NULL;
	struct media_dtls_request request = { 0 };
	/* the peer's hash is used for ours */
	const struct sdp_media *sdp_media = parse(fixture, "UDP/TLS/RTP/SAVP", "a=setup:active\r\na=fingerprint:" FINGERPRINT_1 "\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	const char *lines[MEDIA_DTLS_LINES];
	media_dtls_lines(fixture->media, lines, MEDIA_DTLS_LINES);
	g_assert_true(g_str_has_prefix(lines[1], "fingerprint:sha-1 "));
	g_assert_cmpuint(strlen(lines[1]), ==, strlen("fingerprint:sha-1 ") + 20 * 3 - 1);
	/* DTLS-fingerprint= wins */
	request.has_hash = true;
	request.hash = DTLS_HASH_SHA512;
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	media_dtls_lines(fixture->media, lines, MEDIA_DTLS_LINES);
	g_assert_true(g_str_has_prefix(lines[1], "fingerprint:sha-512 "));
	/* the lines carry our certificate's digest */
	char ours[DTLS_FINGERPRINT_TEXT_MAX];
	dtls_fingerprint_format(dtls_certificate_fingerprint(DTLS_HASH_SHA512), ours, sizeof(ours));
	g_assert_cmpstr(lines[1] + 12, ==, ours);
	/* no fingerprint, holdconn: refused */
	request.has_hash = false;
	sdp_media = parse(fixture, "UDP/TLS/RTP/SAVP", "a=setup:actpass\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), <, 0);
	g_assert_nonnull(strstr(reason, "fingerprint"));
	sdp_media = parse(fixture, "UDP/TLS/RTP/SAVP", "a=setup:holdconn\r\na=fingerprint:" FINGERPRINT_256 "\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), <, 0);
	/* the fingerprint at session level counts (RFC 8122 section 5) */
	sdp_media = parse(fixture, "RTP/SAVP", "");
	g_assert_false(media_dtls_offered(fixture->sdp, sdp_media));
	sdp_session_free(fixture->sdp);
	const char *text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			   "a=fingerprint:" FINGERPRINT_256 "\r\nm=audio 4000 RTP/SAVP 0\r\n";
	fixture->sdp = sdp_parse(text, strlen(text), &reason);
	sdp_media = g_ptr_array_index(fixture->sdp->media, 0);
	g_assert_true(media_dtls_offered(fixture->sdp, sdp_media));
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
}

/* RFC 5763 section 6.7.1: a new fingerprint or role is a new association; the same offer
 * again keeps the running one. */
static void test_reoffer_generations(struct fixture *fixture, gconstpointer unused)
{
	const char *reason = NULL;
	struct media_dtls_request request = { 0 };
	const struct sdp_media *sdp_media = parse(fixture, "UDP/TLS/RTP/SAVPF", "a=setup:active\r\na=fingerprint:" FINGERPRINT_256 "\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	uint32_t generation = connection(fixture)->staged.generation;
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	g_assert_cmpuint(connection(fixture)->staged.generation, ==, generation);
	/* actpass in a re-offer keeps the role of the running association */
	sdp_media = parse(fixture, "UDP/TLS/RTP/SAVPF", "a=setup:actpass\r\na=fingerprint:" FINGERPRINT_256 "\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	g_assert_cmpstr(our_setup_line(fixture), ==, "setup:passive");
	g_assert_cmpuint(connection(fixture)->staged.generation, ==, generation);
	sdp_media = parse(fixture, "UDP/TLS/RTP/SAVPF", "a=setup:active\r\na=fingerprint:" OTHER_256 "\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	g_assert_cmpuint(connection(fixture)->staged.generation, ==, generation + 1);
	sdp_media = parse(fixture, "UDP/TLS/RTP/SAVPF", "a=setup:passive\r\na=fingerprint:" OTHER_256 "\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	g_assert_cmpuint(connection(fixture)->staged.generation, ==, generation + 2);
	g_assert_true(connection(fixture)->staged.active);
	/* the RTCP port's association (used without rtcp-mux) follows the RTP port's */
	const struct dtls_connection *rtcp = fixture->extras[STREAM_RTCP].dtls;
	g_assert_nonnull(rtcp);
	g_assert_cmpuint(rtcp->staged.generation, ==, generation + 2);
	g_assert_true(rtcp->staged.active);
	g_assert_true(dtls_fingerprint_equal(&rtcp->staged.expected, &connection(fixture)->staged.expected));
	/* switched off: one more generation, no longer active */
	media_dtls_off(fixture->media);
	g_assert_false(media_dtls_active(fixture->media));
	g_assert_cmpuint(connection(fixture)->staged.generation, ==, generation + 3);
}

/* We offer (actpass, or a fixed role), then take the side's answer. */
static void test_offer_then_answer(struct fixture *fixture, gconstpointer unused)
{
	const char *lines[MEDIA_DTLS_LINES];
	struct media_dtls_request request = { 0 };
	g_assert_cmpint(media_dtls_offer(fixture->media, &request, lines, MEDIA_DTLS_LINES), ==, 2);
	g_assert_cmpstr(lines[0], ==, "setup:actpass");
	/* until the answer, DTLS from the side is expected but cannot be checked */
	g_assert_true(media_dtls_active(fixture->media));
	g_assert_false(media_dtls_agreed(fixture->media));
	const char *reason = NULL;
	const struct sdp_media *sdp_media = parse(fixture, "UDP/TLS/RTP/SAVP", "a=setup:active\r\na=fingerprint:" FINGERPRINT_256 "\r\n");
	g_assert_cmpint(media_dtls_take_answer(fixture->media, fixture->sdp, sdp_media, &reason), ==, 0);
	g_assert_false(connection(fixture)->staged.active);
	g_assert_true(media_dtls_agreed(fixture->media));
	/* a re-offer of the agreed association offers actpass (as 10.5); an answer keeping the
	 * role and fingerprint keeps the association, one changing the role makes a new one */
	uint32_t generation = connection(fixture)->staged.generation;
	g_assert_cmpint(media_dtls_offer(fixture->media, &request, lines, MEDIA_DTLS_LINES), ==, 2);
	g_assert_cmpstr(lines[0], ==, "setup:actpass");
	g_assert_true(media_dtls_agreed(fixture->media));
	g_assert_cmpint(media_dtls_take_answer(fixture->media, fixture->sdp, sdp_media, &reason), ==, 0);
	g_assert_cmpuint(connection(fixture)->staged.generation, ==, generation);
	g_assert_cmpstr(our_setup_line(fixture), ==, "setup:passive");
	/* a preference never changes what we offer (as upstream 10.5) */
	request.preference = DTLS_SETUP_ACTIVE;
	media_dtls_offer(fixture->media, &request, lines, MEDIA_DTLS_LINES);
	g_assert_cmpstr(lines[0], ==, "setup:actpass");
	sdp_media = parse(fixture, "UDP/TLS/RTP/SAVP", "a=setup:passive\r\na=fingerprint:" FINGERPRINT_256 "\r\n");
	g_assert_cmpint(media_dtls_take_answer(fixture->media, fixture->sdp, sdp_media, &reason), ==, 0);
	g_assert_true(connection(fixture)->staged.active);
	g_assert_cmpuint(connection(fixture)->staged.generation, ==, generation + 1);
	/* an answer without DTLS (the side chose plain RTP): -ENOENT */
	sdp_media = parse(fixture, "RTP/AVP", "");
	g_assert_cmpint(media_dtls_take_answer(fixture->media, fixture->sdp, sdp_media, &reason), ==, -ENOENT);
}

static void test_passive_option(struct fixture *fixture, gconstpointer unused)
{
	const char *reason = NULL;
	g_assert_cmpint(dtls_certificate_init(&(struct dtls_settings) { .signature = DTLS_HASH_SHA1, .passive = true },
					      &reason), ==, 0);
	const char *lines[MEDIA_DTLS_LINES];
	struct media_dtls_request request = { 0 };
	/* --dtls-passive: our offers stay actpass (as upstream 10.5) ... */
	media_dtls_offer(fixture->media, &request, lines, MEDIA_DTLS_LINES);
	g_assert_cmpstr(lines[0], ==, "setup:actpass");
	g_assert_true(g_str_has_prefix(lines[1], "fingerprint:sha-1 "));   /* --dtls-signature */
	/* ... and we answer an actpass offer passive */
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		dtls_connection_free(fixture->extras[kind].dtls);
		fixture->extras[kind].dtls = NULL;
	}
	const struct sdp_media *sdp_media = parse(fixture, "UDP/TLS/RTP/SAVP", "a=setup:actpass\r\na=fingerprint:" FINGERPRINT_256 "\r\n");
	g_assert_cmpint(media_dtls_take_offer(fixture->media, fixture->sdp, sdp_media, &request, &reason), ==, 0);
	g_assert_cmpstr(our_setup_line(fixture), ==, "setup:passive");
	/* DTLS=active in the answer command overrides it (the offer was actpass) */
	media_dtls_answered(fixture->media, DTLS_SETUP_ACTIVE);
	g_assert_cmpstr(our_setup_line(fixture), ==, "setup:active");
	g_assert_true(connection(fixture)->staged.active);
	g_assert_true(connection(fixture)->start_pending);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, function) \
	g_test_add(path, struct fixture, NULL, fixture_setup, function, fixture_teardown)
	ADD("/media_dtls/answer_roles", test_answer_roles);
	ADD("/media_dtls/fingerprint_hash_and_refusals", test_fingerprint_hash_and_refusals);
	ADD("/media_dtls/reoffer_generations", test_reoffer_generations);
	ADD("/media_dtls/offer_then_answer", test_offer_then_answer);
	ADD("/media_dtls/passive_option", test_passive_option);
	return g_test_run();
}
