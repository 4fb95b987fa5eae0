/*
 * ha_invariants.h: the safety rules every plan of the decision core keeps, whatever its
 * input, shared by the exhaustive sweep (test_ha_decide.c) and the property harness on
 * hostile inputs (tests/fuzz/fuzz_ha_decide.c). Header-only (static inline).
 */
#ifndef PGHA_TESTS_HA_INVARIANTS_H
#define PGHA_TESTS_HA_INVARIANTS_H

#include <stdbool.h>
#include <string.h>
#include "ha/ha_decide.h"

/* plan_index: where the plan first does k, or -1. */
static inline int plan_index(const struct ha_decision *d, enum ha_action_kind k)
{
	for (int i = 0; i < d->n_actions; i++)
		if (d->actions[i].kind == k)
			return i;
	return -1;
}

/* input_holds_key: the input's own view of holding the key, as a correct plan must see it. */
static inline bool input_holds_key(const struct ha_input *in)
{
	bool mine = in->view.has_leader && strcmp(in->view.leader, in->name) == 0;

	return in->lease.held && in->now_ms < in->lease.deadline_ms && (mine || !in->dcs_ok);
}

static inline bool plan_well_formed(const struct ha_decision *d)
{
	if (d->n_actions < 0 || d->n_actions > HA_MAX_ACTIONS || d->reason == NULL ||
	    d->rule >= HA_RULE__COUNT || d->role >= HA_ROLE__COUNT || d->n_sync_names < 0 ||
	    d->n_sync_names > DCS_MAX_SYNC)
		return false;
	for (int i = 0; i < d->n_actions; i++)
		if (d->actions[i].kind >= HA_ACT__COUNT ||
		    memchr(d->actions[i].target, '\0', sizeof(d->actions[i].target)) == NULL)
			return false;
	return true;
}

/*
 * plan_violation: NULL when d keeps the rules for in, else the rule it breaks:
 * never promote without holding the leader key or first taking it; never start as
 * primary without holding it; bootstrap only after winning the initialize race; never
 * take the key while the view shows another holder, or without a current view.
 */
static inline const char *plan_violation(const struct ha_input *in, const struct ha_decision *d)
{
	int promote = plan_index(d, HA_ACT_PROMOTE), start = plan_index(d, HA_ACT_START_PRIMARY);
	int acquire = plan_index(d, HA_ACT_ACQUIRE_LEADER), boot = plan_index(d, HA_ACT_BOOTSTRAP);
	int race = plan_index(d, HA_ACT_INITIALIZE_RACE);
	bool other_holds = in->view.has_leader && strcmp(in->view.leader, in->name) != 0;

	if (!plan_well_formed(d))
		return "a plan out of bounds";
	if (promote >= 0 && !input_holds_key(in) && !(acquire >= 0 && acquire < promote))
		return "promotes without the leader key";
	if (start >= 0 && !input_holds_key(in))
		return "starts as primary without the leader key";
	if (boot >= 0 && !(race >= 0 && race < boot))
		return "bootstraps without winning the initialize race";
	if (acquire >= 0 && (!in->dcs_ok || other_holds))
		return "takes the leader key while another member holds it (or without a view)";
	return NULL;
}

#endif
