/*
 * chaos_net.h: network partitions of a lab with nftables, by cgroup. Every process of a
 * lab runs in a cgroup of its own (lab.h, lab_cgroup), so "node1's sockets" and
 * "etcd's sockets" are names nftables knows (`socket cgroupv2`), for connections opened
 * before the cut as much as for new ones. One table per lab (lab_chaos_table), two
 * chains:
 *
 *   output: the sending socket's cgroup sets a mark (the victim's, or one per other side);
 *   input:  a packet marked by the victim whose receiving socket is on another side is
 *           dropped, and so is a packet marked by another side arriving at the victim.
 *
 * Packets are dropped, never rejected: a real partition is silent. Processes in no cgroup
 * of the lab (pgha chaos itself: its writers and probes, psql, an application) are in no
 * rule: they reach every node. Loading the table is the cut (one nft transaction),
 * deleting it the heal.
 *
 * chaos_net_ruleset is pure; chaos_net_plan reads the lab and the system.
 */
#ifndef PGHA_CHAOS_CHAOS_NET_H
#define PGHA_CHAOS_CHAOS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include "chaos/chaos_args.h"
#include "lab/lab.h"
#include "util/buf.h"
#include "util/compiler.h"

#define CHAOS_NET_MAX_SIDES (LAB_MAX_NODES + 2)
#define CHAOS_NET_PATH_LEN  256
#define CHAOS_NET_FAMILY    "inet"

/* One cgroup as nftables names it. */
struct chaos_net_group {
	char path[CHAOS_NET_PATH_LEN]; /* relative to /sys/fs/cgroup ("unified/pgha-P/node1") */
	int level;                     /* its depth in the cgroup v2 tree */
};

/* A cut: the victim's cgroup on one side, every group in others on the other. */
struct chaos_net_cut {
	char table[64];
	struct chaos_net_group victim;
	struct chaos_net_group others[CHAOS_NET_MAX_SIDES];
	int n_others;
};

/* chaos_net_ruleset: the cut as an nft file (one table, both chains). Pure. */
void chaos_net_ruleset(const struct chaos_net_cut *cut, struct buf *out);
/*
 * chaos_net_plan: the cut of a partition scenario on lab c, victim the leader's node:
 * partition-primary-etcd cuts the node from the etcd members; partition-primary from
 * the etcd members, the other nodes and the router. False with err set when it cannot
 * be done here: not root, no nft, no cgroup v2 under /sys/fs/cgroup, or the lab's
 * processes not in their cgroups.
 */
bool chaos_net_plan(const struct lab_cluster *c, enum chaos_scenario s, const char *victim,
                    struct chaos_net_cut *cut, char *err, size_t errlen) MUST_CHECK;

#endif
