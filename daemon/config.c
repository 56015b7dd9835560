/* The daemon's options: its option table, the functions that apply each value to struct
 * daemon_config, and the checks of the result as a whole. Tokenising, the config file and
 * precedence are lib/options.c's; see config.h for the rules the daemon follows. */
#include "config.h"
#include "codec_chain.h"
#include "media_player_db.h"
#include "options.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <glib.h>

struct load_state {
	struct daemon_config *config;
	GArray *interfaces;             /* struct interface_config */
	bool print_codecs;              /* --codecs */
};

struct facility_name {
	const char *name;
	int facility;
};

/* ---- option handlers ------------------------------------------------------------------- */

static int apply_interface(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	return interface_address_parse_spec(trimmed, strlen(trimmed), state->interfaces, reason);
}

/* --interface on the command line replaces the file's interfaces, as upstream. */
static void reset_interfaces(void *target)
{
	struct load_state *state = target;
	g_array_set_size(state->interfaces, 0);
}

static int apply_listen_ng(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	int result = interface_address_parse_endpoint(trimmed, strlen(trimmed), &state->config->listen_ng);
	if (result == -ERANGE)
		*reason = g_strdup("the port must be from 1 to 65535");
	else if (result == -ENOENT)
		*reason = g_strdup("the host name does not resolve");
	else if (result < 0)
		*reason = g_strdup("expected [ADDRESS:]PORT, [IPv6-ADDRESS]:PORT or HOSTNAME:PORT");
	return result;
}

/* CLI, TCP ng and legacy protocol listeners: [ADDRESS:]PORT like --listen-ng. */
static int apply_listener(const char *value, union endpoint *endpoint, char **reason)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	int result = interface_address_parse_endpoint(trimmed, strlen(trimmed), endpoint);
	if (result == -ERANGE)
		*reason = g_strdup("the port must be from 1 to 65535");
	else if (result == -ENOENT)
		*reason = g_strdup("the host name does not resolve");
	else if (result < 0)
		*reason = g_strdup("expected [ADDRESS:]PORT, [IPv6-ADDRESS]:PORT or HOSTNAME:PORT");
	return result;
}

/* The CLI controls the whole daemon: a bare port listens on loopback only, as upstream. */
static int apply_listen_cli(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	union endpoint *endpoint = &state->config->listen_cli;
	int result = apply_listener(value, endpoint, reason);
	if (result == 0 && interface_address_is_any(endpoint))
		endpoint_parse(endpoint, AF_INET, "127.0.0.1", endpoint_port(endpoint));
	return result;
}

static int apply_listen_tcp_ng(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_listener(value, &state->config->listen_tcp_ng, reason);
}

static int apply_listen_udp(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_listener(value, &state->config->listen_udp, reason);
}

/* the TCP control protocol of the old SER mediaproxy-ng module (control_tcp_server.c) */
static int apply_listen_tcp(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_listener(value, &state->config->listen_tcp, reason);
}

static int apply_codecs(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->print_codecs, reason);
}

static int apply_port_min(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 1, 65535, &number, reason);
	if (result == 0)
		state->config->port_min = (unsigned int) number;
	return result;
}

/* --jitter-buffer (transcoding, codec_chain.h): packets a transcoded stream holds waiting for a
 * missing one; 0 = the default depth */
static int apply_jitter_buffer(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 0, CODEC_CHAIN_MAX_REORDER, &number, reason);
	if (result == 0)
		state->config->jitter_buffer = (unsigned int) number;
	return result;
}

/* --dtx-delay / --max-dtx (transcoding, media_transcode.h): how long a transcoded stream may
 * be silent before the relay fills the gap itself, and for how long at most */
static int apply_dtx_delay(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 0, 10000, &number, reason);
	if (result == 0)
		state->config->dtx_delay_ms = (unsigned int) number;
	return result;
}

static int apply_max_dtx(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, -1000000, 1000000, &number, reason);
	if (result == 0) {
		state->config->max_dtx_s = (int) number;
		state->config->max_dtx_set = true;
	}
	return result;
}

/* --dtx-cn-params: RFC 3389 parameters of the noise filling DTX gaps; the first (the level in
 * -dBov) is used, the spectral ones are accepted and not applied */
static int apply_dtx_cn_params(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	char first[16];
	size_t length = strcspn(value, " \t,");
	if (length >= sizeof(first)) {
		*reason = g_strdup("expected a noise level (0-127) first");
		return -EINVAL;
	}
	memcpy(first, value, length);
	first[length] = '\0';
	long long number;
	int result = options_apply_integer(first, 0, 127, &number, reason);
	if (result == 0)
		state->config->dtx_cn_level = (int) number;
	return result;
}

/* --silence-detect: percent of full scale (10.5's FLOAT, 0-100) */
static int apply_silence_detect(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	char *end = NULL;
	double percent = g_ascii_strtod(value, &end);
	if (!end || end == value || *end || percent < 0 || percent > 100) {
		*reason = g_strdup("expected a percentage from 0 to 100");
		return -EINVAL;
	}
	state->config->silence_detect_percent = percent;
	return 0;
}

/* --cn-payload: one RFC 3389 value per occurrence (section 3: the level 0-127, then reflection
 * coefficients 0-254), the CN packets' payload byte for byte */
static int apply_cn_payload(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	struct daemon_config *config = state->config;
	long long number;
	int result = options_apply_integer(value, 0, config->cn_payload_length ? 254 : 127, &number, reason);
	if (result < 0)
		return result;
	if (config->cn_payload_length >= sizeof(config->cn_payload)) {
		*reason = g_strdup("at most 16 comfort noise values");
		return -EINVAL;
	}
	config->cn_payload[config->cn_payload_length++] = (uint8_t) number;
	return 0;
}

static void reset_cn_payload(void *target)
{
	struct load_state *state = target;
	state->config->cn_payload_length = 0;
}

static int apply_port_max(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 1, 65535, &number, reason);
	if (result == 0)
		state->config->port_max = (unsigned int) number;
	return result;
}

/* Any negative table disables kernel forwarding, as upstream; it is stored as -1. */
static int apply_table(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, INT_MIN, INT_MAX, &number, reason);
	if (result == 0)
		state->config->table = number < 0 ? -1 : (int) number;
	return result;
}

static int apply_no_fallback(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->config->no_fallback, reason);
}

static int apply_foreground(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->config->foreground, reason);
}

static int apply_log_stderr(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->config->log.to_stderr, reason);
}

static int apply_seconds(const char *value, unsigned int *seconds, char **reason)
{
	long long number;
	int result = options_apply_integer(value, 0, INT_MAX, &number, reason);
	if (result == 0)
		*seconds = (unsigned int) number;
	return result;
}

static int apply_timeout(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->timeout, reason);
}

static int apply_silent_timeout(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->silent_timeout, reason);
}

static int apply_final_timeout(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->final_timeout, reason);
}

static int apply_delete_delay(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->delete_delay, reason);
}

/* The TOS octet (RFC 2474 section 3 redefines it as DSCP + ECN): 0..255. */
static int apply_tos(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 0, 255, &number, reason);
	if (result == 0)
		state->config->tos = (int) number;
	return result;
}

/* 0 means "one per CPU", like leaving the option out. */
static int apply_num_threads(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 0, 1024, &number, reason);
	if (result == 0)
		state->config->num_threads = (unsigned int) number;
	return result;
}

static int apply_max_sessions(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, -1, INT_MAX, &number, reason);
	if (result == 0)
		state->config->max_sessions = (int) number;
	return result;
}

static const char *const endpoint_learning_names[] = {
	[ENDPOINT_LEARNING_DELAYED] = "delayed",
	[ENDPOINT_LEARNING_IMMEDIATE] = "immediate",
	[ENDPOINT_LEARNING_OFF] = "off",
	[ENDPOINT_LEARNING_HEURISTIC] = "heuristic",
};

static int apply_endpoint_learning(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	for (size_t i = 0; i < G_N_ELEMENTS(endpoint_learning_names); i++) {
		if (!strcmp(trimmed, endpoint_learning_names[i])) {
			state->config->endpoint_learning = (enum endpoint_learning) i;
			return 0;
		}
	}
	*reason = g_strdup("expected delayed, immediate, off or heuristic");
	return -EINVAL;
}

/* RTCP statistics: --mos=CQ|LQ as upstream (case-insensitive) */
static int apply_mos(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	if (!g_ascii_strcasecmp(trimmed, "CQ") || !g_ascii_strcasecmp(trimmed, "LQ")) {
		state->config->mos_listening_quality = !g_ascii_strcasecmp(trimmed, "LQ");
		return 0;
	}
	*reason = g_strdup("expected CQ or LQ");
	return -EINVAL;
}

/* Homer: --homer=ADDRESS:PORT, --homer-protocol=udp|tcp, --homer-id=N as upstream */
static int apply_homer(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	union endpoint server;
	int result = interface_address_parse_endpoint(trimmed, strlen(trimmed), &server);
	if (result == 0 && interface_address_is_any(&server))
		result = -EINVAL;
	if (result == -ENOENT)
		*reason = g_strdup("the host name does not resolve");
	else if (result < 0)
		*reason = g_strdup("expected ADDRESS:PORT, [IPv6-ADDRESS]:PORT or HOSTNAME:PORT");
	else
		state->config->homer = server;
	return result;
}

static int apply_homer_protocol(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	if (!g_ascii_strcasecmp(trimmed, "udp") || !g_ascii_strcasecmp(trimmed, "tcp")) {
		state->config->homer_tcp = !g_ascii_strcasecmp(trimmed, "tcp");
		return 0;
	}
	*reason = g_strdup("expected udp or tcp");
	return -EINVAL;
}

static int apply_homer_id(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 0, UINT_MAX, &number, reason);
	if (result == 0)
		state->config->homer_id = (unsigned int) number;
	return result;
}

static int apply_homer_disable_rtcp_stats(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->config->homer_disable_rtcp_stats, reason);
}

/* ---- call recording (docs/recording.md) ---- */

static int apply_recording_dir(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_free(state->config->recording_dir);
	state->config->recording_dir = value && *value ? g_strdup(value) : NULL;
	(void) reason;
	return 0;
}

static int apply_recording_method(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value ? value : ""));
	if (!strcmp(trimmed, "pcap"))
		state->config->recording_method = RECORDING_METHOD_PCAP;
	else if (!strcmp(trimmed, "proc"))
		state->config->recording_method = RECORDING_METHOD_PROC;
	else {
		*reason = g_strdup("expected pcap or proc (10.5 has these two; \"all\" of later upstream versions is not supported)");
		return -EINVAL;
	}
	return 0;
}

static int apply_recording_format(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value ? value : ""));
	if (!strcmp(trimmed, "raw"))
		state->config->recording_format = RECORDING_FORMAT_RAW;
	else if (!strcmp(trimmed, "eth"))
		state->config->recording_format = RECORDING_FORMAT_ETH;
	else {
		*reason = g_strdup("expected raw or eth");
		return -EINVAL;
	}
	return 0;
}

static int apply_pidfile(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	if (!value || !*value) {
		*reason = g_strdup("expected a file name");
		return -EINVAL;
	}
	g_free(state->config->pidfile);
	state->config->pidfile = g_strdup(value);
	return 0;
}

/* syslog(3) priorities: 0 (LOG_EMERG) .. 7 (LOG_DEBUG). */
static int apply_log_level(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, LOG_EMERG, LOG_DEBUG, &number, reason);
	if (result == 0)
		state->config->log.level = (int) number;
	return result;
}

static const struct facility_name facility_names[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON }, { "ftp", LOG_FTP }, { "kern", LOG_KERN }, { "lpr", LOG_LPR },
	{ "mail", LOG_MAIL }, { "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int apply_log_facility(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	for (size_t i = 0; i < G_N_ELEMENTS(facility_names); i++) {
		if (!strcmp(trimmed, facility_names[i].name)) {
			state->config->log.facility = facility_names[i].facility;
			return 0;
		}
	}
	GString *expected = g_string_new("expected one of:");
	for (size_t i = 0; i < G_N_ELEMENTS(facility_names); i++)
		g_string_append_printf(expected, " %s", facility_names[i].name);
	*reason = g_string_free(expected, FALSE);
	return -EINVAL;
}

/* ---- HTTP listener and Graphite export -------------------------------------------------- */

/* [ADDRESS:]PORT; a bare port means loopback: the listener serves control (ng over HTTP) and
 * must be opened to the network on purpose. */
static int apply_http_endpoint(const char *value, union endpoint *endpoint, char **reason)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	int result;
	if (*trimmed && strspn(trimmed, "0123456789") == strlen(trimmed)) {
		long long port;
		result = options_apply_integer(trimmed, 1, 65535, &port, reason);
		if (result == 0)
			result = endpoint_parse(endpoint, AF_INET, "127.0.0.1", (unsigned int) port);
		return result;
	}
	result = interface_address_parse_endpoint(trimmed, strlen(trimmed), endpoint);
	if (result == -ERANGE)
		*reason = g_strdup("the port must be from 1 to 65535");
	else if (result == -ENOENT)
		*reason = g_strdup("the host name does not resolve");
	else if (result < 0)
		*reason = g_strdup("expected [ADDRESS:]PORT, [IPv6-ADDRESS]:PORT or HOSTNAME:PORT");
	return result;
}

static int apply_listen_http(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_http_endpoint(value, &state->config->listen_http, reason);
}

static int apply_listen_https(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_http_endpoint(value, &state->config->listen_https, reason);
}

static int apply_file_name(const char *value, char **file, char **reason)
{
	if (!value || !*value) {
		*reason = g_strdup("expected a file name");
		return -EINVAL;
	}
	g_free(*file);
	*file = g_strdup(value);
	return 0;
}

static int apply_https_cert(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_file_name(value, &state->config->https_cert, reason);
}

static int apply_https_key(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_file_name(value, &state->config->https_key, reason);
}

static int apply_https_client_ca(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_file_name(value, &state->config->https_client_ca, reason);
}

static int apply_http_threads(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 0, 1024, &number, reason);
	if (result == 0)
		state->config->http_threads = (unsigned int) number;
	return result;
}

/* DTMF events (media_control.c): a destination, not a listener */
static int apply_dtmf_log_dest(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	int result = interface_address_parse_endpoint(trimmed, strlen(trimmed), &state->config->dtmf_log_dest);
	if (result == 0 && interface_address_is_any(&state->config->dtmf_log_dest)) {
		*reason = g_strdup("expected ADDRESS:PORT to send DTMF events to");
		return -EINVAL;
	}
	if (result < 0)
		*reason = g_strdup("expected ADDRESS:PORT or HOSTNAME:PORT");
	return result;
}

static int apply_graphite(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	int result = interface_address_parse_endpoint(trimmed, strlen(trimmed), &state->config->graphite);
	if (result == 0 && interface_address_is_any(&state->config->graphite)) {
		*reason = g_strdup("expected ADDRESS:PORT of the Graphite server");
		return -EINVAL;
	}
	if (result < 0)
		*reason = g_strdup("expected ADDRESS:PORT or HOSTNAME:PORT");
	return result;
}

static int apply_graphite_interval(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 1, 86400, &number, reason);
	if (result == 0)
		state->config->graphite_interval = (unsigned int) number;
	return result;
}

static int apply_graphite_timeout(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->graphite_timeout, reason);
}

/* Graphite paths are dot-separated words: a prefix with a space or newline would corrupt
 * every line of the plaintext protocol. */
static int apply_graphite_prefix(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	for (const char *c = value; *c; c++) {
		if (*c <= ' ' || *c == 0x7f) {
			*reason = g_strdup("the prefix must not contain spaces or control characters");
			return -EINVAL;
		}
	}
	g_free(state->config->graphite_prefix);
	state->config->graphite_prefix = g_strdup(value);
	return 0;
}

/* ---- DTLS-SRTP options ---- */

static int apply_dtls_cert_cipher(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	if (!g_ascii_strcasecmp(trimmed, "prime256v1") || !g_ascii_strcasecmp(trimmed, "ec")) {
		state->config->dtls_rsa = false;
		return 0;
	}
	if (!g_ascii_strcasecmp(trimmed, "rsa")) {
		state->config->dtls_rsa = true;
		return 0;
	}
	*reason = g_strdup("expected prime256v1 or rsa");
	return -EINVAL;
}

static int apply_dtls_rsa_key_size(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, 1024, 16384, &number, reason);
	if (result == 0)
		state->config->dtls_rsa_key_size = (unsigned int) number;
	return result;
}

static int apply_dtls_signature(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_autofree char *trimmed = g_strstrip(g_strdup(value));
	if (!g_ascii_strcasecmp(trimmed, "sha-256") || !g_ascii_strcasecmp(trimmed, "sha256")) {
		state->config->dtls_signature_sha1 = false;
		return 0;
	}
	if (!g_ascii_strcasecmp(trimmed, "sha-1") || !g_ascii_strcasecmp(trimmed, "sha1")) {
		state->config->dtls_signature_sha1 = true;
		return 0;
	}
	*reason = g_strdup("expected sha-256 or sha-1");
	return -EINVAL;
}

/* --mysql-*: strings kept as given (a password may have spaces at its ends) */
static int apply_mysql_string(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
	return 0;
}

static int apply_mysql_host(void *target, const char *value, char **reason)
{
	return apply_mysql_string(&((struct load_state *) target)->config->mysql_host, value);
}

static int apply_mysql_user(void *target, const char *value, char **reason)
{
	return apply_mysql_string(&((struct load_state *) target)->config->mysql_user, value);
}

static int apply_mysql_pass(void *target, const char *value, char **reason)
{
	return apply_mysql_string(&((struct load_state *) target)->config->mysql_pass, value);
}

static int apply_mysql_query(void *target, const char *value, char **reason)
{
	if (media_player_db_check_query(value) < 0) {
		*reason = g_strdup("the query must hold exactly one %llu (the db-id) and no other %");
		return -EINVAL;
	}
	return apply_mysql_string(&((struct load_state *) target)->config->mysql_query, value);
}

static int apply_mysql_port(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long port;
	int result = options_apply_integer(value, 1, 65535, &port, reason);
	if (result == 0)
		state->config->mysql_port = (unsigned int) port;
	return result;
}

static int apply_dtls_ciphers(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_free(state->config->dtls_ciphers);
	state->config->dtls_ciphers = g_strstrip(g_strdup(value));
	return 0;
}

static int apply_dtls_mtu(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	/* the handshake's largest flight must fit in a few datagrams; below 256 OpenSSL refuses */
	int result = options_apply_integer(value, 256, 65535, &number, reason);
	if (result == 0)
		state->config->dtls_mtu = (unsigned int) number;
	return result;
}

static int apply_dtls_passive(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->config->dtls_passive, reason);
}

/* ---- the option table ------------------------------------------------------------------ */

#define SUPPORTED(name, letter, option_kind, apply_function, hint, text) \
	{ .long_name = name, .short_letter = letter, .kind = option_kind, .support = OPTION_SUPPORTED, \
	  .apply = apply_function, .value_hint = hint, .description = text }
#define SUPPORTED_LIST(name, letter, apply_function, reset_function, hint, text) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_LIST, .support = OPTION_SUPPORTED, \
	  .apply = apply_function, .reset = reset_function, .value_hint = hint, .description = text }
#define IGNORED_VALUE(name, letter) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_VALUE, .support = OPTION_IGNORED }
#define IGNORED_FLAG(name, letter) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_FLAG, .support = OPTION_IGNORED }
#define UNSUPPORTED_VALUE(name, letter) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_VALUE, .support = OPTION_UNSUPPORTED }
#define UNSUPPORTED_FLAG(name, letter) \
	{ .long_name = name, .short_letter = letter, .kind = OPTION_FLAG, .support = OPTION_UNSUPPORTED }

/* ---- Redis high availability (redis.c) ---------------------------------------------- */

/* [PASSWORD@]HOST:PORT/DB, as upstream; the password is everything up to the last '@'. */
static int apply_redis_target(struct redis_target *target, const char *value, char **reason)
{
	memset(target, 0, sizeof(*target));
	g_autofree char *text = g_strstrip(g_strdup(value));
	char *host = text;
	char *at = strrchr(text, '@');
	if (at) {
		*at = '\0';
		if (strlen(text) >= sizeof(target->password)) {
			*reason = g_strdup("the password is too long");
			return -EINVAL;
		}
		strcpy(target->password, text);
		host = at + 1;
	}
	char *slash = strrchr(host, '/');
	char *colon = slash ? memrchr(host, ':', (size_t) (slash - host)) : NULL;
	if (!slash || !colon || colon == host) {
		*reason = g_strdup("expected [PASSWORD@]HOST:PORT/DB");
		return -EINVAL;
	}
	*slash = *colon = '\0';
	long long number;
	if (options_apply_integer(colon + 1, 1, 65535, &number, reason) < 0)
		return -EINVAL;
	target->port = (unsigned int) number;
	if (options_apply_integer(slash + 1, 0, 65535, &number, reason) < 0)
		return -EINVAL;
	target->db = (unsigned int) number;
	/* [v6]:PORT/DB */
	if (host[0] == '[' && colon[-1] == ']') {
		host++;
		colon[-1] = '\0';
	}
	if (!host[0] || strlen(host) >= sizeof(target->host)) {
		*reason = g_strdup("expected [PASSWORD@]HOST:PORT/DB");
		return -EINVAL;
	}
	strcpy(target->host, host);
	return 0;
}

static int apply_redis(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_redis_target(&state->config->redis_read, value, reason);
}

static int apply_redis_write(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_redis_target(&state->config->redis_write, value, reason);
}

static int apply_redis_num_threads(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->redis_num_threads, reason);
}

static int apply_redis_expires(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->redis_expires, reason);
}

static int apply_redis_allowed_errors(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	long long number;
	int result = options_apply_integer(value, INT_MIN, INT_MAX, &number, reason);
	if (result == 0)
		state->config->redis_allowed_errors = number < 0 ? -1 : (int) number;
	return result;
}

static int apply_redis_disable_time(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->redis_disable_time, reason);
}

static int apply_redis_cmd_timeout(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->redis_cmd_timeout_ms, reason);
}

static int apply_redis_connect_timeout(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->redis_connect_timeout_ms, reason);
}

static int apply_no_redis_required(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->config->no_redis_required, reason);
}

static int apply_redis_delete_async(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return options_apply_boolean(value, &state->config->redis_delete_async, reason);
}

static int apply_redis_delete_async_interval(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	return apply_seconds(value, &state->config->redis_delete_async_interval, reason);
}

/* --subscribe-keyspace=DB [DB ...]: space-separated on the command line, as upstream. */
static int apply_subscribe_keyspace(void *target, const char *value, char **reason)
{
	struct load_state *state = target;
	g_auto(GStrv) words = g_strsplit_set(value, " ,", -1);
	for (char **word = words; *word; word++) {
		if (!**word)
			continue;
		long long number;
		if (options_apply_integer(*word, 0, 65535, &number, reason) < 0)
			return -EINVAL;
		if (state->config->subscribe_keyspace_count >= G_N_ELEMENTS(state->config->subscribe_keyspace)) {
			*reason = g_strdup("at most 16 databases");
			return -EINVAL;
		}
		state->config->subscribe_keyspace[state->config->subscribe_keyspace_count++] = (unsigned int) number;
	}
	return 0;
}

/* Names, letters and value syntax follow upstream rtpengine 10.5's --help. */
static const struct option_spec option_table[] = {
	/* help, version, config-file and config-section are lib/options.c's own (apply NULL). */
	SUPPORTED("help", 'h', OPTION_FLAG, NULL, NULL, "Show help options"),
	SUPPORTED("version", 'v', OPTION_FLAG, NULL, NULL, "Print version and exit"),
	SUPPORTED("config-file", 0, OPTION_VALUE, NULL, "FILE",
			"Load config from this file (\"none\": no file; default " CONFIG_DEFAULT_FILE " if it exists)"),
	SUPPORTED("config-section", 0, OPTION_VALUE, NULL, "STRING",
			"Config file section to use (default " CONFIG_DEFAULT_SECTION ")"),
	SUPPORTED("log-facility", 0, OPTION_VALUE, apply_log_facility, "daemon|local0|...|local7",
			"Syslog facility to use for logging"),
	SUPPORTED("log-level", 'L', OPTION_VALUE, apply_log_level, "INT", "Default log level (0-7, default 6)"),
	SUPPORTED("log-stderr", 'E', OPTION_FLAG, apply_log_stderr, NULL, "Log on stderr instead of syslog"),
	SUPPORTED("pidfile", 'p', OPTION_VALUE, apply_pidfile, "FILE", "Write PID to file"),
	SUPPORTED("foreground", 'f', OPTION_FLAG, apply_foreground, NULL, "Don't fork to background"),
	SUPPORTED("table", 't', OPTION_VALUE, apply_table, "INT", "Kernel table to use (negative: none; default 0)"),
	SUPPORTED("no-fallback", 'F', OPTION_FLAG, apply_no_fallback, NULL,
			"Only start when kernel module is available"),
	SUPPORTED_LIST("interface", 'i', apply_interface, reset_interfaces, "[NAME/]IP[!IP]",
			"Local interface for RTP (repeatable)"),
	SUPPORTED("listen-ng", 'n', OPTION_VALUE, apply_listen_ng, "[IP46|HOSTNAME:]PORT",
			"UDP port to listen on, NG protocol"),
	SUPPORTED("tos", 'T', OPTION_VALUE, apply_tos, "INT", "Default TOS value to set on streams"),
	SUPPORTED("timeout", 'o', OPTION_VALUE, apply_timeout, "SECS", "RTP timeout (default 60)"),
	SUPPORTED("silent-timeout", 's', OPTION_VALUE, apply_silent_timeout, "SECS",
			"RTP timeout for muted (default 3600)"),
	SUPPORTED("final-timeout", 'a', OPTION_VALUE, apply_final_timeout, "SECS", "Call timeout (0: none)"),
	SUPPORTED("port-min", 'm', OPTION_VALUE, apply_port_min, "INT", "Lowest port to use for RTP (default 30000)"),
	SUPPORTED("port-max", 'M', OPTION_VALUE, apply_port_max, "INT", "Highest port to use for RTP (default 40000)"),
	SUPPORTED("num-threads", 0, OPTION_VALUE, apply_num_threads, "INT",
			"Number of worker threads to create (default: one per CPU)"),
	SUPPORTED("delete-delay", 'd', OPTION_VALUE, apply_delete_delay, "INT",
			"Delay for deleting a session from memory (default 30)"),
	SUPPORTED("max-sessions", 0, OPTION_VALUE, apply_max_sessions, "INT",
			"Limit of maximum number of sessions (-1: unlimited)"),
	SUPPORTED("endpoint-learning", 0, OPTION_VALUE, apply_endpoint_learning, "delayed|immediate|off|heuristic",
			"RTP endpoint learning algorithm (default delayed)"),
	/* HTTP listener and Graphite export */
	SUPPORTED("listen-http", 0, OPTION_VALUE, apply_listen_http, "[IP46|HOSTNAME:]PORT",
			"TCP port to listen on, HTTP (/metrics, /ng, WebSocket; a bare port: loopback)"),
	SUPPORTED("listen-https", 0, OPTION_VALUE, apply_listen_https, "[IP46|HOSTNAME:]PORT",
			"TCP port to listen on, HTTPS (needs --https-cert)"),
	SUPPORTED("https-cert", 0, OPTION_VALUE, apply_https_cert, "FILE", "Certificate for HTTPS (PEM)"),
	SUPPORTED("https-key", 0, OPTION_VALUE, apply_https_key, "FILE",
			"Private key for HTTPS (PEM; default: in the certificate file)"),
	SUPPORTED("https-client-ca", 0, OPTION_VALUE, apply_https_client_ca, "FILE",
			"Require HTTPS clients to show a certificate signed by a CA in FILE (PEM; not upstream)"),
	SUPPORTED("http-threads", 0, OPTION_VALUE, apply_http_threads, "INT",
			"Accepted for compatibility: HTTP is served by the control thread"),
	SUPPORTED("graphite", 'g', OPTION_VALUE, apply_graphite, "IP46|HOSTNAME:PORT", "Address of the Graphite server"),
	SUPPORTED("graphite-interval", 'G', OPTION_VALUE, apply_graphite_interval, "INT",
			"Graphite send interval in seconds (default 60)"),
	SUPPORTED("graphite-prefix", 0, OPTION_VALUE, apply_graphite_prefix, "STRING",
			"Prefix for graphite line"),
	SUPPORTED("graphite-timeout", 0, OPTION_VALUE, apply_graphite_timeout, "INT",
			"Graphite connect timeout in seconds (default 5)"),

	/* Redis high availability (redis.c, docs/redis.md) */
	SUPPORTED("redis", 'r', OPTION_VALUE, apply_redis, "[PW@]IP:PORT/INT", "Connect to Redis database"),
	SUPPORTED("redis-write", 'w', OPTION_VALUE, apply_redis_write, "[PW@]IP:PORT/INT",
			"Connect to Redis write database"),
	SUPPORTED("redis-num-threads", 0, OPTION_VALUE, apply_redis_num_threads, "INT",
			"Accepted for compatibility: calls are restored by the control thread"),
	SUPPORTED("redis-expires", 0, OPTION_VALUE, apply_redis_expires, "INT",
			"Expire time in seconds for redis keys (default 86400)"),
	SUPPORTED("no-redis-required", 'q', OPTION_FLAG, apply_no_redis_required, NULL,
			"Start no matter of redis connection state"),
	SUPPORTED("redis-allowed-errors", 0, OPTION_VALUE, apply_redis_allowed_errors, "INT",
			"Number of allowed errors before redis is temporarily disabled (-1: never)"),
	SUPPORTED("redis-disable-time", 0, OPTION_VALUE, apply_redis_disable_time, "INT",
			"Number of seconds redis communication is disabled because of errors (default 10)"),
	SUPPORTED("redis-cmd-timeout", 0, OPTION_VALUE, apply_redis_cmd_timeout, "INT",
			"Sets a timeout in milliseconds for redis commands (0: none)"),
	SUPPORTED("redis-connect-timeout", 0, OPTION_VALUE, apply_redis_connect_timeout, "INT",
			"Sets a timeout in milliseconds for redis connections (default 1000)"),
	SUPPORTED("redis-delete-async", 'y', OPTION_FLAG, apply_redis_delete_async, NULL,
			"Accepted for compatibility: redis deletes are always asynchronous"),
	SUPPORTED("redis-delete-async-interval", 0, OPTION_VALUE, apply_redis_delete_async_interval, "INT",
			"Accepted for compatibility: redis deletes are always asynchronous"),
	SUPPORTED("subscribe-keyspace", 'k', OPTION_VALUE, apply_subscribe_keyspace, "INT INT ...",
			"Subscription keyspace list"),
	/* --codecs: what this build decodes and encodes (codec_chain_print_codecs) */
	SUPPORTED("codecs", 0, OPTION_FLAG, apply_codecs, NULL, "Print a list of supported codecs and exit"),
	/* DTLS-SRTP */
	SUPPORTED("dtls-cert-cipher", 0, OPTION_VALUE, apply_dtls_cert_cipher, "prime256v1|RSA",
			"Cipher of the DTLS certificate's key (default prime256v1)"),
	SUPPORTED("dtls-rsa-key-size", 0, OPTION_VALUE, apply_dtls_rsa_key_size, "INT",
			"Size of the RSA key of the DTLS certificate (default 2048)"),
	SUPPORTED("dtls-signature", 0, OPTION_VALUE, apply_dtls_signature, "SHA-256|SHA-1",
			"Signature and default fingerprint hash of the DTLS certificate (default SHA-256)"),
	SUPPORTED("dtls-ciphers", 0, OPTION_VALUE, apply_dtls_ciphers, "STRING",
			"OpenSSL cipher list for DTLS"),
	SUPPORTED("dtls-mtu", 0, OPTION_VALUE, apply_dtls_mtu, "INT", "Largest DTLS datagram we send (default 1200)"),
	SUPPORTED("dtls-passive", 0, OPTION_FLAG, apply_dtls_passive, NULL,
			"Take the passive DTLS role when a peer's offer leaves the choice (actpass)"),

	/* Management, statistics export and log cosmetics: nothing a call relies on. */
	SUPPORTED("listen-cli", 'c', OPTION_VALUE, apply_listen_cli, "[IP46|HOSTNAME:]PORT",
			"TCP port to listen on, CLI (a bare port: 127.0.0.1)"),
	SUPPORTED("homer", 0, OPTION_VALUE, apply_homer, "IP46|HOSTNAME:PORT", "Address of Homer server for RTCP stats"),
	SUPPORTED("homer-protocol", 0, OPTION_VALUE, apply_homer_protocol, "udp|tcp",
		  "Transport protocol for Homer (default udp)"),
	SUPPORTED("homer-id", 0, OPTION_VALUE, apply_homer_id, "INT", "'Capture ID' to use within the HEP protocol"),
	SUPPORTED("homer-disable-rtcp-stats", 0, OPTION_FLAG, apply_homer_disable_rtcp_stats, NULL,
		  "Send no RTCP statistics to Homer"),
	SUPPORTED("mos", 0, OPTION_VALUE, apply_mos, "CQ|LQ",
		  "MOS formula: CQ (conversational, needs RTCP round trips; default) or LQ (listening, without them)"),
	IGNORED_VALUE("software-id", 0),
	SUPPORTED("dtmf-log-dest", 0, OPTION_VALUE, apply_dtmf_log_dest, "IP46|HOSTNAME:PORT",
			"Destination for DTMF events (RFC 4733) as JSON over UDP"),
	IGNORED_VALUE("log-facility-cdr", 0), IGNORED_VALUE("log-facility-rtcp", 0),
	IGNORED_VALUE("log-facility-dtmf", 0), IGNORED_VALUE("log-format", 0), IGNORED_VALUE("max-log-line-length", 0),
	IGNORED_VALUE("log-mark-prefix", 0), IGNORED_VALUE("log-mark-suffix", 0), IGNORED_FLAG("split-logs", 0),
	IGNORED_FLAG("no-log-timestamps", 0), IGNORED_FLAG("log-srtp-keys", 0), IGNORED_FLAG("debug-srtp", 0),
	IGNORED_VALUE("log-level-core", 0), IGNORED_VALUE("log-level-spandsp", 0), IGNORED_VALUE("log-level-ffmpeg", 0),
	IGNORED_VALUE("log-level-transcoding", 0), IGNORED_VALUE("log-level-codec", 0),
	IGNORED_VALUE("log-level-rtcp", 0), IGNORED_VALUE("log-level-ice", 0), IGNORED_VALUE("log-level-crypto", 0),
	IGNORED_VALUE("log-level-srtp", 0), IGNORED_VALUE("log-level-internals", 0),
	IGNORED_VALUE("log-level-http", 0), IGNORED_VALUE("log-level-control", 0), IGNORED_VALUE("log-level-dtx", 0),
	IGNORED_VALUE("mqtt-host", 0), IGNORED_VALUE("mqtt-port", 0), IGNORED_VALUE("mqtt-id", 0),
	IGNORED_VALUE("mqtt-keepalive", 0), IGNORED_VALUE("mqtt-user", 0), IGNORED_VALUE("mqtt-pass", 0),
	IGNORED_VALUE("mqtt-cafile", 0), IGNORED_VALUE("mqtt-capath", 0), IGNORED_VALUE("mqtt-certfile", 0),
	IGNORED_VALUE("mqtt-keyfile", 0), IGNORED_VALUE("mqtt-publish-qos", 0), IGNORED_VALUE("mqtt-publish-topic", 0),
	IGNORED_VALUE("mqtt-publish-interval", 0), IGNORED_VALUE("mqtt-publish-scope", 0),
	IGNORED_VALUE("janus-secret", 0),
	/* Thread and socket tuning. */
	IGNORED_VALUE("thread-stack", 0), IGNORED_VALUE("media-num-threads", 0), IGNORED_VALUE("scheduling", 0),
	IGNORED_VALUE("priority", 0), IGNORED_VALUE("idle-scheduling", 0), IGNORED_VALUE("idle-priority", 0),
	IGNORED_VALUE("socket-cpu-affinity", 0), IGNORED_FLAG("poller-per-thread", 0), IGNORED_VALUE("control-tos", 0),
	IGNORED_VALUE("offer-timeout", 0),
	/* call recording (docs/recording.md) */
	SUPPORTED("recording-dir", 0, OPTION_VALUE, apply_recording_dir, "FILE",
		  "Directory for storing pcap and metadata files (enables call recording)"),
	SUPPORTED("recording-method", 0, OPTION_VALUE, apply_recording_method, "pcap|proc",
		  "Strategy for call recording (default pcap)"),
	SUPPORTED("recording-format", 0, OPTION_VALUE, apply_recording_format, "raw|eth",
		  "File format for stored pcap files (default raw)"),
	/* Settings of features a call must ask for (transcoding, playback, DTMF triggers); the
	 * ng layer refuses such a request when the feature is missing. */
	SUPPORTED("dtx-delay", 0, OPTION_VALUE, apply_dtx_delay, "INT",
			"Transcoded streams: silence in milliseconds after which the relay fills the gap itself (0 = off)"),
	SUPPORTED("max-dtx", 0, OPTION_VALUE, apply_max_dtx, "INT",
			"Transcoded streams: seconds the relay fills a gap at most (<= 0: no limit; default 30)"),
	/* 10.5's DTX buffer holds received packets for --dtx-delay and is resized by these; our
	 * DTX fill is a timer behind the undelayed stream (media_transcode.h): no buffer to limit */
	IGNORED_VALUE("dtx-buffer", 0),
	IGNORED_VALUE("dtx-lag", 0), IGNORED_VALUE("dtx-shift", 0),
	SUPPORTED("dtx-cn-params", 0, OPTION_VALUE, apply_dtx_cn_params, "INT INT INT ...",
			"Transcoded streams: RFC 3389 comfort noise level (-dBov) filling DTX gaps; spectral values not applied"),
	IGNORED_VALUE("amr-dtx", 0),
	SUPPORTED("silence-detect", 0, OPTION_VALUE, apply_silence_detect, "FLOAT",
			"Transcoded streams: frames within this percent of full scale go as CN to a peer with CN (0 = off)"),
	SUPPORTED_LIST("cn-payload", 0, apply_cn_payload, reset_cn_payload, "INT",
			"RFC 3389 payload of those CN packets: level (-dBov), then coefficients (default 32)"),
	IGNORED_FLAG("dtmf-no-suppress", 0), IGNORED_VALUE("dtmf-digit-delay", 0),
	/* play media's db-id (media_player_db.c) */
	SUPPORTED("mysql-host", 0, OPTION_VALUE, apply_mysql_host, "HOST|IP", "Database of play media's db-id files"),
	SUPPORTED("mysql-port", 0, OPTION_VALUE, apply_mysql_port, "INT", "Its port (default: the client library's)"),
	SUPPORTED("mysql-user", 0, OPTION_VALUE, apply_mysql_user, "USERNAME", "Its user"),
	SUPPORTED("mysql-pass", 0, OPTION_VALUE, apply_mysql_pass, "PASSWORD", "Its password"),
	SUPPORTED("mysql-query", 0, OPTION_VALUE, apply_mysql_query, "STRING",
			"Query selecting the file's bytes; %llu stands for the db-id"),

	/* Behaviour an operator would silently lose: refuse to start instead. */
	UNSUPPORTED_FLAG("save-interface-ports", 'S'),
	SUPPORTED("listen-tcp", 'l', OPTION_VALUE, apply_listen_tcp, "[IP46|HOSTNAME:]PORT",
			"TCP port to listen on, the old mediaproxy-ng TCP control protocol"),
	SUPPORTED("listen-udp", 'u', OPTION_VALUE, apply_listen_udp, "[IP46|HOSTNAME:]PORT",
			"UDP port to listen on, legacy rtpproxy protocol"),
	SUPPORTED("listen-tcp-ng", 'N', OPTION_VALUE, apply_listen_tcp_ng, "[IP46|HOSTNAME:]PORT",
			"TCP port to listen on, NG protocol"),
	UNSUPPORTED_FLAG("active-switchover", 0),
	UNSUPPORTED_VALUE("b2b-url", 'b'), UNSUPPORTED_VALUE("xmlrpc-format", 'x'),
	UNSUPPORTED_FLAG("dtmf-log-ng-tcp", 0), UNSUPPORTED_FLAG("sip-source", 0),
	UNSUPPORTED_VALUE("max-load", 0), UNSUPPORTED_VALUE("max-cpu", 0), UNSUPPORTED_VALUE("max-bandwidth", 0),
	UNSUPPORTED_VALUE("iptables-chain", 0), SUPPORTED("jitter-buffer", 0, OPTION_VALUE, apply_jitter_buffer, "INT",
			"Transcoded streams: packets held waiting for a missing one (0 = default 2, max 16)"),
	UNSUPPORTED_FLAG("jb-clock-drift", 0), UNSUPPORTED_FLAG("reject-invalid-sdp", 0),
};

/* Replaced only by tests (config_set_default_file); NULL means CONFIG_DEFAULT_FILE. */
static char *default_file_override;

/* ---- defaults and checks of the whole --------------------------------------------- */

static void set_defaults(struct daemon_config *config)
{
	memset(config, 0, sizeof(*config));
	config->port_min = 30000;
	config->port_max = 40000;
	config->table = 0;
	config->timeout = 60;
	config->silent_timeout = 3600;
	config->final_timeout = 0;
	config->delete_delay = 30;
	config->tos = -1;
	config->num_threads = 0;
	config->max_sessions = -1;
	config->endpoint_learning = ENDPOINT_LEARNING_DELAYED;
	config->log.level = LOG_INFO;
	config->log.facility = LOG_DAEMON;
	config->log.to_stderr = false;
	config->graphite_interval = 60;
	config->redis_expires = 86400;
	config->redis_allowed_errors = -1;
	config->redis_disable_time = 10;
	config->redis_connect_timeout_ms = 1000;
}

static unsigned int cpu_count(void)
{
	long count = sysconf(_SC_NPROCESSORS_ONLN);
	return count > 0 && count <= 1024 ? (unsigned int) count : 1;
}

static int check_config(struct daemon_config *config, char **error_message)
{
	if (config->interface_count == 0) {
		*error_message = g_strdup("missing option --interface (-i): at least one media interface is required");
		return -EINVAL;
	}
	if (!endpoint_is_set(&config->listen_ng) && !endpoint_is_set(&config->listen_tcp_ng)
	    && !endpoint_is_set(&config->listen_udp) && !endpoint_is_set(&config->listen_tcp)) {
		*error_message = g_strdup("missing option --listen-ng (-n): a control socket (--listen-ng, "
					  "--listen-tcp-ng, --listen-udp or --listen-tcp) is required");
		return -EINVAL;
	}
	if (config->port_min > config->port_max) {
		*error_message = g_strdup_printf("--port-min (%u) is greater than --port-max (%u)", config->port_min,
				config->port_max);
		return -EINVAL;
	}
	/* RTP takes an even port and RTCP the next odd one (RFC 3550 section 11), so the range
	 * must hold at least one such pair. */
	unsigned int first_even = config->port_min + (config->port_min & 1);
	if (first_even + 1 > config->port_max) {
		*error_message = g_strdup_printf("port range %u-%u holds no even/odd port pair for RTP and RTCP",
				config->port_min, config->port_max);
		return -EINVAL;
	}
	if (endpoint_is_set(&config->listen_https) && !config->https_cert) {
		*error_message = g_strdup("--listen-https needs --https-cert (and --https-key unless the key is in it)");
		return -EINVAL;
	}
	if (config->num_threads == 0)
		config->num_threads = cpu_count();
	return 0;
}

/* What lib/options.c needs to know about the daemon. The file read when --config-file is not
 * given is CONFIG_DEFAULT_FILE unless a test replaced it. */
static struct option_program daemon_program(void)
{
	return (struct option_program) {
		.name = "rtpengine",
		.summary = "media relay, ng protocol",
		.version = rtpengine_version,
		.default_file = default_file_override ? default_file_override : CONFIG_DEFAULT_FILE,
		.default_section = CONFIG_DEFAULT_SECTION,
		.options = option_table,
		.option_count = G_N_ELEMENTS(option_table),
	};
}

/* ---- public functions ------------------------------------------------------------------- */

enum config_result config_load(struct daemon_config *config, int argc, char **argv, char **error_message)
{
	char *ignored_message = NULL;
	if (!error_message)
		error_message = &ignored_message;
	*error_message = NULL;
	if (!config) {
		*error_message = g_strdup("internal error: no config structure");
		g_free(ignored_message);
		return CONFIG_ERROR;
	}
	set_defaults(config);

	struct load_state state = {
		.config = config,
		.interfaces = g_array_new(FALSE, TRUE, sizeof(struct interface_config)),
	};
	struct option_program program = daemon_program();
	struct options_sources sources = { 0 };
	enum config_result outcome = CONFIG_ERROR;
	switch (options_load(&program, &state, argc, argv, &sources, error_message)) {
	case OPTIONS_OK:
		break;
	case OPTIONS_EXIT_SUCCESS:
		outcome = CONFIG_EXIT_SUCCESS;
		goto done;
	default:
		goto done;
	}
	if (state.print_codecs) {
		/* what this build really has, asked of libavcodec (codec_chain.c) */
		codec_chain_print_codecs(stdout);
		g_free(sources.config_file);
		g_free(sources.config_section);
		outcome = CONFIG_EXIT_SUCCESS;
		goto done;
	}
	config->config_file = sources.config_file;
	config->config_section = sources.config_section;
	config->interface_count = state.interfaces->len;
	config->interfaces = (struct interface_config *) g_array_free(state.interfaces, FALSE);
	state.interfaces = NULL;
	if (check_config(config, error_message) < 0)
		goto done;
	outcome = CONFIG_OK;

done:
	if (state.interfaces)
		g_array_free(state.interfaces, TRUE);
	if (outcome != CONFIG_OK)
		config_free(config);
	if (outcome == CONFIG_ERROR && !*error_message)
		*error_message = g_strdup("invalid configuration");
	g_free(ignored_message);
	return outcome;
}

void config_free(struct daemon_config *config)
{
	if (!config)
		return;
	g_free(config->config_file);
	g_free(config->config_section);
	g_free(config->interfaces);
	g_free(config->pidfile);
	g_free(config->recording_dir);
	config->recording_dir = NULL;
	g_free(config->https_cert);
	g_free(config->https_key);
	g_free(config->graphite_prefix);
	g_free(config->https_client_ca);
	config->https_cert = config->https_key = config->graphite_prefix = config->https_client_ca = NULL;
	g_free(config->dtls_ciphers);
	config->dtls_ciphers = NULL;
	g_free(config->mysql_host);
	g_free(config->mysql_user);
	g_free(config->mysql_pass);
	g_free(config->mysql_query);
	config->mysql_host = config->mysql_user = config->mysql_pass = config->mysql_query = NULL;
	config->config_file = NULL;
	config->config_section = NULL;
	config->interfaces = NULL;
	config->interface_count = 0;
	config->pidfile = NULL;
}

int config_reload_log(struct log_settings *log, int argc, char **argv, char **error_message)
{
	struct daemon_config fresh;
	if (config_load(&fresh, argc, argv, error_message) != CONFIG_OK)
		return -EINVAL;
	log->level = fresh.log.level;
	log->facility = fresh.log.facility;
	config_free(&fresh);
	return 0;
}

char *config_help_text(void)
{
	struct option_program program = daemon_program();
	return options_help_text(&program);
}

const char *config_endpoint_learning_name(enum endpoint_learning learning)
{
	if ((size_t) learning >= G_N_ELEMENTS(endpoint_learning_names))
		return "?";
	return endpoint_learning_names[learning];
}

void config_set_default_file(const char *path)
{
	g_free(default_file_override);
	default_file_override = g_strdup(path);
}

/* Packaging: see config.h. */
const struct option_spec *config_option_table(size_t *count)
{
	*count = G_N_ELEMENTS(option_table);
	return option_table;
}
