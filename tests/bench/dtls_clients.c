/* DTLS-SRTP handshake load: one DTLS 1.2 client (use_srtp) per relay port given, all started at
 * once from one thread (non-blocking connected UDP sockets, poll), each presenting the same
 * certificate. Prints one line: "handshakes N failed M seconds S" when all are done or the
 * timeout passes.
 *   dtls_clients CERT.pem KEY.pem TIMEOUT_S HOST PORT...
 * Independent of the daemon (OpenSSL's own DTLS client); used by dtls_bench.py. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CLIENTS 4096

struct client {
	int fd;
	SSL *ssl;
	int done;            /* 1 established, -1 failed */
};

static double now_seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static int verify_any(int ok, X509_STORE_CTX *store)
{
	(void) ok;
	(void) store;
	return 1;   /* the relay's certificate is self-signed: the fingerprint is not checked here */
}

static void drive(struct client *client)
{
	int result = SSL_do_handshake(client->ssl);
	if (result == 1) {
		client->done = 1;
		return;
	}
	int error = SSL_get_error(client->ssl, result);
	if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
		client->done = -1;
	ERR_clear_error();
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: %s CERT KEY TIMEOUT_S HOST PORT...\n", argv[0]);
		return 2;
	}
	int count = argc - 5;
	if (count > MAX_CLIENTS)
		count = MAX_CLIENTS;
	double timeout = atof(argv[3]);
	SSL_CTX *context = SSL_CTX_new(DTLS_client_method());
	if (!context || SSL_CTX_use_certificate_file(context, argv[1], SSL_FILETYPE_PEM) != 1
	    || SSL_CTX_use_PrivateKey_file(context, argv[2], SSL_FILETYPE_PEM) != 1
	    || SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AES128_CM_SHA1_80") != 0) {
		fprintf(stderr, "cannot set up OpenSSL\n");
		return 2;
	}
	SSL_CTX_set_verify(context, SSL_VERIFY_PEER, verify_any);
	static struct client clients[MAX_CLIENTS];
	static struct pollfd polls[MAX_CLIENTS];
	double start = now_seconds();
	for (int i = 0; i < count; i++) {
		struct sockaddr_in relay = { .sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[5 + i])) };
		inet_pton(AF_INET, argv[4], &relay.sin_addr);
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *) &relay, sizeof(relay)) < 0) {
			perror("socket");
			return 2;
		}
		BIO *bio = BIO_new_dgram(fd, BIO_CLOSE);
		BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &relay);
		clients[i].fd = fd;
		clients[i].ssl = SSL_new(context);
		SSL_set_bio(clients[i].ssl, bio, bio);
		SSL_set_connect_state(clients[i].ssl);
		polls[i].fd = fd;
		polls[i].events = POLLIN;
		drive(&clients[i]);
	}
	int finished = 0, failed = 0;
	while (finished < count && now_seconds() - start < timeout) {
		int ready = poll(polls, (nfds_t) count, 10);
		if (ready < 0 && errno != EINTR)
			break;
		finished = failed = 0;
		for (int i = 0; i < count; i++) {
			struct client *client = &clients[i];
			if (!client->done) {
				if (polls[i].revents & POLLIN)
					drive(client);
				else
					DTLSv1_handle_timeout(client->ssl);   /* retransmits when due */
			}
			finished += client->done != 0;
			failed += client->done < 0;
		}
	}
	double seconds = now_seconds() - start;
	int established = 0;
	for (int i = 0; i < count; i++)
		established += clients[i].done == 1;
	printf("handshakes %d failed %d seconds %.3f\n", established, failed + (count - finished), seconds);
	for (int i = 0; i < count; i++)
		SSL_free(clients[i].ssl);
	SSL_CTX_free(context);
	return 0;
}
