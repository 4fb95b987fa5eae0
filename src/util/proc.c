/*
 * proc.c: fork/exec with the setup a supervisor needs, and pid-based stopping.
 *
 * The agent is multi-threaded, so the child does nothing between fork() and exec()
 * but async-signal-safe calls; everything that allocates is prepared before fork().
 */
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/clock.h"
#include "util/envsecret.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

extern char **environ;

/* same_key: "K=..." entries a and b name the same variable. */
static bool same_key(const char *a, const char *b)
{
	const char *eq = strchr(b, '=');
	size_t n = eq ? (size_t)(eq - b) : strlen(b);

	return strncmp(a, b, n) == 0 && a[n] == '=';
}

static bool overridden(const char *entry, const char *const *extra)
{
	for (size_t i = 0; extra && extra[i]; i++)
		if (same_key(entry, extra[i]))
			return true;
	return false;
}

/*
 * systemd_private: variables systemd gives the unit's main process only. A child that
 * inherited NOTIFY_SOCKET (PostgreSQL and PgBouncer both speak sd_notify) would send
 * READY/STOPPING on behalf of the agent's unit.
 */
static bool systemd_private(const char *entry)
{
	return str_has_prefix(entry, "NOTIFY_SOCKET=") || str_has_prefix(entry, "WATCHDOG_PID=") ||
	       str_has_prefix(entry, "WATCHDOG_USEC=");
}

/*
 * build_env: the extra entries, then environ minus what they override, what systemd
 * meant for us alone and every secret (util/envsecret.h: PATRONI_*, PGHA_*, PGPASSWORD,
 * ...; children get passwords in 0600 files instead). Borrowed strings.
 */
static char **build_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	env = xcalloc(n + m + 1, sizeof(char *));
	for (size_t i = 0; i < m; i++)
		env[k++] = (char *)(uintptr_t)extra[i];
	for (size_t i = 0; i < n; i++)
		if (!overridden(environ[i], extra) && !systemd_private(environ[i]) &&
		    !envsecret_withheld(environ[i]))
			env[k++] = environ[i];
	return env;
}

static void NORETURN child_fail(int errfd, const char *what)
{
	int e = errno;
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(e));

	if (n > 0 && write(errfd, msg, (size_t)n) < 0)
		_exit(127);
	_exit(127);
}

/*
 * reset_signals: the child starts with every signal at its default and none blocked.
 * exec keeps ignored signals ignored and the mask as it was, so without this a program
 * started from `nohup` or a shell's background job (SIGHUP, SIGINT and SIGQUIT ignored)
 * would pass that on, and the SIGHUP of a reload or the SIGQUIT of a fence would be lost.
 */
static void reset_signals(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL and SIGSTOP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* child_setup: runs in the child between fork and exec; async-signal-safe only. */
static void NORETURN child_exec(const struct proc_spec *s, char **env, const int *fds, int errfd,
                                pid_t parent)
{
	int nullfd = open("/dev/null", O_RDWR);
	int logfd = fds[0], outfd = fds[1], cgfd = fds[2];

	if (s->new_session)
		setsid();
	if (s->death_signal) {
		if (prctl(PR_SET_PDEATHSIG, s->death_signal) == -1)
			child_fail(errfd, "prctl");
		if (getppid() != parent) /* the parent died before prctl took effect */
			_exit(127);
	}
	if (nullfd != -1 && (s->stdin_null || s->log_path))
		dup2(nullfd, STDIN_FILENO);
	if (logfd != -1) {
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
	}
	if (outfd != -1)
		dup2(outfd, STDOUT_FILENO);
	else if (s->stdout_to_stderr)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	/* "0" moves the writing process; before setuid, which would lose the right to */
	if (cgfd != -1 && write(cgfd, "0", 1) != 1)
		child_fail(errfd, "joining the cgroup");
	if (s->set_user) {
		if (setgroups(0, NULL) == -1 || setgid(s->gid) == -1 || setuid(s->uid) == -1)
			child_fail(errfd, "setuid");
	}
	if (s->cwd && chdir(s->cwd) == -1)
		child_fail(errfd, "chdir");
	/* Leave the child only stdio and the error pipe; it must not inherit our sockets. */
	if (errfd > 3 && dup2(errfd, 3) != -1)
		errfd = 3;
	syscall(SYS_close_range, 4U, ~0U, 0);
	fcntl(errfd, F_SETFD, FD_CLOEXEC);
	reset_signals();
	execve(s->argv[0], (char *const *)(uintptr_t)s->argv, env);
	child_fail(errfd, s->argv[0]);
}

/* close_fds: the descriptors of open_fds that are open. */
static void close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] != -1)
			close(fds[i]);
	}
}

/* open_fds: the log (fds[0]) and the cgroup's cgroup.procs (fds[2]), when s asks. */
static bool open_fds(const struct proc_spec *s, int *fds, char *err, size_t errlen)
{
	char path[PATH_MAX];

	fds[0] = fds[2] = -1;
	if (s->log_path &&
	    (fds[0] = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) == -1) {
		snprintf(err, errlen, "cannot open log %s: %s", s->log_path, strerror(errno));
		return false;
	}
	if (s->cgroup &&
	    (snprintf(path, sizeof(path), "%s/cgroup.procs", s->cgroup) >= (int)sizeof(path) ||
	     (fds[2] = open(path, O_WRONLY | O_CLOEXEC)) == -1)) {
		snprintf(err, errlen, "cannot join cgroup %s: %s", s->cgroup, strerror(errno));
		close_fds(fds, 1);
		return false;
	}
	return true;
}

static pid_t spawn(const struct proc_spec *s, int outfd, char *err, size_t errlen)
{
	int pipefd[2];
	int fds[3] = {-1, outfd, -1}; /* log, stdout, cgroup.procs */
	char **env;
	pid_t parent = getpid(), pid;
	char msg[256];
	ssize_t n;

	if (!open_fds(s, fds, err, errlen))
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close_fds(fds, 1);
		close_fds(fds + 2, 1);
		return -1;
	}
	env = build_env(s->env);
	pid = fork();
	if (pid == 0)
		child_exec(s, env, fds, pipefd[1], parent);
	free(env);
	close(pipefd[1]);
	close_fds(fds, 1);
	close_fds(fds + 2, 1);
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		return -1;
	}
	/* The pipe closes on a successful exec; anything read is the child's last word. */
	while ((n = read(pipefd[0], msg, sizeof(msg) - 1)) == -1 && errno == EINTR)
		;
	close(pipefd[0]);
	if (n > 0) {
		msg[n] = '\0';
		snprintf(err, errlen, "cannot start %s: %s", s->argv[0], msg);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

pid_t proc_spawn(const struct proc_spec *spec, char *err, size_t errlen)
{
	int outfd = -1;
	pid_t pid;

	if (spec->stdout_path != NULL) {
		outfd = open(spec->stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (outfd == -1) {
			snprintf(err, errlen, "cannot open %s: %s", spec->stdout_path,
			         strerror(errno));
			return -1;
		}
	}
	pid = spawn(spec, outfd, err, errlen);
	if (outfd != -1)
		close(outfd);
	return pid;
}

int proc_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int proc_wait(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	int fd = timeout_ms >= 0 ? proc_pidfd(pid) : -1;

	for (;;) {
		pid_t r = waitpid(pid, status, timeout_ms < 0 ? 0 : WNOHANG);

		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			if (fd != -1)
				close(fd);
			return -1;
		}
		if (r == 0) {
			int64_t left = deadline - clock_now_ms();

			if (left <= 0) {
				if (fd != -1)
					close(fd);
				return 0;
			}
			if (fd != -1) {
				struct pollfd p = {.fd = fd, .events = POLLIN};

				poll(&p, 1, (int)MIN(left, 1000));
			} else {
				clock_sleep_ms(MIN(left, 10));
			}
		}
	}
	if (fd != -1)
		close(fd);
	return 1;
}

void proc_describe_status(int status, char *out, size_t size)
{
	if (WIFEXITED(status))
		snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, size, "killed by signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(out, size, "ended with wait status %d", status);
}

/* drain: reads the child's stdout into out until EOF or the deadline. */
static void drain(int fd, struct buf *out, int64_t deadline)
{
	char chunk[4096];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - clock_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf_append(out, chunk, (size_t)n);
	}
}

bool proc_run(const struct proc_spec *spec, int timeout_ms, struct buf *out, char *err,
              size_t errlen)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	int outpipe[2] = {-1, -1};
	int status = 0, r;
	pid_t pid;

	if (out && pipe2(outpipe, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return false;
	}
	pid = spawn(spec, outpipe[1], err, errlen);
	if (outpipe[1] != -1)
		close(outpipe[1]);
	if (pid == -1) {
		if (outpipe[0] != -1)
			close(outpipe[0]);
		return false;
	}
	if (out) {
		drain(outpipe[0], out, deadline);
		close(outpipe[0]);
	}
	r = proc_wait(pid, (int)MAX(deadline - clock_now_ms(), 0), &status);
	if (r == 0) {
		kill(pid, SIGKILL);
		proc_wait(pid, -1, &status);
		snprintf(err, errlen, "%s timed out after %d ms", spec->argv[0], timeout_ms);
		return false;
	}
	if (r == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (r == 1) {
		char how[96];

		proc_describe_status(status, how, sizeof(how));
		snprintf(err, errlen, "%s %s", spec->argv[0], how);
	} else {
		snprintf(err, errlen, "waitpid: %s", strerror(errno));
	}
	return false;
}

bool proc_alive(pid_t pid)
{
	int status;

	if (pid <= 0)
		return false;
	/* Reap it if it is our zombie child, so that kill(0) stops reporting it alive. */
	if (waitpid(pid, &status, WNOHANG) == pid)
		return false;
	return kill(pid, 0) == 0 || errno == EPERM;
}

static bool wait_gone(pid_t pid, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	while (proc_alive(pid)) {
		if (clock_now_ms() >= deadline)
			return false;
		clock_sleep_ms(10);
	}
	return true;
}

bool proc_stop(pid_t pid, int sig, int timeout_ms)
{
	if (!proc_alive(pid))
		return true;
	if (kill(pid, sig) == -1 && errno == ESRCH)
		return true;
	if (wait_gone(pid, timeout_ms))
		return true;
	kill(pid, SIGKILL);
	return wait_gone(pid, 5000);
}

pid_t proc_pidfile_read(const char *path)
{
	char *s = fs_read_file(path, NULL);
	int pid = 0;

	if (s && (!str_parse_int(str_trim(s), &pid) || pid <= 0))
		pid = 0;
	free(s);
	return (pid_t)pid;
}

bool proc_pidfile_write(const char *path, pid_t pid)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%d\n", (int)pid);

	return fs_write_atomic(path, line, (size_t)n, 0644);
}
