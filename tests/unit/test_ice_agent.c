/* Unit tests for the ICE agent's state (daemon/ice_agent.c) on a call built by hand, without
 * a worker (so no timer runs and nothing is sent): pairs from the peer's description
 * (families, rtcp-mux, priorities by role), re-offers keeping pair state, ICE restart,
 * peer-reflexive candidates from checks, nomination taken as controlled agent, role
 * conflicts, ICE-lite. */
#include "ice_agent.h"

#include <arpa/inet.h>
#include <glib.h>
#include <string.h>
#include "call.h"
#include "interface.h"

struct fixture {
	struct local_interface interface;
	struct call *call;
	struct media *media;
};

static void add_candidate(struct ice_remote *remote, const char *address, unsigned int port, unsigned int component,
                          uint32_t priority)
{
	struct ice_candidate *candidate = &remote->candidates[remote->candidate_count++];
	memset(candidate, 0, sizeof(*candidate));
	g_strlcpy(candidate->foundation, "1", sizeof(candidate->foundation));
	candidate->component = component;
	candidate->priority = priority;
	g_assert_cmpint(endpoint_parse(&candidate->address, 0, address, port), ==, 0);
}

static void remote_init(struct ice_remote *remote, const char *ufrag)
{
	memset(remote, 0, sizeof(*remote));
	g_strlcpy(remote->ufrag, ufrag, sizeof(remote->ufrag));
	g_strlcpy(remote->pwd, "peerPassword0123456789abcd", sizeof(remote->pwd));
	add_candidate(remote, "127.0.0.1", 5000, 1, 2130706431u);   /* host */
	add_candidate(remote, "127.0.0.1", 6000, 1, 1694498815u);   /* srflx */
	add_candidate(remote, "::1", 7000, 1, 2130706431u);         /* other family: no pair */
	add_candidate(remote, "127.0.0.1", 5001, 2, 2130706430u);   /* RTCP: no pair with rtcp-mux */
}

static void fixture_set_up(struct fixture *fixture, bool controlling)
{
	memset(fixture, 0, sizeof(*fixture));
	g_assert_cmpint(endpoint_parse(&fixture->interface.local, AF_INET, "127.0.0.1", 0), ==, 0);
	fixture->call = call_create("ice-agent-test", NULL);
	struct monologue *side = call_add_monologue(fixture->call, "browser");
	fixture->media = monologue_add_media(side, "audio", "UDP/TLS/RTP/SAVPF");
	fixture->media->interface = &fixture->interface;
	fixture->media->rtcp_mux = true;
	ice_random_credential(fixture->media->ice_ufrag, ICE_LOCAL_UFRAG_LENGTH);
	ice_random_credential(fixture->media->ice_pwd, ICE_LOCAL_PWD_LENGTH);
	fixture->media->ice_controlling = controlling;
}

static void fixture_tear_down(struct fixture *fixture)
{
	call_destroy(fixture->call, "test");
}

static struct ice_pair *pair_to(struct ice_agent *agent, unsigned int port)
{
	for (unsigned int i = 0; i < agent->pair_count; i++)
		if (endpoint_port(&agent->remote.candidates[agent->pairs[i].remote].address) == port)
			return &agent->pairs[i];
	return NULL;
}

static void test_pairs_from_description(void)
{
	struct fixture fixture;
	fixture_set_up(&fixture, true);
	struct ice_remote remote;
	remote_init(&remote, "peer");
	g_assert_cmpint(ice_agent_stage(fixture.media, &remote), ==, 0);
	g_assert_null(fixture.media->ice_agent);   /* the worker sees it only once published */
	g_assert_true(ice_agent_publish(fixture.media));
	struct ice_agent *agent = fixture.media->ice_agent;
	g_assert_nonnull(agent);
	g_assert_true(agent->controlling);
	g_assert_cmpuint(agent->pair_count, ==, 2);
	/* we control: G is our host priority 2130706431 */
	g_assert_cmpuint(pair_to(agent, 5000)->priority, ==, ice_pair_priority(2130706431u, 2130706431u));
	g_assert_cmpuint(pair_to(agent, 6000)->priority, ==, ice_pair_priority(2130706431u, 1694498815u));
	g_assert_cmpuint(pair_to(agent, 5000)->state, ==, ICE_PAIR_WAITING);
	/* nothing changed: no new round needed */
	g_assert_false(ice_agent_publish(fixture.media));
	fixture_tear_down(&fixture);
}

static void test_reoffer_keeps_pairs_and_restart_resets(void)
{
	struct fixture fixture;
	fixture_set_up(&fixture, true);
	struct ice_remote remote;
	remote_init(&remote, "peer");
	ice_agent_stage(fixture.media, &remote);
	ice_agent_publish(fixture.media);
	struct ice_agent *agent = fixture.media->ice_agent;
	pair_to(agent, 5000)->state = ICE_PAIR_SUCCEEDED;
	/* a trickled candidate in a re-offer: one more pair, the checked one keeps its state */
	add_candidate(&remote, "127.0.0.1", 8000, 1, 1000);
	ice_agent_stage(fixture.media, &remote);
	g_assert_true(ice_agent_publish(fixture.media));
	g_assert_cmpuint(agent->pair_count, ==, 3);
	g_assert_cmpuint(pair_to(agent, 5000)->state, ==, ICE_PAIR_SUCCEEDED);
	g_assert_cmpuint(pair_to(agent, 8000)->state, ==, ICE_PAIR_WAITING);
	/* ICE restart (RFC 8445 section 9): new credentials, every pair starts again */
	remote_init(&remote, "newpeer");
	char old_ufrag[sizeof(fixture.media->ice_ufrag)];
	g_strlcpy(old_ufrag, fixture.media->ice_ufrag, sizeof(old_ufrag));
	ice_agent_stage(fixture.media, &remote);
	/* our answer to the restart carries new credentials of ours ... */
	const char *ufrag, *pwd;
	ice_agent_local_credentials(fixture.media, &ufrag, &pwd);
	g_assert_cmpstr(ufrag, !=, old_ufrag);
	g_assert_cmpuint(strlen(ufrag), ==, ICE_LOCAL_UFRAG_LENGTH);
	g_assert_cmpuint(strlen(pwd), ==, ICE_LOCAL_PWD_LENGTH);
	g_assert_true(ice_agent_publish(fixture.media));
	/* ... which become the media's own when that answer is published */
	g_assert_cmpstr(fixture.media->ice_ufrag, ==, ufrag);
	g_assert_cmpuint(agent->pair_count, ==, 2);
	g_assert_cmpuint(pair_to(agent, 5000)->state, ==, ICE_PAIR_WAITING);
	/* the same description again is no restart */
	ice_agent_stage(fixture.media, &remote);
	ice_agent_local_credentials(fixture.media, &ufrag, &pwd);
	g_assert_true(ufrag == fixture.media->ice_ufrag);
	fixture_tear_down(&fixture);
}

static void test_peer_reflexive_and_nomination(void)
{
	struct fixture fixture;
	fixture_set_up(&fixture, false);
	struct ice_remote remote;
	remote_init(&remote, "peer");
	ice_agent_stage(fixture.media, &remote);
	ice_agent_publish(fixture.media);
	struct ice_agent *agent = fixture.media->ice_agent;
	g_assert_false(agent->controlling);
	struct stream *stream = &fixture.media->streams[STREAM_RTP];
	union endpoint source;
	endpoint_parse(&source, AF_INET, "127.0.0.1", 9000);
	struct stun_request_info check = { .ice_controlling = true, .tie_breaker = 1, .priority = 1862270975u };
	/* an unknown source: a peer-reflexive candidate, a triggered check; no selection yet */
	g_assert_true(ice_agent_handle_request(stream, &source, &check));
	g_assert_cmpuint(agent->remote.candidate_count, ==, 5);
	g_assert_cmpint(agent->remote.candidates[4].type, ==, ICE_CANDIDATE_PEER_REFLEXIVE);
	g_assert_cmpuint(agent->remote.candidates[4].priority, ==, 1862270975u);
	struct ice_pair *pair = pair_to(agent, 9000);
	g_assert_nonnull(pair);
	g_assert_true(pair->triggered);
	g_assert_cmpint(agent->selected[0], ==, -1);
	/* the controlling peer nominates that pair: it is selected, the stream confirmed there */
	check.use_candidate = true;
	g_assert_true(ice_agent_handle_request(stream, &source, &check));
	g_assert_cmpint(agent->selected[0], ==, (int) (pair - agent->pairs));
	g_assert_true(stream->state & STREAM_CONFIRMED);
	g_assert_true(endpoint_equal(&stream->learned, &source));
	/* after the selection, a check from elsewhere no longer moves the media */
	union endpoint other;
	endpoint_parse(&other, AF_INET, "127.0.0.1", 5000);
	check.use_candidate = false;
	g_assert_false(ice_agent_handle_request(stream, &other, &check));
	/* a re-offer repeating the description keeps the learned candidate and the selection */
	ice_agent_stage(fixture.media, &remote);
	ice_agent_publish(fixture.media);
	g_assert_nonnull(pair_to(agent, 9000));
	g_assert_cmpint(agent->selected[0], ==, (int) (pair_to(agent, 9000) - agent->pairs));
	fixture_tear_down(&fixture);
}

static void test_role_conflict_switches(void)
{
	struct fixture fixture;
	fixture_set_up(&fixture, true);
	struct ice_remote remote;
	remote_init(&remote, "peer");
	ice_agent_stage(fixture.media, &remote);
	ice_agent_publish(fixture.media);
	struct ice_agent *agent = fixture.media->ice_agent;
	agent->tie_breaker = 1000;
	struct stun_request_info lower = { .ice_controlling = true, .tie_breaker = 999 };
	g_assert_cmpint(ice_agent_check_role(fixture.media, &lower), ==, STUN_ERROR_ROLE_CONFLICT);
	g_assert_true(agent->controlling);
	uint64_t before = pair_to(agent, 6000)->priority;
	struct stun_request_info higher = { .ice_controlling = true, .tie_breaker = 1001 };
	g_assert_cmpint(ice_agent_check_role(fixture.media, &higher), ==, 0);
	g_assert_false(agent->controlling);
	/* priorities follow the role: G is now the peer's candidate */
	g_assert_cmpuint(pair_to(agent, 6000)->priority, ==, ice_pair_priority(1694498815u, 2130706431u));
	g_assert_cmpuint(pair_to(agent, 6000)->priority, !=, before);
	fixture_tear_down(&fixture);
}

static void test_lite_and_lite_peer(void)
{
	struct fixture fixture;
	fixture_set_up(&fixture, false);
	struct ice_remote remote;
	remote_init(&remote, "peer");
	/* we are ICE-lite towards this side: no agent runs */
	fixture.media->ice_lite = true;
	ice_agent_stage(fixture.media, &remote);
	g_assert_false(ice_agent_publish(fixture.media));
	g_assert_null(fixture.media->ice_agent);
	/* a lite peer makes us the controlling agent even as answerer (RFC 8445 section 6.1.1) */
	fixture.media->ice_lite = false;
	remote.lite = true;
	ice_agent_stage(fixture.media, &remote);
	g_assert_true(ice_agent_publish(fixture.media));
	g_assert_true(fixture.media->ice_agent->controlling);
	fixture_tear_down(&fixture);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	call_registry_init();
	g_test_add_func("/ice_agent/pairs", test_pairs_from_description);
	g_test_add_func("/ice_agent/reoffer-and-restart", test_reoffer_keeps_pairs_and_restart_resets);
	g_test_add_func("/ice_agent/peer-reflexive-and-nomination", test_peer_reflexive_and_nomination);
	g_test_add_func("/ice_agent/role-conflict", test_role_conflict_switches);
	g_test_add_func("/ice_agent/lite", test_lite_and_lite_peer);
	return g_test_run();
}
