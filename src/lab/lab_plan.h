/*
 * lab_plan.h: the port plan of a local cluster (`pgha up`), derived from one base port.
 *
 * Layout, for base port P (default 6500):
 *   P+0 .. P+2     etcd1..3 client ports
 *   P+3 .. P+5     etcd1..3 peer ports
 *   P+6            the router's HTTP endpoint (/health, /metrics)
 *   P+7 .. P+9     not part of the plan: free for the router's client ports (the
 *                  integration tests put them at P+8 and P+9, and so does an old lab
 *                  whose plan takes 5432 or 5433, see lab_plan_default_router)
 *   P+10k+0        nodek PostgreSQL          (k = 1..9)
 *   P+10k+1        nodek REST API
 *   P+10k+2        nodek PgBouncer (supervised by the node's agent)
 * so that a port tells what it is for at a glance (6520 = node2's PostgreSQL).
 *
 * The router's client ports are not base-relative: clients expect PostgreSQL's usual
 * ports, so read-write is R (default 5432, `pgha up --router-port R`) and read-only
 * R+1. They may fall anywhere, inside P..P+99 too, as long as they collide with no
 * other planned port.
 *
 * Pure: no I/O. Checking that the ports are free is lab_ports.h's job.
 */
#ifndef PGHA_LAB_LAB_PLAN_H
#define PGHA_LAB_LAB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"
#include "util/compiler.h"

#define LAB_N_ETCD                 3
#define LAB_MAX_NODES              9
#define LAB_NAME_LEN               64
#define LAB_DEFAULT_BASE_PORT      6500
#define LAB_ROUTER_NAME            "router" /* its owner name, pid file and log name */
#define LAB_DEFAULT_ROUTER_PORT    5432     /* read-write; read-only is the next port */
#define LAB_PLAN_SPAN              100      /* ports P .. P+99 belong to the plan */
#define LAB_FALLBACK_ROUTER_OFFSET 8        /* P+8, P+9: see lab_plan_default_router */
#define LAB_MAX_PORTS              (LAB_N_ETCD * 2 + 3 + LAB_MAX_NODES * 3)

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

struct lab_plan {
	int base_port;
	int n_nodes;
	struct lab_etcd_ports etcd[LAB_N_ETCD];
	struct lab_node_ports nodes[LAB_MAX_NODES];
	int router_rw_port;   /* router read-write listener: --router-port R (default 5432) */
	int router_ro_port;   /* router read-only listener: R+1 */
	int router_http_port; /* router /health and /metrics: P+6 */
};

/* What a planned port is for; a component is started (and its ports checked) as a unit. */
enum lab_port_kind {
	LAB_PORT_ETCD_CLIENT = 0,
	LAB_PORT_ETCD_PEER,
	LAB_PORT_PG,
	LAB_PORT_API,
	LAB_PORT_BOUNCER,
	LAB_PORT_ROUTER_RW,
	LAB_PORT_ROUTER_RO,
	LAB_PORT_ROUTER_HTTP,
	LAB_PORT__COUNT
};

struct lab_port_use {
	int port;
	enum lab_port_kind kind;
	const char *owner; /* borrowed from the plan: "etcd2", "node3", "router" */
};

/*
 * lab_plan_make: the plan for n_nodes (1..9) nodes from base_port, with the router's
 * read-write listener on router_port and its read-only one on router_port+1. False
 * (err set, naming the option to change) when n_nodes is out of range, a port would
 * leave 1024..65535, or the router's ports collide with another planned port.
 */
bool lab_plan_make(int base_port, int n_nodes, int router_port, struct lab_plan *p, char *err,
                   size_t errlen) MUST_CHECK;
/*
 * lab_plan_set_router: moves the router's client ports of a made plan to router_port
 * (read-write) and router_port+1 (read-only). False, err set and p unchanged, when
 * they are out of range or collide with another planned port.
 */
bool lab_plan_set_router(struct lab_plan *p, int router_port, char *err, size_t errlen) MUST_CHECK;
/*
 * lab_plan_default_router: the router's ports for a plan made before the lab had a
 * router (an old cluster.json): HTTP at P+6, clients at 5432/5433 as for a new lab, or
 * at P+8/P+9 (never used by the plan) when 5432/5433 fall on one of its ports.
 */
void lab_plan_default_router(struct lab_plan *p);
/*
 * lab_plan_validate: checks a plan read back from cluster.json: ports in range and
 * pairwise distinct, names non-empty and unique. False with err set otherwise.
 */
bool lab_plan_validate(const struct lab_plan *p, char *err, size_t errlen) MUST_CHECK;
/* lab_plan_ports: every planned port into out[max]; returns how many. */
int lab_plan_ports(const struct lab_plan *p, struct lab_port_use *out, int max);
/* lab_port_kind_str: "etcd client", "PostgreSQL", "REST API", ... */
const char *lab_port_kind_str(enum lab_port_kind k);
/* lab_port_kind_option: the `pgha up` option that moves a port of kind k. */
const char *lab_port_kind_option(enum lab_port_kind k);
/* lab_plan_format: the plan as the table `pgha up` prints. */
void lab_plan_format(const struct lab_plan *p, struct buf *out);
/* lab_plan_node: the node called name, or NULL. Borrowed. */
const struct lab_node_ports *lab_plan_node(const struct lab_plan *p, const char *name);

#endif
