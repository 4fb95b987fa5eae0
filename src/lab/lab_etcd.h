/*
 * lab_etcd.h: the lab's three etcd members: their command lines and the wait until
 * the cluster answers.
 *
 * Settings: heartbeat 100 ms and election timeout 1000 ms (loopback: elections in about
 * a second), periodic auto-compaction every hour and a modest snapshot count, so that
 * a long-running lab neither grows without bound nor needs operator care. The initial
 * cluster token includes scope and base port so that members of two labs never join.
 * Restarting a member with the same arguments reuses its data directory (etcd ignores
 * --initial-cluster-state for an existing member).
 *
 * Security: with TLS (the default) clients and peers speak https with the lab's etcd
 * certificate, peers must show a certificate of the lab's CA, and clients log in as an
 * etcd user (lab_etcd_auth_enable): etcd's user names travel inside the requests, so
 * they work through the JSON gateway that pgha and Patroni use, where the name in a
 * client certificate would be lost.
 */
#ifndef PGHA_LAB_LAB_ETCD_H
#define PGHA_LAB_LAB_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lab/lab_cluster.h"
#include "lab/lab_secrets.h"
#include "util/compiler.h"

/* lab_etcd_argv: owned, NULL-terminated argv for member i (0-based); free with lab_argv_free. */
char **lab_etcd_argv(const struct lab_cluster *c, int i);
void lab_argv_free(char **argv);
/* lab_etcd_marker: the argument that identifies member i's process ("--data-dir=..."). */
bool lab_etcd_marker(const struct lab_cluster *c, int i, char *out, size_t size) MUST_CHECK;
/* lab_etcd_data_dir: DIR/etcd/e<i+1>. */
bool lab_etcd_data_dir(const struct lab_cluster *c, int i, char *out, size_t size) MUST_CHECK;
/*
 * lab_etcd_wait_healthy: polls every member's GET /health until all three answer
 * healthy or deadline_ms (CLOCK_BOOTTIME) passes. pids[i] > 0 are watched: a member
 * that exits fails the wait at once. False with err naming what is missing.
 */
bool lab_etcd_wait_healthy(const struct lab_cluster *c, const pid_t *pids, int64_t deadline_ms,
                           char *err, size_t errlen) MUST_CHECK;
/*
 * lab_etcd_auth_enable: the users root (etcd's administrator: used for this alone) and
 * pgha (read and write under the lab's namespace: agents, router, tools, patronictl),
 * with s's passwords, then authentication on. Nothing to do when it is on already
 * (root can log in). Blocks a few seconds at most; false with err set.
 */
bool lab_etcd_auth_enable(const struct lab_cluster *c, const struct lab_secrets *s, char *err,
                          size_t errlen) MUST_CHECK;

#endif
