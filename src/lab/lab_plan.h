/*
 * lab_plan.h: the port plan of a local cluster (`pgha up`), derived from one base port,
 * and whether its ports are free.
 *
 * Layout, for base port P (default 6500):
 *   P+0 .. P+2     etcd1..3 client ports
 *   P+3 .. P+5     etcd1..3 peer ports
 *   P+6            the router's HTTP endpoint (/health, /metrics)
 *   P+7 .. P+9     not part of the plan: free for the router's client ports (the
 *                  integration tests put them at P+8 and P+9)
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
 * Pure, except lab_port_free and lab_ports_check, which bind-test ports before
 * `pgha up` starts anything.
 */
#ifndef PGHA_LAB_LAB_PLAN_H
#define PGHA_LAB_LAB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab.h"
#include "util/buf.h"
#include "util/compiler.h"

#define LAB_ROUTER_NAME "router" /* its owner name, pid file and log name */
#define LAB_MAX_PORTS   (LAB_N_ETCD * 2 + 3 + LAB_MAX_NODES * 3)

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

/* lab_port_free: true if a TCP socket can bind 127.0.0.1:port; else err says why. */
bool lab_port_free(int port, char *err, size_t errlen);
/*
 * lab_ports_check: bind-tests the ports of the plan whose owner is in owners
 * (NULL-terminated; NULL = every owner). On the first busy port, false with err naming
 * it, what it is for and the `pgha up` option that moves it. A bind with SO_REUSEADDR,
 * as the servers themselves do, so that connections of a previous run lingering in
 * TIME_WAIT do not count as "in use"; a listener on the port (on 127.0.0.1 or on the
 * wildcard address) does.
 */
bool lab_ports_check(const struct lab_plan *p, const char *const *owners, char *err, size_t errlen);

#endif
