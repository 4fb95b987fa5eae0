/*
 * chaos_args.h: the scenarios of `pgha chaos` and its command line:
 *   pgha chaos [--dir DIR] --scenario S [--json] [--no-restart] [--timeout SECONDS]
 *
 * Pure: parses argv (argv[0] is "chaos") into a struct whose strings are borrowed from
 * argv; errors come back in err, nothing is printed.
 */
#ifndef PGHA_CHAOS_CHAOS_ARGS_H
#define PGHA_CHAOS_CHAOS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include "util/args.h"

#define CHAOS_DEFAULT_TIMEOUT_S 30 /* a new leader (first acknowledged write) within this */
#define CHAOS_REJOIN_FACTOR     4  /* the victim rejoins within 4 x --timeout (120 s) */

enum chaos_scenario {
	CHAOS_KILL_PRIMARY = 0, /* the primary's host lost: agent + PostgreSQL tree SIGKILLed */
	CHAOS_CRASH_POSTGRES,   /* the primary's postmaster SIGKILLed, its agent alive */
	CHAOS_KILL_AGENT,       /* only the primary's agent SIGKILLed */
	CHAOS_FREEZE_PRIMARY,   /* the primary's processes SIGSTOPped past the TTL, then SIGCONT */
	CHAOS_SWITCHOVER,       /* a planned switchover, as `pgha switchover` asks it */
	CHAOS__COUNT
};

struct chaos_args {
	const char *dir;              /* --dir; default ./pgha-lab */
	enum chaos_scenario scenario; /* --scenario (required) */
	bool json;                    /* --json: one JSON object on stdout */
	bool no_restart;              /* --no-restart: leave a killed victim down */
	int timeout_s;                /* --timeout */
	bool scenario_set;            /* --scenario was given */
};

/* chaos_scenario_str: "kill-primary"... */
const char *chaos_scenario_str(enum chaos_scenario s);
/* chaos_scenario_parse: the scenario called name; false if there is none. */
bool chaos_scenario_parse(const char *name, enum chaos_scenario *out);
/*
 * chaos_args_parse: ARGS_HELP for --help/-h; ARGS_ERROR with err set for an unknown
 * option or scenario, a missing value, no --scenario, a bad --timeout (util/args.h).
 */
enum args_result chaos_args_parse(int argc, char **argv, struct chaos_args *a, char *err,
                                  size_t errlen);
/* chaos_usage: the usage text. */
const char *chaos_usage(void);

#endif
