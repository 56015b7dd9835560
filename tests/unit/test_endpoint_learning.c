/* The endpoint learning rules of daemon/endpoint_learning.c: immediate, delayed, heuristic
 * and off; strict-source, media-handover and asymmetric; the 500 ms quiet rule of the
 * learning window; ICE confirmation. A stream is built in memory and fed packet sources
 * and times, as the packet path would. */
#include <glib.h>
#include <string.h>

#include "call.h"
#include "endpoint_learning.h"

#define MS 1000LL
#define T0 (1700000000LL * 1000000LL)

static struct stream stream;
static union endpoint sdp_address, nat_address, stranger;

static union endpoint address(const char *text, unsigned int port)
{
	union endpoint endpoint;
	g_assert_cmpint(endpoint_parse(&endpoint, AF_INET, text, port), ==, 0);
	return endpoint;
}

/* A fresh RTP stream whose SDP said 127.0.0.2:30000, with the given forwarding flags. */
static void reset(uint8_t forward_flags)
{
	memset(&stream, 0, sizeof(stream));
	stream.fd = -1;
	stream.forward_flags = forward_flags;
	sdp_address = address("127.0.0.2", 30000);
	nat_address = address("127.0.0.2", 40000);    /* the same peer behind a NAT */
	stranger = address("127.0.0.4", 50000);
	stream.advertised = sdp_address;
	stream.state = STREAM_FILLED;
}

static unsigned int packet(enum endpoint_learning mode, const union endpoint *source, int64_t now_us)
{
	return endpoint_learning_packet(&stream, mode, source, now_us);
}

static void assert_learned(const union endpoint *expected, bool confirmed)
{
	g_assert_true(stream.state & STREAM_LATCHED);
	g_assert_true(endpoint_equal(&stream.learned, expected));
	g_assert_cmpint(!!(stream.state & STREAM_CONFIRMED), ==, confirmed);
}

static void test_immediate(void)
{
	reset(0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0), ==,
			 LEARNING_LATCHED | LEARNING_CONFIRMED);
	assert_learned(&nat_address, true);
	/* a stranger is forwarded but never moves a confirmed latch */
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &stranger, T0 + 10000 * MS), ==, 0);
	assert_learned(&nat_address, true);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0 + 10020 * MS), ==, 0);
	g_assert_cmpint(stream.learned_last_us, ==, T0 + 10020 * MS);
}

static void test_delayed_confirms_after_delay(void)
{
	reset(0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &nat_address, T0), ==, LEARNING_LATCHED);
	assert_learned(&nat_address, false);
	int64_t now = T0;
	for (int i = 1; now + 20 * MS < T0 + ENDPOINT_LEARNING_DELAY_US; i++) {   /* bounded: 3 s of 20 ms */
		now = T0 + i * 20 * MS;
		g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &nat_address, now), ==, 0);
	}
	assert_learned(&nat_address, false);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &nat_address, T0 + ENDPOINT_LEARNING_DELAY_US), ==,
			 LEARNING_CONFIRMED);
	assert_learned(&nat_address, true);
}

static void test_delayed_quiet_rule(void)
{
	reset(0);
	packet(ENDPOINT_LEARNING_DELAYED, &nat_address, T0);
	/* while the learned source flows, another source cannot take over */
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &stranger, T0 + 20 * MS), ==, 0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &nat_address, T0 + 40 * MS), ==, 0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &stranger, T0 + 40 * MS + ENDPOINT_RELEARN_QUIET_US - 1), ==, 0);
	assert_learned(&nat_address, false);
	/* once it has been quiet for 500 ms (a NAT binding that changed), the new one may */
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &stranger, T0 + 40 * MS + ENDPOINT_RELEARN_QUIET_US), ==,
			 LEARNING_RELEARNED);
	assert_learned(&stranger, false);
	/* the delay still counts from the first packet */
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &stranger, T0 + ENDPOINT_LEARNING_DELAY_US), ==,
			 LEARNING_CONFIRMED);
	assert_learned(&stranger, true);
}

static void test_heuristic(void)
{
	union endpoint same_port = address("127.0.0.4", 30000);   /* another host, the SDP's port */
	/* even an exact match waits for the learning delay, as 10.5: strict-source passes
	 * everyone until then */
	reset(FORWARD_STRICT_SOURCE);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &sdp_address, T0), ==, LEARNING_LATCHED);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &stranger, T0 + 20 * MS), ==, 0);
	assert_learned(&sdp_address, false);
	/* the first packet once the delay is over still counts in the window, then confirms */
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &stranger, T0 + ENDPOINT_LEARNING_DELAY_US), ==,
			 LEARNING_CONFIRMED);
	assert_learned(&sdp_address, true);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &stranger, T0 + ENDPOINT_LEARNING_DELAY_US + 20 * MS), ==,
			 LEARNING_DROP);
	/* a better match replaces the learned source even while it flows, a worse one never:
	 * neither < the SDP's port < the SDP's address < exact */
	reset(0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &stranger, T0), ==, LEARNING_LATCHED);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &same_port, T0 + 20 * MS), ==, LEARNING_RELEARNED);
	assert_learned(&same_port, false);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &nat_address, T0 + 40 * MS), ==, LEARNING_RELEARNED);
	assert_learned(&nat_address, false);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &same_port, T0 + 1000 * MS), ==, 0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &stranger, T0 + 1500 * MS), ==, 0);
	assert_learned(&nat_address, false);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &sdp_address, T0 + 1520 * MS), ==, LEARNING_RELEARNED);
	assert_learned(&sdp_address, false);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_HEURISTIC, &sdp_address, T0 + ENDPOINT_LEARNING_DELAY_US), ==,
			 LEARNING_CONFIRMED);
}

static void test_off_and_asymmetric(void)
{
	reset(0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_OFF, &nat_address, T0), ==, 0);
	g_assert_false(stream.state & STREAM_LATCHED);
	reset(FORWARD_ASYMMETRIC);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0), ==, 0);
	g_assert_false(stream.state & STREAM_LATCHED);
	/* with strict-source, only the SDP address gets through */
	reset(FORWARD_ASYMMETRIC | FORWARD_STRICT_SOURCE);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0), ==, LEARNING_DROP);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &sdp_address, T0), ==, 0);
	reset(FORWARD_STRICT_SOURCE);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_OFF, &stranger, T0), ==, LEARNING_DROP);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_OFF, &sdp_address, T0), ==, 0);
	g_assert_false(stream.state & STREAM_LATCHED);
}

static void test_strict_source(void)
{
	reset(FORWARD_STRICT_SOURCE);
	packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &stranger, T0 + 20 * MS), ==, LEARNING_DROP);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0 + 40 * MS), ==, 0);
	assert_learned(&nat_address, true);
	/* before confirmation the learning window's rules apply, not strict-source */
	reset(FORWARD_STRICT_SOURCE);
	packet(ENDPOINT_LEARNING_DELAYED, &nat_address, T0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &stranger, T0 + 20 * MS), ==, 0);
}

static void test_media_handover(void)
{
	reset(FORWARD_MEDIA_HANDOVER);
	packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &stranger, T0 + 20 * MS), ==, LEARNING_HANDOVER);
	assert_learned(&stranger, true);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &stranger, T0 + 40 * MS), ==, 0);
	/* handover wins over strict-source */
	reset(FORWARD_MEDIA_HANDOVER | FORWARD_STRICT_SOURCE);
	packet(ENDPOINT_LEARNING_IMMEDIATE, &nat_address, T0);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_IMMEDIATE, &stranger, T0 + 20 * MS), ==, LEARNING_HANDOVER);
}

static void test_ice_confirms(void)
{
	reset(0);
	g_assert_true(endpoint_learning_ice_confirm(&stream, &nat_address));
	assert_learned(&nat_address, true);
	g_assert_false(endpoint_learning_ice_confirm(&stream, &nat_address));
	/* a check from elsewhere that passed integrity is the peer too: it moves the latch */
	g_assert_true(endpoint_learning_ice_confirm(&stream, &stranger));
	assert_learned(&stranger, true);
	/* during a delayed learning window an ICE check confirms at once */
	reset(0);
	packet(ENDPOINT_LEARNING_DELAYED, &stranger, T0);
	g_assert_true(endpoint_learning_ice_confirm(&stream, &nat_address));
	assert_learned(&nat_address, true);
	g_assert_cmpuint(packet(ENDPOINT_LEARNING_DELAYED, &stranger, T0 + 1000 * MS), ==, 0);
	assert_learned(&nat_address, true);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/endpoint_learning/immediate", test_immediate);
	g_test_add_func("/endpoint_learning/delayed", test_delayed_confirms_after_delay);
	g_test_add_func("/endpoint_learning/delayed_quiet_rule", test_delayed_quiet_rule);
	g_test_add_func("/endpoint_learning/heuristic", test_heuristic);
	g_test_add_func("/endpoint_learning/off_and_asymmetric", test_off_and_asymmetric);
	g_test_add_func("/endpoint_learning/strict_source", test_strict_source);
	g_test_add_func("/endpoint_learning/media_handover", test_media_handover);
	g_test_add_func("/endpoint_learning/ice_confirms", test_ice_confirms);
	return g_test_run();
}
