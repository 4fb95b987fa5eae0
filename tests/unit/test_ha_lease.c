/*
 * test_ha_lease.c: the lease keeper's sequences on simulated time and the in-memory
 * etcd cluster: the very renewer and fencer threads the agent runs.
 *
 * What users rely on (ARCHITECTURE invariant 1, "one writer"):
 *  - the fencing deadline is the last successful renewal's *send* time + ttl - margin,
 *    so it comes at least margin before etcd can expire the lease, however late the
 *    reply;
 *  - cut off from etcd, the leader fences at that deadline, while the key is still its
 *    own, and once;
 *  - a key taken by someone else fences at the next renewal;
 *  - a keeper whose etcd client or fencer (or renewer) did not start never takes the
 *    key: nothing holds it without a fencer behind it.
 * TTL 2 s throughout: leader renewal every 250 ms, follower every 666 ms, margin 500 ms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "dcs/dcs_mem.h"
#include "ha/ha_failsafe.h"
#include "ha/lease.h"
#include "util/compiler.h"
#include "util/clocksrc.h"

#define START  1000000
#define TTL_S  2
#define MARGIN 500
#define RENEW  250
#define LEADER "/service/batman/leader"

struct rig {
	struct clocksrc *clock;
	struct dcs_mem *mem;
	struct lease_keeper *lk;
	atomic_int fences;
	_Atomic int64_t fenced_at; /* clock time of the last fence */
	atomic_int notifies;
	/* The failsafe members' answers (the seam of lease_options.fs_post). */
	atomic_int rounds;          /* rounds sent */
	atomic_bool refuse[3];      /* n1, n2, n3: refuse (or do not answer) from now on */
	_Atomic int64_t latency_ms; /* each round takes this long */
};

/* The thread whose start fails (NULL: none): the seam of lease_options.spawn. */
static const char *failing_thread;

static int spawn(pthread_t *t, const char *name, void *(*main)(void *), void *arg)
{
	if (failing_thread != NULL && strcmp(name, failing_thread) == 0)
		return EAGAIN;
	return thread_start(t, name, main, arg);
}

static void fence(void *ctx)
{
	struct rig *r = ctx;

	atomic_fetch_add(&r->fences, 1);
	atomic_store(&r->fenced_at, clocksrc_now_ms(r->clock));
}

static void notify(void *ctx)
{
	struct rig *r = ctx;

	atomic_fetch_add(&r->notifies, 1);
}

/* fs_post: the members of the failsafe list as the test scripts them. */
static void fs_post(void *ctx, const struct dcs_failsafe *targets, const char *body, int timeout_ms,
                    bool *accepted)
{
	struct rig *r = ctx;
	int64_t latency = atomic_load(&r->latency_ms);

	(void)body;
	atomic_fetch_add(&r->rounds, 1);
	if (latency > 0)
		clocksrc_sleep_ms(r->clock, MIN(latency, timeout_ms));
	for (int i = 0; i < targets->n; i++) {
		int who = targets->names[i][1] - '1'; /* "n2" -> 1 */

		accepted[i] =
		    who >= 0 && who < 3 && !atomic_load(&r->refuse[who]) && latency < timeout_ms;
	}
}

/* failsafe: the HA loop's word to the keeper: mode on, this list, usable. */
static void failsafe(struct rig *r, bool mode, bool usable, bool retake_ok)
{
	struct lease_failsafe lf = {.mode = mode, .usable = usable, .retake_ok = retake_ok};

	lf.targets.state = DCS_FS_VALID;
	lf.targets.n = 2;
	strcpy(lf.targets.names[0], "n2");
	strcpy(lf.targets.api_urls[0], "http://127.0.0.1:1/patroni");
	strcpy(lf.targets.names[1], "n3");
	strcpy(lf.targets.api_urls[1], "http://127.0.0.1:2/patroni");
	strcpy(lf.body, "{\"name\":\"n1\"}");
	lease_keeper_set_failsafe(r->lk, &lf);
}

static int64_t effective(struct rig *r)
{
	struct ha_lease s = lease_state(r->lk);

	return ha_effective_deadline(&s);
}

static void start_keeper(struct rig *r)
{
	static const char *const endpoints[] = {"127.0.0.1:1", NULL};
	struct dcs_options d = {.endpoints = endpoints,
	                        .scope = "batman",
	                        .member_name = "n1",
	                        .request_timeout_ms = 1000,
	                        .mem = r->mem};
	struct lease_options o = {.dcs = &d,
	                          .ttl_s = TTL_S,
	                          .fence = fence,
	                          .fence_ctx = r,
	                          .notify = notify,
	                          .notify_ctx = r,
	                          .fs_post = fs_post,
	                          .fs_post_ctx = r,
	                          .clock = r->clock,
	                          .spawn = spawn};

	r->lk = lease_keeper_start(&o);
	clocksrc_sim_settle(r->clock);
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	failing_thread = NULL;
	r->clock = clocksrc_sim_new(START);
	atomic_init(&r->rounds, 0);
	atomic_init(&r->latency_ms, 0);
	for (int i = 0; i < 3; i++)
		atomic_init(&r->refuse[i], false);
	r->mem = dcs_mem_new(r->clock);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	clocksrc_sim_release(r->clock); /* a thread may be in a slow request */
	lease_keeper_stop(r->lk);
	dcs_mem_free(r->mem);
	clocksrc_sim_free(r->clock);
	free(r);
	return 0;
}

/* acquire: takes the key, and lets the renewer (woken by the news) settle. */
static void acquire(struct rig *r)
{
	assert_int_equal(lease_acquire(r->lk, false, -1), DCS_CAS_OK);
	clocksrc_sim_settle(r->clock);
}

static int64_t now(struct rig *r)
{
	return clocksrc_now_ms(r->clock);
}

static bool key_is(struct rig *r, const char *want)
{
	char *v = NULL;
	bool same = dcs_mem_get(r->mem, LEADER, &v, NULL) && strcmp(v, want) == 0;

	free(v);
	return same;
}

/* The fencing deadline never reaches into the last margin of the lease at etcd. */
static void assert_deadline_safe(struct rig *r)
{
	struct ha_lease s = lease_state(r->lk);
	int64_t expiry = dcs_mem_lease_expiry(r->mem, lease_id(r->lk));

	assert_true(s.held);
	assert_true(expiry > 0);
	assert_true(s.deadline_ms + MARGIN <= expiry);
}

/* A leader renews every 333 ms; each success moves the deadline to sent + 1500. */
static void test_renewals_move_the_deadline(void **state)
{
	struct rig *r = *state;
	struct dcs_mem_stats st;

	start_keeper(r);
	assert_true(lease_keeper_ready(r->lk));
	acquire(r);
	assert_true(key_is(r, "n1"));
	assert_int_equal(lease_state(r->lk).deadline_ms, START + TTL_S * 1000 - MARGIN);
	for (int i = 1; i <= 30; i++) {
		clocksrc_sim_advance(r->clock, RENEW);
		assert_int_equal(lease_state(r->lk).deadline_ms,
		                 START + i * RENEW + TTL_S * 1000 - MARGIN);
		assert_deadline_safe(r);
	}
	dcs_mem_stats(r->mem, "n1", &st);
	/* The acquire's, the renewer's at once (leadership wakes it), then one per period. */
	assert_int_equal(st.keepalives, 1 + 1 + 30);
	assert_int_equal(atomic_load(&r->fences), 0);
}

/*
 * Slow etcd (200 ms per request): the deadline counts from when the renewal was sent,
 * not from the reply, which came 400 ms later (keepalive, then the compare).
 */
static void test_deadline_anchored_on_send_time(void **state)
{
	struct rig *r = *state;
	int64_t sent;

	start_keeper(r);
	dcs_mem_set_latency(r->mem, "n1", 200);
	assert_int_equal(lease_acquire(r->lk, false, -1), DCS_CAS_OK);
	assert_int_equal(now(r), START + 400); /* the reply */
	assert_int_equal(lease_state(r->lk).deadline_ms, START + TTL_S * 1000 - MARGIN);
	assert_deadline_safe(r);
	/* The renewer starts at once (START + 400); its reply arrives at START + 800. */
	sent = now(r);
	clocksrc_sim_advance(r->clock, 400);
	assert_int_equal(lease_state(r->lk).deadline_ms, sent + TTL_S * 1000 - MARGIN);
	for (int i = 0; i < 20; i++) {
		clocksrc_sim_advance(r->clock, 100);
		assert_deadline_safe(r);
	}
	assert_int_equal(atomic_load(&r->fences), 0);
}

/*
 * Cut off from etcd: the renewals time out, the fencer stops PostgreSQL at the
 * deadline, 500 ms before the lease can expire, while the key is still ours. Once.
 */
static void test_cut_off_leader_fences_before_expiry(void **state)
{
	struct rig *r = *state;
	int64_t deadline, expiry;

	start_keeper(r);
	acquire(r);
	clocksrc_sim_advance(r->clock, 1000);
	dcs_mem_set_reachable(r->mem, "n1", false);
	deadline = lease_state(r->lk).deadline_ms;
	expiry = dcs_mem_lease_expiry(r->mem, lease_id(r->lk));
	while (now(r) < deadline - 10) {
		clocksrc_sim_advance(r->clock, 10);
		assert_int_equal(atomic_load(&r->fences), 0);
	}
	clocksrc_sim_advance(r->clock, 10);
	assert_int_equal(atomic_load(&r->fences), 1);
	assert_int_equal(atomic_load(&r->fenced_at), deadline);
	assert_true(deadline + MARGIN <= expiry);
	assert_true(key_is(r, "n1")); /* nobody else can have it yet */
	clocksrc_sim_advance(r->clock, 5000);
	assert_false(key_is(r, "n1")); /* etcd expired it after all */
	assert_int_equal(atomic_load(&r->fences), 1);
}

/* Without quorum no renewal succeeds either: fenced at the deadline (issue 8 adds
 * Patroni's failsafe mode on top of this). */
static void test_quorum_loss_fences_at_the_deadline(void **state)
{
	struct rig *r = *state;
	int64_t deadline;

	start_keeper(r);
	acquire(r);
	dcs_mem_set_quorum(r->mem, false);
	deadline = lease_state(r->lk).deadline_ms;
	clocksrc_sim_advance(r->clock, deadline - now(r) - 1);
	assert_int_equal(atomic_load(&r->fences), 0);
	clocksrc_sim_advance(r->clock, 1);
	assert_int_equal(atomic_load(&r->fences), 1);
	assert_true(key_is(r, "n1")); /* etcd froze the lease, but we cannot know */
}

/* Someone else holds the key: the next renewal fences at once and wakes the loop. */
static void test_key_taken_fences_at_once(void **state)
{
	struct rig *r = *state;
	int notified;

	start_keeper(r);
	acquire(r);
	notified = atomic_load(&r->notifies);
	assert_true(dcs_mem_delete(r->mem, LEADER));
	assert_true(dcs_mem_put(r->mem, LEADER, "n2", 0));
	clocksrc_sim_advance(r->clock, RENEW);
	assert_int_equal(atomic_load(&r->fences), 1);
	assert_int_equal(atomic_load(&r->fenced_at), START + RENEW);
	assert_false(lease_state(r->lk).held);
	assert_true(atomic_load(&r->notifies) > notified);
	clocksrc_sim_advance(r->clock, 5000); /* not held: no more fencing */
	assert_int_equal(atomic_load(&r->fences), 1);
}

/* A release deletes the key and disarms the fencer first. */
static void test_release_disarms(void **state)
{
	struct rig *r = *state;

	start_keeper(r);
	acquire(r);
	assert_int_equal(lease_release(r->lk), DCS_CAS_OK);
	assert_false(key_is(r, "n1"));
	assert_false(lease_state(r->lk).held);
	clocksrc_sim_advance(r->clock, 10000);
	assert_int_equal(atomic_load(&r->fences), 0);
	assert_true(dcs_mem_lease_expiry(r->mem, lease_id(r->lk)) > now(r)); /* still kept */
}

/* A follower's lease (it carries the member key) is kept alive every ttl/3. */
static void test_follower_keeps_its_lease(void **state)
{
	struct rig *r = *state;
	struct dcs_mem_stats st;
	int64_t lease;

	start_keeper(r);
	lease = lease_id(r->lk);
	assert_true(lease != 0);
	clocksrc_sim_advance(r->clock, 6660);
	dcs_mem_stats(r->mem, "n1", &st);
	assert_int_equal(st.keepalives, 10);
	assert_int_equal(lease_id(r->lk), lease);
}

/* A new ttl takes a new lease (the old one just expires); the loop is told. */
static void test_ttl_change_takes_a_new_lease(void **state)
{
	struct rig *r = *state;
	int64_t before;
	int notified;

	start_keeper(r);
	before = lease_id(r->lk);
	notified = atomic_load(&r->notifies);
	lease_keeper_set_ttl(r->lk, 6);
	clocksrc_sim_settle(r->clock);
	assert_true(lease_id(r->lk) != before);
	assert_int_equal(dcs_mem_lease_expiry(r->mem, lease_id(r->lk)), now(r) + 6000);
	assert_true(atomic_load(&r->notifies) > notified);
}

/* expect_never_leads: a keeper that did not start whole refuses the key, etcd untouched. */
static void expect_never_leads(struct rig *r)
{
	struct dcs_mem_stats st;

	assert_false(lease_keeper_ready(r->lk));
	dcs_mem_stats(r->mem, "n1", &st);
	assert_int_equal(lease_acquire(r->lk, false, -1), DCS_CAS_ERROR);
	assert_int_equal(lease_acquire(r->lk, true, -1), DCS_CAS_ERROR);
	assert_false(lease_state(r->lk).held);
	assert_false(key_is(r, "n1"));
	clocksrc_sim_advance(r->clock, 5000);
	assert_false(lease_state(r->lk).held);
	assert_int_equal(atomic_load(&r->fences), 0);
	dcs_mem_stats(r->mem, "n1", &st);
}

static void test_fencer_start_failure_never_leads(void **state)
{
	struct rig *r = *state;
	struct dcs_mem_stats st;

	failing_thread = "lease-fencer";
	start_keeper(r);
	expect_never_leads(r);
	dcs_mem_stats(r->mem, "n1", &st);
	assert_int_equal(st.requests, 0); /* no renewer either: it starts after the fencer */
}

static void test_renewer_start_failure_never_leads(void **state)
{
	struct rig *r = *state;

	failing_thread = "lease-renewer";
	start_keeper(r);
	expect_never_leads(r);
}

static void test_client_open_failure_never_leads(void **state)
{
	struct rig *r = *state;

	dcs_mem_fail_opens(r->mem, 1);
	start_keeper(r);
	expect_never_leads(r);
	assert_int_equal(lease_release(r->lk), DCS_CAS_ERROR);
}

/* --- failsafe_mode ------------------------------------------------------------------------- */

/*
 * Quorum lost for 10 s with failsafe on: rounds start a renewal period plus a hedge
 * delay after the last renewal, every member confirms, and the primary never fences;
 * its deadline rests on the rounds (send time + ttl - margin). When etcd comes back the
 * renewals carry it again and the rounds stop.
 */
static void test_failsafe_keeps_primary_through_quorum_loss(void **state)
{
	struct rig *r = *state;
	int rounds;

	start_keeper(r);
	failsafe(r, true, true, true);
	acquire(r);
	dcs_mem_set_quorum(r->mem, false);
	clocksrc_sim_advance(r->clock, 300);
	assert_int_equal(atomic_load(&r->rounds), 0); /* not before 250 + 100 ms */
	for (int i = 0; i < 100; i++) {
		clocksrc_sim_advance(r->clock, 100);
		assert_int_equal(atomic_load(&r->fences), 0);
		assert_true(effective(r) > now(r));
		assert_true(effective(r) <= now(r) + TTL_S * 1000 - MARGIN);
	}
	rounds = atomic_load(&r->rounds);
	assert_true(rounds >= 35); /* every 250 ms */
	assert_true(ha_fs_carries(&(struct ha_lease){lease_state(r->lk).held,
	                                             lease_state(r->lk).deadline_ms,
	                                             lease_state(r->lk).fs_deadline_ms, true},
	                          now(r)));
	dcs_mem_set_quorum(r->mem, true);
	clocksrc_sim_advance(r->clock, 500);
	rounds = atomic_load(&r->rounds);
	clocksrc_sim_advance(r->clock, 2000);
	assert_int_equal(atomic_load(&r->rounds), rounds); /* renewals again: no rounds */
	assert_true(key_is(r, "n1"));
	assert_int_equal(atomic_load(&r->fences), 0);
}

/*
 * A member stops confirming: the primary fences at the send time of the last round
 * that every member confirmed + ttl - margin: never later (the member's window ends
 * ttl after it accepted that round), never before.
 */
static void test_failsafe_member_refusing_fences(void **state)
{
	struct rig *r = *state;
	int64_t refused_at, deadline;

	start_keeper(r);
	failsafe(r, true, true, true);
	acquire(r);
	dcs_mem_set_quorum(r->mem, false);
	clocksrc_sim_advance(r->clock, 3000);
	assert_int_equal(atomic_load(&r->fences), 0);
	atomic_store(&r->refuse[2], true); /* n3 */
	refused_at = now(r);
	deadline = effective(r);
	assert_true(deadline > refused_at && deadline <= refused_at + TTL_S * 1000 - MARGIN);
	clocksrc_sim_advance(r->clock, deadline - now(r) - 1);
	assert_int_equal(atomic_load(&r->fences), 0);
	assert_int_equal(effective(r), deadline); /* refused rounds never extend it */
	clocksrc_sim_advance(r->clock, 1);
	assert_int_equal(atomic_load(&r->fences), 1);
	assert_int_equal(atomic_load(&r->fenced_at), deadline);
	atomic_store(&r->refuse[2], false); /* answering again later changes nothing */
	clocksrc_sim_advance(r->clock, 3000);
	assert_int_equal(atomic_load(&r->fences), 1);
	assert_int_equal(effective(r), deadline);
}

/* Failsafe off, or the confirmed list does not name us: no rounds, fenced at the lease. */
static void test_failsafe_unusable_fences_at_the_lease(void **state)
{
	struct rig *r = *state;
	int64_t deadline;

	start_keeper(r);
	failsafe(r, true, false, true);
	acquire(r);
	dcs_mem_set_quorum(r->mem, false);
	deadline = lease_state(r->lk).deadline_ms;
	clocksrc_sim_advance(r->clock, deadline - now(r));
	assert_int_equal(atomic_load(&r->fences), 1);
	assert_int_equal(atomic_load(&r->rounds), 0);
}

/*
 * A round that left before the deadline but came back after it still counts (the
 * members opened their windows on receipt, after the send); one sent at or after the
 * deadline never does: a frozen primary that resumes cannot resurrect itself.
 */
static void test_failsafe_no_resurrection(void **state)
{
	struct rig *r = *state;
	int64_t deadline;

	start_keeper(r);
	failsafe(r, true, true, true);
	acquire(r);
	atomic_store(&r->refuse[1], true); /* n2 silent: every round fails */
	dcs_mem_set_quorum(r->mem, false);
	deadline = effective(r);
	clocksrc_sim_advance(r->clock, deadline - now(r) + 10);
	assert_int_equal(atomic_load(&r->fences), 1);
	atomic_store(&r->refuse[1], false);
	clocksrc_sim_advance(r->clock, 3000);
	assert_int_equal(effective(r), deadline);
	assert_int_equal(atomic_load(&r->fences), 1);
}

/*
 * etcd comes back from a quorum loss with every lease revoked (the frozen raft leader
 * resumed): the leader key is gone. The primary, still within its failsafe deadline,
 * takes it back create-if-absent on a new lease: no fence, no leader change.
 */
static void test_failsafe_retakes_revoked_key(void **state)
{
	struct rig *r = *state;
	int64_t old_lease;

	start_keeper(r);
	failsafe(r, true, true, true);
	acquire(r);
	old_lease = lease_id(r->lk);
	dcs_mem_set_quorum(r->mem, false);
	clocksrc_sim_advance(r->clock, 5000);
	dcs_mem_revoke_all(r->mem);
	dcs_mem_set_quorum(r->mem, true);
	assert_false(key_is(r, "n1"));
	clocksrc_sim_advance(r->clock, RENEW + 100);
	assert_true(key_is(r, "n1"));
	assert_true(lease_id(r->lk) != old_lease);
	assert_int_equal(atomic_load(&r->fences), 0);
	clocksrc_sim_advance(r->clock, 3000);
	assert_deadline_safe(r);
	assert_int_equal(atomic_load(&r->fences), 0);
}

/* Without the HA loop's leave (a newer timeline, a failover request) it fences instead. */
static void test_vanished_key_not_retaken_without_leave(void **state)
{
	struct rig *r = *state;

	start_keeper(r);
	failsafe(r, true, true, false);
	acquire(r);
	assert_true(dcs_mem_delete(r->mem, LEADER));
	clocksrc_sim_advance(r->clock, RENEW);
	assert_int_equal(atomic_load(&r->fences), 1);
	assert_false(key_is(r, "n1"));
	assert_false(lease_state(r->lk).held);
}

/* A key deleted (or revoked early, etcd 3.4.23's stale-leader bug) while renewals work:
 * taken back at the next renewal, with or without failsafe_mode. */
static void test_vanished_key_retaken(void **state)
{
	struct rig *r = *state;

	start_keeper(r);
	failsafe(r, false, false, true);
	acquire(r);
	assert_true(dcs_mem_delete(r->mem, LEADER));
	clocksrc_sim_advance(r->clock, RENEW);
	assert_true(key_is(r, "n1"));
	assert_int_equal(atomic_load(&r->fences), 0);
	assert_true(lease_state(r->lk).held);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_renewals_move_the_deadline),
	    T(test_deadline_anchored_on_send_time),
	    T(test_cut_off_leader_fences_before_expiry),
	    T(test_quorum_loss_fences_at_the_deadline),
	    T(test_key_taken_fences_at_once),
	    T(test_release_disarms),
	    T(test_follower_keeps_its_lease),
	    T(test_ttl_change_takes_a_new_lease),
	    T(test_fencer_start_failure_never_leads),
	    T(test_renewer_start_failure_never_leads),
	    T(test_client_open_failure_never_leads),
	    T(test_failsafe_keeps_primary_through_quorum_loss),
	    T(test_failsafe_member_refusing_fences),
	    T(test_failsafe_unusable_fences_at_the_lease),
	    T(test_failsafe_no_resurrection),
	    T(test_failsafe_retakes_revoked_key),
	    T(test_vanished_key_not_retaken_without_leave),
	    T(test_vanished_key_retaken),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
