/*
 * Minimal UDP forwarder: the machine's ceiling for the media benchmark.
 *
 * It binds PAIRS pairs of sockets on consecutive ports from BASE (pair k = BASE+2k and
 * BASE+2k+1), learns each socket's peer from the last source address it saw, and relays
 * every datagram received on one socket of a pair out of the other socket to that socket's
 * peer. That is the least a relay with per-call ports can do: one recvmmsg and one sendmmsg
 * per wake-up, no parsing. One thread, level-triggered epoll.
 *
 * usage: forwarder ADDRESS BASE PAIRS      (prints "ready" on stdout once every port is bound)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32
#define MAX_PACKET 2048

struct endpoint {
	int fd;
	struct sockaddr_in peer;	/* learned from the last packet received on fd */
	int peer_known;
};

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s ADDRESS BASE PAIRS\n", argv[0]);
		return 1;
	}
	struct in_addr address;
	int base = atoi(argv[2]), pairs = atoi(argv[3]);
	if (inet_pton(AF_INET, argv[1], &address) != 1 || base <= 0 || pairs <= 0 || base + 2 * pairs > 65536) {
		fprintf(stderr, "bad arguments\n");
		return 1;
	}
	struct rlimit files = { .rlim_cur = 2 * pairs + 64, .rlim_max = 2 * pairs + 64 };
	setrlimit(RLIMIT_NOFILE, &files);

	int count = 2 * pairs;
	struct endpoint *endpoints = calloc(count, sizeof(*endpoints));
	int epoll_fd = epoll_create1(0);
	if (!endpoints || epoll_fd < 0)
		return 1;
	for (int i = 0; i < count; i++) {
		struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr = address, .sin_port = htons(base + i) };
		endpoints[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (endpoints[i].fd < 0 || bind(endpoints[i].fd, (struct sockaddr *) &local, sizeof(local)) < 0) {
			perror("bind");
			return 2;	/* the runner retries with another base */
		}
		struct epoll_event event = { .events = EPOLLIN, .data.u32 = i };
		if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, endpoints[i].fd, &event) < 0)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);

	static char buffers[BATCH][MAX_PACKET];
	struct mmsghdr messages[BATCH];
	struct iovec vectors[BATCH];
	struct sockaddr_in sources[BATCH];
	struct epoll_event events[64];
	for (;;) {
		int ready = epoll_wait(epoll_fd, events, 64, -1);
		for (int e = 0; e < ready; e++) {
			struct endpoint *in = &endpoints[events[e].data.u32];
			struct endpoint *out = &endpoints[events[e].data.u32 ^ 1];
			for (int i = 0; i < BATCH; i++) {
				vectors[i] = (struct iovec) { buffers[i], MAX_PACKET };
				messages[i].msg_hdr = (struct msghdr) { .msg_name = &sources[i],
					.msg_namelen = sizeof(sources[i]), .msg_iov = &vectors[i], .msg_iovlen = 1 };
			}
			int received = recvmmsg(in->fd, messages, BATCH, MSG_DONTWAIT, NULL);
			if (received <= 0)
				continue;
			in->peer = sources[received - 1];
			in->peer_known = 1;
			if (!out->peer_known)
				continue;
			for (int i = 0; i < received; i++) {
				vectors[i].iov_len = messages[i].msg_len;
				messages[i].msg_hdr.msg_name = &out->peer;
				messages[i].msg_hdr.msg_namelen = sizeof(out->peer);
			}
			sendmmsg(out->fd, messages, received, MSG_DONTWAIT);
		}
	}
}
