/* Fuzz target for the SDP parser and writer: parse, and when it parses, rewrite with a fixed
 * address and ports (alternating the option flags by input length), then parse our own output
 * again, which must always succeed. */
#include "sdp.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define FUZZ_MAX_MEDIA 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *error = NULL;
	struct sdp_session *session = sdp_parse((const char *) data, size, &error);
	if (!session) {
		if (!error)
			abort();
		return 0;
	}
	static const char *const extra[] = { "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA", "setup:actpass" };
	struct sdp_media_rewrite media[FUZZ_MAX_MEDIA] = { 0 };
	unsigned int count = session->media->len;
	if (count > FUZZ_MAX_MEDIA)
		abort();
	for (unsigned int i = 0; i < count; i++) {
		bool ipv6 = (size + i) & 1;
		media[i].address.family = ipv6 ? AF_INET6 : AF_INET;
		g_strlcpy(media[i].address.text, ipv6 ? "::1" : "127.0.0.1", sizeof(media[i].address.text));
		media[i].rtp_port = (i % 3 == 2) ? 0 : 40000 + 2 * i;
		media[i].rtcp_mux = size & 2;
		media[i].rtcp_port = media[i].rtcp_mux ? media[i].rtp_port : media[i].rtp_port + 1;
		media[i].direction = (enum sdp_direction) ((size >> 2) % 5);
		media[i].remove_ice = size & 8;
		if (size & 16) {
			media[i].ice_ufrag = "ufrag";
			media[i].ice_pwd = "password";
			media[i].ice_foundation = "1";
		}
		if (size & 32) {
			media[i].extra_attributes = extra;
			media[i].extra_attribute_count = 2;
		}
		if (size & 64)
			media[i].protocol = "RTP/SAVPF";
	}
	struct sdp_rewrite_options options = {
		.replace_origin = size & 128,
		.replace_session_connection = size & 256,
		.no_rtcp_attribute = size & 512,
		.full_rtcp_attribute = size & 1024,
		.loop_protect = true,
		.loop_protect_token = "fuzz",
		.media_count = count,
		.media = media,
	};
	GString *out = g_string_new("");
	if (sdp_rewrite(session, &options, out))
		abort();
	/* What we emit must parse again and carry our marker (unless the codec block pushed it
	 * past the parser's line limit). */
	size_t lines = 0;
	for (size_t i = 0; i < out->len; i++)
		lines += out->str[i] == '\n';
	if (lines < 4000) {
		struct sdp_session *again = sdp_parse(out->str, out->len, &error);
		if (!again || again->media->len != count || !sdp_has_loop_marker(again, "fuzz"))
			abort();
		sdp_session_free(again);
	}
	options.media_count = count + 1;
	if (sdp_rewrite(session, &options, out) != -EINVAL)
		abort();
	g_string_free(out, TRUE);
	sdp_session_free(session);
	return 0;
}
