/* Port pairs for media sockets; see port_pool.h. */
#include "port_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	pthread_mutex_init(&pool->lock, NULL);
	return 0;
}

void port_pool_destroy(struct port_pool *pool)
{
	g_free(pool->pair_used);
	pool->pair_used = NULL;
	pthread_mutex_destroy(&pool->lock);
}

int port_pool_take_pair(struct port_pool *pool, const union endpoint *local, int tos, int fds[2],
                        unsigned int *rtp_port)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->pairs_used >= pool->pairs_total) {
		pthread_mutex_unlock(&pool->lock);
		return -ENOSPC;
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
		if (rtp < 0)
			continue;   /* taken by another program: try the next pair */
		int rtcp = open_bound_socket(local, port + 1, tos);
		if (rtcp < 0) {
			close(rtp);
			continue;
		}
		pool->pair_used[index] = 1;
		pool->pairs_used++;
		pool->last_port = port;
		fds[0] = rtp;
		fds[1] = rtcp;
		*rtp_port = port;
		result = 0;
		break;
	}
	pthread_mutex_unlock(&pool->lock);
	return result;
}

int port_pool_take_port(struct port_pool *pool, const union endpoint *local, int tos, unsigned int rtp_port,
                        int fds[2])
{
	if (rtp_port < pool->first_even || rtp_port + 1 > pool->port_max || (rtp_port - pool->first_even) % 2)
		return -EINVAL;
	unsigned int index = (rtp_port - pool->first_even) / 2;
	pthread_mutex_lock(&pool->lock);
	int result = -EADDRINUSE;
	if (!pool->pair_used[index]) {
		int rtp = open_bound_socket(local, rtp_port, tos);
		int rtcp = rtp >= 0 ? open_bound_socket(local, rtp_port + 1, tos) : rtp;
		if (rtp >= 0 && rtcp >= 0) {
			pool->pair_used[index] = 1;
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
	if (index < pool->pairs_total && pool->pair_used[index]) {
		pool->pair_used[index] = 0;
		pool->pairs_used--;
	}
	pthread_mutex_unlock(&pool->lock);
}

unsigned int port_pool_ports_used(struct port_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	unsigned int used = pool->pairs_used * 2;
	pthread_mutex_unlock(&pool->lock);
	return used;
}
