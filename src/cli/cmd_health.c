/*
 * cmd_health.c: `pgha health`: probes every link of the client path once (etcd, the
 * agents' REST health endpoints, the poolers, the router), lets ops_health judge, and
 * prints the report. Exit status 0 only if no check failed.
 *
 * The router counts as configured when --router-rw/--router-ro are given, or, for a
 * lab, when the lab runs one (a live pid in DIR/run/router.pid): its ports are in
 * cluster.json's plan.
 */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "util/clock.h"
#include "cli/ops_ctx.h"
#include "cli/ops_health.h"
#include "cli/ops_probe.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define ETCD_TIMEOUT_MS    1500
#define READ_TIMEOUT_MS    1500
#define REST_TIMEOUT_MS    2000
#define CONNECT_TIMEOUT_MS 3000
#define QUERY_TIMEOUT_MS   5000

struct health_run {
	struct ops_health_input in;
	struct dcs_view view;
	const char *expected[LAB_MAX_NODES];
};

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
	ops_probe_sql(addr, &ctx->client.creds, CONNECT_TIMEOUT_MS, QUERY_TIMEOUT_MS, p);
}

static void probe_members(const struct ops_ctx *ctx, struct health_run *r)
{
	const struct dcs_view *v = &r->view;

	for (int i = 0; i < v->n_members; i++) {
		ops_probe_rest(&v->members[i], REST_TIMEOUT_MS, &r->in.rest[i]);
		if (v->members[i].pooler[0])
			probe_addr(ctx, v->members[i].pooler, &r->in.pooler[i]);
	}
}

static void observe(const struct ops_ctx *ctx, const struct ops_args *a, struct health_run *r)
{
	struct ops_health_input *in = &r->in;

	in->max_lag_bytes = a->max_lag_bytes;
	in->wall_now_ms = clock_wall_epoch_s() * 1000;
	for (int i = 0; i < ctx->client.n_etcd; i++)
		ops_probe_etcd(ctx->client.etcd[i], ETCD_TIMEOUT_MS, &in->etcd[in->n_etcd++]);
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

static void report(const struct ops_health *h, bool json)
{
	struct buf text;

	if (json) {
		json_t *j = ops_health_json(h);
		char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(j);
		return;
	}
	buf_init(&text);
	ops_health_text(h, &text);
	fputs(text.data, stdout);
	buf_free(&text);
}

int cmd_health(int argc, char **argv)
{
	struct ops_args a;
	struct ops_ctx ctx;
	struct health_run *r;
	struct ops_health *h;
	int rc = ops_start(OPS_HEALTH, argc, argv, &a, &ctx);

	if (rc >= 0)
		return rc;
	r = xcalloc(1, sizeof(*r)); /* large: keep them off the stack */
	h = xcalloc(1, sizeof(*h));
	observe(&ctx, &a, r);
	ops_health_eval(&r->in, h);
	report(h, a.target.json);
	rc = h->n_fail > 0 ? EXIT_FAILED : EXIT_OK;
	if (r->in.view_ok)
		dcs_view_free(&r->view);
	free(h);
	free(r);
	return rc;
}
