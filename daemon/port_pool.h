/* UDP port pool of one local interface: RTP on an even port, RTCP on the next odd one,
 * picked at random inside --port-min..--port-max (RFC 3550 section 11 pairing).
 *
 * Parked pairs: a call's pair may be given back with its sockets still open and bound
 * (port_pool_park_pair()); the next port_pool_take_pair() hands out the oldest parked pair
 * that has rested PORT_POOL_PARK_MIN_AGE_MS, drained of whatever arrived meanwhile, instead
 * of opening two new sockets (socket(), bind() and later close() were a third of the
 * daemon's CPU per ng offer/answer/delete cycle). Parked pairs count as free ports. */
#ifndef RTPENGINE_PORT_POOL_H
#define RTPENGINE_PORT_POOL_H

#include <pthread.h>
#include <stdint.h>
#include "endpoint.h"

/* A parked pair's sockets (the pool's lock guards them). */
struct port_pool_parked {
	int fds[2];
	int tos;                         /* as set when opened; a take with another TOS sets it */
	unsigned int next;               /* the next younger parked pair, or PORT_POOL_PARK_NONE */
	int64_t since_us;                /* CLOCK_MONOTONIC_COARSE when parked */
	int epoll_fd;                    /* the epoll set both are still in, disabled (relay_park_socket()), or -1 */
};

struct port_pool {
	unsigned int port_min, port_max;
	unsigned int pairs_total;        /* number of even/odd pairs inside the range */
	unsigned int pairs_used;
	unsigned int last_port;          /* RTP port handed out last, for statistics */
	uint8_t *pair_used;              /* one byte per pair: (port - first_even) / 2 */
	unsigned int first_even;
	pthread_mutex_t lock;
	/* parked pairs (pair_used[index] == PORT_PAIR_PARKED): a FIFO through park[], oldest first */
	struct port_pool_parked *park;   /* indexed like pair_used; valid only where parked */
	unsigned int park_head, park_tail;  /* pair indexes; PORT_POOL_PARK_NONE when empty */
	unsigned int parked, park_max;   /* parked pairs now, at most */
	int64_t park_min_age_us;         /* PORT_POOL_PARK_MIN_AGE_MS; the unit tests shorten it */
	int tos;                         /* of the last take: what a pair parked now was opened with */
};

#define PORT_POOL_PARK_NONE 0xffffffffu
/* A freed port is handed to a new call only after resting this long: one packet interval
 * at the common ptime, so a sender that kept going after its call ended shows up in the
 * drain (and the pair waits longer) rather than in the new call. */
#define PORT_POOL_PARK_MIN_AGE_MS 20
/* At most this many parked pairs per pool, and never more than an eighth of the descriptor
 * limit's sockets (a parked pair holds two). */
#define PORT_POOL_PARK_MAX 1024

int port_pool_init(struct port_pool *pool, unsigned int port_min, unsigned int port_max);
void port_pool_destroy(struct port_pool *pool);
/* Opens two UDP sockets bound to local's address on a free even port and the next one.
 * tos < 0 leaves the TOS/traffic class alone. Returns 0 and fills fds/rtp_port, or -ENOSPC
 * when every pair is taken (in the pool or by other programs), or another negative errno. */
int port_pool_take_pair(struct port_pool *pool, const union endpoint *local, int tos, int fds[2],
                        unsigned int *rtp_port);
/* The same, for a caller that can take a parked pair's sockets still registered (disabled)
 * in an epoll set: *epoll_fd says which (or -1: in none). port_pool_take_pair() takes them
 * out of it. */
int port_pool_take_pair_watched(struct port_pool *pool, const union endpoint *local, int tos, int fds[2],
                                unsigned int *rtp_port, int *epoll_fd);
/* Redis restore: the pair starting at rtp_port (even, inside the range), as another process
 * held it. Returns 0, -EINVAL (not a pair of this pool), -EADDRINUSE (taken here or by another
 * program) or another negative errno. */
int port_pool_take_port(struct port_pool *pool, const union endpoint *local, int tos, unsigned int rtp_port,
                        int fds[2]);
/* Gives the pair starting at rtp_port back; the caller has closed the sockets. */
void port_pool_release_pair(struct port_pool *pool, unsigned int rtp_port);
/* Gives the pair starting at rtp_port back with its sockets fds (RTP, RTCP) still open and
 * bound, and in no epoll set but epoll_fd (-1: none), where the caller disabled them:
 * parked for a later take, or closed when the pool has as many parked as it may keep. The
 * pool owns fds from here on. */
void port_pool_park_pair(struct port_pool *pool, unsigned int rtp_port, const int fds[2], int epoll_fd);
unsigned int port_pool_parked_pairs(struct port_pool *pool);
unsigned int port_pool_ports_used(struct port_pool *pool);

#endif
