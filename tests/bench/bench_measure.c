/*
 * What the benchmark's load generators measure with (loadgen.c, transcode_load.c): the
 * monotonic clock and absolute-time pacing, the kernel's receive timestamps (SO_TIMESTAMPNS,
 * CLOCK_REALTIME) converted to that clock, the relay's CPU time and RSS from /proc, and
 * percentiles of 1 us histograms. Single-threaded callers or read-only after setup; no
 * allocation.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_measure.h"

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void sleep_until_ns(int64_t deadline)
{
	struct timespec ts = { .tv_sec = deadline / 1000000000LL, .tv_nsec = deadline % 1000000000LL };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* utime + stime of all threads of PID, in seconds; negative if unreadable. */
double process_cpu_seconds(int pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *file = fopen(path, "r");
	if (!file)
		return -1;
	size_t length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	/* The command name may contain spaces: fields are counted after the last ')'. */
	char *cursor = strrchr(text, ')');
	if (!cursor)
		return -1;
	unsigned long utime = 0, stime = 0;
	if (sscanf(cursor + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
		return -1;
	return (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
}

void read_thread_times(int pid, struct thread_times *times)
{
	char path[64], text[1024];
	times->count = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *tasks = opendir(path);
	if (!tasks)
		return;
	struct dirent *entry;
	while ((entry = readdir(tasks)) && times->count < THREADS_MAX) {
		int tid = atoi(entry->d_name);
		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
		FILE *file = fopen(path, "r");
		if (!file)
			continue;
		size_t length = fread(text, 1, sizeof(text) - 1, file);
		fclose(file);
		text[length] = '\0';
		char *open = strchr(text, '('), *close_paren = strrchr(text, ')');
		unsigned long utime = 0, stime = 0;
		if (!open || !close_paren || close_paren < open ||
				sscanf(close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
			continue;
		int i = times->count++;
		times->tids[i] = tid;
		snprintf(times->names[i], sizeof(times->names[i]), "%.*s", (int) (close_paren - open - 1), open + 1);
		times->seconds[i] = (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
	}
	closedir(tasks);
}

/* Prints "thread_cpu=NAME:SECONDS,..." for the threads alive at both readings (a thread
 * name with ',' or ':' is printed as it is; the relays' are plain). */
void print_thread_cpu(const struct thread_times *before, const struct thread_times *after)
{
	printf("thread_cpu=");
	int printed = 0;
	for (int i = 0; i < after->count; i++)
		for (int j = 0; j < before->count; j++)
			if (before->tids[j] == after->tids[i]) {
				printf("%s%s:%.3f", printed++ ? "," : "", after->names[i], after->seconds[i] - before->seconds[j]);
				break;
			}
	printf("\n");
}

long process_rss_kb(int pid)
{
	char path[64], line[256];
	long rss = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *file = fopen(path, "r");
	if (!file)
		return -1;
	while (fgets(line, sizeof(line), file))
		if (sscanf(line, "VmRSS: %ld kB", &rss) == 1)
			break;
	fclose(file);
	return rss;
}

double own_cpu_seconds(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
		(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}


/* CLOCK_REALTIME minus CLOCK_MONOTONIC, from the tightest of a few back-to-back readings. */
int64_t realtime_offset_ns(void)
{
	int64_t best_offset = 0, best_window = INT64_MAX;
	for (int i = 0; i < 16; i++) {
		struct timespec real;
		int64_t before = now_ns();
		clock_gettime(CLOCK_REALTIME, &real);
		int64_t after = now_ns();
		if (after - before < best_window) {
			best_window = after - before;
			best_offset = (int64_t) real.tv_sec * 1000000000LL + real.tv_nsec - (before + after) / 2;
		}
	}
	return best_offset;
}

/* Monotonic time the kernel queued the datagram (SO_TIMESTAMPNS), or FALLBACK without one. */
int64_t arrival_ns(struct msghdr *header, int64_t realtime_offset, int64_t fallback)
{
	for (struct cmsghdr *control = CMSG_FIRSTHDR(header); control; control = CMSG_NXTHDR(header, control)) {
		if (control->cmsg_level == SOL_SOCKET && control->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec stamp;
			memcpy(&stamp, CMSG_DATA(control), sizeof(stamp));
			return (int64_t) stamp.tv_sec * 1000000000LL + stamp.tv_nsec - realtime_offset;
		}
	}
	return fallback;
}

long histogram_percentile(const uint32_t *histogram, uint64_t total, double fraction)
{
	if (total == 0)
		return -1;
	uint64_t target = (uint64_t) (fraction * total), seen = 0;
	for (long bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket++) {
		seen += histogram[bucket];
		if (seen > target)
			return bucket;
	}
	return HISTOGRAM_BUCKETS - 1;
}
