/* The full ICE agent; see ice_agent.h. RFC 8445 section numbers are given where a rule
 * comes from; where we simplify (no frozen pairs, nomination at the first success after
 * the better pairs are done) the comment says why. */
#include "ice_agent.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include "call.h"
#include "endpoint_learning.h"
#include "interface.h"
#include "log.h"
#include "relay.h"

/* Our USERNAME is at most 64 + 1 + 8 characters: far below the 512 the builder allows. */
#define ICE_REQUEST_SIZE 256
/* Messages one round may send: retransmissions, one new check, nominations, consent. */
#define ICE_ROUND_SENDS 8
/* Regular nomination (RFC 8445 section 8.1.1) waits for better pairs at most this long. */
#define ICE_NOMINATION_WAIT_US 1000000

struct outgoing_check {
	int fd;
	union endpoint destination;
	int length;
	unsigned char data[ICE_REQUEST_SIZE];
};

struct check_round {
	unsigned int count;
	struct outgoing_check checks[ICE_ROUND_SENDS];
};

static unsigned int component_count(const struct media *media)
{
	return media->rtcp_mux ? 1 : 2;
}

static uint32_t local_priority(unsigned int component)
{
	/* what sdp_write.c advertises for our host candidate */
	return ice_candidate_priority(ICE_CANDIDATE_HOST, 65535, component);
}

static uint64_t pair_priority(const struct ice_agent *agent, const struct ice_pair *pair)
{
	uint32_t local = local_priority(pair->component);
	uint32_t remote = agent->remote.candidates[pair->remote].priority;
	return agent->controlling ? ice_pair_priority(local, remote) : ice_pair_priority(remote, local);
}

static void reprioritise(struct ice_agent *agent)
{
	for (unsigned int i = 0; i < agent->pair_count; i++)
		agent->pairs[i].priority = pair_priority(agent, &agent->pairs[i]);
}

static int compare_pairs(const void *a, const void *b)
{
	const struct ice_pair *x = a, *y = b;
	return x->priority < y->priority ? 1 : x->priority > y->priority ? -1 : 0;
}

static void random_transaction_id(unsigned char id[12])
{
	for (int i = 0; i < 12; i += 4) {
		guint32 value = g_random_int();
		memcpy(id + i, &value, 4);
	}
}

static int find_candidate(const struct ice_remote *remote, unsigned int component, const union endpoint *address)
{
	for (unsigned int i = 0; i < remote->candidate_count; i++)
		if (remote->candidates[i].component == component && endpoint_equal(&remote->candidates[i].address, address))
			return (int) i;
	return -1;
}

static struct ice_pair *find_pair(struct ice_agent *agent, unsigned int component, unsigned int remote)
{
	for (unsigned int i = 0; i < agent->pair_count; i++)
		if (agent->pairs[i].component == component && agent->pairs[i].remote == remote)
			return &agent->pairs[i];
	return NULL;
}

static int local_family(const struct media *media)
{
	return media->interface ? media->interface->local.address.sa_family : 0;
}

/* A pair for our host candidate of this component and the remote candidate, if the
 * families match and there is room. */
static struct ice_pair *add_pair(struct ice_agent *agent, unsigned int component, unsigned int remote)
{
	const struct ice_candidate *candidate = &agent->remote.candidates[remote];
	if (component > component_count(agent->media) || candidate->address.address.sa_family != local_family(agent->media))
		return NULL;
	if (agent->pair_count >= ICE_MAX_PAIRS)
		return NULL;
	struct ice_pair *pair = &agent->pairs[agent->pair_count++];
	memset(pair, 0, sizeof(*pair));
	pair->component = (uint8_t) component;
	pair->remote = (uint8_t) remote;
	pair->state = ICE_PAIR_WAITING;
	pair->priority = pair_priority(agent, pair);
	return pair;
}

static void clear_selection(struct ice_agent *agent)
{
	agent->selected[0] = agent->selected[1] = -1;
	agent->first_success_us = 0;
	for (int c = 0; c < 2; c++) {
		agent->consent_lost[c] = false;
		agent->media->streams[c].state &= (uint8_t) ~STREAM_ICE_NO_CONSENT;
	}
}

/* Rebuilds the pairs for a new description of the peer, keeping the state of pairs that
 * survive (a re-offer repeating its candidates must not restart checks or lose the
 * selection) and the peer-reflexive candidates learned from its checks. A new ufrag is an
 * ICE restart (RFC 8445 section 9): everything starts again. */
static void take_description(struct ice_agent *agent, const struct ice_remote *staged)
{
	struct ice_remote old_remote = agent->remote;
	struct ice_pair old_pairs[ICE_MAX_PAIRS];
	unsigned int old_count = agent->pair_count;
	int old_selected[2] = { agent->selected[0], agent->selected[1] };
	bool old_consent_lost[2] = { agent->consent_lost[0], agent->consent_lost[1] };
	memcpy(old_pairs, agent->pairs, sizeof(old_pairs[0]) * old_count);
	bool restart = strcmp(old_remote.ufrag, staged->ufrag) != 0 || strcmp(old_remote.pwd, staged->pwd) != 0;

	agent->remote = *staged;
	agent->pair_count = 0;
	clear_selection(agent);
	if (restart)
		old_count = 0;
	for (unsigned int i = 0; i < old_remote.candidate_count && !restart; i++) {
		const struct ice_candidate *candidate = &old_remote.candidates[i];
		if (candidate->type != ICE_CANDIDATE_PEER_REFLEXIVE || agent->remote.candidate_count >= ICE_MAX_CANDIDATES
		    || find_candidate(&agent->remote, candidate->component, &candidate->address) >= 0)
			continue;
		agent->remote.candidates[agent->remote.candidate_count++] = *candidate;
	}
	for (unsigned int i = 0; i < old_count; i++) {
		const struct ice_candidate *candidate = &old_remote.candidates[old_pairs[i].remote];
		int remote = find_candidate(&agent->remote, candidate->component, &candidate->address);
		if (remote < 0 || agent->pair_count >= ICE_MAX_PAIRS)
			continue;
		struct ice_pair *pair = &agent->pairs[agent->pair_count++];
		*pair = old_pairs[i];
		pair->remote = (uint8_t) remote;
		for (int c = 0; c < 2; c++)
			if (old_selected[c] == (int) i) {
				agent->selected[c] = (int) (pair - agent->pairs);
				/* a re-offer does not give back consent the peer withdrew */
				if (old_consent_lost[c]) {
					agent->consent_lost[c] = true;
					agent->media->streams[c].state |= STREAM_ICE_NO_CONSENT;
				}
			}
		if (pair->state == ICE_PAIR_SUCCEEDED && !agent->first_success_us)
			agent->first_success_us = pair->last_response_us;
	}
	for (unsigned int i = 0; i < agent->remote.candidate_count; i++) {
		unsigned int component = agent->remote.candidates[i].component;
		if (!find_pair(agent, component, i))
			add_pair(agent, component, i);
	}
	reprioritise(agent);
}

static bool queue_check(struct ice_agent *agent, struct check_round *round, struct ice_pair *pair, bool use_candidate)
{
	if (round->count >= ICE_ROUND_SENDS)
		return false;
	const struct media *media = agent->media;
	struct outgoing_check *check = &round->checks[round->count];
	/* RFC 8445 section 7.2.2: USERNAME is the peer's ufrag, a colon and ours */
	char username[ICE_MAX_UFRAG + 2 + sizeof(media->ice_ufrag)];
	g_snprintf(username, sizeof(username), "%s:%s", agent->remote.ufrag, media->ice_ufrag);
	/* RFC 8445 section 7.1.1: PRIORITY is what a peer-reflexive candidate of ours would get */
	uint32_t priority = ice_candidate_priority(ICE_CANDIDATE_PEER_REFLEXIVE, 65535, pair->component);
	check->length = stun_build_binding_request(check->data, sizeof(check->data), pair->transaction_id, username,
						   priority, agent->controlling, agent->tie_breaker, use_candidate,
						   agent->remote.pwd, strlen(agent->remote.pwd));
	if (check->length < 0)
		return false;
	check->fd = media->streams[pair->component - 1].fd;
	check->destination = agent->remote.candidates[pair->remote].address;
	round->count++;
	agent->checks_sent++;
	return true;
}

/* RFC 8489 section 6.2.1: RTO doubles from the first retransmission; we start at 100 ms
 * (RFC 8445 section 14.3 allows a lower RTO for checks) and cap it at 1.6 s. */
static int64_t retransmission_timeout(unsigned int transmissions)
{
	int64_t rto = 100000;
	for (unsigned int i = 1; i < transmissions && rto < 1600000; i++)
		rto *= 2;
	return rto;
}

static void start_check(struct ice_agent *agent, struct check_round *round, struct ice_pair *pair, int64_t now_us,
                        bool use_candidate)
{
	random_transaction_id(pair->transaction_id);
	pair->state = ICE_PAIR_IN_PROGRESS;
	pair->triggered = false;
	pair->nominating = use_candidate;
	pair->consent_in_flight = false;
	pair->transmissions = 1;
	pair->next_send_us = now_us + retransmission_timeout(1);
	queue_check(agent, round, pair, use_candidate);
}

static void select_pair(struct ice_agent *agent, struct ice_pair *pair, int64_t now_us)
{
	struct media *media = agent->media;
	int index = (int) (pair - agent->pairs);
	pair->nominated = true;
	unsigned int c = pair->component - 1u;
	/* RFC 7675 section 5.1: consent checks start 4-6 s after selection */
	agent->consent_next_us[c] = now_us + g_random_int_range(4000000, 6000000);
	if (!pair->last_response_us)
		pair->last_response_us = now_us;   /* consent counts from the selection */
	if (agent->selected[c] == index)
		return;
	agent->selected[c] = index;
	struct stream *stream = &media->streams[c];
	if (agent->consent_lost[c]) {
		/* a new path after the old one lost consent: media may flow again */
		agent->consent_lost[c] = false;
		stream->state &= (uint8_t) ~STREAM_ICE_NO_CONSENT;
	}
	const union endpoint *address = &agent->remote.candidates[pair->remote].address;
	endpoint_learning_ice_confirm(stream, address);
	char text[ENDPOINT_TEXT_SIZE];
	log_call(LOG_INFO, media->monologue->call->call_id, "ICE: media %u component %u selected pair to %s (%s, %s)",
		 media->index, pair->component, endpoint_text(address, text, sizeof(text)),
		 ice_candidate_type_name(agent->remote.candidates[pair->remote].type),
		 agent->controlling ? "we nominated" : "peer nominated");
}

/* RFC 7675 section 5.1: consent checks on selected pairs; 30 s without an answer and
 * media towards the peer stops (relay.c drops it) until the peer answers again. */
static void run_consent(struct ice_agent *agent, struct check_round *round, int64_t now_us)
{
	struct media *media = agent->media;
	for (unsigned int c = 0; c < 2; c++) {
		if (agent->selected[c] < 0)
			continue;
		struct ice_pair *pair = &agent->pairs[agent->selected[c]];
		bool expired = now_us - pair->last_response_us > ICE_CONSENT_TIMEOUT_US;
		if (expired && !agent->consent_lost[c]) {
			agent->consent_lost[c] = true;
			media->streams[c].state |= STREAM_ICE_NO_CONSENT;
			log_call(LOG_WARNING, media->monologue->call->call_id,
				 "ICE: media %u component %u: no consent from the peer for 30 s, media to it stopped",
				 media->index, c + 1);
			if (agent->controlling) {
				/* the path changed or died: check every pair again and nominate anew
				 * (the old pair too: if it answers again it can win again) */
				agent->selected[c] = -1;
				agent->first_success_us = 0;
				for (unsigned int i = 0; i < agent->pair_count; i++)
					if (agent->pairs[i].component == c + 1) {
						agent->pairs[i].state = ICE_PAIR_WAITING;
						agent->pairs[i].nominated = false;
						agent->pairs[i].consent_in_flight = false;
					}
				continue;
			}
		}
		if (now_us < agent->consent_next_us[c] || pair->state == ICE_PAIR_IN_PROGRESS)
			continue;
		agent->consent_next_us[c] = now_us + g_random_int_range(4000000, 6000000);
		random_transaction_id(pair->transaction_id);
		pair->consent_in_flight = true;
		queue_check(agent, round, pair, false);
	}
}

/* Controlling agent (RFC 8445 section 8.1.1, regular nomination): once a pair of a
 * component succeeded and no better pair is still being checked (or after a second),
 * check it again with USE-CANDIDATE. */
static void nominate(struct ice_agent *agent, struct check_round *round, int64_t now_us)
{
	if (!agent->controlling)
		return;
	for (unsigned int component = 1; component <= component_count(agent->media); component++) {
		if (agent->selected[component - 1] >= 0)
			continue;
		struct ice_pair *best = NULL;
		bool better_pending = false, nominating = false;
		for (unsigned int i = 0; i < agent->pair_count; i++) {
			struct ice_pair *pair = &agent->pairs[i];
			if (pair->component != component)
				continue;
			if (pair->nominating && pair->state == ICE_PAIR_IN_PROGRESS)
				nominating = true;
			if (pair->state == ICE_PAIR_SUCCEEDED && (!best || pair->priority > best->priority))
				best = pair;
		}
		if (!best || nominating)
			continue;
		for (unsigned int i = 0; i < agent->pair_count; i++) {
			const struct ice_pair *pair = &agent->pairs[i];
			if (pair->component == component && pair->priority > best->priority
			    && (pair->state == ICE_PAIR_WAITING || pair->state == ICE_PAIR_IN_PROGRESS))
				better_pending = true;
		}
		if (better_pending && now_us - agent->first_success_us < ICE_NOMINATION_WAIT_US)
			continue;
		start_check(agent, round, best, now_us, true);
	}
}

/* One round: retransmissions, one new check (Ta pacing), nominations, consent. */
static void run_checks(struct ice_agent *agent, struct check_round *round, int64_t now_us)
{
	for (unsigned int i = 0; i < agent->pair_count; i++) {
		struct ice_pair *pair = &agent->pairs[i];
		if (pair->state != ICE_PAIR_IN_PROGRESS || pair->next_send_us > now_us)
			continue;
		if (pair->transmissions >= ICE_MAX_TRANSMISSIONS) {
			/* RFC 8445 section 7.2.5.4: no answer at all, the pair failed */
			pair->state = ICE_PAIR_FAILED;
			pair->nominating = false;
			continue;
		}
		pair->transmissions++;
		pair->next_send_us = now_us + retransmission_timeout(pair->transmissions);
		queue_check(agent, round, pair, pair->nominating);
	}
	/* RFC 8445 section 6.1.4.2: triggered checks first, then the best waiting pair */
	struct ice_pair *next = NULL;
	for (unsigned int i = 0; i < agent->pair_count; i++) {
		struct ice_pair *pair = &agent->pairs[i];
		if (pair->state != ICE_PAIR_WAITING)
			continue;
		if (!next || (pair->triggered && !next->triggered)
		    || (pair->triggered == next->triggered && pair->priority > next->priority))
			next = pair;
	}
	if (next)
		start_check(agent, round, next, now_us, false);
	nominate(agent, round, now_us);
	run_consent(agent, round, now_us);
}

static int64_t next_deadline(const struct ice_agent *agent, int64_t now_us)
{
	int64_t next = TIMER_NEVER;
	bool succeeded_unselected = false;
	for (unsigned int i = 0; i < agent->pair_count; i++) {
		const struct ice_pair *pair = &agent->pairs[i];
		if (pair->state == ICE_PAIR_WAITING && now_us + ICE_TA_US < next)
			next = now_us + ICE_TA_US;
		if (pair->state == ICE_PAIR_IN_PROGRESS && pair->next_send_us < next)
			next = pair->next_send_us;
		if (pair->state == ICE_PAIR_SUCCEEDED && agent->selected[pair->component - 1] < 0)
			succeeded_unselected = true;
	}
	if (agent->controlling && succeeded_unselected) {
		int64_t nomination = agent->first_success_us + ICE_NOMINATION_WAIT_US;
		if (nomination < next)
			next = nomination > now_us ? nomination : now_us + ICE_TA_US;
	}
	for (unsigned int c = 0; c < 2; c++) {
		if (agent->selected[c] < 0)
			continue;
		if (agent->consent_next_us[c] < next)
			next = agent->consent_next_us[c];
		int64_t expiry = agent->pairs[agent->selected[c]].last_response_us + ICE_CONSENT_TIMEOUT_US + 1;
		if (!agent->consent_lost[c] && expiry < next)
			next = expiry;
	}
	return next;
}

static void agent_round(struct timer_entry *timer, void *data)
{
	struct ice_agent *agent = data;
	struct call *call = agent->media->monologue->call;
	struct check_round round = { 0 };
	pthread_mutex_lock(&call->lock);
	if (call->deleted || !agent->running) {
		pthread_mutex_unlock(&call->lock);
		return;
	}
	int64_t now_us = timer_now_us();
	run_checks(agent, &round, now_us);
	int64_t next = next_deadline(agent, now_us);
	if (next != TIMER_NEVER)
		relay_worker_timer_add(call->worker, timer, next, agent_round, agent);
	pthread_mutex_unlock(&call->lock);
	/* sockets stay open while the call is not freed, and only the worker frees it */
	for (unsigned int i = 0; i < round.count; i++) {
		const struct outgoing_check *check = &round.checks[i];
		if (check->fd >= 0)
			sendto(check->fd, check->data, (size_t) check->length, MSG_DONTWAIT, &check->destination.address,
			       endpoint_length(&check->destination));
	}
}

static void arm_now(struct ice_agent *agent)
{
	struct call *call = agent->media->monologue->call;
	if (call->worker)
		relay_worker_timer_add(call->worker, &agent->timer, timer_now_us(), agent_round, agent);
}

/* ---- public ---- */

void ice_agent_status(const struct stream *stream, struct ice_agent_status *status)
{
	memset(status, 0, sizeof(*status));
	const struct ice_agent *agent = stream->media->ice_agent;
	if (!agent)
		return;
	unsigned int component = stream->kind + 1u;
	status->running = agent->running;
	status->controlling = agent->controlling;
	status->consent_lost = agent->consent_lost[stream->kind];
	for (unsigned int i = 0; i < agent->pair_count; i++) {
		if (agent->pairs[i].component != component)
			continue;
		status->pairs++;
		if (agent->pairs[i].state == ICE_PAIR_SUCCEEDED)
			status->succeeded++;
	}
	if (agent->selected[stream->kind] >= 0)
		status->selected = agent->remote.candidates[agent->pairs[agent->selected[stream->kind]].remote].address;
}

void ice_agent_status_text(const struct ice_agent_status *status, char *out, size_t size)
{
	char selected[ENDPOINT_TEXT_SIZE] = "none";
	if (endpoint_is_set(&status->selected))
		endpoint_text(&status->selected, selected, sizeof(selected));
	g_snprintf(out, size, "%s, %u pairs, %u succeeded, selected %s, consent %s",
		   status->controlling ? "controlling" : "controlled", status->pairs, status->succeeded, selected,
		   status->consent_lost ? "lost" : "ok");
}

enum ice_role_decision ice_role_conflict(bool controlling, uint64_t our_tie_breaker,
                                         const struct stun_request_info *request)
{
	if (controlling && request->ice_controlling)
		return our_tie_breaker >= request->tie_breaker ? ICE_ROLE_CONFLICT : ICE_ROLE_SWITCH;
	if (!controlling && request->ice_controlled)
		return our_tie_breaker >= request->tie_breaker ? ICE_ROLE_SWITCH : ICE_ROLE_CONFLICT;
	return ICE_ROLE_KEEP;
}

void ice_pairs_sort(struct ice_pair *pairs, unsigned int count)
{
	qsort(pairs, count, sizeof(pairs[0]), compare_pairs);
}

int ice_agent_stage(struct media *media, const struct ice_remote *remote)
{
	struct ice_agent *agent = media->ice_staged;
	if (!agent) {
		agent = g_try_new0(struct ice_agent, 1);
		if (!agent)
			return -ENOMEM;
		agent->media = media;
		agent->selected[0] = agent->selected[1] = -1;
		agent->tie_breaker = ((uint64_t) g_random_int() << 32) | g_random_int();
		media->ice_staged = agent;
	}
	/* RFC 8445 section 9: new peer credentials are an ICE restart; we answer it with ours */
	if (agent->staged.ufrag[0] && media->ice_ufrag[0]
	    && (strcmp(agent->staged.ufrag, remote->ufrag) || strcmp(agent->staged.pwd, remote->pwd))) {
		ice_random_credential(agent->next_ufrag, ICE_LOCAL_UFRAG_LENGTH);
		ice_random_credential(agent->next_pwd, ICE_LOCAL_PWD_LENGTH);
		agent->restart_pending = true;
		agent->restart_written = false;
	}
	agent->staged = *remote;
	agent->staged_changed = true;
	return 0;
}

void ice_agent_local_credentials(struct media *media, const char **ufrag, const char **pwd)
{
	struct ice_agent *agent = media->ice_staged;
	if (agent && agent->restart_pending) {
		agent->restart_written = true;
		*ufrag = agent->next_ufrag;
		*pwd = agent->next_pwd;
		return;
	}
	*ufrag = media->ice_ufrag;
	*pwd = media->ice_pwd;
}

bool ice_agent_publish(struct media *media)
{
	struct ice_agent *agent = media->ice_staged;
	if (agent && agent->restart_written) {
		/* the restart's answer is out: checks from now on use our new credentials */
		memcpy(media->ice_ufrag, agent->next_ufrag, sizeof(agent->next_ufrag));
		memcpy(media->ice_pwd, agent->next_pwd, sizeof(agent->next_pwd));
		agent->restart_pending = agent->restart_written = false;
	}
	if (!agent || !media->ice_ufrag[0] || media->rejected || media->ice_lite)
		return false;   /* as an ICE-lite agent we only answer (ice_responder.c) */
	bool start = !agent->running;
	if (start) {
		/* RFC 8445 section 6.1.1: the offerer controls, unless the peer is lite */
		agent->controlling = media->ice_controlling || agent->staged.lite;
		agent->running = true;
		media->ice_agent = agent;
	}
	if (!agent->staged_changed && !start)
		return false;
	agent->staged_changed = false;
	take_description(agent, &agent->staged);
	return true;
}

void ice_agent_kick(struct media *media, struct media_worker *worker)
{
	struct ice_agent *agent = media->ice_staged;
	if (agent && worker)
		relay_post_timer_add(worker, &agent->timer, timer_now_us(), agent_round, agent);
}

void ice_agent_free(struct media *media, struct media_worker *worker)
{
	struct ice_agent *agent = media->ice_staged;
	if (!agent)
		return;
	if (worker)
		relay_worker_timer_cancel(worker, &agent->timer);
	media->ice_agent = media->ice_staged = NULL;
	g_free(agent);
}

int ice_agent_check_role(struct media *media, const struct stun_request_info *request)
{
	struct ice_agent *agent = media->ice_agent;
	if (!agent)
		return 0;
	switch (ice_role_conflict(agent->controlling, agent->tie_breaker, request)) {
	case ICE_ROLE_CONFLICT:
		return STUN_ERROR_ROLE_CONFLICT;
	case ICE_ROLE_SWITCH:
		agent->controlling = !agent->controlling;
		reprioritise(agent);
		log_call(LOG_INFO, media->monologue->call->call_id, "ICE: media %u: role conflict, we are now %s",
			 media->index, agent->controlling ? "controlling" : "controlled");
		return 0;
	case ICE_ROLE_KEEP:
		break;
	}
	return 0;
}

bool ice_agent_handle_request(struct stream *stream, const union endpoint *source,
                              const struct stun_request_info *request)
{
	struct media *media = stream->media;
	struct ice_agent *agent = media->ice_agent;
	if (!agent)
		return true;
	unsigned int component = stream->kind + 1u;
	int remote = find_candidate(&agent->remote, component, source);
	if (remote < 0 && agent->remote.candidate_count < ICE_MAX_CANDIDATES) {
		/* RFC 8445 section 7.3.1.3: a peer-reflexive candidate, with the check's priority */
		struct ice_candidate *candidate = &agent->remote.candidates[agent->remote.candidate_count];
		memset(candidate, 0, sizeof(*candidate));
		g_strlcpy(candidate->foundation, "prflx", sizeof(candidate->foundation));
		candidate->component = component;
		candidate->priority = request->priority;
		candidate->type = ICE_CANDIDATE_PEER_REFLEXIVE;
		candidate->address = *source;
		remote = (int) agent->remote.candidate_count++;
	}
	struct ice_pair *pair = remote >= 0 ? find_pair(agent, component, (unsigned int) remote) : NULL;
	if (!pair && remote >= 0)
		pair = add_pair(agent, component, (unsigned int) remote);
	bool selected_elsewhere = agent->selected[component - 1] >= 0;
	if (!pair)
		return !selected_elsewhere;
	/* RFC 8445 section 7.3.1.4: a triggered check back over the pair */
	if (pair->state == ICE_PAIR_WAITING || pair->state == ICE_PAIR_FAILED) {
		pair->state = ICE_PAIR_WAITING;
		pair->triggered = true;
		arm_now(agent);
	}
	/* RFC 8445 section 7.3.1.5: the controlled agent takes the nomination (at once: the
	 * check is authenticated, and media should follow the peer's choice without waiting
	 * for our own check's answer) */
	if (!agent->controlling && request->use_candidate) {
		select_pair(agent, pair, timer_now_us());
		arm_now(agent);
		return true;
	}
	/* before any selection media follows the latest authenticated check, as ICE-lite */
	return !selected_elsewhere;
}

void ice_agent_handle_response(struct stream *stream, const unsigned char *packet, size_t length,
                               const struct stun_request_info *response, const union endpoint *source)
{
	struct media *media = stream->media;
	struct ice_agent *agent = media->ice_agent;
	if (!agent)
		return;
	struct ice_pair *pair = NULL;
	for (unsigned int i = 0; i < agent->pair_count && !pair; i++)
		if (!memcmp(agent->pairs[i].transaction_id, response->transaction_id, 12)
		    && agent->pairs[i].component == stream->kind + 1u)
			pair = &agent->pairs[i];
	if (!pair || (pair->state != ICE_PAIR_IN_PROGRESS && !pair->consent_in_flight))
		return;
	/* RFC 8445 section 7.2.5.1: answers are signed with the peer's password */
	if (!stun_check_integrity(packet, length, agent->remote.pwd, strlen(agent->remote.pwd)))
		return;
	int64_t now_us = timer_now_us();
	if (response->method_class == STUN_BINDING_ERROR_RESPONSE) {
		if (response->error_code == STUN_ERROR_ROLE_CONFLICT && !pair->consent_in_flight) {
			/* RFC 8445 section 7.2.5.1: switch role and check the pair again */
			agent->controlling = !agent->controlling;
			reprioritise(agent);
			pair->state = ICE_PAIR_WAITING;
			pair->triggered = true;
			arm_now(agent);
		} else if (!pair->consent_in_flight) {
			pair->state = ICE_PAIR_FAILED;
		}
		pair->consent_in_flight = false;
		return;
	}
	/* RFC 8445 section 7.2.5.2.1: the answer must come from where the check went */
	if (!endpoint_equal(source, &agent->remote.candidates[pair->remote].address)) {
		pair->state = ICE_PAIR_FAILED;
		return;
	}
	agent->responses_received++;
	pair->consent_in_flight = false;
	pair->state = ICE_PAIR_SUCCEEDED;
	pair->last_response_us = now_us;
	if (!agent->first_success_us)
		agent->first_success_us = now_us;
	unsigned int c = pair->component - 1u;
	if (agent->consent_lost[c] && agent->selected[c] == (int) (pair - agent->pairs)) {
		agent->consent_lost[c] = false;
		stream->state &= (uint8_t) ~STREAM_ICE_NO_CONSENT;
		log_call(LOG_INFO, media->monologue->call->call_id, "ICE: media %u component %u: consent regained",
			 media->index, c + 1);
	}
	if (pair->nominating || (pair->nominated && agent->selected[c] < 0)) {
		pair->nominating = false;
		select_pair(agent, pair, now_us);
	}
	arm_now(agent);
}
