/* In-band DTMF (ITU-T Q.23 tone pairs) found in decoded audio with the Goertzel algorithm, for
 * the transcoding engine (codec_chain.c): tones become RFC 4733 events and are reported to
 * --dtmf-log-dest. Limits after ITU-T Q.24 (the receiver side): each of the two tones within
 * about 1.5% of its nominal frequency (Goertzel bins of 39 Hz at 8 kHz reject beyond about 3.5%),
 * twist (high group against low group) from -8 dB to +4 dB, the other tones of each group at
 * least 6 dB below the strongest, the pair carrying most of the block's energy, and a level of
 * at least -30 dBm0 per tone. A digit starts after two blocks agree (2 x 25.6 ms: tones of 40 ms
 * and more, Q.24's shortest, are found once they reach 52 ms) and ends after two blocks without
 * it.
 *
 * Contract: a fixed-size struct, no allocation, any sample rate (the block is 25.6 ms of
 * samples); one thread at a time. Cost: 8 multiply-adds per sample plus a few per block.
 *
 * Also the other direction: dtmf_tone_fill() writes the tone pair of an event (RFC 4733 section
 * 3.2 numbering) into PCM, for events that must be heard in-band. */
#ifndef RTPENGINE_DTMF_DETECT_H
#define RTPENGINE_DTMF_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_DETECT_BLOCK_US 25600

struct dtmf_detector {
	unsigned int rate, block;       /* samples per second, per Goertzel block */
	float coefficients[8];          /* 2 cos(2 pi f / rate): rows 697-941 Hz, columns 1209-1633 Hz */
	float s1[8], s2[8];
	double energy;                  /* of the block so far */
	unsigned int filled;            /* samples of the block so far */
	int candidate;                  /* the last block's digit, -1 none */
	int current;                    /* the digit being reported, -1 none */
	unsigned int misses;            /* blocks without the current digit */
	uint64_t samples;               /* fed so far */
	uint64_t start;                 /* the current digit's first sample (its first block) */
	int level_dbm0;                 /* of the current digit's tone pair, for the volume */
};

/* A change the detector found: a digit began or ended. */
struct dtmf_tone {
	int event;                      /* 0-15 as RFC 4733 section 3.2 numbers them */
	bool end;
	uint64_t start_sample, end_sample;   /* end_sample: with end, the first sample after it */
	unsigned int volume;            /* -dBm0 of the pair (both tones, as 10.5), 0-63 (RFC 4733 section 2.3.4) */
};

void dtmf_detector_init(struct dtmf_detector *detector, unsigned int rate);
/* Feeds samples; returns how many changes were written to tones (at most max; more in one call
 * cannot happen with max >= 2 and count <= one block). */
int dtmf_detector_feed(struct dtmf_detector *detector, const int16_t *pcm, size_t count,
		       struct dtmf_tone *tones, int max);

/* Adds the tone pair of event (0-15) at -volume dBm0 (the pair; as 10.5) to pcm (count samples at rate),
 * starting at the pair's phase for sample offset (so consecutive calls join). */
void dtmf_tone_fill(int16_t *pcm, size_t count, unsigned int rate, int event, unsigned int volume, uint64_t offset);

#endif
