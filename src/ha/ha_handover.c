/*
 * ha_handover.c: the rules of a switchover or manual failover, in one place for the
 * three that apply them: the REST API before it writes the failover key (agent_ops.c),
 * the CLI before it asks (client/client_handover.c), and the requester waiting for the
 * outcome. The leader that carries a switchover out uses the same eligibility, and
 * ha_sync_pending to wait for a synchronous standby (ha_decide.c).
 *
 * Pure, like the decision core: no I/O, clock, allocation, logging or globals.
 */
#include "ha/ha_decide.h"

#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"

bool ha_sync_pending(const struct dcs_view *v, bool synchronous_mode)
{
	const struct dcs_sync *s = &v->sync;

	return ha_sync_restricts(v, synchronous_mode) && s->present && v->has_leader &&
	       (s->n_standbys == 0 || !str_eq(s->leader, v->leader));
}

bool ha_member_awaits_sync(const struct dcs_view *v, const struct dcs_member *m, const char *leader,
                           bool synchronous_mode)
{
	return ha_sync_pending(v, synchronous_mode) && ha_member_eligible(v, m, leader, false);
}

/*
 * streams: m streams from leader by its member key, or, in synchronous mode, by the
 * leader's own evidence: the sync key it wrote lists m (it names a standby only once
 * PostgreSQL reports it synchronous, and unnames it first when it stops). Right after
 * a leader change the member key may lag behind that by a cycle. The leader carrying a
 * switchover out checks its replication connections again anyway.
 */
static bool streams(const struct dcs_view *v, const struct dcs_member *m, const char *leader,
                    bool synchronous_mode)
{
	return ha_member_streaming(m) ||
	       (synchronous_mode && v->sync.present && str_eq(v->sync.leader, leader) &&
	        dcs_sync_has(&v->sync, m->name));
}

/* candidate_check: a named candidate, against the cluster's leader ("" = none). */
static enum ha_handover_check candidate_check(const struct dcs_view *v,
                                              const struct ha_handover_req *r, const char *leader)
{
	const struct dcs_member *m = dcs_view_member(v, r->candidate);

	if (m == NULL)
		return HA_HANDOVER_UNKNOWN_CANDIDATE;
	if (m->nofailover || m->failover_priority <= 0)
		return HA_HANDOVER_NOFAILOVER;
	if (leader[0] == '\0') /* manual failover: the operator decided */
		return str_eq(m->state, "running") ? HA_HANDOVER_OK : HA_HANDOVER_UNHEALTHY;
	if (!ha_member_eligible(v, m, leader, r->synchronous_mode)) /* the sync key's rule */
		return ha_member_awaits_sync(v, m, leader, r->synchronous_mode)
		           ? HA_HANDOVER_SYNC_PENDING
		           : HA_HANDOVER_NOT_SYNC;
	return streams(v, m, leader, r->synchronous_mode) ? HA_HANDOVER_OK : HA_HANDOVER_UNHEALTHY;
}

enum ha_handover_check ha_switchover_check(const struct dcs_view *v,
                                           const struct ha_handover_req *r)
{
	bool pending = false;

	if (!v->has_leader || v->leader[0] == '\0')
		return HA_HANDOVER_NO_LEADER;
	if (r->leader[0] && !str_eq(r->leader, v->leader))
		return HA_HANDOVER_NOT_LEADER;
	if (r->pause && r->candidate[0] == '\0')
		return HA_HANDOVER_PAUSED_ANY;
	if (str_eq(r->candidate, v->leader))
		return HA_HANDOVER_SAME;
	if (r->candidate[0])
		return candidate_check(v, r, v->leader);
	for (int i = 0; i < v->n_members; i++) {
		const struct dcs_member *m = &v->members[i];

		if (ha_member_eligible(v, m, v->leader, r->synchronous_mode) &&
		    streams(v, m, v->leader, r->synchronous_mode))
			return HA_HANDOVER_OK;
		pending = pending || ha_member_awaits_sync(v, m, v->leader, r->synchronous_mode);
	}
	return pending ? HA_HANDOVER_SYNC_PENDING : HA_HANDOVER_NO_CANDIDATE;
}

enum ha_handover_check ha_failover_check(const struct dcs_view *v, const struct ha_handover_req *r)
{
	if (r->candidate[0] == '\0')
		return HA_HANDOVER_NO_CANDIDATE;
	return candidate_check(v, r, "");
}

const char *ha_handover_check_str(enum ha_handover_check c)
{
	static const char *const names[HA_HANDOVER__COUNT] = {
	    [HA_HANDOVER_OK] = "ok",
	    [HA_HANDOVER_NO_LEADER] = "no leader in the cluster: use failover",
	    [HA_HANDOVER_NOT_LEADER] = "leader name does not match",
	    [HA_HANDOVER_PAUSED_ANY] =
	        "Switchover is possible only to a specific candidate in a paused state",
	    [HA_HANDOVER_SAME] = "Switchover target and source are the same",
	    [HA_HANDOVER_UNKNOWN_CANDIDATE] = "candidate does not exist",
	    [HA_HANDOVER_NOFAILOVER] = "candidate has the nofailover tag",
	    [HA_HANDOVER_NOT_SYNC] = "candidate name does not match with sync_standby",
	    [HA_HANDOVER_UNHEALTHY] = "candidate is not healthy enough to take over",
	    [HA_HANDOVER_NO_CANDIDATE] = "No good candidates have been found",
	    [HA_HANDOVER_SYNC_PENDING] = "the sync key names no synchronous standby yet",
	};

	return c < HA_HANDOVER__COUNT ? names[c] : "?";
}

bool ha_handover_done(const struct dcs_view *v, const char *old, const char *want)
{
	if (!v->has_leader || v->leader[0] == '\0' || str_eq(v->leader, old))
		return false;
	return want[0] == '\0' || str_eq(v->leader, want);
}

int ha_handover_wait_s(int loop_wait_s)
{
	return 2 * MAX(10, loop_wait_s);
}
