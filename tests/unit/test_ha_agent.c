/*
 * test_ha_agent.c: the agent's apply steps and REST operations, with its real code
 * (agent_open, observe, decide, apply, agent_ops) on the in-memory etcd cluster, a
 * recorded PostgreSQL (fake_pg.c) and, where time matters, simulated time.
 *
 * What users rely on:
 *  - a plan stops at the first failed step: a leader race lost at the compare-and-swap
 *    never promotes;
 *  - a switchover hands the key over only after PostgreSQL stopped cleanly;
 *  - a switchover that falls due while the sync key names no standby (a leader change
 *    a moment ago) waits for one, 20 s at most, then is cancelled, saying why; the REST
 *    API accepts it meanwhile and answers 200 once carried out, 412 once cancelled;
 *  - a leader cut off from etcd is fenced by its lease keeper, then restarts read-only;
 *  - an agent whose fencer cannot start does not start;
 *  - REST requests racing the HA loop read one whole dynamic configuration (under
 *    `make tsan` a torn read is a reported data race) and wait for the loop's outcome.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "dcs/dcs_mem.h"
#include "fake_pg.h"
#include "ha/agent_int.h"
#include "ha/agent_ops.h"
#include "ha/ha_decide.h"
#include "ha/lease.h"
#include "log/log.h"
#include "util/clocksrc.h"
#include "util/xalloc.h"

#define START 1000000
#define P     "/service/batman/"
#define SYSID "7000000000000000001"
#define N1_YML                                                                                  \
	"scope: batman\nname: n1\nrestapi:\n  listen: 127.0.0.1:8008\n  connect_address: "      \
	"127.0.0.1:1\netcd3:\n  hosts: 127.0.0.1:2379\npostgresql:\n  listen: 127.0.0.1:5432\n" \
	"  data_dir: /tmp/pgha-unit-n1/data\n"
/* A member whose REST API refuses at once (port 1): peers' probes do not wait. */
#define MEMBER(role, extra)                                                                    \
	"{\"conn_url\":\"postgres://127.0.0.1:5433/postgres\",\"api_url\":\"http://127.0.0.1:" \
	"1/patroni\",\"state\":\"running\",\"role\":\"" role "\",\"xlog_location\":100,"       \
	"\"timeline\":1" extra "}"
#define STREAMING ",\"replication_state\":\"streaming\""

struct rig {
	struct clocksrc *clock; /* simulated, or NULL for real time */
	struct dcs_mem *mem;
	struct agent *a;
	/* The failsafe members as the primary's rounds reach them (agent_seams.fs_post). */
	atomic_int rounds;
	atomic_bool refuse; /* every member refuses from now on */
	char targets[128];  /* the names the last round went to, "n2,n3" */
};

static const char *failing_thread;

static int spawn(pthread_t *t, const char *name, void *(*main)(void *), void *arg)
{
	if (failing_thread != NULL && strcmp(name, failing_thread) == 0)
		return EAGAIN;
	return thread_start(t, name, main, arg);
}

/* fs_post: the failsafe members' answers to this node's rounds, scripted by the test. */
static void fs_post(void *ctx, const struct dcs_failsafe *targets, const char *body, int timeout_ms,
                    bool *accepted)
{
	struct rig *r = ctx;
	char names[128] = "";

	(void)body, (void)timeout_ms;
	for (int i = 0; i < targets->n; i++) {
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? "," : "",
		         targets->names[i]);
		accepted[i] = !atomic_load(&r->refuse);
	}
	memcpy(r->targets, names, sizeof(names));
	atomic_fetch_add(&r->rounds, 1);
}

static bool open_agent(struct rig *r)
{
	struct config cfg;
	struct agent_seams seams = {
	    .mem = r->mem, .clock = r->clock, .spawn = spawn, .fs_post = fs_post, .fs_post_ctx = r};

	assert_true(config_load_string(N1_YML, "n1.yml", &cfg, NULL, NULL));
	r->a = xcalloc(1, sizeof(*r->a));
	return agent_open(r->a, &cfg, &seams);
}

/* setup: a cluster on simulated time (real time for the data race test). */
static int setup_with(void **state, bool simulated)
{
	struct rig *r = xcalloc(1, sizeof(*r));

	failing_thread = NULL;
	log_set_level(LOG_LEVEL_WARN);
	fake_pg_reset(NULL);
	r->clock = simulated ? clocksrc_sim_new(START) : NULL;
	r->mem = dcs_mem_new(r->clock);
	assert_true(dcs_mem_put(r->mem, P "initialize", SYSID, 0));
	*state = r;
	return 0;
}

static int setup_sim(void **state)
{
	return setup_with(state, true);
}

static int setup_real(void **state)
{
	return setup_with(state, false);
}

static int teardown(void **state)
{
	struct rig *r = *state;

	if (r->clock != NULL)
		clocksrc_sim_release(r->clock);
	if (r->a != NULL)
		agent_close(r->a);
	free(r->a);
	dcs_mem_free(r->mem);
	clocksrc_sim_free(r->clock);
	free(r);
	return 0;
}

static void put(struct rig *r, const char *rel, const char *value)
{
	char key[256];

	snprintf(key, sizeof(key), P "%s", rel);
	assert_true(dcs_mem_put(r->mem, key, value, 0));
}

static bool get(struct rig *r, const char *rel, char *out, size_t size)
{
	char key[256];
	char *v = NULL;
	bool ok;

	snprintf(key, sizeof(key), P "%s", rel);
	ok = dcs_mem_get(r->mem, key, &v, NULL);
	snprintf(out, size, "%s", ok ? v : "");
	free(v);
	return ok;
}

/* --- PostgreSQL as observed ------------------------------------------------------------ */

static void observe_replica(uint64_t lsn)
{
	struct pg_observation o = {.proc = PG_PROC_RUNNING,
	                           .connected = true,
	                           .data = PG_DATA_IN_RECOVERY,
	                           .in_recovery = true,
	                           .timeline = 1,
	                           .control_timeline = 1,
	                           .receive_lsn = lsn,
	                           .replay_lsn = lsn};

	strcpy(o.system_id, SYSID);
	fake_pg_reset(&o);
}

static void observe_primary(uint64_t lsn, const char *streaming_standby)
{
	struct pg_observation o = {.proc = PG_PROC_RUNNING,
	                           .connected = true,
	                           .data = PG_DATA_IN_PRODUCTION,
	                           .timeline = 1,
	                           .control_timeline = 1,
	                           .control_checkpoint = lsn,
	                           .wal_lsn = lsn};

	strcpy(o.system_id, SYSID);
	if (streaming_standby != NULL) {
		strcpy(o.replication[0].application_name, streaming_standby);
		strcpy(o.replication[0].state, "streaming");
		strcpy(o.replication[0].sync_state, "async");
		o.replication[0].flush_lsn = lsn;
		o.n_replication = 1;
	}
	fake_pg_reset(&o);
}

/* plan_of: observe and decide, as a cycle does; in is the caller's to free. */
static void plan_of(struct agent *a, struct ha_input *in, struct ha_decision *d)
{
	agent_observe(a, in);
	ha_decide(in, d);
}

static bool plan_has(const struct ha_decision *d, enum ha_action_kind k)
{
	for (int i = 0; i < d->n_actions; i++)
		if (d->actions[i].kind == k)
			return true;
	return false;
}

/* --- apply steps -------------------------------------------------------------------------- */

/* The race is won on this view, but another member's create-if-absent lands first:
 * the plan stops at the lost compare-and-swap, and PostgreSQL is never promoted. */
static void test_lost_race_never_promotes(void **state)
{
	struct rig *r = *state;
	struct ha_input *in = xcalloc(1, sizeof(*in));
	struct ha_decision d;
	char leader[64];

	put(r, "config", "{\"synchronous_mode\":false}");
	put(r, "members/n2", MEMBER("replica", STREAMING));
	assert_true(open_agent(r));
	observe_replica(100);
	plan_of(r->a, in, &d);
	assert_int_equal(d.rule, HA_RULE_RACE_WIN);
	assert_true(plan_has(&d, HA_ACT_ACQUIRE_LEADER) && plan_has(&d, HA_ACT_PROMOTE));
	put(r, "leader", "n2"); /* n2 got there first */
	assert_false(agent_apply(r->a, in, &d));
	assert_string_equal(fake_pg_calls(), "");
	assert_false(lease_state(r->a->lease).held);
	assert_true(get(r, "leader", leader, sizeof(leader)));
	assert_string_equal(leader, "n2");
	dcs_view_free(&in->view);
	/* The same plan on a free key: the key first, then the promotion. */
	assert_true(dcs_mem_delete(r->mem, P "leader"));
	plan_of(r->a, in, &d);
	assert_true(agent_apply(r->a, in, &d));
	assert_string_equal(fake_pg_calls(), "promote,sync_slots");
	assert_true(lease_state(r->a->lease).held);
	assert_true(get(r, "leader", leader, sizeof(leader)));
	assert_string_equal(leader, "n1");
	dcs_view_free(&in->view);
	free(in);
}

/* A switchover: a clean stop (checkpoint first) before the key is handed over, with
 * the final WAL position published for the candidate's lag check. */
static void test_switchover_stops_before_release(void **state)
{
	struct rig *r = *state;
	struct ha_input *in = xcalloc(1, sizeof(*in));
	struct ha_decision d;
	char status[128];

	put(r, "config", "{\"synchronous_mode\":false}");
	put(r, "members/n2", MEMBER("replica", STREAMING));
	assert_true(open_agent(r));
	assert_int_equal(lease_acquire(r->a->lease, false, -1), DCS_CAS_OK);
	observe_primary(5000, "n2");
	put(r, "failover", "{\"leader\":\"n1\",\"member\":\"n2\"}");
	plan_of(r->a, in, &d);
	assert_int_equal(d.rule, HA_RULE_SWITCHOVER);
	assert_true(agent_apply(r->a, in, &d));
	assert_string_equal(fake_pg_calls(), "checkpoint,stop:fast");
	assert_false(get(r, "leader", status, sizeof(status)));
	assert_false(lease_state(r->a->lease).held);
	assert_true(get(r, "status", status, sizeof(status)));
	assert_non_null(strstr(status, "\"optime\":5000"));
	dcs_view_free(&in->view);
	free(in);
}

/* failover_cleared: the failover key is gone or {} (cleared). */
static bool failover_cleared(struct rig *r)
{
	char value[128];

	return !get(r, "failover", value, sizeof(value)) || strcmp(value, "{}") == 0;
}

/* The sync key names no standby yet: a due switchover waits for one (not dropped at
 * once, as it was), 2 * max(10, loop_wait) = 20 s at most, then is cancelled. */
static void test_due_switchover_waits_for_sync_standby(void **state)
{
	struct rig *r = *state;
	struct ha_input *in = xcalloc(1, sizeof(*in));
	struct ha_decision d;

	put(r, "config", "{\"synchronous_mode\":true,\"loop_wait\":1}");
	put(r, "members/n2", MEMBER("replica", STREAMING));
	assert_true(open_agent(r));
	assert_int_equal(lease_acquire(r->a->lease, false, -1), DCS_CAS_OK);
	put(r, "sync", "{\"leader\":\"n1\",\"sync_standby\":null}");
	put(r, "failover", "{\"leader\":\"n1\",\"member\":\"n2\"}");
	clocksrc_sim_settle(r->clock);
	observe_primary(5000, "n2"); /* streaming, not yet reported synchronous */
	(void)agent_cycle(r->a);
	assert_int_equal(r->a->last_rule, HA_RULE_LEADER);
	assert_non_null(strstr(r->a->last_reason, "waiting for the sync key to name"));
	clocksrc_sim_advance(r->clock, 19000);
	(void)agent_cycle(r->a);
	assert_false(failover_cleared(r));
	clocksrc_sim_advance(r->clock, 1000);
	(void)agent_cycle(r->a);
	assert_non_null(strstr(r->a->last_reason, "no synchronous standby was named in time"));
	assert_true(failover_cleared(r));
	/* Asked again, and this time the standby is named: the switchover goes ahead. */
	put(r, "failover", "{\"leader\":\"n1\",\"member\":\"n2\"}");
	clocksrc_sim_settle(r->clock);
	(void)agent_cycle(r->a);
	assert_non_null(strstr(r->a->last_reason, "waiting for the sync key to name"));
	put(r, "sync", "{\"leader\":\"n1\",\"sync_standby\":\"n2\"}");
	clocksrc_sim_settle(r->clock);
	plan_of(r->a, in, &d);
	assert_int_equal(d.rule, HA_RULE_SWITCHOVER);
	assert_string_equal(d.detail, "n2");
	dcs_view_free(&in->view);
	free(in);
}

/* Cut off from etcd, the leader is fenced by its lease keeper at the deadline; its
 * next cycle stops PostgreSQL for good and, once the view is too old to trust, starts
 * it read-only. */
static void test_cut_off_leader_is_fenced(void **state)
{
	struct rig *r = *state;
	struct pg_observation down = {.proc = PG_PROC_CRASHED, .data = PG_DATA_IN_PRODUCTION};
	struct ha_lease lease;

	put(r, "config", "{\"synchronous_mode\":false}");
	assert_true(open_agent(r));
	assert_int_equal(lease_acquire(r->a->lease, false, -1), DCS_CAS_OK);
	clocksrc_sim_settle(r->clock);
	observe_primary(5000, NULL);
	(void)agent_cycle(r->a);
	assert_int_equal(r->a->last_rule, HA_RULE_LEADER);
	/* A new leader checks its slots at once (none wanted here: a single member). */
	assert_string_equal(fake_pg_calls(), "sync_slots");
	observe_primary(5000, NULL); /* forgets the calls */
	dcs_mem_set_reachable(r->mem, "n1", false);
	lease = lease_state(r->a->lease);
	clocksrc_sim_advance(r->clock, lease.deadline_ms - clocksrc_now_ms(r->clock) - 1);
	assert_int_equal(fake_pg_fences(), 0);
	clocksrc_sim_advance(r->clock, 1);
	assert_int_equal(fake_pg_fences(), 1);
	(void)agent_cycle(r->a);
	assert_int_equal(r->a->last_rule, HA_RULE_LOST_KEY_FENCE);
	assert_string_equal(fake_pg_calls(), "fence,stop:immediate");
	assert_false(lease_state(r->a->lease).held);
	strcpy(down.system_id, SYSID);
	fake_pg_reset(&down);
	clocksrc_sim_advance(r->clock, 1000); /* the cut-off view is now older than ttl */
	(void)agent_cycle(r->a);
	assert_int_equal(r->a->last_rule, HA_RULE_DCS_LOST_WAIT);
	assert_string_equal(fake_pg_calls(), "start:replica");
}

/* An agent whose lease keeper has no fencer does not start at all. */
static void test_agent_without_fencer_does_not_start(void **state)
{
	struct rig *r = *state;
	char leader[64];

	failing_thread = "lease-fencer";
	assert_false(open_agent(r));
	assert_false(get(r, "leader", leader, sizeof(leader)));
}

/* --- REST operations racing the loop ------------------------------------------------------- */

struct rest_call {
	struct agent *a;
	struct clocksrc *clock; /* counted on it while it runs */
	struct api_request req;
	int code;
	struct buf reply;
	int rounds; /* calls to make (the race test) */
	int unexpected;
};

static void *rest_main(void *arg)
{
	struct rest_call *c = arg;

	clocksrc_thread_begin(c->clock);
	for (int i = 0; i < c->rounds; i++) {
		buf_reset(&c->reply);
		c->code = agent_ops_operation(c->a, &c->req, &c->reply);
		/* Paused: a switchover needs a candidate (400); else nobody can take over. */
		if (c->code != 400 && c->code != 412)
			c->unexpected++;
	}
	clocksrc_thread_exit(c->clock);
	return NULL;
}

static void start_rest(struct rest_call *c, pthread_t *t)
{
	buf_init(&c->reply);
	clocksrc_thread_add(c->clock);
	assert_int_equal(thread_start(t, "rest-op", rest_main, c), 0);
}

/* config_view: a view holding only a config key (what the loop's observe passes on). */
static void refresh(struct agent *a, const char *json, int64_t revision)
{
	struct dcs_view v;

	memset(&v, 0, sizeof(v));
	v.has_config = true;
	v.config_mod_revision = revision;
	v.config_json = (char *)(uintptr_t)json;
	agent_refresh_dyn(a, &v);
}

/*
 * The HA loop replaces the dynamic configuration while REST requests read it: each
 * request sees one configuration, whole (before, REST threads read a->dyn while the
 * loop freed and rebuilt it in place: a data race `make tsan` reports).
 */
static void test_rest_reads_a_whole_config(void **state)
{
	struct rig *r = *state;
	struct rest_call calls[3];
	pthread_t t[3];

	put(r, "leader", "n1");
	assert_true(open_agent(r));
	log_set_level(LOG_LEVEL_ERROR); /* a log line per replacement otherwise */
	for (int i = 0; i < 3; i++) {
		memset(&calls[i], 0, sizeof(calls[i]));
		calls[i].a = r->a;
		calls[i].req.op = API_OP_SWITCHOVER;
		strcpy(calls[i].req.leader, "n1");
		calls[i].rounds = 300;
		start_rest(&calls[i], &t[i]);
	}
	for (int rev = 1; rev <= 3000; rev++)
		refresh(r->a,
		        rev % 2 ? "{\"pause\":true,\"loop_wait\":1}"
		                : "{\"ttl\":40,\"loop_wait\":30}",
		        rev);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(calls[i].unexpected, 0);
		buf_free(&calls[i].reply);
	}
}

/* One REST switchover on simulated time: it starts and returns its code. */
static void *switchover_main(void *arg)
{
	struct rest_call *c = arg;

	clocksrc_thread_begin(c->clock);
	c->code = agent_ops_operation(c->a, &c->req, &c->reply);
	clocksrc_thread_exit(c->clock);
	return NULL;
}

static void start_switchover(struct rig *r, struct rest_call *c, pthread_t *t)
{
	memset(c, 0, sizeof(*c));
	c->a = r->a;
	c->clock = r->clock;
	c->req.op = API_OP_SWITCHOVER;
	strcpy(c->req.leader, "n1");
	strcpy(c->req.candidate, "n2");
	buf_init(&c->reply);
	clocksrc_thread_add(r->clock);
	assert_int_equal(thread_start(t, "rest-op", switchover_main, c), 0);
	clocksrc_sim_settle(r->clock);
}

static void switchover_world(struct rig *r)
{
	put(r, "config", "{\"synchronous_mode\":false,\"loop_wait\":1}");
	put(r, "members/n1", MEMBER("primary", ""));
	put(r, "members/n2", MEMBER("replica", STREAMING));
	put(r, "leader", "n1");
	assert_true(open_agent(r));
	refresh(r->a, "{\"synchronous_mode\":false,\"loop_wait\":1}", 1);
}

/*
 * switchover_carried_out: a switchover n1 -> n2 in r's world is written for the loops
 * to carry out; they work on it for work_ms, then hand the key to n2: answered 200.
 */
static void switchover_carried_out(struct rig *r, int64_t work_ms)
{
	struct rest_call c;
	pthread_t t;
	char failover[128];

	start_switchover(r, &c, &t);
	assert_true(get(r, "failover", failover, sizeof(failover)));
	assert_non_null(strstr(failover, "\"member\":\"n2\""));
	clocksrc_sim_advance(r->clock, work_ms);
	assert_true(dcs_mem_delete(r->mem, P "leader"));
	put(r, "leader", "n2");
	clocksrc_sim_advance(r->clock, 50);
	pthread_join(t, NULL);
	assert_int_equal(c.code, 200);
	assert_string_equal(c.reply.data, "Successfully switched over to \"n2\"");
	buf_free(&c.reply);
}

/* The request is written for the loops to carry out, and answered when they have. */
static void test_switchover_answers_when_the_loop_is_done(void **state)
{
	struct rig *r = *state;

	switchover_world(r);
	switchover_carried_out(r, 5000);
}

/* A request keeps the configuration it started with: a new loop_wait published while
 * it waits does not stretch its bound (2 * max(10, loop_wait) = 20 s). */
static void test_switchover_keeps_its_config(void **state)
{
	struct rig *r = *state;
	struct rest_call c;
	pthread_t t;

	switchover_world(r);
	start_switchover(r, &c, &t);
	refresh(r->a, "{\"synchronous_mode\":false,\"ttl\":40,\"loop_wait\":30}", 2);
	clocksrc_sim_advance(r->clock, 19999);
	clocksrc_sim_advance(r->clock, 100);
	pthread_join(t, NULL);
	assert_int_equal(c.code, 503);
	assert_string_equal(c.reply.data, "Switchover status unknown after 20 seconds");
	buf_free(&c.reply);
}

/* sync_pending_world: n1 leads, n2 streams, the sync key names no standby yet. */
static void sync_pending_world(struct rig *r)
{
	const char *cfg = "{\"synchronous_mode\":true,\"loop_wait\":1}";

	put(r, "config", cfg);
	put(r, "members/n1", MEMBER("primary", ""));
	put(r, "members/n2", MEMBER("replica", STREAMING));
	put(r, "leader", "n1");
	put(r, "sync", "{\"leader\":\"n1\",\"sync_standby\":null}");
	assert_true(open_agent(r));
	refresh(r->a, cfg, 1);
}

/* Asked for before the sync key names a standby, a switchover is accepted (it was
 * refused: 412 "No good candidates have been found") and answered once carried out. */
static void test_switchover_while_sync_pending(void **state)
{
	struct rig *r = *state;

	sync_pending_world(r);
	/* 25 s: past the plain bound of 20 s, within the wait for the standby plus it */
	switchover_carried_out(r, 25000);
}

/* The leader gave up waiting (it cleared the key): 412 at once, saying why. */
static void test_switchover_cancelled_explains(void **state)
{
	struct rig *r = *state;
	struct rest_call c;
	pthread_t t;

	sync_pending_world(r);
	start_switchover(r, &c, &t);
	clocksrc_sim_advance(r->clock, 1000);
	put(r, "failover", "{}");
	clocksrc_sim_advance(r->clock, 100);
	pthread_join(t, NULL);
	assert_int_equal(c.code, 412);
	assert_string_equal(c.reply.data, "No good candidates have been found: no synchronous "
	                                  "standby was named within 20 seconds");
	buf_free(&c.reply);
}

/* --- failsafe_mode ------------------------------------------------------------------------ */

#define FAILSAFE_CONFIG "{\"synchronous_mode\":false,\"failsafe_mode\":true}"

/* post: a POST /failsafe from name, as the REST server hands it over. */
static int post(struct rig *r, const char *name, struct buf *reply)
{
	struct api_failsafe_post p;
	char body[256], lsn[32] = "";

	snprintf(body, sizeof(body),
	         "{\"name\":\"%s\",\"conn_url\":\"postgres://h:1/postgres\",\"api_url\":"
	         "\"http://h:2/patroni\",\"slots\":{}}",
	         name);
	api_failsafe_parse(body, strlen(body), &p);
	buf_reset(reply);
	return agent_fs_post(r->a, &p, reply, lsn, sizeof(lsn));
}

/*
 * A replica confirms only the leader it knows, and then holds back: with the leader key
 * gone (expired while the primary ran on failsafe) it neither races nor takes the key,
 * even when a plan asks it to, until a ttl after the last confirmation.
 */
static void test_failsafe_window_holds_the_race(void **state)
{
	struct rig *r = *state;
	struct ha_input *in = xcalloc(1, sizeof(*in));
	struct ha_decision d;
	struct buf reply;
	char leader[64];

	put(r, "config", FAILSAFE_CONFIG);
	put(r, "members/n2", MEMBER("primary", ""));
	put(r, "leader", "n2");
	assert_true(open_agent(r));
	observe_replica(100);
	(void)agent_cycle(r->a); /* n2 is the leader this node knows */
	buf_init(&reply);
	assert_int_equal(post(r, "n3", &reply), 500);
	assert_non_null(strstr(reply.data, "Not the leader"));
	assert_int_equal(post(r, "n2", &reply), 200);
	assert_string_equal(reply.data, "Accepted");
	assert_true(dcs_mem_delete(r->mem, P "leader"));
	assert_true(dcs_mem_delete(r->mem, P "members/n2"));
	clocksrc_sim_advance(r->clock, 1000);
	plan_of(r->a, in, &d);
	assert_int_equal(d.rule, HA_RULE_FAILSAFE_WINDOW);
	dcs_view_free(&in->view);
	/* Even a plan that says so does not take the key while the window is open. */
	plan_of(r->a, in, &d);
	d.n_actions = 1;
	d.actions[0].kind = HA_ACT_ACQUIRE_LEADER;
	assert_false(agent_apply(r->a, in, &d));
	assert_false(get(r, "leader", leader, sizeof(leader)));
	dcs_view_free(&in->view);
	/* A ttl after the last confirmation the race is on again. */
	clocksrc_sim_advance(r->clock, 1001);
	plan_of(r->a, in, &d);
	assert_int_equal(d.rule, HA_RULE_RACE_WIN);
	assert_true(agent_apply(r->a, in, &d));
	assert_true(get(r, "leader", leader, sizeof(leader)));
	assert_string_equal(leader, "n1");
	/* Leading now: no POST is accepted any more. */
	assert_int_equal(post(r, "n2", &reply), 500);
	dcs_view_free(&in->view);
	buf_free(&reply);
	free(in);
}

/* POST /failsafe with failsafe_mode off: 502, before anything else is looked at. */
static void test_failsafe_post_mode_off(void **state)
{
	struct rig *r = *state;
	struct api_failsafe_post p;
	struct buf reply;
	char lsn[32] = "";

	put(r, "config", "{\"synchronous_mode\":false}");
	put(r, "leader", "n2");
	assert_true(open_agent(r));
	observe_replica(100);
	(void)agent_cycle(r->a);
	buf_init(&reply);
	assert_int_equal(post(r, "n2", &reply), 502);
	api_failsafe_parse(NULL, 0, &p);
	assert_int_equal(agent_fs_post(r->a, &p, &reply, lsn, sizeof(lsn)), 502);
	put(r, "config", FAILSAFE_CONFIG);
	clocksrc_sim_advance(r->clock, 10);
	(void)agent_cycle(r->a);
	buf_reset(&reply);
	assert_int_equal(agent_fs_post(r->a, &p, &reply, lsn, sizeof(lsn)), 411);
	api_failsafe_parse("{\"name\":\"n2\"}", 13, &p);
	assert_int_equal(agent_fs_post(r->a, &p, &reply, lsn, sizeof(lsn)), 400);
	buf_free(&reply);
}

/* leader_world: n1 leads with failsafe on; n2 and n3 stream from it. */
static void leader_world(struct rig *r)
{
	put(r, "config", FAILSAFE_CONFIG);
	put(r, "members/n2", MEMBER("replica", STREAMING));
	put(r, "members/n3", MEMBER("replica", STREAMING));
	assert_true(open_agent(r));
	assert_int_equal(lease_acquire(r->a->lease, false, -1), DCS_CAS_OK);
	clocksrc_sim_settle(r->clock);
	observe_primary(5000, "n2");
	(void)agent_cycle(r->a); /* publishes the failsafe key */
	clocksrc_sim_advance(r->clock, 100);
	(void)agent_cycle(r->a); /* reads it back: failsafe is usable */
}

/*
 * The primary cut off from etcd while its members still reach it: it publishes the
 * failsafe list, its keeper asks exactly the other members, they confirm, and it keeps
 * its writes far past the lease; when etcd answers again its expired key is taken back.
 */
static void test_failsafe_primary_cut_off_keeps_writing(void **state)
{
	struct rig *r = *state;
	char value[256];

	leader_world(r);
	assert_int_equal(r->a->last_rule, HA_RULE_LEADER);
	assert_true(get(r, "failsafe", value, sizeof(value)));
	assert_string_equal(value, "{\"n1\":\"http://127.0.0.1:1/patroni\",\"n2\":"
	                           "\"http://127.0.0.1:1/patroni\",\"n3\":"
	                           "\"http://127.0.0.1:1/patroni\"}");
	dcs_mem_set_reachable(r->mem, "n1", false);
	for (int i = 0; i < 10; i++) {
		clocksrc_sim_advance(r->clock, 1000);
		(void)agent_cycle(r->a);
		assert_int_equal(fake_pg_fences(), 0);
	}
	assert_true(atomic_load(&r->rounds) >= 30);
	assert_string_equal(r->targets, "n2,n3");
	assert_int_equal(r->a->last_rule, HA_RULE_DCS_LOST_WAIT);
	assert_false(get(r, "leader", value, sizeof(value))); /* expired at etcd meanwhile */
	dcs_mem_set_reachable(r->mem, "n1", true);
	clocksrc_sim_advance(r->clock, 500);
	assert_true(get(r, "leader", value, sizeof(value)));
	assert_string_equal(value, "n1");
	assert_int_equal(fake_pg_fences(), 0);
}

/*
 * etcd returns from a quorum loss with every lease revoked: the member keys are gone
 * for a moment. The failsafe list does not shrink meanwhile (a list of the leader alone
 * would stop every race once it dies); members gone for good leave it 2 ttl later.
 */
static void test_failsafe_list_survives_a_mass_revocation(void **state)
{
	struct rig *r = *state;
	char value[256];

	leader_world(r);
	dcs_mem_set_quorum(r->mem, false);
	for (int i = 0; i < 10; i++) {
		clocksrc_sim_advance(r->clock, 1000);
		(void)agent_cycle(r->a);
	}
	dcs_mem_revoke_all(r->mem);
	assert_true(dcs_mem_delete(r->mem, P "members/n2"));
	assert_true(dcs_mem_delete(r->mem, P "members/n3"));
	dcs_mem_set_quorum(r->mem, true);
	for (int i = 0; i < 6; i++) {
		clocksrc_sim_advance(r->clock, 500);
		(void)agent_cycle(r->a);
		assert_true(get(r, "failsafe", value, sizeof(value)));
		assert_non_null(strstr(value, "\"n3\""));
	}
	assert_int_equal(fake_pg_fences(), 0);
	for (int i = 0; i < 4; i++) {
		clocksrc_sim_advance(r->clock, 500);
		(void)agent_cycle(r->a);
	}
	assert_true(get(r, "failsafe", value, sizeof(value)));
	assert_string_equal(value, "{\"n1\":\"http://127.0.0.1:1/patroni\"}");
}

/* A member stops confirming while etcd is out of reach: fenced within ttl - margin. */
static void test_failsafe_primary_fenced_when_a_member_refuses(void **state)
{
	struct rig *r = *state;
	int64_t t0;

	leader_world(r);
	dcs_mem_set_reachable(r->mem, "n1", false);
	clocksrc_sim_advance(r->clock, 3000);
	assert_int_equal(fake_pg_fences(), 0);
	atomic_store(&r->refuse, true);
	t0 = clocksrc_now_ms(r->clock);
	while (fake_pg_fences() == 0 && clocksrc_now_ms(r->clock) < t0 + 5000)
		clocksrc_sim_advance(r->clock, 10);
	assert_int_equal(fake_pg_fences(), 1);
	assert_true(clocksrc_now_ms(r->clock) <= t0 + 1500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lost_race_never_promotes, setup_sim, teardown),
	    cmocka_unit_test_setup_teardown(test_failsafe_window_holds_the_race, setup_sim,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_failsafe_post_mode_off, setup_sim, teardown),
	    cmocka_unit_test_setup_teardown(test_failsafe_primary_cut_off_keeps_writing, setup_sim,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_failsafe_primary_fenced_when_a_member_refuses,
	                                    setup_sim, teardown),
	    cmocka_unit_test_setup_teardown(test_failsafe_list_survives_a_mass_revocation,
	                                    setup_sim, teardown),
	    cmocka_unit_test_setup_teardown(test_switchover_stops_before_release, setup_sim,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_due_switchover_waits_for_sync_standby, setup_sim,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_cut_off_leader_is_fenced, setup_sim, teardown),
	    cmocka_unit_test_setup_teardown(test_agent_without_fencer_does_not_start, setup_sim,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rest_reads_a_whole_config, setup_real, teardown),
	    cmocka_unit_test_setup_teardown(test_switchover_answers_when_the_loop_is_done,
	                                    setup_sim, teardown),
	    cmocka_unit_test_setup_teardown(test_switchover_keeps_its_config, setup_sim, teardown),
	    cmocka_unit_test_setup_teardown(test_switchover_while_sync_pending, setup_sim,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_switchover_cancelled_explains, setup_sim,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
