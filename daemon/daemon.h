/* What the control thread hands to every ng command: configuration, interfaces and the
 * daemon-wide counters. One instance, owned by main(). */
#ifndef RTPENGINE_DAEMON_H
#define RTPENGINE_DAEMON_H

#include <stdint.h>
#include "config.h"
#include "interface.h"

struct kernel_table;

/* Why calls ended, and other totals for `statistics`. Control thread only. */
struct daemon_totals {
	uint64_t managed_sessions;
	uint64_t regular_terminated, forced_terminated;
	uint64_t timeout_sessions, silent_timeout_sessions, final_timeout_sessions, offer_timeout_sessions;
	uint64_t rejected_sessions;
	uint64_t relayed_packets, relayed_bytes, relayed_errors;   /* of calls that have ended */
	double total_call_seconds;
	uint64_t ng_errors;
	uint64_t ng_cached_replies, ng_cached_bytes;   /* the retransmission cache's size */
	uint64_t kernel_packets, kernel_bytes, kernel_errors;      /* forwarded in the kernel */
	uint64_t kernel_dropped_srtp;   /* kernel SRTP: authentication failures and replays (in kernel_errors too) */
	/* kernel call recording: packets the module copied into recorded streams and dropped from
	 * their queues since this daemon started (read at the one-second sync) */
	uint64_t kernel_recorded_packets, kernel_recording_dropped;
	/* per-second rates, sampled by the control thread's timer */
	uint64_t packet_rate, byte_rate, error_rate;
	uint64_t sampled_packets, sampled_bytes, sampled_errors;
	/* the kernel's share of the rates above */
	uint64_t packet_rate_kernel, byte_rate_kernel, error_rate_kernel;
	uint64_t sampled_kernel_packets, sampled_kernel_bytes, sampled_kernel_errors;
};

struct daemon_context {
	const struct daemon_config *config;
	struct interface_list interfaces;
	struct daemon_totals totals;
	int64_t started_us;
	struct kernel_table *kernel;        /* NULL: userspace forwarding only */
	const char *kernel_status;          /* one line: why the kernel is (not) used */
	struct event_loop *loop;            /* the control thread's: modules register fds and timers */
};

/* Once a second: updates the packet, byte and error rates `statistics` reports. */
void daemon_sample_rates(struct daemon_context *daemon);

#endif
