/* Port pool: even/odd pairs, exhaustion, release, ports taken by other programs. */
#include <glib.h>
#include <errno.h>
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
	return g_test_run();
}
