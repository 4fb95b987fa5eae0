/*
 * lease.c: the lease keeper (renewer, failsafe and fencer threads). See lease.h.
 *
 * Threads: the keeper's etcd client belongs to the renewer: the HA loop's acquire and
 * release are handed to it (lk->op) and carried out between renewals, so that no lock
 * is ever held across a request. The failsafe thread makes its POSTs without the lock
 * too. `mu` guards the state fields; condition variables are waited on and signalled
 * through the clock (util/clocksrc.h), with mu held.
 */
#include "ha/lease.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ha/ha_failsafe.h"
#include "log/log.h"
#include "util/clocksrc.h"
#include "util/compiler.h"
#include "util/xalloc.h"

/* What the HA loop asks of the renewer. */
enum lease_op {
	LEASE_OP_NONE = 0,
	LEASE_OP_ACQUIRE,  /* create-if-absent of the leader key */
	LEASE_OP_REATTACH, /* the key carries our name: renew it onto our lease */
	LEASE_OP_RELEASE,  /* delete it if ours */
};

struct lease_keeper {
	struct dcs *client; /* the renewer's etcd client; NULL if it did not open */
	struct clocksrc *clock;
	void (*fence)(void *ctx);
	void *fence_ctx;
	void (*notify)(void *ctx);
	void *notify_ctx;
	lease_fs_post_fn *fs_post;
	void *fs_post_ctx;
	bool ready; /* client and every thread started: only then may we lead (set once) */

	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t renew_cv; /* wakes the renewer (stop, new leadership, timing) */
	pthread_cond_t fence_cv; /* wakes the fencer (deadline moved, stop) */
	pthread_cond_t fs_cv;    /* wakes the failsafe thread (leadership, settings, stop) */
	pthread_cond_t op_cv;    /* an operation's result is in, or the slot is free */
	bool stop;
	int ttl_s;
	struct lease_timing timing;
	bool timing_changed; /* the renewer applies the new client timeouts */
	enum lease_op op;    /* asked of the renewer, NONE when idle */
	int64_t op_fs_rev;   /* ACQUIRE: the failsafe key's revision the race saw */
	bool op_done;        /* op carried out: op_result holds its outcome */
	enum dcs_cas op_result;
	bool held;                /* leading: renew the key and keep the fencer armed */
	int64_t deadline_ms;      /* the lease's fencing deadline (on clock) */
	int64_t last_ok_ms;       /* send time of the last successful renewal */
	int64_t fenced_for_ms;    /* deadline already acted on (fence once per deadline) */
	bool reachable;           /* last request to etcd succeeded */
	int64_t lease;            /* last known lease id */
	struct lease_failsafe fs; /* from the HA loop */
	uint64_t fs_generation;   /* bumped when fs.targets change */
	int64_t fs_deadline_ms;   /* last fully confirmed round sent + ttl - margin, 0 = none */
	int64_t fs_next_ms;       /* next round not before */
	bool fs_logged;           /* "failsafe active" said for this episode */
	bool fs_fail_logged;      /* "a member did not confirm" said for this episode */
	struct lease_fs_stats fs_stats;
	pthread_t renewer, fencer, fs_thread;
	bool renewer_on, fencer_on, fs_on;
};

void lease_timing_for(int ttl_s, struct lease_timing *t)
{
	int64_t ttl_ms = (int64_t)ttl_s * 1000;

	/*
	 * docs/agent.md, "Timing", gives the budget. In short: eight renewals per TTL, each
	 * request hedged to the next etcd member after 100 ms and given up after 300 ms,
	 * so that a stalled member (etcd's raft leader included) costs one etcd election
	 * plus the hedge delay, inside the 1.5 s a 2 s lease leaves; the margin (a quarter
	 * TTL, at least 300 ms) covers the immediate stop itself, scheduling delays on a
	 * loaded machine and clock-rate differences. Failsafe rounds start as soon as one
	 * renewal period plus a hedge delay has passed without a renewal, well before the
	 * deadline. A follower's lease only carries its member key: TTL/3 is enough.
	 */
	t->renew_ms = MAX(100, ttl_ms / 8);
	t->follow_ms = MAX(500, ttl_ms / 3);
	t->margin_ms = MAX(300, ttl_ms / 4);
	t->request_ms = MAX(300, MIN(ttl_ms * 3 / 20, 2000));
	t->hedge_ms = MAX(100, ttl_ms / 20);
	t->retry_ms = t->hedge_ms;
	t->op_ms = MAX(t->request_ms * 2, ttl_ms / 2);
	t->fs_start_ms = t->renew_ms + t->hedge_ms;
	t->fs_period_ms = t->renew_ms;
	t->fs_post_ms = 2 * t->renew_ms;
}

static void notify(struct lease_keeper *lk)
{
	if (lk->notify)
		lk->notify(lk->notify_ctx);
}

/* state: the lease as ha_decide reads it. mu held. */
static struct ha_lease state(const struct lease_keeper *lk)
{
	struct ha_lease s = {.held = lk->held,
	                     .deadline_ms = lk->deadline_ms,
	                     .fs_deadline_ms = lk->fs_deadline_ms,
	                     .fs_usable = lk->fs.mode && lk->fs.usable};

	return s;
}

static int64_t effective(const struct lease_keeper *lk)
{
	struct ha_lease s = state(lk);

	return ha_effective_deadline(&s);
}

/* set_deadline: a renewal sent at sent_ms succeeded. Called with mu held. */
static void set_deadline(struct lease_keeper *lk, int64_t sent_ms)
{
	lk->deadline_ms = sent_ms + (int64_t)lk->ttl_s * 1000 - lk->timing.margin_ms;
	lk->last_ok_ms = sent_ms;
	lk->reachable = true;
	if (lk->fs_logged)
		log_info("failsafe: etcd answers again; leadership rests on the lease again");
	lk->fs_logged = false;
	lk->fs_fail_logged = false;
	clocksrc_signal(lk->clock, &lk->fence_cv);
	clocksrc_signal(lk->clock, &lk->fs_cv);
}

/* lose: leadership ends here (fenced or released): nothing carries it any more. mu held. */
static void lose(struct lease_keeper *lk)
{
	lk->held = false;
	lk->fs_deadline_ms = 0;
	lk->fs_logged = false;
	clocksrc_signal(lk->clock, &lk->fence_cv);
	clocksrc_signal(lk->clock, &lk->fs_cv);
}

/* --- fencer --------------------------------------------------------------------------- */

static void *fencer_main(void *arg)
{
	struct lease_keeper *lk = arg;

	clocksrc_thread_begin(lk->clock);
	pthread_mutex_lock(&lk->mu);
	while (!lk->stop) {
		int64_t now = clocksrc_now_ms(lk->clock);
		int64_t deadline = effective(lk);

		if (!lk->held || lk->fenced_for_ms == deadline) {
			clocksrc_wait(lk->clock, &lk->fence_cv, &lk->mu, CLOCKSRC_FOREVER);
			continue;
		}
		if (now < deadline) {
			clocksrc_wait(lk->clock, &lk->fence_cv, &lk->mu, deadline);
			continue;
		}
		lk->fenced_for_ms = deadline;
		lk->fence(lk->fence_ctx);
		log_error("fencing: leadership not confirmed (etcd renewal%s) for %lld ms, "
		          "PostgreSQL stopped immediately (no writes can be acknowledged past the "
		          "deadline)",
		          lk->fs.mode && lk->fs.usable ? " or every failsafe member" : "",
		          (long long)(now - lk->last_ok_ms));
		pthread_mutex_unlock(&lk->mu);
		notify(lk);
		pthread_mutex_lock(&lk->mu);
	}
	pthread_mutex_unlock(&lk->mu);
	clocksrc_thread_exit(lk->clock);
	return NULL;
}

/* --- failsafe rounds ------------------------------------------------------------------- */

static bool fs_wanted(const struct lease_keeper *lk)
{
	return lk->held && lk->fs.mode && lk->fs.usable && lk->fs_post != NULL;
}

/* fs_due_at: when the next round may go (CLOCKSRC_FOREVER: none wanted). mu held. */
static int64_t fs_due_at(const struct lease_keeper *lk)
{
	if (!fs_wanted(lk) || lk->fenced_for_ms == effective(lk))
		return CLOCKSRC_FOREVER;
	return MAX(lk->last_ok_ms + lk->timing.fs_start_ms, lk->fs_next_ms);
}

/* fs_outcome: what a round sent at sent (with the targets of gen) achieved. mu held. */
static void fs_outcome(struct lease_keeper *lk, const bool *accepted, int n, int64_t sent,
                       int64_t deadline_at_send, uint64_t gen)
{
	bool all = ha_fs_round_confirms(accepted, n, sent, INT64_MAX);

	if (!all) {
		lk->fs_stats.refused++;
		if (!lk->fs_fail_logged)
			log_warn(
			    "failsafe: etcd unreachable and a failsafe member did not confirm "
			    "this primary: it fences at the last confirmed deadline unless etcd "
			    "answers first");
		lk->fs_fail_logged = true;
		return;
	}
	if (!ha_fs_round_confirms(accepted, n, sent, deadline_at_send) || !fs_wanted(lk) ||
	    gen != lk->fs_generation) {
		lk->fs_stats.late++; /* past the deadline, or the targets changed meanwhile */
		return;
	}
	lk->fs_stats.confirmed++;
	lk->fs_fail_logged = false;
	lk->fs_deadline_ms =
	    MAX(lk->fs_deadline_ms, sent + (int64_t)lk->ttl_s * 1000 - lk->timing.margin_ms);
	clocksrc_signal(lk->clock, &lk->fence_cv);
	if (!lk->fs_logged)
		log_warn(
		    "failsafe: etcd unreachable for %lld ms; all %d failsafe member(s) confirmed "
		    "this primary: it keeps taking writes while they do",
		    (long long)(sent - lk->last_ok_ms), n);
	lk->fs_logged = true;
}

/* fs_round: one round of POST /failsafe to every target. mu held (released meanwhile). */
static void fs_round(struct lease_keeper *lk, int64_t now)
{
	struct dcs_failsafe *targets = xmalloc(sizeof(*targets));
	char *body = xstrdup(lk->fs.body);
	bool accepted[DCS_MAX_MEMBERS] = {false};
	int64_t deadline_at_send = effective(lk);
	uint64_t gen = lk->fs_generation;
	int timeout_ms = (int)lk->timing.fs_post_ms;

	*targets = lk->fs.targets;
	lk->fs_next_ms = now + lk->timing.fs_period_ms;
	pthread_mutex_unlock(&lk->mu);
	lk->fs_post(lk->fs_post_ctx, targets, body, timeout_ms, accepted);
	pthread_mutex_lock(&lk->mu);
	fs_outcome(lk, accepted, targets->n, now, deadline_at_send, gen);
	free(targets);
	free(body);
}

static void *fs_main(void *arg)
{
	struct lease_keeper *lk = arg;

	clocksrc_thread_begin(lk->clock);
	pthread_mutex_lock(&lk->mu);
	while (!lk->stop) {
		int64_t now = clocksrc_now_ms(lk->clock);
		int64_t due = fs_due_at(lk);

		if (now < due)
			clocksrc_wait(lk->clock, &lk->fs_cv, &lk->mu, due);
		else
			fs_round(lk, now);
	}
	pthread_mutex_unlock(&lk->mu);
	clocksrc_thread_exit(lk->clock);
	return NULL;
}

/* --- renewer -------------------------------------------------------------------------- */

/* fence_now: the key is someone else's, or gone for good: not one more write. mu held. */
static void fence_now(struct lease_keeper *lk, enum dcs_renew r)
{
	lose(lk);
	lk->reachable = true;
	lk->fence(lk->fence_ctx);
	log_error("fencing: the leader key %s, PostgreSQL stopped immediately",
	          r == DCS_RENEW_OTHER ? "is held by another member"
	                               : "vanished and may not be taken back");
}

/* renewed: what a leader renewal (sent at sent) found. mu held. */
static void renewed(struct lease_keeper *lk, enum dcs_renew r, int64_t sent)
{
	switch (r) {
	case DCS_RENEW_OK:
		set_deadline(lk, sent);
		break;
	case DCS_RENEW_ABSENT:
	case DCS_RENEW_OTHER:
		fence_now(lk, r);
		break;
	case DCS_RENEW_ERROR:
		lk->reachable = false;
		break;
	}
}

/*
 * retake: the key vanished while we held it and our lease lives (dcs_leader_renew
 * re-granted it if needed). Take it back, create-if-absent, if we are still within our
 * deadline and the HA loop allows it (timeline, no failover request): docs/agent.md,
 * "A leader key that vanishes". Someone else's by then: OTHER, and we fence.
 */
static enum dcs_renew retake(struct lease_keeper *lk)
{
	bool allowed;

	pthread_mutex_lock(&lk->mu);
	allowed = lk->held && lk->fs.retake_ok && clocksrc_now_ms(lk->clock) < effective(lk);
	pthread_mutex_unlock(&lk->mu);
	if (!allowed)
		return DCS_RENEW_ABSENT;
	log_warn("the leader key vanished while this node held it (expired during failsafe, or "
	         "revoked by etcd): taking it back");
	switch (dcs_leader_acquire(lk->client, -1)) {
	case DCS_CAS_OK:
		return DCS_RENEW_OK;
	case DCS_CAS_CONFLICT:
		return DCS_RENEW_OTHER;
	case DCS_CAS_ERROR:
		break;
	}
	return DCS_RENEW_ERROR;
}

static void renew_leader(struct lease_keeper *lk, int ttl_s)
{
	int64_t sent = 0;
	enum dcs_renew r;
	int64_t id;
	bool moved, held;

	r = dcs_leader_renew(lk->client, ttl_s, &sent);
	if (r == DCS_RENEW_ABSENT)
		r = retake(lk);
	id = dcs_lease_id(lk->client); /* a new TTL or an expired lease means a new lease */

	pthread_mutex_lock(&lk->mu);
	moved = id != 0 && id != lk->lease;
	if (moved)
		lk->lease = id;
	held = lk->held;
	if (held) /* else released while we were renewing */
		renewed(lk, r, sent);
	pthread_mutex_unlock(&lk->mu);
	if ((held && (r == DCS_RENEW_ABSENT || r == DCS_RENEW_OTHER)) || moved)
		notify(lk); /* fenced, or the member key must move to the new lease */
}

static void keep_lease(struct lease_keeper *lk, int ttl_s)
{
	int64_t sent = 0, before, after;
	bool ok;

	before = dcs_lease_id(lk->client);
	ok = dcs_lease_ensure(lk->client, ttl_s, &sent);
	after = dcs_lease_id(lk->client);

	pthread_mutex_lock(&lk->mu);
	lk->reachable = ok;
	lk->lease = after;
	pthread_mutex_unlock(&lk->mu);
	if (ok && before != after)
		notify(lk); /* member key must move to the new lease */
}

static enum dcs_cas renew_as_cas(enum dcs_renew r)
{
	switch (r) {
	case DCS_RENEW_OK:
		return DCS_CAS_OK;
	case DCS_RENEW_ABSENT:
	case DCS_RENEW_OTHER:
		return DCS_CAS_CONFLICT;
	case DCS_RENEW_ERROR:
		break;
	}
	return DCS_CAS_ERROR;
}

/* perform: the etcd side of an operation of the HA loop; *sent_ms and *id as renewals. */
static enum dcs_cas perform(struct lease_keeper *lk, enum lease_op op, int ttl_s, int64_t fs_rev,
                            int64_t *sent_ms, int64_t *id)
{
	enum dcs_cas r = DCS_CAS_ERROR;

	switch (op) {
	case LEASE_OP_ACQUIRE:
		if (dcs_lease_ensure(lk->client, ttl_s, sent_ms))
			r = dcs_leader_acquire(lk->client, fs_rev);
		break;
	case LEASE_OP_REATTACH:
		r = renew_as_cas(dcs_leader_renew(lk->client, ttl_s, sent_ms));
		break;
	case LEASE_OP_RELEASE:
		r = dcs_leader_release(lk->client);
		break;
	case LEASE_OP_NONE:
		break;
	}
	*id = dcs_lease_id(lk->client);
	return r;
}

/* run_op: carries out the pending operation and hands its result over. mu held. */
static void run_op(struct lease_keeper *lk)
{
	enum lease_op op = lk->op;
	int ttl_s = lk->ttl_s;
	int64_t sent = 0, id, fs_rev = lk->op_fs_rev;
	enum dcs_cas r;

	pthread_mutex_unlock(&lk->mu);
	r = perform(lk, op, ttl_s, fs_rev, &sent, &id);
	pthread_mutex_lock(&lk->mu);
	if (op != LEASE_OP_RELEASE && r == DCS_CAS_OK) {
		if (!lk->held)
			lk->fs_deadline_ms = 0; /* a new tenure starts without failsafe credit */
		lk->held = true;
		lk->lease = id;
		set_deadline(lk, sent);
	}
	lk->op_result = r;
	lk->op_done = true;
	clocksrc_signal(lk->clock, &lk->op_cv);
}

/* apply_timing: a new ttl's request timeouts, on the renewer's own client. mu held. */
static void apply_timing(struct lease_keeper *lk)
{
	if (lk->timing_changed) {
		dcs_set_timeouts(lk->client, (int)lk->timing.request_ms, (int)lk->timing.op_ms,
		                 (int)lk->timing.hedge_ms);
		lk->timing_changed = false;
	}
}

static bool op_pending(const struct lease_keeper *lk)
{
	return lk->op != LEASE_OP_NONE && !lk->op_done;
}

static void *renewer_main(void *arg)
{
	struct lease_keeper *lk = arg;

	clocksrc_thread_begin(lk->clock);
	pthread_mutex_lock(&lk->mu);
	while (!lk->stop) {
		bool held = lk->held;
		int ttl_s = lk->ttl_s;
		int64_t period = held ? lk->timing.renew_ms : lk->timing.follow_ms;

		apply_timing(lk);
		if (op_pending(lk)) {
			run_op(lk);
			continue;
		}
		pthread_mutex_unlock(&lk->mu);
		if (held)
			renew_leader(lk, ttl_s);
		else
			keep_lease(lk, ttl_s);
		pthread_mutex_lock(&lk->mu);
		if (!lk->reachable)
			period = MIN(period, lk->timing.retry_ms);
		if (!lk->stop && lk->held == held && !op_pending(lk))
			clocksrc_wait(lk->clock, &lk->renew_cv, &lk->mu,
			              clocksrc_now_ms(lk->clock) + period);
	}
	/* A caller still waiting for an operation gets its answer: not done. */
	lk->op_result = DCS_CAS_ERROR;
	lk->op_done = true;
	clocksrc_signal(lk->clock, &lk->op_cv);
	pthread_mutex_unlock(&lk->mu);
	clocksrc_thread_exit(lk->clock);
	return NULL;
}

/* --- start and stop -------------------------------------------------------------------- */

static void init_sync(struct lease_keeper *lk)
{
	pthread_mutex_init(&lk->mu, NULL);
	clocksrc_cond_init(&lk->renew_cv);
	clocksrc_cond_init(&lk->fence_cv);
	clocksrc_cond_init(&lk->fs_cv);
	clocksrc_cond_init(&lk->op_cv);
}

/* start_thread: one of the keeper's threads, counted on the clock; true if it runs. */
static bool start_thread(struct lease_keeper *lk, thread_spawn_fn *spawn, pthread_t *t,
                         const char *name, void *(*main)(void *))
{
	int rc;

	clocksrc_thread_add(lk->clock);
	rc = spawn(t, name, main, lk);
	if (rc == 0)
		return true;
	clocksrc_thread_exit(lk->clock);
	log_error("lease keeper: cannot start its %s thread (%s): this node will not take the "
	          "leader key",
	          name, strerror(rc));
	return false;
}

static void start_threads(struct lease_keeper *lk, thread_spawn_fn *spawn)
{
	/* The fencer first: a renewer without it could hold a key nobody fences for. */
	lk->fencer_on = start_thread(lk, spawn, &lk->fencer, "lease-fencer", fencer_main);
	if (lk->fencer_on)
		lk->fs_on = start_thread(lk, spawn, &lk->fs_thread, "lease-failsafe", fs_main);
	if (lk->fs_on)
		lk->renewer_on =
		    start_thread(lk, spawn, &lk->renewer, "lease-renewer", renewer_main);
	lk->ready = lk->fencer_on && lk->fs_on && lk->renewer_on;
}

struct lease_keeper *lease_keeper_start(const struct lease_options *opt)
{
	struct lease_keeper *lk = xcalloc(1, sizeof(*lk));
	struct dcs_options dopt = *opt->dcs;

	lk->clock = opt->clock ? opt->clock : clocksrc_real();
	lk->fence = opt->fence;
	lk->fence_ctx = opt->fence_ctx;
	lk->notify = opt->notify;
	lk->notify_ctx = opt->notify_ctx;
	lk->fs_post = opt->fs_post;
	lk->fs_post_ctx = opt->fs_post_ctx;
	lk->ttl_s = opt->ttl_s;
	lk->fenced_for_ms = -1;
	lease_timing_for(opt->ttl_s, &lk->timing);
	init_sync(lk);
	dopt.watch = false;
	dopt.clock = lk->clock;
	dopt.request_timeout_ms = (int)lk->timing.request_ms;
	dopt.op_timeout_ms = (int)lk->timing.op_ms;
	dopt.hedge_ms = (int)lk->timing.hedge_ms;
	lk->client = dcs_open(&dopt);
	if (lk->client == NULL) {
		log_error("lease keeper: cannot open its etcd client: this node will not take "
		          "the leader key");
		return lk;
	}
	start_threads(lk, opt->spawn ? opt->spawn : thread_start);
	return lk;
}

bool lease_keeper_ready(struct lease_keeper *lk)
{
	return lk->ready; /* set before any other thread could read it, never changed */
}

static void join_threads(struct lease_keeper *lk)
{
	if (lk->renewer_on)
		pthread_join(lk->renewer, NULL);
	if (lk->fs_on)
		pthread_join(lk->fs_thread, NULL);
	if (lk->fencer_on)
		pthread_join(lk->fencer, NULL);
}

void lease_keeper_stop(struct lease_keeper *lk)
{
	if (lk == NULL)
		return;
	pthread_mutex_lock(&lk->mu);
	lk->stop = true;
	clocksrc_signal(lk->clock, &lk->renew_cv);
	clocksrc_signal(lk->clock, &lk->fence_cv);
	clocksrc_signal(lk->clock, &lk->fs_cv);
	pthread_mutex_unlock(&lk->mu);
	join_threads(lk);
	dcs_close(lk->client);
	pthread_cond_destroy(&lk->renew_cv);
	pthread_cond_destroy(&lk->fence_cv);
	pthread_cond_destroy(&lk->fs_cv);
	pthread_cond_destroy(&lk->op_cv);
	pthread_mutex_destroy(&lk->mu);
	free(lk);
}

void lease_keeper_set_ttl(struct lease_keeper *lk, int ttl_s)
{
	pthread_mutex_lock(&lk->mu);
	if (lk->ttl_s != ttl_s) {
		lk->ttl_s = ttl_s;
		lease_timing_for(ttl_s, &lk->timing);
		lk->timing_changed = true;
		clocksrc_signal(lk->clock, &lk->renew_cv);
	}
	pthread_mutex_unlock(&lk->mu);
}

static bool same_targets(const struct dcs_failsafe *a, const struct dcs_failsafe *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->names[i], b->names[i]) != 0 ||
		    strcmp(a->api_urls[i], b->api_urls[i]) != 0)
			return false;
	return true;
}

void lease_keeper_set_failsafe(struct lease_keeper *lk, const struct lease_failsafe *fs)
{
	pthread_mutex_lock(&lk->mu);
	if (!same_targets(&lk->fs.targets, &fs->targets))
		lk->fs_generation++; /* a round already out does not cover the new ones */
	lk->fs = *fs;
	clocksrc_signal(lk->clock, &lk->fs_cv);
	clocksrc_signal(lk->clock, &lk->fence_cv); /* usable may move the deadline */
	pthread_mutex_unlock(&lk->mu);
}

void lease_fs_stats(struct lease_keeper *lk, struct lease_fs_stats *out)
{
	pthread_mutex_lock(&lk->mu);
	*out = lk->fs_stats;
	pthread_mutex_unlock(&lk->mu);
}

/* --- state --------------------------------------------------------------------------------- */

int64_t lease_id(struct lease_keeper *lk)
{
	int64_t id;

	pthread_mutex_lock(&lk->mu);
	id = lk->lease;
	pthread_mutex_unlock(&lk->mu);
	return id;
}

struct ha_lease lease_state(struct lease_keeper *lk)
{
	struct ha_lease s;

	pthread_mutex_lock(&lk->mu);
	s = state(lk);
	pthread_mutex_unlock(&lk->mu);
	return s;
}

/* --- leadership ------------------------------------------------------------------------------ */

/* ask: hands op to the renewer and waits for its outcome (the HA loop's thread). */
static enum dcs_cas ask(struct lease_keeper *lk, enum lease_op op, int64_t fs_rev)
{
	enum dcs_cas r;

	pthread_mutex_lock(&lk->mu);
	while (lk->op != LEASE_OP_NONE && !lk->stop) /* one operation at a time */
		clocksrc_wait(lk->clock, &lk->op_cv, &lk->mu, CLOCKSRC_FOREVER);
	if (lk->stop) {
		pthread_mutex_unlock(&lk->mu);
		return DCS_CAS_ERROR;
	}
	lk->op = op;
	lk->op_fs_rev = fs_rev;
	lk->op_done = false;
	clocksrc_signal(lk->clock, &lk->renew_cv);
	while (!lk->op_done)
		clocksrc_wait(lk->clock, &lk->op_cv, &lk->mu, CLOCKSRC_FOREVER);
	r = lk->op_result;
	lk->op = LEASE_OP_NONE;
	clocksrc_signal(lk->clock, &lk->op_cv); /* the slot is free */
	pthread_mutex_unlock(&lk->mu);
	return r;
}

enum dcs_cas lease_acquire(struct lease_keeper *lk, bool key_carries_our_name, int64_t failsafe_rev)
{
	if (!lk->ready) {
		log_error("not taking the leader key: the lease keeper did not start (no fencer)");
		return DCS_CAS_ERROR;
	}
	return ask(lk, key_carries_our_name ? LEASE_OP_REATTACH : LEASE_OP_ACQUIRE, failsafe_rev);
}

enum dcs_cas lease_release(struct lease_keeper *lk)
{
	lease_disarm(lk);
	if (!lk->ready)
		return DCS_CAS_ERROR; /* it never held the key */
	return ask(lk, LEASE_OP_RELEASE, -1);
}

void lease_disarm(struct lease_keeper *lk)
{
	pthread_mutex_lock(&lk->mu);
	lose(lk);
	clocksrc_signal(lk->clock, &lk->renew_cv);
	pthread_mutex_unlock(&lk->mu);
}
