/* Fuzz target for the ICE SDP attributes (ice_candidates.c): the input is parsed as one
 * a=candidate value (length-bounded, no NUL needed) and as a whole SDP whose every media is
 * read with ice_remote_from_sdp(); what parses must hold its invariants. */
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
	sdp_session_free(session);
	return 0;
}
