/* rtpengine: the control daemon's entry point. Reads the configuration, opens the
 * interfaces, the media workers and the ng socket, then runs the control loop: ng
 * requests, the one-second call timer and signals, all on this thread. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "call.h"
#include "config.h"
#include "version.h"
#include "daemon.h"
#include "kernel_backend.h"
#include "log.h"
#include "ng_server.h"
#include "relay.h"
#include "timer.h"

enum control_source { SOURCE_NG, SOURCE_SIGNAL, SOURCE_TIMER };

static int write_pidfile(const char *path)
{
	FILE *file = fopen(path, "w");
	if (!file)
		return -errno;
	fprintf(file, "%d\n", (int) getpid());
	fclose(file);
	return 0;
}

/* Classic double-fork-free daemonisation: the parent exits once the child is in its own session. */
static int become_daemon(void)
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

static int add_to_epoll(int epoll_fd, int fd, enum control_source source)
{
	struct epoll_event event = { .events = EPOLLIN, .data.u32 = source };
	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0 ? -errno : 0;
}

static int open_signal_fd(void)
{
	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	/* block before the workers start so they inherit the mask and only signalfd sees them */
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int open_timer_fd(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct itimerspec every_second = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	timerfd_settime(fd, 0, &every_second, NULL);
	return fd;
}

/* Returns true when the daemon should stop. */
static bool handle_signal(int signal_fd)
{
	struct signalfd_siginfo info;
	while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGHUP) {
			log_reopen();
			log_notice("SIGHUP: log reopened");
			continue;
		}
		log_notice("received signal %u, shutting down", info.ssi_signo);
		return true;
	}
	return false;
}

static void end_call_at_shutdown(struct call *call, void *data)
{
	timer_end_call(data, call, CALL_END_SHUTDOWN);
}

static int run_control_loop(struct daemon_context *daemon, struct ng_server *server, int signal_fd, int timer_fd)
{
	int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0 || add_to_epoll(epoll_fd, ng_server_fd(server), SOURCE_NG)
	    || add_to_epoll(epoll_fd, signal_fd, SOURCE_SIGNAL) || add_to_epoll(epoll_fd, timer_fd, SOURCE_TIMER)) {
		log_error("cannot set up the control loop: %s", strerror(errno));
		return -1;
	}
	bool stop = false;
	while (!stop) {
		struct epoll_event events[8];
		int ready = epoll_wait(epoll_fd, events, 8, -1);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			log_error("control loop: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < ready; i++) {
			switch (events[i].data.u32) {
			case SOURCE_NG:
				ng_server_receive(server);
				break;
			case SOURCE_SIGNAL:
				stop = handle_signal(signal_fd) || stop;
				break;
			case SOURCE_TIMER: {
				uint64_t expirations;
				if (read(timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
					log_debug("timerfd: %s", strerror(errno));
				int64_t now = now_realtime_us();
				kernel_backend_sync(daemon);
				daemon_sample_rates(daemon);
				relay_sample_load(1000);
				timer_check_calls(daemon, now);
				ng_server_expire_cache(server, now);
				break;
			}
			}
		}
	}
	close(epoll_fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_config config;
	char *error_message = NULL;
	enum config_result loaded = config_load(&config, argc, argv, &error_message);
	if (loaded == CONFIG_EXIT_SUCCESS)
		return 0;
	if (loaded != CONFIG_OK) {
		fprintf(stderr, "rtpengine: %s\n", error_message ? error_message : "bad configuration");
		g_free(error_message);
		return 1;
	}
	if (!endpoint_is_set(&config.listen_ng)) {
		fprintf(stderr, "rtpengine: no --listen-ng given: nothing could control the daemon\n");
		config_free(&config);
		return 1;
	}
	if (!config.foreground && become_daemon() < 0) {
		fprintf(stderr, "rtpengine: cannot daemonise: %s\n", strerror(errno));
		return 1;
	}
	log_init("rtpengine", &config.log);
	log_notice("rtpengine %s starting", rtpengine_version);

	struct daemon_context daemon = { .config = &config, .started_us = now_realtime_us() };
	call_registry_init();
	if (interface_list_init(&daemon.interfaces, config.interfaces, config.interface_count, config.port_min,
				config.port_max) < 0) {
		log_error("invalid port range %u-%u", config.port_min, config.port_max);
		return 1;
	}
	int signal_fd = open_signal_fd();
	int timer_fd = open_timer_fd();
	if (signal_fd < 0 || timer_fd < 0) {
		log_error("cannot create signal or timer descriptors: %s", strerror(errno));
		return 1;
	}
	if (kernel_backend_start(&daemon) < 0)
		return 1;
	struct relay_settings relay_settings = {
		.endpoint_learning = config.endpoint_learning,
		.worker_count = config.num_threads,
	};
	if (relay_start(&relay_settings) < 0)
		return 1;
	struct ng_server *server = NULL;
	int error = ng_server_open(&server, &config.listen_ng, &daemon);
	if (error) {
		char text[80];
		log_error("cannot listen for ng on %s: %s",
			  endpoint_text(&config.listen_ng, text, sizeof(text)), strerror(-error));
		return 1;
	}
	if (config.pidfile && write_pidfile(config.pidfile) < 0)
		log_warning("cannot write pidfile %s: %s", config.pidfile, strerror(errno));
	char text[80];
	log_notice("listening for ng on %s; %u interface(s), ports %u-%u, %u media thread(s)",
		   endpoint_text(&config.listen_ng, text, sizeof(text)), daemon.interfaces.count,
		   config.port_min, config.port_max, config.num_threads);

	run_control_loop(&daemon, server, signal_fd, timer_fd);

	call_foreach(end_call_at_shutdown, &daemon);
	ng_server_close(server);
	relay_stop();
	kernel_backend_stop(&daemon);
	interface_list_free(&daemon.interfaces);
	if (config.pidfile)
		unlink(config.pidfile);
	close(signal_fd);
	close(timer_fd);
	log_notice("rtpengine stopped");
	config_free(&config);
	return 0;
}
