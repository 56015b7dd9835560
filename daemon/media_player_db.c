/* play media's db-id source; see media_player_db.h. */
#include "media_player_db.h"

#include <errno.h>
#include <string.h>
#include <glib.h>
#include <mysql.h>
#include "config.h"
#include "log.h"

#define DB_TIMEOUT_SECONDS 5

static struct {
	char *host, *user, *pass, *query;
	unsigned int port;
} db;

void media_player_db_configure(const struct daemon_config *config)
{
	g_free(db.host);
	g_free(db.user);
	g_free(db.pass);
	g_free(db.query);
	db.host = g_strdup(config->mysql_host);
	db.user = g_strdup(config->mysql_user);
	db.pass = g_strdup(config->mysql_pass);
	db.query = g_strdup(config->mysql_query);
	db.port = config->mysql_port;
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

unsigned char *media_player_db_fetch(unsigned long long id, size_t *length, const char **error)
{
	if (!db.host || !db.query) {
		*error = "play media from a database needs --mysql-host and --mysql-query";
		return NULL;
	}
	MYSQL *connection = mysql_init(NULL);
	if (!connection) {
		*error = "out of memory";
		return NULL;
	}
	unsigned int timeout = DB_TIMEOUT_SECONDS;
	mysql_options(connection, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(connection, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(connection, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	unsigned char *blob = NULL;
	MYSQL_RES *result = NULL;
	g_autofree char *query = query_for(id);
	if (!mysql_real_connect(connection, db.host, db.user, db.pass, NULL, db.port, NULL, 0)) {
		log_warning("play media: cannot connect to the database: %s", mysql_error(connection));
		*error = "cannot connect to the media database";
		goto out;
	}
	if (mysql_real_query(connection, query, strlen(query)) != 0 || !(result = mysql_store_result(connection))) {
		log_warning("play media: database query failed: %s", mysql_error(connection));
		*error = "the media database query failed";
		goto out;
	}
	MYSQL_ROW row = mysql_fetch_row(result);
	unsigned long *lengths = row ? mysql_fetch_lengths(result) : NULL;
	if (!row || !lengths || mysql_num_fields(result) < 1 || !row[0]) {
		*error = "no media with this db-id in the database";
		goto out;
	}
	if (lengths[0] == 0) {
		*error = "the media with this db-id is empty";
		goto out;
	}
	*length = lengths[0];
	blob = g_memdup2(row[0], lengths[0]);
out:
	if (result)
		mysql_free_result(result);
	mysql_close(connection);
	return blob;
}
