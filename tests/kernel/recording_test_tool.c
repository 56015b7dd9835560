/* Test tool for call recording in the kernel (tests/kernel/guest-recording.sh, inside the guest).
 *
 *   recording_test_tool play NS_A A RELAY_A NS_B B RELAY_B SECONDS FIRST
 *        PCMU both ways in real time (a packet of 20 ms each way every 20 ms): A sends a
 *        400 Hz tone, B a 1000 Hz tone; sequence numbers and timestamps start at packet
 *        FIRST, so consecutive runs continue one stream. Prints what arrived.
 *        Environment: PLAY_PACKET_US=N sends a packet each way every N us instead of 20000
 *        (a burst faster than real time, to fill the kernel's queues); PLAY_B_SRTP=KEY makes B
 *        send SRTP (AES_CM_128_HMAC_SHA1_80, KEY the base64 master key and salt of its
 *        a=crypto line; libsrtp2); what arrives is only counted, not decrypted.
 *   recording_test_tool wav FILE
 *        "seconds S tone400 P tone1000 Q": length of a 16-bit PCM WAV file and the share of
 *        its energy at 400 Hz and at 1000 Hz (Goertzel, 0..1); then "silent T": seconds of
 *        20 ms windows without sound (RMS under 100), for gaps such as a paused recording
 *   recording_test_tool abuse TABLE
 *        bad recording records and stream writes: each must fail with the expected errno,
 *        never oops; exit 0 if they all did
 * Addresses: 10.0.0.1:5000 or [fd01::2]:5000. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <srtp2/srtp.h>

#include "xt_RTPENGINE_abi.h"

#define PACKET_SAMPLES 160     /* 20 ms of 8 kHz */
#define RTP_HEADER 12

/* ---------------------------------------------------------------- helpers */

union address {
	struct sockaddr any;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static socklen_t address_length(const union address *address)
{
	return address->any.sa_family == AF_INET6 ? sizeof(address->v6) : sizeof(address->v4);
}

/* "10.0.0.1:5000" or "[fd01::2]:5000" */
static int parse_address(const char *text, union address *out)
{
	char host[64];
	const char *colon = strrchr(text, ':');

	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	memset(out, 0, sizeof(*out));
	if (host[0] == '[') {
		size_t length = strlen(host);

		if (length < 3 || host[length - 1] != ']')
			return -1;
		host[length - 1] = '\0';
		out->v6.sin6_family = AF_INET6;
		out->v6.sin6_port = htons((uint16_t)atoi(colon + 1));
		return inet_pton(AF_INET6, host + 1, &out->v6.sin6_addr) == 1 ? 0 : -1;
	}
	out->v4.sin_family = AF_INET;
	out->v4.sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &out->v4.sin_addr) == 1 ? 0 : -1;
}

/* RFC 4648 base64 into out; returns the byte count or -1. */
static int base64_decode(const char *text, uint8_t *out, size_t size)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int bits = 0, value = 0;
	size_t length = 0;

	for (; *text && *text != '='; text++) {
		const char *at = strchr(alphabet, *text);

		if (!at)
			return -1;
		value = value << 6 | (unsigned int)(at - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (length == size)
				return -1;
			out[length++] = (uint8_t)(value >> bits);
		}
	}
	return (int)length;
}

/* A non-blocking UDP socket bound to address inside network namespace ns. */
static int namespace_socket(const char *ns, const union address *address)
{
	char path[256];
	int original = open("/proc/self/ns/net", O_RDONLY), ns_fd, fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	ns_fd = open(path, O_RDONLY);
	if (original < 0 || ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) < 0) {
		perror(path);
		exit(2);
	}
	close(ns_fd);
	fd = socket(address->any.sa_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, &address->any, address_length(address)) < 0) {
		perror("socket/bind");
		exit(2);
	}
	if (setns(original, CLONE_NEWNET) < 0) {
		perror("setns back");
		exit(2);
	}
	close(original);
	return fd;
}

/* ITU-T G.711 mu-law encoding of a 16-bit sample. */
static uint8_t linear_to_ulaw(int sample)
{
	static const int exponent_ends[8] = { 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff };
	int sign = sample < 0 ? 0x80 : 0, exponent = 0;

	if (sample < 0)
		sample = -sample;
	sample += 0x84;
	if (sample > 0x7fff)
		sample = 0x7fff;
	while (exponent < 7 && sample > exponent_ends[exponent])
		exponent++;
	return (uint8_t)~(sign | (exponent << 4) | ((sample >> (exponent + 3)) & 0x0f));
}

static size_t build_packet(uint8_t *packet, uint32_t index, uint32_t ssrc, double frequency)
{
	uint16_t sequence = (uint16_t)index;
	uint32_t timestamp = index * PACKET_SAMPLES;

	packet[0] = 0x80;
	packet[1] = 0;   /* PCMU */
	packet[2] = (uint8_t)(sequence >> 8);
	packet[3] = (uint8_t)sequence;
	packet[4] = (uint8_t)(timestamp >> 24);
	packet[5] = (uint8_t)(timestamp >> 16);
	packet[6] = (uint8_t)(timestamp >> 8);
	packet[7] = (uint8_t)timestamp;
	packet[8] = (uint8_t)(ssrc >> 24);
	packet[9] = (uint8_t)(ssrc >> 16);
	packet[10] = (uint8_t)(ssrc >> 8);
	packet[11] = (uint8_t)ssrc;
	for (int i = 0; i < PACKET_SAMPLES; i++) {
		double t = (double)(timestamp + (uint32_t)i) / 8000.0;

		packet[RTP_HEADER + i] = linear_to_ulaw((int)(8000.0 * sin(2 * M_PI * frequency * t)));
	}
	return RTP_HEADER + PACKET_SAMPLES;
}

static unsigned int drain(int fd)
{
	uint8_t buffer[2048];
	unsigned int count = 0;

	while (recv(fd, buffer, sizeof(buffer), 0) > 0)
		count++;
	return count;
}

/* ---------------------------------------------------------------- play */

/* B's SRTP sender (PLAY_B_SRTP): one session, outbound SSRC any. */
static srtp_t b_srtp_session(const char *key_text)
{
	uint8_t key[SRTP_AES_ICM_128_KEY_LEN_WSALT];
	srtp_policy_t policy;
	srtp_t session;

	if (base64_decode(key_text, key, sizeof(key)) != (int)sizeof(key)) {
		fprintf(stderr, "PLAY_B_SRTP: not a base64 AES_CM_128 key and salt (30 bytes)\n");
		exit(2);
	}
	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_rtp_default(&policy.rtp);
	srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
	policy.ssrc.type = ssrc_any_outbound;
	policy.key = key;
	policy.window_size = 1024;
	if (srtp_init() != srtp_err_status_ok || srtp_create(&session, &policy) != srtp_err_status_ok) {
		fprintf(stderr, "PLAY_B_SRTP: libsrtp2 refused the session\n");
		exit(2);
	}
	return session;
}

static int command_play(char **argv)
{
	union address a, relay_a, b, relay_b;
	unsigned int packets = (unsigned int)(atof(argv[6]) * 50), first = (unsigned int)atoi(argv[7]);
	unsigned int at_a = 0, at_b = 0;
	uint8_t packet[RTP_HEADER + PACKET_SAMPLES + SRTP_MAX_TRAILER_LEN];
	const char *interval_text = getenv("PLAY_PACKET_US"), *b_key = getenv("PLAY_B_SRTP");
	long interval_ns = (interval_text ? atol(interval_text) : 20000) * 1000;
	srtp_t b_srtp = b_key && *b_key ? b_srtp_session(b_key) : NULL;
	struct timespec next;

	if (parse_address(argv[1], &a) || parse_address(argv[2], &relay_a) ||
	    parse_address(argv[4], &b) || parse_address(argv[5], &relay_b))
		return 2;
	if (interval_ns <= 0 || interval_ns >= 1000000000)
		return 2;
	int socket_a = namespace_socket(argv[0], &a), socket_b = namespace_socket(argv[3], &b);

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned int i = 0; i < packets; i++) {
		size_t length = build_packet(packet, first + i, 0x11111111, 400.0);

		if (sendto(socket_a, packet, length, 0, &relay_a.any, address_length(&relay_a)) < 0)
			perror("sendto a");
		length = build_packet(packet, first + i, 0x22222222, 1000.0);
		if (b_srtp) {
			int protected_length = (int)length;

			if (srtp_protect(b_srtp, packet, &protected_length) != srtp_err_status_ok) {
				fprintf(stderr, "srtp_protect failed\n");
				return 2;
			}
			length = (size_t)protected_length;
		}
		if (sendto(socket_b, packet, length, 0, &relay_b.any, address_length(&relay_b)) < 0)
			perror("sendto b");
		at_b += drain(socket_b);
		at_a += drain(socket_a);
		next.tv_nsec += interval_ns;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	usleep(100000);
	at_b += drain(socket_b);
	at_a += drain(socket_a);
	printf("play packets %u..%u: a->b %u/%u b->a %u/%u\n", first, first + packets - 1, at_b, packets, at_a,
	       packets);
	return at_a == packets && at_b == packets ? 0 : 1;
}

/* ---------------------------------------------------------------- wav */

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Goertzel power of one frequency over the samples. */
static double tone_power(const int16_t *samples, size_t count, unsigned int rate, double frequency)
{
	double coefficient = 2 * cos(2 * M_PI * frequency / rate), s1 = 0, s2 = 0;

	for (size_t i = 0; i < count; i++) {
		double s0 = samples[i] + coefficient * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

static int command_wav(char **argv)
{
	FILE *file = fopen(argv[0], "rb");
	static uint8_t data[64 * 1024 * 1024];
	size_t length;

	if (!file) {
		perror(argv[0]);
		return 2;
	}
	length = fread(data, 1, sizeof(data), file);
	fclose(file);
	if (length < 12 || memcmp(data, "RIFF", 4) || memcmp(data + 8, "WAVE", 4)) {
		fprintf(stderr, "%s: not a WAV file\n", argv[0]);
		return 2;
	}
	unsigned int rate = 0, bits = 0, channels = 0;
	size_t offset = 12;

	while (offset + 8 <= length) {
		uint32_t size = le32(data + offset + 4);

		if (!memcmp(data + offset, "fmt ", 4) && size >= 16) {
			channels = le16(data + offset + 10);
			rate = le32(data + offset + 12);
			bits = le16(data + offset + 22);
		} else if (!memcmp(data + offset, "data", 4)) {
			if (bits != 16 || !rate || !channels) {
				fprintf(stderr, "%s: not 16-bit PCM\n", argv[0]);
				return 2;
			}
			/* a file still being written may say 0 or too much: take what is there */
			size_t bytes = offset + 8 + size <= length && size ? size : length - offset - 8;
			size_t count = bytes / 2 / channels;
			int16_t *samples = malloc(count * sizeof(*samples) + 1);

			for (size_t i = 0; i < count; i++)   /* the first channel */
				samples[i] = (int16_t)le16(data + offset + 8 + i * 2 * channels);
			double total = 0;

			for (size_t i = 0; i < count; i++)
				total += (double)samples[i] * samples[i];
			/* Goertzel power relative to a pure tone of the same energy: N/2 * energy */
			double scale = total > 0 ? total * (double)count / 2 : 1;

			/* 20 ms windows without sound: a gap the reader filled with silence */
			size_t window = rate / 50, silent = 0;

			for (size_t start = 0; window && start + window <= count; start += window) {
				double energy = 0;

				for (size_t i = start; i < start + window; i++)
					energy += (double)samples[i] * samples[i];
				if (energy / (double)window < 100.0 * 100.0)
					silent++;
			}
			printf("seconds %.3f tone400 %.2f tone1000 %.2f silent %.2f\n", (double)count / rate,
			       tone_power(samples, count, rate, 400) / scale,
			       tone_power(samples, count, rate, 1000) / scale, window ? (double)(silent * window) / rate : 0.0);
			free(samples);
			return 0;
		}
		offset += 8 + size + (size & 1);
	}
	fprintf(stderr, "%s: no data chunk\n", argv[0]);
	return 2;
}

/* ---------------------------------------------------------------- abuse */

static int failures;

static int write_command(int fd, const struct rtpengine_command *command)
{
	return write(fd, command, sizeof(*command)) == (ssize_t)sizeof(*command) ? 0 : -errno;
}

static void command_init(struct rtpengine_command *command, uint16_t type)
{
	memset(command, 0, sizeof(*command));
	command->magic = RTPENGINE_COMMAND_MAGIC;
	command->abi_version = RTPENGINE_ABI_VERSION;
	command->type = type;
	command->length = sizeof(*command);
}

static void expect(const char *what, int got, int expected)
{
	if (got == expected)
		return;
	printf("FAIL: %s: got %s, expected %s\n", what, got ? strerror(-got) : "success",
	       expected ? strerror(-expected) : "success");
	failures++;
}

static int add_call(int fd, uint32_t id, const char *name)
{
	struct rtpengine_command command;

	command_init(&command, RTPENGINE_COMMAND_ADD_CALL);
	command.u.call.call_id = id;
	memcpy(command.u.call.name, name, strnlen(name, sizeof(command.u.call.name)));
	return write_command(fd, &command);
}

static int add_stream(int fd, uint32_t call, uint32_t id, unsigned int max, const char *name)
{
	struct rtpengine_command command;

	command_init(&command, RTPENGINE_COMMAND_ADD_STREAM);
	command.u.stream.call_id = call;
	command.u.stream.stream_id = id;
	command.u.stream.max_packets = max;
	memcpy(command.u.stream.name, name, strnlen(name, sizeof(command.u.stream.name)));
	return write_command(fd, &command);
}

static int delete_call(int fd, uint32_t id)
{
	struct rtpengine_command command;

	command_init(&command, RTPENGINE_COMMAND_DELETE_CALL);
	command.u.call.call_id = id;
	return write_command(fd, &command);
}

static int write_file(const char *path, const void *data, size_t length)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	int err = write(fd, data, length) == (ssize_t)length ? 0 : -errno;

	close(fd);
	return err;
}

/* One IPv4/UDP packet with a payload of `payload` bytes. */
static size_t ip_packet(uint8_t *data, size_t payload)
{
	size_t total = 28 + payload;

	memset(data, 0, total);
	data[0] = 0x45;
	data[2] = (uint8_t)(total >> 8);
	data[3] = (uint8_t)total;
	data[8] = 64;
	data[9] = 17;
	data[24] = (uint8_t)((8 + payload) >> 8);
	data[25] = (uint8_t)(8 + payload);
	return total;
}

static int command_abuse(char **argv)
{
	char path[256], stream[320];
	struct rtpengine_command command;
	uint8_t packet[2048], got[2048];
	char long_name[300];

	snprintf(path, sizeof(path), "/proc/rtpengine/%s/control", argv[0]);
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		perror(path);
		return 2;
	}
	expect("add call", add_call(fd, 901, "abuse-call"), 0);
	expect("same call id", add_call(fd, 901, "other"), -EEXIST);
	expect("same call name", add_call(fd, 902, "abuse-call"), -EEXIST);
	expect("call id 0", add_call(fd, 0, "zero"), -EINVAL);
	expect("empty name", add_call(fd, 903, ""), -EINVAL);
	expect("name with /", add_call(fd, 903, "a/b"), -EINVAL);
	expect("name ..", add_call(fd, 903, ".."), -EINVAL);
	memset(long_name, 'x', sizeof(long_name));
	expect("name without NUL", add_call(fd, 903, long_name), -EINVAL);
	command_init(&command, RTPENGINE_COMMAND_ADD_CALL);
	command.u.call.call_id = 904;
	strcpy(command.u.call.name, "x");
	command.u.call.name[10] = 'y';
	expect("bytes after the name", write_command(fd, &command), -EINVAL);
	command_init(&command, RTPENGINE_COMMAND_ADD_CALL);
	command.u.call.call_id = 904;
	strcpy(command.u.call.name, "y");
	command.u.padding[sizeof(command.u.padding) - 1] = 1;
	expect("bytes after the record", write_command(fd, &command), -EINVAL);
	expect("stream of unknown call", add_stream(fd, 999, 911, 0, "s"), -ENOENT);
	expect("stream", add_stream(fd, 901, 911, 4, "s"), 0);
	expect("same stream id", add_stream(fd, 901, 911, 0, "t"), -EEXIST);
	expect("same stream name", add_stream(fd, 901, 912, 0, "s"), -EEXIST);
	expect("queue too long", add_stream(fd, 901, 912, RTPENGINE_RECORDING_MAX_PACKETS + 1, "t"), -EINVAL);
	command_init(&command, RTPENGINE_COMMAND_DELETE_STREAM);
	command.u.stream.stream_id = 911;
	command.u.stream.call_id = 901;
	expect("DELETE_STREAM with a call id", write_command(fd, &command), -EINVAL);
	command_init(&command, RTPENGINE_COMMAND_DELETE_STREAM);
	command.u.stream.stream_id = 999;
	expect("DELETE_STREAM unknown", write_command(fd, &command), -ENOENT);
	expect("DELETE_CALL unknown", delete_call(fd, 999), -ENOENT);
	command_init(&command, RTPENGINE_COMMAND_ADD_TARGET);
	command.u.target.local.family = RTPENGINE_FAMILY_IPV4;
	command.u.target.local.port = htons(7000);
	memcpy(command.u.target.local.address, "\x0a\x01\x00\x01", 4);
	command.u.target.output_source = command.u.target.local;
	command.u.target.destination = command.u.target.local;
	command.u.target.destination.port = htons(7002);
	command.u.target.tos = -1;
	command.u.target.record_stream = 999;
	expect("target recording into an unknown stream", write_command(fd, &command), -ENOENT);
	command.u.target.record_stream = 911;
	command.u.target.record_reserved = 1;
	expect("target record_reserved", write_command(fd, &command), -EINVAL);

	/* the stream file: bad writes refused, good ones read back one per read(), queue bound */
	snprintf(stream, sizeof(stream), "/proc/rtpengine/%s/calls/abuse-call/s", argv[0]);
	expect("write too short", write_file(stream, "abc", 3), -EINVAL);
	size_t length = ip_packet(packet, 20);

	packet[3]++;  /* total length one too many */
	expect("write with a wrong IP length", write_file(stream, packet, length), -EINVAL);
	length = ip_packet(packet, 20);
	packet[9] = 6;
	expect("write of TCP", write_file(stream, packet, length), -EINVAL);
	packet[0] = 0x75;
	expect("write of IP version 7", write_file(stream, packet, length), -EINVAL);
	int stream_fd = open(stream, O_RDWR | O_NONBLOCK);

	if (stream_fd < 0) {
		printf("FAIL: open %s: %s\n", stream, strerror(errno));
		return 1;
	}
	for (int i = 0; i < 6; i++) {
		length = ip_packet(packet, 20);
		packet[28] = (uint8_t)i;
		expect("good write", write(stream_fd, packet, length) == (ssize_t)length ? 0 : -errno, 0);
	}
	/* queue of 4: packets 2..5 remain, oldest dropped */
	ssize_t n = read(stream_fd, got, sizeof(got));

	expect("first read", n == (ssize_t)length && got[28] == 2 ? 0 : -EIO, 0);
	n = read(stream_fd, got, 10);
	expect("short read gets the packet's start", n == 10 ? 0 : -EIO, 0);
	expect("delete call with an open reader", delete_call(fd, 901), 0);
	int left = 0;

	while ((n = read(stream_fd, got, sizeof(got))) > 0)
		left++;
	expect("rest then EOF", left == 2 && n == 0 ? 0 : -EIO, 0);
	expect("write after the end", write(stream_fd, packet, length) < 0 ? -errno : 0, -EPIPE);
	close(stream_fd);
	/* the file goes once its reader closed it (free work, bounded wait) */
	for (int i = 0; i < 50 && access(stream, F_OK) == 0; i++)
		usleep(100000);
	expect("stream file removed", access(stream, F_OK) == 0 ? -EEXIST : 0, 0);
	close(fd);
	printf("abuse: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 10 && !strcmp(argv[1], "play"))
		return command_play(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "wav"))
		return command_wav(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "abuse"))
		return command_abuse(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of tests/kernel/recording_test_tool.c\n");
	return 2;
}
