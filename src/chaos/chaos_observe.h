/*
 * chaos_observe.h: what the cluster does during a chaos run, as events and as a
 * current picture. Two threads: one follows the DCS through the watch cache (the
 * leader key going and coming, the sync key), waking on every change; one polls
 * every node's REST GET /patroni every CHAOS_OBSERVE_REST_MS (role, state, timeline,
 * replication_state: fields Patroni has too, so a Patroni cluster can be observed).
 *
 * Events are added to the timeline only while armed (after the fault).
 */
#ifndef PGHA_CHAOS_CHAOS_OBSERVE_H
#define PGHA_CHAOS_CHAOS_OBSERVE_H

#include <stdbool.h>
#include "chaos/chaos_timeline.h"
#include "dcs/dcs.h"
#include "lab/lab.h"

#define CHAOS_OBSERVE_REST_MS 100

/* One node as its REST API last described it. */
struct chaos_node_obs {
	char name[LAB_NAME_LEN];
	bool answered;              /* the last GET /patroni answered 200 with JSON */
	char role[16];              /* "primary" (Patroni's "master" too), "replica"... */
	char state[32];             /* "running", "starting", "rewinding"... */
	int timeline;               /* 0 if not reported */
	int max_timeline;           /* the highest timeline it ever reported */
	bool has_replication_state; /* the field was there (pgha; newer Patroni) */
	bool streaming;             /* replication_state == "streaming" */
	bool seen_rewinding;        /* state "rewinding" seen while armed */
	bool seen_recloning;        /* state "creating replica" seen while armed */
};

/* The cluster as last observed. */
struct chaos_cluster_obs {
	bool dcs_ok;                     /* the DCS view is current */
	bool has_leader;                 /* the leader key exists */
	char leader[DCS_NAME_LEN];       /* its value */
	bool has_sync;                   /* the sync key exists */
	char sync_leader[DCS_NAME_LEN];  /* sync.leader */
	char sync_standby[DCS_NAME_LEN]; /* the first sync.sync_standby, "" if none */
	int n;                           /* the plan's nodes */
	struct chaos_node_obs nodes[LAB_MAX_NODES];
};

struct chaos_observer;

/*
 * chaos_observe_start: starts both threads for c's nodes. d is borrowed (a client with
 * the watch running) and must outlive the observer; tl too. Owned; NULL on failure.
 */
struct chaos_observer *chaos_observe_start(struct dcs *d, const struct lab_cluster *c,
                                           struct chaos_timeline *tl);
/* chaos_observe_arm: from now on, changes are events (and the seen_* marks reset). */
void chaos_observe_arm(struct chaos_observer *o);
/* chaos_observe_get: the current picture. */
void chaos_observe_get(struct chaos_observer *o, struct chaos_cluster_obs *out);
/* chaos_observe_stop: stops and joins the threads, frees o. NULL is a no-op. */
void chaos_observe_stop(struct chaos_observer *o);

#endif
