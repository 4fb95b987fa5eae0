/*
 * test_api_request.c: validation of the unsafe requests' bodies (Patroni's
 * order, codes and messages), its ISO 8601 and version parsers, and the deep
 * copy of snapshots.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "api/api_request.h"
#include "api_fixture.h"

#define NOW_EPOCH_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

struct outcome {
	int status;
	char msg[256];
	struct api_request req;
};

/* parse: body NULL means "no Content-Length"; the request is freed by the caller. */
static void parse(enum api_op op, const char *body, bool paused, struct outcome *out)
{
	struct api_request_input in = {.op = op,
	                               .body = body,
	                               .body_len = body != NULL ? strlen(body) : 0,
	                               .paused = paused,
	                               .now_epoch_ms = NOW_EPOCH_MS};

	out->status = api_request_parse(&in, &out->req, out->msg, sizeof(out->msg));
}

static void expect_refused(enum api_op op, const char *body, bool paused, int status,
                           const char *msg)
{
	struct outcome o;

	parse(op, body, paused, &o);
	if (o.status != status)
		print_error("%s %s: got %d (%s)\n", api_op_str(op), body ? body : "(none)",
		            o.status, o.msg);
	assert_int_equal(o.status, status);
	if (msg != NULL)
		assert_string_equal(o.msg, msg);
	assert_null(o.req.config);
}

static void test_switchover(void **state)
{
	struct outcome o;

	(void)state;
	parse(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"candidate\":\"pg2\"}", false, &o);
	assert_int_equal(o.status, 0);
	assert_int_equal(o.req.op, API_OP_SWITCHOVER);
	assert_string_equal(o.req.leader, "pg1");
	assert_string_equal(o.req.candidate, "pg2");
	assert_string_equal(o.req.scheduled_at, "");
	assert_int_equal(o.req.scheduled_at_epoch_ms, 0);

	/* "member" is an alias of "candidate"; null and "" count as absent. */
	parse(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"candidate\":null,\"member\":\"pg3\"}",
	      false, &o);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.req.candidate, "pg3");
	parse(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"candidate\":\"\",\"member\":\"pg3\"}",
	      false, &o);
	assert_string_equal(o.req.candidate, "pg3");
	parse(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"unknown\":[1]}", false, &o);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.req.candidate, "");

	parse(API_OP_SWITCHOVER,
	      "{\"leader\":\"pg1\",\"scheduled_at\":\"2026-01-01T02:00:00.250+01:00\"}", false, &o);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.req.scheduled_at, "2026-01-01T02:00:00.250+01:00");
	assert_int_equal(o.req.scheduled_at_epoch_ms, NOW_EPOCH_MS + 3600 * 1000 + 250);

	expect_refused(API_OP_SWITCHOVER, "{\"candidate\":\"pg2\"}", false, 400,
	               "Switchover could be performed only from a specific leader");
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"candidate\":\"pg1\"}", false, 400,
	               "Switchover target and source are the same");
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":\"pg1\"}", true, 400,
	               "Switchover is possible only to a specific candidate in a paused state");
	parse(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"candidate\":\"pg2\"}", true, &o);
	assert_int_equal(o.status, 0);
	expect_refused(API_OP_SWITCHOVER,
	               "{\"leader\":\"pg1\",\"candidate\":\"pg2\","
	               "\"scheduled_at\":\"2030-01-01T00:00:00Z\"}",
	               true, 400, "Can't schedule switchover in the paused state");
	expect_refused(API_OP_SWITCHOVER,
	               "{\"leader\":\"pg1\",\"scheduled_at\":\"2030-01-01T00:00:00\"}", false, 400,
	               "Timezone information is mandatory for the scheduled switchover");
	expect_refused(API_OP_SWITCHOVER,
	               "{\"leader\":\"pg1\",\"scheduled_at\":\"2025-12-31T23:59:59Z\"}", false, 422,
	               "Cannot schedule switchover in the past");
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"scheduled_at\":\"tomorrow\"}",
	               false, 422, NULL);
	/* Wrong types and sizes are the client's error, not a crash or a silent drop. */
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":1}", false, 400,
	               "\"leader\" must be a string");
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"candidate\":{}}", false, 400,
	               NULL);
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":\"pg1\",\"scheduled_at\":5}", false, 400,
	               NULL);
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":\"pg1\\nINFO: forged log line\"}", false,
	               400, "\"leader\" has control characters");
	expect_refused(
	    API_OP_SWITCHOVER,
	    "{\"leader\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	    false, 400, "\"leader\" is too long");
}

static void test_failover(void **state)
{
	struct outcome o;

	(void)state;
	parse(API_OP_FAILOVER, "{\"candidate\":\"pg2\"}", false, &o);
	assert_int_equal(o.status, 0);
	assert_int_equal(o.req.op, API_OP_FAILOVER);
	assert_string_equal(o.req.candidate, "pg2");
	/* With a leader it is a switchover, as in Patroni. */
	parse(API_OP_FAILOVER, "{\"candidate\":\"pg2\",\"leader\":\"pg1\"}", false, &o);
	assert_int_equal(o.status, 0);
	assert_int_equal(o.req.op, API_OP_SWITCHOVER);
	expect_refused(API_OP_FAILOVER, "{\"leader\":\"pg1\"}", false, 400,
	               "Failover could be performed only to a specific candidate");
	expect_refused(API_OP_FAILOVER,
	               "{\"candidate\":\"pg2\",\"scheduled_at\":\"2030-01-01T00:00:00Z\"}", false,
	               400, "Failover can't be scheduled");
	expect_refused(API_OP_FAILOVER, "{\"candidate\":\"pg1\",\"leader\":\"pg1\"}", false, 400,
	               "Switchover target and source are the same");
}

static void test_bodies(void **state)
{
	struct outcome o;

	(void)state;
	/* Required bodies: 411 without Content-Length, 400 when empty, invalid or not {...}. */
	expect_refused(API_OP_SWITCHOVER, NULL, false, 411, NULL);
	expect_refused(API_OP_CONFIG_PATCH, NULL, false, 411, NULL);
	expect_refused(API_OP_SWITCHOVER, "", false, 400, NULL);
	expect_refused(API_OP_SWITCHOVER, "{}", false, 400,
	               "the body must be a non-empty JSON object");
	expect_refused(API_OP_SWITCHOVER, "[\"leader\"]", false, 400, NULL);
	expect_refused(API_OP_SWITCHOVER, "\"leader\"", false, 400, NULL);
	expect_refused(API_OP_SWITCHOVER, "{\"leader\":\"pg1\"} trailing", false, 400, NULL);
	expect_refused(API_OP_CONFIG_PUT, "{\"ttl\":", false, 400, NULL);
	expect_refused(API_OP_CONFIG_PUT, "{}", false, 400, NULL);
	parse(API_OP_CONFIG_PATCH, "{\"pause\":true,\"postgresql\":{\"parameters\":null}}", false,
	      &o);
	assert_int_equal(o.status, 0);
	assert_true(json_is_true(json_object_get(o.req.config, "pause")));
	assert_true(json_is_null(
	    json_object_get(json_object_get(o.req.config, "postgresql"), "parameters")));
	api_request_free(&o.req);
	assert_null(o.req.config);
	/* Operations that take no body ignore whatever is sent. */
	parse(API_OP_RELOAD, "garbage", false, &o);
	assert_int_equal(o.status, 0);
	parse(API_OP_SWITCHOVER_CANCEL, NULL, false, &o);
	assert_int_equal(o.status, 0);
	parse(API_OP_RESTART_CANCEL, "[]", false, &o);
	assert_int_equal(o.status, 0);
}

static void test_restart(void **state)
{
	struct outcome o;

	(void)state;
	/* Optional body: absent, empty and {} are all "restart now, no filter". */
	parse(API_OP_RESTART, NULL, false, &o);
	assert_int_equal(o.status, 0);
	parse(API_OP_RESTART, "", false, &o);
	assert_int_equal(o.status, 0);
	parse(API_OP_RESTART, "{}", false, &o);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.req.role, "");
	assert_int_equal(o.req.postgres_version, 0);
	assert_false(o.req.restart_pending);

	parse(API_OP_RESTART,
	      "{\"restart_pending\":true,\"role\":\"master\",\"postgres_version\":\"15.4\","
	      "\"timeout\":\"2min\",\"schedule\":\"2026-06-01 10:00+02\"}",
	      false, &o);
	assert_int_equal(o.status, 0);
	assert_true(o.req.restart_pending);
	assert_string_equal(o.req.role, "primary");
	assert_int_equal(o.req.postgres_version, 150004);
	assert_int_equal(o.req.timeout_s, 120);
	assert_int_equal(o.req.scheduled_at_epoch_ms, 1780300800000LL);
	parse(API_OP_RESTART, "{\"timeout\":30,\"role\":\"standby_leader\"}", false, &o);
	assert_int_equal(o.req.timeout_s, 30);
	assert_string_equal(o.req.role, "standby_leader");
	parse(API_OP_RESTART, "{\"timeout\":\"1500ms\",\"restart_pending\":\"on\"}", false, &o);
	assert_int_equal(o.req.timeout_s, 2);
	assert_true(o.req.restart_pending);

	expect_refused(API_OP_RESTART, "[]", false, 400, NULL);
	expect_refused(API_OP_RESTART, "{\"role\":\"leader\"}", false, 400,
	               "PostgreSQL role should be either primary, standby_leader, or replica");
	expect_refused(API_OP_RESTART, "{\"role\":1}", false, 400, NULL);
	expect_refused(API_OP_RESTART, "{\"postgres_version\":\"9.6\"}", false, 400, NULL);
	expect_refused(API_OP_RESTART, "{\"postgres_version\":15}", false, 400, NULL);
	expect_refused(API_OP_RESTART, "{\"timeout\":0}", false, 400,
	               "Timeout should be a positive number of seconds");
	expect_refused(API_OP_RESTART, "{\"timeout\":\"10 parsecs\"}", false, 400, NULL);
	expect_refused(API_OP_RESTART, "{\"timeout\":true}", false, 400, NULL);
	/* Values that overflow are refused, never wrapped (issue 9). */
	{
		static const char *const huge[] = {
		    "{\"timeout\":\"99999999999999999999\"}",
		    "{\"timeout\":\"-9223372036854775808\"}",
		    "{\"timeout\":\"9223372036854775807ms\"}",
		    "{\"timeout\":\"2000000d\"}",
		    "{\"timeout\":\"3000000h\"}",
		    "{\"timeout\":\"2147483648\"}",
		    "{\"timeout\":9999999999}",
		    "{\"timeout\":\"106752d\"}",
		};

		for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++)
			expect_refused(API_OP_RESTART, huge[i], false, 400,
			               "Timeout should be a positive number of seconds");
	}
	parse(API_OP_RESTART, "{\"timeout\":\"2147483647\"}", false, &o);
	assert_int_equal(o.req.timeout_s, INT32_MAX);
	api_request_free(&o.req);
	parse(API_OP_RESTART, "{\"timeout\":\"24855d\"}", false, &o);
	assert_int_equal(o.req.timeout_s, 24855 * 86400);
	api_request_free(&o.req);
	expect_refused(API_OP_RESTART, "{\"restart_pending\":\"perhaps\"}", false, 400, NULL);
	expect_refused(API_OP_RESTART, "{\"reason\":\"x\"}", false, 400,
	               "Unknown filter for the scheduled restart: reason");
	expect_refused(API_OP_RESTART, "{\"schedule\":\"2026-06-01T10:00:00\"}", false, 400,
	               "Timezone information is mandatory for the scheduled restart");
	expect_refused(API_OP_RESTART, "{\"schedule\":\"2020-06-01T10:00:00Z\"}", false, 422,
	               "Cannot schedule restart in the past");
	expect_refused(API_OP_RESTART, "{\"schedule\":null}", false, 422, NULL);
	expect_refused(API_OP_RESTART, "{\"schedule\":\"2030-06-01T10:00:00Z\"}", true, 500,
	               "Can't schedule restart in the paused state");
	/* The first bad key in the order sent is the one reported. */
	expect_refused(API_OP_RESTART, "{\"zzz\":1,\"role\":\"x\"}", false, 400,
	               "Unknown filter for the scheduled restart: zzz");
}

static void test_reinitialize(void **state)
{
	struct outcome o;

	(void)state;
	parse(API_OP_REINITIALIZE, NULL, false, &o);
	assert_int_equal(o.status, 0);
	assert_false(o.req.force || o.req.from_leader);
	parse(API_OP_REINITIALIZE, "{\"force\":true,\"from_leader\":\"yes\"}", false, &o);
	assert_int_equal(o.status, 0);
	assert_true(o.req.force && o.req.from_leader);
	parse(API_OP_REINITIALIZE, "{\"force\":0,\"from_leader\":null}", false, &o);
	assert_false(o.req.force || o.req.from_leader);
	expect_refused(API_OP_REINITIALIZE, "{\"force\":\"sure\"}", false, 400,
	               "\"force\" must be a boolean");
	expect_refused(API_OP_REINITIALIZE, "{\"force\":2}", false, 400, NULL);
	expect_refused(API_OP_REINITIALIZE, "true", false, 400, NULL);
}

static void test_pg_versions(void **state)
{
	(void)state;
	assert_int_equal(api_parse_pg_version("15.2"), 150002);
	assert_int_equal(api_parse_pg_version("16.10"), 160010);
	assert_int_equal(api_parse_pg_version("9.6.24"), 90624);
	assert_int_equal(api_parse_pg_version("10.0.1"), 100001);
	assert_int_equal(api_parse_pg_version("9.6"), -1);
	assert_int_equal(api_parse_pg_version("15"), -1);
	assert_int_equal(api_parse_pg_version("15.2.1.1"), -1);
	assert_int_equal(api_parse_pg_version("15.x"), -1);
	assert_int_equal(api_parse_pg_version("15."), -1);
	assert_int_equal(api_parse_pg_version(".2"), -1);
	assert_int_equal(api_parse_pg_version("15.100"), -1);
	assert_int_equal(api_parse_pg_version("99999999999999999999.1"), -1);
	assert_int_equal(api_parse_pg_version(""), -1);
}

static void test_op_names(void **state)
{
	(void)state;
	assert_string_equal(api_op_str(API_OP_SWITCHOVER), "switchover");
	assert_string_equal(api_op_str(API_OP_CONFIG_PUT), "config-put");
	assert_string_equal(api_op_str(API_OP__COUNT), "unknown");
	for (int op = 0; op < API_OP__COUNT; op++)
		assert_string_not_equal(api_op_str((enum api_op)op), "unknown");
}

static void test_snapshot_copy_is_deep(void **state)
{
	struct api_snapshot src;
	struct api_snapshot dst;

	(void)state;
	fix_leader(&src, FIX_NOW_MS);
	api_snapshot_copy(&dst, &src);
	assert_ptr_not_equal(dst.tags_json, src.tags_json);
	assert_ptr_not_equal(dst.view.config_json, src.view.config_json);
	assert_ptr_not_equal(dst.view.history_json, src.view.history_json);
	assert_string_equal(dst.view.config_json, src.view.config_json);
	assert_string_equal(dst.view.members[1].name, "pg2");
	assert_int_equal(dst.leader_valid_until_ms, src.leader_valid_until_ms);
	/* Freeing the source leaves the copy intact (ASan/valgrind would catch a share). */
	api_snapshot_free(&src);
	assert_null(src.tags_json);
	assert_string_equal(dst.tags_json, "{\"clonefrom\":true,\"zone\":\"a\"}");
	assert_string_equal(dst.view.history_json, "[[1,25623960,\"no recovery target specified\","
	                                           "\"2019-09-23T16:57:57+02:00\",\"pg2\"]]");
	api_snapshot_free(&dst);
	/* NULL owned parts copy as NULL. */
	memset(&src, 0, sizeof(src));
	api_snapshot_copy(&dst, &src);
	assert_null(dst.tags_json);
	assert_null(dst.view.config_json);
	api_snapshot_free(&dst);
}

/* fs_parse: a POST /failsafe body (NULL: no Content-Length). */
static void fs_parse(const char *body, struct api_failsafe_post *p)
{
	api_failsafe_parse(body, body != NULL ? strlen(body) : 0, p);
}

/* POST /failsafe bodies: Patroni's (no Content-Type, "slots"), pgha's (+ "timeline"), bad. */
static void test_failsafe_bodies(void **state)
{
	struct api_failsafe_post p;

	(void)state;
	fs_parse("{\"name\":\"pg1\",\"conn_url\":\"postgres://10.0.0.1:5432/postgres\","
	         "\"api_url\":\"http://10.0.0.1:8008/patroni\",\"slots\":{\"pg1\":50331648}}",
	         &p);
	assert_int_equal(p.parse_status, 0);
	assert_string_equal(p.name, "pg1");
	assert_string_equal(p.conn_url, "postgres://10.0.0.1:5432/postgres");
	assert_string_equal(p.api_url, "http://10.0.0.1:8008/patroni");
	assert_int_equal(p.timeline, 0); /* Patroni sends none */
	fs_parse("{\"name\":\"n1\",\"conn_url\":\"c\",\"api_url\":\"a\",\"timeline\":3}", &p);
	assert_int_equal(p.parse_status, 0);
	assert_int_equal(p.timeline, 3);
	fs_parse(NULL, &p);
	assert_int_equal(p.parse_status, 411);
	fs_parse("", &p);
	assert_int_equal(p.parse_status, 400);
	fs_parse("{}", &p);
	assert_int_equal(p.parse_status, 400);
	fs_parse("[1]", &p);
	assert_int_equal(p.parse_status, 400);
	fs_parse("{\"name\":\"n1\",\"conn_url\":\"c\"}", &p);
	assert_int_equal(p.parse_status, 400);
	assert_string_equal(p.why, "\"api_url\" is missing");
	fs_parse("{\"name\":7,\"conn_url\":\"c\",\"api_url\":\"a\"}", &p);
	assert_int_equal(p.parse_status, 400);
	assert_string_equal(p.why, "\"name\" must be a string");
	fs_parse("{\"name\":\"a\\nb\",\"conn_url\":\"c\",\"api_url\":\"a\"}", &p);
	assert_int_equal(p.parse_status, 400);
	fs_parse("{\"name\":\"n1\",\"conn_url\":\"c\",\"api_url\":\"a\",\"timeline\":\"x\"}", &p);
	assert_int_equal(p.parse_status, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_failsafe_bodies),
	    cmocka_unit_test(test_switchover),
	    cmocka_unit_test(test_failover),
	    cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_restart),
	    cmocka_unit_test(test_reinitialize),
	    cmocka_unit_test(test_pg_versions),
	    cmocka_unit_test(test_op_names),
	    cmocka_unit_test(test_snapshot_copy_is_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
