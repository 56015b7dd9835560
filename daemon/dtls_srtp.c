/* DTLS-SRTP key material into SRTP contexts; see dtls_srtp.h. */
#include "dtls_srtp.h"

#include <errno.h>
#include <glib.h>
#include "call.h"
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

/* Media of this side stops (or starts) being SRTP: the contexts and the packet path's copy of
 * that fact, for both streams. The worker is the only user of the contexts and holds the lock. */
static void set_media_srtp(struct media *media, struct media_srtp *srtp)
{
	struct media_srtp *old = media->srtp;
	media->srtp = srtp;
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		if (srtp)
			media->streams[kind].forward_flags |= FORWARD_SRTP;
		else
			media->streams[kind].forward_flags &= ~(uint32_t) FORWARD_SRTP;
	}
	pair_free(old);
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

int dtls_srtp_install(struct media *media, uint16_t profile, const unsigned char *material, bool client,
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
	set_media_srtp(media, srtp);
	return 0;
}

void dtls_srtp_remove(struct media *media)
{
	if (media->srtp)
		set_media_srtp(media, NULL);
}

const char *dtls_srtp_suite_name(int suite)
{
	const char *name = suite >= 0 ? srtp_suite_name((enum srtp_suite) suite) : NULL;
	return name ? name : "none";
}
