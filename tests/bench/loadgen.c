/*
 * Load generator for the media relay benchmark.
 *
 *   loadgen media --mode ng --ng 127.0.0.1:PORT [--calls N] [--duration S] [--warmup S]
 *                 [--rate PPS] [--pid PID]
 *   loadgen media --mode fixed --relay-base PORT ...   (the minimal forwarder: call k uses
 *                                                      ports BASE+2k and BASE+2k+1)
 *   loadgen media --mode direct ...                    (no relay: the measuring floor)
 *   loadgen ng --ng 127.0.0.1:PORT [--duration S] [--inflight W] [--pid PID]
 *   loadgen media --mode ng --srtp SUITE ...           (the callee side speaks SDES-SRTP:
 *                                                      loadgen_srtp.c)
 *
 * Media options: --rtcp-mux yes offers a=rtcp-mux (RTCP on the RTP socket, RFC 5761);
 * --rtcp-interval S (with --rtcp-mux) also sends RTCP from every socket every S seconds: an
 * SR with a reception report about the other side's SSRC (LSR/DLSR echoing the last SR it
 * received, so a relay can measure round trips and score a MOS) and an SDES CNAME, spread
 * over the interval like the RTP. rtcp_sent/rtcp_received count them.
 *
 * "media" sets up N calls (ng offer + answer, each side with its own UDP socket whose port
 * the SDP announces), sends RATE packets/s per direction per call of 172-byte RTP (PCMU,
 * 20 ms, 160 payload bytes) from exactly those sockets, receives them on the far side and
 * measures loss and one-way latency (CLOCK_MONOTONIC send time inside the payload), then
 * deletes the calls. With --pid it also reads the relay's CPU time (utime+stime from
 * /proc/PID/stat) around the measured interval and its RSS (/proc/PID/status) idle and
 * with N calls, and each of its threads' CPU time over the measured interval. "ng" measures
 * offer+answer+delete cycles per second with W requests in flight (and with --pid the
 * relay's CPU time over the run). Results are printed as key=value lines for the runner (run.py).
 *
 * Two threads: the main thread sends (sendto paced by clock_nanosleep, one packet per
 * socket per period, sockets spread evenly over the period), a receiver thread waits on
 * all sockets with one epoll set and drains each with recvmmsg.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_measure.h"
#include "bencode_scan.h"
#include "loadgen_srtp.h"

#define RTP_HEADER_LENGTH 12
#define RTP_PAYLOAD_LENGTH 160			/* PCMU, 20 ms at 8 kHz */
#define PACKET_LENGTH (RTP_HEADER_LENGTH + RTP_PAYLOAD_LENGTH)
#define PACKET_MAGIC 0x4c47454eu		/* "LGEN" */
#define NG_WINDOW_MAX 64
#define NG_RETRANSMIT_NS 500000000LL
#define NG_MAX_TRIES 4
#define RECEIVE_BATCH 16

/* --- types --- */

enum media_mode { MODE_NG, MODE_FIXED, MODE_DIRECT };

struct options {
	enum media_mode mode;
	struct sockaddr_in ng_server;
	int relay_base;
	int calls;
	double duration;
	double warmup;
	int rate;
	int pid;
	int inflight;
};

/* Payload layout after the RTP header; the rest of the payload is PCMU silence (0xff). */
struct payload_stamp {
	uint32_t magic;
	uint32_t call_index;
	uint8_t from_side;
	uint8_t measured;
	uint8_t padding[2];
	int64_t send_ns;
} __attribute__((packed));

/* One side of one call: socket index = 2 * call + side (0 caller, 1 callee). */
struct media_side {
	int fd;
	struct loadgen_srtp_leg *srtp;	/* the callee side with --srtp, else NULL */
	struct sockaddr_in local;
	struct sockaddr_in relay;	/* where this side sends: what the relay's SDP told it */
	uint16_t sequence;
	uint32_t timestamp;
	uint32_t packets_sent, octets_sent;
	/* the last SR received from the other side (written by the receiver thread) */
	uint32_t last_sr_middle;
	int64_t last_sr_ns;
};

struct call {
	char call_id[64];
	char from_tag[24];
	char to_tag[24];
	int caller_port;
	int callee_port;
	struct sockaddr_in relay_for_caller;	/* from the answer response */
	struct sockaddr_in relay_for_callee;	/* from the offer response */
	int failed;
	int srtp_tag;				/* --srtp: the a=crypto tag the relay offered the callee */
	char srtp_relay_key[LOADGEN_SRTP_KEY_TEXT];	/* ... its key (what the relay sends with) */
	char srtp_callee_key[LOADGEN_SRTP_KEY_TEXT];	/* what the callee sends with */
};

enum ng_step { STEP_OFFER, STEP_ANSWER, STEP_DELETE, STEP_DONE };

struct ng_slot {
	struct call *call;
	const enum ng_step *steps;
	int step_index;
	char cookie[48];
	char *request;
	size_t request_length;
	int64_t sent_ns;
	int tries;
};

struct ng_client {
	int fd;
	struct sockaddr_in server;
	unsigned long serial;
	char *buffers[NG_WINDOW_MAX];
	size_t buffer_size;
};

struct receiver_state {
	struct media_side *sides;
	int side_count;
	int epoll_fd;
	atomic_int stop;
	uint64_t received;
	uint64_t misrouted;
	uint64_t rtcp_received;
	uint32_t *histogram;
};

static int parse_address(const char *text, struct sockaddr_in *address)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t) (colon - text) >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, colon - text);
	host[colon - text] = '\0';
	memset(address, 0, sizeof(*address));
	address->sin_family = AF_INET;
	address->sin_port = htons(atoi(colon + 1));
	return inet_pton(AF_INET, host, &address->sin_addr) == 1 ? 0 : -EINVAL;
}

static size_t append_bencode_pair(char *buffer, size_t size, size_t used, const char *key,
	const char *value, size_t value_length)
{
	int written = snprintf(buffer + used, size > used ? size - used : 0, "%zu:%s%zu:",
		strlen(key), key, value_length);
	if (written < 0 || used + written + value_length >= size)
		return size;
	used += written;
	memcpy(buffer + used, value, value_length);
	return used + value_length;
}

/* --- static helpers: ng client --- */

static int ng_client_open(struct ng_client *client, const struct sockaddr_in *server)
{
	memset(client, 0, sizeof(*client));
	client->server = *server;
	client->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (client->fd < 0 || connect(client->fd, (const struct sockaddr *) server, sizeof(*server)) < 0)
		return -errno;
	int buffer_bytes = 4 << 20;
	setsockopt(client->fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
	client->buffer_size = 8192;
	for (int i = 0; i < NG_WINDOW_MAX; i++)
		if (!(client->buffers[i] = malloc(client->buffer_size)))
			return -ENOMEM;
	return 0;
}

static void ng_client_close(struct ng_client *client)
{
	for (int i = 0; i < NG_WINDOW_MAX; i++)
		free(client->buffers[i]);
	if (client->fd >= 0)
		close(client->fd);
}

/* --rtcp-mux yes: a=rtcp-mux in both SDPs; --rtcp-interval S: RTCP every S seconds per socket */
static int rtcp_mux;
static double rtcp_interval;

/* CRYPTO_TAG > 0: an SDES-SRTP answer (RFC 4568) with that tag and KEY. */
static size_t build_sdp(char *buffer, size_t size, int port, int crypto_tag, const char *key)
{
	/* RFC 4566 section 5.2: sess-id is numeric; the port makes it unique enough here. */
	int length = snprintf(buffer, size,
		"v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio %d RTP/%s 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n%s",
		port, port, crypto_tag > 0 ? "SAVP" : "AVP", rtcp_mux ? "a=rtcp-mux\r\n" : "");
	if (length > 0 && crypto_tag > 0 && (size_t) length < size)
		length += snprintf(buffer + length, size - length, "a=crypto:%d %s inline:%s\r\n", crypto_tag,
			loadgen_srtp_suite(), key);
	return length > 0 && (size_t) length < size ? (size_t) length : 0;
}

/* --record yes: offers ask for call recording ("record call": "yes"), for make bench-recording */
static int record_calls;

/* Builds "COOKIE d...e" for STEP of CALL into BUFFER; returns its length or 0. */
static size_t build_request(char *buffer, size_t size, const char *cookie, const struct call *call,
	enum ng_step step)
{
	char sdp[512];
	size_t used = snprintf(buffer, size, "%s d", cookie);
	if (step == STEP_OFFER || step == STEP_ANSWER) {
		int srtp_answer = step == STEP_ANSWER && loadgen_srtp_suite();
		size_t sdp_length = build_sdp(sdp, sizeof(sdp),
			step == STEP_OFFER ? call->caller_port : call->callee_port,
			srtp_answer ? call->srtp_tag : 0, call->srtp_callee_key);
		used = append_bencode_pair(buffer, size, used, "sdp", sdp, sdp_length);
	}
	const char *command = step == STEP_OFFER ? "offer" : step == STEP_ANSWER ? "answer" : "delete";
	used = append_bencode_pair(buffer, size, used, "command", command, strlen(command));
	used = append_bencode_pair(buffer, size, used, "call-id", call->call_id, strlen(call->call_id));
	used = append_bencode_pair(buffer, size, used, "from-tag", call->from_tag, strlen(call->from_tag));
	if (step == STEP_ANSWER)
		used = append_bencode_pair(buffer, size, used, "to-tag", call->to_tag, strlen(call->to_tag));
	if (step == STEP_OFFER && record_calls)
		used = append_bencode_pair(buffer, size, used, "record call", "yes", 3);
	/* --srtp: the caller stays plain RTP, the relay offers the callee SDES-SRTP */
	if (step == STEP_OFFER && loadgen_srtp_suite())
		used = append_bencode_pair(buffer, size, used, "transport-protocol", "RTP/SAVP", 8);
	if (used + 2 > size)
		return 0;
	buffer[used++] = 'e';
	return used;
}

/* Reads the media address ("c=IN IP4" and "m=audio PORT") out of the relay's SDP. */
static int parse_sdp_media(const char *sdp, size_t length, struct sockaddr_in *address)
{
	char text[4096];
	if (length >= sizeof(text))
		return -EINVAL;
	memcpy(text, sdp, length);
	text[length] = '\0';
	const char *connection = strstr(text, "c=IN IP4 ");
	const char *media = strstr(text, "m=audio ");
	if (!connection || !media)
		return -EINVAL;
	char host[64];
	if (sscanf(connection + 9, "%63[0-9.]", host) != 1)
		return -EINVAL;
	memset(address, 0, sizeof(*address));
	address->sin_family = AF_INET;
	address->sin_port = htons(atoi(media + 8));
	return inet_pton(AF_INET, host, &address->sin_addr) == 1 && address->sin_port ? 0 : -EINVAL;
}

/* Handles a response for SLOT; returns 0 if the step succeeded. */
static int handle_response(struct ng_slot *slot, const char *body, size_t length)
{
	const char *result, *sdp;
	size_t result_length, sdp_length;
	if (bencode_find_string(body, length, "result", &result, &result_length) < 0)
		return -EINVAL;
	if (result_length != 2 || memcmp(result, "ok", 2)) {
		const char *reason;
		size_t reason_length;
		if (bencode_find_string(body, length, "error-reason", &reason, &reason_length) == 0)
			fprintf(stderr, "ng %s: %.*s\n", slot->call->call_id, (int) reason_length, reason);
		return -EPROTO;
	}
	enum ng_step step = slot->steps[slot->step_index];
	if (step == STEP_DELETE)
		return 0;
	if (bencode_find_string(body, length, "sdp", &sdp, &sdp_length) < 0)
		return -EINVAL;
	if (step == STEP_OFFER && loadgen_srtp_suite()) {
		if (loadgen_srtp_find_crypto(sdp, sdp_length, &slot->call->srtp_tag, slot->call->srtp_relay_key,
				sizeof(slot->call->srtp_relay_key)) < 0) {
			fprintf(stderr, "ng %s: the offer has no a=crypto line for %s\n", slot->call->call_id,
				loadgen_srtp_suite());
			return -EPROTO;
		}
	}
	return parse_sdp_media(sdp, sdp_length,
		step == STEP_OFFER ? &slot->call->relay_for_callee : &slot->call->relay_for_caller);
}

static void slot_send(struct ng_client *client, struct ng_slot *slot)
{
	slot->sent_ns = now_ns();
	slot->tries++;
	send(client->fd, slot->request, slot->request_length, 0);
}

static void slot_start_step(struct ng_client *client, struct ng_slot *slot, int slot_number)
{
	snprintf(slot->cookie, sizeof(slot->cookie), "%d_%d_%lu", (int) getpid(), slot_number,
		client->serial++);
	slot->request_length = build_request(slot->request, client->buffer_size, slot->cookie,
		slot->call, slot->steps[slot->step_index]);
	slot->tries = 0;
	slot_send(client, slot);
}

typedef struct call *(*next_call_function)(void *context, int slot_number);

/*
 * Runs STEPS for each call NEXT_CALL hands out, with WINDOW calls in progress at once, until
 * NEXT_CALL returns NULL and all are done, or DEADLINE (0: none) passes. Lost requests are
 * retransmitted with the same cookie; a call whose step fails is marked failed.
 * Returns the number of calls completed successfully; *failures counts the others.
 */
static long ng_run(struct ng_client *client, const enum ng_step *steps, int window,
	next_call_function next_call, void *context, int64_t deadline, long *failures)
{
	struct ng_slot slots[NG_WINDOW_MAX] = { 0 };
	long completed = 0, active = 0, silent_in_a_row = 0;
	int exhausted = 0;
	char response[8192];
	if (window > NG_WINDOW_MAX)
		window = NG_WINDOW_MAX;
	for (int i = 0; i < window; i++)
		slots[i].request = client->buffers[i];

	for (;;) {
		int64_t now = now_ns();
		int stopping = exhausted || (deadline && now >= deadline);
		for (int i = 0; i < window && !stopping; i++) {
			if (slots[i].call)
				continue;
			struct call *call = next_call(context, i);
			if (!call) {
				exhausted = 1;
				break;
			}
			slots[i] = (struct ng_slot) { .call = call, .steps = steps, .request = client->buffers[i] };
			active++;
			slot_start_step(client, &slots[i], i);
		}
		if (active == 0)
			break;
		for (int i = 0; i < window; i++) {
			if (!slots[i].call || now - slots[i].sent_ns < NG_RETRANSMIT_NS)
				continue;
			if (slots[i].tries >= NG_MAX_TRIES) {
				fprintf(stderr, "ng %s: no response\n", slots[i].call->call_id);
				/* A relay that stopped answering: give up instead of timing out every call. */
				if (++silent_in_a_row >= 2 * window && !exhausted) {
					fprintf(stderr, "ng: relay not answering, giving up\n");
					exhausted = 1;
				}
				slots[i].call->failed = 1;
				slots[i].call = NULL;
				(*failures)++;
				active--;
			} else {
				slot_send(client, &slots[i]);
			}
		}
		struct pollfd poll_fd = { .fd = client->fd, .events = POLLIN };
		if (poll(&poll_fd, 1, 50) <= 0)
			continue;
		ssize_t length;
		while ((length = recv(client->fd, response, sizeof(response), MSG_DONTWAIT)) > 0) {
			const char *space = memchr(response, ' ', length);
			if (!space)
				continue;
			int slot_number = -1;
			size_t cookie_length = space - response;
			char cookie[48];
			if (cookie_length >= sizeof(cookie))
				continue;
			memcpy(cookie, response, cookie_length);
			cookie[cookie_length] = '\0';
			if (sscanf(cookie, "%*d_%d_", &slot_number) != 1 || slot_number < 0 ||
					slot_number >= window || !slots[slot_number].call ||
					strcmp(cookie, slots[slot_number].cookie))
				continue;	/* stale answer to a retransmission */
			struct ng_slot *slot = &slots[slot_number];
			silent_in_a_row = 0;
			if (handle_response(slot, space + 1, response + length - space - 1) < 0) {
				slot->call->failed = 1;
				slot->call = NULL;
				(*failures)++;
				active--;
				continue;
			}
			slot->step_index++;
			if (slot->steps[slot->step_index] == STEP_DONE) {
				slot->call = NULL;
				completed++;
				active--;
			} else {
				slot_start_step(client, slot, slot_number);
			}
		}
	}
	return completed;
}

/* --- static helpers: media --- */

struct call_list {
	struct call *calls;
	int count;
	int next;
};

static struct call *call_list_next(void *context, int slot_number)
{
	(void) slot_number;
	struct call_list *list = context;
	while (list->next < list->count) {
		struct call *call = &list->calls[list->next++];
		if (!call->failed)
			return call;
	}
	return NULL;
}

static int open_media_socket(struct media_side *side)
{
	side->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (side->fd < 0)
		return -errno;
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t length = sizeof(local);
	int enable = 1;
	setsockopt(side->fd, SOL_SOCKET, SO_TIMESTAMPNS, &enable, sizeof(enable));
	if (bind(side->fd, (struct sockaddr *) &local, sizeof(local)) < 0 ||
			getsockname(side->fd, (struct sockaddr *) &side->local, &length) < 0)
		return -errno;
	return 0;
}

/*
 * Latency is taken at the moment the packet reached the receiving socket (kernel timestamp),
 * not when this thread got round to reading it: so the figure is what the relay and the
 * loopback path add, without this thread's own wake-up delay.
 */
static void *receiver_main(void *argument)
{
	struct receiver_state *state = argument;
	struct epoll_event events[256];
	static char buffers[RECEIVE_BATCH][2048];
	static char controls[RECEIVE_BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];
	struct mmsghdr messages[RECEIVE_BATCH];
	struct iovec vectors[RECEIVE_BATCH];
	int64_t realtime_offset = realtime_offset_ns();

	while (!atomic_load(&state->stop)) {
		int ready = epoll_wait(state->epoll_fd, events, 256, 20);
		for (int e = 0; e < ready; e++) {
			int index = events[e].data.u32;
			for (int i = 0; i < RECEIVE_BATCH; i++) {
				vectors[i] = (struct iovec) { buffers[i], sizeof(buffers[i]) };
				messages[i].msg_hdr = (struct msghdr) { .msg_iov = &vectors[i], .msg_iovlen = 1,
					.msg_control = controls[i], .msg_controllen = sizeof(controls[i]) };
			}
			int received = recvmmsg(state->sides[index].fd, messages, RECEIVE_BATCH, MSG_DONTWAIT, NULL);
			if (received <= 0)
				continue;
			int64_t read_time = now_ns();
			for (int i = 0; i < received; i++) {
				struct payload_stamp stamp;
				/* RFC 5761 section 4: SR .. APP (200-204) on the multiplexed port */
				unsigned char type = (unsigned char) buffers[i][1];
				if (messages[i].msg_len >= 8 && type >= 200 && type <= 204) {
					state->rtcp_received++;
					if (type == 200 && messages[i].msg_len >= 20) {
						/* the middle 32 bits of its NTP timestamp: what an LSR echoes */
						const unsigned char *ntp = (const unsigned char *) buffers[i] + 8;
						uint32_t middle = (uint32_t) ntp[2] << 24 | (uint32_t) ntp[3] << 16 |
							(uint32_t) ntp[4] << 8 | ntp[5];
						__atomic_store_n(&state->sides[index].last_sr_middle, middle, __ATOMIC_RELAXED);
						__atomic_store_n(&state->sides[index].last_sr_ns, now_ns(), __ATOMIC_RELAXED);
					}
					continue;
				}
				struct loadgen_srtp_leg *srtp = state->sides[index].srtp;
				if (srtp) {
					int length = loadgen_srtp_unprotect(srtp, buffers[i], (int) messages[i].msg_len);
					messages[i].msg_len = length > 0 ? (unsigned int) length : 0;
				}
				if (messages[i].msg_len != PACKET_LENGTH) {
					state->misrouted++;
					continue;
				}
				memcpy(&stamp, buffers[i] + RTP_HEADER_LENGTH, sizeof(stamp));
				if (stamp.magic != PACKET_MAGIC || stamp.call_index != (uint32_t) index / 2 ||
						stamp.from_side != 1 - index % 2) {
					state->misrouted++;
					continue;
				}
				if (!stamp.measured)
					continue;
				__atomic_store_n(&state->received, state->received + 1, __ATOMIC_RELAXED);
				int64_t arrival = arrival_ns(&messages[i].msg_hdr, realtime_offset, read_time);
				int64_t latency_us = (arrival - stamp.send_ns) / 1000;
				if (latency_us < 0)
					latency_us = 0;
				if (latency_us >= HISTOGRAM_BUCKETS)
					latency_us = HISTOGRAM_BUCKETS - 1;
				state->histogram[latency_us]++;
			}
		}
	}
	return NULL;
}

static void fill_packet(char *packet, struct media_side *side, int index, int measured)
{
	struct payload_stamp stamp = { .magic = PACKET_MAGIC, .call_index = index / 2,
		.from_side = index % 2, .measured = measured };
	uint16_t sequence = htons(side->sequence++);
	uint32_t timestamp = htonl(side->timestamp), ssrc = htonl(0x10000000u + index);
	side->timestamp += RTP_PAYLOAD_LENGTH;
	side->packets_sent++;
	side->octets_sent += RTP_PAYLOAD_LENGTH;
	packet[0] = (char) 0x80;	/* RTP version 2, RFC 3550 section 5.1 */
	packet[1] = 0;			/* payload type 0: PCMU, RFC 3551 section 6 */
	memcpy(packet + 2, &sequence, 2);
	memcpy(packet + 4, &timestamp, 4);
	memcpy(packet + 8, &ssrc, 4);
	stamp.send_ns = now_ns();
	memcpy(packet + RTP_HEADER_LENGTH, &stamp, sizeof(stamp));
}

static void put32(unsigned char *out, uint32_t value)
{
	out[0] = (unsigned char) (value >> 24);
	out[1] = (unsigned char) (value >> 16);
	out[2] = (unsigned char) (value >> 8);
	out[3] = (unsigned char) value;
}

/* RFC 3550 section 6.4.1 SR with one report block about the other side's stream, then SDES
 * with a CNAME (section 6.5): a compound as phones send it. Returns its length. */
static size_t fill_rtcp(unsigned char *packet, struct media_side *side, int index)
{
	struct timespec real;
	clock_gettime(CLOCK_REALTIME, &real);
	uint32_t ntp_seconds = (uint32_t) (real.tv_sec + 2208988800LL);
	uint32_t ntp_fraction = (uint32_t) (((uint64_t) real.tv_nsec << 32) / 1000000000ULL);
	uint32_t last_sr = __atomic_load_n(&side->last_sr_middle, __ATOMIC_RELAXED);
	int64_t last_sr_ns = __atomic_load_n(&side->last_sr_ns, __ATOMIC_RELAXED);
	uint32_t delay = last_sr_ns ? (uint32_t) ((now_ns() - last_sr_ns) * 65536 / 1000000000LL) : 0;
	put32(packet, 0x81c8000c);	/* version 2, one report block, SR, 13 words */
	put32(packet + 4, 0x10000000u + index);
	put32(packet + 8, ntp_seconds);
	put32(packet + 12, ntp_fraction);
	put32(packet + 16, side->timestamp);
	put32(packet + 20, side->packets_sent);
	put32(packet + 24, side->octets_sent);
	put32(packet + 28, 0x10000000u + (index ^ 1));	/* the other side's SSRC */
	put32(packet + 32, 0);				/* nothing lost */
	put32(packet + 36, 0);				/* extended highest sequence: not tracked */
	put32(packet + 40, 8);				/* jitter: 1 ms at 8 kHz */
	put32(packet + 44, last_sr);
	put32(packet + 48, last_sr ? delay : 0);
	/* SDES: one chunk (SSRC, CNAME "lg", end, padding to a word): 16 bytes, length 3 */
	static const unsigned char sdes_tail[] = { 1, 2, 'l', 'g', 0, 0 };
	put32(packet + 52, 0x81ca0003);
	put32(packet + 56, 0x10000000u + index);
	memcpy(packet + 60, sdes_tail, sizeof(sdes_tail));
	return 60 + sizeof(sdes_tail) + 2;
}

/* --- commands --- */

static int command_media(const struct options *options)
{
	int calls = options->calls, side_count = 2 * calls;
	struct call *call_table = calloc(calls, sizeof(*call_table));
	struct media_side *sides = calloc(side_count, sizeof(*sides));
	struct receiver_state receiver = { .sides = sides, .side_count = side_count };
	receiver.histogram = calloc(HISTOGRAM_BUCKETS, sizeof(uint32_t));
	receiver.epoll_fd = epoll_create1(0);
	if (!call_table || !sides || !receiver.histogram || receiver.epoll_fd < 0)
		return 1;

	long rss_idle = options->pid ? process_rss_kb(options->pid) : -1;
	for (int i = 0; i < side_count; i++) {
		if (open_media_socket(&sides[i]) < 0) {
			perror("media socket");
			return 1;
		}
		struct epoll_event event = { .events = EPOLLIN, .data.u32 = i };
		epoll_ctl(receiver.epoll_fd, EPOLL_CTL_ADD, sides[i].fd, &event);
		sides[i].sequence = (uint16_t) random();
		sides[i].timestamp = (uint32_t) random();
	}
	for (int k = 0; k < calls; k++) {
		struct call *call = &call_table[k];
		snprintf(call->call_id, sizeof(call->call_id), "bench-%d-%d-%ld", (int) getpid(), k, random());
		snprintf(call->from_tag, sizeof(call->from_tag), "from%d", k);
		snprintf(call->to_tag, sizeof(call->to_tag), "to%d", k);
		call->caller_port = ntohs(sides[2 * k].local.sin_port);
		call->callee_port = ntohs(sides[2 * k + 1].local.sin_port);
		if (loadgen_srtp_suite() && loadgen_srtp_make_key(call->srtp_callee_key, sizeof(call->srtp_callee_key)) < 0)
			return 1;
	}

	/* Set-up: where each side sends. */
	struct ng_client client = { .fd = -1 };
	long setup_failures = 0, set_up = calls;
	int64_t setup_start = now_ns();
	if (options->mode == MODE_NG) {
		static const enum ng_step setup_steps[] = { STEP_OFFER, STEP_ANSWER, STEP_DONE };
		struct call_list list = { call_table, calls, 0 };
		if (ng_client_open(&client, &options->ng_server) < 0) {
			perror("ng socket");
			return 1;
		}
		set_up = ng_run(&client, setup_steps, 16, call_list_next, &list, 0, &setup_failures);
	}
	double setup_seconds = (now_ns() - setup_start) / 1e9;
	for (int k = 0; k < calls && loadgen_srtp_suite(); k++) {
		if (call_table[k].failed)
			continue;
		sides[2 * k + 1].srtp = loadgen_srtp_leg_new(call_table[k].srtp_callee_key, call_table[k].srtp_relay_key);
		if (!sides[2 * k + 1].srtp) {
			fprintf(stderr, "call %d: libsrtp2 refused the keys\n", k);
			call_table[k].failed = 1;
		}
	}
	for (int k = 0; k < calls; k++) {
		struct sockaddr_in *caller = &sides[2 * k].relay, *callee = &sides[2 * k + 1].relay;
		if (options->mode == MODE_NG) {
			*caller = call_table[k].relay_for_caller;
			*callee = call_table[k].relay_for_callee;
		} else if (options->mode == MODE_FIXED) {
			*caller = *callee = (struct sockaddr_in) { .sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			caller->sin_port = htons(options->relay_base + 2 * k);
			callee->sin_port = htons(options->relay_base + 2 * k + 1);
		} else {
			*caller = sides[2 * k + 1].local;
			*callee = sides[2 * k].local;
		}
	}

	pthread_t receiver_thread;
	if (pthread_create(&receiver_thread, NULL, receiver_main, &receiver))
		return 1;

	/* Media: every socket sends once per period; socket i at offset i/side_count of it. */
	uint64_t sent = 0, send_errors = 0, rtcp_sent = 0;
	double relay_cpu_start = -1, relay_cpu_end = -1, own_cpu_start = 0, own_cpu_end = 0;
	int64_t measured_start_ns = 0, measured_end_ns = 0;
	static struct thread_times threads_start, threads_end;
	if (options->rate > 0) {
		int64_t period = 1000000000LL / options->rate;
		int64_t start = now_ns() + 10000000LL;
		int64_t measure_from = start + (int64_t) (options->warmup * 1e9);
		int64_t end = measure_from + (int64_t) (options->duration * 1e9);
		char packet[PACKET_LENGTH + LOADGEN_SRTP_TRAILER];
		memset(packet, 0xff, sizeof(packet));
		unsigned char rtcp[128] = { 0 };
		int64_t rounds_per_report = rtcp_interval > 0 ? (int64_t) (rtcp_interval * options->rate + 0.5) : 0;
		if (rtcp_interval > 0 && rounds_per_report < 1)
			rounds_per_report = 1;
		int measuring = 0;
		for (int64_t round = 0; ; round++) {
			int64_t round_start = start + round * period;
			if (round_start >= end)
				break;
			for (int i = 0; i < side_count; i++) {
				if (call_table[i / 2].failed)
					continue;
				int64_t due = round_start + period * i / side_count;
				if (due >= end)
					break;
				if (!measuring && due >= measure_from) {
					measuring = 1;
					measured_start_ns = now_ns();
					own_cpu_start = own_cpu_seconds();
					if (options->pid) {
						relay_cpu_start = process_cpu_seconds(options->pid);
						read_thread_times(options->pid, &threads_start);
					}
				}
				/* Sleep only for gaps over 100 us: fewer wake-ups, a little early at most. */
				if (due - now_ns() > 100000)
					sleep_until_ns(due);
				int length = PACKET_LENGTH;
				fill_packet(packet, &sides[i], i, measuring);
				if (loadgen_srtp_suite()) {
					/* SRTP encrypts in place: the payload after the stamp back to PCMU silence */
					memset(packet + RTP_HEADER_LENGTH + sizeof(struct payload_stamp), 0xff,
						PACKET_LENGTH - RTP_HEADER_LENGTH - sizeof(struct payload_stamp));
					if (sides[i].srtp)
						length = loadgen_srtp_protect(sides[i].srtp, packet, length);
				}
				if (length < 0 || sendto(sides[i].fd, packet, length, 0,
						(struct sockaddr *) &sides[i].relay, sizeof(sides[i].relay)) < 0)
					send_errors++;
				else if (measuring)
					sent++;
				/* each socket's report in its own round of the interval: spread evenly */
				if (rounds_per_report && (round + i) % rounds_per_report == 0) {
					size_t rtcp_length = fill_rtcp(rtcp, &sides[i], i);
					if (sendto(sides[i].fd, rtcp, rtcp_length, 0, (struct sockaddr *) &sides[i].relay,
							sizeof(sides[i].relay)) < 0)
						send_errors++;
					else if (measuring)
						rtcp_sent++;
				}
			}
		}
		measured_end_ns = now_ns();
		own_cpu_end = own_cpu_seconds();
		if (options->pid) {
			relay_cpu_end = process_cpu_seconds(options->pid);
			read_thread_times(options->pid, &threads_end);
		}
		/* Drain: wait for stragglers, bounded to 500 ms. */
		int64_t drain_deadline = now_ns() + 500000000LL;
		while (now_ns() < drain_deadline && __atomic_load_n(&receiver.received, __ATOMIC_RELAXED) < sent)
			sleep_until_ns(now_ns() + 10000000LL);
	}
	long rss_loaded = options->pid ? process_rss_kb(options->pid) : -1;
	atomic_store(&receiver.stop, 1);
	pthread_join(receiver_thread, NULL);

	/* Tear-down. */
	long teardown_failures = 0;
	if (options->mode == MODE_NG) {
		static const enum ng_step delete_steps[] = { STEP_DELETE, STEP_DONE };
		struct call_list list = { call_table, calls, 0 };
		ng_run(&client, delete_steps, 16, call_list_next, &list, 0, &teardown_failures);
		ng_client_close(&client);
	}

	double measured_seconds = (measured_end_ns - measured_start_ns) / 1e9;
	printf("calls=%d\nset_up=%ld\nsetup_failures=%ld\nsetup_seconds=%.3f\n", calls, set_up,
		setup_failures, setup_seconds);
	printf("sent=%llu\nreceived=%llu\nmisrouted=%llu\nsend_errors=%llu\n", (unsigned long long) sent,
		(unsigned long long) receiver.received, (unsigned long long) receiver.misrouted,
		(unsigned long long) send_errors);
	printf("rtcp_sent=%llu\nrtcp_received=%llu\n", (unsigned long long) rtcp_sent,
		(unsigned long long) receiver.rtcp_received);
	printf("loss_percent=%.4f\n", sent ? 100.0 * ((double) sent - (double) receiver.received) / sent : 0.0);
	printf("latency_p50_us=%ld\nlatency_p99_us=%ld\nlatency_p999_us=%ld\n",
		histogram_percentile(receiver.histogram, receiver.received, 0.50),
		histogram_percentile(receiver.histogram, receiver.received, 0.99),
		histogram_percentile(receiver.histogram, receiver.received, 0.999));
	printf("measured_seconds=%.3f\nloadgen_cpu_seconds=%.3f\n", measured_seconds, own_cpu_end - own_cpu_start);
	if (options->pid) {
		printf("relay_cpu_seconds=%.3f\n", relay_cpu_end - relay_cpu_start);
		printf("rss_idle_kb=%ld\nrss_loaded_kb=%ld\n", rss_idle, rss_loaded);
		print_thread_cpu(&threads_start, &threads_end);
	}
	printf("teardown_failures=%ld\n", teardown_failures);
	for (int i = 0; i < side_count; i++) {
		close(sides[i].fd);
		loadgen_srtp_leg_free(sides[i].srtp);
	}
	close(receiver.epoll_fd);
	free(receiver.histogram);
	free(sides);
	free(call_table);
	return set_up == calls ? 0 : 3;
}

struct call_generator {
	struct call call;
	long serial;
};

static struct call *call_generator_next(void *context, int slot_number)
{
	/* A slot holds one call at a time, so each slot can reuse its own call object. */
	struct call_generator *generators = context;
	struct call *call = &generators[slot_number].call;
	long serial = generators[0].serial++;
	memset(call, 0, sizeof(*call));
	snprintf(call->call_id, sizeof(call->call_id), "cycle-%d-%ld", (int) getpid(), serial);
	snprintf(call->from_tag, sizeof(call->from_tag), "f%ld", serial);
	snprintf(call->to_tag, sizeof(call->to_tag), "t%ld", serial);
	call->caller_port = 40000 + (serial % 1000) * 2;
	call->callee_port = 42000 + (serial % 1000) * 2;
	return call;
}

static int command_ng(const struct options *options)
{
	static const enum ng_step cycle_steps[] = { STEP_OFFER, STEP_ANSWER, STEP_DELETE, STEP_DONE };
	static struct call_generator generators[NG_WINDOW_MAX];
	struct ng_client client;
	long failures = 0;
	if (ng_client_open(&client, &options->ng_server) < 0) {
		perror("ng socket");
		return 1;
	}
	double relay_cpu_start = options->pid ? process_cpu_seconds(options->pid) : -1;
	int64_t start = now_ns();
	long completed = ng_run(&client, cycle_steps, options->inflight, call_generator_next, generators,
		start + (int64_t) (options->duration * 1e9), &failures);
	double elapsed = (now_ns() - start) / 1e9;
	if (options->pid)
		printf("relay_cpu_seconds=%.3f\n", process_cpu_seconds(options->pid) - relay_cpu_start);
	ng_client_close(&client);
	printf("inflight=%d\ncycles=%ld\nfailures=%ld\nseconds=%.3f\ncycles_per_second=%.1f\n",
		options->inflight, completed, failures, elapsed, completed / elapsed);
	return failures ? 3 : 0;
}

static void usage(const char *program)
{
	fprintf(stderr,
		"usage: %s media --mode ng|fixed|direct [--ng IP:PORT] [--relay-base PORT] [--calls N]\n"
		"          [--duration S] [--warmup S] [--rate PPS] [--pid PID] [--record yes]\n"
		"          [--rtcp-mux yes] [--rtcp-interval S]\n"
		"          [--srtp AES_CM_128_HMAC_SHA1_80|AES_CM_128_HMAC_SHA1_32]\n"
		"       %s ng --ng IP:PORT [--duration S] [--inflight W] [--pid PID]\n", program, program);
}

int main(int argc, char **argv)
{
	struct options options = { .mode = MODE_NG, .calls = 500, .duration = 10, .warmup = 1,
		.rate = 50, .inflight = 1 };
	if (argc < 2) {
		usage(argv[0]);
		return 1;
	}
	int have_ng = 0;
	for (int i = 2; i < argc; i++) {
		const char *name = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!value) {
			usage(argv[0]);
			return 1;
		}
		i++;
		if (!strcmp(name, "--mode")) {
			if (!strcmp(value, "ng"))
				options.mode = MODE_NG;
			else if (!strcmp(value, "fixed"))
				options.mode = MODE_FIXED;
			else if (!strcmp(value, "direct"))
				options.mode = MODE_DIRECT;
			else {
				usage(argv[0]);
				return 1;
			}
		} else if (!strcmp(name, "--ng")) {
			if (parse_address(value, &options.ng_server) < 0) {
				fprintf(stderr, "bad address %s\n", value);
				return 1;
			}
			have_ng = 1;
		} else if (!strcmp(name, "--relay-base")) {
			options.relay_base = atoi(value);
		} else if (!strcmp(name, "--calls")) {
			options.calls = atoi(value);
		} else if (!strcmp(name, "--duration")) {
			options.duration = atof(value);
		} else if (!strcmp(name, "--warmup")) {
			options.warmup = atof(value);
		} else if (!strcmp(name, "--rate")) {
			options.rate = atoi(value);
		} else if (!strcmp(name, "--pid")) {
			options.pid = atoi(value);
		} else if (!strcmp(name, "--inflight")) {
			options.inflight = atoi(value);
		} else if (!strcmp(name, "--record")) {
			record_calls = !strcmp(value, "yes");
		} else if (!strcmp(name, "--rtcp-mux")) {
			rtcp_mux = !strcmp(value, "yes");
		} else if (!strcmp(name, "--rtcp-interval")) {
			rtcp_interval = atof(value);
		} else if (!strcmp(name, "--srtp")) {
			if (loadgen_srtp_init(value) < 0) {
				fprintf(stderr, "unknown SRTP suite %s\n", value);
				return 1;
			}
		} else {
			usage(argv[0]);
			return 1;
		}
	}
	if (rtcp_interval > 0 && !rtcp_mux) {
		fprintf(stderr, "--rtcp-interval needs --rtcp-mux yes (RTCP rides the RTP socket)\n");
		return 1;
	}
	if (rtcp_interval > 0 && loadgen_srtp_suite()) {
		fprintf(stderr, "--rtcp-interval sends plain RTCP: not with --srtp (no SRTCP here)\n");
		return 1;
	}
	if (options.calls <= 0 || options.calls > 30000 || options.duration <= 0 || options.rate < 0 ||
			options.inflight <= 0 || options.inflight > NG_WINDOW_MAX) {
		fprintf(stderr, "parameter out of range\n");
		return 1;
	}
	struct rlimit files = { .rlim_cur = 2 * options.calls + 256, .rlim_max = 2 * options.calls + 256 };
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < (rlim_t) (2 * options.calls + 256)) {
		files.rlim_cur = files.rlim_max = 2 * options.calls + 256;
		setrlimit(RLIMIT_NOFILE, &files);
	}
	srandom(getpid() ^ (unsigned) now_ns());

	if (!strcmp(argv[1], "media")) {
		if ((options.mode == MODE_NG && !have_ng) || (options.mode == MODE_FIXED && options.relay_base <= 0)) {
			usage(argv[0]);
			return 1;
		}
		return command_media(&options);
	}
	if (!strcmp(argv[1], "ng") && have_ng)
		return command_ng(&options);
	usage(argv[0]);
	return 1;
}
