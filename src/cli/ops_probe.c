/*
 * ops_probe.c: health probes over HTTP and libpq (see ops_probe.h).
 */
#include "cli/ops_probe.h"

#include <stdio.h>
#include <string.h>
#include "cli/ops_ctx.h"
#include "client/client_rest.h"
#include "client/client_sql.h"
#include "util/clock.h"
#include "util/strutil.h"

#define ETCD_TIMEOUT_MS    1500
#define READ_TIMEOUT_MS    1500
#define REST_TIMEOUT_MS    2000
#define CONNECT_TIMEOUT_MS 3000
#define QUERY_TIMEOUT_MS   5000

void ops_probe_etcd(const struct client *c, const char *url, int timeout_ms,
                    struct ops_etcd_probe *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->url, sizeof(p->url), "%s", url);
	p->answered =
	    client_etcd_health(url, &c->etcd_tls, timeout_ms, &p->healthy, p->err, sizeof(p->err));
}

void ops_probe_rest(const struct client *c, const struct dcs_member *m, int timeout_ms,
                    struct ops_rest_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->primary_code = client_rest_get(c, m, "primary", timeout_ms, p->err, sizeof(p->err));
	if (p->primary_code != 0) /* an agent that did not answer once is not asked twice */
		p->replica_code =
		    client_rest_get(c, m, "replica", timeout_ms, p->err, sizeof(p->err));
}

void ops_probe_sql(const char *addr, const struct client *c, int connect_timeout_ms,
                   int query_timeout_ms, struct ops_sql_probe *p)
{
	char host[CLIENT_URL_LEN];
	struct client_sql_target t = {.host = host,
	                              .user = c->creds.pg_user,
	                              .password = c->creds.pg_password,
	                              .sslmode = c->pg_sslmode,
	                              .sslrootcert = c->pg_sslrootcert,
	                              .application_name = "pgha-health",
	                              .connect_timeout_ms = connect_timeout_ms,
	                              .query_timeout_ms = query_timeout_ms};
	struct client_landing at;

	memset(p, 0, sizeof(*p));
	p->tried = true;
	if (!str_split_hostport(addr, host, sizeof(host), &t.port)) {
		snprintf(p->err, sizeof(p->err), "'%s' is not HOST:PORT", addr);
		return;
	}
	p->ok = client_sql_landing(&t, &at, p->err, sizeof(p->err));
	p->in_recovery = at.in_recovery;
	snprintf(p->cluster_name, sizeof(p->cluster_name), "%s", at.node);
	p->port = at.pg_port;
}

/* --- one pass of `pgha health` --------------------------------------------------------- */

/* router_targets: which router ports to probe (none: not configured). */
static void router_targets(const struct ops_ctx *ctx, const struct ops_args *a,
                           struct ops_health_input *in)
{
	if (a->router_rw || a->router_ro) {
		snprintf(in->router_rw, sizeof(in->router_rw), "%s",
		         a->router_rw ? a->router_rw : "");
		snprintf(in->router_ro, sizeof(in->router_ro), "%s",
		         a->router_ro ? a->router_ro : "");
	} else if (ctx->is_lab && lab_router_running(&ctx->lab)) {
		snprintf(in->router_rw, sizeof(in->router_rw), "127.0.0.1:%d",
		         ctx->lab.plan.router_rw_port);
		snprintf(in->router_ro, sizeof(in->router_ro), "127.0.0.1:%d",
		         ctx->lab.plan.router_ro_port);
	}
	in->router_configured = in->router_rw[0] || in->router_ro[0];
}

static void probe_addr(const struct ops_ctx *ctx, const char *addr, struct ops_sql_probe *p)
{
	ops_probe_sql(addr, &ctx->client, CONNECT_TIMEOUT_MS, QUERY_TIMEOUT_MS, p);
}

static void probe_members(const struct ops_ctx *ctx, struct ops_health_obs *r)
{
	const struct dcs_view *v = &r->view;

	for (int i = 0; i < v->n_members; i++) {
		ops_probe_rest(&ctx->client, &v->members[i], REST_TIMEOUT_MS, &r->in.rest[i]);
		if (v->members[i].pooler[0])
			probe_addr(ctx, v->members[i].pooler, &r->in.pooler[i]);
	}
}

void ops_health_observe(const struct ops_ctx *ctx, const struct ops_args *a,
                        struct ops_health_obs *r)
{
	struct ops_health_input *in = &r->in;

	in->max_lag_bytes = a->max_lag_bytes;
	in->wall_now_ms = clock_wall_epoch_s() * 1000;
	for (int i = 0; i < ctx->client.n_etcd; i++)
		ops_probe_etcd(&ctx->client, ctx->client.etcd[i], ETCD_TIMEOUT_MS,
		               &in->etcd[in->n_etcd++]);
	in->view_ok = client_read_view(&ctx->client, READ_TIMEOUT_MS, &r->view);
	if (!in->view_ok) {
		snprintf(in->view_err, sizeof(in->view_err), "etcd did not answer");
		return;
	}
	in->view = &r->view;
	if (ctx->is_lab) {
		for (int k = 0; k < ctx->lab.plan.n_nodes; k++)
			r->expected[k] = ctx->lab.plan.nodes[k].name;
		in->expected = r->expected;
		in->n_expected = ctx->lab.plan.n_nodes;
	}
	probe_members(ctx, r);
	router_targets(ctx, a, in);
	if (in->router_rw[0])
		probe_addr(ctx, in->router_rw, &in->router_rw_probe);
	if (in->router_ro[0])
		probe_addr(ctx, in->router_ro, &in->router_ro_probe);
}

void ops_health_obs_free(struct ops_health_obs *r)
{
	if (r->in.view_ok)
		dcs_view_free(&r->view);
	r->in.view_ok = false;
}
