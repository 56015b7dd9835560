/* libFuzzer target for the media port's demultiplexer (RFC 7983 section 7: STUN, DTLS,
 * RTP/RTCP by the first byte) and for what a DTLS association does with whatever arrives:
 * the input is a few datagrams (2-byte length, then the bytes), fed to a passive association
 * that waits for a ClientHello, as a stranger on the network would. Nothing may read past a
 * datagram, crash, or leak; the association must stay in a valid state. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "call.h"
#include "dtls.h"
#include "dtls_certificate.h"
#include "log.h"
#include "rtp_header.h"
#include "stun.h"

#define MAX_DATAGRAMS 8

static struct call call;
static struct media media;
static struct stream_extras extras[2];
static struct dtls_counters counters;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct log_settings quiet = { .level = LOG_CRIT, .to_stderr = true };
	log_init("fuzz_dtls", &quiet);
	const char *reason = NULL;
	if (dtls_certificate_init(&(struct dtls_settings) { .signature = DTLS_HASH_SHA256 }, &reason) < 0)
		__builtin_trap();
	pthread_mutex_init(&call.lock, NULL);
	call.call_id = "fuzz";
	for (int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
		struct stream *stream = &media.streams[kind];
		stream->call = &call;
		stream->media = &media;
		stream->kind = (uint8_t) kind;
		stream->fd = -1;          /* what the association answers goes nowhere */
		stream->extras = &extras[kind];
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream *stream = &media.streams[STREAM_RTP];
	struct dtls_connection *connection = dtls_connection_of(stream);
	/* a passive association whose peer gave a fingerprint nobody can match */
	struct dtls_fingerprint expected = { .hash = DTLS_HASH_SHA256, .length = 32 };
	memset(expected.digest, 0xab, sizeof(expected.digest));
	dtls_stage(connection, false, &expected);
	dtls_publish(connection);
	union endpoint source = { .v4 = { .sin_family = AF_INET, .sin_port = htons(5000) } };
	source.v4.sin_addr.s_addr = htonl(0x7f000002);

	size_t position = 0;
	for (int count = 0; count < MAX_DATAGRAMS && position + 2 <= size; count++) {
		size_t length = (size_t) data[position] << 8 | data[position + 1];
		position += 2;
		if (length > size - position)
			length = size - position;
		/* a copy of exactly the datagram's size, so reading past it is caught */
		unsigned char *packet = g_malloc(length ? length : 1);
		memcpy(packet, data + position, length);
		position += length;
		/* the packet path's order: STUN, DTLS, then RTP/RTCP */
		struct stun_request_info info;
		if (stun_packet_is_stun(packet, length)) {
			(void) stun_parse(packet, length, &info);
		} else if (dtls_is_record(packet, length)) {
			pthread_mutex_lock(&call.lock);
			dtls_handle_packet(connection, packet, length, &source, &counters);
			pthread_mutex_unlock(&call.lock);
			if (connection->state == DTLS_ESTABLISHED)
				__builtin_trap();   /* nobody can match the fingerprint */
		} else {
			uint32_t ssrc;
			(void) rtp_packet_is_rtcp(packet, length);
			(void) rtp_packet_ssrc(packet, length, &ssrc);
		}
		g_free(packet);
		/* the second half of the datagrams come from another source: a stranger */
		if (count == MAX_DATAGRAMS / 2)
			source.v4.sin_port = htons(5001);
	}
	dtls_connection_free(connection);
	extras[STREAM_RTP].dtls = NULL;
	g_free(media.srtp);
	media.srtp = NULL;
	return 0;
}
