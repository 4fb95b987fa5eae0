/*
 * chaos_observe.h: what the cluster does during a chaos run, as events and as a
 * current picture. Two threads, three for the etcd scenarios: one follows the DCS
 * through the watch cache (the leader key going and coming, the sync key), waking on
 * every change; one polls every node's REST GET /patroni every CHAOS_OBSERVE_REST_MS
 * (role, state, timeline, replication_state, failsafe_mode_is_active: fields Patroni
 * has too, so a Patroni cluster can be observed); one asks etcd every
 * CHAOS_OBSERVE_ETCD_MS which member leads its raft group (chaos_etcd.h).
 *
 * Events are added to the timeline, and leader changes counted, only while armed
 * (after the fault). A leader change is the leader key's value changing: the key
 * vanishing and coming back with the same holder (a lease etcd revoked, re-taken) is
 * none.
 */
#ifndef PGHA_CHAOS_CHAOS_OBSERVE_H
#define PGHA_CHAOS_CHAOS_OBSERVE_H

#include <stdbool.h>
#include "chaos/chaos_timeline.h"
#include "dcs/dcs.h"
#include "chaos/chaos_target.h"

#define CHAOS_OBSERVE_REST_MS 100
#define CHAOS_OBSERVE_ETCD_MS 200

/* One node as its REST API last described it. */
struct chaos_node_obs {
	char name[DCS_NAME_LEN];
	bool answered;              /* the last GET /patroni answered 200 with JSON */
	char role[16];              /* "primary" (Patroni's "master" too), "replica"... */
	char state[32];             /* "running", "starting", "rewinding"... */
	int timeline;               /* 0 if not reported */
	int max_timeline;           /* the highest timeline it ever reported */
	bool has_replication_state; /* the field was there (pgha; newer Patroni) */
	bool streaming;             /* replication_state == "streaming" */
	bool seen_rewinding;        /* state "rewinding" seen while armed */
	bool seen_recloning;        /* state "creating replica" seen while armed */
	bool failsafe_active;       /* failsafe_mode_is_active: true */
};

/* The cluster as last observed. */
struct chaos_cluster_obs {
	bool dcs_ok;                     /* the DCS view is current */
	bool has_leader;                 /* the leader key exists */
	char leader[DCS_NAME_LEN];       /* its value */
	bool has_sync;                   /* the sync key exists */
	char sync_leader[DCS_NAME_LEN];  /* sync.leader */
	char sync_standby[DCS_NAME_LEN]; /* the first sync.sync_standby, "" if none */
	int leader_changes;              /* leader key changes of holder while armed */
	int64_t failsafe_us;             /* while armed, time some node reported failsafe */
	int etcd_leader;                 /* etcd's raft leader (endpoint index), -1 unknown */
	int etcd_leader_changes;         /* changes of etcd's raft leader while armed */
	int n;                           /* the target's nodes */
	struct chaos_node_obs nodes[CHAOS_MAX_NODES];
};

struct chaos_observer;

/*
 * chaos_observe_start: starts the threads for t's nodes (and etcd's raft when
 * watch_etcd). d is borrowed (a client with the watch running) and must outlive the
 * observer; t and tl too. Owned; NULL on failure.
 */
struct chaos_observer *chaos_observe_start(struct dcs *d, const struct chaos_target *t,
                                           struct chaos_timeline *tl, bool watch_etcd);
/* chaos_observe_arm: from now on, changes are events (and the seen_* marks reset). */
void chaos_observe_arm(struct chaos_observer *o);
/* chaos_observe_get: the current picture. */
void chaos_observe_get(struct chaos_observer *o, struct chaos_cluster_obs *out);
/* chaos_observe_stop: stops and joins the threads, frees o. NULL is a no-op. */
void chaos_observe_stop(struct chaos_observer *o);

#endif
