/* libFuzzer target for the whole ng path: a datagram ("COOKIE <bencode>") goes through the
 * decoder, the flag parser and the command handlers (offer, answer, delete, query, list,
 * statistics) of a daemon context with real sockets on 127.0.0.1 and one media worker. Calls
 * left over by an input are ended after it, so inputs stay independent and memory flat. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "call.h"
#include "call_lifecycle.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "ng_server.h"
#include "relay.h"
#include "timer.h"

static struct daemon_config config;
static struct daemon_context daemon_state;
static GString *reply;

static void end_call(struct call *call, void *data)
{
	(void) data;
	call_end(call, CALL_END_SHUTDOWN);
}

static int set_up(void)
{
	struct log_settings logging = { .level = LOG_CRIT, .facility = LOG_DAEMON, .to_stderr = true };
	log_init("rtpengine", &logging);
	static struct interface_config interface = { .name = "default" };
	endpoint_parse(&interface.local, AF_INET, "127.0.0.1", 0);
	config.interfaces = &interface;
	config.interface_count = 1;
	/* a small range: port exhaustion is part of what gets exercised */
	config.port_min = 47000;
	config.port_max = 47099;
	config.table = -1;
	config.tos = -1;
	config.max_sessions = 20;
	config.delete_delay = 0;
	daemon_state.config = &config;
	call_registry_init();
	call_lifecycle_init(&daemon_state);
	call_observer_register(&daemon_totals_observer);
	call_observer_register(&timer_call_observer);
	if (interface_list_init(&daemon_state.interfaces, config.interfaces, 1, config.port_min, config.port_max) < 0)
		return -1;
	struct relay_settings settings = { .endpoint_learning = ENDPOINT_LEARNING_IMMEDIATE, .worker_count = 1 };
	if (relay_start(&settings) < 0)
		return -1;
	reply = g_string_sized_new(65536);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		if (set_up() < 0)
			__builtin_trap();
		ready = true;
	}
	union endpoint source;
	endpoint_parse(&source, AF_INET, "127.0.0.1", 5060);
	/* the daemon always sees a cookie; the fuzzer supplies the dictionary (and may not) */
	GString *datagram = g_string_new("fuzz ");
	g_string_append_len(datagram, (const char *) data, (gssize) size);
	g_string_truncate(reply, 0);
	ng_process_datagram(&daemon_state, datagram->str, datagram->len, &source, reply);
	g_string_free(datagram, TRUE);
	/* a reply is always a cookie and a dictionary: bencoded, or JSON for a request that
	 * started with '{' (ng_json.c) */
	bool bencoded = reply->len >= 7 && !memcmp(reply->str, "fuzz d", 6) && reply->str[reply->len - 1] == 'e';
	bool json = size > 0 && data[0] == '{' && reply->len >= 7 && !memcmp(reply->str, "fuzz {", 6) &&
		    reply->str[reply->len - 1] == '}';
	if (!bencoded && !json)
		__builtin_trap();
	call_foreach(end_call, &daemon_state);
	return 0;
}
