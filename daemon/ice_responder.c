/* ICE connectivity-check answering; see ice_responder.h. */
#include "ice_responder.h"

#include <string.h>
#include <sys/socket.h>
#include "call.h"
#include "endpoint_learning.h"
#include "ice_agent.h"
#include "log.h"
#include "stun.h"

#define STUN_RESPONSE_SIZE 256

static void send_response(const struct stream *stream, const unsigned char *response, int length,
                          const union endpoint *source)
{
	if (length > 0)
		sendto(stream->fd, response, (size_t) length, MSG_DONTWAIT, &source->address, endpoint_length(source));
}

bool ice_handle_packet(struct stream *stream, const unsigned char *packet, size_t length,
                       const union endpoint *source)
{
	struct media *media = stream->media;
	if (!media->ice_ufrag[0] || !stun_packet_is_stun(packet, length))
		return false;
	struct stun_request_info info;
	unsigned char response[STUN_RESPONSE_SIZE];
	const char *call_id = media->monologue->call->call_id;
	if (stun_parse(packet, length, &info) < 0) {
		stream->counters.errors++;
		return true;
	}
	if (info.method_class == STUN_BINDING_SUCCESS_RESPONSE || info.method_class == STUN_BINDING_ERROR_RESPONSE) {
		/* answers to our own checks (full ICE agent) */
		ice_agent_handle_response(stream, packet, length, &info, source);
		return true;
	}
	if (info.method_class != STUN_BINDING_REQUEST)
		return true;   /* indications (keepalives) need no answer */
	size_t password_length = strlen(media->ice_pwd);
	/* RFC 8445 section 7.3: USERNAME must start with our ufrag, integrity with our password */
	if (!info.username || !stun_username_matches(&info, media->ice_ufrag) || !info.has_message_integrity) {
		send_response(stream, response, stun_build_binding_error(response, sizeof(response), info.transaction_id,
									 400, "Bad Request"), source);
		return true;
	}
	if (!stun_check_integrity(packet, length, media->ice_pwd, password_length)) {
		send_response(stream, response, stun_build_binding_error(response, sizeof(response), info.transaction_id,
									 401, "Unauthorized"), source);
		return true;
	}
	/* RFC 8445 section 7.3.1.1: both sides claim the same role */
	if (ice_agent_check_role(media, &info) == STUN_ERROR_ROLE_CONFLICT) {
		send_response(stream, response,
			      stun_build_binding_error_with_integrity(response, sizeof(response), info.transaction_id,
								      STUN_ERROR_ROLE_CONFLICT, "Role Conflict",
								      media->ice_pwd, password_length),
			      source);
		return true;
	}
	send_response(stream, response,
		      stun_build_binding_success(response, sizeof(response), info.transaction_id, &source->address,
						 media->ice_pwd, password_length),
		      source);
	/* A check that passed integrity comes from the peer itself: media goes there, until a
	 * pair is selected (then only a nomination moves it). */
	if (ice_agent_handle_request(stream, source, &info) && endpoint_learning_ice_confirm(stream, source)) {
		char text[ENDPOINT_TEXT_SIZE];
		log_call(LOG_INFO, call_id, "port %u: ICE check confirmed peer address %s%s", stream->local_port,
			 endpoint_text(source, text, sizeof(text)), info.use_candidate ? " (nominated)" : "");
	}
	return true;
}
