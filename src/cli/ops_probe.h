/*
 * ops_probe.h: the observations behind `pgha health`: etcd's /health, the agents'
 * /primary and /replica, and a PostgreSQL session through a pooler or the router that
 * reports where it landed (client_rest.h and client_sql.h do the talking).
 *
 * Each probe blocks for at most its timeout and never fails as a call: what it saw
 * (or why it saw nothing) goes into the probe struct. Nothing is logged.
 */
#ifndef PGHA_CLI_OPS_PROBE_H
#define PGHA_CLI_OPS_PROBE_H

#include "cli/ops_args.h"
#include "cli/ops_health.h"
#include "dcs/dcs_types.h"
#include "lab/lab.h"

/* ops_probe_etcd: GET <url>/health; healthy when it answers {"health": "true"}. */
void ops_probe_etcd(const struct client *c, const char *url, int timeout_ms,
                    struct ops_etcd_probe *p);
/* ops_probe_rest: GET /primary and /replica on m's REST API (no credentials needed). */
void ops_probe_rest(const struct client *c, const struct dcs_member *m, int timeout_ms,
                    struct ops_rest_probe *p);
/*
 * ops_probe_sql: connects to addr ("HOST:PORT"; database postgres; c's PostgreSQL user
 * and password when not empty, else libpq's defaults; c's sslmode and CA) and asks
 * where it landed (client_sql.h). connect_timeout_ms bounds the connection, then
 * query_timeout_ms the answer.
 */
void ops_probe_sql(const char *addr, const struct client *c, int connect_timeout_ms,
                   int query_timeout_ms, struct ops_sql_probe *p);

/* The observations of one pass of `pgha health`. */
struct ops_health_obs {
	struct ops_health_input in;
	struct dcs_view view; /* in.view points here when in.view_ok */
	const char *expected[LAB_MAX_NODES];
};

struct ops_ctx;

/*
 * ops_health_observe: every probe once: etcd's endpoints, one linearizable read, each
 * member's /primary and /replica and its pooler, and the router's ports: those of
 * a->router_rw / a->router_ro, else (a lab) the lab's router if it runs. a->max_lag_bytes
 * is the lag limit. Free with ops_health_obs_free.
 */
void ops_health_observe(const struct ops_ctx *ctx, const struct ops_args *a,
                        struct ops_health_obs *r);
void ops_health_obs_free(struct ops_health_obs *r);

#endif
