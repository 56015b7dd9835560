/*
 * Load generator for the transcoding benchmark (transcode.py): Opus <-> PCMU calls that the
 * script has set up over ng; this program sends and receives their media and measures how late
 * the relay's output is.
 *
 *   transcode_load --plan FILE --pcmu FILE --opus FILE [--duration S] [--warmup S] [--pid PID]
 *                  [--realtime yes]
 *
 * --plan: one call per line, "CALLER_FD CALLER_DEST_IP CALLER_DEST_PORT CALLEE_FD
 * CALLEE_DEST_IP CALLEE_DEST_PORT OPUS_PT": the two UDP sockets the script bound and announced
 * in its SDP (inherited, still open) and where each sends (the relay's ports from the answer
 * and the offer). The caller sends PCMU (payload type 0, 8 kHz), the callee Opus (OPUS_PT,
 * 48 kHz), 50 packets/s each; --pcmu/--opus: the 20 ms payloads to send, in a loop, each as a
 * 2-byte big-endian length and the bytes (encoded once in advance by the script).
 *
 * Two threads, like loadgen: the main thread sends, every socket once per 20 ms, the sockets
 * spread evenly over the period, paced with clock_nanosleep(TIMER_ABSTIME); a receiver thread
 * drains every socket that epoll reports ready with recvmmsg, keeping the kernel's arrival
 * timestamp (SO_TIMESTAMPNS) and RTP timestamp of every packet. Both wake at most once per
 * millisecond (the sender sleeps only for gaps over 1 ms, so a packet may leave up to 1 ms
 * before its slot; its send time is taken just before sendto; the receiver reads every 1 ms,
 * which changes no arrival time): a wake-up per packet cost this program about 30 us of CPU
 * per packet on the shared test machine, so that at a few hundred calls the load generator,
 * not the relay, would have been the limit. --realtime yes: both threads run SCHED_FIFO (where
 * permitted; realtime=0 is printed otherwise), so that other work on the load generator's CPU
 * does not delay its sends by milliseconds (it sleeps between its 1 ms rounds, and the kernel
 * keeps 5% of each CPU for other tasks anyway: sched_rt_runtime_us). WARMUP seconds are sent
 * first and not measured, then DURATION seconds; then up to 500 ms is waited for the last
 * outputs. Bounded: at most CALLS_MAX calls and SECONDS_MAX seconds of each.
 *
 * Which input an output carries: the relay's output timestamps advance by one frame (160 at
 * 8 kHz, 960 at 48 kHz) per input frame, so an output's frame is the first output's frame plus
 * its timestamp distance in frames. The first output's frame is fixed by causality: no output
 * can leave before its input was sent, so the mapping is the latest one under which every
 * output arrived after its input (a relay that holds one frame back, e.g. for look-ahead, then
 * looks like one that does not: constant latency is not lateness). An output is late when it
 * arrived more than 20 ms after its input was sent; an input of the measured interval with no
 * output is missing. Results are printed as key=value lines, overall and per direction
 * (opus_to_pcmu: what the callers receive; pcmu_to_opus: what the callees receive), with the
 * sender's own pace (how far behind its schedule it sent) so that a load generator that cannot
 * keep up is seen, and with --pid the relay's CPU time over the measured interval.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_measure.h"

#define RTP_HEADER_LENGTH 12
#define PACKETS_PER_SECOND 50			/* 20 ms frames */
#define PERIOD_NS (1000000000LL / PACKETS_PER_SECOND)
#define LATE_NS 20000000LL			/* late: more than one frame after its input */
#define PCMU_FRAME_TICKS 160			/* RTP timestamp units per 20 ms at 8 kHz */
#define OPUS_FRAME_TICKS 960			/* ... at 48 kHz (RFC 7587 section 4.1) */
#define FRAMES_MAX 1000
#define FRAME_BYTES_MAX 1400
#define CALLS_MAX 5000
#define SECONDS_MAX 120
#define RECEIVE_BATCH 16
#define EPOLL_BATCH 256
#define DRAIN_NS 500000000LL
#define SLEEP_GAP_NS 1000000LL		/* the sender sleeps only for gaps over 1 ms */
#define RECEIVE_INTERVAL_NS 1000000LL	/* the receiver reads every 1 ms */

struct frames {
	int count;
	uint16_t lengths[FRAMES_MAX];
	unsigned char *payloads[FRAMES_MAX];
};

struct arrival {
	int64_t ns;				/* kernel receive time, CLOCK_MONOTONIC */
	uint32_t timestamp;			/* RTP timestamp */
};

/* One socket of one call: leg 2k is call k's caller, 2k + 1 its callee. */
struct leg {
	int fd;
	struct sockaddr_in to;
	const struct frames *frames;		/* what it sends */
	uint8_t send_type;
	uint8_t receive_type;			/* the payload type the relay sends it */
	uint32_t send_step, receive_step;	/* RTP timestamp units per frame */
	uint16_t sequence;
	uint32_t timestamp, ssrc;
	int64_t *sent_ns;			/* [tick]: when its input of that tick went out */
	struct arrival *arrivals;		/* written by the receiver thread only */
	uint32_t arrival_count, arrival_capacity;
	uint64_t overflow, other_type, rtcp;
};

struct receiver_state {
	struct leg *legs;
	int epoll_fd;
	atomic_int stop;
	atomic_ullong received;
};

struct direction_figures {
	uint64_t inputs, outputs, late, missing, duplicates, irregular, unmapped;
	uint32_t *histogram;			/* delay after input, 1 us buckets */
	int64_t delay_max_ns;
};

static int read_frames(const char *path, struct frames *frames)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return -errno;
	unsigned char prefix[2];
	frames->count = 0;
	while (frames->count < FRAMES_MAX && fread(prefix, 1, 2, file) == 2) {
		uint16_t length = (uint16_t) (prefix[0] << 8 | prefix[1]);
		unsigned char *payload = malloc(length ? length : 1);
		if (!payload || length > FRAME_BYTES_MAX || fread(payload, 1, length, file) != length) {
			free(payload);
			fclose(file);
			return -EINVAL;
		}
		frames->lengths[frames->count] = length;
		frames->payloads[frames->count++] = payload;
	}
	fclose(file);
	return frames->count > 0 ? 0 : -EINVAL;
}

static int parse_destination(const char *host, int port, struct sockaddr_in *address)
{
	memset(address, 0, sizeof(*address));
	address->sin_family = AF_INET;
	address->sin_port = htons((uint16_t) port);
	return port > 0 && port < 65536 && inet_pton(AF_INET, host, &address->sin_addr) == 1 ? 0 : -EINVAL;
}

/* The inherited socket as this program needs it: non-blocking, kernel receive timestamps. */
static int prepare_socket(int fd)
{
	int enable = 1, flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
			setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &enable, sizeof(enable)) < 0)
		return -errno;
	return 0;
}

/* Reads the plan into LEGS (2 per call); returns the number of calls or a negative errno. */
static int read_plan(const char *path, struct leg *legs, int calls_max, const struct frames *pcmu,
	const struct frames *opus)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return -errno;
	char line[256], caller_host[64], callee_host[64];
	int calls = 0;
	while (fgets(line, sizeof(line), file)) {
		int caller_fd, caller_port, callee_fd, callee_port, opus_type;
		if (sscanf(line, "%d %63s %d %d %63s %d %d", &caller_fd, caller_host, &caller_port, &callee_fd,
				callee_host, &callee_port, &opus_type) != 7)
			continue;
		if (calls >= calls_max || opus_type < 96 || opus_type > 127) {
			fclose(file);
			return -EINVAL;
		}
		struct leg *caller = &legs[2 * calls], *callee = &legs[2 * calls + 1];
		/* each side receives the codec it sends: the caller PCMU, the callee Opus */
		*caller = (struct leg) { .fd = caller_fd, .frames = pcmu, .send_type = 0, .receive_type = 0,
			.send_step = PCMU_FRAME_TICKS, .receive_step = PCMU_FRAME_TICKS };
		*callee = (struct leg) { .fd = callee_fd, .frames = opus, .send_type = (uint8_t) opus_type,
			.receive_type = (uint8_t) opus_type, .send_step = OPUS_FRAME_TICKS,
			.receive_step = OPUS_FRAME_TICKS };
		if (parse_destination(caller_host, caller_port, &caller->to) < 0 ||
				parse_destination(callee_host, callee_port, &callee->to) < 0 ||
				prepare_socket(caller_fd) < 0 || prepare_socket(callee_fd) < 0) {
			fclose(file);
			return -EINVAL;
		}
		calls++;
	}
	fclose(file);
	return calls;
}

/* Reads everything waiting on LEG's socket, keeping each frame's arrival and RTP timestamp. */
static void drain_leg(struct receiver_state *state, struct leg *leg, int64_t realtime_offset)
{
	static char buffers[RECEIVE_BATCH][2048];
	static char controls[RECEIVE_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];
	struct mmsghdr messages[RECEIVE_BATCH];
	struct iovec vectors[RECEIVE_BATCH];
	int received;
	do {
		for (int i = 0; i < RECEIVE_BATCH; i++) {
			vectors[i] = (struct iovec) { buffers[i], sizeof(buffers[i]) };
			messages[i].msg_hdr = (struct msghdr) { .msg_iov = &vectors[i], .msg_iovlen = 1,
				.msg_control = controls[i], .msg_controllen = sizeof(controls[i]) };
		}
		received = recvmmsg(leg->fd, messages, RECEIVE_BATCH, MSG_DONTWAIT, NULL);
		int64_t read_time = now_ns();
		for (int i = 0; i < received; i++) {
			const unsigned char *packet = (const unsigned char *) buffers[i];
			if (messages[i].msg_len < RTP_HEADER_LENGTH || packet[0] >> 6 != 2)
				continue;
			/* RTCP (RFC 5761 section 4: SR .. APP) to a neighbouring port: not media */
			if (packet[1] >= 200 && packet[1] <= 204) {
				leg->rtcp++;
				continue;
			}
			if ((packet[1] & 0x7f) != leg->receive_type) {
				leg->other_type++;	/* e.g. comfort noise: not a frame */
				continue;
			}
			if (leg->arrival_count >= leg->arrival_capacity) {
				leg->overflow++;
				continue;
			}
			leg->arrivals[leg->arrival_count++] = (struct arrival) {
				.ns = arrival_ns(&messages[i].msg_hdr, realtime_offset, read_time),
				.timestamp = (uint32_t) packet[4] << 24 | (uint32_t) packet[5] << 16 |
					(uint32_t) packet[6] << 8 | packet[7] };
			atomic_fetch_add_explicit(&state->received, 1, memory_order_relaxed);
		}
	} while (received == RECEIVE_BATCH);
}

static void *receiver_main(void *argument)
{
	struct receiver_state *state = argument;
	struct epoll_event events[EPOLL_BATCH];
	int64_t realtime_offset = realtime_offset_ns();
	int64_t next_read = now_ns();
	while (!atomic_load(&state->stop)) {
		next_read += RECEIVE_INTERVAL_NS;
		if (next_read > now_ns())
			sleep_until_ns(next_read);
		else
			next_read = now_ns();	/* behind: no catching up in a burst of reads */
		int ready;
		do {
			ready = epoll_wait(state->epoll_fd, events, EPOLL_BATCH, 0);
			for (int e = 0; e < ready; e++)
				drain_leg(state, &state->legs[events[e].data.u32], realtime_offset);
		} while (ready == EPOLL_BATCH);
	}
	return NULL;
}

static size_t build_packet(unsigned char *packet, struct leg *leg, long tick)
{
	const struct frames *frames = leg->frames;
	int frame = (int) (tick % frames->count);
	packet[0] = 0x80;			/* RTP version 2, RFC 3550 section 5.1 */
	packet[1] = leg->send_type;
	packet[2] = (unsigned char) (leg->sequence >> 8);
	packet[3] = (unsigned char) leg->sequence;
	for (int i = 0; i < 4; i++) {
		packet[4 + i] = (unsigned char) (leg->timestamp >> (24 - 8 * i));
		packet[8 + i] = (unsigned char) (leg->ssrc >> (24 - 8 * i));
	}
	memcpy(packet + RTP_HEADER_LENGTH, frames->payloads[frame], frames->lengths[frame]);
	leg->sequence++;
	leg->timestamp += leg->send_step;
	return RTP_HEADER_LENGTH + frames->lengths[frame];
}

/* Index of the last input sent at or before T (-1: none), SENT being ascending. */
static long last_sent_before(const int64_t *sent, long ticks, int64_t t)
{
	long low = 0, high = ticks;		/* first index with sent > t */
	while (low < high) {
		long middle = (low + high) / 2;
		if (sent[middle] <= t)
			low = middle + 1;
		else
			high = middle;
	}
	return low - 1;
}

/* Frames between timestamps FROM and TO (RFC 3550 timestamps wrap), rounded; *IRREGULAR is
 * counted up when the distance is not whole frames. */
static long frame_distance(uint32_t from, uint32_t to, uint32_t step, uint64_t *irregular)
{
	int64_t distance = (int32_t) (to - from);
	if (distance % step)
		(*irregular)++;
	return (long) ((distance + (distance >= 0 ? (int64_t) step / 2 : -(int64_t) step / 2)) / step);
}

/*
 * Judges what LEG received against what its peer sent (ticks [0, TICKS), measured from
 * MEASURED_FROM on); adds to FIGURES. SEEN is scratch space of TICKS bytes.
 */
static void judge_leg(const struct leg *leg, const struct leg *peer, long ticks, long measured_from,
	unsigned char *seen, struct direction_figures *figures)
{
	figures->inputs += ticks - measured_from;
	memset(seen, 0, ticks);
	long base = 0;
	int have_base = 0;
	/* the latest mapping under which no output precedes its input */
	for (uint32_t i = 0; i < leg->arrival_count; i++) {
		long frame = frame_distance(leg->arrivals[0].timestamp, leg->arrivals[i].timestamp, leg->receive_step,
			&figures->irregular);
		long candidate = last_sent_before(peer->sent_ns, ticks, leg->arrivals[i].ns) - frame;
		if (!have_base || candidate < base)
			base = candidate;
		have_base = 1;
	}
	uint64_t ignored = 0;
	for (uint32_t i = 0; i < leg->arrival_count; i++) {
		long input = base + frame_distance(leg->arrivals[0].timestamp, leg->arrivals[i].timestamp,
			leg->receive_step, &ignored);
		if (input < 0 || input >= ticks) {
			figures->unmapped++;
			continue;
		}
		if (input < measured_from)
			continue;
		if (seen[input]) {
			figures->duplicates++;
			continue;
		}
		seen[input] = 1;
		figures->outputs++;
		int64_t delay = leg->arrivals[i].ns - peer->sent_ns[input];
		if (delay > LATE_NS)
			figures->late++;
		if (delay > figures->delay_max_ns)
			figures->delay_max_ns = delay;
		long bucket = delay < 0 ? 0 : delay / 1000;
		figures->histogram[bucket < HISTOGRAM_BUCKETS ? bucket : HISTOGRAM_BUCKETS - 1]++;
	}
	for (long tick = measured_from; tick < ticks; tick++)
		figures->missing += !seen[tick];
}

static void print_direction(const char *name, const struct direction_figures *figures)
{
	printf("%s_inputs=%llu\n%s_outputs=%llu\n%s_late=%llu\n%s_missing=%llu\n", name,
		(unsigned long long) figures->inputs, name, (unsigned long long) figures->outputs, name,
		(unsigned long long) figures->late, name, (unsigned long long) figures->missing);
	printf("%s_late_percent=%.4f\n%s_missing_percent=%.4f\n", name,
		figures->outputs ? 100.0 * figures->late / figures->outputs : 0.0, name,
		figures->inputs ? 100.0 * figures->missing / figures->inputs : 0.0);
	printf("%s_delay_p50_us=%ld\n%s_delay_p99_us=%ld\n%s_delay_max_us=%lld\n", name,
		histogram_percentile(figures->histogram, figures->outputs, 0.50), name,
		histogram_percentile(figures->histogram, figures->outputs, 0.99), name,
		(long long) (figures->delay_max_ns / 1000));
	printf("%s_duplicates=%llu\n%s_irregular_timestamps=%llu\n%s_unmapped=%llu\n", name,
		(unsigned long long) figures->duplicates, name, (unsigned long long) figures->irregular, name,
		(unsigned long long) figures->unmapped);
}

static void usage(const char *program)
{
	fprintf(stderr, "usage: %s --plan FILE --pcmu FILE --opus FILE [--duration S] [--warmup S] [--pid PID]\n"
		"          [--realtime yes]\n",
		program);
}

int main(int argc, char **argv)
{
	const char *plan_path = NULL, *pcmu_path = NULL, *opus_path = NULL;
	double duration = 10, warmup = 1;
	int pid = 0, realtime = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--plan"))
			plan_path = argv[i + 1];
		else if (!strcmp(argv[i], "--pcmu"))
			pcmu_path = argv[i + 1];
		else if (!strcmp(argv[i], "--opus"))
			opus_path = argv[i + 1];
		else if (!strcmp(argv[i], "--duration"))
			duration = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--warmup"))
			warmup = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--pid"))
			pid = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--realtime"))
			realtime = !strcmp(argv[i + 1], "yes");
		else {
			usage(argv[0]);
			return 1;
		}
	}
	if (argc % 2 == 0 || !plan_path || !pcmu_path || !opus_path || duration <= 0 || duration > SECONDS_MAX ||
			warmup < 0 || warmup > SECONDS_MAX) {
		usage(argv[0]);
		return 1;
	}
	static struct frames pcmu, opus;
	if (read_frames(pcmu_path, &pcmu) < 0 || read_frames(opus_path, &opus) < 0) {
		fprintf(stderr, "cannot read the frames (%s, %s)\n", pcmu_path, opus_path);
		return 1;
	}
	struct leg *legs = calloc(2 * CALLS_MAX, sizeof(*legs));
	int calls = legs ? read_plan(plan_path, legs, CALLS_MAX, &pcmu, &opus) : -ENOMEM;
	if (calls <= 0) {
		fprintf(stderr, "bad plan %s (%d)\n", plan_path, calls);
		return 1;
	}
	int leg_count = 2 * calls;
	long warmup_ticks = (long) (warmup * PACKETS_PER_SECOND + 0.5);
	long ticks = warmup_ticks + (long) (duration * PACKETS_PER_SECOND + 0.5);
	struct receiver_state receiver = { .legs = legs, .epoll_fd = epoll_create1(0) };
	if (receiver.epoll_fd < 0)
		return 1;
	for (int i = 0; i < leg_count; i++) {
		struct leg *leg = &legs[i];
		leg->sent_ns = calloc(ticks, sizeof(int64_t));
		leg->arrival_capacity = (uint32_t) (2 * ticks + 64);
		leg->arrivals = calloc(leg->arrival_capacity, sizeof(struct arrival));
		if (!leg->sent_ns || !leg->arrivals)
			return 1;
		leg->sequence = (uint16_t) random();
		leg->timestamp = (uint32_t) random();
		leg->ssrc = (uint32_t) random();
		struct epoll_event event = { .events = EPOLLIN, .data.u32 = (uint32_t) i };
		if (epoll_ctl(receiver.epoll_fd, EPOLL_CTL_ADD, leg->fd, &event) < 0) {
			perror("epoll_ctl");
			return 1;
		}
	}
	if (realtime) {
		/* the receiver thread inherits the policy */
		struct sched_param priority = { .sched_priority = 10 };
		if (sched_setscheduler(0, SCHED_FIFO, &priority) < 0) {
			fprintf(stderr, "SCHED_FIFO: %s\n", strerror(errno));
			realtime = 0;
		}
	}
	pthread_t receiver_thread;
	if (pthread_create(&receiver_thread, NULL, receiver_main, &receiver))
		return 1;

	/* Send: tick t of leg i is due at start + t periods + i / leg_count of a period. */
	static uint32_t pace_histogram[HISTOGRAM_BUCKETS];
	uint64_t sent = 0, send_errors = 0, paced = 0;
	int64_t behind_max = 0, measured_start = 0;
	double relay_cpu_start = -1, own_cpu_start = 0;
	static struct thread_times threads_start, threads_end;
	unsigned char packet[RTP_HEADER_LENGTH + FRAME_BYTES_MAX];
	int64_t start = now_ns() + 10000000LL;
	for (long tick = 0; tick < ticks; tick++) {
		if (tick == warmup_ticks) {
			measured_start = now_ns();
			own_cpu_start = own_cpu_seconds();
			if (pid) {
				relay_cpu_start = process_cpu_seconds(pid);
				read_thread_times(pid, &threads_start);
			}
		}
		for (int i = 0; i < leg_count; i++) {
			struct leg *leg = &legs[i];
			int64_t due = start + tick * PERIOD_NS + PERIOD_NS * i / leg_count;
			if (due - now_ns() > SLEEP_GAP_NS)
				sleep_until_ns(due);
			size_t length = build_packet(packet, leg, tick);
			int64_t now = now_ns();
			leg->sent_ns[tick] = now;
			if (sendto(leg->fd, packet, length, 0, (struct sockaddr *) &leg->to, sizeof(leg->to)) < 0)
				send_errors++;
			else
				sent++;
			if (tick >= warmup_ticks) {
				int64_t behind = now > due ? now - due : 0;
				if (behind > behind_max)
					behind_max = behind;
				pace_histogram[behind / 1000 < HISTOGRAM_BUCKETS ? behind / 1000 : HISTOGRAM_BUCKETS - 1]++;
				paced++;
			}
		}
	}
	int64_t measured_end = now_ns();
	double own_cpu = own_cpu_seconds() - own_cpu_start;
	double relay_cpu = pid ? process_cpu_seconds(pid) - relay_cpu_start : -1;
	if (pid)
		read_thread_times(pid, &threads_end);
	/* The last outputs: until every input has come back or DRAIN_NS passed. */
	int64_t drain_deadline = now_ns() + DRAIN_NS;
	while (now_ns() < drain_deadline && atomic_load(&receiver.received) < sent)
		sleep_until_ns(now_ns() + 10000000LL);
	atomic_store(&receiver.stop, 1);
	pthread_join(receiver_thread, NULL);

	struct direction_figures to_pcmu = { .histogram = calloc(HISTOGRAM_BUCKETS, sizeof(uint32_t)) };
	struct direction_figures to_opus = { .histogram = calloc(HISTOGRAM_BUCKETS, sizeof(uint32_t)) };
	struct direction_figures all = { .histogram = calloc(HISTOGRAM_BUCKETS, sizeof(uint32_t)) };
	unsigned char *seen = malloc(ticks);
	if (!to_pcmu.histogram || !to_opus.histogram || !all.histogram || !seen)
		return 1;
	uint64_t overflow = 0, other_type = 0, rtcp = 0;
	for (int i = 0; i < leg_count; i++) {
		/* the caller (even leg) receives what the callee sent, and the other way round */
		judge_leg(&legs[i], &legs[i ^ 1], ticks, warmup_ticks, seen, i % 2 ? &to_opus : &to_pcmu);
		overflow += legs[i].overflow;
		other_type += legs[i].other_type;
		rtcp += legs[i].rtcp;
	}
	const struct direction_figures *parts[] = { &to_pcmu, &to_opus };
	for (int p = 0; p < 2; p++) {
		all.inputs += parts[p]->inputs;
		all.outputs += parts[p]->outputs;
		all.late += parts[p]->late;
		all.missing += parts[p]->missing;
		all.duplicates += parts[p]->duplicates;
		all.irregular += parts[p]->irregular;
		all.unmapped += parts[p]->unmapped;
		if (parts[p]->delay_max_ns > all.delay_max_ns)
			all.delay_max_ns = parts[p]->delay_max_ns;
		for (long b = 0; b < HISTOGRAM_BUCKETS; b++)
			all.histogram[b] += parts[p]->histogram[b];
	}

	printf("realtime=%d\n", realtime);
	printf("calls=%d\nsent=%llu\nsend_errors=%llu\n", calls, (unsigned long long) sent,
		(unsigned long long) send_errors);
	print_direction("all", &all);
	print_direction("opus_to_pcmu", &to_pcmu);
	print_direction("pcmu_to_opus", &to_opus);
	printf("other_payload_types=%llu\nrtcp_packets=%llu\narrival_overflow=%llu\n", (unsigned long long) other_type,
		(unsigned long long) rtcp, (unsigned long long) overflow);
	printf("pace_behind_p99_us=%ld\npace_behind_max_us=%lld\n", histogram_percentile(pace_histogram, paced, 0.99),
		(long long) (behind_max / 1000));
	printf("measured_seconds=%.3f\nloadgen_cpu_seconds=%.3f\n", (measured_end - measured_start) / 1e9, own_cpu);
	if (pid) {
		printf("relay_cpu_seconds=%.3f\n", relay_cpu);
		print_thread_cpu(&threads_start, &threads_end);
	}
	for (int i = 0; i < leg_count; i++) {
		free(legs[i].sent_ns);
		free(legs[i].arrivals);
	}
	for (int i = 0; i < pcmu.count; i++)
		free(pcmu.payloads[i]);
	for (int i = 0; i < opus.count; i++)
		free(opus.payloads[i]);
	free(legs);
	free(seen);
	free(to_pcmu.histogram);
	free(to_opus.histogram);
	free(all.histogram);
	close(receiver.epoll_fd);
	return send_errors ? 3 : 0;
}
