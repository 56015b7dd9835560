/* One ng exchange over UDP: `COOKIE <bencoded request>` out, `COOKIE <bencoded reply>` back
 * (the ng protocol frames every message that way, one message per datagram), with
 * retransmission of the same datagram on timeout so that a daemon that already handled a
 * lost reply's request answers from its cache instead of running the command twice. */
#ifndef RTPENGINE_NG_CLIENT_TRANSPORT_H
#define RTPENGINE_NG_CLIENT_TRANSPORT_H

#include <glib.h>
#include "endpoint.h"

/* A cookie is any run of non-space bytes; this one is random hex text. */
#define NG_CLIENT_COOKIE_SIZE 17

struct ng_client_timing {
	unsigned int timeout_ms;        /* how long each attempt waits for the reply */
	unsigned int retries;           /* retransmissions after the first send */
};

/* A fresh random cookie, NUL-terminated, into cookie[NG_CLIENT_COOKIE_SIZE]. */
void ng_client_new_cookie(char *cookie);

/* Sends `cookie request` to proxy and waits for the reply that carries the same cookie
 * (replies with another cookie are stragglers of someone else's exchange and are skipped).
 * On 0, reply holds the bytes after "COOKIE ". Returns -ETIMEDOUT when no attempt was
 * answered, another negative errno when the socket failed; *error_message is then a
 * g_malloc'ed description. */
int ng_client_exchange(const union endpoint *proxy, const struct ng_client_timing *timing, const char *cookie,
		       const GString *request, GString *reply, char **error_message);

#endif
