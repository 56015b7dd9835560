/* SDES-SRTP state of one call side; see media_crypto.h. */
#include "media_crypto.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include "call.h"
#include "sdp.h"

struct offered_suite {
	uint32_t tag;
	enum srtp_suite suite;
};

/* Upstream 10.5 offers these tags, in this order (all 12 suites). */
static const struct offered_suite offered_suites[MEDIA_CRYPTO_OFFERED_SUITES] = {
	{ 1, SRTP_AEAD_AES_256_GCM }, { 2, SRTP_AEAD_AES_128_GCM },
	{ 3, SRTP_AES_256_CM_HMAC_SHA1_80 }, { 4, SRTP_AES_256_CM_HMAC_SHA1_32 },
	{ 5, SRTP_AES_192_CM_HMAC_SHA1_80 }, { 6, SRTP_AES_192_CM_HMAC_SHA1_32 },
	{ 7, SRTP_AES_CM_128_HMAC_SHA1_80 }, { 8, SRTP_AES_CM_128_HMAC_SHA1_32 },
	{ 9, SRTP_F8_128_HMAC_SHA1_80 }, { 10, SRTP_F8_128_HMAC_SHA1_32 },
	{ 11, SRTP_NULL_HMAC_SHA1_80 }, { 12, SRTP_NULL_HMAC_SHA1_32 },
};

/* The next a=crypto line of the media that parses, from *position on. */
static bool next_crypto(const struct sdp_media *sdp_media, unsigned int *position, struct sdes_crypto *crypto,
                        const char **reason)
{
	while (*position < sdp_media->attributes->len) {
		const struct sdp_attribute *attribute = g_ptr_array_index(sdp_media->attributes, (*position)++);
		if (strcmp(attribute->name, "crypto") || !attribute->value)
			continue;
		if (sdes_parse(attribute->value, strlen(attribute->value), crypto, reason) == 0)
			return true;
	}
	return false;
}

static bool same_key(const struct sdes_crypto *a, const struct sdes_crypto *b)
{
	return a->tag == b->tag && a->suite == b->suite && a->master_key_length == b->master_key_length
		&& !memcmp(a->master_key, b->master_key, a->master_key_length)
		&& a->master_salt_length == b->master_salt_length
		&& !memcmp(a->master_salt, b->master_salt, a->master_salt_length);
}

static struct media_crypto *crypto_of(struct media *media)
{
	if (!media->crypto)
		media->crypto = g_new0(struct media_crypto, 1);
	return media->crypto;
}

static void srtp_free(struct media_srtp *srtp)
{
	if (!srtp)
		return;
	srtp_context_cleanup(&srtp->decrypt);
	srtp_context_cleanup(&srtp->encrypt);
	g_free(srtp);
}

/* What the next media_crypto_publish() puts in media->srtp; a staged object that was never
 * published is not in use and goes at once. */
static void stage(struct media_crypto *crypto, struct media_srtp *srtp)
{
	srtp_free(crypto->staged_srtp);
	crypto->staged_srtp = srtp;
	crypto->staged = true;
	crypto->active = srtp != NULL;
}

/* Both directions from their key and ours, into a fresh object (the running contexts stay
 * untouched until published over). A failure stages "no SRTP", as the old contexts no longer
 * match the keys. */
static int start_contexts(struct media_crypto *crypto, const struct sdes_crypto *theirs)
{
	struct media_srtp *srtp = g_new0(struct media_srtp, 1);
	int error = sdes_context_init(&srtp->decrypt, theirs);
	if (error) {
		g_free(srtp);
		stage(crypto, NULL);
		return error;
	}
	error = sdes_context_init(&srtp->encrypt, &crypto->ours);
	if (error) {
		srtp_context_cleanup(&srtp->decrypt);
		g_free(srtp);
		stage(crypto, NULL);
		return error;
	}
	stage(crypto, srtp);
	crypto->theirs = *theirs;
	/* the session parameters point into the request's SDP, which is gone after it */
	crypto->theirs.session_parameters = NULL;
	crypto->theirs.session_parameters_length = 0;
	return 0;
}

bool media_protocol_uses_sdes(const char *protocol)
{
	return protocol && (!strcmp(protocol, "RTP/SAVP") || !strcmp(protocol, "RTP/SAVPF"));
}

/* RFC 4568 section 9.2 allows the key's base64 without its '=' padding, and upstream writes
 * it so; SDES-pad keeps it. */
static void strip_padding(char *line)
{
	char *key = strstr(line, "inline:");
	if (!key)
		return;
	key += 7;
	size_t end = strcspn(key, "| ");
	size_t padding = 0;
	while (padding < end && key[end - padding - 1] == '=')
		padding++;
	memmove(key + end - padding, key + end, strlen(key + end) + 1);
}

bool media_protocol_is_plain_rtp(const char *protocol)
{
	return protocol && (!strcmp(protocol, "RTP/AVP") || !strcmp(protocol, "RTP/AVPF"));
}

static int format_line(const struct media_crypto *owner, const struct sdes_crypto *crypto, char *line, size_t size)
{
	memcpy(line, "crypto:", 7);
	int written = sdes_format(crypto, line + 7, size - 7);
	if (written >= 0 && !owner->pad)
		strip_padding(line);
	return written;
}

static bool suite_allowed(const struct media_crypto_options *options, enum srtp_suite suite)
{
	uint32_t bit = 1u << suite;
	return !options || (!(options->no_suites & bit) && (!options->only_suites || (options->only_suites & bit)));
}

/* As 10.5: an SRTP sender's suites go first into our offer with its tags and keys (the
 * lines as parsed: key and salt only), each suite once. Returns the mask of suites passed. */
static uint32_t pass_sender_keys(struct media_crypto *crypto, const struct media_crypto_options *options)
{
	uint32_t passed = 0;
	if (!options || !options->sender || !media_protocol_uses_sdes(options->sender->protocol))
		return 0;
	unsigned int position = 0;
	struct sdes_crypto theirs;
	const char *reason;
	while (crypto->offered_count < MEDIA_CRYPTO_OFFERED_SUITES
	       && next_crypto(options->sender, &position, &theirs, &reason)) {
		uint32_t bit = 1u << theirs.suite;
		if ((passed & bit) || !suite_allowed(options, theirs.suite))
			continue;
		struct offered_key *key = &crypto->offered[crypto->offered_count];
		key->crypto = (struct sdes_crypto) {
			.tag = theirs.tag, .suite = theirs.suite, .master_key_length = theirs.master_key_length,
			.master_salt_length = theirs.master_salt_length,
		};
		memcpy(key->crypto.master_key, theirs.master_key, theirs.master_key_length);
		memcpy(key->crypto.master_salt, theirs.master_salt, theirs.master_salt_length);
		if (format_line(crypto, &key->crypto, key->line, sizeof(key->line)) < 0)
			continue;
		crypto->offered_count++;
		passed |= bit;
	}
	return passed;
}

int media_crypto_offer(struct media *media, const char **lines, unsigned int capacity)
{
	return media_crypto_offer_with(media, NULL, lines, capacity);
}

int media_crypto_offer_with(struct media *media, const struct media_crypto_options *options, const char **lines,
			    unsigned int capacity)
{
	struct media_crypto *crypto = crypto_of(media);
	crypto->pad = options && options->pad;
	if (crypto->active && !crypto->offered) {
		/* Already agreed (re-INVITE). As upstream 10.5 (with or without SDES-static): the
		 * agreed suite and key first, then every other allowed suite with a fresh key,
		 * tagged above the agreed tag, so the answer may switch suite (RFC 4568 7.1.4). */
		crypto->offered = g_new0(struct offered_key, MEDIA_CRYPTO_OFFERED_SUITES);
		crypto->offered[0].crypto = crypto->ours;
		if (format_line(crypto, &crypto->ours, crypto->offered[0].line, sizeof(crypto->offered[0].line)) < 0) {
			g_free(crypto->offered);
			crypto->offered = NULL;
			return -ENOSPC;
		}
		crypto->offered_count = 1;
		uint32_t tag = crypto->ours.tag;
		for (unsigned int i = 0; i < MEDIA_CRYPTO_OFFERED_SUITES
		     && crypto->offered_count < MEDIA_CRYPTO_OFFERED_SUITES; i++) {
			struct offered_key *key = &crypto->offered[crypto->offered_count];
			if (offered_suites[i].suite != crypto->ours.suite && suite_allowed(options, offered_suites[i].suite)
			    && sdes_generate(&key->crypto, tag + 1, offered_suites[i].suite) == 0
			    && format_line(crypto, &key->crypto, key->line, sizeof(key->line)) >= 0) {
				crypto->offered_count++;
				tag++;
			}
		}
	}
	if (!crypto->offered) {
		/* a re-offer before the answer keeps the keys, so a late answer still matches */
		crypto->offered = g_new0(struct offered_key, MEDIA_CRYPTO_OFFERED_SUITES);
		crypto->offered_count = 0;
		uint32_t passed = pass_sender_keys(crypto, options);
		uint32_t tag = 0;
		for (unsigned int i = 0; i < crypto->offered_count; i++)
			tag = MAX(tag, crypto->offered[i].crypto.tag);
		for (unsigned int i = 0; i < MEDIA_CRYPTO_OFFERED_SUITES
		     && crypto->offered_count < MEDIA_CRYPTO_OFFERED_SUITES; i++) {
			struct offered_key *key = &crypto->offered[crypto->offered_count];
			uint32_t key_tag = passed ? tag + 1 : offered_suites[i].tag;
			if (!(passed & (1u << offered_suites[i].suite)) && suite_allowed(options, offered_suites[i].suite)
			    && sdes_generate(&key->crypto, key_tag, offered_suites[i].suite) == 0
			    && format_line(crypto, &key->crypto, key->line, sizeof(key->line)) >= 0) {
				crypto->offered_count++;
				tag = key_tag;
			}
		}
	}
	unsigned int count = 0;
	for (unsigned int i = 0; i < crypto->offered_count && count < capacity; i++)
		lines[count++] = crypto->offered[i].line;
	return (int) count;
}

int media_crypto_take_answer(struct media *media, const struct sdp_media *sdp_media, const char **reason)
{
	struct media_crypto *crypto = media->crypto;
	if (!crypto || (!crypto->offered && !crypto->active)) {
		*reason = "answer carries no SRTP we offered";
		return -EINVAL;
	}
	unsigned int position = 0;
	struct sdes_crypto theirs;
	while (next_crypto(sdp_media, &position, &theirs, reason)) {
		if (!crypto->offered) {
			/* re-INVITE: we offered the key in use; their key may have changed */
			if (theirs.tag != crypto->ours.tag || theirs.suite != crypto->ours.suite)
				continue;
			return same_key(&theirs, &crypto->theirs) ? 0 : start_contexts(crypto, &theirs);
		}
		for (unsigned int i = 0; i < crypto->offered_count; i++) {
			const struct sdes_crypto *offered = &crypto->offered[i].crypto;
			if (offered->tag != theirs.tag || offered->suite != theirs.suite)
				continue;
			/* a re-offer answered with the agreed suite and both keys unchanged keeps the
			 * running contexts (their replay state and rollover counter) */
			bool unchanged = crypto->active && same_key(offered, &crypto->ours) && same_key(&theirs, &crypto->theirs);
			crypto->ours = *offered;
			g_free(crypto->offered);
			crypto->offered = NULL;
			crypto->offered_count = 0;
			return unchanged ? 0 : start_contexts(crypto, &theirs);
		}
	}
	*reason = "no a=crypto in the answer matches a suite we offered";
	return -ENOENT;
}

int media_crypto_take_offer(struct media *media, const struct sdp_media *sdp_media, const char **reason)
{
	*reason = "no usable a=crypto line (RFC 4568) in the SRTP offer";
	unsigned int position = 0;
	struct sdes_crypto theirs;
	while (next_crypto(sdp_media, &position, &theirs, reason)) {
		struct media_crypto *crypto = crypto_of(media);
		/* a re-offer with the same key keeps the running contexts (their replay state) */
		if (crypto->active && same_key(&theirs, &crypto->theirs))
			return 0;
		if (sdes_generate(&crypto->ours, theirs.tag, theirs.suite) < 0)
			continue;
		if (format_line(crypto, &crypto->ours, crypto->answer_line, sizeof(crypto->answer_line)) < 0)
			continue;
		return start_contexts(crypto, &theirs);
	}
	return -ENOENT;
}

int media_crypto_restore(struct media *media, const struct sdes_crypto *ours, const struct sdes_crypto *theirs,
                         const char *answer_line)
{
	struct media_crypto *crypto = crypto_of(media);
	crypto->ours = *ours;
	crypto->ours.session_parameters = NULL;
	crypto->ours.session_parameters_length = 0;
	g_strlcpy(crypto->answer_line, answer_line ? answer_line : "", sizeof(crypto->answer_line));
	return start_contexts(crypto, theirs);
}

void media_crypto_publish(struct media *media)
{
	struct media_crypto *crypto = media->crypto;
	if (!crypto || !crypto->staged)
		return;
	crypto->retired = media->srtp;
	media->srtp = crypto->staged_srtp;
	crypto->staged_srtp = NULL;
	crypto->staged = false;
}

void media_crypto_release(struct media *media)
{
	struct media_crypto *crypto = media->crypto;
	if (!crypto)
		return;
	srtp_free(crypto->retired);
	crypto->retired = NULL;
}

void media_crypto_free(struct media *media)
{
	srtp_free(media->srtp);
	media->srtp = NULL;
	struct media_crypto *crypto = media->crypto;
	if (!crypto)
		return;
	srtp_free(crypto->staged_srtp);
	srtp_free(crypto->retired);
	g_free(crypto->offered);
	g_free(crypto);
	media->crypto = NULL;
}
