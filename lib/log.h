/* Logging: syslog by default, stderr with --log-stderr.
 * Call-related lines carry the call-id so operators can grep one call. */
#ifndef RTPENGINE_LOG_H
#define RTPENGINE_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define LOG_IDENT_SIZE 32

struct log_settings {
	int level;          /* syslog priority: LOG_ERR .. LOG_DEBUG; lines above it are dropped */
	int facility;       /* syslog facility, LOG_DAEMON by default */
	bool to_stderr;
};

/* ident names the program in syslog ("rtpengine", "rtpengine-recording"); it is copied, and
 * cut at LOG_IDENT_SIZE - 1 characters. The stderr format does not show it. */
void log_init(const char *ident, const struct log_settings *settings);
/* Closes and reopens the log destination (SIGHUP). */
void log_reopen(void);
/* The configured level, read by the macros below so that a line above it costs one compare:
 * its arguments (strerror, endpoint_text, spelling copies) are not even evaluated. */
extern int log_current_level;

static inline bool log_enabled(int level)
{
	return level <= log_current_level;
}

/* Per-call debugging (the CLI's `debug CALLID on`, as upstream): lines about such a call
 * (log_call) are written whatever the level. The count is read first, so with no call being
 * debugged a line above the level still costs one compare and one load. Any thread. */
extern int log_debug_call_count;
bool log_call_debug_enabled(const char *call_id);
/* Returns whether the call was being debugged before. */
bool log_call_debug_set(const char *call_id, bool on);

static inline bool log_call_debugging(const char *call_id)
{
	return __atomic_load_n(&log_debug_call_count, __ATOMIC_RELAXED) && call_id && log_call_debug_enabled(call_id);
}

/* Formats and writes one line; callers go through the macros, which check the level first. */
void log_message(int level, const char *call_id, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

#define log_at(level, call_id, ...) \
	do { if (log_enabled(level)) log_message(level, call_id, __VA_ARGS__); } while (0)

#define log_error(...)   log_at(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_at(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...)  log_at(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)    log_at(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)   log_at(LOG_DEBUG, NULL, __VA_ARGS__)

/* Lines about one call: "[call-id] message"; written at any level while the call is debugged. */
#define log_call(level, call_id, ...) \
	do { if (log_enabled(level) || log_call_debugging(call_id)) log_message(level, call_id, __VA_ARGS__); } while (0)

#endif
