/* AMR and AMR-WB RTP payloads (RFC 4867) into the storage format libavcodec's amrnb/amrwb
 * decoders read (RFC 4867 section 5.1/5.3: per frame one header octet 0|FT|Q|00, then the
 * speech bits in the same order as in RTP, padded to an octet).
 *
 * Both payload formats of section 4 are read: bandwidth-efficient (4.3: a 4-bit CMR, 6-bit ToC
 * entries, the frames' bits back to back) and octet-aligned (4.4: a CMR octet, one ToC octet
 * per frame, each frame padded to an octet; with crc=1 one CRC octet per speech frame after the
 * ToC, not checked). Interleaving (4.4.1) is not supported. Frames without speech (SID, NO_DATA,
 * SPEECH_LOST, reserved types) are left out of the output: libavcodec does not decode them, and
 * the gap they leave is filled like any other (codec_chain.h).
 *
 * Contract: pure functions, no allocation, any thread. Errors: -EINVAL for a malformed payload
 * (ToC running past the end, frames shorter than their type says), -ENOSPC when out is too small,
 * -ENOTSUP for fmtp parameters asking for interleaving.
 */
#ifndef RTPENGINE_AMR_PAYLOAD_H
#define RTPENGINE_AMR_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AMR_MAX_FRAMES 16            /* ToC entries read from one payload */

struct amr_payload_format {
	bool wideband;               /* AMR-WB (RFC 4867 section 3.2), else AMR */
	bool octet_aligned;          /* fmtp octet-align=1 */
	bool crc;                    /* fmtp crc=1 (octet-aligned only) */
};

/* One storage frame in the output of amr_depacketise(). */
struct amr_frame {
	size_t offset, length;       /* header octet included */
	unsigned int frame_type;     /* FT: the mode (0-7 AMR, 0-8 AMR-WB) */
};

/* The format an a=fmtp value (may be NULL) describes. */
int amr_payload_format_parse(const char *fmtp, bool wideband, struct amr_payload_format *format);

/* Bits of speech in a frame of this type, 0 for frames that carry none we decode (SID is
 * counted: its size is needed to skip it). -1 for an unknown type. */
int amr_frame_bits(bool wideband, unsigned int frame_type);

/* The payload's speech frames as storage frames, back to back in out; frames[] (AMR_MAX_FRAMES)
 * says where each is. Returns the number of frames (0 when the payload holds none). */
int amr_depacketise(const struct amr_payload_format *format, const uint8_t *payload, size_t length,
		uint8_t *out, size_t capacity, struct amr_frame *frames);

/* The reverse, for tests and encoders: storage frames (header octet + speech bits) into one
 * payload with CMR 15 (no request). Returns the payload's length. */
int amr_packetise(const struct amr_payload_format *format, const uint8_t *const *storage_frames,
		unsigned int count, uint8_t *out, size_t capacity);

#endif
