/* Homer: every RTCP packet the relay reads goes to a Homer capture server as a HEP version 3
 * message (lib/hep.h) carrying the report as JSON (--homer, --homer-protocol, --homer-id,
 * --homer-disable-rtcp-stats, as upstream), with the call-id as correlation id.
 *
 * A dead or slow Homer never slows relaying: a worker copies the packet into a bounded queue
 * (one short mutex, a memcpy; nothing else, no system call) and goes on; a full queue drops
 * the packet and counts it. The sender thread ("homer") drains the queue every 20 ms,
 * formats and sends: UDP datagrams, or a TCP stream that is reconnected with backoff (1 s,
 * doubling to 30 s) while packets wait in the queue. Counters: homer_read_totals(), in the
 * statistics snapshot. */
#ifndef RTPENGINE_HOMER_H
#define RTPENGINE_HOMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"

struct homer_settings {
	union endpoint server;          /* unset: Homer off */
	bool tcp;
	uint32_t capture_id;
	bool disable_rtcp_stats;        /* --homer-disable-rtcp-stats: nothing is sent */
};

struct homer_totals {
	uint64_t queued;                /* RTCP packets handed to the sender */
	uint64_t sent;                  /* HEP messages sent */
	uint64_t dropped;               /* queue full: Homer slower than the RTCP */
	uint64_t send_errors;           /* not sent: refused by the socket, or TCP down */
	uint64_t connects;              /* TCP connections made */
};

/* Control thread at start-up: starts the sender thread when Homer is on. Returns 0 or -errno. */
int homer_start(const struct homer_settings *settings);
/* Stops the sender (what is queued is dropped). */
void homer_stop(void);

/* True when RTCP packets are to be queued (read per RTCP packet). */
bool homer_enabled(void);

/* Worker: queues one plain RTCP packet that arrived from source on our local address
 * destination at timestamp_us (CLOCK_REALTIME). Packets longer than the queue's slots
 * (1500 bytes) are dropped and counted. */
void homer_queue_rtcp(const char *call_id, const union endpoint *source, const union endpoint *destination,
                      int64_t timestamp_us, const unsigned char *packet, size_t length);

void homer_read_totals(struct homer_totals *totals);

/* The JSON Homer shows for one RTCP compound (captagent's layout, as upstream sends it);
 * NULL when the packet does not parse. For the sender and the tests; g_free() the result. */
char *homer_rtcp_json(const unsigned char *packet, size_t length);

#endif
