/*
 * proc.h: starting, watching and stopping child processes, always by pid.
 *
 * Used for PostgreSQL (the postmaster is the agent's own child), PgBouncer, the
 * PostgreSQL tools (initdb, pg_basebackup, pg_rewind, pg_controldata) and, in the
 * lab, etcd and the agents. Library-like: failures are described in err, not logged.
 */
#ifndef PGHA_UTIL_PROC_H
#define PGHA_UTIL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/buf.h"
#include "util/compiler.h"

struct proc_spec {
	const char *const *argv; /* argv[0] is the program path; NULL-terminated */
	const char *const *env;  /* extra "KEY=VALUE" entries, NULL-terminated, or NULL; the
	                            rest is ours minus secrets (util/envsecret.h) */
	const char *cwd;         /* working directory, or NULL to inherit */
	const char *log_path;    /* stdout and stderr appended here; NULL inherits them */
	const char *stdout_path; /* proc_spawn: stdout alone into this file (truncated) */
	bool stdin_null;         /* stdin from /dev/null (always true for daemons) */
	bool new_session;        /* setsid(): own session and process group, no terminal */
	int death_signal;      /* signal sent to the child when its parent thread dies; 0 = none */
	bool set_user;         /* run as uid/gid below (caller must be root) */
	const char *cgroup;    /* a cgroup v2 directory the child joins before exec, or NULL */
	bool stdout_to_stderr; /* the child's stdout goes where our stderr goes */
	uid_t uid;
	gid_t gid;
};

/* proc_spawn: starts the child and returns its pid, or -1 with err filled. Does not block. */
pid_t proc_spawn(const struct proc_spec *spec, char *err, size_t errlen) MUST_CHECK;
/*
 * proc_wait: waits up to timeout_ms (-1 = forever) for pid to exit. Returns 1 when it
 * exited (*status gets the waitpid status), 0 on timeout, -1 on error.
 */
int proc_wait(pid_t pid, int timeout_ms, int *status);
/*
 * proc_run: spawns, waits up to timeout_ms, kills the child (SIGKILL) on timeout.
 * If out is not NULL the child's stdout is captured there instead of going to the log.
 * Returns true when the child exited with status 0; err describes any other outcome.
 */
bool proc_run(const struct proc_spec *spec, int timeout_ms, struct buf *out, char *err,
              size_t errlen) MUST_CHECK;
/* proc_alive: true while pid exists (and is not a zombie we could reap). */
bool proc_alive(pid_t pid);
/*
 * proc_stop: sends sig, waits up to timeout_ms, then SIGKILLs and waits again.
 * Works for children and (by polling) for processes that are not our children.
 * Returns true once the process is gone.
 */
bool proc_stop(pid_t pid, int sig, int timeout_ms);
/* proc_pidfd: a pollable descriptor that becomes readable when pid exits, or -1. */
int proc_pidfd(pid_t pid);
/* proc_describe_status: "exited with status 1", "killed by signal 9"... into out. */
void proc_describe_status(int status, char *out, size_t size);
/* proc_pidfile_read: pid stored in path, or 0 if missing/malformed. */
pid_t proc_pidfile_read(const char *path);
bool proc_pidfile_write(const char *path, pid_t pid) MUST_CHECK;

#endif
