/*
 * main.c: the pgha binary: dispatches to a subcommand, git style.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "util/compiler.h"
#include "util/envsecret.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
    {"agent", cmd_agent, "run the HA agent of one node (Patroni's role)"},
    {"router", cmd_router, "route 5432 to the primary and 5433 to the replicas"},
    {"up", cmd_up, "start a complete local cluster in one directory"},
    {"down", cmd_down, "stop a local cluster and remove its directory"},
    {"list", cmd_list, "show the cluster's members (like patronictl list)"},
    {"health", cmd_health, "pass/fail report of the whole client path"},
    {"monitor", cmd_monitor, "live view of the cluster"},
    {"switchover", cmd_switchover, "planned hand-over of the leader role"},
    {"failover", cmd_failover, "manual failover to a named candidate"},
    {"restart", cmd_restart, "restart PostgreSQL on a node"},
    {"reinit", cmd_reinit, "re-clone a replica from the leader"},
    {"pause", cmd_pause, "maintenance mode: no automatic failover"},
    {"resume", cmd_resume, "leave maintenance mode"},
    {"history", cmd_history, "timeline history of the cluster"},
    {"show-config", cmd_show_config, "show the cluster's dynamic configuration"},
    {"edit-config", cmd_edit_config, "change the cluster's dynamic configuration"},
    {"chaos", cmd_chaos, "inject a fault under a write load and verify nothing was lost"},
    {"backup", cmd_backup, "take a backup (pgBackRest), list them (backup list), check"},
    {"restore", cmd_restore, "bring the whole cluster back to a point in time"},
    {"verify", cmd_verify, "prove the cluster: nine checks, a real failover among them"},
};

static void usage(FILE *out)
{
	fprintf(out, "pgha %s: highly available PostgreSQL\n\n", PGHA_VERSION);
	fprintf(out, "usage: pgha <command> [options]   (pgha <command> --help for details)\n\n");
	for (size_t i = 0; i < ARRAY_LEN(subcommands); i++)
		fprintf(out, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
}

int main(int argc, char **argv)
{
	/*
	 * Passwords given in the environment (PATRONI_*_PASSWORD, PGHA_REST_PASSWORD,
	 * PGPASSWORD) leave it before anything else runs: no child inherits them, and
	 * /proc/<pid>/environ, which PostgreSQL's processes of the same OS user can read,
	 * no longer shows them (util/envsecret.h).
	 */
	envsecret_take();
	/* Broken pipes are reported as write errors, never as a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("pgha %s\n", PGHA_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_LEN(subcommands); i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "pgha: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
