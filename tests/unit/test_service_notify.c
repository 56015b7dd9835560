/* service_notify: the sd_notify datagrams reach a socket at $NOTIFY_SOCKET (path and
 * abstract name), and nothing is sent or failed without one. */
#include "service_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

/* A datagram socket bound to name (a path, or "@name"). */
static int bind_listener(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	size_t length = strlen(name);
	g_assert_cmpuint(length, <, sizeof(address.sun_path));
	memcpy(address.sun_path, name, length);
	if (name[0] == '@')
		address.sun_path[0] = '\0';
	g_assert_cmpint(bind(fd, (struct sockaddr *) &address,
			     (socklen_t) (offsetof(struct sockaddr_un, sun_path) + length)), ==, 0);
	return fd;
}

static void receive_text(int fd, char *buffer, size_t size)
{
	ssize_t received = recv(fd, buffer, size - 1, MSG_DONTWAIT);
	g_assert_cmpint(received, >, 0);
	buffer[received] = '\0';
}

static void test_path_socket(void)
{
	g_autofree char *directory = g_dir_make_tmp("test_notify_XXXXXX", NULL);
	g_autofree char *path = g_build_filename(directory, "notify", NULL);
	int fd = bind_listener(path);
	g_setenv("NOTIFY_SOCKET", path, TRUE);
	char text[64];

	g_assert_cmpint(service_notify_ready(), ==, 0);
	receive_text(fd, text, sizeof(text));
	g_assert_cmpstr(text, ==, "READY=1");
	g_assert_cmpint(service_notify_stopping(), ==, 0);
	receive_text(fd, text, sizeof(text));
	g_assert_cmpstr(text, ==, "STOPPING=1");

	g_unsetenv("NOTIFY_SOCKET");
	close(fd);
	g_unlink(path);
	g_rmdir(directory);
}

static void test_abstract_socket(void)
{
	g_autofree char *name = g_strdup_printf("@rtpengine-test-notify-%d", (int) getpid());
	int fd = bind_listener(name);
	g_setenv("NOTIFY_SOCKET", name, TRUE);
	char text[64];

	g_assert_cmpint(service_notify_ready(), ==, 0);
	receive_text(fd, text, sizeof(text));
	g_assert_cmpstr(text, ==, "READY=1");

	g_unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void test_without_socket(void)
{
	g_unsetenv("NOTIFY_SOCKET");
	g_assert_cmpint(service_notify_ready(), ==, 0);
	g_setenv("NOTIFY_SOCKET", "relative/name", TRUE);
	g_assert_cmpint(service_notify_ready(), ==, -EAFNOSUPPORT);
	g_setenv("NOTIFY_SOCKET", "/nonexistent/rtpengine-notify", TRUE);
	g_assert_cmpint(service_notify_ready(), ==, -ENOENT);
	g_unsetenv("NOTIFY_SOCKET");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/service_notify/path_socket", test_path_socket);
	g_test_add_func("/service_notify/abstract_socket", test_abstract_socket);
	g_test_add_func("/service_notify/without_socket", test_without_socket);
	return g_test_run();
}
