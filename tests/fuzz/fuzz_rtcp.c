/* libFuzzer target: the RTCP compound parser must never read past the packet, and what it
 * reports must stay within its own bounds (report blocks, CNAME inside the packet); the JSON
 * Homer gets of it (daemon/homer.c) is built from the same parse. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "homer.h"
#include "rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_report report;
	(void) rtcp_parse(data, size, &report);
	if (report.block_count > RTCP_MAX_REPORT_BLOCKS)
		__builtin_trap();
	if (report.cname && (report.cname < data || report.cname + report.cname_length > data + size))
		__builtin_trap();
	volatile uint32_t sum = 0;
	for (unsigned int i = 0; i < report.block_count; i++)
		sum += report.blocks[i].ssrc + report.blocks[i].jitter;
	for (unsigned int i = 0; report.cname && i < report.cname_length; i++)
		sum += report.cname[i];
	if (report.block_count)
		(void) rtcp_mos(report.blocks[0].last_sr, report.blocks[0].jitter, report.blocks[0].fraction_lost);
	char *json = homer_rtcp_json(data, size);
	if (json && (json[0] != '{' || json[strlen(json) - 1] != '}'))
		__builtin_trap();
	g_free(json);
	return 0;
}
