/*
 * lease.h: the lease keeper: owns this node's etcd lease and, while the node leads,
 * the leader key, and fences PostgreSQL when leadership cannot be confirmed in time.
 *
 * Two threads, independent of the HA loop (which may be busy for seconds restarting
 * PostgreSQL or cloning):
 *   - the renewer keeps the lease alive (every loop_wait/2 as a follower; every
 *     ttl/6 while leading, with a compare transaction proving the key is still ours);
 *   - the fencer sleeps until the fencing deadline, last successful renewal sent +
 *     ttl - margin, and stops PostgreSQL immediately (SIGQUIT) if it is reached while
 *     leading. A leader key taken over by someone else fences at once.
 * The fencing deadline is anchored on the time the renewal was *sent*: etcd cannot
 * expire the lease before sent + ttl (docs/fault-plan.md, etcd's leases).
 *
 * The HA loop takes and gives back the key through lease_acquire/lease_release; the
 * keeper's own etcd client is serialised by a mutex.
 */
#ifndef PGHA_HA_LEASE_H
#define PGHA_HA_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs.h"
#include "ha/ha_types.h"

struct lease_keeper;
struct pg_node;

struct lease_options {
	const struct dcs_options *dcs; /* endpoints etc.; the keeper opens its own client */
	int ttl_s;
	int loop_wait_s;
	struct pg_node *pg;        /* fenced with pg_fence_now() */
	void (*notify)(void *ctx); /* leadership or lease changed: wake the HA loop */
	void *notify_ctx;
};

/* lease_timing: the renewal period, fencing margin and request timeout for a TTL. */
struct lease_timing {
	int64_t renew_ms;   /* leader renewal period */
	int64_t margin_ms;  /* fence this long before the lease could expire */
	int64_t request_ms; /* per-request timeout of the keeper's client */
};
void lease_timing_for(int ttl_s, struct lease_timing *t);

struct lease_keeper *lease_keeper_start(const struct lease_options *opt);
void lease_keeper_stop(struct lease_keeper *lk);
/* lease_keeper_set_timing: applies a new ttl/loop_wait from the dynamic config. */
void lease_keeper_set_timing(struct lease_keeper *lk, int ttl_s, int loop_wait_s);

/* lease_id: the current etcd lease (0 until granted). Member keys are written on it. */
int64_t lease_id(struct lease_keeper *lk);
/* lease_state: held/deadline as the decision core reads them. */
struct ha_lease lease_state(struct lease_keeper *lk);
/* lease_reachable: the last request to etcd succeeded. */
bool lease_reachable(struct lease_keeper *lk);

/*
 * lease_acquire: takes a free leader key (create-if-absent), or re-attaches it to our
 * lease when it still carries our name (agent restart). On success the keeper
 * starts renewing it and arms the fencer.
 */
enum dcs_cas lease_acquire(struct lease_keeper *lk, bool key_carries_our_name);
/* lease_release: deletes the leader key if it is ours; disarms the fencer first. */
enum dcs_cas lease_release(struct lease_keeper *lk);
/* lease_disarm: stop treating this node as leader without touching etcd (demoted). */
void lease_disarm(struct lease_keeper *lk);

#endif
