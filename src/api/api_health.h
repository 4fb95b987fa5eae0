/*
 * api_health.h: Patroni 4.x health-check semantics as pure functions of a
 * snapshot, the request and the time (Patroni's rules, docs/patroni.md).
 *
 * api_facts_derive() computes once what Patroni's get_postgresql_status() would
 * report (shown state and role, leadership, sync membership...); the status rules
 * and the /patroni body both read those facts, so they can never disagree.
 * No I/O, no clock, no logging: everything is passed in.
 */
#ifndef PGHA_API_API_HEALTH_H
#define PGHA_API_API_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include "api/api_snapshot.h"

/* One query-string argument; value is "" for "?key". Borrowed strings. */
struct api_query_arg {
	const char *key;
	const char *value;
};

struct api_query {
	const struct api_query_arg *args;
	int n;
};

/* api_query_get: the first value of key (as Patroni's parse_qs(...)[0]), or NULL. */
const char *api_query_get(const struct api_query *q, const char *key);

/* What this node reports about itself, as Patroni's /patroni does. */
struct api_facts {
	const char *state;      /* snapshot state; "unknown" if running but SQL failed */
	const char *role;       /* from pg_is_in_recovery() when SQL works, else the
	                           agent's role (primary, replica, demoted...) */
	bool sql_ok;            /* PostgreSQL answered: xlog, timeline... are known */
	bool is_primary;        /* role == primary (or master) */
	bool is_replica;        /* role == replica */
	bool is_leader;         /* holds a lock that has not expired at now_ms */
	bool dcs_available;     /* a current DCS view ("cluster" in Patroni) */
	bool cluster_unlocked;  /* no DCS view, or nobody holds the leader key */
	bool is_sync;           /* replica listed in the sync key, sync mode on */
	bool failsafe_active;   /* failsafe_mode is carrying this node at now_ms */
	bool streaming;         /* replica whose WAL receiver is streaming */
	uint64_t received_lsn;  /* replica: received (or replayed) position */
	uint64_t replayed_lsn;  /* replica: replayed position */
	uint64_t leader_optime; /* max(status.optime if DCS, received position) */
};

/* api_facts_derive: facts of s at now_ms (CLOCK_BOOTTIME ms, for lock freshness). */
void api_facts_derive(const struct api_snapshot *s, int64_t now_ms, struct api_facts *f);

/*
 * api_health_status: 200 or 503 for a request to the generic health handler:
 * path without query ("/" means /primary), q its arguments (lag, tag_*,
 * replication_state). Paths no rule matches are 503.
 */
int api_health_status(const struct api_snapshot *s, const struct api_facts *f, const char *path,
                      const struct api_query *q);
/* api_liveness_status: /liveness: 200 while paused or the HA loop is on time. */
int api_liveness_status(const struct api_snapshot *s, int64_t now_ms);
/* api_readiness_status: /readiness[?lag=&mode=apply|write] (Patroni 4.x). */
int api_readiness_status(const struct api_snapshot *s, const struct api_facts *f,
                         const struct api_query *q);

#endif
