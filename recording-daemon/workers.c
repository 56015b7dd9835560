/* The recording threads (--num-threads): each owns a share of the calls, chosen by a hash of
 * the metadata file name, and does all of their work (metadata, streams, decoding, files) on
 * its own, so nothing of a call is ever shared between threads. The main thread only watches
 * the spool (spool.c) and posts each change to the owning thread's queue, which wakes it
 * through an eventfd; between posts every thread reads its open streams every 50 ms. */
#include "recording_daemon.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* How often open streams are read. Stream files have no wake-up of their own (inotify on every
 * stream file would cost more than this poll); 50 ms bounds the backlog to a few packets. */
#define POLL_INTERVAL_MS 50

enum work_kind { WORK_CHANGED, WORK_DELETED, WORK_DISCARDED, WORK_END_MISSING, WORK_STOP };

struct work_item {
	enum work_kind kind;
	char *name;
};

struct worker {
	pthread_t thread;
	int event_fd;
	pthread_mutex_t lock;
	GQueue queue;                   /* struct work_item *, under lock */
	bool started;
};

static struct worker *workers;
static unsigned int worker_count;
static char *metadata_dir;

static void post(struct worker *worker, enum work_kind kind, const char *name)
{
	struct work_item *item = g_new0(struct work_item, 1);
	item->kind = kind;
	item->name = g_strdup(name);
	pthread_mutex_lock(&worker->lock);
	g_queue_push_tail(&worker->queue, item);
	pthread_mutex_unlock(&worker->lock);
	uint64_t one = 1;
	if (write(worker->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("waking a recording thread: %s", strerror(errno));
}

static struct worker *owner(const char *name)
{
	return &workers[g_str_hash(name) % worker_count];
}

/* Returns true on WORK_STOP. */
static bool run_queue(struct worker *worker)
{
	uint64_t count;
	if (read(worker->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_error("reading a recording thread's eventfd: %s", strerror(errno));
	bool stop = false;
	for (;;) {
		pthread_mutex_lock(&worker->lock);
		struct work_item *item = g_queue_pop_head(&worker->queue);
		pthread_mutex_unlock(&worker->lock);
		if (!item)
			break;
		switch (item->kind) {
		case WORK_CHANGED: calls_metadata_changed(metadata_dir, item->name); break;
		case WORK_DELETED: calls_metadata_deleted(item->name, false); break;
		case WORK_DISCARDED: calls_metadata_deleted(item->name, true); break;
		case WORK_END_MISSING: calls_end_missing(metadata_dir); break;
		case WORK_STOP: stop = true; break;
		}
		g_free(item->name);
		g_free(item);
	}
	return stop;
}

static void *worker_main(void *data)
{
	struct worker *worker = data;
	calls_init();
	struct pollfd wake = { .fd = worker->event_fd, .events = POLLIN };
	for (;;) {
		int ready = poll(&wake, 1, POLL_INTERVAL_MS);
		if (ready < 0 && errno != EINTR) {
			log_error("poll in a recording thread: %s", strerror(errno));
			break;
		}
		if (ready > 0 && run_queue(worker))
			break;
		calls_poll_streams();
	}
	calls_shutdown();
	return NULL;
}

int workers_start(unsigned int count, const char *directory)
{
	metadata_dir = g_strdup(directory);
	worker_count = count;
	workers = g_new0(struct worker, count);
	for (unsigned int i = 0; i < count; i++) {
		pthread_mutex_init(&workers[i].lock, NULL);
		g_queue_init(&workers[i].queue);
		workers[i].event_fd = -1;
	}
	for (unsigned int i = 0; i < count; i++) {
		struct worker *worker = &workers[i];
		worker->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (worker->event_fd < 0)
			return -errno;
		int error = pthread_create(&worker->thread, NULL, worker_main, worker);
		if (error)
			return -error;
		worker->started = true;
	}
	return 0;
}

void workers_post_changed(const char *name)
{
	post(owner(name), WORK_CHANGED, name);
}

void workers_post_deleted(const char *name, bool discard)
{
	post(owner(name), discard ? WORK_DISCARDED : WORK_DELETED, name);
}

void workers_post_end_missing(void)
{
	for (unsigned int i = 0; i < worker_count; i++)
		post(&workers[i], WORK_END_MISSING, "");
}

void workers_stop(void)
{
	for (unsigned int i = 0; i < worker_count; i++)
		if (workers[i].started)
			post(&workers[i], WORK_STOP, "");
	for (unsigned int i = 0; i < worker_count; i++) {
		struct worker *worker = &workers[i];
		if (worker->started)
			pthread_join(worker->thread, NULL);
		if (worker->event_fd >= 0)
			close(worker->event_fd);
		struct work_item *item;
		while ((item = g_queue_pop_head(&worker->queue))) {
			g_free(item->name);
			g_free(item);
		}
		pthread_mutex_destroy(&worker->lock);
	}
	g_free(workers);
	workers = NULL;
	worker_count = 0;
	g_free(metadata_dir);
	metadata_dir = NULL;
}
