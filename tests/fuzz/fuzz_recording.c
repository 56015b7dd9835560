/* Fuzz target for rtpengine-recording's readers of the daemon's files: the metadata section
 * parser (recording-daemon/metafile.c, with the structured contents it hands on) and the
 * userspace stream file framing (stream_reader.c). Invariants: the parser never reports more
 * consumed than given, parsing on from there agrees, and frames never reach past the input. */
#include "recording_daemon.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* stream_reader.c hands packets on to packet.c and forward.c, which are not part of this target */
void packet_received(struct rec_stream *stream, const unsigned char *packet, size_t length, uint64_t arrival_ns)
{
	(void) stream;
	(void) packet;
	(void) length;
	(void) arrival_ns;
}

void forward_packet(struct rec_call *call, const unsigned char *packet, size_t length)
{
	(void) call;
	(void) packet;
	(void) length;
}

static void visit(const char *name, const char *content, size_t content_length, void *data)
{
	size_t *sections = data;
	(*sections)++;
	if (strlen(content) != content_length || !name[0])
		abort();
	struct metafile_stream_details details;
	metafile_parse_stream_details(content, &details);
	char encoding[32];
	int clock_rate, channels;
	if (metafile_parse_rtpmap(content, encoding, sizeof(encoding), &clock_rate, &channels) == 0 &&
	    (clock_rate <= 0 || channels <= 0 || strlen(encoding) >= sizeof(encoding)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t consumed, sections = 0;
	const char *reason = NULL;
	int result = metafile_parse((const char *) data, size, &consumed, &reason, visit, &sections);
	if (consumed > size || (result == -EINVAL && !reason) || (result == 0 && consumed != size))
		abort();
	if (result != 0 && result != -EAGAIN && result != -EINVAL)
		abort();
	size_t again = 0, rest;
	if (metafile_parse((const char *) data, consumed, &rest, &reason, visit, &again) != 0 || again != sections)
		abort();

	size_t offset = 0;
	if (stream_check_file_header(data, size, &reason) == 0)
		offset = 16;
	for (unsigned int frames = 0; offset < size && frames < 10000; frames++) {
		const unsigned char *packet;
		size_t packet_length, frame_length;
		uint64_t arrival;
		if (stream_parse_frame(data + offset, size - offset, &packet, &packet_length, &arrival, &frame_length,
				       &reason) != 0)
			break;
		if (packet + packet_length > data + size || frame_length > size - offset || frame_length == 0)
			abort();
		size_t payload;
		int udp = packet_udp_payload(packet, packet_length, &payload);
		if (udp >= 0 && (size_t) udp + payload != packet_length)
			abort();
		offset += frame_length;
	}
	return 0;
}
