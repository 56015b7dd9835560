/* The daemon's command line and config file, compatible with upstream rtpengine's options:
 * the same long names, short letters, value syntax and defaults (see `rtpengine --help`).
 *
 * lib/options.c reads them (syntax and precedence are described in options.h): the config
 * file is an INI file read with GLib's GKeyFile; keys are the long option names, flags take
 * true/false, options given several times on the command line are one ';'-separated list in
 * the file ("interface = int/192.0.2.1;ext/198.51.100.1"). The command line overrides the
 * file; a list given on the command line replaces the file's list.
 *
 * Upstream options for capabilities this daemon does not have are handled in two ways:
 * those whose absence changes nothing a configured call relies on (management and
 * statistics listeners, log cosmetics, thread tuning, recording and transcoding settings
 * that only matter when a call asks for those features) are accepted and ignored with a
 * log line; the others (Redis, TCP/UDP control protocols, load limits, jitter buffer, DTLS
 * tuning, ...) are an error, so an operator never silently loses a behaviour they asked for.
 */
#ifndef RTPENGINE_CONFIG_H
#define RTPENGINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "endpoint.h"
#include "log.h"
#include "interface_address.h"

#define CONFIG_DEFAULT_FILE "/etc/rtpengine/rtpengine.conf"
#define CONFIG_DEFAULT_SECTION "rtpengine"

enum endpoint_learning {
	ENDPOINT_LEARNING_DELAYED,
	ENDPOINT_LEARNING_IMMEDIATE,
	ENDPOINT_LEARNING_OFF,
	ENDPOINT_LEARNING_HEURISTIC,
};

/* call recording (docs/recording.md) */
enum recording_method { RECORDING_METHOD_PCAP = 0, RECORDING_METHOD_PROC };
enum recording_format { RECORDING_FORMAT_RAW = 0, RECORDING_FORMAT_ETH };

/* struct interface_config is defined in interface_address.h:
 *   char name[64];                      logical interface name, "default" when not given
 *   union endpoint local;               address to bind media sockets to, port 0
 *   union endpoint advertised;          address written into SDP: == local unless !ADVERTISED
 */

/* A Redis database as --redis/--redis-write give it: [PASSWORD@]HOST:PORT/DB (redis.c). */
struct redis_target {
	char host[256];                       /* "" = not configured */
	unsigned int port;
	unsigned int db;
	char password[128];                   /* "" = no AUTH */
};

struct daemon_config {
	char *config_file;                    /* NULL when none was read */
	char *config_section;
	struct interface_config *interfaces;  /* g_new array, in the order given */
	unsigned int interface_count;
	union endpoint listen_ng;             /* unset (endpoint_is_set) when not configured; a bare
	                                       * port gives [::]:PORT, see interface_address_is_any() */
	/* control listeners besides ng (CLI, ng over TCP, the legacy rtpproxy protocol over
	 * UDP), unset when not configured; a bare CLI port means 127.0.0.1:PORT */
	union endpoint listen_cli, listen_tcp_ng, listen_udp;
	union endpoint listen_tcp;            /* the old mediaproxy-ng TCP control protocol (-l) */
	unsigned int port_min, port_max;
	unsigned int jitter_buffer;                /* --jitter-buffer: transcoding reorder depth, 0 = default */
	/* DTX on transcoded streams (media_transcode.h) */
	unsigned int dtx_delay_ms;                 /* --dtx-delay: 0 = off */
	int max_dtx_s;                             /* --max-dtx: <= 0 = no limit; default 30 */
	bool max_dtx_set;
	int dtx_cn_level;                          /* --dtx-cn-params: first value (RFC 3389 level), 0 = silence */
	/* silence detection on transcoded streams (media_transcode.h) */
	double silence_detect_percent;             /* --silence-detect: 0 = off */
	uint8_t cn_payload[16];                    /* --cn-payload: RFC 3389 payload of the CN sent instead */
	unsigned int cn_payload_length;            /* 0 = 10.5's default (32: -32 dBov) */
	int table;                            /* -1 = no kernel forwarding */
	bool no_fallback;
	unsigned int timeout, silent_timeout, final_timeout, delete_delay;   /* seconds; 0 = off */
	int tos;                              /* -1 = leave unset */
	unsigned int num_threads;
	int max_sessions;                     /* -1 = unlimited */
	enum endpoint_learning endpoint_learning;
	bool foreground;
	char *pidfile;                        /* NULL when not given */
	struct log_settings log;              /* from daemon/log.h */
	/* call recording (docs/recording.md) */
	char *recording_dir;                  /* NULL: nothing is recorded */
	enum recording_method recording_method;
	enum recording_format recording_format;
	/* HTTP listener and Graphite export (http_server.c, graphite.c) */
	union endpoint listen_http, listen_https;   /* unset: off; a bare PORT binds 127.0.0.1 */
	char *https_cert, *https_key;               /* PEM files; the key defaults to the cert file */
	char *https_client_ca;                      /* ours: require client certificates it signed */
	unsigned int http_threads;                  /* accepted; HTTP runs on the control thread */
	union endpoint graphite;                    /* unset: off */
	unsigned int graphite_interval;             /* seconds between reports (default 60) */
	unsigned int graphite_timeout;              /* seconds a connect may take (0: 5) */
	char *graphite_prefix;                      /* NULL: none */
	/* DTLS-SRTP (dtls_certificate.h) */
	bool dtls_rsa;                        /* --dtls-cert-cipher=rsa (default prime256v1) */
	unsigned int dtls_rsa_key_size;       /* --dtls-rsa-key-size, default 2048 */
	bool dtls_signature_sha1;             /* --dtls-signature=sha-1 (default sha-256) */
	char *dtls_ciphers;                   /* --dtls-ciphers, NULL: the default list */
	/* play media's db-id (media_player_db.h): NULL when not given */
	char *mysql_host, *mysql_user, *mysql_pass, *mysql_query;
	unsigned int mysql_port;              /* 0: the client library's default */
	unsigned int dtls_mtu;                /* --dtls-mtu, default 1200 */
	bool dtls_passive;                    /* --dtls-passive */
	/* RTCP statistics and MOS */
	bool mos_listening_quality;           /* --mos=LQ: round-trip time left out of the MOS */
	union endpoint homer;                 /* --homer: unset when not configured */
	bool homer_tcp;                       /* --homer-protocol=tcp */
	unsigned int homer_id;                /* --homer-id: HEP capture agent id */
	bool homer_disable_rtcp_stats;
	/* Redis high availability (redis.c, docs/redis.md) */
	struct redis_target redis_read;             /* --redis: restore from (and write to, without --redis-write) */
	struct redis_target redis_write;            /* --redis-write */
	unsigned int redis_num_threads;             /* accepted: restore runs on the control thread */
	unsigned int redis_expires;                 /* seconds a call's value lives (default 86400) */
	int redis_allowed_errors;                   /* errors before writes pause; -1 = never */
	unsigned int redis_disable_time;            /* seconds writes pause after that (default 10) */
	unsigned int redis_cmd_timeout_ms;          /* 0 = none */
	unsigned int redis_connect_timeout_ms;      /* default 1000 */
	bool no_redis_required;                     /* start even when Redis cannot be read */
	bool redis_delete_async;                    /* accepted: deletes are always asynchronous */
	unsigned int redis_delete_async_interval;   /* accepted, see above */
	unsigned int subscribe_keyspace[16];        /* --subscribe-keyspace: databases to follow */
	unsigned int subscribe_keyspace_count;
	/* DTMF events (media_control.c) */
	union endpoint dtmf_log_dest;               /* unset: off; RFC 4733 events as upstream's JSON */
};

enum config_result {
	CONFIG_OK = 0,
	CONFIG_EXIT_SUCCESS = 1,              /* --help/--version printed on stdout */
	CONFIG_ERROR = -1,
};

/* Parses argv (argv[0] is the program name) and the config file into *config. On
 * CONFIG_ERROR, *error_message is a g_malloc'ed human readable message (caller prints it
 * and exits 1). Unless CONFIG_OK is returned, *config holds nothing to free (calling
 * config_free on it anyway is harmless). */
enum config_result config_load(struct daemon_config *config, int argc, char **argv, char **error_message);
void config_free(struct daemon_config *config);

/* SIGHUP: reads the command line and the config file again and takes their log level and
 * facility into *log (nothing else changes at run time). Returns 0, or -EINVAL with
 * *error_message set (g_malloc'ed) and *log untouched. */
int config_reload_log(struct log_settings *log, int argc, char **argv, char **error_message);

/* The --help text (g_malloc'ed). */
char *config_help_text(void);
/* "delayed", "immediate", "off", "heuristic". */
const char *config_endpoint_learning_name(enum endpoint_learning learning);

/* Packaging: the option table itself (lib/options.h), so that a test can check that the
 * packaged config file (packaging/rtpengine.conf) lists every option. */
struct option_spec;
const struct option_spec *config_option_table(size_t *count);

/* Tests only: the file read when --config-file is not given (NULL restores the default). */
void config_set_default_file(const char *path);

#endif
