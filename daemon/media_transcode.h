/* Transcoding of one media (issue 15): what codec negotiation decided, turned into codec
 * chains (codec_chain.h) that the packet path hands a transcoded stream's RTP to.
 *
 * Offer: a `codec: {transcode: [...]}` codec the offer lacks, which this build encodes and
 * decodes, is added to the offer the answerer gets (its static payload type, else the first
 * free dynamic one, with an a=rtpmap; plus telephone-event at its clock when the offer had
 * telephone-event at another). The offerer's first codec the engine handles becomes its leg's
 * codec. Answer: when the answerer picked an added codec, the offerer's answer names the leg
 * codec (and its telephone-event), and each side's RTP stream gets a chain: offerer's leg codec
 * -> answerer's codec, and back. An answer that picked an offered codec drops the chains.
 * inject-DTMF in the offer or the answer (as 10.5) keeps chains even when the answerer picked
 * the leg codec itself (decode and encode of one codec), so that play DTMF can reach the
 * stream; once given it stays for the rest of the call (re-offers without it keep the chains). Chains
 * towards a side whose answer has CN replace silent frames by CN with --silence-detect.
 * As 10.5 (each measured against it): an offer that adds a codec or asks for a ptime loses the
 * codecs this build cannot decode and encode; the offerer's answer also lists the
 * answerer's other codecs that the offer had (its chain decodes them too, the answerer's pass
 * untouched); each chain's output has the ptime its receiver gets (media_transcode_answer());
 * ptime alone repacketises the answerer's pick through a chain into the same codec; codec set's
 * bit rates reach the encoders, a transcode spec's bit rate, ptime and fmtp the added codec's
 * encoder and SDP (an added G729 gets "annexb=no", as 10.5); an offer without a codec the
 * engine encodes (AMR-only) gets the codecs added
 * and no chains (its media pass untouched); consume keeps the consumed codec as the leg; the
 * answer's shared codecs at other clocks are listed and pass untouched.
 *
 * Threads: everything here runs on the control thread; media_transcode_publish() runs under
 * the call's lock (publish()), media_transcode_release() after it, freeing replaced chains
 * once the worker can no longer see them. The worker reads extras->transcode only with
 * FORWARD_TRANSCODE set, under the call's lock.
 */
#ifndef RTPENGINE_MEDIA_TRANSCODE_H
#define RTPENGINE_MEDIA_TRANSCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct codec_list;
struct codec_options;
struct codec_payload_set;
struct media;

#define MEDIA_TRANSCODE_ADDED 4
/* packets held for a missing one without --jitter-buffer: in-order packets are never delayed */
#define MEDIA_TRANSCODE_DEFAULT_REORDER 2

struct daemon_config;

/* Start-up, before calls: --jitter-buffer, --dtx-delay, --max-dtx, --silence-detect, --cn-payload. */
void media_transcode_configure(const struct daemon_config *config);
/* DTX (as 10.5's --dtx-delay): a transcoded stream silent for this long gets its gap filled
 * by the relay, one frame per ptime (codec_chain_fill_frame()), for at most max_dtx; 0 = off. */
long long media_transcode_dtx_delay_us(void);
long long media_transcode_max_dtx_us(void);   /* <= 0: no limit */

/* 0 when the offer's transcode codecs are all offered or can be added; -ENOTSUP with *refused
 * (the spec) and *reason (static text naming why) when one cannot. */
int media_transcode_offer_check(const struct codec_list *offered, const struct codec_options *options,
		const char **refused, const char **reason);

/* The offer the answerer gets when transcode names codecs the offer lacks: chosen/count as
 * codec_negotiate_offer() gave them for the codecs offered, the added payload types appended
 * to formats (size bytes) and their rtpmap values ("96 opus/48000/2") in rtpmaps
 * (MEDIA_TRANSCODE_ADDED * 2 + 1 entries, NULL-terminated). Returns 1 when codecs were added,
 * 0 when none was needed, -errno. State is kept on answerer_media. */
int media_transcode_offer(const struct codec_list *offered, const struct codec_options *options,
		struct media *answerer_media, char *formats, size_t size, const char **rtpmaps);

/* Before media_transcode_answer(): inject-DTMF in the answer (or given earlier) with an offer
 * that did not ask for it: the answer's first codec becomes the leg codec, chains both ways. */
void media_transcode_answer_flags(const struct codec_list *answered, const struct codec_options *options,
		struct media *answerer_media);
/* The answer the offerer gets: 1 with formats/rtpmaps filled when the answerer chose an added
 * codec (chains are staged for both media), 0 when not transcoding (chains are dropped).
 * answer_ptime_ms: the answer's a=ptime (0 = none). Each chain's output is packetised in the
 * ptime its receiver gets, as 10.5: towards the answerer the offer's ng `ptime`, else the
 * answer's a=ptime, else the offer's; towards the offerer `ptime-reverse`, else the offer's
 * a=ptime; else the codec's usual one. Encoders get the offer's `codec set` bit rates. */
int media_transcode_answer(const struct codec_list *answered, unsigned int answer_ptime_ms,
		struct media *answerer_media, struct media *offerer_media, char *formats, size_t size,
		const char **rtpmaps);

/* publish/subscribe (pubsub.h), allow-transcoding: the subscriber answered the subscription
 * offer that media_transcode_offer() added codecs to (its media is the answerer's). When it
 * picked an added codec, one chain (source's codec -> its pick, ptime as the request's ptime
 * else the codec's usual one) is staged on its media, whose copies the worker passes through
 * it: 1. Otherwise (answered NULL too) no chain: 0. -ENOTSUP if the chain cannot be made. */
int media_transcode_subscription(const struct codec_list *answered, struct media *subscriber_media);

/* The same when the subscriber's answer lacks some of the source's own codecs (source: those
 * it was offered), as 10.5 measured: without allow-transcoding that answer is refused
 * (media_transcode_subscription_needed()); with it the source's packets in a codec the answer
 * lacks are transcoded to the answer's first codec, those in a codec it has pass as they are
 * (pubsub.c calls it for a side of a dialogue; a publisher's copies pass as they are).
 * 1 staged, 0 nothing to transcode, -ENOTSUP. */
bool media_transcode_subscription_needed(const struct codec_list *source, const struct codec_list *answered);
int media_transcode_subscription_unanswered(const struct codec_list *source, const struct codec_list *answered,
					    struct media *subscriber_media);

/* Redis (docs/redis.md): an allow-transcoding subscriber's chain as text, the a=rtpmap values
 * ("PT NAME/CLOCK[/CHANNELS]") and a=fmtp values of the source's codec, the subscriber's pick
 * and their telephone-events ("" when none), and the encoder's bit rate (0 = default). */
#define MEDIA_TRANSCODE_SAVED_RTPMAP 64
#define MEDIA_TRANSCODE_SAVED_FMTP 128
#define MEDIA_TRANSCODE_SAVED_ALTERNATES 4   /* CODEC_CHAIN_MAX_ALTERNATES */
struct media_transcode_saved {
	char leg[MEDIA_TRANSCODE_SAVED_RTPMAP], leg_fmtp[MEDIA_TRANSCODE_SAVED_FMTP];
	char leg_events[MEDIA_TRANSCODE_SAVED_RTPMAP], leg_events_fmtp[MEDIA_TRANSCODE_SAVED_FMTP];
	char peer[MEDIA_TRANSCODE_SAVED_RTPMAP], peer_fmtp[MEDIA_TRANSCODE_SAVED_FMTP];
	char peer_events[MEDIA_TRANSCODE_SAVED_RTPMAP], peer_events_fmtp[MEDIA_TRANSCODE_SAVED_FMTP];
	unsigned int bit_rate;
	/* offer/answer chains only (media_transcode_chain_save()): the output's ptime (0 = the
	 * codec's usual one), the CN payload types towards the receiver (--silence-detect) and from
	 * the sender (-1 = none), and the payload types the chain passes untouched */
	unsigned int ptime;
	int to_cn_pt, from_cn_pt;
	uint64_t passthrough[2];
	/* the answer's other codecs at the sender's clock that the chain decodes too (its rtpmap, fmtp) */
	unsigned int alternate_count;
	char alternates[MEDIA_TRANSCODE_SAVED_ALTERNATES][MEDIA_TRANSCODE_SAVED_RTPMAP];
	char alternates_fmtp[MEDIA_TRANSCODE_SAVED_ALTERNATES][MEDIA_TRANSCODE_SAVED_FMTP];
};
/* false when the media has no subscription chain */
bool media_transcode_subscription_save(const struct media *subscriber_media, struct media_transcode_saved *out);
/* On a restored subscriber media not yet reachable by the worker: the chain built again and
 * in place. 0, -EINVAL for a malformed record, -ENOTSUP when this build cannot make it. */
int media_transcode_subscription_restore(struct media *subscriber_media, const struct media_transcode_saved *saved);

/* Redis (docs/redis.md): the chain an answer (media_transcode_answer()) gave the media's RTP
 * stream, as media_transcode_saved (the sender's codec as "leg", the receiver's as "peer");
 * false when it has none (or only a subscription's or block DTMF's tone chain). */
bool media_transcode_chain_save(const struct media *media, struct media_transcode_saved *out);
/* On a restored media not yet reachable by the worker: that chain built again (with the function
 * the answer uses) and in place. 0, -EINVAL for a malformed record, -ENOTSUP when this build
 * cannot make it. */
int media_transcode_chain_restore(struct media *media, const struct media_transcode_saved *saved);

/* Under the call's lock: the staged chain becomes the stream's. */
/* block DTMF with DTMF-security silence, tone or random (media_control.c), on a media without a
 * chain: as 10.5 does there (measured, the same for the three modes), a chain from the side's
 * first G.711 codec into itself that can play its RFC 4733 events (telephone-event/8000) as their
 * digit's tone pair in the audio (codec_chain_play_events_as_tones(): media->dtmf_as_tones, or a
 * DTMF trigger); the other payload types pass. on = false stages its removal.
 * Control thread; publish under the call's lock as for offer/answer. Returns 1 when something
 * was staged, 0 when there is nothing to do (no G.711 with telephone-event, already so, or a
 * transcoded media: its chain plays the events while media->dtmf_as_tones, set again at each
 * publish), -ENOTSUP with *reason when the chain cannot be built. */
int media_transcode_stage_dtmf_tones(struct media *media, bool on, const char **reason);
/* Drops what was staged and not published (a command that failed half way). */
void media_transcode_discard_staged(struct media *media);
void media_transcode_publish(struct media *media);
/* After the lock: frees what publishing replaced. */
/* Whether the offer asked for a ptime towards the answerer (the chains repacketise, and the
 * offerer gets its own ptime back, as 10.5). */
bool media_transcode_ptime_forced(const struct media *answerer_media);

/* consume CN (as 10.5): the offer's CN at the leg's clock (static or dynamic) the answerer was
 * not offered goes into the offerer's answer (formats, size bytes) before its first
 * telephone-event, its rtpmap to the NULL-terminated rtpmaps. 1 when inserted. */
int media_transcode_consumed_cn(const struct media *answerer_media, const struct codec_list *answered,
		char *formats, size_t size, const char **rtpmaps);
/* Codecs were added to the offer but strip kept the offerer no codec to transcode from (only
 * telephone-event, CN or codecs the engine cannot encode): as 10.5, the answer passes as the
 * answerer gave it and the media untouched. chosen/count (indexes into answered, as
 * codec_negotiate_answer() gave them) lose the events and CN we added and those without audio
 * at their clock (RFC 4733 section 2.1), so an answer of events alone lists no format at all
 * (10.5 writes an empty m= format list); an answer with nothing offered is kept whole. Nothing
 * changes for other media. */
/* Before media_transcode_answer(): an answer none of whose codecs the answerer was offered
 * (RFC 3264 section 6.1). As 10.5 (measured), the offerer's first codec the answerer was
 * offered ("PT name/clock[/channels]") is the offerer's leg, transcoded to the answer's first
 * codec both ways. Nothing when this build cannot transcode it or the offerer kept no codec. */
void media_transcode_answer_unoffered(struct media *answerer_media, const char *leg_rtpmap);

void media_transcode_answer_passed(const struct media *answerer_media, const struct codec_list *answered,
		unsigned int *chosen, unsigned int *count);
/* The payload types the last offer to the answerer got from us (transcode codecs, their events
 * and CN, not the offerer's): the offerer's answer never names them (codec_answer_taken()). */
void media_transcode_added_payload_types(const struct media *answerer_media, struct codec_payload_set *added);

void media_transcode_release(struct media *media);
/* call_free(): the media's chains and state. */
void media_transcode_free(struct media *media);

#endif
