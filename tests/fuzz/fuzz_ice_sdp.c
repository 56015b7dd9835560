/* Fuzz target for the ICE SDP attributes (ice_candidates.c): the input is parsed as one
 * a=candidate value (length-bounded, no NUL needed) and as a whole SDP whose every media is
 * read with ice_remote_from_sdp(), and whose BUNDLE group, mids, MID a=extmap and a=ssrc
 * lines are read as bundle.c reads them; what parses must hold its invariants. */
#include "bundle.h"
#include "ice_candidates.h"
#include "sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_candidate candidate;
	if (ice_candidate_parse((const char *) data, size, &candidate) == 0) {
		if (candidate.component < 1 || candidate.component > 256 || !candidate.priority
		    || strlen(candidate.foundation) > ICE_MAX_FOUNDATION || !endpoint_is_set(&candidate.address))
			abort();
	}
	const char *error = NULL;
	struct sdp_session *session = sdp_parse((const char *) data, size, &error);
	if (!session)
		return 0;
	for (unsigned int i = 0; i < session->media->len; i++) {
		struct ice_remote remote;
		int count = ice_remote_from_sdp(session, g_ptr_array_index(session->media, i), &remote);
		if (count > ICE_MAX_CANDIDATES || (count >= 0 && (strlen(remote.ufrag) < 4 || strlen(remote.pwd) < 22)))
			abort();
	}
	struct sdp_bundle bundle;
	if (sdp_bundle_parse(session, &bundle) > session->media->len)
		abort();
	static struct media media[CALL_MAX_MEDIA];
	struct media *by_line[CALL_MAX_MEDIA];
	for (unsigned int i = 0; i < CALL_MAX_MEDIA; i++)
		by_line[i] = &media[i];
	for (unsigned int b = 0; b < bundle.count; b++)
		if (bundle.lines[b] >= session->media->len || sdp_bundle_owner_line(&bundle, bundle.lines[b]) < 0)
			abort();
	if (session->media->len <= CALL_MAX_MEDIA) {
		struct bundle_group *group = bundle_group_build(session, &bundle, by_line, NULL, 0, true);
		if (group && (group->demux.media_count != bundle.count || group->demux.ssrc_count > BUNDLE_MAX_SSRCS))
			abort();
		bundle_group_free(group);
		if (bundle.count && sdp_free_extension_id(session, &bundle) > 14)
			abort();
	}
	sdp_session_free(session);
	return 0;
}
