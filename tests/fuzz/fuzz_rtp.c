/* libFuzzer target: the RTP and RTCP header parsers must never read past the packet, nor
 * the RFC 8285 header extension walk and MID insertion of the BUNDLE demultiplexer
 * (bundle_demux.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "bundle_demux.h"
#include "rtp_header.h"

static void count_part(const struct rtcp_packet_info *info, void *data)
{
	size_t *total = data;
	*total += info->length;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_header_info info;
	if (rtp_header_parse(data, size, &info) == 0 && info.header_length + info.payload_length > size)
		__builtin_trap();
	uint32_t ssrc;
	(void) rtp_packet_ssrc(data, size, &ssrc);
	(void) rtp_packet_is_rtcp(data, size);
	/* BUNDLE: the MID extension (ids 1..14 one-byte, up to 255 two-byte) stays in the packet */
	for (unsigned int id = 1; id <= 16; id++) {
		const unsigned char *value;
		int found = rtp_header_extension_find(data, size, id, &value);
		if (found >= 0 && (value < data || value + found > data + size))
			__builtin_trap();
	}
	struct bundle_demux demux;
	bundle_demux_init(&demux, 3);
	bundle_demux_add_media(&demux, "0");
	bundle_demux_add_media(&demux, "1");
	bundle_demux_add_payload_type(&demux, 0, 0);
	bundle_demux_add_payload_type(&demux, 96, 1);
	int media = bundle_demux_route(&demux, data, size);
	if (media >= (int) demux.media_count)
		__builtin_trap();
	(void) bundle_demux_route_rtcp(&demux, data, size);
	/* adding the MID in place (relay.c towards a bundled side): stays within the buffer and
	 * is found again where it was added */
	static unsigned char copy[4096 + 64];
	if (size <= 4096) {
		memcpy(copy, data, size);
		int added = rtp_header_extension_add_mid(copy, size, sizeof(copy), 7, "mid1", 4);
		if (added > (int) sizeof(copy))
			__builtin_trap();
		const unsigned char *value;
		if (added > (int) size && rtp_header_extension_find(copy, (size_t) added, 7, &value) != 4)
			__builtin_trap();
	}
	size_t total = 0;
	if (rtcp_compound_parse(data, size, count_part, &total) > 0 && total != size)
		__builtin_trap();
	return 0;
}
