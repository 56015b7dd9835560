/* Start-up and shutdown notices to the service manager (systemd's Type=notify, the
 * sd_notify(3) protocol without libsystemd): one datagram "READY=1" or "STOPPING=1" to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or Type=simple) the calls do nothing.
 * Returns 0 when the notice was sent or there is nobody to tell, else a negative errno;
 * a failure is never fatal to the caller (systemd then times the start out and says so).
 * Threads: any; each call opens and closes its own socket (twice per process lifetime).
 */
#ifndef RTPENGINE_SERVICE_NOTIFY_H
#define RTPENGINE_SERVICE_NOTIFY_H

/* The service finished starting: systemd runs ExecStartPost and the units ordered after it. */
int service_notify_ready(void);
/* The service begins to shut down. */
int service_notify_stopping(void);
/* Any state text ("READY=1\nSTATUS=..."), for tests and for notices not covered above. */
int service_notify(const char *state);

#endif
