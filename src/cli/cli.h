/*
 * cli.h: the subcommands of the pgha binary. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status (EXIT_* below).
 *
 * The subcommands that do not talk to a running cluster (agent, router, up, down)
 * declare their options as a struct cli_spec (util/args.h rows over their
 * options struct); cli_parse reads them and prints help and errors the same way for
 * all. The others share ops_args.h's table.
 */
#ifndef PGHA_CLI_CLI_H
#define PGHA_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include "util/args.h"
#include "util/compiler.h"

#define PGHA_VERSION "0.1.0"

/* Exit statuses shared by every subcommand. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,  /* the operation ran and failed (unhealthy cluster, lost writes...) */
	EXIT_USAGE = 2,   /* bad arguments or configuration */
	EXIT_UNAVAIL = 3, /* a required service (etcd, the agent) could not be reached */
};

/* A subcommand's command line. */
struct cli_spec {
	const char *name;           /* "up" */
	const char *usage;          /* the --help text, "usage: pgha up ..." */
	const struct arg_opt *opts; /* its options */
	size_t n_opts;
};

/*
 * cli_parse: parses argv per s into out (which holds the defaults). Returns -1 to go
 * on, else the exit status to return: EXIT_OK after --help (the usage on stdout),
 * EXIT_USAGE after an error ("pgha NAME: what is wrong" and the usage on stderr).
 */
int cli_parse(const struct cli_spec *s, int argc, char **argv, void *out);

/*
 * cli_usage_error: "pgha NAME: message" and the usage on stderr; returns EXIT_USAGE.
 */
int cli_usage_error(const struct cli_spec *s, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* The command line of the daemons: `pgha agent` and `pgha router`. */
struct cli_daemon_args {
	const char *config; /* -c FILE (required) */
	const char *level;  /* --log-level, NULL = the configuration's */
	bool check;         /* --check: validate the configuration and exit */
};

/* cli_daemon_opts: -c/--config, -l/--log-level, --check, for a spec's opts. */
#define CLI_DAEMON_N_OPTS 3
extern const struct arg_opt cli_daemon_opts[CLI_DAEMON_N_OPTS];
/* cli_parse_daemon: cli_parse of s into a (zeroed first), and -c FILE required. */
int cli_parse_daemon(const struct cli_spec *s, int argc, char **argv, struct cli_daemon_args *a);

/* The command lines of `pgha up` and `pgha down` (unit-tested). */
extern const struct cli_spec cli_up_spec;
extern const struct cli_spec cli_down_spec;

int cmd_agent(int argc, char **argv);
int cmd_router(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_switchover(int argc, char **argv);
int cmd_failover(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_reinit(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_show_config(int argc, char **argv);
int cmd_edit_config(int argc, char **argv);
int cmd_chaos(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif
