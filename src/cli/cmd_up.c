/*
 * cmd_up.c: `pgha up`: start a complete local cluster (the work is in lab/lab_up.c).
 */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/cli_common.h"
#include "lab/lab_opts.h"
#include "lab/lab_up.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: pgha up [--dir DIR] [--nodes N] [--base-port P] [--router-port R]\n"
	        "               [--scope NAME] [--os-user USER] [--timeout SECONDS]\n"
	        "               [--pg-bin-dir DIR]\n\n"
	        "Starts a local cluster in DIR (default ./pgha-lab): 3 etcd members, N nodes\n"
	        "(default 3, at most 9), each an agent with its PostgreSQL and PgBouncer, and a\n"
	        "router, all on 127.0.0.1, and waits until one leader and N-1 streaming replicas\n"
	        "are up and service=rw reaches the leader through the router (default timeout\n"
	        "120 s). Ports: P (default 6500) .. P+99, see the plan it prints; the router's\n"
	        "read-write port is R (default 5432), its read-only port R+1. Run as root, the\n"
	        "cluster runs as --os-user (default postgres). On an existing DIR it starts only\n"
	        "what is not running, or reports the running cluster.\n");
}

int cmd_up(int argc, char **argv)
{
	struct lab_up_opts o;
	struct lab_cluster c;
	struct cli_target_args a = {0};
	struct cli_target t;
	char err[512];

	switch (lab_up_opts_parse(argc, argv, &o, err, sizeof(err))) {
	case LAB_PARSE_OK:
		break;
	case LAB_PARSE_HELP:
		usage(stdout);
		return EXIT_OK;
	case LAB_PARSE_ERROR:
		fprintf(stderr, "pgha up: %s\n", err);
		usage(stderr);
		return EXIT_USAGE;
	}
	switch (lab_up_run(&o, &c)) {
	case LAB_UP_STARTED:
		return EXIT_OK;
	case LAB_UP_ALREADY_RUNNING:
		printf("The lab \"%s\" in %s is already running:\n", c.scope, c.dir);
		a.dir = c.dir;
		if (!cli_target_resolve(&a, &t, err, sizeof(err))) {
			fprintf(stderr, "pgha up: %s\n", err);
			return EXIT_FAILED;
		}
		(void)cli_print_members(&t, false); /* the processes run: a report, not a check */
		printf("Router: read-write 127.0.0.1:%d, read-only 127.0.0.1:%d "
		       "(PGSERVICEFILE=%s/pg_service.conf psql service=rw)\n",
		       c.plan.router_rw_port, c.plan.router_ro_port, c.dir);
		return EXIT_OK;
	case LAB_UP_FAILED:
		return EXIT_FAILED;
	case LAB_UP_USAGE:
		return EXIT_USAGE;
	}
	return EXIT_FAILED;
}
