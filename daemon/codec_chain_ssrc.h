/* The SSRCs a transcoding chain sends under (codec_chain.h). As rtpengine 10.5 does (measured
 * against Debian's 10.5, tests/e2e/test_transcode_ssrc.py), a stream the relay transcodes
 * leaves under an SSRC of its own, not the sender's: it is another RTP stream (another codec,
 * clock, packet count; RFC 3550 section 7.1 lets a translator that changes the media act as its
 * source). Each SSRC the sender uses gets its own random output SSRC (section 8.1), kept for the
 * chain's life: a sender that goes back to an SSRC it used before is sent under the same output
 * SSRC again, as 10.5 does; a re-negotiated chain takes the map of the one it replaces, so the
 * output SSRC survives re-INVITEs (as 10.5).
 *
 * Contract: fixed size, no allocation, no locking (the chain's owner serialises); a full map
 * forgets its oldest entry. */
#ifndef RTPENGINE_CODEC_CHAIN_SSRC_H
#define RTPENGINE_CODEC_CHAIN_SSRC_H

#include <stdint.h>

/* a sender rarely uses more than one or two SSRCs in a call (a restart, a transfer) */
#define CODEC_CHAIN_SSRC_MAP_SIZE 8

struct codec_chain_ssrc_map {
	uint32_t input[CODEC_CHAIN_SSRC_MAP_SIZE];
	uint32_t output[CODEC_CHAIN_SSRC_MAP_SIZE];
	unsigned int used;              /* entries filled */
	unsigned int next;              /* the entry a full map replaces (the oldest) */
};

/* The output SSRC for a sender's SSRC: the one it had, else a new random one (never 0, never
 * one the map already sends under, never the input itself, so the two legs never share one). */
uint32_t codec_chain_ssrc_map_output(struct codec_chain_ssrc_map *map, uint32_t input);

#endif
