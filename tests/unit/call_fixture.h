/* Unit tests that build calls by hand: give a media its socket pair as an offer's publish()
 * does, and let its worker poll them (when the call has one). */
#ifndef RTPENGINE_TEST_CALL_FIXTURE_H
#define RTPENGINE_TEST_CALL_FIXTURE_H

#include <glib.h>
#include "call.h"
#include "interface.h"
#include "port_pool.h"
#include "relay.h"

static inline void fixture_open_sockets(struct media *media, struct local_interface *interface)
{
	int fds[2];
	unsigned int port;
	g_assert_cmpint(port_pool_take_pair(&interface->pool, &interface->local, -1, fds, &port), ==, 0);
	media->interface = interface;
	media->rtp_port = port;
	struct call *call = media->monologue->call;
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		struct stream *stream = &media->streams[kind];
		stream->fd = fds[kind];
		stream->local_port = (uint16_t) (port + (unsigned int) kind);
		if (call->worker)
			g_assert_cmpint(relay_watch_stream(call->worker, stream), ==, 0);
	}
}

#endif
