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

static const struct cli_spec agent_spec = {
    "agent",
    "usage: pgha agent -c FILE [--check] [--log-level LEVEL]\n\n"
    "Runs the HA agent of one node: leader election on etcd, PostgreSQL's\n"
    "lifecycle, replication, failover and the Patroni-compatible REST API.\n"
    "The YAML configuration uses Patroni's key names.\n\n"
    "  -c, --config FILE  the node's configuration (required)\n"
    "  -l, --log-level L  error, warn, info or debug (default: the file's log_level)\n"
    "      --check        validate the configuration and exit\n"
    "  -h, --help         this help\n",
    cli_daemon_opts,
    CLI_DAEMON_N_OPTS,
};

static void print_msgs(const struct config_msgs *m, const char *kind)
{
	for (int i = 0; i < m->n; i++)
		fprintf(stderr, "%s: %s\n", kind, m->items[i]);
}

int cmd_agent(int argc, char **argv)
{
	struct cli_daemon_args a;
	const char *path;
	struct config cfg;
	struct config_msgs errors = {.n = 0}, warnings = {.n = 0};
	enum log_level level;
	int rc = cli_parse_daemon(&agent_spec, argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (a.level != NULL && !log_parse_level(a.level, &level))
		return cli_usage_error(&agent_spec, "unknown log level \"%s\"", a.level);
	path = a.config;
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
	if (a.level != NULL || (cfg.log_level[0] && log_parse_level(cfg.log_level, &level)))
		log_set_level(level);
	return agent_main(&cfg);
}
