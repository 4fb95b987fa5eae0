/*
 * chaos_args.c: scenarios and command line of `pgha chaos` (see chaos_args.h).
 */
#include "chaos/chaos_args.h"

#include <stdio.h>
#include <string.h>
#include "lab/lab.h"
#include "util/compiler.h"
#include "util/strutil.h"

#define MAX_TIMEOUT_S  3600
#define MAX_DURATION_S 3600

static const char *const scenario_names[CHAOS__COUNT] = {
    [CHAOS_KILL_PRIMARY] = "kill-primary",
    [CHAOS_CRASH_POSTGRES] = "crash-postgres",
    [CHAOS_KILL_AGENT] = "kill-agent",
    [CHAOS_FREEZE_PRIMARY] = "freeze-primary",
    [CHAOS_SWITCHOVER] = "switchover",
    [CHAOS_ETCD_LEADER_STALL] = "etcd-leader-stall",
    [CHAOS_ETCD_QUORUM_LOSS] = "etcd-quorum-loss",
    [CHAOS_PARTITION_PRIMARY_ETCD] = "partition-primary-etcd",
    [CHAOS_PARTITION_PRIMARY] = "partition-primary",
};

/* How long each healing fault lasts by default (issue 8's figures use these). */
static const int default_duration_s[CHAOS__COUNT] = {
    [CHAOS_ETCD_LEADER_STALL] = 6,
    [CHAOS_ETCD_QUORUM_LOSS] = 10,
    [CHAOS_PARTITION_PRIMARY_ETCD] = 10,
    [CHAOS_PARTITION_PRIMARY] = 10,
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

bool chaos_scenario_etcd(enum chaos_scenario s)
{
	return s == CHAOS_ETCD_LEADER_STALL || s == CHAOS_ETCD_QUORUM_LOSS;
}

bool chaos_scenario_partition(enum chaos_scenario s)
{
	return s == CHAOS_PARTITION_PRIMARY_ETCD || s == CHAOS_PARTITION_PRIMARY;
}

int chaos_scenario_duration_s(enum chaos_scenario s)
{
	return (unsigned)s < CHAOS__COUNT ? default_duration_s[s] : 0;
}

const char *chaos_usage(void)
{
	return "usage: pgha chaos [--dir DIR | -c FILE] --scenario S [--duration SECONDS]\n"
	       "                  [--etcd-victims leader|followers] [--rw CONNINFO]\n"
	       "                  [--exec COMMAND] [--json] [--no-restart] [--timeout SECONDS]\n"
	       "\n"
	       "Runs a writer through service=rw that records every acknowledged id, injects\n"
	       "a fault, waits for recovery and for the victim to rejoin, and verifies that\n"
	       "every acknowledged id is on the new primary and that no two nodes ever\n"
	       "acknowledged writes at once.\n"
	       "\n"
	       "Scenarios (the victim is the primary, or etcd's raft leader):\n"
	       "  kill-primary            SIGKILL of the primary's agent and PostgreSQL (host "
	       "lost)\n"
	       "  crash-postgres          SIGKILL of the primary's postmaster; its agent stays\n"
	       "  kill-agent              SIGKILL of the primary's agent only\n"
	       "  freeze-primary          SIGSTOP of the primary's processes (TTL + 2 s), SIGCONT\n"
	       "  switchover              a planned switchover (the request `pgha switchover` "
	       "sends)\n"
	       "  etcd-leader-stall       SIGSTOP of etcd's raft leader (6 s), then SIGCONT\n"
	       "  etcd-quorum-loss        SIGSTOP of two of three etcd members (10 s), SIGCONT\n"
	       "  partition-primary-etcd  the primary's agent cut from every etcd member (10 s)\n"
	       "  partition-primary       the primary's node cut from etcd and the other nodes\n"
	       "                          (10 s); clients connected straight to it keep writing\n"
	       "\n"
	       "Options:\n"
	       "  --dir DIR          the lab (default ./pgha-lab)\n"
	       "  -c FILE            a cluster described by an agent configuration (etcd, scope,\n"
	       "                     credentials) instead of a lab; needs --exec for faults\n"
	       "  --duration SECONDS how long a healing fault lasts\n"
	       "  --etcd-victims W   etcd-quorum-loss: leader (the raft leader and a follower,\n"
	       "                     default) or followers (the leader stays alone)\n"
	       "  --rw CONNINFO      the writer's connection (default service=rw)\n"
	       "  --exec COMMAND     carry the fault out with COMMAND (sh -c), called with\n"
	       "                     PGHA_CHAOS_PHASE=inject, heal or restart and the victim in\n"
	       "                     its environment (docs/chaos.md)\n"
	       "  --json             one JSON object on stdout instead of the timeline\n"
	       "  --no-restart       do not restart what was killed, do not wait for the rejoin\n"
	       "  --timeout SECONDS  bound on recovery (default 30; the rejoin gets 4x)\n"
	       "\n"
	       "Exit status: 0 when no acknowledged write was lost, there was never more than\n"
	       "one writable primary and the cluster healed; 1 otherwise; 2 bad usage; 3 etcd\n"
	       "unreachable; 130 interrupted (the fault healed first).\n";
}

static bool parse_scenario(const char *arg, void *field, char *err, size_t errlen)
{
	if (chaos_scenario_parse(arg, field))
		return true;
	snprintf(err, errlen,
	         "unknown scenario '%s' (kill-primary, crash-postgres, kill-agent, "
	         "freeze-primary, switchover, etcd-leader-stall, etcd-quorum-loss, "
	         "partition-primary-etcd, partition-primary)",
	         arg);
	return false;
}

static bool parse_victims(const char *arg, void *field, char *err, size_t errlen)
{
	enum chaos_etcd_victims *v = field;

	if (str_eq(arg, "leader"))
		*v = CHAOS_ETCD_LEADER_AND_FOLLOWER;
	else if (str_eq(arg, "followers"))
		*v = CHAOS_ETCD_FOLLOWERS;
	else {
		snprintf(err, errlen, "--etcd-victims: leader or followers, not '%s'", arg);
		return false;
	}
	return true;
}

#define F(member) offsetof(struct chaos_args, member)

/* Which options were given, for the checks after parsing. */
struct seen {
	struct chaos_args a;
	bool dir, duration, victims;
};

#define S(member) (offsetof(struct seen, member) + 1)

static const struct arg_opt chaos_opts[] = {
    ARG_STR_OPT("dir", 0, F(dir), S(dir)),
    ARG_STR_OPT("config", 'c', F(config), 0),
    ARG_CUSTOM_OPT("scenario", 0, F(scenario), parse_scenario,
                   ARG_SEEN(struct chaos_args, scenario_set)),
    ARG_INT_OPT("duration", F(duration_s), 1, MAX_DURATION_S, S(duration)),
    ARG_CUSTOM_OPT("etcd-victims", 0, F(etcd_victims), parse_victims, S(victims)),
    ARG_STR_OPT("rw", 0, F(rw), 0),
    ARG_STR_OPT("exec", 0, F(exec), 0),
    ARG_FLAG_OPT("json", 0, F(json)),
    ARG_FLAG_OPT("no-restart", 0, F(no_restart)),
    ARG_INT_OPT("timeout", F(timeout_s), 1, MAX_TIMEOUT_S, 0),
};

/* combination: what the options cannot say together; NULL when they make sense. */
static const char *combination(const struct seen *s)
{
	enum chaos_scenario sc = s->a.scenario;

	if (!s->a.scenario_set)
		return "--scenario is required";
	if (s->dir && s->a.config)
		return "--dir and -c name two clusters: give one";
	if (s->duration && sc != CHAOS_FREEZE_PRIMARY && chaos_scenario_duration_s(sc) == 0)
		return "--duration: this scenario's fault does not heal by itself";
	if (s->victims && sc != CHAOS_ETCD_QUORUM_LOSS)
		return "--etcd-victims is for etcd-quorum-loss";
	if (s->a.config && !s->a.exec && sc != CHAOS_SWITCHOVER)
		return "-c: a cluster that is not a lab needs --exec COMMAND to carry the fault "
		       "out (deploy/aws/scripts/chaos.sh gives one for EC2)";
	return NULL;
}

enum args_result chaos_args_parse(int argc, char **argv, struct chaos_args *a, char *err,
                                  size_t errlen)
{
	struct seen s;
	enum args_result r;
	const char *bad;

	memset(&s, 0, sizeof(s));
	s.a.dir = LAB_DEFAULT_DIR;
	s.a.timeout_s = CHAOS_DEFAULT_TIMEOUT_S;
	r = args_parse(chaos_opts, ARRAY_LEN(chaos_opts), argc, argv, &s, NULL, err, errlen);
	*a = s.a;
	if (r == ARGS_OK && (bad = combination(&s)) != NULL) {
		snprintf(err, errlen, "%s", bad);
		return ARGS_ERROR;
	}
	return r;
}
