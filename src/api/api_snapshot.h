/*
 * api_snapshot.h: the agent's state as the REST API shows it.
 *
 * The HA loop publishes a new snapshot after every cycle (and on every state change);
 * the REST threads read copies of it. The health rules (Patroni's semantics for
 * /primary, /replica, /health...) are pure functions of a snapshot plus the request,
 * so they are unit-tested without a socket.
 */
#ifndef PGHA_API_API_SNAPSHOT_H
#define PGHA_API_API_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs_types.h"
#include "pg/pg_types.h"

struct api_snapshot {
	char name[DCS_NAME_LEN]; /* this member */
	char scope[DCS_NAME_LEN];
	char version[16]; /* pgha version, also reported as Patroni's "version" */

	/* Configuration that the health rules need. */
	int ttl_s;
	int loop_wait_s;
	int64_t maximum_lag_on_failover;
	bool synchronous_mode;
	bool pause;
	char *tags_json; /* owned: configured tags as a JSON object text, or NULL */
	bool noloadbalance;
	bool nofailover;
	int failover_priority;

	/* PostgreSQL. */
	char state[32];           /* Patroni state: running, starting, stopped, crashed,
	                             creating replica, initializing new cluster, ... */
	char role[32];            /* primary, replica, demoted, uninitialized */
	struct pg_observation pg; /* last observation (valid fields per pg.connected) */

	/* HA. */
	bool holds_leader;             /* we hold the leader key per our last renewal */
	int64_t leader_valid_until_ms; /* CLOCK_BOOTTIME ms; /primary is 200 only before it */
	bool dcs_ok;                   /* the last DCS operation or watch read succeeded */
	int64_t dcs_last_seen_s;       /* epoch seconds of the last successful DCS contact */
	int64_t next_cycle_ms;         /* CLOCK_BOOTTIME ms the HA loop is due to run next */
	int64_t now_ms;                /* CLOCK_BOOTTIME ms the snapshot was taken */
	int64_t wall_ms;               /* epoch ms the snapshot was taken (archive ages) */
	bool pending_restart;
	char last_reason[160]; /* why the last role decision was taken */

	/* failsafe_mode (docs/agent.md, "Failsafe mode"). */
	bool failsafe_mode;          /* on in the dynamic configuration */
	int64_t failsafe_until_ms;   /* CLOCK_BOOTTIME ms: active until then (a primary
	                                whose deadline rests on a failsafe round, or a
	                                replica's window); 0 = not active */
	uint64_t failsafe_confirmed; /* the primary's rounds that every member accepted */
	uint64_t failsafe_failed;    /* rounds refused, unanswered or late */
	struct dcs_view view;        /* owned: the DCS view of the last cycle */
};

/* api_snapshot_free: releases the owned parts (tags_json, view). */
void api_snapshot_free(struct api_snapshot *s);
/* api_snapshot_copy: deep copy (dst must not hold owned data). */
void api_snapshot_copy(struct api_snapshot *dst, const struct api_snapshot *src);

#endif
