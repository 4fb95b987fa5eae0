/*
 * lab_procs.h: the lab's long-running processes (etcd members, agents, the router), and
 * the OS user they run as: started detached with a pid file in DIR/run and a log in
 * DIR/logs, recognised again by pid plus command line, stopped by pid.
 *
 * A pid file alone is not trusted: after a reboot or a long time the pid may belong to
 * something else, so a process counts as ours only if its command line contains the
 * argument that names this lab's file for it (etcd's --data-dir, the agent's config).
 * Nothing is ever looked up or killed by name.
 *
 * Does not log: errors go to err.
 */
#ifndef PGHA_LAB_LAB_PROCS_H
#define PGHA_LAB_LAB_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "lab/lab.h"
#include "util/compiler.h"

/* Who the lab's processes run as: ourselves, or (when we are root) the lab's OS user. */
struct lab_runas {
	bool set_user;
	uid_t uid;
	gid_t gid;
	char home_env[PATH_MAX + 8]; /* "HOME=<the user's home>" when set_user: libpq looks
	                                for ~/.postgresql/ there, not in root's */
};

#define LAB_DEFAULT_OS_USER "postgres"

/*
 * lab_user_resolve: the user to run as. PostgreSQL refuses to run as root, so when
 * `pgha up` runs as root everything it starts runs as an unprivileged user (requested,
 * NULL meaning postgres), with the lab directory chowned to it; run as anyone else, the
 * lab runs as that user. Refuses root as the target, an unknown user, and (when not
 * root) any user but ourselves. name gets the user name.
 */
bool lab_user_resolve(const char *requested, struct lab_runas *ru, char *name, size_t size,
                      char *err, size_t errlen) MUST_CHECK;
/*
 * lab_user_can_access: the user of ru can access path with mode (R_OK|X_OK...), tested
 * by the kernel itself in a child that switches to that user (so directory search
 * permissions and ACLs all count). Always true when ru does not switch users.
 */
bool lab_user_can_access(const struct lab_runas *ru, const char *path, int mode);

/* lab_cmdline_has: pid's command line has an argument equal to arg. */
bool lab_cmdline_has(pid_t pid, const char *arg);
/*
 * lab_proc_find: the live pid of component name (pid file DIR/run/<name>.pid) whose
 * command line has marker, or 0 when it is not running.
 */
pid_t lab_proc_find(const struct lab_cluster *c, const char *name, const char *marker);
/*
 * lab_proc_start: spawns argv as a daemon (own session, stdin /dev/null, output
 * appended to DIR/logs/<name>.log, as ru says) and writes DIR/run/<name>.pid.
 * Returns the pid, or -1 with err set. Does not wait for anything.
 */
pid_t lab_proc_start(const struct lab_cluster *c, const struct lab_runas *ru, const char *name,
                     const char *const *argv, char *err, size_t errlen) MUST_CHECK;
/*
 * lab_procs_stop: sig to every pids[i] > 0 (all at once, so they stop in parallel),
 * waits up to timeout_ms for all of them, then SIGKILLs the rest and waits 5 s more.
 * killed[i] (if not NULL) tells which needed SIGKILL. Returns true when all are gone.
 */
bool lab_procs_stop(const pid_t *pids, int n, int sig, int timeout_ms, bool *killed);
/*
 * lab_postmaster_find: the live postmaster of data_dir (from postmaster.pid, checked
 * against the process' working directory, which a postmaster sets to its data
 * directory), or 0.
 */
pid_t lab_postmaster_find(const char *data_dir);
/* lab_log_path / lab_pid_path: DIR/logs/<name>.log, DIR/run/<name>.pid. */
bool lab_log_path(const struct lab_cluster *c, const char *name, char *out, size_t size) MUST_CHECK;
bool lab_pid_path(const struct lab_cluster *c, const char *name, char *out, size_t size) MUST_CHECK;

#endif
