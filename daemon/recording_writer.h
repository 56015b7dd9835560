/* The recording writer: gets recorded packets off the packet path and into files without
 * ever making a media worker wait.
 *
 * Each media worker has a bounded single-producer queue of fixed slots (no allocation, no
 * lock, no system call on the packet path but a vDSO clock read): recording_capture() copies
 * the plaintext packet, its source and arrival time into the next free slot, or counts a drop
 * when the queue is full or the packet too large. One writer thread drains every queue every
 * few milliseconds, puts the synthetic IP/UDP header in front (recording_pcap.h) and appends
 * whole records to each output's 8 KB buffer, written with one write() when it fills or its
 * oldest record is 100 ms old (and when the output closes). A
 * failed or short write (disk full, read-only, I/O error) is logged once per output, counted,
 * and cut back (ftruncate) to the last whole record, so a file never holds a partial record;
 * relaying is never affected.
 *
 * Outputs (a pcap file, a proc stream file) and sinks (what a stream's packets go to: an
 * output and the stream's local address) are created by the control thread. A sink is
 * reachable from the packet path while published in stream->extras under the call's lock;
 * after unpublishing it (under the lock: every capture naming it is then in a queue) the
 * control thread hands it back with recording_writer_release_sink(), and outputs with
 * recording_writer_close_output(). The writer applies such requests only after draining the
 * queues, so nothing queued ever points to freed memory. Requests are applied in the order
 * posted; recording_writer_run() runs a function on the writer thread after the requests
 * before it (finishing metadata once a call's files are closed). */
#ifndef RTPENGINE_RECORDING_WRITER_H
#define RTPENGINE_RECORDING_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"

enum recording_output_format {
	RECORDING_OUTPUT_PCAP_RAW,      /* PCAP, LINKTYPE_RAW */
	RECORDING_OUTPUT_PCAP_ETHERNET, /* PCAP, Ethernet frames */
	RECORDING_OUTPUT_STREAM,        /* lib/recording_spool.h framing */
	RECORDING_OUTPUT_KERNEL_STREAM, /* a kernel module stream file: one write() per packet */
};

struct recording_output;

struct recording_sink {
	struct recording_output *output;
	union endpoint local;           /* our address and port the stream receives on */
	uint32_t kernel_stream;         /* the kernel module's stream (its output's file), 0: none */
};

struct recording_writer_totals {
	uint64_t packets;               /* records written */
	uint64_t dropped;               /* queue full or packet too large: never reached a file */
	uint64_t errors;                /* lost to failed writes (disk full, read-only, I/O error) */
};

/* Starts the writer thread with one queue per media worker. Returns 0 or -errno. */
int recording_writer_start(unsigned int worker_count);
/* Drains the queues, applies every request posted, closes what is still open; joins. */
void recording_writer_stop(void);

/* Media worker `worker`, under the call's lock: queues a copy of the packet (plaintext
 * RTP/RTCP as received from source) for the sink's output. Never blocks. */
void recording_capture(unsigned int worker, const struct recording_sink *sink, const union endpoint *source,
		       const unsigned char *packet, size_t length);

/* Control thread. Creates path (writing) with the format's file header and returns the
 * output, or NULL with errno set. When final_path is not NULL the file is renamed to it once
 * closed. RECORDING_OUTPUT_KERNEL_STREAM opens an existing /proc stream file instead, with no
 * header; each packet (IP/UDP header and payload, no frame header) is one write(). */
struct recording_output *recording_writer_open_output(const char *path, const char *final_path,
						      enum recording_output_format format);
/* Control thread: a PCAP output (RECORDING_OUTPUT_PCAP_*) that goes on in path, an existing
 * capture of that format (a call restored from Redis whose previous daemon was killed): its
 * header is kept, a partial record at its end cut off (logged), records are appended after
 * the whole ones and counted from their number. NULL with errno set: ENOENT (no such file),
 * EPROTO (not a capture of this format: another linktype or byte order), or the system
 * call's; the caller then makes a new file. */
struct recording_output *recording_writer_continue_output(const char *path, const char *final_path,
							  enum recording_output_format format);
/* Control thread: an output for a file that could not be created (error: its errno): every
 * record sent to it is counted as lost (recordingerrors) and the reason logged once. */
struct recording_output *recording_writer_unwritable_output(const char *path, int error,
							    enum recording_output_format format);
/* Control thread: records written to the output so far (as last counted by the writer). */
uint64_t recording_output_records(const struct recording_output *output);
void recording_writer_release_sink(struct recording_sink *sink);
void recording_writer_close_output(struct recording_output *output);
void recording_writer_run(void (*function)(void *data), void *data);
/* Like recording_writer_run, then again every 100 ms until function returns true; when the
 * writer stops it is called with final set and must finish then. */
void recording_writer_run_until(bool (*function)(void *data, bool final), void *data);

/* Any thread (relaxed reads). */
void recording_writer_read_totals(struct recording_writer_totals *totals);

#endif
