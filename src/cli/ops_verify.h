/*
 * ops_verify.h: the verdict of `pgha verify`: the nine scenarios a highly available
 * PostgreSQL is expected to pass (those the original system's scripts tested), each
 * PASS or FAIL with a time and a one-line detail, judged from what was observed:
 *
 *   etcd quorum            every etcd endpoint's /health, and a linearizable read
 *   primary election       one leader key, its member answers /primary 200, no other does
 *   streaming replication  every replica streaming (and a row written on the primary
 *                          replayed on each: ops_verify_replay)
 *   health endpoints       /primary 200 only on the leader, /replica 200 only elsewhere
 *   read-write/read-only   a session through the read-write port lands on the leader,
 *                          one through the read-only port on a replica
 *   automatic failover     the primary's host lost under a write load (pgha chaos):
 *                          another member leads and writes are acknowledged again
 *   zero data loss         every acknowledged write of that run is on the new primary
 *   old primary rejoins    the lost host comes back as a replica of the new timeline
 *                          (with pg_rewind, when it had diverged)
 *   PgBouncer everywhere   each member's pooler runs a query on that member
 *
 * Pure: the functions fill and render; the observing is cmd_verify.c's.
 */
#ifndef PGHA_CLI_OPS_VERIFY_H
#define PGHA_CLI_OPS_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include "chaos/chaos_report.h"
#include "cli/ops_health.h"
#include "util/buf.h"

enum ops_verify_check {
	VERIFY_ETCD_QUORUM = 0,
	VERIFY_ELECTION,
	VERIFY_REPLICATION,
	VERIFY_HEALTH_ENDPOINTS,
	VERIFY_PORTS,
	VERIFY_FAILOVER,
	VERIFY_NO_LOSS,
	VERIFY_REJOIN,
	VERIFY_POOLERS,
	VERIFY__COUNT
};

struct ops_verify_row {
	bool done;              /* judged (a row never judged fails: "not run") */
	enum ops_status status; /* OPS_PASS or OPS_FAIL */
	double seconds;         /* what the check measured or took; < 0: none */
	char detail[OPS_DETAIL_LEN];
};

struct ops_verify {
	struct ops_verify_row rows[VERIFY__COUNT];
};

/* ops_verify_name: "etcd quorum"... */
const char *ops_verify_name(enum ops_verify_check c);
/*
 * ops_verify_from_health: the rows that one pass of `pgha health` answers (etcd quorum,
 * election, the replicas' half of replication, health endpoints, ports, poolers), each
 * taking `seconds`, the time of that pass.
 */
void ops_verify_from_health(const struct ops_health_input *in, const struct ops_health *h,
                            double seconds, struct ops_verify *v);
/*
 * ops_verify_replay: the other half of replication: a row written on the leader was
 * (ok) or was not replayed on every replica within seconds; detail says which not.
 */
void ops_verify_replay(bool ok, double seconds, const char *detail, struct ops_verify *v);
/* ops_verify_from_chaos: failover, zero data loss and rejoin from a kill-primary run. */
void ops_verify_from_chaos(const struct chaos_result *r, struct ops_verify *v);
/* ops_verify_skip_failover: failover, zero data loss and rejoin FAIL with why. */
void ops_verify_skip_failover(struct ops_verify *v, const char *why);
/* ops_verify_passed: how many rows passed (all nine: the cluster passed). */
int ops_verify_passed(const struct ops_verify *v);
/* ops_verify_text: the table ("PASS  etcd quorum   0.02 s  3/3 endpoints...") and a total. */
void ops_verify_text(const struct ops_verify *v, struct buf *out);
/* ops_verify_json: {"passed": bool, "passed_checks": n, "checks": [{name, status, seconds,
 * detail}]}. Owned. */
json_t *ops_verify_json(const struct ops_verify *v);

#endif
