/* An epoll event loop that modules join: file descriptors and timers with callbacks.
 *
 * The daemon's control thread runs one (daemon_context.loop): the ng socket, signals and the
 * one-second housekeeping are sources on it, and so can be CLI sockets, Redis connections,
 * HTTP or Homer export. Media workers do not use it; they run their own epoll rounds and
 * share the timer heap (timer_heap.h).
 *
 * File descriptors: event_loop_add_fd() registers an fd with an epoll events mask
 * (EPOLLIN, EPOLLOUT, ...; level-triggered unless EPOLLET is given), a callback and a data
 * pointer; event_loop_modify_fd() changes the mask (e.g. adds EPOLLOUT while a hiredis
 * connection has output queued); event_loop_remove_fd() unregisters it (before the caller
 * closes it). The loop never closes an fd.
 *
 * Timers: a struct timer_entry the caller owns (timer_heap.h), armed with
 * event_loop_timer_arm() for one deadline or periodically, cancelled with
 * event_loop_timer_cancel(). The entry must stay valid while armed. Callbacks get the entry
 * and its data pointer.
 *
 * Dispatch: each round waits in epoll_wait() no longer than the earliest timer, calls the
 * callbacks of the ready fds, then fires the due timers. A callback may add, modify and
 * remove any fd, including the one being dispatched, and arm or cancel any timer: an fd
 * removed during a round gets no further callback in that round, even if its number is
 * reused by an fd added meanwhile; a timer armed for a past deadline from a callback fires
 * in the next round (see timer_heap.h). event_loop_stop() (from a callback) makes
 * event_loop_run() return after the current round.
 *
 * Threads: a loop belongs to the thread that runs it and is not locked: every function here
 * must be called on that thread (before event_loop_run(), or from its callbacks). Another
 * thread that needs the loop's attention writes to an fd (eventfd, pipe) the loop watches.
 *
 * Errors: functions return 0 or a negative errno: -EEXIST (fd already registered), -ENOENT
 * (fd not registered), -EBADF / -EPERM / -EINVAL from epoll_ctl() (not a pollable fd, e.g. a
 * regular file), -ENOMEM.
 *
 * Cost: one epoll_wait() and up to two CLOCK_MONOTONIC reads (vDSO) per round, plus one
 * epoll_ctl() per add/modify/remove. Nothing is allocated per event or per timer firing; the
 * table of registrations (indexed by fd number) and the timer heap grow on registration only.
 * Timers fire no earlier than their deadline and, on an idle loop, up to about a millisecond
 * after it (epoll_wait() counts in milliseconds), later if callbacks run long.
 */
#ifndef RTPENGINE_EVENT_LOOP_H
#define RTPENGINE_EVENT_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>   /* the events masks: EPOLLIN, EPOLLOUT, ... */
#include "timer_heap.h"

struct event_loop;

/* events: what epoll reported (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, ...) */
typedef void event_fd_callback(struct event_loop *loop, int fd, uint32_t events, void *data);

/* Returns NULL with errno set when epoll or memory is not available. */
struct event_loop *event_loop_new(void);
/* Does not close the registered fds; armed timers are left disarmed. */
void event_loop_free(struct event_loop *loop);

int event_loop_add_fd(struct event_loop *loop, int fd, uint32_t events, event_fd_callback *callback, void *data);
int event_loop_modify_fd(struct event_loop *loop, int fd, uint32_t events);
int event_loop_remove_fd(struct event_loop *loop, int fd);

/* Arms (or moves) a timer to fire at deadline_us of timer_now_us(), then every interval_us
 * if that is > 0. The entry is set up with timer_entry_init() first. */
int event_loop_timer_arm(struct event_loop *loop, struct timer_entry *timer, int64_t deadline_us,
			 int64_t interval_us);
void event_loop_timer_cancel(struct event_loop *loop, struct timer_entry *timer);

/* Runs rounds until event_loop_stop(). Returns 0 once stopped, or the negative errno of a
 * failed epoll_wait() (EINTR is retried). */
int event_loop_run(struct event_loop *loop);
/* Makes event_loop_run() return at the end of the current round. */
void event_loop_stop(struct event_loop *loop);

#endif
