/*
 * lab_members.h: the members table of a cluster, from a DCS view: rows with role,
 * state, timeline and lag, rendered as patronictl's table or as `pgha list --json`.
 *
 * Rules (also for `pgha monitor` and the health report):
 *   role:  "leader" for the holder of the leader key, "sync_standby" for members listed
 *          in an active sync key, else "replica";
 *   state: "streaming" for a non-leader whose replication_state is streaming, else the
 *          member's own state;
 *   lag:   reference = status.optime, or the leader's xlog_location if larger; a member's
 *          position = max(receive_lsn, replay_lsn), or its xlog_location when it
 *          publishes neither; lag = reference - position (never negative). The leader's
 *          lag is 0 (it is the reference); unknown without a reference or a position.
 *
 * Pure: no I/O.
 */
#ifndef PGHA_LAB_LAB_MEMBERS_H
#define PGHA_LAB_LAB_MEMBERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs_types.h"
#include "util/buf.h"

enum lab_member_role {
	LAB_ROLE_LEADER = 0,
	LAB_ROLE_SYNC_STANDBY,
	LAB_ROLE_REPLICA,
	LAB_ROLE__COUNT
};

struct lab_member_row {
	const struct dcs_member *m; /* borrowed from the view */
	enum lab_member_role role;
	const char *state; /* borrowed: "streaming" or m->state */
	bool has_lag;
	uint64_t lag_bytes;
};

/* What the list header needs besides the view. */
struct lab_list_meta {
	const char *scope;
	const char *namespace_;       /* "/service/" form */
	const char *const *etcd_urls; /* client URLs */
	int n_etcd;
};

/* lab_members_paused: the config key says "pause": true (maintenance mode). */
bool lab_members_paused(const struct dcs_view *v);
/* lab_member_role_str: "leader", "sync_standby", "replica" (the JSON spelling). */
const char *lab_member_role_str(enum lab_member_role r);
/* lab_members_rows: one row per member of the view, in the view's (name) order. */
int lab_members_rows(const struct dcs_view *v, struct lab_member_row *rows, int max);
/*
 * lab_members_table: patronictl's table ("+ Cluster: scope (sysid) ---" header), and
 * patronictl's " Maintenance mode: on" line under it while the cluster is paused.
 */
void lab_members_table(const struct dcs_view *v, const char *scope, struct buf *out);
/*
 * lab_members_json: {"scope", "namespace", "etcd": [urls], "leader": name|null,
 * "pause": bool, "members": [{"name", "host", "port", "api_url", "pooler", "role",
 * "state", "timeline", "lag_bytes"}]}; unknown values are null. Owned.
 */
json_t *lab_members_json(const struct dcs_view *v, const struct lab_list_meta *meta);

#endif
