/*
 * lab_cgroup.c: the lab's cgroups (see lab_cgroup.h).
 */
#include "lab/lab_cgroup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lab/lab_plan.h"
#include "lab/lab_procs.h"
#include "lab/lab_running.h"
#include "util/cgroup.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/strutil.h"

#define STRAY_MAX     512
#define STRAY_WAIT_MS 5000

static bool is_etcd(const struct lab_cluster *c, const char *name)
{
	for (int i = 0; i < LAB_N_ETCD; i++) {
		if (str_eq(name, c->plan.etcd[i].name))
			return true;
	}
	return false;
}

bool lab_cgroup(const struct lab_cluster *c, const char *component, char *out, size_t size)
{
	int n;

	if (component[0] == '\0' || str_eq(component, "etcd") ||
	    str_eq(component, LAB_ROUTER_NAME) || lab_plan_node(&c->plan, component) != NULL)
		n = snprintf(out, size, "/pgha-%d%s%s", c->plan.base_port, component[0] ? "/" : "",
		             component);
	else if (is_etcd(c, component))
		n = snprintf(out, size, "/pgha-%d/etcd/%s", c->plan.base_port, component);
	else
		return false;
	return n > 0 && (size_t)n < size;
}

/* abs_dir: the directory of component's cgroup under the cgroup2 mount. */
static bool abs_dir(const struct lab_cluster *c, const char *component, char *out, size_t size)
{
	char root[PATH_MAX];
	char rel[128];
	int n;

	if (!cgroup2_root(root, sizeof(root)) || !lab_cgroup(c, component, rel, sizeof(rel)))
		return false;
	n = snprintf(out, size, "%s%s", root, rel);
	return n > 0 && (size_t)n < size;
}

/* make_one: mkdir of component's cgroup (and its parents). */
static bool make_one(const struct lab_cluster *c, const char *component, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	if (!abs_dir(c, component, dir, sizeof(dir))) {
		snprintf(err, errlen, "no cgroup2 file system mounted");
		return false;
	}
	if (fs_mkdir_p(dir, 0755))
		return true;
	snprintf(err, errlen, "cannot create cgroup %s: %s", dir, strerror(errno));
	return false;
}

bool lab_cgroups_prepare(const struct lab_cluster *c, char *err, size_t errlen)
{
	bool ok = true;

	if (geteuid() != 0) {
		snprintf(err, errlen, "not running as root");
		return false;
	}
	ok = make_one(c, LAB_ROUTER_NAME, err, errlen);
	for (int i = 0; ok && i < LAB_N_ETCD; i++)
		ok = make_one(c, c->plan.etcd[i].name, err, errlen);
	for (int k = 0; ok && k < c->plan.n_nodes; k++)
		ok = make_one(c, c->plan.nodes[k].name, err, errlen);
	return ok;
}

bool lab_cgroup_dir(const struct lab_cluster *c, const char *name, char *out, size_t size)
{
	return geteuid() == 0 && abs_dir(c, name, out, size) && fs_is_dir(out);
}

/* kill_strays: SIGKILL to what is left in the lab's cgroups; true once they are empty. */
static bool kill_strays(const char *root, const char *rel)
{
	pid_t pids[STRAY_MAX];
	int n = cgroup_pids(root, rel, pids, STRAY_MAX);
	int64_t deadline = clock_now_ms() + STRAY_WAIT_MS;

	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	while (n > 0 && clock_now_ms() < deadline) {
		clock_sleep_ms(50);
		n = cgroup_pids(root, rel, pids, STRAY_MAX);
	}
	return n <= 0;
}

bool lab_cgroups_remove(const struct lab_cluster *c, char *err, size_t errlen)
{
	char root[PATH_MAX];
	char rel[128];
	pid_t pids[STRAY_MAX];
	int n;

	if (!cgroup2_root(root, sizeof(root)) || !lab_cgroup(c, "", rel, sizeof(rel)))
		return true; /* no cgroup2: the lab never had cgroups */
	n = cgroup_pids(root, rel, pids, STRAY_MAX);
	if (n > 0)
		printf("stopping %d process%s left in the lab's cgroups (SIGKILL)\n", n,
		       n == 1 ? "" : "es");
	if (n > 0 && !kill_strays(root, rel)) {
		snprintf(err, errlen, "processes remain in %s%s", root, rel);
		return false;
	}
	if (cgroup_remove(root, rel))
		return true;
	snprintf(err, errlen, "cannot remove the cgroups %s%s: %s", root, rel, strerror(errno));
	return false;
}

/* in_place: pid (when running) is in component's cgroup; why says otherwise. */
static bool in_place(const struct lab_cluster *c, pid_t pid, const char *component,
                     const char *what, char *why, size_t whylen)
{
	char want[128];
	char have[256];

	if (pid <= 0)
		return true;
	if (!lab_cgroup(c, component, want, sizeof(want)) ||
	    !cgroup_of_pid(pid, have, sizeof(have)) || !cgroup_within(have, want)) {
		snprintf(why, whylen, "%s (pid %d) is not in cgroup %s", what, (int)pid,
		         lab_cgroup(c, component, want, sizeof(want)) ? want : "?");
		return false;
	}
	return true;
}

static bool nodes_in_place(const struct lab_cluster *c, const struct lab_running *r, char *why,
                           size_t whylen)
{
	for (int k = 0; k < c->plan.n_nodes; k++) {
		const char *name = c->plan.nodes[k].name;
		struct lab_node_procs p;

		if (!in_place(c, r->agents[k], name, name, why, whylen) ||
		    (lab_node_procs_find(c, name, &p) &&
		     !in_place(c, p.postmaster, name, "its postmaster", why, whylen)))
			return false;
	}
	return true;
}

bool lab_cgroups_in_place(const struct lab_cluster *c, char *why, size_t whylen)
{
	struct lab_running r;
	char dir[PATH_MAX] = "";

	if (!abs_dir(c, "", dir, sizeof(dir)) || !fs_is_dir(dir)) {
		snprintf(why, whylen,
		         "the lab's processes were not started in cgroups (no %s: pgha up "
		         "ran without root, without cgroup v2, or is older)",
		         dir[0] ? dir : "cgroup2 mount");
		return false;
	}
	lab_running_scan(c, &r);
	for (int i = 0; i < LAB_N_ETCD; i++) {
		if (!in_place(c, r.etcd[i], c->plan.etcd[i].name, c->plan.etcd[i].name, why,
		              whylen))
			return false;
	}
	return in_place(c, r.router, LAB_ROUTER_NAME, LAB_ROUTER_NAME, why, whylen) &&
	       nodes_in_place(c, &r, why, whylen);
}
