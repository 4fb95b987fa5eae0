/*
 * lab_running.c: the lab's running processes, found through the pid files in DIR/run.
 */
#include "lab/lab_running.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "lab/lab_etcd.h"
#include "lab/lab_procs.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

bool lab_agent_config(const struct lab_cluster *c, int k, char *out, size_t size)
{
	return lab_node_path(c, c->plan.nodes[k].name, "agent.yml", out, size);
}

void lab_running_scan(const struct lab_cluster *c, struct lab_running *r)
{
	char marker[PATH_MAX + 16];

	for (int i = 0; i < LAB_N_ETCD; i++) {
		r->etcd[i] = lab_etcd_marker(c, i, marker, sizeof(marker))
		                 ? lab_proc_find(c, c->plan.etcd[i].name, marker)
		                 : 0;
	}
	for (int k = 0; k < LAB_MAX_NODES; k++) {
		r->agents[k] = 0;
		if (k >= c->plan.n_nodes)
			continue;
		if (lab_agent_config(c, k, marker, sizeof(marker)))
			r->agents[k] = lab_proc_find(c, c->plan.nodes[k].name, marker);
	}
	r->router = lab_router_config(c, marker, sizeof(marker))
	                ? lab_proc_find(c, LAB_ROUTER_NAME, marker)
	                : 0;
}

int lab_running_agents(const struct lab_cluster *c, const struct lab_running *r)
{
	int n = 0;

	for (int k = 0; k < c->plan.n_nodes; k++)
		n += r->agents[k] > 0;
	return n;
}

int lab_running_count(const struct lab_cluster *c, const struct lab_running *r)
{
	int n = lab_running_agents(c, r) + (r->router > 0);

	for (int i = 0; i < LAB_N_ETCD; i++)
		n += r->etcd[i] > 0;
	return n;
}

bool lab_running_all(const struct lab_cluster *c, const struct lab_running *r)
{
	return lab_running_count(c, r) == LAB_N_ETCD + c->plan.n_nodes + 1;
}

bool lab_leader_hint_save(const struct lab_cluster *c, const char *name)
{
	char path[PATH_MAX];
	char *line;
	bool ok;

	if (!lab_path(c, "run/leader", path, sizeof(path)))
		return false;
	line = xasprintf("%s\n", name);
	ok = fs_write_atomic(path, line, strlen(line), 0644);
	free(line);
	return ok;
}

bool lab_leader_hint_load(const struct lab_cluster *c, char *out, size_t size)
{
	char path[PATH_MAX];
	char *text;
	bool ok;

	if (!lab_path(c, "run/leader", path, sizeof(path)))
		return false;
	text = fs_read_file(path, NULL);
	if (text == NULL)
		return false;
	str_trim(text);
	ok = lab_plan_node(&c->plan, text) != NULL && str_copy(out, size, text);
	free(text);
	return ok;
}

void lab_leader_hint_clear(const struct lab_cluster *c)
{
	char path[PATH_MAX];

	if (lab_path(c, "run/leader", path, sizeof(path)))
		unlink(path);
}

bool lab_former_leader(const struct lab_plan *p, const char *key_holder, const char *hint,
                       const char *sync_leader, char *out, size_t size)
{
	const char *const candidates[] = {key_holder, hint, sync_leader};

	for (size_t i = 0; i < ARRAY_LEN(candidates); i++) {
		if (candidates[i] && lab_plan_node(p, candidates[i]))
			return str_copy(out, size, candidates[i]);
	}
	return false;
}

int lab_lock(const struct lab_cluster *c, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if (!lab_path(c, "run/lock", path, sizeof(path))) {
		snprintf(err, errlen, "%s: path too long", c->dir);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "another pgha up or pgha down is working on %s (%s)", c->dir,
		         errno == EWOULDBLOCK ? "lock busy" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void lab_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

bool lab_node_procs_find(const struct lab_cluster *c, const char *node, struct lab_node_procs *out)
{
	const struct lab_node_ports *n = lab_plan_node(&c->plan, node);

	memset(out, 0, sizeof(*out));
	if (n == NULL ||
	    !lab_agent_config(c, (int)(n - c->plan.nodes), out->agent_marker,
	                      sizeof(out->agent_marker)) ||
	    !lab_node_path(c, node, "data", out->data_dir, sizeof(out->data_dir)))
		return false;
	out->agent = lab_proc_find(c, node, out->agent_marker);
	out->postmaster = lab_postmaster_find(out->data_dir);
	return true;
}

bool lab_router_running(const struct lab_cluster *c)
{
	char marker[PATH_MAX];

	return lab_router_config(c, marker, sizeof(marker)) &&
	       lab_proc_find(c, LAB_ROUTER_NAME, marker) > 0;
}

pid_t lab_etcd_pid(const struct lab_cluster *c, int i)
{
	char marker[PATH_MAX + 16];

	if (i < 0 || i >= LAB_N_ETCD || !lab_etcd_marker(c, i, marker, sizeof(marker)))
		return 0;
	return lab_proc_find(c, c->plan.etcd[i].name, marker);
}

void lab_chaos_table(const struct lab_cluster *c, char *out, size_t size)
{
	snprintf(out, size, "pgha_chaos_%d", c->plan.base_port);
}
