/*
 * lab_plan.h: the port plan of a local cluster (`pgha up`), derived from one base port.
 *
 * Layout, for base port P (default 6500):
 *   P+0 .. P+2     etcd1..3 client ports
 *   P+3 .. P+5     etcd1..3 peer ports
 *   P+6, P+7       router RW / RO (reserved: no router in the lab yet)
 *   P+10k+0        nodek PostgreSQL          (k = 1..9)
 *   P+10k+1        nodek REST API
 *   P+10k+2        nodek PgBouncer (supervised by the node's agent)
 * so that a port tells what it is for at a glance (6520 = node2's PostgreSQL).
 *
 * Pure: no I/O. Checking that the ports are free is lab_ports.h's job.
 */
#ifndef PGHA_LAB_LAB_PLAN_H
#define PGHA_LAB_LAB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"
#include "util/compiler.h"

#define LAB_N_ETCD            3
#define LAB_MAX_NODES         9
#define LAB_NAME_LEN          64
#define LAB_DEFAULT_BASE_PORT 6500
#define LAB_PLAN_SPAN         100 /* ports P .. P+99 belong to the plan */
#define LAB_MAX_PORTS         (LAB_N_ETCD * 2 + 2 + LAB_MAX_NODES * 3)

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
	int router_rw_port; /* reserved */
	int router_ro_port; /* reserved */
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
	LAB_PORT__COUNT
};

struct lab_port_use {
	int port;
	enum lab_port_kind kind;
	const char *owner; /* borrowed from the plan: "etcd2", "node3", "router" */
	bool reserved;     /* planned but nothing listens on it yet (the router's) */
};

/*
 * lab_plan_make: the plan for n_nodes (1..9) nodes from base_port. False (err set)
 * when n_nodes is out of range or the plan would leave 1024..65535.
 */
bool lab_plan_make(int base_port, int n_nodes, struct lab_plan *p, char *err,
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
/* lab_plan_format: the plan as the table `pgha up` prints. */
void lab_plan_format(const struct lab_plan *p, struct buf *out);
/* lab_plan_node: the node called name, or NULL. Borrowed. */
const struct lab_node_ports *lab_plan_node(const struct lab_plan *p, const char *name);

#endif
