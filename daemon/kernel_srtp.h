/* SDES-SRTP streams in the kernel: the session keys the module needs (derived here, RFC 3711
 * section 4.3) and the per-SSRC rollover state handed from the daemon's SRTP contexts to the
 * module and back (kernel-module/README.md, "SRTP").
 *
 * Threads: control thread only; export and import must be called under the call's lock (the
 * media worker changes the contexts under it). */
#ifndef RTPENGINE_KERNEL_SRTP_H
#define RTPENGINE_KERNEL_SRTP_H

#include <stdbool.h>
#include "kernel.h"

struct media;

/* The keys of one side's SRTP: encrypt = what we send to the side (our key), else what the
 * side sends (its key). Plain RTP gives cipher KERNEL_SRTP_NONE. *context identifies the
 * contexts the keys belong to (NULL for plain). Returns NULL, or why the kernel cannot take
 * this side's SRTP (static text for query). */
const char *kernel_srtp_keys_of(const struct media *media, bool encrypt, struct kernel_srtp_keys *keys,
				const void **context);
/* The same, reusing cached_keys when the side still has the contexts cached_context they
 * were derived for (a re-key always makes new contexts): the one-second sync of many SRTP
 * streams then derives nothing. */
const char *kernel_srtp_keys_cached(const struct media *media, bool encrypt, const void *cached_context,
				    const struct kernel_srtp_keys *cached_keys, struct kernel_srtp_keys *keys,
				    const void **context);
/* Under call->lock: the RTP rollover state of the side's context into out->ssrcs. */
void kernel_srtp_export(const struct media *media, bool encrypt, struct kernel_srtp *out);
/* Under call->lock: the state the kernel hands back, into the side's context, if that is
 * still `context` (a re-key made new contexts: the old state means nothing to them). */
void kernel_srtp_import(struct media *media, bool encrypt, const void *context,
			const struct kernel_srtp_ssrc *ssrcs);
/* Under call->lock, once a second while the kernel has the stream: like kernel_srtp_import,
 * but only SSRCs whose index the kernel has moved past the context's. The context then
 * follows the kernel to within a second, so what Redis stores for a standby or a restarted
 * daemon (its index, to within 256 packets) is not left where the stream entered the kernel,
 * and a packet the kernel passes up is never protected with an index the kernel used. */
void kernel_srtp_follow(struct media *media, bool encrypt, const void *context,
			const struct kernel_srtp_ssrc *ssrcs);

#endif
