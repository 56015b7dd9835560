/* The config file the packages install as /etc/rtpengine/rtpengine.conf
 * (packaging/rtpengine.conf) against the daemon's option table: it must name every option
 * once ("key = value" or commented "# key =" with the default), nothing the table does not
 * know, never set an option the daemon refuses, and load as it is. A new option in
 * daemon/config.c fails here until the file lists it, so the file never goes stale. */
#include "config.h"
#include "options.h"

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

struct config_line {
	char *key;
	bool commented;
};

static char *packaged_config_path(void)
{
	g_autofree char *test_directory = g_path_get_dirname(__FILE__);
	return g_build_filename(test_directory, "..", "..", "packaging", "rtpengine.conf", NULL);
}

/* "key = value" and "# key = value" lines of the [rtpengine] section; other comments
 * (prose, "## heading") are skipped. */
static GArray *read_key_lines(const char *path)
{
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	GArray *lines = g_array_new(FALSE, TRUE, sizeof(struct config_line));
	g_auto(GStrv) rows = g_strsplit(text, "\n", -1);
	bool in_section = false;
	for (char **row = rows; *row; row++) {
		const char *line = *row;
		if (line[0] == '[') {
			in_section = strcmp(line, "[rtpengine]") == 0;
			continue;
		}
		if (!in_section)
			continue;
		bool commented = g_str_has_prefix(line, "# ");
		const char *key_start = commented ? line + 2 : line;
		size_t key_length = strspn(key_start, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (key_length == 0 || !g_str_has_prefix(key_start + key_length, " ="))
			continue;
		struct config_line entry = { .key = g_strndup(key_start, key_length), .commented = commented };
		g_array_append_val(lines, entry);
	}
	return lines;
}

static void free_key_lines(GArray *lines)
{
	for (guint i = 0; i < lines->len; i++)
		g_free(g_array_index(lines, struct config_line, i).key);
	g_array_free(lines, TRUE);
}

static bool is_engine_option(const char *name)
{
	return strcmp(name, "help") == 0 || strcmp(name, "version") == 0 || strcmp(name, "config-file") == 0 ||
	       strcmp(name, "config-section") == 0;
}

static const struct option_spec *find_option(const char *name)
{
	size_t count;
	const struct option_spec *table = config_option_table(&count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(table[i].long_name, name) == 0)
			return &table[i];
	return NULL;
}

static void test_every_option_listed_once(void)
{
	g_autofree char *path = packaged_config_path();
	GArray *lines = read_key_lines(path);
	size_t count;
	const struct option_spec *table = config_option_table(&count);
	for (size_t i = 0; i < count; i++) {
		if (is_engine_option(table[i].long_name))
			continue;
		unsigned int seen = 0;
		for (guint j = 0; j < lines->len; j++)
			if (strcmp(g_array_index(lines, struct config_line, j).key, table[i].long_name) == 0)
				seen++;
		if (seen != 1)
			g_error("packaging/rtpengine.conf lists option '%s' %u times: add it (commented, "
				"with its default) under the right heading, exactly once", table[i].long_name, seen);
	}
	free_key_lines(lines);
}

static void test_no_unknown_or_refused_key(void)
{
	g_autofree char *path = packaged_config_path();
	GArray *lines = read_key_lines(path);
	g_assert_cmpuint(lines->len, >, 0);
	for (guint i = 0; i < lines->len; i++) {
		const struct config_line *line = &g_array_index(lines, struct config_line, i);
		const struct option_spec *option = find_option(line->key);
		if (!option || is_engine_option(line->key))
			g_error("packaging/rtpengine.conf names '%s', which is no option of the daemon", line->key);
		if (!line->commented && option->support != OPTION_SUPPORTED)
			g_error("packaging/rtpengine.conf sets '%s', which this daemon does not implement", line->key);
	}
	free_key_lines(lines);
}

/* The file as installed starts the daemon: only --interface is replaced, since "any" needs
 * an interface that is up besides loopback, which a test machine may not have. */
static void test_loads(void)
{
	g_autofree char *path = packaged_config_path();
	g_autofree char *file_argument = g_strconcat("--config-file=", path, NULL);
	char *arguments[] = { "rtpengine", file_argument, "--interface=127.0.0.1", NULL };
	struct daemon_config config;
	char *error = NULL;
	enum config_result result = config_load(&config, 3, arguments, &error);
	if (result != CONFIG_OK)
		g_error("packaging/rtpengine.conf does not load: %s", error ? error : "?");
	g_assert_cmpint(config.table, ==, 0);
	g_assert_cmpuint(config.port_min, ==, 30000);
	g_assert_cmpuint(config.port_max, ==, 40000);
	g_assert_cmpint(config.tos, ==, 184);
	g_assert_true(endpoint_is_set(&config.listen_ng));
	config_free(&config);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/packaged_config/every_option_listed_once", test_every_option_listed_once);
	g_test_add_func("/packaged_config/no_unknown_or_refused_key", test_no_unknown_or_refused_key);
	g_test_add_func("/packaged_config/loads", test_loads);
	return g_test_run();
}
