#include "process_control.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

int process_write_pidfile(const char *path)
{
	FILE *file = fopen(path, "w");
	if (!file)
		return -errno;
	fprintf(file, "%d\n", (int) getpid());
	fclose(file);
	return 0;
}

/* Classic double-fork-free daemonisation: the parent exits once the child is in its own session. */
int process_become_daemon(void)
{
	pid_t child = fork();
	if (child < 0)
		return -errno;
	if (child > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return 0;
}

int process_open_signal_fd(void)
{
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
}
