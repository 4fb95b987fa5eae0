/*
 * chaos_run.h: one chaos run, start to end: wait for a healthy cluster (leader, every
 * other node streaming, the sync key naming a standby), check that the fault can be
 * carried out, start the observer, the one-writer probe and the writer (and, for a
 * partition, a writer connected straight to the primary), warm up, inject the fault,
 * heal it after its duration, wait for the first acknowledged write, bring the victim
 * back (unless --no-restart) and wait for the cluster to heal, then verify every
 * acknowledged id on the new primary.
 *
 * Progress and errors go to stderr; the outcome into a chaos_result for the caller to
 * print (chaos_report.h). SIGINT, SIGTERM and SIGHUP heal the fault and end the run
 * early (chaos_guard.h).
 */
#ifndef PGHA_CHAOS_CHAOS_RUN_H
#define PGHA_CHAOS_CHAOS_RUN_H

#include "chaos/chaos_args.h"
#include "chaos/chaos_report.h"
#include "chaos/chaos_target.h"

enum chaos_outcome {
	CHAOS_PASSED = 0, /* nothing acknowledged was lost, one writer, the cluster healed */
	CHAOS_FAILED,     /* a check failed, or the run could not be carried out */
	CHAOS_CANNOT,     /* the fault cannot be carried out here (said on stderr) */
	CHAOS_NO_ETCD,    /* the cluster could not be followed in etcd */
	CHAOS_INTERRUPTED /* a signal ended it; the fault was healed, res is reported */
};

/*
 * chaos_run: the run on target t. Blocks for the whole run. res is always initialised
 * and judged; res->t0_us > 0 when the fault was injected, and then there is a report to
 * print. chaos_result_free it in every case.
 */
enum chaos_outcome chaos_run(const struct chaos_args *a, const struct chaos_target *t,
                             struct chaos_result *res);

#endif
