/* The ng server's reply cache: retransmissions get the stored reply, and stored replies (kept
 * in slabs) leave the cache and its statistics when they expire. Real sockets on 127.0.0.1. */
#include <glib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "call.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "ng_server.h"

#define LIFETIME_US (30 * 1000000LL)   /* the cache's retransmission window */
#define COOKIE_LENGTH 1000             /* large cookies: the replies fill more than one slab */
#define REQUESTS 100

struct fixture {
	struct daemon_config config;
	struct daemon_context daemon;
	struct ng_server *server;
	int client;
	union endpoint server_address;
};

static void fixture_open(struct fixture *fixture)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->daemon.config = &fixture->config;
	call_registry_init();
	union endpoint listen;
	g_assert_cmpint(endpoint_parse(&listen, AF_INET, "127.0.0.1", 0), ==, 0);
	g_assert_cmpint(ng_server_open(&fixture->server, &listen, &fixture->daemon), ==, 0);
	socklen_t length = sizeof(fixture->server_address);
	g_assert_cmpint(getsockname(ng_server_fd(fixture->server), &fixture->server_address.address, &length), ==, 0);
	fixture->client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fixture->client, >=, 0);
}

static void fixture_close(struct fixture *fixture)
{
	ng_server_close(fixture->server);
	close(fixture->client);
}

/* Cookie number index: COOKIE_LENGTH characters, unique by its leading digits. */
static void make_cookie(char cookie[COOKIE_LENGTH + 1], unsigned int index)
{
	memset(cookie, 'c', COOKIE_LENGTH);
	cookie[COOKIE_LENGTH] = '\0';
	char digits[16];
	int written = g_snprintf(digits, sizeof(digits), "%u", index);
	memcpy(cookie, digits, (size_t) written);
}

/* Sends a delete of an unknown call (answered "ok" with a warning, and cached) under cookie
 * number index, lets the server answer, and returns the reply (g_free it). */
static char *delete_request(struct fixture *fixture, unsigned int index, size_t *reply_length)
{
	char cookie[COOKIE_LENGTH + 1];
	make_cookie(cookie, index);
	char *request = g_strdup_printf("%s d7:command6:delete7:call-id7:unknowne", cookie);
	g_assert_cmpint(sendto(fixture->client, request, strlen(request), 0, &fixture->server_address.address,
			       endpoint_length(&fixture->server_address)), ==, (ssize_t) strlen(request));
	g_free(request);
	struct pollfd readable = { .fd = ng_server_fd(fixture->server), .events = POLLIN };
	g_assert_cmpint(poll(&readable, 1, 5000), ==, 1);
	ng_server_receive(fixture->server);
	char buffer[4096];
	readable = (struct pollfd) { .fd = fixture->client, .events = POLLIN };
	g_assert_cmpint(poll(&readable, 1, 5000), ==, 1);
	ssize_t received = recv(fixture->client, buffer, sizeof(buffer), 0);
	g_assert_cmpint(received, >, COOKIE_LENGTH + 1);
	g_assert_cmpint(memcmp(buffer, cookie, COOKIE_LENGTH), ==, 0);
	*reply_length = (size_t) received;
	return g_memdup2(buffer, (gsize) received);
}

static void test_cached_replies_expire(void)
{
	struct fixture fixture;
	fixture_open(&fixture);
	size_t first_length;
	char *first = delete_request(&fixture, 0, &first_length);
	g_assert_nonnull(strstr(first, "6:result2:ok"));
	for (unsigned int i = 1; i < REQUESTS; i++) {
		size_t length;
		g_free(delete_request(&fixture, i, &length));
	}
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, REQUESTS);
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_bytes, >=, REQUESTS * (COOKIE_LENGTH + 1));

	/* a retransmission gets the stored reply, byte for byte, and stores nothing new */
	size_t again_length;
	char *again = delete_request(&fixture, 0, &again_length);
	g_assert_cmpuint(again_length, ==, first_length);
	g_assert_cmpint(memcmp(again, first, first_length), ==, 0);
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, REQUESTS);
	g_free(again);

	/* within the window nothing expires; after it, everything (and the slabs with it) */
	int64_t now_us = now_realtime_us();
	ng_server_expire_cache(fixture.server, now_us + LIFETIME_US / 2);
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, REQUESTS);
	ng_server_expire_cache(fixture.server, now_us + LIFETIME_US + 1000000);
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, 0);
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_bytes, ==, 0);

	/* the same cookie afterwards is a new request, stored again in a fresh slab */
	size_t late_length;
	char *late = delete_request(&fixture, 0, &late_length);
	g_assert_cmpuint(late_length, ==, first_length);
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, 1);
	g_free(late);
	g_free(first);
	fixture_close(&fixture);
}

/* Expiry goes from the oldest reply to the first one still valid, across slabs: the older
 * batch leaves, the newer one stays. */
static void test_older_replies_expire_first(void)
{
	struct fixture fixture;
	fixture_open(&fixture);
	size_t length;
	for (unsigned int i = 0; i < REQUESTS; i++)
		g_free(delete_request(&fixture, i, &length));
	/* the clock moves on before the newer batch (bounded: a millisecond) */
	int64_t older_stored_before = now_realtime_us() + 1;
	int64_t newer_stored_from = older_stored_before + 1000;
	for (unsigned int spins = 0; now_realtime_us() < newer_stored_from && spins < 100000000; spins++)
		;
	g_assert_cmpint(now_realtime_us(), >=, newer_stored_from);
	for (unsigned int i = REQUESTS; i < 2 * REQUESTS; i++)
		g_free(delete_request(&fixture, i, &length));
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, 2 * REQUESTS);

	ng_server_expire_cache(fixture.server, older_stored_before + LIFETIME_US);
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, REQUESTS);
	/* a newer cookie is still answered from the cache, an older one is a new request */
	g_free(delete_request(&fixture, 2 * REQUESTS - 1, &length));
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, REQUESTS);
	g_free(delete_request(&fixture, REQUESTS / 2, &length));
	g_assert_cmpuint(fixture.daemon.totals.ng_cached_replies, ==, REQUESTS + 1);
	fixture_close(&fixture);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	log_init("test", &(struct log_settings) { .level = LOG_WARNING, .facility = LOG_DAEMON, .to_stderr = true });
	g_test_add_func("/ng_server/cached_replies_expire", test_cached_replies_expire);
	g_test_add_func("/ng_server/older_replies_expire_first", test_older_replies_expire_first);
	return g_test_run();
}
