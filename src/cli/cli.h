/*
 * cli.h: the subcommands of the pgha binary. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status (EXIT_* below).
 */
#ifndef PGHA_CLI_CLI_H
#define PGHA_CLI_CLI_H

#define PGHA_VERSION "0.1.0"

/* Exit statuses shared by every subcommand. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,  /* the operation ran and failed (unhealthy cluster, lost writes...) */
	EXIT_USAGE = 2,   /* bad arguments or configuration */
	EXIT_UNAVAIL = 3, /* a required service (etcd, the agent) could not be reached */
};

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

#endif
