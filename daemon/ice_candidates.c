/* ICE descriptions and priorities; see ice_candidates.h. */
#include "ice_candidates.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <strings.h>
#include "sdp.h"

/* RFC 8445 section 5.1.2.2 */
static const unsigned int type_preferences[] = {
	[ICE_CANDIDATE_HOST] = 126,
	[ICE_CANDIDATE_SERVER_REFLEXIVE] = 100,
	[ICE_CANDIDATE_PEER_REFLEXIVE] = 110,
	[ICE_CANDIDATE_RELAYED] = 0,
};

static const char *const type_names[] = {
	[ICE_CANDIDATE_HOST] = "host",
	[ICE_CANDIDATE_SERVER_REFLEXIVE] = "srflx",
	[ICE_CANDIDATE_PEER_REFLEXIVE] = "prflx",
	[ICE_CANDIDATE_RELAYED] = "relay",
};

/* RFC 8839 section 5.4: ice-char = ALPHA / DIGIT / "+" / "/" */
static bool is_ice_char(char c)
{
	return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/* The next space-separated token of [*position, end): its start and length, 0 at the end. */
static size_t next_token(const char **position, const char *end, const char **token)
{
	const char *p = *position;
	while (p < end && *p == ' ')
		p++;
	*token = p;
	while (p < end && *p != ' ')
		p++;
	*position = p;
	return (size_t) (p - *token);
}

/* An unsigned decimal of 1..digits digits at most maximum. */
static int parse_number(const char *text, size_t length, unsigned int digits, unsigned long maximum,
                        unsigned long *value)
{
	if (!length || length > digits)
		return -EINVAL;
	unsigned long result = 0;
	for (size_t i = 0; i < length; i++) {
		if (!g_ascii_isdigit(text[i]))
			return -EINVAL;
		result = result * 10 + (unsigned long) (text[i] - '0');
	}
	if (result > maximum)
		return -EINVAL;
	*value = result;
	return 0;
}

static bool token_is(const char *token, size_t length, const char *word)
{
	return strlen(word) == length && !g_ascii_strncasecmp(token, word, length);
}

/* Copies an attribute value into a bounded credential buffer if it is valid. */
static bool take_credential(char *out, size_t size, const char *value, size_t minimum)
{
	if (!value)
		return false;
	size_t length = strlen(value);
	if (length >= size || !ice_credential_is_valid(value, length, minimum))
		return false;
	memcpy(out, value, length + 1);
	return true;
}

static void read_attributes(GPtrArray *attributes, struct ice_remote *remote, bool *ufrag, bool *pwd)
{
	for (unsigned int i = 0; attributes && i < attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(attributes, i);
		if (sdp_name_is(attribute->name, "ice-ufrag"))
			*ufrag = take_credential(remote->ufrag, sizeof(remote->ufrag), attribute->value, 4);
		else if (sdp_name_is(attribute->name, "ice-pwd"))
			*pwd = take_credential(remote->pwd, sizeof(remote->pwd), attribute->value, 22);
		else if (sdp_name_is(attribute->name, "ice-lite"))
			remote->lite = true;
		else if (sdp_name_is(attribute->name, "end-of-candidates"))
			remote->end_of_candidates = true;
		else if (sdp_name_is(attribute->name, "ice-options") && attribute->value
			 && strstr(attribute->value, "trickle"))
			remote->trickle = true;
	}
}

uint32_t ice_candidate_priority(enum ice_candidate_type type, unsigned int local_preference, unsigned int component)
{
	if ((unsigned int) type >= G_N_ELEMENTS(type_preferences) || component < 1 || component > 256)
		return 0;
	return (type_preferences[type] << 24) | ((local_preference & 0xffff) << 8) | (256 - component);
}

uint64_t ice_pair_priority(uint32_t controlling_priority, uint32_t controlled_priority)
{
	uint64_t g = controlling_priority, d = controlled_priority;
	return ((g < d ? g : d) << 32) + 2 * (g > d ? g : d) + (g > d ? 1 : 0);
}

const char *ice_candidate_type_name(enum ice_candidate_type type)
{
	return (unsigned int) type < G_N_ELEMENTS(type_names) ? type_names[type] : "?";
}

int ice_candidate_parse(const char *value, size_t length, struct ice_candidate *candidate)
{
	if (!value || !candidate)
		return -EINVAL;
	memset(candidate, 0, sizeof(*candidate));
	const char *position = value, *end = value + length, *token;
	size_t token_length = next_token(&position, end, &token);
	if (!token_length || token_length > ICE_MAX_FOUNDATION)
		return -EINVAL;
	for (size_t i = 0; i < token_length; i++)
		if (!is_ice_char(token[i]))
			return -EINVAL;
	memcpy(candidate->foundation, token, token_length);
	unsigned long number;
	token_length = next_token(&position, end, &token);
	if (parse_number(token, token_length, 3, 256, &number) < 0 || !number)
		return -EINVAL;
	candidate->component = (unsigned int) number;
	const char *transport;
	size_t transport_length = next_token(&position, end, &transport);
	if (!transport_length)
		return -EINVAL;
	token_length = next_token(&position, end, &token);
	if (parse_number(token, token_length, 10, 0xffffffffUL, &number) < 0 || !number)
		return -EINVAL;
	candidate->priority = (uint32_t) number;
	const char *address;
	size_t address_length = next_token(&position, end, &address);
	if (!address_length || address_length >= 64)
		return -EINVAL;
	token_length = next_token(&position, end, &token);
	unsigned long port;
	if (parse_number(token, token_length, 5, 65535, &port) < 0)
		return -EINVAL;
	token_length = next_token(&position, end, &token);
	if (!token_is(token, token_length, "typ"))
		return -EINVAL;
	token_length = next_token(&position, end, &token);
	bool known_type = false;
	for (unsigned int type = 0; type < G_N_ELEMENTS(type_names); type++)
		if (token_is(token, token_length, type_names[type])) {
			candidate->type = (enum ice_candidate_type) type;
			known_type = true;
		}
	if (!known_type)
		return -EINVAL;
	/* well-formed; now whether we can use it (RFC 8445 section 5.1.1: UDP is what we speak) */
	if (!token_is(transport, transport_length, "UDP"))
		return -EPROTONOSUPPORT;
	char address_text[64];
	memcpy(address_text, address, address_length);
	address_text[address_length] = '\0';
	if (endpoint_parse(&candidate->address, 0, address_text, (unsigned int) port) < 0 || !port)
		return -EPROTONOSUPPORT;   /* an FQDN, e.g. an mDNS name (RFC 8839 section 5.1) */
	return 0;
}

bool ice_credential_is_valid(const char *text, size_t length, size_t minimum)
{
	if (!text || length < minimum || length > 256)
		return false;
	for (size_t i = 0; i < length; i++)
		if (!is_ice_char(text[i]))
			return false;
	return true;
}

void ice_random_credential(char *out, size_t length)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (size_t i = 0; i < length; i++)
		out[i] = alphabet[g_random_int_range(0, (gint32) (sizeof(alphabet) - 1))];
	out[length] = '\0';
}

int ice_remote_from_sdp(const struct sdp_session *session, const struct sdp_media *media, struct ice_remote *remote)
{
	memset(remote, 0, sizeof(*remote));
	bool ufrag = false, pwd = false;
	read_attributes(session->attributes, remote, &ufrag, &pwd);
	read_attributes(media->attributes, remote, &ufrag, &pwd);
	if (!ufrag || !pwd) {
		memset(remote, 0, sizeof(*remote));
		return -ENOENT;
	}
	for (unsigned int i = 0; media->attributes && i < media->attributes->len; i++) {
		const struct sdp_attribute *attribute = g_ptr_array_index(media->attributes, i);
		if (!sdp_name_is(attribute->name, "candidate") || !attribute->value)
			continue;
		if (remote->candidate_count >= ICE_MAX_CANDIDATES)
			break;
		struct ice_candidate *candidate = &remote->candidates[remote->candidate_count];
		if (ice_candidate_parse(attribute->value, strlen(attribute->value), candidate) == 0)
			remote->candidate_count++;
	}
	return (int) remote->candidate_count;
}
