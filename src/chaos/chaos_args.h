/*
 * chaos_args.h: the scenarios of `pgha chaos` and its command line:
 *   pgha chaos [--dir DIR | -c FILE] --scenario S [--duration SECONDS]
 *              [--etcd-victims leader|followers] [--rw CONNINFO] [--exec COMMAND]
 *              [--json] [--no-restart] [--timeout SECONDS]
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
	CHAOS_KILL_PRIMARY = 0,       /* the primary's host lost: agent + PostgreSQL SIGKILLed */
	CHAOS_CRASH_POSTGRES,         /* the primary's postmaster SIGKILLed, its agent alive */
	CHAOS_KILL_AGENT,             /* only the primary's agent SIGKILLed */
	CHAOS_FREEZE_PRIMARY,         /* the primary's processes SIGSTOPped, then SIGCONT */
	CHAOS_SWITCHOVER,             /* a planned switchover, as `pgha switchover` asks it */
	CHAOS_ETCD_LEADER_STALL,      /* etcd's raft leader SIGSTOPped, then SIGCONT */
	CHAOS_ETCD_QUORUM_LOSS,       /* two of three etcd members SIGSTOPped, then SIGCONT */
	CHAOS_PARTITION_PRIMARY_ETCD, /* the primary's agent cut from every etcd member */
	CHAOS_PARTITION_PRIMARY,      /* the primary's whole node cut from etcd and the others */
	CHAOS__COUNT
};

/* Which etcd members etcd-quorum-loss stops. */
enum chaos_etcd_victims {
	CHAOS_ETCD_LEADER_AND_FOLLOWER = 0, /* the raft leader and the first follower by name */
	CHAOS_ETCD_FOLLOWERS                /* the two followers: the leader stays alone */
};

struct chaos_args {
	const char *dir;                      /* --dir; default ./pgha-lab */
	const char *config;                   /* -c FILE: an agent configuration, not a lab */
	enum chaos_scenario scenario;         /* --scenario (required) */
	int duration_s;                       /* --duration; 0 = the scenario's default */
	enum chaos_etcd_victims etcd_victims; /* --etcd-victims */
	const char *rw;    /* --rw CONNINFO: the writer's way in; NULL = service=rw */
	const char *exec;  /* --exec COMMAND: the fault action (see chaos_action.h) */
	bool json;         /* --json: one JSON object on stdout */
	bool no_restart;   /* --no-restart: leave a killed victim down */
	int timeout_s;     /* --timeout */
	bool scenario_set; /* --scenario was given */
};

/* chaos_scenario_str: "kill-primary"... */
const char *chaos_scenario_str(enum chaos_scenario s);
/* chaos_scenario_parse: the scenario called name; false if there is none. */
bool chaos_scenario_parse(const char *name, enum chaos_scenario *out);
/* chaos_scenario_etcd: etcd-leader-stall or etcd-quorum-loss. */
bool chaos_scenario_etcd(enum chaos_scenario s);
/* chaos_scenario_partition: partition-primary-etcd or partition-primary. */
bool chaos_scenario_partition(enum chaos_scenario s);
/*
 * chaos_scenario_duration_s: how long the fault lasts before it heals, for the
 * scenarios that heal (etcd-*: 6 and 10 s, partition-*: 10 s); 0 for the others.
 * freeze-primary's default depends on the cluster's TTL (chaos_run.c).
 */
int chaos_scenario_duration_s(enum chaos_scenario s);
/*
 * chaos_args_parse: ARGS_HELP for --help/-h; ARGS_ERROR with err set for an unknown
 * option or scenario, a missing value, no --scenario, a bad --timeout or --duration,
 * --duration or --etcd-victims where the scenario has none, --dir with -c, and -c
 * without --exec for a scenario that needs a fault action (util/args.h).
 */
enum args_result chaos_args_parse(int argc, char **argv, struct chaos_args *a, char *err,
                                  size_t errlen);
/* chaos_usage: the usage text. */
const char *chaos_usage(void);

#endif
