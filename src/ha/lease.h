/*
 * lease.h: the lease keeper: owns this node's etcd lease and, while the node leads,
 * the leader key, and fences PostgreSQL when leadership cannot be confirmed in time.
 *
 * Three threads, independent of the HA loop (which may be busy for seconds restarting
 * PostgreSQL or cloning):
 *   - the renewer keeps the lease alive: every ttl/3 (at least 500 ms) as a follower,
 *     whose lease only carries its member key; every ttl/8 while leading, with a
 *     compare transaction proving that the leader key is still ours; a failed attempt
 *     is retried after the hedge delay (the etcd client hedges each request itself).
 *     A leader key that vanished while we held it (expired during failsafe, revoked by
 *     etcd) is taken back at once, create-if-absent, when the HA loop allows it;
 *   - the failsafe thread, while leading with failsafe_mode on and no renewal
 *     succeeding for ttl/8 + the hedge delay, sends rounds of POST /failsafe to every
 *     member of the failsafe list, every ttl/8; a round every one of them accepted
 *     moves the failsafe deadline to its send time + ttl - margin (ha_failsafe.h);
 *   - the fencer sleeps until the effective deadline (the lease's, last successful
 *     renewal *sent* + ttl - margin, or a later failsafe one) and fences (the fence
 *     callback: stop PostgreSQL at once) if it is reached while leading. A leader key
 *     taken over by someone else fences at once.
 * The deadlines are anchored on the time a request was sent, not answered: etcd cannot
 * expire the lease before sent + ttl, and a member that accepted a round keeps its
 * window for ttl from its receipt, whatever the reply's delay (docs/agent.md).
 *
 * A keeper that could not open its etcd client or start a thread never leads:
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

/*
 * lease_fs_post_fn: POSTs body to every target's failsafe URL (its api_url with the
 * path /failsafe) at once and waits at most timeout_ms; accepted[i] is true when
 * target i answered 200 with the body "Accepted". Called from the failsafe thread.
 */
typedef void lease_fs_post_fn(void *ctx, const struct dcs_failsafe *targets, const char *body,
                              int timeout_ms, bool *accepted);

struct lease_options {
	const struct dcs_options *dcs; /* endpoints etc.; the keeper opens its own client */
	int ttl_s;
	void (*fence)(void *ctx); /* stop PostgreSQL now (from the fencer or renewer) */
	void *fence_ctx;
	void (*notify)(void *ctx); /* leadership or lease changed: wake the HA loop */
	void *notify_ctx;
	lease_fs_post_fn *fs_post; /* NULL: no failsafe rounds */
	void *fs_post_ctx;
	struct clocksrc *clock; /* NULL: the real clock */
	thread_spawn_fn *spawn; /* NULL: thread_start (tests inject failures here) */
};

/* lease_timing: the keeper's periods, deadlines and timeouts for a TTL (docs/agent.md). */
struct lease_timing {
	int64_t renew_ms;     /* leader renewal period */
	int64_t follow_ms;    /* follower renewal period */
	int64_t retry_ms;     /* pause after a failed renewal */
	int64_t margin_ms;    /* fence this long before the lease could expire */
	int64_t request_ms;   /* one attempt of the keeper's etcd client */
	int64_t hedge_ms;     /* the next etcd member is asked when one has not answered */
	int64_t op_ms;        /* one call of the keeper's etcd client, across members */
	int64_t fs_start_ms;  /* failsafe rounds begin this long after the last renewal */
	int64_t fs_period_ms; /* one round every */
	int64_t fs_post_ms;   /* a member's answer to a round must come within */
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

/*
 * What the HA loop tells the keeper after each cycle that had a current view of etcd
 * (and never otherwise: cut off from etcd, the keeper keeps what it last knew).
 */
struct lease_failsafe {
	bool mode;                   /* failsafe_mode is on */
	bool usable;                 /* the failsafe list confirmed in etcd names this node */
	struct dcs_failsafe targets; /* every member a round must hear from (self excluded) */
	char body[1024];             /* the POST /failsafe body */
	bool retake_ok;              /* a vanished leader key may be taken back: our timeline is the
	                                cluster's and no failover request names another member */
};
void lease_keeper_set_failsafe(struct lease_keeper *lk, const struct lease_failsafe *fs);

/* The failsafe rounds so far, for /metrics. */
struct lease_fs_stats {
	uint64_t confirmed; /* every member accepted */
	uint64_t refused;   /* some member refused or did not answer in time */
	uint64_t late;      /* every member accepted, but after the deadline (not counted) */
};
void lease_fs_stats(struct lease_keeper *lk, struct lease_fs_stats *out);

/* lease_id: the current etcd lease (0 until granted). Member keys are written on it. */
int64_t lease_id(struct lease_keeper *lk);
/* lease_state: held and the deadlines, as the decision core reads them. */
struct ha_lease lease_state(struct lease_keeper *lk);

/*
 * lease_acquire: takes a free leader key (create-if-absent, with the failsafe key still
 * at failsafe_rev when >= 0, see dcs_leader_acquire), or re-attaches it to our lease
 * when it still carries our name (agent restart). On success the keeper starts
 * renewing it and arms the fencer. DCS_CAS_ERROR, without touching etcd, from a keeper
 * that is not ready.
 */
enum dcs_cas lease_acquire(struct lease_keeper *lk, bool key_carries_our_name,
                           int64_t failsafe_rev);
/* lease_release: deletes the leader key if it is ours; disarms the fencer first. */
enum dcs_cas lease_release(struct lease_keeper *lk);
/* lease_disarm: stop treating this node as leader without touching etcd (demoted). */
void lease_disarm(struct lease_keeper *lk);

#endif
