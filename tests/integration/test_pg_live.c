/*
 * test_pg_live.c: the pg module against real PostgreSQL 15 processes.
 *
 * One scenario in steps (each step needs the previous ones): initdb -> primary ->
 * observe -> pg_basebackup a standby -> streaming through a slot -> synchronous
 * replication through pg_reconfigure -> kill -9 of the primary's postmaster, seen
 * through the pidfd -> promote the standby (timeline 2) -> pg_rewind the old
 * primary -> it streams from the new primary on timeline 2. Then: a postmaster
 * started with a death signal dies with the process that started it.
 *
 * PostgreSQL refuses to run as root: run as root, the test creates its directory,
 * gives it to the postgres user and becomes that user before anything else. Every
 * process is stopped by pid and the directory removed at the end. Ports 25400-25499
 * on 127.0.0.1 only. Timings are printed, not asserted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpq-fe.h>
#include "pg/pg.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define NODES         2
#define OBSERVE_MS    2000
#define DEFAULT_BIN   "/usr/lib/postgresql/15/bin"
#define SU_PASSWORD   "su:pa\\ss word" /* exercises the passfile's escaping for real */
#define REPL_PASSWORD "repl'pass"

struct live {
	char dir[64];
	const char *bin_dir;
	int port[NODES];
	char name[NODES][32];
	char slot[NODES][PG_NAME_LEN];
	struct config cfg[NODES];
	struct pg_params dcs;
	struct pg_node *node[NODES];
	char sysid[32];
	bool failed;      /* a step failed: skip the others */
	pid_t frozen[64]; /* processes SIGSTOPped by a test, thawed at teardown */
	int n_frozen;
	uint64_t last_insert_lsn;
};

/* --- helpers ---------------------------------------------------------------------------- */

/* Each step needs the previous ones: after a failure the rest are skipped, since they
 * would only fail again, confusingly. */
static void step_begin(struct live *l)
{
	if (l->failed)
		skip();
	l->failed = true; /* until step_end: a failed assertion never gets there */
}

static void step_end(struct live *l)
{
	l->failed = false;
}

static void set_str(char *dst, size_t size, const char *src)
{
	assert_true(str_copy(dst, size, src));
}

static void free_params(struct pg_params *p)
{
	for (int i = 0; i < p->n; i++) {
		free(p->items[i].name);
		free(p->items[i].value);
	}
	free(p->items);
	p->items = NULL;
	p->n = 0;
}

static void add_param(struct pg_params *p, const char *name, const char *value)
{
	p->items = xrealloc(p->items, sizeof(*p->items) * (size_t)(p->n + 1));
	p->items[p->n].name = xstrdup(name);
	p->items[p->n].value = xstrdup(value);
	p->n++;
}

static void node_config(struct live *l, int i)
{
	struct config *c = &l->cfg[i];
	char dir[sizeof(l->dir)]; /* a copy: GCC cannot tell l->dir from c's fields */

	memcpy(dir, l->dir, sizeof(dir));
	memset(c, 0, sizeof(*c));
	set_str(c->name, sizeof(c->name), l->name[i]);
	snprintf(c->postgresql.listen, sizeof(c->postgresql.listen), "127.0.0.1:%d", l->port[i]);
	snprintf(c->postgresql.data_dir, sizeof(c->postgresql.data_dir), "%s/n%d/data", dir, i);
	snprintf(c->postgresql.pgpass, sizeof(c->postgresql.pgpass), "%s/n%d/pgpass", dir, i);
	set_str(c->postgresql.bin_dir, sizeof(c->postgresql.bin_dir), l->bin_dir);
	/* A superuser that is not the OS user: the peer map of pg_hba/pg_ident must work. */
	set_str(c->postgresql.superuser.username, CONFIG_NAME_LEN, "pgadmin");
	set_str(c->postgresql.superuser.password, CONFIG_SECRET_LEN, SU_PASSWORD);
	set_str(c->postgresql.replication.username, CONFIG_NAME_LEN, "replicator");
	set_str(c->postgresql.replication.password, CONFIG_SECRET_LEN, REPL_PASSWORD);
	set_str(c->postgresql.rewind.username, CONFIG_NAME_LEN, "rewinder");
	set_str(c->postgresql.rewind.password, CONFIG_SECRET_LEN, "rewind-pass");
}

static struct pg_node *new_node(struct live *l, int i)
{
	struct pg_node_options opt = {
	    .cfg = &l->cfg[i], .dcs_params = &l->dcs, .log_path = NULL, .death_signal = SIGKILL};
	struct pg_node *n = pg_node_new(&opt);

	assert_non_null(n);
	return n;
}

static struct pg_role_conf primary_role(const char *sync_names)
{
	struct pg_role_conf r;

	memset(&r, 0, sizeof(r));
	snprintf(r.synchronous_standby_names, sizeof(r.synchronous_standby_names), "%s",
	         sync_names);
	return r;
}

static struct pg_role_conf standby_role(int upstream_port, const char *slot)
{
	struct pg_role_conf r;

	memset(&r, 0, sizeof(r));
	r.standby = true;
	snprintf(r.upstream_host, sizeof(r.upstream_host), "127.0.0.1");
	r.upstream_port = upstream_port;
	snprintf(r.slot_name, sizeof(r.slot_name), "%s", slot);
	return r;
}

/*
 * query_text: one value over TCP as the superuser, the password coming from the
 * node's passfile (so this also checks scram authentication and the passfile).
 */
static bool query_text(struct live *l, int i, const char *sql, char *out, size_t size)
{
	char port[16];
	const char *keys[] = {"host", "port", "user", "dbname", "passfile", "connect_timeout",
	                      NULL};
	const char *vals[] = {"127.0.0.1", port, "pgadmin", "postgres", l->cfg[i].postgresql.pgpass,
	                      "5",         NULL};
	PGconn *c;
	PGresult *r;
	bool ok;

	snprintf(port, sizeof(port), "%d", l->port[i]);
	c = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		print_message("connect to node %d: %s", i, PQerrorMessage(c));
		PQfinish(c);
		return false;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	if (ok)
		snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
	else
		print_message("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

typedef bool observation_check(const struct pg_observation *o, const void *arg);

/* observe_until: observes every 50 ms until check holds; false after timeout_ms. */
static bool observe_until(struct pg_node *n, observation_check *check, const void *arg,
                          int timeout_ms, struct pg_observation *o)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		pg_observe(n, o, OBSERVE_MS);
		if (check(o, arg))
			return true;
		if (clock_now_ms() >= deadline)
			return false;
		clock_sleep_ms(50);
	}
}

static const struct pg_replica_conn *find_replica(const struct pg_observation *o, const char *name)
{
	for (int i = 0; i < o->n_replication; i++) {
		if (str_eq(o->replication[i].application_name, name))
			return &o->replication[i];
	}
	return NULL;
}

static bool replica_streaming(const struct pg_observation *o, const void *name)
{
	const struct pg_replica_conn *r = find_replica(o, name);

	return r && str_eq(r->state, "streaming");
}

static bool replica_sync(const struct pg_observation *o, const void *name)
{
	const struct pg_replica_conn *r = find_replica(o, name);

	return r && str_eq(r->state, "streaming") && str_eq(r->sync_state, "sync");
}

static bool receiver_on_timeline(const struct pg_observation *o, const void *timeline)
{
	return o->connected && o->in_recovery && o->receiver_streaming &&
	       o->timeline == *(const int *)timeline;
}

static bool replayed_past(const struct pg_observation *o, const void *lsn)
{
	return o->connected && o->replay_lsn >= *(const uint64_t *)lsn;
}

static uint64_t insert_rows(struct live *l, int i, int from, int count)
{
	char sql[160];
	struct pg_observation o;

	snprintf(sql, sizeof(sql),
	         "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(%d, %d) g", from,
	         from + count - 1);
	assert_true(pg_exec(l->node[i], sql, 10000));
	pg_observe(l->node[i], &o, OBSERVE_MS);
	assert_true(o.connected && !o.in_recovery);
	return o.wal_lsn;
}

static void assert_count(struct live *l, int i, const char *expected)
{
	char count[32];

	assert_true(query_text(l, i, "SELECT count(*) FROM t", count, sizeof(count)));
	assert_string_equal(count, expected);
}

/* --- steps ------------------------------------------------------------------------------- */

static void test_initdb_and_primary(void **state)
{
	struct live *l = *state;
	struct pg_role_conf role = primary_role("");
	struct pg_observation o;
	char sysid[32], value[64];
	int64_t t0;

	step_begin(l);
	l->node[0] = new_node(l, 0);
	pg_observe(l->node[0], &o, OBSERVE_MS);
	assert_int_equal(o.proc, PG_PROC_STOPPED);
	assert_int_equal(o.data, PG_DATA_EMPTY);
	assert_false(o.connected);

	assert_true(pg_initdb(l->node[0]));
	assert_true(pg_data_system_id(l->node[0], sysid, sizeof(sysid)));
	assert_true(strlen(sysid) >= 10);
	set_str(l->sysid, sizeof(l->sysid), sysid);
	pg_observe(l->node[0], &o, OBSERVE_MS);
	assert_int_equal(o.data, PG_DATA_SHUT_DOWN);
	assert_int_equal(o.control_timeline, 1);

	t0 = clock_now_ms();
	assert_true(pg_start(l->node[0], &role));
	assert_true(pg_wait_ready(l->node[0], 30000));
	printf("TIMING start primary (spawn to accepting connections): %lld ms\n",
	       (long long)(clock_now_ms() - t0));

	pg_observe(l->node[0], &o, OBSERVE_MS);
	assert_true(o.connected);
	assert_int_equal(o.proc, PG_PROC_RUNNING);
	assert_false(o.in_recovery);
	assert_int_equal(o.timeline, 1);
	assert_true(o.wal_lsn > 0);
	assert_int_equal(o.data, PG_DATA_IN_PRODUCTION);
	assert_string_equal(o.system_id, sysid);
	assert_true(o.server_version >= 150000 && o.server_version < 160000);
	assert_true(o.postmaster_start_ms / 1000 >= clock_wall_epoch_s() - 120);
	assert_true(o.postmaster_start_ms / 1000 <= clock_wall_epoch_s() + 1);
	assert_true(strlen(o.postmaster_start_text) > 19);
	assert_string_equal(o.synchronous_standby_names, "");
	assert_int_equal(o.n_replication, 0);
	assert_false(o.pending_restart);
	assert_int_equal(pg_observation_lsn(&o), o.wal_lsn);

	/* The roles, twice: it is idempotent. TCP + scram + passfile, with odd passwords. */
	assert_true(pg_bootstrap_roles(l->node[0], 10000));
	assert_true(pg_bootstrap_roles(l->node[0], 10000));
	assert_true(query_text(l, 0, "SHOW data_checksums", value, sizeof(value)));
	assert_string_equal(value, "on");
	assert_true(query_text(l, 0,
	                       "SELECT rolreplication FROM pg_roles WHERE rolname = "
	                       "'replicator'",
	                       value, sizeof(value)));
	assert_string_equal(value, "t");
	assert_true(query_text(l, 0, "SHOW restart_after_crash", value, sizeof(value)));
	assert_string_equal(value, "off");
	assert_true(pg_exec(l->node[0], "CREATE TABLE t (id int PRIMARY KEY, v text)", 10000));
	step_end(l);
}

static struct slot_spec physical_slot(const char *name)
{
	struct slot_spec s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.type, sizeof(s.type), "physical");
	return s;
}

static void test_basebackup_and_streaming(void **state)
{
	struct live *l = *state;
	struct slot_spec slots[1] = {physical_slot(l->slot[1])};
	struct pg_role_conf role = standby_role(l->port[0], l->slot[1]);
	struct pg_observation o;
	const struct pg_replica_conn *r;
	char *precious, value[64];
	int timeline = 1;
	uint64_t lsn;
	struct stat st;
	int64_t t0;

	step_begin(l);
	assert_true(pg_sync_slots(l->node[0], slots, 1, NULL, 0));
	assert_true(query_text(l, 0, "SELECT restart_lsn IS NOT NULL FROM pg_replication_slots",
	                       value, sizeof(value)));
	assert_string_equal(value, "t"); /* WAL reserved from creation on */

	/* Something already in the standby's data directory is moved aside, not deleted. */
	l->node[1] = new_node(l, 1);
	assert_true(fs_mkdir_p(l->cfg[1].postgresql.data_dir, 0700));
	precious = xasprintf("%s/precious", l->cfg[1].postgresql.data_dir);
	assert_true(fs_write_atomic(precious, "x", 1, 0600));
	free(precious);
	t0 = clock_now_ms();
	assert_true(pg_basebackup(l->node[1], "127.0.0.1", l->port[0], NULL, 120000));
	printf("TIMING pg_basebackup: %lld ms\n", (long long)(clock_now_ms() - t0));
	assert_int_equal(stat(l->cfg[1].postgresql.data_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	{
		char *cmd = xasprintf("ls -d %s.replaced.*/precious >/dev/null 2>&1",
		                      l->cfg[1].postgresql.data_dir);

		assert_int_equal(system(cmd), 0);
		free(cmd);
	}

	t0 = clock_now_ms();
	assert_true(pg_start(l->node[1], &role));
	assert_true(pg_wait_ready(l->node[1], 60000));
	printf("TIMING start standby: %lld ms\n", (long long)(clock_now_ms() - t0));
	assert_true(observe_until(l->node[1], receiver_on_timeline, &timeline, 20000, &o));
	assert_string_equal(o.receiver_host, "127.0.0.1");
	assert_int_equal(o.receiver_port, l->port[0]);
	assert_string_equal(o.primary_slot_name, l->slot[1]);
	assert_string_equal(o.system_id, l->sysid); /* the same cluster */
	assert_int_equal(o.data, PG_DATA_IN_RECOVERY);

	assert_true(observe_until(l->node[0], replica_streaming, l->name[1], 20000, &o));
	r = find_replica(&o, l->name[1]);
	assert_string_equal(r->client_addr, "127.0.0.1");
	assert_string_equal(r->sync_state, "async");

	/* LSNs advance on the primary and the standby replays up to them. */
	lsn = insert_rows(l, 0, 1, 100);
	assert_true(lsn > o.wal_lsn);
	assert_true(observe_until(l->node[1], replayed_past, &lsn, 20000, &o));
	assert_true(o.receive_lsn >= lsn);
	assert_true(pg_observation_lsn(&o) >= lsn);
	assert_true(o.replay_timestamp_ms > 0);
	assert_false(o.replay_paused);
	assert_count(l, 1, "100");
	step_end(l);
}

/* children_of: pids whose parent is ppid (from /proc), appended to out. */
static int children_of(pid_t ppid, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < max) {
		char path[300], buf[512], *close_paren;
		FILE *f;
		int parent = 0;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* "pid (comm) state ppid ...": comm may hold spaces, so parse after ')'. */
		if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 1, " %*c %d", &parent) == 1 && parent == ppid)
			out[n++] = (pid_t)atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

static void freeze(struct live *l, pid_t postmaster)
{
	l->frozen[0] = postmaster;
	l->n_frozen = 1 + children_of(postmaster, l->frozen + 1, (int)ARRAY_LEN(l->frozen) - 1);
	for (int i = 0; i < l->n_frozen; i++)
		kill(l->frozen[i], SIGSTOP);
}

static void thaw(struct live *l)
{
	for (int i = 0; i < l->n_frozen; i++)
		kill(l->frozen[i], SIGCONT);
	l->n_frozen = 0;
}

static bool connected(const struct pg_observation *o, const void *arg)
{
	(void)arg;
	return o->connected;
}

static void test_frozen_postgres_costs_only_the_timeout(void **state)
{
	struct live *l = *state;
	struct pg_observation o;
	int64_t t0, query_ms, connect_ms;

	step_begin(l);
	pg_observe(l->node[1], &o, OBSERVE_MS);
	assert_true(o.connected);
	/* The whole standby stops answering, as under a stuck disk or a VM pause. */
	freeze(l, pg_postmaster_pid(l->node[1]));
	t0 = clock_now_ms();
	pg_observe(l->node[1], &o, 500); /* on the open connection: the query times out */
	query_ms = clock_now_ms() - t0;
	assert_false(o.connected);
	t0 = clock_now_ms();
	pg_observe(l->node[1], &o, 500); /* a new connection: the kernel accepts, nobody answers */
	connect_ms = clock_now_ms() - t0;
	assert_false(o.connected);
	assert_int_equal(o.data, PG_DATA_IN_RECOVERY); /* pg_controldata still reads the files */
	printf("TIMING observe of a frozen PostgreSQL (timeout 500 ms): query %lld ms, "
	       "connect %lld ms\n",
	       (long long)query_ms, (long long)connect_ms);
	assert_true(query_ms < 1500 && connect_ms < 1500);
	thaw(l);
	assert_true(observe_until(l->node[1], connected, NULL, 10000, &o));
	step_end(l);
}

static bool restart_pending(const struct pg_observation *o, const void *arg)
{
	(void)arg;
	return o->connected && o->pending_restart;
}

static bool no_restart_pending(const struct pg_observation *o, const void *arg)
{
	(void)arg;
	return o->connected && !o->pending_restart;
}

static bool not_streaming(const struct pg_observation *o, const void *arg)
{
	(void)arg;
	return o->connected && o->in_recovery && !o->receiver_streaming;
}

static void test_synchronous_replication(void **state)
{
	struct live *l = *state;
	char names[64];
	struct pg_role_conf role, demote = standby_role(l->port[1], "x");
	struct pg_observation o;

	step_begin(l);
	snprintf(names, sizeof(names), "\"%s\"", l->name[1]);
	role = primary_role(names);
	assert_true(pg_reconfigure(l->node[0], &role));
	assert_true(observe_until(l->node[0], replica_sync, l->name[1], 20000, &o));
	assert_string_equal(o.synchronous_standby_names, names);
	/* Commits now wait for the standby, which has them as soon as they return. */
	l->last_insert_lsn = insert_rows(l, 0, 101, 10);
	pg_observe(l->node[1], &o, OBSERVE_MS);
	assert_true(o.receive_lsn >= l->last_insert_lsn);
	/* A parameter that needs a restart is reported as pending, until it is reverted. */
	{
		struct pg_params changed = {NULL, 0};

		add_param(&changed, "shared_buffers", "17MB");
		pg_node_set_params(l->node[0], &changed);
		assert_true(pg_reconfigure(l->node[0], &role));
		assert_true(observe_until(l->node[0], restart_pending, NULL, 10000, &o));
		pg_node_set_params(l->node[0], &l->dcs);
		assert_true(pg_reconfigure(l->node[0], &role));
		assert_true(observe_until(l->node[0], no_restart_pending, NULL, 10000, &o));
		free_params(&changed);
	}
	/* Becoming a standby needs a restart: refused, and the primary is untouched. */
	assert_false(pg_reconfigure(l->node[0], &demote));
	pg_observe(l->node[0], &o, OBSERVE_MS);
	assert_false(o.in_recovery);
	step_end(l);
}

static void test_crash_seen_through_pidfd(void **state)
{
	struct live *l = *state;
	struct pg_observation o;
	pid_t pid = pg_postmaster_pid(l->node[0]);
	struct pollfd fd = {.fd = pg_postmaster_fd(l->node[0]), .events = POLLIN};
	int64_t t0;

	step_begin(l);
	assert_true(pid > 0);
	assert_true(fd.fd >= 0);
	assert_int_equal(pg_proc_state(l->node[0]), PG_PROC_RUNNING);
	t0 = clock_now_ms();
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(poll(&fd, 1, 5000), 1);
	assert_int_equal(pg_proc_state(l->node[0]), PG_PROC_CRASHED);
	printf("TIMING postmaster SIGKILL -> PG_PROC_CRASHED: %lld ms\n",
	       (long long)(clock_now_ms() - t0));
	assert_int_equal(pg_postmaster_pid(l->node[0]), 0);
	assert_int_equal(pg_postmaster_fd(l->node[0]), -1);
	pg_observe(l->node[0], &o, OBSERVE_MS);
	assert_int_equal(o.proc, PG_PROC_CRASHED);
	assert_false(o.connected);
	assert_int_equal(o.data, PG_DATA_IN_PRODUCTION); /* what a crashed primary leaves */
	assert_string_equal(o.system_id, l->sysid);
	step_end(l);
}

/*
 * A standby is no source for pg_rewind: PostgreSQL 15 would accept it and leave a
 * minimum recovery point off the new leader's timeline history, and the node could
 * never start. pg_rewind must refuse, touching nothing, until the source is promoted.
 */
static void test_rewind_waits_for_a_promoted_source(void **state)
{
	struct live *l = *state;
	char *label = xasprintf("%s/backup_label", l->cfg[0].postgresql.data_dir);
	int64_t t0;

	step_begin(l);
	t0 = clock_now_ms();
	assert_int_equal(pg_rewind(l->node[0], "127.0.0.1", l->port[1], 60000),
	                 PG_REWIND_SOURCE_NOT_READY);
	printf("TIMING pg_rewind from a standby gives up after %lld ms\n",
	       (long long)(clock_now_ms() - t0));
	assert_int_equal(access(label, F_OK), -1); /* nothing rewound */
	free(label);
	step_end(l);
}

static void test_promote_standby(void **state)
{
	struct live *l = *state;
	struct pg_role_conf role = primary_role("");
	struct pg_observation o;
	int64_t t0;

	step_begin(l);
	t0 = clock_now_ms();
	assert_true(pg_promote(l->node[1], 15000));
	printf("TIMING promote (pg_promote with wait): %lld ms\n",
	       (long long)(clock_now_ms() - t0));
	pg_observe(l->node[1], &o, OBSERVE_MS);
	assert_true(o.connected);
	assert_false(o.in_recovery);
	/* The new timeline shows at once, before any checkpoint records it in pg_control. */
	assert_int_equal(o.timeline, 2);
	assert_true(o.wal_lsn >= l->last_insert_lsn);
	/* No CHECKPOINT here on purpose: pg_rewind must cope with a fresh promotion. */
	printf("pg_control timeline right after promotion: %d\n", o.control_timeline);
	/* Still the same postmaster, now a primary: a reload suffices. */
	assert_true(pg_reconfigure(l->node[1], &role));
	assert_count(l, 1, "110"); /* every commit acknowledged by the old primary is here */
	l->last_insert_lsn = insert_rows(l, 1, 1001, 5);
	step_end(l);
}

static void test_rewind_and_follow(void **state)
{
	struct live *l = *state;
	struct slot_spec slots[1] = {physical_slot(l->slot[0])};
	struct pg_role_conf role = standby_role(l->port[1], l->slot[0]), nowhere;
	struct pg_observation o;
	int timeline = 2;
	int64_t t0;

	step_begin(l);
	assert_true(pg_sync_slots(l->node[1], slots, 1, NULL, 0));
	t0 = clock_now_ms();
	assert_int_equal(pg_rewind(l->node[0], "127.0.0.1", l->port[1], 120000), PG_REWIND_DONE);
	printf("TIMING pg_rewind (crashed target, includes its crash recovery): %lld ms\n",
	       (long long)(clock_now_ms() - t0));
	pg_observe(l->node[0], &o, OBSERVE_MS);
	assert_string_equal(o.system_id, l->sysid);
	pg_observe(l->node[1], &o, OBSERVE_MS);
	assert_int_equal(o.control_timeline, 2); /* checkpointed for (or before) the rewind */
	t0 = clock_now_ms();
	assert_true(pg_start(l->node[0], &role));
	assert_true(pg_wait_ready(l->node[0], 60000));
	printf("TIMING start rewound standby: %lld ms\n", (long long)(clock_now_ms() - t0));
	assert_true(observe_until(l->node[0], receiver_on_timeline, &timeline, 30000, &o));
	assert_int_equal(o.receiver_port, l->port[1]);
	assert_true(observe_until(l->node[0], replayed_past, &l->last_insert_lsn, 20000, &o));
	assert_count(l, 0, "115");
	assert_true(observe_until(l->node[1], replica_streaming, l->name[0], 20000, &o));
	/* A new upstream takes effect by reload (PostgreSQL 13+ restarts the receiver). */
	nowhere = standby_role(25499, l->slot[0]); /* in our range, never one of our nodes */
	assert_true(pg_reconfigure(l->node[0], &nowhere));
	assert_true(observe_until(l->node[0], not_streaming, NULL, 20000, &o));
	assert_true(pg_reconfigure(l->node[0], &role));
	t0 = clock_now_ms();
	assert_true(observe_until(l->node[0], receiver_on_timeline, &timeline, 30000, &o));
	printf("TIMING reload with a new upstream -> streaming: %lld ms\n",
	       (long long)(clock_now_ms() - t0));
	step_end(l);
}

/* start_and_report: the child of the death-signal test; never returns. */
static void NORETURN start_and_report(struct live *l, int fd)
{
	struct pg_role_conf role = standby_role(l->port[1], l->slot[0]);
	struct pg_node_options opt = {
	    .cfg = &l->cfg[0], .dcs_params = &l->dcs, .death_signal = SIGKILL};
	struct pg_node *n = pg_node_new(&opt);
	pid_t pid;

	if (n == NULL || !pg_start(n, &role) || !pg_wait_ready(n, 60000))
		_exit(1);
	pid = pg_postmaster_pid(n);
	if (write(fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
	_exit(0); /* no cleanup at all: as if the agent had been killed */
}

/* wait_child: waitpid with a timeout; 1 if it exited (status set), 0 on timeout. */
static int wait_child(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		if (r == -1 || clock_now_ms() >= deadline)
			return 0;
		clock_sleep_ms(10);
	}
}

static void test_postmaster_dies_with_its_parent(void **state)
{
	struct live *l = *state;
	int pipefd[2], status = 0;
	pid_t child, postmaster = 0;
	int64_t t0;

	step_begin(l);
	assert_true(pg_stop(l->node[0], PG_STOP_FAST, 30000));
	assert_int_equal(pg_proc_state(l->node[0]), PG_PROC_STOPPED);
	/* Orphans are re-parented to us, so the postmaster's end can be seen exactly. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		start_and_report(l, pipefd[1]);
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &postmaster, sizeof(postmaster)), sizeof(postmaster));
	close(pipefd[0]);
	t0 = clock_now_ms();
	assert_int_equal(wait_child(child, 10000, &status), 1);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(wait_child(postmaster, 10000, &status), 1);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	printf("TIMING parent exit -> postmaster killed: %lld ms\n",
	       (long long)(clock_now_ms() - t0));
	step_end(l);
}

static void test_start_failure_is_reported(void **state)
{
	struct live *l = *state;
	struct config clash = l->cfg[0];
	struct pg_role_conf role = standby_role(l->port[1], l->slot[0]);
	struct pg_node_options opt = {
	    .cfg = &clash, .dcs_params = &l->dcs, .death_signal = SIGKILL};
	struct pg_node *n;
	struct pg_observation o;
	int64_t t0;

	step_begin(l);
	/* The port of the running node 2: this postmaster cannot bind and exits. */
	snprintf(clash.postgresql.listen, sizeof(clash.postgresql.listen), "127.0.0.1:%d",
	         l->port[1]);
	n = pg_node_new(&opt);
	assert_non_null(n);
	t0 = clock_now_ms();
	assert_true(pg_start(n, &role));
	assert_false(pg_wait_ready(n, 30000));
	assert_true(clock_now_ms() - t0 < 15000); /* at its exit, not at the timeout */
	pg_observe(n, &o, OBSERVE_MS);
	assert_int_equal(o.proc, PG_PROC_CRASHED);
	pg_node_free(n);
	step_end(l);
}

static void test_fence(void **state)
{
	struct live *l = *state;
	struct pg_observation o;
	struct pollfd fd;
	int64_t t0;

	step_begin(l);
	assert_true(pg_checkpoint(l->node[1], 30000));
	pg_observe(l->node[1], &o, OBSERVE_MS);
	assert_true(o.connected && !o.in_recovery);
	assert_true(o.control_checkpoint > 0 && o.control_checkpoint <= o.wal_lsn);
	fd.fd = pg_postmaster_fd(l->node[1]);
	fd.events = POLLIN;
	t0 = clock_now_ms();
	pg_fence_now(l->node[1]);
	assert_int_equal(poll(&fd, 1, 10000), 1);
	printf("TIMING fence (SIGQUIT) -> postmaster gone: %lld ms\n",
	       (long long)(clock_now_ms() - t0));
	/* Asked for, so not a crash; no shutdown checkpoint, so still "in production". */
	assert_int_equal(pg_proc_state(l->node[1]), PG_PROC_STOPPED);
	pg_observe(l->node[1], &o, OBSERVE_MS);
	assert_false(o.connected);
	assert_int_equal(o.data, PG_DATA_IN_PRODUCTION);
	step_end(l);
}

/* --- setup, teardown, main ------------------------------------------------------------------ */

static void setup(struct live *l)
{
	int base = 25400 + (int)(getpid() % 30) * 3;

	for (int i = 0; i < NODES; i++) {
		l->port[i] = base + i;
		snprintf(l->name[i], sizeof(l->name[i]), "pg-node%d", i + 1);
		pg_slot_name(l->name[i], l->slot[i], sizeof(l->slot[i]));
		node_config(l, i);
	}
	add_param(&l->dcs, "shared_buffers", "16MB");
	add_param(&l->dcs, "max_connections", "30");
	add_param(&l->dcs, "log_line_prefix", "%m [%p] ");
	printf("directory %s, ports %d-%d\n", l->dir, l->port[0], l->port[NODES - 1]);
}

/* reap_orphans: collects re-parented backends of the killed postmaster. */
static void reap_orphans(void)
{
	int64_t deadline = clock_now_ms() + 5000;

	while (clock_now_ms() < deadline) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r == -1 && errno == ECHILD)
			return;
		if (r == 0)
			clock_sleep_ms(20);
	}
}

/* teardown: stops every node by pid, reaps, removes the directory. */
static void teardown(struct live *l)
{
	thaw(l);
	for (int i = 0; i < NODES; i++) {
		if (l->node[i] && !pg_stop(l->node[i], PG_STOP_FAST, 20000))
			fprintf(stderr, "node %d did not stop\n", i);
		pg_node_free(l->node[i]);
	}
	reap_orphans();
	free_params(&l->dcs);
	if (getenv("PGHA_KEEP_TEST_DIR") == NULL && !fs_rm_rf(l->dir))
		fprintf(stderr, "cannot remove %s\n", l->dir);
}

/* become_postgres: as root, hand the directory to postgres and become that user. */
static bool become_postgres(const char *dir)
{
	struct passwd *pw = getpwnam("postgres");

	if (pw == NULL) {
		fprintf(stderr, "running as root and there is no postgres user\n");
		return false;
	}
	if (chown(dir, pw->pw_uid, pw->pw_gid) == -1 || setgroups(0, NULL) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		fprintf(stderr, "cannot become postgres: %s\n", strerror(errno));
		return false;
	}
	setenv("HOME", pw->pw_dir, 1);
	return true;
}

int main(void)
{
	static struct live l;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate(test_initdb_and_primary, &l),
	    cmocka_unit_test_prestate(test_basebackup_and_streaming, &l),
	    cmocka_unit_test_prestate(test_frozen_postgres_costs_only_the_timeout, &l),
	    cmocka_unit_test_prestate(test_synchronous_replication, &l),
	    cmocka_unit_test_prestate(test_crash_seen_through_pidfd, &l),
	    cmocka_unit_test_prestate(test_rewind_waits_for_a_promoted_source, &l),
	    cmocka_unit_test_prestate(test_promote_standby, &l),
	    cmocka_unit_test_prestate(test_rewind_and_follow, &l),
	    cmocka_unit_test_prestate(test_postmaster_dies_with_its_parent, &l),
	    cmocka_unit_test_prestate(test_start_failure_is_reported, &l),
	    cmocka_unit_test_prestate(test_fence, &l),
	};
	char bin[PATH_MAX];
	int failed;

	l.bin_dir = getenv("PG_BIN_DIR") ? getenv("PG_BIN_DIR") : DEFAULT_BIN;
	snprintf(bin, sizeof(bin), "%s/postgres", l.bin_dir);
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "%s not found (set PG_BIN_DIR)\n", bin);
		return 1;
	}
	snprintf(l.dir, sizeof(l.dir), "/tmp/pgha_pg_live.XXXXXX");
	if (mkdtemp(l.dir) == NULL || chmod(l.dir, 0700) == -1) {
		perror("mkdtemp");
		return 1;
	}
	if (geteuid() == 0 && !become_postgres(l.dir)) {
		rmdir(l.dir);
		return 1;
	}
	if (chdir(l.dir) == -1)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup(&l);
	failed = cmocka_run_group_tests_name("pg_live", tests, NULL, NULL);
	/* Here, not in a cmocka teardown: it must run whatever the tests did. */
	teardown(&l);
	return failed == 0 ? 0 : 1;
}
