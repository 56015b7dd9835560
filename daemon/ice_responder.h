/* Answers ICE connectivity checks (RFC 8445 section 7.3) that arrive on a media socket for
 * which we advertised our own ICE credentials: a valid Binding request gets a success
 * response and makes its source the stream's confirmed peer. Runs on the media worker. */
#ifndef RTPENGINE_ICE_RESPONDER_H
#define RTPENGINE_ICE_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include "endpoint.h"

struct stream;

/* Returns true when the packet was STUN (consumed: never relayed), false for media. */
bool ice_handle_packet(struct stream *stream, const unsigned char *packet, size_t length,
                       const union endpoint *source);

#endif
