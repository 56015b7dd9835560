/* The transcoding engine: one struct codec_chain turns the RTP of one direction of one media from
 * an input codec into an output codec.
 *
 *   RTP in -> sequence-order jitter buffer -> decode to PCM (G.711/L16 by table, the rest with
 *   libavcodec) -> resample to the output codec's rate (libswresample) -> PCM FIFO -> encode in
 *   frames of the output ptime -> RTP out (our sequence numbers, timestamps in the output clock,
 *   the input's SSRC kept)
 *
 * telephone-event (RFC 4733) packets of the input's DTMF payload type are passed through with the
 * payload type mapped and timestamp and duration rescaled to the output clock (RFC 4733 section
 * 2.3.5: the duration is in timestamp units). Comfort noise (RFC 3389, payload type 13) is dropped
 * and its interval filled like any other timestamp gap.
 *
 * Loss and reordering: packets are released in sequence order. A packet ahead of the expected
 * sequence number is held (up to reorder_depth packets) waiting for the missing one; when more
 * are held, the missing ones count as lost. Gaps in the input timestamps (loss, DTX, a DTMF event
 * replacing audio) are filled with silence up to CODEC_CHAIN_MAX_FILL_MS so the output timing
 * stays continuous; a longer gap moves the output timestamps on by the same time without sending
 * anything (as the sender did). A packet older than the expected sequence number is dropped (late);
 * a few in a row, or a timestamp more than a second back, are a sender that restarted its
 * numbering: the chain follows it.
 *
 * Memory and threads: everything (codec contexts, resampler, buffers, the output queue) is
 * allocated by codec_chain_new(); pushing and popping packets allocates nothing except inside
 * libavcodec's own encode/decode calls (it reuses its frame and packet buffers). A chain must not
 * be used by two threads at once (the relay pins a stream to one worker).
 *
 * Cost (thread CPU time on the shared 2-core test machine, FFmpeg 5.1, libopus 1.3, `test_codec_chain
 * -m perf -p /codec_chain/cost`): per 20 ms packet PCMU->PCMA about 0.7 us (tables, no resampler),
 * PCMU->G.722 about 17 us, PCMU->Opus about 120 us (libopus, complexity 5, narrowband from G.711),
 * Opus->PCMU about 40 us: some 120 Opus<->PCMU calls per core for the engine alone.
 *
 * Errors: negative errno. -EINVAL malformed RTP, -ENOSPC output buffer too small, -EPROTO the
 * codec library failed on a packet (counted as decode_errors, the packet is skipped).
 */
#ifndef RTPENGINE_CODEC_CHAIN_H
#define RTPENGINE_CODEC_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CODEC_CHAIN_MAX_PACKET 1500
#define CODEC_CHAIN_MAX_FILL_MS 200
#define CODEC_CHAIN_MAX_REORDER 16

/* One side of a chain: a codec as SDP's rtpmap/fmtp describe it. */
struct codec_chain_format {
	const char *encoding;           /* "PCMU", "PCMA", "G722", "opus", "L16", "G729" (any case) */
	unsigned int clock_rate;        /* RTP clock; 0 = the codec's usual one */
	unsigned int channels;          /* 0 = 1 */
	const char *fmtp;               /* may be NULL; not interpreted yet */
	uint8_t payload_type;
};

struct codec_chain_config {
	struct codec_chain_format input, output;
	unsigned int output_ptime_ms;   /* 0 = 20 */
	int input_dtmf_pt;              /* telephone-event payload type in, -1 = none */
	int output_dtmf_pt;             /* ... out, -1 = events are dropped */
	unsigned int output_dtmf_clock; /* 0 = 8000 */
	unsigned int input_dtmf_clock;  /* 0 = 8000 */
	unsigned int reorder_depth;     /* packets held waiting for a missing one (<= CODEC_CHAIN_MAX_REORDER) */
};

struct codec_chain_stats {
	uint64_t packets_in;
	uint64_t packets_out;
	uint64_t lost;                  /* sequence numbers never seen */
	uint64_t late;                  /* arrived after their turn (or duplicates): dropped */
	uint64_t filled_samples;        /* silence inserted for gaps, output samples */
	uint64_t decode_errors;
	uint64_t dtmf_packets;
};

struct codec_chain;

/* Whether this build can decode (encode = false) or encode the codec by its SDP name. */
bool codec_chain_supports(const char *encoding, bool encode);
/* The --codecs listing: every codec the chain knows with what this build can do with it. */
void codec_chain_print_codecs(FILE *out);

/* NULL with *reason (static text) when a codec is unknown or the library lacks it. */
struct codec_chain *codec_chain_new(const struct codec_chain_config *config, const char **reason);
void codec_chain_free(struct codec_chain *chain);

/* Feed one RTP packet (plain, after SRTP). Returns how many output packets are now queued, or a
 * negative errno (the packet is dropped). */
int codec_chain_push(struct codec_chain *chain, const uint8_t *packet, size_t length);
/* Release everything the jitter buffer holds (missing packets count as lost). */
int codec_chain_flush(struct codec_chain *chain);
/* Take the oldest queued output packet: its length, 0 when none, -ENOSPC (packet kept). */
int codec_chain_pop(struct codec_chain *chain, uint8_t *out, size_t capacity);
void codec_chain_get_stats(const struct codec_chain *chain, struct codec_chain_stats *stats);

#endif
