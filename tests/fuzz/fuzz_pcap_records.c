/* Fuzz target for pcap_whole_records() (daemon/recording_pcap.c): what a restored call reads of
 * the capture a killed daemon left before appending to it. Invariants: the whole part never
 * reaches past the input, starts after the header, and reading just that part agrees (same
 * length, same count). */
#include "recording_pcap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t linktype = size && (data[size - 1] & 1) ? PCAP_LINKTYPE_ETHERNET : PCAP_LINKTYPE_RAW;
	size_t whole = 0;
	uint64_t records = 0;
	int result = pcap_whole_records(data, size, linktype, &whole, &records);
	if (result != 0) {
		if (result != -EPROTO || whole || records)
			abort();
		return 0;
	}
	if (whole > size || whole < PCAP_FILE_HEADER_SIZE || records > (whole - PCAP_FILE_HEADER_SIZE) / PCAP_RECORD_HEADER_SIZE)
		abort();
	size_t again = 0;
	uint64_t counted = 0;
	if (pcap_whole_records(data, whole, linktype, &again, &counted) != 0 || again != whole || counted != records)
		abort();
	return 0;
}
