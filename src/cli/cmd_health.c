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
#include "cli/ops_ctx.h"
#include "cli/ops_health.h"
#include "cli/ops_probe.h"
#include "util/strutil.h"
#include "util/xalloc.h"

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
	struct ops_health_obs *r;
	struct ops_health *h;
	int rc = ops_start(OPS_HEALTH, argc, argv, &a, &ctx);

	if (rc >= 0)
		return rc;
	r = xcalloc(1, sizeof(*r)); /* large: keep them off the stack */
	h = xcalloc(1, sizeof(*h));
	ops_health_observe(&ctx, &a, r);
	ops_health_eval(&r->in, h);
	report(h, a.target.json);
	rc = h->n_fail > 0 ? EXIT_FAILED : EXIT_OK;
	ops_health_obs_free(r);
	free(h);
	free(r);
	return rc;
}
