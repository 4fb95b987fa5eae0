/*
 * test_pooler_live.c: pooler/ against a real PostgreSQL 15 and PgBouncer 1.18.
 *
 * One PostgreSQL (unix socket only, port 33200, pg_hba as pgha writes it: the superuser
 * by peer over the socket, everyone else with scram-sha-256) and the pooler's PgBouncer
 * on 127.0.0.1:33201. Checks: a normal role logs in through PgBouncer with its password
 * (SCRAM, and PostgreSQL sees it as that role over the socket: pass-through); a wrong
 * password, a role without password, an expired one and an unknown one do not; the
 * superuser logs in with its configured password only; a reload applies new pool
 * settings to the same process; kill -9 is repaired by pooler_ensure; PostgreSQL
 * restarting is followed within a short bound; pooler_stop leaves nothing running.
 *
 * PostgreSQL and PgBouncer refuse root: run as root, the test becomes the postgres OS
 * user first. Processes are stopped by pid; the temp directory is removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <grp.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "config/config.h"
#include "pooler/pooler.h"
#include "pooler/pooler_admin.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define PG_BIN         "/usr/lib/postgresql/15/bin"
#define BOUNCER_BIN    "/usr/sbin/pgbouncer"
#define PG_PORT        33200
#define BOUNCER_PORT   33201
#define SUPER_PASSWORD "super pw'1"
#define ALICE_PASSWORD "alice's pw"
#define HEALTHY_MS     10000 /* PgBouncer answering after a start */
#define PG_BACK_MS     3000  /* logins through PgBouncer again after PostgreSQL is back */

struct live {
	char dir[64];              /* temp directory, removed at the end */
	char data[128], sock[128]; /* PostgreSQL's data and socket directories */
	pid_t pg_pid;              /* the postmaster */
	struct config *cfg;
	struct pooler *pooler;
};

/* --- helpers ------------------------------------------------------------------------------ */

static void become_postgres(void)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	pw = getpwnam("postgres");
	if (pw == NULL) {
		fprintf(stderr, "running as root and there is no postgres user\n");
		exit(1);
	}
	if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		perror("setuid postgres");
		exit(1);
	}
	setenv("HOME", pw->pw_dir, 1);
}

static bool run_tool(const struct live *L, const char *const *argv)
{
	char log[160], err[512];
	struct proc_spec spec = {.argv = argv, .log_path = log, .stdin_null = true};

	snprintf(log, sizeof(log), "%s/tools.log", L->dir);
	if (!proc_run(&spec, 120000, NULL, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return false;
	}
	return true;
}

/*
 * query: one statement on conninfo; the first value goes to out. False with PostgreSQL's
 * or PgBouncer's message in err.
 */
static bool query(const char *conninfo, const char *sql, char *out, size_t outsize, char *err,
                  size_t errlen)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = NULL;
	bool ok = PQstatus(c) == CONNECTION_OK;

	if (ok) {
		r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
	}
	if (ok && out)
		snprintf(out, outsize, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	if (!ok)
		snprintf(err, errlen, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

static bool superuser_sql(const struct live *L, const char *sql)
{
	char conninfo[256], err[512];

	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d dbname=postgres user=postgres",
	         L->sock, PG_PORT);
	if (!query(conninfo, sql, NULL, 0, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", sql, err);
		return false;
	}
	return true;
}

/* via_bouncer: sql through PgBouncer's TCP port as user with password. */
static bool via_bouncer(const char *user, const char *password, const char *sql, char *out,
                        size_t outsize, char *err, size_t errlen)
{
	char conninfo[512], quoted[256];
	size_t j = 0;

	for (size_t i = 0; password[i] && j + 3 < sizeof(quoted); i++) {
		if (password[i] == '\'' || password[i] == '\\')
			quoted[j++] = '\\';
		quoted[j++] = password[i];
	}
	quoted[j] = '\0';
	snprintf(conninfo, sizeof(conninfo),
	         "host=127.0.0.1 port=%d dbname=postgres user=%s password='%s' connect_timeout=5",
	         BOUNCER_PORT, user, quoted);
	return query(conninfo, sql, out, outsize, err, errlen);
}

static bool pg_ready(const struct live *L)
{
	char conninfo[256];

	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d dbname=postgres user=postgres",
	         L->sock, PG_PORT);
	return PQping(conninfo) == PQPING_OK;
}

static bool start_pg(struct live *L)
{
	char port[16], err[512], log[160];
	const char *argv[] = {
	    PG_BIN "/postgres",  "-D", L->data,     "-p", port, "-k", L->sock, "-c",
	    "listen_addresses=", "-c", "fsync=off", NULL};
	struct proc_spec spec = {.argv = argv,
	                         .log_path = log,
	                         .stdin_null = true,
	                         .new_session = true,
	                         .death_signal = SIGKILL};
	int64_t deadline = clock_now_ms() + 30000;

	snprintf(port, sizeof(port), "%d", PG_PORT);
	snprintf(log, sizeof(log), "%s/postgresql.log", L->dir);
	L->pg_pid = proc_spawn(&spec, err, sizeof(err));
	if (L->pg_pid == -1) {
		fprintf(stderr, "%s\n", err);
		return false;
	}
	while (!pg_ready(L) && clock_now_ms() < deadline)
		clock_sleep_ms(50);
	return pg_ready(L);
}

static void stop_pg(struct live *L)
{
	if (L->pg_pid > 0 && !proc_stop(L->pg_pid, SIGINT, 20000))
		fprintf(stderr, "postmaster %d did not stop\n", (int)L->pg_pid);
	L->pg_pid = 0;
}

static bool write_text(const char *dir, const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fs_write_atomic(path, text, strlen(text), 0600);
}

/* init_pg: initdb, pg_hba/pg_ident as pgha renders them by default, roles. */
static bool init_pg(struct live *L)
{
	const char *initdb[] = {PG_BIN "/initdb",
	                        "-D",
	                        L->data,
	                        "-U",
	                        "postgres",
	                        "-N",
	                        "--auth-local=peer",
	                        "--auth-host=scram-sha-256",
	                        NULL};
	const char *hba = "local all postgres peer map=pgha\n"
	                  "local all all scram-sha-256\n"
	                  "host all all 127.0.0.1/32 scram-sha-256\n";

	return run_tool(L, initdb) && write_text(L->data, "pg_hba.conf", hba) &&
	       write_text(L->data, "pg_ident.conf", "pgha postgres postgres\n") &&
	       fs_mkdir_p(L->sock, 0700) && start_pg(L) &&
	       superuser_sql(L, "ALTER ROLE postgres PASSWORD 'super pw''1'") &&
	       superuser_sql(L, "CREATE ROLE alice LOGIN PASSWORD 'alice''s pw'") &&
	       superuser_sql(L, "CREATE ROLE nopass LOGIN") &&
	       superuser_sql(L, "CREATE ROLE expired LOGIN PASSWORD 'x' VALID UNTIL '2001-01-01'");
}

static void fill_cfg(struct live *L)
{
	struct config *c = xcalloc(1, sizeof(*c));

	snprintf(c->name, sizeof(c->name), "node1");
	snprintf(c->postgresql.data_dir, PATH_MAX, "%s", L->data);
	snprintf(c->postgresql.listen, CONFIG_HOST_LEN, "127.0.0.1:%d", PG_PORT);
	snprintf(c->postgresql.superuser.username, CONFIG_NAME_LEN, "postgres");
	snprintf(c->postgresql.superuser.password, CONFIG_SECRET_LEN, "%s", SUPER_PASSWORD);
	c->pgbouncer.enabled = true;
	snprintf(c->pgbouncer.listen, CONFIG_HOST_LEN, "127.0.0.1:%d", BOUNCER_PORT);
	snprintf(c->pgbouncer.bin, PATH_MAX, BOUNCER_BIN);
	c->pgbouncer.pool_size = 4;
	c->pgbouncer.max_client_conn = 50;
	snprintf(c->pgbouncer.pool_mode, sizeof(c->pgbouncer.pool_mode), "session");
	L->cfg = c;
}

static bool wait_healthy(struct live *L, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	while (clock_now_ms() < deadline) {
		if (!pooler_ensure(L->pooler))
			clock_sleep_ms(50);
		else if (pooler_healthy(L->pooler, 500))
			return true;
		else
			clock_sleep_ms(50);
	}
	return false;
}

/* admin_value: a row of SHOW CONFIG (key, value) from PgBouncer's admin console. */
static bool admin_config(const struct live *L, const char *key, char *out, size_t size)
{
	char conninfo[256];
	PGconn *c;
	PGresult *r;
	bool found = false;

	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d dbname=pgbouncer user=pgbouncer",
	         pooler_run_dir(L->pooler), BOUNCER_PORT);
	c = PQconnectdb(conninfo);
	r = PQexec(c, "SHOW CONFIG");
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
		if (str_eq(PQgetvalue(r, i, 0), key)) {
			snprintf(out, size, "%s", PQgetvalue(r, i, 1));
			found = true;
		}
	PQclear(r);
	PQfinish(c);
	return found;
}

/* --- set-up --------------------------------------------------------------------------------- */

static int group_teardown(void **state);

static int group_setup(void **state)
{
	struct live *L = xcalloc(1, sizeof(*L));

	become_postgres();
	if (access(PG_BIN "/initdb", X_OK) != 0 || access(BOUNCER_BIN, X_OK) != 0) {
		fprintf(stderr, "PostgreSQL 15 or PgBouncer is not installed\n");
		free(L);
		return -1;
	}
	snprintf(L->dir, sizeof(L->dir), "/tmp/pgha-itest-pooler-XXXXXX");
	if (mkdtemp(L->dir) == NULL) {
		free(L);
		return -1;
	}
	snprintf(L->data, sizeof(L->data), "%s/data", L->dir);
	snprintf(L->sock, sizeof(L->sock), "%s/data.sock", L->dir);
	*state = L;
	fill_cfg(L);
	if (!init_pg(L))
		goto failed;
	/* NULL run dir: the default "<data_dir>.pgbouncer"; socket dir "<data_dir>.sock". */
	L->pooler = pooler_new(L->cfg, NULL);
	if (L->pooler == NULL || !wait_healthy(L, HEALTHY_MS)) {
		fprintf(stderr, "PgBouncer did not come up\n");
		goto failed;
	}
	return 0;
failed:
	/* cmocka does not run the group teardown after a failed setup. */
	group_teardown(state);
	*state = NULL;
	return -1;
}

static int group_teardown(void **state)
{
	struct live *L = *state;

	if (L == NULL)
		return 0;
	pooler_free(L->pooler);
	stop_pg(L);
	if (getenv("PGHA_KEEP_TEST_DIR") == NULL && !fs_rm_rf(L->dir))
		fprintf(stderr, "cannot remove %s\n", L->dir);
	free(L->cfg);
	free(L);
	return 0;
}

/* --- tests ------------------------------------------------------------------------------------ */

static void test_role_logs_in_with_scram_end_to_end(void **state)
{
	struct live *L = *state;
	char out[128], err[512];
	char run_dir[160];

	snprintf(run_dir, sizeof(run_dir), "%s.pgbouncer", L->data);
	assert_string_equal(pooler_run_dir(L->pooler), run_dir);
	if (!via_bouncer("alice", ALICE_PASSWORD, "SELECT current_user", out, sizeof(out), err,
	                 sizeof(err)))
		fail_msg("alice through PgBouncer: %s", err);
	assert_string_equal(out, "alice");
	/* PostgreSQL sees a unix-socket session of alice: PgBouncer logged in as her with
	 * SCRAM (pg_hba demands it for everyone but the superuser on the socket). */
	assert_true(via_bouncer("alice", ALICE_PASSWORD,
	                        "SELECT client_addr IS NULL AND usename = 'alice' FROM "
	                        "pg_stat_activity WHERE pid = pg_backend_pid()",
	                        out, sizeof(out), err, sizeof(err)));
	assert_string_equal(out, "t");
	/* And PgBouncer really requires SCRAM: the cluster stores only SCRAM verifiers. */
	assert_true(via_bouncer("alice", ALICE_PASSWORD, "SHOW password_encryption", out,
	                        sizeof(out), err, sizeof(err)));
	assert_string_equal(out, "scram-sha-256");
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_health_probe_and_admin_console(void **state)
{
	struct live *L = *state;
	char log[192], version[128], err[512];
	long before;

	snprintf(log, sizeof(log), "%s/pgbouncer.log", pooler_run_dir(L->pooler));
	before = file_size(log);
	assert_true(before > 0);
	/* The health check may run every cycle: it must not write to PgBouncer's log. */
	for (int i = 0; i < 20; i++)
		assert_true(pooler_healthy(L->pooler, 500));
	clock_sleep_ms(100);
	assert_int_equal(file_size(log), before);
	if (!pooler_admin_query(pooler_run_dir(L->pooler), BOUNCER_PORT, "SHOW VERSION", 1000,
	                        version, sizeof(version), err, sizeof(err)))
		fail_msg("SHOW VERSION: %s", err);
	assert_true(str_has_prefix(version, "PgBouncer 1."));
	/* Errors come back as such. */
	assert_false(pooler_admin_query(pooler_run_dir(L->pooler), BOUNCER_PORT, "SHOW NONSENSE",
	                                1000, version, sizeof(version), err, sizeof(err)));
	assert_false(pooler_admin_query(L->dir, BOUNCER_PORT, "SHOW VERSION", 1000, version,
	                                sizeof(version), err, sizeof(err)));
}

static void test_bad_logins_fail(void **state)
{
	static const char *const bad[][2] = {
	    {"alice", "wrong"},   {"alice", "alice"},    {"nopass", "anything"}, {"expired", "x"},
	    {"nosuchuser", "pw"}, {"postgres", "wrong"}, {"pgbouncer", "pw"},
	};
	struct live *L = *state;
	char out[64], err[512];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (via_bouncer(bad[i][0], bad[i][1], "SELECT 1", out, sizeof(out), err,
		                sizeof(err)))
			fail_msg("%s with password '%s' got in", bad[i][0], bad[i][1]);
		/* PgBouncer answers "no such user" when auth_query finds no usable secret. */
		if (strstr(err, "authentication failed") == NULL &&
		    strstr(err, "no such user") == NULL)
			fail_msg("%s: unexpected error: %s", bad[i][0], err);
	}
	(void)L;
}

static void test_superuser_logs_in_with_configured_password(void **state)
{
	char out[64], err[512];

	(void)state;
	if (!via_bouncer("postgres", SUPER_PASSWORD, "SELECT current_user", out, sizeof(out), err,
	                 sizeof(err)))
		fail_msg("superuser through PgBouncer: %s", err);
	assert_string_equal(out, "postgres");
}

static void test_reload_applies_pool_settings(void **state)
{
	struct live *L = *state;
	pid_t pid = pooler_pid(L->pooler);
	int64_t deadline;
	char v[64] = "", out[64], err[512];

	assert_true(admin_config(L, "default_pool_size", v, sizeof(v)));
	assert_string_equal(v, "4");
	L->cfg->pgbouncer.pool_size = 6;
	snprintf(L->cfg->pgbouncer.pool_mode, sizeof(L->cfg->pgbouncer.pool_mode), "transaction");
	assert_true(pooler_ensure(L->pooler));
	assert_int_equal(pooler_pid(L->pooler), pid); /* reloaded, not restarted */
	deadline = clock_now_ms() + 3000;
	while (clock_now_ms() < deadline &&
	       !(admin_config(L, "default_pool_size", v, sizeof(v)) && str_eq(v, "6")))
		clock_sleep_ms(50);
	assert_string_equal(v, "6");
	assert_true(admin_config(L, "pool_mode", v, sizeof(v)));
	assert_string_equal(v, "transaction");
	if (!via_bouncer("alice", ALICE_PASSWORD, "SELECT 1", out, sizeof(out), err, sizeof(err)))
		fail_msg("alice in transaction mode: %s", err);
}

static void test_reload_applies_new_superuser_password(void **state)
{
	struct live *L = *state;
	pid_t pid = pooler_pid(L->pooler);
	int64_t deadline = clock_now_ms() + 3000;
	char out[64], err[512];
	bool new_ok = false;

	snprintf(L->cfg->postgresql.superuser.password, CONFIG_SECRET_LEN, "changed pw");
	assert_true(pooler_ensure(L->pooler));
	assert_int_equal(pooler_pid(L->pooler), pid);
	while (!new_ok && clock_now_ms() < deadline) {
		new_ok = via_bouncer("postgres", "changed pw", "SELECT 1", out, sizeof(out), err,
		                     sizeof(err));
		if (!new_ok)
			clock_sleep_ms(50);
	}
	if (!new_ok)
		fail_msg("new superuser password refused: %s", err);
	assert_false(via_bouncer("postgres", SUPER_PASSWORD, "SELECT 1", out, sizeof(out), err,
	                         sizeof(err)));
}

static void test_kill_9_is_repaired(void **state)
{
	struct live *L = *state;
	pid_t pid = pooler_pid(L->pooler);
	struct pollfd fd = {.fd = pooler_fd(L->pooler), .events = POLLIN};
	char out[64], err[512];

	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	if (fd.fd >= 0)
		assert_int_equal(poll(&fd, 1, 5000), 1); /* the agent would wake up on this */
	else
		clock_sleep_ms(300);
	assert_true(pooler_ensure(L->pooler));
	assert_true(pooler_pid(L->pooler) != pid);
	assert_true(wait_healthy(L, HEALTHY_MS));
	if (!via_bouncer("alice", ALICE_PASSWORD, "SELECT 1", out, sizeof(out), err, sizeof(err)))
		fail_msg("alice after the restart: %s", err);
	assert_string_equal(out, "1");
}

static void test_postgresql_restart_is_followed(void **state)
{
	struct live *L = *state;
	char out[64], err[512] = "";
	int64_t back_ms, ok_ms = -1;

	/* Server connections exist in the pool before PostgreSQL goes away. */
	assert_true(
	    via_bouncer("alice", ALICE_PASSWORD, "SELECT 1", out, sizeof(out), err, sizeof(err)));
	stop_pg(L);
	assert_false(
	    via_bouncer("alice", ALICE_PASSWORD, "SELECT 1", out, sizeof(out), err, sizeof(err)));
	assert_true(start_pg(L));
	back_ms = clock_now_ms();
	while (clock_now_ms() - back_ms < PG_BACK_MS) {
		if (via_bouncer("alice", ALICE_PASSWORD, "SELECT 1", out, sizeof(out), err,
		                sizeof(err))) {
			ok_ms = clock_now_ms() - back_ms;
			break;
		}
		clock_sleep_ms(50);
	}
	if (ok_ms < 0)
		fail_msg("no login through PgBouncer %d ms after PostgreSQL was back: %s",
		         PG_BACK_MS, err);
	printf("logins through PgBouncer again %lld ms after PostgreSQL was back\n",
	       (long long)ok_ms);
	assert_true(pooler_ensure(L->pooler));
}

static void test_stop_leaves_nothing(void **state)
{
	struct live *L = *state;
	pid_t pid = pooler_pid(L->pooler);
	char out[64], err[512];

	assert_true(pid > 0);
	pooler_stop(L->pooler);
	assert_int_equal(pooler_pid(L->pooler), 0);
	assert_int_equal(pooler_fd(L->pooler), -1);
	assert_true(kill(pid, 0) == -1 && errno == ESRCH);
	assert_false(pooler_healthy(L->pooler, 200));
	assert_false(
	    via_bouncer("alice", ALICE_PASSWORD, "SELECT 1", out, sizeof(out), err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_role_logs_in_with_scram_end_to_end),
	    cmocka_unit_test(test_health_probe_and_admin_console),
	    cmocka_unit_test(test_bad_logins_fail),
	    cmocka_unit_test(test_superuser_logs_in_with_configured_password),
	    cmocka_unit_test(test_reload_applies_pool_settings),
	    cmocka_unit_test(test_reload_applies_new_superuser_password),
	    cmocka_unit_test(test_kill_9_is_repaired),
	    cmocka_unit_test(test_postgresql_restart_is_followed),
	    cmocka_unit_test(test_stop_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
