/* Clocks, pacing, receive timestamps, /proc CPU and histograms for the load generators
 * (bench_measure.c). */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define HISTOGRAM_BUCKETS 200000		/* 1 us buckets: 0 .. 200 ms, last one is overflow */

/* CLOCK_MONOTONIC in ns; sleeps until DEADLINE on that clock (TIMER_ABSTIME, EINTR resumed). */
int64_t now_ns(void);
void sleep_until_ns(int64_t deadline);

/* utime + stime of all threads of PID, in seconds; negative if unreadable. */
double process_cpu_seconds(int pid);

/* Per-thread CPU of PID: names and utime + stime in seconds of up to THREADS_MAX threads, from
 * /proc/PID/task/TID/stat (the name is what the thread set with pthread_setname_np). */
#define THREADS_MAX 64
struct thread_times {
	int count;
	int tids[THREADS_MAX];
	char names[THREADS_MAX][20];
	double seconds[THREADS_MAX];
};
void read_thread_times(int pid, struct thread_times *times);
/* Prints "thread_cpu=NAME:SECONDS,..." for the threads alive at both readings. */
void print_thread_cpu(const struct thread_times *before, const struct thread_times *after);

long process_rss_kb(int pid);
double own_cpu_seconds(void);

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, and the monotonic time the kernel queued a datagram
 * (its SCM_TIMESTAMPNS; FALLBACK without one). */
int64_t realtime_offset_ns(void);
int64_t arrival_ns(struct msghdr *header, int64_t realtime_offset, int64_t fallback);

/* The bucket below which FRACTION of TOTAL samples of a HISTOGRAM_BUCKETS histogram lie; -1
 * without samples. */
long histogram_percentile(const uint32_t *histogram, uint64_t total, double fraction);

#endif
