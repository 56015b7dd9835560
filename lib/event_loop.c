/* The epoll event loop; see event_loop.h.
 *
 * Registrations live in a table indexed by fd number. Each epoll event carries the fd and the
 * generation of its registration; a registration removed during a round (and perhaps replaced
 * by a new fd with the same number) no longer matches the events epoll_wait() returned for
 * the old one, so they are skipped without any bookkeeping per removal. */
#include "event_loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EVENT_LOOP_BATCH 32   /* epoll events per round */

struct fd_registration {
	event_fd_callback *callback;
	void *data;
	uint32_t generation;   /* of the current (or last) registration of this fd number */
	bool registered;
};

struct event_loop {
	int epoll_fd;
	bool stopping;
	uint32_t next_generation;
	struct fd_registration *registrations;
	unsigned int registration_count;   /* entries, i.e. highest fd seen + 1 */
	struct timer_heap timers;
	struct epoll_event events[EVENT_LOOP_BATCH];
};

static uint64_t event_tag(int fd, uint32_t generation)
{
	return (uint64_t) generation << 32 | (uint32_t) fd;
}

static struct fd_registration *registration_of(struct event_loop *loop, int fd)
{
	if (fd < 0 || (unsigned int) fd >= loop->registration_count || !loop->registrations[fd].registered)
		return NULL;
	return &loop->registrations[fd];
}

static int make_room_for(struct event_loop *loop, int fd)
{
	if ((unsigned int) fd < loop->registration_count)
		return 0;
	unsigned int count = loop->registration_count * 2;
	if (count <= (unsigned int) fd)
		count = (unsigned int) fd + 16;
	struct fd_registration *grown = realloc(loop->registrations, count * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	memset(grown + loop->registration_count, 0, (count - loop->registration_count) * sizeof(*grown));
	loop->registrations = grown;
	loop->registration_count = count;
	return 0;
}

static void dispatch(struct event_loop *loop, const struct epoll_event *event)
{
	int fd = (int) (uint32_t) event->data.u64;
	uint32_t generation = (uint32_t) (event->data.u64 >> 32);
	struct fd_registration *registration = registration_of(loop, fd);
	if (!registration || registration->generation != generation)
		return;   /* removed by an earlier callback of this round */
	registration->callback(loop, fd, event->events, registration->data);
}

struct event_loop *event_loop_new(void)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		int error = errno;
		free(loop);
		errno = error;
		return NULL;
	}
	timer_heap_init(&loop->timers);
	return loop;
}

void event_loop_free(struct event_loop *loop)
{
	if (!loop)
		return;
	close(loop->epoll_fd);
	timer_heap_destroy(&loop->timers);
	free(loop->registrations);
	free(loop);
}

int event_loop_add_fd(struct event_loop *loop, int fd, uint32_t events, event_fd_callback *callback, void *data)
{
	if (fd < 0 || !callback)
		return -EINVAL;
	if (registration_of(loop, fd))
		return -EEXIST;
	int error = make_room_for(loop, fd);
	if (error)
		return error;
	uint32_t generation = ++loop->next_generation;
	struct epoll_event event = { .events = events, .data.u64 = event_tag(fd, generation) };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0)
		return -errno;
	loop->registrations[fd] = (struct fd_registration) {
		.callback = callback, .data = data, .generation = generation, .registered = true,
	};
	return 0;
}

int event_loop_modify_fd(struct event_loop *loop, int fd, uint32_t events)
{
	struct fd_registration *registration = registration_of(loop, fd);
	if (!registration)
		return -ENOENT;
	struct epoll_event event = { .events = events, .data.u64 = event_tag(fd, registration->generation) };
	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &event) < 0 ? -errno : 0;
}

int event_loop_remove_fd(struct event_loop *loop, int fd)
{
	struct fd_registration *registration = registration_of(loop, fd);
	if (!registration)
		return -ENOENT;
	registration->registered = false;
	/* EBADF, ENOENT: the caller closed it first (and perhaps the number was reused), which
	 * took it out of the epoll set already unless it had been duplicated */
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF && errno != ENOENT)
		return -errno;
	return 0;
}

int event_loop_timer_arm(struct event_loop *loop, struct timer_entry *timer, int64_t deadline_us,
			 int64_t interval_us)
{
	return timer_heap_arm(&loop->timers, timer, deadline_us, interval_us);
}

void event_loop_timer_cancel(struct event_loop *loop, struct timer_entry *timer)
{
	timer_heap_cancel(&loop->timers, timer);
}

int event_loop_run(struct event_loop *loop)
{
	loop->stopping = false;
	while (!loop->stopping) {
		int timeout_ms = -1;
		if (loop->timers.count)
			timeout_ms = timer_heap_timeout_ms(&loop->timers, timer_now_us(), -1);
		int ready = epoll_wait(loop->epoll_fd, loop->events, EVENT_LOOP_BATCH, timeout_ms);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < ready; i++)
			dispatch(loop, &loop->events[i]);
		if (loop->timers.count)
			timer_heap_fire_due(&loop->timers, timer_now_us());
	}
	return 0;
}

void event_loop_stop(struct event_loop *loop)
{
	loop->stopping = true;
}
