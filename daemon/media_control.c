/* Blocking and silencing media and DTMF without decoding; see media_control.h. */
#include "media_control.h"

#include <errno.h>
#include <string.h>
#include <glib.h>
#include "call.h"
#include "call_lifecycle.h"
#include "codec.h"
#include "log.h"
#include "ng_commands.h"
#include "rtp_header.h"
#include "sdp.h"

/* ---- static helpers ---------------------------------------------------------------------- */

static void set_flag(struct media *media, unsigned int flag, bool on)
{
	if (on)
		media->media_control |= (uint8_t) flag;
	else
		media->media_control &= (uint8_t) ~flag;
}

/* One command: the flag on or off for the from-tag's media, or for every media of the call. */
static int media_control_command(struct ng_request *request, unsigned int flag, bool on, const char *what)
{
	const struct ng_flags *flags = &request->flags;
	if (!flags->call_id) {
		request->error_reason = "No call-id in message";
		return -EINVAL;
	}
	struct call *call = call_lookup(flags->call_id);
	if (!call) {
		request->error_reason = "Unknown call-id";
		return -ENOENT;
	}
	struct monologue *side = NULL;
	if (flags->from_tag) {
		side = call_find_monologue(call, flags->from_tag);
		if (!side) {
			request->error_reason = "Unknown from-tag";
			return -ENOENT;
		}
	}
	struct media *media;
	call_foreach_media(call, media) {
		if (!side || media->monologue == side)
			set_flag(media, flag, on);
	}
	pthread_mutex_lock(&call->lock);
	call_refresh_forwarding(call);
	pthread_mutex_unlock(&call->lock);
	log_call(LOG_INFO, call->call_id, "%s %s for %s%s", what, on ? "on" : "off",
		 side ? "tag " : "the whole call", side ? side->tag : "");
	/* the kernel backend hears of it and takes such streams back into userspace */
	call_changed(call);
	bencode_dictionary_add_string(request->buffer, request->reply, "result", "ok");
	return 0;
}

/* ---- public functions -------------------------------------------------------------------- */

int ng_command_block_dtmf(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, true, "DTMF blocking");
}

int ng_command_unblock_dtmf(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_DTMF, false, "DTMF blocking");
}

int ng_command_block_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_MEDIA, true, "media blocking");
}

int ng_command_unblock_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_BLOCK_MEDIA, false, "media blocking");
}

int ng_command_silence_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_SILENCE_MEDIA, true, "media silencing");
}

int ng_command_unsilence_media(struct ng_request *request)
{
	return media_control_command(request, MEDIA_CONTROL_SILENCE_MEDIA, false, "media silencing");
}

void media_control_learn_sdp(struct media *media, const struct sdp_media *sdp_media)
{
	struct codec_list list;
	memset(&media->telephone_event_types, 0, sizeof(media->telephone_event_types));
	memset(&media->pcmu_types, 0, sizeof(media->pcmu_types));
	memset(&media->pcma_types, 0, sizeof(media->pcma_types));
	if (codec_list_from_media(sdp_media, &list) < 0)
		return;
	for (unsigned int i = 0; i < list.count; i++) {
		const struct codec *codec = &list.codecs[i];
		if (!g_ascii_strcasecmp(codec->name, "telephone-event"))
			codec_payload_set_add(&media->telephone_event_types, codec->payload_type);
		else if (!g_ascii_strcasecmp(codec->name, "PCMU") && codec->clock_rate == 8000)
			codec_payload_set_add(&media->pcmu_types, codec->payload_type);
		else if (!g_ascii_strcasecmp(codec->name, "PCMA") && codec->clock_rate == 8000)
			codec_payload_set_add(&media->pcma_types, codec->payload_type);
	}
}

bool media_control_drops(const struct stream *stream, unsigned char *packet, size_t length)
{
	const struct stream_extras *extras = stream->media->streams[STREAM_RTP].extras;
	unsigned int control = extras->media_control;
	if (control & MEDIA_CONTROL_BLOCK_MEDIA)
		return true;
	struct rtp_header_info header;
	if (rtp_header_parse(packet, length, &header) < 0)
		return false;   /* not ours to judge: relayed as before */
	/* RFC 4733 events by their negotiated payload type (a dynamic one, so from the SDP) */
	if ((control & MEDIA_CONTROL_BLOCK_DTMF) && codec_payload_set_has(&extras->telephone_event_types,
									  header.payload_type))
		return true;
	if (control & MEDIA_CONTROL_SILENCE_MEDIA) {
		int silence = codec_payload_set_has(&extras->pcmu_types, header.payload_type) ? MEDIA_CONTROL_PCMU_SILENCE
			: codec_payload_set_has(&extras->pcma_types, header.payload_type) ? MEDIA_CONTROL_PCMA_SILENCE : -1;
		if (silence >= 0)
			memset(packet + header.header_length, silence, header.payload_length);
	}
	return false;
}
