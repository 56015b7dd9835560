/* BUNDLE in offer and answer: the SDP side; see bundle.h. */
#include "bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct sdp_attribute *media_attribute(const struct sdp_media *media, unsigned int i)
{
	return g_ptr_array_index(media->attributes, i);
}

const char *sdp_media_mid(const struct sdp_media *media)
{
	for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
		const struct sdp_attribute *attribute = media_attribute(media, i);
		if (sdp_name_is(attribute->name, "mid") && attribute->value && attribute->value[0])
			return attribute->value;
	}
	return NULL;
}

bool sdp_media_bundle_only(const struct sdp_media *media)
{
	for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++)
		if (sdp_name_is(media_attribute(media, i)->name, "bundle-only"))
			return true;
	return false;
}

/* "ID[/direction] URI [attributes]" (RFC 8285 section 8): the id, or 0 when malformed. */
static unsigned int extmap_id(const char *value, const char **uri)
{
	char *end;
	unsigned long id = strtoul(value, &end, 10);
	if (end == value || id == 0 || id > 255)
		return 0;
	while (*end && *end != ' ')
		end++;
	while (*end == ' ')
		end++;
	*uri = end;
	return (unsigned int) id;
}

unsigned int sdp_media_mid_extension_id(const struct sdp_media *media)
{
	size_t uri_length = strlen(BUNDLE_MID_EXTENSION_URI);
	for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
		const struct sdp_attribute *attribute = media_attribute(media, i);
		const char *uri = NULL;
		if (!sdp_name_is(attribute->name, "extmap") || !attribute->value)
			continue;
		unsigned int id = extmap_id(attribute->value, &uri);
		if (id && !strncmp(uri, BUNDLE_MID_EXTENSION_URI, uri_length) && (uri[uri_length] == '\0' || uri[uri_length] == ' '))
			return id;
	}
	return 0;
}

unsigned int sdp_free_extension_id(const struct sdp_session *sdp, const struct sdp_bundle *bundle)
{
	bool used[15] = { false };
	for (unsigned int b = 0; b < bundle->count; b++) {
		const struct sdp_media *media = g_ptr_array_index(sdp->media, bundle->lines[b]);
		for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
			const struct sdp_attribute *attribute = media_attribute(media, i);
			const char *uri;
			if (!sdp_name_is(attribute->name, "extmap") || !attribute->value)
				continue;
			unsigned int id = extmap_id(attribute->value, &uri);
			if (id && id < 15)
				used[id] = true;
		}
	}
	for (unsigned int id = 1; id < 15; id++)
		if (!used[id])
			return id;
	return 0;
}

unsigned int sdp_media_ssrcs(const struct sdp_media *media, uint32_t *ssrcs, unsigned int capacity)
{
	unsigned int count = 0;
	for (unsigned int i = 0; media->attributes && i < media->attributes->len && count < capacity; i++) {
		const struct sdp_attribute *attribute = media_attribute(media, i);
		if (!sdp_name_is(attribute->name, "ssrc") || !attribute->value)
			continue;
		/* "ssrc-id attribute[:value]", ssrc-id a 32-bit decimal (RFC 5576 section 4.1) */
		char *end;
		unsigned long long ssrc = strtoull(attribute->value, &end, 10);
		if (end == attribute->value || ssrc > UINT32_MAX || (*end && *end != ' '))
			continue;
		bool known = false;
		for (unsigned int k = 0; k < count; k++)
			known = known || ssrcs[k] == (uint32_t) ssrc;
		if (!known)
			ssrcs[count++] = (uint32_t) ssrc;
	}
	return count;
}

/* The m= line with a=mid:mid (length bytes), or -ENOENT. */
static int line_of_mid(const struct sdp_session *sdp, const char *mid, size_t length)
{
	for (unsigned int line = 0; line < sdp->media->len; line++) {
		const char *own = sdp_media_mid(g_ptr_array_index(sdp->media, line));
		if (own && strlen(own) == length && !memcmp(own, mid, length))
			return (int) line;
	}
	return -ENOENT;
}

unsigned int sdp_bundle_parse(const struct sdp_session *sdp, struct sdp_bundle *bundle)
{
	bundle->count = 0;
	for (unsigned int i = 0; sdp->attributes && i < sdp->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(sdp->attributes, i);
		/* RFC 5888 section 5: a=group:SEMANTICS *(SP identification-tag) */
		if (!sdp_name_is(attribute->name, "group") || !attribute->value
		    || strncmp(attribute->value, "BUNDLE", 6) || (attribute->value[6] != ' ' && attribute->value[6]))
			continue;
		const char *at = attribute->value + 6;
		while (*at) {
			while (*at == ' ')
				at++;
			size_t length = strcspn(at, " ");
			int line = length ? line_of_mid(sdp, at, length) : -ENOENT;
			const struct sdp_media *media = line >= 0 ? g_ptr_array_index(sdp->media, (unsigned int) line) : NULL;
			bool listed = false;
			for (unsigned int b = 0; media && b < bundle->count; b++)
				listed = listed || bundle->lines[b] == (unsigned int) line;
			/* RFC 8843 section 6: a bundle-only m= line has port 0 and is not rejected; it
			 * cannot be the tagged one, which carries the transport's address */
			bool usable = media && (media->port || (bundle->count && sdp_media_bundle_only(media)));
			/* RTP only: a data channel's SCTP is not ours to demultiplex (rejected instead,
			 * see side_learn_sdp() in ng_offer_answer.c) */
			usable = usable && media->protocol && strstr(media->protocol, "RTP/");
			if (usable && !listed && bundle->count < CALL_MAX_MEDIA)
				bundle->lines[bundle->count++] = (unsigned int) line;
			at += length;
		}
		break;   /* RFC 9143 section 7: one m= line is in one group; the first group is ours */
	}
	if (bundle->count < 2)
		bundle->count = 0;
	return bundle->count;
}

int sdp_bundle_owner_line(const struct sdp_bundle *bundle, unsigned int line)
{
	for (unsigned int b = 0; b < bundle->count; b++)
		if (bundle->lines[b] == line)
			return (int) bundle->lines[0];
	return -ENOENT;
}

/* The payload types of an m= line's format list ("0 8 101"). */
static void add_payload_types(struct bundle_demux *demux, const struct sdp_media *media, unsigned int index)
{
	const char *at = media->formats ? media->formats : "";
	while (*at) {
		char *end;
		unsigned long type = strtoul(at, &end, 10);
		if (end == at)
			break;
		(void) bundle_demux_add_payload_type(demux, (unsigned int) type, index);
		at = end;
		while (*at == ' ')
			at++;
	}
}

struct bundle_group *bundle_group_build(const struct sdp_session *sdp, const struct sdp_bundle *bundle,
					struct media *const *media_by_line, const char *const *mids,
					unsigned int mid_extension_id, bool with_ssrcs)
{
	if (bundle->count < 2 || bundle->count > BUNDLE_MAX_MEDIA)
		return NULL;
	struct bundle_group *group = g_new0(struct bundle_group, 1);
	for (unsigned int b = 0; !mid_extension_id && b < bundle->count; b++)
		mid_extension_id = sdp_media_mid_extension_id(g_ptr_array_index(sdp->media, bundle->lines[b]));
	bundle_demux_init(&group->demux, mid_extension_id);
	for (unsigned int b = 0; b < bundle->count; b++) {
		unsigned int line = bundle->lines[b];
		const struct sdp_media *media = g_ptr_array_index(sdp->media, line);
		const char *mid = mids && mids[line] ? mids[line] : sdp_media_mid(media);
		int index = mid ? bundle_demux_add_media(&group->demux, mid) : -EINVAL;
		if (index != (int) b || !media_by_line[line]) {
			g_free(group);   /* a missing, repeated or too long mid */
			return NULL;
		}
		group->members[b] = media_by_line[line];
		uint32_t ssrcs[BUNDLE_MAX_SSRCS];
		unsigned int count = with_ssrcs ? sdp_media_ssrcs(media, ssrcs, BUNDLE_MAX_SSRCS) : 0;
		for (unsigned int s = 0; s < count; s++)
			(void) bundle_demux_add_ssrc(&group->demux, ssrcs[s], b);
		add_payload_types(&group->demux, media, b);
	}
	return group;
}

void bundle_group_free(struct bundle_group *group)
{
	g_free(group);
}
