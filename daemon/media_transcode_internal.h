/* Internal to the transcoding of a media (media_transcode.c, media_transcode_subscription.c): the
 * per-media state and the helpers both files use. Not for other modules: they use
 * media_transcode.h. Control thread only, as media_transcode.h says. */
#ifndef RTPENGINE_MEDIA_TRANSCODE_INTERNAL_H
#define RTPENGINE_MEDIA_TRANSCODE_INTERNAL_H

#include <stdbool.h>
#include "codec.h"
#include "media_transcode.h"

struct codec_chain;
struct media;

/* One codec of a transcoded media as the SDP names it. */
struct transcode_codec {
	unsigned int payload_type;
	char name[32];
	unsigned int clock, channels;
	char rtpmap[200];               /* "96 opus/48000/2[ fmtp]" (sdp_write.c's added rtpmap) */
	char fmtp[128];                 /* the SDP's a=fmtp value ("octet-align=1"), "" if none */
	/* a codec we add: the transcode spec's bit rate and ptime for its encoder (0 = default) */
	int bit_rate;
	unsigned int ptime;
};

/* One `codec set` spec of the offer: encoder options for a transcoded codec it matches. */
struct codec_setting {
	char name[32];
	unsigned int clock, channels;   /* 0 = any */
	int bit_rate;
};

#define CODEC_SETTINGS_MAX 8

struct media_transcode {
	/* on the answerer's media, from the offer */
	/* ptime towards each side (ng ptime, ptime-reverse; 0 = not given), see chain_ptime() */
	unsigned int ptime_to_answerer, ptime_to_offerer;
	/* ptime or ptime-reverse given: as 10.5, the codec the answerer picks from the offer is
	 * repacketised too (decoded and encoded again in the other frame size) */
	bool repacketise;
	unsigned int settings_count;
	struct codec_setting settings[CODEC_SETTINGS_MAX];
	bool offered;                   /* codecs were added to the last offer */
	/* ... and the offerer kept no codec to transcode from (media_transcode_answer_passed()) */
	bool passed;
	/* codec-accept or always-transcode in the last offer: the leg codec holds whatever the
	 * answerer picks, added codec or not */
	bool forced;
	bool force_dtmf;                /* always-transcode: the leg's telephone-event stays too */
	bool inject;                    /* inject-DTMF: chains even when both sides speak the leg codec */
	bool inject_kept;               /* inject-DTMF was given once: it stays for the call, as 10.5's */
	struct transcode_codec leg;     /* the offerer's codec the chains speak */
	bool leg_dtmf_set;
	struct transcode_codec leg_dtmf;
	/* the offer's CN at the leg's clock: listed back to the offerer with always-transcode whatever
	 * the answerer took, or when the answerer took CN at its codec's clock (peer_cn_taken), as
	 * 10.5; the offerer's CN packets are decoded as noise (codec_chain.c) */
	bool leg_cn_set;
	struct transcode_codec leg_cn;
	bool peer_cn_taken;             /* the last answer took CN at its transcoded codec's clock */
	/* consume CN: the offer's CN (static type 13) hidden from the answerer, listed back to the
	 * offerer and decoded towards the answerer (as 10.5) */
	bool cn_consumed;
	struct transcode_codec consumed_cn;
	unsigned int added_count;
	struct transcode_codec added[MEDIA_TRANSCODE_ADDED * 2];   /* codecs and their telephone-events */
	/* the offer's own payload types, less those we added (an added codec may take the payload
	 * type of one the answerer was not offered, as 10.5: the answer's means ours then) */
	struct codec_payload_set offer_payload_types;
	/* the offer's payload types the answerer is offered (all with "full"): the others are free for ours */
	struct codec_payload_set offered_on;
	/* publish/subscribe: the codec a subscriber picked and its events, kept for Redis
	 * (media_transcode_subscription_save()) */
	bool subscribed, subscribed_dtmf_set;
	struct transcode_codec subscribed_peer, subscribed_dtmf;
	/* an answer's chain as Redis keeps it (transcode_note_chain()): the staged one's, cleared by
	 * every other transcode_stage() and by a discard, becomes the published one's at publish */
	bool staged_noted, chain_noted;
	struct media_transcode_saved staged_note, chain_note;
	/* answer-time outcome, for the rtpmaps the offerer's answer carries */
	char answer_rtpmaps[3][200];
	/* on each side's media: the chain its RTP stream's packets go through */
	bool staged_set;
	struct codec_chain *staged;     /* becomes extras->transcode at publish */
	struct codec_chain *replaced;   /* freed after publishing */
	/* block DTMF's audio modes: the staged / published chain is media_transcode_stage_dtmf_tones()'s */
	bool staged_dtmf_tones, dtmf_tones;
};

/* Codecs of the answer that the offer had too, besides the one the answerer took: listed in the
 * offerer's answer after the leg codec (as 10.5); the offerer's packets in them are decoded like
 * the leg codec's (alternates), the answerer's pass untouched (passthrough). */
#define SHARED_CODECS_MAX 12
struct shared_codecs {
	unsigned int count;
	struct transcode_codec codecs[SHARED_CODECS_MAX];
};

bool transcode_is_auxiliary(const struct codec *codec);
/* The media's state, made on first use. */
struct media_transcode *transcode_state_of(struct media *media);
void transcode_codec_copy(struct transcode_codec *out, const struct codec *codec);
/* Whether the space-separated format list ("0 8 101") has the payload type. */
bool transcode_formats_have(const char *formats, unsigned int payload_type);
/* The encoder bit rate for codec: its transcode spec's, else codec set's; 0 = the default. */
int transcode_bit_rate(const struct media_transcode *state, const struct transcode_codec *codec);
/* A chain in -> out (codec_chain_config), NULL with *reason when it cannot be made. */
struct codec_chain *transcode_chain_between(const struct transcode_codec *in, const struct transcode_codec *in_dtmf,
		const struct transcode_codec *out, const struct transcode_codec *out_dtmf, int out_cn_pt, int in_cn_pt,
		unsigned int ptime_ms, int bit_rate, const struct shared_codecs *alternates,
		const struct shared_codecs *passthrough, const char **reason);
/* After transcode_stage() of an answer's chain: its inputs, kept for Redis
 * (media_transcode_chain_save()). */
void transcode_note_chain(struct media *media, const struct transcode_codec *in, const struct transcode_codec *in_dtmf,
		const struct transcode_codec *out, const struct transcode_codec *out_dtmf, int out_cn_pt, int in_cn_pt,
		unsigned int ptime_ms, int bit_rate, const struct shared_codecs *alternates,
		const struct shared_codecs *passthrough);
/* A saved codec ("PT NAME/CLOCK[/CHANNELS]" and fmtp) as the chains take it; false if malformed. */
bool transcode_codec_load(const char *rtpmap, const char *fmtp, struct transcode_codec *out);
void transcode_codec_save(const struct transcode_codec *codec, bool set, char *rtpmap, char *fmtp);
/* The chain the media's RTP stream gets at the next publish (NULL: none). */
void transcode_stage(struct media *media, struct codec_chain *chain);

#endif
