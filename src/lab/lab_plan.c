/*
 * lab_plan.c: the port plan of a local cluster (see lab_plan.h for the layout), and the
 * bind tests of its ports.
 */
#include "lab/lab_plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/strutil.h"

#define NODE_STRIDE 10 /* node k's ports start at P + 10k */

static const char *const kind_names[LAB_PORT__COUNT] = {
    [LAB_PORT_ETCD_CLIENT] = "etcd client", [LAB_PORT_ETCD_PEER] = "etcd peer",
    [LAB_PORT_PG] = "PostgreSQL",           [LAB_PORT_API] = "REST API",
    [LAB_PORT_BOUNCER] = "PgBouncer",       [LAB_PORT_ROUTER_RW] = "read-write",
    [LAB_PORT_ROUTER_RO] = "read-only",     [LAB_PORT_ROUTER_HTTP] = "HTTP (/health)",
};

const char *lab_port_kind_str(enum lab_port_kind k)
{
	return (unsigned)k < LAB_PORT__COUNT ? kind_names[k] : "?";
}

const char *lab_port_kind_option(enum lab_port_kind k)
{
	return k == LAB_PORT_ROUTER_RW || k == LAB_PORT_ROUTER_RO ? "--router-port" : "--base-port";
}

static bool is_router_client(enum lab_port_kind k)
{
	return k == LAB_PORT_ROUTER_RW || k == LAB_PORT_ROUTER_RO;
}

/* find_twice: indexes i > j of the first port planned twice; false if all differ. */
static bool find_twice(const struct lab_port_use *ports, int n, int *i_out, int *j_out)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++) {
			if (ports[i].port == ports[j].port) {
				*i_out = i;
				*j_out = j;
				return true;
			}
		}
	}
	return false;
}

/*
 * router_fits: the router's client ports (placed by --router-port, anywhere) take no
 * port of the rest of the plan, whose own ports differ by construction.
 */
static bool router_fits(const struct lab_plan *p, char *err, size_t errlen)
{
	struct lab_port_use ports[LAB_MAX_PORTS];
	int n = lab_plan_ports(p, ports, LAB_MAX_PORTS);
	int i;
	int j;

	if (!find_twice(ports, n, &i, &j))
		return true;
	if (is_router_client(ports[j].kind)) { /* name the router's port as the culprit */
		int t = i;

		i = j;
		j = t;
	}
	snprintf(err, errlen,
	         "--router-port %d: the router's %s port %d is also %s's %s port; pick another "
	         "--router-port",
	         p->router_rw_port, lab_port_kind_str(ports[i].kind), ports[i].port, ports[j].owner,
	         lab_port_kind_str(ports[j].kind));
	return false;
}

/*
 * set_router: moves the router's client ports to router_port (read-write) and
 * router_port+1 (read-only). False, err set and p unchanged, when they are out of range
 * or collide with another planned port.
 */
static bool set_router(struct lab_plan *p, int router_port, char *err, size_t errlen)
{
	struct lab_plan moved = *p;

	if (router_port < 1024 || router_port > 65534) {
		snprintf(err, errlen, "--router-port must be between 1024 and 65534 (got %d)",
		         router_port);
		return false;
	}
	moved.router_rw_port = router_port;
	moved.router_ro_port = router_port + 1;
	if (!router_fits(&moved, err, errlen))
		return false;
	*p = moved;
	return true;
}

bool lab_plan_make(int base_port, int n_nodes, int router_port, struct lab_plan *p, char *err,
                   size_t errlen)
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
	p->router_http_port = base_port + 2 * LAB_N_ETCD;
	for (int k = 1; k <= n_nodes; k++) {
		struct lab_node_ports *n = &p->nodes[k - 1];

		snprintf(n->name, sizeof(n->name), "node%d", k);
		n->pg_port = base_port + NODE_STRIDE * k;
		n->api_port = n->pg_port + 1;
		n->bouncer_port = n->pg_port + 2;
	}
	return set_router(p, router_port, err, errlen);
}

static void add_port(struct lab_port_use *out, int max, int *n, int port, enum lab_port_kind kind,
                     const char *owner)
{
	if (*n >= max)
		return;
	out[*n].port = port;
	out[*n].kind = kind;
	out[*n].owner = owner;
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
	add_port(out, max, &n, p->router_rw_port, LAB_PORT_ROUTER_RW, LAB_ROUTER_NAME);
	add_port(out, max, &n, p->router_ro_port, LAB_PORT_ROUTER_RO, LAB_ROUTER_NAME);
	add_port(out, max, &n, p->router_http_port, LAB_PORT_ROUTER_HTTP, LAB_ROUTER_NAME);
	for (int k = 0; k < p->n_nodes && k < LAB_MAX_NODES; k++) {
		const struct lab_node_ports *node = &p->nodes[k];

		add_port(out, max, &n, node->pg_port, LAB_PORT_PG, node->name);
		add_port(out, max, &n, node->api_port, LAB_PORT_API, node->name);
		add_port(out, max, &n, node->bouncer_port, LAB_PORT_BOUNCER, node->name);
	}
	return n;
}

/*
 * names_ok: every name non-empty, short, of [A-Za-z0-9_-], unique, and not the router's
 * (names are also those of pid and log files).
 */
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
		           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(names[i]) ||
		    str_eq(names[i], LAB_ROUTER_NAME)) {
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
	int i;
	int j;

	if (p->n_nodes < 1 || p->n_nodes > LAB_MAX_NODES) {
		snprintf(err, errlen, "node count %d out of range 1..%d", p->n_nodes,
		         LAB_MAX_NODES);
		return false;
	}
	if (!names_ok(p, err, errlen))
		return false;
	n = lab_plan_ports(p, ports, LAB_MAX_PORTS);
	for (int k = 0; k < n; k++) {
		if (ports[k].port < 1 || ports[k].port > 65535) {
			snprintf(err, errlen, "%s %s port %d out of range", ports[k].owner,
			         lab_port_kind_str(ports[k].kind), ports[k].port);
			return false;
		}
	}
	if (find_twice(ports, n, &i, &j)) {
		snprintf(err, errlen, "port %d planned twice (%s %s, %s %s)", ports[i].port,
		         ports[j].owner, lab_port_kind_str(ports[j].kind), ports[i].owner,
		         lab_port_kind_str(ports[i].kind));
		return false;
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
	buf_printf(out, "  %-7s read-write %d  read-only %d  http %d\n", LAB_ROUTER_NAME,
	           p->router_rw_port, p->router_ro_port, p->router_http_port);
}

/* --- are the ports free? ------------------------------------------------------------ */

bool lab_port_free(int port, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return false;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	     bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (!ok)
		snprintf(err, errlen, "%s", strerror(errno));
	close(fd);
	return ok;
}

static bool owner_selected(const char *owner, const char *const *owners)
{
	if (owners == NULL)
		return true;
	for (int i = 0; owners[i]; i++) {
		if (str_eq(owners[i], owner))
			return true;
	}
	return false;
}

/* busy_hint: how to move a busy port out of the way. */
static void busy_hint(const struct lab_plan *p, const struct lab_port_use *u, char *out,
                      size_t size)
{
	if (str_eq(lab_port_kind_option(u->kind), "--router-port"))
		snprintf(out, size,
		         "Pick other router ports with --router-port R (read-write R, read-only "
		         "R+1; now %d and %d).",
		         p->router_rw_port, p->router_ro_port);
	else
		snprintf(out, size, "Pick another --base-port (the plan uses ports %d-%d).",
		         p->base_port, p->base_port + LAB_PLAN_SPAN - 1);
}

bool lab_ports_check(const struct lab_plan *p, const char *const *owners, char *err, size_t errlen)
{
	struct lab_port_use ports[LAB_MAX_PORTS];
	int n = lab_plan_ports(p, ports, LAB_MAX_PORTS);

	for (int i = 0; i < n; i++) {
		char why[128];
		char hint[160];

		if (!owner_selected(ports[i].owner, owners))
			continue;
		if (lab_port_free(ports[i].port, why, sizeof(why)))
			continue;
		busy_hint(p, &ports[i], hint, sizeof(hint));
		snprintf(err, errlen, "port %d (%s %s) is not free: %s\n%s", ports[i].port,
		         ports[i].owner, lab_port_kind_str(ports[i].kind), why, hint);
		return false;
	}
	return true;
}
