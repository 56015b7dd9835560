/* SDES-SRTP streams in the kernel; see kernel_srtp.h. */
#include "kernel_srtp.h"

#include <string.h>
#include "call.h"
#include "media_crypto.h"
#include "srtp.h"

/* RFC 3711 section 4.3.2 labels, RFC 7714 section 11 salt length */
#define LABEL_RTP_ENCRYPTION 0
#define LABEL_RTP_AUTHENTICATION 1
#define LABEL_RTP_SALT 2
#define AUTH_KEY_LENGTH 20
#define GCM_SALT_LENGTH 12

static enum kernel_srtp_cipher cipher_of(enum srtp_suite suite)
{
	switch (suite) {
	case SRTP_NULL_HMAC_SHA1_80:
	case SRTP_NULL_HMAC_SHA1_32:
		return KERNEL_SRTP_NULL;
	case SRTP_AEAD_AES_128_GCM:
	case SRTP_AEAD_AES_256_GCM:
		return KERNEL_SRTP_AES_GCM;
	default:
		return KERNEL_SRTP_AES_CM;
	}
}

static struct srtp_context *context_of(const struct media *media, bool encrypt)
{
	return encrypt ? &media->srtp->encrypt : &media->srtp->decrypt;
}

const char *kernel_srtp_keys_of(const struct media *media, bool encrypt, struct kernel_srtp_keys *keys,
				const void **context)
{
	memset(keys, 0, sizeof(*keys));
	*context = NULL;
	if (!media->srtp)
		return NULL;   /* the packet path relays this side plain: so does the kernel */
	const struct media_crypto *crypto = media->crypto;
	if (!crypto)
		return "SRTP keys not from SDES are handled in userspace";
	if (crypto->staged)
		return "SRTP re-key in progress";
	const struct sdes_crypto *sdes = encrypt ? &crypto->ours : &crypto->theirs;
	if (sdes->mki_length || sdes->session_flags)
		return "SRTP with MKI or session parameters is handled in userspace";
	if (context_of(media, encrypt)->suite != sdes->suite)
		return "SRTP contexts do not match the negotiated keys";
	enum kernel_srtp_cipher cipher = cipher_of(sdes->suite);
	keys->cipher = (uint8_t) cipher;
	keys->auth_tag_length = (uint8_t) srtp_suite_rtp_tag_length(sdes->suite);
	int err = 0;
	if (cipher != KERNEL_SRTP_NULL) {
		keys->cipher_key_length = (uint8_t) sdes->master_key_length;
		err = srtp_derive_key(sdes->master_key, sdes->master_key_length, sdes->master_salt,
				      sdes->master_salt_length, LABEL_RTP_ENCRYPTION, keys->cipher_key,
				      sdes->master_key_length);
	}
	if (!err && cipher != KERNEL_SRTP_AES_GCM)
		err = srtp_derive_key(sdes->master_key, sdes->master_key_length, sdes->master_salt,
				      sdes->master_salt_length, LABEL_RTP_AUTHENTICATION, keys->auth_key,
				      AUTH_KEY_LENGTH);
	if (!err)
		err = srtp_derive_key(sdes->master_key, sdes->master_key_length, sdes->master_salt,
				      sdes->master_salt_length, LABEL_RTP_SALT, keys->salt,
				      cipher == KERNEL_SRTP_AES_GCM ? GCM_SALT_LENGTH : sizeof(keys->salt));
	if (err) {
		memset(keys, 0, sizeof(*keys));
		return "SRTP key derivation failed";
	}
	*context = media->srtp;
	return NULL;
}

const char *kernel_srtp_keys_cached(const struct media *media, bool encrypt, const void *cached_context,
				    const struct kernel_srtp_keys *cached_keys, struct kernel_srtp_keys *keys,
				    const void **context)
{
	if (cached_context && media->srtp == cached_context && media->crypto && !media->crypto->staged) {
		*keys = *cached_keys;
		*context = cached_context;
		return NULL;
	}
	return kernel_srtp_keys_of(media, encrypt, keys, context);
}

void kernel_srtp_export(const struct media *media, bool encrypt, struct kernel_srtp *out)
{
	memset(out->ssrcs, 0, sizeof(out->ssrcs));
	if (!media->srtp)
		return;
	struct srtp_rtp_state states[KERNEL_SRTP_SSRC_SLOTS];
	unsigned count = srtp_context_export_rtp(context_of(media, encrypt), states, KERNEL_SRTP_SSRC_SLOTS);
	for (unsigned i = 0; i < count; i++) {
		out->ssrcs[i].used = true;
		out->ssrcs[i].ssrc = states[i].ssrc;
		out->ssrcs[i].highest_index = states[i].window.highest_index;
		out->ssrcs[i].window[0] = states[i].window.received[0];
		out->ssrcs[i].window[1] = states[i].window.received[1];
	}
}

void kernel_srtp_import(struct media *media, bool encrypt, const void *context,
			const struct kernel_srtp_ssrc *ssrcs)
{
	if (!context || media->srtp != context)
		return;
	struct srtp_rtp_state states[KERNEL_SRTP_SSRC_SLOTS];
	unsigned count = 0;
	for (unsigned i = 0; i < KERNEL_SRTP_SSRC_SLOTS; i++) {
		if (!ssrcs[i].used)
			continue;
		states[count].ssrc = ssrcs[i].ssrc;
		states[count].window.highest_index = ssrcs[i].highest_index;
		states[count].window.received[0] = ssrcs[i].window[0];
		states[count].window.received[1] = ssrcs[i].window[1];
		count++;
	}
	srtp_context_import_rtp(context_of(media, encrypt), states, count);
}

void kernel_srtp_follow(struct media *media, bool encrypt, const void *context,
			const struct kernel_srtp_ssrc *ssrcs)
{
	if (!context || media->srtp != context)
		return;
	struct srtp_context *srtp = context_of(media, encrypt);
	struct srtp_rtp_state current[SRTP_SSRC_SLOTS], ahead[KERNEL_SRTP_SSRC_SLOTS];
	unsigned current_count = srtp_context_export_rtp(srtp, current, SRTP_SSRC_SLOTS), count = 0;
	for (unsigned i = 0; i < KERNEL_SRTP_SSRC_SLOTS; i++) {
		if (!ssrcs[i].used)
			continue;
		bool behind = true;
		for (unsigned j = 0; j < current_count && behind; j++)
			if (current[j].ssrc == ssrcs[i].ssrc && current[j].window.highest_index >= ssrcs[i].highest_index)
				behind = false;
		if (!behind)
			continue;
		ahead[count].ssrc = ssrcs[i].ssrc;
		ahead[count].window.highest_index = ssrcs[i].highest_index;
		ahead[count].window.received[0] = ssrcs[i].window[0];
		ahead[count].window.received[1] = ssrcs[i].window[1];
		count++;
	}
	if (count)
		srtp_context_import_rtp(srtp, ahead, count);
}
