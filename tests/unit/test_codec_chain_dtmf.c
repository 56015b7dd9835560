/* The DTMF flags and silence options in the transcoding engine (daemon/codec_chain.c):
 * play DTMF into a chain (inject-DTMF) as RFC 4733 events or in-band tones, --silence-detect's
 * CN packets with the --cn-payload bytes, and the detection-only chain of detect-DTMF. PCM goes
 * in as L16 (RFC 3551 section 4.5.11) so that the test controls every sample. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "codec_chain.h"

#define PT_L16 96
#define PT_EVENT 101
#define PT_CN 13
#define FRAME 160

struct chain_options {
	int output_dtmf_pt, output_cn_pt;
	unsigned int silence_threshold;
	const uint8_t *cn_payload;
	unsigned int cn_payload_length;
	bool detect_only;
};

static struct codec_chain *l16_chain(const struct chain_options *options)
{
	struct codec_chain_config config = {
		.input = { .encoding = "L16", .clock_rate = 8000, .payload_type = PT_L16 },
		.output = { .encoding = "L16", .clock_rate = 8000, .payload_type = PT_L16 },
		.input_dtmf_pt = -1, .output_dtmf_pt = options->output_dtmf_pt, .output_dtmf_clock = 8000,
		.output_cn_pt = options->output_cn_pt, .silence_threshold = options->silence_threshold,
		.cn_payload = options->cn_payload, .cn_payload_length = options->cn_payload_length,
		.detect_only = options->detect_only,
	};
	const char *reason = NULL;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	return chain;
}

/* One 20 ms L16 packet of pcm (FRAME samples). */
static void push_frame(struct codec_chain *chain, unsigned int index, const int16_t *pcm)
{
	uint8_t packet[12 + 2 * FRAME] = { 0x80, PT_L16 };
	uint16_t seq = (uint16_t)(100 + index);
	uint32_t ts = 8000 + index * FRAME;
	packet[2] = (uint8_t)(seq >> 8);
	packet[3] = (uint8_t)seq;
	packet[4] = (uint8_t)(ts >> 24);
	packet[5] = (uint8_t)(ts >> 16);
	packet[6] = (uint8_t)(ts >> 8);
	packet[7] = (uint8_t)ts;
	packet[8] = 0x12;
	packet[11] = 0x34;
	for (unsigned int i = 0; i < FRAME; i++) {
		packet[12 + 2 * i] = (uint8_t)((uint16_t)pcm[i] >> 8);
		packet[13 + 2 * i] = (uint8_t)pcm[i];
	}
	g_assert_cmpint(codec_chain_push(chain, packet, sizeof(packet)), >=, 0);
}

static void fill_sine(int16_t *pcm, unsigned int index, double frequency, double amplitude)
{
	for (unsigned int i = 0; i < FRAME; i++)
		pcm[i] = (int16_t)(amplitude * sin(2 * M_PI * frequency * (index * FRAME + i) / 8000.0));
}

struct packet {
	uint8_t data[CODEC_CHAIN_MAX_PACKET];
	int length;
};

static unsigned int drain(struct codec_chain *chain, struct packet *out, unsigned int max)
{
	unsigned int count = 0;
	struct packet scratch;
	int length;
	while ((length = codec_chain_pop(chain, count < max ? out[count].data : scratch.data, CODEC_CHAIN_MAX_PACKET)) > 0) {
		if (count < max)
			out[count].length = length;
		count++;
	}
	return count;
}

static double goertzel(const int16_t *pcm, unsigned int count, double frequency)
{
	double coefficient = 2 * cos(2 * M_PI * frequency / 8000), s1 = 0, s2 = 0;
	for (unsigned int i = 0; i < count; i++) {
		double s = pcm[i] + coefficient * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

/* RFC 4733 events in the stream, as 10.5 sends them: updates every 20 ms up to the duration,
 * the end (three times) one frame later, in place of the audio, one numbering */
static void test_inject_events(void)
{
	struct codec_chain *chain = l16_chain(&(struct chain_options) { .output_dtmf_pt = PT_EVENT, .output_cn_pt = -1 });
	int16_t pcm[FRAME];
	struct packet packets[64];
	unsigned int count = 0;
	/* no stream yet to take the event's SSRC and timing from */
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 4, 10, 100, 100), ==, -ENODATA);
	for (unsigned int i = 0; i < 5; i++) {
		fill_sine(pcm, i, 440, 3000);
		push_frame(chain, i, pcm);
	}
	count += drain(chain, packets + count, 64 - count);
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 4, 10, 100, 100), ==, 0);
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 16, 10, 100, 100), ==, -EINVAL);
	for (unsigned int i = 5; i < 15; i++) {
		fill_sine(pcm, i, 440, 3000);
		push_frame(chain, i, pcm);
	}
	count += drain(chain, packets + count, 64 - count);
	g_assert_cmpuint(count, ==, 17);   /* 15 frames, 6 of them events, the end twice more */
	static const unsigned int durations[] = { 160, 320, 480, 640, 800, 960, 960, 960 };
	unsigned int events = 0;
	uint32_t event_ts = 0;
	/* the output stream's own SSRC (codec_chain_ssrc.h), events and audio alike */
	const uint8_t *first = packets[0].data;
	uint32_t output_ssrc = (uint32_t)first[8] << 24 | (uint32_t)first[9] << 16 | (uint32_t)first[10] << 8 | first[11];
	g_assert_cmphex(output_ssrc, !=, 0x12000034);
	for (unsigned int i = 0; i < count; i++) {
		const uint8_t *p = packets[i].data;
		if (i)
			g_assert_cmpuint((uint16_t)((p[2] << 8 | p[3]) - (packets[i - 1].data[2] << 8 | packets[i - 1].data[3])), ==, 1);
		g_assert_cmphex((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11], ==, output_ssrc);
		if ((p[1] & 0x7f) != PT_EVENT)
			continue;
		g_assert_cmpint(packets[i].length, ==, 16);
		g_assert_cmpuint(p[12], ==, 4);
		g_assert_cmpuint(p[13] & 0x3f, ==, 10);
		g_assert_cmpuint(!!(p[13] & 0x80), ==, events >= 5);
		g_assert_cmpuint(!!(p[1] & 0x80), ==, events == 0);   /* RFC 4733 section 2.5.1.3 */
		g_assert_cmpuint((unsigned int)(p[14] << 8 | p[15]), ==, durations[events]);
		uint32_t ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
		if (!events)
			event_ts = ts;
		g_assert_cmpuint(ts, ==, event_ts);
		events++;
	}
	g_assert_cmpuint(events, ==, 8);
	/* the audio after the event goes on unmarked, as 10.5 sends it */
	g_assert_cmpuint(packets[13].data[1], ==, PT_L16);
	/* over: the next one can start */
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 5, 10, 100, 100), ==, 0);
	codec_chain_free(chain);
}

/* play DTMF while an event plays: queued and played after it, as 10.5 does: the next starts
 * at the previous one's start + its duration + the pause (100 ms: 800 + 800 at 8 kHz) */
static void test_inject_queue(void)
{
	struct codec_chain *chain = l16_chain(&(struct chain_options) { .output_dtmf_pt = PT_EVENT, .output_cn_pt = -1 });
	int16_t pcm[FRAME];
	struct packet packets[64];
	memset(pcm, 0, sizeof(pcm));
	push_frame(chain, 0, pcm);
	g_assert_cmpuint(drain(chain, packets, 64), ==, 1);
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 1, 10, 100, 100), ==, 0);
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 2, 10, 100, 100), ==, 0);
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 3, 10, 100, 200), ==, 0);
	unsigned int count = 0;
	for (unsigned int i = 1; i < 40; i++) {
		push_frame(chain, i, pcm);
		count += drain(chain, packets + count, 64 - count);
	}
	uint32_t starts[3] = { 0 };
	unsigned int seen = 0, between = 0;
	char kinds[65] = "";
	for (unsigned int i = 0; i < count && i < 64; i++) {
		const uint8_t *p = packets[i].data;
		bool event = (p[1] & 0x7f) == PT_EVENT;
		kinds[i] = event ? 'E' : 'a';
		if (!event || (p[1] & 0x80) == 0)
			continue;
		g_assert_cmpuint(seen, <, 3);
		g_assert_cmpuint(p[12], ==, seen + 1);
		starts[seen++] = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	}
	g_test_message("%s", kinds);
	g_assert_cmpuint(seen, ==, 3);
	g_assert_cmpuint(starts[1] - starts[0], ==, 800 + 800);
	g_assert_cmpuint(starts[2] - starts[1], ==, 800 + 1600);
	/* four frames of audio between the first two events (the end frame counts into the pause) */
	g_assert_nonnull(strstr(kinds, "EEEEEEEEaaaaEEEEEEEEaaaaaaaaaEEEEEEEE"));
	for (const char *c = kinds; *c; c++)
		between += *c == 'E';
	g_assert_cmpuint(between, ==, 24);
	/* the queue is bounded */
	unsigned int accepted = 0;
	while (codec_chain_inject_dtmf(chain, 5, 10, 100, 100) == 0 && accepted <= CODEC_CHAIN_DTMF_INJECT_QUEUE + 1)
		accepted++;
	g_assert_cmpuint(accepted, ==, CODEC_CHAIN_DTMF_INJECT_QUEUE + 1);
	codec_chain_free(chain);
}

/* Without telephone-event towards the peer: the frames carry the tone pair instead */
static void test_inject_tone(void)
{
	struct codec_chain *chain = l16_chain(&(struct chain_options) { .output_dtmf_pt = -1, .output_cn_pt = -1 });
	int16_t pcm[FRAME], out[12 * FRAME];
	struct packet packets[16];
	memset(pcm, 0, sizeof(pcm));
	push_frame(chain, 0, pcm);
	g_assert_cmpuint(drain(chain, packets, 16), ==, 1);
	g_assert_cmpint(codec_chain_inject_dtmf(chain, 9, 10, 100, 100), ==, 0);
	for (unsigned int i = 1; i < 9; i++)
		push_frame(chain, i, pcm);
	unsigned int count = drain(chain, packets, 16);
	g_assert_cmpuint(count, ==, 8);
	for (unsigned int i = 0; i < count; i++) {
		g_assert_cmpuint(packets[i].data[1] & 0x7f, ==, PT_L16);
		for (unsigned int s = 0; s < FRAME; s++)
			out[i * FRAME + s] = (int16_t)(packets[i].data[12 + 2 * s] << 8 | packets[i].data[13 + 2 * s]);
	}
	/* "9" is 852 + 1477 Hz for 100 ms (five frames), then the silence again */
	double row = goertzel(out, 5 * FRAME, 852), column = goertzel(out, 5 * FRAME, 1477);
	g_assert_cmpfloat(row, >, 100 * goertzel(out, 5 * FRAME, 770));
	g_assert_cmpfloat(column, >, 100 * goertzel(out, 5 * FRAME, 1336));
	for (unsigned int s = 5 * FRAME; s < 8 * FRAME; s++)
		g_assert_cmpint(out[s], ==, 0);
	codec_chain_free(chain);
}

/* One RFC 4733 event packet (section 2.3) at the L16 stream's sequence and timestamp. */
static void push_event(struct codec_chain *chain, unsigned int index, uint32_t start_ts, uint8_t event,
		bool end, uint16_t duration)
{
	uint16_t seq = (uint16_t)(100 + index);
	uint8_t packet[16] = { 0x80, PT_EVENT, (uint8_t)(seq >> 8), (uint8_t)seq, (uint8_t)(start_ts >> 24),
		(uint8_t)(start_ts >> 16), (uint8_t)(start_ts >> 8), (uint8_t)start_ts, 0x12, 0, 0, 0x34,
		event, (uint8_t)((end ? 0x80 : 0) | 10), (uint8_t)(duration >> 8), (uint8_t)duration };
	g_assert_cmpint(codec_chain_push(chain, packet, sizeof(packet)), >=, 0);
}

/* block DTMF's audio modes: events mapped until codec_chain_play_events_as_tones(), then
 * played as their tone pair in the audio; off again, mapped again */
static void test_play_events_as_tones(void)
{
	struct codec_chain_config config = {
		.input = { .encoding = "L16", .clock_rate = 8000, .payload_type = PT_L16 },
		.output = { .encoding = "L16", .clock_rate = 8000, .payload_type = PT_L16 },
		.input_dtmf_pt = PT_EVENT, .output_dtmf_pt = PT_EVENT, .input_dtmf_clock = 8000,
		.output_dtmf_clock = 8000, .output_cn_pt = -1,
	};
	const char *reason = NULL;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	int16_t pcm[FRAME], out[8 * FRAME];
	struct packet packets[16];
	memset(pcm, 0, sizeof(pcm));
	push_frame(chain, 0, pcm);
	push_event(chain, 1, 8000 + FRAME, 5, false, FRAME);
	unsigned int count = drain(chain, packets, 16);
	g_assert_cmpuint(count, ==, 2);
	g_assert_cmpuint(packets[1].data[1] & 0x7f, ==, PT_EVENT);
	/* "9" played: no event packets, its tone in the audio for the event's duration */
	g_assert_cmpint(codec_chain_play_events_as_tones(chain, true), ==, 0);
	uint32_t start = 8000 + 2 * FRAME;
	for (unsigned int i = 0; i < 5; i++)
		push_event(chain, 2 + i, start, 9, i >= 2, (uint16_t)(FRAME * (i < 2 ? i + 1 : 3)));
	for (unsigned int i = 7; i < 10; i++)
		push_frame(chain, i - 2 + 3, pcm);   /* the audio after the event's three frames */
	count = drain(chain, packets, 16);
	unsigned int audio = 0;
	for (unsigned int i = 0; i < count; i++) {
		g_assert_cmpuint(packets[i].data[1] & 0x7f, ==, PT_L16);
		for (unsigned int s = 0; s < FRAME && audio < 8; s++)
			out[audio * FRAME + s] = (int16_t)(packets[i].data[12 + 2 * s] << 8 | packets[i].data[13 + 2 * s]);
		audio++;
	}
	g_assert_cmpuint(audio, >=, 3);
	g_assert_cmpfloat(goertzel(out, 3 * FRAME, 852), >, 100 * goertzel(out, 3 * FRAME, 770));
	g_assert_cmpfloat(goertzel(out, 3 * FRAME, 1477), >, 100 * goertzel(out, 3 * FRAME, 1336));
	/* off: the next event is mapped again */
	g_assert_cmpint(codec_chain_play_events_as_tones(chain, false), ==, 0);
	push_event(chain, 11, 8000 + 11 * FRAME, 3, false, FRAME);
	count = drain(chain, packets, 16);
	g_assert_cmpuint(count, >=, 1);
	g_assert_cmpuint(packets[count - 1].data[1] & 0x7f, ==, PT_EVENT);
	g_assert_cmpuint(packets[count - 1].data[12], ==, 3);
	codec_chain_free(chain);
	/* without events at the audio's clock the chain cannot play them */
	chain = l16_chain(&(struct chain_options) { .output_dtmf_pt = -1, .output_cn_pt = -1 });
	g_assert_cmpint(codec_chain_play_events_as_tones(chain, true), ==, -EINVAL);
	codec_chain_free(chain);
}

/* --silence-detect with --cn-payload: a frame within the threshold is one CN packet */
static void test_silence_detect(void)
{
	static const uint8_t payload[] = { 40, 80 };
	struct codec_chain *chain = l16_chain(&(struct chain_options) {
		.output_dtmf_pt = -1, .output_cn_pt = PT_CN, .silence_threshold = 100,
		.cn_payload = payload, .cn_payload_length = 2 });
	static const double amplitudes[] = { 3000, 0, 90, 200, 0 };
	int16_t pcm[FRAME];
	struct packet packets[8];
	for (unsigned int i = 0; i < G_N_ELEMENTS(amplitudes); i++) {
		fill_sine(pcm, i, 440, amplitudes[i]);
		push_frame(chain, i, pcm);
	}
	unsigned int count = drain(chain, packets, 8);
	g_assert_cmpuint(count, ==, 5);
	static const bool cn[] = { false, true, true, false, true };
	for (unsigned int i = 0; i < count; i++) {
		g_assert_cmpuint((packets[i].data[1] & 0x7f) == PT_CN, ==, cn[i]);
		if (cn[i]) {
			g_assert_cmpint(packets[i].length, ==, 14);
			g_assert_cmpmem(packets[i].data + 12, 2, payload, 2);
		}
	}
	codec_chain_free(chain);

	/* without a CN payload type towards the peer, silence stays audio */
	chain = l16_chain(&(struct chain_options) { .output_dtmf_pt = -1, .output_cn_pt = -1, .silence_threshold = 100 });
	memset(pcm, 0, sizeof(pcm));
	push_frame(chain, 0, pcm);
	g_assert_cmpuint(drain(chain, packets, 8), ==, 1);
	g_assert_cmpuint(packets[0].data[1] & 0x7f, ==, PT_L16);
	codec_chain_free(chain);
}

/* detect-DTMF: the detection-only chain reports the digit and its duration */
static void test_detect_only(void)
{
	struct codec_chain *chain = l16_chain(&(struct chain_options) {
		.output_dtmf_pt = PT_EVENT, .output_cn_pt = -1, .detect_only = true });
	int16_t pcm[FRAME];
	struct codec_chain_dtmf found;
	unsigned int digits = 0;
	for (unsigned int i = 0; i < 40; i++) {
		/* frames 10-19: "7" (852 + 1209 Hz), 200 ms */
		if (i >= 10 && i < 20) {
			int16_t second[FRAME];
			fill_sine(pcm, i, 852, 7000);
			fill_sine(second, i, 1209, 7000);
			for (unsigned int s = 0; s < FRAME; s++)
				pcm[s] = (int16_t)(pcm[s] + second[s]);
		} else {
			memset(pcm, 0, sizeof(pcm));
		}
		push_frame(chain, i, pcm);
		while (codec_chain_take_dtmf(chain, &found)) {
			g_assert_cmpuint(found.event, ==, 7);
			g_assert_cmpuint(found.duration_ms, >=, 150);
			g_assert_cmpuint(found.duration_ms, <=, 260);
			digits++;
		}
	}
	g_assert_cmpuint(digits, ==, 1);
	codec_chain_free(chain);
}

/* detect-DTMF's cost per 20 ms PCMU packet (thread CPU time; -m perf only: a measurement) */
static void test_detect_cost(void)
{
	if (!g_test_perf()) {
		g_test_skip("a measurement: run with -m perf");
		return;
	}
	struct codec_chain_config config = {
		.input = { .encoding = "PCMU", .clock_rate = 8000, .payload_type = 0 },
		.output = { .encoding = "L16", .clock_rate = 8000, .payload_type = PT_L16 },
		.input_dtmf_pt = -1, .output_dtmf_pt = PT_EVENT, .output_dtmf_clock = 8000, .output_cn_pt = -1,
		.detect_only = true,
	};
	const char *reason = NULL;
	struct codec_chain *chain = codec_chain_new(&config, &reason);
	g_assert_nonnull(chain);
	enum { PACKETS = 5000 };
	uint8_t packet[12 + FRAME] = { 0x80, 0 };
	struct timespec start, end;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
	for (unsigned int i = 0; i < PACKETS; i++) {
		uint16_t seq = (uint16_t)i;
		uint32_t ts = i * FRAME;
		packet[2] = (uint8_t)(seq >> 8);
		packet[3] = (uint8_t)seq;
		packet[4] = (uint8_t)(ts >> 24);
		packet[5] = (uint8_t)(ts >> 16);
		packet[6] = (uint8_t)(ts >> 8);
		packet[7] = (uint8_t)ts;
		for (unsigned int s = 0; s < FRAME; s++)
			packet[12 + s] = (uint8_t)(0x80 + ((i * FRAME + s) * 7) % 64);   /* varying mu-law codes */
		g_assert_cmpint(codec_chain_push(chain, packet, sizeof(packet)), >=, 0);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
	double us = ((end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3) / PACKETS;
	g_test_message("detect-DTMF: %.2f us per 20 ms PCMU packet", us);
	g_assert_cmpfloat(us, >, 0);
	codec_chain_free(chain);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec_chain_dtmf/inject_events", test_inject_events);
	g_test_add_func("/codec_chain_dtmf/inject_queue", test_inject_queue);
	g_test_add_func("/codec_chain_dtmf/inject_tone", test_inject_tone);
	g_test_add_func("/codec_chain_dtmf/play_events_as_tones", test_play_events_as_tones);
	g_test_add_func("/codec_chain_dtmf/silence_detect", test_silence_detect);
	g_test_add_func("/codec_chain_dtmf/detect_only", test_detect_only);
	g_test_add_func("/codec_chain_dtmf/detect_cost", test_detect_cost);
	return g_test_run();
}
