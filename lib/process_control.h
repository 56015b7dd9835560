/* What every long-running program of this project does to start as a service: pidfile,
 * daemonisation, signals read through a signalfd. Shared by rtpengine and
 * rtpengine-recording. */
#ifndef RTPENGINE_PROCESS_CONTROL_H
#define RTPENGINE_PROCESS_CONTROL_H

/* Writes our pid and a newline to path. Returns 0 or -errno. */
int process_write_pidfile(const char *path);
/* Forks; the parent exits, the child gets its own session and /dev/null as stdio.
 * Returns 0 in the child or -errno. */
int process_become_daemon(void);
/* Blocks SIGTERM, SIGINT and SIGHUP for the calling thread (call it before starting threads,
 * so they inherit the mask and only the signalfd sees them), ignores SIGPIPE, and returns a
 * non-blocking signalfd for the three, or -1 with errno set. */
int process_open_signal_fd(void);

#endif
