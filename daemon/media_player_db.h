/* play media from a database (the ng `db-id` key): the audio file is a blob that --mysql-query
 * selects by the id from MySQL/MariaDB (libmariadb), as 10.5 does with the same options.
 *
 * Threads: configure once at start; fetch on the control thread, which it blocks for the
 * query (a connection per request, bounded by 5 s connect/read/write timeouts). */
#ifndef RTPENGINE_MEDIA_PLAYER_DB_H
#define RTPENGINE_MEDIA_PLAYER_DB_H

#include <stddef.h>

struct daemon_config;

/* Copies the --mysql-* options. */
void media_player_db_configure(const struct daemon_config *config);

/* The first column of the query's first row for this id (g_free), or NULL with *error set
 * (no database configured, cannot connect, query failed, no such row). */
unsigned char *media_player_db_fetch(unsigned long long id, size_t *length, const char **error);

/* Whether a --mysql-query holds exactly one %llu and no other % (checked at start). */
int media_player_db_check_query(const char *query);

#endif
