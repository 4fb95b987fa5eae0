/*
 * pooler.c: supervision of the node's PgBouncer: files, start, restart, reload, stop.
 *
 * State: pid > 0 while our child runs (pidfd watches it); after it exits, failures
 * counts the exits since the last stable run and sets the backoff before the next start.
 * The first exit after a stable run is logged as a warning with PgBouncer's last log
 * line, later ones of the same streak only at debug level, except once at the fifth, so
 * a PgBouncer that cannot start fills neither the log nor the CPU.
 */
#include "pooler/pooler.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log/log.h"
#include "pooler/pooler_admin.h"
#include "pooler/pooler_conf.h"
#include "pooler/pooler_secret.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define STABLE_MS       10000 /* a run this long ends a failure streak */
#define LOUD_FAILURE    5     /* the streak length that is logged again, once */
#define STOP_SAFE_MS    2000  /* pooler_stop: SIGINT, safe shutdown */
#define STOP_TERM_MS    1000  /* then SIGTERM, immediate shutdown */
#define RESTART_TERM_MS 1000  /* restart for a new listen address, within ensure */
#define LOG_TAIL_BYTES  4096  /* read from the end of pgbouncer.log for a message */
#define POOLER_ERR_LEN  512

struct pooler {
	const struct config *cfg;                  /* borrowed */
	char run_dir_arg[PATH_MAX];                /* as given to pooler_new, "" = default */
	struct pooler_conf conf;                   /* derived from cfg by the last prepare() */
	struct pooler_conf running;                /* what the running PgBouncer started with */
	char verifier[POOLER_VERIFIER_LEN];        /* superuser's SCRAM verifier */
	char verifier_user[CONFIG_NAME_LEN];       /* ... computed for this user */
	char verifier_password[CONFIG_SECRET_LEN]; /* ... and this password */
	bool have_verifier;
	pid_t pid;                       /* our child, 0 when not running */
	int pidfd;                       /* readable when pid exits, -1 when not running */
	int64_t started_ms;              /* clock_now_ms() at the last start */
	int failures;                    /* exits or failed starts since the last stable run */
	int64_t next_start_ms;           /* no start before this (backoff) */
	char last_error[POOLER_ERR_LEN]; /* the error last logged, to log a lasting one once */
};

/* --- small helpers ------------------------------------------------------------------- */

static void PRINTF_LIKE(2, 3) error_once(struct pooler *p, const char *fmt, ...)
{
	char msg[POOLER_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (str_eq(msg, p->last_error))
		return;
	log_error("%s", msg);
	snprintf(p->last_error, sizeof(p->last_error), "%s", msg);
}

/* path_in_run_dir: "<run_dir>/<name>"; run_dir is short (it holds a unix socket). */
static void path_in_run_dir(const struct pooler *p, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%s", p->conf.run_dir, name);

	if (n < 0 || (size_t)n >= size)
		out[0] = '\0';
}

static const char *bin_path(const struct pooler *p)
{
	return p->cfg->pgbouncer.bin[0] ? p->cfg->pgbouncer.bin : POOLER_DEFAULT_BIN;
}

/* log_tail: the last non-empty line of PgBouncer's log (its reason for exiting). */
static void log_tail(const struct pooler *p, char *out, size_t size)
{
	char path[PATH_MAX], chunk[LOG_TAIL_BYTES + 1];
	int fd;
	ssize_t n;
	off_t end;
	char *line;

	out[0] = '\0';
	path_in_run_dir(p, POOLER_LOG_NAME, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, chunk, LOG_TAIL_BYTES, end > LOG_TAIL_BYTES ? end - LOG_TAIL_BYTES : 0);
	close(fd);
	if (n <= 0)
		return;
	chunk[n] = '\0';
	while (n > 0 && (chunk[n - 1] == '\n' || chunk[n - 1] == '\r'))
		chunk[--n] = '\0';
	line = strrchr(chunk, '\n');
	/* A long line is cut: the message only needs its start. */
	snprintf(out, size, "%.*s", (int)size - 1, line ? line + 1 : chunk);
}

/* --- configuration and files ----------------------------------------------------------- */

static bool update_verifier(struct pooler *p)
{
	const struct pg_user *su = &p->cfg->postgresql.superuser;
	char err[256];

	if (p->have_verifier && str_eq(su->username, p->verifier_user) &&
	    str_eq(su->password, p->verifier_password))
		return true;
	if (!pooler_scram_verifier(su->username, su->password, p->verifier, sizeof(p->verifier),
	                           err, sizeof(err))) {
		error_once(p, "PgBouncer auth file: %s", err);
		return false;
	}
	snprintf(p->verifier_user, sizeof(p->verifier_user), "%s", su->username);
	snprintf(p->verifier_password, sizeof(p->verifier_password), "%s", su->password);
	p->have_verifier = true;
	return true;
}

/* prepare: derives p->conf from the configuration (pure) and the superuser's verifier. */
static bool prepare(struct pooler *p)
{
	char err[POOLER_ERR_LEN - 64];
	const char *run_dir = p->run_dir_arg[0] ? p->run_dir_arg : NULL;

	if (!pooler_conf_from_config(p->cfg, run_dir, &p->conf, err, sizeof(err))) {
		error_once(p, "PgBouncer: %s", err);
		return false;
	}
	return update_verifier(p);
}

/* sync_file: writes text to path unless it already holds exactly that. */
static bool sync_file(struct pooler *p, const char *path, const struct buf *text, bool *changed)
{
	size_t len = 0;
	char *old = fs_read_file(path, &len);
	bool same = old && len == text->len && memcmp(old, text->data, len) == 0;

	free(old);
	if (same)
		return true;
	if (!fs_mkdir_p(p->conf.run_dir, 0700) ||
	    !fs_write_atomic(path, text->data, text->len, 0600)) {
		error_once(p, "cannot write %s: %s", path, strerror(errno));
		return false;
	}
	*changed = true;
	return true;
}

static bool render_files(struct pooler *p, struct buf *ini, struct buf *auth)
{
	char err[POOLER_ERR_LEN - 64];

	if (!pooler_render_ini(&p->conf, ini, err, sizeof(err)) ||
	    !pooler_render_auth_file(&p->conf, p->verifier, auth, err, sizeof(err))) {
		error_once(p, "PgBouncer: %s", err);
		return false;
	}
	return true;
}

/* write_files: brings pgbouncer.ini and the auth file up to date; *changed if written. */
static bool write_files(struct pooler *p, bool *changed)
{
	char ini_path[PATH_MAX], auth_path[PATH_MAX];
	struct buf ini, auth;
	bool ok;

	buf_init(&ini);
	buf_init(&auth);
	path_in_run_dir(p, POOLER_INI_NAME, ini_path, sizeof(ini_path));
	path_in_run_dir(p, POOLER_AUTH_NAME, auth_path, sizeof(auth_path));
	/* The auth file first: a reload must never see a new ini with an old auth file. */
	ok = render_files(p, &ini, &auth) && sync_file(p, auth_path, &auth, changed) &&
	     sync_file(p, ini_path, &ini, changed);
	buf_free(&ini);
	buf_free(&auth);
	return ok;
}

/* --- the process ------------------------------------------------------------------------ */

static void forget_process(struct pooler *p)
{
	if (p->pidfd != -1)
		close(p->pidfd);
	p->pidfd = -1;
	p->pid = 0;
}

static void log_exit(struct pooler *p, pid_t pid, const char *how, int64_t ran_ms)
{
	char tail[300];

	log_tail(p, tail, sizeof(tail));
	if (p->failures == 1)
		log_warn("PgBouncer (pid %d) %s after %lld s; restarting it. Its last log line: %s",
		         (int)pid, how, (long long)(ran_ms / 1000), tail[0] ? tail : "(none)");
	else if (p->failures == LOUD_FAILURE)
		log_warn("PgBouncer keeps exiting (%d times in a row, last %s: %s); retrying with "
		         "a backoff of up to %lld s",
		         p->failures, how, tail[0] ? tail : "(no log)",
		         (long long)(POOLER_BACKOFF_MAX_MS / 1000));
	else
		log_debug("PgBouncer (pid %d) %s (%d in a row)", (int)pid, how, p->failures);
}

/* count_failure: one more exit or failed start; schedules the next attempt. */
static void count_failure(struct pooler *p, int64_t now_ms, int64_t ran_ms)
{
	if (ran_ms >= STABLE_MS)
		p->failures = 0;
	p->failures++;
	p->next_start_ms = now_ms + pooler_backoff_ms(p->failures);
}

/* reap: notices that our PgBouncer exited, without blocking. */
static void reap(struct pooler *p)
{
	int status = 0;
	pid_t pid = p->pid, r;
	int64_t now_ms, ran_ms;
	char how[96];

	if (pid <= 0)
		return;
	while ((r = waitpid(pid, &status, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r == 0)
		return;
	if (r == pid)
		proc_describe_status(status, how, sizeof(how));
	else /* ECHILD: someone else reaped it; it is gone all the same */
		snprintf(how, sizeof(how), "exited (status unknown: %s)", strerror(errno));
	now_ms = clock_now_ms();
	ran_ms = now_ms - p->started_ms;
	forget_process(p);
	count_failure(p, now_ms, ran_ms);
	log_exit(p, pid, how, ran_ms);
}

static void note_stable(struct pooler *p)
{
	if (p->failures == 0 || clock_now_ms() - p->started_ms < STABLE_MS)
		return;
	if (p->failures > 1)
		log_info("PgBouncer (pid %d) is running again after %d failed starts", (int)p->pid,
		         p->failures);
	p->failures = 0;
}

static void start(struct pooler *p)
{
	char ini_path[PATH_MAX], log_path[PATH_MAX], err[POOLER_ERR_LEN - 64];
	const char *argv[] = {bin_path(p), ini_path, NULL};
	struct proc_spec spec = {.argv = argv,
	                         .cwd = p->conf.run_dir,
	                         .log_path = log_path,
	                         .stdin_null = true,
	                         .new_session = true,
	                         .death_signal = SIGKILL};
	int64_t now_ms = clock_now_ms();
	pid_t pid;

	if (access(argv[0], X_OK) == -1) {
		count_failure(p, now_ms, 0);
		error_once(p, "cannot start PgBouncer: %s: %s (see pgbouncer.bin)", argv[0],
		           strerror(errno));
		return;
	}
	path_in_run_dir(p, POOLER_INI_NAME, ini_path, sizeof(ini_path));
	path_in_run_dir(p, POOLER_LOG_NAME, log_path, sizeof(log_path));
	pid = proc_spawn(&spec, err, sizeof(err));
	if (pid == -1) {
		count_failure(p, now_ms, 0);
		error_once(p, "cannot start PgBouncer: %s", err);
		return;
	}
	p->pid = pid;
	p->pidfd = proc_pidfd(pid);
	p->started_ms = now_ms;
	p->running = p->conf;
	p->last_error[0] = '\0';
	if (p->failures <= 1)
		log_info("PgBouncer started (pid %d): listening on %s:%d, pooling PostgreSQL on "
		         "%s port %d; files in %s",
		         (int)pid, p->conf.listen_host, p->conf.listen_port, p->conf.pg_socket_dir,
		         p->conf.pg_port, p->conf.run_dir);
	else
		log_debug("PgBouncer started again (pid %d)", (int)pid);
}

/* terminate: sig, up to wait_ms for the exit, then SIGKILL; reaps our child. */
static void terminate(struct pooler *p, int sig, int wait_ms)
{
	int status;

	if (p->pid <= 0)
		return;
	if (kill(p->pid, sig) == -1 || proc_wait(p->pid, wait_ms, &status) != 1) {
		kill(p->pid, SIGKILL);
		proc_wait(p->pid, -1, &status);
	}
	forget_process(p);
}

/* apply_change: a running PgBouncer gets its new files: reload, or restart if needed. */
static void apply_change(struct pooler *p)
{
	if (pooler_conf_needs_restart(&p->running, &p->conf)) {
		log_info("PgBouncer's listen address or directory changed: restarting it");
		terminate(p, SIGTERM, RESTART_TERM_MS);
		p->failures = 0;
		p->next_start_ms = 0;
		return;
	}
	if (kill(p->pid, SIGHUP) == -1) {
		log_warn("cannot signal PgBouncer (pid %d) to reload: %s", (int)p->pid,
		         strerror(errno));
		return;
	}
	p->running = p->conf;
	log_info("PgBouncer's configuration changed: reloaded (pid %d)", (int)p->pid);
}

/* --- public --------------------------------------------------------------------------------- */

struct pooler *pooler_new(const struct config *cfg, const char *run_dir)
{
	struct pooler *p = xcalloc(1, sizeof(*p));

	p->cfg = cfg;
	p->pidfd = -1;
	if (run_dir && !str_copy(p->run_dir_arg, sizeof(p->run_dir_arg), run_dir)) {
		log_error("PgBouncer run directory too long: %s", run_dir);
		free(p);
		return NULL;
	}
	if (!prepare(p)) { /* already logged */
		free(p);
		return NULL;
	}
	return p;
}

bool pooler_ensure(struct pooler *p)
{
	bool changed = false;

	if (p == NULL)
		return false;
	reap(p);
	/* A configuration that became unusable leaves the running PgBouncer as it is. */
	if (!prepare(p) || !write_files(p, &changed))
		return p->pid > 0;
	if (p->pid > 0) {
		note_stable(p);
		if (changed)
			apply_change(p);
	}
	if (p->pid <= 0 && clock_now_ms() >= p->next_start_ms)
		start(p);
	return p->pid > 0;
}

void pooler_stop(struct pooler *p)
{
	int status;

	if (p == NULL || p->pid <= 0)
		return;
	log_info("stopping PgBouncer (pid %d)", (int)p->pid);
	/* SIGINT first: PgBouncer lets running transactions end, then exits. */
	if (kill(p->pid, SIGINT) == 0 && proc_wait(p->pid, STOP_SAFE_MS, &status) == 1)
		forget_process(p);
	else
		terminate(p, SIGTERM, STOP_TERM_MS);
	p->failures = 0;
	p->next_start_ms = 0;
}

int pooler_fd(const struct pooler *p)
{
	return p ? p->pidfd : -1;
}

pid_t pooler_pid(const struct pooler *p)
{
	return p ? p->pid : 0;
}

const char *pooler_run_dir(const struct pooler *p)
{
	return p ? p->conf.run_dir : NULL;
}

bool pooler_healthy(struct pooler *p, int timeout_ms)
{
	char err[256];

	if (p == NULL || p->pid <= 0)
		return false;
	if (!pooler_ping(p->running.run_dir, p->running.listen_port, p->running.auth_user,
	                 timeout_ms, err, sizeof(err))) {
		log_debug("PgBouncer (pid %d) not answering: %s", (int)p->pid, err);
		return false;
	}
	return true;
}

void pooler_free(struct pooler *p)
{
	if (p == NULL)
		return;
	pooler_stop(p);
	memset(p->verifier_password, 0, sizeof(p->verifier_password));
	free(p);
}
