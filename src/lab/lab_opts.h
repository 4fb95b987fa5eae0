/*
 * lab_opts.h: the command-line options of `pgha up` and `pgha down`.
 *
 * Pure: parses argv (argv[0] is the subcommand name) into a struct whose strings are
 * borrowed from argv; errors are returned in err, nothing is printed.
 */
#ifndef PGHA_LAB_LAB_OPTS_H
#define PGHA_LAB_LAB_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#define LAB_DEFAULT_NODES     3
#define LAB_DEFAULT_TIMEOUT_S 120
#define LAB_DEFAULT_STOP_S    60
#define LAB_DEFAULT_PG_BIN    "/usr/lib/postgresql/15/bin"

enum lab_parse {
	LAB_PARSE_OK = 0,
	LAB_PARSE_HELP, /* --help was asked for */
	LAB_PARSE_ERROR
};

struct lab_up_opts {
	const char *dir;        /* --dir, default "pgha-lab" (relative to the cwd) */
	int n_nodes;            /* --nodes */
	int base_port;          /* --base-port */
	int router_port;        /* --router-port: the router's read-write port, read-only +1 */
	const char *scope;      /* --scope */
	const char *os_user;    /* --os-user; NULL = "postgres" when root, else ourselves */
	int timeout_s;          /* --timeout: overall wait for a healthy cluster */
	const char *pg_bin_dir; /* --pg-bin-dir */
	/* Which of the above were given explicitly (they must match an existing lab). */
	bool nodes_set;
	bool base_port_set;
	bool router_port_set;
	bool scope_set;
	bool pg_bin_dir_set;
};

struct lab_down_opts {
	const char *dir; /* --dir */
	bool keep;       /* --keep: leave the directory (data, logs) in place */
	int timeout_s;   /* --timeout: per group of processes, before SIGKILL */
};

enum lab_parse lab_up_opts_parse(int argc, char **argv, struct lab_up_opts *o, char *err,
                                 size_t errlen);
enum lab_parse lab_down_opts_parse(int argc, char **argv, struct lab_down_opts *o, char *err,
                                   size_t errlen);

#endif
