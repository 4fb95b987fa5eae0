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
#include "cli/ops_ctx.h"

/* chaos_run: returns the exit status (cli.h's EXIT_*). Blocks for the whole run. */
int chaos_run(const struct chaos_args *a, const struct ops_ctx *ctx);

#endif
