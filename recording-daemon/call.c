/* The calls being recorded, one per metadata file: applying the metadata's sections (parsed by
 * metafile.c), opening the streams they name, reading them, and finishing the call's files
 * when the metadata file goes away (or the daemon stops). */
#include "recording_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Packets read per stream per poll round: enough to keep up with any live call, small enough
 * that one call's backlog (after a restart) does not starve the others. */
#define STREAM_BUDGET 256
/* A metadata file larger than this is not one the daemon wrote. */
#define METADATA_MAX (4 * 1024 * 1024)

/* metadata file name -> struct rec_call *: the calls of this recording thread */
static __thread GHashTable *calls;

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *call_name(const struct rec_call *call)
{
	return call->call_id ? call->call_id : call->name;
}

static void stream_free(struct rec_stream *stream)
{
	if (!stream)
		return;
	stream_close(stream);
	g_free(stream->name);
	g_free(stream->path);
	g_free(stream);
}

static struct rec_stream *stream_get(struct rec_call *call, unsigned long id)
{
	if (id > 1024)
		return NULL;
	if (call->streams->len <= id)
		g_ptr_array_set_size(call->streams, (guint) id + 1);
	struct rec_stream *stream = g_ptr_array_index(call->streams, id);
	if (!stream) {
		stream = g_new0(struct rec_stream, 1);
		stream->call = call;
		stream->id = id;
		stream->fd = -1;
		stream->mix_input = -1;
		g_ptr_array_index(call->streams, id) = stream;
	}
	return stream;
}

/* Where a stream named in "STREAM N interface" is read from (docs/recording.md): the
 * daemon's userspace stream file SPOOL/streams/PARENT/NAME when it exists, else the kernel
 * module's /proc/rtpengine/TABLE/calls/PARENT/NAME as upstream 10.5. */
static char *stream_path(const struct rec_call *call, const char *name)
{
	const char *parent = call->parent ? call->parent : "";
	if (strchr(name, '/') || strchr(parent, '/') || !strcmp(name, "..") || !strcmp(parent, ".."))
		return NULL;
	char *path = g_strdup_printf("%s/streams/%s/%s", rec_config.spool_dir, parent, name);
	if (access(path, F_OK) == 0)
		return path;
	g_free(path);
	return g_strdup_printf("/proc/rtpengine/%d/calls/%s/%s", rec_config.table, parent, name);
}

/* The reader removes the call's userspace stream directory once its files are written. */
static void remove_stream_files(struct rec_call *call)
{
	if (!call->parent || strchr(call->parent, '/') || !call->parent[0] || !strcmp(call->parent, ".."))
		return;
	g_autofree char *directory = g_strdup_printf("%s/streams/%s", rec_config.spool_dir, call->parent);
	GDir *dir = g_dir_open(directory, 0, NULL);
	if (!dir)
		return;
	const char *entry;
	while ((entry = g_dir_read_name(dir))) {
		g_autofree char *path = g_strdup_printf("%s/%s", directory, entry);
		unlink(path);
	}
	g_dir_close(dir);
	if (rmdir(directory) < 0)
		log_call(LOG_WARNING, call_name(call), "cannot remove %s: %s", directory, strerror(errno));
}

static void open_stream(struct rec_call *call, unsigned long id, const char *name)
{
	struct rec_stream *stream = stream_get(call, id);
	if (!stream) {
		log_call(LOG_WARNING, call_name(call), "stream number %lu out of range; skipped", id);
		return;
	}
	if (stream->fd >= 0 || stream->failed)
		return;
	g_free(stream->name);
	stream->name = g_strdup(name);
	g_free(stream->path);
	stream->path = stream_path(call, name);
	int error = stream->path ? stream_open_file(stream) : -EINVAL;
	if (error < 0) {
		log_call(LOG_ERR, call_name(call), "cannot open stream %lu (%s): %s", id, stream->path ? stream->path : name, strerror(-error));
		stream->failed = true;
		return;
	}
	log_call(LOG_INFO, call_name(call), "recording stream %lu from %s", id, stream->path);
	uint64_t first_arrival;
	if (stream_peek_first_arrival(stream, &first_arrival) == 0)
		call_note_arrival(call, first_arrival);
}

#define MEDIA_MAX 64

static void payload_type_free(void *data)
{
	struct rec_payload_type *entry = data;
	g_free(entry->encoding);
	g_free(entry);
}

static void set_payload_type(struct rec_call *call, unsigned long media, unsigned int payload_type, const char *content)
{
	char encoding[64];
	int clock_rate, channels;
	if (payload_type > 127 || media == 0 || media > MEDIA_MAX ||
	    metafile_parse_rtpmap(content, encoding, sizeof(encoding), &clock_rate, &channels) < 0) {
		log_call(LOG_WARNING, call_name(call), "bad payload type %u of media %lu: '%s'; skipped", payload_type,
			 media, content);
		return;
	}
	struct rec_payload_type *entry = g_new0(struct rec_payload_type, 1);
	entry->encoding = g_strdup(encoding);
	entry->clock_rate = clock_rate;
	entry->channels = channels;
	g_hash_table_replace(call->payload_types, GUINT_TO_POINTER((guint) (media << 8 | payload_type)), entry);
}


static void apply_section(const char *section, const char *content, size_t content_length, void *data)
{
	struct rec_call *call = data;
	unsigned long number;
	unsigned int value;
	int end = 0;
	if (!strcmp(section, "CALL-ID")) {
		g_free(call->call_id);
		call->call_id = g_strdup(content);
	} else if (!strcmp(section, "PARENT")) {
		g_free(call->parent);
		call->parent = g_strdup(content);
	} else if (!strcmp(section, "OUTPUT_DESTINATION")) {
		g_free(call->output_destination);
		call->output_destination = content[0] ? g_strdup(content) : NULL;
	} else if (!strcmp(section, "RANDOM_TAG")) {
		g_free(call->random_tag);
		call->random_tag = g_strdup(content);
	} else if (sscanf(section, "STREAM %lu interface%n", &number, &end) == 1 && section[end] == '\0') {
		open_stream(call, number, content);
	} else if (sscanf(section, "STREAM %lu details%n", &number, &end) == 1 && section[end] == '\0') {
		struct metafile_stream_details details;
		struct rec_stream *stream = stream_get(call, number);
		if (stream && metafile_parse_stream_details(content, &details) == 0) {
			stream->tag = details.tag;
			stream->media = details.media <= MEDIA_MAX ? details.media : 0;
		}
	} else if (sscanf(section, "MEDIA %lu PAYLOAD TYPE %u%n", &number, &value, &end) == 2 && section[end] == '\0') {
		set_payload_type(call, number, value, content);
	} else if (sscanf(section, "LABEL %lu%n", &number, &end) == 1 && section[end] == '\0') {
		g_hash_table_replace(call->labels, GUINT_TO_POINTER((guint) number), g_strdup(content));
	} else if (sscanf(section, "RECORDING %u%n", &value, &end) == 1 && section[end] == '\0') {
		call->recording_on = value != 0;
	} else if (!strcmp(section, "METADATA")) {
		forward_metadata(call, content, content_length);
	}
	/* Everything else (TAG, SDP, FMTP, PTIME, FORWARDING, DB ids, ...) is
	 * information this daemon does not act on. */
}

/* OUTPUT_DESTINATION (the ng key output-destination) names the mixed file as 10.5 does: a
 * path taken as it is, extension included, relative ones under --output-dir. Returns the
 * name without its extension and *extension ("" when it has none). */
static char *destination_path(const char *destination, char **extension)
{
	char *path = destination[0] == '/' ? g_strdup(destination)
					    : g_strdup_printf("%s/%s", rec_config.output_dir, destination);
	char *slash = strrchr(path, '/');
	char *dot = strrchr(path, '.');
	if (dot && dot > slash + 1) {
		*extension = g_strdup(dot + 1);
		*dot = '\0';
	} else {
		*extension = g_strdup("");
	}
	return path;
}

static struct rec_call *call_new(const char *name)
{
	struct rec_call *call = g_new0(struct rec_call, 1);
	call->name = g_strdup(name);
	call->recording_on = true;
	call->forward_fd = -1;
	call->streams = g_ptr_array_new();
	call->ssrcs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, ssrc_free);
	call->labels = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	call->payload_types = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, payload_type_free);
	g_hash_table_insert(calls, call->name, call);
	log_info("new call for recording: '%s'", name);
	return call;
}

static void call_free(void *data)
{
	struct rec_call *call = data;
	forward_close(call);
	g_hash_table_destroy(call->ssrcs);
	for (guint i = 0; i < call->streams->len; i++)
		stream_free(g_ptr_array_index(call->streams, i));
	g_ptr_array_free(call->streams, TRUE);
	g_hash_table_destroy(call->labels);
	g_hash_table_destroy(call->payload_types);
	if (call->mixed)
		output_close(call->mixed, true);
	mixer_free(call->mixer);
	g_free(call->name);
	g_free(call->call_id);
	g_free(call->parent);
	g_free(call->random_tag);
	g_free(call->output_destination);
	g_free(call);
}

static int compare_ssrc_position(const void *a, const void *b)
{
	const struct rec_ssrc *x = *(struct rec_ssrc *const *) a, *y = *(struct rec_ssrc *const *) b;
	return x->first_position < y->first_position ? -1 : x->first_position > y->first_position;
}

/* Reads what is left, drains every jitter buffer into the files, closes them. ended: the
 * metadata file is gone, so the stream files are done with too (not on shutdown: a restarted
 * daemon reads them again from the start). */
static void call_finish(struct rec_call *call, bool discard, bool ended)
{
	for (guint i = 0; i < call->streams->len; i++) {
		struct rec_stream *stream = g_ptr_array_index(call->streams, i);
		/* bounded: a stream that keeps growing while we read it is cut here */
		for (int round = 0; stream && !discard && round < 100000 && stream_read(stream, STREAM_BUDGET) > 0; round++)
			;
	}
	GPtrArray *ssrcs = g_ptr_array_new();
	GHashTableIter iterator;
	void *value;
	g_hash_table_iter_init(&iterator, call->ssrcs);
	while (g_hash_table_iter_next(&iterator, NULL, &value))
		g_ptr_array_add(ssrcs, value);
	g_ptr_array_sort(ssrcs, compare_ssrc_position);
	for (guint i = 0; i < ssrcs->len; i++)
		ssrc_finish(call, g_ptr_array_index(ssrcs, i), discard);
	g_ptr_array_free(ssrcs, TRUE);
	if (call->mixer) {
		if (!discard)
			mixer_flush(call->mixer, true);
		if (mixer_late_samples(call->mixer))
			log_call(LOG_WARNING, call_name(call), "mixed output: %llu samples arrived too late to mix",
				 (unsigned long long) mixer_late_samples(call->mixer));
	}
	if (call->mixed) {
		output_close(call->mixed, discard);
		call->mixed = NULL;
	}
	for (guint i = 0; i < call->streams->len; i++) {
		struct rec_stream *stream = g_ptr_array_index(call->streams, i);
		if (stream)
			stream_close(stream);
	}
	forward_close(call);    /* after the rest of the streams went out */
	if (ended)
		remove_stream_files(call);
	log_call(LOG_INFO, call_name(call), "recording finished%s", discard ? " (discarded)" : "");
}

/* ---- public -------------------------------------------------------------------------------- */

const struct rec_payload_type *call_payload_type(struct rec_call *call, const struct rec_stream *stream,
						 unsigned int payload_type)
{
	if (stream->media)
		return g_hash_table_lookup(call->payload_types, GUINT_TO_POINTER(stream->media << 8 | payload_type));
	for (guint media = 1; media <= MEDIA_MAX; media++) {
		const struct rec_payload_type *entry =
			g_hash_table_lookup(call->payload_types, GUINT_TO_POINTER(media << 8 | payload_type));
		if (entry)
			return entry;
	}
	return NULL;
}

void call_note_arrival(struct rec_call *call, uint64_t arrival_ns)
{
	if (!call->timeline_started && arrival_ns && (!call->start_ns || arrival_ns < call->start_ns))
		call->start_ns = arrival_ns;
}

void calls_init(void)
{
	calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, call_free);
}

int call_output_rate(struct rec_call *call, int native_rate)
{
	if (!call->rate)
		call->rate = rec_config.resample_to > 0 ? rec_config.resample_to : native_rate;
	return call->rate;
}

struct rec_mixer *call_mixer(struct rec_call *call)
{
	if (!rec_config.output_mixed || rec_config.format == REC_FORMAT_NONE || !call->rate)
		return NULL;
	if (call->mixer)
		return call->mixer;
	if (call->mixed == NULL) {
		const char *reason = NULL;
		g_autofree char *base = NULL;
		g_autofree char *extension = NULL;
		if (call->output_destination)
			base = destination_path(call->output_destination, &extension);
		else
			base = output_expand_pattern(rec_config.output_dir, rec_config.output_pattern, call_name(call),
						     "mix", "mix", &reason);
		int error = 0;
		int channels = rec_config.mix_method == REC_MIX_CHANNELS ? REC_MIX_MAX_INPUTS : 1;
		if (base)
			call->mixed = output_open(base, extension, call->name, rec_config.format, call->rate, channels,
						  &error);
		if (!call->mixed) {
			log_call(LOG_ERR, call_name(call), "cannot open mixed output: %s", reason ? reason : strerror(-error));
			return NULL;
		}
		call->mixer = mixer_new(channels, call->rate, output_write, call->mixed);
	}
	return call->mixer;
}

const char *call_label_for_tag(struct rec_call *call, unsigned int tag)
{
	return g_hash_table_lookup(call->labels, GUINT_TO_POINTER(tag));
}

void calls_metadata_changed(const char *metadata_dir, const char *name)
{
	struct rec_call *call = g_hash_table_lookup(calls, name);
	if (call && call->metadata_bad)
		return;
	g_autofree char *path = g_strdup_printf("%s/%s", metadata_dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warning("cannot open metadata file %s: %s", path, strerror(errno));
		return;
	}
	struct stat info;
	if (fstat(fd, &info) < 0 || !S_ISREG(info.st_mode)) {
		close(fd);
		return;
	}
	if (!call)
		call = call_new(name);
	if (info.st_size > METADATA_MAX || info.st_size < call->metadata_offset) {
		log_call(LOG_WARNING, call_name(call), "metadata file %s is %s; not read further", path,
			 info.st_size > METADATA_MAX ? "too large" : "shorter than before");
		call->metadata_bad = true;
		close(fd);
		return;
	}
	size_t length = (size_t) (info.st_size - call->metadata_offset);
	char *buffer = g_malloc(length + 1);
	ssize_t got = pread(fd, buffer, length, call->metadata_offset);
	close(fd);
	if (got < 0) {
		log_call(LOG_WARNING, call_name(call), "cannot read metadata file %s: %s", path, strerror(errno));
		g_free(buffer);
		return;
	}
	size_t consumed = 0;
	const char *reason = NULL;
	int result = metafile_parse(buffer, (size_t) got, &consumed, &reason, apply_section, call);
	call->metadata_offset += (off_t) consumed;
	if (result == -EINVAL) {
		log_call(LOG_WARNING, call_name(call), "metadata file %s: %s at offset %lld; the rest is skipped", path,
			 reason, (long long) call->metadata_offset);
		call->metadata_bad = true;
	}
	g_free(buffer);
}

void calls_metadata_deleted(const char *name, bool discard)
{
	struct rec_call *call = g_hash_table_lookup(calls, name);
	if (!call)
		return;
	call_finish(call, discard, true);
	g_hash_table_remove(calls, name);
}

void calls_poll_streams(void)
{
	GHashTableIter iterator;
	void *value;
	g_hash_table_iter_init(&iterator, calls);
	while (g_hash_table_iter_next(&iterator, NULL, &value)) {
		struct rec_call *call = value;
		for (guint i = 0; i < call->streams->len; i++) {
			struct rec_stream *stream = g_ptr_array_index(call->streams, i);
			if (stream)
				stream_read(stream, STREAM_BUDGET);
		}
		GHashTableIter ssrcs;
		void *ssrc;
		g_hash_table_iter_init(&ssrcs, call->ssrcs);
		while (g_hash_table_iter_next(&ssrcs, NULL, &ssrc))
			ssrc_poll_idle(call, ssrc);
		if (call->mixer)
			mixer_flush(call->mixer, false);
	}
}

void calls_shutdown(void)
{
	GHashTableIter iterator;
	void *value;
	g_hash_table_iter_init(&iterator, calls);
	while (g_hash_table_iter_next(&iterator, NULL, &value))
		call_finish(value, false, false);
	g_hash_table_destroy(calls);
	calls = NULL;
}

void calls_end_missing(const char *metadata_dir)
{
	GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iterator;
	void *key;
	g_hash_table_iter_init(&iterator, calls);
	while (g_hash_table_iter_next(&iterator, &key, NULL)) {
		g_autofree char *path = g_strdup_printf("%s/%s", metadata_dir, (const char *) key);
		if (access(path, F_OK) < 0 && errno == ENOENT)
			g_ptr_array_add(gone, g_strdup(key));
	}
	for (guint i = 0; i < gone->len; i++)
		calls_metadata_deleted(g_ptr_array_index(gone, i), false);
	g_ptr_array_free(gone, TRUE);
}
