/*
 * lab_down.c: `pgha down`: stop every process of a local cluster, by pid, and remove
 * its directory unless asked to keep it.
 *
 * Order: the router first (clients get a clean close, not a hold that ends in errors
 * while the cluster goes away), then the agents of the replicas, then the leader's (so
 * that no replica takes over while the leader stops and the leader keeps its key to the
 * end; the leader is recorded for the next `pgha up`), then any PostgreSQL that
 * outlived its agent, then the etcd members. SIGTERM, then SIGKILL after the timeout. A directory
 * without cluster.json is never touched.
 *
 * Prints what it stopped on stdout, problems on stderr.
 */
#include "lab/lab.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "lab/lab_cgroup.h"
#include "lab/lab_cluster.h"
#include "lab/lab_place.h"
#include "lab/lab_procs.h"
#include "lab/lab_running.h"
#include "util/fsutil.h"
#include "util/nft.h"
#include "util/strutil.h"

#define DCS_TIMEOUT_MS 2000
#define ERR_LEN        1024

/* A group of processes stopped together. */
struct group {
	const char *names[LAB_MAX_NODES + LAB_N_ETCD];
	pid_t pids[LAB_MAX_NODES + LAB_N_ETCD];
	int n;
};

static void group_add(struct group *g, const char *name, pid_t pid)
{
	if (pid <= 0)
		return;
	g->names[g->n] = name;
	g->pids[g->n] = pid;
	g->n++;
}

/* stop_group: stops g in parallel and reports each; false if one survived even SIGKILL. */
static bool stop_group(const struct group *g, int sig, int timeout_ms, const char *what)
{
	bool killed[LAB_MAX_NODES + LAB_N_ETCD];
	bool ok;

	if (g->n == 0)
		return true;
	ok = lab_procs_stop(g->pids, g->n, sig, timeout_ms, killed);
	for (int i = 0; i < g->n; i++)
		printf("stopped %s%s (pid %d)%s\n", g->names[i], what, (int)g->pids[i],
		       killed[i] ? " with SIGKILL after the timeout" : "");
	if (!ok)
		fprintf(stderr, "pgha down: some processes did not exit even after SIGKILL\n");
	fflush(stdout);
	return ok;
}

static bool stop_router(const struct lab_running *r, int timeout_ms)
{
	struct group g = {0};

	group_add(&g, LAB_ROUTER_NAME, r->router);
	return stop_group(&g, SIGTERM, timeout_ms, "");
}

/* current_leader: the node whose agent runs and holds the leader key, or NULL. */
static const char *current_leader(const struct lab_cluster *c, const struct lab_running *r)
{
	struct dcs_view v;
	const char *leader = NULL;
	bool any_etcd = false;

	for (int i = 0; i < LAB_N_ETCD; i++)
		any_etcd = any_etcd || r->etcd[i] > 0;
	if (!any_etcd || !lab_view_read(c, DCS_TIMEOUT_MS, &v))
		return NULL;
	for (int k = 0; k < c->plan.n_nodes && v.has_leader; k++) {
		if (r->agents[k] > 0 && str_eq(v.leader, c->plan.nodes[k].name))
			leader = c->plan.nodes[k].name;
	}
	dcs_view_free(&v);
	return leader;
}

static bool stop_agents(const struct lab_cluster *c, const struct lab_running *r, int timeout_ms)
{
	const char *leader = current_leader(c, r);
	struct group replicas = {0};
	struct group first = {0};
	bool ok;

	for (int k = 0; k < c->plan.n_nodes; k++) {
		const char *name = c->plan.nodes[k].name;

		group_add(leader && str_eq(name, leader) ? &first : &replicas, name, r->agents[k]);
	}
	if (leader == NULL && replicas.n > 0)
		printf("no running leader found in etcd: stopping the agents together\n");
	ok = stop_group(&replicas, SIGTERM, timeout_ms, "'s agent");
	ok = stop_group(&first, SIGTERM, timeout_ms, "'s agent (the leader)") && ok;
	if (leader && !lab_leader_hint_save(c, leader))
		fprintf(stderr, "pgha down: warning: cannot record the leader in run/leader\n");
	if (leader == NULL && replicas.n > 0)
		lab_leader_hint_clear(c);
	return ok;
}

/* stop_orphan_postmasters: a PostgreSQL left behind by a killed agent (fast shutdown). */
static bool stop_orphan_postmasters(const struct lab_cluster *c, int timeout_ms)
{
	struct group g = {0};

	for (int k = 0; k < c->plan.n_nodes; k++) {
		char data_dir[PATH_MAX];

		if (lab_node_path(c, c->plan.nodes[k].name, "data", data_dir, sizeof(data_dir)))
			group_add(&g, c->plan.nodes[k].name, lab_postmaster_find(data_dir));
	}
	return stop_group(&g, SIGINT, timeout_ms, "'s PostgreSQL (outlived its agent)");
}

static bool stop_etcd(const struct lab_cluster *c, const struct lab_running *r, int timeout_ms)
{
	struct group g = {0};

	for (int i = 0; i < LAB_N_ETCD; i++)
		group_add(&g, c->plan.etcd[i].name, r->etcd[i]);
	return stop_group(&g, SIGTERM, timeout_ms, "");
}

static bool postmasters_alive(const struct lab_cluster *c)
{
	for (int k = 0; k < c->plan.n_nodes; k++) {
		char data_dir[PATH_MAX];

		if (lab_node_path(c, c->plan.nodes[k].name, "data", data_dir, sizeof(data_dir)) &&
		    lab_postmaster_find(data_dir) > 0)
			return true;
	}
	return false;
}

static enum lab_down_result remove_dir(const struct lab_cluster *c)
{
	struct lab_running again;

	/* Re-check: nothing may still write into what we are about to delete. */
	lab_running_scan(c, &again);
	if (lab_running_count(c, &again) > 0 || postmasters_alive(c)) {
		fprintf(stderr, "pgha down: something still runs; keeping %s\n", c->dir);
		return LAB_DOWN_FAILED;
	}
	if (!fs_rm_rf(c->dir)) {
		fprintf(stderr, "pgha down: cannot remove %s completely\n", c->dir);
		return LAB_DOWN_FAILED;
	}
	printf("removed %s\n", c->dir);
	if (!lab_place_unlink(c)) {
		fprintf(stderr, "pgha down: cannot remove the link %s: %s\n", c->link,
		        strerror(errno));
		return LAB_DOWN_FAILED;
	}
	if (c->link[0])
		printf("removed the link %s\n", c->link);
	return LAB_DOWN_OK;
}

/*
 * remove_net_faults: once everything stopped, what `pgha chaos` may have left (its
 * nftables table, when it was killed mid-run) and the lab's cgroups.
 */
static bool remove_net_faults(const struct lab_cluster *c)
{
	char table[64];
	char err[ERR_LEN];

	lab_chaos_table(c, table, sizeof(table));
	if (nft_usable(err, sizeof(err)) && nft_table_exists("inet", table)) {
		if (!nft_table_delete("inet", table, err, sizeof(err)))
			fprintf(stderr, "pgha down: cannot delete nftables table %s: %s\n", table,
			        err);
		else
			printf("deleted nftables table inet %s (left by pgha chaos)\n", table);
	}
	if (!lab_cgroups_remove(c, err, sizeof(err))) {
		fprintf(stderr, "pgha down: %s\n", err);
		return false;
	}
	return true;
}

static enum lab_down_result down_lab(const struct lab_cluster *c, const struct lab_down_opts *o)
{
	int timeout_ms = o->timeout_s * 1000;
	struct lab_running r;
	bool ok;

	lab_running_scan(c, &r);
	if (lab_running_count(c, &r) == 0)
		printf("nothing of the lab in %s was running\n", c->dir);
	ok = stop_router(&r, timeout_ms);
	ok = stop_agents(c, &r, timeout_ms) && ok;
	ok = stop_orphan_postmasters(c, timeout_ms) && ok;
	ok = stop_etcd(c, &r, timeout_ms) && ok;
	ok = ok && remove_net_faults(c);
	if (!ok) {
		fprintf(stderr, "pgha down: keeping %s: not everything stopped\n", c->dir);
		return LAB_DOWN_FAILED;
	}
	if (o->keep) {
		printf("kept %s (pgha up --dir %s starts it again)\n", c->dir, lab_shown_dir(c));
		return LAB_DOWN_OK;
	}
	return remove_dir(c);
}

void lab_down_defaults(struct lab_down_opts *o)
{
	*o = (struct lab_down_opts){.dir = LAB_DEFAULT_DIR, .timeout_s = LAB_DEFAULT_STOP_S};
}

enum lab_down_result lab_down_run(const struct lab_down_opts *o)
{
	char dir[PATH_MAX];
	char json[PATH_MAX + 16];
	char err[ERR_LEN];
	struct lab_cluster c;
	enum lab_down_result res;
	int lock_fd;

	if (!fs_abspath(o->dir, dir, sizeof(dir))) {
		fprintf(stderr, "pgha down: %s: path too long\n", o->dir);
		return LAB_DOWN_USAGE;
	}
	if (!fs_exists(dir)) {
		printf("nothing to stop: %s does not exist\n", dir);
		return LAB_DOWN_OK;
	}
	snprintf(json, sizeof(json), "%s/cluster.json", dir);
	if (!fs_exists(json)) {
		fprintf(stderr,
		        "pgha down: %s is not a pgha lab (no cluster.json); not touching it\n",
		        dir);
		return LAB_DOWN_USAGE;
	}
	if (!lab_cluster_load(dir, &c, err, sizeof(err))) {
		fprintf(stderr, "pgha down: %s\n", err);
		return LAB_DOWN_USAGE;
	}
	if ((lock_fd = lab_lock(&c, err, sizeof(err))) < 0) {
		fprintf(stderr, "pgha down: %s\n", err);
		return LAB_DOWN_FAILED;
	}
	res = down_lab(&c, o);
	lab_unlock(lock_fd);
	return res;
}
