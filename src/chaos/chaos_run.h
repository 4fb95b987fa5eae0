/*
 * chaos_run.h: one chaos run, start to end: wait for a healthy cluster (leader, every
 * other node streaming, the sync key naming a standby), start the observer, the
 * one-writer probe and the writer, warm up, inject the fault on the leader, wait for
 * the first acknowledged write, bring the victim back (unless --no-restart) and wait
 * for the cluster to heal, then verify every acknowledged id on the new primary.
 *
 * Prints the report on stdout (timeline or JSON) and progress and errors on stderr.
 */
#ifndef PGHA_CHAOS_CHAOS_RUN_H
#define PGHA_CHAOS_CHAOS_RUN_H

#include "chaos/chaos_args.h"
#include "client/client.h"
#include "lab/lab.h"

enum chaos_outcome {
	CHAOS_PASSED = 0, /* nothing acknowledged was lost, one writer, the cluster healed */
	CHAOS_FAILED,     /* a check failed, or the run could not be carried out */
	CHAOS_NOT_A_LAB,  /* the directory lacks what `pgha up` writes (client files) */
	CHAOS_NO_ETCD     /* the cluster could not be followed in etcd */
};

/*
 * chaos_run: the run on lab c, reached as cl (lab_client). Blocks for the whole run.
 */
enum chaos_outcome chaos_run(const struct chaos_args *a, const struct lab_cluster *c,
                             const struct client *cl);

#endif
