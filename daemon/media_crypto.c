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

/* Upstream 10.5 offers these suites in this order (all 12), tagged 1.. as in this table when none is left out. */
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

/* The other side's usable, allowed keys first (its tags), then (a re-offer) the agreed key,
 * then our fresh keys for the other suites, tagged after the highest tag so far. */
static void offer_keys(struct media_crypto *crypto, const struct media_crypto_options *options,
		       const struct sdp_media *peer_offer, const struct sdes_crypto *agreed)
{
	uint32_t next_tag = 1, peer_suites = 0;
	unsigned int position = 0;
	struct sdes_crypto theirs;
	const char *reason = NULL;
	while (peer_offer && crypto->offered_count < MEDIA_CRYPTO_OFFERED_SUITES
	       && next_crypto(peer_offer, &position, &theirs, &reason)) {
		struct offered_key *key = &crypto->offered[crypto->offered_count];
		if (!suite_allowed(options, theirs.suite) || (peer_suites & (1u << theirs.suite)))
			continue;
		key->crypto = theirs;
		key->crypto.session_parameters = NULL;   /* points into the request's SDP */
		key->crypto.session_parameters_length = 0;
		key->from_peer = true;
		if (format_line(crypto, &key->crypto, key->line, sizeof(key->line)) < 0)
			continue;
		peer_suites |= 1u << theirs.suite;
		if (theirs.tag >= next_tag)
			next_tag = theirs.tag + 1;
		crypto->offered_count++;
	}
	/* SDES re-offers (sdes2), as 10.5: the agreed suite and key stay on offer (unless the
	 * other side's offer has that suite), tagged above the other side's tags; the answer may
	 * keep it or switch to one of the others (RFC 4568 section 7.1.4) */
	if (agreed && !(peer_suites & (1u << agreed->suite)) && crypto->offered_count < MEDIA_CRYPTO_OFFERED_SUITES) {
		struct offered_key *key = &crypto->offered[crypto->offered_count];
		key->crypto = *agreed;
		if (key->crypto.tag < next_tag)
			key->crypto.tag = next_tag;
		key->from_peer = false;
		if (format_line(crypto, &key->crypto, key->line, sizeof(key->line)) >= 0) {
			peer_suites |= 1u << agreed->suite;
			next_tag = key->crypto.tag + 1;
			crypto->offered_count++;
		}
	}
	for (unsigned int i = 0; i < MEDIA_CRYPTO_OFFERED_SUITES && crypto->offered_count < MEDIA_CRYPTO_OFFERED_SUITES; i++) {
		struct offered_key *key = &crypto->offered[crypto->offered_count];
		/* as 10.5: the tags count the suites offered, a left-out suite leaves no gap */
		if (suite_allowed(options, offered_suites[i].suite) && !(peer_suites & (1u << offered_suites[i].suite))
		    && sdes_generate(&key->crypto, next_tag, offered_suites[i].suite) == 0
		    && format_line(crypto, &key->crypto, key->line, sizeof(key->line)) >= 0) {
			key->from_peer = false;
			crypto->offered_count++;
			next_tag++;
		}
	}
}

int media_crypto_offer(struct media *media, const char **lines, unsigned int capacity)
{
	return media_crypto_offer_with(media, NULL, lines, capacity);
}

int media_crypto_offer_with(struct media *media, const struct media_crypto_options *options, const char **lines,
			    unsigned int capacity)
{
	return media_crypto_offer_reusing(media, options, NULL, lines, capacity);
}

int media_crypto_offer_reusing(struct media *media, const struct media_crypto_options *options,
			       const struct sdp_media *peer_offer, const char **lines, unsigned int capacity)
{
	struct media_crypto *crypto = crypto_of(media);
	crypto->pad = options && options->pad;
	if (crypto->active && !crypto->offered) {
		/* already agreed (re-INVITE): the agreed key and all the others, as 10.5 */
		crypto->offered = g_new0(struct offered_key, MEDIA_CRYPTO_OFFERED_SUITES);
		crypto->offered_count = 0;
		offer_keys(crypto, options, peer_offer, &crypto->ours);
	}
	if (!crypto->offered) {
		/* a re-offer before the answer keeps the keys, so a late answer still matches */
		crypto->offered = g_new0(struct offered_key, MEDIA_CRYPTO_OFFERED_SUITES);
		crypto->offered_count = 0;
		offer_keys(crypto, options, peer_offer, NULL);
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
			crypto->peer_key_taken = crypto->offered[i].from_peer;
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
	return media_crypto_take_offer_with(media, sdp_media, NULL, reason);
}

int media_crypto_take_offer_with(struct media *media, const struct sdp_media *sdp_media,
				 const struct media_crypto_options *options, const char **reason)
{
	*reason = "no usable a=crypto line (RFC 4568) in the SRTP offer";
	unsigned int position = 0;
	struct sdes_crypto theirs;
	while (next_crypto(sdp_media, &position, &theirs, reason)) {
		/* SDES-no-SUITE / SDES-only-SUITE leave the suite out of our answer too (as 10.5) */
		if (!suite_allowed(options, theirs.suite))
			continue;
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

int media_crypto_mirror(struct media *offerer, const struct media *answered)
{
	const struct media_crypto *taken = answered->crypto;
	if (!taken || !taken->peer_key_taken || !taken->active)
		return 0;
	struct media_crypto *crypto = crypto_of(offerer);
	/* a re-INVITE with the same keys keeps the running contexts (rollover counters, replay) */
	if (crypto->active && same_key(&crypto->ours, &taken->theirs) && same_key(&crypto->theirs, &taken->ours))
		return 0;
	/* towards the offerer: the answerer's key under the tag both chose (RFC 4568 section 5.1.2) */
	crypto->ours = taken->theirs;
	if (format_line(crypto, &crypto->ours, crypto->answer_line, sizeof(crypto->answer_line)) < 0)
		return -ENOSPC;
	return start_contexts(crypto, &taken->ours);
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
