/*
 * lab_up.h: `pgha up`: create (or restart) a complete local cluster in one directory
 * and wait until it is healthy.
 *
 * Fresh directory: check the options, binaries, OS user and every planned port, write
 * the layout (cluster.json, secrets, agent.yml per node, router.yml, pg_service.conf,
 * pgpass, patronictl.yml), validate the agents' and the router's files with their
 * `--check`, start 3 etcd members, wait for them, start the agents, then the router,
 * wait for one leader and N-1 streaming replicas, then for the router: /health 200 and
 * a `service=rw` session through it landing on the leader. Existing lab: start only
 * what is not running (after `pgha down --keep`, the former leader first). Everything
 * is started detached, by pid, as the lab's OS user; PostgreSQL and PgBouncer are
 * started by each agent, never here.
 *
 * Prints its progress on stdout and what failed (with the log paths) on stderr. A
 * cluster that does not become healthy is left running for inspection.
 */
#ifndef PGHA_LAB_LAB_UP_H
#define PGHA_LAB_LAB_UP_H

#include "lab/lab_cluster.h"
#include "lab/lab_opts.h"

enum lab_up_result {
	LAB_UP_STARTED = 0,     /* healthy now */
	LAB_UP_ALREADY_RUNNING, /* everything was already running; nothing done */
	LAB_UP_FAILED,          /* started something that did not become healthy, or could not */
	LAB_UP_USAGE            /* bad options or a directory that is not (or not like) this lab */
};

/* lab_up_run: does it all; c gets the lab (for the caller to list it). Blocks. */
enum lab_up_result lab_up_run(const struct lab_up_opts *o, struct lab_cluster *c);

#endif
