/*
 * test_ha_decide.c: the HA decision core.
 *
 * Part 1 is a table of scenarios, one line each: the local PostgreSQL, the DCS view,
 * the lease and what the peers answered, and the rule and plan expected.
 * Part 2 sweeps a discretised input space (3 members; for each: PostgreSQL state,
 * lease, WAL position; the leader key; the sync key; reachability) and checks the
 * safety invariants on every point:
 *   - never PROMOTE or START_PRIMARY without holding or first acquiring the key;
 *   - for one DCS view, at most one member heads for primary;
 *   - never promote past the lag limit or outside the sync set;
 *   - a primary that cannot renew keeps running until its deadline, then fences;
 *   - the same input always gives the same plan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ha/ha_decide.h"

#define NOW      1000000
#define TTL_MS   3000
#define MAX_LAG  1048576
#define NMEMBERS 3

static const char *const names[NMEMBERS] = {"node1", "node2", "node3"};

/* --- building inputs -------------------------------------------------------------- */

enum local {
	L_EMPTY,        /* no data directory */
	L_DOWN_PRIMARY, /* data from a primary, PostgreSQL stopped */
	L_DOWN_REPLICA, /* data from a replica, PostgreSQL stopped */
	L_CRASHED,      /* primary data, PostgreSQL crashed */
	L_PRIMARY,      /* running, not in recovery */
	L_REPLICA,      /* running standby, streaming */
	L_STARTING,
	L__COUNT
};

static void set_local(struct ha_input *in, enum local l, uint64_t lsn, int tl)
{
	struct pg_observation *pg = &in->pg;

	memset(pg, 0, sizeof(*pg));
	strcpy(pg->system_id, "7000000000000000001");
	pg->timeline = tl;
	pg->control_timeline = tl;
	switch (l) {
	case L_EMPTY:
		pg->data = PG_DATA_EMPTY;
		pg->system_id[0] = '\0';
		break;
	case L_DOWN_PRIMARY:
		pg->data = PG_DATA_SHUT_DOWN;
		break;
	case L_DOWN_REPLICA:
		pg->data = PG_DATA_SHUT_DOWN_RECOVERY;
		break;
	case L_CRASHED:
		pg->data = PG_DATA_IN_PRODUCTION;
		pg->proc = PG_PROC_CRASHED;
		break;
	case L_PRIMARY:
		pg->data = PG_DATA_IN_PRODUCTION;
		pg->proc = PG_PROC_RUNNING;
		pg->connected = true;
		pg->wal_lsn = lsn;
		break;
	case L_REPLICA:
		pg->data = PG_DATA_IN_RECOVERY;
		pg->proc = PG_PROC_RUNNING;
		pg->connected = true;
		pg->in_recovery = true;
		pg->receive_lsn = lsn;
		pg->replay_lsn = lsn;
		pg->receiver_streaming = true;
		break;
	case L_STARTING:
		pg->data = PG_DATA_IN_RECOVERY;
		pg->proc = PG_PROC_STARTING;
		break;
	case L__COUNT:
		break;
	}
}

static void add_member(struct dcs_view *v, const char *name, const char *role, uint64_t lsn)
{
	struct dcs_member *m = &v->members[v->n_members++];

	memset(m, 0, sizeof(*m));
	strcpy(m->name, name);
	strcpy(m->state, "running");
	strcpy(m->role, role);
	if (strcmp(role, "replica") == 0)
		strcpy(m->replication_state, "streaming");
	m->has_xlog = true;
	m->xlog_location = lsn;
	m->timeline = 1;
	m->failover_priority = 1;
}

static void base_input(struct ha_input *in, const char *me)
{
	memset(in, 0, sizeof(*in));
	in->now_ms = NOW;
	in->wall_now_ms = 1700000000000LL;
	strcpy(in->name, me);
	in->settings.ttl_ms = TTL_MS;
	in->settings.max_lag_bytes = MAX_LAG;
	in->settings.synchronous_mode = true;
	in->settings.synchronous_node_count = 1;
	in->settings.check_timeline = true;
	in->settings.failover_priority = 1;
	in->dcs_ok = true;
	in->view.valid = true;
	in->view.has_initialize = true;
	strcpy(in->view.initialize, "7000000000000000001");
	set_local(in, L_REPLICA, 100, 1);
}

static void set_leader(struct ha_input *in, const char *leader)
{
	in->view.has_leader = leader != NULL;
	strcpy(in->view.leader, leader ? leader : "");
	if (leader && strcmp(leader, in->name) == 0) {
		in->lease.held = true;
		in->lease.deadline_ms = NOW + 1000;
	}
	if (leader)
		strcpy(in->upstream, strcmp(leader, in->name) ? leader : "");
}

static void set_sync(struct ha_input *in, const char *leader, const char *standby)
{
	in->view.sync.present = true;
	strcpy(in->view.sync.leader, leader);
	in->view.sync.n_standbys = 0;
	if (standby) {
		strcpy(in->view.sync.standbys[0], standby);
		in->view.sync.n_standbys = 1;
	}
}

static void add_peer(struct ha_input *in, const char *name, bool reachable, bool primary,
                     uint64_t lsn)
{
	struct ha_peer *p = &in->peers[in->n_peers++];

	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->reachable = reachable;
	p->running = reachable;
	p->is_primary = primary;
	p->lsn = lsn;
	p->timeline = 1;
	p->failover_priority = 1;
	in->peers_probed = true;
}

static void add_repl(struct ha_input *in, const char *name, const char *sync_state, uint64_t lsn)
{
	struct pg_replica_conn *c = &in->pg.replication[in->pg.n_replication++];

	memset(c, 0, sizeof(*c));
	strcpy(c->application_name, name);
	strcpy(c->state, "streaming");
	strcpy(c->sync_state, sync_state);
	c->flush_lsn = lsn;
}

/* plan_text: "a,b,c" names of the actions (with ":target" when set). */
static void plan_text(const struct ha_decision *d, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < d->n_actions && used < size; i++) {
		used += (size_t)snprintf(out + used, size - used, "%s%s%s%s", i ? "," : "",
		                         ha_action_name(d->actions[i].kind),
		                         d->actions[i].target[0] ? ":" : "", d->actions[i].target);
	}
}

static void expect(const struct ha_input *in, enum ha_rule rule, const char *plan)
{
	struct ha_decision d;
	char text[512];

	ha_decide(in, &d);
	plan_text(&d, text, sizeof(text));
	if (d.rule != rule || strcmp(text, plan) != 0) {
		print_error("me=%s: got rule %s plan [%s] (%s %s), want rule %s plan [%s]\n",
		            in->name, ha_rule_name(d.rule), text, d.reason, d.detail,
		            ha_rule_name(rule), plan);
		fail();
	}
}

/* --- part 1: scenarios ------------------------------------------------------------- */

static void test_bootstrap_race(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	in.view.has_initialize = false;
	set_local(&in, L_EMPTY, 0, 0);
	expect(&in, HA_RULE_BOOTSTRAP, "initialize_race,bootstrap");

	in.settings.nofailover = true; /* may never lead: waits for someone else */
	expect(&in, HA_RULE_WAIT_BOOTSTRAP, "");

	in.settings.nofailover = false;
	in.view.has_initialize = true; /* someone else is bootstrapping */
	in.view.initialize[0] = '\0';
	expect(&in, HA_RULE_WAIT_BOOTSTRAP, "");
}

static void test_clone_from_leader(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_local(&in, L_EMPTY, 0, 0);
	add_member(&in.view, "node1", "primary", 500);
	set_leader(&in, "node1");
	expect(&in, HA_RULE_CLONE, "clone:node1,start_replica:node1");

	strcpy(in.view.members[0].state, "starting"); /* not yet: nothing to clone */
	expect(&in, HA_RULE_WAIT_LEADER_TO_CLONE, "");
}

static void test_foreign_data_refused(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_local(&in, L_DOWN_REPLICA, 100, 1);
	strcpy(in.pg.system_id, "7999999999999999999");
	set_leader(&in, "node1");
	expect(&in, HA_RULE_SYSID_MISMATCH, "");

	set_local(&in, L_REPLICA, 100, 1); /* and stopped if it is running */
	strcpy(in.pg.system_id, "7999999999999999999");
	expect(&in, HA_RULE_SYSID_MISMATCH, "stop_fast");

	set_local(&in, L_DOWN_REPLICA, 100, 1);
	in.pg.data = PG_DATA_INVALID;
	expect(&in, HA_RULE_SYSID_MISMATCH, "");
}

static void test_adopt_existing_data(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	in.view.has_initialize = false;
	set_local(&in, L_DOWN_PRIMARY, 100, 1);
	expect(&in, HA_RULE_ADOPT_DATA, "register_sysid");
}

static void test_leader_steady_state(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	add_member(&in.view, "node2", "replica", 500);
	add_member(&in.view, "node3", "replica", 400);
	set_leader(&in, "node1");
	set_sync(&in, "node1", "node2");
	add_repl(&in, "node2", "sync", 500);
	add_repl(&in, "node3", "async", 400);
	strcpy(in.pg.synchronous_standby_names, "FIRST 1 (\"node2\")");
	expect(&in, HA_RULE_LEADER, "sync_slots");
}

static void test_sync_key_claimed_first(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	add_member(&in.view, "node2", "replica", 500);
	set_leader(&in, "node1");
	add_repl(&in, "node2", "async", 500);
	expect(&in, HA_RULE_LEADER, "sync_slots,publish_sync"); /* {node1, null} */
}

static void test_sync_standby_added_in_order(void **state)
{
	struct ha_input in;
	struct ha_decision d;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	add_member(&in.view, "node2", "replica", 500);
	add_member(&in.view, "node3", "replica", 450);
	set_leader(&in, "node1");
	set_sync(&in, "node1", NULL);
	add_repl(&in, "node2", "async", 500);
	add_repl(&in, "node3", "async", 450);
	/* Step 1: name it in synchronous_standby_names (the furthest ahead). */
	expect(&in, HA_RULE_LEADER, "sync_slots,set_ssn");
	ha_decide(&in, &d);
	assert_string_equal(d.ssn, "FIRST 1 (\"node2\")");
	/* Step 2: PostgreSQL has not reported it sync yet: nothing to publish. */
	strcpy(in.pg.synchronous_standby_names, d.ssn);
	expect(&in, HA_RULE_LEADER, "sync_slots");
	/* Step 3: reported sync: publish. */
	strcpy(in.pg.replication[0].sync_state, "sync");
	expect(&in, HA_RULE_LEADER, "sync_slots,publish_sync");
	ha_decide(&in, &d);
	assert_int_equal(d.n_sync_names, 1);
	assert_string_equal(d.sync_names[0], "node2");
}

static void test_failed_sync_standby_replaced(void **state)
{
	struct ha_input in;
	struct ha_decision d;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	add_member(&in.view, "node2", "replica", 500);
	add_member(&in.view, "node3", "replica", 450);
	set_leader(&in, "node1");
	set_sync(&in, "node1", "node2");
	strcpy(in.pg.synchronous_standby_names, "FIRST 1 (\"node2\")");
	add_repl(&in, "node3", "async", 450); /* node2 is gone from pg_stat_replication */
	/* Unpublish node2 before touching the GUC. */
	expect(&in, HA_RULE_LEADER, "sync_slots,publish_sync");
	ha_decide(&in, &d);
	assert_int_equal(d.n_sync_names, 0);
	/* Then name node3. */
	in.view.sync.n_standbys = 0;
	expect(&in, HA_RULE_LEADER, "sync_slots,set_ssn");
	ha_decide(&in, &d);
	assert_string_equal(d.ssn, "FIRST 1 (\"node3\")");
}

static void test_strict_mode_keeps_blocking(void **state)
{
	struct ha_input in;
	struct ha_decision d;

	(void)state;
	base_input(&in, "node1");
	in.settings.synchronous_mode_strict = true;
	set_local(&in, L_PRIMARY, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	set_leader(&in, "node1");
	set_sync(&in, "node1", NULL);
	expect(&in, HA_RULE_LEADER, "sync_slots,set_ssn");
	ha_decide(&in, &d);
	assert_non_null(strstr(d.ssn, "placeholder"));

	/* Non-strict with no standby at all: asynchronous (Patroni's default). */
	in.settings.synchronous_mode_strict = false;
	strcpy(in.pg.synchronous_standby_names, "FIRST 1 (\"node2\")");
	expect(&in, HA_RULE_LEADER, "sync_slots,set_ssn");
	ha_decide(&in, &d);
	assert_string_equal(d.ssn, "");
}

static void test_nosync_member_never_chosen(void **state)
{
	struct ha_input in;
	struct ha_decision d;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	add_member(&in.view, "node2", "replica", 500);
	add_member(&in.view, "node3", "replica", 400);
	in.view.members[1].nosync = true;
	set_leader(&in, "node1");
	set_sync(&in, "node1", NULL);
	add_repl(&in, "node2", "async", 500);
	add_repl(&in, "node3", "async", 400);
	ha_decide(&in, &d);
	assert_string_equal(d.ssn, "FIRST 1 (\"node3\")");
}

static void test_race_sync_standby_wins(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_local(&in, L_REPLICA, 500, 1);
	set_sync(&in, "node1", "node2");
	add_peer(&in, "node1", false, false, 0); /* dead primary */
	add_peer(&in, "node3", true, false, 500);
	expect(&in, HA_RULE_RACE_WIN, "acquire_leader,sync_claim,promote,sync_slots,write_history");
}

static void test_race_async_replica_not_eligible(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node3");
	set_local(&in, L_REPLICA, 900, 1); /* even ahead: not in the sync set */
	set_sync(&in, "node1", "node2");
	add_peer(&in, "node1", false, false, 0);
	add_peer(&in, "node2", true, false, 500);
	expect(&in, HA_RULE_RACE_LOSE, "");
}

static void test_race_no_sync_standby_no_failover(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_sync(&in, "node1", NULL); /* sync set is only the dead leader */
	add_peer(&in, "node1", false, false, 0);
	expect(&in, HA_RULE_RACE_LOSE, "");
}

static void test_race_malformed_sync_key(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	in.view.sync.present = false; /* the key exists but could not be read */
	in.view.sync.mod_revision = 42;
	add_peer(&in, "node1", false, false, 0);
	expect(&in, HA_RULE_RACE_LOSE, ""); /* unsure who is in sync: nobody is promoted */
	in.settings.synchronous_mode = false;
	expect(&in, HA_RULE_RACE_WIN, "acquire_leader,promote,sync_slots,write_history");
}

static void test_race_most_advanced_wins(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	in.settings.synchronous_mode = false;
	set_local(&in, L_REPLICA, 400, 1);
	add_peer(&in, "node1", false, false, 0);
	add_peer(&in, "node3", true, false, 500);
	expect(&in, HA_RULE_RACE_LOSE, ""); /* node3 is ahead */
	in.peers[1].lsn = 300;
	expect(&in, HA_RULE_RACE_WIN, "acquire_leader,promote,sync_slots,write_history");
	in.peers[1].nofailover = true; /* an ahead nofailover peer does not block */
	in.peers[1].lsn = 600;
	expect(&in, HA_RULE_RACE_WIN, "acquire_leader,promote,sync_slots,write_history");
}

static void test_race_tie_breaks(void **state)
{
	struct ha_input in;
	struct ha_decision d2, d3;

	(void)state;
	base_input(&in, "node2");
	in.settings.synchronous_mode = false;
	add_peer(&in, "node3", true, false, 100);
	ha_decide(&in, &d2); /* equal LSN: lower name wins */
	assert_int_equal(d2.rule, HA_RULE_RACE_WIN);
	strcpy(in.name, "node3");
	strcpy(in.peers[0].name, "node2");
	ha_decide(&in, &d3);
	assert_int_equal(d3.rule, HA_RULE_RACE_LOSE);
	/* failover_priority beats the name; the former leader beats the name. */
	in.settings.failover_priority = 2;
	expect(&in, HA_RULE_RACE_WIN, "acquire_leader,promote,sync_slots,write_history");
	in.settings.failover_priority = 1;
	set_sync(&in, "node3", NULL);
	in.view.sync.present = true;
	expect(&in, HA_RULE_RACE_WIN, "acquire_leader,promote,sync_slots,write_history");
}

static void test_race_primary_still_alive(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_sync(&in, "node1", "node2");
	add_peer(&in, "node1", true, true, 100);
	expect(&in, HA_RULE_RACE_LOSE, "");
}

static void test_race_lag_limit(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_sync(&in, "node1", "node2");
	in.view.has_status = true;
	in.view.status_optime = 100 + MAX_LAG + 1;
	add_peer(&in, "node1", false, false, 0);
	expect(&in, HA_RULE_RACE_LOSE, "");
	in.view.status_optime = 100 + MAX_LAG;
	expect(&in, HA_RULE_RACE_WIN, "acquire_leader,sync_claim,promote,sync_slots,write_history");
}

static void test_race_timeline_check(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	in.settings.synchronous_mode = false;
	in.view.n_history = 1; /* cluster is on timeline 2, we are on 1 */
	in.view.history[0].timeline = 1;
	in.view.history[0].switch_lsn = 50;
	add_peer(&in, "node1", false, false, 0);
	expect(&in, HA_RULE_RACE_LOSE, "");
}

static void test_race_not_probed(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	expect(&in, HA_RULE_RACE_LOSE, "");
}

static void test_switchover_leader_hands_over(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	add_member(&in.view, "node2", "replica", 500);
	add_member(&in.view, "node3", "replica", 500);
	set_leader(&in, "node1");
	set_sync(&in, "node1", "node2");
	add_repl(&in, "node2", "sync", 500);
	add_repl(&in, "node3", "async", 500);
	strcpy(in.pg.synchronous_standby_names, "FIRST 1 (\"node2\")");
	in.view.failover.present = true;
	strcpy(in.view.failover.leader, "node1");
	strcpy(in.view.failover.member, "node2");
	expect(&in, HA_RULE_SWITCHOVER, "handover:node2");
	/* Any candidate: the sync standby (only it may be promoted). */
	in.view.failover.member[0] = '\0';
	expect(&in, HA_RULE_SWITCHOVER, "handover:node2");
	/* A candidate outside the sync set cannot take over: the request is dropped. */
	strcpy(in.view.failover.member, "node3");
	expect(&in, HA_RULE_LEADER, "clear_failover,sync_slots");
	/* Scheduled for later: wait. */
	strcpy(in.view.failover.member, "node2");
	in.view.failover.scheduled_at_epoch_ms = in.wall_now_ms + 60000;
	expect(&in, HA_RULE_LEADER, "sync_slots");
	in.view.failover.scheduled_at_epoch_ms = in.wall_now_ms - 1;
	expect(&in, HA_RULE_SWITCHOVER, "handover:node2");
}

static void test_switchover_candidate_and_others(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_sync(&in, "node1", "node2");
	in.view.failover.present = true;
	strcpy(in.view.failover.leader, "node1");
	strcpy(in.view.failover.member, "node2");
	add_peer(&in, "node1", true, false, 100); /* stopped old leader, still answering */
	in.peers[0].running = false;
	add_peer(&in, "node3", true, false, 100);
	expect(&in, HA_RULE_RACE_WIN,
	       "acquire_leader,sync_claim,promote,sync_slots,write_history,clear_failover");
	/* node3 defers to the named candidate while it is healthy. */
	strcpy(in.name, "node3");
	strcpy(in.peers[1].name, "node2");
	expect(&in, HA_RULE_RACE_LOSE, "");
	/* The old leader does not race while its hand-over is pending. */
	strcpy(in.name, "node1");
	strcpy(in.peers[0].name, "node2");
	in.peers[0].running = true;
	strcpy(in.peers[1].name, "node3");
	expect(&in, HA_RULE_RACE_LOSE, "");
}

static void test_manual_failover_leaderless(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node3");
	set_sync(&in, "node1", "node2"); /* node3 is not in the sync set ... */
	in.view.failover.present = true;
	strcpy(in.view.failover.member, "node3"); /* ... but the operator named it */
	add_peer(&in, "node1", false, false, 0);
	add_peer(&in, "node2", false, false, 0);
	expect(&in, HA_RULE_RACE_WIN,
	       "acquire_leader,sync_claim,promote,sync_slots,write_history,clear_failover");
}

static void test_lost_key_demotes(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	set_leader(&in, "node2");
	expect(&in, HA_RULE_DEMOTE, "stop_immediate");
}

static void test_fencing_deadline(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	set_leader(&in, "node1");
	strcpy(in.pg.synchronous_standby_names, "");
	in.settings.synchronous_mode = false;
	/* etcd unreachable but the lease still valid: keep serving. */
	in.dcs_ok = false;
	expect(&in, HA_RULE_DCS_LOST_WAIT, "");
	/* Past the deadline: fence, restart read-only. */
	in.now_ms = in.lease.deadline_ms;
	expect(&in, HA_RULE_DCS_LOST_FENCE, "stop_immediate,start_replica");
	/* Same with etcd reachable but the renewals failing. */
	in.dcs_ok = true;
	expect(&in, HA_RULE_LOST_KEY_FENCE, "stop_immediate");
}

static void test_crashed_primary(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_CRASHED, 500, 1);
	add_member(&in.view, "node1", "primary", 500);
	add_member(&in.view, "node2", "replica", 500);
	set_leader(&in, "node1");
	set_sync(&in, "node1", "node2");
	in.crashed_since_ms = NOW;
	/* A healthy sync standby: hand over at once. */
	expect(&in, HA_RULE_PRIMARY_CRASHED_HANDOVER, "release_leader");
	/* No healthy sync standby: restart in place. */
	strcpy(in.view.members[1].replication_state, "");
	expect(&in, HA_RULE_PRIMARY_RESTART, "start_primary");
	/* primary_start_timeout gives the restart a head start. */
	strcpy(in.view.members[1].replication_state, "streaming");
	in.settings.primary_start_timeout_ms = 5000;
	expect(&in, HA_RULE_PRIMARY_RESTART, "start_primary");
	in.now_ms = NOW + 5000;
	in.lease.deadline_ms = NOW + 6000;
	expect(&in, HA_RULE_PRIMARY_CRASHED_HANDOVER, "release_leader");
}

static void test_former_primary_rewinds(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_CRASHED, 500, 1);
	add_member(&in.view, "node2", "primary", 600);
	set_leader(&in, "node2");
	expect(&in, HA_RULE_REWIND_FORMER_PRIMARY, "rewind:node2,start_replica:node2");
	in.rewind_failed = true;
	expect(&in, HA_RULE_RECLONE_AFTER_REWIND, "reinit:node2,start_replica:node2");
	strcpy(in.view.members[0].state, "starting"); /* wait for a running leader */
	expect(&in, HA_RULE_STARTING, "");
}

/*
 * A replica that followed a leader whose timeline lost (it replayed WAL past the new
 * leader's fork point) and whose pg_rewind failed cannot start again ("requested
 * timeline does not contain minimum recovery point"): it is cloned afresh, not
 * restarted for ever.
 */
static void test_diverged_replica_recloned_after_failed_rewind(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node3");
	set_local(&in, L_DOWN_REPLICA, 700, 7);
	add_member(&in.view, "node1", "primary", 650);
	set_leader(&in, "node1");
	expect(&in, HA_RULE_START_REPLICA, "start_replica:node1");
	in.rewind_failed = true;
	expect(&in, HA_RULE_RECLONE_AFTER_REWIND, "reinit:node1,start_replica:node1");
	in.pg.proc = PG_PROC_CRASHED; /* it did try to start, and failed */
	expect(&in, HA_RULE_RECLONE_AFTER_REWIND, "reinit:node1,start_replica:node1");
	strcpy(in.view.members[0].state, "starting"); /* no running leader to clone from */
	expect(&in, HA_RULE_START_REPLICA, "start_replica:node1");
	in.view.has_leader = false; /* a failure against one leader says nothing of another */
	in.rewind_failed = false;
	expect(&in, HA_RULE_START_REPLICA, "start_replica");
}

static void test_replica_restarts_and_follows(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_local(&in, L_DOWN_REPLICA, 100, 1);
	add_member(&in.view, "node1", "primary", 600);
	set_leader(&in, "node1");
	expect(&in, HA_RULE_START_REPLICA, "start_replica:node1");
	set_local(&in, L_REPLICA, 100, 1);
	strcpy(in.upstream, "node3"); /* the leader changed */
	expect(&in, HA_RULE_FOLLOW, "follow:node1");
	strcpy(in.upstream, "node1");
	expect(&in, HA_RULE_IDLE, "");
}

static void test_diverged_replica_rewinds(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node3");
	set_local(&in, L_REPLICA, 700, 1);
	in.pg.receiver_streaming = false;
	add_member(&in.view, "node2", "primary", 800);
	in.view.members[0].timeline = 2;
	set_leader(&in, "node2");
	in.view.n_history = 1;
	in.view.history[0].timeline = 1;
	in.view.history[0].switch_lsn = 600; /* we replayed past the fork */
	expect(&in, HA_RULE_REWIND_DIVERGED, "rewind:node2,start_replica:node2");
	in.view.history[0].switch_lsn = 700; /* exactly at the fork: fine */
	expect(&in, HA_RULE_IDLE, "");
	in.view.history[0].switch_lsn = 600;
	in.pg.receiver_streaming = true; /* streaming proves it is not diverged */
	expect(&in, HA_RULE_IDLE, "");
}

static void test_new_leader_writes_history(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	in.settings.synchronous_mode = false;
	set_local(&in, L_PRIMARY, 800, 2);
	set_leader(&in, "node2");
	expect(&in, HA_RULE_LEADER, "write_history,sync_slots");
	in.view.n_history = 1;
	in.view.history[0].timeline = 1;
	expect(&in, HA_RULE_LEADER, "sync_slots");
}

static void test_held_key_on_standby_promotes(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	set_leader(&in, "node2");
	set_sync(&in, "node2", NULL);
	expect(&in, HA_RULE_PROMOTE_HELD, "sync_claim,promote,sync_slots,write_history");
}

static void test_retake_key_after_agent_restart(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_DOWN_PRIMARY, 500, 1);
	set_leader(&in, "node1");
	in.lease.held = false;
	expect(&in, HA_RULE_RETAKE_LEADER, "acquire_leader");
}

static void test_shutdown(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node1");
	set_local(&in, L_PRIMARY, 500, 1);
	set_leader(&in, "node1");
	in.shutdown = true;
	expect(&in, HA_RULE_SHUTDOWN, "stop_fast,release_leader");
	in.settings.pause = true; /* paused: keep the key, as Patroni */
	expect(&in, HA_RULE_SHUTDOWN, "stop_fast");
	in.settings.pause = false;
	set_leader(&in, "node2");
	in.lease.held = false;
	expect(&in, HA_RULE_SHUTDOWN, "stop_fast");
}

static void test_paused(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	in.settings.pause = true;
	add_peer(&in, "node1", false, false, 0);
	expect(&in, HA_RULE_PAUSED, ""); /* no failover while paused */
	set_local(&in, L_PRIMARY, 100, 1);
	expect(&in, HA_RULE_PAUSED, "acquire_leader"); /* a running primary takes a free key */
	set_local(&in, L_DOWN_PRIMARY, 100, 1);
	set_leader(&in, "node2");
	expect(&in, HA_RULE_PAUSED, "release_leader");
}

static void test_restart_and_reinit_requests(void **state)
{
	struct ha_input in;

	(void)state;
	base_input(&in, "node2");
	add_member(&in.view, "node1", "primary", 600);
	set_leader(&in, "node1");
	in.restart_requested = true;
	expect(&in, HA_RULE_RESTART, "restart");
	in.restart_requested = false;
	in.reinit_requested = true;
	expect(&in, HA_RULE_REINIT, "reinit:node1,start_replica:node1");
}

static void test_render_ssn(void **state)
{
	char out[HA_SSN_LEN];
	const char names2[2][DCS_NAME_LEN] = {"node2", "Node-3"};

	(void)state;
	ha_render_ssn(1, names2, 0, out, sizeof(out));
	assert_string_equal(out, "");
	ha_render_ssn(1, names2, 2, out, sizeof(out));
	assert_string_equal(out, "FIRST 1 (\"node2\", \"Node-3\")");
}

/* --- cluster rules shared with the REST API and the CLI ------------------------------- */

/* handover_view: node1 leads; node2 (sync standby) and node3 stream from it. */
static void handover_view(struct dcs_view *v)
{
	memset(v, 0, sizeof(*v));
	v->has_leader = true;
	strcpy(v->leader, "node1");
	add_member(v, "node1", "primary", 500);
	add_member(v, "node2", "replica", 500);
	add_member(v, "node3", "replica", 500);
	v->sync.present = true;
	strcpy(v->sync.leader, "node1");
	strcpy(v->sync.standbys[0], "node2");
	v->sync.n_standbys = 1;
}

static enum ha_handover_check switchover(const struct dcs_view *v, const char *leader,
                                         const char *cand, bool sync, bool pause)
{
	struct ha_handover_req r = {leader, cand, sync, pause};

	return ha_switchover_check(v, &r);
}

/*
 * The REST API, the CLI and the leader once disagreed on who may take over; these are
 * the rules they share now (Patroni's: nofailover or failover_priority 0 never leads;
 * in synchronous mode only a listed sync standby, and nobody when the sync key cannot
 * be read; the candidate must be running and streaming).
 */
static void test_switchover_rules(void **state)
{
	struct dcs_view v;

	(void)state;
	handover_view(&v);
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_OK);
	assert_int_equal(switchover(&v, "node1", "node2", true, false), HA_HANDOVER_OK);
	assert_int_equal(switchover(&v, "node2", "node3", true, false), HA_HANDOVER_NOT_LEADER);
	assert_int_equal(switchover(&v, "", "node1", true, false), HA_HANDOVER_SAME);
	assert_int_equal(switchover(&v, "", "", true, true), HA_HANDOVER_PAUSED_ANY);
	assert_int_equal(switchover(&v, "", "node2", true, true), HA_HANDOVER_OK);
	assert_int_equal(switchover(&v, "", "node9", true, false), HA_HANDOVER_UNKNOWN_CANDIDATE);
	assert_int_equal(switchover(&v, "", "node3", true, false), HA_HANDOVER_NOT_SYNC);
	assert_int_equal(switchover(&v, "", "node3", false, false), HA_HANDOVER_OK);
	memset(&v.sync, 0, sizeof(v.sync)); /* the sync key exists but cannot be read: */
	v.sync.mod_revision = 42;           /* nobody may take over */
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_NOT_SYNC);
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_NO_CANDIDATE);
	handover_view(&v);
	v.members[1].failover_priority = 0; /* the CLI used to accept this one */
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_NOFAILOVER);
	v.members[1].failover_priority = 1;
	strcpy(v.members[1].replication_state, "in archive recovery");
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_UNHEALTHY);
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_NO_CANDIDATE);
	assert_int_equal(switchover(&v, "", "", false, false), HA_HANDOVER_OK); /* node3 */
	v.has_leader = false;
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_NO_LEADER);
	for (int c = 0; c < HA_HANDOVER__COUNT; c++)
		assert_string_not_equal(ha_handover_check_str((enum ha_handover_check)c), "?");
}

/* A manual failover of a leaderless cluster: the operator decides (no lag, no sync). */
static void test_failover_rules(void **state)
{
	struct dcs_view v;
	struct ha_handover_req r = {"", "node3", true, false};

	(void)state;
	handover_view(&v);
	v.has_leader = false;
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_OK);
	v.members[2].nofailover = true; /* the REST API used to accept this one */
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_NOFAILOVER);
	v.members[2].nofailover = false;
	strcpy(v.members[2].state, "stopped");
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_UNHEALTHY);
	r.candidate = "node9";
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_UNKNOWN_CANDIDATE);
	r.candidate = "";
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_NO_CANDIDATE);
}

/* The switchover / failover outcome both the agent and the CLI wait for. */
static void test_handover_done(void **state)
{
	struct dcs_view v;

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_false(ha_handover_done(&v, "n1", "")); /* no leader yet */
	v.has_leader = true;                          /* a key whose value is unreadable */
	assert_false(ha_handover_done(&v, "n1", ""));
	strcpy(v.leader, "n1");
	assert_false(ha_handover_done(&v, "n1", ""));
	assert_false(ha_handover_done(&v, "N1", "n2")); /* names are case-sensitive */
	strcpy(v.leader, "n3");
	assert_true(ha_handover_done(&v, "n1", ""));
	assert_false(ha_handover_done(&v, "n1", "n2")); /* not the one asked for */
	strcpy(v.leader, "n2");
	assert_true(ha_handover_done(&v, "n1", "n2"));
	assert_true(ha_handover_done(&v, "", "n2")); /* failover of a leaderless cluster */
	assert_int_equal(ha_handover_wait_s(1), 20);
	assert_int_equal(ha_handover_wait_s(30), 60);
}

/* --- part 2: exhaustive sweep --------------------------------------------------------- */

enum lease_state {
	LS_NONE,    /* not held */
	LS_VALID,   /* held, before the deadline */
	LS_EXPIRED, /* held, at/after the deadline */
	LS__COUNT
};

enum lag {
	LAG_NONE,
	LAG_SMALL,
	LAG_OVER,
	LAG__COUNT
};

struct world {
	enum local local[NMEMBERS];
	enum lease_state lease[NMEMBERS];
	enum lag lag[NMEMBERS];
	int leader;       /* -1 none, else member index */
	int sync_standby; /* -1: no sync key; else sync={node1 (index 0), names[s]} */
	bool dcs_ok;
	bool reachable[NMEMBERS];
};

static uint64_t lag_lsn(enum lag l)
{
	static const uint64_t top = 10 * 1048576;

	return l == LAG_NONE ? top : l == LAG_SMALL ? top - 1000 : top - MAX_LAG - 1;
}

static bool running(enum local l)
{
	return l == L_PRIMARY || l == L_REPLICA;
}

static void world_input(const struct world *w, int me, struct ha_input *in)
{
	base_input(in, names[me]);
	in->dcs_ok = w->dcs_ok;
	set_local(in, w->local[me], lag_lsn(w->lag[me]), 1);
	for (int i = 0; i < NMEMBERS; i++)
		add_member(&in->view, names[i], w->local[i] == L_PRIMARY ? "primary" : "replica",
		           lag_lsn(w->lag[i]));
	in->view.has_leader = w->leader >= 0;
	if (w->leader >= 0) {
		strcpy(in->view.leader, names[w->leader]);
		strcpy(in->upstream, w->leader == me ? "" : names[w->leader]);
	}
	in->lease.held = w->lease[me] != LS_NONE;
	in->lease.deadline_ms = w->lease[me] == LS_VALID ? NOW + 1000 : NOW;
	if (w->sync_standby >= 0)
		set_sync(in, names[0], names[w->sync_standby]);
	in->view.has_status = true;
	in->view.status_optime = lag_lsn(LAG_NONE);
	for (int i = 0; i < NMEMBERS; i++) {
		if (i == me)
			continue;
		add_peer(in, names[i], w->reachable[i] && running(w->local[i]),
		         w->local[i] == L_PRIMARY, lag_lsn(w->lag[i]));
	}
}

static bool has_action(const struct ha_decision *d, enum ha_action_kind k, int before)
{
	for (int i = 0; i < d->n_actions && i < before; i++)
		if (d->actions[i].kind == k)
			return true;
	return false;
}

static int action_index(const struct ha_decision *d, enum ha_action_kind k)
{
	for (int i = 0; i < d->n_actions; i++)
		if (d->actions[i].kind == k)
			return i;
	return -1;
}

/* holds: the input's own view of holding the key, as a correct plan must see it. */
static bool holds(const struct ha_input *in)
{
	bool mine = in->view.has_leader && strcmp(in->view.leader, in->name) == 0;

	return in->lease.held && in->now_ms < in->lease.deadline_ms && (mine || !in->dcs_ok);
}

struct tally {
	int holders; /* head for primary on a key they already hold */
	int racers;  /* head for primary if their create-if-absent wins */
};

static void check_member(const struct world *w, int me, const struct ha_input *in,
                         const struct ha_decision *d, struct tally *t)
{
	int promote = action_index(d, HA_ACT_PROMOTE);
	int start_primary = action_index(d, HA_ACT_START_PRIMARY);
	int boot = action_index(d, HA_ACT_BOOTSTRAP);
	struct ha_decision again;

	/* Bounded, well-formed plans. */
	assert_true(d->n_actions >= 0 && d->n_actions <= HA_MAX_ACTIONS);
	assert_non_null(d->reason);
	for (int i = 0; i < d->n_actions; i++)
		assert_true(d->actions[i].kind < HA_ACT__COUNT);
	/* Never promote or start as primary without holding or first acquiring the key. */
	if (promote >= 0)
		assert_true(holds(in) || has_action(d, HA_ACT_ACQUIRE_LEADER, promote));
	if (start_primary >= 0)
		assert_true(holds(in));
	if (boot >= 0)
		assert_true(has_action(d, HA_ACT_INITIALIZE_RACE, boot));
	/* Never promote past the lag limit, or outside the sync set. */
	if (promote >= 0 && !holds(in)) {
		assert_true(w->lag[me] != LAG_OVER);
		if (w->sync_standby >= 0)
			assert_true(me == 0 || me == w->sync_standby);
		assert_true(in->dcs_ok);
	}
	/* A primary with a valid lease does not demote when etcd is unreachable. */
	if (!w->dcs_ok && w->local[me] == L_PRIMARY && w->lease[me] == LS_VALID)
		assert_int_equal(d->n_actions, 0);
	/* ... and it fences once past the deadline. */
	if (w->local[me] == L_PRIMARY && w->lease[me] == LS_EXPIRED)
		assert_true(has_action(d, HA_ACT_STOP_IMMEDIATE, HA_MAX_ACTIONS));
	/* Determinism. */
	ha_decide(in, &again);
	assert_memory_equal(d, &again, sizeof(again));
	if (d->role == HA_ROLE_PRIMARY && has_action(d, HA_ACT_ACQUIRE_LEADER, HA_MAX_ACTIONS))
		t->racers++;
	else if (d->role == HA_ROLE_PRIMARY)
		t->holders++;
}

static bool all_reachable(const struct world *w)
{
	for (int i = 0; i < NMEMBERS; i++)
		if (running(w->local[i]) && !w->reachable[i])
			return false;
	return true;
}

static void check_world(const struct world *w)
{
	struct tally t = {0, 0};

	for (int me = 0; me < NMEMBERS; me++) {
		struct ha_input in;
		struct ha_decision d;

		world_input(w, me, &in);
		ha_decide(&in, &d);
		check_member(w, me, &in, &d, &t);
	}
	/*
	 * One DCS view, one primary. A key holder shares the role with nobody, not even a
	 * racer (the key is taken, so nobody races). Racers that cannot see each other may
	 * both try (the create-if-absent transaction picks one); racers that see each
	 * other agree on one winner, because the race is a total order.
	 */
	if (w->dcs_ok && (t.holders + (t.racers > 0) > 1 || (all_reachable(w) && t.racers > 1))) {
		print_error("two primaries: leader=%d sync=%d\n", w->leader, w->sync_standby);
		for (int i = 0; i < NMEMBERS; i++)
			print_error("  %s local=%d lease=%d lag=%d reach=%d\n", names[i],
			            w->local[i], w->lease[i], w->lag[i], w->reachable[i]);
		fail();
	}
}

/* lease_consistent: only the key holder can believe it holds the key (etcd's CAS). */
static bool lease_consistent(const struct world *w)
{
	for (int i = 0; i < NMEMBERS; i++)
		if (w->lease[i] != LS_NONE && w->leader != i)
			return false;
	return true;
}

static void sweep_members(struct world *w, int i, long *count)
{
	static const enum local locals[] = {L_DOWN_PRIMARY, L_DOWN_REPLICA, L_CRASHED,
	                                    L_PRIMARY,      L_REPLICA,      L_STARTING};

	if (i == NMEMBERS) {
		if (lease_consistent(w)) {
			check_world(w);
			(*count)++;
		}
		return;
	}
	for (size_t l = 0; l < sizeof(locals) / sizeof(locals[0]); l++)
		for (int ls = 0; ls < LS__COUNT; ls++)
			for (int lag = 0; lag < LAG__COUNT; lag += 2) /* none, over */
				for (int r = 0; r < 2; r++) {
					w->local[i] = locals[l];
					w->lease[i] = (enum lease_state)ls;
					w->lag[i] = (enum lag)lag;
					w->reachable[i] = r;
					sweep_members(w, i + 1, count);
				}
}

static void test_sweep_invariants(void **state)
{
	struct world w;
	long count = 0;

	(void)state;
	/* Under valgrind (PGHA_TEST_QUICK) a slice of the space keeps the run short. */
	bool quick = getenv("PGHA_TEST_QUICK") != NULL;

	memset(&w, 0, sizeof(w));
	for (w.leader = -1; w.leader < NMEMBERS; w.leader++)
		for (w.sync_standby = -1; w.sync_standby < NMEMBERS; w.sync_standby++)
			for (int ok = 0; ok < 2; ok++) {
				if (w.sync_standby == 0 || (quick && (w.leader != 0 || !ok)))
					continue; /* the sync leader is node1 */
				w.dcs_ok = ok;
				sweep_members(&w, 0, &count);
			}
	print_message("sweep: %ld worlds x %d members checked\n", count, NMEMBERS);
	assert_true(count > (quick ? 1000 : 100000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bootstrap_race),
	    cmocka_unit_test(test_clone_from_leader),
	    cmocka_unit_test(test_foreign_data_refused),
	    cmocka_unit_test(test_adopt_existing_data),
	    cmocka_unit_test(test_leader_steady_state),
	    cmocka_unit_test(test_sync_key_claimed_first),
	    cmocka_unit_test(test_sync_standby_added_in_order),
	    cmocka_unit_test(test_failed_sync_standby_replaced),
	    cmocka_unit_test(test_strict_mode_keeps_blocking),
	    cmocka_unit_test(test_nosync_member_never_chosen),
	    cmocka_unit_test(test_race_sync_standby_wins),
	    cmocka_unit_test(test_race_async_replica_not_eligible),
	    cmocka_unit_test(test_race_no_sync_standby_no_failover),
	    cmocka_unit_test(test_race_malformed_sync_key),
	    cmocka_unit_test(test_race_most_advanced_wins),
	    cmocka_unit_test(test_race_tie_breaks),
	    cmocka_unit_test(test_race_primary_still_alive),
	    cmocka_unit_test(test_race_lag_limit),
	    cmocka_unit_test(test_race_timeline_check),
	    cmocka_unit_test(test_race_not_probed),
	    cmocka_unit_test(test_switchover_leader_hands_over),
	    cmocka_unit_test(test_switchover_candidate_and_others),
	    cmocka_unit_test(test_manual_failover_leaderless),
	    cmocka_unit_test(test_lost_key_demotes),
	    cmocka_unit_test(test_fencing_deadline),
	    cmocka_unit_test(test_crashed_primary),
	    cmocka_unit_test(test_former_primary_rewinds),
	    cmocka_unit_test(test_diverged_replica_recloned_after_failed_rewind),
	    cmocka_unit_test(test_replica_restarts_and_follows),
	    cmocka_unit_test(test_diverged_replica_rewinds),
	    cmocka_unit_test(test_new_leader_writes_history),
	    cmocka_unit_test(test_held_key_on_standby_promotes),
	    cmocka_unit_test(test_retake_key_after_agent_restart),
	    cmocka_unit_test(test_shutdown),
	    cmocka_unit_test(test_paused),
	    cmocka_unit_test(test_restart_and_reinit_requests),
	    cmocka_unit_test(test_render_ssn),
	    cmocka_unit_test(test_switchover_rules),
	    cmocka_unit_test(test_failover_rules),
	    cmocka_unit_test(test_handover_done),
	    cmocka_unit_test(test_sweep_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
