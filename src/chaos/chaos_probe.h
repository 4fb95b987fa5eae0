/*
 * chaos_probe.h: the one-writer check. One thread per node connects DIRECTLY to that
 * node's PostgreSQL every CHAOS_PROBE_PERIOD_MS (a fresh, short-lived session as the
 * lab's superuser) and, when pg_is_in_recovery() is false, commits one row to
 * chaos_probe with a short statement_timeout. Each attempt is a sample: acknowledged
 * or not (standby, error, no answer). Synchronous commit stays on, so an old primary
 * whose synchronous standby has moved on cannot acknowledge: a probe ack is a commit
 * a client would have been told is durable.
 *
 * chaos_verify.h judges the samples (two nodes acknowledging in overlapping windows).
 */
#ifndef PGHA_CHAOS_CHAOS_PROBE_H
#define PGHA_CHAOS_CHAOS_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include "lab/lab.h"

#define CHAOS_PROBE_PERIOD_MS 100

struct chaos_probe_node {
	char name[LAB_NAME_LEN];
	int pg_port; /* on 127.0.0.1 */
};

/* One probe attempt. */
struct chaos_sample {
	int node;          /* index into the nodes given to chaos_probe_start */
	int64_t t_sent_us; /* clock_now_us() when the INSERT was sent (or the attempt began) */
	int64_t t_us;      /* clock_now_us() when the answer came (or the attempt gave up) */
	bool acked;        /* a commit on a node not in recovery was acknowledged */
};

struct chaos_probe;

/*
 * chaos_probe_start: one thread per node (n <= LAB_MAX_NODES); user and passfile are
 * copied, tls (conninfo words: sslmode, sslrootcert; "" for none) too. Owned; NULL if a
 * thread could not start.
 */
struct chaos_probe *chaos_probe_start(const struct chaos_probe_node *nodes, int n, const char *user,
                                      const char *passfile, const char *tls);
/* chaos_probe_stop: stops and joins the threads. */
void chaos_probe_stop(struct chaos_probe *p);
/* chaos_probe_samples: every sample so far in arrival order (after stop). Borrowed. */
const struct chaos_sample *chaos_probe_samples(const struct chaos_probe *p, int *n);
/* chaos_probe_free: stops it if need be, and frees it. NULL is a no-op. */
void chaos_probe_free(struct chaos_probe *p);

#endif
