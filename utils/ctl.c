/* rtpengine-ctl: sends one CLI command line to the daemon's --listen-cli socket and prints
 * the reply (upstream's rtpengine-ctl, same options and behaviour):
 *   rtpengine-ctl [-ip ADDRESS[:PORT]] [-port PORT] [-config-file FILE] COMMAND...
 * The words of COMMAND are joined with spaces and sent with a newline; everything the daemon
 * sends back until it closes the connection is printed as it is. Without -ip/-port the
 * address is the config file's listen-cli (section [rtpengine]), else 127.0.0.1:9900. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <glib.h>

#define CTL_DEFAULT_CONFIG "/etc/rtpengine/rtpengine.conf"
#define CTL_DEFAULT_HOST "127.0.0.1"
#define CTL_DEFAULT_PORT 9900
#define CTL_TIMEOUT_SECONDS 3

static void usage(FILE *stream)
{
	fputs("\n    rtpengine-ctl [ -ip <ipaddress>[:<port>] -port <port> ] <command>\n\n"
	      "    Sends <command> to the daemon's CLI socket (--listen-cli) and prints the reply.\n"
	      "    'rtpengine-ctl help' asks the daemon for its commands, 'rtpengine-ctl list help'\n"
	      "    for the sub-commands of one. Commands: list (numsessions, sessions all|own|foreign|\n"
	      "    CALLID, totals, counters, maxopenfiles, maxsessions, timeout, silenttimeout,\n"
	      "    finaltimeout, loglevel, loglevels, deletedelay, interfaces, jsonstats, transcoders),\n"
	      "    get (as list), set (maxsessions, maxopenfiles, timeout, silenttimeout, finaltimeout,\n"
	      "    loglevel, deletedelay), terminate CALLID|all|own|foreign, params start|current|diff|\n"
	      "    revert, ksadd, ksrm, kslist, active, standby, debug CALLID on|off, call CALLID info|\n"
	      "    terminate.\n\n"
	      "    -ip <address>[:<port>]   daemon address (default 127.0.0.1, or listen-cli of the config file)\n"
	      "    -port <port>             daemon port (default 9900)\n"
	      "    -config-file <file>      read listen-cli from this file (default " CTL_DEFAULT_CONFIG ")\n\n",
	      stream);
}

/* "-name" or "--name", with its value either "=VALUE" or the next word. */
static const char *option_value(const char *name, int *index, int argc, char **argv)
{
	const char *word = argv[*index];
	word += word[1] == '-' ? 2 : 1;
	size_t length = strlen(name);
	if (strncmp(word, name, length))
		return NULL;
	if (word[length] == '=')
		return word + length + 1;
	if (word[length] != '\0' || *index + 1 >= argc)
		return NULL;
	return argv[++*index];
}

/* The listen-cli of the config file: "PORT" or "HOST[:PORT]". */
static void read_config(const char *path, char **host, long *port)
{
	GKeyFile *file = g_key_file_new();
	if (g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, NULL)) {
		char *listen = g_key_file_get_string(file, "rtpengine", "listen-cli", NULL);
		if (listen) {
			g_strstrip(listen);
			char *end;
			long number = strtol(listen, &end, 10);
			if (*listen && !*end) {
				if (*port < 0)
					*port = number;
				g_free(listen);
			} else if (!*host) {
				*host = listen;
			} else {
				g_free(listen);
			}
		}
	}
	g_key_file_free(file);
}

/* Splits "HOST:PORT" (or "[V6]:PORT") when no port was given separately. */
static void split_port(char *host, long *port)
{
	char *colon = strrchr(host, ':');
	if (!colon || (strchr(host, ':') != colon && host[0] != '['))
		return;   /* a bare IPv6 address */
	char *end;
	long number = strtol(colon + 1, &end, 10);
	if (colon[1] && !*end) {
		*colon = '\0';
		if (*port < 0)
			*port = number;
	}
	if (host[0] == '[') {
		size_t length = strlen(host);
		if (length >= 2 && host[length - 1] == ']') {
			memmove(host, host + 1, length - 2);
			host[length - 2] = '\0';
		}
	}
}

static int connect_to(const char *host, long port)
{
	char service[16];
	snprintf(service, sizeof(service), "%ld", port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *addresses;
	int error = getaddrinfo(host, service, &hints, &addresses);
	if (error) {
		fprintf(stderr, "Cannot connect to the rtpengine %s\n", gai_strerror(error));
		return -1;
	}
	int fd = -1, saved = 0;
	for (struct addrinfo *address = addresses; address; address = address->ai_next) {
		fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, address->ai_addr, address->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(addresses);
	if (fd < 0) {
		fprintf(stderr, "Cannot connect to the rtpengine %s\n", strerror(saved ? saved : ECONNREFUSED));
		return -1;
	}
	struct timeval timeout = { .tv_sec = CTL_TIMEOUT_SECONDS };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

int main(int argc, char **argv)
{
	char *host = NULL;
	long port = -1;
	const char *config = CTL_DEFAULT_CONFIG;
	int index = 1;
	/* options come first; the first other word starts the command (as upstream) */
	for (; index < argc && argv[index][0] == '-' && argv[index][1]; index++) {
		const char *value;
		if (!strcmp(argv[index], "-h") || !strcmp(argv[index], "--help") || !strcmp(argv[index], "-help")) {
			usage(stdout);
			g_free(host);
			return 0;
		} else if ((value = option_value("ip", &index, argc, argv))) {
			g_free(host);
			host = g_strdup(value);
		} else if ((value = option_value("port", &index, argc, argv))) {
			char *end;
			port = strtol(value, &end, 10);
			if (!*value || *end)
				port = 0;
		} else if ((value = option_value("config-file", &index, argc, argv))) {
			config = value;
		} else {
			fprintf(stderr, "Unknown option: %s\n", argv[index]);
			usage(stdout);
			g_free(host);
			return 1;
		}
	}
	read_config(config, &host, &port);
	if (!host)
		host = g_strdup(CTL_DEFAULT_HOST);
	split_port(host, &port);
	if (port < 0)
		port = CTL_DEFAULT_PORT;
	GString *command = g_string_new(NULL);
	for (int i = index; i < argc; i++)
		g_string_append_printf(command, "%s%s", command->len ? " " : "", argv[i]);
	g_strstrip(command->str);
	command->len = strlen(command->str);
	if (!command->len || port <= 0 || port > 65535) {
		usage(stdout);
		g_free(host);
		g_string_free(command, TRUE);
		return 1;
	}
	g_string_append_c(command, '\n');

	int fd = connect_to(host, port);
	g_free(host);
	if (fd < 0) {
		g_string_free(command, TRUE);
		return 1;
	}
	int status = 0;
	if (send(fd, command->str, command->len, MSG_NOSIGNAL) != (ssize_t) command->len) {
		fprintf(stderr, "Cannot send the command: %s\n", strerror(errno));
		status = 1;
	}
	while (!status) {
		char buffer[65536];
		ssize_t received = recv(fd, buffer, sizeof(buffer), 0);
		if (received < 0 && errno == EINTR)
			continue;
		if (received < 0) {
			fprintf(stderr, "No complete reply from the rtpengine: %s\n", strerror(errno));
			status = 1;
		}
		if (received <= 0)
			break;
		fwrite(buffer, 1, (size_t) received, stdout);
	}
	close(fd);
	g_string_free(command, TRUE);
	return status;
}
