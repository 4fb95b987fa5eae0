/*
 * cmd_down.c: `pgha down`: stop a local cluster (the work is in lab/lab_down.c).
 */
#include <stdio.h>
#include "cli/cli.h"
#include "lab/lab_down.h"
#include "lab/lab_opts.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: pgha down [--dir DIR] [--keep] [--timeout SECONDS]\n\n"
	             "Stops every process `pgha up` started in DIR (default ./pgha-lab), by pid:\n"
	             "the router, the replicas' agents, the leader's, then etcd (SIGTERM, SIGKILL\n"
	             "after the timeout, default 60 s), and removes DIR unless --keep.\n");
}

int cmd_down(int argc, char **argv)
{
	struct lab_down_opts o;
	char err[512];

	switch (lab_down_opts_parse(argc, argv, &o, err, sizeof(err))) {
	case LAB_PARSE_OK:
		break;
	case LAB_PARSE_HELP:
		usage(stdout);
		return EXIT_OK;
	case LAB_PARSE_ERROR:
		fprintf(stderr, "pgha down: %s\n", err);
		usage(stderr);
		return EXIT_USAGE;
	}
	switch (lab_down_run(&o)) {
	case LAB_DOWN_OK:
		return EXIT_OK;
	case LAB_DOWN_FAILED:
		return EXIT_FAILED;
	case LAB_DOWN_USAGE:
		return EXIT_USAGE;
	}
	return EXIT_FAILED;
}
