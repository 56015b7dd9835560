/* Unit tests for lib/endpoint.c's hand-written IPv4 parser, against glibc's inet_pton as the
 * independent reference, and endpoint_parse around it. */
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <glib.h>

/* Both must agree on text: accepted or not, and the same address. */
static void assert_agrees_with_inet_pton(const char *text)
{
	struct in_addr expected = { 0 }, parsed = { 0 };
	int reference = inet_pton(AF_INET, text, &expected);
	int result = endpoint_parse_ipv4(text, strlen(text), &parsed);
	if ((reference == 1) != (result == 0))
		g_error("\"%s\": inet_pton says %d, endpoint_parse_ipv4 %d", text, reference, result);
	if (reference == 1)
		g_assert_cmpuint(parsed.s_addr, ==, expected.s_addr);
}

static void test_ipv4_corpus(void)
{
	static const char *const corpus[] = {
		"0.0.0.0", "127.0.0.1", "255.255.255.255", "192.0.2.1", "10.1.2.3", "1.2.3.4",
		"256.1.1.1", "1.2.3.256", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "01.2.3.4",
		"1.02.3.4", "1.2.3.04", "00.1.2.3", "1.2.3.0", "1.2.3.00", "1234.1.1.1", "1.2.3.4 ", " 1.2.3.4",
		"1.2.3.4a", "a.b.c.d", "", ".", "...", "1.2.3.-4", "+1.2.3.4", "0x1.2.3.4", "1.2.3.4/24",
		"::1", "::ffff:1.2.3.4", "999.999.999.999", "199.299.99.9", "1.2.3.4\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(corpus); i++)
		assert_agrees_with_inet_pton(corpus[i]);
}

/* Random near-addresses: three to five parts of zero to four digits (leading zeros and
 * values above 255 included), sometimes with one character changed (fixed seed: the same
 * cases each run). */
static void test_ipv4_random_against_inet_pton(void)
{
	static const char noise[] = "0123456789.x -/:";
	GRand *random = g_rand_new_with_seed(20261203);
	unsigned int accepted = 0, refused = 0;
	for (int i = 0; i < 200000; i++) {
		char text[32];
		size_t length = 0;
		int parts = g_rand_int_range(random, 3, 6);
		for (int part = 0; part < parts; part++) {
			if (part)
				text[length++] = '.';
			int digits = g_rand_int_range(random, 0, 5);
			for (int j = 0; j < digits; j++)
				text[length++] = (char) ('0' + (j == 0 ? g_rand_int_range(random, 0, 3) : g_rand_int_range(random, 0, 10)));
		}
		if (length && g_rand_int_range(random, 0, 5) == 0)
			text[g_rand_int_range(random, 0, (gint32) length)] = noise[g_rand_int_range(random, 0, sizeof(noise) - 1)];
		text[length] = '\0';
		assert_agrees_with_inet_pton(text);
		struct in_addr ignored;
		if (endpoint_parse_ipv4(text, strlen(text), &ignored) == 0)
			accepted++;
		else
			refused++;
	}
	g_rand_free(random);
	/* both outcomes were really tried */
	g_assert_cmpuint(accepted, >, 1000);
	g_assert_cmpuint(refused, >, 10000);
}

/* Only length bytes are read: what follows is not part of the address. */
static void test_ipv4_reads_length_only(void)
{
	struct in_addr address;
	g_assert_cmpint(endpoint_parse_ipv4("1.2.3.45", 7, &address), ==, 0);
	g_assert_cmpuint(ntohl(address.s_addr), ==, 0x01020304);
	g_assert_cmpint(endpoint_parse_ipv4("1.2.3.4", 6, &address), ==, -EINVAL);
	g_assert_cmpint(endpoint_parse_ipv4("1.2.3.4\0", 8, &address), ==, -EINVAL);
}

static void test_endpoint_parse_families(void)
{
	union endpoint endpoint;
	g_assert_cmpint(endpoint_parse(&endpoint, 0, "192.0.2.1", 5), ==, 0);
	g_assert_cmpint(endpoint.address.sa_family, ==, AF_INET);
	g_assert_cmpuint(endpoint_port(&endpoint), ==, 5);
	g_assert_cmpint(endpoint_parse(&endpoint, AF_INET6, "192.0.2.1", 5), ==, -EINVAL);
	g_assert_cmpint(endpoint_parse(&endpoint, AF_INET, "01.0.2.1", 5), ==, -EINVAL);
	g_assert_cmpint(endpoint_parse(&endpoint, 0, "::1", 7), ==, 0);
	g_assert_cmpint(endpoint.address.sa_family, ==, AF_INET6);
	g_assert_cmpint(endpoint_parse_address(&endpoint, "10.0.0.1", 8), ==, 0);
	g_assert_cmpint(endpoint.address.sa_family, ==, AF_INET);
	g_assert_cmpint(endpoint_parse_address(&endpoint, "10.0.0.1x", 9), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/endpoint/ipv4/corpus", test_ipv4_corpus);
	g_test_add_func("/endpoint/ipv4/random-against-inet-pton", test_ipv4_random_against_inet_pton);
	g_test_add_func("/endpoint/ipv4/reads-length-only", test_ipv4_reads_length_only);
	g_test_add_func("/endpoint/parse/families", test_endpoint_parse_families);
	return g_test_run();
}
