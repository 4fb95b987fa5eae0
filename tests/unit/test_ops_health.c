/*
 * test_ops_health.c: the verdicts of `pgha health` from canned observations (views built
 * from etcd key values, probe results filled by hand), their text and JSON forms, the
 * nine checks of `pgha verify` built on them and on a chaos run, and the events and
 * screen of `pgha monitor`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_health.h"
#include "cli/ops_monitor.h"
#include "cli/ops_verify.h"
#include "dcs/dcs.h"
#include "util/buf.h"
#include "view_fixture.h"

#define MEMBER(port, role, extra)                                                                  \
	"{\"conn_url\":\"postgres://127.0.0.1:" port "/postgres\",\"api_url\":\"http://127.0.0.1:" \
	"8" port "/patroni\",\"state\":\"running\",\"role\":\"" role "\",\"timeline\":2" extra "}"
#define LEADER MEMBER("5432", "primary", ",\"xlog_location\":5000000")
#define STREAMING(p)      \
	MEMBER(           \
	    p, "replica", \
	    ",\"receive_lsn\":5000000,\"replay_lsn\":5000000,\"replication_state\":\"streaming\"")
#define LAGGING(p)           \
	MEMBER(p, "replica", \
	       ",\"receive_lsn\":1000,\"replay_lsn\":1000,\"replication_state\":\"streaming\"")
#define NOT_STREAM(p) MEMBER(p, "replica", ",\"receive_lsn\":5000000,\"replay_lsn\":5000000")
#define WITH_POOLER(p, b)                                                               \
	MEMBER(p, "replica",                                                            \
	       ",\"receive_lsn\":5000000,\"replay_lsn\":5000000,\"replication_state\":" \
	       "\"streaming\",\"pooler\":\"127.0.0.1:" b "\"")
#define SYNC   "{\"leader\":\"node1\",\"sync_standby\":\"node2\"}"
#define STATUS "{\"optime\":5000000}"

struct fixture {
	struct dcs_view view;
	struct ops_health_input in;
	struct ops_health out;
};

/* healthy: a three-node cluster where every probe answered as it should. */
static void healthy(struct fixture *f)
{
	static const char *const expected[] = {"node1", "node2", "node3"};

	memset(f, 0, sizeof(*f));
	view_of(&f->view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        STREAMING("5433"), "members/node3", STREAMING("5434"), "sync", SYNC, "status",
	        STATUS, "config", "{\"synchronous_mode\":true}", NULL);
	f->in.view_ok = true;
	f->in.view = &f->view;
	f->in.n_etcd = 3;
	for (int i = 0; i < 3; i++) {
		snprintf(f->in.etcd[i].url, sizeof(f->in.etcd[i].url), "http://127.0.0.1:237%d", i);
		f->in.etcd[i].answered = f->in.etcd[i].healthy = true;
	}
	f->in.expected = expected;
	f->in.n_expected = 3;
	f->in.rest[0] = (struct ops_rest_probe){.primary_code = 200, .replica_code = 503};
	f->in.rest[1] = (struct ops_rest_probe){.primary_code = 503, .replica_code = 200};
	f->in.rest[2] = (struct ops_rest_probe){.primary_code = 503, .replica_code = 200};
	f->in.max_lag_bytes = -1;
}

static void expect(const struct fixture *f, const char *name, enum ops_status st,
                   const char *fragment)
{
	const struct ops_check *c = NULL;

	for (int i = 0; i < f->out.n && c == NULL; i++)
		if (strcmp(f->out.checks[i].name, name) == 0)
			c = &f->out.checks[i];
	if (c == NULL) {
		fail_msg("no check named '%s'", name);
		return;
	}
	if (c->status != st)
		fail_msg("check '%s' is %s (%s), expected %s", name, ops_status_str(c->status),
		         c->detail, ops_status_str(st));
	if (fragment && strstr(c->detail, fragment) == NULL)
		fail_msg("check '%s': '%s' does not contain '%s'", name, c->detail, fragment);
}

static void eval(struct fixture *f)
{
	ops_health_eval(&f->in, &f->out);
}

/* --- health ------------------------------------------------------------------------------- */

static void test_health_all_pass(void **state)
{
	struct fixture f;
	struct buf text;

	(void)state;
	healthy(&f);
	eval(&f);
	assert_int_equal(f.out.n_fail, 0);
	expect(&f, "etcd quorum", OPS_PASS, "3/3 endpoints healthy");
	expect(&f, "leader", OPS_PASS, "node1 answers /primary 200 (timeline 2)");
	expect(&f, "replica node2", OPS_PASS, "streaming, lag 0 B");
	expect(&f, "replica node3", OPS_PASS, NULL);
	expect(&f, "sync standby", OPS_PASS, "node2 streaming");
	expect(&f, "poolers", OPS_WARN, "no member publishes a pooler");
	expect(&f, "router", OPS_WARN, "no router configured");
	expect(&f, "WAL archive", OPS_SKIP, "the leader publishes no archiving");
	assert_int_equal(f.out.n, 8);
	assert_int_equal(f.out.n_warn, 2);
	buf_init(&text);
	ops_health_text(&f.out, &text);
	assert_non_null(strstr(text.data, "PASS  leader         node1 answers /primary 200"));
	assert_non_null(strstr(text.data, "\nhealthy: 8 checks, 2 warnings\n"));
	buf_free(&text);
	dcs_view_free(&f.view);
}

static void test_health_etcd(void **state)
{
	struct fixture f;

	(void)state;
	healthy(&f);
	f.in.etcd[1].healthy = false;
	snprintf(f.in.etcd[1].err, sizeof(f.in.etcd[1].err), "Connection refused");
	f.in.etcd[1].answered = false;
	eval(&f);
	expect(&f, "etcd quorum", OPS_WARN,
	       "2/3 endpoints healthy: http://127.0.0.1:2371 "
	       "Connection refused");
	assert_int_equal(f.out.n_fail, 0);
	/* no read: nothing else can be judged */
	f.in.view_ok = false;
	snprintf(f.in.view_err, sizeof(f.in.view_err), "etcd did not answer");
	eval(&f);
	assert_int_equal(f.out.n, 1);
	expect(&f, "etcd quorum", OPS_FAIL, "no linearizable read (etcd did not answer)");
	dcs_view_free(&f.view);
}

static void test_health_leader(void **state)
{
	struct fixture f;

	(void)state;
	healthy(&f);
	f.in.rest[0].primary_code = 503;
	eval(&f);
	expect(&f, "leader", OPS_FAIL, "node1 holds the leader key but /primary answered 503");
	f.in.rest[0].primary_code = 0;
	snprintf(f.in.rest[0].err, sizeof(f.in.rest[0].err), "timed out");
	eval(&f);
	expect(&f, "leader", OPS_FAIL, "REST API did not answer (timed out)");
	/* two members claiming the primary role */
	f.in.rest[0].primary_code = 200;
	f.in.rest[2].primary_code = 200;
	eval(&f);
	expect(&f, "leader", OPS_FAIL, "also answers 200 on: node3");
	dcs_view_free(&f.view);

	/* no leader key at all */
	healthy(&f);
	dcs_view_free(&f.view);
	view_of(&f.view, "members/node1", LEADER, "members/node2", STREAMING("5433"), NULL);
	eval(&f);
	expect(&f, "leader", OPS_FAIL, "no leader key");
	dcs_view_free(&f.view);

	/* a leader key without its member key: judged once, as the leader */
	healthy(&f);
	dcs_view_free(&f.view);
	view_of(&f.view, "leader", "node3", "members/node1", STREAMING("5432"), "members/node2",
	        STREAMING("5433"), "config", "{\"synchronous_mode\":false}", NULL);
	eval(&f);
	expect(&f, "leader", OPS_FAIL, "the leader key names node3, which has no member key");
	for (int i = 0; i < f.out.n; i++)
		assert_string_not_equal(f.out.checks[i].name, "replica node3");
	dcs_view_free(&f.view);
}

static void test_health_replicas(void **state)
{
	struct fixture f;
	struct buf text;

	(void)state;
	healthy(&f);
	f.in.rest[2].replica_code = 0;
	snprintf(f.in.rest[2].err, sizeof(f.in.rest[2].err), "Connection refused");
	eval(&f);
	expect(&f, "replica node3", OPS_FAIL,
	       "/replica REST API did not answer (Connection "
	       "refused)");
	expect(&f, "replica node2", OPS_PASS, NULL);
	buf_init(&text);
	ops_health_text(&f.out, &text);
	assert_non_null(strstr(text.data, "UNHEALTHY: 1 check failed (replica node3), 2 warnings"));
	buf_free(&text);
	dcs_view_free(&f.view);

	/* a member of the lab without a key: its agent is not running */
	healthy(&f);
	dcs_view_free(&f.view);
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        STREAMING("5433"), "sync", SYNC, "status", STATUS, NULL);
	eval(&f);
	expect(&f, "replica node3", OPS_FAIL, "no member key in etcd");
	dcs_view_free(&f.view);

	/* not streaming, lagging */
	healthy(&f);
	dcs_view_free(&f.view);
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        NOT_STREAM("5433"), "members/node3", LAGGING("5434"), "sync", SYNC, "status",
	        STATUS, NULL);
	eval(&f);
	expect(&f, "replica node2", OPS_FAIL, "not streaming");
	expect(&f, "replica node3", OPS_FAIL, "lag 4.8 MB over the limit of 1048576 bytes");
	expect(&f, "sync standby", OPS_FAIL, "listed but not streaming: node2");
	/* the limit comes from --max-lag, else maximum_lag_on_failover */
	f.in.max_lag_bytes = 10 * 1024 * 1024;
	eval(&f);
	expect(&f, "replica node3", OPS_PASS, "lag 4.8 MB");
	dcs_view_free(&f.view);
	healthy(&f);
	dcs_view_free(&f.view);
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        STREAMING("5433"), "members/node3", LAGGING("5434"), "sync", SYNC, "status", STATUS,
	        "config", "{\"maximum_lag_on_failover\":8388608}", NULL);
	eval(&f);
	expect(&f, "replica node3", OPS_PASS, NULL);
	dcs_view_free(&f.view);
}

static void test_health_lone_leader(void **state)
{
	struct fixture f;

	(void)state;
	healthy(&f);
	dcs_view_free(&f.view);
	f.in.n_expected = 0;
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "config",
	        "{\"synchronous_mode\":false}", NULL);
	eval(&f);
	expect(&f, "replicas", OPS_WARN, "no replica");
	expect(&f, "sync standby", OPS_SKIP, "synchronous_mode is off");
	assert_int_equal(f.out.n_fail, 0);
	dcs_view_free(&f.view);
}

static void test_health_sync(void **state)
{
	struct fixture f;

	(void)state;
	healthy(&f);
	dcs_view_free(&f.view);
	/* synchronous_mode is pgha's default: no config key still means on */
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        STREAMING("5433"), "members/node3", STREAMING("5434"), NULL);
	eval(&f);
	expect(&f, "sync standby", OPS_FAIL, "the sync key is missing");
	dcs_view_free(&f.view);
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        STREAMING("5433"), "members/node3", STREAMING("5434"), "sync",
	        "{\"leader\":\"node2\",\"sync_standby\":\"node3\"}", NULL);
	eval(&f);
	expect(&f, "sync standby", OPS_FAIL, "names leader node2, the leader is node1");
	dcs_view_free(&f.view);
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        STREAMING("5433"), "members/node3", STREAMING("5434"), "sync",
	        "{\"leader\":\"node1\",\"sync_standby\":null}", NULL);
	eval(&f);
	expect(&f, "sync standby", OPS_FAIL, "no synchronous standby");
	dcs_view_free(&f.view);
}

static void test_health_poolers(void **state)
{
	struct fixture f;

	(void)state;
	healthy(&f);
	dcs_view_free(&f.view);
	view_of(&f.view, "leader", "node1", "members/node1", LEADER, "members/node2",
	        WITH_POOLER("5433", "6433"), "members/node3", WITH_POOLER("5434", "6434"), "sync",
	        SYNC, "status", STATUS, NULL);
	f.in.pooler[1] = (struct ops_sql_probe){
	    .tried = true, .ok = true, .in_recovery = true, .cluster_name = "node2", .port = 5433};
	f.in.pooler[2] = (struct ops_sql_probe){
	    .tried = true, .ok = true, .in_recovery = true, .cluster_name = "node2", .port = 5433};
	eval(&f);
	expect(&f, "pooler node2", OPS_PASS, "SELECT 1 through 127.0.0.1:6433");
	expect(&f, "pooler node3", OPS_FAIL, "127.0.0.1:6434 leads to node2 instead of node3");
	for (int i = 0; i < f.out.n; i++)
		assert_string_not_equal(f.out.checks[i].name, "pooler node1");
	f.in.pooler[2] = (struct ops_sql_probe){.tried = true, .err = "cannot connect: refused"};
	eval(&f);
	expect(&f, "pooler node3", OPS_FAIL, "127.0.0.1:6434: cannot connect: refused");
	dcs_view_free(&f.view);
}

static void test_health_router(void **state)
{
	struct fixture f;
	json_t *j;
	char *text;

	(void)state;
	healthy(&f);
	f.in.router_configured = true;
	snprintf(f.in.router_rw, sizeof(f.in.router_rw), "127.0.0.1:6006");
	snprintf(f.in.router_ro, sizeof(f.in.router_ro), "127.0.0.1:6007");
	f.in.router_rw_probe = (struct ops_sql_probe){.tried = true, .ok = true, .port = 5432};
	f.in.router_ro_probe = (struct ops_sql_probe){
	    .tried = true, .ok = true, .in_recovery = true, .cluster_name = "node3", .port = 5434};
	eval(&f);
	/* without cluster_name the member is found by its port */
	expect(&f, "router rw", OPS_PASS, "127.0.0.1:6006 lands on node1, the leader");
	expect(&f, "router ro", OPS_PASS, "lands on node3, a replica");
	assert_int_equal(f.out.n_fail, 0);
	f.in.router_rw_probe = (struct ops_sql_probe){
	    .tried = true, .ok = true, .in_recovery = true, .cluster_name = "node2", .port = 5433};
	f.in.router_ro_probe = (struct ops_sql_probe){.tried = true, .ok = true, .port = 5432};
	eval(&f);
	expect(&f, "router rw", OPS_FAIL, "lands on node2, which is in recovery");
	expect(&f, "router ro", OPS_FAIL, "lands on node1, which is not in recovery");
	/* not in recovery, but not the leader either (two primaries) */
	f.in.router_rw_probe = (struct ops_sql_probe){.tried = true, .ok = true, .port = 5434};
	eval(&f);
	expect(&f, "router rw", OPS_FAIL, "lands on node3, the leader is node1");
	/* only the port given is checked */
	f.in.router_ro[0] = '\0';
	f.in.router_rw_probe = (struct ops_sql_probe){.tried = true, .err = "cannot connect: x"};
	eval(&f);
	expect(&f, "router rw", OPS_FAIL, "127.0.0.1:6006: cannot connect: x");
	for (int i = 0; i < f.out.n; i++)
		assert_string_not_equal(f.out.checks[i].name, "router ro");
	j = ops_health_json(&f.out);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(
	    strstr(text, "{\"healthy\":false,\"failed\":1,\"warnings\":1,\"checks\":["));
	assert_non_null(strstr(text, "{\"name\":\"router rw\",\"status\":\"FAIL\",\"detail\":"
	                             "\"127.0.0.1:6006: cannot connect: x\"}"));
	free(text);
	json_decref(j);
	dcs_view_free(&f.view);
}

/* --- monitor ------------------------------------------------------------------------------ */

static int diff_of(const struct dcs_view *a, const struct dcs_view *b,
                   char events[][OPS_MON_EVENT_LEN])
{
	struct mon_snapshot sa;
	struct mon_snapshot sb;

	ops_mon_snapshot(b, &sb);
	if (a == NULL)
		return ops_mon_diff(NULL, &sb, events, 16);
	ops_mon_snapshot(a, &sa);
	return ops_mon_diff(&sa, &sb, events, 16);
}

static void test_monitor_initial(void **state)
{
	struct dcs_view v;
	char ev[16][OPS_MON_EVENT_LEN];
	int n;

	(void)state;
	view_of(&v, "leader", "node1", "members/node1", LEADER, "members/node2", STREAMING("5433"),
	        "sync", SYNC, "config", "{\"pause\":true}", NULL);
	n = diff_of(NULL, &v, ev);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0], "node1: leader, running, timeline 2");
	assert_string_equal(ev[1], "node2: sync_standby, streaming, timeline 2");
	assert_string_equal(ev[2], "maintenance mode on (paused)");
	dcs_view_free(&v);
	view_of(&v, "members/node2", STREAMING("5433"), NULL);
	n = diff_of(NULL, &v, ev);
	assert_int_equal(n, 2);
	assert_string_equal(ev[1], "no leader");
	dcs_view_free(&v);
}

static void test_monitor_switchover(void **state)
{
	struct dcs_view a;
	struct dcs_view b;
	struct dcs_view c;
	char ev[16][OPS_MON_EVENT_LEN];
	int n;

	(void)state;
	view_of(&a, "leader", "node1", "members/node1", LEADER, "members/node2", STREAMING("5433"),
	        "members/node3", STREAMING("5434"), "sync", SYNC, NULL);
	/* the leader steps down: key gone, it stops */
	view_of(&b, "members/node1", MEMBER("5432", "primary", ""), "members/node2",
	        STREAMING("5433"), "members/node3", STREAMING("5434"), "sync", SYNC, NULL);
	/* node2 took over on a new timeline, node1 not back yet, node3 left */
	view_of(&c, "leader", "node2", "members/node1",
	        "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":\"http://"
	        "127.0.0.1:85432/patroni\",\"state\":\"stopped\",\"role\":\"replica\"}",
	        "members/node2", MEMBER("5433", "primary", ",\"timeline\":3"), "sync",
	        "{\"leader\":\"node2\",\"sync_standby\":\"node1\"}", "config", "{\"pause\":true}",
	        NULL);
	n = diff_of(&a, &b, ev);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0], "no leader: node1 released the leader key or its lease expired");
	n = diff_of(&b, &c, ev);
	assert_int_equal(n, 7);
	assert_string_equal(ev[0], "node2 took the leader key");
	assert_string_equal(ev[1], "maintenance mode on (paused)");
	assert_string_equal(ev[2], "node3 left (its member key is gone)");
	assert_string_equal(ev[3], "node1: replica -> sync_standby");
	assert_string_equal(ev[4], "node1: running -> stopped");
	assert_string_equal(ev[5], "node2: streaming -> running");
	assert_string_equal(ev[6], "node2: timeline 2 -> 3");
	n = diff_of(&a, &c, ev);
	assert_string_equal(ev[0], "leader node1 -> node2");
	/* joining, and sync role changes (not the leader's, said once by the leader event) */
	n = diff_of(&c, &a, ev);
	assert_string_equal(ev[0], "leader node2 -> node1");
	assert_string_equal(ev[1], "maintenance mode off (resumed)");
	assert_string_equal(ev[2], "node1: stopped -> running");
	assert_string_equal(ev[3], "node2: running -> streaming");
	assert_string_equal(ev[4], "node2: timeline 3 -> 2");
	assert_string_equal(ev[5], "node3 joined: replica, streaming, timeline 2");
	assert_int_equal(n, 6);
	dcs_view_free(&a);
	dcs_view_free(&b);
	dcs_view_free(&c);
}

static void test_monitor_roles(void **state)
{
	struct dcs_view a;
	struct dcs_view b;
	char ev[16][OPS_MON_EVENT_LEN];
	int n;

	(void)state;
	view_of(&a, "leader", "node1", "members/node1", LEADER, "members/node2", STREAMING("5433"),
	        "members/node3", STREAMING("5434"), "sync", SYNC, NULL);
	view_of(&b, "leader", "node1", "members/node1", LEADER, "members/node2", STREAMING("5433"),
	        "members/node3",
	        MEMBER("5434", "replica", ",\"timeline\":3,\"replication_state\":\"streaming\""),
	        "sync", "{\"leader\":\"node1\",\"sync_standby\":\"node3\"}", NULL);
	n = diff_of(&a, &b, ev);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0], "node2: sync_standby -> replica");
	assert_string_equal(ev[1], "node3: replica -> sync_standby");
	assert_string_equal(ev[2], "node3: timeline 2 -> 3");
	assert_int_equal(diff_of(&a, &a, ev), 0);
	dcs_view_free(&a);
	dcs_view_free(&b);
}

static void test_monitor_log_and_screen(void **state)
{
	struct mon_log *log = calloc(1, sizeof(*log));
	struct dcs_view v;
	struct buf screen;
	char text[32];

	(void)state;
	assert_null(ops_mon_log_get(log, 0));
	for (int i = 0; i < OPS_MON_RING + 5; i++) {
		snprintf(text, sizeof(text), "event %d", i);
		ops_mon_log_add(log, "12:00:00.000", text);
	}
	assert_int_equal(log->n, OPS_MON_RING);
	assert_string_equal(ops_mon_log_get(log, 0)->text, "event 204");
	assert_string_equal(ops_mon_log_get(log, OPS_MON_RING - 1)->text, "event 5");
	assert_null(ops_mon_log_get(log, OPS_MON_RING));
	view_of(&v, "leader", "node1", "members/node1", LEADER, "config", "{\"pause\":true}", NULL);
	buf_init(&screen);
	ops_mon_screen(&v, "t", "now", false, log, 2, &screen);
	assert_non_null(strstr(screen.data, "pgha monitor: cluster t at now"));
	assert_non_null(strstr(screen.data, "WARNING: the etcd watch is not current"));
	assert_non_null(strstr(screen.data, "| node1  | 127.0.0.1:5432 | Leader |"));
	assert_non_null(strstr(screen.data, " Maintenance mode: on\n"));
	/* the last two events, newest last */
	assert_non_null(strstr(screen.data, "Recent events:\n  12:00:00.000  event 203\n"
	                                    "  12:00:00.000  event 204\n"));
	assert_null(strstr(screen.data, "event 202"));
	buf_free(&screen);
	dcs_view_free(&v);
	free(log);
}

/* The leader's WAL archiving, as its member key publishes it. */
static void test_health_archive(void **state)
{
	struct fixture f;
	struct dcs_archive *a;

	(void)state;
	healthy(&f);
	a = &f.view.members[0].archive; /* node1, the leader */
	f.in.wall_now_ms = 1800000000000LL;
	*a = (struct dcs_archive){.present = true, .last_archived_ms = f.in.wall_now_ms - 5000};
	snprintf(a->last_archived_wal, sizeof(a->last_archived_wal), "000000020000000000000041");
	eval(&f);
	expect(&f, "WAL archive", OPS_PASS, "0 waiting; last archived 000000020000000000000041");
	a->ready = 3;
	a->oldest_ready_ms = f.in.wall_now_ms - 90000;
	eval(&f);
	expect(&f, "WAL archive", OPS_WARN, "3 WAL files waiting, the oldest for 90 s");
	a->oldest_ready_ms = f.in.wall_now_ms - 400000;
	eval(&f);
	expect(&f, "WAL archive", OPS_FAIL, "3 WAL files waiting, the oldest for 400 s");
	a->failed_count = 7;
	a->last_failed_ms = f.in.wall_now_ms - 1000;
	snprintf(a->last_failed_wal, sizeof(a->last_failed_wal), "000000020000000000000042");
	eval(&f);
	expect(&f, "WAL archive", OPS_FAIL,
	       "archiving 000000020000000000000042 fails (7 failures): see node1's log");
}

/* --- verify ------------------------------------------------------------------------------- */

/* verifiable: healthy, with a pooler on every member and the router's ports answering. */
static void verifiable(struct fixture *f)
{
	healthy(f);
	dcs_view_free(&f->view);
	view_of(
	    &f->view, "leader", "node1", "members/node1",
	    MEMBER("5432", "primary", ",\"xlog_location\":5000000,\"pooler\":\"127.0.0.1:6432\""),
	    "members/node2", WITH_POOLER("5433", "6433"), "members/node3",
	    WITH_POOLER("5434", "6434"), "sync", SYNC, "status", STATUS, "config",
	    "{\"synchronous_mode\":true}", NULL);
	for (int i = 0; i < 3; i++)
		f->in.pooler[i] =
		    (struct ops_sql_probe){.tried = true,
		                           .ok = true,
		                           .in_recovery = i > 0,
		                           .cluster_name = {'n', 'o', 'd', 'e', (char)('1' + i)},
		                           .port = 5432 + i};
	f->in.router_configured = true;
	snprintf(f->in.router_rw, sizeof(f->in.router_rw), "127.0.0.1:6006");
	snprintf(f->in.router_ro, sizeof(f->in.router_ro), "127.0.0.1:6007");
	f->in.router_rw_probe = (struct ops_sql_probe){.tried = true, .ok = true, .port = 5432};
	f->in.router_ro_probe = (struct ops_sql_probe){
	    .tried = true, .ok = true, .in_recovery = true, .cluster_name = "node3", .port = 5434};
}

static void failed_over(struct chaos_result *r)
{
	memset(r, 0, sizeof(*r));
	r->t0_us = 1;
	snprintf(r->victim, sizeof(r->victim), "node1");
	snprintf(r->new_leader, sizeof(r->new_leader), "node2");
	r->downtime_s = 2.1;
	r->acked = 1700;
	r->verified = true;
	r->rejoined = true;
	r->rewound = true;
	r->rejoin_s = 5.7;
}

static void expect_row(const struct ops_verify *v, enum ops_verify_check c, enum ops_status st,
                       const char *fragment)
{
	const struct ops_verify_row *r = &v->rows[c];

	if (!r->done || r->status != st || (fragment && !strstr(r->detail, fragment)))
		fail_msg("%s: %s %s '%s', expected %s '%s'", ops_verify_name(c),
		         r->done ? "" : "not done", ops_status_str(r->status), r->detail,
		         ops_status_str(st), fragment ? fragment : "");
}

static void test_verify_all_pass(void **state)
{
	struct fixture f;
	struct ops_verify v = {0};
	struct chaos_result r;
	struct buf text;
	json_t *j;

	(void)state;
	verifiable(&f);
	eval(&f);
	ops_verify_from_health(&f.in, &f.out, 0.25, &v);
	ops_verify_replay(true, 0.04, "a row written on node1 replayed on every replica", &v);
	failed_over(&r);
	ops_verify_from_chaos(&r, &v);
	expect_row(&v, VERIFY_ETCD_QUORUM, OPS_PASS, "3/3 endpoints healthy");
	expect_row(&v, VERIFY_ELECTION, OPS_PASS, "node1 answers /primary 200");
	expect_row(&v, VERIFY_REPLICATION, OPS_PASS,
	           "replayed on every replica; 2 replicas streaming");
	expect_row(&v, VERIFY_HEALTH_ENDPOINTS, OPS_PASS, "/primary 200 on node1 only");
	expect_row(&v, VERIFY_PORTS, OPS_PASS, "lands on node1, the leader");
	expect_row(&v, VERIFY_FAILOVER, OPS_PASS, "node2 leads; writes paused 2.10 s");
	expect_row(&v, VERIFY_NO_LOSS, OPS_PASS, "1700 acknowledged writes, 0 missing on node2");
	expect_row(&v, VERIFY_REJOIN, OPS_PASS, "node1 back as a replica via pg_rewind");
	expect_row(&v, VERIFY_POOLERS, OPS_PASS, "3 of 3 members");
	assert_int_equal(ops_verify_passed(&v), VERIFY__COUNT);
	buf_init(&text);
	ops_verify_text(&v, &text);
	assert_non_null(strstr(text.data, "6  PASS  automatic failover             2.10 s  "));
	assert_non_null(strstr(text.data, "7  PASS  zero data loss                    -    "));
	assert_non_null(strstr(text.data, "9 of 9 checks passed"));
	buf_free(&text);
	j = ops_verify_json(&v);
	assert_true(json_is_true(json_object_get(j, "passed")));
	assert_int_equal(json_array_size(json_object_get(j, "checks")), VERIFY__COUNT);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(j, "checks"), 7), "name")),
	                    "old primary rejoins");
	json_decref(j);
	dcs_view_free(&f.view);
}

static void test_verify_failures(void **state)
{
	struct fixture f;
	struct ops_verify v = {0};
	struct chaos_result r;

	(void)state;
	verifiable(&f);
	f.in.rest[2] = (struct ops_rest_probe){.primary_code = 200, .replica_code = 503};
	f.in.pooler[2] = (struct ops_sql_probe){.tried = true, .err = "cannot connect: refused"};
	f.in.router_configured = false;
	f.in.router_rw[0] = f.in.router_ro[0] = '\0';
	eval(&f);
	ops_verify_from_health(&f.in, &f.out, 0.25, &v);
	expect_row(&v, VERIFY_HEALTH_ENDPOINTS, OPS_FAIL, "node3 (a replica): /primary 200");
	expect_row(&v, VERIFY_POOLERS, OPS_FAIL, "pooler node3: 127.0.0.1:6434: cannot connect");
	expect_row(&v, VERIFY_PORTS, OPS_FAIL, "give --router-rw and --router-ro");
	/* node3's /replica 503 fails its replica check: that says more than the replay */
	expect_row(&v, VERIFY_REPLICATION, OPS_FAIL, "replica node3: /replica answered 503");
	ops_verify_replay(true, 0.1, "a row written on node1 replayed on every replica", &v);
	expect_row(&v, VERIFY_REPLICATION, OPS_FAIL, "replica node3");
	/* streaming, but the replay did not arrive */
	dcs_view_free(&f.view);
	verifiable(&f);
	eval(&f);
	ops_verify_from_health(&f.in, &f.out, 0.25, &v);
	ops_verify_replay(false, 10, "a row written on node1 is not on node3 after 10 s", &v);
	expect_row(&v, VERIFY_REPLICATION, OPS_FAIL, "not on node3 after 10 s; 2 replicas");
	/* a lost write, no rejoin */
	failed_over(&r);
	r.lost_acked = 2;
	r.rejoined = false;
	ops_verify_from_chaos(&r, &v);
	expect_row(&v, VERIFY_FAILOVER, OPS_PASS, NULL);
	expect_row(&v, VERIFY_NO_LOSS, OPS_FAIL, "2 missing on node2");
	expect_row(&v, VERIFY_REJOIN, OPS_FAIL, "node1 did not rejoin");
	/* nobody took over */
	failed_over(&r);
	snprintf(r.new_leader, sizeof(r.new_leader), "node1");
	ops_verify_from_chaos(&r, &v);
	expect_row(&v, VERIFY_FAILOVER, OPS_FAIL, "node1 lost, but no other member leads");
	ops_verify_skip_failover(&v, "not run: the cluster failed the checks above");
	expect_row(&v, VERIFY_NO_LOSS, OPS_FAIL, "not run");
	assert_int_equal(ops_verify_passed(&v), 5); /* all but replication and the failover's */
	/* a row never judged fails */
	memset(&v, 0, sizeof(v));
	assert_int_equal(ops_verify_passed(&v), 0);
	dcs_view_free(&f.view);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health_all_pass),        cmocka_unit_test(test_health_etcd),
	    cmocka_unit_test(test_health_leader),          cmocka_unit_test(test_health_replicas),
	    cmocka_unit_test(test_health_lone_leader),     cmocka_unit_test(test_health_sync),
	    cmocka_unit_test(test_health_poolers),         cmocka_unit_test(test_health_router),
	    cmocka_unit_test(test_health_archive),         cmocka_unit_test(test_verify_all_pass),
	    cmocka_unit_test(test_verify_failures),        cmocka_unit_test(test_monitor_initial),
	    cmocka_unit_test(test_monitor_switchover),     cmocka_unit_test(test_monitor_roles),
	    cmocka_unit_test(test_monitor_log_and_screen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
