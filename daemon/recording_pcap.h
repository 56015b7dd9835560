/* The capture formats of call recording: the classic PCAP file (the format of libpcap's
 * pcap_dump(), https://www.tcpdump.org/manpages/pcap-savefile.5.html) and the synthetic
 * IPv4/IPv6 + UDP header put in front of each recorded RTP/RTCP payload, shared by the pcap
 * files and the proc method's stream files (lib/recording_spool.h).
 *
 * Pure functions on caller buffers: no I/O, no allocation, any thread. */
#ifndef RTPENGINE_RECORDING_PCAP_H
#define RTPENGINE_RECORDING_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"

#define PCAP_MAGIC              0xa1b2c3d4u   /* microsecond timestamps */
#define PCAP_VERSION_MAJOR      2
#define PCAP_VERSION_MINOR      4
#define PCAP_SNAPLEN            65535
#define PCAP_LINKTYPE_ETHERNET  1
#define PCAP_LINKTYPE_RAW       101           /* the packet starts with its IP header */

#define PCAP_FILE_HEADER_SIZE   24
#define PCAP_RECORD_HEADER_SIZE 16
#define RECORDING_ETHERNET_HEADER_SIZE 14
/* IPv6 (40) + UDP (8): the largest synthetic header */
#define RECORDING_PACKET_HEADER_MAX 48

/* The 24-byte file header in host byte order, as pcap_dump_open() writes it (readers detect
 * the byte order from the magic). Returns PCAP_FILE_HEADER_SIZE. */
size_t pcap_file_header(unsigned char *out, uint32_t linktype);

/* A 16-byte record header: timestamp (CLOCK_REALTIME nanoseconds, stored as seconds and
 * microseconds), captured and original length (equal: nothing is cut). Returns
 * PCAP_RECORD_HEADER_SIZE. */
size_t pcap_record_header(unsigned char *out, uint64_t timestamp_ns, uint32_t length);

/* A capture this daemon wrote with `linktype` (a restored call goes on in its file): 0 and
 * the length of the header plus every whole record in *whole_length, their number in *records;
 * a record cut short at the end (a daemon killed during a write) or one that cannot be ours
 * (lengths differ or pass the snap length) ends the whole part. -EPROTO when the file header
 * is not the one pcap_file_header() writes for linktype (another byte order, format or
 * linktype: appending would mix two layouts). Reads only data[0..length). */
int pcap_whole_records(const unsigned char *data, size_t length, uint32_t linktype, size_t *whole_length,
		       uint64_t *records);

/* The 14-byte Ethernet header of the `eth` format: zero MAC addresses, the ethertype of the
 * family (0x0800, 0x86dd). Returns RECORDING_ETHERNET_HEADER_SIZE. */
size_t recording_ethernet_header(unsigned char *out, int family);

/* The IP and UDP headers of a packet from source to destination (both of one family) with
 * payload_length bytes of payload, as upstream's recordings carry them: IPv4 with id 0, no
 * fragmentation, TTL 64 and checksum 0; IPv6 with hop limit 64, no traffic class or flow
 * label; UDP checksum 0 (RFC 768: none computed; RFC 8200 section 8.1 asks for one on IPv6,
 * which capture readers do not check). Returns the header length (28 or 48), or 0 when the
 * families differ, are unknown or the payload is too large for the length fields. */
size_t recording_packet_header(unsigned char *out, const union endpoint *source,
			       const union endpoint *destination, size_t payload_length);

#endif
