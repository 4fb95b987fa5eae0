/*
 * ops_args.c: the operations commands' options: one table saying which command takes
 * which, parsed by util/args.h.
 */
#include "cli/ops_args.h"

#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_monitor.h"
#include "util/args.h"
#include "util/compiler.h"
#include "util/iso8601.h"
#include "util/strutil.h"

#define BIT(c)      (1u << (c))
#define ALL         (BIT(OPS__COUNT) - 1u)
#define HANDOVER    (BIT(OPS_SWITCHOVER) | BIT(OPS_FAILOVER))
#define PAUSE_CMDS  (BIT(OPS_PAUSE) | BIT(OPS_RESUME))
#define BACKUPS     (BIT(OPS_BACKUP) | BIT(OPS_BACKUP_CHECK))
#define MAX_OPTIONS 32
#define F(member)   offsetof(struct ops_args, member)

static arg_parse_fn parse_scheduled, parse_interval, parse_max_lag, parse_push, parse_backup_type,
    parse_time;

struct opt_row {
	struct arg_opt opt;
	unsigned cmds; /* BIT() of the commands that take it */
};

static const struct opt_row opt_rows[] = {
    {ARG_STR_OPT("dir", 0, F(target.dir), 0), ALL},
    {ARG_STR_OPT("config", 'c', F(target.config), 0), ALL},
    {ARG_FLAG_OPT("json", 0, F(target.json)), BIT(OPS_HISTORY) | BIT(OPS_SHOW_CONFIG) |
                                                  BIT(OPS_HEALTH) | BIT(OPS_LIST) |
                                                  BIT(OPS_BACKUP_LIST) | BIT(OPS_VERIFY)},
    {ARG_FLAG_OPT("force", 0, F(force)),
     HANDOVER | BIT(OPS_RESTART) | BIT(OPS_REINIT) | BIT(OPS_EDIT_CONFIG) | BIT(OPS_RESTORE)},
    {ARG_FLAG_OPT("wait", 0, F(wait)), BIT(OPS_REINIT) | PAUSE_CMDS},
    {ARG_STR_OPT("leader", 0, F(leader), 0), HANDOVER},
    {ARG_STR_OPT("primary", 0, F(leader), 0), HANDOVER},
    {ARG_STR_OPT("candidate", 0, F(candidate), 0), HANDOVER},
    {ARG_CUSTOM_OPT("scheduled", 0, F(scheduled), parse_scheduled, 0),
     BIT(OPS_SWITCHOVER) | BIT(OPS_RESTART)},
    {ARG_FLAG_OPT("pending", 0, F(pending)), BIT(OPS_RESTART)},
    {ARG_STR_OPT("pg-version", 0, F(pg_version), 0), BIT(OPS_RESTART)},
    {ARG_INT_OPT("timeout", F(timeout_s), 1, 86400, 0), BIT(OPS_RESTART) | BIT(OPS_REINIT) |
                                                            PAUSE_CMDS | BACKUPS |
                                                            BIT(OPS_RESTORE) | BIT(OPS_VERIFY)},
    {ARG_CUSTOM_OPT("type", 0, F(backup_type), parse_backup_type, 0), BIT(OPS_BACKUP)},
    {ARG_CUSTOM_OPT("time", 0, F(restore_time), parse_time, 0), BIT(OPS_RESTORE)},
    {ARG_FLAG_OPT("latest", 0, F(restore_latest)), BIT(OPS_RESTORE)},
    {ARG_STR_OPT("backup", 0, F(restore_backup), 0), BIT(OPS_RESTORE)},
    {ARG_FLAG_OPT("abort", 0, F(abort)), BIT(OPS_RESTORE)},
    {ARG_CUSTOM_OPT("set", 's', F(sets), parse_push, 0), BIT(OPS_EDIT_CONFIG)},
    {ARG_CUSTOM_OPT("pg", 'p', F(pg_sets), parse_push, 0), BIT(OPS_EDIT_CONFIG)},
    {ARG_STR_OPT("apply", 0, F(apply_file), 0), BIT(OPS_EDIT_CONFIG)},
    {ARG_STR_OPT("replace", 0, F(replace_file), 0), BIT(OPS_EDIT_CONFIG)},
    {ARG_FLAG_OPT("quiet", 'q', F(quiet)), BIT(OPS_EDIT_CONFIG)},
    {ARG_CUSTOM_OPT("interval", 0, F(interval_ms), parse_interval, 0), BIT(OPS_MONITOR)},
    {ARG_INT_OPT("events", F(events), 0, OPS_MON_RING, 0), BIT(OPS_MONITOR)},
    {ARG_STR_OPT("router-rw", 0, F(router_rw), 0), BIT(OPS_HEALTH) | BIT(OPS_VERIFY)},
    {ARG_STR_OPT("router-ro", 0, F(router_ro), 0), BIT(OPS_HEALTH) | BIT(OPS_VERIFY)},
    {ARG_CUSTOM_OPT("max-lag", 0, F(max_lag_bytes), parse_max_lag, 0),
     BIT(OPS_HEALTH) | BIT(OPS_VERIFY)},
    {ARG_STR_OPT("exec", 0, F(exec), 0), BIT(OPS_VERIFY)},
};

#define TARGET_USAGE "[--dir DIR | -c FILE]"

/* Each command's name and usage text. */
static const struct {
	const char *name;
	const char *usage;
} commands[OPS__COUNT] = {
    [OPS_SWITCHOVER] =
        {"switchover",
         "usage: pgha switchover " TARGET_USAGE " [--leader NAME] [--candidate NAME]\n"
         "                       [--scheduled TIME] [--force]\n\n"
         "Planned hand-over of the leader role: shows the members, asks for confirmation\n"
         "(unless --force) and asks the leader's REST API (POST /switchover) to hand over\n"
         "to the candidate (default: the best one). --scheduled takes an ISO 8601 time\n"
         "(local time when it has no zone). When that REST API refuses connections, the\n"
         "request goes into etcd's failover key instead (as patronictl falls back to the\n"
         "DCS) and pgha waits for the new leader. Exit status 1 when the agent refuses or\n"
         "fails.\n"},
    [OPS_FAILOVER] =
        {"failover",
         "usage: pgha failover " TARGET_USAGE " --candidate NAME [--leader NAME] [--force]\n\n"
         "Manual failover to a named member (POST /failover). With a running leader this\n"
         "is a switchover to that member, as in Patroni; in a leaderless cluster the\n"
         "candidate is promoted without the usual lag checks. Falls back to etcd as\n"
         "switchover does.\n"},
    [OPS_RESTART] = {"restart",
                     "usage: pgha restart " TARGET_USAGE " NODE... [--pending] [--pg-version X.Y]\n"
                     "                    [--timeout SECONDS] [--scheduled TIME] [--force]\n\n"
                     "Restarts PostgreSQL on the named members (POST /restart on each), after\n"
                     "confirmation unless --force. --pending: only if a restart is pending;\n"
                     "--pg-version: only if the running version is older.\n"},
    [OPS_REINIT] =
        {"reinit",
         "usage: pgha reinit " TARGET_USAGE " NODE... [--wait [--timeout SECONDS]] [--force]\n\n"
         "Re-clones replicas from the leader (POST /reinitialize on each); the old data\n"
         "directory is moved aside, never deleted. --wait: until they stream again.\n"},
    [OPS_PAUSE] = {"pause", "usage: pgha pause " TARGET_USAGE " [--wait [--timeout SECONDS]]\n\n"
                            "Maintenance mode: no automatic failover or restart (PATCH /config\n"
                            "{\"pause\": true}). --wait: until every member reports it.\n"},
    [OPS_RESUME] = {"resume", "usage: pgha resume " TARGET_USAGE " [--wait [--timeout SECONDS]]\n\n"
                              "Leaves maintenance mode (PATCH /config {\"pause\": null}).\n"},
    [OPS_HISTORY] = {"history",
                     "usage: pgha history " TARGET_USAGE " [--json]\n\n"
                     "The timeline history of the cluster (failovers and switchovers).\n"},
    [OPS_SHOW_CONFIG] = {"show-config",
                         "usage: pgha show-config " TARGET_USAGE " [--json]\n\n"
                         "The cluster's dynamic configuration (etcd key \"config\") as YAML.\n"},
    [OPS_EDIT_CONFIG] =
        {"edit-config",
         "usage: pgha edit-config " TARGET_USAGE " [--set KEY=VALUE]... [--pg NAME=VALUE]...\n"
         "                        [--apply FILE | --replace FILE] [--quiet] [--force]\n\n"
         "Changes the dynamic configuration. KEY is dotted (postgresql.parameters.work_mem);\n"
         "VALUE is a YAML scalar (2, on, '5', [a, b]); an empty VALUE removes the key.\n"
         "--pg NAME=VALUE is --set postgresql.parameters.NAME=VALUE. --apply merges a YAML\n"
         "or JSON file (null removes), --replace replaces the whole configuration; '-' reads\n"
         "stdin. Without any of them, and on a terminal, $EDITOR edits the YAML. Shows the\n"
         "diff and asks before writing (unless --force); the write is a compare-and-swap\n"
         "on the key's revision, so a concurrent change is never overwritten.\n"},
    [OPS_HEALTH] =
        {"health",
         "usage: pgha health " TARGET_USAGE " [--json] [--max-lag SIZE]\n"
         "                   [--router-rw HOST:PORT] [--router-ro HOST:PORT]\n\n"
         "One pass/fail report of the whole client path: etcd quorum, one leader answering\n"
         "/primary, every replica streaming within the lag limit (default\n"
         "maximum_lag_on_failover), the synchronous standby, each member's pooler, and the\n"
         "router's read-write and read-only ports. Exit status 0 only if nothing FAILs.\n"},
    [OPS_MONITOR] =
        {"monitor",
         "usage: pgha monitor " TARGET_USAGE " [--interval SECONDS] [--events N]\n\n"
         "Live view of the cluster, redrawn on every etcd change (and every --interval,\n"
         "default 2 s): the members table and the last N events (leader changes, members\n"
         "joining or leaving, role and state changes). When stdout is not a terminal it\n"
         "prints one line per event instead. Ctrl-C exits.\n"},
    [OPS_VERIFY] =
        {"verify",
         "usage: pgha verify " TARGET_USAGE " [--json] [--router-rw HOST:PORT]\n"
         "                   [--router-ro HOST:PORT] [--exec COMMAND] [--timeout SECONDS]\n\n"
         "Proves a cluster does what it is for, as nine pass/fail checks with timings: etcd\n"
         "quorum, automatic primary election, streaming replication (a row written on the\n"
         "primary replayed on every replica), health endpoints telling primary from\n"
         "replica, the read-write and read-only ports, automatic failover, zero data loss,\n"
         "the old primary rejoining (pg_rewind), PgBouncer on every node. The failover is\n"
         "a real one: `pgha chaos --scenario kill-primary` under a write load (in a lab by\n"
         "signals; elsewhere by --exec COMMAND, as chaos takes it). The ports are the lab's\n"
         "router, or --router-rw/--router-ro (an NLB's endpoints). Exit status 0 only\n"
         "when all nine pass.\n"},
    [OPS_LIST] = {"list",
                  "usage: pgha list " TARGET_USAGE " [--json]\n\n"
                  "Shows the members of the cluster of a local lab (--dir, default ./pgha-lab)\n"
                  "or of an agent configuration (-c): member, host, role, state, timeline and\n"
                  "lag, read from etcd, and the leader's WAL archiving (files waiting, last\n"
                  "archived). Exit status 3 when etcd cannot be reached.\n"},
    [OPS_BACKUP] =
        {"backup",
         "usage: pgha backup " TARGET_USAGE " [--type full|diff|incr] [--timeout SECONDS]\n"
         "       pgha backup list " TARGET_USAGE " [--json]\n"
         "       pgha backup check " TARGET_USAGE " [--timeout SECONDS]\n\n"
         "Asks the leader for a pgBackRest backup (default full), copied from a streaming\n"
         "standby when backup.standby allows (the primary is spared), and waits for it\n"
         "(default timeout 3600 s): prints its label. Exactly one node takes backups: the\n"
         "leader, which also takes the scheduled ones (backup.full_every, diff_every,\n"
         "incr_every in the cluster's configuration). Exit status 1 when it failed.\n"},
    [OPS_BACKUP_LIST] =
        {"backup list",
         "usage: pgha backup list " TARGET_USAGE " [--json]\n\n"
         "The repository's backups (label, type, start, duration, size, size in the\n"
         "repository, timeline) and the recovery window: from the end of the oldest backup\n"
         "to the last WAL file the leader archived. Reads the repository with pgBackRest,\n"
         "through the node's configuration (a lab's node1, or -c FILE's node).\n"},
    [OPS_BACKUP_CHECK] =
        {"backup check",
         "usage: pgha backup check " TARGET_USAGE " [--timeout SECONDS]\n\n"
         "Asks the leader to run `pgbackrest check`: the archive takes the WAL it is\n"
         "given and the repository is usable. Exit status 1 when it fails.\n"},
    [OPS_RESTORE] =
        {"restore",
         "usage: pgha restore " TARGET_USAGE " (--time 'YYYY-MM-DD HH:MM:SS+ZZ' | --latest |\n"
         "                    --backup LABEL) [--timeout SECONDS] [--force]\n"
         "       pgha restore " TARGET_USAGE " --abort\n\n"
         "Brings the whole cluster back to a point: the time (every commit before it, none\n"
         "after), the end of the archive (--latest), or a backup's consistency point. The\n"
         "cluster is paused, the leader restores its data with pgBackRest (its data\n"
         "directory is kept aside, never deleted) and is promoted on a new timeline, the\n"
         "replicas are made again from it, a full backup is taken, and the cluster resumes.\n"
         "Asks for confirmation unless --force; waits (default 3600 s). --abort removes a\n"
         "restore request nobody carries out.\n"},
};

const char *ops_cmd_name(enum ops_cmd cmd)
{
	return (unsigned)cmd < OPS__COUNT ? commands[cmd].name : "?";
}

const char *ops_usage(enum ops_cmd cmd)
{
	return (unsigned)cmd < OPS__COUNT ? commands[cmd].usage : "";
}

static enum cli_parse fail(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

static enum cli_parse fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CLI_PARSE_ERROR;
}

/* --scheduled TIME: "now" means not scheduled. */
static bool parse_scheduled(const char *arg, void *field, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	*(const char **)field = str_eq(arg, "now") ? NULL : arg;
	return true;
}

/* --interval SECONDS, fractions allowed. */
static bool parse_interval(const char *arg, void *field, char *err, size_t errlen)
{
	char *end;
	double s = strtod(arg, &end);

	if (end == arg || *end != '\0' || !isfinite(s) || s < 0.1 || s > 3600.0) {
		snprintf(err, errlen, "--interval: expected seconds from 0.1 to 3600, got '%s'",
		         arg);
		return false;
	}
	*(int *)field = (int)lround(s * 1000.0);
	return true;
}

static bool parse_max_lag(const char *arg, void *field, char *err, size_t errlen)
{
	int64_t bytes;

	if (str_parse_bytes(arg, &bytes) && bytes >= 0) {
		*(long long *)field = bytes;
		return true;
	}
	snprintf(err, errlen, "--max-lag: expected a size like 1048576, 16kB or 10MB, got '%s'",
	         arg);
	return false;
}

static bool parse_backup_type(const char *arg, void *field, char *err, size_t errlen)
{
	if (str_eq(arg, "full") || str_eq(arg, "diff") || str_eq(arg, "incr")) {
		*(const char **)field = arg;
		return true;
	}
	snprintf(err, errlen, "--type: full, diff or incr, not '%s'", arg);
	return false;
}

/* --time: a date-time with its zone (a restore target must say which instant). */
static bool parse_time(const char *arg, void *field, char *err, size_t errlen)
{
	int64_t ms;

	if (iso8601_parse(arg, &ms) == ISO8601_ZONED) {
		*(const char **)field = arg;
		return true;
	}
	snprintf(err, errlen,
	         "--time: 'YYYY-MM-DD HH:MM:SS+ZZ', with the time zone (Z or +HH:MM), not '%s'",
	         arg);
	return false;
}

/* --set / --pg K=V: one more pair. */
static bool parse_push(const char *arg, void *field, char *err, size_t errlen)
{
	struct ops_pairs *list = field;

	if (list->n >= OPS_MAX_SETS) {
		snprintf(err, errlen, "too many --set/--pg options (at most %d)", OPS_MAX_SETS);
		return false;
	}
	list->v[list->n++] = arg;
	return true;
}

static bool takes_nodes(enum ops_cmd cmd)
{
	return cmd == OPS_RESTART || cmd == OPS_REINIT;
}

static enum cli_parse nodes(int first, int argc, char **argv, struct ops_args *a, char *err,
                            size_t errlen)
{
	for (int i = first; i < argc; i++) {
		if (a->n_nodes >= OPS_MAX_NODES)
			return fail(err, errlen, "too many members (at most %d)", OPS_MAX_NODES);
		if (argv[i][0] == '\0')
			return fail(err, errlen, "empty member name");
		a->nodes[a->n_nodes++] = argv[i];
	}
	if (a->n_nodes == 0)
		return fail(err, errlen, "name the member(s) to %s", ops_cmd_name(a->cmd));
	return CLI_PARSE_OK;
}

/* check_combinations: what each option allows alone but not together. */
static enum cli_parse check_combinations(struct ops_args *a, char *err, size_t errlen)
{
	if (a->target.dir && a->target.config)
		return fail(err, errlen, "use either --dir or -c, not both");
	if (a->cmd == OPS_FAILOVER && (a->candidate == NULL || a->candidate[0] == '\0'))
		return fail(
		    err, errlen,
		    "failover needs --candidate NAME (a switchover lets the cluster choose)");
	if (a->leader && a->candidate && str_eq(a->leader, a->candidate))
		return fail(err, errlen, "--leader and --candidate name the same member");
	if (a->apply_file && a->replace_file)
		return fail(err, errlen, "use either --apply or --replace, not both");
	if (a->apply_file && a->replace_file == NULL && str_eq(a->apply_file, "-") && !a->force)
		return fail(err, errlen, "--apply - reads stdin, so it cannot ask: add --force");
	if (a->replace_file && str_eq(a->replace_file, "-") && !a->force)
		return fail(err, errlen, "--replace - reads stdin, so it cannot ask: add --force");
	if (a->timeout_s > 0 && !a->wait &&
	    (a->cmd == OPS_REINIT || a->cmd == OPS_PAUSE || a->cmd == OPS_RESUME))
		return fail(err, errlen, "--timeout goes with --wait");
	if (a->cmd == OPS_RESTORE) {
		int targets =
		    (a->restore_time != NULL) + a->restore_latest + (a->restore_backup != NULL);

		if (targets != (a->abort ? 0 : 1))
			return fail(err, errlen,
			            a->abort ? "--abort takes no target"
			                     : "give one of --time, --latest, --backup");
	}
	if (a->cmd == OPS_VERIFY && a->target.config && (a->exec == NULL || a->router_rw == NULL))
		return fail(
		    err, errlen,
		    "verify -c: a cluster that is not a lab needs --exec COMMAND (the "
		    "failover's fault) and --router-rw HOST:PORT (its read-write endpoint)");
	return CLI_PARSE_OK;
}

static void set_defaults(enum ops_cmd cmd, struct ops_args *a)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->interval_ms = OPS_DEFAULT_INTERVAL_MS;
	a->events = OPS_DEFAULT_EVENTS;
	a->max_lag_bytes = -1;
}

enum cli_parse ops_args_parse(enum ops_cmd cmd, int argc, char **argv, struct ops_args *a,
                              char *err, size_t errlen)
{
	struct arg_opt opts[MAX_OPTIONS];
	size_t n = 0;
	int first = argc;

	set_defaults(cmd, a);
	if ((unsigned)cmd >= OPS__COUNT)
		return fail(err, errlen, "unknown command");
	for (size_t i = 0; i < ARRAY_LEN(opt_rows); i++)
		if (opt_rows[i].cmds & BIT(cmd))
			opts[n++] = opt_rows[i].opt;
	switch (args_parse(opts, n, argc, argv, a, takes_nodes(cmd) ? &first : NULL, err, errlen)) {
	case ARGS_OK:
		break;
	case ARGS_HELP:
		return CLI_PARSE_HELP;
	case ARGS_ERROR:
		return CLI_PARSE_ERROR;
	}
	if (takes_nodes(cmd) && nodes(first, argc, argv, a, err, errlen) != CLI_PARSE_OK)
		return CLI_PARSE_ERROR;
	return check_combinations(a, err, errlen);
}
