/* play media's db-id source; see media_player_db.h. */
#include "media_player_db.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <mysql.h>
#include <errmsg.h>
#include "config.h"
#include "log.h"

/* Short: the control thread waits for them. A local or LAN database answers in milliseconds;
 * a refused connection or a missing socket fails at once, whatever these say. */
#define DB_CONNECT_TIMEOUT_SECONDS 2
#define DB_IO_TIMEOUT_SECONDS 2

static struct {
	char *host, *user, *pass, *query;
	unsigned int port;
	MYSQL *connection;      /* NULL until the first db-id request, and after a failed connect */
	bool library_used;      /* mysql_init() initialised libmariadb: end it at close */
	char error[256];        /* the last error-reason: fetch returns a pointer to it */
} db;

void media_player_db_configure(const struct daemon_config *config)
{
	media_player_db_close();
	db.host = g_strdup(config->mysql_host);
	db.user = g_strdup(config->mysql_user);
	db.pass = g_strdup(config->mysql_pass);
	db.query = g_strdup(config->mysql_query);
	db.port = config->mysql_port;
}

void media_player_db_close(void)
{
	if (db.connection) {
		mysql_close(db.connection);
		db.connection = NULL;
	}
	if (db.library_used) {
		mysql_library_end();
		db.library_used = false;
	}
	g_free(db.host);
	g_free(db.user);
	g_free(db.pass);
	g_free(db.query);
	db.host = db.user = db.pass = db.query = NULL;
}

int media_player_db_check_query(const char *query)
{
	const char *placeholder = strstr(query, "%llu");
	if (!placeholder)
		return -EINVAL;
	for (const char *c = strchr(query, '%'); c; c = strchr(c + 1, '%'))
		if (c != placeholder)
			return -EINVAL;
	return 0;
}

/* The query with the id in place of its one %llu (checked at start, so not a format string). */
static char *query_for(unsigned long long id)
{
	const char *placeholder = strstr(db.query, "%llu");
	return g_strdup_printf("%.*s%llu%s", (int) (placeholder - db.query), db.query, id, placeholder + 4);
}

static const char *set_error(const char *what, MYSQL *connection)
{
	snprintf(db.error, sizeof(db.error), "%s: %s", what, connection ? mysql_error(connection) : "out of memory");
	log_warning("play media: %s", db.error);
	return db.error;
}

/* Opens db.connection; NULL on success, else the error-reason. */
static const char *db_connect(void)
{
	MYSQL *connection = mysql_init(NULL);
	db.library_used = true;
	if (!connection)
		return set_error("cannot connect to the media database", NULL);
	unsigned int connect_timeout = DB_CONNECT_TIMEOUT_SECONDS, io_timeout = DB_IO_TIMEOUT_SECONDS;
	mysql_options(connection, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_options(connection, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(connection, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	if (!mysql_real_connect(connection, db.host, db.user, db.pass, NULL, db.port, NULL, 0)) {
		const char *reason = set_error("cannot connect to the media database", connection);
		mysql_close(connection);
		return reason;
	}
	log_info("play media: connected to the media database (%s)", mysql_get_host_info(connection));
	db.connection = connection;
	return NULL;
}

static void db_disconnect(void)
{
	mysql_close(db.connection);
	db.connection = NULL;
}

/* The query's stored result on db.connection, or NULL (mysql_errno tells why). */
static MYSQL_RES *run_query(const char *query)
{
	if (mysql_real_query(db.connection, query, strlen(query)) != 0)
		return NULL;
	return mysql_store_result(db.connection);
}

/* The kept connection was closed by the other side since the last request: a restart of the
 * server or its wait_timeout. Worth one reconnect; any other error is the query's own. */
static bool connection_gone(void)
{
	unsigned int code = mysql_errno(db.connection);
	return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST;
}

unsigned char *media_player_db_fetch(unsigned long long id, size_t *length, const char **error)
{
	if (!db.host || !db.query) {
		*error = "play media from a database needs --mysql-host and --mysql-query";
		return NULL;
	}
	bool fresh = !db.connection;
	if (fresh && (*error = db_connect()))
		return NULL;
	g_autofree char *query = query_for(id);
	MYSQL_RES *result = run_query(query);
	if (!result && !fresh && connection_gone()) {
		log_info("play media: the media database connection was lost (%s); reconnecting",
			 mysql_error(db.connection));
		db_disconnect();
		if ((*error = db_connect()))
			return NULL;
		result = run_query(query);
	}
	if (!result) {
		*error = set_error("the media database query failed", db.connection);
		if (connection_gone())
			db_disconnect();   /* the next request connects again */
		return NULL;
	}
	unsigned char *blob = NULL;
	MYSQL_ROW row = mysql_fetch_row(result);
	unsigned long *lengths = row ? mysql_fetch_lengths(result) : NULL;
	if (!row || !lengths || mysql_num_fields(result) < 1 || !row[0]) {
		*error = "no media with this db-id in the database";
	} else if (lengths[0] == 0) {
		*error = "the media with this db-id is empty";
	} else {
		*length = lengths[0];
		blob = g_memdup2(row[0], lengths[0]);
	}
	mysql_free_result(result);
	return blob;
}
