/*
 * lease.c: the lease keeper (renewer and fencer threads). See lease.h.
 *
 * Threads: the keeper's etcd client belongs to the renewer: the HA loop's acquire and
 * release are handed to it (lk->op) and carried out between renewals, so that no lock
 * is ever held across a request. `mu` guards the state fields; condition variables are
 * waited on and signalled through the clock (util/clocksrc.h), with mu held.
 */
#include "ha/lease.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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
	bool ready; /* client and both threads started: only then may we lead (set once) */

	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t renew_cv; /* wakes the renewer (stop, new leadership, timing) */
	pthread_cond_t fence_cv; /* wakes the fencer (deadline moved, stop) */
	pthread_cond_t op_cv;    /* an operation's result is in, or the slot is free */
	bool stop;
	int ttl_s;
	struct lease_timing timing;
	bool timing_changed; /* the renewer applies the new request timeout */
	enum lease_op op;    /* asked of the renewer, NONE when idle */
	bool op_done;        /* op carried out: op_result holds its outcome */
	enum dcs_cas op_result;
	bool held;             /* leading: renew the key and keep the fencer armed */
	int64_t deadline_ms;   /* fence at this time (on clock) */
	int64_t fenced_for_ms; /* deadline already acted on (fence once per deadline) */
	bool reachable;        /* last request to etcd succeeded */
	int64_t lease;         /* last known lease id */
	pthread_t renewer;
	pthread_t fencer;
	bool renewer_on, fencer_on;
};

void lease_timing_for(int ttl_s, struct lease_timing *t)
{
	int64_t ttl_ms = (int64_t)ttl_s * 1000;

	/*
	 * Six renewals per TTL leave room for several failed attempts before the deadline;
	 * the margin (a quarter TTL, at least 300 ms) covers the immediate stop itself,
	 * scheduling delays on a loaded machine and clock-rate differences with etcd.
	 * A follower's lease only carries its member key: renewing every TTL/3 is enough.
	 */
	t->renew_ms = MAX(100, ttl_ms / 6);
	t->follow_ms = MAX(500, ttl_ms / 3);
	t->retry_ms = 250;
	t->margin_ms = MAX(300, ttl_ms / 4);
	t->request_ms = MAX(200, MIN(ttl_ms / 6, 2000));
}

static void notify(struct lease_keeper *lk)
{
	if (lk->notify)
		lk->notify(lk->notify_ctx);
}

/* set_deadline: a renewal sent at sent_ms succeeded. Called with mu held. */
static void set_deadline(struct lease_keeper *lk, int64_t sent_ms)
{
	lk->deadline_ms = sent_ms + (int64_t)lk->ttl_s * 1000 - lk->timing.margin_ms;
	lk->reachable = true;
	clocksrc_signal(lk->clock, &lk->fence_cv);
}

/* --- fencer --------------------------------------------------------------------------- */

static void *fencer_main(void *arg)
{
	struct lease_keeper *lk = arg;

	clocksrc_thread_begin(lk->clock);
	pthread_mutex_lock(&lk->mu);
	while (!lk->stop) {
		int64_t now = clocksrc_now_ms(lk->clock);

		if (!lk->held || lk->fenced_for_ms == lk->deadline_ms) {
			clocksrc_wait(lk->clock, &lk->fence_cv, &lk->mu, CLOCKSRC_FOREVER);
			continue;
		}
		if (now < lk->deadline_ms) {
			clocksrc_wait(lk->clock, &lk->fence_cv, &lk->mu, lk->deadline_ms);
			continue;
		}
		lk->fenced_for_ms = lk->deadline_ms;
		lk->fence(lk->fence_ctx);
		log_error(
		    "fencing: leader lease not confirmed for %lld ms, PostgreSQL stopped "
		    "immediately (no writes can be acknowledged past the lease)",
		    (long long)(now - lk->deadline_ms + lk->ttl_s * 1000 - lk->timing.margin_ms));
		pthread_mutex_unlock(&lk->mu);
		notify(lk);
		pthread_mutex_lock(&lk->mu);
	}
	pthread_mutex_unlock(&lk->mu);
	clocksrc_thread_exit(lk->clock);
	return NULL;
}

/* --- renewer -------------------------------------------------------------------------- */

/* renewed: what a leader renewal (sent at sent, lease id now id) means. mu held. */
static void renewed(struct lease_keeper *lk, enum dcs_cas r, int64_t sent)
{
	switch (r) {
	case DCS_CAS_OK:
		set_deadline(lk, sent);
		break;
	case DCS_CAS_CONFLICT:
		/* Someone else holds the key (or it is gone): not one more write here. */
		lk->held = false;
		lk->reachable = true;
		lk->fence(lk->fence_ctx);
		log_error("fencing: the leader key is no longer ours, PostgreSQL stopped "
		          "immediately");
		break;
	case DCS_CAS_ERROR:
		lk->reachable = false;
		break;
	}
}

static void renew_leader(struct lease_keeper *lk, int ttl_s)
{
	int64_t sent = 0;
	enum dcs_cas r;
	int64_t id;
	bool moved, held;

	r = dcs_leader_renew(lk->client, ttl_s, &sent);
	id = dcs_lease_id(lk->client); /* a new TTL or an expired lease means a new lease */

	pthread_mutex_lock(&lk->mu);
	moved = id != 0 && id != lk->lease;
	if (moved)
		lk->lease = id;
	held = lk->held;
	if (held) /* else released while we were renewing */
		renewed(lk, r, sent);
	pthread_mutex_unlock(&lk->mu);
	if ((held && r == DCS_CAS_CONFLICT) || moved)
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

/* perform: the etcd side of an operation of the HA loop; *sent_ms and *id as renewals. */
static enum dcs_cas perform(struct lease_keeper *lk, enum lease_op op, int ttl_s, int64_t *sent_ms,
                            int64_t *id)
{
	enum dcs_cas r = DCS_CAS_ERROR;

	switch (op) {
	case LEASE_OP_ACQUIRE:
		if (dcs_lease_ensure(lk->client, ttl_s, sent_ms))
			r = dcs_leader_acquire(lk->client);
		break;
	case LEASE_OP_REATTACH:
		r = dcs_leader_renew(lk->client, ttl_s, sent_ms);
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
	int64_t sent = 0, id;
	enum dcs_cas r;

	pthread_mutex_unlock(&lk->mu);
	r = perform(lk, op, ttl_s, &sent, &id);
	pthread_mutex_lock(&lk->mu);
	if (op != LEASE_OP_RELEASE && r == DCS_CAS_OK) {
		lk->held = true;
		lk->lease = id;
		set_deadline(lk, sent);
	}
	lk->op_result = r;
	lk->op_done = true;
	clocksrc_signal(lk->clock, &lk->op_cv);
}

/* apply_timing: a new ttl's request timeout, on the renewer's own client. mu held. */
static void apply_timing(struct lease_keeper *lk)
{
	if (lk->timing_changed) {
		dcs_set_timeout(lk->client, (int)lk->timing.request_ms);
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

struct lease_keeper *lease_keeper_start(const struct lease_options *opt)
{
	struct lease_keeper *lk = xcalloc(1, sizeof(*lk));
	struct dcs_options dopt = *opt->dcs;
	thread_spawn_fn *spawn = opt->spawn ? opt->spawn : thread_start;

	lk->clock = opt->clock ? opt->clock : clocksrc_real();
	lk->fence = opt->fence;
	lk->fence_ctx = opt->fence_ctx;
	lk->notify = opt->notify;
	lk->notify_ctx = opt->notify_ctx;
	lk->ttl_s = opt->ttl_s;
	lk->fenced_for_ms = -1;
	lease_timing_for(opt->ttl_s, &lk->timing);
	init_sync(lk);
	dopt.watch = false;
	dopt.clock = lk->clock;
	dopt.request_timeout_ms = (int)lk->timing.request_ms;
	lk->client = dcs_open(&dopt);
	if (lk->client == NULL) {
		log_error("lease keeper: cannot open its etcd client: this node will not take "
		          "the leader key");
		return lk;
	}
	/* The fencer first: a renewer without it could hold a key nobody fences for. */
	lk->fencer_on = start_thread(lk, spawn, &lk->fencer, "lease-fencer", fencer_main);
	if (lk->fencer_on)
		lk->renewer_on =
		    start_thread(lk, spawn, &lk->renewer, "lease-renewer", renewer_main);
	lk->ready = lk->fencer_on && lk->renewer_on;
	return lk;
}

bool lease_keeper_ready(struct lease_keeper *lk)
{
	return lk->ready; /* set before any other thread could read it, never changed */
}

void lease_keeper_stop(struct lease_keeper *lk)
{
	if (lk == NULL)
		return;
	pthread_mutex_lock(&lk->mu);
	lk->stop = true;
	clocksrc_signal(lk->clock, &lk->renew_cv);
	clocksrc_signal(lk->clock, &lk->fence_cv);
	pthread_mutex_unlock(&lk->mu);
	if (lk->renewer_on)
		pthread_join(lk->renewer, NULL);
	if (lk->fencer_on)
		pthread_join(lk->fencer, NULL);
	dcs_close(lk->client);
	pthread_cond_destroy(&lk->renew_cv);
	pthread_cond_destroy(&lk->fence_cv);
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
	s.held = lk->held;
	s.deadline_ms = lk->deadline_ms;
	pthread_mutex_unlock(&lk->mu);
	return s;
}

/* --- leadership ------------------------------------------------------------------------------ */

/* ask: hands op to the renewer and waits for its outcome (the HA loop's thread). */
static enum dcs_cas ask(struct lease_keeper *lk, enum lease_op op)
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

enum dcs_cas lease_acquire(struct lease_keeper *lk, bool key_carries_our_name)
{
	if (!lk->ready) {
		log_error("not taking the leader key: the lease keeper did not start (no fencer)");
		return DCS_CAS_ERROR;
	}
	return ask(lk, key_carries_our_name ? LEASE_OP_REATTACH : LEASE_OP_ACQUIRE);
}

enum dcs_cas lease_release(struct lease_keeper *lk)
{
	lease_disarm(lk);
	if (!lk->ready)
		return DCS_CAS_ERROR; /* it never held the key */
	return ask(lk, LEASE_OP_RELEASE);
}

void lease_disarm(struct lease_keeper *lk)
{
	pthread_mutex_lock(&lk->mu);
	lk->held = false;
	clocksrc_signal(lk->clock, &lk->renew_cv);
	clocksrc_signal(lk->clock, &lk->fence_cv);
	pthread_mutex_unlock(&lk->mu);
}
