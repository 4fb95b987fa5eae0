/*
 * chaos_args.c: scenarios and command line of `pgha chaos` (see chaos_args.h).
 */
#include "chaos/chaos_args.h"

#include <stdio.h>
#include <string.h>
#include "lab/lab.h"
#include "util/compiler.h"
#include "util/strutil.h"

#define MAX_TIMEOUT_S 3600

static const char *const scenario_names[CHAOS__COUNT] = {
    [CHAOS_KILL_PRIMARY] = "kill-primary", [CHAOS_CRASH_POSTGRES] = "crash-postgres",
    [CHAOS_KILL_AGENT] = "kill-agent",     [CHAOS_FREEZE_PRIMARY] = "freeze-primary",
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

static bool parse_scenario(const char *arg, void *field, char *err, size_t errlen)
{
	if (chaos_scenario_parse(arg, field))
		return true;
	snprintf(err, errlen,
	         "unknown scenario '%s' (kill-primary, crash-postgres, kill-agent, "
	         "freeze-primary, switchover)",
	         arg);
	return false;
}

#define F(member) offsetof(struct chaos_args, member)

static const struct arg_opt chaos_opts[] = {
    ARG_STR_OPT("dir", 0, F(dir), 0),
    ARG_CUSTOM_OPT("scenario", 0, F(scenario), parse_scenario,
                   ARG_SEEN(struct chaos_args, scenario_set)),
    ARG_FLAG_OPT("json", 0, F(json)),
    ARG_FLAG_OPT("no-restart", 0, F(no_restart)),
    ARG_INT_OPT("timeout", F(timeout_s), 1, MAX_TIMEOUT_S, 0),
};

enum args_result chaos_args_parse(int argc, char **argv, struct chaos_args *a, char *err,
                                  size_t errlen)
{
	enum args_result r;

	memset(a, 0, sizeof(*a));
	a->dir = LAB_DEFAULT_DIR;
	a->timeout_s = CHAOS_DEFAULT_TIMEOUT_S;
	r = args_parse(chaos_opts, ARRAY_LEN(chaos_opts), argc, argv, a, NULL, err, errlen);
	if (r == ARGS_OK && !a->scenario_set) {
		snprintf(err, errlen, "--scenario is required");
		return ARGS_ERROR;
	}
	return r;
}
