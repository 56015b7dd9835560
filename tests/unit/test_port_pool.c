/* Port pool: even/odd pairs, exhaustion, release, ports taken by other programs, parked
 * pairs (reuse, drain, rest, bound). */
#include <glib.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include "port_pool.h"

static union endpoint loopback(void)
{
	union endpoint local;
	g_assert_cmpint(endpoint_parse(&local, AF_INET, "127.0.0.1", 0), ==, 0);
	return local;
}

/* A free range of `count` ports on loopback, found by binding a probe socket. */
static unsigned int free_range_start(unsigned int count)
{
	for (unsigned int attempt = 0; attempt < 200; attempt++) {
		unsigned int start = 20000 + 2 * (unsigned int) g_random_int_range(0, 10000);
		struct port_pool probe;
		g_assert_cmpint(port_pool_init(&probe, start, start + count - 1), ==, 0);
		union endpoint local = loopback();
		int fds[64][2];
		unsigned int ports[64], taken = 0;
		while (taken < count / 2 && port_pool_take_pair(&probe, &local, -1, fds[taken], &ports[taken]) == 0)
			taken++;
		for (unsigned int i = 0; i < taken; i++) {
			close(fds[i][0]);
			close(fds[i][1]);
		}
		port_pool_destroy(&probe);
		if (taken == count / 2)
			return start;
	}
	g_assert_not_reached();
}

static void test_pairs_are_even_and_adjacent(void)
{
	unsigned int start = free_range_start(20);
	struct port_pool pool;
	g_assert_cmpint(port_pool_init(&pool, start, start + 19), ==, 0);
	union endpoint local = loopback();
	int fds[2];
	unsigned int port;
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds, &port), ==, 0);
	g_assert_cmpuint(port % 2, ==, 0);
	g_assert_cmpuint(port, >=, start);
	g_assert_cmpuint(port + 1, <=, start + 19);
	union endpoint bound;
	socklen_t length = sizeof(bound);
	g_assert_cmpint(getsockname(fds[1], &bound.address, &length), ==, 0);
	g_assert_cmpuint(endpoint_port(&bound), ==, port + 1);
	g_assert_cmpuint(port_pool_ports_used(&pool), ==, 2);
	close(fds[0]);
	close(fds[1]);
	port_pool_release_pair(&pool, port);
	g_assert_cmpuint(port_pool_ports_used(&pool), ==, 0);
	port_pool_destroy(&pool);
}

static void test_exhaustion_and_release(void)
{
	unsigned int start = free_range_start(8);
	struct port_pool pool;
	/* an odd start: the first usable pair begins at start + 1 */
	g_assert_cmpint(port_pool_init(&pool, start - 1, start + 7), ==, 0);
	g_assert_cmpuint(pool.pairs_total, ==, 4);
	union endpoint local = loopback();
	int fds[5][2];
	unsigned int ports[5];
	for (int i = 0; i < 4; i++)
		g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[i], &ports[i]), ==, 0);
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[4], &ports[4]), ==, -ENOSPC);
	close(fds[2][0]);
	close(fds[2][1]);
	port_pool_release_pair(&pool, ports[2]);
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[4], &ports[4]), ==, 0);
	g_assert_cmpuint(ports[4], ==, ports[2]);
	for (int i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		close(fds[i][0]);
		close(fds[i][1]);
	}
	port_pool_destroy(&pool);
}

static void test_port_taken_by_another_program_is_skipped(void)
{
	unsigned int start = free_range_start(4);
	union endpoint local = loopback();
	/* another program holds the odd port of the first pair */
	int other = socket(AF_INET, SOCK_DGRAM, 0);
	union endpoint address = local;
	endpoint_set_port(&address, start + 1);
	g_assert_cmpint(bind(other, &address.address, endpoint_length(&address)), ==, 0);
	struct port_pool pool;
	g_assert_cmpint(port_pool_init(&pool, start, start + 3), ==, 0);
	int fds[2][2];
	unsigned int port;
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[0], &port), ==, 0);
	g_assert_cmpuint(port, ==, start + 2);
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[1], &port), ==, -ENOSPC);
	close(fds[0][0]);
	close(fds[0][1]);
	close(other);
	port_pool_destroy(&pool);
}

/* Sends one datagram from a socket of its own to 127.0.0.1:port and waits (bounded) until
 * fd, bound there, has it queued. */
static void send_to(unsigned int port, int fd)
{
	union endpoint address = loopback();
	endpoint_set_port(&address, port);
	int sender = socket(AF_INET, SOCK_DGRAM, 0);
	g_assert_cmpint(sendto(sender, "late", 4, 0, &address.address, endpoint_length(&address)), ==, 4);
	close(sender);
	struct pollfd ready = { .fd = fd, .events = POLLIN };
	g_assert_cmpint(poll(&ready, 1, 2000), ==, 1);
}

static bool nothing_queued(int fd)
{
	char byte;
	return recv(fd, &byte, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* True when a socket of another program can bind 127.0.0.1:port (nobody holds it). */
static bool port_is_closed(unsigned int port)
{
	union endpoint address = loopback();
	endpoint_set_port(&address, port);
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	bool bound = bind(probe, &address.address, endpoint_length(&address)) == 0;
	close(probe);
	return bound;
}

static void test_parked_pair_is_reused_drained(void)
{
	unsigned int start = free_range_start(8);
	struct port_pool pool;
	g_assert_cmpint(port_pool_init(&pool, start, start + 7), ==, 0);
	pool.park_min_age_us = 0;
	union endpoint local = loopback();
	int fds[2], again[2];
	unsigned int port, port_again;
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds, &port), ==, 0);
	int kept[2] = { fds[0], fds[1] };
	port_pool_park_pair(&pool, port, fds, -1);
	g_assert_cmpuint(port_pool_parked_pairs(&pool), ==, 1);
	g_assert_cmpuint(port_pool_ports_used(&pool), ==, 0);   /* parked ports are free ones */
	g_assert_false(port_is_closed(port));
	/* late packets of the old call, while parked: on RTP and RTCP */
	send_to(port, kept[0]);
	send_to(port, kept[0]);
	send_to(port + 1, kept[1]);
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, again, &port_again), ==, 0);
	g_assert_cmpuint(port_again, ==, port);
	g_assert_cmpint(again[0], ==, kept[0]);
	g_assert_cmpint(again[1], ==, kept[1]);
	g_assert_true(nothing_queued(again[0]));
	g_assert_true(nothing_queued(again[1]));
	g_assert_cmpuint(port_pool_parked_pairs(&pool), ==, 0);
	g_assert_cmpuint(port_pool_ports_used(&pool), ==, 2);
	/* the same sockets still receive for the new call */
	send_to(port, again[0]);
	g_assert_false(nothing_queued(again[0]));
	port_pool_park_pair(&pool, port, again, -1);
	port_pool_destroy(&pool);   /* closes what is parked */
	g_assert_true(port_is_closed(port));
	g_assert_true(port_is_closed(port + 1));
}

static void test_parked_pair_rests_before_reuse(void)
{
	unsigned int start = free_range_start(8);
	struct port_pool pool;
	g_assert_cmpint(port_pool_init(&pool, start, start + 7), ==, 0);
	g_assert_cmpint(pool.park_min_age_us, ==, PORT_POOL_PARK_MIN_AGE_MS * 1000LL);
	pool.park_min_age_us = 3600 * 1000000LL;
	union endpoint local = loopback();
	int fds[2], other[2];
	unsigned int port, other_port;
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds, &port), ==, 0);
	int kept[2] = { fds[0], fds[1] };
	port_pool_park_pair(&pool, port, fds, -1);
	/* not rested yet: new sockets on another pair */
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, other, &other_port), ==, 0);
	g_assert_cmpuint(other_port, !=, port);
	g_assert_cmpuint(port_pool_parked_pairs(&pool), ==, 1);
	g_assert_cmpuint(port_pool_ports_used(&pool), ==, 2);
	/* rested, but its old peer is still sending: it goes to the back, its rest restarted */
	unsigned int index = (port - pool.first_even) / 2;
	pool.park[index].since_us -= 2 * pool.park_min_age_us;
	send_to(port, kept[0]);
	int third[2];
	unsigned int third_port;
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, third, &third_port), ==, 0);
	g_assert_cmpuint(third_port, !=, port);
	g_assert_cmpuint(port_pool_parked_pairs(&pool), ==, 1);
	g_assert_true(nothing_queued(kept[0]));   /* drained all the same */
	/* rested and quiet: reused */
	pool.park[index].since_us -= 2 * pool.park_min_age_us;
	close(third[0]);
	close(third[1]);
	port_pool_release_pair(&pool, third_port);
	int fourth[2];
	unsigned int fourth_port;
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fourth, &fourth_port), ==, 0);
	g_assert_cmpuint(fourth_port, ==, port);
	g_assert_cmpint(fourth[0], ==, kept[0]);
	close(fourth[0]);
	close(fourth[1]);
	close(other[0]);
	close(other[1]);
	port_pool_destroy(&pool);
}

/* A pool whose free pairs are all parked and not rested hands one out all the same
 * (drained), as it would have opened that port again before parking existed. */
static void test_parked_pair_taken_when_nothing_else_is_free(void)
{
	unsigned int start = free_range_start(4);
	struct port_pool pool;
	g_assert_cmpint(port_pool_init(&pool, start, start + 3), ==, 0);
	pool.park_min_age_us = 3600 * 1000000LL;
	union endpoint local = loopback();
	int fds[2][2];
	unsigned int ports[2];
	for (int i = 0; i < 2; i++)
		g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[i], &ports[i]), ==, 0);
	int kept[2] = { fds[0][0], fds[0][1] };
	port_pool_park_pair(&pool, ports[0], fds[0], -1);
	send_to(ports[0], kept[0]);
	int again[2];
	unsigned int port;
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, again, &port), ==, 0);
	g_assert_cmpuint(port, ==, ports[0]);
	g_assert_cmpint(again[0], ==, kept[0]);
	g_assert_true(nothing_queued(again[0]));
	g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[0], &port), ==, -ENOSPC);
	for (int i = 0; i < 2; i++) {
		close(again[i]);
		close(fds[1][i]);
	}
	port_pool_destroy(&pool);
}

static void test_parking_is_bounded(void)
{
	unsigned int start = free_range_start(8);
	struct port_pool pool;
	g_assert_cmpint(port_pool_init(&pool, start, start + 7), ==, 0);
	g_assert_cmpuint(pool.park_max, ==, 2);   /* half of the pool's four pairs */
	pool.park_max = 1;
	union endpoint local = loopback();
	int fds[2][2];
	unsigned int ports[2];
	for (int i = 0; i < 2; i++)
		g_assert_cmpint(port_pool_take_pair(&pool, &local, -1, fds[i], &ports[i]), ==, 0);
	port_pool_park_pair(&pool, ports[0], fds[0], -1);
	port_pool_park_pair(&pool, ports[1], fds[1], -1);   /* no room: closed */
	g_assert_cmpuint(port_pool_parked_pairs(&pool), ==, 1);
	g_assert_cmpuint(port_pool_ports_used(&pool), ==, 0);
	g_assert_false(port_is_closed(ports[0]));
	g_assert_true(port_is_closed(ports[1]));
	g_assert_true(port_is_closed(ports[1] + 1));
	/* Redis restore asks for the parked pair by number: opened again */
	int restored[2];
	g_assert_cmpint(port_pool_take_port(&pool, &local, -1, ports[0], restored), ==, 0);
	g_assert_cmpuint(port_pool_parked_pairs(&pool), ==, 0);
	g_assert_cmpuint(port_pool_ports_used(&pool), ==, 2);
	close(restored[0]);
	close(restored[1]);
	port_pool_release_pair(&pool, ports[0]);
	port_pool_destroy(&pool);
}

static void test_bad_ranges(void)
{
	struct port_pool pool;
	g_assert_cmpint(port_pool_init(&pool, 0, 10), ==, -EINVAL);
	g_assert_cmpint(port_pool_init(&pool, 20, 10), ==, -EINVAL);
	g_assert_cmpint(port_pool_init(&pool, 30001, 30001), ==, -EINVAL);   /* no even/odd pair */
	g_assert_cmpint(port_pool_init(&pool, 1, 70000), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/port_pool/pairs", test_pairs_are_even_and_adjacent);
	g_test_add_func("/port_pool/exhaustion", test_exhaustion_and_release);
	g_test_add_func("/port_pool/taken_elsewhere", test_port_taken_by_another_program_is_skipped);
	g_test_add_func("/port_pool/bad_ranges", test_bad_ranges);
	g_test_add_func("/port_pool/parked_reused_drained", test_parked_pair_is_reused_drained);
	g_test_add_func("/port_pool/parked_rests", test_parked_pair_rests_before_reuse);
	g_test_add_func("/port_pool/parking_bounded", test_parking_is_bounded);
	g_test_add_func("/port_pool/parked_when_exhausted", test_parked_pair_taken_when_nothing_else_is_free);
	return g_test_run();
}
