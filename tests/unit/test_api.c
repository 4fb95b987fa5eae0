/*
 * test_api.c: the REST API's health rules and routing, without a socket.
 *
 * The health rules are checked exhaustively: every path form x PostgreSQL role x
 * state x leader-lock freshness x lag filter x tag filter x pause x DCS
 * availability x sync membership x noloadbalance, against an oracle written from
 * Patroni's rule table, docs/patroni.md (each path's rule class is written by
 * hand below, not derived by substring matching as the code does). Hand-picked
 * cases anchor the oracle itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "api/api_access.h"
#include "api/api_health.h"
#include "api/api_route.h"
#include "api_fixture.h"

/* --- the oracle ------------------------------------------------------------------ */

enum rule {
	R_PRIMARY,        /* is leader (or paused without DCS and PostgreSQL is primary) */
	R_LEADER,         /* same, any role */
	R_STANDBY_LEADER, /* never: pgha runs no standby clusters */
	R_REPLICA,        /* rule R */
	R_READ_ONLY,      /* primary or R */
	R_HEALTH,         /* PostgreSQL running */
	R_SYNC,           /* DCS, listed in sync, R */
	R_ASYNC,          /* DCS, not listed, R */
	R_RO_SYNC,        /* DCS, and primary or (listed and R) */
	R_QUORUM,         /* never (no quorum mode) */
	R_RO_QUORUM,      /* DCS and primary */
	R_NONE,           /* unknown path: 503 */
};

static const struct {
	const char *path;
	enum rule rule;
} paths[] = {
    {"/", R_PRIMARY},
    {"/primary", R_PRIMARY},
    {"/master", R_PRIMARY},
    {"/read-write", R_PRIMARY},
    {"/primary-xyz", R_PRIMARY},
    {"/leader", R_LEADER},
    {"/leaderboard", R_LEADER},
    {"/standby-leader", R_STANDBY_LEADER},
    {"/standby_leader", R_STANDBY_LEADER},
    {"/replica", R_REPLICA},
    {"/foo/replica", R_REPLICA},
    {"/replica-sync", R_REPLICA},
    {"/read-only", R_READ_ONLY},
    {"/health", R_HEALTH},
    {"/healthz", R_HEALTH},
    {"/sync", R_SYNC},
    {"/synchronous", R_SYNC},
    {"/async", R_ASYNC},
    {"/asynchronous", R_ASYNC},
    {"/read-only-sync", R_RO_SYNC},
    {"/read-only-synchronous", R_RO_SYNC},
    {"/quorum", R_QUORUM},
    {"/read-only-quorum", R_RO_QUORUM},
    {"/unknown", R_NONE},
    {"/syncx", R_NONE},
    {"/liveness-like", R_NONE},
};

enum pg_state {
	ST_RUNNING,
	ST_SQL_FAILS,
	ST_STARTING,
	ST_STOPPED,
	ST__COUNT
};
enum lock {
	LOCK_FRESH,
	LOCK_EXPIRED,
	LOCK_NONE,
	LOCK__COUNT
};
enum lag {
	LAG_NO_FILTER,
	LAG_WITHIN,
	LAG_OVER,
	LAG__COUNT
};
enum tag {
	TAG_NONE,
	TAG_MATCH,
	TAG_MISMATCH,
	TAG_MISSING,
	TAG__COUNT
};

struct combo {
	bool replica; /* PostgreSQL in recovery (and the agent's role says so) */
	enum pg_state st;
	enum lock lock;
	enum lag lag;
	enum tag tag;
	bool pause;
	bool dcs;
	bool listed; /* named in the sync key (synchronous mode on) */
	bool noloadbalance;
};

#define BIG_LAG (8 * 1024 * 1024)

static void build(const struct combo *c, struct api_snapshot *s)
{
	if (c->replica)
		fix_replica(s, FIX_NOW_MS, c->lag == LAG_OVER ? BIG_LAG : 0);
	else
		fix_leader(s, FIX_NOW_MS);
	s->holds_leader = c->lock != LOCK_NONE;
	s->leader_valid_until_ms = FIX_NOW_MS + (c->lock == LOCK_FRESH ? 1 : 0);
	s->pause = c->pause;
	s->dcs_ok = c->dcs;
	s->noloadbalance = c->noloadbalance;
	s->synchronous_mode = true;
	s->view.sync.present = true;
	snprintf(s->view.sync.leader, DCS_NAME_LEN, "pg2");
	s->view.sync.n_standbys = 1;
	snprintf(s->view.sync.standbys[0], DCS_NAME_LEN, c->listed ? "PG1" : "pg3");
	/* The WAL receiver knows no more than what was replayed: only status.optime
	 * (i.e. the DCS) can reveal the lag. */
	s->pg.receive_lsn = s->pg.replay_lsn;
	switch (c->st) {
	case ST_RUNNING:
		break;
	case ST_SQL_FAILS:
		s->pg.connected = false;
		break;
	case ST_STARTING:
		snprintf(s->state, sizeof(s->state), "starting");
		break;
	case ST_STOPPED:
		snprintf(s->state, sizeof(s->state), "stopped");
		s->pg.connected = false;
		break;
	case ST__COUNT:
		break;
	}
}

static int query_of(const struct combo *c, struct api_query_arg *args)
{
	int n = 0;

	if (c->lag != LAG_NO_FILTER)
		args[n++] = (struct api_query_arg){"lag", "1MB"};
	if (c->tag == TAG_MATCH)
		args[n++] = (struct api_query_arg){"tag_zone", "a"};
	else if (c->tag == TAG_MISMATCH)
		args[n++] = (struct api_query_arg){"tag_zone", "b"};
	else if (c->tag == TAG_MISSING)
		args[n++] = (struct api_query_arg){"tag_rack", "r1"};
	return n;
}

static bool oracle(const struct combo *c, enum rule rule)
{
	bool running = c->st == ST_RUNNING;
	bool leader = c->lock == LOCK_FRESH;
	bool lagging = c->lag == LAG_OVER && c->dcs;
	bool r = !c->noloadbalance && c->replica && running && !lagging;
	bool sync = c->replica && (running || c->st == ST_STARTING) && c->dcs && c->listed;
	/* Paused without DCS: the role Patroni reports (SQL's, else the agent's) decides. */
	bool primary = !c->dcs && c->pause ? !c->replica : leader;
	bool tags_ok = c->tag == TAG_NONE || c->tag == TAG_MATCH;
	bool ok;

	switch (rule) {
	case R_PRIMARY:
		return primary;
	case R_LEADER:
		return primary;
	case R_STANDBY_LEADER:
		return false;
	case R_REPLICA:
		ok = r;
		break;
	case R_READ_ONLY:
		ok = primary || r;
		break;
	case R_HEALTH:
		ok = running;
		break;
	case R_SYNC:
		ok = c->dcs && sync && r;
		break;
	case R_ASYNC:
		ok = c->dcs && !sync && r;
		break;
	case R_RO_SYNC:
		ok = c->dcs && (primary || (sync && r));
		break;
	case R_RO_QUORUM:
		ok = c->dcs && primary;
		break;
	case R_QUORUM:
	case R_NONE:
	default:
		return false;
	}
	return ok && tags_ok;
}

static void describe(const struct combo *c, const char *path, char *out, size_t size)
{
	snprintf(out, size,
	         "path=%s replica=%d state=%d lock=%d lag=%d tag=%d pause=%d dcs=%d listed=%d "
	         "noloadbalance=%d",
	         path, c->replica, c->st, c->lock, c->lag, c->tag, c->pause, c->dcs, c->listed,
	         c->noloadbalance);
}

static int check_combo(const struct combo *c)
{
	struct api_snapshot s;
	struct api_query_arg args[4];
	struct api_query q = {.args = args, .n = query_of(c, args)};
	struct api_facts f;
	int failures = 0;

	build(c, &s);
	api_facts_derive(&s, FIX_NOW_MS, &f);
	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		int want = oracle(c, paths[p].rule) ? 200 : 503;
		int got = api_health_status(&s, &f, paths[p].path, &q);

		if (got != want && failures++ < 5) {
			char what[256];

			describe(c, paths[p].path, what, sizeof(what));
			print_error("%s: got %d, want %d\n", what, got, want);
		}
	}
	api_snapshot_free(&s);
	return failures;
}

static void test_health_rules_exhaustive(void **state)
{
	struct combo c;
	int failures = 0;
	int combos = 0;

	(void)state;
	for (int bits = 0; bits < 32; bits++) {
		c.replica = bits & 1;
		c.pause = bits & 2;
		c.dcs = bits & 4;
		c.listed = bits & 8;
		c.noloadbalance = bits & 16;
		for (c.st = 0; c.st < ST__COUNT; c.st++)
			for (c.lock = 0; c.lock < LOCK__COUNT; c.lock++)
				for (c.lag = 0; c.lag < LAG__COUNT; c.lag++)
					for (c.tag = 0; c.tag < TAG__COUNT; c.tag++) {
						failures += check_combo(&c);
						combos++;
					}
	}
	assert_int_equal(combos, 32 * ST__COUNT * LOCK__COUNT * LAG__COUNT * TAG__COUNT);
	assert_int_equal(failures, 0);
}

/* --- hand-picked cases (anchor the oracle) ---------------------------------------- */

static int status(const struct api_snapshot *s, int64_t now_ms, const char *path, const char *key,
                  const char *value)
{
	struct api_query_arg arg = {key, value};
	struct api_query q = {.args = &arg, .n = key != NULL ? 1 : 0};
	struct api_facts f;

	api_facts_derive(s, now_ms, &f);
	return api_health_status(s, &f, path, &q);
}

static void test_health_leader_cases(void **state)
{
	struct api_snapshot s;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	assert_int_equal(status(&s, FIX_NOW_MS, "/", NULL, NULL), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", NULL, NULL), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/read-only", NULL, NULL), 200);
	/* Tags are ignored by the leader family, applied to the others. */
	assert_int_equal(status(&s, FIX_NOW_MS, "/primary", "tag_zone", "b"), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/read-only", "tag_zone", "b"), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/health", "tag_clonefrom", "true"), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/health", "tag_clonefrom", "True"), 503);
	/* The lock is good until leader_valid_until_ms, not one millisecond more. */
	assert_int_equal(status(&s, s.leader_valid_until_ms - 1, "/primary", NULL, NULL), 200);
	assert_int_equal(status(&s, s.leader_valid_until_ms, "/primary", NULL, NULL), 503);
	/* PostgreSQL is a primary, but without the lock it is not one for clients. */
	s.holds_leader = false;
	assert_int_equal(status(&s, FIX_NOW_MS, "/primary", NULL, NULL), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/read-only", NULL, NULL), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/health", NULL, NULL), 200);
	/* ... unless paused and cut off from the DCS: then the role decides. */
	s.pause = true;
	s.view.valid = false;
	assert_int_equal(status(&s, FIX_NOW_MS, "/primary", NULL, NULL), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/leader", NULL, NULL), 200);
	api_snapshot_free(&s);
}

static void test_health_replica_cases(void **state)
{
	struct api_snapshot s;

	(void)state;
	fix_replica(&s, FIX_NOW_MS, 10 * 1024 * 1024);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", NULL, NULL), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "lag", "10MB"), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "lag", "10485759"), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "lag", "16kB"), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "lag", "lots"), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/async", "lag", "16kB"), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "replication_state", "streaming"), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "replication_state", "archive"), 503);
	/* The WAL receiver's position counts when it is ahead of status.optime. */
	s.view.status_optime = 0;
	s.pg.receive_lsn = s.pg.replay_lsn + 65536;
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "lag", "16kB"), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "lag", "64kB"), 200);
	s.pg.receiver_streaming = false;
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "replication_state", "streaming"), 503);
	api_snapshot_free(&s);
}

static void test_health_tags(void **state)
{
	struct api_snapshot s;
	struct api_query_arg args[2] = {{"tag_zone", "a"}, {"tag_zone", "b"}};
	struct api_query q = {.args = args, .n = 2};
	struct api_facts f;

	(void)state;
	fix_replica(&s, FIX_NOW_MS, 0);
	free(s.tags_json);
	s.tags_json = xstrdup("{\"zone\":\"a\",\"n\":3,\"off\":false,\"nil\":null}");
	api_facts_derive(&s, FIX_NOW_MS, &f);
	/* Repeated keys: the first value counts, as parse_qs(...)[0]. */
	assert_int_equal(api_health_status(&s, &f, "/replica", &q), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "tag_n", "3"), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "tag_off", "false"), 200);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "tag_nil", "null"), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "tag_", ""), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "zone", "b"), 200);
	/* Broken tags JSON: no tag matches, nothing crashes. */
	free(s.tags_json);
	s.tags_json = xstrdup("{broken");
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "tag_zone", "a"), 503);
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", NULL, NULL), 200);
	free(s.tags_json);
	s.tags_json = NULL;
	assert_int_equal(status(&s, FIX_NOW_MS, "/replica", "tag_zone", "a"), 503);
	api_snapshot_free(&s);
}

static void test_facts(void **state)
{
	struct api_snapshot s;
	struct api_facts f;

	(void)state;
	fix_replica(&s, FIX_NOW_MS, 100);
	api_facts_derive(&s, FIX_NOW_MS, &f);
	assert_string_equal(f.state, "running");
	assert_string_equal(f.role, "replica");
	assert_true(f.sql_ok && f.is_replica && !f.is_primary && !f.is_leader);
	assert_false(f.cluster_unlocked);
	assert_int_equal(f.leader_optime, FIX_OPTIME);
	assert_int_equal(f.replayed_lsn, FIX_OPTIME - 100);
	/* Running but unreachable over SQL: Patroni reports "unknown" and the agent's role. */
	s.pg.connected = false;
	snprintf(s.role, sizeof(s.role), "demoted");
	api_facts_derive(&s, FIX_NOW_MS, &f);
	assert_string_equal(f.state, "unknown");
	assert_string_equal(f.role, "demoted");
	assert_false(f.sql_ok || f.is_replica || f.is_primary);
	/* No DCS: the cluster counts as unlocked. */
	s.dcs_ok = false;
	api_facts_derive(&s, FIX_NOW_MS, &f);
	assert_true(f.cluster_unlocked && !f.dcs_available);
	api_snapshot_free(&s);
}

static void test_liveness(void **state)
{
	struct api_snapshot s;
	int64_t due;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	due = s.next_cycle_ms;
	/* A running primary gets ttl after its due time, anything else 2 * ttl. */
	assert_int_equal(api_liveness_status(&s, due + FIX_TTL_S * 1000 - 1), 200);
	assert_int_equal(api_liveness_status(&s, due + FIX_TTL_S * 1000), 503);
	snprintf(s.role, sizeof(s.role), "replica");
	assert_int_equal(api_liveness_status(&s, due + FIX_TTL_S * 1000), 200);
	assert_int_equal(api_liveness_status(&s, due + 2 * FIX_TTL_S * 1000), 503);
	s.pause = true;
	assert_int_equal(api_liveness_status(&s, due + 100 * FIX_TTL_S * 1000), 200);
	api_snapshot_free(&s);
}

static int readiness(const struct api_snapshot *s, const char *key, const char *value)
{
	struct api_query_arg arg = {key, value};
	struct api_query q = {.args = &arg, .n = key != NULL ? 1 : 0};
	struct api_facts f;

	api_facts_derive(s, FIX_NOW_MS, &f);
	return api_readiness_status(s, &f, &q);
}

static void test_readiness(void **state)
{
	struct api_snapshot s;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	assert_int_equal(readiness(&s, NULL, NULL), 200);
	s.holds_leader = false; /* a primary without the lock streams from nobody */
	assert_int_equal(readiness(&s, NULL, NULL), 503);
	api_snapshot_free(&s);

	fix_replica(&s, FIX_NOW_MS, 2 * 1024 * 1024); /* over maximum_lag_on_failover (1 MB) */
	assert_int_equal(readiness(&s, NULL, NULL), 503);
	assert_int_equal(readiness(&s, "lag", "4MB"), 200);
	assert_int_equal(readiness(&s, "lag", "nonsense"), 503);
	/* mode=write measures what was received, not replayed. */
	s.pg.receive_lsn = FIX_OPTIME;
	assert_int_equal(readiness(&s, "mode", "write"), 200);
	assert_int_equal(readiness(&s, "mode", "apply"), 503);
	s.pg.receiver_streaming = false;
	assert_int_equal(readiness(&s, "mode", "write"), 503);
	s.pg.receiver_streaming = true;
	/* Without the DCS the WAL receiver's position is the reference. */
	s.dcs_ok = false;
	assert_int_equal(readiness(&s, "mode", "write"), 200);
	s.pg.receive_lsn = 0;
	assert_int_equal(readiness(&s, NULL, NULL), 503);
	snprintf(s.state, sizeof(s.state), "starting");
	s.dcs_ok = true;
	assert_int_equal(readiness(&s, "lag", "100MB"), 503);
	api_snapshot_free(&s);
}

/* --- routing ---------------------------------------------------------------------- */

static void expect_route(const char *method, const char *path, enum api_endpoint ep, enum api_op op,
                         bool status_only, bool protected_)
{
	struct api_route r;

	api_route_find(method, path, &r);
	if (r.ep != ep || r.status_only != status_only || r.protected_ != protected_ ||
	    (ep == API_EP_OPERATION && r.op != op))
		print_error("%s %s: ep %d op %d bare %d protected %d\n", method, path, r.ep, r.op,
		            r.status_only, r.protected_);
	assert_int_equal(r.ep, ep);
	if (ep == API_EP_OPERATION)
		assert_int_equal(r.op, op);
	assert_int_equal(r.status_only, status_only);
	assert_int_equal(r.protected_, protected_);
}

static void test_routes(void **state)
{
	const enum api_op none = API_OP__COUNT;
	struct api_route r;

	(void)state;
	expect_route("GET", "/", API_EP_HEALTH, none, false, false);
	expect_route("OPTIONS", "/", API_EP_HEALTH, none, true, false);
	expect_route("HEAD", "/replica?x", API_EP_HEALTH, none, true, false);
	expect_route("GET", "/patroni", API_EP_PATRONI, none, false, false);
	expect_route("GET", "//patroni/x/y", API_EP_PATRONI, none, false, false);
	expect_route("HEAD", "/patroni", API_EP_PATRONI, none, true, false);
	expect_route("GET", "/patronix", API_EP_HEALTH, none, false, false);
	expect_route("GET", "/cluster", API_EP_CLUSTER, none, false, false);
	expect_route("GET", "/history", API_EP_HISTORY, none, false, false);
	expect_route("GET", "/config", API_EP_CONFIG, none, false, false);
	expect_route("GET", "/metrics", API_EP_METRICS, none, false, false);
	expect_route("GET", "/liveness", API_EP_LIVENESS, none, true, false);
	expect_route("GET", "/readiness", API_EP_READINESS, none, true, false);
	expect_route("GET", "/failsafe", API_EP_FAILSAFE, none, false, false);
	expect_route("POST", "/failsafe", API_EP_FAILSAFE_POST, none, false, true);
	expect_route("GET", "/switchover", API_EP_HEALTH, none, false, false);
	expect_route("POST", "/switchover", API_EP_OPERATION, API_OP_SWITCHOVER, false, true);
	expect_route("DELETE", "/switchover", API_EP_OPERATION, API_OP_SWITCHOVER_CANCEL, false,
	             true);
	expect_route("POST", "/failover", API_EP_OPERATION, API_OP_FAILOVER, false, true);
	expect_route("POST", "/restart", API_EP_OPERATION, API_OP_RESTART, false, true);
	expect_route("DELETE", "/restart", API_EP_OPERATION, API_OP_RESTART_CANCEL, false, true);
	expect_route("POST", "/reinitialize", API_EP_OPERATION, API_OP_REINITIALIZE, false, true);
	expect_route("POST", "/reload", API_EP_OPERATION, API_OP_RELOAD, false, true);
	expect_route("PATCH", "/config", API_EP_OPERATION, API_OP_CONFIG_PATCH, false, true);
	expect_route("PUT", "/config", API_EP_OPERATION, API_OP_CONFIG_PUT, false, true);
	expect_route("POST", "/reload/now", API_EP_OPERATION, API_OP_RELOAD, false, true);
	expect_route("POST", "/nothing", API_EP_NOT_FOUND, none, false, false);
	expect_route("post", "/reload", API_EP_NOT_IMPLEMENTED, none, false, false);
	expect_route("TRACE", "/", API_EP_NOT_IMPLEMENTED, none, false, false);
	expect_route("POST", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	             API_EP_NOT_FOUND, none, false, false);

	api_route_find("PUT", "/switchover", &r);
	assert_int_equal(r.ep, API_EP_METHOD_NOT_ALLOWED);
	assert_string_equal(r.allow, "GET, HEAD, OPTIONS, POST, DELETE");
	api_route_find("POST", "/patroni", &r);
	assert_int_equal(r.ep, API_EP_METHOD_NOT_ALLOWED);
	assert_string_equal(r.allow, "GET, HEAD, OPTIONS");
	api_route_find("DELETE", "/config", &r);
	assert_string_equal(r.allow, "GET, HEAD, OPTIONS, PUT, PATCH");
}

/* --- allowlist ------------------------------------------------------------------------ */

static struct sockaddr_storage addr_of(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
	}
	return ss;
}

static bool in_net(const char *net, const char *addr)
{
	struct api_net n;
	struct sockaddr_storage ss = addr_of(addr);

	assert_true(api_net_parse(net, &n));
	return api_net_match(&n, (const struct sockaddr *)&ss);
}

/* restapi.allowlist: addresses and CIDR networks, v4, v6 and v4 mapped into v6. */
static void test_allowlist_networks(void **state)
{
	static const char *const bad[] = {"",        "10.0.0.0/33",  "10.0.0.0/", "10.0.0.0/x",
	                                  "::1/129", "host.example", "10.0.0.256"};
	struct api_net n;

	(void)state;
	assert_true(in_net("10.0.0.0/8", "10.200.3.4"));
	assert_false(in_net("10.0.0.0/8", "11.0.0.1"));
	assert_true(in_net("192.168.1.0/23", "192.168.0.255"));
	assert_false(in_net("192.168.1.0/24", "192.168.0.255"));
	assert_true(in_net("192.0.2.7", "192.0.2.7"));
	assert_false(in_net("192.0.2.7", "192.0.2.8"));
	assert_true(in_net("0.0.0.0/0", "203.0.113.9"));
	assert_true(in_net("2001:db8::/32", "2001:db8:1::5"));
	assert_false(in_net("2001:db8::/32", "2001:db9::5"));
	assert_true(in_net("10.0.0.0/8", "::ffff:10.1.2.3")); /* a dual-stack listener's view */
	assert_false(in_net("::/0", "10.1.2.3"));
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_false(api_net_parse(bad[i], &n));
}

/* The list with names resolved; members' api_url hosts only with include_members. */
static void test_allowlist_check(void **state)
{
	char *entries[] = {"10.0.0.0/8", "localhost", NULL};
	char *bad[] = {"10.0.0.0/8", "no-such-host.invalid", NULL};
	struct sockaddr_storage lo = addr_of("127.0.0.1"), member = addr_of("192.0.2.20");
	struct api_allow a;
	struct dcs_view v;
	char err[256];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.n_members = 1;
	snprintf(v.members[0].api_url, DCS_URL_LEN, "https://192.0.2.20:8008/patroni");
	assert_true(api_allow_build(NULL, false, &a, err, sizeof(err)));
	assert_false(a.active);
	assert_true(api_allow_check(&a, (struct sockaddr *)&member, NULL)); /* no list: anyone */
	api_allow_free(&a);
	assert_true(api_allow_build(entries, false, &a, err, sizeof(err)));
	assert_true(api_allow_check(&a, (struct sockaddr *)&lo, &v)); /* localhost resolved */
	assert_false(api_allow_check(&a, (struct sockaddr *)&member, &v));
	api_allow_free(&a);
	assert_true(api_allow_build(entries, true, &a, err, sizeof(err)));
	assert_true(api_allow_check(&a, (struct sockaddr *)&member, &v));
	api_allow_free(&a);
	assert_false(api_allow_build(bad, false, &a, err, sizeof(err)));
	assert_non_null(strstr(err, "no-such-host.invalid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health_rules_exhaustive),
	    cmocka_unit_test(test_health_leader_cases),
	    cmocka_unit_test(test_health_replica_cases),
	    cmocka_unit_test(test_health_tags),
	    cmocka_unit_test(test_facts),
	    cmocka_unit_test(test_liveness),
	    cmocka_unit_test(test_readiness),
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_allowlist_networks),
	    cmocka_unit_test(test_allowlist_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
