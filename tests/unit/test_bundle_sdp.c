/* Unit tests for daemon/bundle.c: a side's a=group:BUNDLE (RFC 9143, RFC 5888 grouping),
 * a=mid, the MID extension's a=extmap id (RFC 8285 section 8), a=ssrc (RFC 5576) and the
 * demultiplexing table built from them. SDPs written here as Chromium writes them. */
#include "bundle.h"

#include <errno.h>
#include <string.h>
#include <glib.h>

#define CHROMIUM_MAX_BUNDLE \
	"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" \
	"a=group:BUNDLE 0 1 2\r\n" \
	"m=audio 50000 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\n" \
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" \
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtcp-mux\r\n" \
	"a=ssrc:535673988 cname:WF0bPfzp\r\na=ssrc:535673988 msid:x y\r\n" \
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n" \
	"a=extmap:4/sendrecv urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:5 urn:3gpp:video-orientation\r\n" \
	"a=rtcp-mux\r\na=ssrc-group:FID 11 12\r\na=ssrc:11 cname:WF0bPfzp\r\na=ssrc:12 cname:WF0bPfzp\r\n" \
	"m=audio 0 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"

static struct sdp_session *parse(const char *text)
{
	const char *error = NULL;
	struct sdp_session *session = sdp_parse(text, strlen(text), &error);
	g_assert_nonnull(session);
	return session;
}

static void test_group_parse(void)
{
	struct sdp_session *sdp = parse(CHROMIUM_MAX_BUNDLE);
	struct sdp_bundle bundle;
	/* the rejected m= line (port 0) is not part of the transport */
	g_assert_cmpuint(sdp_bundle_parse(sdp, &bundle), ==, 2);
	g_assert_cmpuint(bundle.lines[0], ==, 0);
	g_assert_cmpuint(bundle.lines[1], ==, 1);
	g_assert_cmpint(sdp_bundle_owner_line(&bundle, 0), ==, 0);
	g_assert_cmpint(sdp_bundle_owner_line(&bundle, 1), ==, 0);
	g_assert_cmpint(sdp_bundle_owner_line(&bundle, 2), ==, -ENOENT);
	g_assert_cmpstr(sdp_media_mid(g_ptr_array_index(sdp->media, 1)), ==, "1");
	sdp_session_free(sdp);
}

/* RFC 8843 section 6: port 0 with a=bundle-only is a member, not a rejection, but never the
 * tagged m= line (that one carries the transport's address) */
static void test_bundle_only(void)
{
	struct sdp_session *sdp = parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
					"a=group:BUNDLE a b c\r\n"
					"m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:a\r\n"
					"m=audio 0 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:b\r\na=bundle-only\r\n"
					"m=audio 0 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:c\r\n");
	struct sdp_bundle bundle;
	g_assert_cmpuint(sdp_bundle_parse(sdp, &bundle), ==, 2);
	g_assert_cmpuint(bundle.lines[1], ==, 1);
	g_assert_true(sdp_media_bundle_only(g_ptr_array_index(sdp->media, 1)));
	g_assert_false(sdp_media_bundle_only(g_ptr_array_index(sdp->media, 2)));
	sdp_session_free(sdp);
	sdp = parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE b a\r\n"
		    "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:a\r\n"
		    "m=audio 0 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:b\r\na=bundle-only\r\n");
	g_assert_cmpuint(sdp_bundle_parse(sdp, &bundle), ==, 0);
	sdp_session_free(sdp);
}

static void test_group_order_and_unknown_mids(void)
{
	/* the first mid of the group is the tagged m= line (RFC 9143 section 7.2), whatever the
	 * m= order; mids naming no m= line and repeats are left out; one member is no group */
	struct sdp_session *sdp = parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
					"a=group:LS a b\r\na=group:BUNDLE b nothere a b\r\n"
					"m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:a\r\n"
					"m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:b\r\n");
	struct sdp_bundle bundle;
	g_assert_cmpuint(sdp_bundle_parse(sdp, &bundle), ==, 2);
	g_assert_cmpuint(bundle.lines[0], ==, 1);
	g_assert_cmpuint(bundle.lines[1], ==, 0);
	g_assert_cmpint(sdp_bundle_owner_line(&bundle, 0), ==, 1);
	sdp_session_free(sdp);
	sdp = parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a\r\n"
		    "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:a\r\n");
	g_assert_cmpuint(sdp_bundle_parse(sdp, &bundle), ==, 0);
	g_assert_cmpint(sdp_bundle_owner_line(&bundle, 0), ==, -ENOENT);
	sdp_session_free(sdp);
	/* BUNDLEX is another semantics */
	sdp = parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLEX a b\r\n"
		    "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:a\r\n"
		    "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=mid:b\r\n");
	g_assert_cmpuint(sdp_bundle_parse(sdp, &bundle), ==, 0);
	sdp_session_free(sdp);
}

static void test_extmap_and_ssrc_lines(void)
{
	struct sdp_session *sdp = parse(CHROMIUM_MAX_BUNDLE);
	const struct sdp_media *audio = g_ptr_array_index(sdp->media, 0), *video = g_ptr_array_index(sdp->media, 1);
	g_assert_cmpuint(sdp_media_mid_extension_id(audio), ==, 4);
	g_assert_cmpuint(sdp_media_mid_extension_id(video), ==, 4);   /* with a direction */
	g_assert_cmpuint(sdp_media_mid_extension_id(g_ptr_array_index(sdp->media, 2)), ==, 0);
	uint32_t ssrcs[4];
	g_assert_cmpuint(sdp_media_ssrcs(audio, ssrcs, 4), ==, 1);   /* two lines, one SSRC */
	g_assert_cmpuint(ssrcs[0], ==, 535673988u);
	g_assert_cmpuint(sdp_media_ssrcs(video, ssrcs, 4), ==, 2);   /* a=ssrc-group is not a=ssrc */
	g_assert_cmpuint(ssrcs[0], ==, 11);
	g_assert_cmpuint(ssrcs[1], ==, 12);
	g_assert_cmpuint(sdp_media_ssrcs(video, ssrcs, 1), ==, 1);
	struct sdp_bundle bundle;
	sdp_bundle_parse(sdp, &bundle);
	g_assert_cmpuint(sdp_free_extension_id(sdp, &bundle), ==, 2);   /* 1, 4 and 5 are taken */
	sdp_session_free(sdp);
}

static void test_group_build(void)
{
	struct sdp_session *sdp = parse(CHROMIUM_MAX_BUNDLE);
	struct sdp_bundle bundle;
	sdp_bundle_parse(sdp, &bundle);
	static struct media media[3];
	struct media *by_line[3] = { &media[0], &media[1], &media[2] };
	struct bundle_group *group = bundle_group_build(sdp, &bundle, by_line, NULL, 0, true);
	g_assert_nonnull(group);
	g_assert_true(group->members[0] == &media[0]);
	g_assert_true(group->members[1] == &media[1]);
	g_assert_cmpuint(group->demux.media_count, ==, 2);
	g_assert_cmpuint(group->demux.mid_extension_id, ==, 4);
	g_assert_cmpuint(group->demux.ssrc_count, ==, 3);
	/* 111 and 0 are the audio line's, 96 and 97 the video line's */
	g_assert_cmpuint(group->demux.payload_types[111], ==, 1);
	g_assert_cmpuint(group->demux.payload_types[96], ==, 2);
	g_assert_cmpuint(group->demux.payload_types[8], ==, 0);
	bundle_group_free(group);
	/* the side's SSRCs only from its own SDP; mids and the extension id as we write them */
	const char *mids[3] = { "x", "y", NULL };
	group = bundle_group_build(sdp, &bundle, by_line, mids, 9, false);
	g_assert_nonnull(group);
	g_assert_cmpuint(group->demux.ssrc_count, ==, 0);
	g_assert_cmpuint(group->demux.mid_extension_id, ==, 9);
	g_assert_cmpint(bundle_demux_find_mid(&group->demux, "y", 1), ==, 1);
	bundle_group_free(group);
	/* the same mid twice cannot be demultiplexed */
	const char *same[3] = { "x", "x", NULL };
	g_assert_null(bundle_group_build(sdp, &bundle, by_line, same, 0, true));
	sdp_session_free(sdp);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bundle-sdp/group", test_group_parse);
	g_test_add_func("/bundle-sdp/group-order-and-unknown-mids", test_group_order_and_unknown_mids);
	g_test_add_func("/bundle-sdp/extmap-and-ssrc", test_extmap_and_ssrc_lines);
	g_test_add_func("/bundle-sdp/group-build", test_group_build);
	g_test_add_func("/bundle-sdp/bundle-only", test_bundle_only);
	return g_test_run();
}
