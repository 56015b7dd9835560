/* The userspace recording stream file: the boundary between the daemon (writer, when the
 * kernel module does not carry a recorded stream) and rtpengine-recording (reader).
 *
 * With the kernel module, a recorded stream is a file under /proc/rtpengine/N/calls/... whose
 * every read() returns one packet: IPv4 or IPv6 header, UDP header, RTP or RTCP in plaintext
 * (the framing of Debian's 10.5 module). A regular file has no read boundaries, so the
 * userspace writer stores the same packets as frames:
 *
 *   struct recording_stream_file_header      once, at offset 0
 *   { struct recording_frame_header; length bytes of packet }   repeated
 *
 * All integers little-endian. A reader that meets a frame it cannot take (length 0 or above
 * RECORDING_FRAME_MAX, truncated at end of file) waits for more data at end of file and
 * otherwise logs and stops reading that file; it never trusts a length beyond the maximum.
 * Where the files live and how the metadata names them: docs/recording.md.
 * Layout changes bump RECORDING_STREAM_VERSION; readers refuse other versions with one line. */
#ifndef RTPENGINE_RECORDING_SPOOL_H
#define RTPENGINE_RECORDING_SPOOL_H

#include <assert.h>
#include <stdint.h>

#define RECORDING_STREAM_MAGIC   0x53505452u   /* "RTPS" read as little-endian bytes */
#define RECORDING_STREAM_VERSION 1u
/* Largest packet a frame carries: an IPv6 header + UDP header + a 1500-byte datagram, with
 * room to spare. */
#define RECORDING_FRAME_MAX      2048u

struct recording_stream_file_header {
	uint32_t magic;          /* RECORDING_STREAM_MAGIC */
	uint16_t version;        /* RECORDING_STREAM_VERSION */
	uint16_t header_size;    /* sizeof(struct recording_stream_file_header) */
	uint32_t frame_header_size; /* sizeof(struct recording_frame_header) */
	uint32_t reserved;       /* 0 */
};

struct recording_frame_header {
	uint32_t length;         /* bytes of packet that follow (IP header + UDP header + payload) */
	uint32_t flags;          /* 0; reserved */
	uint64_t arrival_ns;     /* CLOCK_REALTIME when the relay received the packet */
};

static_assert(sizeof(struct recording_stream_file_header) == 16, "stream file header is 16 bytes");
static_assert(sizeof(struct recording_frame_header) == 16, "frame header is 16 bytes");

#endif
