/* Following the spool directory (docs/recording.md): each metadata file DIR/PREFIX.meta is a
 * call. inotify reports it appearing or growing (IN_CLOSE_WRITE as 10.5's writer, IN_MOVED_TO
 * as ours, which renames a new version over it) and going away (IN_DELETE: the call is over).
 * Files present at start-up are calls that were running when this daemon (re)started. */
#include "recording_daemon.h"

#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* upstream's daemon renames a metadata file to NAME.DISCARD before deleting it when the
 * recording is to be thrown away */
#define DISCARD_SUFFIX ".DISCARD"

static int inotify_fd = -1;
static char *metadata_dir;

static bool is_metadata_name(const char *name)
{
	/* hidden and temporary files are someone's work in progress */
	return name[0] != '.' && !g_str_has_suffix(name, ".tmp");
}

static void handle_event(const struct inotify_event *event)
{
	if (event->len == 0 || (event->mask & IN_ISDIR) || !is_metadata_name(event->name))
		return;
	const char *name = event->name;
	if (g_str_has_suffix(name, DISCARD_SUFFIX)) {
		if (event->mask & IN_MOVED_TO) {
			g_autofree char *original = g_strndup(name, strlen(name) - strlen(DISCARD_SUFFIX));
			workers_post_deleted(original, true);
		}
		return;
	}
	if (event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
		workers_post_changed(name);
	if (event->mask & IN_DELETE)
		workers_post_deleted(name, false);
}

/* Every metadata file in the directory is (re)read; calls whose file is gone end. */
static void rescan(void)
{
	GDir *dir = g_dir_open(metadata_dir, 0, NULL);
	if (dir) {
		const char *name;
		while ((name = g_dir_read_name(dir))) {
			if (is_metadata_name(name) && !g_str_has_suffix(name, DISCARD_SUFFIX))
				workers_post_changed(name);
		}
		g_dir_close(dir);
	}
	workers_post_end_missing();
}

int spool_open(const char *directory)
{
	metadata_dir = g_strdup(directory);
	inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inotify_fd < 0)
		return -errno;
	if (inotify_add_watch(inotify_fd, directory, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE) < 0) {
		int error = -errno;
		close(inotify_fd);
		inotify_fd = -1;
		return error;
	}
	/* after the watch: a file written between the scan and the watch is not missed */
	rescan();
	return inotify_fd;
}

void spool_read_events(void)
{
	char buffer[16 * (sizeof(struct inotify_event) + 256)] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (int round = 0; round < 64; round++) {
		ssize_t length = read(inotify_fd, buffer, sizeof(buffer));
		if (length <= 0) {
			if (length < 0 && errno != EAGAIN && errno != EINTR)
				log_error("reading inotify events: %s", strerror(errno));
			return;
		}
		for (char *p = buffer; p < buffer + length;) {
			const struct inotify_event *event = (const struct inotify_event *) p;
			if (event->mask & IN_Q_OVERFLOW) {
				/* events were lost: what the directory holds now is the truth */
				log_warning("inotify queue overflow: rescanning %s", metadata_dir);
				rescan();
			}
			handle_event(event);
			p += sizeof(struct inotify_event) + event->len;
		}
	}
}

void spool_close(void)
{
	if (inotify_fd >= 0)
		close(inotify_fd);
	inotify_fd = -1;
	g_free(metadata_dir);
	metadata_dir = NULL;
}
