/*
 * chaos_fault.c: victims, signals and the lost host's return (see chaos_fault.h).
 */
#include "chaos/chaos_fault.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/proc.h"

#define MAX_SCANS 20 /* stop-and-rescan rounds before giving up on a forking tree */

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

static bool in_tree(const struct chaos_victim *v, pid_t pid)
{
	for (int i = 0; i < v->n_tree; i++) {
		if (v->tree[i] == pid)
			return true;
	}
	return false;
}

static void tree_add(struct chaos_victim *v, pid_t pid)
{
	if (pid > 0 && v->n_tree < CHAOS_MAX_PIDS && !in_tree(v, pid))
		v->tree[v->n_tree++] = pid;
}

/* add_children: every process whose parent is in the tree; returns how many were new. */
static int add_children(struct chaos_victim *v)
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
static void stop_tree(struct chaos_victim *v)
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

bool chaos_victim_find(const struct lab_cluster *c, const char *node, enum chaos_scenario s,
                       struct chaos_victim *v, char *err, size_t errlen)
{
	struct lab_node_procs p;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", node);
	if (!lab_node_procs_find(c, node, &p)) {
		snprintf(err, errlen, "the leader %s is not a node of %s/cluster.json", node,
		         c->dir);
		return false;
	}
	v->agent = p.agent;
	v->postmaster = p.postmaster;
	if (s != CHAOS_SWITCHOVER && s != CHAOS_CRASH_POSTGRES && v->agent == 0) {
		snprintf(err, errlen,
		         "%s's agent is not running (no live pid in run/%s.pid with %s)", node,
		         node, p.agent_marker);
		return false;
	}
	if (s == CHAOS_CRASH_POSTGRES && v->postmaster == 0) {
		snprintf(err, errlen, "%s's postmaster is not running (%s/postmaster.pid)", node,
		         p.data_dir);
		return false;
	}
	return true;
}

bool chaos_fault_inject(enum chaos_scenario s, struct chaos_victim *v, char *err, size_t errlen)
{
	switch (s) {
	case CHAOS_KILL_PRIMARY:
		stop_tree(v);
		for (int i = 0; i < v->n_tree; i++)
			kill(v->tree[i], SIGKILL);
		return v->n_tree > 0 || signal_one(0, SIGKILL, "agent", err, errlen);
	case CHAOS_CRASH_POSTGRES:
		return signal_one(v->postmaster, SIGKILL, "postmaster", err, errlen);
	case CHAOS_KILL_AGENT:
		return signal_one(v->agent, SIGKILL, "agent", err, errlen);
	case CHAOS_FREEZE_PRIMARY:
		stop_tree(v);
		return v->n_tree > 0 || signal_one(0, SIGSTOP, "agent", err, errlen);
	case CHAOS_SWITCHOVER:
	case CHAOS__COUNT:
		break;
	}
	snprintf(err, errlen, "scenario %s injects no signal", chaos_scenario_str(s));
	return false;
}

void chaos_fault_resume(struct chaos_victim *v)
{
	for (int i = 0; i < v->n_tree; i++)
		kill(v->tree[i], SIGCONT);
}

pid_t chaos_restart_lab(const struct lab_cluster *c, int timeout_s, char *err, size_t errlen)
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
