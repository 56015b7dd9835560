/* The kernel's per-SSRC RTP statistics (xt_RTPENGINE ABI 3) folded into the daemon's own
 * media quality state (media_quality.h), so that query, delete, the MOS and the SSRC figures
 * read the same numbers whether a stream's RTP is forwarded in the kernel or in userspace,
 * and a stream that leaves the kernel continues from where the kernel stopped.
 *
 * The kernel counts from the target's creation; the daemon remembers, per stream and kernel
 * slot, what it has already added (struct kernel_quality_seen, reset whenever the target is
 * removed) and adds the difference: distinct packets, duplicates, reordered packets and the
 * advance of the extended highest sequence (the first look maps the kernel's first sequence
 * number next to the daemon's highest, RFC 3550 A.1). The jitter estimate, the last RTP
 * timestamp, arrival time and clock rate are taken over as they are (the kernel measures the
 * same A.8 estimator on CLOCK_MONOTONIC, the clock the worker reads).
 *
 * Threads: control thread, under the call's lock (the worker writes the same struct). No
 * allocation, plain arithmetic. */
#ifndef RTPENGINE_KERNEL_QUALITY_H
#define RTPENGINE_KERNEL_QUALITY_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel.h"

struct ssrc_quality;

struct kernel_quality_seen {
	struct {
		bool used;
		uint32_t ssrc;
		uint64_t packets, duplicates, reordered;
		uint32_t highest_sequence;   /* the kernel's extended number */
	} slots[KERNEL_SSRC_SLOTS];
};

struct payload_clock_rates;

/* The clock rates handed to the kernel with a target, so that the kernel's jitter is the one
 * userspace measures (media_quality.c): first the rates the stream's SDP gives that are not
 * 8000 Hz (dynamic types from a=rtpmap, NULL: none), then the static payload types whose rate is
 * not 8000 Hz (RFC 3551 section 6) that the SDP does not map otherwise, as many as fit. */
void kernel_quality_clock_rates(const struct payload_clock_rates *sdp,
				struct kernel_clock_rate rates[KERNEL_CLOCK_RATE_SLOTS]);

/* Adds what the kernel measured since the last call into quality (the RTP stream's).
 * Returns how many new distinct packets were added. */
uint64_t kernel_quality_merge(struct ssrc_quality *quality, struct kernel_quality_seen *seen,
                              const struct kernel_rtp_stats stats[KERNEL_SSRC_SLOTS]);

#endif
