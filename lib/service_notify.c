/* sd_notify(3) datagrams to $NOTIFY_SOCKET; see service_notify.h. */
#include "service_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int service_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !path[0])
		return 0;
	/* systemd's socket is a file path or, with a leading '@', an abstract name */
	if (path[0] != '/' && path[0] != '@')
		return -EAFNOSUPPORT;
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	size_t length = strlen(path);
	if (length >= sizeof(address.sun_path))
		return -ENAMETOOLONG;
	memcpy(address.sun_path, path, length);
	if (path[0] == '@')
		address.sun_path[0] = '\0';
	socklen_t address_length = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + length);

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ssize_t sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &address, address_length);
	int result = sent < 0 ? -errno : 0;
	close(fd);
	return result;
}

int service_notify_ready(void)
{
	return service_notify("READY=1");
}

int service_notify_stopping(void)
{
	return service_notify("STOPPING=1");
}
