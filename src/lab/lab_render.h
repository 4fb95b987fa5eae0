/*
 * lab_render.h: the text of the files `pgha up` generates in a lab directory:
 * each node's agent.yml (Patroni key names), the router's router.yml, the client
 * pg_service.conf and passfile, and a patronictl.yml that lets a stock patronictl read
 * and operate the cluster.
 *
 * Pure: appends to a struct buf, no I/O. Paths in the output are absolute (DIR is).
 */
#ifndef PGHA_LAB_LAB_RENDER_H
#define PGHA_LAB_LAB_RENDER_H

#include "lab/lab_backup.h"
#include "lab/lab_cluster.h"
#include "lab/lab_secrets.h"
#include "util/buf.h"

/*
 * lab_render_agent_yml: agent.yml of node index k (0-based) of the plan, with pgBackRest
 * (its pgbackrest section, and bootstrap.method when made from another lab) as b says.
 */
void lab_render_agent_yml(const struct lab_cluster *c, const struct lab_secrets *s,
                          const struct lab_backup *b, int k, struct buf *out);
/*
 * lab_render_router_yml: router.yml: the cluster's scope, namespace and etcd hosts (and
 * etcd user, with its password: the file is private), the lab's CA for etcd and the
 * health checks, the router's listeners on 127.0.0.1 (ports of the plan), routing to
 * each member's PgBouncer (target: pooler).
 */
void lab_render_router_yml(const struct lab_cluster *c, const struct lab_secrets *s,
                           struct buf *out);
/*
 * lab_render_pg_service: services rw and ro (the router's read-write and read-only
 * ports), and one per node name (that node's PostgreSQL, direct); each uses DIR/pgpass
 * and, with TLS, sslmode=verify-full against DIR/tls/ca.crt.
 */
void lab_render_pg_service(const struct lab_cluster *c, struct buf *out);
/*
 * lab_render_pgpass: the client passfile: the superuser on every port the tools show a
 * PostgreSQL client: the router's two, each node's PostgreSQL and PgBouncer.
 */
void lab_render_pgpass(const struct lab_cluster *c, const struct lab_secrets *s, struct buf *out);
/*
 * lab_render_patronictl: what a stock `patronictl -c` needs to list and switch over:
 * scope, namespace, etcd3 (hosts, https, CA, user and password), ctl.cacert and the REST
 * API's credentials. Holds secrets: written 0600.
 */
void lab_render_patronictl(const struct lab_cluster *c, const struct lab_secrets *s,
                           struct buf *out);
/* lab_yaml_quote: s as a YAML double-quoted scalar (escapes \ " and control chars). */
void lab_yaml_quote(struct buf *out, const char *s);

#endif
