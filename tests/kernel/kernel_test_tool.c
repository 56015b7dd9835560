/* Test tool for the kernel forwarding tests (runs inside the guest VM).
 * Programs targets through daemon/kernel.c exactly as the daemon does, moves UDP between
 * network namespaces, and abuses the /proc interface for the robustness test.
 *
 *   kernel_test_tool open TABLE
 *   kernel_test_tool add TABLE LOCAL EXPECTED_SOURCE|any OUTPUT_SOURCE DESTINATION FLAGS TOS
 *   kernel_test_tool delete TABLE LOCAL
 *   kernel_test_tool counters TABLE LOCAL      -> "packets N bytes N errors N passed_up N ..."
 *   kernel_test_tool all TABLE                 -> one line per target (bulk read)
 *   kernel_test_tool relay NS_A A RELAY_A NS_B B RELAY_B COUNT
 *        sends COUNT RTP packets A -> RELAY_A (expects them at B from RELAY_B) and COUNT
 *        B -> RELAY_B (expects them at A from RELAY_A); exit 0 if all arrived
 *   kernel_test_tool flood NS_A A RELAY_A NS_B B SECONDS
 *        sends as fast as possible for SECONDS, prints sent/received per second
 *   kernel_test_tool fuzz TABLE ITERATIONS SEED  random and truncated /proc writes
 *   kernel_test_tool abi-mismatch TABLE          a record with another ABI version must fail
 *   kernel_test_tool ng ADDRESS BENCODE          one ng request over UDP, prints the reply
 * Addresses: 10.0.0.1:5000 or [fd00::1]:5000. FLAGS: rtp,rtcp,strict or none. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kernel.h"
#include "xt_RTPENGINE_abi.h"

#define PROC_ROOT "/proc/rtpengine"

/* ---------------------------------------------------------------- helpers */

static int parse_address(const char *text, union endpoint *out)
{
	char host[128];
	const char *port_text;
	size_t host_length;

	memset(out, 0, sizeof(*out));
	if (!strcmp(text, "any"))
		return 0;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || end[1] != ':')
			return -1;
		host_length = (size_t)(end - text - 1);
		if (host_length >= sizeof(host))
			return -1;
		memcpy(host, text + 1, host_length);
		port_text = end + 2;
	} else {
		const char *colon = strrchr(text, ':');

		if (!colon)
			return -1;
		host_length = (size_t)(colon - text);
		if (host_length >= sizeof(host))
			return -1;
		memcpy(host, text, host_length);
		port_text = colon + 1;
	}
	host[host_length] = '\0';
	if (strchr(host, ':')) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)atoi(port_text));
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)out;

	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(port_text));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static const char *format_address(const union endpoint *address, char *buffer, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (address->address.sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)address;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buffer, size, "%s:%u", host, ntohs(sin->sin_port));
	} else if (address->address.sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)address;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buffer, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(buffer, size, "any");
	}
	return buffer;
}

static socklen_t address_length(const union endpoint *address)
{
	return address->address.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static bool same_address(const union endpoint *a, const union endpoint *b)
{
	if (a->address.sa_family != b->address.sa_family)
		return false;
	if (a->address.sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static struct kernel_table *open_table(const char *id_text)
{
	struct kernel_table *table;
	char reason[256];
	/* attach, not open: each invocation adds to what earlier ones programmed */
	int err = kernel_table_attach(atoi(id_text), &table, reason, sizeof(reason));

	if (err < 0) {
		fprintf(stderr, "kernel_table_attach: %s (%s)\n", reason, strerror(-err));
		exit(2);
	}
	return table;
}

/* A UDP socket bound to address inside network namespace ns ("-" = current). */
static int namespace_socket(const char *ns, const union endpoint *address)
{
	int original = -1, fd;

	if (strcmp(ns, "-")) {
		char path[256];
		int ns_fd;

		snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
		original = open("/proc/self/ns/net", O_RDONLY);
		ns_fd = open(path, O_RDONLY);
		if (original < 0 || ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) < 0) {
			perror(path);
			exit(2);
		}
		close(ns_fd);
	}
	fd = socket(address->address.sa_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)address, address_length(address)) < 0) {
		perror("socket/bind");
		exit(2);
	}
	if (original >= 0) {
		if (setns(original, CLONE_NEWNET) < 0) {
			perror("setns back");
			exit(2);
		}
		close(original);
	}
	return fd;
}

static double now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* RFC 3550 section 5.1 header, PCMU, 160 bytes of payload. */
static size_t build_rtp(uint8_t *packet, uint16_t sequence, uint32_t ssrc)
{
	memset(packet, 0xd5, 172);
	packet[0] = 0x80;
	packet[1] = 0;
	packet[2] = (uint8_t)(sequence >> 8);
	packet[3] = (uint8_t)sequence;
	memset(packet + 4, 0, 4);
	packet[8] = (uint8_t)(ssrc >> 24);
	packet[9] = (uint8_t)(ssrc >> 16);
	packet[10] = (uint8_t)(ssrc >> 8);
	packet[11] = (uint8_t)ssrc;
	return 172;
}

/* Sends one packet from `from` to `to` and waits up to one second for it at `at`, coming
 * from `expected_source`. */
static bool send_and_receive(int from, const union endpoint *to, int at,
			     const union endpoint *expected_source, uint16_t sequence, uint32_t ssrc)
{
	uint8_t packet[200], received[256];
	size_t length = build_rtp(packet, sequence, ssrc);
	struct pollfd wait = { .fd = at, .events = POLLIN };
	double deadline = now_seconds() + 1.0;

	if (sendto(from, packet, length, 0, (const struct sockaddr *)to, address_length(to)) < 0) {
		perror("sendto");
		return false;
	}
	while (now_seconds() < deadline) {
		union endpoint source;
		socklen_t source_length = sizeof(source);
		ssize_t got;

		if (poll(&wait, 1, 100) <= 0)
			continue;
		got = recvfrom(at, received, sizeof(received), 0, (struct sockaddr *)&source, &source_length);
		if (got < 0)
			continue;
		if ((size_t)got == length && !memcmp(received, packet, length) &&
		    same_address(&source, expected_source))
			return true;
		char text[80];

		fprintf(stderr, "unexpected packet of %zd bytes from %s\n", got,
			format_address(&source, text, sizeof(text)));
	}
	return false;
}

/* ---------------------------------------------------------------- commands */

static int command_add(char **argv)
{
	struct kernel_table *table = open_table(argv[0]);
	struct kernel_forward forward = { .tos = atoi(argv[6]) };
	int err;

	if (parse_address(argv[1], &forward.local) || parse_address(argv[2], &forward.expected_source) ||
	    parse_address(argv[3], &forward.output_source) || parse_address(argv[4], &forward.destination)) {
		fprintf(stderr, "bad address\n");
		return 2;
	}
	if (strstr(argv[5], "rtp"))
		forward.flags |= KERNEL_FORWARD_RTP;
	if (strstr(argv[5], "rtcp"))
		forward.flags |= KERNEL_FORWARD_RTCP;
	if (strstr(argv[5], "strict"))
		forward.flags |= KERNEL_FORWARD_STRICT_SOURCE;
	err = kernel_forward_add(table, &forward);
	if (err) {
		fprintf(stderr, "kernel_forward_add: %s\n", strerror(-err));
		return 1;
	}
	/* No kernel_table_close: that would flush the targets we just added. */
	return 0;
}

static int command_delete(char **argv)
{
	struct kernel_table *table = open_table(argv[0]);
	union endpoint local;
	int err;

	if (parse_address(argv[1], &local))
		return 2;
	err = kernel_forward_delete(table, &local);
	if (err) {
		fprintf(stderr, "kernel_forward_delete: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

static void print_counters(const union endpoint *local, const struct kernel_counters *counters,
			   void *unused)
{
	char text[80];

	printf("%s packets %llu bytes %llu errors %llu passed_up %llu last_us %llu",
	       format_address(local, text, sizeof(text)), (unsigned long long)counters->packets,
	       (unsigned long long)counters->bytes, (unsigned long long)counters->errors,
	       (unsigned long long)counters->passed_up,
	       (unsigned long long)counters->last_packet_unix_us);
	for (int i = 0; i < KERNEL_SSRC_SLOTS; i++)
		if (counters->ssrcs[i].used)
			printf(" ssrc %08x:%llu", counters->ssrcs[i].ssrc,
			       (unsigned long long)counters->ssrcs[i].packets);
	for (int i = 0; i < KERNEL_PAYLOAD_TYPE_SLOTS; i++)
		if (counters->payload_types[i].used)
			printf(" pt %u:%llu", counters->payload_types[i].payload_type,
			       (unsigned long long)counters->payload_types[i].packets);
	printf("\n");
}

static int command_counters(char **argv)
{
	struct kernel_table *table = open_table(argv[0]);
	struct kernel_counters counters;
	union endpoint local;
	int err;

	if (parse_address(argv[1], &local))
		return 2;
	err = kernel_forward_read_counters(table, &local, &counters);
	if (err) {
		fprintf(stderr, "kernel_forward_read_counters: %s\n", strerror(-err));
		return 1;
	}
	print_counters(&local, &counters, NULL);
	return 0;
}

static int command_all(char **argv)
{
	struct kernel_table *table = open_table(argv[0]);
	int count = kernel_read_all_counters(table, print_counters, NULL);

	if (count < 0) {
		fprintf(stderr, "kernel_read_all_counters: %s\n", strerror(-count));
		return 1;
	}
	printf("targets %d\n", count);
	return 0;
}

static int command_relay(char **argv)
{
	union endpoint a, relay_a, b, relay_b;
	int count = atoi(argv[6]), a_to_b = 0, b_to_a = 0;

	if (parse_address(argv[1], &a) || parse_address(argv[2], &relay_a) ||
	    parse_address(argv[4], &b) || parse_address(argv[5], &relay_b))
		return 2;
	int socket_a = namespace_socket(argv[0], &a);
	int socket_b = namespace_socket(argv[3], &b);

	for (int i = 0; i < count; i++) {
		a_to_b += send_and_receive(socket_a, &relay_a, socket_b, &relay_b, (uint16_t)i, 0x11111111);
		b_to_a += send_and_receive(socket_b, &relay_b, socket_a, &relay_a, (uint16_t)i, 0x22222222);
	}
	printf("relay a->b %d/%d b->a %d/%d\n", a_to_b, count, b_to_a, count);
	return a_to_b == count && b_to_a == count ? 0 : 1;
}

/* Batched with sendmmsg/recvmmsg so that the generator's own share of the guest's CPU is
 * as small as possible: the benchmark compares relays, not system call overheads. */
#define FLOOD_BATCH 32

static int command_flood(char **argv)
{
	union endpoint a, relay_a, b;
	double seconds = atof(argv[5]), start, end;
	unsigned long sent = 0, received = 0;
	static uint8_t packets[FLOOD_BATCH][200], buffers[FLOOD_BATCH][256];
	struct mmsghdr send_messages[FLOOD_BATCH], receive_messages[FLOOD_BATCH];
	struct iovec send_vectors[FLOOD_BATCH], receive_vectors[FLOOD_BATCH];
	int got;

	if (parse_address(argv[1], &a) || parse_address(argv[2], &relay_a) || parse_address(argv[4], &b))
		return 2;
	int socket_a = namespace_socket(argv[0], &a);
	int socket_b = namespace_socket(argv[3], &b);
	int buffer_size = 4 << 20;

	setsockopt(socket_b, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof(buffer_size));
	memset(send_messages, 0, sizeof(send_messages));
	memset(receive_messages, 0, sizeof(receive_messages));
	for (int i = 0; i < FLOOD_BATCH; i++) {
		send_vectors[i] = (struct iovec){ .iov_base = packets[i], .iov_len = build_rtp(packets[i], 0, 0x33333333) };
		send_messages[i].msg_hdr = (struct msghdr){ .msg_name = &relay_a, .msg_namelen = address_length(&relay_a),
							    .msg_iov = &send_vectors[i], .msg_iovlen = 1 };
		receive_vectors[i] = (struct iovec){ .iov_base = buffers[i], .iov_len = sizeof(buffers[i]) };
		receive_messages[i].msg_hdr = (struct msghdr){ .msg_iov = &receive_vectors[i], .msg_iovlen = 1 };
	}
	start = now_seconds();
	end = start + seconds;
	while (now_seconds() < end) {
		for (int i = 0; i < FLOOD_BATCH; i++) {
			packets[i][2] = (uint8_t)((sent + (unsigned long)i) >> 8);
			packets[i][3] = (uint8_t)(sent + (unsigned long)i);
		}
		got = sendmmsg(socket_a, send_messages, FLOOD_BATCH, 0);
		if (got > 0)
			sent += (unsigned long)got;
		while ((got = recvmmsg(socket_b, receive_messages, FLOOD_BATCH, MSG_DONTWAIT, NULL)) > 0)
			received += (unsigned long)got;
	}
	struct pollfd wait = { .fd = socket_b, .events = POLLIN };

	while (poll(&wait, 1, 200) > 0 &&
	       (got = recvmmsg(socket_b, receive_messages, FLOOD_BATCH, MSG_DONTWAIT, NULL)) > 0)
		received += (unsigned long)got;
	printf("flood sent %lu received %lu seconds %.2f\n", sent, received, now_seconds() - start);
	return received > 0 ? 0 : 1;
}

static int write_bytes(const char *path, const void *data, size_t length)
{
	int fd = open(path, O_WRONLY);
	ssize_t written;

	if (fd < 0)
		return -errno;
	written = write(fd, data, length);
	int err = written < 0 ? -errno : 0;

	close(fd);
	return err;
}

static uint32_t next_random(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Random and truncated writes; every one must fail cleanly or succeed, never oops. */
static int command_fuzz(char **argv)
{
	int table_id = atoi(argv[0]), iterations = atoi(argv[1]), accepted = 0;
	uint32_t state = (uint32_t)atoi(argv[2]) | 1;
	char control[128], global[128];
	static const char *texts[] = {
		"add", "add ", "add -1", "add 256", "add 99999999999", "del", "del x", "frob 1",
		"add 1 2", "del 255", "add 0x10", "", "\n", "add\t3", "del -0", "add 3\n\n", "del 3 ",
	};
	uint8_t buffer[sizeof(struct rtpengine_command) * 3];

	snprintf(control, sizeof(control), PROC_ROOT "/%d/control", table_id);
	snprintf(global, sizeof(global), PROC_ROOT "/control");
	for (int i = 0; i < iterations; i++) {
		uint32_t choice = next_random(&state) % 6;
		size_t length;

		if (choice == 0) {
			const char *text = texts[next_random(&state) % (sizeof(texts) / sizeof(texts[0]))];

			accepted += write_bytes(global, text, strlen(text)) == 0;
			continue;
		}
		if (choice == 1) {
			/* Random bytes of random length. */
			length = next_random(&state) % sizeof(buffer);
			for (size_t j = 0; j < length; j++)
				buffer[j] = (uint8_t)next_random(&state);
			accepted += write_bytes(control, buffer, length) == 0;
			continue;
		}
		/* A valid-looking record with one field broken or the length cut. */
		struct rtpengine_command *command = (struct rtpengine_command *)buffer;

		memset(buffer, 0, sizeof(buffer));
		command->magic = RTPENGINE_COMMAND_MAGIC;
		command->abi_version = RTPENGINE_ABI_VERSION;
		command->length = sizeof(*command);
		command->type = (uint16_t)(next_random(&state) % 6);
		static const uint16_t families[] = { 0, 4, 6, 5 };

		command->u.target.local.family = families[next_random(&state) % 4];
		command->u.target.local.port = (uint16_t)next_random(&state);
		for (int j = 0; j < 16; j++)
			command->u.target.local.address[j] = (uint8_t)(next_random(&state) % 4 ? 0 : next_random(&state));
		command->u.target.output_source = command->u.target.local;
		command->u.target.destination = command->u.target.local;
		command->u.target.flags = next_random(&state) % 16;
		command->u.target.tos = (int32_t)(next_random(&state) % 300) - 2;
		if (choice == 2)
			buffer[next_random(&state) % sizeof(*command)] ^= (uint8_t)(1u << (next_random(&state) % 8));
		length = sizeof(*command);
		if (choice == 3)
			length = next_random(&state) % sizeof(*command);
		if (choice == 4)
			length = sizeof(*command) * (1 + next_random(&state) % 3);
		accepted += write_bytes(control, buffer, length) == 0;
	}
	printf("fuzz: %d writes, %d accepted\n", iterations, accepted);
	return 0;
}

static int command_abi_mismatch(char **argv)
{
	struct rtpengine_command command = {
		.magic = RTPENGINE_COMMAND_MAGIC,
		.abi_version = RTPENGINE_ABI_VERSION + 1,
		.type = RTPENGINE_COMMAND_FLUSH,
		.length = sizeof(command),
	};
	char control[128];
	int err;

	snprintf(control, sizeof(control), PROC_ROOT "/%d/control", atoi(argv[0]));
	err = write_bytes(control, &command, sizeof(command));
	printf("abi-mismatch write: %s\n", strerror(-err));
	return err == -EINVAL ? 0 : 1;
}

/* One ng request (a random cookie, then the bencoded message); prints the reply's message. */
static int command_ng(char **argv)
{
	union endpoint server;
	char request[65536], reply[65536], cookie[16];
	struct pollfd wait;
	ssize_t length;
	int fd;

	if (parse_address(argv[0], &server))
		return 2;
	snprintf(cookie, sizeof(cookie), "%08x", (unsigned int)getpid() ^ (unsigned int)time(NULL));
	length = snprintf(request, sizeof(request), "%s %s", cookie, argv[1]);
	if (length < 0 || (size_t)length >= sizeof(request))
		return 2;
	fd = socket(server.address.sa_family, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, request, (size_t)length, 0, (const struct sockaddr *)&server,
			     address_length(&server)) < 0) {
		perror("ng sendto");
		return 1;
	}
	wait = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&wait, 1, 3000) <= 0) {
		fprintf(stderr, "ng: no reply within 3 s\n");
		return 1;
	}
	length = recv(fd, reply, sizeof(reply) - 1, 0);
	if (length <= (ssize_t)strlen(cookie) + 1 || memcmp(reply, cookie, strlen(cookie)))
		return 1;
	reply[length] = '\0';
	printf("%s\n", reply + strlen(cookie) + 1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int arguments; int (*run)(char **); } commands[] = {
		{ "add", 7, command_add },
		{ "delete", 2, command_delete },
		{ "counters", 2, command_counters },
		{ "all", 1, command_all },
		{ "relay", 7, command_relay },
		{ "flood", 6, command_flood },
		{ "fuzz", 3, command_fuzz },
		{ "abi-mismatch", 1, command_abi_mismatch },
		{ "ng", 2, command_ng },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "open")) {
		open_table(argv[2]);
		printf("table %s open\n", argv[2]);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name) && argc - 2 == commands[i].arguments)
			return commands[i].run(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of tests/kernel/kernel_test_tool.c\n");
	return 2;
}
