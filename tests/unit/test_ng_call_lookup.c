/* The call and side lookup that ng commands share (daemon/ng_call_lookup.c): each way a
 * request can name a call and a side, the error code and 10.5's reason text for each, and
 * that the outputs stay untouched on failure. */
#include <errno.h>
#include <glib.h>

#include "call.h"
#include "call_lifecycle.h"
#include "log.h"
#include "ng_call_lookup.h"

static struct call *call;
static struct monologue *caller, *callee;

static struct ng_request request_for(const char *call_id, const char *from_tag)
{
	struct ng_request request = { 0 };
	request.flags.call_id = call_id;
	request.flags.from_tag = from_tag;
	return request;
}

static void test_call(void)
{
	struct call *found = NULL;
	struct ng_request request = request_for(NULL, NULL);
	g_assert_cmpint(ng_lookup_call(&request, &found), ==, -EINVAL);
	g_assert_cmpstr(request.error_reason, ==, "No call-id in message");
	g_assert_null(found);
	request = request_for("no-such-call", NULL);
	g_assert_cmpint(ng_lookup_call(&request, &found), ==, -ENOENT);
	g_assert_cmpstr(request.error_reason, ==, "Unknown call-id");
	g_assert_null(found);
	request = request_for("lookup-call", "no-such-tag");   /* the tag is not looked at */
	g_assert_cmpint(ng_lookup_call(&request, &found), ==, 0);
	g_assert_null(request.error_reason);
	g_assert_true(found == call);
}

static void test_side_rules(void)
{
	static const enum ng_side_rule rules[] = { NG_SIDE_REQUIRED, NG_SIDE_OPTIONAL, NG_SIDE_FIRST };
	for (unsigned int i = 0; i < G_N_ELEMENTS(rules); i++) {
		struct call *found = NULL;
		struct monologue *side = NULL;
		/* the call's errors come first, whatever the rule */
		struct ng_request request = request_for("no-such-call", "callee");
		g_assert_cmpint(ng_lookup_call_side(&request, rules[i], &found, &side), ==, -ENOENT);
		g_assert_cmpstr(request.error_reason, ==, "Unknown call-id");
		request = request_for(NULL, "callee");
		g_assert_cmpint(ng_lookup_call_side(&request, rules[i], &found, &side), ==, -EINVAL);
		/* a from-tag names its side under every rule, or is unknown */
		request = request_for("lookup-call", "callee");
		g_assert_cmpint(ng_lookup_call_side(&request, rules[i], &found, &side), ==, 0);
		g_assert_true(found == call && side == callee);
		found = NULL;
		side = NULL;
		request = request_for("lookup-call", "no-such-tag");
		g_assert_cmpint(ng_lookup_call_side(&request, rules[i], &found, &side), ==, -ENOENT);
		g_assert_cmpstr(request.error_reason, ==, "Unknown from-tag");
		g_assert_null(found);
		g_assert_null(side);
	}
}

static void test_missing_tag(void)
{
	struct call *found = NULL;
	struct monologue *side = callee;
	struct ng_request request = request_for("lookup-call", NULL);
	g_assert_cmpint(ng_lookup_call_side(&request, NG_SIDE_REQUIRED, &found, &side), ==, -ENOENT);
	g_assert_cmpstr(request.error_reason, ==, "Unknown from-tag");
	g_assert_null(found);
	request = request_for("lookup-call", NULL);
	g_assert_cmpint(ng_lookup_call_side(&request, NG_SIDE_OPTIONAL, &found, &side), ==, 0);
	g_assert_true(found == call);
	g_assert_null(side);   /* the whole call */
	request = request_for("lookup-call", NULL);
	g_assert_cmpint(ng_lookup_call_side(&request, NG_SIDE_FIRST, &found, &side), ==, 0);
	g_assert_true(side == caller);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	struct log_settings logging = { .level = LOG_WARNING, .facility = LOG_DAEMON, .to_stderr = true };
	log_init("rtpengine", &logging);
	call_registry_init();
	call_lifecycle_reset();
	call = call_start("lookup-call", NULL);
	caller = call_add_monologue(call, "caller");
	callee = call_add_monologue(call, "callee");
	g_test_add_func("/ng_call_lookup/call", test_call);
	g_test_add_func("/ng_call_lookup/side_rules", test_side_rules);
	g_test_add_func("/ng_call_lookup/missing_tag", test_missing_tag);
	int result = g_test_run();
	call_end(call, CALL_END_DELETE);
	return result;
}
