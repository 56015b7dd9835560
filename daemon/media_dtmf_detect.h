/* detect-DTMF (ng flag, as 10.5): in-band DTMF detection on a call that is not transcoded.
 *
 * A copy of each RTP packet a side sends is decoded off the forwarding path by a detection-only
 * codec chain (codec_chain.h: decode, resample to 8 kHz, the Goertzel detector of
 * dtmf_detect.h; nothing is encoded or sent); the forwarded packet is not changed. Digits are
 * reported as on transcoded calls: logged and sent to --dtmf-log-dest as upstream's JSON
 * (media_control_report()). The flag in an offer or answer turns detection on for every audio
 * media of both sides, for the rest of the call.
 *
 * The chain decodes the payload type the side is expected to send: the answer's first codec
 * (before an answer, the offer's). Packets of other payload types are not looked at.
 *
 * Threads: media_dtmf_detect_learn() on the control thread stages a chain;
 * media_dtmf_detect_publish() under the call's lock makes it the RTP stream's
 * (extras->dtmf_detect) and sets MEDIA_CONTROL_INBAND_DTMF; media_dtmf_detect_release() after
 * the lock frees the one replaced. The worker feeds it under the call's lock.
 * Cost: a G.711 decode and 8 Goertzel filters per sample: about 9,200 instructions (1 us of
 * CPU) per 20 ms PCMU packet (`test_codec_chain_dtmf -m perf -p /codec_chain_dtmf/detect_cost`). */
#ifndef RTPENGINE_MEDIA_DTMF_DETECT_H
#define RTPENGINE_MEDIA_DTMF_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include "endpoint.h"

struct media;
struct sdp_media;
struct stream;
struct media_control_dtmf;

/* Control thread, as each side's SDP is learnt: requested is the request's detect-DTMF flag;
 * answer whether the SDP is an answer (its first codec is then what both sides send). */
void media_dtmf_detect_learn(struct media *media, const struct sdp_media *sdp_media, bool requested, bool answer);
/* Under the call's lock / after it (see above); idempotent. */
void media_dtmf_detect_publish(struct media *media);
void media_dtmf_detect_release(struct media *media);
/* call_free(): the media's detector. */
void media_dtmf_detect_free(struct media *media);

/* Packet path, under the call's lock: a copy of the packet into the stream's detector; a digit
 * that ended fills *dtmf (true) when --dtmf-log-dest is set. */
bool media_dtmf_detect_feed(struct stream *stream, const unsigned char *packet, size_t length,
		const union endpoint *source, struct media_control_dtmf *dtmf);

#endif
