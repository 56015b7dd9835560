/* PCAP files and synthetic packet headers; see recording_pcap.h. */
#include "recording_pcap.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

static void put16be(unsigned char *out, uint16_t value)
{
	out[0] = (unsigned char) (value >> 8);
	out[1] = (unsigned char) value;
}

/* the file's own byte order: host order, as libpcap writes it */
static void put32host(unsigned char *out, uint32_t value)
{
	memcpy(out, &value, sizeof(value));
}

static void put16host(unsigned char *out, uint16_t value)
{
	memcpy(out, &value, sizeof(value));
}

size_t pcap_file_header(unsigned char *out, uint32_t linktype)
{
	put32host(out, PCAP_MAGIC);
	put16host(out + 4, PCAP_VERSION_MAJOR);
	put16host(out + 6, PCAP_VERSION_MINOR);
	put32host(out + 8, 0);             /* thiszone */
	put32host(out + 12, 0);            /* sigfigs */
	put32host(out + 16, PCAP_SNAPLEN);
	put32host(out + 20, linktype);
	return PCAP_FILE_HEADER_SIZE;
}

size_t pcap_record_header(unsigned char *out, uint64_t timestamp_ns, uint32_t length)
{
	put32host(out, (uint32_t) (timestamp_ns / 1000000000u));
	put32host(out + 4, (uint32_t) (timestamp_ns % 1000000000u / 1000u));
	put32host(out + 8, length);
	put32host(out + 12, length);
	return PCAP_RECORD_HEADER_SIZE;
}

static uint32_t get32host(const unsigned char *in)
{
	uint32_t value;
	memcpy(&value, in, sizeof(value));
	return value;
}

int pcap_whole_records(const unsigned char *data, size_t length, uint32_t linktype, size_t *whole_length,
		       uint64_t *records)
{
	unsigned char expected[PCAP_FILE_HEADER_SIZE];
	pcap_file_header(expected, linktype);
	if (length < PCAP_FILE_HEADER_SIZE || memcmp(data, expected, PCAP_FILE_HEADER_SIZE))
		return -EPROTO;
	size_t offset = PCAP_FILE_HEADER_SIZE;
	uint64_t count = 0;
	while (length - offset >= PCAP_RECORD_HEADER_SIZE) {
		uint32_t captured = get32host(data + offset + 8), original = get32host(data + offset + 12);
		if (captured != original || captured > PCAP_SNAPLEN
		    || length - offset - PCAP_RECORD_HEADER_SIZE < captured)
			break;
		offset += PCAP_RECORD_HEADER_SIZE + captured;
		count++;
	}
	*whole_length = offset;
	*records = count;
	return 0;
}

size_t recording_ethernet_header(unsigned char *out, int family)
{
	memset(out, 0, 12);
	put16be(out + 12, family == AF_INET6 ? 0x86dd : 0x0800);
	return RECORDING_ETHERNET_HEADER_SIZE;
}

static void udp_header(unsigned char *out, const union endpoint *source, const union endpoint *destination,
		       size_t payload_length)
{
	put16be(out, (uint16_t) endpoint_port(source));
	put16be(out + 2, (uint16_t) endpoint_port(destination));
	put16be(out + 4, (uint16_t) (payload_length + 8));
	put16be(out + 6, 0);
}

size_t recording_packet_header(unsigned char *out, const union endpoint *source,
			       const union endpoint *destination, size_t payload_length)
{
	int family = source->address.sa_family;
	if (family != destination->address.sa_family)
		return 0;
	if (family == AF_INET) {
		if (payload_length > 65535 - 28)
			return 0;
		out[0] = 0x45;                 /* version 4, 5 words of header */
		out[1] = 0;
		put16be(out + 2, (uint16_t) (payload_length + 28));
		put16be(out + 4, 0);           /* identification */
		put16be(out + 6, 0);           /* flags, fragment offset */
		out[8] = 64;                   /* TTL */
		out[9] = IPPROTO_UDP;
		put16be(out + 10, 0);          /* checksum: not computed, as upstream */
		memcpy(out + 12, &source->v4.sin_addr, 4);
		memcpy(out + 16, &destination->v4.sin_addr, 4);
		udp_header(out + 20, source, destination, payload_length);
		return 28;
	}
	if (family == AF_INET6) {
		if (payload_length > 65535 - 8)
			return 0;
		out[0] = 0x60;                 /* version 6, traffic class and flow label 0 */
		out[1] = out[2] = out[3] = 0;
		put16be(out + 4, (uint16_t) (payload_length + 8));
		out[6] = IPPROTO_UDP;
		out[7] = 64;                   /* hop limit */
		memcpy(out + 8, &source->v6.sin6_addr, 16);
		memcpy(out + 24, &destination->v6.sin6_addr, 16);
		udp_header(out + 40, source, destination, payload_length);
		return 48;
	}
	return 0;
}
