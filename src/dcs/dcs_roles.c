/*
 * dcs_roles.c: members' roles, states and lags (see dcs_roles.h).
 */
#include "dcs/dcs_roles.h"

#include "util/strutil.h"

static const char *const role_names[DCS_ROLE__COUNT] = {
    [DCS_ROLE_LEADER] = "leader",
    [DCS_ROLE_SYNC_STANDBY] = "sync_standby",
    [DCS_ROLE_REPLICA] = "replica",
};

static const char *const role_titles[DCS_ROLE__COUNT] = {
    [DCS_ROLE_LEADER] = "Leader",
    [DCS_ROLE_SYNC_STANDBY] = "Sync Standby",
    [DCS_ROLE_REPLICA] = "Replica",
};

const char *dcs_role_str(enum dcs_role r)
{
	return (unsigned)r < DCS_ROLE__COUNT ? role_names[r] : "?";
}

const char *dcs_role_title(enum dcs_role r)
{
	return (unsigned)r < DCS_ROLE__COUNT ? role_titles[r] : "?";
}

enum dcs_role dcs_member_role(const struct dcs_view *v, const struct dcs_member *m,
                              bool synchronous_mode)
{
	if (v->has_leader && str_eq(v->leader, m->name))
		return DCS_ROLE_LEADER;
	if (synchronous_mode && v->sync.present && v->sync.leader[0] != '\0' &&
	    dcs_sync_has(&v->sync, m->name))
		return DCS_ROLE_SYNC_STANDBY;
	return DCS_ROLE_REPLICA;
}

const char *dcs_member_state(const struct dcs_member *m, enum dcs_role r)
{
	return r != DCS_ROLE_LEADER && m->replication_state[0] != '\0' ? m->replication_state
	                                                               : m->state;
}

uint64_t dcs_view_reference_lsn(const struct dcs_view *v)
{
	const struct dcs_member *leader = dcs_view_leader_member(v);
	uint64_t ref = v->has_status ? v->status_optime : 0;

	if (leader != NULL && leader->has_xlog && leader->xlog_location > ref)
		ref = leader->xlog_location;
	return ref;
}

bool dcs_member_position(const struct dcs_member *m, uint64_t *pos)
{
	if (m->receive_lsn != 0 || m->replay_lsn != 0) {
		*pos = MAX(m->receive_lsn, m->replay_lsn);
		return true;
	}
	*pos = m->xlog_location;
	return m->has_xlog;
}

uint64_t dcs_lag_bytes(uint64_t reference, uint64_t lsn)
{
	return reference > lsn ? reference - lsn : 0;
}

bool dcs_member_lag(const struct dcs_view *v, const struct dcs_member *m, enum dcs_role r,
                    uint64_t *lag_bytes)
{
	uint64_t ref;
	uint64_t pos;

	*lag_bytes = 0;
	if (r == DCS_ROLE_LEADER)
		return true;
	ref = dcs_view_reference_lsn(v);
	if (ref == 0 || !dcs_member_position(m, &pos))
		return false;
	*lag_bytes = dcs_lag_bytes(ref, pos);
	return true;
}
