/* The daemon's use of the kernel module: opens the table at start (or says loudly why
 * not), pushes every latched stream to the kernel, pulls the kernel's counters back into
 * the streams, and removes targets when calls end. Control thread only. */
#ifndef RTPENGINE_KERNEL_BACKEND_H
#define RTPENGINE_KERNEL_BACKEND_H

struct call;
struct call_observer;
struct daemon_context;

/* Returns 0, or -1 when the kernel is required (--no-fallback) but unusable. */
int kernel_backend_start(struct daemon_context *daemon);
void kernel_backend_stop(struct daemon_context *daemon);
/* Once a second: push newly latched streams, refresh counters. */
void kernel_backend_sync(struct daemon_context *daemon);
/* Before a call is destroyed: remove its targets. */
void kernel_backend_remove_call(struct daemon_context *daemon, struct call *call);
/* Before query or delete describe a call: its kernel targets' counters and RTP statistics
 * now (two system calls per kernel-forwarded stream), not as of the last one-second sync. */
void kernel_backend_refresh_call(struct daemon_context *daemon, struct call *call);
/* The call lifecycle's view of the kernel: a changed call's targets are synced at once, an
 * ended call's removed before its sockets close. */
extern const struct call_observer kernel_backend_call_observer;
/* Why streams are not kernel-forwarded when the backend is off (static text). */
const char *kernel_backend_unavailable_reason(void);

#endif
