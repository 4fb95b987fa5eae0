/*
 * cmd_list.c: `pgha list`: the members table, like `patronictl list`, or its JSON form.
 */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/cli_common.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: pgha list [--dir DIR | -c FILE] [--json]\n\n"
	             "Shows the members of the cluster of a local lab (--dir, default ./pgha-lab)\n"
	             "or of an agent configuration (-c): member, host, role, state, timeline and\n"
	             "lag, read from etcd. Exit status 3 when etcd cannot be reached.\n");
}

int cmd_list(int argc, char **argv)
{
	struct cli_target_args a;
	struct cli_target t;
	char err[512];

	switch (cli_parse_target_args(argc, argv, &a, err, sizeof(err))) {
	case CLI_PARSE_OK:
		break;
	case CLI_PARSE_HELP:
		usage(stdout);
		return EXIT_OK;
	case CLI_PARSE_ERROR:
		fprintf(stderr, "pgha list: %s\n", err);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!cli_target_resolve(&a, &t, err, sizeof(err))) {
		fprintf(stderr, "pgha list: %s\n", err);
		return EXIT_USAGE;
	}
	return cli_print_members(&t, a.json);
}
