/*
 * test_chaos.c: the pure parts of `pgha chaos`: option parsing, event ordering, the
 * median, lost-id counting, the one-writer verdict, the isolated primary's late acks,
 * the health verdict, etcd's raft leader and the victims chosen, the nftables ruleset
 * of a cut, the judgement and both renderings of the report.
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
#include "chaos/chaos_etcd.h"
#include "chaos/chaos_net.h"
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

static void test_args_faults(void **state)
{
	struct chaos_args a;
	char err[256];
	const char *stall[] = {"chaos", "--scenario", "etcd-leader-stall", "--duration", "3"};
	const char *quorum[] = {"chaos", "--scenario", "etcd-quorum-loss", "--etcd-victims",
	                        "followers"};
	const char *exec[] = {"chaos",      "-c",           "/etc/pgha/cluster.yml",
	                      "--scenario", "kill-primary", "--exec",
	                      "relay",      "--rw",         "host=nlb port=5432"};
	const char *no_exec[] = {"chaos", "-c", "/etc/pgha/cluster.yml", "--scenario",
	                         "kill-primary"};
	const char *switchover[] = {"chaos", "-c", "/x.yml", "--scenario", "switchover"};
	const char *both[] = {"chaos", "-c", "/x.yml", "--dir", "/lab", "--scenario", "switchover"};
	const char *no_heal[] = {"chaos", "--scenario", "kill-primary", "--duration", "5"};
	const char *victims[] = {"chaos", "--scenario", "etcd-leader-stall", "--etcd-victims",
	                         "leader"};
	const char *bad_victims[] = {"chaos", "--scenario", "etcd-quorum-loss", "--etcd-victims",
	                             "all"};

	(void)state;
	assert_int_equal(parse(&a, err, sizeof(err), 5, stall), ARGS_OK);
	assert_int_equal(a.scenario, CHAOS_ETCD_LEADER_STALL);
	assert_int_equal(a.duration_s, 3);
	assert_int_equal(parse(&a, err, sizeof(err), 5, quorum), ARGS_OK);
	assert_int_equal(a.etcd_victims, CHAOS_ETCD_FOLLOWERS);
	assert_int_equal(a.duration_s, 0); /* the scenario's default */
	assert_int_equal(chaos_scenario_duration_s(CHAOS_ETCD_QUORUM_LOSS), 10);
	assert_int_equal(chaos_scenario_duration_s(CHAOS_ETCD_LEADER_STALL), 6);
	assert_int_equal(chaos_scenario_duration_s(CHAOS_KILL_PRIMARY), 0);
	assert_int_equal(parse(&a, err, sizeof(err), 9, exec), ARGS_OK);
	assert_string_equal(a.config, "/etc/pgha/cluster.yml");
	assert_string_equal(a.exec, "relay");
	assert_string_equal(a.rw, "host=nlb port=5432");
	assert_int_equal(parse(&a, err, sizeof(err), 5, no_exec), ARGS_ERROR);
	assert_non_null(strstr(err, "needs --exec"));
	assert_int_equal(parse(&a, err, sizeof(err), 5, switchover), ARGS_OK);
	assert_int_equal(parse(&a, err, sizeof(err), 7, both), ARGS_ERROR);
	assert_non_null(strstr(err, "--dir and -c"));
	assert_int_equal(parse(&a, err, sizeof(err), 5, no_heal), ARGS_ERROR);
	assert_non_null(strstr(err, "--duration"));
	assert_int_equal(parse(&a, err, sizeof(err), 5, victims), ARGS_ERROR);
	assert_non_null(strstr(err, "--etcd-victims is for etcd-quorum-loss"));
	assert_int_equal(parse(&a, err, sizeof(err), 5, bad_victims), ARGS_ERROR);
	assert_non_null(strstr(err, "leader or followers"));
	assert_true(chaos_scenario_etcd(CHAOS_ETCD_QUORUM_LOSS));
	assert_false(chaos_scenario_etcd(CHAOS_PARTITION_PRIMARY));
	assert_true(chaos_scenario_partition(CHAOS_PARTITION_PRIMARY_ETCD));
	assert_false(chaos_scenario_partition(CHAOS_FREEZE_PRIMARY));
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
	r->events = (struct chaos_event *)(uintptr_t)ev;
	r->n_events = n;
	r->leader_changes = 1;
	r->etcd_leader_changes = -1;
	r->isolated_acks = -1;
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
	assert_non_null(strstr(text.data, "acked 18233, lost 0, downtime 2.76 s, healed in 9.80 s, "
	                                  "1 leader change\n"));
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
	assert_int_equal(json_integer_value(json_object_get(j, "leader_changes")), 1);
	assert_true(json_is_null(json_object_get(j, "etcd_leader_changes")));
	assert_true(json_is_null(json_object_get(j, "isolated_primary_acks")));
	assert_true(json_is_null(json_object_get(j, "fault_s")));
	assert_true(json_is_false(json_object_get(j, "interrupted")));
	json_decref(j);
	free(js);
	/* an etcd fault: what it stopped, for how long, and etcd's own leader changes */
	r.scenario = CHAOS_ETCD_QUORUM_LOSS;
	r.fault_s = 10;
	r.leader_changes = 0;
	r.etcd_leader_changes = 1;
	r.failsafe_s = 9.6;
	snprintf(r.etcd_victims, sizeof(r.etcd_victims), "etcd2 etcd1");
	js = chaos_report_json(&r);
	j = json_loads(js, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "etcd_victims")), "etcd2 etcd1");
	assert_true(json_real_value(json_object_get(j, "fault_s")) == 10.0);
	assert_true(json_real_value(json_object_get(j, "failsafe_s")) == 9.6);
	assert_int_equal(json_integer_value(json_object_get(j, "leader_changes")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "etcd_leader_changes")), 1);
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
	/* partition-primary: the cut-off primary acknowledged a commit sent after the cut */
	fill_result(&r, NULL, 0);
	r.scenario = CHAOS_PARTITION_PRIMARY;
	r.isolated_acks = 0;
	assert_true(chaos_result_judge(&r));
	r.isolated_acks = 2;
	assert_false(chaos_result_judge(&r));
	assert_non_null(strstr(r.problems[0], "node1 acknowledged 2 commits sent after"));
	/* interrupted: said, and neither the recovery nor the rejoin is held against it */
	fill_result(&r, NULL, 0);
	r.interrupted = true;
	r.downtime_s = -1;
	r.rejoined = false;
	assert_false(chaos_result_judge(&r));
	assert_int_equal(r.n_problems, 1);
	assert_non_null(strstr(r.problems[0], "interrupted"));
}

static void test_acks_within(void **state)
{
	const struct chaos_sample s[] = {
	    {.node = 0, .t_sent_us = 90, .t_us = 110, .acked = true},  /* sent before the cut */
	    {.node = 0, .t_sent_us = 100, .t_us = 120, .acked = true}, /* at the cut: counts */
	    {.node = 0, .t_sent_us = 150, .t_us = 900, .acked = false},
	    {.node = 1, .t_sent_us = 160, .t_us = 170, .acked = true}, /* another node */
	    {.node = 0, .t_sent_us = 200, .t_us = 210, .acked = true}, /* at the heal: not */
	};

	(void)state;
	assert_int_equal(chaos_acks_sent_within(s, 5, 0, 100, 200), 1);
	assert_int_equal(chaos_acks_sent_within(s, 5, 0, 0, 1000), 3);
	assert_int_equal(chaos_acks_sent_within(s, 5, 1, 100, 200), 1);
	assert_int_equal(chaos_acks_sent_within(s, 0, 0, 0, 1000), 0);
}

static void test_etcd_leader(void **state)
{
	struct chaos_etcd_view v = {.n = 3};
	int victims[2];

	(void)state;
	/* etcd 3.4's JSON gateway: uint64 ids as strings */
	assert_true(chaos_etcd_parse_status(
	    "{\"header\":{\"member_id\":\"111\",\"raft_term\":\"2\"},\"leader\":\"222\"}",
	    &v.m[0]));
	assert_true(chaos_etcd_parse_status(
	    "{\"header\":{\"member_id\":\"222\"},\"leader\":\"222\"}", &v.m[1]));
	assert_true(
	    chaos_etcd_parse_status("{\"header\":{\"member_id\":333},\"leader\":222}", &v.m[2]));
	assert_string_equal(v.m[2].member_id, "333");
	assert_false(chaos_etcd_parse_status("{\"leader\":\"1\"}", &v.m[2]));
	assert_false(chaos_etcd_parse_status("not json", &v.m[2]));
	assert_true(chaos_etcd_parse_status(
	    "{\"header\":{\"member_id\":\"333\"},\"leader\":\"222\"}", &v.m[2]));
	chaos_etcd_pick(&v);
	assert_int_equal(v.leader, 1);
	assert_int_equal(chaos_etcd_victims(&v, 1, false, victims), 1);
	assert_int_equal(victims[0], 1);
	assert_int_equal(chaos_etcd_victims(&v, 2, false, victims), 2);
	assert_int_equal(victims[0], 1); /* the leader, then the first other member */
	assert_int_equal(victims[1], 0);
	assert_int_equal(chaos_etcd_victims(&v, 2, true, victims), 2);
	assert_int_equal(victims[0], 0); /* the followers only */
	assert_int_equal(victims[1], 2);
	/* the leader stalls: silent, but the others still follow it (its id is known) */
	v.m[1].answered = false;
	chaos_etcd_pick(&v);
	assert_int_equal(v.leader, 1);
	/* they elect etcd3 */
	snprintf(v.m[0].leader_id, sizeof(v.m[0].leader_id), "333");
	snprintf(v.m[2].leader_id, sizeof(v.m[2].leader_id), "333");
	chaos_etcd_pick(&v);
	assert_int_equal(v.leader, 2);
	/* nobody follows anyone (quorum lost): no leader, no victims */
	snprintf(v.m[0].leader_id, sizeof(v.m[0].leader_id), "0");
	snprintf(v.m[2].leader_id, sizeof(v.m[2].leader_id), "0");
	chaos_etcd_pick(&v);
	assert_int_equal(v.leader, -1);
	assert_int_equal(chaos_etcd_victims(&v, 2, false, victims), 0);
}

static void test_net_ruleset(void **state)
{
	struct chaos_net_cut cut = {.table = "pgha_chaos_31000", .n_others = 2};
	struct buf b;

	(void)state;
	snprintf(cut.victim.path, sizeof(cut.victim.path), "unified/pgha-31000/node1");
	cut.victim.level = 2;
	snprintf(cut.others[0].path, sizeof(cut.others[0].path), "unified/pgha-31000/etcd");
	cut.others[0].level = 2;
	snprintf(cut.others[1].path, sizeof(cut.others[1].path), "unified/pgha-31000/node2");
	cut.others[1].level = 2;
	buf_init(&b);
	chaos_net_ruleset(&cut, &b);
	assert_string_equal(
	    b.data,
	    "table inet pgha_chaos_31000 {\n"
	    "\tchain out {\n"
	    "\t\ttype filter hook output priority 0; policy accept;\n"
	    "\t\tsocket cgroupv2 level 2 \"unified/pgha-31000/node1\" meta mark set 0x70670001\n"
	    "\t\tsocket cgroupv2 level 2 \"unified/pgha-31000/etcd\" meta mark set 0x70670010\n"
	    "\t\tsocket cgroupv2 level 2 \"unified/pgha-31000/node2\" meta mark set 0x70670011\n"
	    "\t}\n"
	    "\tchain in {\n"
	    "\t\ttype filter hook input priority 0; policy accept;\n"
	    "\t\tmeta mark 0x70670001 socket cgroupv2 level 2 \"unified/pgha-31000/etcd\" drop\n"
	    "\t\tmeta mark 0x70670001 socket cgroupv2 level 2 \"unified/pgha-31000/node2\" drop\n"
	    "\t\tmeta mark { 0x70670010, 0x70670011 } socket cgroupv2 level 2 "
	    "\"unified/pgha-31000/node1\" drop\n"
	    "\t}\n"
	    "}\n");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args),           cmocka_unit_test(test_args_faults),
	    cmocka_unit_test(test_scenario_names), cmocka_unit_test(test_timeline_order),
	    cmocka_unit_test(test_median),         cmocka_unit_test(test_count_missing),
	    cmocka_unit_test(test_split_brain),    cmocka_unit_test(test_healthy),
	    cmocka_unit_test(test_report),         cmocka_unit_test(test_judge),
	    cmocka_unit_test(test_acks_within),    cmocka_unit_test(test_etcd_leader),
	    cmocka_unit_test(test_net_ruleset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
