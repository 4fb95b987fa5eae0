/*
 * chaos_fault.h: the victim's processes and the faults: finding them, signalling them,
 * and bringing a "lost host" back.
 *
 * Processes are found the lab's way, never by name (lab_node_procs_find): the agent
 * from DIR/run/<node>.pid whose command line has DIR/<node>/agent.yml, the postmaster
 * from DIR/<node>/data/postmaster.pid checked against its working directory, and their
 * descendants through /proc (parent pids). A tree is
 * SIGSTOPped first and rescanned until nothing new appears, so that no process forks
 * or reacts between the signals: the whole node stops at one instant, as a host does.
 *
 * Does not log: errors go to err.
 */
#ifndef PGHA_CHAOS_CHAOS_FAULT_H
#define PGHA_CHAOS_CHAOS_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "chaos/chaos_args.h"
#include "lab/lab.h"
#include "util/compiler.h"

#define CHAOS_MAX_PIDS 512

struct chaos_victim {
	char name[LAB_NAME_LEN];
	pid_t agent;                /* 0 when not running */
	pid_t postmaster;           /* 0 when not running */
	pid_t tree[CHAOS_MAX_PIDS]; /* stopped (then killed or continued) by the fault */
	int n_tree;
};

/*
 * chaos_victim_find: node's agent and postmaster. False (err set) when the scenario
 * needs one that is not running (every scenario but switchover needs the agent or the
 * postmaster).
 */
bool chaos_victim_find(const struct lab_cluster *c, const char *node, enum chaos_scenario s,
                       struct chaos_victim *v, char *err, size_t errlen) MUST_CHECK;
/*
 * chaos_fault_inject: kill-primary: the agent, the postmaster and all their
 * descendants stopped, then SIGKILLed; crash-postgres: SIGKILL of the postmaster;
 * kill-agent: SIGKILL of the agent; freeze-primary: the same tree as kill-primary
 * SIGSTOPped (chaos_fault_resume continues it). Not for switchover. False (err set)
 * when a signal could not be sent.
 */
bool chaos_fault_inject(enum chaos_scenario s, struct chaos_victim *v, char *err,
                        size_t errlen) MUST_CHECK;
/* chaos_fault_resume: SIGCONT to every process of a frozen tree. */
void chaos_fault_resume(struct chaos_victim *v);
/*
 * chaos_restart_lab: the lost host comes back: `pgha up --dir DIR` (this binary; the
 * lab's own code, which starts exactly what is missing and reuses cluster.json's
 * ports), detached, its output appended to DIR/logs/chaos-up.log. Returns its pid, or
 * -1 with err set.
 */
pid_t chaos_restart_lab(const struct lab_cluster *c, int timeout_s, char *err,
                        size_t errlen) MUST_CHECK;

#endif
