/* detect-DTMF (ng flag, as 10.5): in-band DTMF detection on a call that is not transcoded.
 *
 * A copy of each RTP packet a side sends is decoded off the forwarding path by a detection-only
 * codec chain (codec_chain.h: decode, resample to 8 kHz, the Goertzel detector of
 * dtmf_detect.h; nothing is encoded or sent); the forwarded packet is not changed. Digits are
 * reported as on transcoded calls: logged and sent to --dtmf-log-dest as upstream's JSON
 * (media_control_report()). The flag in an offer or answer turns detection on for every audio
 * media of both sides, for the rest of the call.
 *
 * Every audio codec the side may send (the offer's before an answer, then the answer's, RFC
 * 3264 section 5.1) gets its own detector, made by the worker at the first packet of that
 * payload type (a chain is about 72 KB; a side rarely sends more than one of its codecs), so a
 * side that switches codecs mid-call (PCMU -> PCMA) stays watched; codecs at the same RTP clock
 * share one detector, so a tone that spans the switch is one digit. At most 8 codecs per media.
 *
 * Threads: media_dtmf_detect_learn() on the control thread stages the codec table;
 * media_dtmf_detect_publish() under the call's lock makes it the RTP stream's
 * (extras->dtmf_detect) and sets MEDIA_CONTROL_INBAND_DTMF; media_dtmf_detect_release() after
 * the lock frees the one replaced with its detectors. The worker makes the detectors and feeds
 * them under the call's lock (an allocation once per payload type, never per packet).
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
 * answer whether the SDP is an answer (its codecs are then what both sides send). */
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
