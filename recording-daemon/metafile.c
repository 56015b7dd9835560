/* The metadata file's section format (upstream rtpengine's, see recording.h and
 * docs/recording.md) and the few section contents that carry structure. Pure functions: no
 * state, no I/O; call.c applies what they find. */
#include "recording_daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A section name or length line longer than this is garbage, not a slow writer. */
#define SECTION_LINE_MAX 256

int metafile_parse(const char *buffer, size_t length, size_t *consumed, const char **reason,
		   metafile_section_function visit, void *data)
{
	size_t position = 0;
	*consumed = 0;
	*reason = NULL;
	while (position < length) {
		const char *head = buffer + position;
		size_t left = length - position;
		const char *newline = memchr(head, '\n', left < SECTION_LINE_MAX ? left : SECTION_LINE_MAX);
		if (!newline)
			goto incomplete_or_long_line;
		size_t name_length = (size_t) (newline - head);
		if (name_length == 0 || memchr(head, '\0', name_length)) {
			*reason = "empty section name or NUL character in it";
			return -EINVAL;
		}
		const char *length_text = newline + 1;
		size_t length_left = left - name_length - 1;
		const char *colon = memchr(length_text, ':', length_left < 24 ? length_left : 24);
		if (!colon) {
			if (length_left < 24 && memchr(length_text, '\n', length_left) == NULL)
				return -EAGAIN;
			*reason = "content length missing";
			return -EINVAL;
		}
		if (colon == length_text) {
			*reason = "content length missing";
			return -EINVAL;
		}
		unsigned long long content_length = 0;
		for (const char *digit = length_text; digit < colon; digit++) {
			if (*digit < '0' || *digit > '9' || content_length > (1ull << 30)) {
				*reason = "invalid content length";
				return -EINVAL;
			}
			content_length = content_length * 10 + (unsigned long long) (*digit - '0');
		}
		size_t after_colon = (size_t) (colon + 1 - head);
		if (after_colon >= left)
			return -EAGAIN;
		if (head[after_colon] != '\n') {
			*reason = "unterminated content length";
			return -EINVAL;
		}
		size_t content_start = after_colon + 1;
		if (left < content_start + content_length + 2)
			return -EAGAIN;
		const char *content = head + content_start;
		if (memchr(content, '\0', content_length)) {
			*reason = "NUL character in content";
			return -EINVAL;
		}
		if (content[content_length] != '\n' || content[content_length + 1] != '\n') {
			*reason = "separator missing after section";
			return -EINVAL;
		}
		char *name = g_strndup(head, name_length);
		char *content_copy = g_strndup(content, content_length);
		visit(name, content_copy, content_length, data);
		g_free(name);
		g_free(content_copy);
		position += content_start + content_length + 2;
		*consumed = position;
	}
	return 0;

incomplete_or_long_line:
	if (length - position >= SECTION_LINE_MAX) {
		*reason = "section name line too long";
		return -EINVAL;
	}
	return -EAGAIN;
}

int metafile_parse_stream_details(const char *content, struct metafile_stream_details *details)
{
	memset(details, 0, sizeof(*details));
	int matched = sscanf(content, "TAG %u MEDIA %u TAG-MEDIA %u COMPONENT %u FLAGS %llu", &details->tag,
			     &details->media, &details->tag_media, &details->component, &details->flags);
	return matched == 5 ? 0 : -EINVAL;
}

int metafile_parse_rtpmap(const char *content, char *name, size_t name_size, int *clock_rate, int *channels)
{
	const char *slash = strchr(content, '/');
	if (!slash || slash == content || (size_t) (slash - content) >= name_size)
		return -EINVAL;
	memcpy(name, content, (size_t) (slash - content));
	name[slash - content] = '\0';
	char *end;
	long rate = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || rate <= 0 || rate > 192000)
		return -EINVAL;
	long count = 1;
	if (*end == '/') {
		const char *start = end + 1;
		count = strtol(start, &end, 10);
		if (end == start || count <= 0 || count > 8)
			return -EINVAL;
	}
	if (*end != '\0' && *end != '\n' && *end != ' ')
		return -EINVAL;
	*clock_rate = (int) rate;
	*channels = (int) count;
	return 0;
}
