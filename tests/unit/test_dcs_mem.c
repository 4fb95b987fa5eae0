/*
 * test_dcs_mem.c: the DCS client (dcs.c, the agent's own) on the in-memory etcd
 * cluster, on simulated time: the leader key's compare-and-swap rules, leases that
 * expire exactly at their TTL and wake the watchers, a restarted agent re-attaching
 * its key, and the faults the failover tests inject (quorum lost, a member cut off,
 * a slow path, failing opens).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dcs/dcs.h"
#include "dcs/dcs_mem.h"
#include "util/clocksrc.h"

#define START    1000000
#define LEADER   "/service/batman/leader"
#define ENDPOINT "127.0.0.1:1" /* never used: the cluster is in memory */

struct world {
	struct clocksrc *clock;
	struct dcs_mem *mem;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	w->clock = clocksrc_sim_new(START);
	w->mem = dcs_mem_new(w->clock);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	clocksrc_sim_release(w->clock);
	dcs_mem_free(w->mem);
	clocksrc_sim_free(w->clock);
	free(w);
	return 0;
}

/* client: a DCS client of member (NULL: a tool), watching if asked. */
static struct dcs *client(struct world *w, const char *member, bool watch)
{
	static const char *const endpoints[] = {ENDPOINT, NULL};
	struct dcs_options o = {.endpoints = endpoints,
	                        .scope = "batman",
	                        .member_name = member,
	                        .request_timeout_ms = 500,
	                        .watch = watch,
	                        .mem = w->mem,
	                        .clock = w->clock};
	struct dcs *d = dcs_open(&o);

	assert_non_null(d);
	return d;
}

/* leader_of: the leader key's value as the cluster holds it ("" if absent). */
static void leader_of(struct world *w, char *out, size_t size)
{
	char *v = NULL;

	out[0] = '\0';
	if (dcs_mem_get(w->mem, LEADER, &v, NULL))
		snprintf(out, size, "%s", v);
	free(v);
}

static void expect_leader(struct world *w, const char *want)
{
	char got[64];

	leader_of(w, got, sizeof(got));
	assert_string_equal(got, want);
}

/* One key, two members: create-if-absent picks one, release hands it over. */
static void test_leader_race(void **state)
{
	struct world *w = *state;
	struct dcs *n1 = client(w, "n1", false), *n2 = client(w, "n2", false);
	int64_t sent;

	assert_true(dcs_lease_ensure(n1, 2, &sent));
	assert_int_equal(sent, START);
	assert_true(dcs_lease_ensure(n2, 2, &sent));
	assert_int_equal(dcs_leader_acquire(n1, -1), DCS_CAS_OK);
	assert_int_equal(dcs_leader_acquire(n2, -1), DCS_CAS_CONFLICT);
	assert_int_equal(dcs_leader_acquire(n1, -1), DCS_CAS_OK); /* a retry of our own win */
	assert_int_equal(dcs_leader_renew(n1, 2, &sent), DCS_RENEW_OK);
	assert_int_equal(dcs_leader_renew(n2, 2, &sent), DCS_RENEW_OTHER);
	assert_int_equal(dcs_leader_release(n2), DCS_CAS_CONFLICT); /* not n2's to delete */
	expect_leader(w, "n1");
	assert_int_equal(dcs_leader_release(n1), DCS_CAS_OK);
	assert_int_equal(dcs_leader_release(n1), DCS_CAS_OK); /* already gone: done */
	assert_int_equal(dcs_leader_acquire(n2, -1), DCS_CAS_OK);
	expect_leader(w, "n2");
	dcs_close(n1);
	dcs_close(n2);
}

/* A lease not kept alive expires at exactly its TTL; the watchers wake and see it. */
static void test_lease_expiry_wakes_watchers(void **state)
{
	struct world *w = *state;
	struct dcs *n1 = client(w, "n1", false), *tool = client(w, NULL, true);
	struct dcs_view v;
	int64_t sent;

	assert_true(dcs_lease_ensure(n1, 3, &sent));
	assert_int_equal(dcs_leader_acquire(n1, -1), DCS_CAS_OK);
	assert_true(dcs_snapshot(tool, &v, -1));
	assert_true(v.valid && v.has_leader);
	dcs_view_free(&v);
	while (dcs_wait(tool, 0)) /* forget the wake-ups of the writes so far */
		;
	clocksrc_sim_advance(w->clock, 2999);
	expect_leader(w, "n1");
	assert_false(dcs_wait(tool, 0));
	clocksrc_sim_advance(w->clock, 1); /* the lessor runs at expiry, nobody asking */
	assert_true(dcs_wait(tool, 0));
	expect_leader(w, "");
	assert_true(dcs_snapshot(tool, &v, -1));
	assert_false(v.has_leader);
	dcs_view_free(&v);
	/* The owner learns it at its next renewal: the key is gone (a new lease is granted). */
	assert_int_equal(dcs_leader_renew(n1, 3, &sent), DCS_RENEW_ABSENT);
	assert_int_equal(sent, START + 3000);
	dcs_close(n1);
	dcs_close(tool);
}

/* An agent restarted within the TTL finds the key with its name on the old lease. */
static void test_restart_reattaches(void **state)
{
	struct world *w = *state;
	struct dcs *old = client(w, "n1", false), *now = client(w, "n1", false);
	int64_t sent, lease;
	char *value = NULL;

	assert_true(dcs_lease_ensure(old, 2, &sent));
	assert_int_equal(dcs_leader_acquire(old, -1), DCS_CAS_OK);
	dcs_close(old); /* the agent died; its lease runs on */
	assert_int_equal(dcs_leader_renew(now, 2, &sent), DCS_RENEW_OK);
	assert_true(dcs_mem_get(w->mem, LEADER, &value, &lease));
	assert_string_equal(value, "n1");
	assert_int_equal(lease, dcs_lease_id(now)); /* moved to the new lease */
	free(value);
	clocksrc_sim_advance(w->clock, 1500);
	assert_int_equal(dcs_leader_renew(now, 2, &sent), DCS_RENEW_OK);
	clocksrc_sim_advance(w->clock, 1000); /* the old lease expires: the key stays */
	assert_int_equal(dcs_mem_lease_expiry(w->mem, lease), START + 1500 + 2000);
	expect_leader(w, "n1");
	dcs_close(now);
}

/* Without quorum: requests fail at once, leases stop counting, and come back with
 * a full TTL plus an election timeout (etcd's new leader resets them). */
static void test_quorum_loss(void **state)
{
	struct world *w = *state;
	struct dcs *n1 = client(w, "n1", false);
	int64_t sent, lease;

	assert_true(dcs_lease_ensure(n1, 2, &sent));
	assert_int_equal(dcs_leader_acquire(n1, -1), DCS_CAS_OK);
	lease = dcs_lease_id(n1);
	dcs_mem_set_quorum(w->mem, false);
	assert_false(dcs_lease_ensure(n1, 2, &sent));
	assert_int_equal(dcs_leader_renew(n1, 2, &sent), DCS_RENEW_ERROR);
	assert_int_equal(clocksrc_now_ms(w->clock), START); /* failed fast: no leader */
	clocksrc_sim_advance(w->clock, 10000);
	expect_leader(w, "n1"); /* nobody expires leases without a raft leader */
	dcs_mem_set_quorum(w->mem, true);
	assert_int_equal(dcs_mem_lease_expiry(w->mem, lease),
	                 START + 10000 + 2000 + DCS_MEM_ELECTION_MS);
	assert_int_equal(dcs_leader_renew(n1, 2, &sent), DCS_RENEW_OK);
	dcs_close(n1);
}

/* A member cut off from etcd: its requests time out; its watched copy stays valid for
 * max_age, then says it is no longer current; the others see the cluster move on. */
static void test_member_cut_off(void **state)
{
	struct world *w = *state;
	struct dcs *n2 = client(w, "n2", true), *n3 = client(w, "n3", false);
	struct dcs_view v;
	int64_t sent;

	assert_true(dcs_snapshot(n2, &v, 2000));
	assert_true(v.valid);
	dcs_view_free(&v);
	dcs_mem_set_reachable(w->mem, "n2", false);
	assert_false(dcs_lease_ensure(n2, 2, &sent));
	assert_int_equal(clocksrc_now_ms(w->clock), START + 500); /* the request timeout */
	assert_true(dcs_lease_ensure(n3, 10, &sent));
	assert_int_equal(dcs_leader_acquire(n3, -1), DCS_CAS_OK);
	assert_true(dcs_snapshot(n2, &v, 2000));
	assert_true(v.valid && !v.has_leader); /* stale but within max_age */
	dcs_view_free(&v);
	clocksrc_sim_advance(w->clock, 2001);
	assert_true(dcs_snapshot(n2, &v, 2000));
	assert_false(v.valid);
	dcs_view_free(&v);
	dcs_mem_set_reachable(w->mem, "n2", true);
	assert_true(dcs_snapshot(n2, &v, 2000));
	assert_true(v.valid && v.has_leader);
	dcs_view_free(&v);
	dcs_close(n2);
	dcs_close(n3);
}

/* A slow path: the request is sent at t and applied at t + latency; longer than the
 * client's timeout, it fails unapplied. */
static void test_latency(void **state)
{
	struct world *w = *state;
	struct dcs *n1 = client(w, "n1", false);
	struct dcs_mem_stats st;
	int64_t sent;

	assert_true(dcs_lease_ensure(n1, 2, &sent)); /* grant */
	dcs_mem_set_latency(w->mem, "n1", 300);
	assert_true(dcs_lease_ensure(n1, 2, &sent)); /* keepalive */
	assert_int_equal(sent, START);               /* sent at once ... */
	dcs_mem_stats(w->mem, "n1", &st);
	assert_int_equal(st.last_keepalive_ms, START + 300); /* ... served 300 ms later */
	assert_int_equal(dcs_mem_lease_expiry(w->mem, dcs_lease_id(n1)), START + 300 + 2000);
	dcs_mem_set_latency(w->mem, "n1", 800);
	assert_false(dcs_lease_ensure(n1, 2, &sent));
	dcs_mem_stats(w->mem, "n1", &st);
	assert_int_equal(st.keepalives, 1);
	assert_int_equal(st.failed, 1);
	dcs_close(n1);
}

/* The sync key: only the leader writes it, each write a CAS on its revision. */
static void test_sync_key_guarded(void **state)
{
	struct world *w = *state;
	struct dcs *n1 = client(w, "n1", false), *n2 = client(w, "n2", false);
	const char *standby[] = {"n2"};
	struct dcs_view v;
	int64_t sent;

	assert_true(dcs_lease_ensure(n1, 2, &sent));
	assert_int_equal(dcs_leader_acquire(n1, -1), DCS_CAS_OK);
	assert_int_equal(dcs_sync_write(n2, standby, 1, 0), DCS_CAS_CONFLICT); /* not leader */
	assert_int_equal(dcs_sync_write(n1, NULL, 0, 0), DCS_CAS_OK);
	assert_int_equal(dcs_sync_write(n1, standby, 1, 0), DCS_CAS_CONFLICT); /* exists now */
	assert_true(dcs_read(n2, &v));
	assert_true(v.sync.present);
	assert_int_equal(dcs_sync_write(n1, standby, 1, v.sync.mod_revision), DCS_CAS_OK);
	dcs_view_free(&v);
	assert_true(dcs_read(n2, &v));
	assert_int_equal(v.sync.n_standbys, 1);
	assert_string_equal(v.sync.standbys[0], "n2");
	dcs_view_free(&v);
	dcs_close(n1);
	dcs_close(n2);
}

static void test_failing_open(void **state)
{
	struct world *w = *state;
	static const char *const endpoints[] = {ENDPOINT, NULL};
	struct dcs_options o = {
	    .endpoints = endpoints, .scope = "batman", .mem = w->mem, .clock = w->clock};

	dcs_mem_fail_opens(w->mem, 1);
	assert_null(dcs_open(&o));
	dcs_close(client(w, "n1", false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_leader_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lease_expiry_wakes_watchers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_reattaches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quorum_loss, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_member_cut_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_latency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_key_guarded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failing_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
