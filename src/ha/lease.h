/*
 * lease.h: the lease keeper: owns this node's etcd lease and, while the node leads,
 * the leader key, and fences PostgreSQL when leadership cannot be confirmed in time.
 *
 * Two threads, independent of the HA loop (which may be busy for seconds restarting
 * PostgreSQL or cloning):
 *   - the renewer keeps the lease alive: every ttl/3 (at least 500 ms) as a follower,
 *     whose lease only carries its member key; every ttl/6 while leading, with a
 *     compare transaction proving that the leader key is still ours; a failed attempt
 *     is retried after at most 250 ms;
 *   - the fencer sleeps until the fencing deadline, last successful renewal *sent* +
 *     ttl - margin, and fences (the fence callback: stop PostgreSQL at once) if it is
 *     reached while leading. A leader key taken over by someone else fences at once.
 * The deadline is anchored on the time the renewal was sent, not answered: etcd cannot
 * expire the lease before sent + ttl, whatever the reply's delay (docs/fault-plan.md,
 * etcd's leases).
 *
 * A keeper that could not open its etcd client or start either thread never leads:
 * lease_acquire refuses, so nothing can hold the key without a fencer behind it.
 *
 * Time is read on opt->clock (simulated in unit tests). The HA loop takes and gives
 * back the key through lease_acquire/lease_release, which the renewer carries out
 * between renewals: it alone uses the keeper's etcd client, so no lock is held across
 * a request.
 */
#ifndef PGHA_HA_LEASE_H
#define PGHA_HA_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs.h"
#include "ha/ha_types.h"
#include "util/thread.h"

struct lease_keeper;
struct clocksrc;

struct lease_options {
	const struct dcs_options *dcs; /* endpoints etc.; the keeper opens its own client */
	int ttl_s;
	void (*fence)(void *ctx); /* stop PostgreSQL now (from the fencer or renewer) */
	void *fence_ctx;
	void (*notify)(void *ctx); /* leadership or lease changed: wake the HA loop */
	void *notify_ctx;
	struct clocksrc *clock; /* NULL: the real clock */
	thread_spawn_fn *spawn; /* NULL: thread_start (tests inject failures here) */
};

/* lease_timing: the renewal periods, fencing margin and request timeout for a TTL. */
struct lease_timing {
	int64_t renew_ms;   /* leader renewal period */
	int64_t follow_ms;  /* follower renewal period */
	int64_t retry_ms;   /* longest pause after a failed attempt */
	int64_t margin_ms;  /* fence this long before the lease could expire */
	int64_t request_ms; /* per-request timeout of the keeper's client */
};
void lease_timing_for(int ttl_s, struct lease_timing *t);

/*
 * lease_keeper_start: opens the keeper's client and starts its threads. Owned: stop it
 * with lease_keeper_stop. Never NULL; lease_keeper_ready says whether everything
 * started (a keeper that is not ready never leads; the failure is logged).
 */
struct lease_keeper *lease_keeper_start(const struct lease_options *opt);
bool lease_keeper_ready(struct lease_keeper *lk);
void lease_keeper_stop(struct lease_keeper *lk);
/* lease_keeper_set_ttl: applies a new ttl from the dynamic config. */
void lease_keeper_set_ttl(struct lease_keeper *lk, int ttl_s);

/* lease_id: the current etcd lease (0 until granted). Member keys are written on it. */
int64_t lease_id(struct lease_keeper *lk);
/* lease_state: held/deadline as the decision core reads them. */
struct ha_lease lease_state(struct lease_keeper *lk);

/*
 * lease_acquire: takes a free leader key (create-if-absent), or re-attaches it to our
 * lease when it still carries our name (agent restart). On success the keeper
 * starts renewing it and arms the fencer. DCS_CAS_ERROR, without touching etcd,
 * from a keeper that is not ready.
 */
enum dcs_cas lease_acquire(struct lease_keeper *lk, bool key_carries_our_name);
/* lease_release: deletes the leader key if it is ours; disarms the fencer first. */
enum dcs_cas lease_release(struct lease_keeper *lk);
/* lease_disarm: stop treating this node as leader without touching etcd (demoted). */
void lease_disarm(struct lease_keeper *lk);

#endif
