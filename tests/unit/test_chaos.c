/*
 * test_chaos.c: the pure parts of `pgha chaos`: option parsing, event ordering, the
 * median, lost-id counting, the one-writer verdict, the health verdict, the judgement
 * and both renderings of the report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chaos/chaos_args.h"
#include "chaos/chaos_report.h"
#include "chaos/chaos_timeline.h"
#include "chaos/chaos_verify.h"
#include "util/buf.h"

static enum args_result parse(struct chaos_args *a, char *err, size_t errlen, int argc,
                              const char **argv)
{
	return chaos_args_parse(argc, (char **)(uintptr_t)argv, a, err, errlen);
}

static void test_args(void **state)
{
	struct chaos_args a;
	char err[256];
	const char *ok[] = {"chaos",  "--dir",        "/x",        "--scenario", "freeze-primary",
	                    "--json", "--no-restart", "--timeout", "45"};
	const char *no_scenario[] = {"chaos", "--dir", "/x"};
	const char *bad[] = {"chaos", "--scenario", "kill-everything"};
	const char *bad_timeout[] = {"chaos", "--scenario", "switchover", "--timeout", "0"};
	const char *unknown[] = {"chaos", "--scenario", "switchover", "--fast"};
	const char *help[] = {"chaos", "--help"};
	const char *dflt[] = {"chaos", "--scenario", "kill-primary"};

	(void)state;
	assert_int_equal(parse(&a, err, sizeof(err), 9, ok), ARGS_OK);
	assert_string_equal(a.dir, "/x");
	assert_int_equal(a.scenario, CHAOS_FREEZE_PRIMARY);
	assert_true(a.json);
	assert_true(a.no_restart);
	assert_int_equal(a.timeout_s, 45);
	assert_int_equal(parse(&a, err, sizeof(err), 3, dflt), ARGS_OK);
	assert_string_equal(a.dir, "pgha-lab");
	assert_int_equal(a.timeout_s, CHAOS_DEFAULT_TIMEOUT_S);
	assert_false(a.json || a.no_restart);
	assert_int_equal(parse(&a, err, sizeof(err), 3, no_scenario), ARGS_ERROR);
	assert_non_null(strstr(err, "--scenario is required"));
	assert_int_equal(parse(&a, err, sizeof(err), 3, bad), ARGS_ERROR);
	assert_non_null(strstr(err, "unknown scenario 'kill-everything'"));
	assert_int_equal(parse(&a, err, sizeof(err), 5, bad_timeout), ARGS_ERROR);
	assert_int_equal(parse(&a, err, sizeof(err), 4, unknown), ARGS_ERROR);
	assert_non_null(strstr(err, "--fast"));
	assert_int_equal(parse(&a, err, sizeof(err), 2, help), ARGS_HELP);
}

static void test_scenario_names(void **state)
{
	(void)state;
	for (int i = 0; i < CHAOS__COUNT; i++) {
		enum chaos_scenario s;

		assert_true(chaos_scenario_parse(chaos_scenario_str((enum chaos_scenario)i), &s));
		assert_int_equal(s, i);
	}
	assert_string_equal(chaos_scenario_str(CHAOS_KILL_PRIMARY), "kill-primary");
	assert_string_equal(chaos_scenario_str(CHAOS_SWITCHOVER), "switchover");
}

static void test_timeline_order(void **state)
{
	struct chaos_timeline tl;
	struct chaos_event *ev;
	int n;

	(void)state;
	chaos_timeline_init(&tl);
	chaos_timeline_add(&tl, 300, "c");
	chaos_timeline_add(&tl, 100, "a");
	chaos_timeline_add(&tl, 300, "d"); /* same time: arrival order kept */
	chaos_timeline_add(&tl, 200, "b %d", 2);
	ev = chaos_timeline_copy(&tl, &n);
	assert_int_equal(n, 4);
	assert_string_equal(ev[0].text, "a");
	assert_string_equal(ev[1].text, "b 2");
	assert_string_equal(ev[2].text, "c");
	assert_string_equal(ev[3].text, "d");
	free(ev);
	chaos_timeline_deinit(&tl);
}

static void test_median(void **state)
{
	double odd[] = {3.0, 1.0, 2.0};
	double even[] = {4.0, 1.0, 3.0, 2.0};

	(void)state;
	assert_true(chaos_median(odd, 3) == 2.0);
	assert_true(chaos_median(even, 4) == 2.5);
	assert_true(chaos_median(NULL, 0) == 0.0);
}

static void test_count_missing(void **state)
{
	int64_t acked[] = {1, 2, 3, 5, 8};
	int64_t present[] = {1, 3, 4, 5, 6, 7}; /* 4, 6, 7: unacknowledged but committed */

	(void)state;
	assert_int_equal(chaos_count_missing(acked, 5, present, 6), 2); /* 2 and 8 */
	assert_int_equal(chaos_count_missing(acked, 5, acked, 5), 0);
	assert_int_equal(chaos_count_missing(acked, 5, NULL, 0), 5);
	assert_int_equal(chaos_count_missing(NULL, 0, present, 6), 0);
}

#define S(node, sent, t, acked)              \
	{                                    \
		(node), (sent), (t), (acked) \
	}

static void test_split_brain(void **state)
{
	const char *names[] = {"node1", "node2"};
	char detail[256];
	/* node1 writable, then node2 after node1's last ack: a clean hand-over */
	const struct chaos_sample clean[] = {
	    S(0, 0, 10, true),    S(1, 0, 10, false),   S(0, 100, 110, true),
	    S(0, 200, 210, true), S(1, 205, 215, true), S(0, 300, 1500, false),
	    S(1, 300, 310, true), S(1, 400, 410, true),
	};
	/* node1 resumes and acknowledges while node2 certainly does */
	const struct chaos_sample split[] = {
	    S(0, 0, 10, true),    S(0, 100, 110, true), S(0, 200, 1700, false),
	    S(1, 300, 310, true), S(1, 400, 410, true), S(1, 500, 510, true),
	    S(0, 420, 430, true), S(1, 600, 610, true),
	};
	/* a single ack outside the other's certain span is not proof */
	const struct chaos_sample edge[] = {
	    S(0, 0, 10, true),
	    S(0, 100, 320, true),
	    S(1, 300, 310, true),
	    S(1, 400, 410, true),
	};

	(void)state;
	assert_false(chaos_split_brain(clean, 8, names, 0, detail, sizeof(detail)));
	assert_true(chaos_split_brain(split, 8, names, 0, detail, sizeof(detail)));
	assert_non_null(strstr(detail, "node1 acknowledged a commit"));
	assert_non_null(strstr(detail, "while node2"));
	assert_false(chaos_split_brain(edge, 4, names, 0, detail, sizeof(detail)));
	assert_false(chaos_split_brain(NULL, 0, names, 0, detail, sizeof(detail)));
}

static struct chaos_node_obs node(const char *name, const char *role, int tl, bool streaming)
{
	struct chaos_node_obs n = {.answered = true, .timeline = tl};

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.role, sizeof(n.role), "%s", role);
	snprintf(n.state, sizeof(n.state), "running");
	n.has_replication_state = strcmp(role, "primary") != 0;
	n.streaming = streaming;
	return n;
}

static void test_healthy(void **state)
{
	struct chaos_cluster_obs o = {.dcs_ok = true, .has_leader = true, .has_sync = true, .n = 3};
	char why[256];

	(void)state;
	snprintf(o.leader, sizeof(o.leader), "node2");
	snprintf(o.sync_leader, sizeof(o.sync_leader), "node2");
	snprintf(o.sync_standby, sizeof(o.sync_standby), "node1");
	o.nodes[0] = node("node1", "replica", 3, true);
	o.nodes[1] = node("node2", "primary", 3, false);
	o.nodes[2] = node("node3", "replica", 3, true);
	assert_true(chaos_healthy(&o, why, sizeof(why)));
	o.nodes[2].timeline = 2; /* not yet on the new timeline */
	assert_false(chaos_healthy(&o, why, sizeof(why)));
	assert_non_null(strstr(why, "node3: timeline 2"));
	o.nodes[2].timeline = 3;
	o.nodes[2].streaming = false;
	assert_false(chaos_healthy(&o, why, sizeof(why)));
	o.nodes[2].has_replication_state = false; /* Patroni 3.0.2 does not report it */
	assert_true(chaos_healthy(&o, why, sizeof(why)));
	snprintf(o.sync_standby, sizeof(o.sync_standby), "node2");
	assert_false(chaos_healthy(&o, why, sizeof(why)));
	assert_non_null(strstr(why, "sync key"));
	o.has_sync = false; /* asynchronous cluster */
	assert_true(chaos_healthy(&o, why, sizeof(why)));
	o.has_leader = false;
	assert_false(chaos_healthy(&o, why, sizeof(why)));
	assert_string_equal(why, "no leader");
}

static void fill_result(struct chaos_result *r, const struct chaos_event *ev, int n)
{
	memset(r, 0, sizeof(*r));
	r->scenario = CHAOS_KILL_PRIMARY;
	snprintf(r->victim, sizeof(r->victim), "node1");
	snprintf(r->new_leader, sizeof(r->new_leader), "node2");
	r->t0_us = 1000000;
	r->downtime_s = 2.76;
	r->acked = 18233;
	r->errors = 12;
	r->verified = true;
	r->restart = true;
	r->rejoined = true;
	r->rejoin_s = 9.8;
	r->timeout_s = 30;
	r->events = ev;
	r->n_events = n;
}

static void test_report(void **state)
{
	const struct chaos_event ev[] = {{1000000, "fault: kill-primary node1"},
	                                 {3410000, "leader key gone"},
	                                 {3760000, "first acknowledged write"}};
	struct chaos_result r;
	struct buf text;
	char *js;
	json_t *j;

	(void)state;
	fill_result(&r, ev, 3);
	assert_true(chaos_result_judge(&r));
	buf_init(&text);
	chaos_report_text(&r, &text);
	assert_non_null(strstr(text.data, "T+0.00s  fault: kill-primary node1\n"));
	assert_non_null(strstr(text.data, "T+2.41s  leader key gone\n"));
	assert_non_null(strstr(text.data, "acked 18233, lost 0, downtime 2.76 s"));
	buf_free(&text);
	js = chaos_report_json(&r);
	j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "scenario")), "kill-primary");
	assert_string_equal(json_string_value(json_object_get(j, "victim")), "node1");
	assert_string_equal(json_string_value(json_object_get(j, "new_leader")), "node2");
	assert_true(json_real_value(json_object_get(j, "downtime_s")) == 2.76);
	assert_int_equal(json_integer_value(json_object_get(j, "acked")), 18233);
	assert_int_equal(json_integer_value(json_object_get(j, "lost_acked")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "errors")), 12);
	assert_true(json_is_true(json_object_get(j, "rejoined")));
	assert_true(json_real_value(json_object_get(j, "rejoin_s")) == 9.8);
	assert_int_equal(json_array_size(json_object_get(j, "timeline")), 3);
	assert_true(json_real_value(json_object_get(
	                json_array_get(json_object_get(j, "timeline"), 1), "t")) == 2.41);
	json_decref(j);
	free(js);
}

static void test_judge(void **state)
{
	struct chaos_result r;
	struct buf text;

	(void)state;
	fill_result(&r, NULL, 0);
	r.lost_acked = 3;
	r.split_brain = true;
	snprintf(r.split_detail, sizeof(r.split_detail), "node1 and node2");
	r.rejoined = false;
	r.rejoin_s = -1;
	assert_false(chaos_result_judge(&r));
	assert_int_equal(r.n_problems, 3);
	assert_non_null(strstr(r.problems[0], "3 acknowledged writes were lost"));
	assert_non_null(strstr(r.problems[1], "more than one writable primary"));
	assert_non_null(strstr(r.problems[2], "did not heal"));
	buf_init(&text);
	chaos_report_text(&r, &text);
	assert_non_null(strstr(text.data, "FAILED: 3 acknowledged writes were lost"));
	buf_free(&text);
	fill_result(&r, NULL, 0);
	r.restart = false; /* --no-restart: no rejoin expected */
	r.rejoined = false;
	assert_true(chaos_result_judge(&r));
	r.downtime_s = -1;
	assert_false(chaos_result_judge(&r));
	assert_non_null(strstr(r.problems[0], "within 30 s"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args),           cmocka_unit_test(test_scenario_names),
	    cmocka_unit_test(test_timeline_order), cmocka_unit_test(test_median),
	    cmocka_unit_test(test_count_missing),  cmocka_unit_test(test_split_brain),
	    cmocka_unit_test(test_healthy),        cmocka_unit_test(test_report),
	    cmocka_unit_test(test_judge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
