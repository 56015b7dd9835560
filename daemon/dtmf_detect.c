/* In-band DTMF detection (Goertzel) and tone generation (dtmf_detect.h). */
#include "dtmf_detect.h"

#include <math.h>
#include <string.h>

/* ITU-T Q.23: rows (low group) and columns (high group), Hz */
static const float frequencies[8] = { 697, 770, 852, 941, 1209, 1336, 1477, 1633 };
/* RFC 4733 section 3.2 events by row and column: 1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D */
static const int events[4][4] = { { 1, 2, 3, 12 }, { 4, 5, 6, 13 }, { 7, 8, 9, 14 }, { 10, 0, 11, 15 } };

/* 0 dBm0 is a sine of 3.14 dB below full scale (ITU-T G.711): amplitude 32768 / 10^(3.14/20) */
#define DBM0_AMPLITUDE 22753.0
#define MIN_LEVEL_DBM0 (-30)
#define TWIST_REVERSE_DB 4.0            /* high group above the low one */
#define TWIST_NORMAL_DB 8.0             /* low group above the high one */
#define OTHER_TONES_DB 6.0
#define PAIR_SHARE 0.4                  /* of the block's energy in the two tones (a tone 1.5% off loses 4 dB in its bin) */

void dtmf_detector_init(struct dtmf_detector *detector, unsigned int rate)
{
	memset(detector, 0, sizeof(*detector));
	detector->rate = rate ? rate : 8000;
	detector->block = (unsigned int) ((uint64_t) detector->rate * DTMF_DETECT_BLOCK_US / 1000000);
	for (int i = 0; i < 8; i++)
		detector->coefficients[i] = (float) (2.0 * cos(2.0 * M_PI * frequencies[i] / detector->rate));
	detector->candidate = detector->current = -1;
}

static double db(double ratio)
{
	return 10.0 * log10(ratio > 1e-12 ? ratio : 1e-12);
}

/* The digit of the finished block, or -1; *level the pair's dBm0 (both tones' power, as 10.5
 * reports and plays a volume: measured against it). */
static int block_digit(struct dtmf_detector *detector, int *level)
{
	double power[8];
	for (int i = 0; i < 8; i++) {
		double s1 = detector->s1[i], s2 = detector->s2[i];
		power[i] = s1 * s1 + s2 * s2 - detector->coefficients[i] * s1 * s2;
	}
	int row = 0, column = 4;
	for (int i = 1; i < 4; i++)
		if (power[i] > power[row])
			row = i;
	for (int i = 5; i < 8; i++)
		if (power[i] > power[column])
			column = i;
	double n = detector->block;
	/* a sine of amplitude A over n samples: power (A n / 2)^2, energy A^2 n / 2 */
	double row_amplitude = 2.0 * sqrt(power[row]) / n, column_amplitude = 2.0 * sqrt(power[column]) / n;
	double weaker = row_amplitude < column_amplitude ? row_amplitude : column_amplitude;
	if (20.0 * log10(weaker > 1e-9 ? weaker / DBM0_AMPLITUDE : 1e-9) < MIN_LEVEL_DBM0)
		return -1;   /* Q.24: each tone at least -30 dBm0 */
	*level = (int) lround(db((row_amplitude * row_amplitude + column_amplitude * column_amplitude)
				 / (DBM0_AMPLITUDE * DBM0_AMPLITUDE)));
	double twist = db(power[column] / power[row]);
	if (twist > TWIST_REVERSE_DB || twist < -TWIST_NORMAL_DB)
		return -1;
	for (int i = 0; i < 8; i++)
		if (i != row && i != column && db(power[(i < 4) ? row : column] / power[i]) < OTHER_TONES_DB)
			return -1;
	double pair_energy = (row_amplitude * row_amplitude + column_amplitude * column_amplitude) * n / 2.0;
	if (detector->energy <= 0 || pair_energy / detector->energy < PAIR_SHARE)
		return -1;
	return events[row][column - 4];
}

static int end_block(struct dtmf_detector *detector, struct dtmf_tone *tones, int max)
{
	int level = 0, found = 0;
	int digit = block_digit(detector, &level);
	uint64_t block_start = detector->samples - detector->block;
	if (detector->current >= 0 && digit == detector->current) {
		detector->misses = 0;
	} else if (detector->current >= 0 && ++detector->misses >= 2) {
		if (found < max)
			tones[found++] = (struct dtmf_tone) { .event = detector->current, .end = true,
				.start_sample = detector->start, .end_sample = block_start - detector->block,
				.volume = (unsigned int) (detector->level_dbm0 > 0 ? 0 : -detector->level_dbm0) };
		detector->current = -1;
		detector->misses = 0;
	}
	if (detector->current < 0 && digit >= 0 && digit == detector->candidate) {
		detector->current = digit;
		detector->misses = 0;
		detector->start = block_start - detector->block;
		detector->level_dbm0 = level < -63 ? -63 : level;
		if (found < max)
			tones[found++] = (struct dtmf_tone) { .event = digit, .start_sample = detector->start,
				.volume = (unsigned int) (level > 0 ? 0 : -detector->level_dbm0) };
	}
	detector->candidate = digit;
	memset(detector->s1, 0, sizeof(detector->s1));
	memset(detector->s2, 0, sizeof(detector->s2));
	detector->energy = 0;
	detector->filled = 0;
	return found;
}

int dtmf_detector_feed(struct dtmf_detector *detector, const int16_t *pcm, size_t count,
		       struct dtmf_tone *tones, int max)
{
	int found = 0;
	for (size_t i = 0; i < count; i++) {
		float x = pcm[i];
		for (int f = 0; f < 8; f++) {
			float s = x + detector->coefficients[f] * detector->s1[f] - detector->s2[f];
			detector->s2[f] = detector->s1[f];
			detector->s1[f] = s;
		}
		detector->energy += (double) x * x;
		detector->samples++;
		if (++detector->filled == detector->block)
			found += end_block(detector, tones + found, max - found);
	}
	return found;
}

void dtmf_tone_fill(int16_t *pcm, size_t count, unsigned int rate, int event, unsigned int volume, uint64_t offset)
{
	if (event < 0 || event > 15 || !rate)
		return;
	int row = 0, column = 0;
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++)
			if (events[r][c] == event) {
				row = r;
				column = c;
			}
	/* each tone at half of full scale, -volume dB (as 10.5 plays it: fitted to its G.711
	 * output for play DTMF, 630 of 640 samples equal, the rest one G.711 step apart) */
	double amplitude = 16384.0 * pow(10.0, -(double) (volume > 63 ? 63 : volume) / 20.0);
	double w1 = 2.0 * M_PI * frequencies[row] / rate, w2 = 2.0 * M_PI * frequencies[4 + column] / rate;
	for (size_t i = 0; i < count; i++) {
		double t = (double) (offset + i);
		double sample = pcm[i] + amplitude * (sin(w1 * t) + sin(w2 * t));
		pcm[i] = (int16_t) (sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample);
	}
}
