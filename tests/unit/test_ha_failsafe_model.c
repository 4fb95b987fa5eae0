/*
 * test_ha_failsafe_model.c: failsafe_mode's timing argument, checked by simulation.
 *
 * One primary P, two replicas R1 and R2, in real time (ms). From time 0 nobody reaches
 * etcd but the replicas (the primary is cut off; its key expires at etcd 2 s after its
 * last renewal). P runs the lease keeper's schedule (rounds from k + h after its last
 * renewal, every k, each answer awaited for 2k) and fences at ha_effective_deadline;
 * each replica judges every POST with ha_failsafe_accept and decides with the real
 * ha_decide() whether it takes the free key. The world is adversarial per seed: clock
 * rates within 1e-3 of each other, message delays 0-300 ms each way, lost messages, P
 * frozen once for up to 5 s, a replica that stops answering, the stop itself taking up
 * to 200 ms. Invariant: P's "may acknowledge" interval and a replica's tenure as a new
 * primary never overlap.
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
#include "ha/ha_failsafe.h"

#define TTL      2000
#define MARGIN   500
#define K        250 /* renewal period, round period */
#define HEDGE    100
#define POST_MS  500
#define HORIZON  9000
#define MAX_MSGS 256
/* A single-threaded simulation: the sanitizers' builds run a slice of it (they find
 * nothing more here, and take ten times as long). */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SEEDS 250
#else
#define SEEDS 1500
#endif

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static int64_t between(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next(r) % (uint64_t)(hi - lo + 1));
}

/* A node's clock: local = offset + rate * real. */
struct clk {
	double rate;
	int64_t offset;
};

static int64_t local(const struct clk *c, int64_t real)
{
	return c->offset + (int64_t)(c->rate * (double)real);
}

/* A POST of round `round` on its way to replica `to`, and its answer on the way back. */
struct msg {
	int round, to;
	int64_t arrive;       /* at the replica (real ms) */
	int64_t back;         /* answer at P (real ms); 0 = lost */
	bool delivered, lost; /* the POST: judged / lost on the way */
	bool accepted;
};

struct world {
	struct rng rng;
	struct clk clk[3]; /* P, R1, R2 */
	int64_t delay_max, freeze_at, freeze_ms, stop_ms, silent_from[3];
	int loss_pct;
	/* P */
	struct ha_lease lease;
	int64_t round_sent[64];     /* local send time of each round */
	int64_t round_deadline[64]; /* the effective deadline in force when it was sent */
	int answers[64];            /* accepted answers in time, per round; 3: counted */
	int n_rounds;
	int64_t fenced_at; /* real time P stopped acknowledging for good; 0 = not yet */
	/* replicas */
	int64_t window_until[3]; /* local */
	int64_t took_key_at;     /* real time a replica became primary; 0 = never */
	struct msg msgs[MAX_MSGS];
	int n_msgs;
	int first; /* messages before it are settled (sent in order, settled within 1 s) */
};

static void world_init(struct world *w, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->rng.s = seed * 2654435761u + 1;
	for (int i = 0; i < 3; i++) {
		w->clk[i].rate = 1.0 + (double)between(&w->rng, -1000, 1000) / 1e6;
		w->clk[i].offset = between(&w->rng, 0, 1000000);
		w->silent_from[i] =
		    between(&w->rng, 0, 3) == 0 ? between(&w->rng, 0, HORIZON) : INT64_MAX;
	}
	w->delay_max = between(&w->rng, 0, 300);
	w->loss_pct = (int)between(&w->rng, 0, 20);
	w->freeze_at = between(&w->rng, 0, HORIZON);
	w->freeze_ms = between(&w->rng, 0, 1) ? between(&w->rng, 0, 5000) : 0;
	w->stop_ms = between(&w->rng, 0, 200);
	/* Last successful renewal sent at real 0: the lease's deadline; failsafe usable. */
	w->lease.held = true;
	w->lease.deadline_ms = local(&w->clk[0], 0) + TTL - MARGIN;
	w->lease.fs_usable = true;
}

static bool frozen(const struct world *w, int64_t t)
{
	return t >= w->freeze_at && t < w->freeze_at + w->freeze_ms;
}

/* replica_takes: replica i, at real time t, decides with the real table. */
static bool replica_takes(struct world *w, int i, int64_t t)
{
	static struct ha_input in; /* large: one, reset each time */
	struct ha_decision d;

	memset(&in, 0, sizeof(in));
	in.now_ms = local(&w->clk[i], t);
	snprintf(in.name, sizeof(in.name), "r%d", i);
	in.settings = (struct ha_settings){.ttl_ms = TTL,
	                                   .max_lag_bytes = 1 << 20,
	                                   .failover_priority = 1,
	                                   .check_timeline = true};
	in.pg = (struct pg_observation){.proc = PG_PROC_RUNNING,
	                                .connected = true,
	                                .in_recovery = true,
	                                .data = PG_DATA_IN_RECOVERY,
	                                .timeline = 1,
	                                .receive_lsn = 100,
	                                .replay_lsn = 100};
	in.dcs_ok = true;
	in.view.valid = true;
	in.view.has_initialize = true;
	in.view.has_leader = t < 2000; /* P's key expires at etcd 2 s after its renewal */
	snprintf(in.view.leader, sizeof(in.view.leader), "%s", in.view.has_leader ? "p" : "");
	in.failsafe.mode = true;
	in.failsafe.window_until_ms = w->window_until[i];
	snprintf(in.failsafe.window_leader, sizeof(in.failsafe.window_leader), "p");
	in.peers_probed = true; /* P's REST: unreachable (the worst case for the race) */
	in.n_peers = 1;
	snprintf(in.peers[0].name, sizeof(in.peers[0].name), "p");
	ha_decide(&in, &d);
	for (int a = 0; a < d.n_actions; a++)
		if (d.actions[a].kind == HA_ACT_ACQUIRE_LEADER)
			return true;
	return false;
}

/* send_round: P's round at real t (local s) to R1 and R2. */
static void send_round(struct world *w, int64_t t, int64_t s)
{
	int round = w->n_rounds++;

	w->round_sent[round] = s;
	w->round_deadline[round] = ha_effective_deadline(&w->lease);
	for (int to = 1; to <= 2 && w->n_msgs < MAX_MSGS; to++) {
		struct msg *m = &w->msgs[w->n_msgs++];

		*m = (struct msg){.round = round, .to = to};
		m->arrive = t + between(&w->rng, 0, w->delay_max);
		m->lost = between(&w->rng, 1, 100) <= w->loss_pct;
		m->back = between(&w->rng, 1, 100) <= w->loss_pct
		              ? 0
		              : m->arrive + between(&w->rng, 0, w->delay_max);
	}
}

/* deliver: POSTs arriving at t are judged by their replica. */
static void deliver(struct world *w, int64_t t)
{
	while (w->first < w->n_msgs && w->msgs[w->first].arrive < t - 1000)
		w->first++;
	for (int i = w->first; i < w->n_msgs; i++) {
		struct msg *m = &w->msgs[i];
		struct ha_fs_replica r = {.mode = true};
		struct ha_fs_post p = {.name = "p"};

		if (m->delivered || m->lost || m->arrive != t || t >= w->silent_from[m->to])
			continue;
		m->delivered = true;
		snprintf(r.self, sizeof(r.self), "r%d", m->to);
		snprintf(r.last_leader, sizeof(r.last_leader), "%s",
		         w->took_key_at ? "r1" : "p"); /* a new leader is known at once */
		r.racing = w->took_key_at != 0;
		m->accepted = ha_failsafe_accept(&r, &p) == HA_FS_ACCEPT;
		if (m->accepted)
			w->window_until[m->to] = local(&w->clk[m->to], t) + TTL;
	}
}

/* collect: answers P receives at t (while not frozen), in time for their round. */
static void collect(struct world *w, int64_t t)
{
	int64_t now = local(&w->clk[0], t);
	bool any = false;

	for (int i = w->first; i < w->n_msgs; i++) {
		struct msg *m = &w->msgs[i];

		if (m->back == 0 || m->back > t || !m->delivered || !m->accepted)
			continue;
		if (now - w->round_sent[m->round] <= POST_MS)
			w->answers[m->round]++;
		m->back = 0;
		any = true;
	}
	for (int r = 0; any && r < w->n_rounds; r++) {
		bool acc[2] = {w->answers[r] >= 1, w->answers[r] >= 2};
		int64_t until = w->round_sent[r] + TTL - MARGIN;

		if (w->answers[r] != 2)
			continue;
		w->answers[r] = 3; /* counted once */
		if (ha_fs_round_confirms(acc, 2, w->round_sent[r], w->round_deadline[r]) &&
		    until > w->lease.fs_deadline_ms)
			w->lease.fs_deadline_ms = until;
	}
}

/* step_primary: P's keeper at real t: rounds, and the fence at the effective deadline. */
static void step_primary(struct world *w, int64_t t, int64_t *next_round)
{
	int64_t now = local(&w->clk[0], t);

	if (w->fenced_at || frozen(w, t))
		return;
	if (now >= ha_effective_deadline(&w->lease)) {
		/* The fencer: acknowledgements end within the stop; a node that resumes past
		 * its deadline acknowledged nothing while frozen, and its fencer runs first. */
		w->fenced_at = t > 0 && frozen(w, t - 1) ? t : t + w->stop_ms;
		return;
	}
	collect(w, t);
	if (now >= *next_round) {
		send_round(w, t, now);
		*next_round = now + K;
	}
}

/* overlap: P could acknowledge (running, not yet stopped) after the new primary began. */
static bool overlap(const struct world *w)
{
	int64_t end = w->fenced_at ? w->fenced_at : HORIZON;

	for (int64_t t = w->took_key_at; t < end; t++)
		if (!frozen(w, t))
			return true;
	return false;
}

/* What the worlds did, so that the test cannot pass by doing nothing. */
struct tally {
	int takeovers; /* a replica became primary */
	int carried;   /* the primary wrote past its lease's deadline on failsafe rounds */
};

static void run_world(uint64_t seed, struct tally *tally)
{
	static struct world w;
	int64_t next_round;

	world_init(&w, seed);
	next_round = local(&w.clk[0], 0) + K + HEDGE;
	for (int64_t t = 0; t < HORIZON; t++) {
		step_primary(&w, t, &next_round);
		deliver(&w, t);
		/* Every 10 ms (a loop woken by the watch); with the key present nobody races. */
		for (int i = 1; i <= 2 && !w.took_key_at && t % 10 == 0 && t >= 2000; i++)
			if (replica_takes(&w, i, t))
				w.took_key_at = t;
	}
	tally->takeovers += w.took_key_at != 0;
	tally->carried += w.lease.fs_deadline_ms > w.lease.deadline_ms;
	if (w.took_key_at && overlap(&w))
		fail_msg("seed %llu: a replica took the key at %lld ms while the primary could "
		         "still acknowledge (it stopped at %lld ms, frozen %lld ms from %lld)",
		         (unsigned long long)seed, (long long)w.took_key_at, (long long)w.fenced_at,
		         (long long)w.freeze_ms, (long long)w.freeze_at);
}

static void test_never_two_writers(void **state)
{
	int seeds = getenv("PGHA_TEST_QUICK") != NULL ? 40 : SEEDS;
	struct tally tally = {0, 0};

	(void)state;
	for (int s = 1; s <= seeds; s++)
		run_world((uint64_t)s, &tally);
	print_message("%d adversarial worlds of %d ms each: never two writers (a replica took "
	              "over in %d, failsafe carried the primary past its lease in %d)\n",
	              seeds, HORIZON, tally.takeovers, tally.carried);
	assert_true(tally.takeovers > seeds / 10 && tally.carried > seeds / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_never_two_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
