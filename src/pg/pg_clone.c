/*
 * pg_clone.c: making a data directory: initdb for a new cluster, pg_basebackup from
 * a running member, pg_rewind of a former primary, and moving a directory aside.
 *
 * Data is never deleted: a directory that must be replaced is renamed with a suffix
 * and a timestamp. The postmaster must be stopped for all of these.
 */
#include "pg/pg_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "log/log.h"
#include "pg/pg_conf.h"
#include "util/clock.h"
#include "util/conninfo.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define INITDB_TIMEOUT_MS 300000
#define SHMEM_WAIT_MS     10000

static bool must_be_stopped(struct pg_node *n, const char *what)
{
	pg_proc_poll(&n->proc);
	if (!pg_proc_running(&n->proc))
		return true;
	log_error("%s: PostgreSQL is running; stop it first", what);
	return false;
}

bool pg_move_data_aside(struct pg_node *n, const char *suffix, char *moved_to, size_t size)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!must_be_stopped(n, "move data aside"))
		return false;
	if (!fs_exists(n->data_dir))
		return true;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < 100; i++) {
		char *to = i == 0 ? xasprintf("%s.%s.%s", n->data_dir, suffix, stamp)
		                  : xasprintf("%s.%s.%s.%d", n->data_dir, suffix, stamp, i);
		bool done = !fs_exists(to) && rename(n->data_dir, to) == 0;

		if (done) {
			log_warn("moved data directory %s aside to %s", n->data_dir, to);
			pg_slots_forget(n);
			if (moved_to != NULL && size > 0)
				snprintf(moved_to, size, "%s", to);
		} else if (!fs_exists(to))
			log_error("cannot move %s to %s: %s", n->data_dir, to, strerror(errno));
		free(to);
		if (done)
			return true;
	}
	return false;
}

/* --- initdb ------------------------------------------------------------------------------- */

static bool has_checksums_option(char *const *opts)
{
	for (int i = 0; opts && opts[i]; i++) {
		if (str_eq(opts[i], "--data-checksums") || str_eq(opts[i], "-k"))
			return true;
	}
	return false;
}

/* initdb_argv: owned array of borrowed strings. */
static const char **initdb_argv(const struct pg_node *n, const char *bin, const char *pwfile_opt)
{
	char *const *opts = n->cfg->bootstrap.initdb;
	size_t nopts = 0, i = 0;
	const char **argv;

	while (opts && opts[nopts])
		nopts++;
	argv = xcalloc(nopts + 10, sizeof(*argv));
	argv[i++] = bin;
	argv[i++] = "-D";
	argv[i++] = n->data_dir;
	argv[i++] = "-U";
	argv[i++] = n->cfg->postgresql.superuser.username;
	argv[i++] = "--auth-local=peer";
	argv[i++] = "--auth-host=scram-sha-256";
	if (pwfile_opt)
		argv[i++] = pwfile_opt;
	if (!has_checksums_option(opts))
		argv[i++] = "--data-checksums";
	for (size_t j = 0; j < nopts; j++)
		argv[i++] = opts[j];
	return argv;
}

static bool initdb_run(struct pg_node *n)
{
	const char *password = n->cfg->postgresql.superuser.password;
	char *pwfile = xasprintf("%s.initdb-pw", n->data_dir);
	char *pwopt = xasprintf("--pwfile=%s", pwfile);
	char *bin = pg_bin(n, "initdb");
	const char **argv;
	bool ok = true;

	if (password[0] && !fs_write_atomic(pwfile, password, strlen(password), 0600)) {
		log_error("cannot write %s: %s", pwfile, strerror(errno));
		ok = false;
	}
	argv = initdb_argv(n, bin, password[0] ? pwopt : NULL);
	ok = ok && pg_tool_run(n, argv, INITDB_TIMEOUT_MS, NULL);
	unlink(pwfile);
	free(argv);
	free(bin);
	free(pwopt);
	free(pwfile);
	return ok;
}

bool pg_initdb(struct pg_node *n)
{
	int64_t start_ms = clock_now_ms();

	if (!must_be_stopped(n, "initdb"))
		return false;
	if (!fs_dir_is_empty(n->data_dir)) {
		log_error("initdb: data directory %s is not empty", n->data_dir);
		return false;
	}
	if (!fs_mkdir_p(n->data_dir, 0700)) {
		log_error("cannot create %s: %s", n->data_dir, strerror(errno));
		return false;
	}
	if (!initdb_run(n))
		return false;
	/* Until the first start renders the rest, the directory already has safe pg_hba. */
	if (!pg_files_hba(n) || !pg_files_passfile(n))
		return false;
	log_info("initdb of %s done in %lld ms", n->data_dir,
	         (long long)(clock_now_ms() - start_ms));
	return true;
}

/* own_copy: a data directory copied from elsewhere made this node's: private (PostgreSQL
 * refuses one others can read), no other node's socket locks, none of this node's
 * slots in it. */
static bool own_copy(struct pg_node *n)
{
	if (chmod(n->data_dir, 0700) == -1) {
		log_error("cannot chmod %s: %s", n->data_dir, strerror(errno));
		return false;
	}
	pg_files_remove_foreign(n);
	pg_slots_forget(n);
	return true;
}

/* --- pg_basebackup ------------------------------------------------------------------------ */

static void source_conninfo(const struct pg_node *n, const char *host, int port,
                            const struct pg_user *user, const char *app, struct buf *ci)
{
	char port_s[16];

	snprintf(port_s, sizeof(port_s), "%d", port);
	conninfo_append(ci, "host", host);
	conninfo_append(ci, "port", port_s);
	conninfo_append(ci, "user", user->username);
	conninfo_append(ci, "dbname", "postgres");
	conninfo_append(ci, "passfile", n->pgpass);
	/* Never the member name: a copy in progress must not count as a sync standby. */
	conninfo_append(ci, "application_name", app);
	conninfo_append(ci, "connect_timeout", "5");
	pg_conninfo_ssl(ci, user);
}

static bool basebackup_run(struct pg_node *n, const char *host, int port, const char *const *extra,
                           int timeout_ms)
{
	char *bin = pg_bin(n, "pg_basebackup");
	const char *fixed[] = {bin,  "-D",     n->data_dir, "-d",   NULL,
	                       "-X", "stream", "-c",        "fast", "-w"};
	size_t n_extra = 0, k = 0;
	const char **argv;
	struct buf ci;
	bool ok;

	buf_init(&ci);
	source_conninfo(n, host, port, pg_replication_user(n->cfg), "pgha_basebackup", &ci);
	fixed[4] = ci.data;
	while (extra != NULL && extra[n_extra] != NULL)
		n_extra++;
	argv = xcalloc(ARRAY_LEN(fixed) + n_extra + 1, sizeof(*argv));
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		argv[k++] = fixed[i];
	for (size_t i = 0; i < n_extra; i++)
		argv[k++] = extra[i];
	ok = pg_tool_run(n, argv, timeout_ms, NULL);
	free(argv);
	buf_free(&ci);
	free(bin);
	return ok;
}

bool pg_basebackup(struct pg_node *n, const char *host, int port, const char *const *extra,
                   int timeout_ms)
{
	int64_t start_ms = clock_now_ms();

	if (!must_be_stopped(n, "pg_basebackup"))
		return false;
	if (!fs_dir_is_empty(n->data_dir) && !pg_move_data_aside(n, "replaced", NULL, 0))
		return false;
	if (!pg_files_passfile(n))
		return false;
	log_info("cloning %s from %s:%d", n->data_dir, host, port);
	/* On failure pg_basebackup removes what it wrote itself. */
	if (!basebackup_run(n, host, port, extra, timeout_ms) || !own_copy(n))
		return false;
	log_info("cloned %s from %s:%d in %lld ms", n->data_dir, host, port,
	         (long long)(clock_now_ms() - start_ms));
	return true;
}

/* --- pg_rewind ------------------------------------------------------------------------------ */

/* drop_signals: single-user mode (pg_rewind's crash recovery) refuses standby.signal. */
static bool drop_signals(const struct pg_node *n)
{
	static const char *const names[] = {"standby.signal", "recovery.signal"};
	bool ok = true;

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *path = xasprintf("%s/%s", n->data_dir, names[i]);

		if (unlink(path) == -1 && errno != ENOENT) {
			log_error("cannot remove %s: %s", path, strerror(errno));
			ok = false;
		}
		free(path);
	}
	return ok;
}

/* Timelines of the source's last checkpoint and of its WAL, 0 for a standby's WAL. */
static const char SOURCE_TIMELINES_SQL[] =
    "SELECT c.timeline_id, CASE WHEN pg_catalog.pg_is_in_recovery() THEN 0 ELSE"
    " ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()),"
    " 1, 8))::bit(32)::int END FROM pg_catalog.pg_control_checkpoint() c";

#define SOURCE_READY_WAIT_MS 5000
#define SOURCE_READY_POLL_MS 100

/*
 * source_check: whether host:port can be rewound from now. PostgreSQL 15's pg_rewind
 * takes the source's timeline from its pg_control, which shows the old timeline after
 * a promotion until a checkpoint completes, and it accepts a source still in recovery:
 * rewinding from a leader that is still promoting writes a minimum recovery point on
 * a timeline the new leader's history does not contain, and the node can never start.
 * So: the source must be out of recovery, and is CHECKPOINTed if its last checkpoint
 * predates its timeline. Anything unclear counts as not ready.
 */
static bool source_check(struct pg_sql *src, const char *host, int port, int timeout_ms, char *why,
                         size_t whylen)
{
	PGresult *r = NULL;
	int checkpoint_tli, wal_tli;
	bool ok;

	if (!pg_sql_run(src, "pg_rewind: checking the source", SOURCE_TIMELINES_SQL, 0, NULL,
	                timeout_ms, &r) ||
	    r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		snprintf(why, whylen, "%s:%d did not answer", host, port);
		return false;
	}
	checkpoint_tli = atoi(PQgetvalue(r, 0, 0));
	wal_tli = atoi(PQgetvalue(r, 0, 1));
	PQclear(r);
	if (wal_tli == 0) {
		snprintf(why, whylen, "%s:%d is still in recovery (promoting)", host, port);
		return false;
	}
	if (checkpoint_tli >= wal_tli)
		return true;
	log_info("pg_rewind: %s:%d is on timeline %d but its last checkpoint on %d; "
	         "requesting a checkpoint",
	         host, port, wal_tli, checkpoint_tli);
	ok = pg_sql_run(src, "pg_rewind: CHECKPOINT on the source", "CHECKPOINT", 0, NULL,
	                timeout_ms, NULL);
	snprintf(why, whylen, "%s:%d has not checkpointed on timeline %d yet", host, port, wal_tli);
	return ok && source_check(src, host, port, timeout_ms, why, whylen);
}

/* source_ready: source_check, retried for a few seconds (a promotion takes a moment). */
static bool source_ready(struct pg_node *n, const char *host, int port, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + SOURCE_READY_WAIT_MS;
	struct pg_sql src;
	char why[256] = "";
	bool ready;

	pg_sql_init(&src, host, port, n->cfg->postgresql.superuser.username, n->pgpass);
	while (!(ready = source_check(&src, host, port, timeout_ms, why, sizeof(why))) &&
	       clock_now_ms() < deadline)
		clock_sleep_ms(SOURCE_READY_POLL_MS);
	pg_sql_close(&src);
	if (!ready)
		log_info("pg_rewind: not yet: %s; the data directory is left as it is", why);
	return ready;
}

/* has_restore_command: pgha's archiving, or the user's restore_command parameter. */
static bool has_restore_command(const struct pg_node *n)
{
	const char *user = pg_params_get(&n->cfg->postgresql.parameters, "restore_command");

	if (user == NULL)
		user = pg_params_get(&n->dcs_params, "restore_command");
	return n->archive.restore_command[0] != '\0' || (user != NULL && user[0] != '\0');
}

static bool rewind_run(struct pg_node *n, const char *host, int port, int timeout_ms)
{
	char *bin = pg_bin(n, "pg_rewind");
	char *target = xasprintf("--target-pgdata=%s", n->data_dir);
	struct buf ci;
	char *source;
	bool ok;

	buf_init(&ci);
	source_conninfo(n, host, port, pg_rewind_user(n->cfg), "pgha_rewind", &ci);
	source = xasprintf("--source-server=%s", ci.data);
	{
		/* With an archive, WAL the target needs and no longer has (older than the
		 * divergence) is fetched from it instead of failing the rewind. */
		const char *argv[] = {bin, target, source,
		                      has_restore_command(n) ? "--restore-target-wal" : NULL, NULL};

		ok = pg_tool_run(n, argv, timeout_ms, NULL);
	}
	free(source);
	buf_free(&ci);
	free(target);
	free(bin);
	return ok;
}

enum pg_rewind_result pg_rewind(struct pg_node *n, const char *host, int port, int timeout_ms)
{
	int64_t start_ms = clock_now_ms();

	if (!must_be_stopped(n, "pg_rewind"))
		return PG_REWIND_FAILED;
	if (!pg_files_passfile(n) || !source_ready(n, host, port, timeout_ms))
		return PG_REWIND_SOURCE_NOT_READY;
	/* A killed postmaster's backends may still hold shared memory, and pg_rewind may
	 * start a single-user postgres for crash recovery. */
	if (!pg_proc_wait_shmem(n->data_dir, SHMEM_WAIT_MS) || !drop_signals(n))
		return PG_REWIND_FAILED;
	log_info("rewinding %s from %s:%d", n->data_dir, host, port);
	if (!rewind_run(n, host, port, timeout_ms))
		return PG_REWIND_FAILED;
	pg_files_remove_foreign(n);
	log_info("pg_rewind of %s done in %lld ms", n->data_dir,
	         (long long)(clock_now_ms() - start_ms));
	return PG_REWIND_DONE;
}

bool pg_data_adopt(struct pg_node *n, bool keep_auto_conf)
{
	char *version = xasprintf("%s/PG_VERSION", n->data_dir);
	struct pg_role_conf none;
	bool ok = fs_exists(version);

	free(version);
	if (!ok) {
		log_error("%s is not a data directory", n->data_dir);
		return false;
	}
	if (!own_copy(n))
		return false;
	memset(&none, 0, sizeof(none));
	return keep_auto_conf || pg_files_clean_auto_conf(n, &none);
}
