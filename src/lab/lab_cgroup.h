/*
 * lab_cgroup.h: the lab's cgroups. `pgha up` starts each process in a cgroup v2 of its
 * own, under one directory per lab named after its base port:
 *
 *   /pgha-P/node1 ... /pgha-P/nodeN   an agent (PostgreSQL and PgBouncer inherit it)
 *   /pgha-P/etcd/etcd1 ... etcd3      the etcd members
 *   /pgha-P/router                    the router
 *
 * No controller is enabled: membership costs nothing and changes nothing. What it gives
 * is a name for every socket of a node, old and new (a socket keeps the cgroup it was
 * created in, an accepted one its listener's), so that `pgha chaos` can cut one node's
 * links with nftables while the clients' connections, and everything else, flow.
 *
 * Needs root and a cgroup2 mount; without them the lab runs as before (no cgroups) and
 * the partition scenarios of `pgha chaos` refuse to run. `pgha down` removes the tree
 * once everything in it has stopped. The public part (lab_cgroup, lab_cgroups_in_place)
 * is in lab.h.
 */
#ifndef PGHA_LAB_LAB_CGROUP_H
#define PGHA_LAB_LAB_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab.h"
#include "util/compiler.h"

/*
 * lab_cgroups_prepare: creates the lab's cgroup tree (existing directories are fine).
 * False with err set when it cannot (not root, no cgroup2, mkdir failed): the lab then
 * starts without cgroups.
 */
bool lab_cgroups_prepare(const struct lab_cluster *c, char *err, size_t errlen) MUST_CHECK;
/*
 * lab_cgroup_dir: the directory (under the cgroup2 mount) to start component name in,
 * when the lab has its cgroup tree; false otherwise (start it where we are).
 */
bool lab_cgroup_dir(const struct lab_cluster *c, const char *name, char *out,
                    size_t size) MUST_CHECK;
/*
 * lab_cgroups_remove: after everything of the lab was stopped: SIGKILL to any process
 * still in the lab's cgroups (they are the lab's by construction: a backend whose
 * postmaster was killed, say), then the tree removed. False (err set) if it remains.
 */
bool lab_cgroups_remove(const struct lab_cluster *c, char *err, size_t errlen) MUST_CHECK;

#endif
