/*
 * lab_down.h: `pgha down`: stop every process of a local cluster, by pid, and remove
 * its directory unless asked to keep it.
 *
 * Order: the router first (clients get a clean close, not a hold that ends in errors
 * while the cluster goes away), then the agents of the replicas, then the leader's (so
 * that no replica takes over while the leader stops and the leader keeps its key to the
 * end; the leader is recorded for the next `pgha up`), then any PostgreSQL that
 * outlived its agent, then the etcd members. SIGTERM, then SIGKILL after the timeout. A directory
 * without cluster.json is never touched.
 *
 * Prints what it stopped on stdout, problems on stderr.
 */
#ifndef PGHA_LAB_LAB_DOWN_H
#define PGHA_LAB_LAB_DOWN_H

#include "lab/lab_opts.h"

enum lab_down_result {
	LAB_DOWN_OK = 0, /* everything stopped (and the directory removed unless --keep) */
	LAB_DOWN_FAILED, /* something could not be stopped or removed */
	LAB_DOWN_USAGE   /* not a lab directory, or an unreadable cluster.json */
};

/* lab_down_run: does it all. Blocks up to about twice the timeout per group. */
enum lab_down_result lab_down_run(const struct lab_down_opts *o);

#endif
