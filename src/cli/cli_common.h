/*
 * cli_common.h: what the read commands share: finding the cluster to talk to from
 * `--dir DIR` (a lab's cluster.json) or `-c FILE` (an agent configuration), reading it
 * from etcd, and printing its members table.
 *
 * Does not exit; errors are returned in err, or printed by the cli_print_* functions
 * that say so.
 */
#ifndef PGHA_CLI_CLI_COMMON_H
#define PGHA_CLI_CLI_COMMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "dcs/dcs_types.h"
#include "util/compiler.h"

#define CLI_MAX_ETCD 16
#define CLI_URL_LEN  272 /* "http://" + a config.h host:port */
#define CLI_NAME_LEN 64

/* How to reach a cluster. */
struct cli_target {
	char scope[CLI_NAME_LEN];
	char namespace_[CLI_NAME_LEN];        /* "/service/" form */
	char etcd[CLI_MAX_ETCD][CLI_URL_LEN]; /* client URLs, "http://host:port" */
	int n_etcd;
	char dir[PATH_MAX]; /* the lab directory, "" when from -c */
};

/* The options every read command takes: [--dir DIR | -c FILE] [--json]. */
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

/* cli_parse_target_args: argv[0] is the command; --dir and -c exclude each other. */
enum cli_parse cli_parse_target_args(int argc, char **argv, struct cli_target_args *a, char *err,
                                     size_t errlen);
/*
 * cli_target_resolve: -c FILE loads the agent configuration (etcd3 hosts, scope,
 * namespace); otherwise DIR (default ./pgha-lab) must hold a lab's cluster.json.
 */
bool cli_target_resolve(const struct cli_target_args *a, struct cli_target *t, char *err,
                        size_t errlen) MUST_CHECK;
/* cli_target_read: one linearizable read of the cluster; false (logged) if etcd is down. */
bool cli_target_read(const struct cli_target *t, int timeout_ms, struct dcs_view *view) MUST_CHECK;
/*
 * cli_print_members: reads the cluster and prints the members table (or the JSON
 * object) on stdout. Returns the exit status: EXIT_OK, or EXIT_UNAVAIL with a message
 * on stderr when etcd cannot be reached.
 */
int cli_print_members(const struct cli_target *t, bool json);

#endif
