/* DTLS-SRTP key material into SRTP contexts; see dtls_srtp.h. */
#include "dtls_srtp.h"

#include <errno.h>
#include <glib.h>
#include "call.h"
#include "dtls.h"
#include "media_crypto.h"
#include "srtp.h"

static void pair_free(struct media_srtp *srtp)
{
	if (!srtp)
		return;
	srtp_context_cleanup(&srtp->decrypt);
	srtp_context_cleanup(&srtp->encrypt);
	g_free(srtp);
}

bool dtls_srtp_rtcp_apart(const struct media *media, bool rtcp_mux)
{
	const struct dtls_connection *rtcp = media->streams[STREAM_RTCP].extras->dtls;
	return rtcp && rtcp->params.enabled && !rtcp_mux;
}

/* The packet path's copy of which streams are SRTP, after the worker changed a media's keys:
 * the RTP stream with media->srtp; the RTCP stream with media->rtcp_srtp when the RTCP port
 * has its own association, else with media->srtp (call_refresh_forwarding() decides alike). */
static void refresh_flags(struct media *media)
{
	struct stream *rtp = &media->streams[STREAM_RTP], *rtcp = &media->streams[STREAM_RTCP];
	bool mux = (rtcp->forward_flags & FORWARD_RTCP_MUX) != 0;
	bool rtp_keyed = media->srtp != NULL;
	bool rtcp_keyed = dtls_srtp_rtcp_apart(media, mux) ? media->rtcp_srtp != NULL : rtp_keyed;
	rtp->forward_flags = (rtp->forward_flags & ~(uint32_t) FORWARD_SRTP) | (rtp_keyed ? FORWARD_SRTP : 0);
	rtcp->forward_flags = (rtcp->forward_flags & ~(uint32_t) FORWARD_SRTP) | (rtcp_keyed ? FORWARD_SRTP : 0);
}

/* The worker is the only user of the contexts and holds the lock. */
static void set_media_srtp(struct media *media, int kind, struct media_srtp *srtp)
{
	struct media_srtp **slot = kind == STREAM_RTCP ? &media->rtcp_srtp : &media->srtp;
	struct media_srtp *old = *slot;
	*slot = srtp;
	refresh_flags(media);
	pair_free(old);
}

void dtls_srtp_free_rtcp(struct media *media)
{
	pair_free(media->rtcp_srtp);
	media->rtcp_srtp = NULL;
}

int dtls_srtp_material_length(uint16_t profile)
{
	enum srtp_suite suite;
	if (srtp_suite_from_dtls_profile(profile, &suite) < 0)
		return -ENOENT;
	return (int) (2 * (srtp_suite_master_key_length(suite) + srtp_suite_master_salt_length(suite)));
}

int dtls_srtp_split(uint16_t profile, const unsigned char *material, bool client, int *suite_out,
		    const unsigned char **our_key, const unsigned char **our_salt,
		    const unsigned char **their_key, const unsigned char **their_salt,
		    size_t *key_length, size_t *salt_length)
{
	enum srtp_suite suite;
	if (srtp_suite_from_dtls_profile(profile, &suite) < 0)
		return -ENOENT;
	size_t key = srtp_suite_master_key_length(suite), salt = srtp_suite_master_salt_length(suite);
	if (2 * (key + salt) > DTLS_SRTP_MATERIAL_MAX)
		return -EINVAL;
	const unsigned char *client_key = material, *server_key = material + key;
	const unsigned char *client_salt = material + 2 * key, *server_salt = client_salt + salt;
	*our_key = client ? client_key : server_key;
	*our_salt = client ? client_salt : server_salt;
	*their_key = client ? server_key : client_key;
	*their_salt = client ? server_salt : client_salt;
	*key_length = key;
	*salt_length = salt;
	*suite_out = (int) suite;
	return 0;
}

int dtls_srtp_install(struct media *media, int kind, uint16_t profile, const unsigned char *material, bool client,
		      int *suite)
{
	const unsigned char *our_key, *our_salt, *their_key, *their_salt;
	size_t key_length, salt_length;
	int error = dtls_srtp_split(profile, material, client, suite, &our_key, &our_salt, &their_key, &their_salt,
				    &key_length, &salt_length);
	if (error)
		return error;
	struct media_srtp *srtp = g_new0(struct media_srtp, 1);
	error = srtp_context_init(&srtp->encrypt, (enum srtp_suite) *suite, our_key, key_length, our_salt, salt_length);
	if (!error)
		error = srtp_context_init(&srtp->decrypt, (enum srtp_suite) *suite, their_key, key_length, their_salt,
					  salt_length);
	if (error) {
		pair_free(srtp);
		return error;
	}
	set_media_srtp(media, kind, srtp);
	return 0;
}

void dtls_srtp_remove(struct media *media, int kind)
{
	if (kind == STREAM_RTCP ? media->rtcp_srtp != NULL : media->srtp != NULL)
		set_media_srtp(media, kind, NULL);
}

const char *dtls_srtp_suite_name(int suite)
{
	const char *name = suite >= 0 ? srtp_suite_name((enum srtp_suite) suite) : NULL;
	return name ? name : "none";
}
