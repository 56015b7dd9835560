/* libFuzzer target: the RTP and RTCP header parsers must never read past the packet. */
#include <stddef.h>
#include <stdint.h>
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
	size_t total = 0;
	if (rtcp_compound_parse(data, size, count_part, &total) > 0 && total != size)
		__builtin_trap();
	return 0;
}
