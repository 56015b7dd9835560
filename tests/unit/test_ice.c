/* Unit tests for daemon/ice_candidates.c and the pure parts of daemon/ice_agent.c:
 * candidate and pair priorities (RFC 8445 sections 5.1.2 and 6.1.2.3; expected numbers
 * computed by hand from the formulas), pair ordering, candidate parsing, credential format,
 * role conflict decisions (RFC 8445 section 7.3.1.1, on the RFC 5769 sample request) and our
 * Binding requests parsed back. */
#include "ice_agent.h"
#include "ice_candidates.h"
#include "stun.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

/* RFC 5769 section 2.1: sample request with ICE-CONTROLLED 0x932ff9b151263b36 */
static const char rfc5769_request[] =
	"\x00\x01\x00\x58\x21\x12\xa4\x42\xb7\xe7\xa7\x01\xbc\x34\xd6\x86\xfa\x87\xdf\xae"
	"\x80\x22\x00\x10\x53\x54\x55\x4e\x20\x74\x65\x73\x74\x20\x63\x6c\x69\x65\x6e\x74"
	"\x00\x24\x00\x04\x6e\x00\x01\xff"
	"\x80\x29\x00\x08\x93\x2f\xf9\xb1\x51\x26\x3b\x36"
	"\x00\x06\x00\x09\x65\x76\x74\x6a\x3a\x68\x36\x76\x59\x20\x20\x20"
	"\x00\x08\x00\x14\x9a\xea\xa7\x0c\xbf\xd8\xcb\x56\x78\x1e\xf2\xb5\xb2\xd3\xf2\x49\xc1\xb5\x71\xa2"
	"\x80\x28\x00\x04\xe5\x7a\x3b\xcf";
#define RFC5769_TIE_BREAKER 0x932ff9b151263b36ULL

static void test_candidate_priority(void)
{
	/* (2^24)*126 + (2^8)*65535 + (256 - 1) */
	g_assert_cmpuint(ice_candidate_priority(ICE_CANDIDATE_HOST, 65535, 1), ==, 2130706431u);
	g_assert_cmpuint(ice_candidate_priority(ICE_CANDIDATE_HOST, 65535, 2), ==, 2130706430u);
	g_assert_cmpuint(ice_candidate_priority(ICE_CANDIDATE_SERVER_REFLEXIVE, 65535, 1), ==, 1694498815u);
	g_assert_cmpuint(ice_candidate_priority(ICE_CANDIDATE_PEER_REFLEXIVE, 65535, 2), ==, 1862270974u);
	g_assert_cmpuint(ice_candidate_priority(ICE_CANDIDATE_RELAYED, 65535, 1), ==, 16777215u);
	g_assert_cmpuint(ice_candidate_priority(ICE_CANDIDATE_HOST, 65535, 0), ==, 0);
	g_assert_cmpuint(ice_candidate_priority(ICE_CANDIDATE_HOST, 65535, 257), ==, 0);
}

static void test_pair_priority(void)
{
	/* G = host 2130706431, D = srflx 1694498815: 2^32*D + 2*G + 1 */
	g_assert_cmpuint(ice_pair_priority(2130706431u, 1694498815u), ==, 7277816997797167103ULL);
	/* roles swapped: the same minimum and maximum, without the +1 */
	g_assert_cmpuint(ice_pair_priority(1694498815u, 2130706431u), ==, 7277816997797167102ULL);
	/* equal priorities: no tie bit */
	g_assert_cmpuint(ice_pair_priority(5, 5), ==, (5ULL << 32) + 10);
	/* the largest priorities do not overflow 64 bits */
	g_assert_cmpuint(ice_pair_priority(0xffffffffu, 0xffffffffu), ==, (0xffffffffULL << 32) + 2 * 0xffffffffULL);
}

static void test_pair_order(void)
{
	struct ice_pair pairs[4] = { 0 };
	pairs[0].priority = ice_pair_priority(16777215u, 2130706431u);      /* relay */
	pairs[1].priority = ice_pair_priority(2130706431u, 2130706431u);    /* host-host */
	pairs[2].priority = ice_pair_priority(1694498815u, 2130706431u);    /* srflx */
	pairs[3].priority = ice_pair_priority(2130706431u, 2130706430u);    /* host, RTCP */
	pairs[0].remote = 0, pairs[1].remote = 1, pairs[2].remote = 2, pairs[3].remote = 3;
	ice_pairs_sort(pairs, 4);
	g_assert_cmpuint(pairs[0].remote, ==, 1);
	g_assert_cmpuint(pairs[1].remote, ==, 3);
	g_assert_cmpuint(pairs[2].remote, ==, 2);
	g_assert_cmpuint(pairs[3].remote, ==, 0);
	for (int i = 0; i < 3; i++)
		g_assert_cmpuint(pairs[i].priority, >, pairs[i + 1].priority);
}

static int parse(const char *text, struct ice_candidate *candidate)
{
	return ice_candidate_parse(text, strlen(text), candidate);
}

static void test_candidate_parse(void)
{
	struct ice_candidate candidate;
	g_assert_cmpint(parse("1 1 UDP 2130706431 192.0.2.5 40000 typ host", &candidate), ==, 0);
	g_assert_cmpstr(candidate.foundation, ==, "1");
	g_assert_cmpuint(candidate.component, ==, 1);
	g_assert_cmpuint(candidate.priority, ==, 2130706431u);
	g_assert_cmpint(candidate.type, ==, ICE_CANDIDATE_HOST);
	g_assert_cmpint(candidate.address.address.sa_family, ==, AF_INET);
	g_assert_cmpuint(endpoint_port(&candidate.address), ==, 40000);
	/* Chromium's form: lower-case transport, extensions after the type */
	g_assert_cmpint(parse("842163049 2 udp 1686052607 2001:db8::7 9 typ srflx raddr :: rport 0 generation 0 "
			      "network-id 1", &candidate), ==, 0);
	g_assert_cmpint(candidate.type, ==, ICE_CANDIDATE_SERVER_REFLEXIVE);
	g_assert_cmpint(candidate.address.address.sa_family, ==, AF_INET6);
	g_assert_cmpuint(candidate.component, ==, 2);
	g_assert_cmpint(parse("a+/b 1 UDP 1 192.0.2.5 1 typ relay", &candidate), ==, 0);
	g_assert_cmpint(candidate.type, ==, ICE_CANDIDATE_RELAYED);
	/* well-formed but not for us: TCP, an mDNS name */
	g_assert_cmpint(parse("1 1 TCP 2130706431 192.0.2.5 9 typ host tcptype active", &candidate), ==, -EPROTONOSUPPORT);
	g_assert_cmpint(parse("1 1 UDP 2130706431 0d9d3a0e-2f9b-4c9e.local 5000 typ host", &candidate), ==,
			-EPROTONOSUPPORT);
	/* malformed */
	static const char *const bad[] = {
		"", "1", "1 1 UDP", "1 0 UDP 1 192.0.2.5 9 typ host", "1 257 UDP 1 192.0.2.5 9 typ host",
		"1 1 UDP 0 192.0.2.5 9 typ host", "1 1 UDP 4294967296 192.0.2.5 9 typ host",
		"1 1 UDP 1 192.0.2.5 65536 typ host", "1 1 UDP 1 192.0.2.5 9 type host",
		"1 1 UDP 1 192.0.2.5 9 typ bogus", "f:o 1 UDP 1 192.0.2.5 9 typ host",
		"012345678901234567890123456789012 1 UDP 1 192.0.2.5 9 typ host", "1 x UDP 1 192.0.2.5 9 typ host",
	};
	for (unsigned int i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(parse(bad[i], &candidate), ==, -EINVAL);
	/* length-bounded: nothing read past the given length */
	const char *text = "1 1 UDP 2130706431 192.0.2.5 40000 typ hostXXXX";
	g_assert_cmpint(ice_candidate_parse(text, strlen(text) - 4, &candidate), ==, 0);
}

static void test_credentials(void)
{
	for (int round = 0; round < 200; round++) {
		char ufrag[ICE_LOCAL_UFRAG_LENGTH + 1], pwd[ICE_LOCAL_PWD_LENGTH + 1];
		ice_random_credential(ufrag, ICE_LOCAL_UFRAG_LENGTH);
		ice_random_credential(pwd, ICE_LOCAL_PWD_LENGTH);
		g_assert_cmpuint(strlen(ufrag), ==, 8);
		g_assert_cmpuint(strlen(pwd), ==, 26);
		for (int i = 0; i < 8; i++)
			g_assert_true(g_ascii_isalnum(ufrag[i]));
		for (int i = 0; i < 26; i++)
			g_assert_true(g_ascii_isalnum(pwd[i]));
		g_assert_true(ice_credential_is_valid(ufrag, 8, 4));
		g_assert_true(ice_credential_is_valid(pwd, 26, 22));
	}
	g_assert_true(ice_credential_is_valid("a+/b", 4, 4));
	g_assert_false(ice_credential_is_valid("abc", 3, 4));
	g_assert_false(ice_credential_is_valid("ab:c", 4, 4));
	g_assert_false(ice_credential_is_valid("short-password", 14, 22));
}

static void test_role_conflict(void)
{
	struct stun_request_info info;
	g_assert_cmpint(stun_parse((const unsigned char *) rfc5769_request, sizeof(rfc5769_request) - 1, &info), ==, 0);
	g_assert_true(info.ice_controlled);
	g_assert_cmphex(info.tie_breaker, ==, RFC5769_TIE_BREAKER);
	/* we control, the peer is controlled: no conflict */
	g_assert_cmpint(ice_role_conflict(true, 0, &info), ==, ICE_ROLE_KEEP);
	/* both controlled: the larger tie-breaker takes control (RFC 8445 section 7.3.1.1) */
	g_assert_cmpint(ice_role_conflict(false, RFC5769_TIE_BREAKER + 1, &info), ==, ICE_ROLE_SWITCH);
	g_assert_cmpint(ice_role_conflict(false, RFC5769_TIE_BREAKER, &info), ==, ICE_ROLE_SWITCH);
	g_assert_cmpint(ice_role_conflict(false, RFC5769_TIE_BREAKER - 1, &info), ==, ICE_ROLE_CONFLICT);
	/* both controlling */
	struct stun_request_info controlling = { .ice_controlling = true, .tie_breaker = 1000 };
	g_assert_cmpint(ice_role_conflict(false, 0, &controlling), ==, ICE_ROLE_KEEP);
	g_assert_cmpint(ice_role_conflict(true, 1000, &controlling), ==, ICE_ROLE_CONFLICT);
	g_assert_cmpint(ice_role_conflict(true, 1001, &controlling), ==, ICE_ROLE_CONFLICT);
	g_assert_cmpint(ice_role_conflict(true, 999, &controlling), ==, ICE_ROLE_SWITCH);
	/* no role attribute (an old peer): nothing to resolve */
	struct stun_request_info none = { 0 };
	g_assert_cmpint(ice_role_conflict(true, 5, &none), ==, ICE_ROLE_KEEP);
	g_assert_cmpint(ice_role_conflict(false, 5, &none), ==, ICE_ROLE_KEEP);
}

static void test_binding_request(void)
{
	unsigned char out[STUN_BINDING_REQUEST_MAX_LENGTH];
	const unsigned char transaction[12] = "0123456789a";
	const char *password = "peerPassword0123456789abcd";
	int length = stun_build_binding_request(out, sizeof(out), transaction, "peer:ours", 1862270975u, true,
						0x0102030405060708ULL, true, password, strlen(password));
	g_assert_cmpint(length, >, 0);
	struct stun_request_info info;
	g_assert_cmpint(stun_parse(out, (size_t) length, &info), ==, 0);
	g_assert_cmphex(info.method_class, ==, STUN_BINDING_REQUEST);
	g_assert_cmpmem(info.transaction_id, 12, transaction, 12);
	g_assert_cmpmem(info.username, info.username_length, "peer:ours", 9);
	g_assert_cmpuint(info.priority, ==, 1862270975u);
	g_assert_true(info.ice_controlling && !info.ice_controlled && info.use_candidate);
	g_assert_cmphex(info.tie_breaker, ==, 0x0102030405060708ULL);
	g_assert_true(info.has_message_integrity && info.has_fingerprint);
	g_assert_true(stun_check_integrity(out, (size_t) length, password, strlen(password)));
	g_assert_false(stun_check_integrity(out, (size_t) length, "other", 5));
	/* controlled, no nomination */
	length = stun_build_binding_request(out, sizeof(out), transaction, "peer:ours", 1, false, 7, false, password,
					    strlen(password));
	g_assert_cmpint(stun_parse(out, (size_t) length, &info), ==, 0);
	g_assert_true(info.ice_controlled && !info.ice_controlling && !info.use_candidate);
	g_assert_cmpint(stun_build_binding_request(out, 40, transaction, "peer:ours", 1, false, 7, false, password,
						   strlen(password)), ==, -ENOSPC);
	g_assert_cmpint(stun_build_binding_request(out, sizeof(out), transaction, "", 1, false, 7, false, password,
						   strlen(password)), ==, -EINVAL);
	/* a 487 error response carries its code to the agent */
	length = stun_build_binding_error_with_integrity(out, sizeof(out), transaction, 487, "Role Conflict", password,
							 strlen(password));
	g_assert_cmpint(stun_parse(out, (size_t) length, &info), ==, 0);
	g_assert_cmpint(info.error_code, ==, 487);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ice/priority/candidate", test_candidate_priority);
	g_test_add_func("/ice/priority/pair", test_pair_priority);
	g_test_add_func("/ice/priority/order", test_pair_order);
	g_test_add_func("/ice/candidate/parse", test_candidate_parse);
	g_test_add_func("/ice/credentials", test_credentials);
	g_test_add_func("/ice/role-conflict", test_role_conflict);
	g_test_add_func("/ice/binding-request", test_binding_request);
	return g_test_run();
}
