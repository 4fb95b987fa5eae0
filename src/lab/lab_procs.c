/*
 * lab_procs.c: detached processes of the lab, identified by pid and command line, and
 * the OS user they run as.
 */
#include "lab/lab_procs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lab/lab_cgroup.h"
#include "lab/lab_cluster.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

bool lab_log_path(const struct lab_cluster *c, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/logs/%s.log", c->dir, name);

	return n > 0 && (size_t)n < size;
}

bool lab_pid_path(const struct lab_cluster *c, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/run/%s.pid", c->dir, name);

	return n > 0 && (size_t)n < size;
}

bool lab_cmdline_has(pid_t pid, const char *arg)
{
	char path[64];
	size_t len = 0;
	char *cmdline;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	cmdline = fs_read_file(path, &len);
	if (cmdline == NULL)
		return false;
	/* NUL-separated arguments; fs_read_file adds one more NUL after the last. */
	for (size_t off = 0; off < len && !found; off += strlen(cmdline + off) + 1)
		found = str_eq(cmdline + off, arg);
	free(cmdline);
	return found;
}

pid_t lab_proc_find(const struct lab_cluster *c, const char *name, const char *marker)
{
	char path[PATH_MAX];
	pid_t pid;

	if (!lab_pid_path(c, name, path, sizeof(path)))
		return 0;
	pid = proc_pidfile_read(path);
	if (pid <= 0 || !proc_alive(pid) || !lab_cmdline_has(pid, marker))
		return 0;
	return pid;
}

pid_t lab_proc_start(const struct lab_cluster *c, const struct lab_runas *ru, const char *name,
                     const char *const *argv, char *err, size_t errlen)
{
	char log_path[PATH_MAX];
	char pid_path[PATH_MAX];
	char cgroup[PATH_MAX];
	const char *env[] = {ru->home_env, NULL};
	struct proc_spec spec = {
	    .argv = argv,
	    .env = ru->set_user ? env : NULL,
	    .cwd = c->dir,
	    .log_path = log_path,
	    .stdin_null = true,
	    .new_session = true, /* survives `pgha up` and its terminal */
	    .set_user = ru->set_user,
	    .uid = ru->uid,
	    .gid = ru->gid,
	    .cgroup = lab_cgroup_dir(c, name, cgroup, sizeof(cgroup)) ? cgroup : NULL,
	};
	pid_t pid;

	if (!lab_log_path(c, name, log_path, sizeof(log_path)) ||
	    !lab_pid_path(c, name, pid_path, sizeof(pid_path))) {
		snprintf(err, errlen, "%s: path too long", c->dir);
		return -1;
	}
	pid = proc_spawn(&spec, err, errlen);
	if (pid == -1)
		return -1;
	if (!proc_pidfile_write(pid_path, pid)) {
		snprintf(err, errlen, "started %s (pid %d) but cannot write %s: %s", name, (int)pid,
		         pid_path, strerror(errno));
		return -1;
	}
	return pid;
}

static bool all_gone(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		if (pids[i] > 0 && proc_alive(pids[i]))
			return false;
	}
	return true;
}

static bool wait_all_gone(const pid_t *pids, int n, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	while (!all_gone(pids, n)) {
		if (clock_now_ms() >= deadline)
			return false;
		clock_sleep_ms(50);
	}
	return true;
}

bool lab_procs_stop(const pid_t *pids, int n, int sig, int timeout_ms, bool *killed)
{
	for (int i = 0; i < n; i++) {
		if (killed)
			killed[i] = false;
		if (pids[i] > 0 && proc_alive(pids[i]))
			kill(pids[i], sig);
	}
	if (wait_all_gone(pids, n, timeout_ms))
		return true;
	for (int i = 0; i < n; i++) {
		if (pids[i] > 0 && proc_alive(pids[i])) {
			kill(pids[i], SIGKILL);
			if (killed)
				killed[i] = true;
		}
	}
	return wait_all_gone(pids, n, 5000);
}

/* first_line_pid: the pid on the first line of a file such as postmaster.pid, or 0. */
static pid_t first_line_pid(const char *path)
{
	char *text = fs_read_file(path, NULL);
	int pid = 0;

	if (text == NULL)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	if (!str_parse_int(str_trim(text), &pid) || pid <= 0)
		pid = 0;
	free(text);
	return (pid_t)pid;
}

pid_t lab_postmaster_find(const char *data_dir)
{
	char path[PATH_MAX + 32];
	char cwd[PATH_MAX];
	char link[64];
	pid_t pid;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/postmaster.pid", data_dir);
	pid = first_line_pid(path);
	if (pid <= 0 || !proc_alive(pid))
		return 0;
	snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	len = readlink(link, cwd, sizeof(cwd) - 1);
	if (len <= 0)
		return 0;
	cwd[len] = '\0';
	return str_eq(cwd, data_dir) ? pid : 0;
}

/* --- the OS user ------------------------------------------------------------------ */

bool lab_user_resolve(const char *requested, struct lab_runas *ru, char *name, size_t size,
                      char *err, size_t errlen)
{
	const struct passwd *pw;

	*ru = (struct lab_runas){0};
	if (geteuid() != 0) {
		pw = getpwuid(geteuid());
		if (pw == NULL || !str_copy(name, size, pw->pw_name)) {
			snprintf(err, errlen, "cannot find the name of uid %d", (int)geteuid());
			return false;
		}
		if (requested && !str_eq(requested, name)) {
			snprintf(
			    err, errlen,
			    "running as %s: only root can run the cluster as another user (%s)",
			    name, requested);
			return false;
		}
		return true;
	}
	if (requested == NULL)
		requested = LAB_DEFAULT_OS_USER;
	pw = getpwnam(requested);
	if (pw == NULL) {
		snprintf(err, errlen,
		         "OS user '%s' does not exist: PostgreSQL refuses to run as root, so "
		         "the cluster needs an unprivileged user (create it, or pass --os-user)",
		         requested);
		return false;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "--os-user %s is root: PostgreSQL refuses to run as root",
		         requested);
		return false;
	}
	*ru = (struct lab_runas){.set_user = true, .uid = pw->pw_uid, .gid = pw->pw_gid};
	snprintf(ru->home_env, sizeof(ru->home_env), "HOME=%s", pw->pw_dir);
	if (!str_copy(name, size, pw->pw_name)) {
		snprintf(err, errlen, "user name '%s' too long", pw->pw_name);
		return false;
	}
	return true;
}

bool lab_user_can_access(const struct lab_runas *ru, const char *path, int mode)
{
	pid_t pid;
	int status = 0;

	if (!ru->set_user)
		return true;
	pid = fork();
	if (pid == -1)
		return false;
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(ru->gid) == -1 || setuid(ru->uid) == -1)
			_exit(2);
		_exit(access(path, mode) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return false;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
