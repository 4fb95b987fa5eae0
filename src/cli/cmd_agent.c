/*
 * cmd_agent.c: `pgha agent -c FILE [--check]`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "config/config.h"
#include "ha/agent.h"
#include "log/log.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: pgha agent -c FILE [--check]\n\n"
	             "Runs the HA agent of one node: leader election on etcd, PostgreSQL's\n"
	             "lifecycle, replication, failover and the Patroni-compatible REST API.\n"
	             "The YAML configuration uses Patroni's key names.\n\n"
	             "  -c, --config FILE  the node's configuration (required)\n"
	             "      --check        validate the configuration and exit\n"
	             "  -h, --help         this help\n");
}

static void print_msgs(const struct config_msgs *m, const char *kind)
{
	for (int i = 0; i < m->n; i++)
		fprintf(stderr, "%s: %s\n", kind, m->items[i]);
}

int cmd_agent(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"check", no_argument, NULL, 'k'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *path = NULL;
	bool check = false;
	struct config cfg;
	struct config_msgs errors = {.n = 0}, warnings = {.n = 0};
	enum log_level level;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!config_load(path, &cfg, &errors, &warnings)) {
		print_msgs(&errors, "error");
		print_msgs(&warnings, "warning");
		fprintf(stderr, "%s: configuration rejected\n", path);
		return EXIT_USAGE;
	}
	print_msgs(&warnings, "warning");
	if (check) {
		printf("%s: configuration OK (member %s of cluster %s)\n", path, cfg.name,
		       cfg.scope);
		config_free(&cfg);
		return EXIT_OK;
	}
	if (geteuid() == 0) {
		fprintf(stderr,
		        "pgha agent: refusing to run as root: PostgreSQL cannot run as "
		        "root; run the agent as the postgres user (e.g. runuser -u postgres)\n");
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (cfg.log_level[0] && log_parse_level(cfg.log_level, &level))
		log_set_level(level);
	return agent_main(&cfg);
}
