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
 *
 * The ng side, the ceiling for the ng benchmark (offer + answer + delete cycles):
 *
 *        forwarder --ng ADDRESS NG_PORT PORT_MIN PORT_MAX
 *
 * answers ng requests the way a relay must at the least: an offer opens two pairs of sockets
 * (RTP and RTCP towards each side, bound to even/odd ports from PORT_MIN..PORT_MAX and added to
 * the media epoll set, as a relay does), and its reply carries a fixed SDP with the port
 * towards the callee; an answer replies with the port towards the caller; a delete closes the
 * four sockets. No SDP is parsed, nothing is kept for retransmissions, nothing is logged. Like
 * our daemon it reads up to 16 requests per recvmmsg() and answers them with one sendmmsg().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bencode_scan.h"

#define BATCH 32
#define MAX_PACKET 2048
#define NG_BATCH 16
#define NG_MAX_DATAGRAM 65536
#define NG_MAX_CALLS 1024
#define NG_CALL_ID_MAX 128

struct endpoint {
	int fd;
	struct sockaddr_in peer;	/* learned from the last packet received on fd */
	int peer_known;
};

/* --- the ng side --- */

struct ng_call {
	char call_id[NG_CALL_ID_MAX];
	int fds[4];          /* RTP, RTCP towards the caller; RTP, RTCP towards the callee */
	int ports[2];        /* the RTP port of each pair */
};

struct ng_state {
	struct in_addr address;
	int port_min, port_max, next_port;
	int media_epoll;
	struct ng_call calls[NG_MAX_CALLS];   /* live calls, unordered (a delete moves the last one in) */
	int call_count;
};

static int bind_udp(struct in_addr address, int port)
{
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr = address, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *) &local, sizeof(local)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Binds an even/odd pair from the port range (a port taken by someone else is skipped) and
 * adds both to the media epoll set; returns the RTP port or -1. */
static int open_pair(struct ng_state *state, int fds[2])
{
	int span = (state->port_max - state->port_min + 1) / 2;
	for (int attempt = 0; attempt < span; attempt++) {
		int port = state->next_port;
		state->next_port += 2;
		if (state->next_port + 1 > state->port_max)
			state->next_port = state->port_min;
		fds[0] = bind_udp(state->address, port);
		if (fds[0] < 0)
			continue;
		fds[1] = bind_udp(state->address, port + 1);
		if (fds[1] < 0) {
			close(fds[0]);
			continue;
		}
		for (int i = 0; i < 2; i++) {
			struct epoll_event event = { .events = EPOLLIN, .data.u32 = 0 };
			epoll_ctl(state->media_epoll, EPOLL_CTL_ADD, fds[i], &event);
		}
		return port;
	}
	return -1;
}

static struct ng_call *find_call(struct ng_state *state, const char *call_id, size_t length)
{
	for (int i = 0; i < state->call_count; i++)
		if (strlen(state->calls[i].call_id) == length && !memcmp(state->calls[i].call_id, call_id, length))
			return &state->calls[i];
	return NULL;
}

static size_t reply_with_port(char *reply, size_t size, int port)
{
	char sdp[256];
	int sdp_length = snprintf(sdp, sizeof(sdp),
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=rtcp:%d\r\n", port, port + 1);
	int length = snprintf(reply, size, "d3:sdp%d:%s6:result2:oke", sdp_length, sdp);
	return length > 0 && (size_t) length < size ? (size_t) length : 0;
}

/* Builds the reply body (after the cookie) for one request; returns its length. */
static size_t handle_ng_request(struct ng_state *state, const char *body, size_t length, char *reply, size_t size)
{
	static const char ok[] = "d6:result2:oke";
	static const char error[] = "d6:result5:error12:error-reason13:not supportede";
	const char *command, *call_id;
	size_t command_length, call_id_length;
	if (bencode_find_string(body, length, "command", &command, &command_length) < 0)
		return (size_t) snprintf(reply, size, "%s", error);
	if (command_length == 4 && !memcmp(command, "ping", 4))
		return (size_t) snprintf(reply, size, "d6:result4:ponge");
	if (bencode_find_string(body, length, "call-id", &call_id, &call_id_length) < 0 || call_id_length >= NG_CALL_ID_MAX)
		return (size_t) snprintf(reply, size, "%s", error);
	struct ng_call *call = find_call(state, call_id, call_id_length);
	if (command_length == 5 && !memcmp(command, "offer", 5)) {
		if (!call) {
			if (state->call_count >= NG_MAX_CALLS)
				return (size_t) snprintf(reply, size, "%s", error);
			call = &state->calls[state->call_count];
			memcpy(call->call_id, call_id, call_id_length);
			call->call_id[call_id_length] = '\0';
			call->ports[0] = open_pair(state, &call->fds[0]);
			call->ports[1] = call->ports[0] < 0 ? -1 : open_pair(state, &call->fds[2]);
			if (call->ports[1] < 0) {
				if (call->ports[0] >= 0) {
					close(call->fds[0]);
					close(call->fds[1]);
				}
				return (size_t) snprintf(reply, size, "%s", error);
			}
			state->call_count++;
		}
		return reply_with_port(reply, size, call->ports[1]);
	}
	if (command_length == 6 && !memcmp(command, "answer", 6) && call)
		return reply_with_port(reply, size, call->ports[0]);
	if (command_length == 6 && !memcmp(command, "delete", 6) && call) {
		for (int i = 0; i < 4; i++)
			close(call->fds[i]);
		*call = state->calls[--state->call_count];
		return (size_t) snprintf(reply, size, "%s", ok);
	}
	return (size_t) snprintf(reply, size, "%s", error);
}

static int run_ng(const char *address_text, int ng_port, int port_min, int port_max)
{
	static struct ng_state state;
	static char requests[NG_BATCH][NG_MAX_DATAGRAM];
	static char replies[NG_BATCH][NG_MAX_DATAGRAM];
	struct mmsghdr request_headers[NG_BATCH], reply_headers[NG_BATCH];
	struct iovec request_vectors[NG_BATCH], reply_vectors[NG_BATCH];
	struct sockaddr_in sources[NG_BATCH];
	if (inet_pton(AF_INET, address_text, &state.address) != 1 || ng_port <= 0 || port_min <= 0
			|| port_max <= port_min || port_max > 65535) {
		fprintf(stderr, "bad arguments\n");
		return 1;
	}
	state.port_min = state.next_port = port_min & ~1;
	state.port_max = port_max;
	state.media_epoll = epoll_create1(0);
	int fd = bind_udp(state.address, ng_port);
	if (fd < 0 || state.media_epoll < 0) {
		perror("ng socket");
		return 2;
	}
	int control_epoll = epoll_create1(0);
	struct epoll_event event = { .events = EPOLLIN };
	if (control_epoll < 0 || epoll_ctl(control_epoll, EPOLL_CTL_ADD, fd, &event) < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (epoll_wait(control_epoll, &event, 1, -1) <= 0)
			continue;
		for (int i = 0; i < NG_BATCH; i++) {
			request_vectors[i] = (struct iovec) { requests[i], NG_MAX_DATAGRAM };
			request_headers[i].msg_hdr = (struct msghdr) { .msg_name = &sources[i],
				.msg_namelen = sizeof(sources[i]), .msg_iov = &request_vectors[i], .msg_iovlen = 1 };
		}
		int received = recvmmsg(fd, request_headers, NG_BATCH, MSG_DONTWAIT, NULL);
		int count = 0;
		for (int i = 0; i < received; i++) {
			char *request = requests[i];
			size_t length = request_headers[i].msg_len;
			char *space = memchr(request, ' ', length);
			if (!space)
				continue;
			size_t cookie_length = (size_t) (space - request) + 1;
			memcpy(replies[count], request, cookie_length);
			size_t body = handle_ng_request(&state, space + 1, length - cookie_length,
				replies[count] + cookie_length, NG_MAX_DATAGRAM - cookie_length);
			reply_vectors[count] = (struct iovec) { replies[count], cookie_length + body };
			reply_headers[count].msg_hdr = (struct msghdr) { .msg_name = &sources[i],
				.msg_namelen = request_headers[i].msg_hdr.msg_namelen, .msg_iov = &reply_vectors[count],
				.msg_iovlen = 1 };
			count++;
		}
		if (count > 0)
			sendmmsg(fd, reply_headers, (unsigned int) count, MSG_DONTWAIT);
	}
}

/* --- the media side --- */

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "--ng"))
		return run_ng(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc != 4) {
		fprintf(stderr, "usage: %s ADDRESS BASE PAIRS | --ng ADDRESS NG_PORT PORT_MIN PORT_MAX\n", argv[0]);
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
