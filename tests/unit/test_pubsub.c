/* publish/subscribe (daemon/pubsub.h): the fork lists follow the answered subscribers, the
 * worker sends a copy of a source's packets to each (real sockets on 127.0.0.1, one media
 * worker), and a removed subscriber gives its ports back, frees its slot and stops getting
 * copies; query's subscribers/subscriptions; rtcp-mirror's pointer follows the answers. */
#include <glib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "call_fixture.h"
#include "call_lifecycle.h"
#include "daemon.h"
#include "interface.h"
#include "log.h"
#include "pubsub.h"
#include "relay.h"

static struct daemon_context daemon_state;
static struct local_interface interface;

/* A UDP socket on 127.0.0.1 that plays a subscriber (or the publisher). */
static int bound_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	g_assert_cmpint(fd, >=, 0);
	union endpoint local;
	g_assert_cmpint(endpoint_parse(&local, AF_INET, "127.0.0.1", 0), ==, 0);
	g_assert_cmpint(bind(fd, &local.address, endpoint_length(&local)), ==, 0);
	socklen_t length = sizeof(local);
	g_assert_cmpint(getsockname(fd, &local.address, &length), ==, 0);
	*port = endpoint_port(&local);
	return fd;
}

/* The subscriber's answer as subscribe answer leaves it: its SDP address, answered. */
static void answer(struct monologue *subscriber, uint16_t port)
{
	struct stream *stream = &subscriber->media[0]->streams[STREAM_RTP];
	pthread_mutex_lock(&subscriber->call->lock);
	g_assert_cmpint(endpoint_parse(&stream->advertised, AF_INET, "127.0.0.1", port), ==, 0);
	stream->state |= STREAM_FILLED;
	pthread_mutex_unlock(&subscriber->call->lock);
	subscriber->subscription_answered = true;
}

static struct monologue *add_side(struct call *call, const char *tag, struct media *source)
{
	struct monologue *side = call_add_monologue(call, tag);
	g_assert_nonnull(side);
	struct media *media = monologue_add_media(side, "audio", "RTP/AVP");
	fixture_open_sockets(media, &interface);
	if (source) {
		side->subscriber = true;
		PUBSUB_SOURCE(media) = source;
	} else {
		side->publisher = true;
	}
	return side;
}

/* true when a datagram arrives on fd within timeout_ms; its first byte in *first */
static bool receive_one(int fd, int timeout_ms, unsigned char *first)
{
	struct pollfd poller = { .fd = fd, .events = POLLIN };
	if (poll(&poller, 1, timeout_ms) != 1)
		return false;
	unsigned char buffer[2048];
	ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
	g_assert_cmpint(got, >, 0);
	*first = buffer[12];
	return true;
}

static void send_rtp(int fd, uint16_t port, unsigned char payload)
{
	unsigned char packet[172] = { 0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78 };
	memset(packet + 12, payload, sizeof(packet) - 12);
	union endpoint destination;
	g_assert_cmpint(endpoint_parse(&destination, AF_INET, "127.0.0.1", port), ==, 0);
	g_assert_cmpint(sendto(fd, packet, sizeof(packet), 0, &destination.address, endpoint_length(&destination)),
			==, (ssize_t) sizeof(packet));
}

static void test_forks_follow_answers(void)
{
	struct call *call = call_start("pubsub-forks", NULL);
	struct monologue *publisher = add_side(call, "pub", NULL);
	struct media *source = publisher->media[0];
	struct monologue *first = add_side(call, "s1", source);
	struct monologue *second = add_side(call, "s2", source);
	pubsub_refresh_forks(call);
	/* nobody answered: nothing to copy, no flag */
	g_assert_null(source->streams[STREAM_RTP].extras->forks);
	g_assert_false(source->streams[STREAM_RTP].forward_flags & FORWARD_FORK);
	first->subscription_answered = true;
	pubsub_refresh_forks(call);
	const struct pubsub_forks *forks = source->streams[STREAM_RTP].extras->forks;
	g_assert_nonnull(forks);
	g_assert_cmpuint(forks->count, ==, 1);
	g_assert_true(forks->sinks[0] == first->media[0]);
	second->subscription_answered = true;
	pubsub_refresh_forks(call);
	forks = source->streams[STREAM_RTP].extras->forks;
	g_assert_cmpuint(forks->count, ==, 2);
	g_assert_true(forks->sinks[1] == second->media[0]);
	g_assert_true(source->streams[STREAM_RTP].forward_flags & FORWARD_FORK);
	g_assert_true(source->streams[STREAM_RTCP].forward_flags & FORWARD_FORK);
	g_assert_false(first->media[0]->streams[STREAM_RTP].forward_flags & FORWARD_FORK);
	/* query's lists */
	const struct monologue *tags[CALL_MAX_MONOLOGUES];
	g_assert_cmpuint(pubsub_subscribers(publisher, tags, CALL_MAX_MONOLOGUES), ==, 2);
	g_assert_true(tags[0] == first && tags[1] == second);
	g_assert_cmpuint(pubsub_subscriptions(second, tags, CALL_MAX_MONOLOGUES), ==, 1);
	g_assert_true(tags[0] == publisher);
	g_assert_cmpuint(pubsub_subscriptions(publisher, tags, CALL_MAX_MONOLOGUES), ==, 0);
	call_end(call, CALL_END_DELETE);
	g_assert_cmpuint(port_pool_ports_used(&interface.pool), ==, 0);
}

/* rtcp-mirror: the subscriber's RTCP stream names its source once it answered, and only with
 * the flag; unanswering clears it (the worker reads it under the lock). */
static void test_rtcp_mirror_follows_answers(void)
{
	struct call *call = call_start("pubsub-mirror", NULL);
	struct monologue *publisher = add_side(call, "pub", NULL);
	struct media *source = publisher->media[0];
	struct monologue *mirrored = add_side(call, "m", source);
	struct monologue *plain = add_side(call, "p", source);
	mirrored->rtcp_mirror = true;
	pubsub_refresh_forks(call);
	g_assert_null(mirrored->media[0]->streams[STREAM_RTCP].extras->rtcp_mirror);
	mirrored->subscription_answered = plain->subscription_answered = true;
	pubsub_refresh_forks(call);
	g_assert_true(mirrored->media[0]->streams[STREAM_RTCP].extras->rtcp_mirror == source);
	g_assert_null(plain->media[0]->streams[STREAM_RTCP].extras->rtcp_mirror);
	/* the source's own slots are untouched: its RTP stream's holds the fork list */
	g_assert_null(source->streams[STREAM_RTCP].extras->rtcp_mirror);
	g_assert_cmpuint(source->streams[STREAM_RTP].extras->forks->count, ==, 2);
	mirrored->subscription_answered = false;
	pubsub_refresh_forks(call);
	g_assert_null(mirrored->media[0]->streams[STREAM_RTCP].extras->rtcp_mirror);
	call_end(call, CALL_END_DELETE);
}

static void test_copies_reach_subscribers(void)
{
	struct call *call = call_start("pubsub-media", relay_pick_worker());
	struct monologue *publisher = add_side(call, "pub", NULL);
	struct media *source = publisher->media[0];
	uint16_t sender_port, first_port, second_port;
	int sender = bound_socket(&sender_port);
	int first_fd = bound_socket(&first_port), second_fd = bound_socket(&second_port);
	struct monologue *first = add_side(call, "s1", source);
	struct monologue *second = add_side(call, "s2", source);
	answer(first, first_port);
	answer(second, second_port);
	pubsub_refresh_forks(call);
	unsigned char payload = 0;
	send_rtp(sender, (uint16_t) source->rtp_port, 0x11);
	g_assert_true(receive_one(first_fd, 2000, &payload));
	g_assert_cmpuint(payload, ==, 0x11);
	g_assert_true(receive_one(second_fd, 2000, &payload));
	g_assert_cmpuint(payload, ==, 0x11);

	/* the first one leaves: its ports go back, its slot is free, copies go on to the other */
	unsigned int used = port_pool_ports_used(&interface.pool);
	first->subscription_answered = false;
	PUBSUB_SOURCE(first->media[0]) = NULL;
	pubsub_refresh_forks(call);
	call_remove_monologue(first);
	g_assert_cmpuint(call->monologue_count, ==, 2);
	g_assert_null(call_find_monologue(call, "s1"));
	g_assert_true(call->removed_monologues == first);
	g_assert_cmpint(first->media[0]->streams[STREAM_RTP].fd, ==, -1);
	g_assert_cmpuint(port_pool_ports_used(&interface.pool), ==, used - 2);
	send_rtp(sender, (uint16_t) source->rtp_port, 0x22);
	g_assert_true(receive_one(second_fd, 2000, &payload));
	g_assert_cmpuint(payload, ==, 0x22);
	g_assert_false(receive_one(first_fd, 200, &payload));
	/* the freed slot takes a new side */
	for (unsigned int i = call->monologue_count; i < CALL_MAX_MONOLOGUES; i++) {
		char tag[16];
		g_snprintf(tag, sizeof(tag), "more-%u", i);
		g_assert_nonnull(call_add_monologue(call, tag));
	}
	g_assert_null(call_add_monologue(call, "one-too-many"));
	call_end(call, CALL_END_DELETE);
	close(sender);
	close(first_fd);
	close(second_fd);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	struct log_settings logging = { .level = LOG_WARNING, .facility = LOG_DAEMON, .to_stderr = true };
	log_init("rtpengine", &logging);
	call_registry_init();
	call_lifecycle_reset();
	call_lifecycle_init(&daemon_state);
	g_assert_cmpint(endpoint_parse(&interface.local, AF_INET, "127.0.0.1", 0), ==, 0);
	interface.advertised = interface.local;
	g_strlcpy(interface.name, "default", sizeof(interface.name));
	g_assert_cmpint(port_pool_init(&interface.pool, 20000, 59999), ==, 0);
	struct relay_settings settings = { .endpoint_learning = ENDPOINT_LEARNING_IMMEDIATE, .worker_count = 1 };
	g_assert_cmpint(relay_start(&settings), ==, 0);
	g_test_add_func("/pubsub/forks_follow_answers", test_forks_follow_answers);
	g_test_add_func("/pubsub/copies_reach_subscribers", test_copies_reach_subscribers);
	g_test_add_func("/pubsub/rtcp_mirror_follows_answers", test_rtcp_mirror_follows_answers);
	int result = g_test_run();
	relay_stop();   /* frees the retired calls */
	call_lifecycle_reset();
	port_pool_destroy(&interface.pool);
	return result;
}
