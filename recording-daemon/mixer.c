/* Mixing the parties of a call on one timeline (positions in output samples from the call's
 * first packet). Inputs add audio at their positions into a 32-bit accumulator; what every
 * active input has reached is saturated to 16 bits and written. Memory is bounded: past
 * MIXER_MAX_SECONDS of unwritten audio the oldest part is written regardless, and audio that
 * then arrives for it is late (dropped, counted). */
#include "recording_daemon.h"

#include <errno.h>
#include <string.h>

#define MIXER_MAX_SECONDS 20
#define MIXER_HOLDBACK_SECONDS 1
/* An input that added nothing for this many flushes (poll rounds, 50 ms each) is paused (a
 * party on hold, a muted phone): the others are written without waiting for it. */
#define MIXER_STALLED_FLUSHES 20
#define MIXER_CHUNK_FRAMES 2048

struct rec_mixer {
	int channels, rate;
	mixer_write_function write;
	void *sink;
	int32_t *accumulator;           /* frames * channels, frame 0 is position base */
	size_t capacity;                /* frames */
	size_t limit;                   /* frames */
	int64_t base;                   /* first position not written yet */
	int64_t end[REC_MIX_MAX_INPUTS];
	unsigned int active;            /* bit per input that has added audio */
	int64_t max_end;
	uint64_t late;
	uint64_t flushes;               /* mixer_flush calls: the poll rounds */
	uint64_t last_added[REC_MIX_MAX_INPUTS];   /* flushes when the input last added audio */
};

struct rec_mixer *mixer_new(int channels, int rate, mixer_write_function write, void *sink)
{
	struct rec_mixer *mixer = g_new0(struct rec_mixer, 1);
	mixer->channels = channels;
	mixer->rate = rate;
	mixer->write = write;
	mixer->sink = sink;
	mixer->capacity = (size_t) rate;   /* one second, grown on demand */
	mixer->limit = (size_t) rate * MIXER_MAX_SECONDS;
	mixer->accumulator = g_new0(int32_t, mixer->capacity * (size_t) channels);
	return mixer;
}

void mixer_free(struct rec_mixer *mixer)
{
	if (!mixer)
		return;
	g_free(mixer->accumulator);
	g_free(mixer);
}

static int write_until(struct rec_mixer *mixer, int64_t until)
{
	int16_t chunk[MIXER_CHUNK_FRAMES * REC_MIX_MAX_INPUTS];
	size_t frames = until > mixer->base ? (size_t) (until - mixer->base) : 0;
	if (frames > mixer->capacity)
		frames = mixer->capacity;
	size_t channels = (size_t) mixer->channels;
	int error = 0;
	for (size_t done = 0; done < frames;) {
		size_t count = frames - done < MIXER_CHUNK_FRAMES ? frames - done : MIXER_CHUNK_FRAMES;
		const int32_t *source = mixer->accumulator + done * channels;
		for (size_t i = 0; i < count * channels; i++) {
			int32_t value = source[i];
			chunk[i] = (int16_t) (value > INT16_MAX ? INT16_MAX : value < INT16_MIN ? INT16_MIN : value);
		}
		if (!error)
			error = mixer->write(mixer->sink, chunk, count);
		done += count;
	}
	size_t remaining = mixer->capacity - frames;
	memmove(mixer->accumulator, mixer->accumulator + frames * channels, remaining * channels * sizeof(int32_t));
	memset(mixer->accumulator + remaining * channels, 0, frames * channels * sizeof(int32_t));
	mixer->base += (int64_t) frames;
	return error;
}

/* Makes room for audio up to position end: grows the accumulator up to the limit, then
 * writes the oldest part. */
static void make_room(struct rec_mixer *mixer, int64_t end)
{
	size_t needed = (size_t) (end - mixer->base);
	if (needed <= mixer->capacity)
		return;
	if (mixer->capacity < mixer->limit) {
		size_t capacity = mixer->capacity;
		while (capacity < needed && capacity < mixer->limit)
			capacity *= 2;
		if (capacity > mixer->limit)
			capacity = mixer->limit;
		size_t channels = (size_t) mixer->channels;
		mixer->accumulator = g_renew(int32_t, mixer->accumulator, capacity * channels);
		memset(mixer->accumulator + mixer->capacity * channels, 0,
		       (capacity - mixer->capacity) * channels * sizeof(int32_t));
		mixer->capacity = capacity;
	}
	/* write_until writes at most a capacity per call: a jump far ahead takes several */
	while (end - mixer->base > (int64_t) mixer->capacity)
		write_until(mixer, end - (int64_t) mixer->capacity);
}

/* Drops the samples before what is already written (counted late); false when none remain. */
static bool skip_written(struct rec_mixer *mixer, int64_t *position, const int16_t **samples, size_t *count)
{
	if (*position >= mixer->base)
		return true;
	size_t skip = (size_t) (mixer->base - *position);
	if (skip >= *count) {
		mixer->late += *count;
		return false;
	}
	mixer->late += skip;
	*samples += skip;
	*count -= skip;
	*position = mixer->base;
	return true;
}

void mixer_add(struct rec_mixer *mixer, unsigned int input, int64_t position, const int16_t *samples, size_t count)
{
	if (input >= REC_MIX_MAX_INPUTS || count == 0)
		return;
	if (count > mixer->limit)       /* more than the whole window at once: not from a decoder */
		count = mixer->limit;
	if (!skip_written(mixer, &position, &samples, &count))
		return;
	int64_t end = position + (int64_t) count;
	make_room(mixer, end);
	/* make_room may have written past the position: the input is far behind */
	if (!skip_written(mixer, &position, &samples, &count))
		return;
	size_t offset = (size_t) (position - mixer->base);
	if (mixer->channels == 1) {
		int32_t *target = mixer->accumulator + offset;
		for (size_t i = 0; i < count; i++)
			target[i] += samples[i];
	} else {
		size_t channels = (size_t) mixer->channels;
		int32_t *target = mixer->accumulator + offset * channels + (input % channels);
		for (size_t i = 0; i < count; i++)
			target[i * channels] += samples[i];
	}
	if (!(mixer->active & (1u << input)) || mixer->end[input] < end)
		mixer->end[input] = end;
	mixer->active |= 1u << input;
	mixer->last_added[input] = mixer->flushes;
	if (mixer->max_end < end)
		mixer->max_end = end;
}

int mixer_flush(struct rec_mixer *mixer, bool final)
{
	int64_t ready = mixer->max_end;
	if (!final) {
		mixer->flushes++;
		for (unsigned int i = 0; i < REC_MIX_MAX_INPUTS; i++)
			if ((mixer->active & (1u << i)) && mixer->end[i] < ready &&
			    mixer->flushes - mixer->last_added[i] <= MIXER_STALLED_FLUSHES)
				ready = mixer->end[i];
		/* a party that starts sending later arrives behind the others by its jitter buffer
		 * and a poll interval: keep a second so that its first audio is not late */
		ready -= mixer->rate * MIXER_HOLDBACK_SECONDS;
	}
	int error = 0;
	while (ready > mixer->base) {
		int64_t before = mixer->base;
		int result = write_until(mixer, ready);
		if (!error)
			error = result;
		if (mixer->base == before)
			break;
	}
	return error;
}

uint64_t mixer_late_samples(const struct rec_mixer *mixer)
{
	return mixer->late;
}

int64_t mixer_written(const struct rec_mixer *mixer)
{
	return mixer->base;
}
