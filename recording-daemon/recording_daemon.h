/* rtpengine-recording's internal header: the configuration, the per-call state and the small
 * modules that share it. A call and everything under it belongs to one recording thread
 * (workers.c), so nothing here is locked.
 *
 * Data flow, one direction per arrow:
 *   spool.c (inotify on the metadata directory)
 *     -> call.c (one struct rec_call per metadata file; metafile.c parses its sections)
 *       -> stream_reader.c (a /proc kernel stream or a userspace stream file -> packets)
 *         -> packet.c (IP/UDP/RTP, per-SSRC jitter_buffer.c, decoder.c, timeline)
 *           -> mixer.c -> output.c (mixed file)   and   output.c (one file per SSRC)
 */
#ifndef RTPENGINE_RECORDING_DAEMON_H
#define RTPENGINE_RECORDING_DAEMON_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"

/* ---- configuration (rec_options.c) ------------------------------------------------------ */

enum rec_output_format { REC_FORMAT_WAV, REC_FORMAT_MP3, REC_FORMAT_NONE };
enum rec_mix_method { REC_MIX_DIRECT, REC_MIX_CHANNELS };

#define REC_DEFAULT_CONFIG_FILE "/etc/rtpengine/rtpengine-recording.conf"
#define REC_DEFAULT_SECTION     "rtpengine-recording"
#define REC_MIX_MAX_INPUTS      4   /* upstream mixes the first four sources */

struct rec_config {
	struct log_settings log;
	char *pidfile;
	bool foreground;
	int table;                      /* kernel table: /proc/rtpengine/TABLE/calls/... */
	char *spool_dir;
	char *output_dir;
	char *output_pattern;
	enum rec_output_format format;
	bool output_single;
	bool output_mixed;
	enum rec_mix_method mix_method;
	int resample_to;                /* 0: the call's first decoded rate */
	int mp3_bitrate;
	int output_chmod;               /* -1: leave the umask's mode */
	int output_chmod_dir;
	int output_uid, output_gid;     /* -1: unchanged */
	int num_threads;
	char *forward_to;               /* --forward-to: Unix socket path, NULL: not forwarding */
};

enum rec_config_result { REC_CONFIG_OK = 0, REC_CONFIG_EXIT_SUCCESS = 1, REC_CONFIG_ERROR = -1 };

/* Defaults, then the file and the command line. On REC_CONFIG_ERROR *error_message is a
 * g_malloc'ed line. */
enum rec_config_result rec_config_load(struct rec_config *config, int argc, char **argv, char **error_message);
void rec_config_free(struct rec_config *config);

extern struct rec_config rec_config;   /* the running program's, set once by main.c */

/* ---- metadata file sections (metafile.c) ------------------------------------------------- */

/* Upstream's metadata file is a sequence of sections, each
 *   NAME "\n" DECIMAL-LENGTH ":\n" CONTENT(LENGTH bytes) "\n\n"
 * Calls visit(name, content, content_length, data) for each complete section in buffer[0..length)
 * (name and content NUL-terminated copies valid during the call). Returns 0 when everything
 * parsed, -EAGAIN when the last section is incomplete (more may follow; *consumed says how far
 * the complete ones reach), -EINVAL on garbage (*reason static text; *consumed as far as good). */
typedef void (*metafile_section_function)(const char *name, const char *content, size_t content_length, void *data);
int metafile_parse(const char *buffer, size_t length, size_t *consumed, const char **reason,
		   metafile_section_function visit, void *data);

/* "TAG 1 MEDIA 1 TAG-MEDIA 1 COMPONENT 1 FLAGS 0 ..." (10.5 writes five fields, later versions
 * more). Returns 0 or -EINVAL. */
struct metafile_stream_details {
	unsigned int tag, media, tag_media, component;
	unsigned long long flags;
};
int metafile_parse_stream_details(const char *content, struct metafile_stream_details *details);

/* "PCMU/8000", "opus/48000/2": encoding name, clock rate, channels (1 when absent). */
int metafile_parse_rtpmap(const char *content, char *name, size_t name_size, int *clock_rate, int *channels);

/* ---- jitter buffer and timeline (jitter_buffer.c) ----------------------------------------- */

/* Orders one SSRC's packets by sequence number (RFC 3550 section 5.1, extended to 64 bits as
 * appendix A.1 does) in a small window: a packet leaves when JITTER_HOLD newer ones are
 * queued behind it, or on flush. Holes left behind are reported by the timeline, which fills
 * them with silence by RTP timestamp. */
#define JITTER_SLOTS 32
#define JITTER_HOLD  8

struct jitter_packet {
	uint64_t extended_sequence;
	uint32_t timestamp;
	uint8_t payload_type;
	bool marker;
	uint64_t arrival_ns;
	size_t length;
	unsigned char *payload;         /* g_malloc'ed, owned by whoever holds the packet */
};

struct jitter_buffer {
	struct jitter_packet slots[JITTER_SLOTS];   /* sorted by extended_sequence, count used */
	unsigned int count;
	bool started;
	uint64_t highest;               /* highest extended sequence seen */
	uint64_t released;              /* extended sequence of the last packet released + 1 */
	bool released_any;
	uint64_t duplicates, late;
};

void jitter_buffer_init(struct jitter_buffer *buffer);
/* Takes ownership of packet->payload on 0; -EEXIST (duplicate) and -ETIME (older than what
 * already left) leave it with the caller. extended_sequence is computed here. */
int jitter_buffer_insert(struct jitter_buffer *buffer, uint16_t sequence, struct jitter_packet *packet);
/* Removes the oldest packet if it may leave (flush: always). Returns true with *packet set. */
bool jitter_buffer_pop(struct jitter_buffer *buffer, bool flush, struct jitter_packet *packet);
void jitter_buffer_clear(struct jitter_buffer *buffer);

/* Where a packet's audio goes on an SSRC's timeline, in output samples. The anchor ties an
 * RTP timestamp to an output position; later packets are placed by timestamp difference
 * (RFC 3550 section 5.1: timestamps, not arrival, carry the media clock). A jump beyond
 * TIMELINE_MAX_GAP_SECONDS either way is a new anchor (SSRC restarted, bad input). */
#define TIMELINE_MAX_GAP_SECONDS 30

struct timeline {
	bool anchored;
	uint64_t anchor_timestamp;      /* extended */
	int64_t anchor_position;
	uint64_t last_timestamp;        /* extended */
	int clock_rate, output_rate;
};

/* Returns the output position for the packet's timestamp; re-anchors at fallback_position
 * when there is no anchor or the timestamp jumped. */
int64_t timeline_position(struct timeline *timeline, uint32_t timestamp, int clock_rate, int output_rate,
			  int64_t fallback_position);

/* ---- decoding (decoder.c) ----------------------------------------------------------------- */

struct rec_decoder;
/* encoding as in the rtpmap ("PCMU", "PCMA", "G722", "opus", "L16"); NULL and -ENOTSUP
 * for codecs not decoded (telephone-event, CN, unknown). */
struct rec_decoder *decoder_new(const char *encoding, int clock_rate, int channels, int output_rate, int *error);
void decoder_free(struct rec_decoder *decoder);
/* Decodes one payload into mono S16 at output_rate; *samples points into the decoder's
 * buffer until the next call. Returns the number of samples (0 is fine) or -errno. */
int decoder_decode(struct rec_decoder *decoder, const unsigned char *payload, size_t length, const int16_t **samples);
/* Native decode rate of an encoding (G.722 8000 clock but 16000 samples). */
int decoder_native_rate(const char *encoding, int clock_rate);

/* ---- mixing (mixer.c) --------------------------------------------------------------------- */

struct rec_mixer;
typedef int (*mixer_write_function)(void *sink, const int16_t *interleaved, size_t frames);
/* channels 1: inputs are summed (direct); channels REC_MIX_MAX_INPUTS: one input per channel. */
struct rec_mixer *mixer_new(int channels, int rate, mixer_write_function write, void *sink);
void mixer_free(struct rec_mixer *mixer);
/* Adds samples of input (0..REC_MIX_MAX_INPUTS-1) at absolute position. Audio before the
 * mixer's written position is late and dropped (counted). */
void mixer_add(struct rec_mixer *mixer, unsigned int input, int64_t position, const int16_t *samples, size_t count);
/* Called once per poll round: writes what every active input has reached, less a second of
 * hold-back (inputs that added nothing for a second are paused and not waited for), or, when
 * memory would grow past the limit, the oldest part regardless. final: everything. Returns 0
 * or the sink's error. */
int mixer_flush(struct rec_mixer *mixer, bool final);
uint64_t mixer_late_samples(const struct rec_mixer *mixer);
int64_t mixer_written(const struct rec_mixer *mixer);

/* ---- output files (output.c) -------------------------------------------------------------- */

struct rec_output;
/* Expands the pattern (%c call-id, %t type, %l label, %Y %m %d %H %M %S %u, %N prefixes) under
 * output_dir; returns a g_malloc'ed path without extension, or NULL with *reason. */
char *output_expand_pattern(const char *output_dir, const char *pattern, const char *call_id,
			    const char *type, const char *label, const char **reason);
/* Opens PATH.EXT.HASH.tmp for writing (HASH of owner, the call's spool name); output_close
 * gives it the name PATH.EXT, or PATH-N.EXT when that exists. extension NULL: the format's
 * ("wav", "mp3"); "": none. NULL with *error. */
struct rec_output *output_open(const char *path_base, const char *extension, const char *owner,
			       enum rec_output_format format, int rate, int channels, int *error);
int output_write(void *output, const int16_t *interleaved, size_t frames);
/* Finishes the file and names it (discard: deletes it). Frees output. */
int output_close(struct rec_output *output, bool discard);
uint64_t output_frames(const struct rec_output *output);

/* ---- calls, streams, packets (call.c, stream_reader.c, packet.c) --------------------------- */

struct rec_call;

struct rec_stream {
	struct rec_call *call;
	unsigned long id;
	char *name;                     /* as in "STREAM N interface" */
	char *path;
	int fd;
	bool kernel;                    /* /proc stream: one packet per read() */
	bool header_checked;
	bool failed;                    /* logged once, no more reading */
	off_t offset;                   /* userspace file: next frame */
	unsigned int tag;
	unsigned int media;             /* from "STREAM N details"; 0: not said */
	int mix_input;                  /* -1 until the stream carries audio */
	uint64_t packets, bad_packets;
};

struct rec_ssrc {
	uint32_t ssrc;
	struct rec_stream *stream;      /* where it was first seen */
	struct jitter_buffer jitter;
	struct timeline timeline;
	int payload_type;               /* -1 before the first decoded packet */
	int clock_rate;
	struct rec_decoder *decoder;
	int64_t written;                /* timeline position up to which audio was written */
	int64_t first_position;         /* where its single file starts on the call timeline */
	struct rec_output *single;
	bool logged_unknown_pt;
	unsigned int idle_rounds;       /* poll rounds without a packet: see ssrc_poll_idle */
	uint64_t packets, silence_samples;
	uint64_t last_arrival_ns;       /* of the previous packet placed or dropped */
	uint64_t implausible;           /* dropped: arrival far ahead, unconfirmed */
};

struct rec_payload_type {
	char *encoding;
	int clock_rate, channels;
};
/* The payload type as "MEDIA M PAYLOAD TYPE PT" announced it for the stream's media (an audio
 * and a video m= line may use one number for two codecs); for a stream whose media is not
 * known, the lowest media that announces it. NULL: not announced. */
const struct rec_payload_type *call_payload_type(struct rec_call *call, const struct rec_stream *stream,
						 unsigned int payload_type);

struct rec_call {
	char *name;                     /* metadata file name */
	char *call_id, *parent, *random_tag;
	char *output_destination;       /* OUTPUT_DESTINATION: the mixed file's name, as 10.5 */
	off_t metadata_offset;          /* complete sections parsed so far */
	bool metadata_bad;
	bool recording_on;
	GPtrArray *streams;             /* struct rec_stream *, by id (holes NULL) */
	GHashTable *ssrcs;              /* ssrc -> struct rec_ssrc * */
	GHashTable *labels;             /* tag number -> label (g_strdup) */
	GHashTable *payload_types;      /* MEDIA << 8 | PT -> struct rec_payload_type * */
	int rate;                       /* output rate of every file of this call; 0 until known */
	/* Position 0 of the call's timeline: the earliest arrival seen before the first packet
	 * was placed (stream files are peeked when opened, so that a restart that reads one
	 * stream's backlog before the other's still aligns them); fixed from then on. 0: unknown. */
	uint64_t start_ns;
	bool timeline_started;
	int64_t max_position;           /* the furthest any SSRC has written */
	struct rec_mixer *mixer;
	struct rec_output *mixed;
	int mix_inputs_used;
	/* --forward-to (forward.c) */
	int forward_fd;                 /* -1: not connected */
	bool forward_failed;            /* could not connect, or the consumer went away */
	bool forward_unannounced_logged;
	uint64_t forwarded, forward_dropped;
};

/* forward.c: --forward-to. forward_connect: a non-blocking SOCK_SEQPACKET connection to the
 * Unix socket path whose first message is first_message; 0 with *fd, or -errno. The others act
 * only with --forward-to: forward_metadata on the call's METADATA section (connects once),
 * forward_packet for every packet read from its streams (before recording looks at it; dropped
 * and counted when the consumer is behind), forward_close when the call ends. */
int forward_connect(const char *path, const char *first_message, size_t length, int *fd);
void forward_metadata(struct rec_call *call, const char *metadata, size_t length);
void forward_packet(struct rec_call *call, const unsigned char *packet, size_t length);
void forward_close(struct rec_call *call);

/* workers.c: the recording threads. Each call belongs to one (by its metadata file name) and
 * lives in that thread's call table (call.c's table is thread-local). The post functions are
 * for the main thread; a thread works its queue in order. workers_stop finishes every call's
 * files (as calls_shutdown) and joins the threads. */
int workers_start(unsigned int count, const char *metadata_dir);
void workers_post_changed(const char *name);
void workers_post_deleted(const char *name, bool discard);
void workers_post_end_missing(void);
void workers_stop(void);

/* spool.c: watches the metadata directory; returns the inotify descriptor to poll, or -errno.
 * Calls already there are picked up at once. */
int spool_open(const char *directory);
void spool_read_events(void);
void spool_close(void);

/* call.c: the registry of the calling thread's calls, keyed by metadata file name. */
void calls_init(void);
void calls_metadata_changed(const char *metadata_dir, const char *name);
void calls_metadata_deleted(const char *name, bool discard);
void calls_poll_streams(void);          /* reads whatever the open streams have */
void calls_shutdown(void);              /* finishes every call's files (SIGTERM) */
/* Ends the calls whose metadata file is gone (after inotify lost events). */
void calls_end_missing(const char *metadata_dir);
/* Lowers the call's start to arrival_ns while no packet has been placed yet. */
void call_note_arrival(struct rec_call *call, uint64_t arrival_ns);
/* Sets the call's output rate on first need and opens the mixed output; NULL when not mixing. */
struct rec_mixer *call_mixer(struct rec_call *call);
int call_output_rate(struct rec_call *call, int native_rate);
const char *call_label_for_tag(struct rec_call *call, unsigned int tag);

/* stream_reader.c: reads up to budget packets; calls packet_received for each. Returns the
 * number read, 0 when nothing is there now. */
int stream_read(struct rec_stream *stream, unsigned int budget);
int stream_open_file(struct rec_stream *stream);
/* A userspace stream file's first frame's arrival time, if it has one yet: 0 or -EAGAIN. */
int stream_peek_first_arrival(struct rec_stream *stream, uint64_t *arrival_ns);
void stream_close(struct rec_stream *stream);

/* Userspace stream file framing (lib/recording_spool.h): checks the file header in
 * buffer[0..length). 0, -EAGAIN (too short yet) or -EPROTO with *reason. */
int stream_check_file_header(const unsigned char *buffer, size_t length, const char **reason);
/* One frame at buffer[0..length): 0 with packet, packet_length, arrival_ns, frame_length set,
 * -EAGAIN (incomplete), -EPROTO (bad length) with *reason. */
int stream_parse_frame(const unsigned char *buffer, size_t length, const unsigned char **packet,
		       size_t *packet_length, uint64_t *arrival_ns, size_t *frame_length, const char **reason);
/* Strips a packet's IPv4/IPv6 and UDP headers. Returns the UDP payload offset, or -EINVAL. */
int packet_udp_payload(const unsigned char *packet, size_t length, size_t *payload_length);

/* packet.c */
/* An IP (4 or 6) + UDP + RTP packet as the kernel module and the userspace files carry it. */
void packet_received(struct rec_stream *stream, const unsigned char *packet, size_t length, uint64_t arrival_ns);
void ssrc_finish(struct rec_call *call, struct rec_ssrc *ssrc, bool discard);
/* Once per poll round: an SSRC that received nothing for a second releases what its jitter
 * buffer holds (a sender that stopped or paused leaves no packets behind to push them out). */
void ssrc_poll_idle(struct rec_call *call, struct rec_ssrc *ssrc);
void ssrc_free(void *ssrc);

#endif
