/* Reading one recorded stream: a kernel /proc stream (every read() returns one packet) or a
 * userspace stream file in lib/recording_spool.h's framing, which the daemon appends to while
 * the call runs. A frame that is not complete yet is read again on the next poll; a frame
 * that cannot be right (bad length, wrong header) ends the reading of that file, logged once. */
#include "recording_daemon.h"
#include "recording_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_BUFFER_SIZE 65536

static uint32_t read_le32(const unsigned char *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint16_t read_le16(const unsigned char *p)
{
	return (uint16_t) (p[0] | p[1] << 8);
}

int stream_check_file_header(const unsigned char *buffer, size_t length, const char **reason)
{
	if (length < sizeof(struct recording_stream_file_header))
		return -EAGAIN;
	if (read_le32(buffer) != RECORDING_STREAM_MAGIC) {
		*reason = "not a recording stream file (bad magic)";
		return -EPROTO;
	}
	if (read_le16(buffer + 4) != RECORDING_STREAM_VERSION) {
		*reason = "recording stream file version not supported (expected " G_STRINGIFY(RECORDING_STREAM_VERSION) ")";
		return -EPROTO;
	}
	if (read_le16(buffer + 6) != sizeof(struct recording_stream_file_header) ||
	    read_le32(buffer + 8) != sizeof(struct recording_frame_header)) {
		*reason = "recording stream file header sizes do not match";
		return -EPROTO;
	}
	return 0;
}

int stream_parse_frame(const unsigned char *buffer, size_t length, const unsigned char **packet,
		       size_t *packet_length, uint64_t *arrival_ns, size_t *frame_length, const char **reason)
{
	const size_t header = sizeof(struct recording_frame_header);
	if (length < header)
		return -EAGAIN;
	uint32_t packet_bytes = read_le32(buffer);
	if (packet_bytes == 0 || packet_bytes > RECORDING_FRAME_MAX) {
		*reason = "frame length 0 or above the maximum";
		return -EPROTO;
	}
	if (length < header + packet_bytes)
		return -EAGAIN;
	*packet = buffer + header;
	*packet_length = packet_bytes;
	*arrival_ns = (uint64_t) read_le32(buffer + 8) | (uint64_t) read_le32(buffer + 12) << 32;
	*frame_length = header + packet_bytes;
	return 0;
}

/* The kernel module and the userspace writer put the same synthetic IPv4 (IHL from the
 * header) or IPv6 (fixed 40 bytes, no extension headers) and UDP headers in front of RTP. */
int packet_udp_payload(const unsigned char *packet, size_t length, size_t *payload_length)
{
	if (length < 1)
		return -EINVAL;
	size_t ip_header;
	unsigned int version = packet[0] >> 4;
	if (version == 4) {
		ip_header = (size_t) (packet[0] & 0x0f) * 4;
		if (ip_header < 20 || length < ip_header || packet[9] != 17)
			return -EINVAL;
	} else if (version == 6) {
		ip_header = 40;
		if (length < ip_header || packet[6] != 17)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (length < ip_header + 8)
		return -EINVAL;
	*payload_length = length - ip_header - 8;
	return (int) (ip_header + 8);
}

int stream_open_file(struct rec_stream *stream)
{
	stream->kernel = g_str_has_prefix(stream->path, "/proc/");
	stream->fd = open(stream->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (stream->fd < 0)
		return -errno;
	stream->offset = 0;
	stream->header_checked = stream->kernel;
	return 0;
}

int stream_peek_first_arrival(struct rec_stream *stream, uint64_t *arrival_ns)
{
	unsigned char buffer[sizeof(struct recording_stream_file_header) + sizeof(struct recording_frame_header) +
			     RECORDING_FRAME_MAX];
	const char *reason;
	if (stream->fd < 0 || stream->kernel)
		return -EAGAIN;
	ssize_t length = pread(stream->fd, buffer, sizeof(buffer), 0);
	if (length < 0 || stream_check_file_header(buffer, (size_t) length, &reason) < 0)
		return -EAGAIN;
	const unsigned char *packet;
	size_t packet_length, frame_length;
	size_t header = sizeof(struct recording_stream_file_header);
	if (stream_parse_frame(buffer + header, (size_t) length - header, &packet, &packet_length, arrival_ns,
			       &frame_length, &reason) < 0)
		return -EAGAIN;
	return 0;
}

void stream_close(struct rec_stream *stream)
{
	if (stream->fd >= 0)
		close(stream->fd);
	stream->fd = -1;
}

static void stream_fail(struct rec_stream *stream, const char *what)
{
	log_call(LOG_WARNING, stream->call->call_id, "stream %lu (%s): %s; no more reading from it", stream->id,
		 stream->path, what);
	stream->failed = true;
	stream_close(stream);
}

static uint64_t now_realtime_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t) now.tv_sec * 1000000000ull + (uint64_t) now.tv_nsec;
}

/* Every packet read goes to the --forward-to consumer as it is (10.5 forwards before decoding),
 * then to recording. */
static void deliver(struct rec_stream *stream, const unsigned char *packet, size_t length, uint64_t arrival_ns)
{
	forward_packet(stream->call, packet, length);
	packet_received(stream, packet, length, arrival_ns);
}

static int read_kernel(struct rec_stream *stream, unsigned int budget)
{
	static __thread unsigned char buffer[READ_BUFFER_SIZE];   /* one per recording thread */
	int count = 0;
	while ((unsigned int) count < budget) {
		ssize_t length = read(stream->fd, buffer, sizeof(buffer));
		if (length < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			stream_fail(stream, strerror(errno));
			break;
		}
		if (length == 0) {      /* the kernel removed the stream: the call's media ended */
			log_call(LOG_INFO, stream->call->call_id, "stream %lu: end of kernel stream", stream->id);
			stream_close(stream);
			break;
		}
		deliver(stream, buffer, (size_t) length, now_realtime_ns());
		count++;
	}
	return count;
}

static int read_userspace(struct rec_stream *stream, unsigned int budget)
{
	static __thread unsigned char buffer[READ_BUFFER_SIZE];   /* one per recording thread */
	int count = 0;
	const char *reason = NULL;
	while ((unsigned int) count < budget) {
		ssize_t length = pread(stream->fd, buffer, sizeof(buffer), stream->offset);
		if (length < 0) {
			if (errno == EINTR)
				continue;
			stream_fail(stream, strerror(errno));
			return count;
		}
		size_t used = 0;
		if (!stream->header_checked) {
			int result = stream_check_file_header(buffer, (size_t) length, &reason);
			if (result == -EAGAIN)
				return count;
			if (result < 0) {
				stream_fail(stream, reason);
				return count;
			}
			stream->header_checked = true;
			used = sizeof(struct recording_stream_file_header);
		}
		int before = count;
		while ((unsigned int) count < budget) {
			const unsigned char *packet;
			size_t packet_length, frame_length;
			uint64_t arrival_ns;
			int result = stream_parse_frame(buffer + used, (size_t) length - used, &packet, &packet_length,
							&arrival_ns, &frame_length, &reason);
			if (result == -EAGAIN)
				break;
			if (result < 0) {
				stream->offset += (off_t) used;
				stream_fail(stream, reason);
				return count;
			}
			deliver(stream, packet, packet_length, arrival_ns);
			used += frame_length;
			count++;
		}
		stream->offset += (off_t) used;
		if (count == before)    /* nothing complete beyond the offset yet */
			return count;
	}
	return count;
}

int stream_read(struct rec_stream *stream, unsigned int budget)
{
	if (stream->fd < 0 || stream->failed)
		return 0;
	return stream->kernel ? read_kernel(stream, budget) : read_userspace(stream, budget);
}
