/*
 * ops_args.c: getopt_long parsing of the operations commands, driven by one table of
 * options saying which command takes which.
 */
#include "cli/ops_args.h"

#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_monitor.h"
#include "util/compiler.h"
#include "util/strutil.h"

enum {
	OPT_DIR = 1000,
	OPT_JSON,
	OPT_HELP,
	OPT_FORCE,
	OPT_WAIT,
	OPT_LEADER,
	OPT_CANDIDATE,
	OPT_SCHEDULED,
	OPT_PENDING,
	OPT_PG_VERSION,
	OPT_TIMEOUT,
	OPT_APPLY,
	OPT_REPLACE,
	OPT_INTERVAL,
	OPT_EVENTS,
	OPT_ROUTER_RW,
	OPT_ROUTER_RO,
	OPT_MAX_LAG
};

#define BIT(c)      (1u << (c))
#define ALL         (BIT(OPS__COUNT) - 1u)
#define HANDOVER    (BIT(OPS_SWITCHOVER) | BIT(OPS_FAILOVER))
#define PAUSE_CMDS  (BIT(OPS_PAUSE) | BIT(OPS_RESUME))
#define MAX_OPTIONS 32

struct opt_row {
	const char *name;
	int has_arg;
	int id;        /* getopt value: a short option's letter or OPT_* */
	unsigned cmds; /* BIT() of the commands that take it */
};

static const struct opt_row opt_rows[] = {
    {"dir", required_argument, OPT_DIR, ALL},
    {"config", required_argument, 'c', ALL},
    {"help", no_argument, OPT_HELP, ALL},
    {"json", no_argument, OPT_JSON, BIT(OPS_HISTORY) | BIT(OPS_SHOW_CONFIG) | BIT(OPS_HEALTH)},
    {"force", no_argument, OPT_FORCE,
     HANDOVER | BIT(OPS_RESTART) | BIT(OPS_REINIT) | BIT(OPS_EDIT_CONFIG)},
    {"wait", no_argument, OPT_WAIT, BIT(OPS_REINIT) | PAUSE_CMDS},
    {"leader", required_argument, OPT_LEADER, HANDOVER},
    {"primary", required_argument, OPT_LEADER, HANDOVER},
    {"candidate", required_argument, OPT_CANDIDATE, HANDOVER},
    {"scheduled", required_argument, OPT_SCHEDULED, BIT(OPS_SWITCHOVER) | BIT(OPS_RESTART)},
    {"pending", no_argument, OPT_PENDING, BIT(OPS_RESTART)},
    {"pg-version", required_argument, OPT_PG_VERSION, BIT(OPS_RESTART)},
    {"timeout", required_argument, OPT_TIMEOUT, BIT(OPS_RESTART) | BIT(OPS_REINIT) | PAUSE_CMDS},
    {"set", required_argument, 's', BIT(OPS_EDIT_CONFIG)},
    {"pg", required_argument, 'p', BIT(OPS_EDIT_CONFIG)},
    {"apply", required_argument, OPT_APPLY, BIT(OPS_EDIT_CONFIG)},
    {"replace", required_argument, OPT_REPLACE, BIT(OPS_EDIT_CONFIG)},
    {"quiet", no_argument, 'q', BIT(OPS_EDIT_CONFIG)},
    {"interval", required_argument, OPT_INTERVAL, BIT(OPS_MONITOR)},
    {"events", required_argument, OPT_EVENTS, BIT(OPS_MONITOR)},
    {"router-rw", required_argument, OPT_ROUTER_RW, BIT(OPS_HEALTH)},
    {"router-ro", required_argument, OPT_ROUTER_RO, BIT(OPS_HEALTH)},
    {"max-lag", required_argument, OPT_MAX_LAG, BIT(OPS_HEALTH)},
};

static const char *const cmd_names[OPS__COUNT] = {
    [OPS_SWITCHOVER] = "switchover",
    [OPS_FAILOVER] = "failover",
    [OPS_RESTART] = "restart",
    [OPS_REINIT] = "reinit",
    [OPS_PAUSE] = "pause",
    [OPS_RESUME] = "resume",
    [OPS_HISTORY] = "history",
    [OPS_SHOW_CONFIG] = "show-config",
    [OPS_EDIT_CONFIG] = "edit-config",
    [OPS_HEALTH] = "health",
    [OPS_MONITOR] = "monitor",
};

#define TARGET_USAGE "[--dir DIR | -c FILE]"

static const char *const usages[OPS__COUNT] = {
    [OPS_SWITCHOVER] =
        "usage: pgha switchover " TARGET_USAGE " [--leader NAME] [--candidate NAME]\n"
        "                       [--scheduled TIME] [--force]\n\n"
        "Planned hand-over of the leader role: shows the members, asks for confirmation\n"
        "(unless --force) and asks the leader's REST API (POST /switchover) to hand over\n"
        "to the candidate (default: the best one). --scheduled takes an ISO 8601 time\n"
        "(local time when it has no zone). When that REST API refuses connections, the\n"
        "request goes into etcd's failover key instead (as patronictl falls back to the\n"
        "DCS) and pgha waits for the new leader. Exit status 1 when the agent refuses or\n"
        "fails.\n",
    [OPS_FAILOVER] =
        "usage: pgha failover " TARGET_USAGE " --candidate NAME [--leader NAME] [--force]\n\n"
        "Manual failover to a named member (POST /failover). With a running leader this\n"
        "is a switchover to that member, as in Patroni; in a leaderless cluster the\n"
        "candidate is promoted without the usual lag checks. Falls back to etcd as\n"
        "switchover does.\n",
    [OPS_RESTART] = "usage: pgha restart " TARGET_USAGE " NODE... [--pending] [--pg-version X.Y]\n"
                    "                    [--timeout SECONDS] [--scheduled TIME] [--force]\n\n"
                    "Restarts PostgreSQL on the named members (POST /restart on each), after\n"
                    "confirmation unless --force. --pending: only if a restart is pending;\n"
                    "--pg-version: only if the running version is older.\n",
    [OPS_REINIT] =
        "usage: pgha reinit " TARGET_USAGE " NODE... [--wait [--timeout SECONDS]] [--force]\n\n"
        "Re-clones replicas from the leader (POST /reinitialize on each); the old data\n"
        "directory is moved aside, never deleted. --wait: until they stream again.\n",
    [OPS_PAUSE] = "usage: pgha pause " TARGET_USAGE " [--wait [--timeout SECONDS]]\n\n"
                  "Maintenance mode: no automatic failover or restart (PATCH /config\n"
                  "{\"pause\": true}). --wait: until every member reports it.\n",
    [OPS_RESUME] = "usage: pgha resume " TARGET_USAGE " [--wait [--timeout SECONDS]]\n\n"
                   "Leaves maintenance mode (PATCH /config {\"pause\": null}).\n",
    [OPS_HISTORY] = "usage: pgha history " TARGET_USAGE " [--json]\n\n"
                    "The timeline history of the cluster (failovers and switchovers).\n",
    [OPS_SHOW_CONFIG] = "usage: pgha show-config " TARGET_USAGE " [--json]\n\n"
                        "The cluster's dynamic configuration (etcd key \"config\") as YAML.\n",
    [OPS_EDIT_CONFIG] =
        "usage: pgha edit-config " TARGET_USAGE " [--set KEY=VALUE]... [--pg NAME=VALUE]...\n"
        "                        [--apply FILE | --replace FILE] [--quiet] [--force]\n\n"
        "Changes the dynamic configuration. KEY is dotted (postgresql.parameters.work_mem);\n"
        "VALUE is a YAML scalar (2, on, '5', [a, b]); an empty VALUE removes the key.\n"
        "--pg NAME=VALUE is --set postgresql.parameters.NAME=VALUE. --apply merges a YAML\n"
        "or JSON file (null removes), --replace replaces the whole configuration; '-' reads\n"
        "stdin. Without any of them, and on a terminal, $EDITOR edits the YAML. Shows the\n"
        "diff and asks before writing (unless --force); the write is a compare-and-swap\n"
        "on the key's revision, so a concurrent change is never overwritten.\n",
    [OPS_HEALTH] =
        "usage: pgha health " TARGET_USAGE " [--json] [--max-lag SIZE]\n"
        "                   [--router-rw HOST:PORT] [--router-ro HOST:PORT]\n\n"
        "One pass/fail report of the whole client path: etcd quorum, one leader answering\n"
        "/primary, every replica streaming within the lag limit (default\n"
        "maximum_lag_on_failover), the synchronous standby, each member's pooler, and the\n"
        "router's read-write and read-only ports. Exit status 0 only if nothing FAILs.\n",
    [OPS_MONITOR] =
        "usage: pgha monitor " TARGET_USAGE " [--interval SECONDS] [--events N]\n\n"
        "Live view of the cluster, redrawn on every etcd change (and every --interval,\n"
        "default 2 s): the members table and the last N events (leader changes, members\n"
        "joining or leaving, role and state changes). When stdout is not a terminal it\n"
        "prints one line per event instead. Ctrl-C exits.\n",
};

const char *ops_cmd_name(enum ops_cmd cmd)
{
	return (unsigned)cmd < OPS__COUNT ? cmd_names[cmd] : "?";
}

const char *ops_usage(enum ops_cmd cmd)
{
	return (unsigned)cmd < OPS__COUNT ? usages[cmd] : "";
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

/* build_options: the getopt tables of cmd: long options and "c:h" style short ones. */
static void build_options(enum ops_cmd cmd, struct option *longs, char *shorts)
{
	int n = 0;
	char *s = shorts;

	*s++ = ':'; /* report a missing value as ':' */
	*s++ = 'h';
	for (size_t i = 0; i < ARRAY_LEN(opt_rows); i++) {
		if (!(opt_rows[i].cmds & BIT(cmd)))
			continue;
		longs[n++] =
		    (struct option){opt_rows[i].name, opt_rows[i].has_arg, NULL, opt_rows[i].id};
		if (opt_rows[i].id < 128) {
			*s++ = (char)opt_rows[i].id;
			if (opt_rows[i].has_arg == required_argument)
				*s++ = ':';
		}
	}
	longs[n] = (struct option){NULL, 0, NULL, 0};
	*s = '\0';
}

static bool interval_arg(const char *arg, int *ms)
{
	char *end;
	double s = strtod(arg, &end);

	if (end == arg || *end != '\0' || !isfinite(s) || s < 0.1 || s > 3600.0)
		return false;
	*ms = (int)lround(s * 1000.0);
	return true;
}

static bool push(const char **list, int *n, const char *value)
{
	if (*n >= OPS_MAX_SETS)
		return false;
	list[(*n)++] = value;
	return true;
}

/* value_option: options with a value that need checking; false with err set. */
static bool value_option(int c, const char *arg, struct ops_args *a, char *err, size_t errlen)
{
	int64_t bytes;

	switch (c) {
	case OPT_TIMEOUT:
		if (str_parse_int(arg, &a->timeout_s) && a->timeout_s > 0 && a->timeout_s <= 86400)
			return true;
		fail(err, errlen, "--timeout: expected seconds from 1 to 86400, got '%s'", arg);
		return false;
	case OPT_INTERVAL:
		if (interval_arg(arg, &a->interval_ms))
			return true;
		fail(err, errlen, "--interval: expected seconds from 0.1 to 3600, got '%s'", arg);
		return false;
	case OPT_EVENTS:
		if (str_parse_int(arg, &a->events) && a->events >= 0 && a->events <= OPS_MON_RING)
			return true;
		fail(err, errlen, "--events: expected a number from 0 to %d, got '%s'",
		     OPS_MON_RING, arg);
		return false;
	case OPT_MAX_LAG:
		if (str_parse_bytes(arg, &bytes) && bytes >= 0) {
			a->max_lag_bytes = bytes;
			return true;
		}
		fail(err, errlen, "--max-lag: expected a size like 1048576, 16kB or 10MB, got '%s'",
		     arg);
		return false;
	case 's':
	case 'p':
		if (push(c == 's' ? a->sets : a->pg_sets, c == 's' ? &a->n_sets : &a->n_pg_sets,
		         arg))
			return true;
		fail(err, errlen, "too many --set/--pg options (at most %d)", OPS_MAX_SETS);
		return false;
	default:
		fail(err, errlen, "internal error: option %d", c);
		return false;
	}
}

/* take_option: stores one parsed option; false with err set. */
static bool take_option(int c, const char *arg, struct ops_args *a, char *err, size_t errlen)
{
	switch (c) {
	case OPT_DIR:
		a->target.dir = arg;
		return true;
	case 'c':
		a->target.config = arg;
		return true;
	case OPT_JSON:
		a->target.json = true;
		return true;
	case OPT_FORCE:
		a->force = true;
		return true;
	case OPT_WAIT:
		a->wait = true;
		return true;
	case OPT_PENDING:
		a->pending = true;
		return true;
	case 'q':
		a->quiet = true;
		return true;
	case OPT_LEADER:
		a->leader = arg;
		return true;
	case OPT_CANDIDATE:
		a->candidate = arg;
		return true;
	case OPT_SCHEDULED:
		a->scheduled = str_eq(arg, "now") ? NULL : arg;
		return true;
	case OPT_PG_VERSION:
		a->pg_version = arg;
		return true;
	case OPT_APPLY:
		a->apply_file = arg;
		return true;
	case OPT_REPLACE:
		a->replace_file = arg;
		return true;
	case OPT_ROUTER_RW:
		a->router_rw = arg;
		return true;
	case OPT_ROUTER_RO:
		a->router_ro = arg;
		return true;
	default:
		return value_option(c, arg, a, err, errlen);
	}
}

static bool takes_nodes(enum ops_cmd cmd)
{
	return cmd == OPS_RESTART || cmd == OPS_REINIT;
}

static enum cli_parse positional(enum ops_cmd cmd, int argc, char **argv, struct ops_args *a,
                                 char *err, size_t errlen)
{
	if (!takes_nodes(cmd)) {
		if (optind < argc)
			return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
		return CLI_PARSE_OK;
	}
	for (int i = optind; i < argc; i++) {
		if (a->n_nodes >= OPS_MAX_NODES)
			return fail(err, errlen, "too many members (at most %d)", OPS_MAX_NODES);
		if (argv[i][0] == '\0')
			return fail(err, errlen, "empty member name");
		a->nodes[a->n_nodes++] = argv[i];
	}
	if (a->n_nodes == 0)
		return fail(err, errlen, "name the member(s) to %s", ops_cmd_name(cmd));
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
	struct option longs[MAX_OPTIONS];
	char shorts[2 * MAX_OPTIONS];
	int c;

	set_defaults(cmd, a);
	if ((unsigned)cmd >= OPS__COUNT)
		return fail(err, errlen, "unknown command");
	build_options(cmd, longs, shorts);
	optind = 0; /* a fresh scan, even if getopt ran before in this process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const char *cur = optind > 0 && optind - 1 < argc ? argv[optind - 1] : "?";

		if (c == 'h' || c == OPT_HELP)
			return CLI_PARSE_HELP;
		if (c == ':')
			return fail(err, errlen, "option %s needs a value", cur);
		if (c == '?')
			return fail(err, errlen, "%s does not take option %s", ops_cmd_name(cmd),
			            cur);
		if (!take_option(c, optarg, a, err, errlen))
			return CLI_PARSE_ERROR;
	}
	if (positional(cmd, argc, argv, a, err, errlen) != CLI_PARSE_OK)
		return CLI_PARSE_ERROR;
	return check_combinations(a, err, errlen);
}
