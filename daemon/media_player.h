/* play media / stop media without transcoding: an audio file (any format libavformat reads,
 * WAV in the tests) is decoded once, when the command arrives, into the G.711 codec (PCMU or
 * PCMA) the participant negotiated; a timer on the call's worker then sends one 20 ms frame
 * per tick to the participant (from-tag), in an RTP stream of its own (own SSRC, sequence and
 * timestamp). The participant's other media is relayed as before. The audio comes from a file
 * (`file`), from the request itself (`blob`, the bytes of a whole file) or from a database
 * (`db-id`, media_player_db.h).
 *
 * Threads: commands and the call-end observer on the control thread; the timer on the call's
 * worker, which reads the player under the call's lock. */
#ifndef RTPENGINE_MEDIA_PLAYER_H
#define RTPENGINE_MEDIA_PLAYER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "ng_request.h"
#include "timer_heap.h"

struct call_event;

/* One media's player, embedded in struct media (call.h). */
struct media_player {
	struct timer_entry timer;
	bool active;                   /* under call->lock: the worker sends frames */
	unsigned char *samples;        /* G.711 bytes of the whole file; owned by the control thread */
	size_t length, position;
	double ticks_per_byte;         /* the file's time base ticks per 8 kHz sample: last-frame-pos */
	unsigned int repeats_left;     /* iterations after this one may start while > 1 */
	uint64_t frames_sent;          /* all iterations */
	uint64_t frames_max;           /* `duration`: the playback stops after this many frames */
	uint64_t repeat_frames;        /* `repeat-duration`: no iteration starts after this many (0: no limit) */
	uint8_t payload_type;
	bool first;
	uint32_t ssrc, timestamp;
	uint16_t sequence;
};

/* The bytes of one 20 ms frame (8 kHz G.711) of a player's samples. */
#define MEDIA_PLAYER_FRAME_BYTES 160

/* The next frame of the playback into frame (MEDIA_PLAYER_FRAME_BYTES), advancing position and
 * the iterations. The iterations are one continuous stream cut into frames, as 10.5 cuts them
 * (measured): a frame that reaches the end of an iteration goes on with the next one if another
 * may start (repeats_left, repeat_frames against frames_sent); a last partial frame of the whole
 * playback is left out, not filled. False: nothing more to send. Caller: the worker under the
 * call's lock (or a test). Does not count frames_sent. */
bool media_player_fill_frame(struct media_player *player, unsigned char *frame);

/* After a frame was sent and counted: whether the playback goes on (duration's frames_max not
 * reached, and samples left in this iteration or another iteration may start). */
bool media_player_has_more(const struct media_player *player);

int ng_command_play_media(struct ng_request *request);
int ng_command_stop_media(struct ng_request *request);

/* Decodes the file into 8 kHz mono G.711 (alaw false: mu-law). Returns the bytes (g_free)
 * and their number, or NULL with *error set. Control thread. */
/* What the container says about its audio, besides the decoded bytes. */
struct media_player_info {
	double time_base;        /* seconds per tick of the audio stream's time base, the unit of
				  * `start-pos` and `last-frame-pos` (upstream's "frame position":
				  * the sample number for a WAV file) */
	long long duration_ms;   /* the container's duration, truncated to ms as 10.5 replies it
				  * (an MP3's includes the encoder's delay and padding); -1: unknown */
};

unsigned char *media_player_decode(const char *path, bool alaw, size_t *length, struct media_player_info *info,
				   const char **error);
/* The same for a whole media file held in memory (the ng `blob` key), read through a custom
 * AVIOContext; data is only read during the call. */
unsigned char *media_player_decode_blob(const unsigned char *data, size_t size, bool alaw, size_t *length,
					struct media_player_info *info, const char **error);

/* A call ends (called by media_control.c's call observer, one observer for both): stops its
 * players and frees their samples. */
void media_player_call_ended(const struct call_event *event);

#endif
