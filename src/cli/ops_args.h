/*
 * ops_args.h: the command-line options of the commands that talk to a cluster: the
 * operations (switchover, failover, restart, reinit, pause, resume, history,
 * show-config, edit-config), health, monitor, list and verify.
 *
 * One table says which command takes which option; every command takes
 * [--dir DIR | -c FILE]. Pure: parses argv (argv[0] is the subcommand) into a struct
 * whose strings are borrowed from argv; errors come back in err, nothing is printed.
 */
#ifndef PGHA_CLI_OPS_ARGS_H
#define PGHA_CLI_OPS_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* The options every command that talks to a cluster takes: [--dir DIR | -c FILE] [--json]. */
struct cli_target_args {
	const char *dir;    /* --dir, NULL if not given */
	const char *config; /* -c/--config, NULL if not given */
	bool json;          /* --json */
};

enum cli_parse {
	CLI_PARSE_OK = 0,
	CLI_PARSE_HELP,
	CLI_PARSE_ERROR
};

#define OPS_MAX_SETS  64 /* --set and --pg pairs of one edit-config */
#define OPS_MAX_NODES 16 /* NODE arguments of restart / reinit */

#define OPS_DEFAULT_INTERVAL_MS 2000 /* monitor: refresh without changes */
#define OPS_DEFAULT_EVENTS      15   /* monitor: recent events shown */

enum ops_cmd {
	OPS_SWITCHOVER = 0,
	OPS_FAILOVER,
	OPS_RESTART,
	OPS_REINIT,
	OPS_PAUSE,
	OPS_RESUME,
	OPS_HISTORY,
	OPS_SHOW_CONFIG,
	OPS_EDIT_CONFIG,
	OPS_HEALTH,
	OPS_MONITOR,
	OPS_LIST,
	OPS_BACKUP,       /* pgha backup */
	OPS_BACKUP_LIST,  /* pgha backup list */
	OPS_BACKUP_CHECK, /* pgha backup check */
	OPS_RESTORE,
	OPS_VERIFY,
	OPS__COUNT
};

/* --set and --pg pairs, as given. */
struct ops_pairs {
	const char *v[OPS_MAX_SETS];
	int n;
};

struct ops_args {
	enum ops_cmd cmd;
	struct cli_target_args target;    /* --dir, -c, --json */
	bool force;                       /* --force: no confirmation */
	bool wait;                        /* --wait (reinit, pause, resume) */
	bool pending;                     /* restart --pending */
	bool quiet;                       /* edit-config --quiet: no diff */
	const char *leader;               /* --leader / --primary */
	const char *candidate;            /* --candidate */
	const char *scheduled;            /* --scheduled TIME ("now" = not scheduled) */
	const char *pg_version;           /* restart --pg-version */
	int timeout_s;                    /* --timeout (restart, reinit --wait...); 0 = default */
	const char *apply_file;           /* edit-config --apply FILE ("-" = stdin) */
	const char *replace_file;         /* edit-config --replace FILE ("-" = stdin) */
	struct ops_pairs sets;            /* --set K=V */
	struct ops_pairs pg_sets;         /* --pg K=V (postgresql.parameters.K) */
	const char *nodes[OPS_MAX_NODES]; /* NODE arguments (restart, reinit) */
	int n_nodes;
	int interval_ms;            /* monitor --interval SECONDS (fractions allowed) */
	int events;                 /* monitor --events N */
	const char *router_rw;      /* health --router-rw HOST:PORT */
	const char *router_ro;      /* health --router-ro HOST:PORT */
	const char *exec;           /* verify --exec COMMAND: the failover's fault action */
	long long max_lag_bytes;    /* health --max-lag SIZE; -1 = maximum_lag_on_failover */
	const char *backup_type;    /* backup --type full|diff|incr (default full) */
	const char *restore_time;   /* restore --time TIME (with its zone) */
	bool restore_latest;        /* restore --latest */
	const char *restore_backup; /* restore --backup LABEL */
	bool abort;                 /* restore --abort */
};

/* ops_cmd_name: "switchover", "show-config"... */
const char *ops_cmd_name(enum ops_cmd cmd);
/*
 * ops_args_parse: parses argv for cmd. CLI_PARSE_HELP when --help/-h was given;
 * CLI_PARSE_ERROR with err set for an unknown option or one cmd does not take, a
 * missing or malformed value, --dir with -c, missing or extra NODE arguments, and
 * combinations that make no sense (failover without --candidate, --leader equal to
 * --candidate, --apply with --replace...).
 */
enum cli_parse ops_args_parse(enum ops_cmd cmd, int argc, char **argv, struct ops_args *a,
                              char *err, size_t errlen);
/* ops_usage: the usage text of cmd (options and a short description). */
const char *ops_usage(enum ops_cmd cmd);

#endif
