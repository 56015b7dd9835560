/* The SDP the offerer's answer gets from a transcoding media's state, where no chain is made:
 * a consumed CN listed back, the payload types we added, an answer passed whole when the offerer
 * kept no codec to transcode from, the leg set up for an answer of nothing offered
 * (media_transcode.h). Control thread only. */
#include "media_transcode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "call.h"
#include "codec.h"
#include "codec_chain.h"
#include "media_transcode_internal.h"

int media_transcode_consumed_cn(const struct media *answerer_media, const struct codec_list *answered,
		char *formats, size_t size, const char **rtpmaps)
{
	const struct media_transcode *state = answerer_media->transcode;
	/* the answer's own CN of that type was never offered to the answerer: ours goes in its place */
	if (!state || !state->cn_consumed || transcode_formats_have(formats, state->consumed_cn.payload_type))
		return 0;
	/* as 10.5: before the telephone-events ("9 13 101", "96 97 101" with CN/48000) */
	size_t length = strlen(formats), at = length;
	for (const char *cursor = formats; *cursor && at == length; cursor += strcspn(cursor, " "), cursor += *cursor == ' ') {
		unsigned int pt = (unsigned int) strtoul(cursor, NULL, 10);
		for (unsigned int i = 0; i < answered->count; i++)
			if (answered->codecs[i].payload_type == pt && !strcasecmp(answered->codecs[i].name, "telephone-event"))
				at = (size_t) (cursor - formats);
	}
	/* "PT " before an event's token, else " PT" at the end */
	char inserted[16];
	unsigned int pt = state->consumed_cn.payload_type;
	int written = at < length ? snprintf(inserted, sizeof(inserted), "%u ", pt)
		: snprintf(inserted, sizeof(inserted), length ? " %u" : "%u", pt);
	if (written < 0 || length + (size_t) written >= size)
		return -ENOSPC;
	if (at < length)
		memmove(formats + at + written, formats + at, length - at + 1);
	else
		formats[length + (size_t) written] = '\0';
	memcpy(formats + at, inserted, (size_t) written);
	unsigned int count = 0;
	while (rtpmaps[count])
		count++;
	rtpmaps[count] = state->consumed_cn.rtpmap;
	rtpmaps[count + 1] = NULL;
	return 1;
}

void media_transcode_added_payload_types(const struct media *answerer_media, struct codec_payload_set *added)
{
	const struct media_transcode *state = answerer_media->transcode;
	memset(added, 0, sizeof(*added));
	for (unsigned int a = 0; state && a < state->added_count; a++)
		codec_payload_set_add(added, state->added[a].payload_type);
}

void media_transcode_answer_passed(const struct media *answerer_media, const struct codec_list *answered,
		unsigned int *chosen, unsigned int *count)
{
	const struct media_transcode *state = answerer_media->transcode;
	if (!state || !state->passed)
		return;
	if (!*count) {
		/* none of the answer's payload types was offered: 10.5 passes it whole */
		for (unsigned int i = 0; i < answered->count && i < CODEC_MAX; i++)
			chosen[i] = i;
		*count = answered->count;
		return;
	}
	unsigned int kept = 0;
	for (unsigned int i = 0; i < *count; i++) {
		const struct codec *codec = &answered->codecs[chosen[i]];
		bool keep = !transcode_is_auxiliary(codec);
		if (!keep) {
			/* the offerer's own event or CN (never one we added), beside audio at its clock */
			bool ours = false;
			for (unsigned int a = 0; a < state->added_count; a++)
				ours |= state->added[a].payload_type == codec->payload_type;
			for (unsigned int j = 0; !ours && !keep && j < *count; j++)
				keep = !transcode_is_auxiliary(&answered->codecs[chosen[j]])
					&& answered->codecs[chosen[j]].clock_rate == codec->clock_rate;
		}
		if (keep)
			chosen[kept++] = chosen[i];
	}
	*count = kept;
}

void media_transcode_answer_unoffered(struct media *answerer_media, const char *leg_rtpmap)
{
	struct codec leg = { .channels = 1 };
	if (sscanf(leg_rtpmap, "%u %31[^/]/%u/%u", &leg.payload_type, leg.name, &leg.clock_rate, &leg.channels) < 3
	    || !codec_chain_supports(leg.name, false) || !codec_chain_supports(leg.name, true))
		return;
	if (answerer_media->transcode && answerer_media->transcode->passed)
		return;   /* no codec of the offerer's to transcode from: the answer passes */
	/* the offerer's codec is the leg, transcoded to the answer's first as with codec-accept
	 * (media_transcode_answer()'s forced case) */
	struct media_transcode *state = transcode_state_of(answerer_media);
	transcode_codec_copy(&state->leg, &leg);
	state->leg_dtmf_set = false;
	state->forced = true;
}
