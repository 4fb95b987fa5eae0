/*
 * ha_decide.h: the HA decision core, a pure function.
 *
 * ha_decide() maps one cycle's observations (struct ha_input) to a plan (struct
 * ha_decision): a target role, ordered actions and the rule that chose them. It does
 * no I/O, reads no clock, allocates nothing, logs nothing and touches no globals, so
 * the same input always gives the same plan and every rule is unit-tested.
 *
 * The plan is a proposal: the apply step runs the actions in order and stops at the
 * first that fails, and every action that changes who leads is an etcd
 * compare-and-swap, which has the last word.
 */
#ifndef PGHA_HA_HA_DECIDE_H
#define PGHA_HA_HA_DECIDE_H

#include <stddef.h>
#include "ha/ha_types.h"

void ha_decide(const struct ha_input *in, struct ha_decision *out);

/* Outcome of the leader race for this node (exposed for tests and the REST API). */
enum ha_race_outcome {
	HA_RACE_WIN = 0,
	HA_RACE_NOT_PROBED,      /* peers were not asked this cycle */
	HA_RACE_INELIGIBLE,      /* nofailover, lag, sync set, timeline or handing over */
	HA_RACE_PRIMARY_ALIVE,   /* a reachable peer still runs as primary */
	HA_RACE_BEHIND_PEER,     /* a reachable eligible peer is ahead (or wins the tie) */
	HA_RACE_DEFER_CANDIDATE, /* a healthy named failover candidate goes first */
	HA_RACE__COUNT
};

/* ha_race: may this node (a running standby) take a free leader key? *who names the peer. */
enum ha_race_outcome ha_race(const struct ha_input *in, const char **who);

/*
 * ha_render_ssn: synchronous_standby_names for names[n] with num sync standbys:
 * FIRST num ("a", "b"); "" when n is 0. Names are double-quoted (case preserved).
 */
void ha_render_ssn(int num, const char (*names)[DCS_NAME_LEN], int n, char *out, size_t size);

const char *ha_rule_name(enum ha_rule rule);
const char *ha_role_name(enum ha_role role);
const char *ha_action_name(enum ha_action_kind kind);
const char *ha_race_outcome_name(enum ha_race_outcome outcome);

#endif
