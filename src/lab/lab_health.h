/*
 * lab_health.h: is the local cluster healthy? One leader whose REST /primary answers
 * 200, every other node streaming (member replication_state "streaming" and REST
 * /replica 200) and, in synchronous mode with a standby to choose, the sync key naming
 * one of the leader's: until then no switchover or failover can be carried out (a
 * switchover asked for waits for it). Judged from one DCS read plus one REST probe per
 * node.
 *
 * lab_health_eval is pure (unit-tested with canned views); lab_health_wait does the
 * polling: DCS reads (dcs.h), REST probes (http.h), agent liveness (by pid).
 */
#ifndef PGHA_LAB_LAB_HEALTH_H
#define PGHA_LAB_LAB_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "dcs/dcs_types.h"
#include "lab/lab_cluster.h"
#include "util/buf.h"
#include "util/compiler.h"

#define LAB_HEALTH_POLL_MS 200

struct lab_node_status {
	bool ready;       /* leader: /primary 200; other: streaming and /replica 200 */
	bool is_leader;   /* holds the leader key */
	char what[128];   /* "leader", "streaming", "state 'creating replica'"... */
	int64_t since_ms; /* CLOCK_BOOTTIME ms when `what` last changed (set by the waiter) */
};

struct lab_health {
	struct lab_node_status nodes[LAB_MAX_NODES]; /* in plan order */
	bool has_leader;                             /* a node of the plan holds the key */
	char leader[DCS_NAME_LEN];
	bool sync_ok;                    /* the sync key names a standby, or need not */
	char sync_standby[DCS_NAME_LEN]; /* the first it names, "" if none */
	bool healthy;                    /* leader ready, every other node ready, sync_ok */
};

/* lab_health_probe_path: what to ask node name: "/primary" for the leader, else "/replica". */
const char *lab_health_probe_path(const struct dcs_view *v, const char *name);
/*
 * lab_health_eval: the verdict for the plan's nodes from view and codes[k], the HTTP
 * status node k answered to lab_health_probe_path (0 = no answer). With min_revision
 * (may be NULL), node k's member key counts only if etcd wrote it after revision
 * min_revision[k]: a key left by an agent that was killed outlives it by up to a TTL
 * and must not pass for its restarted successor. Leaves since_ms alone.
 */
void lab_health_eval(const struct lab_plan *p, const struct dcs_view *v, const long *codes,
                     const int64_t *min_revision, struct lab_health *h);

/* What lab_health_wait waits for. */
struct lab_wait {
	int64_t deadline_ms;         /* CLOCK_BOOTTIME */
	const char *only_leader;     /* non-NULL: only until this node leads (restart order) */
	const pid_t *agent_pids;     /* per plan node; > 0 are watched: an exit fails the wait */
	const int64_t *min_revision; /* per plan node, see lab_health_eval; NULL = none */
	FILE *progress;              /* status changes are printed here; NULL = quiet */
};

/*
 * lab_health_wait: polls every LAB_HEALTH_POLL_MS until the condition holds (true) or
 * the deadline passes or an agent exits (false). why gets, on failure, one line per
 * missing piece ("node3: state 'creating replica' for 40 s"); last (if not NULL) the
 * last verdict. Blocks.
 */
bool lab_health_wait(const struct lab_cluster *c, const struct lab_wait *w, struct buf *why,
                     struct lab_health *last) MUST_CHECK;

#endif
