/*
 * client_members.h: the members table of a cluster, from a DCS view: one row per
 * member with role, state, timeline and lag (dcs_roles.h's rules, so the table agrees
 * with the agents' GET /cluster), rendered as patronictl's table or as
 * `pgha list --json`. Used by `pgha list`, `pgha monitor`, `pgha health`, the
 * operations commands and `pgha up`.
 *
 * Pure: no I/O.
 */
#ifndef PGHA_CLIENT_CLIENT_MEMBERS_H
#define PGHA_CLIENT_CLIENT_MEMBERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "client/client.h"
#include "dcs/dcs_roles.h"
#include "dcs/dcs_types.h"
#include "util/buf.h"

struct client_member_row {
	const struct dcs_member *m; /* borrowed from the view */
	enum dcs_role role;
	const char *state; /* borrowed from m: dcs_member_state */
	bool has_lag;
	uint64_t lag_bytes;
};

/* client_members_rows: one row per member of the view, in the view's (name) order. */
int client_members_rows(const struct dcs_view *v, struct client_member_row *rows, int max);
/*
 * client_members_table: patronictl's table ("+ Cluster: scope (sysid) ---" header), and
 * patronictl's " Maintenance mode: on" line under it while the cluster is paused.
 */
void client_members_table(const struct dcs_view *v, const char *scope, struct buf *out);
/*
 * client_members_json: {"scope", "namespace", "etcd": [urls], "leader": name|null,
 * "pause": bool, "members": [{"name", "host", "port", "api_url", "pooler", "role",
 * "state", "timeline", "lag_bytes", "archive"}]}; unknown values are null. "archive"
 * is a primary's WAL archiving: {"ready" (WAL files waiting), "lag_s" (how long the
 * oldest of them has waited, at now_ms; null without now_ms), "oldest_ready_ms",
 * "last_archived_wal", "last_archived_ms", "failed_count", "last_failed_wal",
 * "last_failed_ms", "failing"}; epoch ms times. Owned.
 */
json_t *client_members_json(const struct dcs_view *v, const struct client *c, int64_t now_ms);

/*
 * The cluster's failsafe_mode as `pgha list` shows it: on or off in the dynamic
 * configuration, and whether a primary runs on it now (its /patroni says so: etcd
 * cannot be reached from it, and every member of the failsafe key confirms it).
 */
struct client_failsafe {
	bool mode;
	bool active;
	char primary[DCS_NAME_LEN]; /* the primary running on failsafe, "" if none */
};
/* client_failsafe_line: " Failsafe mode: active on X (...)" under the table, or nothing. */
void client_failsafe_line(const struct client_failsafe *fs, struct buf *out);
/* client_failsafe_json: {"mode", "active", "primary": name|null, "members": [names]}. */
json_t *client_failsafe_json(const struct client_failsafe *fs, const struct dcs_view *v);

#endif
