/* rtpengine-recording: follows the spool directory the media relay writes recorded calls to
 * and turns each call's streams into audio files (README.md). Start-up, the one loop, and
 * shutdown. */
#include "recording_daemon.h"
#include "service_notify.h"
#include "version.h"
#include "process_control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libavutil/log.h>

/* Returns true when the loop should stop. */
static bool read_signals(int signal_fd)
{
	struct signalfd_siginfo info;
	bool stop = false;
	while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGHUP)
			log_reopen();
		else
			stop = true;
	}
	return stop;
}

static int run(int spool_fd, int signal_fd)
{
	struct pollfd fds[2] = { { .fd = spool_fd, .events = POLLIN }, { .fd = signal_fd, .events = POLLIN } };
	for (;;) {
		int ready = poll(fds, 2, -1);
		if (ready < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		if (ready > 0 && (fds[1].revents & POLLIN) && read_signals(signal_fd))
			return 0;
		if (ready > 0 && (fds[0].revents & POLLIN))
			spool_read_events();
	}
}

int main(int argc, char **argv)
{
	char *error_message = NULL;
	enum rec_config_result loaded = rec_config_load(&rec_config, argc, argv, &error_message);
	if (loaded == REC_CONFIG_EXIT_SUCCESS)
		return 0;
	if (loaded != REC_CONFIG_OK) {
		fprintf(stderr, "rtpengine-recording: %s\n", error_message ? error_message : "bad configuration");
		g_free(error_message);
		return 1;
	}
	struct stat info;
	if (stat(rec_config.spool_dir, &info) < 0 || !S_ISDIR(info.st_mode)) {
		fprintf(stderr, "rtpengine-recording: spool directory %s: %s\n", rec_config.spool_dir,
			errno ? strerror(errno) : "not a directory");
		rec_config_free(&rec_config);
		return 1;
	}
	if (rec_config.format != REC_FORMAT_NONE && g_mkdir_with_parents(rec_config.output_dir, 0700) < 0) {
		fprintf(stderr, "rtpengine-recording: output directory %s: %s\n", rec_config.output_dir,
			strerror(errno));
		rec_config_free(&rec_config);
		return 1;
	}
	if (!rec_config.foreground && process_become_daemon() < 0) {
		fprintf(stderr, "rtpengine-recording: cannot daemonise: %s\n", strerror(errno));
		return 1;
	}
	log_init("rtpengine-recording", &rec_config.log);
	av_log_set_level(rec_config.log.level >= LOG_DEBUG ? AV_LOG_WARNING : AV_LOG_ERROR);
	log_notice("rtpengine-recording %s starting: spool %s, output %s, %d threads", rtpengine_version,
		   rec_config.spool_dir, rec_config.output_dir, rec_config.num_threads);
	if (rec_config.pidfile && process_write_pidfile(rec_config.pidfile) < 0)
		log_warning("cannot write pidfile %s: %s", rec_config.pidfile, strerror(errno));

	int exit_code = 1;
	int signal_fd = process_open_signal_fd();
	if (signal_fd < 0) {
		log_error("signalfd: %s", strerror(errno));
		goto out;
	}
	/* after process_open_signal_fd: the threads inherit the blocked signals, which only signal_fd reads */
	int error = workers_start((unsigned int) rec_config.num_threads, rec_config.spool_dir);
	if (error < 0) {
		log_error("cannot start %d recording threads: %s", rec_config.num_threads, strerror(-error));
		goto out_workers;
	}
	int spool_fd = spool_open(rec_config.spool_dir);
	if (spool_fd < 0) {
		log_error("cannot watch %s: %s", rec_config.spool_dir, strerror(-spool_fd));
		goto out_workers;
	}
	/* systemd (Type=notify, as Debian's unit): started once the spool is watched */
	int notified = service_notify_ready();
	if (notified < 0)
		log_warning("cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(-notified));
	exit_code = run(spool_fd, signal_fd);
	service_notify_stopping();
	log_notice("shutting down: finishing the files of every call");
	spool_close();
out_workers:
	workers_stop();
	close(signal_fd);
out:
	if (rec_config.pidfile)
		unlink(rec_config.pidfile);
	rec_config_free(&rec_config);
	return exit_code;
}
