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
 *   kernel_test_tool send NS FROM TO FIRST SECOND  one 20-byte datagram starting with these bytes
 *   kernel_test_tool quality-stream NS_A A RELAY_A NS_B B RELAY_B COUNT LOSS_PERCENT JITTER_MS SEED
 *        COUNT PCMU packets A -> B at 20 ms, LOSS_PERCENT not sent, each delayed 0..JITTER_MS,
 *        B sending RTP back and RTCP receiver reports about A (RFC 3550 6.4.2); prints
 *        "sent N dropped N received N lost N jitter_us N reports N b_to_a N"
 *   kernel_test_tool srtp-add TABLE LOCAL OUTPUT_SOURCE DESTINATION DECRYPT ENCRYPT [STATE]
 *        an SRTP target; DECRYPT/ENCRYPT: plain or SUITE:BASE64-MASTER-KEY-AND-SALT (the
 *        session keys are derived here, RFC 3711 4.3); STATE: a file of "decrypt|encrypt
 *        SSRC INDEX W0 W1" lines (as srtp-delete prints) handed to the kernel
 *   kernel_test_tool srtp-delete TABLE LOCAL     delete, print the handed-back state lines
 *   kernel_test_tool srtp-relay NS_A A RELAY_A SPEC_A NS_B B RELAY_B SPEC_B COUNT FIRST_SEQ [COMMAND]
 *        like relay, each endpoint protecting what it sends and unprotecting what it gets
 *        with libsrtp2 (SPEC: plain or SUITE:SEND-KEY:RECEIVE-KEY); COMMAND runs through the
 *        shell after COUNT/2 packets each way and may print a new SPEC_B to switch B's keys
 *        (a re-key) without restarting the sequence numbers
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

#include <openssl/evp.h>
#include <srtp2/srtp.h>

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
	if (counters->srtp_auth_failures || counters->srtp_replays)
		printf(" srtp_auth_failures %llu srtp_replays %llu",
		       (unsigned long long)counters->srtp_auth_failures,
		       (unsigned long long)counters->srtp_replays);
	for (int i = 0; i < KERNEL_SSRC_SLOTS; i++)
		if (counters->ssrcs[i].used)
			printf(" ssrc %08x:%llu", counters->ssrcs[i].ssrc,
			       (unsigned long long)counters->ssrcs[i].packets);
	for (int i = 0; i < KERNEL_PAYLOAD_TYPE_SLOTS; i++)
		if (counters->payload_types[i].used)
			printf(" pt %u:%llu", counters->payload_types[i].payload_type,
			       (unsigned long long)counters->payload_types[i].packets);
	for (int i = 0; i < KERNEL_SSRC_SLOTS; i++)
		if (counters->rtp[i].used)
			printf(" rtp %08x:packets=%llu,sequence=%u..%u,duplicates=%llu,jitter_us=%llu",
			       counters->rtp[i].ssrc, (unsigned long long)counters->rtp[i].packets,
			       counters->rtp[i].first_sequence, counters->rtp[i].highest_sequence,
			       (unsigned long long)counters->rtp[i].duplicates,
			       (unsigned long long)(counters->rtp[i].jitter_us16 / 16));
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
	/* FLOOD_SEQ: the first sequence number, so that consecutive floods continue one
	 * stream (SRTP refuses to protect an index twice) */
	sent = getenv("FLOOD_SEQ") ? strtoul(getenv("FLOOD_SEQ"), NULL, 10) : 0;
	unsigned long first_sequence = sent;
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
	printf("flood sent %lu received %lu seconds %.2f\n", sent - first_sequence, received, now_seconds() - start);
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
		if (next_random(&state) % 2) {
			/* ABI v2: SRTP records that are often valid, so the crypto setup and its
			 * failure paths run too; a destination other than local makes it likelier */
			command->u.target.destination.port ^= htons(1);
			struct rtpengine_srtp *sides[2] = { &command->u.target.decrypt, &command->u.target.encrypt };
			static const uint8_t key_lengths[] = { 0, 16, 24, 32, 7 }, tags[] = { 0, 4, 10, 16 };

			for (int side = 0; side < 2; side++) {
				struct rtpengine_srtp *srtp = sides[side];

				srtp->cipher = (uint8_t)(next_random(&state) % 5);
				if (!srtp->cipher)
					continue;
				srtp->cipher_key_length = key_lengths[next_random(&state) % 5];
				srtp->auth_tag_length = tags[next_random(&state) % 4];
				if (next_random(&state) % 4) {   /* mostly a consistent suite */
					static const uint8_t cm_keys[] = { 16, 24, 32 }, gcm_keys[] = { 16, 32 };

					srtp->cipher = (uint8_t)(1 + next_random(&state) % 3);
					srtp->cipher_key_length = srtp->cipher == RTPENGINE_SRTP_NULL ? 0
						: srtp->cipher == RTPENGINE_SRTP_AES_CM ? cm_keys[next_random(&state) % 3]
						: gcm_keys[next_random(&state) % 2];
					srtp->auth_tag_length = srtp->cipher == RTPENGINE_SRTP_AES_GCM ? 16
						: next_random(&state) % 2 ? 4 : 10;
				}
				for (unsigned j = 0; j < srtp->cipher_key_length && j < sizeof(srtp->cipher_key); j++)
					srtp->cipher_key[j] = (uint8_t)next_random(&state);
				if (srtp->cipher != RTPENGINE_SRTP_AES_GCM)
					for (unsigned j = 0; j < sizeof(srtp->auth_key); j++)
						srtp->auth_key[j] = (uint8_t)next_random(&state);
				for (unsigned j = 0; j < 12; j++)
					srtp->salt[j] = (uint8_t)next_random(&state);
				for (int j = 0; j < RTPENGINE_SRTP_SSRC_SLOTS; j++) {
					if (next_random(&state) % 2)
						continue;
					srtp->ssrcs[j].used = next_random(&state) % 16 ? 1 : 2;
					srtp->ssrcs[j].ssrc = next_random(&state);
					srtp->ssrcs[j].highest_index = (((uint64_t)next_random(&state) << 20) ^ next_random(&state))
						& (next_random(&state) % 8 ? 0xffffffffffffull : ~0ull);
					srtp->ssrcs[j].window[0] = next_random(&state);
				}
			}
			if (command->u.target.decrypt.cipher || command->u.target.encrypt.cipher)
				command->u.target.flags = (command->u.target.flags & ~8u) |
					(next_random(&state) % 8 ? RTPENGINE_TARGET_RTP : 0);
		}
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

/* ---------------------------------------------------------------- SRTP */

struct suite {
	const char *name;
	enum kernel_srtp_cipher cipher;
	unsigned key_length, salt_length, tag_length;
	void (*policy)(srtp_crypto_policy_t *policy);
};

/* a macro in libsrtp2, so it needs a function to be pointed to */
static void aes_cm_128_sha1_80(srtp_crypto_policy_t *policy)
{
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(policy);
}

static void null_sha1_32(srtp_crypto_policy_t *policy)
{
	srtp_crypto_policy_set_null_cipher_hmac_sha1_80(policy);
	policy->auth_tag_len = 4;
}

/* Every suite of RFC 4568 6.2, RFC 6188 7.1 and RFC 7714 14.2 that libsrtp2 has. */
static const struct suite suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", KERNEL_SRTP_AES_CM, 16, 14, 10, aes_cm_128_sha1_80 },
	{ "AES_CM_128_HMAC_SHA1_32", KERNEL_SRTP_AES_CM, 16, 14, 4, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 },
	{ "AES_192_CM_HMAC_SHA1_80", KERNEL_SRTP_AES_CM, 24, 14, 10, srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 },
	{ "AES_192_CM_HMAC_SHA1_32", KERNEL_SRTP_AES_CM, 24, 14, 4, srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32 },
	{ "AES_256_CM_HMAC_SHA1_80", KERNEL_SRTP_AES_CM, 32, 14, 10, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 },
	{ "AES_256_CM_HMAC_SHA1_32", KERNEL_SRTP_AES_CM, 32, 14, 4, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32 },
	{ "NULL_HMAC_SHA1_80", KERNEL_SRTP_NULL, 16, 14, 10, srtp_crypto_policy_set_null_cipher_hmac_sha1_80 },
	{ "NULL_HMAC_SHA1_32", KERNEL_SRTP_NULL, 16, 14, 4, null_sha1_32 },
	{ "AEAD_AES_128_GCM", KERNEL_SRTP_AES_GCM, 16, 12, 16, srtp_crypto_policy_set_aes_gcm_128_16_auth },
	{ "AEAD_AES_256_GCM", KERNEL_SRTP_AES_GCM, 32, 12, 16, srtp_crypto_policy_set_aes_gcm_256_16_auth },
};

static const struct suite *find_suite(const char *name, size_t length)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (strlen(suites[i].name) == length && !memcmp(suites[i].name, name, length))
			return &suites[i];
	fprintf(stderr, "unknown suite %.*s\n", (int)length, name);
	exit(2);
}

static size_t base64_decode(const char *text, size_t length, uint8_t *out, size_t capacity)
{
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t bits = 0;
	int count = 0;
	size_t written = 0;

	for (size_t i = 0; i < length && text[i] && text[i] != '='; i++) {
		const char *at = strchr(alphabet, text[i]);

		if (!at)
			break;
		bits = (bits << 6) | (uint32_t)(at - alphabet);
		count += 6;
		if (count >= 8) {
			count -= 8;
			if (written < capacity)
				out[written++] = (uint8_t)(bits >> count);
		}
	}
	return written;
}

/* "SUITE:KEY[:...]": the suite and master key + salt (exactly the suite's lengths). */
static const struct suite *parse_key(const char *spec, uint8_t *master, size_t capacity)
{
	const char *colon = strchr(spec, ':');

	if (!colon) {
		fprintf(stderr, "bad SRTP spec %s\n", spec);
		exit(2);
	}
	const struct suite *suite = find_suite(spec, (size_t)(colon - spec));
	const char *end = strchr(colon + 1, ':');
	size_t length = base64_decode(colon + 1, end ? (size_t)(end - colon - 1) : strlen(colon + 1), master, capacity);

	if (length != suite->key_length + suite->salt_length) {
		fprintf(stderr, "%s wants %u bytes of key and salt, got %zu\n", suite->name,
			suite->key_length + suite->salt_length, length);
		exit(2);
	}
	return suite;
}

/* RFC 3711 section 4.3.1 with kdr 0: AES-CM keyed with the master key over (salt XOR label). */
static void derive(const uint8_t *key, unsigned key_length, const uint8_t *salt, unsigned salt_length,
		   uint8_t label, uint8_t *out, unsigned length)
{
	const EVP_CIPHER *cipher = key_length == 16 ? EVP_aes_128_ctr() : key_length == 24 ? EVP_aes_192_ctr()
		: EVP_aes_256_ctr();
	uint8_t iv[16] = { 0 };
	int written;
	EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();

	memcpy(iv, salt, salt_length);
	iv[7] ^= label;
	memset(out, 0, length);
	if (!context || EVP_EncryptInit_ex(context, cipher, NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(context, out, &written, out, (int)length) != 1) {
		fprintf(stderr, "key derivation failed\n");
		exit(2);
	}
	EVP_CIPHER_CTX_free(context);
}

static void srtp_keys_from_spec(const char *spec, struct kernel_srtp *out)
{
	uint8_t master[64];

	memset(out, 0, sizeof(*out));
	if (!strcmp(spec, "plain"))
		return;
	const struct suite *suite = parse_key(spec, master, sizeof(master));
	const uint8_t *salt = master + suite->key_length;

	out->keys.cipher = (uint8_t)suite->cipher;
	out->keys.auth_tag_length = (uint8_t)suite->tag_length;
	if (suite->cipher != KERNEL_SRTP_NULL) {
		out->keys.cipher_key_length = (uint8_t)suite->key_length;
		derive(master, suite->key_length, salt, suite->salt_length, 0, out->keys.cipher_key, suite->key_length);
	}
	if (suite->cipher != KERNEL_SRTP_AES_GCM)
		derive(master, suite->key_length, salt, suite->salt_length, 1, out->keys.auth_key, 20);
	derive(master, suite->key_length, salt, suite->salt_length, 2, out->keys.salt, suite->salt_length);
}

static void read_state(const char *path, struct kernel_forward *forward)
{
	FILE *file = fopen(path, "r");
	char which[16];
	unsigned int ssrc;
	unsigned long long index, window0, window1;
	int decrypt_slot = 0, encrypt_slot = 0;

	if (!file) {
		perror(path);
		exit(2);
	}
	while (fscanf(file, "%15s %x %llu %llx %llx", which, &ssrc, &index, &window0, &window1) == 5) {
		bool decrypt = !strcmp(which, "decrypt");

		if ((decrypt ? decrypt_slot : encrypt_slot) >= KERNEL_SRTP_SSRC_SLOTS)
			break;
		struct kernel_srtp_ssrc *slot = decrypt ? &forward->decrypt.ssrcs[decrypt_slot++]
			: &forward->encrypt.ssrcs[encrypt_slot++];

		*slot = (struct kernel_srtp_ssrc){ .used = true, .ssrc = ssrc, .highest_index = index,
						   .window = { window0, window1 } };
	}
	fclose(file);
}

static int command_srtp_add(char **argv, int argc)
{
	struct kernel_table *table = open_table(argv[0]);
	struct kernel_forward forward = { .tos = -1, .flags = KERNEL_FORWARD_RTP };
	int err;

	if (parse_address(argv[1], &forward.local) || parse_address(argv[2], &forward.output_source) ||
	    parse_address(argv[3], &forward.destination))
		return 2;
	srtp_keys_from_spec(argv[4], &forward.decrypt);
	srtp_keys_from_spec(argv[5], &forward.encrypt);
	if (argc > 6)
		read_state(argv[6], &forward);
	err = kernel_forward_add(table, &forward);
	if (err) {
		fprintf(stderr, "kernel_forward_add: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

static int command_srtp_delete(char **argv, int argc)
{
	struct kernel_table *table = open_table(argv[0]);
	struct kernel_counters final;
	union endpoint local;
	int err;

	if (parse_address(argv[1], &local))
		return 2;
	err = kernel_forward_delete_read(table, &local, &final);
	if (err) {
		fprintf(stderr, "kernel_forward_delete_read: %s\n", strerror(-err));
		return 1;
	}
	for (int i = 0; i < KERNEL_SRTP_SSRC_SLOTS; i++) {
		const struct kernel_srtp_ssrc *in = &final.decrypt_ssrcs[i], *out = &final.encrypt_ssrcs[i];

		if (in->used)
			printf("decrypt %08x %llu %llx %llx\n", in->ssrc, (unsigned long long)in->highest_index,
			       (unsigned long long)in->window[0], (unsigned long long)in->window[1]);
		if (out->used)
			printf("encrypt %08x %llu %llx %llx\n", out->ssrc, (unsigned long long)out->highest_index,
			       (unsigned long long)out->window[0], (unsigned long long)out->window[1]);
	}
	return 0;
}

/* One endpoint's libsrtp2 sessions: what it sends and what it receives. */
struct srtp_endpoint {
	bool plain;
	srtp_t send, receive;
};

static srtp_t libsrtp_session(const struct suite *suite, uint8_t *master, bool outbound)
{
	srtp_policy_t policy;
	srtp_t session;

	memset(&policy, 0, sizeof(policy));
	suite->policy(&policy.rtp);
	suite->policy(&policy.rtcp);
	policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = master;
	policy.window_size = 128;
	srtp_err_status_t status = srtp_create(&session, &policy);

	if (status != srtp_err_status_ok) {
		fprintf(stderr, "libsrtp2 refuses %s: error %d\n", suite->name, status);
		exit(2);
	}
	return session;
}

static void endpoint_setup(struct srtp_endpoint *endpoint, const char *spec)
{
	uint8_t send_key[64], receive_key[64];
	char receive_spec[256];

	if (endpoint->send) {
		srtp_dealloc(endpoint->send);
		srtp_dealloc(endpoint->receive);
	}
	memset(endpoint, 0, sizeof(*endpoint));
	if (!strcmp(spec, "plain")) {
		endpoint->plain = true;
		return;
	}
	const struct suite *suite = parse_key(spec, send_key, sizeof(send_key));
	const char *second = strchr(strchr(spec, ':') + 1, ':');

	if (!second) {
		fprintf(stderr, "endpoint spec needs SUITE:SEND-KEY:RECEIVE-KEY\n");
		exit(2);
	}
	snprintf(receive_spec, sizeof(receive_spec), "%s:%s", suite->name, second + 1);
	parse_key(receive_spec, receive_key, sizeof(receive_key));
	endpoint->send = libsrtp_session(suite, send_key, true);
	endpoint->receive = libsrtp_session(suite, receive_key, false);
}

/* One RTP packet from one endpoint through the relay to the other, protected and checked
 * with libsrtp2 as the endpoints would. */
static bool srtp_send_and_receive(int from, struct srtp_endpoint *sender, const union endpoint *to, int at,
				  struct srtp_endpoint *receiver, const union endpoint *expected_source,
				  uint16_t sequence, uint32_t ssrc)
{
	uint8_t plain[256], packet[256], received[256];
	size_t plain_length = build_rtp(plain, sequence, ssrc);
	int length = (int)plain_length;
	struct pollfd wait = { .fd = at, .events = POLLIN };
	double deadline = now_seconds() + 1.0;

	for (size_t i = 12; i < plain_length; i++)   /* a payload that shows a wrong keystream */
		plain[i] = (uint8_t)(i + sequence);
	memcpy(packet, plain, plain_length);
	if (!sender->plain && srtp_protect(sender->send, packet, &length) != srtp_err_status_ok) {
		fprintf(stderr, "libsrtp2 protect failed\n");
		return false;
	}
	if (sendto(from, packet, (size_t)length, 0, (const struct sockaddr *)to, address_length(to)) < 0) {
		perror("sendto");
		return false;
	}
	while (now_seconds() < deadline) {
		union endpoint source;
		socklen_t source_length = sizeof(source);

		if (poll(&wait, 1, 100) <= 0)
			continue;
		ssize_t got = recvfrom(at, received, sizeof(received), 0, (struct sockaddr *)&source, &source_length);

		if (got < 0 || !same_address(&source, expected_source))
			continue;
		int received_length = (int)got;

		if (!receiver->plain) {
			srtp_err_status_t status = srtp_unprotect(receiver->receive, received, &received_length);

			if (status != srtp_err_status_ok) {
				fprintf(stderr, "seq %u: libsrtp2 unprotect failed: %d\n", sequence, status);
				return false;
			}
		}
		if ((size_t)received_length == plain_length && !memcmp(received, plain, plain_length))
			return true;
		fprintf(stderr, "seq %u: got %d bytes, not what was sent\n", sequence, received_length);
		return false;
	}
	fprintf(stderr, "seq %u: nothing arrived\n", sequence);
	return false;
}

static void run_middle_command(const char *command, struct srtp_endpoint *b)
{
	char line[512] = "";
	FILE *pipe = popen(command, "r");

	if (!pipe) {
		perror("popen");
		exit(2);
	}
	while (fgets(line, sizeof(line), pipe)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0]) {
			fprintf(stderr, "B switches to %s\n", line);
			endpoint_setup(b, line);
		}
	}
	if (pclose(pipe) != 0) {
		fprintf(stderr, "middle command failed: %s\n", command);
		exit(1);
	}
}

static int command_send(char **argv)
{
	union endpoint from, to;
	uint8_t packet[20] = { 0 };

	if (parse_address(argv[1], &from) || parse_address(argv[2], &to))
		return 2;
	int fd = namespace_socket(argv[0], &from);

	packet[0] = (uint8_t)atoi(argv[3]);
	packet[1] = (uint8_t)atoi(argv[4]);
	return sendto(fd, packet, sizeof(packet), 0, (const struct sockaddr *)&to, address_length(&to)) < 0;
}

static int command_srtp_relay(char **argv, int argc)
{
	union endpoint a, relay_a, b, relay_b;
	struct srtp_endpoint endpoint_a = { 0 }, endpoint_b = { 0 };
	int count = atoi(argv[8]), a_to_b = 0, b_to_a = 0;
	uint16_t first = (uint16_t)atoi(argv[9]);

	if (parse_address(argv[1], &a) || parse_address(argv[2], &relay_a) ||
	    parse_address(argv[5], &b) || parse_address(argv[6], &relay_b))
		return 2;
	srtp_err_status_t status = srtp_init();

	if (status != srtp_err_status_ok) {
		fprintf(stderr, "srtp_init: error %d\n", status);
		return 2;
	}
	endpoint_setup(&endpoint_a, argv[3]);
	endpoint_setup(&endpoint_b, argv[7]);
	int socket_a = namespace_socket(argv[0], &a);
	int socket_b = namespace_socket(argv[4], &b);

	for (int i = 0; i < count; i++) {
		if (argc > 10 && i == count / 2)
			run_middle_command(argv[10], &endpoint_b);
		uint16_t sequence = (uint16_t)(first + i);

		a_to_b += srtp_send_and_receive(socket_a, &endpoint_a, &relay_a, socket_b, &endpoint_b, &relay_b,
						sequence, 0x11111111);
		b_to_a += srtp_send_and_receive(socket_b, &endpoint_b, &relay_b, socket_a, &endpoint_a, &relay_a,
						sequence, 0x22222222);
	}
	printf("srtp relay a->b %d/%d b->a %d/%d\n", a_to_b, count, b_to_a, count);
	return a_to_b == count && b_to_a == count ? 0 : 1;
}

/* ---------------------------------------------------------------- quality-stream */

/* An RTCP receiver report (RFC 3550 section 6.4.2) from reporter about source: one block,
 * no LSR/DLSR (a listening-quality MOS needs loss and jitter only). */
static size_t build_receiver_report(uint8_t *packet, uint32_t reporter, uint32_t source, uint8_t fraction_lost,
				    int32_t cumulative_lost, uint32_t highest, uint32_t jitter)
{
	uint32_t words[8] = {
		0x81c90007u, reporter, source,
		(uint32_t)fraction_lost << 24 | ((uint32_t)cumulative_lost & 0xffffff),
		highest, jitter, 0, 0,
	};

	for (int i = 0; i < 8; i++) {
		packet[4 * i] = (uint8_t)(words[i] >> 24);
		packet[4 * i + 1] = (uint8_t)(words[i] >> 16);
		packet[4 * i + 2] = (uint8_t)(words[i] >> 8);
		packet[4 * i + 3] = (uint8_t)words[i];
	}
	return 32;
}

static size_t build_timed_rtp(uint8_t *packet, uint16_t sequence, uint32_t timestamp, uint32_t ssrc)
{
	size_t length = build_rtp(packet, sequence, ssrc);

	for (int i = 0; i < 4; i++)
		packet[4 + i] = (uint8_t)(timestamp >> (24 - 8 * i));
	return length;
}

/* What B measures of A's stream as a receiver (RFC 3550 appendix A.3 and A.8). */
struct receiver {
	uint32_t received, highest;
	double jitter;                     /* timestamp units */
	double last_transit;
	uint32_t expected_prior, received_prior;
};

static void receiver_packet(struct receiver *receiver, const uint8_t *packet, double arrival)
{
	uint32_t sequence = (uint32_t)packet[2] << 8 | packet[3];
	uint32_t timestamp = (uint32_t)packet[4] << 24 | (uint32_t)packet[5] << 16 | (uint32_t)packet[6] << 8 | packet[7];
	double transit = arrival * 8000.0 - timestamp;

	if (receiver->received) {
		double d = transit - receiver->last_transit;

		receiver->jitter += ((d < 0 ? -d : d) - receiver->jitter) / 16.0;
	}
	receiver->last_transit = transit;
	receiver->received++;
	if (sequence > receiver->highest)
		receiver->highest = sequence;
}

/* Sends COUNT RTP packets (PCMU, 20 ms) from A through the relay to B, each delayed by a
 * random 0..JITTER_MS (SEED) and LOSS_PERCENT of them, evenly spread, not sent at all (never
 * the first or last),
 * while B sends plain RTP back and every 1.2 s an RTCP receiver report about A's stream to
 * the relay's RTCP port (RELAY_B's port + 1, from B's port + 1). Prints what was sent and
 * what B received. */
static int command_quality_stream(char **argv)
{
	union endpoint a, relay_a, b, relay_b, b_rtcp, relay_b_rtcp;
	int count = atoi(argv[6]), loss_percent = atoi(argv[7]), jitter_ms = atoi(argv[8]);
	uint32_t random_state = (uint32_t)atoi(argv[9]) | 1, dropped = 0, b_to_a = 0, reports = 0;
	struct receiver receiver = { 0 };
	/* not relay's SSRCs: the relay's figures start afresh with these */
	const uint32_t ssrc_a = 0x33333333, ssrc_b = 0x44444444, first_sequence = 1000;

	if (parse_address(argv[1], &a) || parse_address(argv[2], &relay_a) ||
	    parse_address(argv[4], &b) || parse_address(argv[5], &relay_b) || count < 2)
		return 2;
	b_rtcp = b;
	b_rtcp.v4.sin_port = htons(ntohs(b.v4.sin_port) + 1);
	relay_b_rtcp = relay_b;
	relay_b_rtcp.v4.sin_port = htons(ntohs(relay_b.v4.sin_port) + 1);
	int socket_a = namespace_socket(argv[0], &a);
	int socket_b = namespace_socket(argv[3], &b);
	int socket_b_rtcp = namespace_socket(argv[3], &b_rtcp);
	double start = now_seconds() + 0.05, next_report = start + 1.2;
	int i = 0;

	while (i < count) {
		double due = start + 0.02 * i + (jitter_ms ? (next_random(&random_state) % (jitter_ms * 1000 + 1)) / 1e6 : 0);
		/* exactly LOSS_PERCENT, spread evenly */
		bool drop = i > 0 && i < count - 1 && (i * loss_percent) / 100 != ((i + 1) * loss_percent) / 100;
		uint8_t packet[200], received[256];
		size_t length;

		/* receive until the packet is due */
		for (;;) {
			double left = due - now_seconds();
			struct pollfd waits[2] = { { .fd = socket_b, .events = POLLIN }, { .fd = socket_a, .events = POLLIN } };

			if (left <= 0)
				break;
			if (poll(waits, 2, (int)(left * 1000) + 1) <= 0)
				continue;
			if (waits[0].revents & POLLIN) {
				ssize_t got = recv(socket_b, received, sizeof(received), 0);

				if (got >= 12)
					receiver_packet(&receiver, received, now_seconds());
			}
			if ((waits[1].revents & POLLIN) && recv(socket_a, received, sizeof(received), 0) >= 12)
				b_to_a++;
		}
		length = build_timed_rtp(packet, (uint16_t)(first_sequence + i), 160u * (uint32_t)i, ssrc_a);
		if (drop)
			dropped++;
		else
			sendto(socket_a, packet, length, 0, (const struct sockaddr *)&relay_a, address_length(&relay_a));
		length = build_timed_rtp(packet, (uint16_t)(3000 + i), 160u * (uint32_t)i, ssrc_b);
		sendto(socket_b, packet, length, 0, (const struct sockaddr *)&relay_b, address_length(&relay_b));
		i++;
		if (now_seconds() >= next_report || i == count) {
			uint32_t expected = receiver.received ? receiver.highest - first_sequence + 1 : 0;
			uint32_t expected_interval = expected - receiver.expected_prior;
			uint32_t received_interval = receiver.received - receiver.received_prior;
			int32_t lost_interval = (int32_t)expected_interval - (int32_t)received_interval;
			uint8_t fraction = expected_interval && lost_interval > 0
				? (uint8_t)(((uint32_t)lost_interval << 8) / expected_interval) : 0;
			uint8_t report[64];

			receiver.expected_prior = expected;
			receiver.received_prior = receiver.received;
			if (receiver.received) {
				length = build_receiver_report(report, ssrc_b, ssrc_a, fraction,
							       (int32_t)(expected - receiver.received), receiver.highest,
							       (uint32_t)receiver.jitter);
				sendto(socket_b_rtcp, report, length, 0, (const struct sockaddr *)&relay_b_rtcp,
				       address_length(&relay_b_rtcp));
				reports++;
			}
			next_report += 1.2;
		}
	}
	/* the last packets still in flight */
	for (double end = now_seconds() + 0.3; now_seconds() < end;) {
		uint8_t received[256];
		struct pollfd wait = { .fd = socket_b, .events = POLLIN };

		if (poll(&wait, 1, 50) > 0 && recv(socket_b, received, sizeof(received), 0) >= 12)
			receiver_packet(&receiver, received, now_seconds());
	}
	printf("sent %d dropped %u received %u lost %u jitter_us %u reports %u b_to_a %u\n", count - (int)dropped,
	       dropped, receiver.received, receiver.highest - first_sequence + 1 - receiver.received,
	       (unsigned)(receiver.jitter * 1000000.0 / 8000.0), reports, b_to_a);
	return receiver.received == (uint32_t)count - dropped ? 0 : 1;
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
		{ "send", 5, command_send },
		{ "quality-stream", 10, command_quality_stream },
	};
	static const struct {
		const char *name;
		int minimum, maximum;
		int (*run)(char **argv, int argc);
	} variadic[] = {
		{ "srtp-add", 6, 7, command_srtp_add },
		{ "srtp-delete", 2, 2, command_srtp_delete },
		{ "srtp-relay", 10, 11, command_srtp_relay },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "open")) {
		open_table(argv[2]);
		printf("table %s open\n", argv[2]);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(variadic) / sizeof(variadic[0]); i++)
		if (!strcmp(argv[1], variadic[i].name) && argc - 2 >= variadic[i].minimum &&
		    argc - 2 <= variadic[i].maximum)
			return variadic[i].run(argv + 2, argc - 2);
	for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name) && argc - 2 == commands[i].arguments)
			return commands[i].run(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of tests/kernel/kernel_test_tool.c\n");
	return 2;
}
