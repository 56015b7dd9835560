/* The call and the side (monologue) an ng command names, with the error reasons upstream 10.5
 * answers when they are missing or unknown: one lookup for query, answer, the media control
 * commands, play DTMF, play/stop media and the recording commands.
 *
 * Threads: control thread only. Calls belong to it (call.h), so the call is found and
 * returned without its lock; a caller that changes what the worker reads locks as before. */
#ifndef RTPENGINE_NG_CALL_LOOKUP_H
#define RTPENGINE_NG_CALL_LOOKUP_H

#include "ng_request.h"

struct call;
struct monologue;

/* What a missing from-tag means to a command. */
enum ng_side_rule {
	NG_SIDE_REQUIRED,        /* the from-tag must name a side: none is "Unknown from-tag" */
	NG_SIDE_OPTIONAL,        /* no from-tag: no side (the whole call) */
	NG_SIDE_FIRST,           /* no from-tag: the call's first side */
};

/* The call the request's call-id names. Returns 0, or -EINVAL ("No call-id in message") or
 * -ENOENT ("Unknown call-id") with request->error_reason set and *call_out untouched. */
int ng_lookup_call(struct ng_request *request, struct call **call_out);

/* The call as ng_lookup_call(), then the side the from-tag names as rule says. Returns 0, or
 * the errors above, or -ENOENT ("Unknown from-tag"); the outputs are set only on success. */
int ng_lookup_call_side(struct ng_request *request, enum ng_side_rule rule, struct call **call_out,
			struct monologue **side_out);

#endif
