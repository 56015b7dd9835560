/* The CLI: upstream rtpengine-ctl's command language ("list numsessions", "terminate all",
 * "set timeout 30", "params diff", ...), answered in upstream 10.5's text layout.
 *
 * cli_commands.c holds the command table and the handlers; the same commands arrive over the
 * CLI socket (cli_server.c, --listen-cli: one command line per connection, the reply, then
 * end of file) and over ng (the `cli` command with an `instruction` key, ng_command_cli()).
 * Numbers come from the statistics snapshot; `set` changes the running daemon's parameters
 * (struct daemon_config, which every module reads afresh where it needs them), and `params`
 * compares them with the values the daemon started with.
 *
 * Threads: control thread only. */
#ifndef RTPENGINE_CLI_H
#define RTPENGINE_CLI_H

#include <glib.h>
#include <stddef.h>

struct daemon_config;
struct daemon_context;
struct stream_server;
union endpoint;

#define CLI_MAX_LINE 4096

/* Remembers the daemon and its (writable) configuration; the values at this moment are what
 * `params start` and `params revert` go back to. */
void cli_init(struct daemon_context *daemon, struct daemon_config *config);
/* Runs one command line (without its line end) and appends the reply text to output.
 * Returns 0, or a negative errno when the command failed (the reason is in the output). */
int cli_execute(const char *line, size_t length, GString *output);

/* The --listen-cli socket (cli_server.c). */
int cli_server_open(struct stream_server **server, const union endpoint *address, struct daemon_context *daemon);

#endif
