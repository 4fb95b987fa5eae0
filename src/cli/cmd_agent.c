/*
 * cmd_agent.c: `pgha agent -c FILE [--check]`.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "config/config.h"
#include "ha/agent.h"
#include "log/log.h"
#include "util/compiler.h"

/* The command line of `pgha agent`. */
struct agent_args {
	const char *path; /* -c FILE (required) */
	bool check;       /* --check */
};

static const struct arg_opt agent_opts[] = {
    {.name = "config", .letter = 'c', .kind = ARG_STR, .offset = offsetof(struct agent_args, path)},
    {.name = "check", .kind = ARG_FLAG, .offset = offsetof(struct agent_args, check)},
};

static const struct cli_spec agent_spec = {
    "agent",
    "usage: pgha agent -c FILE [--check]\n\n"
    "Runs the HA agent of one node: leader election on etcd, PostgreSQL's\n"
    "lifecycle, replication, failover and the Patroni-compatible REST API.\n"
    "The YAML configuration uses Patroni's key names.\n\n"
    "  -c, --config FILE  the node's configuration (required)\n"
    "      --check        validate the configuration and exit\n"
    "  -h, --help         this help\n",
    agent_opts,
    ARRAY_LEN(agent_opts),
};

static void print_msgs(const struct config_msgs *m, const char *kind)
{
	for (int i = 0; i < m->n; i++)
		fprintf(stderr, "%s: %s\n", kind, m->items[i]);
}

int cmd_agent(int argc, char **argv)
{
	struct agent_args a = {0};
	const char *path;
	struct config cfg;
	struct config_msgs errors = {.n = 0}, warnings = {.n = 0};
	enum log_level level;
	int rc = cli_parse(&agent_spec, argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (a.path == NULL) {
		fprintf(stderr, "pgha agent: -c FILE is required\n\n%s", agent_spec.usage);
		return EXIT_USAGE;
	}
	path = a.path;
	if (!config_load(path, &cfg, &errors, &warnings)) {
		print_msgs(&errors, "error");
		print_msgs(&warnings, "warning");
		fprintf(stderr, "%s: configuration rejected\n", path);
		return EXIT_USAGE;
	}
	print_msgs(&warnings, "warning");
	if (a.check) {
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
