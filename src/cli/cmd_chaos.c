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

int cmd_chaos(int argc, char **argv)
{
	struct chaos_args a;
	struct cli_target_args t = {0};
	struct ops_ctx ctx;
	char err[512];

	switch (chaos_args_parse(argc, argv, &a, err, sizeof(err))) {
	case CLI_PARSE_OK:
		break;
	case CLI_PARSE_HELP:
		fputs(chaos_usage(), stdout);
		return EXIT_OK;
	case CLI_PARSE_ERROR:
		fprintf(stderr, "pgha chaos: %s\n\n%s", err, chaos_usage());
		return EXIT_USAGE;
	}
	/* the DCS client's routine messages would drown the report */
	log_set_level(LOG_LEVEL_WARN);
	t.dir = a.dir;
	t.json = a.json;
	if (!ops_ctx_open("chaos", &t, &ctx, err, sizeof(err))) {
		fprintf(stderr, "pgha chaos: %s is not a usable pgha lab: %s\n", a.dir, err);
		return EXIT_USAGE;
	}
	return chaos_run(&a, &ctx);
}
