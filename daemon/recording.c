/* Call recording: calls, files and metadata; see recording.h and docs/recording.md. */
#include "recording.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include "call.h"
#include "config.h"
#include "interface.h"
#include "kernel.h"
#include "kernel_backend.h"
#include "log.h"
#include "ng_call_lookup.h"
#include "ng_commands.h"
#include "recording_metadata.h"
#include "recording_writer.h"
#include "sdp.h"

enum record_state { RECORD_OFF, RECORD_ON, RECORD_PAUSED };

/* What an offer or answer asked for, kept until the "changed" observer applies it. */
struct pending_exchange {
	bool present;
	int record_call;                /* 1 on, -1 off, 0 not asked */
	struct monologue *from;
	const char *mode;               /* "offer", "answer" */
	char *sdp_in, *sdp_out;
	size_t sdp_in_length, sdp_out_length;
};

struct call_recording {
	enum record_state state;
	bool open;                      /* the files exist: recording (or paused) or forwarding */
	/* start/stop forwarding (proc): media goes to the recording daemon without it writing
	 * files (RECORDING 0, FORWARDING 1): the whole call, or the sides named by from-tag
	 * (bit per monologue index: STREAM n FORWARDING 1) */
	bool forwarding;
	uint32_t forwarding_tags;
	char *metadata;                 /* the last metadata a request gave */
	bool metadata_written;          /* proc: the current metadata is in the spool file */
	char *output_destination;       /* proc: output-destination, for the recording daemon */
	bool output_destination_written;
	char *prefix;                   /* PARENT: escaped call-id and random part, per start */
	unsigned int next_media_id, next_stream_id;
	unsigned int tags_announced;    /* bit per monologue index: TAG chunk written */
	struct pending_exchange pending;
	/* pcap */
	struct recording_output *pcap;
	char *pcap_final_path;
	int meta_fd;                    /* tmp/rtpengine-meta-PREFIX.tmp, -1 if none */
	char *meta_tmp_path;
	/* proc */
	GString *spool;                 /* the whole spool file so far (it only grows) */
	bool spool_failed;              /* logged once */
	uint32_t kernel_call;           /* the kernel module's calls/PREFIX directory, 0: none */
	bool call_ending;               /* "ended": the kernel observer took the targets out already */
};

/* A stream's recording state lives in stream->extras (call.h): its sink and record flag,
 * published under the call's lock, and its proc numbering (control thread). */

/* What the writer thread does once a pcap call's files are closed: the metadata's last
 * lines, then the move to metadata/. */
struct pcap_meta_finish {
	int fd;
	char *tmp_path, *final_path;
	GString *text;
};

static struct {
	bool enabled;
	char *dir;
	enum recording_method method;
	enum recording_format format;
	struct kernel_table *kernel;    /* proc with the kernel module: streams in /proc/rtpengine */
	uint32_t last_kernel_id;        /* ids of kernel calls and streams */
} settings;

/* ---- the kernel module's streams (proc method) ------------------------------------------ */

static uint32_t next_kernel_id(void)
{
	if (++settings.last_kernel_id == 0)
		settings.last_kernel_id = 1;
	return settings.last_kernel_id;
}

/* On the writer thread, once the outputs posted before are closed: every packet written
 * reached the stream before it ends (readers get the rest, then EOF). */
static void delete_kernel_call(void *data)
{
	uint32_t id = GPOINTER_TO_UINT(data);
	int error = settings.kernel ? kernel_recording_delete_call(settings.kernel, id) : 0;
	if (error)
		log_warning("recording: cannot delete kernel recording call %u: %s", id, strerror(-error));
}

static void delete_kernel_stream(void *data)
{
	uint32_t id = GPOINTER_TO_UINT(data);
	int error = settings.kernel ? kernel_recording_delete_stream(settings.kernel, id) : 0;
	if (error)
		log_warning("recording: cannot delete kernel recording stream %u: %s", id, strerror(-error));
}

/* The stream file in the kernel (10.5's /proc/rtpengine/N/calls/PREFIX/NAME) as the output,
 * or NULL (logged) when the module refuses: the caller falls back to a spool file. */
static struct recording_output *open_kernel_stream(struct call *call, struct call_recording *rec, const char *name,
						   uint32_t *kernel_stream)
{
	uint32_t id = next_kernel_id();
	int error = kernel_recording_add_stream(settings.kernel, rec->kernel_call, id, 0, name);
	if (error) {
		log_call(LOG_WARNING, call->call_id, "recording: kernel module refused stream %s: %s (written to "
			 "the spool in userspace)", name, strerror(-error));
		return NULL;
	}
	char path[PATH_MAX];
	kernel_recording_stream_path(settings.kernel, rec->prefix, name, path, sizeof(path));
	struct recording_output *output = recording_writer_open_output(path, NULL, RECORDING_OUTPUT_KERNEL_STREAM);
	if (!output) {
		log_call(LOG_WARNING, call->call_id, "recording: cannot open %s: %s (written to the spool in "
			 "userspace)", path, strerror(errno));
		kernel_recording_delete_stream(settings.kernel, id);
		return NULL;
	}
	*kernel_stream = id;
	return output;
}

/* ---- files and directories ------------------------------------------------------------ */

/* Upstream's check: create when missing (mode), refuse a path that is not a directory. */
static int ensure_directory(const char *path, const char *what, mode_t mode)
{
	struct stat info;
	if (stat(path, &info) == 0) {
		if (S_ISDIR(info.st_mode))
			return 0;
		log_error("%s path \"%s\" exists, but is not a directory", what, path);
		return -ENOTDIR;
	}
	log_info("creating %s directory \"%s\"", what, path);
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	int error = errno;
	log_error("cannot create %s directory \"%s\": %s", what, path, strerror(error));
	return -error;
}

static char *random_hex(void)
{
	return g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
}

/* Whole content to path, atomically: written to tmp_path, renamed over path. Then path is
 * opened for writing and closed, so that readers waiting for IN_CLOSE_WRITE (10.5's
 * rtpengine-recording) see the change. Returns 0 or -errno. */
static int replace_file(const char *tmp_path, const char *path, const char *content, size_t length)
{
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
	if (fd < 0)
		return -errno;
	size_t done = 0;
	while (done < length) {
		ssize_t written = write(fd, content + done, length - done);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0) {
			int error = written < 0 ? errno : ENOSPC;
			close(fd);
			unlink(tmp_path);
			return -error;
		}
		done += (size_t) written;
	}
	if (close(fd) < 0 || rename(tmp_path, path) < 0) {
		int error = errno;
		unlink(tmp_path);
		return -error;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return 0;
}

static void write_all(int fd, const char *text, size_t length, const char *path)
{
	size_t done = 0;
	while (fd >= 0 && done < length) {
		ssize_t written = write(fd, text + done, length - done);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0) {
			log_error("recording: cannot write metadata file %s: %s", path,
				  written < 0 ? strerror(errno) : "no space");
			return;
		}
		done += (size_t) written;
	}
}

/* proc: the spool file gets the new version of rec->spool. */
static void spool_publish(struct call *call, struct call_recording *rec)
{
	g_autofree char *path = g_strdup_printf("%s/%s.meta", settings.dir, rec->prefix);
	g_autofree char *tmp_path = g_strdup_printf("%s/tmp/%s.meta.tmp", settings.dir, rec->prefix);
	int error = replace_file(tmp_path, path, rec->spool->str, rec->spool->len);
	if (error && !rec->spool_failed)
		log_call(LOG_ERR, call->call_id, "recording: cannot write metadata file %s: %s", path, strerror(-error));
	rec->spool_failed = error != 0;
}

/* ---- stream and media bookkeeping ----------------------------------------------------- */

static void stream_local_endpoint(const struct stream *stream, union endpoint *local)
{
	*local = stream->media->interface->local;
	endpoint_set_port(local, stream->local_port);
	if (local->address.sa_family == AF_INET6)
		local->v6.sin6_scope_id = 0;
}

static unsigned int monologue_index(const struct call *call, const struct monologue *monologue)
{
	for (unsigned int i = 0; i < call->monologue_count; i++)
		if (call->monologues[i] == monologue)
			return i;
	return 0;
}

/* Whether a stream's packets go to its recording output: recording on, or forwarded to the
 * recording daemon (the whole call or its side). */
static bool stream_fed(const struct call *call, const struct call_recording *rec, const struct stream *stream)
{
	if (rec->state == RECORD_ON || rec->forwarding)
		return true;
	unsigned int tag = monologue_index(call, stream->media->monologue);
	return tag < 32 && (rec->forwarding_tags & (1u << tag));
}

static bool stream_recordable(const struct stream *stream)
{
	return stream->fd >= 0 && stream->media->interface && !stream->media->rejected;
}

/* The usual encoding names of static payload types (RFC 3551 section 6) for m= lines
 * without a=rtpmap. */
static const char *static_payload_type(unsigned int type)
{
	switch (type) {
	case 0: return "PCMU/8000";
	case 3: return "GSM/8000";
	case 4: return "G723/8000";
	case 8: return "PCMA/8000";
	case 9: return "G722/8000";
	case 13: return "CN/8000";
	case 18: return "G729/8000";
	default: return NULL;
	}
}

/* The value of a=NAME:TYPE ... for payload type `type` in a media's attributes, after the
 * type: "PCMU/8000" of "0 PCMU/8000". */
static const char *payload_attribute(const struct sdp_media *media, const char *name, unsigned int type)
{
	for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(media->attributes, i);
		if (!attribute->value || strcmp(attribute->name, name))
			continue;
		char *end;
		unsigned long number = strtoul(attribute->value, &end, 10);
		if (end != attribute->value && number == type && *end == ' ')
			return end + 1;
	}
	return NULL;
}

static const char *media_attribute(const struct sdp_media *media, const char *name)
{
	for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(media->attributes, i);
		if (!strcmp(attribute->name, name))
			return attribute->value ? attribute->value : "";
	}
	return NULL;
}

/* MEDIA n of the proc metadata: numbered from 1 in the order the recording first meets them. */
static unsigned int media_id(struct call_recording *rec, struct media *media)
{
	struct stream_extras *extras = media->streams[STREAM_RTP].extras;
	if (!extras->recording_media_id)
		extras->recording_media_id = ++rec->next_media_id;
	return extras->recording_media_id;
}

/* proc: MEDIA chunks of the media side `from` described in its SDP, once per media. */
static void announce_media_formats(struct call_recording *rec, struct monologue *from, const char *sdp_text,
				   size_t sdp_length)
{
	const char *error = NULL;
	struct sdp_session *sdp = sdp_parse(sdp_text, sdp_length, &error);
	if (!sdp)
		return;
	for (unsigned int i = 0; i < sdp->media->len && i < from->media_count; i++) {
		struct media *media = from->media[i];
		struct stream_extras *extras = media->streams[STREAM_RTP].extras;
		if (extras->recording_formats_written || media->rejected || !media->rtp_port)
			continue;
		media_id(rec, media);
		extras->recording_formats_written = true;
		const struct sdp_media *sdp_media = g_ptr_array_index(sdp->media, i);
		const char *ptime = media_attribute(sdp_media, "ptime");
		recording_meta_chunk_printf(rec->spool, NULL, "MEDIA %u PTIME %i", extras->recording_media_id,
					    ptime ? atoi(ptime) : 0);
		g_auto(GStrv) formats = g_strsplit(sdp_media->formats ? sdp_media->formats : "", " ", -1);
		for (unsigned int f = 0; formats[f]; f++) {
			char *end;
			unsigned long type = strtoul(formats[f], &end, 10);
			if (end == formats[f] || *end || type > 127)
				continue;
			const char *encoding = payload_attribute(sdp_media, "rtpmap", (unsigned int) type);
			if (!encoding)
				encoding = static_payload_type((unsigned int) type);
			if (!encoding)
				continue;
			const char *fmtp = payload_attribute(sdp_media, "fmtp", (unsigned int) type);
			recording_meta_chunk_printf(rec->spool, encoding, "MEDIA %u PAYLOAD TYPE %lu",
						    extras->recording_media_id, type);
			recording_meta_chunk_printf(rec->spool, fmtp ? fmtp : "", "MEDIA %u FMTP %lu",
						    extras->recording_media_id, type);
		}
	}
	sdp_session_free(sdp);
}

/* proc: TAG and LABEL chunks of sides not announced yet. */
static void announce_tags(struct call *call, struct call_recording *rec)
{
	for (unsigned int i = 0; i < call->monologue_count && i < 32; i++) {
		const struct monologue *monologue = call->monologues[i];
		if (!monologue->tag || (rec->tags_announced & (1u << i)))
			continue;
		rec->tags_announced |= 1u << i;
		recording_meta_chunk_printf(rec->spool, monologue->tag, "TAG %u", i);
		if (monologue->label)
			recording_meta_chunk_printf(rec->spool, monologue->label, "LABEL %u", i);
	}
}

/* Creates the sinks (and for proc the stream files and their chunks) of every recordable
 * stream that has none yet, and publishes them with the record flag. Returns the number of
 * streams that got a sink. */
static unsigned int attach_streams(struct call *call, struct call_recording *rec)
{
	unsigned int attached = 0;
	GPtrArray *new_sinks = g_ptr_array_new();
	GPtrArray *new_streams = g_ptr_array_new();
	struct media *media;
	call_foreach_media(call, media) {
		struct stream_extras *media_extras = media->streams[STREAM_RTP].extras;
		for (unsigned int kind = STREAM_RTP; kind <= STREAM_RTCP; kind++) {
			struct stream *stream = &media->streams[kind];
			if (stream->extras->recording_sink || !stream_recordable(stream) || media->monologue->no_recording)
				continue;
			media_id(rec, media);
			struct recording_output *output = rec->pcap;
			uint32_t kernel_stream = 0;
			if (settings.method == RECORDING_METHOD_PROC) {
				if (!stream->extras->recording_id_set) {
					stream->extras->recording_id = rec->next_stream_id++;
					stream->extras->recording_id_set = true;
				}
				unsigned int tag = monologue_index(call, media->monologue);
				unsigned int id = stream->extras->recording_id;
				g_autofree char *name = g_strdup_printf("tag-%u-media-%u-component-%u-%s-id-%u", tag,
									media->index, kind + 1,
									kind == STREAM_RTCP ? "RTCP" : "RTP", id);
				g_autofree char *path = g_strdup_printf("%s/streams/%s/%s", settings.dir, rec->prefix, name);
				output = rec->kernel_call ? open_kernel_stream(call, rec, name, &kernel_stream) : NULL;
				if (!output) {
					g_autofree char *stream_dir = g_strdup_printf("%s/streams/%s", settings.dir, rec->prefix);
					if (mkdir(stream_dir, 0755) < 0 && errno != EEXIST)
						log_call(LOG_ERR, call->call_id, "recording: cannot create %s: %s", stream_dir,
							 strerror(errno));
					output = recording_writer_open_output(path, NULL, RECORDING_OUTPUT_STREAM);
				}
				if (!output) {
					int error = errno;
					log_call(LOG_ERR, call->call_id, "recording: cannot create stream file %s: %s "
						 "(the call is relayed, this stream not recorded)", path, strerror(error));
					output = recording_writer_unwritable_output(path, error, RECORDING_OUTPUT_STREAM);
				}
				g_autofree char *details = g_strdup_printf("TAG %u MEDIA %u TAG-MEDIA %u COMPONENT %u FLAGS 0",
									   tag, media_extras->recording_media_id,
									   media->index, kind + 1);
				recording_meta_chunk_printf(rec->spool, details, "STREAM %u details", id);
				recording_meta_chunk_printf(rec->spool, name, "STREAM %u interface", id);
			}
			if (!output)
				continue;
			struct recording_sink *sink = g_new0(struct recording_sink, 1);
			sink->output = output;
			sink->kernel_stream = kernel_stream;
			stream_local_endpoint(stream, &sink->local);
			g_ptr_array_add(new_sinks, sink);
			g_ptr_array_add(new_streams, stream);
			attached++;
		}
	}
	if (new_sinks->len) {
		pthread_mutex_lock(&call->lock);
		for (unsigned int i = 0; i < new_sinks->len; i++) {
			struct stream *stream = g_ptr_array_index(new_streams, i);
			stream->extras->recording_sink = g_ptr_array_index(new_sinks, i);
			stream->extras->record = stream_fed(call, rec, stream);
		}
		call_refresh_forwarding(call);
		pthread_mutex_unlock(&call->lock);
		/* a stream the kernel forwards records there from now on */
		kernel_backend_resync_call(call);
	}
	g_ptr_array_free(new_sinks, TRUE);
	g_ptr_array_free(new_streams, TRUE);
	return attached;
}

/* Takes every sink off the packet path (under the lock), then hands sinks and proc stream
 * outputs back to the writer, which frees them once what was queued is written. */
static void detach_streams(struct call *call, bool excluded_only)
{
	GPtrArray *sinks = g_ptr_array_new();
	pthread_mutex_lock(&call->lock);
	struct stream *stream;
	call_foreach_stream(call, stream) {
		if (!stream->extras->recording_sink || (excluded_only && !stream->media->monologue->no_recording))
			continue;
		g_ptr_array_add(sinks, stream->extras->recording_sink);
		stream->extras->recording_sink = NULL;
		stream->extras->record = false;
	}
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	for (unsigned int i = 0; i < sinks->len; i++) {
		struct recording_sink *sink = g_ptr_array_index(sinks, i);
		if (settings.method == RECORDING_METHOD_PROC)
			recording_writer_close_output(sink->output);
		/* a finishing call's kernel streams end with its kernel call */
		if (excluded_only && sink->kernel_stream)
			recording_writer_run(delete_kernel_stream, GUINT_TO_POINTER(sink->kernel_stream));
		recording_writer_release_sink(sink);
	}
	/* an ending call's targets are gone (the kernel observer runs first): pushing them again
	 * would leave them forwarding ports the next call gets */
	if (sinks->len && !(call->recording && call->recording->call_ending))
		kernel_backend_resync_call(call);
	g_ptr_array_free(sinks, TRUE);
}

static void set_record_flags(struct call *call, struct call_recording *rec)
{
	pthread_mutex_lock(&call->lock);
	struct stream *stream;
	call_foreach_stream(call, stream)
		if (stream->extras->recording_sink)
			stream->extras->record = stream_fed(call, rec, stream);
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	kernel_backend_resync_call(call);   /* a paused stream's kernel target stops recording */
}

/* proc: the MEDIA chunks of the SDP an offer or answer carried, before its streams' chunks
 * (10.5's order). */
static void announce_pending_formats(struct call_recording *rec)
{
	struct pending_exchange *pending = &rec->pending;
	if (pending->present && pending->sdp_in)
		announce_media_formats(rec, pending->from, pending->sdp_in, pending->sdp_in_length);
}

/* ---- starting and finishing ------------------------------------------------------------ */

/* proc: METADATA and OUTPUT_DESTINATION, when a request set or changed them. */
static void proc_call_fields(struct call_recording *rec)
{
	if (rec->metadata && !rec->metadata_written) {
		recording_meta_chunk_printf(rec->spool, rec->metadata, "METADATA");
		rec->metadata_written = true;
	}
	if (rec->output_destination && !rec->output_destination_written) {
		recording_meta_chunk_printf(rec->spool, rec->output_destination, "OUTPUT_DESTINATION");
		rec->output_destination_written = true;
	}
}

static void proc_flags_chunks(struct call_recording *rec, bool streams, struct call *call)
{
	recording_meta_chunk_printf(rec->spool, NULL, "RECORDING %u", rec->state == RECORD_ON ? 1u : 0u);
	recording_meta_chunk_printf(rec->spool, NULL, "FORWARDING %u", rec->forwarding ? 1u : 0u);
	proc_call_fields(rec);
	if (!streams)
		return;
	/* per stream: its side was named by start forwarding's from-tag (10.5's monologue flag) */
	struct stream *stream;
	call_foreach_stream(call, stream) {
		if (!stream->extras->recording_sink)
			continue;
		unsigned int tag = monologue_index(call, stream->media->monologue);
		bool forwarded = tag < 32 && (rec->forwarding_tags & (1u << tag));
		recording_meta_chunk_printf(rec->spool, NULL, "STREAM %u FORWARDING %u", stream->extras->recording_id,
					    forwarded ? 1u : 0u);
	}
}

/* The files stay, what changed is recording on/paused/off or forwarding: the packet path's
 * flags (and kernel targets) follow, proc writes the flag chunks (10.5's update_flags). */
static void apply_flags(struct call *call, struct call_recording *rec, bool streams)
{
	set_record_flags(call, rec);
	if (settings.method == RECORDING_METHOD_PROC) {
		proc_flags_chunks(rec, streams, call);
		spool_publish(call, rec);
	}
}

static void clear_stream_ids(struct call *call)
{
	struct stream *stream;
	call_foreach_stream(call, stream) {
		stream->extras->recording_id_set = false;
		stream->extras->recording_media_id = 0;
		stream->extras->recording_formats_written = false;
	}
}

/* proc: the streams' home, the spool text, then flags, sides, formats and streams. With the
 * kernel module the streams are its /proc files (10.5's layout), else files in streams/PREFIX/
 * (made when the first stream needs it). continued: the text of the spool file a previous
 * daemon left for this prefix (a call restored from Redis), which goes on growing; NULL: a new
 * file (CALL-ID, PARENT). */
static void proc_start(struct call *call, struct call_recording *rec, GString *continued)
{
	rec->kernel_call = 0;
	if (settings.kernel) {
		uint32_t id = next_kernel_id();
		int error = kernel_recording_add_call(settings.kernel, id, rec->prefix);
		if (error)
			log_call(LOG_WARNING, call->call_id, "recording: kernel module refused the call's stream "
				 "directory: %s (streams written to the spool in userspace)", strerror(-error));
		else
			rec->kernel_call = id;
	}
	rec->spool_failed = false;
	if (continued) {
		rec->spool = continued;
	} else {
		rec->spool = g_string_new(NULL);
		recording_meta_chunk_printf(rec->spool, call->call_id, "CALL-ID");
		recording_meta_chunk_printf(rec->spool, rec->prefix, "PARENT");
	}
	proc_flags_chunks(rec, false, call);
	announce_tags(call, rec);
	announce_pending_formats(rec);
	attach_streams(call, rec);
	proc_flags_chunks(rec, true, call);
	spool_publish(call, rec);
}

static int open_files(struct call *call, struct call_recording *rec);

static int start_recording(struct call *call, struct call_recording *rec)
{
	if (rec->state == RECORD_ON)
		return 0;
	if (rec->open) {
		log_call(LOG_NOTICE, call->call_id, rec->state == RECORD_PAUSED ? "Resuming call recording."
			 : "Turning on call recording (the call is forwarded to the recording daemon already).");
		/* resuming a pause: the call-wide flags (our pause is not 10.5's); recording on a
		 * forwarded call: with the streams' flags, as 10.5 (seen in the guest) */
		bool streams = rec->state == RECORD_OFF;
		rec->state = RECORD_ON;
		apply_flags(call, rec, streams);
		return 0;
	}
	log_call(LOG_NOTICE, call->call_id, "Turning on call recording.");
	rec->state = RECORD_ON;
	return open_files(call, rec);
}

/* pcap: tmp/rtpengine-meta-PREFIX.tmp, moved to metadata/ when the call ends. continued (a
 * restored call going on in its capture): the previous daemon's file is appended to, so its
 * SDP sections stay; when it is gone it is made anew. */
static void open_pcap_metadata(struct call *call, struct call_recording *rec, bool continued)
{
	g_free(rec->meta_tmp_path);
	rec->meta_tmp_path = g_strdup_printf("%s/tmp/rtpengine-meta-%s.tmp", settings.dir, rec->prefix);
	rec->meta_fd = continued ? open(rec->meta_tmp_path, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
	if (rec->meta_fd >= 0)
		return;
	rec->meta_fd = open(rec->meta_tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
	if (rec->meta_fd < 0) {
		log_call(LOG_ERR, call->call_id, "recording: cannot create metadata file %s: %s",
			 rec->meta_tmp_path, strerror(errno));
		return;
	}
	g_autoptr(GString) text = g_string_new(NULL);
	recording_pcap_meta_start(text, rec->pcap_final_path);
	write_all(rec->meta_fd, text->str, text->len, rec->meta_tmp_path);
}

/* A new recording: prefix, metadata, outputs; rec->state and forwarding say what the flag
 * chunks announce. */
static int open_files(struct call *call, struct call_recording *rec)
{
	g_autofree char *random = random_hex();
	g_free(rec->prefix);
	rec->prefix = recording_prefix(call->call_id, random);
	rec->next_media_id = rec->next_stream_id = 0;
	rec->tags_announced = 0;
	rec->metadata_written = false;
	rec->output_destination_written = false;
	clear_stream_ids(call);
	rec->open = true;
	if (settings.method == RECORDING_METHOD_PCAP) {
		g_autofree char *pcap_tmp = g_strdup_printf("%s/tmp/%s.pcap", settings.dir, rec->prefix);
		g_free(rec->pcap_final_path);
		rec->pcap_final_path = g_strdup_printf("%s/pcaps/%s.pcap", settings.dir, rec->prefix);
		enum recording_output_format format = settings.format == RECORDING_FORMAT_ETH
			? RECORDING_OUTPUT_PCAP_ETHERNET : RECORDING_OUTPUT_PCAP_RAW;
		rec->pcap = recording_writer_open_output(pcap_tmp, rec->pcap_final_path, format);
		if (!rec->pcap) {
			/* relayed, not recorded: its packets are counted as lost (recordingerrors) */
			int error = errno;
			log_call(LOG_ERR, call->call_id, "recording: cannot create %s: %s (the call is relayed, "
				 "not recorded)", pcap_tmp, strerror(error));
			rec->pcap = recording_writer_unwritable_output(pcap_tmp, error, format);
		}
		open_pcap_metadata(call, rec, false);
		attach_streams(call, rec);
		return 0;
	}
	proc_start(call, rec, NULL);
	return 0;
}

static void finish_pcap_meta(void *data)
{
	struct pcap_meta_finish *job = data;
	if (job->fd >= 0) {
		write_all(job->fd, job->text->str, job->text->len, job->tmp_path);
		if (close(job->fd) < 0)
			log_error("recording: closing %s: %s", job->tmp_path, strerror(errno));
		if (rename(job->tmp_path, job->final_path) < 0)
			log_error("Could not move metadata file \"%s\" to \"%s\": %s", job->tmp_path, job->final_path,
				  strerror(errno));
		else
			log_info("Moved metadata file \"%s\" to \"%s\"", job->tmp_path, job->final_path);
	}
	g_free(job->tmp_path);
	g_free(job->final_path);
	g_string_free(job->text, TRUE);
	g_free(job);
}

static void unlink_spool_file(void *data)
{
	char *path = data;
	if (unlink(path) < 0 && errno != ENOENT)
		log_error("recording: cannot delete metadata file %s: %s", path, strerror(errno));
	g_free(path);
}

/* A kernel call's end: its streams end first (DELETE_CALL), and the spool file is deleted
 * once every reader has read the rest and closed them (the module then removes the call's
 * directory), or after KERNEL_DRAIN_WAIT_US: 10.5's rtpengine-recording closes a call's
 * streams as soon as its spool file goes, and a kernel stream cannot be read again. */
#define KERNEL_DRAIN_WAIT_US (5 * 1000000ll)

struct kernel_call_finish {
	char *meta_path, *kernel_dir;
	int64_t deadline_us;
};

static bool finish_kernel_call(void *data, bool final)
{
	struct kernel_call_finish *job = data;
	if (!final && access(job->kernel_dir, F_OK) == 0 && now_realtime_us() < job->deadline_us)
		return false;
	unlink_spool_file(job->meta_path);
	g_free(job->kernel_dir);
	g_free(job);
	return true;
}

/* Ends the files: the sinks leave the packet path, the writer writes what was queued,
 * closes the outputs, then finishes the metadata (pcap: moved to metadata/; proc: the spool
 * file deleted after the stream files are complete). */
static void finish_recording(struct call *call, struct call_recording *rec, int64_t now_us)
{
	rec->state = RECORD_OFF;
	rec->forwarding = false;
	rec->forwarding_tags = 0;
	if (!rec->open)
		return;
	log_call(LOG_NOTICE, call->call_id, "Turning off call recording.");
	detach_streams(call, false);
	rec->open = false;
	if (settings.method == RECORDING_METHOD_PCAP) {
		recording_writer_close_output(rec->pcap);
		rec->pcap = NULL;
		struct pcap_meta_finish *job = g_new0(struct pcap_meta_finish, 1);
		job->fd = rec->meta_fd;
		job->tmp_path = rec->meta_tmp_path;
		job->final_path = g_strdup_printf("%s/metadata/rtpengine-meta-%s.txt", settings.dir, rec->prefix);
		job->text = g_string_new(NULL);
		recording_pcap_meta_end(job->text, now_us, call->created_us, now_us, rec->metadata);
		rec->meta_fd = -1;
		rec->meta_tmp_path = NULL;
		recording_writer_run(finish_pcap_meta, job);
	} else {
		g_autofree char *meta_path = g_strdup_printf("%s/%s.meta", settings.dir, rec->prefix);
		if (rec->kernel_call) {
			recording_writer_run(delete_kernel_call, GUINT_TO_POINTER(rec->kernel_call));
			struct kernel_call_finish *job = g_new0(struct kernel_call_finish, 1);
			job->meta_path = g_steal_pointer(&meta_path);
			job->kernel_dir = g_strdup_printf("%s/%d/calls/%s", KERNEL_PROC_ROOT, kernel_table_id(settings.kernel),
							  rec->prefix);
			job->deadline_us = now_us + KERNEL_DRAIN_WAIT_US;
			recording_writer_run_until(finish_kernel_call, job);
		} else {
			recording_writer_run(unlink_spool_file, g_steal_pointer(&meta_path));
		}
		rec->kernel_call = 0;
		g_string_free(rec->spool, TRUE);
		rec->spool = NULL;
	}
}

static void pause_recording(struct call *call, struct call_recording *rec)
{
	if (rec->state != RECORD_ON)
		return;
	log_call(LOG_NOTICE, call->call_id, "Pausing call recording.");
	rec->state = RECORD_PAUSED;
	apply_flags(call, rec, false);
}

/* stop recording / record call: no: the files end unless the call is still forwarded to the
 * recording daemon (10.5: recording_stop() only updates the flags then). */
static void stop_recording(struct call *call, struct call_recording *rec, int64_t now_us)
{
	if (rec->open && (rec->forwarding || rec->forwarding_tags)) {
		if (rec->state != RECORD_OFF) {
			log_call(LOG_NOTICE, call->call_id, "Turning off call recording (still forwarded to the "
				 "recording daemon).");
			rec->state = RECORD_OFF;
			apply_flags(call, rec, true);   /* 10.5: RECORDING 0, FORWARDING 1, STREAM n FORWARDING */
		}
		return;
	}
	finish_recording(call, rec, now_us);
}

/* start forwarding: tag -1 = the whole call, else that monologue's streams. */
static void start_forwarding(struct call *call, struct call_recording *rec, int tag)
{
	if (tag < 0)
		rec->forwarding = true;
	else
		rec->forwarding_tags |= 1u << tag;
	log_call(LOG_NOTICE, call->call_id, "Forwarding %s to the recording daemon.", tag < 0 ? "the call" : "a side");
	if (rec->open)
		apply_flags(call, rec, true);
	else
		open_files(call, rec);
}

/* stop forwarding: the whole call (every side too, as 10.5 clears them all) or one side; the
 * files end when nothing records or forwards any more. */
static void stop_forwarding(struct call *call, struct call_recording *rec, int tag, int64_t now_us)
{
	if (tag < 0) {
		rec->forwarding = false;
		rec->forwarding_tags = 0;
	} else {
		rec->forwarding_tags &= ~(1u << tag);
	}
	if (!rec->open)
		return;
	if (rec->state == RECORD_OFF && !rec->forwarding && !rec->forwarding_tags)
		finish_recording(call, rec, now_us);
	else
		apply_flags(call, rec, true);
}

static struct call_recording *recording_of(struct call *call)
{
	if (!call->recording) {
		call->recording = g_new0(struct call_recording, 1);
		call->recording->meta_fd = -1;
	}
	return call->recording;
}

static void pending_clear(struct pending_exchange *pending)
{
	g_free(pending->sdp_in);
	g_free(pending->sdp_out);
	memset(pending, 0, sizeof(*pending));
}

static void set_output_destination(struct call_recording *rec, const char *destination)
{
	if (!destination || !*destination
	    || (rec->output_destination && !strcmp(rec->output_destination, destination)))
		return;
	g_free(rec->output_destination);
	rec->output_destination = g_strdup(destination);
	rec->output_destination_written = false;
}

static void set_metadata(struct call_recording *rec, const char *metadata)
{
	if (!metadata || (rec->metadata && !strcmp(rec->metadata, metadata)))
		return;
	g_free(rec->metadata);
	rec->metadata = g_strdup(metadata);
	rec->metadata_written = false;
}

/* ---- the call observer ---------------------------------------------------------------- */

static void recording_call_changed(const struct call_event *event)
{
	struct call *call = event->call;
	struct call_recording *rec = call->recording;
	if (!rec)
		return;
	struct pending_exchange *pending = &rec->pending;
	if (pending->record_call > 0)
		start_recording(call, rec);
	else if (pending->record_call < 0)
		stop_recording(call, rec, event->now_us);
	if (rec->open) {
		/* exclude-recording: that side's streams leave the recording (its files stay) */
		if (pending->present && pending->from->no_recording)
			detach_streams(call, true);
		if (settings.method == RECORDING_METHOD_PROC) {
			announce_tags(call, rec);
			announce_pending_formats(rec);
		}
		attach_streams(call, rec);
		if (settings.method == RECORDING_METHOD_PROC) {
			if (pending->present) {
				unsigned int from = monologue_index(call, pending->from);
				g_autofree char *before = g_strdup_printf("SDP from %u before %s", from, pending->mode);
				g_autofree char *after = g_strdup_printf("SDP from %u after %s", from, pending->mode);
				recording_meta_chunk(rec->spool, before, pending->sdp_in, pending->sdp_in_length);
				recording_meta_chunk(rec->spool, after, pending->sdp_out, pending->sdp_out_length);
			}
			proc_call_fields(rec);
			spool_publish(call, rec);
		} else if (pending->present && rec->meta_fd >= 0) {
			g_autoptr(GString) text = g_string_new(NULL);
			uint64_t written = rec->pcap ? recording_output_records(rec->pcap) : 0;
			recording_pcap_meta_sdp(text, pending->from->label, pending->from->created_us, pending->mode,
						written + 1, pending->sdp_out, pending->sdp_out_length);
			write_all(rec->meta_fd, text->str, text->len, rec->meta_tmp_path);
		}
	}
	pending_clear(pending);
}

static void recording_call_ended(const struct call_event *event)
{
	struct call *call = event->call;
	struct call_recording *rec = call->recording;
	if (!rec)
		return;
	rec->call_ending = true;
	finish_recording(call, rec, event->now_us);
	pending_clear(&rec->pending);
	g_free(rec->metadata);
	g_free(rec->output_destination);
	g_free(rec->prefix);
	g_free(rec->pcap_final_path);
	g_free(rec);
	call->recording = NULL;
}

const struct call_observer recording_call_observer = {
	.name = "recording",
	.changed = recording_call_changed,
	.ended = recording_call_ended,
};

/* ---- public functions ----------------------------------------------------------------- */

int recording_init(const struct daemon_config *config, unsigned int worker_count)
{
	if (!config->recording_dir || !*config->recording_dir)
		return 0;
	settings.dir = g_strdup(config->recording_dir);
	size_t length = strlen(settings.dir);
	while (length > 1 && settings.dir[length - 1] == '/')
		settings.dir[--length] = '\0';
	settings.method = config->recording_method;
	settings.format = config->recording_format;
	int error = ensure_directory(settings.dir, "spool", 0700);
	const char *const pcap_dirs[] = { "metadata", "pcaps", "tmp", NULL };
	const char *const proc_dirs[] = { "streams", "tmp", NULL };
	const char *const *subdirs = settings.method == RECORDING_METHOD_PCAP ? pcap_dirs : proc_dirs;
	for (unsigned int i = 0; !error && subdirs[i]; i++) {
		g_autofree char *path = g_strdup_printf("%s/%s", settings.dir, subdirs[i]);
		error = ensure_directory(path, subdirs[i], 0777);
	}
	if (!error)
		error = recording_writer_start(worker_count);
	if (error) {
		log_error("Error while setting up spool directory \"%s\": %s", settings.dir, strerror(-error));
		g_free(settings.dir);
		settings.dir = NULL;
		return error;
	}
	settings.enabled = true;
	log_notice("recording calls into %s (method %s, format %s)", settings.dir,
		   settings.method == RECORDING_METHOD_PCAP ? "pcap" : "proc",
		   settings.format == RECORDING_FORMAT_ETH ? "eth" : "raw");
	return 0;
}

void recording_shutdown(void)
{
	if (!settings.enabled)
		return;
	recording_writer_stop();
	settings.enabled = false;
	settings.kernel = NULL;
	g_free(settings.dir);
	settings.dir = NULL;
}

bool recording_enabled(void)
{
	return settings.enabled;
}

void recording_use_kernel(struct kernel_table *table)
{
	settings.kernel = settings.enabled && settings.method == RECORDING_METHOD_PROC ? table : NULL;
	if (settings.kernel)
		log_notice("recording: recorded streams are forwarded and recorded in the kernel (kernel table %d, "
			   "streams under %s/%d/calls)", kernel_table_id(table), KERNEL_PROC_ROOT, kernel_table_id(table));
}

void recording_note_exchange(struct call *call, struct monologue *from, bool offer, const struct ng_flags *flags,
			     const char *sdp_out, size_t sdp_out_length)
{
	if (!settings.enabled)
		return;
	if (flags->exclude_recording)
		from->no_recording = true;   /* for good: a later request without the flag does not undo it */
	if (!call->recording && flags->record_call <= 0 && !flags->metadata && !flags->output_destination)
		return;
	struct call_recording *rec = recording_of(call);
	set_metadata(rec, flags->metadata);
	set_output_destination(rec, flags->output_destination);
	struct pending_exchange *pending = &rec->pending;
	pending_clear(pending);
	pending->present = true;
	pending->record_call = flags->record_call;
	pending->from = from;
	pending->mode = offer ? "offer" : "answer";
	pending->sdp_in = g_strndup(flags->sdp ? flags->sdp : "", flags->sdp ? flags->sdp_length : 0);
	pending->sdp_in_length = flags->sdp ? flags->sdp_length : 0;
	pending->sdp_out = g_strndup(sdp_out ? sdp_out : "", sdp_out ? sdp_out_length : 0);
	pending->sdp_out_length = sdp_out ? sdp_out_length : 0;
}

void recording_reply(struct ng_request *request, struct call *call)
{
	const struct call_recording *rec = call->recording;
	if (!rec || rec->state == RECORD_OFF || !rec->pcap_final_path || settings.method != RECORDING_METHOD_PCAP)
		return;
	struct bencode_item *list = bencode_dictionary_add_list(request->buffer, request->reply, "recordings");
	bencode_list_append_string(request->buffer, list, rec->pcap_final_path);
}

const char *recording_call_state(const struct call *call)
{
	const struct call_recording *rec = call->recording;
	if (!rec || rec->state == RECORD_OFF)
		return "no";
	return rec->state == RECORD_PAUSED ? "paused" : "yes";
}

/* The call a recording command names, or NULL with error_reason set. */
static struct call *command_call(struct ng_request *request)
{
	if (!settings.enabled) {
		/* as the refused commands word it: "<command>: <feature> ..." */
		g_autofree char *reason = g_strdup_printf("%s: call recording is not configured (no --recording-dir)",
							  request->command ? request->command : "recording");
		request->error_reason = bencode_buffer_strdup_length(request->buffer, reason, strlen(reason));
		return NULL;
	}
	struct call *call;
	return ng_lookup_call(request, &call) < 0 ? NULL : call;
}

/* The side a forwarding command's from-tag names: its monologue index, -1 for no from-tag
 * (the whole call), -2 with error_reason set for a tag the call does not have. */
static int forwarding_tag(struct ng_request *request, struct call *call)
{
	const char *tag = request->flags.from_tag;
	if (!tag || !*tag)
		return -1;
	for (unsigned int i = 0; i < call->monologue_count && i < 32; i++)
		if (call->monologues[i]->tag && !strcmp(call->monologues[i]->tag, tag))
			return (int) i;
	request->error_reason = "Unknown monologue tag";
	return -2;
}

/* The head every recording command shares: the call it names, its recording state (*rec) and
 * the metadata the request gave. Forwarding commands (tag not NULL) also need the proc method
 * (forwarding feeds the recording daemon's streams, which only it has) and get the side their
 * from-tag names (*tag, see forwarding_tag). NULL with error_reason set. */
static struct call *recording_command_head(struct ng_request *request, int *tag, struct call_recording **rec)
{
	struct call *call = command_call(request);
	if (!call)
		return NULL;
	if (tag) {
		if (settings.method != RECORDING_METHOD_PROC) {
			g_autofree char *reason = g_strdup_printf("%s: forwarding media to the recording daemon needs "
								  "--recording-method=proc", request->command);
			request->error_reason = bencode_buffer_strdup_length(request->buffer, reason, strlen(reason));
			return NULL;
		}
		*tag = forwarding_tag(request, call);
		if (*tag == -2)
			return NULL;
	}
	*rec = recording_of(call);
	set_metadata(*rec, request->flags.metadata);
	return call;
}

static int reply_ok(struct ng_request *request)
{
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

int ng_command_start_recording(struct ng_request *request)
{
	struct call_recording *rec;
	struct call *call = recording_command_head(request, NULL, &rec);
	if (!call)
		return -ENOENT;
	set_output_destination(rec, request->flags.output_destination);
	start_recording(call, rec);
	if (settings.method == RECORDING_METHOD_PROC && rec->spool) {
		proc_call_fields(rec);
		spool_publish(call, rec);
	}
	return reply_ok(request);
}

int ng_command_stop_recording(struct ng_request *request)
{
	struct call_recording *rec;
	struct call *call = recording_command_head(request, NULL, &rec);
	if (!call)
		return -ENOENT;
	stop_recording(call, rec, now_realtime_us());
	return reply_ok(request);
}

int ng_command_pause_recording(struct ng_request *request)
{
	struct call_recording *rec;
	struct call *call = recording_command_head(request, NULL, &rec);
	if (!call)
		return -ENOENT;
	pause_recording(call, rec);
	return reply_ok(request);
}

int ng_command_start_forwarding(struct ng_request *request)
{
	int tag;
	struct call_recording *rec;
	struct call *call = recording_command_head(request, &tag, &rec);
	if (!call)
		return -ENOENT;
	start_forwarding(call, rec, tag);
	if (rec->spool) {
		proc_call_fields(rec);
		spool_publish(call, rec);
	}
	return reply_ok(request);
}

int ng_command_stop_forwarding(struct ng_request *request)
{
	int tag;
	struct call_recording *rec;
	struct call *call = recording_command_head(request, &tag, &rec);
	if (!call)
		return -ENOENT;
	stop_forwarding(call, rec, tag, now_realtime_us());
	return reply_ok(request);
}

/* ---- Redis: what a standby needs ---------------------------------------------------------- */

/* The sections of a proc spool file ("NAME\nLENGTH:\nCONTENT\n\n"), for continue_spool(). */
static void spool_sections(const char *text, size_t length,
			   void (*visit)(const char *name, const char *content, void *data), void *data)
{
	const char *at = text, *end = text + length;
	while (at < end) {
		const char *newline = memchr(at, '\n', (size_t) (end - at));
		if (!newline)
			return;
		g_autofree char *name = g_strndup(at, (size_t) (newline - at));
		char *after;
		unsigned long content_length = strtoul(newline + 1, &after, 10);
		if (after == newline + 1 || after + 2 > end || after[0] != ':' || after[1] != '\n'
		    || content_length > (size_t) (end - (after + 2)) || (size_t) (end - (after + 2)) - content_length < 2)
			return;
		g_autofree char *content = g_strndup(after + 2, content_length);
		visit(name, content, data);
		at = after + 2 + content_length + 2;
	}
}

struct spool_ids {
	struct call *call;
	unsigned int next_stream_id, next_media_id;
};

/* A continued spool file keeps its MEDIA ids (its MEDIA chunks name their formats: a side's
 * n-th m= line is the media "STREAM n details" said) and new streams get ids after the used. */
static void note_spool_section(const char *name, const char *content, void *data)
{
	struct spool_ids *ids = data;
	unsigned int id, tag, media_id, tag_media, component;
	int end = 0;
	if (sscanf(name, "MEDIA %u %n", &id, &end) == 1 && end)
		ids->next_media_id = MAX(ids->next_media_id, id);
	if (sscanf(name, "STREAM %u %n", &id, &end) != 1 || !end)
		return;
	ids->next_stream_id = MAX(ids->next_stream_id, id + 1);
	if (strcmp(name + end, "details") || sscanf(content, "TAG %u MEDIA %u TAG-MEDIA %u COMPONENT %u", &tag,
						     &media_id, &tag_media, &component) != 4)
		return;
	ids->next_media_id = MAX(ids->next_media_id, media_id);
	if (tag >= ids->call->monologue_count)
		return;
	struct monologue *monologue = ids->call->monologues[tag];
	for (unsigned int i = 0; i < monologue->media_count; i++) {
		struct stream_extras *extras = monologue->media[i]->streams[STREAM_RTP].extras;
		if (monologue->media[i]->index == tag_media && !extras->recording_media_id) {
			extras->recording_media_id = media_id;
			extras->recording_formats_written = true;
		}
	}
}

/* Stream files already in streams/PREFIX/ ("...-id-N") whose number the spool file may not
 * name yet: a new stream file never replaces one. */
static unsigned int next_free_stream_id(const char *prefix, unsigned int next)
{
	g_autofree char *directory = g_strdup_printf("%s/streams/%s", settings.dir, prefix);
	GDir *dir = g_dir_open(directory, 0, NULL);
	if (!dir)
		return next;
	const char *entry;
	while ((entry = g_dir_read_name(dir))) {
		const char *id = g_strrstr(entry, "-id-");
		if (id)
			next = MAX(next, (unsigned int) strtoul(id + 4, NULL, 10) + 1);
	}
	g_dir_close(dir);
	return next;
}

/* A prefix from a Redis value names files in our directories: one path component. */
static bool prefix_is_a_name(const char *prefix)
{
	return *prefix && !strchr(prefix, '/') && strcmp(prefix, ".") && strcmp(prefix, "..");
}

/* pcap, a call restored from Redis: the previous daemon's tmp/PREFIX.pcap (left when it
 * died) goes on, records appended after its whole ones under the same header, so the call
 * stays one capture under the name its offer reply gave (10.5 opens the same name again but
 * truncates it, losing what was recorded before), and its metadata file goes on with it.
 * -errno when the capture is gone or not ours (the call then gets new files). */
static int continue_pcap(struct call *call, struct call_recording *rec, const char *prefix)
{
	if (!prefix_is_a_name(prefix))
		return -EINVAL;
	g_autofree char *tmp_path = g_strdup_printf("%s/tmp/%s.pcap", settings.dir, prefix);
	g_autofree char *final_path = g_strdup_printf("%s/pcaps/%s.pcap", settings.dir, prefix);
	enum recording_output_format format = settings.format == RECORDING_FORMAT_ETH
		? RECORDING_OUTPUT_PCAP_ETHERNET : RECORDING_OUTPUT_PCAP_RAW;
	struct recording_output *output = recording_writer_continue_output(tmp_path, final_path, format);
	if (!output) {
		int error = errno;
		if (error != ENOENT)
			log_call(LOG_WARNING, call->call_id, "recording: cannot continue %s: %s (new files)", tmp_path,
				 strerror(error));
		return -error;
	}
	g_free(rec->prefix);
	rec->prefix = g_strdup(prefix);
	rec->next_media_id = rec->next_stream_id = 0;
	rec->tags_announced = 0;
	rec->metadata_written = false;
	rec->output_destination_written = false;
	clear_stream_ids(call);
	rec->open = true;
	rec->pcap = output;
	g_free(rec->pcap_final_path);
	rec->pcap_final_path = g_steal_pointer(&final_path);
	open_pcap_metadata(call, rec, true);
	log_call(LOG_NOTICE, call->call_id, "recording: continuing %s after its %" PRIu64 " packets", tmp_path,
		 recording_output_records(output));
	attach_streams(call, rec);
	return 0;
}

/* proc, a call restored from Redis: the previous daemon's PREFIX.meta (left when it died)
 * goes on growing, with new stream files, so the recording daemon sees one call (one set of
 * output files, its --forward-to connection kept). -errno when the file is gone or the
 * prefix is not one of ours (the call then gets new files). */
static int continue_spool(struct call *call, struct call_recording *rec, const char *prefix)
{
	if (!prefix_is_a_name(prefix))
		return -EINVAL;
	g_autofree char *path = g_strdup_printf("%s/%s.meta", settings.dir, prefix);
	char *text = NULL;
	gsize length = 0;
	if (!g_file_get_contents(path, &text, &length, NULL))
		return -ENOENT;
	GString *spool = g_string_new_len(text, (gssize) length);
	g_free(text);
	clear_stream_ids(call);
	struct spool_ids ids = { .call = call };
	spool_sections(spool->str, spool->len, note_spool_section, &ids);
	g_free(rec->prefix);
	rec->prefix = g_strdup(prefix);
	rec->next_stream_id = next_free_stream_id(prefix, ids.next_stream_id);
	rec->next_media_id = ids.next_media_id;
	rec->tags_announced = 0;
	rec->metadata_written = false;
	rec->output_destination_written = false;
	rec->open = true;
	log_call(LOG_NOTICE, call->call_id, "recording: continuing %s (streams from id %u)", path, rec->next_stream_id);
	proc_start(call, rec, spool);
	return 0;
}

bool recording_saved_state(const struct call *call, struct recording_saved_state *saved)
{
	memset(saved, 0, sizeof(*saved));
	const struct call_recording *rec = call->recording;
	if (!rec || !rec->open)
		return false;
	saved->state = rec->state == RECORD_ON ? 1 : rec->state == RECORD_PAUSED ? 2 : 0;
	saved->forwarding = rec->forwarding;
	saved->forwarding_sides = rec->forwarding_tags;
	saved->metadata = rec->metadata;
	saved->output_destination = rec->output_destination;
	saved->prefix = rec->prefix;
	return true;
}

uint64_t recording_fingerprint(const struct call *call)
{
	const struct call_recording *rec = call->recording;
	if (!rec)
		return 0;
	/* strings are replaced, never edited: their addresses tell */
	uint64_t hash = 14695981039346656037ull;
	const uint64_t parts[] = { rec->state, rec->open, rec->forwarding, rec->forwarding_tags,
				   (uintptr_t) rec->metadata, (uintptr_t) rec->output_destination, (uintptr_t) rec->prefix };
	for (size_t i = 0; i < G_N_ELEMENTS(parts); i++)
		hash = (hash ^ parts[i]) * 1099511628211ull;
	return hash;
}

void recording_restore(struct call *call, const struct recording_saved_state *saved)
{
	if (!settings.enabled)
		return;
	/* forwarding feeds the recording daemon's streams: proc only, as the commands */
	bool forwarded = settings.method == RECORDING_METHOD_PROC && (saved->forwarding || saved->forwarding_sides);
	if (!saved->state && !forwarded)
		return;
	struct call_recording *rec = recording_of(call);
	set_metadata(rec, saved->metadata);
	set_output_destination(rec, saved->output_destination);
	rec->state = saved->state == 1 ? RECORD_ON : saved->state == 2 ? RECORD_PAUSED : RECORD_OFF;
	rec->forwarding = forwarded && saved->forwarding;
	rec->forwarding_tags = forwarded ? saved->forwarding_sides : 0;
	log_call(LOG_NOTICE, call->call_id, "Restored call: recording %s%s.",
		 rec->state == RECORD_ON ? "on" : rec->state == RECORD_PAUSED ? "paused" : "off",
		 forwarded ? ", forwarded to the recording daemon" : "");
	if (settings.method == RECORDING_METHOD_PROC && saved->prefix && continue_spool(call, rec, saved->prefix) == 0)
		return;
	if (settings.method == RECORDING_METHOD_PCAP && saved->prefix && continue_pcap(call, rec, saved->prefix) == 0)
		return;
	open_files(call, rec);
}
