/*
 * chaos_guard.h: what a chaos run must undo however it ends. A frozen node or etcd
 * member left stopped, or a partition left in place, would outlive the run and break
 * the cluster for whoever comes next; so while a fault is in place the guard holds
 * what undoes it, prepared in advance:
 *
 *   - the pids that were SIGSTOPped (SIGCONT);
 *   - the nftables table of a cut (`nft delete table`);
 *   - the heal command of an --exec action (`sh -c COMMAND` with PGHA_CHAOS_PHASE=heal).
 *
 * SIGINT, SIGTERM and SIGHUP only raise a flag (chaos_guard_interrupted): the run heals
 * the fault in order, reports and ends with status 130; a second such signal undoes at
 * once and exits. A crash (SIGSEGV, SIGABRT...) or exit() with the fault in place undo
 * at once, with async-signal-safe calls only (kill, fork, execve, waitpid), before the
 * process dies. Only SIGKILL escapes: `pgha down` then deletes the table, and SIGKILLs
 * what stays stopped.
 *
 * One guard per process (the run is one per process); not thread-safe: only the thread
 * that runs the sequence arms and disarms it.
 */
#ifndef PGHA_CHAOS_CHAOS_GUARD_H
#define PGHA_CHAOS_CHAOS_GUARD_H

#include <stdbool.h>
#include <sys/types.h>

/* chaos_guard_install: the signal handlers and the atexit hook (once per process). */
void chaos_guard_install(void);
/* chaos_guard_interrupted: a SIGINT, SIGTERM or SIGHUP arrived. */
bool chaos_guard_interrupted(void);
/* chaos_guard_stopped: these pids are SIGSTOPped now (replaces the previous list). */
void chaos_guard_stopped(const pid_t *pids, int n);
/* chaos_guard_table: the nftables table (family inet) of a cut in place now. */
void chaos_guard_table(const char *name);
/*
 * chaos_guard_exec: the command that heals an --exec fault, with env ("K=V" entries,
 * NULL-terminated, copied) added to ours.
 */
void chaos_guard_exec(const char *command, const char *const *env);
/* chaos_guard_clear: the fault is healed; nothing to undo. */
void chaos_guard_clear(void);
/* chaos_guard_undo: undoes now whatever is held, then clears (the emergency path). */
void chaos_guard_undo(void);

#endif
