/*
 * dcs_mem.h: an etcd cluster in memory, for the unit tests of what runs on the DCS
 * (the lease keeper, the HA loop's apply steps, the REST API's operations) and of
 * failure sequences: etcd unreachable from one member, a slow path to etcd, quorum lost.
 *
 * It keeps etcd v3's model as the DCS client (dcs.c) uses it: keys with create and mod
 * revisions, leases whose TTL counts on a clocksrc (simulated in tests) and that expire
 * by themselves (a lessor thread, as in etcd), transactions with compares, and for a
 * watching client a copy of the prefix that wakes it on every change. A client is
 * opened with dcs_open() and dcs_options.mem set: the very client the agent runs.
 *
 * Faults, per member (every client opened with that member_name; tools are ""):
 *  - unreachable: its requests time out (after the client's op timeout, unapplied) and
 *    its watched copy stops following at once, going invalid max_age later as etcd's
 *    does (a real watch may notice a silent cut only after its check interval);
 *  - latency: each request takes that long on the clock and is applied at its end; one
 *    longer than the op timeout fails after the timeout, unapplied;
 *  - fail_next: its next n requests fail at once (etcd answered an error);
 * and for the whole cluster:
 *  - quorum lost: requests fail at once ("no leader") and leases stop counting; when
 *    quorum returns, every lease gets its full TTL plus an election timeout again, as
 *    etcd's new leader gives them (lessor Promote); or, with dcs_mem_revoke_all, every
 *    lease is gone (the old leader resumed and revoked them);
 *  - failing opens: the next n dcs_open() of this cluster fail.
 * Thread-safe. Failures are logged as the etcd client logs them.
 */
#ifndef PGHA_DCS_DCS_MEM_H
#define PGHA_DCS_DCS_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"

struct dcs_mem;
struct clocksrc;

#define DCS_MEM_MIN_TTL_S   2   /* etcd's minimum lease TTL with its default timings */
#define DCS_MEM_ELECTION_MS 500 /* the election timeout pgha runs etcd with */

/* dcs_mem_new: an empty cluster whose leases count on clock (NULL: the real clock). */
struct dcs_mem *dcs_mem_new(struct clocksrc *clock);
/* dcs_mem_free: stops the lessor; every client must be closed first. NULL is fine. */
void dcs_mem_free(struct dcs_mem *m);

/* --- faults ------------------------------------------------------------------------- */

void dcs_mem_set_reachable(struct dcs_mem *m, const char *member, bool reachable);
void dcs_mem_set_latency(struct dcs_mem *m, const char *member, int64_t latency_ms);
void dcs_mem_fail_next(struct dcs_mem *m, const char *member, int n);
void dcs_mem_set_quorum(struct dcs_mem *m, bool has_quorum);
void dcs_mem_fail_opens(struct dcs_mem *m, int n);
/*
 * dcs_mem_revoke_all: every lease and the keys on it go at once, as etcd 3.4 does when a
 * raft leader frozen past the leases' TTL resumes (its lessor revokes them all before
 * anyone can renew): the leader key and every member key vanish.
 */
void dcs_mem_revoke_all(struct dcs_mem *m);

/* --- what a test sees and does behind the clients' backs ------------------------------ */

/* dcs_mem_get: the value (owned: free it) and lease of a full key; false if absent. */
bool dcs_mem_get(struct dcs_mem *m, const char *key, char **value, int64_t *lease) MUST_CHECK;
/* dcs_mem_put: a plain put, as another node or an operator would make; false if the
 * lease is unknown. dcs_mem_delete: deletes key (true if it existed). */
bool dcs_mem_put(struct dcs_mem *m, const char *key, const char *value, int64_t lease);
bool dcs_mem_delete(struct dcs_mem *m, const char *key);
/* dcs_mem_lease_expiry: when lease expires, on the cluster's clock; 0 if it is gone. */
int64_t dcs_mem_lease_expiry(struct dcs_mem *m, int64_t lease);

/* Per member request counters. */
struct dcs_mem_stats {
	int64_t requests;          /* every request, failed ones included */
	int64_t failed;            /* requests that failed (faults) */
	int64_t keepalives;        /* lease keepalives applied */
	int64_t last_keepalive_ms; /* when the last one was applied, on the clock */
};
void dcs_mem_stats(struct dcs_mem *m, const char *member, struct dcs_mem_stats *out);

#endif
