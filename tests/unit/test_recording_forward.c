/* Unit tests for rtpengine-recording's --forward-to (recording-daemon/forward.c): the
 * connection's first message is the metadata, packets follow one message each, a full socket
 * drops and counts, a consumer that went away ends the call's forwarding, a call without
 * metadata is not forwarded, and the connection closes with the call. Real Unix sockets in a
 * temporary directory. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "recording_daemon.h"

struct fixture {
	char *dir, *path;
	int listener;
};

static void fixture_open(struct fixture *fixture)
{
	fixture->dir = g_dir_make_tmp("recfwd-XXXXXX", NULL);
	g_assert_nonnull(fixture->dir);
	fixture->path = g_strdup_printf("%s/forward.sock", fixture->dir);
	fixture->listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fixture->listener, >=, 0);
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	g_strlcpy(address.sun_path, fixture->path, sizeof(address.sun_path));
	g_assert_cmpint(bind(fixture->listener, (struct sockaddr *) &address, sizeof(address)), ==, 0);
	g_assert_cmpint(listen(fixture->listener, 4), ==, 0);
	rec_config.forward_to = fixture->path;
}

static void fixture_close(struct fixture *fixture)
{
	rec_config.forward_to = NULL;
	close(fixture->listener);
	g_unlink(fixture->path);
	g_rmdir(fixture->dir);
	g_free(fixture->path);
	g_free(fixture->dir);
}

static int accept_one(struct fixture *fixture)
{
	int fd = accept(fixture->listener, NULL, NULL);
	g_assert_cmpint(fd, >=, 0);
	struct timeval timeout = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

static struct rec_call *call_for_test(void)
{
	struct rec_call *call = g_new0(struct rec_call, 1);
	call->name = g_strdup("test.meta");
	call->call_id = g_strdup("test-call");
	call->forward_fd = -1;
	return call;
}

static void call_for_test_free(struct rec_call *call)
{
	forward_close(call);
	g_free(call->name);
	g_free(call->call_id);
	g_free(call);
}

static void test_metadata_then_packets_then_close(void)
{
	struct fixture fixture;
	fixture_open(&fixture);
	struct rec_call *call = call_for_test();
	const unsigned char packet[] = "not parsed: sent as read";
	forward_packet(call, packet, sizeof(packet));   /* before METADATA: not forwarded */
	g_assert_cmpuint(call->forwarded, ==, 0);
	forward_metadata(call, "a:1|b:2", 7);
	g_assert_cmpint(call->forward_fd, >=, 0);
	forward_metadata(call, "c:3", 3);               /* connected already: not sent */
	forward_packet(call, packet, sizeof(packet));
	forward_packet(call, packet, 3);
	g_assert_cmpuint(call->forwarded, ==, 2);
	int consumer = accept_one(&fixture);
	char buffer[256];
	g_assert_cmpint(recv(consumer, buffer, sizeof(buffer), 0), ==, 7);
	g_assert_cmpmem(buffer, 7, "a:1|b:2", 7);
	g_assert_cmpint(recv(consumer, buffer, sizeof(buffer), 0), ==, (int) sizeof(packet));
	g_assert_cmpmem(buffer, sizeof(packet), packet, sizeof(packet));
	g_assert_cmpint(recv(consumer, buffer, sizeof(buffer), 0), ==, 3);
	forward_close(call);
	g_assert_cmpint(call->forward_fd, ==, -1);
	g_assert_cmpint(recv(consumer, buffer, sizeof(buffer), 0), ==, 0);   /* the call ended */
	close(consumer);
	call_for_test_free(call);
	fixture_close(&fixture);
}

static void test_full_socket_drops_and_gone_consumer_stops(void)
{
	struct fixture fixture;
	fixture_open(&fixture);
	struct rec_call *call = call_for_test();
	forward_metadata(call, "m", 1);
	int consumer = accept_one(&fixture);
	unsigned char packet[1200];
	memset(packet, 0x55, sizeof(packet));
	/* nobody reads: the send buffer fills, then packets are dropped without blocking */
	for (int i = 0; i < 100000 && call->forward_dropped < 10; i++)
		forward_packet(call, packet, sizeof(packet));
	g_assert_cmpuint(call->forwarded, >, 0);
	g_assert_cmpuint(call->forward_dropped, ==, 10);
	g_assert_cmpint(call->forward_fd, >=, 0);
	close(consumer);
	forward_packet(call, packet, sizeof(packet));
	g_assert_true(call->forward_failed);
	g_assert_cmpint(call->forward_fd, ==, -1);
	uint64_t forwarded = call->forwarded;
	forward_packet(call, packet, sizeof(packet));
	forward_metadata(call, "again", 5);             /* no second connection for the call */
	g_assert_cmpint(call->forward_fd, ==, -1);
	g_assert_cmpuint(call->forwarded, ==, forwarded);
	call_for_test_free(call);
	fixture_close(&fixture);
}

static void test_connect_errors(void)
{
	int fd = -1;
	g_assert_cmpint(forward_connect("/nonexistent/forward.sock", "m", 1, &fd), ==, -ENOENT);
	char long_path[200];
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	g_assert_cmpint(forward_connect(long_path, "m", 1, &fd), ==, -ENAMETOOLONG);
	g_assert_cmpint(fd, ==, -1);
	/* without --forward-to nothing happens at all */
	struct rec_call *call = call_for_test();
	forward_metadata(call, "m", 1);
	forward_packet(call, (const unsigned char *) "x", 1);
	g_assert_cmpint(call->forward_fd, ==, -1);
	g_assert_false(call->forward_failed);
	call_for_test_free(call);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	log_init("test", &(struct log_settings) { .level = LOG_ERR, .to_stderr = true });
	g_test_add_func("/recording/forward/metadata-packets-close", test_metadata_then_packets_then_close);
	g_test_add_func("/recording/forward/full-and-gone", test_full_socket_drops_and_gone_consumer_stops);
	g_test_add_func("/recording/forward/connect-errors", test_connect_errors);
	return g_test_run();
}
