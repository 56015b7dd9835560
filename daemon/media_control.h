/* Media control without decoding: the ng commands `block DTMF` / `unblock DTMF` (drop RFC 4733
 * telephone-event packets), `block media` / `unblock media` (drop a party's RTP), `silence
 * media` / `unsilence media` (PCMU/PCMA payloads replaced by silence).
 *
 * A command with from-tag acts on the packets that party sends; without, on the whole call
 * (as upstream). The control thread sets media->media_control and the payload types learned
 * from each side's SDP; call_refresh_forwarding() copies them under the call's lock into the
 * stream's extras and sets FORWARD_MEDIA_CONTROL, which is all the packet path tests until a
 * command is given. Such streams stay in userspace (kernel_backend.c). */
#ifndef RTPENGINE_MEDIA_CONTROL_H
#define RTPENGINE_MEDIA_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "endpoint.h"
#include "ng_request.h"

struct stream;
struct media;
struct sdp_media;

enum media_control_flags {
	MEDIA_CONTROL_BLOCK_DTMF    = 1 << 0,
	MEDIA_CONTROL_BLOCK_MEDIA   = 1 << 1,
	MEDIA_CONTROL_SILENCE_MEDIA = 1 << 2,
	MEDIA_CONTROL_DETECT_DTMF   = 1 << 3,   /* --dtmf-log-dest set and the side has telephone-event */
	MEDIA_CONTROL_INBAND_DTMF   = 1 << 4,   /* detect-DTMF: audio copied into extras->dtmf_detect */
	MEDIA_CONTROL_DTMF_TRIGGER  = 1 << 5,   /* block DTMF with trigger: extras->dtmf_trigger */
	MEDIA_CONTROL_DTMF_DELAY    = 1 << 6,   /* DTMF-delay: RTP held in extras->dtmf_delay first */
};

/* One RFC 4733 event end seen by the packet path, reported once the call's lock is released
 * (media_control_report()). Pointers stay valid until the worker's next quiescent point. */
struct media_control_dtmf {
	const char *call_id, *source_tag;
	const char *tags[8];            /* the call's tags, newest first (as 10.5 lists them) */
	unsigned int tag_count;
	union endpoint source;
	unsigned int event, duration_ms, volume;
};

/* ITU-T G.711 silence (the code of amplitude 0): 0xff in mu-law, 0xd5 in A-law. */
#define MEDIA_CONTROL_PCMU_SILENCE 0xff
#define MEDIA_CONTROL_PCMA_SILENCE 0xd5

/* ng handlers (ng_server.c's command table). */
int ng_command_block_dtmf(struct ng_request *request);
int ng_command_unblock_dtmf(struct ng_request *request);
int ng_command_block_media(struct ng_request *request);
int ng_command_unblock_media(struct ng_request *request);
int ng_command_silence_media(struct ng_request *request);
int ng_command_unsilence_media(struct ng_request *request);
/* play DTMF: code (0-9, *, #, A-D or 0-15), duration (ms, default 100), volume (default 8)
 * for from-tag's party, into its stream through the stream's chain (inject-DTMF towards the
 * peer, or a transcoded call: codec_chain_inject_dtmf()). Without a chain, as 10.5: an error
 * before the party sent media, else ok with a "warning" that nothing was injected. */
int ng_command_play_dtmf(struct ng_request *request);

/* block DTMF's keys of one request (DTMF-security, trigger and its keys, DTMF-delay), read and
 * checked before the request changes anything, applied after. */
struct media_control_trigger_keys {
	char start[16], end[16];        /* trigger, trigger-end: DTMF digits, "" = none */
	unsigned int end_ms;            /* trigger-end-time, 0 = none */
	uint16_t end_digits;            /* trigger-end-digits, 0 = none */
	uint8_t mode;                   /* DTMF-security-trigger (media_control.c's enum) */
};
struct media_control_dtmf_keys {
	uint8_t action;                 /* block, trigger, delay alone or nothing (media_control.c) */
	uint8_t block_mode;             /* DTMF-security: drop, pass or tones (media_control.c) */
	long long delay_ms;             /* DTMF-delay, -1 = no key */
	struct media_control_trigger_keys trigger;
};
/* Offer, answer and publish, before anything is staged: block DTMF's keys in the message read
 * and checked with block DTMF's parser, so that a bad value refuses the message while the call
 * is still as it was. 0, or -EINVAL with request->error_reason. */
int media_control_offer_answer_read(struct ng_request *request, struct media_control_dtmf_keys *keys);
/* Then, once the SDP went through: the keys applied as block DTMF applies them, to the
 * from-tag's party; none of them (or DTMF-security=off alone): nothing changes, what an earlier
 * message or block DTMF set stays; a DTMF-delay alone only delays. 0, or -errno with
 * request->error_reason (the call or party is gone, a tone mode the negotiated codecs cannot
 * play, out of memory). Also drop-traffic=start/stop, for the whole call. */
int media_control_offer_answer(struct ng_request *request, const struct media_control_dtmf_keys *keys);
/* Commands that do not apply block DTMF's keys (subscribe request): the first of them in the
 * request refused by name (DTMF-security=off alone asks for nothing and passes). 0, or -ENOTSUP
 * with request->error_reason. */
int media_control_refuse_dtmf_keys(struct ng_request *request, const char *command);

/* Cancels a call's DTMF timers and players when it ends (call_lifecycle.h observer). */
extern const struct call_observer media_control_call_observer;

/* Control thread, offer/answer: which of the side's payload types are telephone-event, PCMU
 * and PCMA, from its SDP (RTP media only). */
void media_control_learn_sdp(struct media *media, const struct sdp_media *sdp_media);

/* What of a media's control a Redis value keeps (redis_value.c): the commands' flags, the
 * payload types learned from the side's SDP (the value has no SDP to learn them from again),
 * block DTMF's audio modes (the side's first G.711 and telephone-event, from which the tone
 * chain is built again), the DTMF-delay's length (not the packets waiting in it) and block
 * DTMF's trigger with its progress and, while it is active, when it fired (CLOCK_REALTIME: a
 * monotonic clock does not travel between hosts, so trigger-end-time counts from the firing,
 * not from the restore). */
#define MEDIA_CONTROL_SAVED_FLAGS (MEDIA_CONTROL_BLOCK_DTMF | MEDIA_CONTROL_BLOCK_MEDIA | MEDIA_CONTROL_SILENCE_MEDIA \
				   | MEDIA_CONTROL_DTMF_TRIGGER | MEDIA_CONTROL_DTMF_DELAY)
struct media_control_saved {
	uint8_t flags;                  /* enum media_control_flags, MEDIA_CONTROL_SAVED_FLAGS only; an
					 * audio mode is saved with BLOCK_DTMF too (see as_tones) */
	unsigned int event_clock;       /* telephone-event's clock rate, 0 none */
	uint64_t events[2], pcmu[2], pcma[2];   /* payload type bitmaps (struct codec_payload_set) */
	/* block DTMF's audio modes (media_transcode_stage_dtmf_tones()): the side's first G.711
	 * codec and telephone-event/8000 (media->dtmf_audio_*), and whether such a mode is on
	 * (media->dtmf_as_tones; a reader that does not know as_tones drops the events instead) */
	bool tones_known, tones_alaw, as_tones;
	uint8_t tones_audio_type, tones_event_type;
	unsigned int delay_ms;          /* 0 = none; 1 to DTMF_DELAY_MAX_MS */
	bool trigger;                   /* the fields below are set */
	char trigger_start[16], trigger_end[16];
	unsigned int trigger_end_ms;
	uint16_t trigger_end_digits, trigger_digits_since;
	uint8_t trigger_mode;           /* 0 none, 1 drop, 2 tones */
	bool trigger_active, trigger_event_seen;
	uint8_t trigger_progress, trigger_end_progress;
	uint32_t trigger_event_ts;
	int64_t trigger_fired_us;       /* active: CLOCK_REALTIME us it fired at; 0 = unknown (counts from the restore) */
};
/* Under the call's lock: the media's state into *saved. */
void media_control_save(const struct media *media, struct media_control_saved *saved);
/* Restore, before the media is published to the worker (and after a subscriber's chain is in
 * place): the state back, the trigger and the delay line allocated, an audio mode's tone chain
 * built again and in place (one that this build cannot make is logged and its events dropped
 * instead, so they stay hidden). -EINVAL when the saved state is out of range (nothing
 * changed), -ENOMEM. */
int media_control_restore(struct media *media, const struct media_control_saved *saved);

/* Start-up: where DTMF events go as upstream's JSON (--dtmf-log-dest); NULL or unset: DTMF is
 * not looked at. Returns 0 or -errno (socket). */
int media_control_set_dtmf_log_dest(const union endpoint *destination);
void media_control_stop(void);

/* Packet path, for an RTP packet (after SRTP decryption) of a stream with
 * FORWARD_MEDIA_CONTROL, under the call's lock: true to drop it; silences its payload in
 * place; an RFC 4733 event's first end packet fills *dtmf and sets *dtmf_seen. */
bool media_control_drops(struct stream *stream, unsigned char *packet, size_t length,
		const union endpoint *source, struct media_control_dtmf *dtmf, bool *dtmf_seen);
/* Packet path, under the call's lock: a digit the transcoding engine found in-band
 * (codec_chain_take_dtmf()) as an event to report; false when --dtmf-log-dest is not set. */
bool media_control_inband_dtmf(const struct stream *stream, const union endpoint *source, unsigned int event,
		unsigned int duration_ms, unsigned int volume, struct media_control_dtmf *dtmf);
/* Packet path, after the call's lock is released: logs the event and sends the JSON. */
void media_control_report(const struct media_control_dtmf *dtmf);

#endif
