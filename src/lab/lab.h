/*
 * lab.h: the local cluster of `pgha up` / `pgha down`, the lab's one public header:
 * what cli/ and chaos/ may use. Everything else of lab/ is private to it (its other
 * headers are the module's internal ones, one per job; `make lint` refuses an include
 * of them from outside lab/).
 *
 * A lab is one directory: cluster.json (scope, namespace, the port plan, node names,
 * the OS user, the binaries), the generated secrets, each node's agent.yml and data,
 * router.yml, the client files (pg_service.conf, pgpass, patronictl.yml), logs, pid
 * files and bin/pgha, the copy of pgha its processes run. Where its OS user cannot
 * reach the directory asked for, that is a link to the lab's real place (lab_place.h). Three etcd
 * members, N nodes (agent + PostgreSQL + PgBouncer) and one router, all on 127.0.0.1, every process
 * run as the lab's OS user and known by pid.
 *
 * Sits on client/ (a lab hands its cluster to the tooling as a struct client).
 */
#ifndef PGHA_LAB_LAB_H
#define PGHA_LAB_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "client/client.h"
#include "util/compiler.h"
#include "util/tls.h"

#define LAB_N_ETCD              3
#define LAB_MAX_NODES           9
#define LAB_NAME_LEN            64
#define LAB_DEFAULT_DIR         "pgha-lab"
#define LAB_DEFAULT_SCOPE       "pgha-lab"
#define LAB_DEFAULT_NODES       3
#define LAB_DEFAULT_BASE_PORT   6500
#define LAB_DEFAULT_ROUTER_PORT 5432 /* read-write; read-only is the next port */
#define LAB_DEFAULT_TIMEOUT_S   120
#define LAB_DEFAULT_STOP_S      60
#define LAB_DEFAULT_PG_BIN      "/usr/lib/postgresql/15/bin"
#define LAB_PLAN_SPAN           100 /* ports P .. P+99 belong to the plan */

/* --- the cluster ------------------------------------------------------------------------ */

struct lab_etcd_ports {
	char name[LAB_NAME_LEN]; /* etcd1..3 */
	int client_port;
	int peer_port;
};

struct lab_node_ports {
	char name[LAB_NAME_LEN]; /* node1..N */
	int pg_port;             /* PostgreSQL */
	int api_port;            /* REST API */
	int bouncer_port;        /* PgBouncer */
};

/* The port plan, derived from one base port P (lab_plan.h has the layout). */
struct lab_plan {
	int base_port;
	int n_nodes;
	struct lab_etcd_ports etcd[LAB_N_ETCD];
	struct lab_node_ports nodes[LAB_MAX_NODES];
	int router_rw_port;   /* router read-write listener: --router-port R (default 5432) */
	int router_ro_port;   /* router read-only listener: R+1 */
	int router_http_port; /* router /health and /metrics: P+6 */
};

/* What DIR/cluster.json says. */
struct lab_cluster {
	char dir[PATH_MAX];       /* absolute path of DIR */
	char link[PATH_MAX];      /* where `pgha up` was asked to put DIR, a link to it, or "" */
	char scope[LAB_NAME_LEN]; /* cluster name in etcd */
	char namespace_[LAB_NAME_LEN]; /* "/service/" */
	char os_user[LAB_NAME_LEN];    /* user every process of the lab runs as */
	char pgha_bin[PATH_MAX];       /* the pgha binary the agents run */
	char pg_bin_dir[PATH_MAX];     /* PostgreSQL binaries (initdb, postgres...) */
	char etcd_bin[PATH_MAX];       /* the etcd server binary */
	bool tls; /* TLS everywhere (the default); false: `pgha up --insecure`, or a lab made
	             before TLS ("tls" absent from cluster.json) */
	struct lab_plan plan;
};

/*
 * lab_cluster_load: reads DIR/cluster.json (dir absolute or relative, or the link to it);
 * its "dir" must be DIR itself. False with err set otherwise (no lab there, unreadable
 * file, a lab moved or copied from elsewhere).
 */
bool lab_cluster_load(const char *dir, struct lab_cluster *c, char *err, size_t errlen) MUST_CHECK;
/*
 * lab_client: the cluster as the tooling reaches it: the lab's etcd members, scope and
 * namespace, its CA (DIR/tls/ca.crt) for etcd and the REST APIs, and its generated
 * secrets as credentials (the REST user "pgha", the etcd user "pgha", the superuser
 * "postgres"; when DIR/secrets cannot be read, none, and the note says why).
 */
void lab_client(const struct lab_cluster *c, struct client *out);
/* lab_api_url: "https://127.0.0.1:<api port>" of a node (no path); http without TLS. */
void lab_api_url(const struct lab_cluster *c, const struct lab_node_ports *n, char *out,
                 size_t size);
/* lab_tls_client: what a client of the lab trusts: DIR/tls/ca.crt; zeroed without TLS. */
void lab_tls_client(const struct lab_cluster *c, struct tls_client *out);
/* lab_shown_dir: DIR as the user named it: the link to it, when it has one (lab_place.h). */
const char *lab_shown_dir(const struct lab_cluster *c);
/* lab_path: DIR/<rel> into out; false if it does not fit. */
bool lab_path(const struct lab_cluster *c, const char *rel, char *out, size_t size) MUST_CHECK;
/* lab_plan_node: the node called name, or NULL. Borrowed. */
const struct lab_node_ports *lab_plan_node(const struct lab_plan *p, const char *name);
/* lab_scope_valid: 1..63 characters of [A-Za-z0-9_-] (safe in etcd keys, YAML, files). */
bool lab_scope_valid(const char *scope);

/* --- processes -------------------------------------------------------------------------- */

/* A node's processes, found the lab's way (by pid file and command line, never by name). */
struct lab_node_procs {
	pid_t agent;                 /* 0 when not running */
	pid_t postmaster;            /* 0 when not running */
	char agent_marker[PATH_MAX]; /* the argument that marks the agent (its agent.yml) */
	char data_dir[PATH_MAX];     /* DIR/<node>/data */
};

/* lab_node_procs_find: node's agent and postmaster; false if node is not in the plan. */
bool lab_node_procs_find(const struct lab_cluster *c, const char *node,
                         struct lab_node_procs *out) MUST_CHECK;
/* lab_router_running: the lab's router runs (a live pid in DIR/run/router.pid). */
bool lab_router_running(const struct lab_cluster *c);
/* lab_etcd_pid: the live pid of etcd member i (0..LAB_N_ETCD-1), or 0. */
pid_t lab_etcd_pid(const struct lab_cluster *c, int i);

/* --- cgroups and nftables (see lab_cgroup.h) --------------------------------------------- */

/*
 * lab_cgroup: the cgroup v2 path (from the hierarchy's root) that `pgha up` starts
 * component in: "/pgha-P/node1" for a node (its agent, PostgreSQL and PgBouncer),
 * "/pgha-P/etcd/etcd1" for an etcd member, "/pgha-P/etcd" for all of them,
 * "/pgha-P/router", and "/pgha-P" for "". False for an unknown component.
 */
bool lab_cgroup(const struct lab_cluster *c, const char *component, char *out,
                size_t size) MUST_CHECK;
/*
 * lab_cgroups_in_place: every running process of the lab (etcd members, agents, their
 * postmasters, the router) is in its cgroup. False with why set otherwise (the lab was
 * started without cgroups: not as root, no cgroup v2, an older pgha).
 */
bool lab_cgroups_in_place(const struct lab_cluster *c, char *why, size_t whylen) MUST_CHECK;
/*
 * lab_chaos_table: the name of the nftables table (family inet) in which `pgha chaos`
 * cuts this lab's links, "pgha_chaos_P"; `pgha down` deletes it if a run left it.
 */
void lab_chaos_table(const struct lab_cluster *c, char *out, size_t size);

/* --- pgha up / pgha down ---------------------------------------------------------------- */

struct lab_up_opts {
	const char *dir;            /* --dir, default "pgha-lab" (relative to the cwd) */
	int n_nodes;                /* --nodes */
	int base_port;              /* --base-port */
	int router_port;            /* --router-port: the router's read-write port, read-only +1 */
	const char *scope;          /* --scope */
	const char *os_user;        /* --os-user; NULL = "postgres" when root, else ourselves */
	int timeout_s;              /* --timeout: overall wait for a healthy cluster */
	const char *pg_bin_dir;     /* --pg-bin-dir */
	bool insecure;              /* --insecure: no TLS anywhere (debugging) */
	bool no_backup;             /* --no-backup: no pgBackRest (no archiving, no backups) */
	const char *backup_repo;    /* --backup-repo FILE: pgBackRest repo options */
	const char *restore_from;   /* --restore-from DIR: bootstrap from that lab's backups */
	const char *restore_time;   /* --restore-time TIME */
	const char *restore_backup; /* --restore-backup LABEL */
	/* Which of the above were given explicitly (they must match an existing lab). */
	bool nodes_set;
	bool base_port_set;
	bool router_port_set;
	bool scope_set;
	bool pg_bin_dir_set;
};

/* lab_up_defaults: the options of a bare `pgha up`. */
void lab_up_defaults(struct lab_up_opts *o);

enum lab_up_result {
	LAB_UP_STARTED = 0,     /* healthy now */
	LAB_UP_ALREADY_RUNNING, /* everything was already running; nothing done */
	LAB_UP_FAILED,          /* started something that did not become healthy, or could not */
	LAB_UP_USAGE            /* bad options or a directory that is not (or not like) this lab */
};

/*
 * lab_up_run: `pgha up`: create (or restart) a complete local cluster and wait until it
 * is healthy (lab_up.h has the sequence); c gets the lab (for the caller to list it).
 * Prints its progress on stdout, what failed on stderr. Blocks.
 */
enum lab_up_result lab_up_run(const struct lab_up_opts *o, struct lab_cluster *c);

struct lab_down_opts {
	const char *dir; /* --dir */
	bool keep;       /* --keep: leave the directory (data, logs) in place */
	int timeout_s;   /* --timeout: per group of processes, before SIGKILL */
};

/* lab_down_defaults: the options of a bare `pgha down`. */
void lab_down_defaults(struct lab_down_opts *o);

enum lab_down_result {
	LAB_DOWN_OK = 0, /* everything stopped (and the directory removed unless --keep) */
	LAB_DOWN_FAILED, /* something could not be stopped or removed */
	LAB_DOWN_USAGE   /* not a lab directory, or an unreadable cluster.json */
};

/*
 * lab_down_run: `pgha down`: stops every process of the lab, by pid (lab_down.h has the
 * order), and removes its directory unless o->keep. Blocks up to about twice the
 * timeout per group.
 */
enum lab_down_result lab_down_run(const struct lab_down_opts *o);

#endif
