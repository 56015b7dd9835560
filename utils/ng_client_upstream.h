/* Upstream's rtpengine-ng-client (Perl, Debian's rtpengine-utils 10.5) takes the request's
 * keys as options: --call-id=X, --from-tag=X, --trust-address, --replace-origin,
 * --codec-strip=PCMA, --flags=NAME, --sdp=TEXT, --proxy-address=HOST --proxy-port=PORT, ...
 * Scripts written for it keep working with ours: these options are read here (in upstream's
 * spellings, names compared without case as Perl's Getopt::Long does) and become the same
 * request keys upstream sends. Differences that remain: utils/README.md. */
#ifndef RTPENGINE_NG_CLIENT_UPSTREAM_H
#define RTPENGINE_NG_CLIENT_UPSTREAM_H

#include <glib.h>
#include <stdbool.h>
#include "bencode.h"

struct ng_client_upstream {
	GPtrArray *strings;            /* key, value, key, value, ... (owned) */
	GPtrArray *integers;           /* key, value text, ...: sent as bencode integers (owned) */
	GPtrArray *lists;              /* key (owned), GPtrArray of values, ... */
	GPtrArray *codec;              /* codec sub-key (owned), GPtrArray of values, ... */
	GPtrArray *flags;              /* flag names (owned), before --flag's */
	char *sdp;                     /* --sdp=TEXT */
	char *blob, *blob_file;
	char *proxy_address, *proxy_port;
	bool codec_options_flat;       /* --codec-options-flat: codec-X-NAME flags, not a codec dictionary */
};

void ng_client_upstream_init(struct ng_client_upstream *upstream);
void ng_client_upstream_clear(struct ng_client_upstream *upstream);

/* argv[index] starts with "--": when it names one of upstream's options, takes it (and its
 * value: after '=' or the next argument). Returns the number of arguments used (1 or 2), 0
 * when the name is not upstream's, -EINVAL with *error_message when the value is missing. */
int ng_client_upstream_option(struct ng_client_upstream *upstream, int argc, char **argv, int index,
			      char **error_message);

/* Adds what the options asked for to request; *flags is the request's "flags" list (created
 * here when needed). Returns 0, or a negative errno with *error_message when --blob-file
 * cannot be read. */
int ng_client_upstream_build(const struct ng_client_upstream *upstream, struct bencode_buffer *buffer,
			     struct bencode_item *request, struct bencode_item **flags, char **error_message);

#endif
