/*
 * lab_up.c: `pgha up`: create (or restart) a complete local cluster in one directory
 * and wait until it is healthy.
 *
 * Fresh directory: check the options, binaries, OS user and every planned port, write
 * the layout (cluster.json, secrets, agent.yml per node, router.yml, pg_service.conf,
 * pgpass, patronictl.yml), validate the agents' and the router's files with their
 * `--check`, start 3 etcd members, wait for them, start the agents, then the router,
 * wait for one leader and N-1 streaming replicas, then for the router: /health 200 and
 * a `service=rw` session through it landing on the leader. Existing lab: start only
 * what is not running (after `pgha down --keep`, the former leader first). Everything
 * is started detached, by pid, as the lab's OS user; PostgreSQL and PgBouncer are
 * started by each agent, never here.
 *
 * Prints its progress on stdout and what failed (with the log paths) on stderr. A
 * cluster that does not become healthy is left running for inspection.
 */
#include "lab/lab.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "client/client.h"
#include "lab/lab_backup.h"
#include "lab/lab_cgroup.h"
#include "lab/lab_cluster.h"
#include "lab/lab_etcd.h"
#include "lab/lab_health.h"
#include "lab/lab_layout.h"
#include "lab/lab_place.h"
#include "lab/lab_procs.h"
#include "lab/lab_router.h"
#include "lab/lab_running.h"
#include "lab/lab_secrets.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define ERR_LEN          1024
#define DCS_TIMEOUT_MS   1000 /* per etcd endpoint */
#define CHECK_TIMEOUT_MS 10000
/*
 * The longest DIR whose PostgreSQL sockets still fit in sockaddr_un's 108 bytes: the
 * agent puts them in DIR/nodeN/data.sock/.s.PGSQL.<port> (see pg_node.c).
 */
#define SUN_PATH_LEN 108
#define DIR_MAX_LEN  (SUN_PATH_LEN - (int)sizeof("/node9/data.sock/.s.PGSQL.65535"))

/* The state of one `pgha up` run. */
struct up_run {
	struct lab_cluster *c;
	struct lab_runas ru;
	char self[PATH_MAX];                 /* this pgha binary, which the lab gets a copy of */
	struct lab_running running;          /* what runs (found or started) */
	int64_t start_ms;                    /* CLOCK_BOOTTIME at the start of the command */
	int64_t deadline_ms;                 /* start + --timeout */
	int lock_fd;                         /* lab_lock, -1 until taken */
	int64_t min_revision[LAB_MAX_NODES]; /* see lab_health_eval: set for agents we start */
	char key_holder[DCS_NAME_LEN];       /* leader key in etcd before we start agents */
	char sync_leader[DCS_NAME_LEN];      /* leader named in the sync key then */
};

/* fail: what went wrong, on stderr ("pgha up: ..."). */
#define fail(...) client_say("up", __VA_ARGS__)

static double elapsed_s(const struct up_run *r)
{
	return (double)(clock_now_ms() - r->start_ms) / 1000.0;
}

/* --- binaries and directory checks ------------------------------------------------- */

static bool self_exe(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);

	if (n <= 0 || (size_t)n >= size - 1)
		return false;
	out[n] = '\0';
	return true;
}

/* find_in_path: the first executable name in $PATH (absolute) into out. */
static bool find_in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;
	bool found = false;

	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		int n = snprintf(out, size, "%s/%s", d, name);

		found = d[0] == '/' && n > 0 && (size_t)n < size && access(out, X_OK) == 0;
	}
	free(copy);
	return found;
}

static bool has_control_chars(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return true;
	}
	return false;
}

static bool check_fresh_dir(const char *dir)
{
	if (strlen(dir) > DIR_MAX_LEN || has_control_chars(dir)) {
		fail("%s: use a directory path of at most %d characters (PostgreSQL's unix "
		     "sockets live below it) without control characters",
		     dir, DIR_MAX_LEN);
		return false;
	}
	if (fs_exists(dir) && !(fs_is_dir(dir) && fs_dir_is_empty(dir))) {
		fail("%s exists and is not a pgha lab (no cluster.json) nor an empty "
		     "directory; pick another --dir",
		     dir);
		return false;
	}
	return true;
}

static bool check_binaries(struct up_run *r, const char *pg_bin_dir)
{
	struct lab_cluster *c = r->c;
	char path[PATH_MAX + 16];

	if (!self_exe(r->self, sizeof(r->self))) {
		fail("cannot find the pgha binary (/proc/self/exe): %s", strerror(errno));
		return false;
	}
	if (!find_in_path("etcd", c->etcd_bin, sizeof(c->etcd_bin))) {
		fail("etcd not found in PATH (Debian package etcd-server)");
		return false;
	}
	if (!str_copy(c->pg_bin_dir, sizeof(c->pg_bin_dir), pg_bin_dir))
		return false;
	snprintf(path, sizeof(path), "%s/postgres", pg_bin_dir);
	if (access(path, X_OK) != 0) {
		fail("%s: no PostgreSQL server there (--pg-bin-dir; Debian package "
		     "postgresql-15)",
		     pg_bin_dir);
		return false;
	}
	return true;
}

static bool check_pgbackrest(const struct lab_up_opts *o)
{
	char path[PATH_MAX];

	if (o->no_backup || find_in_path("pgbackrest", path, sizeof(path)))
		return true;
	fail("pgbackrest not found in PATH (Debian package pgbackrest); or --no-backup");
	return false;
}

/*
 * check_user_access: the OS user can reach DIR's parent and run etcd, PostgreSQL and,
 * once copied into the lab (with_pgha), pgha.
 */
static bool check_user_access(const struct up_run *r, bool with_pgha)
{
	const struct lab_cluster *c = r->c;
	char parent[PATH_MAX];
	char postgres[PATH_MAX + 16];
	const char *need[4];

	snprintf(parent, sizeof(parent), "%s", c->dir);
	snprintf(postgres, sizeof(postgres), "%s/postgres", c->pg_bin_dir);
	need[0] = dirname(parent);
	need[1] = c->etcd_bin;
	need[2] = postgres;
	need[3] = c->pgha_bin;
	for (size_t i = 0; i < (with_pgha ? 4 : 3); i++) {
		if (!lab_user_can_access(&r->ru, need[i], X_OK)) {
			fail("OS user %s cannot reach %s (a parent directory is not searchable "
			     "by it); pick a --dir and a --pg-bin-dir it can reach",
			     c->os_user, need[i]);
			return false;
		}
	}
	return true;
}

/*
 * place_dir: the lab goes where it was asked to, unless the OS user cannot reach that
 * place: then it lives under LAB_PLACE_BASE, and DIR becomes a link to it (lab_place.h).
 */
static bool place_dir(struct up_run *r)
{
	struct lab_cluster *c = r->c;
	char real[PATH_MAX];
	char err[ERR_LEN];

	if (!lab_place_needed(&r->ru, c->dir))
		return true;
	if (!lab_place_elsewhere(LAB_PLACE_BASE, c->dir, real, sizeof(real), err, sizeof(err))) {
		fail("OS user %s cannot reach %s, and the lab cannot live elsewhere: %s",
		     c->os_user, c->dir, err);
		return false;
	}
	snprintf(c->link, sizeof(c->link), "%s", c->dir);
	snprintf(c->dir, sizeof(c->dir), "%s", real);
	printf("OS user %s cannot reach %s: the lab lives in %s, and %s links to it\n", c->os_user,
	       c->link, c->dir, c->link);
	return true;
}

/* install_binary: the lab runs its own copy of this pgha (lab_place.h says why). */
static bool install_binary(struct up_run *r)
{
	char err[ERR_LEN];

	if (!lab_install_binary(r->c, r->self, err, sizeof(err))) {
		fail("%s", err);
		return false;
	}
	return check_user_access(r, true);
}

/* --- starting processes -------------------------------------------------------------- */

/* own_run_files: pid files and logs are created by us; hand them to the OS user too. */
static void own_run_files(const struct up_run *r)
{
	char path[PATH_MAX];

	if (!r->ru.set_user)
		return;
	if (lab_path(r->c, "run", path, sizeof(path)) && !fs_chown_r(path, r->ru.uid, r->ru.gid))
		fprintf(stderr, "pgha up: warning: cannot chown %s: %s\n", path, strerror(errno));
	if (lab_path(r->c, "logs", path, sizeof(path)) && !fs_chown_r(path, r->ru.uid, r->ru.gid))
		fprintf(stderr, "pgha up: warning: cannot chown %s: %s\n", path, strerror(errno));
}

/* etcd_auth: etcd's users and authentication, once (a lab made before them has none). */
static bool etcd_auth(const struct up_run *r)
{
	char dir[PATH_MAX];
	char err[ERR_LEN];
	struct lab_secrets s;
	bool ok;

	if (!lab_path(r->c, "secrets", dir, sizeof(dir)) ||
	    !lab_secrets_load(&s, dir, err, sizeof(err))) {
		fail("%s: %s", r->c->dir, err);
		return false;
	}
	ok = s.etcd_root[0] == '\0' || lab_etcd_auth_enable(r->c, &s, err, sizeof(err));
	explicit_bzero(&s, sizeof(s));
	if (!ok)
		fail("etcd: cannot set up its users and authentication: %s", err);
	return ok;
}

static bool start_etcd(struct up_run *r)
{
	char err[ERR_LEN];
	int started = 0;

	for (int i = 0; i < LAB_N_ETCD; i++) {
		char **argv;

		if (r->running.etcd[i] > 0)
			continue;
		argv = lab_etcd_argv(r->c, i);
		r->running.etcd[i] = lab_proc_start(r->c, &r->ru, r->c->plan.etcd[i].name,
		                                    (const char *const *)argv, err, sizeof(err));
		lab_argv_free(argv);
		if (r->running.etcd[i] < 0) {
			r->running.etcd[i] = 0;
			fail("%s: %s", r->c->plan.etcd[i].name, err);
			return false;
		}
		started++;
	}
	own_run_files(r);
	if (!lab_etcd_wait_healthy(r->c, r->running.etcd, r->deadline_ms, err, sizeof(err))) {
		fail("etcd did not become healthy: %s", err);
		return false;
	}
	if (!etcd_auth(r))
		return false;
	printf("etcd: %d members healthy (%d started) at %.1f s\n", LAB_N_ETCD, started,
	       elapsed_s(r));
	return true;
}

static bool start_agent(struct up_run *r, int k)
{
	char config[PATH_MAX + 16];
	char err[ERR_LEN];
	const char *argv[] = {r->c->pgha_bin, "agent", "-c", config, NULL};
	pid_t pid;

	if (!lab_agent_config(r->c, k, config, sizeof(config))) {
		fail("%s: path too long", r->c->dir);
		return false;
	}
	pid = lab_proc_start(r->c, &r->ru, r->c->plan.nodes[k].name, argv, err, sizeof(err));
	if (pid < 0) {
		fail("%s: %s", r->c->plan.nodes[k].name, err);
		return false;
	}
	r->running.agents[k] = pid;
	printf("%s: agent started (pid %d)\n", r->c->plan.nodes[k].name, (int)pid);
	return true;
}

static bool start_missing_agents(struct up_run *r)
{
	for (int k = 0; k < r->c->plan.n_nodes; k++) {
		if (r->running.agents[k] == 0 && !start_agent(r, k))
			return false;
	}
	own_run_files(r);
	fflush(stdout);
	return true;
}

/* start_router: the router, after the agents (it holds clients until a leader is up). */
static bool start_router(struct up_run *r)
{
	char config[PATH_MAX];
	char err[ERR_LEN];
	const char *argv[LAB_ROUTER_ARGC];
	pid_t pid;

	if (r->running.router > 0)
		return true;
	if (!lab_router_argv(r->c, false, config, sizeof(config), argv)) {
		fail("%s: path too long", r->c->dir);
		return false;
	}
	pid = lab_proc_start(r->c, &r->ru, LAB_ROUTER_NAME, argv, err, sizeof(err));
	if (pid < 0) {
		fail("router: %s", err);
		return false;
	}
	r->running.router = pid;
	own_run_files(r);
	printf("router: started (pid %d), read-write 127.0.0.1:%d, read-only 127.0.0.1:%d\n",
	       (int)pid, r->c->plan.router_rw_port, r->c->plan.router_ro_port);
	fflush(stdout);
	return true;
}

/* check_run: runs a `--check` command line as the lab's user, its output into log_path. */
static bool check_run(const struct up_run *r, const char *const *argv, const char *log_path,
                      char *err, size_t errlen)
{
	struct proc_spec spec = {.argv = argv,
	                         .log_path = log_path,
	                         .stdin_null = true,
	                         .set_user = r->ru.set_user,
	                         .uid = r->ru.uid,
	                         .gid = r->ru.gid};

	return proc_run(&spec, CHECK_TIMEOUT_MS, NULL, err, errlen);
}

/* check_router_config: `pgha router --check` on router.yml, if the router is to start. */
static bool check_router_config(const struct up_run *r)
{
	char config[PATH_MAX];
	char log_path[PATH_MAX];
	char err[ERR_LEN];
	const char *argv[LAB_ROUTER_ARGC];

	if (r->running.router > 0)
		return true;
	if (!lab_router_argv(r->c, true, config, sizeof(config), argv) ||
	    !lab_log_path(r->c, LAB_ROUTER_NAME, log_path, sizeof(log_path)) ||
	    !check_run(r, argv, log_path, err, sizeof(err))) {
		fail("router: `pgha router --check -c %s` failed (%s); details in %s", config, err,
		     log_path);
		return false;
	}
	return true;
}

/*
 * check_configs: `pgha agent --check` on the configuration of every agent about to start,
 * and `pgha router --check` on the router's, so that a broken (e.g. hand-edited) file
 * stops `pgha up` before anything starts. Their messages go to the component's log.
 */
static bool check_configs(const struct up_run *r)
{
	for (int k = 0; k < r->c->plan.n_nodes; k++) {
		char config[PATH_MAX + 16];
		char log_path[PATH_MAX];
		char err[ERR_LEN];
		const char *argv[] = {r->c->pgha_bin, "agent", "--check", "-c", config, NULL};

		if (r->running.agents[k] > 0)
			continue;
		if (!lab_agent_config(r->c, k, config, sizeof(config)) ||
		    !lab_log_path(r->c, r->c->plan.nodes[k].name, log_path, sizeof(log_path)) ||
		    !check_run(r, argv, log_path, err, sizeof(err))) {
			fail("%s: `pgha agent --check -c %s` failed (%s); details in %s",
			     r->c->plan.nodes[k].name, config, err, log_path);
			return false;
		}
	}
	return check_router_config(r);
}

/*
 * note_baseline: what etcd holds before the agents start: its revision (the member keys
 * of the agents started now count only once rewritten after it, see lab_health_eval)
 * and who led (start_former_leader).
 */
static void note_baseline(struct up_run *r)
{
	struct dcs_view v;

	if (!lab_view_read(r->c, DCS_TIMEOUT_MS, &v))
		return; /* already logged; without a baseline old keys are merely not filtered */
	for (int k = 0; k < r->c->plan.n_nodes; k++)
		r->min_revision[k] = r->running.agents[k] > 0 ? 0 : v.revision;
	if (v.has_leader)
		snprintf(r->key_holder, sizeof(r->key_holder), "%s", v.leader);
	if (v.sync.present)
		snprintf(r->sync_leader, sizeof(r->sync_leader), "%s", v.sync.leader);
	dcs_view_free(&v);
}

/*
 * start_former_leader: after a full stop, the node that led before goes first and
 * takes the leader key alone, so the others find it leading (same leader, same data).
 * If it cannot lead within half the remaining time, the others start anyway: the
 * cluster must come up even if that node is broken.
 */
static bool start_former_leader(struct up_run *r)
{
	char leader[LAB_NAME_LEN];
	char hint[LAB_NAME_LEN] = "";
	const struct lab_node_ports *n;
	struct lab_wait w = {
	    .agent_pids = r->running.agents, .min_revision = r->min_revision, .progress = stdout};
	struct buf why;
	bool ok;

	if (lab_running_agents(r->c, &r->running) > 0)
		return true; /* some agent runs: the cluster has (or will elect) its leader */
	if (!lab_leader_hint_load(r->c, hint, sizeof(hint)))
		hint[0] = '\0';
	if (!lab_former_leader(&r->c->plan, r->key_holder, hint, r->sync_leader, leader,
	                       sizeof(leader)))
		return true;
	n = lab_plan_node(&r->c->plan, leader);
	printf("%s led before the stop: starting it first\n", leader);
	if (!start_agent(r, (int)(n - r->c->plan.nodes)))
		return false;
	own_run_files(r);
	w.only_leader = leader;
	w.deadline_ms = clock_now_ms() + (r->deadline_ms - clock_now_ms()) / 2;
	buf_init(&why);
	ok = lab_health_wait(r->c, &w, &why, NULL);
	if (!ok)
		printf("%s did not take the lead in time (%s); starting the others anyway\n",
		       leader, str_trim(why.data));
	buf_free(&why);
	return true;
}

static void print_logs_hint(const struct lab_cluster *c)
{
	const char *dir = lab_shown_dir(c);

	fprintf(stderr, "Logs: %s/logs/ (", dir);
	for (int i = 0; i < LAB_N_ETCD; i++)
		fprintf(stderr, "%s.log ", c->plan.etcd[i].name);
	for (int k = 0; k < c->plan.n_nodes; k++)
		fprintf(stderr, "%s.log ", c->plan.nodes[k].name);
	fprintf(stderr, "%s.log)\n", LAB_ROUTER_NAME);
	fprintf(stderr,
	        "PostgreSQL's own log is next to each node's data directory (%s/node1/data.log).\n"
	        "What runs is left running for inspection; stop it with: pgha down --dir %s\n",
	        dir, dir);
}

/* print_security: what protects the lab, and where a client finds the CA and passwords. */
static void print_security(const struct lab_cluster *c)
{
	const char *dir = lab_shown_dir(c);

	if (!c->tls) {
		printf("Security: NO TLS (--insecure): passwords and data travel in clear.\n");
		return;
	}
	printf("Security: TLS everywhere, checked against the lab's CA %s/tls/ca.crt:\n"
	       "  PostgreSQL, PgBouncer and the router require TLS (pg_service.conf has "
	       "sslmode=verify-full);\n"
	       "  REST APIs on https (curl --cacert %s/tls/ca.crt https://127.0.0.1:%d/patroni),\n"
	       "  changes need user %s, password in %s/secrets/restapi;\n"
	       "  etcd on https with users: %s, password in %s/secrets/etcd.\n",
	       dir, dir, c->plan.nodes[0].api_port, LAB_RESTAPI_USER, dir, LAB_ETCD_USER, dir);
}

static void print_success(const struct up_run *r, const struct lab_health *h,
                          const struct client_landing *rw)
{
	const struct lab_cluster *c = r->c;
	const char *dir = lab_shown_dir(c);

	printf("\nCluster \"%s\" is healthy: leader %s, %d streaming replica%s%s%s%s, router up "
	       "(service=rw lands on %s), in %.1f s.\n",
	       c->scope, h->leader, c->plan.n_nodes - 1, c->plan.n_nodes == 2 ? "" : "s",
	       h->sync_standby[0] ? " (synchronous: " : "", h->sync_standby,
	       h->sync_standby[0] ? ")" : "", rw->node, elapsed_s(r));
	printf("Connect:\n"
	       "  export PGSERVICEFILE=%s/pg_service.conf\n"
	       "  psql service=rw        # the primary, through the router (127.0.0.1:%d)\n"
	       "  psql service=ro        # a replica, through the router (127.0.0.1:%d)\n"
	       "  psql service=node1     # one node's PostgreSQL, by name (see pg_service.conf)\n"
	       "Router:  http://127.0.0.1:%d/health and /metrics\n"
	       "Inspect: pgha list --dir %s   (or: patronictl -c %s/patronictl.yml list)\n"
	       "Stop:    pgha down --dir %s   (--keep keeps the data for the next pgha up)\n",
	       dir, c->plan.router_rw_port, c->plan.router_ro_port, c->plan.router_http_port, dir,
	       dir, dir);
	print_security(c);
}

/*
 * wait_healthy: the cluster (one leader, the replicas streaming, in synchronous mode one
 * named in the sync key: a switchover right after `pgha up` finds its candidate), then
 * the router.
 */
static bool wait_healthy(struct up_run *r, struct lab_health *h, struct client_landing *rw,
                         struct buf *why)
{
	struct lab_wait w = {.deadline_ms = r->deadline_ms,
	                     .agent_pids = r->running.agents,
	                     .min_revision = r->min_revision,
	                     .progress = stdout};

	printf("waiting for one leader and %d streaming replica%s%s, then for the router "
	       "(timeout %.0f s)...\n",
	       r->c->plan.n_nodes - 1, r->c->plan.n_nodes == 2 ? "" : "s",
	       r->c->plan.n_nodes > 1 ? " (in synchronous mode, one named synchronous)" : "",
	       (double)(r->deadline_ms - r->start_ms) / 1000.0);
	fflush(stdout);
	if (!lab_health_wait(r->c, &w, why, h))
		return false;
	printf("cluster healthy at %.1f s (leader %s); waiting for service=rw through the "
	       "router\n",
	       elapsed_s(r), h->leader);
	fflush(stdout);
	return lab_router_wait(r->c, r->running.router, h->leader, r->deadline_ms, rw, why);
}

/*
 * prepare_cgroups: each process starts in its own cgroup (lab_cgroup.h) when we can make
 * them; without, the lab runs the same and only chaos's partition scenarios refuse.
 */
static void prepare_cgroups(const struct up_run *r)
{
	char err[ERR_LEN];

	if (!lab_cgroups_prepare(r->c, err, sizeof(err)))
		printf("cgroups: none (%s): `pgha chaos` cannot cut this lab's links\n", err);
}

/* start_cluster: starts what is not running and waits for health. */
static enum lab_up_result start_cluster(struct up_run *r)
{
	struct lab_health h = {0};
	struct client_landing rw = {0};
	struct buf why;
	bool ok;

	if (!check_configs(r))
		return LAB_UP_FAILED;
	prepare_cgroups(r);
	if (!start_etcd(r)) {
		print_logs_hint(r->c);
		return LAB_UP_FAILED;
	}
	note_baseline(r);
	if (!start_former_leader(r) || !start_missing_agents(r) || !start_router(r)) {
		print_logs_hint(r->c);
		return LAB_UP_FAILED;
	}
	buf_init(&why);
	ok = wait_healthy(r, &h, &rw, &why);
	if (ok) {
		lab_leader_hint_clear(r->c);
		print_success(r, &h, &rw);
	} else {
		fail("the cluster is not healthy after %.1f s:\n%s", elapsed_s(r), why.data);
		print_logs_hint(r->c);
	}
	buf_free(&why);
	return ok ? LAB_UP_STARTED : LAB_UP_FAILED;
}

/* --- fresh directory ------------------------------------------------------------------ */

/* write_lab: the layout, with pgBackRest as the options ask, then the copy of pgha that
 * cluster.json names. */
static bool write_lab(const struct lab_up_opts *o, struct up_run *r)
{
	struct lab_cluster *c = r->c;
	char err[ERR_LEN];
	struct lab_backup b;
	bool ok;

	if (!lab_path(c, LAB_BIN_REL, c->pgha_bin, sizeof(c->pgha_bin))) {
		fail("%s: path too long", c->dir);
		return false;
	}
	ok = lab_backup_prepare(c, o, &b, err, sizeof(err)) &&
	     lab_layout_write(c, &r->ru, &b, err, sizeof(err));
	lab_backup_free(&b);
	if (!ok)
		fail("%s", err);
	else if (install_binary(r))
		return true;
	fprintf(stderr, "Nothing was started; pgha down --dir %s removes what was written.\n",
	        lab_shown_dir(c));
	return false;
}

static enum lab_up_result up_fresh(const struct lab_up_opts *o, struct up_run *r)
{
	struct lab_cluster *c = r->c;
	char err[ERR_LEN];
	struct buf plan;

	if (!check_fresh_dir(c->dir))
		return LAB_UP_USAGE;
	c->tls = !o->insecure;
	if (!str_copy(c->scope, sizeof(c->scope), o->scope) ||
	    !str_copy(c->namespace_, sizeof(c->namespace_), LAB_NAMESPACE) ||
	    !lab_plan_make(o->base_port, o->n_nodes, o->router_port, &c->plan, err, sizeof(err)) ||
	    !lab_user_resolve(o->os_user, &r->ru, c->os_user, sizeof(c->os_user), err,
	                      sizeof(err))) {
		fail("%s", err);
		return LAB_UP_USAGE;
	}
	if (!check_binaries(r, o->pg_bin_dir) || !check_pgbackrest(o))
		return LAB_UP_FAILED;
	if (!lab_ports_check(&c->plan, NULL, err, sizeof(err))) {
		fail("%s", err);
		return LAB_UP_FAILED;
	}
	if (!place_dir(r) || !check_user_access(r, false) || !write_lab(o, r))
		return LAB_UP_FAILED;
	if ((r->lock_fd = lab_lock(c, err, sizeof(err))) < 0) {
		fail("%s", err);
		return LAB_UP_FAILED;
	}
	buf_init(&plan);
	lab_plan_format(&c->plan, &plan);
	printf("Creating the pgha lab \"%s\" in %s (%d node%s)%s%s\n%s", c->scope, c->dir,
	       c->plan.n_nodes, c->plan.n_nodes == 1 ? "" : "s",
	       r->ru.set_user ? ", running the cluster as OS user " : "",
	       r->ru.set_user ? c->os_user : "", plan.data);
	buf_free(&plan);
	return start_cluster(r);
}

/* --- existing lab --------------------------------------------------------------------- */

static bool options_match(const struct lab_up_opts *o, const struct lab_cluster *c)
{
	const char *what = NULL;

	if (o->nodes_set && o->n_nodes != c->plan.n_nodes)
		what = "--nodes";
	else if (o->base_port_set && o->base_port != c->plan.base_port)
		what = "--base-port";
	else if (o->router_port_set && o->router_port != c->plan.router_rw_port)
		what = "--router-port";
	else if (o->scope_set && !str_eq(o->scope, c->scope))
		what = "--scope";
	else if (o->os_user && !str_eq(o->os_user, c->os_user))
		what = "--os-user";
	else if (o->pg_bin_dir_set && !str_eq(o->pg_bin_dir, c->pg_bin_dir))
		what = "--pg-bin-dir";
	else if (o->insecure && c->tls)
		what = "--insecure";
	if (what)
		fail("%s differs from the existing lab in %s (see its cluster.json); "
		     "`pgha down --dir %s` first to create a new one",
		     what, c->dir, lab_shown_dir(c));
	return what == NULL;
}

/* refresh_binary: what starts now runs this pgha: a fresh copy, named in cluster.json. */
static bool refresh_binary(struct up_run *r)
{
	char err[ERR_LEN];

	if (!self_exe(r->self, sizeof(r->self))) {
		fail("cannot find the pgha binary (/proc/self/exe): %s", strerror(errno));
		return false;
	}
	if (!install_binary(r))
		return false;
	if (!lab_cluster_save(r->c, err, sizeof(err))) {
		fail("%s", err);
		return false;
	}
	return true;
}

/* missing_owners: names of the components not running, NULL-terminated, into names. */
static void missing_owners(const struct up_run *r, const char **names, struct buf *list)
{
	int n = 0;

	for (int i = 0; i < LAB_N_ETCD; i++) {
		if (r->running.etcd[i] == 0)
			names[n++] = r->c->plan.etcd[i].name;
	}
	for (int k = 0; k < r->c->plan.n_nodes; k++) {
		if (r->running.agents[k] == 0)
			names[n++] = r->c->plan.nodes[k].name;
	}
	if (r->running.router == 0)
		names[n++] = LAB_ROUTER_NAME;
	names[n] = NULL;
	for (int i = 0; i < n; i++)
		buf_printf(list, "%s%s", i ? ", " : "", names[i]);
}

static enum lab_up_result up_existing(const struct lab_up_opts *o, struct up_run *r)
{
	struct lab_cluster *c = r->c;
	const char *owners[LAB_N_ETCD + LAB_MAX_NODES + 2];
	char err[ERR_LEN];
	struct buf list;

	if (!options_match(o, c))
		return LAB_UP_USAGE;
	if ((r->lock_fd = lab_lock(c, err, sizeof(err))) < 0) {
		fail("%s", err);
		return LAB_UP_FAILED;
	}
	if (!lab_user_resolve(c->os_user, &r->ru, c->os_user, sizeof(c->os_user), err,
	                      sizeof(err))) {
		fail("%s (this lab runs as %s)", err, c->os_user);
		return LAB_UP_USAGE;
	}
	lab_running_scan(c, &r->running);
	if (lab_running_all(c, &r->running))
		return LAB_UP_ALREADY_RUNNING;
	if (!refresh_binary(r))
		return LAB_UP_FAILED;
	buf_init(&list);
	missing_owners(r, owners, &list);
	printf("The lab \"%s\" in %s is partly or not running; starting %s%s%s\n", c->scope, c->dir,
	       list.data, r->ru.set_user ? " as OS user " : "", r->ru.set_user ? c->os_user : "");
	buf_free(&list);
	if (!lab_ports_check(&c->plan, owners, err, sizeof(err))) {
		fail("%s", err);
		return LAB_UP_FAILED;
	}
	return start_cluster(r);
}

void lab_up_defaults(struct lab_up_opts *o)
{
	*o = (struct lab_up_opts){.dir = LAB_DEFAULT_DIR,
	                          .n_nodes = LAB_DEFAULT_NODES,
	                          .base_port = LAB_DEFAULT_BASE_PORT,
	                          .router_port = LAB_DEFAULT_ROUTER_PORT,
	                          .scope = LAB_DEFAULT_SCOPE,
	                          .timeout_s = LAB_DEFAULT_TIMEOUT_S,
	                          .pg_bin_dir = LAB_DEFAULT_PG_BIN};
}

enum lab_up_result lab_up_run(const struct lab_up_opts *o, struct lab_cluster *c)
{
	struct up_run r = {.c = c, .start_ms = clock_now_ms(), .lock_fd = -1};
	char cluster_json[PATH_MAX + 16];
	char err[ERR_LEN];
	enum lab_up_result res;

	memset(c, 0, sizeof(*c));
	r.deadline_ms = r.start_ms + (int64_t)o->timeout_s * 1000;
	if (!fs_abspath(o->dir, c->dir, sizeof(c->dir))) {
		fail("%s: path too long", o->dir);
		return LAB_UP_USAGE;
	}
	snprintf(cluster_json, sizeof(cluster_json), "%s/cluster.json", c->dir);
	if (!fs_exists(cluster_json)) {
		res = up_fresh(o, &r);
	} else if (!lab_cluster_load(c->dir, c, err, sizeof(err))) {
		fail("%s", err);
		res = LAB_UP_USAGE;
	} else {
		res = up_existing(o, &r);
	}
	lab_unlock(r.lock_fd);
	return res;
}
