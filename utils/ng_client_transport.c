/* UDP exchange with retransmission; see ng_client_transport.h. */
#include "ng_client_transport.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

/* Larger than any UDP payload (65507 bytes over IPv4), so a reply is never cut short. */
#define REPLY_BUFFER_SIZE 65536

/* ---- helpers --------------------------------------------------------------------------- */

static int64_t monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int open_socket(const union endpoint *proxy, char **error_message)
{
	char text[ENDPOINT_TEXT_SIZE];
	int fd = socket(proxy->address.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int error = errno;
		*error_message = g_strdup_printf("cannot open a UDP socket: %s", strerror(error));
		return -error;
	}
	/* Connected: the kernel drops datagrams from any other address, and an ICMP port
	 * unreachable comes back as ECONNREFUSED so that "nobody listens" can be told apart. */
	if (connect(fd, &proxy->address, endpoint_length(proxy)) < 0) {
		int error = errno;
		*error_message = g_strdup_printf("cannot send to %s: %s", endpoint_text(proxy, text, sizeof(text)),
				strerror(error));
		close(fd);
		return -error;
	}
	return fd;
}

/* A refused earlier datagram reports its error on the next send; that send then did not go
 * out, so it is tried once more. */
static int send_datagram(int fd, const GString *datagram, bool *refused)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (send(fd, datagram->str, datagram->len, 0) >= 0)
			return 0;
		if (errno != ECONNREFUSED)
			return -errno;
		*refused = true;
	}
	return 0;
}

/* Waits until deadline for the datagram that starts with "COOKIE ". 1 when it came (reply
 * holds its payload), 0 on timeout, negative errno on a socket error. */
static int await_reply(int fd, const char *cookie, int64_t deadline, char *buffer, GString *reply, bool *refused)
{
	size_t cookie_length = strlen(cookie);
	for (;;) {
		int64_t remaining = deadline - monotonic_ms();
		if (remaining <= 0)
			return 0;
		struct pollfd descriptor = { .fd = fd, .events = POLLIN };
		int ready = poll(&descriptor, 1, (int) remaining);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return -errno;
		if (ready == 0)
			return 0;
		ssize_t length = recv(fd, buffer, REPLY_BUFFER_SIZE, 0);
		if (length < 0) {
			if (errno == ECONNREFUSED) {
				*refused = true;
				continue;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if ((size_t) length <= cookie_length || memcmp(buffer, cookie, cookie_length) != 0
				|| buffer[cookie_length] != ' ') {
			log_warning("ignoring a datagram of %zd bytes that does not carry cookie %s", length, cookie);
			continue;
		}
		g_string_truncate(reply, 0);
		g_string_append_len(reply, buffer + cookie_length + 1, length - (ssize_t) cookie_length - 1);
		return 1;
	}
}

/* ---- public functions ------------------------------------------------------------------ */

void ng_client_new_cookie(char *cookie)
{
	snprintf(cookie, NG_CLIENT_COOKIE_SIZE, "%08x%08x", (unsigned int) g_random_int(),
			(unsigned int) g_random_int());
}

int ng_client_exchange(const union endpoint *proxy, const struct ng_client_timing *timing, const char *cookie,
		       const GString *request, GString *reply, char **error_message)
{
	char text[ENDPOINT_TEXT_SIZE];
	endpoint_text(proxy, text, sizeof(text));
	int fd = open_socket(proxy, error_message);
	if (fd < 0)
		return fd;

	GString *datagram = g_string_new(cookie);
	g_string_append_c(datagram, ' ');
	g_string_append_len(datagram, request->str, request->len);
	char *buffer = g_malloc(REPLY_BUFFER_SIZE);
	bool refused = false;
	int result = -ETIMEDOUT;
	unsigned int attempts = timing->retries + 1;
	for (unsigned int attempt = 1; attempt <= attempts; attempt++) {
		if (attempt > 1)
			log_info("no reply from %s within %u ms, retransmitting (attempt %u of %u)", text,
					timing->timeout_ms, attempt, attempts);
		int sent = send_datagram(fd, datagram, &refused);
		if (sent < 0) {
			*error_message = g_strdup_printf("cannot send to %s: %s", text, strerror(-sent));
			result = sent;
			break;
		}
		int outcome = await_reply(fd, cookie, monotonic_ms() + timing->timeout_ms, buffer, reply, &refused);
		if (outcome < 0) {
			*error_message = g_strdup_printf("cannot receive from %s: %s", text, strerror(-outcome));
			result = outcome;
			break;
		}
		if (outcome > 0) {
			result = 0;
			break;
		}
	}
	if (result == -ETIMEDOUT)
		*error_message = g_strdup_printf("no answer from %s after %u attempt%s of %u ms each%s", text, attempts,
				attempts == 1 ? "" : "s", timing->timeout_ms,
				refused ? " (port unreachable: is the daemon running and listening there?)" : "");
	g_free(buffer);
	g_string_free(datagram, TRUE);
	close(fd);
	return result;
}
