/* The transcoding engine (codec_chain.h states the contract). */
#include "codec_chain.h"
#include "codec_chain_ssrc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "amr_payload.h"
#include "codec_g729.h"
#include "dtmf_detect.h"
#include "rtp_header.h"

#define CN_PAYLOAD_TYPE 13          /* RFC 3551 section 6 */
#define FIFO_SECONDS 1
#define DECODE_SCRATCH_SAMPLES 8192
#define OPUS_COMPLEXITY 5

enum codec_method {
	METHOD_ULAW,                    /* G.711 by table */
	METHOD_ALAW,
	METHOD_L16,                     /* RFC 3551 section 4.5.11: network byte order */
	METHOD_LIBAV,
	METHOD_G729,                    /* bcg729 both ways (codec_g729.h): libavcodec cannot encode it */
};

struct codec_def {
	const char *name;               /* SDP encoding name */
	enum codec_method method;
	unsigned int default_clock;
	unsigned int sample_rate;       /* PCM rate; 0 = the RTP clock (G.722's differs: RFC 3551 4.5.2) */
	const char *decoders[2];        /* libavcodec names, first found wins */
	const char *encoders[2];
	unsigned int default_ptime;     /* ms; 0 = 20 (G.723.1 frames are 30 ms) */
	int bit_rate;                   /* encoder's, 0 = libavcodec's default */
	int block_align;                /* decoder's frame size in bytes, 0 = not needed */
	int amr;                        /* RFC 4867 payload: 0 no, 1 AMR, 2 AMR-WB (amr_payload.h) */
};

static const struct codec_def codec_defs[] = {
	{ "PCMU", METHOD_ULAW, 8000, 0, { NULL }, { NULL }, 0, 0, 0, 0 },
	{ "PCMA", METHOD_ALAW, 8000, 0, { NULL }, { NULL }, 0, 0, 0, 0 },
	{ "L16", METHOD_L16, 44100, 0, { NULL }, { NULL }, 0, 0, 0, 0 },
	{ "G722", METHOD_LIBAV, 8000, 16000, { "g722" }, { "g722" }, 0, 0, 0, 0 },
	/* the native "opus" encoder is experimental in FFmpeg 5.1: libopus only */
	{ "opus", METHOD_LIBAV, 48000, 48000, { "opus", "libopus" }, { "libopus" }, 0, 0, 0, 0 },
	/* RFC 3551 section 4.5.6: 10-ms frames, 20 ms per packet by default (as 10.5); G729a is
	 * Annex A's name some offers use, the same bitstream */
	{ "G729", METHOD_G729, 8000, 8000, { NULL }, { NULL }, 0, 0, 0, 0 },
	{ "G729a", METHOD_G729, 8000, 8000, { NULL }, { NULL }, 0, 0, 0, 0 },
	/* RFC 3551 section 4.5.8: one 33-byte frame per 20 ms (libgsm; FFmpeg's own decodes too) */
	{ "GSM", METHOD_LIBAV, 8000, 8000, { "libgsm", "gsm" }, { "libgsm" }, 0, 0, 0, 0 },
	/* RFC 3551 section 4.5.3: 30 ms frames, 24 bytes at 6.3 kbit/s (the encoder's only rate) */
	{ "G723", METHOD_LIBAV, 8000, 8000, { "g723_1" }, { "g723_1" }, 30, 6300, 0, 0 },
	/* RFC 5574: narrowband at 8000 (libspeex; its mode follows the sample rate) */
	{ "speex", METHOD_LIBAV, 8000, 0, { "libspeex", "speex" }, { "libspeex" }, 0, 0, 0, 0 },
	/* RFC 3952: decoded only (FFmpeg has no iLBC encoder); 30 ms mode, 50-byte frames, the
	 * default of RFC 3952 section 5 */
	{ "iLBC", METHOD_LIBAV, 8000, 8000, { "ilbc" }, { NULL }, 30, 0, 50, 0 },
	/* RFC 4867: decoded only (Debian's libavcodec has no AMR encoder); payloads are turned
	 * into the storage frames its decoders read (amr_payload.h) */
	{ "AMR", METHOD_LIBAV, 8000, 8000, { "amrnb" }, { NULL }, 0, 0, 0, 1 },
	{ "AMR-WB", METHOD_LIBAV, 16000, 16000, { "amrwb" }, { NULL }, 0, 0, 0, 2 },
};

struct jitter_slot {
	bool used;
	bool passing;                   /* a passthrough packet's place (codec_chain_passthrough()) */
	uint16_t sequence;
	uint16_t length;
	uint8_t data[CODEC_CHAIN_MAX_PACKET];
};

struct output_slot {
	uint16_t length;
	uint8_t data[CODEC_CHAIN_MAX_PACKET];
};

#define OUTPUT_SLOTS 32
/* this many packets in a row behind the expected sequence number: the sender restarted it */
#define LATE_RESTART 4

struct codec_side {
	const struct codec_def *def;
	unsigned int clock;
	unsigned int rate;
	unsigned int channels;
	uint8_t payload_type;
	AVCodecContext *av;
	struct amr_payload_format amr;  /* def->amr: the fmtp's payload format */
	struct codec_g729_encoder *g729_encoder;   /* METHOD_G729, output side */
	struct codec_g729_decoder *g729_decoder;   /* METHOD_G729, input sides */
};

struct codec_chain {
	struct codec_side in, out;
	unsigned int alternate_count;
	struct codec_side alternates[CODEC_CHAIN_MAX_ALTERNATES];   /* decoded like in */
	uint64_t passthrough[2];
	int in_dtmf_pt, out_dtmf_pt;
	uint8_t in_cn_pt;               /* a dynamic CN payload type decoded like 13, 0 = none */
	unsigned int in_dtmf_clock, out_dtmf_clock;
	unsigned int frame_samples;     /* output samples per packet (ptime) */
	unsigned int reorder_depth;

	/* decoding */
	uint8_t amr_storage[AMR_MAX_FRAMES * 64];   /* a payload's AMR frames as storage frames */
	AVPacket *packet;
	AVFrame *decoded;
	int16_t *scratch;               /* table decoders' PCM, DECODE_SCRATCH_SAMPLES */
	SwrContext *swr;                /* NULL when input PCM is already s16 mono at the output rate */
	enum AVSampleFormat swr_format; /* what swr was set up for */
	int swr_rate, swr_channels;

	/* PCM at the output rate, mono s16 */
	int16_t *fifo;
	unsigned int fifo_capacity, fifo_length;

	/* encoding */
	AVFrame *encode_frame;
	AVPacket *encoded;
	unsigned int encoder_frame;     /* samples per libavcodec encode call (0 = frame_samples) */
	int64_t encoded_samples;        /* pts of the next frame given to libavcodec */
	int64_t packet_pts;             /* pts of the frame the last encoded packet holds */

	/* timing */
	bool synced;
	uint32_t ssrc;                  /* the sender's, of the source the output follows */
	uint32_t out_ssrc;              /* what the output is sent under (codec_chain_ssrc.h) */
	struct codec_chain_ssrc_map ssrc_map;
	bool keep_source_ssrc;          /* codec_chain_number_as_source_copy() */
	uint32_t expected_in_ts;        /* input timestamp of the next audio sample */
	unsigned int in_frame_us;       /* the last decoded input packet's duration (0: none yet) */
	uint32_t out_ts;                /* output timestamp of fifo[0] */
	uint16_t out_seq;
	bool out_marker;
	/* codec_chain_number_as_copy(): the output's own SSRC (0 = the input's), and out_seq
	 * taken from each input packet */
	uint32_t copy_ssrc;
	bool copy_sequence;
	/* the time of a passthrough packet lies before the next input: not a gap to fill */
	bool passed_gap;

	/* jitter buffer */
	bool have_expected_seq;
	uint16_t expected_seq;
	unsigned int late_in_a_row;     /* packets behind expected_seq without one in between */
	unsigned int held;
	struct jitter_slot *slots;      /* CODEC_CHAIN_MAX_REORDER */

	/* output queue (ring) */
	struct output_slot *outq;
	unsigned int outq_head, outq_count;

	struct codec_chain_stats stats;
	/* DTMF translation (codec_chain.h): in-band tones found in the audio become RFC 4733
	 * events (an input without, an output with telephone-event) ... */
	bool tones_to_events;
	struct dtmf_detector detector;
	bool event_active, event_first;
	int event;
	unsigned int event_volume;
	uint32_t event_ts, event_duration;      /* output clock */
	struct codec_chain_dtmf detected[CODEC_CHAIN_DTMF_QUEUE];
	unsigned int detected_count;
	/* ... and RFC 4733 events become tones (an input with, an output without) */
	bool events_to_tones;
	bool events_played;                     /* codec_chain_play_events_as_tones() */
	bool tone_active;
	uint32_t tone_ts, tone_done;            /* input clock */
	uint64_t tone_samples;                  /* output samples of the tone so far (its phase) */
	/* RFC 3389 comfort noise: a CN packet is played as one frame of noise at its level; DTX
	 * gaps get noise at --dtx-cn-params' level (-dBov), else silence (as 10.5) */
	int dtx_cn_level;               /* -1: silence */
	uint32_t noise_state;
	/* DTMF flags and silence options (codec_chain_inject_dtmf(), --silence-detect) */
	bool detect_only;
	bool inject_active, inject_first;
	bool inject_silence;                    /* in-band: the pause after a tone, as silence */
	int inject_event;
	unsigned int inject_volume, inject_duration_ms, inject_pause_ms;
	uint32_t inject_ts, inject_elapsed, inject_duration;   /* output clock */
	uint64_t inject_tone_samples;
	/* play DTMF requests made while one plays wait here (as 10.5 queues them); each starts
	 * its pause after the one before it, counted from that one's start plus its duration */
	struct injected_dtmf {
		uint8_t event, volume;
		unsigned int duration_ms, pause_ms;
	} inject_queue[CODEC_CHAIN_DTMF_INJECT_QUEUE];
	unsigned int inject_queued;
	uint32_t inject_next_ts;                /* audio clock: the queue's head starts here */
	int out_cn_pt;
	unsigned int silence_threshold;
	uint8_t cn_payload[16];
	unsigned int cn_payload_length;
};

/* ---- G.711 (ITU-T G.711; decode by formula into tables once, encode by nearest level) ---- */

static int16_t ulaw_decode_table[256], alaw_decode_table[256];
static uint8_t ulaw_encode_table[2][32769], alaw_encode_table[2][32769];  /* [negative][magnitude] */
static pthread_once_t g711_once = PTHREAD_ONCE_INIT;

static int16_t ulaw_to_linear(uint8_t code)
{
	unsigned int u = (uint8_t)~code;
	int magnitude = ((int)((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
	return (int16_t)((u & 0x80) ? 0x84 - magnitude : magnitude - 0x84);
}

static int16_t alaw_to_linear(uint8_t code)
{
	unsigned int a = code ^ 0x55;
	int segment = (a & 0x70) >> 4;
	int magnitude = (int)(a & 0x0f) << 4;
	magnitude += segment ? 0x108 : 8;
	if (segment > 1)
		magnitude <<= segment - 1;
	return (int16_t)((a & 0x80) ? magnitude : -magnitude);
}

/* For each sign, the code whose level is nearest to each magnitude: a sweep over the levels
 * sorted by magnitude (the decision thresholds of G.711 are the midpoints between levels). */
static void build_encode_table(const int16_t *decode, uint8_t table[2][32769])
{
	for (int negative = 0; negative < 2; negative++) {
		int levels[256];
		uint8_t codes[256];
		int count = 0;
		for (int code = 0; code < 256; code++) {
			int value = decode[code];
			/* mu-law has two zero codes: the one with the sign bit set is +0 */
			bool is_negative = value < 0 || (value == 0 && !(code & 0x80));
			if (is_negative != (bool)negative)
				continue;
			int magnitude = value < 0 ? -value : value;
			int at = count++;
			while (at > 0 && levels[at - 1] > magnitude) {
				levels[at] = levels[at - 1];
				codes[at] = codes[at - 1];
				at--;
			}
			levels[at] = magnitude;
			codes[at] = (uint8_t)code;
		}
		int level = 0;
		for (int magnitude = 0; magnitude <= 32768; magnitude++) {
			while (level + 1 < count &&
			       abs(levels[level + 1] - magnitude) <= abs(levels[level] - magnitude))
				level++;
			table[negative][magnitude] = codes[level];
		}
	}
}

static void g711_init(void)
{
	for (int code = 0; code < 256; code++) {
		ulaw_decode_table[code] = ulaw_to_linear((uint8_t)code);
		alaw_decode_table[code] = alaw_to_linear((uint8_t)code);
	}
	build_encode_table(ulaw_decode_table, ulaw_encode_table);
	build_encode_table(alaw_decode_table, alaw_encode_table);
	/* libavcodec's warnings (e.g. libopus' queued frame at close) are not the daemon's log */
	av_log_set_level(AV_LOG_ERROR);
}

static inline uint8_t g711_encode(uint8_t table[2][32769], int16_t sample)
{
	return sample < 0 ? table[1][-(int)sample] : table[0][sample];
}

/* ---- codec lookup ---- */

static const struct codec_def *codec_find(const char *encoding)
{
	if (!encoding)
		return NULL;
	for (size_t i = 0; i < sizeof(codec_defs) / sizeof(codec_defs[0]); i++)
		if (!strcasecmp(codec_defs[i].name, encoding))
			return &codec_defs[i];
	return NULL;
}

static const AVCodec *libav_find(const struct codec_def *def, bool encode)
{
	const char *const *names = encode ? def->encoders : def->decoders;
	for (int i = 0; i < 2 && names[i]; i++) {
		const AVCodec *codec = encode ? avcodec_find_encoder_by_name(names[i])
					      : avcodec_find_decoder_by_name(names[i]);
		if (codec)
			return codec;
	}
	return NULL;
}

bool codec_chain_supports(const char *encoding, bool encode)
{
	if (encoding && !strcasecmp(encoding, "telephone-event"))
		return true;
	const struct codec_def *def = codec_find(encoding);
	if (!def)
		return false;
	if (def->method != METHOD_LIBAV)
		return true;
	return libav_find(def, encode) != NULL;
}

/* Lines as 10.5 prints them ("%20s: fully supported"), so scripts reading either agree. */
void codec_chain_print_codecs(FILE *out)
{
	for (size_t i = 0; i < sizeof(codec_defs) / sizeof(codec_defs[0]); i++) {
		const struct codec_def *def = &codec_defs[i];
		bool can_decode = codec_chain_supports(def->name, false);
		bool can_encode = codec_chain_supports(def->name, true);
		const char *what = can_decode && can_encode ? "fully supported"
				 : can_decode ? "supported for decoding only"
				 : can_encode ? "supported for encoding only" : "not supported (libavcodec lacks it)";
		fprintf(out, "%20s: %s\n", def->name, what);
	}
	fprintf(out, "%20s: %s\n", "telephone-event", "passed through transcoding (RFC 4733, timestamps rescaled)");
}

/* ---- set-up ---- */

static int side_init(struct codec_side *side, const struct codec_chain_format *format, bool encode,
		     unsigned int ptime_ms, unsigned int source_rate, const char **reason)
{
	side->def = codec_find(format->encoding);
	if (!side->def) {
		*reason = encode ? "output codec not supported for transcoding" : "input codec not supported for transcoding";
		return -ENOTSUP;
	}
	side->clock = format->clock_rate ? format->clock_rate : side->def->default_clock;
	side->rate = side->def->sample_rate ? side->def->sample_rate : side->clock;
	side->channels = format->channels ? format->channels : 1;
	side->payload_type = format->payload_type;
	if (side->def->method == METHOD_L16 && side->channels != 1) {
		*reason = "L16 with more than one channel is not transcoded";
		return -ENOTSUP;
	}
	if (side->def->method == METHOD_G729) {
		/* full frames whatever the receiver's annexb (as 10.5 sends them, measured: no SID
		 * frames or DTX towards either); SID frames received are decoded (Annex B CNG) */
		if (encode)
			side->g729_encoder = codec_g729_encoder_new(false);
		else
			side->g729_decoder = codec_g729_decoder_new();
		if (!side->g729_encoder && !side->g729_decoder) {
			*reason = "out of memory";
			return -ENOMEM;
		}
		return 0;
	}
	if (side->def->method != METHOD_LIBAV)
		return 0;
	if (side->def->amr && !encode && amr_payload_format_parse(format->fmtp, side->def->amr == 2, &side->amr) < 0) {
		*reason = "AMR interleaving or robust sorting (RFC 4867 section 8.1) is not supported";
		return -ENOTSUP;
	}
	const AVCodec *codec = libav_find(side->def, encode);
	if (!codec) {
		*reason = encode ? "libavcodec has no encoder for the output codec"
				 : "libavcodec has no decoder for the input codec";
		return -ENOTSUP;
	}
	side->av = avcodec_alloc_context3(codec);
	if (!side->av) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	side->av->sample_rate = (int)side->rate;
	if (side->def->bit_rate && encode)
		side->av->bit_rate = side->def->bit_rate;
	if (format->bit_rate > 0 && encode)
		side->av->bit_rate = format->bit_rate;   /* codec set (media_transcode.h) */
	if (side->def->block_align && !encode)
		side->av->block_align = side->def->block_align;
	/* Opus decodes to the SDP's channel count (RFC 7587: always /2 in SDP); we encode mono */
	unsigned int channels = encode ? 1 : side->channels;
	av_channel_layout_default(&side->av->ch_layout, (int)channels);
	if (encode) {
		side->av->sample_fmt = AV_SAMPLE_FMT_S16;
		side->av->time_base = (AVRational){ 1, (int)side->rate };
		if (!strcmp(side->def->name, "opus")) {
			side->av->bit_rate = format->bit_rate > 0 ? format->bit_rate : 32000;
			/* complexity 5 costs about half of FFmpeg's default 10; application "audio"
			 * (CELT) keeps the waveform: "voip" cost more here and correlated 0.88 instead
			 * of 0.99 with the input (test_codec_chain -m perf, test_transcode.py) */
			side->av->compression_level = OPUS_COMPLEXITY;
			av_opt_set(side->av->priv_data, "application", "audio", 0);
			/* nothing above the source's band: G.711 is encoded narrowband */
			if (source_rate && source_rate < 48000)
				side->av->cutoff = (int)(source_rate / 2);
			av_opt_set_double(side->av->priv_data, "frame_duration", (double)ptime_ms, 0);
		}
	}
	if (avcodec_open2(side->av, codec, NULL) < 0) {
		*reason = encode ? "libavcodec could not open the output encoder (ptime?)"
				 : "libavcodec could not open the input decoder";
		return -EPROTO;
	}
	return 0;
}

static int swr_setup(struct codec_chain *chain, enum AVSampleFormat format, int rate, int channels)
{
	swr_free(&chain->swr);
	chain->swr_format = format;
	chain->swr_rate = rate;
	chain->swr_channels = channels;
	if (format == AV_SAMPLE_FMT_S16 && channels == 1 && rate == (int)chain->out.rate)
		return 0;
	AVChannelLayout in_layout, out_layout;
	av_channel_layout_default(&in_layout, channels);
	av_channel_layout_default(&out_layout, 1);
	if (swr_alloc_set_opts2(&chain->swr, &out_layout, AV_SAMPLE_FMT_S16, (int)chain->out.rate,
				&in_layout, format, rate, 0, NULL) < 0 || swr_init(chain->swr) < 0) {
		swr_free(&chain->swr);
		return -EPROTO;
	}
	return 0;
}

void codec_chain_number_as_copy(struct codec_chain *chain)
{
	do
		chain->copy_ssrc = g_random_int();
	while (!chain->copy_ssrc);
	chain->copy_sequence = true;
}

void codec_chain_number_as_source_copy(struct codec_chain *chain)
{
	chain->copy_ssrc = 0;
	chain->keep_source_ssrc = true;
	chain->copy_sequence = true;
}

void codec_chain_keep_ssrcs(struct codec_chain *chain, const struct codec_chain *previous)
{
	chain->ssrc_map = previous->ssrc_map;
}

static void side_free(struct codec_side *side)
{
	avcodec_free_context(&side->av);
	codec_g729_encoder_free(side->g729_encoder);
	codec_g729_decoder_free(side->g729_decoder);
	side->g729_encoder = NULL;
	side->g729_decoder = NULL;
}

void codec_chain_free(struct codec_chain *chain)
{
	if (!chain)
		return;
	side_free(&chain->in);
	for (unsigned int i = 0; i < chain->alternate_count; i++)
		side_free(&chain->alternates[i]);
	side_free(&chain->out);
	av_packet_free(&chain->packet);
	av_packet_free(&chain->encoded);
	av_frame_free(&chain->decoded);
	av_frame_free(&chain->encode_frame);
	swr_free(&chain->swr);
	free(chain->scratch);
	free(chain->fifo);
	free(chain->slots);
	free(chain->outq);
	free(chain);
}

struct codec_chain *codec_chain_new(const struct codec_chain_config *config, const char **reason)
{
	pthread_once(&g711_once, g711_init);
	struct codec_chain *chain = calloc(1, sizeof(*chain));
	if (!chain) {
		*reason = "out of memory";
		return NULL;
	}
	const struct codec_def *output_def = codec_find(config->output.encoding);
	unsigned int ptime = config->output_ptime_ms ? config->output_ptime_ms
		: output_def && output_def->default_ptime ? output_def->default_ptime : 20;
	if (ptime > 120) {
		*reason = "output ptime over 120 ms";
		goto fail;
	}
	if (side_init(&chain->in, &config->input, false, ptime, 0, reason) < 0 ||
	    side_init(&chain->out, &config->output, true, ptime, chain->in.rate, reason) < 0)
		goto fail;
	if (config->alternate_count > CODEC_CHAIN_MAX_ALTERNATES) {
		*reason = "too many alternate input codecs";
		goto fail;
	}
	for (unsigned int i = 0; i < config->alternate_count; i++) {
		chain->alternate_count = i + 1;
		if (side_init(&chain->alternates[i], &config->alternates[i], false, ptime, 0, reason) < 0)
			goto fail;
		if (chain->alternates[i].clock != chain->in.clock) {
			*reason = "an alternate input codec at another RTP clock";
			goto fail;
		}
	}
	memcpy(chain->passthrough, config->passthrough, sizeof(chain->passthrough));
	chain->in_dtmf_pt = config->input_dtmf_pt;
	chain->in_cn_pt = config->input_cn_pt;
	chain->out_dtmf_pt = config->output_dtmf_pt;
	chain->in_dtmf_clock = config->input_dtmf_clock ? config->input_dtmf_clock : 8000;
	chain->out_dtmf_clock = config->output_dtmf_clock ? config->output_dtmf_clock : 8000;
	chain->frame_samples = chain->out.rate * ptime / 1000;
	chain->dtx_cn_level = config->dtx_cn_level > 0 && config->dtx_cn_level < 127 ? config->dtx_cn_level : -1;
	/* DTMF translation needs the events at the audio's clock (RFC 4733 section 2.1) */
	chain->tones_to_events = config->input_dtmf_pt < 0 && config->output_dtmf_pt >= 0
		&& chain->out_dtmf_clock == chain->out.clock;
	chain->events_to_tones = config->input_dtmf_pt >= 0 && config->output_dtmf_pt < 0
		&& chain->in_dtmf_clock == chain->in.clock;
	if (chain->tones_to_events)
		dtmf_detector_init(&chain->detector, chain->out.rate);
	chain->detect_only = config->detect_only && chain->tones_to_events;
	chain->out_cn_pt = config->silence_threshold ? config->output_cn_pt : -1;
	chain->silence_threshold = config->silence_threshold;
	chain->cn_payload_length = config->cn_payload && config->cn_payload_length
		? (config->cn_payload_length > sizeof(chain->cn_payload) ? sizeof(chain->cn_payload) : config->cn_payload_length) : 0;
	if (chain->cn_payload_length)
		memcpy(chain->cn_payload, config->cn_payload, chain->cn_payload_length);
	else {
		chain->cn_payload[0] = 32;      /* 10.5's default --cn-payload: -32 dBov */
		chain->cn_payload_length = 1;
	}
	chain->reorder_depth = config->reorder_depth > CODEC_CHAIN_MAX_REORDER ? CODEC_CHAIN_MAX_REORDER
									     : config->reorder_depth;
	if (chain->out.av && chain->out.av->frame_size > 0 &&
	    !(chain->out.av->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE)) {
		chain->encoder_frame = (unsigned int)chain->out.av->frame_size;
		if (chain->frame_samples % chain->encoder_frame) {
			*reason = "output ptime is not a multiple of the encoder's frame";
			goto fail;
		}
	}
	if (chain->out.def->method == METHOD_G729 && chain->frame_samples % CODEC_G729_FRAME_SAMPLES) {
		*reason = "output ptime is not a multiple of G.729's 10 ms frame";
		goto fail;
	}
	chain->fifo_capacity = chain->out.rate * FIFO_SECONDS;
	chain->fifo = calloc(chain->fifo_capacity, sizeof(int16_t));
	chain->scratch = calloc(DECODE_SCRATCH_SAMPLES, sizeof(int16_t));
	chain->slots = calloc(CODEC_CHAIN_MAX_REORDER, sizeof(*chain->slots));
	chain->outq = calloc(OUTPUT_SLOTS, sizeof(*chain->outq));
	chain->packet = av_packet_alloc();
	chain->decoded = av_frame_alloc();
	chain->encoded = av_packet_alloc();
	chain->encode_frame = av_frame_alloc();
	if (!chain->fifo || !chain->scratch || !chain->slots || !chain->outq || !chain->packet ||
	    !chain->decoded || !chain->encoded || !chain->encode_frame) {
		*reason = "out of memory";
		goto fail;
	}
	if (chain->out.av) {
		AVFrame *frame = chain->encode_frame;
		frame->format = AV_SAMPLE_FMT_S16;
		frame->sample_rate = (int)chain->out.rate;
		av_channel_layout_default(&frame->ch_layout, 1);
		frame->nb_samples = (int)(chain->encoder_frame ? chain->encoder_frame : chain->frame_samples);
		if (av_frame_get_buffer(frame, 0) < 0) {
			*reason = "out of memory";
			goto fail;
		}
	}
	enum AVSampleFormat in_format = chain->in.av ? chain->in.av->sample_fmt : AV_SAMPLE_FMT_S16;
	int in_channels = chain->in.av ? chain->in.av->ch_layout.nb_channels : 1;
	/* a decoder that learns its format from the first frame (libspeex): assume S16 mono, the
	 * first decoded frame sets the resampler up again if it differs */
	if (in_format == AV_SAMPLE_FMT_NONE)
		in_format = AV_SAMPLE_FMT_S16;
	if (in_channels <= 0)
		in_channels = 1;
	if (swr_setup(chain, in_format, (int)chain->in.rate, in_channels) < 0) {
		*reason = "libswresample could not convert between the codecs' rates";
		goto fail;
	}
	/* RFC 3550 section 5.1: the initial sequence number and timestamp SHOULD be random;
	 * random() was never seeded, so every run started the same */
	chain->out_seq = (uint16_t) g_random_int();
	chain->out_ts = g_random_int();
	chain->out_marker = true;
	return chain;
fail:
	codec_chain_free(chain);
	return NULL;
}

/* ---- output ---- */

static uint8_t *output_reserve(struct codec_chain *chain)
{
	if (chain->outq_count == OUTPUT_SLOTS) {
		/* the caller has not popped: drop the oldest rather than block the worker */
		chain->outq_head = (chain->outq_head + 1) % OUTPUT_SLOTS;
		chain->outq_count--;
	}
	return chain->outq[(chain->outq_head + chain->outq_count) % OUTPUT_SLOTS].data;
}

static void output_commit(struct codec_chain *chain, size_t length)
{
	uint8_t *data = chain->outq[(chain->outq_head + chain->outq_count) % OUTPUT_SLOTS].data;
	chain->outq[(chain->outq_head + chain->outq_count) % OUTPUT_SLOTS].length = (uint16_t)length;
	if (chain->copy_ssrc) {
		data[8] = (uint8_t)(chain->copy_ssrc >> 24);
		data[9] = (uint8_t)(chain->copy_ssrc >> 16);
		data[10] = (uint8_t)(chain->copy_ssrc >> 8);
		data[11] = (uint8_t)chain->copy_ssrc;
	}
	chain->outq_count++;
	chain->stats.packets_out++;
	/* for the SR the relay sends on this leg (transcode_rtcp.h) */
	chain->stats.octets_out += length;
	chain->stats.last_timestamp = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 | data[7];
	chain->stats.ssrc = (uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 | (uint32_t)data[10] << 8 | data[11];
}

static void write_rtp_header(uint8_t *out, bool marker, uint8_t payload_type, uint16_t seq,
			     uint32_t ts, uint32_t ssrc)
{
	out[0] = 0x80;
	out[1] = (uint8_t)((marker ? 0x80 : 0) | (payload_type & 0x7f));
	out[2] = (uint8_t)(seq >> 8);
	out[3] = (uint8_t)seq;
	out[4] = (uint8_t)(ts >> 24);
	out[5] = (uint8_t)(ts >> 16);
	out[6] = (uint8_t)(ts >> 8);
	out[7] = (uint8_t)ts;
	out[8] = (uint8_t)(ssrc >> 24);
	out[9] = (uint8_t)(ssrc >> 16);
	out[10] = (uint8_t)(ssrc >> 8);
	out[11] = (uint8_t)ssrc;
}

/* Encode one output frame from the front of the FIFO into payload; its length or -errno. */
static int encode_frame(struct codec_chain *chain, uint8_t *payload, size_t capacity)
{
	const int16_t *pcm = chain->fifo;
	unsigned int samples = chain->frame_samples;
	switch (chain->out.def->method) {
	case METHOD_ULAW:
	case METHOD_ALAW:
		if (samples > capacity)
			return -ENOSPC;
		for (unsigned int i = 0; i < samples; i++)
			payload[i] = g711_encode(chain->out.def->method == METHOD_ULAW ? ulaw_encode_table
										: alaw_encode_table, pcm[i]);
		return (int)samples;
	case METHOD_L16:
		if (samples * 2 > capacity)
			return -ENOSPC;
		for (unsigned int i = 0; i < samples; i++) {
			payload[2 * i] = (uint8_t)((uint16_t)pcm[i] >> 8);
			payload[2 * i + 1] = (uint8_t)pcm[i];
		}
		return (int)samples * 2;
	case METHOD_G729:
		return codec_g729_encode(chain->out.g729_encoder, pcm, samples, payload, capacity);
	case METHOD_LIBAV:
		break;
	}
	unsigned int step = chain->encoder_frame ? chain->encoder_frame : samples;
	size_t length = 0;
	chain->packet_pts = AV_NOPTS_VALUE;
	for (unsigned int done = 0; done < samples; done += step) {
		if (av_frame_make_writable(chain->encode_frame) < 0)
			return -ENOMEM;
		memcpy(chain->encode_frame->data[0], pcm + done, step * sizeof(int16_t));
		chain->encode_frame->nb_samples = (int)step;
		chain->encode_frame->pts = chain->encoded_samples;
		chain->encoded_samples += step;
		if (avcodec_send_frame(chain->out.av, chain->encode_frame) < 0)
			return -EPROTO;
		while (avcodec_receive_packet(chain->out.av, chain->encoded) == 0) {
			if (length + (size_t)chain->encoded->size > capacity) {
				av_packet_unref(chain->encoded);
				return -ENOSPC;
			}
			if (length == 0 && chain->encoded->pts != AV_NOPTS_VALUE)
				chain->packet_pts = chain->encoded->pts + chain->out.av->initial_padding;
			memcpy(payload + length, chain->encoded->data, (size_t)chain->encoded->size);
			length += (size_t)chain->encoded->size;
			av_packet_unref(chain->encoded);
		}
	}
	return (int)length;
}

static uint32_t out_ts_step(const struct codec_chain *chain, uint64_t samples)
{
	return (uint32_t)(samples * chain->out.clock / chain->out.rate);
}

static void fifo_consume(struct codec_chain *chain, unsigned int samples)
{
	memmove(chain->fifo, chain->fifo + samples, (chain->fifo_length - samples) * sizeof(int16_t));
	chain->fifo_length -= samples;
	chain->out_ts += out_ts_step(chain, samples);
}

/* One RFC 4733 event packet of the tone being translated (section 2.3: event, E, volume,
 * duration since the event's timestamp). */
static void emit_event(struct codec_chain *chain, bool end)
{
	uint8_t *out = output_reserve(chain);
	write_rtp_header(out, chain->event_first, (uint8_t)chain->out_dtmf_pt, chain->out_seq++, chain->event_ts,
			 chain->out_ssrc);
	chain->event_first = false;
	uint32_t duration = chain->event_duration > 0xffff ? 0xffff : chain->event_duration;
	out[12] = (uint8_t)chain->event;
	out[13] = (uint8_t)((end ? 0x80 : 0) | (chain->event_volume & 0x3f));
	out[14] = (uint8_t)(duration >> 8);
	out[15] = (uint8_t)duration;
	output_commit(chain, 16);
	chain->stats.dtmf_packets++;
}

/* In-band to RFC 4733: the detector reads each frame before it is encoded; while a digit
 * sounds its frames become event packets (the tone is not sent as audio too). Returns true
 * when the frame was taken. */
static bool translate_frame(struct codec_chain *chain)
{
	struct dtmf_tone tones[2];
	int found = dtmf_detector_feed(&chain->detector, chain->fifo, chain->frame_samples, tones, 2);
	uint32_t step = out_ts_step(chain, chain->frame_samples);
	for (int i = 0; i < found; i++) {
		if (!tones[i].end && !chain->event_active) {
			chain->event_active = chain->event_first = true;
			chain->event = tones[i].event;
			chain->event_volume = tones[i].volume;
			chain->event_ts = chain->out_ts;
			chain->event_duration = 0;
		} else if (tones[i].end && chain->event_active) {
			/* RFC 4733 section 2.5.1.4: the end packet three times */
			for (int n = 0; n < 3; n++)
				emit_event(chain, true);
			if (chain->detected_count < CODEC_CHAIN_DTMF_QUEUE)
				chain->detected[chain->detected_count++] = (struct codec_chain_dtmf) {
					.event = (unsigned int)chain->event, .volume = chain->event_volume,
					.duration_ms = (unsigned int)((uint64_t)chain->event_duration * 1000 / chain->out.clock),
				};
			chain->event_active = false;
			chain->out_marker = true;
		}
	}
	if (!chain->event_active)
		return false;
	chain->event_duration += step;
	emit_event(chain, false);
	return true;
}

/* play DTMF: the event starts with the next output frame */
static void inject_start(struct codec_chain *chain, const struct injected_dtmf *dtmf)
{
	/* RFC 4733 section 2.3.5: durations in the event's clock (the audio's for tones) */
	unsigned int clock = chain->out_dtmf_pt >= 0 ? chain->out_dtmf_clock : chain->out.clock;
	chain->inject_event = dtmf->event;
	chain->inject_volume = dtmf->volume;
	chain->inject_duration_ms = dtmf->duration_ms;
	chain->inject_pause_ms = dtmf->pause_ms;
	chain->inject_duration = (uint32_t)((uint64_t)dtmf->duration_ms * clock / 1000);
	chain->inject_elapsed = 0;
	chain->inject_tone_samples = 0;
	chain->inject_first = true;
	chain->inject_active = true;
}

/* Between frames, nothing playing: the queue's head once its pause is over (as 10.5: the
 * previous event's start + its duration + this one's pause, in the audio's clock). */
static void inject_dequeue(struct codec_chain *chain)
{
	uint32_t pause = (uint32_t)((uint64_t)chain->inject_queue[0].pause_ms * chain->out.clock / 1000);
	if ((int32_t)(chain->out_ts - (chain->inject_next_ts + pause)) < 0)
		return;
	struct injected_dtmf next = chain->inject_queue[0];
	memmove(chain->inject_queue, chain->inject_queue + 1, --chain->inject_queued * sizeof(chain->inject_queue[0]));
	inject_start(chain, &next);
}

/* In-band tones: the frame's part before the end of the pause that follows a tone (its start +
 * duration + pause) becomes silence, sample exact, as 10.5 sends it. */
static void inject_silence_frame(struct codec_chain *chain)
{
	uint32_t until = chain->inject_next_ts + (uint32_t)((uint64_t)chain->inject_pause_ms * chain->out.clock / 1000);
	int32_t left = (int32_t)(until - chain->out_ts);
	if (left <= 0) {
		chain->inject_silence = false;
		return;
	}
	uint64_t samples = (uint64_t)left * chain->out.rate / chain->out.clock;
	if (samples >= chain->frame_samples)
		samples = chain->frame_samples;
	else
		chain->inject_silence = false;
	memset(chain->fifo, 0, samples * sizeof(int16_t));
}

/* play DTMF (codec_chain_inject_dtmf()): true when the frame was replaced by an event packet;
 * with in-band tones the frame's audio becomes the tone pair and is encoded as usual. */
static bool inject_frame(struct codec_chain *chain)
{
	unsigned int clock = chain->out_dtmf_pt >= 0 ? chain->out_dtmf_clock : chain->out.clock;
	uint32_t step = (uint32_t)((uint64_t)chain->frame_samples * clock / chain->out.rate);
	if (chain->inject_first) {
		chain->inject_ts = chain->out_ts;   /* the event starts with this frame */
		chain->inject_next_ts = chain->out_ts + (uint32_t)((uint64_t)chain->inject_duration_ms * chain->out.clock / 1000);
	}
	chain->inject_elapsed += step;
	if (chain->out_dtmf_pt < 0) {
		bool over = chain->inject_elapsed >= chain->inject_duration;
		int16_t *frame = chain->fifo;
		memset(frame, 0, chain->frame_samples * sizeof(int16_t));
		dtmf_tone_fill(frame, chain->frame_samples, chain->out.rate, chain->inject_event, chain->inject_volume,
			       chain->inject_tone_samples);
		chain->inject_tone_samples += chain->frame_samples;
		chain->inject_first = false;
		chain->inject_active = !over;
		/* as 10.5: silence for the pause after the tone, then the sender's audio again */
		chain->inject_silence = over;
		return false;
	}
	/* as 10.5: updates until one reaches the duration asked for, the end one frame later */
	bool end = chain->inject_elapsed - step >= chain->inject_duration;
	/* the translation's event writer, with the injected event's fields */
	chain->event = chain->inject_event;
	chain->event_volume = chain->inject_volume;
	chain->event_ts = chain->inject_ts;
	chain->event_duration = chain->inject_elapsed;
	chain->event_first = chain->inject_first;
	for (int n = 0; n < (end ? 3 : 1); n++)
		emit_event(chain, end);
	chain->inject_first = false;
	/* the audio after an injected event goes on unmarked, as 10.5 sends it */
	if (end)
		chain->inject_active = false;
	return true;
}

/* --silence-detect: every sample of the frame within the threshold (as 10.5 judges a frame) */
static bool frame_is_silence(const struct codec_chain *chain)
{
	int limit = (int)chain->silence_threshold;
	for (unsigned int i = 0; i < chain->frame_samples; i++)
		if (chain->fifo[i] > limit || chain->fifo[i] < -limit)
			return false;
	return true;
}

/* RFC 3389 section 4: one CN packet for the silent frame, at its timestamp */
static void emit_comfort_noise(struct codec_chain *chain)
{
	uint8_t *out = output_reserve(chain);
	write_rtp_header(out, false, (uint8_t)chain->out_cn_pt, chain->out_seq++, chain->out_ts, chain->out_ssrc);
	memcpy(out + 12, chain->cn_payload, chain->cn_payload_length);
	output_commit(chain, 12 + chain->cn_payload_length);
}

static void encode_ready_frames(struct codec_chain *chain)
{
	while (chain->fifo_length >= chain->frame_samples) {
		if (chain->detect_only) {
			/* detect-DTMF: a copy of the stream's audio, read and dropped */
			(void)translate_frame(chain);
			fifo_consume(chain, chain->frame_samples);
			continue;
		}
		if (chain->inject_silence)
			inject_silence_frame(chain);
		if (!chain->inject_active && chain->inject_queued && !chain->event_active)
			inject_dequeue(chain);
		if (chain->inject_active && !chain->event_active && inject_frame(chain)) {
			fifo_consume(chain, chain->frame_samples);
			continue;
		}
		if (chain->tones_to_events && translate_frame(chain)) {
			fifo_consume(chain, chain->frame_samples);
			continue;
		}
		if (chain->out_cn_pt >= 0 && frame_is_silence(chain)) {
			emit_comfort_noise(chain);
			fifo_consume(chain, chain->frame_samples);
			continue;
		}
		uint8_t *out = output_reserve(chain);
		int64_t frame_pts = chain->encoded_samples;
		int length = encode_frame(chain, out + 12, CODEC_CHAIN_MAX_PACKET - 12);
		if (length > 0) {
			/* an encoder with lookahead (libopus) returns an earlier frame's packet: stamp it
			 * with that frame's time, not the one just given */
			uint32_t ts = chain->out_ts;
			if (chain->out.av && chain->packet_pts != AV_NOPTS_VALUE && chain->packet_pts <= frame_pts)
				ts -= out_ts_step(chain, (uint64_t)(frame_pts - chain->packet_pts));
			write_rtp_header(out, chain->out_marker, chain->out.payload_type, chain->out_seq++,
					 ts, chain->out_ssrc);
			chain->out_marker = false;
			output_commit(chain, (size_t)length + 12);
		} else if (length < 0) {
			chain->stats.decode_errors++;
		}
		fifo_consume(chain, chain->frame_samples);
	}
}

/* ---- input ---- */

/* RFC 3389 section 3.1: white noise at level -dBov (the spectral coefficients are not
 * applied), or zeros for level < 0. */
static void write_gap(struct codec_chain *chain, int16_t *out, unsigned int samples, int level)
{
	if (level < 0 || level >= 127) {
		memset(out, 0, samples * sizeof(int16_t));
		return;
	}
	/* scaled as 10.5's CN decoder sounds (peaks of about 280 at -40 dBov); a uniform noise
	 * of peak a has RMS a / sqrt(3) */
	double rms = 16384.0 * pow(10.0, -(double)level / 20.0);
	int peak = (int)(rms * 1.7320508 + 0.5);
	if (peak > 32767)
		peak = 32767;
	for (unsigned int i = 0; i < samples; i++) {
		chain->noise_state = chain->noise_state * 1664525u + 1013904223u;
		out[i] = peak ? (int16_t)((int)(chain->noise_state >> 16) % (2 * peak + 1) - peak) : 0;
	}
}

static void fifo_append_gap(struct codec_chain *chain, unsigned int samples, int level)
{
	while (samples) {
		unsigned int room = chain->fifo_capacity - chain->fifo_length;
		unsigned int now = samples < room ? samples : room;
		write_gap(chain, chain->fifo + chain->fifo_length, now, level);
		chain->fifo_length += now;
		samples -= now;
		chain->stats.filled_samples += now;
		encode_ready_frames(chain);
	}
}

/* RFC 4733 to in-band: the event's tone pair for samples more output samples. */
static void fifo_append_tone(struct codec_chain *chain, unsigned int samples, int event, unsigned int volume)
{
	while (samples) {
		unsigned int room = chain->fifo_capacity - chain->fifo_length;
		unsigned int now = samples < room ? samples : room;
		int16_t *at = chain->fifo + chain->fifo_length;
		memset(at, 0, now * sizeof(int16_t));
		dtmf_tone_fill(at, now, chain->out.rate, event, volume, chain->tone_samples);
		chain->tone_samples += now;
		chain->fifo_length += now;
		samples -= now;
		encode_ready_frames(chain);
	}
}

/* Convert decoded PCM (any format the resampler was set up for) into the FIFO. */
static int fifo_append(struct codec_chain *chain, const uint8_t **data, int samples)
{
	if (!chain->swr) {
		const int16_t *pcm = (const int16_t *)data[0];
		while (samples > 0) {
			unsigned int room = chain->fifo_capacity - chain->fifo_length;
			unsigned int now = (unsigned int)samples < room ? (unsigned int)samples : room;
			memcpy(chain->fifo + chain->fifo_length, pcm, now * sizeof(int16_t));
			chain->fifo_length += now;
			pcm += now;
			samples -= (int)now;
			encode_ready_frames(chain);
		}
		return 0;
	}
	encode_ready_frames(chain);
	uint8_t *out = (uint8_t *)(chain->fifo + chain->fifo_length);
	int converted = swr_convert(chain->swr, &out, (int)(chain->fifo_capacity - chain->fifo_length),
				    data, samples);
	if (converted < 0)
		return -EPROTO;
	chain->fifo_length += (unsigned int)converted;
	encode_ready_frames(chain);
	return 0;
}

static int decode_libav(struct codec_chain *chain, struct codec_side *side, const uint8_t *payload, size_t length);

/* Table decoders' PCM is S16 mono at the side's rate: the resampler must expect that (it was
 * set up for another input codec's format when the sender switched codecs). */
static int swr_expect_s16(struct codec_chain *chain, const struct codec_side *side)
{
	if (chain->swr_format == AV_SAMPLE_FMT_S16 && chain->swr_rate == (int)side->rate && chain->swr_channels == 1)
		return 0;
	return swr_setup(chain, AV_SAMPLE_FMT_S16, (int)side->rate, 1);
}

/* Decode a payload into the FIFO; the number of input samples (at the side's PCM rate). */
static int decode_payload(struct codec_chain *chain, struct codec_side *side, const uint8_t *payload,
			  size_t length)
{
	if (side->def->method != METHOD_LIBAV && swr_expect_s16(chain, side) < 0)
		return -EPROTO;
	switch (side->def->method) {
	case METHOD_ULAW:
	case METHOD_ALAW: {
		const int16_t *table = side->def->method == METHOD_ULAW ? ulaw_decode_table : alaw_decode_table;
		size_t samples = length < DECODE_SCRATCH_SAMPLES ? length : DECODE_SCRATCH_SAMPLES;
		for (size_t i = 0; i < samples; i++)
			chain->scratch[i] = table[payload[i]];
		const uint8_t *data[1] = { (const uint8_t *)chain->scratch };
		int rc = fifo_append(chain, data, (int)samples);
		return rc < 0 ? rc : (int)samples;
	}
	case METHOD_L16: {
		size_t samples = length / 2 < DECODE_SCRATCH_SAMPLES ? length / 2 : DECODE_SCRATCH_SAMPLES;
		for (size_t i = 0; i < samples; i++)
			chain->scratch[i] = (int16_t)((payload[2 * i] << 8) | payload[2 * i + 1]);
		const uint8_t *data[1] = { (const uint8_t *)chain->scratch };
		int rc = fifo_append(chain, data, (int)samples);
		return rc < 0 ? rc : (int)samples;
	}
	case METHOD_G729: {
		int samples = codec_g729_decode(side->g729_decoder, payload, length, chain->scratch,
						DECODE_SCRATCH_SAMPLES);
		if (samples < 0)
			return -EPROTO;
		const uint8_t *data[1] = { (const uint8_t *)chain->scratch };
		int rc = fifo_append(chain, data, samples);
		return rc < 0 ? rc : samples;
	}
	case METHOD_LIBAV:
		break;
	}
	if (side->def->amr) {
		/* RFC 4867: one storage frame per decoder call */
		struct amr_frame frames[AMR_MAX_FRAMES];
		int count = amr_depacketise(&side->amr, payload, length, chain->amr_storage,
					    sizeof(chain->amr_storage), frames);
		if (count < 0)
			return -EPROTO;
		int total = 0;
		for (int i = 0; i < count; i++) {
			int samples = decode_libav(chain, side, chain->amr_storage + frames[i].offset, frames[i].length);
			if (samples < 0)
				return samples;
			total += samples;
		}
		return total;
	}
	return decode_libav(chain, side, payload, length);
}

/* One packet through the libavcodec decoder into the FIFO; input samples as decode_payload(). */
static int decode_libav(struct codec_chain *chain, struct codec_side *side, const uint8_t *payload, size_t length)
{
	/* libavcodec reads the packet without owning it (no copy, no allocation) */
	chain->packet->data = (uint8_t *)payload;
	chain->packet->size = (int)length;
	if (avcodec_send_packet(side->av, chain->packet) < 0)
		return -EPROTO;
	int total = 0;
	while (avcodec_receive_frame(side->av, chain->decoded) == 0) {
		AVFrame *frame = chain->decoded;
		if (frame->format != chain->swr_format || frame->sample_rate != chain->swr_rate ||
		    frame->ch_layout.nb_channels != chain->swr_channels) {
			if (swr_setup(chain, frame->format, frame->sample_rate, frame->ch_layout.nb_channels) < 0) {
				av_frame_unref(frame);
				return -EPROTO;
			}
		}
		int rc = fifo_append(chain, (const uint8_t **)frame->extended_data, frame->nb_samples);
		/* count in the input's nominal rate (Opus always decodes at 48 kHz here) */
		total += (int)((int64_t)frame->nb_samples * (int64_t)side->rate / frame->sample_rate);
		av_frame_unref(frame);
		if (rc < 0)
			return rc;
	}
	return total;
}

static uint32_t in_ts_step(const struct codec_side *side, int samples)
{
	return (uint32_t)((uint64_t)samples * side->clock / side->rate);
}

/* A packet's timestamp against the one expected: fill or skip the gap (see the header). */
/* The first packet of a source: as 10.5, the output continues its sequence numbers under the
 * source's own output SSRC (codec_chain_ssrc.h), and its timestamps start from the input's in
 * the output clock, so packets that pass untouched beside the transcoded ones
 * (codec_chain_passthrough()) fit in one stream. */
static void sync_output(struct codec_chain *chain, const struct rtp_header_info *rtp)
{
	chain->synced = true;
	chain->ssrc = rtp->ssrc;
	chain->out_ssrc = chain->keep_source_ssrc ? rtp->ssrc : codec_chain_ssrc_map_output(&chain->ssrc_map, rtp->ssrc);
	chain->expected_in_ts = rtp->timestamp;
	chain->out_marker = true;
	chain->out_seq = rtp->sequence;
	chain->out_ts = (uint32_t)((uint64_t)rtp->timestamp * chain->out.clock / chain->in.clock);
	chain->passed_gap = false;
}

static void align_timing(struct codec_chain *chain, const struct rtp_header_info *rtp)
{
	if (!chain->synced || rtp->ssrc != chain->ssrc) {
		sync_output(chain, rtp);
		return;
	}
	bool passed = chain->passed_gap;
	chain->passed_gap = false;
	int32_t gap = (int32_t)(rtp->timestamp - chain->expected_in_ts);
	if (gap < -(int32_t)chain->in.clock) {
		/* more than a second back: the sender restarted its clock; follow it */
		chain->expected_in_ts = rtp->timestamp;
		return;
	}
	if (gap <= 0)
		return;  /* overlap or on time: decode as it comes */
	uint64_t gap_out = (uint64_t)gap * chain->out.rate / chain->in.clock;
	if (passed) {
		/* a passthrough packet's time: it was heard, the output clock moves on by it */
		chain->out_ts += out_ts_step(chain, gap_out);
	} else if (gap_out <= (uint64_t)chain->out.rate * CODEC_CHAIN_MAX_FILL_MS / 1000) {
		/* the rest of a DTX gap the timer did not fill yet sounds like the part it did */
		fifo_append_gap(chain, (unsigned int)gap_out, chain->dtx_cn_level);
	} else {
		/* a long silence (DTX, hold): move the output clock on by the same time */
		chain->out_ts += out_ts_step(chain, gap_out);
		chain->out_marker = true;
	}
	chain->expected_in_ts = rtp->timestamp;
}

/* Map an input timestamp (in in_clock units) to the output clock, relative to the audio. */
static uint32_t map_timestamp(const struct codec_chain *chain, uint32_t in_ts, unsigned int in_clock,
			      unsigned int out_clock)
{
	int64_t delta = (int32_t)(in_ts - chain->expected_in_ts);
	/* the expected input sample corresponds to the end of the FIFO plus what the resampler
	 * still holds back */
	int64_t held = chain->swr ? swr_get_delay(chain->swr, chain->out.rate) : 0;
	uint32_t out_now = chain->out_ts + out_ts_step(chain, chain->fifo_length + (uint64_t)held);
	return out_now + (uint32_t)(delta * (int64_t)out_clock / (int64_t)in_clock);
}

/* An RFC 4733 event the output cannot carry, heard in-band instead: the tone for the part of
 * its duration not yet played, in place of the audio the sender left out (RFC 4733 section
 * 2.3.5: the duration counts from the event's timestamp). Retransmitted end packets add
 * nothing. */
static void play_event(struct codec_chain *chain, const uint8_t *payload, const struct rtp_header_info *rtp)
{
	if (!chain->tone_active || rtp->timestamp != chain->tone_ts) {
		align_timing(chain, rtp);   /* the audio before the event, and where it starts */
		chain->tone_active = true;
		chain->tone_ts = rtp->timestamp;
		chain->tone_done = 0;
		chain->tone_samples = 0;
	}
	uint32_t duration = (uint32_t)(payload[2] << 8 | payload[3]);
	if (duration <= chain->tone_done || duration - chain->tone_done > chain->in.clock)
		return;
	uint64_t samples = (uint64_t)(duration - chain->tone_done) * chain->out.rate / chain->in.clock;
	fifo_append_tone(chain, (unsigned int)samples, payload[0], payload[1] & 0x3f);
	chain->tone_done = duration;
	chain->expected_in_ts = chain->tone_ts + duration;
}

static void relay_dtmf(struct codec_chain *chain, const uint8_t *packet, const struct rtp_header_info *rtp)
{
	chain->stats.dtmf_packets++;
	if ((chain->events_to_tones || chain->events_played) && rtp->payload_length >= 4
	    && packet[rtp->header_length] <= 15) {
		play_event(chain, packet + rtp->header_length, rtp);
		return;
	}
	if (chain->out_dtmf_pt < 0 || rtp->payload_length < 4)
		return;
	if (!chain->synced)
		sync_output(chain, rtp);
	uint8_t *out = output_reserve(chain);
	const uint8_t *payload = packet + rtp->header_length;
	uint32_t ts = map_timestamp(chain, rtp->timestamp, chain->in_dtmf_clock, chain->out_dtmf_clock);
	write_rtp_header(out, rtp->marker, (uint8_t)chain->out_dtmf_pt, chain->out_seq++, ts, chain->out_ssrc);
	memcpy(out + 12, payload, rtp->payload_length);
	/* RFC 4733 section 2.3.5: duration in timestamp units of the event's clock */
	uint32_t duration = (uint32_t)(payload[2] << 8 | payload[3]);
	duration = (uint32_t)((uint64_t)duration * chain->out_dtmf_clock / chain->in_dtmf_clock);
	if (duration > 0xffff)
		duration = 0xffff;
	out[12 + 2] = (uint8_t)(duration >> 8);
	out[12 + 3] = (uint8_t)duration;
	output_commit(chain, 12 + rtp->payload_length);
}

/* One packet in sequence order. */
static void process_packet(struct codec_chain *chain, const uint8_t *packet, size_t length)
{
	struct rtp_header_info rtp;
	if (rtp_header_parse(packet, length, &rtp) < 0)
		return;
	if (chain->copy_sequence)
		chain->out_seq = rtp.sequence;
	if (chain->in_dtmf_pt >= 0 && rtp.payload_type == chain->in_dtmf_pt) {
		relay_dtmf(chain, packet, &rtp);
		return;
	}
	if ((rtp.payload_type == CN_PAYLOAD_TYPE || (chain->in_cn_pt && rtp.payload_type == chain->in_cn_pt))
	    && rtp.payload_length >= 1) {
		/* RFC 3389: played as one frame of noise at its level (as 10.5 decodes it); the
		 * silence after it is the gap's, filled like any other */
		align_timing(chain, &rtp);
		unsigned int frame = chain->frame_samples;
		fifo_append_gap(chain, frame, packet[rtp.header_length] & 0x7f);
		chain->expected_in_ts += (uint32_t)((uint64_t)frame * chain->in.clock / chain->out.rate);
		return;
	}
	struct codec_side *side = &chain->in;
	for (unsigned int i = 0; rtp.payload_type != side->payload_type && i < chain->alternate_count; i++)
		side = &chain->alternates[i];
	if (rtp.payload_type != side->payload_type)
		return;  /* a codec this chain was not built for: its gap is filled later */
	align_timing(chain, &rtp);
	int samples = decode_payload(chain, side, packet + rtp.header_length, rtp.payload_length);
	if (samples < 0) {
		chain->stats.decode_errors++;
		return;
	}
	chain->expected_in_ts += in_ts_step(side, samples);
	if (side->rate)
		chain->in_frame_us = (unsigned int)((uint64_t)samples * 1000000 / side->rate);
}

static struct jitter_slot *slot_find(struct codec_chain *chain, uint16_t sequence)
{
	for (unsigned int i = 0; i < CODEC_CHAIN_MAX_REORDER; i++)
		if (chain->slots[i].used && chain->slots[i].sequence == sequence)
			return &chain->slots[i];
	return NULL;
}

/* A passthrough packet's place in the input's order: its time (when it follows the audio
 * within the longest gap the chain fills) is not filled with silence. */
static void process_passing(struct codec_chain *chain, uint32_t ssrc, uint32_t timestamp)
{
	if (!chain->synced || ssrc != chain->ssrc)
		return;
	int32_t gap = (int32_t)(timestamp - chain->expected_in_ts);
	if (gap < 0 || (uint64_t)gap > (uint64_t)chain->in.clock * CODEC_CHAIN_MAX_FILL_MS / 1000)
		return;   /* another clock's timestamps (Opus beside G.722) or far off: nothing to say */
	/* the passthrough packets before this one were heard too: the output clock moves on by
	 * them (a block of several, gh 664), as align_timing() does for the last one */
	if (chain->passed_gap && !chain->fifo_length)
		chain->out_ts += out_ts_step(chain, (uint64_t)gap * chain->out.rate / chain->in.clock);
	chain->expected_in_ts = timestamp;
	chain->passed_gap = true;
}

static void drain_in_order(struct codec_chain *chain)
{
	struct jitter_slot *slot;
	while ((slot = slot_find(chain, chain->expected_seq))) {
		if (slot->passing) {
			struct rtp_header_info rtp;
			if (rtp_header_parse(slot->data, slot->length, &rtp) == 0)
				process_passing(chain, rtp.ssrc, rtp.timestamp);
		} else {
			process_packet(chain, slot->data, slot->length);
		}
		slot->used = false;
		chain->held--;
		chain->expected_seq++;
	}
}

/* The held packet nearest after expected_seq: the ones before it are lost. */
static void release_oldest(struct codec_chain *chain)
{
	struct jitter_slot *oldest = NULL;
	for (unsigned int i = 0; i < CODEC_CHAIN_MAX_REORDER; i++) {
		struct jitter_slot *slot = &chain->slots[i];
		if (slot->used && (!oldest || (int16_t)(slot->sequence - oldest->sequence) < 0))
			oldest = slot;
	}
	if (!oldest)
		return;
	chain->stats.lost += (uint16_t)(oldest->sequence - chain->expected_seq);
	chain->expected_seq = oldest->sequence;
	drain_in_order(chain);
}

bool codec_chain_passes(const struct codec_chain *chain, unsigned int payload_type)
{
	return payload_type < 128 && (chain->passthrough[payload_type / 64] >> (payload_type % 64) & 1);
}

static int push(struct codec_chain *chain, const uint8_t *packet, size_t length, bool passing)
{
	struct rtp_header_info rtp;
	if (rtp_header_parse(packet, length, &rtp) < 0 || length > CODEC_CHAIN_MAX_PACKET)
		return -EINVAL;
	if (!passing)
		chain->stats.packets_in++;
	int16_t ahead = (int16_t)(rtp.sequence - chain->expected_seq);
	if (!chain->have_expected_seq || (chain->synced && rtp.ssrc != chain->ssrc) || ahead > 1000 || ahead < -1000) {
		/* first packet, a new source or a jump: start the sequence afresh */
		codec_chain_flush(chain);
		chain->have_expected_seq = true;
		chain->expected_seq = rtp.sequence;
		ahead = 0;
	}
	if (ahead < 0 && ++chain->late_in_a_row > LATE_RESTART) {
		/* not late packets but a sender that restarted its sequence numbers */
		codec_chain_flush(chain);
		chain->expected_seq = rtp.sequence;
		ahead = 0;
	}
	if (ahead < 0 || slot_find(chain, rtp.sequence)) {
		chain->stats.late++;
		return (int)chain->outq_count;
	}
	chain->late_in_a_row = 0;
	if (ahead == 0) {
		if (passing)
			process_passing(chain, rtp.ssrc, rtp.timestamp);
		else
			process_packet(chain, packet, length);
		chain->expected_seq++;
		drain_in_order(chain);
		return (int)chain->outq_count;
	}
	for (unsigned int i = 0; i < CODEC_CHAIN_MAX_REORDER; i++) {
		struct jitter_slot *slot = &chain->slots[i];
		if (slot->used)
			continue;
		slot->used = true;
		slot->passing = passing;
		slot->sequence = rtp.sequence;
		/* a passing packet's place needs its header only */
		slot->length = (uint16_t)(passing ? rtp.header_length : length);
		memcpy(slot->data, packet, slot->length);
		chain->held++;
		break;
	}
	while (chain->held > chain->reorder_depth)
		release_oldest(chain);
	return (int)chain->outq_count;
}

int codec_chain_push(struct codec_chain *chain, const uint8_t *packet, size_t length)
{
	return push(chain, packet, length, false);
}

int codec_chain_passthrough(struct codec_chain *chain, uint8_t *packet, size_t length)
{
	struct rtp_header_info rtp;
	if (rtp_header_parse(packet, length, &rtp) < 0)
		return -EINVAL;
	if (!chain->synced || rtp.ssrc != chain->ssrc) {
		codec_chain_flush(chain);
		sync_output(chain, &rtp);
	}
	int queued = push(chain, packet, length, true);
	/* RFC 3550 section 5.1: one sequence of numbers and one SSRC for everything the stream sends */
	uint16_t sequence = chain->out_seq++;
	packet[2] = (uint8_t)(sequence >> 8);
	packet[3] = (uint8_t)sequence;
	packet[8] = (uint8_t)(chain->out_ssrc >> 24);
	packet[9] = (uint8_t)(chain->out_ssrc >> 16);
	packet[10] = (uint8_t)(chain->out_ssrc >> 8);
	packet[11] = (uint8_t)chain->out_ssrc;
	return queued;
}

int codec_chain_flush(struct codec_chain *chain)
{
	while (chain->held)
		release_oldest(chain);
	return (int)chain->outq_count;
}

int codec_chain_pop(struct codec_chain *chain, uint8_t *out, size_t capacity)
{
	if (!chain->outq_count)
		return 0;
	struct output_slot *slot = &chain->outq[chain->outq_head];
	if (slot->length > capacity)
		return -ENOSPC;
	memcpy(out, slot->data, slot->length);
	chain->outq_head = (chain->outq_head + 1) % OUTPUT_SLOTS;
	chain->outq_count--;
	return slot->length;
}

int codec_chain_fill_frame(struct codec_chain *chain)
{
	if (!chain->synced)
		return 0;
	fifo_append_gap(chain, chain->frame_samples, chain->dtx_cn_level);
	chain->expected_in_ts += (uint32_t)((uint64_t)chain->frame_samples * chain->in.clock / chain->out.rate);
	return (int)chain->outq_count;
}

unsigned int codec_chain_frame_us(const struct codec_chain *chain)
{
	return (unsigned int)((uint64_t)chain->frame_samples * 1000000 / chain->out.rate);
}

unsigned int codec_chain_input_frame_us(const struct codec_chain *chain)
{
	return chain->in_frame_us ? chain->in_frame_us : codec_chain_frame_us(chain);
}

bool codec_chain_take_dtmf(struct codec_chain *chain, struct codec_chain_dtmf *dtmf)
{
	if (!chain->detected_count)
		return false;
	*dtmf = chain->detected[0];
	memmove(chain->detected, chain->detected + 1, --chain->detected_count * sizeof(chain->detected[0]));
	return true;
}

void codec_chain_get_stats(const struct codec_chain *chain, struct codec_chain_stats *stats)
{
	*stats = chain->stats;
}

int codec_chain_inject_dtmf(struct codec_chain *chain, unsigned int event, unsigned int volume,
		unsigned int duration_ms, unsigned int pause_ms)
{
	if (event > 15)
		return -EINVAL;
	if (!chain->synced)
		return -ENODATA;   /* no stream yet whose SSRC and timing the event could take */
	struct injected_dtmf dtmf = { .event = (uint8_t)event, .volume = (uint8_t)(volume > 63 ? 63 : volume),
				      .duration_ms = duration_ms, .pause_ms = pause_ms };
	if (!chain->inject_active && !chain->inject_queued) {
		inject_start(chain, &dtmf);
		return 0;
	}
	if (chain->inject_queued == CODEC_CHAIN_DTMF_INJECT_QUEUE)
		return -EBUSY;
	chain->inject_queue[chain->inject_queued++] = dtmf;
	return 0;
}

int codec_chain_play_events_as_tones(struct codec_chain *chain, bool on)
{
	/* the tone is written into the decoded audio: the events must count in its clock */
	if (on && (chain->in_dtmf_pt < 0 || chain->in_dtmf_clock != chain->in.clock))
		return -EINVAL;
	chain->events_played = on;
	return 0;
}
