/*
 * chaos_target.h: the cluster a chaos run works on, however it was described: a lab
 * (its cluster.json: nodes on 127.0.0.1, the client files it wrote) or any pgha (or
 * Patroni) cluster reached through a struct client (-c FILE: etcd, scope, credentials),
 * whose nodes are the members published in etcd. Everything after this point (writer,
 * probe, observer, verdicts) sees only this.
 *
 * Pure except chaos_target_from_lab's file checks.
 */
#ifndef PGHA_CHAOS_CHAOS_TARGET_H
#define PGHA_CHAOS_CHAOS_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "client/client.h"
#include "dcs/dcs_types.h"
#include "lab/lab.h"
#include "util/compiler.h"

#define CHAOS_MAX_NODES    LAB_MAX_NODES
#define CHAOS_CONNINFO_LEN 1024

/* One node: how the probe reaches its PostgreSQL and the observer its REST API. */
struct chaos_node {
	char name[DCS_NAME_LEN];
	char host[DCS_URL_LEN];            /* PostgreSQL's host (conn_url's) */
	int pg_port;                       /* PostgreSQL's port */
	char api_url[DCS_URL_LEN];         /* http(s)://host:port/patroni */
	char conninfo[CHAOS_CONNINFO_LEN]; /* a direct session as the superuser */
};

struct chaos_target {
	const struct client *cl;       /* etcd, scope, credentials (borrowed) */
	const struct lab_cluster *lab; /* the lab, or NULL for a cluster given by -c */
	struct chaos_node nodes[CHAOS_MAX_NODES];
	int n_nodes;
	char rw[CHAOS_CONNINFO_LEN]; /* the writer's connection, through the client path */
};

/*
 * chaos_target_from_lab: the lab's nodes (plan order) on 127.0.0.1; rw from rw_opt or
 * service=rw, with PGSERVICEFILE and PGPASSFILE set to the lab's files for this
 * process. False with err set when the lab has no client files.
 */
bool chaos_target_from_lab(const struct lab_cluster *lab, const struct client *cl,
                           const char *rw_opt, struct chaos_target *t, char *err,
                           size_t errlen) MUST_CHECK;
/*
 * chaos_target_from_view: the members of v (a cluster given by -c), each reached at
 * its conn_url's host and port and its api_url; rw from rw_opt or service=rw (libpq's
 * PGSERVICEFILE). False with err set when a member has no usable address, or there
 * are none.
 */
bool chaos_target_from_view(const struct dcs_view *v, const struct client *cl, const char *rw_opt,
                            struct chaos_target *t, char *err, size_t errlen) MUST_CHECK;
/* chaos_target_node: the node called name, or NULL. Borrowed. */
const struct chaos_node *chaos_target_node(const struct chaos_target *t, const char *name);
/* chaos_target_etcd_name: etcd endpoint i as a person reads it: its lab name, else its URL. */
const char *chaos_target_etcd_name(const struct chaos_target *t, int i);
/* chaos_target_index: the index of the node called name, or -1. */
int chaos_target_index(const struct chaos_target *t, const char *name);

#endif
