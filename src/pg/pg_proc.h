/*
 * pg_proc.h: the postmaster as the agent's child process.
 *
 * Started by exec'ing postgres directly (never pg_ctl, which daemonizes and would
 * lose the parent-death signal), watched through a pidfd, reaped here. The pid is
 * kept in an atomic so that pg_proc_fence can signal it from a watchdog thread or a
 * signal handler without locks. This module knows processes, not PostgreSQL files.
 */
#ifndef PGHA_PG_PG_PROC_H
#define PGHA_PG_PG_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "pg/pg_types.h"
#include "util/compiler.h"
#include "util/proc.h"

struct pg_proc {
	atomic_int pid; /* postmaster pid, 0 = none; the only field other threads read */
	int pidfd;      /* readable once the postmaster exits; -1 = none */
	enum pg_proc_state state;
	bool stop_requested; /* an exit after this is a stop, not a crash */
	atomic_bool fenced;  /* pg_proc_fence was called: the exit is a stop too */
	int exit_status;     /* waitpid status of the last exit */
	int64_t started_ms;  /* clock_now_ms() at spawn */
};

void pg_proc_init(struct pg_proc *p);
/* pg_proc_spawn: starts spec as the postmaster (state STARTING). Logs failures. */
bool pg_proc_spawn(struct pg_proc *p, const struct proc_spec *spec) MUST_CHECK;
/* pg_proc_poll: reaps the postmaster if it exited and returns the state. No blocking. */
enum pg_proc_state pg_proc_poll(struct pg_proc *p);
/* pg_proc_wait_exit: waits up to timeout_ms for the exit (reaps it); true if it exited. */
bool pg_proc_wait_exit(struct pg_proc *p, int timeout_ms);
/* pg_proc_stop: sig, wait timeout_ms, then SIGKILL and wait; true once reaped. */
bool pg_proc_stop(struct pg_proc *p, int sig, int timeout_ms) MUST_CHECK;
/* pg_proc_fence: kill(pid, SIGQUIT); async-signal-safe, lock-free, no wait. */
void pg_proc_fence(struct pg_proc *p);
/* pg_proc_running: a postmaster exists (STARTING, RUNNING or STOPPING). */
bool pg_proc_running(const struct pg_proc *p);
/*
 * pg_proc_wait_shmem: after a postmaster was killed, its backends may still be
 * attached to the old shared memory segment named in data_dir/postmaster.pid, and a
 * new postmaster refuses to start ("pre-existing shared memory block is still in
 * use"). Waits up to timeout_ms for them to detach; true when it is free.
 */
bool pg_proc_wait_shmem(const char *data_dir, int timeout_ms);

#endif
