/*
 * dcs_roles.h: what each member of a view is, as `patronictl list` and Patroni's
 * GET /cluster show it: role, state and lag. One rule for every place that shows a
 * member: the agent's REST API (GET /cluster), `pgha list`, `pgha monitor`,
 * `pgha health` and `pgha chaos`.
 *
 * It lives in dcs/ because it reads nothing but a view (and the cluster's
 * synchronous_mode, passed in): the REST API (api/) sits below the tooling's cluster
 * client (client/) in the layering, so the rule must sit below both for them to share
 * it without a circle.
 *
 * Rules (Patroni's):
 *   role:  "leader" for the holder of the leader key; "sync_standby" for a member the
 *          sync key lists while synchronous_mode is on and the key is active (names
 *          compared case-insensitively); else "replica";
 *   state: a non-leader's replication_state when it publishes one ("streaming",
 *          "in archive recovery"), else the member's own state;
 *   lag:   reference = status.optime, or the leader's xlog_location when larger; a
 *          member's position = max(receive_lsn, replay_lsn), or its xlog_location when
 *          it publishes neither; lag = reference - position, never negative; unknown
 *          without a reference or a position. The leader is the reference (lag 0).
 *
 * Pure: no I/O, no allocation.
 */
#ifndef PGHA_DCS_DCS_ROLES_H
#define PGHA_DCS_DCS_ROLES_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs_types.h"
#include "util/compiler.h"

enum dcs_role {
	DCS_ROLE_LEADER = 0,
	DCS_ROLE_SYNC_STANDBY,
	DCS_ROLE_REPLICA,
	DCS_ROLE__COUNT
};

/* dcs_role_str: "leader", "sync_standby", "replica" (the JSON spelling). */
const char *dcs_role_str(enum dcs_role r);
/* dcs_role_title: "Leader", "Sync Standby", "Replica" (patronictl's table). */
const char *dcs_role_title(enum dcs_role r);
/* dcs_member_role: m's role in v (m is one of v's members). */
enum dcs_role dcs_member_role(const struct dcs_view *v, const struct dcs_member *m,
                              bool synchronous_mode);
/* dcs_member_state: the state shown for m in role r. Borrowed from m. */
const char *dcs_member_state(const struct dcs_member *m, enum dcs_role r);
/* dcs_view_reference_lsn: the position lags are measured from; 0 = none known. */
uint64_t dcs_view_reference_lsn(const struct dcs_view *v);
/* dcs_member_position: m's WAL position; false when it publishes none. */
bool dcs_member_position(const struct dcs_member *m, uint64_t *pos) MUST_CHECK;
/* dcs_lag_bytes: reference - lsn, or 0 when lsn is at or past the reference. */
uint64_t dcs_lag_bytes(uint64_t reference, uint64_t lsn);
/* dcs_member_lag: m's lag in role r (0 for the leader); false when unknown. */
bool dcs_member_lag(const struct dcs_view *v, const struct dcs_member *m, enum dcs_role r,
                    uint64_t *lag_bytes) MUST_CHECK;

#endif
