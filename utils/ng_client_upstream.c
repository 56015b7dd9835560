/* Upstream rtpengine-ng-client's options; see ng_client_upstream.h. The table follows the
 * Perl client's GetOptions list and how it fills the request (10.5). */
#include "ng_client_upstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum upstream_kind {
	UPSTREAM_STRING,       /* --NAME=VALUE: "KEY": "VALUE" */
	UPSTREAM_INTEGER,      /* --NAME=N: "KEY": N (a bencode integer, as upstream sends it) */
	UPSTREAM_FLAG,         /* --NAME: "KEY" appended to "flags" */
	UPSTREAM_REPLACE,      /* --replace-X: "X" appended to "replace" */
	UPSTREAM_LIST,         /* --NAME=VALUE, repeatable: "KEY": [VALUE, ...] */
	UPSTREAM_CODEC,        /* --codec-X=NAME, repeatable: "codec": {"X": [NAME, ...]} */
	UPSTREAM_DIRECTION,    /* --direction=A,B: "direction": [A, B] */
	UPSTREAM_FLAGS,        /* --flags=NAME, repeatable: NAME appended to "flags" */
	UPSTREAM_SDP,
	UPSTREAM_BLOB,
	UPSTREAM_BLOB_FILE,
	UPSTREAM_PROXY_ADDRESS,
	UPSTREAM_PROXY_PORT,
	UPSTREAM_CODEC_FLAT,
	UPSTREAM_UNUSED_VALUE, /* taken and not sent, as upstream (--client-address) */
};

struct upstream_option {
	const char *name;
	enum upstream_kind kind;
	const char *key;
};

static const struct upstream_option upstream_options[] = {
	{ "proxy-address", UPSTREAM_PROXY_ADDRESS, NULL },
	{ "proxy-port", UPSTREAM_PROXY_PORT, NULL },
	{ "from-tag", UPSTREAM_STRING, "from-tag" }, { "to-tag", UPSTREAM_STRING, "to-tag" },
	{ "call-id", UPSTREAM_STRING, "call-id" }, { "via-branch", UPSTREAM_STRING, "via-branch" },
	{ "protocol", UPSTREAM_STRING, "transport protocol" },
	{ "media-address", UPSTREAM_STRING, "media address" }, { "ICE", UPSTREAM_STRING, "ICE" },
	{ "address-family", UPSTREAM_STRING, "address family" }, { "DTLS", UPSTREAM_STRING, "DTLS" },
	{ "ptime", UPSTREAM_STRING, "ptime" }, { "xmlrpc-callback", UPSTREAM_STRING, "xmlrpc-callback" },
	{ "metadata", UPSTREAM_STRING, "metadata" }, { "address", UPSTREAM_STRING, "address" },
	{ "file", UPSTREAM_STRING, "file" }, { "db-id", UPSTREAM_STRING, "db-id" },
	{ "code", UPSTREAM_STRING, "code" }, { "DTLS-fingerprint", UPSTREAM_STRING, "DTLS-fingerprint" },
	{ "ICE-lite", UPSTREAM_STRING, "ICE-lite" }, { "media-echo", UPSTREAM_STRING, "media echo" },
	{ "label", UPSTREAM_STRING, "label" }, { "set-label", UPSTREAM_STRING, "set-label" },
	{ "from-label", UPSTREAM_STRING, "from-label" }, { "to-label", UPSTREAM_STRING, "to-label" },
	{ "DTMF-security", UPSTREAM_STRING, "DTMF-security" }, { "digit", UPSTREAM_STRING, "digit" },
	{ "DTMF-security-trigger", UPSTREAM_STRING, "DTMF-security-trigger" },
	{ "DTMF-security-trigger-end", UPSTREAM_STRING, "DTMF-security-trigger-end" },
	{ "trigger", UPSTREAM_STRING, "trigger" }, { "trigger-end", UPSTREAM_STRING, "trigger-end" },
	{ "TOS", UPSTREAM_INTEGER, "TOS" }, { "delete-delay", UPSTREAM_INTEGER, "delete-delay" },
	{ "delay-buffer", UPSTREAM_INTEGER, "delay-buffer" }, { "volume", UPSTREAM_INTEGER, "volume" },
	{ "frequency", UPSTREAM_INTEGER, "frequency" },
	{ "trigger-end-time", UPSTREAM_INTEGER, "trigger-end-time" },
	{ "trigger-end-digits", UPSTREAM_INTEGER, "trigger-end-digits" },
	{ "DTMF-delay", UPSTREAM_INTEGER, "DTMF-delay" },
	{ "trust-address", UPSTREAM_FLAG, "trust address" }, { "symmetric", UPSTREAM_FLAG, "symmetric" },
	{ "asymmetric", UPSTREAM_FLAG, "asymmetric" }, { "unidirectional", UPSTREAM_FLAG, "unidirectional" },
	{ "force", UPSTREAM_FLAG, "force" }, { "strict-source", UPSTREAM_FLAG, "strict source" },
	{ "media-handover", UPSTREAM_FLAG, "media handover" },
	/* Getopt::Long compares without case: --SIP-source-address is upstream's second spelling,
	 * which it sends as "SIP-source-address"; both reach the daemon as the same flag */
	{ "sip-source-address", UPSTREAM_FLAG, "sip source address" },
	{ "reset", UPSTREAM_FLAG, "reset" }, { "port-latching", UPSTREAM_FLAG, "port latching" },
	{ "no-rtcp-attribute", UPSTREAM_FLAG, "no rtcp attribute" },
	{ "full-rtcp-attribute", UPSTREAM_FLAG, "full rtcp attribute" },
	{ "loop-protect", UPSTREAM_FLAG, "loop protect" }, { "record-call", UPSTREAM_FLAG, "record call" },
	{ "always-transcode", UPSTREAM_FLAG, "always transcode" }, { "all", UPSTREAM_FLAG, "all" },
	{ "siprec", UPSTREAM_FLAG, "SIPREC" }, { "pad-crypto", UPSTREAM_FLAG, "pad crypto" },
	{ "generate-mid", UPSTREAM_FLAG, "generate mid" }, { "fragment", UPSTREAM_FLAG, "fragment" },
	{ "original-sendrecv", UPSTREAM_FLAG, "original sendrecv" },
	{ "symmetric-codecs", UPSTREAM_FLAG, "symmetric codecs" },
	{ "asymmetric-codecs", UPSTREAM_FLAG, "asymmetric codecs" },
	{ "inject-DTMF", UPSTREAM_FLAG, "inject DTMF" }, { "detect-DTMF", UPSTREAM_FLAG, "detect DTMF" },
	{ "generate-RTCP", UPSTREAM_FLAG, "generate RTCP" }, { "single-codec", UPSTREAM_FLAG, "single codec" },
	{ "no-codec-renegotiation", UPSTREAM_FLAG, "no codec renegotiation" },
	{ "pierce-NAT", UPSTREAM_FLAG, "pierce NAT" }, { "allow-transcoding", UPSTREAM_FLAG, "allow transcoding" },
	{ "trickle-ICE", UPSTREAM_FLAG, "trickle ICE" }, { "reject-ICE", UPSTREAM_FLAG, "reject ICE" },
	{ "egress", UPSTREAM_FLAG, "egress" }, { "no-jitter-buffer", UPSTREAM_FLAG, "no jitter buffer" },
	{ "replace-origin", UPSTREAM_REPLACE, "origin" },
	{ "replace-session-connection", UPSTREAM_REPLACE, "session connection" },
	{ "replace-sdp-version", UPSTREAM_REPLACE, "sdp version" },
	{ "replace-username", UPSTREAM_REPLACE, "username" },
	{ "replace-session-name", UPSTREAM_REPLACE, "session-name" },
	{ "replace-zero-address", UPSTREAM_REPLACE, "zero-address" },
	{ "SDES", UPSTREAM_LIST, "SDES" }, { "rtcp-mux", UPSTREAM_LIST, "rtcp-mux" },
	{ "supports", UPSTREAM_LIST, "supports" }, { "T38", UPSTREAM_LIST, "T.38" },
	{ "OSRTP", UPSTREAM_LIST, "OSRTP" }, { "received-from", UPSTREAM_LIST, "received-from" },
	{ "from-tags", UPSTREAM_LIST, "from-tags" },
	{ "codec-strip", UPSTREAM_CODEC, "strip" }, { "codec-offer", UPSTREAM_CODEC, "offer" },
	{ "codec-transcode", UPSTREAM_CODEC, "transcode" }, { "codec-mask", UPSTREAM_CODEC, "mask" },
	{ "codec-set", UPSTREAM_CODEC, "set" }, { "codec-consume", UPSTREAM_CODEC, "consume" },
	{ "codec-accept", UPSTREAM_CODEC, "accept" }, { "codec-except", UPSTREAM_CODEC, "except" },
	{ "codec-options-flat", UPSTREAM_CODEC_FLAT, NULL },
	{ "direction", UPSTREAM_DIRECTION, "direction" },
	{ "flags", UPSTREAM_FLAGS, NULL },
	{ "sdp", UPSTREAM_SDP, NULL },
	{ "blob", UPSTREAM_BLOB, NULL }, { "blob-file", UPSTREAM_BLOB_FILE, NULL },
	{ "client-address", UPSTREAM_UNUSED_VALUE, NULL },
};

static bool takes_value(enum upstream_kind kind)
{
	return kind != UPSTREAM_FLAG && kind != UPSTREAM_REPLACE && kind != UPSTREAM_CODEC_FLAT;
}

/* The list after key in pairs (key, GPtrArray), created when missing. */
static GPtrArray *list_of(GPtrArray *pairs, const char *key)
{
	for (guint i = 0; i + 1 < pairs->len; i += 2)
		if (!strcmp(g_ptr_array_index(pairs, i), key))
			return g_ptr_array_index(pairs, i + 1);
	GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(pairs, g_strdup(key));
	g_ptr_array_add(pairs, values);
	return values;
}

static void free_pairs(GPtrArray *pairs)
{
	for (guint i = 0; i + 1 < pairs->len; i += 2) {
		g_free(g_ptr_array_index(pairs, i));
		g_ptr_array_unref(g_ptr_array_index(pairs, i + 1));
	}
	g_ptr_array_free(pairs, TRUE);
}

static void replace_text(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

/* ---- public functions ----------------------------------------------------------------- */

void ng_client_upstream_init(struct ng_client_upstream *upstream)
{
	*upstream = (struct ng_client_upstream) {
		.strings = g_ptr_array_new_with_free_func(g_free),
		.integers = g_ptr_array_new_with_free_func(g_free),
		.lists = g_ptr_array_new(),
		.codec = g_ptr_array_new(),
		.flags = g_ptr_array_new_with_free_func(g_free),
	};
}

void ng_client_upstream_clear(struct ng_client_upstream *upstream)
{
	g_ptr_array_free(upstream->strings, TRUE);
	g_ptr_array_free(upstream->integers, TRUE);
	free_pairs(upstream->lists);
	free_pairs(upstream->codec);
	g_ptr_array_free(upstream->flags, TRUE);
	g_free(upstream->sdp);
	g_free(upstream->blob);
	g_free(upstream->blob_file);
	g_free(upstream->proxy_address);
	g_free(upstream->proxy_port);
}

int ng_client_upstream_option(struct ng_client_upstream *upstream, int argc, char **argv, int index,
			      char **error_message)
{
	const char *name = argv[index] + 2;
	const char *equals = strchr(name, '=');
	size_t length = equals ? (size_t) (equals - name) : strlen(name);
	const struct upstream_option *option = NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(upstream_options) && !option; i++)
		if (strlen(upstream_options[i].name) == length && !g_ascii_strncasecmp(upstream_options[i].name, name, length))
			option = &upstream_options[i];
	if (!option)
		return 0;
	const char *value = NULL;
	int used = 1;
	if (takes_value(option->kind)) {
		if (equals) {
			value = equals + 1;
		} else if (index + 1 < argc) {
			value = argv[index + 1];
			used = 2;
		} else {
			*error_message = g_strdup_printf("option '--%s' needs a value", option->name);
			return -EINVAL;
		}
	} else if (equals) {
		*error_message = g_strdup_printf("option '--%s' takes no value", option->name);
		return -EINVAL;
	}
	switch (option->kind) {
	case UPSTREAM_STRING:
		g_ptr_array_add(upstream->strings, g_strdup(option->key));
		g_ptr_array_add(upstream->strings, g_strdup(value));
		break;
	case UPSTREAM_INTEGER: {
		char *end;
		errno = 0;
		(void) strtoll(value, &end, 10);
		if (!*value || *end || errno) {
			*error_message = g_strdup_printf("option '--%s' needs an integer, not '%s'", option->name, value);
			return -EINVAL;
		}
		g_ptr_array_add(upstream->integers, g_strdup(option->key));
		g_ptr_array_add(upstream->integers, g_strdup(value));
		break;
	}
	case UPSTREAM_FLAG:
		g_ptr_array_add(upstream->flags, g_strdup(option->key));
		break;
	case UPSTREAM_FLAGS:
		g_ptr_array_add(upstream->flags, g_strdup(value));
		break;
	case UPSTREAM_REPLACE:
		g_ptr_array_add(list_of(upstream->lists, "replace"), g_strdup(option->key));
		break;
	case UPSTREAM_LIST:
		g_ptr_array_add(list_of(upstream->lists, option->key), g_strdup(value));
		break;
	case UPSTREAM_CODEC:
		g_ptr_array_add(list_of(upstream->codec, option->key), g_strdup(value));
		break;
	case UPSTREAM_DIRECTION: {
		const char *comma = strrchr(value, ',');
		if (!comma) {
			*error_message = g_strdup("--direction needs two interface names: A,B");
			return -EINVAL;
		}
		GPtrArray *list = list_of(upstream->lists, "direction");
		g_ptr_array_set_size(list, 0);
		g_ptr_array_add(list, g_strndup(value, (gsize) (comma - value)));
		g_ptr_array_add(list, g_strdup(comma + 1));
		break;
	}
	case UPSTREAM_SDP:
		replace_text(&upstream->sdp, value);
		break;
	case UPSTREAM_BLOB:
		replace_text(&upstream->blob, value);
		break;
	case UPSTREAM_BLOB_FILE:
		replace_text(&upstream->blob_file, value);
		break;
	case UPSTREAM_PROXY_ADDRESS:
		replace_text(&upstream->proxy_address, value);
		break;
	case UPSTREAM_PROXY_PORT:
		replace_text(&upstream->proxy_port, value);
		break;
	case UPSTREAM_CODEC_FLAT:
		upstream->codec_options_flat = true;
		break;
	case UPSTREAM_UNUSED_VALUE:
		break;
	}
	return used;
}

int ng_client_upstream_build(const struct ng_client_upstream *upstream, struct bencode_buffer *buffer,
			     struct bencode_item *request, struct bencode_item **flags, char **error_message)
{
	for (guint i = 0; i + 1 < upstream->strings->len; i += 2)
		bencode_dictionary_add_string(buffer, request, g_ptr_array_index(upstream->strings, i),
					      g_ptr_array_index(upstream->strings, i + 1));
	for (guint i = 0; i + 1 < upstream->integers->len; i += 2)
		bencode_dictionary_add_integer(buffer, request, g_ptr_array_index(upstream->integers, i),
					       strtoll(g_ptr_array_index(upstream->integers, i + 1), NULL, 10));
	for (guint i = 0; i + 1 < upstream->lists->len; i += 2) {
		GPtrArray *values = g_ptr_array_index(upstream->lists, i + 1);
		struct bencode_item *list = bencode_dictionary_add_list(buffer, request, g_ptr_array_index(upstream->lists, i));
		for (guint j = 0; j < values->len; j++)
			bencode_list_append_string(buffer, list, g_ptr_array_index(values, j));
	}
	GPtrArray *flag_names = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < upstream->flags->len; i++)
		g_ptr_array_add(flag_names, g_strdup(g_ptr_array_index(upstream->flags, i)));
	struct bencode_item *codec = NULL;
	for (guint i = 0; i + 1 < upstream->codec->len; i += 2) {
		const char *what = g_ptr_array_index(upstream->codec, i);
		GPtrArray *values = g_ptr_array_index(upstream->codec, i + 1);
		if (upstream->codec_options_flat) {
			for (guint j = 0; j < values->len; j++)
				g_ptr_array_add(flag_names, g_strdup_printf("codec-%s-%s", what, (char *) g_ptr_array_index(values, j)));
			continue;
		}
		if (!codec)
			codec = bencode_dictionary_add_dictionary(buffer, request, "codec");
		struct bencode_item *list = bencode_dictionary_add_list(buffer, codec, what);
		for (guint j = 0; j < values->len; j++)
			bencode_list_append_string(buffer, list, g_ptr_array_index(values, j));
	}
	if (flag_names->len && !*flags)
		*flags = bencode_dictionary_add_list(buffer, request, "flags");
	for (guint i = 0; i < flag_names->len; i++)
		bencode_list_append_string(buffer, *flags, g_ptr_array_index(flag_names, i));
	g_ptr_array_free(flag_names, TRUE);
	if (upstream->sdp)
		bencode_dictionary_add_string(buffer, request, "sdp", upstream->sdp);
	if (upstream->blob) {
		bencode_dictionary_add_string(buffer, request, "blob", upstream->blob);
	} else if (upstream->blob_file) {
		char *contents = NULL;
		gsize length = 0;
		GError *error = NULL;
		if (!g_file_get_contents(upstream->blob_file, &contents, &length, &error)) {
			*error_message = g_strdup_printf("cannot read --blob-file: %s", error->message);
			g_error_free(error);
			return -ENOENT;
		}
		bencode_dictionary_add_string_length(buffer, request, "blob", contents, length);
		g_free(contents);
	}
	return 0;
}
