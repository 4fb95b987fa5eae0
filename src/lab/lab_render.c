/*
 * lab_render.c: generated configuration files of a local cluster.
 *
 * The agent configuration sticks to Patroni's key names so that the same file would
 * drive Patroni; dynamic settings (ttl, loop_wait...) are left to pgha's defaults, but
 * for failsafe_mode, on in a lab as in deploy/.
 */
#include "lab/lab_render.h"

#include <stdio.h>

/* Everything on loopback; password authentication even there (no trust, no peer). */
static const char *const hba_lines[] = {
    "local all all scram-sha-256",
    "host all all 127.0.0.1/32 scram-sha-256",
    "host replication all 127.0.0.1/32 scram-sha-256",
};

void lab_yaml_quote(struct buf *out, const char *s)
{
	buf_puts(out, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(out, "\\x%02x", *p);
		else
			buf_append(out, p, 1);
	}
	buf_puts(out, "\"");
}

/* kv: "<indent>key: "value"\n" */
static void kv(struct buf *out, int indent, const char *key, const char *value)
{
	buf_printf(out, "%*s%s: ", indent, "", key);
	lab_yaml_quote(out, value);
	buf_puts(out, "\n");
}

static void kv_hostport(struct buf *out, int indent, const char *key, int port)
{
	buf_printf(out, "%*s%s: \"127.0.0.1:%d\"\n", indent, "", key, port);
}

/* kv_node_path: "  key: "DIR/<node>/<leaf>"" */
static void kv_node_path(struct buf *out, const char *key, const struct lab_cluster *c,
                         const struct lab_node_ports *node, const char *leaf)
{
	struct buf path;

	buf_init(&path);
	buf_printf(&path, "%s/%s/%s", c->dir, node->name, leaf);
	kv(out, 2, key, path.data);
	buf_free(&path);
}

static void render_etcd_hosts(const struct lab_cluster *c, struct buf *out)
{
	buf_puts(out, "etcd3:\n  hosts:\n");
	for (int i = 0; i < LAB_N_ETCD; i++)
		buf_printf(out, "    - \"127.0.0.1:%d\"\n", c->plan.etcd[i].client_port);
}

static void render_hba(struct buf *out, int indent)
{
	buf_printf(out, "%*spg_hba:\n", indent, "");
	for (size_t i = 0; i < sizeof(hba_lines) / sizeof(hba_lines[0]); i++)
		buf_printf(out, "%*s  - \"%s\"\n", indent, "", hba_lines[i]);
}

static void render_user(struct buf *out, const char *role, const char *user, const char *password)
{
	buf_printf(out, "    %s:\n", role);
	kv(out, 6, "username", user);
	kv(out, 6, "password", password);
}

static void render_options(struct buf *out, int indent, const struct pg_params *p)
{
	for (int i = 0; i < p->n; i++)
		kv(out, indent, p->items[i].name, p->items[i].value);
}

/* render_restore: a new cluster from another lab's backups (pgha's pgbackrest method). */
static void render_restore(const struct lab_backup *b, struct buf *out)
{
	buf_puts(out, "  # made from another lab's backups (pgha up --restore-from)\n"
	              "  method: pgbackrest\n  pgbackrest:\n");
	kv(out, 4, "stanza", b->restore_stanza);
	kv(out, 4, "type", b->restore_type);
	if (b->restore_target[0])
		kv(out, 4, "target", b->restore_target);
	if (b->restore_set[0])
		kv(out, 4, "set", b->restore_set);
	render_options(out, 4, &b->restore_options);
}

static void render_bootstrap(const struct lab_backup *b, struct buf *out)
{
	buf_puts(out, "bootstrap:\n"
	              "  # ttl, loop_wait... keep pgha's defaults\n"
	              "  dcs:\n"
	              "    # the primary keeps its writes through an etcd outage while every\n"
	              "    # member confirms it over the REST API (docs/agent.md)\n"
	              "    failsafe_mode: true\n"
	              "  initdb:\n"
	              "    - data-checksums\n"
	              "    - encoding: UTF8\n"
	              "    - locale: C.UTF-8\n");
	if (b != NULL && b->restore)
		render_restore(b, out);
	render_hba(out, 2);
}

/* render_pgbackrest: archiving and backups, into the lab's repository. */
static void render_pgbackrest(const struct lab_backup *b, struct buf *out)
{
	if (b == NULL || !b->on)
		return;
	buf_puts(out, "pgbackrest:\n  # stanza: the scope; files next to the data directory\n"
	              "  options:\n");
	render_options(out, 4, &b->options);
	buf_puts(out, "    process-max: 2\n");
}

static void render_postgresql(const struct lab_cluster *c, const struct lab_secrets *s,
                              const struct lab_node_ports *node, struct buf *out)
{
	buf_puts(out, "postgresql:\n");
	kv_hostport(out, 2, "listen", node->pg_port);
	kv_hostport(out, 2, "connect_address", node->pg_port);
	kv_node_path(out, "data_dir", c, node, "data");
	kv(out, 2, "bin_dir", c->pg_bin_dir);
	kv_node_path(out, "pgpass", c, node, "pgpass");
	buf_puts(out, "  use_pg_rewind: true\n  authentication:\n");
	render_user(out, "superuser", LAB_SUPERUSER, s->superuser);
	render_user(out, "replication", LAB_REPLICATION, s->replication);
	render_user(out, "rewind", LAB_REWIND_USER, s->rewind);
	buf_puts(out, "  parameters:\n"
	              "    max_connections: 100\n"
	              "    shared_buffers: \"32MB\"\n");
	render_hba(out, 2);
}

void lab_render_agent_yml(const struct lab_cluster *c, const struct lab_secrets *s,
                          const struct lab_backup *b, int k, struct buf *out)
{
	const struct lab_node_ports *node = &c->plan.nodes[k];

	buf_printf(out, "# %s of the pgha lab \"%s\", generated by `pgha up`.\n", node->name,
	           c->scope);
	kv(out, 0, "scope", c->scope);
	kv(out, 0, "namespace", c->namespace_);
	kv(out, 0, "name", node->name);
	buf_puts(out, "log:\n  level: INFO\n");
	buf_puts(out, "restapi:\n");
	kv_hostport(out, 2, "listen", node->api_port);
	kv_hostport(out, 2, "connect_address", node->api_port);
	buf_puts(out, "  authentication:\n");
	kv(out, 4, "username", LAB_RESTAPI_USER);
	kv(out, 4, "password", s->restapi);
	render_etcd_hosts(c, out);
	render_bootstrap(b, out);
	render_postgresql(c, s, node, out);
	render_pgbackrest(b, out);
	buf_puts(out, "pgbouncer:\n  enabled: true\n");
	kv_hostport(out, 2, "listen", node->bouncer_port);
}

void lab_render_router_yml(const struct lab_cluster *c, struct buf *out)
{
	buf_printf(out,
	           "# The router of the pgha lab \"%s\", generated by `pgha up`.\n"
	           "# Check: pgha router --check -c %s/router.yml\n",
	           c->scope, c->dir);
	kv(out, 0, "scope", c->scope);
	kv(out, 0, "namespace", c->namespace_);
	render_etcd_hosts(c, out);
	buf_puts(out, "log:\n  level: INFO\nrouter:\n");
	kv_hostport(out, 2, "rw_listen", c->plan.router_rw_port);
	kv_hostport(out, 2, "ro_listen", c->plan.router_ro_port);
	kv_hostport(out, 2, "http_listen", c->plan.router_http_port);
	/* Each member's PgBouncer, as clients of a real deployment would reach it. */
	buf_puts(out, "  target: pooler\n");
}

static void service_common(const struct lab_cluster *c, struct buf *out)
{
	buf_printf(out, "dbname=postgres\nuser=%s\npassfile=%s/pgpass\nconnect_timeout=5\n",
	           LAB_SUPERUSER, c->dir);
}

static void single_host_service(const struct lab_cluster *c, const char *name, int port,
                                struct buf *out)
{
	buf_printf(out, "\n[%s]\nhost=127.0.0.1\nport=%d\n", name, port);
	service_common(c, out);
}

void lab_render_pg_service(const struct lab_cluster *c, struct buf *out)
{
	buf_printf(out,
	           "# Services of the pgha lab \"%s\", generated by `pgha up`.\n"
	           "# PGSERVICEFILE=%s/pg_service.conf psql service=rw\n"
	           "#   rw: the primary, through the router (127.0.0.1:%d)\n"
	           "#   ro: a replica, through the router (127.0.0.1:%d)\n"
	           "#   node1 ...: one node's PostgreSQL, direct\n",
	           c->scope, c->dir, c->plan.router_rw_port, c->plan.router_ro_port);
	single_host_service(c, "rw", c->plan.router_rw_port, out);
	single_host_service(c, "ro", c->plan.router_ro_port, out);
	for (int k = 0; k < c->plan.n_nodes; k++)
		single_host_service(c, c->plan.nodes[k].name, c->plan.nodes[k].pg_port, out);
}

void lab_render_pgpass(const struct lab_cluster *c, const struct lab_secrets *s, struct buf *out)
{
	/* Through the router the client meets the leader's PgBouncer, which checks the
	 * superuser's password against its auth file: the same password. */
	buf_printf(out, "127.0.0.1:%d:*:%s:%s\n", c->plan.router_rw_port, LAB_SUPERUSER,
	           s->superuser);
	buf_printf(out, "127.0.0.1:%d:*:%s:%s\n", c->plan.router_ro_port, LAB_SUPERUSER,
	           s->superuser);
	for (int k = 0; k < c->plan.n_nodes; k++)
		buf_printf(out, "127.0.0.1:%d:*:%s:%s\n", c->plan.nodes[k].pg_port, LAB_SUPERUSER,
		           s->superuser);
}

void lab_render_patronictl(const struct lab_cluster *c, struct buf *out)
{
	buf_printf(out, "# For a stock patronictl: patronictl -c %s/patronictl.yml list\n", c->dir);
	kv(out, 0, "scope", c->scope);
	kv(out, 0, "namespace", c->namespace_);
	render_etcd_hosts(c, out);
}
