/*
 * chaos_fault.c: the fault of a run, by the lab's own action or an --exec command
 * (see chaos_fault.h).
 */
#include "chaos/chaos_fault.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "chaos/chaos_etcd.h"
#include "chaos/chaos_guard.h"
#include "util/buf.h"
#include "util/nft.h"
#include "util/proc.h"
#include "util/strutil.h"

#define MAX_SCANS      20 /* stop-and-rescan rounds before giving up on a forking tree */
#define ETCD_STATUS_MS 500
#define EXEC_ENV_MAX   12
#define EXEC_ENV_LEN   (DCS_URL_LEN + 64)

/* parent_of: the parent pid of pid from /proc/<pid>/stat, or 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64];
	char buf[512];
	FILE *f;
	char *p;
	int ppid = 0;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: the state follows the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

static bool in_tree(const struct chaos_fault *v, pid_t pid)
{
	for (int i = 0; i < v->n_tree; i++) {
		if (v->tree[i] == pid)
			return true;
	}
	return false;
}

static void tree_add(struct chaos_fault *v, pid_t pid)
{
	if (pid > 0 && v->n_tree < CHAOS_MAX_PIDS && !in_tree(v, pid))
		v->tree[v->n_tree++] = pid;
}

/* add_children: every process whose parent is in the tree; returns how many were new. */
static int add_children(struct chaos_fault *v)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int before = v->n_tree;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || in_tree(v, (pid_t)pid))
			continue;
		if (in_tree(v, parent_of((pid_t)pid)))
			tree_add(v, (pid_t)pid);
	}
	closedir(d);
	return v->n_tree - before;
}

/* stop_tree: SIGSTOP the agent, the postmaster and every descendant, until stable. */
static void stop_tree(struct chaos_fault *v)
{
	int stopped = 0;

	v->n_tree = 0;
	tree_add(v, v->agent);
	tree_add(v, v->postmaster);
	for (int round = 0; round < MAX_SCANS; round++) {
		for (; stopped < v->n_tree; stopped++)
			kill(v->tree[stopped], SIGSTOP);
		if (add_children(v) == 0 && stopped == v->n_tree)
			break;
	}
}

static bool signal_one(pid_t pid, int sig, const char *what, char *err, size_t errlen)
{
	if (pid > 0 && kill(pid, sig) == 0)
		return true;
	snprintf(err, errlen, "cannot signal the %s (pid %d): %s", what, (int)pid,
	         pid > 0 ? strerror(errno) : "not running");
	return false;
}

const char *chaos_phase_str(enum chaos_phase p)
{
	static const char *const names[] = {"inject", "heal", "restart"};

	return (unsigned)p < ARRAY_LEN(names) ? names[p] : "?";
}

static const char *etcd_name(const struct chaos_fault *f, int i)
{
	return chaos_target_etcd_name(f->t, i);
}

/* --- --exec ------------------------------------------------------------------------------ */

struct exec_env {
	char vals[EXEC_ENV_MAX][EXEC_ENV_LEN];
	const char *env[EXEC_ENV_MAX + 1];
	int n;
};

static void env_add(struct exec_env *e, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void env_add(struct exec_env *e, const char *fmt, ...)
{
	va_list ap;

	if (e->n == EXEC_ENV_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(e->vals[e->n], EXEC_ENV_LEN, fmt, ap);
	va_end(ap);
	e->env[e->n] = e->vals[e->n];
	e->env[++e->n] = NULL;
}

/* exec_env_build: what the command is told (docs/chaos.md lists it). */
static void exec_env_build(const struct chaos_fault *f, enum chaos_phase p, struct exec_env *e)
{
	const struct chaos_node *n = chaos_target_node(f->t, f->victim);
	struct buf urls;

	e->n = 0;
	buf_init(&urls);
	for (int i = 0; i < f->n_etcd; i++)
		buf_printf(&urls, "%s%s", i ? " " : "", f->t->cl->etcd[f->etcd[i]]);
	env_add(e, "PGHA_CHAOS_PHASE=%s", chaos_phase_str(p));
	env_add(e, "PGHA_CHAOS_SCENARIO=%s", chaos_scenario_str(f->s));
	env_add(e, "PGHA_CHAOS_SCOPE=%s", f->t->cl->scope);
	env_add(e, "PGHA_CHAOS_VICTIM=%s", f->victim);
	env_add(e, "PGHA_CHAOS_VICTIM_HOST=%s", n ? n->host : "");
	env_add(e, "PGHA_CHAOS_VICTIM_PG_PORT=%d", n ? n->pg_port : 0);
	env_add(e, "PGHA_CHAOS_VICTIM_API_URL=%s", n ? n->api_url : "");
	env_add(e, "PGHA_CHAOS_DURATION=%d", f->duration_ms / 1000);
	env_add(e, "PGHA_CHAOS_ETCD_VICTIMS=%s", urls.data);
	env_add(e, "PGHA_CHAOS_DIR=%s", f->t->lab ? f->t->lab->dir : "");
	buf_free(&urls);
}

static struct proc_spec exec_spec(const struct chaos_fault *f, const char **argv,
                                  const struct exec_env *e)
{
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = f->exec;
	argv[3] = NULL;
	/* stdin shared (a relay answers there), stdout onto our stderr: the report is ours */
	return (struct proc_spec){.argv = argv, .env = e->env, .stdout_to_stderr = true};
}

static bool exec_run(const struct chaos_fault *f, enum chaos_phase p, char *err, size_t errlen)
{
	struct exec_env e;
	const char *argv[4];
	struct proc_spec spec;
	char why[256];

	exec_env_build(f, p, &e);
	spec = exec_spec(f, argv, &e);
	if (proc_run(&spec, f->timeout_s * 1000, NULL, why, sizeof(why)))
		return true;
	snprintf(err, errlen, "--exec (phase %s): %s", chaos_phase_str(p), why);
	return false;
}

/* exec_arm_guard: what heals this fault if the run ends abruptly: the heal phase. */
static void exec_arm_guard(const struct chaos_fault *f)
{
	struct exec_env e;

	exec_env_build(f, CHAOS_PHASE_HEAL, &e);
	chaos_guard_exec(f->exec, e.env);
}

/* --- the lab's own action ---------------------------------------------------------------- */

static bool lab_prepare(struct chaos_fault *f, char *err, size_t errlen)
{
	struct lab_node_procs p;

	if (!lab_node_procs_find(f->t->lab, f->victim, &p)) {
		snprintf(err, errlen, "the leader %s is not a node of %s/cluster.json", f->victim,
		         f->t->lab->dir);
		return false;
	}
	f->agent = p.agent;
	f->postmaster = p.postmaster;
	if (chaos_scenario_partition(f->s))
		return chaos_net_plan(f->t->lab, f->s, f->victim, &f->cut, err, errlen);
	if (f->s == CHAOS_CRASH_POSTGRES && f->postmaster == 0) {
		snprintf(err, errlen, "%s's postmaster is not running (%s/postmaster.pid)",
		         f->victim, p.data_dir);
		return false;
	}
	if ((f->s == CHAOS_KILL_PRIMARY || f->s == CHAOS_KILL_AGENT ||
	     f->s == CHAOS_FREEZE_PRIMARY) &&
	    f->agent == 0) {
		snprintf(err, errlen,
		         "%s's agent is not running (no live pid in run/%s.pid with %s)", f->victim,
		         f->victim, p.agent_marker);
		return false;
	}
	return true;
}

/* etcd_pick: the members to stop, from etcd's own view of who leads. */
static bool etcd_pick(struct chaos_fault *f, char *err, size_t errlen)
{
	struct chaos_etcd_view v = {0};
	int n = f->s == CHAOS_ETCD_QUORUM_LOSS ? 2 : 1;

	chaos_etcd_status(f->t->cl, ETCD_STATUS_MS, &v);
	f->n_etcd = chaos_etcd_victims(&v, n, f->etcd_followers, f->etcd);
	if (f->n_etcd == n)
		return true;
	snprintf(err, errlen, "cannot tell which etcd member leads (maintenance/status)");
	return false;
}

static void etcd_describe(const struct chaos_fault *f, const char *verb, char *what, size_t len)
{
	struct buf b;

	buf_init(&b);
	for (int i = 0; i < f->n_etcd; i++) {
		bool leads = i == 0 && !f->etcd_followers;

		buf_printf(&b, "%s%s%s", i ? " and " : "", etcd_name(f, f->etcd[i]),
		           leads ? " (raft leader)" : "");
	}
	snprintf(what, len, "%s %s", b.data, verb);
	buf_free(&b);
}

/* lab_etcd_signal: sig to the chosen etcd members, as close together as possible. */
static bool lab_etcd_signal(struct chaos_fault *f, int sig, char *err, size_t errlen)
{
	pid_t pids[2];

	for (int i = 0; i < f->n_etcd; i++) {
		pids[i] = lab_etcd_pid(f->t->lab, f->etcd[i]);
		if (pids[i] <= 0) {
			snprintf(err, errlen, "%s is not running", etcd_name(f, f->etcd[i]));
			return false;
		}
	}
	if (sig == SIGSTOP)
		chaos_guard_stopped(pids, f->n_etcd);
	for (int i = 0; i < f->n_etcd; i++)
		kill(pids[i], sig);
	return true;
}

static bool lab_cut(struct chaos_fault *f, char *what, size_t whatlen, char *err, size_t errlen)
{
	struct buf rules;
	bool ok;

	buf_init(&rules);
	chaos_net_ruleset(&f->cut, &rules);
	chaos_guard_table(f->cut.table);
	ok = nft_apply(rules.data, err, errlen);
	buf_free(&rules);
	snprintf(what, whatlen, "%s cut from %s (nftables table %s)", f->victim,
	         f->s == CHAOS_PARTITION_PRIMARY ? "etcd, the other nodes and the router"
	                                         : "every etcd member",
	         f->cut.table);
	return ok;
}

static bool lab_inject(struct chaos_fault *f, char *what, size_t whatlen, char *err, size_t errlen)
{
	snprintf(what, whatlen, "%s", f->victim);
	switch (f->s) {
	case CHAOS_KILL_PRIMARY:
		stop_tree(f);
		for (int i = 0; i < f->n_tree; i++)
			kill(f->tree[i], SIGKILL);
		return f->n_tree > 0 || signal_one(0, SIGKILL, "agent", err, errlen);
	case CHAOS_CRASH_POSTGRES:
		return signal_one(f->postmaster, SIGKILL, "postmaster", err, errlen);
	case CHAOS_KILL_AGENT:
		return signal_one(f->agent, SIGKILL, "agent", err, errlen);
	case CHAOS_FREEZE_PRIMARY:
		stop_tree(f);
		chaos_guard_stopped(f->tree, f->n_tree);
		snprintf(what, whatlen, "%s's %d processes SIGSTOPped", f->victim, f->n_tree);
		return f->n_tree > 0 || signal_one(0, SIGSTOP, "agent", err, errlen);
	case CHAOS_ETCD_LEADER_STALL:
	case CHAOS_ETCD_QUORUM_LOSS:
		etcd_describe(f, "SIGSTOPped", what, whatlen);
		return lab_etcd_signal(f, SIGSTOP, err, errlen);
	case CHAOS_PARTITION_PRIMARY_ETCD:
	case CHAOS_PARTITION_PRIMARY:
		return lab_cut(f, what, whatlen, err, errlen);
	case CHAOS_SWITCHOVER:
	case CHAOS__COUNT:
		break;
	}
	snprintf(err, errlen, "scenario %s has no lab action", chaos_scenario_str(f->s));
	return false;
}

static bool lab_heal(struct chaos_fault *f, char *what, size_t whatlen, char *err, size_t errlen)
{
	if (chaos_scenario_partition(f->s)) {
		snprintf(what, whatlen, "cut healed (nftables table %s deleted)", f->cut.table);
		return nft_table_delete(CHAOS_NET_FAMILY, f->cut.table, err, errlen);
	}
	if (chaos_scenario_etcd(f->s)) {
		etcd_describe(f, "resumed (SIGCONT)", what, whatlen);
		return lab_etcd_signal(f, SIGCONT, err, errlen);
	}
	for (int i = 0; i < f->n_tree; i++)
		kill(f->tree[i], SIGCONT);
	snprintf(what, whatlen, "SIGCONT to %s's %d processes", f->victim, f->n_tree);
	return true;
}

/* --- the fault ---------------------------------------------------------------------------- */

bool chaos_fault_prepare(struct chaos_fault *f, char *err, size_t errlen)
{
	if (f->s == CHAOS_SWITCHOVER || f->exec != NULL)
		return true;
	if (f->t->lab == NULL) {
		snprintf(err, errlen, "a cluster that is not a lab needs --exec COMMAND");
		return false;
	}
	return lab_prepare(f, err, errlen);
}

bool chaos_fault_inject(struct chaos_fault *f, char *what, size_t whatlen, char *err, size_t errlen)
{
	bool ok;

	if (chaos_scenario_etcd(f->s) && !etcd_pick(f, err, errlen))
		return false;
	if (f->exec) {
		if (f->duration_ms > 0)
			exec_arm_guard(f);
		if (chaos_scenario_etcd(f->s))
			etcd_describe(f, "stopped by --exec", what, whatlen);
		else
			snprintf(what, whatlen, "%s (by --exec)", f->victim);
		ok = exec_run(f, CHAOS_PHASE_INJECT, err, errlen);
	} else {
		ok = lab_inject(f, what, whatlen, err, errlen);
	}
	f->in_place = f->duration_ms > 0;
	if (!ok && !f->in_place)
		chaos_guard_clear();
	return ok;
}

bool chaos_fault_heal(struct chaos_fault *f, char *what, size_t whatlen, char *err, size_t errlen)
{
	bool ok;

	if (!f->in_place)
		return true;
	f->in_place = false;
	if (f->exec) {
		snprintf(what, whatlen, "healed by --exec");
		ok = exec_run(f, CHAOS_PHASE_HEAL, err, errlen);
	} else {
		ok = lab_heal(f, what, whatlen, err, errlen);
	}
	if (ok)
		chaos_guard_clear();
	else
		chaos_guard_undo(); /* a second try, the emergency way */
	return ok;
}

static pid_t restart_lab(const struct lab_cluster *c, int timeout_s, char *err, size_t errlen)
{
	char self[PATH_MAX];
	char log_path[PATH_MAX];
	char timeout[16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *argv[] = {self, "up", "--dir", c->dir, "--timeout", timeout, NULL};
	struct proc_spec spec = {
	    .argv = argv, .log_path = log_path, .stdin_null = true, .new_session = true};

	if (n <= 0 || (size_t)n >= sizeof(self) - 1) {
		snprintf(err, errlen, "cannot find the pgha binary (/proc/self/exe)");
		return -1;
	}
	self[n] = '\0';
	snprintf(timeout, sizeof(timeout), "%d", timeout_s);
	if (!lab_path(c, "logs/chaos-up.log", log_path, sizeof(log_path))) {
		snprintf(err, errlen, "%s: path too long", c->dir);
		return -1;
	}
	return proc_spawn(&spec, err, errlen);
}

pid_t chaos_fault_restart(const struct chaos_fault *f, int timeout_s, char *err, size_t errlen)
{
	struct exec_env e;
	const char *argv[4];
	struct proc_spec spec;

	if (f->exec == NULL)
		return restart_lab(f->t->lab, timeout_s, err, errlen);
	exec_env_build(f, CHAOS_PHASE_RESTART, &e);
	spec = exec_spec(f, argv, &e);
	return proc_spawn(&spec, err, errlen);
}
