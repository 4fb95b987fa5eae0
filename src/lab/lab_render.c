/*
 * lab_render.c: generated configuration files of a local cluster.
 *
 * The agent configuration sticks to Patroni's key names so that the same file would
 * drive Patroni; dynamic settings (ttl, loop_wait...) are left to pgha's defaults, but
 * for failsafe_mode, on in a lab as in deploy/.
 *
 * With TLS (the default) every connection between processes is encrypted and checked
 * against the lab's CA, names included (sslmode=verify-full, https): etcd (and its users),
 * the REST APIs, PostgreSQL (hostssl only: a plain TCP login finds no pg_hba line),
 * PgBouncer (client_tls_sslmode require) and therefore the router's clients, whose TLS
 * session the router relays to PgBouncer. `pgha up --insecure` leaves TLS out.
 */
#include "lab/lab_render.h"

#include <limits.h>
#include <stdio.h>

/* Everything on loopback; password authentication even there (no trust, no peer). */
static const char *const hba_lines[] = {
    "local all all scram-sha-256",
    "%s all all 127.0.0.1/32 scram-sha-256",
    "%s replication all 127.0.0.1/32 scram-sha-256",
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

/* kv_tls: "<indent>key: "DIR/tls/<file>"" */
static void kv_tls(struct buf *out, int indent, const char *key, const struct lab_cluster *c,
                   const char *file)
{
	char path[PATH_MAX];

	if (lab_tls_path(c, file, path, sizeof(path)))
		kv(out, indent, key, path);
}

/* kv_tls_pair: certfile/keyfile style keys for DIR/tls/<name>.crt and .key. */
static void kv_tls_pair(struct buf *out, int indent, const char *cert_key, const char *key_key,
                        const struct lab_cluster *c, const char *name)
{
	char file[LAB_NAME_LEN + 8];

	snprintf(file, sizeof(file), "%s.crt", name);
	kv_tls(out, indent, cert_key, c, file);
	snprintf(file, sizeof(file), "%s.key", name);
	kv_tls(out, indent, key_key, c, file);
}

/* render_etcd: the etcd3 section: https and the lab's CA with TLS, the etcd user when set. */
static void render_etcd(const struct lab_cluster *c, const struct lab_secrets *s, struct buf *out)
{
	buf_puts(out, "etcd3:\n");
	if (c->tls) {
		buf_puts(out, "  protocol: https\n");
		kv_tls(out, 2, "cacert", c, "ca.crt");
	}
	if (s != NULL && s->etcd[0] != '\0') {
		kv(out, 2, "username", LAB_ETCD_USER);
		kv(out, 2, "password", s->etcd);
	}
	buf_puts(out, "  hosts:\n");
	for (int i = 0; i < LAB_N_ETCD; i++)
		buf_printf(out, "    - \"127.0.0.1:%d\"\n", c->plan.etcd[i].client_port);
}

/* render_ctl: how a client checks the REST APIs' certificates (Patroni's ctl section). */
static void render_ctl(const struct lab_cluster *c, struct buf *out)
{
	if (!c->tls)
		return;
	buf_puts(out, "ctl:\n");
	kv_tls(out, 2, "cacert", c, "ca.crt");
}

static void render_hba(const struct lab_cluster *c, struct buf *out, int indent)
{
	buf_printf(out, "%*spg_hba:\n", indent, "");
	for (size_t i = 0; i < sizeof(hba_lines) / sizeof(hba_lines[0]); i++) {
		buf_printf(out, "%*s  - \"", indent, "");
		buf_printf(out, hba_lines[i], c->tls ? "hostssl" : "host");
		buf_puts(out, "\"\n");
	}
}

/* render_user: one role; with TLS its connections to other nodes verify their names. */
static void render_user(const struct lab_cluster *c, struct buf *out, const char *role,
                        const char *user, const char *password)
{
	buf_printf(out, "    %s:\n", role);
	kv(out, 6, "username", user);
	kv(out, 6, "password", password);
	if (c->tls) {
		kv(out, 6, "sslmode", "verify-full");
		kv_tls(out, 6, "sslrootcert", c, "ca.crt");
	}
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

static void render_bootstrap(const struct lab_cluster *c, const struct lab_backup *b,
                             struct buf *out)
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
	render_hba(c, out, 2);
}

/* render_pgbackrest: archiving and backups, into the lab's repository. */
static void render_pgbackrest(const struct lab_backup *b, struct buf *out)
{
	if (b == NULL || !b->on)
		return;
	buf_puts(out, "pgbackrest:\n  # stanza: the scope; files next to the data directory\n"
	              "  options:\n");
	render_options(out, 4, &b->options);
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
	render_user(c, out, "superuser", LAB_SUPERUSER, s->superuser);
	render_user(c, out, "replication", LAB_REPLICATION, s->replication);
	render_user(c, out, "rewind", LAB_REWIND_USER, s->rewind);
	buf_puts(out, "  parameters:\n"
	              "    max_connections: 100\n"
	              "    shared_buffers: \"32MB\"\n");
	if (c->tls) {
		buf_puts(out, "    ssl: \"on\"\n");
		kv_tls_pair(out, 4, "ssl_cert_file", "ssl_key_file", c, node->name);
	}
	render_hba(c, out, 2);
}

static void render_restapi(const struct lab_cluster *c, const struct lab_secrets *s,
                           const struct lab_node_ports *node, struct buf *out)
{
	buf_puts(out, "restapi:\n");
	kv_hostport(out, 2, "listen", node->api_port);
	kv_hostport(out, 2, "connect_address", node->api_port);
	if (c->tls) {
		kv_tls_pair(out, 2, "certfile", "keyfile", c, node->name);
		kv_tls(out, 2, "cafile", c, "ca.crt");
	}
	buf_puts(out, "  authentication:\n");
	kv(out, 4, "username", LAB_RESTAPI_USER);
	kv(out, 4, "password", s->restapi);
	render_ctl(c, out);
}

static void render_pgbouncer(const struct lab_cluster *c, const struct lab_node_ports *node,
                             struct buf *out)
{
	buf_puts(out, "pgbouncer:\n  enabled: true\n");
	kv_hostport(out, 2, "listen", node->bouncer_port);
	if (!c->tls)
		return;
	/* Clients (through the router or not) must speak TLS; the router relays it. */
	buf_puts(out, "  client_tls_sslmode: require\n");
	kv_tls_pair(out, 2, "client_tls_cert_file", "client_tls_key_file", c, node->name);
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
	render_restapi(c, s, node, out);
	render_etcd(c, s, out);
	render_bootstrap(c, b, out);
	render_postgresql(c, s, node, out);
	render_pgbackrest(b, out);
	render_pgbouncer(c, node, out);
}

void lab_render_router_yml(const struct lab_cluster *c, const struct lab_secrets *s,
                           struct buf *out)
{
	buf_printf(out,
	           "# The router of the pgha lab \"%s\", generated by `pgha up`.\n"
	           "# Check: pgha router --check -c %s/router.yml\n",
	           c->scope, c->dir);
	kv(out, 0, "scope", c->scope);
	kv(out, 0, "namespace", c->namespace_);
	render_etcd(c, s, out);
	render_ctl(c, out);
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
	/* The server (PgBouncer behind the router, or PostgreSQL) must prove its name. */
	if (c->tls)
		buf_printf(out, "sslmode=verify-full\nsslrootcert=%s/tls/ca.crt\n", c->dir);
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

static void pgpass_line(int port, const struct lab_secrets *s, struct buf *out)
{
	buf_printf(out, "127.0.0.1:%d:*:%s:%s\n", port, LAB_SUPERUSER, s->superuser);
}

void lab_render_pgpass(const struct lab_cluster *c, const struct lab_secrets *s, struct buf *out)
{
	/* Through the router, or on a node's own PgBouncer port, the client meets a
	 * PgBouncer, which checks the superuser's password against its auth file: the same
	 * password. */
	pgpass_line(c->plan.router_rw_port, s, out);
	pgpass_line(c->plan.router_ro_port, s, out);
	for (int k = 0; k < c->plan.n_nodes; k++) {
		pgpass_line(c->plan.nodes[k].pg_port, s, out);
		pgpass_line(c->plan.nodes[k].bouncer_port, s, out);
	}
}

void lab_render_patronictl(const struct lab_cluster *c, const struct lab_secrets *s,
                           struct buf *out)
{
	buf_printf(out,
	           "# For a stock patronictl: patronictl -c %s/patronictl.yml list (or\n"
	           "# switchover, restart...). Holds the REST API's password: keep it 0600.\n",
	           c->dir);
	kv(out, 0, "scope", c->scope);
	kv(out, 0, "namespace", c->namespace_);
	render_etcd(c, s, out);
	render_ctl(c, out);
	/* patronictl authenticates its REST requests with restapi.authentication (Patroni
	 * 3.0 reads no ctl.authentication). */
	buf_puts(out, "restapi:\n  authentication:\n");
	kv(out, 4, "username", LAB_RESTAPI_USER);
	kv(out, 4, "password", s->restapi);
}
