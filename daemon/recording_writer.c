/* The recording writer thread and the media workers' capture queues; see recording_writer.h. */
#include "recording_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>
#include "log.h"
#include "recording_pcap.h"
#include "recording_spool.h"

/* Slots per worker queue: at 50 packets/s per stream and a drain every 5 ms, room for
 * about 800 streams' bursts on one worker; 2 MB per worker, allocated only with recording
 * configured. */
#define QUEUE_SLOTS 1024
/* Largest payload a slot holds: with the largest synthetic header it stays within a
 * stream file frame (RECORDING_FRAME_MAX). */
#define SLOT_DATA (RECORDING_FRAME_MAX - RECORDING_PACKET_HEADER_MAX)
/* Per output: a call's pcap gets about 22 KB/s, a proc stream file 11 KB/s. Writing each
 * output at most every FLUSH_AGE_NS (or when its buffer fills) keeps the writes few: flushing
 * every round meant one write() per packet with hundreds of calls (perf: the writer thread's
 * time was the kernel's buffered-write path), and 8 KB keeps 2000 stream files at 16 MB. */
#define OUTPUT_BUFFER_SIZE (8 * 1024)
#define FLUSH_AGE_NS (100 * 1000000ull)
#define DRAIN_INTERVAL_MS 5
#define IDLE_INTERVAL_MS 1000
/* the largest record: pcap record header + Ethernet + IP/UDP + payload */
#define RECORD_MAX (PCAP_RECORD_HEADER_SIZE + RECORDING_ETHERNET_HEADER_SIZE + RECORDING_PACKET_HEADER_MAX + SLOT_DATA)
_Static_assert(RECORD_MAX <= OUTPUT_BUFFER_SIZE, "an output's buffer holds the largest record");

struct capture_slot {
	const struct recording_sink *sink;
	uint64_t arrival_ns;
	union endpoint source;
	uint32_t length;
	unsigned char data[SLOT_DATA];
};

struct capture_queue {
	_Alignas(64) atomic_uint head;  /* next slot the worker fills */
	uint64_t dropped;               /* written by the worker alone */
	_Alignas(64) atomic_uint tail;  /* next slot the writer reads */
	struct capture_slot slots[QUEUE_SLOTS];
};

struct recording_output {
	int fd;
	enum recording_output_format format;
	char *path, *final_path;
	unsigned char *buffer;
	size_t buffered;
	unsigned int buffered_records;
	off_t good_size;                /* the file up to the last whole record written */
	bool dirty;                     /* in the writer's list of outputs to flush */
	uint64_t buffered_since_ns;     /* CLOCK_MONOTONIC of the oldest buffered record */
	bool failing;                   /* the last write failed */
	int open_error;                 /* fd < 0: why the file could not be created */
	bool failure_logged, recovery_logged;  /* once per output: a nearly full disk flaps */
	atomic_uint_fast64_t records;
};

enum request_kind { REQUEST_RELEASE_SINK, REQUEST_CLOSE_OUTPUT, REQUEST_RUN, REQUEST_RUN_UNTIL };

struct writer_request {
	enum request_kind kind;
	void *object;
	void (*function)(void *data);
	bool (*until)(void *data, bool final);   /* REQUEST_RUN_UNTIL */
};

/* How often a REQUEST_RUN_UNTIL function that is not done yet runs again. */
#define RUN_UNTIL_INTERVAL_NS (100 * 1000000ull)

static struct {
	bool running;
	pthread_t thread;
	unsigned int queue_count;
	struct capture_queue **queues;
	int wake_fd;
	atomic_bool stop;
	atomic_uint open_outputs;
	pthread_mutex_t lock;
	GArray *requests;               /* struct writer_request, under lock */
	GArray *applying;               /* the writer's batch */
	GPtrArray *dirty;               /* writer: outputs with buffered records */
	GArray *waiting;                /* writer: REQUEST_RUN_UNTIL not done yet */
	uint64_t waiting_checked_ns;
	unsigned char record[RECORD_MAX];
	atomic_uint_fast64_t packets, errors;
	uint64_t dropped_earlier;       /* drops of the queues of writers stopped before */
} writer = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1 };

#define COUNTER_ADD(counter, amount) \
	atomic_store_explicit(&(counter), atomic_load_explicit(&(counter), memory_order_relaxed) + (amount), \
			      memory_order_relaxed)

/* ---- writing (writer thread) ------------------------------------------------------------ */

static void output_failed(struct recording_output *output, int error, unsigned int lost)
{
	COUNTER_ADD(writer.errors, lost);
	if (!output->failure_logged)
		log_error("recording: cannot write %s: %s; its packets are lost until writing works again "
			  "(relaying goes on)", output->path, strerror(error));
	output->failing = true;
	output->failure_logged = true;
	/* keep the file to whole records: a later write that works continues a valid file */
	if (output->fd >= 0 && (ftruncate(output->fd, output->good_size) < 0
				|| lseek(output->fd, output->good_size, SEEK_SET) < 0))
		log_debug("recording: cannot cut %s back: %s", output->path, strerror(errno));
}

static void output_flush(struct recording_output *output)
{
	if (!output->buffered)
		return;
	if (output->fd < 0) {
		/* never created: every record is lost, and counted */
		output_failed(output, output->open_error, output->buffered_records);
		output->buffered = 0;
		output->buffered_records = 0;
		return;
	}
	size_t done = 0;
	while (done < output->buffered) {
		ssize_t written = write(output->fd, output->buffer + done, output->buffered - done);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0) {
			output_failed(output, written < 0 ? errno : ENOSPC, output->buffered_records);
			output->buffered = 0;
			output->buffered_records = 0;
			return;
		}
		done += (size_t) written;
	}
	if (output->failing && !output->recovery_logged) {
		log_notice("recording: writing %s works again", output->path);
		output->recovery_logged = true;
	}
	output->failing = false;
	output->good_size += (off_t) output->buffered;
	COUNTER_ADD(writer.packets, output->buffered_records);
	output->buffered = 0;
	output->buffered_records = 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t) now.tv_sec * 1000000000u + (uint64_t) now.tv_nsec;
}

/* Writes the outputs whose oldest buffered record is older than FLUSH_AGE_NS (all of them
 * with everything true: stopping). */
static void flush_dirty_outputs(bool everything)
{
	uint64_t now = monotonic_ns();
	for (unsigned int i = 0; i < writer.dirty->len;) {
		struct recording_output *output = g_ptr_array_index(writer.dirty, i);
		if (!everything && output->buffered && now - output->buffered_since_ns < FLUSH_AGE_NS) {
			i++;
			continue;
		}
		output_flush(output);
		output->dirty = false;
		g_ptr_array_remove_index_fast(writer.dirty, i);
	}
}

/* A kernel stream file takes one packet per write() and queues it at once (the module
 * bounds the queue): nothing to buffer. Packets relayed in userspace only come this way
 * (the kernel records what it forwards itself), so this is a few writes per stream. */
static void kernel_stream_write(struct recording_output *output, const unsigned char *packet, size_t length)
{
	atomic_fetch_add_explicit(&output->records, 1, memory_order_relaxed);
	if (output->fd < 0) {
		output_failed(output, output->open_error, 1);
		return;
	}
	ssize_t written;
	do
		written = write(output->fd, packet, length);
	while (written < 0 && errno == EINTR);
	if (written != (ssize_t) length) {
		/* EPIPE: the module ended the stream (the call's recording is finishing) */
		COUNTER_ADD(writer.errors, 1);
		if (!output->failure_logged && !(written < 0 && errno == EPIPE))
			log_error("recording: cannot write kernel stream %s: %s", output->path,
				  written < 0 ? strerror(errno) : "short write");
		output->failure_logged = true;
		return;
	}
	COUNTER_ADD(writer.packets, 1);
}

/* One record into the output's buffer, in the output's format. */
static void append_record(const struct capture_slot *slot)
{
	struct recording_output *output = slot->sink->output;
	unsigned char *record = writer.record;
	size_t header_offset;
	bool pcap = output->format != RECORDING_OUTPUT_STREAM && output->format != RECORDING_OUTPUT_KERNEL_STREAM;
	bool ethernet = output->format == RECORDING_OUTPUT_PCAP_ETHERNET;
	if (output->format == RECORDING_OUTPUT_KERNEL_STREAM)
		header_offset = 0;
	else if (pcap)
		header_offset = PCAP_RECORD_HEADER_SIZE + (ethernet ? RECORDING_ETHERNET_HEADER_SIZE : 0);
	else
		header_offset = sizeof(struct recording_frame_header);
	size_t ip_length = recording_packet_header(record + header_offset, &slot->source, &slot->sink->local,
						   slot->length);
	if (!ip_length) {
		/* a source of the other family (cannot happen on one socket): not representable */
		COUNTER_ADD(writer.errors, 1);
		return;
	}
	memcpy(record + header_offset + ip_length, slot->data, slot->length);
	size_t packet_length = ip_length + slot->length;
	size_t total;
	if (output->format == RECORDING_OUTPUT_KERNEL_STREAM) {
		kernel_stream_write(output, record, packet_length);
		return;
	}
	if (pcap) {
		size_t frame_length = packet_length + (ethernet ? RECORDING_ETHERNET_HEADER_SIZE : 0);
		if (ethernet)
			recording_ethernet_header(record + PCAP_RECORD_HEADER_SIZE, slot->source.address.sa_family);
		pcap_record_header(record, slot->arrival_ns, (uint32_t) frame_length);
		total = PCAP_RECORD_HEADER_SIZE + frame_length;
	} else {
		struct recording_frame_header frame = {
			.length = (uint32_t) packet_length, .flags = 0, .arrival_ns = slot->arrival_ns,
		};
		/* little-endian by definition (lib/recording_spool.h); this daemon runs on
		 * little-endian hosts only (static assert below) */
		memcpy(record, &frame, sizeof(frame));
		total = sizeof(frame) + packet_length;
	}
	if (output->buffered + total > OUTPUT_BUFFER_SIZE)
		output_flush(output);
	if (!output->buffered)
		output->buffered_since_ns = monotonic_ns();
	memcpy(output->buffer + output->buffered, record, total);
	output->buffered += total;
	output->buffered_records++;
	/* counted when appended: the metadata's "SDP before RTP packet" numbers what was captured */
	atomic_fetch_add_explicit(&output->records, 1, memory_order_relaxed);
	if (!output->dirty) {
		output->dirty = true;
		g_ptr_array_add(writer.dirty, output);
	}
}
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "stream files are written in host byte order");

static void drain_queues(void)
{
	for (unsigned int q = 0; q < writer.queue_count; q++) {
		struct capture_queue *queue = writer.queues[q];
		unsigned int tail = atomic_load_explicit(&queue->tail, memory_order_relaxed);
		unsigned int head = atomic_load_explicit(&queue->head, memory_order_acquire);
		while (tail != head) {
			append_record(&queue->slots[tail % QUEUE_SLOTS]);
			tail++;
		}
		atomic_store_explicit(&queue->tail, tail, memory_order_release);
	}
}

static void output_free(struct recording_output *output)
{
	output_flush(output);
	if (output->fd >= 0 && close(output->fd) < 0)
		log_error("recording: closing %s: %s", output->path, strerror(errno));
	if (output->fd >= 0 && output->final_path && rename(output->path, output->final_path) < 0)
		log_error("recording: cannot move %s to %s: %s", output->path, output->final_path, strerror(errno));
	atomic_fetch_sub(&writer.open_outputs, 1);
	g_free(output->path);
	g_free(output->final_path);
	g_free(output->buffer);
	g_free(output);
}

static void apply_requests(GArray *requests)
{
	for (unsigned int i = 0; i < requests->len; i++) {
		struct writer_request *request = &g_array_index(requests, struct writer_request, i);
		switch (request->kind) {
		case REQUEST_RELEASE_SINK:
			g_free(request->object);
			break;
		case REQUEST_CLOSE_OUTPUT: {
			struct recording_output *output = request->object;
			if (output->dirty) {
				/* still listed: take it out before it is freed */
				g_ptr_array_remove_fast(writer.dirty, output);
				output->dirty = false;
			}
			output_free(output);
			break;
		}
		case REQUEST_RUN:
			request->function(request->object);
			break;
		case REQUEST_RUN_UNTIL:
			if (!request->until(request->object, false))
				g_array_append_val(writer.waiting, *request);
			break;
		}
	}
	g_array_set_size(requests, 0);
}

/* Runs the waiting functions again (every RUN_UNTIL_INTERVAL_NS; all to the end: final). */
static void run_waiting(bool final)
{
	uint64_t now = monotonic_ns();
	if (!writer.waiting->len || (!final && now - writer.waiting_checked_ns < RUN_UNTIL_INTERVAL_NS))
		return;
	writer.waiting_checked_ns = now;
	for (unsigned int i = 0; i < writer.waiting->len;) {
		struct writer_request *request = &g_array_index(writer.waiting, struct writer_request, i);
		if (request->until(request->object, final))
			g_array_remove_index(writer.waiting, i);
		else
			i++;
	}
}

/* One round: take the requests posted so far, then drain the queues (every capture that
 * names a sink released by those requests was queued before the request was posted), write,
 * then apply the requests. */
static void writer_round(void)
{
	pthread_mutex_lock(&writer.lock);
	GArray *taken = writer.requests;
	writer.requests = writer.applying;
	writer.applying = taken;
	pthread_mutex_unlock(&writer.lock);
	drain_queues();
	flush_dirty_outputs(atomic_load(&writer.stop));
	apply_requests(taken);
	run_waiting(false);
}

static void *writer_main(void *argument)
{
	(void) argument;
	pthread_setname_np(pthread_self(), "recording");
	while (!atomic_load(&writer.stop)) {
		int timeout = atomic_load_explicit(&writer.open_outputs, memory_order_relaxed) || writer.waiting->len
			? DRAIN_INTERVAL_MS : IDLE_INTERVAL_MS;
		struct pollfd wake = { .fd = writer.wake_fd, .events = POLLIN };
		if (poll(&wake, 1, timeout) > 0) {
			uint64_t count;
			if (read(writer.wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				log_debug("recording: wake-up read: %s", strerror(errno));
		}
		writer_round();
	}
	writer_round();
	run_waiting(true);
	return NULL;
}

static void post(const struct writer_request *request)
{
	pthread_mutex_lock(&writer.lock);
	g_array_append_val(writer.requests, *request);
	pthread_mutex_unlock(&writer.lock);
	uint64_t one = 1;
	if (writer.wake_fd >= 0 && write(writer.wake_fd, &one, sizeof(one)) < 0)
		log_debug("recording: wake-up write: %s", strerror(errno));
}

/* ---- public functions ------------------------------------------------------------------- */

int recording_writer_start(unsigned int worker_count)
{
	if (writer.running)
		return -EALREADY;
	if (worker_count == 0)
		worker_count = 1;
	writer.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (writer.wake_fd < 0)
		return -errno;
	writer.queue_count = worker_count;
	writer.queues = g_new0(struct capture_queue *, worker_count);
	for (unsigned int i = 0; i < worker_count; i++) {
		void *memory = NULL;
		if (posix_memalign(&memory, 64, sizeof(struct capture_queue)) != 0) {
			recording_writer_stop();
			return -ENOMEM;
		}
		memset(memory, 0, sizeof(struct capture_queue));
		writer.queues[i] = memory;
	}
	writer.requests = g_array_new(FALSE, FALSE, sizeof(struct writer_request));
	writer.applying = g_array_new(FALSE, FALSE, sizeof(struct writer_request));
	writer.dirty = g_ptr_array_new();
	writer.waiting = g_array_new(FALSE, FALSE, sizeof(struct writer_request));
	atomic_store(&writer.stop, false);
	int error = pthread_create(&writer.thread, NULL, writer_main, NULL);
	if (error) {
		recording_writer_stop();
		return -error;
	}
	writer.running = true;
	return 0;
}

void recording_writer_stop(void)
{
	if (writer.running) {
		atomic_store(&writer.stop, true);
		uint64_t one = 1;
		if (write(writer.wake_fd, &one, sizeof(one)) < 0)
			log_debug("recording: wake-up write: %s", strerror(errno));
		pthread_join(writer.thread, NULL);
		writer.running = false;
	}
	for (unsigned int i = 0; writer.queues && i < writer.queue_count; i++) {
		writer.dropped_earlier += __atomic_load_n(&writer.queues[i]->dropped, __ATOMIC_RELAXED);
		free(writer.queues[i]);
	}
	g_free(writer.queues);
	writer.queues = NULL;
	writer.queue_count = 0;
	if (writer.requests)
		g_array_free(writer.requests, TRUE);
	if (writer.applying)
		g_array_free(writer.applying, TRUE);
	if (writer.dirty)
		g_ptr_array_free(writer.dirty, TRUE);
	if (writer.waiting)
		g_array_free(writer.waiting, TRUE);
	writer.waiting = NULL;
	writer.requests = writer.applying = NULL;
	writer.dirty = NULL;
	if (writer.wake_fd >= 0)
		close(writer.wake_fd);
	writer.wake_fd = -1;
}

void recording_capture(unsigned int worker, const struct recording_sink *sink, const union endpoint *source,
		       const unsigned char *packet, size_t length)
{
	/* one queue per media worker (recording_init gets the relay's worker count): a single
	 * producer each, so the modulo never maps two workers onto one queue */
	struct capture_queue *queue = writer.queues[worker % writer.queue_count];
	unsigned int head = atomic_load_explicit(&queue->head, memory_order_relaxed);
	unsigned int tail = atomic_load_explicit(&queue->tail, memory_order_acquire);
	if (head - tail >= QUEUE_SLOTS || length > SLOT_DATA) {
		__atomic_store_n(&queue->dropped, queue->dropped + 1, __ATOMIC_RELAXED);
		return;
	}
	struct capture_slot *slot = &queue->slots[head % QUEUE_SLOTS];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	slot->sink = sink;
	slot->arrival_ns = (uint64_t) now.tv_sec * 1000000000u + (uint64_t) now.tv_nsec;
	slot->source = *source;
	slot->length = (uint32_t) length;
	memcpy(slot->data, packet, length);
	atomic_store_explicit(&queue->head, head + 1, memory_order_release);
}

static struct recording_output *output_new(int fd, const char *path, const char *final_path,
					    enum recording_output_format format, off_t good_size, uint64_t records)
{
	struct recording_output *output = g_new0(struct recording_output, 1);
	output->fd = fd;
	output->format = format;
	output->path = g_strdup(path);
	output->final_path = g_strdup(final_path);
	output->buffer = g_malloc(OUTPUT_BUFFER_SIZE);
	output->good_size = good_size;
	atomic_store_explicit(&output->records, records, memory_order_relaxed);
	/* from the idle interval to the drain interval at once */
	if (atomic_fetch_add(&writer.open_outputs, 1) == 0 && writer.wake_fd >= 0) {
		uint64_t one = 1;
		if (write(writer.wake_fd, &one, sizeof(one)) < 0)
			log_debug("recording: wake-up write: %s", strerror(errno));
	}
	return output;
}

struct recording_output *recording_writer_open_output(const char *path, const char *final_path,
						      enum recording_output_format format)
{
	bool kernel = format == RECORDING_OUTPUT_KERNEL_STREAM;
	int fd = kernel ? open(path, O_WRONLY | O_CLOEXEC) : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	unsigned char header[PCAP_FILE_HEADER_SIZE];
	size_t length;
	if (kernel) {
		length = 0;
	} else if (format == RECORDING_OUTPUT_STREAM) {
		struct recording_stream_file_header stream_header = {
			.magic = RECORDING_STREAM_MAGIC,
			.version = RECORDING_STREAM_VERSION,
			.header_size = sizeof(struct recording_stream_file_header),
			.frame_header_size = sizeof(struct recording_frame_header),
		};
		_Static_assert(sizeof(stream_header) <= sizeof(header), "header buffer");
		memcpy(header, &stream_header, sizeof(stream_header));
		length = sizeof(stream_header);
	} else {
		length = pcap_file_header(header, format == RECORDING_OUTPUT_PCAP_ETHERNET ? PCAP_LINKTYPE_ETHERNET
					  : PCAP_LINKTYPE_RAW);
	}
	if (length && write(fd, header, length) != (ssize_t) length) {
		int error = errno ? errno : ENOSPC;
		close(fd);
		unlink(path);
		errno = error;
		return NULL;
	}
	return output_new(fd, path, final_path, format, (off_t) length, 0);
}

struct recording_output *recording_writer_continue_output(const char *path, const char *final_path,
							  enum recording_output_format format)
{
	if (format != RECORDING_OUTPUT_PCAP_RAW && format != RECORDING_OUTPUT_PCAP_ETHERNET) {
		errno = EINVAL;
		return NULL;
	}
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	int error = 0;
	size_t whole = 0;
	uint64_t records = 0;
	struct stat status;
	if (fstat(fd, &status) < 0) {
		error = errno;
	} else if (!S_ISREG(status.st_mode) || status.st_size < PCAP_FILE_HEADER_SIZE) {
		error = EPROTO;
	} else {
		/* read once, at restore, on the control thread: a one-hour call is about 80 MB of
		 * page cache walked header to header */
		size_t size = (size_t) status.st_size;
		void *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (data == MAP_FAILED) {
			error = errno;
		} else {
			uint32_t linktype = format == RECORDING_OUTPUT_PCAP_ETHERNET ? PCAP_LINKTYPE_ETHERNET
				: PCAP_LINKTYPE_RAW;
			error = -pcap_whole_records(data, size, linktype, &whole, &records);
			munmap(data, size);
		}
		if (!error && whole != size)
			log_warning("recording: %s ends in a partial record: cut back to %zu bytes (%" PRIu64
				    " whole records)", path, whole, records);
		if (!error && ((whole != size && ftruncate(fd, (off_t) whole) < 0)
			       || lseek(fd, (off_t) whole, SEEK_SET) < 0))
			error = errno;
	}
	if (error) {
		close(fd);
		errno = error;
		return NULL;
	}
	return output_new(fd, path, final_path, format, (off_t) whole, records);
}

struct recording_output *recording_writer_unwritable_output(const char *path, int error,
							    enum recording_output_format format)
{
	struct recording_output *output = g_new0(struct recording_output, 1);
	output->fd = -1;
	output->open_error = error;
	output->format = format;
	output->path = g_strdup(path);
	output->buffer = g_malloc(OUTPUT_BUFFER_SIZE);
	atomic_fetch_add(&writer.open_outputs, 1);
	return output;
}

uint64_t recording_output_records(const struct recording_output *output)
{
	return atomic_load_explicit(&output->records, memory_order_relaxed);
}

void recording_writer_release_sink(struct recording_sink *sink)
{
	if (!sink)
		return;
	if (!writer.running) {
		g_free(sink);
		return;
	}
	struct writer_request request = { .kind = REQUEST_RELEASE_SINK, .object = sink };
	post(&request);
}

void recording_writer_close_output(struct recording_output *output)
{
	if (!output)
		return;
	if (!writer.running) {
		output_free(output);
		return;
	}
	struct writer_request request = { .kind = REQUEST_CLOSE_OUTPUT, .object = output };
	post(&request);
}

void recording_writer_run(void (*function)(void *data), void *data)
{
	if (!writer.running) {
		function(data);
		return;
	}
	struct writer_request request = { .kind = REQUEST_RUN, .object = data, .function = function };
	post(&request);
}

void recording_writer_run_until(bool (*function)(void *data, bool final), void *data)
{
	if (!writer.running) {
		function(data, true);
		return;
	}
	struct writer_request request = { .kind = REQUEST_RUN_UNTIL, .object = data, .until = function };
	post(&request);
}

void recording_writer_read_totals(struct recording_writer_totals *totals)
{
	totals->packets = atomic_load_explicit(&writer.packets, memory_order_relaxed);
	totals->errors = atomic_load_explicit(&writer.errors, memory_order_relaxed);
	totals->dropped = writer.dropped_earlier;
	for (unsigned int i = 0; writer.running && i < writer.queue_count; i++)
		totals->dropped += __atomic_load_n(&writer.queues[i]->dropped, __ATOMIC_RELAXED);
}
