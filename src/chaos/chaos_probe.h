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
#include "chaos/chaos_target.h"

#define CHAOS_PROBE_PERIOD_MS 100

/* One probe attempt. */
struct chaos_sample {
	int node;          /* index into the target's nodes */
	int64_t t_sent_us; /* clock_now_us() when the INSERT was sent (or the attempt began) */
	int64_t t_us;      /* clock_now_us() when the answer came (or the attempt gave up) */
	bool acked;        /* a commit on a node not in recovery was acknowledged */
};

struct chaos_probe;

/*
 * chaos_probe_start: one thread per node of t, each on its node's direct conninfo
 * (copied). Owned; NULL if a thread could not start.
 */
struct chaos_probe *chaos_probe_start(const struct chaos_target *t);
/* chaos_probe_stop: stops and joins the threads. */
void chaos_probe_stop(struct chaos_probe *p);
/* chaos_probe_samples: every sample so far in arrival order (after stop). Borrowed. */
const struct chaos_sample *chaos_probe_samples(const struct chaos_probe *p, int *n);
/* chaos_probe_free: stops it if need be, and frees it. NULL is a no-op. */
void chaos_probe_free(struct chaos_probe *p);

#endif
