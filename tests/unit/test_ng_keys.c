/* Unit tests for daemon/ng_keys.c and its use in ng_flags.c: the table is complete and
 * consistent (a state and a reason for every entry, no name twice after normalisation),
 * requests are classified through it, and README.md names every refused entry. */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "bencode.h"
#include "ng_keys.h"
#include "ng_request.h"
#include "sdp.h"

/* ---- helpers ------------------------------------------------------------------------------ */

struct parsed {
	struct bencode_buffer *buffer;
	struct ng_request request;
};

/* Decodes a bencoded request dictionary and runs ng_flags_parse on it. */
static int parse(struct parsed *parsed, const char *bencoded)
{
	memset(parsed, 0, sizeof(*parsed));
	parsed->buffer = bencode_buffer_new();
	const char *error = NULL;
	struct bencode_item *input = bencode_decode(parsed->buffer, bencoded, strlen(bencoded), &error);
	g_assert_nonnull(input);
	parsed->request.buffer = parsed->buffer;
	parsed->request.input = input;
	parsed->request.reply = bencode_dictionary_new(parsed->buffer);
	return ng_flags_parse(&parsed->request);
}

static void parsed_free(struct parsed *parsed)
{
	bencode_buffer_free(parsed->buffer);
}

static struct sdp_session *sdp_of(const char *protocol, const char *extra_lines)
{
	g_autofree char *text = g_strdup_printf("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\n"
						"t=0 0\r\nm=audio 40000 %s 0\r\n%s", protocol, extra_lines);
	const char *error = NULL;
	struct sdp_session *sdp = sdp_parse(text, strlen(text), &error);
	g_assert_nonnull(sdp);
	return sdp;
}

/* ---- the table ------------------------------------------------------------------------------ */

static void test_every_entry_has_state_and_reason(void)
{
	size_t count = 0;
	const struct ng_key *table = ng_keys_table(&count);
	g_assert_cmpuint(count, >, 150);
	for (size_t i = 0; i < count; i++) {
		const struct ng_key *entry = &table[i];
		g_assert_nonnull(entry->key);
		g_assert_true(entry->state == NG_KEY_SUPPORTED || entry->state == NG_KEY_IGNORED
			      || entry->state == NG_KEY_WARN || entry->state == NG_KEY_REFUSED);
		if (!entry->reason || !*entry->reason)
			g_error("entry %s=%s has no reason", entry->key, entry->value ? entry->value : "*");
		g_assert_true(!entry->prefix || entry->value);
		/* only supported entries (and a WARN served in part) change the flags */
		g_assert_true(!entry->set || entry->state == NG_KEY_SUPPORTED || entry->state == NG_KEY_WARN);
	}
}

static void test_names_are_normalised_and_unique(void)
{
	size_t count = 0;
	const struct ng_key *table = ng_keys_table(&count);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (size_t i = 0; i < count; i++) {
		char key[128], value[128];
		ng_keys_normalise(table[i].key, strlen(table[i].key), key, sizeof(key));
		g_assert_cmpstr(key, ==, table[i].key);
		if (table[i].value) {
			ng_keys_normalise(table[i].value, strlen(table[i].value), value, sizeof(value));
			g_assert_cmpstr(value, ==, table[i].value);
		}
		char *name = g_strdup_printf("%s|%s|%d", key, table[i].value ? table[i].value : "*", table[i].prefix);
		if (g_hash_table_contains(seen, name))
			g_error("duplicate table entry %s", name);
		g_hash_table_add(seen, name);
	}
	g_hash_table_destroy(seen);
}

static void test_find_spellings(void)
{
	const struct ng_key *entry = ng_keys_find("record call", "yes");
	g_assert_nonnull(entry);
	g_assert_cmpint(entry->state, ==, NG_KEY_WARN);
	g_assert_true(entry == ng_keys_find("Record_Call", "YES"));
	/* call recording: served with --recording-dir, warned without (NG_SCOPE_UNRECORDED) */
	g_assert_true(entry->scope & NG_SCOPE_UNRECORDED);
	g_assert_cmpint(ng_keys_find("record-call", "no")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("DTLS", "off")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("DTLS", "passive")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("DTLS", "something")->state, ==, NG_KEY_IGNORED);
	g_assert_cmpint(ng_keys_find("transport-protocol", "UDP/TLS/RTP/SAVPF")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("flags", "SIP source address")->state, ==, NG_KEY_SUPPORTED);
	/* the longest prefix wins; SDES-no alone is the exact entry */
	g_assert_cmpint(ng_keys_find("flags", "SDES-no")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("flags", "SDES-no-AES_CM_128_HMAC_SHA1_32")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("flags", "SDES-lifetime")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("flags", "SDES-unencrypted_srtp")->state, ==, NG_KEY_WARN);
	g_assert_cmpint(ng_keys_find("flags", "codec-strip-PCMA")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("flags", "always-transcode")->state, ==, NG_KEY_SUPPORTED);
	g_assert_cmpint(ng_keys_find("flags", "codec-accept-PCMA")->state, ==, NG_KEY_SUPPORTED);
	g_assert_null(ng_keys_find("flags", "no-such-flag"));
	g_assert_null(ng_keys_find("no-such-key", NULL));
	g_assert_null(ng_keys_find("ICE", "sideways"));
}

/* The look-up reads received text in place: not NUL-terminated, cut at a NUL, and every
 * table entry is found through it in any spelling. */
static void test_find_text_in_place(void)
{
	size_t count = 0;
	const struct ng_key *table = ng_keys_table(&count);
	for (size_t i = 0; i < count; i++) {
		if (table[i].prefix)
			continue;
		/* upper case, '_' for '-', and a byte after the end that must not be read as part */
		char key[128], value[128];
		size_t key_length = strlen(table[i].key), value_length = table[i].value ? strlen(table[i].value) : 0;
		for (size_t j = 0; j < key_length; j++)
			key[j] = table[i].key[j] == '-' ? '_' : g_ascii_toupper(table[i].key[j]);
		key[key_length] = 'X';
		for (size_t j = 0; j < value_length; j++)
			value[j] = table[i].value[j] == '-' ? ' ' : g_ascii_toupper(table[i].value[j]);
		value[value_length] = 'X';
		const struct ng_key *found = ng_keys_find_text(key, key_length, table[i].value ? value : NULL, value_length);
		g_assert_true(found == ng_keys_find(table[i].key, table[i].value));
		g_assert_nonnull(found);
		g_assert_cmpstr(found->key, ==, table[i].key);
	}
	/* text after a NUL is not part of the name */
	g_assert_true(ng_keys_find_text("ICE\0garbage", 11, "remove\0x", 8) == ng_keys_find("ICE", "remove"));
	/* a value far longer than any table value: never an exact entry, prefixes still match */
	char long_value[300];
	memset(long_value, 'a', sizeof(long_value));
	memcpy(long_value, "remove", 6);
	g_assert_true(ng_keys_find_text("ICE", 3, long_value, sizeof(long_value)) == ng_keys_find("ICE", NULL));
	memcpy(long_value, "codec-strip-", 12);
	g_assert_true(ng_keys_find_text("flags", 5, long_value, sizeof(long_value)) == ng_keys_find("flags", "codec-strip-x"));
	g_assert_null(ng_keys_find_text("", 0, NULL, 0));
}

/* ---- requests ------------------------------------------------------------------------------- */

static void test_supported_flags_are_applied(void)
{
	struct parsed parsed;
	g_assert_cmpint(parse(&parsed, "d7:command5:offer5:flagsl13:trust address10:ICE=remove"
			      "13:strict_source14:replace=origine3:ICE5:force8:rtcp-muxl5:demuxee"), ==, 0);
	const struct ng_flags *flags = &parsed.request.flags;
	g_assert_true(flags->trust_address);
	g_assert_true(flags->strict_source);
	g_assert_true(flags->replace_origin);
	g_assert_true(flags->rtcp_mux_demux);
	g_assert_cmpint(flags->ice, ==, NG_ICE_FORCE);
	g_assert_cmpuint(flags->refused_count + flags->warned_count, ==, 0);
	parsed_free(&parsed);
}

static void test_refused_and_warned_are_noted(void)
{
	struct parsed parsed;
	g_assert_cmpint(parse(&parsed, "d7:command5:offer10:media-echo8:sideways4:T.38l6:decodee"
			      "5:flagsl11:record-calle8:metadata1:xe"), ==, 0);
	const struct ng_flags *flags = &parsed.request.flags;
	g_assert_cmpuint(flags->refused_count, ==, 2);   /* media-echo, T.38 */
	g_assert_cmpuint(flags->warned_count, ==, 2);    /* record-call, metadata */
	g_assert_cmpstr(flags->refused[0].spelling, ==, "media-echo=sideways");
	g_assert_cmpstr(flags->refused[1].spelling, ==, "T.38=decode");
	parsed_free(&parsed);
}

/* media-echo's modes and their short spellings (ng_request.h enum ng_media_echo); "off"
 * changes nothing, as 10.5 */
static void test_media_echo_modes(void)
{
	static const struct { const char *request; enum ng_media_echo mode; } cases[] = {
		{ "d7:command5:offer10:media-echo9:blackholee", NG_MEDIA_ECHO_BLACKHOLE },
		{ "d7:command5:offer10:media-echo8:sinkholee", NG_MEDIA_ECHO_BLACKHOLE },
		{ "d7:command5:offer10:media-echo7:forwarde", NG_MEDIA_ECHO_FORWARD },
		{ "d7:command5:offer10:media-echo3:fwde", NG_MEDIA_ECHO_FORWARD },
		{ "d7:command6:answer10:media-echo9:backwardse", NG_MEDIA_ECHO_BACKWARDS },
		{ "d7:command5:offer10:media echo3:bkwe", NG_MEDIA_ECHO_BACKWARDS },
		{ "d7:command5:offer10:media-echo4:bothe", NG_MEDIA_ECHO_BOTH },
		{ "d7:command5:offer10:media-echo3:offe", NG_MEDIA_ECHO_UNSET },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct parsed parsed;
		g_assert_cmpint(parse(&parsed, cases[i].request), ==, 0);
		g_assert_cmpint(parsed.request.flags.media_echo, ==, cases[i].mode);
		g_assert_cmpuint(parsed.request.flags.refused_count + parsed.request.flags.warned_count, ==, 0);
		parsed_free(&parsed);
	}
}

/* The keys that need no table look-up (call-id, sdp, ...) are passed over by position: the
 * keys between and after them are still looked up. */
static void test_keys_after_plain_keys_are_classified(void)
{
	struct parsed parsed;
	g_assert_cmpint(parse(&parsed, "d7:command5:offer7:call-id1:c18:transport-protocol16:UDP/TLS/RTP/SAVP"
			      "3:sdp3:v=08:from-tag1:f3:ICE6:remove5:label1:l8:metadata1:xe"), ==, 0);
	const struct ng_flags *flags = &parsed.request.flags;
	g_assert_cmpuint(flags->refused_count, ==, 0);   /* transport-protocol=UDP/TLS/RTP/SAVP is supported */
	g_assert_cmpuint(flags->warned_count, ==, 1);    /* metadata, the last key */
	g_assert_cmpint(flags->ice, ==, NG_ICE_REMOVE);
	g_assert_cmpstr(flags->call_id, ==, "c");
	g_assert_cmpstr(flags->label, ==, "l");
	parsed_free(&parsed);
}

/* codec dictionary and codec-* flags land in flags->codec, names as received */
static void test_codec_options_are_read(void)
{
	struct parsed parsed;
	g_assert_cmpint(parse(&parsed, "d7:command5:offer5:codecd5:stripl4:PCMA3:alle6:exceptl4:opuse"
			      "9:transcodel4:PCMUee5:flagsl16:codec-offer-G72212:single-codec25:transcode-telephone-evente"
			      "5:ptimei30e13:ptime-reversei40ee"), ==, 0);
	const struct codec_options *codec = &parsed.request.flags.codec;
	g_assert_cmpuint(parsed.request.flags.refused_count + parsed.request.flags.warned_count, ==, 0);
	g_assert_cmpuint(codec->strip.count, ==, 2);
	g_assert_cmpstr(codec->strip.names[0], ==, "PCMA");
	g_assert_cmpstr(codec->strip.names[1], ==, "all");
	g_assert_cmpstr(codec->except.names[0], ==, "opus");
	g_assert_cmpuint(codec->offer.count, ==, 1);
	g_assert_cmpstr(codec->offer.names[0], ==, "G722");
	g_assert_cmpuint(codec->transcode.count, ==, 2);
	g_assert_cmpstr(codec->transcode.names[1], ==, "telephone-event");
	g_assert_true(codec->single_codec);
	g_assert_cmpint(codec->ptime, ==, 30);
	g_assert_cmpint(codec->ptime_reverse, ==, 40);
	parsed_free(&parsed);
}

static void test_empty_codec_lists_are_fine(void)
{
	struct parsed parsed;
	g_assert_cmpint(parse(&parsed, "d7:command5:offer5:codecd5:striple9:transcodeleee"), ==, 0);
	g_assert_cmpuint(parsed.request.flags.refused_count, ==, 0);
	parsed_free(&parsed);
}

static void test_check_refuses_in_scope_only(void)
{
	struct parsed parsed;
	struct sdp_session *plain = sdp_of("RTP/AVP", "");
	struct sdp_session *srtp = sdp_of("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
					  "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n");
	/* an SDES option changes nothing on a plain call (as upstream), but is noted on an SRTP one */
	parse(&parsed, "d7:command5:offer5:flagsl21:SDES-unencrypted_srtpee");
	g_assert_cmpint(ng_keys_check(&parsed.request, plain, true), ==, 0);
	g_assert_null(parsed.request.warning);
	g_assert_cmpint(ng_keys_check(&parsed.request, srtp, true), ==, 0);
	g_assert_nonnull(parsed.request.warning);
	g_assert_nonnull(strstr(parsed.request.warning, "SDES-unencrypted_srtp"));
	parsed_free(&parsed);
	/* the T.38 gateway is read in offers only, force where there is audio to turn into T.38 */
	parse(&parsed, "d7:command6:answer4:T.38l5:forceee");
	g_assert_cmpint(ng_keys_check(&parsed.request, plain, false), ==, 0);
	g_assert_cmpint(ng_keys_check(&parsed.request, plain, true), ==, -ENOTSUP);
	parsed_free(&parsed);
	/* decode only where there is T.38 to turn into audio (10.5 passes audio on unchanged) */
	parse(&parsed, "d7:command5:offer4:T.38l6:decodeee");
	g_assert_cmpint(ng_keys_check(&parsed.request, plain, true), ==, 0);
	parsed_free(&parsed);
	sdp_session_free(plain);
	sdp_session_free(srtp);
}

/* Refusals that may be out of scope must not crowd out an unconditional one. */
static void test_unconditional_refusal_survives_many_notes(void)
{
	struct parsed parsed;
	struct sdp_session *plain = sdp_of("RTP/AVP", "");
	/* the table has fewer refusals than slots now (DTMF keys and codec options are served):
	 * the slots are filled with offer-only refusals of the test's own, then media-echo comes
	 * last and still takes the last slot */
	static const struct ng_key offer_only[NG_MAX_NOTED_KEYS] = {
		[0 ... NG_MAX_NOTED_KEYS - 1] = { "test-key", NULL, false, NG_KEY_REFUSED, NG_SCOPE_OFFER, NULL, "a test" },
	};
	parse(&parsed, "d7:command6:answere");
	for (unsigned int i = 0; i < NG_MAX_NOTED_KEYS; i++)
		ng_keys_note(&parsed.request, &offer_only[i], "test-key");
	const struct ng_key *media_echo = ng_keys_find("media-echo", "sideways");
	g_assert_nonnull(media_echo);
	ng_keys_note(&parsed.request, media_echo, "media-echo");
	g_assert_cmpuint(parsed.request.flags.refused_count, ==, NG_MAX_NOTED_KEYS);
	g_assert_cmpint(ng_keys_check(&parsed.request, plain, false), ==, -ENOTSUP);
	g_assert_cmpstr(parsed.request.flags.refused[NG_MAX_NOTED_KEYS - 1].entry->key, ==, "media-echo");
	sdp_session_free(plain);
	parsed_free(&parsed);
}

/* Without the daemon's DTLS certificate (made at start-up, dtls_certificate.h) DTLS-SRTP
 * cannot be terminated: such SDP is refused with the reason. */
static void test_check_refuses_dtls_sdp(void)
{
	struct parsed parsed;
	parse(&parsed, "d7:command5:offere");
	struct sdp_session *udp_tls = sdp_of("UDP/TLS/RTP/SAVPF", "a=setup:actpass\r\n");
	g_assert_cmpint(ng_keys_check(&parsed.request, udp_tls, true), ==, -ENOTSUP);
	g_assert_nonnull(strstr(parsed.request.error_reason, "UDP/TLS/RTP/SAVPF"));
	struct sdp_session *fingerprint_only = sdp_of("RTP/SAVPF", "a=fingerprint:sha-256 AA:BB\r\n");
	g_assert_cmpint(ng_keys_check(&parsed.request, fingerprint_only, true), ==, -ENOTSUP);
	/* with SDES keys as well, the SDES offer is served and the fingerprint dropped */
	struct sdp_session *both = sdp_of("RTP/SAVPF", "a=fingerprint:sha-256 AA:BB\r\n"
					  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n");
	g_assert_cmpint(ng_keys_check(&parsed.request, both, true), ==, 0);
	sdp_session_free(udp_tls);
	sdp_session_free(fingerprint_only);
	sdp_session_free(both);
	parsed_free(&parsed);
}

static void test_check_warns_once_with_every_feature(void)
{
	struct parsed parsed;
	struct sdp_session *plain = sdp_of("RTP/AVP", "");
	parse(&parsed, "d7:command5:offer7:call-id2:c111:record call3:yes5:flagsl10:reject-iceee");
	g_assert_cmpint(ng_keys_check(&parsed.request, plain, true), ==, 0);
	g_assert_nonnull(parsed.request.warning);
	g_assert_nonnull(strstr(parsed.request.warning, "call recording"));
	g_assert_nonnull(strstr(parsed.request.warning, "record call=yes"));
	g_assert_nonnull(strstr(parsed.request.warning, "reject-ICE"));
	sdp_session_free(plain);
	parsed_free(&parsed);
}

/* ---- README ----------------------------------------------------------------------------------- */

/* README.md beside tests/: found from this file's path, whatever the working directory. */
static char *read_readme(void)
{
	const char *suffix = "tests/unit/test_ng_keys.c";
	const char *file = __FILE__;
	size_t prefix = strlen(file) >= strlen(suffix) ? strlen(file) - strlen(suffix) : 0;
	g_autofree char *path = g_strdup_printf("%.*sREADME.md", (int) prefix, file);
	char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		g_error("cannot read %s", path);
	return text;
}

static void test_readme_names_every_refused_entry(void)
{
	g_autofree char *readme = read_readme();
	g_autofree char *lower = g_ascii_strdown(readme, -1);
	size_t count = 0;
	const struct ng_key *table = ng_keys_table(&count);
	for (size_t i = 0; i < count; i++) {
		if (table[i].state != NG_KEY_REFUSED)
			continue;
		/* "flags" entries by their name, others by key (or key=value) */
		const char *name = !strcmp(table[i].key, "flags") ? table[i].value : table[i].key;
		g_autofree char *quoted = g_strdup_printf("`%s", name);
		if (!strstr(lower, quoted))
			g_error("README.md does not mention refused ng entry %s", name);
		if (table[i].value && strcmp(table[i].key, "flags")) {
			g_autofree char *pair = g_strdup_printf("%s=%s", table[i].key, table[i].value);
			if (!strstr(lower, pair))
				g_error("README.md does not mention refused ng value %s", pair);
		}
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ng_keys/every_entry_has_state_and_reason", test_every_entry_has_state_and_reason);
	g_test_add_func("/ng_keys/names_are_normalised_and_unique", test_names_are_normalised_and_unique);
	g_test_add_func("/ng_keys/find_spellings", test_find_spellings);
	g_test_add_func("/ng_keys/find_text_in_place", test_find_text_in_place);
	g_test_add_func("/ng_keys/keys_after_plain_keys_are_classified", test_keys_after_plain_keys_are_classified);
	g_test_add_func("/ng_keys/supported_flags_are_applied", test_supported_flags_are_applied);
	g_test_add_func("/ng_keys/refused_and_warned_are_noted", test_refused_and_warned_are_noted);
	g_test_add_func("/ng_keys/media_echo_modes", test_media_echo_modes);
	g_test_add_func("/ng_keys/empty_codec_lists_are_fine", test_empty_codec_lists_are_fine);
	g_test_add_func("/ng_keys/codec_options_are_read", test_codec_options_are_read);
	g_test_add_func("/ng_keys/check_refuses_in_scope_only", test_check_refuses_in_scope_only);
	g_test_add_func("/ng_keys/unconditional_refusal_survives_many_notes",
			test_unconditional_refusal_survives_many_notes);
	g_test_add_func("/ng_keys/check_refuses_dtls_sdp", test_check_refuses_dtls_sdp);
	g_test_add_func("/ng_keys/check_warns_once_with_every_feature", test_check_warns_once_with_every_feature);
	g_test_add_func("/ng_keys/readme_names_every_refused_entry", test_readme_names_every_refused_entry);
	return g_test_run();
}
