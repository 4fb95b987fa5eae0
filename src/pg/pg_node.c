/*
 * pg_node.c: the local PostgreSQL node: paths from the configuration, and the
 * lifecycle (start, wait, stop, fence, reconfigure, observe) on top of pg_proc,
 * pg_files, pg_sql and pg_control. See pg.h for the contract.
 */
#include "pg/pg_int.h"

#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include "log/log.h"
#include "pg/pg_conf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define SHMEM_WAIT_MS 10000
/* pg_controldata reads a file and takes milliseconds; it gets at least this much even
 * when the SQL attempt used up the caller's budget. */
#define CONTROLDATA_MIN_MS 1000

bool pg_reload(struct pg_node *n)
{
	struct pg_role_conf role = n->role;

	return pg_reconfigure(n, &role);
}

/* The node keeps a deep copy: the DCS view the parameters came from may change. */
bool pg_node_set_params(struct pg_node *n, const struct pg_params *dcs_params)
{
	if (pg_params_equal(&n->dcs_params, dcs_params))
		return true;
	pg_params_free(&n->dcs_params);
	pg_params_copy(&n->dcs_params, dcs_params);
	/* A running PostgreSQL reloads now; parameters that need a restart show up as
	 * pending_restart, as with Patroni. */
	return pg_reload(n);
}

bool pg_node_set_archive(struct pg_node *n, const struct pg_archive *archive)
{
	struct pg_archive none = {{0}, {0}};

	if (archive == NULL)
		archive = &none;
	if (memcmp(&n->archive, archive, sizeof(*archive)) == 0)
		return true;
	n->archive = *archive;
	return pg_reload(n);
}

/* --- construction ------------------------------------------------------------------------ */

/* abspath_or: absolute form of value, or of fallback when value is empty. */
static bool abspath_or(char *out, size_t size, const char *value, const char *fallback,
                       const char *what)
{
	if (!fs_abspath(value[0] ? value : fallback, out, size)) {
		log_error("%s: path too long or unusable", what);
		return false;
	}
	return true;
}

/* find_bin_dir: the directory of "postgres" in PATH, for an unset bin_dir. */
static bool find_bin_dir(char *out, size_t size)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	bool found = false;

	for (char *dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *exe = xasprintf("%s/postgres", dir);

		found = access(exe, X_OK) == 0 && fs_abspath(dir, out, size);
		free(exe);
	}
	free(copy);
	if (!found)
		log_error("postgresql.bin_dir is not set and no postgres program is in PATH");
	return found;
}

static bool make_parent(const char *path)
{
	char *copy = xstrdup(path);
	bool ok = fs_mkdir_p(dirname(copy), 0700);

	if (!ok)
		log_error("cannot create the directory of %s: %s", path, strerror(errno));
	free(copy);
	return ok;
}

static bool make_dir(const char *path)
{
	bool ok = fs_mkdir_p(path, 0700);

	if (!ok)
		log_error("cannot create %s: %s", path, strerror(errno));
	return ok;
}

static bool resolve_paths(struct pg_node *n, const struct pg_node_options *opt)
{
	const struct config *cfg = opt->cfg;
	char def[PATH_MAX + 16];
	struct sockaddr_un sun;

	if (!cfg->postgresql.data_dir[0]) {
		log_error("postgresql.data_dir is not set");
		return false;
	}
	if (!abspath_or(n->data_dir, sizeof(n->data_dir), cfg->postgresql.data_dir, "", "data_dir"))
		return false;
	if (cfg->postgresql.bin_dir[0] ? !abspath_or(n->bin_dir, sizeof(n->bin_dir),
	                                             cfg->postgresql.bin_dir, "", "bin_dir")
	                               : !find_bin_dir(n->bin_dir, sizeof(n->bin_dir)))
		return false;
	snprintf(def, sizeof(def), "%s.pgpass", n->data_dir);
	if (!abspath_or(n->pgpass, sizeof(n->pgpass), cfg->postgresql.pgpass, def, "pgpass"))
		return false;
	snprintf(def, sizeof(def), "%s.slots", n->data_dir);
	if (!abspath_or(n->slots_record, sizeof(n->slots_record), "", def, "slots record"))
		return false;
	snprintf(def, sizeof(def), "%s.log", n->data_dir);
	if (!abspath_or(n->log_path, sizeof(n->log_path), opt->log_path ? opt->log_path : "", def,
	                "log_path"))
		return false;
	/* Not in the data directory by default: pg_rewind copies every file of its source's
	 * data directory and fails on a socket ("could not open file .s.PGSQL.5432"). */
	snprintf(def, sizeof(def), "%s.sock", n->data_dir);
	if (!abspath_or(n->socket_dir, sizeof(n->socket_dir), cfg->postgresql.socket_dir, def,
	                "socket_dir"))
		return false;
	if (str_eq(n->socket_dir, n->data_dir))
		log_warn("unix socket in the data directory %s: pg_rewind from this node will fail",
		         n->data_dir);
	/* The socket path "<dir>/.s.PGSQL.<port>" must fit in sockaddr_un. */
	if (strlen(n->socket_dir) + sizeof("/.s.PGSQL.65535") > sizeof(sun.sun_path)) {
		log_error("socket directory %s is too long for a unix socket path", n->socket_dir);
		return false;
	}
	return make_parent(n->data_dir) && make_parent(n->pgpass) && make_parent(n->log_path) &&
	       make_dir(n->socket_dir);
}

static bool resolve_identity(struct pg_node *n, const struct config *cfg)
{
	char host[CONFIG_HOST_LEN], err[256], pwbuf[1024];
	struct passwd pw, *found = NULL;

	if (!pg_conf_listen(cfg->postgresql.listen, host, sizeof(host), &n->port, err,
	                    sizeof(err))) {
		log_error("%s", err);
		return false;
	}
	if (!cfg->postgresql.superuser.username[0]) {
		log_error("postgresql.authentication.superuser.username is not set");
		return false;
	}
	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &found) != 0 || found == NULL ||
	    !str_copy(n->os_user, sizeof(n->os_user), pw.pw_name)) {
		log_error("cannot find the name of OS user %d", (int)geteuid());
		return false;
	}
	return true;
}

struct pg_node *pg_node_new(const struct pg_node_options *opt)
{
	struct pg_node *n = xcalloc(1, sizeof(*n));

	n->cfg = opt->cfg;
	n->death_signal = opt->death_signal;
	pg_proc_init(&n->proc);
	pg_params_copy(&n->dcs_params, opt->dcs_params);
	if (opt->archive != NULL)
		n->archive = *opt->archive;
	if (!resolve_identity(n, opt->cfg) || !resolve_paths(n, opt)) {
		pg_params_free(&n->dcs_params);
		free(n);
		return NULL;
	}
	pg_sql_init(&n->sql, n->socket_dir, n->port, opt->cfg->postgresql.superuser.username,
	            n->pgpass);
	return n;
}

void pg_node_free(struct pg_node *n)
{
	if (n == NULL)
		return;
	pg_sql_close(&n->sql);
	if (n->proc.pidfd != -1)
		close(n->proc.pidfd);
	pg_params_free(&n->dcs_params);
	free(n);
}

/* --- observation ------------------------------------------------------------------------- */

enum pg_proc_state pg_proc_state(struct pg_node *n)
{
	return pg_proc_poll(&n->proc);
}

int pg_postmaster_fd(struct pg_node *n)
{
	pg_proc_poll(&n->proc);
	return n->proc.pidfd;
}

const char *pg_node_socket_dir(const struct pg_node *n)
{
	return n->socket_dir;
}

pid_t pg_postmaster_pid(const struct pg_node *n)
{
	return (pid_t)atomic_load(&n->proc.pid);
}

void pg_observe(struct pg_node *n, struct pg_observation *o, int timeout_ms)
{
	int64_t start_ms = clock_now_ms();
	int left_ms;

	memset(o, 0, sizeof(*o));
	o->proc = pg_proc_poll(&n->proc);
	if (pg_proc_running(&n->proc) && pg_observe_sql(n, o, timeout_ms)) {
		if (n->proc.state == PG_PROC_STARTING)
			n->proc.state = PG_PROC_RUNNING;
		o->proc = n->proc.state;
		return;
	}
	/* Down, starting or not answering: what the files say (logged if unreadable, and
	 * then o->data is PG_DATA_INVALID, which is all the caller needs to know). */
	left_ms = (int)(timeout_ms - (clock_now_ms() - start_ms));
	if (!pg_controldata_read(n, o, MAX(left_ms, CONTROLDATA_MIN_MS)))
		o->data = PG_DATA_INVALID;
}

bool pg_data_system_id(struct pg_node *n, char *out, size_t size)
{
	struct pg_observation o;

	memset(&o, 0, sizeof(o));
	if (size > 0)
		out[0] = '\0';
	if (!pg_controldata_read(n, &o, PG_ADMIN_TIMEOUT_MS))
		return false;
	return str_copy(out, size, o.system_id);
}

/* --- lifecycle ----------------------------------------------------------------------------- */

static bool has_cluster(const struct pg_node *n)
{
	char *version = xasprintf("%s/PG_VERSION", n->data_dir);
	bool ok = fs_exists(version);

	if (!ok)
		log_error("cannot start PostgreSQL: %s is not a data directory", n->data_dir);
	free(version);
	return ok;
}

bool pg_start(struct pg_node *n, const struct pg_role_conf *role)
{
	char *bin;
	bool ok;

	n->received_tli = 0; /* a rewind or clone may have changed the data's timeline */
	pg_proc_poll(&n->proc);
	if (pg_proc_running(&n->proc)) {
		log_error("cannot start PostgreSQL: already running (pid %d)",
		          (int)pg_postmaster_pid(n));
		return false;
	}
	/* postgresql.auto.conf is read after postgresql.conf: clean it before rendering. */
	if (!has_cluster(n) || (!role->keep_auto_conf && !pg_files_clean_auto_conf(n, role)) ||
	    !pg_files_write(n, role))
		return false;
	/* After a SIGKILL, orphaned backends may hold the old segment for a moment. */
	(void)pg_proc_wait_shmem(n->data_dir, SHMEM_WAIT_MS);
	pg_sql_close(&n->sql);
	n->role = *role;
	n->start_log_offset = pg_log_size(n);
	bin = pg_bin(n, "postgres");
	{
		const char *argv[] = {bin, "-D", n->data_dir, NULL};
		struct proc_spec spec = {.argv = argv,
		                         .cwd = "/",
		                         .log_path = n->log_path,
		                         .stdin_null = true,
		                         .new_session = true,
		                         .death_signal = n->death_signal};

		log_info("starting PostgreSQL as %s on port %d",
		         role->standby ? "standby" : "primary", n->port);
		ok = pg_proc_spawn(&n->proc, &spec);
	}
	free(bin);
	return ok;
}

/* wait_exit_or: sleeps up to ms, waking at once if the postmaster exits. */
static void wait_exit_or(struct pg_node *n, int64_t ms)
{
	if (ms > 0)
		(void)pg_proc_wait_exit(&n->proc, (int)ms);
}

bool pg_wait_ready(struct pg_node *n, int timeout_ms)
{
	int64_t start_ms = clock_now_ms(), deadline = start_ms + timeout_ms;
	char err[512] = "";

	for (;;) {
		int64_t now = clock_now_ms();

		pg_proc_poll(&n->proc);
		if (!pg_proc_running(&n->proc)) {
			log_error("PostgreSQL exited while starting; its last words:");
			pg_log_tail(n, n->start_log_offset, "postgres");
			return false;
		}
		if (pg_sql_connect(&n->sql, MIN(deadline, now + 1000), err, sizeof(err))) {
			n->proc.state = PG_PROC_RUNNING;
			log_info("PostgreSQL accepts connections (%lld ms)",
			         (long long)(clock_now_ms() - start_ms));
			return true;
		}
		if (clock_now_ms() >= deadline) {
			log_error("PostgreSQL not accepting connections after %d ms: %s",
			          timeout_ms, err);
			return false;
		}
		wait_exit_or(n, MIN(50, deadline - clock_now_ms()));
	}
}

static int stop_signal(enum pg_stop_mode mode)
{
	switch (mode) {
	case PG_STOP_SMART:
		return SIGTERM;
	case PG_STOP_FAST:
		return SIGINT;
	case PG_STOP_IMMEDIATE:
		return SIGQUIT;
	case PG_STOP_KILL:
		return SIGKILL;
	}
	return SIGKILL;
}

bool pg_stop(struct pg_node *n, enum pg_stop_mode mode, int timeout_ms)
{
	int64_t start_ms = clock_now_ms();
	bool ok;

	/* Our own session would hold up a smart shutdown forever. */
	pg_sql_close(&n->sql);
	pg_proc_poll(&n->proc);
	if (!pg_proc_running(&n->proc))
		return true;
	log_info("stopping PostgreSQL (%s)", strsignal(stop_signal(mode)));
	ok = pg_proc_stop(&n->proc, stop_signal(mode), timeout_ms);
	if (ok)
		log_info("PostgreSQL stopped in %lld ms", (long long)(clock_now_ms() - start_ms));
	return ok;
}

void pg_fence_now(struct pg_node *n)
{
	pg_proc_fence(&n->proc);
}

bool pg_reconfigure(struct pg_node *n, const struct pg_role_conf *role)
{
	pid_t pid;

	pg_proc_poll(&n->proc);
	pid = pg_postmaster_pid(n);
	if (pid <= 0)
		return true; /* pg_start renders the files for the role it is given */
	if (role->standby != n->role.standby) {
		log_info("PostgreSQL must restart to become a %s",
		         role->standby ? "standby" : "primary");
		return false;
	}
	if (!pg_files_write(n, role))
		return false;
	if (kill(pid, SIGHUP) == -1) {
		log_error("cannot signal the postmaster (pid %d): %s", (int)pid, strerror(errno));
		return false;
	}
	n->role = *role;
	log_info("PostgreSQL configuration reloaded");
	return true;
}
