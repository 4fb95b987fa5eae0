/*
 * chaos_args.c: scenarios and command line of `pgha chaos` (see chaos_args.h).
 */
#include "chaos/chaos_args.h"

#include <stdio.h>
#include <string.h>
#include "lab/lab_cluster.h"
#include "util/compiler.h"
#include "util/strutil.h"

#define MAX_TIMEOUT_S 3600

static const char *const scenario_names[CHAOS__COUNT] = {
    [CHAOS_KILL_PRIMARY] = "kill-primary",     [CHAOS_CRASH_POSTGRES] = "crash-postgres",
    [CHAOS_KILL_AGENT] = "kill-agent",         [CHAOS_FREEZE_PRIMARY] = "freeze-primary",
    [CHAOS_SWITCHOVER] = "switchover",
};

const char *chaos_scenario_str(enum chaos_scenario s)
{
	return (unsigned)s < CHAOS__COUNT ? scenario_names[s] : "?";
}

bool chaos_scenario_parse(const char *name, enum chaos_scenario *out)
{
	for (int i = 0; i < CHAOS__COUNT; i++) {
		if (str_eq(name, scenario_names[i])) {
			*out = (enum chaos_scenario)i;
			return true;
		}
	}
	return false;
}

const char *chaos_usage(void)
{
	return "usage: pgha chaos [--dir DIR] --scenario S [--json] [--no-restart] "
	       "[--timeout SECONDS]\n"
	       "\n"
	       "Runs a writer through service=rw that records every acknowledged id, injects\n"
	       "a fault on the current primary, waits for recovery and for the victim to\n"
	       "rejoin, and verifies that every acknowledged id is on the new primary.\n"
	       "\n"
	       "Scenarios:\n"
	       "  kill-primary    SIGKILL of the primary's agent and PostgreSQL tree (host lost)\n"
	       "  crash-postgres  SIGKILL of the primary's postmaster; its agent stays\n"
	       "  kill-agent      SIGKILL of the primary's agent only\n"
	       "  freeze-primary  SIGSTOP of the primary's processes for TTL + 2 s, then SIGCONT\n"
	       "  switchover      a planned switchover (the request `pgha switchover` sends)\n"
	       "\n"
	       "Options:\n"
	       "  --dir DIR          the lab (default ./pgha-lab)\n"
	       "  --json             one JSON object on stdout instead of the timeline\n"
	       "  --no-restart       do not restart what was killed, do not wait for the rejoin\n"
	       "  --timeout SECONDS  bound on recovery (default 30; the rejoin gets 4x)\n"
	       "\n"
	       "Exit status: 0 when no acknowledged write was lost, there was never more than\n"
	       "one writable primary and the cluster healed; 1 otherwise; 2 bad usage; 3 etcd\n"
	       "unreachable.\n";
}

/* value: the argument of option argv[*i], advancing *i; NULL (err set) if missing. */
static const char *value(int argc, char **argv, int *i, char *err, size_t errlen)
{
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static bool parse_timeout(const char *v, int *out, char *err, size_t errlen)
{
	if (!str_parse_int(v, out) || *out < 1 || *out > MAX_TIMEOUT_S) {
		snprintf(err, errlen, "--timeout: '%s' is not a number of seconds (1..%d)", v,
		         MAX_TIMEOUT_S);
		return false;
	}
	return true;
}

enum cli_parse chaos_args_parse(int argc, char **argv, struct chaos_args *a, char *err,
                                size_t errlen)
{
	const char *scenario = NULL;

	memset(a, 0, sizeof(*a));
	a->dir = LAB_DEFAULT_DIR;
	a->timeout_s = CHAOS_DEFAULT_TIMEOUT_S;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = NULL;

		if (str_eq(o, "--help") || str_eq(o, "-h"))
			return CLI_PARSE_HELP;
		if (str_eq(o, "--json")) {
			a->json = true;
		} else if (str_eq(o, "--no-restart")) {
			a->no_restart = true;
		} else if (str_eq(o, "--dir") || str_eq(o, "--scenario") || str_eq(o, "--timeout")) {
			if ((v = value(argc, argv, &i, err, errlen)) == NULL)
				return CLI_PARSE_ERROR;
			if (str_eq(o, "--dir"))
				a->dir = v;
			else if (str_eq(o, "--scenario"))
				scenario = v;
			else if (!parse_timeout(v, &a->timeout_s, err, errlen))
				return CLI_PARSE_ERROR;
		} else {
			snprintf(err, errlen, "unknown option '%s'", o);
			return CLI_PARSE_ERROR;
		}
	}
	if (scenario == NULL) {
		snprintf(err, errlen, "--scenario is required");
		return CLI_PARSE_ERROR;
	}
	if (!chaos_scenario_parse(scenario, &a->scenario)) {
		snprintf(err, errlen,
		         "unknown scenario '%s' (kill-primary, crash-postgres, kill-agent, "
		         "freeze-primary, switchover)",
		         scenario);
		return CLI_PARSE_ERROR;
	}
	return CLI_PARSE_OK;
}
