/* DTLS-SRTP on a media port; see dtls.h. */
#include "dtls.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <glib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "call.h"
#include "dtls_certificate.h"
#include "log.h"
#include "dtls_srtp.h"
#include "relay.h"

/* Counters are written by the worker alone and read with relaxed atomic loads (relay.c). */
#define DTLS_COUNT(counter) \
	__atomic_store_n(&(counter), __atomic_load_n(&(counter), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)

/* RFC 5764 section 9 and RFC 7714 section 14.2: the exporter label and the profiles, the
 * GCM ones first (as browsers prefer them), then the RFC 5764 mandatory AES-CM ones. */
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
const char dtls_srtp_profiles[] = "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:"
	"SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";

/* RFC 5246 / RFC 6347: content type 22 handshake; handshake type 1 client_hello at offset 13
 * (after the 13-byte DTLS record header). */
#define RECORD_HANDSHAKE 22
#define HANDSHAKE_CLIENT_HELLO 1

struct hash_info {
	const char *name;
	size_t length;
};

static const struct hash_info hashes[DTLS_HASH_COUNT] = {
	[DTLS_HASH_SHA1] = { "sha-1", 20 },
	[DTLS_HASH_SHA224] = { "sha-224", 28 },
	[DTLS_HASH_SHA256] = { "sha-256", 32 },
	[DTLS_HASH_SHA384] = { "sha-384", 48 },
	[DTLS_HASH_SHA512] = { "sha-512", 64 },
};

static const char *const setup_names[] = {
	[DTLS_SETUP_ACTPASS] = "actpass", [DTLS_SETUP_ACTIVE] = "active",
	[DTLS_SETUP_PASSIVE] = "passive", [DTLS_SETUP_HOLDCONN] = "holdconn",
};

static BIO_METHOD *bio_method;
static pthread_once_t bio_method_once = PTHREAD_ONCE_INIT;

/* ---- the datagram BIO: OpenSSL's I/O on our socket ----------------------------------------- */

/* Each write is one datagram (OpenSSL fragments handshake messages to the MTU itself), sent
 * to the association's peer at once: the worker holds the call's lock, as it does for its
 * recvmmsg(). While closing (control thread) the record is kept for sending after unlocking. */
static int bio_write(BIO *bio, const char *data, int length)
{
	struct dtls_connection *connection = BIO_get_data(bio);
	BIO_clear_retry_flags(bio);
	if (length <= 0)
		return 0;
	if (connection->capture) {
		if ((size_t) length <= sizeof(connection->captured) - connection->captured_length) {
			memcpy(connection->captured + connection->captured_length, data, (size_t) length);
			connection->captured_length += (size_t) length;
		}
		return length;
	}
	struct stream *stream = connection->stream;
	if (connection->peer_known && stream->fd >= 0
	    && sendto(stream->fd, data, (size_t) length, MSG_DONTWAIT, &connection->peer.address,
		      endpoint_length(&connection->peer)) < 0)
		log_debug("DTLS send on port %u: %s", stream->local_port, strerror(errno));
	/* a lost datagram is what retransmission is for */
	return length;
}

/* The one datagram that arrived, once; then "try again later". */
static int bio_read(BIO *bio, char *out, int size)
{
	struct dtls_connection *connection = BIO_get_data(bio);
	BIO_clear_retry_flags(bio);
	if (!connection->input) {
		BIO_set_retry_read(bio);
		return -1;
	}
	size_t length = connection->input_length;
	if (size < 0 || length > (size_t) size)
		length = (size_t) (size < 0 ? 0 : size);
	memcpy(out, connection->input, length);
	connection->input = NULL;
	return (int) length;
}

static long bio_ctrl(BIO *bio, int command, long number, void *pointer)
{
	switch (command) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return (long) dtls_certificate_settings()->mtu;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 28;   /* IPv4 + UDP headers: the MTU we are given is the datagram's */
	default:
		return 0;
	}
}

static void make_bio_method(void)
{
	bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rtpengine media socket");
	if (!bio_method)
		return;
	BIO_meth_set_write(bio_method, bio_write);
	BIO_meth_set_read(bio_method, bio_read);
	BIO_meth_set_ctrl(bio_method, bio_ctrl);
}

/* ---- certificate check ---------------------------------------------------------------------- */

/* RFC 5763 section 5: the peer's certificate must match the fingerprint its SDP gave. The
 * chain itself means nothing (self-signed is the rule), so every other verdict is overridden.
 * A peer that gave no fingerprint is refused too: anyone could have answered. */
static int verify_certificate(int chain_ok, X509_STORE_CTX *store)
{
	if (X509_STORE_CTX_get_error_depth(store) != 0)
		return 1;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_connection *connection = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *certificate = X509_STORE_CTX_get_current_cert(store);
	if (!connection || !certificate)
		return 0;
	const struct dtls_fingerprint *expected = &connection->params.expected;
	struct dtls_fingerprint seen;
	if (!expected->length || dtls_fingerprint_of_x509(certificate, expected->hash, &seen) < 0
	    || !dtls_fingerprint_equal(&seen, expected)) {
		connection->fingerprint_mismatch = true;
		return 0;
	}
	return 1;
}

/* RFC 6347 section 4.2.4.1, with a faster start than its 1 s (as browsers do). */
static unsigned int next_timeout(SSL *ssl, unsigned int previous_us)
{
	if (!previous_us)
		return DTLS_INITIAL_TIMEOUT_US;
	unsigned int next = previous_us * 2;
	return next > DTLS_MAX_TIMEOUT_US ? DTLS_MAX_TIMEOUT_US : next;
}

/* ---- the association (worker, call->lock held) ---------------------------------------------- */

static void drop_association(struct dtls_connection *connection)
{
	struct media_worker *worker = connection->stream->call->worker;
	if (worker)
		relay_worker_timer_cancel(worker, &connection->timer);
	SSL_free(connection->ssl);
	connection->ssl = NULL;
	connection->retransmits = 0;
	connection->fingerprint_mismatch = false;
	connection->peer_known = false;
	connection->peer_heard = false;
	connection->srtp_suite = -1;
	/* the keys go with the association, unless signalling replaced them already (SDES) */
	struct media *media = connection->stream->media;
	int kind = connection->stream->kind;
	if (connection->state == DTLS_ESTABLISHED
	    && (kind == STREAM_RTCP ? media->rtcp_srtp : media->srtp) == connection->installed)
		dtls_srtp_remove(media, kind);
	connection->installed = NULL;
	connection->state = DTLS_IDLE;
}

static void fail(struct dtls_connection *connection, struct dtls_counters *counters, const char *why)
{
	unsigned long error = ERR_peek_last_error();
	char text[160] = "";
	if (error)
		ERR_error_string_n(error, text, sizeof(text));
	ERR_clear_error();
	struct stream *stream = connection->stream;
	if (connection->fingerprint_mismatch) {
		DTLS_COUNT(counters->fingerprint_mismatch);
		why = "the peer's certificate does not match its a=fingerprint";
	}
	log_call(LOG_WARNING, stream->call->call_id, "port %u: DTLS handshake failed: %s%s%s", stream->local_port, why,
		 text[0] ? ": " : "", text);
	drop_association(connection);
	connection->state = DTLS_FAILED;
	connection->failed_us = timer_now_us();
}

static void timer_fired(struct timer_entry *timer, void *data);

static void arm_timer(struct dtls_connection *connection)
{
	struct timeval remaining;
	struct media_worker *worker = connection->stream->call->worker;
	if (!worker || !connection->ssl || DTLSv1_get_timeout(connection->ssl, &remaining) != 1)
		return;
	int64_t deadline = timer_now_us() + (int64_t) remaining.tv_sec * 1000000 + remaining.tv_usec;
	if (relay_worker_timer_add(worker, &connection->timer, deadline, timer_fired, connection) < 0)
		log_error("DTLS: no memory for a retransmission timer");
}

/* RFC 5764 section 4.2: the exporter's output for the agreed profile becomes the media's SRTP
 * contexts (dtls_srtp.c). */
static int export_keys(struct dtls_connection *connection)
{
	SSL *ssl = connection->ssl;
	SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(ssl);
	int total = profile ? dtls_srtp_material_length((uint16_t) profile->id) : -ENOENT;
	if (total < 0)
		return -ENOENT;
	unsigned char material[DTLS_SRTP_MATERIAL_MAX];
	if (SSL_export_keying_material(ssl, material, (size_t) total, EXPORTER_LABEL, strlen(EXPORTER_LABEL), NULL, 0,
				       0) != 1)
		return -EINVAL;
	struct media *media = connection->stream->media;
	int kind = connection->stream->kind;
	int error = dtls_srtp_install(media, kind, (uint16_t) profile->id, material, connection->params.active,
				      &connection->srtp_suite);
	/* kept for a standby (redis_value.c), as SDES keeps its keys */
	_Static_assert(sizeof(connection->srtp_material) >= DTLS_SRTP_MATERIAL_MAX, "DTLS material room");
	connection->srtp_profile = (uint16_t) profile->id;
	connection->srtp_material_length = error ? 0 : (uint8_t) total;
	if (!error)
		memcpy(connection->srtp_material, material, (size_t) total);
	OPENSSL_cleanse(material, sizeof(material));
	if (!error)
		connection->installed = kind == STREAM_RTCP ? media->rtcp_srtp : media->srtp;
	return error;
}

static void step(struct dtls_connection *connection, struct dtls_counters *counters)
{
	int result = SSL_do_handshake(connection->ssl);
	if (result == 1) {
		struct stream *stream = connection->stream;
		struct media_worker *worker = stream->call->worker;
		if (worker)
			relay_worker_timer_cancel(worker, &connection->timer);
		int error = export_keys(connection);
		if (error) {
			fail(connection, counters, error == -ENOENT ? "no DTLS-SRTP profile agreed" : "key export failed");
			DTLS_COUNT(counters->failed);
			return;
		}
		connection->state = DTLS_ESTABLISHED;
		DTLS_COUNT(counters->handshakes);
		log_call(LOG_INFO, stream->call->call_id, "port %u: DTLS-SRTP established (%s, %s role)",
			 stream->local_port, dtls_srtp_suite_name(connection->srtp_suite),
			 connection->params.active ? "active" : "passive");
		return;
	}
	int error = SSL_get_error(connection->ssl, result);
	if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
		arm_timer(connection);
		return;
	}
	if (!connection->fingerprint_mismatch)
		DTLS_COUNT(counters->failed);
	fail(connection, counters, "protocol error");
}

static int start_association(struct dtls_connection *connection, const union endpoint *peer)
{
	pthread_once(&bio_method_once, make_bio_method);
	SSL_CTX *context = dtls_certificate_context();
	if (!context || !bio_method)
		return -EINVAL;
	drop_association(connection);
	SSL *ssl = SSL_new(context);
	BIO *bio = ssl ? BIO_new(bio_method) : NULL;
	if (!bio) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	BIO_set_data(bio, connection);
	BIO_set_init(bio, 1);
	SSL_set_bio(ssl, bio, bio);
	SSL_set_app_data(ssl, connection);
	SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
	unsigned int mtu = dtls_certificate_settings()->mtu;
	DTLS_set_link_mtu(ssl, (long) mtu);
	SSL_set_mtu(ssl, (long) mtu - 28);
	SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_certificate);
	DTLS_set_timer_cb(ssl, next_timeout);
	if (connection->params.active)
		SSL_set_connect_state(ssl);
	else
		SSL_set_accept_state(ssl);
	connection->ssl = ssl;
	connection->state = DTLS_HANDSHAKING;
	connection->running_generation = connection->params.generation;
	connection->peer_known = peer != NULL;
	if (peer)
		connection->peer = *peer;
	return 0;
}

/* A re-offer or re-answer changed the role or the fingerprint (RFC 5763 section 6.7.1:
 * a new association), or DTLS was switched off. */
static void follow_generation(struct dtls_connection *connection)
{
	if (connection->running_generation == connection->params.generation)
		return;
	if (connection->state != DTLS_IDLE && connection->state != DTLS_CLOSED)
		drop_association(connection);
	connection->running_generation = connection->params.generation;
	connection->waits = 0;
	if (connection->state == DTLS_CLOSED)
		return;
	connection->state = DTLS_IDLE;
}

/* An active side sends its ClientHello towards where the peer is known to be: its learned
 * address, else the SDP's. A WebRTC peer's SDP may have none yet (c=0.0.0.0, port 9: its
 * address comes with ICE, whose checks latch it): look again every DTLS_INITIAL_TIMEOUT_US, for
 * as long as a handshake would retransmit, then give up. */
static void start_active(struct dtls_connection *connection, struct dtls_counters *counters)
{
	const union endpoint *peer = relay_stream_destination(connection->stream);
	struct media_worker *worker = connection->stream->call->worker;
	if (!peer) {
		if (++connection->waits > DTLS_MAX_PEER_WAITS) {
			DTLS_COUNT(counters->timeouts);
			fail(connection, counters, "the peer's address never became known");
		} else if (worker) {
			relay_worker_timer_add(worker, &connection->timer, timer_now_us() + DTLS_INITIAL_TIMEOUT_US,
					       timer_fired, connection);
		}
		return;
	}
	if (start_association(connection, peer) < 0)
		return;
	step(connection, counters);
}

static void timer_fired(struct timer_entry *timer, void *data)
{
	struct dtls_connection *connection = data;
	struct call *call = connection->stream->call;
	pthread_mutex_lock(&call->lock);
	if (call->deleted || connection->state == DTLS_CLOSED) {
		pthread_mutex_unlock(&call->lock);
		return;
	}
	struct dtls_counters *counters = relay_dtls_counters(call->worker);
	/* also when DTLS was switched off: the association and its keys go */
	follow_generation(connection);
	/* an RTCP port's association only without rtcp-mux (RFC 5764 section 4.1) */
	bool muxed_rtcp = connection->stream->kind == STREAM_RTCP
		&& (connection->stream->forward_flags & FORWARD_RTCP_MUX);
	if (connection->state == DTLS_IDLE && connection->params.enabled && connection->params.active && !muxed_rtcp) {
		start_active(connection, counters);
	} else if (connection->state == DTLS_HANDSHAKING) {
		/* an active side that heard nothing yet follows the peer's address: ICE may have
		 * confirmed another candidate than the SDP's since the last flight */
		const union endpoint *destination = connection->params.active && !connection->peer_heard
			? relay_stream_destination(connection->stream) : NULL;
		if (destination)
			connection->peer = *destination;
		int handled = connection->retransmits >= DTLS_MAX_RETRANSMITS ? 2 : DTLSv1_handle_timeout(connection->ssl);
		if (handled == 2) {
			/* the last retransmission went unanswered for its whole timeout */
			DTLS_COUNT(counters->timeouts);
			fail(connection, counters, "no answer to retransmissions");
		} else if (handled < 0) {
			DTLS_COUNT(counters->failed);
			fail(connection, counters, "retransmission failed");
		} else {
			connection->retransmits += handled > 0;
			arm_timer(connection);
		}
	}
	pthread_mutex_unlock(&call->lock);
}

static bool is_client_hello(const unsigned char *packet, size_t length)
{
	return length > 13 && packet[0] == RECORD_HANDSHAKE && packet[13] == HANDSHAKE_CLIENT_HELLO;
}

/* Whether the datagram from source may feed the association; sets up a passive side's
 * association on a ClientHello. */
static bool accept_source(struct dtls_connection *connection, const unsigned char *packet, size_t length,
			  const union endpoint *source, struct dtls_counters *counters)
{
	struct stream *stream = connection->stream;
	if (connection->state == DTLS_IDLE || connection->state == DTLS_FAILED) {
		if (connection->params.active || !is_client_hello(packet, length)) {
			DTLS_COUNT(counters->dropped_garbage);
			return false;
		}
		/* no fingerprint yet (we offered, the answer is on its way): the peer retransmits */
		if (!connection->params.expected.length
		    || (connection->state == DTLS_FAILED
			&& timer_now_us() - connection->failed_us < DTLS_RETRY_HOLDOFF_US)) {
			DTLS_COUNT(counters->dropped_garbage);
			return false;
		}
		if (start_association(connection, source) < 0) {
			DTLS_COUNT(counters->dropped_garbage);
			return false;
		}
		connection->peer_heard = true;
		return true;
	}
	if (connection->peer_known && endpoint_equal(source, &connection->peer)) {
		connection->peer_heard = true;
		return true;
	}
	/* Another source while a handshake runs: a ClientHello from the SDP's own address takes
	 * over from whoever started it; anyone else is a stranger (dropped before any crypto). */
	if (connection->state == DTLS_HANDSHAKING && !connection->params.active && is_client_hello(packet, length)
	    && endpoint_equal(source, &stream->advertised)) {
		start_association(connection, source);
		connection->peer_heard = true;
		return true;
	}
	/* an active side that heard nothing yet: the peer answers from where its NAT puts it
	 * (a stranger answering instead fails the fingerprint check) */
	if (connection->state == DTLS_HANDSHAKING && connection->params.active && !connection->peer_heard
	    && packet[0] == RECORD_HANDSHAKE) {
		connection->peer = *source;
		connection->peer_known = true;
		connection->peer_heard = true;
		return true;
	}
	DTLS_COUNT(counters->dropped_stranger);
	return false;
}

/* After the handshake: alerts (close_notify), retransmitted Finished messages (OpenSSL
 * answers them), application data (no data channels here: discarded). */
static void read_established(struct dtls_connection *connection, struct dtls_counters *counters)
{
	unsigned char discard[2048];
	int result = SSL_read(connection->ssl, discard, sizeof(discard));
	if (result > 0)
		return;
	int error = SSL_get_error(connection->ssl, result);
	if (error == SSL_ERROR_ZERO_RETURN) {
		/* the peer closed: its SRTP keys stay valid for what is still in flight; a new
		 * association needs a new offer/answer */
		log_call(LOG_INFO, connection->stream->call->call_id, "port %u: peer closed DTLS (close_notify)",
			 connection->stream->local_port);
		connection->state = DTLS_CLOSED;
	} else if (error != SSL_ERROR_WANT_READ) {
		DTLS_COUNT(counters->dropped_garbage);
	}
	ERR_clear_error();
}

/* ---- public: worker ------------------------------------------------------------------------- */

void dtls_handle_packet(struct dtls_connection *connection, const unsigned char *packet, size_t length,
			const union endpoint *source, struct dtls_counters *counters)
{
	/* a multiplexing media has no RTCP port association: DTLS there is nobody's */
	if (!connection || !connection->params.enabled || connection->state == DTLS_CLOSED
	    || (connection->stream->kind == STREAM_RTCP && (connection->stream->forward_flags & FORWARD_RTCP_MUX))) {
		DTLS_COUNT(counters->dropped_garbage);
		return;
	}
	follow_generation(connection);
	if (!accept_source(connection, packet, length, source, counters))
		return;
	DTLS_COUNT(counters->records);
	connection->input = packet;
	connection->input_length = length;
	if (connection->state == DTLS_HANDSHAKING)
		step(connection, counters);
	else if (connection->state == DTLS_ESTABLISHED)
		read_established(connection, counters);
	connection->input = NULL;
}

const char *dtls_state_name(enum dtls_state state)
{
	switch (state) {
	case DTLS_IDLE: return "waiting";
	case DTLS_HANDSHAKING: return "handshaking";
	case DTLS_ESTABLISHED: return "established";
	case DTLS_FAILED: return "failed";
	case DTLS_CLOSED: return "closed";
	}
	return "unknown";
}

/* ---- public: control thread ----------------------------------------------------------------- */

struct dtls_connection *dtls_connection_of(struct stream *stream)
{
	if (!stream->extras->dtls) {
		struct dtls_connection *connection = g_new0(struct dtls_connection, 1);
		connection->stream = stream;
		connection->srtp_suite = -1;
		stream->extras->dtls = connection;
	}
	return stream->extras->dtls;
}

void dtls_stage(struct dtls_connection *connection, bool active, const struct dtls_fingerprint *expected)
{
	struct dtls_params *staged = &connection->staged;
	bool same = staged->enabled && staged->active == active && dtls_fingerprint_equal(&staged->expected, expected);
	if (same)
		return;
	staged->enabled = true;
	staged->active = active;
	staged->expected = *expected;
	staged->generation++;
	connection->staged_changed = true;
	connection->start_pending = true;
}

void dtls_stage_off(struct dtls_connection *connection)
{
	if (!connection->staged.enabled)
		return;
	connection->staged.enabled = false;
	connection->staged.generation++;
	connection->staged_changed = true;
	connection->start_pending = true;
}

void dtls_publish(struct dtls_connection *connection)
{
	if (!connection || !connection->staged_changed)
		return;
	connection->params = connection->staged;
	connection->staged_changed = false;
}

void dtls_kick(struct dtls_connection *connection, struct media_worker *worker)
{
	if (!connection || !connection->start_pending || !worker)
		return;
	connection->start_pending = false;
	relay_post_timer_add(worker, &connection->timer, timer_now_us(), timer_fired, connection);
}

void dtls_close(struct dtls_connection *connection, struct media_worker *worker)
{
	if (!connection)
		return;
	struct stream *stream = connection->stream;
	struct call *call = stream->call;
	pthread_mutex_lock(&call->lock);
	bool send = false;
	union endpoint peer = connection->peer;
	if (connection->ssl && connection->state == DTLS_ESTABLISHED && connection->peer_known) {
		/* RFC 5246 section 7.2.1: close_notify; one small record, kept for after the lock */
		connection->capture = true;
		connection->captured_length = 0;
		SSL_shutdown(connection->ssl);
		connection->capture = false;
		send = connection->captured_length > 0;
		ERR_clear_error();
	}
	connection->state = DTLS_CLOSED;
	pthread_mutex_unlock(&call->lock);
	if (send && stream->fd >= 0
	    && sendto(stream->fd, connection->captured, connection->captured_length, MSG_DONTWAIT, &peer.address,
		      endpoint_length(&peer)) < 0)
		log_debug("DTLS close_notify on port %u: %s", stream->local_port, strerror(errno));
	if (worker)
		relay_post_timer_cancel(worker, &connection->timer);
}

void dtls_connection_free(struct dtls_connection *connection)
{
	if (!connection)
		return;
	SSL_free(connection->ssl);
	OPENSSL_cleanse(connection->srtp_material, sizeof(connection->srtp_material));
	g_free(connection);
}

/* ---- public: SDP text ----------------------------------------------------------------------- */

const char *dtls_hash_name(enum dtls_hash hash)
{
	return (unsigned int) hash < DTLS_HASH_COUNT ? hashes[hash].name : NULL;
}

size_t dtls_hash_length(enum dtls_hash hash)
{
	return (unsigned int) hash < DTLS_HASH_COUNT ? hashes[hash].length : 0;
}

int dtls_hash_from_name(const char *name, size_t length, enum dtls_hash *hash)
{
	for (int i = 0; i < DTLS_HASH_COUNT; i++) {
		if (strlen(hashes[i].name) == length && !g_ascii_strncasecmp(name, hashes[i].name, length)) {
			*hash = (enum dtls_hash) i;
			return 0;
		}
	}
	return -ENOENT;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 8122 section 5: fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint,
 * fingerprint = 2UHEX *(":" 2UHEX); lower case is accepted, as peers send it. */
int dtls_fingerprint_parse(const char *text, size_t length, struct dtls_fingerprint *fingerprint)
{
	memset(fingerprint, 0, sizeof(*fingerprint));
	size_t position = 0;
	while (position < length && text[position] == ' ')
		position++;
	size_t name_start = position;
	while (position < length && text[position] != ' ')
		position++;
	if (position == name_start || position >= length)
		return -EINVAL;
	enum dtls_hash hash;
	if (dtls_hash_from_name(text + name_start, position - name_start, &hash) < 0)
		return -ENOENT;
	while (position < length && text[position] == ' ')
		position++;
	unsigned int count = 0;
	while (position < length) {
		if (count == DTLS_DIGEST_MAX || position + 2 > length)
			return -EINVAL;
		int high = hex_digit(text[position]), low = hex_digit(text[position + 1]);
		if (high < 0 || low < 0)
			return -EINVAL;
		fingerprint->digest[count++] = (unsigned char) (high << 4 | low);
		position += 2;
		if (position < length && text[position] == ':' && position + 1 < length)
			position++;
		else if (position < length && text[position] != ' ' && text[position] != '\r')
			return -EINVAL;
		else
			break;
	}
	/* trailing blanks only */
	while (position < length && (text[position] == ' ' || text[position] == '\r'))
		position++;
	if (position != length || count != hashes[hash].length)
		return -EINVAL;
	fingerprint->hash = hash;
	fingerprint->length = count;
	return 0;
}

int dtls_fingerprint_format(const struct dtls_fingerprint *fingerprint, char *out, size_t size)
{
	static const char digits[] = "0123456789ABCDEF";
	const char *name = dtls_hash_name(fingerprint->hash);
	size_t name_length = name ? strlen(name) : 0;
	size_t needed = name_length + 1 + (fingerprint->length ? fingerprint->length * 3 - 1 : 0) + 1;
	if (!name || !fingerprint->length || needed > size)
		return -ENOSPC;
	memcpy(out, name, name_length);
	size_t position = name_length;
	out[position++] = ' ';
	for (unsigned int i = 0; i < fingerprint->length; i++) {
		if (i)
			out[position++] = ':';
		out[position++] = digits[fingerprint->digest[i] >> 4];
		out[position++] = digits[fingerprint->digest[i] & 0xf];
	}
	out[position] = '\0';
	return (int) position;
}

bool dtls_fingerprint_equal(const struct dtls_fingerprint *a, const struct dtls_fingerprint *b)
{
	return a->length == b->length && (!a->length || a->hash == b->hash)
		&& !memcmp(a->digest, b->digest, a->length);
}

const char *dtls_setup_name(enum dtls_setup setup)
{
	return setup > DTLS_SETUP_UNSPECIFIED && setup <= DTLS_SETUP_HOLDCONN ? setup_names[setup] : NULL;
}

enum dtls_setup dtls_setup_from_name(const char *name, size_t length)
{
	for (int setup = DTLS_SETUP_ACTPASS; setup <= DTLS_SETUP_HOLDCONN; setup++)
		if (strlen(setup_names[setup]) == length && !g_ascii_strncasecmp(name, setup_names[setup], length))
			return (enum dtls_setup) setup;
	return DTLS_SETUP_UNSPECIFIED;
}

enum dtls_setup dtls_setup_answer(enum dtls_setup offered, enum dtls_setup preference)
{
	switch (offered) {
	case DTLS_SETUP_ACTIVE:
	case DTLS_SETUP_UNSPECIFIED:   /* RFC 4145 section 4: no a=setup means active */
		return DTLS_SETUP_PASSIVE;
	case DTLS_SETUP_PASSIVE:
		return DTLS_SETUP_ACTIVE;
	case DTLS_SETUP_HOLDCONN:
		return DTLS_SETUP_HOLDCONN;
	case DTLS_SETUP_ACTPASS:
		break;
	}
	return preference == DTLS_SETUP_PASSIVE ? DTLS_SETUP_PASSIVE : DTLS_SETUP_ACTIVE;
}

enum dtls_setup dtls_setup_after_answer(enum dtls_setup answered)
{
	return answered == DTLS_SETUP_PASSIVE ? DTLS_SETUP_ACTIVE : DTLS_SETUP_PASSIVE;
}
