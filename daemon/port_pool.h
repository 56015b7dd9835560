/* UDP port pool of one local interface: RTP on an even port, RTCP on the next odd one,
 * picked at random inside --port-min..--port-max (RFC 3550 section 11 pairing). */
#ifndef RTPENGINE_PORT_POOL_H
#define RTPENGINE_PORT_POOL_H

#include <pthread.h>
#include <stdint.h>
#include "endpoint.h"

struct port_pool {
	unsigned int port_min, port_max;
	unsigned int pairs_total;        /* number of even/odd pairs inside the range */
	unsigned int pairs_used;
	unsigned int last_port;          /* RTP port handed out last, for statistics */
	uint8_t *pair_used;              /* one byte per pair: (port - first_even) / 2 */
	unsigned int first_even;
	pthread_mutex_t lock;
};

int port_pool_init(struct port_pool *pool, unsigned int port_min, unsigned int port_max);
void port_pool_destroy(struct port_pool *pool);
/* Opens two UDP sockets bound to local's address on a free even port and the next one.
 * tos < 0 leaves the TOS/traffic class alone. Returns 0 and fills fds/rtp_port, or -ENOSPC
 * when every pair is taken (in the pool or by other programs), or another negative errno. */
int port_pool_take_pair(struct port_pool *pool, const union endpoint *local, int tos, int fds[2],
                        unsigned int *rtp_port);
/* Redis restore: the pair starting at rtp_port (even, inside the range), as another process
 * held it. Returns 0, -EINVAL (not a pair of this pool), -EADDRINUSE (taken here or by another
 * program) or another negative errno. */
int port_pool_take_port(struct port_pool *pool, const union endpoint *local, int tos, unsigned int rtp_port,
                        int fds[2]);
/* Gives the pair starting at rtp_port back; the caller has closed the sockets. */
void port_pool_release_pair(struct port_pool *pool, unsigned int rtp_port);
unsigned int port_pool_ports_used(struct port_pool *pool);

#endif
