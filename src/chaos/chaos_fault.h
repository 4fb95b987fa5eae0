/*
 * chaos_fault.h: the fault of a chaos run, carried out by one of two pluggable actions:
 *
 *   - the lab's own (a lab given by --dir, no --exec): signals to processes found the
 *     lab's way, never by name (lab_node_procs_find: the agent by pid file and command
 *     line, the postmaster by postmaster.pid and working directory, descendants through
 *     /proc), etcd members by their pid files, and partitions as nftables rules by
 *     cgroup (chaos_net.h); a lost host comes back with `pgha up --dir DIR`;
 *   - --exec COMMAND, for any cluster: `sh -c COMMAND` with the fault's phase and victim
 *     in its environment (inject at the fault, heal at the end of a healing fault,
 *     restart to bring a killed victim back), so a cloud's CLI or SSH can do what the
 *     signals do in a lab (deploy/aws/scripts/chaos.sh). Its stdout goes to our stderr
 *     (the report stays clean) and it shares our stdin (a relay may answer there).
 *
 * A tree is SIGSTOPped first and rescanned until nothing new appears, so that no
 * process forks or reacts between the signals: the whole node stops at one instant, as
 * a host does. While a fault is in place, chaos_guard.h holds what undoes it.
 *
 * Does not log: what happened goes to what/err.
 */
#ifndef PGHA_CHAOS_CHAOS_FAULT_H
#define PGHA_CHAOS_CHAOS_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "chaos/chaos_args.h"
#include "chaos/chaos_net.h"
#include "chaos/chaos_target.h"
#include "util/compiler.h"

#define CHAOS_MAX_PIDS 512
#define CHAOS_WHAT_LEN 160

enum chaos_phase {
	CHAOS_PHASE_INJECT = 0, /* the fault begins */
	CHAOS_PHASE_HEAL,       /* a healing fault ends (SIGCONT, the cut removed) */
	CHAOS_PHASE_RESTART     /* a killed victim is brought back */
};

struct chaos_fault {
	/* set by the caller */
	enum chaos_scenario s;
	const struct chaos_target *t;
	const char *exec;          /* --exec COMMAND, or NULL for the lab's own action */
	char victim[DCS_NAME_LEN]; /* the primary's node */
	int duration_ms;           /* a healing fault's length; 0 = it does not heal */
	bool etcd_followers;       /* etcd-quorum-loss: stop the two followers */
	int timeout_s;             /* bound on the exec command of each phase */
	/* filled by chaos_fault_prepare / chaos_fault_inject */
	pid_t agent;                /* the victim's agent, 0 if not running (lab) */
	pid_t postmaster;           /* its postmaster, 0 if not running (lab) */
	pid_t tree[CHAOS_MAX_PIDS]; /* stopped (then killed or continued) */
	int n_tree;
	int etcd[2]; /* the etcd members stopped (indexes of t->cl->etcd) */
	int n_etcd;
	struct chaos_net_cut cut; /* a partition of a lab */
	bool in_place;            /* injected, not healed yet */
};

/* chaos_phase_str: "inject", "heal", "restart" (PGHA_CHAOS_PHASE). */
const char *chaos_phase_str(enum chaos_phase p);
/*
 * chaos_fault_prepare: before any load: can this fault be carried out here, on this
 * victim? The lab's action needs the victim's agent or postmaster running and, for a
 * partition, nftables, cgroup v2 and the lab's processes in their cgroups (chaos_net_plan).
 * False with err set (a sentence for the user) otherwise.
 */
bool chaos_fault_prepare(struct chaos_fault *f, char *err, size_t errlen) MUST_CHECK;
/*
 * chaos_fault_inject: the fault, now. what gets a description for the timeline ("etcd2
 * (raft leader) and etcd1 SIGSTOPped"). False with err set when it could not be done.
 */
bool chaos_fault_inject(struct chaos_fault *f, char *what, size_t whatlen, char *err,
                        size_t errlen) MUST_CHECK;
/* chaos_fault_heal: the end of a healing fault (no-op when none is in place). */
bool chaos_fault_heal(struct chaos_fault *f, char *what, size_t whatlen, char *err,
                      size_t errlen) MUST_CHECK;
/*
 * chaos_fault_restart: the killed victim comes back, detached: `pgha up --dir DIR`
 * (the lab's own code, which starts exactly what is missing; output appended to
 * DIR/logs/chaos-up.log) or the exec command's restart phase. Returns its pid (the
 * caller reaps it), or -1 with err set.
 */
pid_t chaos_fault_restart(const struct chaos_fault *f, int timeout_s, char *err,
                          size_t errlen) MUST_CHECK;

#endif
