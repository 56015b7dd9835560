/* The text of the recording metadata files, in the byte layout of Debian's rtpengine 10.5
 * (docs/recording.md): the proc method's chunked spool file and the pcap method's metadata
 * file. Formatting only: appends to a GString, no I/O; any thread. */
#ifndef RTPENGINE_RECORDING_METADATA_H
#define RTPENGINE_RECORDING_METADATA_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* PREFIX (10.5's meta prefix, PARENT in the spool file): the call-id escaped as GLib's
 * g_uri_escape_string() escapes it (all but A-Z a-z 0-9 - . _ ~ as %XX), "-", then the
 * random part (16 hex digits). g_free() the result. */
char *recording_prefix(const char *call_id, const char *random_hex);

/* One proc spool chunk: "LABEL\nLENGTH:\nCONTENT\n\n" (content may be empty or NULL). */
void recording_meta_chunk(GString *out, const char *label, const char *content, size_t length);
void recording_meta_chunk_printf(GString *out, const char *content, const char *label_format, ...)
	G_GNUC_PRINTF(3, 4);

/* The pcap method's metadata file. Start: the pcap's path and an empty line. */
void recording_pcap_meta_start(GString *out, const char *pcap_path);
/* One SDP the daemon sent on: label (NULL: none) of the sending side, when that side was
 * created (CLOCK_REALTIME us), "offer"/"answer", 1 + the packets recorded so far, the SDP. */
void recording_pcap_meta_sdp(GString *out, const char *label, int64_t side_created_us, const char *mode,
			     uint64_t packet_number, const char *sdp, size_t sdp_length);
/* The end: when the first side ended (us), the call's start and end (local time, seconds),
 * the metadata (NULL or empty: none). */
void recording_pcap_meta_end(GString *out, int64_t terminated_us, int64_t call_start_us, int64_t call_end_us,
			     const char *metadata);

#endif
