/*
 * cmd_chaos.c: `pgha chaos`: parse the options, open the cluster (a lab's cluster.json
 * and secrets, or an agent configuration with -c and its members in etcd), hand over
 * to chaos_run, and print its report (the timeline, or one JSON object).
 */
#include <stdio.h>
#include <stdlib.h>
#include "chaos/chaos_args.h"
#include "chaos/chaos_run.h"
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "log/log.h"
#include "util/xalloc.h"

#define EXIT_INTERRUPTED 130 /* as a shell reports a command ended by SIGINT */

static const int exit_of[] = {
    [CHAOS_PASSED] = EXIT_OK,
    [CHAOS_FAILED] = EXIT_FAILED,
    [CHAOS_CANNOT] = EXIT_USAGE,
    [CHAOS_NO_ETCD] = EXIT_UNAVAIL,
    [CHAOS_INTERRUPTED] = EXIT_INTERRUPTED,
};

/* target_open: the cluster as chaos sees it; -1 to go on, else the exit status. */
static int target_open(const struct chaos_args *a, const struct ops_ctx *ctx,
                       struct chaos_target *t)
{
	char err[512];
	struct dcs_view v;
	bool ok;

	if (ctx->is_lab) {
		if (chaos_target_from_lab(&ctx->lab, &ctx->client, a->rw, t, err, sizeof(err)))
			return -1;
		fprintf(stderr, "pgha chaos: %s\n", err);
		return EXIT_USAGE;
	}
	if (!ops_read_view(ctx, &v))
		return EXIT_UNAVAIL;
	ok = chaos_target_from_view(&v, &ctx->client, a->rw, t, err, sizeof(err));
	dcs_view_free(&v);
	if (ok)
		return -1;
	fprintf(stderr, "pgha chaos: %s\n", err);
	return EXIT_FAILED;
}

static void chaos_print(const struct chaos_result *res, bool json)
{
	struct buf out;

	if (json) {
		char *text = chaos_report_json(res);

		fputs(text, stdout);
		free(text);
	} else {
		buf_init(&out);
		chaos_report_text(res, &out);
		fputs(out.data, stdout);
		buf_free(&out);
	}
	fflush(stdout);
}

/* run: the run on the open cluster; its report on stdout. */
static int run(const struct chaos_args *a, const struct ops_ctx *ctx)
{
	struct chaos_target *t = xcalloc(1, sizeof(*t)); /* large: keep it off the stack */
	struct chaos_result res;
	enum chaos_outcome rc;
	int status = target_open(a, ctx, t);

	if (status < 0) {
		rc = chaos_run(a, t, &res);
		if (res.t0_us > 0)
			chaos_print(&res, a->json);
		chaos_result_free(&res);
		status = exit_of[rc];
	}
	free(t);
	return status;
}

int cmd_chaos(int argc, char **argv)
{
	struct chaos_args a;
	struct cli_target_args target = {0};
	struct ops_ctx *ctx;
	char err[512];
	int rc;

	switch (chaos_args_parse(argc, argv, &a, err, sizeof(err))) {
	case ARGS_OK:
		break;
	case ARGS_HELP:
		fputs(chaos_usage(), stdout);
		return EXIT_OK;
	case ARGS_ERROR:
		fprintf(stderr, "pgha chaos: %s\n\n%s", err, chaos_usage());
		return EXIT_USAGE;
	}
	/* the DCS client's routine messages would drown the report */
	log_set_level(LOG_LEVEL_WARN);
	target.dir = a.config ? NULL : a.dir;
	target.config = a.config;
	ctx = xcalloc(1, sizeof(*ctx));
	if (!ops_ctx_open("chaos", &target, ctx, err, sizeof(err))) {
		if (a.config)
			fprintf(stderr, "pgha chaos: %s: %s\n", a.config, err);
		else
			fprintf(stderr, "pgha chaos: %s is not a usable pgha lab: %s\n", a.dir,
			        err);
		free(ctx);
		return EXIT_USAGE;
	}
	rc = run(&a, ctx);
	free(ctx);
	return rc;
}
