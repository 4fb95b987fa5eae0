/*
 * pg_proc.c: spawning, watching, stopping and reaping the postmaster (see pg_proc.h).
 *
 * Exit detection uses waitid(WNOWAIT) so the pid is cleared from the atomic before
 * the zombie is reaped: until waitpid() the kernel cannot hand the pid to another
 * process, so a concurrent pg_proc_fence never signals a stranger.
 */
#include "pg/pg_proc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log/log.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

void pg_proc_init(struct pg_proc *p)
{
	memset(p, 0, sizeof(*p));
	atomic_init(&p->pid, 0);
	atomic_init(&p->fenced, false);
	p->pidfd = -1;
	p->state = PG_PROC_STOPPED;
}

bool pg_proc_spawn(struct pg_proc *p, const struct proc_spec *spec)
{
	char err[512];
	pid_t pid = proc_spawn(spec, err, sizeof(err));

	if (pid == -1) {
		log_error("cannot start the postmaster: %s", err);
		return false;
	}
	p->pidfd = proc_pidfd(pid);
	if (p->pidfd == -1)
		log_warn("pidfd_open(%d): %s; postmaster exit is detected by polling", (int)pid,
		         strerror(errno));
	p->stop_requested = false;
	atomic_store(&p->fenced, false);
	p->exit_status = 0;
	p->state = PG_PROC_STARTING;
	p->started_ms = clock_now_ms();
	atomic_store(&p->pid, pid);
	log_info("postmaster started (pid %d)", (int)pid);
	return true;
}

bool pg_proc_running(const struct pg_proc *p)
{
	return atomic_load(&p->pid) > 0;
}

/* has_exited: true once pid is a zombie; does not reap it. */
static bool has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno == ECHILD; /* reaped elsewhere: gone all the same */
	return si.si_pid == pid;
}

static void reap(struct pg_proc *p, pid_t pid)
{
	int status = 0;
	char how[128];

	atomic_store(&p->pid, 0);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (p->pidfd != -1)
		close(p->pidfd);
	p->pidfd = -1;
	p->exit_status = status;
	proc_describe_status(status, how, sizeof(how));
	if (p->stop_requested || atomic_load(&p->fenced)) {
		p->state = PG_PROC_STOPPED;
		log_info("postmaster (pid %d) stopped: %s", (int)pid, how);
	} else {
		p->state = PG_PROC_CRASHED;
		log_error("postmaster (pid %d) exited unexpectedly: %s", (int)pid, how);
	}
}

enum pg_proc_state pg_proc_poll(struct pg_proc *p)
{
	pid_t pid = atomic_load(&p->pid);

	if (pid > 0 && has_exited(pid))
		reap(p, pid);
	return p->state;
}

bool pg_proc_wait_exit(struct pg_proc *p, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		int64_t left;

		pg_proc_poll(p);
		if (!pg_proc_running(p))
			return true;
		left = deadline - clock_now_ms();
		if (left <= 0)
			return false;
		if (p->pidfd != -1) {
			struct pollfd fd = {.fd = p->pidfd, .events = POLLIN};

			poll(&fd, 1, (int)MIN(left, 1000));
		} else {
			clock_sleep_ms(MIN(left, 10));
		}
	}
}

bool pg_proc_stop(struct pg_proc *p, int sig, int timeout_ms)
{
	pid_t pid = atomic_load(&p->pid);

	if (pid <= 0)
		return true;
	p->stop_requested = true;
	p->state = PG_PROC_STOPPING;
	if (kill(pid, sig) == -1 && errno != ESRCH)
		log_warn("kill(%d, %s): %s", (int)pid, strsignal(sig), strerror(errno));
	if (pg_proc_wait_exit(p, timeout_ms))
		return true;
	log_warn("postmaster (pid %d) did not stop within %d ms; sending SIGKILL", (int)pid,
	         timeout_ms);
	kill(pid, SIGKILL);
	if (pg_proc_wait_exit(p, 10000))
		return true;
	log_error("postmaster (pid %d) survives SIGKILL", (int)pid);
	return false;
}

void pg_proc_fence(struct pg_proc *p)
{
	int pid = atomic_load(&p->pid);

	if (pid > 0) {
		atomic_store(&p->fenced, true);
		kill(pid, SIGQUIT);
	}
}

/* shmem_id: the SysV segment id and owner pid recorded in postmaster.pid, if any. */
static bool shmem_id(const char *data_dir, int *shmid, pid_t *owner)
{
	char *path = xasprintf("%s/postmaster.pid", data_dir);
	char *text = fs_read_file(path, NULL);
	char *save = NULL, *line;
	long key, id;
	bool ok = false;
	int lineno = 0;

	free(path);
	if (text == NULL)
		return false;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1)
			*owner = (pid_t)atol(line);
		/* Line 7 (LOCK_FILE_LINE_SHMEM_KEY): "<key> <shmid>". */
		if (lineno == 7 && sscanf(line, "%ld %ld", &key, &id) == 2 && id >= 0) {
			*shmid = (int)id;
			ok = true;
		}
	}
	free(text);
	return ok;
}

static bool shmem_in_use(int shmid)
{
	struct shmid_ds ds;

	if (shmctl(shmid, IPC_STAT, &ds) == -1)
		return false; /* gone (or not ours to inspect: PostgreSQL will judge) */
	return ds.shm_nattch > 0;
}

bool pg_proc_wait_shmem(const char *data_dir, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	int shmid = -1;
	pid_t owner = 0;
	bool logged = false;

	if (!shmem_id(data_dir, &shmid, &owner))
		return true;
	/* A live owner is a running postmaster: PostgreSQL's lock file check reports it. */
	if (owner > 0 && kill(owner, 0) == 0)
		return true;
	while (shmem_in_use(shmid)) {
		if (clock_now_ms() >= deadline) {
			log_warn("old backends of %s still hold shared memory %d after %d ms",
			         data_dir, shmid, timeout_ms);
			return false;
		}
		if (!logged)
			log_info("waiting for old backends of %s to detach from shared memory %d",
			         data_dir, shmid);
		logged = true;
		clock_sleep_ms(20);
	}
	return true;
}
