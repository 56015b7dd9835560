/* The codec model of an m= line and codec negotiation without transcoding, as rtpengine 10.5
 * negotiates when it need not decode: the ng `codec` dictionary (strip, offer, mask, consume,
 * except, transcode of a codec both sides have) and the single-codec flag only remove payload
 * types from, or reorder, what a side offered; payload types are never renumbered and no
 * codec is ever added that the offerer did not list (that would need transcoding).
 *
 * Contract: pure functions on the parsed SDP (sdp.h) and the request's options, control
 * thread, no allocation. Errors: -ENOTSUP when the request needs transcoding, with the codec
 * named in *missing. */
#ifndef RTPENGINE_CODEC_H
#define RTPENGINE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sdp_media;

#define CODEC_MAX 32               /* payload types per m= line we negotiate (more: left alone) */
#define CODEC_NAMES_MAX 16         /* names per codec option in one request */
#define CODEC_PAYLOAD_TYPES 128

/* One payload type of an m= line (RFC 8866 section 6.6 rtpmap, section 6.15 fmtp). */
struct codec {
	unsigned int payload_type;
	char name[32];                 /* encoding name as written ("PCMU", "opus"); "" if unknown */
	unsigned int clock_rate;       /* 0 if unknown */
	unsigned int channels;         /* 1 when the rtpmap gives none (RFC 8866 section 6.6) */
	const char *format_parameters; /* the a=fmtp value after "PT ", NULL if none (last wins) */
};

/* An m= line's formats in m= order. */
struct codec_list {
	unsigned int count;
	struct codec codecs[CODEC_MAX];
};

/* Codec names of one ng codec option ("PCMA", "opus/48000/2", "all"), as received. */
struct codec_names {
	unsigned int count;
	const char *names[CODEC_NAMES_MAX];
};

/* What one request asks of the codecs (ng `codec` dictionary, codec-* flags, ptime). */
struct codec_options {
	struct codec_names strip, except, offer, mask, consume, transcode;
	/* transcoding (media_transcode.h): the offer's codec the offerer's leg keeps whatever the
	 * answerer picks; always-transcode: the offer's first codec this build transcodes */
	struct codec_names accept;
	/* codec set ("opus/48000/2/16000": name/clock/channels/bit rate): encoder options of the
	 * transcoded codecs the spec matches (media_transcode.h); the SDP does not change */
	struct codec_names set;
	bool always_transcode;
	bool inject_dtmf;               /* inject-DTMF: through the engine even with one codec (media_transcode.h) */
	bool single_codec;
	bool adding;                    /* transcoding adds codecs: strip may leave none of the offer's */
	long long ptime, ptime_reverse;   /* 0 = not given */
};

/* The set of payload types a side was offered, which its answer is held to. */
struct codec_payload_set {
	uint64_t bits[CODEC_PAYLOAD_TYPES / 64];
};

/* Parses the m= line's formats with their rtpmap/fmtp attributes; static payload types without
 * rtpmap get their RFC 3551 name. Returns -EINVAL for a non-RTP format list (a token that is
 * not a payload type, e.g. "t38") or more than CODEC_MAX formats: such media are left alone. */
int codec_list_from_media(const struct sdp_media *media, struct codec_list *list);

/* Upstream's codec spec match: "all"; a name (case-insensitive); "name/clock" (one channel);
 * "name/clock/channels". */
bool codec_matches(const struct codec *codec, const char *spec);

/* "all", or 10.5's "full" in strip/mask/consume: every codec. With "full" the payload types
 * removed stay reserved (codec_keeps_removed_types()). */
bool codec_name_is_all(const char *name);
/* Whether strip, mask or consume say "full": as 10.5 (GH 963), a codec added by transcoding then
 * takes none of the removed codecs' payload types (with "all" it may). */
bool codec_keeps_removed_types(const struct codec_options *options);

/* Whether strip, mask or consume name the codec (and except does not): it is not offered on. */
bool codec_removed_by(const struct codec *codec, const struct codec_options *options);

/* Appends name to the list (dropped beyond CODEC_NAMES_MAX). */
void codec_names_add(struct codec_names *names, const char *name);

/* The offer the receiver gets: strip/mask/consume remove (unless excepted), offer and
 * transcode put stripped codecs back in their order; "strip all" that would leave nothing
 * keeps the list (as 10.5). out gets indexes into offered, *out_count their number.
 * -ENOTSUP with *missing when transcode names a codec the offer lacks. */
int codec_negotiate_offer(const struct codec_list *offered, const struct codec_options *options,
		unsigned int *out, unsigned int *out_count, const char **missing);

/* The answer the offerer gets: only payload types the answerer was offered (when known),
 * then the answer request's own strip/mask/consume (none of them when they would leave no
 * codec, as 10.5), then single-codec (the first codec plus telephone-event and CN). */
void codec_negotiate_answer(const struct codec_list *answered, const struct codec_payload_set *offered,
		const struct codec_options *options, unsigned int *out, unsigned int *out_count);

/* Which of an answer's codecs are the offerer's own when the relay added codecs to the offer it
 * passed on (transcoding, media_transcode.h): the offerer never offered those, so its answer never
 * names them (RFC 3264 section 6.1). One rule for the transcoder and the SDP writer. */
struct codec_answer_taken {
	unsigned int count;
	unsigned int indexes[CODEC_MAX];    /* the answer's offered codecs the relay did not add, in order */
	bool left_out;                      /* one of the answer's codecs was added by the relay */
	bool offerers_audio;                /* an audio codec (not telephone-event, CN) the offerer offered is among them */
	struct codec_payload_set offerers;  /* offered less added: what the offerer's answer may name */
};
/* offered: the payload types the answerer was offered (added ones included); added: those of
 * them the relay added. */
void codec_answer_taken(const struct codec_list *answered, const struct codec_payload_set *offered,
		const struct codec_payload_set *added, struct codec_answer_taken *taken);

/* "8 0 101": the payload types of list at the indexes, space-separated, into text (size
 * bytes). Returns the length, or -ENOSPC. */
int codec_formats_text(const struct codec_list *list, const unsigned int *indexes, unsigned int count,
		char *text, size_t size);

/* True when indexes are 0..list->count-1 in order (nothing changed). */
bool codec_selection_unchanged(const struct codec_list *list, const unsigned int *indexes, unsigned int count);

void codec_payload_set_add(struct codec_payload_set *set, unsigned int payload_type);
bool codec_payload_set_has(const struct codec_payload_set *set, unsigned int payload_type);

#endif
