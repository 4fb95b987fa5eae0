/*
 * cmd_chaos.c: `pgha chaos`: parse the options, open the lab (cluster.json, its
 * secrets for the REST API and the superuser) and hand over to chaos_run.
 */
#include <stdio.h>
#include "chaos/chaos_args.h"
#include "chaos/chaos_run.h"
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "log/log.h"

static const int exit_of[] = {
    [CHAOS_PASSED] = EXIT_OK,
    [CHAOS_FAILED] = EXIT_FAILED,
    [CHAOS_NOT_A_LAB] = EXIT_USAGE,
    [CHAOS_NO_ETCD] = EXIT_UNAVAIL,
};

int cmd_chaos(int argc, char **argv)
{
	struct chaos_args a;
	struct cli_target_args t = {0};
	struct ops_ctx ctx;
	char err[512];

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
	t.dir = a.dir;
	if (!ops_ctx_open("chaos", &t, &ctx, err, sizeof(err))) {
		fprintf(stderr, "pgha chaos: %s is not a usable pgha lab: %s\n", a.dir, err);
		return EXIT_USAGE;
	}
	return exit_of[chaos_run(&a, &ctx.lab, &ctx.client)];
}
