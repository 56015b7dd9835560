/* rtpengine: the control daemon's entry point. Reads the configuration, opens the
 * interfaces, the media workers and the ng socket, then runs the control loop (an
 * event_loop, daemon_context.loop, that other modules join): ng requests, the one-second
 * housekeeping timer and signals, all on this thread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "call.h"
#include "call_lifecycle.h"
#include "cli.h"
#include "config.h"
#include "version.h"
#include "process_control.h"
#include "daemon.h"
#include "event_loop.h"
#include "graphite.h"
#include "homer.h"
#include "redis.h"
#include "http_server.h"
#include "kernel_backend.h"
#include "service_notify.h"
#include "control_tcp_server.h"
#include "legacy_udp_server.h"
#include "dtls_certificate.h"
#include "media_dtls.h"
#include "log.h"
#include "media_control.h"
#include "media_quality.h"
#include "ng_keys.h"
#include "ng_server.h"
#include "recording.h"
#include "ng_tcp_server.h"
#include "relay.h"
#include "media_transcode.h"
#include "media_player_db.h"
#include "stream_server.h"
#include "timer.h"

#define HOUSEKEEPING_INTERVAL_US 1000000   /* the once-a-second work */

/* What the control loop's callbacks need. */
struct control_context {
	struct daemon_context *daemon;
	struct ng_server *server;
	struct timer_entry housekeeping;
};

/* Where there are fewer CPUs than threads, an ng request waking this thread would preempt a
 * media worker in the middle of its round, and the packets of that round wait. SCHED_BATCH
 * keeps this thread's fair share of the CPU but gives up wake-up preemption: a request waits
 * for the worker's round to end (tens of microseconds), media waits for nothing. Set after the
 * workers started (they inherit the policy of the thread that creates them). */
static void keep_control_thread_from_preempting_workers(void)
{
	struct sched_param parameters = { .sched_priority = 0 };
	int error = pthread_setschedparam(pthread_self(), SCHED_BATCH, &parameters);
	if (error)
		log_info("control thread stays SCHED_OTHER: %s", strerror(error));
}

/* The control listeners besides the ng socket: CLI, ng over TCP, the legacy protocol. */
struct control_listeners {
	struct stream_server *cli;
	struct stream_server *tcp_ng;
	struct legacy_udp_server *legacy_udp;
	struct stream_server *control_tcp;
};

static int open_listener(const char *what, const union endpoint *address, int error)
{
	char text[ENDPOINT_TEXT_SIZE];
	endpoint_text(address, text, sizeof(text));
	if (error)
		log_error("cannot listen for %s on %s: %s", what, text, strerror(-error));
	else
		log_notice("listening for %s on %s", what, text);
	return error;
}

static int open_control_listeners(struct control_listeners *listeners, struct daemon_context *daemon,
				  struct daemon_config *config)
{
	cli_init(daemon, config);
	if (endpoint_is_set(&config->listen_cli)
	    && open_listener("CLI", &config->listen_cli, cli_server_open(&listeners->cli, &config->listen_cli, daemon)))
		return -1;
	if (endpoint_is_set(&config->listen_tcp_ng)
	    && open_listener("TCP ng", &config->listen_tcp_ng,
			     ng_tcp_server_open(&listeners->tcp_ng, &config->listen_tcp_ng, daemon)))
		return -1;
	if (endpoint_is_set(&config->listen_udp)
	    && open_listener("legacy rtpproxy protocol (UDP)", &config->listen_udp,
			     legacy_udp_server_open(&listeners->legacy_udp, &config->listen_udp, daemon)))
		return -1;
	if (endpoint_is_set(&config->listen_tcp)
	    && open_listener("TCP control protocol", &config->listen_tcp,
			     control_tcp_server_open(&listeners->control_tcp, &config->listen_tcp, daemon)))
		return -1;
	return 0;
}

static void close_control_listeners(struct control_listeners *listeners)
{
	stream_server_close(listeners->control_tcp);
	legacy_udp_server_close(listeners->legacy_udp);
	stream_server_close(listeners->tcp_ng);
	stream_server_close(listeners->cli);
}

/* What SIGHUP reads again: the command line and config file's log settings. */
static int saved_argc;
static char **saved_argv;
static struct daemon_config *live_config;

static void reload_log_settings(void)
{
	char *error_message = NULL;
	struct log_settings log = live_config->log;
	if (config_reload_log(&log, saved_argc, saved_argv, &error_message) < 0) {
		log_warning("SIGHUP: configuration not re-read: %s", error_message ? error_message : "invalid");
		g_free(error_message);
		log_reopen();
		return;
	}
	if (!live_config->log.to_stderr)
		closelog();
	live_config->log.level = log.level;
	live_config->log.facility = log.facility;
	log_init("rtpengine", &live_config->log);
	log_notice("SIGHUP: log reopened, log level %d, facility %d", log.level, log.facility);
}

/* Returns true when the daemon should stop. */
static bool handle_signal(int signal_fd)
{
	struct signalfd_siginfo info;
	while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGHUP) {
			reload_log_settings();
			continue;
		}
		log_notice("received signal %u, shutting down", info.ssi_signo);
		return true;
	}
	return false;
}

static void end_call_at_shutdown(struct call *call, void *data)
{
	(void) data;
	call_end(call, CALL_END_SHUTDOWN);
}

/* The order is the order observers hear of every call: the totals first, so that they count
 * the call before anything else touches it; the timers (signalling cancels a delayed
 * delete); then the kernel backend, which takes the call's forwarding out of the kernel
 * before the sockets close; then recording, whose metadata follows what the others did. */
static int register_call_observers(struct daemon_context *daemon)
{
	call_lifecycle_init(daemon);
	const struct call_observer *observers[] = { &daemon_totals_observer, &timer_call_observer,
						      &kernel_backend_call_observer,
						      /* call recording: metadata and finishing files */
						      &recording_call_observer,
						      /* DTLS: close_notify while the sockets are still open */
						      &dtls_call_observer,
						      /* RTCP statistics */
						      &media_quality_observer };
	for (size_t i = 0; i < sizeof(observers) / sizeof(observers[0]); i++) {
		int error = call_observer_register(observers[i]);
		if (error) {
			log_error("cannot register call observer %s: %s", observers[i]->name, strerror(-error));
			return error;
		}
	}
	/* media control: play DTMF's and play media's timers end with the call */
	int error = call_observer_register(&media_control_call_observer);
	if (error)
		log_error("cannot register call observer %s: %s", media_control_call_observer.name, strerror(-error));
	return error;
}

static void ng_readable(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	struct control_context *control = data;
	ng_server_receive(control->server);
}

static void signal_readable(struct event_loop *loop, int fd, uint32_t events, void *data)
{
	if (handle_signal(fd))
		event_loop_stop(loop);
}

/* Once a second (a periodic timer: a round that runs late skips, never doubles, a second). */
static void housekeeping(struct timer_entry *timer, void *data)
{
	struct control_context *control = data;
	struct daemon_context *daemon = control->daemon;
	int64_t now = now_realtime_us();
	kernel_backend_sync(daemon);
	daemon_sample_rates(daemon);
	relay_sample_load(1000);
	timer_check_calls(daemon, now);
	if (control->server)
		ng_server_expire_cache(control->server, now);
}

static int run_control_loop(struct daemon_context *daemon, struct ng_server *server, int signal_fd)
{
	struct control_context control = { .daemon = daemon, .server = server };
	timer_entry_init(&control.housekeeping, housekeeping, &control);
	struct event_loop *loop = daemon->loop;
	int error = server ? event_loop_add_fd(loop, ng_server_fd(server), EPOLLIN, ng_readable, &control) : 0;
	if (!error)
		error = event_loop_add_fd(loop, signal_fd, EPOLLIN, signal_readable, &control);
	if (!error)
		error = event_loop_timer_arm(loop, &control.housekeeping, timer_now_us() + HOUSEKEEPING_INTERVAL_US,
					     HOUSEKEEPING_INTERVAL_US);
	if (!error)
		error = event_loop_run(loop);
	if (error)
		log_error("control loop: %s", strerror(-error));
	event_loop_timer_cancel(loop, &control.housekeeping);
	event_loop_remove_fd(loop, signal_fd);
	if (server)
		event_loop_remove_fd(loop, ng_server_fd(server));
	return error;
}

int main(int argc, char **argv)
{
	struct daemon_config config;
	char *error_message = NULL;
	enum config_result loaded = config_load(&config, argc, argv, &error_message);
	if (loaded == CONFIG_EXIT_SUCCESS)
		return 0;
	if (loaded != CONFIG_OK) {
		fprintf(stderr, "rtpengine: %s\n", error_message ? error_message : "bad configuration");
		g_free(error_message);
		return 1;
	}
	saved_argc = argc;
	saved_argv = argv;
	live_config = &config;
	if (!config.foreground && process_become_daemon() < 0) {
		fprintf(stderr, "rtpengine: cannot daemonise: %s\n", strerror(errno));
		return 1;
	}
	log_init("rtpengine", &config.log);
	log_notice("rtpengine %s starting", rtpengine_version);

	/* Start-up failures unwind what was set up so far (goto ladder, newest first), so that
	 * every exit, early or not, releases the same things: LeakSanitizer checks both. */
	int exit_code = 1;
	struct daemon_context daemon = { .config = &config, .started_us = now_realtime_us() };
	/* before any module starts, so that each can register its sources */
	daemon.loop = event_loop_new();
	if (!daemon.loop) {
		log_error("cannot create the control loop: %s", strerror(errno));
		goto free_config;
	}
	call_registry_init();
	if (interface_list_init(&daemon.interfaces, config.interfaces, config.interface_count, config.port_min,
				config.port_max) < 0) {
		log_error("invalid port range %u-%u", config.port_min, config.port_max);
		goto free_loop;
	}
	int signal_fd = process_open_signal_fd();
	if (signal_fd < 0) {
		log_error("cannot create the signal descriptor: %s", strerror(errno));
		goto free_interfaces;
	}
	/* DTLS-SRTP: the one certificate, before any worker or offer needs it */
	const char *dtls_reason = NULL;
	struct dtls_settings dtls_settings = {
		.rsa = config.dtls_rsa, .rsa_bits = config.dtls_rsa_key_size,
		.signature = config.dtls_signature_sha1 ? DTLS_HASH_SHA1 : DTLS_HASH_SHA256,
		.ciphers = config.dtls_ciphers, .mtu = config.dtls_mtu, .passive = config.dtls_passive,
	};
	if (dtls_certificate_init(&dtls_settings, &dtls_reason) < 0) {
		log_error("DTLS: %s", dtls_reason);
		goto close_signals;
	}
	if (kernel_backend_start(&daemon) < 0)
		goto close_signals;
	if (register_call_observers(&daemon) < 0)
		goto stop_kernel;
	/* call recording: spool directories and the writer thread (nothing without --recording-dir) */
	/* transcoding (media_transcode.h): --jitter-buffer */
	media_transcode_configure(&config);
	/* play media's db-id (media_player_db.h): --mysql-* */
	media_player_db_configure(&config);
	if (recording_init(&config, config.num_threads) < 0)
		goto reset_observers;
	ng_keys_set_recording(recording_enabled());
	/* call recording in the kernel module (proc method) */
	recording_use_kernel(daemon.kernel);
	/* RTCP statistics and Homer */
	media_quality_set_mode(config.mos_listening_quality ? MOS_LQ : MOS_CQ);
	struct homer_settings homer_settings = {
		.server = config.homer,
		.tcp = config.homer_tcp,
		.capture_id = config.homer_id,
		.disable_rtcp_stats = config.homer_disable_rtcp_stats,
	};
	if (homer_start(&homer_settings) < 0)
		goto stop_recording;
	struct relay_settings relay_settings = {
		.endpoint_learning = config.endpoint_learning,
		.worker_count = config.num_threads,
	};
	int dtmf_error = media_control_set_dtmf_log_dest(&config.dtmf_log_dest);
	if (dtmf_error < 0)
		log_error("cannot open the socket for --dtmf-log-dest: %s", strerror(-dtmf_error));
	if (relay_start(&relay_settings) < 0)
		goto stop_recording;
	keep_control_thread_from_preempting_workers();
	struct ng_server *server = NULL;
	int error = endpoint_is_set(&config.listen_ng) ? ng_server_open(&server, &config.listen_ng, &daemon) : 0;
	if (error) {
		char text[80];
		log_error("cannot listen for ng on %s: %s",
			  endpoint_text(&config.listen_ng, text, sizeof(text)), strerror(-error));
		goto stop_relay;
	}
	struct control_listeners listeners = { 0 };
	if (open_control_listeners(&listeners, &daemon, &config) < 0)
		goto close_listeners;
	/* HTTP listener and Graphite export: sources on the control loop */
	struct http_server *http = NULL;
	struct graphite *graphite = NULL;
	/* Redis: the calls of the database restored before ng is answered, then written */
	struct redis *redis = NULL;
	if (http_server_start(&http, &daemon) < 0 || graphite_start(&graphite, &daemon) < 0
	    || redis_start(&redis, &daemon) < 0)
		goto stop_exporters;
	if (config.pidfile && process_write_pidfile(config.pidfile) < 0)
		log_warning("cannot write pidfile %s: %s", config.pidfile, strerror(errno));
	char text[80];
	log_notice("listening for ng on %s; %u interface(s), ports %u-%u, %u media thread(s)",
		   endpoint_is_set(&config.listen_ng) ? endpoint_text(&config.listen_ng, text, sizeof(text)) : "(none)",
		   daemon.interfaces.count,
		   config.port_min, config.port_max, config.num_threads);

	/* systemd (Type=notify, as upstream's unit): started once ng requests are answered */
	int notified = service_notify_ready();
	if (notified < 0)
		log_warning("cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(-notified));

	run_control_loop(&daemon, server, signal_fd);
	exit_code = 0;
	service_notify_stopping();

	call_foreach(end_call_at_shutdown, NULL);
	if (config.pidfile)
		unlink(config.pidfile);
stop_exporters:
	redis_stop(redis);
	graphite_stop(graphite);
	http_server_stop(http);
close_listeners:
	close_control_listeners(&listeners);
	ng_server_close(server);
stop_relay:
	relay_stop();
	media_control_stop();
	media_player_db_close();   /* play media's database connection, if a db-id opened it */
stop_recording:
	/* after every call ended: writes what is queued and finishes the files */
	recording_shutdown();
reset_observers:
	homer_stop();   /* after the workers: nothing queues any more */
	call_lifecycle_reset();
stop_kernel:
	kernel_backend_stop(&daemon);
close_signals:
	dtls_certificate_cleanup();
	close(signal_fd);
free_interfaces:
	interface_list_free(&daemon.interfaces);
free_loop:
	event_loop_free(daemon.loop);
free_config:
	if (exit_code == 0)
		log_notice("rtpengine stopped");
	config_free(&config);
	return exit_code;
}
