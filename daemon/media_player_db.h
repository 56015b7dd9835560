/* play media from a database (the ng `db-id` key): the audio file is a blob that --mysql-query
 * selects by the id from MySQL/MariaDB (libmariadb), as 10.5 does with the same options.
 *
 * Connection: one, opened on the first db-id request and kept for the next ones; a query that
 * finds it gone (the server restarted, or closed it after its wait_timeout) reconnects once and
 * runs again. Closed by media_player_db_close() at shutdown.
 *
 * Threads: configure and close once, at start and at shutdown; fetch on the control thread
 * only (the connection is its own, unlocked), which it blocks for the query: a server that
 * is down answers at once (refused, no socket); one that does not answer costs at most the
 * connect timeout plus the read timeout, twice with the reconnect (DB_*_TIMEOUT_SECONDS). */
#ifndef RTPENGINE_MEDIA_PLAYER_DB_H
#define RTPENGINE_MEDIA_PLAYER_DB_H

#include <stddef.h>

struct daemon_config;

/* Copies the --mysql-* options. */
void media_player_db_configure(const struct daemon_config *config);

/* The first column of the query's first row for this id (g_free), or NULL with *error set
 * (no database configured, cannot connect, query failed, no such row); *error stays valid
 * until the next fetch. */
unsigned char *media_player_db_fetch(unsigned long long id, size_t *length, const char **error);

/* Closes the connection, if one was opened, and frees the options. */
void media_player_db_close(void);

/* Whether a --mysql-query holds exactly one %llu and no other % (checked at start). */
int media_player_db_check_query(const char *query);

#endif
