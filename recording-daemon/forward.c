/* --forward-to=PATH: every packet a recorded call's streams carry, as read (IP and UDP headers,
 * then RTP or RTCP, the kernel stream's and the stream file's payload), is sent on to a local
 * consumer as upstream 10.5 does: one SOCK_SEQPACKET connection to the Unix socket PATH per
 * call, opened when the call's METADATA section is read, whose first message is that section's
 * content (no terminator); then one message per packet; closed when the call ends. A call
 * without a METADATA section is not forwarded (10.5 connects nowhere either); a second METADATA
 * section is not sent (10.5: "Connection already established").
 *
 * The socket is non-blocking: a consumer that does not keep up loses packets (counted, as 10.5
 * drops on EAGAIN) and never holds up the recording thread. Owned by the call's recording thread
 * like the rest of the call; nothing is locked. */
#include "recording_daemon.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *forward_call_name(const struct rec_call *call)
{
	return call->call_id ? call->call_id : call->name;
}

static void forward_stop(struct rec_call *call)
{
	if (call->forward_fd < 0)
		return;
	close(call->forward_fd);
	call->forward_fd = -1;
	log_call(LOG_INFO, forward_call_name(call), "forwarding to %s ended: %llu packets sent, %llu dropped",
		 rec_config.forward_to, (unsigned long long) call->forwarded, (unsigned long long) call->forward_dropped);
}

/* ---- public -------------------------------------------------------------------------------- */

int forward_connect(const char *path, const char *first_message, size_t length, int *fd_out)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(address.sun_path))
		return -ENAMETOOLONG;
	memcpy(address.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &address, sizeof(address)) < 0
	    || send(fd, first_message, length, MSG_NOSIGNAL) < 0) {
		int error = -errno;
		close(fd);
		return error;
	}
	*fd_out = fd;
	return 0;
}

void forward_metadata(struct rec_call *call, const char *metadata, size_t length)
{
	if (!rec_config.forward_to)
		return;
	if (call->forward_failed)
		return;
	if (call->forward_fd >= 0) {
		log_call(LOG_INFO, forward_call_name(call), "forwarding: connection already made; later metadata "
			 "is not sent (as 10.5)");
		return;
	}
	int error = forward_connect(rec_config.forward_to, metadata, length, &call->forward_fd);
	if (error < 0) {
		/* once per call: its packets are not forwarded (10.5 logs each one) */
		log_call(LOG_ERR, forward_call_name(call), "cannot forward to %s: %s; the call is not forwarded",
			 rec_config.forward_to, strerror(-error));
		call->forward_failed = true;
		return;
	}
	log_call(LOG_INFO, forward_call_name(call), "forwarding the call's packets to %s", rec_config.forward_to);
}

void forward_packet(struct rec_call *call, const unsigned char *packet, size_t length)
{
	if (!rec_config.forward_to)
		return;
	if (call->forward_fd < 0) {
		if (!call->forward_failed && !call->forward_unannounced_logged) {
			log_call(LOG_WARNING, forward_call_name(call), "forwarding: the call has no METADATA section, "
				 "so no connection to %s (as 10.5); its packets are not forwarded", rec_config.forward_to);
			call->forward_unannounced_logged = true;
		}
		return;
	}
	if (send(call->forward_fd, packet, length, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) {
		call->forwarded++;
		return;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		call->forward_dropped++;
		return;
	}
	/* the consumer closed or reset the connection: nothing more can reach it for this call */
	log_call(LOG_WARNING, forward_call_name(call), "forwarding to %s: %s; the rest of the call is not forwarded",
		 rec_config.forward_to, strerror(errno));
	call->forward_failed = true;
	forward_stop(call);
}

void forward_close(struct rec_call *call)
{
	forward_stop(call);
}
