/* The transcoding engine: one struct codec_chain turns the RTP of one direction of one media from
 * an input codec into an output codec.
 *
 *   RTP in -> sequence-order jitter buffer -> decode to PCM (G.711/L16 by table, G.729 with
 *   bcg729 (codec_g729.h), the rest with libavcodec) -> resample to the output codec's rate (libswresample) -> PCM FIFO -> encode in
 *   frames of the output ptime -> RTP out (sequence numbers continuing the input's first one,
 *   shared with packets that pass untouched; timestamps in the output clock; an SSRC of its own
 *   for each SSRC the sender uses, as 10.5: codec_chain_ssrc.h)
 *
 * telephone-event (RFC 4733) packets of the input's DTMF payload type are passed through with the
 * payload type mapped and timestamp and duration rescaled to the output clock (RFC 4733 section
 * 2.3.5: the duration is in timestamp units).
 *
 * DTMF translation (RFC 4733 <-> in-band, as 10.5 does on a transcoded call): with telephone-event
 * on the output but not on the input, the decoded audio goes through an in-band detector
 * (dtmf_detect.h, ITU-T Q.24 limits) and each digit is sent as RFC 4733 events instead of its
 * tone (start when two 25.6 ms blocks agree, the end three times when it stops); with
 * telephone-event on the input only, events are played as their tone pair in the audio. Both
 * need the events at the audio's clock. Comfort noise (RFC 3389, payload type 13) is played as
 * one frame of white noise at its level (its spectral coefficients are not applied); the
 * silence after it is a gap like any other (codec_chain_fill_frame() for DTX).
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
	const char *encoding;           /* "PCMU", "PCMA", "G722", "opus", "L16", "GSM", "G723", "speex",
	                                 * "G729", "G729a"; "iLBC", "AMR" and "AMR-WB" (decoded only);
	                                 * any case */
	unsigned int clock_rate;        /* RTP clock; 0 = the codec's usual one */
	unsigned int channels;          /* 0 = 1 */
	const char *fmtp;               /* may be NULL; AMR's octet-align (RFC 4867 section 8.1) */
	uint8_t payload_type;
	int bit_rate;                   /* output: encoder bits/s (ng `codec set`), 0 = the default */
};

#define CODEC_CHAIN_MAX_ALTERNATES 4

struct codec_chain_config {
	struct codec_chain_format input, output;
	/* more codecs the sender may use instead of input (an answer listing several, as 10.5):
	 * decoded into the same output; each at the input's RTP clock */
	unsigned int alternate_count;
	struct codec_chain_format alternates[CODEC_CHAIN_MAX_ALTERNATES];
	/* payload types the receiver takes as they are (bit n = payload type n): never pushed into
	 * the chain (codec_chain_passes()), the relay forwards them untouched */
	uint64_t passthrough[2];
	unsigned int output_ptime_ms;   /* 0 = the output codec's usual one (20, G.723.1 30) */
	int input_dtmf_pt;              /* telephone-event payload type in, -1 = none */
	int output_dtmf_pt;             /* ... out, -1 = events are dropped */
	unsigned int output_dtmf_clock; /* 0 = 8000 */
	unsigned int input_dtmf_clock;  /* 0 = 8000 */
	unsigned int reorder_depth;     /* packets held waiting for a missing one (<= CODEC_CHAIN_MAX_REORDER) */
	int dtx_cn_level;               /* DTX fill: RFC 3389 noise level (-dBov, 1-126), else silence */
	/* DTMF flags and silence options (issue 15, see the functions at the end) */
	bool detect_only;               /* detect-DTMF: frames only feed the in-band detector (needs
	                                 * output_dtmf_pt at the output clock), nothing is encoded */
	int output_cn_pt;               /* --silence-detect: RFC 3389 CN payload type out, -1 = none */
	/* a dynamic RFC 3389 CN payload type in (CN/16000 beside a 16 kHz codec), decoded like
	 * static type 13 (always decoded); 0 = none (type 0 is PCMU, RFC 3551 section 6) */
	uint8_t input_cn_pt;
	unsigned int silence_threshold; /* a frame whose samples all stay within +-this is silence; 0 = off */
	const uint8_t *cn_payload;      /* --cn-payload: the CN packets' payload (copied), 1-16 bytes */
	unsigned int cn_payload_length;
};

struct codec_chain_stats {
	uint64_t packets_in;
	uint64_t packets_out;
	uint64_t lost;                  /* sequence numbers never seen */
	uint64_t late;                  /* arrived after their turn (or duplicates): dropped */
	uint64_t filled_samples;        /* silence inserted for gaps, output samples */
	uint64_t decode_errors;
	uint64_t dtmf_packets;
	/* the output stream, as an RTCP SR describes it (RFC 3550 section 6.4.1) */
	uint64_t octets_out;            /* whole RTP packets, header included (as 10.5 counts) */
	uint32_t last_timestamp;        /* of the last packet out */
	uint32_t ssrc;                  /* of the output packets */
};

struct codec_chain;

/* A digit found in-band and sent as RFC 4733 events (see DTMF translation above). */
#define CODEC_CHAIN_DTMF_QUEUE 4
struct codec_chain_dtmf {
	unsigned int event, duration_ms, volume;
};

/* Whether this build can decode (encode = false) or encode the codec by its SDP name. */
bool codec_chain_supports(const char *encoding, bool encode);
/* The --codecs listing: every codec the chain knows with what this build can do with it. */
void codec_chain_print_codecs(FILE *out);

/* NULL with *reason (static text) when a codec is unknown or the library lacks it. */
struct codec_chain *codec_chain_new(const struct codec_chain_config *config, const char **reason);
void codec_chain_free(struct codec_chain *chain);

/* publish/subscribe, allow-transcoding: number the output as 10.5 numbers a transcoded copy,
 * an SSRC of its own (random, RFC 3550 section 8.1) and each packet the sequence number of the
 * input packet it was made from (the packets made from one input number on from it). */
void codec_chain_number_as_copy(struct codec_chain *chain);
/* The same with the input's SSRC: as 10.5 numbers the copy for a subscriber that answered
 * without a codec that codec-transcode added (measured: tests/e2e/test_upstream_pubsub.py). */
void codec_chain_number_as_source_copy(struct codec_chain *chain);

/* A chain built by a re-negotiation (re-INVITE) for the stream previous served: it sends each
 * sender SSRC under the output SSRC previous did (codec_chain_ssrc.h), as 10.5 keeps it. */
void codec_chain_keep_ssrcs(struct codec_chain *chain, const struct codec_chain *previous);

/* Whether packets of this payload type bypass the chain (config.passthrough). */
bool codec_chain_passes(const struct codec_chain *chain, unsigned int payload_type);

/* Feed one RTP packet (plain, after SRTP). Returns how many output packets are now queued, or a
 * negative errno (the packet is dropped). */
int codec_chain_push(struct codec_chain *chain, const uint8_t *packet, size_t length);
/* A packet of a payload type that bypasses the chain (codec_chain_passes()) on the stream the
 * chain's output goes to: as 10.5, that stream leaves with one series of sequence numbers, so
 * the packet's own is replaced (in place) by the output's next one; the chain takes the packet's
 * place in the input's order (it neither waits for it nor fills its time with silence). The
 * first packet of a source starts the output's numbering at its own; the packet's SSRC is
 * replaced by the output's too (one stream, as 10.5).
 * Returns how many output packets are now queued (a held one may have been released), or
 * -EINVAL (the packet is left as it was). */
int codec_chain_passthrough(struct codec_chain *chain, uint8_t *packet, size_t length);
/* Release everything the jitter buffer holds (missing packets count as lost). */
int codec_chain_flush(struct codec_chain *chain);
/* Take the oldest queued output packet: its length, 0 when none, -ENOSPC (packet kept). */
int codec_chain_pop(struct codec_chain *chain, uint8_t *out, size_t capacity);
void codec_chain_get_stats(const struct codec_chain *chain, struct codec_chain_stats *stats);
/* DTX (--dtx-delay): the input went quiet; one output frame of gap fill (RFC 3389 noise at the
 * last CN packet's level, else silence) is queued and the input's expected timestamp moves on
 * by the same time, so audio that resumes later joins without a second fill. 0 before the first
 * packet. Returns how many output packets are queued. */
int codec_chain_fill_frame(struct codec_chain *chain);
/* The output frame's duration (the ptime), microseconds. */
unsigned int codec_chain_frame_us(const struct codec_chain *chain);
/* The last decoded input packet's duration (its ptime), microseconds; the output's before one. */
unsigned int codec_chain_input_frame_us(const struct codec_chain *chain);
/* The oldest digit found in-band since the last call (at most CODEC_CHAIN_DTMF_QUEUE kept):
 * false when none. */
bool codec_chain_take_dtmf(struct codec_chain *chain, struct codec_chain_dtmf *dtmf);

/* play DTMF on a chain (inject-DTMF, as 10.5): from the next output frame on, the event is
 * sent as RFC 4733 packets in the output stream (its SSRC and sequence numbers) in place of
 * the audio, the end three times (RFC 4733 section 2.5.1.4), when the output has
 * telephone-event; otherwise the frames carry its tone pair in-band (-volume dBm0). Frames are
 * made as input audio arrives, as in 10.5. An event asked for while one plays is queued (up to
 * CODEC_CHAIN_DTMF_INJECT_QUEUE) and starts pause_ms after the one before it ended (its start
 * plus its duration), as 10.5 plays consecutive requests. -ENODATA before the first input
 * packet (10.5 refuses then too), -EBUSY with the queue full, -EINVAL for an event over 15. */
#define CODEC_CHAIN_DTMF_INJECT_QUEUE 16
int codec_chain_inject_dtmf(struct codec_chain *chain, unsigned int event, unsigned int volume,
		unsigned int duration_ms, unsigned int pause_ms);

/* --silence-detect (as 10.5, on transcoded streams towards a peer with CN): an output frame
 * whose decoded samples all stay within the threshold leaves as one RFC 3389 CN packet with the
 * --cn-payload bytes instead of encoded audio. Configured by codec_chain_config. */

/* block DTMF's audio modes (DTMF-security silence, tone, random; as 10.5): the input's RFC 4733
 * events are played as their digit's tone pair in the output audio instead of being passed on as
 * events. -EINVAL when the input has no telephone-event at its audio clock. Not with a packet
 * in flight (the relay calls it under the call's lock). */
int codec_chain_play_events_as_tones(struct codec_chain *chain, bool on);

#endif
