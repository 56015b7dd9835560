/* The Redis value of a call (daemon/redis_value.c): every field survives encode and decode,
 * version 1 values are still read, a wrong or unknown value is refused at the door with a
 * reason; SRTP positions resume so that a packet seen before is refused and the next one is
 * taken (lib/srtp.c). No sockets, no worker. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "bundle.h"
#include "call.h"
#include "dtls.h"
#include "dtls_srtp.h"
#include "interface.h"
#include "dtmf_delay.h"
#include "media_control.h"
#include "media_crypto.h"
#include "media_transcode.h"
#include "pubsub.h"
#include "redis_value.h"
#include "rtp_header.h"

static struct local_interface interface;

static void set_endpoint(union endpoint *endpoint, const char *text)
{
	g_assert_cmpint(endpoint_parse_text(endpoint, text, strlen(text)), ==, 0);
}

/* A two-sided call: caller with SDES keys, callee plain, latched sources, ICE credentials. */
static struct call *build_call(const char *call_id)
{
	struct call *call = call_create(call_id, NULL);
	struct monologue *caller = call_add_monologue(call, "from-tag");
	struct monologue *callee = call_add_monologue(call, "to-tag");
	caller->peer = callee;
	callee->peer = caller;
	caller->via_branch = g_strdup("z9hG4bK-1");
	caller->label = g_strdup("cal\"ler\\ \x01");   /* escaped in the value */
	caller->flags = SIDE_STRICT_SOURCE;
	struct media *a = monologue_add_media(caller, "audio", "RTP/SAVP");
	struct media *b = monologue_add_media(callee, "audio", "RTP/AVP");
	a->interface = b->interface = &interface;
	a->rtp_port = 30000;
	b->rtp_port = 30002;
	a->direction = SDP_DIRECTION_SENDONLY;
	a->rtcp_mux = a->rtcp_mux_offered = true;
	a->rtcp_mux_policy = 2;
	a->ice_seen = true;
	strcpy(a->ice_ufrag, "abcdEFGH");
	strcpy(a->ice_pwd, "0123456789abcdefghijklmnop");
	strcpy(a->codecs, "PCMU/8000 PCMA/8000");
	b->rejected = false;
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		a->streams[kind].sink = &b->streams[kind];
		b->streams[kind].sink = &a->streams[kind];
	}
	set_endpoint(&a->streams[STREAM_RTP].advertised, "192.0.2.10:4000");
	set_endpoint(&a->streams[STREAM_RTCP].advertised, "192.0.2.10:4001");
	set_endpoint(&a->streams[STREAM_RTP].learned, "198.51.100.7:4444");
	a->streams[STREAM_RTP].state = STREAM_FILLED | STREAM_LATCHED | STREAM_CONFIRMED;
	set_endpoint(&b->streams[STREAM_RTP].advertised, "[2001:db8::5]:6000");
	b->streams[STREAM_RTP].state = STREAM_FILLED;

	struct sdes_crypto ours, theirs;
	g_assert_cmpint(sdes_generate(&ours, 7, SRTP_AES_CM_128_HMAC_SHA1_80), ==, 0);
	g_assert_cmpint(sdes_generate(&theirs, 7, SRTP_AES_CM_128_HMAC_SHA1_80), ==, 0);
	g_assert_cmpint(media_crypto_restore(a, &ours, &theirs, "crypto:7 AES_CM_128_HMAC_SHA1_80 inline:x"), ==, 0);
	media_crypto_publish(a);
	media_crypto_release(a);
	/* a position as the worker leaves it after some packets */
	struct srtp_ssrc_position position = { .ssrc = 0x11223344, .rtp_seen = true, .rtcp_seen = true,
					       .rtp_index = (3ull << 16) | 500, .rtcp_index = 41 };
	srtp_context_resume(&a->srtp->decrypt, &position, 0);
	call_refresh_forwarding(call);
	return call;
}

static void assert_same_endpoint(const union endpoint *a, const union endpoint *b)
{
	g_assert_cmpint(endpoint_is_set(a), ==, endpoint_is_set(b));
	if (endpoint_is_set(a))
		g_assert_true(endpoint_equal(a, b));
}

/* Where the value of the field at `key` (its opening quote) ends: after its number, word or
 * string, or after the bracket that closes its object or array (strings inside skipped). */
static const char *field_end(const char *key)
{
	const char *at = strchr(key + 1, '"') + 2;   /* past the key's closing quote and ':' */
	if (*at != '{' && *at != '[' && *at != '"') {
		while (*at == '-' || g_ascii_isalnum(*at))
			at++;
		return at;
	}
	unsigned int depth = 0;
	bool quoted = false;
	for (; *at; at++) {
		if (quoted) {
			if (*at == '\\') {
				at++;
				continue;
			}
			if (*at != '"')
				continue;
			quoted = false;
			if (!depth)
				return at + 1;   /* a string value */
			continue;
		}
		if (*at == '"')
			quoted = true;
		else if (*at == '{' || *at == '[')
			depth++;
		else if ((*at == '}' || *at == ']') && !--depth)
			return at + 1;
	}
	g_assert_not_reached();
}

/* The value as a writer before these fields left it (what older daemons left in Redis): each
 * field named in `keys` (NULL-terminated) taken out wherever it occurs, with the comma before
 * it. The one way the tests below make an older value. */
static char *older_value(const char *text, const char *const *keys)
{
	char *value = g_strdup(text);
	for (; *keys; keys++) {
		g_autofree char *search = g_strdup_printf(",\"%s\":", *keys);
		for (char *at = strstr(value, search); at; at = strstr(value, search)) {
			const char *end = field_end(at + 1);
			memmove(at, end, strlen(end) + 1);
		}
	}
	return value;
}

/* The value with its first `from` replaced by `to` is refused with `reason`. */
static void assert_edit_refused(const char *text, const char *from, const char *to, const char *reason)
{
	const char *at = strstr(text, from);
	g_assert_nonnull(at);
	g_autofree char *head = g_strndup(text, (size_t) (at - text));
	g_autofree char *edited = g_strconcat(head, to, at + strlen(from), NULL);
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *why = NULL;
	g_assert_cmpint(redis_value_decode(edited, strlen(edited), record, &why), ==, -EINVAL);
	g_assert_cmpstr(why, ==, reason);
	g_free(record);
}

static void test_round_trip(void)
{
	struct call *call = build_call("round-trip@example");
	size_t length = 0;
	char *text = redis_value_encode(call, &length);
	g_assert_cmpuint(length, ==, strlen(text));
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	g_assert_cmpuint(record->version, ==, REDIS_VALUE_VERSION);
	g_assert_cmpstr(record->call_id, ==, call->call_id);
	g_assert_cmpint(record->created_us, ==, call->created_us);
	g_assert_cmpint(record->last_signal_us, ==, call->last_signal_us);
	g_assert_cmpuint(record->monologue_count, ==, 2);
	for (unsigned int m = 0; m < 2; m++) {
		const struct monologue *monologue = call->monologues[m];
		const struct redis_monologue_record *stored = &record->monologues[m];
		g_assert_cmpstr(stored->tag, ==, monologue->tag);
		g_assert_cmpstr(stored->via_branch, ==, monologue->via_branch);
		g_assert_cmpstr(stored->label, ==, monologue->label);
		g_assert_cmpint(stored->created_us, ==, monologue->created_us);
		g_assert_cmpuint(stored->flags, ==, monologue->flags);
		g_assert_cmpint(stored->peer, ==, 1 - (int) m);
		g_assert_cmpuint(stored->media_count, ==, 1);
		const struct media *media = monologue->media[0];
		const struct redis_media_record *from = &stored->media[0];
		g_assert_cmpstr(from->type, ==, media->type);
		g_assert_cmpstr(from->protocol, ==, media->protocol);
		g_assert_cmpstr(from->interface, ==, "default");
		assert_same_endpoint(&from->local, &interface.local);
		g_assert_cmpint(from->direction, ==, (int) media->direction);
		g_assert_cmpint(from->rejected, ==, media->rejected);
		g_assert_cmpint(from->rtcp_mux, ==, media->rtcp_mux);
		g_assert_cmpint(from->rtcp_mux_offered, ==, media->rtcp_mux_offered);
		g_assert_cmpuint(from->rtcp_mux_policy, ==, media->rtcp_mux_policy);
		g_assert_cmpint(from->ice_seen, ==, media->ice_seen);
		g_assert_cmpstr(from->ice_ufrag, ==, media->ice_ufrag);
		g_assert_cmpstr(from->ice_pwd, ==, media->ice_pwd);
		g_assert_cmpuint(from->rtp_port, ==, media->rtp_port);
		g_assert_cmpstr(from->codecs, ==, media->codecs);
		g_assert_cmpint(from->sink_monologue, ==, 1 - (int) m);
		g_assert_cmpint(from->sink_media, ==, 0);
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			g_assert_cmpuint(from->streams[kind].state, ==, media->streams[kind].state);
			assert_same_endpoint(&from->streams[kind].advertised, &media->streams[kind].advertised);
			assert_same_endpoint(&from->streams[kind].learned, &media->streams[kind].learned);
		}
		g_assert_cmpint(from->sdes, ==, media->crypto != NULL);
		if (!media->crypto)
			continue;
		const struct media_crypto *crypto = media->crypto;
		g_assert_cmpuint(from->ours.tag, ==, crypto->ours.tag);
		g_assert_cmpint(from->ours.suite, ==, crypto->ours.suite);
		g_assert_cmpmem(from->ours.master_key, from->ours.master_key_length, crypto->ours.master_key,
				crypto->ours.master_key_length);
		g_assert_cmpmem(from->ours.master_salt, from->ours.master_salt_length, crypto->ours.master_salt,
				crypto->ours.master_salt_length);
		g_assert_cmpmem(from->theirs.master_key, from->theirs.master_key_length, crypto->theirs.master_key,
				crypto->theirs.master_key_length);
		g_assert_cmpstr(from->answer_line, ==, crypto->answer_line);
		g_assert_cmpuint(from->decrypt_count, ==, 1);
		g_assert_cmpuint(from->decrypt[0].ssrc, ==, 0x11223344);
		g_assert_true(from->decrypt[0].rtp_seen && from->decrypt[0].rtcp_seen);
		g_assert_cmpuint(from->decrypt[0].rtp_index, ==, (3ull << 16) | 500);
		g_assert_cmpuint(from->decrypt[0].rtcp_index, ==, 41);
		g_assert_cmpuint(from->encrypt_count, ==, 0);
	}
	/* the cost the writer pays per value, and the restore per value before its sockets */
	const int rounds = 2000;
	gint64 started = g_get_monotonic_time();
	for (int i = 0; i < rounds; i++)
		g_free(redis_value_encode(call, NULL));
	gint64 encoded = g_get_monotonic_time();
	for (int i = 0; i < rounds; i++)
		g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	gint64 decoded = g_get_monotonic_time();
	g_test_message("%zu-byte value: encode %.1f us, decode %.1f us", length,
		       (double) (encoded - started) / rounds, (double) (decoded - encoded) / rounds);
	redis_call_record_clear(record);
	g_free(record);
	g_free(text);
	call_destroy(call, "test");
}

/* An established association on the port of kind (as the worker leaves it): keys installed. */
static void establish_dtls(struct media *media, int kind, unsigned char first_byte)
{
	struct dtls_connection *dtls = dtls_connection_of(&media->streams[kind]);
	dtls->params.enabled = true;
	dtls->params.active = kind == STREAM_RTCP;
	dtls->state = DTLS_ESTABLISHED;
	dtls->srtp_profile = 1;   /* SRTP_AES128_CM_HMAC_SHA1_80 */
	dtls->srtp_material_length = (uint8_t) dtls_srtp_material_length(1);
	for (unsigned int i = 0; i < dtls->srtp_material_length; i++)
		dtls->srtp_material[i] = (unsigned char) (first_byte + i);
	int suite;
	g_assert_cmpint(dtls_srtp_install(media, kind, 1, dtls->srtp_material, dtls->params.active, &suite), ==, 0);
}

/* DTLS without rtcp-mux: both ports' associations (keys, role, indexes) survive encode and
 * decode; "dtls_rtcp" is absent when the RTCP port has none. */
static void test_dtls_round_trip(void)
{
	struct call *call = build_call("dtls@example");
	struct media *media = call->monologues[1]->media[0];   /* the plain side */
	establish_dtls(media, STREAM_RTP, 0x10);
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	size_t length = 0;
	char *text = redis_value_encode(call, &length);
	g_assert_null(strstr(text, "dtls_rtcp"));
	g_free(text);
	establish_dtls(media, STREAM_RTCP, 0x80);
	struct srtp_ssrc_position position = { .ssrc = 0x55667788, .rtcp_seen = true, .rtcp_index = 17 };
	srtp_context_resume(&media->rtcp_srtp->decrypt, &position, 0);
	text = redis_value_encode(call, &length);
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	const struct redis_media_record *stored = &record->monologues[1].media[0];
	g_assert_true(stored->dtls && !stored->sdes);
	g_assert_false(stored->dtls_client);
	g_assert_cmpuint(stored->dtls_profile, ==, 1);
	g_assert_cmpmem(stored->dtls_material, stored->dtls_material_length,
			media->streams[STREAM_RTP].extras->dtls->srtp_material, 60);
	const struct redis_dtls_keys *rtcp = &stored->dtls_rtcp;
	g_assert_true(rtcp->present && rtcp->client);
	g_assert_cmpuint(rtcp->profile, ==, 1);
	g_assert_cmpmem(rtcp->material, rtcp->material_length, media->streams[STREAM_RTCP].extras->dtls->srtp_material, 60);
	g_assert_cmpuint(rtcp->decrypt_count, ==, 1);
	g_assert_cmpuint(rtcp->decrypt[0].ssrc, ==, 0x55667788);
	g_assert_true(rtcp->decrypt[0].rtcp_seen && !rtcp->decrypt[0].rtp_seen);
	g_assert_cmpuint(rtcp->decrypt[0].rtcp_index, ==, 17);
	g_assert_false(record->monologues[0].media[0].dtls_rtcp.present);
	/* keying material that is not hex is refused whole */
	char *bad = strstr(strstr(text, "\"dtls_rtcp\""), "\"material\":\"") + strlen("\"material\":\"");
	bad[0] = 'x';
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "DTLS keying material is not hex");
	redis_call_record_clear(record);
	g_free(record);
	g_free(text);
	call_destroy(call, "test");
}

/* What version 1 wrote: no "schema", no ICE credentials, no SRTP positions. */
static const char v1_value[] =
	"{\"version\":1,\"call_id\":\"old\",\"created_us\":1000,\"last_signal_us\":2000,\"monologues\":["
	"{\"tag\":\"a\",\"via_branch\":null,\"label\":null,\"created_us\":1000,\"flags\":0,\"peer\":1,\"media\":["
	"{\"type\":\"audio\",\"protocol\":\"RTP/SAVP\",\"interface\":\"default\",\"local\":\"127.0.0.1:0\","
	"\"direction\":1,\"rejected\":false,\"rtcp_mux\":false,\"rtcp_mux_offered\":false,\"rtcp_mux_policy\":0,"
	"\"ice_seen\":false,\"rtp_port\":30000,\"codecs\":\"0\",\"sink\":[1,0],\"streams\":["
	"{\"state\":3,\"advertised\":\"127.0.0.2:5000\",\"learned\":\"127.0.0.2:5000\"},"
	"{\"state\":1,\"advertised\":\"127.0.0.2:5001\",\"learned\":null}],"
	"\"sdes\":{\"ours\":\"1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\","
	"\"theirs\":\"1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\"}}]},"
	"{\"tag\":\"b\",\"via_branch\":null,\"label\":null,\"created_us\":1000,\"flags\":0,\"peer\":0,\"media\":["
	"{\"type\":\"audio\",\"protocol\":\"RTP/AVP\",\"interface\":\"default\",\"local\":\"127.0.0.1:0\","
	"\"direction\":1,\"rejected\":false,\"rtcp_mux\":false,\"rtcp_mux_offered\":false,\"rtcp_mux_policy\":0,"
	"\"ice_seen\":false,\"rtp_port\":30002,\"codecs\":\"0\",\"sink\":[0,0],\"streams\":["
	"{\"state\":1,\"advertised\":\"127.0.0.1:6000\",\"learned\":null},"
	"{\"state\":1,\"advertised\":\"127.0.0.1:6001\",\"learned\":null}]}]}]}";

/* BUNDLE: a side with two m= lines on the first one's transport; its table (mids, a learned
 * SSRC, payload types, one of them on both m= lines) and each media's place survive the
 * value, and a member outside the side is refused. */
static void test_bundle_round_trip(void)
{
	struct call *call = build_call("bundle@example");
	struct monologue *caller = call->monologues[0];
	struct media *owner = caller->media[0];
	struct media *member = monologue_add_media(caller, "audio", "RTP/SAVP");
	member->interface = &interface;
	member->rtp_port = 30004;
	strcpy(owner->mid, "a0");
	strcpy(member->mid, "a1");
	owner->bundled = member->bundled = true;
	struct bundle_group *group = g_new0(struct bundle_group, 1);
	bundle_demux_init(&group->demux, 4);
	g_assert_cmpint(bundle_demux_add_media(&group->demux, "a0"), ==, 0);
	g_assert_cmpint(bundle_demux_add_media(&group->demux, "a1"), ==, 1);
	g_assert_cmpint(bundle_demux_add_ssrc(&group->demux, 0xdeadbeef, 1), ==, 0);
	g_assert_cmpint(bundle_demux_add_payload_type(&group->demux, 0, 0), ==, 0);
	g_assert_cmpint(bundle_demux_add_payload_type(&group->demux, 0, 1), ==, 0);
	g_assert_cmpint(bundle_demux_add_payload_type(&group->demux, 8, 1), ==, 0);
	group->members[0] = owner;
	group->members[1] = member;
	for (unsigned int k = 0; k < 2; k++) {
		struct media *media = group->members[k];
		media->bundle_owner = owner;
		media->bundle_extension_id = 4;
		for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			media->streams[kind].extras->bundle_transport = &owner->streams[STREAM_RTP];
			media->streams[kind].extras->bundle_index = (uint8_t) k;
		}
	}
	owner->streams[STREAM_RTP].extras->bundle_group = group;
	size_t length = 0;
	g_autofree char *text = redis_value_encode(call, &length);
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	const struct redis_media_record *stored = record->monologues[0].media;
	g_assert_cmpstr(stored[0].mid, ==, "a0");
	g_assert_cmpstr(stored[1].mid, ==, "a1");
	g_assert_true(stored[0].bundled && stored[1].bundled);
	g_assert_cmpint(stored[0].bundle_owner, ==, 0);
	g_assert_cmpint(stored[1].bundle_owner, ==, 0);
	g_assert_cmpuint(stored[1].bundle_index, ==, 1);
	g_assert_cmpuint(stored[1].bundle_extension_id, ==, 4);
	g_assert_true(stored[0].bundle_group && !stored[1].bundle_group);
	g_assert_cmpuint(stored[0].bundle_members[0], ==, 0);
	g_assert_cmpuint(stored[0].bundle_members[1], ==, 1);
	g_assert_cmpmem(&stored[0].bundle_demux, sizeof(group->demux), &group->demux, sizeof(group->demux));
	/* the callee's media is not bundled */
	g_assert_cmpint(record->monologues[1].media[0].bundle_owner, ==, -1);
	g_assert_cmpstr(record->monologues[1].media[0].mid, ==, "");
	/* a member that is not a media of the side */
	g_autofree char *bad = g_strdup(text);
	char *members = strstr(bad, "\"members\":[0,1]");
	g_assert_nonnull(members);
	members[strlen("\"members\":[0,")] = '7';
	g_assert_cmpint(redis_value_decode(bad, strlen(bad), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a BUNDLE media is out of range");
	g_autofree char *bad_ssrc = g_strdup(text);
	char *ssrc = strstr(bad_ssrc, ",1]],\"payload_types\"");
	g_assert_nonnull(ssrc);
	ssrc[1] = '2';   /* the SSRC's media index past the group */
	g_assert_cmpint(redis_value_decode(bad_ssrc, strlen(bad_ssrc), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a BUNDLE table entry is out of range");
	redis_call_record_clear(record);
	g_free(record);
	call_destroy(call, "test");
}

/* publish/subscribe: roles, the kept SDP lines and which subscriber media copies which source
 * survive; a source named on a side that is not a subscriber, or naming a subscriber, is
 * refused (the two share a slot of the stream's extras). */
static void test_pubsub_round_trip(void)
{
	struct call *call = build_call("pubsub@example");
	struct monologue *caller = call->monologues[0];
	struct monologue *publisher = call_add_monologue(call, "pub");
	struct monologue *subscriber = call_add_monologue(call, "sub");
	publisher->publisher = true;
	subscriber->subscriber = subscriber->subscription_answered = true;
	subscriber->rtcp_mirror = true;
	static const char kept[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n";
	caller->sdp = g_strdup(kept);
	caller->sdp_length = sizeof(kept) - 1;
	struct media *published = monologue_add_media(publisher, "audio", "RTP/AVP");
	struct media *copy_of_caller = monologue_add_media(subscriber, "audio", "RTP/AVP");
	struct media *copy_of_publisher = monologue_add_media(subscriber, "audio", "RTP/AVP");
	published->interface = copy_of_caller->interface = copy_of_publisher->interface = &interface;
	PUBSUB_SOURCE(copy_of_caller) = caller->media[0];
	PUBSUB_SOURCE(copy_of_publisher) = published;
	size_t length = 0;
	g_autofree char *text = redis_value_encode(call, &length);
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	g_assert_cmpuint(record->monologue_count, ==, 4);
	g_assert_false(record->monologues[0].publisher || record->monologues[0].subscriber);
	g_assert_cmpstr(record->monologues[0].sdp, ==, kept);
	g_assert_null(record->monologues[1].sdp);
	g_assert_true(record->monologues[2].publisher && !record->monologues[2].subscriber);
	g_assert_true(record->monologues[3].subscriber && record->monologues[3].subscription_answered);
	g_assert_true(record->monologues[3].rtcp_mirror && !record->monologues[0].rtcp_mirror);
	g_assert_cmpint(record->monologues[3].media[0].source_monologue, ==, 0);
	g_assert_cmpint(record->monologues[3].media[0].source_media, ==, 0);
	g_assert_cmpint(record->monologues[3].media[1].source_monologue, ==, 2);
	g_assert_cmpint(record->monologues[3].media[1].source_media, ==, 0);
	g_assert_cmpint(record->monologues[2].media[0].source_monologue, ==, -1);
	g_assert_cmpint(record->monologues[0].media[0].source_monologue, ==, -1);
	g_assert_false(record->monologues[3].media[1].transcode_set);
	/* 10.5's media numbers (a=label of SIPREC subscriptions) and the call's count */
	g_assert_cmpuint(record->media_created, ==, call->media_created);
	g_assert_true(record->monologues[3].media[1].label_id_set);
	g_assert_cmpuint(record->monologues[3].media[1].label_id, ==, copy_of_publisher->label_id);
	g_assert_cmpuint(record->monologues[2].media[0].label_id, ==, published->label_id);
	g_assert_cmpuint(record->monologues[0].media[0].label_id, ==, caller->media[0]->label_id);
	/* absent (a writer before the field): not set; of the wrong type: refused */
	g_autofree char *unnumbered = g_strdup(text);
	char *number = strstr(unnumbered, "\"label_id\":");
	g_assert_nonnull(number);
	number[1] = 'x';
	g_assert_cmpint(redis_value_decode(unnumbered, strlen(unnumbered), record, &reason), ==, 0);
	g_assert_false(record->monologues[0].media[0].label_id_set);
	g_assert_true(record->monologues[0].media[1].label_id_set || record->monologues[0].media_count == 1);
	number[1] = 'l';
	GString *wrong = g_string_new(unnumbered);
	gssize digits = number - unnumbered + (gssize) strlen("\"label_id\":");
	g_string_insert(wrong, digits, "\"x\",\"y\":");   /* "label_id":"x","y":N */
	g_assert_cmpint(redis_value_decode(wrong->str, wrong->len, record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a field has the wrong type");
	g_string_free(wrong, TRUE);
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	/* allow-transcoding: a subscriber media's chain as text; "to" is required */
	GString *chained = g_string_new(text);
	char *at = strstr(chained->str, "\"source\":[2,0]");
	g_assert_nonnull(at);
	g_string_insert(chained, at - chained->str + (gssize) strlen("\"source\":[2,0]"),
			",\"transcode\":{\"from\":\"0 PCMU/8000\",\"from_events\":\"101 telephone-event/8000\","
			"\"from_events_fmtp\":\"0-15\",\"to\":\"96 opus/48000/2\",\"to_fmtp\":\"useinbandfec=1\","
			"\"to_events\":\"\",\"bit_rate\":32000}");
	g_assert_cmpint(redis_value_decode(chained->str, chained->len, record, &reason), ==, 0);
	const struct media_transcode_saved *saved = &record->monologues[3].media[1].transcode;
	g_assert_true(record->monologues[3].media[1].transcode_set);
	g_assert_cmpstr(saved->leg, ==, "0 PCMU/8000");
	g_assert_cmpstr(saved->leg_events_fmtp, ==, "0-15");
	g_assert_cmpstr(saved->peer, ==, "96 opus/48000/2");
	g_assert_cmpstr(saved->peer_fmtp, ==, "useinbandfec=1");
	g_assert_cmpstr(saved->peer_events, ==, "");
	g_assert_cmpuint(saved->bit_rate, ==, 32000);
	at = strstr(chained->str, "\"to\":");
	at[1] = 'x';   /* no "to": refused */
	g_assert_cmpint(redis_value_decode(chained->str, chained->len, record, &reason), ==, -EINVAL);
	g_string_free(chained, TRUE);
	/* a source that names a subscriber */
	g_autofree char *bad = g_strdup(text);
	char *source = strstr(bad, "\"source\":[2,0]");
	g_assert_nonnull(source);
	source[strlen("\"source\":[")] = '3';
	g_assert_cmpint(redis_value_decode(bad, strlen(bad), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a subscription source is out of range");
	/* a source on a side that is not a subscriber */
	g_autofree char *not_subscriber = g_strdup(text);
	char *flag = strstr(not_subscriber, "\"subscriber\":true");
	g_assert_nonnull(flag);
	flag[strlen("\"subscribe")] = '_';   /* an unknown key: the side is no subscriber */
	g_assert_cmpint(redis_value_decode(not_subscriber, strlen(not_subscriber), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a subscription source is out of range");
	/* without the pubsub fields (a value from before them): no roles, no sources */
	g_assert_cmpint(redis_value_decode(v1_value, strlen(v1_value), record, &reason), ==, 0);
	g_assert_false(record->monologues[0].subscriber || record->monologues[0].publisher);
	g_assert_cmpint(record->monologues[0].media[0].source_monologue, ==, -1);
	redis_call_record_clear(record);
	g_free(record);
	call_destroy(call, "test");
}

static void test_version_1(void)
{
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(v1_value, strlen(v1_value), record, &reason), ==, 0);
	g_assert_cmpuint(record->version, ==, 1);
	g_assert_cmpstr(record->call_id, ==, "old");
	g_assert_cmpuint(record->monologues[0].media[0].rtp_port, ==, 30000);
	g_assert_true(record->monologues[0].media[0].sdes);
	g_assert_cmpuint(record->monologues[0].media[0].decrypt_count, ==, 0);
	g_assert_cmpstr(record->monologues[0].media[0].ice_ufrag, ==, "");
	g_assert_cmpuint(record->monologues[1].media[0].streams[0].state, ==, STREAM_FILLED);
	/* version 2 requires what version 1 lacked */
	g_autofree char *as_v2 = g_strdup(v1_value);
	memcpy(strstr(as_v2, "\"version\":1"), "\"version\":2", 11);
	g_assert_cmpint(redis_value_decode(as_v2, strlen(as_v2), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a required field is missing");
	redis_call_record_clear(record);
	g_free(record);
}

static void test_refused(void)
{
	static const struct {
		const char *value;
		int error;
		const char *reason;
	} cases[] = {
		{ "not json", -EINVAL, "not valid JSON" },
		{ "[1,2]", -EINVAL, "not a JSON object" },
		{ "{\"schema\":\"other\",\"version\":2}", -EINVAL, "not an rtpengine call value" },
		{ "{\"schema\":\"rtpengine-call\",\"version\":3}", -EPROTONOSUPPORT, "unknown schema version" },
		{ "{\"schema\":\"rtpengine-call\",\"version\":0}", -EPROTONOSUPPORT, "unknown schema version" },
		{ "{\"schema\":\"rtpengine-call\",\"version\":\"2\"}", -EINVAL, "a field has the wrong type" },
		{ "{\"schema\":\"rtpengine-call\",\"version\":2,\"call_id\":\"x\",\"created_us\":1,\"last_signal_us\":1}",
		  -EINVAL, "a required field is missing" },
		{ "{\"version\":1,\"call_id\":\"\",\"created_us\":1,\"last_signal_us\":1,\"monologues\":[]}", -EINVAL,
		  "no call-id" },
		{ "{\"version\":1,\"call_id\":\"x\",\"created_us\":1,\"last_signal_us\":1,\"monologues\":[{\"tag\":\"a\","
		  "\"created_us\":1,\"flags\":0,\"peer\":3,\"media\":[]}]}", -EINVAL, "a peer is out of range" },
	};
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *reason = NULL;
		g_assert_cmpint(redis_value_decode(cases[i].value, strlen(cases[i].value), record, &reason), ==,
				cases[i].error);
		g_assert_cmpstr(reason, ==, cases[i].reason);
		g_assert_null(record->call_id);
	}
	/* a bad address and a sink outside the call, inside an otherwise good value */
	g_autofree char *bad_address = g_strdup(v1_value);
	memcpy(strstr(bad_address, "127.0.0.2:5000"), "327.0.0.2:5000", 14);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(bad_address, strlen(bad_address), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "an address does not parse");
	g_autofree char *bad_sink = g_strdup(v1_value);
	memcpy(strstr(bad_sink, "\"sink\":[1,0]"), "\"sink\":[1,5]", 12);
	g_assert_cmpint(redis_value_decode(bad_sink, strlen(bad_sink), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a sink is out of range");
	g_free(record);
}

/* Call recording and forwarding (optional "recording_files", docs/redis.md): read whole,
 * absent in older values, a side outside the call refused. */
static void test_recording_files(void)
{
	static const char insert[] = "\"recording\":{\"state\":\"paused\",\"metadata\":\"k:v\"},"
		"\"recording_files\":{\"prefix\":\"old-0123\",\"forwarding\":true,\"forwarding_sides\":[0,1],"
		"\"metadata\":\"k:v\",\"output_destination\":\"/rec/x.wav\"},";
	const char *at = strstr(v1_value, "\"monologues\"");
	g_assert_nonnull(at);
	g_autofree char *text = g_strdup_printf("%.*s%s%s", (int) (at - v1_value), v1_value, insert, at);
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, strlen(text), record, &reason), ==, 0);
	g_assert_cmpuint(record->recording, ==, 2);
	g_assert_true(record->recording_files);
	g_assert_cmpstr(record->recording_prefix, ==, "old-0123");
	g_assert_true(record->recording_forwarding);
	g_assert_cmpuint(record->recording_forwarding_sides, ==, 3);
	g_assert_cmpstr(record->recording_metadata, ==, "k:v");
	g_assert_cmpstr(record->recording_output_destination, ==, "/rec/x.wav");
	g_assert_cmpint(redis_value_decode(v1_value, strlen(v1_value), record, &reason), ==, 0);
	g_assert_false(record->recording_files);
	g_assert_null(record->recording_prefix);
	g_assert_cmpuint(record->recording_forwarding_sides, ==, 0);
	g_autofree char *bad_side = g_strdup(text);
	memcpy(strstr(bad_side, "[0,1]"), "[0,9]", 5);
	g_assert_cmpint(redis_value_decode(bad_side, strlen(bad_side), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a forwarded side is out of range");
	g_autofree char *no_sides = g_strdup(text);
	memcpy(strstr(no_sides, "\"forwarding_sides\""), "\"forwarding_sidex\"", 18);
	g_assert_cmpint(redis_value_decode(no_sides, strlen(no_sides), record, &reason), ==, -EINVAL);
	g_assert_cmpstr(reason, ==, "a required field is missing");
	redis_call_record_clear(record);
	g_free(record);
}

/* A context resumed at a position refuses what came before and takes what follows; the
 * SRTCP index we send jumps past what the previous process may have sent. */
static void test_srtp_resume(void)
{
	struct sdes_crypto key;
	g_assert_cmpint(sdes_generate(&key, 1, SRTP_AES_CM_128_HMAC_SHA1_80), ==, 0);
	struct srtp_context sender, receiver, resumed;
	g_assert_cmpint(sdes_context_init(&sender, &key), ==, 0);
	g_assert_cmpint(sdes_context_init(&receiver, &key), ==, 0);
	g_assert_cmpint(sdes_context_init(&resumed, &key), ==, 0);
	unsigned char packets[3][12 + 160 + SRTP_MAX_TRAILER_LENGTH];
	int lengths[3];
	for (int i = 0; i < 3; i++) {
		memset(packets[i], 0, sizeof(packets[i]));
		packets[i][0] = 0x80;
		packets[i][3] = (unsigned char) (10 + i);          /* sequence 10, 11, 12 */
		packets[i][8] = 0x11;                              /* SSRC 0x11000000 */
		lengths[i] = srtp_context_protect_rtp(&sender, packets[i], 12 + 160, sizeof(packets[i]));
		g_assert_cmpint(lengths[i], >, 12 + 160);
	}
	unsigned char copy[sizeof(packets[0])];
	memcpy(copy, packets[0], sizeof(copy));
	g_assert_cmpint(srtp_context_unprotect_rtp(&receiver, copy, (size_t) lengths[0]), >, 0);
	struct srtp_ssrc_position positions[SRTP_SSRC_SLOTS];
	g_assert_cmpuint(srtp_context_positions(&receiver, positions), ==, 1);
	g_assert_cmpuint(positions[0].rtp_index, ==, 10);
	srtp_context_resume(&resumed, &positions[0], 0);
	memcpy(copy, packets[0], sizeof(copy));
	g_assert_cmpint(srtp_context_unprotect_rtp(&resumed, copy, (size_t) lengths[0]), <, 0);   /* replay */
	memcpy(copy, packets[2], sizeof(copy));
	g_assert_cmpint(srtp_context_unprotect_rtp(&resumed, copy, (size_t) lengths[2]), >, 0);   /* newer */
	memcpy(copy, packets[1], sizeof(copy));
	/* after the position but late: reordering inside the window is still taken */
	g_assert_cmpint(srtp_context_unprotect_rtp(&resumed, copy, (size_t) lengths[1]), >, 0);
	memcpy(copy, packets[1], sizeof(copy));
	g_assert_cmpint(srtp_context_unprotect_rtp(&resumed, copy, (size_t) lengths[1]), <, 0);   /* now a replay */
	struct srtp_ssrc_position rtcp = { .ssrc = 7, .rtcp_seen = true, .rtcp_index = 41 };
	struct srtp_context encrypt;
	g_assert_cmpint(sdes_context_init(&encrypt, &key), ==, 0);
	srtp_context_resume(&encrypt, &rtcp, 1000);
	g_assert_cmpuint(srtp_context_positions(&encrypt, positions), ==, 1);
	g_assert_cmpuint(positions[0].rtcp_index, ==, 1041);
	srtp_context_cleanup(&sender);
	srtp_context_cleanup(&receiver);
	srtp_context_cleanup(&resumed);
	srtp_context_cleanup(&encrypt);
}

static void assert_same_control(const struct media_control_saved *a, const struct media_control_saved *b)
{
	g_assert_cmpuint(a->flags, ==, b->flags);
	g_assert_cmpuint(a->event_clock, ==, b->event_clock);
	g_assert_cmpmem(a->events, sizeof(a->events), b->events, sizeof(b->events));
	g_assert_cmpmem(a->pcmu, sizeof(a->pcmu), b->pcmu, sizeof(b->pcmu));
	g_assert_cmpmem(a->pcma, sizeof(a->pcma), b->pcma, sizeof(b->pcma));
	g_assert_cmpuint(a->delay_ms, ==, b->delay_ms);
	g_assert_cmpint(a->trigger, ==, b->trigger);
	g_assert_cmpstr(a->trigger_start, ==, b->trigger_start);
	g_assert_cmpstr(a->trigger_end, ==, b->trigger_end);
	g_assert_cmpuint(a->trigger_end_ms, ==, b->trigger_end_ms);
	g_assert_cmpuint(a->trigger_end_digits, ==, b->trigger_end_digits);
	g_assert_cmpuint(a->trigger_digits_since, ==, b->trigger_digits_since);
	g_assert_cmpuint(a->trigger_mode, ==, b->trigger_mode);
	g_assert_cmpint(a->trigger_active, ==, b->trigger_active);
	g_assert_cmpint(a->trigger_event_seen, ==, b->trigger_event_seen);
	g_assert_cmpuint(a->trigger_progress, ==, b->trigger_progress);
	g_assert_cmpuint(a->trigger_end_progress, ==, b->trigger_end_progress);
	g_assert_cmpuint(a->trigger_event_ts, ==, b->trigger_event_ts);
}

/* Media control (optional "control", docs/redis.md): block/silence media, block DTMF with its
 * trigger's progress, the DTMF-delay's length and the SDP's payload types survive encode,
 * decode and restore; values without it (older daemons') decode with none; a malformed one is
 * refused by the decoder or, out of range, by media_control_restore(). */
static void test_media_control(void)
{
	struct call *call = build_call("control");
	struct media *a = call->monologues[0]->media[0], *b = call->monologues[1]->media[0];
	struct media_control_saved set = {
		.flags = MEDIA_CONTROL_DTMF_TRIGGER | MEDIA_CONTROL_DTMF_DELAY | MEDIA_CONTROL_SILENCE_MEDIA,
		.event_clock = 8000, .events = { 1ull << 37, 1ull << (101 - 64) }, .pcmu = { 1 }, .pcma = { 1ull << 8 },
		.delay_ms = 250, .trigger = true, .trigger_start = "12#", .trigger_end = "9",
		.trigger_end_ms = 1500, .trigger_end_digits = 4, .trigger_mode = 1, .trigger_progress = 2,
		.trigger_event_seen = true, .trigger_event_ts = 0xfffffff0u,
	};
	g_assert_cmpint(media_control_restore(a, &set), ==, 0);
	struct media_control_saved block_media = { .flags = MEDIA_CONTROL_BLOCK_MEDIA | MEDIA_CONTROL_BLOCK_DTMF };
	g_assert_cmpint(media_control_restore(b, &block_media), ==, 0);
	size_t length;
	g_autofree char *text = redis_value_encode(call, &length);
	g_assert_nonnull(strstr(text, "\"control\":{\"flags\":"));
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	const struct redis_media_record *stored = &record->monologues[0].media[0];
	g_assert_true(stored->control_set);
	assert_same_control(&stored->control, &set);
	g_assert_true(record->monologues[1].media[0].control_set);
	g_assert_cmpuint(record->monologues[1].media[0].control.flags, ==, block_media.flags);

	/* restored into a fresh media: the trigger and a delay line of the stored length */
	struct call *again = build_call("control-restored");
	struct media *restored = again->monologues[0]->media[0];
	g_assert_cmpint(media_control_restore(restored, &stored->control), ==, 0);
	g_assert_nonnull(restored->streams[STREAM_RTP].extras->dtmf_trigger);
	g_assert_nonnull(restored->streams[STREAM_RTP].extras->dtmf_delay);
	g_assert_cmpuint(restored->streams[STREAM_RTP].extras->dtmf_delay->delay_ms, ==, 250);
	g_assert_true(codec_payload_set_has(&restored->telephone_event_types, 101));
	g_assert_true(codec_payload_set_has(&restored->pcma_types, 8));
	struct media_control_saved back;
	media_control_save(restored, &back);
	assert_same_control(&back, &set);

	/* out of range: refused whole, the media left as it was */
	static const struct {
		const char *what;
		struct media_control_saved saved;
	} bad[] = {
		{ "a digit that is none", { .flags = MEDIA_CONTROL_DTMF_TRIGGER, .trigger = true, .trigger_start = "1x" } },
		{ "progress past the sequence", { .flags = MEDIA_CONTROL_DTMF_TRIGGER, .trigger = true,
						  .trigger_start = "12", .trigger_progress = 2 } },
		{ "a trigger flag without a trigger", { .flags = MEDIA_CONTROL_DTMF_TRIGGER } },
		{ "a delay too long", { .flags = MEDIA_CONTROL_DTMF_DELAY, .delay_ms = DTMF_DELAY_MAX_MS + 1 } },
		{ "a delay flag without a length", { .flags = MEDIA_CONTROL_DTMF_DELAY } },
		{ "a flag that is not kept", { .flags = MEDIA_CONTROL_INBAND_DTMF } },
		{ "an unknown mode", { .flags = MEDIA_CONTROL_DTMF_TRIGGER, .trigger = true, .trigger_mode = 3 } },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("%s", bad[i].what);
		g_assert_cmpint(media_control_restore(b, &bad[i].saved), ==, -EINVAL);
		g_assert_cmpuint(b->media_control & MEDIA_CONTROL_SAVED_FLAGS, ==, block_media.flags);
	}

	/* the decoder refuses a malformed "control" with a reason */
	static const struct {
		const char *from, *to, *reason;
	} broken[] = {
		{ "\"events\":[37,101]", "\"events\":[37,128]", "a payload type is out of range" },
		{ "\"events\":[37,101]", "\"events\":[37,\"x\"]", "a payload type is not a number" },
		{ "\"pcmu\":[0]", "\"pcmu\":{}", "a field has the wrong type" },
		{ "\"progress\":2", "\"progress\":16", "a number is out of range" },
		{ "\"start\":\"12#\"", "\"start\":\"1234567890123456\"", "a text field is too long" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(broken); i++)
		assert_edit_refused(text, broken[i].from, broken[i].to, broken[i].reason);

	/* a value without "control" (a daemon before it): none */
	g_assert_cmpint(redis_value_decode(v1_value, strlen(v1_value), record, &reason), ==, 0);
	g_assert_false(record->monologues[0].media[0].control_set);
	redis_call_record_clear(record);
	g_free(record);
	call_destroy(again, "test");
	call_destroy(call, "test");
}

/* Forks (optional fields, docs/redis.md): a branch side's rtcp-mux policy, the SRTP a side
 * offered itself and a delayed branch delete survive encode and decode; absent (older
 * values) they are 0 / false; a negative delete time is refused. */
static void test_fork_fields(void)
{
	struct call *call = build_call("forks");
	struct media *a = call->monologues[0]->media[0], *b = call->monologues[1]->media[0];
	b->branch_rtcp_mux_policy = 1;
	a->protocol_own = a->protocol_kept_own = true;
	b->protocol_translated = true;
	call->monologues[1]->branch_delete_at_us = 1796000000123456;
	size_t length;
	g_autofree char *text = redis_value_encode(call, &length);
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	const struct redis_media_record *ra = &record->monologues[0].media[0], *rb = &record->monologues[1].media[0];
	g_assert_cmpuint(rb->branch_rtcp_mux_policy, ==, 1);
	g_assert_cmpuint(ra->branch_rtcp_mux_policy, ==, 0);
	g_assert_true(ra->protocol_own && ra->protocol_kept_own && !ra->protocol_translated);
	g_assert_true(!rb->protocol_own && !rb->protocol_kept_own && rb->protocol_translated);
	g_assert_cmpint(record->monologues[1].branch_delete_at_us, ==, 1796000000123456);
	g_assert_cmpint(record->monologues[0].branch_delete_at_us, ==, 0);
	/* malformed: refused with a reason */
	assert_edit_refused(text, "\"branch_delete_at_us\":", "\"branch_delete_at_us\":-", "a number is out of range");
	assert_edit_refused(text, "\"protocol_own\":true", "\"protocol_own\":1234", "a field has the wrong type");
	/* an older value: none */
	g_assert_cmpint(redis_value_decode(v1_value, strlen(v1_value), record, &reason), ==, 0);
	g_assert_cmpuint(record->monologues[1].media[0].branch_rtcp_mux_policy, ==, 0);
	g_assert_false(record->monologues[0].media[0].protocol_own);
	g_assert_cmpint(record->monologues[1].branch_delete_at_us, ==, 0);
	redis_call_record_clear(record);
	g_free(record);
	call_destroy(call, "test");
}

/* Issue 15 follow-ups (docs/redis.md): block DTMF's audio modes keep what their tone chain is
 * built from and come back as tones (the chain built again); an active trigger keeps when it
 * fired (wall-clock) so trigger-end-time counts from then; a whole-call delete under
 * delete-delay keeps its time. Values without these fields (session 9's) restore as before:
 * an audio mode as drop, the end time from the restore, no delete. */
static void test_tones_and_times(void)
{
	struct call *call = build_call("tones");
	struct media *a = call->monologues[0]->media[0], *b = call->monologues[1]->media[0];
	int64_t fired_us = now_realtime_us() - 1200000;
	struct media_control_saved tones = {
		.flags = MEDIA_CONTROL_BLOCK_DTMF, .event_clock = 8000, .events = { 0, 1ull << (101 - 64) },
		.pcmu = { 1 }, .tones_known = true, .tones_audio_type = 0, .tones_event_type = 101, .as_tones = true,
	};
	struct media_control_saved trigger = {
		.flags = MEDIA_CONTROL_DTMF_TRIGGER, .event_clock = 8000, .events = { 0, 1ull << (101 - 64) },
		.pcma = { 1ull << 8 }, .tones_known = true, .tones_alaw = true, .tones_audio_type = 8,
		.tones_event_type = 101, .trigger = true, .trigger_start = "1", .trigger_end = "#", .trigger_end_ms = 2000,
		.trigger_mode = 2, .trigger_active = true, .trigger_event_seen = true, .trigger_event_ts = 800,
		.trigger_fired_us = fired_us,
	};
	g_assert_cmpint(media_control_restore(a, &tones), ==, 0);
	g_assert_cmpint(media_control_restore(b, &trigger), ==, 0);
	/* the audio mode: tones through a chain, not blocking */
	g_assert_true(a->dtmf_as_tones);
	g_assert_nonnull(a->streams[STREAM_RTP].extras->transcode);
	g_assert_cmpuint(a->media_control & MEDIA_CONTROL_BLOCK_DTMF, ==, 0);
	g_assert_true(a->dtmf_audio_known && !a->dtmf_audio_alaw && a->dtmf_audio_type == 0 && a->dtmf_event_type == 101);
	/* the trigger's tones mode: its chain, the end time counted from the firing */
	g_assert_nonnull(b->streams[STREAM_RTP].extras->transcode);
	g_assert_false(b->dtmf_as_tones);
	struct media_control_saved back;
	media_control_save(b, &back);
	g_assert_cmpuint(back.trigger_mode, ==, 2);
	g_assert_cmpint(back.trigger_fired_us, >=, fired_us - 50000);
	g_assert_cmpint(back.trigger_fired_us, <=, fired_us + 50000);
	call->delete_at_us = 1796000000654321;

	size_t length;
	g_autofree char *text = redis_value_encode(call, &length);
	g_assert_nonnull(strstr(text, "\"tones\":{\"audio\":0,\"alaw\":false,\"events\":101},\"as_tones\":true"));
	g_assert_nonnull(strstr(text, "\"tones\":{\"audio\":8,\"alaw\":true,\"events\":101}"));
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	g_assert_cmpint(record->delete_at_us, ==, 1796000000654321);
	const struct media_control_saved *ra = &record->monologues[0].media[0].control;
	const struct media_control_saved *rb = &record->monologues[1].media[0].control;
	/* an audio mode is written as blocking too, for readers that do not rebuild the chain */
	g_assert_cmpuint(ra->flags, ==, MEDIA_CONTROL_BLOCK_DTMF);
	g_assert_true(ra->as_tones && ra->tones_known && !ra->tones_alaw);
	g_assert_cmpuint(ra->tones_audio_type, ==, 0);
	g_assert_cmpuint(ra->tones_event_type, ==, 101);
	g_assert_true(rb->tones_known && rb->tones_alaw && !rb->as_tones);
	g_assert_cmpuint(rb->tones_audio_type, ==, 8);
	/* each save turns the monotonic firing time into wall-clock time anew: the two saves may
	 * be a few microseconds apart */
	g_assert_cmpint(rb->trigger_fired_us, >=, back.trigger_fired_us - 50000);
	g_assert_cmpint(rb->trigger_fired_us, <=, back.trigger_fired_us + 50000);

	/* restored again into fresh media: the same state */
	struct call *again = build_call("tones-restored");
	struct media *c = again->monologues[0]->media[0], *d = again->monologues[1]->media[0];
	g_assert_cmpint(media_control_restore(c, ra), ==, 0);
	g_assert_cmpint(media_control_restore(d, rb), ==, 0);
	g_assert_true(c->dtmf_as_tones && c->streams[STREAM_RTP].extras->transcode);
	g_assert_cmpuint(c->media_control & MEDIA_CONTROL_BLOCK_DTMF, ==, 0);
	struct media_control_saved d_back;
	media_control_save(d, &d_back);
	g_assert_cmpuint(d_back.trigger_mode, ==, 2);
	g_assert_cmpint(d_back.trigger_fired_us, >=, fired_us - 100000);
	g_assert_cmpint(d_back.trigger_fired_us, <=, fired_us + 100000);

	/* a session-9 value (none of these fields): the audio mode drops, the trigger's tones mode
	 * drops, its end time counts from the restore, no delete is scheduled */
	static const char *const session_9[] = { "tones", "as_tones", "fired_us", "delete_at_us", NULL };
	g_autofree char *old = older_value(text, session_9);
	g_assert_null(strstr(old, "tones\":"));
	g_assert_null(strstr(old, "_at_us"));
	g_assert_cmpint(redis_value_decode(old, strlen(old), record, &reason), ==, 0);
	g_assert_cmpint(record->delete_at_us, ==, 0);
	struct call *older = build_call("tones-old");
	struct media *e = older->monologues[0]->media[0], *f = older->monologues[1]->media[0];
	g_assert_cmpint(media_control_restore(e, &record->monologues[0].media[0].control), ==, 0);
	g_assert_cmpint(media_control_restore(f, &record->monologues[1].media[0].control), ==, 0);
	g_assert_false(e->dtmf_as_tones);
	g_assert_null(e->streams[STREAM_RTP].extras->transcode);
	g_assert_cmpuint(e->media_control & MEDIA_CONTROL_BLOCK_DTMF, ==, MEDIA_CONTROL_BLOCK_DTMF);
	g_assert_null(f->streams[STREAM_RTP].extras->transcode);
	struct media_control_saved f_back;
	media_control_save(f, &f_back);
	g_assert_cmpuint(f_back.trigger_mode, ==, 1);
	g_assert_cmpint(f_back.trigger_fired_us, >=, now_realtime_us() - 100000);

	/* malformed: refused by the decoder or by media_control_restore() */
	static const struct {
		const char *from, *to, *reason;
	} broken[] = {
		{ "\"audio\":0,", "\"audio\":128,", "a number is out of range" },
		{ "\"as_tones\":true", "\"as_tones\":1", "a field has the wrong type" },
		{ "\"delete_at_us\":1", "\"delete_at_us\":-1", "a number is out of range" },
		{ "\"fired_us\":", "\"fired_us\":-", "a number is out of range" },
		{ "\"alaw\":true", "\"alaw\":\"yes\"", "a field has the wrong type" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(broken); i++)
		assert_edit_refused(text, broken[i].from, broken[i].to, broken[i].reason);
	struct media_control_saved both = trigger;
	both.as_tones = true;   /* an audio mode and a trigger at once: block DTMF never leaves that */
	g_assert_cmpint(media_control_restore(f, &both), ==, -EINVAL);
	struct media_control_saved far = tones;
	far.tones_event_type = 200;
	g_assert_cmpint(media_control_restore(f, &far), ==, -EINVAL);
	g_assert_cmpuint(f->media_control & MEDIA_CONTROL_SAVED_FLAGS, ==, MEDIA_CONTROL_DTMF_TRIGGER);

	redis_call_record_clear(record);
	g_free(record);
	call_destroy(older, "test");
	call_destroy(again, "test");
	call_destroy(call, "test");
}

/* An answer's transcoding chains (docs/redis.md "chain"): each side's made again from the value
 * (media_transcode_chain_restore()), written back the same, read into the record; a value
 * without "chain" (before it) restores without chains; malformed ones are refused. */
static void test_answer_chain(void)
{
	struct call *call = build_call("chains");
	struct media *a = call->monologues[0]->media[0], *b = call->monologues[1]->media[0];
	struct media_transcode_saved forward = {
		.leg = "0 PCMU/8000", .leg_events = "101 telephone-event/8000", .leg_events_fmtp = "0-16",
		.peer = "8 PCMA/8000", .peer_events = "", .ptime = 20, .to_cn_pt = -1, .from_cn_pt = -1,
		.passthrough = { 1ull << 13 }, .alternate_count = 1, .alternates = { "8 PCMA/8000" },
	};
	struct media_transcode_saved backward = {
		.leg = "8 PCMA/8000", .peer = "0 PCMU/8000", .peer_events = "101 telephone-event/8000",
		.ptime = 30, .to_cn_pt = 13, .from_cn_pt = -1,
	};
	g_assert_cmpint(media_transcode_chain_restore(a, &forward), ==, 0);
	g_assert_cmpint(media_transcode_chain_restore(b, &backward), ==, 0);
	g_assert_nonnull(a->streams[STREAM_RTP].extras->transcode);
	g_assert_nonnull(b->streams[STREAM_RTP].extras->transcode);

	size_t length;
	g_autofree char *text = redis_value_encode(call, &length);
	g_assert_nonnull(strstr(text, "\"chain\":{\"from\":\"0 PCMU/8000\",\"from_fmtp\":\"\","
				      "\"from_events\":\"101 telephone-event/8000 0-16\""));
	g_assert_nonnull(strstr(text, "\"ptime\":30,\"to_cn\":13,\"from_cn\":-1,\"passthrough\":[],\"alternates\":[]}"));
	g_assert_nonnull(strstr(text, "\"passthrough\":[13],\"alternates\":[[\"8 PCMA/8000\",\"\"]]}"));
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	const struct redis_media_record *ra = &record->monologues[0].media[0], *rb = &record->monologues[1].media[0];
	g_assert_true(ra->chain_set && rb->chain_set);
	g_assert_cmpstr(ra->chain.leg, ==, "0 PCMU/8000");
	g_assert_cmpstr(ra->chain.leg_events_fmtp, ==, "0-16");
	g_assert_cmpstr(ra->chain.peer, ==, "8 PCMA/8000");
	g_assert_cmpstr(ra->chain.peer_events, ==, "");
	g_assert_cmpuint(ra->chain.ptime, ==, 20);
	g_assert_cmpint(ra->chain.to_cn_pt, ==, -1);
	g_assert_cmpuint(ra->chain.passthrough[0], ==, 1ull << 13);
	g_assert_cmpuint(ra->chain.passthrough[1], ==, 0);
	g_assert_cmpuint(ra->chain.alternate_count, ==, 1);
	g_assert_cmpstr(ra->chain.alternates[0], ==, "8 PCMA/8000");
	g_assert_cmpuint(rb->chain.alternate_count, ==, 0);
	g_assert_cmpstr(rb->chain.peer_events, ==, "101 telephone-event/8000");
	g_assert_cmpint(rb->chain.to_cn_pt, ==, 13);
	g_assert_cmpuint(rb->chain.ptime, ==, 30);
	/* the record restores a chain again (the standby's step) */
	struct call *again = build_call("chains-again");
	struct media *c = again->monologues[0]->media[0];
	g_assert_cmpint(media_transcode_chain_restore(c, &ra->chain), ==, 0);
	g_assert_nonnull(c->streams[STREAM_RTP].extras->transcode);
	/* a value before "chain": no chain, restored untranscoded */
	static const char *const before_chain[] = { "chain", NULL };
	g_autofree char *older = older_value(text, before_chain);
	g_assert_null(strstr(older, "\"chain\""));
	g_assert_cmpint(redis_value_decode(older, strlen(older), record, &reason), ==, 0);
	g_assert_false(record->monologues[0].media[0].chain_set || record->monologues[1].media[0].chain_set);
	/* malformed: refused by the decoder or by media_transcode_chain_restore() */
	static const struct {
		const char *from, *to, *reason;
	} broken[] = {
		{ "\"to_cn\":13", "\"to_cn\":128", "a number is out of range" },
		{ "\"ptime\":30", "\"ptime\":121", "a number is out of range" },
		{ "\"passthrough\":[]", "\"passthrough\":[200]", "a payload type is out of range" },
		{ "\"from_cn\":-1", "\"from_cn\":\"x\"", "a field has the wrong type" },
		{ "[[\"8 PCMA/8000\",\"\"]]", "[[\"8 PCMA/8000\"]]", "an alternate codec is malformed" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(broken); i++)
		assert_edit_refused(text, broken[i].from, broken[i].to, broken[i].reason);
	struct media_transcode_saved bad = forward;
	g_strlcpy(bad.peer, "PCMA", sizeof(bad.peer));
	g_assert_cmpint(media_transcode_chain_restore(c, &bad), ==, -EINVAL);
	bad = forward;
	g_strlcpy(bad.peer, "8 nosuchcodec/8000", sizeof(bad.peer));
	g_assert_cmpint(media_transcode_chain_restore(c, &bad), ==, -ENOTSUP);

	redis_call_record_clear(record);
	g_free(record);
	call_destroy(again, "test");
	call_destroy(call, "test");
}

/* A via-branch a delete ended (docs/redis.md "ended_branches"): written with its number, its
 * media's endpoints and final counters, the live sides with theirs and the call's count of
 * sides, so that query lists the same "<untagged N>" sides after a restore; a value without
 * these fields (before them) reads as none, numbered in restore order. */
static void test_ended_branches(void)
{
	struct call *call = build_call("ended");
	struct monologue *caller = call->monologues[0];
	struct monologue *branch = call_add_monologue(call, NULL);
	branch->via_branch = g_strdup("z9hG4bK-ended");
	branch->peer = caller;
	struct media *media = monologue_add_media(branch, "audio", "RTP/AVP");
	media->direction = SDP_DIRECTION_RECVONLY;
	struct stream *rtp = &media->streams[STREAM_RTP];
	set_endpoint(&rtp->advertised, "192.0.2.44:7000");
	set_endpoint(&rtp->learned, "192.0.2.44:7002");
	rtp->state = STREAM_FILLED | STREAM_LATCHED;
	rtp->counters = (struct stream_counters) { .packets = 3, .bytes = 516, .errors = 1, .last_packet_us = 1796000000000042 };
	rtp->last_ssrc = 0x5eed;
	struct monologue *ringing = call_add_monologue(call, NULL);
	ringing->via_branch = g_strdup("z9hG4bK-ringing");
	call_remove_branch(branch);
	g_assert_cmpuint(call->monologue_count, ==, 3);

	size_t length;
	g_autofree char *text = redis_value_encode(call, &length);
	struct redis_call_record *record = g_new0(struct redis_call_record, 1);
	const char *reason = NULL;
	g_assert_cmpint(redis_value_decode(text, length, record, &reason), ==, 0);
	g_assert_cmpuint(record->monologues_created, ==, 4);
	g_assert_true(record->monologues[2].number_set);
	g_assert_cmpuint(record->monologues[2].number, ==, 3);
	g_assert_cmpstr(record->monologues[2].via_branch, ==, "z9hG4bK-ringing");
	g_assert_cmpuint(record->ended_branch_count, ==, 1);
	const struct redis_ended_branch_record *ended = &record->ended_branches[0];
	g_assert_cmpuint(ended->number, ==, 2);
	g_assert_null(ended->tag);
	g_assert_cmpstr(ended->via_branch, ==, "z9hG4bK-ended");
	g_assert_cmpint(ended->peer, ==, 0);
	g_assert_cmpuint(ended->media_count, ==, 1);
	g_assert_cmpstr(ended->media[0].type, ==, "audio");
	g_assert_cmpstr(ended->media[0].protocol, ==, "RTP/AVP");
	g_assert_cmpint(ended->media[0].direction, ==, SDP_DIRECTION_RECVONLY);
	g_assert_cmpuint(ended->media[0].label_id, ==, media->label_id);
	const struct redis_ended_stream_record *stream = &ended->media[0].streams[STREAM_RTP];
	g_assert_cmpuint(stream->state, ==, STREAM_FILLED | STREAM_LATCHED);
	assert_same_endpoint(&stream->advertised, &rtp->advertised);
	assert_same_endpoint(&stream->learned, &rtp->learned);
	g_assert_cmpuint(stream->counters.packets, ==, 3);
	g_assert_cmpuint(stream->counters.bytes, ==, 516);
	g_assert_cmpuint(stream->counters.errors, ==, 1);
	g_assert_cmpint(stream->counters.last_packet_us, ==, 1796000000000042);
	g_assert_cmpuint(stream->last_ssrc, ==, 0x5eed);
	g_assert_cmpuint(ended->media[0].streams[STREAM_RTCP].counters.packets, ==, 0);

	/* a value before these fields: no ended branch, the sides numbered as restored */
	static const char *const before[] = { "ended_branches", "number", "monologues_created", NULL };
	g_autofree char *older = older_value(text, before);
	g_assert_null(strstr(older, "number"));
	g_assert_null(strstr(older, "ended_branches"));
	g_assert_cmpint(redis_value_decode(older, strlen(older), record, &reason), ==, 0);
	g_assert_cmpuint(record->ended_branch_count, ==, 0);
	g_assert_cmpuint(record->monologues_created, ==, 0);
	g_assert_false(record->monologues[2].number_set);
	g_assert_cmpuint(record->monologue_count, ==, 3);

	/* malformed: refused with a reason */
	static const struct {
		const char *from, *to, *reason;
	} broken[] = {
		{ "\"ssrc\":24301", "\"ssrc\":-1", "a number is out of range" },
		{ "\"packets\":3", "\"packets\":\"3\"", "a field has the wrong type" },
		{ "\"peer\":0,\"media\":[{\"type\":\"audio\",\"protocol\":\"RTP/AVP\",\"direction\":3",
		  "\"peer\":5,\"media\":[{\"type\":\"audio\",\"protocol\":\"RTP/AVP\",\"direction\":3",
		  "a peer is out of range" },
		{ "\"monologues_created\":4", "\"monologues_created\":-4", "a number is out of range" },
		{ "{\"number\":2", "{\"number\":true", "a field has the wrong type" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(broken); i++)
		assert_edit_refused(text, broken[i].from, broken[i].to, broken[i].reason);
	redis_call_record_clear(record);
	g_free(record);
	call_destroy(call, "test");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	call_registry_init();
	strcpy(interface.name, "default");
	set_endpoint(&interface.local, "127.0.0.1:0");
	g_test_add_func("/redis_value/round_trip", test_round_trip);
	g_test_add_func("/redis_value/dtls_round_trip", test_dtls_round_trip);
	g_test_add_func("/redis_value/bundle_round_trip", test_bundle_round_trip);
	g_test_add_func("/redis_value/pubsub_round_trip", test_pubsub_round_trip);
	g_test_add_func("/redis_value/version_1", test_version_1);
	g_test_add_func("/redis_value/refused", test_refused);
	g_test_add_func("/redis_value/srtp_resume", test_srtp_resume);
	g_test_add_func("/redis_value/recording_files", test_recording_files);
	g_test_add_func("/redis_value/media_control", test_media_control);
	g_test_add_func("/redis_value/fork_fields", test_fork_fields);
	g_test_add_func("/redis_value/tones_and_times", test_tones_and_times);
	g_test_add_func("/redis_value/answer_chain", test_answer_chain);
	g_test_add_func("/redis_value/ended_branches", test_ended_branches);
	return g_test_run();
}
