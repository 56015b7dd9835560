/* The Redis value of one call: the boundary between this daemon and the next one (a standby,
 * a restarted instance, an active-active peer, a newer or older version). One JSON object per
 * call-id, versioned; docs/redis.md documents every field.
 *
 * Versions: 2 is written; 1 and 2 are read. Version 1 had no ICE credentials and no SRTP
 * packet indexes (a v1 call restores with fresh ICE credentials only if it advertised none, and
 * its SRTP contexts start from the first packet they see). The version is checked once, at the
 * door (redis_value_decode()); nothing past it looks at the version again.
 *
 * Threads: control thread. The encoder takes call->lock once, to copy what the media worker
 * writes (learned source, state, SRTP indexes), and formats outside it.
 * Errors: -EINVAL (not a call value: malformed JSON, a field of the wrong type, a bad
 * address or key) or -EPROTONOSUPPORT (a version this daemon does not know), with a static
 * reason. Cost: one JSON tree per value (about 1.5 KB for a two-sided audio call). */
#ifndef RTPENGINE_REDIS_VALUE_H
#define RTPENGINE_REDIS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bundle_demux.h"
#include "call.h"
#include "media_control.h"
#include "media_transcode.h"
#include "sdes.h"
#include "srtp.h"

#define REDIS_VALUE_VERSION 2
#define REDIS_VALUE_OLDEST_VERSION 1
#define REDIS_VALUE_SCHEMA "rtpengine-call"

/* A DTLS-SRTP association that runs on the RTCP port of a media without rtcp-mux (RFC 5764
 * section 4.1), established: its keying material, our role and where its contexts' SRTCP
 * indexes stood (version 2, field "dtls_rtcp"; absent in older version 2 values). */
struct redis_dtls_keys {
	bool present;
	bool client;
	uint16_t profile;
	uint8_t material_length;
	unsigned char material[92];
	unsigned int decrypt_count, encrypt_count;
	struct srtp_ssrc_position decrypt[SRTP_SSRC_SLOTS];   /* from the side */
	struct srtp_ssrc_position encrypt[SRTP_SSRC_SLOTS];   /* to the side */
};

struct redis_stream_record {
	uint8_t state;              /* enum stream_state_flags */
	union endpoint advertised;  /* unset when the SDP gave none */
	union endpoint learned;     /* unset before latching */
};

struct redis_media_record {
	char type[16];
	char protocol[32];
	char interface[64];         /* the local interface's name */
	union endpoint local;       /* its bind address (port 0): picks the same interface */
	int direction;              /* enum sdp_direction */
	bool rejected, rtcp_mux, rtcp_mux_offered, ice_seen;
	uint8_t rtcp_mux_policy;
	char ice_ufrag[9], ice_pwd[27];
	unsigned int rtp_port;      /* 0 = no sockets */
	char codecs[64];
	int sink_monologue, sink_media;   /* -1 = no sink */
	struct redis_stream_record streams[2];
	bool sdes;                  /* the fields below are set */
	struct sdes_crypto ours, theirs;
	char answer_line[SDES_MAX_FORMATTED_LENGTH + 8];
	/* DTLS-SRTP (version 2): the RTP port's established association, as keying material
	 * (RFC 5764 section 4.2) and our role; the standby keys the same contexts from it */
	bool dtls;
	bool dtls_client;
	uint16_t dtls_profile;
	uint8_t dtls_material_length;
	unsigned char dtls_material[92];
	/* where each SSRC's SRTP and SRTCP indexes stood (version 2; none in version 1), of the
	 * SDES or the DTLS contexts */
	unsigned int decrypt_count, encrypt_count;
	struct srtp_ssrc_position decrypt[SRTP_SSRC_SLOTS];   /* from the side */
	struct srtp_ssrc_position encrypt[SRTP_SSRC_SLOTS];   /* to the side */
	/* DTLS without rtcp-mux: the RTCP port's own association (media->rtcp_srtp) */
	struct redis_dtls_keys dtls_rtcp;
	/* BUNDLE (bundle.h; optional fields of version 2, absent: not bundled): the side's a=mid,
	 * whether its group named this media, the media of the same monologue whose transport
	 * carries it (-1 = its own) with its demux index and the MID extension id, and on the
	 * owner the group's demultiplexing table with its members' media indexes */
	char mid[BUNDLE_MID_SIZE];
	bool bundled;
	int bundle_owner;
	uint8_t bundle_index, bundle_extension_id;
	bool bundle_group;
	uint8_t bundle_members[BUNDLE_MAX_MEDIA];
	struct bundle_demux bundle_demux;
	/* publish/subscribe (pubsub.h; optional field of version 2, absent: none): on a
	 * subscriber's media, the source media it copies ([monologue, media]; -1 = none) */
	int source_monologue, source_media;
	/* 10.5's media number (media->label_id: the a=label of a SIPREC subscription and its
	 * media-labels; optional field of version 2, absent: numbered as restored) */
	bool label_id_set;
	unsigned int label_id;
	/* allow-transcoding: the subscriber media's chain (optional, absent: none) */
	bool transcode_set;
	struct media_transcode_saved transcode;
	/* an answer's transcoding chain of the media's RTP (optional "chain", absent: none) */
	bool chain_set;
	struct media_transcode_saved chain;
	/* block/silence media, block DTMF (trigger), DTMF-delay, the SDP's telephone-event/G.711
	 * payload types (optional "control", absent: none; only checked for its form here, for
	 * its ranges by media_control_restore()) */
	bool control_set;
	struct media_control_saved control;
	/* forks (optional, absent: 0 / false): a via-branch side's rtcp-mux policy of the offer
	 * it was sent (its answer applies it); SRTP this side offered itself (media->protocol_own),
	 * a protocol an offer's transport-protocol set (protocol_translated) and kept (kept_own) */
	uint8_t branch_rtcp_mux_policy;
	bool protocol_own, protocol_translated, protocol_kept_own;
};

/* A via-branch a delete ended (monologue->branch_ended, call_remove_branch()): out of the call,
 * its ports given back, still listed by query as 10.5 lists it until the call ends (optional
 * "ended_branches" of version 2, absent: none). What query shows of it: its media without
 * ports, their streams' endpoints and final counters. */
struct redis_ended_stream_record {
	uint8_t state;
	union endpoint advertised, learned;
	struct stream_counters counters;
	uint32_t last_ssrc;         /* the last SSRC received, 0 none */
};

struct redis_ended_media_record {
	char type[16];
	char protocol[32];
	int direction;
	bool rejected, rtcp_mux;
	unsigned int label_id;
	struct redis_ended_stream_record streams[2];
};

#define REDIS_MAX_ENDED_BRANCHES (CALL_MAX_MONOLOGUES * 4)   /* as many as query lists */

struct redis_ended_branch_record {
	unsigned int number;        /* monologue->number: "<untagged N>" */
	char *tag, *via_branch, *label;   /* NULL when unset */
	int64_t created_us;
	unsigned int flags;
	int peer;                   /* index into the call's monologues, -1 = none */
	unsigned int media_count;
	struct redis_ended_media_record media[CALL_MAX_MEDIA];
};

struct redis_monologue_record {
	char *tag, *via_branch, *label;   /* NULL when unset */
	/* monologue->number (optional field of version 2, absent: numbered in restore order) */
	bool number_set;
	unsigned int number;
	int64_t created_us;
	unsigned int flags;         /* enum monologue_flags */
	int peer;                   /* index into monologues, -1 = none */
	/* publish/subscribe (optional fields of version 2, absent: false / NULL): the roles and
	 * the lines of the side's SDP a subscription to it is written from (monologue->sdp) */
	bool publisher, subscriber, subscription_answered;
	bool rtcp_mirror;           /* the subscribe request's rtcp-mirror (absent: false) */
	char *sdp;
	/* a via-branch's delete under delete-delay: CLOCK_REALTIME us it goes at (optional, absent: 0 = not) */
	int64_t branch_delete_at_us;
	unsigned int media_count;
	struct redis_media_record media[CALL_MAX_MEDIA];
};

/* About 900 KB (measured with sizeof; 140 KB of it ended branches): allocate one and reuse it (redis_call_record_clear() between values). */
struct redis_call_record {
	unsigned int version;       /* as read */
	char *call_id;
	int64_t created_us, last_signal_us;
	/* media made so far (call->media_created, the next media's label_id; optional field of
	 * version 2, absent: 0) */
	unsigned int media_created;
	/* a whole-call delete waiting for its delete-delay: CLOCK_REALTIME us the call goes at
	 * (optional "delete_at_us", absent: 0 = not scheduled) */
	int64_t delete_at_us;
	/* call recording (version 2): 0 off, 1 recording, 2 paused; its metadata or NULL */
	unsigned int recording;
	char *recording_metadata;
	/* recording files (optional "recording_files"): open while recording or forwarding; their
	 * prefix, forwarding (the call; sides: bit per monologue index), output destination */
	bool recording_files;
	char *recording_prefix, *recording_output_destination;
	bool recording_forwarding;
	uint32_t recording_forwarding_sides;
	/* sides made so far (call->monologues_created; optional, absent: 0) */
	unsigned int monologues_created;
	unsigned int monologue_count;
	struct redis_monologue_record monologues[CALL_MAX_MONOLOGUES];
	unsigned int ended_branch_count;
	struct redis_ended_branch_record ended_branches[REDIS_MAX_ENDED_BRANCHES];
};

/* The call as a version-2 value: a g_malloc'ed NUL-terminated string (*length without NUL). */
char *redis_value_encode(struct call *call, size_t *length);

/* Reads a version 1 or 2 value into *record (cleared first). */
int redis_value_decode(const char *text, size_t length, struct redis_call_record *record, const char **reason);
/* Frees the strings a decode left in *record and zeroes it. */
void redis_call_record_clear(struct redis_call_record *record);

#endif
