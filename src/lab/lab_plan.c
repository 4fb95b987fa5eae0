/*
 * lab_plan.c: the port plan of a local cluster (see lab_plan.h for the layout).
 */
#include "lab/lab_plan.h"

#include <stdio.h>
#include <string.h>
#include "util/strutil.h"

#define NODE_STRIDE 10 /* node k's ports start at P + 10k */

static const char *const kind_names[LAB_PORT__COUNT] = {
    [LAB_PORT_ETCD_CLIENT] = "etcd client", [LAB_PORT_ETCD_PEER] = "etcd peer",
    [LAB_PORT_PG] = "PostgreSQL",           [LAB_PORT_API] = "REST API",
    [LAB_PORT_BOUNCER] = "PgBouncer",       [LAB_PORT_ROUTER_RW] = "read-write",
    [LAB_PORT_ROUTER_RO] = "read-only",
};

const char *lab_port_kind_str(enum lab_port_kind k)
{
	return (unsigned)k < LAB_PORT__COUNT ? kind_names[k] : "?";
}

bool lab_plan_make(int base_port, int n_nodes, struct lab_plan *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (n_nodes < 1 || n_nodes > LAB_MAX_NODES) {
		snprintf(err, errlen, "--nodes must be between 1 and %d (got %d)", LAB_MAX_NODES,
		         n_nodes);
		return false;
	}
	if (base_port < 1024 || base_port > 65535 - LAB_PLAN_SPAN + 1) {
		snprintf(err, errlen, "--base-port must be between 1024 and %d (got %d)",
		         65535 - LAB_PLAN_SPAN + 1, base_port);
		return false;
	}
	p->base_port = base_port;
	p->n_nodes = n_nodes;
	for (int i = 0; i < LAB_N_ETCD; i++) {
		snprintf(p->etcd[i].name, sizeof(p->etcd[i].name), "etcd%d", i + 1);
		p->etcd[i].client_port = base_port + i;
		p->etcd[i].peer_port = base_port + LAB_N_ETCD + i;
	}
	p->router_rw_port = base_port + 2 * LAB_N_ETCD;
	p->router_ro_port = p->router_rw_port + 1;
	for (int k = 1; k <= n_nodes; k++) {
		struct lab_node_ports *n = &p->nodes[k - 1];

		snprintf(n->name, sizeof(n->name), "node%d", k);
		n->pg_port = base_port + NODE_STRIDE * k;
		n->api_port = n->pg_port + 1;
		n->bouncer_port = n->pg_port + 2;
	}
	return true;
}

static void add_port(struct lab_port_use *out, int max, int *n, int port, enum lab_port_kind kind,
                     const char *owner)
{
	if (*n >= max)
		return;
	out[*n].port = port;
	out[*n].kind = kind;
	out[*n].owner = owner;
	out[*n].reserved = kind == LAB_PORT_ROUTER_RW || kind == LAB_PORT_ROUTER_RO;
	(*n)++;
}

int lab_plan_ports(const struct lab_plan *p, struct lab_port_use *out, int max)
{
	int n = 0;

	for (int i = 0; i < LAB_N_ETCD; i++) {
		add_port(out, max, &n, p->etcd[i].client_port, LAB_PORT_ETCD_CLIENT,
		         p->etcd[i].name);
		add_port(out, max, &n, p->etcd[i].peer_port, LAB_PORT_ETCD_PEER, p->etcd[i].name);
	}
	add_port(out, max, &n, p->router_rw_port, LAB_PORT_ROUTER_RW, "router");
	add_port(out, max, &n, p->router_ro_port, LAB_PORT_ROUTER_RO, "router");
	for (int k = 0; k < p->n_nodes && k < LAB_MAX_NODES; k++) {
		const struct lab_node_ports *node = &p->nodes[k];

		add_port(out, max, &n, node->pg_port, LAB_PORT_PG, node->name);
		add_port(out, max, &n, node->api_port, LAB_PORT_API, node->name);
		add_port(out, max, &n, node->bouncer_port, LAB_PORT_BOUNCER, node->name);
	}
	return n;
}

/* names_ok: every name non-empty, short, of [A-Za-z0-9_-] and unique. */
static bool names_ok(const struct lab_plan *p, char *err, size_t errlen)
{
	const char *names[LAB_N_ETCD + LAB_MAX_NODES];
	int n = 0;

	for (int i = 0; i < LAB_N_ETCD; i++)
		names[n++] = p->etcd[i].name;
	for (int k = 0; k < p->n_nodes; k++)
		names[n++] = p->nodes[k].name;
	for (int i = 0; i < n; i++) {
		if (names[i][0] == '\0' ||
		    strspn(names[i],
		           "abcdefghijklmnopqrstuvwxyz"
		           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(names[i])) {
			snprintf(err, errlen, "invalid member name '%s'", names[i]);
			return false;
		}
		for (int j = 0; j < i; j++) {
			if (str_eq(names[i], names[j])) {
				snprintf(err, errlen, "member name '%s' used twice", names[i]);
				return false;
			}
		}
	}
	return true;
}

bool lab_plan_validate(const struct lab_plan *p, char *err, size_t errlen)
{
	struct lab_port_use ports[LAB_MAX_PORTS];
	int n;

	if (p->n_nodes < 1 || p->n_nodes > LAB_MAX_NODES) {
		snprintf(err, errlen, "node count %d out of range 1..%d", p->n_nodes,
		         LAB_MAX_NODES);
		return false;
	}
	if (!names_ok(p, err, errlen))
		return false;
	n = lab_plan_ports(p, ports, LAB_MAX_PORTS);
	for (int i = 0; i < n; i++) {
		if (ports[i].port < 1 || ports[i].port > 65535) {
			snprintf(err, errlen, "%s %s port %d out of range", ports[i].owner,
			         lab_port_kind_str(ports[i].kind), ports[i].port);
			return false;
		}
		for (int j = 0; j < i; j++) {
			if (ports[i].port == ports[j].port) {
				snprintf(err, errlen, "port %d planned twice (%s %s, %s %s)",
				         ports[i].port, ports[j].owner,
				         lab_port_kind_str(ports[j].kind), ports[i].owner,
				         lab_port_kind_str(ports[i].kind));
				return false;
			}
		}
	}
	return true;
}

const struct lab_node_ports *lab_plan_node(const struct lab_plan *p, const char *name)
{
	for (int k = 0; k < p->n_nodes; k++) {
		if (str_eq(p->nodes[k].name, name))
			return &p->nodes[k];
	}
	return NULL;
}

void lab_plan_format(const struct lab_plan *p, struct buf *out)
{
	buf_printf(out, "Port plan (base port %d, everything on 127.0.0.1):\n", p->base_port);
	for (int i = 0; i < LAB_N_ETCD; i++)
		buf_printf(out, "  %-7s client %d  peer %d\n", p->etcd[i].name,
		           p->etcd[i].client_port, p->etcd[i].peer_port);
	for (int k = 0; k < p->n_nodes; k++)
		buf_printf(out, "  %-7s postgres %d  rest-api %d  pgbouncer %d\n", p->nodes[k].name,
		           p->nodes[k].pg_port, p->nodes[k].api_port, p->nodes[k].bouncer_port);
	buf_printf(out, "  %-7s (read-write %d, read-only %d reserved)\n", "router",
	           p->router_rw_port, p->router_ro_port);
}
