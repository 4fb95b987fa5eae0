/*
 * chaos_target.c: the cluster of a chaos run, from a lab or from etcd (see
 * chaos_target.h).
 */
#include "chaos/chaos_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/client_sql.h"
#include "util/buf.h"
#include "util/conninfo.h"
#include "util/fsutil.h"
#include "util/strutil.h"

#define DEFAULT_RW "service=rw"

/*
 * node_conninfo: a direct, short-lived superuser session for the probe: a frozen node
 * must not hang it, and synchronous commit stays on (a probe ack is a durable commit).
 */
static void node_conninfo(struct chaos_node *n, const struct client *cl, const char *passfile)
{
	struct buf b;
	char port[16];

	snprintf(port, sizeof(port), "%d", n->pg_port);
	buf_init(&b);
	conninfo_append(&b, "host", n->host);
	conninfo_append(&b, "port", port);
	conninfo_append(&b, "dbname", "postgres");
	conninfo_append(&b, "user", cl->creds.pg_user[0] ? cl->creds.pg_user : "postgres");
	if (passfile)
		conninfo_append(&b, "passfile", passfile);
	if (cl->creds.pg_password[0])
		conninfo_append(&b, "password", cl->creds.pg_password);
	client_sql_tls_conninfo(cl, &b); /* sslmode and CA: verify-full on a TLS lab */
	buf_puts(&b, " connect_timeout=2 application_name=pgha-chaos-probe "
	             "options='-c statement_timeout=1000 -c synchronous_commit=on'");
	snprintf(n->conninfo, sizeof(n->conninfo), "%s", b.data);
	buf_free(&b);
}

bool chaos_target_from_lab(const struct lab_cluster *lab, const struct client *cl,
                           const char *rw_opt, struct chaos_target *t, char *err, size_t errlen)
{
	char service[PATH_MAX];
	char passfile[PATH_MAX];

	memset(t, 0, sizeof(*t));
	t->cl = cl;
	t->lab = lab;
	if (!lab_path(lab, "pg_service.conf", service, sizeof(service)) ||
	    !lab_path(lab, "pgpass", passfile, sizeof(passfile)) || !fs_exists(service) ||
	    !fs_exists(passfile)) {
		snprintf(err, errlen,
		         "%s has no pg_service.conf and pgpass: not a lab written by "
		         "pgha up",
		         lab->dir);
		return false;
	}
	setenv("PGSERVICEFILE", service, 1);
	setenv("PGPASSFILE", passfile, 1);
	t->n_nodes = lab->plan.n_nodes;
	for (int k = 0; k < t->n_nodes; k++) {
		struct chaos_node *n = &t->nodes[k];
		const struct lab_node_ports *p = &lab->plan.nodes[k];
		char base[96];

		snprintf(n->name, sizeof(n->name), "%s", p->name);
		snprintf(n->host, sizeof(n->host), "127.0.0.1");
		n->pg_port = p->pg_port;
		lab_api_url(lab, p, base, sizeof(base)); /* https on a TLS lab */
		snprintf(n->api_url, sizeof(n->api_url), "%s/patroni", base);
		node_conninfo(n, cl, passfile);
	}
	snprintf(t->rw, sizeof(t->rw), "%s", rw_opt ? rw_opt : DEFAULT_RW);
	return true;
}

bool chaos_target_from_view(const struct dcs_view *v, const struct client *cl, const char *rw_opt,
                            struct chaos_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->cl = cl;
	for (int i = 0; i < v->n_members && t->n_nodes < CHAOS_MAX_NODES; i++) {
		const struct dcs_member *m = &v->members[i];
		struct chaos_node *n = &t->nodes[t->n_nodes++];

		if (!m->host[0] || m->port <= 0 || !m->api_url[0]) {
			snprintf(err, errlen, "member %s publishes no conn_url or api_url",
			         m->name);
			return false;
		}
		snprintf(n->name, sizeof(n->name), "%s", m->name);
		snprintf(n->host, sizeof(n->host), "%s", m->host);
		n->pg_port = m->port;
		snprintf(n->api_url, sizeof(n->api_url), "%s", m->api_url);
		node_conninfo(n, cl, NULL);
	}
	if (t->n_nodes == 0) {
		snprintf(err, errlen, "cluster \"%s\" has no members in etcd", cl->scope);
		return false;
	}
	snprintf(t->rw, sizeof(t->rw), "%s", rw_opt ? rw_opt : DEFAULT_RW);
	return true;
}

int chaos_target_index(const struct chaos_target *t, const char *name)
{
	for (int k = 0; k < t->n_nodes; k++) {
		if (str_eq(t->nodes[k].name, name))
			return k;
	}
	return -1;
}

const struct chaos_node *chaos_target_node(const struct chaos_target *t, const char *name)
{
	int k = chaos_target_index(t, name);

	return k < 0 ? NULL : &t->nodes[k];
}

const char *chaos_target_etcd_name(const struct chaos_target *t, int i)
{
	return t->lab && i < LAB_N_ETCD ? t->lab->plan.etcd[i].name : t->cl->etcd[i];
}
