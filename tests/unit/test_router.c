/*
 * test_router.c: the router's pure parts: the hold queue, HAProxy-style rise/fall
 * counters, target eligibility and selection from hand-built DCS views (leader
 * changes, switchover hold, round robin, penalties), configuration mapping, and the
 * /health and /metrics renderings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "router/router_config.h"
#include "router/router_holdq.h"
#include "router/router_notify.h"
#include "router/router_stats.h"
#include "router/router_target.h"
#include "util/buf.h"

/* --- hold queue ------------------------------------------------------------------------ */

static void test_holdq_fifo_and_expiry(void **state)
{
	struct hq_node n[4] = {0};
	struct holdq q;

	(void)state;
	holdq_init(&q);
	assert_null(holdq_pop(&q));
	assert_true(holdq_next_deadline(&q) == INT64_MAX);
	for (int i = 0; i < 4; i++)
		holdq_push(&q, &n[i], 100 + i * 10);
	assert_int_equal(q.n, 4);
	assert_true(holdq_next_deadline(&q) == 100);
	assert_null(holdq_pop_expired(&q, 99));
	assert_ptr_equal(holdq_pop_expired(&q, 100), &n[0]);
	assert_null(holdq_pop_expired(&q, 109));
	assert_ptr_equal(holdq_pop_expired(&q, 1000), &n[1]);
	assert_ptr_equal(holdq_pop(&q), &n[2]);
	assert_ptr_equal(holdq_pop(&q), &n[3]);
	assert_null(holdq_pop(&q));
	assert_int_equal(q.n, 0);
	assert_null(q.head);
	assert_null(q.tail);
}

static void test_holdq_sorted_insert_and_remove(void **state)
{
	struct hq_node n[5] = {0};
	struct holdq q;
	const int64_t deadlines[5] = {50, 10, 30, 70, 20};
	const int order[5] = {1, 4, 2, 0, 3};

	(void)state;
	holdq_init(&q);
	for (int i = 0; i < 5; i++)
		holdq_push(&q, &n[i], deadlines[i]);
	holdq_remove(&q, &n[2]);
	holdq_remove(&q, &n[2]); /* not queued any more: no-op */
	assert_false(n[2].queued);
	assert_int_equal(q.n, 4);
	for (int i = 0; i < 5; i++) {
		if (order[i] == 2)
			continue;
		assert_ptr_equal(holdq_pop(&q), &n[order[i]]);
	}
	assert_null(holdq_pop(&q));
}

/* A re-queued tail must not link to itself (a real bug: the loop spun for ever). */
static void test_holdq_repush_tail_and_head(void **state)
{
	struct hq_node a = {0};
	struct hq_node b = {0};
	struct holdq q;

	(void)state;
	holdq_init(&q);
	holdq_push(&q, &a, 10);
	holdq_push(&q, &a, 20); /* a is head and tail */
	assert_int_equal(q.n, 1);
	assert_null(a.prev);
	assert_null(a.next);
	holdq_push(&q, &b, 30);
	holdq_push(&q, &b, 5); /* the tail moves to the front */
	assert_ptr_equal(q.head, &b);
	assert_ptr_equal(q.tail, &a);
	holdq_push(&q, &b, 40); /* and back to the end */
	assert_ptr_equal(q.head, &a);
	assert_ptr_equal(q.tail, &b);
	assert_ptr_equal(holdq_pop_expired(&q, 100), &a);
	assert_ptr_equal(holdq_pop_expired(&q, 100), &b);
	assert_null(holdq_pop_expired(&q, 100));
	assert_int_equal(q.n, 0);
}

/* --- rise / fall ----------------------------------------------------------------------- */

/* From any state, `rise` passes in a row make a target up and `fall` failures down. */
static void test_health_rise_fall_exhaustive(void **state)
{
	(void)state;
	for (int rise = 1; rise <= 4; rise++) {
		for (int fall = 1; fall <= 4; fall++) {
			struct rt_health h = {.health = 0};
			int flips = 0;

			for (int k = 1; k <= rise; k++) {
				flips += rt_health_report(&h, true, rise, fall);
				assert_int_equal(rt_health_up(&h, rise), k >= rise);
			}
			assert_int_equal(flips, 1);
			for (int k = 1; k <= fall; k++) {
				flips += rt_health_report(&h, false, rise, fall);
				assert_int_equal(rt_health_up(&h, rise), k < fall);
			}
			assert_int_equal(flips, 2);
			/* Down: one failure among passes restarts the climb. */
			for (int k = 1; k < rise; k++)
				assert_false(rt_health_report(&h, true, rise, fall));
			assert_false(rt_health_report(&h, false, rise, fall));
			assert_false(rt_health_up(&h, rise));
			assert_int_equal(h.health, 0);
			/* Up: a pass between failures restores the full margin. */
			for (int k = 0; k < rise; k++)
				(void)rt_health_report(&h, true, rise, fall);
			for (int round = 0; round < 5; round++) {
				for (int k = 1; k < fall; k++)
					assert_false(rt_health_report(&h, false, rise, fall));
				assert_false(rt_health_report(&h, true, rise, fall));
				assert_true(rt_health_up(&h, rise));
			}
		}
	}
}

/* --- addresses ---------------------------------------------------------------------------- */

static void test_member_addr_and_api_base(void **state)
{
	struct dcs_member m = {0};
	char out[DCS_URL_LEN];

	(void)state;
	snprintf(m.host, sizeof(m.host), "10.0.0.1");
	m.port = 5432;
	assert_true(rt_member_addr(&m, ROUTER_TARGET_POOLER, out, sizeof(out)));
	assert_string_equal(out, "10.0.0.1:5432"); /* no pooler: conn_url's */
	snprintf(m.pooler, sizeof(m.pooler), "10.0.0.1:6432");
	assert_true(rt_member_addr(&m, ROUTER_TARGET_POOLER, out, sizeof(out)));
	assert_string_equal(out, "10.0.0.1:6432");
	assert_true(rt_member_addr(&m, ROUTER_TARGET_POSTGRES, out, sizeof(out)));
	assert_string_equal(out, "10.0.0.1:5432");
	snprintf(m.pooler, sizeof(m.pooler), "garbage");
	assert_false(rt_member_addr(&m, ROUTER_TARGET_POOLER, out, sizeof(out)));
	snprintf(m.host, sizeof(m.host), "::1");
	assert_true(rt_member_addr(&m, ROUTER_TARGET_POSTGRES, out, sizeof(out)));
	assert_string_equal(out, "[::1]:5432");
	m.host[0] = '\0';
	assert_false(rt_member_addr(&m, ROUTER_TARGET_POSTGRES, out, sizeof(out)));

	assert_true(rt_api_base("http://10.0.0.1:8008/patroni", out, sizeof(out)));
	assert_string_equal(out, "http://10.0.0.1:8008");
	assert_true(rt_api_base("https://h:1", out, sizeof(out)));
	assert_string_equal(out, "https://h:1");
	assert_false(rt_api_base("", out, sizeof(out)));
	assert_false(rt_api_base("10.0.0.1:8008", out, sizeof(out)));
	assert_false(rt_api_base("http:///patroni", out, sizeof(out)));
	assert_false(rt_api_base("ftp://x/y", out, sizeof(out)));
}

/* --- targets -------------------------------------------------------------------------------- */

struct fixture {
	struct router_config cfg;
	struct rt_table tbl;
	struct dcs_view view;
	int64_t now;
};

static void add_member(struct dcs_view *v, const char *name, int n)
{
	struct dcs_member *m = &v->members[v->n_members++];

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->host, sizeof(m->host), "127.0.0.%d", n);
	m->port = 5432;
	snprintf(m->pooler, sizeof(m->pooler), "127.0.0.%d:6432", n);
	snprintf(m->api_url, sizeof(m->api_url), "http://127.0.0.%d:8008/patroni", n);
}

static void set_leader(struct dcs_view *v, const char *name)
{
	v->has_leader = name != NULL;
	snprintf(v->leader, sizeof(v->leader), "%s", name != NULL ? name : "");
}

/* apply: applies f->view; marks addresses resolved as the loop would. */
static struct rt_changes apply(struct fixture *f)
{
	struct rt_changes ch;

	rt_table_apply_view(&f->tbl, &f->view, f->now, 1000000, &ch);
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		if (f->tbl.t[i].in_use && f->tbl.t[i].addr_changed) {
			f->tbl.t[i].addr_changed = false;
			f->tbl.t[i].sa.ss_family = AF_INET;
			f->tbl.t[i].sa_len = sizeof(struct sockaddr_in);
		}
	}
	return ch;
}

static int idx(const struct fixture *f, const char *name)
{
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		if (f->tbl.t[i].in_use && strcmp(f->tbl.t[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* check: a check result for member name of the kind its role calls for. */
static bool check(struct fixture *f, const char *name, int status)
{
	int i = idx(f, name);

	return rt_table_check_result(&f->tbl, i, rt_target_check_kind(&f->tbl.t[i]), status, f->now,
	                             f->cfg.check_interval_ms);
}

static struct fixture *three_members(void)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	router_config_defaults(&f.cfg);
	rt_table_init(&f.tbl, &f.cfg);
	f.now = 1000;
	f.view.valid = true;
	add_member(&f.view, "n1", 1);
	add_member(&f.view, "n2", 2);
	add_member(&f.view, "n3", 3);
	set_leader(&f.view, "n1");
	(void)apply(&f);
	return &f;
}

static void test_rw_needs_leader_key_and_primary_check(void **state)
{
	struct fixture *f = three_members();

	(void)state;
	/* Known from the DCS, but not confirmed yet: clients are held. */
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	assert_int_equal(rt_target_check_kind(&f->tbl.t[idx(f, "n1")]), RT_CHECK_PRIMARY);
	assert_int_equal(rt_target_check_kind(&f->tbl.t[idx(f, "n2")]), RT_CHECK_REPLICA);
	/* A replica answering /replica does not make it a RW target. */
	assert_true(check(f, "n2", 200));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	/*
	 * The key holder is confirmed by its first /primary pass; 503s before it (still
	 * promoting) neither count against it nor slow it down: it is polled quickly.
	 */
	assert_false(check(f, "n1", 503));
	assert_false(check(f, "n1", 503));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	assert_true(f->tbl.t[idx(f, "n1")].next_check_ms <= f->now + 20);
	assert_true(check(f, "n1", 200));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), idx(f, "n1"));
	assert_true(f->tbl.t[idx(f, "n1")].next_check_ms == f->now + f->cfg.check_interval_ms);
	/* Never RO: the leader is not a replica target. */
	for (int k = 0; k < 4; k++)
		assert_int_not_equal(rt_select(&f->tbl, RT_RO, f->now), idx(f, "n1"));
	/* fall 2: one failed check keeps it, the second drops it. */
	assert_false(check(f, "n1", 0));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), idx(f, "n1"));
	assert_true(check(f, "n1", 503));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	assert_int_equal(f->tbl.t[idx(f, "n1")].checks_failed, 4);
	/* Once confirmed, the ordinary counter applies: back up after `rise` passes. */
	assert_false(check(f, "n1", 200));
	assert_true(check(f, "n1", 200));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), idx(f, "n1"));
}

static void test_primary_answer_without_leader_key_is_not_enough(void **state)
{
	struct fixture *f = three_members();

	(void)state;
	/* A router that never saw a leader routes nobody on a 200 alone. */
	rt_table_init(&f->tbl, &f->cfg);
	set_leader(&f->view, NULL);
	(void)apply(f);
	/* Every member is checked on /replica now; a 200 there is no RW target. */
	for (int k = 0; k < 3; k++)
		(void)check(f, "n1", 200);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	/* ... and a leader key naming an unknown member gives none either. */
	set_leader(&f->view, "ghost");
	(void)apply(f);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
}

/*
 * The leader key vanishes (it expired while the primary ran on failsafe, or etcd revoked
 * it) together with the leader's member key: the last leader stays the RW target while
 * its /primary answers 200, and its first failure drops it for good; nobody else becomes
 * a RW target without the key.
 */
static void test_vanished_key_keeps_the_last_leader_on_probation(void **state)
{
	struct fixture *f = three_members();
	struct rt_changes ch;
	int n1 = idx(f, "n1");

	(void)state;
	assert_true(check(f, "n1", 200));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
	set_leader(&f->view, NULL);
	f->view.members[0] = f->view.members[2]; /* n1's member key went with its lease */
	f->view.n_members = 2;
	ch = apply(f);
	assert_int_equal(ch.lost_leader, -1);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
	assert_false(check(f, "n1", 200));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
	/* The key comes back with the same holder: nothing changes. */
	add_member(&f->view, "n1", 1);
	set_leader(&f->view, "n1");
	ch = apply(f);
	assert_int_equal(ch.lost_leader, -1);
	assert_int_equal(ch.new_leader, -1);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
	/* Gone again, and this time /primary fails once: out at once, and for good. */
	set_leader(&f->view, NULL);
	(void)apply(f);
	assert_true(check(f, "n1", 503));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	for (int k = 0; k < 3; k++) {
		(void)check(f, "n1", 200);
		(void)check(f, "n2", 200);
	}
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
}

/*
 * During a switchover the leader releases its key on purpose: it is stepping down, so
 * it is not kept on probation even while its /primary still answers 200 (it may not have
 * stopped yet); new RW clients wait for the next leader instead of landing on it.
 */
static void test_key_released_in_a_switchover_is_not_kept(void **state)
{
	struct fixture *f = three_members();
	struct rt_changes ch;
	int n1 = idx(f, "n1");

	(void)state;
	assert_true(check(f, "n1", 200));
	f->view.failover.present = true;
	snprintf(f->view.failover.leader, DCS_NAME_LEN, "n1");
	snprintf(f->view.failover.member, DCS_NAME_LEN, "n2");
	(void)apply(f);
	assert_true(f->tbl.switchover_pending);
	set_leader(&f->view, NULL);
	ch = apply(f);
	assert_int_equal(ch.lost_leader, n1);
	assert_false(f->tbl.t[n1].is_leader);
	assert_false(check(f, "n1", 200));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	/* The same without a pending switchover seen first: the failover key alone is enough. */
	f = three_members();
	assert_true(check(f, "n1", 200));
	f->view.failover.present = true;
	snprintf(f->view.failover.member, DCS_NAME_LEN, "n2");
	set_leader(&f->view, NULL);
	(void)apply(f);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
}

static void test_leader_change_fences_and_rechecks(void **state)
{
	struct fixture *f = three_members();
	struct rt_changes ch;
	int n1 = idx(f, "n1");
	int n2 = idx(f, "n2");

	(void)state;
	(void)check(f, "n1", 200);
	(void)check(f, "n2", 200);
	(void)check(f, "n3", 200);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
	f->now += 5000;
	set_leader(&f->view, "n2");
	ch = apply(f);
	assert_int_equal(ch.lost_leader, n1);
	assert_int_equal(ch.new_leader, n2);
	assert_true(ch.eligibility);
	/* The old primary is out at once; the new one waits for its own /primary pass. */
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	assert_true(f->tbl.t[n2].next_check_ms <= f->now); /* checked immediately */
	assert_true(f->tbl.t[n1].next_check_ms <= f->now);
	/* A /replica answer that was in flight for n2 is moot now. */
	assert_false(rt_table_check_result(&f->tbl, n2, RT_CHECK_REPLICA, 200, f->now, 500));
	assert_true(check(f, "n2", 200));
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n2);
	/* The deposed primary must prove itself a replica from scratch (rise passes). */
	assert_false(check(f, "n1", 200));
	for (int k = 0; k < 3; k++)
		assert_int_not_equal(rt_select(&f->tbl, RT_RO, f->now), n1);
	assert_true(check(f, "n1", 200));
	/* Same leader again: nothing to fence. */
	ch = apply(f);
	assert_int_equal(ch.lost_leader, -1);
	assert_int_equal(ch.new_leader, -1);
	assert_true(f->tbl.target_changes[RT_RW] >= 2);
}

static void test_ro_round_robin_over_replicas(void **state)
{
	struct fixture *f = three_members();
	int seen[RT_MAX_TARGETS] = {0};

	(void)state;
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now), -1);
	(void)check(f, "n2", 200);
	(void)check(f, "n3", 200);
	for (int k = 0; k < 10; k++)
		seen[rt_select(&f->tbl, RT_RO, f->now)]++;
	assert_int_equal(seen[idx(f, "n2")], 5);
	assert_int_equal(seen[idx(f, "n3")], 5);
	/* A replica failing /replica (lag, stopped) leaves the rotation after `fall` failures. */
	(void)check(f, "n3", 503);
	(void)check(f, "n3", 503);
	for (int k = 0; k < 4; k++)
		assert_int_equal(rt_select(&f->tbl, RT_RO, f->now), idx(f, "n2"));
}

static void test_penalty_and_unresolved_address(void **state)
{
	struct fixture *f = three_members();
	int n2 = idx(f, "n2");

	(void)state;
	(void)check(f, "n2", 200);
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now), n2);
	f->tbl.t[n2].penalty_until_ms = f->now + 500;
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now), -1);
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now + 500), n2);
	f->tbl.t[n2].sa_len = 0;
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now + 500), -1);
}

static void test_switchover_holds_rw(void **state)
{
	struct fixture *f = three_members();
	int n1 = idx(f, "n1");

	(void)state;
	(void)check(f, "n1", 200);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
	/* Requested now, naming our leader: hold new RW clients. */
	f->view.failover.present = true;
	snprintf(f->view.failover.leader, DCS_NAME_LEN, "n1");
	snprintf(f->view.failover.member, DCS_NAME_LEN, "n2");
	f->view.failover.mod_revision = 7;
	(void)apply(f);
	assert_true(f->tbl.switchover_pending);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), -1);
	/* A request nobody acts on stops holding after hold_timeout. */
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now + f->cfg.hold_timeout_ms), n1);
	/* Scheduled in the future (wall clock 1000000 ms in apply): not yet. */
	f->view.failover.scheduled_at_epoch_ms = 2000000;
	f->view.failover.mod_revision = 8;
	(void)apply(f);
	assert_false(f->tbl.switchover_pending);
	/* Naming another leader: not ours to hold. */
	f->view.failover.scheduled_at_epoch_ms = 0;
	snprintf(f->view.failover.leader, DCS_NAME_LEN, "n3");
	(void)apply(f);
	assert_false(f->tbl.switchover_pending);
	/* A manual failover (member only) in a cluster with a leader also holds. */
	f->view.failover.leader[0] = '\0';
	(void)apply(f);
	assert_true(f->tbl.switchover_pending);
	/* Cleared ({}): through again. */
	f->view.failover.present = false;
	(void)apply(f);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
	/* Disabled by configuration. */
	f->tbl.hold_on_switchover = false;
	f->view.failover.present = true;
	(void)apply(f);
	assert_int_equal(rt_select(&f->tbl, RT_RW, f->now), n1);
}

static void test_member_leaves_and_slot_reuse(void **state)
{
	struct fixture *f = three_members();
	int n3 = idx(f, "n3");

	(void)state;
	(void)check(f, "n3", 200);
	f->tbl.t[n3].sessions[RT_RO] = 1;
	f->view.n_members = 2; /* n3's key expired */
	(void)apply(f);
	assert_true(f->tbl.t[n3].in_use); /* kept: a session still uses it */
	assert_false(f->tbl.t[n3].present);
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now), -1);
	f->tbl.t[n3].sessions[RT_RO] = 0;
	(void)apply(f);
	assert_int_equal(idx(f, "n3"), -1);
	/* It comes back with a new address: re-resolved, checked again from rise - 1. */
	add_member(&f->view, "n3", 9);
	(void)apply(f);
	n3 = idx(f, "n3");
	assert_string_equal(f->tbl.t[n3].addr, "127.0.0.9:6432");
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now), -1);
	(void)check(f, "n3", 200);
	assert_int_equal(rt_select(&f->tbl, RT_RO, f->now), n3);
}

static void test_postgres_target_kind(void **state)
{
	struct fixture f;

	(void)state;
	memset(&f, 0, sizeof(f));
	router_config_defaults(&f.cfg);
	f.cfg.target = ROUTER_TARGET_POSTGRES;
	rt_table_init(&f.tbl, &f.cfg);
	add_member(&f.view, "n1", 1);
	set_leader(&f.view, "n1");
	(void)apply(&f);
	assert_string_equal(f.tbl.t[idx(&f, "n1")].addr, "127.0.0.1:5432");
	assert_string_equal(f.tbl.t[idx(&f, "n1")].api_base, "http://127.0.0.1:8008");
}

/* --- configuration ---------------------------------------------------------------------------- */

static bool cfg_from(const char *json, struct router_config *cfg, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(json, 0, &jerr);
	bool ok;

	assert_non_null(root);
	router_config_defaults(cfg);
	ok = router_config_from_json(cfg, root, err, errlen);
	json_decref(root);
	return ok;
}

static void test_config_defaults_and_full(void **state)
{
	struct router_config c;
	char err[256];

	(void)state;
	assert_true(
	    cfg_from("{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1, b:2\"}}", &c, err, sizeof(err)));
	assert_int_equal(c.n_etcd, 2);
	assert_string_equal(c.etcd_hosts[1], "b:2");
	assert_string_equal(c.namespace_, "/service/");
	assert_string_equal(c.rw_listen, "0.0.0.0:5432");
	assert_int_equal(c.hold_timeout_ms, 30000);
	assert_int_equal(c.check_interval_ms, 500);
	assert_int_equal(c.rise, 2);
	assert_int_equal(c.fall, 2);
	assert_true(c.max_replica_lag_bytes == -1);
	assert_int_equal(c.target, ROUTER_TARGET_POOLER);
	assert_true(
	    cfg_from("{\"scope\":\"s\",\"namespace\":\"//ns//\",\"log\":{\"level\":\"debug\"},"
	             "\"etcd\":{\"hosts\":[\"h:1\"],\"host\":\"h:2\",\"username\":\"u\","
	             "\"password\":\"p\"},\"router\":{\"rw_listen\":\"127.0.0.1:1\","
	             "\"ro_listen\":\"\",\"http_listen\":\"[::1]:3\",\"hold_timeout\":1.5,"
	             "\"check_interval\":100,\"check_timeout\":\"300\",\"rise\":1,\"fall\":3,"
	             "\"max_replica_lag\":\"16MB\",\"connect_timeout\":200,\"target\":"
	             "\"postgres\",\"hold_on_switchover\":\"off\",\"max_clients\":10,"
	             "\"backlog\":16}}",
	             &c, err, sizeof(err)));
	assert_string_equal(c.namespace_, "/ns/");
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(c.n_etcd, 2);
	assert_string_equal(c.etcd_username, "u");
	assert_string_equal(c.etcd_password, "p");
	assert_string_equal(c.ro_listen, "");
	assert_int_equal(c.hold_timeout_ms, 1500);
	assert_int_equal(c.check_timeout_ms, 300);
	assert_int_equal(c.rise, 1);
	assert_int_equal(c.fall, 3);
	assert_true(c.max_replica_lag_bytes == 16 * 1024 * 1024);
	assert_int_equal(c.target, ROUTER_TARGET_POSTGRES);
	assert_false(c.hold_on_switchover);
	assert_int_equal(c.max_clients, 10);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
	    {"[]", "must be a mapping"},
	    {"{\"etcd3\":{\"hosts\":\"a:1\"}}", "scope: required"},
	    {"{\"scope\":\"a/b\",\"etcd3\":{\"hosts\":\"a:1\"}}", "scope: required"},
	    {"{\"scope\":\"s\"}", "etcd3.hosts"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":[1]}}", "etcd3.hosts"},
	    {"{\"scope\":\"s\",\"etcd3\":\"x\"}", "etcd3: expected a mapping"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"rw_lsten\":\"x\"}}",
	     "router.rw_lsten: unknown key"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"rise\":0}}",
	     "router.rise: 0 is out of range"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"fall\":\"x\"}}",
	     "router.fall: expected an integer"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"rw_listen\":\"nope\"}}",
	     "not host:port"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"ro_listen\":\"0.0.0.0:"
	     "5432\"}}",
	     "same address"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"hold_timeout\":-1}}",
	     "hold_timeout"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"target\":\"x\"}}",
	     "router.target"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":{\"max_replica_lag\":"
	     "\"lots\"}}",
	     "max_replica_lag"},
	    {"{\"scope\":\"s\",\"etcd3\":{\"hosts\":\"a:1\"},\"router\":[1]}",
	     "router: expected a mapping"},
	};
	struct router_config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_false(cfg_from(cases[i].json, &c, err, sizeof(err)));
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, err, cases[i].msg);
	}
}

/* load_text: router_config_load on text written to a file named like path. */
static bool load_text(const char *text, struct router_config *cfg, char *err, size_t errlen)
{
	char path[] = "/tmp/pgha-router-XXXXXX.yml";
	int fd = mkstemps(path, 4);
	bool ok;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ok = router_config_load(cfg, path, err, errlen);
	unlink(path);
	/* Messages name the file: take it out, so that the tests read "LINE: ...". */
	for (char *at; (at = strstr(err, path)) != NULL;)
		memmove(at, at + strlen(path), strlen(at + strlen(path)) + 1);
	return ok;
}

static void expect_line(const char *err, const char *text)
{
	if (strstr(err, text) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", err, text);
}

/* The file's errors name their line, all of them at once, one per line. */
static void test_config_file_errors_have_lines(void **state)
{
	struct router_config c;
	char err[2048];

	(void)state;
	assert_false(load_text("scope: s\n"
	                       "etcd3:\n"
	                       "  hosts: a:1\n"
	                       "router:\n"
	                       "  rise: 0\n"
	                       "  colour: red\n"
	                       "  rw_listen: 'a,b:1'\n"
	                       "  ro_listen: x\n"
	                       "  hold_timeout: soon\n"
	                       "  target: pgbouncer\n",
	                       &c, err, sizeof(err)));
	expect_line(err, ":5: router.rise: 0 is out of range (1 to 100)\n");
	expect_line(err, ":6: router.colour: unknown key\n");
	expect_line(err, ":8: router.ro_listen: 'x' is not host:port");
	expect_line(err, ":9: router.hold_timeout: expected a number of seconds, got a string\n");
	expect_line(err, ":10: router.target: 'pgbouncer' is not supported (pooler or postgres)");
	expect_line(err, ":7: router.rw_listen: \"a,b:1\" is not host:port");
	assert_int_equal(c.rise, 2); /* refused values leave the defaults */
	assert_false(load_text("scope: s\netcd3:\n  hosts: a:1\nrouter:\n  ro_listen: "
	                       "0.0.0.0:5432\n",
	                       &c, err, sizeof(err)));
	assert_string_equal(err, ":5: router.ro_listen: same address as router.rw_listen");
	assert_false(load_text("router:\n  rise: 3\n", &c, err, sizeof(err)));
	expect_line(err, ": scope: required");
	expect_line(err, ": etcd3.hosts: at least one etcd host:port is required");
	assert_false(load_text("scope: s\nrouter:\n  rise: [\n", &c, err, sizeof(err)));
	expect_line(err, ":4:1: did not find expected node content");
	assert_false(load_text("scope: s\nscope: t\n", &c, err, sizeof(err)));
	expect_line(err, ":2:1: duplicate key 'scope' (first at line 1)");
}

/*
 * TLS: etcd over https with its CA and users (the password may come from the
 * environment, as the agent's does), the health checks' CA from ctl.cacert or, as in
 * Patroni, restapi.cafile; halves refused.
 */
static void test_config_file_tls(void **state)
{
	struct router_config c;
	char err[2048];

	(void)state;
	setenv("PATRONI_ETCD3_PASSWORD", "from-env", 1);
	assert_true(load_text("scope: s\netcd3:\n  hosts: a:1\n  protocol: https\n"
	                      "  cacert: /t/ca.crt\n  username: router\n"
	                      "restapi:\n  cafile: /t/rest-ca.crt\n",
	                      &c, err, sizeof(err)));
	unsetenv("PATRONI_ETCD3_PASSWORD");
	assert_string_equal(c.etcd_protocol, "https");
	assert_string_equal(c.etcd_tls.cafile, "/t/ca.crt");
	assert_string_equal(c.etcd_password, "from-env");
	assert_string_equal(c.rest_tls.cafile, "/t/rest-ca.crt");
	assert_true(load_text("scope: s\netcd3:\n  hosts: a:1\nctl:\n  cacert: /c.crt\n"
	                      "  insecure: true\nrestapi:\n  cafile: /t/rest-ca.crt\n",
	                      &c, err, sizeof(err)));
	assert_string_equal(c.rest_tls.cafile, "/c.crt");
	assert_true(c.rest_tls.insecure);
	assert_false(load_text("scope: s\netcd3:\n  hosts: a:1\n  username: router\n", &c, err,
	                       sizeof(err)));
	expect_line(err,
	            ":4: etcd3.username is set but etcd3.password (or PATRONI_ETCD3_PASSWORD)");
	assert_false(
	    load_text("scope: s\netcd3:\n  hosts: a:1\n  cacert: /ca\n", &c, err, sizeof(err)));
	expect_line(err, ":4: etcd3.cacert and etcd3.cert are for TLS, but etcd3.protocol is http");
	assert_false(load_text("scope: s\netcd3:\n  hosts: a:1\nctl:\n  certfile: /c\n", &c, err,
	                       sizeof(err)));
	expect_line(err, ":5: ctl.certfile is set but ctl.keyfile is not");
}

/* The agent's own file serves: its keys are left alone, its spellings read as it reads them. */
static void test_config_file_shared_with_agent(void **state)
{
	struct router_config c;
	char err[1024];

	(void)state;
	if (!load_text("scope: 0123\n"
	               "namespace: /pgha//prod\n"
	               "name: pg1\n"
	               "log:\n  level: WARNING\n"
	               "restapi:\n  listen: 127.0.0.1:8008\n"
	               "etcd:\n  hosts: a:1\n"
	               "etcd3:\n  hosts: [b:1, 'c:2']\n  host: d:3\n  protocol: http\n"
	               "bootstrap:\n  dcs:\n    ttl: 30\n"
	               "router:\n  hold_timeout: '2.5'\n  max_replica_lag: 16MB\n"
	               "  hold_on_switchover: off\n  target: postgres\n",
	               &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(c.scope, "0123"); /* plain YAML text, as the agent reads it */
	assert_string_equal(c.namespace_, "/pgha/prod/");
	assert_string_equal(c.log_level, "warn");
	assert_int_equal(c.n_etcd, 3); /* etcd3 wins over etcd; host adds to hosts */
	assert_string_equal(c.etcd_hosts[0], "b:1");
	assert_string_equal(c.etcd_hosts[2], "d:3");
	assert_int_equal(c.hold_timeout_ms, 2500);
	assert_true(c.max_replica_lag_bytes == 16 * 1024 * 1024);
	assert_false(c.hold_on_switchover);
	assert_int_equal(c.target, ROUTER_TARGET_POSTGRES);
	assert_true(load_text("scope: s\netcd3:\n  hosts: a:1\nrouter:\n  max_replica_lag:\n", &c,
	                      err, sizeof(err)));
	assert_true(c.max_replica_lag_bytes == -1); /* null: no bound, the default */
}

/* Every listener and target kind has its name (logs, /metrics labels, --check output). */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(rt_listener_str(RT_RW), "rw");
	assert_string_equal(rt_listener_str(RT_RO), "ro");
	assert_string_equal(rt_listener_str(RT__COUNT), "?");
	assert_string_equal(router_target_kind_str(ROUTER_TARGET_POOLER), "pooler");
	assert_string_equal(router_target_kind_str(ROUTER_TARGET_POSTGRES), "postgres");
	assert_string_equal(router_target_kind_str(ROUTER_TARGET__COUNT), "?");
}

/* --- /health and /metrics ------------------------------------------------------------------------
 */

static void sample_stats(struct router_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->dcs_ok = true;
	s->has_view = true;
	snprintf(s->leader, sizeof(s->leader), "n1");
	snprintf(s->l[RT_RW].addr, sizeof(s->l[RT_RW].addr), "127.0.0.1:5432");
	s->l[RT_RW].accepted = 42;
	s->l[RT_RW].held = 3;
	s->n_targets = 2;
	snprintf(s->t[0].name, sizeof(s->t[0].name), "n1");
	snprintf(s->t[0].addr, sizeof(s->t[0].addr), "127.0.0.1:6432");
	s->t[0].is_leader = true;
	s->t[0].eligible[RT_RW] = true;
	s->t[0].sessions[RT_RW] = 7;
	snprintf(s->t[1].name, sizeof(s->t[1].name), "we\"ird\\");
	s->t[1].eligible[RT_RO] = true;
}

static void test_stats_renderings(void **state)
{
	struct router_stats s;
	struct buf b;
	json_error_t jerr;
	json_t *j;

	(void)state;
	sample_stats(&s);
	buf_init(&b);
	assert_true(router_stats_rw_ok(&s));
	router_stats_health_json(&s, &b);
	j = json_loads(b.data, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "leader")), "n1");
	assert_int_equal(json_integer_value(json_object_get(j, "ro_targets")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "held_rw")), 3);
	assert_int_equal(json_array_size(json_object_get(j, "targets")), 2);
	json_decref(j);
	buf_reset(&b);
	router_stats_prometheus(&s, &b);
	assert_non_null(strstr(b.data, "\npgha_router_up 1\n"));
	assert_non_null(strstr(b.data, "pgha_router_accepted_total{listener=\"rw\"} 42\n"));
	/* The RO listener is disabled here: no listener series for it. */
	assert_null(strstr(b.data, "pgha_router_accepted_total{listener=\"ro\"}"));
	assert_non_null(strstr(b.data, "pgha_router_target_sessions{target=\"n1\",addr=\"127.0.0.1:"
	                               "6432\",listener=\"rw\"} 7\n"));
	assert_non_null(strstr(b.data, "target=\"we\\\"ird\\\\\""));
	assert_non_null(strstr(b.data, "# TYPE pgha_router_held_connections gauge\n"));
	s.t[0].eligible[RT_RW] = false;
	assert_false(router_stats_rw_ok(&s));
	buf_reset(&b);
	router_stats_health_json(&s, &b);
	assert_non_null(strstr(b.data, "no read-write target"));
	buf_free(&b);
}

/* --- systemd notifications ------------------------------------------------------------------ */

static void status_of(const struct rt_notify_view *v, char *out, size_t size)
{
	rt_notify_status_line(v, out, size);
}

static void test_notify_status_lines(void **state)
{
	struct rt_notify_view v = {.has_view = true, .dcs_ok = true, .rw_target = "node2"};
	char line[RT_NOTIFY_STATUS_LEN];

	(void)state;
	v.ro_targets = 2;
	v.clients = 12;
	status_of(&v, line, sizeof(line));
	assert_string_equal(line, "rw -> node2, ro -> 2 replicas, 12 clients");
	v.ro_targets = 1;
	v.clients = 1;
	status_of(&v, line, sizeof(line));
	assert_string_equal(line, "rw -> node2, ro -> 1 replica, 1 client");
	v.rw_target = NULL;
	v.ro_targets = 0;
	v.clients = 4;
	v.held = 3;
	status_of(&v, line, sizeof(line));
	assert_string_equal(line, "rw -> none (new clients held), ro -> none, 4 clients (3 held)");
	v.switchover = true;
	v.dcs_ok = false;
	status_of(&v, line, sizeof(line));
	assert_string_equal(line,
	                    "rw -> none (switchover: new clients held), ro -> none, 4 clients "
	                    "(3 held); etcd watch behind, routing on the last view");
	v.has_view = false;
	status_of(&v, line, sizeof(line));
	assert_string_equal(line,
	                    "waiting for etcd: no view of the cluster yet, 4 clients (3 held)");
	/* Cut, never overflowed. */
	status_of(&v, line, 10);
	assert_string_equal(line, "waiting f");
}

static void test_notify_view_follows_eligibility(void **state)
{
	struct fixture *f = three_members();
	struct rt_table empty;
	struct rt_notify_view v;

	(void)state;
	rt_notify_view_of(&f->tbl, f->now, true, 0, 0, &v);
	assert_true(v.has_view);
	assert_null(v.rw_target); /* known from etcd, not confirmed by /primary yet */
	assert_int_equal(v.ro_targets, 0);
	(void)check(f, "n1", 200);
	(void)check(f, "n2", 200);
	(void)check(f, "n3", 200);
	rt_notify_view_of(&f->tbl, f->now, true, 5, 1, &v);
	assert_string_equal(v.rw_target, "n1");
	assert_int_equal(v.ro_targets, 2);
	assert_int_equal(v.clients, 5);
	assert_int_equal(v.held, 1);
	/* A switchover request holds read-write clients: the line says why. */
	f->view.failover.present = true;
	snprintf(f->view.failover.leader, DCS_NAME_LEN, "n1");
	f->view.failover.mod_revision = 3;
	(void)apply(f);
	rt_notify_view_of(&f->tbl, f->now, true, 0, 0, &v);
	assert_null(v.rw_target);
	assert_true(v.switchover);
	rt_table_init(&empty, &f->cfg);
	rt_notify_view_of(&empty, f->now, false, 0, 0, &v);
	assert_false(v.has_view);
}

/* A fake systemd: an abstract datagram socket (no file to clean up) named by NOTIFY_SOCKET. */
static int notify_listen(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char env[80];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int len = snprintf(env, sizeof(env), "@pgha-test-router-notify-%ld", (long)getpid());

	assert_true(fd >= 0);
	/* "@name" in NOTIFY_SOCKET is the abstract address "\0name". */
	memcpy(sa.sun_path + 1, env + 1, (size_t)len - 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
	                 0);
	setenv("NOTIFY_SOCKET", env, 1);
	return fd;
}

/* next_message: the next datagram, "" when none is queued. */
static const char *next_message(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, 0);

	buf[n > 0 ? (size_t)n : 0] = '\0';
	return buf;
}

static void test_notify_ready_once_status_on_change_watchdog_at_half(void **state)
{
	struct rt_notify n;
	struct rt_notify_view v = {.dcs_ok = true};
	char msg[256];
	int fd = notify_listen();

	(void)state;
	setenv("WATCHDOG_USEC", "2000000", 1);
	rt_notify_init(&n, 0);
	assert_int_equal(n.watchdog_ms, 1000);
	/* Before any view: pings and a waiting status, never READY. */
	assert_int_equal(rt_notify_watchdog(&n, 0), 1000);
	assert_string_equal(next_message(fd, msg, sizeof(msg)), "WATCHDOG=1");
	assert_true(rt_notify_status_due(&n, false, 0));
	(void)rt_notify_update(&n, &v, 0);
	assert_string_equal(next_message(fd, msg, sizeof(msg)),
	                    "STATUS=waiting for etcd: no view of the cluster yet, 0 clients");
	assert_int_equal(rt_notify_watchdog(&n, 999), 1000); /* not due: nothing sent */
	assert_false(rt_notify_status_due(&n, false, 100));
	assert_string_equal(next_message(fd, msg, sizeof(msg)), "");
	/* The first view makes READY due at once, with the status in the same message. */
	v.has_view = true;
	assert_true(rt_notify_status_due(&n, true, 100));
	(void)rt_notify_update(&n, &v, 100);
	assert_string_equal(next_message(fd, msg, sizeof(msg)),
	                    "READY=1\nSTATUS=rw -> none (new clients held), ro -> none, 0 clients");
	/* An unchanged line is not sent again; a changed one is. */
	assert_false(rt_notify_status_due(&n, true, 200));
	(void)rt_notify_update(&n, &v, 600);
	assert_string_equal(next_message(fd, msg, sizeof(msg)), "");
	v.rw_target = "n1";
	(void)rt_notify_update(&n, &v, 1100);
	assert_string_equal(next_message(fd, msg, sizeof(msg)),
	                    "STATUS=rw -> n1, ro -> none, 0 clients");
	assert_int_equal(rt_notify_watchdog(&n, 1000), 2000);
	assert_string_equal(next_message(fd, msg, sizeof(msg)), "WATCHDOG=1");
	rt_notify_stopping(&n, 2);
	assert_string_equal(next_message(fd, msg, sizeof(msg)), "STOPPING=1");
	assert_string_equal(next_message(fd, msg, sizeof(msg)),
	                    "STATUS=stopping: closing 2 client connections");
	/* Without a watchdog armed for this process, no pings at all. */
	unsetenv("WATCHDOG_USEC");
	rt_notify_init(&n, 0);
	assert_true(rt_notify_watchdog(&n, 5000) == INT64_MAX);
	assert_string_equal(next_message(fd, msg, sizeof(msg)), "");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_holdq_fifo_and_expiry),
	    cmocka_unit_test(test_holdq_sorted_insert_and_remove),
	    cmocka_unit_test(test_holdq_repush_tail_and_head),
	    cmocka_unit_test(test_health_rise_fall_exhaustive),
	    cmocka_unit_test(test_member_addr_and_api_base),
	    cmocka_unit_test(test_rw_needs_leader_key_and_primary_check),
	    cmocka_unit_test(test_primary_answer_without_leader_key_is_not_enough),
	    cmocka_unit_test(test_vanished_key_keeps_the_last_leader_on_probation),
	    cmocka_unit_test(test_key_released_in_a_switchover_is_not_kept),
	    cmocka_unit_test(test_leader_change_fences_and_rechecks),
	    cmocka_unit_test(test_ro_round_robin_over_replicas),
	    cmocka_unit_test(test_penalty_and_unresolved_address),
	    cmocka_unit_test(test_switchover_holds_rw),
	    cmocka_unit_test(test_member_leaves_and_slot_reuse),
	    cmocka_unit_test(test_postgres_target_kind),
	    cmocka_unit_test(test_config_defaults_and_full),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_config_file_errors_have_lines),
	    cmocka_unit_test(test_config_file_shared_with_agent),
	    cmocka_unit_test(test_config_file_tls),
	    cmocka_unit_test(test_stats_renderings),
	    cmocka_unit_test(test_notify_status_lines),
	    cmocka_unit_test(test_notify_view_follows_eligibility),
	    cmocka_unit_test(test_notify_ready_once_status_on_change_watchdog_at_half),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
