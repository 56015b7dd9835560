/* Call recording, the daemon's side (docs/recording.md): which calls record, the files of
 * the pcap and proc methods, the ng commands and keys that control it.
 *
 * A call records when an offer or answer asks for it (record call: yes, flag record-call) or
 * by `start recording`; `stop recording` / record call: no finish its files, `pause recording`
 * keeps them open and writes nothing. The packet path hands each plaintext packet of a
 * recorded stream to the recording writer (recording_writer.h) through the stream's sink in
 * stream->extras; this module owns the files' names and the metadata and is a call-lifecycle
 * observer: "changed" applies what an offer or answer asked for and writes its SDP into the
 * metadata, "ended" finishes the files (delete, timeouts, shutdown).
 *
 * Threads: control thread only, except what recording_writer.h says. */
#ifndef RTPENGINE_RECORDING_H
#define RTPENGINE_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "call_lifecycle.h"
#include "ng_request.h"

struct daemon_config;

/* Start-up: with --recording-dir set, checks and creates the spool directories and starts
 * the writer with a queue per media worker. Returns 0 (also when recording is not
 * configured) or -errno after logging why (the daemon stops, as upstream does). */
int recording_init(const struct daemon_config *config, unsigned int worker_count);
/* After every call has ended: writes what is queued, finishes the files, stops the writer. */
void recording_shutdown(void);
/* --recording-dir is configured. */
bool recording_enabled(void);
/* After recording_init and the kernel backend: with --recording-method=proc and the kernel
 * module's table (NULL: none), recorded streams become the module's /proc stream files and
 * stay forwarded in the kernel. */
struct kernel_table;
void recording_use_kernel(struct kernel_table *table);

/* Offer and answer, once the exchange went through and before call_changed(): what it asked
 * for (flags: record call, metadata) and the SDP that `from` sent and the SDP sent on, for the
 * observer to apply. Nothing happens unless recording is enabled. */
void recording_note_exchange(struct call *call, struct monologue *from, bool offer, const struct ng_flags *flags,
			     const char *sdp_out, size_t sdp_out_length);
/* Offer and answer replies of a call recorded with pcap: "recordings": [ PCAP path ]. */
void recording_reply(struct ng_request *request, struct call *call);
/* For query: "yes", "paused" or "no". */
const char *recording_call_state(const struct call *call);

int ng_command_start_recording(struct ng_request *request);
int ng_command_stop_recording(struct ng_request *request);
int ng_command_pause_recording(struct ng_request *request);
/* start/stop forwarding (proc method): the call's (or from-tag's side's) streams go to the
 * recording daemon without recording on (RECORDING 0, FORWARDING 1 / STREAM n FORWARDING 1);
 * the files end when neither recording nor forwarding is left. */
int ng_command_start_forwarding(struct ng_request *request);
int ng_command_stop_forwarding(struct ng_request *request);

extern const struct call_observer recording_call_observer;

/* Redis high availability (redis_value.c, redis_restore.c, redis.c): what a standby or a
 * restarted daemon needs to go on recording and forwarding the call. */
struct recording_saved_state {
	unsigned int state;             /* 0 off, 1 recording, 2 paused */
	bool forwarding;                /* start forwarding without from-tag */
	uint32_t forwarding_sides;      /* start forwarding with from-tag: bit per monologue index */
	const char *metadata, *output_destination;  /* NULL: none */
	const char *prefix;             /* the files' name (proc: PARENT, the spool file); NULL: unknown */
};
/* false (and *saved zeroed) when the call has no recording files open. The strings are the
 * call's, valid until the next request changes them (control thread). */
bool recording_saved_state(const struct call *call, struct recording_saved_state *saved);
/* Changes whenever what recording_saved_state() says changes (the Redis writer's check). */
uint64_t recording_fingerprint(const struct call *call);
/* A restored call: recording (or paused) and forwarded as saved; nothing unless --recording-dir
 * is set (forwarding: and the proc method). With proc, the spool file of saved->prefix is
 * continued when it is still there (new stream files, the same call for the recording daemon
 * and its --forward-to consumer), else, and with pcap, new files with the saved metadata. */
void recording_restore(struct call *call, const struct recording_saved_state *saved);

#endif
