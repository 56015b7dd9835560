/* Port pairs for media sockets; see port_pool.h. */
#include "port_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* pair_used[] */
enum { PORT_PAIR_FREE, PORT_PAIR_USED, PORT_PAIR_PARKED };

/* parked pairs looked at per take before opening new sockets instead (each one found still
 * receiving goes to the back of the queue) */
#define PARK_TRIES 4
/* datagrams read per recvmmsg() while draining, and rounds before a socket that keeps
 * receiving is given up (closed) rather than handed out */
#define DRAIN_BATCH 16
#define DRAIN_ROUNDS 8

/* Opens one non-blocking UDP socket bound to address:port. */
static int open_bound_socket(const union endpoint *local, unsigned int port, int tos)
{
	int fd = socket(local->address.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	union endpoint address = *local;
	endpoint_set_port(&address, port);
	if (local->address.sa_family == AF_INET6) {
		int on = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	}
	if (bind(fd, &address.address, endpoint_length(&address)) < 0) {
		int error = -errno;
		close(fd);
		return error;
	}
	if (tos >= 0) {
		if (local->address.sa_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
		else
			setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	}
	return fd;
}

static int64_t coarse_now_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/* Reads and discards what a parked socket received (MSG_TRUNC: nothing is copied).
 * Returns the datagrams read, or -1 when it kept receiving for DRAIN_ROUNDS batches. */
static int drain_socket(int fd)
{
	/* set up once per thread: the kernel writes only msg_len and msg_flags (MSG_TRUNC) */
	static __thread char sink[1];
	static __thread struct iovec vector;
	static __thread struct mmsghdr headers[DRAIN_BATCH];
	if (!vector.iov_base) {
		vector = (struct iovec) { sink, sizeof(sink) };
		for (unsigned int i = 0; i < DRAIN_BATCH; i++)
			headers[i].msg_hdr = (struct msghdr) { .msg_iov = &vector, .msg_iovlen = 1 };
	}
	int total = 0;
	for (unsigned int round = 0; round < DRAIN_ROUNDS; round++) {
		int received = recvmmsg(fd, headers, DRAIN_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (received <= 0)
			return total;   /* EAGAIN: empty (another error: the socket is no worse for it) */
		total += received;
	}
	return -1;
}

/* Drains both sockets of a parked pair. One poll() first: the usual answer is that neither
 * has anything, and it costs half of two empty reads (measured: 0.9 against 1.7 us).
 * Returns the datagrams read, or -1 (see drain_socket()). */
static int drain_pair(const int fds[2])
{
	struct pollfd ready[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
	int count = poll(ready, 2, 0);
	if (count == 0)
		return 0;
	int total = 0;
	for (int i = 0; i < 2; i++) {
		if (count > 0 && !ready[i].revents)
			continue;
		int got = drain_socket(fds[i]);
		if (got < 0)
			return -1;
		total += got;
	}
	return total;
}

static void close_pair(const int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

/* Appends pair index to the parked FIFO (lock held; the entry is filled). */
static void park_push(struct port_pool *pool, unsigned int index)
{
	pool->park[index].next = PORT_POOL_PARK_NONE;
	if (pool->park_tail == PORT_POOL_PARK_NONE)
		pool->park_head = index;
	else
		pool->park[pool->park_tail].next = index;
	pool->park_tail = index;
	pool->pair_used[index] = PORT_PAIR_PARKED;
	pool->parked++;
}

/* Takes pair index out of the parked FIFO (lock held); the pair becomes free. */
static void park_remove(struct port_pool *pool, unsigned int index)
{
	unsigned int previous = PORT_POOL_PARK_NONE;
	for (unsigned int at = pool->park_head; at != index; at = pool->park[at].next) {
		if (at == PORT_POOL_PARK_NONE)
			return;
		previous = at;
	}
	unsigned int next = pool->park[index].next;
	if (previous == PORT_POOL_PARK_NONE)
		pool->park_head = next;
	else
		pool->park[previous].next = next;
	if (pool->park_tail == index)
		pool->park_tail = previous;
	pool->pair_used[index] = PORT_PAIR_FREE;
	pool->parked--;
}

/* Closes every parked pair (lock held): the pool is going, or descriptors ran out. */
static void park_close_all(struct port_pool *pool)
{
	while (pool->park_head != PORT_POOL_PARK_NONE) {
		unsigned int index = pool->park_head;
		close_pair(pool->park[index].fds);
		park_remove(pool, index);
	}
}

static void set_tos(int fd, int family, int tos)
{
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	else
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
}

/* The oldest parked pair that has rested long enough and received nothing since it was
 * parked, or PORT_POOL_PARK_NONE (lock held). One still receiving goes to the back with its
 * rest started again: its old peer is still sending, which the new call must not hear. */
static unsigned int park_take(struct port_pool *pool, int64_t now_us)
{
	for (unsigned int tried = 0; tried < PARK_TRIES && pool->park_head != PORT_POOL_PARK_NONE; tried++) {
		unsigned int index = pool->park_head;
		struct port_pool_parked *parked = &pool->park[index];
		if (now_us - parked->since_us < pool->park_min_age_us)
			return PORT_POOL_PARK_NONE;
		park_remove(pool, index);
		int drained = drain_pair(parked->fds);
		if (drained == 0)
			return index;
		if (drained < 0) {
			close_pair(parked->fds);
			continue;
		}
		parked->since_us = now_us;
		park_push(pool, index);
	}
	return PORT_POOL_PARK_NONE;
}

/* The oldest parked pair whatever its rest, drained, or PORT_POOL_PARK_NONE (lock held).
 * One that keeps receiving is closed (its pair becomes free). */
static unsigned int park_take_any(struct port_pool *pool)
{
	while (pool->park_head != PORT_POOL_PARK_NONE) {
		unsigned int index = pool->park_head;
		struct port_pool_parked *parked = &pool->park[index];
		park_remove(pool, index);
		if (drain_pair(parked->fds) >= 0)
			return index;
		close_pair(parked->fds);
	}
	return PORT_POOL_PARK_NONE;
}

/* Gives parked pair index (out of the FIFO) to a caller of take (lock held). */
static void hand_out_parked(struct port_pool *pool, unsigned int index, const union endpoint *local, int tos,
                            int fds[2], unsigned int *rtp_port, int *epoll_fd)
{
	struct port_pool_parked *entry = &pool->park[index];
	if (entry->tos != tos && tos >= 0) {   /* --tos is fixed at start: not on the common path */
		set_tos(entry->fds[0], local->address.sa_family, tos);
		set_tos(entry->fds[1], local->address.sa_family, tos);
	}
	pool->pair_used[index] = PORT_PAIR_USED;
	pool->pairs_used++;
	pool->last_port = pool->first_even + index * 2;
	fds[0] = entry->fds[0];
	fds[1] = entry->fds[1];
	*rtp_port = pool->last_port;
	*epoll_fd = entry->epoll_fd;
}

/* How many pairs a pool may keep parked: PORT_POOL_PARK_MAX, at most an eighth of the
 * descriptor limit's worth of sockets, and at most half its pairs. */
static unsigned int park_limit(unsigned int pairs_total)
{
	unsigned int limit = PORT_POOL_PARK_MAX;
	struct rlimit files;
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY && files.rlim_cur / 16 < limit)
		limit = (unsigned int) (files.rlim_cur / 16);
	if (pairs_total / 2 < limit)
		limit = pairs_total / 2;
	return limit;
}

int port_pool_init(struct port_pool *pool, unsigned int port_min, unsigned int port_max)
{
	memset(pool, 0, sizeof(*pool));
	if (port_min == 0 || port_max > 65535 || port_min > port_max)
		return -EINVAL;
	pool->port_min = port_min;
	pool->port_max = port_max;
	pool->first_even = port_min + (port_min & 1);
	if (pool->first_even + 1 > port_max)
		return -EINVAL;
	pool->pairs_total = (port_max - pool->first_even + 1) / 2;
	pool->pair_used = g_malloc0(pool->pairs_total);
	/* not zeroed: an entry is written when its pair is parked, so untouched pages cost nothing */
	pool->park = g_new(struct port_pool_parked, pool->pairs_total);
	pool->park_head = pool->park_tail = PORT_POOL_PARK_NONE;
	pool->park_max = park_limit(pool->pairs_total);
	pool->park_min_age_us = PORT_POOL_PARK_MIN_AGE_MS * 1000LL;
	pool->tos = -1;
	pthread_mutex_init(&pool->lock, NULL);
	return 0;
}

void port_pool_destroy(struct port_pool *pool)
{
	if (pool->park)
		park_close_all(pool);
	g_free(pool->park);
	pool->park = NULL;
	g_free(pool->pair_used);
	pool->pair_used = NULL;
	pthread_mutex_destroy(&pool->lock);
}

int port_pool_take_pair_watched(struct port_pool *pool, const union endpoint *local, int tos, int fds[2],
                                unsigned int *rtp_port, int *epoll_fd)
{
	*epoll_fd = -1;
	pthread_mutex_lock(&pool->lock);
	pool->tos = tos;
	if (pool->pairs_used >= pool->pairs_total) {
		pthread_mutex_unlock(&pool->lock);
		return -ENOSPC;
	}
	unsigned int parked = pool->parked ? park_take(pool, coarse_now_us()) : PORT_POOL_PARK_NONE;
	if (parked != PORT_POOL_PARK_NONE) {
		hand_out_parked(pool, parked, local, tos, fds, rtp_port, epoll_fd);
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	/* A random start spreads calls over the range, so a port just freed is not handed out
	 * again at once (late packets of the old call would reach the new one). */
	unsigned int start = g_random_int_range(0, (gint32) pool->pairs_total);
	int result = -ENOSPC;
	for (unsigned int tried = 0; tried < pool->pairs_total; tried++) {
		unsigned int index = (start + tried) % pool->pairs_total;
		if (pool->pair_used[index])
			continue;
		unsigned int port = pool->first_even + index * 2;
		int rtp = open_bound_socket(local, port, tos);
		if ((rtp == -EMFILE || rtp == -ENFILE) && pool->parked) {
			park_close_all(pool);   /* parked sockets must never cost a call its ports */
			rtp = open_bound_socket(local, port, tos);
		}
		if (rtp < 0)
			continue;   /* taken by another program: try the next pair */
		int rtcp = open_bound_socket(local, port + 1, tos);
		if ((rtcp == -EMFILE || rtcp == -ENFILE) && pool->parked) {
			park_close_all(pool);
			rtcp = open_bound_socket(local, port + 1, tos);
		}
		if (rtcp < 0) {
			close(rtp);
			continue;
		}
		pool->pair_used[index] = PORT_PAIR_USED;
		pool->pairs_used++;
		pool->last_port = port;
		fds[0] = rtp;
		fds[1] = rtcp;
		*rtp_port = port;
		result = 0;
		break;
	}
	/* every free pair is parked and none has rested: better a port freed a moment ago
	 * (drained) than none */
	if (result == -ENOSPC && pool->parked) {
		parked = park_take_any(pool);
		if (parked != PORT_POOL_PARK_NONE) {
			hand_out_parked(pool, parked, local, tos, fds, rtp_port, epoll_fd);
			result = 0;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return result;
}

int port_pool_take_pair(struct port_pool *pool, const union endpoint *local, int tos, int fds[2],
                        unsigned int *rtp_port)
{
	int epoll_fd;
	int error = port_pool_take_pair_watched(pool, local, tos, fds, rtp_port, &epoll_fd);
	if (!error && epoll_fd >= 0) {
		epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fds[0], NULL);
		epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fds[1], NULL);
	}
	return error;
}

int port_pool_take_port(struct port_pool *pool, const union endpoint *local, int tos, unsigned int rtp_port,
                        int fds[2])
{
	if (rtp_port < pool->first_even || rtp_port + 1 > pool->port_max || (rtp_port - pool->first_even) % 2)
		return -EINVAL;
	unsigned int index = (rtp_port - pool->first_even) / 2;
	pthread_mutex_lock(&pool->lock);
	/* a parked pair is free: closed here and opened again as asked (restore runs at start,
	 * before anything was parked, so this is the rare case) */
	if (pool->pair_used[index] == PORT_PAIR_PARKED) {
		close_pair(pool->park[index].fds);
		park_remove(pool, index);
	}
	int result = -EADDRINUSE;
	if (pool->pair_used[index] == PORT_PAIR_FREE) {
		int rtp = open_bound_socket(local, rtp_port, tos);
		int rtcp = rtp >= 0 ? open_bound_socket(local, rtp_port + 1, tos) : rtp;
		if (rtp >= 0 && rtcp >= 0) {
			pool->pair_used[index] = PORT_PAIR_USED;
			pool->pairs_used++;
			fds[0] = rtp;
			fds[1] = rtcp;
			result = 0;
		} else {
			if (rtp >= 0)
				close(rtp);
			result = rtcp == -EADDRINUSE || rtp == -EADDRINUSE ? -EADDRINUSE : (rtp < 0 ? rtp : rtcp);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return result;
}

void port_pool_release_pair(struct port_pool *pool, unsigned int rtp_port)
{
	if (rtp_port < pool->first_even || rtp_port > pool->port_max)
		return;
	unsigned int index = (rtp_port - pool->first_even) / 2;
	pthread_mutex_lock(&pool->lock);
	if (index < pool->pairs_total && pool->pair_used[index] == PORT_PAIR_USED) {
		pool->pair_used[index] = PORT_PAIR_FREE;
		pool->pairs_used--;
	}
	pthread_mutex_unlock(&pool->lock);
}

void port_pool_park_pair(struct port_pool *pool, unsigned int rtp_port, const int fds[2], int epoll_fd)
{
	unsigned int index = (rtp_port - pool->first_even) / 2;
	if (rtp_port < pool->first_even || rtp_port > pool->port_max || index >= pool->pairs_total) {
		close_pair(fds);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	bool used = pool->pair_used[index] == PORT_PAIR_USED;
	if (used)
		pool->pairs_used--;
	if (!used || pool->parked >= pool->park_max) {
		if (used)
			pool->pair_used[index] = PORT_PAIR_FREE;
		pthread_mutex_unlock(&pool->lock);
		close_pair(fds);
		return;
	}
	struct port_pool_parked *entry = &pool->park[index];
	entry->fds[0] = fds[0];
	entry->fds[1] = fds[1];
	entry->tos = pool->tos;
	entry->epoll_fd = epoll_fd;
	entry->since_us = coarse_now_us();
	park_push(pool, index);
	pthread_mutex_unlock(&pool->lock);
}

unsigned int port_pool_parked_pairs(struct port_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	unsigned int parked = pool->parked;
	pthread_mutex_unlock(&pool->lock);
	return parked;
}

unsigned int port_pool_ports_used(struct port_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	unsigned int used = pool->pairs_used * 2;
	pthread_mutex_unlock(&pool->lock);
	return used;
}
