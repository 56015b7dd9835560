/* The call and side an ng command names (ng_call_lookup.h). The reason texts are 10.5's, word
 * for word: the e2e tests compare our error replies with its. */
#include "ng_call_lookup.h"

#include <errno.h>
#include "call.h"

int ng_lookup_call(struct ng_request *request, struct call **call_out)
{
	const char *call_id = request->flags.call_id;
	if (!call_id) {
		request->error_reason = "No call-id in message";
		return -EINVAL;
	}
	struct call *call = call_lookup(call_id);
	if (!call) {
		request->error_reason = "Unknown call-id";
		return -ENOENT;
	}
	*call_out = call;
	return 0;
}

int ng_lookup_call_side(struct ng_request *request, enum ng_side_rule rule, struct call **call_out,
			struct monologue **side_out)
{
	struct call *call;
	int error = ng_lookup_call(request, &call);
	if (error < 0)
		return error;
	const char *tag = request->flags.from_tag;
	struct monologue *side = NULL;
	if (tag)
		side = call_find_monologue(call, tag);
	else if (rule == NG_SIDE_FIRST && call->monologue_count)
		side = call->monologues[0];
	if (!side && (tag || rule != NG_SIDE_OPTIONAL)) {
		request->error_reason = "Unknown from-tag";
		return -ENOENT;
	}
	*call_out = call;
	*side_out = side;
	return 0;
}
