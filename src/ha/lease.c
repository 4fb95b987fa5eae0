/*
 * lease.c: the lease keeper (renewer and fencer threads). See lease.h.
 *
 * Locking: `mu` guards the state fields and is never held across network I/O;
 * `client_mu` serialises the keeper's etcd client between the renewer and the HA
 * loop's acquire/release calls. Order: client_mu before mu.
 */
#include "ha/lease.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "log/log.h"
#include "pg/pg.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/xalloc.h"

struct lease_keeper {
	struct dcs *client;        /* the keeper's own etcd client */
	pthread_mutex_t client_mu; /* one request at a time on client */
	struct pg_node *pg;
	void (*notify)(void *ctx);
	void *notify_ctx;

	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t renew_cv; /* wakes the renewer (stop, new leadership, timing) */
	pthread_cond_t fence_cv; /* wakes the fencer (deadline moved, stop) */
	bool stop;
	int ttl_s;
	int loop_wait_s;
	struct lease_timing timing;
	bool held;             /* leading: renew the key and keep the fencer armed */
	int64_t deadline_ms;   /* fence at this CLOCK_BOOTTIME ms */
	int64_t fenced_for_ms; /* deadline already acted on (fence once per deadline) */
	bool reachable;        /* last request to etcd succeeded */
	int64_t lease;         /* last known lease id */
	pthread_t renewer;
	pthread_t fencer;
};

void lease_timing_for(int ttl_s, struct lease_timing *t)
{
	int64_t ttl_ms = (int64_t)ttl_s * 1000;

	/*
	 * Six renewals per TTL leave room for several failed attempts before the deadline;
	 * the margin (a quarter TTL, at least 300 ms) covers the immediate stop itself,
	 * scheduling delays on a loaded machine and clock-rate differences with etcd.
	 */
	t->renew_ms = MAX(100, ttl_ms / 6);
	t->margin_ms = MAX(300, ttl_ms / 4);
	t->request_ms = MAX(200, MIN(ttl_ms / 6, 2000));
}

static void timespec_in(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms)
{
	struct timespec ts;

	timespec_in(&ts, MAX(ms, 1));
	pthread_cond_timedwait(cv, mu, &ts);
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
	pthread_cond_signal(&lk->fence_cv);
}

/* --- fencer --------------------------------------------------------------------------- */

static void *fencer_main(void *arg)
{
	struct lease_keeper *lk = arg;

	pthread_mutex_lock(&lk->mu);
	while (!lk->stop) {
		int64_t now = clock_now_ms();

		if (!lk->held || lk->fenced_for_ms == lk->deadline_ms) {
			pthread_cond_wait(&lk->fence_cv, &lk->mu);
			continue;
		}
		if (now < lk->deadline_ms) {
			wait_ms(&lk->fence_cv, &lk->mu, lk->deadline_ms - now);
			continue;
		}
		lk->fenced_for_ms = lk->deadline_ms;
		pg_fence_now(lk->pg);
		log_error(
		    "fencing: leader lease not confirmed for %lld ms, PostgreSQL stopped "
		    "immediately (no writes can be acknowledged past the lease)",
		    (long long)(now - lk->deadline_ms + lk->ttl_s * 1000 - lk->timing.margin_ms));
		pthread_mutex_unlock(&lk->mu);
		notify(lk);
		pthread_mutex_lock(&lk->mu);
	}
	pthread_mutex_unlock(&lk->mu);
	return NULL;
}

/* --- renewer -------------------------------------------------------------------------- */

static void renew_leader(struct lease_keeper *lk, int ttl_s)
{
	int64_t sent = 0;
	enum dcs_cas r;

	int64_t id;
	bool moved;

	pthread_mutex_lock(&lk->client_mu);
	r = dcs_leader_renew(lk->client, ttl_s, &sent);
	id = dcs_lease_id(lk->client); /* a new TTL or an expired lease means a new lease */
	pthread_mutex_unlock(&lk->client_mu);

	pthread_mutex_lock(&lk->mu);
	moved = id != 0 && id != lk->lease;
	if (moved)
		lk->lease = id;
	if (!lk->held) { /* released while we were renewing */
		pthread_mutex_unlock(&lk->mu);
		if (moved)
			notify(lk);
		return;
	}
	switch (r) {
	case DCS_CAS_OK:
		set_deadline(lk, sent);
		break;
	case DCS_CAS_CONFLICT:
		/* Someone else holds the key (or it is gone): not one more write here. */
		lk->held = false;
		lk->reachable = true;
		pg_fence_now(lk->pg);
		log_error("fencing: the leader key is no longer ours, PostgreSQL stopped "
		          "immediately");
		break;
	case DCS_CAS_ERROR:
		lk->reachable = false;
		break;
	}
	pthread_mutex_unlock(&lk->mu);
	if (r == DCS_CAS_CONFLICT || moved)
		notify(lk); /* fenced, or the member key must move to the new lease */
}

static void keep_lease(struct lease_keeper *lk, int ttl_s)
{
	int64_t sent = 0, before, after;
	bool ok;

	pthread_mutex_lock(&lk->client_mu);
	before = dcs_lease_id(lk->client);
	ok = dcs_lease_ensure(lk->client, ttl_s, &sent);
	after = dcs_lease_id(lk->client);
	pthread_mutex_unlock(&lk->client_mu);

	pthread_mutex_lock(&lk->mu);
	lk->reachable = ok;
	lk->lease = after;
	pthread_mutex_unlock(&lk->mu);
	if (ok && before != after)
		notify(lk); /* member key must move to the new lease */
}

static void *renewer_main(void *arg)
{
	struct lease_keeper *lk = arg;

	pthread_mutex_lock(&lk->mu);
	while (!lk->stop) {
		bool held = lk->held;
		int ttl_s = lk->ttl_s;
		/* A follower's lease only carries its member key: renewing every TTL/3 is enough.
		 */
		int64_t period = held ? lk->timing.renew_ms : MAX(500, (int64_t)ttl_s * 1000 / 3);

		pthread_mutex_unlock(&lk->mu);
		if (held)
			renew_leader(lk, ttl_s);
		else
			keep_lease(lk, ttl_s);
		pthread_mutex_lock(&lk->mu);
		if (!lk->stop && lk->held == held)
			wait_ms(&lk->renew_cv, &lk->mu, lk->reachable ? period : MIN(period, 250));
	}
	pthread_mutex_unlock(&lk->mu);
	return NULL;
}

/* --- public API ------------------------------------------------------------------------ */

struct lease_keeper *lease_keeper_start(const struct lease_options *opt)
{
	struct lease_keeper *lk = xcalloc(1, sizeof(*lk));
	struct dcs_options dopt = *opt->dcs;
	pthread_condattr_t ca;

	lease_timing_for(opt->ttl_s, &lk->timing);
	dopt.watch = false;
	dopt.request_timeout_ms = (int)lk->timing.request_ms;
	lk->client = dcs_open(&dopt);
	lk->pg = opt->pg;
	lk->notify = opt->notify;
	lk->notify_ctx = opt->notify_ctx;
	lk->ttl_s = opt->ttl_s;
	lk->loop_wait_s = opt->loop_wait_s;
	lk->fenced_for_ms = -1;
	pthread_mutex_init(&lk->client_mu, NULL);
	pthread_mutex_init(&lk->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lk->renew_cv, &ca);
	pthread_cond_init(&lk->fence_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_create(&lk->fencer, NULL, fencer_main, lk);
	pthread_create(&lk->renewer, NULL, renewer_main, lk);
	return lk;
}

void lease_keeper_stop(struct lease_keeper *lk)
{
	if (lk == NULL)
		return;
	pthread_mutex_lock(&lk->mu);
	lk->stop = true;
	pthread_cond_broadcast(&lk->renew_cv);
	pthread_cond_broadcast(&lk->fence_cv);
	pthread_mutex_unlock(&lk->mu);
	pthread_join(lk->renewer, NULL);
	pthread_join(lk->fencer, NULL);
	dcs_close(lk->client);
	pthread_cond_destroy(&lk->renew_cv);
	pthread_cond_destroy(&lk->fence_cv);
	pthread_mutex_destroy(&lk->mu);
	pthread_mutex_destroy(&lk->client_mu);
	free(lk);
}

void lease_keeper_set_timing(struct lease_keeper *lk, int ttl_s, int loop_wait_s)
{
	pthread_mutex_lock(&lk->mu);
	if (lk->ttl_s != ttl_s || lk->loop_wait_s != loop_wait_s) {
		lk->ttl_s = ttl_s;
		lk->loop_wait_s = loop_wait_s;
		lease_timing_for(ttl_s, &lk->timing);
		dcs_set_timeout(lk->client, (int)lk->timing.request_ms);
		pthread_cond_signal(&lk->renew_cv);
	}
	pthread_mutex_unlock(&lk->mu);
}

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

bool lease_reachable(struct lease_keeper *lk)
{
	bool r;

	pthread_mutex_lock(&lk->mu);
	r = lk->reachable;
	pthread_mutex_unlock(&lk->mu);
	return r;
}

enum dcs_cas lease_acquire(struct lease_keeper *lk, bool key_carries_our_name)
{
	int64_t sent = 0;
	enum dcs_cas r;
	int ttl_s;

	pthread_mutex_lock(&lk->mu);
	ttl_s = lk->ttl_s;
	pthread_mutex_unlock(&lk->mu);

	int64_t id;

	pthread_mutex_lock(&lk->client_mu);
	if (key_carries_our_name) {
		r = dcs_leader_renew(lk->client, ttl_s, &sent);
	} else if (!dcs_lease_ensure(lk->client, ttl_s, &sent)) {
		r = DCS_CAS_ERROR;
	} else {
		r = dcs_leader_acquire(lk->client);
	}
	id = dcs_lease_id(lk->client);
	pthread_mutex_unlock(&lk->client_mu);

	if (r == DCS_CAS_OK) {
		pthread_mutex_lock(&lk->mu);
		lk->held = true;
		lk->lease = id;
		set_deadline(lk, sent);
		pthread_cond_signal(&lk->renew_cv);
		pthread_mutex_unlock(&lk->mu);
	}
	return r;
}

enum dcs_cas lease_release(struct lease_keeper *lk)
{
	enum dcs_cas r;

	lease_disarm(lk);
	pthread_mutex_lock(&lk->client_mu);
	r = dcs_leader_release(lk->client);
	pthread_mutex_unlock(&lk->client_mu);
	return r;
}

void lease_disarm(struct lease_keeper *lk)
{
	pthread_mutex_lock(&lk->mu);
	lk->held = false;
	pthread_cond_signal(&lk->renew_cv);
	pthread_cond_signal(&lk->fence_cv);
	pthread_mutex_unlock(&lk->mu);
}
