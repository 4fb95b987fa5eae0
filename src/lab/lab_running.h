/*
 * lab_running.h: which of a lab's processes run now, and the command lines that start
 * them (one place knows both, so a process is recognised by the argument it was
 * started with).
 */
#ifndef PGHA_LAB_LAB_RUNNING_H
#define PGHA_LAB_LAB_RUNNING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "lab/lab_cluster.h"
#include "util/compiler.h"

struct lab_running {
	pid_t etcd[LAB_N_ETCD];      /* 0 = not running */
	pid_t agents[LAB_MAX_NODES]; /* in plan order; 0 = not running */
	pid_t router;                /* 0 = not running */
};

/* lab_agent_config: DIR/<node>/agent.yml, also the argument that marks the agent. */
bool lab_agent_config(const struct lab_cluster *c, int k, char *out, size_t size) MUST_CHECK;
/* lab_running_scan: pid files checked against live processes and their command lines. */
void lab_running_scan(const struct lab_cluster *c, struct lab_running *r);
/* lab_running_count: how many of the lab's processes (etcd + agents + router) run. */
int lab_running_count(const struct lab_cluster *c, const struct lab_running *r);
/* lab_running_agents: how many agents run. */
int lab_running_agents(const struct lab_cluster *c, const struct lab_running *r);
/* lab_running_all: every etcd member, every agent and the router run. */
bool lab_running_all(const struct lab_cluster *c, const struct lab_running *r);

/*
 * The leader hint (DIR/run/leader): `pgha down` records which node led when it stopped
 * the agents, and the next `pgha up` starts that node first and lets it take the
 * leader key before the others start, so a full restart keeps the same leader. The
 * hint is removed once the cluster is healthy again: an old hint must never pick a
 * node that has fallen behind a later leader.
 */
bool lab_leader_hint_save(const struct lab_cluster *c, const char *name) MUST_CHECK;
/* lab_leader_hint_load: the recorded node (a node of the plan) into out, or false. */
bool lab_leader_hint_load(const struct lab_cluster *c, char *out, size_t size);
void lab_leader_hint_clear(const struct lab_cluster *c);
/*
 * lab_former_leader: the node to start first when no agent runs: the holder of a leader
 * key that outlived its agent (key_holder), else the leader `pgha down` recorded (hint),
 * else the leader named in the sync key (sync_leader; pgha runs in synchronous mode by
 * default). Arguments may be NULL or ""; only nodes of the plan count. Pure.
 */
bool lab_former_leader(const struct lab_plan *p, const char *key_holder, const char *hint,
                       const char *sync_leader, char *out, size_t size);

/*
 * lab_lock: one `pgha up` or `pgha down` at a time per lab: an exclusive flock on
 * DIR/run/lock, held until lab_unlock or the process ends (never inherited by what we
 * start). Returns the descriptor, or -1 with err set (busy, or DIR/run missing).
 */
int lab_lock(const struct lab_cluster *c, char *err, size_t errlen);
void lab_unlock(int fd);

#endif
