/* Logging to syslog or stderr; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <glib.h>

static struct log_settings current = { .level = LOG_INFO, .facility = LOG_DAEMON, .to_stderr = true };
/* openlog(3) keeps the pointer it is given, so the ident lives here for the process's life. */
static char syslog_ident[LOG_IDENT_SIZE] = "rtpengine";
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;
int log_current_level = LOG_INFO;

static const char *level_name(int level)
{
	static const char *const names[] = { "EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG" };
	if (level < 0 || level > LOG_DEBUG)
		return "?";
	return names[level];
}

void log_init(const char *ident, const struct log_settings *settings)
{
	if (ident && *ident)
		snprintf(syslog_ident, sizeof(syslog_ident), "%s", ident);
	current = *settings;
	log_current_level = current.level;
	if (!current.to_stderr)
		openlog(syslog_ident, LOG_PID | LOG_NDELAY, current.facility);
}

void log_reopen(void)
{
	if (current.to_stderr)
		return;
	closelog();
	openlog(syslog_ident, LOG_PID | LOG_NDELAY, current.facility);
}


/* ---- per-call debugging ------------------------------------------------------------------ */

int log_debug_call_count;
static pthread_mutex_t debug_calls_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *debug_calls;        /* call-id (owned) of the calls being debugged */

bool log_call_debug_enabled(const char *call_id)
{
	pthread_mutex_lock(&debug_calls_lock);
	bool enabled = debug_calls && g_hash_table_contains(debug_calls, call_id);
	pthread_mutex_unlock(&debug_calls_lock);
	return enabled;
}

bool log_call_debug_set(const char *call_id, bool on)
{
	pthread_mutex_lock(&debug_calls_lock);
	if (!debug_calls)
		debug_calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bool was = g_hash_table_contains(debug_calls, call_id);
	if (on && !was)
		g_hash_table_add(debug_calls, g_strdup(call_id));
	else if (!on && was)
		g_hash_table_remove(debug_calls, call_id);
	__atomic_store_n(&log_debug_call_count, (int) g_hash_table_size(debug_calls), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&debug_calls_lock);
	return was;
}

/* ---- writing ------------------------------------------------------------------------------ */

void log_message(int level, const char *call_id, const char *format, ...)
{
	if (!log_enabled(level) && !log_call_debugging(call_id))
		return;
	char text[1024];
	va_list args;
	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);

	if (!current.to_stderr) {
		if (call_id)
			syslog(level, "[%s]: %s", call_id, text);
		else
			syslog(level, "%s", text);
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	localtime_r(&now.tv_sec, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	pthread_mutex_lock(&stderr_lock);
	if (call_id)
		fprintf(stderr, "%s.%06ld [%s]: [%s]: %s\n", stamp, now.tv_nsec / 1000, level_name(level), call_id, text);
	else
		fprintf(stderr, "%s.%06ld [%s]: %s\n", stamp, now.tv_nsec / 1000, level_name(level), text);
	pthread_mutex_unlock(&stderr_lock);
}
