/* Fuzz target for the configuration parsers: every input is fed to the address parsers
 * (numeric address, address:port, control endpoint, --interface value; what parses must
 * print and read back the same) and, as a config file, to config_load (lib/options.c). Host name lookups are off so that no query leaves the machine. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <glib.h>

#include "config.h"
#include "interface_address.h"
#include "log.h"

/* Whatever parses must print, and endpoint_text() must read back as the same endpoint. */
static void check_round_trip(const union endpoint *address)
{
	char buffer[ENDPOINT_TEXT_SIZE];
	endpoint_address_text(address, buffer, sizeof(buffer));
	endpoint_text(address, buffer, sizeof(buffer));
	union endpoint again;
	if (endpoint_parse_text(&again, buffer, strlen(buffer)) < 0 || !endpoint_equal(&again, address))
		__builtin_trap();
}

static void fuzz_address_parsers(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	union endpoint address;
	if (endpoint_parse_address(&address, text, size) == 0)
		check_round_trip(&address);
	if (endpoint_parse_text(&address, text, size) == 0)
		check_round_trip(&address);
	if (interface_address_parse_endpoint(text, size, &address) == 0)
		check_round_trip(&address);

	GArray *interfaces = g_array_new(FALSE, TRUE, sizeof(struct interface_config));
	char *error = NULL;
	if (interface_address_parse_spec(text, size, interfaces, &error) == 0) {
		for (guint i = 0; i < interfaces->len; i++) {
			const struct interface_config *entry = &g_array_index(interfaces, struct interface_config, i);
			if (!memchr(entry->name, '\0', sizeof(entry->name)))
				__builtin_trap();
			check_round_trip(&entry->local);
			check_round_trip(&entry->advertised);
		}
	} else if (!error) {
		__builtin_trap();   /* every refusal explains itself */
	}
	g_free(error);
	g_array_free(interfaces, TRUE);
}

static void fuzz_config_file(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_config", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t) size) {
		char option[64];
		snprintf(option, sizeof(option), "--config-file=/proc/self/fd/%d", fd);
		char *argv[] = { (char *) "rtpengine", option, NULL };
		struct daemon_config config;
		char *error = NULL;
		enum config_result result = config_load(&config, 2, argv, &error);
		if (result == CONFIG_OK) {
			/* check_config()'s rules: an interface, one control socket of the four kinds, a range */
			bool has_control = endpoint_is_set(&config.listen_ng) || endpoint_is_set(&config.listen_tcp_ng)
				|| endpoint_is_set(&config.listen_udp) || endpoint_is_set(&config.listen_tcp);
			if (config.interface_count == 0 || !has_control || config.port_min > config.port_max)
				__builtin_trap();
			config_free(&config);
		} else if (result == CONFIG_ERROR && !error) {
			__builtin_trap();
		}
		g_free(error);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialised;
	if (!initialised) {
		struct log_settings quiet = { .level = LOG_CRIT, .facility = LOG_DAEMON, .to_stderr = true };
		log_init("rtpengine", &quiet);
		interface_address_allow_host_lookups(false);
		config_set_default_file("/nonexistent/rtpengine.conf");
		initialised = true;
	}
	fuzz_address_parsers(data, size);
	fuzz_config_file(data, size);
	return 0;
}
