/*
 * test_client.c: the pure parts of the cluster client (client/): the members table
 * and JSON behind `pgha list` (roles, states and lags by dcs_roles.h's rules, which
 * GET /cluster shares), the cluster's dynamic settings as the tooling reads them, the
 * switchover / failover plan that `pgha switchover` and `pgha chaos` send, and the
 * REST URL of a member. The libpq and HTTP parts run against real servers in the
 * integration suite (pgha up waits on client_sql_landing through the router; pgha
 * health probes poolers and the router with it) and in test_http.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/client.h"
#include "client/client_handover.h"
#include "client/client_members.h"
#include "client/client_rest.h"
#include "dcs/dcs.h"
#include "dcs/dcs_roles.h"
#include "util/buf.h"
#include "view_fixture.h"
#include "util/xalloc.h"

/* --- members table and JSON ------------------------------------------------------------------ */

static void test_members_rows(void **state)
{
	struct dcs_view v;
	struct client_member_row rows[DCS_MAX_MEMBERS];

	(void)state;
	canned_view(&v);
	assert_int_equal(client_members_rows(&v, rows, DCS_MAX_MEMBERS), 3);
	assert_int_equal(rows[0].role, DCS_ROLE_LEADER);
	assert_string_equal(rows[0].state, "running");
	assert_true(rows[0].has_lag);
	assert_int_equal(rows[0].lag_bytes, 0);
	assert_int_equal(rows[1].role, DCS_ROLE_REPLICA);
	assert_string_equal(rows[1].state, "streaming");
	assert_true(rows[1].has_lag);
	assert_int_equal(rows[1].lag_bytes, 2 * MB); /* optime 50 MB - max(48, 47) MB */
	assert_int_equal(rows[2].role, DCS_ROLE_SYNC_STANDBY);
	assert_string_equal(rows[2].state, "creating replica");
	assert_false(rows[2].has_lag);
	assert_int_equal(client_members_rows(&v, rows, 1), 1);
}

static void test_members_lag_rules(void **state)
{
	struct dcs_view v;
	struct client_member_row rows[DCS_MAX_MEMBERS];

	(void)state;
	canned_view(&v);
	/* The leader's xlog_location is the reference when it is ahead of status.optime. */
	v.members[0].xlog_location = 60 * MB;
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_int_equal(rows[1].lag_bytes, 12 * MB);
	/* A 3.x-style member publishing only xlog_location; ahead of the reference: lag 0. */
	v.members[1].receive_lsn = 0;
	v.members[1].replay_lsn = 0;
	v.members[1].xlog_location = 61 * MB;
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_true(rows[1].has_lag);
	assert_int_equal(rows[1].lag_bytes, 0);
	/* No reference at all: unknown. */
	v.has_status = false;
	v.members[0].has_xlog = false;
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_false(rows[1].has_lag);
	/* An inactive sync key (no leader in it) makes nobody a sync standby. */
	v.sync.leader[0] = '\0';
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_int_equal(rows[2].role, DCS_ROLE_REPLICA);
	/* Without a leader key everyone is a replica; a running primary stays "running". */
	v.has_leader = false;
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_int_equal(rows[0].role, DCS_ROLE_REPLICA);
	assert_string_equal(rows[0].state, "running");
}

static void test_members_table(void **state)
{
	struct dcs_view v;
	struct buf b;

	(void)state;
	canned_view(&v);
	buf_init(&b);
	client_members_table(&v, "pgha-lab", &b);
	assert_string_equal(
	    b.data,
	    "+ Cluster: pgha-lab (7300000000000000001) ------------------+----+-----------+\n"
	    "| Member | Host           | Role         | State            | TL | Lag in MB |\n"
	    "+--------+----------------+--------------+------------------+----+-----------+\n"
	    "| node1  | 127.0.0.1:6510 | Leader       | running          |  2 |           |\n"
	    "| node2  | 127.0.0.1:6520 | Replica      | streaming        |  2 |         2 |\n"
	    "| node3  | 127.0.0.1:6530 | Sync Standby | creating replica |    |   unknown |\n"
	    "+--------+----------------+--------------+------------------+----+-----------+\n");
	buf_free(&b);
}

/* Paused (config key "pause": true): patronictl's line under the table, and JSON. */
static void test_members_paused(void **state)
{
	const struct client meta = {.scope = "s", .namespace_ = "/service/"};
	struct dcs_view v;
	struct buf b;
	json_t *got;

	(void)state;
	canned_view(&v);
	assert_false(client_paused(&v));
	v.config_json = xstrdup("{\"ttl\": 2, \"pause\": true}");
	assert_true(client_paused(&v));
	buf_init(&b);
	client_members_table(&v, "pgha-lab", &b);
	assert_non_null(strstr(b.data, "-+\n Maintenance mode: on\n"));
	buf_free(&b);
	got = client_members_json(&v, &meta, 0);
	assert_true(json_is_true(json_object_get(got, "pause")));
	json_decref(got);
	free(v.config_json);
	v.config_json = xstrdup("{\"pause\": \"yes\"} garbage"); /* unreadable: not paused */
	assert_false(client_paused(&v));
	free(v.config_json);
}

/* A primary running on failsafe: a line under the table, and "failsafe" in --json. */
static void test_members_failsafe(void **state)
{
	struct client_failsafe fs = {.mode = true, .active = false};
	struct dcs_view v;
	struct buf b;
	json_t *got, *want;

	(void)state;
	canned_view(&v);
	buf_init(&b);
	client_failsafe_line(&fs, &b);
	assert_string_equal(b.data, ""); /* on, not in use: nothing to say */
	fs.active = true;
	strcpy(fs.primary, "node1");
	client_failsafe_line(&fs, &b);
	assert_string_equal(b.data, " Failsafe mode: active on node1 (it cannot reach etcd; every "
	                            "member confirms it)\n");
	buf_free(&b);
	v.failsafe.state = DCS_FS_VALID;
	v.failsafe.n = 2;
	strcpy(v.failsafe.names[0], "node1");
	strcpy(v.failsafe.names[1], "node2");
	got = client_failsafe_json(&fs, &v);
	want = json_loads("{\"mode\": true, \"active\": true, \"primary\": \"node1\", "
	                  "\"members\": [\"node1\", \"node2\"]}",
	                  0, NULL);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

static void test_members_table_empty(void **state)
{
	struct dcs_view v;
	struct buf b;

	(void)state;
	memset(&v, 0, sizeof(v));
	buf_init(&b);
	client_members_table(&v, "a-cluster-name-longer-than-the-table", &b);
	assert_string_equal(b.data, "+ Cluster: a-cluster-name-longer-than-the-table +\n"
	                            "| Member | Host | Role | State | TL | Lag in MB |\n"
	                            "+--------+------+------+-------+----+-----------+\n"
	                            "+--------+------+------+-------+----+-----------+\n");
	buf_free(&b);
}

static void test_members_json(void **state)
{
	struct client meta = {.scope = "pgha-lab",
	                      .namespace_ = "/service/",
	                      .etcd = {"http://127.0.0.1:6500", "http://127.0.0.1:6501"},
	                      .n_etcd = 2};
	struct dcs_view v;
	json_t *got;
	json_t *want;
	json_error_t jerr;

	(void)state;
	canned_view(&v);
	v.members[0].archive = (struct dcs_archive){.present = true,
	                                            .ready = 2,
	                                            .oldest_ready_ms = 1000,
	                                            .last_archived_ms = 500,
	                                            .failed_count = 1,
	                                            .last_failed_ms = 100};
	snprintf(v.members[0].archive.last_archived_wal, 40, "000000020000000000000003");
	got = client_members_json(&v, &meta, 31000);
	want = json_loads(
	    "{\"scope\": \"pgha-lab\", \"namespace\": \"/service/\","
	    " \"etcd\": [\"http://127.0.0.1:6500\", \"http://127.0.0.1:6501\"],"
	    " \"leader\": \"node1\", \"pause\": false, \"members\": ["
	    "{\"name\": \"node1\", \"host\": \"127.0.0.1\", \"port\": 6510,"
	    " \"api_url\": \"http://127.0.0.1:6511/patroni\", \"pooler\": \"127.0.0.1:6512\","
	    " \"role\": \"leader\","
	    " \"state\": \"running\", \"timeline\": 2, \"lag_bytes\": 0,"
	    " \"archive\": {\"ready\": 2, \"lag_s\": 30, \"oldest_ready_ms\": 1000,"
	    " \"last_archived_wal\": \"000000020000000000000003\", \"last_archived_ms\": 500,"
	    " \"failed_count\": 1, \"last_failed_wal\": null, \"last_failed_ms\": 100,"
	    " \"failing\": false}},"
	    "{\"name\": \"node2\", \"host\": \"127.0.0.1\", \"port\": 6520,"
	    " \"api_url\": \"http://127.0.0.1:6521/patroni\", \"pooler\": null, \"role\": "
	    "\"replica\","
	    " \"state\": \"streaming\", \"timeline\": 2, \"lag_bytes\": 2097152,"
	    " \"archive\": null},"
	    "{\"name\": \"node3\", \"host\": \"127.0.0.1\", \"port\": 6530,"
	    " \"api_url\": \"http://127.0.0.1:6531/patroni\", \"pooler\": null,"
	    " \"role\": \"sync_standby\","
	    " \"state\": \"creating replica\", \"timeline\": null, \"lag_bytes\": null,"
	    " \"archive\": null}]}",
	    0, &jerr);
	assert_non_null(want);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

static void test_members_json_bad_input(void **state)
{
	struct client meta = {.scope = "s", .namespace_ = "/service/"};
	struct dcs_view v;
	json_t *got;

	(void)state;
	memset(&v, 0, sizeof(v));
	add_member(&v, "\xff\xfe", 0, "running");
	v.members[0].host[0] = '\0';
	v.members[0].api_url[0] = '\0';
	got = client_members_json(&v, &meta, 0);
	assert_non_null(got);
	assert_true(json_is_null(json_object_get(got, "leader")));
	{
		json_t *m = json_array_get(json_object_get(got, "members"), 0);

		assert_string_equal(json_string_value(json_object_get(m, "name")),
		                    "(invalid UTF-8)");
		assert_true(json_is_null(json_object_get(m, "host")));
		assert_true(json_is_null(json_object_get(m, "port")));
		assert_true(json_is_null(json_object_get(m, "api_url")));
		assert_true(json_is_null(json_object_get(m, "lag_bytes")));
	}
	json_decref(got);
}

/*
 * The sync key makes a member "Sync Standby" only while synchronous_mode is on (pgha's
 * default, and the config key may turn it off), as in Patroni; GET /cluster applies
 * the same rule (dcs_member_role). A non-leader shows its replication state.
 */
static void test_members_sync_mode_and_state(void **state)
{
	struct dcs_view v;
	struct client_member_row rows[DCS_MAX_MEMBERS];

	(void)state;
	canned_view(&v);
	assert_true(client_synchronous_mode(&v)); /* no config key: pgha's default */
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_int_equal(rows[2].role, DCS_ROLE_SYNC_STANDBY);
	v.config_json = xstrdup("{\"synchronous_mode\": false}");
	assert_false(client_synchronous_mode(&v));
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_int_equal(rows[2].role, DCS_ROLE_REPLICA);
	assert_int_equal(rows[2].role, dcs_member_role(&v, &v.members[2], false));
	free(v.config_json);
	v.config_json = NULL;
	strcpy(v.members[1].replication_state, "in archive recovery");
	client_members_rows(&v, rows, DCS_MAX_MEMBERS);
	assert_string_equal(rows[1].state, "in archive recovery");
}

/* dcs_roles.h's lag rules, one by one. */
static void test_roles_lag(void **state)
{
	struct dcs_member m = {0};
	uint64_t pos = 0;

	(void)state;
	assert_false(dcs_member_position(&m, &pos));
	m.has_xlog = true;
	m.xlog_location = 7;
	assert_true(dcs_member_position(&m, &pos));
	assert_int_equal(pos, 7);
	m.receive_lsn = 5;
	m.replay_lsn = 9;
	assert_true(dcs_member_position(&m, &pos));
	assert_int_equal(pos, 9);
	assert_int_equal(dcs_lag_bytes(100, 40), 60);
	assert_int_equal(dcs_lag_bytes(40, 100), 0);
	assert_string_equal(dcs_role_str(DCS_ROLE_SYNC_STANDBY), "sync_standby");
	assert_string_equal(dcs_role_title(DCS_ROLE_SYNC_STANDBY), "Sync Standby");
	assert_string_equal(dcs_role_str(DCS_ROLE__COUNT), "?");
}

/* --- switchover / failover plans ------------------------------------------------------ */

/* refused: r cannot be asked of v, and the message says fragment. */
static void refused(const struct client_handover_req *r, const struct dcs_view *v,
                    const char *fragment)
{
	struct client_handover h;
	char err[256];

	assert_false(client_plan_handover(r, v, &h, err, sizeof(err)));
	assert_null(h.body);
	if (strstr(err, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, fragment);
}

static void test_plan_switchover(void **state)
{
	struct client_handover_req r = {.candidate = "node2"};
	struct client_handover h;
	struct dcs_view v;
	char err[256];

	(void)state;
	three_nodes(&v, false);
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_string_equal(h.action, "switchover");
	assert_string_equal(h.target, "node1"); /* the leader's agent coordinates */
	assert_string_equal(h.body, "{\"leader\":\"node1\",\"candidate\":\"node2\"}");
	client_handover_free(&h);
	/* no candidate: the best one; scheduled */
	r = (struct client_handover_req){.scheduled_iso = "2030-01-01T10:00:00+00:00"};
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_string_equal(
	    h.body, "{\"leader\":\"node1\",\"scheduled_at\":\"2030-01-01T10:00:00+00:00\"}");
	client_handover_free(&h);
	/* the named leader must be the leader */
	r = (struct client_handover_req){.leader = "node2"};
	refused(&r, &v, "node2 is not the leader");
	/* unknown candidate, the leader as candidate */
	r = (struct client_handover_req){.candidate = "node9"};
	refused(&r, &v, "node9 does not exist");
	r = (struct client_handover_req){.candidate = "node1"};
	refused(&r, &v, "target and source are the same");
	dcs_view_free(&v);
}

static void test_plan_candidates(void **state)
{
	struct client_handover_req r = {.candidate = "node3"};
	struct dcs_view v;

	(void)state;
	three_nodes(&v, true);
	refused(&r, &v, "node3 has the nofailover tag");
	dcs_view_free(&v);
	/* a lone leader has no candidate */
	view_of(&v, "leader", "node1", "members/node1", M_PRIMARY, NULL);
	r = (struct client_handover_req){0};
	refused(&r, &v, "no candidates found to switchover to");
	dcs_view_free(&v);
}

static void test_plan_failover(void **state)
{
	struct client_handover_req r = {.candidate = "node2"};
	struct client_handover h;
	struct dcs_view v;
	char err[256];

	(void)state;
	/* leaderless: a switchover is impossible, a failover goes to the candidate's agent */
	view_of(&v, "members/node2", M_REPLICA("5433", "8009"), "members/node3",
	        M_REPLICA("5434", "8010"), NULL);
	refused(&r, &v, "no leader: use pgha failover");
	r = (struct client_handover_req){.failover = true, .candidate = "node3"};
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_string_equal(h.action, "failover");
	assert_string_equal(h.target, "node3");
	assert_string_equal(h.body, "{\"candidate\":\"node3\"}");
	client_handover_free(&h);
	dcs_view_free(&v);
	/* with a leader: sent to the leader with its name (the agent makes it a switchover);
	 * naming the leader makes it a switchover here already, as in patronictl */
	three_nodes(&v, false);
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_string_equal(h.action, "failover");
	assert_string_equal(h.target, "node1");
	assert_string_equal(h.body, "{\"leader\":\"node1\",\"candidate\":\"node3\"}");
	client_handover_free(&h);
	r.leader = "node1";
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_string_equal(h.action, "switchover");
	client_handover_free(&h);
	dcs_view_free(&v);
}

/* Right after a leader change the sync key names no standby: the request is planned
 * anyway (the leader waits for one, as long as it would wait for the hand-over), it
 * says so, and the requester gives the agents that much longer. */
static void test_plan_sync_pending(void **state)
{
	struct client_handover_req r = {0};
	struct client_handover h;
	struct dcs_view v;
	char err[256];

	(void)state;
	view_of(&v, "leader", "node1", "members/node1", M_PRIMARY, "members/node2",
	        M_REPLICA("5433", "8009"), "sync", "{\"leader\":\"node1\",\"sync_standby\":null}",
	        "config", "{\"ttl\":3,\"loop_wait\":1}", NULL);
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_int_equal(h.sync_wait_s, 20);
	assert_int_equal(client_handover_wait_ms(&v), 40000);
	client_handover_free(&h);
	r.candidate = "node2";
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_int_equal(h.sync_wait_s, 20);
	client_handover_free(&h);
	dcs_view_free(&v);
	three_nodes(&v, false); /* no sync key to wait for */
	assert_true(client_plan_handover(&r, &v, &h, err, sizeof(err)));
	assert_int_equal(h.sync_wait_s, 0);
	client_handover_free(&h);
	dcs_view_free(&v);
}

/* The agents get 2 x max(10, loop_wait) s to carry a request out (Patroni's bound). */
static void test_handover_wait(void **state)
{
	struct dcs_view v;

	(void)state;
	three_nodes(&v, false); /* loop_wait 1 */
	assert_int_equal(client_handover_wait_ms(&v), 20000);
	dcs_view_free(&v);
	view_of(&v, "leader", "node1", "members/node1", M_PRIMARY, "config",
	        "{\"ttl\":60,\"loop_wait\":25,\"retry_timeout\":10}", NULL);
	assert_int_equal(client_handover_wait_ms(&v), 50000);
	dcs_view_free(&v);
}

/* --- REST --------------------------------------------------------------------------------- */

static void test_api_url(void **state)
{
	char out[128];

	(void)state;
	assert_true(client_api_url("http://10.0.0.1:8008/patroni", "switchover", out, sizeof(out)));
	assert_string_equal(out, "http://10.0.0.1:8008/switchover");
	assert_true(client_api_url("https://db1:8443/patroni?x=1", "config", out, sizeof(out)));
	assert_string_equal(out, "https://db1:8443/config");
	assert_true(client_api_url("http://[::1]:8008", "patroni", out, sizeof(out)));
	assert_string_equal(out, "http://[::1]:8008/patroni");
	assert_false(client_api_url("ftp://x/patroni", "patroni", out, sizeof(out)));
	assert_false(client_api_url("http:///patroni", "patroni", out, sizeof(out)));
	assert_false(client_api_url("", "patroni", out, sizeof(out)));
	assert_false(client_api_url("http://host:8008/patroni", "patroni", out, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_members_rows),
	    cmocka_unit_test(test_plan_sync_pending),
	    cmocka_unit_test(test_members_lag_rules),
	    cmocka_unit_test(test_members_table),
	    cmocka_unit_test(test_members_paused),
	    cmocka_unit_test(test_members_table_empty),
	    cmocka_unit_test(test_members_failsafe),
	    cmocka_unit_test(test_members_json),
	    cmocka_unit_test(test_members_json_bad_input),
	    cmocka_unit_test(test_members_sync_mode_and_state),
	    cmocka_unit_test(test_roles_lag),
	    cmocka_unit_test(test_plan_switchover),
	    cmocka_unit_test(test_plan_candidates),
	    cmocka_unit_test(test_plan_failover),
	    cmocka_unit_test(test_handover_wait),
	    cmocka_unit_test(test_api_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
