/*
 * cmd_lab.c: `pgha up` and `pgha down`: start and stop a complete local cluster (the
 * work is in lab/, lab.h).
 */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "lab/lab.h"

#define UP(member)   offsetof(struct lab_up_opts, member)
#define DOWN(member) offsetof(struct lab_down_opts, member)
#define SET(member)  ARG_SEEN(struct lab_up_opts, member)

static const struct arg_opt up_opts[] = {
    ARG_STR_OPT("dir", 0, UP(dir), 0),
    ARG_INT_OPT("nodes", UP(n_nodes), 1, LAB_MAX_NODES, SET(nodes_set)),
    ARG_INT_OPT("base-port", UP(base_port), 1024, 65535 - LAB_PLAN_SPAN + 1, SET(base_port_set)),
    ARG_INT_OPT("router-port", UP(router_port), 1024, 65534, SET(router_port_set)),
    ARG_STR_OPT("scope", 0, UP(scope), SET(scope_set)),
    ARG_STR_OPT("os-user", 0, UP(os_user), 0),
    ARG_INT_OPT("timeout", UP(timeout_s), 1, 3600, 0),
    ARG_STR_OPT("pg-bin-dir", 0, UP(pg_bin_dir), SET(pg_bin_dir_set)),
    ARG_FLAG_OPT("insecure", 0, UP(insecure)),
    ARG_FLAG_OPT("no-backup", 0, UP(no_backup)),
    ARG_STR_OPT("backup-repo", 0, UP(backup_repo), 0),
    ARG_STR_OPT("restore-from", 0, UP(restore_from), 0),
    ARG_STR_OPT("restore-time", 0, UP(restore_time), 0),
    ARG_STR_OPT("restore-backup", 0, UP(restore_backup), 0),
};

const struct cli_spec cli_up_spec = {
    "up",
    "usage: pgha up [--dir DIR] [--nodes N] [--base-port P] [--router-port R]\n"
    "               [--scope NAME] [--os-user USER] [--timeout SECONDS]\n"
    "               [--pg-bin-dir DIR] [--insecure] [--no-backup | --backup-repo FILE]\n"
    "               [--restore-from DIR [--restore-time TIME | --restore-backup LABEL]]\n\n"
    "Starts a local cluster in DIR (default ./pgha-lab): 3 etcd members, N nodes\n"
    "(default 3, at most 9), each an agent with its PostgreSQL and PgBouncer, and a\n"
    "router, all on 127.0.0.1, and waits until one leader and N-1 streaming replicas\n"
    "are up and service=rw reaches the leader through the router (default timeout\n"
    "120 s; in synchronous mode, until the sync key names a standby too). Ports: P\n"
    "(default 6500) .. P+99, see the plan it prints; the router's read-write port is R\n"
    "(default 5432), its read-only port R+1. Run as root, the cluster runs as --os-user\n"
    "(default postgres), from a copy of this pgha in DIR/bin; when that user cannot\n"
    "reach DIR (a home directory is often 0700), the lab lives under /var/lib/pgha-labs\n"
    "and DIR is a link to it. On an existing DIR it starts only what is not running,\n"
    "or reports the running cluster.\n"
    "Every connection is encrypted and authenticated: a lab CA in DIR/tls signs the\n"
    "certificates of etcd (https, with users), the REST APIs (https), PostgreSQL and\n"
    "PgBouncer (TLS required, sslmode=verify-full in pg_service.conf). --insecure\n"
    "makes a lab without TLS, for debugging with plain tools.\n\n"
    "WAL is archived with pgBackRest into DIR/backup/repo (pgha backup, pgha restore),\n"
    "unless --no-backup; --backup-repo FILE names another repository: a file of\n"
    "pgBackRest options, name=value a line (repo1-type=s3, repo1-s3-bucket=...,\n"
    "archive-async=y).\n"
    "--restore-from DIR makes the new cluster from the backups of the lab in DIR: to\n"
    "the end of its archive, to --restore-time 'YYYY-MM-DD HH:MM:SS+ZZ', or to the\n"
    "consistency point of --restore-backup LABEL (see pgha backup list --dir DIR).\n",
    up_opts,
    ARRAY_LEN(up_opts),
};

static const struct arg_opt down_opts[] = {
    ARG_STR_OPT("dir", 0, DOWN(dir), 0),
    ARG_FLAG_OPT("keep", 0, DOWN(keep)),
    ARG_INT_OPT("timeout", DOWN(timeout_s), 1, 3600, 0),
};

const struct cli_spec cli_down_spec = {
    "down",
    "usage: pgha down [--dir DIR] [--keep] [--timeout SECONDS]\n\n"
    "Stops every process `pgha up` started in DIR (default ./pgha-lab), by pid:\n"
    "the router, the replicas' agents, the leader's, then etcd (SIGTERM, SIGKILL\n"
    "after the timeout, default 60 s), and removes DIR unless --keep.\n",
    down_opts,
    ARRAY_LEN(down_opts),
};

/* already_running: the members of a running lab, and how to reach its router. */
static int already_running(const struct lab_cluster *c)
{
	struct client cl;

	printf("The lab \"%s\" in %s is already running:\n", c->scope, c->dir);
	lab_client(c, &cl);
	(void)ops_list(&cl, false); /* the processes run: a report, not a check */
	printf("Router: read-write 127.0.0.1:%d, read-only 127.0.0.1:%d "
	       "(PGSERVICEFILE=%s/pg_service.conf psql service=rw)\n",
	       c->plan.router_rw_port, c->plan.router_ro_port, lab_shown_dir(c));
	return EXIT_OK;
}

int cmd_up(int argc, char **argv)
{
	struct lab_cluster c;
	struct lab_up_opts o;
	int rc;

	lab_up_defaults(&o);
	if ((rc = cli_parse(&cli_up_spec, argc, argv, &o)) >= 0)
		return rc;
	if (!lab_scope_valid(o.scope))
		return cli_usage_error(&cli_up_spec, "--scope: 1 to %d letters, digits, '_' or '-'",
		                       LAB_NAME_LEN - 1);
	switch (lab_up_run(&o, &c)) {
	case LAB_UP_STARTED:
		return EXIT_OK;
	case LAB_UP_ALREADY_RUNNING:
		return already_running(&c);
	case LAB_UP_FAILED:
		return EXIT_FAILED;
	case LAB_UP_USAGE:
		return EXIT_USAGE;
	}
	return EXIT_FAILED;
}

int cmd_down(int argc, char **argv)
{
	struct lab_down_opts o;
	int rc;

	lab_down_defaults(&o);
	if ((rc = cli_parse(&cli_down_spec, argc, argv, &o)) >= 0)
		return rc;
	switch (lab_down_run(&o)) {
	case LAB_DOWN_OK:
		return EXIT_OK;
	case LAB_DOWN_FAILED:
		return EXIT_FAILED;
	case LAB_DOWN_USAGE:
		return EXIT_USAGE;
	}
	return EXIT_FAILED;
}
